#pragma once
// Umbrella header of the CUDA part (compile with nvcc, link matsample::cuda):
// the device containers, the cuda_backend and its errors, on top of the CPU
// umbrella, so one include gives both backends and every sampler.

#include "matsample/matsample.hpp"
#include "matsample/backend/cuda/backend.cuh"
#include "matsample/backend/cuda/error.cuh"
#include "matsample/backend/cuda/memory.cuh"
