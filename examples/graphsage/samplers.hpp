#pragma once
// The trainer's sampling strategies. Each turns k batches of seeds into the
// blocks of k minibatches (one bulk call) and one batch of vertices into
// full-neighbour blocks for evaluation, and says how its block values are
// read as aggregation weights. The trainer knows nothing else about sampling.

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers.hpp"
#include "matsample/backend/cpu/cpu.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/blocks.hpp"
#include "matsample/sampling/layerwise.hpp"
#include "matsample/sampling/nodewise.hpp"

namespace graphsage {

template <matsample::index_type I, matsample::index_type O>
class minibatch_sampler {
 public:
  using bulk = matsample::bulk_sample<float, I, O>;
  using blocks = matsample::block_set<float, I, O>;

  virtual ~minibatch_sampler() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// The blocks of every batch in `batches`, input layer first.
  [[nodiscard]] virtual bulk sample(const matsample::batch_list<I>& batches) const = 0;
  /// One layer of blocks whose rows are the batches' vertices with all their
  /// neighbours: evaluation runs the model through these layer by layer.
  [[nodiscard]] virtual blocks full_neighbourhood(const matsample::batch_list<I>& batches) const = 0;
  /// How the training blocks' values are read (evaluation always row-normalises).
  [[nodiscard]] virtual block_weights training_weights() const = 0;
};

/// GraphSAGE's node-wise sampling: `fanouts` neighbours per vertex, hop 1 first.
template <matsample::index_type I, matsample::index_type O>
class nodewise_strategy final : public minibatch_sampler<I, O> {
 public:
  nodewise_strategy(const matsample::cpu_backend& cpu, matsample::csr_view<float, I, O> graph,
                    std::vector<std::int64_t> fanouts, std::uint64_t seed)
      : cpu_(cpu), graph_(graph), options_{.fanouts = std::move(fanouts), .seed = seed} {}

  [[nodiscard]] std::string name() const override { return "nodewise"; }
  [[nodiscard]] typename minibatch_sampler<I, O>::bulk sample(const matsample::batch_list<I>& batches) const override {
    return matsample::sample_nodewise(cpu_, graph_, batches, options_);
  }
  [[nodiscard]] typename minibatch_sampler<I, O>::blocks full_neighbourhood(
      const matsample::batch_list<I>& batches) const override {
    return std::move(matsample::sample_nodewise(cpu_, graph_, batches, {.fanouts = {-1}}).layers.front());
  }
  [[nodiscard]] block_weights training_weights() const override { return block_weights::row_normalized; }

 private:
  const matsample::cpu_backend& cpu_;
  matsample::csr_view<float, I, O> graph_;
  matsample::nodewise_options options_;
};

/// No graph at all: every block maps the seeds to themselves without edges,
/// so only the linear (self) layers of the MLP baseline see anything.
template <matsample::index_type I, matsample::index_type O>
class no_graph_strategy final : public minibatch_sampler<I, O> {
 public:
  explicit no_graph_strategy(std::int64_t layers) : layers_(layers) {}

  [[nodiscard]] std::string name() const override { return "none"; }
  [[nodiscard]] typename minibatch_sampler<I, O>::bulk sample(const matsample::batch_list<I>& batches) const override {
    typename minibatch_sampler<I, O>::bulk out;
    out.layers.assign(static_cast<std::size_t>(layers_), edge_free(batches));
    return out;
  }
  [[nodiscard]] typename minibatch_sampler<I, O>::blocks full_neighbourhood(
      const matsample::batch_list<I>& batches) const override {
    return edge_free(batches);
  }
  [[nodiscard]] block_weights training_weights() const override { return block_weights::row_normalized; }

 private:
  static typename minibatch_sampler<I, O>::blocks edge_free(const matsample::batch_list<I>& batches) {
    typename minibatch_sampler<I, O>::blocks s;
    s.row_offsets = batches.offsets;
    s.indptr.assign(batches.seeds.size() + static_cast<std::size_t>(batches.size()), O{0});
    s.edge_offsets.assign(static_cast<std::size_t>(batches.size()) + 1, 0);
    s.src_nodes.assign(batches.seeds.begin(), batches.seeds.end());
    s.node_offsets = batches.offsets;
    return s;
  }
  std::int64_t layers_;
};

/// GCN's propagation matrix D^-1/2 (A + I) D^-1/2, the graph the GCN model
/// runs on (and so the matrix LADIES and FastGCN sample from for it): a self
/// loop of weight 1 is added to every row that lacks one (first in the row),
/// and d_i is row i's weight sum after that. The GCN layer has no separate
/// self transform; a vertex's own features reach it through this self loop.
template <matsample::index_type I, matsample::index_type O>
matsample::csr_matrix<float, I, O> gcn_propagation(const matsample::csr_view<float, I, O>& a) {
  const I n = a.rows();
  std::vector<O> indptr(static_cast<std::size_t>(n) + 1, O{0});
  std::vector<double> degree(static_cast<std::size_t>(n), 0.0);
  std::vector<char> has_loop(static_cast<std::size_t>(n), 0);
  for (I r = 0; r < n; ++r) {
    for (O e = a.row_begin(r); e < a.indptr()[r + 1]; ++e) {
      has_loop[r] |= a.indices()[e] == r;
      degree[r] += static_cast<double>(a.value(e));
    }
    if (!has_loop[r]) degree[r] += 1;
    indptr[r + 1] = indptr[r] + (a.indptr()[r + 1] - a.row_begin(r)) + (has_loop[r] ? 0 : 1);
  }
  std::vector<I> indices(static_cast<std::size_t>(indptr[n]));
  std::vector<float> values(indices.size());
  const auto norm = [&](I i, I j, double w) {
    return static_cast<float>(degree[i] > 0 && degree[j] > 0 ? w / std::sqrt(degree[i] * degree[j]) : 0.0);
  };
  for (I r = 0; r < n; ++r) {
    O at = indptr[r];
    if (!has_loop[r]) {
      indices[at] = r;
      values[at++] = norm(r, r, 1.0);
    }
    for (O e = a.row_begin(r); e < a.indptr()[r + 1]; ++e, ++at) {
      indices[at] = a.indices()[e];
      values[at] = norm(r, a.indices()[e], static_cast<double>(a.value(e)));
    }
  }
  return matsample::csr_matrix<float, I, O>(n, n, std::move(indptr), std::move(indices), std::move(values));
}

/// LADIES (layer-dependent importance sampling) or FastGCN; `sample_sizes`
/// vertices per layer, hop 1 first (-1: every candidate). The frontier is
/// kept, so each destination node is one of its block's source nodes (and,
/// on the GCN propagation matrix, reaches itself through its self loop).
template <matsample::index_type I, matsample::index_type O>
class layerwise_strategy final : public minibatch_sampler<I, O> {
 public:
  layerwise_strategy(const matsample::cpu_backend& cpu, const matsample::csr_view<float, I, O>& graph, bool fastgcn,
                     std::vector<std::int64_t> sample_sizes, std::uint64_t seed)
      : cpu_(cpu),
        graph_(graph),
        options_{.sample_sizes = std::move(sample_sizes), .keep_frontier = true, .seed = seed} {
    // The sampler objects hold what does not change between calls (A∘A, or
    // FastGCN's column norms), so it is computed once.
    if (fastgcn) {
      fastgcn_.emplace(cpu_, graph_);
    } else {
      ladies_.emplace(cpu_, graph_);
    }
  }

  [[nodiscard]] std::string name() const override { return fastgcn_ ? "fastgcn" : "ladies"; }
  [[nodiscard]] typename minibatch_sampler<I, O>::bulk sample(const matsample::batch_list<I>& batches) const override {
    return fastgcn_ ? (*fastgcn_)(batches, options_) : (*ladies_)(batches, options_);
  }
  [[nodiscard]] typename minibatch_sampler<I, O>::blocks full_neighbourhood(
      const matsample::batch_list<I>& batches) const override {
    return std::move(matsample::sample_nodewise(cpu_, graph_, batches, {.fanouts = {-1}}).layers.front());
  }
  [[nodiscard]] block_weights training_weights() const override { return block_weights::as_sampled; }

 private:
  const matsample::cpu_backend& cpu_;
  matsample::csr_view<float, I, O> graph_;
  std::optional<matsample::ladies_sampler<matsample::cpu_backend, float, I, O>> ladies_;
  std::optional<matsample::fastgcn_sampler<matsample::cpu_backend, float, I, O>> fastgcn_;
  matsample::layerwise_options options_;
};

}  // namespace graphsage
