#pragma once
// Small OpenMP building blocks shared by the CPU backend and the builders.
// Integer scans are exact, so their results do not depend on the thread count.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace matsample::detail {

/// Exclusive prefix sum of `counts` into `offsets` (size counts.size() + 1),
/// in int64 so that totals never wrap; returns the total.
template <class Count>
std::int64_t exclusive_scan(std::span<const Count> counts, std::span<std::int64_t> offsets) {
  const std::int64_t n = static_cast<std::int64_t>(counts.size());
  const int threads = n < (1 << 16) ? 1 : omp_get_max_threads();
  // OpenMP may grant fewer threads than asked for (nested regions, limits):
  // the work is split over the team actually granted.
  std::vector<std::int64_t> partial(static_cast<std::size_t>(threads) + 1, 0);
  int granted = 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int team = omp_get_num_threads();
#pragma omp single
    granted = team;
    const std::int64_t lo = n * t / team, hi = n * (t + 1) / team;
    std::int64_t sum = 0;
    for (std::int64_t i = lo; i < hi; ++i) sum += static_cast<std::int64_t>(counts[i]);
    partial[t + 1] = sum;
#pragma omp barrier
#pragma omp single
    for (int i = 0; i < team; ++i) partial[i + 1] += partial[i];
    std::int64_t running = partial[t];
    for (std::int64_t i = lo; i < hi; ++i) {
      offsets[i] = running;
      running += static_cast<std::int64_t>(counts[i]);
    }
  }
  offsets[n] = partial[granted];
  return offsets[n];
}

/// Records the lowest index at which a parallel loop found bad input, so the
/// error reported afterwards is the same for any thread count. Kernels must
/// not throw inside OpenMP regions: they record here, and once the region has
/// ended the caller re-examines that one index and throws a precise message.
class first_failure {
 public:
  void record(std::int64_t index) noexcept {
    std::int64_t seen = index_.load(std::memory_order_relaxed);
    while (index < seen && !index_.compare_exchange_weak(seen, index, std::memory_order_relaxed)) {}
  }
  [[nodiscard]] bool failed() const noexcept { return index() != none; }
  [[nodiscard]] std::int64_t index() const noexcept { return index_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> index_{none};
};

}  // namespace matsample::detail
