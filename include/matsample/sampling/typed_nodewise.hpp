#pragma once
// Node-wise sampling of a typed graph with a fanout per relation and layer.
// Per layer l, with Q_{l,t} the stacked frontier of vertex type t over all
// k minibatches:
//   S_{l,r} = sample_{s_{l,r}}(Q_{l,row(r)} · A_r)   for every relation r, s_{l,r} != 0
//   blocks_l, Q_{l+1,·} = compact_typed(S_{l,·})      one relabelling over all types
// Each relation's draws are keyed by streams::relation_layer(r, l), so the
// sample is the same for any thread count, backend and rank count, and alone
// or in bulk; relation 0's key is the layer number, so a graph of one type
// and one relation samples exactly as nodewise_sampler does on its matrix.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/typed_blocks.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/core/typed_graph.hpp"

namespace matsample {

/// Parameters of typed node-wise sampling.
struct typed_nodewise_options {
  /// fanouts[l][r]: neighbours kept per vertex through relation r at hop
  /// l + 1 (the seeds' hop first, as nodewise_options); -1 keeps all, 0 skips
  /// the relation at that hop. relation_fanouts builds it from names.
  std::vector<std::vector<std::int64_t>> fanouts;
  /// Draw with replacement (a neighbour may be kept more than once).
  bool replace = false;
  /// Draw proportionally to edge values (uniform for relations without values).
  bool weighted = false;
  /// false is the paper mode: no de-duplication.
  bool deduplicate = true;
  /// Seed of every random stream.
  std::uint64_t seed = 0;
};

/// One layer's fanouts by relation name: (name, count) pairs, a name being a
/// relation's canonical "<row type>___<name>___<column type>" or its bare
/// name when that is unique.
using named_fanouts = std::vector<std::pair<std::string, std::int64_t>>;

/// typed_nodewise_options::fanouts from names, one named_fanouts per layer.
/// Relations a layer does not name get `others`; without it, every relation
/// must be named. Throws argument_error naming an unknown or repeated
/// relation, or the relations left out.
inline std::vector<std::vector<std::int64_t>> relation_fanouts(const typed_schema& schema,
                                                               const std::vector<named_fanouts>& layers,
                                                               std::optional<std::int64_t> others = std::nullopt) {
  std::vector<std::vector<std::int64_t>> out;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(schema.num_relations()), 0);
    std::vector<bool> named(counts.size(), false);
    for (const auto& [name, count] : layers[l]) {
      const auto r = static_cast<std::size_t>(schema.find_relation(name));
      if (named[r]) {
        throw argument_error(detail::concat("fanouts of layer ", l, " name relation ",
                                            schema.canonical_name(static_cast<std::int32_t>(r)), " twice"));
      }
      named[r] = true;
      counts[r] = count;
    }
    std::string missing;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (named[r]) continue;
      if (others) {
        counts[r] = *others;
      } else {
        typed_schema::append_listed(missing, schema.canonical_name(static_cast<std::int32_t>(r)));
      }
    }
    if (!missing.empty()) {
      throw argument_error(detail::concat("fanouts of layer ", l, " leave out ", missing,
                                          "; name them (0 skips a relation) or give a count for the others"));
    }
    out.push_back(std::move(counts));
  }
  return out;
}

/// The same fanout for every relation at each layer (DGL's integer fanouts).
inline std::vector<std::vector<std::int64_t>> uniform_fanouts(const typed_schema& schema,
                                                              const std::vector<std::int64_t>& per_layer) {
  std::vector<std::vector<std::int64_t>> out;
  for (const auto f : per_layer) out.emplace_back(static_cast<std::size_t>(schema.num_relations()), f);
  return out;
}

/// Throws argument_error unless there is at least one layer, each layer has
/// one count per relation of `schema`, each count is -1, 0 or positive, and
/// the layers and relations fit the stream numbering.
inline void validate(const typed_nodewise_options& options, const typed_schema& schema) {
  detail::validate_layer_table(
      options.fanouts, schema.num_relations(), "typed nodewise", "fanouts", "fanout", "relations",
      [&](std::size_t r) { return "relation " + schema.canonical_name(static_cast<std::int32_t>(r)); },
      schema.relation_list(), "0 to skip the relation");
}

/// The node-wise sampler of a typed graph. A view: it references the backend
/// and keeps a copy of the typed graph's view (its schema and one operand per
/// relation: csr_views or a backend's own views), whose arrays must outlive it.
template <kernel_set B, graph_operand View>
class typed_nodewise_sampler {
 public:
  using value_type = typename View::value_type;                                ///< Edge value type
  using index_type = typename View::index_type;                                ///< Local id type
  using offset_type = typename View::offset_type;                              ///< Offset type
  using options_type = typed_nodewise_options;                                 ///< The options operator() takes
  using sample_type = typed_bulk_sample<value_type, index_type, offset_type>;  ///< What operator() returns

  /// Keeps a pointer to `backend` and a copy of the view `graph`; the
  /// backend and the arrays must outlive the sampler.
  typed_nodewise_sampler(const B& backend, typed_graph_view<View> graph)
      : backend_(&backend), graph_(std::move(graph)) {
    (void)checked_cast<index_type>(graph_.schema().num_vertices(),
                                   "vertices of all types (typed sampling numbers them globally)");
  }

  /// Samples every minibatch of `batches` through all layers in one pass.
  /// Returns the layers input layer first.
  [[nodiscard]] sample_type operator()(const typed_batch_list<index_type>& batches,
                                       const typed_nodewise_options& options) const {
    using V = value_type;
    using I = index_type;
    using O = offset_type;
    const auto& schema = graph_.schema();
    validate(options, schema);
    detail::validate_typed_batches(graph_, batches, "typed nodewise");
    const std::uint64_t epoch = batches.epoch(), first_batch = batches.first_batch();
    auto front = detail::typed_frontier<I>::of(batches);
    int threads = 1;
    if constexpr (requires { backend_->threads(); }) threads = backend_->threads();

    sample_type out{schema, {}};
    const auto relations = static_cast<std::size_t>(schema.num_relations());
    for (std::size_t l = 0; l < options.fanouts.size(); ++l) {
      std::vector<std::optional<csr_matrix<V, I, O>>> sampled(relations);
      std::vector<std::optional<csr_view<V, I, O>>> views(relations);
      for (std::size_t r = 0; r < relations; ++r) {
        const auto fanout = options.fanouts[l][r];
        const auto t = schema.relations[r].row_type;
        // Skipped by the fanout alone, never by an empty frontier: every rank
        // of a distributed call must run the same collective steps.
        if (fanout == 0) continue;
        // A device backend's S_r is relabelled on the host.
        sampled[r] = detail::on_host(
            *backend_, gather_and_sample(*backend_, graph_.relation(static_cast<std::int32_t>(r)),
                                         front.selection(t, epoch, first_batch),
                                         row_sampling{fanout, options.replace, options.weighted}, options.seed,
                                         streams::relation_layer(r, l),
                                         batches.excluded.empty() ? excluded_edges<I>{} : batches.excluded[r]));
        views[r] = sampled[r]->view();
      }
      out.layers.push_back(detail::compact_typed<V, I, O>(*backend_, schema, front,
                                                          std::span<const std::optional<csr_view<V, I, O>>>(views),
                                                          options.deduplicate, threads));
      front.advance(out.layers.back());
    }
    std::reverse(out.layers.begin(), out.layers.end());
    return out;
  }

 private:
  const B* backend_;
  typed_graph_view<View> graph_;
};

/// One-call form.
template <kernel_set B, graph_operand View>
auto sample_typed_nodewise(const B& backend, const typed_graph_view<View>& graph,
                           const typed_batch_list<typename View::index_type>& batches,
                           const typed_nodewise_options& options) {
  return typed_nodewise_sampler<B, View>(backend, graph)(batches, options);
}

}  // namespace matsample
