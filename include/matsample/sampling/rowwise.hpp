#pragma once
// The row-wise matrix program that node-wise (GraphSAGE) and LABOR sampling
// share. Per layer l, for all k minibatches of the call at once:
//   S_l = rule_l(Q_l · A)              one fused gather-and-select
//   blocks_l, Q_{l+1} = compact(S_l)   relabel per minibatch, next frontier
// A sampler is this loop plus the row rule of each layer
// (algebra/row_rule.hpp).

#include <algorithm>
#include <cstdint>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"

namespace matsample::detail {

/// Fanouts name at least one layer, each a positive count or -1 (all).
inline void validate_fanouts(const std::vector<std::int64_t>& fanouts, const char* sampler) {
  if (fanouts.empty()) throw argument_error(concat(sampler, ": fanouts must name at least one layer"));
  for (std::size_t l = 0; l < fanouts.size(); ++l) {
    if (fanouts[l] == 0 || fanouts[l] < -1) {
      throw argument_error(concat(sampler, ": fanout ", fanouts[l], " at layer ", l,
                                  "; use a positive count, or -1 for all neighbours"));
    }
  }
}

/// Runs `layers` layers outward from the seeds; `sample_layer(l, q)` returns
/// layer l's sampled rows S_l for the stacked frontier q (for a plain row rule,
/// gather_and_sample with the streams of (seed, l)). Blocks come back in DGL
/// order: layers[0] is the input layer.
template <class V, index_type I, index_type O, kernel_set B, graph_operand View, class SampleLayer>
bulk_sample<V, I, O> run_rowwise(const B& backend, const View& a, const batch_list<I>& batches, std::size_t layers,
                                 bool deduplicate, SampleLayer sample_layer) {
  validate_seeds(a, batches);
  bulk_sample<V, I, O> out;
  out.layers.reserve(layers);  // Q below points into the last layer
  stacked_selection<I> q{batches.seeds, batches.offsets, batches.epoch, batches.first_batch};
  for (std::size_t l = 0; l < layers; ++l) {
    const auto sampled = sample_layer(l, q);
    out.layers.push_back(backend.compact_blocks(as_view(sampled), q, deduplicate));
    const auto& next = out.layers.back();
    q = {next.src_nodes, next.node_offsets, batches.epoch, batches.first_batch};
  }
  std::reverse(out.layers.begin(), out.layers.end());
  return out;
}

/// The plain form: `rule_of(l)` is layer l's row rule; each minibatch's
/// excluded entries (batches.excluded) are masked out of P.
template <class V, index_type I, index_type O, kernel_set B, graph_operand View, class RuleOf>
bulk_sample<V, I, O> sample_rowwise(const B& backend, const View& a, const batch_list<I>& batches, std::size_t layers,
                                    std::uint64_t seed, bool deduplicate, RuleOf rule_of) {
  return run_rowwise<V, I, O>(backend, a, batches, layers, deduplicate,
                              [&](std::size_t l, const stacked_selection<I>& q) {
                                return gather_and_sample(backend, a, q, rule_of(l), seed, l, batches.excluded);
                              });
}

}  // namespace matsample::detail
