#pragma once
// Binary snapshots: a graph with its features, labels and splits in one file
// that loads by mmap without parsing or copying. The format is in
// docs/snapshot.md. Every section carries an XXH3-64 checksum, the header
// records the file size, and writes go to a temporary file that is renamed
// into place, so a crash never leaves a half-written snapshot under the final
// name and a damaged one is reported, never used.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/id_map.hpp"
#include "matsample/io/dataset.hpp"
#include "matsample/io/text.hpp"

namespace matsample {

/// The on-disk layout of a snapshot file (docs/snapshot.md): a header, a
/// table of section entries, then the sections, each aligned.
namespace snapshot_format {
/// The first 8 bytes of every snapshot: "MATSNAP" and 0x1a.
inline constexpr std::array<char, 8> magic{'M', 'A', 'T', 'S', 'N', 'A', 'P', '\x1a'};
inline constexpr std::uint32_t version = 1;       ///< The format version this build writes and reads
inline constexpr std::size_t header_bytes = 128;  ///< Size of the header
inline constexpr std::size_t entry_bytes = 64;    ///< Size of one section-table entry
inline constexpr std::size_t alignment = 64;      ///< Every section starts at a multiple of this
inline constexpr std::size_t name_bytes = 32;     ///< Room for a section name, zero-padded
/// What the "values" section holds.
enum value_kind : std::uint8_t {
  none = 0,     ///< no values: a pattern graph
  float32 = 1,  ///< IEEE single precision
  float64 = 2   ///< IEEE double precision
};

/// The fixed 128-byte header (little-endian).
struct header {
  std::array<char, 8> magic;               ///< snapshot_format::magic
  std::uint32_t version;                   ///< snapshot_format::version of the writer
  std::uint32_t header_bytes;              ///< 128
  std::uint8_t id_bytes;                   ///< 4 or 8
  std::uint8_t offset_bytes;               ///< 4 or 8
  std::uint8_t value_kind;                 ///< a snapshot_format::value_kind
  std::uint8_t reserved0;                  ///< 0
  std::uint32_t section_count;             ///< entries in the section table that follows the header
  std::uint64_t num_vertices;              ///< rows (and columns) of the graph
  std::uint64_t num_edges;                 ///< stored entries of the graph
  std::uint64_t feature_dim;               ///< features per vertex; 0 without features
  std::uint64_t file_bytes;                ///< the whole file: a shorter one was truncated
  std::uint64_t table_checksum;            ///< XXH3-64 of the section table
  std::array<std::uint8_t, 56> reserved1;  ///< zeros
  std::uint64_t header_checksum;           ///< XXH3-64 of the 120 bytes before it
};
static_assert(sizeof(header) == header_bytes && std::is_trivially_copyable_v<header>);

/// One section-table entry.
struct entry {
  std::array<char, name_bytes>
      name;                ///< "indptr", "indices", "values", "features", "labels", "original_ids", "split/<name>"
  std::uint64_t offset;    ///< byte offset of the section in the file, a multiple of alignment
  std::uint64_t bytes;     ///< length of the section in bytes
  std::uint64_t checksum;  ///< XXH3-64 of the section's bytes
  std::uint64_t reserved;  ///< 0
};
static_assert(sizeof(entry) == entry_bytes && std::is_trivially_copyable_v<entry>);

/// The value_kind a writer records for values of type V (float64 for
/// double, float32 otherwise).
template <class V>
constexpr std::uint8_t kind_of() {
  return std::is_same_v<V, double> ? float64 : float32;
}
}  // namespace snapshot_format

/// How snapshot checks a file as it loads it.
struct snapshot_options {
  bool verify_checksums = true;  ///< hash every section (bandwidth-bound)
  bool validate_graph = true;    ///< full CSR check and split ids in range
};

/// Writes `data` to `path` atomically (temporary file, fsync, rename).
template <class V, index_type I, index_type O>
void write_snapshot(const std::filesystem::path& path, const graph_data_view<V, I, O>& data) {
  static_assert(std::endian::native == std::endian::little, "snapshots are little-endian");
  namespace sf = snapshot_format;
  struct section {
    std::string name;
    const void* data;
    std::size_t bytes;
  };
  std::vector<section> sections{{"indptr", data.graph.indptr().data(), data.graph.indptr().size_bytes()},
                                {"indices", data.graph.indices().data(), data.graph.indices().size_bytes()}};
  if (data.graph.has_values())
    sections.push_back({"values", data.graph.values().data(), data.graph.values().size_bytes()});
  if (!data.features.empty()) sections.push_back({"features", data.features.data(), data.features.size_bytes()});
  if (!data.labels.empty()) sections.push_back({"labels", data.labels.data(), data.labels.size_bytes()});
  if (!data.original_ids.empty()) {
    if (static_cast<std::int64_t>(data.original_ids.size()) != data.num_vertices())
      throw argument_error("snapshot: the id map does not have one id per vertex");
    validate_id_map(data.original_ids, "snapshot: original_ids");
    sections.push_back({"original_ids", data.original_ids.data(), data.original_ids.size_bytes()});
  }
  for (const auto& [name, ids] : data.splits) {
    if (name.size() + 6 >= sf::name_bytes)
      throw argument_error(detail::concat("snapshot: split name '", name, "' too long"));
    sections.push_back({"split/" + name, ids.data(), ids.size_bytes()});
  }
  if (!data.features.empty() &&
      data.features.size() != static_cast<std::size_t>(data.num_vertices() * data.feature_dim)) {
    throw argument_error("snapshot: features are not num_vertices x feature_dim");
  }

  const auto align = [](std::size_t x) { return (x + sf::alignment - 1) / sf::alignment * sf::alignment; };
  std::vector<sf::entry> table(sections.size());
  std::size_t at = align(sf::header_bytes + sections.size() * sf::entry_bytes);
  for (std::size_t s = 0; s < sections.size(); ++s) {
    table[s] = {};
    std::copy(sections[s].name.begin(), sections[s].name.end(), table[s].name.begin());
    table[s].offset = at;
    table[s].bytes = sections[s].bytes;
    table[s].checksum = XXH3_64bits(sections[s].data, sections[s].bytes);
    at = align(at + sections[s].bytes);
  }
  sf::header h{};
  h.magic = sf::magic;
  h.version = sf::version;
  h.header_bytes = sf::header_bytes;
  h.id_bytes = sizeof(I);
  h.offset_bytes = sizeof(O);
  h.value_kind = data.graph.has_values() ? sf::kind_of<V>() : std::uint8_t{sf::none};
  h.section_count = static_cast<std::uint32_t>(sections.size());
  h.num_vertices = static_cast<std::uint64_t>(data.graph.rows());
  h.num_edges = static_cast<std::uint64_t>(data.graph.nnz());
  h.feature_dim = static_cast<std::uint64_t>(data.features.empty() ? 0 : data.feature_dim);
  h.file_bytes = at;
  h.table_checksum = XXH3_64bits(table.data(), table.size() * sf::entry_bytes);
  h.header_checksum = XXH3_64bits(&h, offsetof(sf::header, header_checksum));

  std::string tmp = path.string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw error(detail::concat(path.string(), ": cannot create a temporary file (", std::strerror(errno), ")"));
  const auto fail = [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw error(detail::concat(path.string(), ": ", what, " (", std::strerror(saved), ")"));
  };
  const auto put = [&](const void* bytes, std::size_t n, std::size_t offset) {
    const char* p = static_cast<const char*>(bytes);
    while (n > 0) {
      const auto w = ::pwrite(fd, p, std::min<std::size_t>(n, 1u << 30), static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("write failed");
      }
      p += w;
      n -= static_cast<std::size_t>(w);
      offset += static_cast<std::size_t>(w);
    }
  };
  for (std::size_t s = 0; s < sections.size(); ++s) put(sections[s].data, sections[s].bytes, table[s].offset);
  put(table.data(), table.size() * sf::entry_bytes, sf::header_bytes);
  if (::ftruncate(fd, static_cast<off_t>(at)) != 0) fail("cannot size the file");
  put(&h, sizeof h, 0);  // last: until here the file has no valid header
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) fail("cannot flush");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    throw error(
        detail::concat(path.string(), ": cannot rename the temporary file into place (", std::strerror(saved), ")"));
  }
}

/// A loaded snapshot. Sections whose widths match <V, I, O> are used in place
/// in the mapping; others are converted (checked) into owned arrays.
template <class V, index_type I, index_type O>
class snapshot {
 public:
  /// Maps `path` and checks it (header, section table, and per `options` the
  /// checksums and the graph); throws format_error naming the file when it
  /// is damaged or not a snapshot, error when it cannot be opened.
  explicit snapshot(const std::filesystem::path& path, snapshot_options options = {})
      : name_(path.string()), map_(path) {
    namespace sf = snapshot_format;
    const std::string_view file = map_.bytes();
    if (file.size() < sf::header_bytes)
      corrupt(detail::concat("file of ", file.size(), " bytes is shorter than the header"));
    sf::header h{};
    std::memcpy(&h, file.data(), sizeof h);
    if (h.magic != sf::magic) corrupt("not a matsample snapshot (bad magic)");
    if (h.version != sf::version)
      corrupt(detail::concat("unsupported version ", h.version, " (this build reads ", sf::version, ")"));
    if (h.header_checksum != XXH3_64bits(&h, offsetof(sf::header, header_checksum)))
      corrupt("header checksum mismatch");
    if (h.file_bytes != file.size()) {
      corrupt(
          detail::concat("file has ", file.size(), " bytes, header says ", h.file_bytes, " (truncated or extended)"));
    }
    if ((h.id_bytes != 4 && h.id_bytes != 8) || (h.offset_bytes != 4 && h.offset_bytes != 8) ||
        h.value_kind > sf::float64) {
      corrupt("bad index widths or value kind");
    }
    const std::uint64_t table_end = sf::header_bytes + std::uint64_t{h.section_count} * sf::entry_bytes;
    if (h.section_count > 4096 || table_end > file.size()) corrupt("section table outside the file");
    std::vector<sf::entry> table(h.section_count);
    if (!table.empty()) std::memcpy(table.data(), file.data() + sf::header_bytes, table.size() * sf::entry_bytes);
    if (h.table_checksum != XXH3_64bits(table.data(), table.size() * sf::entry_bytes))
      corrupt("section table checksum mismatch");
    for (const auto& e : table) {
      const std::string name(e.name.data(), strnlen(e.name.data(), sf::name_bytes));
      if (e.offset % sf::alignment != 0 || e.offset < table_end || e.offset > file.size() ||
          e.bytes > file.size() - e.offset) {
        corrupt(detail::concat("section '", name, "' lies outside the file"));
      }
      if (options.verify_checksums && XXH3_64bits(file.data() + e.offset, e.bytes) != e.checksum) {
        corrupt(detail::concat("section '", name, "' checksum mismatch (the data is damaged)"));
      }
      sections_.push_back({name, file.substr(e.offset, e.bytes)});
    }
    // Every stored element takes at least 4 bytes of the file, which bounds
    // the counts (and keeps every size computed from them far from overflow).
    const std::uint64_t max_elements = file.size() / 4;
    if (h.num_vertices + 1 > max_elements || h.num_edges > max_elements ||
        (h.feature_dim > 0 && h.feature_dim > max_elements / std::max<std::uint64_t>(h.num_vertices, 1))) {
      corrupt(detail::concat("sizes (", h.num_vertices, " vertices, ", h.num_edges, " edges, feature dimension ",
                             h.feature_dim, ") cannot fit in ", file.size(), " bytes"));
    }
    const auto n = static_cast<std::int64_t>(h.num_vertices), m = static_cast<std::int64_t>(h.num_edges);
    const I rows = checked_cast<I>(n, "snapshot vertex count");
    const auto indptr = section_as<O>("indptr", h.offset_bytes, n + 1, indptr_);
    const auto indices = section_as<I>("indices", h.id_bytes, m, indices_);
    std::span<const V> values;
    if (h.value_kind != sf::none) values = values_as(h.value_kind, m);
    if (indptr.front() != 0 || indptr.back() != static_cast<O>(m))
      corrupt("indptr does not run from 0 to the edge count");
    view_.graph = csr_view<V, I, O>(rows, rows, indptr, indices, values);
    if (options.validate_graph) {
      try {
        validate(view_.graph);
      } catch (const csr_error& e) { corrupt(e.what()); }
    }
    view_.feature_dim = static_cast<std::int64_t>(h.feature_dim);
    if (const auto* s = find("features")) {
      if (h.feature_dim == 0) corrupt("features without a dimension");
      view_.features = typed<float>(*s, checked_mul(n, view_.feature_dim, "feature count"));
    }
    if (const auto* s = find("labels")) view_.labels = typed<std::int32_t>(*s, n);
    if (const auto* s = find("original_ids")) {
      view_.original_ids = typed<std::int64_t>(*s, n);
      if (options.validate_graph) {
        try {
          validate_id_map(view_.original_ids, "section 'original_ids'");
        } catch (const argument_error& e) { corrupt(e.what()); }
      }
    }
    for (const auto& s : sections_) {
      if (s.name.rfind("split/", 0) != 0) continue;
      if (s.bytes.size() % h.id_bytes != 0) corrupt(detail::concat("section '", s.name, "' has a partial id"));
      auto& owned = split_storage_.emplace_back();
      const auto ids = section_as<I>(s.name, h.id_bytes, static_cast<std::int64_t>(s.bytes.size() / h.id_bytes), owned);
      if (options.validate_graph) {
        for (const I v : ids) {
          if (v < 0 || v >= rows)
            corrupt(detail::concat("section '", s.name, "' holds vertex ", v, " outside the graph"));
        }
      }
      view_.splits.emplace(s.name.substr(6), ids);
    }
  }

  /// Moves the mapping and the views with it.
  snapshot(snapshot&&) noexcept = default;
  /// Moves the mapping and the views with it.
  snapshot& operator=(snapshot&&) noexcept = default;

  /// The dataset, viewing the mapping (or owned conversions); valid while
  /// this snapshot lives.
  [[nodiscard]] const graph_data_view<V, I, O>& view() const noexcept { return view_; }
  /// True when the graph arrays are used in place in the mapping.
  [[nodiscard]] bool zero_copy() const noexcept { return indptr_.empty() && indices_.empty() && values_.empty(); }

 private:
  struct section {
    std::string name;
    std::string_view bytes;
  };

  [[noreturn]] void corrupt(const std::string& what) const {
    throw format_error(detail::concat(name_, ": corrupt snapshot: ", what));
  }
  const section* find(std::string_view name) const {
    for (const auto& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }
  template <class T>
  std::span<const T> typed(const section& s, std::int64_t count) const {
    const auto expected = static_cast<std::uint64_t>(count) * sizeof(T);  // counts are bounded by the file size
    if (count < 0 || s.bytes.size() != expected) {
      corrupt(detail::concat("section '", s.name, "' has ", s.bytes.size(), " bytes, expected ", expected));
    }
    return {reinterpret_cast<const T*>(s.bytes.data()), static_cast<std::size_t>(count)};
  }
  /// The section as T: in place when the stored width is sizeof(T), else
  /// converted into `owned` with overflow checks.
  template <class T>
  std::span<const T> section_as(const std::string& name, std::size_t width, std::int64_t count,
                                std::vector<T>& owned) const {
    const section* s = find(name);
    if (s == nullptr) corrupt(detail::concat("missing section '", name, "'"));
    if (width == sizeof(T)) return typed<T>(*s, count);
    if (width == 4) return convert<T, std::int32_t>(*s, count, owned);
    return convert<T, std::int64_t>(*s, count, owned);
  }
  template <class T, class Stored>
  std::span<const T> convert(const section& s, std::int64_t count, std::vector<T>& owned) const {
    const auto stored = typed<Stored>(s, count);
    owned.resize(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) owned[i] = checked_cast<T>(stored[i], s.name);
    return owned;
  }
  std::span<const V> values_as(std::uint8_t kind, std::int64_t count) {
    const section* s = find("values");
    if (s == nullptr) corrupt("missing section 'values'");
    if (kind == snapshot_format::kind_of<V>()) return typed<V>(*s, count);
    const auto copy = [&](auto stored) {
      values_.assign(stored.begin(), stored.end());
      return std::span<const V>(values_);
    };
    return kind == snapshot_format::float32 ? copy(typed<float>(*s, count)) : copy(typed<double>(*s, count));
  }

  std::string name_;
  io::mapped_file map_;
  std::vector<section> sections_;
  std::vector<O> indptr_;
  std::vector<I> indices_;
  std::vector<V> values_;
  std::vector<std::vector<I>> split_storage_;
  graph_data_view<V, I, O> view_;
};

}  // namespace matsample
