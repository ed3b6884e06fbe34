#pragma once
// Classification metrics over the rows of a logits matrix: accuracy, and
// ROC-AUC when there are two classes. Link prediction's ranking metrics over
// the scores of positive and negative pairs: ROC-AUC, average precision,
// Hits@K and MRR.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
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

/// Average precision (scikit-learn's average_precision_score): the sum over
/// score thresholds, highest first, of precision times the recall gained,
/// tied scores forming one threshold. NaN without positives.
inline double average_precision(std::span<const double> scores, std::span<const std::uint8_t> positive) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const auto total = std::count(positive.begin(), positive.end(), std::uint8_t{1});
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  double ap = 0;
  std::int64_t seen = 0, hits = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    std::int64_t new_hits = 0;
    while (j < n && scores[order[j]] == scores[order[i]]) new_hits += positive[order[j++]];
    seen += static_cast<std::int64_t>(j - i);
    hits += new_hits;
    ap += static_cast<double>(new_hits) / static_cast<double>(total) * static_cast<double>(hits) /
          static_cast<double>(seen);
    i = j;
  }
  return ap;
}

/// Hits@K as OGB's ogbl-collab evaluator counts it: the share of positives
/// scoring strictly above the K-th highest negative score (1 when there
/// are fewer than K negatives). NaN without positives.
inline double hits_at(std::span<const double> positive_scores, std::span<const double> negative_scores, std::size_t k) {
  if (positive_scores.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (negative_scores.size() < k) return 1.0;
  std::vector<double> top(negative_scores.begin(), negative_scores.end());
  std::nth_element(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(k - 1), top.end(), std::greater<>());
  const double threshold = top[k - 1];
  const auto above =
      std::count_if(positive_scores.begin(), positive_scores.end(), [&](double s) { return s > threshold; });
  return static_cast<double>(above) / static_cast<double>(positive_scores.size());
}

/// Mean reciprocal rank of each positive among the shared negatives: rank
/// 1 + (negatives scoring higher) + half the negatives tied with it (the
/// mean of OGB's optimistic and pessimistic ranks). NaN without positives.
inline double mean_reciprocal_rank(std::span<const double> positive_scores, std::span<const double> negative_scores) {
  if (positive_scores.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> sorted(negative_scores.begin(), negative_scores.end());
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (const double s : positive_scores) {
    const auto lower = std::lower_bound(sorted.begin(), sorted.end(), s);
    const auto upper = std::upper_bound(lower, sorted.end(), s);
    const double higher = static_cast<double>(sorted.end() - upper), tied = static_cast<double>(upper - lower);
    sum += 1.0 / (1.0 + higher + 0.5 * tied);
  }
  return sum / static_cast<double>(positive_scores.size());
}

/// Link prediction metrics of one split: positives against its fixed negatives.
struct link_metrics {
  std::int64_t positives = 0, negatives = 0;
  double roc_auc = std::numeric_limits<double>::quiet_NaN();
  double average_precision = std::numeric_limits<double>::quiet_NaN();
  std::map<std::int64_t, double> hits;  ///< Hits@K for K = 20, 50, 100
  double mrr = std::numeric_limits<double>::quiet_NaN();
};

/// Every link metric of `positive_scores` against `negative_scores`.
inline link_metrics evaluate_link_scores(std::span<const double> positive_scores,
                                         std::span<const double> negative_scores) {
  link_metrics out;
  out.positives = static_cast<std::int64_t>(positive_scores.size());
  out.negatives = static_cast<std::int64_t>(negative_scores.size());
  std::vector<double> scores(positive_scores.begin(), positive_scores.end());
  scores.insert(scores.end(), negative_scores.begin(), negative_scores.end());
  std::vector<std::uint8_t> label(scores.size(), 0);
  std::fill_n(label.begin(), positive_scores.size(), std::uint8_t{1});
  out.roc_auc = roc_auc(scores, label);
  out.average_precision = average_precision(scores, label);
  for (const std::int64_t k : {20, 50, 100}) {
    out.hits[k] = hits_at(positive_scores, negative_scores, static_cast<std::size_t>(k));
  }
  out.mrr = mean_reciprocal_rank(positive_scores, negative_scores);
  return out;
}

}  // namespace graphsage
