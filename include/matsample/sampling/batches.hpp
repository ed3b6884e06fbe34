#pragma once
// Minibatches of seed vertices. An epoch shuffles the training vertices with
// a counter-based generator (so the order is the same on every platform and
// rank), cuts them into batches of size b, and hands out k batches per
// sampling call (a batch_list, algebra/batch_list.hpp). The last partial
// batch is kept.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

/// One epoch's shuffled batches.
template <index_type I>
class epoch_batches {
 public:
  /// Copies the `train` vertex ids and, when `shuffle`, permutes them with
  /// the Fisher–Yates stream of (shuffle_seed, epoch); the batches are then
  /// consecutive runs of `batch_size` (> 0, else argument_error).
  epoch_batches(std::span<const I> train, std::int64_t batch_size, std::uint64_t shuffle_seed, std::uint64_t epoch,
                bool shuffle = true)
      : order_(train.begin(), train.end()), batch_size_(batch_size), epoch_(epoch) {
    if (batch_size <= 0) throw argument_error(detail::concat("batch size must be positive, got ", batch_size));
    if (shuffle) {
      for (std::int64_t i = static_cast<std::int64_t>(order_.size()) - 1; i > 0; --i) {
        philox_row_stream rng(shuffle_seed, shuffle_stream, {epoch, 0, static_cast<std::uint64_t>(i)});
        std::swap(order_[i], order_[static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(i) + 1))]);
      }
    }
  }

  /// Number of batches, counting the last partial one.
  [[nodiscard]] std::int64_t size() const noexcept {
    return (static_cast<std::int64_t>(order_.size()) + batch_size_ - 1) / batch_size_;
  }
  /// The epoch's vertex order (shuffled train ids), owned by this object.
  [[nodiscard]] std::span<const I> order() const noexcept { return order_; }

  /// Batches [first, first + k), clipped to the epoch.
  [[nodiscard]] batch_list<I> bulk(std::int64_t first, std::int64_t k) const {
    if (first < 0 || first > size() || k <= 0) {
      throw argument_error(detail::concat("bulk of ", k, " batches from batch ", first, " of ", size()));
    }
    const std::int64_t last = std::min(first + k, size());
    const auto begin = std::min<std::int64_t>(first * batch_size_, static_cast<std::int64_t>(order_.size()));
    const auto end = std::min<std::int64_t>(last * batch_size_, static_cast<std::int64_t>(order_.size()));
    return batch_list<I>::uniform(std::span<const I>(order_).subspan(begin, end - begin), batch_size_, epoch_,
                                  static_cast<std::uint64_t>(first));
  }

 private:
  std::vector<I> order_;
  std::int64_t batch_size_;
  std::uint64_t epoch_;
};

/// Throws argument_error, naming `who`, unless `a` is square (an adjacency
/// matrix).
template <class View>
void require_square(const View& a, const char* who) {
  if (a.rows() != a.cols()) {
    throw argument_error(detail::concat(who, ": the adjacency matrix must be square, got ", a.rows(), " x ", a.cols()));
  }
}

}  // namespace matsample
