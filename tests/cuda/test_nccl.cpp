// NCCL collectives on device buffers, run under mpirun (ctest: 1 and 2
// ranks, one GPU each): all-reduce, broadcast and the all-to-all-v exchange
// move the right data and count their bytes. Exits 77 (skipped) with
// "SKIPPED: ..." where a node has no GPU or fewer GPUs than ranks.

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "gpu_ranks.hpp"
#include "matsample/backend/nccl/communicator.cuh"

namespace ms = matsample;

int main(int argc, char** argv) {
  return gpu_ranks::run(argc, argv, "nccl collectives", [] {
    const int rank = gpu_ranks::rank, size = gpu_ranks::size;
    ms::nccl::communicator comm(MPI_COMM_WORLD);
    std::vector<double> mine(1000, rank + 1.0);
    auto buf = ms::cuda::upload(std::span<const double>(mine), nullptr);
    comm.all_reduce(buf.data(), buf.data(), 1000);
    const auto sum = ms::cuda::download(buf.data(), 1000, nullptr);
    EXPECT(sum[999] == size * (size + 1) / 2.0);
    std::vector<std::int64_t> ids(10, rank == 1 ? 7 : 0);
    auto b = ms::cuda::upload(std::span<const std::int64_t>(ids), nullptr);
    comm.broadcast(b.data(), 10, size > 1 ? 1 : 0);
    EXPECT(ms::cuda::download(b.data(), 10, nullptr)[3] == (size > 1 ? 7 : 0));
    // Rank r sends r + 1 copies of (rank * 100 + r) to rank r.
    std::vector<std::int32_t> send;
    std::vector<std::int64_t> offsets{0};
    for (int r = 0; r < size; ++r) {
      send.insert(send.end(), static_cast<std::size_t>(r + 1), rank * 100 + r);
      offsets.push_back(static_cast<std::int64_t>(send.size()));
    }
    auto d_send = ms::cuda::upload(std::span<const std::int32_t>(send), nullptr);
    std::vector<std::int64_t> recv_offsets;
    const auto before = comm.moved();
    auto got = comm.exchange(d_send.data(), std::span<const std::int64_t>(offsets), recv_offsets);
    const auto host = ms::cuda::download(got.data(), got.size(), nullptr);
    EXPECT(recv_offsets.back() == static_cast<std::int64_t>(size) * (rank + 1));
    for (int r = 0; r < size; ++r) EXPECT(host[static_cast<std::size_t>(recv_offsets[r])] == r * 100 + rank);
    EXPECT(comm.moved().bytes_received - before.bytes_received == (size - 1) * ((rank + 1) * 4 + 8));
    std::vector<std::int64_t> bad{0, 1};
    bool threw = size == 1;
    try {
      if (size > 1) (void)comm.exchange(d_send.data(), std::span<const std::int64_t>(bad), recv_offsets);
    } catch (const ms::argument_error&) { threw = true; }
    EXPECT(threw);
  });
}
