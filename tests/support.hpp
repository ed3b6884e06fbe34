#pragma once
// Helpers shared by the test files: short names, spans over vectors, the
// backends under test, OpenMP thread control, graph predicates and a block
// comparison. The backend axis of the tests is in backends.hpp.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "matsample/matsample.hpp"

namespace ms = matsample;
using i32 = std::int32_t;
using i64 = std::int64_t;

namespace test {

template <class T>
std::span<const T> sp(const std::vector<T>& v) {
  return std::span<const T>(v);
}

/// A value type with its id and offset types, for TEST_CASE_TEMPLATE.
template <class V_, class I_, class O_>
struct types {
  using V = V_;
  using I = I_;
  using O = O_;
};

/// The index configurations every kernel and sampler test runs on:
/// (value, id, offset) with int32/int64 ids and offsets, float and double.
using d_i32_o32 = types<double, std::int32_t, std::int32_t>;
using d_i32_o64 = types<double, std::int32_t, std::int64_t>;
using d_i64_o64 = types<double, std::int64_t, std::int64_t>;
using f_i32_o64 = types<float, std::int32_t, std::int64_t>;
#define MATSAMPLE_INDEX_CONFIGS test::d_i32_o32, test::d_i32_o64, test::d_i64_o64, test::f_i32_o64
#define MATSAMPLE_DOUBLE_CONFIGS test::d_i32_o32, test::d_i32_o64, test::d_i64_o64

/// The owning matrix of a configuration.
template <class C>
using mat = ms::csr_matrix<typename C::V, typename C::I, typename C::O>;

inline const ms::reference_backend ref;
inline const ms::cpu_backend cpu1{1};
inline const ms::cpu_backend cpu2{2};

/// Runs f with `threads` OpenMP threads as the default, then restores it.
template <class F>
auto with_threads(int threads, F f) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto out = f();
  omp_set_num_threads(before);
  return out;
}

/// Every entry (r, c) has its mirror (c, r); rows must be sorted.
template <class V, class I, class O>
bool symmetric(const ms::csr_matrix<V, I, O>& m) {
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.indptr()[r]; e < m.indptr()[r + 1]; ++e) {
      const I c = m.indices()[e];
      const auto b = m.indices().begin() + m.indptr()[c], end = m.indices().begin() + m.indptr()[c + 1];
      if (!std::binary_search(b, end, r)) return false;
    }
  }
  return true;
}

template <class V, class I, class O>
i64 self_loops(const ms::csr_matrix<V, I, O>& m) {
  i64 loops = 0;
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.indptr()[r]; e < m.indptr()[r + 1]; ++e) loops += m.indices()[e] == r;
  }
  return loops;
}

/// "" when two blocks are equal, else what differs first.
template <class V, class I, class O>
std::string block_difference(const ms::block_view<V, I, O>& x, const ms::block_view<V, I, O>& y) {
  if (x.num_dst() != y.num_dst() || x.num_src() != y.num_src()) return "shapes differ";
  if (!std::ranges::equal(x.adjacency.indptr(), y.adjacency.indptr())) return "indptr differs";
  if (!std::ranges::equal(x.adjacency.indices(), y.adjacency.indices())) return "indices differ";
  if (!std::ranges::equal(x.adjacency.values(), y.adjacency.values())) return "values differ";
  if (!std::ranges::equal(x.src_nodes, y.src_nodes)) return "source nodes differ";
  return {};
}

}  // namespace test

using test::sp;
