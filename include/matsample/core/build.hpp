#pragma once
// Building CSR from coordinate (edge) arrays. Rows come out sorted by column
// (ties by value), so the result is the same for any thread count even though
// edges are scattered in parallel.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/memory.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

/// How csr_from_coo and the readers turn entries into a CSR. Every row of
/// the result is sorted by column (ties by value) whatever the options.
struct build_options {
  bool symmetrize = false;        ///< also insert (j, i) for every (i, j) with i != j
  bool drop_self_loops = false;   ///< discard (i, i)
  bool merge_duplicates = false;  ///< keep one entry per (i, j); values are summed
};

/// Entries (rows[e], cols[e], values[e]) of a matrix in coordinate form;
/// `values` may be empty (a pattern). Readers produce one piece per parsed
/// chunk, and the builder consumes the pieces in place, without first
/// concatenating them.
template <class V, index_type I>
struct coo_span {
  std::span<const I> rows;    ///< Row id of each entry (not owned)
  std::span<const I> cols;    ///< Column id of each entry, as many as rows
  std::span<const V> values;  ///< Value of each entry, as many as rows, or empty
};

namespace detail {

/// The counting rule of a build: entry (r, c) adds to row r, and to row c
/// when it is mirrored. Shared by csr_assembly and by readers that count
/// before they know the shape.
inline void count_entry(std::int64_t* counts, std::int64_t r, std::int64_t c, const build_options& options) noexcept {
  if (options.drop_self_loops && r == c) return;
  std::atomic_ref<std::int64_t>(counts[r]).fetch_add(1, std::memory_order_relaxed);
  if (options.symmetrize && r != c) std::atomic_ref<std::int64_t>(counts[c]).fetch_add(1, std::memory_order_relaxed);
}

/// Builds CSR in two passes over the same entries, so that no coordinate
/// copy is ever held: count(r, c) for every entry, allocate(), place(r, c, v)
/// for every entry again, finish(). Both passes may run concurrently and in
/// any order (counts and cursors are atomic), because finish() sorts each row
/// by (column, value): the result is the same for any thread count. Readers
/// feed it straight from the parsed text; csr_from_coo_pieces from arrays.
template <class V, index_type I, index_type O>
class csr_assembly {
 public:
  csr_assembly(std::int64_t rows, std::int64_t cols, bool weighted, build_options options)
      : options_(options), weighted_(weighted) {
    if (rows < 0 || cols < 0) throw argument_error(concat("csr_from_coo: negative shape ", rows, " x ", cols));
    rows_ = checked_cast<I>(rows, "rows");
    cols_ = checked_cast<I>(cols, "columns");
    if (options.symmetrize && rows != cols) {
      throw argument_error(concat("csr_from_coo: cannot symmetrize a ", rows, " x ", cols, " matrix"));
    }
    // The row arrays come first: refuse a shape no memory can hold with an
    // error the caller can catch as matsample::error, not std::bad_alloc.
    require_memory(bytes_needed(rows, 0, false), concat("building a CSR matrix of ", rows, " rows"));
    count_.assign(static_cast<std::size_t>(rows), 0);
  }

  /// The peak memory of a build of `rows` rows and `nnz` entries: the
  /// counts, the offsets (twice while packing) and the entry arrays. A
  /// double, so that a reader can price an absurd claim without wrapping.
  static double bytes_needed(double rows, double nnz, bool weighted) {
    return rows * (2 * sizeof(std::int64_t) + sizeof(O)) + nnz * (sizeof(I) + (weighted ? sizeof(V) : 0));
  }

  /// First pass: entry (r, c), ids already checked against the shape.
  void count(I r, I c) noexcept { count_entry(count_.data(), r, c, options_); }

  /// Instead of the first pass: per-row counts taken by count_entry elsewhere.
  void adopt_counts(std::span<const std::int64_t> counts) {
    if (counts.size() != count_.size()) {
      throw argument_error(concat("csr_assembly: ", counts.size(), " row counts for ", count_.size(), " rows"));
    }
    std::copy(counts.begin(), counts.end(), count_.begin());
  }

  /// Between the passes: sizes the arrays from the counts.
  void allocate() {
    offset_.resize(count_.size() + 1);
    const std::int64_t nnz = exclusive_scan<std::int64_t>(count_, offset_);
    (void)checked_cast<O>(nnz, "entries of the built matrix");
    require_memory(bytes_needed(rows_, nnz, weighted_),
                   concat("building a CSR matrix of ", rows_, " rows and ", nnz, " entries"));
    resize_huge(indices_, static_cast<std::size_t>(nnz));  // the graph: read at random while sampling
    resize_huge(values_, weighted_ ? static_cast<std::size_t>(nnz) : 0);
    std::copy(offset_.begin(), offset_.end() - 1, count_.begin());  // the counts become cursors
  }

  /// Second pass: the same entries again, each once.
  void place(I r, I c, V v) noexcept {
    if (!kept(r, c)) return;
    put(r, c, v);
    if (mirrored(r, c)) put(c, r, v);
  }

  /// Sorts each row (ties by value, so the order is fixed), merges duplicates
  /// when asked, and packs the rows.
  csr_matrix<V, I, O> finish() && {
    std::vector<std::int64_t>& kept_in_row = count_;  // the cursors are no longer needed
    const std::int64_t rows = rows_;
#pragma omp parallel
    {
      std::vector<std::pair<I, V>> row;
#pragma omp for schedule(dynamic, 256)
      for (std::int64_t r = 0; r < rows; ++r) kept_in_row[r] = sort_row(r, row);
    }
    std::vector<std::int64_t> packed(static_cast<std::size_t>(rows) + 1);
    const std::int64_t total = exclusive_scan<std::int64_t>(kept_in_row, packed);
    if (total != offset_.back()) {  // duplicates were merged: close the gaps in place, rows only move left
      for (std::int64_t r = 0; r < rows; ++r) {
        std::copy_n(indices_.begin() + offset_[r], kept_in_row[r], indices_.begin() + packed[r]);
        if (weighted_) std::copy_n(values_.begin() + offset_[r], kept_in_row[r], values_.begin() + packed[r]);
      }
      indices_.resize(static_cast<std::size_t>(total));
      shrink_huge(indices_);
      values_.resize(weighted_ ? static_cast<std::size_t>(total) : 0);
      shrink_huge(values_);
    }
    std::vector<O> indptr;
    resize_huge(indptr, packed.size());
    for (std::size_t r = 0; r < packed.size(); ++r) indptr[r] = static_cast<O>(packed[r]);
    return {trusted, rows_, cols_, std::move(indptr), std::move(indices_), std::move(values_)};
  }

 private:
  [[nodiscard]] bool kept(I r, I c) const noexcept { return !(options_.drop_self_loops && r == c); }
  [[nodiscard]] bool mirrored(I r, I c) const noexcept { return options_.symmetrize && r != c; }

  void put(I r, I c, V v) noexcept {
    const auto at = std::atomic_ref<std::int64_t>(count_[r]).fetch_add(1, std::memory_order_relaxed);
    indices_[at] = c;
    if (weighted_) values_[at] = v;
  }

  /// Sorts row r in place and merges its duplicates; returns its new length.
  std::int64_t sort_row(std::int64_t r, std::vector<std::pair<I, V>>& scratch) {
    const auto b = offset_[r], e = offset_[r + 1];
    std::int64_t out = b;
    if (!weighted_) {
      std::sort(indices_.begin() + b, indices_.begin() + e);
      for (auto i = b; i < e; ++i) {
        if (options_.merge_duplicates && out > b && indices_[out - 1] == indices_[i]) continue;
        indices_[out++] = indices_[i];
      }
      return out - b;
    }
    scratch.clear();
    for (auto i = b; i < e; ++i) scratch.emplace_back(indices_[i], values_[i]);
    std::sort(scratch.begin(), scratch.end());
    for (const auto& [c, v] : scratch) {
      if (options_.merge_duplicates && out > b && indices_[out - 1] == c) {
        values_[out - 1] += v;
        continue;
      }
      indices_[out] = c;
      values_[out++] = v;
    }
    return out - b;
  }

  build_options options_;
  bool weighted_;
  I rows_ = 0, cols_ = 0;
  std::vector<std::int64_t> count_;   ///< per-row counts, then cursors, then kept lengths
  std::vector<std::int64_t> offset_;  ///< row starts before duplicates are merged
  std::vector<I> indices_;
  std::vector<V> values_;
};

}  // namespace detail

/// CSR of a rows x cols matrix from the entries of all `pieces`, in order.
/// Ids out of range throw out_of_range_error naming the entry.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_coo_pieces(std::int64_t rows, std::int64_t cols, std::span<const coo_span<V, I>> pieces,
                                        build_options options = {}) {
  const auto n_pieces = static_cast<std::int64_t>(pieces.size());
  std::vector<std::int64_t> first_entry(pieces.size() + 1, 0);
  bool weighted = false;
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    if (piece.rows.size() != piece.cols.size() || (!piece.values.empty() && piece.values.size() != piece.rows.size())) {
      throw argument_error(detail::concat("csr_from_coo: ", piece.rows.size(), " row ids, ", piece.cols.size(),
                                          " column ids and ", piece.values.size(), " values"));
    }
    weighted = weighted || !piece.values.empty();
    first_entry[p + 1] = first_entry[p] + static_cast<std::int64_t>(piece.rows.size());
  }
  for (const auto& piece : pieces) {
    if (weighted && piece.values.empty() && !piece.rows.empty()) {
      throw argument_error("csr_from_coo: some pieces carry values and others do not");
    }
  }
  detail::csr_assembly<V, I, O> assembly(rows, cols, weighted, options);
  detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    for (std::size_t e = 0; e < piece.rows.size(); ++e) {
      if (piece.rows[e] < 0 || piece.rows[e] >= rows || piece.cols[e] < 0 || piece.cols[e] >= cols) {
        bad.record(first_entry[p] + static_cast<std::int64_t>(e));
        break;
      }
    }
  }
  if (bad.failed()) {
    const auto e = bad.index();
    const auto p = std::upper_bound(first_entry.begin(), first_entry.end(), e) - first_entry.begin() - 1;
    const auto local = static_cast<std::size_t>(e - first_entry[p]);
    throw out_of_range_error(detail::concat("edge ", e, " (", pieces[p].rows[local], ", ", pieces[p].cols[local],
                                            ") lies outside the ", rows, " x ", cols, " matrix"));
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    for (std::size_t e = 0; e < pieces[p].rows.size(); ++e) assembly.count(pieces[p].rows[e], pieces[p].cols[e]);
  }
  assembly.allocate();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    for (std::size_t e = 0; e < piece.rows.size(); ++e) {
      assembly.place(piece.rows[e], piece.cols[e], weighted ? piece.values[e] : V{1});
    }
  }
  return std::move(assembly).finish();
}

/// CSR of a rows x cols matrix from entries (row_ids[e], col_ids[e], values[e]).
/// `values` may be empty (a pattern). Ids out of range throw out_of_range_error.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_coo(std::int64_t rows, std::int64_t cols, std::span<const I> row_ids,
                                 std::span<const I> col_ids, std::span<const V> values = {},
                                 build_options options = {}) {
  if (row_ids.size() != col_ids.size() || (!values.empty() && values.size() != row_ids.size())) {
    throw argument_error(detail::concat("csr_from_coo: ", row_ids.size(), " row ids, ", col_ids.size(),
                                        " column ids and ", values.size(), " values"));
  }
  // Cut into pieces so that the builder's loops over pieces run in parallel.
  const std::size_t n = row_ids.size();
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(n / 4096, 64));
  std::vector<coo_span<V, I>> pieces;
  for (std::size_t p = 0; p < parts; ++p) {
    const std::size_t b = n * p / parts, e = n * (p + 1) / parts;
    pieces.push_back({row_ids.subspan(b, e - b), col_ids.subspan(b, e - b),
                      values.empty() ? std::span<const V>{} : values.subspan(b, e - b)});
  }
  return csr_from_coo_pieces<V, I, O>(rows, cols, std::span<const coo_span<V, I>>(pieces), options);
}

/// Square adjacency of an n-vertex graph from edge arrays.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_edges(std::int64_t n, std::span<const I> src, std::span<const I> dst,
                                   std::span<const V> weights = {}, build_options options = {}) {
  return csr_from_coo<V, I, O>(n, n, src, dst, weights, options);
}

}  // namespace matsample
