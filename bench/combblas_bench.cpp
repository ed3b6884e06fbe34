// P = Q·A side by side with CombBLAS (Debian's libcombblas-dev), on the same
// ranks and the same sqrt(p) x sqrt(p) grid, printed as a Markdown table by
// rank 0:
//
//   mpirun -n 4 build/release/bench/matsample_combblas_bench [scale] [k,k,...] [reps]
//
// A: R-MAT (default scale 18, edge factor 16), generated identically on every
// rank. Q: k stacked minibatches of 1024 seed vertices (one-hot rows), the
// first k batches of a shuffled epoch, as the node-wise sampler's first layer
// builds it. Both sides use the same block partition of A's rows and columns
// and of Q's rows, so CombBLAS's tile (i, j) of Q and A holds exactly the
// entries of matsample's.
//
// What is timed (setup is not: building the tiles, generating the graph):
//   CombBLAS Q·A: Mult_AnXBn_Synch and Mult_AnXBn_DoubleBuff with
//     PlusTimesSRing, SpParMat inputs to SpParMat output; P ends in 2D tiles:
//     rank (i, j) holds Q's row block i restricted to A's column block j. The
//     faster of the two is the column.
//   CombBLAS Aᵀ·Qᵀ: the same for Pᵀ (Aᵀ and Qᵀ built beforehand). CombBLAS
//     stores columns, so this orientation gathers a column of Aᵀ per seed
//     instead of walking all of A; the ratios use CombBLAS's faster column.
//   matsample SUMMA: mpi::summa_multiply on the same tiles, the same
//     algorithm as CombBLAS's Synch (stage s broadcasts Q(i,s) along grid
//     rows and A(s,j) down grid columns); tiles of P in CombBLAS's layout.
//   matsample 2D: mpi::fetch_rows on the 2D tiles, row ids to tiles of P in
//     the same layout as CombBLAS's output: like with like, but asking tile
//     owners only for the rows Q references.
//   matsample 2D + rows: mpi_backend::gather_rows on the tiles, what the
//     samplers call: the tiles above and then the full rows of P on every
//     rank of the grid row (an all-gather along it), which CombBLAS does not do.
//   matsample 1.5D: mpi_backend::gather_rows with c = sqrt(p) (the same
//     sqrt(p) x sqrt(p) grid); each rank gets full rows of its own p-th of Q.
// Each time is the slowest rank's for one call, then the median over reps
// (after one warm-up call). Every product is checked against the graph: the
// same nnz(P) and the same row sums, or the benchmark fails.
#include <CombBLAS/CombBLAS.h>
#include <matsample/mpi.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

namespace ms = matsample;
namespace mpi = matsample::mpi;
namespace cb = combblas;
using I = std::int32_t;
using O = std::int64_t;
using V = float;
using cb_index = std::int64_t;
using cb_tile = cb::SpDCCols<cb_index, V>;
using cb_matrix = cb::SpParMat<cb_index, V, cb_tile>;
using semiring = cb::PlusTimesSRing<V, V>;

/// argv[i] as a whole number in [lo, hi]; argument_error otherwise.
std::int64_t parse_int(std::string_view text, std::int64_t lo, std::int64_t hi, const char* what) {
  std::int64_t x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size() || x < lo || x > hi) {
    throw ms::argument_error(
        ms::detail::concat("combblas_bench: ", what, " '", text, "' is not a whole number in [", lo, ", ", hi, "]"));
  }
  return x;
}

/// Milliseconds of one call of f on the slowest rank, median over `reps`
/// calls after one warm-up call.
template <class F>
double median_ms(MPI_Comm comm, int reps, F&& f) {
  std::vector<double> times;
  for (int r = -1; r < reps; ++r) {
    mpi::check(MPI_Barrier(comm), "MPI_Barrier");
    const auto t0 = std::chrono::steady_clock::now();
    f();
    double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    mpi::check(MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
    if (r >= 0) times.push_back(dt);
  }
  std::nth_element(times.begin(), times.begin() + reps / 2, times.end());
  return times[static_cast<std::size_t>(reps / 2)];
}

/// nnz(P) and P's row sums, each rank adding what it holds; summed over ranks
/// by agree().
struct product_summary {
  std::int64_t nnz = 0;
  std::vector<double> row_sums;

  explicit product_summary(std::int64_t rows) : row_sums(static_cast<std::size_t>(rows), 0.0) {}
  /// Rows [first, first + p.rows()) of P, or a column piece of them.
  void add(const ms::csr_matrix<V, I, O>& p, std::int64_t first) {
    const auto v = p.view();
    nnz += v.nnz();
    for (I r = 0; r < v.rows(); ++r) {
      for (O e = v.row_begin(r); e < v.row_end(r); ++e) row_sums[static_cast<std::size_t>(first + r)] += v.value(e);
    }
  }
  /// A CombBLAS tile of P whose first row is `first`, or with transposed a
  /// tile of Pᵀ whose first column is `first`.
  void add(cb_tile& p, std::int64_t first, bool transposed) {
    nnz += p.getnnz();
    if (p.getnnz() == 0) return;
    for (auto col = p.begcol(); col != p.endcol(); ++col) {
      for (auto nz = p.begnz(col); nz != p.endnz(col); ++nz) {
        row_sums[static_cast<std::size_t>(first + (transposed ? col.colid() : nz.rowid()))] += nz.value();
      }
    }
  }
  void agree(MPI_Comm comm) {
    mpi::check(MPI_Allreduce(MPI_IN_PLACE, &nnz, 1, MPI_INT64_T, MPI_SUM, comm), "MPI_Allreduce");
    mpi::check(
        MPI_Allreduce(MPI_IN_PLACE, row_sums.data(),
                      mpi::count_of(static_cast<std::int64_t>(row_sums.size()), "row sums"), MPI_DOUBLE, MPI_SUM, comm),
        "MPI_Allreduce");
  }
  /// Throws unless `got` (agreed) is this (the expected product).
  void expect_same(const product_summary& got, const std::string& who) const {
    if (got.nnz != nnz) {
      throw ms::error(ms::detail::concat("combblas_bench: ", who, " gives nnz(P) = ", got.nnz, ", expected ", nnz));
    }
    for (std::size_t r = 0; r < row_sums.size(); ++r) {
      if (std::abs(got.row_sums[r] - row_sums[r]) > 1e-6 * std::max(1.0, std::abs(row_sums[r]))) {
        throw ms::error(ms::detail::concat("combblas_bench: ", who, " gives row ", r, " of P the sum ", got.row_sums[r],
                                           ", expected ", row_sums[r]));
      }
    }
  }
};

/// A CombBLAS tile from entries (row, column) local to the tile, in any
/// order: counting sort by column (rows stay ascending within a column when
/// they come in row order), as SpDCCols's tuple constructor wants them.
cb_tile* make_tile(std::int64_t rows, std::int64_t cols,
                   const std::vector<std::tuple<cb_index, cb_index, V>>& entries) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(cols) + 1, 0);
  for (const auto& e : entries) ++start[static_cast<std::size_t>(std::get<1>(e)) + 1];
  for (std::size_t c = 0; c + 1 < start.size(); ++c) start[c + 1] += start[c];
  std::vector<std::tuple<cb_index, cb_index, V>> by_column(entries.size());
  for (const auto& e : entries)
    by_column[static_cast<std::size_t>(start[static_cast<std::size_t>(std::get<1>(e))]++)] = e;
  return new cb_tile(rows, cols, static_cast<cb_index>(by_column.size()), by_column.data(), false);
}

struct timing {
  double ms = 0;
  const char* how = "";
};

struct row_result {
  std::int64_t q_rows = 0, nnz = 0;
  timing combblas, combblas_transposed;
  double summa_ms = 0, tiles_ms = 0, rows_ms = 0, one_and_half_ms = 0;
};

row_result measure(const ms::csr_matrix<V, I, O>& graph, std::span<const I> seeds, int q, int reps) {
  const MPI_Comm world = MPI_COMM_WORLD;
  int rank = 0, p = 1;
  mpi::check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank");
  mpi::check(MPI_Comm_size(world, &p), "MPI_Comm_size");
  const auto a = graph.view();
  const std::int64_t n = a.rows(), nq = static_cast<std::int64_t>(seeds.size());
  const mpi::block_partition vertices{n, q}, q_rows{nq, q};

  // The expected product, from the graph itself: row r of P is A's row seeds[r].
  product_summary expected(nq);
  for (std::int64_t r = 0; r < nq; ++r) {
    const I v = seeds[static_cast<std::size_t>(r)];
    expected.nnz += a.degree(v);
    for (O e = a.row_begin(v); e < a.row_end(v); ++e) expected.row_sums[static_cast<std::size_t>(r)] += a.value(e);
  }
  row_result out;
  out.q_rows = nq;
  out.nnz = expected.nnz;

  {  // CombBLAS: tile (i, j) of every operand built on rank (i, j)
    auto grid = std::make_shared<cb::CommGrid>(world, q, q);
    const int i = grid->GetRankInProcCol(), j = grid->GetRankInProcRow();
    const auto vi0 = vertices.begin(i), vi1 = vertices.end(i), vj0 = vertices.begin(j), vj1 = vertices.end(j);
    const auto si0 = q_rows.begin(i), si1 = q_rows.end(i), sj0 = q_rows.begin(j), sj1 = q_rows.end(j);
    std::vector<std::tuple<cb_index, cb_index, V>> entries;
    // A's tile (i, j), or with transpose Aᵀ's: the entries of A's tile (j, i), swapped.
    const auto a_tile = [&](bool transpose) {
      entries.clear();
      const auto r0 = transpose ? vj0 : vi0, r1 = transpose ? vj1 : vi1, c0 = transpose ? vi0 : vj0,
                 c1 = transpose ? vi1 : vj1;
      for (auto r = r0; r < r1; ++r) {
        for (O e = a.row_begin(static_cast<I>(r)); e < a.row_end(static_cast<I>(r)); ++e) {
          const std::int64_t c = a.indices()[e];
          if (c < c0 || c >= c1) continue;
          if (transpose)
            entries.emplace_back(c - c0, r - r0, a.value(e));
          else
            entries.emplace_back(r - r0, c - c0, a.value(e));
        }
      }
      return transpose ? make_tile(c1 - c0, r1 - r0, entries) : make_tile(r1 - r0, c1 - c0, entries);
    };
    // Q's tile (i, j), or Qᵀ's.
    const auto q_tile = [&](bool transpose) {
      entries.clear();
      const auto s0 = transpose ? sj0 : si0, s1 = transpose ? sj1 : si1, c0 = transpose ? vi0 : vj0,
                 c1 = transpose ? vi1 : vj1;
      for (auto r = s0; r < s1; ++r) {
        const std::int64_t c = seeds[static_cast<std::size_t>(r)];
        if (c < c0 || c >= c1) continue;
        if (transpose)
          entries.emplace_back(c - c0, r - s0, V{1});
        else
          entries.emplace_back(r - s0, c - c0, V{1});
      }
      return transpose ? make_tile(c1 - c0, s1 - s0, entries) : make_tile(s1 - s0, c1 - c0, entries);
    };
    // The faster of SUMMA with blocking broadcasts and with double buffering,
    // each checked; with transpose the product is Pᵀ (its columns are P's rows).
    const auto best_of = [&](cb_matrix& left, cb_matrix& right, bool transpose, const char* what) {
      std::unique_ptr<cb_matrix> product;  // new from the returned prvalue: no copy of P
      const auto check = [&](const char* how) {
        product_summary got(nq);
        got.add(product->seq(), transpose ? sj0 : si0, transpose);
        got.agree(world);
        expected.expect_same(got, ms::detail::concat("CombBLAS ", how, " ", what));
      };
      const double synch = median_ms(world, reps, [&] {
        product.reset(new cb_matrix(cb::Mult_AnXBn_Synch<semiring, V, cb_tile>(left, right, false, false)));
      });
      check("Mult_AnXBn_Synch");
      const double double_buff = median_ms(world, reps, [&] {
        product.reset(new cb_matrix(cb::Mult_AnXBn_DoubleBuff<semiring, V, cb_tile>(left, right, false, false)));
      });
      check("Mult_AnXBn_DoubleBuff");
      return timing{std::min(synch, double_buff), synch <= double_buff ? "Synch" : "DoubleBuff"};
    };
    {
      cb_matrix q_cb(q_tile(false), grid), a_cb(a_tile(false), grid);
      out.combblas = best_of(q_cb, a_cb, false, "Q·A");
    }
    cb_matrix at_cb(a_tile(true), grid), qt_cb(q_tile(true), grid);
    out.combblas_transposed = best_of(at_cb, qt_cb, true, "Aᵀ·Qᵀ");
  }

  {  // matsample 2D: grid row i samples Q's row block i; its ranks share it
    const auto grid = mpi::process_grid::two_d(world, q, q);
    const auto a2d = mpi::distributed_csr<V, I, O>::from_replicated(grid, a);
    const mpi::mpi_backend backend(grid);
    const auto s0 = q_rows.begin(grid.my_row()), s1 = q_rows.end(grid.my_row());
    const auto ids = seeds.subspan(static_cast<std::size_t>(s0), static_cast<std::size_t>(s1 - s0));
    ms::csr_matrix<V, I, O> product;
    // My tile of the one-hot Q: the seeds in A's row block my_col().
    std::vector<O> one_each(ids.size() + 1);
    for (std::size_t r = 0; r <= ids.size(); ++r) one_each[r] = static_cast<O>(r);
    const auto q_piece =
        mpi::my_tile_of(ms::csr_view<V, I, O>(static_cast<I>(ids.size()), a.rows(), one_each, ids), a2d.view());
    out.summa_ms =
        median_ms(world, reps, [&] { product = mpi::summa_multiply(q_piece.view(), a2d.view(), true, nullptr); });
    product_summary summa(nq);
    summa.add(product, s0);
    summa.agree(world);
    expected.expect_same(summa, "matsample summa_multiply (2D tiles)");
    out.tiles_ms = median_ms(world, reps, [&] { product = mpi::fetch_rows(a2d.view(), ids, nullptr); });
    product_summary got(nq);
    got.add(product, s0);
    got.agree(world);
    expected.expect_same(got, "matsample fetch_rows (2D tiles)");
    out.rows_ms = median_ms(world, reps, [&] { product = backend.gather_rows(a2d.view(), ids); });
    got = product_summary(nq);
    if (grid.my_col() == 0) got.add(product, s0);  // the grid row's ranks hold the same rows
    got.agree(world);
    expected.expect_same(got, "matsample gather_rows (2D)");
  }

  {  // matsample 1.5D, c = q: each rank samples its own p-th of Q
    const auto grid = mpi::process_grid::one_and_half_d(world, q);
    const auto a15 = mpi::distributed_csr<V, I, O>::from_replicated(grid, a);
    const mpi::mpi_backend backend(grid);
    const mpi::block_partition shares{nq, p};
    const auto s0 = shares.begin(rank), s1 = shares.end(rank);
    const auto ids = seeds.subspan(static_cast<std::size_t>(s0), static_cast<std::size_t>(s1 - s0));
    ms::csr_matrix<V, I, O> product;
    out.one_and_half_ms = median_ms(world, reps, [&] { product = backend.gather_rows(a15.view(), ids); });
    product_summary got(nq);
    got.add(product, s0);
    got.agree(world);
    expected.expect_same(got, "matsample gather_rows (1.5D)");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int status = mpi::abort_on_error(MPI_COMM_WORLD, [&] {
    int rank = 0, p = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    const int scale = static_cast<int>(argc > 1 ? parse_int(argv[1], 1, 30, "scale") : 18);
    std::vector<std::int64_t> ks;
    for (std::string_view list = argc > 2 ? argv[2] : "1,8,64"; !list.empty();) {
      const auto comma = std::min(list.find(','), list.size());
      ks.push_back(parse_int(list.substr(0, comma), 1, 1 << 20, "k"));
      list.remove_prefix(std::min(comma + 1, list.size()));
    }
    const int reps = static_cast<int>(argc > 3 ? parse_int(argv[3], 1, 1000, "reps") : 5);
    int q = 1;
    while ((q + 1) * (q + 1) <= p) ++q;
    if (q * q != p) {
      throw ms::argument_error(ms::detail::concat("combblas_bench: CombBLAS needs a square grid; ", p,
                                                  " ranks is not a square (run 1, 4, 9, ... ranks)"));
    }
    const auto graph = ms::rmat<V, I, O>({.scale = scale, .edge_factor = 16});
    std::vector<I> train;
    for (I v = 0; v < graph.rows(); ++v) {
      if (graph.view().degree(v) > 0) train.push_back(v);
    }
    const ms::epoch_batches<I> epoch(train, 1024, 1, 0);
    if (rank == 0) {
      std::printf(
          "R-MAT scale %d: %d vertices, %lld nonzeros; Q = k minibatches of 1024 seeds; median of %d reps, slowest "
          "rank\n\n",
          scale, graph.rows(), static_cast<long long>(graph.nnz()), reps);
      std::printf(
          "| ranks | grid | k | rows of Q | nnz(P) | CombBLAS Q·A ms | CombBLAS Aᵀ·Qᵀ ms | matsample SUMMA ms | ratio "
          "| "
          "matsample 2D ms | ratio | matsample 2D + rows ms | ratio | matsample 1.5D ms | ratio |\n"
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    }
    for (const auto k : ks) {
      const auto batches = epoch.bulk(0, k);
      const auto t = measure(graph, batches.seeds, q, reps);
      const double combblas = std::min(t.combblas.ms, t.combblas_transposed.ms);  // CombBLAS's best
      if (rank == 0) {
        std::printf(
            "| %d | %d x %d | %lld | %lld | %lld | %.2f (%s) | %.2f (%s) | %.2f | %.1f | %.2f | %.1f | %.2f | %.1f | "
            "%.2f | %.1f |\n",
            p, q, q, static_cast<long long>(k), static_cast<long long>(t.q_rows), static_cast<long long>(t.nnz),
            t.combblas.ms, t.combblas.how, t.combblas_transposed.ms, t.combblas_transposed.how, t.summa_ms,
            combblas / t.summa_ms, t.tiles_ms, combblas / t.tiles_ms, t.rows_ms, combblas / t.rows_ms,
            t.one_and_half_ms, combblas / t.one_and_half_ms);
        std::fflush(stdout);
      }
    }
    return 0;
  });
  MPI_Finalize();
  return status;
}
