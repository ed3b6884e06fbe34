// The worked example of docs/link_prediction.md: split a graph's edges,
// then sample link prediction minibatches with their negatives, the seed
// edges and their reverses masked out of the blocks.
#include <matsample/matsample.hpp>

#include <cstdio>

int main() {
  return matsample::guarded_main("link_example", [] {
    using namespace matsample;
    // A symmetric graph: int32 vertex ids, int64 row offsets.
    const auto graph = rmat<float, std::int32_t, std::int64_t>({.scale = 12, .edge_factor = 8});

    // Hold out 5% of the edges for validation and 10% for testing, with as
    // many fixed negatives each; training samples a graph without them.
    const auto split = random_edge_split(graph.view(), {.valid_fraction = 0.05, .test_fraction = 0.10, .seed = 1});
    const auto train = split.train_graph.view();
    std::printf("%zu train, %zu valid, %zu test edges\n", split.train.size(), split.valid.size(), split.test.size());

    // Any node sampler does the blocks; the link sampler adds the negatives
    // (one uniform per positive), takes the endpoints as seeds and masks
    // each minibatch's own edges and their reverses out of its blocks.
    const cpu_backend cpu;
    const nodewise_sampler nodes(cpu, train);
    const link_sampler link(nodes, train,
                            {.negatives = {.per_positive = 1, .seed = 7}, .exclude = edge_exclusion::reverse});

    // Epoch 0's training edges, shuffled and cut into batches of 512; the
    // first 4 batches in one call.
    const epoch_edge_batches<std::int32_t> epoch(split.train.src, split.train.dst, 512, /*shuffle_seed=*/3, 0);
    const auto sample = link(epoch.bulk(0, 4), nodewise_options{.fanouts = {10, 5}, .seed = 7});

    for (std::int64_t m = 0; m < sample.blocks.size(); ++m) {
      const auto minibatch = sample.blocks[m];
      const auto [pos_src, pos_dst] = sample.positives.batch(m);
      const auto [neg_src, neg_dst] = sample.negatives.batch(m);
      // Pair ids are local: positions in minibatch.seeds(), the last block's
      // destination nodes, so they index the encoder's output rows directly.
      std::printf(
          "minibatch %lld: %zu positives, %zu negatives, %zu seeds, %zu input nodes; "
          "first positive (%d, %d) is vertices (%d, %d)\n",
          static_cast<long long>(m), pos_src.size(), neg_src.size(), minibatch.seeds().size(),
          minibatch.input_nodes().size(), pos_src[0], pos_dst[0], minibatch.seeds()[pos_src[0]],
          minibatch.seeds()[pos_dst[0]]);
    }
    return 0;
  });
}
