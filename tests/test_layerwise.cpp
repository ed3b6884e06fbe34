// Layer-wise sampling (LADIES, FastGCN):
// - a direct implementation written plainly below (maps and loops, no
//   kernels) that both samplers must match: the same sampled columns, blocks
//   and source-node order, values to 1e-12 relative;
// - the exact inclusion probabilities of successive sampling on tiny graphs,
//   enumerated, against observed frequencies with chi-square bounds fixed in
//   advance, and a negative control that shows the check can fail;
// - bit-identical output on every backend and thread count, int32 and int64;
// - k minibatches in one call equal k calls;
// - edge cases (isolated seeds, empty minibatches, more sample than
//   candidates, zero weights, one dominant column) and bad input.
//
// The chi-square helpers (bounds, successive_sets, inclusion_moments,
// inclusion_statistic, pearson, set_pearson) are those of tests/statistics.hpp,
// shared with test_statistics.cpp, where the statistics are derived.

#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "backends.hpp"
#include "graphs.hpp"
#include "matsample/matsample.hpp"
#include "statistics.hpp"
#include "support.hpp"

namespace {

using test::cpu1;
using test::cpu2;
using test::ref;

using test::d_i32_o32;
using test::d_i32_o64;
using test::d_i64_o64;
using test::f_i32_o64;
using test::mat;

enum class method { ladies, fastgcn };
constexpr method both_methods[] = {method::ladies, method::fastgcn};

const char* name(method m) { return m == method::ladies ? "LADIES" : "FastGCN"; }

/// The one-call form of either sampler.
template <class B, class V, class I, class O>
ms::bulk_sample<V, I, O> sample(method m, const B& backend, const ms::csr_matrix<V, I, O>& a,
                                const ms::batch_list<I>& batches, const ms::layerwise_options& options) {
  return m == method::ladies ? ms::sample_ladies(backend, a.view(), batches, options)
                             : ms::sample_fastgcn(backend, a.view(), batches, options);
}

ms::layerwise_options options(std::vector<i64> sizes, bool keep, std::uint64_t seed) {
  ms::layerwise_options o;
  o.sample_sizes = std::move(sizes);
  o.keep_frontier = keep;
  o.seed = seed;
  return o;
}

// ---- graphs ----------------------------------------------------------------

using test::all_vertices;
using test::rmat_graph;
using test::with_weights;

// 40 vertices: hub 0 (with a self loop) linked both ways to 1..20, self loops
// on 3, 7 and 30 (30 has nothing else), a clique on 10..14, a path 20..28,
// 33 -> 5 and 2 -> 31 one way only (31 has no out-edges), 35..39 isolated.
template <class C>
mat<C> hand_graph() {
  return test::hub_graph<C>({.vertices = 40,
                             .hub_degree = 20,
                             .lone_loop = 30,
                             .path_first = 20,
                             .path_last = 28,
                             .into_five = 33,
                             .sink = 31});
}

/// A with every self loop present (Â = A + I, as GCN uses).
template <class C>
mat<C> with_self_loops(const mat<C>& a) {
  using I = typename C::I;
  std::vector<I> r, c;
  for (I v = 0; v < a.rows(); ++v) {
    r.push_back(v);
    c.push_back(v);
    for (auto e = a.indptr()[v]; e < a.indptr()[v + 1]; ++e) {
      r.push_back(v);
      c.push_back(a.indices()[static_cast<std::size_t>(e)]);
    }
  }
  ms::build_options b;
  b.merge_duplicates = true;
  return ms::csr_from_coo<typename C::V, I, typename C::O>(a.rows(), a.cols(), sp(r), sp(c), {}, b);
}

// ---- the direct implementation ---------------------------------------------

/// A as adjacency lists of doubles (1 for a pattern), in row order.
struct plain_graph {
  std::vector<std::vector<std::pair<i64, double>>> out;
};

template <class V, class I, class O>
plain_graph plain(const ms::csr_matrix<V, I, O>& a) {
  plain_graph g;
  g.out.resize(static_cast<std::size_t>(a.rows()));
  for (i64 v = 0; v < a.rows(); ++v) {
    for (auto e = a.indptr()[static_cast<std::size_t>(v)]; e < a.indptr()[static_cast<std::size_t>(v) + 1]; ++e) {
      const double w = a.has_values() ? static_cast<double>(a.values()[static_cast<std::size_t>(e)]) : 1.0;
      g.out[static_cast<std::size_t>(v)].emplace_back(a.indices()[static_cast<std::size_t>(e)], w);
    }
  }
  return g;
}

using distribution = std::map<i64, double>;  // candidate column -> p_j

distribution normalised(distribution d) {
  double total = 0;
  for (const auto& [j, x] : d) total += x;
  for (auto& [j, x] : d) x = total > 0 ? x / total : 0.0;
  return d;
}

/// LADIES: p_j proportional to the sum over the frontier of A(i, j)^2.
distribution ladies_p(const plain_graph& g, const std::vector<i64>& frontier) {
  distribution importance;
  for (const i64 i : frontier) {
    for (const auto& [j, w] : g.out[static_cast<std::size_t>(i)]) importance[j] += w * w;
  }
  return normalised(importance);
}

/// FastGCN: p_j proportional to the squared norm of column j of A.
distribution fastgcn_p(const plain_graph& g) {
  distribution norms;
  for (const auto& row : g.out) {
    for (const auto& [j, w] : row) norms[j] += w * w;
  }
  return normalised(norms);
}

/// Successive sampling of s positions of w with the documented draw numbering
/// (docs/design.md, "Row-wise ITS"): step i tries ITS(u_{9i+t}) over the whole
/// row for t < 8, then draws u_{9i+8} over the entries not yet taken.
std::set<std::size_t> successive_draws(const std::vector<double>& w, i64 s, ms::philox_row_stream& rng) {
  const std::size_t d = w.size();
  std::set<std::size_t> taken;
  if (s < 0 || static_cast<i64>(d) <= s) {
    for (std::size_t j = 0; j < d; ++j) taken.insert(j);
    return taken;
  }
  std::vector<double> cdf;
  double total = 0;
  for (const double x : w) cdf.push_back(total += x);
  if (!(total > 0)) return taken;
  const auto its = [&](double x) {
    for (std::size_t j = 0; j < d; ++j) {
      if (cdf[j] > x) return j;
    }
    std::size_t j = 0;  // x rounded up to the total: the first position that reaches it
    while (cdf[j] != total) ++j;
    return j;
  };
  for (i64 i = 0; i < s; ++i) {
    const auto first = static_cast<std::uint64_t>(i) * 9;
    bool placed = false;
    for (std::uint64_t t = 0; t < 8 && !placed; ++t) placed = taken.insert(its(rng.uniform(first + t) * total)).second;
    if (placed) continue;
    double remaining = 0;
    for (std::size_t j = 0; j < d; ++j) {
      if (!taken.contains(j)) remaining += w[j];
    }
    if (!(remaining > 0)) break;
    const double x = rng.uniform(first + 8) * remaining;
    double running = 0;
    std::size_t pick = d;
    for (std::size_t j = 0; j < d; ++j) {
      if (taken.contains(j) || w[j] <= 0) continue;
      pick = j;
      running += w[j];
      if (running > x) break;
    }
    taken.insert(pick);
  }
  return taken;
}

/// One layer of one minibatch, global ids throughout.
struct plain_block {
  std::vector<i64> dst;                                   // the frontier
  std::vector<i64> src;                                   // dst, then new columns by first appearance
  std::vector<std::vector<std::pair<i64, double>>> rows;  // (global column, value) per dst
  std::set<i64> sampled;                                  // the sampled columns (before keep_frontier)
};

plain_block plain_layer(const plain_graph& g, const std::vector<i64>& frontier, const distribution& p, i64 s, bool keep,
                        std::uint64_t seed, std::uint64_t layer, std::uint64_t epoch, std::uint64_t batch) {
  std::vector<i64> candidates;
  std::vector<double> w;
  for (const auto& [j, pj] : p) {
    candidates.push_back(j);
    w.push_back(pj);
  }
  ms::philox_row_stream rng(seed, layer, {epoch, batch, 0});
  plain_block b;
  for (const auto pos : successive_draws(w, s, rng)) b.sampled.insert(candidates[pos]);
  std::set<i64> columns = b.sampled;
  if (keep) columns.insert(frontier.begin(), frontier.end());
  const bool all_taken = s < 0 || static_cast<i64>(candidates.size()) <= s;
  b.dst = frontier;
  b.src = frontier;
  std::set<i64> seen(frontier.begin(), frontier.end());
  for (const i64 i : frontier) {
    std::vector<std::pair<i64, double>> row;
    double sum = 0;
    for (const auto& [j, a] : g.out[static_cast<std::size_t>(i)]) {
      if (!columns.contains(j)) continue;
      const double pj = p.contains(j) ? p.at(j) : 0.0;
      const double inverse_inclusion = all_taken ? 1.0 : pj > 0 ? 1.0 / (static_cast<double>(s) * pj) : 0.0;
      row.emplace_back(j, a * inverse_inclusion);
      sum += a * inverse_inclusion;
    }
    for (auto& [j, x] : row) {
      x = sum > 0 ? x / sum : 0.0;
      if (seen.insert(j).second) b.src.push_back(j);
    }
    b.rows.push_back(std::move(row));
  }
  return b;
}

/// Every minibatch's blocks, hop 1 (the seeds' layer) first.
template <class I>
std::vector<std::vector<plain_block>> plain_sample(method m, const plain_graph& g, const ms::batch_list<I>& batches,
                                                   const ms::layerwise_options& o) {
  std::vector<std::vector<plain_block>> out;
  const distribution shared = fastgcn_p(g);
  for (i64 mb = 0; mb < batches.size(); ++mb) {
    const auto seeds = batches.batch(mb);
    std::vector<i64> frontier(seeds.begin(), seeds.end());
    std::vector<plain_block> layers;
    for (std::size_t l = 0; l < o.sample_sizes.size(); ++l) {
      const distribution p = m == method::ladies ? ladies_p(g, frontier) : shared;
      layers.push_back(plain_layer(g, frontier, p, o.sample_sizes[l], o.keep_frontier, o.seed, l, batches.epoch,
                                   batches.first_batch + static_cast<std::uint64_t>(mb)));
      frontier = layers.back().src;
    }
    out.push_back(std::move(layers));
  }
  return out;
}

bool within(double x, double y, double tol) {
  return x == y || std::abs(x - y) <= tol * std::max(std::abs(x), std::abs(y));
}

/// First difference between the direct implementation and a block ("" if none).
template <class V, class I, class O>
std::string difference(const plain_block& want, const ms::block_view<V, I, O>& got, double tol) {
  if (!std::ranges::equal(want.dst, got.dst_nodes())) return "destination nodes differ";
  if (!std::ranges::equal(want.src, got.src_nodes)) return "source nodes differ (set or order)";
  if (static_cast<i64>(got.src_nodes.size()) != static_cast<i64>(got.num_src())) return "num_src != source list";
  try {
    ms::validate(got.adjacency);
  } catch (const ms::error& e) { return e.what(); }
  for (i64 r = 0; r < got.num_dst(); ++r) {
    const auto& row = want.rows[static_cast<std::size_t>(r)];
    const auto& adj = got.adjacency;
    if (static_cast<i64>(adj.degree(static_cast<I>(r))) != static_cast<i64>(row.size())) {
      return "row " + std::to_string(r) + " (vertex " + std::to_string(want.dst[static_cast<std::size_t>(r)]) +
             "): " + std::to_string(adj.degree(static_cast<I>(r))) + " entries, expected " + std::to_string(row.size());
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto e = adj.row_begin(static_cast<I>(r)) + static_cast<O>(i);
      const i64 column = got.src_nodes[static_cast<std::size_t>(adj.indices()[static_cast<std::size_t>(e)])];
      const double value = static_cast<double>(adj.value(e));
      if (column != row[i].first) return "row " + std::to_string(r) + ": column differs";
      if (!within(value, row[i].second, tol)) {
        std::ostringstream why;
        why.precision(17);
        why << "row " << r << " column " << column << ": value " << value << ", expected " << row[i].second;
        return why.str();
      }
    }
  }
  return {};
}

/// Compares a whole sample with the direct implementation.
template <class V, class I, class O>
std::string difference(const std::vector<std::vector<plain_block>>& want, const ms::bulk_sample<V, I, O>& got,
                       double tol) {
  if (got.size() != static_cast<i64>(want.size())) return "wrong number of minibatches";
  for (i64 m = 0; m < got.size(); ++m) {
    const auto& layers = want[static_cast<std::size_t>(m)];
    if (got[m].num_layers() != layers.size()) return "wrong number of layers";
    for (std::size_t l = 0; l < layers.size(); ++l) {
      // got: layers[0] is the input layer (the last hop).
      const auto why = difference(layers[l], got[m].block(layers.size() - 1 - l), tol);
      if (!why.empty()) return "minibatch " + std::to_string(m) + ", hop " + std::to_string(l + 1) + ": " + why;
    }
  }
  return {};
}

/// Properties every sample has, checked without the direct implementation's
/// sampling: rows are R·A·C for some column set C, C minus the kept frontier
/// is a valid sample (candidates only, at most s of them, exactly
/// min(s, positive candidates) for LADIES without keep_frontier), rows sum to
/// 1 or are empty, and the DGL layer order holds.
template <class V, class I, class O>
std::string properties(method m, const plain_graph& g, const ms::batch_list<I>& batches, const ms::layerwise_options& o,
                       const ms::bulk_sample<V, I, O>& s) {
  const std::size_t layers = o.sample_sizes.size();
  if (s.layers.size() != layers || s.size() != batches.size()) return "wrong shape";
  const distribution shared = fastgcn_p(g);
  for (i64 mb = 0; mb < s.size(); ++mb) {
    const auto view = s[mb];
    if (!std::ranges::equal(view.seeds(), batches.batch(mb))) return "seeds() differ from the batch";
    if (!std::ranges::equal(view.input_nodes(), view.block(0).src_nodes))
      return "input_nodes() is not block 0's sources";
    for (std::size_t j = 0; j < layers; ++j) {
      const auto blk = view.block(j);
      const std::string at = "minibatch " + std::to_string(mb) + " layer " + std::to_string(j) + ": ";
      if (j + 1 < layers && !std::ranges::equal(blk.dst_nodes(), view.block(j + 1).src_nodes)) {
        return at + "destinations are not the next layer's sources";
      }
      const i64 size = o.sample_sizes[layers - 1 - j];
      const std::vector<i64> frontier(blk.dst_nodes().begin(), blk.dst_nodes().end());
      const std::set<i64> in_frontier(frontier.begin(), frontier.end());
      if (in_frontier.size() != frontier.size()) return at + "frontier repeats a vertex";
      const distribution p = m == method::ladies ? ladies_p(g, frontier) : shared;
      // Columns that carry entries; each dst row must hold exactly its A-entries into them.
      std::set<i64> used;
      for (i64 r = 0; r < blk.num_dst(); ++r) {
        for (auto e = blk.adjacency.row_begin(static_cast<I>(r)); e < blk.adjacency.row_end(static_cast<I>(r)); ++e) {
          used.insert(blk.src_nodes[static_cast<std::size_t>(blk.adjacency.indices()[static_cast<std::size_t>(e)])]);
        }
      }
      for (i64 r = 0; r < blk.num_dst(); ++r) {
        std::vector<i64> want, got;
        for (const auto& [c, w] : g.out[static_cast<std::size_t>(frontier[static_cast<std::size_t>(r)])]) {
          if (used.contains(c)) want.push_back(c);
        }
        double sum = 0;
        for (auto e = blk.adjacency.row_begin(static_cast<I>(r)); e < blk.adjacency.row_end(static_cast<I>(r)); ++e) {
          got.push_back(blk.src_nodes[static_cast<std::size_t>(blk.adjacency.indices()[static_cast<std::size_t>(e)])]);
          sum += static_cast<double>(blk.adjacency.value(e));
        }
        if (want != got) return at + "row " + std::to_string(r) + " is not R·A·C for the block's columns";
        if (!got.empty() && !within(sum, 1.0, 1e-5) && sum != 0)
          return at + "row " + std::to_string(r) + " does not sum to 1";
      }
      // Every column outside the frontier was sampled: a candidate, at most s of them.
      i64 outside = 0, positive = 0;
      for (const i64 c : used) {
        if (in_frontier.contains(c)) continue;
        ++outside;
        if (!p.contains(c)) return at + "column " + std::to_string(c) + " is no candidate";
      }
      for (const auto& [c, pc] : p) positive += pc > 0;
      const bool all_taken = size < 0 || static_cast<i64>(p.size()) <= size;
      if (!all_taken && outside > size) return at + "more columns than the sample size";
      if (o.keep_frontier) {
        // The frontier's own columns are kept: every frontier-to-frontier edge is present.
        for (const i64 i : frontier) {
          for (const auto& [c, w] : g.out[static_cast<std::size_t>(i)]) {
            if (in_frontier.contains(c) && !used.contains(c)) return at + "a frontier column lost its entries";
          }
        }
      } else if (m == method::ladies) {
        // Every LADIES candidate touches the frontier, so the sample is visible whole.
        const i64 expected = all_taken ? static_cast<i64>(p.size()) : std::min(size, positive);
        if (static_cast<i64>(used.size()) != expected) {
          return at + std::to_string(used.size()) + " columns, expected " + std::to_string(expected);
        }
        if (!all_taken) {
          for (const i64 c : used) {
            if (!(p.at(c) > 0)) return at + "a zero-probability column was sampled";
          }
        }
      }
      // Sources: destinations first, then the used columns, each once.
      std::set<i64> sources(blk.src_nodes.begin(), blk.src_nodes.end());
      if (sources.size() != blk.src_nodes.size()) return at + "source nodes repeat";
      for (std::size_t i = frontier.size(); i < blk.src_nodes.size(); ++i) {
        if (!used.contains(blk.src_nodes[i])) return at + "a source node carries no entry";
      }
    }
  }
  return {};
}

using test::block_difference;

}  // namespace

// ---- against the direct implementation ------------------------------------

TEST_CASE_TEMPLATE("layerwise: LADIES and FastGCN equal the direct implementation", C, MATSAMPLE_DOUBLE_CONFIGS) {
  using I = typename C::I;
  struct named {
    std::string name;
    mat<C> a;
  };
  const auto hand = hand_graph<C>();
  const auto rmat = rmat_graph<C>(8, 6, 5);
  const named graphs[] = {{"hand pattern", hand},
                          {"hand weighted", with_weights<C>(hand)},
                          {"rmat pattern", rmat},
                          {"rmat weighted", with_weights<C>(rmat)},
                          {"rmat weighted with zeros", with_weights<C>(rmat, true)}};
  const std::vector<std::vector<i64>> size_sets = {{3, 2}, {6, 5, 4}, {1}, {-1, 3}, {1000, 2}};
  i64 compared = 0, edges = 0;
  for (const auto& [gname, a] : graphs) {
    const auto g = plain(a);
    // Every vertex once, shuffled, batches of 9 from batch 1 of epoch 3 (the
    // stream words are not all zero), the last batch partial.
    const ms::epoch_batches<I> epoch(all_vertices<I>(std::min<i64>(a.rows(), 120)), 9, 17, 3);
    const auto batches = epoch.bulk(1, 6);
    for (const method m : both_methods) {
      for (const auto& sizes : size_sets) {
        for (const bool keep : {true, false}) {
          // FastGCN's candidates are every column, so give it larger samples.
          auto scaled = sizes;
          if (m == method::fastgcn) {
            for (auto& s : scaled) s = s > 0 ? 12 * s : s;
          }
          const auto o = options(scaled, keep, 2024);
          CAPTURE(gname);
          CAPTURE(name(m));
          CAPTURE(scaled.front());
          CAPTURE(scaled.size());
          CAPTURE(keep);
          const auto want = plain_sample(m, g, batches, o);
          const auto got = sample(m, cpu2, a, batches, o);
          const auto why = difference(want, got, 1e-12);
          CHECK_MESSAGE(why.empty(), why);
          const auto props = properties(m, g, batches, o, got);
          CHECK_MESSAGE(props.empty(), props);
          CHECK(sample(m, ref, a, batches, o) == got);
          ++compared;
          edges += got.num_edges();
        }
      }
    }
  }
  CHECK(compared == 5 * 2 * 5 * 2);
  CHECK(edges > 10000);  // the comparisons were not vacuous
}

TEST_CASE("layerwise: the checkers reject broken samples (the tests can fail)") {
  using C = d_i32_o64;
  const auto a = with_weights<C>(hand_graph<C>());
  const auto g = plain(a);
  const std::vector<i32> seeds{0, 12, 3, 21, 5};
  const ms::batch_list<i32> batches{sp(seeds), {0, 3, 5}, 0, 0};
  const auto o = options({4, 3}, false, 4);
  const auto good = ms::sample_ladies(ref, a.view(), batches, o);
  const auto want = plain_sample(method::ladies, g, batches, o);
  REQUIRE(difference(want, good, 1e-12).empty());
  REQUIRE(properties(method::ladies, g, batches, o, good).empty());
  REQUIRE(good[0].block(1).num_edges() >= 3);
  REQUIRE(good[0].block(1).num_src() >= 5);
  {
    auto bad = good;  // one value off by a relative 1e-10
    bad.layers.back().values[0] *= 1 + 1e-10;
    CHECK_FALSE(difference(want, bad, 1e-12).empty());
  }
  {
    auto bad = good;  // two sampled columns in the wrong order of appearance
    std::swap(bad.layers.back().src_nodes[3], bad.layers.back().src_nodes[4]);
    CHECK_FALSE(difference(want, bad, 1e-12).empty());
  }
  {
    auto bad = good;  // an entry moved from row 0 to row 1
    bad.layers.back().indptr[1] -= 1;
    CHECK_FALSE(difference(want, bad, 1e-12).empty());
    CHECK_FALSE(properties(method::ladies, g, batches, o, bad).empty());
  }
  {
    auto bad = good;  // a row that no longer sums to 1
    for (auto& v : bad.layers.back().values) v *= 2;
    CHECK_FALSE(properties(method::ladies, g, batches, o, bad).empty());
  }
  {
    auto bad = good;  // a sampled column replaced by an isolated vertex
    bad.layers.back().src_nodes[3] = 36;
    CHECK_FALSE(properties(method::ladies, g, batches, o, bad).empty());
  }
  auto other = o;  // the same sample is not that of another sample size
  other.sample_sizes = {4, 2};
  CHECK_FALSE(properties(method::ladies, g, batches, other, good).empty());
  CHECK_FALSE(difference(plain_sample(method::ladies, g, batches, other), good, 1e-12).empty());
  other = o;  // nor of another seed
  other.seed = 5;
  CHECK_FALSE(difference(plain_sample(method::ladies, g, batches, other), good, 1e-12).empty());
}

TEST_CASE_TEMPLATE("layerwise: probabilities equal the plain sums to 1e-12 (FastGCN's, and Q·(A∘A) for LADIES)", C,
                   MATSAMPLE_DOUBLE_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  for (const auto& a : {rmat_graph<C>(8, 6, 7), with_weights<C>(rmat_graph<C>(8, 6, 7), true), hand_graph<C>()}) {
    const auto g = plain(a);
    // FastGCN: probabilities() is the plain column-norm distribution, once per graph.
    const ms::fastgcn_sampler fastgcn(cpu2, a.view());
    const auto p = fastgcn.probabilities();
    const auto want = fastgcn_p(g);
    REQUIRE(p.rows() == 1);
    REQUIRE(static_cast<std::size_t>(p.nnz()) == want.size());
    double total = 0;
    for (auto e = p.row_begin(0); e < p.row_end(0); ++e) {
      const i64 j = p.indices()[static_cast<std::size_t>(e)];
      REQUIRE(want.contains(j));
      CHECK(within(static_cast<double>(p.value(e)), want.at(j), 1e-12));
      total += static_cast<double>(p.value(e));
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
    const ms::fastgcn_sampler on_reference(ref, a.view());
    CHECK(ms::csr_matrix<V, I, O>(on_reference.probabilities()) == ms::csr_matrix<V, I, O>(p));
    // The same object samples twice with its stored distribution.
    const auto seeds = all_vertices<I>(30);
    const auto batches = ms::batch_list<I>::uniform(sp(seeds), 10, 1, 2);
    const auto o = options({40, 40}, true, 5);
    CHECK(fastgcn(batches, o) == ms::sample_fastgcn(cpu1, a.view(), batches, o));
    CHECK(fastgcn(batches, o) == fastgcn(batches, o));
    // So does a LADIES object, which holds A∘A.
    const ms::ladies_sampler ladies(cpu2, a.view());
    const auto l = options({6, 6}, false, 5);
    CHECK(ladies(batches, l) == ms::sample_ladies(ref, a.view(), batches, l));
    CHECK(ladies(batches, l) == ladies(batches, l));

    // LADIES: row m of Q·(A∘A), normalised, is the plain distribution of frontier m.
    const std::vector<std::vector<i64>> frontiers = {{0, 1, 2, 3}, {5}, {}, {17, 2, 9, 33, 31, 0}};
    std::vector<O> indptr{0};
    std::vector<I> columns;
    for (const auto& f : frontiers) {
      for (const i64 v : f) columns.push_back(static_cast<I>(v));
      indptr.push_back(static_cast<O>(columns.size()));
    }
    const ms::csr_view<V, I, O> q(static_cast<I>(frontiers.size()), a.rows(), sp(indptr), sp(columns));
    const auto squared = ref.apply(a.view(), [](I, I, V v) { return v * v; });
    for (const bool on_cpu : {false, true}) {
      const auto prod = on_cpu ? cpu2.spgemm(q, squared.view()) : ref.spgemm(q, squared.view());
      const auto lp = on_cpu ? ms::row_normalize(cpu2, prod.view()) : ms::row_normalize(ref, prod.view());
      for (std::size_t m = 0; m < frontiers.size(); ++m) {
        const auto expect = ladies_p(g, frontiers[m]);
        const auto row = static_cast<I>(m);
        REQUIRE(static_cast<std::size_t>(lp.view().degree(row)) == expect.size());
        for (auto e = lp.view().row_begin(row); e < lp.view().row_end(row); ++e) {
          const i64 j = lp.indices()[static_cast<std::size_t>(e)];
          REQUIRE(expect.contains(j));
          CHECK(within(static_cast<double>(lp.values()[static_cast<std::size_t>(e)]), expect.at(j), 1e-12));
        }
      }
    }
  }
}

TEST_CASE("layerwise: the worked example of docs/layerwise.md") {
  const std::vector<i32> src{0, 0, 1, 1, 2, 3, 3, 4}, dst{1, 2, 2, 3, 4, 4, 5, 5};
  const auto a = ms::csr_from_edges<double, i32, i64>(6, sp(src), sp(dst), {}, {.symmetrize = true});
  const std::vector<i32> seeds{0, 1, 4, 5};
  const auto batches = ms::batch_list<i32>::uniform(sp(seeds), 2);
  struct entry {
    i32 column;  // global id
    double value;
  };
  using rows = std::vector<std::vector<entry>>;
  const auto expect = [&](const ms::bulk_sample<double, i32, i64>& s, i64 m, const std::vector<i32>& sources,
                          const rows& want) {
    const auto blk = s[m].block(0);
    CHECK(std::ranges::equal(blk.src_nodes, sources));
    REQUIRE(blk.num_dst() == static_cast<i32>(want.size()));
    for (i32 r = 0; r < blk.num_dst(); ++r) {
      REQUIRE(blk.adjacency.degree(r) == static_cast<i64>(want[static_cast<std::size_t>(r)].size()));
      for (std::size_t i = 0; i < want[static_cast<std::size_t>(r)].size(); ++i) {
        const auto e = blk.adjacency.row_begin(r) + static_cast<i64>(i);
        CHECK(blk.src_nodes[static_cast<std::size_t>(blk.adjacency.indices()[static_cast<std::size_t>(e)])] ==
              want[static_cast<std::size_t>(r)][i].column);
        CHECK(blk.adjacency.value(e) == doctest::Approx(want[static_cast<std::size_t>(r)][i].value).epsilon(1e-12));
      }
    }
  };
  const auto without = ms::sample_ladies(cpu2, a.view(), batches, options({2}, false, 7));
  expect(without, 0, {0, 1, 2, 3}, rows{{{2, 1.0}}, {{2, 1.0 / 3}, {3, 2.0 / 3}}});
  expect(without, 1, {4, 5, 2}, rows{{{2, 1.0}}, {{4, 1.0}}});
  const auto with = ms::sample_ladies(ref, a.view(), batches, options({2}, true, 7));
  expect(with, 0, {0, 1, 2, 3}, rows{{{1, 2.0 / 3}, {2, 1.0 / 3}}, {{0, 0.4}, {2, 0.2}, {3, 0.4}}});
  expect(with, 1, {4, 5, 2}, rows{{{2, 0.5}, {5, 0.5}}, {{4, 1.0}}});
}

// ---- bit-identical on every backend -----------------------------------------

namespace {

/// Calls f(method, A, batches, options, the reference's sample) for a pattern
/// and a weighted R-MAT graph, both methods, with and without keep_frontier,
/// and 1 or 5 minibatches.
template <class C, class F>
void for_each_identity_setting(F&& f) {
  using I = typename C::I;
  const auto pattern = rmat_graph<C>(10, 8, 3);
  const auto weighted = with_weights<C>(pattern, true);
  const auto seeds = ms::epoch_batches<I>(all_vertices<I>(pattern.rows()), 64, 9, 2);
  for (const auto* a : {&pattern, &weighted}) {
    for (const method m : both_methods) {
      for (const bool keep : {true, false}) {
        for (const i64 k : {1, 5}) {
          const auto batches = seeds.bulk(3, k);
          const auto o =
              options(m == method::ladies ? std::vector<i64>{64, 48, 32} : std::vector<i64>{256, 256}, keep, 77);
          CAPTURE(a->has_values());
          CAPTURE(name(m));
          CAPTURE(keep);
          CAPTURE(k);
          f(m, *a, batches, o, sample(m, ref, *a, batches, o));
        }
      }
    }
  }
}

}  // namespace

MATSAMPLE_TEST_CASE_OVER("layerwise: bit-identical on every backend and thread count", T,
                         test::each_config_on<test::backends>) {
  const auto& b = T::backend::get();
  for_each_identity_setting<typename T::config>(
      [&](method m, const auto& a, const auto& batches, const auto& o, const auto& expected) {
        const auto got = sample(m, b, a, batches, o);
        CHECK(got.num_edges() > 0);
        CHECK(got == expected);
      });
}

TEST_CASE_TEMPLATE("layerwise: the samplers' own OpenMP loops follow the default team size", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  for_each_identity_setting<C>([&](method m, const auto& a, const auto& batches, const auto& o, const auto& expected) {
    for (const int threads : {1, 2, 3}) {
      CHECK(test::with_threads(threads, [&] { return sample(m, ms::cpu_backend{}, a, batches, o); }) == expected);
    }
  });
}

TEST_CASE_TEMPLATE("layerwise: k minibatches in one call equal one call per minibatch", C, MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto pattern = rmat_graph<C>(9, 6, 21);
  const auto weighted = with_weights<C>(pattern);
  const ms::epoch_batches<I> epoch(all_vertices<I>(300), 25, 5, 4);  // 12 batches, the last holds 25
  const auto whole = epoch.bulk(0, epoch.size());
  for (const auto* a : {&pattern, &weighted}) {
    for (const method m : both_methods) {
      for (const bool keep : {true, false}) {
        const auto o = options(m == method::ladies ? std::vector<i64>{20, 10} : std::vector<i64>{150, 100}, keep, 8);
        CAPTURE(a->has_values());
        CAPTURE(name(m));
        CAPTURE(keep);
        const auto all = sample(m, cpu2, *a, whole, o);
        REQUIRE(all.size() == epoch.size());
        for (i64 i = 0; i < epoch.size(); ++i) {
          const auto one = sample(m, ref, *a, epoch.bulk(i, 1), o);  // first_batch = i
          REQUIRE(one.size() == 1);
          for (std::size_t l = 0; l < o.sample_sizes.size(); ++l) {
            const auto why = block_difference(all[i].block(l), one[0].block(l));
            CHECK_MESSAGE(why.empty(), "batch ", i, " layer ", l, ": ", why);
          }
        }
        // A middle range with the batch numbers set by hand.
        const auto mid = epoch.bulk(4, 3);
        const ms::batch_list<I> by_hand{mid.seeds, mid.offsets, mid.epoch, 4};
        const auto part = sample(m, cpu1, *a, by_hand, o);
        for (i64 i = 0; i < 3; ++i) {
          for (std::size_t l = 0; l < o.sample_sizes.size(); ++l)
            CHECK(block_difference(all[4 + i].block(l), part[i].block(l)).empty());
        }
        // The wrong batch number gives another sample: the numbering is what makes this work.
        const ms::batch_list<I> shifted{mid.seeds, mid.offsets, mid.epoch, 5};
        CHECK_FALSE(block_difference(all[4].block(0), sample(m, cpu1, *a, shifted, o)[0].block(0)).empty());
      }
    }
  }
}

TEST_CASE_TEMPLATE("layerwise: seed, epoch, batch number and layer change the sample", C, MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto a = with_weights<C>(rmat_graph<C>(9, 8, 13));
  const auto seeds = all_vertices<I>(96);
  const auto base = ms::batch_list<I>::uniform(sp(seeds), 32, 0, 0);
  for (const method m : both_methods) {
    const i64 s = m == method::ladies ? 16 : 200;
    const auto o = options({s, s}, true, 100);
    auto other = o;
    other.seed = 101;
    CAPTURE(name(m));
    const auto x = sample(m, cpu2, a, base, o);
    CHECK(x == sample(m, cpu2, a, base, o));
    const auto y = sample(m, cpu2, a, base, other);
    CHECK_FALSE(x == y);
    for (i64 mb = 0; mb < x.size(); ++mb) CHECK_FALSE(block_difference(x[mb].block(1), y[mb].block(1)).empty());
    CHECK_FALSE(x == sample(m, cpu2, a, ms::batch_list<I>::uniform(sp(seeds), 32, 1, 0), o));
    CHECK_FALSE(x == sample(m, cpu2, a, ms::batch_list<I>::uniform(sp(seeds), 32, 0, 3), o));
    // Adding a layer leaves hop 1 as it was (layer l draws from (seed, l)).
    const auto one = sample(m, cpu2, a, base, options({s}, false, 100));
    const auto two = sample(m, cpu2, a, base, options({s, s}, false, 100));
    for (i64 mb = 0; mb < one.size(); ++mb) CHECK(block_difference(one[mb].block(0), two[mb].block(1)).empty());
  }
}

// ---- statistics -------------------------------------------------------------

namespace {

using namespace test::stats;

using stat_matrix = ms::csr_matrix<double, i32, i64>;

/// The sampled sets (bit masks over `candidates`) of n one-layer minibatches
/// that all have `frontier` as seeds: minibatch t draws from its own stream
/// (epoch, t, 0). keep_frontier is off and every candidate touches the
/// frontier, so the block's source nodes after the frontier are the sample.
template <class B>
std::vector<std::uint32_t> sampled_sets(method m, const B& backend, const stat_matrix& a,
                                        const std::vector<i32>& frontier, const std::vector<i32>& candidates, i64 s,
                                        std::uint64_t seed, std::uint64_t epoch, bool& valid) {
  std::vector<i32> seeds;
  std::vector<i64> offsets{0};
  for (i64 t = 0; t < n_trials; ++t) {
    seeds.insert(seeds.end(), frontier.begin(), frontier.end());
    offsets.push_back(static_cast<i64>(seeds.size()));
  }
  const ms::batch_list<i32> batches{sp(seeds), offsets, epoch, 0};
  const auto sample_set = sample(m, backend, a, batches, options({s}, false, seed));
  std::vector<std::uint32_t> out;
  valid = sample_set.size() == n_trials;
  for (const auto mb : sample_set) {
    const auto src = mb.block(0).src_nodes;
    std::uint32_t mask = 0;
    valid = valid && static_cast<i64>(src.size()) == static_cast<i64>(frontier.size()) + s;
    for (std::size_t i = frontier.size(); i < src.size(); ++i) {
      const auto it = std::ranges::find(candidates, src[i]);
      valid = valid && it != candidates.end();
      if (it != candidates.end()) mask |= 1U << (it - candidates.begin());
    }
    out.push_back(mask);
  }
  return out;
}

/// LADIES graph: frontier {0, 1}; 0 -> 2 (1), 3 (2), 4 (1), 5 (0.75) and
/// 1 -> 3 (1), 4 (2), 6 (1.5), so the importance of 2..6 is
/// 1, 5, 5, 0.5625, 2.25: two rows add up for 3 and 4.
stat_matrix ladies_graph() {
  return {9, 9, {0, 4, 7, 7, 7, 7, 7, 7, 7, 7}, {2, 3, 4, 5, 3, 4, 6}, {1, 2, 1, 0.75, 1, 2, 1.5}};
}

/// FastGCN graph: frontier {0}; 0 -> 1..5 with weight 1 (so LADIES is
/// uniform here), 7 -> 1 (2), 3 (1) and 8 -> 2 (1), 5 (3) add to the column
/// norms: 5, 2, 2, 1, 10.
stat_matrix fastgcn_graph() {
  return {9, 9, {0, 5, 5, 5, 5, 5, 5, 5, 7, 9}, {1, 2, 3, 4, 5, 1, 3, 2, 5}, {1, 1, 1, 1, 1, 2, 1, 1, 3}};
}

}  // namespace

TEST_CASE("layerwise statistics: sampled sets follow the exact successive-sampling distribution") {
  struct stat_case {
    const char* label;
    method m;
    stat_matrix a;
    std::vector<i32> frontier, candidates;
    std::vector<double> importance;  // worked out by hand, in candidate order
    int s;
  };
  const stat_case cases[] = {
      {"LADIES, two frontier rows, s=2",
       method::ladies,
       ladies_graph(),
       {0, 1},
       {2, 3, 4, 5, 6},
       {1, 5, 5, 0.5625, 2.25},
       2},
      {"LADIES, two frontier rows, s=3",
       method::ladies,
       ladies_graph(),
       {0, 1},
       {2, 3, 4, 5, 6},
       {1, 5, 5, 0.5625, 2.25},
       3},
      {"LADIES, uniform row, s=2", method::ladies, fastgcn_graph(), {0}, {1, 2, 3, 4, 5}, {1, 1, 1, 1, 1}, 2},
      {"FastGCN, column norms, s=2", method::fastgcn, fastgcn_graph(), {0}, {1, 2, 3, 4, 5}, {5, 2, 2, 1, 10}, 2},
      {"FastGCN, column norms, s=3", method::fastgcn, fastgcn_graph(), {0}, {1, 2, 3, 4, 5}, {5, 2, 2, 1, 10}, 3},
  };
  std::uint64_t seed = 7000;
  for (const auto& c : cases) {
    CAPTURE(c.label);
    const int d = static_cast<int>(c.candidates.size());
    // The hand-worked importance is the direct implementation's.
    const auto g = plain(c.a);
    const std::vector<i64> frontier(c.frontier.begin(), c.frontier.end());
    const auto p = c.m == method::ladies ? ladies_p(g, frontier) : fastgcn_p(g);
    const double total = std::accumulate(c.importance.begin(), c.importance.end(), 0.0);
    REQUIRE(p.size() == c.candidates.size());
    for (int i = 0; i < d; ++i)
      CHECK(p.at(c.candidates[static_cast<std::size_t>(i)]) ==
            doctest::Approx(c.importance[static_cast<std::size_t>(i)] / total));
    if (c.m == method::fastgcn) {
      const ms::fastgcn_sampler sampler(ref, c.a.view());
      const auto fp = sampler.probabilities();
      for (int i = 0; i < d; ++i)
        CHECK(fp.values()[static_cast<std::size_t>(i)] ==
              doctest::Approx(c.importance[static_cast<std::size_t>(i)] / total).epsilon(1e-12));
    }
    const auto model = successive_sets(c.importance, c.s);
    const auto m = inclusion_moments(model, d);
    REQUIRE(model.size() == 10);  // C(5, 2) = C(5, 3): 9 df for sets, 4 for inclusion
    double smallest = 1;
    for (const auto& [mask, prob] : model) smallest = std::min(smallest, prob);
    CHECK(smallest * static_cast<double>(n_trials) >= 75);  // the chi-square approximation holds
    for (const bool on_cpu : {false, true}) {
      bool valid = false;
      const auto sets = on_cpu ? sampled_sets(c.m, cpu2, c.a, c.frontier, c.candidates, c.s, ++seed, 1, valid)
                               : sampled_sets(c.m, ref, c.a, c.frontier, c.candidates, c.s, ++seed, 2, valid);
      CHECK_MESSAGE(valid, "every trial samples exactly s candidates");
      const std::string what = std::string(c.label) + (on_cpu ? " (cpu)" : " (reference)");
      expect_below(what + " inclusion", inclusion_statistic(sets, d, m), 4);
      expect_below(what + " sets", set_pearson(sets, model), 9);
    }
  }
}

TEST_CASE("layerwise statistics: the check rejects the wrong distribution (negative control)") {
  bool valid = false;
  const auto uniform = successive_sets({1, 1, 1, 1, 1}, 2);
  const auto norms = successive_sets({5, 2, 2, 1, 10}, 2);
  // FastGCN on its graph against LADIES' (uniform) distribution there, and the reverse.
  const auto f = sampled_sets(method::fastgcn, cpu2, fastgcn_graph(), {0}, {1, 2, 3, 4, 5}, 2, 8001, 3, valid);
  REQUIRE(valid);
  expect_above("FastGCN samples vs the uniform model: inclusion",
               inclusion_statistic(f, 5, inclusion_moments(uniform, 5)));
  expect_above("FastGCN samples vs the uniform model: sets", set_pearson(f, uniform));
  const auto l = sampled_sets(method::ladies, cpu2, fastgcn_graph(), {0}, {1, 2, 3, 4, 5}, 2, 8002, 3, valid);
  REQUIRE(valid);
  expect_above("LADIES samples vs the column-norm model: sets", set_pearson(l, norms));
  // LADIES with two frontier rows against importance summed without squaring.
  const auto two = sampled_sets(method::ladies, ref, ladies_graph(), {0, 1}, {2, 3, 4, 5, 6}, 2, 8003, 3, valid);
  REQUIRE(valid);
  const auto linear = successive_sets({1, 3, 3, 0.75, 1.5}, 2);  // sums of |A|, not of A^2
  expect_above("LADIES samples vs importance without squares: inclusion",
               inclusion_statistic(two, 5, inclusion_moments(linear, 5)));
  // The right weights in another design without replacement: conditional
  // Poisson sampling, P(set) proportional to the product of its weights.
  const std::vector<double> w = {1, 5, 5, 0.5625, 2.25};
  set_distribution poisson;
  double z = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    for (std::size_t j = i + 1; j < w.size(); ++j) z += w[i] * w[j];
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    for (std::size_t j = i + 1; j < w.size(); ++j) poisson[(1U << i) | (1U << j)] = w[i] * w[j] / z;
  }
  expect_above("LADIES samples vs conditional Poisson sets", set_pearson(two, poisson));
}

// ---- edge cases ------------------------------------------------------------

TEST_CASE_TEMPLATE("layerwise: isolated seeds, sinks and self loops: empty rows stay empty", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto a = with_weights<C>(hand_graph<C>());
  const auto g = plain(a);
  // Minibatches: isolated {35}, sink {31}, self loop only {30}, {36, 37}
  // (isolated), and a mix of a hub, an isolated vertex and the sink.
  const std::vector<I> seeds{35, 31, 30, 36, 37, 0, 38, 31};
  const ms::batch_list<I> batches{sp(seeds), {0, 1, 2, 3, 5, 8}, 0, 0};
  for (const method m : both_methods) {
    for (const bool keep : {true, false}) {
      const auto o = options({3, 3, 3}, keep, 12);
      CAPTURE(name(m));
      CAPTURE(keep);
      const auto s = sample(m, cpu2, a, batches, o);
      CHECK(s == sample(m, ref, a, batches, o));
      const auto props = properties(m, g, batches, o, s);
      CHECK_MESSAGE(props.empty(), props);
      for (const i64 mb : {0, 1, 3}) {  // no out-edges: nothing in any layer, the frontier stays the seeds
        for (std::size_t l = 0; l < 3; ++l) {
          CHECK(s[mb].block(l).num_edges() == 0);
          CHECK(std::ranges::equal(s[mb].block(l).src_nodes, batches.batch(mb)));
        }
      }
      // 30's only candidate is itself: taken whatever keep_frontier says, weight 1.
      for (std::size_t l = 0; l < 3; ++l) {
        const auto blk = s[2].block(l);
        REQUIRE(blk.num_src() == 1);
        if (m == method::ladies || keep) {
          REQUIRE(blk.num_edges() == 1);
          CHECK(blk.adjacency.indices()[0] == 0);
          CHECK(blk.adjacency.value(0) == 1);
        }
      }
      // The mixed batch: the isolated vertex and the sink keep empty rows.
      const auto hop1 = s[4].block(2);
      CHECK(hop1.adjacency.degree(1) == 0);
      CHECK(hop1.adjacency.degree(2) == 0);
    }
  }
}

TEST_CASE_TEMPLATE("layerwise: empty minibatches and an empty call", C, MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto a = rmat_graph<C>(8, 8, 3);
  const std::vector<I> seeds = {5, 9, 17, 40, 41};
  const ms::batch_list<I> batches{sp(seeds), {0, 0, 3, 3, 5, 5}, 0, 0};  // batches 0, 2 and 4 are empty
  const std::vector<I> none;
  const ms::batch_list<I> nothing{sp(none), {0}, 0, 0};
  for (const method m : both_methods) {
    for (const bool keep : {true, false}) {
      const auto o = options({4, 60}, keep, 3);
      CAPTURE(name(m));
      const auto s = sample(m, cpu2, a, batches, o);
      REQUIRE(s.size() == 5);
      REQUIRE(s.layers.size() == 2);
      for (const i64 mb : {0, 2, 4}) {
        CHECK(s[mb].input_nodes().empty());
        CHECK(s[mb].block(0).num_edges() == 0);
        CHECK(s[mb].block(1).num_dst() == 0);
      }
      CHECK(s[1].block(1).num_edges() > 0);
      CHECK(s == sample(m, ref, a, batches, o));
      CHECK(properties(m, plain(a), batches, o, s).empty());
      // The empty batches change nothing for the others: batch 1 and 3 alone, with their numbers.
      const ms::batch_list<I> first{sp(seeds).first(3), {0, 3}, 0, 1};
      const ms::batch_list<I> second{sp(seeds).subspan(3), {0, 2}, 0, 3};
      for (std::size_t l = 0; l < 2; ++l) {
        CHECK(block_difference(s[1].block(l), sample(m, cpu1, a, first, o)[0].block(l)).empty());
        CHECK(block_difference(s[3].block(l), sample(m, ref, a, second, o)[0].block(l)).empty());
      }
      const auto e = sample(m, cpu2, a, nothing, o);
      CHECK(e.size() == 0);
      CHECK(e.layers.size() == 2);
      CHECK(e.num_edges() == 0);
      CHECK(e == sample(m, ref, a, nothing, o));
    }
  }
}

TEST_CASE_TEMPLATE("layerwise: a sample size of -1 or above the candidates takes every candidate", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  const auto pattern = rmat_graph<C>(8, 6, 41);
  const auto weighted = with_weights<C>(pattern, true);
  const ms::epoch_batches<I> epoch(all_vertices<I>(pattern.rows()), 10, 2, 0);
  const auto seeds = epoch.bulk(0, 4);
  for (const auto* a : {&pattern, &weighted}) {
    const auto full = sample(method::ladies, cpu2, *a, seeds, options({-1, -1}, true, 1));
    // Every candidate taken: the blocks are whole rows of A with the node-wise
    // full-neighbourhood structure, values row-normalised A (no debiasing).
    ms::nodewise_options nodewise;
    nodewise.fanouts = {-1, -1};
    const auto nw = ms::sample_nodewise(cpu2, a->view(), seeds, nodewise);
    for (i64 mb = 0; mb < full.size(); ++mb) {
      for (std::size_t l = 0; l < 2; ++l) {
        const auto x = full[mb].block(l), y = nw[mb].block(l);
        CHECK(std::ranges::equal(x.src_nodes, y.src_nodes));
        CHECK(std::ranges::equal(x.adjacency.indptr(), y.adjacency.indptr()));
        CHECK(std::ranges::equal(x.adjacency.indices(), y.adjacency.indices()));
        for (I r = 0; r < x.num_dst(); ++r) {
          double sum = 0;
          for (auto e = y.adjacency.row_begin(r); e < y.adjacency.row_end(r); ++e)
            sum += static_cast<double>(y.adjacency.value(e));
          for (auto e = x.adjacency.row_begin(r); e < x.adjacency.row_end(r); ++e) {
            const V want = sum > 0 ? static_cast<V>(static_cast<double>(y.adjacency.value(e)) / sum) : V{0};
            CHECK(x.adjacency.value(e) == doctest::Approx(want).epsilon(1e-6));
          }
        }
      }
    }
    // Everything is taken, so keep_frontier, the seed and the method do not matter,
    // and a size above every candidate count is the same as -1.
    for (const method m : both_methods) {
      CAPTURE(name(m));
      CHECK(sample(m, cpu1, *a, seeds, options({-1, -1}, false, 99)) == full);
      CHECK(sample(m, ref, *a, seeds, options({1 << 20, 1 << 20}, true, 5)) == full);
    }
    CHECK(sample(method::ladies, cpu2, *a, seeds, options({400, 400}, false, 5)) == full);
  }
}

TEST_CASE_TEMPLATE("layerwise: zero-weight candidates are never sampled; the sample shrinks to the positive ones", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  // Seed 0 -> 1..6 with weights 0, 2, 0, 3, 0, 1: three of six candidates are positive.
  const mat<C> a(8, 8, {0, 6, 6, 6, 6, 6, 6, 6, 6}, {1, 2, 3, 4, 5, 6}, {V{0}, V{2}, V{0}, V{3}, V{0}, V{1}});
  const std::vector<typename C::I> seeds(50, 0);
  std::vector<i64> offsets(51);
  std::iota(offsets.begin(), offsets.end(), i64{0});
  const ms::batch_list<typename C::I> batches{sp(seeds), offsets, 0, 0};
  const auto g = plain(a);
  for (const i64 s : {1, 2, 3, 4, 5}) {
    const auto o = options({s}, false, 31);
    CAPTURE(s);
    const auto got = sample(method::ladies, cpu2, a, batches, o);
    CHECK(got == sample(method::ladies, ref, a, batches, o));
    CHECK(properties(method::ladies, g, batches, o, got).empty());
    std::set<i64> seen;
    for (const auto mb : got) {
      const auto blk = mb.block(0);
      CHECK(blk.num_edges() == std::min<i64>(s, 3));
      for (auto v : blk.src_nodes.subspan(1)) seen.insert(v);
    }
    CHECK(std::ranges::includes(std::set<i64>{2, 4, 6}, seen));
    if (s >= 3) CHECK(seen == std::set<i64>{2, 4, 6});
  }
  // Six candidates, s = 6: everything is taken, zero weights included (π = 1).
  const auto all = sample(method::ladies, cpu2, a, batches, options({6}, false, 31));
  CHECK(all[0].block(0).num_edges() == 6);
}

TEST_CASE("layerwise: one column holding almost all the mass ends (exact pass, no endless redraws)") {
  // Seed 0 -> 1..6; column 1 weighs 1e6, so its probability is 1 - 5e-12:
  // after it is taken every plain redraw would hit it again.
  const stat_matrix a(8, 8, {0, 6, 6, 6, 6, 6, 6, 6, 6}, {1, 2, 3, 4, 5, 6}, {1e6, 1, 1, 1, 1, 1});
  const std::vector<i32> seeds(500, 0);
  std::vector<i64> offsets(501);
  std::iota(offsets.begin(), offsets.end(), i64{0});
  const ms::batch_list<i32> batches{sp(seeds), offsets, 0, 0};
  const auto g = plain(a);
  for (const i64 s : {2, 5}) {
    const auto o = options({s}, false, 4);
    const auto got = sample(method::ladies, cpu2, a, batches, o);
    CHECK(got == sample(method::ladies, ref, a, batches, o));
    CHECK(difference(plain_sample(method::ladies, g, batches, o), got, 1e-12).empty());
    std::map<i32, i64> counts;
    for (const auto mb : got) {
      const auto blk = mb.block(0);
      REQUIRE(blk.num_edges() == s);
      for (auto v : blk.src_nodes.subspan(1)) ++counts[v];
    }
    CHECK(counts[1] == 500);    // the heavy column, always
    CHECK(counts.size() == 6);  // and every light one sometimes
  }
}

TEST_CASE_TEMPLATE("layerwise: keep_frontier gives every row its self edge on a graph with self loops", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using I = typename C::I;
  const auto a = with_self_loops<C>(rmat_graph<C>(9, 4, 8));
  const ms::epoch_batches<I> epoch(all_vertices<I>(a.rows()), 32, 6, 0);
  const auto batches = epoch.bulk(0, 4);
  for (const method m : both_methods) {
    const i64 s = m == method::ladies ? 16 : 64;
    i64 rows_without = 0;
    for (const bool keep : {true, false}) {
      const auto o = options({s, s, s}, keep, 21);
      const auto got = sample(m, cpu2, a, batches, o);
      CHECK(properties(m, plain(a), batches, o, got).empty());
      for (const auto mb : got) {
        for (std::size_t l = 0; l < 3; ++l) {
          const auto blk = mb.block(l);
          for (I r = 0; r < blk.num_dst(); ++r) {
            const auto first = blk.adjacency.indices().begin() + blk.adjacency.row_begin(r);
            const auto last = blk.adjacency.indices().begin() + blk.adjacency.row_end(r);
            const bool self = std::find(first, last, r) != last;
            if (keep) CHECK(self);
            rows_without += !self;
          }
        }
      }
    }
    CAPTURE(name(m));
    CHECK(rows_without > 0);  // without keep_frontier some rows lose it: the option matters
  }
}

TEST_CASE_TEMPLATE("layerwise: FastGCN columns that miss the frontier are not source nodes", C,
                   MATSAMPLE_DOUBLE_CONFIGS) {
  using I = typename C::I;
  const auto a = rmat_graph<C>(9, 4, 2);
  const auto g = plain(a);
  const auto seeds = all_vertices<I>(40);
  const auto batches = ms::batch_list<I>::uniform(sp(seeds), 8, 0, 0);
  const auto o = options({100}, false, 3);
  const auto got = sample(method::fastgcn, cpu2, a, batches, o);
  const auto want = plain_sample(method::fastgcn, g, batches, o);
  CHECK(difference(want, got, 1e-12).empty());
  i64 missing = 0;
  for (i64 mb = 0; mb < got.size(); ++mb) {
    const auto& sampled = want[static_cast<std::size_t>(mb)][0].sampled;
    CHECK(sampled.size() == 100);
    const auto src = got[mb].block(0).src_nodes;
    for (const i64 c : sampled) missing += std::ranges::find(src, c) == src.end();
  }
  CHECK(missing > 0);
}

// ---- bad input ---------------------------------------------------------------

TEST_CASE_TEMPLATE("layerwise: bad sample sizes, seeds, batches and shapes throw clear errors", C,
                   MATSAMPLE_INDEX_CONFIGS) {
  using V = typename C::V;
  using I = typename C::I;
  using O = typename C::O;
  const auto a = rmat_graph<C>(7, 4, 1);
  const std::vector<I> seeds{3, 4, 5};
  const ms::batch_list<I> batches{sp(seeds), {0, 2, 3}, 0, 0};
  const auto each_backend = [&](auto&& call) {
    call(ref);
    call(cpu1);
    call(cpu2);
  };
  for (const method m : both_methods) {
    CAPTURE(name(m));
    each_backend([&](const auto& b) {
      CHECK_THROWS_WITH_AS(sample(m, b, a, batches, options({}, true, 1)), doctest::Contains("at least one layer"),
                           ms::argument_error);
      CHECK_THROWS_WITH_AS(sample(m, b, a, batches, options({0}, true, 1)),
                           doctest::Contains("sample size 0 at layer 0"), ms::argument_error);
      CHECK_THROWS_WITH_AS(sample(m, b, a, batches, options({4, 0}, true, 1)),
                           doctest::Contains("sample size 0 at layer 1"), ms::argument_error);
      CHECK_THROWS_WITH_AS(sample(m, b, a, batches, options({4, -2}, false, 1)),
                           doctest::Contains("sample size -2 at layer 1"), ms::argument_error);
      // Seed vertices outside the graph.
      for (const I bad : {static_cast<I>(-1), static_cast<I>(a.rows()), static_cast<I>(a.rows() + 1000)}) {
        const std::vector<I> wrong{3, bad, 5};
        const std::string message = "seed vertex " + std::to_string(bad) + " at position 1";
        CHECK_THROWS_WITH_AS(sample(m, b, a, ms::batch_list<I>{sp(wrong), {0, 2, 3}, 0, 0}, options({4}, true, 1)),
                             doctest::Contains(message.c_str()), ms::out_of_range_error);
      }
      // Offsets that do not cover the seeds, or decrease.
      CHECK_THROWS_AS(sample(m, b, a, ms::batch_list<I>{sp(seeds), {0, 2}, 0, 0}, options({4}, true, 1)),
                      ms::argument_error);
      CHECK_THROWS_AS(sample(m, b, a, ms::batch_list<I>{sp(seeds), {0, 3, 2, 3}, 0, 0}, options({4}, true, 1)),
                      ms::argument_error);
      // A vertex twice in one minibatch (its block would list it twice).
      const std::vector<I> twice{3, 3, 5};
      CHECK_THROWS_WITH_AS(sample(m, b, a, ms::batch_list<I>{sp(twice), {0, 2, 3}, 0, 0}, options({4}, true, 1)),
                           doctest::Contains("twice"), ms::argument_error);
      // A non-square matrix.
      const ms::csr_matrix<V, I, O> wide(3, 5, {0, 1, 2, 2}, {4, 0});
      CHECK_THROWS_WITH_AS(sample(m, b, wide, batches, options({4}, true, 1)), doctest::Contains("square"),
                           ms::argument_error);
    });
  }
}

// Regressions found by review of layerwise.hpp: each of these failed before the fix.
TEST_CASE(
    "regression: NaN or overflowing weights throw instead of sampling an empty row; a copied sampler owns its A∘A") {
  using graph = ms::csr_matrix<double, std::int32_t, std::int64_t>;
  const std::vector<std::int32_t> one_seed{0};
  const ms::batch_list<std::int32_t> b{one_seed, {0, 1}, 0, 0};
  const ms::layerwise_options o{.sample_sizes = {2}, .keep_frontier = false, .seed = 1};
  const ms::cpu_backend cpu(2);
  // 0 -> 1, 2, 3, 4 with a NaN on 0 -> 4: LADIES sums it into its importance, FastGCN into its norms.
  const graph nan_graph(6, 6, {0, 4, 4, 4, 4, 4, 4}, {1, 2, 3, 4}, {1, 2, 3, std::numeric_limits<double>::quiet_NaN()});
  CHECK_THROWS_WITH_AS(ms::sample_ladies(cpu, nan_graph.view(), b, o), doctest::Contains("NaN or infinite weight"),
                       ms::argument_error);
  // The minibatch is named by its number in the epoch, with the layer.
  const ms::batch_list<std::int32_t> fifth{one_seed, {0, 1}, 0, 5};
  CHECK_THROWS_WITH_AS(ms::sample_ladies(cpu, nan_graph.view(), fifth, o),
                       doctest::Contains("column importance of minibatch 5 (layer 0)"), ms::argument_error);
  CHECK_THROWS_AS(ms::sample_ladies(ms::reference_backend{}, nan_graph.view(), b, o), ms::argument_error);
  CHECK_THROWS_AS(ms::fastgcn_sampler(cpu, nan_graph.view()), ms::argument_error);
  // A finite weight whose square overflows is named as such.
  const graph huge(6, 6, {0, 4, 4, 4, 4, 4, 4}, {1, 2, 3, 4}, {1, 2, 3, 1e200});
  CHECK_THROWS_WITH_AS(ms::sample_ladies(cpu, huge.view(), b, o), doctest::Contains("square overflows"),
                       ms::argument_error);

  // A copy keeps working after the original is gone (it used to view the original's A∘A).
  const graph a(6, 6, {0, 4, 4, 4, 4, 4, 6}, {1, 2, 3, 4, 1, 2}, {1, 2, 3, 4, 1, 1});
  const std::vector<std::int32_t> two_seeds{0, 5};
  const ms::batch_list<std::int32_t> b2{two_seeds, {0, 2}, 0, 0};
  std::optional<ms::ladies_sampler<ms::cpu_backend, double, std::int32_t, std::int64_t>> original(std::in_place, cpu,
                                                                                                  a.view());
  const auto copy = *original;
  original.reset();
  CHECK(copy(b2, o) == ms::sample_ladies(cpu, a.view(), b2, o));
}

TEST_CASE(
    "regression: when the positive candidates fit in s they are all taken, and pi = 1 (zero weights do not count)") {
  // 0 -> 1..6 with weights 0, 2, 0, 3, 0, 1: three positive candidates.
  const ms::csr_matrix<double, std::int32_t, std::int64_t> a(8, 8, {0, 6, 6, 6, 6, 6, 6, 6, 6}, {1, 2, 3, 4, 5, 6},
                                                             {0, 2, 0, 3, 0, 1});
  const std::vector<std::int32_t> seeds{0};
  const ms::batch_list<std::int32_t> b{seeds, {0, 1}, 0, 0};
  const auto weights = [&](std::int64_t s) {
    const auto sample =
        ms::sample_ladies(ms::cpu_backend{2}, a.view(), b, {.sample_sizes = {s}, .keep_frontier = false, .seed = 1});
    const auto blk = sample[0].block(0);
    std::map<std::int32_t, double> out;
    for (auto e = blk.adjacency.row_begin(0); e < blk.adjacency.row_end(0); ++e) {
      out[blk.src_nodes[blk.adjacency.indices()[e]]] = blk.adjacency.value(e);
    }
    return out;
  };
  const std::map<std::int32_t, double> row_normalized_a{{1, 0.0},     {2, 2.0 / 6}, {3, 0.0},
                                                        {4, 3.0 / 6}, {5, 0.0},     {6, 1.0 / 6}};
  for (const std::int64_t s : {3, 4, 5, 6, -1}) {
    CAPTURE(s);
    const auto w = weights(s);
    // Sampling draws only the positive columns; s >= the row's length keeps
    // the whole row, zero-weight entries included (with weight 0).
    CHECK(w.size() == (s >= 3 && s < 6 ? 3u : 6u));
    for (const auto& [v, x] : w) CHECK(x == doctest::Approx(row_normalized_a.at(v)).epsilon(1e-12));
  }
  CHECK(weights(2).size() == 2);  // fewer than the positive candidates: sampled and debiased
}

TEST_CASE("regression: relabel_columns with a negative column count is an argument_error") {
  const ms::csr_matrix<double, std::int32_t, std::int64_t> m(2, 0, {0, 0, 0}, {});
  const std::vector<std::int32_t> none;
  CHECK_THROWS_AS(ms::cpu_backend{2}.relabel_columns(m.view(), std::span<const std::int32_t>(none), -1),
                  ms::argument_error);
  CHECK_THROWS_AS(ms::reference_backend{}.relabel_columns(m.view(), std::span<const std::int32_t>(none), -1),
                  ms::argument_error);
}
