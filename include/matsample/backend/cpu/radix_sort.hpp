#pragma once
// Stable sort of (column, value) pairs by column: comparison sort for short
// rows, LSD radix sort for long ones (CPU backend, sparse SUMMA).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace matsample::detail {

/// Sorts `items` stably by key(item), keys in [0, n_keys). Long lists (LADIES
/// products have thousands of entries) take an LSD radix sort with 11-bit
/// digits: two or three counting passes whose counters stay in L1, several
/// times faster than comparison sorting there.
template <class T, class Key>
void radix_sort_by(std::vector<T>& items, std::vector<T>& scratch, std::int64_t n_keys, Key key) {
  constexpr int digit_bits = 11;
  constexpr std::size_t radix = std::size_t{1} << digit_bits;
  if (items.size() < 1024) {
    std::stable_sort(items.begin(), items.end(), [&](const T& x, const T& y) { return key(x) < key(y); });
    return;
  }
  const int key_bits =
      static_cast<int>(std::bit_width(static_cast<std::uint64_t>(std::max<std::int64_t>(n_keys - 1, 1))));
  scratch.resize(items.size());
  for (int shift = 0; shift < key_bits; shift += digit_bits) {
    std::array<std::size_t, radix + 1> start{};
    for (const auto& item : items) ++start[((static_cast<std::uint64_t>(key(item)) >> shift) & (radix - 1)) + 1];
    for (std::size_t d = 0; d < radix; ++d) start[d + 1] += start[d];
    for (const auto& item : items)
      scratch[start[(static_cast<std::uint64_t>(key(item)) >> shift) & (radix - 1)]++] = item;
    items.swap(scratch);
  }
}

/// Sorts (column, value) pairs by column, stably; columns are in [0, n_cols).
template <class I, class V>
void sort_by_column(std::vector<std::pair<I, V>>& items, std::vector<std::pair<I, V>>& scratch, std::int64_t n_cols) {
  radix_sort_by(items, scratch, n_cols, [](const std::pair<I, V>& item) { return item.first; });
}

}  // namespace matsample::detail
