#pragma once
// Sampled message-flow graphs. A block is one layer of one minibatch, in DGL's
// MFG convention: rows are destination nodes, columns are source nodes in
// local ids, and the source list starts with the destination nodes so that
// self features line up. A block_set holds one layer of all k minibatches in
// flat arrays; a bulk_sample holds all layers and iterates per minibatch.

#include <cstdint>
#include <span>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// One block (one layer of one minibatch) as views into a block_set, valid
/// while that block_set lives: the adjacency in local ids plus the global
/// vertex id of each local source id.
template <class V, index_type I, index_type O>
struct block_view {
  csr_view<V, I, O> adjacency;   ///< num_dst x num_src, local ids
  std::span<const I> src_nodes;  ///< global ids; the first num_dst are the destination nodes
  /// Id of the edge of A each entry came from, parallel to the adjacency's
  /// entries; empty unless attach_edge_ids set them (sampling/edge_ids.hpp).
  std::span<const std::int64_t> edge_ids{};

  /// Number of destination nodes (rows of the adjacency).
  [[nodiscard]] I num_dst() const noexcept { return adjacency.rows(); }
  /// Number of source nodes (columns of the adjacency), destinations included.
  [[nodiscard]] I num_src() const noexcept { return adjacency.cols(); }
  /// Global ids of the destination nodes: the first num_dst() source nodes.
  [[nodiscard]] std::span<const I> dst_nodes() const noexcept { return src_nodes.first(num_dst()); }
  /// Number of sampled edges (entries of the adjacency).
  [[nodiscard]] O num_edges() const noexcept { return adjacency.nnz(); }
};

/// The edges of one layer of k minibatches, in flat arrays. Block m's rows
/// are stacked rows [row_offsets[m], row_offsets[m+1]); its zero-based indptr
/// starts at indptr[row_offsets[m] + m]; its entries are
/// [edge_offsets[m], edge_offsets[m+1]). A block_set adds the source nodes;
/// typed blocks (typed_block_set) keep one block_edges per relation and the
/// source nodes per vertex type.
template <class V, index_type I, index_type O>
struct block_edges {
  std::vector<std::int64_t> row_offsets{0};   ///< k + 1 offsets of each block's destination rows
  std::vector<O> indptr;                      ///< Each block's zero-based indptr, concatenated (rows + k entries)
  std::vector<std::int64_t> edge_offsets{0};  ///< k + 1 offsets of each block's entries
  std::vector<I> indices;                     ///< Column of each entry, a local source id within its block
  /// Empty when the blocks are unweighted. What the values mean depends on
  /// the sampler: node-wise blocks carry A's edge weights as sampled;
  /// layer-wise blocks carry the debiased, row-normalised aggregation weights.
  std::vector<V> values;
  /// Id of the edge of A each entry came from, parallel to `indices`; empty
  /// unless attach_edge_ids set them (off by default: sampling never pays).
  std::vector<std::int64_t> edge_ids;

  /// Number of blocks (minibatches) k.
  [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(row_offsets.size()) - 1; }
  /// Entries over all k blocks.
  [[nodiscard]] std::int64_t num_edges() const noexcept { return edge_offsets.back(); }

  /// Block `m`'s adjacency (0 <= m < size(), unchecked) with `num_src` columns.
  [[nodiscard]] csr_view<V, I, O> adjacency(std::int64_t m, std::int64_t num_src) const {
    const auto rows = static_cast<std::size_t>(row_offsets[m + 1] - row_offsets[m]);
    const auto e0 = static_cast<std::size_t>(edge_offsets[m]), e1 = static_cast<std::size_t>(edge_offsets[m + 1]);
    const std::span<const V> vals =
        values.empty() ? std::span<const V>{} : std::span<const V>(values).subspan(e0, e1 - e0);
    return csr_view<V, I, O>(static_cast<I>(rows), static_cast<I>(num_src),
                             std::span<const O>(indptr).subspan(static_cast<std::size_t>(row_offsets[m] + m), rows + 1),
                             std::span<const I>(indices).subspan(e0, e1 - e0), vals);
  }
  /// Block `m`'s edge ids (empty unless attached).
  [[nodiscard]] std::span<const std::int64_t> edge_ids_of(std::int64_t m) const {
    if (edge_ids.empty()) return {};
    const auto e0 = static_cast<std::size_t>(edge_offsets[m]), e1 = static_cast<std::size_t>(edge_offsets[m + 1]);
    return std::span<const std::int64_t>(edge_ids).subspan(e0, e1 - e0);
  }

  /// Exact equality of every array.
  friend bool operator==(const block_edges&, const block_edges&) = default;
};

/// One layer of k minibatches: the edges, and the source nodes of each
/// block, [node_offsets[m], node_offsets[m+1]) of src_nodes.
template <class V, index_type I, index_type O>
struct block_set : block_edges<V, I, O> {
  std::vector<I> src_nodes;                   ///< Global ids of each block's source nodes, concatenated
  std::vector<std::int64_t> node_offsets{0};  ///< k + 1 offsets of each block's source nodes

  /// Block `m` (0 <= m < size(), unchecked) as views into this set.
  [[nodiscard]] block_view<V, I, O> operator[](std::int64_t m) const {
    const auto n0 = static_cast<std::size_t>(node_offsets[m]), n1 = static_cast<std::size_t>(node_offsets[m + 1]);
    return {this->adjacency(m, static_cast<std::int64_t>(n1 - n0)), std::span<const I>(src_nodes).subspan(n0, n1 - n0),
            this->edge_ids_of(m)};
  }

  /// Exact equality of every array.
  friend bool operator==(const block_set&, const block_set&) = default;
};

/// The layout of the blocks of k minibatches, which every backend's
/// compact_blocks builds the same way: sizes a block_set and fills what the
/// sampled rows alone decide. `batch_offsets` (k + 1, from 0) are the
/// minibatches' stacked rows and become row_offsets; `sampled_indptr` (one per
/// stacked row plus one, from 0, host memory) are the sampled matrix's row
/// offsets, from which come edge_offsets and each block's zero-based indptr;
/// `indices` gets one slot per sampled entry. The backend fills indices,
/// values and src_nodes, and node_offsets (set_node_counts). The indptr is
/// filled per minibatch on up to `threads` OpenMP threads.
template <class V, index_type I, index_type O>
block_set<V, I, O> block_set_layout(std::span<const std::int64_t> batch_offsets, std::span<const O> sampled_indptr,
                                    int threads = 1) {
  const std::int64_t k = static_cast<std::int64_t>(batch_offsets.size()) - 1;
  block_set<V, I, O> out;
  out.row_offsets.assign(batch_offsets.begin(), batch_offsets.end());
  out.edge_offsets.resize(static_cast<std::size_t>(k) + 1);
  for (std::int64_t m = 0; m <= k; ++m) out.edge_offsets[m] = sampled_indptr[batch_offsets[m]];
  out.indptr.resize(static_cast<std::size_t>(batch_offsets[k] + k));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (std::int64_t m = 0; m < k; ++m) {
    const std::int64_t r0 = batch_offsets[m], r1 = batch_offsets[m + 1], e0 = out.edge_offsets[m];
    O* indptr = out.indptr.data() + r0 + m;
    for (std::int64_t r = r0; r <= r1; ++r) indptr[r - r0] = static_cast<O>(sampled_indptr[r] - e0);
  }
  out.indices.resize(static_cast<std::size_t>(out.edge_offsets[k]));
  return out;
}

/// Block m's source nodes fit in n_dst + n_edges slots (every destination
/// and every entry a new node). Checks that each bound fits I and returns
/// where block m's slots start when the bounds are laid end to end,
/// row_offsets[m] + edge_offsets[m] (k + 1 offsets).
template <class V, index_type I, index_type O>
std::vector<std::int64_t> source_node_bounds(const block_set<V, I, O>& layout) {
  const std::int64_t k = layout.size();
  std::vector<std::int64_t> bound_offset(static_cast<std::size_t>(k) + 1);
  for (std::int64_t m = 0; m <= k; ++m) {
    bound_offset[m] = layout.row_offsets[m] + layout.edge_offsets[m];
    if (m > 0) (void)checked_cast<I>(bound_offset[m] - bound_offset[m - 1], "source nodes of a block");
  }
  return bound_offset;
}

/// Sets node_offsets from each block's number of source nodes and sizes
/// src_nodes to their total.
template <class V, index_type I, index_type O>
void set_node_counts(block_set<V, I, O>& blocks, std::span<const std::int64_t> node_count) {
  blocks.node_offsets.assign(node_count.size() + 1, 0);
  for (std::size_t m = 0; m < node_count.size(); ++m) {
    blocks.node_offsets[m + 1] = blocks.node_offsets[m] + node_count[m];
  }
  blocks.src_nodes.resize(static_cast<std::size_t>(blocks.node_offsets.back()));
}

template <class V, index_type I, index_type O>
class bulk_sample;

/// The L blocks of one minibatch, input layer first (as DGL's `blocks` list).
template <class V, index_type I, index_type O>
class minibatch_view {
 public:
  /// Minibatch `m` of `bulk`, which must outlive the view.
  minibatch_view(const bulk_sample<V, I, O>& bulk, std::int64_t m) : bulk_(&bulk), m_(m) {}
  /// Number of layers L.
  [[nodiscard]] std::size_t num_layers() const noexcept { return bulk_->layers.size(); }
  /// Block of layer `l` (0 is the input layer, L - 1 has the seeds; unchecked).
  [[nodiscard]] block_view<V, I, O> block(std::size_t l) const { return bulk_->layers[l][m_]; }
  /// The minibatch's seed vertices: destination nodes of the last block.
  [[nodiscard]] std::span<const I> seeds() const { return block(num_layers() - 1).dst_nodes(); }
  /// Every vertex whose input features the minibatch needs.
  [[nodiscard]] std::span<const I> input_nodes() const { return block(0).src_nodes; }
  /// The minibatch's position m within the bulk sample.
  [[nodiscard]] std::int64_t index() const noexcept { return m_; }

 private:
  const bulk_sample<V, I, O>* bulk_;
  std::int64_t m_;
};

/// All layers of k minibatches sampled by one call. layers[0] is the input
/// layer (farthest hop), layers.back() has the seeds as destination nodes.
template <class V, index_type I, index_type O>
class bulk_sample {
 public:
  std::vector<block_set<V, I, O>> layers;  ///< One block_set per layer, input layer first

  /// Number of minibatches k (0 with no layers).
  [[nodiscard]] std::int64_t size() const noexcept { return layers.empty() ? 0 : layers.front().size(); }
  /// The L blocks of minibatch `m`, as a view of this sample.
  [[nodiscard]] minibatch_view<V, I, O> operator[](std::int64_t m) const { return {*this, m}; }
  /// Sampled edges over all layers and minibatches.
  [[nodiscard]] std::int64_t num_edges() const noexcept {
    std::int64_t total = 0;
    for (const auto& layer : layers) total += layer.num_edges();
    return total;
  }

  /// Forward iterator over the minibatches, yielding minibatch_view values.
  class iterator {
   public:
    using value_type = minibatch_view<V, I, O>;  ///< What dereferencing yields (by value).
    using difference_type = std::ptrdiff_t;      ///< Distance between iterators.
    /// A singular iterator (only assignable).
    iterator() = default;
    /// Position `m` of sample `s`.
    iterator(const bulk_sample* s, std::int64_t m) : s_(s), m_(m) {}
    /// The current minibatch.
    value_type operator*() const { return (*s_)[m_]; }
    /// Advances to the next minibatch.
    iterator& operator++() {
      ++m_;
      return *this;
    }
    /// Advances, returning the old position.
    iterator operator++(int) {
      auto old = *this;
      ++m_;
      return old;
    }
    /// Same position (iterators of one sample only).
    bool operator==(const iterator& o) const { return m_ == o.m_; }

   private:
    const bulk_sample* s_ = nullptr;
    std::int64_t m_ = 0;
  };
  /// First minibatch.
  [[nodiscard]] iterator begin() const { return {this, 0}; }
  /// One past the last minibatch.
  [[nodiscard]] iterator end() const { return {this, size()}; }

  /// Exact equality of every layer.
  friend bool operator==(const bulk_sample&, const bulk_sample&) = default;
};

}  // namespace matsample
