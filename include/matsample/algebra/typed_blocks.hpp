#pragma once
// Sampled message-flow graphs of a typed graph, in DGL's heterogeneous MFG
// convention: per layer, one block per relation, and per vertex type one list
// of source nodes in local ids, whose first entries are that type's
// destination nodes. Relation r's block has the destination nodes of its row
// type as rows and the source nodes of its column type as columns. Every
// relation's edges use block_set's flat layout (block_edges).
//
// Typed compaction is untyped compaction in disguise: the sampled rows of all
// relations are merged into one matrix over global ids (a vertex's row holds
// its relations' entries in relation order), the backend's compact_blocks
// relabels it, and a stable partition of each block's source nodes by type
// gives the per-type lists. So every backend's compaction serves typed
// graphs, and a graph of one type and one relation gives exactly the
// untyped blocks.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/core/typed_graph.hpp"

namespace matsample {

/// The seeds of one typed sampling call: k minibatches, each of which may
/// seed several vertex types. types[t] holds the k minibatches' seeds of
/// type t in local ids; a type without seeds may be left with no minibatches
/// (the default batch_list). The types that have minibatches share k, the
/// epoch and first_batch.
template <index_type I>
struct typed_batch_list {
  std::vector<batch_list<I>> types;  ///< One list per vertex type, in the schema's order
  /// Entries each minibatch must not sample, per relation (link
  /// prediction's exclusion, as batch_list::excluded on the relation's
  /// matrix, in local ids); empty, or one per relation (a relation's may be
  /// empty).
  std::vector<excluded_edges<I>> excluded{};

  /// Number of minibatches k (the most any type has).
  [[nodiscard]] std::int64_t size() const noexcept {
    std::int64_t k = 0;
    for (const auto& b : types) k = std::max(k, b.size());
    return k;
  }
  /// The epoch of the draws (from the first seeded type).
  [[nodiscard]] std::uint64_t epoch() const noexcept { return seeded() ? seeded()->epoch : 0; }
  /// The global number of minibatch 0 (from the first seeded type).
  [[nodiscard]] std::uint64_t first_batch() const noexcept { return seeded() ? seeded()->first_batch : 0; }

  /// Seeds of one type only: `batches` seeds type `type` of a schema of
  /// `num_types` types.
  static typed_batch_list of_type(std::int32_t num_types, std::int32_t type, batch_list<I> batches) {
    if (type < 0 || type >= num_types) {
      throw argument_error(detail::concat("typed seeds: vertex type ", type, " of ", num_types));
    }
    typed_batch_list out;
    out.types.resize(static_cast<std::size_t>(num_types));
    out.types[static_cast<std::size_t>(type)] = std::move(batches);
    return out;
  }

  /// Minibatches [begin, end) as their own list; they keep their global
  /// numbers, so they sample exactly as they would here.
  [[nodiscard]] typed_batch_list slice(std::int64_t begin, std::int64_t end) const {
    typed_batch_list out;
    for (const auto& b : types) out.types.push_back(b.size() == 0 ? b : b.slice(begin, end));
    for (auto ex : excluded) {
      if (ex.given()) {
        ex.offsets = ex.offsets.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin) + 1);
      }
      out.excluded.push_back(ex);
    }
    return out;
  }

 private:
  const batch_list<I>* seeded() const noexcept {
    for (const auto& b : types) {
      if (b.size() > 0) return &b;
    }
    return nullptr;
  }
};

/// Checks typed seeds against a schema: one list per type, equal k, epoch and
/// first_batch across seeded types, and every seed a vertex of its type.
/// Throws argument_error, or out_of_range_error naming the seed, its type
/// and its position.
template <index_type I>
void validate_typed_seeds(const typed_schema& schema, const typed_batch_list<I>& batches) {
  if (static_cast<std::int32_t>(batches.types.size()) != schema.num_types()) {
    throw argument_error(detail::concat("typed seeds: ", batches.types.size(), " seed lists for the ",
                                        schema.num_types(), " vertex types ", schema.type_list()));
  }
  const std::int64_t k = batches.size();
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& b = batches.types[static_cast<std::size_t>(t)];
    const auto& name = schema.vertex_types[static_cast<std::size_t>(t)];
    if (b.offsets.empty() || b.offsets.front() != 0 || b.offsets.back() != static_cast<std::int64_t>(b.seeds.size())) {
      throw argument_error(detail::concat("typed seeds of type '", name,
                                          "': offsets must run from 0 to the seed count ", b.seeds.size()));
    }
    if (b.excluded.given()) {
      throw argument_error(
          detail::concat("typed seeds of type '", name, "': exclude edges per relation (typed_batch_list::excluded)"));
    }
    if (b.size() == 0) continue;
    if (b.size() != k || b.epoch != batches.epoch() || b.first_batch != batches.first_batch()) {
      throw argument_error(detail::concat("typed seeds of type '", name, "': ", b.size(), " minibatches of epoch ",
                                          b.epoch, " from minibatch ", b.first_batch, ", but another type has ", k,
                                          " of epoch ", batches.epoch(), " from minibatch ", batches.first_batch()));
    }
    const std::int64_t n = schema.num_vertices(t);
    for (std::size_t i = 0; i < b.seeds.size(); ++i) {
      if (b.seeds[i] < 0 || b.seeds[i] >= n) {
        throw out_of_range_error(detail::concat("seed vertex ", b.seeds[i], " of type '", name, "' at position ", i,
                                                " is outside the type's [0, ", n, ")"));
      }
    }
    for (std::int64_t m = 0; m < k; ++m) {  // checked here, so that the message names the type and local id
      std::vector<I> sorted(b.batch(m).begin(), b.batch(m).end());
      std::sort(sorted.begin(), sorted.end());
      if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end()) {
        throw argument_error(detail::concat("minibatch ", b.first_batch + static_cast<std::uint64_t>(m),
                                            " lists vertex ", *twice, " of type '", name,
                                            "' twice; the seeds of a minibatch must be unique"));
      }
    }
  }
}

/// One vertex type's nodes in one layer of k typed blocks: minibatch m's
/// source nodes are src_nodes[node_offsets[m], node_offsets[m+1]), local ids
/// of the type, and the first dst_offsets[m+1] - dst_offsets[m] of them are
/// its destination nodes (the next layer's source nodes start with them).
template <index_type I>
struct typed_nodes {
  std::vector<I> src_nodes;                   ///< Local ids of each minibatch's source nodes, concatenated
  std::vector<std::int64_t> node_offsets{0};  ///< k + 1 offsets into src_nodes
  std::vector<std::int64_t> dst_offsets{0};   ///< k + 1 offsets counting each minibatch's destination nodes

  /// Minibatch m's source nodes of this type (unchecked).
  [[nodiscard]] std::span<const I> src(std::int64_t m) const {
    return std::span<const I>(src_nodes).subspan(static_cast<std::size_t>(node_offsets[m]),
                                                 static_cast<std::size_t>(node_offsets[m + 1] - node_offsets[m]));
  }
  /// Minibatch m's destination nodes of this type: the first of its source nodes.
  [[nodiscard]] std::span<const I> dst(std::int64_t m) const {
    return src(m).first(static_cast<std::size_t>(dst_offsets[m + 1] - dst_offsets[m]));
  }
  /// Exact equality of every array.
  friend bool operator==(const typed_nodes&, const typed_nodes&) = default;
};

/// One relation's block of one minibatch, as views into a typed_block_set.
template <class V, index_type I, index_type O>
struct typed_block_view {
  csr_view<V, I, O> adjacency;               ///< num_dst x num_src in the block's local ids
  std::span<const I> dst_nodes;              ///< Rows: local ids of the relation's row type
  std::span<const I> src_nodes;              ///< Columns: local ids of the relation's column type
  std::span<const std::int64_t> edge_ids{};  ///< Position in the relation's CSR of each entry (when attached)

  /// Number of destination nodes (rows).
  [[nodiscard]] I num_dst() const noexcept { return adjacency.rows(); }
  /// Number of source nodes (columns).
  [[nodiscard]] I num_src() const noexcept { return adjacency.cols(); }
  /// Number of sampled edges.
  [[nodiscard]] O num_edges() const noexcept { return adjacency.nnz(); }
};

/// One layer of k typed minibatches: the nodes of every vertex type and the
/// edges of every relation. `relations[r]`'s rows are the destination nodes
/// of r's row type; its columns index the source nodes of r's column type.
template <class V, index_type I, index_type O>
struct typed_block_set {
  std::vector<typed_nodes<I>> types;            ///< One entry per vertex type
  std::vector<block_edges<V, I, O>> relations;  ///< One entry per relation (empty blocks where skipped)

  /// Number of minibatches k.
  [[nodiscard]] std::int64_t size() const noexcept {
    return types.empty() ? 0 : static_cast<std::int64_t>(types.front().node_offsets.size()) - 1;
  }
  /// Sampled edges over all relations and minibatches.
  [[nodiscard]] std::int64_t num_edges() const noexcept {
    std::int64_t total = 0;
    for (const auto& r : relations) total += r.num_edges();
    return total;
  }
  /// Relation r's block of minibatch m (unchecked); `schema` gives r's types.
  [[nodiscard]] typed_block_view<V, I, O> block(std::int64_t m, std::int32_t r, const typed_schema& schema) const {
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    const auto& rows = types[static_cast<std::size_t>(rel.row_type)];
    const auto& cols = types[static_cast<std::size_t>(rel.col_type)];
    const auto& edges = relations[static_cast<std::size_t>(r)];
    const auto src = cols.src(m);
    return {edges.adjacency(m, static_cast<std::int64_t>(src.size())), rows.dst(m), src, edges.edge_ids_of(m)};
  }
  /// Exact equality of every array.
  friend bool operator==(const typed_block_set&, const typed_block_set&) = default;
};

template <class V, index_type I, index_type O>
class typed_bulk_sample;

/// The layers of one typed minibatch, input layer first.
template <class V, index_type I, index_type O>
class typed_minibatch_view {
 public:
  /// Minibatch m of `bulk`, which must outlive the view.
  typed_minibatch_view(const typed_bulk_sample<V, I, O>& bulk, std::int64_t m) : bulk_(&bulk), m_(m) {}
  /// Number of layers L.
  [[nodiscard]] std::size_t num_layers() const noexcept { return bulk_->layers.size(); }
  /// Relation r's block at layer l (0 is the input layer; unchecked).
  [[nodiscard]] typed_block_view<V, I, O> block(std::size_t l, std::int32_t r) const {
    return bulk_->layers[l].block(m_, r, bulk_->schema);
  }
  /// The seeds of type t: its destination nodes in the last layer.
  [[nodiscard]] std::span<const I> seeds(std::int32_t t) const {
    return bulk_->layers.back().types[static_cast<std::size_t>(t)].dst(m_);
  }
  /// The vertices of type t whose input features the minibatch needs.
  [[nodiscard]] std::span<const I> input_nodes(std::int32_t t) const {
    return bulk_->layers.front().types[static_cast<std::size_t>(t)].src(m_);
  }

 private:
  const typed_bulk_sample<V, I, O>* bulk_;
  std::int64_t m_;
};

/// All layers of k typed minibatches: layers[0] is the input layer, and
/// layers.back() has the seeds as destination nodes. Holds the schema, so
/// that blocks name their relations' types.
template <class V, index_type I, index_type O>
class typed_bulk_sample {
 public:
  typed_schema schema;                           ///< The sampled graph's types and relations
  std::vector<typed_block_set<V, I, O>> layers;  ///< One per layer, input layer first

  /// Number of minibatches k.
  [[nodiscard]] std::int64_t size() const noexcept { return layers.empty() ? 0 : layers.front().size(); }
  /// Minibatch m as a view of this sample.
  [[nodiscard]] typed_minibatch_view<V, I, O> operator[](std::int64_t m) const { return {*this, m}; }
  /// Sampled edges over all layers, relations and minibatches.
  [[nodiscard]] std::int64_t num_edges() const noexcept {
    std::int64_t total = 0;
    for (const auto& layer : layers) total += layer.num_edges();
    return total;
  }
  /// Exact equality of the schema and every layer.
  friend bool operator==(const typed_bulk_sample&, const typed_bulk_sample&) = default;
};

namespace detail {

/// Throws unless the per-relation exclusion lists of `batches` are one per
/// relation of `graph` (or none), each well formed for its relation and
/// the call's minibatches; messages name `sampler` and the relation.
template <class View, index_type I>
void validate_typed_exclusion(const typed_graph_view<View>& graph, const typed_batch_list<I>& batches,
                              std::string_view sampler) {
  const auto& schema = graph.schema();
  if (batches.excluded.empty()) return;
  if (static_cast<std::int32_t>(batches.excluded.size()) != schema.num_relations()) {
    throw argument_error(concat(sampler, ": ", batches.excluded.size(), " exclusion lists for the ",
                                schema.num_relations(), " relations"));
  }
  batch_list<I> shape{{},
                      std::vector<std::int64_t>(static_cast<std::size_t>(batches.size()) + 1, 0),
                      batches.epoch(),
                      batches.first_batch()};
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    shape.excluded = batches.excluded[static_cast<std::size_t>(r)];
    try {
      validate_exclusion(graph.relation(r), shape);
    } catch (const out_of_range_error& e) {
      throw out_of_range_error(concat(sampler, ": relation ", schema.canonical_name(r), ": ", e.what()));
    } catch (const argument_error& e) {
      throw argument_error(concat(sampler, ": relation ", schema.canonical_name(r), ": ", e.what()));
    }
  }
}

/// The seeds and exclusion lists of a typed sampling call, checked on every
/// rank of a distributed graph and agreed on (agree_on_checks), so a bad
/// seed on one rank stops them all before any collective step.
template <class View, index_type I>
void validate_typed_batches(const typed_graph_view<View>& graph, const typed_batch_list<I>& batches,
                            std::string_view sampler) {
  const auto check = [&] {
    validate_typed_seeds(graph.schema(), batches);
    validate_typed_exclusion(graph, batches, sampler);
  };
  if (graph.schema().num_relations() == 0) {
    check();
  } else {
    agree_on_checks(graph.relation(0), check);
  }
}

/// One layer's frontier of every vertex type: stacked local ids and k + 1
/// offsets per type.
template <index_type I>
struct typed_frontier {
  std::vector<std::vector<I>> vertices;            ///< Per type, the k minibatches' vertices
  std::vector<std::vector<std::int64_t>> offsets;  ///< Per type, k + 1 offsets

  /// The seeds of `batches` as layer 0's frontier (types without seeds get
  /// k empty minibatches).
  static typed_frontier of(const typed_batch_list<I>& batches) {
    typed_frontier out;
    const auto k = static_cast<std::size_t>(batches.size());
    for (const auto& b : batches.types) {
      out.vertices.emplace_back(b.seeds.begin(), b.seeds.end());
      out.offsets.push_back(b.size() == 0 ? std::vector<std::int64_t>(k + 1, 0) : b.offsets);
    }
    return out;
  }
  /// The next layer's frontier: every type's source nodes of `layer`.
  template <class V, index_type O>
  void advance(const typed_block_set<V, I, O>& layer) {
    for (std::size_t t = 0; t < layer.types.size(); ++t) {
      vertices[t] = layer.types[t].src_nodes;
      offsets[t] = layer.types[t].node_offsets;
    }
  }

  /// Type t's frontier as a selection Q_t, drawn with (epoch, first_batch).
  [[nodiscard]] stacked_selection<I> selection(std::int32_t t, std::uint64_t epoch, std::uint64_t first_batch) const {
    return {vertices[static_cast<std::size_t>(t)], offsets[static_cast<std::size_t>(t)], epoch, first_batch};
  }
};

/// Checks a typed sampler's table of per-layer counts, one per item (a
/// relation or a vertex type): at least one layer, `items` counts per layer,
/// each -1, 0 or positive, within the stream numbering's limits. Messages
/// name the sampler, the layer and the item (`name(i)`); `list` names them
/// all and `zero` says what a 0 means.
template <class Name>
void validate_layer_table(const std::vector<std::vector<std::int64_t>>& table, std::int32_t items,
                          std::string_view sampler, std::string_view counts, std::string_view count,
                          std::string_view kind, Name name, const std::string& list, std::string_view zero) {
  if (table.empty()) throw argument_error(concat(sampler, ": ", counts, " must name at least one layer"));
  if (table.size() >= streams::max_typed_layers || static_cast<std::uint64_t>(items) > streams::max_relations) {
    throw argument_error(concat(sampler, ": at most ", streams::max_typed_layers - 1, " layers and ",
                                streams::max_relations, " ", kind));
  }
  for (std::size_t l = 0; l < table.size(); ++l) {
    if (static_cast<std::int32_t>(table[l].size()) != items) {
      throw argument_error(concat(sampler, ": layer ", l, " has ", table[l].size(), " ", counts, " for the ", items,
                                  " ", kind, " ", list));
    }
    for (std::size_t i = 0; i < table[l].size(); ++i) {
      if (table[l][i] < -1) {
        throw argument_error(concat(sampler, ": ", count, " ", table[l][i], " of ", name(i), " at layer ", l,
                                    "; use a positive count, ", zero, " or -1 for all"));
      }
    }
  }
}

/// A sampled matrix as the host matrix typed compaction reads: a device
/// backend's copied back (to_host), any other's as it is.
template <kernel_set B, class M>
auto on_host(const B& backend, M&& m) {
  if constexpr (requires { backend.to_host(m); }) {
    return backend.to_host(m);
  } else {
    return std::remove_cvref_t<M>(std::forward<M>(m));
  }
}

/// Typed compaction: relabels the sampled rows of every relation into one
/// layer of typed blocks. `sampled[r]` is relation r's S_r (its rows are the
/// frontier of r's row type, its columns local ids of r's column type), or
/// empty where r was skipped. Merges the S_r into one matrix over global
/// ids, compacts it with the backend, and partitions the source nodes by type.
template <class V, index_type I, index_type O, kernel_set B>
typed_block_set<V, I, O> compact_typed(const B& backend, const typed_schema& schema, const typed_frontier<I>& front,
                                       std::span<const std::optional<csr_view<V, I, O>>> sampled, bool deduplicate,
                                       int threads) {
  const std::int32_t types = schema.num_types(), relations = schema.num_relations();
  const auto T = static_cast<std::size_t>(types), R = static_cast<std::size_t>(relations);
  const std::int64_t k = static_cast<std::int64_t>(front.offsets.front().size()) - 1;
  (void)checked_cast<I>(schema.num_vertices(), "vertices of all types (typed sampling numbers them globally)");
  // Loops run over the rows of one type or relation (not over minibatches),
  // so that one large minibatch uses every thread too.
  const auto parallel = [&](std::int64_t n, auto&& body) {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && n > 4096)
    for (std::int64_t i = 0; i < n; ++i) body(i);
  };
  const auto row_length = [&](std::size_t r, std::int64_t row) -> std::int64_t {
    const auto& s = sampled[r];
    return s ? static_cast<std::int64_t>(s->indptr()[row + 1] - s->indptr()[row]) : 0;
  };
  const auto row_type = [&](std::size_t r) { return static_cast<std::size_t>(schema.relations[r].row_type); };

  // Q over global ids: minibatch m's rows are its frontier of type 0, then of
  // type 1, ...; merged_row[t][i] is the row of type t's frontier row i, and
  // row_batch[row] its minibatch.
  std::vector<std::int64_t> q_offsets(static_cast<std::size_t>(k) + 1, 0);
  for (std::int64_t m = 0; m < k; ++m) {
    q_offsets[m + 1] = q_offsets[m];
    for (std::size_t t = 0; t < T; ++t) q_offsets[m + 1] += front.offsets[t][m + 1] - front.offsets[t][m];
  }
  const std::int64_t rows = q_offsets[k];
  std::vector<std::vector<std::int64_t>> merged_row(T);
  std::vector<std::int64_t> row_batch(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> next_row(q_offsets.begin(), q_offsets.end() - 1);
  for (std::size_t t = 0; t < T; ++t) {
    merged_row[t].resize(front.vertices[t].size());
    for (std::int64_t m = 0; m < k; ++m) {
      for (auto i = front.offsets[t][m]; i < front.offsets[t][m + 1]; ++i) {
        row_batch[next_row[m]] = m;
        merged_row[t][i] = next_row[m]++;
      }
    }
  }
  std::vector<I> q_vertices(static_cast<std::size_t>(rows));
  for (std::size_t t = 0; t < T; ++t) {
    const auto offset = static_cast<I>(schema.type_offsets[t]);
    parallel(static_cast<std::int64_t>(merged_row[t].size()),
             [&](std::int64_t i) { q_vertices[merged_row[t][i]] = offset + front.vertices[t][i]; });
  }

  // The merged S: a vertex's row holds its relations' sampled entries in
  // relation order; segment[r][i] is where relation r's row i starts in it.
  std::vector<std::int64_t> merged_len(static_cast<std::size_t>(rows), 0),
      merged_start(static_cast<std::size_t>(rows) + 1);
  for (std::size_t r = 0; r < R; ++r) {
    if (!sampled[r]) continue;
    const auto& rows_of = merged_row[row_type(r)];
    parallel(static_cast<std::int64_t>(rows_of.size()),
             [&](std::int64_t i) { merged_len[rows_of[i]] += row_length(r, i); });  // rows of one relation are distinct
  }
  const std::int64_t entries =
      exclusive_scan(std::span<const std::int64_t>(merged_len), std::span<std::int64_t>(merged_start));
  (void)checked_cast<O>(entries, "sampled entries of a typed layer");
  std::vector<O> merged_indptr(merged_start.begin(), merged_start.end());
  std::vector<std::vector<std::int64_t>> segment(R);
  for (std::size_t r = 0; r < R; ++r) {
    if (!sampled[r]) continue;
    const auto& rows_of = merged_row[row_type(r)];
    segment[r].resize(rows_of.size());
    parallel(static_cast<std::int64_t>(rows_of.size()), [&](std::int64_t i) {
      segment[r][i] = merged_start[rows_of[i]];
      merged_start[rows_of[i]] += row_length(r, i);
    });
  }
  std::vector<I> merged_indices(static_cast<std::size_t>(entries));
  for (std::size_t r = 0; r < R; ++r) {
    if (!sampled[r]) continue;
    const auto& s = *sampled[r];
    const auto offset = static_cast<I>(schema.type_offsets[static_cast<std::size_t>(schema.relations[r].col_type)]);
    parallel(s.rows(), [&](std::int64_t i) {
      auto at = segment[r][i];
      for (auto e = s.indptr()[i]; e < s.indptr()[i + 1]; ++e) merged_indices[at++] = offset + s.indices()[e];
    });
  }
  const csr_view<V, I, O> merged(checked_cast<I>(rows, "typed frontier"), static_cast<I>(schema.num_vertices()),
                                 merged_indptr, merged_indices);
  const auto blocks = backend.compact_blocks(merged, stacked_selection<I>{q_vertices, q_offsets, 0, 0}, deduplicate);

  // Each type's source nodes: a stable partition of each block's, so that
  // every type's list starts with its destination nodes. position[j] is
  // source node j's index within its type's list.
  const auto& nodes = blocks.src_nodes;
  const auto type_of = [&](I g) {
    return static_cast<std::size_t>(
        std::upper_bound(schema.type_offsets.begin() + 1, schema.type_offsets.end(), static_cast<std::int64_t>(g)) -
        (schema.type_offsets.begin() + 1));
  };
  typed_block_set<V, I, O> out;
  out.types.resize(T);
  std::vector<std::int64_t> type_count(T * static_cast<std::size_t>(k), 0);
  for (std::int64_t m = 0; m < k; ++m) {
    for (auto j = blocks.node_offsets[m]; j < blocks.node_offsets[m + 1]; ++j) ++type_count[type_of(nodes[j]) * k + m];
  }
  for (std::size_t t = 0; t < T; ++t) {
    auto& tn = out.types[t];
    tn.node_offsets.assign(static_cast<std::size_t>(k) + 1, 0);
    tn.dst_offsets = front.offsets[t];
    for (std::int64_t m = 0; m < k; ++m) tn.node_offsets[m + 1] = tn.node_offsets[m] + type_count[t * k + m];
    tn.src_nodes.resize(static_cast<std::size_t>(tn.node_offsets[k]));
  }
  std::vector<I> position(nodes.size());
  std::vector<std::int64_t> next(T);
  for (std::int64_t m = 0; m < k; ++m) {
    std::fill(next.begin(), next.end(), 0);
    for (auto j = blocks.node_offsets[m]; j < blocks.node_offsets[m + 1]; ++j) {
      const auto t = type_of(nodes[j]);
      auto& tn = out.types[t];
      position[j] = static_cast<I>(next[t]);
      tn.src_nodes[tn.node_offsets[m] + next[t]++] = static_cast<I>(nodes[j] - schema.type_offsets[t]);
    }
  }

  // Each relation's edges: the layout of its S_r, columns re-pointed into
  // the column type's list.
  out.relations.resize(R);
  for (std::size_t r = 0; r < R; ++r) {
    const auto& s = sampled[r];
    const auto& batch_offsets = front.offsets[row_type(r)];
    std::vector<O> empty_indptr;
    if (!s) empty_indptr.assign(static_cast<std::size_t>(batch_offsets[k]) + 1, O{0});
    auto layout = block_set_layout<V, I, O>(batch_offsets, s ? s->indptr() : std::span<const O>(empty_indptr), threads);
    auto& edges = out.relations[r];
    edges = std::move(static_cast<block_edges<V, I, O>&>(layout));
    if (!s) continue;
    if (s->has_values()) edges.values.assign(s->values().begin(), s->values().end());
    const auto& rows_of = merged_row[row_type(r)];
    parallel(s->rows(), [&](std::int64_t i) {
      const auto base = blocks.node_offsets[row_batch[rows_of[i]]];
      auto at = segment[r][i];
      for (auto e = s->indptr()[i]; e < s->indptr()[i + 1]; ++e) {
        edges.indices[static_cast<std::size_t>(e)] = position[static_cast<std::size_t>(base + blocks.indices[at++])];
      }
    });
  }
  return out;
}

}  // namespace detail

}  // namespace matsample
