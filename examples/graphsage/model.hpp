#pragma once
// The network: a stack of graph layers with ReLU between them and dropout on
// every layer's input. Hidden layers may add a residual connection around
// the layer and layer normalisation after it (Platonov et al., ICLR'23: what
// makes plain GraphSAGE strong on heterophilous graphs). All
// parameters live in one flat buffer and all gradients in another of the
// same layout, so an optimizer (or, later, a data-parallel all-reduce)
// treats them as one array.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "layers.hpp"

namespace graphsage {

/// What the hidden layers (all but the last) add around the graph layer.
struct hidden_options {
  bool residual = false;
  bool layer_norm = false;
};

/// The layer shapes of an L-layer network: in -> hidden -> ... -> classes.
inline std::vector<layer_shape> network_shape(layer_kind kind, std::int64_t in, std::int64_t hidden,
                                              std::int64_t classes, std::int64_t layers, hidden_options extras = {}) {
  std::vector<layer_shape> shape;
  for (std::int64_t l = 0; l < layers; ++l) {
    const bool hidden_layer = l + 1 < layers;
    shape.push_back({kind, l == 0 ? in : hidden, hidden_layer ? hidden : classes, hidden_layer && extras.residual,
                     hidden_layer && extras.layer_norm});
  }
  return shape;
}

template <class T>
class model {
 public:
  explicit model(std::vector<layer_shape> layers) : layers_(std::move(layers)), caches_(layers_.size()) {
    require(!layers_.empty(), "a model needs at least one layer");
    std::int64_t at = 0;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      require(l == 0 || layers_[l].in == layers_[l - 1].out, "consecutive layers must agree on their width");
      offsets_.push_back(at);
      at += layers_[l].size();
    }
    params_.assign(static_cast<std::size_t>(at), T{0});
    grads_.assign(static_cast<std::size_t>(at), T{0});
  }

  /// Glorot-uniform weights from Philox keyed by (seed, layer), zero biases,
  /// layer norms starting as the identity (scale 1, shift 0).
  void initialize(std::uint64_t seed) {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const auto& s = layers_[l];
      const double bound = std::sqrt(6.0 / static_cast<double>(s.in + s.out));
      const auto fill = [&](std::int64_t offset, std::uint64_t which) {
        for (std::int64_t r = 0; r < s.in; ++r) {
          matsample::philox_row_stream rng(seed, init_stream + l, {which, static_cast<std::uint64_t>(r), 0});
          for (std::int64_t c = 0; c < s.out; ++c) {
            params_[offsets_[l] + offset + r * s.out + c] =
                static_cast<T>(bound * (2 * rng.uniform(static_cast<std::uint64_t>(c)) - 1));
          }
        }
      };
      if (s.has_self()) fill(s.self_offset(), 0);
      if (s.has_neighbours()) fill(s.neighbour_offset(), 1);
      if (s.has_projection()) fill(s.skip_offset(), 2);
      std::fill_n(params_.begin() + offsets_[l] + s.bias_offset(), s.out, T{0});
      if (s.layer_norm) {
        std::fill_n(params_.begin() + offsets_[l] + s.norm_scale_offset(), s.out, T{1});
        std::fill_n(params_.begin() + offsets_[l] + s.norm_shift_offset(), s.out, T{0});
      }
    }
  }

  [[nodiscard]] std::size_t num_layers() const noexcept { return layers_.size(); }
  [[nodiscard]] const layer_shape& layer(std::size_t l) const { return layers_[l]; }
  [[nodiscard]] std::span<T> parameters() noexcept { return params_; }
  [[nodiscard]] std::span<const T> parameters() const noexcept { return params_; }
  [[nodiscard]] std::span<T> gradients() noexcept { return grads_; }
  [[nodiscard]] std::span<const T> gradients() const noexcept { return grads_; }

  /// [begin, end) of every weight matrix in the flat buffer: what weight
  /// decay applies to (biases and layer norms are left alone).
  [[nodiscard]] std::vector<std::pair<std::int64_t, std::int64_t>> weight_ranges() const {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const auto& s = layers_[l];
      out.emplace_back(offsets_[l], offsets_[l] + s.bias_offset());
      if (s.has_projection()) out.emplace_back(offsets_[l] + s.skip_offset(), offsets_[l] + s.norm_scale_offset());
    }
    return out;
  }

  /// Training forward pass over one minibatch's blocks (input layer first)
  /// and its gathered input features; returns the seeds' logits. Keeps what
  /// backward() needs, so call backward() with the same blocks.
  const matrix<T>& forward(const std::vector<aggregation<T>>& blocks, matrix<T> features, double dropout,
                           const dropout_key& key) {
    require(blocks.size() == layers_.size(), "one block per layer");
    matrix<T> h = std::move(features);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      auto& c = caches_[l];
      if (dropout > 0) {
        c.mask = dropout_mask<T>(h.rows(), h.cols(), dropout, key, l);
        c.input = h.cwiseProduct(c.mask);
      } else {
        c.mask.resize(0, 0);
        c.input = std::move(h);
      }
      matrix<T> z = layer_forward(layers_[l], params_.data() + offsets_[l], blocks[l], c.input, c.aggregated);
      c.output = l + 1 < layers_.size() ? finish_hidden(l, z, c.input, &c) : std::move(z);
      if (l + 1 < layers_.size()) h = c.output;
    }
    return caches_.back().output;
  }

  /// Writes d(loss)/d(parameters) into gradients(), given d(loss)/d(logits)
  /// for the last forward() call. With `input_gradient`, also d(loss)/d(the
  /// features passed to forward()), one row per input node: what learned
  /// input embeddings train on.
  void backward(const std::vector<aggregation<T>>& blocks, matrix<T> dlogits, matrix<T>* input_gradient = nullptr) {
    require(blocks.size() == layers_.size(), "one block per layer");
    matrix<T> d = std::move(dlogits);
    for (std::size_t l = layers_.size(); l-- > 0;) {
      const auto& c = caches_[l];
      const auto& s = layers_[l];
      const T* params = params_.data() + offsets_[l];
      T* grads = grads_.data() + offsets_[l];
      const bool wanted = l > 0 || input_gradient != nullptr;
      if (l + 1 < layers_.size() && s.layer_norm) {  // d now: d(loss)/d(ReLU(z) + skip)
        d = layer_norm_backward(c.norm, params + s.norm_scale_offset(), d, grads + s.norm_scale_offset(),
                                grads + s.norm_shift_offset());
      }
      const matrix<T> dz = l + 1 < layers_.size() ? relu_backward(c.activation, d) : d;  // d(loss)/d(z)
      matrix<T> dx = layer_backward(s, params, blocks[l], c.input, c.aggregated, dz, grads, /*input_gradient=*/wanted);
      if (s.residual) {  // the skip path: output += x_dst (W_skip)
        const auto n = d.rows();
        if (s.has_projection()) {
          weights<T>(grads + s.skip_offset(), s.in, s.out).noalias() = c.input.topRows(n).transpose() * d;
          if (wanted) {
            dx.topRows(n).noalias() += d * const_weights<T>(params + s.skip_offset(), s.in, s.out).transpose();
          }
        } else if (wanted) {
          dx.topRows(n) += d;
        }
      }
      if (wanted) d = c.mask.size() > 0 ? dx.cwiseProduct(c.mask) : std::move(dx);
    }
    if (input_gradient != nullptr) *input_gradient = std::move(d);
  }

  /// Inference through layer l alone (no dropout): for full-neighbour
  /// evaluation, layer by layer.
  [[nodiscard]] matrix<T> infer_layer(std::size_t l, const aggregation<T>& block, const matrix<T>& x) const {
    matrix<T> z = layer_infer(layers_[l], params_.data() + offsets_[l], block, x);
    return l + 1 < layers_.size() ? finish_hidden(l, z, x, nullptr) : z;
  }

 private:
  struct layer_cache {
    matrix<T> mask;            ///< dropout mask (empty without dropout)
    matrix<T> input;           ///< the layer's input after dropout
    matrix<T> aggregated;      ///< A x
    layer_norm_cache<T> norm;  ///< the normalised rows of ReLU(z) + skip (hidden layers with layer norm)
    matrix<T> activation;      ///< after ReLU (hidden layers)
    matrix<T> output;          ///< hidden layers: norm(activation + skip path); the last: the logits
  };

  /// What a hidden layer adds to its graph layer's output z: the ReLU, the
  /// skip path from its input x (whose first rows are the destination
  /// nodes), then layer norm, which keeps each layer's output at one scale
  /// however many skips add up (normalising z before the ReLU instead let
  /// six residual layers start at 2-4 times the loss, and trained worse).
  /// Keeps what backward() needs in `cache` when given.
  matrix<T> finish_hidden(std::size_t l, const matrix<T>& z, const matrix<T>& x, layer_cache* cache) const {
    const auto& s = layers_[l];
    const T* params = params_.data() + offsets_[l];
    matrix<T> h = relu(z);
    if (cache != nullptr) cache->activation = h;
    if (s.has_projection()) {
      h.noalias() += x.topRows(z.rows()) * const_weights<T>(params + s.skip_offset(), s.in, s.out);
    } else if (s.residual) {
      h += x.topRows(z.rows());
    }
    if (!s.layer_norm) return h;
    return layer_norm_forward(h, params + s.norm_scale_offset(), params + s.norm_shift_offset(),
                              cache ? &cache->norm : nullptr);
  }

  std::vector<layer_shape> layers_;
  std::vector<std::int64_t> offsets_;
  // Aligned as Eigen's own allocations are: Eigen peels unaligned heads of
  // Maps into scalar code, so with malloc's alignment the bits of a result
  // would depend on where the heap happened to put the buffer.
  aligned_vector<T> params_;
  aligned_vector<T> grads_;
  std::vector<layer_cache> caches_;
};

/// Rows `rows` of h, in order.
template <class T, class I>
matrix<T> gather_rows(const matrix<T>& h, std::span<const I> rows) {
  matrix<T> x(static_cast<Eigen::Index>(rows.size()), h.cols());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(rows.size()); ++i) x.row(i) = h.row(rows[i]);
  return x;
}

/// Full-neighbour inference of every vertex, layer by layer, as DGL's
/// offline inference does: `graph` aggregates over all of a vertex's
/// neighbours with global ids (rows = columns = vertices), so each layer's
/// output is computed once per vertex as whole-matrix products, with no
/// per-batch gathering. `input` has one row per vertex. Returns the last
/// layer's output, one row per vertex.
template <class T>
matrix<T> infer_all_vertices(const model<T>& net, const aggregation<T>& graph, matrix<T> input) {
  require(graph.rows == graph.cols, "infer_all_vertices: the graph must be square");
  matrix<T> h = std::move(input);
  for (std::size_t l = 0; l < net.num_layers(); ++l) h = net.infer_layer(l, graph, h);
  return h;
}

}  // namespace graphsage
