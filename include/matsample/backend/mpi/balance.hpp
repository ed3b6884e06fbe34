#pragma once
// Load balance across ranks. DistDGL found unequal minibatches to be the main
// drag of distributed sampling, so ranks take contiguous runs of minibatches
// cut where the estimated work, not the count, is split evenly. Contiguous
// runs keep every minibatch's global number, hence its random streams: the
// union of the ranks' samples is the single-process sample.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/batch_list.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"

namespace matsample::mpi {

/// Work of each minibatch: its seeds plus their degrees (the first layer's
/// gather; deeper layers grow with it).
template <class V, index_type I, index_type O>
std::vector<double> estimated_work(const csr_view<V, I, O>& a, const batch_list<I>& batches) {
  validate_seeds(a, batches);
  std::vector<double> work(static_cast<std::size_t>(batches.size()), 0.0);
  for (std::int64_t m = 0; m < batches.size(); ++m) {
    for (const I v : batches.batch(m)) work[m] += 1.0 + static_cast<double>(a.degree(v));
  }
  return work;
}

/// estimated_work over a distributed graph, where no rank knows every
/// degree: each rank adds the degrees of the seeds in its own rows (the part
/// in its tile, in 2D), and one sum over ranks holding disjoint parts of A
/// completes every estimate. Degrees are integers, so the sum is exact in any
/// order and the result equals the whole graph's. Collective; every rank
/// passes the same batches (a different count is refused on every rank).
template <class V, index_type I, index_type O>
std::vector<double> estimated_work(const distributed_csr_view<V, I, O>& a, const batch_list<I>& batches) {
  validate_seeds(a, batches);
  std::int64_t count[2] = {batches.size(), -batches.size()};
  check(MPI_Allreduce(MPI_IN_PLACE, count, 2, MPI_INT64_T, MPI_MAX, a.grid().world()), "MPI_Allreduce");
  if (count[0] != -count[1]) {
    throw argument_error(detail::concat("estimated_work: the ranks pass between ", -count[1], " and ", count[0],
                                        " minibatches; every rank must pass the same ones"));
  }
  const auto& local = a.local();
  const std::int64_t first = a.first_row(), end = first + local.rows();
  std::vector<double> work(static_cast<std::size_t>(batches.size()), 0.0);
  for (std::int64_t m = 0; m < batches.size(); ++m) {
    for (const I v : batches.batch(m)) {
      if (v >= first && v < end) work[m] += static_cast<double>(local.degree(static_cast<I>(v - first)));
    }
  }
  // 1.5D: the column communicator holds one replica of every block; 2D: every tile counts.
  const MPI_Comm holders = a.tiled() ? a.grid().world() : a.grid().col_comm();
  all_reduce(holders, std::span<double>(work), MPI_SUM);
  for (std::int64_t m = 0; m < batches.size(); ++m) work[m] += static_cast<double>(batches.batch(m).size());
  return work;
}

/// parts + 1 cut points over the minibatches: part r takes [cuts[r], cuts[r+1]),
/// each cut where the running work first reaches r/parts of the total.
inline std::vector<std::int64_t> balanced_cuts(std::span<const double> work, int parts) {
  if (parts < 1) throw argument_error(detail::concat("balanced_cuts: ", parts, " parts"));
  std::vector<double> running(work.size() + 1, 0.0);
  for (std::size_t m = 0; m < work.size(); ++m) {
    if (!(work[m] >= 0)) throw argument_error(detail::concat("balanced_cuts: work of minibatch ", m, " is ", work[m]));
    running[m + 1] = running[m] + work[m];
  }
  std::vector<std::int64_t> cuts{0};
  for (int r = 1; r < parts; ++r) {
    const double target = running.back() * r / parts;
    // The cut nearest the target, never before the previous one.
    auto it = std::lower_bound(running.begin(), running.end(), target);
    if (it != running.begin() && it != running.end() && target - *(it - 1) < *it - target) --it;
    cuts.push_back(std::max(cuts.back(), static_cast<std::int64_t>(it - running.begin())));
  }
  cuts.push_back(static_cast<std::int64_t>(work.size()));
  return cuts;
}

}  // namespace matsample::mpi
