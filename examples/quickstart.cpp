// Quickstart: sample GraphSAGE minibatches in bulk on the CPU.
#include <matsample/matsample.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

int main() {
  // guarded_main prints any exception as "quickstart: <message>" and returns
  // an exit status, so a program never ends in std::terminate.
  return matsample::guarded_main("quickstart", [] {
    using namespace matsample;
    // A graph: int32 vertex ids, int64 row offsets, no edge weights (a pattern).
    const auto graph = rmat<float, std::int32_t, std::int64_t>({.scale = 14, .edge_factor = 8});

    // Training vertices, shuffled for epoch 0 and cut into batches of 256.
    std::vector<std::int32_t> train(2000);
    std::iota(train.begin(), train.end(), 0);
    const epoch_batches<std::int32_t> epoch(train, /*batch_size=*/256, /*shuffle_seed=*/42, /*epoch=*/0);

    // One call samples every batch of the epoch: 2 layers. Fanouts run from the
    // seeds outwards (PyG's order): 10 neighbours of each seed, then 5 of each of
    // those. A row gathers from its columns: entry A[u][v] (edge-list line "u v")
    // makes v a neighbour of u, the reverse of DGL's message direction on a
    // directed graph (docs/design.md, "Edge direction and fanout order").
    const cpu_backend cpu;
    const auto bulk = sample_nodewise(cpu, graph.view(), epoch.bulk(0, epoch.size()), {.fanouts = {10, 5}, .seed = 7});

    // Each minibatch is a list of DGL-style blocks, input layer first (DGL's
    // order, the reverse of the fanouts: block(0) is the hop sampled with fanout
    // 5); a block's source nodes start with its destination nodes.
    for (const auto minibatch : bulk) {
      const auto input = minibatch.block(0), output = minibatch.block(1);
      std::printf("minibatch %lld: %zu seeds, %zu input nodes, %lld + %lld sampled edges\n",
                  static_cast<long long>(minibatch.index()), minibatch.seeds().size(), minibatch.input_nodes().size(),
                  static_cast<long long>(input.num_edges()), static_cast<long long>(output.num_edges()));
    }
    return 0;
  });
}
