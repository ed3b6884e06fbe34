#pragma once
// What the trainer samples from: the library's samplers (bound with their
// options in trainer.hpp) and, for the GCN model, the propagation matrix
// that the samplers then read.

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers.hpp"
#include "matsample/algebra/blocks.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/labor.hpp"
#include "matsample/sampling/layerwise.hpp"
#include "matsample/sampling/nodewise.hpp"

namespace graphsage {

/// GCN's propagation matrix D^-1/2 (A + I) D^-1/2, the graph the GCN model
/// runs on (and so the matrix LADIES and FastGCN sample from for it): a self
/// loop of weight 1 is added to every row that lacks one (first in the row),
/// and d_i is row i's weight sum after that. The GCN layer has no separate
/// self transform; a vertex's own features reach it through this self loop.
template <matsample::index_type I, matsample::index_type O>
matsample::csr_matrix<float, I, O> gcn_propagation(const matsample::csr_view<float, I, O>& a) {
  const I n = a.rows();
  std::vector<O> indptr(static_cast<std::size_t>(n) + 1, O{0});
  std::vector<double> degree(static_cast<std::size_t>(n), 0.0);
  std::vector<char> has_loop(static_cast<std::size_t>(n), 0);
  for (I r = 0; r < n; ++r) {
    for (O e = a.row_begin(r); e < a.indptr()[r + 1]; ++e) {
      has_loop[r] |= a.indices()[e] == r;
      degree[r] += static_cast<double>(a.value(e));
    }
    if (!has_loop[r]) degree[r] += 1;
    indptr[r + 1] = indptr[r] + (a.indptr()[r + 1] - a.row_begin(r)) + (has_loop[r] ? 0 : 1);
  }
  std::vector<I> indices(static_cast<std::size_t>(indptr[n]));
  std::vector<float> values(indices.size());
  const auto norm = [&](I i, I j, double w) {
    return static_cast<float>(degree[i] > 0 && degree[j] > 0 ? w / std::sqrt(degree[i] * degree[j]) : 0.0);
  };
  for (I r = 0; r < n; ++r) {
    O at = indptr[r];
    if (!has_loop[r]) {
      indices[at] = r;
      values[at++] = norm(r, r, 1.0);
    }
    for (O e = a.row_begin(r); e < a.indptr()[r + 1]; ++e, ++at) {
      indices[at] = a.indices()[e];
      values[at] = norm(r, a.indices()[e], static_cast<double>(a.value(e)));
    }
  }
  return matsample::csr_matrix<float, I, O>(n, n, std::move(indptr), std::move(indices), std::move(values));
}

}  // namespace graphsage
