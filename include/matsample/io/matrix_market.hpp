#pragma once
// Matrix Market coordinate files: pattern, integer and real fields; general
// and symmetric storage (a symmetric file lists one triangle; both are
// returned).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "matsample/core/build.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/io/coo_text.hpp"

namespace matsample {

/// Reads a Matrix Market coordinate file (.gz through zlib) into CSR.
/// `build` adds options such as drop_self_loops; symmetric files are always
/// expanded to both triangles.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> read_matrix_market(const std::filesystem::path& path, build_options build = {}) {
  const io::text_file file(path);
  const std::string_view text = file.text();
  auto line_end = [&](std::size_t at) {
    const auto nl = text.find('\n', at);
    return nl == std::string_view::npos ? text.size() : nl;
  };
  // Banner: %%MatrixMarket matrix coordinate <field> <symmetry>
  std::string banner(text.substr(0, line_end(0)));
  std::transform(banner.begin(), banner.end(), banner.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!banner.empty() && banner.back() == '\r') banner.pop_back();
  if (banner.rfind("%%matrixmarket", 0) != 0) file.fail(0, "missing %%MatrixMarket banner");
  const auto has = [&](const char* word) { return banner.find(word) != std::string::npos; };
  if (!has(" matrix ") || !has(" coordinate ")) {
    file.fail(0, "only 'matrix coordinate' Matrix Market files are supported");
  }
  const bool pattern = has(" pattern");
  if (!pattern && !has(" real") && !has(" integer")) {
    file.fail(0, "unsupported field (expected pattern, integer or real)");
  }
  const bool symmetric = has(" symmetric");
  if (!symmetric && !has(" general")) file.fail(0, "unsupported symmetry (expected general or symmetric)");

  // Size line: the first line after the banner that is not a comment.
  std::size_t at = std::min(line_end(0) + 1, text.size());
  while (at < text.size() && io::skippable(text.substr(at, line_end(at) - at))) at = line_end(at) + 1;
  if (at >= text.size()) file.fail(text.size(), "missing size line 'rows columns entries'");
  io::field_reader size_fields(text.substr(at, line_end(at) - at), at);
  io::parse_failure failure;
  std::int64_t rows = 0, cols = 0, declared = 0;
  if (!size_fields.read(rows, "row count", failure) || !size_fields.read(cols, "column count", failure) ||
      !size_fields.read(declared, "entry count", failure)) {
    file.fail(failure.at, failure.what);
  }
  if (!size_fields.at_end()) file.fail(size_fields.offset(), "size line has more than 3 fields");
  if (rows < 0 || cols < 0 || declared < 0) file.fail(at, "negative size");
  if (symmetric && rows != cols) file.fail(at, "a symmetric matrix must be square");

  // Size claims are believed only as far as the file and memory allow.
  const std::size_t body = line_end(at) + 1;
  if (declared > file.max_lines(body, 2)) {
    throw size_error(detail::concat(file.where(at), ": the size line declares ", declared, " entries, but the ",
                                    text.size() - std::min(body, text.size()), " bytes after it can hold at most ",
                                    file.max_lines(body, 2), " lines (a line takes 2 bytes at least)"));
  }
  require_memory(::matsample::detail::csr_assembly<V, I, O>::bytes_needed(
                     static_cast<double>(rows), static_cast<double>(declared) * (symmetric ? 2 : 1), !pattern),
                 detail::concat(file.where(at), ": the size line declares ", rows, " rows, ", cols, " columns and ",
                                declared, " entries"));

  build.symmetrize = build.symmetrize || symmetric;
  return io::read_coo_matrix<V, I, O>(
      file, body, {true, !pattern, rows, cols, "entry"}, build, [&](const io::coo_scan& scan) {
        if (scan.entries != declared) {
          file.fail(text.size(),
                    detail::concat("the size line declares ", declared, " entries but the file has ", scan.entries));
        }
      });
}

}  // namespace matsample
