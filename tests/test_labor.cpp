// LABOR: agreement with a plain oracle, identity across backends, thread
// counts and bulk calls, the shared-variate property, and statistical tests of
// the inclusion probabilities and of unbiased aggregation.
//
// Statistical bounds are fixed in advance. Each per-edge (or per-row) check
// is a z-test |observed - expected| <= 5 sigma (+ 1 for the lattice of
// counts); a correct sampler fails one with probability < 6e-7, and the
// tests run at most a few hundred, so a false failure has probability
// < 2e-4 for a fresh seed. Seeds are fixed, so every run is deterministic.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "backends.hpp"
#include "matsample/matsample.hpp"
#include "matsample/sampling/labor.hpp"
#include "support.hpp"

namespace {

using test::types;
template <class C>
using graph = ms::csr_matrix<typename C::V, typename C::I, typename C::O>;

/// 60 vertices: vertex v links to v+1 .. v+1+(v % 13) (mod 60), both ways,
/// so degrees range widely and neighbourhoods overlap; weights in (0, 1]
/// with a few zeros when `with_zeros`.
template <class C>
graph<C> overlap_graph(bool weighted, bool with_zeros = false) {
  using I = typename C::I;
  using V = typename C::V;
  std::vector<I> src, dst;
  std::vector<V> w;
  const int n = 60;
  for (int v = 0; v < n; ++v) {
    for (int j = 1; j <= 1 + v % 13; ++j) {
      const int u = (v + j) % n;
      for (const auto& [a, b] : {std::pair{v, u}, std::pair{u, v}}) {
        src.push_back(static_cast<I>(a));
        dst.push_back(static_cast<I>(b));
        const int h = (a * 7 + b * 3) % 10;
        w.push_back(with_zeros && h == 0 ? V{0} : static_cast<V>((h + 1) / 10.0));
      }
    }
  }
  ms::build_options opt;
  opt.merge_duplicates = true;
  return ms::csr_from_coo<V, I, typename C::O>(n, n, sp(src), sp(dst), weighted ? sp(w) : std::span<const V>{}, opt);
}

/// π_st of row s (entries in row order), as the doc comment defines it,
/// computed independently: water filling by sorting the weights.
template <class View>
std::vector<double> inclusion_probabilities(const View& a, typename View::index_type s, std::int64_t fanout,
                                            bool weighted) {
  std::vector<double> w;
  for (auto e = a.row_begin(s); e < a.row_end(s); ++e) {
    w.push_back(weighted && a.has_values() ? static_cast<double>(a.values()[e]) : 1.0);
  }
  const auto positive = std::count_if(w.begin(), w.end(), [](double x) { return x > 0; });
  std::vector<double> pi(w.size(), 0.0);
  if (fanout < 0 || positive <= fanout) {
    for (std::size_t j = 0; j < w.size(); ++j) pi[j] = w[j] > 0 ? 1.0 : 0.0;
    return pi;
  }
  // Largest weights saturate first: find c with sum min(1, c w) = fanout.
  std::vector<double> sorted(w);
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  double rest = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  double c = 0;
  for (std::int64_t sat = 0; sat <= fanout; ++sat) {
    c = static_cast<double>(fanout - sat) / rest;
    if (sat == static_cast<std::int64_t>(sorted.size()) || c * sorted[static_cast<std::size_t>(sat)] < 1.0) break;
    rest -= sorted[static_cast<std::size_t>(sat)];
  }
  for (std::size_t j = 0; j < w.size(); ++j) pi[j] = w[j] > 0 ? std::min(1.0, c * w[j]) : 0.0;
  return pi;
}

/// The seeds 0, 5, 10, ... as k minibatches of `per` seeds each.
template <class I>
std::vector<I> spread_seeds(int count) {
  std::vector<I> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(static_cast<I>((i * 5) % 60));
  return seeds;
}

template <class V, class I, class O>
void require_same(const ms::bulk_sample<V, I, O>& a, const ms::bulk_sample<V, I, O>& b) {
  REQUIRE(a.layers.size() == b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) CHECK(a.layers[l] == b.layers[l]);
}

}  // namespace

MATSAMPLE_TEST_CASE_OVER("labor: identical on every backend and thread count, and alone vs in bulk", T,
                         test::each_config_on<test::backends, std::tuple<types<double, std::int32_t, std::int64_t>,
                                                                         types<double, std::int64_t, std::int64_t>,
                                                                         types<float, std::int32_t, std::int32_t>>>) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& b = T::backend::get();
  for (const bool weighted : {false, true}) {
    const auto g = overlap_graph<C>(true, true);
    for (const bool fixed : {false, true}) {
      for (const auto& [kappa, importance] : {std::pair{1, 0}, std::pair{3, 0}, std::pair{1, 2}, std::pair{2, -1}}) {
        CAPTURE(weighted);
        CAPTURE(fixed);
        CAPTURE(kappa);
        CAPTURE(importance);
        const ms::labor_options o{.fanouts = {4, 3},
                                  .weighted = weighted,
                                  .fixed_count = fixed,
                                  .batch_dependency = kappa,
                                  .importance_iterations = importance,
                                  .seed = 21};
        const auto seeds = spread_seeds<I>(24);
        const auto batches = ms::batch_list<I>::uniform(sp(seeds), 4, /*epoch=*/2, /*first_batch=*/5);
        const auto want = ms::labor_sampler(test::ref, g.view())(batches, o);
        require_same(want, ms::labor_sampler(b, g.view())(batches, o));
        // Alone vs in bulk: each minibatch sampled by itself gives its part.
        for (std::int64_t m = 0; m < batches.size(); ++m) {
          const auto alone = ms::sample_labor(b, g.view(), batches.slice(m, m + 1), o);
          for (std::size_t l = 0; l < want.layers.size(); ++l) {
            const auto bulk_block = want.layers[l][m], one = alone.layers[l][0];
            CHECK(std::vector<I>(bulk_block.src_nodes.begin(), bulk_block.src_nodes.end()) ==
                  std::vector<I>(one.src_nodes.begin(), one.src_nodes.end()));
            CHECK(bulk_block.num_edges() == one.num_edges());
            CHECK(std::equal(bulk_block.adjacency.indices().begin(), bulk_block.adjacency.indices().end(),
                             one.adjacency.indices().begin(), one.adjacency.indices().end()));
            CHECK(std::equal(bulk_block.adjacency.values().begin(), bulk_block.adjacency.values().end(),
                             one.adjacency.values().begin(), one.adjacency.values().end()));
          }
        }
      }
    }
  }
}

TEST_CASE("labor: blocks match a plain oracle (shared variates, π, A/π values)") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(true, true);
  const auto a = g.view();
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    const ms::labor_options o{.fanouts = {5}, .weighted = weighted, .seed = 3};
    const std::vector<I> seeds{0, 7, 12, 13, 40};
    const auto batches = ms::batch_list<I>::uniform(sp(seeds), 5, 1, 9);
    const auto bulk = ms::sample_labor(test::cpu2, a, batches, o);
    const auto got = bulk.layers[0][0];
    // The oracle: for each seed row, keep t when r_t < π_st, in row order.
    std::vector<std::pair<I, double>> expected;  // (global column, value)
    for (const I s : seeds) {
      const auto pi = inclusion_probabilities(a, s, 5, weighted);
      for (auto e = a.row_begin(s); e < a.row_end(s); ++e) {
        const auto j = static_cast<std::size_t>(e - a.row_begin(s));
        const double r =
            ms::kernels::labor_variate(3, ms::streams::labor, 1, 9, static_cast<std::uint64_t>(a.indices()[e]), 1);
        if (pi[j] > 0 && (pi[j] >= 1 || r < pi[j])) expected.emplace_back(a.indices()[e], a.values()[e] / pi[j]);
      }
    }
    REQUIRE(got.num_edges() == static_cast<std::int64_t>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(got.src_nodes[static_cast<std::size_t>(got.adjacency.indices()[i])] == expected[i].first);
      CHECK(got.adjacency.values()[i] == doctest::Approx(expected[i].second).epsilon(1e-12));
    }
  }
}

TEST_CASE("labor: a vertex is kept by every row whose π for it is at least another keeping row's (shared r_t)") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(false);
  const auto a = g.view();
  const auto seeds = spread_seeds<I>(12);
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto batches = ms::batch_list<I>::uniform(sp(seeds), 12, 0, seed);
    const auto bulk = ms::sample_labor(test::cpu1, a, batches, {.fanouts = {3}, .seed = seed});
    const auto block = bulk.layers[0][0];
    // Per vertex t: the smallest π among rows keeping t must be >= the largest π among rows not keeping it.
    std::map<I, double> min_kept, max_dropped;
    for (std::size_t r = 0; r < seeds.size(); ++r) {
      const I s = seeds[r];
      const double pi = std::min(1.0, 3.0 / static_cast<double>(a.degree(s)));
      std::set<I> kept;
      for (auto e = block.adjacency.row_begin(static_cast<I>(r)); e < block.adjacency.row_end(static_cast<I>(r)); ++e) {
        kept.insert(block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[e])]);
      }
      for (auto e = a.row_begin(s); e < a.row_end(s); ++e) {
        const I t = a.indices()[e];
        if (kept.contains(t)) {
          min_kept.try_emplace(t, pi);
          min_kept[t] = std::min(min_kept[t], pi);
        } else {
          max_dropped.try_emplace(t, pi);
          max_dropped[t] = std::max(max_dropped[t], pi);
        }
      }
    }
    for (const auto& [t, lo] : min_kept) {
      if (max_dropped.contains(t)) CHECK(lo > max_dropped[t]);
    }
  }
}

TEST_CASE("labor: per-edge inclusion probabilities match π (Poisson and fixed count, uniform and weighted)") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(true, true);
  const auto a = g.view();
  const std::vector<I> seeds{3, 12, 25, 38, 51};  // degrees from 8 to 26
  const std::int64_t fanout = 4, trials = 4000;
  for (const bool weighted : {false, true}) {
    for (const bool fixed : {false, true}) {
      if (fixed && weighted) continue;  // inclusion is only approximately π there (see labor_options)
      CAPTURE(weighted);
      CAPTURE(fixed);
      std::map<std::pair<I, I>, std::int64_t> count;
      for (std::int64_t trial = 0; trial < trials; ++trial) {
        // Each trial is its own minibatch number, so its variates are independent.
        const auto batches = ms::batch_list<I>::uniform(sp(seeds), 5, 0, static_cast<std::uint64_t>(trial));
        const auto bulk = ms::sample_labor(
            test::cpu1, a, batches, {.fanouts = {fanout}, .weighted = weighted, .fixed_count = fixed, .seed = 77});
        const auto block = bulk.layers[0][0];
        for (std::size_t r = 0; r < seeds.size(); ++r) {
          for (auto e = block.adjacency.row_begin(static_cast<I>(r)); e < block.adjacency.row_end(static_cast<I>(r));
               ++e) {
            ++count[{seeds[r], block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[e])]}];
          }
        }
      }
      for (const I s : seeds) {
        const auto pi = inclusion_probabilities(a, s, fanout, weighted);
        for (auto e = a.row_begin(s); e < a.row_end(s); ++e) {
          const double p = pi[static_cast<std::size_t>(e - a.row_begin(s))];
          const double n = static_cast<double>(count[{s, a.indices()[e]}]);
          const double mean = trials * p, sigma = std::sqrt(trials * p * (1 - p));
          CAPTURE(s);
          CAPTURE(a.indices()[e]);
          CHECK(std::abs(n - mean) <= 5 * sigma + 1);
        }
      }
    }
  }
}

TEST_CASE("labor: the blocks' aggregation is unbiased: the mean of Â·x over draws matches A·x row by row") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(true, true);
  const auto a = g.view();
  std::vector<double> x(60);
  for (std::size_t t = 0; t < x.size(); ++t) x[t] = std::sin(static_cast<double>(t) * 1.7) + 0.5;
  const std::vector<I> seeds{3, 12, 25, 38, 51};
  const std::int64_t trials = 4000;
  for (const bool weighted : {false, true}) {
    for (const int variant : {0, 1, 2}) {  // Poisson, fixed count, LABOR-2 (importance sampling)
      const bool fixed = variant == 1;
      if (fixed && weighted) continue;
      CAPTURE(weighted);
      CAPTURE(variant);
      std::vector<double> sum(seeds.size(), 0.0), sum_sq(seeds.size(), 0.0);
      for (std::int64_t trial = 0; trial < trials; ++trial) {
        const auto batches = ms::batch_list<I>::uniform(sp(seeds), 5, 1, static_cast<std::uint64_t>(trial));
        const auto bulk = ms::sample_labor(test::cpu1, a, batches,
                                           {.fanouts = {3},
                                            .weighted = weighted,
                                            .fixed_count = fixed,
                                            .importance_iterations = variant == 2 ? 2 : 0,
                                            .seed = 5});
        const auto block = bulk.layers[0][0];
        for (std::size_t r = 0; r < seeds.size(); ++r) {
          double y = 0;
          for (auto e = block.adjacency.row_begin(static_cast<I>(r)); e < block.adjacency.row_end(static_cast<I>(r));
               ++e) {
            y += block.adjacency.values()[e] *
                 x[static_cast<std::size_t>(block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[e])])];
          }
          sum[r] += y;
          sum_sq[r] += y * y;
        }
      }
      for (std::size_t r = 0; r < seeds.size(); ++r) {
        double truth = 0;
        for (auto e = a.row_begin(seeds[r]); e < a.row_end(seeds[r]); ++e)
          truth += a.values()[e] * x[static_cast<std::size_t>(a.indices()[e])];
        const double mean = sum[r] / trials, var = sum_sq[r] / trials - mean * mean;
        CAPTURE(seeds[r]);
        CHECK(std::abs(mean - truth) <= 5 * std::sqrt(var / trials) + 1e-12);
      }
    }
  }
}

TEST_CASE("labor: fixed count keeps exactly min(fanout, positive entries) per row") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(true, true);
  const auto a = g.view();
  std::vector<I> all(60);
  std::iota(all.begin(), all.end(), I{0});
  for (const bool weighted : {false, true}) {
    const auto bulk = ms::sample_labor(test::cpu2, a, ms::batch_list<I>::uniform(sp(all), 60),
                                       {.fanouts = {5}, .weighted = weighted, .fixed_count = true, .seed = 2});
    const auto block = bulk.layers[0][0];
    for (I s = 0; s < 60; ++s) {
      std::int64_t positive = 0;
      for (auto e = a.row_begin(s); e < a.row_end(s); ++e) positive += !weighted || a.values()[e] > 0;
      CHECK(block.adjacency.degree(s) == std::min<std::int64_t>(5, positive));
    }
  }
}

TEST_CASE("labor: far fewer distinct vertices than node-wise sampling at the same fanout") {
  using I = std::int32_t;
  const auto g = ms::rmat<float, I, std::int64_t>({.scale = 13, .edge_factor = 16, .seed = 4});
  std::vector<I> train(2048);
  std::iota(train.begin(), train.end(), I{0});
  const ms::epoch_batches<I> epoch(sp(train), 256, 1, 0);
  const auto b = epoch.bulk(0, epoch.size());
  const auto nodewise = ms::sample_nodewise(test::cpu2, g.view(), b, {.fanouts = {10, 10}, .seed = 8});
  const auto labor = ms::sample_labor(test::cpu2, g.view(), b, {.fanouts = {10, 10}, .seed = 8});
  std::int64_t n_nodes = 0, l_nodes = 0;
  for (std::int64_t m = 0; m < b.size(); ++m) {
    n_nodes += static_cast<std::int64_t>(nodewise[m].input_nodes().size());
    l_nodes += static_cast<std::int64_t>(labor[m].input_nodes().size());
  }
  MESSAGE("input vertices per minibatch: node-wise " << n_nodes / b.size() << ", LABOR " << l_nodes / b.size());
  CHECK(static_cast<double>(l_nodes) < 0.9 * static_cast<double>(n_nodes));
}

TEST_CASE("labor: batch dependency keeps every variate uniform and shares most of them between neighbours") {
  const std::uint64_t kappa = 4, vertices = 20000;
  std::vector<std::int64_t> bins(20, 0);
  std::int64_t same_next = 0;
  for (std::uint64_t t = 0; t < vertices; ++t) {
    const double r = ms::kernels::labor_variate(9, ms::streams::labor, 0, 5, t, kappa);  // step 1 of group 1
    ++bins[static_cast<std::size_t>(r * 20)];
    same_next += r == ms::kernels::labor_variate(9, ms::streams::labor, 0, 6, t, kappa);
  }
  // Chi-square with 19 df; bound at p = 1e-6 is 59.7 (precomputed, fixed).
  double chi = 0;
  for (const auto n : bins) chi += std::pow(static_cast<double>(n) - vertices / 20.0, 2) / (vertices / 20.0);
  CHECK(chi < 59.7);
  // From step 1 to step 2 a vertex switches with probability 1/κ.
  const double p = 1.0 - 1.0 / static_cast<double>(kappa);
  CHECK(std::abs(static_cast<double>(same_next) - vertices * p) <= 5 * std::sqrt(vertices * p * (1 - p)) + 1);
  // Independent minibatches share nothing; the group boundary is continuous.
  CHECK(ms::kernels::labor_variate(9, ms::streams::labor, 0, 5, 17, 1) !=
        ms::kernels::labor_variate(9, ms::streams::labor, 0, 6, 17, 1));
  CHECK(ms::kernels::labor_variate(9, ms::streams::labor, 0, 8, 17, kappa) ==
        ms::kernels::labor_variate(9, ms::streams::labor, 0, 8, 17, kappa));
}

TEST_CASE("labor: layer dependency reuses one stream for every layer") {
  const ms::labor_options dependent{.fanouts = {5, 5, 5}, .layer_dependency = true};
  const ms::labor_options independent{.fanouts = {5, 5, 5}};
  for (std::size_t l = 0; l < 3; ++l) {
    CHECK(ms::labor_layer_rule(dependent, l).variate_stream == ms::streams::labor);
    CHECK(ms::labor_layer_rule(independent, l).variate_stream == ms::streams::labor + l);
  }
}

TEST_CASE("labor: bad options and weights are clear errors") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  const auto g = overlap_graph<C>(true);
  const std::vector<I> seeds{1, 2};
  const auto b = ms::batch_list<I>::uniform(sp(seeds), 2);
  const ms::labor_sampler sampler(test::cpu2, g.view());
  CHECK_THROWS_WITH_AS(sampler(b, {.fanouts = {}}), "labor: fanouts must name at least one layer", ms::argument_error);
  CHECK_THROWS_WITH_AS(sampler(b, {.fanouts = {3, 0}}),
                       "labor: fanout 0 at layer 1; use a positive count, or -1 for all neighbours",
                       ms::argument_error);
  CHECK_THROWS_WITH_AS(sampler(b, {.fanouts = {3}, .batch_dependency = 0}),
                       "labor: batch_dependency 0; use 1 for independent minibatches, or a larger group size",
                       ms::argument_error);
  const std::vector<I> outside{1, 60};
  CHECK_THROWS_AS(sampler(ms::batch_list<I>::uniform(sp(outside), 2), {.fanouts = {3}}), ms::out_of_range_error);
  // A negative weight in vertex 9's row, read by weighted LABOR.
  auto bad = g;
  const_cast<double&>(bad.view().values()[static_cast<std::size_t>(bad.view().row_begin(9))]) = -1.0;
  const std::vector<I> nine{9};
  test::for_each_backend([&]<class B>() {
    CAPTURE(doctest::toString<B>());
    CHECK_THROWS_AS(ms::sample_labor(B::get(), bad.view(), ms::batch_list<I>::uniform(sp(nine), 1),
                                     {.fanouts = {2}, .weighted = true}),
                    ms::argument_error);
  });
}

TEST_CASE(
    "labor-*: inclusion follows the solved π, every row keeps uniform sampling's variance, and fewer vertices "
    "are expected than with LABOR-0") {
  using C = types<double, std::int32_t, std::int64_t>;
  using I = std::int32_t;
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    // Zero weights only where they are never drawn: π is read back as A_st / value.
    const auto g = overlap_graph<C>(true, weighted);
    const auto a = g.view();
    const std::vector<I> seeds{3, 12, 25, 38, 51, 52, 53};
    const std::int64_t fanout = 3, trials = 3000;
    std::map<std::pair<I, I>, std::int64_t> count;
    std::map<std::pair<I, I>, double> pi;  // π = A_st / value of a kept entry: the same in every trial
    std::int64_t unstable = 0;             // kept entries whose π differs from an earlier trial's
    for (std::int64_t trial = 0; trial < trials; ++trial) {
      const auto batches = ms::batch_list<I>::uniform(sp(seeds), 7, 0, static_cast<std::uint64_t>(trial));
      const auto bulk = ms::sample_labor(
          test::cpu1, a, batches, {.fanouts = {fanout}, .weighted = weighted, .importance_iterations = 3, .seed = 6});
      const auto block = bulk.layers[0][0];
      for (std::size_t r = 0; r < seeds.size(); ++r) {
        for (auto e = block.adjacency.row_begin(static_cast<I>(r)); e < block.adjacency.row_end(static_cast<I>(r));
             ++e) {
          const I t = block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[e])];
          ++count[{seeds[r], t}];
          const auto first = a.indices().begin() + a.row_begin(seeds[r]);
          const auto at = std::lower_bound(first, a.indices().begin() + a.row_end(seeds[r]), t) - a.indices().begin();
          const double p = a.values()[static_cast<std::size_t>(at)] / block.adjacency.values()[e];
          if (pi.contains({seeds[r], t}) && std::abs(pi[{seeds[r], t}] - p) > 1e-9 * p) ++unstable;
          pi[{seeds[r], t}] = p;
        }
      }
    }
    CHECK(unstable == 0);
    double expected_star = 0, expected_zero = 0;
    std::map<I, double> most_star, most_zero;
    for (const I s : seeds) {
      const auto pi0 = inclusion_probabilities(a, s, fanout, weighted);
      double d = 0, squares = 0, variance = 0;
      std::int64_t positive = 0;
      for (auto e = a.row_begin(s); e < a.row_end(s); ++e) {
        const I t = a.indices()[e];
        const double w = weighted ? a.values()[e] : 1.0;
        if (!(w > 0)) {
          CHECK(count[{s, t}] == 0);
          continue;
        }
        d += w;
        squares += w * w;
        ++positive;
        // Entries never kept in 3000 trials have π < 0.01 (or this fails on its own).
        const double p = pi.contains({s, t}) ? pi[{s, t}] : 0.0;
        if (p > 0) variance += w * w / p;
        const double n = static_cast<double>(count[{s, t}]);
        CAPTURE(s);
        CAPTURE(t);
        if (p > 0)
          CHECK(std::abs(n - trials * p) <= 5 * std::sqrt(trials * p * (1 - p)) + 1);
        else
          CHECK(n == 0);
        most_star[t] = std::max(most_star[t], p);
        most_zero[t] = std::max(most_zero[t], pi0[static_cast<std::size_t>(e - a.row_begin(s))]);
      }
      const double target =
          weighted ? d * d / fanout - d * d / static_cast<double>(positive) + squares : d * d / fanout;
      CAPTURE(s);
      if (positive > fanout) CHECK(variance == doctest::Approx(target).epsilon(2e-3));
    }
    for (const auto& [t, p] : most_star) expected_star += std::min(1.0, p);
    for (const auto& [t, p] : most_zero) expected_zero += std::min(1.0, p);
    MESSAGE("expected distinct vertices: LABOR-0 " << expected_zero << ", LABOR-3 " << expected_star);
    CHECK(expected_star < expected_zero);
  }
}

TEST_CASE("every sampler takes an owning csr_matrix where a view is expected, and keeps its view") {
  using I = std::int32_t;
  const auto g = ms::rmat<float, I, std::int64_t>({.scale = 9, .edge_factor = 8, .symmetrize = true, .seed = 4});
  std::vector<I> train(128);
  std::iota(train.begin(), train.end(), I{0});
  const ms::epoch_batches<I> epoch(sp(train), 32, 1, 0);
  const auto b = epoch.bulk(0, epoch.size());
  require_same(ms::sample_nodewise(test::cpu2, g, b, {.fanouts = {5, 5}, .seed = 3}),
               ms::sample_nodewise(test::cpu2, g.view(), b, {.fanouts = {5, 5}, .seed = 3}));
  require_same(ms::sample_labor(test::cpu2, g, b, {.fanouts = {5, 5}, .seed = 3}),
               ms::sample_labor(test::cpu2, g.view(), b, {.fanouts = {5, 5}, .seed = 3}));
  require_same(ms::sample_ladies(test::cpu2, g, b, {.sample_sizes = {64, 64}, .seed = 3}),
               ms::sample_ladies(test::cpu2, g.view(), b, {.sample_sizes = {64, 64}, .seed = 3}));
  require_same(ms::sample_fastgcn(test::cpu2, g, b, {.sample_sizes = {64, 64}, .seed = 3}),
               ms::sample_fastgcn(test::cpu2, g.view(), b, {.sample_sizes = {64, 64}, .seed = 3}));
  const ms::nodewise_sampler sampler(test::cpu2, g);  // a view of g, not a copy
  static_assert(std::is_same_v<decltype(sampler), const ms::nodewise_sampler<ms::cpu_backend, float, I, std::int64_t,
                                                                             ms::csr_view<float, I, std::int64_t>>>);
}
