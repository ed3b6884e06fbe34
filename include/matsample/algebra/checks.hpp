#pragma once
// Input checks shared by every backend. Kernels check only what they touch
// (the rows a selection references, the entries they emit), so a call costs
// what it samples rather than what the graph holds; validate() in
// core/csr.hpp is the full O(nnz) check. Parallel kernels call the noexcept
// predicates inside the loop, record the first failing position, and call the
// matching `diagnose_*` afterwards to throw one precise message.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"

namespace matsample::detail {

/// Row v exists and its offsets describe a valid slice of the entry arrays.
template <class V, index_type I, index_type O>
bool row_ok(const csr_view<V, I, O>& a, std::int64_t v) noexcept {
  if (v < 0 || v >= a.rows()) return false;
  const O b = a.indptr()[v], e = a.indptr()[v + 1];
  return 0 <= b && b <= e && e <= a.nnz();
}

template <class V, index_type I, index_type O>
bool column_ok(const csr_view<V, I, O>& a, O entry) noexcept {
  const I c = a.indices()[entry];
  return 0 <= c && c < a.cols();
}

/// Throws if row v (referenced at `position` of `what`) is out of range or
/// has bad offsets; returns if its extent is sound.
template <class V, index_type I, index_type O>
void diagnose_extent(const csr_view<V, I, O>& a, std::int64_t v, std::string_view what, std::int64_t position) {
  if (v < 0 || v >= a.rows()) {
    throw out_of_range_error(
        concat(what, ": vertex ", v, " at position ", position, " is outside [0, ", a.rows(), ")"));
  }
  const O b = a.indptr()[v], e = a.indptr()[v + 1];
  if (!(0 <= b && b <= e && e <= a.nnz())) {
    throw csr_error(concat("csr: row ", v, " has offsets [", b, ", ", e, ") outside [0, ", a.nnz(),
                           "] or decreasing (offsets must be monotone)"));
  }
}

/// Throws the precise error for row v: out of range, bad offsets, or a bad
/// column (the first in the row). Returns if the row is sound.
template <class V, index_type I, index_type O>
void diagnose_row(const csr_view<V, I, O>& a, std::int64_t v, std::string_view what, std::int64_t position) {
  diagnose_extent(a, v, what, position);
  const O b = a.indptr()[v], e = a.indptr()[v + 1];
  for (O k = b; k < e; ++k) {
    if (!column_ok(a, k)) {
      throw csr_error(
          concat("csr: column ", a.indices()[k], " out of range [0, ", a.cols(), ") in row ", v, " (entry ", k, ")"));
    }
  }
}

template <class V, index_type I, index_type O>
void check_row(const csr_view<V, I, O>& a, std::int64_t v, std::string_view what, std::int64_t position) {
  if (!row_ok(a, v)) diagnose_row(a, v, what, position);
}

template <class V, index_type I, index_type O>
bool row_has_bad_weight(const csr_view<V, I, O>& a, std::int64_t v) noexcept {
  if (!a.has_values()) return false;
  for (O e = a.row_begin(static_cast<I>(v)); e < a.row_end(static_cast<I>(v)); ++e) {
    if (!kernels::usable_weight(static_cast<double>(a.values()[e]))) return true;
  }
  return false;
}

/// The weighted-sampling error in the caller's terms. Stacked row r of q
/// samples vertex q.vertices[r], whose edges are row `row` of `m` (A itself,
/// or P = Q·A); the message names that vertex, the edge to the first bad
/// weight, the layer and the minibatch (the batch's number in the epoch).
template <class V, index_type I, index_type O>
[[noreturn]] void throw_bad_weight(const csr_view<V, I, O>& m, std::int64_t row, const stacked_selection<I>& q,
                                   std::int64_t r, std::uint64_t layer) {
  std::string edge = "an edge";
  for (O e = m.row_begin(static_cast<I>(row)); e < m.row_end(static_cast<I>(row)); ++e) {
    if (!kernels::usable_weight(static_cast<double>(m.values()[e]))) {
      edge = concat("its edge to vertex ", m.indices()[e], " (weight ", static_cast<double>(m.values()[e]), ")");
      break;
    }
  }
  const std::string where =
      q.batches() > 0 ? concat("layer ", layer, ", minibatch ", q.address(r).minibatch) : concat("layer ", layer);
  throw argument_error(concat("weighted sampling: vertex ", q.vertices[static_cast<std::size_t>(r)], ": ", edge,
                              " has a negative, NaN or infinite weight (", where,
                              "); weights must be finite and >= 0"));
}

[[noreturn]] inline void throw_duplicate_destination(std::int64_t vertex, std::int64_t batch) {
  throw argument_error(
      concat("minibatch ", batch, " lists vertex ", vertex, " twice; destination vertices of a block must be unique"));
}

}  // namespace matsample::detail

namespace matsample::detail {

/// Offsets of k blocks over [0, total): start at 0, never decrease, end at total.
inline void check_block_offsets(std::span<const std::int64_t> offsets, std::int64_t total, std::string_view what) {
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != total) {
    throw argument_error(concat(what, ": block offsets must run from 0 to ", total));
  }
  for (std::size_t m = 0; m + 1 < offsets.size(); ++m) {
    if (offsets[m + 1] < offsets[m]) throw argument_error(concat(what, ": block offsets decrease at block ", m));
  }
}

/// Arguments of select_columns: k row blocks of M, k ascending column lists.
/// M is any matrix with rows() and cols() (a host or a device view).
template <class M, index_type I>
void check_column_blocks(const M& m, std::span<const std::int64_t> row_blocks, std::span<const I> columns,
                         std::span<const std::int64_t> column_blocks) {
  check_block_offsets(row_blocks, m.rows(), "select_columns rows");
  check_block_offsets(column_blocks, static_cast<std::int64_t>(columns.size()), "select_columns columns");
  if (row_blocks.size() != column_blocks.size()) {
    throw argument_error(concat("select_columns: ", row_blocks.size() - 1, " row blocks but ", column_blocks.size() - 1,
                                " column blocks"));
  }
  for (std::size_t b = 0; b + 1 < column_blocks.size(); ++b) {
    for (auto j = column_blocks[b]; j < column_blocks[b + 1]; ++j) {
      if (columns[j] < 0 || columns[j] >= m.cols()) {
        throw out_of_range_error(concat("select_columns: column ", columns[j], " outside [0, ", m.cols(), ")"));
      }
      if (j > column_blocks[b] && columns[j] <= columns[j - 1]) {
        throw argument_error(concat("select_columns: columns of block ", b, " must be strictly ascending"));
      }
    }
  }
}

/// Arguments of relabel_columns: one new id in [0, new_cols) per column of M
/// (a host or a device view).
template <class M, index_type I>
void check_relabelling(const M& m, std::span<const I> new_ids, std::int64_t new_cols) {
  if (static_cast<std::int64_t>(new_ids.size()) != m.cols()) {
    throw argument_error(concat("relabel_columns: ", new_ids.size(), " new ids for ", m.cols(), " columns"));
  }
  if (new_cols < 0) throw argument_error(concat("relabel_columns: negative column count ", new_cols));
  (void)checked_cast<I>(new_cols, "columns of the relabelled matrix");
  for (std::size_t j = 0; j < new_ids.size(); ++j) {
    if (new_ids[j] < 0 || new_ids[j] >= new_cols) {
      throw out_of_range_error(
          concat("relabel_columns: column ", j, " maps to ", new_ids[j], ", outside [0, ", new_cols, ")"));
    }
  }
}

/// One exclusion range per minibatch of q (or none); throws argument_error.
template <index_type I>
void check_exclusion_offsets(const stacked_selection<I>& q, const excluded_edges<I>& excluded) {
  validate_batches(q);
  if (!excluded.offsets.empty() && static_cast<std::int64_t>(excluded.offsets.size()) != q.batches() + 1) {
    throw argument_error(
        concat("exclude_entries: ", excluded.offsets.size(), " exclusion offsets for ", q.batches(), " minibatches"));
  }
}

/// exclude_entries's operands agree: one row of P per stacked row of q, and
/// one exclusion range per minibatch of q (or none). Throws argument_error.
template <class Rows, index_type I>
void check_exclusion(const Rows& p, const stacked_selection<I>& q, const excluded_edges<I>& excluded) {
  if (p.rows() != q.rows()) {
    throw argument_error(concat("exclude_entries: P has ", p.rows(), " rows but Q has ", q.rows()));
  }
  check_exclusion_offsets(q, excluded);
}

}  // namespace matsample::detail
