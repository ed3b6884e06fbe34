#pragma once
// The edge lookup of a distributed graph (algebra/edge_lookup.hpp gives the
// contract): negative rejection, exclusion checks and edge ids on 1.5D
// blocks, 2D tiles and the replicated layout. A step's rows come from
// their owners by the row fetch the samplers use (assembled along the grid
// row on tiles); an edge's id is its position in the whole graph's CSR
// order, found from each row's global start. The starts are kept on every
// rank (8 (n + 1) bytes): built once by one all-gather of the blocks' row
// degrees, they also give every vertex's degree (what degree^alpha
// negatives draw by) and the row holding any position with no message.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/algebra/edge_lookup.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"

namespace matsample::mpi {

/// Edge lookups on a distributed graph; every member that takes vertices,
/// and any() and check(), is collective over the grid's ranks (on 2D tiles
/// the ranks of a grid row pass the same vertices). The graph's grid and
/// arrays must outlive it.
template <class V, index_type I, index_type O>
class distributed_edge_lookup {
 public:
  using index_type = I;  ///< vertex id type

  /// Collective: gathers every row's degree (on tiles, the pieces of a row
  /// summed along the grid row) and keeps the global row starts.
  explicit distributed_edge_lookup(const distributed_csr_view<V, I, O>& graph) : graph_(graph) {
    const auto& grid = graph.grid();
    const auto& local = graph.local();
    std::vector<std::int64_t> mine(static_cast<std::size_t>(local.rows()));
    for (I r = 0; r < local.rows(); ++r) mine[static_cast<std::size_t>(r)] = local.degree(r);
    if (graph.tiled()) all_reduce(grid.row_comm(), std::span<std::int64_t>(mine), MPI_SUM);
    // The column communicator holds one rank per row block, in block order.
    std::vector<std::int64_t> offsets;
    const auto degrees = all_gather(grid.col_comm(), std::span<const std::int64_t>(mine), offsets);
    starts_.assign(degrees.size() + 1, 0);
    for (std::size_t v = 0; v < degrees.size(); ++v) starts_[v + 1] = starts_[v] + degrees[v];
  }

  [[nodiscard]] I vertices() const noexcept { return graph_.rows(); }           ///< rows of A
  [[nodiscard]] I columns() const noexcept { return graph_.cols(); }            ///< columns of A
  [[nodiscard]] std::int64_t edges() const noexcept { return starts_.back(); }  ///< entries of the whole graph
  /// Out-degree of vertex v (of the whole row, on tiles too).
  [[nodiscard]] std::int64_t degree(I v) const {
    return starts_[static_cast<std::size_t>(v) + 1] - starts_[static_cast<std::size_t>(v)];
  }

  /// Collective: throws format_error naming `who` and the global row on
  /// every rank unless every rank's rows (pieces, on tiles) are sorted.
  void require_sorted_rows(const char* who) const {
    collective_check(graph_.grid().world(), [&] {
      const auto& local = graph_.local();
      for (I r = 0; r < local.rows(); ++r) {
        const auto columns = ::matsample::detail::row_columns(local, r);
        if (!std::is_sorted(columns.begin(), columns.end())) {
          throw format_error(detail::concat(who, " needs rows sorted by column; row ", graph_.first_row() + r,
                                            " is not (build the graph with sorted rows, e.g. csr_from_coo)"));
        }
      }
    });
  }

  /// Collective: the whole rows of `vertices` (any order, repeats allowed),
  /// fetched from their owners, with their global starts.
  [[nodiscard]] row_window<V, I, O> rows(std::span<const I> vertices) const {
    std::vector<I> ids(vertices.begin(), vertices.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto fetched = fetch_rows(graph_, std::span<const I>(ids), nullptr);
    if (graph_.tiled()) fetched = assemble_rows(graph_.grid(), fetched.view(), nullptr);
    std::vector<std::int64_t> starts(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) starts[i] = starts_[static_cast<std::size_t>(ids[i])];
    return row_window<V, I, O>(std::move(fetched), std::move(ids), std::move(starts));
  }

  /// The row holding each global position (0 <= position < edges()); no message.
  [[nodiscard]] std::vector<I> rows_of_positions(std::span<const std::int64_t> positions) const {
    std::vector<I> rows(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
      rows[i] = static_cast<I>(std::upper_bound(starts_.begin(), starts_.end(), positions[i]) - starts_.begin() - 1);
    }
    return rows;
  }

  /// Collective: whether `mine` holds on any rank.
  [[nodiscard]] bool any(bool mine) const {
    int flag = mine ? 1 : 0;
    ::matsample::mpi::check(MPI_Allreduce(MPI_IN_PLACE, &flag, 1, MPI_INT, MPI_MAX, graph_.grid().world()),
                            "MPI_Allreduce");
    return flag != 0;
  }

  /// Collective: runs f; if it throws on any rank, every rank throws.
  template <class F>
  void check(F&& f) const {
    collective_check(graph_.grid().world(), std::forward<F>(f));
  }

 private:
  distributed_csr_view<V, I, O> graph_;
  std::vector<std::int64_t> starts_;  ///< starts_[v]: global position of row v's first entry; n + 1 words
};

/// The lookup of a distributed graph (collective; found by argument-dependent
/// lookup where the samplers call make_edge_lookup).
template <class V, index_type I, index_type O>
distributed_edge_lookup<V, I, O> make_edge_lookup(const distributed_csr_view<V, I, O>& graph) {
  return distributed_edge_lookup<V, I, O>(graph);
}

}  // namespace matsample::mpi
