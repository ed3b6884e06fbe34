# Enables the CUDA language for matsample's own CUDA tests and benchmark
# (included from the top-level CMakeLists.txt when matsample::cuda exists).
# Sets MATSAMPLE_CUDA_LANGUAGE when nvcc works (C++20 comes from
# matsample::cuda). The default architectures are sm_80 and sm_90 (A100,
# H100/H200); override with -DCMAKE_CUDA_ARCHITECTURES or CMake's CUDAARCHS
# environment variable (scripts/test compiles one: without a GPU the device
# code is only compiled, and every architecture costs a full nvcc pass).
include(CheckLanguage)
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
  set(CMAKE_CUDA_ARCHITECTURES "80;90")
endif()
if(NOT CMAKE_CUDA_COMPILER AND CUDAToolkit_NVCC_EXECUTABLE)
  set(CMAKE_CUDA_COMPILER "${CUDAToolkit_NVCC_EXECUTABLE}")
endif()
if(NOT CMAKE_CUDA_HOST_COMPILER)
  set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}")
endif()
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  enable_language(CUDA)
  set(MATSAMPLE_CUDA_LANGUAGE ON)
  message(STATUS "matsample: CUDA tests and benchmark for architectures ${CMAKE_CUDA_ARCHITECTURES}")
else()
  message(STATUS "matsample: no working nvcc; CUDA tests and benchmark are not built")
endif()
