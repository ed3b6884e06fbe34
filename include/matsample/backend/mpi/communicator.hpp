#pragma once
// MPI plumbing shared by the distributed backend: errors become exceptions,
// every exchange counts the bytes it moves (so tests can hold the measured
// volume to the analytic model), and an exception on one rank ends the whole
// job instead of leaving the other ranks blocked in a collective.

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "matsample/core/error.hpp"
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
  std::int64_t bytes_sent = 0, bytes_received = 0, messages = 0;

  volume& operator+=(const volume& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    messages += o.messages;
    return *this;
  }
};

template <class T>
MPI_Datatype datatype() {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (std::is_same_v<T, std::int32_t>) return MPI_INT32_T;
  else if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else return MPI_BYTE;  // callers scale counts by sizeof(T) for other types
}

/// MPI counts are int: refuse what would wrap.
inline int count_of(std::int64_t n, const char* what) {
  if (n < 0 || n > std::numeric_limits<int>::max()) {
    throw index_overflow_error(detail::concat(what, ": ", n, " elements exceed MPI's int count"));
  }
  return static_cast<int>(n);
}

/// All-to-all of variable-sized blocks: send[send_offsets[r], send_offsets[r+1])
/// goes to rank r; returns what every rank sent here, in rank order, with its
/// offsets. Counts travel first (one int64 per rank), then the data.
template <class T>
std::vector<T> exchange(MPI_Comm comm, std::span<const T> send, std::span<const std::int64_t> send_offsets,
                        std::vector<std::int64_t>& recv_offsets, volume* moved = nullptr) {
  int size = 0;
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (send_offsets.size() != static_cast<std::size_t>(size) + 1) {
    throw argument_error(detail::concat("exchange: ", send_offsets.size(), " offsets for ", size, " ranks"));
  }
  std::vector<std::int64_t> send_counts(static_cast<std::size_t>(size)), recv_counts(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) send_counts[r] = send_offsets[r + 1] - send_offsets[r];
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, recv_counts.data(), 1, MPI_INT64_T, comm), "MPI_Alltoall");
  recv_offsets.assign(static_cast<std::size_t>(size) + 1, 0);
  for (int r = 0; r < size; ++r) recv_offsets[r + 1] = recv_offsets[r] + recv_counts[r];
  std::vector<T> recv(static_cast<std::size_t>(recv_offsets.back()));

  const MPI_Datatype type = datatype<T>();
  const std::int64_t scale = type == MPI_BYTE ? static_cast<std::int64_t>(sizeof(T)) : 1;
  std::vector<int> sc(static_cast<std::size_t>(size)), sd(sc.size()), rc(sc.size()), rd(sc.size());
  for (int r = 0; r < size; ++r) {
    sc[r] = count_of(send_counts[r] * scale, "exchange");
    sd[r] = count_of(send_offsets[r] * scale, "exchange");
    rc[r] = count_of(recv_counts[r] * scale, "exchange");
    rd[r] = count_of(recv_offsets[r] * scale, "exchange");
  }
  check(MPI_Alltoallv(send.data(), sc.data(), sd.data(), type, recv.data(), rc.data(), rd.data(), type, comm),
        "MPI_Alltoallv");
  if (moved != nullptr) {
    int self = 0;
    check(MPI_Comm_rank(comm, &self), "MPI_Comm_rank");
    // What crosses the network: blocks to and from other ranks, counts included.
    for (int r = 0; r < size; ++r) {
      if (r == self) continue;
      moved->bytes_sent += send_counts[r] * static_cast<std::int64_t>(sizeof(T)) + 8;
      moved->bytes_received += recv_counts[r] * static_cast<std::int64_t>(sizeof(T)) + 8;
      moved->messages += (send_counts[r] > 0) + 1;
    }
  }
  return recv;
}

/// Runs a local check on every rank and agrees on the outcome before any
/// rank goes on to a collective, so bad input on one rank cannot leave the
/// others waiting. If some rank's check threw a matsample::error, every rank
/// that failed rethrows its own exception, and every other rank throws
/// matsample::error "rank R: <message>" for the lowest failing rank R.
template <class F>
void collective_check(MPI_Comm comm, F&& check_locally) {
  std::exception_ptr failure;
  std::string what;
  try {
    check_locally();
  } catch (const error& e) {
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

/// Runs f; if it throws on this rank, prints "matsample: rank R: <what>" and
/// aborts every rank of `comm` (MPI_Abort), so no rank waits forever in a
/// collective that the failed rank will never enter. Returns f's result.
template <class F>
decltype(auto) abort_on_error(MPI_Comm comm, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    int rank = -1;
    MPI_Comm_rank(comm, &rank);
    std::fprintf(stderr, "matsample: rank %d: %s\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(comm, 1);
    throw;  // not reached: MPI_Abort does not return
  }
}

}  // namespace mpi
}  // namespace matsample
