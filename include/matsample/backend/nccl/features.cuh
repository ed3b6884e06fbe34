#pragma once
// The distributed backend's feature fetch and gradient all-reduce for data
// that lives on the device, over NCCL. They are overloads of the MPI ones,
// picked by the memory space of the buffers:
//
//   mpi::fetch_features(MPI_Comm, partition, std::span<const float> rows, dim, std::span<const I> ids)
//       host blocks: backend/mpi/features.hpp, over MPI
//   mpi::fetch_features(nccl::communicator&, partition, cuda::device_span<const float> rows, dim,
//                       cuda::device_span<const I> ids)
//       device blocks: here, over NCCL; the rows come back in a device buffer
//   mpi::fetch_features(grid, mpi::feature_block, std::span ids)            host, MPI
//   mpi::fetch_features(grid, nccl::device_feature_block, device_span ids)  device, NCCL
//   mpi::all_reduce_gradients(MPI_Comm, std::span<T>)                      host, MPI: backend/mpi/communicator.hpp
//   mpi::all_reduce_gradients(nccl::communicator&, cuda::device_span<T>)   device, NCCL
//
// The device fetch is the MPI one's algorithm step for step: the ids are
// bucketed by owner in request order (a stable radix sort by owner on the
// device), the counts and then the ids travel to the owners, each owner
// copies the rows asked of it in the order asked, and the rows travel back
// and are put in request order. The same blocks cross the network, so the
// bytes counted in mpi::volume (blocks to and from other ranks, 8 bytes of
// count per peer and exchange) are the MPI version's, and the rows are the
// same bits. Compile with nvcc (the bucketing and copies are kernels).

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "matsample/algebra/row_kernels.hpp"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/backend/cuda/primitives.cuh"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/backend/nccl/communicator.cuh"
#include "matsample/core/config.hpp"

namespace matsample {
namespace nccl {

/// The part that owns vertex v (mpi::block_partition::owner, callable in device code).
MATSAMPLE_HD inline int owner_of(std::int64_t n, int parts, std::int64_t v) {
  const std::int64_t span = n > 1 ? n : 1;
  std::int64_t b = v * parts / span;
  if (b > parts - 1) b = parts - 1;
  while (b > 0 && v < n * b / parts) --b;
  while (b + 1 < parts && v >= n * (b + 1) / parts) ++b;
  return static_cast<int>(b);
}

/// A rank's block of a vertex-partitioned feature matrix, in device memory,
/// with the NCCL communicator over the ranks that hold one block each (a
/// grid's column communicator, as the host fetch uses).
struct device_feature_block {
  mpi::block_partition vertices;       ///< The vertex blocks, one per grid row
  std::int64_t dim = 0;                ///< Features per vertex
  cuda::device_buffer<float> rows;     ///< the rows of my grid row's block, row-major
  std::shared_ptr<communicator> comm;  ///< NCCL over the grid's column communicator, shared by copies

  /// The host block copied to the device, with NCCL set up over
  /// grid.col_comm(). Collective over the grid; the grid must outlive it.
  static device_feature_block from_host(const mpi::process_grid& grid, const mpi::feature_block& host,
                                        cudaStream_t stream = nullptr) {
    device_feature_block out;
    out.vertices = host.vertices;
    out.dim = host.dim;
    out.rows = cuda::upload(std::span<const float>(host.rows), stream, "feature rows");
    cuda::check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");  // the host rows may go
    out.comm = std::make_shared<communicator>(grid.col_comm(), stream);
    return out;
  }
};

}  // namespace nccl

namespace mpi {

/// fetch_features for device data over NCCL: the feature rows of `needed`
/// (global ids on the device, any order, repeats allowed), `dim` floats each,
/// in the order of `needed`, in a device buffer. `local_rows` holds this
/// rank's block of the partition on the device. Collective over `comm`.
template <index_type I>
cuda::device_buffer<float> fetch_features(nccl::communicator& comm, const block_partition& vertices,
                                          cuda::device_span<const float> local_rows, std::int64_t dim,
                                          cuda::device_span<const I> needed, volume* moved = nullptr) {
  const int rank = comm.rank(), size = comm.size();
  const cudaStream_t stream = comm.stream();
  if (vertices.parts != size) {
    throw argument_error(
        detail::concat("fetch_features: a partition into ", vertices.parts, " parts on ", size, " ranks"));
  }
  const std::int64_t mine = vertices.end(rank) - vertices.begin(rank);
  const std::int64_t n = needed.size();
  const I* ids_in = needed.data();
  const std::int64_t total = vertices.n;
  std::int64_t first_bad = -1;        // the first request outside the partition, as the host loop finds it
  std::exception_ptr device_failure;  // rethrown inside the collective check, so no rank is left waiting
  try {
    cuda::device_first_failure bad(stream);
    long long* slot = bad.slot();
    cuda::for_each_index(n, stream, [=] __device__(std::int64_t i) {
      if (ids_in[i] < 0 || ids_in[i] >= total) cuda::record_failure(slot, i);
    });
    first_bad = bad.index();
  } catch (...) { device_failure = std::current_exception(); }
  collective_check(comm.mpi_comm(), [&] {
    if (device_failure) std::rethrow_exception(device_failure);
    if (local_rows.size() != mine * dim) {
      throw argument_error(detail::concat("fetch_features: ", local_rows.size(), " local values for ", mine,
                                          " vertices of dimension ", dim));
    }
    if (first_bad >= 0) {
      const I v = cuda::read_one(ids_in + first_bad, stream);
      throw out_of_range_error(detail::concat("fetch_features: vertex ", v, " outside [0, ", total, ")"));
    }
    (void)checked_mul(n, dim, "fetch_features: values fetched");
  });
  // Bucket the requests by owner, in request order within a bucket.
  const int parts = size;
  cuda::device_buffer<std::uint64_t> owner(n, stream, "request owners"), owner_alt(n, stream, "request owners");
  cuda::device_buffer<std::int64_t> order(n, stream, "request order"), order_alt(n, stream, "request order");
  {
    std::uint64_t* ow = owner.data();
    std::int64_t* od = order.data();
    cuda::for_each_index(n, stream, [=] __device__(std::int64_t i) {
      ow[i] = static_cast<std::uint64_t>(nccl::owner_of(total, parts, ids_in[i]));
      od[i] = i;
    });
  }
  cub::DoubleBuffer<std::uint64_t> ob(owner.data(), owner_alt.data());
  cub::DoubleBuffer<std::int64_t> rb(order.data(), order_alt.data());
  cuda::radix_sort_pairs(ob, rb, n, cuda::key_bits(static_cast<std::uint64_t>(parts)), stream);  // stable
  cuda::device_buffer<I> ids(n, stream, "bucketed ids");
  cuda::device_buffer<std::int64_t> slot(n, stream, "request slots");  // where request i sits in `ids`
  cuda::device_buffer<std::int64_t> bucket(parts + 1, stream, "bucket offsets");
  {
    const std::uint64_t* so = ob.Current();
    const std::int64_t* sr = rb.Current();
    I* id = ids.data();
    std::int64_t* sl = slot.data();
    std::int64_t* bk = bucket.data();
    cuda::for_each_index(n, stream, [=] __device__(std::int64_t j) {
      id[j] = ids_in[sr[j]];
      sl[sr[j]] = j;
    });
    cuda::for_each_index(parts + 1, stream, [=] __device__(std::int64_t r) {
      bk[r] = kernels::lower_bound_key(so, n, static_cast<std::uint64_t>(r));
    });
  }
  const std::vector<std::int64_t> offsets = cuda::download(bucket.data(), parts + 1, stream);
  std::vector<std::int64_t> asked_offsets;
  const cuda::device_buffer<I> asked = comm.exchange<I>(ids.data(), offsets, asked_offsets, moved);

  // Serve: the rows asked of this rank, in the order asked.
  const std::int64_t served = asked_offsets.back();
  cuda::device_buffer<float> rows(checked_mul(served, dim, "fetch_features: values served"), stream, "served rows");
  {
    const std::int64_t first = vertices.begin(rank);
    const I* as = asked.data();
    const float* local = local_rows.data();
    float* out = rows.data();
    cuda::for_each_index(served * dim, stream, [=] __device__(std::int64_t t) {
      const std::int64_t i = t / dim, d = t % dim;
      out[t] = local[(static_cast<std::int64_t>(as[i]) - first) * dim + d];
    });
  }
  std::vector<std::int64_t> row_offsets(asked_offsets.size()), answer_offsets;
  for (std::size_t r = 0; r < asked_offsets.size(); ++r) row_offsets[r] = asked_offsets[r] * dim;
  const cuda::device_buffer<float> answers = comm.exchange<float>(rows.data(), row_offsets, answer_offsets, moved);

  cuda::device_buffer<float> out(n * dim, stream, "fetched rows");
  {
    const float* an = answers.data();
    const std::int64_t* sl = slot.data();
    float* o = out.data();
    cuda::for_each_index(n * dim, stream, [=] __device__(std::int64_t t) {
      const std::int64_t i = t / dim, d = t % dim;
      o[t] = an[sl[i] * dim + d];
    });
  }
  cuda::check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");  // the scratch above is freed on return
  return out;
}

/// fetch_features over a grid's device feature blocks: requests go to the
/// replica of each block in my grid column, as the host form does.
template <index_type I>
cuda::device_buffer<float> fetch_features(const process_grid& grid, const nccl::device_feature_block& features,
                                          cuda::device_span<const I> needed, volume* moved = nullptr) {
  if (!features.comm || features.comm->size() != grid.rows()) {
    throw argument_error(
        "fetch_features: a device feature block not made by device_feature_block::from_host on this grid");
  }
  return fetch_features(*features.comm, features.vertices, cuda::device_span<const float>(features.rows), features.dim,
                        needed, moved);
}

/// Sums `gradients` over the ranks of `comm` in place (device buffers, NCCL);
/// the host form is in backend/mpi/communicator.hpp.
template <class T>
void all_reduce_gradients(nccl::communicator& comm, cuda::device_span<T> gradients, volume* moved = nullptr) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "all_reduce_gradients: float or double");
  comm.all_reduce(gradients.data(), gradients.data(), gradients.size(), ncclSum, moved);
}

}  // namespace mpi
}  // namespace matsample
