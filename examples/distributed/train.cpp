// Data-parallel GraphSAGE over MPI with the reference trainer's step function.
//
//   mpirun -n 4 build/release/examples/distributed/distributed_graphsage
//          --data ../shared/data/cora --split planetoid --row-normalize --batch 35 --epochs 100
//
// Every rank holds the graph (replicated mode: sampling moves nothing) and
// the same initial parameters (same seed). The input features of a step are
// fetched over MPI from a feature_block layout: vertex blocks over p/c grid
// rows, each held by c ranks (--feature-replication c), as a deployment
// whose features do not fit one rank would; the fetched rows are the same
// bits, so training is unchanged, and the bytes moved are reported. Each epoch cuts the
// shuffled training vertices into minibatches of --batch seeds; ranks take
// contiguous shares balanced by estimated work (mpi::balanced_cuts), and in
// step s every rank trains the s-th minibatch of its share (or none). The
// gradients, each scaled by its number of seeds, are summed on rank 0 and
// broadcast, so every rank applies the same update to the same parameters;
// the run ends by checking that the parameters are bit-identical everywhere.
// A minibatch keeps its global number, so its sample and dropout masks do not
// depend on the rank count.
#include <matsample/io.hpp>
#include <matsample/mpi.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
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

int run(int argc, char** argv) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  CLI::App app{"Data-parallel GraphSAGE over MPI (matsample)"};
  graphsage::trainer_options o;
  o.batch_size = 64;
  o.background_sampling = false;  // steps are synchronous across ranks
  o.threads = 1;
  std::string data_path, split;
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
  int feature_replication = 1;
  app.add_option("--feature-replication", feature_replication, "ranks holding each feature block (divides the rank count)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  o.eval_every = o.epochs;

  const auto data = data_path.empty() ? matsample::csbm<float, I, O>(csbm)
                                      : matsample::read_ogb<float, I, O>(data_path, {.split = split});
  graphsage::trainer<I, O> trainer(data.view(), o);
  const auto& train = data.splits.at("train");
  const auto feature_grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, feature_replication);
  const auto feature_block = mpi::feature_block::from_replicated(feature_grid, trainer.features(), data.feature_dim);
  mpi::volume feature_bytes;
  auto& net = trainer.network();
  std::vector<float> summed(net.gradients().size());

  double sample_s = 0, fetch_s = 0, compute_s = 0, comm_s = 0;
  std::int64_t sampled_edges = 0, my_minibatches = 0;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const matsample::epoch_batches<I> batches(train, o.batch_size, o.seed, static_cast<std::uint64_t>(epoch));
    const auto all = batches.bulk(0, batches.size());
    const auto cuts = mpi::balanced_cuts(mpi::estimated_work(data.graph.view(), all), size);
    std::int64_t steps = 0;
    for (int r = 0; r < size; ++r) steps = std::max(steps, cuts[r + 1] - cuts[r]);
    double loss_sum = 0;
    std::int64_t seeds_sum = 0;
    for (std::int64_t s = 0; s < steps; ++s) {
      const std::int64_t m = cuts[rank] + s;
      float seeds = 0;
      std::fill(net.gradients().begin(), net.gradients().end(), 0.0F);
      const bool training = m < cuts[rank + 1];
      auto t = clock_type::now();
      const auto bulk = trainer.sampler().sample(training ? all.slice(m, m + 1) : all.slice(0, 0));
      sample_s += seconds_since(t);
      // Every rank takes part in the (collective) feature fetch, with or without a minibatch.
      t = clock_type::now();
      const std::span<const I> inputs = training ? bulk[0].input_nodes() : std::span<const I>();
      const auto rows = mpi::fetch_features<I>(feature_grid, feature_block, inputs, &feature_bytes);
      fetch_s += seconds_since(t);
      if (training) {
        sampled_edges += bulk.num_edges();
        ++my_minibatches;
        t = clock_type::now();
        graphsage::matrix<float> x = Eigen::Map<const graphsage::matrix<float>>(
            rows.data(), static_cast<Eigen::Index>(inputs.size()), static_cast<Eigen::Index>(data.feature_dim));
        const auto result = trainer.compute_gradients(bulk[0], std::move(x),
                                                      {o.seed, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(m)});
        seeds = static_cast<float>(result.seeds);
        for (auto& g : net.gradients()) g *= seeds;  // weight by seeds: the step averages over all of them
        loss_sum += result.loss * result.seeds;
        seeds_sum += result.seeds;
        compute_s += seconds_since(t);
      }
      // Sum on rank 0, broadcast: every rank then holds the same bits.
      t = clock_type::now();
      float total_seeds = 0;
      MPI_Reduce(net.gradients().data(), summed.data(), static_cast<int>(summed.size()), MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD);
      MPI_Reduce(&seeds, &total_seeds, 1, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD);
      if (rank == 0) {
        for (auto& g : summed) g /= total_seeds;
      }
      MPI_Bcast(summed.data(), static_cast<int>(summed.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
      std::copy(summed.begin(), summed.end(), net.gradients().begin());
      comm_s += seconds_since(t);
      trainer.apply_update();
    }
    double totals[2] = {loss_sum, static_cast<double>(seeds_sum)}, global[2] = {0, 0};
    MPI_Reduce(totals, global, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0 && (epoch % 10 == 9 || epoch + 1 == o.epochs)) {
      std::printf("epoch %3lld  loss %.4f  (%lld steps of up to %d minibatches)\n", static_cast<long long>(epoch),
                  global[0] / global[1], static_cast<long long>(steps), size);
    }
  }

  // Parameters must be bit-identical on every rank.
  const std::uint64_t mine = fingerprint(net.parameters());
  std::vector<std::uint64_t> all_prints(static_cast<std::size_t>(size));
  MPI_Gather(&mine, 1, MPI_UINT64_T, all_prints.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  // Load balance: per-rank sampling time and sampled edges.
  constexpr int fields = 6;
  double mine_stats[fields] = {sample_s, static_cast<double>(sampled_edges), static_cast<double>(my_minibatches), comm_s,
                               fetch_s, static_cast<double>(feature_bytes.bytes_sent)};
  std::vector<double> stats(static_cast<std::size_t>(fields * size));
  MPI_Gather(mine_stats, fields, MPI_DOUBLE, stats.data(), fields, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  const auto eval = trainer.evaluate();  // full neighbourhoods, the same on every rank
  int identical = 1;
  if (rank == 0) {
    for (const auto p : all_prints) identical = identical && p == all_prints[0];
    for (int r = 0; r < size; ++r) {
      const double* st = stats.data() + fields * r;
      std::printf("rank %d: %4.0f minibatches, %9.0f sampled edges, sampling %.3f s, feature fetch %.3f s (%.1f MB sent), "
                  "gradient exchange %.3f s\n",
                  r, st[2], st[1], st[0], st[4], st[5] / 1e6, st[3]);
    }
    std::printf("parameters on all %d ranks: %s\n", size, identical ? "identical" : "DIFFERENT");
    std::printf("final: valid %.4f  test %.4f\n", eval.accuracy("valid"), eval.accuracy("test"));
  }
  MPI_Bcast(&identical, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return identical ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int status = mpi::abort_on_error(MPI_COMM_WORLD, [&] { return run(argc, argv); });
  MPI_Finalize();
  return status;
}
