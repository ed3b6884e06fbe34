#pragma once
// A typed contextual SBM: vertices of several types, each with a class drawn
// uniformly from c shared classes, and relations whose edges join a row
// vertex to a column vertex of the same class with probability `homophily`
// (of that relation), else to one of another class. Every type gets Gaussian
// features around its class's mean; only the target type carries labels and
// splits. With weak features on the target type, a model has to read the
// class off its typed neighbourhoods: the heterogeneous counterpart of csbm()
// for tests, benchmarks and the R-GCN demo.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/core/typed_graph.hpp"
#include "matsample/io/dataset.hpp"

namespace matsample {

/// One relation of typed_csbm: rows of `row_type` gather from `col_type`.
struct typed_csbm_relation {
  std::int32_t row_type = 0;  ///< Type of the rows
  std::string name;           ///< The relation's name
  std::int32_t col_type = 0;  ///< Type of the columns
  double average_degree = 4;  ///< Entries per row vertex, before duplicates merge
  double homophily = 0.75;    ///< Fraction of entries whose endpoints share a class
};

/// Parameters of typed_csbm(). The defaults are an academic graph: papers
/// cite papers, authors write papers, papers have fields; reverses added.
struct typed_csbm_options {
  std::vector<std::string> vertex_types{"paper", "author", "field"};  ///< Type names
  std::vector<std::int64_t> counts{20000, 10000, 200};                ///< Vertices per type, each >= 1
  std::vector<typed_csbm_relation> relations{
      {0, "cites", 0, 8, 0.7}, {1, "writes", 0, 4, 0.8}, {0, "has_topic", 2, 2, 0.9}};  ///< The relations
  bool add_reverse = true;        ///< Add "rev_<name>" for each relation (typed_graph::add_reverse_relations)
  std::int32_t num_classes = 4;   ///< Classes c, at least 2, shared by every type
  std::int32_t target_type = 0;   ///< The type that gets labels and the train/valid/test split
  std::int64_t feature_dim = 16;  ///< Features per vertex of every type, at least 1
  double signal = 0.5;            ///< Distance between class means, in noise standard deviations
  double train_fraction = 0.1;    ///< Fraction of the target type in train, > 0
  double valid_fraction = 0.1;    ///< The rest of the target type is test
  std::uint64_t seed = 1;         ///< Philox seed; the dataset is a function of the options alone
};

/// A typed contextual SBM dataset: pattern relations (no values, no repeated
/// entries, no self loops within a type), features for every type, labels
/// and splits for the target type. Throws argument_error for options out of
/// range, naming the option, and size_error before allocating more than the
/// memory limit.
template <class V, index_type I, index_type O>
typed_graph_data<V, I, O> typed_csbm(const typed_csbm_options& o) {
  const auto T = static_cast<std::int32_t>(o.vertex_types.size());
  const std::int32_t c = o.num_classes;
  if (o.counts.size() != o.vertex_types.size()) {
    throw argument_error(detail::concat("typed_csbm: ", o.counts.size(), " counts for ", T, " vertex types"));
  }
  if (c < 2 || o.feature_dim < 1 || !(o.signal >= 0) || o.target_type < 0 || o.target_type >= T ||
      !(o.train_fraction > 0 && o.valid_fraction >= 0 && o.train_fraction + o.valid_fraction < 1)) {
    throw argument_error(
        "typed_csbm: need classes >= 2, dim >= 1, signal >= 0, a target type among the types, train > 0 and "
        "train + valid < 1");
  }
  std::vector<relation_type> relations;
  double entries = 0, vertices = 0;
  for (const auto n : o.counts) vertices += static_cast<double>(n);
  for (const auto& r : o.relations) {
    if (r.row_type < 0 || r.row_type >= T || r.col_type < 0 || r.col_type >= T || !(r.average_degree >= 0) ||
        !(r.homophily >= 0 && r.homophily <= 1)) {
      throw argument_error(detail::concat("typed_csbm: relation '", r.name,
                                          "' needs types among the vertex types, degree >= 0 and homophily in [0, 1]"));
    }
    relations.push_back({r.row_type, r.name, r.col_type});
    entries += r.average_degree * static_cast<double>(o.counts[static_cast<std::size_t>(r.row_type)]);
  }
  auto schema = typed_schema::from_counts(o.vertex_types, o.counts, relations);
  for (std::int32_t t = 0; t < T; ++t) {
    if (schema.num_vertices(t) < 1) {
      throw argument_error(detail::concat("typed_csbm: vertex type '", o.vertex_types[t], "' needs a vertex"));
    }
    (void)checked_cast<I>(schema.num_vertices(t), "typed_csbm vertices of one type");
  }
  require_memory(vertices * (sizeof(std::int32_t) + static_cast<double>(o.feature_dim) * sizeof(float)) +
                     entries * (2 * sizeof(I) + (o.add_reverse ? 2.0 : 1.0) * (sizeof(I) + sizeof(O))) * 2,
                 detail::concat("typed_csbm: ", vertices, " vertices and ", entries, " entries"));

  // Streams (first counter word): 0 classes, 1 means, 2 features, 3 + r relation r, 3 + R the split;
  // counter word 1 is the type.
  const auto stream = [&](std::uint64_t what, std::uint64_t type, std::uint64_t item) {
    return philox_row_stream(o.seed, streams::typed_csbm, {what, type, item});
  };
  const auto gaussian = [](philox_row_stream& rng, std::uint64_t pair) {  // Box-Muller
    const double u1 = 1.0 - rng.uniform(2 * pair), u2 = rng.uniform(2 * pair + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  };
  const std::int64_t d = o.feature_dim;
  std::vector<double> means(static_cast<std::size_t>(c * d));
  for (std::int32_t k = 0; k < c; ++k) {
    auto rng = stream(1, 0, static_cast<std::uint64_t>(k));
    double norm = 0;
    for (std::int64_t j = 0; j < d; ++j) norm += std::pow(means[k * d + j] = gaussian(rng, j), 2);
    for (std::int64_t j = 0; j < d; ++j) means[k * d + j] *= o.signal / std::sqrt(2.0 * norm);
  }

  typed_graph_data<V, I, O> data;
  data.types.resize(static_cast<std::size_t>(T));
  std::vector<std::vector<std::int32_t>> classes(static_cast<std::size_t>(T));
  std::vector<std::vector<std::vector<I>>> members(static_cast<std::size_t>(T));
  for (std::int32_t t = 0; t < T; ++t) {
    const std::int64_t n = schema.num_vertices(t);
    auto& cls = classes[t];
    cls.resize(static_cast<std::size_t>(n));
    members[t].resize(static_cast<std::size_t>(c));
    for (std::int64_t v = 0; v < n; ++v) {
      cls[v] = static_cast<std::int32_t>(stream(0, static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(v))
                                             .below(0, static_cast<std::uint64_t>(c)));
      members[t][cls[v]].push_back(static_cast<I>(v));
    }
    auto& tv = data.types[t];
    tv.feature_dim = d;
    tv.features.resize(static_cast<std::size_t>(n * d));
#pragma omp parallel for schedule(static)
    for (std::int64_t v = 0; v < n; ++v) {
      auto rng = stream(2, static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(v));
      for (std::int64_t j = 0; j < d; ++j) {
        tv.features[v * d + j] = static_cast<float>(means[cls[v] * d + j] + gaussian(rng, j));
      }
    }
  }

  // Relation r: a uniform row vertex, then a column vertex of its class with
  // probability h (of another class otherwise; any vertex when that class
  // has none of the column type).
  std::vector<csr_matrix<V, I, O>> matrices;
  for (std::size_t r = 0; r < o.relations.size(); ++r) {
    const auto& rel = o.relations[r];
    const std::int64_t rows = schema.num_vertices(rel.row_type), cols = schema.num_vertices(rel.col_type);
    const auto count = static_cast<std::int64_t>(rel.average_degree * static_cast<double>(rows));
    std::vector<I> src(static_cast<std::size_t>(count)), dst(static_cast<std::size_t>(count));
#pragma omp parallel for schedule(static)
    for (std::int64_t e = 0; e < count; ++e) {
      auto rng = stream(3 + r, 0, static_cast<std::uint64_t>(e));
      const auto u = static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(rows)));
      std::int32_t k = classes[rel.row_type][u];
      if (rng.uniform(1) >= rel.homophily) {
        const auto other = static_cast<std::int32_t>(rng.below(2, static_cast<std::uint64_t>(c - 1)));
        k = other >= k ? other + 1 : other;
      }
      const auto& pool = members[rel.col_type][k];
      src[e] = static_cast<I>(u);
      dst[e] = pool.empty() ? static_cast<I>(rng.below(3, static_cast<std::uint64_t>(cols)))
                            : pool[rng.below(3, pool.size())];
    }
    matrices.push_back(
        csr_from_coo<V, I, O>(rows, cols, std::span<const I>(src), std::span<const I>(dst), {},
                              {.drop_self_loops = rel.row_type == rel.col_type, .merge_duplicates = true}));
  }
  data.graph = typed_graph<V, I, O>(std::move(schema), std::move(matrices));
  if (o.add_reverse) data.graph.add_reverse_relations();

  // Labels and a seeded split of the target type.
  auto& target = data.types[static_cast<std::size_t>(o.target_type)];
  target.labels = classes[static_cast<std::size_t>(o.target_type)];
  const auto n = static_cast<std::int64_t>(target.labels.size());
  std::vector<I> order(static_cast<std::size_t>(n));
  for (std::int64_t v = 0; v < n; ++v) order[v] = static_cast<I>(v);
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[stream(3 + o.relations.size(), 0, static_cast<std::uint64_t>(i))
                                  .below(0, static_cast<std::uint64_t>(i) + 1)]);
  }
  const auto train_end = static_cast<std::int64_t>(o.train_fraction * static_cast<double>(n));
  const auto valid_end = train_end + static_cast<std::int64_t>(o.valid_fraction * static_cast<double>(n));
  target.splits["train"].assign(order.begin(), order.begin() + train_end);
  target.splits["valid"].assign(order.begin() + train_end, order.begin() + valid_end);
  target.splits["test"].assign(order.begin() + valid_end, order.end());
  return data;
}

}  // namespace matsample
