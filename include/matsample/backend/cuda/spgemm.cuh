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
// spgemm_cusparse is the general product through cuSPARSE's generic API
// (32-bit indices, float or double): the product count is known before any
// algorithm runs; ALG1 is tried first, then ALG2, then ALG3 with a shrinking
// chunk fraction, on CUSPARSE_STATUS_INSUFFICIENT_RESOURCES, an allocation
// failure, or a product count past int32 (ALG1 and ALG2 count in int32).
// Rows come back sorted. Its values equal the CPU's up to rounding (exactly
// for pattern and small-integer matrices).
//
// Both split A's rows (the k stacked minibatches of Q) into chunks whose
// products fit a memory budget, and concatenate the chunks' rows.

#include <cuda_runtime.h>
#include <cusparse.h>

#include <cstdint>
#include <exception>
#include <limits>
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

/// Row ranges [first, last) whose products fit `max_products` (a row that
/// alone exceeds it forms its own chunk).
inline std::vector<std::pair<std::int64_t, std::int64_t>> chunk_rows(const std::vector<std::int64_t>& row_products,
                                                                     std::int64_t max_products) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  const auto rows = static_cast<std::int64_t>(row_products.size()) - 1;
  for (std::int64_t r0 = 0; r0 < rows;) {
    std::int64_t r1 = r0 + 1;
    while (r1 < rows && row_products[r1 + 1] - row_products[r0] <= max_products) ++r1;
    out.emplace_back(r0, r1);
    r0 = r1;
  }
  return out;
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

template <class V>
constexpr cudaDataType cuda_value_type() {
  if constexpr (std::is_same_v<V, float>) return CUDA_R_32F; else return CUDA_R_64F;
}

/// Owns a cuSPARSE matrix descriptor (H: mutable or const handle).
template <class H>
struct matrix_descriptor {
  H handle = nullptr;
  matrix_descriptor() = default;
  matrix_descriptor(const matrix_descriptor&) = delete;
  matrix_descriptor& operator=(const matrix_descriptor&) = delete;
  ~matrix_descriptor() { if (handle != nullptr) (void)cusparseDestroySpMat(handle); }
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

/// One cuSPARSE attempt for a chunk; returns false when the product count is
/// past what `alg` can index (int32 for ALG1 and ALG2).
template <class V>
bool cusparse_attempt(cusparseHandle_t h, cusparseConstSpMatDescr_t a, cusparseConstSpMatDescr_t b, std::int64_t rows,
                      std::int64_t cols, cusparseSpGEMMAlg_t alg, float fraction, product_chunk<V, std::int32_t>& out,
                      cudaStream_t stream) {
  constexpr auto type = cuda_value_type<V>();
  const auto op = CUSPARSE_OPERATION_NON_TRANSPOSE;
  const V alpha{1}, beta{0};
  sparse_matrix_descriptor c;
  check(cusparseCreateCsr(&c.handle, rows, cols, 0, nullptr, nullptr, nullptr, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                          CUSPARSE_INDEX_BASE_ZERO, type),
        "cusparseCreateCsr");
  spgemm_descriptor d;
  std::size_t size1 = 0, size2 = 0;
  check(cusparseSpGEMM_workEstimation(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size1, nullptr),
        "cusparseSpGEMM_workEstimation");
  device_buffer<std::byte> buffer1(static_cast<std::int64_t>(size1), stream, "cuSPARSE work estimation");
  check(cusparseSpGEMM_workEstimation(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size1, buffer1.data()),
        "cusparseSpGEMM_workEstimation");
  std::int64_t products = 0;
  check(cusparseSpGEMM_getNumProducts(d.handle, &products), "cusparseSpGEMM_getNumProducts");
  if (alg != CUSPARSE_SPGEMM_ALG3 && products >= std::numeric_limits<std::int32_t>::max()) return false;
  if (alg == CUSPARSE_SPGEMM_ALG3) {
    std::size_t size3 = 0;
    check(cusparseSpGEMM_estimateMemory(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, fraction, &size3,
                                        nullptr, nullptr),
          "cusparseSpGEMM_estimateMemory");
    device_buffer<std::byte> buffer3(static_cast<std::int64_t>(size3), stream, "cuSPARSE memory estimate");
    check(cusparseSpGEMM_estimateMemory(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, fraction, &size3,
                                        buffer3.data(), &size2),
          "cusparseSpGEMM_estimateMemory");
  } else {
    check(cusparseSpGEMM_compute(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size2, nullptr),
          "cusparseSpGEMM_compute");
  }
  device_buffer<std::byte> buffer2(static_cast<std::int64_t>(size2), stream, "cuSPARSE compute");
  check(cusparseSpGEMM_compute(h, op, op, &alpha, a, b, &beta, c.handle, type, alg, d.handle, &size2, buffer2.data()),
        "cusparseSpGEMM_compute");
  std::int64_t c_rows = 0, c_cols = 0, c_nnz = 0;
  check(cusparseSpMatGetSize(c.handle, &c_rows, &c_cols, &c_nnz), "cusparseSpMatGetSize");
  (void)checked_cast<std::int32_t>(c_nnz, "entries of A·B (cuSPARSE)");
  device_buffer<std::int32_t> rowptr(rows + 1, stream, "cuSPARSE row offsets");
  out.indices = device_buffer<std::int32_t>(c_nnz, stream, "product columns");
  out.values = device_buffer<V>(c_nnz, stream, "product values");
  check(cusparseCsrSetPointers(c.handle, rowptr.data(), out.indices.data(), out.values.data()), "cusparseCsrSetPointers");
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

/// Rows [r0, r1) of A·B through cuSPARSE, falling back ALG1 -> ALG2 -> ALG3.
template <class V>
product_chunk<V, std::int32_t> cusparse_chunk(cusparseHandle_t h, const device_csr_view<V, std::int32_t, std::int32_t>& a,
                                              const V* a_values, const device_csr_view<V, std::int32_t, std::int32_t>& b,
                                              const V* b_values, const std::vector<std::int32_t>& a_indptr,
                                              std::int64_t products, std::int64_t r0, std::int64_t r1, cudaStream_t stream) {
  product_chunk<V, std::int32_t> out;
  out.first_row = r0;
  out.rows = r1 - r0;
  const std::int32_t e0 = a_indptr[r0], e1 = a_indptr[r1];
  if (products == 0) {  // cuSPARSE is not asked about empty products
    out.indptr = device_buffer<std::int64_t>(out.rows + 1, stream, "product row offsets");
    check(cudaMemsetAsync(out.indptr.data(), 0, static_cast<std::size_t>(out.rows + 1) * sizeof(std::int64_t), stream), "cudaMemsetAsync");
    return out;
  }
  // A's row slice, with offsets rebased to 0 as cuSPARSE expects.
  device_buffer<std::int32_t> rowptr(out.rows + 1, stream, "row offsets of a chunk");
  std::int32_t* rp = rowptr.data();
  const std::int32_t* ip = a.indptr();
  for_each_index(out.rows + 1, stream, [=] __device__(std::int64_t i) { rp[i] = ip[r0 + i] - e0; });
  constexpr auto type = cuda_value_type<V>();
  const_matrix_descriptor da, db;
  check(cusparseCreateConstCsr(&da.handle, out.rows, a.cols(), e1 - e0, rowptr.data(), a.indices() + e0, a_values + e0,
                               CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, type),
        "cusparseCreateConstCsr");
  check(cusparseCreateConstCsr(&db.handle, b.rows(), b.cols(), b.nnz(), b.indptr(), b.indices(), b_values, CUSPARSE_INDEX_32I,
                               CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, type),
        "cusparseCreateConstCsr");
  std::exception_ptr last;
  const bool int32_products = products < std::numeric_limits<std::int32_t>::max();
  for (const auto alg : {CUSPARSE_SPGEMM_ALG1, CUSPARSE_SPGEMM_ALG2, CUSPARSE_SPGEMM_ALG3}) {
    if (alg != CUSPARSE_SPGEMM_ALG3 && !int32_products) continue;
    for (const float fraction : {0.2f, 0.1f, 0.05f, 0.02f, 0.01f}) {
      try {
        if (cusparse_attempt<V>(h, da.handle, db.handle, out.rows, b.cols(), alg, fraction, out, stream)) return out;
        break;  // past int32: the next algorithm
      } catch (const cuda_out_of_memory&) {
        last = std::current_exception();
      }
      if (alg != CUSPARSE_SPGEMM_ALG3) break;  // only ALG3 has a chunk fraction to shrink
    }
  }
  if (last) std::rethrow_exception(last);
  throw cuda_error("spgemm_cusparse: no cuSPARSE algorithm accepted the product", 0);
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
                            cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync (device to device)");
      check(cudaMemcpyAsync(values.data() + base, c.values.data(), static_cast<std::size_t>(c.nnz) * sizeof(V),
                            cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync (device to device)");
    }
    base += c.nnz;
  }
  return {static_cast<I>(rows), static_cast<I>(cols), static_cast<O>(nnz), std::move(indptr), std::move(indices),
          std::move(values)};
}

/// Bytes the deterministic product needs per product (keys and values twice
/// for the sort, run lengths, starts, unique keys) plus the output entry.
template <class V, class I>
constexpr std::int64_t bytes_per_product() {
  return 2 * static_cast<std::int64_t>(sizeof(std::uint64_t) + sizeof(V)) + 3 * 8 + static_cast<std::int64_t>(sizeof(I) + sizeof(V));
}

/// The budget in products: `budget` bytes, or half the free device memory when 0.
template <class V, class I>
std::int64_t product_budget(std::size_t budget) {
  if (budget == 0) {
    std::size_t free_bytes = 0, total = 0;
    check(cudaMemGetInfo(&free_bytes, &total), "cudaMemGetInfo");
    budget = free_bytes / 2;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(budget) / bytes_per_product<V, I>());
}

template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> spgemm_deterministic(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b,
                                                std::size_t budget, cudaStream_t stream) {
  const auto plan = plan_products(a, b, stream);
  std::vector<product_chunk<V, I>> chunks;
  for (const auto& [r0, r1] : chunk_rows(plan.row_products, product_budget<V, I>(budget))) {
    chunks.push_back(deterministic_chunk(a, b, plan, r0, r1, stream));
  }
  return concatenate<V, I, O>(chunks, a.rows(), b.cols(), stream);
}

template <class V>
device_buffer<V> unit_values(std::int64_t n, cudaStream_t stream) {
  device_buffer<V> out(n, stream, "unit values");
  V* o = out.data();
  for_each_index(n, stream, [=] __device__(std::int64_t i) { o[i] = V{1}; });
  return out;
}

template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> spgemm_cusparse(cusparseHandle_t h, const device_csr_view<V, I, O>& a,
                                           const device_csr_view<V, I, O>& b, std::size_t budget, cudaStream_t stream) {
  if constexpr (!std::is_same_v<I, std::int32_t> || !std::is_same_v<O, std::int32_t> ||
                !(std::is_same_v<V, float> || std::is_same_v<V, double>)) {
    throw argument_error("spgemm_cusparse: cuSPARSE's SpGEMM takes 32-bit ids and offsets and float or double values; "
                         "use the deterministic spgemm for other types");
  } else {
    check(cusparseSetStream(h, stream), "cusparseSetStream");
    const auto plan = plan_products(a, b, stream);
    // cuSPARSE needs values: a pattern operand gets ones.
    device_buffer<V> a_ones, b_ones;
    if (!a.has_values()) a_ones = unit_values<V>(a.nnz(), stream);
    if (!b.has_values()) b_ones = unit_values<V>(b.nnz(), stream);
    const V* av = a.has_values() ? a.values() : a_ones.data();
    const V* bv = b.has_values() ? b.values() : b_ones.data();
    std::vector<product_chunk<V, I>> chunks;
    for (const auto& [r0, r1] : chunk_rows(plan.row_products, product_budget<V, I>(budget))) {
      chunks.push_back(cusparse_chunk<V>(h, a, av, b, bv, plan.a_indptr, plan.row_products[r1] - plan.row_products[r0],
                                         r0, r1, stream));
    }
    return concatenate<V, I, O>(chunks, a.rows(), b.cols(), stream);
  }
}

}  // namespace detail
}  // namespace matsample::cuda
