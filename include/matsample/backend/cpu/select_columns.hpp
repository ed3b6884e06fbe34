#pragma once
// cpu_backend::select_columns: M·C for a block-diagonal column selection.
// Included by backend.hpp.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/backend/cpu/hash_map.hpp"
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
  const I selected_columns = checked_cast<I>(columns.size(), "columns of C");  // positions below fit I
  const std::int64_t rows = m.rows();
  const auto block_of = [&](std::int64_t r) {
    return (std::upper_bound(row_blocks.begin(), row_blocks.end(), r) - row_blocks.begin()) - 1;
  };
  // Position of a column in its block's list, through a map of that block's
  // columns that each thread builds when it meets the block: most entries of
  // M are in no list, and a probe that meets an empty slot at once turns
  // them away without the binary search's unpredictable branches.
  struct block_columns {
    std::int64_t block = -1;
    detail::scratch_hash_map<I, I> position;
    const I* find(std::span<const I> columns, std::span<const std::int64_t> column_blocks, std::int64_t blk, I c) {
      if (blk != block) {
        block = blk;
        position.reset(column_blocks[blk + 1] - column_blocks[blk]);
        bool fresh = false;
        for (auto j = column_blocks[blk]; j < column_blocks[blk + 1]; ++j) {
          position.find_or_insert(columns[j], static_cast<I>(j), fresh);
        }
      }
      return position.find(c);
    }
  };
  std::vector<std::int64_t> count(static_cast<std::size_t>(rows));
#pragma omp parallel num_threads(threads_)
  {
    block_columns lookup;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto blk = block_of(r);
      std::int64_t n = 0;
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e)
        n += lookup.find(columns, column_blocks, blk, m.indices()[e]) != nullptr;
      count[r] = n;
    }
  }
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(count, offset);
  (void)checked_cast<O>(nnz, "entries of M·C");
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(m.has_values() ? static_cast<std::size_t>(nnz) : 0);
#pragma omp parallel num_threads(threads_)
  {
    block_columns lookup;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto blk = block_of(r);
      std::int64_t out = offset[r];
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
        const I* j = lookup.find(columns, column_blocks, blk, m.indices()[e]);
        if (j == nullptr) continue;
        indices[out] = *j;
        if (!values.empty()) values[out] = m.values()[e];
        ++out;
      }
    }
  }
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  return {detail::trusted, m.rows(), selected_columns, std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample
