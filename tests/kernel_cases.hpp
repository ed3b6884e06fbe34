#pragma once
// The kernel test cases, written once and instantiated for every index
// configuration on every backend of MATSAMPLE_KERNEL_BACKENDS (the backend
// axis of tests/backends.hpp): tests/test_kernels.cpp includes this file for
// the reference and the OpenMP backend with 1 and 2 threads (test::backends),
// tests/cuda/test_cuda.cu for the CUDA backends (test::cuda_backends). Each
// case holds its backend to the reference backend (exact equality) and checks
// properties of the backend's result independently of the reference.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "backends.hpp"
#include "matsample/matsample.hpp"
#include "support.hpp"

#ifndef MATSAMPLE_KERNEL_BACKENDS
#define MATSAMPLE_KERNEL_BACKENDS test::backends
#endif

namespace kernel_cases {

using test::ref;

/// Every case below runs on every index configuration and backend of this pair.
using axis = test::each_config_on<MATSAMPLE_KERNEL_BACKENDS>;

using test::d_i32_o32;
using test::d_i32_o64;
using test::d_i64_o64;
using test::f_i32_o64;
using test::mat;

enum class weights { none, positive, with_zeros };

/// rows x cols with merged duplicates (distinct columns per row). Row r % 7 == 0
/// is empty, r % 7 == 1 has one entry, `hub_row` has `hub_degree` distinct columns.
template <class C>
mat<C> random_matrix(i64 rows, i64 cols, i64 avg_degree, std::uint64_t seed, weights w, i64 hub_row = -1,
                     i64 hub_degree = 0) {
  using V = typename C::V;
  using I = typename C::I;
  std::mt19937_64 gen(seed);
  std::vector<I> r_ids, c_ids;
  std::vector<V> vals;
  std::vector<i64> all_cols(static_cast<std::size_t>(cols));
  std::iota(all_cols.begin(), all_cols.end(), 0);
  const auto push = [&](i64 r, i64 c) {
    r_ids.push_back(static_cast<I>(r));
    c_ids.push_back(static_cast<I>(c));
    if (w == weights::none) return;
    if (w == weights::with_zeros && gen() % 4 == 0) {
      vals.push_back(V{0});
    } else {
      vals.push_back(static_cast<V>(static_cast<double>(1 + gen() % 64) / 64.0));
    }
  };
  for (i64 r = 0; r < rows; ++r) {
    if (cols == 0) break;
    if (r == hub_row) {
      std::shuffle(all_cols.begin(), all_cols.end(), gen);
      for (i64 i = 0; i < hub_degree; ++i) push(r, all_cols[static_cast<std::size_t>(i)]);
      continue;
    }
    const i64 deg = r % 7 == 0   ? 0
                    : r % 7 == 1 ? 1
                                 : static_cast<i64>(gen() % static_cast<std::uint64_t>(2 * avg_degree + 1));
    for (i64 i = 0; i < deg; ++i) push(r, static_cast<i64>(gen() % static_cast<std::uint64_t>(cols)));
  }
  ms::build_options opt;
  opt.merge_duplicates = true;
  return ms::csr_from_coo<V, I, typename C::O>(rows, cols, sp(r_ids), sp(c_ids), sp(vals), opt);
}

template <class C>
struct named {
  std::string name;
  mat<C> m;
  i64 hub = -1;  ///< a vertex of high degree worth selecting, or -1
};

/// Square graphs for the node-wise kernels.
template <class C>
std::vector<named<C>> square_graphs() {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  std::vector<named<C>> out;
  out.push_back({"default 0x0", mat<C>{}});
  out.push_back({"built 0x0", ms::csr_from_coo<V, I, O>(0, 0, {}, {})});
  out.push_back({"n=3", random_matrix<C>(3, 3, 1, 5, weights::positive)});
  out.push_back({"n=40 with zero weights", random_matrix<C>(40, 40, 3, 11, weights::with_zeros)});
  out.push_back({"n=40 pattern", random_matrix<C>(40, 40, 3, 12, weights::none)});
  out.push_back({"hub n=2100 weighted", random_matrix<C>(2100, 2100, 4, 13, weights::with_zeros, 5, 2000), 5});
  out.push_back({"hub n=2100 pattern", random_matrix<C>(2100, 2100, 4, 14, weights::none, 9, 2000), 9});
  ms::rmat_options ro;
  ro.scale = 9;
  ro.edge_factor = 8;
  ro.seed = 3;
  auto g = ms::rmat<V, I, O>(ro);
  auto weighted = ref.apply(
      g.view(), [](I r, I c, V) { return static_cast<V>(static_cast<double>((r * 31 + c * 17) % 11) / 8.0); });
  out.push_back({"rmat scale 9 pattern", g});
  out.push_back({"rmat scale 9 weighted", weighted});
  return out;
}

template <class I>
struct selection_data {
  std::vector<I> vertices;
  std::vector<i64> offsets{0};
  [[nodiscard]] ms::stacked_selection<I> q(std::uint64_t epoch = 0, std::uint64_t first_batch = 0) const {
    return {sp(vertices), sp(offsets), epoch, first_batch};
  }
};

/// Batches of the given sizes over [0, n). With `unique`, each batch holds
/// distinct vertices (sizes clipped to n); otherwise vertices may repeat.
/// `hub` (if >= 0) leads the first non-empty batch.
template <class I>
selection_data<I> make_selection(i64 n, const std::vector<i64>& sizes, std::uint64_t seed, bool unique, i64 hub = -1) {
  selection_data<I> out;
  std::mt19937_64 gen(seed);
  std::vector<I> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), I{0});
  bool hub_placed = hub < 0;
  for (const i64 want : sizes) {
    const i64 size = n == 0 ? 0 : unique ? std::min(want, n) : want;
    std::shuffle(ids.begin(), ids.end(), gen);
    std::vector<I> batch;
    for (i64 i = 0; i < size; ++i) {
      batch.push_back(unique ? ids[static_cast<std::size_t>(i)]
                             : static_cast<I>(gen() % static_cast<std::uint64_t>(n)));
    }
    if (!hub_placed && size > 0) {
      const auto it = std::find(batch.begin(), batch.end(), static_cast<I>(hub));
      if (it != batch.end())
        std::iter_swap(batch.begin(), it);
      else
        batch.front() = static_cast<I>(hub);
      hub_placed = true;
    }
    out.vertices.insert(out.vertices.end(), batch.begin(), batch.end());
    out.offsets.push_back(static_cast<i64>(out.vertices.size()));
  }
  return out;
}

template <class C>
std::vector<selection_data<typename C::I>> selections_for(const named<C>& g, bool unique) {
  const i64 n = g.m.rows();
  std::vector<selection_data<typename C::I>> out;
  out.push_back(make_selection<typename C::I>(n, {}, 1, unique));          // k = 0
  out.push_back(make_selection<typename C::I>(n, {0, 0}, 2, unique));      // empty batches
  out.push_back(make_selection<typename C::I>(n, {1}, 3, unique, g.hub));  // one row
  out.push_back(make_selection<typename C::I>(n, {5, 0, 17, 1, 30}, 4, unique, g.hub));
  return out;
}

template <class V, class I, class O>
std::vector<std::pair<I, V>> row_entries(const ms::csr_view<V, I, O>& v, i64 r) {
  std::vector<std::pair<I, V>> out;
  for (auto e = v.row_begin(static_cast<I>(r)); e < v.row_end(static_cast<I>(r)); ++e) {
    out.emplace_back(v.indices()[static_cast<std::size_t>(e)], v.value(e));
  }
  return out;
}

template <class V, class I, class O>
std::vector<std::pair<I, V>> row_entries(const ms::csr_matrix<V, I, O>& m, i64 r) {
  return row_entries(m.view(), r);
}

/// Checks S = sample(P) against the contract without the reference: counts,
/// entries drawn from the row, ascending order, zero weights never drawn.
template <class M>
void check_sample_properties(const M& p, const M& s, ms::row_sampling spec) {
  using V = typename M::value_type;
  REQUIRE(s.rows() == p.rows());
  CHECK(s.cols() == p.cols());
  CHECK(s.has_values() == (p.has_values() && s.nnz() > 0));
  CHECK_NOTHROW(ms::validate(s.view()));
  const bool weighted = spec.weighted && p.has_values();
  for (i64 r = 0; r < p.rows(); ++r) {
    const auto prow = row_entries(p, r), srow = row_entries(s, r);
    const auto degree = static_cast<i64>(prow.size());
    const i64 expected = ms::kernels::sampled_count(degree, spec.fanout);
    const i64 got = static_cast<i64>(srow.size());
    if (expected == degree) {
      CHECK(srow == prow);
      continue;
    }
    const i64 positive = std::count_if(prow.begin(), prow.end(), [](const auto& e) { return e.second > V{0}; });
    if (!weighted) {
      CHECK(got == expected);
    } else if (spec.replace) {
      CHECK(got == (positive > 0 ? expected : 0));
    } else {
      CHECK(got == std::min(expected, positive));
    }
    std::map<std::pair<i64, V>, i64> available;
    for (const auto& [c, v] : prow) ++available[{c, v}];
    for (std::size_t i = 0; i < srow.size(); ++i) {
      const std::pair<i64, V> key{srow[i].first, srow[i].second};
      REQUIRE(available.contains(key));
      if (!spec.replace) CHECK(--available[key] >= 0);
      if (weighted) CHECK(srow[i].second > V{0});
      if (i > 0) {
        // Columns of P's rows are ascending and distinct, and positions come out ascending.
        if (spec.replace)
          CHECK(srow[i - 1].first <= srow[i].first);
        else
          CHECK(srow[i - 1].first < srow[i].first);
      }
    }
  }
}

/// Fanouts below the degree of most rows (the whole-row cases have their own test).
std::vector<ms::row_sampling> sampling_specs() {
  std::vector<ms::row_sampling> out;
  for (const i64 fanout : {i64{1}, i64{3}, i64{25}, i64{300}}) {
    for (const bool replace : {false, true}) {
      for (const bool weighted : {false, true}) out.push_back({fanout, replace, weighted});
    }
  }
  return out;
}

/// The products of the spgemm case: A, B and a name.
template <class C>
struct product {
  std::string name;
  mat<C> a, b;
};

template <class C>
std::vector<product<C>> spgemm_products() {
  std::vector<product<C>> cases;
  cases.push_back({"0x0 * 0x0", mat<C>{}, mat<C>{}});
  cases.push_back(
      {"5x0 * 0x7", random_matrix<C>(5, 0, 2, 1, weights::positive), random_matrix<C>(0, 7, 2, 2, weights::positive)});
  cases.push_back({"120x300 * 300x80", random_matrix<C>(120, 300, 6, 3, weights::positive),
                   random_matrix<C>(300, 80, 5, 4, weights::positive)});
  cases.push_back({"pattern 60x90 * pattern 90x45", random_matrix<C>(60, 90, 8, 5, weights::none),
                   random_matrix<C>(90, 45, 8, 6, weights::none)});
  // A hub row of A (dense accumulator) and sparse rows (hashed accumulator).
  cases.push_back({"hub 300x2100 * 2100x150", random_matrix<C>(300, 2100, 3, 7, weights::positive, 11, 2000),
                   random_matrix<C>(2100, 150, 2, 8, weights::positive)});
  cases.push_back({"40x2100 * hub 2100x2100", random_matrix<C>(40, 2100, 4, 9, weights::positive),
                   random_matrix<C>(2100, 2100, 2, 10, weights::positive, 3, 2000)});
  {
    ms::rmat_options ro;
    ro.scale = 8;
    ro.edge_factor = 4;
    ro.seed = 17;
    auto g = ms::rmat<typename C::V, typename C::I, typename C::O>(ro);
    cases.push_back({"rmat * rmat", g, g});
  }
  return cases;
}

/// Calls f(Q, A, Q·A by the reference) for the long-row products: A is an
/// R-MAT graph with uneven weights; Q is one row selecting every vertex
/// (FastGCN's column norms), then three rows of 1500 scattered vertices
/// with weights (LADIES frontiers).
template <class C, class F>
void for_long_row_products(F&& f) {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  const auto pattern = ms::rmat<V, I, O>({.scale = 12, .edge_factor = 16, .seed = 13});
  std::vector<V> w(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < w.size(); ++e)
    w[e] = static_cast<V>(0.5 + 0.013 * static_cast<double>((e * 40503u) % 977));
  const ms::csr_matrix<V, I, O> a(pattern.rows(), pattern.cols(), {pattern.indptr().begin(), pattern.indptr().end()},
                                  {pattern.indices().begin(), pattern.indices().end()}, w);
  REQUIRE(a.nnz() >= (1 << 16));  // one row of all ones has enough products for the split path
  for (const std::int64_t k : {1, 3}) {
    CAPTURE(k);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (std::int64_t m = 0; m < k; ++m) {
      const std::int64_t count = k == 1 ? a.rows() : 1500;
      for (std::int64_t i = 0; i < count; ++i) {
        indices.push_back(
            static_cast<I>(k == 1 ? i : (i * 2654435761u + static_cast<std::uint64_t>(m) * 97) % a.rows()));
        values.push_back(static_cast<V>(1.0 + 0.25 * static_cast<double>(i % 5)));
      }
      indptr.push_back(static_cast<O>(indices.size()));
    }
    const ms::csr_view<V, I, O> q(static_cast<I>(k), a.rows(), indptr, indices, values);
    const auto expected = ref.spgemm(q, a.view());
    REQUIRE(expected.view().degree(0) >= 1024);  // the radix sort's range
    f(q, a.view(), expected);
  }
}

/// Each minibatch's excluded pairs (sorted, as the sets hold them) as the
/// arrays of an excluded_edges.
template <class I>
struct exclusion_lists {
  std::vector<i64> offsets{0};
  std::vector<I> src, dst;
  explicit exclusion_lists(const std::vector<std::set<std::pair<I, I>>>& banned) {
    for (const auto& set : banned) {
      for (const auto& [u, v] : set) {
        src.push_back(u);
        dst.push_back(v);
      }
      offsets.push_back(static_cast<i64>(src.size()));
    }
  }
  [[nodiscard]] ms::excluded_edges<I> view() const { return {sp(offsets), sp(src), sp(dst)}; }
};

// ---- the cases: T is test::on<config, backend fixture> ----------------------

MATSAMPLE_TEST_CASE_OVER("gather_rows: equals the reference and copies the selected rows", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  for (const auto& g : square_graphs<C>()) {
    for (const bool unique : {true, false}) {
      for (const auto& sel : selections_for(g, unique)) {
        CAPTURE(g.name);
        CAPTURE(sel.vertices.size());
        const auto want = ref.gather_rows(g.m.view(), sp(sel.vertices));
        const auto r = b.gather_rows(g.m.view(), sp(sel.vertices));
        CHECK(r == want);
        // Independently of the reference: row i is row vertices[i] of A.
        REQUIRE(r.rows() == static_cast<i64>(sel.vertices.size()));
        CHECK(r.cols() == g.m.cols());
        // With no entries, values are empty: the matrix reads as a pattern.
        CHECK(r.has_values() == (g.m.has_values() && r.nnz() > 0));
        for (std::size_t i = 0; i < sel.vertices.size(); ++i) {
          CHECK(row_entries(r, static_cast<i64>(i)) == row_entries(g.m, sel.vertices[i]));
        }
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("sample_rows, gather_and_sample: equal the reference for every spec", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  const auto specs = sampling_specs();
  for (const auto& g : square_graphs<C>()) {
    auto sels = selections_for(g, true);
    sels.push_back(make_selection<typename C::I>(g.m.rows(), {12, 3, 20}, 5, false, g.hub));  // repeats
    for (const auto& sel : sels) {
      const auto q = sel.q(3, 7);
      const auto p = ref.gather_rows(g.m.view(), sp(sel.vertices));
      for (const auto& spec : specs) {
        CAPTURE(g.name);
        CAPTURE(sel.vertices.size());
        CAPTURE(spec.fanout);
        CAPTURE(spec.replace);
        CAPTURE(spec.weighted);
        const auto want = ref.sample_rows(p.view(), q, spec, 0xfeedULL, 2);
        const auto r = b.sample_rows(p.view(), q, spec, 0xfeedULL, 2);
        CHECK(r == want);
        // A backend's fused gather_and_sample (which ms::gather_and_sample
        // calls where there is one) must equal the composition it replaces.
        CHECK(ms::gather_and_sample(b, g.m.view(), q, spec, 0xfeedULL, 2) == want);
        check_sample_properties(p, r, spec);
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("gather_and_sample: bulk-sized selections (pipelined, many chunks) equal the reference", T,
                         axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using I = typename C::I;
  // Many 256-row chunks, so the prefetch pipeline's ring wraps and chunk
  // edges are crossed; repeated and scattered vertices across 16 minibatches.
  const auto g = ms::rmat<typename C::V, I, typename C::O>({.scale = 12, .edge_factor = 8, .seed = 5});
  std::vector<I> vertices(40000);
  std::mt19937_64 rng(11);
  for (auto& v : vertices) v = static_cast<I>(rng() % static_cast<std::uint64_t>(g.rows()));
  std::vector<i64> offsets;
  for (i64 m = 0; m <= 16; ++m) offsets.push_back(m * 2500);
  const ms::stacked_selection<I> q{sp(vertices), sp(offsets), 1, 40};
  // The same graph with weights, zeros included, so weighted ITS is exercised.
  using V = typename C::V;
  const auto weighted = ref.apply(g.view(), [](I r, I c, V) { return static_cast<V>((r * 7 + c) % 5); });
  for (const auto* graph : {&g, &weighted}) {
    for (const auto& spec : sampling_specs()) {
      CAPTURE(graph->has_values());
      CAPTURE(spec.fanout);
      CAPTURE(spec.replace);
      CAPTURE(spec.weighted);
      const auto expected = ref.sample_rows(ref.gather_rows(graph->view(), sp(vertices)).view(), q, spec, 3, 1);
      CHECK(ms::gather_and_sample(b, graph->view(), q, spec, 3, 1) == expected);
    }
  }
  // A bad vertex in a bulk-sized selection is still reported at its position.
  vertices[31000] = static_cast<I>(g.rows());
  CHECK_THROWS_WITH_AS(ms::gather_and_sample(b, g.view(), q, ms::row_sampling{5, false, false}, 3, 1),
                       doctest::Contains("at position 31000"), ms::out_of_range_error);
}

MATSAMPLE_TEST_CASE_OVER("sample_rows: fanout -1 and fanout above the degree keep P", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  for (const auto& g : square_graphs<C>()) {
    const auto sel = make_selection<typename C::I>(g.m.rows(), {8, 8}, 21, true, g.hub);
    const auto p = ref.gather_rows(g.m.view(), sp(sel.vertices));
    i64 max_degree = 0;
    for (i64 r = 0; r < p.rows(); ++r)
      max_degree = std::max<i64>(max_degree, p.view().degree(static_cast<typename C::I>(r)));
    for (const i64 fanout : {i64{-1}, max_degree, max_degree + 1}) {
      for (const bool replace : {false, true}) {
        for (const bool weighted : {false, true}) {
          CAPTURE(g.name);
          CAPTURE(fanout);
          const ms::row_sampling spec{fanout, replace, weighted};
          CHECK(b.sample_rows(p.view(), sel.q(), spec, 5, 0) == p);
          CHECK(ms::gather_and_sample(b, g.m.view(), sel.q(), spec, 5, 0) == p);
        }
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("sample_rows: draws follow (seed, layer, epoch, global minibatch, row)", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  const auto g = random_matrix<C>(2100, 2100, 4, 31, weights::positive, 7, 2000);
  const auto sel = make_selection<typename C::I>(2100, {6, 0, 9, 4}, 32, true, 7);
  const auto p = ref.gather_rows(g.view(), sp(sel.vertices));
  for (const bool weighted : {false, true}) {
    for (const bool replace : {false, true}) {
      const ms::row_sampling spec{10, replace, weighted};
      CAPTURE(weighted);
      CAPTURE(replace);
      const auto base = b.sample_rows(p.view(), sel.q(1, 40), spec, 9, 1);
      // Every input word of the stream matters (the hub row has C(2000, 10) outcomes).
      CHECK(b.sample_rows(p.view(), sel.q(1, 40), spec, 10, 1) != base);
      CHECK(b.sample_rows(p.view(), sel.q(1, 40), spec, 9, 2) != base);
      CHECK(b.sample_rows(p.view(), sel.q(2, 40), spec, 9, 1) != base);
      CHECK(b.sample_rows(p.view(), sel.q(1, 41), spec, 9, 1) != base);
      CHECK(b.sample_rows(p.view(), sel.q(1, 40), spec, 9, 1) == base);
      // Sampling k minibatches at once gives what k separate calls give.
      for (std::size_t m = 0; m + 1 < sel.offsets.size(); ++m) {
        const auto b0 = sel.offsets[m], b1 = sel.offsets[m + 1];
        std::vector<typename C::I> verts(sel.vertices.begin() + b0, sel.vertices.begin() + b1);
        const std::vector<i64> off{0, b1 - b0};
        const ms::stacked_selection<typename C::I> one{sp(verts), sp(off), 1, 40 + m};
        const auto single_ref = ms::gather_and_sample(ref, g.view(), one, spec, 9, 1);
        const auto single = ms::gather_and_sample(b, g.view(), one, spec, 9, 1);
        CHECK(single == single_ref);
        for (i64 r = 0; r < b1 - b0; ++r) CHECK(row_entries(single_ref, r) == row_entries(base, b0 + r));
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("compact_blocks: equals the reference; blocks relabel S", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  for (const auto& g : square_graphs<C>()) {
    for (const bool deduplicate : {true, false}) {
      // De-duplication needs distinct destinations per minibatch; paper mode takes any.
      for (const auto& sel : selections_for(g, deduplicate)) {
        for (const i64 fanout : {i64{-1}, i64{3}}) {
          CAPTURE(g.name);
          CAPTURE(deduplicate);
          CAPTURE(fanout);
          CAPTURE(sel.vertices.size());
          const auto q = sel.q();
          const auto s = ms::gather_and_sample(ref, g.m.view(), q, ms::row_sampling{fanout, false, false}, 4, 0);
          const auto r = b.compact_blocks(s.view(), q, deduplicate);
          CHECK(r == ref.compact_blocks(s.view(), q, deduplicate));

          REQUIRE(r.size() == q.batches());
          CHECK(r.num_edges() == static_cast<i64>(s.nnz()));
          CHECK(r.values == s.values());
          for (i64 m = 0; m < r.size(); ++m) {
            const auto blk = r[m];
            const auto b0 = sel.offsets[static_cast<std::size_t>(m)];
            CHECK_NOTHROW(ms::validate(blk.adjacency));
            REQUIRE(blk.num_dst() == sel.offsets[static_cast<std::size_t>(m) + 1] - b0);
            CHECK(std::equal(blk.dst_nodes().begin(), blk.dst_nodes().end(), sel.vertices.begin() + b0));
            std::vector<typename C::I> seen_cols;
            for (i64 i = 0; i < blk.num_dst(); ++i) {
              const auto local = row_entries(blk.adjacency, i);
              const auto global = row_entries(s, b0 + i);
              REQUIRE(local.size() == global.size());
              for (std::size_t e = 0; e < local.size(); ++e) {
                CHECK(blk.src_nodes[static_cast<std::size_t>(local[e].first)] == global[e].first);
                CHECK(local[e].second == global[e].second);
                seen_cols.push_back(global[e].first);
              }
            }
            if (deduplicate) {
              std::set<typename C::I> distinct(blk.src_nodes.begin(), blk.src_nodes.end());
              CHECK(distinct.size() == blk.src_nodes.size());
              // Sources after the destinations are exactly the new columns, first appearance first.
              std::vector<typename C::I> expect(blk.dst_nodes().begin(), blk.dst_nodes().end());
              for (const auto c : seen_cols) {
                if (std::find(expect.begin(), expect.end(), c) == expect.end()) expect.push_back(c);
              }
              CHECK(std::equal(expect.begin(), expect.end(), blk.src_nodes.begin(), blk.src_nodes.end()));
            } else {
              CHECK(static_cast<i64>(blk.num_src()) == blk.num_dst() + static_cast<i64>(blk.num_edges()));
              CHECK(std::equal(seen_cols.begin(), seen_cols.end(), blk.src_nodes.begin() + blk.num_dst()));
            }
          }
        }
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("spgemm: equals the reference; rows sorted", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  for (const auto& pc : spgemm_products<C>()) {
    CAPTURE(pc.name);
    const auto r = b.spgemm(pc.a.view(), pc.b.view());
    CHECK(r == ref.spgemm(pc.a.view(), pc.b.view()));
    REQUIRE(r.rows() == pc.a.rows());
    REQUIRE(r.cols() == pc.b.cols());
    CHECK(r.values().size() == r.indices().size());  // products carry values even for patterns
    CHECK_NOTHROW(ms::validate(r.view()));
    for (i64 row = 0; row < r.rows(); ++row) {
      const auto got = row_entries(r, row);
      for (std::size_t i = 1; i < got.size(); ++i) CHECK(got[i - 1].first < got[i].first);
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("select_columns: equals the reference; entries keep their column", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using I = typename C::I;
  std::vector<named<C>> ms_list;
  ms_list.push_back({"0x0", mat<C>{}});
  ms_list.push_back({"120x300 weighted", random_matrix<C>(120, 300, 8, 41, weights::with_zeros)});
  ms_list.push_back({"90x2100 pattern hub", random_matrix<C>(90, 2100, 5, 42, weights::none, 4, 2000)});
  for (const auto& g : ms_list) {
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
      std::mt19937_64 gen(seed);
      const i64 rows = g.m.rows(), cols = g.m.cols();
      // k row blocks over [0, rows), some empty; per block an ascending column subset.
      std::vector<i64> row_blocks{0};
      while (row_blocks.back() < rows)
        row_blocks.push_back(std::min<i64>(rows, row_blocks.back() + static_cast<i64>(gen() % 40)));
      if (rows == 0) row_blocks.push_back(0);  // one empty block over an empty matrix
      std::vector<I> columns;
      std::vector<i64> column_blocks{0};
      for (std::size_t blk = 0; blk + 1 < row_blocks.size(); ++blk) {
        const auto keep_every = 1 + gen() % 4;
        if (blk % 3 != 2) {
          for (i64 c = 0; c < cols; ++c) {
            if (gen() % keep_every == 0) columns.push_back(static_cast<I>(c));
          }
        }
        column_blocks.push_back(static_cast<i64>(columns.size()));
      }
      CAPTURE(g.name);
      CAPTURE(seed);
      const auto r = b.select_columns(g.m.view(), sp(row_blocks), sp(columns), sp(column_blocks));
      CHECK(r == ref.select_columns(g.m.view(), sp(row_blocks), sp(columns), sp(column_blocks)));
      REQUIRE(r.rows() == rows);
      CHECK(r.cols() == static_cast<i64>(columns.size()));
      CHECK(r.has_values() == (g.m.has_values() && r.nnz() > 0));
      for (std::size_t blk = 0; blk + 1 < row_blocks.size(); ++blk) {
        const std::set<I> listed(columns.begin() + column_blocks[blk], columns.begin() + column_blocks[blk + 1]);
        for (i64 row = row_blocks[blk]; row < row_blocks[blk + 1]; ++row) {
          std::vector<std::pair<I, typename C::V>> want;
          for (const auto& [c, v] : row_entries(g.m, row)) {
            if (listed.contains(c)) {
              const auto j =
                  std::lower_bound(columns.begin() + column_blocks[blk], columns.begin() + column_blocks[blk + 1], c) -
                  columns.begin();
              want.emplace_back(static_cast<I>(j), v);
            }
          }
          CHECK(row_entries(r, row) == want);
        }
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("apply, row_reduce, row_normalize: equal the reference", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using V = typename C::V;
  using I = typename C::I;
  for (const auto& g : square_graphs<C>()) {
    CAPTURE(g.name);
    const auto a = g.m.view();
    const auto f = [](I r, I c, V v) {
      return static_cast<double>(v) * 3.0 + static_cast<double>(r) - 0.5 * static_cast<double>(c);
    };
    const auto fr = b.apply(a, f);
    CHECK(fr == ref.apply(a, f));
    CHECK(fr.indptr() == g.m.indptr());
    CHECK(fr.indices() == g.m.indices());
    for (i64 r = 0; r < a.rows(); ++r) {
      for (auto e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
        CHECK(fr.values()[static_cast<std::size_t>(e)] ==
              f(static_cast<I>(r), a.indices()[static_cast<std::size_t>(e)], a.value(e)));
      }
    }
    const auto same_type = [](I, I, V v) { return static_cast<V>(v * V{2}); };
    CHECK(b.apply(a, same_type) == ref.apply(a, same_type));

    const auto sum = [](double acc, V v) { return acc + static_cast<double>(v); };
    const auto sums = b.row_reduce(a, 0.0, sum);
    CHECK(sums == ref.row_reduce(a, 0.0, sum));
    REQUIRE(static_cast<i64>(sums.size()) == a.rows());
    const auto count = [](i64 acc, V) { return acc + 1; };
    const auto counts = b.row_reduce(a, i64{0}, count);
    CHECK(counts == ref.row_reduce(a, i64{0}, count));
    for (i64 r = 0; r < a.rows(); ++r)
      CHECK(counts[static_cast<std::size_t>(r)] == static_cast<i64>(a.degree(static_cast<I>(r))));
    const auto maxi = [](V acc, V v) { return std::max(acc, v); };
    CHECK(b.row_reduce(a, V{-1}, maxi) == ref.row_reduce(a, V{-1}, maxi));

    const auto nr = ms::row_normalize(b, a);
    CHECK(nr == ms::row_normalize(ref, a));
    const auto nsums = ref.row_reduce(nr.view(), 0.0, sum);
    for (i64 r = 0; r < a.rows(); ++r) {
      const double s = sums[static_cast<std::size_t>(r)];
      CHECK(nsums[static_cast<std::size_t>(r)] == doctest::Approx(s > 0 ? 1.0 : 0.0).epsilon(1e-5));
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("relabel_columns: equals the reference; entries keep row, order and value", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using I = typename C::I;
  std::vector<named<C>> ms_list = square_graphs<C>();
  ms_list.push_back({"120x300 weighted", random_matrix<C>(120, 300, 8, 51, weights::with_zeros)});
  ms_list.push_back({"90x2100 pattern hub", random_matrix<C>(90, 2100, 5, 52, weights::none, 4, 2000)});
  ms_list.push_back({"7x0", random_matrix<C>(7, 0, 2, 53, weights::positive)});
  for (const auto& g : ms_list) {
    const i64 cols = g.m.cols();
    std::mt19937_64 gen(static_cast<std::uint64_t>(cols) + 7);
    // A permutation, an injective map into a wider range (as layer-wise
    // sampling uses it), and a many-to-one map into a narrower one.
    std::vector<std::pair<std::vector<I>, i64>> maps;
    std::vector<I> perm(static_cast<std::size_t>(cols));
    std::iota(perm.begin(), perm.end(), I{0});
    std::shuffle(perm.begin(), perm.end(), gen);
    maps.emplace_back(perm, cols);
    std::vector<I> wide(static_cast<std::size_t>(cols));
    for (i64 j = 0; j < cols; ++j) wide[static_cast<std::size_t>(j)] = static_cast<I>(3 * j + 2);
    maps.emplace_back(wide, 3 * cols + 5);
    std::vector<I> narrow(static_cast<std::size_t>(cols));
    const i64 few = std::max<i64>(1, cols / 7);
    for (auto& id : narrow) id = static_cast<I>(gen() % static_cast<std::uint64_t>(few));
    maps.emplace_back(narrow, few);
    for (const auto& [ids, new_cols] : maps) {
      CAPTURE(g.name);
      CAPTURE(new_cols);
      const auto r = b.relabel_columns(g.m.view(), sp(ids), new_cols);
      CHECK(r == ref.relabel_columns(g.m.view(), sp(ids), new_cols));
      // Independently of the reference: M·Π entry by entry.
      REQUIRE(r.rows() == g.m.rows());
      CHECK(r.cols() == new_cols);
      CHECK(r.indptr() == g.m.indptr());
      CHECK(r.values() == g.m.values());
      REQUIRE(r.indices().size() == g.m.indices().size());
      for (std::size_t e = 0; e < r.indices().size(); ++e) {
        CHECK(r.indices()[e] == ids[static_cast<std::size_t>(g.m.indices()[e])]);
      }
      CHECK_NOTHROW(ms::validate(r.view()));
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("exclude_entries: equals the reference; removes exactly each minibatch's excluded pairs", T,
                         axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using I = typename C::I;
  for (const auto& g : square_graphs<C>()) {
    for (const bool unique : {true, false}) {
      for (const auto& sel : selections_for(g, unique)) {
        CAPTURE(g.name);
        CAPTURE(sel.vertices.size());
        const auto q = sel.q();
        const auto p = ref.gather_rows(g.m.view(), sp(sel.vertices));
        // Each minibatch excludes about a third of its rows' entries, plus
        // pairs that are no entry of P (a vertex it does not select, a
        // column its rows lack): those must change nothing.
        std::mt19937_64 gen(sel.vertices.size() + 5);
        std::vector<std::set<std::pair<I, I>>> banned(static_cast<std::size_t>(q.batches()));
        for (i64 r = 0; r < p.rows(); ++r) {
          auto& set = banned[static_cast<std::size_t>(q.batch_of(r))];
          for (const auto& entry : row_entries(p, r)) {
            if (gen() % 3 == 0) set.emplace(q.vertices[r], entry.first);
          }
          if (g.m.rows() > 0) set.emplace(static_cast<I>(gen() % static_cast<std::uint64_t>(g.m.rows())), I{0});
        }
        const exclusion_lists<I> lists(banned);
        const auto x = lists.view();
        const auto r = b.exclude_entries(p.view(), q, x);
        CHECK(r == ref.exclude_entries(p.view(), q, x));
        // Independently of the reference: row r keeps, in order, exactly the
        // entries of P whose pair its minibatch does not exclude.
        REQUIRE(r.rows() == p.rows());
        CHECK(r.cols() == p.cols());
        for (i64 row = 0; row < p.rows(); ++row) {
          const auto& set = banned[static_cast<std::size_t>(q.batch_of(row))];
          auto want = row_entries(p, row);
          std::erase_if(want, [&](const auto& entry) { return set.contains({q.vertices[row], entry.first}); });
          CHECK(row_entries(r, row) == want);
        }
        // Nothing excluded: a copy.
        CHECK(b.exclude_entries(p.view(), q, ms::excluded_edges<I>{}) == p);
      }
    }
  }
  // Offsets that do not match the minibatches are refused.
  const auto g = random_matrix<C>(20, 20, 3, 71, weights::positive);
  const auto sel = make_selection<I>(20, {4, 4}, 3, true);
  const auto p = ref.gather_rows(g.view(), sp(sel.vertices));
  const std::vector<i64> three{0, 0};
  CHECK_THROWS_WITH_AS(b.exclude_entries(p.view(), sel.q(), ms::excluded_edges<I>{sp(three), {}, {}}),
                       doctest::Contains("2 exclusion offsets for 2 minibatches"), ms::argument_error);
}

MATSAMPLE_TEST_CASE_OVER("gather_and_sample with exclusion: a fused kernel equals gather, mask, sample", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using I = typename C::I;
  const auto specs = sampling_specs();
  for (const auto& g : square_graphs<C>()) {
    auto sels = selections_for(g, true);
    sels.push_back(make_selection<I>(g.m.rows(), {12, 3, 20}, 5, false, g.hub));  // repeats
    for (const auto& sel : sels) {
      const auto q = sel.q(3, 7);
      const auto p = ref.gather_rows(g.m.view(), sp(sel.vertices));
      // Each minibatch excludes about half of its rows' columns (the hub's
      // too), and pairs of vertices it does not select.
      std::mt19937_64 gen(sel.vertices.size() + 11);
      std::vector<std::set<std::pair<I, I>>> banned(static_cast<std::size_t>(q.batches()));
      for (i64 r = 0; r < p.rows(); ++r) {
        for (const auto& entry : row_entries(p, r)) {
          if (gen() % 2 == 0) banned[static_cast<std::size_t>(q.batch_of(r))].emplace(q.vertices[r], entry.first);
        }
      }
      const exclusion_lists<I> lists(banned);
      const auto x = lists.view();
      const auto masked = ref.exclude_entries(p.view(), q, x);
      for (const auto& spec : specs) {
        CAPTURE(g.name);
        CAPTURE(sel.vertices.size());
        CAPTURE(spec.fanout);
        CAPTURE(spec.replace);
        CAPTURE(spec.weighted);
        const auto want = ref.sample_rows(masked.view(), q, spec, 0xbeefULL, 1);
        CHECK(ms::gather_and_sample(b, g.m.view(), q, spec, 0xbeefULL, 1, x) == want);
        // The graphs' rows are sorted: vouching for it must change nothing.
        auto vouched = x;
        vouched.sorted_rows = true;
        CHECK(ms::gather_and_sample(b, g.m.view(), q, spec, 0xbeefULL, 1, vouched) == want);
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("relabel_columns: bad maps and malformed input throw, identically on every backend", T, axis) {
  using C = typename T::config;
  const auto& b = T::backend::get();
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  const auto m = random_matrix<C>(40, 30, 4, 61, weights::positive);
  std::vector<I> ids(30);
  std::iota(ids.begin(), ids.end(), I{0});
  {
    // One new id per column of M.
    const std::vector<I> short_ids(ids.begin(), ids.end() - 1);
    CHECK_THROWS_WITH_AS(b.relabel_columns(m.view(), sp(short_ids), 30), doctest::Contains("29 new ids for 30 columns"),
                         ms::argument_error);
    // Ids inside [0, new_cols).
    auto negative = ids;
    negative[12] = static_cast<I>(-1);
    CHECK_THROWS_WITH_AS(b.relabel_columns(m.view(), sp(negative), 30), doctest::Contains("column 12 maps to -1"),
                         ms::out_of_range_error);
    CHECK_THROWS_WITH_AS(b.relabel_columns(m.view(), sp(ids), 29), doctest::Contains("column 29 maps to 29"),
                         ms::out_of_range_error);
    // A column count beyond the index type.
    if constexpr (sizeof(I) == 4) {
      CHECK_THROWS_AS(b.relabel_columns(m.view(), sp(ids), i64{1} << 31), ms::index_overflow_error);
    }
    // A malformed M: a column outside its shape is reported, never used as an index.
    const std::vector<O> indptr{0, 2, 3, 5};
    const std::vector<I> bad_columns{0, 2, 1, 1, 50};
    const std::vector<V> values{1, 2, 3, 4, 5};
    const ms::csr_view<V, I, O> bad(3, 3, sp(indptr), sp(bad_columns), sp(values));
    const std::vector<I> three{2, 0, 1};
    CHECK_THROWS_WITH_AS(b.relabel_columns(bad, sp(three), 3),
                         doctest::Contains("column 50 out of range [0, 3) in row 2"), ms::csr_error);
    const std::vector<O> decreasing{0, 3, 2, 5};
    const ms::csr_view<V, I, O> bad_offsets(3, 3, sp(decreasing), sp(bad_columns), sp(values));
    CHECK_THROWS_AS(b.relabel_columns(bad_offsets, sp(three), 3), ms::csr_error);
  }
  // Empty input: a 0 x 0 matrix with no ids.
  const mat<C> empty;
  const std::vector<I> none;
  CHECK(ref.relabel_columns(empty.view(), sp(none), 0) == b.relabel_columns(empty.view(), sp(none), 0));
  CHECK(b.relabel_columns(empty.view(), sp(none), 4).cols() == 4);
}

// The OpenMP backend on 3 and 4 threads (fewer rows than threads) is held
// to the same products in tests/test_kernels.cpp.
MATSAMPLE_TEST_CASE_OVER(
    "spgemm: long rows (radix-sorted) and fewer rows than threads (split by columns) equal the reference", T, axis) {
  const auto& b = T::backend::get();
  for_long_row_products<typename T::config>(
      [&](const auto& q, const auto& a, const auto& expected) { CHECK(b.spgemm(q, a) == expected); });
}

}  // namespace kernel_cases
