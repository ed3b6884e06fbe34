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
#include <string_view>
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

/// f(where, u, v) for every positive pair of `edges`; where() names the
/// pair and its minibatch, after `sampler` and before `context`.
template <index_type I, class F>
void for_each_positive(const edge_batch_list<I>& edges, std::string_view sampler, std::string_view context, F f) {
  for (std::int64_t m = 0; m < edges.size(); ++m) {
    const auto pairs = edges.batch(m);  // a pair, not a binding: lambdas capture it (clang 14)
    const auto src = pairs.first, dst = pairs.second;
    for (std::size_t j = 0; j < src.size(); ++j) {
      const auto where = [&] {
        return concat(sampler, ": positive pair (", src[j], ", ", dst[j], ") of minibatch ",
                      edges.first_batch + static_cast<std::uint64_t>(m), context);
      };
      f(where, src[j], dst[j]);
    }
  }
}

}  // namespace detail

/// Samples link prediction minibatches with any node sampler (a
/// nodewise_sampler, labor_sampler, ladies_sampler, ... on any backend whose
/// graph is `graph`). A view like every sampler: the node sampler and the
/// graph (rows sorted by column, as every matsample builder makes them)
/// must outlive it. Negatives and exclusion read the graph through its edge
/// lookup (algebra/edge_lookup.hpp): on one process the graph itself; on a
/// distributed graph (1.5D blocks, 2D tiles, replicated) the rows each step
/// needs, fetched from their owners, so every call is then collective and
/// the ranks of a 2D grid row pass the same minibatches, as for vertices.
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
      : nodes_(&nodes), options_(options), negatives_(graph, options.negatives) {
    if (options_.exclude != edge_exclusion::none) lookup().require_sorted_rows("link sampling: exclusion");
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
    const auto negs = negatives_(edges.src, edges.dst, edges.offsets, edges.epoch, edges.first_batch);
    out.dropped_negatives = negs.dropped;
    std::vector<I> seeds;
    std::vector<std::int64_t> seed_offsets{0};
    for (std::int64_t m = 0; m < k; ++m) {
      // Seeds: the sorted distinct endpoints of positives and negatives.
      const auto [src, dst] = edges.batch(m);
      const auto nb = static_cast<std::size_t>(negs.offsets[static_cast<std::size_t>(m)]);
      const auto ne = static_cast<std::size_t>(negs.offsets[static_cast<std::size_t>(m) + 1]);
      std::vector<I> ends(src.begin(), src.end());
      ends.insert(ends.end(), dst.begin(), dst.end());
      ends.insert(ends.end(), negs.src.begin() + nb, negs.src.begin() + ne);
      ends.insert(ends.end(), negs.dst.begin() + nb, negs.dst.begin() + ne);
      std::sort(ends.begin(), ends.end());
      ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
      seeds.insert(seeds.end(), ends.begin(), ends.end());
      seed_offsets.push_back(static_cast<std::int64_t>(seeds.size()));
    }
    batch_list<I> batches{seeds, seed_offsets, edges.epoch, edges.first_batch};
    excluded_pairs excluded;
    if (options_.exclude != edge_exclusion::none) {  // rows checked sorted when this sampler was built
      excluded = exclusion(edges);
      batches.excluded = {excluded.offsets, excluded.src, excluded.dst, /*sorted_rows=*/true};
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
      for (auto j = negs.offsets[static_cast<std::size_t>(m)]; j < negs.offsets[static_cast<std::size_t>(m) + 1]; ++j) {
        out.negatives.src.push_back(local(m, negs.src[static_cast<std::size_t>(j)]));
        out.negatives.dst.push_back(local(m, negs.dst[static_cast<std::size_t>(j)]));
      }
      out.negatives.offsets.push_back(static_cast<std::int64_t>(out.negatives.src.size()));
    }
    return out;
  }

 private:
  /// Each minibatch's excluded pairs, sorted and distinct, laid out as
  /// excluded_edges wants them.
  struct excluded_pairs {
    std::vector<std::int64_t> offsets{0};
    std::vector<index_type> src, dst;
  };

  [[nodiscard]] const auto& lookup() const noexcept { return negatives_.lookup(); }

  void check_batches(const edge_batch_list<index_type>& edges) const {
    lookup().check([&] {
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
      const auto n = static_cast<std::int64_t>(lookup().vertices());
      detail::for_each_positive(edges, "link sampling", "", [&](const auto& where, index_type u, index_type v) {
        if (u < 0 || u >= n || v < 0 || v >= n) {
          throw out_of_range_error(detail::concat(where(), " names a vertex outside 0..", n - 1));
        }
      });
    });
    if (options_.exclude == edge_exclusion::none) return;
    const auto window = lookup().rows(edges.src);
    lookup().check([&] {
      detail::for_each_positive(edges, "link sampling", "", [&](const auto& where, index_type u, index_type v) {
        if (!window.holds(u, v)) {
          throw argument_error(
              detail::concat(where(), " is not an edge of the graph; excluding seed edges needs edges"));
        }
      });
    });
  }

  /// The pairs each minibatch may not sample: its positive edges and, under
  /// edge_exclusion::reverse, their reverses (the transpose, or the edges
  /// the reverse map names, which the lookup finds by position).
  excluded_pairs exclusion(const edge_batch_list<index_type>& edges) const {
    using I = index_type;
    const auto n = edges.src.size();
    // Under a reverse map: pair i's reverses are [reverse_offsets[i], ...+1) of reverse_src/dst.
    std::vector<std::int64_t> reverse_offsets(n + 1, 0);
    std::vector<I> reverse_src, reverse_dst;
    if (options_.exclude == edge_exclusion::reverse && !options_.reverse_edges.empty()) {
      const auto window = lookup().rows(edges.src);
      std::vector<std::int64_t> positions;
      for (std::size_t i = 0; i < n; ++i) {
        const auto [first, last] = window.entry_range(edges.src[i], edges.dst[i]);
        for (auto e = first; e < last; ++e) positions.push_back(options_.reverse_edges[static_cast<std::size_t>(e)]);
        reverse_offsets[i + 1] = static_cast<std::int64_t>(positions.size());
      }
      reverse_src = lookup().rows_of_positions(positions);
      const auto reverse_window = lookup().rows(reverse_src);
      reverse_dst.resize(positions.size());
      for (std::size_t p = 0; p < positions.size(); ++p)
        reverse_dst[p] = reverse_window.column_at(reverse_src[p], positions[p]);
    }
    excluded_pairs out;
    std::vector<std::pair<I, I>> pairs;
    for (std::int64_t m = 0; m < edges.size(); ++m) {
      pairs.clear();
      for (auto i = static_cast<std::size_t>(edges.offsets[m]); i < static_cast<std::size_t>(edges.offsets[m + 1]);
           ++i) {
        pairs.emplace_back(edges.src[i], edges.dst[i]);
        if (options_.exclude != edge_exclusion::reverse) continue;
        if (options_.reverse_edges.empty()) pairs.emplace_back(edges.dst[i], edges.src[i]);
        for (auto p = reverse_offsets[i]; p < reverse_offsets[i + 1]; ++p)
          pairs.emplace_back(reverse_src[static_cast<std::size_t>(p)], reverse_dst[static_cast<std::size_t>(p)]);
      }
      std::sort(pairs.begin(), pairs.end());
      pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
      for (const auto& [u, v] : pairs) {
        out.src.push_back(u);
        out.dst.push_back(v);
      }
      out.offsets.push_back(static_cast<std::int64_t>(out.src.size()));
    }
    return out;
  }

  void check_reverse_map() const {
    const auto& rev = options_.reverse_edges;
    const auto nnz = lookup().edges();
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
  link_options options_;
  negative_sampler<View> negatives_;
};

/// Deduces the graph's view type (an owning csr_matrix is kept as its view).
template <class NodeSampler, class Graph>
link_sampler(const NodeSampler&, const Graph&, const link_options&) -> link_sampler<NodeSampler, graph_view_t<Graph>>;

}  // namespace matsample
