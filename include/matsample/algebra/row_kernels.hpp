#pragma once
// Per-row and per-entry kernel bodies of the device backend, over plain
// pointers. They are MATSAMPLE_HD, so the CUDA launch layer
// (backend/cuda/*.cuh) runs them one thread per row or entry, and the normal
// CPU test suite calls them directly: the logic of the GPU kernels is tested
// on every machine, with or without a GPU. Row sampling itself is
// algebra/row_sampling.hpp, shared with the CPU backend.

#include <cstdint>

#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/core/config.hpp"
#include "matsample/core/random.hpp"

/// Per-row and per-entry kernel bodies over raw pointers (csr_arrays), marked
/// MATSAMPLE_HD so the CPU backend, the CUDA launch layer and the unit tests
/// run the same code: row sampling, row rules, block search and the helpers
/// the CUDA kernels launch one thread per row or entry.
namespace matsample::kernels {

/// Block holding position i of offsets[0..k] (k + 1 ascending offsets): the
/// last m with offsets[m] <= i, so empty blocks are skipped. With a CSR's
/// indptr as offsets it is the row of entry i.
template <class T>
MATSAMPLE_HD std::int64_t block_of(const T* offsets, std::int64_t k, std::int64_t i) {
  std::int64_t lo = 0, hi = k + 1;  // first offset > i, minus one
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (static_cast<std::int64_t>(offsets[mid]) <= i)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

/// First position in the ascending keys[0, n) whose key is >= key.
MATSAMPLE_HD inline std::int64_t lower_bound_key(const std::uint64_t* keys, std::int64_t n, std::uint64_t key) {
  std::int64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (keys[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/// Stream counter of stacked row r (stacked_selection::address on raw offsets).
MATSAMPLE_HD inline draw_address row_address(const std::int64_t* batch_offsets, std::int64_t k, std::uint64_t epoch,
                                             std::uint64_t first_batch, std::int64_t r) {
  const std::int64_t m = block_of(batch_offsets, k, r);
  return {epoch, first_batch + static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(r - batch_offsets[m])};
}

/// Position of c in the ascending list[0, n), or -1.
template <class I>
MATSAMPLE_HD std::int64_t find_sorted(const I* list, std::int64_t n, I c) {
  std::int64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (list[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (lo < n && list[lo] == c) ? lo : -1;
}

/// Samples one row of `m` (extent [begin, begin + degree)) into out_indices /
/// out_values, exactly as the CPU backend does: whole rows are copied, uniform
/// and weighted rows draw their positions with row_sampling.hpp's bodies.
/// `positions` has room for sampled_count(degree, fanout) entries and `cdf`
/// for `degree` doubles (weighted rows only). out_values may be null.
template <class V, class I, class O>
MATSAMPLE_HD row_status sample_row(const csr_arrays<V, I, O>& m, std::int64_t begin, std::int64_t degree,
                                   row_sampling spec, philox_row_stream& rng, std::int64_t* positions, double* cdf,
                                   I* out_indices, V* out_values) {
  const bool weighted = spec.weighted && m.values != nullptr;
  const bool sampling = spec.fanout >= 0 || weighted;
  row_status st;
  std::int64_t count = sampled_count(degree, spec.fanout);
  const std::int64_t* pos = nullptr;
  if (sampling && count > 0 && weighted) {
    count = sample_weighted_positions(m.values + begin, degree, spec.fanout, spec.replace, rng, cdf, positions);
    if (count == bad_weight) {
      st.bad_weight = true;
      return st;
    }
    pos = positions;
  } else if (sampling && count > 0 && count < degree) {
    sample_uniform_positions(degree, spec.fanout, spec.replace, rng, positions);
    pos = positions;
  }
  for (std::int64_t j = 0; j < count; ++j) {
    const std::int64_t e = begin + (pos == nullptr ? j : pos[j]);
    out_indices[j] = m.indices[e];
    if (out_values != nullptr) out_values[j] = m.values[e];
    if (!m.column_ok(e)) st.bad_column = true;
  }
  st.kept = count;
  return st;
}

}  // namespace matsample::kernels

namespace matsample {

template <class V, class I, class O>
MATSAMPLE_HD kernels::row_status row_sampling::select(const kernels::csr_arrays<V, I, O>& m, std::int64_t begin,
                                                      std::int64_t degree, const row_context& context,
                                                      std::int64_t* positions, double* scratch, I* out_indices,
                                                      V* out_values) const {
  philox_row_stream rng(context.seed, context.layer, context.at);
  return kernels::sample_row(m, begin, degree, *this, rng, positions, scratch, out_indices, out_values);
}

}  // namespace matsample

namespace matsample::kernels {

/// select_columns for row r of block blk: entries whose column is in the
/// block's ascending list columns[lo, hi) become column (position in list).
/// With out_indices null it only counts.
template <class V, class I, class O>
MATSAMPLE_HD std::int64_t select_row(const csr_arrays<V, I, O>& m, std::int64_t r, const I* columns, std::int64_t lo,
                                     std::int64_t hi, I* out_indices, V* out_values) {
  std::int64_t n = 0;
  for (std::int64_t e = m.indptr[r]; e < m.indptr[r + 1]; ++e) {
    const std::int64_t j = find_sorted(columns + lo, hi - lo, m.indices[e]);
    if (j < 0) continue;
    if (out_indices != nullptr) {
      out_indices[n] = static_cast<I>(lo + j);
      if (out_values != nullptr) out_values[n] = m.values[e];
    }
    ++n;
  }
  return n;
}

/// exclude_entries for row r of P, whose vertex is u: the entries whose
/// column is not excluded for u, where ex_src/ex_dst[begin, end) are the
/// row's minibatch's excluded pairs sorted by (src, dst). Writes the kept
/// entries (in row order) and returns their count; with out_indices null it
/// only counts.
template <class V, class I, class O>
MATSAMPLE_HD std::int64_t exclude_row(const csr_arrays<V, I, O>& p, std::int64_t r, I u, const I* ex_src,
                                      const I* ex_dst, std::int64_t begin, std::int64_t end, I* out_indices,
                                      V* out_values) {
  // The pairs (u, ·): [first source >= u, first source > u).
  const auto first_after = [&](bool inclusive) {
    std::int64_t lo = begin, hi = end;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (ex_src[mid] < u || (inclusive && ex_src[mid] == u))
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  };
  const std::int64_t lo = first_after(false), last = first_after(true);
  std::int64_t n = 0;
  for (std::int64_t e = p.indptr[r]; e < p.indptr[r + 1]; ++e) {
    if (last > lo && find_sorted(ex_dst + lo, last - lo, p.indices[e]) >= 0) continue;
    if (out_indices != nullptr) {
      out_indices[n] = p.indices[e];
      if (out_values != nullptr) out_values[n] = p.values[e];
    }
    ++n;
  }
  return n;
}

/// One product of the SpGEMM expansion: entry e of A (in row r) times entry
/// f of B's row k = column of e, as (row·cols_b + column, product).
template <class V, class I, class O>
MATSAMPLE_HD void expand_product(const csr_arrays<V, I, O>& a, const csr_arrays<V, I, O>& b, std::int64_t r,
                                 std::int64_t e, std::int64_t f, std::uint64_t& key, V& product) {
  key = static_cast<std::uint64_t>(r) * static_cast<std::uint64_t>(b.cols) + static_cast<std::uint64_t>(b.indices[f]);
  product = a.value(e) * b.value(f);
}

/// SpGEMM expansion for entry e = (r, k) of A: writes the products
/// A(r,k)·B(k,j) of B's row k, in B's order, as (row·cols_b + j, product)
/// pairs. With the pairs of all entries laid out in A's entry order, a stable
/// sort by key puts each output entry's products in exactly the traversal
/// order of the CPU backend (A's row, then B's rows), so the sums below round
/// the same way.
template <class V, class I, class O>
MATSAMPLE_HD void expand_products(const csr_arrays<V, I, O>& a, const csr_arrays<V, I, O>& b, std::int64_t r,
                                  std::int64_t e, std::uint64_t* keys, V* products) {
  const std::int64_t k = a.indices[e];
  for (std::int64_t f = b.indptr[k]; f < b.indptr[k + 1]; ++f) {
    expand_product(a, b, r, e, f, keys[f - b.indptr[k]], products[f - b.indptr[k]]);
  }
}

/// Sum of one run of equal keys, left to right from `start` (zero, as every
/// CPU accumulator sums, so a -0.0 product gives +0.0 there too). A run cut
/// into consecutive pieces sums to the same bits when each piece starts from
/// the sum of the pieces before it.
template <class V>
MATSAMPLE_HD V sum_run(const V* products, std::int64_t first, std::int64_t last, V start = V{0}) {
  V sum = start;
  for (std::int64_t i = first; i < last; ++i) sum += products[i];
  return sum;
}

/// compact_blocks lays each minibatch out as one sequence of items: its
/// destination vertices, then its sampled entries in row-major order.
/// item_offsets[m] = batch_offsets[m] + edge_offsets[m] is where minibatch m
/// starts; this returns the vertex of global item i of minibatch m.
template <class I>
MATSAMPLE_HD I item_vertex(const I* destinations, const I* sampled, const std::int64_t* batch_offsets,
                           const std::int64_t* edge_offsets, std::int64_t m, std::int64_t i) {
  const std::int64_t j = i - (batch_offsets[m] + edge_offsets[m]);
  const std::int64_t n_dst = batch_offsets[m + 1] - batch_offsets[m];
  return j < n_dst ? destinations[batch_offsets[m] + j] : sampled[edge_offsets[m] + (j - n_dst)];
}

/// The sort key of an item for de-duplication: minibatch first, then vertex,
/// so equal vertices of one minibatch meet. `vertex_span` bounds
/// vertex - vertex_min.
template <class I>
MATSAMPLE_HD std::uint64_t item_key(std::int64_t m, I vertex, std::int64_t vertex_min, std::uint64_t vertex_span) {
  return static_cast<std::uint64_t>(m) * vertex_span +
         static_cast<std::uint64_t>(static_cast<std::int64_t>(vertex) - vertex_min);
}

}  // namespace matsample::kernels
