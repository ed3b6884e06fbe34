#pragma once
// The exception hierarchy. Every error caused by user input derives from
// matsample::error, so callers can catch one type; the subtypes say which
// kind of input was wrong.

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace matsample {

/// Root of every exception thrown for bad input or a failed resource.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A parameter outside its documented domain (fanout 0, empty fanout list, ...).
struct argument_error : error {
  using error::error;
};

/// A vertex, row or column id outside the matrix it refers to.
struct out_of_range_error : error {
  using error::error;
};

/// A CSR matrix that violates the format (offsets not monotone, column out of range, ...).
struct csr_error : error {
  using error::error;
};

/// A count or id that does not fit the chosen index type; matsample never wraps.
struct index_overflow_error : error {
  using error::error;
};

/// Malformed input file; the message names the file and line.
struct format_error : error {
  using error::error;
};

/// An input whose claimed or implied size cannot be held: more entries than
/// the file has room for, ids far sparser than its lines, or more memory
/// than the process may use. Thrown before anything of that size is
/// allocated; the message names the file, line and field, the memory it
/// would need, and what to do.
struct size_error : error {
  using error::error;
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

}  // namespace detail
}  // namespace matsample
