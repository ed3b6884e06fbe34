// Tests of the distributed part, run by ctest under mpirun with 1, 2, 4 and 9
// ranks (--oversubscribe). Every rank runs every test case; the cases are
// collective, so they use CHECK (which continues) rather than REQUIRE, so a
// failing rank still enters the collectives the others are waiting in.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <matsample/mpi.hpp>
#if MATSAMPLE_TEST_WITH_IO
#include <matsample/io.hpp>

#include <filesystem>
#include <fstream>
#include <matsample/backend/mpi/load.hpp>
#endif

#include <unistd.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace ms = matsample;
namespace mpi = matsample::mpi;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int p = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

/// Every layout of the world's ranks: 1.5D for each c dividing p, then 2D
/// for each shape with more than one grid column.
template <class F>
void for_each_layout(F&& f) {
  const int p = world_size();
  for (int c = 1; c <= p; ++c) {
    if (p % c == 0) f(mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, c), "1.5D c=" + std::to_string(c));
  }
  for (int pr = 1; pr < p; ++pr) {
    if (p % pr == 0)
      f(mpi::process_grid::two_d(MPI_COMM_WORLD, pr, p / pr),
        "2D " + std::to_string(pr) + "x" + std::to_string(p / pr));
  }
}

/// The exception message of f, or "" when it throws nothing (or another type).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) { return e.what(); }
  return "";
}

}  // namespace

TEST_CASE("process grid: every 2D shape and replication factor that fits, and the communicators") {
  const int p = world_size(), me = world_rank();
  for (int pr = 1; pr <= p; ++pr) {
    if (p % pr != 0) continue;
    const int pc = p / pr;
    const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, pr, pc);
    CHECK(grid.size() == p);
    CHECK(grid.my_row() == me / pc);
    CHECK(grid.my_col() == me % pc);
    int row_size = 0, col_size = 0, row_rank = 0, col_rank = 0;
    MPI_Comm_size(grid.row_comm(), &row_size);
    MPI_Comm_size(grid.col_comm(), &col_size);
    MPI_Comm_rank(grid.row_comm(), &row_rank);
    MPI_Comm_rank(grid.col_comm(), &col_rank);
    CHECK(row_size == pc);
    CHECK(col_size == pr);
    CHECK(row_rank == grid.my_col());
    CHECK(col_rank == grid.my_row());
    // The row communicator really joins my row: the sum of world ranks in it.
    int sum = 0;
    MPI_Allreduce(&me, &sum, 1, MPI_INT, MPI_SUM, grid.row_comm());
    int expected = 0;
    for (int c = 0; c < pc; ++c) expected += grid.my_row() * pc + c;
    CHECK(sum == expected);
  }
  for (int c = 1; c <= p; ++c) {
    if (p % c != 0) continue;
    const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, c);
    CHECK(grid.replication() == c);
    CHECK(grid.rows() == p / c);
    int fiber = 0;
    MPI_Comm_size(grid.fiber_comm(), &fiber);
    CHECK(fiber == c);
  }
}

TEST_CASE("process grid: shapes that do not fit are rejected with a clear message") {
  const int p = world_size();
  CHECK(message_of<ms::argument_error>([&] {
          (void)mpi::process_grid::two_d(MPI_COMM_WORLD, p + 1, 1);
        }).find("does not match the " + std::to_string(p) + " ranks") != std::string::npos);
  CHECK(message_of<ms::argument_error>([&] {
          (void)mpi::process_grid::two_d(MPI_COMM_WORLD, 0, p);
        }).find("0 x " + std::to_string(p) + " does not match the " + std::to_string(p) + " ranks") !=
        std::string::npos);
  CHECK(message_of<ms::argument_error>([&] {
          (void)mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, p + 1);
        }).find("replication factor " + std::to_string(p + 1) + " does not divide " + std::to_string(p) + " ranks") !=
        std::string::npos);
  CHECK(message_of<ms::argument_error>([&] {
          (void)mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 0);
        }).find("replication factor 0 does not divide") != std::string::npos);
  // SUMMA needs a square grid: p x 1 is square only for one rank.
  const auto tall = mpi::process_grid::two_d(MPI_COMM_WORLD, p, 1);
  const auto summa = [&] { (void)mpi::mpi_backend(tall, 1, mpi::two_d_product::summa); };
  if (p == 1) {
    CHECK(message_of<ms::argument_error>(summa).empty());
  } else {
    CHECK(message_of<ms::argument_error>(summa).find("SUMMA needs a square grid, not " + std::to_string(p) + " x 1") !=
          std::string::npos);
  }
}

TEST_CASE_TEMPLATE("feature fetch: rows arrive in request order, and the bytes moved match the model", I, std::int32_t,
                   std::int64_t) {
  const int p = world_size(), me = world_rank();
  const std::int64_t n = 1000, dim = 5;
  const mpi::block_partition vertices{n, p};
  // Feature of vertex v, column d: a value that names both.
  const auto feature = [](std::int64_t v, std::int64_t d) { return static_cast<float>(v * 10 + d); };
  std::vector<float> local;
  for (auto v = vertices.begin(me); v < vertices.end(me); ++v) {
    for (std::int64_t d = 0; d < dim; ++d) local.push_back(feature(v, d));
  }
  // Each rank asks for a different scattered list, with repeats.
  std::vector<I> needed;
  for (std::int64_t i = 0; i < 300; ++i) needed.push_back(static_cast<I>((i * 7919 + me * 104729) % n));
  mpi::volume moved;
  const auto rows = mpi::fetch_features<I>(MPI_COMM_WORLD, vertices, local, dim, needed, &moved);
  CHECK(rows.size() == needed.size() * dim);
  bool all_right = true;
  for (std::size_t i = 0; i < needed.size(); ++i) {
    for (std::int64_t d = 0; d < dim; ++d) all_right = all_right && rows[i * dim + d] == feature(needed[i], d);
  }
  CHECK(all_right);
  // Model: ids to other owners go out, their rows come back; one count each way per peer and exchange.
  std::int64_t remote = 0;
  for (const I v : needed) remote += vertices.owner(v) != me;
  std::int64_t served = 0;  // rows other ranks asked of me, from the same formula on their lists
  for (int r = 0; r < p; ++r) {
    if (r == me) continue;
    for (std::int64_t i = 0; i < 300; ++i) served += vertices.owner((i * 7919 + r * 104729) % n) == me;
  }
  const std::int64_t counts = 2 * 8 * (p - 1);
  CHECK(moved.bytes_sent == remote * static_cast<std::int64_t>(sizeof(I)) + served * dim * 4 + counts);
  CHECK(moved.bytes_received == served * static_cast<std::int64_t>(sizeof(I)) + remote * dim * 4 + counts);

  CHECK(message_of<ms::out_of_range_error>([&] {
          const std::vector<I> bad{static_cast<I>(n)};
          (void)mpi::fetch_features<I>(MPI_COMM_WORLD, vertices, local, dim, bad);
        }).find("outside [0, 1000)") != std::string::npos);
}

TEST_CASE("block partition: owners and bounds agree for every vertex") {
  for (const int parts : {1, 2, 3, 4, 9}) {
    for (const std::int64_t n : {0, 1, 7, 100, 1001}) {
      const mpi::block_partition b{n, parts};
      bool ok = b.begin(0) == 0 && b.end(parts - 1) == n;
      for (std::int64_t v = 0; v < n; ++v) ok = ok && b.begin(b.owner(v)) <= v && v < b.end(b.owner(v));
      CHECK(ok);
    }
  }
}

/// Per-minibatch equality of two bulk samples: part holds `count` minibatches
/// and part[m] == whole[offset + m], seeds and blocks alike.
template <class Bulk>
bool same_minibatches(const Bulk& whole, const Bulk& part, std::int64_t offset, std::int64_t count) {
  bool ok = whole.layers.size() == part.layers.size() && part.size() == count && offset + count <= whole.size();
  for (std::int64_t m = 0; ok && m < part.size(); ++m) {
    ok = std::ranges::equal(whole[offset + m].seeds(), part[m].seeds());
    for (std::size_t l = 0; l < whole.layers.size(); ++l) {
      const auto a = whole[offset + m].block(l), b = part[m].block(l);
      ok = ok && std::ranges::equal(a.src_nodes, b.src_nodes) &&
           std::ranges::equal(a.adjacency.indptr(), b.adjacency.indptr()) &&
           std::ranges::equal(a.adjacency.indices(), b.adjacency.indices()) &&
           std::ranges::equal(a.adjacency.values(), b.adjacency.values());
    }
  }
  return ok;
}

TEST_CASE(
    "replicated graph: each rank samples its balanced share through the distributed backend, moving no bytes, "
    "and the shares are the single-process sample") {
  const int p = world_size(), me = world_rank();
  const auto graph = ms::rmat<float, std::int32_t, std::int64_t>({.scale = 11, .edge_factor = 8, .seed = 5});
  std::vector<std::int32_t> train;
  for (std::int32_t v = 0; v < graph.rows(); ++v) {
    if (graph.view().degree(v) > 0) train.push_back(v);
  }
  train.resize(std::min<std::size_t>(train.size(), 37 * 20));
  const ms::epoch_batches<std::int32_t> epoch(train, 20, 3, 1);
  const auto all = epoch.bulk(0, epoch.size());
  const auto cuts = mpi::balanced_cuts(mpi::estimated_work(graph.view(), all), p);
  const auto mine = all.slice(cuts[me], cuts[me + 1]);
  const ms::cpu_backend cpu;
  const ms::nodewise_options nodewise{.fanouts = {6, 4}, .seed = 11};
  const ms::layerwise_options layerwise{.sample_sizes = {32, 32}, .seed = 11};
  const auto whole_nodewise = ms::sample_nodewise(cpu, graph.view(), all, nodewise);
  const auto whole_ladies = ms::ladies_sampler(cpu, graph.view())(all, layerwise);
  // c = p: every rank holds all of A.
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, p);
  const auto a = mpi::distributed_csr<float, std::int32_t, std::int64_t>::from_replicated(grid, graph.view());
  const mpi::mpi_backend backend(grid);
  const auto part_nodewise = ms::sample_nodewise(backend, a.view(), mine, nodewise);
  const auto part_ladies = ms::ladies_sampler(backend, a.view())(mine, layerwise);
  CHECK(same_minibatches(whole_nodewise, part_nodewise, cuts[me], cuts[me + 1] - cuts[me]));
  CHECK(same_minibatches(whole_ladies, part_ladies, cuts[me], cuts[me + 1] - cuts[me]));
  CHECK(backend.moved().bytes_sent == 0);
  CHECK(backend.moved().bytes_received == 0);
  // Every minibatch is sampled by exactly one rank.
  std::int64_t count = part_nodewise.size(), total = 0;
  MPI_Allreduce(&count, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  CHECK(total == all.size());
}

TEST_CASE_TEMPLATE(
    "distributed graph (1.5D, every replication factor): node-wise, LABOR, LADIES and FastGCN minibatches are "
    "bit-identical to the CPU backend's",
    T, std::pair<float, std::int32_t>, std::pair<double, std::int64_t>) {
  using V = typename T::first_type;
  using I = typename T::second_type;
  using O = std::int64_t;
  const int p = world_size(), me = world_rank();
  const auto pattern = ms::rmat<V, I, O>({.scale = 10, .edge_factor = 8, .seed = 9});
  // A weighted copy: values that make float sums order-sensitive.
  std::vector<V> weights(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < weights.size(); ++e)
    weights[e] = static_cast<V>(0.1 + 0.37 * static_cast<double>((e * 2654435761u) % 1000) / 7.0);
  const ms::csr_matrix<V, I, O> weighted(pattern.rows(), pattern.cols(),
                                         {pattern.indptr().begin(), pattern.indptr().end()},
                                         {pattern.indices().begin(), pattern.indices().end()}, weights);
  std::vector<I> train;
  for (I v = 0; v < pattern.rows(); ++v) train.push_back(v);  // isolated vertices included
  const ms::epoch_batches<I> epoch(train, 24, 5, 2);
  const auto all = epoch.bulk(0, std::min<std::int64_t>(epoch.size(), 18));
  const ms::cpu_backend cpu;
  for (const auto* graph : {&pattern, &weighted}) {
    const auto cuts = mpi::balanced_cuts(mpi::estimated_work(graph->view(), all), p);
    const auto mine = all.slice(cuts[me], cuts[me + 1]);
    const ms::nodewise_options nodewise{.fanouts = {5, 3}, .weighted = graph == &weighted, .seed = 21};
    const ms::layerwise_options layerwise{.sample_sizes = {40, 40}, .seed = 21};
    // LABOR's variates are computed from (seed, vertex, minibatch), never sent.
    const ms::labor_options labor{.fanouts = {5, 3}, .weighted = graph == &weighted, .batch_dependency = 2, .seed = 21};
    const auto whole_nodewise = ms::sample_nodewise(cpu, graph->view(), all, nodewise);
    const auto whole_labor = ms::sample_labor(cpu, graph->view(), all, labor);
    const auto whole_ladies = ms::sample_ladies(cpu, graph->view(), all, layerwise);
    const auto whole_fastgcn = ms::sample_fastgcn(cpu, graph->view(), all, layerwise);
    for (int c = 1; c <= p; ++c) {
      if (p % c != 0) continue;
      CAPTURE(c);
      CAPTURE(graph == &weighted);
      const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, c);
      const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, graph->view());
      const mpi::mpi_backend distributed_backend(grid);
      const auto count = cuts[me + 1] - cuts[me];
      CHECK(same_minibatches(whole_nodewise, ms::sample_nodewise(distributed_backend, a.view(), mine, nodewise),
                             cuts[me], count));
      CHECK(
          same_minibatches(whole_labor, ms::sample_labor(distributed_backend, a.view(), mine, labor), cuts[me], count));
      const ms::ladies_sampler ladies(distributed_backend, a.view());
      CHECK(same_minibatches(whole_ladies, ladies(mine, layerwise), cuts[me], count));
      const ms::fastgcn_sampler fastgcn(distributed_backend, a.view());
      CHECK(same_minibatches(whole_fastgcn, fastgcn(mine, layerwise), cuts[me], count));
    }
  }
}

TEST_CASE_TEMPLATE(
    "distributed graph (2D tiles, every grid shape): the ranks of a grid row share node-wise, LABOR, LADIES and "
    "FastGCN minibatches that are "
    "bit-identical to the CPU backend's",
    T, std::pair<float, std::int32_t>, std::pair<double, std::int64_t>) {
  using V = typename T::first_type;
  using I = typename T::second_type;
  using O = std::int64_t;
  const int p = world_size();
  const auto pattern = ms::rmat<V, I, O>({.scale = 10, .edge_factor = 8, .seed = 19});
  std::vector<V> weights(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < weights.size(); ++e)
    weights[e] = static_cast<V>(0.2 + 0.31 * static_cast<double>((e * 2246822519u) % 1000) / 9.0);
  const ms::csr_matrix<V, I, O> weighted(pattern.rows(), pattern.cols(),
                                         {pattern.indptr().begin(), pattern.indptr().end()},
                                         {pattern.indices().begin(), pattern.indices().end()}, weights);
  std::vector<I> train;
  for (I v = 0; v < pattern.rows(); ++v) train.push_back(v);
  const ms::epoch_batches<I> epoch(train, 24, 7, 0);
  const auto all = epoch.bulk(0, std::min<std::int64_t>(epoch.size(), 12));
  const ms::cpu_backend cpu;
  for (const auto* graph : {&pattern, &weighted}) {
    const ms::nodewise_options nodewise{.fanouts = {5, 3}, .weighted = graph == &weighted, .seed = 4};
    const ms::layerwise_options layerwise{.sample_sizes = {40, 40}, .seed = 4};
    const ms::labor_options labor{.fanouts = {5, 3}, .weighted = graph == &weighted, .fixed_count = true, .seed = 4};
    const auto whole_nodewise = ms::sample_nodewise(cpu, graph->view(), all, nodewise);
    const auto whole_labor = ms::sample_labor(cpu, graph->view(), all, labor);
    const auto whole_ladies = ms::sample_ladies(cpu, graph->view(), all, layerwise);
    const auto whole_fastgcn = ms::sample_fastgcn(cpu, graph->view(), all, layerwise);
    for (int pr = 1; pr <= p; ++pr) {
      if (p % pr != 0) continue;
      const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, pr, p / pr);
      const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, graph->view());
      CHECK(a.view().tiled() == (p / pr > 1));
      // Grid row i samples share i; its pc ranks pass the same batches.
      const auto cuts = mpi::balanced_cuts(mpi::estimated_work(a.view(), all), pr);
      const auto first = cuts[grid.my_row()], count = cuts[grid.my_row() + 1] - first;
      const auto mine = all.slice(first, first + count);
      for (const auto product : {mpi::two_d_product::row_fetch, mpi::two_d_product::summa}) {
        if (product == mpi::two_d_product::summa && pr != p / pr) continue;  // SUMMA: square grids
        CAPTURE(pr);
        CAPTURE(graph == &weighted);
        CAPTURE(product == mpi::two_d_product::summa);
        const mpi::mpi_backend backend(grid, 0, product);
        CHECK(same_minibatches(whole_nodewise, ms::sample_nodewise(backend, a.view(), mine, nodewise), first, count));
        CHECK(same_minibatches(whole_labor, ms::sample_labor(backend, a.view(), mine, labor), first, count));
        const ms::ladies_sampler ladies(backend, a.view());
        CHECK(same_minibatches(whole_ladies, ladies(mine, layerwise), first, count));
        const ms::fastgcn_sampler fastgcn(backend, a.view());
        CHECK(same_minibatches(whole_fastgcn, fastgcn(mine, layerwise), first, count));
      }
    }
  }
}

/// Positive pairs for link sampling: `count` edges of a graph with sorted
/// rows, at positions spread by a multiplicative hash.
template <class V, class I, class O>
std::pair<std::vector<I>, std::vector<I>> spread_edges(const ms::csr_view<V, I, O>& g, std::int64_t count) {
  std::vector<I> src, dst;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto e =
        static_cast<O>((static_cast<std::uint64_t>(i) * 2654435761u + 17) % static_cast<std::uint64_t>(g.nnz()));
    src.push_back(static_cast<I>(std::upper_bound(g.indptr().begin(), g.indptr().end(), e) - g.indptr().begin() - 1));
    dst.push_back(g.indices()[static_cast<std::size_t>(e)]);
  }
  return {src, dst};
}

/// The reverse of every entry of a symmetric graph with sorted rows: the position of (v, u) for (u, v).
template <class V, class I, class O>
std::vector<std::int64_t> transpose_positions(const ms::csr_view<V, I, O>& g) {
  std::vector<std::int64_t> rev(static_cast<std::size_t>(g.nnz()));
  for (I u = 0; u < g.rows(); ++u) {
    for (auto e = g.row_begin(u); e < g.row_end(u); ++e) {
      const I w = g.indices()[static_cast<std::size_t>(e)];
      const auto cols = ms::detail::row_columns(g, w);
      rev[static_cast<std::size_t>(e)] =
          g.row_begin(w) + (std::lower_bound(cols.begin(), cols.end(), u) - cols.begin());
    }
  }
  return rev;
}

TEST_CASE_TEMPLATE(
    "distributed link sampling (1.5D, 2D tiles, replicated): negatives with rejection, exclusion and edge ids are "
    "the CPU's, bit for bit",
    I, std::int32_t, std::int64_t) {
  using V = float;
  using O = std::int64_t;
  const int p = world_size(), me = world_rank();
  const auto graph = ms::rmat<V, I, O>({.scale = 9, .edge_factor = 6, .seed = 13});  // symmetric, sorted rows
  const auto g = graph.view();
  const auto rev = transpose_positions(g);
  const auto pairs = spread_edges(g, 8 * 16);          // 8 minibatches: with 9 ranks one samples none
  const auto &src = pairs.first, &dst = pairs.second;  // references, not bindings: lambdas capture them
  const auto all = ms::edge_batch_list<I>::uniform(src, dst, 16, 3);
  const ms::cpu_backend cpu;
  const ms::nodewise_sampler cpu_nodes(cpu, g);
  const ms::nodewise_options nodewise{.fanouts = {4, 3}, .seed = 8};
  // Each mode reads the graph differently: the fixed endpoint's rows (corrupt the
  // destination), rounds of candidate rows (corrupt the source), degrees, reverse positions.
  const ms::link_options modes[] = {
      {.negatives = {.per_positive = 2, .reject_true_edges = true, .max_redraws = 2, .seed = 5},
       .exclude = ms::edge_exclusion::reverse},
      {.negatives = {.per_positive = 3,
                     .distribution = ms::negative_distribution::degree_power,
                     .corrupt_source = true,
                     .reject_true_edges = true,
                     .seed = 6},
       .exclude = ms::edge_exclusion::reverse,
       .reverse_edges = rev},
      {.negatives = {.per_positive = 1, .seed = 7}, .exclude = ms::edge_exclusion::self},
  };
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, g);
    const mpi::mpi_backend backend(grid);
    const ms::nodewise_sampler nodes(backend, a.view());
    const auto lookup = mpi::make_edge_lookup(a.view());
    CHECK(lookup.edges() == g.nnz());
    // 1.5D: every rank its own share; 2D: the ranks of a grid row share one.
    const int parts = a.view().tiled() ? grid.rows() : p, part = a.view().tiled() ? grid.my_row() : me;
    const ms::mpi::block_partition shares{all.size(), parts};
    const auto first = shares.begin(part), last = shares.end(part);
    const auto mine = ms::edge_batch_list<I>::uniform(
        all.src.subspan(static_cast<std::size_t>(first * 16), static_cast<std::size_t>((last - first) * 16)),
        all.dst.subspan(static_cast<std::size_t>(first * 16), static_cast<std::size_t>((last - first) * 16)), 16,
        all.epoch, static_cast<std::uint64_t>(first));
    for (std::size_t i = 0; i < std::size(modes); ++i) {
      CAPTURE(i);
      auto expected = ms::link_sampler(cpu_nodes, g, modes[i])(mine, nodewise);
      auto got = ms::link_sampler(nodes, a.view(), modes[i])(mine, nodewise);
      ms::attach_edge_ids(g, expected.blocks);
      ms::attach_edge_ids(lookup, got.blocks);
      CHECK(got == expected);
    }
    CHECK(lookup.degree(5) == g.degree(5));
  });
}

TEST_CASE("distributed link sampling: a bad pair on one rank stops every rank with the pair named") {
  using I = std::int32_t;
  const int me = world_rank();
  const auto graph = ms::rmat<float, I, std::int64_t>({.scale = 8, .edge_factor = 4, .seed = 3});
  const auto g = graph.view();
  const auto pairs = spread_edges(g, 8);
  const auto &src = pairs.first, &dst = pairs.second;
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    const auto a = mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, g);
    const mpi::mpi_backend backend(grid);
    const ms::nodewise_sampler nodes(backend, a.view());
    const ms::link_sampler link(nodes, a.view(), {.exclude = ms::edge_exclusion::self});
    const ms::nodewise_options nodewise{.fanouts = {2}};
    // Grid row 0 (its ranks share batches on tiles) passes a pair that is no edge.
    const auto cols = ms::detail::row_columns(g, src[0]);
    I v = 0;
    while (std::binary_search(cols.begin(), cols.end(), v)) ++v;
    auto bad_dst = dst;
    if (grid.my_row() == 0) bad_dst[0] = v;
    const auto batches = ms::edge_batch_list<I>::uniform(src, bad_dst, 4);
    // Failing ranks throw argument_error, the others matsample::error quoting it.
    const auto message = message_of<ms::error>([&] { (void)link(batches, nodewise); });
    CHECK(message.find("is not an edge of the graph") != std::string::npos);
    CHECK(message.find("(" + std::to_string(src[0]) + ", " + std::to_string(v) + ")") != std::string::npos);
    auto far = src;
    if (me == 0) far[1] = g.rows() + 3;
    const auto far_batches = ms::edge_batch_list<I>::uniform(far, dst, 4);
    CHECK(!message_of<ms::error>([&] { (void)link(far_batches, nodewise); }).empty());
  });
}

TEST_CASE("2D tiles need sorted rows; every rank learns of an unsorted one") {
  const int p = world_size();
  if (p == 1) return;  // a 1 x 1 grid is not tiled
  using I = std::int32_t;
  // Row 0 lists its columns out of order.
  const ms::csr_matrix<float, I, std::int64_t> a(3, 3, {0, 2, 3, 4}, {2, 1, 0, 1});
  const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, 1, p);
  const auto what = message_of<ms::error>(
      [&] { (void)mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, a.view()); });
  CHECK(what.find("row 0 is not sorted by column") != std::string::npos);
}

TEST_CASE("distributed graph: the bytes a row fetch moves match the model, for every layout, with and without values") {
  using V = float;
  using I = std::int32_t;
  using O = std::int64_t;
  const auto pattern = ms::rmat<V, I, O>({.scale = 10, .edge_factor = 8, .seed = 4});
  std::vector<V> weights(static_cast<std::size_t>(pattern.nnz()), 0.5F);
  const ms::csr_matrix<V, I, O> weighted(pattern.rows(), pattern.cols(),
                                         {pattern.indptr().begin(), pattern.indptr().end()},
                                         {pattern.indices().begin(), pattern.indices().end()}, weights);
  // Rank r asks for 200 scattered rows (with repeats).
  const auto ids_of = [&](int r) {
    std::vector<I> out;
    for (int i = 0; i < 200; ++i) out.push_back(static_cast<I>((i * 7919 + r * 31) % pattern.rows()));
    return out;
  };
  for (const auto* graph : {&pattern, &weighted}) {
    for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
      CAPTURE(layout);
      CAPTURE(graph == &weighted);
      const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, graph->view());
      const auto ids = ids_of(grid.rank());
      mpi::volume moved;
      const auto rows = mpi::fetch_rows(a.view(), std::span<const I>(ids), &moved);
      // A row's piece on the owner: the row itself, or in 2D its entries in my column block.
      const auto columns = a.view().column_blocks();
      const auto lo = columns.begin(a.view().tiled() ? grid.my_col() : 0),
                 hi = columns.end(a.view().tiled() ? grid.my_col() : 0);
      const auto piece = [&](I v) {
        std::int64_t n = 0;
        for (auto e = graph->view().row_begin(v); e < graph->view().row_end(v); ++e) {
          n += graph->view().indices()[e] >= lo && graph->view().indices()[e] < hi;
        }
        return n;
      };
      bool same = rows.rows() == static_cast<I>(ids.size());
      for (std::size_t r = 0; same && r < ids.size(); ++r)
        same = rows.view().degree(static_cast<I>(r)) == piece(ids[r]);
      CHECK(same);
      // Model: requests go to the owner block's rank in my grid column. Each
      // distinct remote id goes out (4 bytes); its degree (8 bytes), columns
      // (4 bytes each) and values (4 bytes each, when A has them) come back;
      // each exchange also sends one 8-byte count to every other rank of the column.
      const auto blocks = a.view().blocks();
      const auto traffic = [&](int asker_row, int owner_row, std::int64_t& n_ids, std::int64_t& n_entries) {
        auto distinct = ids_of(asker_row * grid.cols() + grid.my_col());
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        for (const I v : distinct) {
          const int owner = blocks.owner(v);
          if (owner == asker_row || (owner_row >= 0 && owner != owner_row)) continue;
          ++n_ids;
          n_entries += piece(v);
        }
      };
      std::int64_t my_ids = 0, my_entries = 0, asked_ids = 0, asked_entries = 0;
      traffic(grid.my_row(), -1, my_ids, my_entries);
      for (int b = 0; b < grid.rows(); ++b) {
        if (b != grid.my_row()) traffic(b, grid.my_row(), asked_ids, asked_entries);
      }
      const std::int64_t entry_bytes = graph == &weighted ? 8 : 4, exchanges = graph == &weighted ? 4 : 3;
      const std::int64_t counts = exchanges * 8 * (grid.rows() - 1);
      CHECK(moved.bytes_sent == my_ids * 4 + asked_ids * 8 + asked_entries * entry_bytes + counts);
      CHECK(moved.bytes_received == asked_ids * 4 + my_ids * 8 + my_entries * entry_bytes + counts);
      std::int64_t total_sent = 0, total_received = 0;
      MPI_Allreduce(&moved.bytes_sent, &total_sent, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      MPI_Allreduce(&moved.bytes_received, &total_received, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      CHECK(total_sent == total_received);                 // every byte sent is received somewhere
      if (grid.rows() == 1) CHECK(moved.bytes_sent == 0);  // one block (c = p, or 1 x p tiles): nothing moves
    });
  }
}

TEST_CASE("2D: assembled row pieces equal the CPU's rows, and the all-gather moves the modelled bytes") {
  using V = float;
  using I = std::int32_t;
  using O = std::int64_t;
  const int p = world_size();
  const auto graph = ms::rmat<V, I, O>({.scale = 10, .edge_factor = 8, .seed = 14});
  std::vector<I> ids;
  for (int i = 0; i < 150; ++i) ids.push_back(static_cast<I>((i * 104729) % graph.rows()));
  for (int pr = 1; pr < p; ++pr) {
    if (p % pr != 0) continue;
    CAPTURE(pr);
    const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, pr, p / pr);
    const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, graph.view());
    const mpi::mpi_backend backend(grid);
    const auto rows = backend.gather_rows(a.view(), std::span<const I>(ids));
    CHECK(rows == ms::cpu_backend().gather_rows(graph.view(), std::span<const I>(ids)));
    // The fetch's pieces, then the all-gather: my piece (lengths, then columns) to
    // every other rank of my row; the other pieces of my row's ranks back.
    mpi::volume fetched;
    const auto piece = mpi::fetch_rows(a.view(), std::span<const I>(ids), &fetched);
    const auto gathered = backend.moved().bytes_sent - fetched.bytes_sent;
    const std::int64_t pc = grid.cols();
    const std::int64_t mine = static_cast<std::int64_t>(ids.size()) * 8 + piece.nnz() * 4;
    CHECK(gathered == (pc - 1) * (mine + 2 * 8));
    const auto received = backend.moved().bytes_received - fetched.bytes_received;
    const std::int64_t others = (pc - 1) * static_cast<std::int64_t>(ids.size()) * 8 + (rows.nnz() - piece.nnz()) * 4;
    CHECK(received == others + 2 * 8 * (pc - 1));
  }
}

TEST_CASE_TEMPLATE("2D SUMMA: tiles of C = B·A are the CPU product's, with the broadcast volume of the model", T,
                   std::pair<float, std::int32_t>, std::pair<double, std::int64_t>) {
  using V = typename T::first_type;
  using I = typename T::second_type;
  using O = std::int64_t;
  const int p = world_size();
  int q = 1;
  while ((q + 1) * (q + 1) <= p) ++q;
  if (q * q != p || p == 1) return;  // a square grid of more than one rank: 4 or 9
  const auto pattern = ms::rmat<V, I, O>({.scale = 9, .edge_factor = 8, .seed = 12});
  std::vector<V> weights(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < weights.size(); ++e)
    weights[e] = static_cast<V>(0.1 + static_cast<double>((e * 2654435761u) % 997) / 7.0);
  const ms::csr_matrix<V, I, O> a_whole(pattern.rows(), pattern.cols(),
                                        {pattern.indptr().begin(), pattern.indptr().end()},
                                        {pattern.indices().begin(), pattern.indices().end()}, weights);
  const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, q, q);
  const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, a_whole.view());
  // B: 40 rows per grid row with sorted, weighted entries; the same B on every rank of a grid row.
  const auto b_rows = [&](int row) {
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (int r = 0; r < 40; ++r) {
      std::vector<I> cols;
      for (int j = 0; j < 1 + (r * 7 + row) % 30; ++j)
        cols.push_back(static_cast<I>((r * 131 + j * 977 + row * 17) % a_whole.rows()));
      std::sort(cols.begin(), cols.end());
      cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
      for (const I c : cols) {
        indices.push_back(c);
        values.push_back(static_cast<V>(0.3 + 0.01 * static_cast<double>(c % 89)));
      }
      indptr.push_back(static_cast<O>(indices.size()));
    }
    return ms::csr_matrix<V, I, O>(40, a_whole.rows(), std::move(indptr), std::move(indices), std::move(values));
  };
  const auto restrict_columns = [](const ms::csr_view<V, I, O>& m, std::int64_t lo, std::int64_t hi) {
    std::vector<O> indptr{0};
    std::vector<I> indices;
    std::vector<V> values;
    for (I r = 0; r < m.rows(); ++r) {
      for (auto e = m.row_begin(r); e < m.row_end(r); ++e) {
        if (m.indices()[e] < lo || m.indices()[e] >= hi) continue;
        indices.push_back(m.indices()[e]);
        values.push_back(m.value(e));
      }
      indptr.push_back(static_cast<O>(indices.size()));
    }
    return ms::csr_matrix<V, I, O>(m.rows(), m.cols(), std::move(indptr), std::move(indices), std::move(values));
  };
  const auto k_blocks = a.view().blocks();
  const auto b = b_rows(grid.my_row());
  const auto b_tile = restrict_columns(b.view(), k_blocks.begin(grid.my_col()), k_blocks.end(grid.my_col()));
  CHECK(mpi::my_tile_of(b.view(), a.view()) == b_tile);
  {  // A B of the wrong width, or with a column out of range, is refused (a local call: no rank waits)
    const std::vector<O> indptr{0, 1};
    const std::vector<I> first{I{0}}, outside{static_cast<I>(a_whole.rows())};
    const ms::csr_view<V, I, O> narrow(1, a_whole.rows() - 1, indptr, first);
    const ms::csr_view<V, I, O> bad_column(1, a_whole.rows(), indptr, outside);
    CHECK_THROWS_WITH_AS(mpi::my_tile_of(narrow, a.view()), doctest::Contains("columns for A's"), ms::argument_error);
    CHECK_THROWS_WITH_AS(mpi::my_tile_of(bad_column, a.view()), doctest::Contains("out of range"), ms::csr_error);
  }
  mpi::volume moved;
  const auto c_tile = mpi::summa_multiply(b_tile.view(), a.view(), false, &moved);
  const auto columns = a.view().column_blocks();
  const auto want = restrict_columns(ms::cpu_backend().spgemm(b.view(), a_whole.view()).view(),
                                     columns.begin(grid.my_col()), columns.end(grid.my_col()));
  CHECK(std::ranges::equal(c_tile.indptr(), want.indptr()));
  CHECK(std::ranges::equal(c_tile.indices(), want.indices()));
  CHECK(std::ranges::equal(c_tile.values(), want.values()));  // the same bits
  // Model: I receive every other tile of my grid row's B and of my grid column's
  // A; I send my tiles to the q - 1 others of my row (B) and of my column (A).
  const auto bytes = [](const ms::csr_view<V, I, O>& t) {
    return 32 + (t.rows() + 1) * static_cast<std::int64_t>(sizeof(O)) +
           t.nnz() * static_cast<std::int64_t>(sizeof(I) + sizeof(V));
  };
  std::int64_t expect_received = 0;
  for (int s = 0; s < q; ++s) {
    if (s != grid.my_col())
      expect_received += bytes(restrict_columns(b.view(), k_blocks.begin(s), k_blocks.end(s)).view());
    if (s != grid.my_row()) {
      std::vector<I> block;
      for (auto v = k_blocks.begin(s); v < k_blocks.end(s); ++v) block.push_back(static_cast<I>(v));
      const auto block_rows = ms::cpu_backend().gather_rows(a_whole.view(), std::span<const I>(block));
      expect_received +=
          bytes(restrict_columns(block_rows.view(), columns.begin(grid.my_col()), columns.end(grid.my_col())).view());
    }
  }
  CHECK(moved.bytes_received == expect_received);
  CHECK(moved.bytes_sent == (q - 1) * (bytes(b_tile.view()) + bytes(a.view().local())));
  // A B that leaves its tile is refused on every rank.
  const auto what = message_of<ms::error>([&] { (void)mpi::summa_multiply(b.view(), a.view(), false, nullptr); });
  CHECK(what.find("lies outside this rank's tile") != std::string::npos);
}

TEST_CASE_TEMPLATE(
    "FastGCN's column norms on a distributed graph travel block to block (O(N) bytes), with the CPU's "
    "bits",
    V, float, double) {
  using I = std::int32_t;
  using O = std::int64_t;
  const int p = world_size();
  const auto pattern = ms::rmat<V, I, O>({.scale = 10, .edge_factor = 16, .seed = 6});
  std::vector<V> weights(static_cast<std::size_t>(pattern.nnz()));
  for (std::size_t e = 0; e < weights.size(); ++e)
    weights[e] = static_cast<V>(0.3 + static_cast<double>((e * 40503u) % 997) / 13.0);
  const ms::csr_matrix<V, I, O> weighted(pattern.rows(), pattern.cols(),
                                         {pattern.indptr().begin(), pattern.indptr().end()},
                                         {pattern.indices().begin(), pattern.indices().end()}, weights);
  const ms::cpu_backend cpu;
  for (const auto* graph : {&pattern, &weighted}) {
    const ms::fastgcn_sampler whole(cpu, graph->view());
    for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
      CAPTURE(layout);
      CAPTURE(graph == &weighted);
      const auto a = mpi::distributed_csr<V, I, O>::from_replicated(grid, graph->view());
      const mpi::mpi_backend backend(grid);
      const ms::fastgcn_sampler distributed(backend, a.view());
      const auto got = distributed.probabilities(), want = whole.probabilities();
      CHECK(std::ranges::equal(got.indptr(), want.indptr()));
      CHECK(std::ranges::equal(got.indices(), want.indices()));
      CHECK(std::ranges::equal(got.values(), want.values()));
      // Fetching rows would move every entry to every rank; the chain moves a
      // few N-long vectors (values, touched flags, and Q's values when it has any).
      const std::int64_t n = graph->rows();
      const std::int64_t bound = p == 1 ? 0 : (2 * p + 4) * n * static_cast<std::int64_t>(sizeof(V) + 1) + 64 * p;
      CHECK(backend.moved().bytes_sent <= bound);
      CHECK((p == 1 || grid.replication() == p ||
             backend.moved().bytes_sent < graph->nnz() * static_cast<std::int64_t>(sizeof(I))));
    });
  }
}

TEST_CASE("bad input on one rank: every rank throws, none waits in a collective") {
  const int p = world_size(), me = world_rank();
  using I = std::int32_t;
  const auto graph = ms::rmat<float, I, std::int64_t>({.scale = 8, .edge_factor = 4, .seed = 2});
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
  const auto a = mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, graph.view());
  const mpi::mpi_backend backend(grid);
  for (int culprit = 0; culprit < p; ++culprit) {
    CAPTURE(culprit);
    std::vector<I> ids{0, 1, 2};
    if (me == culprit) ids.push_back(graph.rows() + 5);
    if (me == culprit) {
      CHECK(message_of<ms::out_of_range_error>([&] {
              (void)backend.gather_rows(a.view(), std::span<const I>(ids));
            }).find("row " + std::to_string(graph.rows() + 5)) != std::string::npos);
    } else {
      CHECK(message_of<ms::error>([&] {
              (void)backend.gather_rows(a.view(), std::span<const I>(ids));
            }).find("rank " + std::to_string(culprit) + ": row selection") != std::string::npos);
    }
    // Seeds out of range in a sampler: the same agreement, then everyone goes on.
    const std::vector<I> seeds{me == culprit ? static_cast<I>(-1) : I{3}};
    const auto batches = ms::batch_list<I>::uniform(seeds, 1);
    const auto sampled = [&] { (void)ms::sample_nodewise(backend, a.view(), batches, {.fanouts = {2}}); };
    if (me == culprit) {
      CHECK(message_of<ms::out_of_range_error>(sampled).find("seed vertex -1") != std::string::npos);
    } else {
      CHECK(message_of<ms::error>(sampled).find("rank " + std::to_string(culprit) + ": seed vertex -1") !=
            std::string::npos);
    }
    // A failure inside a local kernel (a bad weight met while sampling) is agreed on too.
    std::vector<float> weights(static_cast<std::size_t>(graph.nnz()), 1.0F);
    const I poisoned = 7;
    for (auto e = graph.indptr()[poisoned]; e < graph.indptr()[poisoned + 1]; ++e) weights[e] = -1.0F;
    const ms::csr_matrix<float, I, std::int64_t> weighted(graph.rows(), graph.cols(),
                                                          {graph.indptr().begin(), graph.indptr().end()},
                                                          {graph.indices().begin(), graph.indices().end()}, weights);
    REQUIRE(weighted.view().degree(poisoned) > 0);
    const auto wa = mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, weighted.view());
    const std::vector<I> weighted_seeds{me == culprit ? poisoned : I{3}};
    const auto weighted_batches = ms::batch_list<I>::uniform(weighted_seeds, 1);
    const auto weighted_sample = [&] {
      (void)ms::sample_nodewise(backend, wa.view(), weighted_batches, {.fanouts = {1}, .weighted = true});
    };
    if (me == culprit) {
      CHECK(message_of<ms::argument_error>(weighted_sample).find("weight") != std::string::npos);
    } else {
      CHECK(message_of<ms::error>(weighted_sample).find("rank " + std::to_string(culprit) + ": ") != std::string::npos);
    }
  }
  // And the grid is still usable afterwards.
  int sum = 0, one = 1;
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == p);
}

TEST_CASE("exchanges cut large buffers into messages of at most max_message_bytes, with the same result") {
  using I = std::int32_t;
  const auto graph = ms::rmat<float, I, std::int64_t>({.scale = 9, .edge_factor = 8, .seed = 3});
  const ms::epoch_batches<I> epoch(
      [&] {
        std::vector<I> v(static_cast<std::size_t>(graph.rows()));
        std::iota(v.begin(), v.end(), I{0});
        return v;
      }(),
      16, 2, 0);
  const auto batches = epoch.bulk(0, 6);
  const ms::nodewise_options options{.fanouts = {4, 3}, .weighted = false, .seed = 8};
  const auto want = ms::sample_nodewise(ms::cpu_backend(), graph.view(), batches, options);
  const auto saved = mpi::transport::max_message_bytes;
  for (const std::int64_t limit : {std::int64_t{1}, std::int64_t{7}, std::int64_t{4096}}) {
    CAPTURE(limit);
    mpi::transport::max_message_bytes = limit;  // every rank alike
    for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
      CAPTURE(layout);
      const auto a = mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, graph.view());
      // Every grid row samples the same minibatches here: legal on every layout.
      CHECK(ms::sample_nodewise(mpi::mpi_backend(grid), a.view(), batches, options) == want);
    });
  }
  mpi::transport::max_message_bytes = saved;
}

TEST_CASE_TEMPLATE("gradient all-reduce: every rank holds the sum, and the bytes are the ring model's", T, float,
                   double) {
  const int p = world_size(), me = world_rank();
  // Small integers, so the sum is exact whatever order MPI adds in.
  std::vector<T> gradients(1001);
  for (std::size_t i = 0; i < gradients.size(); ++i)
    gradients[i] = static_cast<T>((me + 1) * static_cast<int>(i % 97)) - 40;
  mpi::volume moved;
  mpi::all_reduce_gradients(MPI_COMM_WORLD, std::span<T>(gradients), &moved);
  for (std::size_t i = 0; i < gradients.size(); ++i) {
    REQUIRE(gradients[i] == static_cast<T>(static_cast<int>(i % 97) * p * (p + 1) / 2 - 40 * p));
  }
  const std::int64_t bytes = 1001 * static_cast<std::int64_t>(sizeof(T));
  CHECK(moved.bytes_sent == 2 * (p - 1) * bytes / p);
  CHECK(moved.bytes_received == moved.bytes_sent);
  CHECK(moved.messages == 2 * (p - 1));
}

TEST_CASE("collective errors: a bad call on one rank throws on every rank, none waits") {
  const int p = world_size(), me = world_rank();
  using I = std::int32_t;
  using O = std::int64_t;
  for (int culprit = 0; culprit < p; ++culprit) {
    CAPTURE(culprit);
    // exchange: offsets that do not describe the buffer.
    std::vector<I> data(static_cast<std::size_t>(p), I{1});
    std::vector<std::int64_t> offsets(static_cast<std::size_t>(p) + 1);
    std::iota(offsets.begin(), offsets.end(), std::int64_t{0});
    if (me == culprit) offsets.back() = p + 3;
    std::vector<std::int64_t> got;
    const auto what = message_of<ms::error>([&] { (void)mpi::exchange<I>(MPI_COMM_WORLD, data, offsets, got); });
    CHECK(what.find(me == culprit ? "do not describe a send buffer"
                                  : "rank " + std::to_string(culprit) + ": exchange") != std::string::npos);

    // A block with a corrupt row (an unchecked snapshot would give one) on one rank.
    const I n = 18;  // a ring: row v holds v + 1; every rank's block has rows
    std::vector<O> ring_indptr(static_cast<std::size_t>(n) + 1);
    std::vector<I> ring_columns(static_cast<std::size_t>(n));
    for (I v = 0; v < n; ++v) {
      ring_indptr[v + 1] = v + 1;
      ring_columns[v] = static_cast<I>((v + 1) % n);
    }
    const ms::csr_matrix<float, I, O> good(n, n, ring_indptr, ring_columns);
    std::vector<I> bad_columns = ring_columns;
    if (me == culprit)
      bad_columns[static_cast<std::size_t>(mpi::block_partition{n, p}.begin(me))] = 99;  // a row of my block
    const ms::csr_view<float, I, O> maybe_bad(n, n, good.indptr(), bad_columns);
    const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
    const auto corrupt =
        message_of<ms::error>([&] { (void)mpi::distributed_csr<float, I, O>::from_replicated(grid, maybe_bad); });
    CHECK(corrupt.find(me == culprit ? "column 99" : "rank " + std::to_string(culprit) + ":") != std::string::npos);

    // estimated_work with different minibatch counts.
    const auto dist = mpi::distributed_csr<float, I, O>::from_replicated(grid, good.view());
    const std::vector<I> seeds{0, 1, 2, 3};
    const auto batches = ms::batch_list<I>::uniform(seeds, me == culprit ? 1 : 2);  // 4 or 2 minibatches
    if (p > 1) {
      CHECK(message_of<ms::argument_error>([&] {
              (void)mpi::estimated_work(dist.view(), batches);
            }).find("every rank must pass the same ones") != std::string::npos);
    }
  }
  // 2D: the ranks of one grid row disagree on the rows they gather.
  for (int pr = 1; pr < p; ++pr) {
    if (p % pr != 0) continue;
    CAPTURE(pr);
    const auto grid = mpi::process_grid::two_d(MPI_COMM_WORLD, pr, p / pr);
    const auto graph = ms::rmat<float, I, O>({.scale = 6, .edge_factor = 4, .seed = 1});
    const auto a = mpi::distributed_csr<float, I, O>::from_replicated(grid, graph.view());
    std::vector<I> ids{1, 2, 3};
    if (grid.my_row() == pr - 1 && grid.my_col() == 0) ids.push_back(4);
    CHECK(message_of<ms::argument_error>([&] {
            (void)mpi::mpi_backend(grid).gather_rows(a.view(), std::span<const I>(ids));
          }).find("the ranks of grid row " + std::to_string(pr - 1) + " must sample the same minibatches") !=
          std::string::npos);
  }
  int sum = 0, one = 1;
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == p);  // the world is still usable
}

#if MATSAMPLE_TEST_WITH_IO
TEST_CASE("partitioned load: every rank maps one snapshot and keeps only its block") {
  const int p = world_size(), me = world_rank();
  using I = std::int32_t;
  const auto graph = ms::rmat<float, I, std::int64_t>({.scale = 10, .edge_factor = 8, .seed = 8});
  const auto path =
      std::filesystem::temp_directory_path() / ("matsample-test-mpi-" + std::to_string(getppid()) + ".snap");
  if (me == 0) {
    ms::graph_data_view<float, I, std::int64_t> data;
    data.graph = graph.view();
    ms::write_snapshot(path, data);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  {
    // No whole-file checksum pass on every rank: each rank checks its own block's rows.
    const ms::snapshot<float, I, std::int64_t> snap(path, {.verify_checksums = false, .validate_graph = false});
    const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, p % 2 == 0 ? 2 : 1);
    const auto a = mpi::distributed_csr<float, I, std::int64_t>::from_replicated(grid, snap.view().graph);
    const auto first = a.view().first_row();
    CHECK(a.view().local().rows() == a.view().blocks().end(grid.my_row()) - first);
    bool same_rows = true;
    for (I r = 0; r < a.view().local().rows(); ++r) {
      same_rows =
          same_rows &&
          std::ranges::equal(a.view().local().indices().subspan(static_cast<std::size_t>(a.view().local().row_begin(r)),
                                                                static_cast<std::size_t>(a.view().local().degree(r))),
                             graph.view().indices().subspan(
                                 static_cast<std::size_t>(graph.view().row_begin(static_cast<I>(r + first))),
                                 static_cast<std::size_t>(graph.view().degree(static_cast<I>(r + first)))));
    }
    CHECK(same_rows);
    const std::vector<I> seeds{static_cast<I>(me), static_cast<I>(me + 100)};
    const auto batches = ms::batch_list<I>::uniform(seeds, 2);
    const mpi::mpi_backend backend(grid);
    CHECK(ms::sample_nodewise(backend, a.view(), batches, {.fanouts = {4, 4}, .seed = 3}) ==
          ms::sample_nodewise(ms::cpu_backend(), graph.view(), batches, {.fanouts = {4, 4}, .seed = 3}));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 0) std::filesystem::remove(path);
}
#endif

#if MATSAMPLE_TEST_WITH_IO
namespace {

/// A small labelled dataset in the OGB raw layout, written by rank 0 into a
/// directory all ranks share, gzip-compressed or plain, removed on scope exit.
struct ogb_fixture {
  std::filesystem::path dir;
  ogb_fixture(const std::string& name, bool gzip, const std::string& bad_edge_line = "") {
    dir = std::filesystem::temp_directory_path() / ("matsample-test-mpi-" + std::to_string(getppid()) + "-" + name);
    if (world_rank() == 0) {
      std::filesystem::remove_all(dir);
      const auto data = ms::csbm<float, std::int32_t, std::int64_t>(
          {.num_vertices = 300, .num_classes = 3, .average_degree = 6, .feature_dim = 4, .seed = 5});
      ms::write_ogb(dir, data.view(), /*undirected=*/true);
      if (!gzip || !bad_edge_line.empty()) {  // the plain layout: every file inflated in place
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
          if (entry.path().extension() != ".gz") continue;
          const ms::io::text_file text(entry.path(), true);
          auto plain = entry.path();
          plain.replace_extension();
          std::ofstream(plain, std::ios::binary)
              << text.text() << (plain.filename() == "edge.csv" ? bad_edge_line : std::string());
          std::filesystem::remove(entry.path());
        }
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~ogb_fixture() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0) std::filesystem::remove_all(dir);
  }
};

}  // namespace

TEST_CASE_TEMPLATE(
    "partitioned OGB load: every layout gets exactly the blocks, features, labels and split of a whole "
    "read",
    I, std::int32_t, std::int64_t) {
  using O = std::int64_t;
  for (const bool gzip : {false, true}) {
    CAPTURE(gzip);
    const ogb_fixture fixture(gzip ? "ogb-gz" : "ogb-plain", gzip);
    const auto whole = ms::read_ogb<float, I, O>(fixture.dir);
    for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
      CAPTURE(layout);
      mpi::volume moved;
      const auto part = mpi::read_ogb_partitioned<float, I, O>(grid, fixture.dir, {}, &moved);
      const auto expected = mpi::distributed_csr<float, I, O>::from_replicated(grid, whole.graph.view());
      const auto got = part.graph.view().local(), want = expected.view().local();
      CHECK(got.rows() == want.rows());
      CHECK(got.cols() == want.cols());
      CHECK(std::ranges::equal(got.indptr(), want.indptr()));
      CHECK(std::ranges::equal(got.indices(), want.indices()));
      CHECK(part.labels == whole.labels);
      CHECK(part.splits == whole.splits);
      const auto block = mpi::feature_block::from_replicated(grid, whole.features, whole.feature_dim);
      CHECK(part.features.dim == whole.feature_dim);
      CHECK(part.features.rows == block.rows);
      CHECK((grid.size() == 1 || moved.bytes_sent > 0));
      // Load balance from the partitioned graph: the whole graph's estimates.
      const ms::epoch_batches<I> epoch(part.splits.at("train"), 16, 1, 0);
      const auto all = epoch.bulk(0, epoch.size());
      CHECK(mpi::estimated_work(part.graph.view(), all) == mpi::estimated_work(whole.graph.view(), all));
      // Sampling from the loaded graph gives the single-process minibatches.
      const std::vector<I> seeds{static_cast<I>(grid.my_row()), static_cast<I>(100 + grid.my_row())};
      const auto batches = ms::batch_list<I>::uniform(seeds, 1);
      CHECK(ms::sample_nodewise(mpi::mpi_backend(grid), part.graph.view(), batches, {.fanouts = {3, 2}, .seed = 4}) ==
            ms::sample_nodewise(ms::cpu_backend(), whole.graph.view(), batches, {.fanouts = {3, 2}, .seed = 4}));
    });
  }
}

TEST_CASE_TEMPLATE(
    "partitioned OGB load with a permutation: the blocks, features, labels and split of the relabelled "
    "whole graph",
    I, std::int32_t, std::int64_t) {
  using O = std::int64_t;
  const ogb_fixture fixture("ogb-relabel", false);
  const auto whole = ms::read_ogb<float, I, O>(fixture.dir);
  const std::int64_t n = whole.graph.rows();
  const auto perm = ms::random_permutation<I>(n, 77);
  const auto relabelled = ms::relabel_vertices(whole.graph.view(), std::span<const I>(perm));
  std::vector<float> features(whole.features.size());
  for (std::int64_t v = 0; v < n; ++v) {
    std::copy_n(whole.features.begin() + v * whole.feature_dim, whole.feature_dim,
                features.begin() + perm[v] * whole.feature_dim);
  }
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    const auto part = mpi::read_ogb_partitioned<float, I, O>(grid, fixture.dir, {}, nullptr, std::span<const I>(perm));
    const auto expected = mpi::distributed_csr<float, I, O>::from_replicated(grid, relabelled.view());
    CHECK(std::ranges::equal(part.graph.view().local().indptr(), expected.view().local().indptr()));
    CHECK(std::ranges::equal(part.graph.view().local().indices(), expected.view().local().indices()));
    CHECK(part.features.rows == mpi::feature_block::from_replicated(grid, features, whole.feature_dim).rows);
    bool labels = part.labels.size() == whole.labels.size();
    for (std::int64_t v = 0; labels && v < n; ++v) labels = part.labels[perm[v]] == whole.labels[v];
    CHECK(labels);
    bool splits = part.splits.size() == whole.splits.size();
    for (const auto& [name, ids] : whole.splits) {
      const auto& got = part.splits.at(name);
      splits = splits && got.size() == ids.size();
      for (std::size_t i = 0; splits && i < ids.size(); ++i) splits = got[i] == perm[ids[i]];
    }
    CHECK(splits);
  });
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
  std::vector<I> not_a_permutation(perm);
  not_a_permutation[0] = not_a_permutation[1];
  CHECK(message_of<ms::argument_error>([&] {
          (void)mpi::read_ogb_partitioned<float, I, O>(grid, fixture.dir, {}, nullptr,
                                                       std::span<const I>(not_a_permutation));
        }).find("not a permutation") != std::string::npos);
}

TEST_CASE("partitioned OGB load: a malformed line in one rank's part stops every rank with the file and line") {
  // 300 vertices: the appended line is the last one, in the last rank's part.
  const ogb_fixture fixture("ogb-bad", false, "12,oops\n");
  const ms::io::text_file edges(fixture.dir / "raw" / "edge.csv");
  const auto line = std::count(edges.text().begin(), edges.text().end(), '\n');
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
  const auto what = message_of<ms::error>(
      [&] { (void)mpi::read_ogb_partitioned<float, std::int32_t, std::int64_t>(grid, fixture.dir); });
  CHECK(what.find("edge.csv:" + std::to_string(line) + ": malformed target id 'oops'") != std::string::npos);
  const auto missing = message_of<ms::error>(
      [&] { (void)mpi::read_ogb_partitioned<float, std::int32_t, std::int64_t>(grid, fixture.dir / "nowhere"); });
  CHECK(missing.find("not an OGB raw-layout directory") != std::string::npos);
}

TEST_CASE("partitioned OGB load: a vertex count beyond memory stops every rank before anything is allocated") {
  const ogb_fixture fixture("ogb-claims", false);
  if (world_rank() == 0) {
    std::filesystem::remove(fixture.dir / "raw" / "num-node-list.csv.gz");
    std::ofstream(fixture.dir / "raw" / "num-node-list.csv") << "2000000000\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  ms::set_memory_limit(std::int64_t{4} << 30);
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
  const auto what = message_of<ms::size_error>(
      [&] { (void)mpi::read_ogb_partitioned<float, std::int64_t, std::int64_t>(grid, fixture.dir); });
  ms::set_memory_limit(0);
  CHECK(what.find("num-node-list.csv:1: the vertex count 2000000000") != std::string::npos);
  CHECK(what.find("is available (set_memory_limit)") != std::string::npos);
}

TEST_CASE_TEMPLATE(
    "feature blocks on a grid: replicated c times, fetched from the replica in my grid column, with the "
    "modelled volume",
    I, std::int32_t, std::int64_t) {
  const std::int64_t n = 500, dim = 3;
  std::vector<float> all(static_cast<std::size_t>(n * dim));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<float>(i);
  const auto needed_by = [&](int rank) {
    std::vector<I> ids;
    for (std::int64_t i = 0; i < 200; ++i) ids.push_back(static_cast<I>((i * 7919 + rank * 104729) % n));
    return ids;
  };
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    const auto block = mpi::feature_block::from_replicated(grid, all, dim);
    CHECK(block.rows.size() ==
          static_cast<std::size_t>((block.vertices.end(grid.my_row()) - block.vertices.begin(grid.my_row())) * dim));
    const auto needed = needed_by(grid.rank());
    mpi::volume moved;
    const auto rows = mpi::fetch_features<I>(grid, block, needed, &moved);
    bool all_right = rows.size() == needed.size() * dim;
    for (std::size_t i = 0; all_right && i < needed.size(); ++i) {
      all_right = std::equal(rows.begin() + i * dim, rows.begin() + (i + 1) * dim, all.begin() + needed[i] * dim);
    }
    CHECK(all_right);
    // Model: requests leave only for other blocks, and go to the rank of
    // that block in my grid column; I serve the ranks of my column only.
    std::int64_t remote = 0, served = 0;
    for (const I v : needed) remote += block.vertices.owner(v) != grid.my_row();
    for (int b = 0; b < grid.rows(); ++b) {
      if (b == grid.my_row()) continue;
      for (const I v : needed_by(b * grid.cols() + grid.my_col())) served += block.vertices.owner(v) == grid.my_row();
    }
    const std::int64_t counts = 2 * 8 * (grid.rows() - 1);
    CHECK(moved.bytes_sent == remote * static_cast<std::int64_t>(sizeof(I)) + served * dim * 4 + counts);
    CHECK(moved.bytes_received == served * static_cast<std::int64_t>(sizeof(I)) + remote * dim * 4 + counts);
  });
}
#endif

TEST_CASE("balanced cuts: split by work, not by count") {
  // One heavy minibatch first: a split by count (5 + 5) would give the first
  // part 10x the second's work; by work, the heavy one stands alone.
  const std::vector<double> skewed{100, 11, 11, 11, 11, 11, 11, 11, 11, 11};
  CHECK(mpi::balanced_cuts(skewed, 2) == std::vector<std::int64_t>{0, 1, 10});
  // Uniform work splits evenly by count.
  const std::vector<double> flat(12, 3.0);
  CHECK(mpi::balanced_cuts(flat, 4) == std::vector<std::int64_t>{0, 3, 6, 9, 12});
  CHECK(mpi::balanced_cuts(flat, 5) == std::vector<std::int64_t>{0, 2, 5, 7, 10, 12});
}

TEST_CASE("balanced cuts: contiguous, covering, and within one minibatch of the even split") {
  const std::vector<double> work{5, 1, 1, 1, 8, 1, 1, 1, 1};
  for (const int parts : {1, 2, 3, 4, 9, 12}) {
    const auto cuts = mpi::balanced_cuts(work, parts);
    CHECK(cuts.size() == static_cast<std::size_t>(parts) + 1);
    CHECK(cuts.front() == 0);
    CHECK(cuts.back() == 9);
    CHECK(std::is_sorted(cuts.begin(), cuts.end()));
    const double share = 20.0 / parts;
    for (int r = 0; r < parts; ++r) {
      double sum = 0;
      for (auto m = cuts[r]; m < cuts[r + 1]; ++m) sum += work[m];
      CHECK(sum <= share + 8);  // off by at most the largest minibatch
    }
  }
  CHECK(message_of<ms::argument_error>([] { (void)mpi::balanced_cuts(std::vector<double>{1.0}, 0); }) != "");
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  doctest::Context context(argc, argv);
  const int failed = context.run();
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}

TEST_CASE_TEMPLATE("typed graphs, tiled relation by relation: every layout gives the CPU's typed minibatches", I,
                   std::int32_t, std::int64_t) {
  using V = float;
  using O = std::int64_t;
  const int p = world_size(), me = world_rank();
  // Rectangular relations (papers x authors, papers x fields) as well as square ones.
  const auto data = ms::typed_csbm<V, I, O>({.counts = {900, 500, 30}, .seed = 4});
  const auto& schema = data.graph.schema();
  std::vector<I> papers(360), authors(180);
  std::iota(papers.begin(), papers.end(), I{0});
  std::iota(authors.begin(), authors.end(), I{200});
  ms::typed_batch_list<I> all;
  all.types.resize(3);
  all.types[0] = ms::batch_list<I>::uniform(papers, 20, 2, 0);
  all.types[1] = ms::batch_list<I>::uniform(authors, 10, 2, 0);
  const ms::typed_nodewise_options options{
      .fanouts = ms::relation_fanouts(schema, {{{"cites", 4}, {"has_topic", 0}}, {{"writes", -1}}}, 2), .seed = 5};
  const ms::cpu_backend cpu;
  const auto whole = ms::sample_typed_nodewise(cpu, data.graph.view(), all, options);
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    std::vector<mpi::distributed_csr<V, I, O>> owned;
    std::vector<mpi::distributed_csr_view<V, I, O>> views;
    for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
      owned.push_back(mpi::distributed_csr<V, I, O>::from_replicated(grid, data.graph.relation(r).view()));
    }
    for (const auto& a : owned) views.push_back(a.view());
    // 1.5D: every rank its own share; 2D: the ranks of a grid row share one.
    const int parts = views[0].tiled() ? grid.rows() : p, share = views[0].tiled() ? grid.my_row() : me;
    const ms::mpi::block_partition shares{all.size(), parts};
    const std::int64_t begin = shares.begin(share), end = shares.end(share);
    const auto mine = all.slice(begin, end);
    const ms::typed_graph_view<mpi::distributed_csr_view<V, I, O>> g(schema, views);
    const mpi::mpi_backend backend(grid);
    const auto part = ms::sample_typed_nodewise(backend, g, mine, options);
    REQUIRE(part.size() == end - begin);
    bool same = part.layers.size() == whole.layers.size();
    for (std::int64_t m = 0; same && m < part.size(); ++m) {
      for (std::size_t l = 0; l < part.layers.size(); ++l) {
        for (std::int32_t t = 0; t < schema.num_types(); ++t) {
          same = same && std::ranges::equal(part.layers[l].types[t].src(m), whole.layers[l].types[t].src(begin + m)) &&
                 std::ranges::equal(part.layers[l].types[t].dst(m), whole.layers[l].types[t].dst(begin + m));
        }
        for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
          const auto a = part[m].block(l, r), b = whole[begin + m].block(l, r);
          same = same && std::ranges::equal(a.adjacency.indptr(), b.adjacency.indptr()) &&
                 std::ranges::equal(a.adjacency.indices(), b.adjacency.indices());
        }
      }
    }
    CHECK(same);
  });
}

TEST_CASE_TEMPLATE(
    "typed LADIES and typed link sampling, the stacked relations laid out like any matrix: every layout gives the "
    "CPU's samples, bit for bit",
    I, std::int32_t, std::int64_t) {
  using V = float;
  using O = std::int64_t;
  const int p = world_size(), me = world_rank();
  // Weighted relations (so the stacked squares are not all ones), square and rectangular.
  const auto data = ms::typed_csbm<V, I, O>({.counts = {700, 400, 30}, .seed = 9});
  const auto& schema = data.graph.schema();
  std::vector<ms::csr_matrix<V, I, O>> weighted;
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto a = data.graph.relation(r).view();
    std::vector<V> values(static_cast<std::size_t>(a.nnz()));
    for (I u = 0; u < a.rows(); ++u) {
      for (O e = a.row_begin(u); e < a.row_end(u); ++e) values[e] = static_cast<V>(0.5 + (u * 7 + a.indices()[e]) % 5);
    }
    weighted.emplace_back(a.rows(), a.cols(), std::vector<O>(a.indptr().begin(), a.indptr().end()),
                          std::vector<I>(a.indices().begin(), a.indices().end()), std::move(values));
  }
  const ms::typed_graph<V, I, O> whole(schema, weighted);
  const ms::cpu_backend cpu;
  std::vector<I> papers(240), authors(120);
  std::iota(papers.begin(), papers.end(), I{0});
  std::iota(authors.begin(), authors.end(), I{100});
  ms::typed_batch_list<I> seeds;
  seeds.types.resize(3);
  seeds.types[0] = ms::batch_list<I>::uniform(papers, 20, 1, 0);
  seeds.types[1] = ms::batch_list<I>::uniform(authors, 10, 1, 0);
  const ms::typed_layerwise_options ladies_options{.sample_sizes = {{25, 15, 4}, {30, -1, 0}}, .seed = 6};
  // Link seeds: the first entry of every third author's row in writes.
  const auto writes = schema.find_relation("writes"), rev_writes = schema.find_relation("rev_writes");
  const auto wa = whole.relation(writes).view();
  std::vector<I> src, dst;
  for (I u = 0; u < wa.rows() && src.size() < 96; u += 3) {
    if (wa.row_end(u) > wa.row_begin(u)) {
      src.push_back(u);
      dst.push_back(wa.indices()[static_cast<std::size_t>(wa.row_begin(u))]);
    }
  }
  const auto edges = ms::edge_batch_list<I>::uniform(src, dst, 12, 2);
  const ms::typed_link_options link_options{.negatives = {.per_positive = 2, .reject_true_edges = true, .seed = 3},
                                            .exclude = ms::edge_exclusion::reverse,
                                            .reverse_relation = rev_writes};
  const ms::typed_nodewise_options node_options{.fanouts = ms::uniform_fanouts(schema, {5, 3}), .seed = 7};
  const ms::typed_ladies_sampler cpu_ladies(cpu, whole.view());
  const ms::typed_nodewise_sampler cpu_nodes(cpu, whole.view());
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    std::vector<mpi::distributed_csr<V, I, O>> owned;
    std::vector<mpi::distributed_csr_view<V, I, O>> views;
    for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
      owned.push_back(mpi::distributed_csr<V, I, O>::from_replicated(grid, whole.relation(r).view()));
    }
    for (const auto& a : owned) views.push_back(a.view());
    const ms::typed_graph_view<mpi::distributed_csr_view<V, I, O>> g(schema, views);
    const mpi::mpi_backend backend(grid);
    // 1.5D: every rank its own share; 2D: the ranks of a grid row share one.
    const int parts = views[0].tiled() ? grid.rows() : p, share = views[0].tiled() ? grid.my_row() : me;
    const ms::mpi::block_partition vertex_shares{seeds.size(), parts}, edge_shares{edges.size(), parts};
    const auto mine = seeds.slice(vertex_shares.begin(share), vertex_shares.end(share));
    const ms::typed_ladies_sampler ladies(backend, g);
    CHECK(ladies(mine, ladies_options) == cpu_ladies(mine, ladies_options));

    const auto first = edge_shares.begin(share), last = edge_shares.end(share);
    const auto my_edges = ms::edge_batch_list<I>::uniform(
        edges.src.subspan(static_cast<std::size_t>(first * 12), static_cast<std::size_t>((last - first) * 12)),
        edges.dst.subspan(static_cast<std::size_t>(first * 12), static_cast<std::size_t>((last - first) * 12)), 12,
        edges.epoch, static_cast<std::uint64_t>(first));
    const ms::typed_nodewise_sampler nodes(backend, g);
    CHECK(ms::typed_link_sampler(nodes, g, writes, link_options)(my_edges, node_options) ==
          ms::typed_link_sampler(cpu_nodes, whole.view(), writes, link_options)(my_edges, node_options));
    CHECK(ms::typed_link_sampler(ladies, g, writes, link_options)(my_edges, ladies_options) ==
          ms::typed_link_sampler(cpu_ladies, whole.view(), writes, link_options)(my_edges, ladies_options));
  });
}

TEST_CASE("typed sampling, bad input on one rank: every rank throws, none waits in a collective") {
  const int p = world_size(), me = world_rank();
  using I = std::int32_t;
  using O = std::int64_t;
  const auto data = ms::typed_csbm<float, I, O>({.counts = {300, 150, 20}, .seed = 3});
  const auto& schema = data.graph.schema();
  const auto grid = mpi::process_grid::one_and_half_d(MPI_COMM_WORLD, 1);
  std::vector<mpi::distributed_csr<float, I, O>> owned;
  std::vector<mpi::distributed_csr_view<float, I, O>> views;
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    owned.push_back(mpi::distributed_csr<float, I, O>::from_replicated(grid, data.graph.relation(r).view()));
  }
  for (const auto& a : owned) views.push_back(a.view());
  const ms::typed_graph_view<mpi::distributed_csr_view<float, I, O>> g(schema, views);
  const mpi::mpi_backend backend(grid);
  const ms::typed_nodewise_sampler nodes(backend, g);
  const ms::typed_ladies_sampler ladies(backend, g);
  for (int culprit = 0; culprit < p; ++culprit) {
    CAPTURE(culprit);
    // A paper seed past the 300 papers on the culprit only.
    const std::vector<I> papers{me == culprit ? I{300} : I{3}};
    const auto batches = ms::typed_batch_list<I>::of_type(3, 0, ms::batch_list<I>::uniform(papers, 1));
    const auto expect_agreed = [&](auto&& sample) {
      if (me == culprit) {
        CHECK(message_of<ms::out_of_range_error>(sample).find("'paper'") != std::string::npos);
      } else {
        CHECK(message_of<ms::error>(sample).find("rank " + std::to_string(culprit) + ": ") != std::string::npos);
      }
    };
    expect_agreed([&] { (void)nodes(batches, {.fanouts = ms::uniform_fanouts(schema, {2})}); });
    expect_agreed([&] { (void)ladies(batches, {.sample_sizes = {{4, 4, 2}}}); });
  }
  // And the grid is still usable afterwards.
  int sum = 0, one = 1;
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == p);
}

TEST_CASE("distributed stack_rows: every layout holds the blocks or tiles of the host stack; unequal columns throw") {
  using I = std::int32_t;
  using O = std::int64_t;
  const auto data = ms::typed_csbm<float, I, O>({.counts = {300, 150, 20}, .seed = 8});
  const auto& schema = data.graph.schema();
  // Every relation into papers (cites and writes): square and rectangular parts, stacked.
  std::vector<ms::csr_view<float, I, O>> host_parts;
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    if (schema.relations[static_cast<std::size_t>(r)].col_type == 0)
      host_parts.push_back(data.graph.relation(r).view());
  }
  REQUIRE(host_parts.size() >= 2);
  const auto mark = [](I row, I col, float v) {
    return 4.0F * static_cast<float>(row) + static_cast<float>(col % 3) + v;  // exact: rows < 2^20
  };
  const auto host = ms::stack_rows(std::span<const ms::csr_view<float, I, O>>(host_parts), mark);
  for_each_layout([&](const mpi::process_grid& grid, const std::string& layout) {
    CAPTURE(layout);
    std::vector<mpi::distributed_csr<float, I, O>> owned;
    for (const auto& part : host_parts) owned.push_back(mpi::distributed_csr<float, I, O>::from_replicated(grid, part));
    std::vector<mpi::distributed_csr_view<float, I, O>> parts;
    for (const auto& a : owned) parts.push_back(a.view());
    const auto stacked = mpi::stack_rows(std::span<const mpi::distributed_csr_view<float, I, O>>(parts), mark);
    const auto expected = mpi::distributed_csr<float, I, O>::from_replicated(grid, host.view());
    const auto got = stacked.view(), want = expected.view();
    CHECK(got.rows() == want.rows());
    CHECK(std::ranges::equal(got.local().indptr(), want.local().indptr()));
    CHECK(std::ranges::equal(got.local().indices(), want.local().indices()));
    CHECK(std::ranges::equal(got.local().values(), want.local().values()));
    // A part of another width: every rank throws the same error, before any fetch.
    const auto fields = mpi::distributed_csr<float, I, O>::from_replicated(
        grid, data.graph.relation(schema.find_relation("has_topic")).view());
    const std::vector mismatched{parts.front(), fields.view()};
    CHECK(message_of<ms::argument_error>([&] {
            (void)mpi::stack_rows(std::span<const mpi::distributed_csr_view<float, I, O>>(mismatched), mark);
          }).find("does not stack under one of 300 columns") != std::string::npos);
  });
}
