// Node-wise (GraphSAGE) sampling: structural invariants of every block, the
// DGL layer order, paper mode, bit-identical output across backends and
// thread counts, and bulk consistency (k batches in one call == k calls).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "backends.hpp"
#include "graphs.hpp"
#include "matsample/matsample.hpp"

using namespace matsample;

namespace {

template <class I_, class O_>
struct ids {
  using V = float;
  using I = I_;
  using O = O_;
};
using i32_i64 = ids<std::int32_t, std::int64_t>;
using i64_i64 = ids<std::int64_t, std::int64_t>;
using i32_i32 = ids<std::int32_t, std::int32_t>;
/// Each of these on each backend (tests/backends.hpp).
using on_every_backend = test::each_config_on<test::backends, std::tuple<i32_i64, i64_i64, i32_i32>>;

using V = float;
template <class T>
using graph = csr_matrix<V, typename T::I, typename T::O>;

// 48 vertices: hub 0 (with a self loop) linked both ways to 1..30, self loops
// on 3, 7 and 40 (40 has nothing else), a clique on 10..14, a path 30..39,
// 44 -> 5 and 2 -> 41 one way only (41 has no out-edges), and 42, 43, 45,
// 46, 47 isolated.
template <class T>
graph<T> hand_graph() {
  return test::hub_graph<T>({.vertices = 48,
                             .hub_degree = 30,
                             .lone_loop = 40,
                             .path_first = 30,
                             .path_last = 39,
                             .into_five = 44,
                             .sink = 41});
}

// Every vertex linked to its `k` nearest neighbours on each side of a ring:
// degree exactly 2k, no self loops.
template <class T>
graph<T> ring_graph(int n, int k) {
  using I = typename T::I;
  std::vector<I> src, dst;
  for (int v = 0; v < n; ++v) {
    for (int j = 1; j <= k; ++j) {
      src.push_back(static_cast<I>(v));
      dst.push_back(static_cast<I>((v + j) % n));
    }
  }
  return csr_from_edges<V, I, typename T::O>(n, std::span<const I>(src), std::span<const I>(dst), {},
                                             {true, false, true});
}

using test::all_vertices;
using test::rmat_graph;
using test::with_weights;

std::int64_t expected_count(std::int64_t degree, std::int64_t fanout) {
  return (fanout < 0 || degree <= fanout) ? degree : fanout;
}

template <class X, class Y>
bool same_span(std::span<X> x, std::span<Y> y) {
  return std::ranges::equal(x, y);
}

// Checks every block of `s` against A, the batches and the options; returns
// the first violation ("" when there is none) so one CHECK covers a sample.
template <class VV, class I, class O>
std::string violations(const csr_matrix<VV, I, O>& a, const batch_list<I>& batches, const nodewise_options& opt,
                       const bulk_sample<VV, I, O>& s) {
  std::ostringstream why;
  const auto layers = opt.fanouts.size();
  if (s.layers.size() != layers) return "wrong number of layers";
  if (s.size() != batches.size()) return "wrong number of minibatches";
  const auto av = a.view();
  for (std::int64_t m = 0; m < s.size(); ++m) {
    const auto mb = s[m];
    if (mb.index() != m || mb.num_layers() != layers) return "minibatch view is inconsistent";
    if (!same_span(mb.seeds(), batches.batch(m))) {
      why << "minibatch " << m << ": seeds() differ from the batch's seeds";
      return why.str();
    }
    if (!same_span(mb.input_nodes(), mb.block(0).src_nodes)) return "input_nodes() is not block 0's source list";
    for (std::size_t j = 0; j < layers; ++j) {
      const auto blk = mb.block(j);
      const std::int64_t fanout = opt.fanouts[layers - 1 - j];  // layers.back() is hop 1
      const auto at = [&](auto r) -> std::ostringstream& {
        why << "minibatch " << m << ", layer " << j << ", row " << r << ": ";
        return why;
      };
      const std::int64_t n_dst = blk.num_dst(), n_src = blk.num_src();
      if (static_cast<std::int64_t>(blk.src_nodes.size()) != n_src || n_dst > n_src) {
        at(-1) << "source list has " << blk.src_nodes.size() << " nodes for " << n_src << " columns, " << n_dst
               << " rows";
        return why.str();
      }
      // DGL order: this layer's destinations are the next layer's sources.
      if (j + 1 < layers && !same_span(blk.dst_nodes(), mb.block(j + 1).src_nodes)) {
        at(-1) << "destination nodes differ from the source nodes of layer " << j + 1;
        return why.str();
      }
      try {
        validate(blk.adjacency);
      } catch (const error& e) {
        at(-1) << e.what();
        return why.str();
      }
      if (a.has_values() != blk.adjacency.has_values() && blk.num_edges() > 0) {
        at(-1) << "block values present: " << blk.adjacency.has_values();
        return why.str();
      }
      std::int64_t fresh = n_dst;  // next new local id in first-appearance order
      std::int64_t edges = 0;
      for (std::int64_t r = 0; r < n_dst; ++r) {
        const I v = blk.src_nodes[r];
        if (v < 0 || v >= a.rows()) {
          at(r) << "destination " << v << " is not a vertex";
          return why.str();
        }
        const std::int64_t degree = av.degree(v);
        const auto row =
            av.indices().subspan(static_cast<std::size_t>(av.row_begin(v)), static_cast<std::size_t>(degree));
        const std::int64_t count = blk.adjacency.degree(static_cast<I>(r));
        // Weighted rows never draw zero weights, so they can run out of entries.
        std::int64_t expected = expected_count(degree, fanout);
        const bool skip_zeros = opt.weighted && a.has_values() && expected < degree;
        if (skip_zeros) {
          const auto w =
              av.values().subspan(static_cast<std::size_t>(av.row_begin(v)), static_cast<std::size_t>(degree));
          const auto positive = std::ranges::count_if(w, [](VV x) { return x > 0; });
          expected = positive == 0 ? 0 : opt.replace ? fanout : std::min<std::int64_t>(positive, fanout);
        }
        if (count != expected) {
          at(r) << "vertex " << v << " of degree " << degree << " kept " << count << " entries, fanout " << fanout;
          return why.str();
        }
        std::vector<I> global;
        for (O e = blk.adjacency.row_begin(static_cast<I>(r)); e < blk.adjacency.row_end(static_cast<I>(r)); ++e) {
          const std::int64_t c = blk.adjacency.indices()[e];
          if (opt.deduplicate) {
            if (c > fresh) {
              at(r) << "local id " << c << " skips ahead of the next new id " << fresh;
              return why.str();
            }
            if (c == fresh) ++fresh;
          } else if (c != n_dst + edges) {
            at(r) << "paper mode: entry " << edges << " has local id " << c << ", expected " << n_dst + edges;
            return why.str();
          }
          ++edges;
          const I u = blk.src_nodes[static_cast<std::size_t>(c)];
          const auto it = std::lower_bound(row.begin(), row.end(), u);
          if (it == row.end() || *it != u) {
            at(r) << "sampled edge " << v << " -> " << u << " is not in A";
            return why.str();
          }
          if (a.has_values() && blk.adjacency.value(e) != av.values()[av.row_begin(v) + (it - row.begin())]) {
            at(r) << "value of edge " << v << " -> " << u << " differs from A's";
            return why.str();
          }
          if (skip_zeros && !(blk.adjacency.value(e) > 0)) {
            at(r) << "weighted sampling drew the zero-weight edge " << v << " -> " << u;
            return why.str();
          }
          global.push_back(u);
        }
        // Positions come out ascending and A's rows are sorted by column.
        const bool ordered =
            opt.replace ? std::ranges::is_sorted(global)
                        : std::adjacent_find(global.begin(), global.end(), std::greater_equal<I>{}) == global.end();
        if (!ordered) {
          at(r) << (opt.replace ? "entries out of order" : "duplicate or unordered entries without replacement");
          return why.str();
        }
        if (count == degree && !std::ranges::equal(global, row)) {
          at(r) << "a row with no more than fanout entries must keep all of them";
          return why.str();
        }
      }
      if (opt.deduplicate) {
        if (fresh != n_src) {
          at(-1) << n_src - fresh << " source nodes are never referenced";
          return why.str();
        }
        std::vector<I> sorted(blk.src_nodes.begin(), blk.src_nodes.end());
        std::ranges::sort(sorted);
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
          at(-1) << "source nodes repeat with deduplicate = true";
          return why.str();
        }
      } else if (n_src != n_dst + edges) {
        at(-1) << "paper mode: " << n_src << " source nodes for " << n_dst << " destinations and " << edges << " edges";
        return why.str();
      }
    }
  }
  return {};
}

using test::block_difference;

nodewise_options options(std::vector<std::int64_t> fanouts, bool replace, bool weighted, bool dedup,
                         std::uint64_t seed) {
  nodewise_options o;
  o.fanouts = std::move(fanouts);
  o.replace = replace;
  o.weighted = weighted;
  o.deduplicate = dedup;
  o.seed = seed;
  return o;
}

}  // namespace

MATSAMPLE_TEST_CASE_OVER("nodewise: invariants on hand-made graphs (isolated vertices, self loops, hub)", TB,
                         on_every_backend) {
  using T = typename TB::config;
  using I = typename T::I;
  const auto& b = TB::backend::get();
  const auto pattern = hand_graph<T>();
  const auto weighted = with_weights<T>(pattern);
  // Every vertex once, shuffled, batches of 7: the last batch holds 48 - 42 = 6.
  const epoch_batches<I> epoch(all_vertices<I>(48), 7, 11, 0);
  const auto batches = epoch.bulk(0, epoch.size());
  REQUIRE(batches.size() == 7);
  CHECK(batches.batch(6).size() == 6);

  const std::vector<std::vector<std::int64_t>> fanout_sets = {{3, 2}, {1}, {-1, 4}, {2, 5, 3}, {-1, -1}};
  for (const auto& fanouts : fanout_sets) {
    for (const bool replace : {false, true}) {
      for (const bool weigh : {false, true}) {
        for (const bool dedup : {true, false}) {
          const auto opt = options(fanouts, replace, weigh, dedup, 42);
          const auto& a = weigh ? weighted : pattern;
          CAPTURE(fanouts.size());
          CAPTURE(fanouts.front());
          CAPTURE(replace);
          CAPTURE(weigh);
          CAPTURE(dedup);
          const auto s = sample_nodewise(b, a.view(), batches, opt);
          const auto why = violations(a, batches, opt, s);
          CHECK_MESSAGE(why.empty(), why);
          CHECK(s == sample_nodewise(reference_backend{}, a.view(), batches, opt));
        }
      }
    }
  }
}

TEST_CASE_TEMPLATE("nodewise: hub, isolated and self-loop seeds in detail", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto a = hand_graph<T>();
  // One batch: the hub, an isolated vertex, a self-loop-only vertex, a vertex
  // whose only neighbour is a sink (41), and a self loop plus the hub.
  const std::vector<I> seeds = {0, 45, 40, 2, 3};
  const batch_list<I> batches{seeds, {0, 5}, 0, 0};
  const auto opt = options({4}, false, false, true, 9);
  const auto s = sample_nodewise(cpu_backend{2}, a.view(), batches, opt);
  const auto why = violations(a, batches, opt, s);
  CHECK_MESSAGE(why.empty(), why);
  const auto blk = s[0].block(0);
  REQUIRE(blk.num_dst() == 5);
  CHECK(blk.adjacency.degree(0) == 4);                              // the hub has 31 neighbours
  CHECK(blk.adjacency.degree(1) == 0);                              // isolated
  REQUIRE(blk.adjacency.degree(2) == 1);                            // 40's only neighbour is itself ...
  CHECK(blk.adjacency.indices()[blk.adjacency.row_begin(2)] == 2);  // ... which is destination 2, not a new node
  REQUIRE(blk.adjacency.degree(3) == 2);                            // 2 -> {0, 41}: all kept
  const auto row3 = blk.adjacency.indices().subspan(static_cast<std::size_t>(blk.adjacency.row_begin(3)), 2);
  CHECK(row3[0] == 0);  // the hub is destination 0
  CHECK(blk.src_nodes[static_cast<std::size_t>(row3[1])] == 41);
  REQUIRE(blk.adjacency.degree(4) == 2);  // 3 -> {0, 3}
  CHECK(blk.adjacency.indices()[blk.adjacency.row_begin(4)] == 0);
  CHECK(blk.adjacency.indices()[blk.adjacency.row_begin(4) + 1] == 4);

  // Two hops from the sink 41 and the isolated 45: their rows stay empty.
  const std::vector<I> sinks = {41, 45};
  const batch_list<I> sink_batches{sinks, {0, 1, 2}, 0, 0};
  const auto opt2 = options({3, 3}, false, false, true, 9);
  const auto s2 = sample_nodewise(reference_backend{}, a.view(), sink_batches, opt2);
  CHECK(violations(a, sink_batches, opt2, s2).empty());
  for (const auto mb : s2) {
    CHECK(mb.block(0).num_edges() == 0);
    CHECK(mb.block(1).num_edges() == 0);
    CHECK(mb.input_nodes().size() == 1);
  }
}

TEST_CASE_TEMPLATE("nodewise: invariants and backend agreement on R-MAT", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto pattern = rmat_graph<T>(8, 6, 5);
  const auto weighted = with_weights<T>(pattern);
  // 250 seeds in batches of 16: the last batch has 10.
  const epoch_batches<I> epoch(all_vertices<I>(250), 16, 3, 1);
  const auto batches = epoch.bulk(0, epoch.size());
  REQUIRE(batches.size() == 16);
  CHECK(batches.batch(15).size() == 10);

  for (const bool replace : {false, true}) {
    for (const bool weigh : {false, true}) {
      for (const bool dedup : {true, false}) {
        const auto opt = options({5, 3, 2}, replace, weigh, dedup, 1234);
        const auto& a = weigh ? weighted : pattern;
        CAPTURE(replace);
        CAPTURE(weigh);
        CAPTURE(dedup);
        const auto ref = sample_nodewise(reference_backend{}, a.view(), batches, opt);
        const auto why = violations(a, batches, opt, ref);
        CHECK_MESSAGE(why.empty(), why);
        CHECK(ref.num_edges() > 0);
        // Bit-identical across backends and thread counts.
        CHECK(sample_nodewise(cpu_backend{1}, a.view(), batches, opt) == ref);
        CHECK(sample_nodewise(cpu_backend{2}, a.view(), batches, opt) == ref);
        CHECK(sample_nodewise(cpu_backend{}, a.view(), batches, opt) == ref);
      }
    }
  }
}

TEST_CASE_TEMPLATE("nodewise: paper mode grows the frontier as n(1+s)", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto a = ring_graph<T>(64, 4);  // every degree is 8 >= every fanout
  const auto seeds = all_vertices<I>(64);
  const auto batches = batch_list<I>::uniform(seeds, 5);  // 13 batches, the last holds 4
  REQUIRE(batches.size() == 13);
  for (const bool replace : {false, true}) {
    const auto opt = options({3, 2, 2}, replace, false, false, 77);
    const auto s = sample_nodewise(cpu_backend{2}, a.view(), batches, opt);
    const auto why = violations(a, batches, opt, s);
    CHECK_MESSAGE(why.empty(), why);
    CHECK(s == sample_nodewise(reference_backend{}, a.view(), batches, opt));
    for (const auto mb : s) {
      const std::int64_t n = static_cast<std::int64_t>(mb.seeds().size());
      // Hop 1 (last layer): n(1+3); hop 2: n(1+3)(1+2); hop 3: n(1+3)(1+2)(1+2).
      CHECK(mb.block(2).num_src() == n * 4);
      CHECK(mb.block(1).num_src() == n * 12);
      CHECK(mb.block(0).num_src() == n * 36);
      CHECK(mb.block(0).num_edges() == n * 12 * 2);
      CHECK(static_cast<std::int64_t>(mb.input_nodes().size()) == n * 36);
    }
    // With de-duplication the frontier can only be smaller, and never repeats.
    const auto dd = options({3, 2, 2}, replace, false, true, 77);
    const auto d = sample_nodewise(cpu_backend{2}, a.view(), batches, dd);
    CHECK(violations(a, batches, dd, d).empty());
    for (std::int64_t m = 0; m < d.size(); ++m) {
      CHECK(d[m].input_nodes().size() <= s[m].input_nodes().size());
      // Same draws, so the same sampled global edges per hop-1 row.
      CHECK(d[m].block(2).num_edges() == s[m].block(2).num_edges());
    }
  }
}

TEST_CASE_TEMPLATE("nodewise: fanout -1 keeps every neighbour", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto a = rmat_graph<T>(7, 4, 9);
  const auto seeds = all_vertices<I>(a.rows());
  const auto batches = batch_list<I>::uniform(seeds, 32);
  const auto opt = options({-1}, false, false, true, 1);
  const auto s = sample_nodewise(cpu_backend{2}, a.view(), batches, opt);
  CHECK(violations(a, batches, opt, s).empty());
  CHECK(s.num_edges() == static_cast<std::int64_t>(a.nnz()));
  // Full neighbourhoods ignore the seed.
  CHECK(s == sample_nodewise(reference_backend{}, a.view(), batches, options({-1}, true, true, true, 999)));
}

TEST_CASE_TEMPLATE("nodewise: k batches in one call equal k separate calls", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto pattern = rmat_graph<T>(8, 6, 21);
  const auto weighted = with_weights<T>(pattern);
  const epoch_batches<I> epoch(all_vertices<I>(pattern.rows()), 20, 5, 3);  // 13 batches, the last holds 16
  REQUIRE(epoch.size() == 13);
  const auto whole = epoch.bulk(0, epoch.size());
  for (const bool replace : {false, true}) {
    for (const bool weigh : {false, true}) {
      for (const bool dedup : {true, false}) {
        const auto opt = options({4, 3}, replace, weigh, dedup, 8);
        const auto& a = weigh ? weighted : pattern;
        CAPTURE(replace);
        CAPTURE(weigh);
        CAPTURE(dedup);
        const auto all = sample_nodewise(cpu_backend{2}, a.view(), whole, opt);
        REQUIRE(all.size() == 13);
        CHECK(all[12].seeds().size() == 16);  // the partial last batch is kept
        CHECK(violations(a, whole, opt, all).empty());
        const reference_backend ref;
        for (std::int64_t i = 0; i < epoch.size(); ++i) {
          const auto one = sample_nodewise(ref, a.view(), epoch.bulk(i, 1), opt);
          REQUIRE(one.size() == 1);
          for (std::size_t l = 0; l < opt.fanouts.size(); ++l) {
            const auto why = block_difference(all[i].block(l), one[0].block(l));
            CHECK_MESSAGE(why.empty(), "batch ", i, " layer ", l, ": ", why);
          }
        }
        // A middle range [4, 7) agrees too, and k past the end is clipped.
        const auto mid = sample_nodewise(cpu_backend{1}, a.view(), epoch.bulk(4, 3), opt);
        REQUIRE(mid.size() == 3);
        const auto tail = sample_nodewise(cpu_backend{1}, a.view(), epoch.bulk(11, 100), opt);
        REQUIRE(tail.size() == 2);
        for (std::size_t l = 0; l < opt.fanouts.size(); ++l) {
          for (std::int64_t i = 0; i < 3; ++i) CHECK(block_difference(all[4 + i].block(l), mid[i].block(l)).empty());
          for (std::int64_t i = 0; i < 2; ++i) CHECK(block_difference(all[11 + i].block(l), tail[i].block(l)).empty());
        }
      }
    }
  }
}

TEST_CASE_TEMPLATE("nodewise: batch numbering by hand matches epoch_batches", T, i32_i64, i64_i64) {
  using I = typename T::I;
  const auto a = rmat_graph<T>(7, 8, 2);
  const epoch_batches<I> epoch(all_vertices<I>(100), 12, 4, 6);  // 9 batches, the last holds 4
  const auto opt = options({3, 3}, false, false, true, 5);
  const auto all = sample_nodewise(reference_backend{}, a.view(), epoch.bulk(0, epoch.size()), opt);
  REQUIRE(all.size() == 9);
  const auto order = epoch.order();
  for (std::int64_t i = 0; i < epoch.size(); ++i) {
    const auto first = static_cast<std::size_t>(i * 12);
    const auto seeds = order.subspan(first, std::min<std::size_t>(12, order.size() - first));
    const auto one = batch_list<I>::uniform(seeds, 12, 6, static_cast<std::uint64_t>(i));
    const auto s = sample_nodewise(cpu_backend{2}, a.view(), one, opt);
    for (std::size_t l = 0; l < 2; ++l) CHECK(block_difference(all[i].block(l), s[0].block(l)).empty());
  }
}

TEST_CASE_TEMPLATE("nodewise: seeds, epochs and batch numbers change the sample", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto pattern = rmat_graph<T>(8, 8, 13);
  const auto weighted = with_weights<T>(pattern);
  const auto seeds = all_vertices<I>(pattern.rows());
  for (const bool replace : {false, true}) {
    for (const bool weigh : {false, true}) {
      const auto& a = weigh ? weighted : pattern;
      const auto opt = options({3, 2}, replace, weigh, true, 100);
      auto other_seed = opt;
      other_seed.seed = 101;
      const auto base = batch_list<I>::uniform(seeds, 32, 0, 0);
      const auto s = sample_nodewise(cpu_backend{2}, a.view(), base, opt);
      CHECK(s == sample_nodewise(cpu_backend{2}, a.view(), base, opt));  // deterministic
      CHECK_FALSE(s == sample_nodewise(cpu_backend{2}, a.view(), base, other_seed));
      CHECK_FALSE(s == sample_nodewise(cpu_backend{2}, a.view(), batch_list<I>::uniform(seeds, 32, 1, 0), opt));
      CHECK_FALSE(s == sample_nodewise(cpu_backend{2}, a.view(), batch_list<I>::uniform(seeds, 32, 0, 8), opt));
      // Every minibatch differs, not just one of them.
      const auto t = sample_nodewise(cpu_backend{2}, a.view(), base, other_seed);
      for (std::int64_t m = 0; m < s.size(); ++m) CHECK_FALSE(block_difference(s[m].block(1), t[m].block(1)).empty());
    }
  }
  // A different epoch reshuffles the batches.
  const epoch_batches<I> e0(seeds, 32, 7, 0), e1(seeds, 32, 7, 1);
  CHECK_FALSE(std::ranges::equal(e0.order(), e1.order()));
  std::vector<I> sorted(e1.order().begin(), e1.order().end());
  std::ranges::sort(sorted);
  CHECK(sorted == seeds);  // still a permutation
}

MATSAMPLE_TEST_CASE_OVER("nodewise: weighted sampling of a pattern graph is uniform sampling", TB, on_every_backend) {
  using T = typename TB::config;
  using I = typename T::I;
  const auto& b = TB::backend::get();
  const auto a = rmat_graph<T>(8, 6, 17);
  REQUIRE_FALSE(a.has_values());
  const auto seeds = all_vertices<I>(a.rows());
  const auto batches = batch_list<I>::uniform(seeds, 40, 2, 3);
  for (const bool replace : {false, true}) {
    for (const bool dedup : {true, false}) {
      const auto uniform = options({4, 4}, replace, false, dedup, 31);
      auto weighted = uniform;
      weighted.weighted = true;
      const auto expected = sample_nodewise(reference_backend{}, a.view(), batches, uniform);
      CHECK(sample_nodewise(b, a.view(), batches, weighted) == expected);
    }
  }
}

TEST_CASE("nodewise: a user's raw CSR arrays are sampled through a view, int32 offsets and ids") {
  // 0 -> {1, 2, 3}, 1 -> {0}, 2 -> {}, 3 -> {3}
  const std::vector<std::int32_t> indptr = {0, 3, 4, 4, 5};
  const std::vector<std::int32_t> indices = {1, 2, 3, 0, 3};
  const auto a = make_csr_view<float, std::int32_t, std::int32_t>(4, 4, indptr, indices);
  const std::vector<std::int32_t> seeds = {0, 2, 3, 1};
  const auto batches = batch_list<std::int32_t>::uniform(seeds, 3);  // {0, 2, 3}, {1}
  const auto s = sample_nodewise(cpu_backend{2}, a, batches, options({2, -1}, false, false, true, 3));
  REQUIRE(s.size() == 2);
  const auto hop1 = s[0].block(1);
  CHECK(hop1.adjacency.degree(0) == 2);
  CHECK(hop1.adjacency.degree(1) == 0);
  CHECK(hop1.adjacency.degree(2) == 1);
  CHECK(hop1.adjacency.indices()[hop1.adjacency.row_begin(2)] == 2);  // 3's self loop: destination 2
  CHECK(s[1].block(1).num_src() == 2);                                // {1, 0}
  CHECK(s[1].block(1).src_nodes[1] == 0);
  CHECK(s == sample_nodewise(reference_backend{}, a, batches, options({2, -1}, false, false, true, 3)));
}

TEST_CASE("nodewise: the invariant checker rejects broken samples") {
  using T = i32_i64;
  const auto a = hand_graph<T>();
  const std::vector<std::int32_t> seeds = {0, 12, 3, 45, 31};
  const batch_list<std::int32_t> batches{seeds, {0, 3, 5}, 0, 0};
  const auto opt = options({3, 2}, false, false, true, 4);
  const auto good = sample_nodewise(reference_backend{}, a.view(), batches, opt);
  REQUIRE(violations(a, batches, opt, good).empty());
  REQUIRE(good.layers.back().num_edges() >= 3);
  {
    auto bad = good;  // an edge that A does not have: 0's neighbour replaced by isolated 45
    auto& b = bad.layers.back();
    b.src_nodes[static_cast<std::size_t>(b.indices[0])] = 45;
    CHECK_FALSE(violations(a, batches, opt, bad).empty());
  }
  {
    auto bad = good;  // a repeated entry without replacement
    auto& b = bad.layers.back();
    b.indices[1] = b.indices[0];
    CHECK_FALSE(violations(a, batches, opt, bad).empty());
  }
  {
    auto bad = good;  // layer order broken: hop-2 destinations no longer the hop-1 sources
    std::swap(bad.layers.front().src_nodes[0], bad.layers.front().src_nodes[1]);
    CHECK_FALSE(violations(a, batches, opt, bad).empty());
  }
  {
    auto bad = good;  // seeds() not the batch's seeds
    const std::vector<std::int32_t> other = {0, 12, 3, 45, 30};
    CHECK_FALSE(violations(a, batch_list<std::int32_t>{other, {0, 3, 5}, 0, 0}, opt, bad).empty());
  }
  {
    auto bad = good;  // a row keeps fewer entries than min(degree, fanout)
    auto& b = bad.layers.back();
    b.indptr[1] -= 1;
    CHECK_FALSE(violations(a, batches, opt, bad).empty());
  }
  auto paper = opt;
  paper.deduplicate = false;
  CHECK_FALSE(violations(a, batches, paper, good).empty());  // deduplicated output is not paper mode
}

MATSAMPLE_TEST_CASE_OVER("nodewise: weighted rows with zero weights keep fewer entries, identically on every backend",
                         TB, on_every_backend) {
  using T = typename TB::config;
  using I = typename T::I;
  const auto& b = TB::backend::get();
  const auto pattern = rmat_graph<T>(7, 8, 33);
  auto w = with_weights<T>(pattern).values();
  // Every third entry weighs 0, and every row of a vertex divisible by 5 is all zeros.
  for (I v = 0; v < pattern.rows(); ++v) {
    for (auto e = pattern.indptr()[v]; e < pattern.indptr()[v + 1]; ++e) {
      if (v % 5 == 0 || e % 3 == 0) w[static_cast<std::size_t>(e)] = 0;
    }
  }
  const graph<T> a(pattern.rows(), pattern.cols(), pattern.indptr(), pattern.indices(), w);
  const auto seeds = all_vertices<I>(a.rows());
  const auto batches = batch_list<I>::uniform(seeds, 24, 1, 2);
  std::int64_t short_rows = 0;
  for (const bool replace : {false, true}) {
    for (const bool dedup : {true, false}) {
      const auto opt = options({6, 4}, replace, true, dedup, 55);
      CAPTURE(replace);
      CAPTURE(dedup);
      const auto s = sample_nodewise(b, a.view(), batches, opt);
      const auto why = violations(a, batches, opt, s);
      CHECK_MESSAGE(why.empty(), why);
      CHECK(s == sample_nodewise(reference_backend{}, a.view(), batches, opt));
      for (const auto mb : s) {
        const auto blk = mb.block(1);
        for (I r = 0; r < blk.num_dst(); ++r) {
          const auto degree = a.indptr()[blk.src_nodes[r] + 1] - a.indptr()[blk.src_nodes[r]];
          short_rows += blk.adjacency.degree(r) < std::min<std::int64_t>(degree, 6);
        }
      }
    }
  }
  CHECK(short_rows > 0);  // the case under test occurred
}

TEST_CASE_TEMPLATE("nodewise: empty minibatches and repeated seeds", T, i32_i64, i64_i64, i32_i32) {
  using I = typename T::I;
  const auto a = rmat_graph<T>(7, 8, 3);
  const std::vector<I> seeds = {5, 9, 17, 40, 41};
  const batch_list<I> batches{seeds, {0, 3, 3, 5, 5}, 0, 0};  // batches 1 and 3 are empty
  for (const bool dedup : {true, false}) {
    const auto opt = options({3, 2}, false, false, dedup, 6);
    const auto ref = sample_nodewise(reference_backend{}, a.view(), batches, opt);
    REQUIRE(ref.size() == 4);
    CHECK(violations(a, batches, opt, ref).empty());
    CHECK(ref[1].input_nodes().empty());
    CHECK(ref[3].block(0).num_edges() == 0);
    CHECK(sample_nodewise(cpu_backend{2}, a.view(), batches, opt) == ref);
  }
  // A vertex twice in one minibatch: an error with de-duplication; in paper
  // mode both rows are sampled, each from its own stream.
  std::vector<I> twice(6, 0);
  for (I v = 0; v < a.rows(); ++v) {
    if (a.indptr()[v + 1] - a.indptr()[v] >= 20) twice.assign(6, v);  // a hub, so the two rows can differ
  }
  const batch_list<I> repeated{twice, {0, 6}, 0, 0};
  CHECK_THROWS_AS(sample_nodewise(reference_backend{}, a.view(), repeated, options({3}, false, false, true, 1)),
                  argument_error);
  CHECK_THROWS_AS(sample_nodewise(cpu_backend{2}, a.view(), repeated, options({3}, false, false, true, 1)),
                  argument_error);
  const auto paper = options({3}, false, false, false, 1);
  const auto s = sample_nodewise(cpu_backend{2}, a.view(), repeated, paper);
  CHECK(violations(a, repeated, paper, s).empty());
  CHECK(s == sample_nodewise(reference_backend{}, a.view(), repeated, paper));
  const auto blk = s[0].block(0);
  REQUIRE(blk.num_src() == 6 + 18);
  bool differ = false;
  for (I r = 1; r < 6; ++r) {
    for (I i = 0; i < 3; ++i) differ |= blk.src_nodes[6 + 3 * r + i] != blk.src_nodes[6 + i];
  }
  CHECK(differ);
}
