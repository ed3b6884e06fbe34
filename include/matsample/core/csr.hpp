#pragma once
// CSR matrices: `csr_view` is a non-owning view over arrays the caller owns
// (a PyTorch tensor, a DGL graph, an mmap'd snapshot), `csr_matrix` owns its
// arrays and hands out views. Kernels take views.
//
// A matrix with no values is a pattern: every stored entry has value 1, which
// is how an unweighted graph is represented without spending memory on ones.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

/// Non-owning CSR matrix: spans over indptr (rows + 1 offsets of type O),
/// indices (column ids of type I) and optional values (V; empty for a pattern
/// matrix, whose entries are all 1). The caller keeps the arrays alive; a
/// copy is cheap and shares them. Constructing one checks only the shape,
/// validate() checks every entry.
template <class V, index_type I, index_type O>
class csr_view {
 public:
  using value_type = V;   ///< Type of the stored values.
  using index_type = I;   ///< Type of row and column ids.
  using offset_type = O;  ///< Type of the row offsets (indptr).

  /// The empty 0 x 0 matrix.
  csr_view() = default;

  /// Checks the shape in O(1): sizes of the arrays and the last offset. The
  /// entries themselves are checked by validate() on request, and by kernels
  /// for the rows they touch (see docs/design.md, "validation").
  csr_view(I rows, I cols, std::span<const O> indptr, std::span<const I> indices, std::span<const V> values = {})
      : rows_(rows), cols_(cols), indptr_(indptr), indices_(indices), values_(values) {
    if (rows < 0 || cols < 0) { throw csr_error(detail::concat("csr: negative shape ", rows, " x ", cols)); }
    if (indptr.size() != static_cast<std::size_t>(rows) + 1) {
      throw csr_error(detail::concat("csr: indptr has ", indptr.size(),
                                     " entries, expected rows + 1 = ", static_cast<std::int64_t>(rows) + 1));
    }
    if (indptr.front() != 0) { throw csr_error(detail::concat("csr: indptr[0] = ", indptr.front(), ", expected 0")); }
    if (indptr.back() < 0 || static_cast<std::size_t>(indptr.back()) != indices.size()) {
      throw csr_error(detail::concat("csr: indptr[", rows, "] = ", indptr.back(), " but there are ", indices.size(),
                                     " column indices"));
    }
    if (!values.empty() && values.size() != indices.size()) {
      throw csr_error(detail::concat("csr: ", values.size(), " values for ", indices.size(), " entries"));
    }
  }

  /// Number of rows.
  [[nodiscard]] I rows() const noexcept { return rows_; }
  /// Number of columns.
  [[nodiscard]] I cols() const noexcept { return cols_; }
  /// Number of stored entries, indptr[rows].
  [[nodiscard]] O nnz() const noexcept { return rows_ == 0 ? O{0} : indptr_[rows_]; }
  /// Row offsets: rows + 1 entries, row r is entries [indptr[r], indptr[r + 1]).
  [[nodiscard]] std::span<const O> indptr() const noexcept { return indptr_; }
  /// Column id of each stored entry (nnz of them).
  [[nodiscard]] std::span<const I> indices() const noexcept { return indices_; }
  /// Value of each stored entry; empty for a pattern matrix.
  [[nodiscard]] std::span<const V> values() const noexcept { return values_; }
  /// Whether values are stored (false: a pattern matrix, every entry 1).
  [[nodiscard]] bool has_values() const noexcept { return !values_.empty(); }
  /// Value of stored entry `e` (1 for a pattern matrix).
  [[nodiscard]] V value(O e) const noexcept { return values_.empty() ? V{1} : values_[e]; }
  /// First entry of row `r` (unchecked: 0 <= r < rows).
  [[nodiscard]] O row_begin(I r) const noexcept { return indptr_[r]; }
  /// One past the last entry of row `r` (unchecked).
  [[nodiscard]] O row_end(I r) const noexcept { return indptr_[r + 1]; }
  /// Number of stored entries in row `r` (unchecked).
  [[nodiscard]] O degree(I r) const noexcept { return indptr_[r + 1] - indptr_[r]; }

 private:
  I rows_ = 0;
  I cols_ = 0;
  std::span<const O> indptr_ = std::span<const O>(zero_, 1);
  std::span<const I> indices_;
  std::span<const V> values_;
  static constexpr O zero_[1] = {0};
};

namespace detail {
/// Throws the csr_error for row r if it is malformed; returns otherwise.
template <class V, index_type I, index_type O>
void check_csr_row(const csr_view<V, I, O>& m, I r) {
  const auto indptr = m.indptr();
  if (indptr[r] < 0) {
    throw csr_error(
        detail::concat("csr: indptr[", r, "] = ", indptr[r], " is negative (offsets must be monotone from 0)"));
  }
  if (indptr[r + 1] < indptr[r]) {
    throw csr_error(detail::concat("csr: offsets decrease at row ", r, " (indptr[", r, "] = ", indptr[r], " > indptr[",
                                   r + 1, "] = ", indptr[r + 1], ")"));
  }
  if (indptr[r + 1] > m.nnz()) {
    throw csr_error(detail::concat("csr: indptr[", r + 1, "] = ", indptr[r + 1], " exceeds nnz = ", m.nnz(),
                                   " (offsets must be monotone)"));
  }
  for (O e = indptr[r]; e < indptr[r + 1]; ++e) {
    const I c = m.indices()[e];
    if (c < 0 || c >= m.cols()) {
      throw csr_error(
          detail::concat("csr: column ", c, " out of range [0, ", m.cols(), ") in row ", r, " (entry ", e, ")"));
    }
  }
}
}  // namespace detail

/// Full O(nnz) check: offsets start at 0, never decrease and end at nnz; every
/// column lies in [0, cols). Parallel; throws csr_error naming the first bad
/// row, the same for any thread count.
template <class V, index_type I, index_type O>
void validate(const csr_view<V, I, O>& m) {
  const auto indptr = m.indptr();
  detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 4096)
  for (std::int64_t r = 0; r < m.rows(); ++r) {
    // Each row is checked on its own, so its start must be bounded here too
    // (a serial scan would have stopped at the earlier row that set it).
    if (indptr[r] < 0 || indptr[r + 1] < indptr[r] || indptr[r + 1] > m.nnz()) {
      bad.record(r);
      continue;
    }
    for (O e = indptr[r]; e < indptr[r + 1]; ++e) {
      const I c = m.indices()[e];
      if (c < 0 || c >= m.cols()) {
        bad.record(r);
        break;
      }
    }
  }
  if (bad.failed()) detail::check_csr_row(m, static_cast<I>(bad.index()));
}

namespace detail {
struct trusted_t {};
/// Tag for constructors fed by matsample's own kernels, whose output is
/// correct by construction; user-facing constructors validate.
inline constexpr trusted_t trusted{};
}  // namespace detail

/// Owning CSR matrix: holds its indptr, indices and (optional) values in
/// std::vectors and hands out csr_view views of them, valid while the matrix
/// lives and is not assigned to or moved from. Converts implicitly to its
/// view, so it can be passed wherever a view is expected.
template <class V, index_type I, index_type O>
class csr_matrix {
 public:
  using value_type = V;                 ///< Type of the stored values.
  using index_type = I;                 ///< Type of row and column ids.
  using offset_type = O;                ///< Type of the row offsets (indptr).
  using view_type = csr_view<V, I, O>;  ///< The non-owning view it hands out.

  /// The empty 0 x 0 matrix.
  csr_matrix() : indptr_(1, O{0}) {}

  /// Takes ownership of CSR arrays and validates them fully.
  csr_matrix(I rows, I cols, std::vector<O> indptr, std::vector<I> indices, std::vector<V> values = {})
      : csr_matrix(detail::trusted, rows, cols, std::move(indptr), std::move(indices), std::move(values)) {
    validate(view());
  }

  /// Takes ownership of CSR arrays known to be valid (detail::trusted, for
  /// matsample's own kernels): only the shape is checked, not the entries.
  csr_matrix(detail::trusted_t, I rows, I cols, std::vector<O> indptr, std::vector<I> indices,
             std::vector<V> values = {})
      : rows_(rows), cols_(cols), indptr_(std::move(indptr)), indices_(std::move(indices)), values_(std::move(values)) {
    (void)view();  // shape check
  }

  /// Deep copy of any view (for example a user's arrays), validated.
  explicit csr_matrix(const csr_view<V, I, O>& v)
      : csr_matrix(v.rows(), v.cols(), {v.indptr().begin(), v.indptr().end()}, {v.indices().begin(), v.indices().end()},
                   {v.values().begin(), v.values().end()}) {}

  /// A view of the owned arrays, valid while this matrix is alive and unchanged.
  [[nodiscard]] view_type view() const { return view_type(rows_, cols_, indptr_, indices_, values_); }
  /// Same as view(): a matrix is usable wherever a view is.
  operator view_type() const { return view(); }  // NOLINT: a matrix is usable wherever a view is

  /// Number of rows.
  [[nodiscard]] I rows() const noexcept { return rows_; }
  /// Number of columns.
  [[nodiscard]] I cols() const noexcept { return cols_; }
  /// Number of stored entries.
  [[nodiscard]] O nnz() const noexcept { return indptr_.back(); }
  /// Whether values are stored (false: a pattern matrix, every entry 1).
  [[nodiscard]] bool has_values() const noexcept { return !values_.empty(); }
  /// Row offsets (rows + 1 entries, starting at 0).
  [[nodiscard]] const std::vector<O>& indptr() const noexcept { return indptr_; }
  /// Column id of each stored entry.
  [[nodiscard]] const std::vector<I>& indices() const noexcept { return indices_; }
  /// Value of each stored entry; empty for a pattern matrix.
  [[nodiscard]] const std::vector<V>& values() const noexcept { return values_; }

  /// Exact equality of shape and arrays (the same entries in the same order;
  /// a pattern matrix differs from one that stores all-ones values).
  friend bool operator==(const csr_matrix&, const csr_matrix&) = default;

 private:
  I rows_ = 0;
  I cols_ = 0;
  std::vector<O> indptr_;
  std::vector<I> indices_;
  std::vector<V> values_;
};

/// The rows of `parts` one after another, part 0 first: several matrices
/// read as one operand of a product (typed LADIES stacks the relations into
/// a vertex type). An entry in column c with value v (1 in a part without
/// values) becomes f(r, c, v), r being its row in the result, so the result
/// always has values. Throws argument_error for no parts or unequal column counts,
/// and index_overflow_error when the rows or entries do not fit I or O.
template <class V, index_type I, index_type O, class F>
csr_matrix<V, I, O> stack_rows(std::span<const csr_view<V, I, O>> parts, F f) {
  if (parts.empty()) throw argument_error("stack_rows: no matrices to stack");
  std::int64_t rows = 0, nnz = 0;
  for (const auto& part : parts) {
    if (part.cols() != parts.front().cols()) {
      throw argument_error(detail::concat("stack_rows: a matrix of ", part.cols(), " columns stacked under one of ",
                                          parts.front().cols()));
    }
    rows += part.rows();
    nnz += static_cast<std::int64_t>(part.nnz());
  }
  std::vector<O> indptr{O{0}};
  indptr.reserve(static_cast<std::size_t>(checked_cast<I>(rows, "stacked rows")) + 1);
  std::vector<I> indices;
  std::vector<V> values;
  indices.reserve(static_cast<std::size_t>(checked_cast<O>(nnz, "stacked entries")));
  values.reserve(indices.capacity());
  for (const auto& part : parts) {
    for (I r = 0; r < part.rows(); ++r) {
      const auto row = static_cast<I>(indptr.size() - 1);
      for (O e = part.row_begin(r); e < part.row_end(r); ++e) {
        indices.push_back(part.indices()[e]);
        values.push_back(f(row, part.indices()[e], part.has_values() ? part.values()[e] : V{1}));
      }
      indptr.push_back(static_cast<O>(indices.size()));
    }
  }
  return {detail::trusted,   static_cast<I>(rows), parts.front().cols(),
          std::move(indptr), std::move(indices),   std::move(values)};
}

/// Deduces the view type from a user's containers.
template <class V, index_type I, index_type O>
csr_view<V, I, O> make_csr_view(I rows, I cols, std::span<const O> indptr, std::span<const I> indices,
                                std::span<const V> values = {}) {
  return csr_view<V, I, O>(rows, cols, indptr, indices, values);
}

}  // namespace matsample
