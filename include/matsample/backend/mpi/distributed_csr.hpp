#pragma once
// A distributed by row blocks for the 1.5D algorithm: the grid's p/c rows
// each own one block of A's rows (all columns), and the c ranks of a grid row
// (its fiber) hold the same block. c = 1 is the plain 1D layout; c = p puts
// the whole graph on every rank, the replicated-graph mode, where sampling
// needs no communication at all.
//
// fetch_rows is the step the paper's 1.5D SpGEMM is built on: a rank sends a
// block's owner only the ids of the rows its Q references and gets only those
// rows back. Requests go to the owner replica with the requester's own replica
// index, so the c copies of a block share the serving; rows of the
// requester's own block never leave the rank.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/sampling/batches.hpp"

namespace matsample::mpi {

template <class V, index_type I, index_type O>
class distributed_csr_view {
 public:
  using value_type = V;
  using index_type = I;
  using offset_type = O;

  distributed_csr_view(const process_grid& grid, I rows, I cols, csr_view<V, I, O> local, bool weighted)
      : grid_(&grid), rows_(rows), cols_(cols), local_(local), weighted_(weighted) {}

  [[nodiscard]] I rows() const noexcept { return rows_; }
  [[nodiscard]] I cols() const noexcept { return cols_; }
  [[nodiscard]] bool has_values() const noexcept { return weighted_; }
  [[nodiscard]] const process_grid& grid() const noexcept { return *grid_; }
  /// Row blocks: block b is owned by grid row b.
  [[nodiscard]] block_partition blocks() const noexcept { return {rows_, grid_->rows()}; }
  /// My block: rows [blocks().begin(my_row), ...end(my_row)), global column ids.
  [[nodiscard]] const csr_view<V, I, O>& local() const noexcept { return local_; }
  [[nodiscard]] std::int64_t first_row() const noexcept { return blocks().begin(grid_->my_row()); }

 private:
  const process_grid* grid_;
  I rows_, cols_;
  csr_view<V, I, O> local_;
  bool weighted_;
};

template <class V, index_type I, index_type O>
class distributed_csr {
 public:
  /// My block of a graph that every rank can read whole (then dropped).
  static distributed_csr from_replicated(const process_grid& grid, const csr_view<V, I, O>& a) {
    const block_partition blocks{a.rows(), grid.rows()};
    const auto b = blocks.begin(grid.my_row()), e = blocks.end(grid.my_row());
    for (auto r = b; r < e; ++r) detail::check_row(a, static_cast<I>(r), "distributed_csr", r);
    std::vector<O> indptr(static_cast<std::size_t>(e - b) + 1, 0);
    for (auto r = b; r < e; ++r) indptr[r - b + 1] = indptr[r - b] + (a.row_end(static_cast<I>(r)) - a.row_begin(static_cast<I>(r)));
    const auto first = static_cast<std::size_t>(b < e ? a.row_begin(static_cast<I>(b)) : 0);
    const auto count = static_cast<std::size_t>(indptr.back());
    std::vector<I> indices(a.indices().begin() + first, a.indices().begin() + first + count);
    std::vector<V> values;
    if (a.has_values()) values.assign(a.values().begin() + first, a.values().begin() + first + count);
    return distributed_csr(grid, a.rows(), a.cols(),
                           csr_matrix<V, I, O>(static_cast<I>(e - b), a.cols(), std::move(indptr), std::move(indices),
                                               std::move(values)),
                           a.has_values());
  }

  /// My block as built elsewhere (a partitioned load): rows of block
  /// grid.my_row() of `rows` rows in all; every rank must agree on the shape
  /// and on whether A has values (checked, collectively).
  distributed_csr(const process_grid& grid, std::int64_t rows, std::int64_t cols, csr_matrix<V, I, O> local, bool weighted)
      : grid_(&grid), rows_(checked_cast<I>(rows, "rows")), cols_(checked_cast<I>(cols, "columns")),
        local_(std::move(local)), weighted_(weighted) {
    const block_partition blocks{rows, grid.rows()};
    const auto expected = blocks.end(grid.my_row()) - blocks.begin(grid.my_row());
    // A block without entries carries no values even in a weighted graph.
    std::int64_t mismatch = local_.rows() != expected || local_.cols() != cols ||
                            (local_.nnz() > 0 && local_.has_values() != weighted);
    std::int64_t any = 0;
    check(MPI_Allreduce(&mismatch, &any, 1, MPI_INT64_T, MPI_MAX, grid.world()), "MPI_Allreduce");
    if (any != 0) {
      throw argument_error(detail::concat("distributed_csr: some rank's block does not fit a ", rows, " x ", cols,
                                          " matrix in ", grid.rows(), " row blocks (this rank: ", local_.rows(), " x ",
                                          local_.cols(), ", expected ", expected, " rows)"));
    }
  }

  [[nodiscard]] distributed_csr_view<V, I, O> view() const { return {*grid_, rows_, cols_, local_.view(), weighted_}; }

 private:
  const process_grid* grid_;
  I rows_, cols_;
  csr_matrix<V, I, O> local_;
  bool weighted_;
};

/// The samplers' seed check, agreed on by all ranks (found by argument-
/// dependent lookup for a distributed graph): a bad seed on one rank stops
/// every rank before the first collective step.
template <class V, index_type I, index_type O>
void validate_seeds(const distributed_csr_view<V, I, O>& a, const batch_list<I>& batches) {
  collective_check(a.grid().world(), [&] { matsample::validate_seeds<distributed_csr_view<V, I, O>, I>(a, batches); });
}

/// Rows `ids` of A (any order, repeats allowed) as a local matrix whose row r
/// is A's row ids[r], exactly as a local gather_rows would return it.
/// Collective over the grid: every rank calls it, with its own ids.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> fetch_rows(const distributed_csr_view<V, I, O>& a, std::span<const I> ids, volume* moved) {
  const auto& grid = a.grid();
  const auto blocks = a.blocks();
  collective_check(grid.world(), [&] {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= a.rows()) {
        throw out_of_range_error(detail::concat("row selection: row ", ids[i], " at position ", i,
                                                " is outside the matrix's [0, ", a.rows(), ")"));
      }
    }
  });
  // Distinct rows, bucketed by owner block (ascending ids are already in block order).
  std::vector<I> wanted(ids.begin(), ids.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  const int nblocks = grid.rows(), mine = grid.my_row();
  std::vector<std::int64_t> ask_offsets(static_cast<std::size_t>(nblocks) + 1, 0);
  std::vector<I> asked_remote;
  for (const I v : wanted) {
    if (blocks.owner(v) != mine) {
      asked_remote.push_back(v);
      ++ask_offsets[blocks.owner(v) + 1];
    }
  }
  for (int b = 0; b < nblocks; ++b) ask_offsets[b + 1] += ask_offsets[b];

  // Over the column communicator: one rank per block, all with my replica index.
  const MPI_Comm comm = grid.col_comm();
  std::vector<std::int64_t> request_offsets;
  const auto requests = exchange<I>(comm, asked_remote, ask_offsets, request_offsets, moved);
  const auto& local = a.local();
  const auto first_row = a.first_row();
  std::vector<std::int64_t> degrees(requests.size()), degree_offsets = request_offsets;
  std::vector<std::int64_t> entry_offsets(request_offsets.size(), 0);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    degrees[i] = local.degree(static_cast<I>(requests[i] - first_row));
  }
  for (std::size_t b = 0; b + 1 < request_offsets.size(); ++b) {
    std::int64_t sum = 0;
    for (auto i = request_offsets[b]; i < request_offsets[b + 1]; ++i) sum += degrees[i];
    entry_offsets[b + 1] = entry_offsets[b] + sum;
  }
  std::vector<I> entry_columns(static_cast<std::size_t>(entry_offsets.back()));
  std::vector<V> entry_values(a.has_values() ? entry_columns.size() : 0);
  for (std::size_t i = 0, at = 0; i < requests.size(); ++i) {
    const I r = static_cast<I>(requests[i] - first_row);
    for (O e = local.row_begin(r); e < local.row_end(r); ++e, ++at) {
      entry_columns[at] = local.indices()[e];
      if (a.has_values()) entry_values[at] = local.values()[e];
    }
  }
  std::vector<std::int64_t> got_offsets, got_entry_offsets;
  const auto got_degrees = exchange<std::int64_t>(comm, degrees, degree_offsets, got_offsets, moved);
  const auto got_columns = exchange<I>(comm, entry_columns, entry_offsets, got_entry_offsets, moved);
  std::vector<V> got_values;
  if (a.has_values()) got_values = exchange<V>(comm, entry_values, entry_offsets, got_entry_offsets, moved);

  // Where each distinct remote row landed (answers come back in ask order).
  std::vector<std::int64_t> remote_start(asked_remote.size() + 1, 0);
  for (std::size_t i = 0; i < asked_remote.size(); ++i) remote_start[i + 1] = remote_start[i] + got_degrees[i];
  const auto row_of = [&](I v, const I*& columns, const V*& values, std::int64_t& degree) {
    if (blocks.owner(v) == mine) {
      const I r = static_cast<I>(v - first_row);
      columns = local.indices().data() + local.row_begin(r);
      values = a.has_values() ? local.values().data() + local.row_begin(r) : nullptr;
      degree = local.degree(r);
      return;
    }
    const auto i = std::lower_bound(asked_remote.begin(), asked_remote.end(), v) - asked_remote.begin();
    columns = got_columns.data() + remote_start[i];
    values = a.has_values() ? got_values.data() + remote_start[i] : nullptr;
    degree = got_degrees[i];
  };
  std::vector<O> indptr(ids.size() + 1, 0);
  for (std::size_t r = 0; r < ids.size(); ++r) {
    const I* columns = nullptr;
    const V* values = nullptr;
    std::int64_t degree = 0;
    row_of(ids[r], columns, values, degree);
    indptr[r + 1] = checked_cast<O>(static_cast<std::int64_t>(indptr[r]) + degree, "entries of the fetched rows");
  }
  std::vector<I> indices(static_cast<std::size_t>(indptr.back()));
  std::vector<V> values(a.has_values() ? indices.size() : 0);
  for (std::size_t r = 0; r < ids.size(); ++r) {
    const I* columns = nullptr;
    const V* vals = nullptr;
    std::int64_t degree = 0;
    row_of(ids[r], columns, vals, degree);
    std::copy_n(columns, degree, indices.begin() + indptr[r]);
    if (a.has_values()) std::copy_n(vals, degree, values.begin() + indptr[r]);
  }
  return {detail::trusted, checked_cast<I>(ids.size(), "rows of the selection"), a.cols(), std::move(indptr),
          std::move(indices), std::move(values)};
}

}  // namespace matsample::mpi
