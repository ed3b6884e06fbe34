#pragma once
// Minibatches of seed vertices. An epoch shuffles the training vertices with
// a counter-based generator (so the order is the same on every platform and
// rank), cuts them into batches of size b, and hands out k batches per
// sampling call. The last partial batch is kept.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

/// k minibatches of seeds for one sampling call. Minibatch m holds
/// seeds[offsets[m], offsets[m+1]) and is minibatch first_batch + m of `epoch`
/// for the random streams.
template <index_type I>
struct batch_list {
  std::span<const I> seeds;
  std::vector<std::int64_t> offsets{0};
  std::uint64_t epoch = 0;
  std::uint64_t first_batch = 0;

  [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(offsets.size()) - 1; }
  [[nodiscard]] std::span<const I> batch(std::int64_t m) const {
    return seeds.subspan(static_cast<std::size_t>(offsets[m]), static_cast<std::size_t>(offsets[m + 1] - offsets[m]));
  }

  /// Minibatches [begin, end) as their own list; they keep their global
  /// numbers (first_batch moves), so they sample exactly as they would here.
  [[nodiscard]] batch_list slice(std::int64_t begin, std::int64_t end) const {
    if (begin < 0 || end < begin || end > size()) {
      throw argument_error(detail::concat("batch_list::slice: [", begin, ", ", end, ") of ", size(), " minibatches"));
    }
    batch_list out{seeds.subspan(static_cast<std::size_t>(offsets[begin]),
                                 static_cast<std::size_t>(offsets[end] - offsets[begin])),
                   {}, epoch, first_batch + static_cast<std::uint64_t>(begin)};
    for (auto m = begin; m <= end; ++m) out.offsets.push_back(offsets[m] - offsets[begin]);
    return out;
  }

  /// Cuts `seeds` into batches of `batch_size` (the last may be smaller).
  static batch_list uniform(std::span<const I> seeds, std::int64_t batch_size, std::uint64_t epoch = 0,
                            std::uint64_t first_batch = 0) {
    if (batch_size <= 0) throw argument_error(detail::concat("batch size must be positive, got ", batch_size));
    batch_list out{seeds, {0}, epoch, first_batch};
    const auto n = static_cast<std::int64_t>(seeds.size());
    for (std::int64_t end = batch_size; out.offsets.back() < n; end += batch_size) {
      out.offsets.push_back(std::min(end, n));
    }
    return out;
  }
};

/// One epoch's shuffled batches.
template <index_type I>
class epoch_batches {
 public:
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

/// Seeds must be vertices of the graph; throws out_of_range_error naming the first bad one.
template <class View, index_type I>
void validate_seeds(const View& a, const batch_list<I>& batches) {
  if (batches.offsets.empty() || batches.offsets.front() != 0 ||
      batches.offsets.back() != static_cast<std::int64_t>(batches.seeds.size())) {
    throw argument_error(detail::concat("batches: offsets must run from 0 to the seed count ", batches.seeds.size()));
  }
  for (std::size_t i = 0; i < batches.seeds.size(); ++i) {
    if (batches.seeds[i] < 0 || batches.seeds[i] >= a.rows()) {
      throw out_of_range_error(detail::concat("seed vertex ", batches.seeds[i], " at position ", i,
                                              " is outside the graph's [0, ", a.rows(), ")"));
    }
  }
}

template <class View>
void require_square(const View& a, const char* who) {
  if (a.rows() != a.cols()) {
    throw argument_error(detail::concat(who, ": the adjacency matrix must be square, got ", a.rows(), " x ", a.cols()));
  }
}

}  // namespace matsample
