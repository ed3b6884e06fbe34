#pragma once
// MPI plumbing shared by the distributed backend: errors become exceptions,
// every exchange counts the bytes it moves (so tests can hold the measured
// volume to the analytic model), and an exception on one rank ends the whole
// job instead of leaving the other ranks blocked in a collective.

#include <mpi.h>

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/guarded_main.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// An MPI call failed.
struct mpi_error : error {
  using error::error;
};

namespace mpi {

/// Throws mpi_error naming the call and MPI's own description of the code.
inline void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw mpi_error(detail::concat(call, " failed: ", std::string(text, static_cast<std::size_t>(length))));
}

/// Bytes and messages one rank sent and received, per communication step.
struct volume {
  /// Bytes this rank sent.
  std::int64_t bytes_sent = 0, bytes_received = 0, messages = 0;
  /// \var bytes_received
  /// Bytes this rank received.
  /// \var messages
  /// Messages this rank sent.

  /// Adds another step's counts.
  volume& operator+=(const volume& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    messages += o.messages;
    return *this;
  }
};

/// The MPI datatype of T: the matching integer or floating type, MPI_BYTE
/// for any other trivially copyable T (moved as bytes, never reduced).
template <class T>
MPI_Datatype datatype() {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (std::is_same_v<T, std::int32_t>)
    return MPI_INT32_T;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else
    return MPI_BYTE;  // moved as bytes (the transfers below count in bytes); never reduced
}

/// MPI counts are int: refuse what would wrap.
inline int count_of(std::int64_t n, const char* what) {
  if (n < 0 || n > std::numeric_limits<int>::max()) {
    throw index_overflow_error(detail::concat(what, ": ", n, " elements exceed MPI's int count"));
  }
  return static_cast<int>(n);
}

/// Point-to-point plumbing of the collectives below.
namespace transport {

/// Largest message the transfers below post. MPI counts are int and Open MPI
/// 4 has no large-count calls, so bigger buffers travel as several messages;
/// both sides cut them the same way from the same byte count. It must be the
/// same on every rank; tests lower it to exercise the split.
inline std::int64_t max_message_bytes = std::int64_t{1} << 30;

/// A rank's part of a point-to-point round: bytes to and from each peer.
struct byte_block {
  const void* send = nullptr;   ///< Bytes to send to the peer (not owned)
  std::int64_t send_bytes = 0;  ///< How many to send
  void* recv = nullptr;         ///< Where the peer's bytes land (not owned)
  std::int64_t recv_bytes = 0;  ///< How many to receive; must match what the peer sends
};

/// Moves every block of `blocks` (one per rank of `comm`) to and from that
/// peer; my own block is copied. Messages are nonblocking, so no ordering of
/// peers can deadlock, and each is at most max_message_bytes.
inline void transfer(MPI_Comm comm, std::span<const byte_block> blocks, int self) {
  std::vector<MPI_Request> requests;
  const int tag = 0x6d73;  // "ms"; messages of one pair arrive in order, so calls never mix
  // Calls MPI_Isend or MPI_Irecv once per piece of at most max_message_bytes.
  const auto post = [&](auto start, auto* base, std::int64_t bytes, int peer) {
    for (std::int64_t at = 0; at < bytes; at += max_message_bytes) {
      const int n = static_cast<int>(std::min(max_message_bytes, bytes - at));
      requests.emplace_back();
      check(start(base + at, n, MPI_BYTE, peer, tag, comm, &requests.back()), "MPI_Isend/MPI_Irecv");
    }
  };
  for (int r = 0; r < static_cast<int>(blocks.size()); ++r) {
    if (r != self) post(MPI_Irecv, static_cast<char*>(blocks[r].recv), blocks[r].recv_bytes, r);
  }
  for (int r = 0; r < static_cast<int>(blocks.size()); ++r) {
    if (r != self) post(MPI_Isend, static_cast<const char*>(blocks[r].send), blocks[r].send_bytes, r);
  }
  if (blocks[self].send_bytes > 0)
    std::memcpy(blocks[self].recv, blocks[self].send, static_cast<std::size_t>(blocks[self].send_bytes));
  check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
}

/// The rank and size of `comm`.
inline std::pair<int, int> place_in(MPI_Comm comm) {
  int rank = 0, size = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return {rank, size};
}

}  // namespace transport

/// All-to-all of variable-sized blocks: send[send_offsets[r], send_offsets[r+1])
/// goes to rank r; returns what every rank sent here, in rank order, with its
/// offsets. Counts travel first (one int64 per rank), then the data, in as
/// many messages as its size needs. Offsets that do not describe `send` make
/// this rank send count -1 to all: every rank learns of it from the counts it
/// must receive anyway and throws, so a bad call never leaves a peer waiting.
template <class T>
std::vector<T> exchange(MPI_Comm comm, std::span<const T> send, std::span<const std::int64_t> send_offsets,
                        std::vector<std::int64_t>& recv_offsets, volume* moved = nullptr) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto [self, size] = transport::place_in(comm);
  const auto peers = static_cast<std::size_t>(size);
  bool valid = send_offsets.size() == peers + 1 && send_offsets[0] == 0 &&
               send_offsets.back() <= static_cast<std::int64_t>(send.size());
  for (std::size_t r = 0; valid && r < peers; ++r) valid = send_offsets[r] <= send_offsets[r + 1];
  std::vector<std::int64_t> send_counts(peers, -1), recv_counts(peers);
  for (std::size_t r = 0; valid && r < peers; ++r) send_counts[r] = send_offsets[r + 1] - send_offsets[r];
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, recv_counts.data(), 1, MPI_INT64_T, comm), "MPI_Alltoall");
  if (!valid) {
    throw argument_error(detail::concat("exchange: ", send_offsets.size(), " send offsets for ", size,
                                        " ranks do not describe a send buffer of ", send.size(), " elements"));
  }
  const auto failed = std::find_if(recv_counts.begin(), recv_counts.end(), [](std::int64_t n) { return n < 0; });
  if (failed != recv_counts.end()) {
    throw error(detail::concat("rank ", failed - recv_counts.begin(), ": exchange: its send offsets were invalid"));
  }
  recv_offsets.assign(peers + 1, 0);
  for (std::size_t r = 0; r < peers; ++r) recv_offsets[r + 1] = recv_offsets[r] + recv_counts[r];
  std::vector<T> recv(static_cast<std::size_t>(recv_offsets.back()));
  std::vector<transport::byte_block> blocks(peers);
  constexpr auto width = static_cast<std::int64_t>(sizeof(T));
  for (std::size_t r = 0; r < peers; ++r) {
    blocks[r] = {send.data() + send_offsets[r], send_counts[r] * width, recv.data() + recv_offsets[r],
                 recv_counts[r] * width};
  }
  transport::transfer(comm, blocks, self);
  if (moved != nullptr) {
    // What crosses the network: blocks to and from other ranks, counts included.
    for (std::size_t r = 0; r < peers; ++r) {
      if (static_cast<int>(r) == self) continue;
      moved->bytes_sent += send_counts[r] * width + 8;
      moved->bytes_received += recv_counts[r] * width + 8;
      moved->messages += (send_counts[r] > 0) + 1;
    }
  }
  return recv;
}

/// All-gather of variable-sized blocks: every rank contributes `mine` and
/// gets all contributions, in rank order, with `offsets`. Sizes travel first.
template <class T>
std::vector<T> all_gather(MPI_Comm comm, std::span<const T> mine, std::vector<std::int64_t>& offsets,
                          volume* moved = nullptr) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto [self, size] = transport::place_in(comm);
  const auto peers = static_cast<std::size_t>(size);
  const auto n = static_cast<std::int64_t>(mine.size());
  std::vector<std::int64_t> counts(peers);
  check(MPI_Allgather(&n, 1, MPI_INT64_T, counts.data(), 1, MPI_INT64_T, comm), "MPI_Allgather");
  offsets.assign(peers + 1, 0);
  for (std::size_t r = 0; r < peers; ++r) offsets[r + 1] = offsets[r] + counts[r];
  std::vector<T> all(static_cast<std::size_t>(offsets.back()));
  constexpr auto width = static_cast<std::int64_t>(sizeof(T));
  std::vector<transport::byte_block> blocks(peers);
  for (std::size_t r = 0; r < peers; ++r)
    blocks[r] = {mine.data(), n * width, all.data() + offsets[r], counts[r] * width};
  transport::transfer(comm, blocks, self);
  if (moved != nullptr) {
    moved->bytes_sent += (size - 1) * (n * width + 8);
    moved->bytes_received += (offsets.back() - n) * width + 8 * (size - 1);
    moved->messages += 2 * (size - 1);
  }
  return all;
}

/// Broadcast of `data` (the same size on every rank) from `root`, in
/// messages of at most max_message_bytes.
template <class T>
void broadcast(MPI_Comm comm, std::span<T> data, int root) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto bytes = static_cast<std::int64_t>(data.size_bytes());
  for (std::int64_t at = 0; at < bytes; at += transport::max_message_bytes) {
    const int n = static_cast<int>(std::min(transport::max_message_bytes, bytes - at));
    check(MPI_Bcast(reinterpret_cast<char*>(data.data()) + at, n, MPI_BYTE, root, comm), "MPI_Bcast");
  }
}

/// Blocking send of `data` to one peer, in messages of at most
/// max_message_bytes; the peer posts the matching receive_from.
template <class T>
void send_to(MPI_Comm comm, std::span<const T> data, int peer) {
  const auto bytes = static_cast<std::int64_t>(data.size_bytes());
  for (std::int64_t at = 0; at < bytes; at += transport::max_message_bytes) {
    const int n = static_cast<int>(std::min(transport::max_message_bytes, bytes - at));
    check(MPI_Send(reinterpret_cast<const char*>(data.data()) + at, n, MPI_BYTE, peer, 0, comm), "MPI_Send");
  }
}
/// Blocking receive of `data` (its size must match what the peer's send_to
/// sends) from one peer, in the same pieces.
template <class T>
void receive_from(MPI_Comm comm, std::span<T> data, int peer) {
  const auto bytes = static_cast<std::int64_t>(data.size_bytes());
  for (std::int64_t at = 0; at < bytes; at += transport::max_message_bytes) {
    const int n = static_cast<int>(std::min(transport::max_message_bytes, bytes - at));
    check(MPI_Recv(reinterpret_cast<char*>(data.data()) + at, n, MPI_BYTE, peer, 0, comm, MPI_STATUS_IGNORE),
          "MPI_Recv");
  }
}

/// Adds to `v` what an all-reduce of `bytes` per rank over p ranks moves as
/// a ring does it (reduce-scatter, then all-gather): 2(p-1)/p of the buffer
/// sent and received by every rank, in 2(p-1) messages. MPI and NCCL
/// all-reduces are counted by this one model.
inline void count_all_reduce(volume& v, int p, std::int64_t bytes) {
  const std::int64_t moved = 2 * (p - 1) * bytes / p;
  v.bytes_sent += moved;
  v.bytes_received += moved;
  v.messages += 2 * (p - 1);
}

/// In-place all-reduce of arithmetic values with `op`, in pieces that fit
/// MPI's int count; adds the ring model's bytes to `moved` when given.
template <class T>
void all_reduce(MPI_Comm comm, std::span<T> data, MPI_Op op, volume* moved = nullptr) {
  static_assert(std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
                    std::is_same_v<T, std::uint64_t> || std::is_same_v<T, float> || std::is_same_v<T, double>,
                "all_reduce: one of the types datatype() names");
  constexpr std::int64_t piece = std::int64_t{1} << 28;
  const auto n = static_cast<std::int64_t>(data.size());
  for (std::int64_t at = 0; at < n; at += piece) {
    check(MPI_Allreduce(MPI_IN_PLACE, data.data() + at, static_cast<int>(std::min(piece, n - at)), datatype<T>(), op,
                        comm),
          "MPI_Allreduce");
  }
  if (moved != nullptr) {
    int size = 1;
    check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
    count_all_reduce(*moved, size, n * static_cast<std::int64_t>(sizeof(T)));
  }
}

/// Sums data-parallel gradients over the ranks of `comm` in place (host
/// buffers, MPI). The device form, over NCCL, is in backend/nccl/features.cuh
/// and counts the same bytes.
template <class T>
void all_reduce_gradients(MPI_Comm comm, std::span<T> gradients, volume* moved = nullptr) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "all_reduce_gradients: float or double");
  all_reduce(comm, gradients, MPI_SUM, moved);
}

/// Runs a local check on every rank and agrees on the outcome before any
/// rank goes on to a collective, so bad input on one rank cannot leave the
/// others waiting. If some rank's check threw, every rank
/// that failed rethrows its own exception, and every other rank throws
/// matsample::error "rank R: <message>" for the lowest failing rank R.
template <class F>
void collective_check(MPI_Comm comm, F&& check_locally) {
  std::exception_ptr failure;
  std::string what;
  try {
    check_locally();
  } catch (const std::exception& e) {  // bad input, and resources (std::bad_alloc) too
    failure = std::current_exception();
    what = e.what();
  }
  int rank = 0, size = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const int mine = failure ? rank : size;
  int first = size;
  check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (first == size) return;
  int length = static_cast<int>(what.size());
  check(MPI_Bcast(&length, 1, MPI_INT, first, comm), "MPI_Bcast");
  what.resize(static_cast<std::size_t>(length));
  check(MPI_Bcast(what.data(), length, MPI_CHAR, first, comm), "MPI_Bcast");
  if (failure) std::rethrow_exception(failure);
  throw error(detail::concat("rank ", first, ": ", what));
}

/// f's result, computed locally but agreed on like collective_check: if f
/// throws on any rank, every rank throws.
template <class F>
auto agreed(MPI_Comm comm, F&& f) {
  std::optional<decltype(f())> out;
  collective_check(comm, [&] { out.emplace(f()); });
  return std::move(*out);
}

/// Runs f; if it throws on this rank, prints "matsample: rank R: <message>"
/// (report_current_exception: std::bad_alloc reads as out of memory) and
/// aborts every rank of `comm` (MPI_Abort with the report's exit status), so
/// no rank waits forever in a collective that the failed rank will never
/// enter. Returns f's result.
template <class F>
decltype(auto) abort_on_error(MPI_Comm comm, F&& f) {
  try {
    return f();
  } catch (...) {
    const auto report = report_current_exception();
    int rank = -1;
    MPI_Comm_rank(comm, &rank);
    std::fprintf(stderr, "matsample: rank %d: %s\n", rank, report.message.c_str());
    std::fflush(stderr);
    MPI_Abort(comm, report.status);
    throw;  // not reached: MPI_Abort does not return
  }
}

}  // namespace mpi
}  // namespace matsample
