// metis_permutation (target matsample::metis): a permutation whose row blocks
// cut far fewer edges than a random relabelling on a graph with communities.
#include <doctest/doctest.h>

#include <matsample/core/metis.hpp>
#include <matsample/matsample.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace ms = matsample;

namespace {

/// Fraction of entries whose endpoints fall in different row blocks of `parts`.
template <class M>
double block_cut(const M& g, int parts) {
  const auto block = [&](std::int64_t v) { return v * parts / g.rows(); };
  std::int64_t crossing = 0;
  for (std::int32_t r = 0; r < g.rows(); ++r) {
    for (auto e = g.indptr()[r]; e < g.indptr()[r + 1]; ++e) crossing += block(r) != block(g.indices()[e]);
  }
  return static_cast<double>(crossing) / static_cast<double>(g.nnz());
}

}  // namespace

TEST_CASE(
    "metis_permutation: a permutation, reproducible, and its blocks cut less than half of a random relabelling's") {
  // Four classes with 90% of edges inside a class, shuffled ids: METIS should find the classes.
  const auto data = ms::csbm<float, std::int32_t, std::int64_t>(
      {.num_vertices = 4000, .num_classes = 4, .average_degree = 10, .homophily = 0.9, .seed = 5});
  const auto& a = data.graph;
  const auto perm = ms::metis_permutation(a.view(), 4, 7);
  auto sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int32_t> identity(perm.size());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(perm == ms::metis_permutation(a.view(), 4, 7));
  const auto by_metis = ms::relabel_vertices(a.view(), std::span<const std::int32_t>(perm));
  const auto random = ms::random_permutation<std::int32_t>(a.rows(), 7);
  const auto by_random = ms::relabel_vertices(a.view(), std::span<const std::int32_t>(random));
  const double metis_cut = block_cut(by_metis, 4), random_cut = block_cut(by_random, 4);
  MESSAGE("edges crossing 4 row blocks: METIS ", metis_cut, ", random ", random_cut);
  CHECK(random_cut > 0.6);              // 3/4 expected
  CHECK(metis_cut < 0.5 * random_cut);  // bounds fixed in advance

  CHECK(ms::metis_permutation(a.view(), 1) == identity);
  CHECK_THROWS_AS(ms::metis_permutation(a.view(), 0), ms::argument_error);
  const ms::csr_matrix<float, std::int32_t, std::int64_t> rect(2, 3, {0, 1, 1}, {2});
  CHECK_THROWS_AS(ms::metis_permutation(rect.view(), 2), ms::argument_error);
}
