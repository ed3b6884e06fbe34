#pragma once
// Adam (Kingma & Ba) with L2 weight decay added to the gradient, as
// torch.optim.Adam's weight_decay does, applied to the weight matrices only.
// It works on flat buffers, so it does not care how the model lays out its
// layers. row_adam is the same rule over the rows of a table that a step
// touches (torch.optim.SparseAdam's), for learned vertex embeddings.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "layers.hpp"

namespace graphsage {

struct adam_options {
  double learning_rate = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0;
};

/// The per-step constants of Adam's update after `steps` steps.
template <class T>
struct adam_constants {
  T step_size, root_correction, beta1, beta2, epsilon;
  adam_constants(const adam_options& o, std::int64_t steps) {
    const double t = static_cast<double>(steps);
    step_size = static_cast<T>(o.learning_rate / (1 - std::pow(o.beta1, t)));
    root_correction = static_cast<T>(std::sqrt(1 - std::pow(o.beta2, t)));
    beta1 = static_cast<T>(o.beta1);
    beta2 = static_cast<T>(o.beta2);
    epsilon = static_cast<T>(o.epsilon);
  }
  /// One parameter's update from its gradient g: the body both optimizers share.
  void update(T& param, T& m, T& v, T g) const {
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    param -= step_size * m / (std::sqrt(v) / root_correction + epsilon);
  }
};

template <class T>
class adam {
 public:
  /// `decayed`: [begin, end) ranges of the parameters that weight decay applies to.
  adam(std::size_t size, adam_options options, const std::vector<std::pair<std::int64_t, std::int64_t>>& decayed = {})
      : options_(options), m_(size, T{0}), v_(size, T{0}), decay_(size, T{0}) {
    for (const auto& [begin, end] : decayed) {
      require(0 <= begin && begin <= end && end <= static_cast<std::int64_t>(size),
              "adam: decay range outside the parameters");
      std::fill(decay_.begin() + begin, decay_.begin() + end, static_cast<T>(options.weight_decay));
    }
  }

  /// One update from `grads`; elementwise, so thread count cannot change it.
  void step(std::span<T> params, std::span<const T> grads) {
    require(params.size() == m_.size() && grads.size() == m_.size(), "adam: buffer sizes differ");
    const adam_constants<T> c(options_, ++steps_);
    const auto n = static_cast<std::int64_t>(params.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) c.update(params[i], m_[i], v_[i], grads[i] + decay_[i] * params[i]);
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }

 private:
  adam_options options_;
  aligned_vector<T> m_, v_;  // aligned like the model's buffers
  aligned_vector<T> decay_;  ///< per parameter: the weight decay, or 0
  std::int64_t steps_ = 0;
};

/// Adam over a rows x cols table, updating only the rows a step names
/// (torch.optim.SparseAdam's rule): a row no minibatch reads keeps its value
/// and its moments. The bias correction counts this optimizer's steps. No
/// weight decay: it would have to touch every row.
template <class T>
class row_adam {
 public:
  row_adam(std::int64_t rows, std::int64_t cols, adam_options options)
      : options_(options), cols_(cols), m_(static_cast<std::size_t>(rows * cols), T{0}), v_(m_) {
    require(rows >= 0 && cols >= 1, "row_adam: needs a table with at least one column");
  }

  /// Updates table rows `rows` (distinct row numbers) from `grads`, whose
  /// row i is the gradient of table row rows[i]. Rows are independent, so
  /// thread count cannot change the result.
  template <class Index>
  void step(std::span<T> table, std::span<const Index> rows, const matrix<T>& grads) {
    require(
        table.size() == m_.size() && grads.cols() == cols_ && grads.rows() == static_cast<Eigen::Index>(rows.size()),
        "row_adam: table, rows and gradients differ in shape");
    const adam_constants<T> c(options_, ++steps_);
    const auto n = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::size_t at =
          static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]) * static_cast<std::size_t>(cols_);
      for (std::int64_t j = 0; j < cols_; ++j) {
        c.update(table[at + j], m_[at + j], v_[at + j], grads(static_cast<Eigen::Index>(i), j));
      }
    }
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }

 private:
  adam_options options_;
  std::int64_t cols_;
  std::vector<T> m_, v_;
  std::int64_t steps_ = 0;
};

}  // namespace graphsage
