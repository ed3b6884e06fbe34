#pragma once
// The distributed backend: a kernel set whose graph operand may be a
// distributed_csr_view (1.5D row blocks or 2D tiles). Kernels on the graph fetch the rows they need from
// the owners (fetch_rows) and then run the CPU kernels on them, in the same
// order as on one process, so a rank's minibatches come out bit-identical to
// the CPU backend's. Kernels on local matrices (the sampled rows, blocks and
// probabilities of a rank's own minibatches) are the CPU backend's.
//
// Every call is collective over the grid whenever its graph operand is
// distributed: all ranks run the same sampler with the same number of layers,
// each on its own minibatches (see balance.hpp for the shares). On 2D tiles
// the ranks of a grid row share their minibatches: they pass the same batches
// and all get the whole result.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "matsample/algebra/contract.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/summa.hpp"

namespace matsample::mpi {

/// How products with A in 2D tiles move A (1.5D row blocks always fetch rows).
enum class two_d_product {
  /// Ask each tile owner of my grid column only for the rows Q references
  /// (sparsity-aware), then join the row pieces along the grid row.
  row_fetch,
  /// Sparse SUMMA (summa.hpp): every stage broadcasts whole tiles of Q along
  /// grid rows and of A down grid columns. Needs a square grid.
  summa,
};

/// The distributed kernel set (see the file comment): the CPU backend's
/// kernels, with overloads that take a distributed_csr_view graph operand
/// and fetch what they need from its owners. Every kernel call is collective
/// over the grid's world communicator.
class mpi_backend : public cpu_backend {
 public:
  using memory_space = host_memory;           ///< Local operands are host csr_view objects.
  static constexpr const char* name = "mpi";  ///< Backend name in reports and tests.

  /// Kernels are collective over `grid`'s ranks, which must outlive the
  /// backend. two_d_product::summa on a grid that is not square throws
  /// argument_error (on every rank: they share the grid's shape).
  explicit mpi_backend(const process_grid& grid, int threads = 0, two_d_product product = two_d_product::row_fetch)
      : cpu_backend(threads), grid_(&grid), product_(product) {
    if (product == two_d_product::summa && grid.rows() != grid.cols()) {
      throw argument_error(
          detail::concat("mpi_backend: SUMMA needs a square grid, not ", grid.rows(), " x ", grid.cols()));
    }
  }

  // Kernels on a rank's own matrices run locally, but an error on one rank is
  // agreed on by all (collective_check), so no rank waits for a failed one in
  // the sampler's next collective step.
  /// cpu_backend::sample_rows on local operands, agreed: if it throws on any
  /// rank, it throws on every rank.
  template <class... Args>
  auto sample_rows(const Args&... args) const {
    return agreed([&] { return cpu_backend::sample_rows(args...); });
  }
  /// cpu_backend::compact_blocks on local operands, agreed across ranks.
  template <class... Args>
  auto compact_blocks(const Args&... args) const {
    return agreed([&] { return cpu_backend::compact_blocks(args...); });
  }
  /// cpu_backend::exclude_entries on local operands, agreed across ranks.
  template <class... Args>
  auto exclude_entries(const Args&... args) const {
    return agreed([&] { return cpu_backend::exclude_entries(args...); });
  }
  /// cpu_backend::select_columns on local operands, agreed across ranks.
  template <class... Args>
  auto select_columns(const Args&... args) const {
    return agreed([&] { return cpu_backend::select_columns(args...); });
  }
  /// cpu_backend::relabel_columns on local operands, agreed across ranks.
  template <class... Args>
  auto relabel_columns(const Args&... args) const {
    return agreed([&] { return cpu_backend::relabel_columns(args...); });
  }
  /// cpu_backend::row_reduce on local operands, agreed across ranks.
  template <class... Args>
  auto row_reduce(const Args&... args) const {
    return agreed([&] { return cpu_backend::row_reduce(args...); });
  }
  /// cpu_backend::apply on a local matrix, agreed across ranks.
  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const {
    return agreed([&] { return cpu_backend::apply(m, f); });
  }
  /// cpu_backend::gather_rows on a local matrix, agreed across ranks.
  template <class V, index_type I, index_type O>
  auto gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    return agreed([&] { return cpu_backend::gather_rows(a, rows); });
  }
  /// cpu_backend::spgemm on local matrices, agreed across ranks.
  template <class V, index_type I, index_type O>
  auto spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
    return agreed([&] { return cpu_backend::spgemm(a, b); });
  }

  /// P = Q·A for one-hot Q: the selected rows, fetched from their owners.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const distributed_csr_view<V, I, O>& a, std::span<const I> rows) const {
    if (summa_on(a)) {
      collective_check(a.grid().world(), [&] { check_selection(rows, a.rows()); });
      std::vector<O> one_each(rows.size() + 1);  // the one-hot Q: row r holds rows[r]
      for (std::size_t r = 0; r <= rows.size(); ++r) one_each[r] = static_cast<O>(r);
      const csr_view<V, I, O> q(checked_cast<I>(rows.size(), "rows of the selection"), a.rows(), one_each, rows);
      auto piece = summa_multiply(my_tile_of(q, a).view(), a, true, &moved_);
      return assemble_rows(a.grid(), piece.view(), &moved_);
    }
    auto fetched = fetch_rows(a, rows, &moved_);
    return a.tiled() ? assemble_rows(a.grid(), fetched.view(), &moved_) : fetched;
  }

  /// C = Q·A with Q local: A's rows that Q references are fetched (ids out,
  /// rows back), renumbered densely, and multiplied locally in Q's order.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& q, const distributed_csr_view<V, I, O>& a) const {
    collective_check(a.grid().world(), [&] {
      if (q.cols() != a.rows()) {
        throw argument_error(detail::concat("spgemm: inner dimensions differ (", q.cols(), " vs ", a.rows(), ")"));
      }
      for (I r = 0; r < q.rows(); ++r) detail::diagnose_row(q, r, "spgemm left operand", r);
    });
    if (summa_on(a)) {
      auto piece = summa_multiply(my_tile_of(q, a).view(), a, false, &moved_);
      return assemble_rows(a.grid(), piece.view(), &moved_);
    }
    if (same_full_q_everywhere(q, a)) return reduce_along_blocks(q, a);
    std::vector<I> needed(q.indices().begin(), q.indices().end());
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    const auto rows = fetch_rows(a, std::span<const I>(needed), &moved_);
    // Q with its columns renumbered to positions in `needed`: same entries, same order.
    std::vector<I> renumbered(q.indices().size());
    for (std::size_t e = 0; e < renumbered.size(); ++e) {
      renumbered[e] = static_cast<I>(std::lower_bound(needed.begin(), needed.end(), q.indices()[e]) - needed.begin());
    }
    const csr_view<V, I, O> compact_q(q.rows(), static_cast<I>(needed.size()), q.indptr(), renumbered, q.values());
    // On tiles this is column block j of the product; each column still sums
    // its products in Q's order, so the assembled rows are the CPU's bits.
    auto product = agreed([&] { return cpu_backend::spgemm(compact_q, rows.view()); });
    return a.tiled() ? assemble_rows(a.grid(), product.view(), &moved_) : product;
  }

  /// f applied to every entry of A, on the block that holds it (f sees global row ids).
  template <class V, index_type I, index_type O, class F>
  auto apply(const distributed_csr_view<V, I, O>& a, F f) const {
    const I first = static_cast<I>(a.first_row());
    auto local = agreed([&] {
      return cpu_backend::apply(a.local(), [&](I r, I c, V v) { return f(static_cast<I>(r + first), c, v); });
    });
    using R = typename decltype(local)::value_type;
    return distributed_csr<R, I, O>(a.grid(), a.rows(), a.cols(), std::move(local),
                                    true);  // apply always yields values
  }

  /// The grid the kernels are collective over.
  [[nodiscard]] const process_grid& grid() const noexcept { return *grid_; }
  /// How products with a 2D-tiled A move A.
  [[nodiscard]] two_d_product product() const noexcept { return product_; }

  /// Bytes this backend's exchanges moved since construction (or reset).
  [[nodiscard]] const volume& moved() const noexcept { return moved_; }
  /// Zeroes moved() (the counter is mutable: a const backend still counts).
  void reset_volume() const noexcept { moved_ = {}; }

 private:
  /// Whether every rank passes the same Q and each row of Q references every
  /// row of A (FastGCN's 1ᵀ·(A∘A)). Fetching rows would then bring all of A
  /// to every rank; reduce_along_blocks moves O(rows(Q)·N) instead.
  template <class V, index_type I, index_type O>
  bool same_full_q_everywhere(const csr_view<V, I, O>& q, const distributed_csr_view<V, I, O>& a) const {
    const MPI_Comm world = a.grid().world();
    // Full: row r lists columns 0, 1, ..., N-1 in order (then a column's offset is its id).
    bool full = q.rows() > 0 && a.rows() > 0;
    for (I r = 0; full && r < q.rows(); ++r) {
      full = q.degree(r) == a.rows();
      for (O e = q.row_begin(r); full && e < q.row_end(r); ++e) full = q.indices()[e] == e - q.row_begin(r);
    }
    // Shape agreed by a min and a max in one reduction: {x, -x} under MAX.
    std::int64_t shape[6] = {full,           -std::int64_t{full},          q.rows(), -std::int64_t{q.rows()},
                             q.has_values(), -std::int64_t{q.has_values()}};
    check(MPI_Allreduce(MPI_IN_PLACE, shape, 6, MPI_INT64_T, MPI_MAX, world), "MPI_Allreduce");
    if (shape[0] != 1 || shape[1] != -1 || shape[2] != -shape[3] || shape[4] != -shape[5]) return false;
    if (!q.has_values()) return true;  // a full pattern is determined by its shape
    if constexpr (!std::is_same_v<V, float> && !std::is_same_v<V, double>) {
      return false;  // values MPI cannot compare by min and max: fetch rows instead
    } else {
      std::vector<V> low(q.values().begin(), q.values().end()), high = low;
      all_reduce(world, std::span<V>(low), MPI_MIN);
      all_reduce(world, std::span<V>(high), MPI_MAX);
      const std::int64_t reduced = 2 * q.nnz() * static_cast<std::int64_t>(sizeof(V));
      moved_.bytes_sent += reduced;
      moved_.bytes_received += reduced;
      // NaN compares unequal to itself, so a Q holding NaN takes the fetch path.
      int same = std::equal(low.begin(), low.end(), high.begin()) ? 1 : 0;
      check(MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, world), "MPI_Allreduce");
      return same == 1;
    }
  }

  /// C = Q·A for the Q of same_full_q_everywhere: the partial sums of each
  /// output row travel down the grid column, block after block in row order,
  /// each block adding its products one at a time as the CPU's accumulator
  /// would (from zero, in Q's order), so C has the CPU's bits. The last block
  /// broadcasts C; on tiles each grid column does this for its column block
  /// and the pieces are assembled along the row.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> reduce_along_blocks(const csr_view<V, I, O>& q, const distributed_csr_view<V, I, O>& a) const {
    const auto& grid = a.grid();
    const MPI_Comm column = grid.col_comm();  // one rank per row block, ranked by block
    const auto columns = a.column_blocks();
    const int j = a.tiled() ? grid.my_col() : 0;
    const std::int64_t lo = columns.begin(j), width = columns.end(j) - lo;
    const std::int64_t cells = checked_mul(static_cast<std::int64_t>(q.rows()), width, "reduce_along_blocks cells");
    std::vector<V> sum(static_cast<std::size_t>(cells), V{0});
    std::vector<std::uint8_t> touched(static_cast<std::size_t>(cells), 0);
    const int block = grid.my_row(), blocks = grid.rows();
    const auto count = [&](std::int64_t peers, bool sent) {
      const std::int64_t bytes = peers * cells * static_cast<std::int64_t>(sizeof(V) + 1);
      (sent ? moved_.bytes_sent : moved_.bytes_received) += bytes;
      moved_.messages += sent ? 2 * peers : 0;
    };
    const auto transfer = [&](int peer, bool send) {
      if (send) {
        send_to(column, std::span<const V>(sum), peer);
        send_to(column, std::span<const std::uint8_t>(touched), peer);
      } else {
        receive_from(column, std::span<V>(sum), peer);
        receive_from(column, std::span<std::uint8_t>(touched), peer);
      }
      count(1, send);
    };
    if (block > 0) transfer(block - 1, false);
    const auto& local = a.local();
    const I first = static_cast<I>(a.first_row());
    for (I r = 0; r < q.rows(); ++r) {
      V* row_sum = sum.data() + static_cast<std::int64_t>(r) * width;
      std::uint8_t* row_touched = touched.data() + static_cast<std::int64_t>(r) * width;
      for (I k = 0; k < local.rows(); ++k) {
        const V qv = q.value(q.row_begin(r) + first + k);  // a full row: column first + k sits at that offset
        for (O f = local.row_begin(k); f < local.row_end(k); ++f) {
          const std::int64_t c = local.indices()[f] - lo;
          if (!row_touched[c]) {  // as the CPU's accumulators: a column's sum starts from zero
            row_touched[c] = 1;
            row_sum[c] = V{0};
          }
          row_sum[c] += qv * local.value(f);
        }
      }
    }
    if (block + 1 < blocks) transfer(block + 1, true);
    broadcast(column, std::span<V>(sum), blocks - 1);
    broadcast(column, std::span<std::uint8_t>(touched), blocks - 1);
    count(block == blocks - 1 ? blocks - 1 : 0, true);
    count(block == blocks - 1 ? 0 : 1, false);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (std::int64_t r = 0, cell = 0; r < q.rows(); ++r) {
      for (std::int64_t c = 0; c < width; ++c, ++cell) {
        if (!touched[cell]) continue;
        indices.push_back(static_cast<I>(lo + c));
        values.push_back(sum[cell]);
      }
      indptr.push_back(checked_cast<O>(static_cast<std::int64_t>(indices.size()), "entries of the product"));
    }
    csr_matrix<V, I, O> piece(::matsample::detail::trusted, q.rows(), a.cols(), std::move(indptr), std::move(indices),
                              std::move(values));
    return a.tiled() ? assemble_rows(grid, piece.view(), &moved_) : piece;
  }

  template <class V, index_type I, index_type O>
  bool summa_on(const distributed_csr_view<V, I, O>& a) const noexcept {
    return product_ == two_d_product::summa && a.tiled();
  }

  template <class F>
  auto agreed(F&& f) const {
    return ::matsample::mpi::agreed(grid_->world(), std::forward<F>(f));
  }

  const process_grid* grid_;
  two_d_product product_;
  mutable volume moved_;
};

}  // namespace matsample::mpi
