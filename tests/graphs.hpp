#pragma once
// Test graphs shared by the sampler tests (tests/test_nodewise.cpp,
// tests/test_layerwise.cpp). C is a configuration with V, I and O
// (test::types).

#include <cstdint>
#include <numeric>
#include <vector>

#include "matsample/matsample.hpp"
#include "support.hpp"

namespace test {

/// The same pattern with positive, uneven weights in [0.05, 5.05) fixed by a
/// hash of the entry position, so every platform sees the same graph; with
/// `zeros`, every entry whose position is divisible by 5 weighs 0.
template <class C>
mat<C> with_weights(const mat<C>& a, bool zeros = false) {
  using V = typename C::V;
  std::vector<V> w(static_cast<std::size_t>(a.nnz()));
  for (std::size_t e = 0; e < w.size(); ++e) {
    std::uint64_t h = (e + 1) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    w[e] = (zeros && e % 5 == 0) ? V{0} : static_cast<V>(0.05 + static_cast<double>(h % 1000) / 200.0);
  }
  return {a.rows(), a.cols(), a.indptr(), a.indices(), std::move(w)};
}

/// An R-MAT pattern graph, self loops dropped unless `self_loops`.
template <class C>
mat<C> rmat_graph(int scale, double edge_factor, std::uint64_t seed, bool self_loops = false) {
  ms::rmat_options o;
  o.scale = scale;
  o.edge_factor = edge_factor;
  o.seed = seed;
  o.drop_self_loops = !self_loops;
  return ms::rmat<typename C::V, typename C::I, typename C::O>(o);
}

/// 0, 1, ..., n - 1.
template <class I>
std::vector<I> all_vertices(i64 n) {
  std::vector<I> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), I{0});
  return v;
}

/// Where the parts of a hub_graph lie.
struct hub_graph_shape {
  int vertices;    ///< the graph is vertices x vertices
  int hub_degree;  ///< hub 0 is linked both ways to 1..hub_degree
  int lone_loop;   ///< a vertex with a self loop and nothing else
  int path_first;  ///< a path path_first..path_last, linked both ways
  int path_last;
  int into_five;  ///< a vertex with one edge, to 5, one way only
  int sink;       ///< 2 -> sink one way only: the sink has no out-edges
};

/// A hand-made graph with every feature a sampler must handle: hub 0 (with
/// a self loop) linked both ways to 1..hub_degree, self loops on 3, 7 and
/// lone_loop, a clique on 10..14, a path, one-way edges into_five -> 5 and
/// 2 -> sink, and every vertex the shape does not name isolated.
template <class C>
mat<C> hub_graph(const hub_graph_shape& shape) {
  using I = typename C::I;
  std::vector<I> src, dst;
  const auto edge = [&](int u, int v) {
    src.push_back(static_cast<I>(u));
    dst.push_back(static_cast<I>(v));
  };
  for (int v = 1; v <= shape.hub_degree; ++v) {
    edge(0, v);
    edge(v, 0);
  }
  edge(0, 0);
  edge(3, 3);
  edge(7, 7);
  edge(shape.lone_loop, shape.lone_loop);
  for (int u = 10; u <= 14; ++u) {
    for (int v = 10; v <= 14; ++v) {
      if (u != v) edge(u, v);
    }
  }
  for (int v = shape.path_first; v < shape.path_last; ++v) {
    edge(v, v + 1);
    edge(v + 1, v);
  }
  edge(shape.into_five, 5);
  edge(2, shape.sink);
  return ms::csr_from_edges<typename C::V, I, typename C::O>(shape.vertices, sp(src), sp(dst), {},
                                                             {false, false, true});
}

}  // namespace test
