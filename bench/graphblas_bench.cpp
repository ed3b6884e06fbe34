// The LADIES product P = Q·(A∘A) computed by matsample's CPU SpGEMM and by
// SuiteSparse:GraphBLAS, side by side in one process with the same threads:
//   BM_LadiesProduct/k   Q is k x N with 512 nonzeros per row (k minibatch
//                        frontiers), A the R-MAT graph of matsample_bench
// Both libraries multiply the same Q in every iteration; each is timed alone
// (the other's call is outside its stopwatch), and the first product of
// every k is checked to agree entry by entry.
//
// graphblas_ratio = GraphBLAS time / matsample time (above 1: matsample is faster).
// A is a pattern (R-MAT without weights), so A∘A = A; GraphBLAS gets it as an
// iso-valued matrix, which is its fastest form for that.
//
//   OMP_NUM_THREADS=2 build/release/bench/matsample_graphblas_bench
//
// MATSAMPLE_BENCH_SCALE sets the R-MAT scale (default 21: 2M vertices, 63.5M nonzeros).

extern "C" {
#include <GraphBLAS.h>
}
#include <benchmark/benchmark.h>
#include <matsample/matsample.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_main.hpp"

namespace {

using namespace bench;  // V, I, O, graph_type, clock_type

constexpr std::int64_t frontier_size = 512;
constexpr std::uint64_t seed = 1;

void check(GrB_Info info, const char* call) {
  if (info != GrB_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed with GrB_Info " + std::to_string(info));
}

int bench_scale() {
  const char* env = std::getenv("MATSAMPLE_BENCH_SCALE");
  if (env == nullptr || *env == '\0') return 21;
  char* end = nullptr;
  const long value = std::strtol(env, &end, 10);
  if (*end != '\0' || value < 10 || value > 30) {
    std::fprintf(stderr, "MATSAMPLE_BENCH_SCALE=%s: expected an integer in [10, 30]\n", env);
    std::exit(2);
  }
  return static_cast<int>(value);
}

/// An iso-valued (all ones) GraphBLAS copy of a CSR pattern. GraphBLAS takes
/// ownership of malloc'd 64-bit arrays, so the indices are widened here.
GrB_Matrix to_graphblas(std::int64_t rows, std::int64_t cols, std::span<const O> indptr, std::span<const I> indices) {
  auto* ap = static_cast<GrB_Index*>(std::malloc(indptr.size() * sizeof(GrB_Index)));
  auto* aj = static_cast<GrB_Index*>(std::malloc(std::max<std::size_t>(indices.size(), 1) * sizeof(GrB_Index)));
  auto* ax = static_cast<float*>(std::malloc(sizeof(float)));
  if (ap == nullptr || aj == nullptr || ax == nullptr) throw std::bad_alloc();
  std::copy(indptr.begin(), indptr.end(), ap);
  std::copy(indices.begin(), indices.end(), aj);
  *ax = 1.0F;
  GrB_Matrix m = nullptr;
  void* values = ax;
  check(GxB_Matrix_import_CSR(&m, GrB_FP32, static_cast<GrB_Index>(rows), static_cast<GrB_Index>(cols), &ap, &aj,
                              &values, indptr.size() * sizeof(GrB_Index),
                              std::max<std::size_t>(indices.size(), 1) * sizeof(GrB_Index), sizeof(float), true, false,
                              nullptr),
        "GxB_Matrix_import_CSR");
  return m;
}

struct workload {
  graph_type graph;
  GrB_Matrix graph_gb = nullptr;
  std::unique_ptr<matsample::epoch_batches<I>> epoch;
  std::int64_t cursor = 0;
  std::uint64_t pass = 0;

  matsample::batch_list<I> take(std::int64_t k) {
    if (cursor + k > epoch->size()) {
      cursor = 0;
      ++pass;
    }
    auto out = epoch->bulk(cursor, k);
    out.epoch = pass;
    cursor += k;
    return out;
  }
};

workload& data() {
  static workload w = [] {
    check(GrB_init(GrB_NONBLOCKING), "GrB_init");
    check(GxB_Global_Option_set_INT32(static_cast<GxB_Option_Field>(GxB_NTHREADS), omp_get_max_threads()),
          "GxB_Global_Option_set_INT32(GxB_NTHREADS)");
    workload out;
    out.graph = matsample::rmat<V, I, O>({.scale = bench_scale(), .edge_factor = 16});
    out.graph_gb = to_graphblas(out.graph.rows(), out.graph.cols(), out.graph.indptr(), out.graph.indices());
    std::vector<I> connected;
    for (I v = 0; v < out.graph.rows(); ++v) {
      if (out.graph.view().degree(v) > 0) connected.push_back(v);
    }
    out.epoch = std::make_unique<matsample::epoch_batches<I>>(connected, frontier_size, seed, 0);
    std::fprintf(stderr, "graph: R-MAT scale %d, %d vertices, %lld nonzeros; %d threads for both libraries\n",
                 bench_scale(), out.graph.rows(), static_cast<long long>(out.graph.nnz()), omp_get_max_threads());
    return out;
  }();
  return w;
}

/// matsample's product and GraphBLAS's agree: same pattern, values within
/// float rounding (both sum counts of at most 512 ones, so they are exact).
void require_same(const graph_type& ours, GrB_Matrix theirs) {
  GrB_Index nvals = 0;
  check(GrB_Matrix_nvals(&nvals, theirs), "GrB_Matrix_nvals");
  if (nvals != static_cast<GrB_Index>(ours.nnz())) {
    throw std::runtime_error("GraphBLAS and matsample products differ in their number of entries");
  }
  std::vector<GrB_Index> rows(nvals), cols(nvals);
  std::vector<float> vals(nvals);
  check(GrB_Matrix_extractTuples_FP32(rows.data(), cols.data(), vals.data(), &nvals, theirs),
        "GrB_Matrix_extractTuples");
  for (GrB_Index e = 0; e < nvals; ++e) {
    const auto r = static_cast<I>(rows[e]);
    const auto row = ours.view();
    const auto first = row.indices().begin() + row.row_begin(r), last = row.indices().begin() + row.row_end(r);
    const auto it = std::lower_bound(first, last, static_cast<I>(cols[e]));
    if (it == last || *it != static_cast<I>(cols[e]) ||
        row.values()[static_cast<std::size_t>(it - row.indices().begin())] != vals[e]) {
      throw std::runtime_error("GraphBLAS and matsample products differ at an entry");
    }
  }
}

void BM_LadiesProduct(benchmark::State& state) {
  auto& w = data();
  const std::int64_t k = state.range(0);
  const matsample::cpu_backend cpu(omp_get_max_threads());
  double ours_s = 0, theirs_s = 0;
  std::int64_t products = 0;
  bool checked = false;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batches = w.take(k);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    for (std::int64_t m = 0; m < k; ++m) {
      const auto seeds = batches.batch(m);
      const auto first = indices.size();
      indices.insert(indices.end(), seeds.begin(), seeds.end());
      std::sort(indices.begin() + static_cast<std::ptrdiff_t>(first), indices.end());
      indptr.push_back(static_cast<O>(indices.size()));
    }
    for (const I v : indices) products += w.graph.view().degree(v);
    const graph_type q(static_cast<I>(k), w.graph.rows(), std::move(indptr), std::move(indices));
    GrB_Matrix q_gb = to_graphblas(q.rows(), q.cols(), q.indptr(), q.indices());
    GrB_Matrix p_gb = nullptr;
    check(GrB_Matrix_new(&p_gb, GrB_FP32, static_cast<GrB_Index>(k), static_cast<GrB_Index>(w.graph.cols())),
          "GrB_Matrix_new");
    state.ResumeTiming();

    auto t0 = clock_type::now();
    const auto p = cpu.spgemm(q.view(), w.graph.view());
    benchmark::DoNotOptimize(p.indices().data());
    ours_s += std::chrono::duration<double>(clock_type::now() - t0).count();

    t0 = clock_type::now();
    check(GrB_mxm(p_gb, nullptr, nullptr, GrB_PLUS_TIMES_SEMIRING_FP32, q_gb, w.graph_gb, nullptr), "GrB_mxm");
    check(GrB_Matrix_wait(p_gb, GrB_MATERIALIZE), "GrB_Matrix_wait");
    theirs_s += std::chrono::duration<double>(clock_type::now() - t0).count();

    state.PauseTiming();
    if (!checked) {
      require_same(p, p_gb);
      checked = true;
    }
    GrB_Matrix_free(&p_gb);
    GrB_Matrix_free(&q_gb);
    state.ResumeTiming();
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["matsample_ms"] = 1e3 * ours_s / n;
  state.counters["graphblas_ms"] = 1e3 * theirs_s / n;
  state.counters["graphblas_ratio"] = theirs_s / ours_s;
  state.counters["products_per_second"] = static_cast<double>(products) / ours_s;
  state.counters["threads"] = omp_get_max_threads();
}

BENCHMARK(BM_LadiesProduct)->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks("graphblas_bench", argc, argv); }
