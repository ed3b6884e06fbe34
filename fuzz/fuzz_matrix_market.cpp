// libFuzzer harness for read_matrix_market.
//
// Input: one flag byte, then the file's bytes.
//   bits 0-2 symmetrize / drop_self_loops / merge_duplicates, bit 3
//   <double, int64, int32> instead of <float, int32, int64>.
// Size lines of any size are read as they are: a claim beyond the harness
// memory limit (fuzz_common.hpp) must end in size_error, not an allocation.
// Oracles: a valid CSR of the declared shape honouring the build options
// (symmetric files come back symmetric), and a round trip through
// write_matrix_market and read_matrix_market leaves it unchanged.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_common.hpp"

namespace {

template <class V, class I, class O>
void run(const fuzz::fs::path& path, matsample::build_options build, std::string_view text) {
  namespace ms = matsample;
  std::optional<ms::csr_matrix<V, I, O>> m;
  try {
    m = ms::read_matrix_market<V, I, O>(path, build);
  } catch (const ms::error&) { return; }
  std::string banner(text.substr(0, text.find('\n')));
  for (auto& ch : banner) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  build.symmetrize = build.symmetrize || banner.find(" symmetric") != std::string::npos;
  fuzz::check_built(*m, build);
  FUZZ_ASSERT(m->has_values() == (banner.find(" pattern") == std::string::npos && m->nnz() > 0));
  if (fuzz::any_nan(std::span<const V>(m->values()))) return;
  const auto again = fuzz::scratch() / "again.mtx";
  ms::write_matrix_market(again, m->view());
  try {
    FUZZ_ASSERT((ms::read_matrix_market<V, I, O>(again) == *m));
  } catch (const ms::error& e) {
    std::fprintf(stderr, "re-reading the written Matrix Market file failed: %s\n", e.what());
    fuzz::finding("write_matrix_market output not readable by read_matrix_market");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto path = fuzz::scratch() / "input.mtx";
  fuzz::write_file(path, text);
  const matsample::build_options build{(flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0};
  if ((flags & 8) != 0) {
    run<double, std::int64_t, std::int32_t>(path, build, text);
  } else {
    run<float, std::int32_t, std::int64_t>(path, build, text);
  }
  return 0;
}
