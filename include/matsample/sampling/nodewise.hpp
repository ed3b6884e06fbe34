#pragma once
// Node-wise (GraphSAGE) sampling as a matrix program. Per layer l:
//   S_l = sample_{s_l}(Q_l · A)        one fused gather-and-sample
//   blocks_l, Q_{l+1} = compact(S_l)   relabel per minibatch, next frontier
// for all k minibatches of the call at once.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/blocks.hpp"

namespace matsample {

struct nodewise_options {
  /// Neighbours kept per vertex, hop 1 (the seeds' neighbours) first; -1 keeps all.
  std::vector<std::int64_t> fanouts;
  bool replace = false;
  /// Draw proportionally to edge values (uniform when the graph has none).
  bool weighted = false;
  /// false is the paper mode: no de-duplication, the frontier grows as n·(1+s).
  bool deduplicate = true;
  /// Seed of every random stream; with the batches' (epoch, minibatch) it fixes the sample.
  std::uint64_t seed = 0;
};

inline void validate(const nodewise_options& options) {
  if (options.fanouts.empty()) throw argument_error("nodewise: fanouts must name at least one layer");
  for (std::size_t l = 0; l < options.fanouts.size(); ++l) {
    if (options.fanouts[l] == 0 || options.fanouts[l] < -1) {
      throw argument_error(detail::concat("nodewise: fanout ", options.fanouts[l], " at layer ", l,
                                          "; use a positive count, or -1 for all neighbours"));
    }
  }
}

/// Samples every minibatch of `batches` through all layers in one pass.
/// Returns the blocks in DGL order: result.layers[0] is the input layer.
/// `a` is a csr_view, or a backend's distributed view of the graph.
template <kernel_set B, graph_operand View, index_type I, class V = typename View::value_type,
          index_type O = typename View::offset_type>
  requires std::same_as<I, typename View::index_type>
bulk_sample<V, I, O> sample_nodewise(const B& backend, const View& a, const batch_list<I>& batches,
                                     const nodewise_options& options) {
  validate(options);
  require_square(a, "nodewise");
  validate_seeds(a, batches);
  bulk_sample<V, I, O> out;
  out.layers.reserve(options.fanouts.size());  // Q below points into the last layer
  stacked_selection<I> q{batches.seeds, batches.offsets, batches.epoch, batches.first_batch};
  for (std::size_t l = 0; l < options.fanouts.size(); ++l) {
    const row_sampling spec{options.fanouts[l], options.replace, options.weighted};
    const auto sampled = gather_and_sample(backend, a, q, spec, options.seed, l);
    out.layers.push_back(backend.compact_blocks(as_view(sampled), q, options.deduplicate));
    const auto& next = out.layers.back();
    q = {next.src_nodes, next.node_offsets, batches.epoch, batches.first_batch};
  }
  std::reverse(out.layers.begin(), out.layers.end());
  return out;
}

}  // namespace matsample
