#pragma once
// The training loop. Each epoch shuffles the training vertices, cuts them
// into batches and samples them k at a time (one bulk call per k
// minibatches); the minibatches of a bulk are then trained one by one while a
// background thread samples the next bulk. A step is gather_features(),
// then compute_gradients() (forward, backward into the model's flat gradient
// buffer), then apply_update() (Adam), so a data-parallel trainer can
// all-reduce the buffer before the update.
//
// Reproducibility: shuffling, sampling, dropout and initialisation draw from
// Philox streams addressed by (seed, epoch, minibatch, row), and every
// reduction runs in a fixed order, so the same seed and thread count give the
// same losses bit for bit, whatever the bulk size and whether or not sampling
// runs in the background.

#include <omp.h>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adam.hpp"
#include "inputs.hpp"
#include "layers.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/error.hpp"
#include "matsample/io/dataset.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/link.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "samplers.hpp"

namespace graphsage {

enum class sampler_kind { nodewise, labor, ladies, fastgcn };
enum class model_kind {
  automatic,  ///< sage for the node-wise sampler, gcn for the layer-wise ones
  sage,
  gcn,
  mlp,  ///< no graph: the features alone, the baseline the graph must beat
};

inline const char* to_string(sampler_kind k) {
  switch (k) {
    case sampler_kind::nodewise:
      return "nodewise";
    case sampler_kind::labor:
      return "labor";
    case sampler_kind::ladies:
      return "ladies";
    case sampler_kind::fastgcn:
      return "fastgcn";
  }
  return "?";
}
inline const char* to_string(model_kind k) {
  switch (k) {
    case model_kind::automatic:
      return "auto";
    case model_kind::sage:
      return "sage";
    case model_kind::gcn:
      return "gcn";
    case model_kind::mlp:
      return "mlp";
  }
  return "?";
}

/// What the model learns.
enum class task_kind {
  node,  ///< vertex labels (classification), the default
  link,  ///< missing edges: the encoder plus a pair predictor (link_trainer.hpp)
};
/// How link prediction scores a pair from its endpoints' embeddings.
enum class predictor_kind {
  dot,  ///< <h_u, h_v> (GAE's decoder)
  mlp,  ///< w2 · relu(W1 (h_u ⊙ h_v) + b1) + b2 (PyG's and OGB's link predictor)
};
inline const char* to_string(task_kind k) { return k == task_kind::link ? "link" : "node"; }

/// The validation metric that picks the best epoch and drives early stopping.
enum class select_metric {
  automatic,  ///< roc_auc for two classes (and for link prediction), accuracy otherwise
  accuracy,
  roc_auc,  ///< two classes only: class 1 is the positive one
};
inline const char* to_string(select_metric m) {
  return m == select_metric::accuracy ? "accuracy" : m == select_metric::roc_auc ? "roc_auc" : "auto";
}
inline const char* to_string(predictor_kind k) { return k == predictor_kind::mlp ? "mlp" : "dot"; }
inline const char* to_string(matsample::edge_exclusion e) {
  return e == matsample::edge_exclusion::none ? "none" : e == matsample::edge_exclusion::self ? "self" : "reverse";
}

inline constexpr std::int64_t default_fanout = 10;
inline constexpr std::int64_t default_sample_size = 512;

struct trainer_options {
  sampler_kind sampler = sampler_kind::nodewise;
  model_kind model = model_kind::automatic;
  std::int64_t layers = 2;
  std::int64_t hidden = 64;
  /// Node-wise neighbours per vertex, hop 1 (the seeds' neighbours) first;
  /// -1 keeps all. Empty: default_fanout for every layer.
  std::vector<std::int64_t> fanouts{};
  /// Layer-wise vertices per layer, hop 1 first; -1 takes every candidate.
  /// Empty: default_sample_size for every layer.
  std::vector<std::int64_t> sample_sizes{};
  /// LABOR's importance-sampling rounds (labor_options::importance_iterations):
  /// 0 is LABOR-0, i > 0 LABOR-i, -1 until converged.
  int labor_importance = 0;
  std::int64_t batch_size = 256;
  std::int64_t bulk = 8;  ///< minibatches per sampling call (k)
  std::int64_t epochs = 20;
  double learning_rate = 0.01;
  double weight_decay = 5e-4;
  double dropout = 0.5;
  std::uint64_t seed = 1;
  int threads = 0;  ///< OpenMP and Eigen threads (0: OpenMP's default)
  /// Threads of the sampling calls (0: 1 when sampling runs in the
  /// background, so that it leaves the cores to training, else `threads`).
  int sampling_threads = 0;
  std::int64_t eval_every = 1;  ///< evaluate every this many epochs (and after the last)
  bool background_sampling = true;
  bool row_normalize_features = false;  ///< divide each feature row by its sum (as for Cora's bag of words)
  input_features inputs = input_features::automatic;  ///< resolved by the trainer against the data
  std::int64_t embedding_dim = 64;                    ///< width of input_features::embedding
  task_kind task = task_kind::node;                   ///< vertex labels or links
  // Link prediction (task_kind::link) only:
  predictor_kind predictor = predictor_kind::dot;  ///< how a pair is scored
  std::int64_t negatives = 1;                      ///< uniform negatives per positive pair in training
  /// Edges masked out of each minibatch's blocks: its positives and their
  /// reverses by default (DGL's exclude='reverse_id'), so the model never
  /// reads the edge it is asked to predict.
  matsample::edge_exclusion exclude = matsample::edge_exclusion::reverse;
  double valid_fraction = 0.05;  ///< edges held out for validation (a new split only)
  double test_fraction = 0.10;   ///< edges held out for testing (a new split only)
  // Model and selection:
  bool residual = false;    ///< a skip connection around each hidden layer (projected where widths differ)
  bool layer_norm = false;  ///< layer normalisation, learned scale and shift, in each hidden layer
  /// The metric whose best validation value picks best_epoch; resolved by
  /// the trainer against the number of classes.
  select_metric select_by = select_metric::automatic;
  /// Stop once this many epochs have passed since the best validation
  /// value (checked at each evaluation); 0 trains every epoch.
  std::int64_t patience = 0;
  /// After training, put back the parameters of the best epoch and report
  /// its evaluation as the final one.
  bool restore_best = false;
};

/// Fills the defaults that depend on other options and checks everything;
/// throws matsample::argument_error saying which option is wrong. Resolving
/// resolved options changes nothing.
inline trainer_options resolve(trainer_options o) {
  using matsample::argument_error;
  using matsample::detail::concat;
  if (o.layers < 1) throw argument_error(concat("layers: need at least 1, got ", o.layers));
  if (o.labor_importance < -1) {
    throw argument_error(concat("labor importance: ", o.labor_importance, "; use 0, a positive count, or -1"));
  }
  if (o.labor_importance != 0 && o.sampler != sampler_kind::labor) {
    throw argument_error(concat("labor importance applies to the labor sampler, not ", to_string(o.sampler)));
  }
  const bool layerwise = o.sampler == sampler_kind::ladies || o.sampler == sampler_kind::fastgcn;
  if (o.task == task_kind::link) {  // before the model is resolved from the sampler
    if (o.sampler != sampler_kind::nodewise && o.sampler != sampler_kind::labor) {
      throw argument_error(concat("link prediction samples with nodewise or labor, not ", to_string(o.sampler)));
    }
    if (o.model != model_kind::automatic && o.model != model_kind::sage) {
      throw argument_error(concat("link prediction trains the sage model, not ", to_string(o.model)));
    }
    if (o.negatives < 1) throw argument_error(concat("negatives: need at least 1 per positive, got ", o.negatives));
    if (!(o.valid_fraction >= 0 && o.test_fraction >= 0 && o.valid_fraction + o.test_fraction < 1)) {
      throw argument_error(concat("valid and test fractions: need >= 0 with a sum below 1, got ", o.valid_fraction,
                                  " and ", o.test_fraction));
    }
  }
  if (o.model == model_kind::automatic) o.model = layerwise ? model_kind::gcn : model_kind::sage;
  // Only the list the sampler uses is filled in; giving the other one is a
  // mistake worth reporting (the MLP samples nothing and ignores both).
  if (o.model != model_kind::mlp) {
    if (layerwise && !o.fanouts.empty()) {
      throw argument_error(
          concat("fanouts apply to the node-wise sampler and labor; ", to_string(o.sampler), " takes sample sizes"));
    }
    if (!layerwise && !o.sample_sizes.empty()) {
      throw argument_error(
          concat("sample sizes apply to the ladies and fastgcn samplers; ", to_string(o.sampler), " takes fanouts"));
    }
    auto& sizes = layerwise ? o.sample_sizes : o.fanouts;
    const char* what = layerwise ? "sample sizes" : "fanouts";
    if (sizes.empty()) {
      sizes.assign(static_cast<std::size_t>(o.layers), layerwise ? default_sample_size : default_fanout);
    }
    if (static_cast<std::int64_t>(sizes.size()) != o.layers) {
      throw argument_error(
          concat(what, ": ", sizes.size(), " given for ", o.layers, " layers (one per layer, hop 1 first)"));
    }
    for (std::size_t l = 0; l < sizes.size(); ++l) {
      if (sizes[l] == 0 || sizes[l] < -1) {
        throw argument_error(concat(what, ": ", sizes[l], " at hop ", l + 1, "; use a positive count or -1 for all"));
      }
    }
  }
  if (o.hidden < 1) throw argument_error(concat("hidden: need at least 1, got ", o.hidden));
  if (o.batch_size < 1) throw argument_error(concat("batch size: need at least 1, got ", o.batch_size));
  if (o.bulk < 1) throw argument_error(concat("bulk: need at least 1 minibatch per call, got ", o.bulk));
  if (o.epochs < 1) throw argument_error(concat("epochs: need at least 1, got ", o.epochs));
  if (!(o.learning_rate > 0)) throw argument_error(concat("learning rate: must be positive, got ", o.learning_rate));
  if (!(o.weight_decay >= 0)) throw argument_error(concat("weight decay: must be >= 0, got ", o.weight_decay));
  if (!(o.dropout >= 0 && o.dropout < 1)) throw argument_error(concat("dropout: must be in [0, 1), got ", o.dropout));
  if (o.threads < 0) throw argument_error(concat("threads: must be >= 0, got ", o.threads));
  if (o.sampling_threads < 0) throw argument_error(concat("sampling threads: must be >= 0, got ", o.sampling_threads));
  if (o.eval_every < 1) throw argument_error(concat("eval every: need at least 1, got ", o.eval_every));
  if (o.embedding_dim < 1) throw argument_error(concat("embedding dim: need at least 1, got ", o.embedding_dim));
  if (o.patience < 0) throw argument_error(concat("patience: must be >= 0 (0: no early stopping), got ", o.patience));
  if (o.task == task_kind::link) {
    if (o.select_by == select_metric::accuracy) {
      throw argument_error("select by: link prediction selects by roc_auc, not accuracy");
    }
    o.select_by = select_metric::roc_auc;
  }
  return o;
}

/// `o.select_by` resolved for a node task with `classes` classes; throws
/// argument_error for ROC-AUC on more than two.
inline select_metric resolve_selection(select_metric m, std::int64_t classes) {
  if (m == select_metric::automatic) return classes == 2 ? select_metric::roc_auc : select_metric::accuracy;
  if (m == select_metric::roc_auc && classes != 2) {
    throw matsample::argument_error(
        matsample::detail::concat("select by roc_auc: needs two classes, the data has ", classes));
  }
  return m;
}

/// Metrics per split ("train", "valid", "test", whichever the data has).
struct evaluation {
  std::map<std::string, split_metrics> splits;
  [[nodiscard]] double accuracy(const std::string& split) const {
    const auto it = splits.find(split);
    return it == splits.end() ? std::numeric_limits<double>::quiet_NaN() : it->second.accuracy;
  }
  [[nodiscard]] double roc_auc(const std::string& split) const {
    const auto it = splits.find(split);
    return it == splits.end() || !it->second.roc_auc ? std::numeric_limits<double>::quiet_NaN() : *it->second.roc_auc;
  }
  /// `m` (resolved) on `split`.
  [[nodiscard]] double metric(select_metric m, const std::string& split) const {
    return m == select_metric::roc_auc ? roc_auc(split) : accuracy(split);
  }
};

/// Seconds spent per kind of work.
struct time_split {
  double sample = 0;   ///< sampling calls (in the background thread when it is on)
  double wait = 0;     ///< the training thread waiting for a sample: what overlap did not hide
  double gather = 0;   ///< copying input feature rows
  double compute = 0;  ///< forward, backward and update
  double eval = 0;     ///< full-neighbour evaluation

  time_split& operator+=(const time_split& o) {
    sample += o.sample;
    wait += o.wait;
    gather += o.gather;
    compute += o.compute;
    eval += o.eval;
    return *this;
  }
};

struct epoch_stats {
  std::int64_t epoch = 0;
  std::int64_t minibatches = 0;
  double loss = 0;            ///< mean training loss over the epoch's seeds
  double train_accuracy = 0;  ///< on the training minibatches, with dropout
  double seconds = 0;         ///< wall time of the epoch, evaluation included
  time_split time;
  std::optional<evaluation> eval;
};

struct training_report {
  trainer_options options;  ///< resolved
  std::string sampler;      ///< the strategy that ran ("none" for the MLP)
  std::int64_t parameters = 0;
  std::vector<epoch_stats> epochs;
  evaluation final_eval;         ///< after the last epoch (at best_epoch with restore_best)
  std::int64_t best_epoch = -1;  ///< the evaluated epoch with the best valid options.select_by (first of ties)
  double best_value = std::numeric_limits<double>::quiet_NaN();  ///< that metric's value at best_epoch
  evaluation best_eval;                                          ///< the metrics at best_epoch
  bool stopped_early = false;                                    ///< patience ran out before the last epoch
  time_split time;
  double seconds = 0;
};

/// The epoch loop both trainers share: trains epochs [first, epochs) with
/// train_epoch(e), evaluates every eval_every epochs and after the last
/// (timed into the epoch's stats), keeps the evaluation with the best
/// score(eval) (the first of ties; a NaN never beats a number) and the last one,
/// and sums the time. With patience p it stops at an evaluation p or more
/// epochs after the best one. With restore_best it calls remember() at each
/// new best and restore() at the end, and the final evaluation is the best.
template <class Report, class TrainEpoch, class Evaluate, class Score, class OnEpoch, class Remember, class Restore>
void run_epochs(Report& report, const trainer_options& o, std::int64_t first, TrainEpoch&& train_epoch,
                Evaluate&& evaluate, Score&& score, const OnEpoch& on_epoch, Remember&& remember, Restore&& restore) {
  using clock = std::chrono::steady_clock;
  const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
  const auto start = clock::now();
  for (std::int64_t e = first; e < o.epochs; ++e) {
    auto s = train_epoch(e);
    bool stop = false;
    if ((e + 1) % o.eval_every == 0 || e + 1 == o.epochs) {
      const auto t = clock::now();
      s.eval = evaluate();
      s.time.eval = since(t);
      s.seconds += s.time.eval;
      const double value = score(*s.eval);
      const bool better =
          report.best_epoch < 0 || value > report.best_value || (std::isnan(report.best_value) && !std::isnan(value));
      if (better) {
        report.best_value = value;
        report.best_epoch = e;
        report.best_eval = *s.eval;
        if (o.restore_best) remember();
      }
      report.final_eval = *s.eval;
      stop = o.patience > 0 && e - report.best_epoch >= o.patience && e + 1 < o.epochs;
    }
    report.time += s.time;
    report.epochs.push_back(s);
    if (on_epoch) on_epoch(report.epochs.back());
    if (stop) {
      report.stopped_early = true;
      break;
    }
  }
  if (o.restore_best && report.best_epoch >= 0) {
    restore();
    report.final_eval = report.best_eval;
  }
  report.seconds = since(start);
}

/// What one minibatch step reports.
struct step_result {
  double loss = 0;
  std::int64_t correct = 0;
  std::int64_t seeds = 0;
};

template <matsample::index_type I, matsample::index_type O>
class trainer {
 public:
  using bulk = matsample::bulk_sample<float, I, O>;
  using blocks = matsample::block_set<float, I, O>;

  using data_view = matsample::graph_data_view<float, I, O>;
  using minibatch = matsample::minibatch_view<float, I, O>;
  /// (minibatches done, minibatches in the epoch)
  using progress_callback = std::function<void(std::int64_t, std::int64_t)>;

  /// Keeps a view of `data`: it must outlive the trainer.
  trainer(const data_view& data, const trainer_options& options)
      : options_(resolve(options)),
        data_(data),
        cpu_(options_.sampling_threads > 0  ? options_.sampling_threads
             : options_.background_sampling ? 1
                                            : options_.threads),
        model_(network_shape(
            layer_type(options_.model),
            input_dim(resolve_inputs(options_.inputs, data.feature_dim), data.feature_dim, options_.embedding_dim),
            options_.hidden, data.num_classes(), options_.layers,
            {.residual = options_.residual, .layer_norm = options_.layer_norm})),
        optimizer_(model_.parameters().size(),
                   {.learning_rate = options_.learning_rate, .weight_decay = options_.weight_decay},
                   model_.weight_ranges()) {
    if (options_.threads > 0) {
      omp_set_num_threads(options_.threads);
      Eigen::setNbThreads(options_.threads);
    }
    options_.inputs = resolve_inputs(options_.inputs, data.feature_dim);
    check_data();
    options_.select_by = resolve_selection(options_.select_by, data.num_classes());
    inputs_.emplace(data_, data_.graph, options_.inputs, options_.embedding_dim, options_.row_normalize_features,
                    options_.seed, options_.learning_rate);
    bind_sampler();
    model_.initialize(options_.seed);
    train_ids_ = data_.splits.at("train");
    batches_per_epoch_ = (static_cast<std::int64_t>(train_ids_.size()) + options_.batch_size - 1) / options_.batch_size;
    // A bulk call never holds more minibatches than an epoch has (samples do
    // not depend on k), and the resolved options record what actually ran.
    options_.bulk = std::max<std::int64_t>(1, std::min(options_.bulk, batches_per_epoch_));
    bulks_per_epoch_ = (batches_per_epoch_ + options_.bulk - 1) / options_.bulk;
    if (options_.threads == 0) options_.threads = omp_get_max_threads();
    if (options_.sampling_threads == 0) options_.sampling_threads = cpu_.threads();
  }

  trainer(const trainer&) = delete;
  trainer& operator=(const trainer&) = delete;
  ~trainer() = default;  // pending_ goes first and waits for a running background task

  [[nodiscard]] const trainer_options& options() const noexcept { return options_; }
  /// The sampler that ran: "nodewise", "labor", "ladies", "fastgcn", or "none" for the MLP.
  [[nodiscard]] const std::string& sampler_name() const noexcept { return sampler_name_; }
  [[nodiscard]] model<float>& network() noexcept { return model_; }
  [[nodiscard]] const model<float>& network() const noexcept { return model_; }
  [[nodiscard]] std::int64_t batches_per_epoch() const noexcept { return batches_per_epoch_; }

  /// The input features the model sees (row-normalised when asked), one row per vertex.
  [[nodiscard]] std::span<const float> features() const noexcept { return inputs_->values(); }

  /// Input feature rows of `nodes`, in order.
  [[nodiscard]] matrix<float> gather_features(std::span<const I> nodes) const { return inputs_->gather(nodes); }

  /// Forward and backward over one minibatch; leaves d(loss)/d(parameters)
  /// in network().gradients() (weight decay not included: the optimizer
  /// adds it).
  step_result compute_gradients(const minibatch& mb, matrix<float> features, const dropout_key& key) {
    std::vector<aggregation<float>> blocks;
    for (std::size_t l = 0; l < mb.num_layers(); ++l) {
      blocks.push_back(make_aggregation<float>(mb.block(l), training_weights_));
    }
    const auto seeds = mb.seeds();
    labels_.resize(seeds.size());
    for (std::size_t i = 0; i < seeds.size(); ++i) labels_[i] = data_.labels[static_cast<std::size_t>(seeds[i])];
    const matrix<float>& logits = model_.forward(blocks, std::move(features), options_.dropout, key);
    matrix<float> dlogits;
    const loss_result loss = softmax_cross_entropy(logits, std::span<const std::int32_t>(labels_), dlogits);
    matrix<float> input_gradient;
    const bool learned = inputs_->learned();
    model_.backward(blocks, std::move(dlogits), learned ? &input_gradient : nullptr);
    if (learned) inputs_->accumulate(mb.input_nodes(), std::move(input_gradient));
    return {loss.loss, loss.correct, static_cast<std::int64_t>(seeds.size())};
  }

  /// One optimizer step with the gradients in network().gradients(), and,
  /// with learned input embeddings, one for the rows the minibatch read.
  void apply_update() {
    optimizer_.step(model_.parameters(), model_.gradients());
    inputs_->update();
  }

  /// Trains epoch `epoch`; epochs must come in order 0, 1, ... options().epochs - 1.
  epoch_stats train_epoch(std::int64_t epoch, const progress_callback& progress = {}) {
    if (epoch != next_epoch_ || epoch >= options_.epochs) {
      throw matsample::argument_error(matsample::detail::concat("train_epoch: expected epoch ", next_epoch_, " of ",
                                                                options_.epochs, ", got ", epoch));
    }
    const auto start = clock::now();
    epoch_stats s;
    s.epoch = epoch;
    double loss_sum = 0;
    std::int64_t seeds = 0, correct = 0;
    for (std::int64_t b = 0; b < bulks_per_epoch_; ++b) {
      const auto waiting = clock::now();
      sampled_bulk bulk = take_bulk();
      s.time.wait += seconds_since(waiting);
      s.time.sample += bulk.seconds;
      for (std::int64_t m = 0; m < bulk.sample.size(); ++m) {
        const minibatch mb = bulk.sample[m];
        auto t = clock::now();
        matrix<float> x = gather_features(mb.input_nodes());
        s.time.gather += seconds_since(t);
        t = clock::now();
        const dropout_key key{options_.seed, static_cast<std::uint64_t>(epoch),
                              static_cast<std::uint64_t>(bulk.first + m)};
        const step_result r = compute_gradients(mb, std::move(x), key);
        apply_update();
        s.time.compute += seconds_since(t);
        loss_sum += r.loss * static_cast<double>(r.seeds);
        seeds += r.seeds;
        correct += r.correct;
        ++s.minibatches;
        if (progress) progress(s.minibatches, batches_per_epoch_);
      }
    }
    s.loss = loss_sum / static_cast<double>(seeds);
    s.train_accuracy = static_cast<double>(correct) / static_cast<double>(seeds);
    s.seconds = seconds_since(start);
    ++next_epoch_;
    return s;
  }

  /// Full-neighbour inference, layer by layer over all vertices at once,
  /// then metrics on every split.
  evaluation evaluate() {
    const std::int64_t n = data_.num_vertices();
    if (!eval_graph_) {  // the same every time: build once
      eval_graph_ = options_.model == model_kind::mlp
                        ? edge_free_aggregation<float>(n)
                        : make_aggregation<float>(model_graph(), block_weights::row_normalized);
    }
    const matrix<float> h = infer_all_vertices(model_, *eval_graph_, inputs_->all());
    evaluation out;
    for (const auto& [name, ids] : data_.splits) out.splits[name] = evaluate_split(h, ids, data_.labels);
    return out;
  }

  /// All epochs, with evaluation every eval_every epochs and after the last.
  training_report run(const std::function<void(const epoch_stats&)>& on_epoch = {},
                      const progress_callback& progress = {}) {
    training_report report;
    report.options = options_;
    report.sampler = sampler_name_;
    report.parameters = static_cast<std::int64_t>(model_.parameters().size());
    std::vector<float> best_parameters, best_inputs;
    run_epochs(
        report, options_, next_epoch_, [&](std::int64_t e) { return train_epoch(e, progress); },
        [&] { return evaluate(); }, [this](const evaluation& e) { return e.metric(options_.select_by, "valid"); },
        on_epoch,
        [&] {
          best_parameters.assign(model_.parameters().begin(), model_.parameters().end());
          best_inputs = inputs_->learned_values();
        },
        [&] {
          std::copy(best_parameters.begin(), best_parameters.end(), model_.parameters().begin());
          inputs_->restore_learned_values(best_inputs);
        });
    return report;
  }

 private:
  using clock = std::chrono::steady_clock;
  static double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

  struct sampled_bulk {
    std::int64_t first = 0;  ///< the epoch's batch number of minibatch 0
    matsample::bulk_sample<float, I, O> sample;
    double seconds = 0;
  };

  static layer_kind layer_type(model_kind m) {
    return m == model_kind::gcn ? layer_kind::gcn : m == model_kind::mlp ? layer_kind::linear : layer_kind::sage;
  }

  void check_data() const {
    using matsample::argument_error;
    using matsample::detail::concat;
    const std::int64_t n = data_.num_vertices();
    if (options_.inputs == input_features::data &&
        (data_.feature_dim < 1 || static_cast<std::int64_t>(data_.features.size()) != n * data_.feature_dim)) {
      throw argument_error(
          concat("data: need node features (", n, " x dimension), got ", data_.features.size(), " values of dimension ",
                 data_.feature_dim,
                 "; train on the structure alone with input features 'degree', 'constant' or 'embedding', or "
                 "attach features (graph_tool convert --features)"));
    }
    if (static_cast<std::int64_t>(data_.labels.size()) != n) {
      throw argument_error(concat("data: need one label per vertex, got ", data_.labels.size(), " for ", n));
    }
    if (data_.num_classes() < 2) throw argument_error("data: need at least two classes");
    if ((options_.patience > 0 || options_.restore_best) && !data_.splits.contains("valid")) {
      throw argument_error("data: --patience and --restore-best select on the 'valid' split, which the data lacks");
    }
    const auto train = data_.splits.find("train");
    if (train == data_.splits.end() || train->second.empty()) {
      throw argument_error(
          "data: the 'train' split is missing or empty (attach one: graph_tool convert --split-file train=FILE, or "
          "--random-split 0.8,0.1,0.1)");
    }
    for (const auto& [name, ids] : data_.splits) {
      for (const I v : ids) {
        if (v < 0 || v >= n) {
          throw argument_error(concat("data: split '", name, "' holds vertex ", v, " outside the graph"));
        }
        if (data_.labels[static_cast<std::size_t>(v)] < 0) {
          throw argument_error(concat("data: split '", name, "' holds vertex ", v, ", which has no label"));
        }
      }
    }
  }

  /// Binds the library sampler the options name, with its options, into
  /// sample_: the trainer then only calls it. Training blocks of node-wise and
  /// LABOR samplers are row-normalised (the mean over sampled neighbours, and
  /// for LABOR the A/π weights normalised per row, DGL's choice); the
  /// layer-wise samplers' blocks are already debiased and normalised.
  void bind_sampler() {
    using namespace matsample;
    sampler_name_ = options_.model == model_kind::mlp ? "none" : to_string(options_.sampler);
    if (options_.model == model_kind::mlp) {
      const auto layers = static_cast<std::size_t>(options_.layers);
      sample_ = [layers](const batch_list<I>& b) {
        bulk out;
        out.layers.assign(layers, edge_free_blocks(b));
        return out;
      };
      return;
    }
    // SAGE runs on A as given; GCN on its propagation matrix, whichever sampler.
    if (options_.model == model_kind::gcn) propagation_ = gcn_propagation(data_.graph);
    const auto graph = model_graph();
    const auto bind = [this](auto sampler, auto sampler_options) {
      sample_ = [sampler, sampler_options](const batch_list<I>& b) { return sampler(b, sampler_options); };
    };
    training_weights_ = block_weights::row_normalized;
    switch (options_.sampler) {
      case sampler_kind::nodewise:
        return bind(nodewise_sampler(cpu_, graph),
                    nodewise_options{.fanouts = options_.fanouts, .seed = options_.seed});
      case sampler_kind::labor:
        return bind(labor_sampler(cpu_, graph), labor_options{.fanouts = options_.fanouts,
                                                              .importance_iterations = options_.labor_importance,
                                                              .seed = options_.seed});
      case sampler_kind::ladies:
      case sampler_kind::fastgcn: {
        // The frontier is kept, so each destination node is one of its
        // block's source nodes (and, on the GCN propagation matrix, reaches
        // itself through its self loop). The sampler objects hold what does
        // not change between calls (A∘A, or FastGCN's column norms).
        training_weights_ = block_weights::as_sampled;
        const layerwise_options o{.sample_sizes = options_.sample_sizes, .keep_frontier = true, .seed = options_.seed};
        if (options_.sampler == sampler_kind::fastgcn) return bind(fastgcn_sampler(cpu_, graph), o);
        return bind(ladies_sampler(cpu_, graph), o);
      }
    }
  }

  /// The graph the model runs on: GCN's propagation matrix, else A as given.
  [[nodiscard]] matsample::csr_view<float, I, O> model_graph() const {
    return options_.model == model_kind::gcn ? propagation_.view() : data_.graph;
  }

  /// Blocks that map the seeds to themselves without edges: only the linear
  /// (self) layers of the MLP baseline see anything.
  static blocks edge_free_blocks(const matsample::batch_list<I>& batches) {
    blocks s;
    s.row_offsets = batches.offsets;
    s.indptr.assign(batches.seeds.size() + static_cast<std::size_t>(batches.size()), O{0});
    s.edge_offsets.assign(static_cast<std::size_t>(batches.size()) + 1, 0);
    s.src_nodes.assign(batches.seeds.begin(), batches.seeds.end());
    s.node_offsets = batches.offsets;
    return s;
  }

  /// Starts sampling job `job` (bulk job % bulks_per_epoch of epoch job / bulks_per_epoch).
  void launch(std::int64_t job) {
    const std::int64_t epoch = job / bulks_per_epoch_;
    const std::int64_t first = (job % bulks_per_epoch_) * options_.bulk;
    if (!shuffled_ || shuffled_epoch_ != epoch) {
      shuffled_ = std::make_shared<const matsample::epoch_batches<I>>(train_ids_, options_.batch_size, options_.seed,
                                                                      static_cast<std::uint64_t>(epoch));
      shuffled_epoch_ = epoch;
    }
    auto task = [this, batches = shuffled_, first] {
      const auto t = clock::now();
      sampled_bulk out{first, sample_(batches->bulk(first, options_.bulk)), 0};
      out.seconds = seconds_since(t);
      return out;
    };
    pending_ = std::async(options_.background_sampling ? std::launch::async : std::launch::deferred, std::move(task));
  }

  /// The next bulk in order; starts sampling the one after it.
  sampled_bulk take_bulk() {
    if (!pending_.valid()) launch(next_job_);
    sampled_bulk out = pending_.get();
    ++next_job_;
    if (next_job_ < options_.epochs * bulks_per_epoch_) launch(next_job_);
    return out;
  }

  trainer_options options_;
  data_view data_;
  matsample::cpu_backend cpu_;
  std::optional<input_table<I, O>> inputs_;  ///< what the first layer reads
  std::span<const I> train_ids_;
  matsample::csr_matrix<float, I, O> propagation_;  ///< the GCN model's graph (empty otherwise)
  std::string sampler_name_;
  std::function<bulk(const matsample::batch_list<I>&)> sample_;  ///< a library sampler with its options bound
  block_weights training_weights_ = block_weights::row_normalized;
  model<float> model_;
  adam<float> optimizer_;
  std::vector<std::int32_t> labels_;
  std::int64_t batches_per_epoch_ = 0, bulks_per_epoch_ = 0;
  std::int64_t next_epoch_ = 0, next_job_ = 0;
  std::shared_ptr<const matsample::epoch_batches<I>> shuffled_;
  std::int64_t shuffled_epoch_ = -1;
  std::optional<aggregation<float>> eval_graph_;  ///< every vertex's full neighbourhood, global ids
  std::future<sampled_bulk> pending_;             // last: destroyed first, while what the task uses still exists
};

}  // namespace graphsage
