#pragma once
// Huge pages for the graph. Sampling reads A at random, one access per
// sampled edge, so with 4 KiB pages nearly every access also misses the TLB
// and walks the page table: a 500 MB CSR spans 128k pages, far beyond any
// TLB, but only 250 pages of 2 MiB. Linux gives anonymous memory 2 MiB pages
// when the range is marked MADV_HUGEPAGE (the default "madvise" setting of
// transparent huge pages) before it is touched, or collapses a touched range
// with MADV_COLLAPSE (Linux 6.1). Measured on R-MAT scale 21, edge factor 32
// (docs/performance.md): about a fifth less time per sampled edge.
//
// All of this is advice: where the kernel or the system says no, memory
// stays as it is and nothing fails.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/error.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace matsample {

namespace detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{1} << 21;
/// Arrays smaller than this gain little (a few TLB entries) and are left alone.
inline constexpr std::size_t huge_page_threshold = 8 * huge_page_bytes;

/// Applies `advice` to the whole 2 MiB pages inside [p, p + bytes).
inline void advise_aligned(const void* p, std::size_t bytes, [[maybe_unused]] int advice) {
#if defined(__linux__)
  const auto first = (reinterpret_cast<std::uintptr_t>(p) + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
  const auto last = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge_page_bytes - 1);
  if (last > first) (void)::madvise(reinterpret_cast<void*>(first), last - first, advice);
#else
  (void)p;
  (void)bytes;
#endif
}

/// v.resize(n), with the new storage marked for huge pages before it is
/// first touched (so it faults in as 2 MiB pages, with no copy) when it is
/// large enough to matter.
template <class T>
void resize_huge(std::vector<T>& v, std::size_t n) {
  if (n * sizeof(T) >= huge_page_threshold && n > v.capacity()) {
    v.reserve(n);
#if defined(__linux__)
    advise_aligned(v.data(), n * sizeof(T), MADV_HUGEPAGE);
#endif
  }
  v.resize(n);
}

/// v.shrink_to_fit() that keeps the advice: the copy goes to storage made by resize_huge.
template <class T>
void shrink_huge(std::vector<T>& v) {
  if (v.capacity() == v.size()) return;
  std::vector<T> fitted;
  resize_huge(fitted, v.size());
  std::copy(v.begin(), v.end(), fitted.begin());
  v.swap(fitted);
}

}  // namespace detail

/// Asks the kernel to back an existing array with 2 MiB pages: marks it
/// MADV_HUGEPAGE and collapses what is already resident (MADV_COLLAPSE,
/// Linux 6.1 and later; earlier kernels collapse it in the background).
/// For arrays matsample did not allocate, such as CSR arrays borrowed from
/// another framework, before sampling from them. Advice only: it never fails.
template <class T>
void advise_huge_pages(std::span<const T> data) {
  if (data.size_bytes() < detail::huge_page_threshold) return;
#if defined(__linux__)
  detail::advise_aligned(data.data(), data.size_bytes(), MADV_HUGEPAGE);
  constexpr int collapse = 25;  // MADV_COLLAPSE, absent from older headers
  detail::advise_aligned(data.data(), data.size_bytes(), collapse);
#endif
}

/// advise_huge_pages for each array of a CSR matrix (anything with indptr(),
/// indices() and values() spans, such as csr_view).
template <class View>
requires requires(const View& a) {
  a.indptr().data();
  a.indices().data();
  a.values().data();
}
void advise_huge_pages(const View& a) {
  advise_huge_pages(a.indptr());
  advise_huge_pages(a.indices());
  advise_huge_pages(a.values());
}

/// Keeps freed memory in the process instead of returning it to the kernel
/// between sampling calls. Every call allocates its intermediate arrays and
/// blocks afresh; with glibc's defaults the heap's freed top is trimmed
/// after a call and the next call takes page faults (kernel time zeroing
/// pages) for all of it again. Sets glibc's mmap threshold to
/// `mmap_below` (blocks below it come from the heap) and its trim threshold
/// to `keep` (freed memory up to that much stays), as
/// GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...:glibc.malloc.trim_threshold=...
/// would; measured: node-wise k = 1 on ego-Twitter, 1 thread, 10.4-12.0 ms
/// per minibatch without, 6.4-6.8 ms with (docs/performance.md). The
/// setting is the whole process's, so a program calls it once, by choice; a
/// library never does. Both sizes must fit the int that glibc's mallopt
/// takes (at most 2147483647 bytes), else argument_error naming the value.
/// Returns false where the C library is not glibc or refuses (as under
/// AddressSanitizer, whose allocator ignores these settings).
inline bool retain_freed_memory(std::size_t mmap_below = std::size_t{32} << 20,
                                std::size_t keep = std::size_t{1} << 30) {
  constexpr std::size_t int_max = 0x7fffffff;
  for (const auto& [name, bytes] : {std::pair{"mmap_below", mmap_below}, std::pair{"keep", keep}}) {
    if (bytes > int_max) {
      throw argument_error(
          detail::concat("retain_freed_memory: ", name, " = ", bytes, " bytes; glibc takes at most ", int_max));
    }
  }
#if defined(__GLIBC__)
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_below)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(keep)) == 1;
#else
  return false;
#endif
}

}  // namespace matsample
