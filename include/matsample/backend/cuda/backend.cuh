#pragma once
// The CUDA backend: the kernel contract on one GPU. Kernels take
// device_csr_view operands and return device_csr_matrix results on the
// backend's stream; the selections (stacked_selection, column lists) are the
// samplers' small host arrays and are uploaded per call.
//
// Where the samplers hand a kernel host data, the result stays on the host:
//  - a host operand (LADIES's Q, FastGCN's 1ᵀ, the probability rows) is
//    copied to the device, the kernel runs there, and the result comes back
//    as a csr_matrix (spgemm(host Q, device A) is the LADIES product);
//  - apply and row_reduce run a device-callable map on the device: the
//    samplers' maps (algebra/operations.hpp: sum_as_double, square_value,
//    divide_by_row_sum, scale_by_column), an extended __host__ __device__
//    lambda, or a type for which matsample::cuda::device_callable is
//    specialised true. A map that reads a host table (a row's sum, a column's
//    factor) has the table copied to the device first, so only the table
//    moves, never the matrix. Any other callable (a host lambda) makes the
//    documented host hop: the matrix is copied to the host, the reference
//    loop runs there and the result is copied back;
//  - compact_blocks returns the blocks as a host block_set (the samplers'
//    result type), so each layer's frontier makes one device->host hop.
// Every path produces the CPU backend's bits for the same seed.

#include <cuda_runtime.h>
#include <cusparse.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/backend/cuda/error.cuh"
#include "matsample/backend/cuda/kernels.cuh"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/backend/cuda/spgemm.cuh"
#include "matsample/backend/reference/backend.hpp"
#include "matsample/core/csr.hpp"

namespace matsample {

namespace cuda {

/// Whether F can be called in device code. True for extended
/// __host__ __device__ lambdas (nvcc --extended-lambda); specialise it for a
/// functor whose operator() is __host__ __device__.
template <class F>
struct device_callable
#if defined(__CUDACC_EXTENDED_LAMBDA__)
    : std::bool_constant<__nv_is_extended_host_device_lambda_closure_type(F)> {
#else
    : std::false_type {
#endif
};
template <class V>
struct device_callable<matsample::detail::sum_as_double<V>> : std::true_type {};
template <class V, class I>
struct device_callable<matsample::detail::square_value<V, I>> : std::true_type {};
template <class V, class I>
struct device_callable<matsample::detail::divide_by_row_sum<V, I>> : std::true_type {};
template <class V, class I>
struct device_callable<matsample::detail::scale_by_column<V, I>> : std::true_type {};

/// A map that reads a host table through `table` (see algebra/operations.hpp).
template <class F>
concept table_map = requires(const F& f) {
  { f.table } -> std::convertible_to<const double*>;
  { f.size } -> std::convertible_to<std::int64_t>;
  { f.with_table(static_cast<const double*>(nullptr)) } -> std::same_as<F>;
  { F::per_row } -> std::convertible_to<bool>;
};

/// The device's count; 0 when there is none (or no driver).
inline int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

namespace detail {

/// A table map's table copied to the device (the copy is freed in stream
/// order after the kernels that read it); the table must cover m's rows or columns.
template <class F, class M>
device_buffer<double> table_on_device(const F& f, const M& m, const char* what, cudaStream_t stream) {
  const std::int64_t need = F::per_row ? static_cast<std::int64_t>(m.rows()) : static_cast<std::int64_t>(m.cols());
  if (f.size < need || (f.size > 0 && f.table == nullptr)) {
    throw argument_error(
        concat(what, ": a table of ", f.size, " values for a matrix of ", need, F::per_row ? " rows" : " columns"));
  }
  return upload(std::span<const double>(f.table, static_cast<std::size_t>(f.size)), stream, "a value table");
}

/// apply_on_device's kernel, once f's data is on the device.
template <class V, index_type I, index_type O, class F, class R = std::invoke_result_t<F&, I, I, V>>
device_csr_matrix<R, I, O> apply_kernel(const device_csr_view<V, I, O>& m, F f, cudaStream_t stream) {
  const auto a = m.arrays();
  device_buffer<R> values(m.nnz(), stream, "applied values");
  R* out = values.data();
  for_each_index(m.rows(), stream, [=] __device__(std::int64_t r) {
    for (std::int64_t e = a.indptr[r]; e < a.indptr[r + 1]; ++e)
      out[e] = f(static_cast<I>(r), a.indices[e], a.value(e));
  });
  return device_csr_matrix<R, I, O>(m.rows(), m.cols(), m.nnz(),
                                    copy_of(m.indptr(), static_cast<std::int64_t>(m.rows()) + 1, stream, "row offsets"),
                                    copy_of(m.indices(), m.nnz(), stream, "column indices"), std::move(values));
}

template <class V, index_type I, index_type O, class F, class R = std::invoke_result_t<F&, I, I, V>>
device_csr_matrix<R, I, O> apply_on_device(const device_csr_view<V, I, O>& m, F f, cudaStream_t stream) {
  check_all_rows(m, "apply", stream);
  if constexpr (table_map<F>) {
    const auto table = table_on_device(f, m, "apply", stream);
    return apply_kernel(m, f.with_table(table.data()), stream);
  } else {
    return apply_kernel(m, f, stream);
  }
}

template <class V, index_type I, index_type O, class Acc, class F>
std::vector<Acc> row_reduce_on_device(const device_csr_view<V, I, O>& m, Acc init, F f, cudaStream_t stream) {
  check_all_rows(m, "row_reduce", stream);
  const auto a = m.arrays();
  device_buffer<Acc> sums(m.rows(), stream, "row sums");
  Acc* out = sums.data();
  for_each_index(m.rows(), stream, [=] __device__(std::int64_t r) {
    Acc acc = init;  // left to right within the row, as on the host
    for (std::int64_t e = a.indptr[r]; e < a.indptr[r + 1]; ++e) acc = f(acc, a.value(e));
    out[r] = acc;
  });
  return download(sums.data(), m.rows(), stream);
}

/// The cuSPARSE handle of a backend and its copies.
class sparse_handle {
 public:
  sparse_handle() { check(cusparseCreate(&handle_), "cusparseCreate"); }
  sparse_handle(const sparse_handle&) = delete;
  sparse_handle& operator=(const sparse_handle&) = delete;
  ~sparse_handle() { (void)cusparseDestroy(handle_); }
  [[nodiscard]] cusparseHandle_t get() const noexcept { return handle_; }

 private:
  cusparseHandle_t handle_ = nullptr;
};

}  // namespace detail
}  // namespace cuda

/// Settings of a cuda_backend.
struct cuda_options {
  /// Stream every kernel and copy of the backend runs on (the legacy default stream when null).
  cudaStream_t stream = nullptr;
  /// Bytes of scratch a SpGEMM chunk, its cuSPARSE buffers, and the CDFs of
  /// weighted row sampling may use; the k stacked minibatches are split into
  /// chunks of rows that fit (a row that alone exceeds it is its own chunk).
  /// 0: half the free device memory.
  std::size_t memory_budget = 0;
  /// What spgemm() runs (see backend/cuda/spgemm.cuh).
  cuda::spgemm_method spgemm = cuda::spgemm_method::deterministic;
  /// Pass sizes, the cuSPARSE fallback order and a trace (tests force every path with it).
  cuda::spgemm_tuning spgemm_tuning{};
};

/// The kernel set on one GPU (see the file comment): kernels on
/// device_csr_view operands return device_csr_matrix results on the backend's
/// stream; overloads on host csr_view operands compute on the device and
/// return host results. Same bits as the CPU backend for the same seed.
class cuda_backend {
 public:
  using memory_space = device_memory;          ///< Graph operands are device_csr_view objects.
  static constexpr const char* name = "cuda";  ///< Backend name in reports and tests.

  /// Uses the current CUDA device; the cuSPARSE handle is made on first use.
  explicit cuda_backend(cuda_options options = {}) : options_(options) {}
  /// The stream every kernel and copy runs on.
  [[nodiscard]] cudaStream_t stream() const noexcept { return options_.stream; }
  /// The settings it was made with.
  [[nodiscard]] const cuda_options& options() const noexcept { return options_; }

  // ---- device operands: results on the device --------------------------------

  /// P = Q·A for a one-hot Q: row r of the result is row rows[r] of `a`.
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> gather_rows(const device_csr_view<V, I, O>& a, std::span<const I> rows) const {
    const stacked_selection<I> unsampled{rows, {}, 0, 0};  // whole rows: no draws
    return cuda::detail::sample_selected_rows(a, true, unsampled, row_sampling{-1, false, false}, 0, 0, "row selection",
                                              options_.memory_budget, stream());
  }

  /// Any row rule (algebra/row_rule.hpp): its select runs one thread per row.
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  device_csr_matrix<V, I, O> sample_rows(const device_csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                         const Rule& spec, std::uint64_t seed, std::uint64_t layer) const {
    if (p.rows() != q.rows()) {
      throw argument_error(detail::concat("sample_rows: P has ", p.rows(), " rows but Q has ", q.rows()));
    }
    validate_batches(q);
    return cuda::detail::sample_selected_rows(p, false, q, spec, seed, layer, "sample_rows", options_.memory_budget,
                                              stream());
  }

  /// Fused Q·A and row sampling: reads only the sampled entries of A.
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  device_csr_matrix<V, I, O> gather_and_sample(const device_csr_view<V, I, O>& a, const stacked_selection<I>& q,
                                               const Rule& spec, std::uint64_t seed, std::uint64_t layer) const {
    validate_batches(q);
    return cuda::detail::sample_selected_rows(a, true, q, spec, seed, layer, "row selection", options_.memory_budget,
                                              stream());
  }

  /// C = A·B with sorted rows, by options().spgemm: the deterministic
  /// product (the CPU backend's bits, default) or cuSPARSE.
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> spgemm(const device_csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b) const {
    if (options_.spgemm == cuda::spgemm_method::cusparse) return spgemm_cusparse(a, b);
    return cuda::detail::spgemm_deterministic(a, b, options_.memory_budget, options_.spgemm_tuning, stream());
  }

  /// The general product through cuSPARSE (32-bit indices), whatever options().spgemm says.
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> spgemm_cusparse(const device_csr_view<V, I, O>& a,
                                             const device_csr_view<V, I, O>& b) const {
    return cuda::detail::spgemm_cusparse(sparse_handle(), a, b, options_.memory_budget, options_.spgemm_tuning,
                                         stream());
  }

  /// M·C for a block-diagonal column selection C (as cpu_backend::select_columns).
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> select_columns(const device_csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                            std::span<const I> columns,
                                            std::span<const std::int64_t> column_blocks) const {
    return cuda::detail::select_columns(m, row_blocks, columns, column_blocks, stream());
  }

  /// M·Π: column j becomes new_ids[j] of new_cols columns; entries keep row, order and value.
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> relabel_columns(const device_csr_view<V, I, O>& m, std::span<const I> new_ids,
                                             std::int64_t new_cols) const {
    return cuda::detail::relabel_columns(m, new_ids, new_cols, stream());
  }

  /// New values f(row, column, value) on the same pattern: on the device for
  /// a device_callable f, otherwise through a host copy (the host hop).
  template <class V, index_type I, index_type O, class F>
  auto apply(const device_csr_view<V, I, O>& m, F f) const {
    if constexpr (cuda::device_callable<F>::value) {
      return cuda::detail::apply_on_device(m, f, stream());
    } else {  // a host callable: the documented host hop
      const auto host = detail::download_trusted(m, stream());
      return to_device(reference_backend{}.apply(host.view(), f).view(), stream());
    }
  }

  /// Per-row left fold acc = f(acc, value) from `init`, returned on the host;
  /// on the device for a device_callable f, otherwise on a host copy.
  template <class V, index_type I, index_type O, class Acc, class F>
  std::vector<Acc> row_reduce(const device_csr_view<V, I, O>& m, Acc init, F f) const {
    if constexpr (cuda::device_callable<F>::value) {
      return cuda::detail::row_reduce_on_device(m, init, f, stream());
    } else {
      return reference_backend{}.row_reduce(detail::download_trusted(m, stream()).view(), init, f);
    }
  }

  /// P⟨¬X⟩: row r of P keeps the entries its minibatch does not exclude (as
  /// cpu_backend::exclude_entries).
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> exclude_entries(const device_csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                             const excluded_edges<I>& excluded) const {
    return cuda::detail::exclude_entries(p, q, excluded, stream());
  }

  /// The sampled rows S of k minibatches as k blocks (as
  /// cpu_backend::compact_blocks), returned as a host block_set.
  template <class V, index_type I, index_type O>
  block_set<V, I, O> compact_blocks(const device_csr_view<V, I, O>& s, const stacked_selection<I>& q,
                                    bool deduplicate) const {
    return cuda::detail::compact_blocks(s, q, deduplicate, stream());
  }

  /// A device result copied to the host on the backend's stream (the typed
  /// samplers relabel on the host).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> to_host(const device_csr_matrix<V, I, O>& m) const {
    return back(m);
  }

  // ---- host operands: computed on the device, results on the host ------------

  /// gather_rows on a host matrix: copied up, computed on the device, copied back.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    return back(gather_rows(up(a).view(), rows));
  }
  /// sample_rows on a host P, computed on the device; the result on the host.
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  csr_matrix<V, I, O> sample_rows(const csr_view<V, I, O>& p, const stacked_selection<I>& q, const Rule& spec,
                                  std::uint64_t seed, std::uint64_t layer) const {
    return back(sample_rows(up(p).view(), q, spec, seed, layer));
  }
  /// gather_and_sample on a host A, computed on the device; the result on the host.
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a, const stacked_selection<I>& q, const Rule& spec,
                                        std::uint64_t seed, std::uint64_t layer) const {
    return back(gather_and_sample(up(a).view(), q, spec, seed, layer));
  }
  /// spgemm of two host matrices, computed on the device; the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
    return back(spgemm(up(a).view(), up(b).view()));
  }
  /// A host Q times a device A (the LADIES product): the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& a, const device_csr_view<V, I, O>& b) const {
    return back(spgemm(up(a).view(), b));
  }
  /// spgemm_cusparse of two host matrices; the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm_cusparse(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
    return back(spgemm_cusparse(up(a).view(), up(b).view()));
  }
  /// select_columns on a host matrix, computed on the device; the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                     std::span<const I> columns, std::span<const std::int64_t> column_blocks) const {
    return back(select_columns(up(m).view(), row_blocks, columns, column_blocks));
  }
  /// exclude_entries on a host matrix, computed on the device; the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> exclude_entries(const csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                      const excluded_edges<I>& excluded) const {
    return back(exclude_entries(up(p).view(), q, excluded));
  }
  /// relabel_columns on a host matrix, computed on the device; the result on the host.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> relabel_columns(const csr_view<V, I, O>& m, std::span<const I> new_ids,
                                      std::int64_t new_cols) const {
    return back(relabel_columns(up(m).view(), new_ids, new_cols));
  }
  /// Host callables on host data run on the host, in row order.
  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const {
    return reference_backend{}.apply(m, f);
  }
  /// row_reduce on a host matrix, run on the host in row order.
  template <class V, index_type I, index_type O, class Acc, class F>
  std::vector<Acc> row_reduce(const csr_view<V, I, O>& m, Acc init, F f) const {
    return reference_backend{}.row_reduce(m, init, f);
  }
  /// compact_blocks of host sampled rows, computed on the device.
  template <class V, index_type I, index_type O>
  block_set<V, I, O> compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q, bool deduplicate) const {
    return compact_blocks(up(s).view(), q, deduplicate);
  }

 private:
  template <class V, index_type I, index_type O>
  device_csr_matrix<V, I, O> up(const csr_view<V, I, O>& m) const {
    return to_device(m, stream());
  }
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> back(const device_csr_matrix<V, I, O>& m) const {
    return detail::download_trusted(m.view(), stream());
  }
  cusparseHandle_t sparse_handle() const {
    if (!handle_) handle_ = std::make_shared<cuda::detail::sparse_handle>();
    return handle_->get();
  }

  cuda_options options_;
  mutable std::shared_ptr<cuda::detail::sparse_handle> handle_;  ///< made on first use, shared by copies
};

static_assert(kernel_set<cuda_backend>);

}  // namespace matsample
