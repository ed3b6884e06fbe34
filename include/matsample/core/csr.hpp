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

template <class V, index_type I, index_type O>
class csr_view {
 public:
  using value_type = V;
  using index_type = I;
  using offset_type = O;

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

  [[nodiscard]] I rows() const noexcept { return rows_; }
  [[nodiscard]] I cols() const noexcept { return cols_; }
  [[nodiscard]] O nnz() const noexcept { return rows_ == 0 ? O{0} : indptr_[rows_]; }
  [[nodiscard]] std::span<const O> indptr() const noexcept { return indptr_; }
  [[nodiscard]] std::span<const I> indices() const noexcept { return indices_; }
  [[nodiscard]] std::span<const V> values() const noexcept { return values_; }
  [[nodiscard]] bool has_values() const noexcept { return !values_.empty(); }
  /// Value of stored entry `e` (1 for a pattern matrix).
  [[nodiscard]] V value(O e) const noexcept { return values_.empty() ? V{1} : values_[e]; }
  [[nodiscard]] O row_begin(I r) const noexcept { return indptr_[r]; }
  [[nodiscard]] O row_end(I r) const noexcept { return indptr_[r + 1]; }
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

template <class V, index_type I, index_type O>
class csr_matrix {
 public:
  using value_type = V;
  using index_type = I;
  using offset_type = O;
  using view_type = csr_view<V, I, O>;

  csr_matrix() : indptr_(1, O{0}) {}

  /// Takes ownership of CSR arrays and validates them fully.
  csr_matrix(I rows, I cols, std::vector<O> indptr, std::vector<I> indices, std::vector<V> values = {})
      : csr_matrix(detail::trusted, rows, cols, std::move(indptr), std::move(indices), std::move(values)) {
    validate(view());
  }

  csr_matrix(detail::trusted_t, I rows, I cols, std::vector<O> indptr, std::vector<I> indices,
             std::vector<V> values = {})
      : rows_(rows), cols_(cols), indptr_(std::move(indptr)), indices_(std::move(indices)), values_(std::move(values)) {
    (void)view();  // shape check
  }

  /// Deep copy of any view (for example a user's arrays), validated.
  explicit csr_matrix(const csr_view<V, I, O>& v)
      : csr_matrix(v.rows(), v.cols(), {v.indptr().begin(), v.indptr().end()}, {v.indices().begin(), v.indices().end()},
                   {v.values().begin(), v.values().end()}) {}

  [[nodiscard]] view_type view() const { return view_type(rows_, cols_, indptr_, indices_, values_); }
  operator view_type() const { return view(); }  // NOLINT: a matrix is usable wherever a view is

  [[nodiscard]] I rows() const noexcept { return rows_; }
  [[nodiscard]] I cols() const noexcept { return cols_; }
  [[nodiscard]] O nnz() const noexcept { return indptr_.back(); }
  [[nodiscard]] bool has_values() const noexcept { return !values_.empty(); }
  [[nodiscard]] const std::vector<O>& indptr() const noexcept { return indptr_; }
  [[nodiscard]] const std::vector<I>& indices() const noexcept { return indices_; }
  [[nodiscard]] const std::vector<V>& values() const noexcept { return values_; }

  friend bool operator==(const csr_matrix&, const csr_matrix&) = default;

 private:
  I rows_ = 0;
  I cols_ = 0;
  std::vector<O> indptr_;
  std::vector<I> indices_;
  std::vector<V> values_;
};

/// Deduces the view type from a user's containers.
template <class V, index_type I, index_type O>
csr_view<V, I, O> make_csr_view(I rows, I cols, std::span<const O> indptr, std::span<const I> indices,
                                std::span<const V> values = {}) {
  return csr_view<V, I, O>(rows, cols, indptr, indices, values);
}

}  // namespace matsample
