#pragma once
// The selection matrix Q of the node-wise formulation. Q has exactly one
// nonzero per row, so it is stored as that nonzero's column (a vertex id) per
// row; the rows of all k minibatches are stacked, with offsets marking where
// each minibatch starts.

#include <algorithm>
#include <cstdint>
#include <span>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

/// Q for k minibatches, stacked: row r selects vertex vertices[r] (a graph
/// row id). Both spans are borrowed, not owned. epoch and first_batch number
/// the draws exactly as in the batch_list it came from.
template <index_type I>
struct stacked_selection {
  std::span<const I> vertices;                  ///< Q(r, vertices[r]) = 1
  std::span<const std::int64_t> batch_offsets;  ///< k + 1 row offsets
  std::uint64_t epoch = 0;                      ///< counter word of every draw
  std::uint64_t first_batch = 0;                ///< global number of minibatch 0

  /// Number of stacked rows (selected vertices over all minibatches).
  [[nodiscard]] std::int64_t rows() const noexcept { return static_cast<std::int64_t>(vertices.size()); }
  /// Number of minibatches k (0 when there are no offsets).
  [[nodiscard]] std::int64_t batches() const noexcept {
    return batch_offsets.empty() ? 0 : static_cast<std::int64_t>(batch_offsets.size()) - 1;
  }
  /// Minibatch holding stacked row r (O(log k)).
  [[nodiscard]] std::int64_t batch_of(std::int64_t r) const noexcept {
    return (std::upper_bound(batch_offsets.begin(), batch_offsets.end(), r) - batch_offsets.begin()) - 1;
  }
  /// Counter of the draws for stacked row r: (epoch, global minibatch, row within it).
  [[nodiscard]] draw_address address(std::int64_t r) const noexcept {
    const std::int64_t m = batch_of(r);
    return {epoch, first_batch + static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(r - batch_offsets[m])};
  }
};

/// Checks the offsets of a selection (start at 0, non-decreasing, end at the
/// row count); throws argument_error.
template <index_type I>
void validate_batches(const stacked_selection<I>& q) {
  const auto& off = q.batch_offsets;
  if (off.empty() || off.front() != 0 || off.back() != q.rows()) {
    throw argument_error(detail::concat("selection: batch offsets must run from 0 to the row count ", q.rows()));
  }
  for (std::size_t m = 0; m + 1 < off.size(); ++m) {
    if (off[m + 1] < off[m]) {
      throw argument_error(detail::concat("selection: batch offsets decrease at minibatch ", m));
    }
  }
}

}  // namespace matsample
