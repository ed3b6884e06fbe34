#pragma once
// Composite operations built from the kernel contract. A backend may provide
// a fused member of the same name; it is used instead, and must give output
// identical to the composition (the tests hold it to that).

#include <cstdint>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/core/config.hpp"

namespace matsample {

namespace detail {

// The samplers' value maps as functors whose calls are MATSAMPLE_HD, so a
// device backend runs them where the matrix lives instead of copying it to
// the host. A map that reads a table of doubles (one per row or column)
// holds a host pointer to it; such a backend copies the table next to the
// matrix and calls with_table() with the copy.

/// acc + v in double (row sums behind every normalisation).
template <class V>
struct sum_as_double {
  MATSAMPLE_HD double operator()(double acc, V v) const { return acc + static_cast<double>(v); }
};

/// v², rounded to V (A∘A).
template <class V, class I>
struct square_value {
  MATSAMPLE_HD V operator()(I, I, V v) const { return static_cast<V>(static_cast<double>(v) * static_cast<double>(v)); }
};

/// v / sums[row], or 0 where the row sums to 0 (row_normalize).
template <class V, class I>
struct divide_by_row_sum {
  static constexpr bool per_row = true;  ///< the table has one entry per row
  const double* table = nullptr;
  std::int64_t size = 0;
  MATSAMPLE_HD V operator()(I r, I, V v) const {
    return table[r] > 0 ? static_cast<V>(static_cast<double>(v) / table[r]) : V{0};
  }
  [[nodiscard]] divide_by_row_sum with_table(const double* t) const { return {t, size}; }
};

/// v · factors[column] (LADIES's and FastGCN's debiasing).
template <class V, class I>
struct scale_by_column {
  static constexpr bool per_row = false;  ///< the table has one entry per column
  const double* table = nullptr;
  std::int64_t size = 0;
  MATSAMPLE_HD V operator()(I, I c, V v) const { return static_cast<V>(static_cast<double>(v) * table[c]); }
  [[nodiscard]] scale_by_column with_table(const double* t) const { return {t, size}; }
};

}  // namespace detail

/// The view of `m`: m.view() for an owning matrix (csr_matrix, a backend's
/// own matrix type), otherwise a reference to `m` itself (already a view).
template <class M>
decltype(auto) as_view(const M& m) {
  if constexpr (requires { m.view(); })
    return m.view();
  else
    return (m);
}

/// S = rule(Q·A): the row-wise step. Backends fuse it to skip materialising
/// the rows of P that the rule discards.
template <kernel_set B, class View, index_type I, row_rule Rule>
auto gather_and_sample(const B& backend, const View& a, const stacked_selection<I>& q, const Rule& rule,
                       std::uint64_t seed, std::uint64_t layer) {
  if constexpr (requires { backend.gather_and_sample(a, q, rule, seed, layer); }) {
    return backend.gather_and_sample(a, q, rule, seed, layer);
  } else {
    const auto p = backend.gather_rows(a, q.vertices);
    return backend.sample_rows(as_view(p), q, rule, seed, layer);
  }
}

/// S = rule((Q·A)⟨¬X⟩): the row-wise step with each minibatch's excluded
/// entries masked out of P before its rule runs (link prediction's
/// exclusion), so a masked entry has zero weight under every rule. With no
/// mask given it is gather_and_sample above; with one (even masking nothing) a
/// backend's fused member of the same signature runs (the CPU backend's for
/// row_sampling), or P is gathered, masked and sampled in three kernels.
template <kernel_set B, class View, index_type I, row_rule Rule>
auto gather_and_sample(const B& backend, const View& a, const stacked_selection<I>& q, const Rule& rule,
                       std::uint64_t seed, std::uint64_t layer, const excluded_edges<I>& excluded) {
  if (!excluded.given()) return gather_and_sample(backend, a, q, rule, seed, layer);
  if constexpr (requires { backend.gather_and_sample(a, q, rule, seed, layer, excluded); }) {
    return backend.gather_and_sample(a, q, rule, seed, layer, excluded);  // fused: P is never built
  }
  const auto p = backend.gather_rows(a, q.vertices);
  const auto masked = backend.exclude_entries(as_view(p), q, excluded);
  return backend.sample_rows(as_view(masked), q, rule, seed, layer);
}

/// Q·A with each minibatch's excluded entries masked out: gather_rows, then
/// exclude_entries when anything is excluded.
template <kernel_set B, class View, index_type I>
auto gather_rows_excluding(const B& backend, const View& a, const stacked_selection<I>& q,
                           const excluded_edges<I>& excluded) {
  auto p = backend.gather_rows(a, q.vertices);
  if (!excluded.given()) return p;
  return backend.exclude_entries(as_view(p), q, excluded);
}

/// Rows scaled to sum to 1 (rows summing to 0 stay 0); sums run left to right.
template <kernel_set B, class View>
auto row_normalize(const B& backend, const View& m) {
  using I = typename View::index_type;
  using V = typename View::value_type;
  const std::vector<double> sums = backend.row_reduce(m, 0.0, detail::sum_as_double<V>{});
  return backend.apply(m, detail::divide_by_row_sum<V, I>{sums.data(), static_cast<std::int64_t>(sums.size())});
}

}  // namespace matsample
