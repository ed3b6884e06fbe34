#pragma once
// Negative sampling for link prediction: for each positive pair (u, v), k
// corrupted pairs (u, w) (or (w, v) when corrupting the source), w drawn
// uniformly or proportionally to degree^alpha, optionally rejecting w that
// make a true edge. Every draw is Philox keyed by (seed, streams::negatives)
// and counted by (epoch, minibatch, positive, draw), so the negatives of a
// minibatch are the same on every thread count, backend and rank count, and
// whether it is sampled alone or in a bulk call. The first piece of link
// prediction; edge-seed minibatches and exclusion build on it.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/edge_lookup.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// What the corrupted endpoint is drawn from.
enum class negative_distribution {
  uniform,       ///< every vertex with probability 1/n
  degree_power,  ///< vertex w with probability proportional to degree(w)^alpha (word2vec, PinSAGE)
};

/// Options of negative_sampler.
struct negative_options {
  std::int64_t per_positive = 1;  ///< negatives drawn per positive pair (k); at least 1
  negative_distribution distribution = negative_distribution::uniform;  ///< what the corrupted endpoint follows
  double degree_exponent = 0.75;                                        ///< alpha of degree_power, in [0, 4]
  bool corrupt_source = false;  ///< replace the source u instead of the destination v
  /// Redraw a negative that is a true edge of the graph, up to max_redraws
  /// times; a negative still a true edge after that is dropped (counted in
  /// negative_pairs::dropped). Needs rows sorted by column (checked).
  bool reject_true_edges = false;
  int max_redraws = 16;    ///< redraws per negative under reject_true_edges; at least 0
  std::uint64_t seed = 0;  ///< Philox seed
};

/// Negative pairs in global vertex ids, k per positive in the order of the
/// positives (fewer where rejection dropped some).
template <index_type I>
struct negative_pairs {
  std::vector<I> src;                    ///< source of each negative pair
  std::vector<I> dst;                    ///< destination of each negative pair
  std::vector<std::int64_t> positive;    ///< the positive pair (its position in the call) each came from
  std::vector<std::int64_t> offsets{0};  ///< minibatch m's negatives are [offsets[m], offsets[m+1])
  std::int64_t dropped = 0;              ///< negatives dropped because every redraw was a true edge
};

namespace detail {

/// Throws argument_error for options no sampler accepts.
inline void validate(const negative_options& o) {
  if (o.per_positive < 1) {
    throw argument_error(concat("negative sampling: per_positive must be at least 1, got ", o.per_positive));
  }
  if (!(o.degree_exponent >= 0 && o.degree_exponent <= 4)) {
    throw argument_error(concat("negative sampling: degree_exponent must be in [0, 4], got ", o.degree_exponent));
  }
  if (o.max_redraws < 0) {
    throw argument_error(concat("negative sampling: max_redraws must be at least 0, got ", o.max_redraws));
  }
}

}  // namespace detail

/// Draws negative pairs for minibatches of positive pairs on one graph: a
/// host csr_view or a distributed graph (its edge lookup fetches the rows
/// that rejection reads; every call is then collective). Built once per
/// graph and options: it keeps the graph's edge lookup (the graph must
/// outlive it) and, for degree_power, an integer cumulative weight table
/// (n + 1 words), so that every backend draws from the same table.
template <class View>
class negative_sampler {
 public:
  using index_type = typename View::index_type;  ///< vertex id type
  /// The graph's edge lookup (algebra/edge_lookup.hpp, or the distributed one).
  using lookup_type = decltype(make_edge_lookup(std::declval<const View&>()));

  /// The graph may be rectangular (a relation of a typed graph: rows and
  /// columns of two vertex types); the corrupted endpoint is then drawn among
  /// the columns (or the rows, corrupting the source), uniformly:
  /// degree_power needs a square graph. Throws argument_error for bad
  /// options, and format_error when reject_true_edges needs sorted rows and
  /// a row is not.
  negative_sampler(const View& graph, const negative_options& options)
      : lookup_(make_edge_lookup(graph)), options_(options) {
    detail::validate(options_);
    if (options_.distribution == negative_distribution::degree_power && lookup_.vertices() != lookup_.columns()) {
      throw argument_error(detail::concat("negative sampling: degree_power needs a square graph, got ",
                                          lookup_.vertices(), " x ", lookup_.columns(), " (use uniform)"));
    }
    if (options_.reject_true_edges) lookup_.require_sorted_rows("negative sampling: rejecting true edges");
    if (options_.distribution == negative_distribution::degree_power) build_weights();
  }

  [[nodiscard]] const negative_options& options() const noexcept { return options_; }  ///< as given
  [[nodiscard]] const lookup_type& lookup() const noexcept { return lookup_; }         ///< the graph's edge lookup

  /// The negatives of one minibatch of positive pairs (src[j], dst[j]),
  /// counted by (epoch, minibatch, j, draw): the same for this minibatch
  /// whatever else is sampled with it. Throws out_of_range_error for a pair
  /// naming a vertex outside the graph (the message names the pair, as
  /// validate_seeds does for seeds), argument_error for unequal spans.
  [[nodiscard]] negative_pairs<index_type> operator()(std::span<const index_type> src, std::span<const index_type> dst,
                                                      std::uint64_t epoch, std::uint64_t minibatch) const {
    const std::int64_t one[] = {0, static_cast<std::int64_t>(src.size())};
    return (*this)(src, dst, one, epoch, minibatch);
  }

  /// The negatives of k minibatches at once: minibatch m holds pairs
  /// [offsets[m], offsets[m+1]) and is minibatch first_batch + m of the
  /// epoch, so each gets what it gets alone. On a distributed graph this is
  /// the collective call (ranks pass their own minibatches). Throws as the
  /// one-minibatch call does, and argument_error for offsets that do not
  /// ascend from 0 to the pair count.
  [[nodiscard]] negative_pairs<index_type> operator()(std::span<const index_type> src, std::span<const index_type> dst,
                                                      std::span<const std::int64_t> offsets, std::uint64_t epoch,
                                                      std::uint64_t first_batch) const {
    using I = index_type;
    const I rows = lookup_.vertices(), cols = lookup_.columns();
    lookup_.check([&] {
      if (src.size() != dst.size()) {
        throw argument_error(
            detail::concat("negative sampling: ", src.size(), " sources but ", dst.size(), " destinations"));
      }
      if (offsets.empty() || offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(src.size()) ||
          !std::is_sorted(offsets.begin(), offsets.end())) {
        throw argument_error(
            detail::concat("negative sampling: minibatch offsets must ascend from 0 to the pair count ", src.size()));
      }
      for (std::size_t j = 0; j < src.size(); ++j) {
        if (src[j] < 0 || src[j] >= rows || dst[j] < 0 || dst[j] >= cols) {
          throw out_of_range_error(detail::concat("negative sampling: positive pair ", j, " (", src[j], ", ", dst[j],
                                                  ") is outside the graph's ", rows, " x ", cols));
        }
      }
    });
    const auto k = options_.per_positive;
    const auto m = static_cast<std::int64_t>(src.size());
    // Fixed slots (positive j, negative r) filled in parallel, then compacted
    // in order: the output does not depend on the thread count. A positive
    // whose next check needs a row the lookup does not hold waits for the
    // next round (a distributed graph with corrupt_source; on one process,
    // or when the fixed endpoint's row is fetched up front, one round does).
    std::vector<I> drawn(static_cast<std::size_t>(m * k));
    std::vector<std::uint8_t> kept(static_cast<std::size_t>(m * k));
    std::vector<progress> state(static_cast<std::size_t>(m));
    std::vector<std::int64_t> pending(static_cast<std::size_t>(m));
    std::iota(pending.begin(), pending.end(), std::int64_t{0});
    const bool fixed_rows = options_.reject_true_edges && !options_.corrupt_source;
    auto window = lookup_.rows(fixed_rows ? src : std::span<const I>{});
    for (;;) {
      std::vector<I> needed(pending.size());
      std::vector<std::uint8_t> blocked(pending.size());
#pragma omp parallel for schedule(static)
      for (std::size_t p = 0; p < pending.size(); ++p) {
        const auto j = pending[p];
        const auto batch = std::upper_bound(offsets.begin(), offsets.end(), j) - offsets.begin() - 1;
        blocked[p] = advance(window, src, dst, j, j - offsets[static_cast<std::size_t>(batch)],
                             {epoch, first_batch + static_cast<std::uint64_t>(batch)}, drawn, kept,
                             state[static_cast<std::size_t>(j)], needed[p]);
      }
      std::vector<I> rows;
      std::size_t still = 0;
      for (std::size_t p = 0; p < pending.size(); ++p) {
        if (!blocked[p]) continue;
        pending[still++] = pending[p];
        rows.push_back(needed[p]);
      }
      pending.resize(still);
      if (!lookup_.any(still > 0)) break;
      std::sort(rows.begin(), rows.end());
      rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
      window = lookup_.rows(rows);
    }
    negative_pairs<I> out;
    out.src.reserve(drawn.size());
    out.dst.reserve(drawn.size());
    out.positive.reserve(drawn.size());
    for (std::int64_t j = 0; j < m; ++j) {
      for (std::int64_t r = 0; r < k; ++r) {
        const auto slot = static_cast<std::size_t>(j * k + r);
        if (!kept[slot]) {
          ++out.dropped;
          continue;
        }
        const I w = drawn[slot];
        out.src.push_back(options_.corrupt_source ? w : src[static_cast<std::size_t>(j)]);
        out.dst.push_back(options_.corrupt_source ? dst[static_cast<std::size_t>(j)] : w);
        out.positive.push_back(j);
      }
    }
    // Minibatch m's negatives come from its positives, which are contiguous.
    out.offsets.assign(offsets.size(), 0);
    for (std::size_t b = 1; b < offsets.size(); ++b) {
      out.offsets[b] = std::lower_bound(out.positive.begin(), out.positive.end(), offsets[b]) - out.positive.begin();
    }
    return out;
  }

  /// The probability that one draw picks vertex w (before rejection): what
  /// the statistical tests compare against.
  [[nodiscard]] double probability(index_type w) const {
    if (options_.distribution == negative_distribution::uniform) return 1.0 / static_cast<double>(draw_range());
    const auto i = static_cast<std::size_t>(w);
    return static_cast<double>(cumulative_[i + 1] - cumulative_[i]) / static_cast<double>(cumulative_.back());
  }

 private:
  /// Where positive j stands: its next negative, that negative's redraws so
  /// far, and the next draw of its stream.
  struct progress {
    std::int64_t negative = 0;
    int attempt = 0;
    std::uint64_t draw = 0;
  };

  /// Draws positive j's remaining negatives into their slots, counted by
  /// (epoch, minibatch, `within`, draw); returns true, with the row in
  /// `needed`, when the next rejection check needs a row `window` lacks.
  template <class Window>
  bool advance(const Window& window, std::span<const index_type> src, std::span<const index_type> dst, std::int64_t j,
               std::int64_t within, std::array<std::uint64_t, 2> counter, std::vector<index_type>& drawn,
               std::vector<std::uint8_t>& kept, progress& at, index_type& needed) const {
    philox_row_stream rng(options_.seed, streams::negatives,
                          {counter[0], counter[1], static_cast<std::uint64_t>(within)});
    const auto fixed = options_.corrupt_source ? dst[static_cast<std::size_t>(j)] : src[static_cast<std::size_t>(j)];
    for (; at.negative < options_.per_positive;) {
      const auto w = pick(rng, at.draw);
      bool ok = true;
      if (options_.reject_true_edges) {
        const auto row = options_.corrupt_source ? w : fixed, column = options_.corrupt_source ? fixed : w;
        if (!window.has_row(row)) {
          needed = row;
          return true;
        }
        ok = !window.holds(row, column);
      }
      ++at.draw;
      if (ok || at.attempt == options_.max_redraws) {
        const auto slot = static_cast<std::size_t>(j * options_.per_positive + at.negative);
        drawn[slot] = w;
        kept[slot] = ok ? 1 : 0;
        ++at.negative;
        at.attempt = 0;
      } else {
        ++at.attempt;
      }
    }
    return false;
  }

  /// How many vertices the corrupted endpoint is drawn from: the rows when
  /// corrupting the source, else the columns (the same for a square graph).
  [[nodiscard]] index_type draw_range() const noexcept {
    return options_.corrupt_source ? lookup_.vertices() : lookup_.columns();
  }

  /// One endpoint from draw `draw`: uniform by scaling 64 random bits, or the
  /// first vertex whose cumulative weight exceeds a uniform integer below
  /// the total.
  index_type pick(philox_row_stream& rng, std::uint64_t draw) const {
    if (options_.distribution == negative_distribution::uniform) {
      return static_cast<index_type>(rng.below(draw, static_cast<std::uint64_t>(draw_range())));
    }
    const std::uint64_t target = rng.below(draw, cumulative_.back());
    const auto it = std::upper_bound(cumulative_.begin() + 1, cumulative_.end(), target);
    return static_cast<index_type>(it - cumulative_.begin() - 1);
  }

  /// Integer weights round(degree^alpha * 2^bits), so the cumulative sums are
  /// exact and the same in any summation order; `bits` leaves the total below
  /// 2^62. A graph whose every weight is 0 (no edges with alpha > 0) falls
  /// back to uniform weights.
  void build_weights() {
    const auto n = static_cast<std::int64_t>(lookup_.vertices());
    double heaviest = 0;
    for (std::int64_t v = 0; v < n; ++v) {
      heaviest = std::max(heaviest, std::pow(static_cast<double>(lookup_.degree(static_cast<index_type>(v))),
                                             options_.degree_exponent));
    }
    if (heaviest == 0) heaviest = 1;
    const double budget = std::ldexp(1.0, 62) / (static_cast<double>(std::max<std::int64_t>(n, 1)) * heaviest);
    const int bits = std::clamp(static_cast<int>(std::floor(std::log2(budget))), 0, 32);
    cumulative_.assign(static_cast<std::size_t>(n) + 1, 0);
    bool any = false;
    for (std::int64_t v = 0; v < n; ++v) {
      const double w =
          std::pow(static_cast<double>(lookup_.degree(static_cast<index_type>(v))), options_.degree_exponent);
      const auto units = static_cast<std::uint64_t>(std::llround(std::ldexp(w, bits)));
      any = any || units > 0;
      cumulative_[static_cast<std::size_t>(v) + 1] = cumulative_[static_cast<std::size_t>(v)] + units;
    }
    if (!any) {
      for (std::int64_t v = 0; v < n; ++v)
        cumulative_[static_cast<std::size_t>(v) + 1] = static_cast<std::uint64_t>(v + 1);
    }
  }

  lookup_type lookup_;
  negative_options options_;
  std::vector<std::uint64_t> cumulative_;  ///< degree_power: cumulative integer weights, n + 1 entries
};

}  // namespace matsample
