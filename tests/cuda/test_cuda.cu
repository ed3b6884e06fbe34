// The CUDA backend against the reference and the CPU backend: the shared
// kernel test cases of tests/kernel_cases.hpp for every index width on the
// CUDA backend with its default options and with a one-byte memory budget
// (test::cuda_backends, the backend axis of tests/backends.hpp), the
// samplers on a device graph (the same minibatches as the CPU for the same
// seed), the device-only paths (device views, device-callable apply and the
// samplers' value maps, cuSPARSE with every fallback forced through
// spgemm_tuning, the deterministic product in passes, weighted sampling in
// CDF chunks) and the error paths. Without a GPU it prints
// "SKIPPED: no CUDA device" and exits 77, which ctest reports as skipped.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "backends.cuh"
#include "matsample/cuda.cuh"
#include "support.hpp"

#define MATSAMPLE_KERNEL_BACKENDS test::cuda_backends
#include "kernel_cases.hpp"

namespace {

const ms::cuda_backend& gpu = test::backend::cuda::get();
/// A one-byte budget: every SpGEMM row is a chunk of its own.
const ms::cuda_backend& gpu_chunked = test::backend::cuda_chunked::get();

template <class C>
test::mat<C> weighted_rmat(int scale) {
  using V = typename C::V;
  using I = typename C::I;
  auto g = ms::rmat<V, I, typename C::O>({.scale = scale, .edge_factor = 8, .seed = 3});
  return test::ref.apply(g.view(),
                         [](I r, I c, V) { return static_cast<V>(static_cast<double>((r * 31 + c * 17) % 11) / 8.0); });
}

}  // namespace

TEST_CASE_TEMPLATE("cuda device views: kernels keep data on the device; device-callable apply runs there", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  const auto g = weighted_rmat<C>(10);
  const auto d = ms::to_device(g.view());
  CHECK(ms::to_host(d) == g);
  const auto sel = kernel_cases::make_selection<I>(g.rows(), {40, 0, 7}, 9, true);
  CHECK(ms::to_host(gpu.gather_rows(d.view(), sp(sel.vertices))) == test::ref.gather_rows(g.view(), sp(sel.vertices)));
  const ms::row_sampling spec{5, false, true};
  CHECK(ms::to_host(gpu.gather_and_sample(d.view(), sel.q(1, 2), spec, 3, 0)) ==
        ms::gather_and_sample(test::ref, g.view(), sel.q(1, 2), spec, 3, 0));
  const auto twice = [] __host__ __device__(I, I, V v) { return static_cast<V>(v * V{2}); };
  static_assert(ms::cuda::device_callable<decltype(twice)>::value);
  CHECK(ms::to_host(gpu.apply(d.view(), twice)) == test::ref.apply(g.view(), twice));
  const auto sum = [] __host__ __device__(double acc, V v) { return acc + static_cast<double>(v); };
  CHECK(gpu.row_reduce(d.view(), 0.0, sum) == test::ref.row_reduce(g.view(), 0.0, sum));
  const auto host_sum = [](double acc, V v) { return acc + static_cast<double>(v); };  // the host hop
  CHECK(gpu.row_reduce(d.view(), 0.0, host_sum) == test::ref.row_reduce(g.view(), 0.0, sum));
  CHECK(ms::to_host(gpu.spgemm(d.view(), d.view())) == test::ref.spgemm(g.view(), g.view()));
}

namespace {

/// A typed graph's relations copied to the device, and the typed view over them.
template <class V, class I, class O>
struct device_relations {
  std::vector<ms::device_csr_matrix<V, I, O>> owned;
  std::vector<ms::device_csr_view<V, I, O>> views;
  ms::typed_graph_view<ms::device_csr_view<V, I, O>> graph;

  explicit device_relations(const ms::typed_graph<V, I, O>& host) : graph(make(host)) {}

 private:
  ms::typed_graph_view<ms::device_csr_view<V, I, O>> make(const ms::typed_graph<V, I, O>& host) {
    for (std::int32_t r = 0; r < host.schema().num_relations(); ++r)
      owned.push_back(ms::to_device(host.relation(r).view()));
    for (const auto& a : owned) views.push_back(a.view());
    return {host.schema(), views};
  }
};

/// n consecutive ids from `first`.
template <class I>
std::vector<I> from(I first, std::size_t n) {
  std::vector<I> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

/// Minibatches of 50 papers and 20 authors each (types 0 and 1 of three),
/// of epoch 1 from minibatch `first_batch`.
template <class I>
ms::typed_batch_list<I> papers_and_authors(const std::vector<I>& papers, const std::vector<I>& authors,
                                           std::uint64_t first_batch) {
  ms::typed_batch_list<I> batches;
  batches.types.resize(3);
  batches.types[0] = ms::batch_list<I>::uniform(sp(papers), 50, 1, first_batch);
  batches.types[1] = ms::batch_list<I>::uniform(sp(authors), 20, 1, first_batch);
  return batches;
}

}  // namespace

TEST_CASE_TEMPLATE("cuda: typed node-wise sampling of device relations gives the CPU's typed minibatches", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  using V = typename C::V;
  using O = typename C::O;
  const auto data = ms::typed_csbm<V, I, O>({.counts = {3000, 1500, 40}, .seed = 3});
  const auto& schema = data.graph.schema();
  const device_relations device(data.graph);
  const auto& device_graph = device.graph;
  const auto papers = from(I{0}, 500), authors = from(I{100}, 200);
  const auto batches = papers_and_authors(papers, authors, 4);
  for (const bool replace : {false, true}) {
    const ms::typed_nodewise_options o{
        .fanouts = ms::relation_fanouts(schema, {{{"cites", 5}, {"has_topic", 0}}, {{"writes", -1}}}, 3),
        .replace = replace,
        .seed = 9};
    CAPTURE(replace);
    CHECK(ms::sample_typed_nodewise(gpu, device_graph, batches, o) ==
          ms::sample_typed_nodewise(test::cpu2, data.graph.view(), batches, o));
  }
}

TEST_CASE_TEMPLATE(
    "cuda: typed LADIES (the stacked squares on the device) and typed link sampling give the CPU's samples", C,
    MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  using V = typename C::V;
  using O = typename C::O;
  const auto data = ms::typed_csbm<V, I, O>({.counts = {3000, 1500, 40}, .seed = 5});
  const auto& schema = data.graph.schema();
  const device_relations device(data.graph);
  const auto& device_graph = device.graph;
  const auto papers = from(I{0}, 400), authors = from(I{100}, 160);
  const auto batches = papers_and_authors(papers, authors, 2);
  const ms::typed_layerwise_options lo{.sample_sizes = {{60, 30, 8}, {80, -1, 0}}, .seed = 4};
  const ms::typed_ladies_sampler device_ladies(gpu, device_graph);
  const ms::typed_ladies_sampler host_ladies(test::cpu2, data.graph.view());
  CHECK(device_ladies(batches, lo) == host_ladies(batches, lo));
  // Link prediction on writes, the seed edges and their reverses masked on the device.
  const auto writes = schema.find_relation("writes");
  const auto a = data.graph.relation(writes).view();
  std::vector<I> src, dst;
  for (I u = 0; u < a.rows(); u += 5) {
    if (a.degree(u) > 0) {
      src.push_back(u);
      dst.push_back(a.indices()[static_cast<std::size_t>(a.row_begin(u))]);
    }
  }
  const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 64, 1, 3);
  const ms::typed_link_options link{.negatives = {.per_positive = 2, .seed = 4},
                                    .exclude = ms::edge_exclusion::reverse,
                                    .reverse_relation = schema.find_relation("rev_writes")};
  const ms::typed_nodewise_sampler device_nodes(gpu, device_graph);
  const ms::typed_nodewise_sampler host_nodes(test::cpu2, data.graph.view());
  const ms::typed_nodewise_options no{.fanouts = ms::uniform_fanouts(schema, {10, 5}), .seed = 8};
  CHECK(ms::typed_link_sampler(device_nodes, data.graph.view(), writes, link)(edges, no) ==
        ms::typed_link_sampler(host_nodes, data.graph.view(), writes, link)(edges, no));
  CHECK(ms::typed_link_sampler(device_ladies, data.graph.view(), writes, link)(edges, lo) ==
        ms::typed_link_sampler(host_ladies, data.graph.view(), writes, link)(edges, lo));
}

TEST_CASE_TEMPLATE("cuda samplers on a device graph give the CPU's minibatches", C, MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto pattern = ms::rmat<typename C::V, I, typename C::O>({.scale = 11, .edge_factor = 8, .seed = 5});
  const auto weighted = weighted_rmat<C>(11);
  for (const auto* g : {&pattern, &weighted}) {
    const auto d = ms::to_device(g->view());
    const auto sel = kernel_cases::make_selection<I>(g->rows(), {64, 64, 1, 64}, 12, true);
    ms::batch_list<I> batches{sp(sel.vertices), sel.offsets, 2, 8};
    for (const bool replace : {false, true}) {
      for (const bool deduplicate : {true, false}) {
        ms::nodewise_options o;
        o.fanouts = {15, 10, 5};
        o.replace = replace;
        o.weighted = g->has_values();
        o.deduplicate = deduplicate;
        o.seed = 42;
        CAPTURE(g->has_values());
        CAPTURE(replace);
        CAPTURE(deduplicate);
        CHECK(ms::sample_nodewise(gpu, d.view(), batches, o) == ms::sample_nodewise(test::cpu2, g->view(), batches, o));
      }
    }
    ms::layerwise_options lo;
    lo.sample_sizes = {64, 64};
    lo.seed = 7;
    CHECK(ms::sample_ladies(gpu, d.view(), batches, lo) == ms::sample_ladies(test::cpu2, g->view(), batches, lo));
    CHECK(ms::sample_ladies(gpu_chunked, d.view(), batches, lo) ==
          ms::sample_ladies(test::cpu2, g->view(), batches, lo));
    CHECK(ms::sample_fastgcn(gpu, d.view(), batches, lo) == ms::sample_fastgcn(test::cpu2, g->view(), batches, lo));
  }
}

TEST_CASE_TEMPLATE("cuda link prediction: masked device sampling gives the CPU's link minibatches", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto g = ms::rmat<typename C::V, I, typename C::O>({.scale = 11, .edge_factor = 8, .seed = 6});
  const auto d = ms::to_device(g.view());
  // Seed edges: the first entry of every 7th row that has one.
  std::vector<I> src, dst;
  for (I u = 0; u < g.rows(); u += 7) {
    if (g.view().degree(u) > 0) {
      src.push_back(u);
      dst.push_back(g.view().indices()[static_cast<std::size_t>(g.view().row_begin(u))]);
    }
  }
  const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 64, 1, 3);
  const ms::link_options lo{.negatives = {.per_positive = 2, .seed = 4}, .exclude = ms::edge_exclusion::reverse};
  const ms::nodewise_options no{.fanouts = {10, 5}, .seed = 8};
  const ms::nodewise_sampler device_nodes(gpu, d.view());
  const ms::nodewise_sampler host_nodes(test::cpu2, g.view());
  const auto on_gpu = ms::link_sampler(device_nodes, g.view(), lo)(edges, no);
  CHECK(on_gpu == ms::link_sampler(host_nodes, g.view(), lo)(edges, no));
  const ms::labor_sampler device_labor(gpu, d.view());
  const ms::labor_sampler host_labor(test::cpu2, g.view());
  const ms::labor_options labor{.fanouts = {10, 5}, .seed = 8};
  CHECK(ms::link_sampler(device_labor, g.view(), lo)(edges, labor) ==
        ms::link_sampler(host_labor, g.view(), lo)(edges, labor));
  // Edge ids of the device's blocks, looked up on the host graph.
  auto blocks = on_gpu.blocks;
  ms::attach_edge_ids(g.view(), blocks);
  CHECK(blocks.layers.front().edge_ids.size() == blocks.layers.front().indices.size());
}

TEST_CASE("cuda spgemm_cusparse: the general product, every fallback path, rows sorted") {
  using C = test::d_i32_o32;
  const auto pattern = ms::rmat<double, i32, i32>({.scale = 10, .edge_factor = 8, .seed = 9});
  const auto weighted = weighted_rmat<C>(10);
  // Pattern products sum small integers: exact whatever the order.
  CHECK(gpu.spgemm_cusparse(pattern.view(), pattern.view()) == test::ref.spgemm(pattern.view(), pattern.view()));
  CHECK(gpu_chunked.spgemm_cusparse(pattern.view(), pattern.view()) ==
        test::ref.spgemm(pattern.view(), pattern.view()));
  const ms::cuda_backend via_cusparse{ms::cuda_options{.spgemm = ms::cuda::spgemm_method::cusparse}};
  const auto got = via_cusparse.spgemm(weighted.view(), weighted.view());
  const auto want = test::ref.spgemm(weighted.view(), weighted.view());
  REQUIRE(got.indptr() == want.indptr());
  CHECK(got.indices() == want.indices());
  for (std::size_t e = 0; e < want.values().size(); ++e)
    CHECK(got.values()[e] == doctest::Approx(want.values()[e]).epsilon(1e-12));
  const auto wide = ms::rmat<double, i64, i64>({.scale = 6, .edge_factor = 4, .seed = 1});
  CHECK_THROWS_AS(gpu.spgemm_cusparse(wide.view(), wide.view()), ms::argument_error);
}

namespace {

using step = ms::cuda::spgemm_step;
using outcome = step::outcome;

/// spgemm_cusparse with `tuning` (and `budget`) against the deterministic
/// product, which has the CPU's bits: a pattern product exactly, a weighted
/// one up to the last bits of each sum.
template <class M>
void check_cusparse(const M& a, const ms::cuda::spgemm_tuning& tuning, std::size_t budget = 0) {
  const ms::cuda_backend with{ms::cuda_options{.memory_budget = budget, .spgemm_tuning = tuning}};
  const auto got = with.spgemm_cusparse(a.view(), a.view());
  const auto want = gpu.spgemm(a.view(), a.view());
  REQUIRE(got.indptr() == want.indptr());
  CHECK(got.indices() == want.indices());
  if (!a.has_values()) {
    CHECK(got.values() == want.values());
  } else {
    for (std::size_t e = 0; e < want.values().size(); ++e)
      CHECK(got.values()[e] == doctest::Approx(want.values()[e]).epsilon(1e-12));
  }
}

std::int64_t count(const std::vector<step>& trace, outcome o, int algorithm = -1) {
  return std::count_if(trace.begin(), trace.end(),
                       [&](const step& s) { return s.result == o && (algorithm < 0 || s.algorithm == algorithm); });
}

}  // namespace

TEST_CASE("cuda spgemm_cusparse: ALG2 first, ALG3 first, the int32 skip, halved chunks, traced") {
  using C = test::d_i32_o32;
  const auto pattern = ms::rmat<double, i32, i32>({.scale = 9, .edge_factor = 8, .seed = 9});
  const auto weighted = weighted_rmat<C>(9);
  for (const auto* g : {&pattern, &weighted}) {
    CAPTURE(g->has_values());
    std::vector<step> trace;
    ms::cuda::spgemm_tuning t;
    t.trace = &trace;
    check_cusparse(*g, t);  // ALG1 by default, one chunk
    CHECK(trace.size() == 1);
    CHECK(count(trace, outcome::done, CUSPARSE_SPGEMM_ALG1) == 1);

    trace.clear();
    t.first_algorithm = CUSPARSE_SPGEMM_ALG2;  // estimateMemory sizes ALG2's buffer
    check_cusparse(*g, t);
    CHECK(trace.size() == 1);
    CHECK(count(trace, outcome::done, CUSPARSE_SPGEMM_ALG2) == 1);

    trace.clear();
    t.first_algorithm = CUSPARSE_SPGEMM_ALG3;
    t.alg3_fractions = {0.5f, 0.05f};
    check_cusparse(*g, t);
    REQUIRE(trace.size() == 1);
    CHECK(count(trace, outcome::done, CUSPARSE_SPGEMM_ALG3) == 1);
    CHECK(trace[0].fraction == 0.5f);

    trace.clear();
    t = ms::cuda::spgemm_tuning{};
    t.trace = &trace;
    t.int32_product_limit = 1;  // as if past int32: ALG1 and ALG2 are skipped
    check_cusparse(*g, t);
    REQUIRE(trace.size() == 3);
    CHECK(count(trace, outcome::skipped_int32, CUSPARSE_SPGEMM_ALG1) == 1);
    CHECK(count(trace, outcome::skipped_int32, CUSPARSE_SPGEMM_ALG2) == 1);
    CHECK(count(trace, outcome::done, CUSPARSE_SPGEMM_ALG3) == 1);
  }
  // Buffers over the budget: no algorithm fits, so chunks are halved down to
  // single rows, which are tried whatever they ask.
  const auto small = weighted_rmat<C>(6);
  std::vector<step> trace;
  ms::cuda::spgemm_tuning t;
  t.trace = &trace;
  t.cusparse_buffer_budget = 1;
  check_cusparse(small, t);
  CHECK(count(trace, outcome::split) > 0);
  CHECK(count(trace, outcome::over_budget) > 0);
  for (const auto& s : trace) {
    if (s.result == outcome::done) CHECK(s.rows == 1);
  }
  // strict_budget: a single row over the budget is out of memory, with the bytes it asked for.
  t.strict_budget = true;
  const ms::cuda_backend strict{ms::cuda_options{.spgemm_tuning = t}};
  try {
    (void)strict.spgemm_cusparse(small.view(), small.view());
    FAIL("a product over a one-byte budget succeeded");
  } catch (const ms::cuda_out_of_memory& e) {
    CHECK(e.bytes() > 1);
    CHECK(std::string(e.what()).find("fits no cuSPARSE algorithm") != std::string::npos);
  }
  ms::cuda::spgemm_tuning bad;
  bad.alg3_fractions = {0.0f};
  CHECK_THROWS_AS(
      (ms::cuda_backend{ms::cuda_options{.spgemm_tuning = bad}}.spgemm_cusparse(small.view(), small.view())),
      ms::argument_error);
  bad = {};
  bad.max_pass_products = 0;
  CHECK_THROWS_AS((ms::cuda_backend{ms::cuda_options{.spgemm_tuning = bad}}.spgemm(small.view(), small.view())),
                  ms::argument_error);
}

TEST_CASE_TEMPLATE("cuda spgemm: rows past one pass are summed in passes with the same bits", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  const auto g = weighted_rmat<C>(9);
  const auto d = ms::to_device(g.view());
  // FastGCN's product 1ᵀ·A: one row whose products are every entry of A.
  std::vector<I> every_row(static_cast<std::size_t>(g.rows()));
  for (I r = 0; r < g.rows(); ++r) every_row[r] = r;
  const std::vector<O> one_row{0, static_cast<O>(g.rows())};
  const ms::csr_view<V, I, O> ones(1, g.rows(), one_row, every_row);
  const auto want_norms = test::ref.spgemm(ones, g.view());
  const auto want_square = test::ref.spgemm(g.view(), g.view());
  for (const std::int64_t pass : {std::int64_t{7}, std::int64_t{1000}, std::int64_t{100000}}) {
    CAPTURE(pass);
    std::vector<step> trace;
    ms::cuda::spgemm_tuning t;
    t.max_pass_products = pass;
    t.trace = &trace;
    const ms::cuda_backend with{ms::cuda_options{.spgemm_tuning = t}};
    CHECK(with.spgemm(ones, d.view()) == want_norms);
    const bool split = std::any_of(trace.begin(), trace.end(), [](const step& s) { return s.passes > 1; });
    CHECK(split == (pass < static_cast<std::int64_t>(g.nnz())));
    if (pass >= 1000) CHECK(ms::to_host(with.spgemm(d.view(), d.view())) == want_square);
  }
}

TEST_CASE_TEMPLATE("cuda samplers' value maps run on the device and read their tables there", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  const auto g = weighted_rmat<C>(9);
  const auto d = ms::to_device(g.view());
  std::vector<double> factors(static_cast<std::size_t>(g.cols()));
  for (std::size_t j = 0; j < factors.size(); ++j) factors[j] = 1.0 / static_cast<double>(j + 3);
  const ms::detail::scale_by_column<V, I> scale{factors.data(), static_cast<std::int64_t>(factors.size())};
  static_assert(ms::cuda::device_callable<ms::detail::scale_by_column<V, I>>::value &&
                ms::cuda::table_map<ms::detail::scale_by_column<V, I>>);
  CHECK(ms::to_host(gpu.apply(d.view(), scale)) == test::ref.apply(g.view(), scale));
  CHECK(ms::to_host(gpu.apply(d.view(), ms::detail::square_value<V, I>{})) ==
        test::ref.apply(g.view(), ms::detail::square_value<V, I>{}));
  const auto sums = gpu.row_reduce(d.view(), 0.0, ms::detail::sum_as_double<V>{});
  CHECK(sums == test::ref.row_reduce(g.view(), 0.0, ms::detail::sum_as_double<V>{}));
  CHECK(ms::to_host(ms::row_normalize(gpu, d.view())) == ms::row_normalize(test::ref, g.view()));
  const ms::detail::scale_by_column<V, I> short_table{factors.data(), 3};
  CHECK_THROWS_WITH_AS(gpu.apply(d.view(), short_table), doctest::Contains("a table of 3 values"), ms::argument_error);
}

TEST_CASE_TEMPLATE("cuda weighted sampling in CDF chunks that fit the budget equals the CPU", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto g = weighted_rmat<C>(11);
  const auto d = ms::to_device(g.view());
  const auto sel = kernel_cases::make_selection<I>(g.rows(), {300, 200, 1, 300}, 21, true);
  for (const std::size_t budget : {std::size_t{1}, std::size_t{8} << 10, std::size_t{0}}) {
    CAPTURE(budget);
    const ms::cuda_backend with{ms::cuda_options{.memory_budget = budget}};
    for (const bool replace : {false, true}) {
      const ms::row_sampling spec{10, replace, true};
      CHECK(ms::to_host(with.gather_and_sample(d.view(), sel.q(0, 4), spec, 5, 1)) ==
            ms::gather_and_sample(test::cpu2, g.view(), sel.q(0, 4), spec, 5, 1));
    }
  }
}

TEST_CASE("cuda errors: bad input as on the CPU, out of memory with the bytes asked for") {
  const auto g = ms::rmat<double, i32, i64>({.scale = 8, .edge_factor = 4, .seed = 2});
  const auto d = ms::to_device(g.view());
  std::vector<i32> rows{1, 2, static_cast<i32>(g.rows())};
  CHECK_THROWS_WITH_AS(gpu.gather_rows(d.view(), sp(rows)), doctest::Contains("at position 2"), ms::out_of_range_error);
  // Square, so the product's shapes agree and the bad column is what stops it.
  const std::vector<i64> indptr{0, 2, 3, 3};
  const std::vector<i32> bad_columns{0, 9, 1};
  const ms::csr_view<double, i32, i64> bad(3, 3, sp(indptr), sp(bad_columns));
  CHECK_THROWS_WITH_AS(gpu.spgemm(bad, bad), doctest::Contains("column 9 out of range [0, 3) in row 0"), ms::csr_error);
  const std::size_t huge = std::size_t{1} << 50;
  try {
    ms::cuda::device_buffer<double> b(static_cast<std::int64_t>(huge / sizeof(double)), gpu.stream(), "a test buffer");
    FAIL("a petabyte allocation succeeded");
  } catch (const ms::cuda_out_of_memory& e) {
    CHECK(e.bytes() == huge);
    CHECK(std::string(e.what()).find("out of device memory allocating 1125899906842624 bytes for a test buffer") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(ms::cuda::check(cudaErrorInvalidValue, "cudaTest"), ms::cuda_error);
  CHECK_THROWS_WITH(ms::cuda::check(CUSPARSE_STATUS_INVALID_VALUE, "cusparseTest"),
                    doctest::Contains("cusparseTest failed"));
}

int main(int argc, char** argv) {
  if (ms::cuda::device_count() == 0) {
    std::printf("SKIPPED: no CUDA device (cudaGetDeviceCount found none); the gpu tests did not run\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
