#pragma once
// Row-wise inverse-transform sampling (ITS): the kernel bodies that pick which
// entries of one row of P survive. They work on raw pointers and are
// __host__ __device__, so the CPU backend, the CUDA backend and the unit tests
// run the very same code, and the reference backend re-derives the same draws
// independently in plain C++.
//
// Draw numbering is part of the contract (it decides which Philox outputs are
// used), so it is spelled out next to each algorithm.

#include <cstdint>

#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/core/config.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

namespace kernels {

/// Entries a row of `degree` yields: the whole row when it has no more than
/// `fanout` entries (or fanout is -1), otherwise `fanout`.
MATSAMPLE_HD inline std::int64_t sampled_count(std::int64_t degree, std::int64_t fanout) {
  return (fanout < 0 || degree <= fanout) ? degree : fanout;
}

}  // namespace kernels

/// GraphSAGE's row rule: `fanout` entries of each row of P, uniformly or in
/// proportion to the values, with or without replacement; the kept entries
/// keep their values. Backends have fused fast paths for it.
struct row_sampling {
  std::int64_t fanout = -1;  ///< entries kept per row; -1 keeps the whole row
  bool replace = false;      ///< draw with replacement
  bool weighted = false;     ///< draw proportionally to the values of P

  /// Entries kept of a row of `degree`: min(degree, fanout), or degree for -1.
  MATSAMPLE_HD std::int64_t bound(std::int64_t degree) const { return kernels::sampled_count(degree, fanout); }
  /// Doubles of scratch per row: the running sums of the weights when weighted.
  MATSAMPLE_HD std::int64_t scratch(std::int64_t degree) const { return weighted ? degree : 0; }
  /// Reads P's values as weights only when weighted and P has values.
  MATSAMPLE_HD bool reads_weights(bool has_values) const { return weighted && has_values; }
  /// Kept entries carry P's values when P has any.
  MATSAMPLE_HD bool writes_values(bool has_values) const { return has_values; }
  /// Defined in row_kernels.hpp: the body the CPU and CUDA backends share.
  template <class V, class I, class O>
  MATSAMPLE_HD kernels::row_status select(const kernels::csr_arrays<V, I, O>& m, std::int64_t begin,
                                          std::int64_t degree, const row_context& context, std::int64_t* positions,
                                          double* scratch, I* out_indices, V* out_values) const;
};

namespace kernels {

/// Inserts `value` into the ascending array out[0, n) unless present;
/// returns whether it was inserted. Rows keep at most `fanout` entries, so a
/// linear shift is cheaper than any tree for the sizes that occur.
MATSAMPLE_HD inline bool insert_sorted_unique(std::int64_t* out, std::int64_t n, std::int64_t value) {
  std::int64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (out[mid] < value)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < n && out[lo] == value) return false;
  for (std::int64_t i = n; i > lo; --i) out[i] = out[i - 1];
  out[lo] = value;
  return true;
}

/// Inserts `value` into the ascending array out[0, n), after any equal
/// entries (duplicates are kept); out must have room for n + 1.
MATSAMPLE_HD inline void insert_sorted(std::int64_t* out, std::int64_t n, std::int64_t value) {
  std::int64_t i = n;
  for (; i > 0 && out[i - 1] > value; --i) out[i] = out[i - 1];
  out[i] = value;
}

/// Counts up to this size are sorted by rank and tested for membership by a
/// full scan: branch-free loops over a few registers, where binary searches
/// over random draws mispredict on every step (5 draws of a row took 130 ns
/// that way, mostly in mispredicted branches).
inline constexpr std::int64_t small_sample = 32;

/// Rows up to this degree mark Floyd's picks in a bitset on the stack:
/// membership is one bit test, and reading the set bits in order gives the
/// positions ascending with no sort.
inline constexpr std::int64_t bitset_degree = 512;

/// Index of the lowest set bit of x != 0.
MATSAMPLE_HD inline std::int64_t lowest_bit(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(x)) - 1;
#else
  return __builtin_ctzll(x);
#endif
}

/// Sorts the n <= small_sample values of `values` into out[0, n) ascending:
/// each value goes to its rank (ties in input order), so there are no
/// data-dependent branches.
MATSAMPLE_HD inline void rank_sort_small(const std::int64_t* values, std::int64_t n, std::int64_t* out) {
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t rank = 0;
    for (std::int64_t m = 0; m < n; ++m) rank += (values[m] < values[k]) | ((values[m] == values[k]) & (m < k));
    out[rank] = values[k];
  }
}

/// Uniform ITS for 0 < count <= small_sample draws of a row of `degree >
/// count` entries, from the bits of draws 0 .. count-1 (philox_row_stream::
/// fill): writes the positions, ascending, to `out`. See
/// sample_uniform_positions for the draws.
MATSAMPLE_HD inline void sample_small_uniform_positions(std::int64_t degree, std::int64_t count, bool replace,
                                                        const std::uint64_t* bits, std::int64_t* out) {
  const std::int64_t first = degree - count;
  if (!replace && degree <= bitset_degree) {
    std::uint64_t picked[bitset_degree / 64];
    const std::int64_t words = (degree + 63) / 64;
    for (std::int64_t w = 0; w < words; ++w) picked[w] = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t j = first + i;
      const auto t = static_cast<std::int64_t>(philox_row_stream::scale(bits[i], static_cast<std::uint64_t>(j + 1)));
      const std::int64_t pick = ((picked[t >> 6] >> (t & 63)) & 1) != 0 ? j : t;
      picked[pick >> 6] |= std::uint64_t{1} << (pick & 63);
    }
    std::int64_t n = 0;
    for (std::int64_t w = 0; w < words; ++w) {
      for (std::uint64_t x = picked[w]; x != 0; x &= x - 1) out[n++] = 64 * w + lowest_bit(x);
    }
    return;
  }
  std::int64_t drawn[small_sample];  // draws kept unsorted, then sorted once
  for (std::int64_t i = 0; i < count; ++i) {
    if (replace) {
      drawn[i] = static_cast<std::int64_t>(philox_row_stream::scale(bits[i], static_cast<std::uint64_t>(degree)));
      continue;
    }
    const std::int64_t j = first + i;
    const auto t = static_cast<std::int64_t>(philox_row_stream::scale(bits[i], static_cast<std::uint64_t>(j + 1)));
    bool taken = false;
    for (std::int64_t k = 0; k < i; ++k) taken |= drawn[k] == t;
    drawn[i] = taken ? j : t;
  }
  rank_sort_small(drawn, count, out);
}

/// Uniform ITS: writes sampled_count(degree, fanout) positions in [0, degree),
/// ascending, to `out`, and returns that count.
///   with replacement:    draw i -> position floor(u_i * degree)
///   without replacement: Floyd's algorithm; draw i picks t in [0, degree - count + i]
///                        and takes t, or degree - count + i when t is already taken
MATSAMPLE_HD inline std::int64_t sample_uniform_positions(std::int64_t degree, std::int64_t fanout, bool replace,
                                                          philox_row_stream& rng, std::int64_t* out) {
  const std::int64_t count = sampled_count(degree, fanout);
  if (count == degree) {
    for (std::int64_t i = 0; i < count; ++i) out[i] = i;
    return count;
  }
  const std::int64_t first = degree - count;
  if (count <= small_sample) {
    std::uint64_t bits[small_sample];
    rng.fill(count, bits);
    sample_small_uniform_positions(degree, count, replace, bits, out);
    return count;
  }
  if (replace) {
    for (std::int64_t i = 0; i < count; ++i) { insert_sorted(out, i, static_cast<std::int64_t>(rng.below(i, degree))); }
    return count;
  }
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t j = first + i;
    const auto t = static_cast<std::int64_t>(rng.below(i, j + 1));
    if (!insert_sorted_unique(out, i, t)) insert_sorted(out, i, j);
  }
  return count;
}

/// Plain ITS redraws per step of weighted sampling without replacement
/// before the exact pass over the remaining entries (part of the draw numbering).
inline constexpr std::int64_t weighted_retries = 8;

/// A weight ITS can use: finite and non-negative (NaN fails both tests).
MATSAMPLE_HD inline bool usable_weight(double w) { return w >= 0.0 && w <= 1.7976931348623157e308; }

/// Outcome of weighted sampling for rows that carry a bad weight.
inline constexpr std::int64_t bad_weight = -1;

/// First index in cdf[0, n) whose value exceeds x (n when none does).
MATSAMPLE_HD inline std::int64_t upper_bound(const double* cdf, std::int64_t n, double x) {
  std::int64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (cdf[mid] <= x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/// The position ITS picks for x in [0, total): the first whose running sum
/// exceeds x. Rounding of u * total can reach total itself; that case maps to
/// the last position with positive weight instead of running off the row.
MATSAMPLE_HD inline std::int64_t its_pick(const double* cdf, std::int64_t n, double x) {
  const std::int64_t pos = upper_bound(cdf, n, x);
  if (pos < n) return pos;
  std::int64_t last = n - 1;
  while (last > 0 && cdf[last - 1] == cdf[n - 1]) --last;
  return last;
}

/// Weighted ITS over `weights[0, degree)` (any arithmetic type). `cdf` is
/// scratch of `degree` doubles; running sums are taken in row order in double,
/// so every backend normalises identically. Returns the number of positions
/// written to `out` (ascending), or bad_weight if a weight is negative, NaN or
/// infinite. Zero-weight entries are never drawn; a row whose positive weights
/// run out before `fanout` keeps fewer entries. A row with no more than
/// `fanout` entries keeps them all, as in the uniform case.
///   with replacement:    draw i -> ITS(u_i)
///   without replacement: step i draws ITS(u_{i(R+1)+t}) for t = 0, 1, ..., R-1
///                        (R = weighted_retries) until the entry is not yet
///                        taken; after R misses it draws u_{i(R+1)+R} over the
///                        remaining entries only, in one pass. Either way entry
///                        j is picked with probability w_j/(W-S) (S: weight
///                        already taken), which is exactly successive sampling;
///                        the retries keep the O(degree) pass rare when the
///                        taken weight is small, and there is never an
///                        unbounded rejection loop.
template <class W>
MATSAMPLE_HD std::int64_t sample_weighted_positions(const W* weights, std::int64_t degree, std::int64_t fanout,
                                                    bool replace, philox_row_stream& rng, double* cdf,
                                                    std::int64_t* out) {
  double total = 0.0;
  for (std::int64_t i = 0; i < degree; ++i) {
    const double w = static_cast<double>(weights[i]);
    if (!usable_weight(w)) return bad_weight;
    total += w;
    cdf[i] = total;
  }
  const std::int64_t count = sampled_count(degree, fanout);
  if (count == degree) {
    for (std::int64_t i = 0; i < count; ++i) out[i] = i;
    return count;
  }
  if (!(total > 0.0)) return 0;
  if (replace) {
    for (std::int64_t i = 0; i < count; ++i) insert_sorted(out, i, its_pick(cdf, degree, rng.uniform(i) * total));
    return count;
  }
  std::int64_t taken = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint64_t first_draw = static_cast<std::uint64_t>(i) * (weighted_retries + 1);
    bool placed = false;
    for (std::int64_t t = 0; t < weighted_retries && !placed; ++t) {
      placed = insert_sorted_unique(out, taken, its_pick(cdf, degree, rng.uniform(first_draw + t) * total));
    }
    if (placed) {
      ++taken;
      continue;
    }
    double remaining = 0.0;
    for (std::int64_t p = 0, t = 0; p < degree; ++p) {
      if (t < taken && out[t] == p) {
        ++t;
        continue;
      }
      remaining += static_cast<double>(weights[p]);
    }
    if (!(remaining > 0.0)) break;
    const double x = rng.uniform(first_draw + weighted_retries) * remaining;
    double running = 0.0;
    std::int64_t pick = -1;
    for (std::int64_t p = 0, t = 0; p < degree; ++p) {
      if (t < taken && out[t] == p) {
        ++t;
        continue;
      }
      const double w = static_cast<double>(weights[p]);
      if (w <= 0.0) continue;
      pick = p;  // the last positive candidate absorbs rounding at the top end
      running += w;
      if (running > x) break;
    }
    insert_sorted(out, taken, pick);
    ++taken;
  }
  return taken;
}

}  // namespace kernels
}  // namespace matsample
