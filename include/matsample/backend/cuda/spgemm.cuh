#pragma once
// General SpGEMM on the device, two ways.
//
// The kernel contract's spgemm (what LADIES and FastGCN call) is our own
// expand-sort-sum product: every product A(r,k)·B(k,j) is written out in A's
// entry order, a stable radix sort by (row, column) keeps each output entry's
// products in traversal order, and one thread sums each run left to right
// from zero. That is exactly the CPU backend's summation order, so weighted
// importance rows, and therefore the sampled columns, are bit-identical to
// the CPU's. cuSPARSE does not promise any summation order (ALG1 accumulates
// with atomics), so for weighted matrices its sums can differ in the last
// bits, which would change which columns a seed samples.
//
// One pass of the deterministic product takes at most max_pass_products
// products (CUB's run-length encode counts in int, so never more than
// INT32_MAX). A row with more products (FastGCN's 1ᵀ·(A∘A) on a graph past
// 2^31 entries) is summed in consecutive passes over its products, each pass
// starting every column's sum from the previous passes' sum: the same
// additions in the same order, so the same bits.
//
// spgemm_cusparse is the general product through cuSPARSE's generic API
// (32-bit indices, float or double): ALG1 is tried first, then ALG2, then
// ALG3 with a shrinking chunk fraction, on CUSPARSE_STATUS_INSUFFICIENT_RESOURCES,
// an allocation failure, buffers past the memory budget, or a product count
// past int32 (ALG1 and ALG2 count in int32). ALG2 and ALG3 size their compute
// buffer with cusparseSpGEMM_estimateMemory (as NVIDIA's spgemm_mem sample
// does). When no algorithm fits a chunk of several rows, the chunk is split in
// half by products and each half retried; a single row that fits nowhere
// throws cuda_out_of_memory with the bytes asked for. Rows come back sorted.
// Its values equal the CPU's up to rounding (exactly for pattern and
// small-integer matrices).
//
// Both split A's rows (the k stacked minibatches of Q) into chunks whose
// products fit a memory budget, and concatenate the chunks' rows.
// spgemm_tuning holds the knobs tests use to force each path.

#include <cuda_runtime.h>
#include <cusparse.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/algebra/row_kernels.hpp"
#include "matsample/backend/cuda/kernels.cuh"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/backend/cuda/primitives.cuh"

namespace matsample::cuda {

/// How cuda_backend::spgemm multiplies (see the file comment).
enum class spgemm_method {
  deterministic,  ///< expand-sort-sum: the CPU backend's bits (default)
  cusparse        ///< cuSPARSE's generic SpGEMM with ALG1 -> ALG2 -> ALG3 fallback
};

/// What happened to one chunk of rows in a SpGEMM (see spgemm_tuning::trace).
struct spgemm_step {
  /// How an attempt ended.
  enum class outcome {
    done,           ///< this attempt produced the chunk
    skipped_int32,  ///< ALG1/ALG2 skipped: the product count is past their int32 limit
    over_budget,    ///< the attempt's buffers would exceed the memory budget
    out_of_memory,  ///< an allocation or cuSPARSE ran out of resources
    split           ///< no algorithm fitted: the chunk was halved
  };
  /// First row of A (of the k stacked minibatches) in the chunk.
  std::int64_t first_row = 0, rows = 0, products = 0;
  /// \var rows
  /// Rows in the chunk.
  /// \var products
  /// Products A(r,k)·B(k,j) the chunk's rows compute.
  int algorithm = 0;               ///< the cusparseSpGEMMAlg_t tried; 0 for the deterministic product
  float fraction = 0;              ///< ALG3's chunk fraction (0 otherwise)
  std::int64_t passes = 1;         ///< deterministic product: passes over the chunk's products
  std::size_t bytes = 0;           ///< cuSPARSE buffers the attempt asked for (all of them at once)
  outcome result = outcome::done;  ///< how the attempt ended
};

/// Knobs of the SpGEMM paths. The defaults are what production wants; tests
/// lower the limits to force each fallback on small matrices.
struct spgemm_tuning {
  /// Products one pass of the deterministic product takes, in [1, INT32_MAX]
  /// (CUB's run-length encode counts in int); a row with more is summed in passes.
  std::int64_t max_pass_products = max_cub_items;
  /// The first cuSPARSE algorithm tried (ALG1, ALG2 or ALG3); the later ones follow.
  cusparseSpGEMMAlg_t first_algorithm = CUSPARSE_SPGEMM_ALG1;
  /// ALG3's chunk fractions, in the order tried; each in (0, 1].
  std::vector<float> alg3_fractions{0.2f, 0.1f, 0.05f, 0.02f, 0.01f};
  /// A chunk with this many products or more skips ALG1 and ALG2 (they count in int32).
  std::int64_t int32_product_limit = std::numeric_limits<std::int32_t>::max();
  /// Bytes cuSPARSE's buffers of one attempt may take; 0: memory_budget (or
  /// half the free device memory). A chunk of one row is tried whatever its
  /// buffers ask, unless strict_budget.
  std::size_t cusparse_buffer_budget = 0;
  /// Hold single-row chunks to cusparse_buffer_budget too (tests use it to
  /// reach the out-of-memory path).
  bool strict_budget = false;
  /// When set, every chunk attempt is appended here.
  std::vector<spgemm_step>* trace = nullptr;
};

/// Throws argument_error for a max_pass_products outside [1, INT32_MAX], a
/// first_algorithm that is not ALG1, ALG2 or ALG3, a chunk fraction outside
/// (0, 1] or a negative int32_product_limit.
inline void validate(const spgemm_tuning& t) {
  if (t.max_pass_products < 1 || t.max_pass_products > max_cub_items) {
    throw argument_error(matsample::detail::concat("spgemm_tuning: max_pass_products ", t.max_pass_products,
                                                   " outside [1, ", max_cub_items, "]"));
  }
  if (t.first_algorithm != CUSPARSE_SPGEMM_ALG1 && t.first_algorithm != CUSPARSE_SPGEMM_ALG2 &&
      t.first_algorithm != CUSPARSE_SPGEMM_ALG3) {
    throw argument_error(matsample::detail::concat("spgemm_tuning: first_algorithm ",
                                                   static_cast<int>(t.first_algorithm),
                                                   " is not CUSPARSE_SPGEMM_ALG1, ALG2 or ALG3"));
  }
  for (const float f : t.alg3_fractions) {
    if (!(f > 0.0f && f <= 1.0f))
      throw argument_error(matsample::detail::concat("spgemm_tuning: ALG3 chunk fraction ", f, " outside (0, 1]"));
  }
  if (t.int32_product_limit < 0) throw argument_error("spgemm_tuning: negative int32_product_limit");
}

namespace detail {

/// One chunk of output rows: local offsets (from 0), columns, values.
template <class V, index_type I>
struct product_chunk {
  std::int64_t first_row = 0, rows = 0, nnz = 0;
  device_buffer<std::int64_t> indptr;
  device_buffer<I> indices;
  device_buffer<V> values;
};

/// Checks both operands where the product reads them and returns, per entry
/// of A, where its products start (entry_offsets, nnz(A) + 1) and, on the
/// host, the products before each row (rows(A) + 1) and A's row offsets.
template <class V, index_type I, index_type O>
struct product_plan {
  device_buffer<std::int64_t> entry_offsets;
  std::vector<std::int64_t> row_products;  ///< prefix over rows
  std::vector<O> a_indptr;
};

template <class V, index_type I, index_type O>
product_plan<V, I, O> plan_products(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b,
                                    cudaStream_t stream) {
  if (a.cols() != b.rows()) {
    throw argument_error(concat("spgemm: inner dimensions differ (", a.cols(), " vs ", b.rows(), ")"));
  }
  check_all_rows(a, "spgemm left operand", stream);
  const auto aa = a.arrays(), ba = b.arrays();
  const std::int64_t nnz = a.nnz(), rows = a.rows();
  device_buffer<std::int64_t> per_entry(nnz, stream, "products per entry");
  std::int64_t* pe = per_entry.data();
  {
    device_first_failure bad(stream);
    long long* slot = bad.slot();
    for_each_index(nnz, stream, [=] __device__(std::int64_t e) {
      const std::int64_t k = aa.indices[e];
      if (!ba.row_sound(k)) {
        record_failure(slot, k);
        pe[e] = 0;
        return;
      }
      pe[e] = ba.indptr[k + 1] - ba.indptr[k];
    });
    if (const auto k = bad.index(); k >= 0) diagnose_on_host(b, k, "spgemm right operand", k, stream);
  }
  product_plan<V, I, O> plan;
  plan.entry_offsets = device_buffer<std::int64_t>(nnz + 1, stream, "product offsets");
  (void)exclusive_sum(per_entry.data(), plan.entry_offsets.data(), nnz, stream);
  plan.a_indptr.assign(static_cast<std::size_t>(rows) + 1, O{0});
  if (rows > 0) download(plan.a_indptr.data(), a.indptr(), rows + 1, stream);
  device_buffer<std::int64_t> row_products(rows + 1, stream, "products per row");
  std::int64_t* rp = row_products.data();
  const std::int64_t* eo = plan.entry_offsets.data();
  const O* ip = a.indptr();
  if (rows > 0) {
    for_each_index(rows + 1, stream, [=] __device__(std::int64_t r) { rp[r] = eo[ip[r]]; });
    plan.row_products = download(row_products.data(), rows + 1, stream);
  } else {
    plan.row_products.assign(1, 0);
  }
  return plan;
}

/// Expand, stably sort by (row, column), sum each run: rows [r0, r1) of A·B.
template <class V, index_type I, index_type O>
product_chunk<V, I> deterministic_chunk(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b,
                                        const product_plan<V, I, O>& plan, std::int64_t r0, std::int64_t r1,
                                        cudaStream_t stream) {
  product_chunk<V, I> out;
  out.first_row = r0;
  out.rows = r1 - r0;
  const std::int64_t e0 = plan.a_indptr[r0], e1 = plan.a_indptr[r1];
  const std::int64_t p0 = plan.row_products[r0], products = plan.row_products[r1] - p0;
  const auto cols_b = static_cast<std::uint64_t>(b.cols());
  (void)checked_mul(out.rows, static_cast<std::int64_t>(cols_b), "(row, column) keys of a SpGEMM chunk");
  device_buffer<std::uint64_t> keys(products, stream, "product keys"), keys_alt(products, stream, "product keys");
  device_buffer<V> vals(products, stream, "products"), vals_alt(products, stream, "products");
  {
    const auto aa = a.arrays(), ba = b.arrays();
    const std::int64_t* eo = plan.entry_offsets.data();
    const std::int64_t rows_a = a.rows();
    std::uint64_t* ky = keys.data();
    V* pv = vals.data();
    for_each_index(e1 - e0, stream, [=] __device__(std::int64_t i) {
      const std::int64_t e = e0 + i;
      const std::int64_t r = kernels::block_of(aa.indptr, rows_a, e);
      kernels::expand_products(aa, ba, r - r0, e, ky + (eo[e] - p0), pv + (eo[e] - p0));
    });
  }
  cub::DoubleBuffer<std::uint64_t> kb(keys.data(), keys_alt.data());
  cub::DoubleBuffer<V> vb(vals.data(), vals_alt.data());
  radix_sort_pairs(kb, vb, products, key_bits(static_cast<std::uint64_t>(out.rows) * cols_b), stream);
  device_buffer<std::uint64_t> unique(products, stream, "output keys");
  device_buffer<std::int64_t> lengths(products + 1, stream, "run lengths"), starts(products + 1, stream, "run starts");
  out.nnz = run_length_encode(kb.Current(), unique.data(), lengths.data(), products, stream);
  (void)exclusive_sum(lengths.data(), starts.data(), out.nnz, stream);
  out.indices = device_buffer<I>(out.nnz, stream, "product columns");
  out.values = device_buffer<V>(out.nnz, stream, "product values");
  out.indptr = device_buffer<std::int64_t>(out.rows + 1, stream, "product row offsets");
  const std::uint64_t* uk = unique.data();
  const std::int64_t* st = starts.data();
  const V* sorted = vb.Current();
  I* ci = out.indices.data();
  V* cv = out.values.data();
  for_each_index(out.nnz, stream, [=] __device__(std::int64_t u) {
    ci[u] = static_cast<I>(uk[u] % cols_b);
    cv[u] = kernels::sum_run(sorted, st[u], st[u + 1]);
  });
  std::int64_t* ip = out.indptr.data();
  const std::int64_t runs = out.nnz;
  for_each_index(out.rows + 1, stream, [=] __device__(std::int64_t r) {
    ip[r] = kernels::lower_bound_key(uk, runs, static_cast<std::uint64_t>(r) * cols_b);
  });
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");  // scratch is freed on return
  return out;
}

/// A row with more products than one pass takes, in passes of at most
/// `pass` products over its products in order; every column's sum starts
/// from the previous passes' sum, so the bits are the one-pass bits.
template <class V, index_type I, index_type O>
product_chunk<V, I> long_row_chunk(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b,
                                   const product_plan<V, I, O>& plan, std::int64_t r, std::int64_t pass,
                                   std::int64_t& passes, cudaStream_t stream) {
  const std::int64_t e0 = plan.a_indptr[r], e1 = plan.a_indptr[r + 1];
  const std::int64_t p_end = plan.row_products[r + 1];
  const auto cols_b = static_cast<std::uint64_t>(b.cols());
  const int bits = key_bits(cols_b);
  const auto aa = a.arrays(), ba = b.arrays();
  const std::int64_t* eo = plan.entry_offsets.data();
  device_buffer<I> acc_cols;  // the row so far: ascending columns and their sums
  device_buffer<V> acc_vals;
  std::int64_t acc = 0;
  passes = 0;
  for (std::int64_t q0 = plan.row_products[r]; q0 < p_end; q0 += pass, ++passes) {
    const std::int64_t n = std::min(pass, p_end - q0);
    device_buffer<std::uint64_t> keys(n, stream, "product keys"), keys_alt(n, stream, "product keys");
    device_buffer<V> vals(n, stream, "products"), vals_alt(n, stream, "products");
    std::uint64_t* ky = keys.data();
    V* pv = vals.data();
    for_each_index(n, stream, [=] __device__(std::int64_t i) {
      const std::int64_t p = q0 + i;
      const std::int64_t e = e0 + kernels::block_of(eo + e0, e1 - e0, p);
      const std::int64_t f = ba.indptr[aa.indices[e]] + (p - eo[e]);
      kernels::expand_product(aa, ba, 0, e, f, ky[i], pv[i]);
    });
    cub::DoubleBuffer<std::uint64_t> kb(keys.data(), keys_alt.data());
    cub::DoubleBuffer<V> vb(vals.data(), vals_alt.data());
    radix_sort_pairs(kb, vb, n, bits, stream);
    device_buffer<std::uint64_t> unique(n, stream, "output keys");
    device_buffer<std::int64_t> lengths(n + 1, stream, "run lengths"), starts(n + 1, stream, "run starts");
    const std::int64_t runs = run_length_encode(kb.Current(), unique.data(), lengths.data(), n, stream);
    (void)exclusive_sum(lengths.data(), starts.data(), runs, stream);
    // This pass's sums, each continuing its column's sum so far.
    device_buffer<V> sums(runs, stream, "product sums");
    const std::uint64_t* uk = unique.data();
    const std::int64_t* st = starts.data();
    const V* sorted = vb.Current();
    const I* pc = acc_cols.data();
    const V* ps = acc_vals.data();
    const std::int64_t before = acc;
    V* sm = sums.data();
    for_each_index(runs, stream, [=] __device__(std::int64_t u) {
      const std::int64_t at = kernels::find_sorted(pc, before, static_cast<I>(uk[u]));
      sm[u] = kernels::sum_run(sorted, st[u], st[u + 1], at >= 0 ? ps[at] : V{0});
    });
    // The new row: earlier columns this pass did not touch, then this pass's, sorted by column.
    device_buffer<std::int64_t> keep(before + 1, stream, "kept columns"), keep_at(before + 1, stream, "kept offsets");
    std::int64_t* kp = keep.data();
    for_each_index(before, stream, [=] __device__(std::int64_t j) {
      const std::int64_t at = kernels::lower_bound_key(uk, runs, static_cast<std::uint64_t>(pc[j]));
      kp[j] = (at < runs && uk[at] == static_cast<std::uint64_t>(pc[j])) ? 0 : 1;
    });
    const std::int64_t kept = exclusive_sum(keep.data(), keep_at.data(), before, stream);
    const std::int64_t total = kept + runs;
    device_buffer<std::uint64_t> mkeys(total, stream, "row columns"), mkeys_alt(total, stream, "row columns");
    device_buffer<V> mvals(total, stream, "row sums"), mvals_alt(total, stream, "row sums");
    std::uint64_t* mk = mkeys.data();
    V* mv = mvals.data();
    const std::int64_t* ka = keep_at.data();
    for_each_index(before, stream, [=] __device__(std::int64_t j) {
      if (kp[j] == 0) return;
      mk[ka[j]] = static_cast<std::uint64_t>(pc[j]);
      mv[ka[j]] = ps[j];
    });
    for_each_index(runs, stream, [=] __device__(std::int64_t u) {
      mk[kept + u] = uk[u];
      mv[kept + u] = sm[u];
    });
    cub::DoubleBuffer<std::uint64_t> mkb(mkeys.data(), mkeys_alt.data());
    cub::DoubleBuffer<V> mvb(mvals.data(), mvals_alt.data());
    radix_sort_pairs(mkb, mvb, total, bits, stream);  // the two lists are disjoint: the sort merges them
    device_buffer<I> next_cols(total, stream, "product columns");
    device_buffer<V> next_vals(total, stream, "product values");
    I* nc = next_cols.data();
    V* nv = next_vals.data();
    const std::uint64_t* sk = mkb.Current();
    const V* sv = mvb.Current();
    for_each_index(total, stream, [=] __device__(std::int64_t i) {
      nc[i] = static_cast<I>(sk[i]);
      nv[i] = sv[i];
    });
    acc_cols = std::move(next_cols);
    acc_vals = std::move(next_vals);
    acc = total;
  }
  product_chunk<V, I> out;
  out.first_row = r;
  out.rows = 1;
  out.nnz = acc;
  out.indices = std::move(acc_cols);
  out.values = std::move(acc_vals);
  out.indptr = device_buffer<std::int64_t>(2, stream, "product row offsets");
  std::int64_t* ip = out.indptr.data();
  for_each_index(2, stream, [=] __device__(std::int64_t i) { ip[i] = i == 0 ? 0 : acc; });
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return out;
}

template <class V>
constexpr cudaDataType cuda_value_type() {
  if constexpr (std::is_same_v<V, float>)
    return CUDA_R_32F;
  else
    return CUDA_R_64F;
}

/// Owns a cuSPARSE matrix descriptor (H: mutable or const handle).
template <class H>
struct matrix_descriptor {
  H handle = nullptr;
  matrix_descriptor() = default;
  matrix_descriptor(const matrix_descriptor&) = delete;
  matrix_descriptor& operator=(const matrix_descriptor&) = delete;
  ~matrix_descriptor() {
    if (handle != nullptr) (void)cusparseDestroySpMat(handle);
  }
};
using sparse_matrix_descriptor = matrix_descriptor<cusparseSpMatDescr_t>;
using const_matrix_descriptor = matrix_descriptor<cusparseConstSpMatDescr_t>;
struct spgemm_descriptor {
  cusparseSpGEMMDescr_t handle = nullptr;
  spgemm_descriptor() { check(cusparseSpGEMM_createDescr(&handle), "cusparseSpGEMM_createDescr"); }
  spgemm_descriptor(const spgemm_descriptor&) = delete;
  spgemm_descriptor& operator=(const spgemm_descriptor&) = delete;
  ~spgemm_descriptor() { (void)cusparseSpGEMM_destroyDescr(handle); }
};

/// An attempt's buffers would exceed the memory budget (thrown before they are allocated).
struct over_budget : cuda_out_of_memory {
  using cuda_out_of_memory::cuda_out_of_memory;
};

/// What every cuSPARSE attempt of one product shares.
template <class V>
struct cusparse_operands {
  cusparseHandle_t handle = nullptr;
  const device_csr_view<V, std::int32_t, std::int32_t>* a = nullptr;
  const V* a_values = nullptr;
  cusparseConstSpMatDescr_t b = nullptr;
  std::int64_t b_cols = 0;
  const std::vector<std::int32_t>* a_indptr = nullptr;
  std::size_t buffer_budget = 0;  ///< bytes an attempt's buffers may take
  const spgemm_tuning* tuning = nullptr;
};

/// One cuSPARSE attempt for a chunk; returns false when the product count is
/// past what `alg` can index (int32 for ALG1 and ALG2). Buffers past `limit`
/// bytes (0: no limit) throw over_budget before they are allocated.
template <class V>
bool cusparse_attempt(cusparseHandle_t h, cusparseConstSpMatDescr_t a, cusparseConstSpMatDescr_t b, std::int64_t rows,
                      std::int64_t cols, cusparseSpGEMMAlg_t alg, float fraction, std::int64_t int32_limit,
                      std::size_t limit, product_chunk<V, std::int32_t>& out, spgemm_step& step, cudaStream_t stream) {
  constexpr auto type = cuda_value_type<V>();
  const auto op = CUSPARSE_OPERATION_NON_TRANSPOSE;
  const V alpha{1}, beta{0};
  const auto charge = [&](std::size_t bytes) {
    step.bytes = std::max(step.bytes, bytes);
    if (limit != 0 && bytes > limit) {
      throw over_budget(
          matsample::detail::concat("spgemm_cusparse: algorithm ", static_cast<int>(alg), " needs ", bytes,
                                    " bytes of buffers for ", rows, " rows, over the budget of ", limit, " bytes"),
          0, bytes);
    }
  };
  // C's row offsets exist before any phase runs (ALG2 and ALG3 may write them during compute).
  device_buffer<std::int32_t> rowptr(rows + 1, stream, "cuSPARSE row offsets");
  sparse_matrix_descriptor c;
  check(cusparseCreateCsr(&c.handle, rows, cols, 0, rowptr.data(), nullptr, nullptr, CUSPARSE_INDEX_32I,
                          CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, type),
        "cusparseCreateCsr");
  spgemm_descriptor d;
  std::size_t size1 = 0, size2 = 0, size3 = 0;
  check(cusparseSpGEMM_workEstimation(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size1, nullptr),
        "cusparseSpGEMM_workEstimation");
  charge(size1);
  device_buffer<std::byte> buffer1(static_cast<std::int64_t>(size1), stream, "cuSPARSE work estimation");
  check(cusparseSpGEMM_workEstimation(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size1,
                                      buffer1.data()),
        "cusparseSpGEMM_workEstimation");
  std::int64_t products = 0;
  check(cusparseSpGEMM_getNumProducts(d.handle, &products), "cusparseSpGEMM_getNumProducts");
  step.products = products;
  if (alg != CUSPARSE_SPGEMM_ALG3 && products >= int32_limit) {
    step.result = spgemm_step::outcome::skipped_int32;
    return false;
  }
  if (alg == CUSPARSE_SPGEMM_ALG1) {
    check(cusparseSpGEMM_compute(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size2, nullptr),
          "cusparseSpGEMM_compute");
  } else {  // ALG2 and ALG3: the compute buffer comes from the memory estimate (chunk_fraction is ALG3's only)
    check(cusparseSpGEMM_estimateMemory(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, fraction, &size3,
                                        nullptr, nullptr),
          "cusparseSpGEMM_estimateMemory");
    charge(size1 + size3);
    device_buffer<std::byte> buffer3(static_cast<std::int64_t>(size3), stream, "cuSPARSE memory estimate");
    check(cusparseSpGEMM_estimateMemory(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, fraction, &size3,
                                        buffer3.data(), &size2),
          "cusparseSpGEMM_estimateMemory");
  }
  charge(size1 + size2);
  device_buffer<std::byte> buffer2(static_cast<std::int64_t>(size2), stream, "cuSPARSE compute");
  check(cusparseSpGEMM_compute(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size2, buffer2.data()),
        "cusparseSpGEMM_compute");
  std::int64_t c_rows = 0, c_cols = 0, c_nnz = 0;
  check(cusparseSpMatGetSize(c.handle, &c_rows, &c_cols, &c_nnz), "cusparseSpMatGetSize");
  (void)checked_cast<std::int32_t>(c_nnz, "entries of A·B (cuSPARSE)");
  out.indices = device_buffer<std::int32_t>(c_nnz, stream, "product columns");
  out.values = device_buffer<V>(c_nnz, stream, "product values");
  check(cusparseCsrSetPointers(c.handle, rowptr.data(), out.indices.data(), out.values.data()),
        "cusparseCsrSetPointers");
  check(cusparseSpGEMM_copy(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle), "cusparseSpGEMM_copy");
  sort_rows(out.indices.data(), out.values.data(), c_nnz, rows, rowptr.data(), stream);
  out.nnz = c_nnz;
  out.indptr = device_buffer<std::int64_t>(rows + 1, stream, "product row offsets");
  std::int64_t* ip = out.indptr.data();
  const std::int32_t* rp = rowptr.data();
  for_each_index(rows + 1, stream, [=] __device__(std::int64_t r) { ip[r] = rp[r]; });
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");  // buffers are freed on return
  return true;
}

/// Rows [r0, r1) of A·B through cuSPARSE, every algorithm from the first one
/// in order; empty when none fitted (`failure` then holds the last error).
template <class V>
std::optional<product_chunk<V, std::int32_t>> cusparse_chunk(const cusparse_operands<V>& ops, std::int64_t r0,
                                                             std::int64_t r1, std::int64_t products,
                                                             bool enforce_budget, std::exception_ptr& failure,
                                                             std::size_t& asked, cudaStream_t stream) {
  product_chunk<V, std::int32_t> out;
  out.first_row = r0;
  out.rows = r1 - r0;
  const auto& a = *ops.a;
  const auto& tuning = *ops.tuning;
  const std::int32_t e0 = (*ops.a_indptr)[r0], e1 = (*ops.a_indptr)[r1];
  if (products == 0) {  // cuSPARSE is not asked about empty products
    out.indptr = device_buffer<std::int64_t>(out.rows + 1, stream, "product row offsets");
    check(cudaMemsetAsync(out.indptr.data(), 0, static_cast<std::size_t>(out.rows + 1) * sizeof(std::int64_t), stream),
          "cudaMemsetAsync");
    return out;
  }
  // A's row slice, with offsets rebased to 0 as cuSPARSE expects.
  device_buffer<std::int32_t> rowptr(out.rows + 1, stream, "row offsets of a chunk");
  std::int32_t* rp = rowptr.data();
  const std::int32_t* ip = a.indptr();
  for_each_index(out.rows + 1, stream, [=] __device__(std::int64_t i) { rp[i] = ip[r0 + i] - e0; });
  const_matrix_descriptor da;
  check(cusparseCreateConstCsr(&da.handle, out.rows, a.cols(), e1 - e0, rowptr.data(), a.indices() + e0,
                               ops.a_values + e0, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                               cuda_value_type<V>()),
        "cusparseCreateConstCsr");
  const std::size_t limit = enforce_budget ? ops.buffer_budget : 0;
  const float alg2_fraction = 1.0f;  // ignored by ALG2
  for (const auto alg : {CUSPARSE_SPGEMM_ALG1, CUSPARSE_SPGEMM_ALG2, CUSPARSE_SPGEMM_ALG3}) {
    if (alg < tuning.first_algorithm) continue;
    const std::vector<float> fractions =
        alg == CUSPARSE_SPGEMM_ALG3 ? tuning.alg3_fractions : std::vector<float>{alg2_fraction};
    for (const float fraction : fractions) {
      spgemm_step step;
      step.first_row = r0;
      step.rows = out.rows;
      step.products = products;
      step.algorithm = static_cast<int>(alg);
      step.fraction = alg == CUSPARSE_SPGEMM_ALG3 ? fraction : 0.0f;
      bool done = false;
      try {
        done = cusparse_attempt<V>(ops.handle, da.handle, ops.b, out.rows, ops.b_cols, alg, fraction,
                                   tuning.int32_product_limit, limit, out, step, stream);
      } catch (const over_budget& e) {
        step.result = spgemm_step::outcome::over_budget;
        failure = std::current_exception();
        asked = std::max(asked, e.bytes());
      } catch (const cuda_out_of_memory& e) {
        step.result = spgemm_step::outcome::out_of_memory;
        failure = std::current_exception();
        asked = std::max({asked, e.bytes(), step.bytes});
      }
      if (tuning.trace != nullptr) tuning.trace->push_back(step);
      if (done) return out;
      if (step.result == spgemm_step::outcome::skipped_int32) break;  // past int32: the next algorithm
    }
  }
  return std::nullopt;
}

/// Rows [r0, r1) through cuSPARSE; a chunk no algorithm fits is halved (by
/// products) and each half retried, down to single rows.
template <class V>
void cusparse_rows(const cusparse_operands<V>& ops, const std::vector<std::int64_t>& row_products, std::int64_t r0,
                   std::int64_t r1, std::vector<product_chunk<V, std::int32_t>>& chunks, cudaStream_t stream) {
  const std::int64_t products = row_products[r1] - row_products[r0];
  std::exception_ptr failure;
  std::size_t asked = 0;
  const bool several = r1 - r0 > 1;
  if (auto chunk =
          cusparse_chunk(ops, r0, r1, products, several || ops.tuning->strict_budget, failure, asked, stream)) {
    chunks.push_back(std::move(*chunk));
    return;
  }
  if (several) {
    std::int64_t mid = r0 + 1;  // the first row at or past half the products, leaving both halves rows
    while (mid < r1 - 1 && 2 * (row_products[mid] - row_products[r0]) < products) ++mid;
    if (ops.tuning->trace != nullptr) {
      spgemm_step step;
      step.first_row = r0;
      step.rows = r1 - r0;
      step.products = products;
      step.result = spgemm_step::outcome::split;
      ops.tuning->trace->push_back(step);
    }
    cusparse_rows(ops, row_products, r0, mid, chunks, stream);
    cusparse_rows(ops, row_products, mid, r1, chunks, stream);
    return;
  }
  std::string what = "no attempt was made";
  int code = 0;
  try {
    if (failure) std::rethrow_exception(failure);
  } catch (const cuda_error& e) {
    what = e.what();
    code = e.code();
  }
  throw cuda_out_of_memory(
      matsample::detail::concat("spgemm_cusparse: row ", r0, " of A (", products,
                                " products) fits no cuSPARSE algorithm; the largest attempt asked for ", asked,
                                " bytes (last error: ", what, ")"),
      code, asked);
}

/// Concatenates chunks of consecutive rows into one matrix.
template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> concatenate(std::vector<product_chunk<V, I>>& chunks, std::int64_t rows, std::int64_t cols,
                                       cudaStream_t stream) {
  std::int64_t nnz = 0;
  for (const auto& c : chunks) nnz = checked_add(nnz, c.nnz, "entries of A·B");
  (void)checked_cast<O>(nnz, "entries of A·B");
  device_buffer<O> indptr(rows + 1, stream, "product row offsets");
  device_buffer<I> indices(nnz, stream, "product columns");
  device_buffer<V> values(nnz, stream, "product values");
  O* ip = indptr.data();
  if (rows == 0) check(cudaMemsetAsync(ip, 0, sizeof(O), stream), "cudaMemsetAsync");
  std::int64_t base = 0;
  for (auto& c : chunks) {
    const std::int64_t* local = c.indptr.data();
    const std::int64_t r0 = c.first_row, b0 = base;
    for_each_index(c.rows + 1, stream, [=] __device__(std::int64_t i) { ip[r0 + i] = static_cast<O>(b0 + local[i]); });
    if (c.nnz > 0) {
      check(cudaMemcpyAsync(indices.data() + base, c.indices.data(), static_cast<std::size_t>(c.nnz) * sizeof(I),
                            cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync (device to device)");
      check(cudaMemcpyAsync(values.data() + base, c.values.data(), static_cast<std::size_t>(c.nnz) * sizeof(V),
                            cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync (device to device)");
    }
    base += c.nnz;
  }
  return {static_cast<I>(rows), static_cast<I>(cols), static_cast<O>(nnz),
          std::move(indptr),    std::move(indices),   std::move(values)};
}

/// Bytes the deterministic product needs per product (keys and values twice
/// for the sort, run lengths, starts, unique keys) plus the output entry.
template <class V, class I>
constexpr std::int64_t bytes_per_product() {
  return 2 * static_cast<std::int64_t>(sizeof(std::uint64_t) + sizeof(V)) + 3 * 8 +
         static_cast<std::int64_t>(sizeof(I) + sizeof(V));
}

/// The budget in products: `budget` bytes, or half the free device memory when 0.
template <class V, class I>
std::int64_t product_budget(std::size_t budget) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(scratch_budget(budget)) / bytes_per_product<V, I>());
}

template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> spgemm_deterministic(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b,
                                                std::size_t budget, const spgemm_tuning& tuning, cudaStream_t stream) {
  validate(tuning);
  const auto plan = plan_products(a, b, stream);
  const std::int64_t pass = tuning.max_pass_products;
  std::vector<product_chunk<V, I>> chunks;
  for (const auto& [r0, r1] : chunk_ranges(plan.row_products, std::min(product_budget<V, I>(budget), pass))) {
    spgemm_step step;
    step.first_row = r0;
    step.rows = r1 - r0;
    step.products = plan.row_products[r1] - plan.row_products[r0];
    if (step.products <= pass) {
      chunks.push_back(deterministic_chunk(a, b, plan, r0, r1, stream));
    } else {  // one row (the chunks fit `pass` otherwise)
      chunks.push_back(long_row_chunk(a, b, plan, r0, pass, step.passes, stream));
    }
    if (tuning.trace != nullptr) tuning.trace->push_back(step);
  }
  return concatenate<V, I, O>(chunks, a.rows(), b.cols(), stream);
}

template <class V>
device_buffer<V> unit_values(std::int64_t n, cudaStream_t stream) {
  device_buffer<V> out(n, stream, "unit values");
  fill(out.data(), n, V{1}, stream);
  return out;
}

template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> spgemm_cusparse(cusparseHandle_t h, const device_csr_view<V, I, O>& a,
                                           const device_csr_view<V, I, O>& b, std::size_t budget,
                                           const spgemm_tuning& tuning, cudaStream_t stream) {
  if constexpr (!std::is_same_v<I, std::int32_t> || !std::is_same_v<O, std::int32_t> ||
                !(std::is_same_v<V, float> || std::is_same_v<V, double>)) {
    throw argument_error(
        "spgemm_cusparse: cuSPARSE's SpGEMM takes 32-bit ids and offsets and float or double values; "
        "use the deterministic spgemm for other types");
  } else {
    validate(tuning);
    check(cusparseSetStream(h, stream), "cusparseSetStream");
    const auto plan = plan_products(a, b, stream);
    // cuSPARSE needs values: a pattern operand gets ones.
    device_buffer<V> a_ones, b_ones;
    if (!a.has_values()) a_ones = unit_values<V>(a.nnz(), stream);
    if (!b.has_values()) b_ones = unit_values<V>(b.nnz(), stream);
    const_matrix_descriptor db;
    check(cusparseCreateConstCsr(&db.handle, b.rows(), b.cols(), b.nnz(), b.indptr(), b.indices(),
                                 b.has_values() ? b.values() : b_ones.data(), CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                                 CUSPARSE_INDEX_BASE_ZERO, cuda_value_type<V>()),
          "cusparseCreateConstCsr");
    cusparse_operands<V> ops;
    ops.handle = h;
    ops.a = &a;
    ops.a_values = a.has_values() ? a.values() : a_ones.data();
    ops.b = db.handle;
    ops.b_cols = b.cols();
    ops.a_indptr = &plan.a_indptr;
    ops.buffer_budget = tuning.cusparse_buffer_budget != 0 ? tuning.cusparse_buffer_budget : scratch_budget(budget);
    ops.tuning = &tuning;
    std::vector<product_chunk<V, I>> chunks;
    for (const auto& [r0, r1] : chunk_ranges(plan.row_products, product_budget<V, I>(budget))) {
      cusparse_rows(ops, plan.row_products, r0, r1, chunks, stream);
    }
    return concatenate<V, I, O>(chunks, a.rows(), b.cols(), stream);
  }
}

}  // namespace detail
}  // namespace matsample::cuda
