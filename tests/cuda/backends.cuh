#pragma once
// The CUDA backends as fixtures of the backend axis (tests/backends.hpp).

#include <tuple>

#include "matsample/cuda.cuh"

namespace test {
namespace backend {

/// The CUDA backend with its default options.
struct cuda {
  static const matsample::cuda_backend& get() {
    static const matsample::cuda_backend b;
    return b;
  }
};
/// The CUDA backend with a one-byte memory budget: every SpGEMM row is a
/// chunk of its own, weighted rows are sampled in CDF chunks.
struct cuda_chunked {
  static const matsample::cuda_backend& get() {
    static const matsample::cuda_backend b{matsample::cuda_options{.memory_budget = 1}};
    return b;
  }
};

}  // namespace backend

/// The CUDA backends the shared kernel cases (tests/kernel_cases.hpp) run on.
using cuda_backends = std::tuple<backend::cuda, backend::cuda_chunked>;

}  // namespace test
