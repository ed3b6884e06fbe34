#pragma once
// Layer-wise sampling of a typed graph with a budget per vertex type (HGT's
// sampler, Hu et al., WWW 2020, with LADIES's importance): each layer draws
// s_t columns of each type t per minibatch, in proportion to their squared
// connection to the minibatch's frontier through every relation into t.
// Per layer l, for each type t with s_{l,t} != 0:
//   P_t = Σ_{r: col(r) = t} Q_{l,row(r)} · (A_r ∘ A_r)   one k-row product (Q and the A_r stacked)
//   p_t = row_normalize(P_t);  C_t = sample_{s_t}(p_t)   (+ the frontier of type t, keep_frontier)
// and for each relation r into t the block is LADIES's, per relation:
//   S_r = row_normalize((Q_{l,row(r)} · A_r) C_t / π),  π_j = s_t·p_j (1 when every candidate is taken)
// Then blocks_l, Q_{l+1} = compact_typed(S_{l,·}) as in typed node-wise sampling.
// Type t's draws are keyed by streams::type_layer(t, l), so a typed graph of
// one type and one relation samples exactly as ladies_sampler does. As there,
// a minibatch's excluded entries (per relation) are masked out of its
// frontier's rows of A_r, not out of the importance.

#include <cstdint>
#include <optional>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/algebra/typed_blocks.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/core/typed_graph.hpp"
#include "matsample/sampling/layerwise.hpp"

namespace matsample {

/// Parameters of typed layer-wise sampling.
struct typed_layerwise_options {
  /// sample_sizes[l][t]: columns of type t sampled per minibatch at hop l + 1
  /// (the seeds' hop first); -1 takes every candidate, 0 samples no column
  /// of the type (its relations contribute nothing at that hop).
  std::vector<std::vector<std::int64_t>> sample_sizes;
  /// Each minibatch's frontier of a type joins that type's sampled columns.
  bool keep_frontier = true;
  /// Seed of every random stream.
  std::uint64_t seed = 0;
};

/// Throws argument_error unless there is at least one layer, each layer has
/// one size per vertex type of `schema`, and each is -1, 0 or positive.
inline void validate(const typed_layerwise_options& options, const typed_schema& schema) {
  detail::validate_layer_table(
      options.sample_sizes, schema.num_types(), "typed layerwise", "sample sizes", "sample size", "vertex types",
      [&](std::size_t t) { return "type '" + schema.vertex_types[t] + "'"; }, schema.type_list(), "0 for none");
}

/// The layer-wise sampler of a typed graph with a column budget per vertex
/// type. Holds, per vertex type, the relations into it stacked as one
/// matrix of squared entries (built once, laid out like the relations:
/// csr_views, a distributed graph's blocks or tiles, or device arrays), so
/// keep one sampler per graph.
template <kernel_set B, graph_operand View>
class typed_ladies_sampler {
  using V = typename View::value_type;
  using I = typename View::index_type;
  using O = typename View::offset_type;

 public:
  using options_type = typed_layerwise_options;    ///< The options operator() takes
  using sample_type = typed_bulk_sample<V, I, O>;  ///< What operator() returns
  using graph_type = typed_graph_view<View>;       ///< The typed graph it samples

  /// Keeps a pointer to `backend` and a copy of the view `graph` (whose
  /// arrays must outlive the sampler), and stacks each type's incoming
  /// relations' squared entries (collective on a distributed graph).
  typed_ladies_sampler(const B& backend, graph_type graph) : backend_(&backend), graph_(std::move(graph)) {
    const auto& schema = graph_.schema();
    (void)checked_cast<I>(schema.num_vertices(), "vertices of all types (typed sampling numbers them globally)");
    stacked_.resize(static_cast<std::size_t>(schema.num_types()));
    for (std::int32_t t = 0; t < schema.num_types(); ++t) {
      auto& st = stacked_[static_cast<std::size_t>(t)];
      std::vector<View> parts;
      std::int64_t rows = 0;
      for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
        if (schema.relations[static_cast<std::size_t>(r)].col_type != t) continue;
        st.relations.push_back(r);
        st.row_offsets.push_back(rows);
        parts.push_back(graph_.relation(r));
        rows += graph_.relation(r).rows();
      }
      if (!parts.empty()) st.squares.emplace(stack_rows(std::span<const View>(parts), detail::square_value<V, I>{}));
    }
  }

  /// Samples every minibatch of `batches` through all layers in one pass;
  /// blocks come back input layer first and carry the debiased,
  /// row-normalised aggregation weights (per relation).
  [[nodiscard]] sample_type operator()(const typed_batch_list<I>& batches,
                                       const typed_layerwise_options& options) const {
    const auto& schema = graph_.schema();
    validate(options, schema);
    detail::validate_typed_batches(graph_, batches, "typed ladies");
    const std::int64_t k = batches.size();
    const std::uint64_t epoch = batches.epoch(), first_batch = batches.first_batch();
    auto front = detail::typed_frontier<I>::of(batches);
    int threads = 1;
    if constexpr (requires { backend_->threads(); }) threads = backend_->threads();
    sample_type out{schema, {}};
    const auto R = static_cast<std::size_t>(schema.num_relations());
    // One sampling row per minibatch; its stream is (epoch, minibatch, row 0).
    const std::vector<I> shared_row(static_cast<std::size_t>(k), I{0});
    std::vector<std::int64_t> one_row_each(static_cast<std::size_t>(k) + 1);
    for (std::int64_t m = 0; m <= k; ++m) one_row_each[m] = m;
    const stacked_selection<I> per_batch{shared_row, one_row_each, epoch, first_batch};

    for (std::size_t l = 0; l < options.sample_sizes.size(); ++l) {
      std::vector<std::optional<csr_matrix<V, I, O>>> sampled(R);
      std::vector<std::optional<csr_view<V, I, O>>> views(R);
      for (std::int32_t t = 0; t < schema.num_types(); ++t) {
        const auto& st = stacked_[static_cast<std::size_t>(t)];
        const std::int64_t size = options.sample_sizes[l][static_cast<std::size_t>(t)];
        if (size == 0 || st.relations.empty()) continue;
        const auto p = row_normalize(*backend_, as_view(importance(t, front, k, first_batch, l)));
        const auto draws = backend_->sample_rows(as_view(p), per_batch, row_sampling{size, false, true}, options.seed,
                                                 streams::type_layer(static_cast<std::uint64_t>(t), l));
        const auto c = detail::collect_columns(as_view(draws), detail::column_distribution<V, I, O>{as_view(p), false},
                                               front.selection(t, epoch, first_batch), size, options.keep_frontier);
        for (const auto r : st.relations) {
          const auto q = front.selection(schema.relations[static_cast<std::size_t>(r)].row_type, epoch, first_batch);
          const auto rows = gather_rows_excluding(
              *backend_, graph_.relation(r), q,
              batches.excluded.empty() ? excluded_edges<I>{} : batches.excluded[static_cast<std::size_t>(r)]);
          const auto selected = backend_->select_columns(as_view(rows), q.batch_offsets, std::span<const I>(c.columns),
                                                         std::span<const std::int64_t>(c.offsets));
          const auto debiased = backend_->apply(
              as_view(selected), detail::scale_by_column<V, I>{c.inverse_inclusion.data(),
                                                               static_cast<std::int64_t>(c.inverse_inclusion.size())});
          const auto normalized = row_normalize(*backend_, as_view(debiased));
          sampled[static_cast<std::size_t>(r)] =
              detail::on_host(*backend_, backend_->relabel_columns(as_view(normalized), std::span<const I>(c.columns),
                                                                   static_cast<I>(schema.num_vertices(t))));
          views[static_cast<std::size_t>(r)] = sampled[static_cast<std::size_t>(r)]->view();
        }
      }
      out.layers.push_back(detail::compact_typed<V, I, O>(
          *backend_, schema, front, std::span<const std::optional<csr_view<V, I, O>>>(views), true, threads));
      front.advance(out.layers.back());
    }
    std::reverse(out.layers.begin(), out.layers.end());
    return out;
  }

 private:
  /// The relations into one type, stacked: relation relations[i]'s rows
  /// start at row row_offsets[i] of `squares` (A_r ∘ A_r).
  struct stacked_relations {
    std::vector<std::int32_t> relations;
    std::vector<std::int64_t> row_offsets;
    std::optional<decltype(stack_rows(std::declval<std::span<const View>>(), detail::square_value<V, I>{}))> squares;
  };

  /// P_t = Q·S_t: row m selects minibatch m's frontier of every relation's
  /// row type (sorted, so every importance sums its terms in one order).
  csr_matrix<V, I, O> importance(std::int32_t t, const detail::typed_frontier<I>& front, std::int64_t k,
                                 std::uint64_t first_batch, std::size_t layer) const {
    const auto& schema = graph_.schema();
    const auto& st = stacked_[static_cast<std::size_t>(t)];
    std::vector<O> indptr{O{0}};
    std::vector<I> selected;
    for (std::int64_t m = 0; m < k; ++m) {
      for (std::size_t i = 0; i < st.relations.size(); ++i) {
        const auto s = static_cast<std::size_t>(schema.relations[static_cast<std::size_t>(st.relations[i])].row_type);
        const auto begin = selected.size();
        for (auto j = front.offsets[s][m]; j < front.offsets[s][m + 1]; ++j) {
          selected.push_back(static_cast<I>(st.row_offsets[i] + front.vertices[s][static_cast<std::size_t>(j)]));
        }
        std::sort(selected.begin() + static_cast<std::ptrdiff_t>(begin), selected.end());
      }
      indptr.push_back(checked_cast<O>(static_cast<std::int64_t>(selected.size()), "typed frontier"));
    }
    const auto squares = st.squares->view();
    const csr_view<V, I, O> q(checked_cast<I>(k, "minibatches"), squares.rows(), indptr, selected);
    auto product = backend_->spgemm(q, squares);
    agree_on_checks(squares, [&] {
      detail::require_finite_rows(*backend_, as_view(product), [&](std::size_t m) {
        return detail::concat("typed ladies: the column importance of type '", schema.vertex_types[t],
                              "' in minibatch ", first_batch + m, " (layer ", layer, ")");
      });
    });
    return product;
  }

  const B* backend_;
  graph_type graph_;
  std::vector<stacked_relations> stacked_;
};

/// One-call form (stacks the relations on every call).
template <kernel_set B, graph_operand View>
auto sample_typed_ladies(const B& backend, const typed_graph_view<View>& graph,
                         const typed_batch_list<typename View::index_type>& batches,
                         const typed_layerwise_options& options) {
  return typed_ladies_sampler<B, View>(backend, graph)(batches, options);
}

}  // namespace matsample
