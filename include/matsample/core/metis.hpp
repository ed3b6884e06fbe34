#pragma once
// METIS-based relabelling (target matsample::metis, Debian's libmetis-dev).
// Numbering the vertices part by part after a k-way partition makes the row
// blocks of a block distribution follow METIS's parts, so few edges cross
// blocks and distributed sampling fetches fewer remote rows. The random
// relabelling of relabel.hpp balances work instead; this one cuts volume.

#include <metis.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"

namespace matsample {

/// A permutation (vertex i becomes perm[i], as relabel_vertices takes it)
/// that numbers METIS's `parts` parts one after another, vertices of a part
/// in id order. METIS gets A + Aᵀ without self loops (it requires a
/// symmetric graph); its seed is `seed`, so the result is reproducible.
template <class V, index_type I, index_type O>
std::vector<I> metis_permutation(const csr_view<V, I, O>& a, int parts, std::uint64_t seed = 1) {
  if (a.rows() != a.cols()) {
    throw argument_error(
        detail::concat("metis_permutation: the matrix must be square, got ", a.rows(), " x ", a.cols()));
  }
  if (parts < 1) throw argument_error(detail::concat("metis_permutation: ", parts, " parts"));
  const std::int64_t n = a.rows();
  std::vector<I> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), I{0});
  if (parts == 1 || n <= parts) return perm;
  validate(a);
  // METIS's idx_t is 32-bit in Debian's build: refuse what would wrap.
  if (n > std::numeric_limits<idx_t>::max() ||
      2 * static_cast<std::int64_t>(a.nnz()) > std::numeric_limits<idx_t>::max()) {
    throw index_overflow_error(detail::concat("metis_permutation: ", n, " vertices and ", a.nnz(),
                                              " entries exceed METIS's ", sizeof(idx_t) * 8, "-bit indices"));
  }
  std::vector<I> src, dst;
  for (I r = 0; r < a.rows(); ++r) {
    for (O e = a.row_begin(r); e < a.row_end(r); ++e) {
      src.push_back(r);
      dst.push_back(a.indices()[e]);
    }
  }
  const auto sym = csr_from_edges<float, I, std::int64_t>(
      n, src, dst, {}, {.symmetrize = true, .drop_self_loops = true, .merge_duplicates = true});
  std::vector<idx_t> xadj(sym.indptr().begin(), sym.indptr().end()), adjncy(sym.indices().begin(), sym.indices().end());
  idx_t nvtxs = static_cast<idx_t>(n), ncon = 1, nparts = parts, cut = 0;
  std::vector<idx_t> part(static_cast<std::size_t>(n), 0);
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_NUMBERING] = 0;
  options[METIS_OPTION_SEED] = static_cast<idx_t>(seed % static_cast<std::uint64_t>(std::numeric_limits<idx_t>::max()));
  const int status = METIS_PartGraphKway(&nvtxs, &ncon, xadj.data(), adjncy.data(), nullptr, nullptr, nullptr, &nparts,
                                         nullptr, nullptr, options, &cut, part.data());
  if (status != METIS_OK) {
    throw error(detail::concat("metis_permutation: METIS_PartGraphKway failed (",
                               status == METIS_ERROR_MEMORY  ? "out of memory"
                               : status == METIS_ERROR_INPUT ? "bad input"
                                                             : "error",
                               ")"));
  }
  std::vector<std::int64_t> start(static_cast<std::size_t>(parts) + 1, 0);
  for (const idx_t p : part) ++start[static_cast<std::size_t>(p) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  for (std::int64_t v = 0; v < n; ++v) perm[v] = static_cast<I>(start[part[v]]++);
  return perm;
}

}  // namespace matsample
