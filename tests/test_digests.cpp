// Recorded digests of every sampler's output on fixed graphs and seeds. A
// refactor must keep samples bit for bit: if one of these changes, the
// change alters samples, and the commit must say so (and re-record them).
//
// Each digest is FNV-1a (64 bit) over every array of every layer of the bulk
// sample, in a fixed order, so any change in any id, offset or value shows.
// python/tests/test_core.py holds the Python module to the same digests.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "matsample/matsample.hpp"
#include "support.hpp"

namespace {

struct fnv1a {
  std::uint64_t state = 0xcbf29ce484222325ULL;
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      state ^= p[i];
      state *= 0x100000001b3ULL;
    }
  }
  template <class T>
  void array(const std::vector<T>& v) {
    const std::uint64_t n = v.size();
    bytes(&n, sizeof n);
    bytes(v.data(), v.size() * sizeof(T));
  }
};

template <class V, class I, class O>
std::uint64_t digest(const ms::bulk_sample<V, I, O>& bulk) {
  fnv1a h;
  for (const auto& layer : bulk.layers) {
    h.array(layer.row_offsets);
    h.array(layer.indptr);
    h.array(layer.edge_offsets);
    h.array(layer.indices);
    h.array(layer.values);
    h.array(layer.src_nodes);
    h.array(layer.node_offsets);
  }
  return h.state;
}

/// R-MAT scale 10 with weights in (0, 1], so weighted rules and layer-wise
/// debiasing both have something to do.
template <class I, class O>
ms::csr_matrix<double, I, O> weighted_rmat() {
  const auto g = ms::rmat<double, I, O>({.scale = 10, .edge_factor = 8, .seed = 5});
  return test::ref.apply(g.view(), [](I r, I c, double) {
    return static_cast<double>((static_cast<std::int64_t>(r) * 31 + static_cast<std::int64_t>(c) * 17) % 13 + 1) / 13.0;
  });
}

/// Epoch 3, batches 2..5 of 64 shuffled training vertices each.
template <class I>
ms::epoch_batches<I> fixed_epoch(std::int64_t n) {
  std::vector<I> train(static_cast<std::size_t>(n / 2));
  std::iota(train.begin(), train.end(), I{0});
  return ms::epoch_batches<I>(std::span<const I>(train), 64, 11, 3);
}

struct recorded {
  const char* name;
  std::uint64_t i32;  ///< int32 ids, int64 offsets
  std::uint64_t i64;  ///< int64 ids, int64 offsets
};

template <class V, class I, class O>
std::uint64_t digest(const ms::typed_bulk_sample<V, I, O>& bulk) {
  fnv1a h;
  for (const auto& layer : bulk.layers) {
    for (const auto& t : layer.types) {
      h.array(t.src_nodes);
      h.array(t.node_offsets);
      h.array(t.dst_offsets);
    }
    for (const auto& r : layer.relations) {
      h.array(r.row_offsets);
      h.array(r.indptr);
      h.array(r.edge_offsets);
      h.array(r.indices);
      h.array(r.values);
    }
  }
  return h.state;
}

/// Typed node-wise sampling of a small typed CSBM: papers and authors seeded
/// together, a fanout per relation (one skipped at the outer hop).
template <class I>
std::uint64_t typed_digest(bool replace) {
  using O = std::int64_t;
  const auto data = ms::typed_csbm<double, I, O>({.counts = {3000, 1500, 40}, .seed = 8});
  std::vector<I> papers(256), authors(128);
  std::iota(papers.begin(), papers.end(), I{100});
  std::iota(authors.begin(), authors.end(), I{7});
  ms::typed_batch_list<I> b;
  b.types.resize(3);
  b.types[0] = ms::batch_list<I>::uniform(papers, 64, 3, 2);
  b.types[1] = ms::batch_list<I>::uniform(authors, 32, 3, 2);
  const auto& schema = data.graph.schema();
  const ms::typed_nodewise_options o{
      .fanouts = ms::relation_fanouts(
          schema, {{{"cites", 5}, {"writes", 3}, {"has_topic", 1}}, {{"cites", 3}, {"has_topic", 0}}}, 2),
      .replace = replace,
      .deduplicate = !replace,
      .seed = 7};
  return digest(ms::sample_typed_nodewise(test::cpu2, data.graph.view(), b, o));
}

/// Typed layer-wise sampling (a budget per type) of the same typed CSBM.
template <class I>
std::uint64_t typed_ladies_digest() {
  using O = std::int64_t;
  const auto data = ms::typed_csbm<double, I, O>({.counts = {3000, 1500, 40}, .seed = 8});
  std::vector<I> papers(256);
  std::iota(papers.begin(), papers.end(), I{100});
  const auto b = ms::typed_batch_list<I>::of_type(3, 0, ms::batch_list<I>::uniform(papers, 64, 3, 2));
  return digest(ms::sample_typed_ladies(test::cpu2, data.graph.view(), b,
                                        {.sample_sizes = {{64, 32, 8}, {48, 0, 4}}, .seed = 13}));
}

template <class I>
std::uint64_t sample_digest(const std::string& name) {
  using O = std::int64_t;
  const auto g = weighted_rmat<I, O>();
  const auto epoch = fixed_epoch<I>(g.rows());
  const auto b = epoch.bulk(2, 4);
  const auto nodewise = [&](ms::nodewise_options o) { return digest(ms::sample_nodewise(test::cpu2, g.view(), b, o)); };
  if (name == "nodewise uniform") return nodewise({.fanouts = {10, 5}, .seed = 7});
  if (name == "nodewise uniform replace") return nodewise({.fanouts = {10, 5}, .replace = true, .seed = 7});
  if (name == "nodewise weighted") return nodewise({.fanouts = {10, 5}, .weighted = true, .seed = 7});
  if (name == "nodewise weighted replace")
    return nodewise({.fanouts = {10, 5}, .replace = true, .weighted = true, .seed = 7});
  if (name == "nodewise paper mode") return nodewise({.fanouts = {4, 3}, .deduplicate = false, .seed = 7});
  if (name == "nodewise full") return nodewise({.fanouts = {-1, 40}, .seed = 9});
  const ms::layerwise_options lw{.sample_sizes = {64, 48}, .seed = 13};
  if (name == "ladies") return digest(ms::ladies_sampler(test::cpu2, g.view())(b, lw));
  if (name == "fastgcn") return digest(ms::fastgcn_sampler(test::cpu2, g.view())(b, lw));
  const ms::layerwise_options no_frontier{.sample_sizes = {64, 48}, .keep_frontier = false, .seed = 13};
  if (name == "ladies without frontier") return digest(ms::ladies_sampler(test::cpu2, g.view())(b, no_frontier));
  const auto labor = [&](ms::labor_options o) { return digest(ms::labor_sampler(test::cpu2, g.view())(b, o)); };
  if (name == "labor") return labor({.fanouts = {10, 5}, .seed = 7});
  if (name == "labor weighted fixed count")
    return labor({.fanouts = {10, 5}, .weighted = true, .fixed_count = true, .seed = 7});
  if (name == "labor dependent layers and batches") {
    return labor({.fanouts = {10, 5}, .layer_dependency = true, .batch_dependency = 3, .seed = 7});
  }
  if (name == "labor-2") return labor({.fanouts = {10, 5}, .importance_iterations = 2, .seed = 7});
  if (name == "link nodewise, 2 negatives rejecting edges, reverse excluded") {
    // Positive pairs: each of the first 256 rows with its first neighbour.
    std::vector<I> src, dst;
    for (I r = 0; r < 256; ++r) {
      if (g.view().row_end(r) > g.view().row_begin(r)) {
        src.push_back(r);
        dst.push_back(g.view().indices()[static_cast<std::size_t>(g.view().row_begin(r))]);
      }
    }
    const auto edges = ms::edge_batch_list<I>::uniform(src, dst, 64, 3, 2);
    const ms::nodewise_sampler nodes(test::cpu2, g.view());
    const ms::link_sampler link(nodes, g.view(),
                                {.negatives = {.per_positive = 2, .reject_true_edges = true, .seed = 9},
                                 .exclude = ms::edge_exclusion::reverse});
    const auto out = link(edges, ms::nodewise_options{.fanouts = {10, 5}, .seed = 7});
    fnv1a h{digest(out.blocks)};
    for (const auto* pairs : {&out.positives, &out.negatives}) {
      h.array(pairs->offsets);
      h.array(pairs->src);
      h.array(pairs->dst);
    }
    h.bytes(&out.dropped_negatives, sizeof out.dropped_negatives);
    return h.state;
  }
  if (name == "typed nodewise") return typed_digest<I>(false);
  if (name == "typed nodewise replace paper mode") return typed_digest<I>(true);
  if (name == "typed ladies") return typed_ladies_digest<I>();
  FAIL("unknown sampler case " << name);
  return 0;
}

// Recorded on commit d891534 (before the sampler redesign).
const recorded table[] = {
    {"nodewise uniform", 7905174122643918851ULL, 17394867744643633155ULL},
    {"nodewise uniform replace", 15235647581529685695ULL, 13613588521146141743ULL},
    {"nodewise weighted", 7491390345849502181ULL, 5552252403060116869ULL},
    {"nodewise weighted replace", 482275139707832523ULL, 18156165122590663451ULL},
    {"nodewise paper mode", 7132894946261098422ULL, 5054876006223003958ULL},
    {"nodewise full", 4223066461034088978ULL, 2878790260660279634ULL},
    {"ladies", 13535381882692210299ULL, 17485662572740696987ULL},
    {"fastgcn", 15379448312244907500ULL, 4249668895056129580ULL},
    {"ladies without frontier", 12895904808015051141ULL, 10011720086387932517ULL},
    // LABOR, recorded when it was added.
    {"labor", 2744795949526416481ULL, 9307052577473768017ULL},
    {"labor weighted fixed count", 5935950399496771270ULL, 10300448562315024086ULL},
    {"labor dependent layers and batches", 8577427408924277510ULL, 18364789000178848486ULL},
    {"labor-2", 13340417575728402784ULL, 1456770486873351952ULL},
    // The link sampler (blocks, then both pair graphs and the dropped count),
    // recorded when the Python module bound it (2026-12-04).
    {"link nodewise, 2 negatives rejecting edges, reverse excluded", 9201364636231117631ULL, 2188410073221225871ULL},
    // Typed node-wise sampling, recorded when it was added (2026-12-05).
    {"typed nodewise", 6690179932421831877ULL, 16449039214198744181ULL},
    {"typed nodewise replace paper mode", 3999762804648474161ULL, 8913223293192916977ULL},
    {"typed ladies", 11524126174490081586ULL, 14228147495401479138ULL},
};

}  // namespace

TEST_CASE("every sampler's output matches its recorded digest") {
  for (const auto& r : table) {
    const std::string name = r.name;
    CAPTURE(name);
    const std::uint64_t got32 = sample_digest<std::int32_t>(r.name);
    const std::uint64_t got64 = sample_digest<std::int64_t>(r.name);
    // Printed so that a deliberate change of samples can be re-recorded.
    const std::string line = "{\"" + name + "\", " + std::to_string(got32) + "ULL, " + std::to_string(got64) + "ULL},";
    MESSAGE(line);
    CHECK(got32 == r.i32);
    CHECK(got64 == r.i64);
  }
}
