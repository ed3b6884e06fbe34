#pragma once
// Node-wise (GraphSAGE) sampling: the row-wise program (rowwise.hpp) with
// row_sampling as each layer's rule, S_l = sample_{s_l}(Q_l · A).

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/rowwise.hpp"

namespace matsample {

/// Parameters of node-wise (GraphSAGE) sampling.
struct nodewise_options {
  /// Neighbours kept per vertex, hop 1 (the seeds' neighbours) first; -1 keeps all.
  std::vector<std::int64_t> fanouts;
  /// Draw with replacement (a neighbour may be kept more than once).
  bool replace = false;
  /// Draw proportionally to edge values (uniform when the graph has none).
  bool weighted = false;
  /// false is the paper mode: no de-duplication, the frontier grows as n·(1+s).
  bool deduplicate = true;
  /// Seed of every random stream; with the batches' (epoch, minibatch) it fixes the sample.
  std::uint64_t seed = 0;
};

/// Throws argument_error unless there is at least one fanout and each is
/// positive or -1.
inline void validate(const nodewise_options& options) { detail::validate_fanouts(options.fanouts, "nodewise"); }

/// GraphSAGE's rule for layer `layer` of `options`.
inline row_sampling nodewise_layer_rule(const nodewise_options& options, std::size_t layer) {
  return {options.fanouts[layer], options.replace, options.weighted};
}

/// The node-wise sampler. A view, like every sampler: it references the
/// backend and the graph (a csr_view, or a backend's distributed view),
/// which must outlive it, and holds nothing else.
template <kernel_set B, class V, index_type I, index_type O, graph_operand View = csr_view<V, I, O>>
class nodewise_sampler {
 public:
  using options_type = nodewise_options;  ///< The options operator() takes.
  /// Keeps a pointer to `backend` and the view of `a` (graph_view_t: an
  /// owning csr_matrix is kept as its csr_view); both must outlive the sampler.
  nodewise_sampler(const B& backend, const View& a) : backend_(&backend), a_(a) {}

  /// Samples every minibatch of `batches` through all layers in one pass.
  /// Returns the blocks in DGL order: result.layers[0] is the input layer.
  [[nodiscard]] bulk_sample<V, I, O> operator()(const batch_list<I>& batches, const nodewise_options& options) const {
    validate(options);
    require_square(a_, "nodewise");
    return detail::sample_rowwise<V, I, O>(*backend_, a_, batches, options.fanouts.size(), options.seed,
                                           options.deduplicate,
                                           [&](std::size_t l) { return nodewise_layer_rule(options, l); });
  }

 private:
  const B* backend_;
  View a_;
};

/// Deduces the sampler from the backend and the graph (a view, an owning
/// matrix or a backend's own view).
template <kernel_set B, graph_operand View>
nodewise_sampler(const B&, const View&) -> nodewise_sampler<B, typename View::value_type, typename View::index_type,
                                                            typename View::offset_type, graph_view_t<View>>;

/// One-call form.
template <kernel_set B, graph_operand View, index_type I>
requires std::same_as<I, typename View::index_type>
auto sample_nodewise(const B& backend, const View& a, const batch_list<I>& batches, const nodewise_options& options) {
  return nodewise_sampler(backend, a)(batches, options);
}

}  // namespace matsample
