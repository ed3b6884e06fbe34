#pragma once
// Feature fetch: rows of a vertex-partitioned feature matrix gathered for the
// vertices a rank needs. Vertex block b = [N·b/P, N·(b+1)/P) lives on the P
// parts of `comm`. Three exchanges, as in the paper: counts, then the ids
// bucketed by owner, then the feature rows back.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/grid.hpp"

namespace matsample::mpi {

/// Contiguous blocks of n items over `parts` owners, sizes differing by at most 1.
struct block_partition {
  std::int64_t n = 0;  ///< Number of items (rows, vertices), ids [0, n)
  int parts = 1;       ///< Number of blocks, at least 1

  /// First item of block `part` (0 <= part < parts).
  [[nodiscard]] std::int64_t begin(int part) const noexcept { return n * part / parts; }
  /// One past the last item of block `part`.
  [[nodiscard]] std::int64_t end(int part) const noexcept { return n * (part + 1) / parts; }
  /// The block holding item `v` (0 <= v < n).
  [[nodiscard]] int owner(std::int64_t v) const noexcept {
    // The first part whose end exceeds v; the estimate is off by at most one.
    int b = static_cast<int>(std::min<std::int64_t>(parts - 1, v * parts / std::max<std::int64_t>(n, 1)));
    while (b > 0 && v < begin(b)) --b;
    while (b + 1 < parts && v >= end(b)) ++b;
    return b;
  }
};

/// The feature rows of `needed` (global ids, any order, repeats allowed),
/// row-major with `dim` floats each, in the order of `needed`. `local_rows`
/// holds this rank's block of the partition. Collective over `comm`.
template <index_type I>
std::vector<float> fetch_features(MPI_Comm comm, const block_partition& vertices, std::span<const float> local_rows,
                                  std::int64_t dim, std::span<const I> needed, volume* moved = nullptr) {
  int rank = 0, size = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (vertices.parts != size) {
    throw argument_error(
        detail::concat("fetch_features: a partition into ", vertices.parts, " parts on ", size, " ranks"));
  }
  const std::int64_t mine = vertices.end(rank) - vertices.begin(rank);
  collective_check(comm, [&] {
    if (static_cast<std::int64_t>(local_rows.size()) != mine * dim) {
      throw argument_error(detail::concat("fetch_features: ", local_rows.size(), " local values for ", mine,
                                          " vertices of dimension ", dim));
    }
    for (const I v : needed) {
      if (v < 0 || v >= vertices.n) {
        throw out_of_range_error(detail::concat("fetch_features: vertex ", v, " outside [0, ", vertices.n, ")"));
      }
    }
  });
  // Bucket the requests by owner (a counting sort keeps each bucket in request order).
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(size) + 1, 0);
  for (const I v : needed) ++offsets[vertices.owner(v) + 1];
  for (int r = 0; r < size; ++r) offsets[r + 1] += offsets[r];
  std::vector<I> ids(needed.size());
  std::vector<std::int64_t> slot(needed.size());  // where request i sits in `ids`
  {
    std::vector<std::int64_t> cursor(offsets.begin(), offsets.end() - 1);
    for (std::size_t i = 0; i < needed.size(); ++i) {
      slot[i] = cursor[vertices.owner(needed[i])]++;
      ids[slot[i]] = needed[i];
    }
  }
  std::vector<std::int64_t> asked_offsets;
  const std::vector<I> asked = exchange<I>(comm, ids, offsets, asked_offsets, moved);

  // Serve: the rows asked of this rank, in the order asked.
  std::vector<float> rows(asked.size() * static_cast<std::size_t>(dim));
  const std::int64_t first = vertices.begin(rank);
  for (std::size_t i = 0; i < asked.size(); ++i) {
    std::memcpy(rows.data() + i * dim, local_rows.data() + (asked[i] - first) * dim,
                static_cast<std::size_t>(dim) * sizeof(float));
  }
  std::vector<std::int64_t> row_offsets(asked_offsets.size()), answer_offsets;
  for (std::size_t r = 0; r < asked_offsets.size(); ++r) row_offsets[r] = asked_offsets[r] * dim;
  const std::vector<float> answers = exchange<float>(comm, rows, row_offsets, answer_offsets, moved);

  std::vector<float> out(needed.size() * static_cast<std::size_t>(dim));
  for (std::size_t i = 0; i < needed.size(); ++i) {
    std::memcpy(out.data() + i * dim, answers.data() + slot[i] * dim, static_cast<std::size_t>(dim) * sizeof(float));
  }
  return out;
}

/// This rank's part of a feature matrix laid out on a process grid: vertex
/// block b (of grid.rows() blocks) is held by every rank of grid row b, so
/// the features are replicated grid.cols() times (c in 1.5D; c = 1 is a
/// plain partition). Replication trades memory for volume, as it does for A:
/// a rank's own block is never fetched, and the replicas share the serving.
struct feature_block {
  block_partition vertices;  ///< The vertex blocks, one per grid row
  std::int64_t dim = 0;      ///< Features per vertex
  std::vector<float> rows;   ///< the rows of vertex block my_row() of the grid, row-major

  /// My block of `all` (num_vertices x dim, row-major), which every rank holds.
  static feature_block from_replicated(const process_grid& grid, std::span<const float> all, std::int64_t dim) {
    if (dim <= 0 || all.size() % static_cast<std::size_t>(dim) != 0) {
      throw argument_error(
          detail::concat("feature_block: ", all.size(), " values do not make rows of dimension ", dim));
    }
    const block_partition vertices{static_cast<std::int64_t>(all.size()) / dim, grid.rows()};
    const auto b = vertices.begin(grid.my_row()), e = vertices.end(grid.my_row());
    return {vertices, dim, std::vector<float>(all.begin() + b * dim, all.begin() + e * dim)};
  }
};

/// fetch_features over a grid's feature blocks: requests go to the replica
/// of each block in my grid column (the column communicator holds one rank
/// per block), so the c replicas of a block split the serving.
template <index_type I>
std::vector<float> fetch_features(const process_grid& grid, const feature_block& features, std::span<const I> needed,
                                  volume* moved = nullptr) {
  return fetch_features(grid.col_comm(), features.vertices, std::span<const float>(features.rows), features.dim, needed,
                        moved);
}

}  // namespace matsample::mpi
