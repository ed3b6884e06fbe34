// The device feature fetch and gradient all-reduce over NCCL against the MPI
// ones on the same data, run under mpirun (ctest: 1 and 2 ranks): the fetched
// rows must be the same bits, the bytes counted in mpi::volume the same
// numbers, and bad input must end every rank with the MPI path's message.
// NCCL needs a device per rank, so it exits 77 (skipped) with "SKIPPED: ..."
// where a node has fewer CUDA devices than ranks, or none.

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gpu_ranks.hpp"
#include "matsample/backend/nccl/features.cuh"

namespace {

namespace ms = matsample;
namespace mpi = matsample::mpi;

const int& rank = gpu_ranks::rank;
const int& size = gpu_ranks::size;

bool same_volume(const mpi::volume& a, const mpi::volume& b) {
  return a.bytes_sent == b.bytes_sent && a.bytes_received == b.bytes_received && a.messages == b.messages;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

/// Feature (v, d) of the whole matrix: values with full mantissas, and a -0.0.
std::vector<float> all_features(std::int64_t n, std::int64_t dim) {
  std::vector<float> out(static_cast<std::size_t>(n * dim));
  for (std::int64_t v = 0; v < n; ++v) {
    for (std::int64_t d = 0; d < dim; ++d) out[v * dim + d] = static_cast<float>(v * 0.37 + d * 1.1) / 3.0f - 11.0f;
  }
  if (!out.empty()) out[5] = -0.0f;
  return out;
}

/// `count` ids in [0, n) from a per-rank LCG, with repeats.
std::vector<std::int32_t> requests(std::int64_t n, std::int64_t count) {
  std::vector<std::int32_t> out;
  std::uint64_t x = 12345 + 977 * static_cast<std::uint64_t>(rank);
  for (std::int64_t i = 0; i < count; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(static_cast<std::int32_t>((x >> 33) % static_cast<std::uint64_t>(n)));
    if (i % 7 == 3) out.push_back(out.back());  // a repeat
  }
  return out;
}

/// The exception's message (empty when none), for comparing the two paths.
template <class F>
std::string failure_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) { return e.what(); }
  return {};
}

void fetch_against_mpi(ms::nccl::communicator& comm, std::int64_t n, std::int64_t dim, std::int64_t count) {
  const mpi::block_partition partition{n, size};
  const auto all = all_features(n, dim);
  const std::vector<float> mine(all.begin() + partition.begin(rank) * dim, all.begin() + partition.end(rank) * dim);
  const auto needed = requests(std::max<std::int64_t>(n, 1), n == 0 ? 0 : count);
  mpi::volume by_mpi, by_nccl;
  const auto want = mpi::fetch_features(MPI_COMM_WORLD, partition, std::span<const float>(mine), dim,
                                        std::span<const std::int32_t>(needed), &by_mpi);
  const auto d_mine = ms::cuda::upload(std::span<const float>(mine), comm.stream());
  const auto d_needed = ms::cuda::upload(std::span<const std::int32_t>(needed), comm.stream());
  const auto got = mpi::fetch_features(comm, partition, ms::cuda::device_span<const float>(d_mine), dim,
                                       ms::cuda::device_span<const std::int32_t>(d_needed), &by_nccl);
  EXPECT(got.size() == static_cast<std::int64_t>(want.size()));
  EXPECT(same_bits(ms::cuda::download(got.data(), got.size(), comm.stream()), want));
  EXPECT(same_volume(by_mpi, by_nccl));
  for (std::size_t i = 0; i < needed.size() && dim > 0; ++i) EXPECT(want[i * dim] == all[needed[i] * dim]);
}

void grid_forms(std::int64_t n, std::int64_t dim, int replication) {
  if (size % replication != 0) return;
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, replication);
  const auto all = all_features(n, dim);
  const auto host = mpi::feature_block::from_replicated(grid, std::span<const float>(all), dim);
  const auto device = ms::nccl::device_feature_block::from_host(grid, host);
  const auto needed = requests(n, 300);
  const auto d_needed = ms::cuda::upload(std::span<const std::int32_t>(needed), nullptr);
  mpi::volume by_mpi, by_nccl;
  const auto want = mpi::fetch_features(grid, host, std::span<const std::int32_t>(needed), &by_mpi);
  const auto got = mpi::fetch_features(grid, device, ms::cuda::device_span<const std::int32_t>(d_needed), &by_nccl);
  EXPECT(same_bits(ms::cuda::download(got.data(), got.size(), nullptr), want));
  EXPECT(same_volume(by_mpi, by_nccl));
}

void gradients(ms::nccl::communicator& comm) {
  std::vector<float> host(1001);
  for (std::size_t i = 0; i < host.size(); ++i)
    host[i] = static_cast<float>((rank + 1) * static_cast<int>(i % 97)) - 40.0f;
  auto device = ms::cuda::upload(std::span<const float>(host), comm.stream());
  mpi::volume by_mpi, by_nccl;
  mpi::all_reduce_gradients(MPI_COMM_WORLD, std::span<float>(host), &by_mpi);
  mpi::all_reduce_gradients(comm, ms::cuda::device_span<float>(device), &by_nccl);
  EXPECT(
      same_bits(ms::cuda::download(device.data(), device.size(), comm.stream()), host));  // small integers: exact sums
  EXPECT(host[96] == static_cast<float>(96 * size * (size + 1) / 2) - 40.0f * size);
  EXPECT(same_volume(by_mpi, by_nccl));
}

void errors(ms::nccl::communicator& comm) {
  const std::int64_t n = 50, dim = 3;
  const mpi::block_partition partition{n, size};
  const auto all = all_features(n, dim);
  const std::vector<float> mine(all.begin() + partition.begin(rank) * dim, all.begin() + partition.end(rank) * dim);
  const auto d_mine = ms::cuda::upload(std::span<const float>(mine), comm.stream());
  // Rank 0 asks for a vertex outside the partition; every rank must throw, with the MPI path's message.
  std::vector<std::int32_t> needed{1, 2, 3};
  if (rank == 0) needed = {4, 77, -1};
  const auto d_needed = ms::cuda::upload(std::span<const std::int32_t>(needed), comm.stream());
  const auto by_mpi = failure_of([&] {
    (void)mpi::fetch_features(MPI_COMM_WORLD, partition, std::span<const float>(mine), dim,
                              std::span<const std::int32_t>(needed));
  });
  const auto by_nccl = failure_of([&] {
    (void)mpi::fetch_features(comm, partition, ms::cuda::device_span<const float>(d_mine), dim,
                              ms::cuda::device_span<const std::int32_t>(d_needed));
  });
  EXPECT(!by_mpi.empty());
  EXPECT(by_nccl == by_mpi);
  EXPECT(by_nccl.find("vertex 77 outside [0, 50)") != std::string::npos);
  // Local rows of the wrong length on the last rank.
  const auto short_rows =
      ms::cuda::device_span<const float>(d_mine.data(), rank == size - 1 ? d_mine.size() - 1 : d_mine.size());
  const auto short_mpi = failure_of([&] {
    const std::span<const float> rows(mine.data(), rank == size - 1 ? mine.size() - 1 : mine.size());
    (void)mpi::fetch_features(MPI_COMM_WORLD, partition, rows, dim, std::span<const std::int32_t>(needed).first(1));
  });
  const auto short_nccl = failure_of([&] {
    (void)mpi::fetch_features(comm, partition, short_rows, dim,
                              ms::cuda::device_span<const std::int32_t>(d_needed.data(), 1));
  });
  EXPECT(!short_mpi.empty());
  EXPECT(short_nccl == short_mpi);
  // Bad exchange offsets on the last rank end the exchange on every rank.
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(size) + 1, 0);
  if (rank == size - 1) offsets[0] = 1;
  std::vector<std::int64_t> recv_offsets;
  const auto bad =
      failure_of([&] { (void)comm.exchange(d_needed.data(), std::span<const std::int64_t>(offsets), recv_offsets); });
  EXPECT(!bad.empty());
  if (rank != size - 1) EXPECT(bad.find("rank " + std::to_string(size - 1) + ": exchange") != std::string::npos);
}

}  // namespace

int main(int argc, char** argv) {
  return gpu_ranks::run(argc, argv, "nccl feature fetch and gradients", [] {
    ms::nccl::communicator comm(MPI_COMM_WORLD);
    fetch_against_mpi(comm, 1000, 7, 800);
    fetch_against_mpi(comm, 1000, 1, 5);
    fetch_against_mpi(comm, 3, 16, 40);  // fewer vertices than some ranks' blocks
    fetch_against_mpi(comm, 0, 4, 0);    // nothing to fetch
    grid_forms(997, 5, 1);
    grid_forms(997, 5, 2);
    gradients(comm);
    errors(comm);
  });
}
