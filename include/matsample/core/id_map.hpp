#pragma once
// The id map of a compacted graph: original_ids[v] is the id vertex v had in
// the input, strictly increasing, so a vertex is the rank of its original id
// among the ids that occur (read_edge_list with compact_ids builds it;
// snapshots store it). Seeds, splits and features given in the original ids
// go through it.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// Vertex of `original` in a compacted graph, or -1 when it does not occur.
inline std::int64_t find_vertex(std::span<const std::int64_t> original_ids, std::int64_t original) noexcept {
  const auto it = std::lower_bound(original_ids.begin(), original_ids.end(), original);
  return it != original_ids.end() && *it == original ? it - original_ids.begin() : -1;
}

/// Throws argument_error unless `original_ids` is strictly increasing (an id map).
inline void validate_id_map(std::span<const std::int64_t> original_ids, std::string_view what = "id map") {
  for (std::size_t v = 1; v < original_ids.size(); ++v) {
    if (original_ids[v - 1] >= original_ids[v]) {
      throw argument_error(detail::concat(what, ": ids must be strictly increasing, but vertex ", v - 1, " has ",
                                          original_ids[v - 1], " and vertex ", v, " has ", original_ids[v]));
    }
  }
}

/// The vertices of `ids`, given in the original numbering (seeds, a split).
/// An id that does not occur throws out_of_range_error naming it and its
/// position in `ids`; `what` names the list ("train split", "seeds").
template <index_type I>
std::vector<I> to_vertices(std::span<const std::int64_t> original_ids, std::span<const std::int64_t> ids,
                           std::string_view what) {
  std::vector<I> out(ids.size());
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto v = find_vertex(original_ids, ids[k]);
    if (v < 0) {
      throw out_of_range_error(
          detail::concat(what, ": id ", ids[k], " (entry ", k, ") is not a vertex of the graph (no edge names it)"));
    }
    out[k] = static_cast<I>(v);
  }
  return out;
}

}  // namespace matsample
