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
#include "matsample/core/parallel.hpp"

namespace matsample {

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
  std::span<const I> rows;
  std::span<const I> cols;
  std::span<const V> values;
};

/// CSR of a rows x cols matrix from the entries of all `pieces`, in order.
/// Ids out of range throw out_of_range_error naming the entry.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_coo_pieces(std::int64_t rows, std::int64_t cols, std::span<const coo_span<V, I>> pieces,
                                        build_options options = {}) {
  if (rows < 0 || cols < 0) throw argument_error(detail::concat("csr_from_coo: negative shape ", rows, " x ", cols));
  const I n_rows = checked_cast<I>(rows, "rows"), n_cols = checked_cast<I>(cols, "columns");
  if (options.symmetrize && rows != cols) {
    throw argument_error(detail::concat("csr_from_coo: cannot symmetrize a ", rows, " x ", cols, " matrix"));
  }
  // Row offsets alone need 8 bytes a row: refuse what no machine can hold
  // with an error the caller can catch as matsample::error.
  if (static_cast<std::uint64_t>(rows) >= (std::uint64_t{1} << 48)) {
    throw index_overflow_error(detail::concat("csr_from_coo: ", rows, " rows cannot be allocated"));
  }
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
  detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    for (std::size_t e = 0; e < piece.rows.size(); ++e) {
      if (piece.rows[e] < 0 || piece.rows[e] >= n_rows || piece.cols[e] < 0 || piece.cols[e] >= n_cols) {
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
  const auto keep = [&](I r, I c) { return !(options.drop_self_loops && r == c); };
  const auto mirrored = [&](I r, I c) { return options.symmetrize && r != c; };

  std::vector<std::int64_t> count(static_cast<std::size_t>(rows), 0);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    for (std::size_t e = 0; e < piece.rows.size(); ++e) {
      const I r = piece.rows[e], c = piece.cols[e];
      if (!keep(r, c)) continue;
      std::atomic_ref<std::int64_t>(count[r]).fetch_add(1, std::memory_order_relaxed);
      if (mirrored(r, c)) std::atomic_ref<std::int64_t>(count[c]).fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(count, offset);
  (void)checked_cast<O>(nnz, "entries of the built matrix");
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> vals(weighted ? static_cast<std::size_t>(nnz) : 0);
  std::vector<std::int64_t>& cursor = count;  // reused: the counts are no longer needed
  std::copy(offset.begin(), offset.end() - 1, cursor.begin());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t p = 0; p < n_pieces; ++p) {
    const auto& piece = pieces[p];
    const auto place = [&](I r, I c, std::size_t e) {
      const auto at = std::atomic_ref<std::int64_t>(cursor[r]).fetch_add(1, std::memory_order_relaxed);
      indices[at] = c;
      if (weighted) vals[at] = piece.values[e];
    };
    for (std::size_t e = 0; e < piece.rows.size(); ++e) {
      const I r = piece.rows[e], c = piece.cols[e];
      if (!keep(r, c)) continue;
      place(r, c, e);
      if (mirrored(r, c)) place(c, r, e);
    }
  }

  // Sort each row (ties by value, so the order is fixed) and merge duplicates.
  std::vector<std::int64_t>& kept = cursor;  // reused again
#pragma omp parallel
  {
    std::vector<std::pair<I, V>> row;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto b = offset[r], e = offset[r + 1];
      std::int64_t out = b;
      if (vals.empty()) {
        std::sort(indices.begin() + b, indices.begin() + e);
        for (auto i = b; i < e; ++i) {
          if (options.merge_duplicates && out > b && indices[out - 1] == indices[i]) continue;
          indices[out++] = indices[i];
        }
      } else {
        row.clear();
        for (auto i = b; i < e; ++i) row.emplace_back(indices[i], vals[i]);
        std::sort(row.begin(), row.end());
        for (const auto& [c, v] : row) {
          if (options.merge_duplicates && out > b && indices[out - 1] == c) {
            vals[out - 1] += v;
            continue;
          }
          indices[out] = c;
          vals[out++] = v;
        }
      }
      kept[r] = out - b;
    }
  }
  std::vector<std::int64_t> packed(static_cast<std::size_t>(rows) + 1);
  const std::int64_t total = detail::exclusive_scan<std::int64_t>(kept, packed);
  if (total != nnz) {  // duplicates were merged: close the gaps in place, rows only move left
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy_n(indices.begin() + offset[r], kept[r], indices.begin() + packed[r]);
      if (!vals.empty()) std::copy_n(vals.begin() + offset[r], kept[r], vals.begin() + packed[r]);
    }
    indices.resize(static_cast<std::size_t>(total));
    indices.shrink_to_fit();
    vals.resize(vals.empty() ? 0 : static_cast<std::size_t>(total));
    vals.shrink_to_fit();
  }
  std::vector<O> indptr(packed.size());
  for (std::size_t r = 0; r < packed.size(); ++r) indptr[r] = static_cast<O>(packed[r]);
  return {detail::trusted, n_rows, n_cols, std::move(indptr), std::move(indices), std::move(vals)};
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
