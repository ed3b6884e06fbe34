// Graph loading throughput: text readers (MB/s of uncompressed text, edges/s)
// and snapshot loads, on ego-Twitter from the shared data folder and on a
// generated R-MAT edge list of 67M edges.
//
//   OMP_NUM_THREADS=2 build/release/bench/matsample_io_bench
//
// Environment: MATSAMPLE_SHARED_DATA (default ../shared/data beside the
// source tree), MATSAMPLE_BENCH_DIR (where generated inputs are cached,
// default build/bench-data), MATSAMPLE_IO_BENCH_SCALE (R-MAT scale, default
// 22: 4.2M vertices, 67M edge lines, about 1 GB of text).
#include <benchmark/benchmark.h>
#include <omp.h>
#include <zlib.h>

#include <matsample/io.hpp>
#include <matsample/matsample.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench_main.hpp"

namespace {

namespace fs = std::filesystem;
using graph = matsample::csr_matrix<float, std::int32_t, std::int64_t>;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

fs::path shared_data() { return env_or("MATSAMPLE_SHARED_DATA", MATSAMPLE_DEFAULT_SHARED_DATA); }
fs::path bench_dir() {
  fs::path dir = env_or("MATSAMPLE_BENCH_DIR", MATSAMPLE_DEFAULT_BENCH_DIR);
  fs::create_directories(dir);
  return dir;
}

/// Bytes of `path` once inflated (the figure MB/s refers to).
std::uintmax_t text_bytes(const fs::path& path) {
  if (path.extension() != ".gz") return fs::file_size(path);
  gzFile f = gzopen(path.c_str(), "rb");
  std::uintmax_t total = 0;
  char buf[1 << 16];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) total += static_cast<std::uintmax_t>(n);
  gzclose(f);
  return total;
}

void report(benchmark::State& state, std::uintmax_t bytes, std::int64_t edges) {
  state.counters["MB_per_second"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["edges_per_second"] =
      benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

/// The generated edge list: written once, reused across runs.
const fs::path& rmat_edge_list() {
  static const fs::path path = [] {
    const int scale = std::stoi(env_or("MATSAMPLE_IO_BENCH_SCALE", "22"));
    fs::path p = bench_dir() / ("rmat-" + std::to_string(scale) + ".edges");
    if (!fs::exists(p)) {
      std::fprintf(stderr, "writing %s (once) ...\n", p.c_str());
      const auto g = matsample::rmat<float, std::int32_t, std::int64_t>(
          {.scale = scale, .symmetrize = false, .deduplicate = false, .drop_self_loops = false});
      matsample::write_edge_list(p, g.view());
    }
    return p;
  }();
  return path;
}

void BM_ReadEdgeList_RMAT(benchmark::State& state) {
  const auto& path = rmat_edge_list();
  std::int64_t edges = 0;
  for (auto _ : state) {
    const auto g = matsample::read_edge_list<float, std::int32_t, std::int64_t>(path);
    edges = g.nnz();
    benchmark::DoNotOptimize(g.indices().data());
  }
  report(state, fs::file_size(path), edges);
}

void BM_ReadOGB_EgoTwitter(benchmark::State& state) {
  const fs::path dir = shared_data() / "ego-twitter";
  if (!fs::exists(dir)) {
    state.SkipWithError(("no shared data at " + dir.string()).c_str());
    return;
  }
  const auto bytes = text_bytes(dir / "raw" / "edge.csv.gz");
  std::int64_t edges = 0;
  for (auto _ : state) {
    const auto d = matsample::read_ogb<float, std::int32_t, std::int64_t>(dir);
    edges = d.graph.nnz() / 2;  // edge lines, before the inverse edges are added
    benchmark::DoNotOptimize(d.graph.indices().data());
  }
  report(state, bytes, edges);
}

/// Snapshot load with checksum verification and CSR validation (the default),
/// and mapped without either (the cost floor).
void BM_LoadSnapshot_RMAT(benchmark::State& state) {
  const bool checked = state.range(0) != 0;
  const fs::path snap = bench_dir() / (rmat_edge_list().filename().string() + ".snap");
  if (!fs::exists(snap)) {
    const auto g = matsample::read_edge_list<float, std::int32_t, std::int64_t>(rmat_edge_list());
    matsample::graph_data<float, std::int32_t, std::int64_t> data;
    data.graph = g;
    matsample::write_snapshot(snap, data.view());
  }
  std::int64_t edges = 0;
  for (auto _ : state) {
    const matsample::snapshot<float, std::int32_t, std::int64_t> s(snap, {checked, checked});
    edges = s.view().graph.nnz();
    benchmark::DoNotOptimize(s.view().graph.indptr().data());
  }
  report(state, fs::file_size(snap), edges);
  state.SetLabel(checked ? "checksums + validation" : "mapped only");
}

/// Memory bandwidth floor for the snapshot: summing the same bytes.
void BM_StreamRead_Floor(benchmark::State& state) {
  const fs::path snap = bench_dir() / (rmat_edge_list().filename().string() + ".snap");
  if (!fs::exists(snap)) {
    state.SkipWithError("run BM_LoadSnapshot_RMAT first");
    return;
  }
  const matsample::io::mapped_file file(snap);
  const auto bytes = file.bytes();
  for (auto _ : state) {
    std::uint64_t sum = 0;
    const auto* words = reinterpret_cast<const std::uint64_t*>(bytes.data());
    const std::size_t n = bytes.size() / 8;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (std::size_t i = 0; i < n; ++i) sum += words[i];
    benchmark::DoNotOptimize(sum);
  }
  report(state, bytes.size(), 0);
}

BENCHMARK(BM_ReadOGB_EgoTwitter)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ReadEdgeList_RMAT)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_LoadSnapshot_RMAT)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_StreamRead_Floor)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks("matsample_io_bench", argc, argv); }
