// libFuzzer harness for read_ogb_typed: a whole heterogeneous OGB directory
// with vertex types a and b (as the seeds name them; the fuzzed texts may
// name others).
//
// Input: an option byte, a presence byte, then the files' texts separated by
// NUL bytes, in this order: raw/num-node-dict.csv,
// raw/triplet-type-list.csv, raw/relations/a___r___b/edge.csv,
// raw/relations/a___r___b/num-edge-list.csv, raw/relations/b___s___b/edge.csv,
// raw/node-feat/a/node-feat.csv, raw/node-label/b/node-label.csv,
// split/s/a/train.csv. The first is written whenever the input has it; file
// f >= 1 when presence bit f - 1 is set.
// Option byte: bits 0-2 add_reverse_relations / drop_self_loops /
// merge_duplicates, bit 3 read_features off, bit 4 <double, int64, int64>
// instead of <float, int32, int64>.
// Oracles: every relation a valid CSR of its types' shape, features
// count x dim, labels count long (>= -1), split ids in their type's range;
// and write_ogb_typed -> read_ogb_typed gives the same data back.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz_common.hpp"

namespace {

constexpr std::array<const char*, 8> files{"raw/num-node-dict.csv",
                                           "raw/triplet-type-list.csv",
                                           "raw/relations/a___r___b/edge.csv",
                                           "raw/relations/a___r___b/num-edge-list.csv",
                                           "raw/relations/b___s___b/edge.csv",
                                           "raw/node-feat/a/node-feat.csv",
                                           "raw/node-label/b/node-label.csv",
                                           "split/s/a/train.csv"};

template <class V, class I, class O>
void run(const fuzz::fs::path& dir, const matsample::ogb_typed_options& options) {
  namespace ms = matsample;
  std::optional<ms::typed_graph_data<V, I, O>> d;
  try {
    d = ms::read_ogb_typed<V, I, O>(dir, options);
  } catch (const ms::error&) { return; }
  const auto& schema = d->graph.schema();
  FUZZ_ASSERT(d->types.size() == static_cast<std::size_t>(schema.num_types()));
  bool empty = false;
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    const auto a = d->graph.relation(r).view();
    FUZZ_ASSERT(a.rows() == schema.num_vertices(rel.row_type) && a.cols() == schema.num_vertices(rel.col_type));
    ms::validate(a);
    empty = empty || a.nnz() == 0;
  }
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& tv = d->types[static_cast<std::size_t>(t)];
    const auto n = schema.num_vertices(t);
    if (!tv.features.empty()) {
      FUZZ_ASSERT(tv.feature_dim > 0 && static_cast<std::int64_t>(tv.features.size()) == n * tv.feature_dim);
      for (const float x : tv.features) FUZZ_ASSERT(std::isfinite(x));
    }
    FUZZ_ASSERT(tv.labels.empty() || static_cast<std::int64_t>(tv.labels.size()) == n);
    for (const auto label : tv.labels) FUZZ_ASSERT(label >= -1);
    for (const auto& [name, ids] : tv.splits) {
      empty = empty || ids.empty();
      for (const I v : ids) FUZZ_ASSERT(v >= 0 && v < n);
    }
  }
  // Round trip (an empty relation or split is written as an empty file, which
  // the reader takes only where a count vouches for it: left out here).
  if (empty) return;
  const auto again = fuzz::scratch() / "again";
  std::error_code ec;
  fuzz::fs::remove_all(again, ec);
  ms::write_ogb_typed(again, *d, "s");
  try {
    const auto back = ms::read_ogb_typed<V, I, O>(again);
    FUZZ_ASSERT(back.graph == d->graph);
    for (std::size_t t = 0; t < d->types.size(); ++t) {
      FUZZ_ASSERT(back.types[t].features == d->types[t].features);
      FUZZ_ASSERT(back.types[t].labels == d->types[t].labels);
      FUZZ_ASSERT(back.types[t].splits == d->types[t].splits);
    }
  } catch (const ms::error& e) {
    std::fprintf(stderr, "re-reading the written typed OGB directory failed: %s\n", e.what());
    fuzz::finding("write_ogb_typed output not readable by read_ogb_typed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0], present = data[1];
  const auto parts = fuzz::split_parts({reinterpret_cast<const char*>(data + 2), size - 2}, files.size());
  const auto dir = fuzz::scratch() / "typed";
  std::error_code ec;
  fuzz::fs::remove_all(dir, ec);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (p >= 1 && (present & (1u << (p - 1))) == 0) continue;
    fuzz::fs::create_directories((dir / files[p]).parent_path(), ec);
    fuzz::write_file(dir / files[p], parts[p]);
  }
  fuzz::fs::create_directories(dir / "raw", ec);
  matsample::ogb_typed_options options;
  options.add_reverse_relations = (flags & 1) != 0;
  options.drop_self_loops = (flags & 2) != 0;
  options.merge_duplicates = (flags & 4) != 0;
  options.read_features = (flags & 8) == 0;
  if ((flags & 16) != 0) {
    run<double, std::int64_t, std::int64_t>(dir, options);
  } else {
    run<float, std::int32_t, std::int64_t>(dir, options);
  }
  return 0;
}
