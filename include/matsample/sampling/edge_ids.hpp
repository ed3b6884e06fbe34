#pragma once
// Edge ids in blocks: the id of the edge of A each sampled entry came from,
// for fetching edge features (DGL's block.edata[dgl.EID]). Off by default:
// a sampler returns blocks without them, and attach_edge_ids adds them
// afterwards, so sampling costs nothing more when they are not wanted.
//
// As a matrix operation it is S ∘ E, the sampled pattern intersected with
// E, which holds each entry's position (or the caller's id) as its value:
// every sampled entry (u, v) of a block is looked up in A's row u by binary
// search. Every sampler keeps a row's entries in the order of A's row, so
// the j-th entry (u, v) of a block row takes the j-th copy of (u, v) in A:
// exact on a graph without parallel edges; on a multigraph it names one of
// the parallel edges u -> v (a distinct one per entry, while copies last).

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"
#include "matsample/sampling/negatives.hpp"

namespace matsample {

namespace detail {

/// attach_edge_ids for one layer, on a graph whose rows are known sorted.
template <class V, index_type I, index_type O, class GV, index_type GO>
void attach_edge_ids_sorted(const csr_view<GV, I, GO>& graph, block_set<V, I, O>& blocks,
                            std::span<const std::int64_t> ids) {
  if (!ids.empty() && static_cast<std::int64_t>(ids.size()) != static_cast<std::int64_t>(graph.nnz())) {
    throw argument_error(detail::concat("edge ids: ", ids.size(), " ids for a graph of ", graph.nnz(), " edges"));
  }
  blocks.edge_ids.assign(blocks.indices.size(), 0);
  detail::first_failure bad;  // the first entry that is no edge of the graph
  const std::int64_t k = blocks.size();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t m = 0; m < k; ++m) {
    const auto block = blocks[m];
    const auto first_entry = blocks.edge_offsets[static_cast<std::size_t>(m)];
    for (I r = 0; r < block.num_dst(); ++r) {
      const I u = block.src_nodes[static_cast<std::size_t>(r)];
      const auto columns = detail::row_columns(graph, u);
      I previous = 0;
      std::int64_t copy = 0;  // how many earlier entries of this row had the same column
      for (auto e = block.adjacency.row_begin(r); e < block.adjacency.row_end(r); ++e) {
        const I v = block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[static_cast<std::size_t>(e)])];
        copy = (e > block.adjacency.row_begin(r) && v == previous) ? copy + 1 : 0;
        previous = v;
        const auto [lo, hi] = std::equal_range(columns.begin(), columns.end(), v);
        const auto at = first_entry + static_cast<std::int64_t>(e);
        if (lo == hi) {
          bad.record(at);
          continue;
        }
        const auto position = static_cast<std::int64_t>(graph.row_begin(u)) + (lo - columns.begin()) +
                              std::min<std::int64_t>(copy, hi - lo - 1);
        blocks.edge_ids[static_cast<std::size_t>(at)] =
            ids.empty() ? position : ids[static_cast<std::size_t>(position)];
      }
    }
  }
  if (bad.failed()) {
    const auto at = bad.index();
    const auto m = static_cast<std::int64_t>(
        std::upper_bound(blocks.edge_offsets.begin(), blocks.edge_offsets.end(), at) - blocks.edge_offsets.begin() - 1);
    throw argument_error(detail::concat("edge ids: entry ", at - blocks.edge_offsets[static_cast<std::size_t>(m)],
                                        " of block ", m,
                                        " is no edge of the graph given; pass the graph the blocks were sampled from"));
  }
}

}  // namespace detail

/// Sets `blocks.edge_ids` (one per entry, parallel to `blocks.indices`): the
/// position in `graph` (CSR order) of the edge each sampled entry came from,
/// or ids[position] when `ids` is given (one per entry of `graph`).
/// `graph` is the host view of the graph the blocks were sampled from (any
/// backend's blocks: they are host data), its rows sorted by column. Throws
/// argument_error for an id array of the wrong size or a block entry
/// (u, v) that is no edge of `graph` (another graph was passed), and
/// format_error for rows not sorted by column.
template <class V, index_type I, index_type O, class GV, index_type GO>
void attach_edge_ids(const csr_view<GV, I, GO>& graph, block_set<V, I, O>& blocks,
                     std::span<const std::int64_t> ids = {}) {
  detail::require_sorted_rows(graph, "edge ids");
  detail::attach_edge_ids_sorted(graph, blocks, ids);
}

/// attach_edge_ids on every layer of `sample` (the rows' order checked once).
template <class V, index_type I, index_type O, class GV, index_type GO>
void attach_edge_ids(const csr_view<GV, I, GO>& graph, bulk_sample<V, I, O>& sample,
                     std::span<const std::int64_t> ids = {}) {
  detail::require_sorted_rows(graph, "edge ids");
  for (auto& layer : sample.layers) detail::attach_edge_ids_sorted(graph, layer, ids);
}

}  // namespace matsample
