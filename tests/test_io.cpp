// Input and output: every reader and writer round-trips generated graphs
// (R-MAT, CSBM) exactly; snapshots load in place or convert; the real datasets
// in the shared data folder read with their published sizes; and every kind
// of malformed or damaged input throws matsample::format_error whose message
// names the file and, for text formats, the line ("<path>:<line>: ...").

#include <doctest/doctest.h>
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <map>
#include <vector>

#include "matsample/io.hpp"
#include "matsample/matsample.hpp"
#include "files.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
namespace sf = matsample::snapshot_format;

namespace {

using test::self_loops;
using test::symmetric;

using test::types;
using f32_i32_i64 = types<float, i32, i64>;
using f64_i64_i64 = types<double, i64, i64>;
using f32_i32_i32 = types<float, i32, i32>;
using f64_i64_i32 = types<double, i64, i32>;

// ---- files ---------------------------------------------------------------------

using test::temp_dir;
using test::write_bytes;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// gzip-compresses `text` into `path` (one gzip member).
void write_gzip(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  gzFile f = gzopen(path.c_str(), "wb6");
  REQUIRE(f != nullptr);
  if (!text.empty())
    REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

// ---- error messages ------------------------------------------------------------

/// The message of the format_error that f throws; "" (and a failed check)
/// when it throws anything else or nothing.
template <class F>
std::string format_error_message(F&& f) {
  try {
    f();
  } catch (const ms::format_error& e) { return e.what(); } catch (const ms::error& e) {
    FAIL_CHECK("expected matsample::format_error, got another matsample::error: " << std::string(e.what()));
    return "";
  } catch (const std::exception& e) {
    FAIL_CHECK("expected matsample::format_error, got a std::exception: " << std::string(e.what()));
    return "";
  }
  FAIL_CHECK("expected matsample::format_error, nothing was thrown");
  return "";
}

std::string located(const fs::path& file, i64 line) { return file.string() + ":" + std::to_string(line) + ": "; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// True when `msg` is "<file>:<digits>: ..." (the line is not predictable,
/// for example inside a damaged gzip stream).
bool names_file_and_some_line(std::string_view msg, const fs::path& file) {
  const std::string prefix = file.string() + ":";
  if (!starts_with(msg, prefix)) return false;
  std::size_t at = prefix.size();
  const std::size_t digits = at;
  while (at < msg.size() && msg[at] >= '0' && msg[at] <= '9') ++at;
  return at > digits && msg.substr(at, 2) == ": " && msg[digits] != '0';
}

}  // namespace

/// Checks that `expr` throws format_error "<file>:<line>: ..." containing `needle`.
#define CHECK_FORMAT_ERROR(expr, file, line, needle)                      \
  do {                                                                    \
    const std::string msg_ = format_error_message([&] { (void)(expr); }); \
    INFO("message: ", msg_);                                              \
    CHECK(starts_with(msg_, located((file), (line))));                    \
    CHECK(contains(msg_, (needle)));                                      \
  } while (false)

/// Checks that `expr` throws format_error "<file>:<some line>: ..." containing `needle`.
#define CHECK_FORMAT_ERROR_SOME_LINE(expr, file, needle)                  \
  do {                                                                    \
    const std::string msg_ = format_error_message([&] { (void)(expr); }); \
    INFO("message: ", msg_);                                              \
    CHECK(names_file_and_some_line(msg_, (file)));                        \
    CHECK(contains(msg_, (needle)));                                      \
  } while (false)

/// Checks that `expr` throws format_error "<file>: corrupt snapshot: ..." containing `needle`.
#define CHECK_CORRUPT_SNAPSHOT(expr, file, needle)                        \
  do {                                                                    \
    const std::string msg_ = format_error_message([&] { (void)(expr); }); \
    INFO("message: ", msg_);                                              \
    CHECK(starts_with(msg_, (file).string() + ": corrupt snapshot: "));   \
    CHECK(contains(msg_, (needle)));                                      \
  } while (false)

namespace {

// ---- running a call that may crash in a child process ------------------------------

/// What a call did when run in a forked child: threw a format_error, another
/// matsample::error, another exception, nothing, or died (a sanitizer report
/// or a signal). Used for inputs that exposed undefined behaviour, so that a
/// sanitizer abort fails one check instead of the whole test program.
struct isolated_outcome {
  std::string kind;  ///< "format_error", "matsample::error", "std::exception", "no exception", "died"
  std::string message;
};

template <class F>
isolated_outcome run_isolated(F&& f) {
  std::fflush(nullptr);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    // Crashes end the child with its signal: doctest's handlers would print
    // a second report from here.
    for (const int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTERM}) std::signal(sig, SIG_DFL);
    omp_set_num_threads(1);  // the parent's OpenMP threads do not exist here
    int code = 14;
    std::string message;
    try {
      f();
    } catch (const ms::format_error& e) {
      code = 10;
      message = e.what();
    } catch (const ms::error& e) {
      code = 11;
      message = e.what();
    } catch (const std::exception& e) {
      code = 12;
      message = e.what();
    } catch (...) { code = 13; }
    std::size_t done = 0;
    while (done < message.size()) {
      const auto w = ::write(fds[1], message.data() + done, message.size() - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string message;
  char buffer[4096];
  for (ssize_t r; (r = ::read(fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, static_cast<std::size_t>(r));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    switch (WEXITSTATUS(status)) {
      case 10:
        return {"format_error", message};
      case 11:
        return {"matsample::error", message};
      case 12:
        return {"std::exception", message};
      case 14:
        return {"no exception", ""};
      default:
        return {"died", "exit status " + std::to_string(WEXITSTATUS(status)) + " (a sanitizer report?)"};
    }
  }
  return {"died", "signal " + std::to_string(WTERMSIG(status))};
}

// ---- graphs ----------------------------------------------------------------------

template <class V, class I, class O>
ms::csr_matrix<V, I, O> small_rmat(bool symmetric = true, int scale = 9) {
  return ms::rmat<V, I, O>({.scale = scale, .edge_factor = 8, .symmetrize = symmetric, .seed = 11});
}

/// The same pattern with deterministic, mostly non-integer values (some negative).
template <class V, class I, class O>
ms::csr_matrix<V, I, O> with_values(const ms::csr_matrix<V, I, O>& m) {
  std::vector<V> values(static_cast<std::size_t>(m.nnz()));
  for (std::size_t e = 0; e < values.size(); ++e) {
    const auto h = (static_cast<std::uint64_t>(e) * 0x9E3779B97F4A7C15ULL) >> 40;
    values[e] = static_cast<V>((static_cast<double>(h % 20011) - 10000.0) / 7.0);
  }
  return {m.rows(), m.cols(), m.indptr(), m.indices(), std::move(values)};
}

template <class V, class I, class O>
ms::csr_matrix<V, I, O> pattern_of(const ms::csr_matrix<V, I, O>& m) {
  return {m.rows(), m.cols(), m.indptr(), m.indices()};
}

/// The leading n x n block of a matrix whose entries all lie in it.
template <class V, class I, class O>
ms::csr_matrix<V, I, O> leading_block(const ms::csr_matrix<V, I, O>& m, I n) {
  std::vector<O> indptr(m.indptr().begin(), m.indptr().begin() + n + 1);
  return {n, n, std::move(indptr), m.indices(), m.values()};
}

template <class T, class U>
bool same_elements(std::span<const T> a, std::span<const U> b) {
  // Each stored element converted to the loaded type, as the loader does.
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T& x, const U& y) { return x == static_cast<T>(y); });
}

/// ogb_options without designated initializers (GCC's -Wmissing-field-initializers
/// flags the std::string member left out of one).
ms::ogb_options ogb_options(bool add_inverse_edges, const std::string& split = "", bool read_features = true) {
  ms::ogb_options o;
  o.add_inverse_edges = add_inverse_edges;
  o.split = split;
  o.read_features = read_features;
  return o;
}

template <class V, class I, class O>
ms::graph_data<V, I, O> small_csbm(std::int64_t n = 600) {
  return ms::csbm<V, I, O>({.num_vertices = n, .num_classes = 5, .average_degree = 8, .feature_dim = 6, .seed = 3});
}

/// Copies a loaded view into owning storage, to compare with operator==.
template <class V, class I, class O>
ms::graph_data<V, I, O> owned(const ms::graph_data_view<V, I, O>& v) {
  ms::graph_data<V, I, O> d;
  d.graph = ms::csr_matrix<V, I, O>(v.graph);
  d.feature_dim = v.feature_dim;
  d.features.assign(v.features.begin(), v.features.end());
  d.labels.assign(v.labels.begin(), v.labels.end());
  for (const auto& [name, ids] : v.splits) d.splits[name].assign(ids.begin(), ids.end());
  return d;
}

template <class V, class I, class O>
void check_same_data(const ms::graph_data<V, I, O>& got, const ms::graph_data<V, I, O>& want) {
  CHECK(got.graph == want.graph);
  CHECK(got.feature_dim == want.feature_dim);
  CHECK(got.features == want.features);
  CHECK(got.labels == want.labels);
  CHECK(got.splits == want.splits);
}

// ---- the shared real-data folder ------------------------------------------------

std::optional<fs::path> shared_dataset(const char* name) {
  const char* root = std::getenv("MATSAMPLE_SHARED_DATA");
  if (root == nullptr || *root == '\0') return std::nullopt;
  const fs::path dir = fs::path(root) / name;
  std::error_code ec;
  if (!fs::is_directory(dir / "raw", ec)) return std::nullopt;
  return dir;
}

}  // namespace

// =================================================================================
// Round trips
// =================================================================================

TEST_CASE_TEMPLATE("edge list round trip: plain and gzip, 0- and 1-based, with and without weights", T, f32_i32_i64,
                   f64_i64_i64, f32_i32_i32, f64_i64_i32) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  const auto pattern = small_rmat<V, I, O>();
  const auto weighted = with_values(pattern);
  REQUIRE(pattern.rows() == 512);
  REQUIRE(pattern.nnz() > 2000);
  const i64 n = pattern.rows();

  // Plain and gzip, 0- and 1-based; the separators take turns (space, comma, tab).
  int round = 0;
  for (const char* name : {"graph.txt", "graph.txt.gz"}) {
    for (const bool one_based : {false, true}) {
      const char separator = " ,\t"[round++ % 3];
      INFO("file: ", std::string(name));
      CAPTURE(one_based);
      CAPTURE(separator);
      const fs::path path = tmp / name;
      // Weighted matrix written with its weights, read with a weight column.
      ms::write_edge_list(path, weighted.view(), {.one_based = one_based, .separator = separator});
      CHECK(ms::read_edge_list<V, I, O>(path, {.one_based = one_based, .weighted = true, .num_vertices = n}) ==
            weighted);
      // ... and without: the pattern comes back.
      ms::write_edge_list(path, weighted.view(), {.one_based = one_based, .separator = separator, .weights = false});
      CHECK(ms::read_edge_list<V, I, O>(path, {.one_based = one_based, .num_vertices = n}) == pattern);
      // A pattern matrix writes two columns even when weights are asked for.
      ms::write_edge_list(path, pattern.view(), {.one_based = one_based, .separator = separator, .weights = true});
      CHECK(ms::read_edge_list<V, I, O>(path, {.one_based = one_based, .num_vertices = n}) == pattern);
    }
  }
  const fs::path path = tmp / "graph.el";
  // gzip: the file really is compressed (magic bytes 1f 8b).
  ms::write_edge_list(tmp / "g.gz", pattern.view());
  const std::string gz = read_bytes(tmp / "g.gz");
  REQUIRE(gz.size() > 2);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  ms::write_edge_list(path, pattern.view());
  CHECK(gz.size() < read_bytes(path).size());

  // Without num_vertices the vertex count is one more than the largest id.
  I last = 0;
  for (I r = 0; r < pattern.rows(); ++r) {
    if (pattern.view().degree(r) > 0) last = r;
  }
  ms::write_edge_list(path, pattern.view());
  const auto implicit = ms::read_edge_list<V, I, O>(path);
  CHECK(implicit.rows() == last + 1);
  CHECK(implicit == leading_block(pattern, static_cast<I>(last + 1)));

  // One line per undirected edge, read back with symmetrize.
  ms::write_edge_list(path, pattern.view(), {.upper_only = true});
  CHECK(ms::read_edge_list<V, I, O>(path, {.num_vertices = n}).nnz() == pattern.nnz() / 2);
  CHECK(ms::read_edge_list<V, I, O>(path, {.num_vertices = n, .build = {.symmetrize = true}}) == pattern);

  // A directed graph keeps its direction.
  const auto directed = with_values(small_rmat<V, I, O>(false));
  ms::write_edge_list(path, directed.view(), {.one_based = true});
  CHECK(ms::read_edge_list<V, I, O>(path, {.one_based = true, .weighted = true, .num_vertices = n}) == directed);

  // A target that cannot be replaced (a non-empty directory) is a matsample::error naming it, and the
  // temporary file is gone.
  const fs::path occupied = tmp / "occupied";
  fs::create_directories(occupied / "inside");
  CHECK_THROWS_WITH_AS(ms::write_edge_list(occupied, pattern.view()),
                       doctest::Contains((occupied.string() + ": cannot replace it with the written file").c_str()),
                       ms::error);
  CHECK_FALSE(fs::exists(occupied.string() + ".tmp"));
}

TEST_CASE("edge list: comments, blank lines, CRLF, mixed separators, duplicates and self loops") {
  const temp_dir tmp;
  const fs::path path = tmp / "g.txt";
  write_bytes(path, "# a comment\n% another\n\n0 1\r\n1,2\r\n  2\t0  \n\n0 1\n3 3\n");
  const auto plain = ms::read_edge_list<float, i32, i64>(path);
  CHECK(plain.rows() == 4);
  CHECK(plain.indptr() == std::vector<i64>{0, 2, 3, 4, 5});
  CHECK(plain.indices() == std::vector<i32>{1, 1, 2, 0, 3});
  const auto merged = ms::read_edge_list<float, i32, i64>(
      path, {.build = {.symmetrize = true, .drop_self_loops = true, .merge_duplicates = true}});
  CHECK(merged.indptr() == std::vector<i64>{0, 2, 4, 6, 6});
  CHECK(merged.indices() == std::vector<i32>{1, 2, 0, 2, 0, 1});
  // Weights: signs, exponents, a leading '+', and duplicates summed when merged.
  write_bytes(path, "0 1 +1.5\n0 1 -0.25\n1 0 2e3\n");
  const auto w = ms::read_edge_list<double, i64, i64>(path, {.weighted = true, .build = {.merge_duplicates = true}});
  CHECK(w.indices() == std::vector<i64>{1, 0});
  CHECK(w.values() == std::vector<double>{1.25, 2000.0});
  // A vertex count larger than every id keeps the isolated vertices.
  CHECK(ms::read_edge_list<float, i32, i64>(path, {.weighted = true, .num_vertices = 10}).rows() == 10);
}

TEST_CASE_TEMPLATE("matrix market round trip: pattern and real, plain and gzip", T, f32_i32_i64, f64_i64_i64,
                   f32_i32_i32) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  const auto pattern = small_rmat<V, I, O>();
  const auto weighted = with_values(small_rmat<V, I, O>(false));
  for (const char* name : {"m.mtx", "m.mtx.gz"}) {
    INFO("file: ", std::string(name));
    const fs::path path = tmp / name;
    ms::write_matrix_market(path, pattern.view());
    CHECK(ms::read_matrix_market<V, I, O>(path) == pattern);
    ms::write_matrix_market(path, weighted.view());
    CHECK(ms::read_matrix_market<V, I, O>(path) == weighted);
  }
  // The writer's banner and size line.
  const fs::path path = tmp / "m.mtx";
  ms::write_matrix_market(path, weighted.view());
  const std::string text = read_bytes(path);
  CHECK(starts_with(text, "%%MatrixMarket matrix coordinate real general\n"));
  CHECK(contains(text, "\n512 512 " + std::to_string(weighted.nnz()) + "\n"));
  // Isolated trailing vertices survive (the size line carries the shape).
  const auto one = ms::read_matrix_market<V, I, O>([&] {
    write_bytes(path, "%%MatrixMarket matrix coordinate pattern general\n5 7 1\n1 2\n");
    return path;
  }());
  CHECK(one.rows() == 5);
  CHECK(one.cols() == 7);
}

TEST_CASE("matrix market: symmetric files expand, integer field, case-insensitive banner, comments, build options") {
  const temp_dir tmp;
  const fs::path path = tmp / "s.mtx";
  write_bytes(
      path, "%%MatrixMarket Matrix Coordinate Integer Symmetric\r\n% comment\n\n3 3 4\n1 1 5\n2 1 -2\n3 2 7\n3 3 1\n");
  const auto m = ms::read_matrix_market<double, i32, i64>(path);
  CHECK(m.indptr() == std::vector<i64>{0, 2, 4, 6});
  CHECK(m.indices() == std::vector<i32>{0, 1, 0, 2, 1, 2});
  CHECK(m.values() == std::vector<double>{5, -2, -2, 7, 7, 1});
  const auto no_loops = ms::read_matrix_market<double, i32, i64>(path, {.drop_self_loops = true});
  CHECK(no_loops.indices() == std::vector<i32>{1, 0, 2, 1});
  // Rectangular general matrices keep their shape; pattern has no values.
  write_bytes(path, "%%MatrixMarket matrix coordinate pattern general\n2 4 3\n1 4\n2 1\n2 3\n");
  const auto r = ms::read_matrix_market<float, i64, i64>(path);
  CHECK(r.rows() == 2);
  CHECK(r.cols() == 4);
  CHECK_FALSE(r.has_values());
  CHECK(r.indices() == std::vector<i64>{3, 0, 2});
}

TEST_CASE_TEMPLATE("OGB round trip: undirected with inverse edges, directed without", T, f32_i32_i64, f64_i64_i64,
                   f32_i32_i32) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  auto data = small_csbm<V, I, O>();
  data.labels[3] = -1;  // unlabelled vertices are written as "nan" and come back as -1
  data.labels[17] = -1;
  REQUIRE(symmetric(data.graph));

  // Undirected: each edge listed once, restored by add_inverse_edges.
  ms::write_ogb(tmp / "undirected", data.view(), /*undirected=*/true);
  const std::string edges = read_bytes(tmp / "undirected" / "raw" / "edge.csv.gz");
  CHECK(static_cast<unsigned char>(edges[0]) == 0x1f);
  {
    const auto back = ms::read_ogb<V, I, O>(tmp / "undirected", ogb_options(true));
    check_same_data(back, data);
    CHECK(back.view().num_classes() == 5);
    // Read without inverse edges: only the upper triangle, one entry per edge.
    const auto half = ms::read_ogb<V, I, O>(tmp / "undirected", ogb_options(false));
    CHECK(half.graph.nnz() * 2 == data.graph.nnz());
    // Features can be skipped.
    const auto no_features = ms::read_ogb<V, I, O>(tmp / "undirected", ogb_options(true, "", false));
    CHECK(no_features.features.empty());
    CHECK(no_features.graph == data.graph);
  }
  // Directed: every entry listed, read without inverse edges.
  ms::write_ogb(tmp / "directed", data.view(), /*undirected=*/false, "mine");
  check_same_data(ms::read_ogb<V, I, O>(tmp / "directed", ogb_options(false)), data);
  check_same_data(ms::read_ogb<V, I, O>(tmp / "directed", ogb_options(false, "mine")), data);

  // A directed R-MAT graph (with self loops kept) without features, labels or splits.
  const auto directed =
      ms::rmat<V, I, O>({.scale = 8, .edge_factor = 6, .symmetrize = false, .drop_self_loops = false, .seed = 5});
  REQUIRE(self_loops(directed) > 0);
  ms::graph_data<V, I, O> bare;
  bare.graph = directed;
  ms::write_ogb(tmp / "rmat", bare.view(), /*undirected=*/false);
  CHECK_FALSE(fs::exists(tmp / "rmat" / "raw" / "node-feat.csv.gz"));
  CHECK_FALSE(fs::exists(tmp / "rmat" / "split"));
  check_same_data(ms::read_ogb<V, I, O>(tmp / "rmat", ogb_options(false)), bare);
  // Undirected R-MAT with self loops: a loop is listed once and not doubled.
  const auto loopy = ms::rmat<V, I, O>({.scale = 8, .edge_factor = 6, .drop_self_loops = false, .seed = 5});
  REQUIRE(self_loops(loopy) > 0);
  bare.graph = loopy;
  ms::write_ogb(tmp / "loopy", bare.view(), /*undirected=*/true);
  check_same_data(ms::read_ogb<V, I, O>(tmp / "loopy"), bare);
}

TEST_CASE("OGB: plain .csv files, split selection, several splits") {
  const temp_dir tmp;
  const fs::path dir = tmp / "ds";
  write_bytes(dir / "raw" / "edge.csv", "0,1\n1,2\n");
  write_bytes(dir / "raw" / "num-node-list.csv", "4\n");
  write_bytes(dir / "split" / "a" / "train.csv", "0\n3\n");
  const auto one = ms::read_ogb<float, i32, i64>(dir);
  CHECK(one.graph.rows() == 4);
  CHECK(one.graph.nnz() == 4);
  CHECK(one.splits.at("train") == std::vector<i32>{0, 3});
  CHECK(one.labels.empty());
  write_bytes(dir / "split" / "b" / "test.csv", "1\n");
  CHECK_THROWS_AS((ms::read_ogb<float, i32, i64>(dir)), ms::argument_error);
  CHECK(ms::read_ogb<float, i32, i64>(dir, ogb_options(true, "b")).splits.at("test") == std::vector<i32>{1});
  const std::string msg =
      format_error_message([&] { (void)ms::read_ogb<float, i32, i64>(dir, ogb_options(true, "c")); });
  CHECK(starts_with(msg, (dir / "split" / "c").string() + ": "));
  CHECK(contains(msg, "split 'c' not found (the splits are: a, b)"));
}

TEST_CASE_TEMPLATE("snapshot round trip: in place when the widths match", T, f32_i32_i64, f64_i64_i64, f32_i32_i32,
                   f64_i64_i32) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  auto data = small_csbm<V, I, O>();
  data.labels[5] = -1;
  const fs::path path = tmp / "g.snap";
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    if (weighted) data.graph = with_values(data.graph);
    ms::write_snapshot(path, data.view());
    CHECK(fs::file_size(path) % sf::alignment == 0);
    for (const ms::snapshot_options options : {ms::snapshot_options{}, ms::snapshot_options{false, false}}) {
      const ms::snapshot<V, I, O> snap(path, options);
      CHECK(snap.zero_copy());
      check_same_data(owned(snap.view()), data);
      CHECK(snap.view().num_vertices() == data.graph.rows());
      CHECK(snap.view().num_classes() == 5);
    }
  }
  // Nothing but a graph; and an empty graph.
  ms::graph_data<V, I, O> bare;
  bare.graph = small_rmat<V, I, O>();
  ms::write_snapshot(path, bare.view());
  const ms::snapshot<V, I, O> snap(path);
  CHECK(snap.zero_copy());
  check_same_data(owned(snap.view()), bare);
  ms::graph_data<V, I, O> empty;
  ms::write_snapshot(path, empty.view());
  CHECK(ms::snapshot<V, I, O>(path).view().num_vertices() == 0);
  // A moved snapshot keeps its mapping: the view stays valid.
  {
    ms::write_snapshot(path, data.view());
    ms::snapshot<V, I, O> first(path);
    const ms::snapshot<V, I, O> moved(std::move(first));
    check_same_data(owned(moved.view()), data);
  }
  // The write is atomic: no temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(tmp.path())) CHECK(entry.path().filename() == "g.snap");
}

TEST_CASE("write_snapshot: split names up to 25 characters; inconsistent features are an argument_error") {
  const temp_dir tmp;
  auto data = small_csbm<float, i32, i64>(100);
  data.splits[std::string(25, 'x')] = {1, 2};
  ms::write_snapshot(tmp / "ok.snap", data.view());
  CHECK(ms::snapshot<float, i32, i64>(tmp / "ok.snap").view().splits.at(std::string(25, 'x')).size() == 2);
  data.splits[std::string(26, 'y')] = {1};
  CHECK_THROWS_AS(ms::write_snapshot(tmp / "long.snap", data.view()), ms::argument_error);
  CHECK_FALSE(fs::exists(tmp / "long.snap"));
  data.splits.erase(std::string(26, 'y'));
  data.features.pop_back();
  CHECK_THROWS_AS(ms::write_snapshot(tmp / "features.snap", data.view()), ms::argument_error);
  CHECK_FALSE(fs::exists(tmp / "features.snap"));
  for (const auto& entry : fs::directory_iterator(tmp.path())) CHECK(entry.path().filename() == "ok.snap");
}

namespace {

/// Writes `data` as <V, I, O>, loads it as <V2, I2, O2>, and compares.
template <class V2, class I2, class O2, class V, class I, class O>
void check_snapshot_conversion(const ms::graph_data<V, I, O>& data, bool expect_zero_copy) {
  const temp_dir tmp;
  const fs::path path = tmp / "c.snap";
  ms::write_snapshot(path, data.view());
  const ms::snapshot<V2, I2, O2> snap(path);
  CHECK(snap.zero_copy() == expect_zero_copy);
  const auto& v = snap.view();
  CHECK(v.graph.rows() == data.graph.rows());
  CHECK(same_elements(v.graph.indptr(), std::span<const O>(data.graph.indptr())));
  CHECK(same_elements(v.graph.indices(), std::span<const I>(data.graph.indices())));
  CHECK(same_elements(v.graph.values(), std::span<const V>(data.graph.values())));
  CHECK(v.graph.has_values() == data.graph.has_values());
  CHECK(std::equal(v.features.begin(), v.features.end(), data.features.begin(), data.features.end()));
  CHECK(std::equal(v.labels.begin(), v.labels.end(), data.labels.begin(), data.labels.end()));
  CHECK(v.splits.size() == data.splits.size());
  for (const auto& [name, ids] : data.splits) {
    REQUIRE(v.splits.count(name) == 1);
    CHECK(same_elements(v.splits.at(name), std::span<const I>(ids)));
  }
  CHECK_NOTHROW(ms::validate(v.graph));
}

}  // namespace

TEST_CASE("snapshot conversion: other index widths and value types are converted") {
  auto narrow = small_csbm<float, i32, i64>();
  narrow.graph = with_values(narrow.graph);
  // Written int32/int64 with float values, loaded int64/int64 with double values.
  check_snapshot_conversion<double, i64, i64>(narrow, false);
  check_snapshot_conversion<double, i32, i64>(narrow, false);  // only the values convert
  check_snapshot_conversion<float, i64, i32>(narrow, false);
  check_snapshot_conversion<float, i32, i64>(narrow, true);
  // Pattern graphs: only the index widths matter.
  auto pattern = small_csbm<float, i32, i64>();
  check_snapshot_conversion<double, i32, i64>(pattern, true);
  check_snapshot_conversion<double, i64, i64>(pattern, false);
  // Written int64/int64 with double values, loaded narrower (the ids fit).
  auto wide = small_csbm<double, i64, i64>();
  wide.graph = with_values(wide.graph);
  check_snapshot_conversion<float, i32, i32>(wide, false);
  check_snapshot_conversion<double, i64, i64>(wide, true);
}

// =================================================================================
// The shared real data (../shared/data, MATSAMPLE_SHARED_DATA from ctest)
// =================================================================================

TEST_CASE("shared data folder: report what is skipped") {
  const char* root = std::getenv("MATSAMPLE_SHARED_DATA");
  for (const char* name : {"cora", "ego-twitter"}) {
    if (shared_dataset(name)) {
      MESSAGE("shared dataset '" << std::string(name) << "' found under " << std::string(root));
    } else {
      MESSAGE("SKIPPED: the '" << std::string(name) << "' checks, because the shared data folder "
                               << std::string(root ? root : "(MATSAMPLE_SHARED_DATA unset)") << " has no "
                               << std::string(name) << "/raw directory");
    }
  }
}

TEST_CASE("Cora (shared data): 2,708 vertices, 10,556 entries, 1,433 features, 7 classes, planetoid split" *
          doctest::skip(!shared_dataset("cora"))) {
  const fs::path dir = *shared_dataset("cora");
  const auto cora = ms::read_ogb<float, i32, i64>(dir);
  CHECK(cora.graph.rows() == 2708);
  CHECK(cora.graph.cols() == 2708);
  CHECK(cora.graph.nnz() == 10556);
  CHECK(symmetric(cora.graph));
  CHECK(self_loops(cora.graph) == 0);
  CHECK(cora.feature_dim == 1433);
  CHECK(cora.features.size() == std::size_t{2708} * 1433);
  CHECK(std::all_of(cora.features.begin(), cora.features.end(), [](float x) { return x == 0.0f || x == 1.0f; }));
  CHECK(cora.labels.size() == 2708);
  CHECK(cora.view().num_classes() == 7);
  CHECK(std::all_of(cora.labels.begin(), cora.labels.end(), [](i32 l) { return l >= 0 && l < 7; }));
  REQUIRE(cora.splits.size() == 3);
  CHECK(cora.splits.at("train").size() == 140);
  CHECK(cora.splits.at("valid").size() == 500);
  CHECK(cora.splits.at("test").size() == 1000);
  std::set<i32> seen;
  for (const auto& [name, ids] : cora.splits) seen.insert(ids.begin(), ids.end());
  CHECK(seen.size() == 1640);  // disjoint
  CHECK(*seen.rbegin() < 2708);
  // Explicit split name, other widths, and a snapshot round trip of the real thing.
  const auto wide = ms::read_ogb<double, i64, i64>(dir, ogb_options(true, "planetoid"));
  CHECK(same_elements(std::span<const i64>(wide.graph.indices()), std::span<const i32>(cora.graph.indices())));
  CHECK(wide.features == cora.features);
  const temp_dir tmp;
  ms::write_snapshot(tmp / "cora.snap", cora.view());
  const ms::snapshot<float, i32, i64> snap(tmp / "cora.snap");
  CHECK(snap.zero_copy());
  check_same_data(owned(snap.view()), cora);
}

TEST_CASE("Cora as papers and words (shared data): every nonzero feature an edge, the typed OGB round trip" *
          doctest::skip(!shared_dataset("cora"))) {
  const auto cora = ms::read_ogb<float, i32, i64>(*shared_dataset("cora"));
  const auto typed = ms::features_as_vertex_type(
      cora.view(), {.vertex_type = "paper", .relation = "cites", .feature_type = "word", .has_feature = "has_word"});
  const auto& schema = typed.graph.schema();
  CHECK(schema.relation_list() == "paper___cites___paper, paper___has_word___word, word___rev_has_word___paper");
  CHECK(schema.num_vertices(1) == 1433);
  const auto words = std::count(cora.features.begin(), cora.features.end(), 1.0f);
  CHECK(typed.graph.relation(1).nnz() == words);  // 49,216 on Cora
  CHECK(typed.graph.relation(2).nnz() == words);
  CHECK(typed.graph.relation(0) == cora.graph);
  for (i32 p : {0, 1000, 2707}) {  // row p lists exactly the words of paper p
    const auto row = typed.graph.relation(1).view();
    std::vector<i32> expected;
    for (i32 w = 0; w < 1433; ++w) {
      if (cora.features[static_cast<std::size_t>(p) * 1433 + static_cast<std::size_t>(w)] != 0) expected.push_back(w);
    }
    CHECK(std::ranges::equal(row.indices().subspan(row.indptr()[p], row.indptr()[p + 1] - row.indptr()[p]), expected));
  }
  CHECK(typed.types[0].labels == cora.labels);
  CHECK(typed.types[0].splits.at("train") == cora.splits.at("train"));
  CHECK(typed.types[0].features.empty());
  CHECK(typed.types[1].labels.empty());
  const temp_dir tmp;
  ms::write_ogb_typed(tmp / "cora-typed", typed, "planetoid");
  const auto back = ms::read_ogb_typed<float, i32, i64>(tmp / "cora-typed");
  CHECK(back.graph == typed.graph);
  CHECK(back.types[0].labels == typed.types[0].labels);
  CHECK(back.types[0].splits == typed.types[0].splits);
  // No features: nothing to turn into vertices; a view whose features disagree with its sizes.
  ms::graph_data<float, i32, i64> bare;
  bare.graph = cora.graph;
  CHECK_THROWS_AS((void)ms::features_as_vertex_type(bare.view()), ms::argument_error);
  auto short_view = cora.view();
  short_view.features = short_view.features.first(100);
  CHECK_THROWS_WITH_AS((void)ms::features_as_vertex_type(short_view),
                       doctest::Contains("100 feature values for 2708 vertices of 1433 features"), ms::argument_error);
}

TEST_CASE("ego-twitter (shared data): 81,306 vertices, 2,684,606 entries, 14 self loops" *
          doctest::skip(!shared_dataset("ego-twitter"))) {
  const fs::path dir = *shared_dataset("ego-twitter");
  const auto twitter = ms::read_ogb<float, i32, i64>(dir);
  CHECK(twitter.graph.rows() == 81306);
  CHECK(twitter.graph.nnz() == i64{2} * 1342310 - 14);
  CHECK(self_loops(twitter.graph) == 14);
  CHECK(twitter.features.empty());
  CHECK(twitter.feature_dim == 0);
  CHECK(twitter.labels.empty());
  CHECK(twitter.splits.empty());
  CHECK_NOTHROW(ms::validate(twitter.graph.view()));
  // Power-law degrees: the largest far above the mean.
  i64 max_degree = 0;
  for (i32 r = 0; r < twitter.graph.rows(); ++r) max_degree = std::max<i64>(max_degree, twitter.graph.view().degree(r));
  CHECK(max_degree > 50 * twitter.graph.nnz() / twitter.graph.rows());
}

// =================================================================================
// Malformed text input: format_error naming the file and the line
// =================================================================================

TEST_CASE("line_aligned_part: the parts of any count cover every line once, each part starting at a line") {
  // Short lines, long lines, no final newline, empty lines, a single line, nothing at all.
  for (const std::string& text : {std::string("0 1\n2 3\n4 5\n"), std::string("a\n\n\nbb\nccc"), std::string("x"),
                                  std::string(), std::string(1000, 'y') + "\n1 2\n", std::string("\n\n\n\n")}) {
    for (const ms::io::byte_range& whole : {ms::io::byte_range{}, ms::io::byte_range{0, text.size() / 2}}) {
      const std::string_view range = std::string_view(text).substr(0, std::min(whole.end, text.size()));
      const auto lines_of = [](std::string_view t) {
        std::vector<std::string_view> out;
        for (std::size_t at = 0; at < t.size();) {
          const auto nl = t.find('\n', at);
          const auto end = nl == std::string_view::npos ? t.size() : nl + 1;
          out.push_back(t.substr(at, end - at));
          at = end;
        }
        return out;
      };
      for (int parts = 1; parts <= 9; ++parts) {
        CAPTURE(text);
        CAPTURE(parts);
        std::vector<std::string_view> joined;
        std::size_t previous_end = 0;
        for (int part = 0; part < parts; ++part) {
          const auto r = ms::io::line_aligned_part(text, whole, part, parts);
          CHECK(r.begin == previous_end);
          CHECK(r.begin <= r.end);
          CHECK((r.begin == 0 || text[r.begin - 1] == '\n' || r.begin == range.size()));
          previous_end = r.end;
          for (const auto line : lines_of(std::string_view(text).substr(r.begin, r.end - r.begin)))
            joined.push_back(line);
        }
        CHECK(previous_end == range.size());
        // Cuts fall on line starts of the whole text, so the lines are the range's own (the last one may be cut by the
        // range).
        CHECK(joined == lines_of(range));
      }
    }
  }
}

TEST_CASE("edge list errors name the file and the line") {
  const temp_dir tmp;
  const fs::path path = tmp / "bad.txt";
  const auto read = [&](const std::string& text, ms::edge_list_options options = {}) {
    write_bytes(path, text);
    return ms::read_edge_list<float, i32, i64>(path, options);
  };
  // Malformed numbers.
  CHECK_FORMAT_ERROR(read("0 1\n1 x2\n"), path, 2, "malformed target id 'x2'");
  CHECK_FORMAT_ERROR(read("# c\n\n0 1\n1 2\n3a 4\n"), path, 5, "malformed source id '3a'");
  CHECK_FORMAT_ERROR(read("0 1\n1.5 2\n"), path, 2, "malformed source id '1.5'");
  CHECK_FORMAT_ERROR(read("0 1\n+1 2\n"), path, 2, "malformed source id '+1'");
  CHECK_FORMAT_ERROR(read("0 1 1.0\n1 2 abc\n", {.weighted = true}), path, 2, "malformed weight 'abc'");
  CHECK_FORMAT_ERROR(read("0 1 1.0\n1 2 1.0.0\n", {.weighted = true}), path, 2, "malformed weight '1.0.0'");
  CHECK_FORMAT_ERROR(read("0 1\n99999999999999999999 2\n"), path, 2, "out-of-range source id");
  // Wrong column counts: too many, too few.
  CHECK_FORMAT_ERROR(read("0 1\n1 2 3\n"), path, 2, "expected 2 columns per edge line, found more");
  CHECK_FORMAT_ERROR(read("0 1 2\n1 2 3 4\n", {.weighted = true}), path, 2,
                     "expected 3 columns per edge line, found more");
  CHECK_FORMAT_ERROR(read("0 1\n\n1\n"), path, 3, "missing target id");
  CHECK_FORMAT_ERROR(read("0 1\n1 2\n", {.weighted = true}), path, 1, "missing weight");
  CHECK_FORMAT_ERROR(read("0 1\n  ,\n"), path, 2, "missing source id");
  // Negative ids; 0 in a 1-based file; ids beyond num_vertices; ids beyond int32.
  CHECK_FORMAT_ERROR(read("0 1\n-1 2\n"), path, 2, "negative source id -1");
  CHECK_FORMAT_ERROR(read("0 1\n1 -7\n"), path, 2, "negative target id -7");
  CHECK_FORMAT_ERROR(read("1 2\n2 0\n", {.one_based = true}), path, 2, "target id 0 in a 1-based file");
  CHECK_FORMAT_ERROR(read("1 2\n0 2\n", {.one_based = true}), path, 2, "source id 0 in a 1-based file");
  CHECK_FORMAT_ERROR(read("0 1\n1 5\n", {.num_vertices = 5}), path, 2, "target id 5 out of range (5 ids, 0-based)");
  CHECK_FORMAT_ERROR(read("1 2\n6 5\n", {.one_based = true, .num_vertices = 5}), path, 2,
                     "source id 6 out of range (5 ids, 1-based)");
  CHECK_FORMAT_ERROR(read("0 1\n1 2147483648\n"), path, 2, "does not fit a 32-bit index");
  // Empty files and files with no edges.
  CHECK_FORMAT_ERROR(read(""), path, 1, "empty file");
  CHECK_FORMAT_ERROR(read("# only a comment\n"), path, 2, "no edges");
  CHECK_FORMAT_ERROR(read("\n\n   \n"), path, 4, "no edges");
  // The error with the lowest line wins.
  CHECK_FORMAT_ERROR(read("0 1\n0 x\n-1 0\n0 1 2\n"), path, 2, "malformed target id");
  // A missing file is a matsample::error naming it.
  try {
    (void)ms::read_edge_list<float, i32, i64>(tmp / "absent.txt");
    FAIL_CHECK("no exception for a missing file");
  } catch (const ms::error& e) { CHECK(starts_with(e.what(), (tmp / "absent.txt").string() + ": cannot open")); }
}

TEST_CASE("edge list errors in large files: the line is right across parallel chunks, plain and gzip") {
  const temp_dir tmp;
  std::string text;
  std::vector<std::size_t> line_start;
  std::vector<i32> src, dst;
  for (i64 line = 1; line <= 120000; ++line) {
    line_start.push_back(text.size());
    src.push_back(static_cast<i32>((line * 7919) % 10000));
    dst.push_back(static_cast<i32>((line * 104729) % 10000));
    text += std::to_string(src.back()) + " " + std::to_string(dst.back()) + "\n";
  }
  const i64 n = std::max(*std::max_element(src.begin(), src.end()), *std::max_element(dst.begin(), dst.end())) + 1;
  const auto expected = ms::csr_from_edges<float, i32, i64>(n, src, dst);
  REQUIRE(text.size() > (std::size_t{1} << 20));  // parsed by several threads in several chunks
  const auto with_error = [&](int line, const std::string& replacement) {
    std::string t = text;
    const auto b = line_start[static_cast<std::size_t>(line - 1)];
    const auto e = t.find('\n', b);
    t.replace(b, e - b, replacement);
    return t;
  };
  const int threads_before = omp_get_max_threads();
  for (const char* name : {"big.txt", "big.txt.gz"}) {
    INFO("file: ", std::string(name));
    const fs::path path = tmp / name;
    const auto put = [&](const std::string& t) {
      if (std::string_view(name).ends_with(".gz"))
        write_gzip(path, t);
      else
        write_bytes(path, t);
    };
    const auto read = [&] { return ms::read_edge_list<float, i32, i64>(path); };
    put(text);
    omp_set_num_threads(1);
    const auto good1 = read();
    omp_set_num_threads(2);
    const auto good2 = read();
    CHECK(good1 == expected);  // counted, placed and sorted across chunks, as from the arrays
    CHECK(good2 == expected);
    for (const int threads : {1, 2}) {
      CAPTURE(threads);
      omp_set_num_threads(threads);
      put(with_error(98765, "5 x"));
      CHECK_FORMAT_ERROR(read(), path, 98765, "malformed target id 'x'");
      // Two errors in different chunks: the first in the file is reported.
      put(with_error(110000, "-3 1").replace(line_start[60000 - 1], 1, "q"));
      CHECK_FORMAT_ERROR(read(), path, 60000, "malformed source id 'q");
      put(with_error(120000, "1 2 3"));
      CHECK_FORMAT_ERROR(read(), path, 120000, "found more");
      put(with_error(1, "-1 0"));
      CHECK_FORMAT_ERROR(read(), path, 1, "negative source id -1");
    }
  }
  omp_set_num_threads(threads_before);
}

TEST_CASE("gzip: truncated, corrupt, empty, trailing garbage and concatenated members") {
  const temp_dir tmp;
  std::string text;
  for (int i = 0; i < 4000; ++i) text += std::to_string(i % 97) + " " + std::to_string((i * 31) % 89) + "\n";
  const fs::path good = tmp / "good.txt.gz";
  write_gzip(good, text);
  const std::string gz = read_bytes(good);
  REQUIRE(gz.size() > 200);
  const auto expected = ms::read_edge_list<float, i32, i64>(good);
  const fs::path path = tmp / "bad.txt.gz";

  // Truncated: inside the header, inside the compressed data, inside the trailer.
  for (const std::size_t keep : {std::size_t{1}, std::size_t{5}, std::size_t{12}, gz.size() / 3, gz.size() / 2,
                                 gz.size() - 9, gz.size() - 4, gz.size() - 1}) {
    CAPTURE(keep);
    write_bytes(path, gz.substr(0, keep));
    CHECK_FORMAT_ERROR_SOME_LINE((ms::read_edge_list<float, i32, i64>(path)), path, "truncated gzip stream");
  }
  // Corrupt: bytes flipped in the middle of the compressed data (caught by
  // the decoder or by the CRC in the trailer), or in the trailer itself.
  for (const std::size_t at : {gz.size() / 2, gz.size() / 3, gz.size() - 6, gz.size() - 2}) {
    CAPTURE(at);
    std::string bad = gz;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    if (at < gz.size() - 8) bad[at + 1] = static_cast<char>(bad[at + 1] ^ 0xff);
    write_bytes(path, bad);
    // A flip in the compressed data may also make the decoder want more input
    // than there is; either way a gzip error naming the file and a line.
    CHECK_FORMAT_ERROR_SOME_LINE((ms::read_edge_list<float, i32, i64>(path)), path,
                                 at >= gz.size() - 8 ? "corrupt gzip data" : "gzip");
  }
  // Not gzip at all, behind a .gz name: the header check fails on line 1.
  write_bytes(path, text);
  CHECK_FORMAT_ERROR((ms::read_edge_list<float, i32, i64>(path)), path, 1, "corrupt gzip data");
  // An empty .gz file, and a valid gzip file holding nothing.
  write_bytes(path, "");
  CHECK_FORMAT_ERROR((ms::read_edge_list<float, i32, i64>(path)), path, 1, "truncated gzip stream");
  write_gzip(path, "");
  CHECK_FORMAT_ERROR((ms::read_edge_list<float, i32, i64>(path)), path, 1, "empty file");
  // Garbage after the end of the gzip member.
  write_bytes(path, gz + "garbage!");
  CHECK_FORMAT_ERROR_SOME_LINE((ms::read_edge_list<float, i32, i64>(path)), path, "corrupt gzip data");
  // Concatenated members are one file, as gzip -d reads them.
  const std::size_t half = text.find('\n', text.size() / 2) + 1;
  write_gzip(tmp / "a.gz", text.substr(0, half));
  write_gzip(tmp / "b.gz", text.substr(half));
  write_bytes(path, read_bytes(tmp / "a.gz") + read_bytes(tmp / "b.gz"));
  CHECK(ms::read_edge_list<float, i32, i64>(path) == expected);
  // A parse error inside a gzip file names the line of the inflated text.
  std::string broken = text;
  broken.replace(broken.find('\n', 1000) + 1, 1, "z");
  write_gzip(path, broken);
  const auto line =
      2 + std::count(broken.begin(), broken.begin() + static_cast<std::ptrdiff_t>(broken.find('\n', 1000)), '\n');
  CHECK_FORMAT_ERROR((ms::read_edge_list<float, i32, i64>(path)), path, line, "malformed source id");
}

TEST_CASE("matrix market errors name the file and the line") {
  const temp_dir tmp;
  const fs::path path = tmp / "bad.mtx";
  const auto read = [&](const std::string& text) {
    write_bytes(path, text);
    return ms::read_matrix_market<double, i32, i64>(path);
  };
  const std::string banner = "%%MatrixMarket matrix coordinate real general\n";
  // Banner.
  CHECK_FORMAT_ERROR(read("3 3 1\n1 1 1\n"), path, 1, "missing %%MatrixMarket banner");
  CHECK_FORMAT_ERROR(read("% MatrixMarket matrix coordinate real general\n3 3 0\n"), path, 1, "banner");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix array real general\n3 3\n"), path, 1, "only 'matrix coordinate'");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket vector coordinate real general\n3 3 0\n"), path, 1,
                     "only 'matrix coordinate'");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate complex general\n3 3 0\n"), path, 1, "unsupported field");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate double general\n3 3 0\n"), path, 1, "unsupported field");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate real hermitian\n3 3 0\n"), path, 1, "unsupported symmetry");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 0\n"), path, 1,
                     "unsupported symmetry");
  // Size line.
  CHECK_FORMAT_ERROR(read(banner), path, 2, "missing size line");
  CHECK_FORMAT_ERROR(read(banner + "% only comments\n\n"), path, 4, "missing size line");
  CHECK_FORMAT_ERROR(read(banner + "% c\n3 x 1\n1 1 1\n"), path, 3, "malformed column count 'x'");
  CHECK_FORMAT_ERROR(read(banner + "3 3\n1 1 1\n"), path, 2, "missing entry count");
  CHECK_FORMAT_ERROR(read(banner + "3 3 1 9\n1 1 1\n"), path, 2, "size line has more than 3 fields");
  CHECK_FORMAT_ERROR(read(banner + "3 -3 1\n1 1 1\n"), path, 2, "negative size");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate real symmetric\n3 4 1\n1 1 1\n"), path, 2,
                     "a symmetric matrix must be square");
  // Entries: beyond the size line, 0 (ids are 1-based), negative, malformed, column counts.
  CHECK_FORMAT_ERROR(read(banner + "3 4 2\n1 1 1\n4 1 1\n"), path, 4, "source id 4 out of range (3 ids, 1-based)");
  CHECK_FORMAT_ERROR(read(banner + "% c\n3 4 2\n1 1 1\n3 5 1\n"), path, 5, "target id 5 out of range (4 ids, 1-based)");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n0 1 1\n"), path, 4, "source id 0 in a 1-based file");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n1 -2 1\n"), path, 4, "negative target id -2");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n1 2 1e\n"), path, 4, "malformed weight '1e'");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n1 2\n"), path, 4, "missing weight");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n1 2 1 1\n"), path, 4,
                     "expected 3 columns per entry line, found more");
  CHECK_FORMAT_ERROR(read("%%MatrixMarket matrix coordinate pattern general\n3 3 2\n1 1\n1 2 5\n"), path, 4,
                     "expected 2 columns per entry line, found more");
  CHECK_FORMAT_ERROR(read(banner + "3 3 2\n1 1 1\n2\n"), path, 4, "missing target id");
  // Entry count mismatch (more and fewer than declared), reported after the last line.
  CHECK_FORMAT_ERROR(read(banner + "3 3 3\n1 1 1\n2 2 1\n"), path, 5, "declares 3 entries but the file has 2");
  CHECK_FORMAT_ERROR(read(banner + "3 3 1\n1 1 1\n2 2 1\n3 3 1\n"), path, 6, "declares 1 entries but the file has 3");
  // Empty.
  CHECK_FORMAT_ERROR(read(""), path, 1, "empty file");
  // gzip: the same checks on the inflated text.
  const fs::path gz = tmp / "bad.mtx.gz";
  write_gzip(gz, banner + "3 3 2\n1 1 1\n1 9 1\n");
  CHECK_FORMAT_ERROR((ms::read_matrix_market<double, i32, i64>(gz)), gz, 4, "target id 9 out of range");
}

TEST_CASE("OGB errors name the file and the line") {
  const temp_dir tmp;
  const fs::path dir = tmp / "ds";
  const fs::path raw = dir / "raw";
  const auto reset = [&] {
    fs::remove_all(dir);
    write_bytes(raw / "num-node-list.csv", "5\n");
    write_bytes(raw / "num-edge-list.csv", "3\n");
    write_bytes(raw / "edge.csv", "0,1\n1,2\n3,4\n");
    write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8,9\n1,1,1\n0,0,0\n");
    write_bytes(raw / "node-label.csv", "0\n1\nnan\n1\n0\n");
    write_bytes(dir / "split" / "s" / "train.csv", "0\n1\n");
    write_bytes(dir / "split" / "s" / "test.csv", "2\n4\n");
  };
  const auto read = [&] { return ms::read_ogb<float, i32, i64>(dir); };
  reset();
  {
    const auto good = read();
    CHECK(good.graph.nnz() == 6);
    CHECK(good.feature_dim == 3);
    CHECK(good.labels == std::vector<i32>{0, 1, -1, 1, 0});
    CHECK(good.splits.at("test") == std::vector<i32>{2, 4});
    CHECK(good.splits.count("valid") == 0);
  }
  // Missing raw/ directory, missing required files: format_error naming the path.
  {
    const std::string msg = format_error_message([&] { (void)ms::read_ogb<float, i32, i64>(tmp / "nothing"); });
    CHECK(starts_with(msg, (tmp / "nothing" / "raw").string() + ": missing"));
  }
  fs::remove(raw / "num-node-list.csv");
  {
    const std::string msg = format_error_message(read);
    CHECK(starts_with(msg, (raw / "num-node-list.csv[.gz]").string() + ": missing"));
  }
  reset();
  fs::remove(raw / "edge.csv");
  {
    const std::string msg = format_error_message(read);
    CHECK(starts_with(msg, (raw / "edge.csv[.gz]").string() + ": missing"));
  }
  // Vertex count.
  reset();
  write_bytes(raw / "num-node-list.csv", "five\n");
  CHECK_FORMAT_ERROR(read(), raw / "num-node-list.csv", 1, "malformed count 'five'");
  write_bytes(raw / "num-node-list.csv", "-5\n");
  CHECK_FORMAT_ERROR(read(), raw / "num-node-list.csv", 1, "negative count -5");
  write_bytes(raw / "num-node-list.csv", "5 6\n");
  CHECK_FORMAT_ERROR(read(), raw / "num-node-list.csv", 1, "expected a single count");
  write_bytes(raw / "num-node-list.csv", "");
  CHECK_FORMAT_ERROR(read(), raw / "num-node-list.csv", 1, "empty file");
  // Edges: beyond num-node-list, negative, malformed, column counts.
  reset();
  write_bytes(raw / "edge.csv", "0,1\n1,2\n3,5\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 3, "target id 5 out of range (5 ids, 0-based)");
  write_bytes(raw / "edge.csv", "0,1\n7,2\n3,4\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 2, "source id 7 out of range");
  write_bytes(raw / "edge.csv", "0,1\n-1,2\n3,4\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 2, "negative source id -1");
  write_bytes(raw / "edge.csv", "0,1\n1,2,3\n3,4\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 2, "expected 2 columns");
  write_bytes(raw / "edge.csv", "0,1\n1\n3,4\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 2, "missing target id");
  write_bytes(raw / "edge.csv", "0,1\n1,2\n3;4\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 3, "malformed source id '3;4'");
  // num-edge-list mismatch: reported on the edge file, after its last line.
  write_bytes(raw / "edge.csv", "0,1\n1,2\n");
  CHECK_FORMAT_ERROR(read(), raw / "edge.csv", 3, "2 edge lines but num-edge-list.csv says 3");
  reset();
  write_bytes(raw / "num-edge-list.csv", "x\n");
  CHECK_FORMAT_ERROR(read(), raw / "num-edge-list.csv", 1, "malformed count");
  // Features: rows of different lengths, wrong row count, bad values.
  reset();
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8\n1,1,1\n0,0,0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 3, "feature row has 2 values, expected 3");
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8,9,10\n1,1,1\n0,0,0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 3, "feature row has 4 values, expected 3");
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8,9\n1,1,1\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 5, "4 feature rows for 5 vertices");
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8,9\n1,1,1\n0,0,0\n1,2,3\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 7, "6 feature rows for 5 vertices");
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,x,9\n1,1,1\n0,0,0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 3, "malformed feature 'x'");
  write_bytes(raw / "node-feat.csv", "1,2,3\n4,5,6\n7,8,9\n1,inf,1\n0,0,0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 4, "non-finite feature value");
  write_bytes(raw / "node-feat.csv", "1,2,x\n4,5,6\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 1, "malformed feature 'x'");
  write_bytes(raw / "node-feat.csv", "\n4,5,6\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-feat.csv", 1, "empty feature row");
  // Labels: count != node count, malformed, negative, two per line.
  reset();
  write_bytes(raw / "node-label.csv", "0\n1\n2\n1\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-label.csv", 5, "4 labels for 5 vertices");
  write_bytes(raw / "node-label.csv", "0\n1\n2\n1\n0\n3\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-label.csv", 7, "6 labels for 5 vertices");
  write_bytes(raw / "node-label.csv", "0\n1\ncat\n1\n0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-label.csv", 3, "malformed label 'cat'");
  write_bytes(raw / "node-label.csv", "0\n1\n2\n-1\n0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-label.csv", 4, "label -1 out of range");
  write_bytes(raw / "node-label.csv", "0\n1 2\n2\n1\n0\n");
  CHECK_FORMAT_ERROR(read(), raw / "node-label.csv", 2, "expected one label per line");
  // Splits: ids beyond the graph, negative, malformed.
  reset();
  write_bytes(dir / "split" / "s" / "train.csv", "0\n1\n5\n");
  CHECK_FORMAT_ERROR(read(), dir / "split" / "s" / "train.csv", 3, "vertex id 5 out of range [0, 5)");
  write_bytes(dir / "split" / "s" / "train.csv", "0\n-2\n");
  CHECK_FORMAT_ERROR(read(), dir / "split" / "s" / "train.csv", 2, "vertex id -2 out of range");
  write_bytes(dir / "split" / "s" / "train.csv", "0\n1x\n");
  CHECK_FORMAT_ERROR(read(), dir / "split" / "s" / "train.csv", 2, "malformed vertex id '1x'");
  // gzip files in the layout: a truncated edge.csv.gz.
  reset();
  fs::remove(raw / "edge.csv");
  std::string many;
  for (int i = 0; i < 3000; ++i) many += std::to_string(i % 5) + "," + std::to_string((i * 3) % 5) + "\n";
  write_gzip(raw / "edge.csv.gz", many);
  write_bytes(raw / "num-edge-list.csv", "3000\n");
  CHECK(read().graph.nnz() > 0);
  const std::string gz = read_bytes(raw / "edge.csv.gz");
  write_bytes(raw / "edge.csv.gz", gz.substr(0, gz.size() / 2));
  CHECK_FORMAT_ERROR_SOME_LINE(read(), raw / "edge.csv.gz", "truncated gzip stream");
}

// =================================================================================
// Damaged snapshots: format_error "<path>: corrupt snapshot: ...", never a crash
// =================================================================================

namespace {

struct crafted_section {
  std::string name;
  std::string bytes;
};

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

/// A snapshot file from a header and sections, with every checksum valid:
/// what a buggy writer or a malicious file could hold.
std::string craft_snapshot(sf::header h, const std::vector<crafted_section>& sections) {
  const auto align = [](std::size_t x) { return (x + sf::alignment - 1) / sf::alignment * sf::alignment; };
  std::vector<sf::entry> table(sections.size());
  std::size_t at = align(sf::header_bytes + sections.size() * sf::entry_bytes);
  for (std::size_t s = 0; s < sections.size(); ++s) {
    table[s] = {};
    std::copy(sections[s].name.begin(), sections[s].name.end(), table[s].name.begin());
    table[s].offset = at;
    table[s].bytes = sections[s].bytes.size();
    table[s].checksum = XXH3_64bits(sections[s].bytes.data(), sections[s].bytes.size());
    at = align(at + sections[s].bytes.size());
  }
  std::string file(at, '\0');
  for (std::size_t s = 0; s < sections.size(); ++s) {
    std::copy(sections[s].bytes.begin(), sections[s].bytes.end(),
              file.begin() + static_cast<std::ptrdiff_t>(table[s].offset));
  }
  if (!table.empty()) std::memcpy(file.data() + sf::header_bytes, table.data(), table.size() * sf::entry_bytes);
  h.magic = sf::magic;
  h.version = sf::version;
  h.header_bytes = sf::header_bytes;
  h.section_count = static_cast<std::uint32_t>(sections.size());
  h.file_bytes = at;
  h.table_checksum = XXH3_64bits(table.data(), table.size() * sf::entry_bytes);
  h.header_checksum = XXH3_64bits(&h, offsetof(sf::header, header_checksum));
  std::memcpy(file.data(), &h, sizeof h);
  return file;
}

sf::header header_of(std::uint8_t id_bytes, std::uint8_t offset_bytes, std::uint64_t n, std::uint64_t m,
                     std::uint64_t dim = 0, std::uint8_t kind = sf::none) {
  sf::header h{};
  h.id_bytes = id_bytes;
  h.offset_bytes = offset_bytes;
  h.value_kind = kind;
  h.num_vertices = n;
  h.num_edges = m;
  h.feature_dim = dim;
  return h;
}

/// Recomputes the header checksum of a file after editing the header.
void reseal_header(std::string& file) {
  sf::header h{};
  std::memcpy(&h, file.data(), sizeof h);
  h.header_checksum = XXH3_64bits(&h, offsetof(sf::header, header_checksum));
  std::memcpy(file.data(), &h, sizeof h);
}

}  // namespace

TEST_CASE("snapshot damage: truncation, flipped bytes in every section, bad magic, version, checksums") {
  const temp_dir tmp;
  auto data = small_csbm<float, i32, i64>(300);
  data.graph = with_values(data.graph);
  const fs::path good = tmp / "good.snap";
  ms::write_snapshot(good, data.view());
  const std::string bytes = read_bytes(good);
  sf::header h{};
  std::memcpy(&h, bytes.data(), sizeof h);
  REQUIRE(h.section_count == 8);  // indptr, indices, values, features, labels, 3 splits
  std::vector<sf::entry> table(h.section_count);
  std::memcpy(table.data(), bytes.data() + sf::header_bytes, table.size() * sf::entry_bytes);
  const fs::path path = tmp / "bad.snap";
  const auto load = [&](ms::snapshot_options options = {}) { return ms::snapshot<float, i32, i64>(path, options); };

  // Truncated: to nothing, inside the header, inside the table, by one byte, by a section.
  for (const std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{127}, std::size_t{128}, std::size_t{300},
                                 bytes.size() / 2, bytes.size() - 64, bytes.size() - 1}) {
    CAPTURE(keep);
    write_bytes(path, bytes.substr(0, keep));
    CHECK_CORRUPT_SNAPSHOT(load(), path, keep < 128 ? "shorter than the header" : "truncated or extended");
    CHECK_CORRUPT_SNAPSHOT(load({false, false}), path,
                           keep < 128 ? "shorter than the header" : "truncated or extended");
  }
  // Extended.
  write_bytes(path, bytes + std::string(64, '\0'));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "truncated or extended");

  // A flipped byte in each section: that section's checksum.
  for (const auto& e : table) {
    const std::string name(e.name.data(), strnlen(e.name.data(), sf::name_bytes));
    CAPTURE(name);
    REQUIRE(e.bytes > 0);
    for (const std::uint64_t at : {e.offset, e.offset + e.bytes / 2, e.offset + e.bytes - 1}) {
      std::string bad = bytes;
      bad[at] = static_cast<char>(bad[at] ^ 0x10);
      write_bytes(path, bad);
      CHECK_CORRUPT_SNAPSHOT(load(), path, "section '" + name + "' checksum mismatch");
    }
  }
  // A flipped byte in the table, in the header, in the header's checksum.
  for (const std::size_t at : {std::size_t{128}, std::size_t{128 + 32}, std::size_t{128 + 64 * 3 + 40}}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 1);
    write_bytes(path, bad);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section table checksum mismatch");
    CHECK_CORRUPT_SNAPSHOT(load({false, false}), path, "section table checksum mismatch");
  }
  for (const std::size_t at : {std::size_t{12}, std::size_t{16}, std::size_t{24}, std::size_t{40}, std::size_t{48},
                               std::size_t{56}, std::size_t{100}, std::size_t{120}, std::size_t{127}}) {
    CAPTURE(at);
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 4);
    write_bytes(path, bad);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "header checksum mismatch");
  }
  // Bad magic (any of its bytes), a text file, another version.
  for (const std::size_t at : {std::size_t{0}, std::size_t{7}}) {
    std::string bad = bytes;
    bad[at] = 'x';
    write_bytes(path, bad);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "bad magic");
  }
  write_bytes(path, std::string(200, '0'));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "bad magic");
  for (const std::uint32_t version : {0u, 2u, 0x01000000u}) {
    std::string bad = bytes;
    std::memcpy(bad.data() + 8, &version, 4);
    write_bytes(path, bad);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "unsupported version " + std::to_string(version));
    reseal_header(bad);
    write_bytes(path, bad);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "unsupported version " + std::to_string(version));
  }
  // With the checks off, a damaged feature byte is not noticed (documented).
  {
    std::string bad = bytes;
    const auto& features = table[3];
    REQUIRE(std::string(features.name.data()) == "features");
    bad[features.offset + 1] = static_cast<char>(bad[features.offset + 1] ^ 0x10);
    write_bytes(path, bad);
    CHECK_NOTHROW(load({.verify_checksums = false}));
  }
  // Missing file: a matsample::error naming it.
  CHECK_THROWS_AS((ms::snapshot<float, i32, i64>(tmp / "absent.snap")), ms::error);
}

TEST_CASE("snapshot: valid checksums around invalid contents are rejected") {
  const temp_dir tmp;
  const fs::path path = tmp / "bad.snap";
  using view = ms::csr_view<float, i32, i64>;
  const auto write_graph = [&](const view& g, std::map<std::string, std::vector<i32>> splits = {}) {
    ms::graph_data_view<float, i32, i64> d;
    d.graph = g;
    for (const auto& [name, ids] : splits) d.splits.emplace(name, std::span<const i32>(ids));
    ms::write_snapshot(path, d);
  };
  const auto load = [&](ms::snapshot_options options = {}) { return ms::snapshot<float, i32, i64>(path, options); };
  // Offsets that decrease (the view's O(1) shape check lets them through the writer).
  const std::vector<i64> decreasing{0, 2, 1, 3};
  const std::vector<i32> cols{0, 1, 2};
  write_graph(view(3, 3, decreasing, cols));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "offsets decrease at row 1");
  CHECK_NOTHROW(load({.validate_graph = false}));  // documented: the caller's responsibility
  // A column outside the graph.
  const std::vector<i64> offsets{0, 1, 2, 3};
  const std::vector<i32> far{0, 7, 1};
  write_graph(view(3, 3, offsets, far));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "column 7 out of range");
  const std::vector<i32> negative{0, -1, 1};
  write_graph(view(3, 3, offsets, negative));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "column -1 out of range");
  // A non-square graph is stored as square: its columns are checked against the rows.
  const std::vector<i32> wide{0, 3, 1};
  write_graph(view(3, 4, offsets, wide));
  CHECK_CORRUPT_SNAPSHOT(load(), path, "column 3 out of range");
  // Split ids outside the graph.
  write_graph(view(3, 3, offsets, cols), {{"train", {0, 3}}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'split/train' holds vertex 3 outside the graph");
  write_graph(view(3, 3, offsets, cols), {{"test", {-4}}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'split/test' holds vertex -4 outside the graph");

  // Crafted files whose checksums are all valid.
  const auto put = [&](const sf::header& h, const std::vector<crafted_section>& s) {
    write_bytes(path, craft_snapshot(h, s));
  };
  const std::string indptr = raw_bytes(std::vector<i64>{0, 1, 2}), indices = raw_bytes(std::vector<i32>{1, 0});
  put(header_of(4, 8, 2, 2), {{"indptr", indptr}, {"indices", indices}});
  CHECK(ms::snapshot<float, i32, i64>(path).view().graph.nnz() == 2);  // the crafting itself is right
  put(header_of(3, 8, 2, 2), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "bad index widths, value kind or layout");
  put(header_of(4, 16, 2, 2), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "bad index widths, value kind or layout");
  put(header_of(4, 8, 2, 2, 0, 3), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "bad index widths, value kind or layout");
  put(header_of(4, 8, 2, 2), {{"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "missing section 'indptr'");
  put(header_of(4, 8, 2, 2), {{"indptr", indptr}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "missing section 'indices'");
  put(header_of(4, 8, 2, 2, 0, sf::float32), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "missing section 'values'");
  put(header_of(4, 8, 2, 2, 0, sf::float32),
      {{"indptr", indptr}, {"indices", indices}, {"values", raw_bytes(std::vector<float>{1})}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'values' has 4 bytes, expected 8");
  put(header_of(4, 8, 3, 2), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indptr' has 24 bytes, expected 32");
  put(header_of(4, 8, 2, 3), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indices' has 8 bytes, expected 12");
  put(header_of(4, 8, 2, 2), {{"indptr", raw_bytes(std::vector<i64>{1, 1, 2})}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "indptr does not run from 0 to the edge count");
  put(header_of(4, 8, 2, 2), {{"indptr", raw_bytes(std::vector<i64>{0, 1, 1})}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "indptr does not run from 0 to the edge count");
  put(header_of(4, 8, 2, 2),
      {{"indptr", indptr}, {"indices", indices}, {"features", raw_bytes(std::vector<float>{1, 2})}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "features without a dimension");
  put(header_of(4, 8, 2, 2, 3),
      {{"indptr", indptr}, {"indices", indices}, {"features", raw_bytes(std::vector<float>{1, 2})}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'features' has 8 bytes, expected 24");
  put(header_of(4, 8, 2, 2), {{"indptr", indptr}, {"indices", indices}, {"labels", raw_bytes(std::vector<i32>{1})}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'labels' has 4 bytes, expected 8");
  put(header_of(4, 8, 2, 2), {{"indptr", indptr}, {"indices", indices}, {"split/train", std::string(6, '\0')}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'split/train' has a partial id");
  put(header_of(4, 8, std::uint64_t{1} << 62, 2), {{"indptr", indptr}, {"indices", indices}});
  CHECK_CORRUPT_SNAPSHOT(load(), path, "cannot fit in");
  // Sections outside the file or misaligned; too many sections.
  {
    std::string file = craft_snapshot(header_of(4, 8, 2, 2), {{"indptr", indptr}, {"indices", indices}});
    const auto edit_entry = [&](std::size_t s, std::size_t field_offset, std::uint64_t value) {
      std::string f = file;
      std::memcpy(f.data() + sf::header_bytes + s * sf::entry_bytes + field_offset, &value, 8);
      sf::header h{};
      std::memcpy(&h, f.data(), sizeof h);
      h.table_checksum = XXH3_64bits(f.data() + sf::header_bytes, h.section_count * sf::entry_bytes);
      std::memcpy(f.data(), &h, sizeof h);
      reseal_header(f);
      return f;
    };
    write_bytes(path, edit_entry(1, 32, 8));  // offset inside the header, misaligned
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indices' lies outside the file");
    write_bytes(path, edit_entry(1, 32, 0));  // offset on the header
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indices' lies outside the file");
    write_bytes(path, edit_entry(1, 32, file.size() + 64));
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indices' lies outside the file");
    write_bytes(path, edit_entry(1, 40, file.size()));
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indices' lies outside the file");
    write_bytes(path, edit_entry(0, 40, ~std::uint64_t{0}));
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section 'indptr' lies outside the file");
    std::string many = file;
    const std::uint32_t count = 5000;
    std::memcpy(many.data() + 20, &count, 4);
    reseal_header(many);
    write_bytes(path, many);
    CHECK_CORRUPT_SNAPSHOT(load(), path, "section table outside the file");
  }
  // Converting narrower: a stored int64 column id that does not fit int32 is
  // an index_overflow_error (the documented checked narrowing), never a wrap.
  put(header_of(8, 8, 2, 2), {{"indptr", indptr}, {"indices", raw_bytes(std::vector<i64>{1, i64{1} << 40})}});
  CHECK_THROWS_AS(load(), ms::index_overflow_error);
  CHECK_CORRUPT_SNAPSHOT((ms::snapshot<float, i64, i64>(path)), path, "column 1099511627776 out of range");
}

// =================================================================================
// Inputs that exposed bugs in the library, fixed since; the notes describe the
// failure each one caught
// =================================================================================

TEST_CASE("regression: snapshot feature_dim whose byte count wraps gives a features span far beyond the file") {
  // snapshot.hpp, snapshot::typed(): the size check compares
  // static_cast<size_t>(count) * sizeof(T) with the section size, and the
  // product wraps: n = 1 and feature_dim = 2^62 make count * 4 = 2^64 = 0, so
  // an empty 'features' section passes and view().features has 2^62 elements
  // pointing into a file of a few hundred bytes (feature_dim = 2^63 even
  // becomes a negative feature_dim). Expected: format_error.
  const temp_dir tmp;
  const fs::path path = tmp / "features.snap";
  const std::string indptr = raw_bytes(std::vector<i64>{0, 0});
  for (const std::uint64_t dim : {std::uint64_t{1} << 62, std::uint64_t{1} << 63}) {
    CAPTURE(dim);
    write_bytes(path,
                craft_snapshot(header_of(4, 8, 1, 0, dim), {{"indptr", indptr}, {"indices", ""}, {"features", ""}}));
    const auto file_bytes = fs::file_size(path);
    try {
      const ms::snapshot<float, i32, i64> snap(path);
      CHECK_MESSAGE(snap.view().features.size_bytes() <= file_bytes,
                    "loaded a features span of " << snap.view().features.size() << " floats from a " << file_bytes
                                                 << "-byte file (feature_dim " << snap.view().feature_dim << ")");
    } catch (const ms::format_error& e) {
      CHECK(starts_with(e.what(), path.string() + ": corrupt snapshot: "));
    } catch (const ms::error& e) {
      MESSAGE("rejected as " << std::string(e.what()));  // index_overflow_error is acceptable too
    }
  }
}

TEST_CASE("regression: a snapshot with no sections passes a null pointer to memcpy") {
  // snapshot.hpp, snapshot::snapshot(): with section_count = 0 (and valid
  // checksums) `table` is an empty vector and memcpy(table.data() == nullptr,
  // ..., 0) is undefined behaviour (UBSan: "null pointer passed as argument
  // 1, which is declared to never be null"; found by fuzz/fuzz_snapshot).
  // Expected: format_error "missing section 'indptr'". Run in a child
  // process: a sanitizer build aborts.
  const temp_dir tmp;
  const fs::path path = tmp / "empty.snap";
  write_bytes(path, craft_snapshot(header_of(4, 8, 0, 0), {}));
  REQUIRE(fs::file_size(path) == sf::header_bytes);
  const auto outcome = run_isolated([&] { (void)ms::snapshot<float, i32, i64>(path); });
  INFO("outcome: ", outcome.kind, ": ", outcome.message);
  CHECK(outcome.kind == "format_error");
  CHECK(contains(outcome.message, "missing section 'indptr'"));
}

TEST_CASE("regression: snapshot with 2^60 - 1 vertices overflows int64 while composing its error message") {
  // snapshot.hpp, snapshot::typed(): for num_vertices = 2^60 - 1 (just under
  // the 'implausible sizes' limit) the indptr count is 2^60 and the message
  // computes count * int64(sizeof(T)) = 2^63, a signed overflow (UBSan:
  // "signed integer overflow: 1152921504606846976 * 8"; in release the
  // message says "expected -9223372036854775808"). Expected: a format_error
  // with a correct message. Run in a child process: a sanitizer build aborts.
  const temp_dir tmp;
  const fs::path path = tmp / "huge.snap";
  write_bytes(path, craft_snapshot(header_of(8, 8, (std::uint64_t{1} << 60) - 1, 0),
                                   {{"indptr", raw_bytes(std::vector<i64>{0, 0})}, {"indices", ""}}));
  const auto outcome = run_isolated([&] { (void)ms::snapshot<float, i64, i64>(path); });
  INFO("outcome: ", outcome.kind, ": ", outcome.message);
  CHECK(outcome.kind == "format_error");
  CHECK(starts_with(outcome.message, path.string() + ": corrupt snapshot: "));
  CHECK_FALSE(contains(outcome.message, "expected -"));
}

TEST_CASE("regression: an edge list with id INT64_MAX overflows the vertex count (int64 ids)") {
  // edge_list.hpp, read_edge_list(): n = max(max_row, max_col) + 1 overflows
  // int64 when an id is 9223372036854775807 (UBSan: "signed integer overflow:
  // 9223372036854775807 + 1"); in release n wraps negative and the builder
  // throws argument_error "negative shape". Expected: format_error naming the
  // file and line (the id cannot be a vertex of an int64-indexed graph).
  const temp_dir tmp;
  const fs::path path = tmp / "max.txt";
  write_bytes(path, "0 1\n0 9223372036854775807\n");
  const auto outcome = run_isolated([&] { (void)ms::read_edge_list<float, i64, i64>(path); });
  INFO("outcome: ", outcome.kind, ": ", outcome.message);
  CHECK(outcome.kind == "format_error");
  CHECK(starts_with(outcome.message, located(path, 2)));
}

TEST_CASE("regression: vertex counts too large for any vector throw std::length_error, not a matsample::error") {
  // read_edge_list (ids near INT64_MAX), read_matrix_market (size line) and
  // read_ogb (num-node-list) pass the count to csr_from_coo_pieces, whose
  // std::vector<int64_t> count(rows) throws std::length_error ("cannot create
  // std::vector larger than max_size()"). Callers that catch matsample::error
  // (as the library promises for bad input) do not catch it. Expected: a
  // matsample::error (format_error naming the file and line, or
  // index_overflow_error).
  const temp_dir tmp;
  const auto expect_matsample_error = [](auto&& f, const char* what) {
    INFO("case: ", std::string(what));
    try {
      f();
      FAIL_CHECK("no exception");
    } catch (const ms::error&) { CHECK(true); } catch (const std::exception& e) {
      FAIL_CHECK("threw " << std::string(typeid(e).name()) << ": " << std::string(e.what()));
    }
  };
  write_bytes(tmp / "el.txt", "1 9223372036854775807\n");
  expect_matsample_error([&] { (void)ms::read_edge_list<float, i64, i64>(tmp / "el.txt", {.one_based = true}); },
                         "edge list, 1-based, id INT64_MAX");
  write_bytes(tmp / "el0.txt", "0 9223372036854775806\n");
  expect_matsample_error([&] { (void)ms::read_edge_list<float, i64, i64>(tmp / "el0.txt"); },
                         "edge list, 0-based, id INT64_MAX - 1");
  write_bytes(tmp / "m.mtx", "%%MatrixMarket matrix coordinate pattern general\n9000000000000000000 1 0\n");
  expect_matsample_error([&] { (void)ms::read_matrix_market<float, i64, i64>(tmp / "m.mtx"); },
                         "matrix market size line");
  write_bytes(tmp / "ogb" / "raw" / "num-node-list.csv", "9000000000000000000\n");
  write_bytes(tmp / "ogb" / "raw" / "edge.csv", "0,1\n");
  expect_matsample_error([&] { (void)ms::read_ogb<float, i64, i64>(tmp / "ogb"); }, "OGB num-node-list");
}

TEST_CASE("regression: float weights are parsed as double and then rounded again to float") {
  // coo_text.hpp, read_coo_lines(): a weight is parsed with from_chars into a
  // double and then cast to V, so for V = float a decimal just above the
  // midpoint between two floats is rounded twice and lands on the wrong
  // float. "1.00000005960464477539062500001" lies above the midpoint
  // 1 + 2^-24 and must give 1 + 2^-23 (from_chars into float does); it gives
  // 1.0. Expected: correctly rounded weights (parse straight into V).
  const temp_dir tmp;
  write_bytes(tmp / "w.txt", "0 1 1.00000005960464477539062500001\n");
  const auto m = ms::read_edge_list<float, i32, i64>(tmp / "w.txt", {.weighted = true});
  REQUIRE(m.values().size() == 1);
  const auto hex = [](float x) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", static_cast<double>(x));
    return std::string(buffer);
  };
  INFO("edge list: read ", hex(m.values()[0]), ", expected ", hex(std::nextafter(1.0f, 2.0f)));
  CHECK(m.values()[0] == std::nextafter(1.0f, 2.0f));
  write_bytes(tmp / "w.mtx",
              "%%MatrixMarket matrix coordinate real general\n1 2 1\n1 2 1.00000005960464477539062500001\n");
  const auto mm = ms::read_matrix_market<float, i32, i64>(tmp / "w.mtx");
  REQUIRE(mm.values().size() == 1);
  INFO("matrix market: read ", hex(mm.values()[0]), ", expected ", hex(std::nextafter(1.0f, 2.0f)));
  CHECK(mm.values()[0] == std::nextafter(1.0f, 2.0f));
}

TEST_CASE("regression: write_ogb writes empty files that read_ogb rejects (an empty split, a graph without edges)") {
  // writers.hpp, write_ogb(): an empty split (csbm with valid_fraction = 0
  // makes one) is written as an empty valid.csv.gz, and a graph without
  // edges as an empty edge.csv.gz; ogb.hpp, read_ogb() then throws
  // "<file>:1: empty file" (text_file rejects empty files). Expected: what
  // write_ogb writes reads back (skip empty splits, or accept empty
  // split/edge files).
  const temp_dir tmp;
  const auto data = ms::csbm<float, i32, i64>({.num_vertices = 300, .valid_fraction = 0.0, .seed = 2});
  REQUIRE(data.splits.at("valid").empty());
  ms::write_ogb(tmp / "empty-split", data.view(), true);
  try {
    const auto back = ms::read_ogb<float, i32, i64>(tmp / "empty-split");
    CHECK(back.graph == data.graph);
    CHECK(back.splits.at("train") == data.splits.at("train"));
    CHECK(back.splits.at("test") == data.splits.at("test"));
    CHECK((back.splits.count("valid") == 0 || back.splits.at("valid").empty()));
  } catch (const ms::error& e) { FAIL_CHECK("reading back what write_ogb wrote: " << std::string(e.what())); }
  ms::graph_data<float, i32, i64> no_edges;
  no_edges.graph = ms::csr_matrix<float, i32, i64>(3, 3, {0, 0, 0, 0}, {});
  ms::write_ogb(tmp / "no-edges", no_edges.view(), true);
  try {
    CHECK(ms::read_ogb<float, i32, i64>(tmp / "no-edges").graph == no_edges.graph);
  } catch (const ms::error& e) { FAIL_CHECK("reading back what write_ogb wrote: " << std::string(e.what())); }
}

TEST_CASE("regression: an OGB label line that starts with \"nan\" is accepted whatever follows") {
  // ogb.hpp, io::read_column(): with allow_nan, a line whose first field
  // starts with "nan" is taken as unlabelled without checking the rest of the
  // line, so "nan 7" (two values) and "nanotalabel" (not a number) read as
  // -1, while "3 7" and "x" are errors. Expected: format_error naming the
  // file and line ("expected one label per line" / "malformed label").
  const temp_dir tmp;
  const fs::path dir = tmp / "ds";
  write_bytes(dir / "raw" / "num-node-list.csv", "3\n");
  write_bytes(dir / "raw" / "edge.csv", "0,1\n");
  const fs::path labels = dir / "raw" / "node-label.csv";
  write_bytes(labels, "0\nnan\n1\n");
  CHECK(ms::read_ogb<float, i32, i64>(dir).labels == std::vector<i32>{0, -1, 1});
  write_bytes(labels, "0\nnan 7\n1\n");
  CHECK_FORMAT_ERROR((ms::read_ogb<float, i32, i64>(dir)), labels, 2, "expected one label per line");
  write_bytes(labels, "0\nnanotalabel\n1\n");
  CHECK_FORMAT_ERROR((ms::read_ogb<float, i32, i64>(dir)), labels, 2, "malformed label");
}

TEST_CASE("bug: validate() reads before the indices for a negative row offset (snapshot with validate_graph)") {
  // csr.hpp, validate() (parallel since 30d7035): a row is skipped only when
  // its own offsets decrease or exceed nnz, so for indptr = {0, -1, 1} row 0
  // is recorded as bad but row 1 (offsets -1 .. 1) is still scanned from
  // entry -1: indices()[-1] is read before the array (UBSan: "addition of
  // unsigned offset ... overflowed" in std::span::operator[]; found by
  // fuzz/fuzz_snapshot). The serial version threw at row 0 first.
  // Expected: format_error "offsets decrease at row 0", no out-of-bounds
  // read. Run in a child process: a sanitizer build aborts.
  const temp_dir tmp;
  const fs::path path = tmp / "negative.snap";
  const std::vector<i64> offsets{0, -1, 1};
  const std::vector<i32> cols{0};
  ms::graph_data_view<float, i32, i64> d;
  d.graph = ms::csr_view<float, i32, i64>(2, 2, offsets, cols);
  ms::write_snapshot(path, d);
  const auto outcome = run_isolated([&] { (void)ms::snapshot<float, i32, i64>(path); });
  INFO("outcome: ", outcome.kind, ": ", outcome.message);
  CHECK(outcome.kind == "format_error");
  CHECK(contains(outcome.message, "offsets decrease at row 0"));
  // The same through csr_matrix's validating constructor (heap arrays).
  const auto direct = run_isolated([] { (void)ms::csr_matrix<float, i32, i64>(2, 2, {0, -1, 1}, {0}); });
  INFO("csr_matrix outcome: ", direct.kind, ": ", direct.message);
  CHECK(direct.kind == "matsample::error");
  CHECK(contains(direct.message, "offsets decrease at row 0"));
}

TEST_CASE("edge split files: round trip, and a split written for another graph is refused") {
  using I = std::int32_t;
  const temp_dir tmp;
  const auto g = ms::rmat<float, I, std::int64_t>({.scale = 7, .edge_factor = 6, .seed = 2});
  const auto sym = ms::csr_from_edges<float, I, std::int64_t>(
      g.rows(), std::vector<I>(g.view().indices().begin(), g.view().indices().end()),
      [&] {
        std::vector<I> rows;
        for (I u = 0; u < g.rows(); ++u) rows.insert(rows.end(), static_cast<std::size_t>(g.view().degree(u)), u);
        return rows;
      }(),
      {}, {.symmetrize = true, .merge_duplicates = true});
  const auto split = ms::random_edge_split(sym.view(), {.seed = 9});
  const auto dir = tmp / "split";
  CHECK_FALSE(ms::has_edge_split(dir));
  ms::write_edge_split(dir, sym.rows(), split);
  REQUIRE(ms::has_edge_split(dir));
  const auto back = ms::read_edge_split(dir, sym.view(), true);
  CHECK(back.train == split.train);
  CHECK(back.valid == split.valid);
  CHECK(back.test == split.test);
  CHECK(back.valid_negatives == split.valid_negatives);
  CHECK(back.test_negatives == split.test_negatives);
  CHECK(back.train_graph == split.train_graph);
  // One line of valid.csv as written: "u,v".
  std::ifstream valid(dir / "valid.csv");
  std::string line;
  std::getline(valid, line);
  CHECK(line == std::to_string(split.valid.src[0]) + "," + std::to_string(split.valid.dst[0]));
  // Another graph: its edges without the held-out ones are not train.csv.
  const auto other = ms::random_edge_split(sym.view(), {.seed = 10});
  CHECK_THROWS_AS(ms::read_edge_split(dir, other.train_graph.view(), true), ms::error);
  // A damaged file is a reader's error naming the file.
  write_bytes(dir / "test.csv", "1,2\nnot a pair\n");
  CHECK_THROWS_WITH_AS(ms::read_edge_split(dir, sym.view(), true), doctest::Contains("test.csv"), ms::format_error);
}

TEST_CASE_TEMPLATE("typed OGB round trip: relations, features, labels and splits per type", T, f32_i32_i64,
                   f64_i64_i64) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  auto data = ms::typed_csbm<V, I, O>({.counts = {300, 120, 9}, .feature_dim = 4, .seed = 3});
  data.types[0].labels[7] = -1;
  data.types[1].splits["train"] = {4, 2};
  ms::write_ogb_typed(tmp / "mag", data, "time");
  const auto back = ms::read_ogb_typed<V, I, O>(tmp / "mag");
  CHECK(back.graph == data.graph);
  REQUIRE(back.types.size() == 3);
  for (std::size_t t = 0; t < 3; ++t) {
    CHECK(back.types[t].feature_dim == data.types[t].feature_dim);
    CHECK(back.types[t].features == data.types[t].features);
    CHECK(back.types[t].labels == data.types[t].labels);
    CHECK(back.types[t].splits == data.types[t].splits);
  }
  // A graph of one type and no relations writes no triplet list, and reads back.
  ms::typed_graph_data<V, I, O> lone;
  const std::vector<std::int64_t> three{3};
  lone.graph = ms::typed_graph<V, I, O>(ms::typed_schema::from_counts({"a"}, three, {}), {});
  lone.types.resize(1);
  ms::write_ogb_typed(tmp / "lone", lone);
  CHECK(ms::read_ogb_typed<V, I, O>(tmp / "lone").graph == lone.graph);
  // Without the triplet list the relations come from the folders, in name order.
  fs::remove(tmp / "mag" / "raw" / "triplet-type-list.csv.gz");
  const auto folders = ms::read_ogb_typed<V, I, O>(tmp / "mag", {.read_features = false});
  CHECK(folders.graph.schema().num_relations() == 6);
  CHECK(folders.graph.schema().canonical_name(0) == "author___writes___paper");
  CHECK(folders.types[0].features.empty());
}

TEST_CASE("typed OGB: ogbn-mag's layout by hand, reverse relations, and errors that name the file and the type") {
  const temp_dir tmp;
  const fs::path dir = tmp / "mag";
  const fs::path raw = dir / "raw";
  const auto reset = [&] {
    fs::remove_all(dir);
    write_bytes(raw / "num-node-dict.csv", "author,paper\n2,3\n");
    write_bytes(raw / "triplet-type-list.csv", "author,writes,paper\npaper,cites,paper\n");
    write_bytes(raw / "relations" / "author___writes___paper" / "edge.csv", "0,1\n1,2\n1,0\n");
    write_bytes(raw / "relations" / "author___writes___paper" / "num-edge-list.csv", "3\n");
    write_bytes(raw / "relations" / "paper___cites___paper" / "edge.csv", "0,1\n2,2\n");
    write_bytes(raw / "node-feat" / "paper" / "node-feat.csv", "1,2\n3,4\n5,6\n");
    write_bytes(raw / "node-label" / "paper" / "node-label.csv", "0\nnan\n1\n");
    write_bytes(dir / "split" / "time" / "paper" / "train.csv", "0\n2\n");
  };
  const auto read = [&](ms::ogb_typed_options o = {}) { return ms::read_ogb_typed<float, i32, i64>(dir, o); };
  reset();
  {
    const auto good = read({.add_reverse_relations = true, .drop_self_loops = true});
    const auto& schema = good.graph.schema();
    CHECK(schema.vertex_types == std::vector<std::string>{"author", "paper"});
    CHECK(schema.num_relations() == 4);
    CHECK(schema.canonical_name(2) == "paper___rev_writes___author");
    CHECK(good.graph.relation(0).nnz() == 3);
    CHECK(good.graph.relation(1).nnz() == 1);  // the loop 2,2 dropped
    CHECK(good.types[1].feature_dim == 2);
    CHECK(good.types[1].labels == std::vector<i32>{0, -1, 1});
    CHECK(good.types[1].splits.at("train") == std::vector<i32>{0, 2});
    CHECK(good.types[0].features.empty());
    CHECK(good.types[0].splits.empty());
  }
  const auto message = [&] { return format_error_message([&] { (void)read(); }); };
  // An edge outside its relation's types: the file and line.
  write_bytes(raw / "relations" / "author___writes___paper" / "edge.csv", "0,1\n2,2\n1,0\n");
  CHECK(starts_with(message(), (raw / "relations" / "author___writes___paper" / "edge.csv").string() + ":2: "));
  reset();
  write_bytes(raw / "relations" / "author___writes___paper" / "num-edge-list.csv", "4\n");
  CHECK(contains(message(), "3 edge lines but num-edge-list.csv says 4"));
  reset();
  write_bytes(raw / "triplet-type-list.csv", "author,writes,paper\npaper,cites,venue\n");
  CHECK(contains(message(), "triplet-type-list.csv:2: vertex type 'venue' is not in num-node-dict"));
  reset();
  fs::remove_all(raw / "relations" / "paper___cites___paper");
  CHECK(contains(message(), "paper___cites___paper: missing (listed in triplet-type-list)"));
  reset();
  write_bytes(raw / "num-node-dict.csv", "author,paper\n2\n");
  CHECK(contains(message(), "num-node-dict.csv:2: 1 counts for 2 types"));
  reset();
  write_bytes(raw / "num-node-dict.csv", "author,paper\n2,x\n");
  CHECK(contains(message(), "count of type 'paper' is not a count: 'x'"));
  reset();
  write_bytes(raw / "node-label" / "paper" / "node-label.csv", "0\n1\n");
  CHECK(contains(message(), "2 labels for 3 vertices of type 'paper'"));
  reset();  // a split name that is not there: the ones present are named, as for untyped data
  CHECK(contains(format_error_message([&] { (void)read({.split = "random"}); }),
                 "split 'random' not found (the splits are: time)"));
  write_bytes(dir / "split" / "other" / "paper" / "train.csv", "1\n");
  CHECK_THROWS_WITH_AS(read(), doctest::Contains("several splits; name one with ogb_typed_options::split"),
                       ms::argument_error);
  reset();
  write_bytes(dir / "split" / "time" / "paper" / "train.csv", "0\n3\n");
  CHECK(starts_with(message(), (dir / "split" / "time" / "paper" / "train.csv").string() + ":2: "));
  reset();
  fs::remove(raw / "triplet-type-list.csv");
  write_bytes(raw / "relations" / "paper_cites" / "edge.csv", "0,1\n");
  CHECK(contains(message(), "not a relation folder <source>___<relation>___<destination>"));
  reset();
  write_bytes(raw / "num-node-dict.csv", "author,paper\n2,3000000000\n");
  CHECK_THROWS_AS(read(), ms::index_overflow_error);
  CHECK_THROWS_AS((ms::read_ogb_typed<float, i64, i64>(dir)), ms::size_error);  // 3e9 of anything, before allocating
}

namespace {
/// 300 papers, 120 authors, 9 fields, 4 features (set field by field: GCC 12
/// fails on this designated initializer inside a test template).
ms::typed_csbm_options small_typed() {
  ms::typed_csbm_options o;
  o.counts = {300, 120, 9};
  o.feature_dim = 4;
  o.seed = 3;
  return o;
}
}  // namespace

TEST_CASE_TEMPLATE("typed snapshot round trip: in place when the widths match, converted otherwise", T, f32_i32_i64,
                   f64_i64_i64, f32_i32_i32) {
  using V = typename T::V;
  using I = typename T::I;
  using O = typename T::O;
  const temp_dir tmp;
  auto data = ms::typed_csbm<float, std::int32_t, std::int64_t>(small_typed());
  data.types[0].labels[5] = -1;
  data.types[1].splits["train"] = {3, 1};
  // A weighted relation beside pattern ones: values per relation.
  const auto cites = data.graph.relation(0).view();
  std::vector<float> w(static_cast<std::size_t>(cites.nnz()));
  for (std::size_t e = 0; e < w.size(); ++e) w[e] = 0.25f + static_cast<float>(e % 7);
  auto matrices = std::vector<ms::csr_matrix<float, std::int32_t, std::int64_t>>{};
  for (std::int32_t r = 0; r < data.graph.schema().num_relations(); ++r) matrices.push_back(data.graph.relation(r));
  matrices[0] = ms::csr_matrix<float, std::int32_t, std::int64_t>(cites.rows(), cites.cols(),
                                                                  {cites.indptr().begin(), cites.indptr().end()},
                                                                  {cites.indices().begin(), cites.indices().end()}, w);
  data.graph = ms::typed_graph<float, std::int32_t, std::int64_t>(data.graph.schema(), std::move(matrices));
  const fs::path path = tmp / "typed.snap";
  ms::write_typed_snapshot(path, data);
  const ms::typed_snapshot<V, I, O> snap(path);
  CHECK(snap.zero_copy() ==
        (std::is_same_v<V, float> && std::is_same_v<I, std::int32_t> && std::is_same_v<O, std::int64_t>));
  const auto& g = snap.graph();
  CHECK(g.schema() == data.graph.schema());
  for (std::int32_t r = 0; r < g.schema().num_relations(); ++r) {
    const auto a = g.relation(r), b = data.graph.relation(r).view();
    CHECK(same_elements(a.indptr(), b.indptr()));
    CHECK(same_elements(a.indices(), b.indices()));
    CHECK(a.has_values() == b.has_values());
    if (a.has_values())
      CHECK(std::ranges::equal(a.values(), b.values(), [](V x, float y) { return x == static_cast<V>(y); }));
  }
  for (std::int32_t t = 0; t < 3; ++t) {
    const auto& tv = snap.type(t);
    const auto& want = data.types[static_cast<std::size_t>(t)];
    CHECK(tv.feature_dim == want.feature_dim);
    CHECK(std::ranges::equal(tv.features, want.features));
    CHECK(std::ranges::equal(tv.labels, want.labels));
    CHECK(tv.splits.size() == want.splits.size());
    for (const auto& [name, ids] : want.splits)
      CHECK(same_elements(tv.splits.at(name), std::span<const std::int32_t>(ids)));
  }
  // The typed sampler runs on the mapped graph and samples what it samples on the original.
  if constexpr (std::is_same_v<I, std::int32_t> && std::is_same_v<O, std::int64_t> && std::is_same_v<V, float>) {
    std::vector<I> papers(64);
    std::iota(papers.begin(), papers.end(), 0);
    const auto seeds = ms::typed_batch_list<I>::of_type(3, 0, ms::batch_list<I>::uniform(papers, 16));
    const ms::typed_nodewise_options o{.fanouts = ms::uniform_fanouts(g.schema(), {3, 2}), .weighted = true, .seed = 4};
    CHECK(ms::sample_typed_nodewise(test::cpu2, g, seeds, o) ==
          ms::sample_typed_nodewise(test::cpu2, data.graph.view(), seeds, o));
  }
}

TEST_CASE("typed snapshots: the wrong loader, damage and bad names are refused clearly") {
  const temp_dir tmp;
  const auto data = ms::typed_csbm<float, i32, i64>({.counts = {50, 20, 4}, .seed = 2});
  const fs::path typed = tmp / "typed.snap", plain = tmp / "plain.snap";
  ms::write_typed_snapshot(typed, data);
  const auto untyped = ms::csbm<float, i32, i64>({.num_vertices = 100, .seed = 1});
  ms::write_snapshot(plain, untyped.view());
  CHECK(contains(format_error_message([&] { (void)ms::snapshot<float, i32, i64>(typed); }),
                 "a typed snapshot; load it with typed_snapshot"));
  CHECK(contains(format_error_message([&] { (void)ms::typed_snapshot<float, i32, i64>(plain); }),
                 "an untyped snapshot; load it with snapshot"));
  // A flipped byte inside the data: the section checksum says so.
  std::string bytes = read_bytes(typed);
  bytes[bytes.size() - 10] ^= 0x20;
  write_bytes(typed, bytes);
  CHECK_CORRUPT_SNAPSHOT((ms::typed_snapshot<float, i32, i64>(typed)), typed, "checksum mismatch");
  // The same damage with checksums off is caught by the structural checks or loads valid data, never crashes.
  try {
    (void)ms::typed_snapshot<float, i32, i64>(typed, {false, true});
  } catch (const ms::format_error&) {}
  auto named = data;
  named.graph = ms::typed_graph<float, i32, i64>(
      ms::typed_schema::from_counts({"a\tb", "author", "field"}, std::vector<std::int64_t>{50, 20, 4}, {}), {});
  CHECK_THROWS_WITH_AS(ms::write_typed_snapshot(tmp / "bad.snap", named), doctest::Contains("holds a tab"),
                       ms::argument_error);
}
