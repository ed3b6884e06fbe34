// Microbenchmarks of the CUDA backend on a generated power-law graph:
//   BM_CudaRandomGather      the device's limit: independent random 4-byte loads
//   BM_CudaGatherRows/k      Q·A for one-hot Q (1024·k random rows)
//   BM_CudaSpGEMM/k          k x N selection (512 nonzeros per row) times A, as in LADIES
//                            (deterministic kernel; BM_CudaSpGEMMcuSPARSE/k the cuSPARSE path)
//   BM_CudaNodewise/k        sample_nodewise, fanouts 15,10,5, batch 1024, k = 1, 8, 64, 512
//   BM_CudaLadies/k          ladies_sampler, sample size 512 per layer, 2 layers, batch 512
// The graph is R-MAT scale 22, edge factor 16 (4M vertices, about 67M
// nonzeros), on the device; MATSAMPLE_BENCH_SCALE overrides the scale for
// smoke runs. Results come back to the host (the samplers' block_set), so
// wall time covers the whole call.
//
// gather_ratio = sampled (or gathered) entries per second / random loads per
// second of BM_CudaRandomGather's kernel, measured once in this process.
// per_minibatch_us lets k = 512 be compared with k = 1.
// Without a CUDA device the program prints a message and exits 0.

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "matsample/cuda.cuh"

namespace {

namespace ms = matsample;
using V = float;
using I = std::int32_t;
using O = std::int64_t;
using clock_type = std::chrono::steady_clock;

constexpr std::int64_t batch_size = 1024;
constexpr std::int64_t layerwise_batch = 512;

int bench_scale() {
  const char* env = std::getenv("MATSAMPLE_BENCH_SCALE");
  if (env == nullptr || *env == '\0') return 22;
  const long value = std::strtol(env, nullptr, 10);
  if (value < 10 || value > 30) {
    std::fprintf(stderr, "MATSAMPLE_BENCH_SCALE=%s: expected an integer in [10, 30]\n", env);
    std::exit(2);
  }
  return static_cast<int>(value);
}

struct fixture {
  ms::csr_matrix<V, I, O> host;
  ms::device_csr_matrix<V, I, O> device;
  std::vector<I> order;  // shuffled non-isolated vertices
  ms::cuda_backend gpu;
};

fixture& graph() {
  static const std::unique_ptr<fixture> f = [] {
    auto out = std::make_unique<fixture>();
    out->host = ms::rmat<V, I, O>({.scale = bench_scale(), .edge_factor = 16, .seed = 1});
    out->device = ms::to_device(out->host.view());
    for (I v = 0; v < out->host.rows(); ++v) {
      if (out->host.indptr()[v + 1] > out->host.indptr()[v]) out->order.push_back(v);
    }
    std::shuffle(out->order.begin(), out->order.end(), std::mt19937_64(7));
    std::printf("graph: R-MAT scale %d, %d vertices, %lld nonzeros\n", bench_scale(), out->host.rows(),
                static_cast<long long>(out->host.nnz()));
    return out;
  }();
  return *f;
}

/// The next n seeds of the shuffled epoch (wrapping around).
std::vector<I> next_seeds(std::int64_t n, std::int64_t& cursor) {
  const auto& order = graph().order;
  std::vector<I> out(static_cast<std::size_t>(n));
  for (auto& v : out) v = order[static_cast<std::size_t>(cursor++ % static_cast<std::int64_t>(order.size()))];
  return out;
}

__global__ void random_gather_kernel(const I* indices, std::int64_t nnz, std::int64_t n, unsigned long long* sink) {
  unsigned long long acc = 0;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const auto h = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    acc += static_cast<unsigned long long>(indices[(h >> 17) % static_cast<std::uint64_t>(nnz)]);
  }
  if (acc == 0x5eed) *sink = acc;  // keeps the loads alive
}

/// Random 4-byte loads per second from A's column array.
double random_gather_rate() {
  static const double rate = [] {
    auto& g = graph();
    ms::cuda::device_buffer<unsigned long long> sink(1, nullptr);
    const std::int64_t n = std::int64_t{1} << 28;
    random_gather_kernel<<<4096, 256>>>(g.device.view().indices(), g.device.nnz(), n, sink.data());  // warm-up
    ms::cuda::check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    const auto t0 = clock_type::now();
    random_gather_kernel<<<4096, 256>>>(g.device.view().indices(), g.device.nnz(), n, sink.data());
    ms::cuda::check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    return static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - t0).count();
  }();
  return rate;
}

void report(benchmark::State& state, double entries, double seconds, std::int64_t k) {
  state.counters["edges_per_second"] = entries / seconds;
  state.counters["gather_ratio"] = entries / seconds / random_gather_rate();
  state.counters["per_minibatch_us"] = seconds / static_cast<double>(state.iterations() * k) * 1e6;
}

void BM_CudaRandomGather(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(random_gather_rate());
  state.counters["loads_per_second"] = random_gather_rate();
}

void BM_CudaGatherRows(benchmark::State& state) {
  auto& g = graph();
  const std::int64_t k = state.range(0);
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    const auto rows = next_seeds(batch_size * k, cursor);
    const auto t0 = clock_type::now();
    const auto p = g.gpu.gather_rows(g.device.view(), std::span<const I>(rows));
    ms::cuda::check(cudaStreamSynchronize(g.gpu.stream()), "cudaStreamSynchronize");
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(p.nnz());
  }
  report(state, entries, seconds, k);
}

template <ms::cuda::spgemm_method method>
void BM_CudaSpGEMMWith(benchmark::State& state) {
  auto& g = graph();
  const std::int64_t k = state.range(0);
  const ms::cuda_backend gpu{ms::cuda_options{.spgemm = method}};
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    auto cols = next_seeds(512 * k, cursor);
    std::vector<O> indptr(static_cast<std::size_t>(k) + 1);
    for (std::int64_t m = 0; m <= k; ++m) indptr[m] = 512 * m;
    for (std::int64_t m = 0; m < k; ++m) std::sort(cols.begin() + 512 * m, cols.begin() + 512 * (m + 1));
    const ms::csr_view<V, I, O> q(static_cast<I>(k), g.host.rows(), indptr, cols);
    const auto dq = ms::to_device(q);
    const auto t0 = clock_type::now();
    const auto p = gpu.spgemm(dq.view(), g.device.view());
    ms::cuda::check(cudaStreamSynchronize(gpu.stream()), "cudaStreamSynchronize");
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(p.nnz());
  }
  report(state, entries, seconds, k);
}

void BM_CudaNodewise(benchmark::State& state) {
  auto& g = graph();
  const std::int64_t k = state.range(0);
  ms::nodewise_options o;
  o.fanouts = {15, 10, 5};
  o.seed = 1;
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    const auto seeds = next_seeds(batch_size * k, cursor);
    ms::batch_list<I> batches{std::span<const I>(seeds), {}, 0, 0};
    for (std::int64_t m = 1; m <= k; ++m) batches.offsets.push_back(m * batch_size);
    const auto t0 = clock_type::now();
    const auto s = ms::sample_nodewise(g.gpu, g.device.view(), batches, o);
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(s.num_edges());
  }
  report(state, entries, seconds, k);
}

void BM_CudaLadies(benchmark::State& state) {
  auto& g = graph();
  const std::int64_t k = state.range(0);
  static const ms::ladies_sampler ladies(g.gpu, g.device.view());
  ms::layerwise_options o;
  o.sample_sizes = {512, 512};
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    const auto seeds = next_seeds(layerwise_batch * k, cursor);
    ms::batch_list<I> batches{std::span<const I>(seeds), {}, 0, 0};
    for (std::int64_t m = 1; m <= k; ++m) batches.offsets.push_back(m * layerwise_batch);
    const auto t0 = clock_type::now();
    const auto s = ladies(batches, o);
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(s.num_edges());
  }
  report(state, entries, seconds, k);
}

}  // namespace

BENCHMARK(BM_CudaRandomGather)->Iterations(1)->UseRealTime();
BENCHMARK(BM_CudaGatherRows)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_CudaSpGEMMWith<ms::cuda::spgemm_method::deterministic>)->Name("BM_CudaSpGEMM")->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_CudaSpGEMMWith<ms::cuda::spgemm_method::cusparse>)->Name("BM_CudaSpGEMMcuSPARSE")->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_CudaNodewise)->Arg(1)->Arg(8)->Arg(64)->Arg(512)->UseRealTime();
BENCHMARK(BM_CudaLadies)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();

int main(int argc, char** argv) {
  if (ms::cuda::device_count() == 0) {
    std::printf("cuda_bench: no CUDA device found; nothing to measure\n");
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
