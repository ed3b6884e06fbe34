#pragma once
// cpu_backend::select_columns: M·C for a block-diagonal column selection.
// Included by backend.hpp.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                                std::span<const I> columns,
                                                std::span<const std::int64_t> column_blocks) const {
  detail::check_column_blocks(m, row_blocks, columns, column_blocks);
  check_all_rows(m, "select_columns");
  const std::int64_t rows = m.rows();
  const auto block_of = [&](std::int64_t r) {
    return (std::upper_bound(row_blocks.begin(), row_blocks.end(), r) - row_blocks.begin()) - 1;
  };
  // Position of column c in block blk's list, or -1.
  const auto find = [&](std::int64_t blk, I c) -> std::int64_t {
    const auto first = columns.begin() + column_blocks[blk], last = columns.begin() + column_blocks[blk + 1];
    const auto it = std::lower_bound(first, last, c);
    return (it != last && *it == c) ? it - columns.begin() : -1;
  };
  std::vector<std::int64_t> count(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto blk = block_of(r);
    std::int64_t n = 0;
    for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e)
      n += find(blk, m.indices()[e]) >= 0;
    count[r] = n;
  }
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(count, offset);
  (void)checked_cast<O>(nnz, "entries of M·C");
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(m.has_values() ? static_cast<std::size_t>(nnz) : 0);
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto blk = block_of(r);
    std::int64_t out = offset[r];
    for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
      const std::int64_t j = find(blk, m.indices()[e]);
      if (j < 0) continue;
      indices[out] = static_cast<I>(j);
      if (!values.empty()) values[out] = m.values()[e];
      ++out;
    }
  }
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  return {detail::trusted,   m.rows(),           checked_cast<I>(columns.size(), "columns of C"),
          std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample
