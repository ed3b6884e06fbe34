#pragma once
// The pieces of the network, each a forward function and its hand-written
// backward: sparse aggregation over a sampled block, the graph layers (SAGE,
// GCN-style, linear), ReLU, dropout and softmax cross-entropy.
//
// Matrices are row-major with one row per node, so a minibatch's gathered
// feature rows, a block's source nodes and a layer's output rows line up. The
// scalar type is a template parameter: training runs in float, the gradient
// checks in double.

#include <omp.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/core/random.hpp"

namespace graphsage {

template <class T>
using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using row_vector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
/// Flat buffers that Eigen maps: aligned like Eigen's own allocations.
template <class T>
using aligned_vector = std::vector<T, Eigen::aligned_allocator<T>>;

/// Shape mismatches between the sampler's blocks and the model are bugs, not
/// user input, so they are logic errors rather than matsample errors.
inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::logic_error("graphsage: " + what);
}

// ---------------------------------------------------------------------------
// Sparse aggregation over a block
// ---------------------------------------------------------------------------

/// The weights with which a block's destination nodes combine their sampled
/// source nodes: output row i is sum_j weights_ij * x_j. Local ids, as in the
/// block; the first `rows` source nodes are the destination nodes themselves.
template <class T>
struct aggregation {
  std::int64_t rows = 0;  ///< destination nodes
  std::int64_t cols = 0;  ///< source nodes
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int64_t> indices;
  std::vector<T> weights;
};

/// How a block's values become aggregation weights.
enum class block_weights {
  /// Each row's values divided by their sum (values 1 when the block has
  /// none): the mean over sampled neighbours for node-wise blocks, and the
  /// row-normalised adjacency for full-neighbour blocks of a weighted graph.
  /// A row without entries aggregates to zero.
  row_normalized,
  /// The values as the sampler returned them: layer-wise samplers already
  /// debias and row-normalise them.
  as_sampled,
};

/// The aggregation of a sparse matrix's rows over its columns: a block's
/// adjacency (local ids), or a whole graph (global ids) for inference.
template <class T, class V, matsample::index_type I, matsample::index_type O>
aggregation<T> make_aggregation(const matsample::csr_view<V, I, O>& adj, block_weights how) {
  aggregation<T> a;
  a.rows = adj.rows();
  a.cols = adj.cols();
  a.indptr.assign(adj.indptr().begin(), adj.indptr().end());
  a.indices.assign(adj.indices().begin(), adj.indices().end());
  a.weights.resize(a.indices.size());
  const bool given = how == block_weights::as_sampled && adj.has_values();
  for (std::int64_t r = 0; r < a.rows; ++r) {
    const auto e0 = a.indptr[r], e1 = a.indptr[r + 1];
    if (given) {
      for (auto e = e0; e < e1; ++e) a.weights[e] = static_cast<T>(adj.value(static_cast<O>(e)));
      continue;
    }
    double total = 0;
    for (auto e = e0; e < e1; ++e) total += static_cast<double>(adj.value(static_cast<O>(e)));
    for (auto e = e0; e < e1; ++e) {
      a.weights[e] = total > 0 ? static_cast<T>(static_cast<double>(adj.value(static_cast<O>(e))) / total) : T{0};
    }
  }
  return a;
}

template <class T, class V, matsample::index_type I, matsample::index_type O>
aggregation<T> make_aggregation(const matsample::block_view<V, I, O>& block, block_weights how) {
  return make_aggregation<T>(block.adjacency, how);
}

/// An aggregation of n vertices with no entries: what the MLP baseline's
/// linear layers are given (they aggregate nothing).
template <class T>
aggregation<T> edge_free_aggregation(std::int64_t n) {
  aggregation<T> a;
  a.rows = a.cols = n;
  a.indptr.assign(static_cast<std::size_t>(n) + 1, 0);
  return a;
}

/// A x: one output row per destination node. Rows are independent, so the
/// parallel loop gives the same bits for any thread count.
template <class T>
matrix<T> aggregate(const aggregation<T>& a, const matrix<T>& x) {
  require(x.rows() == a.cols, "aggregate: input rows differ from the block's source nodes");
  matrix<T> out = matrix<T>::Zero(a.rows, x.cols());
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < a.rows; ++r) {
    for (auto e = a.indptr[r]; e < a.indptr[r + 1]; ++e) out.row(r) += a.weights[e] * x.row(a.indices[e]);
  }
  return out;
}

/// A^T dy: the gradient of aggregate() with respect to its input. A serial
/// scatter, so the summation order (and the bits) never depend on threads.
template <class T>
matrix<T> aggregate_transpose(const aggregation<T>& a, const matrix<T>& dy) {
  require(dy.rows() == a.rows, "aggregate_transpose: gradient rows differ from the block's destination nodes");
  matrix<T> out = matrix<T>::Zero(a.cols, dy.cols());
  for (std::int64_t r = 0; r < a.rows; ++r) {
    for (auto e = a.indptr[r]; e < a.indptr[r + 1]; ++e) out.row(a.indices[e]) += a.weights[e] * dy.row(r);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Graph layers
// ---------------------------------------------------------------------------

enum class layer_kind {
  sage,    ///< x_dst W_self + (A x) W_neigh + b   (GraphSAGE, mean aggregator)
  gcn,     ///< (A x) W + b                        (GCN-style, for layer-wise blocks)
  linear,  ///< x_dst W + b                        (no graph: the MLP baseline)
};

/// A layer's kind and sizes, and where its parameters lie in a flat buffer:
/// [W_self (in x out)] [W_neigh (in x out)] [bias (out)] [W_skip (in x out)]
/// [gamma (out)] [beta (out)], each present only when the layer uses it;
/// matrices row-major. Hidden layers may add a residual connection and
/// layer normalisation around the graph layer (model.hpp applies them):
/// h = norm(relu(z) + x_dst), with x_dst W_skip where the widths differ.
struct layer_shape {
  layer_kind kind = layer_kind::sage;
  std::int64_t in = 0, out = 0;
  bool residual = false;    ///< add the layer's input (projected where in != out) to its output
  bool layer_norm = false;  ///< normalise each output row (learned scale and shift), last

  [[nodiscard]] bool has_self() const noexcept { return kind != layer_kind::gcn; }
  [[nodiscard]] bool has_neighbours() const noexcept { return kind != layer_kind::linear; }
  /// A residual connection between different widths needs a learned projection.
  [[nodiscard]] bool has_projection() const noexcept { return residual && in != out; }
  [[nodiscard]] std::int64_t self_offset() const noexcept { return 0; }
  [[nodiscard]] std::int64_t neighbour_offset() const noexcept { return has_self() ? in * out : 0; }
  [[nodiscard]] std::int64_t bias_offset() const noexcept {
    return (static_cast<std::int64_t>(has_self()) + static_cast<std::int64_t>(has_neighbours())) * in * out;
  }
  [[nodiscard]] std::int64_t skip_offset() const noexcept { return bias_offset() + out; }
  [[nodiscard]] std::int64_t norm_scale_offset() const noexcept {
    return skip_offset() + (has_projection() ? in * out : 0);
  }
  [[nodiscard]] std::int64_t norm_shift_offset() const noexcept { return norm_scale_offset() + out; }
  [[nodiscard]] std::int64_t size() const noexcept { return norm_scale_offset() + (layer_norm ? 2 * out : 0); }
};

template <class T>
using const_weights = Eigen::Map<const matrix<T>>;
template <class T>
using weights = Eigen::Map<matrix<T>>;

/// The bias and self terms of a layer's output, after checking the shapes:
/// what layer_forward and layer_infer share.
template <class T>
matrix<T> bias_and_self(const layer_shape& s, const T* params, const aggregation<T>& a, const matrix<T>& x) {
  require(x.cols() == s.in, "layer: input width differs from the layer's");
  require(x.rows() == a.cols && a.rows <= a.cols, "layer: input rows differ from the block's source nodes");
  const std::int64_t n = a.rows;
  matrix<T> z(n, s.out);
  z.rowwise() = Eigen::Map<const row_vector<T>>(params + s.bias_offset(), s.out);
  if (s.has_self()) z.noalias() += x.topRows(n) * const_weights<T>(params + s.self_offset(), s.in, s.out);
  return z;
}

/// The layer's output for the block's destination nodes. `aggregated`
/// receives A x, which the backward pass needs (left empty for linear layers).
template <class T>
matrix<T> layer_forward(const layer_shape& s, const T* params, const aggregation<T>& a, const matrix<T>& x,
                        matrix<T>& aggregated) {
  matrix<T> z = bias_and_self(s, params, a, x);
  if (s.has_neighbours()) {
    aggregated = aggregate(a, x);
    z.noalias() += aggregated * const_weights<T>(params + s.neighbour_offset(), s.in, s.out);
  } else {
    aggregated.resize(0, 0);
  }
  return z;
}

/// layer_forward for inference: the same function, with the neighbour
/// transform applied before aggregation when that narrows the rows
/// (A (x W) = (A x) W), as DGL's offline inference does. Over a whole graph
/// with a wide input (Cora's 1433 columns) this aggregates 64-wide rows.
template <class T>
matrix<T> layer_infer(const layer_shape& s, const T* params, const aggregation<T>& a, const matrix<T>& x) {
  if (!s.has_neighbours() || s.out >= s.in) {
    matrix<T> aggregated;
    return layer_forward(s, params, a, x, aggregated);
  }
  matrix<T> z = bias_and_self(s, params, a, x);
  const matrix<T> transformed = x * const_weights<T>(params + s.neighbour_offset(), s.in, s.out);
  z += aggregate(a, transformed);
  return z;
}

/// Given dz = d(loss)/d(output), writes the layer's parameter gradients into
/// `grads` (same layout as the parameters) and returns d(loss)/dx, or an
/// empty matrix when `input_gradient` is false (the first layer, whose input
/// is the fixed features).
template <class T>
matrix<T> layer_backward(const layer_shape& s, const T* params, const aggregation<T>& a, const matrix<T>& x,
                         const matrix<T>& aggregated, const matrix<T>& dz, T* grads, bool input_gradient) {
  const std::int64_t n = a.rows;
  require(dz.rows() == n && dz.cols() == s.out, "layer_backward: output gradient has the wrong shape");
  Eigen::Map<row_vector<T>>(grads + s.bias_offset(), s.out) = dz.colwise().sum();
  matrix<T> dx;
  if (input_gradient) dx = matrix<T>::Zero(x.rows(), s.in);
  if (s.has_self()) {
    weights<T>(grads + s.self_offset(), s.in, s.out).noalias() = x.topRows(n).transpose() * dz;
    if (input_gradient) {
      dx.topRows(n).noalias() += dz * const_weights<T>(params + s.self_offset(), s.in, s.out).transpose();
    }
  }
  if (s.has_neighbours()) {
    const const_weights<T> w(params + s.neighbour_offset(), s.in, s.out);
    weights<T>(grads + s.neighbour_offset(), s.in, s.out).noalias() = aggregated.transpose() * dz;
    if (input_gradient) {
      const matrix<T> d_aggregated = dz * w.transpose();
      dx += aggregate_transpose(a, d_aggregated);
    }
  }
  return dx;
}

// ---------------------------------------------------------------------------
// ReLU and dropout
// ---------------------------------------------------------------------------

template <class T>
matrix<T> relu(const matrix<T>& z) {
  return z.cwiseMax(T{0});
}

/// d(loss)/dz from d(loss)/dh, where h = relu(z) (h > 0 exactly where z > 0).
template <class T>
matrix<T> relu_backward(const matrix<T>& h, const matrix<T>& dh) {
  return (h.array() > T{0}).select(dh, T{0});
}

// ---------------------------------------------------------------------------
// Layer normalisation
// ---------------------------------------------------------------------------

/// What layer_norm_backward needs from the forward pass.
template <class T>
struct layer_norm_cache {
  matrix<T> normalized;                         ///< (z - mean) / sqrt(var + eps), per row
  Eigen::Matrix<T, Eigen::Dynamic, 1> inv_std;  ///< 1 / sqrt(var + eps), per row
};

/// PyTorch's LayerNorm default.
inline constexpr double layer_norm_epsilon = 1e-5;

/// y = gamma .* (z - mean) / sqrt(var + eps) + beta, each row over its own
/// columns (biased variance, as torch.nn.LayerNorm). Fills `cache` when given.
template <class T>
matrix<T> layer_norm_forward(const matrix<T>& z, const T* gamma, const T* beta, layer_norm_cache<T>* cache) {
  const auto d = z.cols();
  require(d > 0, "layer_norm_forward: rows without columns");
  const Eigen::Matrix<T, Eigen::Dynamic, 1> mean = z.rowwise().mean();
  matrix<T> centred = z.colwise() - mean;
  const Eigen::Matrix<T, Eigen::Dynamic, 1> inv_std =
      ((centred.array().square().rowwise().sum() / static_cast<T>(d)) + static_cast<T>(layer_norm_epsilon))
          .rsqrt()
          .matrix();
  centred.array().colwise() *= inv_std.array();
  const Eigen::Map<const row_vector<T>> scale(gamma, d), shift(beta, d);
  matrix<T> y = (centred.array().rowwise() * scale.array()).rowwise() + shift.array();
  if (cache != nullptr) {
    cache->normalized = std::move(centred);
    cache->inv_std = inv_std;
  }
  return y;
}

/// Given dy, writes d(loss)/d(gamma) and d(loss)/d(beta) and returns
/// d(loss)/dz = inv_std * (g - mean(g) - x_hat * mean(g .* x_hat)) per row,
/// where g = dy .* gamma and x_hat is the normalised row.
template <class T>
matrix<T> layer_norm_backward(const layer_norm_cache<T>& cache, const T* gamma, const matrix<T>& dy, T* dgamma,
                              T* dbeta) {
  const auto d = dy.cols();
  const auto& x_hat = cache.normalized;
  require(x_hat.rows() == dy.rows() && x_hat.cols() == d, "layer_norm_backward: gradient has the wrong shape");
  Eigen::Map<row_vector<T>>(dgamma, d) = dy.cwiseProduct(x_hat).colwise().sum();
  Eigen::Map<row_vector<T>>(dbeta, d) = dy.colwise().sum();
  const matrix<T> g = dy.array().rowwise() * Eigen::Map<const row_vector<T>>(gamma, d).array();
  const Eigen::Matrix<T, Eigen::Dynamic, 1> g_mean = g.rowwise().mean();
  const Eigen::Matrix<T, Eigen::Dynamic, 1> gx_mean = g.cwiseProduct(x_hat).rowwise().mean();
  matrix<T> dz = g;
  dz.colwise() -= g_mean;
  dz -= gx_mean.asDiagonal() * x_hat;
  dz.array().colwise() *= cache.inv_std.array();
  return dz;
}

/// Where a minibatch's dropout masks come from. Masks are drawn from Philox
/// by address, so they do not depend on threads or on what ran before.
struct dropout_key {
  std::uint64_t seed = 0;
  std::uint64_t epoch = 0;
  std::uint64_t minibatch = 0;  ///< the batch's number within the epoch
};

/// Philox key words of the trainer's own streams, in the range that
/// matsample's stream registry (core/streams.hpp) leaves to applications.
inline constexpr std::uint64_t dropout_stream = 0x6772'6170'6873'0100ULL;
inline constexpr std::uint64_t init_stream = 0x6772'6170'6873'0200ULL;
inline constexpr std::uint64_t embedding_stream = 0x6772'6170'6873'0300ULL;  ///< learned input embeddings' start
static_assert(dropout_stream >= matsample::streams::max_layers && dropout_stream < matsample::streams::first_library &&
              init_stream >= matsample::streams::max_layers && init_stream < matsample::streams::first_library &&
              embedding_stream >= matsample::streams::max_layers &&
              embedding_stream < matsample::streams::first_library);

/// Inverted dropout: entries are 0 with probability p and 1/(1-p) otherwise.
/// Row r of layer `layer` draws from counter (epoch, minibatch, r); column c
/// uses 16 bits of draw c / 4, so one Philox block decides 16 entries (the
/// mask of a 1433-wide input would otherwise cost more than the layer). The
/// drop probability is therefore p rounded to a multiple of 2^-16.
template <class T>
matrix<T> dropout_mask(std::int64_t rows, std::int64_t cols, double p, const dropout_key& key, std::uint64_t layer) {
  require(p >= 0 && p < 1, "dropout probability outside [0, 1)");
  matrix<T> mask(rows, cols);
  const T keep = static_cast<T>(1.0 / (1.0 - p));
  const auto threshold = static_cast<std::uint64_t>(std::llround(p * 65536.0));  // drop when the 16 bits are below
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    matsample::philox_row_stream rng(key.seed, dropout_stream + layer,
                                     {key.epoch, key.minibatch, static_cast<std::uint64_t>(r)});
    T* out = mask.data() + r * cols;
    for (std::int64_t c0 = 0; c0 < cols; c0 += 4) {
      const std::uint64_t bits = rng.bits(static_cast<std::uint64_t>(c0 / 4));
      for (std::int64_t c = c0; c < std::min(c0 + 4, cols); ++c) {
        out[c] = ((bits >> (16 * (c - c0))) & 0xffff) < threshold ? T{0} : keep;
      }
    }
  }
  return mask;
}

// ---------------------------------------------------------------------------
// Softmax cross-entropy
// ---------------------------------------------------------------------------

struct loss_result {
  double loss = 0;           ///< mean over the rows
  std::int64_t correct = 0;  ///< rows whose largest logit is the label's
};

/// Mean softmax cross-entropy of `logits` against `labels`; writes
/// d(loss)/d(logits) into `dlogits`. Serial, so the sum's order is fixed.
template <class T>
loss_result softmax_cross_entropy(const matrix<T>& logits, std::span<const std::int32_t> labels, matrix<T>& dlogits) {
  const std::int64_t n = logits.rows(), c = logits.cols();
  require(static_cast<std::int64_t>(labels.size()) == n, "softmax_cross_entropy: one label per row");
  dlogits.resize(n, c);
  loss_result out;
  const T scale = T{1} / static_cast<T>(std::max<std::int64_t>(n, 1));
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int32_t y = labels[r];
    require(y >= 0 && y < c, "softmax_cross_entropy: label outside the classes");
    Eigen::Index best = 0;
    const T top = logits.row(r).maxCoeff(&best);
    out.correct += best == y;
    const row_vector<T> e = (logits.row(r).array() - top).exp();
    const T total = e.sum();
    out.loss += static_cast<double>(std::log(total) - (logits(r, y) - top));
    dlogits.row(r) = e * (scale / total);
    dlogits(r, y) -= scale;
  }
  out.loss /= static_cast<double>(std::max<std::int64_t>(n, 1));
  return out;
}

}  // namespace graphsage
