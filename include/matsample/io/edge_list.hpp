#pragma once
// Plain edge lists: one "source target [weight]" per line, separated by
// blanks and/or commas, with '#' or '%' comment lines and 0- or 1-based ids.

#include <cstdint>
#include <filesystem>
#include <span>

#include "matsample/core/build.hpp"
#include "matsample/io/coo_text.hpp"

namespace matsample {

struct edge_list_options {
  bool one_based = false;
  bool weighted = false;           ///< a third column holds the edge weight
  std::int64_t num_vertices = -1;  ///< -1: one more than the largest id
  build_options build{};           ///< symmetrize, drop self loops, merge duplicates
};

/// Reads an edge list (.gz through zlib) into an N x N CSR.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> read_edge_list(const std::filesystem::path& path, const edge_list_options& options = {}) {
  const io::text_file file(path);
  return io::read_coo_matrix<V, I, O>(
      file, 0, {options.one_based, options.weighted, options.num_vertices, options.num_vertices, "edge"}, options.build,
      [&](const io::coo_scan& scan) {
        if (scan.entries == 0) file.fail(file.text().size(), "no edges (only comments or blank lines)");
      });
}

}  // namespace matsample
