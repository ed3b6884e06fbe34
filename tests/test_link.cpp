// link_sampler and exclude_entries in the samplers: no minibatch ever
// samples an edge it excludes (a property over many seeds, graphs, samplers
// and exclusion modes, checked against a plain oracle of the excluded set),
// the pair graphs name the right vertices, the output is identical on every
// backend and thread count and alone vs in bulk, epoch_edge_batches
// shuffles reproducibly, and bad input gets a clear error.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <ranges>
#include <set>
#include <utility>
#include <vector>

#include "backends.hpp"
#include "graphs.hpp"
#include "matsample/matsample.hpp"
#include "support.hpp"

namespace {

using C = test::types<double, std::int32_t, std::int64_t>;
using I = std::int32_t;
using test::sp;

/// A symmetric R-MAT graph with sorted rows (self loops dropped).
test::mat<C> symmetric_rmat(int scale, std::uint64_t seed) {
  const auto g = test::rmat_graph<C>(scale, 6, seed);
  std::vector<I> src, dst;
  for (I u = 0; u < g.rows(); ++u) {
    for (auto e = g.indptr()[u]; e < g.indptr()[u + 1]; ++e) {
      src.push_back(u);
      dst.push_back(g.indices()[e]);
    }
  }
  return ms::csr_from_edges<double, I, std::int64_t>(g.rows(), src, dst, {},
                                                     {.symmetrize = true, .merge_duplicates = true});
}

/// `count` edges of `g` drawn at random positions, as pairs.
std::pair<std::vector<I>, std::vector<I>> some_edges(const test::mat<C>& g, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<I> src, dst;
  const auto v = g.view();
  while (src.size() < count) {
    const auto e = static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(g.nnz()));
    const auto row = std::upper_bound(g.indptr().begin(), g.indptr().end(), e) - g.indptr().begin() - 1;
    src.push_back(static_cast<I>(row));
    dst.push_back(v.indices()[static_cast<std::size_t>(e)]);
  }
  return {src, dst};
}

/// The reverse of every entry of a symmetric graph: position of (v, u) for (u, v).
std::vector<std::int64_t> transpose_map(const test::mat<C>& g) {
  const auto v = g.view();
  std::vector<std::int64_t> rev(static_cast<std::size_t>(g.nnz()));
  for (I u = 0; u < g.rows(); ++u) {
    for (auto e = v.row_begin(u); e < v.row_end(u); ++e) {
      const I w = v.indices()[static_cast<std::size_t>(e)];
      const auto cols =
          v.indices().subspan(static_cast<std::size_t>(v.row_begin(w)), static_cast<std::size_t>(v.degree(w)));
      rev[static_cast<std::size_t>(e)] =
          v.row_begin(w) + (std::lower_bound(cols.begin(), cols.end(), u) - cols.begin());
    }
  }
  return rev;
}

/// Every sampled entry (u, v) of minibatch m, over all its blocks, in global ids.
std::set<std::pair<I, I>> sampled_pairs(const ms::bulk_sample<double, I, std::int64_t>& s, std::int64_t m) {
  std::set<std::pair<I, I>> out;
  for (std::size_t l = 0; l < s.layers.size(); ++l) {
    const auto b = s.layers[l][m];
    for (I r = 0; r < b.num_dst(); ++r) {
      for (auto e = b.adjacency.row_begin(r); e < b.adjacency.row_end(r); ++e) {
        out.emplace(b.src_nodes[static_cast<std::size_t>(r)],
                    b.src_nodes[static_cast<std::size_t>(b.adjacency.indices()[static_cast<std::size_t>(e)])]);
      }
    }
  }
  return out;
}

/// The oracle of what minibatch m excludes: its positive pairs, and under
/// `reverse` their transposes.
std::set<std::pair<I, I>> excluded_oracle(const ms::edge_batch_list<I>& edges, std::int64_t m,
                                          ms::edge_exclusion mode) {
  std::set<std::pair<I, I>> out;
  if (mode == ms::edge_exclusion::none) return out;
  const auto [src, dst] = edges.batch(m);
  for (std::size_t j = 0; j < src.size(); ++j) {
    out.emplace(src[j], dst[j]);
    if (mode == ms::edge_exclusion::reverse) out.emplace(dst[j], src[j]);
  }
  return out;
}

/// Runs `f(sampler, options)` for a node-wise, a LABOR and a LADIES sampler
/// on backend b and graph g, each with two layers.
template <class B, class F>
void for_each_node_sampler(const B& b, const test::mat<C>& g, std::uint64_t seed, F&& f) {
  const ms::nodewise_sampler nodewise(b, g.view());
  f(nodewise, ms::nodewise_options{.fanouts = {4, 3}, .seed = seed});
  const ms::labor_sampler labor(b, g.view());
  f(labor, ms::labor_options{.fanouts = {4, 3}, .seed = seed});
  const ms::ladies_sampler ladies(b, g.view());
  f(ladies, ms::layerwise_options{.sample_sizes = {24, 24}, .seed = seed});
}

}  // namespace

TEST_CASE("link: no minibatch samples an edge it excludes (property over seeds, graphs, samplers and modes)") {
  const auto& b = test::cpu2;
  std::int64_t checked = 0, excluded_seen_without_mask = 0;
  for (const std::uint64_t graph_seed : {1u, 2u, 3u}) {
    const auto g = symmetric_rmat(8, graph_seed);
    const auto rev = transpose_map(g);
    for (std::uint64_t seed = 0; seed < 8; ++seed) {
      const auto [src, dst] = some_edges(g, 60, seed * 7 + graph_seed);
      const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 20, seed, 3);
      for (const auto mode : {ms::edge_exclusion::none, ms::edge_exclusion::self, ms::edge_exclusion::reverse}) {
        for (const bool by_map : {false, true}) {
          if (by_map && mode != ms::edge_exclusion::reverse) continue;
          CAPTURE(graph_seed);
          CAPTURE(seed);
          CAPTURE(static_cast<int>(mode));
          CAPTURE(by_map);
          const ms::link_options lo{
              .negatives = {.per_positive = 2, .seed = seed},
              .exclude = mode,
              .reverse_edges = by_map ? std::span<const std::int64_t>(rev) : std::span<const std::int64_t>()};
          for_each_node_sampler(b, g, seed, [&](const auto& nodes, const auto& options) {
            const ms::link_sampler link(nodes, g, lo);
            const auto s = link(edges, options);
            REQUIRE(s.blocks.size() == edges.size());
            for (std::int64_t m = 0; m < edges.size(); ++m) {
              const auto sampled = sampled_pairs(s.blocks, m);
              const auto banned =
                  excluded_oracle(edges, m, mode == ms::edge_exclusion::none ? ms::edge_exclusion::reverse : mode);
              for (const auto& pair : banned) {
                if (mode == ms::edge_exclusion::none) {
                  excluded_seen_without_mask += sampled.contains(pair);
                } else {
                  CHECK_FALSE(sampled.contains(pair));
                  ++checked;
                }
              }
            }
          });
        }
      }
    }
  }
  CHECK(checked > 10000);
  // Without the mask the same minibatches do sample their seed edges: the
  // property above is not vacuous.
  CHECK(excluded_seen_without_mask > 1000);
}

TEST_CASE("link: the pair graphs name the positives and negatives in the last block's local ids") {
  const auto g = symmetric_rmat(7, 5);
  const auto [src, dst] = some_edges(g, 50, 9);
  const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 16, 4, 2);
  const ms::nodewise_sampler nodes(test::cpu2, g.view());
  const ms::link_options lo{.negatives = {.per_positive = 3, .seed = 8}, .exclude = ms::edge_exclusion::self};
  const ms::link_sampler link(nodes, g, lo);
  const auto s = link(edges, ms::nodewise_options{.fanouts = {5, 5}, .seed = 1});
  const ms::negative_sampler negatives(g.view(), lo.negatives);
  REQUIRE(s.positives.offsets.size() == static_cast<std::size_t>(edges.size()) + 1);
  for (std::int64_t m = 0; m < edges.size(); ++m) {
    CAPTURE(m);
    const auto seeds = s.blocks[m].seeds();
    // The seeds are the sorted distinct endpoints of positives and negatives.
    const auto [psrc, pdst] = edges.batch(m);
    const auto want_neg = negatives(psrc, pdst, edges.epoch, edges.first_batch + static_cast<std::uint64_t>(m));
    std::set<I> ends(psrc.begin(), psrc.end());
    ends.insert(pdst.begin(), pdst.end());
    ends.insert(want_neg.src.begin(), want_neg.src.end());
    ends.insert(want_neg.dst.begin(), want_neg.dst.end());
    CHECK(std::vector<I>(seeds.begin(), seeds.end()) == std::vector<I>(ends.begin(), ends.end()));
    const auto [ls, ld] = s.positives.batch(m);
    REQUIRE(ls.size() == psrc.size());
    for (std::size_t j = 0; j < ls.size(); ++j) {
      CHECK(seeds[static_cast<std::size_t>(ls[j])] == psrc[j]);
      CHECK(seeds[static_cast<std::size_t>(ld[j])] == pdst[j]);
    }
    const auto [ns, nd] = s.negatives.batch(m);
    REQUIRE(ns.size() == want_neg.src.size());
    CHECK(ns.size() == 3 * psrc.size());
    for (std::size_t j = 0; j < ns.size(); ++j) {
      CHECK(seeds[static_cast<std::size_t>(ns[j])] == want_neg.src[j]);
      CHECK(seeds[static_cast<std::size_t>(nd[j])] == want_neg.dst[j]);
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("link: identical on every backend and thread count, and alone vs in bulk", B, test::backends) {
  const auto& b = B::get();
  const auto g = symmetric_rmat(8, 4);
  const auto [src, dst] = some_edges(g, 70, 3);
  const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 16, 1, 6);
  const ms::link_options lo{.negatives = {.per_positive = 2,
                                          .distribution = ms::negative_distribution::degree_power,
                                          .reject_true_edges = true,
                                          .seed = 5},
                            .exclude = ms::edge_exclusion::reverse};
  using sample = ms::link_sample<double, I, std::int64_t>;
  std::vector<sample> want, got;
  for_each_node_sampler(test::ref, g, 13, [&](const auto& nodes, const auto& options) {
    want.push_back(ms::link_sampler(nodes, g, lo)(edges, options));
  });
  for_each_node_sampler(b, g, 13, [&](const auto& nodes, const auto& options) {
    const ms::link_sampler link(nodes, g, lo);
    got.push_back(link(edges, options));
    const auto& bulk = got.back();
    // Each minibatch sampled alone, keeping its number, gets its part of the bulk call.
    for (std::int64_t m = 0; m < edges.size(); ++m) {
      CAPTURE(m);
      const auto b0 = static_cast<std::size_t>(edges.offsets[m]);
      const auto n = static_cast<std::size_t>(edges.offsets[m + 1] - edges.offsets[m]);
      const ms::edge_batch_list<I> one{edges.src.subspan(b0, n),
                                       edges.dst.subspan(b0, n),
                                       {0, static_cast<std::int64_t>(n)},
                                       edges.epoch,
                                       edges.first_batch + static_cast<std::uint64_t>(m)};
      const auto alone = link(one, options);
      CHECK(std::ranges::equal(alone.positives.batch(0).first, bulk.positives.batch(m).first));
      CHECK(std::ranges::equal(alone.positives.batch(0).second, bulk.positives.batch(m).second));
      CHECK(std::ranges::equal(alone.negatives.batch(0).first, bulk.negatives.batch(m).first));
      CHECK(std::ranges::equal(alone.negatives.batch(0).second, bulk.negatives.batch(m).second));
      for (std::size_t l = 0; l < bulk.blocks.layers.size(); ++l) {
        const auto x = alone.blocks.layers[l][0], y = bulk.blocks.layers[l][m];
        CHECK(std::ranges::equal(x.src_nodes, y.src_nodes));
        CHECK(std::ranges::equal(x.adjacency.indptr(), y.adjacency.indptr()));
        CHECK(std::ranges::equal(x.adjacency.indices(), y.adjacency.indices()));
        CHECK(std::ranges::equal(x.adjacency.values(), y.adjacency.values()));
      }
    }
  });
  REQUIRE(got.size() == 3);
  CHECK(got == want);
}

TEST_CASE("link: with nothing excluded the blocks are the node sampler's on the same seeds, bit for bit, mask or not") {
  const auto g = symmetric_rmat(7, 2);
  const auto [src, dst] = some_edges(g, 40, 1);
  const auto edges = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 10, 0, 0);
  const ms::nodewise_sampler nodes(test::cpu2, g.view());
  const ms::nodewise_options no{.fanouts = {3, 3}, .seed = 4};
  const auto s = ms::link_sampler(nodes, g, {.negatives = {.seed = 2}})(edges, no);
  std::vector<I> seeds;
  std::vector<std::int64_t> offsets{0};
  for (std::int64_t m = 0; m < s.blocks.size(); ++m) {
    const auto d = s.blocks[m].seeds();
    seeds.insert(seeds.end(), d.begin(), d.end());
    offsets.push_back(static_cast<std::int64_t>(seeds.size()));
  }
  ms::batch_list<I> batches{sp(seeds), offsets, 0, 0};
  CHECK(nodes(batches, no) == s.blocks);
  // A mask given but masking nothing (what a rank of a distributed call may
  // hold) takes the masked kernels and samples the same, for every sampler.
  const std::vector<std::int64_t> nothing(offsets.size(), 0);
  ms::batch_list<I> masked = batches;
  masked.excluded = {sp(nothing), {}, {}};
  REQUIRE(masked.excluded.given());
  REQUIRE(masked.excluded.empty());
  CHECK(nodes(masked, no) == s.blocks);
  const ms::labor_sampler labor(test::cpu2, g.view());
  const ms::labor_options lo{.fanouts = {3, 3}, .seed = 4};
  CHECK(labor(masked, lo) == labor(batches, lo));
  const ms::ladies_sampler ladies(test::cpu2, g.view());
  const ms::layerwise_options wo{.sample_sizes = {16, 16}, .seed = 4};
  CHECK(ladies(masked, wo) == ladies(batches, wo));
}

TEST_CASE("epoch_edge_batches: a reproducible shuffle of the pairs, cut into batches") {
  std::vector<I> src(103), dst(103);
  for (I j = 0; j < 103; ++j) {
    src[static_cast<std::size_t>(j)] = j;
    dst[static_cast<std::size_t>(j)] = static_cast<I>(1000 + j);
  }
  const ms::epoch_edge_batches<I> e1(sp(src), sp(dst), 25, 7, 3), again(sp(src), sp(dst), 25, 7, 3),
      other(sp(src), sp(dst), 25, 7, 4);
  CHECK(e1.size() == 5);
  const auto all = e1.bulk(0, 5), all_again = again.bulk(0, 5), next_epoch = other.bulk(0, 5);
  CHECK(all.offsets == std::vector<std::int64_t>{0, 25, 50, 75, 100, 103});
  CHECK(std::ranges::equal(all.src, all_again.src));
  CHECK_FALSE(std::ranges::equal(all.src, next_epoch.src));
  // A permutation of the pairs, each kept whole.
  std::vector<I> seen(all.src.begin(), all.src.end());
  std::ranges::sort(seen);
  CHECK(seen == src);
  for (std::size_t j = 0; j < all.src.size(); ++j) CHECK(all.dst[j] == all.src[j] + 1000);
  // bulk(first, k) is the slice of the whole epoch, with its batch numbers.
  const auto middle = e1.bulk(2, 2);
  CHECK(middle.first_batch == 2);
  CHECK(middle.epoch == 3);
  CHECK(std::ranges::equal(middle.src, all.src.subspan(50, 50)));
  CHECK_THROWS_AS((void)e1.bulk(6, 1), ms::argument_error);
  CHECK_THROWS_AS(ms::epoch_edge_batches<I>(sp(src), std::span<const I>(dst).first(3), 25, 7, 3), ms::argument_error);
}

TEST_CASE("link: bad input gets a clear error naming the user's pair or edge") {
  const auto g = symmetric_rmat(6, 3);
  const ms::nodewise_sampler nodes(test::cpu2, g.view());
  const ms::nodewise_options no{.fanouts = {3}, .seed = 1};
  // A positive pair that is not an edge, with exclusion on.
  I u = 0, v = 0;
  for (; v < g.rows(); ++v) {
    if (!ms::detail::row_holds(g.view(), u, v)) break;
  }
  const std::vector<I> src{u}, dst{v};
  const auto one = ms::edge_batch_list<I>::uniform(sp(src), sp(dst), 1, 0, 4);
  const auto message = ms::detail::concat("positive pair (", u, ", ", v, ") of minibatch 4 is not an edge");
  CHECK_THROWS_WITH_AS(ms::link_sampler(nodes, g, {.exclude = ms::edge_exclusion::self})(one, no),
                       doctest::Contains(message.c_str()), ms::argument_error);
  // Without exclusion any pair of vertices is a fine positive.
  CHECK_NOTHROW(ms::link_sampler(nodes, g, {})(one, no));
  // Vertices outside the graph.
  const std::vector<I> far{static_cast<I>(g.rows())};
  CHECK_THROWS_WITH_AS(ms::link_sampler(nodes, g, {})(ms::edge_batch_list<I>::uniform(sp(src), sp(far), 1), no),
                       doctest::Contains("names a vertex outside"), ms::out_of_range_error);
  // A negative ratio <= 0.
  CHECK_THROWS_WITH_AS(ms::link_sampler(nodes, g, {.negatives = {.per_positive = 0}}),
                       doctest::Contains("per_positive must be at least 1, got 0"), ms::argument_error);
  // Reverse maps: the wrong size, out of range, not an involution.
  auto rev = transpose_map(g);
  const auto with_map = [&](const std::vector<std::int64_t>& map) {
    return ms::link_sampler(
        nodes, g, {.exclude = ms::edge_exclusion::reverse, .reverse_edges = std::span<const std::int64_t>(map)});
  };
  CHECK_NOTHROW(with_map(rev));
  auto short_map = rev;
  short_map.pop_back();
  CHECK_THROWS_WITH_AS(with_map(short_map), doctest::Contains("reverse edge map has"), ms::argument_error);
  auto outside = rev;
  outside[5] = g.nnz();
  CHECK_THROWS_WITH_AS(with_map(outside), doctest::Contains("the reverse of edge 5 is"), ms::argument_error);
  auto broken = rev;
  std::swap(broken[0], broken[1]);
  CHECK_THROWS_WITH_AS(with_map(broken), doctest::Contains("not an involution"), ms::argument_error);
  // Exclusion lists handed to a sampler directly are checked too.
  const std::vector<I> seeds{0, 1};
  ms::batch_list<I> batches{sp(seeds), {0, 2}, 0, 0};
  const std::vector<std::int64_t> offsets{0, 2};
  const std::vector<I> xs{1, 0}, xd{0, 1};
  batches.excluded = {sp(offsets), sp(xs), sp(xd)};
  CHECK_THROWS_WITH_AS(nodes(batches, no), doctest::Contains("must be sorted by (source, destination)"),
                       ms::argument_error);
  const std::vector<I> xs2{0, static_cast<I>(g.rows())}, xd2{1, 0};
  batches.excluded = {sp(offsets), sp(xs2), sp(xd2)};
  CHECK_THROWS_WITH_AS(nodes(batches, no), doctest::Contains("is outside the graph"), ms::out_of_range_error);
}

TEST_CASE("random_edge_split: disjoint parts covering every edge, a leak-free train graph, fixed negatives") {
  const auto g = symmetric_rmat(8, 6);
  const auto a = g.view();
  for (const bool undirected : {true, false}) {
    CAPTURE(undirected);
    const ms::edge_split_options o{.valid_fraction = 0.05, .test_fraction = 0.1, .undirected = undirected, .seed = 3};
    const auto s = ms::random_edge_split(a, o);
    // Every distinct edge (canonical, self loops aside) in exactly one part.
    std::set<std::pair<I, I>> all;
    for (I u = 0; u < a.rows(); ++u) {
      for (auto e = a.row_begin(u); e < a.row_end(u); ++e) {
        const I v = a.indices()[static_cast<std::size_t>(e)];
        if (u != v) all.insert(undirected ? std::pair{std::min(u, v), std::max(u, v)} : std::pair{u, v});
      }
    }
    const auto as_set = [](const ms::edge_pairs<I>& p) {
      std::set<std::pair<I, I>> out;
      for (std::size_t i = 0; i < p.size(); ++i) out.emplace(p.src[i], p.dst[i]);
      CHECK(out.size() == p.size());  // distinct
      CHECK(std::ranges::is_sorted(std::views::iota(std::size_t{0}, p.size()), {}, [&](std::size_t i) {
        return std::pair{p.src[i], p.dst[i]};
      }));
      return out;
    };
    const auto train = as_set(s.train), valid = as_set(s.valid), test = as_set(s.test);
    const auto total = static_cast<double>(all.size());
    CHECK(valid.size() == static_cast<std::size_t>(std::llround(0.05 * total)));
    CHECK(test.size() == static_cast<std::size_t>(std::llround(0.1 * total)));
    std::set<std::pair<I, I>> held(valid.begin(), valid.end());
    held.insert(test.begin(), test.end());
    CHECK(held.size() == valid.size() + test.size());
    // Training never sees a held-out edge nor its reverse.
    const auto t = s.train_graph.view();
    for (const auto& [u, v] : held) {
      CHECK_FALSE(ms::detail::row_holds(t, u, v));
      CHECK_FALSE(ms::detail::row_holds(t, v, u));
    }
    for (const auto& pair : train) CHECK_FALSE(held.contains(pair));
    if (undirected) {
      // On a symmetric graph the parts cover every edge.
      CHECK(train.size() + held.size() == all.size());
    }
    // Negatives: as many as each part, no edge of A, distinct across both.
    const auto vn = as_set(s.valid_negatives), tn = as_set(s.test_negatives);
    CHECK(vn.size() == valid.size());
    CHECK(tn.size() == test.size());
    for (const auto* part : {&vn, &tn}) {
      for (const auto& [u, v] : *part) {
        CHECK(u != v);
        CHECK_FALSE(ms::detail::row_holds(a, u, v));
        if (undirected) CHECK_FALSE(ms::detail::row_holds(a, v, u));
        CHECK_FALSE((part == &vn ? tn : vn).contains({u, v}));
      }
    }
    // The same seed gives the same split; another seed another.
    const auto again = ms::random_edge_split(a, o);
    CHECK(again.valid == s.valid);
    CHECK(again.test_negatives == s.test_negatives);
    CHECK(again.train_graph == s.train_graph);
    auto other = o;
    other.seed = 4;
    CHECK_FALSE(ms::random_edge_split(a, other).valid == s.valid);
    // Rebuilt from its held-out parts, the split is the same (what reading it back does).
    const auto rebuilt = ms::edge_split_from_parts(a, s.valid, s.test, s.valid_negatives, s.test_negatives, undirected);
    CHECK(rebuilt.train == s.train);
    CHECK(rebuilt.train_graph == s.train_graph);
  }
  CHECK_THROWS_WITH_AS(ms::random_edge_split(a, {.valid_fraction = 0.5, .test_fraction = 0.5}),
                       doctest::Contains("sum below 1"), ms::argument_error);
  CHECK_THROWS_AS(ms::random_edge_split(a, {.valid_fraction = -0.1}), ms::argument_error);
  // A held-out pair that is no edge, and a negative that is one, are refused.
  const auto s = ms::random_edge_split(a, {.seed = 1});
  auto bad = s.valid;
  bad.dst[0] = s.valid_negatives.dst[0];
  bad.src[0] = s.valid_negatives.src[0];
  CHECK_THROWS_WITH_AS(ms::edge_split_from_parts(a, bad, s.test, s.valid_negatives, s.test_negatives, true),
                       doctest::Contains("is not an edge of the graph"), ms::argument_error);
  CHECK_THROWS_WITH_AS(ms::edge_split_from_parts(a, s.valid, s.test, s.valid, s.test_negatives, true),
                       doctest::Contains("valid negative pair"), ms::argument_error);
}

MATSAMPLE_TEST_CASE_OVER("attach_edge_ids: every entry names its edge, for every sampler, on every backend", B,
                         test::backends) {
  const auto& b = B::get();
  // A multigraph: the symmetric R-MAT graph plus a second copy of some edges.
  const auto base = symmetric_rmat(7, 8);
  std::vector<I> src, dst;
  for (I u = 0; u < base.rows(); ++u) {
    for (auto e = base.indptr()[u]; e < base.indptr()[u + 1]; ++e) {
      const I v = base.view().indices()[static_cast<std::size_t>(e)];
      src.push_back(u);
      dst.push_back(v);
      if ((u + v) % 5 == 0) {  // parallel edge
        src.push_back(u);
        dst.push_back(v);
      }
    }
  }
  const auto g = ms::csr_from_edges<double, I, std::int64_t>(base.rows(), src, dst);
  const auto a = g.view();
  std::vector<std::int64_t> ids(static_cast<std::size_t>(g.nnz()));
  for (std::size_t e = 0; e < ids.size(); ++e) ids[e] = 1000 + 3 * static_cast<std::int64_t>(e);
  const auto seeds = test::all_vertices<I>(g.rows());
  const auto batches = ms::batch_list<I>::uniform(sp(seeds), 30, 2, 5);
  std::int64_t checked = 0, parallel_pairs = 0;
  for_each_node_sampler(b, g, 9, [&](const auto& nodes, const auto& options) {
    auto s = nodes(batches, options);
    for (const auto& layer : s.layers) CHECK(layer.edge_ids.empty());  // off by default
    const auto plain = s;
    ms::attach_edge_ids(a, s);
    auto mapped = plain;
    ms::attach_edge_ids(a, mapped, std::span<const std::int64_t>(ids));
    for (std::size_t l = 0; l < s.layers.size(); ++l) {
      CHECK(mapped.layers[l].edge_ids.size() == s.layers[l].indices.size());
      for (std::int64_t m = 0; m < s.size(); ++m) {
        const auto block = s.layers[l][m], same = mapped.layers[l][m];
        REQUIRE(block.edge_ids.size() == static_cast<std::size_t>(block.num_edges()));
        for (I r = 0; r < block.num_dst(); ++r) {
          std::set<std::int64_t> row_ids;
          for (auto e = block.adjacency.row_begin(r); e < block.adjacency.row_end(r); ++e) {
            const auto p = block.edge_ids[static_cast<std::size_t>(e)];
            const I u = block.src_nodes[static_cast<std::size_t>(r)];
            const I v =
                block.src_nodes[static_cast<std::size_t>(block.adjacency.indices()[static_cast<std::size_t>(e)])];
            // Position p is an entry (u, v) of A, and the caller's id of it.
            REQUIRE(p >= a.row_begin(u));
            REQUIRE(p < a.row_end(u));
            CHECK(a.indices()[static_cast<std::size_t>(p)] == v);
            CHECK(same.edge_ids[static_cast<std::size_t>(e)] == ids[static_cast<std::size_t>(p)]);
            // Without replacement, parallel copies sampled in one row get distinct edges.
            CHECK(row_ids.insert(p).second);
            parallel_pairs += ms::detail::entry_range(a, u, v).second - ms::detail::entry_range(a, u, v).first > 1;
            ++checked;
          }
        }
      }
    }
    // The blocks themselves are unchanged.
    for (std::size_t l = 0; l < s.layers.size(); ++l) {
      auto stripped = s.layers[l];
      stripped.edge_ids.clear();
      CHECK(stripped == plain.layers[l]);
    }
  });
  CHECK(checked > 3000);
  CHECK(parallel_pairs > 100);
}

TEST_CASE("attach_edge_ids: errors name what is wrong") {
  const auto g = symmetric_rmat(6, 2);
  const ms::nodewise_sampler nodes(test::cpu2, g.view());
  const auto seeds = test::all_vertices<I>(g.rows());
  auto s = nodes(ms::batch_list<I>::uniform(sp(seeds), 16), {.fanouts = {4}, .seed = 1});
  const std::vector<std::int64_t> short_ids(3);
  CHECK_THROWS_WITH_AS(ms::attach_edge_ids(g.view(), s, std::span<const std::int64_t>(short_ids)),
                       doctest::Contains("3 ids for a graph of"), ms::argument_error);
  // Another graph (an empty one of the same size): the entries are not its edges.
  const auto empty = ms::csr_from_edges<double, I, std::int64_t>(g.rows(), std::vector<I>{}, std::vector<I>{});
  CHECK_THROWS_WITH_AS(ms::attach_edge_ids(empty.view(), s), doctest::Contains("is no edge of the graph given"),
                       ms::argument_error);
  // Rows not sorted by column.
  const std::vector<std::int64_t> indptr{0, 2, 2};
  const std::vector<I> indices{1, 0};
  const ms::csr_view<double, I, std::int64_t> unsorted(2, 2, indptr, indices);
  CHECK_THROWS_WITH_AS(ms::attach_edge_ids(unsorted, s), doctest::Contains("sorted by column"), ms::format_error);
}
