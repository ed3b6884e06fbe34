#pragma once
// The distributed backend's collectives over NCCL, for data that lives on the
// device: all-reduce, broadcast, and the all-to-all-v exchange (counts first,
// then the data, as grouped ncclSend/ncclRecv). The NCCL communicator is made
// from an MPI communicator (rank 0's ncclUniqueId is broadcast over MPI), and
// every call counts its bytes in an mpi::volume like the MPI layer does.
// Host-only code: it compiles with g++ as well as nvcc.

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "matsample/backend/cuda/error.cuh"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/backend/mpi/communicator.hpp"

namespace matsample {

/// An NCCL call failed; code() is the ncclResult_t.
struct nccl_error : cuda_error {
  /// cuda_error's constructor: the message and the ncclResult_t.
  using cuda_error::cuda_error;
};

/// Collectives over NCCL for device-resident data (all-reduce, broadcast,
/// all-to-all-v), with communicators made from MPI ones and every call
/// counted in an mpi::volume; used by the multi-GPU feature fetch.
namespace nccl {

/// Throws nccl_error naming `call` and NCCL's description unless `code` is ncclSuccess.
inline void check(ncclResult_t code, const char* call) {
  if (code == ncclSuccess) return;
  throw nccl_error(
      detail::concat(call, " failed: NCCL result ", static_cast<int>(code), ": ", ncclGetErrorString(code)),
      static_cast<int>(code));
}

/// The NCCL datatype of T: the matching integer or floating type, ncclUint8
/// for any other trivially copyable T (moved as bytes; see count_of).
template <class T>
ncclDataType_t datatype() {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (std::is_same_v<T, std::int32_t>)
    return ncclInt32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return ncclInt64;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return ncclUint64;
  else if constexpr (std::is_same_v<T, float>)
    return ncclFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return ncclFloat64;
  else
    return ncclUint8;  // counts are scaled by sizeof(T)
}

/// The NCCL element count of n values of T (n * sizeof(T) when T moves as bytes).
template <class T>
std::size_t count_of(std::int64_t n) {
  return static_cast<std::size_t>(n) * (datatype<T>() == ncclUint8 ? sizeof(T) : 1);
}

/// An NCCL communicator over the ranks of an MPI communicator, bound to one
/// stream; every collective waits for its stream and counts its bytes in
/// moved(). Not copyable; destroys the NCCL communicator on destruction.
class communicator {
 public:
  /// Collective over `comm`: every rank of it must call this.
  explicit communicator(MPI_Comm comm, cudaStream_t stream = nullptr) : mpi_comm_(comm), stream_(stream) {
    mpi::check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
    mpi::check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
    ncclUniqueId id{};
    if (rank_ == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    mpi::check(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, comm), "MPI_Bcast");
    check(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
  }
  communicator(const communicator&) = delete;
  communicator& operator=(const communicator&) = delete;
  ~communicator() { (void)ncclCommDestroy(comm_); }

  /// My rank in the communicator.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Number of ranks.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// The stream the collectives run on.
  [[nodiscard]] cudaStream_t stream() const noexcept { return stream_; }
  /// The MPI communicator it was made from (not owned: it must outlive this one).
  [[nodiscard]] MPI_Comm mpi_comm() const noexcept { return mpi_comm_; }
  /// Bytes and messages this rank moved so far (the ring algorithms' model).
  [[nodiscard]] const mpi::volume& moved() const noexcept { return moved_; }

  /// recv = op over the ranks of send (n elements each; in place when equal).
  /// `also`, when given, counts the bytes too.
  template <class T>
  void all_reduce(const T* send, T* recv, std::int64_t n, ncclRedOp_t op = ncclSum, mpi::volume* also = nullptr) {
    check(ncclAllReduce(send, recv, count_of<T>(n), datatype<T>(), op, comm_, stream_), "ncclAllReduce");
    sync();
    mpi::count_all_reduce(moved_, size_, n * static_cast<std::int64_t>(sizeof(T)));
    if (also != nullptr) mpi::count_all_reduce(*also, size_, n * static_cast<std::int64_t>(sizeof(T)));
  }

  /// root's n elements to every rank.
  template <class T>
  void broadcast(T* buffer, std::int64_t n, int root) {
    check(ncclBroadcast(buffer, buffer, count_of<T>(n), datatype<T>(), root, comm_, stream_), "ncclBroadcast");
    sync();
    const std::int64_t bytes = n * static_cast<std::int64_t>(sizeof(T));
    if (size_ > 1) {  // the ring forwards the buffer once along p - 1 links
      if (rank_ != (root + size_ - 1) % size_) moved_.bytes_sent += bytes, ++moved_.messages;
      if (rank_ != root) moved_.bytes_received += bytes;
    }
  }

  /// All-to-all-v: block r of `send` (device, send_offsets[r]..[r+1]) goes to
  /// rank r; returns what the ranks sent here, in rank order, on the device,
  /// with its offsets in recv_offsets. Counts travel first, as in mpi::exchange:
  /// offsets that do not describe blocks make this rank send count -1 to all,
  /// so every rank throws instead of waiting. `also`, when given, counts the bytes too.
  template <class T>
  cuda::device_buffer<T> exchange(const T* send, std::span<const std::int64_t> send_offsets,
                                  std::vector<std::int64_t>& recv_offsets, mpi::volume* also = nullptr) {
    const auto peers = static_cast<std::size_t>(size_);
    bool valid = send_offsets.size() == peers + 1 && send_offsets[0] == 0;
    for (std::size_t r = 0; valid && r < peers; ++r) valid = send_offsets[r] <= send_offsets[r + 1];
    std::vector<std::int64_t> send_counts(peers, -1);
    for (std::size_t r = 0; valid && r < peers; ++r) send_counts[r] = send_offsets[r + 1] - send_offsets[r];
    auto counts_out = cuda::upload(std::span<const std::int64_t>(send_counts), stream_, "exchange counts");
    cuda::device_buffer<std::int64_t> counts_in(size_, stream_, "exchange counts");
    grouped([&] {
      for (int r = 0; r < size_; ++r) {
        check(ncclSend(counts_out.data() + r, 1, ncclInt64, r, comm_, stream_), "ncclSend");
        check(ncclRecv(counts_in.data() + r, 1, ncclInt64, r, comm_, stream_), "ncclRecv");
      }
    });
    const auto recv_counts = cuda::download(counts_in.data(), size_, stream_);
    if (!valid) {
      throw argument_error(detail::concat("exchange: ", send_offsets.size(), " send offsets for ", size_,
                                          " ranks do not describe blocks (first 0, ascending)"));
    }
    for (int r = 0; r < size_; ++r) {
      if (recv_counts[r] < 0) throw error(detail::concat("rank ", r, ": exchange: its send offsets were invalid"));
    }
    recv_offsets.assign(static_cast<std::size_t>(size_) + 1, 0);
    for (int r = 0; r < size_; ++r) recv_offsets[r + 1] = recv_offsets[r] + recv_counts[r];
    cuda::device_buffer<T> recv(recv_offsets.back(), stream_, "exchanged data");
    grouped([&] {
      for (int r = 0; r < size_; ++r) {
        if (send_counts[r] > 0) {
          check(ncclSend(send + send_offsets[r], count_of<T>(send_counts[r]), datatype<T>(), r, comm_, stream_),
                "ncclSend");
        }
        if (recv_counts[r] > 0) {
          check(ncclRecv(recv.data() + recv_offsets[r], count_of<T>(recv_counts[r]), datatype<T>(), r, comm_, stream_),
                "ncclRecv");
        }
      }
    });
    sync();
    for (mpi::volume* v : {&moved_, also}) {  // what crosses the network, counts included (as mpi::exchange)
      if (v == nullptr) continue;
      for (int r = 0; r < size_; ++r) {
        if (r == rank_) continue;
        v->bytes_sent += send_counts[r] * static_cast<std::int64_t>(sizeof(T)) + 8;
        v->bytes_received += recv_counts[r] * static_cast<std::int64_t>(sizeof(T)) + 8;
        v->messages += (send_counts[r] > 0) + 1;
      }
    }
    return recv;
  }

 private:
  template <class F>
  void grouped(F&& body) {
    check(ncclGroupStart(), "ncclGroupStart");
    try {
      body();
    } catch (...) {
      (void)ncclGroupEnd();
      throw;
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
  }
  void sync() { cuda::check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

  MPI_Comm mpi_comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
  mpi::volume moved_;
};

}  // namespace nccl
}  // namespace matsample
