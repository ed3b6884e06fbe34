// Distributed sampling throughput and bytes moved per sampled edge, one line
// per layout, printed as a Markdown table by rank 0:
//
//   mpirun -n 4 build/release/bench/matsample_mpi_bench [scale] [k] [iterations]
//
// R-MAT graph (default scale 18, edge factor 16), node-wise 15,10,5 with
// batch 1024, k minibatches per rank and call. Every layout that fits the
// rank count runs: 1.5D with each replication c dividing p, and every 2D
// shape, and sparse SUMMA on a square grid. Time is the slowest rank's;
// sampled edges and bytes are summed over ranks (bytes: what crossed between
// ranks, counts included).
#include <matsample/mpi.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace ms = matsample;
namespace mpi = matsample::mpi;
using I = std::int32_t;
using O = std::int64_t;

struct totals {
  double seconds = 0;
  std::int64_t edges = 0, bytes = 0;
};

totals measure(const mpi::process_grid& grid, const ms::csr_matrix<float, I, O>& graph, const std::vector<I>& train,
               std::int64_t k, int iterations, mpi::two_d_product product = mpi::two_d_product::row_fetch) {
  const auto a = mpi::distributed_csr<float, I, O>::from_replicated(grid, graph.view());
  const mpi::mpi_backend backend(grid, 1, product);
  const ms::nodewise_options options{.fanouts = {15, 10, 5}, .seed = 1};
  // Sampling groups: ranks (1.5D) or grid rows (2D, whose ranks share minibatches).
  const bool tiled = a.view().tiled();
  const int groups = tiled ? grid.rows() : grid.size();
  const int group = tiled ? grid.my_row() : grid.rank();
  const ms::epoch_batches<I> epoch(train, 1024, 1, 0);
  double seconds = 0;
  std::int64_t edges = 0;
  backend.reset_volume();
  for (int it = -1; it < iterations; ++it) {  // iteration -1 warms up and is not counted
    const std::int64_t first =
        ((it + 1) * static_cast<std::int64_t>(groups) + group) * k % std::max<std::int64_t>(epoch.size() - k, 1);
    const auto batches = epoch.bulk(first, k);
    MPI_Barrier(grid.world());
    const auto t0 = std::chrono::steady_clock::now();
    const auto sample = ms::sample_nodewise(backend, a.view(), batches, options);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (it < 0) {
      backend.reset_volume();
      continue;
    }
    seconds += dt;
    // A grid row's ranks hold the same sample: count it once.
    if (!tiled || grid.my_col() == 0) edges += sample.num_edges();
  }
  totals mine{seconds, edges, backend.moved().bytes_sent}, out;
  mpi::check(MPI_Reduce(&mine.seconds, &out.seconds, 1, MPI_DOUBLE, MPI_MAX, 0, grid.world()), "MPI_Reduce");
  mpi::check(MPI_Reduce(&mine.edges, &out.edges, 1, MPI_INT64_T, MPI_SUM, 0, grid.world()), "MPI_Reduce");
  mpi::check(MPI_Reduce(&mine.bytes, &out.bytes, 1, MPI_INT64_T, MPI_SUM, 0, grid.world()), "MPI_Reduce");
  return out;
}

/// argv[i] as an integer in [lo, hi], or `fallback` when absent; argument_error otherwise.
std::int64_t argument(int argc, char** argv, int i, std::int64_t fallback, std::int64_t lo, std::int64_t hi,
                      const char* what) {
  if (argc <= i) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < lo || v > hi) {
    throw ms::argument_error(std::string("matsample_mpi_bench: ") + what + " must be an integer in [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + argv[i] + "'");
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  mpi::abort_on_error(MPI_COMM_WORLD, [&] {
    const int scale = static_cast<int>(argument(argc, argv, 1, 18, 1, 30, "scale"));
    const std::int64_t k = argument(argc, argv, 2, 8, 1, 1 << 20, "k");
    const int iterations = static_cast<int>(argument(argc, argv, 3, 5, 1, 1 << 20, "iterations"));
    int rank = 0, p = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    const auto graph = ms::rmat<float, I, O>({.scale = scale, .edge_factor = 16});
    std::vector<I> train;
    for (I v = 0; v < graph.rows(); ++v) {
      if (graph.view().degree(v) > 0) train.push_back(v);
    }
    if (rank == 0) {
      std::printf(
          "R-MAT scale %d: %d vertices, %lld nonzeros; node-wise 15,10,5, batch 1024, k = %lld per call, %d calls\n\n",
          scale, graph.rows(), static_cast<long long>(graph.nnz()), static_cast<long long>(k), iterations);
      std::printf("| ranks | layout | sampled edges/s | bytes moved per sampled edge |\n|---:|---|---:|---:|\n");
    }
    const auto report = [&](const std::string& layout, const totals& t) {
      if (rank == 0) {
        std::printf("| %d | %s | %.3g M | %.2f |\n", p, layout.c_str(), static_cast<double>(t.edges) / t.seconds / 1e6,
                    static_cast<double>(t.bytes) / static_cast<double>(t.edges));
      }
    };
    for (int c = 1; c <= p; ++c) {
      if (p % c != 0) continue;
      const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, c);
      report("1.5D, c = " + std::to_string(c) + (c == p ? " (replicated)" : ""),
             measure(grid, graph, train, k, iterations));
    }
    for (int pr = 1; pr < p; ++pr) {
      if (p % pr != 0) continue;
      const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, pr, p / pr);
      report("2D, " + std::to_string(pr) + " x " + std::to_string(p / pr), measure(grid, graph, train, k, iterations));
      if (pr * pr == p) {
        report("2D SUMMA, " + std::to_string(pr) + " x " + std::to_string(pr),
               measure(grid, graph, train, k, iterations, mpi::two_d_product::summa));
      }
    }
    return 0;
  });
  MPI_Finalize();
}
