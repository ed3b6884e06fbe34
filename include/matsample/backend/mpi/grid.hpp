#pragma once
// The process grid, in the spirit of CombBLAS's CommGrid. p ranks form
//   2D:   pr x pc, rank = row * pc + col, for sparse SUMMA;
//   1.5D: (p / c) x c, rank = block * c + replica, for the replicated
//         algorithm of CAGNET: the c ranks of a fiber hold the same block.
// Row, column and fiber communicators are split once and freed with the grid.

#include <mpi.h>

#include "matsample/backend/mpi/communicator.hpp"

namespace matsample::mpi {

/// A 2D (pr x pc) or 1.5D ((p / c) x c) arrangement of the ranks of a
/// communicator, with its row and column communicators. Owns those
/// communicators (freed on destruction), not `world`; not movable, since
/// distributed matrices and backends keep pointers to it.
class process_grid {
 public:
  /// pr x pc ranks of `world` (all of them); throws argument_error when
  /// pr * pc is not the number of ranks.
  static process_grid two_d(MPI_Comm world, int pr, int pc) { return {world, pr, pc, 1}; }
  /// p / c blocks, each held by c ranks; c must divide p.
  static process_grid one_and_half_d(MPI_Comm world, int c) {
    int p = 0;
    check(MPI_Comm_size(world, &p), "MPI_Comm_size");
    if (c < 1 || p % c != 0) {
      throw argument_error(detail::concat("process grid: replication factor ", c, " does not divide ", p, " ranks"));
    }
    return {world, p / c, c, c};
  }

  // Not movable: distributed matrices and backends refer to their grid, so
  // it stays where it was made (factories return it by guaranteed elision).
  process_grid(process_grid&&) = delete;
  process_grid& operator=(process_grid&&) = delete;
  ~process_grid() {
    if (row_comm_ != MPI_COMM_NULL) MPI_Comm_free(&row_comm_);
    if (col_comm_ != MPI_COMM_NULL) MPI_Comm_free(&col_comm_);
  }

  /// The communicator of all the grid's ranks (not owned).
  [[nodiscard]] MPI_Comm world() const noexcept { return world_; }
  /// My rank in world().
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Number of ranks, rows() * cols().
  [[nodiscard]] int size() const noexcept { return rows_ * cols_; }
  /// Grid rows: pr in 2D, the number of blocks p / c in 1.5D.
  [[nodiscard]] int rows() const noexcept { return rows_; }
  /// Grid columns: pc in 2D, the replication factor c in 1.5D.
  [[nodiscard]] int cols() const noexcept { return cols_; }
  /// My grid row, rank / cols() (in 1.5D, my block).
  [[nodiscard]] int my_row() const noexcept { return rank_ / cols_; }
  /// My grid column, rank % cols() (in 1.5D, my replica index).
  [[nodiscard]] int my_col() const noexcept { return rank_ % cols_; }
  /// Ranks of my grid row; in 1.5D, the fiber of c ranks holding my block.
  [[nodiscard]] MPI_Comm row_comm() const noexcept { return row_comm_; }
  /// Ranks of my grid column; in 1.5D, one rank per block, all with my replica index.
  [[nodiscard]] MPI_Comm col_comm() const noexcept { return col_comm_; }
  /// 1.5D: the c ranks that hold the same block of A.
  [[nodiscard]] MPI_Comm fiber_comm() const noexcept { return row_comm_; }
  /// Replication factor c of a 1.5D grid; 1 for a 2D grid.
  [[nodiscard]] int replication() const noexcept { return replication_; }

 private:
  process_grid(MPI_Comm world, int pr, int pc, int replication)
      : world_(world), rows_(pr), cols_(pc), replication_(replication) {
    int p = 0;
    check(MPI_Comm_size(world, &p), "MPI_Comm_size");
    check(MPI_Comm_rank(world, &rank_), "MPI_Comm_rank");
    if (pr < 1 || pc < 1 || static_cast<long long>(pr) * pc != p) {
      throw argument_error(detail::concat("process grid: ", pr, " x ", pc, " does not match the ", p, " ranks"));
    }
    check(MPI_Comm_split(world, my_row(), my_col(), &row_comm_), "MPI_Comm_split(row)");
    if (const int code = MPI_Comm_split(world, my_col(), my_row(), &col_comm_); code != MPI_SUCCESS) {
      MPI_Comm_free(&row_comm_);  // the destructor does not run for a constructor that throws
      check(code, "MPI_Comm_split(column)");
    }
  }

  MPI_Comm world_ = MPI_COMM_NULL, row_comm_ = MPI_COMM_NULL, col_comm_ = MPI_COMM_NULL;
  int rows_ = 1, cols_ = 1, replication_ = 1, rank_ = 0;
};

}  // namespace matsample::mpi
