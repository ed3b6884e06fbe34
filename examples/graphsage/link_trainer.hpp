#pragma once
// Link prediction training: the GraphSAGE encoder plus a pair predictor
// (dot product or MLP), trained with binary cross-entropy over each
// minibatch's positive pairs and its sampled negatives. Each epoch shuffles
// the training pairs (epoch_edge_batches), samples k minibatches per call
// with matsample's link_sampler (negatives, seeds, the blocks with the
// minibatch's own edges and their reverses masked out), and trains them one
// by one. Evaluation embeds every vertex by full-neighbour inference on the
// training graph and ranks the held-out positives against the split's fixed
// negatives: ROC-AUC, average precision, Hits@K and MRR.
//
// The edge split (matsample::random_edge_split) is leak-free: the training
// graph lacks the valid and test edges and their reverses. The same seed and
// thread count give the same losses bit for bit.

#include <omp.h>

#include <Eigen/Core>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "adam.hpp"
#include "inputs.hpp"
#include "layers.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/edge_split.hpp"
#include "matsample/sampling/labor.hpp"
#include "matsample/sampling/link.hpp"
#include "matsample/sampling/nodewise.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "trainer.hpp"

namespace graphsage {

/// Philox key word of the MLP predictor's initialisation (the application's range).
inline constexpr std::uint64_t predictor_stream = 0x6772'6170'6873'0400ULL;
static_assert(predictor_stream >= matsample::streams::max_layers &&
              predictor_stream < matsample::streams::first_library);

/// Scores pairs of embeddings and back-propagates through the scores: the
/// dot product (no parameters) or a two-layer MLP on h_u ⊙ h_v.
class pair_predictor {
 public:
  pair_predictor(predictor_kind kind, std::int64_t dim, std::uint64_t seed) : kind_(kind), dim_(dim) {
    if (kind_ != predictor_kind::mlp) return;
    params_.assign(static_cast<std::size_t>(dim * dim + 2 * dim + 1), 0.0F);
    grads_.assign(params_.size(), 0.0F);
    // Glorot-uniform W1 (dim x dim) and w2 (dim x 1); zero biases.
    const auto fill = [&](std::int64_t offset, std::int64_t rows, std::int64_t cols, std::uint64_t which) {
      const double bound = std::sqrt(6.0 / static_cast<double>(rows + cols));
      for (std::int64_t r = 0; r < rows; ++r) {
        matsample::philox_row_stream rng(seed, predictor_stream, {which, static_cast<std::uint64_t>(r), 0});
        for (std::int64_t c = 0; c < cols; ++c) {
          params_[static_cast<std::size_t>(offset + r * cols + c)] =
              static_cast<float>(bound * (2 * rng.uniform(static_cast<std::uint64_t>(c)) - 1));
        }
      }
    };
    fill(0, dim, dim, 0);
    fill(dim * dim + dim, dim, 1, 1);
  }

  [[nodiscard]] std::span<float> parameters() noexcept { return params_; }
  [[nodiscard]] std::span<const float> parameters() const noexcept { return params_; }
  [[nodiscard]] std::span<const float> gradients() const noexcept { return grads_; }
  /// [begin, end) of the weight matrices, for weight decay.
  [[nodiscard]] std::vector<std::pair<std::int64_t, std::int64_t>> weight_ranges() const {
    if (kind_ != predictor_kind::mlp) return {};
    return {{0, dim_ * dim_}, {dim_ * dim_ + dim_, dim_ * dim_ + 2 * dim_}};
  }

  /// Scores of the pairs (hu.row(i), hv.row(i)); keeps what backward() needs.
  Eigen::VectorXf forward(const matrix<float>& hu, const matrix<float>& hv) {
    z_ = hu.cwiseProduct(hv);
    if (kind_ == predictor_kind::dot) return z_.rowwise().sum();
    hidden_ = z_ * w1();
    hidden_.rowwise() += b1();
    hidden_ = relu(hidden_);
    return (hidden_ * w2()).array() + b2();
  }

  /// Given d(loss)/d(scores) of the last forward(), writes the predictor's
  /// gradients and returns d(loss)/d(hu) and d(loss)/d(hv).
  std::pair<matrix<float>, matrix<float>> backward(const matrix<float>& hu, const matrix<float>& hv,
                                                   const Eigen::VectorXf& dscores) {
    matrix<float> dz;
    if (kind_ == predictor_kind::dot) {
      dz = dscores.asDiagonal() * matrix<float>::Ones(hu.rows(), hu.cols());
    } else {
      const matrix<float> dhidden_pre =
          (dscores * w2().transpose()).cwiseProduct((hidden_.array() > 0).cast<float>().matrix());
      grad_w1() = z_.transpose() * dhidden_pre;
      grad_b1() = dhidden_pre.colwise().sum();
      grad_w2() = hidden_.transpose() * dscores;
      grads_.back() = dscores.sum();
      dz = dhidden_pre * w1().transpose();
    }
    return {dz.cwiseProduct(hv), dz.cwiseProduct(hu)};
  }

 private:
  using map = Eigen::Map<matrix<float>>;
  using const_map = Eigen::Map<const matrix<float>>;
  [[nodiscard]] const_map w1() const { return const_map(params_.data(), dim_, dim_); }
  [[nodiscard]] Eigen::Map<const row_vector<float>> b1() const {
    return Eigen::Map<const row_vector<float>>(params_.data() + dim_ * dim_, dim_);
  }
  [[nodiscard]] Eigen::Map<const Eigen::VectorXf> w2() const {
    return Eigen::Map<const Eigen::VectorXf>(params_.data() + dim_ * dim_ + dim_, dim_);
  }
  [[nodiscard]] float b2() const { return params_.back(); }
  map grad_w1() { return map(grads_.data(), dim_, dim_); }
  Eigen::Map<row_vector<float>> grad_b1() { return Eigen::Map<row_vector<float>>(grads_.data() + dim_ * dim_, dim_); }
  Eigen::Map<Eigen::VectorXf> grad_w2() {
    return Eigen::Map<Eigen::VectorXf>(grads_.data() + dim_ * dim_ + dim_, dim_);
  }

  predictor_kind kind_;
  std::int64_t dim_;
  aligned_vector<float> params_, grads_;  // W1 (dim x dim), b1 (dim), w2 (dim), b2
  matrix<float> z_, hidden_;
};

/// Link metrics per held-out split ("valid", "test").
struct link_evaluation {
  std::map<std::string, link_metrics> splits;
  [[nodiscard]] double roc_auc(const std::string& split) const {
    const auto it = splits.find(split);
    return it == splits.end() ? std::numeric_limits<double>::quiet_NaN() : it->second.roc_auc;
  }
};

struct link_epoch_stats {
  std::int64_t epoch = 0;
  std::int64_t minibatches = 0;
  double loss = 0;  ///< mean binary cross-entropy over the epoch's pairs
  double seconds = 0;
  time_split time;
  std::optional<link_evaluation> eval;
};

struct link_training_report {
  trainer_options options;  ///< resolved
  std::string sampler;
  std::int64_t parameters = 0;
  std::vector<link_epoch_stats> epochs;
  link_evaluation final_eval;
  std::int64_t best_epoch = -1;  ///< the evaluated epoch with the best valid ROC-AUC (first of ties)
  double best_value = std::numeric_limits<double>::quiet_NaN();  ///< that ROC-AUC
  link_evaluation best_eval;
  bool stopped_early = false;  ///< patience ran out before the last epoch
  std::int64_t dropped_negatives = 0;
  time_split time;
  double seconds = 0;
};

template <matsample::index_type I, matsample::index_type O>
class link_trainer {
 public:
  using data_view = matsample::graph_data_view<float, I, O>;
  using split_type = matsample::edge_split<float, I, O>;
  using sample_type = matsample::link_sample<float, I, O>;
  using progress_callback = std::function<void(std::int64_t, std::int64_t)>;

  /// Trains on split.train_graph and split.train; `data` gives the features.
  /// Both must outlive the trainer.
  link_trainer(const data_view& data, const split_type& split, const trainer_options& options)
      : options_(resolve(options)),
        data_(data),
        split_(&split),
        cpu_(options_.sampling_threads > 0 ? options_.sampling_threads : options_.threads),
        model_(network_shape(
            layer_kind::sage,
            input_dim(resolve_inputs(options_.inputs, data.feature_dim), data.feature_dim, options_.embedding_dim),
            options_.hidden, options_.hidden, options_.layers,
            {.residual = options_.residual, .layer_norm = options_.layer_norm})),
        predictor_(options_.predictor, options_.hidden, options_.seed),
        optimizer_(model_.parameters().size(),
                   {.learning_rate = options_.learning_rate, .weight_decay = options_.weight_decay},
                   model_.weight_ranges()),
        predictor_optimizer_(predictor_.parameters().size(),
                             {.learning_rate = options_.learning_rate, .weight_decay = options_.weight_decay},
                             predictor_.weight_ranges()) {
    using matsample::argument_error;
    if (options_.threads > 0) {
      omp_set_num_threads(options_.threads);
      Eigen::setNbThreads(options_.threads);
    }
    options_.inputs = resolve_inputs(options_.inputs, data.feature_dim);
    if (options_.inputs == input_features::data &&
        static_cast<std::int64_t>(data.features.size()) != data.num_vertices() * data.feature_dim) {
      throw argument_error("data: need node features for input features 'data'");
    }
    if (split.train.size() == 0) throw argument_error("link prediction: the split has no training edges");
    if ((options_.patience > 0 || options_.restore_best) && split.valid.size() == 0) {
      throw argument_error(
          "link prediction: --patience and --restore-best select on valid edges, and the split has none");
    }
    inputs_.emplace(data_, split.train_graph.view(), options_.inputs, options_.embedding_dim,
                    options_.row_normalize_features, options_.seed, options_.learning_rate);
    model_.initialize(options_.seed);
    bind_sampler();
    batches_per_epoch_ =
        (static_cast<std::int64_t>(split.train.size()) + options_.batch_size - 1) / options_.batch_size;
    options_.bulk = std::max<std::int64_t>(1, std::min(options_.bulk, batches_per_epoch_));
    if (options_.threads == 0) options_.threads = omp_get_max_threads();
    if (options_.sampling_threads == 0) options_.sampling_threads = cpu_.threads();
    options_.background_sampling = false;  // sampling runs in the training thread
  }

  link_trainer(const link_trainer&) = delete;
  link_trainer& operator=(const link_trainer&) = delete;

  [[nodiscard]] const trainer_options& options() const noexcept { return options_; }
  [[nodiscard]] const std::string& sampler_name() const noexcept { return sampler_name_; }
  [[nodiscard]] std::int64_t batches_per_epoch() const noexcept { return batches_per_epoch_; }
  [[nodiscard]] std::int64_t parameters() const noexcept {
    return static_cast<std::int64_t>(model_.parameters().size() + predictor_.parameters().size());
  }

  /// Trains epoch `epoch` (epochs in order from 0).
  link_epoch_stats train_epoch(std::int64_t epoch, const progress_callback& progress = {}) {
    const auto start = clock::now();
    link_epoch_stats s;
    s.epoch = epoch;
    const matsample::epoch_edge_batches<I> batches(split_->train.src, split_->train.dst, options_.batch_size,
                                                   options_.seed, static_cast<std::uint64_t>(epoch));
    double loss_sum = 0;
    std::int64_t pairs = 0;
    for (std::int64_t first = 0; first < batches.size(); first += options_.bulk) {
      auto t = clock::now();
      const sample_type sample = sample_(batches.bulk(first, options_.bulk));
      s.time.sample += seconds_since(t);
      dropped_negatives_ += sample.dropped_negatives;
      for (std::int64_t m = 0; m < sample.blocks.size(); ++m) {
        const auto mb = sample.blocks[m];
        t = clock::now();
        matrix<float> x = inputs_->gather(mb.input_nodes());
        s.time.gather += seconds_since(t);
        t = clock::now();
        const dropout_key key{options_.seed, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(first + m)};
        const auto [loss, count] = step(sample, m, std::move(x), key);
        s.time.compute += seconds_since(t);
        loss_sum += loss * static_cast<double>(count);
        pairs += count;
        ++s.minibatches;
        if (progress) progress(s.minibatches, batches_per_epoch_);
      }
    }
    s.loss = loss_sum / static_cast<double>(pairs);
    s.seconds = seconds_since(start);
    return s;
  }

  /// Embeds every vertex by full-neighbour inference on the training graph,
  /// then ranks each held-out part's positives against its fixed negatives.
  link_evaluation evaluate() {
    if (!eval_graph_) eval_graph_ = make_aggregation<float>(split_->train_graph.view(), block_weights::row_normalized);
    const matrix<float> h = infer_all_vertices(model_, *eval_graph_, inputs_->all());
    link_evaluation out;
    const auto scores = [&](const matsample::edge_pairs<I>& p) {
      const auto hu = gather_rows(h, std::span<const I>(p.src)), hv = gather_rows(h, std::span<const I>(p.dst));
      const Eigen::VectorXf s = predictor_.forward(hu, hv);
      return std::vector<double>(s.data(), s.data() + s.size());
    };
    for (const auto& [name, pos, neg] : {std::tuple{"valid", &split_->valid, &split_->valid_negatives},
                                         std::tuple{"test", &split_->test, &split_->test_negatives}}) {
      if (pos->size() == 0) continue;
      out.splits[name] = evaluate_link_scores(scores(*pos), scores(*neg));
    }
    return out;
  }

  /// All epochs, evaluating every eval_every epochs and after the last.
  link_training_report run(const std::function<void(const link_epoch_stats&)>& on_epoch = {},
                           const progress_callback& progress = {}) {
    link_training_report report;
    report.options = options_;
    report.sampler = sampler_name_;
    report.parameters = parameters();
    std::vector<float> best_model, best_predictor, best_inputs;
    run_epochs(
        report, options_, 0, [&](std::int64_t e) { return train_epoch(e, progress); }, [&] { return evaluate(); },
        [](const link_evaluation& e) { return e.roc_auc("valid"); }, on_epoch,
        [&] {
          best_model.assign(model_.parameters().begin(), model_.parameters().end());
          best_predictor.assign(predictor_.parameters().begin(), predictor_.parameters().end());
          best_inputs = inputs_->learned_values();
        },
        [&] {
          std::copy(best_model.begin(), best_model.end(), model_.parameters().begin());
          std::copy(best_predictor.begin(), best_predictor.end(), predictor_.parameters().begin());
          inputs_->restore_learned_values(best_inputs);
        });
    report.dropped_negatives = dropped_negatives_;
    return report;
  }

 private:
  using clock = std::chrono::steady_clock;
  static double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

  /// One minibatch: encoder forward, scores of its positive and negative
  /// pairs, binary cross-entropy (mean over pairs), backward, Adam steps.
  /// Returns the loss and the number of pairs.
  std::pair<double, std::int64_t> step(const sample_type& sample, std::int64_t m, matrix<float> x,
                                       const dropout_key& key) {
    const auto mb = sample.blocks[m];
    std::vector<aggregation<float>> blocks;
    for (std::size_t l = 0; l < mb.num_layers(); ++l) {
      blocks.push_back(make_aggregation<float>(mb.block(l), block_weights::row_normalized));
    }
    const matrix<float>& h = model_.forward(blocks, std::move(x), options_.dropout, key);
    // Positives then negatives, as one list of pairs in local ids.
    const auto [ps, pd] = sample.positives.batch(m);
    const auto [ns, nd] = sample.negatives.batch(m);
    std::vector<I> src(ps.begin(), ps.end()), dst(pd.begin(), pd.end());
    src.insert(src.end(), ns.begin(), ns.end());
    dst.insert(dst.end(), nd.begin(), nd.end());
    const auto count = static_cast<std::int64_t>(src.size());
    const matrix<float> hu = gather_rows(h, std::span<const I>(src)), hv = gather_rows(h, std::span<const I>(dst));
    const Eigen::VectorXf scores = predictor_.forward(hu, hv);
    // Binary cross-entropy with logits, stably: softplus(s) - y·s.
    Eigen::VectorXf dscores(count);
    double loss = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      const double s = scores[i], y = i < static_cast<std::int64_t>(ps.size()) ? 1.0 : 0.0;
      loss += std::max(s, 0.0) - s * y + std::log1p(std::exp(-std::abs(s)));
      dscores[i] = static_cast<float>((1.0 / (1.0 + std::exp(-s)) - y) / static_cast<double>(count));
    }
    const auto [dhu, dhv] = predictor_.backward(hu, hv, dscores);
    matrix<float> dh = matrix<float>::Zero(h.rows(), h.cols());
    for (std::int64_t i = 0; i < count; ++i) {
      dh.row(src[static_cast<std::size_t>(i)]) += dhu.row(i);
      dh.row(dst[static_cast<std::size_t>(i)]) += dhv.row(i);
    }
    matrix<float> input_gradient;
    const bool learned = inputs_->learned();
    model_.backward(blocks, std::move(dh), learned ? &input_gradient : nullptr);
    if (learned) inputs_->accumulate(mb.input_nodes(), std::move(input_gradient));
    optimizer_.step(model_.parameters(), model_.gradients());
    predictor_optimizer_.step(predictor_.parameters(), predictor_.gradients());
    inputs_->update();
    return {loss / static_cast<double>(count), count};
  }

  /// Binds the node sampler the options name into a link sampler over the
  /// training graph; sample_ then only calls it.
  void bind_sampler() {
    using namespace matsample;
    sampler_name_ = to_string(options_.sampler);
    const link_options lo{.negatives = {.per_positive = options_.negatives, .seed = options_.seed},
                          .exclude = options_.exclude};
    const auto graph = split_->train_graph.view();
    // The node sampler and the link sampler that wraps it are built once;
    // the link sampler keeps a pointer to the node sampler.
    const auto bind = [&](auto nodes, auto node_options) {
      using nodes_type = decltype(nodes);
      auto owned_nodes = std::make_shared<const nodes_type>(std::move(nodes));
      auto link = std::make_shared<const link_sampler<nodes_type, csr_view<float, I, O>>>(*owned_nodes, graph, lo);
      sample_ = [owned_nodes, link, node_options](const edge_batch_list<I>& edges) {
        return (*link)(edges, node_options);
      };
    };
    if (options_.sampler == sampler_kind::labor) {
      return bind(labor_sampler(cpu_, graph), labor_options{.fanouts = options_.fanouts,
                                                            .importance_iterations = options_.labor_importance,
                                                            .seed = options_.seed});
    }
    bind(nodewise_sampler(cpu_, graph), nodewise_options{.fanouts = options_.fanouts, .seed = options_.seed});
  }

  trainer_options options_;
  data_view data_;
  const split_type* split_;
  matsample::cpu_backend cpu_;
  model<float> model_;
  pair_predictor predictor_;
  adam<float> optimizer_;
  adam<float> predictor_optimizer_;
  std::optional<input_table<I, O>> inputs_;
  std::string sampler_name_;
  std::function<sample_type(const matsample::edge_batch_list<I>&)> sample_;
  std::int64_t batches_per_epoch_ = 0;
  std::int64_t dropped_negatives_ = 0;
  std::optional<aggregation<float>> eval_graph_;  ///< every vertex's training-graph neighbourhood, global ids
};

}  // namespace graphsage
