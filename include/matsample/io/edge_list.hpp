#pragma once
// Plain edge lists: one "source target [weight]" per line, separated by
// blanks and/or commas, with '#' or '%' comment lines and 0- or 1-based ids.
//
// The vertex count is one more than the largest id, unless the ids are
// compacted: then the ids that occur (any int64, e.g. raw user ids of a
// crawl) are numbered 0..n-1 in increasing order, and the id map (the
// sorted original ids) is returned, so vertex v is the v-th smallest id.
// A file whose largest id is far beyond what its lines could need is
// refused before anything of that size is allocated, with a size_error
// that suggests compaction.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/io/coo_text.hpp"

namespace matsample {

/// How read_edge_list reads "source target [weight]" lines.
struct edge_list_options {
  bool one_based = false;          ///< the file's ids start at 1 (vertex v is written v + 1)
  bool weighted = false;           ///< a third column holds the edge weight
  std::int64_t num_vertices = -1;  ///< -1: one more than the largest id (or the number of ids, compacted)
  build_options build{};           ///< symmetrize, drop self loops, merge duplicates
  /// Number the ids that occur 0..n-1 in increasing order (one_based is
  /// then irrelevant); read_edge_list hands out the map.
  bool compact_ids = false;
};

namespace io {

/// A vertex count this many times the ids the lines can name (two per
/// line), and above sparse_id_floor, means sparse ids, not isolated vertices.
inline constexpr std::int64_t sparse_id_factor = 16;
/// Implied vertex counts up to this (2^20) are never taken for sparse ids.
inline constexpr std::int64_t sparse_id_floor = std::int64_t{1} << 20;

/// Refuses a vertex count implied by the largest id when the ids are far
/// sparser than the lines, or when the graph cannot fit memory.
template <class V, index_type I, index_type O>
void check_implied_vertices(const text_file& file, const coo_scan& scan, const edge_list_options& options) {
  const std::int64_t n = scan.largest() + 1;
  const double stored = static_cast<double>(scan.entries) * (options.build.symmetrize ? 2 : 1);
  const std::string claim =
      detail::concat(file.where(scan.largest_at), ": ", scan.largest_role, " id ", scan.largest_written, " implies ", n,
                     " vertices for ", scan.entries, scan.entries == 1 ? " edge line" : " edge lines");
  const double bytes = ::matsample::detail::csr_assembly<V, I, O>::bytes_needed(static_cast<double>(n), stored,
                                                                                options.weighted) +
                       static_cast<double>(n) * sizeof(std::int64_t);  // the row counts of the first pass
  if (n > sparse_id_floor && n / sparse_id_factor > scan.entries) {
    throw size_error(detail::concat(
        claim, ", which name at most ", 2 * scan.entries, " distinct ids: nearly every vertex would be isolated, and ",
        "the graph would take ", ::matsample::detail::human_bytes(bytes),
        ". If the ids are labels (user ids, hashes), ",
        "load with compact_ids (graph_tool --compact-ids) to number the ids that occur 0..n-1; if the isolated ",
        "vertices are real, give the vertex count (num_vertices, graph_tool --num-vertices)."));
  }
  require_memory(bytes, claim, "If the ids are labels, load with compact_ids (graph_tool --compact-ids).");
}

}  // namespace io

/// Reads an edge list (.gz through zlib) into an N x N CSR. With
/// options.compact_ids, `original_ids` (when given) receives the id map:
/// vertex v had id (*original_ids)[v] in the file, in increasing order.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> read_edge_list(const std::filesystem::path& path, const edge_list_options& options = {},
                                   std::vector<std::int64_t>* original_ids = nullptr) {
  const io::text_file file(path);
  io::coo_line_format format{options.one_based, options.weighted, options.num_vertices, options.num_vertices, "edge"};
  const auto require_edges = [&](const io::coo_scan& scan) {
    if (scan.entries == 0) file.fail(file.text().size(), "no edges (only comments or blank lines)");
  };
  std::vector<std::int64_t> ids;
  if (options.compact_ids) {
    ids = io::collect_ids(file, 0, format);
    const auto n = static_cast<std::int64_t>(ids.size());
    (void)checked_cast<I>(n, "distinct vertex ids");
    if (options.num_vertices >= 0 && options.num_vertices != n) {
      throw argument_error(detail::concat(file.name(), ": num_vertices = ", options.num_vertices, " but the file has ",
                                          n, " distinct ids (with compact_ids, leave num_vertices at -1)"));
    }
    format.rows = format.cols = n;
    format.id_map = ids;
  } else if (options.num_vertices >= 0) {
    require_memory(::matsample::detail::csr_assembly<V, I, O>::bytes_needed(static_cast<double>(options.num_vertices),
                                                                            0, options.weighted),
                   detail::concat(file.name(), ": num_vertices = ", options.num_vertices));
  }
  auto graph = io::read_coo_matrix<V, I, O>(file, 0, format, options.build, [&](const io::coo_scan& scan) {
    require_edges(scan);
    if (options.num_vertices < 0 && !options.compact_ids) io::check_implied_vertices<V, I, O>(file, scan, options);
  });
  if (original_ids != nullptr) *original_ids = std::move(ids);
  return graph;
}

}  // namespace matsample
