#pragma once
// The frame of the NCCL tests (run under mpirun). NCCL runs one rank per
// device: two ranks on one GPU fail in ncclCommInitRank ("Duplicate GPU
// detected"). So each rank of a node gets its own device, or every rank
// skips when a node has fewer devices than ranks (all ranks agree, so none
// is left waiting).

#include <cuda_runtime.h>
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <string>

namespace gpu_ranks {

inline int rank = 0, size = 1;  ///< in MPI_COMM_WORLD, set by run()

/// Empty when every rank got a device of its own (now current); otherwise why not.
inline std::string skip_reason(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local_rank = 0, local_size = 1, devices = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_size);
  MPI_Comm_free(&node);
  if (cudaGetDeviceCount(&devices) != cudaSuccess) {
    (void)cudaGetLastError();
    devices = 0;
  }
  int ok = devices > local_rank && cudaSetDevice(local_rank) == cudaSuccess ? 1 : 0;
  int all_ok = 0, fewest = 0, most_ranks = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(&devices, &fewest, 1, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(&local_size, &most_ranks, 1, MPI_INT, MPI_MAX, comm);
  if (all_ok == 1) return {};
  if (fewest == 0) return "no CUDA device";
  return std::to_string(most_ranks) + " ranks on a node with " + std::to_string(fewest) +
         " CUDA device(s) (NCCL needs one device per rank)";
}

/// MPI_Init; a device per rank, or "SKIPPED: ..." and 77 on every rank;
/// body(); "<what>: all checks passed"; MPI_Finalize. An exception on a rank
/// prints it and aborts every rank, as a failed EXPECT does.
template <class F>
int run(int argc, char** argv, const char* what, F&& body) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (const std::string why = skip_reason(MPI_COMM_WORLD); !why.empty()) {
    if (rank == 0) std::printf("SKIPPED: %s; %s did not run\n", why.c_str(), what);
    MPI_Finalize();
    return 77;
  }
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (rank == 0) std::printf("%s: all checks passed on %d ranks\n", what, size);
  MPI_Finalize();
  return 0;
}

}  // namespace gpu_ranks

/// A check of the NCCL tests: on failure, names the rank and line and aborts every rank.
#define EXPECT(cond)                                                                                   \
  do {                                                                                                 \
    if (!(cond)) {                                                                                     \
      std::fprintf(stderr, "rank %d: %s:%d: %s failed\n", gpu_ranks::rank, __FILE__, __LINE__, #cond); \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                                    \
    }                                                                                                  \
  } while (false)
