#pragma once
// The statistical helpers of the tests (tests/test_statistics.cpp, where the
// statistics are derived and their failure rates shown; tests/test_layerwise.cpp):
// chi-square bounds fixed in advance, the exact distribution of successive
// sampling, Pearson sums and the covariance-based inclusion statistic.
//
// Bounds. Each statistic is asymptotically chi-square with the stated degrees
// of freedom under the null hypothesis (correct sampler); the bound is the
// upper quantile at p = 1e-6, precomputed with mpmath (bisection on the
// regularized upper incomplete gamma Q(df/2, x/2) = 1e-6), never from data:
//   df:      3         4         5         9         119
//   bound:   30.66485  33.376842 35.888187 44.810938 207.19861
// With n_trials = 40000 trials per statistic every expected cell count of the
// tests is >= 75 (Cochran's rule asks for 5), so the asymptotic
// approximation holds well into the tail.
//
// Statistics.
// - Multinomial Pearson sum (o - e)^2 / e over k cells with positive
//   probability: chi-square with k - 1 df. Used for per-draw counts with
//   replacement (draws are iid) and for whole sampled sets without
//   replacement (one categorical outcome per trial).
// - Inclusion counts without replacement are correlated (each trial includes
//   exactly s entries), so a plain Pearson sum over entries is not chi-square.
//   With indicator vector X of one trial, E X = pi, Cov X = Sigma with
//   Sigma_ii = pi_i (1 - pi_i), Sigma_ij = pi_ij - pi_i pi_j (pi_ij: both
//   included). Entries with pi = 0 or 1 are checked exactly and left out;
//   sum(X) is fixed, so Sigma has rank d' - 1: drop one entry, and
//   (n - N pi)^T Sigma^-1 (n - N pi) / N is chi-square with d' - 1 df
//   (multivariate CLT). For uniform sampling this reduces to the closed form
//   sum (n_i - N pi)^2 / (N pi (d - s) / (d - 1)), which test_statistics.cpp
//   checks too.
//
// A sampled set is a bit mask over the candidates (entry i: bit i).

#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

namespace test::stats {

/// Trials per statistic.
inline constexpr std::int64_t n_trials = 40000;

/// Chi-square upper quantile at p = 1e-6 (see the table above).
inline double bound(int df) {
  switch (df) {
    case 3:
      return 30.66485;
    case 4:
      return 33.376842;
    case 5:
      return 35.888187;
    case 9:
      return 44.810938;
    case 119:
      return 207.19861;
    default:
      return std::numeric_limits<double>::quiet_NaN();  // fails every check
  }
}

// ---- analytic distributions ------------------------------------------------

using set_distribution = std::map<std::uint32_t, double>;  // bit mask of entries -> probability

/// Exact distribution of the sampled set under successive sampling of s
/// entries: step t picks j with probability w_j / (W - sum of the weights
/// already drawn), so P(sequence) = prod_t w_{i_t} / (W - sum_{u<t} w_{i_u}),
/// summed over all ordered sequences of each set.
inline set_distribution successive_sets(const std::vector<double>& w, int s) {
  set_distribution out;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  const auto walk = [&](auto&& self, std::uint32_t mask, double taken, double prob, int depth) -> void {
    if (depth == s || !(total - taken > 0)) {
      out[mask] += prob;
      return;
    }
    for (std::size_t j = 0; j < w.size(); ++j) {
      if ((mask >> j) & 1U || w[j] <= 0) continue;
      self(self, mask | (1U << j), taken + w[j], prob * w[j] / (total - taken), depth + 1);
    }
  };
  walk(walk, 0, 0.0, 1.0, 0);
  return out;
}

struct moments {
  std::vector<double> pi;                // P(i included)
  std::vector<std::vector<double>> pij;  // P(i and j included)
};

inline moments inclusion_moments(const set_distribution& sets, int d) {
  moments m{std::vector<double>(static_cast<std::size_t>(d), 0.0),
            std::vector<std::vector<double>>(static_cast<std::size_t>(d),
                                             std::vector<double>(static_cast<std::size_t>(d), 0.0))};
  for (const auto& [mask, p] : sets) {
    for (int i = 0; i < d; ++i) {
      if (!((mask >> i) & 1U)) continue;
      m.pi[static_cast<std::size_t>(i)] += p;
      for (int j = 0; j < d; ++j) {
        if ((mask >> j) & 1U) m.pij[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] += p;
      }
    }
  }
  return m;
}

// ---- tallies -------------------------------------------------------------

/// Trials (sampled sets) that include entry i, for i in [0, d).
inline std::vector<double> inclusion_counts(const std::vector<std::uint32_t>& sets, int d) {
  std::vector<double> c(static_cast<std::size_t>(d), 0.0);
  for (const auto mask : sets) {
    for (int i = 0; i < d; ++i) c[static_cast<std::size_t>(i)] += (mask >> i) & 1U;
  }
  return c;
}

// ---- statistics ------------------------------------------------------------

struct statistic {
  double x = 0;
  int df = 0;
};

/// Pearson's statistic of categorical counts against probabilities p over
/// `total` outcomes; cells with p = 0 must be empty (else x = +inf).
inline statistic pearson(const std::vector<double>& observed, const std::vector<double>& p, double total) {
  statistic s{0, -1};
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (p[k] <= 0) {
      if (observed[k] != 0) return {std::numeric_limits<double>::infinity(), 0};
      continue;
    }
    const double e = total * p[k];
    s.x += (observed[k] - e) * (observed[k] - e) / e;
    ++s.df;
  }
  return s;
}

/// Pearson over whole sampled sets (one categorical outcome per trial)
/// against an exact set distribution.
inline statistic set_pearson(const std::vector<std::uint32_t>& sets, const set_distribution& model) {
  std::map<std::uint32_t, double> counts;
  for (const auto mask : sets) counts[mask] += 1;
  for (const auto& [mask, c] : counts) {
    if (!model.contains(mask)) return {std::numeric_limits<double>::infinity(), 0};  // impossible set drawn
  }
  std::vector<double> o, p;
  for (const auto& [mask, prob] : model) {
    p.push_back(prob);
    o.push_back(counts.contains(mask) ? counts.at(mask) : 0.0);
  }
  return pearson(o, p, static_cast<double>(sets.size()));
}

/// Inclusion counts of n trials against exact moments: (n - N pi)^T Sigma^-1
/// (n - N pi) / N over all entries but one (the indicators sum to s),
/// chi-square with d' - 1 df (see the header).
inline statistic inclusion_statistic(const std::vector<double>& counts, double n, const moments& m) {
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (m.pi[i] <= 1e-12) {
      if (counts[i] != 0) return {std::numeric_limits<double>::infinity(), 0};
    } else if (m.pi[i] >= 1 - 1e-12) {
      if (counts[i] != n) return {std::numeric_limits<double>::infinity(), 0};
    } else {
      keep.push_back(i);
    }
  }
  keep.pop_back();  // the indicators sum to a constant: one entry is redundant
  const auto k = static_cast<Eigen::Index>(keep.size());
  Eigen::MatrixXd cov(k, k);
  Eigen::VectorXd y(k);
  for (Eigen::Index a = 0; a < k; ++a) {
    const std::size_t i = keep[static_cast<std::size_t>(a)];
    y(a) = counts[i] - n * m.pi[i];
    for (Eigen::Index b = 0; b < k; ++b) {
      const std::size_t j = keep[static_cast<std::size_t>(b)];
      cov(a, b) = (i == j ? m.pi[i] : m.pij[i][j]) - m.pi[i] * m.pi[j];
    }
  }
  return {y.dot(cov.ldlt().solve(y)) / n, static_cast<int>(k)};
}

/// The same for sampled sets over d entries.
inline statistic inclusion_statistic(const std::vector<std::uint32_t>& sets, int d, const moments& m) {
  return inclusion_statistic(inclusion_counts(sets, d), static_cast<double>(sets.size()), m);
}

/// Checks one statistic against its precomputed bound: df degrees of freedom
/// and below the bound. Set MATSAMPLE_PRINT_STATS=1 to print every value.
inline void expect_below(const std::string& what, statistic s, int df) {
  if (std::getenv("MATSAMPLE_PRINT_STATS") != nullptr) {
    std::printf("%-88s X2 = %9.3f  df = %3d  bound = %8.3f\n", what.c_str(), s.x, s.df, bound(s.df));
  }
  CHECK_MESSAGE(s.df == df, what, ": ", s.df, " degrees of freedom, expected ", df);
  CHECK_MESSAGE(s.x < bound(s.df), what, ": X2 = ", s.x, " >= bound ", bound(s.df), " (df ", s.df, ")");
}

/// Checks that a statistic exceeds its bound (a check that must fail).
inline void expect_above(const std::string& what, statistic s) {
  if (std::getenv("MATSAMPLE_PRINT_STATS") != nullptr) {
    std::printf("%-88s X2 = %9.3f  df = %3d  bound = %8.3f (must exceed)\n", what.c_str(), s.x, s.df, bound(s.df));
  }
  CHECK_MESSAGE(s.x > bound(s.df), what, ": X2 = ", s.x, " should exceed ", bound(s.df));
}

}  // namespace test::stats
