#pragma once
// The k minibatches of seed vertices one sampling call takes, and the check
// that the seeds are vertices of the graph. Backends (the distributed one's
// load balance and seed checks) use these, so they sit below sampling/.

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"

namespace matsample {

/// Entries of A that each minibatch of a call must not sample (link
/// prediction's exclusion of its seed edges and their reverses): minibatch m
/// excludes the entries (src[i], dst[i]) for i in [offsets[m], offsets[m+1]),
/// sorted by (src, dst) within each minibatch. Borrowed, not owned. Every
/// copy of an excluded (u, v) is excluded, wherever a minibatch's frontier
/// reaches u.
template <index_type I>
struct excluded_edges {
  std::span<const std::int64_t> offsets;  ///< k + 1 ascending offsets into src/dst; empty: nothing excluded
  std::span<const I> src;                 ///< row of each excluded entry
  std::span<const I> dst;                 ///< column of each excluded entry
  /// The caller vouches that the graph's rows are sorted by column
  /// (link_sampler checks it once): a fused kernel then finds a row's
  /// excluded entries by binary search instead of scanning the row.
  bool sorted_rows = false;

  /// Whether any minibatch excludes anything.
  [[nodiscard]] bool empty() const noexcept { return offsets.empty() || offsets.front() == offsets.back(); }
  /// Whether a mask is given at all (offsets set), even one that masks
  /// nothing here. The samplers choose their kernels by this, not by the
  /// data, so every rank of a distributed call runs the same collective
  /// steps, a rank with no minibatches too.
  [[nodiscard]] bool given() const noexcept { return !offsets.empty(); }
};

/// k minibatches of seeds for one sampling call. Minibatch m holds
/// seeds[offsets[m], offsets[m+1]) and is minibatch first_batch + m of `epoch`
/// for the random streams.
template <index_type I>
struct batch_list {
  std::span<const I> seeds;              ///< Seed vertex ids (graph rows) of all minibatches, not owned
  std::vector<std::int64_t> offsets{0};  ///< k + 1 offsets into seeds, from 0 to seeds.size()
  std::uint64_t epoch = 0;               ///< Epoch number, the counter word of every draw
  std::uint64_t first_batch = 0;         ///< Global number of minibatch 0 within the epoch
  excluded_edges<I> excluded{};          ///< Entries each minibatch must not sample (none by default)

  /// Number of minibatches k.
  [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(offsets.size()) - 1; }
  /// The seeds of minibatch `m` (0 <= m < size(), unchecked).
  [[nodiscard]] std::span<const I> batch(std::int64_t m) const {
    return seeds.subspan(static_cast<std::size_t>(offsets[m]), static_cast<std::size_t>(offsets[m + 1] - offsets[m]));
  }

  /// Minibatches [begin, end) as their own list; they keep their global
  /// numbers (first_batch moves), so they sample exactly as they would here.
  [[nodiscard]] batch_list slice(std::int64_t begin, std::int64_t end) const {
    if (begin < 0 || end < begin || end > size()) {
      throw argument_error(detail::concat("batch_list::slice: [", begin, ", ", end, ") of ", size(), " minibatches"));
    }
    batch_list out{seeds.subspan(static_cast<std::size_t>(offsets[begin]),
                                 static_cast<std::size_t>(offsets[end] - offsets[begin])),
                   {},
                   epoch,
                   first_batch + static_cast<std::uint64_t>(begin),
                   excluded};
    if (!excluded.offsets.empty()) {
      out.excluded.offsets =
          excluded.offsets.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin) + 1);
    }
    for (auto m = begin; m <= end; ++m) out.offsets.push_back(offsets[m] - offsets[begin]);
    return out;
  }

  /// Cuts `seeds` into batches of `batch_size` (the last may be smaller).
  static batch_list uniform(std::span<const I> seeds, std::int64_t batch_size, std::uint64_t epoch = 0,
                            std::uint64_t first_batch = 0) {
    if (batch_size <= 0) throw argument_error(detail::concat("batch size must be positive, got ", batch_size));
    batch_list out{seeds, {0}, epoch, first_batch};
    const auto n = static_cast<std::int64_t>(seeds.size());
    for (std::int64_t end = batch_size; out.offsets.back() < n; end += batch_size) {
      out.offsets.push_back(std::min(end, n));
    }
    return out;
  }
};

/// The exclusion lists of `batches` are well formed: one offset per
/// minibatch plus one, ascending within src/dst, pairs sorted by (src, dst)
/// within each minibatch and naming entries inside the graph's shape. Throws
/// argument_error, or out_of_range_error naming the pair and its minibatch.
template <class View, index_type I>
void validate_exclusion(const View& a, const batch_list<I>& batches) {
  const auto& ex = batches.excluded;
  if (ex.offsets.empty()) return;
  if (static_cast<std::int64_t>(ex.offsets.size()) != batches.size() + 1) {
    throw argument_error(detail::concat("excluded edges: ", ex.offsets.size(), " offsets for ", batches.size(),
                                        " minibatches (need one more than the minibatches)"));
  }
  if (ex.src.size() != ex.dst.size()) {
    throw argument_error(
        detail::concat("excluded edges: ", ex.src.size(), " sources but ", ex.dst.size(), " destinations"));
  }
  for (std::size_t m = 0; m + 1 < ex.offsets.size(); ++m) {
    if (ex.offsets[m] < 0 || ex.offsets[m + 1] < ex.offsets[m] ||
        ex.offsets[m + 1] > static_cast<std::int64_t>(ex.src.size())) {
      throw argument_error(detail::concat("excluded edges: offsets of minibatch ", batches.first_batch + m,
                                          " do not name a range of the ", ex.src.size(), " pairs"));
    }
    for (auto i = ex.offsets[m]; i < ex.offsets[m + 1]; ++i) {
      const I u = ex.src[static_cast<std::size_t>(i)], v = ex.dst[static_cast<std::size_t>(i)];
      if (u < 0 || u >= a.rows() || v < 0 || v >= a.cols()) {
        throw out_of_range_error(detail::concat("excluded edge (", u, ", ", v, ") of minibatch ",
                                                batches.first_batch + m, " is outside the graph's ", a.rows(), " x ",
                                                a.cols()));
      }
      if (i > ex.offsets[m] && std::pair(ex.src[static_cast<std::size_t>(i) - 1],
                                         ex.dst[static_cast<std::size_t>(i) - 1]) > std::pair(u, v)) {
        throw argument_error(detail::concat("excluded edges of minibatch ", batches.first_batch + m,
                                            " must be sorted by (source, destination); (", u, ", ", v,
                                            ") follows a larger pair"));
      }
    }
  }
}

/// Runs the sampler-side check f for a graph operand. On one process that
/// is f(); a distributed graph's overload (found by argument-dependent
/// lookup) makes every rank throw when f throws on any, so no rank waits in
/// a collective step for one that failed its own check.
template <class View, class F>
void agree_on_checks(const View& /*graph*/, F&& f) {
  std::forward<F>(f)();
}

/// Seeds must be vertices of the graph; throws out_of_range_error naming the first bad one.
template <class View, index_type I>
void validate_seeds(const View& a, const batch_list<I>& batches) {
  if (batches.offsets.empty() || batches.offsets.front() != 0 ||
      batches.offsets.back() != static_cast<std::int64_t>(batches.seeds.size())) {
    throw argument_error(detail::concat("batches: offsets must run from 0 to the seed count ", batches.seeds.size()));
  }
  for (std::size_t i = 0; i < batches.seeds.size(); ++i) {
    if (batches.seeds[i] < 0 || batches.seeds[i] >= a.rows()) {
      throw out_of_range_error(detail::concat("seed vertex ", batches.seeds[i], " at position ", i,
                                              " is outside the graph's [0, ", a.rows(), ")"));
    }
  }
  validate_exclusion(a, batches);
}

}  // namespace matsample
