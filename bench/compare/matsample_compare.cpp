// matsample's side of bench/compare: prepares the graphs that every system
// samples, and times matsample's samplers on them.
//
//   matsample_compare prepare --rmat SCALE --edge-factor F --out DIR
//   matsample_compare prepare --ogb DATASET_DIR --out DIR
//       Writes DIR/indptr.npy (int64), DIR/indices.npy (int32): the symmetric,
//       de-duplicated CSR without self loops; DIR/seeds.npy (int32, runs x
//       batches*batch): row r is run r's seeds, shuffled non-isolated vertices
//       cut into whole batches (copies of the shuffle are chained on small
//       graphs, so no batch repeats a seed); DIR/edges.npy (int64, the same
//       shape): row r is run r's seed edges for link prediction, shuffled
//       positions e in the CSR of the entries (u, v) with u < v (each
//       undirected edge once); DIR/graph.json: sizes and origin.
//   matsample_compare prepare --typed-csbm PAPERS --out DIR
//       A typed graph (typed_csbm's academic schema: PAPERS papers, half as
//       many authors, 2,000 fields; cites, writes, has_topic and their
//       reverses): DIR/typed.json names the types and relations, and
//       DIR/relation<r>_indptr.npy / relation<r>_indices.npy hold relation
//       r's CSR (rows of its row type gather from its column type);
//       DIR/seeds.npy holds papers, as above.
//   matsample_compare run --graph DIR --sampler nodewise|labor|ladies|link|typed --k K [--fanouts F1,F2,..]
//                         --threads T --batches B --runs R [--huge-pages 0|1]
//                         [--retain-freed-memory 0|1]
//       Loads the npy files (the graph's arrays advised onto 2 MiB pages, as
//       matsample's readers allocate them, unless --huge-pages 0; freed
//       memory kept in the process by matsample::retain_freed_memory with
//       --retain-freed-memory 1, default 0), samples
//       the B batches of each run's seeds k at a
//       time (one untimed warm-up call first) and prints one JSON object:
//       per-run seconds, sampled edges and input vertices (the first block's
//       source nodes, summed over minibatches), the CSR's bytes, and the process's
//       resident memory after loading, its peak while loading, its peak
//       while sampling (VmHWM, reset after loading), and its memory in 2 MiB
//       pages.
//
// Only the sampling calls are timed. Typed: fanouts 15,10,5 (or --fanouts) for every
// relation (DGL's NeighborSampler([5, 10, 15]) on a heterograph), seeds of
// type paper. Node-wise: fanouts 15,10,5 from the
// seeds outwards, uniform, without replacement, de-duplicated blocks (DGL's
// MFGs). LABOR: LABOR-0 (Poisson, uniform, independent layers and
// minibatches) at the same fanouts, as DGL's LaborSampler by default.
// LADIES: 512 columns per layer, 3 layers, keep_frontier. Link: batches of
// 1024 seed edges, one uniform negative each (corrupting the destination),
// the seed edges and their reverses excluded, node-wise blocks as above on
// the de-duplicated endpoints (DGL's as_edge_prediction_sampler with
// exclude='reverse_id' and negative_sampler.Uniform(1)); the timed call
// includes turning the edge positions into pairs.
#include <matsample/io.hpp>
#include <matsample/matsample.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using V = float;
using I = std::int32_t;
using O = std::int64_t;
using graph_type = matsample::csr_matrix<V, I, O>;
using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::int64_t batch_size = 1024;
constexpr std::int64_t seed_runs = 5;      // rows of seeds.npy: the most runs a measurement may take
constexpr std::int64_t seed_batches = 64;  // batches per row: the most a run may sample
constexpr std::uint64_t sampling_seed = 1;
const std::vector<std::int64_t> fanouts{15, 10, 5};
const std::vector<std::int64_t> ladies_sizes{512, 512, 512};

// ---- .npy files (format version 1.0, little-endian, C order) ---------------

template <class T>
constexpr const char* npy_descr() {
  if constexpr (std::is_same_v<T, std::int32_t>)
    return "<i4";
  else
    return "<i8";
}

template <class T>
void write_npy(const fs::path& path, const std::vector<T>& data, std::vector<std::int64_t> shape) {
  std::string dims;
  for (const auto d : shape) dims += std::to_string(d) + ",";
  if (shape.size() > 1) dims.pop_back();  // (n,) for one dimension, (a,b) for two
  std::string header =
      std::string("{'descr': '") + npy_descr<T>() + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');  // data starts at a multiple of 64 bytes
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  const auto length = static_cast<std::uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xff));
  out.put(static_cast<char>(length >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)));
  if (!out) throw matsample::error("cannot write " + path.string());
}

/// Reads a one- or two-dimensional array of T; `shape` receives its dimensions.
template <class T>
std::vector<T> read_npy(const fs::path& path, std::vector<std::int64_t>& shape) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw matsample::error("cannot open " + path.string() + " (run `prepare` first)");
  char magic[10];
  in.read(magic, 10);
  if (!in || std::memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0) {
    throw matsample::format_error(path.string() + ": not a version 1.0 .npy file");
  }
  const auto length =
      static_cast<std::size_t>(static_cast<unsigned char>(magic[8]) | (static_cast<unsigned char>(magic[9]) << 8));
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  if (header.find(std::string("'descr': '") + npy_descr<T>() + "'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    throw matsample::format_error(path.string() + ": expected C-ordered " + npy_descr<T>() + ", header " + header);
  }
  const auto open = header.find("'shape': (");
  const auto close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    throw matsample::format_error(path.string() + ": no shape in header " + header);
  }
  shape.clear();
  std::stringstream dims(header.substr(open + 10, close - open - 10));
  std::int64_t count = 1;
  for (std::string d; std::getline(dims, d, ',');) {
    if (d.find_first_not_of(' ') == std::string::npos) continue;
    shape.push_back(std::stoll(d));
    count *= shape.back();
  }
  std::vector<T> data(static_cast<std::size_t>(count));
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)));
  if (!in) throw matsample::format_error(path.string() + ": truncated data");
  return data;
}

// ---- process memory ---------------------------------------------------------

/// A field of /proc/self/status in MB (Linux), or -1 where unknown.
double status_mb(const char* field) {
  std::ifstream status("/proc/self/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1e3;
  }
  return -1;
}

/// Anonymous memory in 2 MiB pages (/proc/self/smaps_rollup), in MB; -1 if unknown.
double anon_huge_mb() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string key;
  double kb = 0;
  while (rollup >> key) {
    if (key == "AnonHugePages:" && rollup >> kb) return kb / 1e3;
  }
  return -1;
}

/// Resets the peak (VmHWM) to the current resident set, so that the peak
/// read later is that of the sampling phase, not of loading (Linux >= 4.0).
bool reset_peak() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5"); }

// ---- prepare ----------------------------------------------------------------

/// Rows of independently shuffled non-isolated vertices, whole batches only.
std::vector<I> training_seeds(const graph_type& g) {
  std::vector<I> connected;
  for (I v = 0; v < g.rows(); ++v) {
    if (g.indptr()[v + 1] > g.indptr()[v]) connected.push_back(v);
  }
  const std::int64_t whole = static_cast<std::int64_t>(connected.size()) / batch_size * batch_size;
  if (whole == 0) throw matsample::argument_error("graph has fewer than 1024 non-isolated vertices");
  const std::int64_t per_run = seed_batches * batch_size;
  std::vector<I> seeds;
  seeds.reserve(static_cast<std::size_t>(seed_runs * per_run));
  std::uint64_t shuffle = 0;
  for (std::int64_t r = 0; r < seed_runs; ++r) {
    for (std::int64_t filled = 0; filled < per_run; filled += whole) {
      const matsample::epoch_batches<I> order(connected, batch_size, sampling_seed, shuffle++);
      const auto take = std::min(whole, per_run - filled);
      seeds.insert(seeds.end(), order.order().begin(), order.order().begin() + take);
    }
  }
  return seeds;
}

/// Rows of independently shuffled edge positions (u < v), whole batches only.
std::vector<std::int64_t> training_edges(const graph_type& g) {
  std::vector<std::int64_t> upper;
  for (I u = 0; u < g.rows(); ++u) {
    for (auto e = g.indptr()[u]; e < g.indptr()[u + 1]; ++e) {
      if (u < g.indices()[e]) upper.push_back(e);
    }
  }
  const std::int64_t whole = static_cast<std::int64_t>(upper.size()) / batch_size * batch_size;
  if (whole == 0) throw matsample::argument_error("graph has fewer than 1024 edges");
  const std::int64_t per_run = seed_batches * batch_size;
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(seed_runs * per_run));
  std::uint64_t shuffle = 1000;
  for (std::int64_t r = 0; r < seed_runs; ++r) {
    for (std::int64_t filled = 0; filled < per_run; filled += whole) {
      const matsample::epoch_batches<std::int64_t> order(upper, batch_size, sampling_seed, shuffle++);
      const auto take = std::min(whole, per_run - filled);
      out.insert(out.end(), order.order().begin(), order.order().begin() + take);
    }
  }
  return out;
}

/// The academic typed_csbm schema at `papers` papers, written for every system.
int prepare_typed(const fs::path& out, std::int64_t papers) {
  const auto t0 = clock_type::now();
  const auto data =
      matsample::typed_csbm<V, I, O>({.counts = {papers, papers / 2, 2000}, .feature_dim = 1, .seed = sampling_seed});
  const double build_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  const auto& schema = data.graph.schema();
  std::ofstream meta(out / "typed.json");
  meta << "{\"origin\": \"typed_csbm, " << papers << " papers\", \"types\": [";
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    meta << (t ? ", " : "") << "{\"name\": \"" << schema.vertex_types[t] << "\", \"count\": " << schema.num_vertices(t)
         << "}";
  }
  meta << "], \"relations\": [";
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    const auto a = data.graph.relation(r).view();
    meta << (r ? ", " : "") << "{\"name\": \"" << rel.name << "\", \"row_type\": " << rel.row_type
         << ", \"col_type\": " << rel.col_type << ", \"entries\": " << a.nnz() << "}";
    write_npy(out / ("relation" + std::to_string(r) + "_indptr.npy"),
              std::vector<O>(a.indptr().begin(), a.indptr().end()), {a.rows() + 1});
    write_npy(out / ("relation" + std::to_string(r) + "_indices.npy"),
              std::vector<I>(a.indices().begin(), a.indices().end()), {a.nnz()});
  }
  meta << "], \"directed_edges\": " << data.graph.view().num_edges() << ", \"build_seconds\": " << build_s << "}\n";
  std::ofstream plain(out / "typed.txt");  // the same, for matsample_compare run
  plain << schema.num_types() << ' ' << schema.num_relations() << '\n';
  for (std::int32_t t = 0; t < schema.num_types(); ++t)
    plain << schema.vertex_types[t] << ' ' << schema.num_vertices(t) << '\n';
  for (const auto& rel : schema.relations) plain << rel.name << ' ' << rel.row_type << ' ' << rel.col_type << '\n';
  // Seeds: papers that cite something, shuffled per run.
  write_npy(out / "seeds.npy", training_seeds(data.graph.relation(0)), {seed_runs, seed_batches * batch_size});
  std::printf("%s: %lld vertices, %lld entries in %d relations, built in %.1f s\n", out.c_str(),
              static_cast<long long>(schema.num_vertices()), static_cast<long long>(data.graph.view().num_edges()),
              schema.num_relations(), build_s);
  return 0;
}

int prepare(const std::map<std::string, std::string>& args) {
  const fs::path out = args.at("--out");
  fs::create_directories(out);
  if (args.contains("--typed-csbm")) return prepare_typed(out, std::stoll(args.at("--typed-csbm")));
  const auto t0 = clock_type::now();
  graph_type g;
  std::string origin;
  if (args.contains("--rmat")) {
    const int scale = std::stoi(args.at("--rmat"));
    const double factor = args.contains("--edge-factor") ? std::stod(args.at("--edge-factor")) : 16.0;
    g = matsample::rmat<V, I, O>({.scale = scale, .edge_factor = factor});
    origin = "R-MAT scale " + std::to_string(scale) + ", edge factor " + args.at("--edge-factor") +
             " (Graph500 a,b,c = 0.57,0.19,0.19; symmetrized, de-duplicated, no self loops)";
  } else if (args.contains("--ogb")) {
    auto data = matsample::read_ogb<V, I, O>(
        args.at("--ogb"),
        {.add_inverse_edges = true, .drop_self_loops = true, .merge_duplicates = true, .read_features = false});
    g = std::move(data.graph);
    origin = "OGB raw layout " + fs::path(args.at("--ogb")).filename().string() +
             " (inverse edges added, de-duplicated, no self loops)";
  } else {
    throw matsample::argument_error("prepare needs --rmat SCALE or --ogb DIR");
  }
  const double build_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  write_npy(out / "indptr.npy", std::vector<O>(g.indptr().begin(), g.indptr().end()), {g.rows() + 1});
  write_npy(out / "indices.npy", std::vector<I>(g.indices().begin(), g.indices().end()), {g.nnz()});
  write_npy(out / "seeds.npy", training_seeds(g), {seed_runs, seed_batches * batch_size});
  write_npy(out / "edges.npy", training_edges(g), {seed_runs, seed_batches * batch_size});
  std::ofstream meta(out / "graph.json");
  meta << "{\"origin\": \"" << origin << "\", \"vertices\": " << g.rows() << ", \"directed_edges\": " << g.nnz()
       << ", \"csr_bytes\": " << (g.rows() + 1) * 8 + g.nnz() * 4 << ", \"build_seconds\": " << build_s << "}\n";
  std::printf("%s: %lld vertices, %lld directed edges, built in %.1f s\n", out.c_str(),
              static_cast<long long>(g.rows()), static_cast<long long>(g.nnz()), build_s);
  return 0;
}

// ---- run --------------------------------------------------------------------

/// What a measurement's JSON says about its setting.
struct measurement {
  std::string sampler;
  std::int64_t k;
  int threads;
  std::int64_t batches, runs;
  double csr_mb, loaded_mb, load_peak_mb;
  bool peak_reset, huge_pages, retain;
};

/// Prints one measurement as a JSON object: its setting, then `runs` timed
/// runs of its minibatches sampled k at a time by
/// sample(run, first, k, epoch) -> (sampled edges, input vertices), then the
/// peak resident set while sampling.
template <class Sample>
void print_runs(const measurement& m, Sample&& sample) {
  std::printf(
      "{\"system\": \"matsample\", \"sampler\": \"%s\", \"k\": %lld, \"threads\": %d, \"batches\": %lld, "
      "\"batch_size\": %lld, \"csr_mb\": %.1f, \"rss_loaded_mb\": %.1f, \"load_peak_rss_mb\": %.1f, "
      "\"peak_reset\": %s, \"huge_pages\": %s, \"retain_freed_memory\": %s, \"anon_huge_mb\": %.1f, "
      "\"runs\": [",
      m.sampler.c_str(), static_cast<long long>(m.k), m.threads, static_cast<long long>(m.batches),
      static_cast<long long>(batch_size), m.csr_mb, m.loaded_mb, m.load_peak_mb, m.peak_reset ? "true" : "false",
      m.huge_pages ? "true" : "false", m.retain ? "true" : "false", anon_huge_mb());
  for (std::int64_t r = 0; r < m.runs; ++r) {
    std::int64_t edges = 0, inputs = 0;
    double seconds = 0;
    for (std::int64_t first = 0; first < m.batches; first += m.k) {
      const auto t0 = clock_type::now();
      const auto [sampled, input_nodes] = sample(r, first, m.k, static_cast<std::uint64_t>(r));
      seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
      edges += sampled;
      inputs += input_nodes;
    }
    std::printf("%s{\"seconds\": %.6f, \"edges\": %lld, \"input_nodes\": %lld}", r > 0 ? ", " : "", seconds,
                static_cast<long long>(edges), static_cast<long long>(inputs));
  }
  std::printf("], \"peak_rss_mb\": %.1f}\n", status_mb("VmHWM"));
}

/// Typed node-wise sampling of a graph from `prepare --typed-csbm`, k
/// minibatches of 1024 papers per call, as `run` reports untyped samplers.
int run_typed(const fs::path& dir, std::int64_t k, int threads, std::int64_t batches, std::int64_t runs,
              const std::map<std::string, std::string>& args) {
  std::ifstream plain(dir / "typed.txt");
  std::int32_t types = 0, relations = 0;
  if (!(plain >> types >> relations))
    throw matsample::format_error((dir / "typed.txt").string() + ": run prepare --typed-csbm");
  std::vector<std::string> names(static_cast<std::size_t>(types));
  std::vector<std::int64_t> counts(static_cast<std::size_t>(types));
  for (std::int32_t t = 0; t < types; ++t) plain >> names[t] >> counts[t];
  std::vector<matsample::relation_type> rels(static_cast<std::size_t>(relations));
  for (auto& rel : rels) plain >> rel.name >> rel.row_type >> rel.col_type;
  if (!plain) throw matsample::format_error((dir / "typed.txt").string() + ": truncated");
  auto schema = matsample::typed_schema::from_counts(names, counts, rels);
  std::vector<std::int64_t> shape;
  std::vector<graph_type> matrices;
  double csr_bytes = 0;
  for (std::int32_t r = 0; r < relations; ++r) {
    auto indptr = read_npy<O>(dir / ("relation" + std::to_string(r) + "_indptr.npy"), shape);
    auto indices = read_npy<I>(dir / ("relation" + std::to_string(r) + "_indices.npy"), shape);
    csr_bytes += static_cast<double>(indptr.size() * sizeof(O) + indices.size() * sizeof(I));
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    matrices.emplace_back(static_cast<I>(schema.num_vertices(rel.row_type)),
                          static_cast<I>(schema.num_vertices(rel.col_type)), std::move(indptr), std::move(indices));
  }
  const matsample::typed_graph<V, I, O> g(std::move(schema), std::move(matrices));
  const bool huge_pages = !args.contains("--huge-pages") || args.at("--huge-pages") != "0";
  if (huge_pages) {
    for (std::int32_t r = 0; r < relations; ++r) matsample::advise_huge_pages(g.relation(r).view());
  }
  const bool retain = args.contains("--retain-freed-memory") && args.at("--retain-freed-memory") == "1";
  if (retain && !matsample::retain_freed_memory()) throw matsample::argument_error("retain_freed_memory failed");
  const auto seeds = read_npy<I>(dir / "seeds.npy", shape);
  if (shape.size() != 2 || shape[0] < runs || shape[1] < batches * batch_size) {
    throw matsample::format_error((dir / "seeds.npy").string() + ": too few seeds for the requested runs");
  }
  const double loaded_mb = status_mb("VmRSS"), load_peak_mb = status_mb("VmHWM");
  const bool peak_reset = reset_peak();
  const matsample::cpu_backend cpu(threads);
  const auto view = g.view();
  const matsample::typed_nodewise_sampler sampler(cpu, view);
  std::vector<std::int64_t> typed_fanouts = fanouts;
  if (args.contains("--fanouts")) {  // "15,10,5": seeds' hop first
    typed_fanouts.clear();
    std::stringstream list(args.at("--fanouts"));
    for (std::string f; std::getline(list, f, ',');) typed_fanouts.push_back(std::stoll(f));
  }
  const matsample::typed_nodewise_options options{.fanouts = matsample::uniform_fanouts(g.schema(), typed_fanouts),
                                                  .seed = sampling_seed};
  const auto sample_some = [&](std::int64_t r, std::int64_t first, std::int64_t count, std::uint64_t epoch) {
    const auto at = static_cast<std::size_t>(r * shape[1] + first * batch_size);
    const auto n = static_cast<std::size_t>(std::min(count, batches - first) * batch_size);
    const auto list = matsample::typed_batch_list<I>::of_type(
        types, 0,
        matsample::batch_list<I>::uniform(std::span<const I>(seeds).subspan(at, n), batch_size, epoch,
                                          static_cast<std::uint64_t>(first)));
    const auto result = sampler(list, options);
    std::int64_t inputs = 0;
    for (const auto& t : result.layers.front().types) inputs += static_cast<std::int64_t>(t.src_nodes.size());
    return std::pair<std::int64_t, std::int64_t>{result.num_edges(), inputs};
  };
  (void)sample_some(0, 0, k, 1000);  // warm-up
  print_runs(
      {"typed", k, threads, batches, runs, csr_bytes / 1e6, loaded_mb, load_peak_mb, peak_reset, huge_pages, retain},
      sample_some);
  return 0;
}

int run(const std::map<std::string, std::string>& args) {
  const fs::path dir = args.at("--graph");
  const std::string sampler = args.contains("--sampler") ? args.at("--sampler") : "nodewise";
  const std::int64_t k = args.contains("--k") ? std::stoll(args.at("--k")) : 1;
  const int threads = args.contains("--threads") ? std::stoi(args.at("--threads")) : omp_get_max_threads();
  const std::int64_t batches = args.contains("--batches") ? std::stoll(args.at("--batches")) : seed_batches;
  const std::int64_t runs = args.contains("--runs") ? std::stoll(args.at("--runs")) : 3;
  if (sampler != "nodewise" && sampler != "labor" && sampler != "ladies" && sampler != "link" && sampler != "typed") {
    throw matsample::argument_error("--sampler: nodewise, labor, ladies, link or typed");
  }
  if (k < 1 || batches < k || batches > seed_batches || batches % k != 0) {
    throw matsample::argument_error("--batches must be a multiple of --k in [k, 64]");
  }
  if (runs < 1 || runs > seed_runs || threads < 1) throw matsample::argument_error("--runs in [1, 5], --threads >= 1");
  omp_set_num_threads(threads);

  std::vector<std::int64_t> shape;
  if (sampler == "typed") return run_typed(dir, k, threads, batches, runs, args);
  auto indptr = read_npy<O>(dir / "indptr.npy", shape);
  auto indices = read_npy<I>(dir / "indices.npy", shape);
  const auto seeds = sampler == "link" ? std::vector<I>{} : read_npy<I>(dir / "seeds.npy", shape);
  const auto edge_seeds =
      sampler == "link" ? read_npy<std::int64_t>(dir / "edges.npy", shape) : std::vector<std::int64_t>{};
  if (shape.size() != 2 || shape[0] < runs || shape[1] < batches * batch_size) {
    throw matsample::format_error((dir / (sampler == "link" ? "edges.npy" : "seeds.npy")).string() +
                                  ": too few seeds for the requested runs (prepare again)");
  }
  const auto n = matsample::checked_cast<I>(static_cast<std::int64_t>(indptr.size()) - 1, "vertex count");
  const graph_type g(n, n, std::move(indptr), std::move(indices));
  // The .npy arrays were read into ordinary pages; ask for 2 MiB ones, as
  // matsample's own readers and generators allocate the graph (untimed).
  const bool huge_pages = !args.contains("--huge-pages") || args.at("--huge-pages") != "0";
  if (huge_pages) matsample::advise_huge_pages(g.view());
  const bool retain = args.contains("--retain-freed-memory") && args.at("--retain-freed-memory") == "1";
  if (retain && !matsample::retain_freed_memory()) throw matsample::argument_error("retain_freed_memory failed");
  const double csr_mb = static_cast<double>(g.indptr().size() * sizeof(O) + g.indices().size() * sizeof(I)) / 1e6;
  const double loaded_mb = status_mb("VmRSS");
  const double load_peak_mb = status_mb("VmHWM");
  const bool peak_reset = reset_peak();

  const matsample::cpu_backend cpu(threads);
  const matsample::nodewise_options nodewise{.fanouts = fanouts, .seed = sampling_seed};
  const matsample::layerwise_options layerwise{
      .sample_sizes = ladies_sizes, .keep_frontier = true, .seed = sampling_seed};
  const matsample::labor_options labor{.fanouts = fanouts, .seed = sampling_seed};
  std::optional<matsample::ladies_sampler<matsample::cpu_backend, V, I, O>> ladies;
  if (sampler == "ladies") ladies.emplace(cpu, g.view());
  const auto sample = [&](const matsample::batch_list<I>& list) {
    if (sampler == "ladies") return (*ladies)(list, layerwise);
    if (sampler == "labor") return matsample::sample_labor(cpu, g.view(), list, labor);
    return matsample::sample_nodewise(cpu, g.view(), list, nodewise);
  };
  const matsample::nodewise_sampler nodes(cpu, g.view());
  const matsample::link_sampler link(
      nodes, g.view(),
      {.negatives = {.per_positive = 1, .seed = sampling_seed}, .exclude = matsample::edge_exclusion::reverse});
  // Minibatches [first, first + count) of run r's seeds, drawn as epoch
  // `epoch`: (sampled edges, input vertices).
  std::vector<I> src, dst;
  const auto sample_batches = [&](std::int64_t r, std::int64_t first, std::int64_t count,
                                  std::uint64_t epoch) -> std::pair<std::int64_t, std::int64_t> {
    const auto at = static_cast<std::size_t>(r * shape[1] + first * batch_size);
    const auto len = static_cast<std::size_t>(count * batch_size);
    if (sampler != "link") {
      const auto list = matsample::batch_list<I>::uniform(std::span<const I>(seeds).subspan(at, len), batch_size, epoch,
                                                          static_cast<std::uint64_t>(first));
      const auto result = sample(list);
      return {result.num_edges(), static_cast<std::int64_t>(result.layers.front().src_nodes.size())};
    }
    src.resize(len);
    dst.resize(len);
    const auto ip = g.indptr();
    for (std::size_t i = 0; i < len; ++i) {
      const auto e = edge_seeds[at + i];
      src[i] = static_cast<I>(std::upper_bound(ip.begin(), ip.end(), e) - ip.begin() - 1);
      dst[i] = g.indices()[static_cast<std::size_t>(e)];
    }
    const auto list =
        matsample::edge_batch_list<I>::uniform(src, dst, batch_size, epoch, static_cast<std::uint64_t>(first));
    const auto result = link(list, nodewise);
    return {result.blocks.num_edges(), static_cast<std::int64_t>(result.blocks.layers.front().src_nodes.size())};
  };
  // Warm-up: the allocator settles (glibc moves its mmap threshold after the
  // first large frees), as it has in a training loop.
  (void)sample_batches(0, 0, k, 1000);

  print_runs({sampler, k, threads, batches, runs, csr_mb, loaded_mb, load_peak_mb, peak_reset, huge_pages, retain},
             sample_batches);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "prepare" && std::string(argv[1]) != "run") || argc % 2 != 0) {
    std::fprintf(stderr, "usage: %s prepare|run --option value ... (see the comment at the top of the source)\n",
                 argv[0]);
    return 2;
  }
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  return matsample::guarded_main("matsample_compare", [&] {
    try {
      return std::string(argv[1]) == "prepare" ? prepare(args) : run(args);
    } catch (const std::out_of_range&) {
      throw matsample::argument_error("a required option is missing (--out for prepare, --graph for run)");
    }
  });
}
