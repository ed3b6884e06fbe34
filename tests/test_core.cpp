// Core types: CSR views and matrices, builders, checked index arithmetic,
// Philox streams, R-MAT, and minibatch lists.

#include <doctest/doctest.h>
#if defined(__GLIBC__)
#include <sys/resource.h>
#endif
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "matsample/matsample.hpp"
#include "support.hpp"

namespace {

using test::with_threads;

template <class M>
bool rows_strictly_sorted(const M& m) {
  for (i64 r = 0; r < m.rows(); ++r) {
    for (auto e = m.indptr()[r] + 1; e < m.indptr()[r + 1]; ++e) {
      if (m.indices()[e - 1] >= m.indices()[e]) return false;
    }
  }
  return true;
}

template <class M>
bool rows_sorted(const M& m) {
  for (i64 r = 0; r < m.rows(); ++r) {
    for (auto e = m.indptr()[r] + 1; e < m.indptr()[r + 1]; ++e) {
      if (m.indices()[e - 1] > m.indices()[e]) return false;
    }
  }
  return true;
}

/// (row, col, value) triples of a matrix in storage order.
template <class V, class I, class O>
std::vector<std::tuple<i64, i64, V>> triples(const ms::csr_matrix<V, I, O>& m) {
  std::vector<std::tuple<i64, i64, V>> out;
  const auto v = m.view();
  for (i64 r = 0; r < m.rows(); ++r) {
    for (auto e = v.row_begin(static_cast<I>(r)); e < v.row_end(static_cast<I>(r)); ++e) {
      out.emplace_back(r, v.indices()[static_cast<std::size_t>(e)], v.value(e));
    }
  }
  return out;
}

template <class V, class I, class O>
ms::csr_matrix<V, I, O> transpose(const ms::csr_matrix<V, I, O>& m) {
  std::vector<I> r, c;
  std::vector<V> v;
  for (const auto& [row, col, val] : triples(m)) {
    r.push_back(static_cast<I>(col));
    c.push_back(static_cast<I>(row));
    if (m.has_values()) v.push_back(val);
  }
  return ms::csr_from_coo<V, I, O>(m.cols(), m.rows(), sp(r), sp(c), sp(v));
}

}  // namespace

// ---- csr_view / csr_matrix -------------------------------------------------

TEST_CASE("csr_view wraps user arrays without copying") {
  // 3 x 4: row 0 = {1: 0.5, 3: 2}, row 1 empty, row 2 = {0: -1}
  const std::vector<i64> indptr{0, 2, 2, 3};
  const std::vector<i32> indices{1, 3, 0};
  const std::vector<double> values{0.5, 2.0, -1.0};
  const ms::csr_view<double, i32, i64> v(3, 4, sp(indptr), sp(indices), sp(values));
  CHECK(v.indptr().data() == indptr.data());
  CHECK(v.indices().data() == indices.data());
  CHECK(v.values().data() == values.data());
  CHECK(v.rows() == 3);
  CHECK(v.cols() == 4);
  CHECK(v.nnz() == 3);
  CHECK(v.has_values());
  CHECK(v.degree(0) == 2);
  CHECK(v.degree(1) == 0);
  CHECK(v.row_begin(2) == 2);
  CHECK(v.row_end(2) == 3);
  CHECK(v.value(1) == 2.0);
  CHECK_NOTHROW(ms::validate(v));

  const auto deduced = ms::make_csr_view<double, i32, i64>(3, 4, sp(indptr), sp(indices));
  CHECK(deduced.indices().data() == indices.data());
  CHECK_FALSE(deduced.has_values());
  CHECK(deduced.value(0) == 1.0);  // a pattern stores ones implicitly
  CHECK(deduced.value(2) == 1.0);

  const ms::csr_view<float, i64, i64> empty;
  CHECK(empty.rows() == 0);
  CHECK(empty.cols() == 0);
  CHECK(empty.nnz() == 0);
  CHECK(empty.indptr().size() == 1);
  CHECK_NOTHROW(ms::validate(empty));
}

TEST_CASE("stack_rows: the parts' rows in order, each value mapped with its row in the result, a pattern as ones") {
  // A (2 x 4, values) over B (3 x 4, a pattern); f records the row, the column and the value.
  const std::vector<i64> a_indptr{0, 2, 3}, b_indptr{0, 1, 1, 3};
  const std::vector<i32> a_indices{1, 3, 0}, b_indices{2, 0, 3};
  const std::vector<double> a_values{0.5, 2.0, -1.0};
  const ms::csr_view<double, i32, i64> a(2, 4, sp(a_indptr), sp(a_indices), sp(a_values));
  const ms::csr_view<double, i32, i64> b(3, 4, sp(b_indptr), sp(b_indices));
  const std::vector parts{a, b};
  const auto s = ms::stack_rows(std::span<const ms::csr_view<double, i32, i64>>(parts),
                                [](i32 row, i32 col, double v) { return 1000.0 * row + 10.0 * col + v; });
  CHECK(s.rows() == 5);
  CHECK(s.cols() == 4);
  CHECK(s.indptr() == std::vector<i64>{0, 2, 3, 4, 4, 6});
  CHECK(s.indices() == std::vector<i32>{1, 3, 0, 2, 0, 3});
  CHECK(s.values() == std::vector<double>{10.5, 32, 999, 2021, 4001, 4031});
  const std::vector<i64> c_indptr{0, 1};
  const std::vector<i32> c_indices{4};
  const ms::csr_view<double, i32, i64> c(1, 5, sp(c_indptr), sp(c_indices));
  const std::vector mismatched{a, c};
  const auto same = [](i32, i32, double v) { return v; };
  CHECK_THROWS_WITH_AS(ms::stack_rows(std::span<const ms::csr_view<double, i32, i64>>(mismatched), same),
                       "stack_rows: a matrix of 5 columns stacked under one of 4", ms::argument_error);
  CHECK_THROWS_AS(ms::stack_rows(std::span<const ms::csr_view<double, i32, i64>>(), same), ms::argument_error);
}

TEST_CASE("csr_matrix owns its arrays, hands out views over them, and deep-copies views") {
  std::vector<i32> indptr{0, 1, 3};
  std::vector<i32> indices{2, 0, 1};
  std::vector<float> values{1.5f, 2.5f, 3.5f};
  const auto* indices_data = indices.data();
  const ms::csr_matrix<float, i32, i32> m(2, 3, std::move(indptr), std::move(indices), std::move(values));
  CHECK(m.indices().data() == indices_data);  // moved in, not copied
  const auto v = m.view();
  CHECK(v.indptr().data() == m.indptr().data());
  CHECK(v.indices().data() == m.indices().data());
  CHECK(v.values().data() == m.values().data());
  CHECK(m.nnz() == 3);
  CHECK(v.nnz() == 3);
  const ms::csr_view<float, i32, i32> converted = m;
  CHECK(converted.indices().data() == m.indices().data());

  const ms::csr_matrix<float, i32, i32> copy(v);
  CHECK(copy == m);
  CHECK(copy.indices().data() != m.indices().data());

  const ms::csr_matrix<double, i64, i64> empty;
  CHECK(empty.rows() == 0);
  CHECK(empty.nnz() == 0);
  CHECK(empty.indptr() == std::vector<i64>{0});
  CHECK(empty.view().nnz() == 0);

  // operator== compares shape, arrays and values.
  const ms::csr_matrix<float, i32, i32> other(2, 3, {0, 1, 3}, {2, 0, 1}, {1.5f, 2.5f, 4.0f});
  CHECK_FALSE(other == m);
  const ms::csr_matrix<float, i32, i32> wider(2, 4, {0, 1, 3}, {2, 0, 1}, {1.5f, 2.5f, 3.5f});
  CHECK_FALSE(wider == m);
}

TEST_CASE("validate accepts sound matrices, unsorted rows and duplicate columns included") {
  const std::vector<i64> indptr{0, 3, 3, 5};
  const std::vector<i64> indices{4, 0, 4, 1, 1};
  const ms::csr_view<double, i64, i64> v(3, 5, sp(indptr), sp(indices));
  CHECK_NOTHROW(ms::validate(v));
  CHECK_NOTHROW((void)ms::csr_matrix<double, i64, i64>{v});
}

// ---- builders --------------------------------------------------------------

TEST_CASE("csr_from_coo: sorted rows, values follow their entries") {
  const std::vector<i32> r{2, 0, 2, 0, 1, 2};
  const std::vector<i32> c{1, 3, 0, 1, 1, 2};
  const std::vector<double> v{1, 2, 3, 4, 5, 6};
  const auto m = ms::csr_from_coo<double, i32, i64>(3, 4, sp(r), sp(c), sp(v));
  CHECK(m.rows() == 3);
  CHECK(m.cols() == 4);
  CHECK(m.indptr() == std::vector<i64>{0, 2, 3, 6});
  CHECK(m.indices() == std::vector<i32>{1, 3, 1, 0, 1, 2});
  CHECK(m.values() == std::vector<double>{4, 2, 5, 3, 1, 6});
  CHECK_NOTHROW(ms::validate(m.view()));

  const auto pattern = ms::csr_from_coo<double, i32, i64>(3, 4, sp(r), sp(c));
  CHECK_FALSE(pattern.has_values());
  CHECK(pattern.indices() == m.indices());
  CHECK(pattern.indptr() == m.indptr());

  const auto empty = ms::csr_from_coo<double, i64, i32>(0, 0, {}, {});
  CHECK(empty == ms::csr_matrix<double, i64, i32>{});
  const auto no_edges = ms::csr_from_coo<double, i64, i32>(4, 2, {}, {});
  CHECK(no_edges.indptr() == std::vector<i32>{0, 0, 0, 0, 0});
  CHECK(no_edges.cols() == 2);
}

TEST_CASE("csr_from_coo: duplicates kept, or merged with values summed") {
  const std::vector<i64> r{0, 1, 0, 0, 1};
  const std::vector<i64> c{2, 0, 2, 1, 0};
  const std::vector<float> v{1.0f, 0.25f, 3.0f, 7.0f, 0.5f};
  const auto kept = ms::csr_from_coo<float, i64, i64>(2, 3, sp(r), sp(c), sp(v));
  CHECK(kept.indptr() == std::vector<i64>{0, 3, 5});
  CHECK(kept.indices() == std::vector<i64>{1, 2, 2, 0, 0});
  CHECK(kept.values() == std::vector<float>{7.0f, 1.0f, 3.0f, 0.25f, 0.5f});  // ties ordered by value

  ms::build_options merge;
  merge.merge_duplicates = true;
  const auto merged = ms::csr_from_coo<float, i64, i64>(2, 3, sp(r), sp(c), sp(v), merge);
  CHECK(merged.indptr() == std::vector<i64>{0, 2, 3});
  CHECK(merged.indices() == std::vector<i64>{1, 2, 0});
  CHECK(merged.values() == std::vector<float>{7.0f, 4.0f, 0.75f});

  const auto merged_pattern = ms::csr_from_coo<float, i64, i64>(2, 3, sp(r), sp(c), {}, merge);
  CHECK(merged_pattern.indptr() == std::vector<i64>{0, 2, 3});
  CHECK(merged_pattern.indices() == std::vector<i64>{1, 2, 0});
  CHECK_FALSE(merged_pattern.has_values());
}

TEST_CASE("csr_from_edges: symmetrize and drop_self_loops") {
  // 0->1, 1->1 (loop), 2->0, 0->1 again, 3->3 (loop)
  const std::vector<i32> src{0, 1, 2, 0, 3};
  const std::vector<i32> dst{1, 1, 0, 1, 3};
  const std::vector<double> w{1, 2, 3, 4, 5};

  const auto plain = ms::csr_from_edges<double, i32, i32>(4, sp(src), sp(dst), sp(w));
  CHECK(plain.indptr() == std::vector<i32>{0, 2, 3, 4, 5});
  CHECK(plain.indices() == std::vector<i32>{1, 1, 1, 0, 3});
  CHECK(plain == ms::csr_from_coo<double, i32, i32>(4, 4, sp(src), sp(dst), sp(w)));

  ms::build_options sym;
  sym.symmetrize = true;
  const auto s = ms::csr_from_edges<double, i32, i32>(4, sp(src), sp(dst), sp(w), sym);
  // Mirrored entries carry the same value; a self loop is stored once.
  CHECK(s.indptr() == std::vector<i32>{0, 3, 6, 7, 8});
  CHECK(s.indices() == std::vector<i32>{1, 1, 2, 0, 0, 1, 0, 3});
  CHECK(s.values() == std::vector<double>{1, 4, 3, 1, 4, 2, 3, 5});
  CHECK(transpose(s) == s);

  ms::build_options no_loops;
  no_loops.drop_self_loops = true;
  const auto nl = ms::csr_from_edges<double, i32, i32>(4, sp(src), sp(dst), sp(w), no_loops);
  CHECK(nl.indptr() == std::vector<i32>{0, 2, 2, 3, 3});
  CHECK(nl.indices() == std::vector<i32>{1, 1, 0});
  CHECK(nl.values() == std::vector<double>{1, 4, 3});

  ms::build_options all;
  all.symmetrize = all.drop_self_loops = all.merge_duplicates = true;
  const auto u = ms::csr_from_edges<double, i32, i32>(4, sp(src), sp(dst), sp(w), all);
  CHECK(u.indptr() == std::vector<i32>{0, 2, 3, 4, 4});
  CHECK(u.indices() == std::vector<i32>{1, 2, 0, 0});
  CHECK(u.values() == std::vector<double>{5, 3, 5, 3});
}

TEST_CASE("csr_from_coo: the same matrix for 1 and 2 OpenMP threads") {
  // More than 2^16 rows, so that the parallel prefix sums split the rows.
  const i64 n = 100'000, m = 400'000;
  std::mt19937_64 gen(99);
  std::vector<i32> r(m), c(m);
  std::vector<double> v(m);
  for (i64 e = 0; e < m; ++e) {
    r[e] = static_cast<i32>(gen() % 1000 == 0 ? 7 : gen() % n);  // row 7 is a hub
    c[e] = static_cast<i32>(gen() % 300);                        // many duplicates
    v[e] = static_cast<double>(gen() % 1000) / 8.0;
  }
  i64 loops = 0;
  for (i64 e = 0; e < m; ++e) loops += r[e] == c[e];
  for (const bool symmetrize : {false, true}) {
    for (const bool merge : {false, true}) {
      ms::build_options opt;
      opt.symmetrize = symmetrize;
      opt.merge_duplicates = merge;
      opt.drop_self_loops = symmetrize;
      CAPTURE(symmetrize);
      CAPTURE(merge);
      const auto build = [&] { return ms::csr_from_edges<double, i32, i64>(n, sp(r), sp(c), sp(v), opt); };
      const auto one = with_threads(1, build);
      const auto two = with_threads(2, build);
      CHECK(one == two);
      CHECK_NOTHROW(ms::validate(two.view()));
      CHECK((merge ? rows_strictly_sorted(two) : rows_sorted(two)));
      if (!merge) CHECK(two.nnz() == (symmetrize ? 2 * (m - loops) : m));
      if (symmetrize) CHECK(transpose(two) == two);
    }
  }
}

TEST_CASE("detail::exclusive_scan: exact totals for any team, also inside a caller's parallel region") {
  const std::vector<i64> counts(70'000, 3);  // above the serial cutoff
  std::vector<i64> offsets(counts.size() + 1, -1);
  CHECK(ms::detail::exclusive_scan<i64>(sp(counts), offsets) == 210'000);
  CHECK(offsets.back() == 210'000);
  CHECK(offsets[1234] == 3 * 1234);

  // A caller that already runs in a parallel region gets a team of one for the
  // nested region (nesting is off) while omp_get_max_threads() still says 2.
  const int levels = omp_get_max_active_levels();
  omp_set_max_active_levels(1);
  i64 total = -1;
  std::vector<i64> nested(counts.size() + 1, -1);
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    total = ms::detail::exclusive_scan<i64>(sp(counts), nested);
  }
  omp_set_max_active_levels(levels);
  CHECK(total == 210'000);
  CHECK(nested.back() == 210'000);
  CHECK(nested[counts.size() - 1] == 3 * static_cast<i64>(counts.size() - 1));
}

// ---- checked index arithmetic ----------------------------------------------

TEST_CASE("checked_cast, checked_add, checked_mul") {
  CHECK(ms::checked_cast<i32>(i64{2147483647}, "x") == 2147483647);
  CHECK(ms::checked_cast<i32>(i64{-2147483648LL}, "x") == std::numeric_limits<i32>::min());
  CHECK_THROWS_AS(ms::checked_cast<i32>(i64{2147483648LL}, "x"), ms::index_overflow_error);
  CHECK_THROWS_AS(ms::checked_cast<i32>(i64{-2147483649LL}, "x"), ms::index_overflow_error);
  CHECK_THROWS_AS(ms::checked_cast<std::uint32_t>(-1, "x"), ms::index_overflow_error);
  CHECK_THROWS_AS(ms::checked_cast<i64>(std::numeric_limits<std::uint64_t>::max(), "x"), ms::index_overflow_error);
  CHECK(ms::checked_cast<std::uint64_t>(i64{5}, "x") == 5u);
  CHECK_THROWS_WITH_AS(ms::checked_cast<i32>(i64{3'000'000'000LL}, "entries of Q·A"),
                       doctest::Contains("entries of Q·A = 3000000000 does not fit a 32-bit"),
                       ms::index_overflow_error);
  static_assert(ms::checked_cast<i32>(i64{7}, "constexpr") == 7);

  const i64 max = std::numeric_limits<i64>::max(), min = std::numeric_limits<i64>::min();
  CHECK(ms::checked_add(max - 1, 1, "a") == max);
  CHECK(ms::checked_add(-5, 3, "a") == -2);
  CHECK_THROWS_AS(ms::checked_add(max, 1, "a"), ms::index_overflow_error);
  CHECK_THROWS_AS(ms::checked_add(min, -1, "a"), ms::index_overflow_error);
  CHECK_THROWS_WITH_AS(ms::checked_add(max, max, "row total"), doctest::Contains("row total overflows"),
                       ms::index_overflow_error);
  CHECK(ms::checked_mul(3'000'000'000LL, 3, "m") == 9'000'000'000LL);
  CHECK(ms::checked_mul(-4, 5, "m") == -20);
  CHECK_THROWS_AS(ms::checked_mul(i64{1} << 32, i64{1} << 31, "m"), ms::index_overflow_error);
  CHECK_THROWS_AS(ms::checked_mul(min, -1, "m"), ms::index_overflow_error);
  CHECK_NOTHROW(ms::checked_mul(i64{1} << 31, i64{1} << 31, "m"));
}

// ---- Philox streams ----------------------------------------------------------

TEST_CASE("philox_row_stream: a pure function of its address") {
  const ms::draw_address at{2, 3, 4};
  ms::philox_row_stream a(7, 1, at), b(7, 1, at);
  std::vector<std::uint64_t> forward;
  for (std::uint64_t d = 0; d < 12; ++d) forward.push_back(a.bits(d));
  // Out of order and repeated calls (crossing 4-draw blocks) give the same bits.
  for (const std::uint64_t d : {11u, 0u, 5u, 4u, 3u, 8u, 0u, 11u}) CHECK(b.bits(d) == forward[d]);
  std::set<std::uint64_t> distinct(forward.begin(), forward.end());
  CHECK(distinct.size() == forward.size());

  const auto first = [](std::uint64_t seed, std::uint64_t layer, ms::draw_address where, std::uint64_t draw) {
    ms::philox_row_stream s(seed, layer, where);
    return s.bits(draw);
  };
  const std::uint64_t base = first(7, 1, at, 5);
  CHECK(first(7, 1, at, 5) == base);
  std::set<std::uint64_t> variants{base,
                                   first(8, 1, at, 5),         // seed
                                   first(7, 2, at, 5),         // layer
                                   first(7, 1, {3, 3, 4}, 5),  // epoch
                                   first(7, 1, {2, 4, 4}, 5),  // minibatch
                                   first(7, 1, {2, 3, 5}, 5),  // row
                                   first(7, 1, at, 6),         // draw in the same block
                                   first(7, 1, at, 9),         // draw in another block
                                   first(7, ms::shuffle_stream, at, 5)};
  CHECK(variants.size() == 9);
}

TEST_CASE("philox_row_stream::fill gives the bits of draws 0 .. n-1, and scale is below's arithmetic") {
  for (std::int64_t n = 0; n <= 13; ++n) {
    ms::philox_row_stream a(3, 2, {1, 9, 27}), b(3, 2, {1, 9, 27});
    std::vector<std::uint64_t> bits(static_cast<std::size_t>(n) + 1, 0xdeadbeef);
    a.fill(n, bits.data());
    bool same = bits[static_cast<std::size_t>(n)] == 0xdeadbeef;  // nothing past n is written
    for (std::int64_t i = 0; i < n; ++i) {
      same = same && bits[i] == b.bits(static_cast<std::uint64_t>(i));
      same =
          same && ms::philox_row_stream::scale(bits[i], 1000 + i) == b.below(static_cast<std::uint64_t>(i), 1000 + i);
    }
    CHECK(same);
  }
}

TEST_CASE("uniform positions: the bitset, rank-sort and insertion paths all give Floyd's sample, ascending") {
  // The oracle: Floyd's algorithm on a std::set with the same draw numbering.
  const auto floyd = [](std::int64_t degree, std::int64_t count, bool replace, ms::philox_row_stream rng) {
    std::vector<std::int64_t> out;
    if (replace) {
      for (std::int64_t i = 0; i < count; ++i) out.push_back(static_cast<std::int64_t>(rng.below(i, degree)));
    } else {
      std::set<std::int64_t> taken;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::int64_t j = degree - count + i;
        const auto t = static_cast<std::int64_t>(rng.below(i, j + 1));
        taken.insert(taken.count(t) != 0 ? j : t);
      }
      out.assign(taken.begin(), taken.end());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  std::int64_t rows = 0;
  bool all_same = true;
  for (const std::int64_t fanout : {1, 2, 5, 15, 31, 32, 33, 70}) {
    for (const std::int64_t degree : {fanout + 1, fanout + 2, 63L, 64L, 65L, 200L, 511L, 512L, 513L, 4000L}) {
      if (degree <= fanout) continue;
      for (const bool replace : {false, true}) {
        for (std::uint64_t row = 0; row < 20; ++row) {
          const ms::philox_row_stream rng(5, 1, {0, 3, row});
          auto copy = rng;
          std::vector<std::int64_t> got(static_cast<std::size_t>(fanout));
          const auto n = ms::kernels::sample_uniform_positions(degree, fanout, replace, copy, got.data());
          all_same = all_same && n == fanout && got == floyd(degree, fanout, replace, rng);
          ++rows;
        }
      }
    }
  }
  CHECK(rows > 1000);
  CHECK(all_same);
}

#if defined(__GLIBC__)
TEST_CASE("retain_freed_memory: a block freed and allocated again takes no new page faults") {
  // mallopt takes an int: larger sizes are refused by name, before anything changes.
  CHECK_THROWS_WITH_AS(ms::retain_freed_memory(std::size_t{1} << 31),
                       doctest::Contains("mmap_below = 2147483648 bytes; glibc takes at most 2147483647"),
                       ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::retain_freed_memory(std::size_t{32} << 20, std::size_t{4} << 30),
                       doctest::Contains("keep = 4294967296 bytes"), ms::argument_error);
#if defined(__SANITIZE_ADDRESS__)
  CHECK_FALSE(ms::retain_freed_memory());  // ASan's allocator refuses mallopt, and the call says so
#else
  REQUIRE(ms::retain_freed_memory());
  const auto minor_faults = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
  };
  const auto fill_and_free = [] {
    std::vector<char> block(std::size_t{16} << 20);  // 4096 pages of 4 KiB
    std::fill(block.begin(), block.end(), char{1});
    return block[12345];
  };
  CHECK(fill_and_free() == 1);
  const auto before = minor_faults();
  CHECK(fill_and_free() == 1);
  CHECK(minor_faults() - before < 256);  // without retention: about 4096
#endif
}
#endif

TEST_CASE(
    "huge pages: resize_huge and shrink_huge keep contents; advice never fails; large arrays get 2 MiB pages "
    "where the system allows it") {
  std::vector<std::int32_t> small{1, 2, 3};
  ms::detail::resize_huge(small, 5);
  CHECK(small == std::vector<std::int32_t>{1, 2, 3, 0, 0});
  std::vector<std::int64_t> big;
  ms::detail::resize_huge(big, std::size_t{3} << 20);  // 24 MiB
  std::iota(big.begin(), big.end(), std::int64_t{0});
  big.resize(big.size() - 1000);
  ms::detail::shrink_huge(big);
  CHECK(big.capacity() == big.size());
  CHECK(big[12345] == 12345);
  CHECK(big.back() == static_cast<std::int64_t>(big.size()) - 1);
  ms::advise_huge_pages(std::span<const std::int32_t>(small));                    // below the threshold: nothing
  ms::advise_huge_pages(std::span<const std::int64_t>(big).subspan(3, 1 << 22));  // unaligned: the whole pages inside
  const ms::csr_matrix<float, std::int32_t, std::int64_t> m(2, 2, {0, 1, 2}, {1, 0});
  ms::advise_huge_pages(m.view());
#if defined(__linux__)
  // With transparent huge pages in "always" or "madvise" mode, the advised
  // array faulted in after resize_huge is backed by huge pages.
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string setting((std::istreambuf_iterator<char>(mode)), {});
  if (setting.find("[never]") == std::string::npos && !setting.empty()) {
    const auto start = reinterpret_cast<std::uintptr_t>(big.data()), end = start + big.size() * sizeof(std::int64_t);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    std::int64_t huge_kb = 0;
    bool overlaps = false;  // advice splits the allocation's mapping: add up every piece of it
    while (std::getline(smaps, line)) {
      unsigned long lo = 0, hi = 0;
      char permissions[5] = {};
      if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, permissions) == 3)
        overlaps = lo < end && start < hi;  // a mapping's header
      long kb = 0;
      if (overlaps && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &kb) == 1) huge_kb += kb;
    }
    CAPTURE(setting);
    CHECK(huge_kb > 0);  // at least one 2 MiB page (a fragmented machine may give fewer than all)
  }
#endif
}

TEST_CASE("philox_row_stream: uniform in [0, 1), below(n) in [0, n)") {
  double lo = 1, hi = 0, sum = 0;
  const int draws = 4000;
  for (std::uint64_t row = 0; row < 100; ++row) {
    ms::philox_row_stream s(123, 0, {0, 0, row});
    for (std::uint64_t d = 0; d < draws / 100; ++d) {
      const double u = s.uniform(d);
      CHECK(u >= 0.0);
      CHECK(u < 1.0);
      lo = std::min(lo, u);
      hi = std::max(hi, u);
      sum += u;
    }
  }
  CHECK(lo < 0.01);
  CHECK(hi > 0.99);
  CHECK(sum / draws == doctest::Approx(0.5).epsilon(0.05));

  for (const std::uint64_t n :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, std::uint64_t{1000},
        std::uint64_t{1} << 40, std::numeric_limits<std::uint64_t>::max()}) {
    ms::philox_row_stream s(5, 5, {1, 1, n});
    std::set<std::uint64_t> seen;
    for (std::uint64_t d = 0; d < 200; ++d) {
      const std::uint64_t x = s.below(d, n);
      CHECK(x < n);
      seen.insert(x);
    }
    if (n <= 7) CHECK(seen.size() == n);  // every value of a small range shows up
  }
  // below is floor(u * n) on the 64 random bits.
  ms::philox_row_stream s(9, 0, {});
  const std::uint64_t bits = s.bits(2);
  CHECK(s.below(2, 1000) == static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * 1000) >> 64));
  CHECK(s.uniform(2) == static_cast<double>(bits >> 11) * 0x1.0p-53);
}

// ---- R-MAT -------------------------------------------------------------------

TEST_CASE("rmat: deterministic for any thread count, square 2^scale, symmetric, loop-free") {
  ms::rmat_options o;
  o.scale = 10;
  o.edge_factor = 8;
  o.seed = 42;
  const auto one = with_threads(1, [&] { return ms::rmat<double, i32, i64>(o); });
  const auto two = with_threads(2, [&] { return ms::rmat<double, i32, i64>(o); });
  CHECK(one == two);
  CHECK(two.rows() == 1024);
  CHECK(two.cols() == 1024);
  CHECK_FALSE(two.has_values());
  CHECK_NOTHROW(ms::validate(two.view()));
  CHECK(rows_strictly_sorted(two));  // deduplicated
  CHECK(transpose(two) == two);
  bool loop = false;
  for (const auto& [r, c, v] : triples(two)) loop = loop || r == c;
  CHECK_FALSE(loop);
  CHECK(two.nnz() > 1024 * 8);  // both directions of most of the 8192 generated edges
  CHECK(two.nnz() <= 2 * 1024 * 8);
  // Skewed degrees: the largest is far above the mean.
  i64 max_degree = 0;
  for (i32 r = 0; r < two.rows(); ++r) max_degree = std::max<i64>(max_degree, two.view().degree(r));
  CHECK(max_degree > 4 * two.nnz() / two.rows());

  // The other index widths give the same graph.
  const auto wide = ms::rmat<float, i64, i64>(o);
  CHECK(wide.indptr() == two.indptr());
  CHECK(std::equal(wide.indices().begin(), wide.indices().end(), two.indices().begin(), two.indices().end()));

  auto other = o;
  other.seed = 43;
  CHECK_FALSE(ms::rmat<double, i32, i64>(other) == two);

  // Directed, with loops and repeated edges kept: exactly edge_factor * 2^scale entries.
  auto directed = o;
  directed.symmetrize = false;
  directed.drop_self_loops = false;
  directed.deduplicate = false;
  const auto d = ms::rmat<double, i32, i64>(directed);
  CHECK(d.nnz() == 8 * 1024);
  CHECK_FALSE(transpose(d) == d);
  CHECK(rows_sorted(d));
  CHECK(d == with_threads(1, [&] { return ms::rmat<double, i32, i64>(directed); }));
}

// ---- minibatches ---------------------------------------------------------------

TEST_CASE("batch_list::uniform keeps the last partial batch") {
  std::vector<i32> seeds(10);
  std::iota(seeds.begin(), seeds.end(), 100);
  const auto b = ms::batch_list<i32>::uniform(sp(seeds), 3, 4, 9);
  CHECK(b.size() == 4);
  CHECK(b.offsets == std::vector<i64>{0, 3, 6, 9, 10});
  CHECK(b.epoch == 4);
  CHECK(b.first_batch == 9);
  CHECK(b.seeds.data() == seeds.data());
  CHECK(b.batch(3).size() == 1);
  CHECK(b.batch(3)[0] == 109);
  CHECK(b.batch(1)[0] == 103);

  CHECK(ms::batch_list<i32>::uniform(sp(seeds), 5).offsets == std::vector<i64>{0, 5, 10});
  CHECK(ms::batch_list<i32>::uniform(sp(seeds), 10).offsets == std::vector<i64>{0, 10});
  CHECK(ms::batch_list<i32>::uniform(sp(seeds), 11).offsets == std::vector<i64>{0, 10});
  CHECK(ms::batch_list<i32>::uniform(sp(seeds), 1).size() == 10);
  const std::vector<i32> none;
  CHECK(ms::batch_list<i32>::uniform(sp(none), 4).size() == 0);
}

TEST_CASE("epoch_batches: a seeded permutation per epoch, cut into batches") {
  std::vector<i64> train(1000);
  for (std::size_t i = 0; i < train.size(); ++i) train[i] = static_cast<i64>(3 * i + 1);
  const ms::epoch_batches<i64> e0(sp(train), 64, 77, 0), e0_again(sp(train), 64, 77, 0);
  const ms::epoch_batches<i64> e1(sp(train), 64, 77, 1), other_seed(sp(train), 64, 78, 0);
  const auto order = [](const ms::epoch_batches<i64>& e) {
    return std::vector<i64>(e.order().begin(), e.order().end());
  };

  auto sorted = order(e0);
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == train);  // a permutation of the training ids
  CHECK(order(e0) != train);
  CHECK(order(e0) == order(e0_again));
  CHECK(order(e1) != order(e0));
  CHECK(order(other_seed) != order(e0));
  CHECK(order(ms::epoch_batches<i64>(sp(train), 64, 77, 0, false)) == train);

  CHECK(e0.size() == 16);  // 15 full batches and one of 40
  const auto all = e0.bulk(0, 16);
  CHECK(all.size() == 16);
  CHECK(all.epoch == 0);
  CHECK(all.first_batch == 0);
  CHECK(std::equal(all.seeds.begin(), all.seeds.end(), e0.order().begin(), e0.order().end()));
  CHECK(all.batch(15).size() == 40);

  const auto mid = e1.bulk(3, 2);
  CHECK(mid.size() == 2);
  CHECK(mid.epoch == 1);
  CHECK(mid.first_batch == 3);
  CHECK(mid.batch(0).data() == e1.order().data() + 3 * 64);
  CHECK(mid.batch(1).size() == 64);

  // Clipped to the epoch.
  const auto tail = e0.bulk(14, 10);
  CHECK(tail.size() == 2);
  CHECK(tail.first_batch == 14);
  CHECK(tail.offsets == std::vector<i64>{0, 64, 104});
  CHECK(e0.bulk(16, 3).size() == 0);

  // Consecutive bulks tile the epoch.
  std::vector<i64> joined;
  for (i64 first = 0; first < e0.size(); first += 5) {
    const auto b = e0.bulk(first, 5);
    joined.insert(joined.end(), b.seeds.begin(), b.seeds.end());
  }
  CHECK(joined == order(e0));
}

TEST_CASE("stacked_selection: minibatch and draw address of each stacked row") {
  const std::vector<i32> v{4, 5, 6, 7, 8};
  const std::vector<i64> off{0, 2, 2, 5};  // batch 1 is empty
  const ms::stacked_selection<i32> q{sp(v), sp(off), 9, 20};
  CHECK(q.rows() == 5);
  CHECK(q.batches() == 3);
  CHECK(q.batch_of(0) == 0);
  CHECK(q.batch_of(1) == 0);
  CHECK(q.batch_of(2) == 2);
  CHECK(q.batch_of(4) == 2);
  const auto a = q.address(3);
  CHECK(a.epoch == 9);
  CHECK(a.minibatch == 22);
  CHECK(a.row == 1);
  CHECK_NOTHROW(ms::validate_batches(q));
}

TEST_CASE("random_permutation: a bijection, the same for a seed, different across seeds") {
  const auto p = ms::random_permutation<std::int32_t>(1000, 7);
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int32_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(p == ms::random_permutation<std::int32_t>(1000, 7));
  CHECK(p != ms::random_permutation<std::int32_t>(1000, 8));
  CHECK(p != identity);
  CHECK(ms::random_permutation<std::int64_t>(0, 1).empty());
  CHECK_THROWS_AS(ms::random_permutation<std::int32_t>(-1, 1), ms::argument_error);
  CHECK_THROWS_AS(ms::random_permutation<std::int32_t>(std::int64_t{1} << 32, 1), ms::index_overflow_error);
}

TEST_CASE("relabel_vertices: B(perm[i], perm[j]) = A(i, j), sorted rows, the inverse undoes it") {
  using V = double;
  using I = std::int32_t;
  using O = std::int64_t;
  auto pattern = ms::rmat<V, I, O>({.scale = 9, .edge_factor = 6, .scramble = false, .seed = 3});
  std::vector<V> w(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < w.size(); ++e) w[e] = 1.0 + static_cast<double>(e % 97);
  const ms::csr_matrix<V, I, O> a(pattern.rows(), pattern.cols(), {pattern.indptr().begin(), pattern.indptr().end()},
                                  {pattern.indices().begin(), pattern.indices().end()}, w);
  const auto perm = ms::random_permutation<I>(a.rows(), 11);
  const auto b = with_threads(2, [&] { return ms::relabel_vertices(a.view(), std::span<const I>(perm)); });
  CHECK(b == with_threads(1, [&] { return ms::relabel_vertices(a.view(), std::span<const I>(perm)); }));
  ms::validate(b.view());
  CHECK(b.nnz() == a.nnz());
  bool all_found = true, sorted = true;
  for (I i = 0; i < a.rows(); ++i) {
    const auto row = b.view();
    for (O e = row.row_begin(perm[i]) + 1; e < row.row_end(perm[i]); ++e)
      sorted = sorted && row.indices()[e - 1] <= row.indices()[e];
    for (O e = a.view().row_begin(i); e < a.view().row_end(i); ++e) {
      const I j = perm[a.indices()[e]];
      bool found = false;
      for (O f = row.row_begin(perm[i]); f < row.row_end(perm[i]); ++f)
        found = found || (row.indices()[f] == j && row.values()[f] == a.values()[e]);
      all_found = all_found && found;
    }
  }
  CHECK(all_found);
  CHECK(sorted);
  std::vector<I> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<I>(i);
  CHECK(ms::relabel_vertices(b.view(), std::span<const I>(inverse)) == a);

  // Why relabel: without scrambling, R-MAT's hubs sit at low ids, and the first
  // of 4 row blocks gets most of the entries; after relabelling each block is
  // within 25% of the mean (bounds fixed in advance, for these seeds).
  const auto block_imbalance = [](const auto& m) {
    double most = 0;
    for (int blk = 0; blk < 4; ++blk) {
      const auto lo = m.rows() * blk / 4, hi = m.rows() * (blk + 1) / 4;
      most = std::max(most, static_cast<double>(m.indptr()[hi] - m.indptr()[lo]));
    }
    return most / (static_cast<double>(m.nnz()) / 4);
  };
  CHECK(block_imbalance(a) > 1.8);
  CHECK(block_imbalance(b) < 1.25);

  const std::vector<I> repeated(static_cast<std::size_t>(a.rows()), 0);
  CHECK_THROWS_WITH_AS(ms::relabel_vertices(a.view(), std::span<const I>(repeated)),
                       doctest::Contains("not a permutation"), ms::argument_error);
  const std::vector<I> short_perm(3, 0);
  CHECK_THROWS_AS(ms::relabel_vertices(a.view(), std::span<const I>(short_perm)), ms::argument_error);
}
