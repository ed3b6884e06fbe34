#pragma once
// The CPU backend's per-thread open-addressing map from vertex id to a value.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "matsample/core/index.hpp"

namespace matsample::detail {

/// Open-addressing map from vertex id to a value, reused across rows and
/// minibatches by one thread. Key and value share a slot, so a probe costs
/// one cache line; only slots that were filled are cleared.
template <index_type K, class Val>
class scratch_hash_map {
 public:
  /// Makes room for `n` keys (load factor <= 1/2) and empties the map.
  void reset(std::int64_t n) {
    const auto want = std::bit_ceil(static_cast<std::uint64_t>(std::max<std::int64_t>(2 * n, 16)));
    if (want > slots_.size()) {
      slots_.assign(want, slot_type{empty, Val{}});
      used_.clear();
    } else {
      for (const auto at : used_) slots_[at].key = empty;
      used_.clear();
    }
    mask_ = slots_.size() - 1;
    shift_ = 64 - std::countr_zero(slots_.size());
  }
  /// Starts loading the slot where `key` would be probed first.
  void prefetch(K key) const noexcept { __builtin_prefetch(slots_.data() + home(key), 1, 1); }

  /// The slot of `key`, inserting it with `value` if absent; `fresh` says which.
  std::size_t find_or_insert(K key, Val value, bool& fresh) {
    auto at = home(key);
    while (true) {
      auto& slot = slots_[at];
      if (slot.key == key) {
        fresh = false;
        return at;
      }
      if (slot.key == empty) {
        slot = {key, value};
        used_.push_back(at);
        fresh = true;
        return at;
      }
      at = (at + 1) & mask_;
    }
  }
  /// The value of `key`, or null when it is absent.
  const Val* find(K key) const {
    for (auto at = home(key);; at = (at + 1) & mask_) {
      if (slots_[at].key == key) return &slots_[at].value;
      if (slots_[at].key == empty) return nullptr;
    }
  }
  Val& value(std::size_t at) { return slots_[at].value; }
  std::size_t home(K key) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  K key(std::size_t at) const { return slots_[at].key; }
  /// Filled slots in insertion order.
  const std::vector<std::size_t>& used() const { return used_; }

 private:
  struct slot_type {
    K key;
    Val value;
  };
  static constexpr K empty = -1;
  std::vector<slot_type> slots_;
  std::vector<std::size_t> used_;
  std::size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace matsample::detail
