#pragma once
// NumPy .npy arrays (format versions 1.0 to 3.0), for features, labels and
// id lists saved from Python with numpy.save. C order only. Little-endian
// or one-byte element types: bool, int8 to int64, uint8 to uint64, float32,
// float64. The header's shape is checked against the file's size before
// anything is allocated, and every value is converted with a check.

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/io/text.hpp"

namespace matsample {

/// An array read from a .npy file: its shape and its values as T.
template <class T>
struct npy_array {
  std::vector<std::int64_t> shape;  ///< extent of each dimension, as the header's 'shape'
  std::vector<T> values;            ///< row-major (C order)
};

namespace io {

/// The element type of a .npy header's 'descr' ("<f4", "|u1", ...).
struct npy_type {
  char kind = 0;  ///< 'b' bool, 'i' signed, 'u' unsigned, 'f' floating point
  int bytes = 0;  ///< size of one element in bytes
};

/// The text between the quotes after `key` in a .npy header dict, or after
/// it up to the closing bracket for 'shape'.
inline std::string_view npy_field(std::string_view header, std::string_view key) {
  const auto at = header.find(key);
  if (at == std::string_view::npos) return {};
  auto rest = header.substr(at + key.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return {};
  rest = rest.substr(colon + 1);
  const auto first = rest.find_first_not_of(" ");
  if (first == std::string_view::npos) return {};
  rest = rest.substr(first);
  if (rest.front() == '\'' || rest.front() == '"') {
    const auto close = rest.find(rest.front(), 1);
    return close == std::string_view::npos ? std::string_view{} : rest.substr(1, close - 1);
  }
  if (rest.front() == '(') {
    const auto close = rest.find(')');
    return close == std::string_view::npos ? std::string_view{} : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find_first_of(",}"));
}

/// The element of type `type` at `p`, as a double (exact for every type
/// but 64-bit integers beyond 2^53, which the integer path reads instead).
inline double npy_as_double(const char* p, npy_type type) {
  const auto load = [&](auto tag) {
    decltype(tag) v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
  };
  switch (type.kind) {
    case 'b':
      return *p != 0 ? 1.0 : 0.0;
    case 'f':
      return type.bytes == 4 ? load(float{}) : load(double{});
    case 'i':
      return type.bytes == 1   ? load(std::int8_t{})
             : type.bytes == 2 ? load(std::int16_t{})
             : type.bytes == 4 ? load(std::int32_t{})
                               : load(std::int64_t{});
    default:
      return type.bytes == 1   ? load(std::uint8_t{})
             : type.bytes == 2 ? load(std::uint16_t{})
             : type.bytes == 4 ? load(std::uint32_t{})
                               : load(std::uint64_t{});
  }
}

}  // namespace io

/// Reads a .npy file into values of type T (an integer type or float). A
/// value that T cannot hold exactly (a fraction or an out-of-range number
/// into an integer, a non-finite or out-of-range number into float) throws
/// format_error naming the file and the element.
template <class T>
npy_array<T> read_npy(const std::filesystem::path& path) {
  static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");
  const io::mapped_file file(path);
  const std::string_view bytes = file.bytes();
  const auto fail = [&](const std::string& what) -> void {
    throw format_error(detail::concat(path.string(), ": ", what));
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view("\x93NUMPY", 6))
    fail("not a .npy file (no \\x93NUMPY magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) fail(detail::concat("unsupported .npy format version ", int{major}));
  std::size_t header_length = 0, header_begin = 0;
  if (major == 1) {
    header_length =
        static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_begin = 10;
  } else {
    if (bytes.size() < 12) fail("truncated .npy header");
    for (int b = 3; b >= 0; --b) header_length = (header_length << 8) | static_cast<unsigned char>(bytes[8 + b]);
    header_begin = 12;
  }
  if (header_length > bytes.size() - header_begin) fail("truncated .npy header");
  const std::string_view header = bytes.substr(header_begin, header_length);
  const std::size_t data_begin = header_begin + header_length;

  const std::string_view descr = io::npy_field(header, "'descr'");
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=') ||
      std::string_view("biuf").find(descr[1]) == std::string_view::npos) {
    fail(detail::concat("unsupported element type '", descr,
                        "' (little-endian bool, int, uint or float; save with numpy.save)"));
  }
  io::npy_type type{descr[1], 0};
  {
    const auto [end, ec] = std::from_chars(descr.data() + 2, descr.data() + descr.size(), type.bytes);
    const bool known = type.kind == 'b'   ? type.bytes == 1
                       : type.kind == 'f' ? (type.bytes == 4 || type.bytes == 8)
                                          : (type.bytes == 1 || type.bytes == 2 || type.bytes == 4 || type.bytes == 8);
    if (ec != std::errc{} || end != descr.data() + descr.size() || !known) {
      fail(detail::concat("unsupported element type '", descr, "'"));
    }
  }
  if (io::npy_field(header, "'fortran_order'").substr(0, 5) != "False") {
    fail("Fortran-order arrays are not supported (save a C-order array: numpy.ascontiguousarray)");
  }
  npy_array<T> out;
  std::int64_t count = 1;
  {
    std::string_view shape = io::npy_field(header, "'shape'");
    if (io::npy_field(header, "'shape'").data() == nullptr) fail("the .npy header has no shape");
    while (!shape.empty()) {
      const auto digit = shape.find_first_of("0123456789");
      if (digit == std::string_view::npos) break;
      std::int64_t extent = 0;
      const auto [end, ec] = std::from_chars(shape.data() + digit, shape.data() + shape.size(), extent);
      if (ec != std::errc{}) fail(detail::concat("malformed shape (", io::npy_field(header, "'shape'"), ")"));
      out.shape.push_back(extent);
      count = checked_mul(count, extent, "the .npy element count");
      shape.remove_prefix(static_cast<std::size_t>(end - shape.data()));
    }
  }
  // The shape is a claim: the file must hold exactly that many elements.
  const std::size_t available = bytes.size() - data_begin;
  if (static_cast<double>(count) * type.bytes != static_cast<double>(available)) {
    throw size_error(detail::concat(path.string(), ": the header's shape (", io::npy_field(header, "'shape'"),
                                    ") claims ", count, " elements of ", type.bytes, " bytes, but the file holds ",
                                    available, " bytes of data"));
  }
  require_memory(static_cast<double>(count) * sizeof(T), detail::concat(path.string(), ": ", count, " elements"));
  out.values.resize(static_cast<std::size_t>(count));
  const char* data = bytes.data() + data_begin;
  for (std::int64_t e = 0; e < count; ++e) {
    const char* p = data + e * type.bytes;
    if constexpr (std::is_integral_v<T>) {
      if (type.kind == 'i' || type.kind == 'u' || type.kind == 'b') {
        // Integers stay integers (64-bit ids do not pass through a double).
        std::int64_t v = 0;
        bool fits = true;
        if (type.kind == 'u' && type.bytes == 8) {
          std::uint64_t u = 0;
          std::memcpy(&u, p, 8);
          fits = u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
          v = static_cast<std::int64_t>(u);
        } else if (type.kind == 'i' && type.bytes == 8) {
          std::memcpy(&v, p, 8);
        } else {
          v = static_cast<std::int64_t>(io::npy_as_double(p, type));
        }
        if (!fits || !std::in_range<T>(v)) {
          fail(detail::concat("element ", e, " does not fit a ", sizeof(T) * 8, "-bit integer"));
        }
        out.values[static_cast<std::size_t>(e)] = static_cast<T>(v);
      } else {
        const double x = io::npy_as_double(p, type);
        if (!(std::trunc(x) == x) || !(x >= static_cast<double>(std::numeric_limits<T>::min())) ||
            !(x <= static_cast<double>(std::numeric_limits<T>::max()))) {
          fail(detail::concat("element ", e, " (", x, ") is not an integer a ", sizeof(T) * 8,
                              "-bit integer holds (save integers as an integer array)"));
        }
        out.values[static_cast<std::size_t>(e)] = static_cast<T>(x);
      }
    } else {
      const double x = io::npy_as_double(p, type);
      const T y = static_cast<T>(x);
      if (!std::isfinite(y)) fail(detail::concat("element ", e, " is not finite (", x, ")"));
      out.values[static_cast<std::size_t>(e)] = y;
    }
  }
  return out;
}

}  // namespace matsample
