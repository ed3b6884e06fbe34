// Typed (heterogeneous) graphs: the schema's and the graph's checks, reverse
// relations, and the typed node-wise sampler: the blocks' invariants, one
// relation = the untyped sampler bit for bit, bit-identical output across
// backends, thread counts and bulk vs alone, per-relation fanouts (0 skips,
// -1 keeps all), several seed types per minibatch, per-relation inclusion
// probabilities, and clear errors.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backends.hpp"
#include "graphs.hpp"
#include "matsample/matsample.hpp"
#include "statistics.hpp"

using namespace matsample;

namespace {

using on_every_backend = test::each_config_on<test::backends>;

template <class C>
using typed = typed_graph<typename C::V, typename C::I, typename C::O>;

/// paper (40), author (25), word (18): paper -cites-> paper, paper -written_by->
/// author, paper -has_word-> word, and their reverses (rev_cites is a second
/// paper-paper relation). Degrees vary from 0 to about 12, with weights.
template <class C>
typed<C> library_graph(bool weighted = true) {
  using I = typename C::I;
  using V = typename C::V;
  const std::vector<std::int64_t> counts{40, 25, 18};
  auto schema = typed_schema::from_counts({"paper", "author", "word"}, counts,
                                          {{0, "cites", 0}, {0, "written_by", 1}, {0, "has_word", 2}});
  std::vector<std::vector<I>> src(3), dst(3);
  std::vector<std::vector<V>> val(3);
  auto add = [&](int r, I u, I v) {
    src[r].push_back(u);
    dst[r].push_back(v);
    val[r].push_back(static_cast<V>(1 + (u * 7 + v * 3) % 5));
  };
  for (I p = 0; p < 40; ++p) {
    for (I j = 1; j <= p % 6; ++j) add(0, p, static_cast<I>((p * 7 + j * 5) % 40));
    if (p % 9 != 4) {
      for (I j = 0; j <= p % 4; ++j) add(1, p, static_cast<I>((p * 3 + j * 11) % 25));
    }
    for (I j = 0; j < (p * 5) % 13; ++j) add(2, p, static_cast<I>((p + j * 7) % 18));
  }
  auto g = typed_graph_from_edges<V, I, typename C::O>(
      std::move(schema), std::span<const std::vector<I>>(src), std::span<const std::vector<I>>(dst),
      weighted ? std::span<const std::vector<V>>(val) : std::span<const std::vector<V>>{},
      build_options{.merge_duplicates = true});
  g.add_reverse_relations();
  return g;
}

/// Every block of every layer and minibatch is a sample of its relation:
/// rows are the row type's destination nodes, each entry an edge of A_r,
/// each row keeps min(degree, fanout) distinct entries; each type's source
/// nodes start with its destination nodes, are unique, and the next layer's
/// destination nodes are this layer's source nodes.
template <class V, class I, class O, class G>
void check_typed_blocks(const typed_bulk_sample<V, I, O>& s, const G& g, const typed_nodewise_options& options) {
  const auto& schema = g.schema();
  const std::size_t L = s.layers.size();
  for (std::int64_t m = 0; m < s.size(); ++m) {
    const auto mb = s[m];
    for (std::size_t l = 0; l < L; ++l) {
      const auto& layer = s.layers[l];
      for (std::int32_t t = 0; t < schema.num_types(); ++t) {
        const auto src = layer.types[t].src(m);
        const auto dst = layer.types[t].dst(m);
        REQUIRE(dst.size() <= src.size());
        if (options.deduplicate) CHECK(std::set<I>(src.begin(), src.end()).size() == src.size());
        for (const I v : src) CHECK((v >= 0 && v < schema.num_vertices(t)));
        if (l > 0) CHECK(std::ranges::equal(s.layers[l - 1].types[t].dst(m), src));
      }
      const auto hop = L - 1 - l;  // fanouts are listed seeds' hop first
      for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
        const auto b = mb.block(l, r);
        const auto& a = g.relation(r);
        const auto fanout = options.fanouts[hop][static_cast<std::size_t>(r)];
        CHECK(b.num_dst() == static_cast<I>(layer.types[schema.relations[r].row_type].dst(m).size()));
        for (I row = 0; row < b.num_dst(); ++row) {
          const I u = b.dst_nodes[row];
          const auto begin = a.indptr()[u], end = a.indptr()[u + 1];
          const std::int64_t degree = end - begin;
          const std::int64_t expected = fanout == 0 ? 0 : fanout < 0 ? degree : std::min(degree, fanout);
          const auto kept = b.adjacency.indptr()[row + 1] - b.adjacency.indptr()[row];
          if (options.replace && fanout > 0) {
            CHECK(kept == (degree == 0 ? 0 : fanout));
          } else {
            CHECK(kept == expected);
          }
          for (auto e = b.adjacency.indptr()[row]; e < b.adjacency.indptr()[row + 1]; ++e) {
            const I col = b.adjacency.indices()[e];
            REQUIRE((col >= 0 && col < b.num_src()));
            const I v = b.src_nodes[col];
            CHECK(std::find(a.indices().begin() + begin, a.indices().begin() + end, v) != a.indices().begin() + end);
          }
        }
      }
    }
  }
}

template <class I>
typed_batch_list<I> paper_and_author_seeds(const std::vector<I>& papers, const std::vector<I>& authors, int per_batch,
                                           std::uint64_t epoch = 0) {
  typed_batch_list<I> out;
  out.types.resize(3);
  out.types[0] = batch_list<I>::uniform(papers, per_batch, epoch);
  const auto k = static_cast<std::int64_t>(out.types[0].size());  // the authors are cut into as many minibatches
  out.types[1] = batch_list<I>::uniform(authors, (static_cast<std::int64_t>(authors.size()) + k - 1) / k, epoch);
  REQUIRE(out.types[1].size() == k);
  return out;
}

}  // namespace

TEST_CASE("typed graph: the schema names types and relations, and refuses what does not fit") {
  const std::vector<std::int64_t> counts{3, 2};
  const auto schema = typed_schema::from_counts({"paper", "author"}, counts, {{0, "writes", 1}, {1, "writes", 0}});
  CHECK(schema.num_vertices() == 5);
  CHECK(schema.type_of(3) == 1);
  CHECK(schema.global_id(1, 1) == 4);
  CHECK(schema.canonical_name(1) == "author___writes___paper");
  CHECK(schema.find_relation("paper___writes___author") == 0);
  CHECK_THROWS_WITH_AS((void)schema.find_relation("writes"), doctest::Contains("is shared; name one of"),
                       argument_error);
  CHECK_THROWS_WITH_AS((void)schema.find_relation("cites"),
                       doctest::Contains("no relation 'cites'; the relations are paper___writes___author"),
                       argument_error);
  CHECK_THROWS_WITH_AS((void)schema.find_type("venue"), doctest::Contains("the types are paper, author"),
                       argument_error);
  CHECK_THROWS_AS((void)schema.type_of(5), out_of_range_error);
  CHECK_THROWS_WITH_AS(typed_schema::from_counts({"paper", "paper"}, counts, {}), doctest::Contains("named twice"),
                       argument_error);
  CHECK_THROWS_WITH_AS(typed_schema::from_counts({"paper", "author"}, counts, {{0, "x", 2}}),
                       doctest::Contains("relation 'x' names vertex types 0 and 2"), argument_error);
  const std::vector<std::int64_t> negative{3, -1};
  CHECK_THROWS_WITH_AS(typed_schema::from_counts({"paper", "author"}, negative, {}),
                       doctest::Contains("'author' has negative count -1"), argument_error);
  CHECK_THROWS_WITH_AS(typed_schema::from_counts({"paper", "author"}, counts, {{0, "x", 1}, {0, "x", 1}}),
                       doctest::Contains("paper___x___author is listed twice"), argument_error);
}

TEST_CASE("typed graph: a relation whose matrix disagrees with its types' ranges names the relation") {
  const std::vector<std::int64_t> counts{3, 2};
  const auto schema = typed_schema::from_counts({"paper", "author"}, counts, {{0, "written_by", 1}});
  const csr_matrix<float, std::int32_t, std::int64_t> wrong(3, 3, {0, 1, 1, 1}, {2});
  CHECK_THROWS_WITH_AS((typed_graph<float, std::int32_t, std::int64_t>(schema, {wrong})),
                       doctest::Contains("relation paper___written_by___author is 3 x 3, but its types have 3 and 2"),
                       argument_error);
  CHECK_THROWS_WITH_AS((typed_graph<float, std::int32_t, std::int64_t>(schema, {})),
                       doctest::Contains("0 matrices for 1 relations"), argument_error);
  const std::vector<std::vector<std::int32_t>> src{{0, 2}}, dst{{1, 2}};
  CHECK_THROWS_WITH_AS((typed_graph_from_edges<float, std::int32_t, std::int64_t>(schema, src, dst)),
                       doctest::Contains("edge 1 (2, 2) of relation paper___written_by___author is outside its 3 x 2"),
                       out_of_range_error);
  // A view over a caller's arrays is checked the same way, and validate() names the relation.
  const std::vector<std::int64_t> indptr{0, 1, 1, 1};
  const std::vector<std::int32_t> bad_column{5};
  const csr_view<float, std::int32_t, std::int64_t> view(3, 2, indptr, bad_column);
  const typed_graph_view<csr_view<float, std::int32_t, std::int64_t>> g(schema, {view});
  CHECK_THROWS_WITH_AS(validate(g), doctest::Contains("relation paper___written_by___author: "), csr_error);
}

TEST_CASE("typed graph: reverse relations are the transposes, added once") {
  auto g = library_graph<test::d_i32_o64>();
  CHECK(g.schema().num_relations() == 6);
  CHECK(g.schema().canonical_name(3) == "paper___rev_cites___paper");
  CHECK(g.schema().canonical_name(4) == "author___rev_written_by___paper");
  for (std::int32_t r = 0; r < 3; ++r) {
    const auto a = g.relation(r).view(), t = g.relation(r + 3).view();
    CHECK(t.rows() == a.cols());
    CHECK(t.nnz() == a.nnz());
    for (std::int32_t u = 0; u < a.rows(); ++u) {
      for (auto e = a.indptr()[u]; e < a.indptr()[u + 1]; ++e) {
        const auto v = a.indices()[e];
        const auto row = t.indices().subspan(t.indptr()[v], t.indptr()[v + 1] - t.indptr()[v]);
        const auto it = std::find(row.begin(), row.end(), u);
        REQUIRE(it != row.end());
        CHECK(t.values()[t.indptr()[v] + (it - row.begin())] == a.values()[e]);
      }
    }
  }
  g.add_reverse_relations();
  CHECK(g.schema().num_relations() == 6);
}

MATSAMPLE_TEST_CASE_OVER("typed nodewise: one type and one relation sample exactly as the untyped sampler", T,
                         on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& backend = T::backend::get();
  const auto a = test::rmat_graph<C>(8, 6, 3);
  const std::vector<std::int64_t> counts{a.rows()};
  typed_graph<typename C::V, I, typename C::O> g(typed_schema::from_counts({"v"}, counts, {{0, "e", 0}}), {a});
  const auto seeds = test::all_vertices<I>(a.rows());
  for (const bool weighted : {false, true}) {
    for (const bool replace : {false, true}) {
      const auto batches = batch_list<I>::uniform(seeds, 37, 2, 5);
      const nodewise_options untyped{
          .fanouts = {4, 3, -1}, .replace = replace, .weighted = weighted, .deduplicate = true, .seed = 11};
      const typed_nodewise_options opts{
          .fanouts = {{4}, {3}, {-1}}, .replace = replace, .weighted = weighted, .seed = 11};
      const auto expected = sample_nodewise(backend, a, batches, untyped);
      const auto got = sample_typed_nodewise(backend, g.view(), typed_batch_list<I>::of_type(1, 0, batches), opts);
      REQUIRE(got.layers.size() == expected.layers.size());
      for (std::size_t l = 0; l < got.layers.size(); ++l) {
        const auto& e = expected.layers[l];
        CHECK(got.layers[l].relations[0] == static_cast<const block_edges<typename C::V, I, typename C::O>&>(e));
        CHECK(got.layers[l].types[0].src_nodes == e.src_nodes);
        CHECK(got.layers[l].types[0].node_offsets == e.node_offsets);
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("typed nodewise: blocks are samples of their relations, the same on every backend", T,
                         on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& backend = T::backend::get();
  const auto g = library_graph<C>();
  const auto papers = test::all_vertices<I>(40);
  const auto authors = test::all_vertices<I>(25);
  const auto batches = paper_and_author_seeds(papers, authors, 8, 3);
  for (const bool dedupe : {true, false}) {
    for (const bool weighted : {false, true}) {
      typed_nodewise_options opts{.fanouts = relation_fanouts(g.schema(),
                                                              {{{"cites", 3}, {"has_word", 0}, {"written_by", -1}},
                                                               {{"paper___rev_cites___paper", 2}, {"cites", 2}}},
                                                              1),
                                  .weighted = weighted,
                                  .deduplicate = dedupe,
                                  .seed = 7};
      const auto s = sample_typed_nodewise(backend, g.view(), batches, opts);
      CHECK(s.size() == 5);
      check_typed_blocks(s, g, opts);
      const auto oracle = sample_typed_nodewise(test::ref, g.view(), batches, opts);
      CHECK(s == oracle);
      // The skipped relation has no edges at its hop; "all" keeps whole rows.
      CHECK(s.layers[1].relations[2].num_edges() == 0);
      CHECK(s.layers[0].relations[2].num_edges() > 0);
      // Seeds of both types come back as the last layer's destination nodes.
      CHECK(std::ranges::equal(s[1].seeds(0), batches.types[0].batch(1)));
      CHECK(std::ranges::equal(s[1].seeds(1), batches.types[1].batch(1)));
      CHECK(s[1].seeds(2).empty());
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("typed nodewise: a minibatch samples the same alone, in bulk and at any thread count", T,
                         on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& backend = T::backend::get();
  const auto g = library_graph<C>();
  const auto papers = test::all_vertices<I>(40);
  const auto authors = test::all_vertices<I>(25);
  const auto batches = paper_and_author_seeds(papers, authors, 6, 1);
  const typed_nodewise_options opts{.fanouts = uniform_fanouts(g.schema(), {3, 2, 2}), .seed = 99};
  const auto bulk = sample_typed_nodewise(backend, g.view(), batches, opts);
  for (std::int64_t m = 0; m < batches.size(); ++m) {
    const auto alone = sample_typed_nodewise(backend, g.view(), batches.slice(m, m + 1), opts);
    for (std::size_t l = 0; l < bulk.layers.size(); ++l) {
      for (std::int32_t r = 0; r < g.schema().num_relations(); ++r) {
        const auto x = bulk[m].block(l, r), y = alone[0].block(l, r);
        CHECK(std::ranges::equal(x.adjacency.indptr(), y.adjacency.indptr()));
        CHECK(std::ranges::equal(x.adjacency.indices(), y.adjacency.indices()));
        CHECK(std::ranges::equal(x.adjacency.values(), y.adjacency.values()));
        CHECK(std::ranges::equal(x.src_nodes, y.src_nodes));
        CHECK(std::ranges::equal(x.dst_nodes, y.dst_nodes));
      }
    }
  }
  for (const int threads : {1, 2, 3})
    CHECK(sample_typed_nodewise(cpu_backend(threads), g.view(), batches, opts) == bulk);
}

TEST_CASE("typed nodewise: relations draw independent numbers, and the seed changes the sample") {
  // Two relations with the same matrix: if they shared a stream, each row
  // would keep the same neighbour through both.
  using C = test::d_i32_o64;
  using I = C::I;
  const auto a = test::rmat_graph<C>(8, 8, 4);
  const std::vector<std::int64_t> counts{a.rows()};
  const typed_graph<double, I, std::int64_t> g(typed_schema::from_counts({"v"}, counts, {{0, "e", 0}, {0, "copy", 0}}),
                                               {a, a});
  const auto all = test::all_vertices<I>(a.rows());
  const auto seeds = typed_batch_list<I>::of_type(1, 0, batch_list<I>::uniform(all, a.rows()));
  const typed_nodewise_options opts{.fanouts = {{1, 1}}, .seed = 3};
  const auto s = sample_typed_nodewise(test::cpu2, g.view(), seeds, opts);
  const auto b0 = s[0].block(0, 0), b1 = s[0].block(0, 1);
  int rows = 0, same = 0;
  for (I row = 0; row < b0.num_dst(); ++row) {
    if (a.view().indptr()[b0.dst_nodes[row] + 1] - a.view().indptr()[b0.dst_nodes[row]] < 4) continue;
    ++rows;
    same += b0.src_nodes[b0.adjacency.indices()[b0.adjacency.indptr()[row]]] ==
            b1.src_nodes[b1.adjacency.indices()[b1.adjacency.indptr()[row]]];
  }
  REQUIRE(rows >= 20);
  CHECK(same < rows / 2);  // at degree >= 4 independent picks agree with probability <= 1/4
  auto other = opts;
  other.seed = 4;
  CHECK(!(sample_typed_nodewise(test::cpu2, g.view(), seeds, other) == s));
}

TEST_CASE("typed nodewise: bad fanouts and seeds are refused, naming the relation, type and vertex") {
  using C = test::d_i32_o64;
  using I = C::I;
  const auto g = library_graph<C>();
  const auto& schema = g.schema();
  const std::vector<I> papers{0, 1, 2};
  const auto seeds = typed_batch_list<I>::of_type(3, 0, batch_list<I>::uniform(papers, 3));
  auto sample = [&](const typed_batch_list<I>& b, const typed_nodewise_options& o) {
    return sample_typed_nodewise(test::cpu2, g.view(), b, o);
  };
  CHECK_THROWS_WITH_AS(relation_fanouts(schema, {{{"cited_by", 2}}}, 0),
                       doctest::Contains("no relation 'cited_by'; the relations are paper___cites___paper"),
                       argument_error);
  CHECK_THROWS_WITH_AS(relation_fanouts(schema, {{{"cites", 2}}}),
                       doctest::Contains("fanouts of layer 0 leave out paper___written_by___author"), argument_error);
  CHECK_THROWS_WITH_AS(relation_fanouts(schema, {{{"cites", 2}, {"paper___cites___paper", 1}}}, 0),
                       doctest::Contains("name relation paper___cites___paper twice"), argument_error);
  CHECK_THROWS_WITH_AS(sample(seeds, {.fanouts = {{1, 2}}}), doctest::Contains("layer 0 has 2 fanouts for the 6"),
                       argument_error);
  CHECK_THROWS_WITH_AS(sample(seeds, {.fanouts = {}}), doctest::Contains("at least one layer"), argument_error);
  CHECK_THROWS_WITH_AS(sample(seeds, {.fanouts = uniform_fanouts(schema, {-2})}),
                       doctest::Contains("fanout -2 of relation paper___cites___paper at layer 0"), argument_error);
  const auto opts = typed_nodewise_options{.fanouts = uniform_fanouts(schema, {2})};
  const std::vector<I> authors{3, 30};  // author 30 does not exist (25 authors)
  const auto wrong_type = typed_batch_list<I>::of_type(3, 1, batch_list<I>::uniform(authors, 2));
  CHECK_THROWS_WITH_AS(sample(wrong_type, opts),
                       doctest::Contains("seed vertex 30 of type 'author' at position 1 is outside the type's [0, 25)"),
                       out_of_range_error);
  const std::vector<I> twice{4, 7, 4};
  CHECK_THROWS_WITH_AS(sample(typed_batch_list<I>::of_type(3, 2, batch_list<I>::uniform(twice, 3, 0, 6)), opts),
                       doctest::Contains("minibatch 6 lists vertex 4 of type 'word' twice"), argument_error);
  typed_batch_list<I> uneven = seeds;
  uneven.types[1] = batch_list<I>::uniform(papers, 1);  // 3 minibatches against 1
  CHECK_THROWS_WITH_AS(sample(uneven, opts), doctest::Contains("typed seeds of type 'paper': 1 minibatches"),
                       argument_error);
  typed_batch_list<I> too_few;
  too_few.types.resize(2);
  CHECK_THROWS_WITH_AS(sample(too_few, opts), doctest::Contains("2 seed lists for the 3 vertex types"), argument_error);
  // Exclusion lists: one per relation, each well formed for its relation.
  auto excluding = seeds;
  excluding.excluded.resize(2);
  CHECK_THROWS_WITH_AS(sample(excluding, opts), doctest::Contains("2 exclusion lists for the 6 relations"),
                       argument_error);
  const std::vector<std::int64_t> ex_offsets{0, 1};
  const std::vector<I> ex_src{0}, ex_dst{25};  // author 25 does not exist
  excluding.excluded.assign(6, excluded_edges<I>{});
  excluding.excluded[1] = {ex_offsets, ex_src, ex_dst};
  CHECK_THROWS_WITH_AS(sample(excluding, opts),
                       doctest::Contains("relation paper___written_by___author: excluded edge (0, 25) of minibatch 0"),
                       out_of_range_error);
  auto batch_seeds = seeds;
  batch_seeds.types[0].excluded = {ex_offsets, ex_src, ex_dst};
  CHECK_THROWS_WITH_AS(sample(batch_seeds, opts), doctest::Contains("exclude edges per relation"), argument_error);
}

TEST_CASE("typed nodewise statistics: each relation's inclusion probabilities, uniform and weighted") {
  // One hub paper citing 10 papers and written by 6 authors with weights;
  // 40000 minibatches of the hub, each its own draws. Relation cites keeps 3
  // of 10 uniformly (inclusion 3/10), written_by keeps 2 of 6 by weight
  // (successive sampling). Bounds: chi-square at p = 1e-6 (statistics.hpp).
  using I = std::int32_t;
  const std::vector<std::int64_t> counts{11, 6};
  auto schema = typed_schema::from_counts({"paper", "author"}, counts, {{0, "cites", 0}, {0, "written_by", 1}});
  const std::vector<double> author_weights{1, 2, 3, 4, 0.5, 6};
  std::vector<std::vector<I>> src(2), dst(2);
  std::vector<std::vector<double>> val(2);
  for (I v = 1; v <= 10; ++v) src[0].push_back(0), dst[0].push_back(v), val[0].push_back(1.0);
  for (I a = 0; a < 6; ++a) src[1].push_back(0), dst[1].push_back(a), val[1].push_back(author_weights[a]);
  const auto g = typed_graph_from_edges<double, I, std::int64_t>(schema, src, dst, val);
  const std::vector<I> hub(test::stats::n_trials, 0);
  auto batches = batch_list<I>::uniform(hub, 1);
  const auto seeds = typed_batch_list<I>::of_type(2, 0, batches);
  const auto s =
      sample_typed_nodewise(test::cpu2, g.view(), seeds, {.fanouts = {{3, 2}}, .weighted = true, .seed = 2024});
  std::vector<std::uint32_t> cited, authors;
  for (std::int64_t m = 0; m < s.size(); ++m) {
    for (const auto& [r, masks, offset] : {std::tuple{0, &cited, 1}, std::tuple{1, &authors, 0}}) {
      const auto b = s[m].block(0, r);
      std::uint32_t mask = 0;
      for (const I c : b.adjacency.indices()) mask |= 1u << (b.src_nodes[c] - offset);
      masks->push_back(mask);
    }
  }
  const auto uniform =
      test::stats::inclusion_moments(test::stats::successive_sets(std::vector<double>(10, 1.0), 3), 10);
  test::stats::expect_below("typed: cites, uniform 3 of 10", test::stats::inclusion_statistic(cited, 10, uniform), 9);
  const auto weighted = test::stats::inclusion_moments(test::stats::successive_sets(author_weights, 2), 6);
  test::stats::expect_below("typed: written_by, weighted 2 of 6",
                            test::stats::inclusion_statistic(authors, 6, weighted), 5);
  // The check can fail: the authors' sets against the uniform model.
  const auto wrong = test::stats::inclusion_moments(test::stats::successive_sets(std::vector<double>(6, 1.0), 2), 6);
  test::stats::expect_above("typed: written_by against uniform", test::stats::inclusion_statistic(authors, 6, wrong));
}

// ---- typed layer-wise sampling (a column budget per vertex type) ----------------

MATSAMPLE_TEST_CASE_OVER("typed ladies: one type and one relation sample exactly as ladies_sampler", T,
                         on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& backend = T::backend::get();
  for (const bool weighted : {false, true}) {
    auto a = test::rmat_graph<C>(8, 6, 3);
    if (weighted) a = test::with_weights<C>(a);
    const std::vector<std::int64_t> counts{a.rows()};
    const typed_graph<typename C::V, I, typename C::O> g(typed_schema::from_counts({"v"}, counts, {{0, "e", 0}}), {a});
    const auto seeds = test::all_vertices<I>(a.rows());
    const auto batches = batch_list<I>::uniform(seeds, 37, 2, 5);
    for (const bool keep : {true, false}) {
      CAPTURE(weighted);
      CAPTURE(keep);
      const auto expected =
          ladies_sampler(backend, a.view())(batches, {.sample_sizes = {40, 30}, .keep_frontier = keep, .seed = 4});
      const auto got = sample_typed_ladies(backend, g.view(), typed_batch_list<I>::of_type(1, 0, batches),
                                           {.sample_sizes = {{40}, {30}}, .keep_frontier = keep, .seed = 4});
      REQUIRE(got.layers.size() == expected.layers.size());
      for (std::size_t l = 0; l < got.layers.size(); ++l) {
        const auto& e = expected.layers[l];
        CHECK(got.layers[l].relations[0] == static_cast<const block_edges<typename C::V, I, typename C::O>&>(e));
        CHECK(got.layers[l].types[0].src_nodes == e.src_nodes);
        CHECK(got.layers[l].types[0].node_offsets == e.node_offsets);
      }
    }
  }
}

MATSAMPLE_TEST_CASE_OVER("typed ladies: budgets per type, the same on every backend, alone and in bulk", T,
                         on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  const auto& backend = T::backend::get();
  const auto g = library_graph<C>();
  const auto& schema = g.schema();
  const auto papers = test::all_vertices<I>(40);
  const auto authors = test::all_vertices<I>(25);
  const auto batches = paper_and_author_seeds(papers, authors, 8, 3);
  // paper, author, word budgets per hop; words get none at the outer hop.
  const typed_layerwise_options opts{.sample_sizes = {{6, 4, 3}, {5, -1, 0}}, .keep_frontier = false, .seed = 12};
  const auto s = sample_typed_ladies(backend, g.view(), batches, opts);
  CHECK(s == sample_typed_ladies(test::ref, g.view(), batches, opts));
  for (std::int64_t m = 0; m < s.size(); ++m) {
    for (std::size_t l = 0; l < s.layers.size(); ++l) {
      const auto hop = s.layers.size() - 1 - l;
      for (std::int32_t t = 0; t < schema.num_types(); ++t) {
        const auto& nodes = s.layers[l].types[static_cast<std::size_t>(t)];
        const auto budget = opts.sample_sizes[hop][static_cast<std::size_t>(t)];
        // Sampled columns beyond the destination nodes: at most the budget.
        if (budget >= 0) CHECK(nodes.src(m).size() <= nodes.dst(m).size() + static_cast<std::size_t>(budget));
      }
      for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
        const auto b = s[m].block(l, r);
        const auto& a = g.relation(r).view();
        if (opts.sample_sizes[hop][static_cast<std::size_t>(schema.relations[r].col_type)] == 0) {
          CHECK(b.num_edges() == 0);
        }
        for (I row = 0; row < b.num_dst(); ++row) {
          double sum = 0;
          for (auto e = b.adjacency.indptr()[row]; e < b.adjacency.indptr()[row + 1]; ++e) {
            const I u = b.dst_nodes[row], v = b.src_nodes[b.adjacency.indices()[e]];
            const auto first = a.indices().begin() + a.indptr()[u], last = a.indices().begin() + a.indptr()[u + 1];
            CHECK(std::find(first, last, v) != last);  // an edge of the relation
            sum += static_cast<double>(b.adjacency.values()[e]);
          }
          if (b.adjacency.indptr()[row + 1] > b.adjacency.indptr()[row]) CHECK(sum == doctest::Approx(1.0));
        }
      }
    }
  }
  for (std::int64_t m = 0; m < batches.size(); ++m) {
    const auto alone = sample_typed_ladies(backend, g.view(), batches.slice(m, m + 1), opts);
    for (std::size_t l = 0; l < s.layers.size(); ++l) {
      for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
        const auto x = s[m].block(l, r), y = alone[0].block(l, r);
        CHECK(std::ranges::equal(x.adjacency.indices(), y.adjacency.indices()));
        CHECK(std::ranges::equal(x.adjacency.values(), y.adjacency.values()));
        CHECK(std::ranges::equal(x.src_nodes, y.src_nodes));
      }
    }
  }
  CHECK_THROWS_WITH_AS(sample_typed_ladies(backend, g.view(), batches, {.sample_sizes = {{1, 2}}}),
                       doctest::Contains("layer 0 has 2 sample sizes for the 3 vertex types"), argument_error);
  CHECK_THROWS_WITH_AS(sample_typed_ladies(backend, g.view(), batches, {.sample_sizes = {{1, -3, 2}}}),
                       doctest::Contains("sample size -3 of type 'author' at layer 0"), argument_error);
  auto two_lists = batches;
  two_lists.excluded.resize(2);
  CHECK_THROWS_WITH_AS(sample_typed_ladies(backend, g.view(), two_lists, opts),
                       doctest::Contains("typed ladies: 2 exclusion lists for the 6 relations"), argument_error);
}

TEST_CASE("regression (review): a NaN importance names the minibatch by its number in the epoch") {
  // One type, one relation 0 -> 1, 2, 3 with a NaN weight; the seed is minibatch 5 of its epoch.
  using I = std::int32_t;
  const std::vector<std::int64_t> counts{6};
  const std::vector<std::vector<I>> src{{0, 0, 0}}, dst{{1, 2, 3}};
  const std::vector<std::vector<double>> val{{1, 2, std::numeric_limits<double>::quiet_NaN()}};
  const auto g = typed_graph_from_edges<double, I, std::int64_t>(
      typed_schema::from_counts({"v"}, counts, {{0, "e", 0}}), src, dst, val);
  const std::vector<I> seed{0};
  const auto fifth = typed_batch_list<I>::of_type(1, 0, batch_list<I>{seed, {0, 1}, 0, 5});
  CHECK_THROWS_WITH_AS(sample_typed_ladies(test::cpu2, g.view(), fifth, {.sample_sizes = {{2}}}),
                       doctest::Contains("column importance of type 'v' in minibatch 5 (layer 0)"), argument_error);
}

TEST_CASE("typed ladies statistics: each type's columns follow successive sampling by squared weight") {
  // One hub paper citing 10 papers and written by 6 authors, with weights;
  // 40000 minibatches of the hub. Papers: 3 of 10, authors: 2 of 6, each in
  // proportion to the squared weight of its one entry (successive sampling
  // without replacement). Bounds: chi-square at p = 1e-6 (statistics.hpp).
  using I = std::int32_t;
  const std::vector<std::int64_t> counts{11, 6};
  auto schema = typed_schema::from_counts({"paper", "author"}, counts, {{0, "cites", 0}, {0, "written_by", 1}});
  const std::vector<double> cite_weights{1, 1.5, 0.5, 2, 1, 1, 3, 0.7, 1.2, 0.9}, author_weights{1, 2, 0.5, 1.5, 1, 3};
  std::vector<std::vector<I>> src(2), dst(2);
  std::vector<std::vector<double>> val(2);
  for (I v = 1; v <= 10; ++v) src[0].push_back(0), dst[0].push_back(v), val[0].push_back(cite_weights[v - 1]);
  for (I a = 0; a < 6; ++a) src[1].push_back(0), dst[1].push_back(a), val[1].push_back(author_weights[a]);
  const auto g = typed_graph_from_edges<double, I, std::int64_t>(schema, src, dst, val);
  const std::vector<I> hub(test::stats::n_trials, 0);
  const auto seeds = typed_batch_list<I>::of_type(2, 0, batch_list<I>::uniform(hub, 1));
  const auto s =
      sample_typed_ladies(test::cpu2, g.view(), seeds, {.sample_sizes = {{3, 2}}, .keep_frontier = false, .seed = 99});
  std::vector<std::uint32_t> cited, authors;
  for (std::int64_t m = 0; m < s.size(); ++m) {
    for (const auto& [r, masks, offset] : {std::tuple{0, &cited, 1}, std::tuple{1, &authors, 0}}) {
      const auto b = s[m].block(0, r);
      std::uint32_t mask = 0;
      for (const I c : b.adjacency.indices()) mask |= 1u << (b.src_nodes[c] - offset);
      masks->push_back(mask);
    }
  }
  const auto squared = [](std::vector<double> w) {
    for (auto& x : w) x *= x;
    return w;
  };
  const auto papers_model = test::stats::inclusion_moments(test::stats::successive_sets(squared(cite_weights), 3), 10);
  test::stats::expect_below("typed ladies: papers, 3 of 10 by squared weight",
                            test::stats::inclusion_statistic(cited, 10, papers_model), 9);
  const auto authors_model =
      test::stats::inclusion_moments(test::stats::successive_sets(squared(author_weights), 2), 6);
  test::stats::expect_below("typed ladies: authors, 2 of 6 by squared weight",
                            test::stats::inclusion_statistic(authors, 6, authors_model), 5);
  // The check can fail: the authors' sets against weights not squared.
  const auto wrong = test::stats::inclusion_moments(test::stats::successive_sets(author_weights, 2), 6);
  test::stats::expect_above("typed ladies: authors against unsquared weights",
                            test::stats::inclusion_statistic(authors, 6, wrong));
}

// ---- typed link prediction -----------------------------------------------------

MATSAMPLE_TEST_CASE_OVER("typed link: one type and one relation sample exactly as link_sampler", T, on_every_backend) {
  using C = typename T::config;
  using I = typename C::I;
  using V = typename C::V;
  using O = typename C::O;
  const auto& backend = T::backend::get();
  const auto a = test::rmat_graph<C>(8, 6, 3);  // symmetric, rows sorted
  const std::vector<std::int64_t> counts{a.rows()};
  const typed_graph<V, I, O> g(typed_schema::from_counts({"v"}, counts, {{0, "e", 0}}), {a});
  std::vector<I> src, dst;
  for (I u = 0; u < a.rows() && src.size() < 200; ++u) {
    const auto v = a.view();
    if (v.row_end(u) > v.row_begin(u)) {
      src.push_back(u);
      dst.push_back(v.indices()[static_cast<std::size_t>(v.row_end(u) - 1)]);
    }
  }
  const auto edges = edge_batch_list<I>::uniform(sp(src), sp(dst), 32, 2, 3);
  const nodewise_sampler untyped_nodes(backend, a.view());
  const typed_nodewise_sampler typed_nodes(backend, g.view());
  for (const auto exclude : {edge_exclusion::none, edge_exclusion::self, edge_exclusion::reverse}) {
    const negative_options negatives{.per_positive = 2, .reject_true_edges = true, .seed = 5};
    const auto expected = link_sampler(untyped_nodes, a.view(), {.negatives = negatives, .exclude = exclude})(
        edges, nodewise_options{.fanouts = {4, 3}, .seed = 8});
    const typed_link_sampler typed(typed_nodes, g.view(), 0, {.negatives = negatives, .exclude = exclude});
    const auto same = [](const auto& got, const auto& expected) {
      CHECK(got.positives == expected.positives);
      CHECK(got.negatives == expected.negatives);
      CHECK(got.dropped_negatives == expected.dropped_negatives);
      REQUIRE(got.blocks.layers.size() == expected.blocks.layers.size());
      for (std::size_t l = 0; l < got.blocks.layers.size(); ++l) {
        const auto& e = expected.blocks.layers[l];
        CHECK(got.blocks.layers[l].relations[0] == static_cast<const block_edges<V, I, O>&>(e));
        CHECK(got.blocks.layers[l].types[0].src_nodes == e.src_nodes);
      }
    };
    same(typed(edges, {.fanouts = {{4}, {3}}, .seed = 8}), expected);
    // Typed LADIES as the node sampler masks the seed edges as ladies_sampler does.
    const ladies_sampler untyped_ladies(backend, a.view());
    const typed_ladies_sampler typed_ladies(backend, g.view());
    const auto expected_ladies = link_sampler(untyped_ladies, a.view(), {.negatives = negatives, .exclude = exclude})(
        edges, layerwise_options{.sample_sizes = {30, 20}, .seed = 8});
    const typed_link_sampler typed_ladies_link(typed_ladies, g.view(), 0, {.negatives = negatives, .exclude = exclude});
    same(typed_ladies_link(edges, {.sample_sizes = {{30}, {20}}, .seed = 8}), expected_ladies);
  }
}

TEST_CASE("typed link: writes edges, negatives among papers, reverse_types exclusion, pairs in each type's seeds") {
  using I = std::int32_t;
  const auto data = typed_csbm<float, I, std::int64_t>({.counts = {3000, 1500, 40}, .seed = 6});
  const auto& g = data.graph;
  const auto& schema = g.schema();
  const auto writes = schema.find_relation("writes"), rev_writes = schema.find_relation("rev_writes");
  const auto a = g.relation(writes).view(), back = g.relation(rev_writes).view();
  std::vector<I> src, dst;  // the first entry of every other author's row
  for (I u = 0; u < a.rows() && src.size() < 256; u += 2) {
    if (a.row_end(u) > a.row_begin(u)) {
      src.push_back(u);
      dst.push_back(a.indices()[static_cast<std::size_t>(a.row_begin(u))]);
    }
  }
  const auto edges = edge_batch_list<I>::uniform(sp(src), sp(dst), 64, 1, 0);
  const typed_nodewise_sampler nodes(test::cpu2, g.view());
  const typed_link_sampler link(nodes, g.view(), writes,
                                {.negatives = {.per_positive = 3, .seed = 2},
                                 .exclude = edge_exclusion::reverse,
                                 .reverse_relation = rev_writes});
  // Every relation kept whole at both hops: an unmasked seed edge would be
  // sampled. Typed LADIES taking every candidate column keeps whole rows too.
  const typed_ladies_sampler ladies(test::cpu2, g.view());
  const typed_link_sampler ladies_link(ladies, g.view(), writes,
                                       {.negatives = {.per_positive = 3, .seed = 2},
                                        .exclude = edge_exclusion::reverse,
                                        .reverse_relation = rev_writes});
  const std::vector<std::int64_t> every_column(3, -1);
  for (const auto& out : {link(edges, {.fanouts = uniform_fanouts(schema, {-1, -1}), .seed = 3}),
                          ladies_link(edges, {.sample_sizes = {every_column, every_column}, .seed = 3})}) {
    CHECK(out.src_type == schema.find_type("author"));
    CHECK(out.dst_type == schema.find_type("paper"));
    for (std::int64_t m = 0; m < edges.size(); ++m) {
      const auto mb = out.blocks[m];
      const auto authors = mb.seeds(out.src_type), papers = mb.seeds(out.dst_type);
      const auto [ps, pd] = out.positives.batch(m);
      const auto [batch_src, batch_dst] = edges.batch(m);
      for (std::size_t j = 0; j < ps.size(); ++j) {
        CHECK(authors[static_cast<std::size_t>(ps[j])] == batch_src[j]);
        CHECK(papers[static_cast<std::size_t>(pd[j])] == batch_dst[j]);
      }
      const auto [ns, nd] = out.negatives.batch(m);
      CHECK(ns.size() == 3 * ps.size());
      for (std::size_t j = 0; j < ns.size(); ++j) {
        CHECK(authors[static_cast<std::size_t>(ns[j])] == batch_src[j / 3]);
        CHECK(papers[static_cast<std::size_t>(nd[j])] < 3000);
      }
      // No block of the minibatch holds a seed edge (in writes) or its reverse (in rev_writes).
      std::set<std::pair<I, I>> seeds;
      for (std::size_t j = 0; j < batch_src.size(); ++j) seeds.emplace(batch_src[j], batch_dst[j]);
      std::int64_t kept = 0;
      for (std::size_t l = 0; l < out.blocks.layers.size(); ++l) {
        for (const auto& [r, flip] : {std::pair{writes, false}, std::pair{rev_writes, true}}) {
          const auto b = mb.block(l, r);
          for (I row = 0; row < b.num_dst(); ++row) {
            for (auto e = b.adjacency.indptr()[row]; e < b.adjacency.indptr()[row + 1]; ++e) {
              const I u = b.dst_nodes[row], v = b.src_nodes[b.adjacency.indices()[e]];
              CHECK(seeds.count(flip ? std::pair{v, u} : std::pair{u, v}) == 0);
              ++kept;
            }
          }
        }
      }
      CHECK(kept > 0);
    }
  }
  (void)back;
  // Errors: a reverse relation whose types are not swapped, none for a two-type
  // relation, and a positive that is not an edge (named with its relation).
  CHECK_THROWS_WITH_AS(
      typed_link_sampler(nodes, g.view(), writes,
                         {.exclude = edge_exclusion::reverse, .reverse_relation = schema.find_relation("cites")}),
      doctest::Contains("paper___cites___paper cannot hold the reverses of author___writes___paper"), argument_error);
  CHECK_THROWS_WITH_AS(typed_link_sampler(nodes, g.view(), writes, {.exclude = edge_exclusion::reverse}),
                       doctest::Contains("joins two types; name its reverse relation"), argument_error);
  CHECK_THROWS_WITH_AS(typed_link_sampler(nodes, g.view(), 6, {}), doctest::Contains("relation 6 of the 6 relations"),
                       argument_error);
  std::vector<I> not_src{0}, not_dst{0};
  while (std::binary_search(a.indices().begin() + a.row_begin(0), a.indices().begin() + a.row_end(0), not_dst[0])) {
    ++not_dst[0];
  }
  const auto bad = edge_batch_list<I>::uniform(sp(not_src), sp(not_dst), 1, 0, 4);
  CHECK_THROWS_WITH_AS((void)link(bad, {.fanouts = uniform_fanouts(schema, {2})}),
                       doctest::Contains("of minibatch 4 in relation author___writes___paper is not an edge of it"),
                       argument_error);
  const std::vector<I> far{3000};
  CHECK_THROWS_WITH_AS(
      (void)link(edge_batch_list<I>::uniform(sp(not_src), sp(far), 1), {.fanouts = uniform_fanouts(schema, {2})}),
      doctest::Contains("is outside its 1500 x 3000"), out_of_range_error);
}

TEST_CASE("typed link statistics: negatives of a two-type relation are uniform over the corrupted end's type") {
  // authors x papers (5 x 6): corrupting the destination draws among the 6
  // papers, corrupting the source among the 5 authors. Pearson chi-square,
  // bounds at p = 1e-6 fixed in advance (statistics.hpp): df 5 and 4.
  using I = std::int32_t;
  const std::vector<std::int64_t> counts{5, 6};
  const auto schema = typed_schema::from_counts({"author", "paper"}, counts, {{0, "writes", 1}});
  const std::vector<std::vector<I>> src{{0, 1, 2, 3, 4}}, dst{{0, 2, 4, 5, 1}};
  const auto g = typed_graph_from_edges<float, I, std::int64_t>(schema, src, dst);
  const auto view = g.relation(0).view();
  const std::vector<I> one_src(test::stats::n_trials / 10, 1), one_dst(test::stats::n_trials / 10, 2);
  for (const bool corrupt_source : {false, true}) {
    CAPTURE(corrupt_source);
    const negative_sampler sampler(view, {.per_positive = 10, .corrupt_source = corrupt_source, .seed = 4});
    const auto negs = sampler(sp(one_src), sp(one_dst), 0, 0);
    const std::size_t cells = corrupt_source ? 5 : 6;
    std::vector<double> hits(cells, 0);
    for (std::size_t j = 0; j < negs.src.size(); ++j) {
      const auto w = corrupt_source ? negs.src[j] : negs.dst[j];
      REQUIRE((w >= 0 && static_cast<std::size_t>(w) < cells));
      ++hits[static_cast<std::size_t>(w)];
    }
    const double p = 1.0 / static_cast<double>(cells);
    CHECK(sampler.probability(0) == doctest::Approx(p));
    test::stats::expect_below(
        corrupt_source ? "typed negatives: authors" : "typed negatives: papers",
        test::stats::pearson(hits, std::vector<double>(cells, p), static_cast<double>(negs.src.size())),
        static_cast<int>(cells) - 1);
  }
  CHECK_THROWS_WITH_AS(negative_sampler(view, {.distribution = negative_distribution::degree_power}),
                       doctest::Contains("degree_power needs a square graph, got 5 x 6"), argument_error);
}
