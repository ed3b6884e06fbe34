// Microbenchmarks of the CPU backend on a generated power-law graph:
//   BM_RandomGather      the machine's limit: independent random 4-byte loads
//   BM_GatherRows/k      Q·A for one-hot Q (1024·k random rows)
//   BM_SpGEMM/k          k x N selection (512 nonzeros per row) times A, as in LADIES
//   BM_Nodewise/k        sample_nodewise, fanouts 15,10,5, batch 1024
//   BM_NodewiseBatch/k/b the same with batches of b = 64 and 256 seeds, where
//                        bulk sampling has the most per-call cost to share
//   BM_Labor/k           labor_sampler (LABOR-0), the same fanouts and seeds
//   BM_NodewiseSteps/k   the same matrix program, timed per kernel and layer
//   BM_Ladies/k          ladies_sampler, sample size 512 per layer, 3 layers, batch 512
//   BM_FastGCN/k         fastgcn_sampler, the same sizes
// for k = 1, 8, 64 minibatches per call.
//
// The graph is R-MAT scale 21 (2M vertices, 63.5M directed nonzeros), built
// once on first use; MATSAMPLE_BENCH_SCALE overrides the scale for smoke runs.
// Every iteration takes k new minibatches from a shuffled epoch of the
// non-isolated vertices and wraps around at its end (as a new epoch of the
// random streams), so no call re-samples what an earlier one left in cache.
// The layer-wise benchmarks cut the same shuffled order into batches of 512
// and keep their own position in it. Their sampler objects are built once
// per process, outside the timed loops (LADIES holds A, FastGCN the column
// norms of A, computed once per graph as a training loop would).
// Threads: OMP_NUM_THREADS (omp_get_max_threads), for the kernels and the
// random-gather limit alike.
//
// gather_ratio = sampled edges per second / random loads per second, both
// measured in this process with the same threads. Counters come from the wall
// time of the measured calls alone (setup is paused, as in the time column).
// cpu_utilization near 1 says the threads had the cores to themselves; a
// lower value says other processes took cores during the measurement.

#include <benchmark/benchmark.h>
#include <matsample/matsample.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "bench_main.hpp"

namespace {

using namespace bench;  // V, I, O, graph_type, clock_type

constexpr std::int64_t batch_size = 1024;
constexpr std::int64_t layerwise_batch_size = 512;
constexpr std::int64_t largest_k = 64;
constexpr std::int64_t ladies_frontier = 512;  // nonzeros per row of the SpGEMM's selection
constexpr std::uint64_t seed = 1;
const std::vector<std::int64_t> fanouts{15, 10, 5};
const std::vector<std::int64_t> layerwise_sizes{512, 512, 512};

constexpr int default_scale = 21;

int bench_scale() {
  static const int scale = [] {
    const char* env = std::getenv("MATSAMPLE_BENCH_SCALE");
    if (env == nullptr || *env == '\0') return default_scale;
    char* end = nullptr;
    const long value = std::strtol(env, &end, 10);
    if (*end != '\0' || value < 10 || value > 30) {
      std::fprintf(stderr, "MATSAMPLE_BENCH_SCALE=%s: expected an integer in [10, 30]\n", env);
      std::exit(2);
    }
    return static_cast<int>(value);
  }();
  return scale;
}

int bench_threads() { return omp_get_max_threads(); }

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Wall and process CPU time of the measured calls. cpu_utilization =
/// CPU seconds / (wall seconds x threads): near 1 when the threads had their
/// cores to themselves, lower when other processes took them (the numbers of
/// such a run are not the machine's).
struct stopwatch {
  double wall = 0, cpu = 0;
  clock_type::time_point t0{};
  double c0 = 0;

  static double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  void start() {
    c0 = process_cpu_seconds();
    t0 = clock_type::now();
  }
  void stop() {
    wall += seconds_since(t0);
    cpu += process_cpu_seconds() - c0;
  }
};

/// One batch size's cut of the shuffled training order, handed out k
/// batches at a time.
struct batch_stream {
  std::unique_ptr<matsample::epoch_batches<I>> epoch;  // whole batches only
  std::int64_t batches = 0;
  std::int64_t cursor = 0;  // next batch; shared so that no benchmark reuses another's batches
  std::uint64_t pass = 0;   // passes over the epoch so far

  batch_stream() = default;
  batch_stream(const std::vector<I>& order, std::int64_t size)
      : epoch(std::make_unique<matsample::epoch_batches<I>>(order, size, seed, 0, /*shuffle=*/false)),
        batches(epoch->size()) {}

  /// The next k batches of the epoch, wrapping around at its end; each pass
  /// counts as a new epoch of the random streams, so no sample repeats.
  matsample::batch_list<I> take(std::int64_t k) {
    if (cursor + k > batches) {
      cursor = 0;
      ++pass;
    }
    auto out = epoch->bulk(cursor, k);
    out.epoch = pass;
    cursor += k;
    return out;
  }
};

/// The graph and an epoch of shuffled training seeds, built on first use.
struct workload {
  graph_type graph;
  batch_stream nodewise;   // batches of batch_size
  batch_stream layerwise;  // the same order in batches of layerwise_batch_size
  batch_stream batch64;    // the same order in small batches (BM_NodewiseBatch)
  batch_stream batch256;

  matsample::batch_list<I> take(std::int64_t k) { return nodewise.take(k); }
  batch_stream& of_size(std::int64_t size) {
    if (size == 64) return batch64;
    if (size == 256) return batch256;
    if (size == batch_size) return nodewise;
    throw matsample::argument_error(matsample::detail::concat("no batch stream of ", size, " seeds"));
  }
  matsample::batch_list<I> take_layerwise(std::int64_t k) { return layerwise.take(k); }
};

workload& data() {
  static workload w = [] {
    workload out;
    const auto t0 = clock_type::now();
    out.graph = matsample::rmat<V, I, O>({.scale = bench_scale(), .edge_factor = 16});
    const double build_s = seconds_since(t0);
    // Training vertices: the non-isolated ones (a labelled vertex with no
    // edges samples nothing), in shuffled order. Small smoke graphs repeat
    // independently shuffled copies so that k = 64 still gets distinct
    // batches; each copy is cut to whole batches so that no batch straddles
    // two copies and repeats a seed.
    std::vector<I> connected;
    for (I v = 0; v < out.graph.rows(); ++v) {
      if (out.graph.indptr()[v + 1] > out.graph.indptr()[v]) connected.push_back(v);
    }
    const std::int64_t whole = static_cast<std::int64_t>(connected.size()) / batch_size * batch_size;
    if (whole == 0) {
      std::fprintf(stderr, "graph has fewer than %lld non-isolated vertices\n", static_cast<long long>(batch_size));
      std::exit(2);
    }
    const std::int64_t copies = std::max<std::int64_t>(1, (4 * largest_k * batch_size + whole - 1) / whole);
    std::vector<I> train;
    train.reserve(static_cast<std::size_t>(copies * whole));
    for (std::int64_t c = 0; c < copies; ++c) {
      const matsample::epoch_batches<I> shuffled(connected, batch_size, seed, static_cast<std::uint64_t>(c));
      train.insert(train.end(), shuffled.order().begin(), shuffled.order().begin() + whole);
    }
    out.nodewise = batch_stream(train, batch_size);
    out.layerwise = batch_stream(train, layerwise_batch_size);
    out.batch64 = batch_stream(train, 64);
    out.batch256 = batch_stream(train, 256);
    std::fprintf(stderr,
                 "graph: R-MAT scale %d, %d vertices (%zu non-isolated), %lld directed nonzeros, built in %.1f s; "
                 "epoch of %lld batches of %lld seeds; %d threads\n",
                 bench_scale(), out.graph.rows(), connected.size(), static_cast<long long>(out.graph.nnz()), build_s,
                 static_cast<long long>(out.nodewise.batches), static_cast<long long>(batch_size), bench_threads());
    return out;
  }();
  return w;
}

// ---- the random-gather limit ---------------------------------------------

/// Runs independent random 4-byte loads from a[0, n) on `threads` threads:
/// `total_loads` in chunks handed out dynamically (as the sampler's rows
/// are), or, when total_loads is 0, chunks until `seconds` have passed.
/// Positions come from a counter hash, so no load waits for another (no
/// pointer chasing), and the loaded values go to a sink.
struct gather_result {
  std::int64_t loads = 0;
  double seconds = 0;
  std::uint64_t sink = 0;
};

gather_result random_gather(const I* a, std::uint64_t n, int threads, std::int64_t total_loads, double seconds,
                            std::uint64_t salt) {
  constexpr std::int64_t chunk = 1 << 16;
  const std::int64_t chunks = total_loads > 0 ? (total_loads + chunk - 1) / chunk : 0;
  std::int64_t loads = 0;
  std::uint64_t sink = 0;
  const double t0 = omp_get_wtime();
  const auto run_chunk = [&](std::uint64_t c) {
    std::uint64_t counter = (salt << 44) + c * chunk;
    std::uint64_t sum = 0;
    for (std::int64_t i = 0; i < chunk; ++i) {
      std::uint64_t h = (counter++) * 0x9E3779B97F4A7C15ULL;  // counter hash: a Weyl step and a mix
      h ^= h >> 29;
      h *= 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 32;
      const auto pos = static_cast<std::uint64_t>((static_cast<unsigned __int128>(h) * n) >> 64);
      sum += static_cast<std::uint32_t>(a[pos]);
    }
    return sum;
  };
  if (chunks > 0) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(+ : loads, sink)
    for (std::int64_t c = 0; c < chunks; ++c) {
      sink += run_chunk(static_cast<std::uint64_t>(c));
      loads += chunk;
    }
  } else {
#pragma omp parallel num_threads(threads) reduction(+ : loads, sink)
    {
      const auto team = static_cast<std::uint64_t>(omp_get_num_threads());
      for (auto c = static_cast<std::uint64_t>(omp_get_thread_num()); omp_get_wtime() - t0 < seconds; c += team) {
        sink += run_chunk(c);
        loads += chunk;
      }
    }
  }
  return {loads, omp_get_wtime() - t0, sink};
}

/// Loads per second: the best of three runs of about half a second, measured
/// once per process over the graph's own column-index array (nnz int32s).
double random_gather_rate() {
  static const double rate = [] {
    const auto& g = data().graph;
    double best = 0, utilization = 0;
    for (std::uint64_t run = 0; run < 3; ++run) {
      stopwatch time;
      time.start();
      const auto r =
          random_gather(g.indices().data(), static_cast<std::uint64_t>(g.nnz()), bench_threads(), 0, 0.5, run + 1);
      time.stop();
      benchmark::DoNotOptimize(r.sink);
      if (static_cast<double>(r.loads) / r.seconds > best) {
        best = static_cast<double>(r.loads) / r.seconds;
        utilization = time.cpu / (time.wall * bench_threads());
      }
    }
    std::fprintf(stderr, "random gather: %.1f M loads/s (best of 3, %d threads, %lld int32s, cpu utilization %.2f)\n",
                 best / 1e6, bench_threads(), static_cast<long long>(g.nnz()), utilization);
    return best;
  }();
  return rate;
}

void set_common_counters(benchmark::State& state, const stopwatch& time, std::int64_t minibatches) {
  state.counters["threads"] = bench_threads();
  state.counters["cpu_utilization"] = time.cpu / (time.wall * bench_threads());
  if (minibatches > 0) state.counters["ms_per_minibatch"] = 1e3 * time.wall / static_cast<double>(minibatches);
}

// ---- benchmarks ------------------------------------------------------------

void BM_RandomGather(benchmark::State& state) {
  const auto& g = data().graph;
  const double baseline = random_gather_rate();
  constexpr std::int64_t loads_per_iteration = std::int64_t{1} << 24;
  stopwatch time;
  std::int64_t loads = 0;
  std::uint64_t salt = 100;
  for (auto _ : state) {
    time.start();
    const auto r = random_gather(g.indices().data(), static_cast<std::uint64_t>(g.nnz()), bench_threads(),
                                 loads_per_iteration, 0, salt++);
    time.stop();
    benchmark::DoNotOptimize(r.sink);
    loads += r.loads;
  }
  set_common_counters(state, time, 0);
  state.counters["loads_per_second"] = static_cast<double>(loads) / time.wall;
  state.counters["baseline_loads_per_second"] = baseline;  // the rate that gather_ratio divides by
}

void BM_GatherRows(benchmark::State& state) {
  auto& w = data();
  const double limit = random_gather_rate();
  const std::int64_t k = state.range(0);
  const matsample::cpu_backend cpu(bench_threads());
  stopwatch time;
  std::int64_t entries = 0, rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batches = w.take(k);
    state.ResumeTiming();
    time.start();
    {
      const auto p = cpu.gather_rows(w.graph.view(), batches.seeds);
      benchmark::DoNotOptimize(p.indices().data());
      entries += p.nnz();
    }
    time.stop();
    rows += static_cast<std::int64_t>(batches.seeds.size());
  }
  set_common_counters(state, time, k * state.iterations());
  state.counters["rows_per_second"] = static_cast<double>(rows) / time.wall;
  state.counters["entries_per_second"] = static_cast<double>(entries) / time.wall;
  // Whole rows are contiguous runs, so this may well exceed 1.
  state.counters["gather_ratio"] = static_cast<double>(entries) / time.wall / limit;
}

void BM_SpGEMM(benchmark::State& state) {
  auto& w = data();
  const std::int64_t k = state.range(0);
  const matsample::cpu_backend cpu(bench_threads());
  stopwatch time;
  std::int64_t products = 0, entries = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Row m selects the first 512 seeds of minibatch m: a LADIES frontier.
    const auto batches = w.take(k);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    for (std::int64_t m = 0; m < k; ++m) {
      const auto seeds = batches.batch(m);
      const auto first = indices.size();
      indices.insert(indices.end(), seeds.begin(),
                     seeds.begin() + std::min<std::int64_t>(ladies_frontier, static_cast<std::int64_t>(seeds.size())));
      std::sort(indices.begin() + static_cast<std::ptrdiff_t>(first), indices.end());
      indptr.push_back(static_cast<O>(indices.size()));
    }
    for (const I v : indices) products += w.graph.indptr()[v + 1] - w.graph.indptr()[v];
    const graph_type q(static_cast<I>(k), w.graph.rows(), std::move(indptr), std::move(indices));
    state.ResumeTiming();
    time.start();
    {
      const auto p = cpu.spgemm(q.view(), w.graph.view());
      benchmark::DoNotOptimize(p.indices().data());
      entries += p.nnz();
    }
    time.stop();
  }
  set_common_counters(state, time, k * state.iterations());
  state.counters["products_per_second"] = static_cast<double>(products) / time.wall;
  state.counters["entries_per_second"] = static_cast<double>(entries) / time.wall;
}

void set_sampling_counters(benchmark::State& state, const stopwatch& time, std::int64_t edges) {
  const std::int64_t minibatches = state.range(0) * state.iterations();
  set_common_counters(state, time, minibatches);
  const double rate = static_cast<double>(edges) / time.wall;
  state.counters["edges_per_second"] = rate;
  state.counters["edges_per_minibatch"] = static_cast<double>(edges) / static_cast<double>(minibatches);
  state.counters["gather_ratio"] = rate / random_gather_rate();
}

/// Times `sample(batches)` for k batches of the node-wise stream per call.
/// Besides edges it counts, per minibatch, the distinct vertices each layer
/// samples (lN_vertices, l0 = the seeds' hop) and the input vertices: the
/// figures by which LABOR differs from node-wise sampling.
template <class Sample>
void run_rowwise(benchmark::State& state, const Sample& sample, std::int64_t seeds_per_batch = batch_size) {
  auto& stream = data().of_size(seeds_per_batch);
  (void)random_gather_rate();
  const std::int64_t k = state.range(0);
  // One untimed call first: the allocator settles (glibc moves its mmap
  // threshold after the first large frees), so every benchmark measures the
  // steady state a training loop sees, whatever runs before it.
  (void)sample(stream.take(k));
  stopwatch time;
  std::int64_t edges = 0;
  std::vector<std::int64_t> vertices(fanouts.size(), 0);
  for (auto _ : state) {
    state.PauseTiming();
    const auto batches = stream.take(k);
    state.ResumeTiming();
    time.start();
    {
      const auto out = sample(batches);
      benchmark::DoNotOptimize(out.layers.data());
      edges += out.num_edges();
      time.stop();
      // Blocks are input layer first: layer L-1-l is hop l.
      for (std::size_t l = 0; l < vertices.size(); ++l) {
        const auto& layer = out.layers[out.layers.size() - 1 - l];
        vertices[l] += static_cast<std::int64_t>(layer.src_nodes.size()) - (layer.row_offsets.back());
      }
      time.start();
    }
    time.stop();
  }
  set_sampling_counters(state, time, edges);
  const double minibatches = static_cast<double>(k * state.iterations());
  std::int64_t inputs = seeds_per_batch * k * state.iterations();
  for (std::size_t l = 0; l < vertices.size(); ++l) {
    state.counters["l" + std::to_string(l) + "_new_vertices"] = static_cast<double>(vertices[l]) / minibatches;
    inputs += vertices[l];
  }
  state.counters["input_nodes_per_minibatch"] = static_cast<double>(inputs) / minibatches;
}

void BM_Nodewise(benchmark::State& state) {
  const matsample::cpu_backend cpu(bench_threads());
  const matsample::nodewise_sampler sampler(cpu, data().graph.view());
  const matsample::nodewise_options options{.fanouts = fanouts, .seed = seed};
  run_rowwise(state, [&](const matsample::batch_list<I>& b) { return sampler(b, options); });
}

/// Node-wise sampling of batches of state.range(1) seeds.
void BM_NodewiseBatch(benchmark::State& state) {
  const matsample::cpu_backend cpu(bench_threads());
  const matsample::nodewise_sampler sampler(cpu, data().graph.view());
  const matsample::nodewise_options options{.fanouts = fanouts, .seed = seed};
  run_rowwise(
      state, [&](const matsample::batch_list<I>& b) { return sampler(b, options); }, state.range(1));
}

/// LABOR-0 (Poisson, uniform) at the node-wise fanouts: the same seeds.
void BM_Labor(benchmark::State& state) {
  const matsample::cpu_backend cpu(bench_threads());
  const matsample::labor_sampler sampler(cpu, data().graph.view());
  const matsample::labor_options options{.fanouts = fanouts, .seed = seed};
  run_rowwise(state, [&](const matsample::batch_list<I>& b) { return sampler(b, options); });
}

/// sample_nodewise's loop spelled out (see sampling/nodewise.hpp), with each
/// kernel timed: which step dominates, per layer (l0 = the seeds' hop).
/// Counters lN_sample_ms (gather_and_sample) and lN_compact_ms (compact_blocks)
/// are wall milliseconds per minibatch, lN_edges the layer's sampled edges per
/// minibatch.
void BM_NodewiseSteps(benchmark::State& state) {
  auto& w = data();
  (void)random_gather_rate();
  const std::int64_t k = state.range(0);
  const matsample::cpu_backend cpu(bench_threads());
  const std::size_t layers = fanouts.size();
  std::vector<double> sample_s(layers, 0.0), compact_s(layers, 0.0);
  std::vector<std::int64_t> layer_edges(layers, 0);
  (void)matsample::sample_nodewise(cpu, w.graph.view(), w.take(k),
                                   {.fanouts = fanouts, .seed = seed});  // warm-up, as above
  stopwatch time;
  std::int64_t edges = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batches = w.take(k);
    state.ResumeTiming();
    time.start();
    {
      std::vector<matsample::block_set<V, I, O>> out;
      out.reserve(layers);
      matsample::stacked_selection<I> q{batches.seeds, batches.offsets, batches.epoch, batches.first_batch};
      for (std::size_t l = 0; l < layers; ++l) {
        const matsample::row_sampling spec{fanouts[l], false, false};
        auto t = clock_type::now();
        const auto sampled = matsample::gather_and_sample(cpu, w.graph.view(), q, spec, seed, l);
        sample_s[l] += seconds_since(t);
        t = clock_type::now();
        out.push_back(cpu.compact_blocks(sampled.view(), q, true));
        compact_s[l] += seconds_since(t);
        edges += out.back().num_edges();
        layer_edges[l] += out.back().num_edges();
        q = {out.back().src_nodes, out.back().node_offsets, batches.epoch, batches.first_batch};
      }
      benchmark::DoNotOptimize(out.data());
    }
    time.stop();
  }
  set_sampling_counters(state, time, edges);
  const double per_batch = 1e3 / static_cast<double>(k * state.iterations());
  for (std::size_t l = 0; l < layers; ++l) {
    state.counters["l" + std::to_string(l) + "_sample_ms"] = sample_s[l] * per_batch;
    state.counters["l" + std::to_string(l) + "_compact_ms"] = compact_s[l] * per_batch;
    state.counters["l" + std::to_string(l) + "_edges"] = static_cast<double>(layer_edges[l]) * per_batch / 1e3;
  }
}

// ---- layer-wise samplers ----------------------------------------------------

using ladies_type = matsample::ladies_sampler<matsample::cpu_backend, V, I, O>;
using fastgcn_type = matsample::fastgcn_sampler<matsample::cpu_backend, V, I, O>;

/// The backend the sampler objects keep a pointer to: it must outlive them.
const matsample::cpu_backend& layerwise_backend() {
  static const matsample::cpu_backend cpu(bench_threads());
  return cpu;
}

/// Built once per process (the graph is a pattern, so LADIES squares nothing).
const ladies_type& ladies() {
  static const ladies_type sampler(layerwise_backend(), data().graph.view());
  return sampler;
}

/// Built once per process: the column norms of A, one pass over it.
const fastgcn_type& fastgcn() {
  static const graph_type& graph = data().graph;
  static const clock_type::time_point t0 = clock_type::now();
  static const fastgcn_type sampler(layerwise_backend(), graph.view());
  static const bool reported = [] {
    std::fprintf(stderr, "FastGCN column norms: %.2f s (once per graph, outside the timed loop)\n", seconds_since(t0));
    return true;
  }();
  (void)reported;
  return sampler;
}

/// Times `sampler` on k minibatches of 512 seeds per call, 3 layers of 512
/// columns, keep_frontier on. edges_per_second counts the entries of every
/// sampled block; input_nodes_per_minibatch is the input layer's source nodes.
template <class Sampler>
void run_layerwise(benchmark::State& state, const Sampler& sampler) {
  auto& w = data();
  (void)random_gather_rate();
  const std::int64_t k = state.range(0);
  const matsample::layerwise_options options{.sample_sizes = layerwise_sizes, .keep_frontier = true, .seed = seed};
  (void)sampler(w.take_layerwise(k), options);  // warm-up, as for the node-wise benchmark
  stopwatch time;
  std::int64_t edges = 0, inputs = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batches = w.take_layerwise(k);
    state.ResumeTiming();
    time.start();
    {
      const auto sample = sampler(batches, options);
      benchmark::DoNotOptimize(sample.layers.data());
      edges += sample.num_edges();
      inputs += static_cast<std::int64_t>(sample.layers.front().src_nodes.size());
    }
    time.stop();
  }
  set_sampling_counters(state, time, edges);
  state.counters["input_nodes_per_minibatch"] =
      static_cast<double>(inputs) / static_cast<double>(k * state.iterations());
}

void BM_Ladies(benchmark::State& state) { run_layerwise(state, ladies()); }
void BM_FastGCN(benchmark::State& state) { run_layerwise(state, fastgcn()); }

void ks(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(8)->Arg(largest_k)->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_RandomGather)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GatherRows)->Apply(ks);
BENCHMARK(BM_SpGEMM)->Apply(ks);
BENCHMARK(BM_Nodewise)->Apply(ks);
BENCHMARK(BM_NodewiseBatch)->ArgsProduct({{1, 8, largest_k}, {64, 256}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Labor)->Apply(ks);
BENCHMARK(BM_NodewiseSteps)->Apply(ks);
BENCHMARK(BM_Ladies)->Apply(ks);
BENCHMARK(BM_FastGCN)->Apply(ks);

}  // namespace

int main(int argc, char** argv) {
  return bench::run_benchmarks("matsample_bench", argc, argv, [] {
    benchmark::AddCustomContext("matsample_graph", "R-MAT scale " + std::to_string(bench_scale()) + ", edge factor 16");
    benchmark::AddCustomContext("matsample_threads", std::to_string(bench_threads()));
    benchmark::AddCustomContext("matsample_nodewise", "fanouts 15,10,5, batch 1024, uniform, no replacement");
    benchmark::AddCustomContext("matsample_layerwise", "sample size 512 x 3 layers, batch 512, keep_frontier");
  });
}
