#pragma once
// Vertex relabelling before a graph is distributed. Block distributions give
// each rank a contiguous id range; when ids follow degree (R-MAT without
// scrambling, many crawls), the first blocks get the hubs and the work. A
// random relabelling spreads them evenly (DistDGL and CAGNET do the same).

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/memory.hpp"
#include "matsample/core/parallel.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// A uniformly random permutation of [0, n): Fisher–Yates with Philox draws,
/// so every platform and rank computes the same one for a seed.
template <index_type I>
std::vector<I> random_permutation(std::int64_t n, std::uint64_t seed) {
  if (n < 0) throw argument_error(detail::concat("random_permutation: negative size ", n));
  (void)checked_cast<I>(n > 0 ? n - 1 : 0, "vertex id");
  std::vector<I> perm(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) perm[i] = static_cast<I>(i);
  for (std::int64_t i = n - 1; i > 0; --i) {
    philox_row_stream rng(seed, relabel_stream, {0, 0, static_cast<std::uint64_t>(i)});
    std::swap(perm[i], perm[static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(i) + 1))]);
  }
  return perm;
}

namespace detail {

/// The inverse of `perm`; argument_error unless it is a permutation of [0, n).
template <index_type I>
std::vector<I> inverse_permutation(std::span<const I> perm, std::int64_t n, const char* what) {
  if (static_cast<std::int64_t>(perm.size()) != n) {
    throw argument_error(concat(what, ": ", perm.size(), " labels for ", n, " vertices"));
  }
  std::vector<I> inverse(static_cast<std::size_t>(n), I{-1});
  for (std::int64_t i = 0; i < n; ++i) {
    if (perm[i] < 0 || perm[i] >= n || inverse[perm[i]] != -1) {
      throw argument_error(
          concat(what, ": label ", perm[i], " of vertex ", i, " is out of range or repeated: not a permutation"));
    }
    inverse[perm[i]] = static_cast<I>(i);
  }
  return inverse;
}

}  // namespace detail

/// Π A Πᵀ: vertex i becomes perm[i], so B(perm[i], perm[j]) = A(i, j). Rows
/// come out sorted by column (ties by value). Throws argument_error unless
/// `perm` is a permutation of A's vertices.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> relabel_vertices(const csr_view<V, I, O>& a, std::span<const I> perm) {
  if (a.rows() != a.cols()) {
    throw argument_error(
        detail::concat("relabel_vertices: the matrix must be square, got ", a.rows(), " x ", a.cols()));
  }
  const std::int64_t n = a.rows();
  const auto inverse = detail::inverse_permutation(perm, n, "relabel_vertices");
  validate(a);
  std::vector<std::int64_t> degree(static_cast<std::size_t>(n)), start(static_cast<std::size_t>(n) + 1);
  for (std::int64_t r = 0; r < n; ++r) degree[r] = a.degree(inverse[r]);
  detail::exclusive_scan<std::int64_t>(degree, start);
  std::vector<I> indices;
  std::vector<V> values;
  detail::resize_huge(indices, static_cast<std::size_t>(a.nnz()));
  detail::resize_huge(values, a.has_values() ? indices.size() : 0);
#pragma omp parallel
  {
    std::vector<std::pair<I, V>> row;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < n; ++r) {
      const I old = inverse[r];
      row.clear();
      for (O e = a.row_begin(old); e < a.row_end(old); ++e) row.emplace_back(perm[a.indices()[e]], a.value(e));
      std::sort(row.begin(), row.end());
      for (std::size_t i = 0; i < row.size(); ++i) {
        indices[start[r] + static_cast<std::int64_t>(i)] = row[i].first;
        if (a.has_values()) values[start[r] + static_cast<std::int64_t>(i)] = row[i].second;
      }
    }
  }
  std::vector<O> indptr(start.size());
  for (std::size_t r = 0; r < start.size(); ++r) indptr[r] = static_cast<O>(start[r]);
  return {detail::trusted, a.rows(), a.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

}  // namespace matsample
