#pragma once
// Link prediction minibatches: seeds are edges, not vertices. For each
// minibatch of positive pairs (u, v) the link sampler
//   1. draws its negatives (negatives.hpp, keyed by the minibatch's counter),
//   2. takes the de-duplicated endpoints of positives and negatives as the
//      seeds of the node sampler it wraps (node-wise, LABOR, LADIES, ...),
//   3. masks the minibatch's own positive edges (and their reverses) out of
//      every P = Q·A it samples, P⟨¬X⟩ (exclude_entries), so no block holds
//      an edge the model is asked to predict,
//   4. returns the blocks with the positive and negative pair graphs in the
//      last block's local ids (DGL's pair_graph and neg_pair_graph).
// Every step is counted by (epoch, global minibatch), so a minibatch's
// sample is the same alone or in a bulk call, on any thread count.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/negatives.hpp"

namespace matsample {

/// k minibatches of positive pairs (seed edges) for one link sampling call:
/// minibatch m holds pairs [offsets[m], offsets[m+1]) of src/dst and is
/// minibatch first_batch + m of `epoch` for the random streams.
template <index_type I>
struct edge_batch_list {
  std::span<const I> src;                ///< source of each positive pair, all minibatches, not owned
  std::span<const I> dst;                ///< destination of each positive pair, not owned
  std::vector<std::int64_t> offsets{0};  ///< k + 1 offsets into src/dst, from 0 to their size
  std::uint64_t epoch = 0;               ///< epoch number, the counter word of every draw
  std::uint64_t first_batch = 0;         ///< global number of minibatch 0 within the epoch

  /// Number of minibatches k.
  [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(offsets.size()) - 1; }
  /// Pairs [offsets[m], offsets[m+1]) of minibatch m (unchecked).
  [[nodiscard]] std::pair<std::span<const I>, std::span<const I>> batch(std::int64_t m) const {
    const auto b = static_cast<std::size_t>(offsets[m]), n = static_cast<std::size_t>(offsets[m + 1] - offsets[m]);
    return {src.subspan(b, n), dst.subspan(b, n)};
  }
  /// Cuts the pairs into batches of `batch_size` (> 0; the last may be smaller).
  static edge_batch_list uniform(std::span<const I> src, std::span<const I> dst, std::int64_t batch_size,
                                 std::uint64_t epoch = 0, std::uint64_t first_batch = 0) {
    if (src.size() != dst.size()) {
      throw argument_error(detail::concat("edge batches: ", src.size(), " sources but ", dst.size(), " destinations"));
    }
    const auto cut = batch_list<I>::uniform(src, batch_size, epoch, first_batch);
    return {src, dst, cut.offsets, epoch, first_batch};
  }
};

/// One epoch of training edges, shuffled by the counter-based generator of
/// epoch_batches (the same order on every platform and rank) and cut into
/// batches of positive pairs.
template <index_type I>
class epoch_edge_batches {
 public:
  /// Copies the pairs (src[j], dst[j]) and, when `shuffle`, permutes them with
  /// the stream of (shuffle_seed, epoch); argument_error for unequal spans or
  /// a batch size <= 0.
  epoch_edge_batches(std::span<const I> src, std::span<const I> dst, std::int64_t batch_size,
                     std::uint64_t shuffle_seed, std::uint64_t epoch, bool shuffle = true)
      : batch_size_(batch_size), epoch_(epoch) {
    if (src.size() != dst.size()) {
      throw argument_error(detail::concat("edge batches: ", src.size(), " sources but ", dst.size(), " destinations"));
    }
    std::vector<std::int64_t> ids(src.size());
    std::iota(ids.begin(), ids.end(), std::int64_t{0});
    const epoch_batches<std::int64_t> order(ids, batch_size, shuffle_seed, epoch, shuffle);
    src_.reserve(src.size());
    dst_.reserve(dst.size());
    for (const auto j : order.order()) {
      src_.push_back(src[static_cast<std::size_t>(j)]);
      dst_.push_back(dst[static_cast<std::size_t>(j)]);
    }
  }

  /// Number of batches, counting the last partial one.
  [[nodiscard]] std::int64_t size() const noexcept {
    return (static_cast<std::int64_t>(src_.size()) + batch_size_ - 1) / batch_size_;
  }
  /// Batches [first, first + k), clipped to the epoch; they borrow this object's arrays.
  [[nodiscard]] edge_batch_list<I> bulk(std::int64_t first, std::int64_t k) const {
    if (first < 0 || first > size() || k <= 0) {
      throw argument_error(detail::concat("bulk of ", k, " edge batches from batch ", first, " of ", size()));
    }
    const auto n = static_cast<std::int64_t>(src_.size());
    const auto begin = std::min(first * batch_size_, n), end = std::min((first + k) * batch_size_, n);
    const auto len = static_cast<std::size_t>(end - begin);
    return edge_batch_list<I>::uniform(std::span<const I>(src_).subspan(static_cast<std::size_t>(begin), len),
                                       std::span<const I>(dst_).subspan(static_cast<std::size_t>(begin), len),
                                       batch_size_, epoch_, static_cast<std::uint64_t>(first));
  }

 private:
  std::vector<I> src_, dst_;
  std::int64_t batch_size_;
  std::uint64_t epoch_;
};

/// Which edges a minibatch may not sample (DGL's `exclude`).
enum class edge_exclusion {
  none,     ///< sample from the whole graph
  self,     ///< a minibatch's positive edges (u, v) are masked out of its own blocks
  reverse,  ///< and their reverses: (v, u), or the edges link_options::reverse_edges names
};

/// Options of link_sampler.
struct link_options {
  negative_options negatives{};                   ///< how negatives are drawn (per_positive, distribution, seed, ...)
  edge_exclusion exclude = edge_exclusion::none;  ///< edges masked out of each minibatch's own blocks
  /// Under edge_exclusion::reverse: reverse_edges[e] is the position in A
  /// (the entry index in CSR order) of the reverse of the edge at position
  /// e; one per entry, an involution (checked). Empty: the reverse of (u, v)
  /// is (v, u), the transpose, right for a symmetric graph.
  std::span<const std::int64_t> reverse_edges{};
};

/// Pairs of k minibatches in local ids: minibatch m's pairs are
/// [offsets[m], offsets[m+1]) of src/dst, numbered as the destination
/// nodes of its last block (its seeds).
template <index_type I>
struct pair_graphs {
  std::vector<std::int64_t> offsets{0};  ///< k + 1 offsets
  std::vector<I> src;                    ///< local source id of each pair
  std::vector<I> dst;                    ///< local destination id of each pair

  /// Exact equality of every array.
  friend bool operator==(const pair_graphs&, const pair_graphs&) = default;
  /// Pairs of minibatch m as (src, dst) spans (unchecked).
  [[nodiscard]] std::pair<std::span<const I>, std::span<const I>> batch(std::int64_t m) const {
    const auto b = static_cast<std::size_t>(offsets[m]), n = static_cast<std::size_t>(offsets[m + 1] - offsets[m]);
    return {std::span<const I>(src).subspan(b, n), std::span<const I>(dst).subspan(b, n)};
  }
};

/// What one link sampling call returns for k minibatches.
template <class V, index_type I, index_type O>
struct link_sample {
  bulk_sample<V, I, O> blocks;         ///< the node sampler's blocks; minibatch m's seeds are its pairs' endpoints
  pair_graphs<I> positives;            ///< the positive pairs in local ids (DGL's pair_graph)
  pair_graphs<I> negatives;            ///< the negative pairs in local ids (DGL's neg_pair_graph)
  std::int64_t dropped_negatives = 0;  ///< negatives dropped by negative_options::reject_true_edges

  /// Exact equality of every part.
  friend bool operator==(const link_sample&, const link_sample&) = default;
};

namespace detail {

/// Positions [first, last) of the entries (u, v) in row u of a column-sorted A.
template <class View, class I>
std::pair<std::int64_t, std::int64_t> entry_range(const View& a, I u, I v) {
  const auto columns = row_columns(a, u);
  const auto [lo, hi] = std::equal_range(columns.begin(), columns.end(), v);
  const auto base = static_cast<std::int64_t>(a.row_begin(u));
  return {base + (lo - columns.begin()), base + (hi - columns.begin())};
}

}  // namespace detail

/// Samples link prediction minibatches with any node sampler (a
/// nodewise_sampler, labor_sampler, ladies_sampler, ... on any backend whose
/// graph is `graph`). A view like every sampler: the node sampler and the
/// host graph (rows sorted by column, as every matsample builder makes
/// them) must outlive it. Negatives and exclusion are computed on the host
/// from `graph`; the blocks by the node sampler.
template <class NodeSampler, class View>
class link_sampler {
 public:
  using index_type = typename View::index_type;  ///< vertex id type
  using V = typename View::value_type;           ///< the blocks' value type
  using O = typename View::offset_type;          ///< the blocks' offset type

  /// Throws argument_error for bad options or a non-square graph, format_error
  /// for rows not sorted by column, and argument_error for a reverse map of
  /// the wrong size, out of range, or not an involution (naming the edge).
  link_sampler(const NodeSampler& nodes, const View& graph, const link_options& options)
      : nodes_(&nodes), graph_(graph), options_(options), negatives_(graph, options.negatives) {
    if (options_.exclude != edge_exclusion::none) detail::require_sorted_rows(graph_, "link sampling: exclusion");
    if (!options_.reverse_edges.empty()) check_reverse_map();
  }

  [[nodiscard]] const link_options& options() const noexcept { return options_; }  ///< as given

  /// Samples every minibatch of `edges`: negatives, seeds, masked blocks and
  /// pair graphs. `node_options` are the wrapped sampler's options (fanouts,
  /// seed, ...). Throws out_of_range_error for a pair naming a vertex
  /// outside the graph and, with exclusion on, argument_error for a
  /// positive pair that is not an edge of the graph (both name the pair
  /// and its minibatch).
  template <class NodeOptions>
  [[nodiscard]] link_sample<V, index_type, O> operator()(const edge_batch_list<index_type>& edges,
                                                         const NodeOptions& node_options) const {
    using I = index_type;
    check_batches(edges);
    const std::int64_t k = edges.size();
    link_sample<V, I, O> out;
    std::vector<I> seeds;
    std::vector<std::int64_t> seed_offsets{0};
    std::vector<std::int64_t> excluded_offsets{0};
    std::vector<I> excluded_src, excluded_dst;
    std::vector<std::pair<I, I>> negatives_global;
    std::vector<std::int64_t> negative_offsets{0};
    for (std::int64_t m = 0; m < k; ++m) {
      const auto [src, dst] = edges.batch(m);
      const auto global = edges.first_batch + static_cast<std::uint64_t>(m);
      auto negs = negatives_(src, dst, edges.epoch, global);
      out.dropped_negatives += negs.dropped;
      // Seeds: the sorted distinct endpoints of positives and negatives.
      std::vector<I> ends(src.begin(), src.end());
      ends.insert(ends.end(), dst.begin(), dst.end());
      ends.insert(ends.end(), negs.src.begin(), negs.src.end());
      ends.insert(ends.end(), negs.dst.begin(), negs.dst.end());
      std::sort(ends.begin(), ends.end());
      ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
      seeds.insert(seeds.end(), ends.begin(), ends.end());
      seed_offsets.push_back(static_cast<std::int64_t>(seeds.size()));
      for (std::size_t j = 0; j < negs.src.size(); ++j) negatives_global.emplace_back(negs.src[j], negs.dst[j]);
      negative_offsets.push_back(static_cast<std::int64_t>(negatives_global.size()));
      append_exclusion(src, dst, excluded_src, excluded_dst);
      excluded_offsets.push_back(static_cast<std::int64_t>(excluded_src.size()));
    }
    batch_list<I> batches{seeds, seed_offsets, edges.epoch, edges.first_batch};
    if (options_.exclude != edge_exclusion::none) {  // rows checked sorted when this sampler was built
      batches.excluded = {excluded_offsets, excluded_src, excluded_dst, /*sorted_rows=*/true};
    }
    out.blocks = (*nodes_)(batches, node_options);
    // Local ids: a vertex's position among its minibatch's sorted seeds,
    // which are the last block's destination nodes in that order.
    const auto local = [&](std::int64_t m, I v) {
      const auto first = seeds.begin() + seed_offsets[m], last = seeds.begin() + seed_offsets[m + 1];
      return static_cast<I>(std::lower_bound(first, last, v) - first);
    };
    for (std::int64_t m = 0; m < k; ++m) {
      const auto [src, dst] = edges.batch(m);
      for (std::size_t j = 0; j < src.size(); ++j) {
        out.positives.src.push_back(local(m, src[j]));
        out.positives.dst.push_back(local(m, dst[j]));
      }
      out.positives.offsets.push_back(static_cast<std::int64_t>(out.positives.src.size()));
      for (auto j = negative_offsets[m]; j < negative_offsets[m + 1]; ++j) {
        out.negatives.src.push_back(local(m, negatives_global[static_cast<std::size_t>(j)].first));
        out.negatives.dst.push_back(local(m, negatives_global[static_cast<std::size_t>(j)].second));
      }
      out.negatives.offsets.push_back(static_cast<std::int64_t>(out.negatives.src.size()));
    }
    return out;
  }

 private:
  void check_batches(const edge_batch_list<index_type>& edges) const {
    if (edges.src.size() != edges.dst.size()) {
      throw argument_error(
          detail::concat("link sampling: ", edges.src.size(), " sources but ", edges.dst.size(), " destinations"));
    }
    if (edges.offsets.empty() || edges.offsets.front() != 0 ||
        edges.offsets.back() != static_cast<std::int64_t>(edges.src.size()) ||
        !std::is_sorted(edges.offsets.begin(), edges.offsets.end())) {
      throw argument_error(
          detail::concat("link sampling: offsets must ascend from 0 to the pair count ", edges.src.size()));
    }
    const auto n = static_cast<std::int64_t>(graph_.rows());
    for (std::int64_t m = 0; m < edges.size(); ++m) {
      const auto [src, dst] = edges.batch(m);
      for (std::size_t j = 0; j < src.size(); ++j) {
        const auto u = src[j], v = dst[j];
        const auto where = [&] {
          return detail::concat("link sampling: positive pair (", u, ", ", v, ") of minibatch ",
                                edges.first_batch + static_cast<std::uint64_t>(m));
        };
        if (u < 0 || u >= n || v < 0 || v >= n) {
          throw out_of_range_error(detail::concat(where(), " names a vertex outside 0..", n - 1));
        }
        if (options_.exclude != edge_exclusion::none && !detail::row_holds(graph_, u, v)) {
          throw argument_error(
              detail::concat(where(), " is not an edge of the graph; excluding seed edges needs edges"));
        }
      }
    }
  }

  /// A minibatch's excluded pairs, sorted and distinct, appended.
  void append_exclusion(std::span<const index_type> src, std::span<const index_type> dst,
                        std::vector<index_type>& out_src, std::vector<index_type>& out_dst) const {
    using I = index_type;
    if (options_.exclude == edge_exclusion::none) return;
    std::vector<std::pair<I, I>> pairs;
    for (std::size_t j = 0; j < src.size(); ++j) {
      pairs.emplace_back(src[j], dst[j]);
      if (options_.exclude != edge_exclusion::reverse) continue;
      if (options_.reverse_edges.empty()) {
        pairs.emplace_back(dst[j], src[j]);
        continue;
      }
      const auto [first, last] = detail::entry_range(graph_, src[j], dst[j]);
      for (auto e = first; e < last; ++e)
        pairs.push_back(entry_at(options_.reverse_edges[static_cast<std::size_t>(e)]));
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (const auto& [u, v] : pairs) {
      out_src.push_back(u);
      out_dst.push_back(v);
    }
  }

  /// The (row, column) of the entry at position e of A.
  std::pair<index_type, index_type> entry_at(std::int64_t e) const {
    const auto indptr = graph_.indptr();
    const auto row = std::upper_bound(indptr.begin(), indptr.end(), static_cast<O>(e)) - indptr.begin() - 1;
    return {static_cast<index_type>(row), graph_.indices()[static_cast<std::size_t>(e)]};
  }

  void check_reverse_map() const {
    const auto& rev = options_.reverse_edges;
    const auto nnz = static_cast<std::int64_t>(graph_.nnz());
    if (static_cast<std::int64_t>(rev.size()) != nnz) {
      throw argument_error(detail::concat("link sampling: the reverse edge map has ", rev.size(),
                                          " entries for a graph of ", nnz, " edges"));
    }
    for (std::int64_t e = 0; e < nnz; ++e) {
      const auto r = rev[static_cast<std::size_t>(e)];
      if (r < 0 || r >= nnz) {
        throw argument_error(
            detail::concat("link sampling: the reverse of edge ", e, " is ", r, ", outside 0..", nnz - 1));
      }
      if (rev[static_cast<std::size_t>(r)] != e) {
        throw argument_error(detail::concat("link sampling: the reverse edge map is not an involution: edge ", e,
                                            " maps to ", r, ", which maps to ", rev[static_cast<std::size_t>(r)]));
      }
    }
  }

  const NodeSampler* nodes_;
  View graph_;
  link_options options_;
  negative_sampler<View> negatives_;
};

/// Deduces the graph's view type (an owning csr_matrix is kept as its view).
template <class NodeSampler, class Graph>
link_sampler(const NodeSampler&, const Graph&, const link_options&) -> link_sampler<NodeSampler, graph_view_t<Graph>>;

}  // namespace matsample
