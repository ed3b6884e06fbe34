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
#include "matsample/algebra/edge_lookup.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

namespace detail {

/// attach_edge_ids for one layer through a graph's edge lookup, whose rows
/// are known sorted. Collective on a distributed lookup.
template <class Lookup, class V, index_type I, index_type O>
void attach_edge_ids_with(const Lookup& lookup, block_set<V, I, O>& blocks, std::span<const std::int64_t> ids) {
  lookup.check([&] {
    if (!ids.empty() && static_cast<std::int64_t>(ids.size()) != lookup.edges()) {
      throw argument_error(detail::concat("edge ids: ", ids.size(), " ids for a graph of ", lookup.edges(), " edges"));
    }
  });
  const std::int64_t k = blocks.size();
  std::vector<I> rows;  // every block row's vertex: the rows of A the lookups read
  for (std::int64_t m = 0; m < k; ++m) {
    const auto block = blocks[m];
    rows.insert(rows.end(), block.src_nodes.begin(), block.src_nodes.begin() + block.num_dst());
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const auto window = lookup.rows(rows);
  blocks.edge_ids.assign(blocks.indices.size(), 0);
  detail::first_failure bad;  // the first entry that is no edge of the graph
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t m = 0; m < k; ++m) {
    const auto block = blocks[m];
    const auto first_entry = blocks.edge_offsets[static_cast<std::size_t>(m)];
    for (I r = 0; r < block.num_dst(); ++r) {
      const I u = block.src_nodes[static_cast<std::size_t>(r)];
      const auto columns = window.columns(u);
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
        const auto position = window.start(u) + (lo - columns.begin()) + std::min<std::int64_t>(copy, hi - lo - 1);
        blocks.edge_ids[static_cast<std::size_t>(at)] =
            ids.empty() ? position : ids[static_cast<std::size_t>(position)];
      }
    }
  }
  lookup.check([&] {
    if (!bad.failed()) return;
    const auto at = bad.index();
    const auto m = static_cast<std::int64_t>(
        std::upper_bound(blocks.edge_offsets.begin(), blocks.edge_offsets.end(), at) - blocks.edge_offsets.begin() - 1);
    throw argument_error(detail::concat("edge ids: entry ", at - blocks.edge_offsets[static_cast<std::size_t>(m)],
                                        " of block ", m,
                                        " is no edge of the graph given; pass the graph the blocks were sampled from"));
  });
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
  attach_edge_ids(make_edge_lookup(graph), blocks, ids);
}

/// attach_edge_ids on every layer of `sample` (the rows' order checked once).
template <class V, index_type I, index_type O, class GV, index_type GO>
void attach_edge_ids(const csr_view<GV, I, GO>& graph, bulk_sample<V, I, O>& sample,
                     std::span<const std::int64_t> ids = {}) {
  attach_edge_ids(make_edge_lookup(graph), sample, ids);
}

/// attach_edge_ids through a graph's edge lookup: the way to edge ids on a
/// distributed graph (mpi::distributed_edge_lookup; the call is then
/// collective and positions are those of the whole graph in CSR order).
template <edge_lookup_like Lookup, class V, index_type I, index_type O>
void attach_edge_ids(const Lookup& lookup, block_set<V, I, O>& blocks, std::span<const std::int64_t> ids = {}) {
  lookup.require_sorted_rows("edge ids");
  detail::attach_edge_ids_with(lookup, blocks, ids);
}

/// attach_edge_ids through a lookup on every layer of `sample`.
template <edge_lookup_like Lookup, class V, index_type I, index_type O>
void attach_edge_ids(const Lookup& lookup, bulk_sample<V, I, O>& sample, std::span<const std::int64_t> ids = {}) {
  lookup.require_sorted_rows("edge ids");
  for (auto& layer : sample.layers) detail::attach_edge_ids_with(lookup, layer, ids);
}

}  // namespace matsample
