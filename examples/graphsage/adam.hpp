#pragma once
// Adam (Kingma & Ba) with L2 weight decay added to the gradient, as
// torch.optim.Adam's weight_decay does, applied to the weight matrices only.
// It works on flat buffers, so it does not care how the model lays out its
// layers.

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
    ++steps_;
    const double t = static_cast<double>(steps_);
    const T step_size = static_cast<T>(options_.learning_rate / (1 - std::pow(options_.beta1, t)));
    const T root_correction = static_cast<T>(std::sqrt(1 - std::pow(options_.beta2, t)));
    const T b1 = static_cast<T>(options_.beta1), b2 = static_cast<T>(options_.beta2);
    const T eps = static_cast<T>(options_.epsilon);
    const auto n = static_cast<std::int64_t>(params.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const T g = grads[i] + decay_[i] * params[i];
      m_[i] = b1 * m_[i] + (1 - b1) * g;
      v_[i] = b2 * v_[i] + (1 - b2) * g * g;
      params[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / root_correction + eps);
    }
  }

  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }

 private:
  adam_options options_;
  aligned_vector<T> m_, v_;  // aligned like the model's buffers
  aligned_vector<T> decay_;  ///< per parameter: the weight decay, or 0
  std::int64_t steps_ = 0;
};

}  // namespace graphsage
