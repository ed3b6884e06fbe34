// Writes the seed corpora of the fuzz harnesses: small valid inputs made by
// the library's own writers (plus a few hand-written variants), each
// prefixed with the harness's flag bytes. Run by fuzz/run at run time, so no
// corpus data is committed.
//
// usage: make_seeds OUTPUT_DIR   (creates OUTPUT_DIR/<harness>/<seed>)

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "matsample/io.hpp"
#include "matsample/matsample.hpp"

namespace fs = std::filesystem;
namespace ms = matsample;
using i32 = std::int32_t;
using i64 = std::int64_t;

namespace {

fs::path out_root, tmp;

std::string slurp(const fs::path& p) {
  if (p.extension() == ".gz") {  // inflate: the text harnesses mostly take plain text
    gzFile f = gzopen(p.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error("cannot open " + p.string());
    std::string text;
    char buffer[1 << 14];
    for (int r; (r = gzread(f, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(r));
    gzclose(f);
    return text;
  }
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string raw_file(const fs::path& p) {  // the bytes as they are, compressed or not
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gzip(const std::string& text) {
  const auto p = tmp / "gzip.gz";
  gzFile f = gzopen(p.c_str(), "wb9");
  if (!text.empty()) gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return raw_file(p);
}

void save(const char* harness, const std::string& name, const std::string& prefix, const std::string& body) {
  fs::create_directories(out_root / harness);
  std::ofstream(out_root / harness / name, std::ios::binary) << prefix << body;
}

std::string byte(unsigned b) { return std::string(1, static_cast<char>(b)); }

template <class V, class I, class O>
ms::csr_matrix<V, I, O> with_values(const ms::csr_matrix<V, I, O>& m) {
  std::vector<V> values(static_cast<std::size_t>(m.nnz()));
  for (std::size_t e = 0; e < values.size(); ++e) values[e] = static_cast<V>((static_cast<double>(e % 13) - 6) / 4.0);
  return {m.rows(), m.cols(), m.indptr(), m.indices(), std::move(values)};
}

}  // namespace

static int main_body(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  out_root = argv[1];
  std::string pattern = (fs::temp_directory_path() / "matsample-seeds-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return 1;
  tmp = pattern;

  const auto graph = ms::rmat<float, i32, i64>({.scale = 4, .edge_factor = 2, .seed = 1});
  const auto weighted = with_values(graph);
  const auto directed = ms::rmat<float, i32, i64>(
      {.scale = 4, .edge_factor = 2, .symmetrize = false, .drop_self_loops = false, .seed = 2});
  auto data = ms::csbm<float, i32, i64>({.num_vertices = 24,
                                         .num_classes = 3,
                                         .average_degree = 3,
                                         .feature_dim = 3,
                                         .train_fraction = 0.25,
                                         .valid_fraction = 0.25,
                                         .seed = 1});
  data.labels[0] = -1;

  // ---- edge lists: flags = one_based | weighted << 1 | gz << 2 | build << 3 | bounded << 6 | types << 7
  for (const unsigned flags : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u | 16u | 32u, 2u | 32u, 64u, 128u, 2u | 128u}) {
    const bool one_based = flags & 1, is_weighted = flags & 2, gz = flags & 4;
    const auto p = tmp / (gz ? "el.txt.gz" : "el.txt");
    ms::write_edge_list(p, (is_weighted ? weighted : graph).view(),
                        {.one_based = one_based, .separator = (flags & 8) ? ',' : ' '});
    save("edge_list", "writer-" + std::to_string(flags), byte(flags), raw_file(p));
  }
  ms::write_edge_list(tmp / "d.txt", directed.view(), {.separator = '\t'});
  save("edge_list", "directed", byte(0), raw_file(tmp / "d.txt"));
  save("edge_list", "comments-crlf", byte(0), "# comment\n% another\n\n0 1\r\n1,2\r\n  2\t0  \n3 3\n");
  save("edge_list", "weights", byte(2), "0 1 1.5e3\n1 0 -2\n2 2 +0.25\n1 2 nan\n2 1 inf\n");
  save("edge_list", "gz-concatenated", byte(4), gzip("0 1\n1 2\n") + gzip("2 3\n"));
  // Size claims: ids far beyond the lines (refused, or compacted: flags 65).
  save("edge_list", "claims-2e9-vertices", byte(0), "0 1\n1 2000000000\n");
  save("edge_list", "claims-1e11-vertices-32bit", byte(128), "0 1\n2 99999999999\n");
  save("edge_list", "beyond-int64", byte(0), "0 1\n99999999999999999999 1\n");
  save("edge_list", "compact-sparse", byte(65), "0 1\n1 99999999999\n-5 7\n99999999999 -5\n");
  save("edge_list", "compact-extremes", byte(65 | 128 | 8), "9223372036854775807,-9223372036854775808\n3,3\n");

  // ---- Matrix Market: flags = build (3 bits) | types << 3
  ms::write_matrix_market(tmp / "p.mtx", graph.view());
  save("matrix_market", "pattern", byte(0), raw_file(tmp / "p.mtx"));
  save("matrix_market", "pattern-merge", byte(7), raw_file(tmp / "p.mtx"));
  ms::write_matrix_market(tmp / "r.mtx", weighted.view());
  save("matrix_market", "real", byte(8), raw_file(tmp / "r.mtx"));
  save("matrix_market", "symmetric-integer", byte(2),
       "%%MatrixMarket matrix coordinate integer symmetric\r\n% comment\n\n3 3 4\n1 1 5\n2 1 -2\n3 2 7\n3 3 1\n");
  save("matrix_market", "rectangular", byte(0),
       "%%MatrixMarket matrix coordinate pattern general\n2 4 3\n1 4\n2 1\n2 3\n");
  save("matrix_market", "claims-2e9-rows", byte(0),
       "%%MatrixMarket matrix coordinate pattern general\n2000000000 2000000000 1\n1 2\n");
  save("matrix_market", "claims-1e9-entries", byte(8),
       "%%MatrixMarket matrix coordinate real general\n3 3 1000000000\n1 2 1.0\n");

  // ---- OGB directories: option byte, presence byte, NUL-separated files
  const char* files[] = {"raw/num-node-list.csv.gz", "raw/edge.csv.gz",       "raw/num-edge-list.csv.gz",
                         "raw/node-feat.csv.gz",     "raw/node-label.csv.gz", "split/s/train.csv.gz",
                         "split/s/valid.csv.gz",     "split/s/test.csv.gz"};
  const auto ogb_seed = [&](const fs::path& dir, unsigned flags, const std::string& name) {
    std::string body;
    unsigned present = 0;
    for (std::size_t f = 0; f < std::size(files); ++f) {
      if (f > 0) body += '\0';
      if (fs::exists(dir / files[f])) {
        body += slurp(dir / files[f]);
        if (f >= 2) present |= 1u << (f - 2);
      }
    }
    save("ogb", name, byte(flags) + byte(present), body);
  };
  ms::write_ogb(tmp / "ogb-undirected", data.view(), true, "s");
  ogb_seed(tmp / "ogb-undirected", 1, "csbm-undirected");
  ogb_seed(tmp / "ogb-undirected", 1 | 2 | 4 | 16, "csbm-undirected-wide");
  ms::write_ogb(tmp / "ogb-directed", data.view(), false, "s");
  ogb_seed(tmp / "ogb-directed", 0, "csbm-directed");
  ogb_seed(tmp / "ogb-directed", 8, "csbm-directed-no-features");
  ms::graph_data<float, i32, i64> bare;
  bare.graph = directed;
  ms::write_ogb(tmp / "ogb-bare", bare.view(), false);
  ogb_seed(tmp / "ogb-bare", 0, "rmat-directed");
  using namespace std::string_literals;
  // ---- typed OGB directories: option byte, presence byte, NUL-separated files
  const char* typed_files[] = {"raw/num-node-dict.csv.gz",
                               "raw/triplet-type-list.csv.gz",
                               "raw/relations/a___r___b/edge.csv.gz",
                               "raw/relations/a___r___b/num-edge-list.csv.gz",
                               "raw/relations/b___s___b/edge.csv.gz",
                               "raw/node-feat/a/node-feat.csv.gz",
                               "raw/node-label/b/node-label.csv.gz",
                               "split/s/a/train.csv.gz"};
  {
    auto typed = ms::typed_csbm<float, i32, i64>({.vertex_types = {"a", "b"},
                                                  .counts = {40, 30},
                                                  .relations = {{0, "r", 1, 3, 0.8}, {1, "s", 1, 2, 0.7}},
                                                  .add_reverse = false,
                                                  .target_type = 1,
                                                  .feature_dim = 3});
    typed.types[0].splits["train"] = {1, 5, 7};  // a split of the other type too
    ms::write_ogb_typed(tmp / "ogb-typed", typed, "s");
    std::string body;
    unsigned present = 0;
    for (std::size_t f = 0; f < std::size(typed_files); ++f) {
      if (f > 0) body += '\0';
      if (fs::exists(tmp / "ogb-typed" / typed_files[f])) {
        body += slurp(tmp / "ogb-typed" / typed_files[f]);
        if (f >= 1) present |= 1u << (f - 1);
      }
    }
    save("ogb_typed", "typed-csbm", byte(0) + byte(present), body);
    save("ogb_typed", "typed-csbm-reverse-wide", byte(1 | 4 | 16) + byte(present), body);
    save("ogb_typed", "typed-csbm-relation-folders", byte(0) + byte(present & ~1u), body);
    using namespace std::string_literals;
    save("ogb_typed", "claims-3e9-vertices", byte(0) + byte(2), "a,b\n3000000000,2\n\0"s + "\0"s + "0,1\n");
  }
  save("ogb", "claims-2e9-vertices", byte(0) + byte(0), "2000000000\n\0"s + "0,1\n1,2\n");
  save("ogb", "claims-5e9-edges", byte(16) + byte(1), "3\n\0"s + "0,1\n1,2\n\0"s + "5000000000\n");
  save("ogb", "claims-features", byte(0) + byte(2), "40000000\n\0"s + "0,1\n\0"s + "\0"s + "1,2,3\n");

  // ---- OGB columns: selector (0 count, 1 labels, 2 ids, 3 features; +4 gzip), parameter
  const auto column = [&](unsigned selector, unsigned parameter, const std::string& name, const std::string& text) {
    save("ogb_columns", name, byte(selector) + byte(parameter), text);
    save("ogb_columns", name + ".gz", byte(selector | 4) + byte(parameter), gzip(text));
  };
  column(0, 0, "count", slurp(tmp / "ogb-undirected" / "raw" / "num-node-list.csv.gz"));
  column(1, 0, "labels", slurp(tmp / "ogb-undirected" / "raw" / "node-label.csv.gz"));
  column(2, 24, "split-ids", slurp(tmp / "ogb-undirected" / "split" / "s" / "train.csv.gz"));
  column(3, 24, "features", slurp(tmp / "ogb-undirected" / "raw" / "node-feat.csv.gz"));
  column(3, 3, "features-small", "1,2.5,-3e-2\n+4,5,6\r\n7,8,9\n");

  // ---- snapshots: flags = repair (1) | magic/version (2) | size (4) | types << 3 | no checksums << 5
  const auto snapshot_seed = [&](const auto& view, const std::string& name) {
    const auto p = tmp / "s.snap";
    ms::write_snapshot(p, view);
    const std::string bytes = raw_file(p);
    for (const unsigned flags : {0u, 1u | 2u | 4u, 8u, 16u, 24u, 1u | 32u}) {
      save("snapshot", name + "-" + std::to_string(flags), byte(flags), bytes);
    }
  };
  snapshot_seed(data.view(), "csbm");
  auto weighted_data = data;
  weighted_data.graph = with_values(data.graph);
  snapshot_seed(weighted_data.view(), "csbm-weighted");
  const auto wide = ms::csbm<double, i64, i64>(
      {.num_vertices = 16, .num_classes = 2, .average_degree = 2, .feature_dim = 2, .seed = 4});
  snapshot_seed(wide.view(), "csbm-wide");
  ms::graph_data<float, i32, i32> narrow;
  narrow.graph = ms::rmat<float, i32, i32>({.scale = 3, .edge_factor = 2, .seed = 3});
  snapshot_seed(narrow.view(), "rmat-narrow");
  {  // a typed snapshot: three types, six relations, tables on two types
    const auto typed = ms::typed_csbm<float, i32, i64>({.counts = {12, 6, 2}, .feature_dim = 2, .seed = 5});
    const auto p = tmp / "typed.snap";
    ms::write_typed_snapshot(p, typed);
    const std::string bytes = raw_file(p);
    for (const unsigned flags : {0u, 1u | 2u | 4u, 8u, 16u, 24u, 1u | 32u}) {
      save("snapshot", "typed-csbm-" + std::to_string(flags), byte(flags), bytes);
    }
  }

  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}

// Every exception ends as a message and an exit status (core/guarded_main.hpp).
int main(int argc, char** argv) {
  return matsample::guarded_main("make_seeds", [&] { return main_body(argc, argv); });
}
