// Inputs that lie about their size: every reader prices a size claim (a
// header field, a count file, the largest id of an edge list) against what
// the file can hold and the memory limit before it allocates, and throws
// size_error naming the file, the line and the claim. Sparse ids load
// compacted through an id map, which snapshots keep and per-vertex tables
// go through. The memory limit is pinned to 4 GB here, so the results do
// not depend on the machine; tests/size_claims.sh runs the same inputs
// through graph_tool under a real 4 GB address-space limit.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "files.hpp"
#include "matsample/io.hpp"
#include "matsample/matsample.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

using test::temp_dir;
using test::write_bytes;

/// Pins the memory limit for one test case.
struct memory_limit_pin {
  explicit memory_limit_pin(std::int64_t bytes) { ms::set_memory_limit(bytes); }
  memory_limit_pin(const memory_limit_pin&) = delete;
  memory_limit_pin& operator=(const memory_limit_pin&) = delete;
  ~memory_limit_pin() { ms::set_memory_limit(0); }
};
constexpr std::int64_t four_gb = std::int64_t{4} << 30;

/// The message of the size_error that f throws, and how long f took; a
/// failed check when it throws anything else or nothing.
template <class F>
std::string size_error_message(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string message;
  try {
    f();
    FAIL_CHECK("expected matsample::size_error, nothing was thrown");
  } catch (const ms::size_error& e) { message = e.what(); } catch (const std::exception& e) {
    FAIL_CHECK("expected matsample::size_error, got: " << std::string(e.what()));
  }
  // Refused from the claim, not after touching gigabytes.
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5.0);
  return message;
}

void contains_all(const std::string& message, std::initializer_list<const char*> parts) {
  for (const char* part : parts)
    CHECK_MESSAGE(message.find(part) != std::string::npos, message, " lacks: ", std::string(part));
}

}  // namespace

TEST_CASE("memory limit: sizes parse, the override wins, claims beyond it throw size_error") {
  CHECK(ms::parse_byte_size("123") == 123);
  CHECK(ms::parse_byte_size("4K") == 4096);
  CHECK(ms::parse_byte_size("64M") == std::int64_t{64} << 20);
  CHECK(ms::parse_byte_size("1.5GiB") == std::int64_t{3} << 29);
  CHECK(ms::parse_byte_size("2t") == std::int64_t{2} << 40);
  CHECK(ms::parse_byte_size("4 GB\n") == -1);  // no blank inside
  CHECK(ms::parse_byte_size("lots") == -1);
  CHECK(ms::parse_byte_size("-5") == -1);
  CHECK(ms::parse_byte_size("7X") == -1);

  const auto automatic = ms::memory_limit();
  CHECK(automatic.bytes > 0);
  CHECK(automatic.source != "set_memory_limit");
  {
    const memory_limit_pin pin(1000);
    CHECK(ms::memory_limit().bytes == 1000);
    CHECK(ms::memory_limit().source == "set_memory_limit");
    CHECK_NOTHROW(ms::require_memory(1000, "x"));
    const auto message = size_error_message([] { ms::require_memory(1001, "the claim", "Do this."); });
    contains_all(message, {"the claim: that needs 1001 bytes", "1000 bytes is available (set_memory_limit)", "Do this.",
                           "MATSAMPLE_MEMORY_LIMIT"});
  }
  CHECK(ms::memory_limit().bytes == automatic.bytes);
  CHECK_THROWS_AS(throw ms::size_error("x"), ms::error);
}

TEST_CASE("builders: a shape beyond the memory limit throws size_error before the row arrays") {
  const memory_limit_pin pin(four_gb);
  const std::vector<i64> r{0}, c{1};
  const auto message = size_error_message([&] {
    (void)ms::csr_from_coo<float, i64, i64>(2'000'000'000, 2, std::span<const i64>(r), std::span<const i64>(c));
  });
  contains_all(message, {"CSR matrix of 2000000000 rows", "GB of memory"});
}

TEST_CASE("edge lists: an id far beyond the line count is refused with a pointer to compact_ids") {
  const memory_limit_pin pin(four_gb);
  const temp_dir dir;
  for (const char* big : {"2000000000", "3000000000", "99999999999", "4611686018427387904"}) {
    CAPTURE(big);
    write_bytes(dir / "edges.txt", std::string("0 1\n1 ") + big + "\n");
    const auto message = size_error_message([&] { (void)ms::read_edge_list<float, i64, i64>(dir / "edges.txt"); });
    contains_all(message, {"edges.txt:2: target id ", big, " vertices for 2 edge lines", "compact_ids", "--compact-ids",
                           "num_vertices"});
  }
  // 32-bit ids: the id itself does not fit, a format_error naming it.
  write_bytes(dir / "edges.txt", "0 1\n1 3000000000\n");
  CHECK_THROWS_WITH_AS((void)(ms::read_edge_list<float, i32, i64>(dir / "edges.txt")),
                       doctest::Contains("edges.txt:2: target id 3000000000 does not fit a 32-bit index"),
                       ms::format_error);
  // Beyond int64: said so, with the line.
  write_bytes(dir / "edges.txt", "0 1\n99999999999999999999 1\n");
  CHECK_THROWS_WITH_AS((void)(ms::read_edge_list<float, i64, i64>(dir / "edges.txt")),
                       doctest::Contains("edges.txt:2: out-of-range source id '99999999999999999999' (beyond the "
                                         "64-bit integers"),
                       ms::format_error);
  // Isolated vertices stated by the caller are real: num_vertices is believed, within memory.
  write_bytes(dir / "edges.txt", "0 1\n1 2000000\n");
  CHECK_THROWS_AS((void)(ms::read_edge_list<float, i64, i64>(dir / "edges.txt")), ms::size_error);
  const auto stated = ms::read_edge_list<float, i64, i64>(dir / "edges.txt", {.num_vertices = 2'000'001});
  CHECK(stated.rows() == 2'000'001);
  const auto message = size_error_message(
      [&] { (void)ms::read_edge_list<float, i64, i64>(dir / "edges.txt", {.num_vertices = 2'000'000'000}); });
  contains_all(message, {"edges.txt: num_vertices = 2000000000"});
  // Dense ids with isolated vertices below the sparse bound load as before.
  write_bytes(dir / "edges.txt", "0 1\n1 1000000\n");
  CHECK(ms::read_edge_list<float, i64, i64>(dir / "edges.txt").rows() == 1'000'001);
}

TEST_CASE("Matrix Market: a size line that claims more than the file or memory holds is refused") {
  const memory_limit_pin pin(four_gb);
  const temp_dir dir;
  write_bytes(dir / "m.mtx", "%%MatrixMarket matrix coordinate pattern general\n% c\n2000000000 2000000000 1\n1 2\n");
  auto message = size_error_message([&] { (void)ms::read_matrix_market<float, i64, i64>(dir / "m.mtx"); });
  contains_all(message, {"m.mtx:3: the size line declares 2000000000 rows, 2000000000 columns and 1 entries",
                         "GB of memory", "4.3 GB is available (set_memory_limit)"});
  write_bytes(dir / "m.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 1000000000\n1 2 1.0\n");
  message = size_error_message([&] { (void)ms::read_matrix_market<float, i64, i64>(dir / "m.mtx"); });
  contains_all(message, {"m.mtx:2: the size line declares 1000000000 entries", "can hold at most 4 lines"});
}

TEST_CASE("OGB: a vertex or edge count beyond memory or the edge file is refused, naming the count file") {
  const memory_limit_pin pin(four_gb);
  const temp_dir dir;
  write_bytes(dir / "g/raw/edge.csv", "0,1\n1,2\n");
  write_bytes(dir / "g/raw/num-node-list.csv", "2000000000\n");
  auto message = size_error_message([&] { (void)ms::read_ogb<float, i64, i64>(dir / "g"); });
  contains_all(message, {"num-node-list.csv:1: the vertex count 2000000000", "GB of memory"});
  write_bytes(dir / "g/raw/num-node-list.csv", "3\n");
  write_bytes(dir / "g/raw/num-edge-list.csv", "5000000000\n");
  message = size_error_message([&] { (void)ms::read_ogb<float, i64, i64>(dir / "g"); });
  contains_all(message, {"num-edge-list.csv:1: the edge count 5000000000", "room for at most 4 lines"});
}

TEST_CASE("compact ids: a sparse-id edge list loads as the dense graph, with the id map") {
  // A random graph on 0..n-1 whose ids are written through a strictly
  // increasing map spanning negative and huge int64 values: the compacted
  // load is the dense load, and the map gives the written ids back.
  constexpr std::int64_t n = 3000;
  std::mt19937_64 rng(5);
  std::vector<std::int64_t> written(n);
  std::int64_t id = std::numeric_limits<std::int64_t>::min() + 17;
  for (auto& w : written) {
    w = id;
    id += static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 50)) + 1;  // 3000 steps < 2^62: no overflow
  }
  std::string dense, sparse;
  for (std::int64_t v = 0; v < n; ++v) {  // every vertex occurs: a cycle, plus random chords
    const std::int64_t to = (v + 1) % n, chord = static_cast<std::int64_t>(rng() % n);
    for (const auto t : {to, chord}) {
      dense += std::to_string(v) + " " + std::to_string(t) + " 0.5\n";
      sparse += std::to_string(written[v]) + "," + std::to_string(written[t]) + ",0.5\n";
    }
  }
  const temp_dir dir;
  write_bytes(dir / "dense.txt", dense);
  write_bytes(dir / "sparse.txt", sparse);
  const ms::edge_list_options options{.weighted = true, .build = {.symmetrize = true, .merge_duplicates = true}};
  const auto expected = ms::read_edge_list<double, i64, i64>(dir / "dense.txt", options);
  // Dense loading refuses them (a negative id), pointing at the option.
  CHECK_THROWS_WITH_AS((void)(ms::read_edge_list<double, i64, i64>(dir / "sparse.txt", options)),
                       doctest::Contains("compact_ids"), ms::format_error);
  auto compact = options;
  compact.compact_ids = true;
  std::vector<std::int64_t> original;
  const auto got = ms::read_edge_list<double, i64, i64>(dir / "sparse.txt", compact, &original);
  CHECK(got == expected);
  CHECK(original == written);
  const auto got32 = ms::read_edge_list<double, i32, i32>(dir / "sparse.txt", compact);  // the map fits any width
  CHECK(got32.rows() == n);
  CHECK(got32.nnz() == expected.nnz());

  // Tables in the written ids go through the map.
  std::string features = "# id f0 f1\n", labels, split;
  for (std::int64_t v = n - 1; v >= 0; --v) {
    features += std::to_string(written[v]) + " " + std::to_string(v) + " " + std::to_string(-v) + "\n";
    if (v % 3 == 0) labels += std::to_string(written[v]) + "," + std::to_string(v % 7) + "\n";
    if (v % 10 == 0) split += std::to_string(written[v]) + "\n";
  }
  write_bytes(dir / "features.txt", features);
  write_bytes(dir / "labels.txt", labels);
  write_bytes(dir / "train.txt", split);
  std::int64_t dim = 0;
  const auto x = ms::read_vertex_features(dir / "features.txt", n, dim, original);
  REQUIRE(dim == 2);
  const auto y = ms::read_vertex_labels(dir / "labels.txt", n, original);
  const auto train = ms::read_vertex_ids<i64>(dir / "train.txt", n, original);
  for (std::int64_t v = 0; v < n; ++v) {
    CHECK(x[v * 2] == static_cast<float>(v));
    CHECK(x[v * 2 + 1] == static_cast<float>(-v));
    CHECK(y[v] == (v % 3 == 0 ? v % 7 : -1));
  }
  REQUIRE(train.size() == static_cast<std::size_t>(n / 10));
  for (std::size_t k = 0; k < train.size(); ++k) CHECK(train[k] == n - 10 - 10 * static_cast<std::int64_t>(k));

  // An id that is not in the graph, a duplicate row, a missing row: named.
  write_bytes(dir / "bad.txt", std::to_string(written[0]) + "\n12345\n");
  CHECK_THROWS_WITH_AS((void)(ms::read_vertex_ids<i64>(dir / "bad.txt", n, original)),
                       doctest::Contains("bad.txt:2: id 12345 is not a vertex of the graph"), ms::format_error);
  write_bytes(dir / "bad.txt", std::to_string(written[4]) + " 1\n" + std::to_string(written[4]) + " 2\n");
  const std::string second_row = "bad.txt:2: vertex id " + std::to_string(written[4]) + " has a second row";
  CHECK_THROWS_WITH_AS((void)ms::read_vertex_labels(dir / "bad.txt", n, original),
                       doctest::Contains(second_row.c_str()), ms::format_error);
  write_bytes(dir / "bad.txt", std::to_string(written[0]) + " 1 2\n");
  const std::string missing_row = "no feature row for vertex id " + std::to_string(written[1]);
  CHECK_THROWS_WITH_AS((void)ms::read_vertex_features(dir / "bad.txt", n, dim, original),
                       doctest::Contains(missing_row.c_str()), ms::format_error);
  const std::vector<std::int64_t> seeds{written[7], written[2]};
  CHECK(ms::to_vertices<i32>(original, seeds, "seeds") == std::vector<i32>{7, 2});
  const std::vector<std::int64_t> stray{written[7], 99};
  CHECK_THROWS_WITH_AS((void)(ms::to_vertices<i32>(original, stray, "seeds")),
                       doctest::Contains("seeds: id 99 (entry 1) is not a vertex"), ms::out_of_range_error);

  // Snapshots keep the map and check it.
  ms::graph_data<double, i64, i64> data;
  data.graph = got;
  data.original_ids = original;
  ms::write_snapshot(dir / "g.snap", data.view());
  const ms::snapshot<double, i64, i64> snap(dir / "g.snap");
  CHECK(std::ranges::equal(snap.view().original_ids, original));
  data.original_ids[5] = data.original_ids[4];
  CHECK_THROWS_WITH_AS(ms::write_snapshot(dir / "h.snap", data.view()), doctest::Contains("strictly increasing"),
                       ms::argument_error);
}

TEST_CASE("compact ids on an empty or comment-only edge list: the usual error") {
  const temp_dir dir;
  write_bytes(dir / "e.txt", "# nothing\n");
  CHECK_THROWS_WITH_AS((void)(ms::read_edge_list<float, i64, i64>(dir / "e.txt", {.compact_ids = true})),
                       doctest::Contains("no edges"), ms::format_error);
}

// ---- NumPy .npy arrays ---------------------------------------------------------

namespace {

/// A .npy file's bytes: the header numpy.save writes (padded to 64 bytes),
/// then `data`.
std::string npy_bytes(const std::string& descr, const std::string& shape, std::string_view data, int version = 1,
                      const std::string& order = "False") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': (" + shape + "), }";
  const std::size_t fixed = version == 1 ? 10 : 12;
  while ((fixed + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  const auto length = header.size();
  for (std::size_t b = 0; b < (version == 1 ? 2u : 4u); ++b) out += static_cast<char>((length >> (8 * b)) & 0xff);
  return out + header + std::string(data);
}

template <class T>
std::string_view raw(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

}  // namespace

TEST_CASE("npy: every element type converts with a check; the shape is checked against the file") {
  const temp_dir dir;
  const std::vector<float> f{1.5F, -2.0F, 3.0F, 4.25F, 0.0F, 6.0F};
  write_bytes(dir / "f.npy", npy_bytes("<f4", "3, 2", raw(f)));
  const auto a = ms::read_npy<float>(dir / "f.npy");
  CHECK(a.shape == std::vector<std::int64_t>{3, 2});
  CHECK(a.values == f);
  write_bytes(dir / "f2.npy", npy_bytes("<f4", "3, 2", raw(f), 2));  // format 2.0: a 4-byte header length
  CHECK(ms::read_npy<float>(dir / "f2.npy").values == f);

  const std::vector<std::int64_t> ids{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                      std::numeric_limits<std::int64_t>::max()};
  write_bytes(dir / "i8.npy", npy_bytes("<i8", "4,", raw(ids)));
  CHECK(ms::read_npy<std::int64_t>(dir / "i8.npy").values == ids);  // exact, not through a double
  CHECK_THROWS_WITH_AS((void)ms::read_npy<std::int32_t>(dir / "i8.npy"),
                       doctest::Contains("i8.npy: element 0 does not fit a 32-bit integer"), ms::format_error);
  const std::vector<std::uint8_t> bytes{0, 7, 255};
  write_bytes(dir / "u1.npy", npy_bytes("|u1", "3,", raw(bytes)));
  CHECK(ms::read_npy<std::int32_t>(dir / "u1.npy").values == std::vector<std::int32_t>{0, 7, 255});
  const std::vector<std::uint64_t> huge{std::uint64_t{1} << 63};
  write_bytes(dir / "u8.npy", npy_bytes("<u8", "1,", raw(huge)));
  CHECK_THROWS_WITH_AS((void)ms::read_npy<std::int64_t>(dir / "u8.npy"), doctest::Contains("does not fit"),
                       ms::format_error);
  const std::vector<double> d{2.0, 2.5};
  write_bytes(dir / "f8.npy", npy_bytes("<f8", "2,", raw(d)));
  CHECK_THROWS_WITH_AS((void)ms::read_npy<std::int32_t>(dir / "f8.npy"),
                       doctest::Contains("element 1 (2.5) is not an integer"), ms::format_error);
  const std::vector<double> inf{1e300};
  write_bytes(dir / "inf.npy", npy_bytes("<f8", "1,", raw(inf)));
  CHECK_THROWS_WITH_AS((void)ms::read_npy<float>(dir / "inf.npy"), doctest::Contains("is not finite"),
                       ms::format_error);

  // Claims and layouts it refuses.
  write_bytes(dir / "claims.npy", npy_bytes("<f4", "1000000000, 10", raw(f)));
  const auto message = size_error_message([&] { (void)ms::read_npy<float>(dir / "claims.npy"); });
  CHECK(message.find("claims 10000000000 elements of 4 bytes, but the file holds 24 bytes") != std::string::npos);
  write_bytes(dir / "overflow.npy", npy_bytes("<f4", "4294967296, 4294967296", raw(f)));
  CHECK_THROWS_AS((void)ms::read_npy<float>(dir / "overflow.npy"), ms::error);
  write_bytes(dir / "fortran.npy", npy_bytes("<f4", "3, 2", raw(f), 1, "True"));
  CHECK_THROWS_WITH_AS((void)ms::read_npy<float>(dir / "fortran.npy"), doctest::Contains("Fortran-order"),
                       ms::format_error);
  write_bytes(dir / "big.npy", npy_bytes(">f4", "3, 2", raw(f)));
  CHECK_THROWS_WITH_AS((void)ms::read_npy<float>(dir / "big.npy"), doctest::Contains("unsupported element type '>f4'"),
                       ms::format_error);
  write_bytes(dir / "text.npy", "not numpy at all");
  CHECK_THROWS_WITH_AS((void)ms::read_npy<float>(dir / "text.npy"), doctest::Contains("not a .npy file"),
                       ms::format_error);
  write_bytes(dir / "short.npy", npy_bytes("<f4", "3, 2", raw(f)).substr(0, 30));
  CHECK_THROWS_AS((void)ms::read_npy<float>(dir / "short.npy"), ms::format_error);
}
