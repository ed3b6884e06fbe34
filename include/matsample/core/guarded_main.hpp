#pragma once
// The top of a program: every exception ends as a message and an exit
// status, never as std::terminate. Tools, examples and benchmarks run their
// main through guarded_main (MPI programs through mpi::abort_on_error, which
// uses the same report); so can an application's.

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "matsample/core/error.hpp"
#include "matsample/core/memory_limit.hpp"

namespace matsample {

/// Exit statuses of guarded_main.
inline constexpr int exit_input_error = 1;     ///< a matsample::error: bad input or a failed resource
inline constexpr int exit_internal_error = 2;  ///< any other exception
inline constexpr int exit_out_of_memory = 3;   ///< std::bad_alloc

/// What an exception means for a program: its exit status and message.
struct exception_report {
  int status = exit_internal_error;  ///< Exit status: exit_input_error, exit_internal_error or exit_out_of_memory
  std::string message;               ///< One-line description for stderr, without the program name
};

/// The report of the exception being handled (call it inside a catch).
/// std::bad_alloc reads as out of memory, with the limit matsample checks
/// sizes against.
inline exception_report report_current_exception() noexcept {
  try {
    try {
      throw;
    } catch (const error& e) { return {exit_input_error, e.what()}; } catch (const std::bad_alloc& e) {
      std::string limit = "an unknown amount";
      try {
        const auto info = memory_limit();
        limit = detail::concat(detail::human_bytes(static_cast<double>(info.bytes)), " (", info.source, ")");
      } catch (...) {  // the limit itself is unreadable: say less
      }
      return {exit_out_of_memory,
              detail::concat("out of memory (", e.what(), "): an allocation failed; this process may use ", limit,
                             ". Use a smaller input, batch or fanout, or a machine with more memory.")};
    } catch (const std::exception& e) {
      return {exit_internal_error, detail::concat("internal error: ", e.what())};
    } catch (...) { return {exit_internal_error, "internal error: an unknown exception"}; }
  } catch (...) {  // building the message failed (out of memory again)
    return {exit_internal_error, "an error occurred, and reporting it failed"};
  }
}

/// Returns body()'s status; an exception is printed as "<program>: <message>"
/// on stderr and its report's status returned.
template <class Body>
int guarded_main(const char* program, Body&& body) noexcept {
  try {
    return std::forward<Body>(body)();
  } catch (...) {
    const auto report = report_current_exception();
    std::fflush(stdout);  // so that, piped together, stdout's earlier lines come first
    std::fprintf(stderr, "%s: %s\n", program, report.message.c_str());
    return report.status;
  }
}

}  // namespace matsample
