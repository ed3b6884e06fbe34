// negative_sampler: the distributions of the
// corrupted endpoint (chi-square, bounds of tests/statistics.hpp fixed in
// advance), rejection of true edges as a property over many seeds and
// graphs, identical output for any thread count and call grouping, and the
// errors.
#include <doctest/doctest.h>
#include <omp.h>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "matsample/matsample.hpp"
#include "matsample/sampling/negatives.hpp"
#include "statistics.hpp"

namespace {

namespace ms = matsample;
using i32 = std::int32_t;
using i64 = std::int64_t;

/// 10 vertices, a star on 0 plus a path 1-2-...-9 (degrees 9, 2, 3, ..., 3, 2),
/// rows sorted: degree^alpha differs from vertex to vertex.
ms::csr_matrix<float, i32, i64> ten_vertices() {
  std::vector<std::pair<i32, i32>> edges;
  for (i32 v = 1; v < 10; ++v) edges.emplace_back(0, v);
  for (i32 v = 1; v + 1 < 10; ++v) edges.emplace_back(v, v + 1);
  std::vector<i32> src, dst;
  for (const auto& [u, v] : edges) {
    src.push_back(u);
    dst.push_back(v);
  }
  return ms::csr_from_edges<float, i32, i64>(10, src, dst, {}, {.symmetrize = true});
}

/// Counts of the corrupted endpoint over n_trials draws (k = 10 per positive).
std::vector<double> endpoint_counts(const ms::negative_sampler<ms::csr_view<float, i32, i64>>& sampler, i32 n) {
  const std::vector<i32> src(test::stats::n_trials / 10, 3), dst(test::stats::n_trials / 10, 4);
  const auto neg = sampler(std::span<const i32>(src), std::span<const i32>(dst), 0, 7);
  REQUIRE(static_cast<std::int64_t>(neg.dst.size()) == test::stats::n_trials);
  std::vector<double> counts(static_cast<std::size_t>(n), 0);
  for (const i32 w : sampler.options().corrupt_source ? neg.src : neg.dst) counts[static_cast<std::size_t>(w)] += 1;
  return counts;
}

}  // namespace

TEST_CASE("negatives: the corrupted endpoint follows its distribution (uniform, degree^0.75, degree^1)") {
  const auto a = ten_vertices();
  const auto g = a.view();
  std::vector<double> degrees(10);
  for (i32 v = 0; v < 10; ++v) degrees[static_cast<std::size_t>(v)] = static_cast<double>(g.degree(v));
  for (const bool corrupt_source : {false, true}) {
    CAPTURE(corrupt_source);
    const ms::negative_sampler uniform(g, {.per_positive = 10, .corrupt_source = corrupt_source, .seed = 11});
    const std::vector<double> flat(10, 0.1);
    test::stats::expect_below("uniform",
                              test::stats::pearson(endpoint_counts(uniform, 10), flat, test::stats::n_trials), 9);
    for (const double alpha : {0.75, 1.0}) {
      CAPTURE(alpha);
      const ms::negative_sampler power(g, {.per_positive = 10,
                                           .distribution = ms::negative_distribution::degree_power,
                                           .degree_exponent = alpha,
                                           .corrupt_source = corrupt_source,
                                           .seed = 12});
      std::vector<double> p(10);
      double total = 0;
      for (std::size_t v = 0; v < 10; ++v) total += std::pow(degrees[v], alpha);
      for (std::size_t v = 0; v < 10; ++v) {
        p[v] = std::pow(degrees[v], alpha) / total;
        CHECK(power.probability(static_cast<i32>(v)) == doctest::Approx(p[v]).epsilon(1e-6));
      }
      const auto counts = endpoint_counts(power, 10);
      test::stats::expect_below("degree power", test::stats::pearson(counts, p, test::stats::n_trials), 9);
      // The test can fail: these counts are far from uniform.
      test::stats::expect_above("degree power against uniform",
                                test::stats::pearson(counts, flat, test::stats::n_trials));
    }
  }
}

TEST_CASE("negatives: with rejection no negative is a true edge, over many seeds and graphs; a full row drops all") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    const auto a = ms::rmat<float, i32, i64>({.scale = 7, .edge_factor = 6, .seed = seed});
    const auto g = a.view();
    std::vector<i32> src, dst;
    for (i32 u = 0; u < g.rows(); ++u) {
      for (i64 e = g.row_begin(u); e < g.row_end(u); ++e) {
        src.push_back(u);
        dst.push_back(g.indices()[static_cast<std::size_t>(e)]);
      }
    }
    for (const bool corrupt_source : {false, true}) {
      const ms::negative_sampler sampler(
          g, {.per_positive = 3, .corrupt_source = corrupt_source, .reject_true_edges = true, .seed = seed});
      const auto neg = sampler(std::span<const i32>(src), std::span<const i32>(dst), 2, 5);
      const auto holds = [&](i32 u, i32 v) {
        for (i64 e = g.row_begin(u); e < g.row_end(u); ++e) {
          if (g.indices()[static_cast<std::size_t>(e)] == v) return true;
        }
        return false;
      };
      std::int64_t true_edges = 0;
      for (std::size_t i = 0; i < neg.src.size(); ++i) true_edges += holds(neg.src[i], neg.dst[i]) ? 1 : 0;
      CHECK(true_edges == 0);
      CHECK(static_cast<std::int64_t>(neg.src.size()) + neg.dropped == 3 * static_cast<std::int64_t>(src.size()));
    }
  }
  // Vertex 0 of a complete graph with self loops has every vertex as a neighbour: every draw is dropped.
  std::vector<i32> all_src, all_dst;
  for (i32 u = 0; u < 4; ++u) {
    for (i32 v = 0; v < 4; ++v) {
      all_src.push_back(u);
      all_dst.push_back(v);
    }
  }
  const auto full = ms::csr_from_edges<float, i32, i64>(4, all_src, all_dst);
  const ms::negative_sampler sampler(full.view(), {.per_positive = 2, .reject_true_edges = true, .max_redraws = 3});
  const std::vector<i32> src{0}, dst{1};
  const auto neg = sampler(std::span<const i32>(src), std::span<const i32>(dst), 0, 0);
  CHECK(neg.src.empty());
  CHECK(neg.dropped == 2);
}

TEST_CASE("negatives: the same for any thread count and whether a minibatch is drawn alone; new counters differ") {
  const auto a = ms::rmat<float, i32, i64>({.scale = 9, .edge_factor = 8, .seed = 3});
  const ms::negative_sampler sampler(a.view(), {.per_positive = 4,
                                                .distribution = ms::negative_distribution::degree_power,
                                                .reject_true_edges = true,
                                                .seed = 9});
  std::vector<i32> src(1000), dst(1000);
  for (i32 j = 0; j < 1000; ++j) {
    src[static_cast<std::size_t>(j)] = j % 512;
    dst[static_cast<std::size_t>(j)] = (j * 7) % 512;
  }
  const auto draw = [&](int threads, std::uint64_t minibatch) {
    omp_set_num_threads(threads);
    return sampler(std::span<const i32>(src), std::span<const i32>(dst), 1, minibatch);
  };
  const auto one = draw(1, 4), two = draw(2, 4);
  CHECK(one.src == two.src);
  CHECK(one.dst == two.dst);
  CHECK(one.positive == two.positive);
  CHECK(one.dropped == two.dropped);
  // The first 10 positives alone get the negatives they get within the 1000.
  const auto alone = sampler(std::span<const i32>(src).first(10), std::span<const i32>(dst).first(10), 1, 4);
  REQUIRE(alone.dst.size() <= one.dst.size());
  for (std::size_t i = 0; i < alone.dst.size(); ++i) CHECK(alone.dst[i] == one.dst[i]);
  CHECK(draw(2, 5).dst != one.dst);
}

TEST_CASE(
    "negatives: bad options are argument errors, pairs outside the graph out-of-range errors naming them; "
    "unsorted rows cannot reject") {
  const auto a = ten_vertices();
  const auto g = a.view();
  using V = ms::csr_view<float, i32, i64>;
  CHECK_THROWS_WITH_AS(ms::negative_sampler<V>(g, {.per_positive = 0}), doctest::Contains("per_positive"),
                       ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::negative_sampler<V>(g, {.degree_exponent = -1}), doctest::Contains("degree_exponent"),
                       ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::negative_sampler<V>(g, {.max_redraws = -2}), doctest::Contains("max_redraws"),
                       ms::argument_error);
  const ms::negative_sampler sampler(g, {});
  const std::vector<i32> src{1, 2}, dst{3, 10};
  CHECK_THROWS_WITH_AS((void)sampler(std::span<const i32>(src), std::span<const i32>(dst), 0, 0),
                       doctest::Contains("positive pair 1 (2, 10) is outside the graph's 10 x 10"),
                       ms::out_of_range_error);
  const std::vector<i32> one{1};
  CHECK_THROWS_WITH_AS((void)sampler(std::span<const i32>(src), std::span<const i32>(one), 0, 0),
                       doctest::Contains("2 sources but 1 destinations"), ms::argument_error);
  // k minibatches in one call: malformed offsets are refused; sound ones give
  // each minibatch what it gets alone.
  const std::vector<i32> bsrc{1, 2, 4}, bdst{3, 5, 6};
  const auto bulk = [&](std::vector<std::int64_t> offsets) {
    return sampler(std::span<const i32>(bsrc), std::span<const i32>(bdst), std::span<const std::int64_t>(offsets), 4,
                   7);
  };
  for (const auto& bad : {std::vector<std::int64_t>{}, std::vector<std::int64_t>{1, 3}, std::vector<std::int64_t>{0, 2},
                          std::vector<std::int64_t>{0, 2, 1, 3}}) {
    CHECK_THROWS_WITH_AS((void)bulk(bad), doctest::Contains("offsets must ascend from 0 to the pair count 3"),
                         ms::argument_error);
  }
  const auto both = bulk({0, 2, 3});
  const auto first = sampler(std::span<const i32>(bsrc).first(2), std::span<const i32>(bdst).first(2), 4, 7);
  const auto second = sampler(std::span<const i32>(bsrc).last(1), std::span<const i32>(bdst).last(1), 4, 8);
  REQUIRE(both.offsets == std::vector<std::int64_t>{0, 2, 3});
  CHECK(std::vector<i32>(both.dst.begin(), both.dst.begin() + 2) == first.dst);
  CHECK(std::vector<i32>(both.dst.begin() + 2, both.dst.end()) == second.dst);
  // Row 0 with columns 2, 1: not sorted.
  const std::vector<i64> indptr{0, 2, 2, 2};
  const std::vector<i32> indices{2, 1};
  const V unsorted(3, 3, indptr, indices, {});
  CHECK_THROWS_WITH_AS(ms::negative_sampler<V>(unsorted, {.reject_true_edges = true}),
                       doctest::Contains("row 0 is not"), ms::format_error);
  CHECK_NOTHROW(ms::negative_sampler<V>(unsorted, {}));
}
