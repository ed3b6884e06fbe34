#pragma once
// The CPU backend's path for any row rule (algebra/row_rule.hpp) other than
// row_sampling, which keeps its fused, software-pipelined kernel
// (gather_sample.hpp). Three passes: extents and bounds; one select per row
// into the row's bounded slot, scratch per thread and sized once; then rows
// that kept fewer than their bound are packed. Output positions depend only
// on the input, so the result is identical for any thread count.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

template <class V, index_type I, index_type O, row_rule Rule>
csr_matrix<V, I, O> cpu_backend::select_by_rule(const csr_view<V, I, O>& m, bool gathered,
                                                const stacked_selection<I>& q, const Rule& rule, std::uint64_t seed,
                                                std::uint64_t layer, const char* what) const {
  const std::int64_t rows = q.rows();
  const auto source = [&](std::int64_t r) -> std::int64_t {
    return gathered ? static_cast<std::int64_t>(q.vertices[r]) : r;
  };

  const kernels::csr_arrays<V, I, O> arrays{
      m.rows(), m.cols(), m.nnz(), m.indptr().data(), m.indices().data(), m.has_values() ? m.values().data() : nullptr};
  // Pass 1: extents, each row's slot (the exact count when the rule can count
  // it, so that a rule bounded by the degree, like LABOR's Poisson sampling,
  // does not allocate every gathered entry), and the largest scratch.
  std::vector<std::int64_t> bound(static_cast<std::size_t>(rows)), offset(static_cast<std::size_t>(rows) + 1);
  std::int64_t most_kept = 0, most_scratch = 0;
  {
    detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_) reduction(max : most_kept, most_scratch)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t v = source(r);
      if (!detail::row_ok(m, v)) {
        bad.record(r);
        bound[r] = 0;
        continue;
      }
      const std::int64_t degree = m.degree(static_cast<I>(v));
      if constexpr (requires { rule.count(arrays, degree, degree, row_context{}); }) {
        bound[r] = rule.count(arrays, static_cast<std::int64_t>(m.indptr()[v]), degree,
                              row_context{seed, layer, q.address(r)});
      } else {
        bound[r] = rule.bound(degree);
      }
      most_kept = std::max(most_kept, rule.bound(degree));  // positions: select's own room
      most_scratch = std::max(most_scratch, rule.scratch(degree));
    }
    if (bad.failed()) detail::diagnose_extent(m, source(bad.index()), what, bad.index());
  }
  const std::int64_t capacity =
      detail::exclusive_scan(std::span<const std::int64_t>(bound), std::span<std::int64_t>(offset));
  (void)checked_cast<O>(capacity, "entries of the sampled rows");

  // Pass 2: each row selects into its own slot [offset[r], offset[r] + kept).
  const bool with_values = rule.writes_values(m.has_values());
  std::vector<I> indices(static_cast<std::size_t>(capacity));
  std::vector<V> values(with_values ? static_cast<std::size_t>(capacity) : 0);
  std::vector<std::int64_t> kept(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> positions(static_cast<std::size_t>(threads_ * most_kept));
  std::vector<double> scratch(static_cast<std::size_t>(threads_ * most_scratch));
  detail::first_failure bad;
#pragma omp parallel num_threads(threads_)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    std::int64_t* my_positions = positions.data() + t * static_cast<std::size_t>(most_kept);
    double* my_scratch = scratch.data() + t * static_cast<std::size_t>(most_scratch);
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t v = source(r);
      const row_context context{seed, layer, q.address(r)};
      const auto st = rule.select(arrays, static_cast<std::int64_t>(m.indptr()[v]), m.degree(static_cast<I>(v)),
                                  context, my_positions, my_scratch, indices.data() + offset[r],
                                  with_values ? values.data() + offset[r] : nullptr);
      if (st.bad_weight || st.bad_column) bad.record(r);
      kept[r] = st.kept;
    }
  }
  if (bad.failed()) {  // the same order as row_sampling's kernel: weights, then columns
    const std::int64_t r = bad.index();
    if (rule.reads_weights(m.has_values()) && detail::row_has_bad_weight(m, source(r))) {
      detail::throw_bad_weight(m, source(r), q, r, layer);
    }
    detail::diagnose_row(m, source(r), what, r);
  }

  // Pass 3: close the gaps of rows that kept fewer than their bound.
  std::vector<std::int64_t> packed(static_cast<std::size_t>(rows) + 1);
  const std::int64_t total =
      detail::exclusive_scan(std::span<const std::int64_t>(kept), std::span<std::int64_t>(packed));
  if (total != capacity) {
    std::vector<I> packed_indices(static_cast<std::size_t>(total));
    std::vector<V> packed_values(with_values ? static_cast<std::size_t>(total) : 0);
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy_n(indices.begin() + offset[r], kept[r], packed_indices.begin() + packed[r]);
      if (with_values) std::copy_n(values.begin() + offset[r], kept[r], packed_values.begin() + packed[r]);
    }
    indices = std::move(packed_indices);
    values = std::move(packed_values);
  }
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(packed[r]);
  return {detail::trusted,    checked_cast<I>(rows, "rows of the sampled matrix"),
          m.cols(),           std::move(indptr),
          std::move(indices), std::move(values)};
}

}  // namespace matsample
