#pragma once
// The launch layer's building blocks: a grid-stride loop over an index range
// (the kernel bodies of algebra/row_kernels.hpp run inside it), the first
// failing index of a parallel check, and CUB's scan, radix sort and run-length
// encoding with their temporary storage taken from the stream's pool.
//
// Item counts: CUB's scans and sorts take a templated count (int64 here);
// DeviceRunLengthEncode::Encode takes int, so run_length_encode refuses more
// than max_cub_items with index_overflow_error before launching, and its one
// caller (the SpGEMM) passes at most that many per call.

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_run_length_encode.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_sort.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "matsample/backend/cuda/error.cuh"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/core/index.hpp"

namespace matsample::cuda {

namespace detail {
template <class F>
__global__ void for_each_index_kernel(std::int64_t n, F f) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}
}  // namespace detail

/// Calls f(i) for i in [0, n) on the device, one thread per index.
template <class F>
void for_each_index(std::int64_t n, cudaStream_t stream, F f) {
  if (n <= 0) return;
  constexpr int block = 256;
  const std::int64_t grid = std::min<std::int64_t>((n + block - 1) / block, std::int64_t{1} << 20);
  detail::for_each_index_kernel<<<static_cast<unsigned>(grid), block, 0, stream>>>(n, f);
  check(cudaGetLastError(), "kernel launch");
}

/// Sets dst[0, n) to `value` with a kernel (no host staging).
template <class T>
void fill(T* dst, std::int64_t n, T value, cudaStream_t stream) {
  for_each_index(n, stream, [=] __device__(std::int64_t i) { dst[i] = value; });
}

/// The smallest index a parallel check reported (as detail::first_failure on the host).
class device_first_failure {
 public:
  /// Allocates the slot on `stream` and sets it to "nothing failed".
  explicit device_first_failure(cudaStream_t stream) : stream_(stream), slot_(1, stream, "a failure flag") {
    fill(slot_.data(), 1, std::numeric_limits<long long>::max(), stream);
  }
  /// Device pointer to pass to a kernel, which calls record_failure on it.
  [[nodiscard]] long long* slot() noexcept { return slot_.data(); }
  /// Waits for the stream; -1 when nothing failed.
  [[nodiscard]] std::int64_t index() const {
    const long long at = read_one(slot_.data(), stream_);
    return at == std::numeric_limits<long long>::max() ? -1 : static_cast<std::int64_t>(at);
  }

 private:
  cudaStream_t stream_;
  device_buffer<long long> slot_;
};

/// Device code: reports a failure at `index` into a device_first_failure
/// slot; the smallest index reported wins.
__device__ inline void record_failure(long long* slot, std::int64_t index) {
  atomicMin(slot, static_cast<long long>(index));
}

/// out[0..n] = exclusive prefix sums of in[0..n): out[n] is the total, returned.
template <class T>
T exclusive_sum(const T* in, T* out, std::int64_t n, cudaStream_t stream) {
  if (n == 0) {
    check(cudaMemsetAsync(out, 0, sizeof(T), stream), "cudaMemsetAsync");
    return T{};
  }
  std::size_t bytes = 0;
  check(cub::DeviceScan::ExclusiveSum(nullptr, bytes, in, out, n, stream), "cub::DeviceScan::ExclusiveSum");
  device_buffer<std::byte> temp(static_cast<std::int64_t>(bytes), stream, "scan workspace");
  check(cub::DeviceScan::ExclusiveSum(temp.data(), bytes, in, out, n, stream), "cub::DeviceScan::ExclusiveSum");
  // The total, last prefix plus last input, written on the device and read back once.
  for_each_index(1, stream, [=] __device__(std::int64_t) { out[n] = out[n - 1] + in[n - 1]; });
  return read_one(out + n, stream);
}

/// Stable LSD radix sort of (key, value) pairs on the key's low `bits` bits;
/// the sorted pairs are left in keys.Current() / values.Current().
template <class K, class T>
void radix_sort_pairs(cub::DoubleBuffer<K>& keys, cub::DoubleBuffer<T>& values, std::int64_t n, int bits,
                      cudaStream_t stream) {
  if (n <= 1 || bits <= 0) return;
  std::size_t bytes = 0;
  check(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys, values, n, 0, bits, stream),
        "cub::DeviceRadixSort::SortPairs");
  device_buffer<std::byte> temp(static_cast<std::int64_t>(bytes), stream, "radix sort workspace");
  check(cub::DeviceRadixSort::SortPairs(temp.data(), bytes, keys, values, n, 0, bits, stream),
        "cub::DeviceRadixSort::SortPairs");
}

/// The most items one call of a CUB algorithm that counts in int may take.
inline constexpr std::int64_t max_cub_items = std::numeric_limits<int>::max();

/// Runs of equal keys in sorted[0, n): unique keys, run lengths; returns the
/// run count. n must not exceed max_cub_items (CUB's Encode counts in int).
template <class K>
std::int64_t run_length_encode(const K* sorted, K* unique, std::int64_t* lengths, std::int64_t n, cudaStream_t stream) {
  if (n == 0) return 0;
  const int items = checked_cast<int>(n, "items of one cub::DeviceRunLengthEncode::Encode call");
  device_buffer<std::int64_t> runs(1, stream, "run count");
  std::size_t bytes = 0;
  check(cub::DeviceRunLengthEncode::Encode(nullptr, bytes, sorted, unique, lengths, runs.data(), items, stream),
        "cub::DeviceRunLengthEncode::Encode");
  device_buffer<std::byte> temp(static_cast<std::int64_t>(bytes), stream, "run-length workspace");
  check(cub::DeviceRunLengthEncode::Encode(temp.data(), bytes, sorted, unique, lengths, runs.data(), items, stream),
        "cub::DeviceRunLengthEncode::Encode");
  return read_one(runs.data(), stream);
}

/// Sorts each CSR row's (column, value) pairs by column, stably.
template <class I, class V, class O>
void sort_rows(I* indices, V* values, std::int64_t nnz, std::int64_t rows, const O* indptr, cudaStream_t stream) {
  if (nnz <= 1) return;
  device_buffer<I> keys_out(nnz, stream, "sorted columns");
  device_buffer<V> values_out(nnz, stream, "sorted values");
  std::size_t bytes = 0;
  check(cub::DeviceSegmentedSort::StableSortPairs(nullptr, bytes, indices, keys_out.data(), values, values_out.data(),
                                                  nnz, rows, indptr, indptr + 1, stream),
        "cub::DeviceSegmentedSort::StableSortPairs");
  device_buffer<std::byte> temp(static_cast<std::int64_t>(bytes), stream, "segmented sort workspace");
  check(cub::DeviceSegmentedSort::StableSortPairs(temp.data(), bytes, indices, keys_out.data(), values,
                                                  values_out.data(), nnz, rows, indptr, indptr + 1, stream),
        "cub::DeviceSegmentedSort::StableSortPairs");
  check(cudaMemcpyAsync(indices, keys_out.data(), static_cast<std::size_t>(nnz) * sizeof(I), cudaMemcpyDeviceToDevice,
                        stream),
        "cudaMemcpyAsync");
  check(cudaMemcpyAsync(values, values_out.data(), static_cast<std::size_t>(nnz) * sizeof(V), cudaMemcpyDeviceToDevice,
                        stream),
        "cudaMemcpyAsync");
}

/// Consecutive ranges [first, last) of the items counted by `prefix` (item i
/// holds prefix[i + 1] - prefix[i] units) whose units fit `max_units`; an item
/// that alone exceeds it forms its own range.
inline std::vector<std::pair<std::int64_t, std::int64_t>> chunk_ranges(const std::vector<std::int64_t>& prefix,
                                                                       std::int64_t max_units) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  const auto items = static_cast<std::int64_t>(prefix.size()) - 1;
  for (std::int64_t r0 = 0; r0 < items;) {
    std::int64_t r1 = r0 + 1;
    while (r1 < items && prefix[r1 + 1] - prefix[r0] <= max_units) ++r1;
    out.emplace_back(r0, r1);
    r0 = r1;
  }
  return out;
}

/// `budget` bytes of scratch, or half the free device memory when 0.
inline std::size_t scratch_budget(std::size_t budget) {
  if (budget != 0) return budget;
  std::size_t free_bytes = 0, total = 0;
  check(cudaMemGetInfo(&free_bytes, &total), "cudaMemGetInfo");
  return free_bytes / 2;
}

/// Bits needed for keys in [0, bound).
inline int key_bits(std::uint64_t bound) {
  int bits = 0;
  while (bits < 64 && (bound - 1) >> bits != 0 && bound > 1) ++bits;
  return bits;
}

}  // namespace matsample::cuda
