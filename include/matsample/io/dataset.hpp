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

template <class V, index_type I, index_type O>
struct graph_data_view {
  csr_view<V, I, O> graph;
  std::int64_t feature_dim = 0;
  std::span<const float> features;                   ///< row-major, num_vertices x feature_dim (empty: none)
  std::span<const std::int32_t> labels;              ///< one per vertex, -1 for unlabelled (empty: none)
  std::map<std::string, std::span<const I>> splits;  ///< e.g. "train", "valid", "test"
  /// Compacted ids: vertex v was original_ids[v] in the input (empty: the
  /// ids are the input's own). See core/id_map.hpp.
  std::span<const std::int64_t> original_ids;

  [[nodiscard]] std::int64_t num_vertices() const noexcept { return graph.rows(); }
  [[nodiscard]] std::int32_t num_classes() const {
    return labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  }
  [[nodiscard]] std::span<const float> feature_row(std::int64_t v) const {
    return features.subspan(static_cast<std::size_t>(v * feature_dim), static_cast<std::size_t>(feature_dim));
  }
};

template <class V, index_type I, index_type O>
struct graph_data {
  csr_matrix<V, I, O> graph;
  std::int64_t feature_dim = 0;
  std::vector<float> features;
  std::vector<std::int32_t> labels;
  std::map<std::string, std::vector<I>> splits;
  std::vector<std::int64_t> original_ids;  ///< the id map, when the ids were compacted

  [[nodiscard]] graph_data_view<V, I, O> view() const {
    graph_data_view<V, I, O> v{graph.view(), feature_dim, features, labels, {}, original_ids};
    for (const auto& [name, ids] : splits) v.splits.emplace(name, ids);
    return v;
  }
};

}  // namespace matsample
