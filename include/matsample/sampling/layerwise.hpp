#pragma once
// Layer-wise sampling (LADIES, FastGCN) as a matrix program. For layer l,
// with F_m the frontier of minibatch m and s = s_l:
//   P   = Q_l · (A∘A)               LADIES: row m sums the squared rows of F_m
//       = 1 · (A∘A), shared          FastGCN: squared column norms, once per graph
//   p   = row_normalize(P)
//   S   = sample_s(p)                s columns per minibatch, without replacement
//   C_m = columns of S_m (∪ F_m with keep_frontier)
//   B   = R · A · C                  R: the frontier rows, C: block-diagonal columns
//   B_ij /= π_j, then row_normalize  π_j = s·p_j, or 1 when every candidate is taken
//   blocks_l, F_{l+1} = compact(B)
// for all k minibatches of the call at once. Blocks follow DGL's MFG
// convention like the node-wise sampler's: the destination nodes are the
// first source nodes, so they are also rows of the next layer; their columns
// carry A's entries only with keep_frontier (LADIES implementations keep the
// frontier so that a graph with self loops gives every row a self edge).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/core/error.hpp"
#include "matsample/sampling/batches.hpp"

namespace matsample {

/// Parameters of layer-wise (LADIES, FastGCN) sampling.
struct layerwise_options {
  /// Columns sampled per minibatch, hop 1 (the seeds' layer) first; -1 takes
  /// every candidate. A layer with fewer candidates takes them all.
  std::vector<std::int64_t> sample_sizes;
  /// The frontier joins the sampled columns (see the file comment).
  bool keep_frontier = true;
  /// With the batches' (epoch, minibatch) it fixes the sample.
  std::uint64_t seed = 0;
};

/// Throws argument_error unless there is at least one sample size and each
/// is positive or -1.
inline void validate(const layerwise_options& options) {
  if (options.sample_sizes.empty()) throw argument_error("layerwise: sample_sizes must name at least one layer");
  for (std::size_t l = 0; l < options.sample_sizes.size(); ++l) {
    if (options.sample_sizes[l] == 0 || options.sample_sizes[l] < -1) {
      throw argument_error(detail::concat("layerwise: sample size ", options.sample_sizes[l], " at layer ", l,
                                          "; use a positive count, or -1 for every candidate"));
    }
  }
}

namespace detail {

/// The column probabilities of one layer: k rows (LADIES), or one row shared
/// by every minibatch (FastGCN).
template <class V, index_type I, index_type O>
struct column_distribution {
  csr_view<V, I, O> rows;
  bool shared = false;

  [[nodiscard]] I row_of(std::int64_t m) const noexcept { return shared ? I{0} : static_cast<I>(m); }
  /// p_j in minibatch m's row (0 when j is not a candidate); rows are sorted.
  [[nodiscard]] double probability(std::int64_t m, I j) const noexcept {
    const I r = row_of(m);
    const auto first = rows.indices().begin() + rows.row_begin(r), last = rows.indices().begin() + rows.row_end(r);
    const auto it = std::lower_bound(first, last, j);
    return (it != last && *it == j) ? static_cast<double>(rows.value(static_cast<O>(it - rows.indices().begin())))
                                    : 0.0;
  }
};

/// C_m (ascending, per minibatch) and 1/π_j for each of its columns.
template <class V, index_type I, index_type O>
struct sampled_columns {
  std::vector<I> columns;
  std::vector<std::int64_t> offsets;
  std::vector<double> inverse_inclusion;
};

template <class V, index_type I, index_type O>
sampled_columns<V, I, O> collect_columns(const csr_view<V, I, O>& sampled, const column_distribution<V, I, O>& p,
                                         const stacked_selection<I>& frontier, std::int64_t sample_size,
                                         bool keep_frontier) {
  const std::int64_t k = frontier.batches();
  std::vector<std::vector<I>> lists(static_cast<std::size_t>(k));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t m = 0; m < k; ++m) {
    auto& list = lists[m];
    const auto row = static_cast<I>(m);
    list.assign(sampled.indices().begin() + sampled.row_begin(row), sampled.indices().begin() + sampled.row_end(row));
    if (keep_frontier) {
      const auto own = frontier.vertices.subspan(
          static_cast<std::size_t>(frontier.batch_offsets[m]),
          static_cast<std::size_t>(frontier.batch_offsets[m + 1] - frontier.batch_offsets[m]));
      const auto middle = list.size();
      list.insert(list.end(), own.begin(), own.end());
      std::sort(list.begin() + static_cast<std::ptrdiff_t>(middle), list.end());
      std::inplace_merge(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(middle), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }
  sampled_columns<V, I, O> out;
  out.offsets.assign(1, 0);
  for (const auto& list : lists) out.offsets.push_back(out.offsets.back() + static_cast<std::int64_t>(list.size()));
  out.columns.resize(static_cast<std::size_t>(out.offsets.back()));
  out.inverse_inclusion.resize(out.columns.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t m = 0; m < k; ++m) {
    const I r = p.row_of(m);
    // Candidates are the columns with positive probability: zero-weight
    // entries are never drawn, so they do not count towards "all taken".
    std::int64_t candidates = 0;
    for (O e = p.rows.row_begin(r); e < p.rows.row_end(r); ++e) candidates += p.rows.value(e) > V{0};
    const bool all_taken = sample_size < 0 || candidates <= sample_size;
    for (std::size_t i = 0; i < lists[m].size(); ++i) {
      const auto at = static_cast<std::size_t>(out.offsets[m]) + i;
      const I j = lists[m][i];
      out.columns[at] = j;
      const double pj = p.probability(m, j);
      // A kept frontier column that is no candidate has no entries in B.
      out.inverse_inclusion[at] = all_taken ? 1.0 : (pj > 0 ? 1.0 / (static_cast<double>(sample_size) * pj) : 0.0);
    }
  }
  return out;
}

/// One layer for every minibatch: samples from `p` with the streams of
/// (seed, layer) and builds the debiased, row-normalised blocks R·A·C. Each
/// minibatch's excluded entries are masked out of the frontier's rows of A
/// (its blocks never hold them); the column probabilities `p` are not
/// masked, so a column reached only through an excluded entry may be drawn
/// and then contribute nothing.
template <kernel_set B, graph_operand View, class V = typename View::value_type,
          index_type I = typename View::index_type, index_type O = typename View::offset_type>
block_set<V, I, O> layerwise_layer(const B& backend, const View& a, const column_distribution<V, I, O>& p,
                                   const stacked_selection<I>& frontier, std::int64_t sample_size, bool keep_frontier,
                                   std::uint64_t seed, std::uint64_t layer, const excluded_edges<I>& excluded) {
  // One sampling row per minibatch; its stream is (epoch, minibatch, row 0).
  const std::int64_t k = frontier.batches();
  const std::vector<I> shared_row(static_cast<std::size_t>(k), I{0});
  std::vector<std::int64_t> one_row_each(static_cast<std::size_t>(k) + 1);
  for (std::int64_t m = 0; m <= k; ++m) one_row_each[m] = m;
  const stacked_selection<I> per_batch{shared_row, one_row_each, frontier.epoch, frontier.first_batch};
  const row_sampling spec{sample_size, false, true};
  const auto sampled = p.shared ? gather_and_sample(backend, p.rows, per_batch, spec, seed, layer)
                                : backend.sample_rows(p.rows, per_batch, spec, seed, layer);
  const auto c = collect_columns(as_view(sampled), p, frontier, sample_size, keep_frontier);

  const auto frontier_rows = gather_rows_excluding(backend, a, frontier, excluded);
  const auto selected = backend.select_columns(as_view(frontier_rows), frontier.batch_offsets,
                                               std::span<const I>(c.columns), std::span<const std::int64_t>(c.offsets));
  const auto debiased = backend.apply(
      as_view(selected),
      detail::scale_by_column<V, I>{c.inverse_inclusion.data(), static_cast<std::int64_t>(c.inverse_inclusion.size())});
  const auto normalized = row_normalize(backend, as_view(debiased));
  const auto global = backend.relabel_columns(as_view(normalized), std::span<const I>(c.columns), a.cols());
  return backend.compact_blocks(as_view(global), frontier, true);
}

/// Runs the layers outward from the seeds; `distribution(l, frontier)` gives
/// layer l's column probabilities. Blocks come back in DGL order.
template <kernel_set B, graph_operand View, class Distribution, class V = typename View::value_type,
          index_type I = typename View::index_type, index_type O = typename View::offset_type>
bulk_sample<V, I, O> sample_layerwise(const B& backend, const View& a, const batch_list<I>& batches,
                                      const layerwise_options& options, Distribution&& distribution) {
  validate(options);
  validate_seeds(a, batches);
  bulk_sample<V, I, O> out;
  out.layers.reserve(options.sample_sizes.size());  // the frontier below points into the last layer
  stacked_selection<I> frontier{batches.seeds, batches.offsets, batches.epoch, batches.first_batch};
  validate_batches(frontier);
  for (std::size_t l = 0; l < options.sample_sizes.size(); ++l) {
    const auto p = distribution(l, frontier);
    out.layers.push_back(layerwise_layer(backend, a, p.view(), frontier, options.sample_sizes[l], options.keep_frontier,
                                         options.seed, l, batches.excluded));
    const auto& next = out.layers.back();
    frontier = {next.src_nodes, next.node_offsets, batches.epoch, batches.first_batch};
  }
  std::reverse(out.layers.begin(), out.layers.end());
  return out;
}

/// Owning form of column_distribution, as the samplers produce it.
template <class V, index_type I, index_type O>
struct owned_distribution {
  csr_matrix<V, I, O> rows;
  bool shared = false;
  [[nodiscard]] column_distribution<V, I, O> view() const { return {rows.view(), shared}; }
};
template <class V, index_type I, index_type O>
struct borrowed_distribution {
  csr_view<V, I, O> rows;
  [[nodiscard]] column_distribution<V, I, O> view() const { return {rows, true}; }
};

/// Rows of importance sums must be finite: a NaN or infinite weight in A (or
/// a square that overflows) would otherwise normalise to an empty row and
/// silently sample nothing. Throws argument_error naming `what` of row r,
/// e.g. the minibatch (its number in the epoch) whose importance it is.
template <kernel_set B, class View, class Name>
void require_finite_rows(const B& backend, const View& m, Name what) {
  using V = typename View::value_type;
  const std::vector<double> sums = backend.row_reduce(m, 0.0, sum_as_double<V>{});
  for (std::size_t r = 0; r < sums.size(); ++r) {
    if (!kernels::usable_weight(sums[r])) {
      throw argument_error(
          concat(what(r), " is ", sums[r],
                 ": A has a NaN or infinite weight, or a weight whose square overflows the value type"));
    }
  }
}

/// A∘A (for a pattern A, A itself would do: every square is 1).
template <kernel_set B, graph_operand View>
auto squared_entries(const B& backend, const View& a) {
  using V = typename View::value_type;
  using I = typename View::index_type;
  return backend.apply(a, square_value<V, I>{});
}

}  // namespace detail

/// LADIES (Zou et al., NeurIPS 2019): each minibatch samples the columns of
/// the next layer in proportion to their squared connection to its frontier.
/// Holds A∘A (computed once when A has values), so keep one sampler per graph.
/// View is the graph operand: a csr_view, or a backend's distributed view.
template <kernel_set B, class V, index_type I, index_type O, graph_operand View = csr_view<V, I, O>>
class ladies_sampler {
 public:
  using options_type = layerwise_options;  ///< The options operator() takes.
  /// `backend` and the graph behind `a` must outlive the sampler.
  ladies_sampler(const B& backend, const View& a) : backend_(&backend), a_(a) {
    require_square(a, "ladies");
    if (a.has_values()) squared_storage_.emplace(detail::squared_entries(backend, a));
  }

  /// Samples every minibatch of `batches` through all layers in one pass;
  /// blocks come back in DGL order (layers[0] is the input layer) and carry
  /// the debiased, row-normalised aggregation weights.
  [[nodiscard]] bulk_sample<V, I, O> operator()(const batch_list<I>& batches, const layerwise_options& options) const {
    return detail::sample_layerwise(*backend_, a_, batches, options, [&](std::size_t l, const stacked_selection<I>& f) {
      // Q_l: row m holds minibatch m's frontier, so P = Q_l·(A∘A). Its rows
      // are sorted: A's rows are then read in increasing order, and every
      // importance sums its terms in vertex order on any backend and layout
      // (2D SUMMA adds them block by block).
      std::vector<O> indptr(f.batch_offsets.size());
      for (std::size_t m = 0; m < indptr.size(); ++m) indptr[m] = checked_cast<O>(f.batch_offsets[m], "frontier size");
      std::vector<I> frontier(f.vertices.begin(), f.vertices.end());
      for (std::int64_t m = 0; m < f.batches(); ++m) {
        std::sort(frontier.begin() + f.batch_offsets[m], frontier.begin() + f.batch_offsets[m + 1]);
      }
      const csr_view<V, I, O> q(checked_cast<I>(f.batches(), "minibatches"), a_.rows(), indptr, frontier);
      // The view is taken here, not stored: a copied sampler reads its own A∘A.
      const View squared = squared_storage_ ? View(as_view(*squared_storage_)) : a_;
      const auto importance = backend_->spgemm(q, squared);
      agree_on_checks(a_, [&] {
        detail::require_finite_rows(*backend_, as_view(importance), [&](std::size_t m) {
          return detail::concat("ladies: the column importance of minibatch ", f.first_batch + m, " (layer ", l, ")");
        });
      });
      return detail::owned_distribution<V, I, O>{row_normalize(*backend_, as_view(importance)), false};
    });
  }

 private:
  const B* backend_;
  View a_;
  std::optional<decltype(detail::squared_entries(std::declval<const B&>(), std::declval<const View&>()))>
      squared_storage_;  ///< A∘A when A has values
};

/// FastGCN (Chen et al., ICLR 2018): every minibatch samples from the same
/// distribution, the squared column norms of A, computed once here.
template <kernel_set B, class V, index_type I, index_type O, graph_operand View = csr_view<V, I, O>>
class fastgcn_sampler {
 public:
  using options_type = layerwise_options;  ///< The options operator() takes.
  /// `backend` and the graph behind `a` must outlive the sampler.
  fastgcn_sampler(const B& backend, const View& a) : backend_(&backend), a_(a) {
    require_square(a, "fastgcn");
    // 1ᵀ·(A∘A): one SpGEMM sums each column over the rows in order.
    std::optional<decltype(detail::squared_entries(backend, a))> squared;
    if (a.has_values()) squared.emplace(detail::squared_entries(backend, a));
    std::vector<I> every_row(static_cast<std::size_t>(a.rows()));
    for (I r = 0; r < a.rows(); ++r) every_row[r] = r;
    const std::vector<O> indptr{O{0}, checked_cast<O>(a.rows(), "rows")};
    const csr_view<V, I, O> ones(1, a.rows(), indptr, every_row);
    const auto norms = backend.spgemm(ones, squared ? as_view(*squared) : a);
    detail::require_finite_rows(backend, as_view(norms), [](std::size_t) {
      return std::string("fastgcn: the sum of the squared column norms");
    });
    probabilities_ = row_normalize(backend, as_view(norms));
  }

  /// Samples every minibatch of `batches` through all layers in one pass,
  /// every layer from probabilities(); blocks come back in DGL order
  /// (layers[0] is the input layer) with debiased, row-normalised weights.
  [[nodiscard]] bulk_sample<V, I, O> operator()(const batch_list<I>& batches, const layerwise_options& options) const {
    return detail::sample_layerwise(*backend_, a_, batches, options, [&](std::size_t, const stacked_selection<I>&) {
      return detail::borrowed_distribution<V, I, O>{probabilities_.view()};
    });
  }

  /// p_j for every column with a nonzero norm (one row).
  [[nodiscard]] csr_view<V, I, O> probabilities() const { return probabilities_.view(); }

 private:
  const B* backend_;
  View a_;
  csr_matrix<V, I, O> probabilities_;
};

/// Deduces the sampler from the backend and the graph (a view, an owning
/// matrix or a backend's own view).
template <kernel_set B, graph_operand View>
ladies_sampler(const B&, const View&) -> ladies_sampler<B, typename View::value_type, typename View::index_type,
                                                        typename View::offset_type, graph_view_t<View>>;
/// Deduces the sampler from the backend and the graph (a view, an owning
/// matrix or a backend's own view).
template <kernel_set B, graph_operand View>
fastgcn_sampler(const B&, const View&) -> fastgcn_sampler<B, typename View::value_type, typename View::index_type,
                                                          typename View::offset_type, graph_view_t<View>>;

/// One-call form of ladies_sampler; it squares A (when it has values) on
/// every call, so keep a sampler object to sample repeatedly.
template <kernel_set B, graph_operand View, index_type I>
auto sample_ladies(const B& backend, const View& a, const batch_list<I>& batches, const layerwise_options& options) {
  return ladies_sampler(backend, a)(batches, options);
}
/// One-call form of fastgcn_sampler; it takes A's column norms on every
/// call, so keep a sampler object to sample repeatedly.
template <kernel_set B, graph_operand View, index_type I>
auto sample_fastgcn(const B& backend, const View& a, const batch_list<I>& batches, const layerwise_options& options) {
  return fastgcn_sampler(backend, a)(batches, options);
}

}  // namespace matsample
