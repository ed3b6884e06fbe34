#pragma once
// Build-wide switches shared by every layer of matsample.

#include "matsample/version.hpp"

// Kernel bodies are written once and run on the host (reference and CPU
// backends, unit tests) and inside CUDA kernels, so they carry both qualifiers
// when compiled by nvcc.
#if defined(__CUDACC__)
#define MATSAMPLE_HD __host__ __device__
#else
#define MATSAMPLE_HD
#endif
