#pragma once
// The kernel contract. A backend is a kernel set: it implements the few
// sparse kernels below, and every sampler in sampling/ is written once against
// them. Naming the contract as a concept makes a backend that lacks a kernel
// fail to compile at the sampler call with the missing requirement spelled out.

#include <concepts>
#include <cstdint>
#include <span>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/csr.hpp"

namespace matsample {

/// Memory spaces: host and device data are different types, so a kernel can
/// never be handed a pointer it cannot dereference.
struct host_memory {};

/// The CSR view type of memory space `Memory` (specialised per space; the
/// CUDA backend adds device_memory).
template <class Memory, class V, index_type I, index_type O>
struct csr_view_for;
/// Host memory: a csr_view.
template <class V, index_type I, index_type O>
struct csr_view_for<host_memory, V, I, O> {
  using type = csr_view<V, I, O>;  ///< The host view type.
};
/// The CSR view type a backend's kernels take.
template <class Backend, class V, index_type I, index_type O>
using backend_view_t = typename csr_view_for<typename Backend::memory_space, V, I, O>::type;

namespace detail {
struct keep_value {
  double operator()(std::int32_t, std::int32_t, double v) const { return v; }
};
struct add_value {
  double operator()(double acc, double v) const { return acc + v; }
};
}  // namespace detail

/// What a sampler needs of its graph operand: a csr_view, or a backend's
/// own view type (a distributed matrix) that its kernels accept.
template <class View>
concept graph_operand = requires(const View& a) {
  typename View::value_type;
  requires index_type<typename View::index_type>;
  requires index_type<typename View::offset_type>;
  { a.rows() } -> std::convertible_to<std::int64_t>;
  { a.cols() } -> std::convertible_to<std::int64_t>;
  { a.has_values() } -> std::convertible_to<bool>;
};

/// What a sampler keeps of the graph it is given: an owning csr_matrix is
/// kept as its csr_view (so a matrix can be passed where a view is
/// expected, and must outlive the sampler as any graph must); anything else,
/// a csr_view or a backend's own view, as itself.
template <class Graph>
struct graph_view_of {
  using type = Graph;  ///< The graph type itself.
};
/// An owning csr_matrix is kept as its csr_view.
template <class V, index_type I, index_type O>
struct graph_view_of<csr_matrix<V, I, O>> {
  using type = csr_view<V, I, O>;  ///< The matrix's view type.
};
/// Shorthand for graph_view_of<Graph>::type.
template <class Graph>
using graph_view_t = typename graph_view_of<Graph>::type;

/// The sparse kernels a backend provides (checked for double values, int32
/// ids and int64 offsets; the kernels are templates over all index widths):
/// - gather_rows(A, rows)                    P = Q·A for one-hot Q
/// - spgemm(A, B)                            general C = A·B, sorted rows
/// - select_columns(M, row_blocks, cols, col_blocks)   M·C, block-diagonal C
/// - relabel_columns(M, new_ids, new_cols)   M·Π for the 0/1 matrix Π(j, new_ids[j]) = 1; with a
///                                           many-to-one map, entries that meet are not summed
/// - apply(M, f)                             values f(row, col, value)
/// - row_reduce(M, init, f)                  per-row left fold of values
/// - sample_rows(P, Q, rule, seed, layer)    each row keeps what its row rule selects (row_rule.hpp)
/// - compact_blocks(S, Q, deduplicate)       per-minibatch relabelling into blocks
/// - exclude_entries(P, Q, X)                P⟨¬X⟩: row r of P (vertex u of minibatch m) loses the
///                                           entries (u, c) that minibatch m excludes (link prediction)
template <class B>
concept kernel_set = requires(const B& b, backend_view_t<B, double, std::int32_t, std::int64_t> m,
                              std::span<const std::int32_t> ids, std::span<const std::int64_t> offsets,
                              stacked_selection<std::int32_t> q, row_sampling spec, std::uint64_t seed) {
  typename B::memory_space;
  { B::name } -> std::convertible_to<const char*>;
  b.gather_rows(m, ids);
  b.spgemm(m, m);
  b.select_columns(m, offsets, ids, offsets);
  b.relabel_columns(m, ids, std::int64_t{0});
  b.apply(m, detail::keep_value{});
  b.row_reduce(m, 0.0, detail::add_value{});
  b.sample_rows(m, q, spec, seed, seed);
  b.compact_blocks(m, q, true);
  b.exclude_entries(m, q, excluded_edges<std::int32_t>{});
};

}  // namespace matsample
