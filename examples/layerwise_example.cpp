// The worked example of docs/layerwise.md: one LADIES layer on a 6-vertex
// graph for two minibatches, printed step by step with matsample's own
// kernels, so the page shows what the code computes.
//
//   0 - 1 - 3 - 5
//    \  |   |  /
//      2 -- 4
#include <matsample/matsample.hpp>

#include <cstdio>
#include <vector>

namespace ms = matsample;
using graph = ms::csr_matrix<double, std::int32_t, std::int64_t>;

namespace {

void print(const char* name, const ms::csr_view<double, std::int32_t, std::int64_t>& m) {
  std::printf("%s (%d x %d):\n", name, m.rows(), m.cols());
  for (std::int32_t r = 0; r < m.rows(); ++r) {
    std::printf("  row %d:", r);
    for (auto e = m.row_begin(r); e < m.row_end(r); ++e) std::printf("  (%d) %.4g", m.indices()[e], m.value(e));
    std::printf("\n");
  }
}

}  // namespace

static int main_body() {
  const std::vector<std::int32_t> src{0, 0, 1, 1, 2, 3, 3, 4}, dst{1, 2, 2, 3, 4, 4, 5, 5};
  const auto a = ms::csr_from_edges<double, std::int32_t, std::int64_t>(6, src, dst, {}, {.symmetrize = true});
  const ms::cpu_backend cpu;

  // Two minibatches: seeds {0, 1} and {4, 5}. Q_1 row m selects minibatch m's frontier.
  const std::vector<std::int32_t> seeds{0, 1, 4, 5};
  const auto batches = ms::batch_list<std::int32_t>::uniform(seeds, 2);
  const graph q(2, 6, std::vector<std::int64_t>{0, 2, 4}, std::vector<std::int32_t>{0, 1, 4, 5});
  print("A (pattern: every value 1)", a.view());
  print("Q_1", q.view());
  const auto p = ms::row_normalize(cpu, ms::as_view(cpu.spgemm(q.view(), a.view())));
  print("p = row_normalize(Q_1 (A o A))", p.view());

  // The sampler itself: sample size 2, one layer, with and without the
  // frontier kept (without it, only the sampled columns carry edges).
  for (const bool keep : {false, true}) {
    std::printf("\nsample_ladies, sample size 2, keep_frontier = %s\n", keep ? "true" : "false");
    const auto sample =
        ms::sample_ladies(cpu, a.view(), batches, {.sample_sizes = {2}, .keep_frontier = keep, .seed = 7});
    for (std::int64_t m = 0; m < sample.size(); ++m) {
      const auto block = sample[m].block(0);
      std::printf("minibatch %lld: source nodes", static_cast<long long>(m));
      for (const auto v : block.src_nodes) std::printf(" %d", v);
      std::printf("  (destination nodes first)\n");
      for (std::int32_t r = 0; r < block.num_dst(); ++r) {
        std::printf("  row %d (vertex %d):", r, block.dst_nodes()[r]);
        const auto& adj = block.adjacency;
        for (auto e = adj.row_begin(r); e < adj.row_end(r); ++e) {
          std::printf("  -> %d (vertex %d) weight %.4g", adj.indices()[e], block.src_nodes[adj.indices()[e]],
                      adj.value(e));
        }
        std::printf("\n");
      }
    }
  }
  return 0;
}

// Every exception ends as a message and an exit status (core/guarded_main.hpp).
int main() {
  return matsample::guarded_main("layerwise_example", [] { return main_body(); });
}
