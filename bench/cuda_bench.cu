// Microbenchmarks of the CUDA backend on a power-law graph held on the device:
//   BM_CudaRandomGather      the device's limit: independent random 4-byte loads
//   BM_CudaGatherRows/k      Q·A for one-hot Q (1024·k random rows)
//   BM_CudaSpGEMM/k          k x N selection (512 nonzeros per row) times A, as in LADIES
//                            (deterministic kernel; BM_CudaSpGEMMcuSPARSE/k the cuSPARSE
//                            path, on a copy of A with int32 offsets)
//   BM_CudaNodewise/k        sample_nodewise, fanouts 15,10,5, batch 1024, k = 1, 8, 64, 512
//   BM_CudaLadies/k          ladies_sampler, sample size 512 per layer, 2 layers, batch 512
// The graph is R-MAT scale 22, edge factor 16: 4M vertices, 67M generated
// edges, about 128M nonzeros once symmetrised and de-duplicated.
// MATSAMPLE_BENCH_SCALE overrides the scale (smoke runs). MATSAMPLE_BENCH_GRAPH=DIR
// reads a graph that bench/compare prepared instead (DIR/indptr.npy int64,
// DIR/indices.npy int32, DIR/seeds.npy int32 runs x seeds): the seeds are then
// row 0 of seeds.npy, in order, as bench/compare/cugraph_compare.py gives
// them to cuGraph. Results come back to the host (the samplers' block_set),
// so wall time covers the whole call.
//
// gather_ratio = sampled (or gathered) entries per second / random loads per
// second of BM_CudaRandomGather's kernel, measured once in this process.
// per_minibatch_us lets k = 512 be compared with k = 1; edges_per_minibatch
// lets another sampler's output be held to the same size. A benchmark whose
// call throws (a matsample::error, such as running out of device memory) is
// reported as skipped with the message; the others still run.
// Without a CUDA device the program prints a message and exits 0.

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
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

/// A little-endian, C-ordered .npy array of T (format 1.0), as numpy.save writes it.
template <class T>
std::vector<T> load_npy(const std::string& path, std::vector<std::int64_t>& shape) {
  std::ifstream in(path, std::ios::binary);
  char head[10];
  if (!in.read(head, 10) || std::memcmp(head, "\x93NUMPY\x01\x00", 8) != 0) {
    throw ms::format_error(path + ": not a version 1.0 .npy file");
  }
  std::string dict(
      static_cast<std::size_t>(static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8)), ' ');
  in.read(dict.data(), static_cast<std::streamsize>(dict.size()));
  const std::string descr = sizeof(T) == 4 ? "'<i4'" : "'<i8'";
  if (dict.find(descr) == std::string::npos || dict.find("False") == std::string::npos) {
    throw ms::format_error(path + ": expected a C-ordered " + descr + " array, header " + dict);
  }
  shape.clear();
  std::int64_t count = 1;
  for (std::size_t at = dict.find('(') + 1; at < dict.size() && dict[at] != ')';) {
    const std::size_t end = std::min(dict.find(',', at), dict.find(')', at));
    if (end > at && dict.find_first_not_of(' ', at) < end) {
      shape.push_back(std::stoll(dict.substr(at, end - at)));
      count *= shape.back();
    }
    at = dict[end] == ',' ? end + 1 : end;
  }
  std::vector<T> data(static_cast<std::size_t>(count));
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)))) {
    throw ms::format_error(path + ": truncated data");
  }
  return data;
}

struct fixture {
  ms::csr_matrix<V, I, O> host;
  ms::device_csr_matrix<V, I, O> device;
  std::optional<ms::device_csr_matrix<V, I, std::int32_t>> device32;  ///< cuSPARSE's copy, made on first use
  std::vector<I> order;  ///< the seeds, cycled: shuffled non-isolated vertices, or seeds.npy's row 0
  ms::cuda_backend gpu;
};

fixture& graph() {
  static const std::unique_ptr<fixture> f = [] {
    auto out = std::make_unique<fixture>();
    const char* dir = std::getenv("MATSAMPLE_BENCH_GRAPH");
    if (dir != nullptr && *dir != '\0') {
      std::vector<std::int64_t> shape;
      auto indptr = load_npy<O>(std::string(dir) + "/indptr.npy", shape);
      auto indices = load_npy<I>(std::string(dir) + "/indices.npy", shape);
      const auto n = ms::checked_cast<I>(static_cast<std::int64_t>(indptr.size()) - 1, "vertices of the graph");
      out->host = ms::csr_matrix<V, I, O>(n, n, std::move(indptr), std::move(indices));
      auto seeds = load_npy<I>(std::string(dir) + "/seeds.npy", shape);
      seeds.resize(static_cast<std::size_t>(shape.size() == 2 ? shape[1] : static_cast<std::int64_t>(seeds.size())));
      out->order = std::move(seeds);
      std::fprintf(stderr, "graph: %s, %d vertices, %lld nonzeros\n", dir, out->host.rows(),
                   static_cast<long long>(out->host.nnz()));
    } else {
      out->host = ms::rmat<V, I, O>({.scale = bench_scale(), .edge_factor = 16, .seed = 1});
      for (I v = 0; v < out->host.rows(); ++v) {
        if (out->host.indptr()[v + 1] > out->host.indptr()[v]) out->order.push_back(v);
      }
      std::shuffle(out->order.begin(), out->order.end(), std::mt19937_64(7));
      std::fprintf(stderr, "graph: R-MAT scale %d, edge factor 16, %d vertices, %lld nonzeros\n", bench_scale(),
                   out->host.rows(), static_cast<long long>(out->host.nnz()));
    }
    out->device = ms::to_device(out->host.view());
    return out;
  }();
  return *f;
}

/// A with int32 offsets for cuSPARSE (every offset checked).
const ms::device_csr_matrix<V, I, std::int32_t>& graph32() {
  auto& g = graph();
  if (!g.device32) {
    std::vector<std::int32_t> indptr(g.host.indptr().size());
    for (std::size_t r = 0; r < indptr.size(); ++r) {
      indptr[r] = ms::checked_cast<std::int32_t>(g.host.indptr()[r], "row offset of the int32 copy of A");
    }
    const ms::csr_view<V, I, std::int32_t> narrow(g.host.rows(), g.host.cols(), indptr, g.host.indices(),
                                                  g.host.values());
    g.device32 = ms::to_device(narrow);
  }
  return *g.device32;
}

/// The next n seeds of the order (wrapping around).
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

/// One timed launch of random_gather_kernel: seconds.
double random_gather_seconds(const I* indices, std::int64_t nnz, std::int64_t n, unsigned long long* sink) {
  const auto t0 = clock_type::now();
  random_gather_kernel<<<4096, 256>>>(indices, nnz, n, sink);
  ms::cuda::check(cudaGetLastError(), "random_gather_kernel launch");
  ms::cuda::check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Random 4-byte loads per second from A's column array.
double random_gather_rate() {
  static const double rate = [] {
    auto& g = graph();
    ms::cuda::device_buffer<unsigned long long> sink(1, nullptr);
    const std::int64_t n = std::int64_t{1} << 28;
    (void)random_gather_seconds(g.device.view().indices(), g.device.nnz(), n, sink.data());  // warm-up
    return static_cast<double>(n) / random_gather_seconds(g.device.view().indices(), g.device.nnz(), n, sink.data());
  }();
  return rate;
}

/// Runs a benchmark body; a matsample::error (or any other exception) marks
/// the benchmark skipped with its message instead of ending the program.
template <class F>
void guarded(benchmark::State& state, F&& body) {
  try {
    body();
  } catch (const ms::error& e) {
    state.SkipWithError((std::string("matsample::error: ") + e.what()).c_str());
  } catch (const std::exception& e) { state.SkipWithError((std::string("exception: ") + e.what()).c_str()); }
}

void report(benchmark::State& state, double entries, double seconds, std::int64_t k) {
  if (seconds <= 0) return;
  state.counters["edges_per_second"] = entries / seconds;
  state.counters["gather_ratio"] = entries / seconds / random_gather_rate();
  state.counters["per_minibatch_us"] = seconds / static_cast<double>(state.iterations() * k) * 1e6;
  state.counters["edges_per_minibatch"] = entries / static_cast<double>(state.iterations() * k);
}

void BM_CudaRandomGather(benchmark::State& state) {
  guarded(state, [&] {
    for (auto _ : state) benchmark::DoNotOptimize(random_gather_rate());
    state.counters["loads_per_second"] = random_gather_rate();
  });
}

void BM_CudaGatherRows(benchmark::State& state) {
  guarded(state, [&] {
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
  });
}

/// k x N selection with 512 sorted columns per row, times A (offsets of type OQ).
template <ms::cuda::spgemm_method method, class OQ>
void spgemm_body(benchmark::State& state, const ms::device_csr_matrix<V, I, OQ>& a) {
  auto& g = graph();
  const std::int64_t k = state.range(0);
  const ms::cuda_backend gpu{ms::cuda_options{.spgemm = method}};
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    auto cols = next_seeds(512 * k, cursor);
    std::vector<OQ> indptr(static_cast<std::size_t>(k) + 1);
    for (std::int64_t m = 0; m <= k; ++m) indptr[m] = ms::checked_cast<OQ>(512 * m, "selection offsets");
    for (std::int64_t m = 0; m < k; ++m) std::sort(cols.begin() + 512 * m, cols.begin() + 512 * (m + 1));
    const ms::csr_view<V, I, OQ> q(static_cast<I>(k), g.host.rows(), indptr, cols);
    const auto dq = ms::to_device(q);
    const auto t0 = clock_type::now();
    const auto p = gpu.spgemm(dq.view(), a.view());
    ms::cuda::check(cudaStreamSynchronize(gpu.stream()), "cudaStreamSynchronize");
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(p.nnz());
  }
  report(state, entries, seconds, k);
}

void BM_CudaSpGEMM(benchmark::State& state) {
  guarded(state, [&] { spgemm_body<ms::cuda::spgemm_method::deterministic>(state, graph().device); });
}

void BM_CudaSpGEMMcuSPARSE(benchmark::State& state) {
  guarded(state, [&] { spgemm_body<ms::cuda::spgemm_method::cusparse>(state, graph32()); });
}

/// Times `sample(batches)` on k = range(0) minibatches of `per_batch` seeds an iteration.
template <class F>
void sampler_body(benchmark::State& state, std::int64_t per_batch, F&& sample) {
  const std::int64_t k = state.range(0);
  std::int64_t cursor = 0;
  double entries = 0, seconds = 0;
  for (auto _ : state) {
    const auto seeds = next_seeds(per_batch * k, cursor);
    const auto batches = ms::batch_list<I>::uniform(std::span<const I>(seeds), per_batch);
    const auto t0 = clock_type::now();
    const auto s = sample(batches);
    seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    entries += static_cast<double>(s.num_edges());
  }
  report(state, entries, seconds, k);
}

void BM_CudaNodewise(benchmark::State& state) {
  guarded(state, [&] {
    auto& g = graph();
    ms::nodewise_options o;
    o.fanouts = {15, 10, 5};
    o.seed = 1;
    sampler_body(state, batch_size,
                 [&](const ms::batch_list<I>& b) { return ms::sample_nodewise(g.gpu, g.device.view(), b, o); });
  });
}

void BM_CudaLadies(benchmark::State& state) {
  guarded(state, [&] {
    auto& g = graph();
    static const ms::ladies_sampler ladies(g.gpu, g.device.view());
    ms::layerwise_options o;
    o.sample_sizes = {512, 512};
    sampler_body(state, layerwise_batch, [&](const ms::batch_list<I>& b) { return ladies(b, o); });
  });
}

}  // namespace

BENCHMARK(BM_CudaRandomGather)->Iterations(1)->UseRealTime();
BENCHMARK(BM_CudaGatherRows)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_CudaSpGEMM)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_CudaSpGEMMcuSPARSE)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
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
