#pragma once
// Shared helpers of the libFuzzer harnesses: a private scratch directory
// (the readers take paths, so each input is written to a file first), file
// writing, and oracles that trap (a crash the fuzzer reports) when a reader
// accepted an input but returned something inconsistent.
//
// A harness catches matsample::error only: any other exception escaping a
// reader, a sanitizer report, a hang or a leak is a finding.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matsample/io.hpp"
#include "matsample/matsample.hpp"

namespace fuzz {

namespace fs = std::filesystem;
namespace ms = matsample;

/// The memory limit every reader prices its size claims against in the
/// harnesses (core/memory_limit.hpp): an input that claims more is refused
/// with size_error, so nothing skips large claims any more. fuzz/run also
/// gives libFuzzer -malloc_limit_mb and -rss_limit_mb above it, so a reader
/// that allocates past its own check is a finding.
inline constexpr std::int64_t memory_limit_bytes = std::int64_t{64} << 20;
inline const bool memory_limit_set = [] {
  ms::set_memory_limit(memory_limit_bytes);
  return true;
}();

/// Stops the process in a way libFuzzer records as a crash, with a reason.
[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "fuzz oracle violated: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
#define FUZZ_ASSERT(cond) ((cond) ? (void)0 : ::fuzz::finding(#cond))

/// This process's scratch directory, under $MATSAMPLE_FUZZ_TMP (the run
/// script makes one and removes it) or the system temp directory.
inline const fs::path& scratch() {
  static const fs::path* dir = [] {
    const char* base = std::getenv("MATSAMPLE_FUZZ_TMP");
    std::string pattern =
        ((base != nullptr && *base != '\0') ? fs::path(base) : fs::temp_directory_path()) / "harness-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) finding("cannot create a scratch directory");
    return new fs::path(pattern);  // never freed: a global root, not a leak
  }();
  return *dir;
}

/// Writes `bytes` to `path` (replacing it), creating parent directories.
inline void write_file(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) finding("cannot write a scratch file");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) finding("short write to a scratch file");
    done += static_cast<std::size_t>(w);
  }
  ::close(fd);
}

/// The texts of a directory harness's files: `rest` split at NUL bytes into
/// at most `count` parts (fewer when the input ends early).
inline std::vector<std::string_view> split_parts(std::string_view rest, std::size_t count) {
  std::vector<std::string_view> parts;
  while (parts.size() < count) {
    const auto nul = rest.find('\0');
    parts.push_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return parts;
}

/// The first count of a line as the readers parse it (blanks and commas
/// separate fields), or -1 when it does not parse.
inline std::int64_t leading_count(std::string_view line, int field = 0) {
  ms::io::field_reader fields(line, 0);
  ms::io::parse_failure failure;
  std::int64_t value = -1;
  for (int f = 0; f <= field; ++f) {
    if (!fields.read(value, "count", failure)) return -1;
  }
  return value;
}

template <class V>
bool any_nan(std::span<const V> values) {
  for (const V v : values) {
    if (std::isnan(v)) return true;
  }
  return false;
}

/// Whether two matrices hold the same entries bit for bit: a NaN weight
/// equals the same NaN (csr_matrix's == compares values as numbers, and
/// NaN != NaN).
template <class V, class I, class O>
bool same_bits(const ms::csr_matrix<V, I, O>& a, const ms::csr_matrix<V, I, O>& b) {
  const auto bytes = [](const auto& v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v[0]));
  };
  return a.rows() == b.rows() && a.cols() == b.cols() && bytes(a.indptr()) == bytes(b.indptr()) &&
         bytes(a.indices()) == bytes(b.indices()) && bytes(a.values()) == bytes(b.values());
}

/// What every CSR a reader returns must satisfy: valid structure, rows
/// sorted by column, and what the build options promise.
template <class V, class I, class O>
void check_built(const ms::csr_matrix<V, I, O>& m, const ms::build_options& build) {
  try {
    ms::validate(m.view());
  } catch (const ms::error&) { finding("a reader returned an invalid CSR"); }
  FUZZ_ASSERT(!build.symmetrize || m.rows() == m.cols());
  double sum = 0;  // touch every value (sanitizers see out-of-bounds reads)
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.indptr()[r]; e < m.indptr()[r + 1]; ++e) {
      const I c = m.indices()[e];
      if (e > m.indptr()[r]) {
        const I before = m.indices()[e - 1];
        FUZZ_ASSERT(before <= c);
        FUZZ_ASSERT(!build.merge_duplicates || before < c);
      }
      FUZZ_ASSERT(!build.drop_self_loops || c != r);
      if (build.symmetrize) {
        const auto b = m.indices().begin() + m.indptr()[c], end = m.indices().begin() + m.indptr()[c + 1];
        FUZZ_ASSERT(std::binary_search(b, end, r));
      }
      sum += static_cast<double>(m.view().value(e));
    }
  }
  (void)sum;
}

}  // namespace fuzz
