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
//
// On a 2D grid (pr x pc, replication 1) the same type holds tiles: rank (i, j)
// keeps the entries of row block i whose columns fall in column block j. A
// fetch then returns each row's column-block-j piece, and assemble_rows
// concatenates the pieces of a grid row in column order (an all-gather along
// the row communicator). This is sparse SUMMA made sparsity-aware: instead of
// broadcasting whole tiles of A down the grid columns, a rank asks each tile
// owner of its column only for the rows its Q references.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/core/csr.hpp"

namespace matsample::mpi {

/// Non-owning view of a distributed graph: the global shape, the grid, and
/// this rank's block (1.5D) or tile (2D) as a csr_view with global column
/// ids. The graph operand mpi_backend's distributed kernels take; the grid
/// and the local arrays must outlive it.
template <class V, index_type I, index_type O>
class distributed_csr_view {
 public:
  using value_type = V;   ///< Type of the stored values.
  using index_type = I;   ///< Type of row and column ids.
  using offset_type = O;  ///< Type of the row offsets.

  /// A view of `local`, this rank's part of a rows x cols matrix laid out on
  /// `grid`; `weighted` says whether the whole matrix has values (the same on
  /// every rank). Nothing is checked: distributed_csr checks and hands these out.
  distributed_csr_view(const process_grid& grid, I rows, I cols, csr_view<V, I, O> local, bool weighted)
      : grid_(&grid), rows_(rows), cols_(cols), local_(local), weighted_(weighted) {}

  /// Global number of rows.
  [[nodiscard]] I rows() const noexcept { return rows_; }
  /// Global number of columns.
  [[nodiscard]] I cols() const noexcept { return cols_; }
  /// Whether the matrix has values (a block with no entries may still hold none).
  [[nodiscard]] bool has_values() const noexcept { return weighted_; }
  /// The grid the matrix is laid out on.
  [[nodiscard]] const process_grid& grid() const noexcept { return *grid_; }
  /// Row blocks: block b is owned by grid row b.
  [[nodiscard]] block_partition blocks() const noexcept { return {rows_, grid_->rows()}; }
  /// My block: rows [blocks().begin(my_row), ...end(my_row)), global column ids.
  [[nodiscard]] const csr_view<V, I, O>& local() const noexcept { return local_; }
  /// Global id of local row 0 (the first row of my block).
  [[nodiscard]] std::int64_t first_row() const noexcept { return blocks().begin(grid_->my_row()); }
  /// 2D tiles (each rank holds one column block of its row block) rather
  /// than 1.5D row blocks with all columns.
  [[nodiscard]] bool tiled() const noexcept { return is_tiled(*grid_); }
  /// Column blocks of a tiled layout: block j is held by grid column j.
  [[nodiscard]] block_partition column_blocks() const noexcept { return {cols_, tiled() ? grid_->cols() : 1}; }

  /// Whether matrices on `grid` are laid out as 2D tiles: more than one grid
  /// column and no replication.
  static bool is_tiled(const process_grid& grid) noexcept { return grid.cols() > 1 && grid.replication() == 1; }

 private:
  const process_grid* grid_;
  I rows_, cols_;
  csr_view<V, I, O> local_;
  bool weighted_;
};

/// Owning counterpart of distributed_csr_view: this rank's block or tile as
/// a csr_matrix, plus the global shape. Keeps a pointer to the grid, which
/// must outlive it.
template <class V, index_type I, index_type O>
class distributed_csr {
 public:
  /// My block (1.5D) or tile (2D) of a graph that every rank can read
  /// whole, e.g. a mapped snapshot. Tiles need rows sorted by column (every
  /// matsample builder and reader produces them), so that a row's pieces
  /// concatenate to the row; argument_error otherwise.
  static distributed_csr from_replicated(const process_grid& grid, const csr_view<V, I, O>& a) {
    const block_partition blocks{a.rows(), grid.rows()};
    const bool tiled = distributed_csr_view<V, I, O>::is_tiled(grid);
    const block_partition column_blocks{a.cols(), tiled ? grid.cols() : 1};
    const auto lo = column_blocks.begin(tiled ? grid.my_col() : 0), hi = column_blocks.end(tiled ? grid.my_col() : 0);
    const auto b = blocks.begin(grid.my_row()), e = blocks.end(grid.my_row());
    collective_check(grid.world(), [&] {
      for (auto r = b; r < e; ++r) {
        ::matsample::detail::diagnose_row(a, r, "distributed_csr", r);  // extent and columns of my rows
        for (O f = a.row_begin(static_cast<I>(r)) + 1; tiled && f < a.row_end(static_cast<I>(r)); ++f) {
          if (a.indices()[f] < a.indices()[f - 1]) {
            throw argument_error(
                detail::concat("distributed_csr: row ", r, " is not sorted by column; 2D tiles need sorted rows"));
          }
        }
      }
    });
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (auto r = b; r < e; ++r) {
      for (O f = a.row_begin(static_cast<I>(r)); f < a.row_end(static_cast<I>(r)); ++f) {
        if (a.indices()[f] < lo || a.indices()[f] >= hi) continue;
        indices.push_back(a.indices()[f]);
        if (a.has_values()) values.push_back(a.values()[f]);
      }
      indptr.push_back(static_cast<O>(indices.size()));
    }
    return distributed_csr(
        grid, a.rows(), a.cols(),
        csr_matrix<V, I, O>(static_cast<I>(e - b), a.cols(), std::move(indptr), std::move(indices), std::move(values)),
        a.has_values());
  }

  /// My block as built elsewhere (a partitioned load): rows of block
  /// grid.my_row() of `rows` rows in all; every rank must agree on the shape
  /// and on whether A has values (checked, collectively).
  distributed_csr(const process_grid& grid, std::int64_t rows, std::int64_t cols, csr_matrix<V, I, O> local,
                  bool weighted)
      : grid_(&grid),
        rows_(checked_cast<I>(rows, "rows")),
        cols_(checked_cast<I>(cols, "columns")),
        local_(std::move(local)),
        weighted_(weighted) {
    const block_partition blocks{rows, grid.rows()};
    const auto expected = blocks.end(grid.my_row()) - blocks.begin(grid.my_row());
    // A block without entries carries no values even in a weighted graph.
    std::int64_t mismatch =
        local_.rows() != expected || local_.cols() != cols || (local_.nnz() > 0 && local_.has_values() != weighted);
    std::int64_t any = 0;
    check(MPI_Allreduce(&mismatch, &any, 1, MPI_INT64_T, MPI_MAX, grid.world()), "MPI_Allreduce");
    if (any != 0) {
      throw argument_error(detail::concat("distributed_csr: some rank's block does not fit a ", rows, " x ", cols,
                                          " matrix in ", grid.rows(), " row blocks (this rank: ", local_.rows(), " x ",
                                          local_.cols(), ", expected ", expected, " rows)"));
    }
  }

  /// A view to pass to mpi_backend and the samplers, valid while this lives.
  [[nodiscard]] distributed_csr_view<V, I, O> view() const { return {*grid_, rows_, cols_, local_.view(), weighted_}; }

 private:
  const process_grid* grid_;
  I rows_, cols_;
  csr_matrix<V, I, O> local_;
  bool weighted_;
};

/// The distributed form of matsample::agree_on_checks: f runs on every
/// rank, and if it throws on any, every rank throws (collective).
template <class V, index_type I, index_type O, class F>
void agree_on_checks(const distributed_csr_view<V, I, O>& a, F&& f) {
  collective_check(a.grid().world(), std::forward<F>(f));
}

/// The samplers' seed check, agreed on by all ranks (found by argument-
/// dependent lookup for a distributed graph): a bad seed on one rank stops
/// every rank before the first collective step.
template <class V, index_type I, index_type O>
void validate_seeds(const distributed_csr_view<V, I, O>& a, const batch_list<I>& batches) {
  agree_on_checks(a, [&] { matsample::validate_seeds<distributed_csr_view<V, I, O>, I>(a, batches); });
}

/// out_of_range_error unless every id names one of `rows` rows.
template <index_type I>
void check_selection(std::span<const I> ids, std::int64_t rows) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= rows) {
      throw out_of_range_error(detail::concat("row selection: row ", ids[i], " at position ", i,
                                              " is outside the matrix's [0, ", rows, ")"));
    }
  }
}

/// Rows `ids` of A (any order, repeats allowed) as a local matrix whose row r
/// is A's row ids[r], exactly as a local gather_rows would return it.
/// Collective over the grid: every rank calls it, with its own ids.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> fetch_rows(const distributed_csr_view<V, I, O>& a, std::span<const I> ids, volume* moved) {
  const auto& grid = a.grid();
  const auto blocks = a.blocks();
  collective_check(grid.world(), [&] { check_selection(ids, a.rows()); });
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
  return {detail::trusted,    checked_cast<I>(ids.size(), "rows of the selection"),
          a.cols(),           std::move(indptr),
          std::move(indices), std::move(values)};
}

/// The distributed form of matsample::stack_rows: the parts' rows one after
/// another, laid out on the parts' grid like any matrix, each rank fetching
/// the rows of its own block (its tile's pieces, on 2D tiles) from their
/// owners and stacking them with matsample::stack_rows; f's row is the
/// global row of the result. Collective over the grid; throws
/// argument_error on every rank for no parts, unequal column counts or
/// parts on different grids.
template <class V, index_type I, index_type O, class F>
distributed_csr<V, I, O> stack_rows(std::span<const distributed_csr_view<V, I, O>> parts, F f) {
  if (parts.empty()) throw argument_error("stack_rows: no matrices to stack");
  const auto& grid = parts.front().grid();
  std::int64_t rows = 0;
  for (const auto& part : parts) {
    if (part.cols() != parts.front().cols() || &part.grid() != &grid) {
      throw argument_error(detail::concat("stack_rows: a ", part.rows(), " x ", part.cols(),
                                          " matrix does not stack under one of ", parts.front().cols(),
                                          " columns on the same grid"));
    }
    rows += part.rows();
  }
  (void)checked_cast<I>(rows, "stacked rows");
  const block_partition blocks{rows, grid.rows()};
  const auto begin = blocks.begin(grid.my_row()), end = blocks.end(grid.my_row());
  std::vector<csr_matrix<V, I, O>> fetched;
  std::int64_t first = 0;  // the stacked row of the part's row 0
  for (const auto& part : parts) {
    // Every rank fetches from every part (maybe nothing): the fetch is collective.
    std::vector<I> ids;
    for (auto r = std::max(begin, first); r < std::min(end, first + part.rows()); ++r) {
      ids.push_back(static_cast<I>(r - first));
    }
    fetched.push_back(fetch_rows(part, std::span<const I>(ids), nullptr));
    first += part.rows();
  }
  const std::vector<csr_view<V, I, O>> pieces(fetched.begin(), fetched.end());
  return distributed_csr<V, I, O>(
      grid, rows, parts.front().cols(),
      ::matsample::stack_rows(std::span<const csr_view<V, I, O>>(pieces),
                              [&](I r, I c, V v) { return f(static_cast<I>(begin + r), c, v); }),
      true);
}

/// 2D: the full rows of a matrix whose column-block-j piece this rank holds,
/// for the same row list on every rank of the grid row. Pieces are gathered
/// along the row communicator and concatenated in column-block order, which
/// keeps each row sorted. Collective over the whole grid: a grid row whose
/// ranks disagree on the rows is reported to every rank.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> assemble_rows(const process_grid& grid, const csr_view<V, I, O>& piece, volume* moved) {
  const MPI_Comm comm = grid.row_comm();
  const int pc = grid.cols();
  const auto rows = static_cast<std::size_t>(piece.rows());
  // Per grid row, the most and (negated) the fewest rows of its ranks, in one reduction over the world.
  std::vector<std::int64_t> extent(2 * static_cast<std::size_t>(grid.rows()), std::numeric_limits<std::int64_t>::min());
  extent[2 * grid.my_row()] = piece.rows();
  extent[2 * grid.my_row() + 1] = -static_cast<std::int64_t>(piece.rows());
  all_reduce(grid.world(), std::span<std::int64_t>(extent), MPI_MAX);
  for (int i = 0; i < grid.rows(); ++i) {
    if (extent[2 * i] != -extent[2 * i + 1]) {
      throw argument_error(detail::concat("2D sampling: the ranks of grid row ", i,
                                          " must sample the same minibatches (", -extent[2 * i + 1], " to ",
                                          extent[2 * i], " rows)"));
    }
  }
  // Per-row lengths of every piece, then the entries; all pieces have the same rows.
  std::vector<std::int64_t> lengths(rows);
  for (std::size_t r = 0; r < rows; ++r) lengths[r] = piece.degree(static_cast<I>(r));
  std::vector<std::int64_t> length_offsets, piece_start;
  const auto all_lengths = all_gather(comm, std::span<const std::int64_t>(lengths), length_offsets, moved);
  const auto all_indices = all_gather(comm, piece.indices(), piece_start, moved);
  std::vector<V> all_values;
  if (piece.has_values()) all_values = all_gather(comm, piece.values(), piece_start, moved);
  std::vector<O> indptr(rows + 1, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    std::int64_t len = 0;
    for (int j = 0; j < pc; ++j) len += all_lengths[static_cast<std::size_t>(j) * rows + r];
    indptr[r + 1] = checked_cast<O>(static_cast<std::int64_t>(indptr[r]) + len, "entries of the assembled rows");
  }
  std::vector<I> indices(static_cast<std::size_t>(indptr.back()));
  std::vector<V> values(piece.has_values() ? indices.size() : 0);
  std::vector<std::int64_t> cursor(piece_start.begin(), piece_start.end() - 1);
  for (std::size_t r = 0; r < rows; ++r) {
    auto out = static_cast<std::size_t>(indptr[r]);
    for (int j = 0; j < pc; ++j) {
      const auto len = all_lengths[static_cast<std::size_t>(j) * rows + r];
      std::copy_n(all_indices.begin() + cursor[j], len, indices.begin() + static_cast<std::ptrdiff_t>(out));
      if (piece.has_values())
        std::copy_n(all_values.begin() + cursor[j], len, values.begin() + static_cast<std::ptrdiff_t>(out));
      cursor[j] += len;
      out += static_cast<std::size_t>(len);
    }
  }
  return {detail::trusted, piece.rows(), piece.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample::mpi
