#pragma once
// cpu_backend::exclude_entries: P⟨¬X⟩, the mask link prediction puts on P
// so that a minibatch never samples its own seed edges. Included by
// backend.hpp.

#include <cstdint>
#include <utility>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::exclude_entries(const csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                                 const excluded_edges<I>& excluded) const {
  detail::check_exclusion(p, q, excluded);
  check_all_rows(p, "exclude_entries");
  const std::int64_t rows = p.rows();
  const kernels::csr_arrays<V, I, O> arrays{
      rows, p.cols(), p.nnz(), p.indptr().data(), p.indices().data(), p.has_values() ? p.values().data() : nullptr};
  // Row r's excluded pairs: its minibatch's range (none without offsets).
  const auto range = [&](std::int64_t r) -> std::pair<std::int64_t, std::int64_t> {
    if (excluded.offsets.empty()) return {0, 0};
    const auto m = q.batch_of(r);
    return {excluded.offsets[m], excluded.offsets[m + 1]};
  };
  const auto row = [&](std::int64_t r, I* out_indices, V* out_values) {
    const auto [begin, end] = range(r);
    return kernels::exclude_row(arrays, r, q.vertices[r], excluded.src.data(), excluded.dst.data(), begin, end,
                                out_indices, out_values);
  };
  std::vector<std::int64_t> count(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) count[r] = row(r, nullptr, nullptr);
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(count, offset);
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(p.has_values() ? static_cast<std::size_t>(nnz) : 0);
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    row(r, indices.data() + offset[r], values.empty() ? nullptr : values.data() + offset[r]);
  }
  for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  return {detail::trusted, p.rows(), p.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample
