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

}  // namespace matsample
