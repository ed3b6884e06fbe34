#pragma once
// cpu_backend's gather-and-sample: fused Q·A and row sampling (gather_rows,
// sample_rows and gather_and_sample all run it). Included by backend.hpp.
//
// Pass 1 reads each row's extent and bound (with exclusion, less the row's
// excluded entries, which it records); an exclusive scan places the rows;
// pass 2 draws each row's positions and copies the entries they select
// (row_drawer, one per thread; a masked row maps its positions past its
// excluded entries); weighted rows that kept fewer entries than their bound
// are then packed.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/backend/cpu/scratch.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

namespace detail {

/// What pass 1 finds for each stacked row r: where its source row starts in
/// the matrix, its degree, and the most entries it can yield. The extent is
/// kept so that pass 2 reads it sequentially instead of returning to the
/// matrix's offsets at random.
template <class O>
struct row_extents {
  std::unique_ptr<O[]> begin;
  std::unique_ptr<std::int64_t[]> degree_of;  ///< the row's degree, less its excluded entries
  std::vector<std::int64_t> bound;
  /// With exclusion: row r's excluded entries are excluded[excluded_offset[r],
  /// excluded_offset[r+1]), positions in its source row, ascending; empty
  /// offsets when nothing is excluded.
  std::vector<std::int64_t> excluded_offset{};
  std::vector<std::int64_t> excluded{};

  /// Position in the source row of the p-th entry of row r that is not
  /// excluded (row r must be masked()).
  [[nodiscard]] std::int64_t source_position(std::int64_t r, std::int64_t p) const {
    for (auto i = excluded_offset[r]; i < excluded_offset[r + 1] && excluded[i] <= p; ++i) ++p;
    return p;
  }
  /// Whether row r has excluded entries.
  [[nodiscard]] bool masked(std::int64_t r) const {
    return !excluded_offset.empty() && excluded_offset[r + 1] > excluded_offset[r];
  }
};

/// The sampled rows as pass 2 writes them: row r's entries start at
/// offset[r]. Only weighted rows can keep fewer entries than their bound;
/// they record how many in `kept` (empty for unweighted draws).
template <class V, class I>
struct sampled_rows {
  std::vector<std::int64_t> offset;
  std::vector<I> indices;
  std::vector<V> values;
  std::vector<std::int64_t> kept;
};

/// Pass 1 with exclusion (gathered rows only): finds each row's excluded
/// entries, those whose column its minibatch excludes for its vertex (every
/// copy; in row order, sorted or not), and takes them off its degree and
/// bound, so that the row draws as the masked row of exclude_entries would.
template <class V, index_type I, index_type O>
void exclude_from_extents(const csr_view<V, I, O>& m, const stacked_selection<I>& q, const excluded_edges<I>& ex,
                          row_sampling spec, row_extents<O>& extents, int threads) {
  const std::int64_t rows = q.rows();
  // Few rows hold an excluded pair (only the seed edges' endpoints can), so a
  // one-hash bit filter of the excluded sources, 8 bits per pair, turns most
  // rows away before the binary search in their minibatch's list.
  int filter_shift = 64 - 6;
  while ((std::uint64_t{1} << (64 - filter_shift)) < 8 * ex.src.size() && filter_shift > 1) --filter_shift;
  const auto slot = [&](I v) { return (static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ULL) >> filter_shift; };
  std::vector<std::uint64_t> filter((std::size_t{1} << (64 - filter_shift)) / 64 + 1, 0);
  for (const I v : ex.src) filter[slot(v) / 64] |= std::uint64_t{1} << (slot(v) % 64);
  // The (u, ·) pairs of row r's minibatch: [first, last) of ex.dst.
  const auto pairs = [&](std::int64_t r) {
    const I u = q.vertices[r];
    if (((filter[slot(u) / 64] >> (slot(u) % 64)) & 1) == 0) return std::pair<std::ptrdiff_t, std::ptrdiff_t>{0, 0};
    const auto mb = q.batch_of(r);
    const auto lo = ex.src.begin() + ex.offsets[mb], hi = ex.src.begin() + ex.offsets[mb + 1];
    const auto [first, last] = std::equal_range(lo, hi, u);
    return std::pair<std::ptrdiff_t, std::ptrdiff_t>{first - ex.src.begin(), last - ex.src.begin()};
  };
  const auto each_excluded = [&](std::int64_t r, auto&& visit) {
    const auto [first, last] = pairs(r);
    if (first == last) return;
    const I* dst = ex.dst.data() + first;
    const I* row = m.indices().data() + extents.begin[r];
    const std::int64_t degree = extents.degree_of[r];
    if (ex.sorted_rows) {  // one binary search per excluded column: hub rows are not scanned
      for (auto i = first; i < last; ++i) {
        const auto [lo, hi] = std::equal_range(row, row + degree, dst[i - first]);
        for (auto at = lo; at < hi; ++at) visit(at - row);
      }
      return;
    }
    for (std::int64_t j = 0; j < degree; ++j) {
      if (kernels::find_sorted(dst, last - first, row[j]) >= 0) visit(j);
    }
  };
  std::vector<std::int64_t> count(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t x = 0;
    each_excluded(r, [&](std::int64_t) { ++x; });
    count[r] = x;
  }
  extents.excluded_offset.resize(static_cast<std::size_t>(rows) + 1);
  extents.excluded.resize(static_cast<std::size_t>(exclusive_scan<std::int64_t>(count, extents.excluded_offset)));
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads)
  for (std::int64_t r = 0; r < rows; ++r) {
    if (count[r] == 0) continue;
    std::int64_t at = extents.excluded_offset[r];
    each_excluded(r, [&](std::int64_t j) { extents.excluded[at++] = j; });
    extents.degree_of[r] -= count[r];
    extents.bound[r] = kernels::sampled_count(extents.degree_of[r], spec.fanout);
  }
}

/// Pass 1: each row's extent, and the most entries it can yield; with
/// `excluded`, less the entries each row's minibatch excludes.
template <class V, index_type I, index_type O>
row_extents<O> sampled_row_extents(const csr_view<V, I, O>& m, bool gathered, const stacked_selection<I>& q,
                                   row_sampling spec, const char* what, int threads,
                                   const excluded_edges<I>* excluded = nullptr) {
  const std::int64_t rows = q.rows();
  const auto source = [&](std::int64_t r) -> std::int64_t { return gathered ? q.vertices[r] : r; };
  row_extents<O> extents{uninitialized<O>(rows), uninitialized<std::int64_t>(rows),
                         std::vector<std::int64_t>(static_cast<std::size_t>(rows))};
  auto& begin = extents.begin;
  auto& degree_of = extents.degree_of;
  auto& bound = extents.bound;
  detail::first_failure bad_row;
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads)
  for (std::int64_t r = 0; r < rows; ++r) {
    if (gathered && r + prefetch_distance < rows) {
      const I ahead = q.vertices[r + prefetch_distance];
      if (0 <= ahead && ahead < m.rows()) prefetch(m.indptr().data() + ahead);
    }
    const std::int64_t v = source(r);
    if (!detail::row_ok(m, v)) {
      bad_row.record(r);
      bound[r] = degree_of[r] = begin[r] = 0;
      continue;
    }
    begin[r] = m.row_begin(static_cast<I>(v));
    degree_of[r] = m.degree(static_cast<I>(v));
    bound[r] = kernels::sampled_count(degree_of[r], spec.fanout);
  }
  if (bad_row.failed()) detail::diagnose_row(m, source(bad_row.index()), what, bad_row.index());
  if (excluded != nullptr && !excluded->empty()) exclude_from_extents(m, q, *excluded, spec, extents, threads);
  return extents;
}

/// Pass 2 for one thread: draws each row's positions and copies the entries
/// they select into the row's slot, a chunk of rows at a time. Uniform draws
/// need nothing from memory, so each row's positions are drawn
/// prefetch_distance rows ahead into a ring and the entries they select are
/// prefetched; the copy then finds them cached. Weighted rows read their
/// whole row to build the CDF and go one by one. The scratch is the thread's,
/// reused across rows and chunks.
template <class V, index_type I, index_type O>
class row_drawer {
 public:
  /// Rows per scheduling chunk.
  static constexpr std::int64_t chunk = 256;

  row_drawer(const csr_view<V, I, O>& m, const stacked_selection<I>& q, row_sampling spec, std::uint64_t seed,
             std::uint64_t layer, bool weighted, const row_extents<O>& extents, sampled_rows<V, I>& out,
             first_failure& bad_content)
      : m(m),
        q(q),
        spec(spec),
        seed(seed),
        layer(layer),
        extents(extents),
        begin(extents.begin),
        degree_of(extents.degree_of),
        bound(extents.bound),
        offset(out.offset),
        indices(out.indices),
        values(out.values),
        kept(out.kept),
        bad_content(bad_content),
        sampling(spec.fanout >= 0 || weighted),
        pipelined(sampling && !weighted),
        // Small fanouts draw a chunk's random bits before its rows are staged:
        // the Philox blocks of different rows do not depend on each other, so
        // a loop of nothing else keeps several of their multiply chains in flight.
        batched(pipelined && spec.fanout <= kernels::small_sample),
        ring_width(std::max<std::int64_t>(spec.fanout, 1)),
        bits_width(batched ? spec.fanout : 0),
        ring(static_cast<std::size_t>(pipelined ? ring_rows * ring_width : 0)),
        bits(static_cast<std::size_t>(chunk * bits_width)) {}

  /// Samples rows [c0, c1).
  void sample_chunk(std::int64_t c0, std::int64_t c1) {
    if (pipelined) {
      pipelined_chunk(c0, c1);
      return;
    }
    one_by_one_chunk(c0, c1);
  }

 private:
  void draw_chunk(std::int64_t c0, std::int64_t c1) {
    bits_row0 = c0;
    for (std::int64_t r = c0; r < c1; ++r) {
      if (bound[r] == degree_of[r]) continue;
      philox_row_stream(seed, layer, q.address(r)).fill(bound[r], bits.data() + (r - c0) * bits_width);
    }
  }

  /// Draws row r's positions into its ring slot and prefetches their entries.
  void stage(std::int64_t r) {
    const std::int64_t count = bound[r];
    if (count == degree_of[r]) {  // whole row: no draws, it is read in order
      if (count > 0) prefetch(m.indices().data() + begin[r]);
      return;
    }
    std::int64_t* slot = ring.data() + (r % ring_rows) * ring_width;
    if (batched) {
      kernels::sample_small_uniform_positions(degree_of[r], count, spec.replace,
                                              bits.data() + (r - bits_row0) * bits_width, slot);
    } else {
      philox_row_stream rng(seed, layer, q.address(r));
      kernels::sample_uniform_positions(degree_of[r], spec.fanout, spec.replace, rng, slot);
    }
    const bool masked = extents.masked(r);
    for (std::int64_t j = 0; j < count; ++j) {
      prefetch(m.indices().data() + begin[r] + (masked ? extents.source_position(r, slot[j]) : slot[j]));
    }
  }

  /// Copies the entries at `pos` (the first `count` when null) of row r's source row to row r's slot.
  void emit(std::int64_t r, const std::int64_t* pos, std::int64_t count) {
    const O b = begin[r];
    const std::int64_t out = offset[r];
    const bool masked = extents.masked(r);  // once per row: the unmasked loop stays as it was
    for (std::int64_t j = 0; j < count; ++j) {
      const std::int64_t p = pos == nullptr ? j : pos[j];
      const O e = b + static_cast<O>(masked ? extents.source_position(r, p) : p);
      indices[out + j] = m.indices()[e];
      if (!values.empty()) values[out + j] = m.values()[e];
      if (!detail::column_ok(m, e)) bad_content.record(r);
    }
  }

  /// Uniform draws: stage prefetch_distance rows ahead, emit behind.
  void pipelined_chunk(std::int64_t c0, std::int64_t c1) {
    if (batched) draw_chunk(c0, c1);
    for (std::int64_t r = c0; r < std::min(c1, c0 + prefetch_distance); ++r) stage(r);
    for (std::int64_t r = c0; r < c1; ++r) {
      if (r + prefetch_distance < c1) stage(r + prefetch_distance);
      const bool whole = bound[r] == degree_of[r];
      emit(r, whole ? nullptr : ring.data() + (r % ring_rows) * ring_width, bound[r]);
    }
  }

  /// Whole rows, or weighted draws: one row after the other.
  void one_by_one_chunk(std::int64_t c0, std::int64_t c1) {
    for (std::int64_t r = c0; r < c1; ++r) {
      if (r + prefetch_distance < c1 && bound[r + prefetch_distance] > 0) {
        prefetch(m.indices().data() + begin[r + prefetch_distance]);
      }
      std::int64_t count = bound[r];
      if (!sampling || count == 0) {
        emit(r, nullptr, count);
        continue;
      }
      detail::grow(positions, count);
      detail::grow(cdf, degree_of[r]);
      philox_row_stream rng(seed, layer, q.address(r));
      const V* weights = m.values().data() + begin[r];
      if (extents.masked(r)) {  // the row without its excluded entries, as exclude_entries leaves it
        detail::grow(masked_weights, degree_of[r]);
        for (std::int64_t j = 0; j < degree_of[r]; ++j) { masked_weights[j] = weights[extents.source_position(r, j)]; }
        weights = masked_weights.data();
      }
      count = kernels::sample_weighted_positions(weights, degree_of[r], spec.fanout, spec.replace, rng, cdf.data(),
                                                 positions.data());
      if (count == kernels::bad_weight) {
        bad_content.record(r);
        count = 0;
      }
      emit(r, positions.data(), count);
      kept[r] = count;
    }
  }

  // The call's operands and outputs, shared by the threads.
  const csr_view<V, I, O>& m;
  const stacked_selection<I>& q;
  const row_sampling spec;
  const std::uint64_t seed, layer;
  const row_extents<O>& extents;
  const std::unique_ptr<O[]>& begin;
  const std::unique_ptr<std::int64_t[]>& degree_of;
  const std::vector<std::int64_t>& bound;
  const std::vector<std::int64_t>& offset;
  std::vector<I>& indices;
  std::vector<V>& values;
  std::vector<std::int64_t>& kept;
  first_failure& bad_content;  // a bad weight or an emitted column out of range
  // How the rows are drawn.
  const bool sampling, pipelined, batched;
  static constexpr std::int64_t ring_rows = prefetch_distance + 1;
  const std::int64_t ring_width, bits_width;
  // The thread's scratch.
  std::vector<std::int64_t> positions;
  std::vector<double> cdf;
  std::vector<V> masked_weights;
  std::vector<std::int64_t> ring;
  std::vector<std::uint64_t> bits;
  std::int64_t bits_row0 = 0;  // the chunk whose bits are in `bits`
};

/// Pass 2: every row draws and copies its entries (row_drawer); then a bad
/// weight or column is diagnosed.
template <class V, index_type I, index_type O>
void draw_and_copy(const csr_view<V, I, O>& m, bool gathered, const stacked_selection<I>& q, row_sampling spec,
                   std::uint64_t seed, std::uint64_t layer, const char* what, bool weighted,
                   const row_extents<O>& extents, sampled_rows<V, I>& out, int threads) {
  const std::int64_t rows = q.rows();
  const auto source = [&](std::int64_t r) -> std::int64_t { return gathered ? q.vertices[r] : r; };
  detail::first_failure bad_content;  // a bad weight or an emitted column out of range
  constexpr std::int64_t chunk = row_drawer<V, I, O>::chunk;
#pragma omp parallel num_threads(threads)
  {
    row_drawer<V, I, O> drawer(m, q, spec, seed, layer, weighted, extents, out, bad_content);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c0 = 0; c0 < rows; c0 += chunk) drawer.sample_chunk(c0, std::min(rows, c0 + chunk));
  }
  if (bad_content.failed()) {  // the same order as the reference: weights, then columns
    const auto r = bad_content.index();
    if (weighted && detail::row_has_bad_weight(m, source(r))) detail::throw_bad_weight(m, source(r), q, r, layer);
    detail::diagnose_row(m, source(r), what, r);
  }
}

/// Weighted rows that ran out of positive weight leave gaps: closes them.
template <class V, class I>
void close_gaps(sampled_rows<V, I>& sampled, int threads) {
  const std::int64_t rows = static_cast<std::int64_t>(sampled.kept.size());
  auto& offset = sampled.offset;
  auto& indices = sampled.indices;
  auto& values = sampled.values;
  const auto& kept = sampled.kept;
  std::vector<std::int64_t> packed(static_cast<std::size_t>(rows) + 1);
  const std::int64_t total = detail::exclusive_scan<std::int64_t>(kept, packed);
  std::vector<I> packed_indices(static_cast<std::size_t>(total));
  std::vector<V> packed_values(values.empty() ? 0 : static_cast<std::size_t>(total));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::copy_n(indices.begin() + offset[r], kept[r], packed_indices.begin() + packed[r]);
    if (!values.empty()) std::copy_n(values.begin() + offset[r], kept[r], packed_values.begin() + packed[r]);
  }
  offset.swap(packed);
  indices.swap(packed_indices);
  values.swap(packed_values);
}

/// The rows' int64 offsets as an indptr of O: moved when O is int64.
template <class O>
std::vector<O> indptr_from_offsets(std::vector<std::int64_t>& offset, int threads) {
  const std::int64_t rows = static_cast<std::int64_t>(offset.size()) - 1;
  std::vector<O> indptr;
  if constexpr (std::is_same_v<O, std::int64_t>) {
    indptr = std::move(offset);  // already the offsets, in their final type
  } else {
    indptr.resize(static_cast<std::size_t>(rows) + 1);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  }
  return indptr;
}

}  // namespace detail

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::sample_selected_rows(const csr_view<V, I, O>& m, bool gathered,
                                                      const stacked_selection<I>& q, row_sampling spec,
                                                      std::uint64_t seed, std::uint64_t layer, const char* what,
                                                      const excluded_edges<I>* excluded) const {
  const std::int64_t rows = q.rows();
  // Weights of a pattern matrix are all 1, so weighted sampling is uniform there.
  const bool weighted = spec.weighted && m.has_values();
  const auto extents = detail::sampled_row_extents(m, gathered, q, spec, what, threads_, excluded);

  detail::sampled_rows<V, I> out;
  out.offset.resize(static_cast<std::size_t>(rows) + 1);
  const std::int64_t capacity = detail::exclusive_scan<std::int64_t>(extents.bound, out.offset);
  (void)checked_cast<O>(capacity, "entries of the sampled rows");
  out.indices.resize(static_cast<std::size_t>(capacity));
  out.values.resize(m.has_values() ? static_cast<std::size_t>(capacity) : 0);
  if (weighted) out.kept = extents.bound;  // only weighted rows can keep fewer entries than their bound

  detail::draw_and_copy(m, gathered, q, spec, seed, layer, what, weighted, extents, out, threads_);
  if (weighted && out.kept != extents.bound) detail::close_gaps(out, threads_);
  std::vector<O> indptr = detail::indptr_from_offsets<O>(out.offset, threads_);
  return {detail::trusted,
          checked_cast<I>(rows, "rows of the sampled matrix"),
          m.cols(),
          std::move(indptr),
          std::move(out.indices),
          std::move(out.values)};
}

}  // namespace matsample
