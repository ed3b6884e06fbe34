#pragma once
// A graph with what a GNN trains on: node features, labels and splits. Readers
// and generators return graph_data (owning); snapshots map the same sections
// without copying and hand out graph_data_view, which is what the trainer
// takes.

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/typed_graph.hpp"

namespace matsample {

/// Non-owning view of a dataset (of a graph_data or a mapped snapshot): every
/// member borrows, and the owner must outlive the view. Vertex ids are the
/// graph's rows 0..n-1 (compacted ids when original_ids is set).
template <class V, index_type I, index_type O>
struct graph_data_view {
  csr_view<V, I, O> graph;                           ///< n x n adjacency, rows are source vertices
  std::int64_t feature_dim = 0;                      ///< features per vertex (0: none)
  std::span<const float> features;                   ///< row-major, num_vertices x feature_dim (empty: none)
  std::span<const std::int32_t> labels;              ///< one per vertex, -1 for unlabelled (empty: none)
  std::map<std::string, std::span<const I>> splits;  ///< e.g. "train", "valid", "test"
  /// Compacted ids: vertex v was original_ids[v] in the input (empty: the
  /// ids are the input's own). See core/id_map.hpp.
  std::span<const std::int64_t> original_ids;

  /// Number of vertices n (rows of the graph).
  [[nodiscard]] std::int64_t num_vertices() const noexcept { return graph.rows(); }
  /// Largest label + 1 (0 without labels); O(n).
  [[nodiscard]] std::int32_t num_classes() const {
    return labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  }
  /// The feature_dim features of vertex `v` (unchecked; features must be present).
  [[nodiscard]] std::span<const float> feature_row(std::int64_t v) const {
    return features.subspan(static_cast<std::size_t>(v * feature_dim), static_cast<std::size_t>(feature_dim));
  }
};

/// An owning dataset, as readers and generators return it; the members mean
/// what graph_data_view's do.
template <class V, index_type I, index_type O>
struct graph_data {
  csr_matrix<V, I, O> graph;                     ///< n x n adjacency
  std::int64_t feature_dim = 0;                  ///< features per vertex (0: none)
  std::vector<float> features;                   ///< row-major, n x feature_dim (empty: none)
  std::vector<std::int32_t> labels;              ///< one per vertex, -1 for unlabelled (empty: none)
  std::map<std::string, std::vector<I>> splits;  ///< split name ("train", "valid", "test") to its vertex ids
  std::vector<std::int64_t> original_ids;        ///< the id map, when the ids were compacted

  /// A view of every member, valid while this object lives and is unchanged.
  [[nodiscard]] graph_data_view<V, I, O> view() const {
    graph_data_view<V, I, O> v{graph.view(), feature_dim, features, labels, {}, original_ids};
    for (const auto& [name, ids] : splits) v.splits.emplace(name, ids);
    return v;
  }
};

/// What a typed dataset holds for one vertex type; the members mean what
/// graph_data's do, over the type's local ids.
template <index_type I>
struct typed_vertex_data {
  std::int64_t feature_dim = 0;                  ///< features per vertex of this type (0: none)
  std::vector<float> features;                   ///< row-major, count x feature_dim (empty: none)
  std::vector<std::int32_t> labels;              ///< one per vertex of this type, -1 unlabelled (empty: none)
  std::map<std::string, std::vector<I>> splits;  ///< split name to local ids of this type
  /// Largest label + 1 (0 without labels).
  [[nodiscard]] std::int32_t num_classes() const {
    return labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  }
  /// Same members.
  friend bool operator==(const typed_vertex_data&, const typed_vertex_data&) = default;
};

/// An owning typed dataset (the OGB heterogeneous layout, typed_csbm): the
/// typed graph and, per vertex type in the schema's order, its features,
/// labels and splits.
template <class V, index_type I, index_type O>
struct typed_graph_data {
  typed_graph<V, I, O> graph;               ///< The vertex types, relations and their matrices
  std::vector<typed_vertex_data<I>> types;  ///< One entry per vertex type
};

/// How features_as_vertex_type turns feature columns into vertices.
struct features_as_type_options {
  std::string vertex_type = "vertex";    ///< Name of the original vertices' type
  std::string relation = "edge";         ///< Name of the original edges' relation
  std::string feature_type = "feature";  ///< Name of the new type: one vertex per feature column
  std::string has_feature = "has";       ///< Relation from a vertex to each column where its feature is nonzero
  bool keep_features = false;            ///< Keep the vertices' features as well (else the edges carry them)
  bool weighted = false;                 ///< The has-edges carry the feature values (else a pattern)
  /// Add "rev_HAS" (feature to vertex), so that the new vertices gather from
  /// theirs. The input's own edges are kept as they are: symmetrize them at
  /// load for an undirected graph (OGB's loaders do).
  bool add_reverse = true;
};

/// A typed view of an untyped dataset whose features are sparse indicators
/// (bag-of-words): the vertices keep their edges, labels and splits, and every
/// feature column becomes a vertex of a new type, linked from each vertex
/// whose feature in that column is nonzero. Cora seen as papers and words:
/// paper -edge-> paper, paper -has-> word and word -rev_has-> paper. Throws
/// argument_error when the dataset has no features.
template <class V, index_type I, index_type O>
typed_graph_data<V, I, O> features_as_vertex_type(const graph_data_view<V, I, O>& data,
                                                  const features_as_type_options& options = {}) {
  if (data.feature_dim <= 0 || data.features.empty()) {
    throw argument_error("features_as_vertex_type: the dataset has no features to turn into vertices");
  }
  const std::int64_t n = data.num_vertices(), d = data.feature_dim;
  if (data.features.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(d)) {
    throw argument_error(detail::concat("features_as_vertex_type: ", data.features.size(), " feature values for ", n,
                                        " vertices of ", d, " features"));
  }
  (void)checked_cast<I>(d, "feature columns as vertices");
  std::vector<I> rows, cols;
  std::vector<V> values;
  for (std::int64_t v = 0; v < n; ++v) {
    const auto row = data.feature_row(v);
    for (std::int64_t j = 0; j < d; ++j) {
      if (row[static_cast<std::size_t>(j)] == 0.0f) continue;
      rows.push_back(static_cast<I>(v));
      cols.push_back(static_cast<I>(j));
      if (options.weighted) values.push_back(static_cast<V>(row[static_cast<std::size_t>(j)]));
    }
  }
  const std::vector<std::int64_t> counts{n, d};
  std::vector<relation_type> relations{{0, options.relation, 0}, {0, options.has_feature, 1}};
  std::vector<csr_matrix<V, I, O>> matrices;
  matrices.emplace_back(data.graph);
  matrices.push_back(
      csr_from_coo<V, I, O>(n, d, std::span<const I>(rows), std::span<const I>(cols), std::span<const V>(values)));
  if (options.add_reverse) {
    relations.push_back({1, "rev_" + options.has_feature, 0});
    matrices.push_back(typed_graph<V, I, O>::transpose(matrices.back().view()));
  }
  typed_graph_data<V, I, O> out;
  out.graph = typed_graph<V, I, O>(
      typed_schema::from_counts({options.vertex_type, options.feature_type}, counts, std::move(relations)),
      std::move(matrices));
  out.types.resize(2);
  auto& base = out.types[0];
  base.labels.assign(data.labels.begin(), data.labels.end());
  for (const auto& [name, ids] : data.splits) base.splits[name].assign(ids.begin(), ids.end());
  if (options.keep_features) {
    base.feature_dim = d;
    base.features.assign(data.features.begin(), data.features.end());
  }
  return out;
}

}  // namespace matsample
