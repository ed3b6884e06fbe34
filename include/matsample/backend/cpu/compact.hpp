#pragma once
// cpu_backend::compact_blocks: per-minibatch relabelling into blocks.
// Included by backend.hpp.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/backend/cpu/first_occurrence.hpp"
#include "matsample/backend/cpu/hash_map.hpp"
#include "matsample/backend/cpu/scratch.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/parallel.hpp"

namespace matsample {

template <class V, index_type I, index_type O>
block_set<V, I, O> cpu_backend::compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q,
                                               bool deduplicate) const {
  validate_batches(q);
  if (s.rows() != q.rows()) {
    throw argument_error(detail::concat("compact_blocks: ", s.rows(), " sampled rows for ", q.rows(), " destinations"));
  }
  check_all_rows(s, "compact_blocks");
  const std::int64_t k = q.batches();
  block_set<V, I, O> out = block_set_layout<V, I, O>(q.batch_offsets, s.indptr(), threads_);
  // Block m's source nodes fit in n_dst + n_edges slots; lay those bounds end to end.
  const std::vector<std::int64_t> bound_offset = source_node_bounds(out);
  out.values.assign(s.values().begin(), s.values().end());
  auto nodes_bound = detail::uninitialized<I>(bound_offset[k]);
  std::vector<std::int64_t> node_count(static_cast<std::size_t>(k));
  detail::first_failure duplicate;
  // With at most threads / 2 minibatches, large ones are relabelled by all
  // threads together, one after the other; the rest one per thread. The
  // shared relabelling does about twice the work of one thread's
  // (first_occurrence.hpp), so it pays from 4 threads on.
  const auto shared = [&](std::int64_t m) {
    return deduplicate && threads_ >= 4 && 2 * k <= threads_ &&
           bound_offset[m + 1] - bound_offset[m] >= detail::parallel_relabel_threshold;
  };

#pragma omp parallel num_threads(threads_)
  {
    detail::scratch_hash_map<I, I> local;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t m = 0; m < k; ++m) {
      if (shared(m)) continue;
      const std::int64_t r0 = q.batch_offsets[m], r1 = q.batch_offsets[m + 1];
      const std::int64_t e0 = out.edge_offsets[m], e1 = out.edge_offsets[m + 1];
      I* nodes = nodes_bound.get() + bound_offset[m];
      I n = 0;
      if (deduplicate) local.reset((r1 - r0) + (e1 - e0));
      bool fresh = false;
      for (std::int64_t r = r0; r < r1; ++r) {
        if (deduplicate) {
          local.find_or_insert(q.vertices[r], n, fresh);
          if (!fresh) duplicate.record(m);
        }
        nodes[n++] = q.vertices[r];
      }
      for (std::int64_t e = e0; e < e1; ++e) {
        const I c = s.indices()[e];
        if (deduplicate && e + detail::prefetch_distance < e1)
          local.prefetch(s.indices()[e + detail::prefetch_distance]);
        if (deduplicate) {
          const auto slot = local.find_or_insert(c, n, fresh);
          if (fresh) nodes[n++] = c;
          out.indices[e] = local.value(slot);
        } else {
          out.indices[e] = n;
          nodes[n++] = c;
        }
      }
      node_count[m] = n;
    }
  }
  for (std::int64_t m = 0; m < k; ++m) {
    if (!shared(m)) continue;
    const std::int64_t r0 = q.batch_offsets[m], r1 = q.batch_offsets[m + 1];
    const std::int64_t e0 = out.edge_offsets[m], e1 = out.edge_offsets[m + 1];
    const auto result =
        detail::relabel_by_first_occurrence(q.vertices.subspan(r0, r1 - r0), s.indices().subspan(e0, e1 - e0),
                                            nodes_bound.get() + bound_offset[m], out.indices.data() + e0, threads_);
    if (result.repeated_head) duplicate.record(m);
    node_count[m] = result.distinct;
  }
  if (duplicate.failed()) {
    const auto m = duplicate.index();
    std::vector<I> dst(q.vertices.begin() + q.batch_offsets[m], q.vertices.begin() + q.batch_offsets[m + 1]);
    std::sort(dst.begin(), dst.end());
    detail::throw_duplicate_destination(*std::adjacent_find(dst.begin(), dst.end()),
                                        static_cast<std::int64_t>(q.first_batch) + m);
  }
  set_node_counts(out, node_count);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
  for (std::int64_t m = 0; m < k; ++m) {
    std::copy_n(nodes_bound.get() + bound_offset[m], node_count[m], out.src_nodes.begin() + out.node_offsets[m]);
  }
  return out;
}

}  // namespace matsample
