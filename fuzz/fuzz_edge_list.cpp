// libFuzzer harness for read_edge_list (plain and gzip).
//
// Input: one flag byte, then the file's bytes.
//   bit 0 one_based, bit 1 weighted, bit 2 the file is named .gz (the bytes
//   go to the inflater as they are), bits 3-5 symmetrize / drop_self_loops /
//   merge_duplicates, bit 6 num_vertices = 50, bit 7 <double, int64, int32>
//   instead of <float, int32, int64>; bits 0 and 6 together: compact_ids
//   instead (one_based and num_vertices do not apply to it).
// Ids of any size are read as they are: a claim beyond the harness memory
// limit (fuzz_common.hpp) must end in size_error, not an allocation.
// Oracles: the result is a valid CSR honouring the build options, and it
// round-trips through write_edge_list and read_edge_list unchanged; a
// compacted load has a strictly increasing id map of one id per vertex,
// and agrees with the dense load of the same file where that succeeds.

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "fuzz_common.hpp"

namespace {

template <class V, class I, class O>
void run(const fuzz::fs::path& path, const matsample::edge_list_options& options) {
  namespace ms = matsample;
  std::optional<ms::csr_matrix<V, I, O>> m;
  std::vector<std::int64_t> ids;
  try {
    m = ms::read_edge_list<V, I, O>(path, options, &ids);
  } catch (const ms::error&) { return; }
  if (options.compact_ids) {
    FUZZ_ASSERT(static_cast<std::int64_t>(ids.size()) == m->rows());
    FUZZ_ASSERT(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) == ids.end());
    auto dense = options;
    dense.compact_ids = false;
    std::optional<ms::csr_matrix<V, I, O>> d;
    try {
      d = ms::read_edge_list<V, I, O>(path, dense);
    } catch (const ms::error&) {}
    // Ids 0..n-1, each used: compaction is the identity (NaN weights included).
    if (d && d->rows() == m->rows()) FUZZ_ASSERT(fuzz::same_bits(*d, *m));
  } else {
    FUZZ_ASSERT(ids.empty());
  }
  fuzz::check_built(*m, options.build);
  FUZZ_ASSERT(m->rows() == m->cols());
  FUZZ_ASSERT(m->nnz() > 0 || options.build.drop_self_loops);
  FUZZ_ASSERT(options.num_vertices < 0 || m->rows() == options.num_vertices);
  FUZZ_ASSERT(m->has_values() == (options.weighted && m->nnz() > 0));
  if (m->nnz() == 0 || fuzz::any_nan(std::span<const V>(m->values()))) return;
  // Round trip: what the writer writes, the reader reads back unchanged.
  const auto again = fuzz::scratch() / "again.txt";
  ms::write_edge_list(again, m->view(), {.one_based = options.one_based, .separator = ','});
  try {
    const auto back = ms::read_edge_list<V, I, O>(
        again, {.one_based = options.one_based, .weighted = m->has_values(), .num_vertices = m->rows()});
    FUZZ_ASSERT(back == *m);
  } catch (const ms::error& e) {
    std::fprintf(stderr, "re-reading the written edge list failed: %s\n", e.what());
    fuzz::finding("write_edge_list output not readable by read_edge_list");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool gz = (flags & 4) != 0;
  const auto path = fuzz::scratch() / (gz ? "input.txt.gz" : "input.txt");
  fuzz::write_file(path, text);
  matsample::edge_list_options options;
  options.one_based = (flags & 1) != 0;
  options.weighted = (flags & 2) != 0;
  options.build = {(flags & 8) != 0, (flags & 16) != 0, (flags & 32) != 0};
  if ((flags & 65) == 65) {
    options.compact_ids = true;
    options.one_based = false;
  } else if ((flags & 64) != 0) {
    options.num_vertices = 50;
  }
  if ((flags & 128) != 0) {
    run<double, std::int64_t, std::int32_t>(path, options);
  } else {
    run<float, std::int32_t, std::int64_t>(path, options);
  }
  return 0;
}
