#pragma once
// Device memory: a stream-ordered RAII buffer, and CSR containers and views
// whose arrays live on the device. They are separate types from the host
// csr_matrix / csr_view, so a host kernel can never be handed a device
// pointer (or the reverse); data crosses only through to_device / to_host.

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/backend/cuda/error.cuh"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// Memory space of data on the current CUDA device.
struct device_memory {};

namespace cuda {

/// n elements of T on the device, allocated and freed in stream order.
template <class T>
class device_buffer {
 public:
  /// No allocation: size 0, null data.
  device_buffer() = default;
  /// Allocates n elements (uninitialised) on `stream`; throws argument_error
  /// for n < 0 and cuda_out_of_memory, naming `what`, when the device is full.
  device_buffer(std::int64_t n, cudaStream_t stream, const char* what = "a device buffer") : size_(n), stream_(stream) {
    if (n < 0) throw argument_error(detail::concat("device_buffer: negative size ", n, " for ", what));
    if (n == 0) return;
    const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
    void* p = nullptr;
    const cudaError_t code = cudaMallocAsync(&p, bytes, stream);
    if (code == cudaErrorMemoryAllocation) throw_out_of_memory(code, bytes, what);
    check(code, "cudaMallocAsync");
    data_ = static_cast<T*>(p);
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  /// Takes over o's allocation; o is left empty.
  device_buffer(device_buffer&& o) noexcept { swap(o); }
  /// Frees this buffer's allocation (in its stream's order) and takes over o's.
  device_buffer& operator=(device_buffer&& o) noexcept {
    device_buffer(std::move(o)).swap(*this);
    return *this;
  }
  ~device_buffer() {
    if (data_ != nullptr) (void)cudaFreeAsync(data_, stream_);  // a destructor cannot throw; errors surface later
  }
  /// Exchanges allocations, sizes and streams with o.
  void swap(device_buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(stream_, o.stream_);
  }

  /// Device pointer to the elements (null when empty).
  [[nodiscard]] T* data() noexcept { return data_; }
  /// Device pointer to the elements (null when empty).
  [[nodiscard]] const T* data() const noexcept { return data_; }
  /// Number of elements.
  [[nodiscard]] std::int64_t size() const noexcept { return size_; }
  /// Whether there are no elements.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The stream the buffer is allocated and freed on.
  [[nodiscard]] cudaStream_t stream() const noexcept { return stream_; }

 private:
  T* data_ = nullptr;
  std::int64_t size_ = 0;
  cudaStream_t stream_ = nullptr;
};

/// n elements of T on the device, not owned: the device counterpart of
/// std::span, so an overload can tell device data from host data by type
/// (the NCCL collectives take device spans, the MPI ones std::span).
template <class T>
class device_span {
 public:
  using element_type = T;              ///< Type of the elements.
  using memory_space = device_memory;  ///< The data is on the device.

  /// The empty span.
  device_span() = default;
  /// `size` elements at device pointer `data`; throws argument_error for a
  /// negative size or a null pointer with a nonzero size.
  device_span(T* data, std::int64_t size) : data_(data), size_(size) {
    if (size < 0) throw argument_error(matsample::detail::concat("device_span: negative size ", size));
    if (size > 0 && data == nullptr) throw argument_error("device_span: null pointer with a nonzero size");
  }
  /// All of buffer `b` (implicit: a buffer is usable as its span).
  template <class U>
  requires std::is_convertible_v<U (*)[], T (*)[]> device_span(device_buffer<U>& b)
      : data_(b.data()), size_(b.size()) {}  // NOLINT: a buffer is usable as its span
  /// All of a const buffer `b`, as a span of const elements.
  template <class U>
  requires std::is_convertible_v<const U (*)[], T (*)[]> device_span(const device_buffer<U>& b)
      : data_(b.data()), size_(b.size()) {}  // NOLINT
  /// Conversion from a span of U (T to const T).
  template <class U>
  requires std::is_convertible_v<U (*)[], T (*)[]> device_span(const device_span<U>& o)
      : data_(o.data()), size_(o.size()) {}  // NOLINT: T to const T

  /// Device pointer to the first element.
  [[nodiscard]] T* data() const noexcept { return data_; }
  /// Number of elements.
  [[nodiscard]] std::int64_t size() const noexcept { return size_; }
  /// Whether there are no elements.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  T* data_ = nullptr;
  std::int64_t size_ = 0;
};

/// Host -> device copy of n elements (asynchronous with respect to the host
/// only when `src` is pinned; pageable sources are staged by the driver).
template <class T>
void upload(T* dst, const T* src, std::int64_t n, cudaStream_t stream) {
  if (n > 0)
    check(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync (host to device)");
}
/// A new device buffer holding a copy of `src` (copied on `stream`; `src`
/// must stay valid until the stream has read it).
template <class T>
device_buffer<T> upload(std::span<const T> src, cudaStream_t stream, const char* what = "an uploaded array") {
  device_buffer<T> out(static_cast<std::int64_t>(src.size()), stream, what);
  upload(out.data(), src.data(), out.size(), stream);
  return out;
}
/// Device -> host copy of n elements; returns after the stream reached it.
template <class T>
void download(T* dst, const T* src, std::int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  check(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync (device to host)");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}
/// The n elements at device pointer `src`, copied to a host vector
/// (returns after the copy).
template <class T>
std::vector<T> download(const T* src, std::int64_t n, cudaStream_t stream) {
  std::vector<T> out(static_cast<std::size_t>(n));
  download(out.data(), src, n, stream);
  return out;
}
/// One element (an offset or a count) back to the host.
template <class T>
T read_one(const T* src, cudaStream_t stream) {
  T out{};
  download(&out, src, 1, stream);
  return out;
}

}  // namespace cuda

/// A non-owning CSR view of device arrays: cheap to copy, passed by value
/// into kernels. nnz is kept on the host side so that sizes never need a
/// device round trip. values == nullptr means a pattern (every entry 1).
template <class V, index_type I, index_type O>
class device_csr_view {
 public:
  using value_type = V;                ///< Type of the stored values.
  using index_type = I;                ///< Type of row and column ids.
  using offset_type = O;               ///< Type of the row offsets.
  using memory_space = device_memory;  ///< The arrays are on the device.

  /// The empty 0 x 0 matrix.
  device_csr_view() = default;
  /// O(1) shape checks only: the arrays are on the device. Kernels check the
  /// rows they touch, as on the host.
  device_csr_view(I rows, I cols, O nnz, const O* indptr, const I* indices, const V* values = nullptr)
      : rows_(rows), cols_(cols), nnz_(nnz), indptr_(indptr), indices_(indices), values_(nnz > 0 ? values : nullptr) {
    if (rows < 0 || cols < 0) throw csr_error(detail::concat("csr: negative shape ", rows, " x ", cols));
    if (nnz < 0) throw csr_error(detail::concat("csr: negative entry count ", nnz));
    if (indptr == nullptr && rows > 0) throw csr_error("csr: device view without row offsets");
    if (indices == nullptr && nnz > 0) throw csr_error("csr: device view without column indices");
  }

  /// Number of rows.
  [[nodiscard]] I rows() const noexcept { return rows_; }
  /// Number of columns.
  [[nodiscard]] I cols() const noexcept { return cols_; }
  /// Number of stored entries (kept on the host).
  [[nodiscard]] O nnz() const noexcept { return nnz_; }
  /// Device pointer to the rows + 1 row offsets.
  [[nodiscard]] const O* indptr() const noexcept { return indptr_; }
  /// Device pointer to the nnz column ids.
  [[nodiscard]] const I* indices() const noexcept { return indices_; }
  /// Device pointer to the nnz values; null for a pattern matrix.
  [[nodiscard]] const V* values() const noexcept { return values_; }
  /// Whether values are stored (false: every entry 1).
  [[nodiscard]] bool has_values() const noexcept { return values_ != nullptr; }
  /// The raw arrays the kernel bodies of algebra/row_kernels.hpp take.
  [[nodiscard]] kernels::csr_arrays<V, I, O> arrays() const noexcept {
    return {rows_, cols_, static_cast<std::int64_t>(nnz_), indptr_, indices_, values_};
  }

 private:
  I rows_ = 0;
  I cols_ = 0;
  O nnz_ = 0;
  const O* indptr_ = nullptr;  ///< may be null only for a 0-row matrix
  const I* indices_ = nullptr;
  const V* values_ = nullptr;
};

/// Device memory: a device_csr_view.
template <class V, index_type I, index_type O>
struct csr_view_for<device_memory, V, I, O> {
  using type = device_csr_view<V, I, O>;  ///< The device view type.
};

/// A CSR matrix that owns its device arrays (freed in stream order).
template <class V, index_type I, index_type O>
class device_csr_matrix {
 public:
  using value_type = V;                        ///< Type of the stored values.
  using index_type = I;                        ///< Type of row and column ids.
  using offset_type = O;                       ///< Type of the row offsets.
  using memory_space = device_memory;          ///< The arrays are on the device.
  using view_type = device_csr_view<V, I, O>;  ///< The non-owning view it hands out.

  /// The empty 0 x 0 matrix (no device arrays).
  device_csr_matrix() = default;
  /// Takes buffers filled by a kernel (trusted: correct by construction).
  device_csr_matrix(I rows, I cols, O nnz, cuda::device_buffer<O> indptr, cuda::device_buffer<I> indices,
                    cuda::device_buffer<V> values)
      : rows_(rows),
        cols_(cols),
        nnz_(nnz),
        indptr_(std::move(indptr)),
        indices_(std::move(indices)),
        values_(std::move(values)) {}

  /// A view of the owned device arrays, valid while this matrix lives.
  [[nodiscard]] view_type view() const {
    return view_type(rows_, cols_, nnz_, indptr_.data(), indices_.data(), values_.empty() ? nullptr : values_.data());
  }
  /// Same as view(): a matrix is usable wherever a view is.
  operator view_type() const { return view(); }  // NOLINT: usable wherever a view is

  /// Number of rows.
  [[nodiscard]] I rows() const noexcept { return rows_; }
  /// Number of columns.
  [[nodiscard]] I cols() const noexcept { return cols_; }
  /// Number of stored entries.
  [[nodiscard]] O nnz() const noexcept { return nnz_; }
  /// Whether values are stored (an empty matrix has none).
  [[nodiscard]] bool has_values() const noexcept { return nnz_ > 0 && !values_.empty(); }
  /// The stream its arrays were allocated on (that of the row offsets).
  [[nodiscard]] cudaStream_t stream() const noexcept { return indptr_.stream(); }

 private:
  I rows_ = 0;
  I cols_ = 0;
  O nnz_ = 0;
  cuda::device_buffer<O> indptr_;
  cuda::device_buffer<I> indices_;
  cuda::device_buffer<V> values_;
};

/// Copies a host matrix to the device on `stream`. The host view's shape
/// was checked when it was made; its rows are checked by the kernels.
template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> to_device(const csr_view<V, I, O>& m, cudaStream_t stream = nullptr) {
  cuda::device_buffer<O> indptr(static_cast<std::int64_t>(m.rows()) + 1, stream, "row offsets");
  cuda::upload(indptr.data(), m.indptr().data(), indptr.size(), stream);
  auto indices = cuda::upload(m.indices(), stream, "column indices");
  cuda::device_buffer<V> values;
  if (m.has_values()) values = cuda::upload(m.values(), stream, "values");
  // The pageable source must stay valid until the copies have read it.
  cuda::check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return {m.rows(), m.cols(), m.nnz(), std::move(indptr), std::move(indices), std::move(values)};
}

namespace detail {
/// Device arrays copied back without validation (kernels' own output, or a
/// matrix about to be diagnosed).
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> download_trusted(const device_csr_view<V, I, O>& m, cudaStream_t stream) {
  std::vector<O> indptr(static_cast<std::size_t>(m.rows()) + 1, O{0});
  if (m.rows() > 0) cuda::download(indptr.data(), m.indptr(), static_cast<std::int64_t>(indptr.size()), stream);
  auto indices = cuda::download(m.indices(), m.nnz(), stream);
  std::vector<V> values;
  if (m.has_values()) values = cuda::download(m.values(), m.nnz(), stream);
  return {trusted, m.rows(), m.cols(), std::move(indptr), std::move(indices), std::move(values)};
}
}  // namespace detail

/// Copies a device matrix to the host on `stream` (and waits for it); the
/// result is validated like any csr_matrix built from outside arrays.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> to_host(const device_csr_view<V, I, O>& m, cudaStream_t stream = nullptr) {
  auto out = detail::download_trusted(m, stream);
  validate(out.view());
  return out;
}
/// Copies an owned device matrix to the host, validated (as the view overload).
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> to_host(const device_csr_matrix<V, I, O>& m, cudaStream_t stream = nullptr) {
  return to_host(m.view(), stream);
}

/// matsample::stack_rows on device matrices (found by argument-dependent
/// lookup): stacked on the host, once when a sampler is built, and copied up.
/// The parts are the caller's arrays, so they are validated on the way down
/// (csr_error for a malformed one), after every stream's pending writes.
template <class V, index_type I, index_type O, class F>
device_csr_matrix<V, I, O> stack_rows(std::span<const device_csr_view<V, I, O>> parts, F f) {
  cuda::check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  std::vector<csr_matrix<V, I, O>> copies;
  for (const auto& part : parts) copies.push_back(to_host(part));
  std::vector<csr_view<V, I, O>> views(copies.begin(), copies.end());
  return to_device(stack_rows(std::span<const csr_view<V, I, O>>(views), f).view());
}

}  // namespace matsample
