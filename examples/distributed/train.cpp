// Data-parallel GraphSAGE over MPI with the reference trainer's step function.
//
//   mpirun -n 4 build/release/examples/distributed/distributed_graphsage
//          --data data/cora --split planetoid --row-normalize --batch 35 --epochs 100
//          [--graph-replication c | --grid PRxPC [--summa]] [--feature-replication c]
//
// Sampling runs on mpi_backend over a distributed_csr:
//   --graph-replication c   1.5D row blocks held by c ranks each (default: c
//                           = p, the replicated-graph mode: sampling moves
//                           nothing); every rank samples its own minibatches
//   --grid PRxPC            2D tiles; the PC ranks of a grid row sample
//                           together, PC minibatches per step, and each of them
//                           trains one (--summa: sparse SUMMA products)
// The input features of a step are fetched over MPI from a feature_block
// layout: vertex blocks over p/c grid rows, each held by c ranks
// (--feature-replication c). Every layout gives each minibatch the same
// blocks and features (the samplers are bit-identical across layouts), and
// the bytes moved are reported per rank.
//
// Each epoch cuts the shuffled training vertices into minibatches of
// --batch seeds; sampling groups (ranks in 1.5D, grid rows in 2D) take
// contiguous shares balanced by estimated work (mpi::balanced_cuts over the
// distributed degrees). The gradients, each scaled by its number of seeds,
// are summed on rank 0 and broadcast, so every rank applies the same update
// to the same parameters; the run ends by checking that the parameters are
// bit-identical everywhere. A minibatch keeps its global number, so its
// sample and dropout masks do not depend on the rank count or layout. The
// whole graph is read on every rank here, since evaluation (full
// neighbourhoods) runs on each; mpi::read_ogb_partitioned loads only a block.
#include <matsample/io.hpp>
#include <matsample/mpi.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trainer.hpp"

namespace {

using I = std::int32_t;
using O = std::int64_t;
namespace mpi = matsample::mpi;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

/// FNV-1a over the parameter bytes: equal on every rank iff the parameters are.
std::uint64_t fingerprint(std::span<const float> values) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (std::size_t i = 0; i < values.size_bytes(); ++i) h = (h ^ bytes[i]) * 1099511628211ULL;
  return h;
}

/// "PRxPC" as two positive ints; argument_error otherwise.
std::pair<int, int> parse_grid(const std::string& text) {
  int pr = 0, pc = 0;
  char x = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &pr, &x, &pc, &rest) != 3 || (x != 'x' && x != 'X') || pr < 1 || pc < 1) {
    throw matsample::argument_error("--grid: expected PRxPC with positive PR and PC, got '" + text + "'");
  }
  return {pr, pc};
}

/// The grid A is distributed over: 2D for --grid, else 1.5D with c = --graph-replication (0: all ranks).
std::unique_ptr<mpi::process_grid> graph_grid(const std::string& grid, int replication, int size) {
  if (!grid.empty()) {
    const auto [pr, pc] = parse_grid(grid);
    // The grid stays where it is made (it is not movable): new from the prvalue.
    return std::unique_ptr<mpi::process_grid>(new mpi::process_grid(mpi::process_grid::two_d(MPI_COMM_WORLD, pr, pc)));
  }
  return std::unique_ptr<mpi::process_grid>(
      new mpi::process_grid(mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, replication > 0 ? replication : size)));
}

int run(int argc, char** argv) {
  int rank = 0, size = 1;
  mpi::check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  mpi::check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");

  CLI::App app{"Data-parallel GraphSAGE over MPI (matsample)"};
  graphsage::trainer_options o;
  o.batch_size = 64;
  o.background_sampling = false;  // steps are synchronous across ranks
  o.threads = 1;
  std::string data_path, split, grid_shape;
  matsample::csbm_options csbm;
  app.add_option("--data", data_path, "OGB raw-layout directory (default: the built-in contextual SBM)");
  app.add_option("--split", split, "OGB split name");
  app.add_option("--epochs", o.epochs, "epochs")->capture_default_str();
  app.add_option("--batch", o.batch_size, "seeds per minibatch (per rank and step)")->capture_default_str();
  app.add_option("--fanouts", o.fanouts, "neighbours per layer, hop 1 first");
  app.add_option("--hidden", o.hidden, "hidden units")->capture_default_str();
  app.add_option("--lr", o.learning_rate, "learning rate")->capture_default_str();
  app.add_option("--dropout", o.dropout, "dropout")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of parameters, sampling and dropout")->capture_default_str();
  app.add_option("--threads", o.threads, "threads per rank")->capture_default_str();
  app.add_flag("--row-normalize", o.row_normalize_features, "divide each feature row by its sum");
  int feature_replication = 1, graph_replication = 0;
  bool summa = false;
  app.add_option("--feature-replication", feature_replication,
                 "ranks holding each feature block (divides the rank count)")
      ->capture_default_str();
  auto* replication_option =
      app.add_option("--graph-replication", graph_replication,
                     "1.5D: ranks holding each row block of A (divides the rank count; default all: "
                     "the replicated graph)");
  app.add_option("--grid", grid_shape, "2D tiles of A on a PRxPC grid (PR * PC = ranks)")->excludes(replication_option);
  app.add_flag("--summa", summa, "2D products by sparse SUMMA (square grids) instead of row fetches");
  CLI11_PARSE(app, argc, argv);
  o.eval_every = o.epochs;
  if (summa && grid_shape.empty()) throw matsample::argument_error("--summa needs a 2D --grid");

  const auto data = data_path.empty() ? matsample::csbm<float, I, O>(csbm)
                                      : matsample::read_ogb<float, I, O>(data_path, {.split = split});
  graphsage::trainer<I, O> trainer(data.view(), o);
  const auto& train = data.splits.at("train");
  const auto grid = graph_grid(grid_shape, graph_replication, size);
  const auto graph = mpi::distributed_csr<float, I, O>::from_replicated(*grid, data.graph.view());
  const mpi::mpi_backend backend(*grid, o.threads, summa ? mpi::two_d_product::summa : mpi::two_d_product::row_fetch);
  const matsample::nodewise_options sampling{.fanouts = trainer.options().fanouts, .seed = trainer.options().seed};
  // Sampling groups: on 2D tiles the ranks of a grid row sample together.
  const bool tiled = graph.view().tiled();
  const int groups = tiled ? grid->rows() : size, group = tiled ? grid->my_row() : rank;
  const int members = tiled ? grid->cols() : 1, member = tiled ? grid->my_col() : 0;

  const auto feature_grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, feature_replication);
  const auto feature_block = mpi::feature_block::from_replicated(feature_grid, trainer.features(), data.feature_dim);
  mpi::volume feature_bytes;
  auto& net = trainer.network();
  std::vector<float> summed(net.gradients().size());
  const int gradient_count = mpi::count_of(static_cast<std::int64_t>(summed.size()), "gradients");

  double sample_s = 0, fetch_s = 0, compute_s = 0, comm_s = 0;
  std::int64_t sampled_edges = 0, my_minibatches = 0;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const matsample::epoch_batches<I> batches(train, o.batch_size, o.seed, static_cast<std::uint64_t>(epoch));
    const auto all = batches.bulk(0, batches.size());
    const auto cuts = mpi::balanced_cuts(mpi::estimated_work(graph.view(), all), groups);
    std::int64_t steps = 0;
    for (int g = 0; g < groups; ++g) steps = std::max(steps, (cuts[g + 1] - cuts[g] + members - 1) / members);
    double loss_sum = 0;
    std::int64_t seeds_sum = 0;
    for (std::int64_t s = 0; s < steps; ++s) {
      // My group samples up to `members` minibatches together (a collective
      // call even when it has none left); I train the member-th of them.
      const std::int64_t first = std::min(cuts[group] + s * members, cuts[group + 1]);
      const std::int64_t last = std::min(first + members, cuts[group + 1]);
      const std::int64_t m = first + member;
      const bool training = m < last;
      float seeds = 0;
      std::fill(net.gradients().begin(), net.gradients().end(), 0.0F);
      auto t = clock_type::now();
      const auto bulk = matsample::sample_nodewise(backend, graph.view(), all.slice(first, last), sampling);
      sample_s += seconds_since(t);
      // Every rank takes part in the (collective) feature fetch, with or without a minibatch.
      t = clock_type::now();
      const std::span<const I> inputs = training ? bulk[member].input_nodes() : std::span<const I>();
      const auto rows = mpi::fetch_features<I>(feature_grid, feature_block, inputs, &feature_bytes);
      fetch_s += seconds_since(t);
      if (training) {
        for (std::size_t l = 0; l < bulk[member].num_layers(); ++l) sampled_edges += bulk[member].block(l).num_edges();
        ++my_minibatches;
        t = clock_type::now();
        graphsage::matrix<float> x = Eigen::Map<const graphsage::matrix<float>>(
            rows.data(), static_cast<Eigen::Index>(inputs.size()), static_cast<Eigen::Index>(data.feature_dim));
        const auto result = trainer.compute_gradients(
            bulk[member], std::move(x), {o.seed, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(m)});
        seeds = static_cast<float>(result.seeds);
        for (auto& g : net.gradients()) g *= seeds;  // weight by seeds: the step averages over all of them
        loss_sum += result.loss * result.seeds;
        seeds_sum += result.seeds;
        compute_s += seconds_since(t);
      }
      // Sum on rank 0, broadcast: every rank then holds the same bits.
      t = clock_type::now();
      float total_seeds = 0;
      mpi::check(
          MPI_Reduce(net.gradients().data(), summed.data(), gradient_count, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD),
          "MPI_Reduce");
      mpi::check(MPI_Reduce(&seeds, &total_seeds, 1, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
      if (rank == 0) {
        for (auto& g : summed) g /= total_seeds;
      }
      mpi::check(MPI_Bcast(summed.data(), gradient_count, MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Bcast");
      std::copy(summed.begin(), summed.end(), net.gradients().begin());
      comm_s += seconds_since(t);
      trainer.apply_update();
    }
    double totals[2] = {loss_sum, static_cast<double>(seeds_sum)}, global[2] = {0, 0};
    mpi::check(MPI_Reduce(totals, global, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
    if (rank == 0 && (epoch % 10 == 9 || epoch + 1 == o.epochs)) {
      std::printf("epoch %3lld  loss %.4f  (%lld steps of up to %d minibatches)\n", static_cast<long long>(epoch),
                  global[0] / global[1], static_cast<long long>(steps), size);
    }
  }

  // Parameters must be bit-identical on every rank.
  const std::uint64_t mine = fingerprint(net.parameters());
  std::vector<std::uint64_t> all_prints(static_cast<std::size_t>(size));
  mpi::check(MPI_Gather(&mine, 1, MPI_UINT64_T, all_prints.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Gather");
  // Load balance: per-rank sampling time, sampled edges and bytes moved.
  constexpr int fields = 7;
  double mine_stats[fields] = {sample_s,
                               static_cast<double>(sampled_edges),
                               static_cast<double>(my_minibatches),
                               comm_s,
                               fetch_s,
                               static_cast<double>(feature_bytes.bytes_sent),
                               static_cast<double>(backend.moved().bytes_sent)};
  std::vector<double> stats(static_cast<std::size_t>(fields * size));
  mpi::check(MPI_Gather(mine_stats, fields, MPI_DOUBLE, stats.data(), fields, MPI_DOUBLE, 0, MPI_COMM_WORLD),
             "MPI_Gather");
  const auto eval = trainer.evaluate();  // full neighbourhoods, the same on every rank
  int identical = 1;
  if (rank == 0) {
    std::printf("graph layout: %s%s; feature blocks held by %d ranks each\n",
                tiled ? ("2D " + std::to_string(grid->rows()) + " x " + std::to_string(grid->cols()) + " tiles").c_str()
                      : ("1.5D, row blocks held by " + std::to_string(grid->cols()) + " ranks each").c_str(),
                summa ? " (SUMMA)" : "", feature_replication);
    for (const auto p : all_prints) identical = identical && p == all_prints[0];
    for (int r = 0; r < size; ++r) {
      const double* st = stats.data() + fields * r;
      std::printf(
          "rank %d: %4.0f minibatches, %9.0f sampled edges, sampling %.3f s (%.2f MB sent), feature fetch %.3f s "
          "(%.2f MB sent), gradient exchange %.3f s\n",
          r, st[2], st[1], st[0], st[6] / 1e6, st[4], st[5] / 1e6, st[3]);
    }
    std::printf("parameters on all %d ranks: %s\n", size, identical ? "identical" : "DIFFERENT");
    std::printf("final: valid %.4f  test %.4f\n", eval.accuracy("valid"), eval.accuracy("test"));
  }
  mpi::check(MPI_Bcast(&identical, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return identical ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int status = mpi::abort_on_error(MPI_COMM_WORLD, [&] { return run(argc, argv); });
  MPI_Finalize();
  return status;
}
