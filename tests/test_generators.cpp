// Graph generators: R-MAT (skewed, symmetric, loop-free, a function of the
// seed alone) and the contextual stochastic block model (labels, homophily,
// class-mean features, splits; learnable only by using the graph).

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <set>
#include <span>
#include <vector>

#include "matsample/matsample.hpp"
#include "support.hpp"

namespace {

using test::self_loops;
using test::symmetric;
using test::with_threads;

/// Every row strictly increasing: sorted and without repeated entries.
template <class V, class I, class O>
bool rows_strictly_increasing(const ms::csr_matrix<V, I, O>& m) {
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.indptr()[r] + 1; e < m.indptr()[r + 1]; ++e) {
      if (m.indices()[e - 1] >= m.indices()[e]) return false;
    }
  }
  return true;
}

template <class V, class I, class O>
i64 max_degree(const ms::csr_matrix<V, I, O>& m) {
  i64 best = 0;
  for (I r = 0; r < m.rows(); ++r) best = std::max<i64>(best, m.indptr()[r + 1] - m.indptr()[r]);
  return best;
}

}  // namespace

// =================================================================================
// R-MAT
// =================================================================================

TEST_CASE("rmat: the same graph for 1 and 2 threads, for both index widths") {
  const ms::rmat_options o{.scale = 12, .edge_factor = 16, .seed = 2024};
  const auto one = with_threads(1, [&] { return ms::rmat<float, i32, i64>(o); });
  const auto two = with_threads(2, [&] { return ms::rmat<float, i32, i64>(o); });
  CHECK(one == two);
  const auto wide1 = with_threads(1, [&] { return ms::rmat<double, i64, i64>(o); });
  const auto wide2 = with_threads(2, [&] { return ms::rmat<double, i64, i64>(o); });
  CHECK(wide1 == wide2);
  CHECK(std::equal(wide2.indices().begin(), wide2.indices().end(), two.indices().begin(), two.indices().end()));
  CHECK(wide2.indptr() == two.indptr());
  // Directed, undeduplicated, with loops: the raw edge stream, also thread-independent.
  const ms::rmat_options raw{
      .scale = 11, .edge_factor = 4, .symmetrize = false, .deduplicate = false, .drop_self_loops = false, .seed = 9};
  CHECK(with_threads(1, [&] { return ms::rmat<float, i32, i32>(raw); }) ==
        with_threads(2, [&] { return ms::rmat<float, i32, i32>(raw); }));
  // Another seed, another graph.
  auto other = o;
  other.seed = 2025;
  CHECK_FALSE(ms::rmat<float, i32, i64>(other) == two);
}

TEST_CASE("rmat: 2^scale vertices, symmetric, deduplicated, no self loops by default, skewed degrees") {
  const auto g = ms::rmat<float, i32, i64>({.scale = 12, .edge_factor = 16, .seed = 7});
  CHECK(g.rows() == 4096);
  CHECK(g.cols() == 4096);
  CHECK_FALSE(g.has_values());
  CHECK_NOTHROW(ms::validate(g.view()));
  CHECK(symmetric(g));
  CHECK(self_loops(g) == 0);
  CHECK(rows_strictly_increasing(g));
  CHECK(g.nnz() <= 2 * 16 * 4096);
  CHECK(g.nnz() > 16 * 4096);  // most of the 65,536 generated edges are distinct
  // Degree skew: the largest degree is far above the mean (Graph500 parameters).
  const double mean = static_cast<double>(g.nnz()) / static_cast<double>(g.rows());
  const auto largest = max_degree(g);
  CAPTURE(mean);
  CAPTURE(largest);
  CHECK(static_cast<double>(largest) > 10 * mean);
  // Many vertices have degree far below the mean.
  i64 low = 0;
  for (i32 r = 0; r < g.rows(); ++r) low += g.view().degree(r) < mean / 4;
  CHECK(low > g.rows() / 4);

  // Uniform quadrant probabilities give an Erdős–Rényi-like graph: no skew.
  const auto flat =
      ms::rmat<float, i32, i64>({.scale = 12, .edge_factor = 16, .a = 0.25, .b = 0.25, .c = 0.25, .seed = 7});
  const double flat_mean = static_cast<double>(flat.nnz()) / static_cast<double>(flat.rows());
  CHECK(static_cast<double>(max_degree(flat)) < 3 * flat_mean);

  // Without scrambling, vertex 0 (the a-quadrant corner) has the largest degree.
  const auto plain = ms::rmat<float, i32, i64>({.scale = 12, .edge_factor = 16, .scramble = false, .seed = 7});
  CHECK(plain.view().degree(0) == max_degree(plain));
  // Scrambling relabels vertices: the same degree multiset.
  std::vector<i64> d1, d2;
  for (i32 r = 0; r < g.rows(); ++r) {
    d1.push_back(g.view().degree(r));
    d2.push_back(plain.view().degree(r));
  }
  std::sort(d1.begin(), d1.end());
  std::sort(d2.begin(), d2.end());
  CHECK(d1 == d2);
}

TEST_CASE("rmat: options keep loops, duplicates and direction when asked") {
  const ms::rmat_options raw{
      .scale = 10, .edge_factor = 8, .symmetrize = false, .deduplicate = false, .drop_self_loops = false, .seed = 3};
  const auto d = ms::rmat<float, i32, i64>(raw);
  CHECK(d.nnz() == 8 * 1024);  // exactly the generated edges
  CHECK(self_loops(d) > 0);
  CHECK_FALSE(symmetric(d));
  CHECK_FALSE(rows_strictly_increasing(d));  // repeated edges kept
  auto loops = raw;
  loops.symmetrize = true;
  loops.deduplicate = true;
  const auto s = ms::rmat<float, i32, i64>(loops);
  CHECK(symmetric(s));
  CHECK(self_loops(s) > 0);
  CHECK(rows_strictly_increasing(s));
}

TEST_CASE("rmat: bad options throw argument_error, oversized graphs index_overflow_error") {
  CHECK_THROWS_AS((ms::rmat<float, i32, i64>({.scale = 0})), ms::argument_error);
  CHECK_THROWS_AS((ms::rmat<float, i64, i64>({.scale = 41})), ms::argument_error);
  CHECK_THROWS_AS((ms::rmat<float, i32, i64>({.scale = 4, .a = 0.6, .b = 0.3, .c = 0.3})), ms::argument_error);
  CHECK_THROWS_AS((ms::rmat<float, i32, i64>({.scale = 4, .a = -0.1})), ms::argument_error);
  CHECK_THROWS_AS((ms::rmat<float, i32, i64>({.scale = 4, .edge_factor = 0})), ms::argument_error);
  CHECK_THROWS_AS((ms::rmat<float, i32, i64>({.scale = 32})), ms::index_overflow_error);  // before allocating
}

// =================================================================================
// Contextual stochastic block model
// =================================================================================

namespace {

/// Fraction of stored entries (u, v) whose endpoints share a label.
template <class V, class I, class O>
double edge_homophily(const ms::graph_data<V, I, O>& d) {
  i64 same = 0;
  for (I r = 0; r < d.graph.rows(); ++r) {
    for (O e = d.graph.indptr()[r]; e < d.graph.indptr()[r + 1]; ++e)
      same += d.labels[r] == d.labels[d.graph.indices()[e]];
  }
  return static_cast<double>(same) / static_cast<double>(d.graph.nnz());
}

/// Per-class means of row-major features x (n x dim) over the vertices `ids`.
std::vector<std::vector<double>> class_means(std::span<const double> x, i64 dim, std::span<const i32> labels,
                                             i32 classes, std::span<const i64> ids) {
  std::vector<std::vector<double>> mean(static_cast<std::size_t>(classes),
                                        std::vector<double>(static_cast<std::size_t>(dim)));
  std::vector<i64> count(static_cast<std::size_t>(classes));
  for (const i64 v : ids) {
    const auto k = static_cast<std::size_t>(labels[static_cast<std::size_t>(v)]);
    ++count[k];
    for (i64 j = 0; j < dim; ++j) mean[k][static_cast<std::size_t>(j)] += x[static_cast<std::size_t>(v * dim + j)];
  }
  for (std::size_t k = 0; k < mean.size(); ++k) {
    for (auto& m : mean[k]) m /= static_cast<double>(std::max<i64>(count[k], 1));
  }
  return mean;
}

/// Accuracy on `test` of the nearest-class-mean classifier fitted on `train`.
double nearest_mean_accuracy(std::span<const double> x, i64 dim, std::span<const i32> labels, i32 classes,
                             std::span<const i64> train, std::span<const i64> test) {
  const auto mean = class_means(x, dim, labels, classes, train);
  i64 right = 0;
  for (const i64 v : test) {
    i32 best = 0;
    double best_distance = INFINITY;
    for (i32 k = 0; k < classes; ++k) {
      double distance = 0;
      for (i64 j = 0; j < dim; ++j) {
        distance += std::pow(
            x[static_cast<std::size_t>(v * dim + j)] - mean[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)],
            2);
      }
      if (distance < best_distance) {
        best_distance = distance;
        best = k;
      }
    }
    right += best == labels[static_cast<std::size_t>(v)];
  }
  return static_cast<double>(right) / static_cast<double>(test.size());
}

template <class I>
std::vector<i64> widen(const std::vector<I>& ids) {
  return {ids.begin(), ids.end()};
}

}  // namespace

TEST_CASE("csbm: the same data for 1 and 2 threads; another seed gives other data") {
  const ms::csbm_options o{.num_vertices = 5000, .seed = 17};
  const auto one = with_threads(1, [&] { return ms::csbm<float, i32, i64>(o); });
  const auto two = with_threads(2, [&] { return ms::csbm<float, i32, i64>(o); });
  CHECK(one.graph == two.graph);
  CHECK(one.features == two.features);
  CHECK(one.labels == two.labels);
  CHECK(one.splits == two.splits);
  // The index widths do not change the data.
  const auto wide = ms::csbm<double, i64, i64>(o);
  CHECK(wide.graph.indptr() == two.graph.indptr());
  CHECK(std::equal(wide.graph.indices().begin(), wide.graph.indices().end(), two.graph.indices().begin(),
                   two.graph.indices().end()));
  CHECK(wide.features == two.features);
  CHECK(wide.labels == two.labels);
  auto other = o;
  other.seed = 18;
  const auto three = ms::csbm<float, i32, i64>(other);
  CHECK_FALSE(three.labels == two.labels);
  CHECK_FALSE(three.graph == two.graph);
  CHECK_FALSE(three.features == two.features);
}

TEST_CASE("csbm: labels, graph shape, homophily within tolerance") {
  const ms::csbm_options o{};  // defaults: 20,000 vertices, 8 classes, degree 12, homophily 0.75
  const auto d = ms::csbm<float, i32, i64>(o);
  const i64 n = o.num_vertices;
  REQUIRE(d.graph.rows() == n);
  REQUIRE(d.labels.size() == static_cast<std::size_t>(n));
  CHECK(std::all_of(d.labels.begin(), d.labels.end(), [&](i32 l) { return l >= 0 && l < o.num_classes; }));
  std::vector<i64> per_class(static_cast<std::size_t>(o.num_classes));
  for (const i32 l : d.labels) ++per_class[static_cast<std::size_t>(l)];
  for (const i64 c : per_class) {  // uniform classes: each within 10% of n / c
    CHECK(std::abs(static_cast<double>(c) - static_cast<double>(n) / o.num_classes) <
          0.1 * static_cast<double>(n) / o.num_classes);
  }
  CHECK(d.view().num_classes() == o.num_classes);
  CHECK(symmetric(d.graph));
  CHECK(self_loops(d.graph) == 0);
  CHECK(rows_strictly_increasing(d.graph));
  const double degree = static_cast<double>(d.graph.nnz()) / static_cast<double>(n);
  CAPTURE(degree);
  CHECK(degree <= o.average_degree);
  CHECK(degree > 0.97 * o.average_degree);  // few repeated edges and loops removed
  CHECK(std::abs(edge_homophily(d) - o.homophily) < 0.01);
  for (const double h : {0.0, 0.2, 0.5, 0.95, 1.0}) {
    CAPTURE(h);
    const auto dh = ms::csbm<float, i32, i64>({.num_vertices = 8000, .homophily = h, .seed = 4});
    CHECK(std::abs(edge_homophily(dh) - h) < 0.015);
  }
}

TEST_CASE("csbm: class means are about `signal` apart, with unit noise") {
  for (const double signal : {1.0, 3.0}) {
    CAPTURE(signal);
    const ms::csbm_options o{.num_vertices = 20000, .signal = signal, .seed = 5};
    const auto d = ms::csbm<float, i32, i64>(o);
    const i64 dim = d.feature_dim;
    REQUIRE(dim == o.feature_dim);
    REQUIRE(d.features.size() == static_cast<std::size_t>(o.num_vertices * dim));
    CHECK(std::all_of(d.features.begin(), d.features.end(), [](float x) { return std::isfinite(x); }));
    const std::vector<double> x(d.features.begin(), d.features.end());
    std::vector<i64> all(static_cast<std::size_t>(o.num_vertices));
    std::iota(all.begin(), all.end(), 0);
    const auto mean = class_means(x, dim, d.labels, o.num_classes, all);
    // Pairwise distances between class means: each near `signal` (random
    // directions in 32 dimensions are nearly orthogonal), the average closer.
    double sum = 0;
    int pairs = 0;
    for (i32 a = 0; a < o.num_classes; ++a) {
      for (i32 b = a + 1; b < o.num_classes; ++b) {
        double dist2 = 0;
        for (i64 j = 0; j < dim; ++j) dist2 += std::pow(mean[a][j] - mean[b][j], 2);
        const double dist = std::sqrt(dist2);
        CHECK(dist > 0.6 * signal);
        CHECK(dist < 1.4 * signal);
        sum += dist;
        ++pairs;
      }
    }
    CHECK(std::abs(sum / pairs - signal) < 0.15 * signal);
    // Within a class, each coordinate has unit variance.
    double variance = 0;
    for (i64 v = 0; v < o.num_vertices; ++v) {
      for (i64 j = 0; j < dim; ++j) variance += std::pow(x[v * dim + j] - mean[d.labels[v]][j], 2);
    }
    variance /= static_cast<double>(o.num_vertices * dim);
    CHECK(std::abs(variance - 1.0) < 0.03);
  }
}

TEST_CASE("csbm: split sizes follow the fractions; the splits partition the vertices") {
  for (const auto& [train, valid] : {std::pair{0.1, 0.1}, std::pair{0.25, 0.05}, std::pair{0.5, 0.0}}) {
    CAPTURE(train);
    CAPTURE(valid);
    const ms::csbm_options o{.num_vertices = 3001, .train_fraction = train, .valid_fraction = valid, .seed = 8};
    const auto d = ms::csbm<float, i32, i64>(o);
    const auto expect_train = static_cast<std::size_t>(train * 3001);
    const auto expect_valid = static_cast<std::size_t>(valid * 3001);
    CHECK(d.splits.at("train").size() == expect_train);
    CHECK(d.splits.at("valid").size() == expect_valid);
    CHECK(d.splits.at("test").size() == 3001 - expect_train - expect_valid);
    std::set<i32> all;
    for (const auto& [name, ids] : d.splits) all.insert(ids.begin(), ids.end());
    CHECK(all.size() == 3001);
    CHECK(*all.begin() == 0);
    CHECK(*all.rbegin() == 3000);
  }
  // The training vertices are a random sample, not the first ids.
  const auto d = ms::csbm<float, i32, i64>({.num_vertices = 3000, .seed = 8});
  const auto& train = d.splits.at("train");
  CHECK(*std::max_element(train.begin(), train.end()) > 2000);
}

TEST_CASE("csbm: features alone classify clearly worse than features averaged over neighbours") {
  // Nearest-class-mean classifier, fitted on the training split, scored on
  // the test split: raw features versus mean aggregation over each vertex's
  // neighbours (GraphSAGE's mean aggregator, without the self term).
  const ms::csbm_options o{};  // the defaults, seed 1
  const auto d = ms::csbm<float, i32, i64>(o);
  const i64 n = o.num_vertices, dim = d.feature_dim;
  const std::vector<double> raw(d.features.begin(), d.features.end());
  std::vector<double> aggregated(raw.size());
  for (i32 v = 0; v < n; ++v) {
    const auto b = d.graph.indptr()[v], e = d.graph.indptr()[v + 1];
    for (auto k = b; k < e; ++k) {
      const i64 u = d.graph.indices()[k];
      for (i64 j = 0; j < dim; ++j) aggregated[v * dim + j] += raw[u * dim + j];
    }
    for (i64 j = 0; j < dim; ++j) aggregated[v * dim + j] /= static_cast<double>(std::max<i64>(e - b, 1));
  }
  const auto train = widen(d.splits.at("train")), test = widen(d.splits.at("test"));
  const double features_only = nearest_mean_accuracy(raw, dim, d.labels, o.num_classes, train, test);
  const double with_graph = nearest_mean_accuracy(aggregated, dim, d.labels, o.num_classes, train, test);
  MESSAGE("csbm defaults, nearest class mean on the test split: features only "
          << features_only << ", mean over neighbours " << with_graph);
  CHECK(features_only > 1.0 / o.num_classes);  // better than chance: the features carry some signal
  CHECK(with_graph >= features_only + 0.15);
  // Without homophily the graph carries no label information: no gain.
  const auto noise = ms::csbm<float, i32, i64>({.homophily = 1.0 / 8});
  std::vector<double> agg2(raw.size());
  for (i32 v = 0; v < n; ++v) {
    const auto b = noise.graph.indptr()[v], e = noise.graph.indptr()[v + 1];
    for (auto k = b; k < e; ++k) {
      const i64 u = noise.graph.indices()[k];
      for (i64 j = 0; j < dim; ++j) agg2[v * dim + j] += noise.features[u * dim + j];
    }
    for (i64 j = 0; j < dim; ++j) agg2[v * dim + j] /= static_cast<double>(std::max<i64>(e - b, 1));
  }
  const double uninformative = nearest_mean_accuracy(agg2, dim, noise.labels, o.num_classes,
                                                     widen(noise.splits.at("train")), widen(noise.splits.at("test")));
  CHECK(uninformative < 1.0 / o.num_classes + 0.05);
}

TEST_CASE("csbm: bad options throw argument_error") {
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 1})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .num_classes = 1})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 10, .num_classes = 11})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .average_degree = 0})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .homophily = 1.5})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .feature_dim = 0})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .signal = -1})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .train_fraction = 0})), ms::argument_error);
  CHECK_THROWS_AS((ms::csbm<float, i32, i64>({.num_vertices = 100, .train_fraction = 0.6, .valid_fraction = 0.4})),
                  ms::argument_error);
  // Tiny graphs either have every class or say that one drew no vertex.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    try {
      const auto d =
          ms::csbm<float, i32, i64>({.num_vertices = 4, .num_classes = 3, .average_degree = 2, .seed = seed});
      CHECK(std::set<i32>(d.labels.begin(), d.labels.end()).size() == 3);
    } catch (const ms::argument_error&) {}
  }
}

TEST_CASE("typed_csbm: the same data for 1 and 2 threads and both index widths; another seed differs") {
  const ms::typed_csbm_options o{.counts = {3000, 1500, 40}, .seed = 5};
  const auto one = with_threads(1, [&] { return ms::typed_csbm<float, i32, i64>(o); });
  const auto two = with_threads(2, [&] { return ms::typed_csbm<float, i32, i64>(o); });
  CHECK(one.graph == two.graph);
  CHECK(one.types == two.types);
  const auto wide = ms::typed_csbm<float, i64, i64>(o);
  for (std::int32_t r = 0; r < two.graph.schema().num_relations(); ++r) {
    CHECK(std::ranges::equal(wide.graph.relation(r).indices(), two.graph.relation(r).indices()));
  }
  auto other = o;
  other.seed = 6;
  CHECK_FALSE(ms::typed_csbm<float, i32, i64>(other).graph == two.graph);
}

TEST_CASE("typed_csbm: relation shapes, degrees, homophily per relation, reverses, labels on the target type") {
  const ms::typed_csbm_options o{.counts = {20000, 10000, 200}};
  const auto d = ms::typed_csbm<float, i32, i64>(o);
  const auto& schema = d.graph.schema();
  REQUIRE(schema.num_relations() == 6);
  CHECK(schema.canonical_name(4) == "paper___rev_writes___author");
  // Only the target type's classes are returned, so homophily is checked on
  // cites, whose both ends are papers.
  const auto& labels = d.types[0].labels;
  REQUIRE(labels.size() == 20000);
  CHECK(d.types[1].labels.empty());
  CHECK(d.types[0].num_classes() == 4);
  CHECK(d.types[1].features.size() == 10000u * 16u);
  for (std::int32_t r = 0; r < 3; ++r) {
    const auto& rel = o.relations[static_cast<std::size_t>(r)];
    const auto a = d.graph.relation(r).view();
    CHECK(a.rows() == o.counts[static_cast<std::size_t>(rel.row_type)]);
    CHECK(a.cols() == o.counts[static_cast<std::size_t>(rel.col_type)]);
    const double degree = static_cast<double>(a.nnz()) / static_cast<double>(a.rows());
    CAPTURE(r);
    CAPTURE(degree);
    CHECK(degree <= rel.average_degree);
    // has_topic: 2 draws among 50 fields per class often repeat; the others rarely.
    CHECK(degree > (r == 2 ? 0.9 : 0.98) * rel.average_degree);
    CHECK(rows_strictly_increasing(d.graph.relation(r)));
    const auto t = d.graph.relation(r + 3).view();  // the reverse is the transpose
    CHECK(t.rows() == a.cols());
    CHECK(t.nnz() == a.nnz());
  }
  // cites is paper-paper: the fraction of entries within a class is its homophily.
  const auto cites = d.graph.relation(0).view();
  double same = 0;
  for (i32 u = 0; u < cites.rows(); ++u) {
    for (auto e = cites.indptr()[u]; e < cites.indptr()[u + 1]; ++e) same += labels[u] == labels[cites.indices()[e]];
  }
  CHECK(std::abs(same / static_cast<double>(cites.nnz()) - 0.7) < 0.01);
  const auto& split = d.types[0].splits;
  CHECK(split.at("train").size() == 2000);
  CHECK(split.at("valid").size() == 2000);
  CHECK(split.at("test").size() == 16000);
}

TEST_CASE("typed_csbm: bad options throw argument_error naming the problem") {
  const auto generate = [](const ms::typed_csbm_options& o) { return ms::typed_csbm<float, i32, i64>(o); };
  CHECK_THROWS_WITH_AS((void)(generate({.counts = {10, 10}})), doctest::Contains("2 counts for 3"), ms::argument_error);
  CHECK_THROWS_AS((void)(generate({.num_classes = 1})), ms::argument_error);
  CHECK_THROWS_WITH_AS((void)(generate({.relations = {{0, "x", 3}}})),
                       doctest::Contains("relation 'x' needs types among the vertex types"), ms::argument_error);
  CHECK_THROWS_WITH_AS((void)(generate({.counts = {10, 0, 10}})),
                       doctest::Contains("vertex type 'author' needs a vertex"), ms::argument_error);
}
