#pragma once
// cpu_backend::spgemm: row-wise Gustavson SpGEMM in chunks of about equal
// flops. Included by backend.hpp.
//
// A first pass counts each row's flops (checking A and the rows of B it
// reaches); rows are cut into chunks of about equal flops; each chunk's rows
// are multiplied into the chunk's own arrays (or, with fewer rows than
// threads, each row's columns are split over the threads); the chunks are
// then laid end to end.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/backend/cpu/accumulator.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

namespace detail {

/// The rows of A·B in chunks: chunk c holds rows [row[c], row[c+1]) and
/// collects their columns and values in cols[c] and vals[c]; row_nnz counts
/// each row's entries.
template <class V, class I>
struct product_chunks {
  std::vector<std::int64_t> row;
  std::vector<std::vector<I>> cols;
  std::vector<std::vector<V>> vals;
  std::vector<std::int64_t> row_nnz;
};

/// Products each row of A·B sums; checks A's rows and the rows of B they reach.
template <class V, index_type I, index_type O>
std::vector<std::int64_t> row_flops(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b, int threads) {
  const std::int64_t rows = a.rows();
  std::vector<std::int64_t> flops(static_cast<std::size_t>(rows));
  detail::first_failure bad_a, bad_b;
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t f = 0;
    if (!detail::row_ok(a, r)) {
      bad_a.record(r);
    } else {
      for (O e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
        if (!detail::column_ok(a, e)) {
          bad_a.record(r);
          break;
        }
        const I k = a.indices()[e];
        if (!detail::row_ok(b, k)) {
          bad_b.record(k);
          continue;
        }
        f += b.degree(k);
      }
    }
    flops[r] = f;
  }
  if (bad_a.failed()) detail::diagnose_row(a, bad_a.index(), "spgemm left operand", bad_a.index());
  if (bad_b.failed()) detail::diagnose_row(b, bad_b.index(), "spgemm right operand", bad_b.index());
  return flops;
}

/// Chunks of rows with about equal flops; several per thread so that
/// dynamic scheduling evens out what the flop count does not predict.
template <class V, class I>
product_chunks<V, I> flop_chunks(const std::vector<std::int64_t>& flop_offset, std::int64_t total_flops,
                                 std::int64_t rows, int threads) {
  const std::int64_t chunks = std::min<std::int64_t>(std::max<std::int64_t>(rows, 1), 16LL * threads);
  product_chunks<V, I> parts{std::vector<std::int64_t>(static_cast<std::size_t>(chunks) + 1, rows),
                             std::vector<std::vector<I>>(static_cast<std::size_t>(chunks)),
                             std::vector<std::vector<V>>(static_cast<std::size_t>(chunks)),
                             std::vector<std::int64_t>(static_cast<std::size_t>(rows))};
  auto& chunk_row = parts.row;
  chunk_row[0] = 0;
  for (std::int64_t c = 1; c < chunks; ++c) {
    const std::int64_t target = total_flops / chunks * c + (total_flops % chunks) * c / chunks;
    chunk_row[c] = std::lower_bound(flop_offset.begin(), flop_offset.end() - 1, target) - flop_offset.begin();
    chunk_row[c] = std::max(chunk_row[c], chunk_row[c - 1]);
  }
  return parts;
}

/// Fewer rows than threads (LADIES with k = 1, FastGCN's column norms):
/// every thread takes a slice of each row's output columns. Each column
/// still sums its products in traversal order, so the values are the same
/// bits as with whole rows. Chunk 0 ends up holding every row.
template <class V, index_type I, index_type O>
void multiply_in_column_slices(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b,
                               const std::vector<std::int64_t>& flops, product_chunks<V, I>& parts,
                               first_failure& bad_b, int threads) {
  const std::int64_t rows = a.rows(), chunks = static_cast<std::int64_t>(parts.cols.size());
  const std::int64_t n_cols = b.cols();
  auto& chunk_row = parts.row;
  auto& chunk_cols = parts.cols;
  auto& chunk_vals = parts.vals;
  auto& row_nnz = parts.row_nnz;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::vector<I>> slice_cols(static_cast<std::size_t>(threads));
    std::vector<std::vector<V>> slice_vals(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      detail::row_accumulator<V, I> acc;
      acc.multiply_row(a, b, r, flops[r], static_cast<I>(n_cols * t / team), static_cast<I>(n_cols * (t + 1) / team),
                       slice_cols[t], slice_vals[t], bad_b);
    }
    const std::size_t before = chunk_cols[0].size();
    for (int t = 0; t < threads; ++t) {  // slices in column order: the row stays sorted
      chunk_cols[0].insert(chunk_cols[0].end(), slice_cols[t].begin(), slice_cols[t].end());
      chunk_vals[0].insert(chunk_vals[0].end(), slice_vals[t].begin(), slice_vals[t].end());
    }
    row_nnz[r] = static_cast<std::int64_t>(chunk_cols[0].size() - before);
  }
  for (std::int64_t c = 1; c <= chunks; ++c) chunk_row[c] = rows;  // chunk 0 holds every row
}

/// Whole rows: each thread takes chunks, with one accumulator reused across
/// its rows.
template <class V, index_type I, index_type O>
void multiply_by_row_chunks(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b,
                            const std::vector<std::int64_t>& flops, const std::vector<std::int64_t>& flop_offset,
                            product_chunks<V, I>& parts, first_failure& bad_b, int threads) {
  const std::int64_t chunks = static_cast<std::int64_t>(parts.cols.size());
  const std::int64_t n_cols = b.cols();
  const auto& chunk_row = parts.row;
  auto& chunk_cols = parts.cols;
  auto& chunk_vals = parts.vals;
  auto& row_nnz = parts.row_nnz;
#pragma omp parallel num_threads(threads)
  {
    detail::row_accumulator<V, I> acc;  // per thread, reused across rows
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < chunks; ++c) {
      auto& cols = chunk_cols[c];
      auto& vals = chunk_vals[c];
      cols.reserve(static_cast<std::size_t>(std::min(flop_offset[chunk_row[c + 1]] - flop_offset[chunk_row[c]],
                                                     (chunk_row[c + 1] - chunk_row[c]) * n_cols)));
      for (std::int64_t r = chunk_row[c]; r < chunk_row[c + 1]; ++r) {
        const std::size_t start = cols.size();
        acc.multiply_row(a, b, r, flops[r], I{0}, static_cast<I>(n_cols), cols, vals, bad_b);
        row_nnz[r] = static_cast<std::int64_t>(cols.size() - start);
      }
    }
  }
}

/// The chunks' rows laid end to end as one rows x cols matrix.
template <index_type O, class V, index_type I>
csr_matrix<V, I, O> concatenate_chunks(const product_chunks<V, I>& parts, I out_rows, I out_cols, int threads) {
  const std::int64_t rows = out_rows, chunks = static_cast<std::int64_t>(parts.cols.size());
  const auto& chunk_row = parts.row;
  const auto& chunk_cols = parts.cols;
  const auto& chunk_vals = parts.vals;
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(parts.row_nnz, offset);
  (void)checked_cast<O>(nnz, "entries of A·B");
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(static_cast<std::size_t>(nnz));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t out = offset[chunk_row[c]];
    std::copy(chunk_cols[c].begin(), chunk_cols[c].end(), indices.begin() + out);
    std::copy(chunk_vals[c].begin(), chunk_vals[c].end(), values.begin() + out);
    for (std::int64_t r = chunk_row[c]; r < chunk_row[c + 1]; ++r) indptr[r] = static_cast<O>(offset[r]);
  }
  indptr[rows] = static_cast<O>(nnz);
  return {detail::trusted, out_rows, out_cols, std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace detail

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
  if (a.cols() != b.rows()) {
    throw argument_error(detail::concat("spgemm: inner dimensions differ (", a.cols(), " vs ", b.rows(), ")"));
  }
  const std::int64_t rows = a.rows();
  // Flops per row decide both the accumulator and the split of work.
  const std::vector<std::int64_t> flops = detail::row_flops(a, b, threads_);
  std::vector<std::int64_t> flop_offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t total_flops = detail::exclusive_scan<std::int64_t>(flops, flop_offset);
  auto parts = detail::flop_chunks<V, I>(flop_offset, total_flops, rows, threads_);
  detail::first_failure bad_b;  // columns of B outside B's shape
  if (rows < threads_ && total_flops >= (std::int64_t{1} << 16)) {
    detail::multiply_in_column_slices(a, b, flops, parts, bad_b, threads_);
  } else {
    detail::multiply_by_row_chunks(a, b, flops, flop_offset, parts, bad_b, threads_);
  }
  if (bad_b.failed()) detail::diagnose_row(b, bad_b.index(), "spgemm right operand", bad_b.index());
  return detail::concatenate_chunks<O>(parts, a.rows(), b.cols(), threads_);
}

}  // namespace matsample
