#pragma once
// Index types and checked narrowing. Column ids and row offsets are separate
// template parameters (int32 or int64 each); every conversion between them is
// checked so that overflow throws instead of wrapping.

#include <concepts>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "matsample/core/error.hpp"

namespace matsample {

/// The index widths matsample supports for vertex ids and row offsets.
template <class T>
concept index_type = std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t>;

/// Converts `value` to `To`, throwing index_overflow_error (naming `what`)
/// when it does not fit.
template <std::integral To, std::integral From>
constexpr To checked_cast(From value, std::string_view what) {
  if (!std::in_range<To>(value)) {
    throw index_overflow_error(detail::concat(
        what, " = ", value, " does not fit a ", sizeof(To) * 8, "-bit ", std::is_signed_v<To> ? "signed" : "unsigned",
        " index (max ", std::numeric_limits<To>::max(), "); use a wider index type or a smaller problem"));
  }
  return static_cast<To>(value);
}

/// a + b in int64, throwing instead of wrapping.
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t sum{};
  if (__builtin_add_overflow(a, b, &sum)) {
    throw index_overflow_error(detail::concat(what, " overflows a 64-bit count"));
  }
  return sum;
}

/// a * b in int64, throwing instead of wrapping.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t product{};
  if (__builtin_mul_overflow(a, b, &product)) {
    throw index_overflow_error(detail::concat(what, " overflows a 64-bit count"));
  }
  return product;
}

}  // namespace matsample
