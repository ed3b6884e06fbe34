// graph_tool: converts any supported input into a matsample snapshot and
// prints graph statistics.
//   graph_tool stats   INPUT [options]
//   graph_tool convert INPUT OUTPUT.snap [options]
//   graph_tool typed   INPUT OUTPUT_DIR --features-as-type NAME [options]
// `typed` turns the feature columns into vertices of a new type (Cora as
// papers and words) and writes the typed graph in OGB's heterogeneous layout;
// `stats` on such a directory prints each type and relation, and `convert`
// writes it as a typed snapshot.
// INPUT is an OGB raw-layout directory, a Matrix Market file (.mtx), an edge
// list (anything else, .gz allowed) or a snapshot (.snap). An edge list may
// come with per-vertex tables (--features, --labels, --split-file) in its
// own ids; --compact-ids numbers sparse ids 0..n-1 and keeps the id map
// (--write-ids, and in the snapshot). See docs/io.md.
#include <matsample/io.hpp>
#include <matsample/matsample.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using graph_data = matsample::graph_data<float, std::int64_t, std::int64_t>;

struct input_options {
  std::string format = "auto";
  std::string split;
  bool one_based = false, weighted = false, symmetrize = false, drop_self_loops = false, merge_duplicates = false;
  bool compact_ids = false;
  std::int64_t num_vertices = -1;
  std::string features, labels;
  std::map<std::string, std::string> split_files;  ///< name -> file of ids
  std::vector<double> random_split;                ///< train[, valid[, test]] fractions
  std::uint64_t split_seed = 0;
};

/// Replaces the splits with a random train/valid/test split of the labelled
/// vertices (of all vertices when there are no labels).
void split_at_random(graph_data& data, const input_options& o) {
  if (o.random_split.size() > 3) {
    throw matsample::argument_error("--random-split: at most 3 fractions (train, valid, test)");
  }
  std::vector<std::int64_t> candidates;
  for (std::int64_t v = 0; v < data.graph.rows(); ++v) {
    if (data.labels.empty() || data.labels[static_cast<std::size_t>(v)] >= 0) candidates.push_back(v);
  }
  const auto parts = matsample::random_split<std::int64_t>(candidates, o.random_split, o.split_seed);
  const char* names[] = {"train", "valid", "test"};
  data.splits.clear();
  for (std::size_t p = 0; p < parts.size(); ++p) data.splits[names[p]] = parts[p];
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string detect(const std::filesystem::path& input, const std::string& format) {
  if (format != "auto") return format;
  const std::string name = input.string();
  if (std::filesystem::is_directory(input)) return "ogb";
  if (ends_with(name, ".snap")) return "snapshot";
  if (ends_with(name, ".mtx") || ends_with(name, ".mtx.gz")) return "mtx";
  return "edges";
}

/// Features, labels and splits for an edge list. Text tables name vertices
/// by the file's ids (through the id map when compacted); .npy arrays are
/// indexed by vertex (0..n-1: for compacted ids, in increasing original id),
/// except split arrays, which hold ids as the text tables do.
void attach_tables(graph_data& data, const input_options& o) {
  const std::int64_t n = data.graph.rows();
  const auto npy = [](const std::string& file) { return ends_with(file, ".npy"); };
  const auto require_rows = [&](const std::string& file, const std::vector<std::int64_t>& shape, std::size_t rank) {
    if (shape.size() != rank || shape[0] != n) {
      std::string dims;
      for (const auto e : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(e);
      throw matsample::format_error(file + ": shape (" + dims + ") but the graph has " + std::to_string(n) +
                                    " vertices (expected " + (rank == 1 ? "(n,)" : "(n, d)") + ")");
    }
  };
  if (npy(o.features)) {
    auto a = matsample::read_npy<float>(o.features);
    require_rows(o.features, a.shape, 2);
    data.feature_dim = a.shape[1];
    data.features = std::move(a.values);
  } else if (!o.features.empty()) {
    data.features = matsample::read_vertex_features(o.features, n, data.feature_dim, data.original_ids);
  }
  if (npy(o.labels)) {
    auto a = matsample::read_npy<std::int32_t>(o.labels);
    require_rows(o.labels, a.shape, 1);
    for (std::size_t v = 0; v < a.values.size(); ++v) {
      if (a.values[v] < -1) {
        throw matsample::format_error(o.labels + ": label " + std::to_string(a.values[v]) + " of vertex " +
                                      std::to_string(v) + " (labels are >= 0, -1 for none)");
      }
    }
    data.labels = std::move(a.values);
  } else if (!o.labels.empty()) {
    data.labels = matsample::read_vertex_labels(o.labels, n, data.original_ids);
  }
  for (const auto& [name, file] : o.split_files) {
    if (!npy(file)) {
      data.splits[name] = matsample::read_vertex_ids<std::int64_t>(file, n, data.original_ids);
      continue;
    }
    const auto a = matsample::read_npy<std::int64_t>(file);
    if (a.shape.size() != 1) throw matsample::format_error(file + ": a split is a one-dimensional array of ids");
    if (!data.original_ids.empty()) {
      data.splits[name] = matsample::to_vertices<std::int64_t>(data.original_ids, a.values, file);
      continue;
    }
    for (const auto v : a.values) {
      if (v < 0 || v >= n) {
        throw matsample::out_of_range_error(file + ": vertex id " + std::to_string(v) + " out of range [0, " +
                                            std::to_string(n) + ")");
      }
    }
    data.splits[name] = a.values;
  }
}

graph_data load(const std::filesystem::path& input, const input_options& o) {
  const matsample::build_options build{o.symmetrize, o.drop_self_loops, o.merge_duplicates};
  const std::string format = detect(input, o.format);
  graph_data data;
  const bool tables = !o.features.empty() || !o.labels.empty() || !o.split_files.empty();
  if (format != "edges" && (o.compact_ids || o.num_vertices >= 0 || tables)) {
    throw matsample::argument_error(
        "--compact-ids, --num-vertices, --features, --labels and --split-file apply to "
        "edge lists only (this input is read as " +
        format + ")");
  }
  if (format == "ogb") {
    return matsample::read_ogb<float, std::int64_t, std::int64_t>(input, {.add_inverse_edges = true,
                                                                          .drop_self_loops = o.drop_self_loops,
                                                                          .merge_duplicates = o.merge_duplicates,
                                                                          .split = o.split});
  }
  if (format == "mtx") {
    data.graph = matsample::read_matrix_market<float, std::int64_t, std::int64_t>(input, build);
  } else if (format == "edges") {
    data.graph = matsample::read_edge_list<float, std::int64_t, std::int64_t>(input,
                                                                              {.one_based = o.one_based,
                                                                               .weighted = o.weighted,
                                                                               .num_vertices = o.num_vertices,
                                                                               .build = build,
                                                                               .compact_ids = o.compact_ids},
                                                                              &data.original_ids);
    attach_tables(data, o);
  } else if (format == "snapshot") {
    const matsample::snapshot<float, std::int64_t, std::int64_t> snap(input);
    const auto& v = snap.view();
    data.graph = matsample::csr_matrix<float, std::int64_t, std::int64_t>(v.graph);
    data.feature_dim = v.feature_dim;
    data.features.assign(v.features.begin(), v.features.end());
    data.labels.assign(v.labels.begin(), v.labels.end());
    for (const auto& [name, ids] : v.splits) data.splits[name].assign(ids.begin(), ids.end());
    data.original_ids.assign(v.original_ids.begin(), v.original_ids.end());
  } else {
    throw matsample::argument_error("unknown format '" + format + "' (auto, ogb, mtx, edges, snapshot)");
  }
  return data;
}

/// The process's peak resident set in MB (Linux), or -1 where unknown.
double peak_resident_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1e3;
  }
  return -1;
}

double bytes_mb(const graph_data& data) {
  const auto& g = data.graph;
  const auto bytes = [](const auto& array) { return static_cast<double>(array.size() * sizeof(array[0])); };
  return (bytes(g.indptr()) + bytes(g.indices()) + bytes(g.values()) + bytes(data.features)) / 1e6;
}

void print_stats(const graph_data& data) {
  const auto& g = data.graph;
  std::int64_t min_degree = g.rows() > 0 ? g.nnz() : 0, max_degree = 0, self_loops = 0, isolated = 0;
  std::int64_t duplicates = 0, one_way = 0;  // entries equal to the one before; (u, v) without (v, u)
  const auto has_entry = [&](std::int64_t u, std::int64_t v) {
    const auto first = g.indices().begin() + g.indptr()[u], last = g.indices().begin() + g.indptr()[u + 1];
    return std::binary_search(first, last, v);  // rows are sorted by column
  };
  for (std::int64_t v = 0; v < g.rows(); ++v) {
    const auto degree = g.indptr()[v + 1] - g.indptr()[v];
    min_degree = std::min(min_degree, degree);
    max_degree = std::max(max_degree, degree);
    isolated += degree == 0;
    for (auto e = g.indptr()[v]; e < g.indptr()[v + 1]; ++e) {
      const auto u = g.indices()[e];
      self_loops += u == v;
      duplicates += e > g.indptr()[v] && g.indices()[e - 1] == u;
      one_way += g.rows() == g.cols() && u != v && !has_entry(u, v);
    }
  }
  std::printf("vertices          %lld\n", static_cast<long long>(g.rows()));
  std::printf("edges (directed)  %lld\n", static_cast<long long>(g.nnz()));
  std::printf("degree min/mean/max  %lld / %.2f / %lld\n", static_cast<long long>(min_degree),
              g.rows() > 0 ? static_cast<double>(g.nnz()) / static_cast<double>(g.rows()) : 0.0,
              static_cast<long long>(max_degree));
  std::printf("self loops        %lld\n", static_cast<long long>(self_loops));
  std::printf("duplicate edges   %lld (repeats of an edge already counted; --merge-duplicates drops them)\n",
              static_cast<long long>(duplicates));
  std::printf("one-way edges     %lld (u -> v without v -> u; %s)\n", static_cast<long long>(one_way),
              one_way == 0 ? "the graph is symmetric" : "--symmetrize adds the reverses");
  std::printf("isolated vertices %lld\n", static_cast<long long>(isolated));
  std::printf("edge weights      %s\n", g.has_values() ? "yes" : "no");
  if (data.feature_dim > 0)
    std::printf("features          %lld per vertex\n", static_cast<long long>(data.feature_dim));
  if (!data.labels.empty()) std::printf("classes           %d\n", data.view().num_classes());
  for (const auto& [name, ids] : data.splits) std::printf("split %-11s %zu vertices\n", name.c_str(), ids.size());
  if (!data.original_ids.empty()) {
    std::printf("compacted ids     %lld .. %lld\n", static_cast<long long>(data.original_ids.front()),
                static_cast<long long>(data.original_ids.back()));
  }
}

using typed_data = matsample::typed_graph_data<float, std::int64_t, std::int64_t>;

/// Whether `input` is an OGB heterogeneous directory (raw/num-node-dict).
bool is_typed_ogb(const std::filesystem::path& input) {
  return matsample::io::find_csv(input / "raw", "num-node-dict").has_value();
}

void print_typed_stats(const typed_data& data) {
  const auto& schema = data.graph.schema();
  std::printf("vertices          %lld of %d types\n", static_cast<long long>(schema.num_vertices()),
              schema.num_types());
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& tv = data.types[static_cast<std::size_t>(t)];
    std::printf("  %-15s %lld", schema.vertex_types[static_cast<std::size_t>(t)].c_str(),
                static_cast<long long>(schema.num_vertices(t)));
    if (tv.feature_dim > 0) std::printf(", %lld features", static_cast<long long>(tv.feature_dim));
    if (!tv.labels.empty()) std::printf(", %d classes", tv.num_classes());
    for (const auto& [name, ids] : tv.splits) std::printf(", %s %zu", name.c_str(), ids.size());
    std::printf("\n");
  }
  std::printf("edges             %lld in %d relations\n", static_cast<long long>(data.graph.view().num_edges()),
              schema.num_relations());
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto a = data.graph.relation(r).view();
    std::int64_t max_degree = 0, empty_rows = 0;
    for (std::int64_t u = 0; u < a.rows(); ++u) {
      const auto degree = static_cast<std::int64_t>(a.indptr()[u + 1] - a.indptr()[u]);
      max_degree = std::max(max_degree, degree);
      empty_rows += degree == 0;
    }
    std::printf("  %-40s %lld entries, degree mean %.2f max %lld, %lld rows without any\n",
                schema.canonical_name(r).c_str(), static_cast<long long>(a.nnz()),
                a.rows() > 0 ? static_cast<double>(a.nnz()) / static_cast<double>(a.rows()) : 0.0,
                static_cast<long long>(max_degree), static_cast<long long>(empty_rows));
  }
}

/// The id map, one original id per line: line v + 1 holds vertex v's id.
void write_ids(const std::string& path, const graph_data& data) {
  if (data.original_ids.empty()) {
    throw matsample::argument_error("--write-ids: the ids were not compacted (add --compact-ids)");
  }
  std::ofstream out(path);
  for (const auto id : data.original_ids) out << id << '\n';
  out.close();
  if (!out) throw matsample::error("cannot write the id map to " + path);
  std::printf("wrote %s (%zu ids)\n", path.c_str(), data.original_ids.size());
}

/// CLI11 check for seeds: CLI11 reads "-1" into a uint64_t as 2^64 - 1.
const CLI::Validator unsigned_seed(
    [](std::string& value) {
      return value.find('-') == std::string::npos ? std::string() : "a seed is a number >= 0, not " + value;
    },
    "SEED >= 0");

}  // namespace

int main(int argc, char** argv) {
  return matsample::guarded_main("graph_tool", [&] {
    CLI::App app{"Convert graphs to matsample snapshots and print their statistics"};
    app.require_subcommand(1);
    input_options o;
    std::string input, output, ids_path, memory_limit;
    std::vector<std::string> split_files;
    const auto add_input = [&](CLI::App* cmd) {
      cmd->add_option("input", input, "OGB directory, .mtx, edge list or .snap")->required();
      cmd->add_option("--format", o.format, "auto, ogb, mtx, edges or snapshot")->capture_default_str();
      cmd->add_option("--split", o.split, "OGB split name (default: the only one)");
      cmd->add_flag("--one-based", o.one_based, "edge list ids start at 1");
      cmd->add_flag("--weighted", o.weighted, "edge list has a weight column");
      cmd->add_flag("--symmetrize", o.symmetrize, "add the reverse of every edge");
      cmd->add_flag("--drop-self-loops", o.drop_self_loops, "discard (i, i) edges");
      cmd->add_flag("--merge-duplicates", o.merge_duplicates, "keep one copy of repeated edges (weights summed)");
      cmd->add_flag("--compact-ids", o.compact_ids,
                    "edge list: number the ids that occur 0..n-1 in increasing order (any int64 ids)");
      cmd->add_option("--num-vertices", o.num_vertices, "edge list: the vertex count, isolated vertices included");
      cmd->add_option("--features", o.features,
                      "edge list: feature rows 'id f1 ... fd', one per vertex, or an (n, d) .npy array");
      cmd->add_option("--labels", o.labels,
                      "edge list: 'id label' rows (vertices without one are unlabelled), or an (n,) .npy array");
      cmd->add_option("--split-file", split_files,
                      "edge list: NAME=FILE, a split of vertex ids, one per line or a .npy array");
      cmd->add_option("--random-split", o.random_split,
                      "replace the splits by a random one of the labelled vertices (all without labels): "
                      "train[,valid[,test]] fractions, e.g. 0.8,0.1,0.1")
          ->delimiter(',');
      cmd->add_option("--split-seed", o.split_seed, "seed of --random-split")
          ->check(unsigned_seed)
          ->capture_default_str();
      cmd->add_option("--write-ids", ids_path, "write the id map of --compact-ids, one original id per line");
      cmd->add_option("--memory-limit", memory_limit,
                      "refuse inputs that need more memory than this (bytes, or K/M/G/T); "
                      "default: the cgroup limit, ulimit -v or physical memory");
    };
    auto* stats = app.add_subcommand("stats", "print graph statistics");
    add_input(stats);
    auto* convert = app.add_subcommand("convert", "write a snapshot and print statistics");
    add_input(convert);
    convert->add_option("output", output, "snapshot file to write")->required();
    auto* typed = app.add_subcommand(
        "typed", "turn feature columns into vertices of a new type and write OGB's heterogeneous layout");
    add_input(typed);
    matsample::features_as_type_options as_type;
    bool no_reverse = false;
    typed->add_option("output", output, "directory to write (OGB heterogeneous raw layout)")->required();
    typed
        ->add_option("--features-as-type", as_type.feature_type,
                     "name of the new type: one vertex per feature column, linked from each vertex whose "
                     "feature there is nonzero")
        ->required();
    typed->add_option("--vertex-type", as_type.vertex_type, "name of the input's vertices")->capture_default_str();
    typed->add_option("--relation", as_type.relation, "name of the input's edges")->capture_default_str();
    typed->add_option("--has-feature", as_type.has_feature, "name of the vertex -> feature relation")
        ->capture_default_str();
    typed->add_flag("--keep-features", as_type.keep_features, "keep the vertices' feature rows as well");
    typed->add_flag("--weighted-features", as_type.weighted, "the vertex -> feature edges carry the feature values");
    typed->add_flag("--no-reverse", no_reverse, "do not add the reverse relations (rev_<name>)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) { return app.exit(e); }
    for (const auto& spec : split_files) {
      const auto eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
        throw matsample::argument_error("--split-file " + spec + ": expected NAME=FILE");
      }
      o.split_files[spec.substr(0, eq)] = spec.substr(eq + 1);
    }
    if (!memory_limit.empty()) {
      const auto bytes = matsample::parse_byte_size(memory_limit);
      if (bytes <= 0) throw matsample::argument_error("--memory-limit " + memory_limit + ": not a size");
      matsample::set_memory_limit(bytes);
    }

    const auto t0 = std::chrono::steady_clock::now();
    if (convert->parsed() && is_typed_ogb(input)) {  // a typed directory becomes a typed snapshot
      const auto typed_input = matsample::read_ogb_typed<float, std::int64_t, std::int64_t>(input, {.split = o.split});
      matsample::write_typed_snapshot(output, typed_input);
      std::printf("wrote %s (typed snapshot, %.1f MB)\n", output.c_str(),
                  static_cast<double>(std::filesystem::file_size(output)) / 1e6);
      print_typed_stats(typed_input);
      return 0;
    }
    if (stats->parsed() && is_typed_ogb(input)) {
      const auto typed_input = matsample::read_ogb_typed<float, std::int64_t, std::int64_t>(input, {.split = o.split});
      std::printf("loaded %s in %.3f s (OGB heterogeneous layout)\n", input.c_str(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      print_typed_stats(typed_input);
      return 0;
    }
    graph_data data = load(input, o);
    if (!o.random_split.empty()) split_at_random(data, o);
    std::printf("loaded %s in %.3f s; peak resident %.0f MB, graph and features %.0f MB\n", input.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), peak_resident_mb(),
                bytes_mb(data));
    print_stats(data);
    if (!ids_path.empty()) write_ids(ids_path, data);
    if (typed->parsed()) {
      as_type.add_reverse = !no_reverse;
      const auto converted = matsample::features_as_vertex_type(data.view(), as_type);
      matsample::write_ogb_typed(output, converted, o.split.empty() ? "default" : o.split);
      std::printf("wrote %s (OGB heterogeneous layout)\n", output.c_str());
      print_typed_stats(converted);
      return 0;
    }
    if (!output.empty()) {
      matsample::write_snapshot(output, data.view());
      std::printf("wrote %s (%.1f MB)\n", output.c_str(),
                  static_cast<double>(std::filesystem::file_size(output)) / 1e6);
    }
    return 0;
  });
}
