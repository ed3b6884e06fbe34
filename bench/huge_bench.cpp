// Node-wise sampling of a graph with more than 2^31 nonzeros: int32 vertex
// ids, int64 offsets. Proof that the int64 offset paths hold at the size
// they exist for, on one machine; not a ctest at full size (it needs about
// 9 GB and a minute to build), only as a small smoke run.
//
//   matsample_huge_bench [--benchmark_filter=...]
//
// The graph: 2^scale vertices (MATSAMPLE_HUGE_SCALE, default 25), each row
// `degree` uniform random columns (MATSAMPLE_HUGE_DEGREE, default 65), drawn
// by Philox per row straight into the CSR, so building it needs no edge list
// and no sort: at the defaults 2,181,038,080 nonzeros (2^31 = 2,147,483,648),
// 8.7 GB of column ids. Before anything is timed, one minibatch of the last
// 1024 vertices, whose rows start past 2^31, is sampled and every one of its
// sampled edges checked against A; the program stops if one is wrong.
//   BM_HugeNodewise/k   fanouts 15,10,5, batches of 1024 seeds spread over
//                       all vertices, k minibatches per call (k = 1, 8)
// Counters as in matsample_bench; build_s, gib_resident and nnz describe the
// graph.

#include <benchmark/benchmark.h>
#include <matsample/matsample.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "bench_main.hpp"

namespace {

using namespace bench;  // V, I, O, graph_type, clock_type

constexpr std::int64_t batch_size = 1024;
constexpr std::uint64_t seed = 1;
const std::vector<std::int64_t> fanouts{15, 10, 5};

std::int64_t env_or(const char* name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < lo || value > hi) {
    throw matsample::argument_error(
        matsample::detail::concat(name, "=", text, ": expected an integer in [", lo, ", ", hi, "]"));
  }
  return value;
}

double resident_gib() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  double kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lf", &kib) == 1) break;
  }
  std::fclose(status);
  return kib / (1024.0 * 1024.0);
}

struct huge_graph {
  graph_type graph;
  double build_s = 0;
  double gib = 0;
};

/// Row r holds `degree` columns drawn uniformly from the stream of (seed, r).
const huge_graph& data() {
  static const huge_graph h = [] {
    const int scale = static_cast<int>(env_or("MATSAMPLE_HUGE_SCALE", 25, 10, 30));
    const std::int64_t degree = env_or("MATSAMPLE_HUGE_DEGREE", 65, 1, 1024);
    const std::int64_t n = std::int64_t{1} << scale, nnz = n * degree;
    matsample::require_memory(static_cast<double>(nnz) * sizeof(I) + static_cast<double>(n + 1) * sizeof(O),
                              "matsample_huge_bench's graph");
    const auto t0 = clock_type::now();
    std::vector<O> indptr(static_cast<std::size_t>(n) + 1);
    std::vector<I> indices;
    matsample::detail::resize_huge(indices, static_cast<std::size_t>(nnz));
#pragma omp parallel for schedule(static, 4096)
    for (std::int64_t r = 0; r <= n; ++r) indptr[r] = r * degree;
#pragma omp parallel for schedule(static, 4096)
    for (std::int64_t r = 0; r < n; ++r) {
      matsample::philox_row_stream rng(seed, 0, {0, 0, static_cast<std::uint64_t>(r)});
      I* row = indices.data() + r * degree;
      for (std::int64_t j = 0; j < degree; ++j) {
        row[j] = static_cast<I>(rng.below(static_cast<std::uint64_t>(j), static_cast<std::uint64_t>(n)));
      }
    }
    huge_graph out;
    out.graph = graph_type(matsample::detail::trusted, static_cast<I>(n), static_cast<I>(n), std::move(indptr),
                           std::move(indices), {});
    out.build_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    out.gib = resident_gib();
    std::fprintf(stderr, "graph: %lld vertices, %lld nonzeros (2^31 = %lld), built in %.1f s, %.2f GiB resident\n",
                 static_cast<long long>(n), static_cast<long long>(nnz), 1LL << 31, out.build_s, out.gib);
    return out;
  }();
  return h;
}

/// Samples the last 1024 vertices (rows past 2^31 at the default size) and
/// checks every sampled edge against A: the block's source node must be in
/// its destination's row.
void check_tail_rows(const matsample::nodewise_sampler<matsample::cpu_backend, V, I, O>& sampler) {
  const auto& a = data().graph;
  const std::int64_t n = a.rows();
  std::vector<I> seeds(static_cast<std::size_t>(std::min<std::int64_t>(batch_size, n)));
  std::iota(seeds.begin(), seeds.end(), static_cast<I>(n - static_cast<std::int64_t>(seeds.size())));
  const auto sample = sampler(matsample::batch_list<I>::uniform(seeds, batch_size), {.fanouts = fanouts, .seed = seed});
  std::int64_t checked = 0, past = 0;
  for (const auto& layer : sample.layers) {
    const auto block = layer[0];
    for (I d = 0; d < block.num_dst(); ++d) {
      const I v = block.src_nodes[static_cast<std::size_t>(d)];
      const auto row = a.view().row_begin(v), end = a.view().row_end(v);
      for (auto e = block.adjacency.row_begin(d); e < block.adjacency.row_end(d); ++e) {
        const I u = block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[e])];
        if (std::find(a.indices().begin() + row, a.indices().begin() + end, u) == a.indices().begin() + end) {
          throw matsample::csr_error(
              matsample::detail::concat("huge graph: sampled edge (", v, ", ", u, ") is not in row ", v, " of A"));
        }
        ++checked;
        past += row >= (O{1} << 31);
      }
    }
  }
  std::fprintf(stderr, "checked %lld sampled edges against A, %lld of them from rows starting past 2^31\n",
               static_cast<long long>(checked), static_cast<long long>(past));
}

void BM_HugeNodewise(benchmark::State& state) {
  const auto& h = data();
  const std::int64_t k = state.range(0);
  const matsample::cpu_backend cpu(omp_get_max_threads());
  const matsample::nodewise_sampler sampler(cpu, h.graph.view());
  static const bool checked = (check_tail_rows(sampler), true);
  (void)checked;
  // Seeds spread over all vertices: a shuffled epoch, cut k batches at a time.
  static const matsample::epoch_batches<I> epoch = [&] {
    std::vector<I> all(static_cast<std::size_t>(h.graph.rows()));
    std::iota(all.begin(), all.end(), I{0});
    return matsample::epoch_batches<I>(all, batch_size, seed, 0);
  }();
  std::int64_t next = 0, edges = 0, minibatches = 0;
  double seconds = 0;
  for (auto _ : state) {
    if (next + k > epoch.size()) next = 0;
    const auto batches = epoch.bulk(next, k);
    next += k;
    const auto t0 = clock_type::now();
    const auto out = sampler(batches, {.fanouts = fanouts, .seed = seed});
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    benchmark::DoNotOptimize(out.layers.data());
    edges += out.num_edges();
    minibatches += k;
  }
  state.counters["edges_per_second"] = static_cast<double>(edges) / seconds;
  state.counters["ms_per_minibatch"] = 1e3 * seconds / static_cast<double>(minibatches);
  state.counters["nnz"] = static_cast<double>(h.graph.nnz());
  state.counters["build_s"] = h.build_s;
  state.counters["gib_resident"] = h.gib;
  state.counters["threads"] = omp_get_max_threads();
}

BENCHMARK(BM_HugeNodewise)->Arg(1)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks("matsample_huge_bench", argc, argv); }
