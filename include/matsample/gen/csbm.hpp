#pragma once
// Contextual stochastic block model (Deshpande et al., NeurIPS 2018): vertices
// in c classes, edges inside a class with probability `homophily`, and
// Gaussian features around class means `signal` apart. With the defaults the
// features alone classify poorly and neighbourhood aggregation helps a lot,
// which makes it the built-in graph of the GraphSAGE demo: learnable, but
// only by using the graph.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/random.hpp"
#include "matsample/io/dataset.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// Parameters of csbm().
struct csbm_options {
  std::int64_t num_vertices = 20000;  ///< vertices n, at least 2
  std::int32_t num_classes = 8;       ///< classes c, in [2, n]; each vertex draws one uniformly
  double average_degree = 12;         ///< directed entries per vertex after symmetrizing
  double homophily = 0.75;            ///< fraction of edges whose endpoints share a class
  std::int64_t feature_dim = 32;      ///< features per vertex, at least 1
  double signal = 1.0;                ///< distance between class means, in noise standard deviations
  double train_fraction = 0.1;        ///< fraction of the vertices in the train split, > 0
  double valid_fraction = 0.1;        ///< the rest of the vertices form the test split
  std::uint64_t seed = 1;             ///< Philox seed; the dataset is a function of the options alone
};

/// A contextual SBM dataset: a symmetric pattern graph (no values, no self
/// loops, no repeated edges), a class label per vertex, row-major float
/// features (n x feature_dim) and "train", "valid" and "test" splits of a
/// seeded permutation. Throws argument_error for out-of-range options or when
/// a class draws no vertex.
template <class V, index_type I, index_type O>
graph_data<V, I, O> csbm(const csbm_options& o) {
  if (o.num_vertices < 2 || o.num_classes < 2 || o.num_classes > o.num_vertices || o.feature_dim < 1 ||
      !(o.average_degree > 0) || !(o.homophily >= 0 && o.homophily <= 1) || !(o.signal >= 0) ||
      !(o.train_fraction > 0 && o.valid_fraction >= 0 && o.train_fraction + o.valid_fraction < 1)) {
    throw argument_error(
        "csbm: need n >= 2, 2 <= classes <= n, dim >= 1, degree > 0, homophily in [0, 1], "
        "signal >= 0, train > 0 and train + valid < 1");
  }
  const std::int64_t n = o.num_vertices;
  const std::int32_t c = o.num_classes;
  (void)checked_cast<I>(n, "csbm vertex count");
  {  // labels, features, the edge arrays and the CSR, before any is allocated
    const double vertices = static_cast<double>(n), edges = o.average_degree * vertices / 2;
    require_memory(
        vertices * (sizeof(std::int32_t) + 2 * sizeof(I) + static_cast<double>(o.feature_dim) * sizeof(float)) +
            2 * edges * sizeof(I) + detail::csr_assembly<V, I, O>::bytes_needed(vertices, 2 * edges, false),
        detail::concat("csbm: ", n, " vertices, average degree ", o.average_degree, ", ", o.feature_dim, " features"));
  }
  // Streams: row 0 labels, 1 means, 2 features, 3 edges, 4 split (counter word 2 is the item).
  const auto stream = [&](std::uint64_t what, std::uint64_t item) {
    return philox_row_stream(o.seed, csbm_stream, {what, item, 0});
  };
  const auto gaussian = [](philox_row_stream& rng, std::uint64_t pair) {  // Box-Muller
    const double u1 = 1.0 - rng.uniform(2 * pair), u2 = rng.uniform(2 * pair + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  };

  graph_data<V, I, O> data;
  data.labels.resize(static_cast<std::size_t>(n));
  for (std::int64_t v = 0; v < n; ++v) {
    data.labels[v] = static_cast<std::int32_t>(stream(0, v).below(0, static_cast<std::uint64_t>(c)));
  }
  std::vector<std::vector<I>> members(static_cast<std::size_t>(c));
  for (std::int64_t v = 0; v < n; ++v) members[data.labels[v]].push_back(static_cast<I>(v));
  for (auto& m : members) {
    if (m.empty()) throw argument_error("csbm: a class drew no vertices; use fewer classes or more vertices");
  }

  // Class means: random directions scaled so that two means lie `signal` apart.
  const std::int64_t d = o.feature_dim;
  std::vector<double> means(static_cast<std::size_t>(c * d));
  for (std::int32_t k = 0; k < c; ++k) {
    auto rng = stream(1, static_cast<std::uint64_t>(k));
    double norm = 0;
    for (std::int64_t j = 0; j < d; ++j) norm += std::pow(means[k * d + j] = gaussian(rng, j), 2);
    for (std::int64_t j = 0; j < d; ++j) means[k * d + j] *= o.signal / std::sqrt(2.0 * norm);
  }
  data.feature_dim = d;
  data.features.resize(static_cast<std::size_t>(n * d));
#pragma omp parallel for schedule(static)
  for (std::int64_t v = 0; v < n; ++v) {
    auto rng = stream(2, static_cast<std::uint64_t>(v));
    for (std::int64_t j = 0; j < d; ++j) {
      data.features[v * d + j] = static_cast<float>(means[data.labels[v] * d + j] + gaussian(rng, j));
    }
  }

  // Edges: a uniform source, then a target in its class with probability h.
  const auto edges = static_cast<std::int64_t>(o.average_degree * static_cast<double>(n) / 2);
  std::vector<I> src(static_cast<std::size_t>(edges)), dst(static_cast<std::size_t>(edges));
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < edges; ++e) {
    auto rng = stream(3, static_cast<std::uint64_t>(e));
    const auto u = static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(n)));
    std::int32_t k = data.labels[u];
    if (rng.uniform(1) >= o.homophily) {  // another class, uniformly
      const auto other = static_cast<std::int32_t>(rng.below(2, static_cast<std::uint64_t>(c - 1)));
      k = other >= k ? other + 1 : other;
    }
    const auto& pool = members[k];
    src[e] = static_cast<I>(u);
    dst[e] = pool[rng.below(3, pool.size())];
  }
  data.graph = csr_from_edges<V, I, O>(n, std::span<const I>(src), std::span<const I>(dst), {},
                                       {.symmetrize = true, .drop_self_loops = true, .merge_duplicates = true});

  // Split: a seeded permutation cut by the fractions.
  std::vector<I> order(static_cast<std::size_t>(n));
  for (std::int64_t v = 0; v < n; ++v) order[v] = static_cast<I>(v);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[stream(4, static_cast<std::uint64_t>(i)).below(0, static_cast<std::uint64_t>(i) + 1)]);
  }
  const auto train_end = static_cast<std::int64_t>(o.train_fraction * static_cast<double>(n));
  const auto valid_end = train_end + static_cast<std::int64_t>(o.valid_fraction * static_cast<double>(n));
  data.splits["train"].assign(order.begin(), order.begin() + train_end);
  data.splits["valid"].assign(order.begin() + train_end, order.begin() + valid_end);
  data.splits["test"].assign(order.begin() + valid_end, order.end());
  return data;
}

}  // namespace matsample
