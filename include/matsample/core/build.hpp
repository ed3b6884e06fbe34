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

/// CSR of a rows x cols matrix from entries (row_ids[e], col_ids[e], values[e]).
/// `values` may be empty (a pattern). Ids out of range throw out_of_range_error.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_coo(std::int64_t rows, std::int64_t cols, std::span<const I> row_ids,
                                 std::span<const I> col_ids, std::span<const V> values = {},
                                 build_options options = {}) {
  const I n_rows = checked_cast<I>(rows, "rows"), n_cols = checked_cast<I>(cols, "columns");
  if (rows < 0 || cols < 0) throw argument_error(detail::concat("csr_from_coo: negative shape ", rows, " x ", cols));
  if (row_ids.size() != col_ids.size() || (!values.empty() && values.size() != row_ids.size())) {
    throw argument_error(detail::concat("csr_from_coo: ", row_ids.size(), " row ids, ", col_ids.size(),
                                        " column ids and ", values.size(), " values"));
  }
  if (options.symmetrize && rows != cols) {
    throw argument_error(detail::concat("csr_from_coo: cannot symmetrize a ", rows, " x ", cols, " matrix"));
  }
  const auto entries = static_cast<std::int64_t>(row_ids.size());
  detail::first_failure bad;
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < entries; ++e) {
    if (row_ids[e] < 0 || row_ids[e] >= n_rows || col_ids[e] < 0 || col_ids[e] >= n_cols) bad.record(e);
  }
  if (bad.failed()) {
    const auto e = bad.index();
    throw out_of_range_error(detail::concat("edge ", e, " (", row_ids[e], ", ", col_ids[e],
                                            ") lies outside the ", rows, " x ", cols, " matrix"));
  }
  const auto keep = [&](std::int64_t e) { return !(options.drop_self_loops && row_ids[e] == col_ids[e]); };
  const auto mirrored = [&](std::int64_t e) { return options.symmetrize && row_ids[e] != col_ids[e]; };

  std::vector<std::int64_t> count(static_cast<std::size_t>(rows) + 1, 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < entries; ++e) {
    if (!keep(e)) continue;
    std::atomic_ref<std::int64_t>(count[row_ids[e]]).fetch_add(1, std::memory_order_relaxed);
    if (mirrored(e)) std::atomic_ref<std::int64_t>(count[col_ids[e]]).fetch_add(1, std::memory_order_relaxed);
  }
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(std::span(count).first(rows), offset);
  (void)checked_cast<O>(nnz, "entries of the built matrix");
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> vals(values.empty() ? 0 : static_cast<std::size_t>(nnz));
  std::vector<std::int64_t> cursor(offset.begin(), offset.end() - 1);
  const auto place = [&](I r, I c, std::int64_t e) {
    const auto at = std::atomic_ref<std::int64_t>(cursor[r]).fetch_add(1, std::memory_order_relaxed);
    indices[at] = c;
    if (!vals.empty()) vals[at] = values[e];
  };
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < entries; ++e) {
    if (!keep(e)) continue;
    place(row_ids[e], col_ids[e], e);
    if (mirrored(e)) place(col_ids[e], row_ids[e], e);
  }

  // Sort each row (ties by value, so the order is fixed) and merge duplicates.
  std::vector<std::int64_t> kept(static_cast<std::size_t>(rows));
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
  if (total != nnz) {  // duplicates were merged: close the gaps
    std::vector<I> packed_indices(static_cast<std::size_t>(total));
    std::vector<V> packed_vals(vals.empty() ? 0 : static_cast<std::size_t>(total));
#pragma omp parallel for schedule(dynamic, 1024)
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy_n(indices.begin() + offset[r], kept[r], packed_indices.begin() + packed[r]);
      if (!vals.empty()) std::copy_n(vals.begin() + offset[r], kept[r], packed_vals.begin() + packed[r]);
    }
    indices.swap(packed_indices);
    vals.swap(packed_vals);
  }
  std::vector<O> indptr(packed.size());
  for (std::size_t r = 0; r < packed.size(); ++r) indptr[r] = static_cast<O>(packed[r]);
  return {detail::trusted, n_rows, n_cols, std::move(indptr), std::move(indices), std::move(vals)};
}

/// Square adjacency of an n-vertex graph from edge arrays.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> csr_from_edges(std::int64_t n, std::span<const I> src, std::span<const I> dst,
                                   std::span<const V> weights = {}, build_options options = {}) {
  return csr_from_coo<V, I, O>(n, n, src, dst, weights, options);
}

}  // namespace matsample
