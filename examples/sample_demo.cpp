// The README's main job until the GraphSAGE trainer lands: generate an R-MAT
// graph, sample one epoch of node-wise minibatches in bulk calls, and report
// the throughput.
#include <matsample/matsample.hpp>

#include <CLI/CLI.hpp>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <numeric>
#include <vector>

static int main_body(int argc, char** argv) {
  using namespace matsample;
  CLI::App app{"Sample GraphSAGE minibatches from a generated R-MAT graph and report throughput"};
  int scale = 20, threads = 0;
  double edge_factor = 16;
  std::int64_t batch_size = 1024, bulk = 64, batches = 256;
  std::vector<std::int64_t> fanouts{15, 10, 5};
  std::uint64_t seed = 1;
  app.add_option("--scale", scale, "log2 of the vertex count")->check(CLI::Range(4, 30))->capture_default_str();
  app.add_option("--edge-factor", edge_factor, "generated edges per vertex")->capture_default_str();
  app.add_option("--batch", batch_size, "seeds per minibatch")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--bulk", bulk, "minibatches per sampling call (k)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batches", batches, "minibatches to sample")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--fanouts", fanouts, "neighbours per layer, -1 for all")->delimiter(',')->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) omp_set_num_threads(threads);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto graph =
      rmat<float, std::int32_t, std::int64_t>({.scale = scale, .edge_factor = edge_factor, .seed = seed});
  const double build_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("graph: R-MAT scale %d, %d vertices, %lld directed edges (built in %.2f s)\n", scale, graph.rows(),
              static_cast<long long>(graph.nnz()), build_s);

  std::vector<std::int32_t> train(static_cast<std::size_t>(std::min<std::int64_t>(batches * batch_size, graph.rows())));
  std::iota(train.begin(), train.end(), 0);
  const epoch_batches<std::int32_t> epoch(train, batch_size, seed, 0);
  const cpu_backend cpu(threads);
  const nodewise_options options{.fanouts = fanouts, .seed = seed};
  const bool tty = isatty(fileno(stdout));

  std::int64_t edges = 0;
  const auto t1 = clock::now();
  for (std::int64_t first = 0; first < epoch.size(); first += bulk) {
    const auto sample = sample_nodewise(cpu, graph.view(), epoch.bulk(first, bulk), options);
    edges += sample.num_edges();
    const auto done = std::min(first + bulk, epoch.size());
    if (tty) {
      std::printf("\rsampled %lld / %lld minibatches", static_cast<long long>(done),
                  static_cast<long long>(epoch.size()));
      std::fflush(stdout);
    } else {
      std::printf("sampled %lld / %lld minibatches\n", static_cast<long long>(done),
                  static_cast<long long>(epoch.size()));
    }
  }
  const double seconds = std::chrono::duration<double>(clock::now() - t1).count();
  std::printf(
      "%s%lld minibatches of %lld seeds, k = %lld, %d threads: %.3f s, %.2f ms per minibatch, %.1f M sampled edges/s\n",
      tty ? "\n" : "", static_cast<long long>(epoch.size()), static_cast<long long>(batch_size),
      static_cast<long long>(bulk), cpu.threads(), seconds, 1e3 * seconds / static_cast<double>(epoch.size()),
      static_cast<double>(edges) / seconds / 1e6);
  return 0;
}

// Every exception ends as a message and an exit status (core/guarded_main.hpp).
int main(int argc, char** argv) {
  return matsample::guarded_main("sample_demo", [&] { return main_body(argc, argv); });
}
