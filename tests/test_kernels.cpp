// Every kernel of the contract, on the reference backend and the OpenMP
// backend with 1 and 2 threads (test::backends), held to the reference
// backend (exact equality) for every index width; spgemm also against Eigen;
// and the __host__ __device__ kernel bodies of algebra/row_sampling.hpp and
// algebra/row_kernels.hpp called directly. The cases run on every backend
// are in kernel_cases.hpp, shared with the CUDA backend's tests.

#include <doctest/doctest.h>

#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <span>
#include <type_traits>
#include <vector>

#include "kernel_cases.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/matsample.hpp"
#include "support.hpp"

namespace {

template <class M>
Eigen::SparseMatrix<double, Eigen::RowMajor> to_eigen(const M& m) {
  std::vector<Eigen::Triplet<double>> t;
  for (i64 r = 0; r < m.rows(); ++r) {
    for (const auto& [c, v] : kernel_cases::row_entries(m, r))
      t.emplace_back(static_cast<int>(r), static_cast<int>(c), static_cast<double>(v));
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> e(static_cast<Eigen::Index>(m.rows()),
                                                 static_cast<Eigen::Index>(m.cols()));
  e.setFromTriplets(t.begin(), t.end());
  return e;
}

/// The product against Eigen's (up to rounding).
void eigen_agrees(const auto& a, const auto& b, const auto& r, double tol) {
  const Eigen::SparseMatrix<double, Eigen::RowMajor> e = to_eigen(a) * to_eigen(b);
  for (i64 row = 0; row < r.rows(); ++row) {
    const auto got = kernel_cases::row_entries(r, row);
    for (std::size_t i = 1; i < got.size(); ++i) CHECK(got[i - 1].first < got[i].first);
    std::vector<std::pair<i64, double>> want;
    for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(e, static_cast<Eigen::Index>(row)); it; ++it) {
      want.emplace_back(it.col(), it.value());  // values are positive: no cancellation, no pruning
    }
    std::sort(want.begin(), want.end());
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(static_cast<i64>(got[i].first) == want[i].first);
      CHECK(static_cast<double>(got[i].second) == doctest::Approx(want[i].second).epsilon(tol));
    }
  }
}

}  // namespace

// Every backend's products equal the reference's (kernel_cases.hpp), which
// is held to Eigen's here.
TEST_CASE_TEMPLATE("compact_blocks: minibatches that all threads relabel together", C, MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  // 2500 destinations of average degree 30 give about 75,000 entries, over
  // parallel_relabel_threshold, most columns repeated. With 4 or more
  // threads, calls of at most threads / 2 minibatches share the large ones.
  const auto g = kernel_cases::random_matrix<C>(3000, 3000, 30, 41, kernel_cases::weights::positive);
  for (const int threads : {1, 2, 4, 5, 8}) {
    const ms::cpu_backend cpu(threads);
    for (const auto& sizes : {std::vector<i64>{2500}, std::vector<i64>{2500, 7}, std::vector<i64>{2500, 7, 2400}}) {
      CAPTURE(threads);
      CAPTURE(sizes.size());
      const auto sel = kernel_cases::make_selection<I>(3000, sizes, 5, true);
      const auto q = sel.q();
      const auto s = ms::gather_and_sample(test::ref, g.view(), q, ms::row_sampling{-1, false, false}, 4, 0);
      REQUIRE(s.view().row_end(static_cast<I>(2499)) + 2500 >= ms::detail::parallel_relabel_threshold);
      CHECK(cpu.compact_blocks(s.view(), q, true) == test::ref.compact_blocks(s.view(), q, true));
    }
    // A destination listed twice in a large minibatch is named as in a small one.
    auto sel = kernel_cases::make_selection<I>(3000, {7, 2500}, 6, true);
    sel.vertices[7 + 1800] = sel.vertices[7 + 12];
    const auto q = sel.q(0, 40);
    const auto s = ms::gather_and_sample(test::ref, g.view(), q, ms::row_sampling{-1, false, false}, 4, 0);
    const auto message = ms::detail::concat("minibatch 41 lists vertex ", sel.vertices[7 + 12], " twice");
    CHECK_THROWS_WITH_AS(cpu.compact_blocks(s.view(), q, true), doctest::Contains(message.c_str()), ms::argument_error);
  }
}

TEST_CASE_TEMPLATE("spgemm: the reference equals Eigen", C, MATSAMPLE_INDEX_CONFIGS) {
  const double tol = std::is_same_v<typename C::V, float> ? 1e-5 : 1e-12;
  for (const auto& pc : kernel_cases::spgemm_products<C>()) {
    CAPTURE(pc.name);
    eigen_agrees(pc.a, pc.b, test::ref.spgemm(pc.a.view(), pc.b.view()), tol);
  }
}

TEST_CASE_TEMPLATE(
    "spgemm: long rows on 3 and 4 threads (fewer rows than threads, split by columns) equal the reference", C,
    MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::for_long_row_products<C>([](const auto& q, const auto& a, const auto& expected) {
    CHECK(ms::cpu_backend(4).spgemm(q, a) == expected);
    CHECK(ms::cpu_backend(3).spgemm(q, a) == expected);
  });
}

// ---- kernel bodies of algebra/row_sampling.hpp, called directly ------------

TEST_CASE("kernels::sampled_count") {
  CHECK(ms::kernels::sampled_count(0, -1) == 0);
  CHECK(ms::kernels::sampled_count(7, -1) == 7);
  CHECK(ms::kernels::sampled_count(7, 3) == 3);
  CHECK(ms::kernels::sampled_count(7, 7) == 7);
  CHECK(ms::kernels::sampled_count(7, 100) == 7);
  CHECK(ms::kernels::sampled_count(0, 5) == 0);
}

TEST_CASE("kernels::sample_uniform_positions: ascending, in range, count rules") {
  std::vector<i64> out(2100, -5);
  for (const i64 degree : {0, 1, 2, 5, 17, 100, 2000}) {
    for (const i64 fanout : {-1, 0, 1, 2, 5, 16, 17, 99, 1500, 5000}) {
      for (const bool replace : {false, true}) {
        for (std::uint64_t row = 0; row < 8; ++row) {
          CAPTURE(degree);
          CAPTURE(fanout);
          CAPTURE(replace);
          ms::philox_row_stream rng(42, 1, {0, 0, row});
          const i64 n = ms::kernels::sample_uniform_positions(degree, fanout, replace, rng, out.data());
          const i64 expected = (fanout < 0 || degree <= fanout) ? degree : fanout;
          REQUIRE(n == expected);
          for (i64 i = 0; i < n; ++i) {
            CHECK(out[static_cast<std::size_t>(i)] >= 0);
            CHECK(out[static_cast<std::size_t>(i)] < degree);
            if (i > 0 && replace) CHECK(out[static_cast<std::size_t>(i - 1)] <= out[static_cast<std::size_t>(i)]);
            if (i > 0 && !replace) CHECK(out[static_cast<std::size_t>(i - 1)] < out[static_cast<std::size_t>(i)]);
          }
          if (n == degree) {
            for (i64 i = 0; i < n; ++i) CHECK(out[static_cast<std::size_t>(i)] == i);
          }
        }
      }
    }
  }
}

TEST_CASE("kernels::sample_uniform_positions: draws reach every position; replacement repeats") {
  std::vector<i64> out(16);
  std::set<i64> hit;
  bool repeated = false;
  for (std::uint64_t row = 0; row < 300; ++row) {
    ms::philox_row_stream rng(7, 0, {0, 0, row});
    const i64 n = ms::kernels::sample_uniform_positions(10, 3, false, rng, out.data());
    hit.insert(out.begin(), out.begin() + n);
    ms::philox_row_stream rng2(7, 0, {0, 0, row});
    const i64 m = ms::kernels::sample_uniform_positions(6, 5, true, rng2, out.data());
    REQUIRE(m == 5);
    repeated = repeated || std::adjacent_find(out.begin(), out.begin() + m) != out.begin() + m;
  }
  CHECK(hit.size() == 10);
  CHECK(repeated);
}

TEST_CASE("kernels::sample_weighted_positions: zero weights never drawn, count rules") {
  const std::vector<double> w{0, 2, 0, 0, 1, 3, 0, 0.5};
  const std::set<i64> positive{1, 4, 5, 7};
  std::vector<i64> out(32, -5);
  std::vector<double> cdf(32);
  std::set<i64> hit;
  for (std::uint64_t row = 0; row < 200; ++row) {
    for (const bool replace : {false, true}) {
      for (const i64 fanout : {1, 3, 4, 6, 7}) {
        CAPTURE(row);
        CAPTURE(replace);
        CAPTURE(fanout);
        ms::philox_row_stream rng(11, 3, {1, 2, row});
        const i64 n = ms::kernels::sample_weighted_positions(w.data(), 8, fanout, replace, rng, cdf.data(), out.data());
        // Without replacement the positive weights run out after 4 entries.
        CHECK(n == (replace ? fanout : std::min<i64>(fanout, 4)));
        for (i64 i = 0; i < n; ++i) {
          const auto pos = out[static_cast<std::size_t>(i)];
          CHECK(positive.contains(pos));
          hit.insert(pos);
          if (i > 0 && replace) CHECK(out[static_cast<std::size_t>(i - 1)] <= pos);
          if (i > 0 && !replace) CHECK(out[static_cast<std::size_t>(i - 1)] < pos);
        }
        if (!replace && fanout >= 4) { CHECK(std::equal(positive.begin(), positive.end(), out.begin())); }
      }
    }
  }
  CHECK(hit == positive);

  // A row with no more than fanout entries keeps them all, zero weights included.
  for (const i64 fanout : {-1, 8, 9}) {
    ms::philox_row_stream rng(1, 0, {});
    REQUIRE(ms::kernels::sample_weighted_positions(w.data(), 8, fanout, false, rng, cdf.data(), out.data()) == 8);
    for (i64 i = 0; i < 8; ++i) CHECK(out[static_cast<std::size_t>(i)] == i);
  }
  // No positive weight: nothing to draw.
  const std::vector<float> zeros(5, 0.0f);
  for (const bool replace : {false, true}) {
    ms::philox_row_stream rng(1, 0, {});
    CHECK(ms::kernels::sample_weighted_positions(zeros.data(), 5, 2, replace, rng, cdf.data(), out.data()) == 0);
  }
  // One positive weight, with replacement: every draw lands on it.
  const std::vector<int> one{0, 0, 4, 0};
  ms::philox_row_stream rng(1, 0, {});
  REQUIRE(ms::kernels::sample_weighted_positions(one.data(), 4, 3, true, rng, cdf.data(), out.data()) == 3);
  CHECK(out[0] == 2);
  CHECK(out[1] == 2);
  CHECK(out[2] == 2);
}

TEST_CASE("kernels::sample_weighted_positions: heavy weights dominate") {
  const std::vector<double> w{1, 0, 1000};
  std::vector<i64> out(4);
  std::vector<double> cdf(4);
  int heavy = 0;
  for (std::uint64_t row = 0; row < 400; ++row) {
    ms::philox_row_stream rng(5, 0, {0, 0, row});
    REQUIRE(ms::kernels::sample_weighted_positions(w.data(), 3, 1, false, rng, cdf.data(), out.data()) == 1);
    heavy += out[0] == 2;
  }
  CHECK(heavy >= 390);  // expected 399.6 of 400
}

TEST_CASE("kernels::sample_weighted_positions: bad weights") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<i64> out(8);
  std::vector<double> cdf(8);
  for (const double bad : {-1.0, -1e-300, nan, inf, -inf}) {
    for (const std::size_t at : {std::size_t{0}, std::size_t{3}, std::size_t{5}}) {
      for (const i64 fanout : {-1, 2, 6, 10}) {
        for (const bool replace : {false, true}) {
          std::vector<double> w{1, 2, 3, 4, 5, 6};
          w[at] = bad;
          CAPTURE(bad);
          CAPTURE(at);
          CAPTURE(fanout);
          ms::philox_row_stream rng(1, 0, {});
          CHECK(ms::kernels::sample_weighted_positions(w.data(), 6, fanout, replace, rng, cdf.data(), out.data()) ==
                ms::kernels::bad_weight);
        }
      }
    }
  }
  const std::vector<float> fw{1.0f, -0.5f};
  ms::philox_row_stream rng(1, 0, {});
  CHECK(ms::kernels::sample_weighted_positions(fw.data(), 2, 1, false, rng, cdf.data(), out.data()) ==
        ms::kernels::bad_weight);
}

TEST_CASE("kernels: its_pick, upper_bound and the sorted inserts") {
  const std::vector<double> cdf{1, 3, 3, 3};  // weights 1, 2, 0, 0
  CHECK(ms::kernels::its_pick(cdf.data(), 4, 0.0) == 0);
  CHECK(ms::kernels::its_pick(cdf.data(), 4, 0.999) == 0);
  CHECK(ms::kernels::its_pick(cdf.data(), 4, 1.0) == 1);
  CHECK(ms::kernels::its_pick(cdf.data(), 4, 2.999) == 1);
  CHECK(ms::kernels::its_pick(cdf.data(), 4, 3.0) == 1);  // rounding up to the total: last positive entry
  CHECK(ms::kernels::upper_bound(cdf.data(), 4, 3.0) == 4);

  std::vector<i64> a(8);
  i64 n = 0;
  for (const i64 v : {5, 2, 9, 2, 5, 0}) n += ms::kernels::insert_sorted_unique(a.data(), n, v) ? 1 : 0;
  CHECK(n == 4);
  CHECK(std::vector<i64>(a.begin(), a.begin() + n) == std::vector<i64>{0, 2, 5, 9});
  ms::kernels::insert_sorted(a.data(), n, 5);
  CHECK(std::vector<i64>(a.begin(), a.begin() + n + 1) == std::vector<i64>{0, 2, 5, 5, 9});
}

// ---- kernel bodies of algebra/row_kernels.hpp (the CUDA kernels' per-row
// code), run serially with std algorithms standing in for CUB ---------------

TEST_CASE("kernels::block_of, find_sorted, lower_bound_key, row_address") {
  const std::vector<i64> off{0, 3, 3, 3, 7, 8};  // empty blocks 1 and 2
  const std::vector<i64> want{0, 0, 0, 3, 3, 3, 3, 4};
  for (i64 i = 0; i < 8; ++i) CHECK(ms::kernels::block_of(off.data(), 5, i) == want[static_cast<std::size_t>(i)]);
  const std::vector<i32> list{2, 5, 9};
  CHECK(ms::kernels::find_sorted(list.data(), 3, 5) == 1);
  CHECK(ms::kernels::find_sorted(list.data(), 3, 4) == -1);
  CHECK(ms::kernels::find_sorted(list.data(), 0, 2) == -1);
  const std::vector<std::uint64_t> keys{1, 4, 4, 9};
  CHECK(ms::kernels::lower_bound_key(keys.data(), 4, 4) == 1);
  CHECK(ms::kernels::lower_bound_key(keys.data(), 4, 10) == 4);
  const std::vector<i32> verts(8, 0);
  const ms::stacked_selection<i32> q{sp(verts), sp(off), 3, 40};
  for (i64 r = 0; r < 8; ++r) {
    const auto a = q.address(r), b = ms::kernels::row_address(off.data(), 5, 3, 40, r);
    CHECK(a.epoch == b.epoch);
    CHECK(a.minibatch == b.minibatch);
    CHECK(a.row == b.row);
  }
}

namespace {
template <class V, class I, class O>
ms::kernels::csr_arrays<V, I, O> arrays_of(const ms::csr_view<V, I, O>& m) {
  return {m.rows(),          m.cols(),           static_cast<i64>(m.nnz()),
          m.indptr().data(), m.indices().data(), m.has_values() ? m.values().data() : nullptr};
}
}  // namespace

TEST_CASE_TEMPLATE("kernels::sample_row: the CUDA sampling body row by row equals the reference", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  for (const auto& g : kernel_cases::square_graphs<C>()) {
    const auto sel = kernel_cases::make_selection<I>(g.m.rows(), {5, 0, 17, 30}, 4, false, g.hub);
    const auto q = sel.q(2, 9);
    const auto a = arrays_of(g.m.view());
    for (auto spec : kernel_cases::sampling_specs()) {
      for (const i64 fanout : {spec.fanout, i64{-1}}) {
        spec.fanout = fanout;
        CAPTURE(g.name);
        CAPTURE(spec.fanout);
        const auto want = ms::gather_and_sample(test::ref, g.m.view(), q, spec, 77, 1);
        std::vector<I> got_i;
        std::vector<V> got_v;
        std::vector<i64> pos;
        std::vector<double> cdf;
        for (i64 r = 0; r < q.rows(); ++r) {
          const I v = sel.vertices[static_cast<std::size_t>(r)];
          const i64 degree = g.m.view().degree(v);
          pos.assign(static_cast<std::size_t>(degree) + 1, 0);
          cdf.assign(static_cast<std::size_t>(degree) + 1, 0);
          std::vector<I> oi(static_cast<std::size_t>(degree) + 1);
          std::vector<V> ov(oi.size());
          ms::philox_row_stream rng(77, 1, q.address(r));
          const auto st = ms::kernels::sample_row(a, g.m.view().row_begin(v), degree, spec, rng, pos.data(), cdf.data(),
                                                  oi.data(), a.values ? ov.data() : nullptr);
          CHECK_FALSE(st.bad_weight);
          CHECK_FALSE(st.bad_column);
          got_i.insert(got_i.end(), oi.begin(), oi.begin() + st.kept);
          if (a.values) got_v.insert(got_v.end(), ov.begin(), ov.begin() + st.kept);
          CHECK(kernel_cases::row_entries(want, r).size() == static_cast<std::size_t>(st.kept));
        }
        CHECK(got_i == want.indices());
        CHECK(got_v == want.values());
      }
    }
  }
  // A bad weight and a bad column are flagged, not thrown.
  const std::vector<i32> indptr{0, 3};
  const std::vector<i32> cols{0, 7, 1};
  const std::vector<double> w{1, -1, 2};
  const ms::kernels::csr_arrays<double, i32, i32> bad{1, 3, 3, indptr.data(), cols.data(), w.data()};
  std::vector<i64> pos(4);
  std::vector<double> cdf(4);
  std::vector<i32> oi(4);
  std::vector<double> ov(4);
  ms::philox_row_stream rng(1, 0, {});
  CHECK(ms::kernels::sample_row(bad, 0, 3, {2, false, true}, rng, pos.data(), cdf.data(), oi.data(), ov.data())
            .bad_weight);
  CHECK(ms::kernels::sample_row(bad, 0, 3, {-1, false, false}, rng, pos.data(), cdf.data(), oi.data(), ov.data())
            .bad_column);
  CHECK_FALSE(bad.row_sound(0));
  CHECK_FALSE(bad.row_ok(1));
}

TEST_CASE_TEMPLATE("kernels::select_row and expand_products/sum_run: the CUDA bodies equal the reference", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  const auto m = kernel_cases::random_matrix<C>(120, 300, 8, 41, kernel_cases::weights::with_zeros);
  const std::vector<i64> row_blocks{0, 50, 50, 120};
  std::vector<I> columns;
  for (i64 c = 0; c < 300; c += 3) columns.push_back(static_cast<I>(c));
  for (i64 c = 1; c < 300; c += 2) columns.push_back(static_cast<I>(c));
  const std::vector<i64> column_blocks{0, 100, 100, static_cast<i64>(columns.size())};
  const auto want = test::ref.select_columns(m.view(), sp(row_blocks), sp(columns), sp(column_blocks));
  const auto a = arrays_of(m.view());
  std::vector<I> got_i(static_cast<std::size_t>(m.nnz()));
  std::vector<V> got_v(got_i.size());
  std::vector<O> indptr{0};
  for (i64 r = 0; r < m.rows(); ++r) {
    const i64 blk = ms::kernels::block_of(row_blocks.data(), 3, r);
    const i64 n = ms::kernels::select_row(a, r, columns.data(), column_blocks[blk], column_blocks[blk + 1],
                                          got_i.data() + indptr.back(), got_v.data() + indptr.back());
    CHECK(n == ms::kernels::select_row<V, I, O>(a, r, columns.data(), column_blocks[blk], column_blocks[blk + 1],
                                                nullptr, nullptr));
    indptr.push_back(static_cast<O>(indptr.back() + n));
  }
  got_i.resize(static_cast<std::size_t>(indptr.back()));
  got_v.resize(got_i.size());
  CHECK(indptr == want.indptr());
  CHECK(got_i == want.indices());
  CHECK(got_v == want.values());

  // SpGEMM: expand in A's entry order, stable sort by key, sum each run.
  const auto b = kernel_cases::random_matrix<C>(300, 80, 5, 4, kernel_cases::weights::positive);
  const auto product = test::ref.spgemm(m.view(), b.view());
  const auto ba = arrays_of(b.view());
  std::vector<std::uint64_t> keys;
  std::vector<V> products;
  for (i64 r = 0; r < m.rows(); ++r) {
    for (i64 e = m.indptr()[r]; e < m.indptr()[r + 1]; ++e) {
      const i64 k = m.indices()[e];
      const auto at = keys.size();
      keys.resize(at + static_cast<std::size_t>(b.view().degree(static_cast<I>(k))));
      products.resize(keys.size());
      ms::kernels::expand_products(a, ba, r, e, keys.data() + at, products.data() + at);
    }
  }
  std::vector<std::size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return keys[x] < keys[y]; });
  std::vector<V> sorted;
  std::vector<std::uint64_t> sorted_keys;
  for (const auto i : order) {
    sorted.push_back(products[i]);
    sorted_keys.push_back(keys[i]);
  }
  std::vector<I> cols;
  std::vector<V> vals;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted_keys[j] == sorted_keys[i]) ++j;
    cols.push_back(static_cast<I>(sorted_keys[i] % 80));
    vals.push_back(ms::kernels::sum_run(sorted.data(), static_cast<i64>(i), static_cast<i64>(j)));
    // In two passes, the second continuing the first (the CUDA product's long rows).
    const auto mid = static_cast<i64>(i + (j - i) / 2);
    CHECK(ms::kernels::sum_run(sorted.data(), mid, static_cast<i64>(j),
                               ms::kernels::sum_run(sorted.data(), static_cast<i64>(i), mid)) == vals.back());
    i = j;
  }
  CHECK(cols == product.indices());
  CHECK(vals == product.values());  // the same bits: the same summation order
  // Row offsets from the unique keys, as the device kernel finds them.
  std::vector<std::uint64_t> unique_keys(sorted_keys);
  unique_keys.erase(std::unique(unique_keys.begin(), unique_keys.end()), unique_keys.end());
  for (i64 r = 0; r <= m.rows(); ++r) {
    CHECK(ms::kernels::lower_bound_key(unique_keys.data(), static_cast<i64>(unique_keys.size()),
                                       static_cast<std::uint64_t>(r) * 80) ==
          static_cast<i64>(product.indptr()[static_cast<std::size_t>(r)]));
  }
}

TEST_CASE_TEMPLATE("kernels::item_vertex/item_key: sorted items number the source nodes as compact_blocks does", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  for (const auto& g : kernel_cases::square_graphs<C>()) {
    for (const auto& sel : kernel_cases::selections_for(g, true)) {
      CAPTURE(g.name);
      const auto q = sel.q();
      const auto s = ms::gather_and_sample(test::ref, g.m.view(), q, ms::row_sampling{3, false, false}, 4, 0);
      const auto want = test::ref.compact_blocks(s.view(), q, true);
      const i64 k = q.batches();
      std::vector<i64> eoff, ioff;
      for (i64 m = 0; m <= k; ++m) {
        eoff.push_back(s.indptr()[static_cast<std::size_t>(sel.offsets[static_cast<std::size_t>(m)])]);
        ioff.push_back(sel.offsets[static_cast<std::size_t>(m)] + eoff.back());
      }
      const i64 items = ioff.back();
      const auto span = static_cast<std::uint64_t>(std::max<i64>(g.m.cols(), 1));
      std::vector<std::uint64_t> keys(static_cast<std::size_t>(items));
      std::vector<I> vertex(keys.size());
      for (i64 i = 0; i < items; ++i) {
        const i64 m = ms::kernels::block_of(ioff.data(), k, i);
        vertex[i] =
            ms::kernels::item_vertex(sel.vertices.data(), s.indices().data(), sel.offsets.data(), eoff.data(), m, i);
        keys[i] = ms::kernels::item_key(m, vertex[i], 0, span);
      }
      std::vector<i64> order(keys.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return keys[x] < keys[y]; });
      std::vector<i64> first(keys.size()), rep(keys.size());
      i64 run = 0;
      for (std::size_t t = 0; t < order.size(); ++t) {
        const bool head = t == 0 || keys[order[t]] != keys[order[t - 1]];
        if (head) run = static_cast<i64>(t);
        first[order[t]] = head;
        rep[order[t]] = order[run];
      }
      std::vector<i64> rank(keys.size() + 1, 0);
      for (std::size_t i = 0; i < keys.size(); ++i) rank[i + 1] = rank[i] + first[i];
      std::vector<I> src, local;
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (first[i]) src.push_back(vertex[i]);
      for (i64 e = 0; e < static_cast<i64>(s.nnz()); ++e) {
        const i64 m = ms::kernels::block_of(eoff.data(), k, e);
        const i64 i = ioff[m] + (sel.offsets[m + 1] - sel.offsets[m]) + (e - eoff[m]);
        local.push_back(static_cast<I>(rank[rep[i]] - rank[ioff[m]]));
      }
      CHECK(src == want.src_nodes);
      CHECK(local == want.indices);
      for (i64 m = 0; m <= k; ++m) CHECK(rank[ioff[m]] == want.node_offsets[m]);
    }
  }
}
