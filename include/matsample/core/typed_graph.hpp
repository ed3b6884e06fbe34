#pragma once
// Typed (heterogeneous) graphs: vertices of several types and edges of
// several relations. Each vertex type is a contiguous range of global ids
// (GraphBolt's node_type_offset, OGB's per-type numbering), and a vertex is
// also named by its type and its local id within the type. Each relation
// (row type, name, column type) is its own CSR over local ids: row u, a
// row-type vertex, gathers from its column-type columns, as rows do in
// untyped graphs. One CSR per relation (DGL's layout) rather than
// one CSR with per-row relation offsets: every kernel of every backend runs on
// a relation unchanged, a skipped relation costs nothing, and the offsets
// take sum over relations of (row-type count + 1) words instead of
// (vertices x relations); docs/heterogeneous.md has the measurement.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// One relation: the vertex type of its rows, its name and the vertex type
/// of its columns. Row u gathers from its columns, so messages flow from
/// col_type to row_type. An OGB relation directory `SRC___NAME___DST`
/// (an edge.csv line "u,v" puts v in row u) has row_type SRC and col_type
/// DST, as the untyped readers put an edge u,v in row u. Types are
/// positions in the schema.
struct relation_type {
  std::int32_t row_type = 0;  ///< Type of the rows (the vertices that gather, a block's destination nodes)
  std::string name;           ///< The relation's name, e.g. "cites"
  std::int32_t col_type = 0;  ///< Type of the columns (the vertices gathered from, a block's source nodes)
  /// Same types and name.
  friend bool operator==(const relation_type&, const relation_type&) = default;
};

/// The vertex types and relations of a typed graph, without its edges.
struct typed_schema {
  std::vector<std::string> vertex_types;      ///< Name of each vertex type
  std::vector<std::int64_t> type_offsets{0};  ///< T + 1 global ids: type t owns [type_offsets[t], type_offsets[t+1])
  std::vector<relation_type> relations;       ///< Every relation, in a fixed order (the relation's number)

  /// A schema from the vertex count of each type (in order) and the relations.
  static typed_schema from_counts(std::vector<std::string> names, std::span<const std::int64_t> counts,
                                  std::vector<relation_type> relations) {
    if (names.size() != counts.size()) {
      throw argument_error(
          detail::concat("typed graph: ", names.size(), " vertex type names for ", counts.size(), " counts"));
    }
    typed_schema out{std::move(names), {0}, std::move(relations)};
    for (std::size_t t = 0; t < counts.size(); ++t) {
      if (counts[t] < 0) {
        throw argument_error(
            detail::concat("typed graph: vertex type '", out.vertex_types[t], "' has negative count ", counts[t]));
      }
      out.type_offsets.push_back(out.type_offsets.back() + counts[t]);
    }
    out.validate();
    return out;
  }

  /// Number of vertex types T.
  [[nodiscard]] std::int32_t num_types() const noexcept { return static_cast<std::int32_t>(vertex_types.size()); }
  /// Number of relations R.
  [[nodiscard]] std::int32_t num_relations() const noexcept { return static_cast<std::int32_t>(relations.size()); }
  /// Vertices of all types.
  [[nodiscard]] std::int64_t num_vertices() const noexcept { return type_offsets.back(); }
  /// Vertices of type t (unchecked).
  [[nodiscard]] std::int64_t num_vertices(std::int32_t t) const noexcept {
    return type_offsets[static_cast<std::size_t>(t) + 1] - type_offsets[static_cast<std::size_t>(t)];
  }
  /// Global id of local vertex `local` of type t (unchecked).
  [[nodiscard]] std::int64_t global_id(std::int32_t t, std::int64_t local) const noexcept {
    return type_offsets[static_cast<std::size_t>(t)] + local;
  }
  /// Type of global vertex `global`; throws out_of_range_error outside the graph.
  [[nodiscard]] std::int32_t type_of(std::int64_t global) const {
    if (global < 0 || global >= num_vertices()) {
      throw out_of_range_error(
          detail::concat("typed graph: vertex ", global, " is outside the graph's [0, ", num_vertices(), ")"));
    }
    return static_cast<std::int32_t>(std::upper_bound(type_offsets.begin(), type_offsets.end(), global) -
                                     type_offsets.begin()) -
           1;
  }

  /// The type called `name`; throws argument_error listing the types when none is.
  [[nodiscard]] std::int32_t find_type(std::string_view name) const {
    for (std::int32_t t = 0; t < num_types(); ++t) {
      if (vertex_types[static_cast<std::size_t>(t)] == name) return t;
    }
    throw argument_error(detail::concat("typed graph: no vertex type '", name, "'; the types are ", type_list()));
  }

  /// OGB's name of relation r, "<row type>___<name>___<column type>" (unchecked).
  [[nodiscard]] std::string canonical_name(std::int32_t r) const {
    const auto& rel = relations[static_cast<std::size_t>(r)];
    return detail::concat(vertex_types[static_cast<std::size_t>(rel.row_type)], "___", rel.name, "___",
                          vertex_types[static_cast<std::size_t>(rel.col_type)]);
  }

  /// The relation named `name`: its canonical name, or its bare name when no
  /// other relation shares it. Throws argument_error listing the relations
  /// when none matches, or naming the candidates when the bare name is shared.
  [[nodiscard]] std::int32_t find_relation(std::string_view name) const {
    std::int32_t found = -1, matches = 0;
    for (std::int32_t r = 0; r < num_relations(); ++r) {
      if (canonical_name(r) == name) return r;
      if (relations[static_cast<std::size_t>(r)].name == name) {
        found = r;
        ++matches;
      }
    }
    if (matches == 1) return found;
    if (matches > 1) {
      std::string candidates;
      for (std::int32_t r = 0; r < num_relations(); ++r) {
        if (relations[static_cast<std::size_t>(r)].name == name) append_listed(candidates, canonical_name(r));
      }
      throw argument_error(
          detail::concat("typed graph: relation name '", name, "' is shared; name one of ", candidates));
    }
    throw argument_error(detail::concat("typed graph: no relation '", name, "'; the relations are ", relation_list()));
  }

  /// Checks names, offsets and relation types: throws argument_error naming
  /// the offending type or relation.
  void validate() const {
    if (type_offsets.size() != vertex_types.size() + 1 || type_offsets.front() != 0) {
      throw argument_error(detail::concat("typed graph: ", type_offsets.size(), " type offsets for ",
                                          vertex_types.size(), " vertex types (need one more, starting at 0)"));
    }
    for (std::size_t t = 0; t < vertex_types.size(); ++t) {
      if (vertex_types[t].empty()) throw argument_error(detail::concat("typed graph: vertex type ", t, " has no name"));
      if (type_offsets[t + 1] < type_offsets[t]) {
        throw argument_error(detail::concat("typed graph: the type offsets of '", vertex_types[t], "' decrease"));
      }
      for (std::size_t u = 0; u < t; ++u) {
        if (vertex_types[u] == vertex_types[t]) {
          throw argument_error(detail::concat("typed graph: vertex type '", vertex_types[t], "' is named twice"));
        }
      }
    }
    for (std::size_t r = 0; r < relations.size(); ++r) {
      const auto& rel = relations[r];
      if (rel.name.empty()) throw argument_error(detail::concat("typed graph: relation ", r, " has no name"));
      if (rel.row_type < 0 || rel.row_type >= num_types() || rel.col_type < 0 || rel.col_type >= num_types()) {
        throw argument_error(detail::concat("typed graph: relation '", rel.name, "' names vertex types ", rel.row_type,
                                            " and ", rel.col_type, " of the ", num_types(), " types ", type_list()));
      }
      for (std::size_t q = 0; q < r; ++q) {
        if (relations[q] == rel) {
          throw argument_error(detail::concat("typed graph: relation ", canonical_name(static_cast<std::int32_t>(r)),
                                              " is listed twice"));
        }
      }
    }
  }

  /// "paper, author" (for messages).
  [[nodiscard]] std::string type_list() const {
    std::string out;
    for (const auto& t : vertex_types) append_listed(out, t);
    return out.empty() ? "(none)" : out;
  }
  /// "paper___cites___paper, ..." (for messages).
  [[nodiscard]] std::string relation_list() const {
    std::string out;
    for (std::int32_t r = 0; r < num_relations(); ++r) append_listed(out, canonical_name(r));
    return out.empty() ? "(none)" : out;
  }

  /// Appends `item` to a comma-separated list.
  static void append_listed(std::string& list, std::string_view item) {
    if (!list.empty()) list += ", ";
    list += item;
  }

  /// Same types, counts and relations.
  friend bool operator==(const typed_schema&, const typed_schema&) = default;
};

/// A typed graph as its schema and one graph operand per relation: relation
/// r's operand is a num_vertices(src) x num_vertices(dst) matrix over local
/// ids. `View` is csr_view (arrays the caller owns: a PyTorch tensor per
/// relation, an mmap'd snapshot) or a backend's own view (a distributed
/// matrix per relation). Constructing it checks every relation's shape
/// against the type ranges in O(R); validate() checks the entries.
template <class View>
class typed_graph_view {
 public:
  using view_type = View;                          ///< One relation's operand
  using value_type = typename View::value_type;    ///< Edge value type
  using index_type = typename View::index_type;    ///< Local vertex id type
  using offset_type = typename View::offset_type;  ///< Row offset type

  /// The empty graph (no types).
  typed_graph_view() = default;
  /// Checks the schema and that relation r's operand is
  /// num_vertices(src) x num_vertices(dst); throws argument_error naming the relation.
  typed_graph_view(typed_schema schema, std::vector<View> relations)
      : schema_(std::move(schema)), relations_(std::move(relations)) {
    schema_.validate();
    if (relations_.size() != schema_.relations.size()) {
      throw argument_error(
          detail::concat("typed graph: ", relations_.size(), " matrices for ", schema_.relations.size(), " relations"));
    }
    for (std::int32_t t = 0; t < schema_.num_types(); ++t) {
      (void)checked_cast<index_type>(schema_.num_vertices(t), "vertices of one type");
    }
    for (std::int32_t r = 0; r < schema_.num_relations(); ++r) {
      const auto& rel = schema_.relations[static_cast<std::size_t>(r)];
      const auto& a = relations_[static_cast<std::size_t>(r)];
      const std::int64_t rows = schema_.num_vertices(rel.row_type), cols = schema_.num_vertices(rel.col_type);
      if (static_cast<std::int64_t>(a.rows()) != rows || static_cast<std::int64_t>(a.cols()) != cols) {
        throw argument_error(detail::concat("typed graph: relation ", schema_.canonical_name(r), " is ", a.rows(),
                                            " x ", a.cols(), ", but its types have ", rows, " and ", cols,
                                            " vertices"));
      }
    }
  }

  /// The vertex types and relations.
  [[nodiscard]] const typed_schema& schema() const noexcept { return schema_; }
  /// Relation r's matrix (unchecked).
  [[nodiscard]] const View& relation(std::int32_t r) const noexcept { return relations_[static_cast<std::size_t>(r)]; }
  /// Every relation's matrix, in the schema's order.
  [[nodiscard]] std::span<const View> relations() const noexcept { return relations_; }
  /// Edges over all relations.
  [[nodiscard]] std::int64_t num_edges() const {
    std::int64_t total = 0;
    for (const auto& a : relations_) total += static_cast<std::int64_t>(a.nnz());
    return total;
  }

 private:
  typed_schema schema_;
  std::vector<View> relations_;
};

/// Full O(edges) check of every relation (validate of core/csr.hpp); the
/// error names the relation.
template <class V, index_type I, index_type O>
void validate(const typed_graph_view<csr_view<V, I, O>>& g) {
  for (std::int32_t r = 0; r < g.schema().num_relations(); ++r) {
    try {
      validate(g.relation(r));
    } catch (const csr_error& e) {
      throw csr_error(detail::concat("relation ", g.schema().canonical_name(r), ": ", e.what()));
    }
  }
}

/// An owning typed graph: the schema and one csr_matrix per relation.
template <class V, index_type I, index_type O>
class typed_graph {
 public:
  using view_type = typed_graph_view<csr_view<V, I, O>>;  ///< The view it hands out

  /// The empty graph (no types).
  typed_graph() = default;
  /// Takes the matrices (already validated by csr_matrix) and checks their
  /// shapes against the schema.
  typed_graph(typed_schema schema, std::vector<csr_matrix<V, I, O>> relations)
      : schema_(std::move(schema)), relations_(std::move(relations)) {
    (void)view();
  }

  /// A view of the owned matrices, valid while this graph lives unchanged.
  [[nodiscard]] view_type view() const {
    std::vector<csr_view<V, I, O>> views;
    views.reserve(relations_.size());
    for (const auto& a : relations_) views.push_back(a.view());
    return view_type(schema_, std::move(views));
  }
  /// The vertex types and relations.
  [[nodiscard]] const typed_schema& schema() const noexcept { return schema_; }
  /// Relation r's matrix (unchecked).
  [[nodiscard]] const csr_matrix<V, I, O>& relation(std::int32_t r) const noexcept {
    return relations_[static_cast<std::size_t>(r)];
  }

  /// Adds "rev_<name>" (column type to row type, the transpose) for
  /// every relation that has no reverse yet, as OGB's loaders do for
  /// ogbn-mag, so that every type can gather from the types that point at
  /// it. A relation whose row and column types agree gets one too
  /// (its transpose): to treat it as undirected instead, build it symmetrized.
  void add_reverse_relations() {
    const auto existing = schema_.relations.size();
    for (std::size_t r = 0; r < existing; ++r) {
      const auto rel = schema_.relations[r];
      const relation_type reverse{rel.col_type, "rev_" + rel.name, rel.row_type};
      if (std::find(schema_.relations.begin(), schema_.relations.end(), reverse) != schema_.relations.end()) continue;
      if (rel.name.starts_with("rev_") &&
          std::find(schema_.relations.begin(), schema_.relations.end(),
                    relation_type{rel.col_type, rel.name.substr(4), rel.row_type}) != schema_.relations.end()) {
        continue;  // already the reverse of another
      }
      relations_.push_back(transpose(relations_[r].view()));
      schema_.relations.push_back(reverse);
    }
    (void)view();
  }

  /// Same schema and matrices.
  friend bool operator==(const typed_graph&, const typed_graph&) = default;

  /// The transpose of `a`, rows sorted by column (ties by value).
  static csr_matrix<V, I, O> transpose(const csr_view<V, I, O>& a) {
    std::vector<I> rows(static_cast<std::size_t>(a.nnz()));
    for (I r = 0; r < a.rows(); ++r) {
      std::fill(rows.begin() + static_cast<std::ptrdiff_t>(a.indptr()[r]),
                rows.begin() + static_cast<std::ptrdiff_t>(a.indptr()[r + 1]), r);
    }
    return csr_from_coo<V, I, O>(a.cols(), a.rows(), a.indices(), rows, a.values());
  }

 private:
  typed_schema schema_;
  std::vector<csr_matrix<V, I, O>> relations_;
};

/// A typed graph from each relation's (row, column) local-id pairs
/// (values optional, one list per relation or none). Ids outside their
/// type's range throw out_of_range_error naming the relation and the edge.
template <class V, index_type I, index_type O>
typed_graph<V, I, O> typed_graph_from_edges(typed_schema schema, std::span<const std::vector<I>> src,
                                            std::span<const std::vector<I>> dst,
                                            std::span<const std::vector<V>> values = {}, build_options options = {}) {
  schema.validate();
  const auto relations = static_cast<std::size_t>(schema.num_relations());
  if (src.size() != relations || dst.size() != relations || (!values.empty() && values.size() != relations)) {
    throw argument_error(detail::concat("typed graph: edge lists for ", src.size(), " / ", dst.size(), " / ",
                                        values.size(), " relations, but the schema has ", relations));
  }
  std::vector<csr_matrix<V, I, O>> matrices;
  for (std::size_t r = 0; r < relations; ++r) {
    const auto& rel = schema.relations[r];
    const std::int64_t rows = schema.num_vertices(rel.row_type), cols = schema.num_vertices(rel.col_type);
    for (std::size_t e = 0; e < src[r].size() && e < dst[r].size(); ++e) {
      if (src[r][e] < 0 || src[r][e] >= rows || dst[r][e] < 0 || dst[r][e] >= cols) {
        throw out_of_range_error(detail::concat("typed graph: edge ", e, " (", src[r][e], ", ", dst[r][e],
                                                ") of relation ", schema.canonical_name(static_cast<std::int32_t>(r)),
                                                " is outside its ", rows, " x ", cols, " vertices"));
      }
    }
    if (options.symmetrize && rel.row_type != rel.col_type) {
      throw argument_error(detail::concat("typed graph: cannot symmetrize relation ",
                                          schema.canonical_name(static_cast<std::int32_t>(r)),
                                          ", whose types differ (add reverse relations instead)"));
    }
    matrices.push_back(csr_from_coo<V, I, O>(rows, cols, std::span<const I>(src[r]), std::span<const I>(dst[r]),
                                             values.empty() ? std::span<const V>{} : std::span<const V>(values[r]),
                                             options));
  }
  return typed_graph<V, I, O>(std::move(schema), std::move(matrices));
}

}  // namespace matsample
