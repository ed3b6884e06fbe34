#pragma once
// LABOR, layer-neighbour sampling (Balın and Çatalyürek, NeurIPS 2023), as a
// row rule on the node-wise program. Per layer l:
//   S_l = labor(Q_l · A)               each entry (s, t) kept when r_t < π_st
//   blocks_l, Q_{l+1} = compact(S_l)
// Every candidate column t draws ONE variate r_t per minibatch, shared by all
// rows of the minibatch that see t (keyed by the vertex, not by row and
// draw). A vertex is then sampled at most once per minibatch however many
// frontier rows reach it, so LABOR samples far fewer distinct vertices than
// node-wise sampling at the same fanout, with the same per-row fanout.
//
// Inclusion probabilities: π_st = min(1, c_s · w_st), where w_st = A_st when
// weighted (else 1) and c_s makes Σ_t π_st = min(s, positive entries of the
// row): c_s = s / d_s for uniform rows, a water-filling solve for weighted
// ones. Blocks carry A_st / π_st (1 / π_st on a pattern graph), so
// Σ_t block_st · x_t is an unbiased estimate of (A·x)_s.

#include <algorithm>
#include <cstdint>
#include <concepts>
#include <limits>
#include <type_traits>
#include <vector>

#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/algebra/row_kernels.hpp"
#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/algebra/row_rule.hpp"
#include "matsample/core/config.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/sampling/rowwise.hpp"

namespace matsample {

/// Parameters of LABOR sampling (see the file comment).
struct labor_options {
  /// Neighbours per vertex, hop 1 (the seeds' neighbours) first; -1 keeps
  /// all. An expected count with Poisson sampling, exact with fixed_count.
  std::vector<std::int64_t> fanouts;
  /// Inclusion in proportion to edge values (uniform when the graph has none).
  bool weighted = false;
  /// Sequential Poisson sampling: each row keeps exactly min(fanout, its
  /// positive entries), the ones with the smallest r_t / π_st (GraphBolt's
  /// LayerNeighborSampler). Inclusion is then exactly s/d for uniform rows
  /// and approximately π_st for weighted ones; blocks carry A_st / π_st.
  bool fixed_count = false;
  /// Every layer uses the same variates (DGL's layer_dependency): a vertex
  /// sampled at one hop is likelier to be sampled at the next.
  bool layer_dependency = false;
  /// κ >= 1: minibatch m = κg + j uses, for each vertex, the variate of group
  /// g or of group g + 1, the latter with probability j/κ (one coin per
  /// vertex and group), so consecutive minibatches share most variates and
  /// every r_t is still exactly uniform. 1: minibatches are independent.
  std::int64_t batch_dependency = 1;
  /// LABOR-i, importance sampling: i > 0 rounds of the fixed point that
  /// lowers the expected number of distinct sampled vertices while keeping
  /// every row's estimator variance at uniform sampling's (the paper's
  /// eq. 22); -1 runs until the expected count stops falling (at most
  /// max_importance_iterations). 0 is LABOR-0.
  int importance_iterations = 0;
  /// With the batches' (epoch, minibatch) it fixes the sample.
  std::uint64_t seed = 0;
};

/// The most rounds importance_iterations = -1 runs.
inline constexpr int max_importance_iterations = 64;

/// Throws argument_error for bad fanouts (none, or one that is neither
/// positive nor -1), batch_dependency < 1 or importance_iterations < -1.
inline void validate(const labor_options& options) {
  detail::validate_fanouts(options.fanouts, "labor");
  if (options.batch_dependency < 1) {
    throw argument_error(detail::concat("labor: batch_dependency ", options.batch_dependency,
                                        "; use 1 for independent minibatches, or a larger group size"));
  }
  if (options.importance_iterations < -1) {
    throw argument_error(detail::concat("labor: importance_iterations ", options.importance_iterations,
                                        "; use 0 (LABOR-0), a positive count, or -1 (until converged)"));
  }
}

namespace kernels {

/// Uniform double in [0, 1) from 64 random bits, as philox_row_stream::uniform.
MATSAMPLE_HD inline double unit_interval(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

/// LABOR's variate r_t of `vertex` in global minibatch `minibatch`: Philox of
/// key (seed, stream) at counter (epoch, group, vertex, 0), word 0; with
/// batch dependency κ > 1, word 1 is the coin that switches the vertex to the
/// next group's variate (see labor_options::batch_dependency).
MATSAMPLE_HD inline double labor_variate(std::uint64_t seed, std::uint64_t stream, std::uint64_t epoch,
                                         std::uint64_t minibatch, std::uint64_t vertex,
                                         std::uint64_t batch_dependency) {
  const std::uint64_t group = minibatch / batch_dependency, step = minibatch % batch_dependency;
  philox_row_stream own(seed, stream, {epoch, group, vertex});
  if (step == 0) return unit_interval(own.bits(0));
  const double coin = unit_interval(own.bits(1));
  if (coin < static_cast<double>(step) / static_cast<double>(batch_dependency)) {
    philox_row_stream next(seed, stream, {epoch, group + 1, vertex});
    return unit_interval(next.bits(0));
  }
  return unit_interval(own.bits(0));
}

/// c such that Σ_j min(1, c · w_j) = target over the positive weights of
/// w[0, n) (water filling: entries whose c·w reach 1 are saturated, the rest
/// share what remains). `positive` counts the positive weights, `total`
/// their sum; target < positive. At most `target` saturation rounds.
template <class W>
MATSAMPLE_HD double water_fill(const W* w, std::int64_t n, double total, std::int64_t target) {
  double c = static_cast<double>(target) / total;
  std::int64_t saturated = 0;
  for (;;) {
    std::int64_t now = 0;
    double saturated_weight = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
      const double wj = static_cast<double>(w[j]);
      if (wj > 0.0 && c * wj >= 1.0) {
        ++now;
        saturated_weight += wj;
      }
    }
    if (now == saturated || now >= target) return c;
    saturated = now;
    const double rest = total - saturated_weight;
    if (!(rest > 0.0)) return c;
    c = static_cast<double>(target - saturated) / rest;
  }
}

/// Max-heap order of the fixed-count selection: larger key first, ties by
/// the larger position, so the heap keeps the smallest (key, position) pairs.
MATSAMPLE_HD inline bool heap_before(const double* key, std::int64_t a, std::int64_t b) {
  return key[a] > key[b] || (key[a] == key[b] && a > b);
}

/// Restores the heap_before order of heap[0, n) (positions into `key`) below
/// index i.
MATSAMPLE_HD inline void sift_down(std::int64_t* heap, std::int64_t n, std::int64_t i, const double* key) {
  for (;;) {
    std::int64_t top = i;
    const std::int64_t l = 2 * i + 1, r = l + 1;
    if (l < n && heap_before(key, heap[l], heap[top])) top = l;
    if (r < n && heap_before(key, heap[r], heap[top])) top = r;
    if (top == i) return;
    const std::int64_t t = heap[i];
    heap[i] = heap[top];
    heap[top] = t;
    i = top;
  }
}

/// Ascending in place (heap sort of positions by value).
MATSAMPLE_HD inline void sort_positions(std::int64_t* p, std::int64_t n) {
  const auto down = [](std::int64_t* h, std::int64_t size, std::int64_t i) {
    for (;;) {
      std::int64_t top = i;
      const std::int64_t l = 2 * i + 1, r = l + 1;
      if (l < size && h[l] > h[top]) top = l;
      if (r < size && h[r] > h[top]) top = r;
      if (top == i) return;
      const std::int64_t t = h[i];
      h[i] = h[top];
      h[top] = t;
      i = top;
    }
  };
  for (std::int64_t i = n / 2 - 1; i >= 0; --i) down(p, n, i);
  for (std::int64_t end = n - 1; end > 0; --end) {
    const std::int64_t t = p[0];
    p[0] = p[end];
    p[end] = t;
    down(p, end, 0);
  }
}

}  // namespace kernels

/// LABOR's row rule for one layer (see the file comment).
struct labor_rule {
  std::int64_t fanout = -1;                       ///< expected entries per row (exact with fixed_count); -1 keeps all
  bool weighted = false;                          ///< inclusion in proportion to the values of P
  bool fixed_count = false;                       ///< sequential Poisson: exactly min(fanout, positive entries) per row
  std::uint64_t variate_stream = streams::labor;  ///< streams::labor + layer, or + 0 with layer dependency
  std::uint64_t batch_dependency = 1;             ///< κ of labor_options::batch_dependency, >= 1
  /// π of every entry of the sampled matrix, indexed by entry (LABOR-*'s
  /// probabilities); null: π_st = min(1, c_s · w_st) as in LABOR-0.
  const double* inclusion = nullptr;

  /// The per-entry table, for a device backend to copy next to the matrix.
  MATSAMPLE_HD const double* entry_table() const { return inclusion; }
  /// A copy reading its per-entry table from `table` (a device copy).
  MATSAMPLE_HD labor_rule with_entry_table(const double* table) const {
    labor_rule out = *this;
    out.inclusion = table;
    return out;
  }
  /// Most entries kept of a row of `degree`: fanout with fixed_count (when
  /// smaller), else the whole row (Poisson sampling has no hard cap).
  MATSAMPLE_HD std::int64_t bound(std::int64_t degree) const {
    return (fixed_count && fanout >= 0 && fanout < degree) ? fanout : degree;
  }
  /// Doubles of scratch: one key per entry when a fixed count must choose.
  MATSAMPLE_HD std::int64_t scratch(std::int64_t degree) const { return bound(degree) < degree ? degree : 0; }
  /// Reads P's values as weights only when weighted and P has values.
  MATSAMPLE_HD bool reads_weights(bool has_values) const { return weighted && has_values; }
  /// Always: kept entries carry A_st / π_st (1 / π_st on a pattern graph).
  MATSAMPLE_HD bool writes_values(bool) const { return true; }

  /// Exactly the number of entries select keeps (0 for a row with a bad
  /// weight): a backend can then allocate what is kept instead of the
  /// degree, at the price of drawing the row's variates twice.
  template <class V, class I, class O>
  MATSAMPLE_HD std::int64_t count(const kernels::csr_arrays<V, I, O>& m, std::int64_t begin, std::int64_t degree,
                                  const row_context& context) const {
    const auto st = select<V, I, O>(m, begin, degree, context, nullptr, nullptr, nullptr, nullptr);
    return st.bad_weight ? 0 : st.kept;
  }

  /// The rule's selection (see row_rule): keeps entry (s, t) when r_t < π_st
  /// (Poisson), or the `fanout` smallest r_t / π_st (fixed_count), writing the
  /// kept columns in row order with values A_st / π_st. Null out_indices only
  /// counts (as count() does).
  template <class V, class I, class O>
  MATSAMPLE_HD kernels::row_status select(const kernels::csr_arrays<V, I, O>& m, std::int64_t begin,
                                          std::int64_t degree, const row_context& context, std::int64_t* positions,
                                          double* scratch, I* out_indices, V* out_values) const {
    kernels::row_status st;
    const bool use_weights = weighted && m.values != nullptr;
    // Weights: A's values when weighted, else 1. Bad weights are reported
    // before anything is drawn.
    double total = 0.0;
    std::int64_t positive = 0;
    for (std::int64_t j = 0; j < degree; ++j) {
      const double w = use_weights ? static_cast<double>(m.values[begin + j]) : 1.0;
      if (!kernels::usable_weight(w)) {
        st.bad_weight = true;
        return st;
      }
      total += w;
      positive += w > 0.0;
    }
    const bool all = fanout < 0 || positive <= fanout;
    const double c = all || this->inclusion != nullptr ? 0.0
                     : use_weights                     ? kernels::water_fill(m.values + begin, degree, total, fanout)
                                                       : static_cast<double>(fanout) / static_cast<double>(degree);
    const auto inclusion = [&](std::int64_t j) {
      const double w = use_weights ? static_cast<double>(m.values[begin + j]) : 1.0;
      if (!(w > 0.0)) return 0.0;
      if (all) return 1.0;
      if (this->inclusion != nullptr) return this->inclusion[begin + j];
      return c * w < 1.0 ? c * w : 1.0;
    };
    const auto variate = [&](std::int64_t j) {
      return kernels::labor_variate(context.seed, variate_stream, context.at.epoch, context.at.minibatch,
                                    static_cast<std::uint64_t>(m.indices[begin + j]), batch_dependency);
    };
    const auto emit = [&](std::int64_t j, double pi) {
      const std::int64_t e = begin + j;
      if (out_indices != nullptr) {  // null: count() only counts
        out_indices[st.kept] = m.indices[e];
        if (out_values != nullptr) out_values[st.kept] = static_cast<V>(static_cast<double>(m.value(e)) / pi);
        if (!m.column_ok(e)) st.bad_column = true;
      }
      ++st.kept;
    };
    if (all || !fixed_count) {  // Poisson: keep (s, t) when r_t < π_st
      for (std::int64_t j = 0; j < degree; ++j) {
        const double pi = inclusion(j);
        if (pi > 0.0 && (pi >= 1.0 || variate(j) < pi)) emit(j, pi);
      }
      return st;
    }
    if (out_indices == nullptr) {  // count(): exactly `fanout` of the positive entries
      st.kept = fanout;
      return st;
    }
    // Sequential Poisson: the `fanout` smallest keys r_t / π_st (ties by
    // position), found with a max-heap of positions, then emitted in row order.
    std::int64_t size = 0;
    for (std::int64_t j = 0; j < degree; ++j) {
      const double pi = inclusion(j);
      scratch[j] = pi > 0.0 ? variate(j) / pi : 0.0;
      if (!(pi > 0.0)) continue;
      if (size < fanout) {
        positions[size++] = j;
        if (size == fanout) {
          for (std::int64_t i = size / 2 - 1; i >= 0; --i) kernels::sift_down(positions, size, i, scratch);
        }
      } else if (kernels::heap_before(scratch, positions[0], j)) {
        positions[0] = j;
        kernels::sift_down(positions, size, 0, scratch);
      }
    }
    kernels::sort_positions(positions, size);
    for (std::int64_t i = 0; i < size; ++i) emit(positions[i], inclusion(positions[i]));
    return st;
  }
};

/// LABOR's rule for layer `layer` of `options`.
inline labor_rule labor_layer_rule(const labor_options& options, std::size_t layer) {
  return {options.fanouts[layer], options.weighted, options.fixed_count,
          streams::labor + (options.layer_dependency ? 0 : static_cast<std::uint64_t>(layer)),
          static_cast<std::uint64_t>(options.batch_dependency)};
}

namespace detail {

/// LABOR-*'s inclusion probability of every entry of P = Q·A (k minibatches
/// stacked), by the fixed point of Balın and Çatalyürek: π_st = min(1, c_s π_t)
/// with one π_t per vertex and minibatch. Each round sets π_t ← π_t · max over
/// the rows s that see t of c_s (the first round starts from LABOR-0's
/// c_s · w_st), then re-solves every row's c_s so that its estimator's
/// variance stays at uniform sampling's: Σ_t w_t² / π_st = d²/s (weighted:
/// d²/s − d²/D + Σ w², with d = Σ w and D the degree). `local` is
/// compact_blocks(P, q): its entries follow P's, so entry e's vertex has the
/// per-minibatch column node_offsets[m] + local.indices[e]. Minibatches run
/// in parallel on disjoint columns and rows, each serially, so the result
/// depends neither on the thread count nor on the other minibatches.
template <class V, index_type I, index_type O>
std::vector<double> labor_importance(const csr_view<V, I, O>& p, const stacked_selection<I>& q,
                                     const block_set<V, I, O>& local, std::int64_t fanout, bool weighted,
                                     int iterations) {
  constexpr double eps = 1e-4;  // relative tolerance of both fixed points
  constexpr int max_solve = 200;
  const std::int64_t rows = p.rows(), k = q.batches();
  const bool use_weights = weighted && p.has_values();
  const auto weight = [&](O e) { return use_weights ? static_cast<double>(p.values()[e]) : 1.0; };
  std::vector<double> c(static_cast<std::size_t>(rows), 0.0), target(static_cast<std::size_t>(rows), 0.0);
  std::vector<char> whole(static_cast<std::size_t>(rows), 0);  // rows that keep every positive entry
  for (std::int64_t r = 0; r < rows; ++r) {
    double d = 0, squares = 0, smallest = 0;
    std::int64_t positive = 0;
    for (O e = p.row_begin(static_cast<I>(r)); e < p.row_end(static_cast<I>(r)); ++e) {
      const double w = weight(e);
      if (!(w > 0)) continue;
      d += w;
      squares += w * w;
      smallest = positive == 0 ? w : std::min(smallest, w);
      ++positive;
    }
    whole[r] = fanout < 0 || positive <= fanout;
    if (positive == 0) continue;
    const auto s = static_cast<double>(whole[r] ? positive : fanout);
    c[r] = whole[r] ? 1.0 / smallest : s / d;
    target[r] = use_weights ? d * d / s - d * d / static_cast<double>(positive) + squares : d * d / s;
  }
  const auto total_columns = static_cast<std::size_t>(local.node_offsets.back());
  std::vector<double> pi(total_columns, 0.0), round(total_columns);
  const int rounds = iterations < 0 ? max_importance_iterations : iterations;
  // Each minibatch runs its own rounds (its own columns, rows and stopping
  // test), so a minibatch gets the same π alone or in a bulk call.
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t m = 0; m < k; ++m) {
    const auto f0 = local.node_offsets[m], f1 = local.node_offsets[m + 1];
    double expected = std::numeric_limits<double>::infinity();
    for (int it = 0; it < rounds; ++it) {
      for (auto f = f0; f < f1; ++f) round[f] = 0.0;
      for (auto r = q.batch_offsets[m]; r < q.batch_offsets[m + 1]; ++r) {
        for (O e = p.row_begin(static_cast<I>(r)); e < p.row_end(static_cast<I>(r)); ++e) {
          const auto f = static_cast<std::size_t>(f0 + local.indices[e]);
          round[f] = std::max(round[f], c[r] * (it == 0 ? weight(e) : 1.0));
        }
      }
      for (auto f = f0; f < f1; ++f) pi[f] = it == 0 ? round[f] : pi[f] * round[f];
      for (auto r = q.batch_offsets[m]; r < q.batch_offsets[m + 1]; ++r) {
        if (whole[r] || !(target[r] > 0)) continue;
        double cr = c[r];
        for (int step = 0; step < max_solve; ++step) {
          double variance = 0;
          for (O e = p.row_begin(static_cast<I>(r)); e < p.row_end(static_cast<I>(r)); ++e) {
            const double w = weight(e);
            if (!(w > 0)) continue;
            variance +=
                (use_weights ? w * w : 1.0) / std::min(1.0, cr * pi[static_cast<std::size_t>(f0 + local.indices[e])]);
          }
          cr *= variance / target[r];
          if (std::min(variance, target[r]) / std::max(variance, target[r]) >= 1 - eps) break;
        }
        c[r] = cr;
      }
      double now = 0;  // expected distinct vertices: the quantity the rounds lower
      for (auto f = f0; f < f1; ++f) now += std::min(1.0, pi[f]);
      if (now / expected >= 1 - eps) break;
      expected = now;
    }
  }
  std::vector<double> out(static_cast<std::size_t>(p.nnz()), 0.0);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t m = kernels::block_of(q.batch_offsets.data(), k, r);
    for (O e = p.row_begin(static_cast<I>(r)); e < p.row_end(static_cast<I>(r)); ++e) {
      const double w = weight(e);
      const double pf = pi[static_cast<std::size_t>(local.node_offsets[m] + local.indices[e])];
      out[static_cast<std::size_t>(e)] = !(w > 0) ? 0.0 : whole[r] ? 1.0 : std::min(1.0, c[r] * pf);
    }
  }
  return out;
}

}  // namespace detail

/// The LABOR sampler. A view, like the other samplers: it references the
/// backend and the graph, which must outlive it, and holds nothing else.
template <kernel_set B, class V, index_type I, index_type O, graph_operand View = csr_view<V, I, O>>
class labor_sampler {
 public:
  using options_type = labor_options;  ///< The options operator() takes.
  /// Keeps a pointer to `backend` and the view of `a` (graph_view_t), both of
  /// which must outlive the sampler; throws argument_error unless `a` is square.
  labor_sampler(const B& backend, const View& a) : backend_(&backend), a_(a) { require_square(a, "labor"); }

  /// Samples every minibatch of `batches` through all layers in one pass;
  /// blocks come back in DGL order (layers[0] is the input layer) and carry
  /// A_st / π_st.
  [[nodiscard]] bulk_sample<V, I, O> operator()(const batch_list<I>& batches, const labor_options& options) const {
    validate(options);
    if (options.importance_iterations == 0) {
      return detail::sample_rowwise<V, I, O>(*backend_, a_, batches, options.fanouts.size(), options.seed, true,
                                             [&](std::size_t l) { return labor_layer_rule(options, l); });
    }
    // LABOR-*: P = Q·A whole, its per-minibatch columns (compaction), the
    // fixed point over them, then the same rule with the solved π.
    return detail::run_rowwise<V, I, O>(
        *backend_, a_, batches, options.fanouts.size(), true, [&](std::size_t l, const stacked_selection<I>& q) {
          auto p = gather_rows_excluding(*backend_, a_, q, batches.excluded);
          if constexpr (!std::same_as<std::remove_cvref_t<decltype(as_view(p))>, csr_view<V, I, O>>) {
            // The fixed point runs on the host: a device graph is sampled with
            // LABOR-0, or passed as a host csr_view to a device backend.
            throw argument_error(
                "labor: importance sampling (LABOR-*) needs the graph in host memory; pass a csr_view");
            return p;
          } else {
            const auto local = backend_->compact_blocks(as_view(p), q, true);
            const auto pi = detail::labor_importance(as_view(p), q, local, options.fanouts[l], options.weighted,
                                                     options.importance_iterations);
            auto rule = labor_layer_rule(options, l);
            rule.inclusion = pi.data();
            return backend_->sample_rows(as_view(p), q, rule, options.seed, l);
          }
        });
  }

 private:
  const B* backend_;
  View a_;
};

/// Deduces the sampler from the backend and the graph (a view, an owning
/// matrix or a backend's own view).
template <kernel_set B, graph_operand View>
labor_sampler(const B&, const View&) -> labor_sampler<B, typename View::value_type, typename View::index_type,
                                                      typename View::offset_type, graph_view_t<View>>;

/// One-call form.
template <kernel_set B, graph_operand View, index_type I>
auto sample_labor(const B& backend, const View& a, const batch_list<I>& batches, const labor_options& options) {
  return labor_sampler(backend, a)(batches, options);
}

}  // namespace matsample
