// libFuzzer harness for the snapshot loaders (snapshot and typed_snapshot,
// each given every input: each must refuse the other's files cleanly).
//
// Input: one flag byte, then the file's bytes.
//   bit 0: before writing the file, repair what random mutations almost
//          always break, so that the fuzzer reaches the structural checks
//          behind them: the magic and version (bit 1), the file size in the
//          header (bit 2), every in-bounds section checksum, the table
//          checksum and the header checksum;
//   bits 3-4: load as <float, int32, int64>, <double, int64, int64>,
//          <float, int32, int32> or <double, int64, int32>;
//   bit 5: verify_checksums off (validate_graph stays on).
// With MATSAMPLE_FUZZ_SKIP_KNOWN=1 in the environment, inputs that would hit
// a bug already reported (tests/test_io.cpp, "bug: ...") and not yet fixed
// are skipped, so that a run can look for new ones: for now a negative row
// offset in the 'indptr' section (validate() then reads before the indices).

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

namespace sf = matsample::snapshot_format;

void repair(std::string& file, std::uint8_t flags) {
  if (file.size() < sf::header_bytes) return;
  sf::header h{};
  std::memcpy(&h, file.data(), sizeof h);
  if ((flags & 2) != 0) {
    h.magic = sf::magic;
    h.version = sf::version;
  }
  if ((flags & 4) != 0) h.file_bytes = file.size();
  const std::uint64_t table_end = sf::header_bytes + std::uint64_t{h.section_count} * sf::entry_bytes;
  if (h.section_count <= 4096 && table_end <= file.size()) {
    for (std::uint32_t s = 0; s < h.section_count; ++s) {
      sf::entry e{};
      char* at = file.data() + sf::header_bytes + std::size_t{s} * sf::entry_bytes;
      std::memcpy(&e, at, sizeof e);
      if (e.offset <= file.size() && e.bytes <= file.size() - e.offset) {
        e.checksum = XXH3_64bits(file.data() + e.offset, e.bytes);
        std::memcpy(at, &e, sizeof e);
      }
    }
    h.table_checksum = XXH3_64bits(file.data() + sf::header_bytes, std::size_t{h.section_count} * sf::entry_bytes);
  }
  h.header_checksum = XXH3_64bits(&h, offsetof(sf::header, header_checksum));
  std::memcpy(file.data(), &h, sizeof h);
}

template <class T>
void within_file(std::span<const T> s, std::size_t file_bytes) {
  FUZZ_ASSERT(s.size() <= file_bytes / 4);
}

template <class V, class I, class O>
void run(const fuzz::fs::path& path, matsample::snapshot_options options, std::size_t file_bytes) {
  namespace ms = matsample;
  std::optional<ms::snapshot<V, I, O>> snap;
  try {
    snap.emplace(path, options);
  } catch (const ms::error&) { return; }
  const auto& v = snap->view();
  const auto& g = v.graph;
  within_file(g.indptr(), file_bytes);
  within_file(g.indices(), file_bytes);
  within_file(g.values(), file_bytes);
  within_file(v.features, file_bytes);
  within_file(v.labels, file_bytes);
  FUZZ_ASSERT(g.rows() == g.cols());
  FUZZ_ASSERT(v.feature_dim >= 0);
  FUZZ_ASSERT(v.features.empty() || static_cast<std::int64_t>(v.features.size()) == g.rows() * v.feature_dim);
  FUZZ_ASSERT(v.labels.empty() || static_cast<std::int64_t>(v.labels.size()) == g.rows());
  try {
    ms::validate(g);
  } catch (const ms::error&) { fuzz::finding("a loaded snapshot (validate_graph on) is not a valid CSR"); }
  double sum = 0;
  for (I r = 0; r < g.rows(); ++r) {
    for (O e = g.row_begin(r); e < g.row_end(r); ++e)
      sum += static_cast<double>(g.value(e)) + static_cast<double>(g.indices()[e]);
  }
  for (const float x : v.features) sum += x;
  for (const auto l : v.labels) sum += l;
  for (const auto& [name, ids] : v.splits) {
    within_file(ids, file_bytes);
    for (const I id : ids) FUZZ_ASSERT(id >= 0 && id < g.rows());
  }
  (void)sum;
  if (v.num_vertices() > 0 && !v.features.empty()) (void)v.feature_row(v.num_vertices() - 1);
}

/// The typed loader on the same file: every relation a valid CSR of its
/// types' shape inside the file, every type's tables of its count.
template <class V, class I, class O>
void run_typed(const fuzz::fs::path& path, matsample::snapshot_options options, std::size_t file_bytes) {
  namespace ms = matsample;
  std::optional<ms::typed_snapshot<V, I, O>> snap;
  try {
    snap.emplace(path, options);
  } catch (const ms::error&) { return; }
  const auto& g = snap->graph();
  const auto& schema = g.schema();
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto a = g.relation(r);
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    within_file(a.indptr(), file_bytes);
    within_file(a.indices(), file_bytes);
    FUZZ_ASSERT(a.rows() == schema.num_vertices(rel.row_type) && a.cols() == schema.num_vertices(rel.col_type));
    try {
      ms::validate(a);
    } catch (const ms::error&) { fuzz::finding("a loaded typed snapshot (validate_graph on) holds an invalid CSR"); }
  }
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& tv = snap->type(t);
    const auto n = schema.num_vertices(t);
    FUZZ_ASSERT(tv.features.empty() || static_cast<std::int64_t>(tv.features.size()) == n * tv.feature_dim);
    FUZZ_ASSERT(tv.labels.empty() || static_cast<std::int64_t>(tv.labels.size()) == n);
    for (const auto& [name, ids] : tv.splits) {
      for (const I id : ids) FUZZ_ASSERT(id >= 0 && id < n);
    }
  }
}

bool hits_known_bug(const std::string& file) {
  static const bool skip = [] {
    const char* env = std::getenv("MATSAMPLE_FUZZ_SKIP_KNOWN");
    return env != nullptr && std::string(env) == "1";
  }();
  if (!skip || file.size() < sf::header_bytes) return false;
  sf::header h{};
  std::memcpy(&h, file.data(), sizeof h);
  const std::uint64_t table_end = sf::header_bytes + std::uint64_t{h.section_count} * sf::entry_bytes;
  if (h.section_count > 4096 || table_end > file.size() || (h.offset_bytes != 4 && h.offset_bytes != 8)) return false;
  for (std::uint32_t s = 0; s < h.section_count; ++s) {
    sf::entry e{};
    std::memcpy(&e, file.data() + sf::header_bytes + std::size_t{s} * sf::entry_bytes, sizeof e);
    if (std::string(e.name.data(), strnlen(e.name.data(), sf::name_bytes)) != "indptr") continue;
    if (e.offset > file.size() || e.bytes > file.size() - e.offset) return false;
    for (std::uint64_t at = e.offset; at + h.offset_bytes <= e.offset + e.bytes; at += h.offset_bytes) {
      std::int64_t v = 0;
      if (h.offset_bytes == 4) {
        std::int32_t v32 = 0;
        std::memcpy(&v32, file.data() + at, 4);
        v = v32;
      } else {
        std::memcpy(&v, file.data() + at, 8);
      }
      if (v < 0) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((flags & 1) != 0) repair(file, flags);
  if (hits_known_bug(file)) return 0;
  const auto path = fuzz::scratch() / "input.snap";
  fuzz::write_file(path, file);
  matsample::snapshot_options options;
  options.verify_checksums = (flags & 32) == 0;
  options.validate_graph = true;
  switch ((flags >> 3) & 3) {
    case 0:
      run<float, std::int32_t, std::int64_t>(path, options, file.size());
      run_typed<float, std::int32_t, std::int64_t>(path, options, file.size());
      break;
    case 1:
      run<double, std::int64_t, std::int64_t>(path, options, file.size());
      run_typed<double, std::int64_t, std::int64_t>(path, options, file.size());
      break;
    case 2:
      run<float, std::int32_t, std::int32_t>(path, options, file.size());
      run_typed<float, std::int32_t, std::int32_t>(path, options, file.size());
      break;
    default:
      run<double, std::int64_t, std::int32_t>(path, options, file.size());
      run_typed<double, std::int64_t, std::int32_t>(path, options, file.size());
      break;
  }
  return 0;
}
