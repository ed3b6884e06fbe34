#pragma once
// The CPU backend's SpGEMM row accumulator (Gustavson, one per thread).

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "matsample/backend/cpu/hash_map.hpp"
#include "matsample/backend/cpu/radix_sort.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample::detail {

/// One thread's Gustavson accumulator, reused across rows: a hash table for
/// rows with few products, a dense array when a row's products cover a
/// sizeable fraction of its column range.
template <class V, index_type I>
struct row_accumulator {
  static constexpr std::int64_t expand_sort_threshold = 4096;  ///< products from which a row is expanded and sorted

  scratch_hash_map<I, V> hashed;
  std::vector<V> dense;              // allocated on the first dense row
  std::vector<std::int64_t> marker;  // row that last wrote each dense column
  std::vector<I> touched, touched_scratch;
  std::vector<std::pair<I, V>> pairs, sort_scratch;

  /// Appends the entries of row r of A·B whose columns lie in [lo, hi),
  /// sorted, to cols/vals. Products are summed in traversal order. Columns of
  /// B outside B's shape are recorded in bad_b (by B's row) and skipped.
  template <class O>
  void multiply_row(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b, std::int64_t r, std::int64_t flops, I lo,
                    I hi, std::vector<I>& cols, std::vector<V>& vals, first_failure& bad_b) {
    const I n_cols = b.cols();
    const bool whole = lo == 0 && hi == n_cols;
    // Every accumulator below sees the same products in the same order.
    const auto for_each_product = [&](auto&& add) {
      for (O e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
        const I k = a.indices()[e];
        const V av = a.value(e);
        for (O f = b.row_begin(k); f < b.row_end(k); ++f) {
          const I j = b.indices()[f];
          if (j < 0 || j >= n_cols) {
            bad_b.record(k);
            continue;
          }
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
      radix_sort_by(touched, touched_scratch, n_cols, [](I j) { return j; });
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

}  // namespace matsample::detail
