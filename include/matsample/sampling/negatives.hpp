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
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "matsample/algebra/contract.hpp"
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
  std::vector<I> src;                  ///< source of each negative pair
  std::vector<I> dst;                  ///< destination of each negative pair
  std::vector<std::int64_t> positive;  ///< the positive pair (its position in the call) each came from
  std::int64_t dropped = 0;            ///< negatives dropped because every redraw was a true edge
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

/// The column indices of row r.
template <class View, class I>
auto row_columns(const View& a, I r) {
  return a.indices().subspan(static_cast<std::size_t>(a.row_begin(r)), static_cast<std::size_t>(a.degree(r)));
}

/// Whether row r of a column-sorted CSR holds column c.
template <class View, class I>
bool row_holds(const View& a, I r, I c) {
  const auto columns = row_columns(a, r);
  return std::binary_search(columns.begin(), columns.end(), c);
}

/// Throws format_error, naming `who`, unless every row of `a` is sorted by column.
template <class View>
void require_sorted_rows(const View& a, const char* who) {
  for (typename View::index_type r = 0; r < a.rows(); ++r) {
    const auto columns = row_columns(a, r);
    if (!std::is_sorted(columns.begin(), columns.end())) {
      throw format_error(concat(who, " needs rows sorted by column; row ", r,
                                " is not (build the graph with sorted rows, e.g. csr_from_coo)"));
    }
  }
}

}  // namespace detail

/// Draws negative pairs for minibatches of positive pairs on one graph.
/// Built once per graph and options: it keeps a view of the graph (which
/// must outlive it) and, for degree_power, an integer cumulative weight table
/// (n + 1 words), built on the host so that every backend draws from the
/// same table.
template <class View>
class negative_sampler {
 public:
  using index_type = typename View::index_type;  ///< vertex id type

  /// Throws argument_error for bad options or a non-square graph, and
  /// format_error when reject_true_edges needs sorted rows and a row is not.
  negative_sampler(const View& graph, const negative_options& options) : graph_(graph), options_(options) {
    detail::validate(options_);
    if (graph_.rows() != graph_.cols()) {
      throw argument_error(
          detail::concat("negative sampling: the graph must be square, got ", graph_.rows(), " x ", graph_.cols()));
    }
    if (options_.reject_true_edges) detail::require_sorted_rows(graph_, "negative sampling: rejecting true edges");
    if (options_.distribution == negative_distribution::degree_power) build_weights();
  }

  [[nodiscard]] const negative_options& options() const noexcept { return options_; }  ///< as given

  /// The negatives of one minibatch of positive pairs (src[j], dst[j]),
  /// counted by (epoch, minibatch, j, draw): the same for this minibatch
  /// whatever else is sampled with it. Throws out_of_range_error for a pair
  /// naming a vertex outside the graph (the message names the pair, as
  /// validate_seeds does for seeds), argument_error for unequal spans.
  [[nodiscard]] negative_pairs<index_type> operator()(std::span<const index_type> src, std::span<const index_type> dst,
                                                      std::uint64_t epoch, std::uint64_t minibatch) const {
    using I = index_type;
    if (src.size() != dst.size()) {
      throw argument_error(
          detail::concat("negative sampling: ", src.size(), " sources but ", dst.size(), " destinations"));
    }
    const I n = graph_.rows();
    for (std::size_t j = 0; j < src.size(); ++j) {
      if (src[j] < 0 || src[j] >= n || dst[j] < 0 || dst[j] >= n) {
        throw out_of_range_error(detail::concat("negative sampling: positive pair ", j, " (", src[j], ", ", dst[j],
                                                ") names a vertex outside 0..", n - 1));
      }
    }
    const auto k = options_.per_positive;
    const auto m = static_cast<std::int64_t>(src.size());
    // Fixed slots (positive j, negative r) filled in parallel, then compacted
    // in order: the output does not depend on the thread count.
    std::vector<I> drawn(static_cast<std::size_t>(m * k));
    std::vector<std::uint8_t> kept(static_cast<std::size_t>(m * k));
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < m; ++j) {
      philox_row_stream rng(options_.seed, streams::negatives, {epoch, minibatch, static_cast<std::uint64_t>(j)});
      const I fixed = options_.corrupt_source ? dst[static_cast<std::size_t>(j)] : src[static_cast<std::size_t>(j)];
      std::uint64_t draw = 0;
      for (std::int64_t r = 0; r < k; ++r) {
        const auto slot = static_cast<std::size_t>(j * k + r);
        bool ok = false;
        I w = 0;
        for (int attempt = 0; attempt <= options_.max_redraws && !ok; ++attempt) {
          w = pick(rng, draw++);
          ok = !options_.reject_true_edges ||
               !(options_.corrupt_source ? detail::row_holds(graph_, w, fixed) : detail::row_holds(graph_, fixed, w));
          if (!options_.reject_true_edges) break;
        }
        drawn[slot] = w;
        kept[slot] = ok ? 1 : 0;
      }
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
    return out;
  }

  /// The probability that one draw picks vertex w (before rejection): what
  /// the statistical tests compare against.
  [[nodiscard]] double probability(index_type w) const {
    if (options_.distribution == negative_distribution::uniform) return 1.0 / static_cast<double>(graph_.rows());
    const auto i = static_cast<std::size_t>(w);
    return static_cast<double>(cumulative_[i + 1] - cumulative_[i]) / static_cast<double>(cumulative_.back());
  }

 private:
  /// One endpoint from draw `draw`: uniform by scaling 64 random bits, or the
  /// first vertex whose cumulative weight exceeds a uniform integer below
  /// the total.
  index_type pick(philox_row_stream& rng, std::uint64_t draw) const {
    if (options_.distribution == negative_distribution::uniform) {
      return static_cast<index_type>(rng.below(draw, static_cast<std::uint64_t>(graph_.rows())));
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
    const auto n = static_cast<std::int64_t>(graph_.rows());
    double heaviest = 0;
    for (std::int64_t v = 0; v < n; ++v) {
      heaviest = std::max(
          heaviest, std::pow(static_cast<double>(graph_.degree(static_cast<index_type>(v))), options_.degree_exponent));
    }
    if (heaviest == 0) heaviest = 1;
    const double budget = std::ldexp(1.0, 62) / (static_cast<double>(std::max<std::int64_t>(n, 1)) * heaviest);
    const int bits = std::clamp(static_cast<int>(std::floor(std::log2(budget))), 0, 32);
    cumulative_.assign(static_cast<std::size_t>(n) + 1, 0);
    bool any = false;
    for (std::int64_t v = 0; v < n; ++v) {
      const double w =
          std::pow(static_cast<double>(graph_.degree(static_cast<index_type>(v))), options_.degree_exponent);
      const auto units = static_cast<std::uint64_t>(std::llround(std::ldexp(w, bits)));
      any = any || units > 0;
      cumulative_[static_cast<std::size_t>(v) + 1] = cumulative_[static_cast<std::size_t>(v)] + units;
    }
    if (!any) {
      for (std::int64_t v = 0; v < n; ++v)
        cumulative_[static_cast<std::size_t>(v) + 1] = static_cast<std::uint64_t>(v + 1);
    }
  }

  View graph_;
  negative_options options_;
  std::vector<std::uint64_t> cumulative_;  ///< degree_power: cumulative integer weights, n + 1 entries
};

}  // namespace matsample
