#pragma once
// Prefetching and per-thread scratch helpers of the CPU backend's kernels.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace matsample::detail {

/// How far ahead (in rows or entries) the gather and compaction loops
/// prefetch. Their loads are random and independent across rows; issuing them
/// this far ahead keeps enough misses in flight to approach the machine's
/// random-gather rate instead of paying one memory latency per step.
inline constexpr std::int64_t prefetch_distance = 16;

template <class T>
inline void prefetch(const T* p) noexcept {
  __builtin_prefetch(static_cast<const void*>(p), 0, 1);
}

/// Scratch that is written before it is read: skips zero-filling.
template <class T>
std::unique_ptr<T[]> uninitialized(std::int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(std::max<std::int64_t>(n, 1))]);
}

template <class T>
void grow(std::vector<T>& v, std::int64_t n) {
  if (static_cast<std::int64_t>(v.size()) < n) v.resize(static_cast<std::size_t>(n));
}

}  // namespace matsample::detail
