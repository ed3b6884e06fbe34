#pragma once
// Umbrella header of the CUDA part (compile with nvcc, link matsample::cuda):
// the device containers, the cuda_backend and its errors, on top of the CPU
// umbrella, so one include gives both backends and every sampler.

/// \namespace matsample::cuda
/// The single-GPU backend: device memory and CSR containers
/// (device_csr_matrix, device_csr_view), the kernel launch layer, device
/// SpGEMM, and cuda_backend, which implements the kernel contract on one
/// device and gives the CPU backend's bits for the same seed.

#include "matsample/matsample.hpp"
#include "matsample/backend/cuda/backend.cuh"
#include "matsample/backend/cuda/error.cuh"
#include "matsample/backend/cuda/memory.cuh"
