#pragma once
// Link prediction splits on disk, in the spirit of the OGB layout: one CSV
// of "u,v" lines per part (train.csv, valid.csv, test.csv,
// valid_negative.csv, test_negative.csv) in a directory of their own, so a
// split is made once and every later run reads the same pairs.

#include <array>
#include <filesystem>
#include <string>
#include <utility>

#include "matsample/core/build.hpp"
#include "matsample/core/edge_split.hpp"
#include "matsample/core/error.hpp"
#include "matsample/io/edge_list.hpp"
#include "matsample/io/writers.hpp"

namespace matsample {

namespace io {

/// The file of each part, in the order write_edge_split writes them.
inline constexpr std::array<const char*, 5> edge_split_files = {"train.csv", "valid.csv", "test.csv",
                                                                "valid_negative.csv", "test_negative.csv"};

/// Writes `pairs` of a graph of `n` vertices as "u,v" lines, sorted.
template <class I>
void write_pairs(const std::filesystem::path& path, std::int64_t n, const edge_pairs<I>& pairs) {
  const auto m = csr_from_edges<float, I, std::int64_t>(n, pairs.src, pairs.dst);
  write_edge_list(path, m.view(), {.separator = ','});
}

/// Reads "u,v" lines naming vertices of a graph of `n` vertices; the
/// pairs come back sorted by (u, v), repeats kept.
template <class I>
edge_pairs<I> read_pairs(const std::filesystem::path& path, std::int64_t n) {
  const auto m = read_edge_list<float, I, std::int64_t>(path, {.num_vertices = n});
  edge_pairs<I> out;
  for (I u = 0; u < m.rows(); ++u) {
    for (auto e = m.view().row_begin(u); e < m.view().row_end(u); ++e) {
      out.src.push_back(u);
      out.dst.push_back(m.view().indices()[static_cast<std::size_t>(e)]);
    }
  }
  return out;
}

}  // namespace io

/// Writes the five parts of `split` for a graph of `n` vertices into `dir`
/// (created if needed); each file appears complete or not at all.
template <class V, index_type I, index_type O>
void write_edge_split(const std::filesystem::path& dir, std::int64_t n, const edge_split<V, I, O>& split) {
  std::filesystem::create_directories(dir);
  const std::array<const edge_pairs<I>*, 5> parts = {&split.train, &split.valid, &split.test, &split.valid_negatives,
                                                     &split.test_negatives};
  for (std::size_t i = 0; i < parts.size(); ++i) io::write_pairs(dir / io::edge_split_files[i], n, *parts[i]);
}

/// Whether `dir` holds a written split (all five files).
inline bool has_edge_split(const std::filesystem::path& dir) {
  for (const char* f : io::edge_split_files) {
    if (!std::filesystem::is_regular_file(dir / f)) return false;
  }
  return true;
}

/// Reads the split of graph `a` written to `dir`: the held-out parts and
/// negatives from their files, the train graph and pairs rebuilt from A.
/// Throws the readers' errors for a malformed file, argument_error for a
/// held-out pair that is no edge of A (or a negative that is one), and
/// format_error when train.csv is not what A and the held-out parts give
/// (the graph changed since the split was written).
template <class V, index_type I, index_type O>
edge_split<V, I, O> read_edge_split(const std::filesystem::path& dir, const csr_view<V, I, O>& a, bool undirected) {
  const std::int64_t n = a.rows();
  auto split = edge_split_from_parts(a, io::read_pairs<I>(dir / "valid.csv", n), io::read_pairs<I>(dir / "test.csv", n),
                                     io::read_pairs<I>(dir / "valid_negative.csv", n),
                                     io::read_pairs<I>(dir / "test_negative.csv", n), undirected);
  if (io::read_pairs<I>(dir / "train.csv", n) != split.train) {
    throw format_error(detail::concat((dir / "train.csv").string(),
                                      ": the training pairs differ from the graph's edges without the held-out ones; "
                                      "was the split written for another graph?"));
  }
  return split;
}

}  // namespace matsample
