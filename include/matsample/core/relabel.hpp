#pragma once
// Vertex relabelling before a graph is distributed. Block distributions give
// each rank a contiguous id range; when ids follow degree (R-MAT without
// scrambling, many crawls), the first blocks get the hubs and the work. A
// random relabelling spreads them evenly (DistDGL and CAGNET do the same).

#include <omp.h>

#include <algorithm>
#include <cmath>
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
/// (`stream`: which registry word keys the draws; core/streams.hpp.)
template <index_type I>
std::vector<I> random_permutation(std::int64_t n, std::uint64_t seed, std::uint64_t stream = relabel_stream) {
  if (n < 0) throw argument_error(detail::concat("random_permutation: negative size ", n));
  (void)checked_cast<I>(n > 0 ? n - 1 : 0, "vertex id");
  std::vector<I> perm(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) perm[i] = static_cast<I>(i);
  for (std::int64_t i = n - 1; i > 0; --i) {
    philox_row_stream rng(seed, stream, {0, 0, static_cast<std::uint64_t>(i)});
    std::swap(perm[i], perm[static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(i) + 1))]);
  }
  return perm;
}

/// `vertices` split at random into consecutive parts of the given fractions
/// (train/valid/test, as PyG's RandomNodeSplit does): a Philox permutation
/// keyed by `seed` (stream streams::split), so every platform makes the same
/// split, then cut at round(fraction · count). Fractions must be positive
/// and sum to at most 1; what they leave out is in no part. Each part is
/// sorted.
template <index_type I>
std::vector<std::vector<I>> random_split(std::span<const I> vertices, std::span<const double> fractions,
                                         std::uint64_t seed) {
  double total = 0;
  for (const double f : fractions) {
    if (!(f > 0)) throw argument_error(detail::concat("random_split: fraction ", f, " is not positive"));
    total += f;
  }
  if (fractions.empty() || total > 1 + 1e-9) {
    throw argument_error(detail::concat("random_split: ", fractions.size(), " fractions summing to ", total,
                                        "; give one or more positive fractions summing to at most 1"));
  }
  const auto n = static_cast<std::int64_t>(vertices.size());
  const auto order = random_permutation<std::int64_t>(n, seed, streams::split);
  std::vector<std::vector<I>> parts;
  double cumulative = 0;
  std::int64_t begin = 0;
  for (const double f : fractions) {
    cumulative += f;
    const std::int64_t end = std::min(n, static_cast<std::int64_t>(std::llround(cumulative * static_cast<double>(n))));
    auto& part = parts.emplace_back();
    for (std::int64_t i = begin; i < end; ++i) part.push_back(vertices[static_cast<std::size_t>(order[i])]);
    std::sort(part.begin(), part.end());
    begin = std::max(begin, end);
  }
  return parts;
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
