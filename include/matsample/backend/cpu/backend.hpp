#pragma once
// The OpenMP CPU backend. Every kernel runs in two passes over the rows it
// touches (count, exclusive scan, fill), so outputs land at positions fixed by
// the input alone and are identical for any thread count. Scratch memory is
// per thread and reused across rows; nothing allocates per row and nothing
// locks.

#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <memory>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"
#include "matsample/sampling/blocks.hpp"

namespace matsample {

namespace detail {

/// Open-addressing map from vertex id to a value, reused across rows and
/// minibatches by one thread. Key and value share a slot, so a probe costs
/// one cache line; only slots that were filled are cleared.
template <index_type K, class Val>
class scratch_hash_map {
 public:
  /// Makes room for `n` keys (load factor <= 1/2) and empties the map.
  void reset(std::int64_t n) {
    const auto want = std::bit_ceil(static_cast<std::uint64_t>(std::max<std::int64_t>(2 * n, 16)));
    if (want > slots_.size()) {
      slots_.assign(want, slot_type{empty, Val{}});
      used_.clear();
    } else {
      for (const auto at : used_) slots_[at].key = empty;
      used_.clear();
    }
    mask_ = slots_.size() - 1;
    shift_ = 64 - std::countr_zero(slots_.size());
  }
  /// Starts loading the slot where `key` would be probed first.
  void prefetch(K key) const noexcept { __builtin_prefetch(slots_.data() + home(key), 1, 1); }

  /// The slot of `key`, inserting it with `value` if absent; `fresh` says which.
  std::size_t find_or_insert(K key, Val value, bool& fresh) {
    auto at = home(key);
    while (true) {
      auto& slot = slots_[at];
      if (slot.key == key) {
        fresh = false;
        return at;
      }
      if (slot.key == empty) {
        slot = {key, value};
        used_.push_back(at);
        fresh = true;
        return at;
      }
      at = (at + 1) & mask_;
    }
  }
  Val& value(std::size_t at) { return slots_[at].value; }
  std::size_t home(K key) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  K key(std::size_t at) const { return slots_[at].key; }
  /// Filled slots in insertion order.
  const std::vector<std::size_t>& used() const { return used_; }

 private:
  struct slot_type {
    K key;
    Val value;
  };
  static constexpr K empty = -1;
  std::vector<slot_type> slots_;
  std::vector<std::size_t> used_;
  std::size_t mask_ = 0;
  int shift_ = 64;
};

/// How far ahead (in rows or entries) the gather and compaction loops
/// prefetch. Their loads are random and independent across rows; issuing them
/// this far ahead keeps enough misses in flight to approach the machine's
/// random-gather rate instead of paying one memory latency per step.
inline constexpr std::int64_t prefetch_distance = 16;

template <class T>
inline void prefetch(const T* p) noexcept {
  __builtin_prefetch(static_cast<const void*>(p), 0, 1);
}

/// Scratch that is written before it is read: skips zero-filling.
template <class T>
std::unique_ptr<T[]> uninitialized(std::int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(std::max<std::int64_t>(n, 1))]);
}

template <class T>
void grow(std::vector<T>& v, std::int64_t n) {
  if (static_cast<std::int64_t>(v.size()) < n) v.resize(static_cast<std::size_t>(n));
}

/// Sorts (column, value) pairs by column, stably; columns are in [0, n_cols). Long rows (LADIES products have thousands of entries) take an
/// LSD radix sort with 11-bit digits: two or three counting passes whose
/// counters stay in L1, several times faster than comparison sorting there.
template <class I, class V>
void sort_by_column(std::vector<std::pair<I, V>>& items, std::vector<std::pair<I, V>>& scratch, std::int64_t n_cols) {
  constexpr int digit_bits = 11;
  constexpr std::size_t radix = std::size_t{1} << digit_bits;
  if (items.size() < 1024) {
    std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    return;
  }
  const int key_bits = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(std::max<std::int64_t>(n_cols - 1, 1))));
  scratch.resize(items.size());
  for (int shift = 0; shift < key_bits; shift += digit_bits) {
    std::array<std::size_t, radix + 1> start{};
    for (const auto& item : items) ++start[((static_cast<std::uint64_t>(item.first) >> shift) & (radix - 1)) + 1];
    for (std::size_t d = 0; d < radix; ++d) start[d + 1] += start[d];
    for (const auto& item : items) scratch[start[(static_cast<std::uint64_t>(item.first) >> shift) & (radix - 1)]++] = item;
    items.swap(scratch);
  }
}

/// One thread's Gustavson accumulator, reused across rows: a hash table for
/// rows with few products, a dense array when a row's products cover a
/// sizeable fraction of its column range.
template <class V, index_type I>
struct row_accumulator {
  static constexpr std::int64_t expand_sort_threshold = 4096;  ///< products from which a row is expanded and sorted

  scratch_hash_map<I, V> hashed;
  std::vector<V> dense;              // allocated on the first dense row
  std::vector<std::int64_t> marker;  // row that last wrote each dense column
  std::vector<I> touched;
  std::vector<std::pair<I, V>> pairs, sort_scratch;

  /// Appends the entries of row r of A·B whose columns lie in [lo, hi),
  /// sorted, to cols/vals. Products are summed in traversal order. Columns of
  /// B outside B's shape are recorded in bad_b (by B's row) and skipped.
  template <class O>
  void multiply_row(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b, std::int64_t r, std::int64_t flops, I lo, I hi,
                    std::vector<I>& cols, std::vector<V>& vals, first_failure& bad_b) {
    const I n_cols = b.cols();
    const bool whole = lo == 0 && hi == n_cols;
    // Every accumulator below sees the same products in the same order.
    const auto for_each_product = [&](auto&& add) {
      for (O e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
        const I k = a.indices()[e];
        const V av = a.value(e);
        for (O f = b.row_begin(k); f < b.row_end(k); ++f) {
          const I j = b.indices()[f];
          if (j < 0 || j >= n_cols) { bad_b.record(k); continue; }
          if (!whole && (j < lo || j >= hi)) continue;
          add(j, av * b.value(f));
        }
      }
    };
    if (flops * 8 >= static_cast<std::int64_t>(hi - lo)) {
      if (dense.empty()) {
        dense.assign(static_cast<std::size_t>(n_cols), V{0});
        marker.assign(static_cast<std::size_t>(n_cols), -1);
      }
      touched.clear();
      for_each_product([&](I j, V product) {
        if (marker[j] != r) {
          marker[j] = r;
          dense[j] = V{0};
          touched.push_back(j);
        }
        dense[j] += product;
      });
      std::sort(touched.begin(), touched.end());
      for (const I j : touched) {
        cols.push_back(j);
        vals.push_back(dense[j]);
      }
      return;
    }
    if (flops >= expand_sort_threshold) {
      // Expand, sort, compress: collect every product, radix-sort by column
      // (stable, so each column keeps its products in traversal order), then
      // sum the runs. For long rows this streams memory where a hash table
      // would probe it at random.
      pairs.resize(static_cast<std::size_t>(flops));  // grows once per thread, then reused
      std::size_t n = 0;
      for_each_product([&](I j, V product) { pairs[n++] = {j, product}; });
      pairs.resize(n);
      sort_by_column(pairs, sort_scratch, n_cols);
      for (std::size_t i = 0; i < pairs.size();) {
        const I j = pairs[i].first;
        V sum{0};  // from zero, as the other accumulators (so -0.0 products agree too)
        for (; i < pairs.size() && pairs[i].first == j; ++i) sum += pairs[i].second;
        cols.push_back(j);
        vals.push_back(sum);
      }
      return;
    }
    hashed.reset(flops);
    for_each_product([&](I j, V product) {
      bool fresh = false;
      const auto slot = hashed.find_or_insert(j, V{0}, fresh);
      hashed.value(slot) += product;
    });
    pairs.clear();
    for (const auto slot : hashed.used()) pairs.emplace_back(hashed.key(slot), hashed.value(slot));
    sort_by_column(pairs, sort_scratch, n_cols);
    for (const auto& [j, v] : pairs) {
      cols.push_back(j);
      vals.push_back(v);
    }
  }
};

}  // namespace detail

class cpu_backend {
 public:
  using memory_space = host_memory;
  static constexpr const char* name = "cpu";

  /// Uses `threads` OpenMP threads per kernel (0: OpenMP's default).
  explicit cpu_backend(int threads = 0) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}
  [[nodiscard]] int threads() const noexcept { return threads_; }

  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    const stacked_selection<I> unsampled{rows, {}, 0, 0};  // keeps whole rows: draws no addresses
    return sample_selected_rows(a, true, unsampled, row_sampling{-1, false, false}, 0, 0, "row selection");
  }

  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> sample_rows(const csr_view<V, I, O>& p, const stacked_selection<I>& q, row_sampling spec,
                                  std::uint64_t seed, std::uint64_t layer) const {
    if (p.rows() != q.rows()) {
      throw argument_error(detail::concat("sample_rows: P has ", p.rows(), " rows but Q has ", q.rows()));
    }
    validate_batches(q);
    return sample_selected_rows(p, false, q, spec, seed, layer, "sample_rows");
  }

  /// Fused Q·A and row sampling: reads only the sampled entries of each
  /// selected row of A instead of materialising P. Output is identical to
  /// sample_rows(gather_rows(A, q.vertices), q, ...).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a, const stacked_selection<I>& q,
                                        row_sampling spec, std::uint64_t seed, std::uint64_t layer) const {
    validate_batches(q);
    return sample_selected_rows(a, true, q, spec, seed, layer, "row selection");
  }

  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const;

  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                     std::span<const I> columns, std::span<const std::int64_t> column_blocks) const;

  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> relabel_columns(const csr_view<V, I, O>& m, std::span<const I> new_ids,
                                      std::int64_t new_cols) const {
    detail::check_relabelling(m, new_ids, new_cols);
    check_all_rows(m, "relabel_columns");
    std::vector<I> indices(static_cast<std::size_t>(m.nnz()));
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t e = 0; e < static_cast<std::int64_t>(m.nnz()); ++e) indices[e] = new_ids[m.indices()[e]];
    return {detail::trusted, m.rows(), static_cast<I>(new_cols), std::vector<O>(m.indptr().begin(), m.indptr().end()),
            std::move(indices), std::vector<V>(m.values().begin(), m.values().end())};
  }

  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const {
    using R = std::invoke_result_t<F&, I, I, V>;
    check_all_rows(m, "apply");
    std::vector<R> values(static_cast<std::size_t>(m.nnz()));
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
        values[e] = f(static_cast<I>(r), m.indices()[e], m.value(e));
      }
    }
    return csr_matrix<R, I, O>(detail::trusted, m.rows(), m.cols(),
                               std::vector<O>(m.indptr().begin(), m.indptr().end()),
                               std::vector<I>(m.indices().begin(), m.indices().end()), std::move(values));
  }

  template <class V, index_type I, index_type O, class Acc, class F>
  std::vector<Acc> row_reduce(const csr_view<V, I, O>& m, Acc init, F f) const {
    check_all_rows(m, "row_reduce");
    std::vector<Acc> out(static_cast<std::size_t>(m.rows()));
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      Acc acc = init;  // left to right within the row: the order is fixed
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) acc = f(acc, m.value(e));
      out[r] = acc;
    }
    return out;
  }

  template <class V, index_type I, index_type O>
  block_set<V, I, O> compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q,
                                    bool deduplicate) const;

 private:
  /// Row offsets and columns of every row (rows must be sound before any
  /// kernel reads them); O(nnz), used by kernels that visit every row anyway.
  template <class V, index_type I, index_type O>
  void check_all_rows(const csr_view<V, I, O>& m, const char* what) const {
    detail::first_failure bad;
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      if (!detail::row_ok(m, r)) { bad.record(r); continue; }
      for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
        if (!detail::column_ok(m, e)) { bad.record(r); break; }
      }
    }
    if (bad.failed()) detail::diagnose_row(m, bad.index(), what, bad.index());
  }

  /// Samples row source(r) of `m` for every stacked row r of q, where
  /// source(r) is q.vertices[r] when `gathered` (Q·A fused in) and r otherwise.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> sample_selected_rows(const csr_view<V, I, O>& m, bool gathered,
                                           const stacked_selection<I>& q, row_sampling spec, std::uint64_t seed,
                                           std::uint64_t layer, const char* what) const;

  int threads_;
};

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::sample_selected_rows(const csr_view<V, I, O>& m, bool gathered,
                                                      const stacked_selection<I>& q, row_sampling spec,
                                                      std::uint64_t seed, std::uint64_t layer,
                                                      const char* what) const {
  using detail::prefetch;
  using detail::prefetch_distance;
  const std::int64_t rows = q.rows();
  const auto source = [&](std::int64_t r) -> std::int64_t { return gathered ? q.vertices[r] : r; };
  // Weights of a pattern matrix are all 1, so weighted sampling is uniform there.
  const bool weighted = spec.weighted && m.has_values();
  const bool sampling = spec.fanout >= 0 || weighted;

  // Pass 1: each row's extent, and the most entries it can yield. The extent
  // is kept so that pass 2 reads it sequentially instead of returning to A's
  // offsets at random.
  auto begin = detail::uninitialized<O>(rows);
  auto degree_of = detail::uninitialized<std::int64_t>(rows);
  std::vector<std::int64_t> bound(static_cast<std::size_t>(rows));
  detail::first_failure bad_row;
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads_)
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

  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t capacity = detail::exclusive_scan<std::int64_t>(bound, offset);
  (void)checked_cast<O>(capacity, "entries of the sampled rows");
  std::vector<I> indices(static_cast<std::size_t>(capacity));
  std::vector<V> values(m.has_values() ? static_cast<std::size_t>(capacity) : 0);
  // Only weighted rows can keep fewer entries than their bound.
  std::vector<std::int64_t> kept(weighted ? bound : std::vector<std::int64_t>{});

  // Pass 2: draw and copy. Uniform draws need nothing from memory, so each
  // row's positions are drawn prefetch_distance rows ahead into a ring and
  // the entries they select are prefetched; the copy then finds them cached.
  // Weighted rows read their whole row to build the CDF and go one by one.
  detail::first_failure bad_content;  // a bad weight or an emitted column out of range
  const bool pipelined = sampling && !weighted;
  const std::int64_t ring_rows = prefetch_distance + 1;
  const std::int64_t ring_width = std::max<std::int64_t>(spec.fanout, 1);
  constexpr std::int64_t chunk = 256;
  // Small fanouts draw a chunk's random bits before its rows are staged: the
  // Philox blocks of different rows do not depend on each other, so a loop
  // of nothing else keeps several of their multiply chains in flight.
  const bool batched = pipelined && spec.fanout <= kernels::small_sample;
  const std::int64_t bits_width = batched ? spec.fanout : 0;
#pragma omp parallel num_threads(threads_)
  {
    std::vector<std::int64_t> positions;
    std::vector<double> cdf;
    std::vector<std::int64_t> ring(static_cast<std::size_t>(pipelined ? ring_rows * ring_width : 0));
    std::vector<std::uint64_t> bits(static_cast<std::size_t>(chunk * bits_width));
    std::int64_t bits_row0 = 0;  // the chunk whose bits are in `bits`
    const auto draw_chunk = [&](std::int64_t c0, std::int64_t c1) {
      bits_row0 = c0;
      for (std::int64_t r = c0; r < c1; ++r) {
        if (bound[r] == degree_of[r]) continue;
        philox_row_stream(seed, layer, q.address(r)).fill(bound[r], bits.data() + (r - c0) * bits_width);
      }
    };
    // Draws row r's positions into its ring slot and prefetches their entries.
    const auto stage = [&](std::int64_t r) {
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
      for (std::int64_t j = 0; j < count; ++j) prefetch(m.indices().data() + begin[r] + slot[j]);
    };
    const auto emit = [&](std::int64_t r, const std::int64_t* pos, std::int64_t count) {
      const O b = begin[r];
      const std::int64_t out = offset[r];
      for (std::int64_t j = 0; j < count; ++j) {
        const O e = b + static_cast<O>(pos == nullptr ? j : pos[j]);
        indices[out + j] = m.indices()[e];
        if (!values.empty()) values[out + j] = m.values()[e];
        if (!detail::column_ok(m, e)) bad_content.record(r);
      }
    };
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c0 = 0; c0 < rows; c0 += chunk) {
      const std::int64_t c1 = std::min(rows, c0 + chunk);
      if (pipelined) {
        if (batched) draw_chunk(c0, c1);
        for (std::int64_t r = c0; r < std::min(c1, c0 + prefetch_distance); ++r) stage(r);
        for (std::int64_t r = c0; r < c1; ++r) {
          if (r + prefetch_distance < c1) stage(r + prefetch_distance);
          const bool whole = bound[r] == degree_of[r];
          emit(r, whole ? nullptr : ring.data() + (r % ring_rows) * ring_width, bound[r]);
        }
        continue;
      }
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
        count = kernels::sample_weighted_positions(m.values().data() + begin[r], degree_of[r], spec.fanout,
                                                   spec.replace, rng, cdf.data(), positions.data());
        if (count == kernels::bad_weight) {
          bad_content.record(r);
          count = 0;
        }
        emit(r, positions.data(), count);
        kept[r] = count;
      }
    }
  }
  if (bad_content.failed()) {  // the same order as the reference: weights, then columns
    const auto r = bad_content.index();
    if (weighted && detail::row_has_bad_weight(m, source(r))) detail::throw_bad_weight(r);
    detail::diagnose_row(m, source(r), what, r);
  }

  // Weighted rows that ran out of positive weight leave gaps: close them.
  if (weighted && kept != bound) {
    std::vector<std::int64_t> packed(static_cast<std::size_t>(rows) + 1);
    const std::int64_t total = detail::exclusive_scan<std::int64_t>(kept, packed);
    std::vector<I> packed_indices(static_cast<std::size_t>(total));
    std::vector<V> packed_values(values.empty() ? 0 : static_cast<std::size_t>(total));
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t r = 0; r < rows; ++r) {
      std::copy_n(indices.begin() + offset[r], kept[r], packed_indices.begin() + packed[r]);
      if (!values.empty()) std::copy_n(values.begin() + offset[r], kept[r], packed_values.begin() + packed[r]);
    }
    offset.swap(packed);
    indices.swap(packed_indices);
    values.swap(packed_values);
  }
  std::vector<O> indptr;
  if constexpr (std::is_same_v<O, std::int64_t>) {
    indptr = std::move(offset);  // already the offsets, in their final type
  } else {
    indptr.resize(static_cast<std::size_t>(rows) + 1);
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  }
  return {detail::trusted, checked_cast<I>(rows, "rows of the sampled matrix"), m.cols(), std::move(indptr),
          std::move(indices), std::move(values)};
}

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
  if (a.cols() != b.rows()) {
    throw argument_error(detail::concat("spgemm: inner dimensions differ (", a.cols(), " vs ", b.rows(), ")"));
  }
  const std::int64_t rows = a.rows();
  // Flops per row decide both the accumulator and the split of work.
  std::vector<std::int64_t> flops(static_cast<std::size_t>(rows));
  detail::first_failure bad_a, bad_b;
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t f = 0;
    if (!detail::row_ok(a, r)) {
      bad_a.record(r);
    } else {
      for (O e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
        if (!detail::column_ok(a, e)) { bad_a.record(r); break; }
        const I k = a.indices()[e];
        if (!detail::row_ok(b, k)) { bad_b.record(k); continue; }
        f += b.degree(k);
      }
    }
    flops[r] = f;
  }
  if (bad_a.failed()) detail::diagnose_row(a, bad_a.index(), "spgemm left operand", bad_a.index());
  if (bad_b.failed()) detail::diagnose_row(b, bad_b.index(), "spgemm right operand", bad_b.index());
  std::vector<std::int64_t> flop_offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t total_flops = detail::exclusive_scan<std::int64_t>(flops, flop_offset);

  // Chunks of rows with about equal flops; several per thread so that
  // dynamic scheduling evens out what the flop count does not predict.
  const std::int64_t chunks = std::min<std::int64_t>(std::max<std::int64_t>(rows, 1), 16LL * threads_);
  std::vector<std::int64_t> chunk_row(static_cast<std::size_t>(chunks) + 1, rows);
  chunk_row[0] = 0;
  for (std::int64_t c = 1; c < chunks; ++c) {
    const std::int64_t target = total_flops / chunks * c + (total_flops % chunks) * c / chunks;
    chunk_row[c] = std::lower_bound(flop_offset.begin(), flop_offset.end() - 1, target) - flop_offset.begin();
    chunk_row[c] = std::max(chunk_row[c], chunk_row[c - 1]);
  }
  std::vector<std::vector<I>> chunk_cols(static_cast<std::size_t>(chunks));
  std::vector<std::vector<V>> chunk_vals(static_cast<std::size_t>(chunks));
  std::vector<std::int64_t> row_nnz(static_cast<std::size_t>(rows));
  const std::int64_t n_cols = b.cols();

  if (rows < threads_ && total_flops >= (std::int64_t{1} << 16)) {
    // Fewer rows than threads (LADIES with k = 1, FastGCN's column norms):
    // every thread takes a slice of each row's output columns. Each column
    // still sums its products in traversal order, so the values are the same
    // bits as with whole rows.
    for (std::int64_t r = 0; r < rows; ++r) {
      std::vector<std::vector<I>> slice_cols(static_cast<std::size_t>(threads_));
      std::vector<std::vector<V>> slice_vals(static_cast<std::size_t>(threads_));
#pragma omp parallel num_threads(threads_)
      {
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        detail::row_accumulator<V, I> acc;
        acc.multiply_row(a, b, r, flops[r], static_cast<I>(n_cols * t / team), static_cast<I>(n_cols * (t + 1) / team),
                         slice_cols[t], slice_vals[t], bad_b);
      }
      const std::size_t before = chunk_cols[0].size();
      for (int t = 0; t < threads_; ++t) {  // slices in column order: the row stays sorted
        chunk_cols[0].insert(chunk_cols[0].end(), slice_cols[t].begin(), slice_cols[t].end());
        chunk_vals[0].insert(chunk_vals[0].end(), slice_vals[t].begin(), slice_vals[t].end());
      }
      row_nnz[r] = static_cast<std::int64_t>(chunk_cols[0].size() - before);
    }
    for (std::int64_t c = 1; c <= chunks; ++c) chunk_row[c] = rows;  // chunk 0 holds every row
  } else {
#pragma omp parallel num_threads(threads_)
    {
      detail::row_accumulator<V, I> acc;  // per thread, reused across rows
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t c = 0; c < chunks; ++c) {
        auto& cols = chunk_cols[c];
        auto& vals = chunk_vals[c];
        cols.reserve(static_cast<std::size_t>(std::min(flop_offset[chunk_row[c + 1]] - flop_offset[chunk_row[c]],
                                                       (chunk_row[c + 1] - chunk_row[c]) * n_cols)));
        for (std::int64_t r = chunk_row[c]; r < chunk_row[c + 1]; ++r) {
          const std::size_t start = cols.size();
          acc.multiply_row(a, b, r, flops[r], I{0}, static_cast<I>(n_cols), cols, vals, bad_b);
          row_nnz[r] = static_cast<std::int64_t>(cols.size() - start);
        }
      }
    }
  }
  if (bad_b.failed()) detail::diagnose_row(b, bad_b.index(), "spgemm right operand", bad_b.index());
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(row_nnz, offset);
  (void)checked_cast<O>(nnz, "entries of A·B");
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(static_cast<std::size_t>(nnz));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t out = offset[chunk_row[c]];
    std::copy(chunk_cols[c].begin(), chunk_cols[c].end(), indices.begin() + out);
    std::copy(chunk_vals[c].begin(), chunk_vals[c].end(), values.begin() + out);
    for (std::int64_t r = chunk_row[c]; r < chunk_row[c + 1]; ++r) indptr[r] = static_cast<O>(offset[r]);
  }
  indptr[rows] = static_cast<O>(nnz);
  return {detail::trusted, a.rows(), b.cols(), std::move(indptr), std::move(indices), std::move(values)};
}

template <class V, index_type I, index_type O>
csr_matrix<V, I, O> cpu_backend::select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                                std::span<const I> columns,
                                                std::span<const std::int64_t> column_blocks) const {
  detail::check_column_blocks(m, row_blocks, columns, column_blocks);
  check_all_rows(m, "select_columns");
  const std::int64_t rows = m.rows();
  const auto block_of = [&](std::int64_t r) {
    return (std::upper_bound(row_blocks.begin(), row_blocks.end(), r) - row_blocks.begin()) - 1;
  };
  // Position of column c in block blk's list, or -1.
  const auto find = [&](std::int64_t blk, I c) -> std::int64_t {
    const auto first = columns.begin() + column_blocks[blk], last = columns.begin() + column_blocks[blk + 1];
    const auto it = std::lower_bound(first, last, c);
    return (it != last && *it == c) ? it - columns.begin() : -1;
  };
  std::vector<std::int64_t> count(static_cast<std::size_t>(rows));
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto blk = block_of(r);
    std::int64_t n = 0;
    for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) n += find(blk, m.indices()[e]) >= 0;
    count[r] = n;
  }
  std::vector<std::int64_t> offset(static_cast<std::size_t>(rows) + 1);
  const std::int64_t nnz = detail::exclusive_scan<std::int64_t>(count, offset);
  (void)checked_cast<O>(nnz, "entries of M·C");
  std::vector<O> indptr(static_cast<std::size_t>(rows) + 1);
  std::vector<I> indices(static_cast<std::size_t>(nnz));
  std::vector<V> values(m.has_values() ? static_cast<std::size_t>(nnz) : 0);
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto blk = block_of(r);
    std::int64_t out = offset[r];
    for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
      const std::int64_t j = find(blk, m.indices()[e]);
      if (j < 0) continue;
      indices[out] = static_cast<I>(j);
      if (!values.empty()) values[out] = m.values()[e];
      ++out;
    }
  }
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (std::int64_t r = 0; r <= rows; ++r) indptr[r] = static_cast<O>(offset[r]);
  return {detail::trusted, m.rows(), checked_cast<I>(columns.size(), "columns of C"), std::move(indptr),
          std::move(indices), std::move(values)};
}

template <class V, index_type I, index_type O>
block_set<V, I, O> cpu_backend::compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q,
                                               bool deduplicate) const {
  validate_batches(q);
  if (s.rows() != q.rows()) {
    throw argument_error(detail::concat("compact_blocks: ", s.rows(), " sampled rows for ", q.rows(), " destinations"));
  }
  check_all_rows(s, "compact_blocks");
  const std::int64_t k = q.batches();
  block_set<V, I, O> out;
  out.row_offsets.assign(q.batch_offsets.begin(), q.batch_offsets.end());
  out.edge_offsets.resize(static_cast<std::size_t>(k) + 1);
  for (std::int64_t m = 0; m <= k; ++m) out.edge_offsets[m] = s.indptr()[q.batch_offsets[m]];
  // Block m's source nodes fit in n_dst + n_edges slots; lay those bounds end to end.
  std::vector<std::int64_t> bound_offset(static_cast<std::size_t>(k) + 1, 0);
  for (std::int64_t m = 0; m < k; ++m) {
    const std::int64_t bound = (q.batch_offsets[m + 1] - q.batch_offsets[m]) +
                               (out.edge_offsets[m + 1] - out.edge_offsets[m]);
    (void)checked_cast<I>(bound, "source nodes of a block");
    bound_offset[m + 1] = bound_offset[m] + bound;
  }
  out.indptr.resize(static_cast<std::size_t>(q.rows() + k));
  out.indices.resize(static_cast<std::size_t>(s.nnz()));
  out.values.assign(s.values().begin(), s.values().end());
  auto nodes_bound = detail::uninitialized<I>(bound_offset[k]);
  std::vector<std::int64_t> node_count(static_cast<std::size_t>(k));
  detail::first_failure duplicate;

#pragma omp parallel num_threads(threads_)
  {
    detail::scratch_hash_map<I, I> local;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t m = 0; m < k; ++m) {
      const std::int64_t r0 = q.batch_offsets[m], r1 = q.batch_offsets[m + 1];
      const std::int64_t e0 = out.edge_offsets[m], e1 = out.edge_offsets[m + 1];
      I* nodes = nodes_bound.get() + bound_offset[m];
      I n = 0;
      O* indptr = out.indptr.data() + r0 + m;
      for (std::int64_t r = r0; r <= r1; ++r) indptr[r - r0] = static_cast<O>(s.indptr()[r] - e0);
      if (deduplicate) local.reset((r1 - r0) + (e1 - e0));
      bool fresh = false;
      for (std::int64_t r = r0; r < r1; ++r) {
        if (deduplicate) {
          local.find_or_insert(q.vertices[r], n, fresh);
          if (!fresh) duplicate.record(m);
        }
        nodes[n++] = q.vertices[r];
      }
      for (std::int64_t e = e0; e < e1; ++e) {
        const I c = s.indices()[e];
        if (deduplicate && e + detail::prefetch_distance < e1) local.prefetch(s.indices()[e + detail::prefetch_distance]);
        if (deduplicate) {
          const auto slot = local.find_or_insert(c, n, fresh);
          if (fresh) nodes[n++] = c;
          out.indices[e] = local.value(slot);
        } else {
          out.indices[e] = n;
          nodes[n++] = c;
        }
      }
      node_count[m] = n;
    }
  }
  if (duplicate.failed()) {
    const auto m = duplicate.index();
    std::vector<I> dst(q.vertices.begin() + q.batch_offsets[m], q.vertices.begin() + q.batch_offsets[m + 1]);
    std::sort(dst.begin(), dst.end());
    detail::throw_duplicate_destination(*std::adjacent_find(dst.begin(), dst.end()), m);
  }
  out.node_offsets.resize(static_cast<std::size_t>(k) + 1);
  const std::int64_t total = detail::exclusive_scan<std::int64_t>(node_count, out.node_offsets);
  out.src_nodes.resize(static_cast<std::size_t>(total));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
  for (std::int64_t m = 0; m < k; ++m) {
    std::copy_n(nodes_bound.get() + bound_offset[m], node_count[m], out.src_nodes.begin() + out.node_offsets[m]);
  }
  return out;
}

}  // namespace matsample
