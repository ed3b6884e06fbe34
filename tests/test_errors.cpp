// Bad input throws the matching subtype of matsample::error, with a message
// that names the problem, identically on every backend of test::backends
// (tests/backends.hpp: the reference backend and the OpenMP backend with 1
// and 2 threads), each case instantiated once per backend; narrowing overflow
// throws before the oversized output is allocated.
// tests/cuda/test_cuda_errors.cu compiles this file again with
// MATSAMPLE_TEST_EXTRA_BACKENDS naming the CUDA backend: every case then also
// runs there, with the CPU backend's type and message.

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "backends.hpp"
#include "matsample/matsample.hpp"
#include "support.hpp"

// ---- the largest single allocation, to show that overflow throws before it ----

namespace {

using test::cpu1;
using test::cpu2;
using test::ref;
std::atomic<std::size_t> largest_request{0};
}  // namespace

// Out of line, so that GCC does not pair the inlined free() with the
// allocating operator new (-Wmismatched-new-delete). Host code only: nvcc
// (tests/cuda/test_cuda_errors.cu) would compile a replacement for device code too.
#if !defined(__CUDA_ARCH__)
[[gnu::noinline]] void* operator new(std::size_t n) {
  std::size_t seen = largest_request.load(std::memory_order_relaxed);
  while (n > seen && !largest_request.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {}
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

/// The type of what f throws (or "no error"), and its message.
struct outcome {
  std::string type;
  std::string what;
};

template <class F>
outcome run(F&& f) {
  try {
    f();
    return {"no error", ""};
  } catch (const ms::csr_error& e) { return {"csr_error", e.what()}; } catch (const ms::out_of_range_error& e) {
    return {"out_of_range_error", e.what()};
  } catch (const ms::argument_error& e) {
    return {"argument_error", e.what()};
  } catch (const ms::index_overflow_error& e) {
    return {"index_overflow_error", e.what()};
  } catch (const ms::error& e) { return {"matsample::error", e.what()}; } catch (const std::exception& e) {
    return {"foreign exception", e.what()};
  }
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Runs `call(backend)` on the backend of fixture B: it must throw `type`
/// with a message containing every part. Every backend but the reference
/// must give the message of the OpenMP backend with one thread.
template <class B, class Call>
void expect_on(const std::string& type, std::initializer_list<std::string> parts, Call call) {
  const outcome x = run([&] { call(B::get()); });
  CAPTURE(x.what);
  CHECK(x.type == type);
  for (const auto& part : parts) {
    CAPTURE(part);
    CHECK(contains(x.what, part));
  }
  if constexpr (!test::is_reference<B>) {
    const outcome c1 = run([&] { call(cpu1); });
    CAPTURE(c1.what);
    CHECK(x.what == c1.what);
  }
}

/// expect_on for every backend of test::backends in turn, for a case that
/// is not itself instantiated per backend.
template <class Call>
void expect_on_all_backends(const std::string& type, std::initializer_list<std::string> parts, Call call) {
  test::for_each_backend([&]<class B>() { expect_on<B>(type, parts, call); });
}

/// The backend of fixture B and the OpenMP backend with one thread agree on
/// whether `call` throws, and on the type.
template <class B, class Call>
void expect_same_outcome(Call call) {
  const outcome x = run([&] { call(B::get()); });
  const outcome c1 = run([&] { call(cpu1); });
  CAPTURE(x.what);
  CAPTURE(c1.what);
  CHECK(x.type == c1.type);
}

using view_t = ms::csr_view<double, i32, i64>;

/// A 5 x 5 graph whose row 2 holds column 50: 0 -> {1, 2}, 1 -> {0}, 2 -> {3, 50}, 3 -> {4}, 4 -> {}.
struct bad_column_graph {
  std::vector<i64> indptr{0, 2, 3, 5, 6, 6};
  std::vector<i32> indices{1, 2, 0, 3, 50, 4};
  std::vector<double> values{1, 1, 1, 1, 1, 1};
  [[nodiscard]] view_t view() const { return view_t(5, 5, sp(indptr), sp(indices), sp(values)); }
};

/// A sound 6 x 6 graph (a ring with chords), weighted.
ms::csr_matrix<double, i32, i64> small_graph() {
  std::vector<i32> src, dst;
  for (i32 v = 0; v < 6; ++v) {
    src.push_back(v);
    dst.push_back((v + 1) % 6);
    src.push_back(v);
    dst.push_back((v + 3) % 6);
  }
  std::vector<double> w(src.size(), 0.5);
  return ms::csr_from_edges<double, i32, i64>(6, sp(src), sp(dst), sp(w));
}

ms::nodewise_options fanouts(std::vector<i64> f) {
  ms::nodewise_options o;
  o.fanouts = std::move(f);
  o.seed = 3;
  return o;
}

}  // namespace

// ---- the hierarchy ----------------------------------------------------------------

TEST_CASE("every error type derives from matsample::error") {
  CHECK_THROWS_AS(throw ms::csr_error("x"), ms::error);
  CHECK_THROWS_AS(throw ms::out_of_range_error("x"), ms::error);
  CHECK_THROWS_AS(throw ms::argument_error("x"), ms::error);
  CHECK_THROWS_AS(throw ms::index_overflow_error("x"), ms::error);
  CHECK_THROWS_AS(throw ms::format_error("x"), ms::error);
  CHECK_THROWS_AS(throw ms::error("x"), std::runtime_error);
}

// ---- malformed CSR -------------------------------------------------------------------

TEST_CASE("csr_view: O(1) shape checks") {
  const std::vector<i32> idx{0, 1, 2};
  CHECK_THROWS_WITH_AS(view_t(2, 3, sp(std::vector<i64>{1, 2, 3}), sp(idx)),
                       doctest::Contains("indptr[0] = 1, expected 0"), ms::csr_error);
  CHECK_THROWS_WITH_AS(view_t(2, 3, sp(std::vector<i64>{0, 1, 2}), sp(idx)),
                       doctest::Contains("indptr[2] = 2 but there are 3 column indices"), ms::csr_error);
  CHECK_THROWS_WITH_AS(view_t(2, 3, sp(std::vector<i64>{0, 1, 4}), sp(idx)),
                       doctest::Contains("indptr[2] = 4 but there are 3"), ms::csr_error);
  CHECK_THROWS_WITH_AS(view_t(3, 3, sp(std::vector<i64>{0, 1, 3}), sp(idx)), doctest::Contains("expected rows + 1 = 4"),
                       ms::csr_error);
  CHECK_THROWS_WITH_AS(view_t(2, 3, sp(std::vector<i64>{0, 1, 3}), sp(idx), sp(std::vector<double>{1.0})),
                       doctest::Contains("1 values for 3 entries"), ms::csr_error);
  CHECK_THROWS_WITH_AS(view_t(-1, 3, sp(std::vector<i64>{0}), {}), doctest::Contains("negative shape"), ms::csr_error);
  CHECK_THROWS_AS(view_t(2, 3, sp(std::vector<i64>{0, 1, 2}), sp(idx)), ms::error);
  // The owning matrix runs the same checks.
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>(2, 3, {1, 2, 3}, {0, 1, 2})),
                       doctest::Contains("indptr[0]"), ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>(2, 3, {0, 1, 2}, {0, 1, 2})),
                       doctest::Contains("indptr[2]"), ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>(2, 3, {0, 1}, {0, 1, 2})),
                       doctest::Contains("indptr has 2 entries"), ms::csr_error);
}

TEST_CASE("validate and csr_matrix: offsets not monotone, column out of range") {
  const std::vector<i64> decreasing{0, 2, 1, 3};
  const std::vector<i32> idx{0, 1, 2};
  const view_t dec(3, 3, sp(decreasing), sp(idx));  // passes the O(1) checks
  CHECK_THROWS_WITH_AS(ms::validate(dec), doctest::Contains("offsets decrease at row 1"), ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>(3, 3, {0, 2, 1, 3}, {0, 1, 2})),
                       doctest::Contains("offsets decrease at row 1"), ms::csr_error);
  CHECK_THROWS_AS((void)(ms::csr_matrix<double, i32, i64>{dec}), ms::csr_error);

  const bad_column_graph g;
  CHECK_THROWS_WITH_AS(ms::validate(g.view()), doctest::Contains("column 50 out of range [0, 5) in row 2"),
                       ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>{g.view()}), doctest::Contains("column 50"),
                       ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i32, i64>(2, 4, {0, 1, 2}, {0, -3})),
                       doctest::Contains("column -3 out of range"), ms::csr_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_matrix<double, i64, i32>(1, 4, {0, 1}, {4})),
                       doctest::Contains("column 4 out of range [0, 4)"), ms::csr_error);
}

TEST_CASE("validate: an offset past nnz in a middle row is reported as bad offsets, without reading past nnz") {
  // indptr = {0, 5, 3}: monotone until row 1, but row 0 claims entries [0, 5)
  // of only 3. The caller's buffer extends beyond the view with out-of-range
  // columns, so reading past nnz would report a column instead of the offsets
  // (and, on a tight buffer, read out of bounds).
  const std::vector<i64> indptr{0, 5, 3};
  const std::vector<i32> buffer{0, 1, 2, -7, -7, -7};
  const view_t v(2, 3, sp(indptr), std::span<const i32>(buffer).first(3));
  const outcome o = run([&] { ms::validate(v); });
  CAPTURE(o.what);
  CHECK(o.type == "csr_error");
  CHECK(contains(o.what, "offset"));
  CHECK_FALSE(contains(o.what, "column -7"));
}

// ---- kernels on malformed rows ------------------------------------------------------------

MATSAMPLE_TEST_CASE_OVER("gather_rows: a bad row is reported when selected, ignored otherwise", B, test::backends) {
  const bad_column_graph g;
  const std::vector<i32> touches{0, 1, 2, 3};
  expect_on<B>("csr_error", {"column 50", "row 2"}, [&](const auto& b) { (void)b.gather_rows(g.view(), sp(touches)); });
  const std::vector<i32> avoids{0, 1, 3, 4, 3};
  expect_on<B>("no error", {}, [&](const auto& b) { (void)b.gather_rows(g.view(), sp(avoids)); });

  const std::vector<i32> out_of_range{0, 1, 9};
  expect_on<B>("out_of_range_error", {"vertex 9", "[0, 5)"},
               [&](const auto& b) { (void)b.gather_rows(g.view(), sp(out_of_range)); });
  const std::vector<i32> negative{-1};
  expect_on<B>("out_of_range_error", {"vertex -1"},
               [&](const auto& b) { (void)b.gather_rows(g.view(), sp(negative)); });

  // Offsets that decrease at a selected row.
  const std::vector<i64> indptr{0, 2, 1, 3};
  const std::vector<i32> idx{0, 1, 2};
  const view_t dec(3, 3, sp(indptr), sp(idx));
  const std::vector<i32> row1{1};
  expect_on<B>("csr_error", {"row 1", "offsets"}, [&](const auto& b) { (void)b.gather_rows(dec, sp(row1)); });
}

MATSAMPLE_TEST_CASE_OVER("gather_rows: the first bad position is reported for any thread count", B, test::backends) {
  const auto a = small_graph();
  std::vector<i32> rows(5000, 2);
  rows[1700] = 77;
  rows[3000] = -4;
  rows[4999] = 6;
  expect_on<B>("out_of_range_error", {"vertex 77"}, [&](const auto& b) { (void)b.gather_rows(a.view(), sp(rows)); });
  const outcome x = run([&] { (void)B::get().gather_rows(a.view(), sp(rows)); });
  CHECK(contains(x.what, "position 1700"));
}

MATSAMPLE_TEST_CASE_OVER("sample_nodewise: bad rows, seeds, fanouts and shapes", B, test::backends) {
  const bad_column_graph g;
  const std::vector<i32> seeds_bad{2, 4};
  const auto direct = ms::batch_list<i32>::uniform(sp(seeds_bad), 2);
  expect_on<B>("csr_error", {"column 50"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, g.view(), direct, fanouts({-1})); });
  // Row 2 reached at the second hop only (0 -> 2).
  const std::vector<i32> seeds_far{0};
  const auto far = ms::batch_list<i32>::uniform(sp(seeds_far), 1);
  expect_on<B>("csr_error", {"column 50"}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, g.view(), far, fanouts({-1, -1}));
  });
  const std::vector<i32> seeds_ok{3, 4};
  const auto fine = ms::batch_list<i32>::uniform(sp(seeds_ok), 1);
  expect_on<B>("no error", {}, [&](const auto& b) { (void)ms::sample_nodewise(b, g.view(), fine, fanouts({-1, 2})); });

  const auto a = small_graph();
  const std::vector<i32> seeds{0, 1, 2, 3};
  const auto batches = ms::batch_list<i32>::uniform(sp(seeds), 2);
  const std::vector<i32> far_seed{0, 6};
  expect_on<B>("out_of_range_error", {"seed vertex 6", "position 1"}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), ms::batch_list<i32>::uniform(sp(far_seed), 2), fanouts({2}));
  });
  const std::vector<i32> negative_seed{-2};
  expect_on<B>("out_of_range_error", {"seed vertex -2"}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), ms::batch_list<i32>::uniform(sp(negative_seed), 2), fanouts({2}));
  });
  expect_on<B>("argument_error", {"fanout 0", "layer 1"}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), batches, fanouts({2, 0}));
  });
  expect_on<B>("argument_error", {"fanout -2", "layer 0"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), batches, fanouts({-2})); });
  expect_on<B>("argument_error", {"fanouts"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), batches, fanouts({})); });
  expect_on<B>("no error", {}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), batches, fanouts({-1, 1}));
  });

  const auto rect = ms::csr_from_coo<double, i32, i64>(6, 7, sp(std::vector<i32>{0, 1}), sp(std::vector<i32>{6, 2}));
  expect_on<B>("argument_error", {"square", "6 x 7"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, rect.view(), batches, fanouts({2})); });

  // Malformed batch offsets.
  auto broken = batches;
  broken.offsets = {0, 3};
  expect_on<B>("argument_error", {"offsets"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), broken, fanouts({2})); });
}

MATSAMPLE_TEST_CASE_OVER("sample_nodewise: a vertex listed twice in one minibatch", B, test::backends) {
  const auto a = small_graph();
  const std::vector<i32> seeds{0, 4, 1, 4, 5};
  const auto one_batch = ms::batch_list<i32>::uniform(sp(seeds), 5);
  expect_on<B>("argument_error", {"minibatch 0", "vertex 4", "twice"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), one_batch, fanouts({2})); });
  // The minibatch is named by its number in the epoch, not its place in the call.
  expect_on<B>("argument_error", {"minibatch 7 lists vertex 4 twice"}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), ms::batch_list<i32>::uniform(sp(seeds), 5, 0, 7), fanouts({2}));
  });
  auto later = ms::batch_list<i32>::uniform(sp(seeds), 2);  // {0, 4}, {1, 4}, {5}: no repeat within a batch
  expect_on<B>("no error", {}, [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), later, fanouts({2, 2})); });
  const std::vector<i32> seeds2{0, 4, 1, 1};
  const auto second = ms::batch_list<i32>::uniform(sp(seeds2), 2);
  expect_on<B>("argument_error", {"minibatch 1", "vertex 1"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), second, fanouts({2})); });
  // Paper mode keeps every entry as its own node, so repeats are allowed.
  auto paper = fanouts({2});
  paper.deduplicate = false;
  expect_on<B>("no error", {}, [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), one_batch, paper); });
}

TEST_CASE("weighted sampling: negative, NaN and infinite weights") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const double bad : {-0.5, nan, inf, -inf}) {
    CAPTURE(bad);
    // 4 x 4, row 2 holds the bad weight among three entries.
    const std::vector<i64> indptr{0, 2, 3, 6, 7};
    const std::vector<i32> idx{1, 2, 0, 0, 1, 3, 2};
    const std::vector<double> w{1, 2, 3, 4, bad, 5, 6};
    const view_t a(4, 4, sp(indptr), sp(idx), sp(w));
    const std::vector<i32> rows{0, 2, 3};
    const std::vector<i64> offsets{0, 3};
    const ms::stacked_selection<i32> q{sp(rows), sp(offsets), 0, 0};
    for (const bool replace : {false, true}) {
      const ms::row_sampling weighted{1, replace, true};
      // Errors name the caller's vertex, the edge and the layer, never a row of P.
      const std::string bad_edge = "vertex 2: its edge to vertex 1 (weight ";
      expect_on_all_backends("argument_error", {bad_edge, "(layer 0, minibatch 0)"}, [&](const auto& b) {
        const auto p = b.gather_rows(a, sp(rows));
        (void)b.sample_rows(p.view(), q, weighted, 1, 0);
      });
      expect_on_all_backends("argument_error", {bad_edge, "(layer 3, minibatch 0)"},
                             [&](const auto& b) { (void)ms::gather_and_sample(b, a, q, weighted, 1, 3); });
      // Uniform sampling does not read the values.
      const ms::row_sampling uniform{1, replace, false};
      expect_on_all_backends("no error", {},
                             [&](const auto& b) { (void)ms::gather_and_sample(b, a, q, uniform, 1, 0); });
    }
    // Seeds 3 and 2: vertex 2 is a seed (layer 0). Seeds 0 and 3 reach vertex 2 only at layer 1.
    const std::vector<i32> seeds{3, 2};
    auto opt = fanouts({1});
    opt.weighted = true;
    expect_on_all_backends(
        "argument_error", {"vertex 2: its edge to vertex 1", "(layer 0, minibatch 0)"},
        [&](const auto& b) { (void)ms::sample_nodewise(b, a, ms::batch_list<i32>::uniform(sp(seeds), 2), opt); });
    const std::vector<i32> reaches_two{0, 3};
    auto two_layers = fanouts({-1, 1});
    two_layers.weighted = true;
    expect_on_all_backends(
        "argument_error", {"vertex 2: its edge to vertex 1", "(layer 1, minibatch 4)"}, [&](const auto& b) {
          (void)ms::sample_nodewise(b, a, ms::batch_list<i32>::uniform(sp(reaches_two), 2, 0, 4), two_layers);
        });
    const ms::labor_options labor{.fanouts = {-1, 1}, .weighted = true};
    expect_on_all_backends(
        "argument_error", {"vertex 2: its edge to vertex 1", "(layer 1, minibatch 4)"}, [&](const auto& b) {
          (void)ms::sample_labor(b, a, ms::batch_list<i32>::uniform(sp(reaches_two), 2, 0, 4), labor);
        });
  }
}

MATSAMPLE_TEST_CASE_OVER("select_columns: column lists must be ascending and in range", B, test::backends) {
  const auto m = small_graph();
  const std::vector<i64> rows2{0, 3, 6};
  const std::vector<i64> cols2{0, 2, 4};
  const std::vector<i32> unsorted{0, 1, 4, 2};
  expect_on<B>("argument_error", {"block 1", "ascending"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows2), sp(unsorted), sp(cols2)); });
  const std::vector<i32> repeated{0, 1, 3, 3};
  expect_on<B>("argument_error", {"ascending"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows2), sp(repeated), sp(cols2)); });
  const std::vector<i32> outside{0, 1, 3, 6};
  expect_on<B>("out_of_range_error", {"column 6"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows2), sp(outside), sp(cols2)); });
  const std::vector<i32> fine{0, 1, 3, 5};
  expect_on<B>("no error", {},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows2), sp(fine), sp(cols2)); });
  // Block counts and offsets.
  const std::vector<i64> cols3{0, 1, 2, 4};
  expect_on<B>("argument_error", {"2 row blocks but 3 column blocks"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows2), sp(fine), sp(cols3)); });
  const std::vector<i64> rows_short{0, 3, 5};
  expect_on<B>("argument_error", {"select_columns rows"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows_short), sp(fine), sp(cols2)); });
  const std::vector<i64> rows_down{0, 4, 3, 6};
  expect_on<B>("argument_error", {"decrease"},
               [&](const auto& b) { (void)b.select_columns(m.view(), sp(rows_down), sp(fine), sp(cols3)); });
}

MATSAMPLE_TEST_CASE_OVER("spgemm: inner dimensions must agree", B, test::backends) {
  const auto a = ms::csr_from_coo<double, i32, i64>(3, 4, sp(std::vector<i32>{0}), sp(std::vector<i32>{3}));
  const auto b = ms::csr_from_coo<double, i32, i64>(5, 2, sp(std::vector<i32>{4}), sp(std::vector<i32>{1}));
  expect_on<B>("argument_error", {"inner dimensions", "4 vs 5"},
               [&](const auto& be) { (void)be.spgemm(a.view(), b.view()); });
  expect_on<B>("no error", {}, [&](const auto& be) {
    (void)be.spgemm(b.view(), ms::csr_matrix<double, i32, i64>(2, 0, {0, 0, 0}, {}).view());
  });
  // A bad column in a row of A that is multiplied.
  const bad_column_graph g;
  expect_on<B>("csr_error", {"column 50"}, [&](const auto& be) { (void)be.spgemm(g.view(), g.view()); });
}

MATSAMPLE_TEST_CASE_OVER("sample_rows and compact_blocks: P, S and Q must agree", B, test::backends) {
  const auto a = small_graph();
  const std::vector<i32> rows{0, 1, 2};
  const auto p = ref.gather_rows(a.view(), sp(rows));
  const std::vector<i32> two{0, 1};
  const std::vector<i64> off2{0, 2};
  const ms::stacked_selection<i32> short_q{sp(two), sp(off2), 0, 0};
  expect_on<B>("argument_error", {"P has 3 rows but Q has 2"}, [&](const auto& b) {
    (void)b.sample_rows(p.view(), short_q, ms::row_sampling{1, false, false}, 0, 0);
  });
  expect_on<B>("argument_error", {"compact_blocks", "3 sampled rows for 2 destinations"},
               [&](const auto& b) { (void)b.compact_blocks(p.view(), short_q, true); });
  for (const auto& off :
       {std::vector<i64>{1, 3}, std::vector<i64>{0, 2}, std::vector<i64>{0, 2, 1, 3}, std::vector<i64>{}}) {
    const ms::stacked_selection<i32> q{sp(rows), sp(off), 0, 0};
    expect_on<B>("argument_error", {"batch offsets"}, [&](const auto& b) {
      (void)b.sample_rows(p.view(), q, ms::row_sampling{1, false, false}, 0, 0);
    });
    expect_on<B>("argument_error", {"batch offsets"},
                 [&](const auto& b) { (void)b.compact_blocks(p.view(), q, true); });
    expect_on<B>("argument_error", {"batch offsets"}, [&](const auto& b) {
      (void)ms::gather_and_sample(b, a.view(), q, ms::row_sampling{1, false, false}, 0, 0);
    });
  }
}

TEST_CASE("batches: size 0 and bulk ranges") {
  const std::vector<i32> seeds{1, 2, 3, 4, 5};
  CHECK_THROWS_WITH_AS(ms::batch_list<i32>::uniform(sp(seeds), 0),
                       doctest::Contains("batch size must be positive, got 0"), ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::batch_list<i32>::uniform(sp(seeds), -3), doctest::Contains("got -3"), ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::epoch_batches<i32>(sp(seeds), 0, 1, 0), doctest::Contains("batch size"), ms::argument_error);
  const ms::epoch_batches<i32> e(sp(seeds), 2, 1, 0);  // 3 batches
  CHECK_THROWS_WITH_AS((void)e.bulk(0, 0), doctest::Contains("bulk of 0 batches"), ms::argument_error);
  CHECK_THROWS_AS((void)e.bulk(-1, 2), ms::argument_error);
  CHECK_THROWS_WITH_AS((void)e.bulk(4, 1), doctest::Contains("from batch 4 of 3"), ms::argument_error);
  CHECK_NOTHROW((void)e.bulk(3, 1));
  CHECK_THROWS_AS(ms::batch_list<i32>::uniform(sp(seeds), 0), ms::error);
}

TEST_CASE("csr_from_coo: ids outside the shape, bad arguments, shapes beyond the index type") {
  const std::vector<i32> r{0, 1, 2}, c{0, 5, 1};
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(3, 5, sp(r), sp(c))),
                       doctest::Contains("edge 1 (1, 5) lies outside the 3 x 5 matrix"), ms::out_of_range_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(2, 6, sp(r), sp(c))),
                       doctest::Contains("edge 2 (2, 1)"), ms::out_of_range_error);
  const std::vector<i32> neg{0, -1, 2};
  CHECK_THROWS_AS((void)(ms::csr_from_coo<double, i32, i64>(3, 6, sp(neg), sp(c))), ms::out_of_range_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(-3, 6, sp(r), sp(c))),
                       doctest::Contains("negative shape"), ms::argument_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(3, 6, sp(r), sp(std::vector<i32>{0, 1}))),
                       doctest::Contains("3 row ids, 2 column ids"), ms::argument_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(3, 6, sp(r), sp(c), sp(std::vector<double>{1.0}))),
                       doctest::Contains("1 values"), ms::argument_error);
  ms::build_options sym;
  sym.symmetrize = true;
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(3, 6, sp(r), sp(c), {}, sym)),
                       doctest::Contains("cannot symmetrize a 3 x 6"), ms::argument_error);

  largest_request = 0;
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(3'000'000'000LL, 10, sp(r), sp(c))),
                       doctest::Contains("rows = 3000000000 does not fit a 32-bit"), ms::index_overflow_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_edges<double, i32, i32>(i64{1} << 31, sp(r), sp(c))),
                       doctest::Contains("2147483648"), ms::index_overflow_error);
  CHECK_THROWS_WITH_AS((void)(ms::csr_from_coo<double, i32, i64>(10, 5'000'000'000LL, sp(r), sp(c))),
                       doctest::Contains("columns = 5000000000"), ms::index_overflow_error);
  CHECK(largest_request.load() < (std::size_t{1} << 20));
}

MATSAMPLE_TEST_CASE_OVER(
    "int32 offsets: 40000 copies of a degree-70000 row overflow before anything that size is allocated", B,
    test::backends) {
  // Vertex 0 of a 70001-vertex graph links to every other vertex.
  std::vector<i32> indptr(70'002, 70'000);
  indptr[0] = 0;
  std::vector<i32> indices(70'000);
  for (i32 i = 0; i < 70'000; ++i) indices[static_cast<std::size_t>(i)] = i + 1;
  const ms::csr_matrix<double, i32, i32> a(70'001, 70'001, std::move(indptr), std::move(indices));
  const std::vector<i32> hub(40'000, 0);            // 2.8e9 entries > 2^31 - 1
  const std::size_t limit = std::size_t{64} << 20;  // the output would need 11 GB

  largest_request = 0;
  expect_on<B>("index_overflow_error", {"does not fit a 32-bit"},
               [&](const auto& b) { (void)b.gather_rows(a.view(), sp(hub)); });
  CHECK(largest_request.load() < limit);

  // One seed per minibatch, so nothing but the size is wrong.
  const auto batches = ms::batch_list<i32>::uniform(sp(hub), 1);
  largest_request = 0;
  expect_on<B>("index_overflow_error", {"does not fit a 32-bit"},
               [&](const auto& b) { (void)ms::sample_nodewise(b, a.view(), batches, fanouts({-1})); });
  CHECK(largest_request.load() < limit);

  // The same selection at a fanout that fits is sampled.
  const std::vector<i32> few(300, 0);
  expect_on<B>("no error", {}, [&](const auto& b) {
    (void)ms::sample_nodewise(b, a.view(), ms::batch_list<i32>::uniform(sp(few), 1), fanouts({5}));
  });
}

// ---- the reference and the CPU backend agree on malformed input --------------------------------

MATSAMPLE_TEST_CASE_OVER("backend parity: apply and row_reduce on a matrix with a bad column", B, test::backends) {
  const bad_column_graph g;
  expect_same_outcome<B>([&](const auto& b) { (void)b.apply(g.view(), [](i32, i32, double v) { return v; }); });
  expect_same_outcome<B>(
      [&](const auto& b) { (void)b.row_reduce(g.view(), 0.0, [](double acc, double v) { return acc + v; }); });
  expect_same_outcome<B>([&](const auto& b) { (void)ms::row_normalize(b, g.view()); });
  // Kernels that visit every row agree already.
  const std::vector<i64> rb{0, 5}, cb{0, 2};
  const std::vector<i32> cols{1, 3};
  expect_same_outcome<B>([&](const auto& b) { (void)b.select_columns(g.view(), sp(rb), sp(cols), sp(cb)); });
}

MATSAMPLE_TEST_CASE_OVER("backend parity: sampling a row whose bad column is not drawn", B, test::backends) {
  // Row 0 has ten entries; the last one is out of range. Fanout 2 draws two.
  const std::vector<i64> indptr{0, 10};
  const std::vector<i32> idx{0, 1, 2, 3, 4, 5, 6, 7, 8, 99};
  const view_t a(1, 10, sp(indptr), sp(idx));
  const std::vector<i32> rows{0};
  const std::vector<i64> off{0, 1};
  const ms::stacked_selection<i32> q{sp(rows), sp(off), 0, 0};
  for (const std::uint64_t seed : {0u, 1u, 2u}) {
    CAPTURE(seed);
    expect_same_outcome<B>([&](const auto& b) {
      (void)ms::gather_and_sample(b, a, q, ms::row_sampling{2, false, false}, seed, 0);
    });
    expect_same_outcome<B>([&](const auto& b) {
      (void)b.sample_rows(a, q, ms::row_sampling{2, false, false}, seed, 0);
    });
  }
  // Whole rows are copied, so every backend sees the bad column.
  expect_on<B>("csr_error", {"column 99"}, [&](const auto& b) {
    (void)ms::gather_and_sample(b, a, q, ms::row_sampling{-1, false, false}, 0, 0);
  });
}

MATSAMPLE_TEST_CASE_OVER("backend parity: a bad weight in one row and a bad column in a later row", B, test::backends) {
  const std::vector<i64> indptr{0, 2, 4};
  const std::vector<i32> idx{0, 1, 0, 9};
  const std::vector<double> w{-1.0, 1.0, 1.0, 1.0};
  const view_t a(2, 2, sp(indptr), sp(idx), sp(w));
  const std::vector<i32> rows{0, 1};
  const std::vector<i64> off{0, 2};
  const ms::stacked_selection<i32> q{sp(rows), sp(off), 0, 0};
  expect_same_outcome<B>([&](const auto& b) { (void)b.sample_rows(a, q, ms::row_sampling{-1, false, true}, 0, 0); });
}
