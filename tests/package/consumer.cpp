// Samples a small graph through the installed headers and checks the result,
// so the package test fails if the package is incomplete or broken.
#include <matsample/matsample.hpp>

#include <cstdio>
#include <vector>

int main() {
  using graph = matsample::csr_matrix<float, std::int32_t, std::int64_t>;
  const std::vector<std::int32_t> src{0, 0, 1, 2, 3}, dst{1, 2, 2, 3, 4};
  const graph a = matsample::csr_from_edges<float, std::int32_t, std::int64_t>(5, src, dst, {}, {.symmetrize = true});
  const std::vector<std::int32_t> seeds{0, 4};
  const auto batches = matsample::batch_list<std::int32_t>::uniform(seeds, 1);
  const auto sample = matsample::sample_nodewise(matsample::cpu_backend{}, a.view(), batches,
                                                 {.fanouts = {2, 2}, .seed = 1});
  if (sample.size() != 2 || sample[1].seeds()[0] != 4 || sample.num_edges() == 0) {
    std::puts("consumer: unexpected sample");
    return 1;
  }
  std::printf("consumer: sampled %lld edges\n", static_cast<long long>(sample.num_edges()));
  return 0;
}
