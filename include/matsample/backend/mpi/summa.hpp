#pragma once
// 2D sparse SUMMA (Buluç and Gilbert; CombBLAS's Mult_AnXBn_Synch) for
// C = B·A on a square q × q grid of tiles. Stage s broadcasts B's tile
// (i, s) along grid row i and A's tile (s, j) down grid column j, and rank
// (i, j) adds the stage's products to its tile of C. Every rank thus
// receives its grid row's tiles of B and its grid column's tiles of A,
// whatever B references: the volume does not depend on the sparsity of B.
// mpi_backend's default 2D product (fetch_rows) asks tile owners only for the
// rows B references instead; docs/distributed.md models both.
//
// Products are added stage by stage onto the running sums, in increasing k.
// For a B with sorted rows that is the CPU backend's order, so the tiles of
// C assemble (assemble_rows) to the CPU product's bits.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/backend/cpu/backend.hpp"
#include "matsample/backend/cpu/radix_sort.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/core/csr.hpp"

namespace matsample::mpi {

/// A tile that travelled whole: owned here unless this rank was the root.
template <class V, index_type I, index_type O>
struct broadcast_tile {
  csr_matrix<V, I, O> storage;  ///< The received tile; empty on the root
  csr_view<V, I, O> view;       ///< The tile: of storage, or on the root the tile it sent
};

/// Bytes a tile occupies on the wire: its shape, then indptr, indices and values.
template <class V, index_type I, index_type O>
std::int64_t tile_bytes(const csr_view<V, I, O>& t) {
  return 4 * 8 + (static_cast<std::int64_t>(t.rows()) + 1) * static_cast<std::int64_t>(sizeof(O)) +
         t.nnz() * static_cast<std::int64_t>(sizeof(I) + (t.has_values() ? sizeof(V) : 0));
}

/// Broadcasts `tile` from `root` over `comm`; the other ranks' `tile` is
/// ignored. Counts, per rank, what it sent (root: to every peer) or received.
template <class V, index_type I, index_type O>
broadcast_tile<V, I, O> broadcast_csr(MPI_Comm comm, int root, const csr_view<V, I, O>& tile, volume* moved) {
  const auto [self, size] = transport::place_in(comm);
  if (self == root) {
    std::int64_t shape[4] = {tile.rows(), tile.cols(), tile.nnz(), tile.has_values()};
    broadcast(comm, std::span<std::int64_t>(shape), root);
    broadcast(comm, std::span<O>(const_cast<O*>(tile.indptr().data()), tile.indptr().size()), root);
    broadcast(comm, std::span<I>(const_cast<I*>(tile.indices().data()), tile.indices().size()), root);
    if (tile.has_values())
      broadcast(comm, std::span<V>(const_cast<V*>(tile.values().data()), tile.values().size()), root);
    if (moved != nullptr) {
      moved->bytes_sent += (size - 1) * tile_bytes(tile);
      moved->messages += (size - 1) * (3 + tile.has_values());
    }
    return {{}, tile};
  }
  std::int64_t shape[4] = {};
  broadcast(comm, std::span<std::int64_t>(shape), root);
  std::vector<O> indptr(static_cast<std::size_t>(shape[0]) + 1);
  std::vector<I> indices(static_cast<std::size_t>(shape[2]));
  std::vector<V> values(shape[3] != 0 ? indices.size() : 0);
  broadcast(comm, std::span<O>(indptr), root);
  broadcast(comm, std::span<I>(indices), root);
  if (shape[3] != 0) broadcast(comm, std::span<V>(values), root);
  broadcast_tile<V, I, O> out{
      csr_matrix<V, I, O>(::matsample::detail::trusted, static_cast<I>(shape[0]), static_cast<I>(shape[1]),
                          std::move(indptr), std::move(indices), std::move(values)),
      {}};
  out.view = out.storage.view();
  if (moved != nullptr) moved->bytes_received += tile_bytes(out.view);
  return out;
}

}  // namespace matsample::mpi

namespace matsample::detail {

/// C + B·T, row by row: T's rows are A's rows [first, first + T.rows()).
/// `copy` is the one-hot case (every row of B one pattern entry): a row of
/// the product is then T's row itself, copied as a gather would. Otherwise
/// each row's entries so far and its new products, in traversal order, are
/// stably sorted by column and summed from zero: the existing sum comes
/// first, so every entry adds its products in increasing k.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> add_stage_product(const csr_view<V, I, O>& c, const csr_view<V, I, O>& b,
                                      const csr_view<V, I, O>& t, std::int64_t first, bool copy) {
  const std::int64_t rows = c.rows(), width = c.cols();
  const bool values_out = copy ? t.has_values() : true;
  const int threads = omp_get_max_threads();
  const std::int64_t chunks = std::min<std::int64_t>(std::max<std::int64_t>(rows, 1), 8LL * threads);
  std::vector<std::vector<I>> chunk_cols(static_cast<std::size_t>(chunks));
  std::vector<std::vector<V>> chunk_vals(static_cast<std::size_t>(chunks));
  std::vector<std::int64_t> row_nnz(static_cast<std::size_t>(rows));
#pragma omp parallel num_threads(threads)
  {
    std::vector<std::pair<I, V>> pairs, scratch;  // per thread, reused across rows
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
      auto& cols = chunk_cols[chunk];
      auto& vals = chunk_vals[chunk];
      for (std::int64_t r = rows * chunk / chunks; r < rows * (chunk + 1) / chunks; ++r) {
        const std::size_t start = cols.size();
        for (O e = c.row_begin(static_cast<I>(r)); copy && e < c.row_end(static_cast<I>(r)); ++e) {
          cols.push_back(c.indices()[e]);
          if (values_out) vals.push_back(c.value(e));
        }
        pairs.clear();
        if (!copy) {
          for (O e = c.row_begin(static_cast<I>(r)); e < c.row_end(static_cast<I>(r)); ++e)
            pairs.emplace_back(c.indices()[e], c.value(e));
        }
        for (O e = b.row_begin(static_cast<I>(r)); e < b.row_end(static_cast<I>(r)); ++e) {
          const auto k = static_cast<I>(b.indices()[e] - first);
          const V bv = b.value(e);
          for (O f = t.row_begin(k); f < t.row_end(k); ++f) {
            if (copy) {
              cols.push_back(t.indices()[f]);
              if (values_out) vals.push_back(t.value(f));
            } else {
              pairs.emplace_back(t.indices()[f], bv * t.value(f));
            }
          }
        }
        if (!copy) {
          sort_by_column(pairs, scratch, width);
          for (std::size_t i = 0; i < pairs.size();) {
            const I j = pairs[i].first;
            V sum{0};
            for (; i < pairs.size() && pairs[i].first == j; ++i) sum += pairs[i].second;
            cols.push_back(j);
            vals.push_back(sum);
          }
        }
        row_nnz[r] = static_cast<std::int64_t>(cols.size() - start);
      }
    }
  }
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    indptr[r + 1] = checked_cast<O>(static_cast<std::int64_t>(indptr[r]) + row_nnz[r], "entries of the SUMMA tile");
  }
  std::vector<I> indices;
  std::vector<V> values;
  indices.reserve(static_cast<std::size_t>(indptr.back()));
  values.reserve(values_out ? static_cast<std::size_t>(indptr.back()) : 0);
  for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
    indices.insert(indices.end(), chunk_cols[chunk].begin(), chunk_cols[chunk].end());
    values.insert(values.end(), chunk_vals[chunk].begin(), chunk_vals[chunk].end());
  }
  return {trusted, c.rows(), c.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample::detail

namespace matsample::mpi {

/// My tile of B for summa_multiply, from my grid row's whole B: each row's
/// entries whose columns lie in A's row block my_col(), in order. Local (no
/// communication); argument_error unless B has A's row count as columns,
/// csr_error for a row of B that is not a valid CSR row.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> my_tile_of(const csr_view<V, I, O>& b, const distributed_csr_view<V, I, O>& a) {
  if (b.cols() != a.rows()) {
    throw argument_error(
        ::matsample::detail::concat("SUMMA tile: B has ", b.cols(), " columns for A's ", a.rows(), " rows"));
  }
  for (I r = 0; r < b.rows(); ++r) ::matsample::detail::diagnose_row(b, r, "SUMMA left operand", r);
  const auto k = a.blocks();
  const std::int64_t lo = k.begin(a.grid().my_col()), hi = k.end(a.grid().my_col());
  std::vector<O> indptr(static_cast<std::size_t>(b.rows()) + 1, 0);
  std::vector<I> indices;
  std::vector<V> values;
  for (I r = 0; r < b.rows(); ++r) {
    for (O e = b.row_begin(r); e < b.row_end(r); ++e) {
      if (b.indices()[e] < lo || b.indices()[e] >= hi) continue;
      indices.push_back(b.indices()[e]);
      if (b.has_values()) values.push_back(b.values()[e]);
    }
    indptr[r + 1] = checked_cast<O>(static_cast<std::int64_t>(indices.size()), "entries of the SUMMA tile");
  }
  return {::matsample::detail::trusted, b.rows(), b.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

/// My tile of C = B·A by sparse SUMMA. `b_tile` is my tile of B: the rows of
/// my grid row's B (the same count on every rank of the row), restricted to
/// the columns in A's row block my_col(), with global column ids; `a` holds
/// A's tiles. Returns C's rows restricted to A's column block my_col(), with
/// global column ids; assemble_rows joins the tiles of a grid row. `one_hot`
/// says every row of B is one pattern entry (a row gather), whose product
/// rows are A's rows copied, not summed. Collective over the grid; a grid
/// that is not square, an untiled A or a B that does not fit its tile is
/// refused on every rank.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> summa_multiply(const csr_view<V, I, O>& b_tile, const distributed_csr_view<V, I, O>& a,
                                   bool one_hot, volume* moved) {
  const auto& grid = a.grid();
  const int q = grid.rows();
  const auto k_blocks = a.blocks();  // A's row blocks, which are also B's column blocks
  collective_check(grid.world(), [&] {
    if (!(a.tiled() || grid.size() == 1) || grid.rows() != grid.cols()) {  // one rank: one tile, one stage
      throw argument_error(::matsample::detail::concat("SUMMA: needs 2D tiles on a square grid, not ", grid.rows(),
                                                       " x ", grid.cols(), a.tiled() ? "" : " row blocks"));
    }
    const auto lo = k_blocks.begin(grid.my_col()), hi = k_blocks.end(grid.my_col());
    if (b_tile.cols() != a.rows()) {
      throw argument_error(
          ::matsample::detail::concat("SUMMA: B has ", b_tile.cols(), " columns for A's ", a.rows(), " rows"));
    }
    for (I r = 0; r < b_tile.rows(); ++r) {
      ::matsample::detail::check_row(b_tile, r, "SUMMA left operand", r);
      if (one_hot && (b_tile.degree(r) > 1 || b_tile.has_values())) {
        throw argument_error(
            ::matsample::detail::concat("SUMMA: row ", r, " of a one-hot B is not a single pattern entry"));
      }
      for (O e = b_tile.row_begin(r); e < b_tile.row_end(r); ++e) {
        if (b_tile.indices()[e] < lo || b_tile.indices()[e] >= hi) {
          throw argument_error(::matsample::detail::concat("SUMMA: column ", b_tile.indices()[e], " of B's row ", r,
                                                           " lies outside this rank's tile [", lo, ", ", hi, ")"));
        }
      }
    }
  });
  std::vector<O> empty_indptr(static_cast<std::size_t>(b_tile.rows()) + 1, O{0});
  csr_matrix<V, I, O> c(::matsample::detail::trusted, b_tile.rows(), a.cols(), std::move(empty_indptr), {}, {});
  for (int s = 0; s < q; ++s) {
    // B(i, s) along my grid row (ranked by column), A(s, j) down my grid column (ranked by row).
    const auto b = broadcast_csr(grid.row_comm(), s, b_tile, moved);
    const auto t = broadcast_csr(grid.col_comm(), s, a.local(), moved);
    c = agreed(grid.world(), [&] {
      return ::matsample::detail::add_stage_product(c.view(), b.view, t.view, k_blocks.begin(s), one_hot);
    });
  }
  return c;
}

}  // namespace matsample::mpi
