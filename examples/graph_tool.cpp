// graph_tool: converts any supported input into a matsample snapshot and
// prints graph statistics.
//   graph_tool stats   INPUT
//   graph_tool convert INPUT OUTPUT.snap
// INPUT is an OGB raw-layout directory, a Matrix Market file (.mtx), an edge
// list (anything else, .gz allowed) or a snapshot (.snap).
#include <matsample/io.hpp>
#include <matsample/matsample.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using graph_data = matsample::graph_data<float, std::int64_t, std::int64_t>;

struct input_options {
  std::string format = "auto";
  std::string split;
  bool one_based = false, weighted = false, symmetrize = false, drop_self_loops = false, merge_duplicates = false;
};

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

graph_data load(const std::filesystem::path& input, const input_options& o) {
  const matsample::build_options build{o.symmetrize, o.drop_self_loops, o.merge_duplicates};
  const std::string format = detect(input, o.format);
  graph_data data;
  if (format == "ogb") {
    return matsample::read_ogb<float, std::int64_t, std::int64_t>(input, {.add_inverse_edges = true,
                                                                          .drop_self_loops = o.drop_self_loops,
                                                                          .merge_duplicates = o.merge_duplicates,
                                                                          .split = o.split});
  }
  if (format == "mtx") {
    data.graph = matsample::read_matrix_market<float, std::int64_t, std::int64_t>(input, build);
  } else if (format == "edges") {
    data.graph = matsample::read_edge_list<float, std::int64_t, std::int64_t>(
        input, {.one_based = o.one_based, .weighted = o.weighted, .build = build});
  } else if (format == "snapshot") {
    const matsample::snapshot<float, std::int64_t, std::int64_t> snap(input);
    const auto& v = snap.view();
    data.graph = matsample::csr_matrix<float, std::int64_t, std::int64_t>(v.graph);
    data.feature_dim = v.feature_dim;
    data.features.assign(v.features.begin(), v.features.end());
    data.labels.assign(v.labels.begin(), v.labels.end());
    for (const auto& [name, ids] : v.splits) data.splits[name].assign(ids.begin(), ids.end());
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
  for (std::int64_t v = 0; v < g.rows(); ++v) {
    const auto degree = g.indptr()[v + 1] - g.indptr()[v];
    min_degree = std::min(min_degree, degree);
    max_degree = std::max(max_degree, degree);
    isolated += degree == 0;
    for (auto e = g.indptr()[v]; e < g.indptr()[v + 1]; ++e) self_loops += g.indices()[e] == v;
  }
  std::printf("vertices          %lld\n", static_cast<long long>(g.rows()));
  std::printf("edges (directed)  %lld\n", static_cast<long long>(g.nnz()));
  std::printf("degree min/mean/max  %lld / %.2f / %lld\n", static_cast<long long>(min_degree),
              g.rows() > 0 ? static_cast<double>(g.nnz()) / static_cast<double>(g.rows()) : 0.0,
              static_cast<long long>(max_degree));
  std::printf("self loops        %lld\n", static_cast<long long>(self_loops));
  std::printf("isolated vertices %lld\n", static_cast<long long>(isolated));
  std::printf("edge weights      %s\n", g.has_values() ? "yes" : "no");
  if (data.feature_dim > 0)
    std::printf("features          %lld per vertex\n", static_cast<long long>(data.feature_dim));
  if (!data.labels.empty()) std::printf("classes           %d\n", data.view().num_classes());
  for (const auto& [name, ids] : data.splits) std::printf("split %-11s %zu vertices\n", name.c_str(), ids.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Convert graphs to matsample snapshots and print their statistics"};
  app.require_subcommand(1);
  input_options o;
  std::string input, output;
  const auto add_input = [&](CLI::App* cmd) {
    cmd->add_option("input", input, "OGB directory, .mtx, edge list or .snap")->required();
    cmd->add_option("--format", o.format, "auto, ogb, mtx, edges or snapshot")->capture_default_str();
    cmd->add_option("--split", o.split, "OGB split name (default: the only one)");
    cmd->add_flag("--one-based", o.one_based, "edge list ids start at 1");
    cmd->add_flag("--weighted", o.weighted, "edge list has a weight column");
    cmd->add_flag("--symmetrize", o.symmetrize, "add the reverse of every edge");
    cmd->add_flag("--drop-self-loops", o.drop_self_loops, "discard (i, i) edges");
    cmd->add_flag("--merge-duplicates", o.merge_duplicates, "keep one copy of repeated edges (weights summed)");
  };
  auto* stats = app.add_subcommand("stats", "print graph statistics");
  add_input(stats);
  auto* convert = app.add_subcommand("convert", "write a snapshot and print statistics");
  add_input(convert);
  convert->add_option("output", output, "snapshot file to write")->required();
  CLI11_PARSE(app, argc, argv);

  try {
    const auto t0 = std::chrono::steady_clock::now();
    const graph_data data = load(input, o);
    std::printf("loaded %s in %.3f s; peak resident %.0f MB, graph and features %.0f MB\n", input.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), peak_resident_mb(),
                bytes_mb(data));
    print_stats(data);
    if (!output.empty()) {
      matsample::write_snapshot(output, data.view());
      std::printf("wrote %s (%.1f MB)\n", output.c_str(),
                  static_cast<double>(std::filesystem::file_size(output)) / 1e6);
    }
  } catch (const matsample::error& e) {
    std::fprintf(stderr, "graph_tool: %s\n", e.what());
    return 1;
  }
}
