// The CUDA backend against the reference and the CPU backend: the shared
// kernel test bodies of tests/kernel_cases.hpp for every index width, the
// samplers on a device graph (the same minibatches as the CPU for the same
// seed), the device-only paths (device views, device-callable apply,
// cuSPARSE) and the error paths. Without a GPU it prints
// "SKIPPED: no CUDA device" and exits 77, which ctest reports as skipped.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "kernel_cases.hpp"
#include "matsample/cuda.cuh"
#include "support.hpp"

namespace {

const ms::cuda_backend gpu;
/// A one-byte budget: every SpGEMM row is a chunk of its own.
const ms::cuda_backend gpu_chunked{ms::cuda_options{.memory_budget = 1}};
const auto no_more_checks = [](const auto&, const auto&, const auto&, double) {};

template <class C>
test::mat<C> weighted_rmat(int scale) {
  using V = typename C::V;
  using I = typename C::I;
  auto g = ms::rmat<V, I, typename C::O>({.scale = scale, .edge_factor = 8, .seed = 3});
  return test::ref.apply(g.view(), [](I r, I c, V) { return static_cast<V>(static_cast<double>((r * 31 + c * 17) % 11) / 8.0); });
}

}  // namespace

TEST_CASE_TEMPLATE("cuda gather_rows equals the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::gather_rows_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda sample_rows, gather_and_sample equal the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::sample_rows_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda bulk-sized selections equal the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::bulk_gather_and_sample_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda whole rows", C, MATSAMPLE_INDEX_CONFIGS) { kernel_cases::whole_row_case<C>(gpu, gpu_chunked); }
TEST_CASE_TEMPLATE("cuda draw numbering", C, MATSAMPLE_INDEX_CONFIGS) { kernel_cases::draw_numbering_case<C>(gpu, gpu_chunked); }
TEST_CASE_TEMPLATE("cuda compact_blocks equals the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::compact_blocks_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda spgemm equals the reference (chunked too)", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::spgemm_case<C>(gpu, gpu_chunked, no_more_checks);
}
TEST_CASE_TEMPLATE("cuda select_columns equals the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::select_columns_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda apply, row_reduce, row_normalize", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::apply_reduce_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda relabel_columns equals the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::relabel_columns_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda relabel_columns errors", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::relabel_errors_case<C>(gpu, gpu_chunked);
}
TEST_CASE_TEMPLATE("cuda spgemm long rows equal the reference", C, MATSAMPLE_INDEX_CONFIGS) {
  kernel_cases::long_rows_spgemm_case<C>(gpu, gpu_chunked);
}

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
    CHECK(ms::sample_ladies(gpu_chunked, d.view(), batches, lo) == ms::sample_ladies(test::cpu2, g->view(), batches, lo));
    CHECK(ms::sample_fastgcn(gpu, d.view(), batches, lo) == ms::sample_fastgcn(test::cpu2, g->view(), batches, lo));
  }
}

TEST_CASE("cuda spgemm_cusparse: the general product, every fallback path, rows sorted") {
  using C = test::d_i32_o32;
  const auto pattern = ms::rmat<double, i32, i32>({.scale = 10, .edge_factor = 8, .seed = 9});
  const auto weighted = weighted_rmat<C>(10);
  // Pattern products sum small integers: exact whatever the order.
  CHECK(gpu.spgemm_cusparse(pattern.view(), pattern.view()) == test::ref.spgemm(pattern.view(), pattern.view()));
  CHECK(gpu_chunked.spgemm_cusparse(pattern.view(), pattern.view()) == test::ref.spgemm(pattern.view(), pattern.view()));
  const ms::cuda_backend via_cusparse{ms::cuda_options{.spgemm = ms::cuda::spgemm_method::cusparse}};
  const auto got = via_cusparse.spgemm(weighted.view(), weighted.view());
  const auto want = test::ref.spgemm(weighted.view(), weighted.view());
  REQUIRE(got.indptr() == want.indptr());
  CHECK(got.indices() == want.indices());
  for (std::size_t e = 0; e < want.values().size(); ++e) CHECK(got.values()[e] == doctest::Approx(want.values()[e]).epsilon(1e-12));
  const auto wide = ms::rmat<double, i64, i64>({.scale = 6, .edge_factor = 4, .seed = 1});
  CHECK_THROWS_AS(gpu.spgemm_cusparse(wide.view(), wide.view()), ms::argument_error);
}

TEST_CASE("cuda errors: bad input as on the CPU, out of memory with the bytes asked for") {
  const auto g = ms::rmat<double, i32, i64>({.scale = 8, .edge_factor = 4, .seed = 2});
  const auto d = ms::to_device(g.view());
  std::vector<i32> rows{1, 2, static_cast<i32>(g.rows())};
  CHECK_THROWS_WITH_AS(gpu.gather_rows(d.view(), sp(rows)), doctest::Contains("at position 2"), ms::out_of_range_error);
  const std::vector<i64> indptr{0, 2, 3};
  const std::vector<i32> bad_columns{0, 9, 1};
  const ms::csr_view<double, i32, i64> bad(2, 3, sp(indptr), sp(bad_columns));
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
  CHECK_THROWS_WITH(ms::cuda::check(CUSPARSE_STATUS_INVALID_VALUE, "cusparseTest"), doctest::Contains("cusparseTest failed"));
}

int main(int argc, char** argv) {
  if (ms::cuda::device_count() == 0) {
    std::printf("SKIPPED: no CUDA device (cudaGetDeviceCount found none); the gpu tests did not run\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
