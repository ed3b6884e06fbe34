// Error-path parity on the GPU: tests/test_errors.cpp (malformed CSR, bad
// rows and seeds, duplicate destinations, bad weights, offsets past int32,
// bad selections) with the CUDA backend added to test::backends, so every
// case also runs on it and it must throw the CPU backend's exception type
// with the CPU backend's message. Without a GPU it prints "SKIPPED: no CUDA
// device" and exits 77.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "backends.cuh"
#include "matsample/cuda.cuh"

#define MATSAMPLE_TEST_EXTRA_BACKENDS test::backend::cuda
#include "../test_errors.cpp"

int main(int argc, char** argv) {
  if (matsample::cuda::device_count() == 0) {
    std::printf("SKIPPED: no CUDA device (cudaGetDeviceCount found none); the gpu error cases did not run\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
