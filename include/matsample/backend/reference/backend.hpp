#pragma once
// The reference backend: serial, plain C++ and standard containers, written
// to be obviously correct rather than fast. Tests hold every other backend to
// it. It derives its random draws from the same documented draw numbering as
// algebra/row_sampling.hpp but implements the sampling algorithms itself.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/checks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/algebra/row_sampling.hpp"
#include "matsample/algebra/selection.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// The serial reference kernel set on host memory (satisfies kernel_set):
/// plain loops and standard containers, the oracle the tests hold every
/// other backend to.
struct reference_backend {
  using memory_space = host_memory;                 ///< Operands are host csr_view objects.
  static constexpr const char* name = "reference";  ///< Backend name in reports and tests.

  /// P = Q·A for a one-hot Q given by its column per row: copies rows of A.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> gather_rows(const csr_view<V, I, O>& a, std::span<const I> rows) const {
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    std::int64_t nnz = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      detail::check_row(a, rows[r], "row selection", static_cast<std::int64_t>(r));
      nnz = checked_add(nnz, a.degree(rows[r]), "entries of Q·A");
      indptr.push_back(checked_cast<O>(nnz, "entries of Q·A"));
    }
    for (const I v : rows) {
      detail::diagnose_row(a, v, "row selection", 0);  // columns of every copied entry
      for (O e = a.row_begin(v); e < a.row_end(v); ++e) {
        indices.push_back(a.indices()[e]);
        if (a.has_values()) values.push_back(a.values()[e]);
      }
    }
    return {detail::trusted,    checked_cast<I>(rows.size(), "rows of Q"),
            a.cols(),           std::move(indptr),
            std::move(indices), std::move(values)};
  }

  /// C = A·B with sorted output rows. Each output value is the sum of its
  /// products in the order they are met walking A's row, then B's rows.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> spgemm(const csr_view<V, I, O>& a, const csr_view<V, I, O>& b) const {
    check_inner(a.cols(), b.rows());
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (I r = 0; r < a.rows(); ++r) {
      detail::diagnose_row(a, r, "spgemm left operand", r);
      std::map<I, V> row;
      for (O e = a.row_begin(r); e < a.row_end(r); ++e) {
        const I k = a.indices()[e];
        detail::diagnose_row(b, k, "spgemm right operand", k);
        for (O f = b.row_begin(k); f < b.row_end(k); ++f) {
          auto [it, fresh] = row.try_emplace(b.indices()[f], V{0});
          it->second += a.value(e) * b.value(f);
        }
      }
      for (const auto& [c, v] : row) {
        indices.push_back(c);
        values.push_back(v);
      }
      indptr.push_back(checked_cast<O>(indices.size(), "entries of A·B"));
    }
    return {detail::trusted, a.rows(), b.cols(), std::move(indptr), std::move(indices), std::move(values)};
  }

  /// M·C for a block-diagonal column selection C: rows of M in block m keep
  /// the entries whose column is in block m's (ascending) column list, and
  /// column j of that list becomes column column_blocks[m] + j.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> select_columns(const csr_view<V, I, O>& m, std::span<const std::int64_t> row_blocks,
                                     std::span<const I> columns, std::span<const std::int64_t> column_blocks) const {
    detail::check_column_blocks(m, row_blocks, columns, column_blocks);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (std::size_t blk = 0; blk + 1 < row_blocks.size(); ++blk) {
      std::map<I, I> position;
      for (auto j = column_blocks[blk]; j < column_blocks[blk + 1]; ++j) position[columns[j]] = static_cast<I>(j);
      for (auto r = row_blocks[blk]; r < row_blocks[blk + 1]; ++r) {
        detail::diagnose_row(m, r, "select_columns", r);
        for (O e = m.row_begin(static_cast<I>(r)); e < m.row_end(static_cast<I>(r)); ++e) {
          if (auto it = position.find(m.indices()[e]); it != position.end()) {
            indices.push_back(it->second);
            if (m.has_values()) values.push_back(m.values()[e]);
          }
        }
        indptr.push_back(checked_cast<O>(indices.size(), "entries of M·C"));
      }
    }
    return {detail::trusted,   m.rows(),           checked_cast<I>(columns.size(), "columns of C"),
            std::move(indptr), std::move(indices), std::move(values)};
  }

  /// M·Π where Π maps column j to column new_ids[j]: entries keep their
  /// row, order and value (layer-wise sampling uses it to turn positions in
  /// the sampled column lists back into vertex ids).
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> relabel_columns(const csr_view<V, I, O>& m, std::span<const I> new_ids,
                                      std::int64_t new_cols) const {
    detail::check_relabelling(m, new_ids, new_cols);
    for (I r = 0; r < m.rows(); ++r) detail::diagnose_row(m, r, "relabel_columns", r);
    std::vector<I> indices;
    for (O e = 0; e < m.nnz(); ++e) indices.push_back(new_ids[m.indices()[e]]);
    return {detail::trusted,          m.rows(),
            static_cast<I>(new_cols), std::vector<O>(m.indptr().begin(), m.indptr().end()),
            std::move(indices),       std::vector<V>(m.values().begin(), m.values().end())};
  }

  /// New values f(row, column, value) on the same pattern.
  template <class V, index_type I, index_type O, class F>
  auto apply(const csr_view<V, I, O>& m, F f) const {
    using R = std::invoke_result_t<F&, I, I, V>;
    for (I r = 0; r < m.rows(); ++r) detail::diagnose_row(m, r, "apply", r);
    std::vector<R> values;
    for (I r = 0; r < m.rows(); ++r) {
      for (O e = m.row_begin(r); e < m.row_end(r); ++e) values.push_back(f(r, m.indices()[e], m.value(e)));
    }
    return csr_matrix<R, I, O>(detail::trusted, m.rows(), m.cols(),
                               std::vector<O>(m.indptr().begin(), m.indptr().end()),
                               std::vector<I>(m.indices().begin(), m.indices().end()), std::move(values));
  }

  /// Folds each row's values left to right: acc = f(acc, value).
  template <class V, index_type I, index_type O, class Acc, class F>
  std::vector<Acc> row_reduce(const csr_view<V, I, O>& m, Acc init, F f) const {
    for (I r = 0; r < m.rows(); ++r) detail::diagnose_row(m, r, "row_reduce", r);
    std::vector<Acc> out;
    for (I r = 0; r < m.rows(); ++r) {
      Acc acc = init;
      for (O e = m.row_begin(r); e < m.row_end(r); ++e) acc = f(acc, m.value(e));
      out.push_back(acc);
    }
    return out;
  }

  /// Row-wise ITS: keeps the sampled entries of each row of P. Row r draws
  /// from the stream at q.address(r) of (seed, layer).
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  csr_matrix<V, I, O> sample_rows(const csr_view<V, I, O>& p, const stacked_selection<I>& q, const Rule& spec,
                                  std::uint64_t seed, std::uint64_t layer) const {
    if (p.rows() != q.rows()) {
      throw argument_error(detail::concat("sample_rows: P has ", p.rows(), " rows but Q has ", q.rows()));
    }
    std::vector<I> identity(static_cast<std::size_t>(p.rows()));
    for (I r = 0; r < p.rows(); ++r) identity[r] = r;
    return sample_from(p, std::span<const I>(identity), q, spec, seed, layer, "sample_rows");
  }

  /// The fused node-wise step, written plainly: samples row q.vertices[r] of
  /// A directly. Like every fused kernel it checks the entries it reads.
  template <class V, index_type I, index_type O, row_rule Rule = row_sampling>
  csr_matrix<V, I, O> gather_and_sample(const csr_view<V, I, O>& a, const stacked_selection<I>& q, const Rule& spec,
                                        std::uint64_t seed, std::uint64_t layer) const {
    return sample_from(a, q.vertices, q, spec, seed, layer, "row selection");
  }

  /// P⟨¬X⟩: row r of P (vertex q.vertices[r] = u of minibatch m) keeps the
  /// entries (u, c) that minibatch m does not exclude, in order.
  template <class V, index_type I, index_type O>
  csr_matrix<V, I, O> exclude_entries(const csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                      const excluded_edges<I>& excluded) const {
    detail::check_exclusion(p, q, excluded);
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (I r = 0; r < p.rows(); ++r) {
      detail::diagnose_row(p, r, "exclude_entries", r);
      std::set<I> banned;
      if (!excluded.offsets.empty()) {
        const auto m = q.batch_of(r);
        for (auto i = excluded.offsets[m]; i < excluded.offsets[m + 1]; ++i) {
          if (excluded.src[i] == q.vertices[r]) banned.insert(excluded.dst[i]);
        }
      }
      for (O e = p.row_begin(r); e < p.row_end(r); ++e) {
        if (banned.contains(p.indices()[e])) continue;
        indices.push_back(p.indices()[e]);
        if (p.has_values()) values.push_back(p.values()[e]);
      }
      indptr.push_back(checked_cast<O>(indices.size(), "entries of P"));
    }
    return {detail::trusted, p.rows(), p.cols(), std::move(indptr), std::move(indices), std::move(values)};
  }

  /// Turns the sampled rows S (global column ids) of k minibatches into k
  /// blocks. Destination nodes are q's rows; source nodes are the destination
  /// nodes followed by the other sampled columns in order of first appearance
  /// (row-major). Without de-duplication every entry is a new source node.
  template <class V, index_type I, index_type O>
  block_set<V, I, O> compact_blocks(const csr_view<V, I, O>& s, const stacked_selection<I>& q, bool deduplicate) const {
    validate_batches(q);
    if (s.rows() != q.rows()) {
      throw argument_error(
          detail::concat("compact_blocks: ", s.rows(), " sampled rows for ", q.rows(), " destinations"));
    }
    for (I r = 0; r < s.rows(); ++r) detail::diagnose_row(s, r, "compact_blocks", r);
    block_set<V, I, O> out = block_set_layout<V, I, O>(q.batch_offsets, s.indptr());
    out.values.assign(s.values().begin(), s.values().end());
    std::vector<std::int64_t> node_count;
    for (std::int64_t m = 0; m < q.batches(); ++m) {
      std::unordered_map<I, I> local;
      std::vector<I> nodes;
      for (auto r = q.batch_offsets[m]; r < q.batch_offsets[m + 1]; ++r) {
        if (!local.try_emplace(q.vertices[r], static_cast<I>(nodes.size())).second && deduplicate) {
          detail::throw_duplicate_destination(q.vertices[r], static_cast<std::int64_t>(q.first_batch) + m);
        }
        nodes.push_back(q.vertices[r]);
      }
      for (auto r = q.batch_offsets[m]; r < q.batch_offsets[m + 1]; ++r) {
        for (O e = s.row_begin(static_cast<I>(r)); e < s.row_end(static_cast<I>(r)); ++e) {
          const I c = s.indices()[e];
          if (deduplicate) {
            auto [it, fresh] = local.try_emplace(c, checked_cast<I>(nodes.size(), "source nodes"));
            if (fresh) nodes.push_back(c);
            out.indices[e] = it->second;
          } else {
            out.indices[e] = checked_cast<I>(nodes.size(), "source nodes");
            nodes.push_back(c);
          }
        }
      }
      out.src_nodes.insert(out.src_nodes.end(), nodes.begin(), nodes.end());
      node_count.push_back(static_cast<std::int64_t>(nodes.size()));
    }
    set_node_counts(out, node_count);
    return out;
  }

 private:
  static void check_inner(std::int64_t a_cols, std::int64_t b_rows) {
    if (a_cols != b_rows) {
      throw argument_error(detail::concat("spgemm: inner dimensions differ (", a_cols, " vs ", b_rows, ")"));
    }
  }

  /// Samples row source[r] of m for each stacked row r of q: extents of all
  /// rows first, then per row its weights and the columns it emits.
  template <class V, index_type I, index_type O, row_rule Rule>
  csr_matrix<V, I, O> sample_from(const csr_view<V, I, O>& m, std::span<const I> source, const stacked_selection<I>& q,
                                  const Rule& spec, std::uint64_t seed, std::uint64_t layer, const char* what) const {
    validate_batches(q);
    for (std::size_t r = 0; r < source.size(); ++r)
      detail::diagnose_extent(m, source[r], what, static_cast<std::int64_t>(r));
    std::int64_t bound = 0;
    for (const I v : source) bound = checked_add(bound, spec.bound(m.degree(v)), "sampled entries");
    (void)checked_cast<O>(bound, "entries of the sampled rows");
    if constexpr (!std::same_as<Rule, row_sampling>) {
      return select_by_rule(m, source, q, spec, seed, layer, what);
    } else {
      std::vector<O> indptr{0};
      std::vector<I> indices;
      std::vector<V> values;
      for (std::size_t r = 0; r < source.size(); ++r) {
        const I v = source[r];
        philox_row_stream rng(seed, layer, q.address(static_cast<std::int64_t>(r)));
        // Weights of a pattern matrix are all 1: weighted sampling is uniform there.
        const bool weighted = spec.weighted && m.has_values();
        const bool sampling = spec.fanout >= 0 || weighted;
        std::vector<std::int64_t> picked;
        if (!sampling) {
          for (std::int64_t i = 0; i < m.degree(v); ++i) picked.push_back(i);
        } else {
          picked = weighted ? weighted_positions(m, v, spec, rng, q, static_cast<std::int64_t>(r), layer)
                            : uniform_positions(m.degree(v), spec, rng);
        }
        for (const auto pos : picked) {
          const O e = m.row_begin(v) + static_cast<O>(pos);
          if (!detail::column_ok(m, e)) detail::diagnose_row(m, v, what, static_cast<std::int64_t>(r));
          indices.push_back(m.indices()[e]);
          if (m.has_values()) values.push_back(m.values()[e]);
        }
        indptr.push_back(static_cast<O>(indices.size()));
      }
      return {detail::trusted,    checked_cast<I>(source.size(), "rows of the sampled matrix"),
              m.cols(),           std::move(indptr),
              std::move(indices), std::move(values)};
    }
  }

  /// Any other row rule, run row by row through its own select.
  template <class V, index_type I, index_type O, row_rule Rule>
  csr_matrix<V, I, O> select_by_rule(const csr_view<V, I, O>& m, std::span<const I> source,
                                     const stacked_selection<I>& q, const Rule& rule, std::uint64_t seed,
                                     std::uint64_t layer, const char* what) const {
    const kernels::csr_arrays<V, I, O> arrays{
        m.rows(),          m.cols(),           m.nnz(),
        m.indptr().data(), m.indices().data(), m.has_values() ? m.values().data() : nullptr};
    const bool with_values = rule.writes_values(m.has_values());
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (std::size_t r = 0; r < source.size(); ++r) {
      const I v = source[r];
      const std::int64_t degree = m.degree(v);
      std::vector<std::int64_t> positions(static_cast<std::size_t>(rule.bound(degree)));
      std::vector<double> scratch(static_cast<std::size_t>(rule.scratch(degree)));
      std::vector<I> row_indices(positions.size());
      std::vector<V> row_values(with_values ? positions.size() : 0);
      const row_context context{seed, layer, q.address(static_cast<std::int64_t>(r))};
      const auto st = rule.select(arrays, static_cast<std::int64_t>(m.row_begin(v)), degree, context, positions.data(),
                                  scratch.data(), row_indices.data(), with_values ? row_values.data() : nullptr);
      if (st.bad_weight) detail::throw_bad_weight(m, v, q, static_cast<std::int64_t>(r), layer);
      if (st.bad_column) detail::diagnose_row(m, v, what, static_cast<std::int64_t>(r));
      indices.insert(indices.end(), row_indices.begin(), row_indices.begin() + st.kept);
      if (with_values) values.insert(values.end(), row_values.begin(), row_values.begin() + st.kept);
      indptr.push_back(checked_cast<O>(indices.size(), "entries of the sampled rows"));
    }
    return {detail::trusted,    checked_cast<I>(source.size(), "rows of the sampled matrix"),
            m.cols(),           std::move(indptr),
            std::move(indices), std::move(values)};
  }

  template <class V, index_type I, index_type O>
  static std::vector<std::int64_t> weighted_positions(const csr_view<V, I, O>& p, I r, row_sampling spec,
                                                      philox_row_stream& rng, const stacked_selection<I>& q,
                                                      std::int64_t stacked_row, std::uint64_t layer) {
    const std::int64_t degree = p.degree(r);
    std::vector<double> w(static_cast<std::size_t>(degree));
    std::vector<double> cdf;
    double total = 0;
    for (std::int64_t i = 0; i < degree; ++i) {
      w[i] = static_cast<double>(p.value(p.row_begin(r) + static_cast<O>(i)));
      if (!std::isfinite(w[i]) || w[i] < 0) detail::throw_bad_weight(p, r, q, stacked_row, layer);
      total += w[i];
      cdf.push_back(total);
    }
    std::vector<std::int64_t> all(static_cast<std::size_t>(degree));
    for (std::int64_t i = 0; i < degree; ++i) all[i] = i;
    const std::int64_t count = kernels::sampled_count(degree, spec.fanout);
    if (count == degree) return all;
    if (total <= 0) return {};
    // Position whose running-sum interval [cdf[i-1], cdf[i]) holds x.
    auto pick = [&](double x) {
      auto it = std::upper_bound(cdf.begin(), cdf.end(), x);
      if (it == cdf.end()) it = std::lower_bound(cdf.begin(), cdf.end(), total);
      return static_cast<std::int64_t>(it - cdf.begin());
    };
    std::vector<std::int64_t> out;
    if (spec.replace) {
      for (std::int64_t i = 0; i < count; ++i) out.push_back(pick(rng.uniform(i) * total));
      std::sort(out.begin(), out.end());
      return out;
    }
    std::set<std::int64_t> taken;
    const std::int64_t retries = kernels::weighted_retries;
    for (std::int64_t i = 0; i < count; ++i) {
      const auto first_draw = static_cast<std::uint64_t>(i * (retries + 1));
      bool placed = false;
      for (std::int64_t t = 0; t < retries && !placed; ++t) {
        placed = taken.insert(pick(rng.uniform(first_draw + static_cast<std::uint64_t>(t)) * total)).second;
      }
      if (placed) continue;
      double remaining = 0;
      for (std::int64_t j = 0; j < degree; ++j)
        if (!taken.contains(j)) remaining += w[j];
      if (remaining <= 0) break;
      const double x = rng.uniform(first_draw + static_cast<std::uint64_t>(retries)) * remaining;
      double running = 0;
      std::int64_t choice = -1;
      for (std::int64_t j = 0; j < degree; ++j) {
        if (taken.contains(j) || w[j] <= 0) continue;
        choice = j;
        running += w[j];
        if (running > x) break;
      }
      taken.insert(choice);
    }
    return {taken.begin(), taken.end()};
  }

  static std::vector<std::int64_t> uniform_positions(std::int64_t degree, row_sampling spec, philox_row_stream& rng) {
    const std::int64_t count = kernels::sampled_count(degree, spec.fanout);
    std::vector<std::int64_t> out;
    if (count == degree) {
      for (std::int64_t i = 0; i < degree; ++i) out.push_back(i);
      return out;
    }
    if (spec.replace) {
      for (std::int64_t i = 0; i < count; ++i) out.push_back(static_cast<std::int64_t>(rng.below(i, degree)));
      std::sort(out.begin(), out.end());
      return out;
    }
    std::set<std::int64_t> taken;  // Floyd's algorithm
    for (std::int64_t j = degree - count; j < degree; ++j) {
      const auto t = static_cast<std::int64_t>(rng.below(j - (degree - count), j + 1));
      taken.insert(taken.contains(t) ? j : t);
    }
    return {taken.begin(), taken.end()};
  }
};

}  // namespace matsample
