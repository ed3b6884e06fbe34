#pragma once
// R-MAT graphs (Chakrabarti, Zhan, Faloutsos 2004) with the Graph500
// parameters as defaults. Edge e descends `scale` levels of the quadrant
// recursion using draws from the Philox stream at counter e, so the graph is a
// function of the seed alone, whatever the thread count.

#include <cstdint>
#include <span>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// Parameters of rmat().
struct rmat_options {
  int scale = 16;           ///< 2^scale vertices; scale in [1, 40]
  double edge_factor = 16;  ///< generated edges = edge_factor * 2^scale
  /// Quadrant probabilities of each recursion level (non-negative, summing to
  /// at most 1; d = 1 - a - b - c is the bottom-right's): `a` is the top-left
  /// quadrant's, where the level's bit of both source and target is 0.
  double a = 0.57, b = 0.19, c = 0.19;
  /// \var b
  /// Probability of the top-right quadrant (target bit 1, source bit 0).
  /// \var c
  /// Probability of the bottom-left quadrant (source bit 1, target bit 0).
  bool symmetrize = true;       ///< undirected: store both directions
  bool deduplicate = true;      ///< merge repeated edges
  bool drop_self_loops = true;  ///< discard edges (v, v)
  bool scramble = true;         ///< relabel vertices so that degree does not follow the id
  std::uint64_t seed = 1;       ///< Philox seed; the graph is a function of the options alone
};

namespace detail {
/// A bijection on [0, 2^scale) that spreads the high-degree low ids.
inline std::uint64_t scramble_id(std::uint64_t x, int scale, std::uint64_t seed) {
  const std::uint64_t mask = scale >= 64 ? ~0ULL : (1ULL << scale) - 1;
  const std::uint64_t m1 = (0x9E3779B97F4A7C15ULL ^ (seed << 1)) | 1ULL, m2 = 0xBF58476D1CE4E5B9ULL | 1ULL;
  const int half = scale / 2 > 0 ? scale / 2 : 1;
  x = (x * m1) & mask;
  x ^= x >> half;
  x = (x * m2) & mask;
  x ^= x >> half;
  return x;
}
}  // namespace detail

/// An R-MAT graph as a 2^scale x 2^scale pattern matrix (no values), the
/// same for any thread count. Throws argument_error for a scale outside
/// [1, 40], bad probabilities or a non-positive edge factor.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> rmat(const rmat_options& options) {
  if (options.scale < 1 || options.scale > 40) {
    throw argument_error(detail::concat("rmat: scale ", options.scale, " outside [1, 40]"));
  }
  const double d = 1.0 - options.a - options.b - options.c;
  if (options.a < 0 || options.b < 0 || options.c < 0 || d < -1e-12 || !(options.edge_factor > 0)) {
    throw argument_error(
        "rmat: quadrant probabilities must be non-negative and sum to at most 1, edge factor positive");
  }
  const std::int64_t n = std::int64_t{1} << options.scale;
  (void)checked_cast<I>(n, "rmat vertex count");
  const auto edges = static_cast<std::int64_t>(options.edge_factor * static_cast<double>(n));
  // The edge arrays and the CSR built from them, before either is allocated.
  require_memory(
      2.0 * static_cast<double>(edges) * sizeof(I) +
          detail::csr_assembly<V, I, O>::bytes_needed(static_cast<double>(n), static_cast<double>(edges) * 2, false),
      detail::concat("rmat: scale ", options.scale, ", edge factor ", options.edge_factor));
  std::vector<I> src(static_cast<std::size_t>(edges)), dst(static_cast<std::size_t>(edges));
  const double ab = options.a + options.b, abc = ab + options.c;
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < edges; ++e) {
    philox_row_stream rng(options.seed, rmat_stream, {0, static_cast<std::uint64_t>(e), 0});
    std::uint64_t u = 0, v = 0;
    for (int level = 0; level < options.scale; ++level) {
      const double x = rng.uniform(static_cast<std::uint64_t>(level));
      const std::uint64_t down = x >= ab, right = (x >= options.a && x < ab) || x >= abc;
      u = (u << 1) | down;
      v = (v << 1) | right;
    }
    if (options.scramble) {
      u = detail::scramble_id(u, options.scale, options.seed);
      v = detail::scramble_id(v, options.scale, options.seed);
    }
    src[e] = static_cast<I>(u);
    dst[e] = static_cast<I>(v);
  }
  return csr_from_edges<V, I, O>(n, std::span<const I>(src), std::span<const I>(dst), {},
                                 {options.symmetrize, options.drop_self_loops, options.deduplicate});
}

}  // namespace matsample
