#pragma once
// The device kernels of the CUDA backend: thin launch code around the kernel
// bodies of algebra/row_kernels.hpp and algebra/row_sampling.hpp (the same
// bodies the CPU backend and the CPU unit tests run), with CUB for scans,
// sorts and run-length encoding. Every kernel checks the rows it reads on
// the device; on a failure the matrix is copied to the host once and
// diagnosed there with the host backends' own messages.

#include <cuda_runtime.h>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/backend/cuda/memory.cuh"
#include "matsample/backend/cuda/primitives.cuh"
#include "matsample/core/index.hpp"

namespace matsample::cuda::detail {

using matsample::detail::concat;

/// Throws the host backends' message for row `v` of m (position `at` of `what`).
template <class V, index_type I, index_type O>
[[noreturn]] void diagnose_on_host(const device_csr_view<V, I, O>& m, std::int64_t v, const char* what, std::int64_t at,
                                   cudaStream_t stream) {
  const auto host = matsample::detail::download_trusted(m, stream);
  matsample::detail::diagnose_row(host.view(), v, what, at);
  throw csr_error(concat(what, ": row ", v, " failed a device check"));  // unreachable when the host agrees
}

/// Every row of m sound (extent and columns), as the CPU's check_all_rows.
template <class V, index_type I, index_type O>
void check_all_rows(const device_csr_view<V, I, O>& m, const char* what, cudaStream_t stream) {
  if (m.rows() == 0) return;
  device_first_failure bad(stream);
  const auto a = m.arrays();
  long long* slot = bad.slot();
  for_each_index(m.rows(), stream, [=] __device__(std::int64_t r) {
    if (!a.row_sound(r)) record_failure(slot, r);
  });
  if (const auto r = bad.index(); r >= 0) diagnose_on_host(m, r, what, r, stream);
}

/// Offsets as O from int64 prefix sums.
template <class O>
device_buffer<O> narrow_offsets(const std::int64_t* offsets, std::int64_t n, cudaStream_t stream) {
  device_buffer<O> out(n + 1, stream, "row offsets");
  O* o = out.data();
  for_each_index(n + 1, stream, [=] __device__(std::int64_t i) { o[i] = static_cast<O>(offsets[i]); });
  return out;
}

/// Selects from row source(r) of m, for every stacked row r of q, the
/// entries that `rule` keeps (algebra/row_rule.hpp; the CPU backend's
/// sample_selected_rows and select_by_rule): extents, a scan of the bounds,
/// one thread per row running the rule's select, and a pack of rows that
/// kept fewer. Rows whose rule needs scratch (weighted rows' CDFs) are drawn
/// in chunks whose scratch fits `budget` bytes (0: half the free device
/// memory). A rule's per-entry table (entry_table) is copied to the device.
template <class V, index_type I, index_type O, row_rule Rule>
device_csr_matrix<V, I, O> sample_selected_rows(const device_csr_view<V, I, O>& m, bool gathered,
                                                const stacked_selection<I>& q, const Rule& host_rule,
                                                std::uint64_t seed, std::uint64_t layer, const char* what,
                                                std::size_t budget, cudaStream_t stream) {
  const std::int64_t rows = q.rows();
  const auto arr = m.arrays();
  Rule rule = host_rule;
  device_buffer<double> entry_table;
  if constexpr (requires { host_rule.entry_table(); }) {
    if (host_rule.entry_table() != nullptr) {
      entry_table = upload(std::span<const double>(host_rule.entry_table(), static_cast<std::size_t>(m.nnz())), stream,
                           "rule's entry table");
      rule = host_rule.with_entry_table(entry_table.data());
    }
  }
  const bool weighted = rule.reads_weights(m.has_values());
  // Whole rows copied (gather_rows) need no positions and no draws.
  bool sampling = true;
  if constexpr (std::same_as<Rule, row_sampling>) sampling = rule.fanout >= 0 || weighted;
  device_buffer<I> source_buf;
  if (gathered) source_buf = upload(q.vertices, stream, "selected rows");
  const I* src = source_buf.data();
  const auto source_of = [&](std::int64_t r) -> std::int64_t { return gathered ? q.vertices[r] : r; };

  // Pass 1: extents and bounds (and, for weighted rows, the CDF scratch size).
  device_buffer<std::int64_t> begin(rows, stream, "row extents"), degree(rows + 1, stream, "row degrees"),
      bound(rows + 1, stream, "row bounds"), scratch_size(rows + 1, stream, "row scratch");
  std::int64_t* b_ = begin.data();
  std::int64_t* d_ = degree.data();
  std::int64_t* n_ = bound.data();
  std::int64_t* s_ = scratch_size.data();
  {
    device_first_failure bad(stream);
    long long* slot = bad.slot();
    for_each_index(rows, stream, [=] __device__(std::int64_t r) {
      const std::int64_t v = gathered ? static_cast<std::int64_t>(src[r]) : r;
      if (!arr.row_ok(v)) {
        record_failure(slot, r);
        b_[r] = d_[r] = n_[r] = s_[r] = 0;
        return;
      }
      b_[r] = arr.indptr[v];
      d_[r] = arr.indptr[v + 1] - arr.indptr[v];
      n_[r] = rule.bound(d_[r]);
      s_[r] = rule.scratch(d_[r]);
    });
    if (const auto r = bad.index(); r >= 0) diagnose_on_host(m, source_of(r), what, r, stream);
  }
  device_buffer<std::int64_t> offset(rows + 1, stream, "sampled row offsets");
  const std::int64_t capacity = exclusive_sum(bound.data(), offset.data(), rows, stream);
  (void)checked_cast<O>(capacity, "entries of the sampled rows");
  device_buffer<std::int64_t> cdf_offset;
  std::vector<std::pair<std::int64_t, std::int64_t>> draws{{0, rows}};  // row chunks of pass 2
  std::int64_t cdf_room = 0;
  // Only weighted row_sampling among the existing rules needs scratch; any other rule is asked.
  if (!std::same_as<Rule, row_sampling> || weighted) {
    cdf_offset = device_buffer<std::int64_t>(rows + 1, stream, "CDF offsets");
    const std::int64_t cdf_total = exclusive_sum(scratch_size.data(), cdf_offset.data(), rows, stream);
    const auto cap = std::max<std::int64_t>(1, static_cast<std::int64_t>(scratch_budget(budget) / sizeof(double)));
    cdf_room = cdf_total;
    if (cdf_total > cap) {
      const auto prefix = download(cdf_offset.data(), rows + 1, stream);
      draws = chunk_ranges(prefix, cap);
      cdf_room = 0;
      for (const auto& [r0, r1] : draws) cdf_room = std::max(cdf_room, prefix[r1] - prefix[r0]);
    }
  }
  device_buffer<I> indices(capacity, stream, "sampled columns");
  device_buffer<V> values(rule.writes_values(m.has_values()) ? capacity : 0, stream, "sampled values");
  device_buffer<std::int64_t> positions(sampling ? capacity : 0, stream, "sampled positions");
  device_buffer<double> cdf(cdf_room, stream, "row CDFs");
  device_buffer<std::int64_t> kept(rows + 1, stream, "kept entries");
  device_buffer<std::int64_t> batch_offsets;
  if (sampling && q.batches() > 0) batch_offsets = upload(q.batch_offsets, stream, "minibatch offsets");

  // Pass 2: draw and copy, one thread per row, chunk by chunk (the chunks
  // reuse one CDF buffer: they run in stream order).
  {
    device_first_failure bad(stream);
    long long* slot = bad.slot();
    const std::int64_t* off = offset.data();
    const std::int64_t* coff = cdf_offset.data();
    const std::int64_t* boff = batch_offsets.data();
    const std::int64_t k = batch_offsets.empty() ? 0 : q.batches();
    const std::uint64_t epoch = q.epoch, first_batch = q.first_batch;
    std::int64_t* pos = positions.data();
    double* cdf_ = cdf.data();
    I* out_i = indices.data();
    V* out_v = values.empty() ? nullptr : values.data();
    std::int64_t* kept_ = kept.data();
    for (const auto& [r0, r1] : draws) {
      const std::int64_t first = r0;
      for_each_index(r1 - r0, stream, [=] __device__(std::int64_t i) {
        const std::int64_t r = first + i;
        if (n_[r] == 0) {
          kept_[r] = 0;
          return;
        }
        const draw_address at = k > 0 ? kernels::row_address(boff, k, epoch, first_batch, r) : draw_address{};
        const auto st =
            rule.select(arr, b_[r], d_[r], row_context{seed, layer, at}, pos == nullptr ? nullptr : pos + off[r],
                        coff == nullptr ? nullptr : cdf_ + (coff[r] - coff[first]), out_i + off[r],
                        out_v == nullptr ? nullptr : out_v + off[r]);
        if (st.bad_weight || st.bad_column) record_failure(slot, r);
        kept_[r] = st.kept;
      });
    }
    if (const auto r = bad.index(); r >= 0) {  // the same order as the CPU: weights, then columns
      const auto host = matsample::detail::download_trusted(m, stream);
      if (weighted && matsample::detail::row_has_bad_weight(host.view(), source_of(r))) {
        matsample::detail::throw_bad_weight(host.view(), source_of(r), q, r, layer);
      }
      matsample::detail::diagnose_row(host.view(), source_of(r), what, r);
    }
  }
  // Weighted rows that ran out of positive weight leave gaps: close them.
  device_buffer<std::int64_t> packed(rows + 1, stream, "packed row offsets");
  const std::int64_t total = exclusive_sum(kept.data(), packed.data(), rows, stream);
  if (total != capacity) {
    device_buffer<I> packed_indices(total, stream, "sampled columns");
    device_buffer<V> packed_values(values.empty() ? 0 : total, stream, "sampled values");
    const std::int64_t* off = offset.data();
    const std::int64_t* poff = packed.data();
    const I* in_i = indices.data();
    const V* in_v = values.data();
    I* pi = packed_indices.data();
    V* pv = packed_values.empty() ? nullptr : packed_values.data();
    for_each_index(rows, stream, [=] __device__(std::int64_t r) {
      for (std::int64_t j = 0; j < poff[r + 1] - poff[r]; ++j) {
        pi[poff[r] + j] = in_i[off[r] + j];
        if (pv != nullptr) pv[poff[r] + j] = in_v[off[r] + j];
      }
    });
    indices = std::move(packed_indices);
    values = std::move(packed_values);
  }
  auto indptr = narrow_offsets<O>(packed.data(), rows, stream);
  return {checked_cast<I>(rows, "rows of the sampled matrix"),
          m.cols(),
          static_cast<O>(total),
          std::move(indptr),
          std::move(indices),
          std::move(values)};
}

/// M·C for a block-diagonal column selection (select_columns).
template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> select_columns(const device_csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                          std::span<const I> columns, std::span<const std::int64_t> column_blocks,
                                          cudaStream_t stream) {
  matsample::detail::check_column_blocks(m, row_blocks, columns, column_blocks);
  check_all_rows(m, "select_columns", stream);
  const std::int64_t rows = m.rows(), k = static_cast<std::int64_t>(row_blocks.size()) - 1;
  const auto arr = m.arrays();
  auto d_rows = upload(row_blocks, stream, "row blocks");
  auto d_cols = upload(columns, stream, "selected columns");
  auto d_cblk = upload(column_blocks, stream, "column blocks");
  const std::int64_t* rb = d_rows.data();
  const I* cols = d_cols.data();
  const std::int64_t* cb = d_cblk.data();
  device_buffer<std::int64_t> count(rows + 1, stream, "selected entries per row");
  std::int64_t* cnt = count.data();
  for_each_index(rows, stream, [=] __device__(std::int64_t r) {
    const std::int64_t blk = kernels::block_of(rb, k, r);
    cnt[r] = kernels::select_row<V, I, O>(arr, r, cols, cb[blk], cb[blk + 1], nullptr, nullptr);
  });
  device_buffer<std::int64_t> offset(rows + 1, stream, "selected row offsets");
  const std::int64_t nnz = exclusive_sum(count.data(), offset.data(), rows, stream);
  (void)checked_cast<O>(nnz, "entries of M·C");
  device_buffer<I> indices(nnz, stream, "selected columns");
  device_buffer<V> values(m.has_values() ? nnz : 0, stream, "selected values");
  const std::int64_t* off = offset.data();
  I* out_i = indices.data();
  V* out_v = values.empty() ? nullptr : values.data();
  for_each_index(rows, stream, [=] __device__(std::int64_t r) {
    const std::int64_t blk = kernels::block_of(rb, k, r);
    kernels::select_row<V, I, O>(arr, r, cols, cb[blk], cb[blk + 1], out_i + off[r],
                                 out_v == nullptr ? nullptr : out_v + off[r]);
  });
  auto indptr = narrow_offsets<O>(offset.data(), rows, stream);
  return {m.rows(),
          checked_cast<I>(columns.size(), "columns of C"),
          static_cast<O>(nnz),
          std::move(indptr),
          std::move(indices),
          std::move(values)};
}

/// P⟨¬X⟩ (exclude_entries): one thread per row counts and then writes the
/// entries its minibatch does not exclude; the pairs and offsets are uploaded.
template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> exclude_entries(const device_csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                           const excluded_edges<I>& excluded, cudaStream_t stream) {
  matsample::detail::check_exclusion(p, q, excluded);
  check_all_rows(p, "exclude_entries", stream);
  const std::int64_t rows = p.rows(), k = q.batches();
  const bool any = !excluded.offsets.empty();
  const auto arr = p.arrays();
  auto d_vertices = upload(q.vertices, stream, "selected vertices");
  auto d_batches = upload(q.batch_offsets, stream, "batch offsets");
  auto d_offsets = upload(excluded.offsets, stream, "exclusion offsets");
  auto d_src = upload(excluded.src, stream, "excluded sources");
  auto d_dst = upload(excluded.dst, stream, "excluded destinations");
  const I* vertices = d_vertices.data();
  const std::int64_t* batches = d_batches.data();
  const std::int64_t* ex_off = any ? d_offsets.data() : nullptr;
  const I* ex_src = d_src.data();
  const I* ex_dst = d_dst.data();
  const auto row = [=] __device__(std::int64_t r, I * out_i, V * out_v) {
    const std::int64_t m = kernels::block_of(batches, k, r);
    const std::int64_t begin = ex_off == nullptr ? 0 : ex_off[m], end = ex_off == nullptr ? 0 : ex_off[m + 1];
    return kernels::exclude_row<V, I, O>(arr, r, vertices[r], ex_src, ex_dst, begin, end, out_i, out_v);
  };
  device_buffer<std::int64_t> count(rows + 1, stream, "kept entries per row");
  std::int64_t* cnt = count.data();
  for_each_index(rows, stream, [=] __device__(std::int64_t r) { cnt[r] = row(r, nullptr, nullptr); });
  device_buffer<std::int64_t> offset(rows + 1, stream, "kept row offsets");
  const std::int64_t nnz = exclusive_sum(count.data(), offset.data(), rows, stream);
  device_buffer<I> indices(nnz, stream, "kept columns");
  device_buffer<V> values(p.has_values() ? nnz : 0, stream, "kept values");
  const std::int64_t* off = offset.data();
  I* out_i = indices.data();
  V* out_v = values.empty() ? nullptr : values.data();
  for_each_index(rows, stream, [=] __device__(std::int64_t r) {
    row(r, out_i + off[r], out_v == nullptr ? nullptr : out_v + off[r]);
  });
  auto indptr = narrow_offsets<O>(offset.data(), rows, stream);
  return {p.rows(), p.cols(), static_cast<O>(nnz), std::move(indptr), std::move(indices), std::move(values)};
}

/// A copy of a device array.
template <class T>
device_buffer<T> copy_of(const T* src, std::int64_t n, cudaStream_t stream, const char* what) {
  device_buffer<T> out(n, stream, what);
  if (n > 0)
    check(cudaMemcpyAsync(out.data(), src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice, stream),
          "cudaMemcpyAsync (device to device)");
  return out;
}

/// M·Π: entries keep row, order and value; column j becomes new_ids[j].
template <class V, index_type I, index_type O>
device_csr_matrix<V, I, O> relabel_columns(const device_csr_view<V, I, O>& m, std::span<const I> new_ids,
                                           std::int64_t new_cols, cudaStream_t stream) {
  matsample::detail::check_relabelling(m, new_ids, new_cols);
  check_all_rows(m, "relabel_columns", stream);
  auto ids = upload(new_ids, stream, "new column ids");
  const std::int64_t nnz = m.nnz();
  device_buffer<I> indices(nnz, stream, "relabelled columns");
  const I* in = m.indices();
  const I* map = ids.data();
  I* out = indices.data();
  for_each_index(nnz, stream, [=] __device__(std::int64_t e) { out[e] = map[in[e]]; });
  return {m.rows(),
          static_cast<I>(new_cols),
          m.nnz(),
          copy_of(m.indptr(), static_cast<std::int64_t>(m.rows()) + 1, stream, "row offsets"),
          std::move(indices),
          copy_of(m.values(), m.has_values() ? nnz : 0, stream, "values")};
}

struct max_of {
  __device__ std::int64_t operator()(std::int64_t a, std::int64_t b) const { return a > b ? a : b; }
};

/// Per-minibatch relabelling into blocks (compact_blocks). Each minibatch is
/// a sequence of items, its destinations then its sampled entries; items are
/// radix-sorted by (minibatch, vertex), stably, so the head of each run is a
/// vertex's first appearance; a scan of the heads in sequence order numbers
/// the source nodes. The block arrays come back to the host as a block_set.
template <class V, index_type I, index_type O>
block_set<V, I, O> compact_blocks(const device_csr_view<V, I, O>& s, const stacked_selection<I>& q, bool deduplicate,
                                  cudaStream_t stream) {
  validate_batches(q);
  if (s.rows() != q.rows()) {
    throw argument_error(concat("compact_blocks: ", s.rows(), " sampled rows for ", q.rows(), " destinations"));
  }
  check_all_rows(s, "compact_blocks", stream);
  const std::int64_t k = q.batches(), rows = q.rows(), nnz = s.nnz();
  // The layout is built on the host from S's row offsets, as the host backends build it.
  std::vector<O> s_indptr(static_cast<std::size_t>(rows) + 1, O{0});
  if (rows > 0) download(s_indptr.data(), s.indptr(), rows + 1, stream);
  block_set<V, I, O> out = block_set_layout<V, I, O>(q.batch_offsets, std::span<const O>(s_indptr));
  out.indices.resize(static_cast<std::size_t>(nnz));  // nnz: a device view does not tie it to the last offset
  // Minibatch m's items (destinations, then entries) start at item_offsets[m]:
  // the bounds on its source nodes, laid end to end.
  const std::vector<std::int64_t> item_offsets = source_node_bounds(out);
  if (s.has_values()) out.values = download(s.values(), nnz, stream);
  const std::int64_t items = rows + nnz;

  auto d_dst = upload(q.vertices, stream, "destination vertices");
  auto d_boff = upload(q.batch_offsets, stream, "minibatch offsets");
  auto d_eoff = upload(std::span<const std::int64_t>(out.edge_offsets), stream, "edge offsets");
  auto d_ioff = upload(std::span<const std::int64_t>(item_offsets), stream, "item offsets");
  const I* dst = d_dst.data();
  const I* sampled = s.indices();
  const std::int64_t* boff = d_boff.data();
  const std::int64_t* eoff = d_eoff.data();
  const std::int64_t* ioff = d_ioff.data();
  device_buffer<I> local(nnz, stream, "local column ids");
  I* loc = local.data();

  if (!deduplicate) {  // every entry is a new source node: the items are the source list
    device_buffer<I> nodes(items, stream, "source nodes");
    I* nd = nodes.data();
    for_each_index(items, stream, [=] __device__(std::int64_t i) {
      const std::int64_t m = kernels::block_of(ioff, k, i);
      nd[i] = kernels::item_vertex(dst, sampled, boff, eoff, m, i);
    });
    for_each_index(nnz, stream, [=] __device__(std::int64_t e) {
      const std::int64_t m = kernels::block_of(eoff, k, e);
      loc[e] = static_cast<I>((boff[m + 1] - boff[m]) + (e - eoff[m]));
    });
    download(out.indices.data(), local.data(), nnz, stream);
    out.src_nodes = download(nodes.data(), items, stream);
    out.node_offsets = item_offsets;
    return out;
  }

  // Keys (minibatch, vertex - vmin) must fit 64 bits.
  std::int64_t vmin = 0, vmax = static_cast<std::int64_t>(s.cols()) - 1;
  for (const I v : q.vertices) {
    vmin = std::min<std::int64_t>(vmin, v);
    vmax = std::max<std::int64_t>(vmax, v);
  }
  const auto span = static_cast<std::uint64_t>(vmax - vmin + 1);
  if (k > 0 && span > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(k)) {
    throw index_overflow_error("compact_blocks: (minibatch, vertex) keys exceed 64 bits");
  }
  device_buffer<std::uint64_t> keys(items, stream, "item keys"), keys_alt(items, stream, "item keys");
  device_buffer<std::int64_t> pos(items, stream, "item positions"), pos_alt(items, stream, "item positions");
  {
    std::uint64_t* ky = keys.data();
    std::int64_t* ps = pos.data();
    for_each_index(items, stream, [=] __device__(std::int64_t i) {
      const std::int64_t m = kernels::block_of(ioff, k, i);
      ky[i] = kernels::item_key(m, kernels::item_vertex(dst, sampled, boff, eoff, m, i), vmin, span);
      ps[i] = i;
    });
  }
  cub::DoubleBuffer<std::uint64_t> kb(keys.data(), keys_alt.data());
  cub::DoubleBuffer<std::int64_t> pb(pos.data(), pos_alt.data());
  radix_sort_pairs(kb, pb, items, key_bits(static_cast<std::uint64_t>(std::max<std::int64_t>(k, 1)) * span), stream);
  const std::uint64_t* sk = kb.Current();
  const std::int64_t* sp = pb.Current();

  // Run heads: rep[i] is the item where item i's vertex first appears.
  device_buffer<std::int64_t> head_at(items, stream, "run heads"), first(items + 1, stream, "first appearances"),
      rank(items + 1, stream, "source ranks");
  std::int64_t* ha = head_at.data();
  std::int64_t* fi = first.data();
  device_first_failure duplicate(stream);
  long long* dup = duplicate.slot();
  for_each_index(items, stream, [=] __device__(std::int64_t t) {
    const bool head = t == 0 || sk[t] != sk[t - 1];
    fi[sp[t]] = head ? 1 : 0;
    // Destinations come first in a minibatch's sequence, so a destination that
    // is not a run head repeats an earlier destination.
    if (!head) {
      const std::int64_t i = sp[t], m = kernels::block_of(ioff, k, i);
      if (i - ioff[m] < boff[m + 1] - boff[m]) record_failure(dup, m);
    }
    ha[t] = head ? t : 0;
  });
  if (const auto m = duplicate.index(); m >= 0) {
    std::vector<I> d(q.vertices.begin() + q.batch_offsets[m], q.vertices.begin() + q.batch_offsets[m + 1]);
    std::sort(d.begin(), d.end());
    matsample::detail::throw_duplicate_destination(*std::adjacent_find(d.begin(), d.end()),
                                                   static_cast<std::int64_t>(q.first_batch) + m);
  }
  {  // run start per sorted slot: an inclusive max-scan of head positions
    std::size_t bytes = 0;
    const max_of max_op;
    check(cub::DeviceScan::InclusiveScan(nullptr, bytes, ha, ha, max_op, items, stream),
          "cub::DeviceScan::InclusiveScan");
    device_buffer<std::byte> temp(static_cast<std::int64_t>(bytes), stream, "scan workspace");
    check(cub::DeviceScan::InclusiveScan(temp.data(), bytes, ha, ha, max_op, items, stream),
          "cub::DeviceScan::InclusiveScan");
  }
  device_buffer<std::int64_t> rep(items, stream, "first appearance per item");
  std::int64_t* rp = rep.data();
  for_each_index(items, stream, [=] __device__(std::int64_t t) { rp[sp[t]] = sp[ha[t]]; });
  const std::int64_t total_nodes = exclusive_sum(fi, rank.data(), items, stream);
  const std::int64_t* rk = rank.data();
  device_buffer<I> nodes(total_nodes, stream, "source nodes");
  I* nd = nodes.data();
  for_each_index(items, stream, [=] __device__(std::int64_t i) {
    if (rk[i + 1] == rk[i]) return;  // not a first appearance
    const std::int64_t m = kernels::block_of(ioff, k, i);
    nd[rk[i]] = kernels::item_vertex(dst, sampled, boff, eoff, m, i);
  });
  for_each_index(nnz, stream, [=] __device__(std::int64_t e) {
    const std::int64_t m = kernels::block_of(eoff, k, e);
    const std::int64_t i = ioff[m] + (boff[m + 1] - boff[m]) + (e - eoff[m]);
    loc[e] = static_cast<I>(rk[rp[i]] - rk[ioff[m]]);
  });
  download(out.indices.data(), local.data(), nnz, stream);
  out.src_nodes = download(nodes.data(), total_nodes, stream);
  device_buffer<std::int64_t> node_offsets(k + 1, stream, "source node offsets");
  std::int64_t* no = node_offsets.data();
  for_each_index(k + 1, stream, [=] __device__(std::int64_t m) { no[m] = rk[ioff[m]]; });
  out.node_offsets = download(node_offsets.data(), k + 1, stream);
  return out;
}

}  // namespace matsample::cuda::detail
