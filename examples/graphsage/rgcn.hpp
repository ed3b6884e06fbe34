#pragma once
// R-GCN (Schlichtkrull et al., ESWC 2018) on typed blocks, with its
// hand-written backward pass, and a trainer that samples typed minibatches
// with matsample's typed node-wise sampler (graphsage --model rgcn). Layer l
// computes, for every vertex type s with destination nodes,
//   z_s = h_s W_self + b + sum_{r: row(r) = s} mean_r(h_col(r)) W_r
// where mean_r averages a destination node's sampled neighbours through
// relation r (the 1/c_{i,r} of the paper) and h_s's first rows are the
// destination nodes. With basis decomposition W_r = sum_b a_rb V_b. Hidden
// layers apply ReLU. Weights are shared by every vertex type, as in R-GCN.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "adam.hpp"
#include "layers.hpp"
#include "matsample/matsample.hpp"
#include "metrics.hpp"

namespace graphsage {

/// One typed minibatch as the model reads it: per layer (input layer first)
/// every relation's aggregation (its block's rows averaged) and each type's
/// destination and source node counts.
template <class T>
struct typed_minibatch {
  std::vector<std::vector<aggregation<T>>> relations;  ///< [layer][relation]
  std::vector<std::vector<std::int64_t>> num_dst;      ///< [layer][type]
  std::vector<std::vector<std::int64_t>> num_src;      ///< [layer][type]
};

/// Minibatch m of a typed sample, as the model reads it.
template <class T, class V, matsample::index_type I, matsample::index_type O>
typed_minibatch<T> make_typed_minibatch(const matsample::typed_bulk_sample<V, I, O>& sample, std::int64_t m) {
  typed_minibatch<T> out;
  const auto& schema = sample.schema;
  for (std::size_t l = 0; l < sample.layers.size(); ++l) {
    auto& aggs = out.relations.emplace_back();
    for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
      aggs.push_back(make_aggregation<T>(sample[m].block(l, r).adjacency, block_weights::row_normalized));
    }
    auto& dst = out.num_dst.emplace_back();
    auto& src = out.num_src.emplace_back();
    for (const auto& t : sample.layers[l].types) {
      dst.push_back(static_cast<std::int64_t>(t.dst(m).size()));
      src.push_back(static_cast<std::int64_t>(t.src(m).size()));
    }
  }
  return out;
}

/// The shape of an R-GCN: widths, depth, and the typed graph's relations.
struct rgcn_shape {
  std::int64_t in = 16;                ///< input width (every type's)
  std::int64_t hidden = 64;            ///< hidden width
  std::int64_t classes = 2;            ///< output width
  std::int64_t layers = 2;             ///< graph layers
  std::int64_t bases = 0;              ///< basis matrices (0: a free W_r per relation)
  std::vector<std::int32_t> row_type;  ///< per relation: the type of its rows
  std::vector<std::int32_t> col_type;  ///< per relation: the type of its columns
  std::int32_t types = 1;              ///< vertex types
};

template <class T>
class rgcn {
 public:
  explicit rgcn(rgcn_shape shape) : shape_(std::move(shape)), caches_(static_cast<std::size_t>(shape_.layers)) {
    require(shape_.layers >= 1 && shape_.row_type.size() == shape_.col_type.size(), "rgcn: bad shape");
    std::int64_t at = 0;
    for (std::int64_t l = 0; l < shape_.layers; ++l) {
      offsets_.push_back(at);
      at += layer_size(l);
    }
    params_.assign(static_cast<std::size_t>(at), T{0});
    grads_.assign(static_cast<std::size_t>(at), T{0});
  }

  [[nodiscard]] std::span<T> parameters() noexcept { return params_; }
  [[nodiscard]] std::span<const T> gradients() const noexcept { return grads_; }
  [[nodiscard]] std::span<T> gradients() noexcept { return grads_; }

  /// Glorot-uniform matrices (self, relation or basis) from Philox keyed by
  /// (seed, layer), uniform basis coefficients, zero biases.
  void initialize(std::uint64_t seed) {
    for (std::int64_t l = 0; l < shape_.layers; ++l) {
      const auto [in, out] = widths(l);
      const double bound = std::sqrt(6.0 / static_cast<double>(in + out));
      T* p = params_.data() + offsets_[l];
      const auto count = layer_size(l);
      for (std::int64_t i = 0; i < count; ++i) {
        matsample::philox_row_stream rng(seed, rgcn_init_stream + static_cast<std::uint64_t>(l),
                                         {static_cast<std::uint64_t>(i / 4096), 0, 0});
        p[i] = static_cast<T>(bound * (2 * rng.uniform(static_cast<std::uint64_t>(i % 4096)) - 1));
      }
      std::fill_n(p + in * out, out, T{0});  // bias
      if (shape_.bases > 0) {                // coefficients: 1/B each, so every W_r starts at the bases' mean
        std::fill_n(p + coef_offset(l), relations() * shape_.bases,
                    static_cast<T>(1.0 / static_cast<double>(shape_.bases)));
      }
    }
  }

  /// [begin, end) of every weight matrix (self, relation, basis): what
  /// weight decay applies to.
  [[nodiscard]] std::vector<std::pair<std::int64_t, std::int64_t>> weight_ranges() const {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t l = 0; l < shape_.layers; ++l) {
      const auto [in, out_w] = widths(l);
      out.emplace_back(offsets_[l], offsets_[l] + in * out_w);
      out.emplace_back(offsets_[l] + relation_offset(l),
                       offsets_[l] + relation_offset(l) + relation_count() * in * out_w);
    }
    return out;
  }

  /// Forward pass over a typed minibatch and each type's input rows (its
  /// layer-0 source nodes); returns the logits of type `target`'s seeds.
  /// With `dropout` > 0 every layer's input rows of every type are dropped
  /// by masks from `key` (stream: layer × types + type).
  const matrix<T>& forward(const typed_minibatch<T>& g, std::vector<matrix<T>> inputs, std::int32_t target,
                           double dropout = 0, const dropout_key& key = {}) {
    require(static_cast<std::int64_t>(g.relations.size()) == shape_.layers, "rgcn: one layer of blocks per layer");
    std::vector<matrix<T>> h = std::move(inputs);
    for (std::int64_t l = 0; l < shape_.layers; ++l) {
      auto& c = caches_[static_cast<std::size_t>(l)];
      const auto [in, out] = widths(l);
      const T* p = params_.data() + offsets_[l];
      c.masks.assign(dropout > 0 ? static_cast<std::size_t>(shape_.types) : 0, matrix<T>());
      for (std::size_t s = 0; s < c.masks.size(); ++s) {
        c.masks[s] =
            dropout_mask<T>(h[s].rows(), h[s].cols(), dropout, key, static_cast<std::uint64_t>(l * shape_.types) + s);
        h[s] = h[s].cwiseProduct(c.masks[s]);
      }
      c.input = std::move(h);
      c.weights = relation_weights(l);
      c.aggregated.assign(relations(), matrix<T>());
      c.z.assign(static_cast<std::size_t>(shape_.types), matrix<T>());
      for (std::int32_t s = 0; s < shape_.types; ++s) {
        const auto n = g.num_dst[l][s];
        auto& z = c.z[s];
        z = c.input[s].topRows(n) * const_weights<T>(p, in, out);
        z.rowwise() += Eigen::Map<const row_vector<T>>(p + in * out, out);
      }
      for (std::size_t r = 0; r < relations(); ++r) {
        const auto s = shape_.row_type[r], d = shape_.col_type[r];
        if (g.num_dst[l][s] == 0) continue;
        c.aggregated[r] = aggregate(g.relations[l][r], c.input[d]);
        c.z[s].noalias() += c.aggregated[r] * c.weights[r];
      }
      h.assign(static_cast<std::size_t>(shape_.types), matrix<T>());
      for (std::int32_t s = 0; s < shape_.types; ++s) {
        h[s] = l + 1 < shape_.layers ? matrix<T>(c.z[s].cwiseMax(T{0})) : c.z[s];
      }
    }
    output_ = std::move(h[static_cast<std::size_t>(target)]);
    return output_;
  }

  /// Writes d(loss)/d(parameters) into gradients(), given d(loss)/d(the
  /// logits of `target`) for the last forward(); with `input_gradients`, also
  /// d(loss)/d(each type's inputs).
  void backward(const typed_minibatch<T>& g, const matrix<T>& dlogits, std::int32_t target,
                std::vector<matrix<T>>* input_gradients = nullptr) {
    std::vector<matrix<T>> d(static_cast<std::size_t>(shape_.types));
    for (std::int32_t s = 0; s < shape_.types; ++s) {
      d[s] = s == target ? dlogits : matrix<T>::Zero(g.num_dst[shape_.layers - 1][s], shape_.classes);
    }
    for (std::int64_t l = shape_.layers; l-- > 0;) {
      const auto& c = caches_[static_cast<std::size_t>(l)];
      const auto [in, out] = widths(l);
      const T* p = params_.data() + offsets_[l];
      T* gr = grads_.data() + offsets_[l];
      std::fill_n(gr, layer_size(l), T{0});
      std::vector<matrix<T>> dz(static_cast<std::size_t>(shape_.types));
      std::vector<matrix<T>> dx(static_cast<std::size_t>(shape_.types));
      for (std::int32_t s = 0; s < shape_.types; ++s) {
        dz[s] = l + 1 < shape_.layers
                    ? matrix<T>(d[s].cwiseProduct((c.z[s].array() > T{0}).template cast<T>().matrix()))
                    : d[s];
        dx[s] = matrix<T>::Zero(c.input[s].rows(), in);
        const auto n = g.num_dst[l][s];
        if (n == 0) continue;
        weights<T>(gr, in, out).noalias() += c.input[s].topRows(n).transpose() * dz[s];
        Eigen::Map<row_vector<T>>(gr + in * out, out) += dz[s].colwise().sum();
        dx[s].topRows(n).noalias() += dz[s] * const_weights<T>(p, in, out).transpose();
      }
      std::vector<matrix<T>> dw(relations(), matrix<T>::Zero(in, out));
      for (std::size_t r = 0; r < relations(); ++r) {
        const auto s = shape_.row_type[r], dt = shape_.col_type[r];
        if (g.num_dst[l][s] == 0) continue;
        dw[r].noalias() = c.aggregated[r].transpose() * dz[s];
        const matrix<T> dm = dz[s] * c.weights[r].transpose();
        dx[dt] += aggregate_transpose(g.relations[l][r], dm);
      }
      if (shape_.bases > 0) {  // W_r = sum_b a_rb V_b
        const T* coef = p + coef_offset(l);
        for (std::int64_t b = 0; b < shape_.bases; ++b) {
          auto dv = weights<T>(gr + relation_offset(l) + b * in * out, in, out);
          const auto v = const_weights<T>(p + relation_offset(l) + b * in * out, in, out);
          for (std::size_t r = 0; r < relations(); ++r) {
            dv += coef[r * shape_.bases + b] * dw[r];
            gr[coef_offset(l) + static_cast<std::int64_t>(r) * shape_.bases + b] = dw[r].cwiseProduct(v).sum();
          }
        }
      } else {
        for (std::size_t r = 0; r < relations(); ++r) {
          weights<T>(gr + relation_offset(l) + static_cast<std::int64_t>(r) * in * out, in, out) = dw[r];
        }
      }
      for (std::size_t s = 0; s < c.masks.size(); ++s) dx[s] = dx[s].cwiseProduct(c.masks[s]);
      d = std::move(dx);
    }
    if (input_gradients != nullptr) *input_gradients = std::move(d);
  }

 private:
  struct layer_cache {
    std::vector<matrix<T>> input, aggregated, z, weights;
    std::vector<matrix<T>> masks;  ///< per type, the input's dropout mask (none without dropout)
  };

  [[nodiscard]] std::pair<std::int64_t, std::int64_t> widths(std::int64_t l) const {
    return {l == 0 ? shape_.in : shape_.hidden, l + 1 == shape_.layers ? shape_.classes : shape_.hidden};
  }
  [[nodiscard]] std::size_t relations() const noexcept { return shape_.row_type.size(); }
  /// Matrices stored for the relations: bases, or one per relation.
  [[nodiscard]] std::int64_t relation_count() const noexcept {
    return shape_.bases > 0 ? shape_.bases : static_cast<std::int64_t>(relations());
  }
  // Layer layout: W_self (in x out), bias (out), relation or basis matrices, coefficients (R x B).
  [[nodiscard]] std::int64_t relation_offset(std::int64_t l) const {
    const auto [in, out] = widths(l);
    return in * out + out;
  }
  [[nodiscard]] std::int64_t coef_offset(std::int64_t l) const {
    const auto [in, out] = widths(l);
    return relation_offset(l) + relation_count() * in * out;
  }
  [[nodiscard]] std::int64_t layer_size(std::int64_t l) const {
    return coef_offset(l) + (shape_.bases > 0 ? static_cast<std::int64_t>(relations()) * shape_.bases : 0);
  }
  /// Every relation's W_r at layer l.
  [[nodiscard]] std::vector<matrix<T>> relation_weights(std::int64_t l) const {
    const auto [in, out] = widths(l);
    const T* p = params_.data() + offsets_[l];
    std::vector<matrix<T>> w(relations());
    for (std::size_t r = 0; r < relations(); ++r) {
      if (shape_.bases == 0) {
        w[r] = const_weights<T>(p + relation_offset(l) + static_cast<std::int64_t>(r) * in * out, in, out);
        continue;
      }
      w[r] = matrix<T>::Zero(in, out);
      for (std::int64_t b = 0; b < shape_.bases; ++b) {
        w[r] += p[coef_offset(l) + static_cast<std::int64_t>(r) * shape_.bases + b] *
                const_weights<T>(p + relation_offset(l) + b * in * out, in, out);
      }
    }
    return w;
  }

  /// The R-GCN's initialisation stream, beside the GraphSAGE model's.
  static constexpr std::uint64_t rgcn_init_stream = init_stream + 0x80;

  rgcn_shape shape_;
  std::vector<std::int64_t> offsets_;
  aligned_vector<T> params_, grads_;
  std::vector<layer_cache> caches_;
  matrix<T> output_;
};

/// What graphsage --model rgcn takes.
struct rgcn_options {
  std::int64_t layers = 2, hidden = 64, bases = 0, batch_size = 256, epochs = 20, embedding_dim = 64;
  std::vector<std::int64_t> fanouts{};  ///< per layer, the same for every relation (default 10 each)
  double learning_rate = 0.01, weight_decay = 5e-4;
  double dropout = 0;  ///< dropout probability on every layer's input (each type's rows)
  /// Stop once this many epochs have passed without a better validation
  /// accuracy (0: never), as the untyped trainer's --patience.
  std::int64_t patience = 0;
  /// After training, put back the parameters and embeddings of the epoch
  /// with the best validation accuracy (the first of ties).
  bool restore_best = false;
  std::uint64_t seed = 1;
  std::int32_t target_type = -1;  ///< -1: the only type with labels
};

/// One epoch's figures.
struct rgcn_epoch {
  std::int64_t epoch = 0;
  double loss = 0, train_accuracy = 0, valid_accuracy = 0, test_accuracy = 0, seconds = 0;
};

/// What train_rgcn returns.
struct rgcn_run {
  std::vector<rgcn_epoch> epochs;  ///< every trained epoch (fewer than asked when patience ran out)
  std::int64_t best_epoch = -1;    ///< the epoch with the best validation accuracy (the first of ties)
  bool stopped_early = false;      ///< patience ran out before the last epoch
  /// The model's figures at the end: the last epoch's, or with
  /// restore_best the restored best epoch's, evaluated again.
  rgcn_epoch final_epoch;
};

/// Trains an R-GCN on a typed dataset's target type with typed node-wise
/// minibatches; types without features (or, when no type has any, every
/// type) read learned embeddings.
template <matsample::index_type I, matsample::index_type O>
rgcn_run train_rgcn(const matsample::typed_graph_data<float, I, O>& data, rgcn_options o,
                    const std::function<void(const rgcn_epoch&)>& report = {}) {
  const auto& schema = data.graph.schema();
  const std::int32_t types = schema.num_types();
  if (o.target_type < 0) {
    for (std::int32_t t = 0; t < types; ++t) {
      if (!data.types[static_cast<std::size_t>(t)].labels.empty()) {
        if (o.target_type >= 0)
          throw matsample::argument_error("rgcn: several types have labels; name the target type");
        o.target_type = t;
      }
    }
  }
  if (o.target_type < 0) throw matsample::argument_error("rgcn: no vertex type has labels");
  const auto& target = data.types[static_cast<std::size_t>(o.target_type)];
  for (const char* part : {"train", "valid", "test"}) {
    if (!target.splits.contains(part)) {
      throw matsample::argument_error(std::string("rgcn: the target type has no '") + part + "' split");
    }
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) {
    throw matsample::argument_error("rgcn: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  if (o.patience < 0) {
    throw matsample::argument_error("rgcn: patience must be >= 0 (0: no early stopping), got " +
                                    std::to_string(o.patience));
  }
  if (o.fanouts.empty()) o.fanouts.assign(static_cast<std::size_t>(o.layers), 10);
  if (static_cast<std::int64_t>(o.fanouts.size()) != o.layers) {
    throw matsample::argument_error("rgcn: one fanout per layer");
  }
  // Input width: the features' (one width for every featured type), else the embedding width.
  std::int64_t in = 0;
  for (const auto& t : data.types) {
    if (t.feature_dim == 0) continue;
    if (in != 0 && in != t.feature_dim) {
      throw matsample::argument_error("rgcn: vertex types with features must share one width");
    }
    in = t.feature_dim;
  }
  if (in == 0) in = o.embedding_dim;
  std::vector<std::vector<float>> embeddings(static_cast<std::size_t>(types));
  const adam_options adam_o{.learning_rate = o.learning_rate, .weight_decay = o.weight_decay};
  std::vector<row_adam<float>> embedding_adam;
  for (std::int32_t t = 0; t < types; ++t) {
    const auto n = schema.num_vertices(t);
    if (data.types[static_cast<std::size_t>(t)].feature_dim == 0) {
      auto& e = embeddings[static_cast<std::size_t>(t)];
      e.resize(static_cast<std::size_t>(n * in));
      const double bound = std::sqrt(3.0 / static_cast<double>(in));
      for (std::int64_t v = 0; v < n; ++v) {
        matsample::philox_row_stream rng(o.seed, embedding_stream + 0x80 + static_cast<std::uint64_t>(t),
                                         {static_cast<std::uint64_t>(v), 0, 0});
        for (std::int64_t j = 0; j < in; ++j) {
          e[static_cast<std::size_t>(v * in + j)] =
              static_cast<float>(bound * (2 * rng.uniform(static_cast<std::uint64_t>(j)) - 1));
        }
      }
    }
    embedding_adam.emplace_back(data.types[static_cast<std::size_t>(t)].feature_dim == 0 ? n : 0, in,
                                adam_options{.learning_rate = o.learning_rate});
  }
  rgcn_shape shape{in, o.hidden, target.num_classes(), o.layers, o.bases, {}, {}, types};
  for (const auto& rel : schema.relations) {
    shape.row_type.push_back(rel.row_type);
    shape.col_type.push_back(rel.col_type);
  }
  rgcn<float> net(shape);
  net.initialize(o.seed);
  adam<float> opt(net.parameters().size(), adam_o, net.weight_ranges());

  const matsample::cpu_backend cpu;
  const auto view = data.graph.view();
  const matsample::typed_nodewise_sampler sampler(cpu, view);
  const matsample::typed_nodewise_options sample_options{.fanouts = matsample::uniform_fanouts(schema, o.fanouts),
                                                         .seed = o.seed};
  const auto inputs_of = [&](const matsample::typed_bulk_sample<float, I, O>& s, std::int64_t m) {
    std::vector<matrix<float>> x(static_cast<std::size_t>(types));
    for (std::int32_t t = 0; t < types; ++t) {
      const auto nodes = s[m].input_nodes(t);
      const auto& tv = data.types[static_cast<std::size_t>(t)];
      const auto& table = tv.feature_dim > 0 ? tv.features : embeddings[static_cast<std::size_t>(t)];
      x[t].resize(static_cast<Eigen::Index>(nodes.size()), in);
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        x[t].row(static_cast<Eigen::Index>(i)) =
            Eigen::Map<const row_vector<float>>(table.data() + static_cast<std::size_t>(nodes[i]) * in, in);
      }
    }
    return x;
  };
  const auto seeds_of = [&](std::span<const I> ids, std::uint64_t epoch) {
    return matsample::typed_batch_list<I>::of_type(types, o.target_type,
                                                   matsample::batch_list<I>::uniform(ids, o.batch_size, epoch));
  };
  const auto accuracy = [&](const std::vector<I>& ids) {
    if (ids.empty()) return 0.0;
    const auto s = sampler(seeds_of(ids, 1u << 30), sample_options);  // its own epoch number: fixed draws
    std::int64_t correct = 0;
    for (std::int64_t m = 0; m < s.size(); ++m) {
      const auto g = make_typed_minibatch<float>(s, m);
      const auto& logits = net.forward(g, inputs_of(s, m), o.target_type);
      const auto seeds = s[m].seeds(o.target_type);
      for (std::size_t i = 0; i < seeds.size(); ++i) {
        Eigen::Index best = 0;
        logits.row(static_cast<Eigen::Index>(i)).maxCoeff(&best);
        correct += best == target.labels[static_cast<std::size_t>(seeds[i])];
      }
    }
    return static_cast<double>(correct) / static_cast<double>(ids.size());
  };

  rgcn_run run;
  auto& out = run.epochs;
  auto& best_epoch = run.best_epoch;
  const auto& train = target.splits.at("train");
  double best_valid = 0;
  std::vector<float> best_parameters;
  std::vector<std::vector<float>> best_embeddings;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const matsample::epoch_batches<I> order(train, o.batch_size, o.seed, static_cast<std::uint64_t>(epoch));
    const auto s = sampler(matsample::typed_batch_list<I>::of_type(types, o.target_type, order.bulk(0, order.size())),
                           sample_options);
    rgcn_epoch e{epoch};
    std::int64_t correct = 0;
    for (std::int64_t m = 0; m < s.size(); ++m) {
      const auto g = make_typed_minibatch<float>(s, m);
      const auto seeds = s[m].seeds(o.target_type);
      std::vector<std::int32_t> labels(seeds.size());
      for (std::size_t i = 0; i < seeds.size(); ++i) labels[i] = target.labels[static_cast<std::size_t>(seeds[i])];
      const dropout_key key{o.seed, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(m)};
      const auto& logits = net.forward(g, inputs_of(s, m), o.target_type, o.dropout, key);
      matrix<float> dlogits;
      const auto loss = softmax_cross_entropy<float>(logits, labels, dlogits);
      e.loss += loss.loss * static_cast<double>(seeds.size());
      correct += loss.correct;
      std::vector<matrix<float>> dx;
      net.backward(g, dlogits, o.target_type, &dx);
      opt.step(net.parameters(), net.gradients());
      for (std::int32_t t = 0; t < types; ++t) {
        if (data.types[static_cast<std::size_t>(t)].feature_dim > 0) continue;
        const auto nodes = s[m].input_nodes(t);
        if (nodes.empty()) continue;
        embedding_adam[static_cast<std::size_t>(t)].step(std::span<float>(embeddings[static_cast<std::size_t>(t)]),
                                                         nodes, dx[static_cast<std::size_t>(t)]);
      }
    }
    e.loss /= static_cast<double>(train.size());
    e.train_accuracy = static_cast<double>(correct) / static_cast<double>(train.size());
    e.valid_accuracy = accuracy(target.splits.at("valid"));
    e.test_accuracy = accuracy(target.splits.at("test"));
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (report) report(e);
    out.push_back(e);
    if (best_epoch < 0 || e.valid_accuracy > best_valid) {
      best_epoch = epoch;
      best_valid = e.valid_accuracy;
      if (o.restore_best) {
        best_parameters.assign(net.parameters().begin(), net.parameters().end());
        best_embeddings = embeddings;
      }
    }
    if (o.patience > 0 && epoch - best_epoch >= o.patience && epoch + 1 < o.epochs) {
      run.stopped_early = true;
      break;
    }
  }
  if (!out.empty()) run.final_epoch = out.back();
  if (o.restore_best && best_epoch >= 0) {
    std::copy(best_parameters.begin(), best_parameters.end(), net.parameters().begin());
    embeddings = std::move(best_embeddings);
    // The evaluation draws are fixed, so the restored model scores the best epoch's figures again.
    run.final_epoch = out[static_cast<std::size_t>(best_epoch)];
    run.final_epoch.valid_accuracy = accuracy(target.splits.at("valid"));
    run.final_epoch.test_accuracy = accuracy(target.splits.at("test"));
  }
  return run;
}

}  // namespace graphsage
