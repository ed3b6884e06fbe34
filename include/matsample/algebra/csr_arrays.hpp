#pragma once
// Raw CSR arrays as per-row kernel bodies see them, and the outcome of one
// sampled row. Plain structs over pointers, so the same bodies run on the
// host and in CUDA kernels.

#include <cstdint>

#include "matsample/core/config.hpp"

namespace matsample::kernels {

/// Raw CSR arrays as the device kernels see them. `values` is null for a
/// pattern matrix (every entry 1).
template <class V, class I, class O>
struct csr_arrays {
  std::int64_t rows = 0;       ///< Number of rows
  std::int64_t cols = 0;       ///< Number of columns
  std::int64_t nnz = 0;        ///< Number of stored entries
  const O* indptr = nullptr;   ///< rows + 1 row offsets (not owned)
  const I* indices = nullptr;  ///< nnz column ids (not owned)
  const V* values = nullptr;   ///< nnz values, or null for a pattern matrix (not owned)

  /// Value of entry `e` (1 for a pattern matrix).
  MATSAMPLE_HD V value(std::int64_t e) const { return values == nullptr ? V{1} : values[e]; }
  /// Row v exists and its offsets are a valid slice of the entry arrays.
  MATSAMPLE_HD bool row_ok(std::int64_t v) const {
    if (v < 0 || v >= rows) return false;
    const std::int64_t b = indptr[v], e = indptr[v + 1];
    return 0 <= b && b <= e && e <= nnz;
  }
  /// Entry e's column lies in [0, cols).
  MATSAMPLE_HD bool column_ok(std::int64_t e) const {
    const std::int64_t c = indices[e];
    return 0 <= c && c < cols;
  }
  /// Row v is sound: extent and every column.
  MATSAMPLE_HD bool row_sound(std::int64_t v) const {
    if (!row_ok(v)) return false;
    for (std::int64_t e = indptr[v]; e < indptr[v + 1]; ++e) {
      if (!column_ok(e)) return false;
    }
    return true;
  }
};

/// Outcome flags of one sampled row.
struct row_status {
  std::int64_t kept = 0;    ///< entries written
  bool bad_weight = false;  ///< a negative, NaN or infinite weight
  bool bad_column = false;  ///< an emitted column outside [0, cols)
};

}  // namespace matsample::kernels
