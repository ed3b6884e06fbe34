#pragma once
// CUDA, cuSPARSE and allocation failures as matsample exceptions: the call,
// the code and the library's own description, so a failure on a machine far
// away can be read from the message alone.

#include <cuda_runtime.h>
#include <cusparse.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "matsample/core/error.hpp"

namespace matsample {

/// A CUDA runtime or cuSPARSE call failed.
struct cuda_error : error {
  /// Message `what` and the failing call's status `code`.
  cuda_error(const std::string& what, int code) : error(what), code_(code) {}
  /// cudaError_t or cusparseStatus_t value of the failing call.
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

/// The device (or cuSPARSE's workspace) had no room for an allocation.
struct cuda_out_of_memory : cuda_error {
  /// Message, status code, and the bytes asked for (0 when unknown).
  cuda_out_of_memory(const std::string& what, int code, std::size_t bytes) : cuda_error(what, code), bytes_(bytes) {}
  /// Bytes asked for by the allocation that failed (0 when the library did not say).
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t bytes_;
};

namespace cuda {

/// Throws cuda_error (cuda_out_of_memory for an allocation failure) naming
/// `call`, the error's name and description, unless `code` is cudaSuccess;
/// clears a non-sticky error first.
inline void check(cudaError_t code, const char* call) {
  if (code == cudaSuccess) return;
  (void)cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  const std::string what = detail::concat(call, " failed: ", cudaGetErrorName(code), " (", static_cast<int>(code),
                                          "): ", cudaGetErrorString(code));
  if (code == cudaErrorMemoryAllocation) throw cuda_out_of_memory(what, static_cast<int>(code), 0);
  throw cuda_error(what, static_cast<int>(code));
}

/// Throws cuda_error (cuda_out_of_memory when cuSPARSE ran out of memory or
/// resources) naming `call` and the status, unless `code` is success.
inline void check(cusparseStatus_t code, const char* call) {
  if (code == CUSPARSE_STATUS_SUCCESS) return;
  const std::string what =
      detail::concat(call, " failed: cuSPARSE status ", static_cast<int>(code), ": ", cusparseGetErrorString(code));
  if (code == CUSPARSE_STATUS_ALLOC_FAILED || code == CUSPARSE_STATUS_INSUFFICIENT_RESOURCES) {
    throw cuda_out_of_memory(what, static_cast<int>(code), 0);
  }
  throw cuda_error(what, static_cast<int>(code));
}

/// Allocation failure with the size asked for, in the words a user needs.
[[noreturn]] inline void throw_out_of_memory(cudaError_t code, std::size_t bytes, const char* what) {
  (void)cudaGetLastError();
  std::size_t free_bytes = 0, total_bytes = 0;
  (void)cudaMemGetInfo(&free_bytes, &total_bytes);
  (void)cudaGetLastError();
  throw cuda_out_of_memory(detail::concat("cuda: out of device memory allocating ", bytes, " bytes for ", what, " (",
                                          free_bytes, " of ", total_bytes, " bytes free): ", cudaGetErrorString(code)),
                           static_cast<int>(code), bytes);
}

}  // namespace cuda
}  // namespace matsample

/// Checks a CUDA runtime or cuSPARSE call, naming it in the exception.
#define MATSAMPLE_CUDA_CHECK(call) ::matsample::cuda::check((call), #call)
