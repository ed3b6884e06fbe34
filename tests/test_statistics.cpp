// Statistical tests of row-wise ITS sampling: observed inclusion frequencies
// against the analytic probabilities, with chi-square bounds fixed in advance.
//
// Trials. Every trial samples the same star row (vertex 0 -> 1..d), and each
// trial gets its own Philox stream by a distinct draw address: stacked rows of
// one minibatch (the row word), one-row minibatches (the minibatch word), or
// both, under different epochs and seeds per path, so the paths below are
// independent samples of the same distribution. Seeds are fixed, so every
// statistic is deterministic; the bounds say how unlikely a failure of a
// correct sampler is for a fresh seed.
//
// Bounds and statistics: tests/statistics.hpp, which holds the helpers
// (shared with test_layerwise.cpp) and explains them: each statistic is
// asymptotically chi-square under a correct sampler, and each bound is its
// upper quantile at p = 1e-6, fixed in advance. Multinomial Pearson sums
// check per-draw counts with replacement and whole sampled sets without
// replacement; the covariance-based inclusion statistic checks inclusion
// counts without replacement, which are correlated.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "matsample/matsample.hpp"
#include "statistics.hpp"

using namespace matsample;

namespace {

using namespace test::stats;

using V = double;
using I = std::int32_t;
using O = std::int64_t;
using matrix = csr_matrix<V, I, O>;

/// Vertex 0 -> 1..d with weights w (a pattern when w is empty); rows 1..d empty.
matrix star(int d, std::vector<double> w = {}) {
  std::vector<O> indptr(static_cast<std::size_t>(d) + 2, d);
  indptr[0] = 0;
  std::vector<I> indices(static_cast<std::size_t>(d));
  std::iota(indices.begin(), indices.end(), I{1});
  return {static_cast<I>(d + 1), static_cast<I>(d + 1), std::move(indptr), std::move(indices), std::move(w)};
}

/// Positions (0-based within the row) sampled by each trial.
struct trials {
  std::vector<std::int64_t> offsets{0};
  std::vector<int> positions;
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  [[nodiscard]] std::span<const int> operator[](std::int64_t t) const {
    return std::span<const int>(positions).subspan(static_cast<std::size_t>(offsets[t]),
                                                   static_cast<std::size_t>(offsets[t + 1] - offsets[t]));
  }
  /// The positions of each trial as a set (bit mask), as tests/statistics.hpp takes them.
  [[nodiscard]] std::vector<std::uint32_t> masks() const {
    std::vector<std::uint32_t> out;
    for (std::int64_t k = 0; k < size(); ++k) {
      std::uint32_t mask = 0;
      for (const int p : (*this)[k]) mask |= 1U << p;
      out.push_back(mask);
    }
    return out;
  }
};

trials from_rows(const matrix& s) {
  trials out;
  for (I r = 0; r < s.rows(); ++r) {
    for (O e = s.indptr()[r]; e < s.indptr()[r + 1]; ++e) out.positions.push_back(s.indices()[e] - 1);
    out.offsets.push_back(static_cast<std::int64_t>(out.positions.size()));
  }
  return out;
}

/// The ways a trial is drawn; each uses different draw addresses and seeds.
enum class path { kernel, reference_rows, cpu_rows, cpu_fused, nodewise_reference, nodewise_cpu };
constexpr path all_paths[] = {path::kernel,    path::reference_rows,     path::cpu_rows,
                              path::cpu_fused, path::nodewise_reference, path::nodewise_cpu};

const char* name(path p) {
  switch (p) {
    case path::kernel:
      return "kernels:: row body";
    case path::reference_rows:
      return "reference sample_rows";
    case path::cpu_rows:
      return "cpu sample_rows";
    case path::cpu_fused:
      return "cpu gather_and_sample";
    case path::nodewise_reference:
      return "sample_nodewise(reference)";
    case path::nodewise_cpu:
      return "sample_nodewise(cpu)";
  }
  return "?";
}

std::vector<std::int64_t> iota_offsets(std::int64_t batches, std::int64_t rows_each) {
  std::vector<std::int64_t> off(static_cast<std::size_t>(batches) + 1);
  for (std::int64_t m = 0; m <= batches; ++m) off[m] = m * rows_each;
  return off;
}

/// n trials of sampling row 0 of `a` with `spec` along path p.
trials draw(path p, const matrix& a, row_sampling spec, std::int64_t n, std::uint64_t seed) {
  const std::vector<I> vertices(static_cast<std::size_t>(n), 0);
  const std::span<const I> rows(vertices);
  switch (p) {
    case path::kernel: {  // the __host__ __device__ bodies, one stream per row of minibatch 9
      trials out;
      const std::int64_t degree = a.indptr()[1];
      std::vector<std::int64_t> pos(static_cast<std::size_t>(degree));
      std::vector<double> cdf(static_cast<std::size_t>(degree));
      for (std::int64_t t = 0; t < n; ++t) {
        philox_row_stream rng(seed, 2, {5, 9, static_cast<std::uint64_t>(t)});
        const std::int64_t k =
            spec.weighted && a.has_values()
                ? kernels::sample_weighted_positions(a.values().data(), degree, spec.fanout, spec.replace, rng,
                                                     cdf.data(), pos.data())
                : kernels::sample_uniform_positions(degree, spec.fanout, spec.replace, rng, pos.data());
        for (std::int64_t i = 0; i < k; ++i) out.positions.push_back(static_cast<int>(pos[i]));
        out.offsets.push_back(static_cast<std::int64_t>(out.positions.size()));
      }
      return out;
    }
    case path::reference_rows: {  // one minibatch of n stacked rows: the row word varies
      const std::vector<std::int64_t> off = {0, n};
      const stacked_selection<I> q{rows, off, 0, 0};
      const reference_backend ref;
      const auto pm = ref.gather_rows(a.view(), rows);
      return from_rows(ref.sample_rows(pm.view(), q, spec, seed, 0));
    }
    case path::cpu_rows: {  // n one-row minibatches: the minibatch word varies
      const auto off = iota_offsets(n, 1);
      const stacked_selection<I> q{rows, off, 1, 1000};
      const cpu_backend cpu(2);
      const auto pm = cpu.gather_rows(a.view(), rows);
      return from_rows(cpu.sample_rows(pm.view(), q, spec, seed, 0));
    }
    case path::cpu_fused: {  // 100 minibatches of n / 100 rows: both vary
      REQUIRE(n % 100 == 0);
      const auto off = iota_offsets(100, n / 100);
      const stacked_selection<I> q{rows, off, 2, 7};
      return from_rows(cpu_backend(2).gather_and_sample(a.view(), q, spec, seed, 5));
    }
    case path::nodewise_reference:
    case path::nodewise_cpu: {  // n one-seed minibatches through the whole sampler
      const batch_list<I> batches{rows, iota_offsets(n, 1), p == path::nodewise_cpu ? 4u : 3u, 0};
      nodewise_options opt;
      opt.fanouts = {spec.fanout};
      opt.replace = spec.replace;
      opt.weighted = spec.weighted;
      opt.seed = seed;
      const auto s = p == path::nodewise_cpu ? sample_nodewise(cpu_backend(2), a.view(), batches, opt)
                                             : sample_nodewise(reference_backend{}, a.view(), batches, opt);
      trials out;
      for (const auto mb : s) {
        const auto blk = mb.block(0);
        for (O e = blk.adjacency.row_begin(0); e < blk.adjacency.row_end(0); ++e) {
          out.positions.push_back(
              static_cast<int>(blk.src_nodes[static_cast<std::size_t>(blk.adjacency.indices()[e])]) - 1);
        }
        out.offsets.push_back(static_cast<std::int64_t>(out.positions.size()));
      }
      return out;
    }
  }
  return {};
}

// ---- tallies -------------------------------------------------------------

/// Every draw of entry i (with replacement a trial can draw it repeatedly).
std::vector<double> draw_counts(const trials& t, int d) {
  std::vector<double> c(static_cast<std::size_t>(d), 0.0);
  for (const int p : t.positions) c[p] += 1;
  return c;
}

/// A statistic's label with the path that drew its trials.
std::string along(const std::string& what, path p) { return what + " along " + name(p); }

/// Whether every trial sampled exactly `s` distinct, ascending positions in [0, d).
bool all_valid(const trials& t, int d, std::int64_t s, bool distinct) {
  for (std::int64_t k = 0; k < t.size(); ++k) {
    const auto row = t[k];
    if (static_cast<std::int64_t>(row.size()) != s) return false;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row[i] < 0 || row[i] >= d) return false;
      if (i > 0 && (distinct ? row[i] <= row[i - 1] : row[i] < row[i - 1])) return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("statistics: the statistics are zero at the expectation and match the closed form") {
  const auto model = successive_sets(std::vector<double>(10, 1.0), 3);
  CHECK(model.size() == 120);
  const auto m = inclusion_moments(model, 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(m.pi[i] == doctest::Approx(0.3));
    for (int j = 0; j < 10; ++j) CHECK(m.pij[i][j] == doctest::Approx(i == j ? 0.3 : 3.0 * 2.0 / (10.0 * 9.0)));
  }
  const std::vector<double> exact(10, 0.3 * 1200);
  CHECK(inclusion_statistic(exact, 1200, m).x == doctest::Approx(0.0));
  CHECK(pearson(std::vector<double>(120, 10.0), std::vector<double>(120, 1.0 / 120), 1200).x == doctest::Approx(0.0));
  // Hand-checked successive sampling: weights {1, 2, 3, 4}, s = 2:
  // P({2, 3}) = 3/10 * 4/7 + 4/10 * 3/6 = 0.371428...
  const auto w = successive_sets({1, 2, 3, 4}, 2);
  CHECK(w.at(0b1100) == doctest::Approx(3.0 / 10 * 4.0 / 7 + 4.0 / 10 * 3.0 / 6));
  CHECK(std::accumulate(w.begin(), w.end(), 0.0, [](double acc, const auto& kv) { return acc + kv.second; }) ==
        doctest::Approx(1.0));
}

TEST_CASE("statistics: uniform without replacement, d = 10, s = 3: inclusion 3/10, all 120 sets alike") {
  const int d = 10, s = 3;
  const auto model = successive_sets(std::vector<double>(d, 1.0), s);  // uniform: every set 1/120
  const auto m = inclusion_moments(model, d);
  // Uniform sampling ignores the values of a weighted graph: both must pass.
  const matrix graphs[] = {star(d), star(d, {9, 1, 1, 5, 0, 2, 7, 1, 3, 0.5})};
  std::uint64_t seed = 100;
  for (const auto& a : graphs) {
    for (const path p : all_paths) {
      const auto t = draw(p, a, {s, false, false}, n_trials, ++seed);
      REQUIRE(t.size() == n_trials);
      CHECK(all_valid(t, d, s, true));
      const auto counts = inclusion_counts(t.masks(), d);
      const auto incl = inclusion_statistic(counts, n_trials, m);
      expect_below(along("(a) uniform w/o repl. inclusion, d=10 s=3", p), incl, 9);
      // Closed form for uniform sampling: Var-scaled Pearson with factor (d-1)/(d-s).
      double closed = 0;
      const double e = n_trials * 0.3;
      for (const double c : counts) closed += (c - e) * (c - e) / (e * (d - s) / (d - 1.0));
      CHECK(closed == doctest::Approx(incl.x).epsilon(1e-6));
      expect_below(along("(a) uniform w/o repl. sets, 120 cells", p), set_pearson(t.masks(), model), 119);
    }
  }
}

TEST_CASE("statistics: Floyd's algorithm, d = 5, s = 2: all 10 pairs equally likely") {
  const auto model = successive_sets(std::vector<double>(5, 1.0), 2);
  REQUIRE(model.size() == 10);
  for (const auto& [mask, p] : model) CHECK(p == doctest::Approx(0.1));
  std::uint64_t seed = 200;
  for (const path p : all_paths) {
    const auto t = draw(p, star(5), {2, false, false}, n_trials, ++seed);
    CHECK(all_valid(t, 5, 2, true));
    expect_below(along("Floyd pairs, d=5 s=2", p), set_pearson(t.masks(), model), 9);
  }
}

TEST_CASE("statistics: uniform with replacement, d = 10, s = 4: every draw 1/10") {
  const int d = 10, s = 4;
  std::uint64_t seed = 300;
  for (const path p : all_paths) {
    const auto t = draw(p, star(d), {s, true, false}, n_trials, ++seed);
    CHECK(all_valid(t, d, s, false));
    const auto x = pearson(draw_counts(t, d), std::vector<double>(d, 1.0 / d), static_cast<double>(n_trials * s));
    expect_below(along("(b) uniform with repl. draws, d=10 s=4", p), x, 9);
  }
}

TEST_CASE("statistics: weighted with replacement: every draw w_i / W") {
  const std::vector<double> w = {1, 2, 0, 4, 0.5, 3, 1.5};
  const int d = static_cast<int>(w.size()), s = 3;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<double> p;
  for (const double x : w) p.push_back(x / total);
  std::uint64_t seed = 400;
  for (const path q : all_paths) {
    const auto t = draw(q, star(d, w), {s, true, true}, n_trials, ++seed);
    CHECK(all_valid(t, d, s, false));
    const auto counts = draw_counts(t, d);
    CHECK(counts[2] == 0);  // zero weight: never drawn
    expect_below(along("(c) weighted with repl. draws, 6 positive of 7", q),
                 pearson(counts, p, static_cast<double>(n_trials * s)), 5);
  }
}

TEST_CASE("statistics: weighted without replacement on tiny rows: exact successive-sampling inclusion") {
  struct row_case {
    std::vector<double> w;
    int s;
    int set_df, incl_df;
  };
  const row_case cases[] = {
      {{1, 2, 3, 4}, 2, 5, 3},      {{1, 1, 20, 1}, 2, 5, 3},            // one heavy entry: pi close to 1 but not 1
      {{0.5, 0, 3, 1, 2}, 2, 5, 3},                                      // a zero weight: never sampled
      {{1, 8, 1, 0.5, 2}, 3, 9, 4}, {{5, 1, 0, 0.25, 2, 1.5}, 3, 9, 4},  // a zero weight and a light one
  };
  std::uint64_t seed = 500;
  for (const auto& c : cases) {
    const int d = static_cast<int>(c.w.size());
    const auto model = successive_sets(c.w, c.s);
    const auto m = inclusion_moments(model, d);
    double smallest = 1;
    for (const auto& [mask, p] : model) smallest = std::min(smallest, p);
    CHECK(smallest * n_trials >= 75);  // the chi-square approximation holds
    std::string label = "(d) weighted w/o repl. {";
    for (const double x : c.w) label += std::to_string(x).substr(0, 4) + " ";
    label.back() = '}';
    label += " s=" + std::to_string(c.s);
    for (const path p : all_paths) {
      const auto t = draw(p, star(d, c.w), {c.s, false, true}, n_trials, ++seed);
      CHECK(all_valid(t, d, c.s, true));
      const auto counts = inclusion_counts(t.masks(), d);
      for (int i = 0; i < d; ++i) {
        if (c.w[i] == 0) CHECK(counts[i] == 0);
      }
      expect_below(along(label + " incl.", p), inclusion_statistic(counts, n_trials, m), c.incl_df);
      expect_below(along(label + " sets", p), set_pearson(t.masks(), model), c.set_df);
    }
  }
}

TEST_CASE("statistics: the checks reject wrong distributions (the tests can fail)") {
  // Uniform samples against a slightly skewed model: five entries weigh 1.3.
  const auto t = draw(path::cpu_rows, star(10), {3, false, false}, n_trials, 900);
  const auto skewed = successive_sets({1, 1, 1, 1, 1, 1.3, 1.3, 1.3, 1.3, 1.3}, 3);
  expect_above("(e) uniform samples vs skewed inclusion model",
               inclusion_statistic(inclusion_counts(t.masks(), 10), n_trials, inclusion_moments(skewed, 10)));
  expect_above("(e) uniform samples vs skewed set model", set_pearson(t.masks(), skewed));

  // With replacement: uniform draws against p_i proportional to 1 + i / 20.
  const auto r = draw(path::reference_rows, star(10), {4, true, false}, n_trials, 901);
  std::vector<double> p(10);
  for (int i = 0; i < 10; ++i) p[i] = (1 + i / 20.0) / (10 + 45 / 20.0);
  expect_above("(e) uniform draws vs skewed multinomial", pearson(draw_counts(r, 10), p, n_trials * 4.0));

  // Weighted without replacement is successive sampling, not conditional
  // Poisson sampling (P(set) proportional to the product of its weights),
  // which has different inclusion probabilities; the test tells them apart.
  const std::vector<double> w = {1, 2, 3, 4};
  const auto u = draw(path::cpu_fused, star(4, w), {2, false, true}, n_trials, 902);
  set_distribution poisson;
  double z = 0;
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) z += w[i] * w[j];
  }
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) poisson[(1U << i) | (1U << j)] = w[i] * w[j] / z;
  }
  expect_above("(e) weighted samples vs conditional Poisson sets", set_pearson(u.masks(), poisson));
  expect_above("(e) weighted samples vs conditional Poisson inclusion",
               inclusion_statistic(inclusion_counts(u.masks(), 4), n_trials, inclusion_moments(poisson, 4)));

  // A classic Floyd bug, emulated on the same Philox streams: on a collision
  // take the next position (mod d) instead of the fallback j. Adjacent pairs
  // then come up 3/25 of the time instead of 1/10.
  trials bad;
  for (std::int64_t k = 0; k < n_trials; ++k) {
    philox_row_stream rng(903, 0, {0, 0, static_cast<std::uint64_t>(k)});
    const int first = static_cast<int>(rng.below(0, 5));
    int second = static_cast<int>(rng.below(1, 5));
    if (second == first) second = (first + 1) % 5;
    bad.positions.push_back(std::min(first, second));
    bad.positions.push_back(std::max(first, second));
    bad.offsets.push_back(static_cast<std::int64_t>(bad.positions.size()));
  }
  expect_above("(e) buggy Floyd (collision -> next) pairs",
               set_pearson(bad.masks(), successive_sets(std::vector<double>(5, 1.0), 2)));
}
