#pragma once
// Classification metrics over the rows of a logits matrix: accuracy, and
// ROC-AUC when there are two classes.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

#include "layers.hpp"

namespace graphsage {

struct split_metrics {
  std::int64_t count = 0;
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> roc_auc;  ///< two-class labels only
};

/// Area under the ROC curve of `scores` (higher: more likely positive) for
/// labels `positive` (1 or 0), by the rank-sum (Mann-Whitney) identity with
/// tied scores sharing their mean rank. NaN when one class is absent.
inline double roc_auc(std::span<const double> scores, std::span<const std::uint8_t> positive) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  std::int64_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mean_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (std::size_t t = i; t < j; ++t) {
      if (positive[order[t]]) {
        positive_rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  const auto negatives = static_cast<std::int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives), q = static_cast<double>(negatives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * q);
}

/// Metrics of the vertices `ids`, whose logits are rows `ids` of `logits`.
template <class T, class I>
split_metrics evaluate_split(const matrix<T>& logits, std::span<const I> ids, std::span<const std::int32_t> labels) {
  split_metrics out;
  out.count = static_cast<std::int64_t>(ids.size());
  if (ids.empty()) return out;
  std::int64_t correct = 0;
  for (const I v : ids) {
    Eigen::Index best = 0;
    logits.row(static_cast<Eigen::Index>(v)).maxCoeff(&best);
    correct += best == labels[static_cast<std::size_t>(v)];
  }
  out.accuracy = static_cast<double>(correct) / static_cast<double>(ids.size());
  if (logits.cols() == 2) {
    // The logit difference orders vertices as the class-1 probability does.
    std::vector<double> scores;
    std::vector<std::uint8_t> positive;  // not vector<bool>: it has no span
    for (const I v : ids) {
      const auto row = static_cast<Eigen::Index>(v);
      scores.push_back(static_cast<double>(logits(row, 1) - logits(row, 0)));
      positive.push_back(labels[static_cast<std::size_t>(v)] == 1);
    }
    out.roc_auc = roc_auc(scores, positive);
  }
  return out;
}

}  // namespace graphsage
