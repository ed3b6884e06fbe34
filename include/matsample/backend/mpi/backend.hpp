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

#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "matsample/algebra/contract.hpp"
#include "matsample/backend/cpu/cpu.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"

namespace matsample::mpi {

class mpi_backend : public cpu_backend {
 public:
  using memory_space = host_memory;
  static constexpr const char* name = "mpi";

  /// Kernels are collective over `grid`'s ranks, which must outlive the backend.
  explicit mpi_backend(const process_grid& grid, int threads = 0) : cpu_backend(threads), grid_(&grid) {}

  // Kernels on a rank's own matrices run locally, but an error on one rank is
  // agreed on by all (collective_check), so no rank waits for a failed one in
  // the sampler's next collective step.
  template <class... Args>
  auto sample_rows(const Args&... args) const { return agreed([&] { return cpu_backend::sample_rows(args...); }); }
  template <class... Args>
  auto compact_blocks(const Args&... args) const { return agreed([&] { return cpu_backend::compact_blocks(args...); }); }
  template <class... Args>
  auto select_columns(const Args&... args) const { return agreed([&] { return cpu_backend::select_columns(args...); }); }
  template <class... Args>
  auto relabel_columns(const Args&... args) const { return agreed([&] { return cpu_backend::relabel_columns(args...); }); }
  template <class... Args>
  auto row_reduce(const Args&... args) const { return agreed([&] { return cpu_backend::row_reduce(args...); }); }
  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const { return agreed([&] { return cpu_backend::apply(m, f); }); }
  template <class V, index_type I, index_type O>
  auto gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    return agreed([&] { return cpu_backend::gather_rows(a, rows); });
  }
  template <class V, index_type I, index_type O>
  auto spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
    return agreed([&] { return cpu_backend::spgemm(a, b); });
  }

  /// P = Q·A for one-hot Q: the selected rows, fetched from their owners.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const distributed_csr_view<V, I, O>& a, std::span<const I> rows) const {
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
    auto product = cpu_backend::spgemm(compact_q, rows.view());
    return a.tiled() ? assemble_rows(a.grid(), product.view(), &moved_) : product;
  }

  /// f applied to every entry of A, on the block that holds it (f sees global row ids).
  template <class V, index_type I, index_type O, class F>
  auto apply(const distributed_csr_view<V, I, O>& a, F f) const {
    const I first = static_cast<I>(a.first_row());
    auto local = cpu_backend::apply(a.local(), [&](I r, I c, V v) { return f(static_cast<I>(r + first), c, v); });
    using R = typename decltype(local)::value_type;
    return distributed_csr<R, I, O>(a.grid(), a.rows(), a.cols(), std::move(local), true);  // apply always yields values
  }

  [[nodiscard]] const process_grid& grid() const noexcept { return *grid_; }

  /// Bytes this backend's exchanges moved since construction (or reset).
  [[nodiscard]] const volume& moved() const noexcept { return moved_; }
  void reset_volume() const noexcept { moved_ = {}; }

 private:
  template <class F>
  auto agreed(F&& f) const {
    std::optional<decltype(f())> out;
    collective_check(grid_->world(), [&] { out.emplace(f()); });
    return std::move(*out);
  }

  const process_grid* grid_;
  mutable volume moved_;
};

}  // namespace matsample::mpi
