#pragma once
// The OpenMP CPU backend. Every kernel runs in two passes over the rows it
// touches (count, exclusive scan, fill), so outputs land at positions fixed by
// the input alone and are identical for any thread count. Scratch memory is
// per thread and reused across rows; nothing allocates per row and nothing
// locks.
//
// This file holds the class. Its per-thread scratch (hash_map.hpp,
// radix_sort.hpp, accumulator.hpp, scratch.hpp) and the definitions of its
// larger kernels have a file each; the kernel files (gather_sample.hpp,
// spgemm.hpp, select_columns.hpp, compact.hpp, ...) are included at the end.

#include <omp.h>

#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

/// The OpenMP kernel set on host memory (satisfies kernel_set). Results
/// match the reference backend's bit for bit for any thread count; every
/// kernel checks the rows it reads and throws csr_error (or argument_error)
/// instead of reading out of bounds.
class cpu_backend {
 public:
  using memory_space = host_memory;           ///< Operands are host csr_view objects.
  static constexpr const char* name = "cpu";  ///< Backend name in reports and tests.

  /// Uses `threads` OpenMP threads per kernel (0: OpenMP's default).
  explicit cpu_backend(int threads = 0) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}
  /// OpenMP threads each kernel uses (at least 1).
  [[nodiscard]] int threads() const noexcept { return threads_; }

  /// P = Q·A for a one-hot Q given by its column per row: row r of the
  /// result is a copy of row rows[r] of `a` (ids are rows of `a`).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    const stacked_selection<I> unsampled{rows, {}, 0, 0};  // keeps whole rows: draws no addresses
    return sample_selected_rows(a, true, unsampled, row_sampling{-1, false, false}, 0, 0, "row selection");
  }

  /// Row-wise ITS: keeps `spec.fanout` sampled entries of each row of P
  /// (p.rows() == q.rows()); row r draws from the stream at q.address(r) of
  /// (seed, layer). Column ids and values are kept as in P.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> sample_rows(const csr_view<V, I, O>& p, const stacked_selection<I>& q, row_sampling spec,
                                  std::uint64_t seed, std::uint64_t layer) const {
    if (p.rows() != q.rows()) {
      throw argument_error(detail::concat("sample_rows: P has ", p.rows(), " rows but Q has ", q.rows()));
    }
    validate_batches(q);
    return sample_selected_rows(p, false, q, spec, seed, layer, "sample_rows");
  }

  /// Fused Q·A and row sampling: reads only the sampled entries of each
  /// selected row of A instead of materialising P. Output is identical to
  /// sample_rows(gather_rows(A, q.vertices), q, ...).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a, const stacked_selection<I>& q, row_sampling spec,
                                        std::uint64_t seed, std::uint64_t layer) const {
    validate_batches(q);
    return sample_selected_rows(a, true, q, spec, seed, layer, "row selection");
  }

  /// The fused step with each minibatch's excluded entries masked out, P⟨¬X⟩,
  /// without materialising P: a row draws among its entries that are not
  /// excluded and maps the positions past the excluded ones. Output is
  /// identical to sample_rows(exclude_entries(gather_rows(A, q.vertices), q,
  /// excluded), q, ...).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a, const stacked_selection<I>& q, row_sampling spec,
                                        std::uint64_t seed, std::uint64_t layer,
                                        const excluded_edges<I>& excluded) const {
    detail::check_exclusion_offsets(q, excluded);
    return sample_selected_rows(a, true, q, spec, seed, layer, "row selection", &excluded);
  }

  /// Any other row rule (algebra/row_rule.hpp), by the generic path of
  /// rule_sampling.hpp; gather_and_sample reads A's selected rows directly.
  template <class V, index_type I, index_type O, row_rule Rule>
  requires(!std::same_as<Rule, row_sampling>) csr_matrix<V, I, O> sample_rows(const csr_view<V, I, O>& p,
                                                                              const stacked_selection<I>& q,
                                                                              const Rule& rule, std::uint64_t seed,
                                                                              std::uint64_t layer)
  const {
    if (p.rows() != q.rows()) {
      throw argument_error(detail::concat("sample_rows: P has ", p.rows(), " rows but Q has ", q.rows()));
    }
    validate_batches(q);
    return select_by_rule(p, false, q, rule, seed, layer, "sample_rows");
  }
  /// Fused Q·A and a generic row rule: row r applies `rule` to row
  /// q.vertices[r] of A; identical to sample_rows(gather_rows(A, q.vertices),
  /// q, rule, ...).
  template <class V, index_type I, index_type O, row_rule Rule>
  requires(!std::same_as<Rule, row_sampling>) csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a,
                                                                                    const stacked_selection<I>& q,
                                                                                    const Rule& rule,
                                                                                    std::uint64_t seed,
                                                                                    std::uint64_t layer)
  const {
    validate_batches(q);
    return select_by_rule(a, true, q, rule, seed, layer, "row selection");
  }

  /// C = A·B (a.cols() == b.rows()) with sorted output rows; each value sums
  /// its products in the order met walking A's row, then B's rows, so the
  /// bits match the reference backend. Row-wise Gustavson in chunks of about
  /// equal flops (spgemm.hpp).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const;

  /// M·C for a block-diagonal column selection C: rows of M in block m
  /// (row_blocks, k + 1 offsets) keep the entries whose column is in block
  /// m's ascending list columns[column_blocks[m], column_blocks[m + 1]), and
  /// column j of that list becomes column column_blocks[m] + j.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                     std::span<const I> columns, std::span<const std::int64_t> column_blocks) const;

  /// M·Π where Π maps column j to column new_ids[j] of a new_cols-column
  /// result: entries keep their row, order and value (a many-to-one map does
  /// not merge entries that meet).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> relabel_columns(const csr_view<V, I, O>& m, std::span<const I> new_ids,
                                      std::int64_t new_cols) const {
    detail::check_relabelling(m, new_ids, new_cols);
    check_all_rows(m, "relabel_columns");
    std::vector<I> indices(static_cast<std::size_t>(m.nnz()));
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t e = 0; e < static_cast<std::int64_t>(m.nnz()); ++e) indices[e] = new_ids[m.indices()[e]];
    return {detail::trusted,          m.rows(),
            static_cast<I>(new_cols), std::vector<O>(m.indptr().begin(), m.indptr().end()),
            std::move(indices),       std::vector<V>(m.values().begin(), m.values().end())};
  }

  /// New values f(row, column, value) on the same pattern; the value type is
  /// f's result type (a pattern matrix's entries read as 1).
  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const {
    using R = std::invoke_result_t<F&, I, I, V>;
    check_all_rows(m, "apply");
    std::vector<R> values(static_cast<std::size_t>(m.nnz()));
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
        values[e] = f(static_cast<I>(r), m.indices()[e], m.value(e));
      }
    }
    return csr_matrix<R, I, O>(detail::trusted, m.rows(), m.cols(),
                               std::vector<O>(m.indptr().begin(), m.indptr().end()),
                               std::vector<I>(m.indices().begin(), m.indices().end()), std::move(values));
  }

  /// Folds each row's values left to right from `init`: acc = f(acc, value);
  /// one result per row (an empty row gives init).
  template <class V, index_type I, index_type O, class Acc, class F>
  std::vector<Acc> row_reduce(const csr_view<V, I, O>& m, Acc init, F f) const {
    check_all_rows(m, "row_reduce");
    std::vector<Acc> out(static_cast<std::size_t>(m.rows()));
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      Acc acc = init;  // left to right within the row: the order is fixed
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) acc = f(acc, m.value(e));
      out[r] = acc;
    }
    return out;
  }

  /// P⟨¬X⟩: row r of P (vertex q.vertices[r] = u of minibatch m) keeps the
  /// entries (u, c) that minibatch m does not exclude (excluded.offsets
  /// empty: a copy of P), in order (exclude_entries.hpp).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> exclude_entries(const csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                      const excluded_edges<I>& excluded) const;

  /// Turns the sampled rows S (global column ids, one row per stacked row of
  /// q) of k minibatches into k blocks. Destination nodes are q's vertices;
  /// source nodes are the destinations followed by the other sampled columns
  /// in order of first appearance (row-major); with `deduplicate` a
  /// minibatch listing a vertex twice throws argument_error. Without it every
  /// entry is a new source node.
  template <class V, index_type I, index_type O>
  block_set<V, I, O> compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q, bool deduplicate) const;

 private:
  /// Row offsets and columns of every row (rows must be sound before any
  /// kernel reads them); O(nnz), used by kernels that visit every row anyway.
  template <class V, index_type I, index_type O>
  void check_all_rows(const csr_view<V, I, O>& m, const char* what) const {
    detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      if (!detail::row_ok(m, r)) {
        bad.record(r);
        continue;
      }
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
        if (!detail::column_ok(m, e)) {
          bad.record(r);
          break;
        }
      }
    }
    if (bad.failed()) detail::diagnose_row(m, bad.index(), what, bad.index());
  }

  /// Samples row source(r) of `m` for every stacked row r of q, where
  /// source(r) is q.vertices[r] when `gathered` (Q·A fused in) and r otherwise.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> sample_selected_rows(const csr_view<V, I, O>& m, bool gathered, const stacked_selection<I>& q,
                                           row_sampling spec, std::uint64_t seed, std::uint64_t layer, const char* what,
                                           const excluded_edges<I>* excluded = nullptr) const;

  template <class V, index_type I, index_type O, row_rule Rule>
  csr_matrix<V, I, O> select_by_rule(const csr_view<V, I, O>& m, bool gathered, const stacked_selection<I>& q,
                                     const Rule& rule, std::uint64_t seed, std::uint64_t layer, const char* what) const;

  int threads_;
};

}  // namespace matsample

// The kernels' definitions, one file each.
#include "matsample/backend/cpu/compact.hpp"
#include "matsample/backend/cpu/exclude_entries.hpp"
#include "matsample/backend/cpu/gather_sample.hpp"
#include "matsample/backend/cpu/rule_sampling.hpp"
#include "matsample/backend/cpu/select_columns.hpp"
#include "matsample/backend/cpu/spgemm.hpp"
