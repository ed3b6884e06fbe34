#pragma once
// A leak-free, reproducible split of a graph's edges for link prediction
// (PyG's RandomLinkSplit, OGB's ogbl splits): train, valid and test pairs,
// the graph training samples (A without the held-out edges and their
// reverses), and fixed negative pairs for valid and test, so that runs
// compare on the same negatives. Every draw is Philox keyed by the seed
// (stream streams::edge_split), so every platform makes the same split.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/relabel.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// Pairs of vertices (src[i], dst[i]), sorted by (src, dst).
template <index_type I>
struct edge_pairs {
  std::vector<I> src;  ///< first vertex of each pair
  std::vector<I> dst;  ///< second vertex of each pair

  /// Number of pairs.
  [[nodiscard]] std::size_t size() const noexcept { return src.size(); }
  /// Exact equality.
  friend bool operator==(const edge_pairs&, const edge_pairs&) = default;
};

/// Options of random_edge_split.
struct edge_split_options {
  double valid_fraction = 0.05;  ///< share of the edges held out for validation, in [0, 1)
  double test_fraction = 0.10;   ///< share held out for testing; valid + test < 1
  /// (u, v) and (v, u) are one edge, written once as (min, max): the usual
  /// reading of a symmetric adjacency. false: every entry u != v is an edge.
  bool undirected = true;
  std::uint64_t seed = 0;  ///< Philox seed of the split and of the negatives
};

/// A split of a graph's edges (see the file comment). Self loops are never
/// held out: they stay in train_graph and are no positive pair.
template <class V, index_type I, index_type O>
struct edge_split {
  csr_matrix<V, I, O> train_graph;  ///< A without the valid and test edges and their reverses (values kept)
  edge_pairs<I> train;              ///< positive training pairs: every edge of train_graph, once
  edge_pairs<I> valid;              ///< held-out positive pairs for validation
  edge_pairs<I> test;               ///< held-out positive pairs for testing
  edge_pairs<I> valid_negatives;    ///< as many pairs as `valid`, none an edge of A (nor of each other)
  edge_pairs<I> test_negatives;     ///< as many as `test`, none an edge of A nor a valid negative
};

namespace detail {

/// (u, v) as the split stores it: (min, max) when undirected.
template <class I>
std::pair<I, I> canonical_pair(I u, I v, bool undirected) {
  return undirected && v < u ? std::pair{v, u} : std::pair{u, v};
}

/// Whether the sorted `pairs` holds (u, v).
template <class I>
bool holds_pair(const std::vector<std::pair<I, I>>& pairs, I u, I v) {
  return std::binary_search(pairs.begin(), pairs.end(), std::pair{u, v});
}

template <class I>
edge_pairs<I> to_edge_pairs(const std::vector<std::pair<I, I>>& pairs) {
  edge_pairs<I> out;
  for (const auto& [u, v] : pairs) {
    out.src.push_back(u);
    out.dst.push_back(v);
  }
  return out;
}

template <class I>
std::vector<std::pair<I, I>> from_edge_pairs(const edge_pairs<I>& p, const char* what) {
  if (p.src.size() != p.dst.size()) {
    throw argument_error(
        concat("edge split: ", what, " has ", p.src.size(), " sources but ", p.dst.size(), " destinations"));
  }
  std::vector<std::pair<I, I>> out;
  for (std::size_t i = 0; i < p.size(); ++i) out.emplace_back(p.src[i], p.dst[i]);
  return out;
}

/// The distinct edges of A as canonical pairs, sorted, self loops left out.
template <class V, class I, class O>
std::vector<std::pair<I, I>> canonical_edges(const csr_view<V, I, O>& a, bool undirected) {
  std::vector<std::pair<I, I>> out;
  for (I u = 0; u < a.rows(); ++u) {
    for (auto e = a.row_begin(u); e < a.row_end(u); ++e) {
      const I v = a.indices()[static_cast<std::size_t>(e)];
      if (u != v) out.push_back(canonical_pair(u, v, undirected));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace detail

/// The split whose held-out parts are given (as read back from files): the
/// train graph is A without `valid` and `test` and their reverses, and the
/// train pairs are its edges. Throws argument_error for a held-out pair
/// that is no edge of A or a negative that is one, naming the pair.
template <class V, index_type I, index_type O>
edge_split<V, I, O> edge_split_from_parts(const csr_view<V, I, O>& a, edge_pairs<I> valid, edge_pairs<I> test,
                                          edge_pairs<I> valid_negatives, edge_pairs<I> test_negatives,
                                          bool undirected) {
  const auto edges = detail::canonical_edges(a, undirected);
  std::vector<std::pair<I, I>> held;
  for (const auto* part : {&valid, &test}) {
    for (const auto& [u, v] : detail::from_edge_pairs(*part, part == &valid ? "valid" : "test")) {
      const auto c = detail::canonical_pair(u, v, undirected);
      if (!detail::holds_pair(edges, c.first, c.second)) {
        throw argument_error(detail::concat("edge split: ", part == &valid ? "valid" : "test", " pair (", u, ", ", v,
                                            ") is not an edge of the graph"));
      }
      held.emplace_back(u, v);
      held.emplace_back(v, u);
    }
  }
  for (const auto* part : {&valid_negatives, &test_negatives}) {
    const char* what = part == &valid_negatives ? "valid negative" : "test negative";
    for (const auto& [u, v] : detail::from_edge_pairs(*part, what)) {
      const auto c = detail::canonical_pair(u, v, undirected);
      if (u < 0 || v < 0 || u >= a.rows() || v >= a.rows() || detail::holds_pair(edges, c.first, c.second)) {
        throw argument_error(detail::concat("edge split: ", what, " pair (", u, ", ", v,
                                            ") is an edge of the graph or names a vertex outside it"));
      }
    }
  }
  std::sort(held.begin(), held.end());
  std::vector<O> indptr{0};
  std::vector<I> indices;
  std::vector<V> values;
  std::vector<std::pair<I, I>> train;
  for (I u = 0; u < a.rows(); ++u) {
    for (auto e = a.row_begin(u); e < a.row_end(u); ++e) {
      const I v = a.indices()[static_cast<std::size_t>(e)];
      if (u != v && detail::holds_pair(held, u, v)) continue;
      indices.push_back(v);
      if (a.has_values()) values.push_back(a.values()[static_cast<std::size_t>(e)]);
      if (u != v) train.push_back(detail::canonical_pair(u, v, undirected));
    }
    indptr.push_back(static_cast<O>(indices.size()));
  }
  std::sort(train.begin(), train.end());
  train.erase(std::unique(train.begin(), train.end()), train.end());
  edge_split<V, I, O> out{
      csr_matrix<V, I, O>(a.rows(), a.cols(), std::move(indptr), std::move(indices), std::move(values)),
      detail::to_edge_pairs(train),
      std::move(valid),
      std::move(test),
      std::move(valid_negatives),
      std::move(test_negatives)};
  return out;
}

/// Splits A's edges at random: round(valid_fraction · E) of the E distinct
/// edges (self loops aside) for valid, round(test_fraction · E) for test,
/// the rest for training; then draws as many negatives per held-out part,
/// uniformly among the pairs u != v that are no edge of A (in either
/// direction when undirected) and not drawn before. Throws argument_error
/// for fractions out of range, a non-square A, or a graph too dense to
/// find the negatives.
template <class V, index_type I, index_type O>
edge_split<V, I, O> random_edge_split(const csr_view<V, I, O>& a, const edge_split_options& options) {
  const double fv = options.valid_fraction, ft = options.test_fraction;
  if (!(fv >= 0 && ft >= 0 && fv + ft < 1)) {
    throw argument_error(
        detail::concat("edge split: valid and test fractions must be >= 0 with a sum below 1, got ", fv, " and ", ft));
  }
  if (a.rows() != a.cols()) {
    throw argument_error(detail::concat("edge split: the graph must be square, got ", a.rows(), " x ", a.cols()));
  }
  const auto edges = detail::canonical_edges(a, options.undirected);
  const auto count = static_cast<std::int64_t>(edges.size());
  const auto n_valid = static_cast<std::int64_t>(std::llround(fv * static_cast<double>(count)));
  const auto n_test =
      std::min(count - n_valid, static_cast<std::int64_t>(std::llround(ft * static_cast<double>(count))));
  const auto order = random_permutation<std::int64_t>(count, options.seed, streams::edge_split);
  std::vector<std::pair<I, I>> valid, test;
  for (std::int64_t i = 0; i < n_valid + n_test; ++i) {
    (i < n_valid ? valid : test).push_back(edges[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]);
  }
  std::sort(valid.begin(), valid.end());
  std::sort(test.begin(), test.end());
  // Negatives: uniform pairs u != v, redrawn while an edge or already drawn.
  const auto n = static_cast<std::uint64_t>(a.rows());
  std::set<std::pair<I, I>> drawn;  // both parts
  const auto negatives = [&](std::uint64_t part, std::int64_t want) {
    std::vector<std::pair<I, I>> out;
    const std::int64_t budget = 64 * want + 1024;
    philox_row_stream rng(options.seed, streams::edge_split, {part, 0, 0});
    for (std::int64_t attempt = 0; static_cast<std::int64_t>(out.size()) < want; ++attempt) {
      if (attempt >= budget || n < 2) {
        throw argument_error(detail::concat("edge split: found only ", out.size(), " of ", want, " negative pairs in ",
                                            budget, " draws; the graph is too dense"));
      }
      const auto u = static_cast<I>(rng.below(2 * static_cast<std::uint64_t>(attempt), n));
      const auto v = static_cast<I>(rng.below(2 * static_cast<std::uint64_t>(attempt) + 1, n));
      if (u == v) continue;
      const auto c = detail::canonical_pair(u, v, options.undirected);
      if (detail::holds_pair(edges, c.first, c.second) || !drawn.insert(c).second) continue;
      out.push_back(c);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto valid_negatives = negatives(1, n_valid);
  auto test_negatives = negatives(2, n_test);
  return edge_split_from_parts(a, detail::to_edge_pairs(valid), detail::to_edge_pairs(test),
                               detail::to_edge_pairs(valid_negatives), detail::to_edge_pairs(test_negatives),
                               options.undirected);
}

}  // namespace matsample
