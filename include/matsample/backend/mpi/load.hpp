#pragma once
// Partitioned loading of an OGB raw-layout directory (needs matsample::io as
// well as matsample::mpi): no rank parses more than its share of the text,
// and no rank ever holds more of A or of the features than its own part.
//
//   edges     rank r parses the r-th line-aligned p-th of raw/edge.csv and
//             sends every entry, and its inverse, to the ranks that hold the
//             entry's row: the c ranks of the row block's fiber (1.5D) or the
//             one owner of its tile (2D). Receivers build their block with
//             the same assembly as read_ogb, which sorts every row, so the
//             result is bit-identical to from_replicated(read_ogb(dir)).
//   features  rank r parses the r-th part of raw/node-feat.csv; a prefix
//             sum of row counts gives the id of its first row, and every row
//             goes to each rank of the grid row that holds its vertex block
//             (a feature_block, replicated grid.cols() times).
//   labels, splits   O(N) integers, read whole on every rank.
//
// With a permutation, vertex v is loaded as permutation[v] (Π A Πᵀ, as
// relabel_vertices does to a whole graph): entries, feature rows, labels and
// split ids are renumbered as they are parsed, so the relabelled graph is
// never held whole either.
//
// A gzip-compressed file cannot be entered in the middle: every rank inflates
// it whole, then parses only its part. Errors on any rank (a malformed line,
// a wrong count) are agreed on, so every rank throws and none waits.

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/core/relabel.hpp"
#include "matsample/io/ogb.hpp"

namespace matsample::mpi {

/// What read_ogb_partitioned gives each rank; vertex ids are the loaded
/// (permuted, when a permutation was given) ids throughout.
template <class V, index_type I, index_type O>
struct distributed_dataset {
  distributed_csr<V, I, O> graph;    ///< This rank's block or tile of the (pattern) adjacency
  feature_block features;            ///< dim 0 when the directory has no features (or they were not asked for)
  std::vector<std::int32_t> labels;  ///< one per vertex, every rank
  std::map<std::string, std::vector<I>> splits;  ///< split name ("train", ...) to its vertex ids, every rank
};

namespace detail {

/// The ranks of `grid` that hold row `r`, column `c` of A: one tile owner
/// in 2D, the whole fiber of its row block in 1.5D.
struct entry_owners {
  block_partition rows, columns;
  int grid_cols = 1;
  bool tiled = false;

  template <class F>
  void for_each(std::int64_t r, std::int64_t c, F&& f) const {
    const int first = rows.owner(r) * grid_cols;
    if (tiled) {
      f(first + columns.owner(c));
    } else {
      for (int j = 0; j < grid_cols; ++j) f(first + j);
    }
  }
};

/// This rank's block of A from the edge lines of its part of the file.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> load_edge_block(const process_grid& grid, const std::filesystem::path& raw, std::int64_t n,
                                    const ogb_options& options, std::span<const I> permutation, volume* moved) {
  const bool tiled = distributed_csr_view<V, I, O>::is_tiled(grid);
  const entry_owners owners{{n, grid.rows()}, {n, tiled ? grid.cols() : 1}, grid.cols(), tiled};
  const auto mirrored = [&](I r, I c) { return options.add_inverse_edges && r != c; };
  const auto label = [&](I v) { return permutation.empty() ? v : permutation[v]; };
  const auto p = static_cast<std::size_t>(grid.size());
  // Pass 1 counts what goes to each rank, pass 2 places it: no edge array
  // is held beyond the send buffer itself.
  std::vector<std::int64_t> send_offsets(p + 1, 0);
  std::vector<I> send;
  std::optional<io::ogb_edges> edges;
  io::byte_range mine;
  std::int64_t my_lines = 0, lines = 0;
  collective_check(grid.world(), [&] {
    edges.emplace(raw);
    mine = io::line_aligned_part(edges->file.text(), {}, grid.rank(), grid.size());
    std::vector<std::int64_t> counts(p, 0);
    const auto count = [&](std::int64_t r, std::int64_t c) {
      owners.for_each(
          r, c, [&](int to) { std::atomic_ref<std::int64_t>(counts[to]).fetch_add(2, std::memory_order_relaxed); });
    };
    my_lines = io::parse_coo_lines<V, I>(edges->file, mine, {false, false, n, n, "edge"}, [&](I r, I c, V) {
                 count(label(r), label(c));
                 if (mirrored(r, c)) count(label(c), label(r));
               }).entries;
    for (std::size_t to = 0; to < p; ++to) send_offsets[to + 1] = send_offsets[to] + counts[to];
  });
  check(MPI_Allreduce(&my_lines, &lines, 1, MPI_INT64_T, MPI_SUM, grid.world()), "MPI_Allreduce");
  collective_check(grid.world(), [&] { edges->check_lines(lines); });
  send.resize(static_cast<std::size_t>(send_offsets.back()));
  {
    std::vector<std::int64_t> cursor(send_offsets.begin(), send_offsets.end() - 1);
    const auto put = [&](I r, I c) {
      owners.for_each(r, c, [&](int to) {
        const auto at = std::atomic_ref<std::int64_t>(cursor[to]).fetch_add(2, std::memory_order_relaxed);
        send[at] = r;
        send[at + 1] = c;
      });
    };
    io::parse_coo_lines<V, I>(edges->file, mine, {false, false, n, n, "edge"}, [&](I r, I c, V) {
      put(label(r), label(c));
      if (mirrored(r, c)) put(label(c), label(r));
    });
  }
  edges.reset();  // the text (inflated, for gzip) is no longer needed
  std::vector<std::int64_t> got_offsets;
  const auto got = exchange<I>(grid.world(), send, send_offsets, got_offsets, moved);
  std::vector<I>().swap(send);

  const auto first = owners.rows.begin(grid.my_row());
  ::matsample::detail::csr_assembly<V, I, O> assembly(owners.rows.end(grid.my_row()) - first, n, false,
                                                      {false, options.drop_self_loops, options.merge_duplicates});
  const auto local_entries = static_cast<std::int64_t>(got.size() / 2);
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < local_entries; ++e) assembly.count(static_cast<I>(got[2 * e] - first), got[2 * e + 1]);
  assembly.allocate();
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < local_entries; ++e)
    assembly.place(static_cast<I>(got[2 * e] - first), got[2 * e + 1], V{1});
  return std::move(assembly).finish();
}

/// This rank's feature_block from the rows of its part of the file.
template <index_type I>
feature_block load_feature_block(const process_grid& grid, const std::filesystem::path& path, std::int64_t n,
                                 std::span<const I> permutation, volume* moved) {
  feature_block block{{n, grid.rows()}, 0, {}};
  std::vector<float> parsed;
  std::optional<io::text_file> file;
  std::int64_t rows = 0, first_row = 0, total = 0;
  collective_check(grid.world(), [&] {
    file.emplace(path);
    block.dim = io::feature_dimension(*file);
    rows = io::read_feature_range(*file, io::line_aligned_part(file->text(), {}, grid.rank(), grid.size()), block.dim,
                                  parsed);
  });
  check(MPI_Exscan(&rows, &first_row, 1, MPI_INT64_T, MPI_SUM, grid.world()), "MPI_Exscan");
  if (grid.rank() == 0) first_row = 0;  // MPI_Exscan leaves rank 0's result undefined
  check(MPI_Allreduce(&rows, &total, 1, MPI_INT64_T, MPI_SUM, grid.world()), "MPI_Allreduce");
  std::int64_t dims[2] = {-block.dim, block.dim};
  check(MPI_Allreduce(MPI_IN_PLACE, dims, 2, MPI_INT64_T, MPI_MAX, grid.world()), "MPI_Allreduce");
  collective_check(grid.world(), [&] {
    if (total != n)
      file->fail(file->text().size(), ::matsample::detail::concat(total, " feature rows for ", n, " vertices"));
    // Every rank reads the first row for the dimension, so only a file that
    // changed under the load can disagree; refuse it rather than mix rows.
    if (-dims[0] != dims[1])
      throw format_error(::matsample::detail::concat(path.string(), ": ranks read different feature dimensions"));
  });
  file.reset();
  // Row i of my part is vertex first_row + i, loaded as u = label(it); it
  // goes, with u, to every rank of the grid row that holds u's block.
  const auto label = [&](std::int64_t v) {
    return permutation.empty() ? v : static_cast<std::int64_t>(permutation[v]);
  };
  const auto p = static_cast<std::size_t>(grid.size());
  std::vector<std::int64_t> id_offsets(p + 1, 0);
  for (std::int64_t i = 0; i < rows; ++i) {
    const int b = block.vertices.owner(label(first_row + i));
    for (int j = 0; j < grid.cols(); ++j) ++id_offsets[static_cast<std::size_t>(b * grid.cols() + j) + 1];
  }
  for (std::size_t to = 0; to < p; ++to) id_offsets[to + 1] += id_offsets[to];
  std::vector<std::int64_t> ids(static_cast<std::size_t>(id_offsets.back())), row_offsets(p + 1);
  std::vector<float> send(ids.size() * static_cast<std::size_t>(block.dim));
  {
    std::vector<std::int64_t> cursor(id_offsets.begin(), id_offsets.end() - 1);
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto u = label(first_row + i);
      const int b = block.vertices.owner(u);
      for (int j = 0; j < grid.cols(); ++j) {
        const auto at = cursor[static_cast<std::size_t>(b * grid.cols() + j)]++;
        ids[at] = u;
        std::copy_n(parsed.begin() + i * block.dim, block.dim, send.begin() + at * block.dim);
      }
    }
  }
  std::vector<float>().swap(parsed);
  for (std::size_t to = 0; to <= p; ++to) row_offsets[to] = id_offsets[to] * block.dim;
  std::vector<std::int64_t> got_id_offsets, got_row_offsets;
  const auto got_ids = exchange<std::int64_t>(grid.world(), ids, id_offsets, got_id_offsets, moved);
  const auto got_rows = exchange<float>(grid.world(), send, row_offsets, got_row_offsets, moved);
  const auto first = block.vertices.begin(grid.my_row());
  block.rows.resize(static_cast<std::size_t>((block.vertices.end(grid.my_row()) - first) * block.dim));
  for (std::size_t i = 0; i < got_ids.size(); ++i) {
    std::copy_n(got_rows.begin() + static_cast<std::ptrdiff_t>(i) * block.dim, block.dim,
                block.rows.begin() + (got_ids[i] - first) * block.dim);
  }
  return block;
}

}  // namespace detail

/// Reads an OGB raw-layout directory in parts: every rank of `grid` ends
/// with its block (1.5D) or tile (2D) of A, its feature_block, and the
/// labels and split. The same options as read_ogb; collective over
/// grid.world(). `moved` counts the bytes the redistribution sent. A
/// non-empty `permutation` (the same on every rank, e.g. random_permutation
/// or metis_permutation) loads vertex v as permutation[v]: the result is the
/// load of relabel_vertices(A, permutation) with features, labels and split
/// renumbered alike.
template <class V, index_type I, index_type O>
distributed_dataset<V, I, O> read_ogb_partitioned(const process_grid& grid, const std::filesystem::path& dir,
                                                  const ogb_options& options = {}, volume* moved = nullptr,
                                                  std::span<const I> permutation = {}) {
  std::filesystem::path raw;
  std::int64_t n = 0;
  std::optional<std::filesystem::path> feat;
  std::vector<std::int32_t> labels;
  std::map<std::string, std::vector<I>> splits;
  collective_check(grid.world(), [&] {
    raw = io::ogb_raw_dir(dir);
    // Per vertex on every rank: a label, a permutation entry, and this
    // rank's share of the row arrays.
    n = io::ogb_vertex_count<I>(
        raw, 2 * sizeof(std::int64_t) + ::matsample::detail::csr_assembly<V, I, O>::bytes_needed(1, 0, false) /
                                            static_cast<double>(grid.rows()));
    if (options.read_features) feat = io::find_csv(raw, "node-feat");
    io::read_ogb_labels_and_splits(dir, n, options, labels, splits);
    if (!permutation.empty()) {
      (void)::matsample::detail::inverse_permutation(permutation, n, "read_ogb_partitioned");
      if (!labels.empty()) {
        std::vector<std::int32_t> relabelled(labels.size());
        for (std::int64_t v = 0; v < n; ++v) relabelled[permutation[v]] = labels[v];
        labels.swap(relabelled);
      }
      for (auto& [name, ids] : splits) {
        for (auto& v : ids) v = permutation[v];
      }
    }
  });
  // What happens next depends on n and on whether there are features: all
  // ranks must have seen the same directory.
  std::int64_t seen[4] = {n, -n, feat ? 1 : 0, feat ? -1 : 0};
  check(MPI_Allreduce(MPI_IN_PLACE, seen, 4, MPI_INT64_T, MPI_MAX, grid.world()), "MPI_Allreduce");
  collective_check(grid.world(), [&] {
    if (seen[0] != -seen[1] || seen[2] != -seen[3]) {
      throw format_error(::matsample::detail::concat(dir.string(), ": the ranks see different datasets"));
    }
  });
  auto local = detail::load_edge_block<V, I, O>(grid, raw, n, options, permutation, moved);
  distributed_csr<V, I, O> graph(grid, n, n, std::move(local), false);
  feature_block features{{n, grid.rows()}, 0, {}};
  if (feat) features = detail::load_feature_block<I>(grid, *feat, n, permutation, moved);
  return {std::move(graph), std::move(features), std::move(labels), std::move(splits)};
}

}  // namespace matsample::mpi
