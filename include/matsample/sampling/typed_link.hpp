#pragma once
// Link prediction on a typed graph: the seeds of a minibatch are edges of one
// relation r (row type s, column type d), negatives corrupt an endpoint with
// a vertex of its type, and the blocks come from the typed node-wise sampler
// with each minibatch's seed edges masked out of relation r and, under
// reverse exclusion, their reverses out of the reverse relation (DGL's
// exclude="reverse_types"). Pairs come back in local ids: a source is its
// position among the minibatch's seeds of type s, a destination among those
// of type d, which are the last layer's destination nodes of those types.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "matsample/algebra/edge_lookup.hpp"
#include "matsample/algebra/typed_blocks.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/typed_graph.hpp"
#include "matsample/sampling/link.hpp"
#include "matsample/sampling/negatives.hpp"
#include "matsample/sampling/typed_nodewise.hpp"

namespace matsample {

/// Options of typed_link_sampler.
struct typed_link_options {
  /// How negatives are drawn: the corrupted endpoint is uniform over its
  /// type (degree_power only where the relation's two types agree).
  negative_options negatives{};
  edge_exclusion exclude = edge_exclusion::none;  ///< edges masked out of each minibatch's own blocks
  /// Under edge_exclusion::reverse: the relation holding the reverse (v, u)
  /// of a seed edge (u, v) (DGL's reverse_etypes), whose types are r's
  /// swapped; -1 means relation r itself, for a relation whose two types
  /// agree (its transpose, as for an untyped symmetric graph).
  std::int32_t reverse_relation = -1;
};

/// What one typed link sampling call returns for k minibatches.
template <class V, index_type I, index_type O>
struct typed_link_sample {
  typed_bulk_sample<V, I, O> blocks;   ///< the typed node sampler's blocks
  std::int32_t src_type = 0;           ///< the seed relation's row type: pairs' sources index its seeds
  std::int32_t dst_type = 0;           ///< its column type: pairs' destinations index its seeds
  pair_graphs<I> positives;            ///< the positive pairs in local ids
  pair_graphs<I> negatives;            ///< the negative pairs in local ids
  std::int64_t dropped_negatives = 0;  ///< negatives dropped by negative_options::reject_true_edges

  /// Exact equality of every part.
  friend bool operator==(const typed_link_sample&, const typed_link_sample&) = default;
};

/// Samples link prediction minibatches on one relation of a typed graph
/// with a typed node sampler (typed_nodewise_sampler or
/// typed_ladies_sampler, on any backend). A view: the node sampler
/// and the graph's arrays must outlive it. Negatives and exclusion read the
/// relations through their edge lookups (algebra/edge_lookup.hpp): host
/// csr_views, or a distributed graph's relations, whose rows each step
/// fetches from their owners, so every call is then collective and the
/// ranks of a 2D grid row pass the same minibatches.
template <class NodeSampler, graph_operand View>
class typed_link_sampler {
  using V = typename View::value_type;
  using I = typename View::index_type;
  using O = typename View::offset_type;

 public:
  using node_sampler = NodeSampler;           ///< The wrapped node sampler
  using graph_type = typed_graph_view<View>;  ///< The typed graph

  /// Samples edges of relation `relation` of `graph`. Throws argument_error
  /// for bad options, an unknown relation, or a reverse relation whose types
  /// are not r's swapped (or none named when r's types differ), and
  /// format_error when exclusion needs sorted rows and a row is not.
  typed_link_sampler(const node_sampler& nodes, graph_type graph, std::int32_t relation,
                     const typed_link_options& options)
      : nodes_(&nodes),
        graph_(std::move(graph)),
        relation_(checked_relation(graph_, relation)),
        options_(options),
        negatives_(graph_.relation(relation_), options.negatives) {
    const auto& schema = graph_.schema();
    const auto& rel = schema.relations[static_cast<std::size_t>(relation_)];
    if (options_.exclude == edge_exclusion::reverse) {
      if (options_.reverse_relation < 0) {
        if (rel.row_type != rel.col_type) {
          throw argument_error(detail::concat("typed link sampling: relation ", schema.canonical_name(relation_),
                                              " joins two types; name its reverse relation (reverse_relation)"));
        }
        reverse_ = relation_;
      } else {
        reverse_ = checked_relation(graph_, options_.reverse_relation);
        const auto& back = schema.relations[static_cast<std::size_t>(reverse_)];
        if (back.row_type != rel.col_type || back.col_type != rel.row_type) {
          throw argument_error(detail::concat("typed link sampling: ", schema.canonical_name(reverse_),
                                              " cannot hold the reverses of ", schema.canonical_name(relation_),
                                              " (its types are not swapped)"));
        }
      }
    }
    if (options_.exclude != edge_exclusion::none) {
      lookup().require_sorted_rows("typed link sampling: exclusion");
      if (reverse_ >= 0 && reverse_ != relation_) {
        make_edge_lookup(graph_.relation(reverse_)).require_sorted_rows("typed link sampling: exclusion");
      }
    }
  }

  /// Samples every minibatch of `edges` (pairs of relation r in local ids):
  /// negatives, seeds of both types, masked blocks and pair graphs. Throws
  /// out_of_range_error for a pair outside the relation and, with exclusion
  /// on, argument_error for a positive pair that is not an edge of it (both
  /// name the pair and its minibatch).
  [[nodiscard]] typed_link_sample<V, I, O> operator()(const edge_batch_list<I>& edges,
                                                      const typename NodeSampler::options_type& node_options) const {
    const auto& schema = graph_.schema();
    const auto& rel = schema.relations[static_cast<std::size_t>(relation_)];
    const std::int64_t k = edges.size();
    check_pairs(edges);
    typed_link_sample<V, I, O> out;
    out.src_type = rel.row_type;
    out.dst_type = rel.col_type;
    const auto negs = negatives_(edges.src, edges.dst, edges.offsets, edges.epoch, edges.first_batch);
    out.dropped_negatives = negs.dropped;

    // Seeds per type: the sorted distinct endpoints of positives and negatives.
    const auto T = static_cast<std::size_t>(schema.num_types());
    std::vector<std::vector<I>> seeds(T);
    std::vector<std::vector<std::int64_t>> seed_offsets(T, std::vector<std::int64_t>{0});
    std::vector<std::vector<I>> ends(T);
    for (std::int64_t m = 0; m < k; ++m) {
      const auto [src, dst] = edges.batch(m);
      const auto nb = static_cast<std::size_t>(negs.offsets[static_cast<std::size_t>(m)]);
      const auto ne = static_cast<std::size_t>(negs.offsets[static_cast<std::size_t>(m) + 1]);
      for (auto& e : ends) e.clear();
      auto& from = ends[static_cast<std::size_t>(rel.row_type)];
      from.insert(from.end(), src.begin(), src.end());
      from.insert(from.end(), negs.src.begin() + static_cast<std::ptrdiff_t>(nb),
                  negs.src.begin() + static_cast<std::ptrdiff_t>(ne));
      auto& to = ends[static_cast<std::size_t>(rel.col_type)];
      to.insert(to.end(), dst.begin(), dst.end());
      to.insert(to.end(), negs.dst.begin() + static_cast<std::ptrdiff_t>(nb),
                negs.dst.begin() + static_cast<std::ptrdiff_t>(ne));
      for (std::size_t t = 0; t < T; ++t) {
        std::sort(ends[t].begin(), ends[t].end());
        ends[t].erase(std::unique(ends[t].begin(), ends[t].end()), ends[t].end());
        seeds[t].insert(seeds[t].end(), ends[t].begin(), ends[t].end());
        seed_offsets[t].push_back(static_cast<std::int64_t>(seeds[t].size()));
      }
    }
    typed_batch_list<I> batches;
    for (std::size_t t = 0; t < T; ++t) {
      const bool seeded = static_cast<std::int32_t>(t) == rel.row_type || static_cast<std::int32_t>(t) == rel.col_type;
      batches.types.push_back(seeded ? batch_list<I>{seeds[t], seed_offsets[t], edges.epoch, edges.first_batch}
                                     : batch_list<I>{});
    }
    std::vector<excluded_list> excluded;
    if (options_.exclude != edge_exclusion::none) {
      excluded = exclusion(edges);
      for (const auto& list : excluded) {
        // Given wherever the relation is masked, with no minibatches too: a
        // distributed sampler takes another collective path for masked rows.
        batches.excluded.push_back(list.offsets.empty() ? excluded_edges<I>{}
                                                        : excluded_edges<I>{list.offsets, list.src, list.dst, true});
      }
    }
    out.blocks = (*nodes_)(batches, node_options);

    const auto local = [&](std::int32_t type, std::int64_t m, I v) {
      const auto& list = seeds[static_cast<std::size_t>(type)];
      const auto& off = seed_offsets[static_cast<std::size_t>(type)];
      const auto first = list.begin() + off[m], last = list.begin() + off[m + 1];
      return static_cast<I>(std::lower_bound(first, last, v) - first);
    };
    for (std::int64_t m = 0; m < k; ++m) {
      const auto [src, dst] = edges.batch(m);
      for (std::size_t j = 0; j < src.size(); ++j) {
        out.positives.src.push_back(local(rel.row_type, m, src[j]));
        out.positives.dst.push_back(local(rel.col_type, m, dst[j]));
      }
      out.positives.offsets.push_back(static_cast<std::int64_t>(out.positives.src.size()));
      for (auto j = negs.offsets[static_cast<std::size_t>(m)]; j < negs.offsets[static_cast<std::size_t>(m) + 1]; ++j) {
        out.negatives.src.push_back(local(rel.row_type, m, negs.src[static_cast<std::size_t>(j)]));
        out.negatives.dst.push_back(local(rel.col_type, m, negs.dst[static_cast<std::size_t>(j)]));
      }
      out.negatives.offsets.push_back(static_cast<std::int64_t>(out.negatives.src.size()));
    }
    return out;
  }

  /// The seed relation.
  [[nodiscard]] std::int32_t relation() const noexcept { return relation_; }

 private:
  /// One relation's excluded pairs, sorted and distinct per minibatch (empty
  /// offsets: nothing excluded in that relation).
  struct excluded_list {
    std::vector<std::int64_t> offsets;
    std::vector<I> src, dst;
  };

  static std::int32_t checked_relation(const graph_type& graph, std::int32_t r) {
    if (r < 0 || r >= graph.schema().num_relations()) {
      throw argument_error(detail::concat("typed link sampling: relation ", r, " of the ",
                                          graph.schema().num_relations(), " relations ",
                                          graph.schema().relation_list()));
    }
    return r;
  }

  /// Pairs inside the relation's shape (the negative sampler checks that
  /// too, by position) and, with exclusion, edges of the relation; an error
  /// on one rank of a distributed graph is thrown on every rank.
  void check_pairs(const edge_batch_list<I>& edges) const {
    const auto rows = static_cast<std::int64_t>(lookup().vertices()),
               cols = static_cast<std::int64_t>(lookup().columns());
    const auto context = " in relation " + graph_.schema().canonical_name(relation_);
    const auto for_each_pair = [&](const auto& f) {
      detail::for_each_positive(edges, "typed link sampling", context, f);
    };
    lookup().check([&] {
      if (edges.src.size() != edges.dst.size() || edges.offsets.empty() || edges.offsets.front() != 0 ||
          edges.offsets.back() != static_cast<std::int64_t>(edges.src.size()) ||
          !std::is_sorted(edges.offsets.begin(), edges.offsets.end())) {
        throw argument_error(detail::concat("typed link sampling: ", edges.src.size(), " sources, ", edges.dst.size(),
                                            " destinations and offsets that must ascend from 0 to the pair count"));
      }
      for_each_pair([&](const auto& where, I u, I v) {
        if (u < 0 || u >= rows || v < 0 || v >= cols) {
          throw out_of_range_error(detail::concat(where(), " is outside its ", rows, " x ", cols));
        }
      });
    });
    if (options_.exclude == edge_exclusion::none) return;
    const auto window = lookup().rows(edges.src);
    lookup().check([&] {
      for_each_pair([&](const auto& where, I u, I v) {
        if (!window.holds(u, v)) {
          throw argument_error(detail::concat(where(), " is not an edge of it; excluding seed edges needs edges"));
        }
      });
    });
  }

  /// Per relation, the pairs each minibatch may not sample: its seed edges
  /// in relation r and, under reverse exclusion, their reverses (v, u) in
  /// the reverse relation.
  std::vector<excluded_list> exclusion(const edge_batch_list<I>& edges) const {
    std::vector<excluded_list> out(static_cast<std::size_t>(graph_.schema().num_relations()));
    auto& own = out[static_cast<std::size_t>(relation_)];
    own.offsets.assign(1, 0);
    if (reverse_ >= 0) out[static_cast<std::size_t>(reverse_)].offsets.assign(1, 0);
    std::vector<std::pair<I, I>> forward, backward;
    for (std::int64_t m = 0; m < edges.size(); ++m) {
      forward.clear();
      backward.clear();
      const auto [src, dst] = edges.batch(m);
      for (std::size_t j = 0; j < src.size(); ++j) {
        forward.emplace_back(src[j], dst[j]);
        if (reverse_ >= 0) (reverse_ == relation_ ? forward : backward).emplace_back(dst[j], src[j]);
      }
      for (auto* pairs : {&forward, &backward}) {
        std::sort(pairs->begin(), pairs->end());
        pairs->erase(std::unique(pairs->begin(), pairs->end()), pairs->end());
      }
      const auto append = [](excluded_list& list, const std::vector<std::pair<I, I>>& pairs) {
        for (const auto& [u, v] : pairs) {
          list.src.push_back(u);
          list.dst.push_back(v);
        }
        list.offsets.push_back(static_cast<std::int64_t>(list.src.size()));
      };
      append(own, forward);
      if (reverse_ >= 0 && reverse_ != relation_) append(out[static_cast<std::size_t>(reverse_)], backward);
    }
    return out;
  }

  /// The seed relation's edge lookup (kept by the negative sampler).
  [[nodiscard]] const auto& lookup() const noexcept { return negatives_.lookup(); }

  const node_sampler* nodes_;
  graph_type graph_;
  std::int32_t relation_;
  typed_link_options options_;
  std::int32_t reverse_ = -1;
  negative_sampler<View> negatives_;
};

/// Deduces the sampler from the node sampler and the typed graph's view.
template <class NodeSampler, graph_operand View>
typed_link_sampler(const NodeSampler&, typed_graph_view<View>, std::int32_t, const typed_link_options&)
    -> typed_link_sampler<NodeSampler, View>;

}  // namespace matsample
