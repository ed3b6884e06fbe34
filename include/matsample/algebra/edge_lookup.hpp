#pragma once
// Edge lookups on a graph wherever it lives: whether (u, v) is an edge,
// where it sits in A (its position in CSR order, the edge id), which entry
// sits at a position, and each vertex's degree. Negative rejection,
// exclusion checks and edge ids are written once against this seam. On one
// process the lookup reads the graph itself; a distributed graph has its
// own lookup (backend/mpi/edge_lookup.hpp, found by argument-dependent
// lookup) that fetches the rows a step needs from their owners, so the
// same code runs on 1.5D blocks and 2D tiles. Every call of a lookup that
// takes vertices is collective there: all ranks call it the same number of
// times.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

namespace detail {

/// The column indices of row r.
template <class View, class I>
auto row_columns(const View& a, I r) {
  return a.indices().subspan(static_cast<std::size_t>(a.row_begin(r)), static_cast<std::size_t>(a.degree(r)));
}

/// Whether row r of a column-sorted CSR holds column c.
template <class View, class I>
bool row_holds(const View& a, I r, I c) {
  const auto columns = row_columns(a, r);
  return std::binary_search(columns.begin(), columns.end(), c);
}

/// Positions [first, last) of the entries (u, v) in row u of a column-sorted A.
template <class View, class I>
std::pair<std::int64_t, std::int64_t> entry_range(const View& a, I u, I v) {
  const auto columns = row_columns(a, u);
  const auto [lo, hi] = std::equal_range(columns.begin(), columns.end(), v);
  const auto base = static_cast<std::int64_t>(a.row_begin(u));
  return {base + (lo - columns.begin()), base + (hi - columns.begin())};
}

/// Throws format_error, naming `who`, unless every row of `a` is sorted by column.
template <class View>
void require_sorted_rows(const View& a, const char* who) {
  for (typename View::index_type r = 0; r < a.rows(); ++r) {
    const auto columns = row_columns(a, r);
    if (!std::is_sorted(columns.begin(), columns.end())) {
      throw format_error(concat(who, " needs rows sorted by column; row ", r,
                                " is not (build the graph with sorted rows, e.g. csr_from_coo)"));
    }
  }
}

}  // namespace detail

/// Rows of a column-sorted graph held for lookups: every row of a host
/// graph, or the rows a distributed lookup fetched, each with the global
/// position (edge id) of its first entry.
template <class V, index_type I, index_type O>
class row_window {
 public:
  /// Every row of `graph`: vertex v is row v, positions are the graph's own.
  explicit row_window(const csr_view<V, I, O>& graph) : graph_(graph), whole_(true) {}
  /// Fetched rows: row r of `rows` is vertex ids[r] (ascending, distinct),
  /// whose first entry is edge starts[r] of the whole graph.
  row_window(csr_matrix<V, I, O> rows, std::vector<I> ids, std::vector<std::int64_t> starts)
      : fetched_(std::move(rows)), ids_(std::move(ids)), starts_(std::move(starts)), whole_(false) {}

  /// Whether row u is held.
  [[nodiscard]] bool has_row(I u) const {
    return whole_ ? u >= 0 && u < graph_.rows() : std::binary_search(ids_.begin(), ids_.end(), u);
  }
  /// The columns of row u, sorted (u must be held).
  [[nodiscard]] std::span<const I> columns(I u) const { return detail::row_columns(held(), local_row(u)); }
  /// Global position of row u's first entry (u must be held).
  [[nodiscard]] std::int64_t start(I u) const {
    return whole_ ? static_cast<std::int64_t>(graph_.row_begin(u)) : starts_[static_cast<std::size_t>(local_row(u))];
  }
  /// Whether (u, v) is an edge (row u must be held).
  [[nodiscard]] bool holds(I u, I v) const {
    const auto c = columns(u);
    return std::binary_search(c.begin(), c.end(), v);
  }
  /// Global positions [first, last) of the entries (u, v) (row u must be held).
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> entry_range(I u, I v) const {
    const auto c = columns(u);
    const auto [lo, hi] = std::equal_range(c.begin(), c.end(), v);
    return {start(u) + (lo - c.begin()), start(u) + (hi - c.begin())};
  }
  /// The column of the entry at global position `position` of row u (held, and holding it).
  [[nodiscard]] I column_at(I u, std::int64_t position) const {
    return columns(u)[static_cast<std::size_t>(position - start(u))];
  }

 private:
  [[nodiscard]] csr_view<V, I, O> held() const { return whole_ ? graph_ : fetched_.view(); }
  [[nodiscard]] I local_row(I u) const {
    return whole_ ? u : static_cast<I>(std::lower_bound(ids_.begin(), ids_.end(), u) - ids_.begin());
  }

  csr_view<V, I, O> graph_{};
  csr_matrix<V, I, O> fetched_{};
  std::vector<I> ids_;
  std::vector<std::int64_t> starts_;
  bool whole_;
};

/// The edge lookup of a graph on this process: every row is at hand, so
/// rows() fetches nothing and the agreement calls are the identity. The
/// graph must outlive it.
template <class V, index_type I, index_type O>
class edge_lookup {
 public:
  using index_type = I;  ///< vertex id type

  /// A lookup on `graph` (rows sorted by column for every lookup but degree()).
  explicit edge_lookup(const csr_view<V, I, O>& graph) : graph_(graph) {}

  [[nodiscard]] I vertices() const noexcept { return graph_.rows(); }  ///< rows of A
  [[nodiscard]] I columns() const noexcept { return graph_.cols(); }   ///< columns of A
  [[nodiscard]] std::int64_t edges() const noexcept { return static_cast<std::int64_t>(graph_.nnz()); }  ///< entries
  /// Out-degree of vertex v.
  [[nodiscard]] std::int64_t degree(I v) const { return static_cast<std::int64_t>(graph_.degree(v)); }
  /// Throws format_error naming `who` unless every row is sorted by column.
  void require_sorted_rows(const char* who) const { detail::require_sorted_rows(graph_, who); }
  /// The rows of `vertices` (here: every row).
  [[nodiscard]] row_window<V, I, O> rows(std::span<const I> /*vertices*/) const { return row_window<V, I, O>(graph_); }
  /// The row holding each global position (0 <= position < edges()).
  [[nodiscard]] std::vector<I> rows_of_positions(std::span<const std::int64_t> positions) const {
    const auto indptr = graph_.indptr();
    std::vector<I> rows(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
      rows[i] = static_cast<I>(std::upper_bound(indptr.begin(), indptr.end(), static_cast<O>(positions[i])) -
                               indptr.begin() - 1);
    }
    return rows;
  }
  /// Whether `mine` holds on any process (here: `mine`).
  [[nodiscard]] bool any(bool mine) const { return mine; }
  /// Runs a check that may throw; a distributed lookup makes every rank throw if one does.
  template <class F>
  void check(F&& f) const {
    f();
  }

 private:
  csr_view<V, I, O> graph_;
};

/// What an edge lookup provides (edge_lookup here, the distributed one in
/// backend/mpi/edge_lookup.hpp): what edge ids and link sampling read.
template <class L>
concept edge_lookup_like = requires(const L& lookup, std::span<const typename L::index_type> vertices) {
  lookup.rows(vertices);
  { lookup.edges() } -> std::convertible_to<std::int64_t>;
};

/// The lookup of a host graph (found with the distributed overload by
/// argument-dependent lookup).
template <class V, index_type I, index_type O>
edge_lookup<V, I, O> make_edge_lookup(const csr_view<V, I, O>& graph) {
  return edge_lookup<V, I, O>(graph);
}

}  // namespace matsample
