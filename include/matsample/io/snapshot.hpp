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
#include <charconv>
#include <map>
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
  std::uint8_t layout;                     ///< 0: one graph (snapshot); 1: a typed graph (typed_snapshot)
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
/// What the header's layout byte says a file holds.
enum layout_kind : std::uint8_t {
  untyped = 0,  ///< one graph, its features, labels and splits (snapshot)
  typed = 1     ///< a typed graph: its schema, one CSR per relation, per-type tables (typed_snapshot)
};
}  // namespace snapshot_format

/// How snapshot checks a file as it loads it.
struct snapshot_options {
  bool verify_checksums = true;  ///< hash every section (bandwidth-bound)
  bool validate_graph = true;    ///< full CSR check and split ids in range
};

namespace detail {

/// One section of a snapshot file being written: its name and bytes.
struct snapshot_section {
  std::string name;
  const void* data;
  std::size_t bytes;
};

/// Writes a snapshot file atomically (temporary file, fsync, rename): header
/// `h` (its sizes and kinds set by the caller; magic, version, counts and
/// checksums set here), the section table, then the sections, aligned.
inline void write_snapshot_sections(const std::filesystem::path& path, snapshot_format::header h,
                                    const std::vector<snapshot_section>& sections) {
  namespace sf = snapshot_format;
  for (const auto& section : sections) {
    if (section.name.size() >= sf::name_bytes) {
      throw argument_error(detail::concat("snapshot: section name '", section.name, "' too long"));
    }
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
  h.magic = sf::magic;
  h.version = sf::version;
  h.header_bytes = sf::header_bytes;
  h.section_count = static_cast<std::uint32_t>(sections.size());
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

}  // namespace detail

/// Writes `data` to `path` atomically (temporary file, fsync, rename).
template <class V, index_type I, index_type O>
void write_snapshot(const std::filesystem::path& path, const graph_data_view<V, I, O>& data) {
  static_assert(std::endian::native == std::endian::little, "snapshots are little-endian");
  namespace sf = snapshot_format;
  std::vector<detail::snapshot_section> sections{
      {"indptr", data.graph.indptr().data(), data.graph.indptr().size_bytes()},
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

  sf::header h{};
  h.id_bytes = sizeof(I);
  h.offset_bytes = sizeof(O);
  h.value_kind = data.graph.has_values() ? sf::kind_of<V>() : std::uint8_t{sf::none};
  h.layout = sf::untyped;
  h.num_vertices = static_cast<std::uint64_t>(data.graph.rows());
  h.num_edges = static_cast<std::uint64_t>(data.graph.nnz());
  h.feature_dim = static_cast<std::uint64_t>(data.features.empty() ? 0 : data.feature_dim);
  detail::write_snapshot_sections(path, h, sections);
}

namespace detail {

/// A mapped snapshot file whose header and section table have been checked
/// (and, per `verify_checksums`, every section's checksum): what snapshot
/// and typed_snapshot share. Failures throw format_error "<file>: corrupt
/// snapshot: ...".
class snapshot_file {
 public:
  /// One section: its name and bytes in the mapping.
  struct section {
    std::string name;        ///< as in the table
    std::string_view bytes;  ///< in the mapping
  };

  /// Maps `path` and checks its header and table.
  snapshot_file(const std::filesystem::path& path, bool verify_checksums) : name_(path.string()), map_(path) {
    namespace sf = snapshot_format;
    const std::string_view file = map_.bytes();
    if (file.size() < sf::header_bytes)
      corrupt(detail::concat("file of ", file.size(), " bytes is shorter than the header"));
    std::memcpy(&header_, file.data(), sizeof header_);
    const auto& h = header_;
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
        h.value_kind > sf::float64 || h.layout > sf::typed) {
      corrupt("bad index widths, value kind or layout");
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
      if (verify_checksums && XXH3_64bits(file.data() + e.offset, e.bytes) != e.checksum) {
        corrupt(detail::concat("section '", name, "' checksum mismatch (the data is damaged)"));
      }
      sections_.push_back({name, file.substr(e.offset, e.bytes)});
    }
  }

  /// The checked header.
  [[nodiscard]] const snapshot_format::header& header() const noexcept { return header_; }
  /// Every section, in table order.
  [[nodiscard]] const std::vector<section>& sections() const noexcept { return sections_; }
  /// Bytes in the file: every stored element takes at least 4 of them, which
  /// bounds every count a header or section claims.
  [[nodiscard]] std::uint64_t size() const noexcept { return map_.bytes().size(); }

  /// Throws format_error "<file>: corrupt snapshot: <what>".
  [[noreturn]] void corrupt(const std::string& what) const {
    throw format_error(detail::concat(name_, ": corrupt snapshot: ", what));
  }
  /// The section called `name`, or nullptr.
  [[nodiscard]] const section* find(std::string_view name) const {
    for (const auto& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }
  /// Section `s` as `count` elements of T, in place.
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
  /// Values of the stored kind as V: in place when they agree, else copied into `owned`.
  template <class V>
  std::span<const V> values_as(const std::string& name, std::uint8_t kind, std::int64_t count,
                               std::vector<V>& owned) const {
    const section* s = find(name);
    if (s == nullptr) corrupt(detail::concat("missing section '", name, "'"));
    if (kind == snapshot_format::kind_of<V>()) return typed<V>(*s, count);
    const auto copy = [&](auto stored) {
      owned.assign(stored.begin(), stored.end());
      return std::span<const V>(owned);
    };
    return kind == snapshot_format::float32 ? copy(typed<float>(*s, count)) : copy(typed<double>(*s, count));
  }
  /// A CSR of `rows` x `cols` from sections NAME/indptr, NAME/indices and
  /// NAME/values (prefix "" for the untyped names), checked per `validate_graph`.
  template <class V, index_type I, index_type O>
  csr_view<V, I, O> csr(const std::string& prefix, std::int64_t rows, std::int64_t cols, std::int64_t entries,
                        std::uint8_t value_kind, bool validate_graph, std::vector<O>& indptr_owned,
                        std::vector<I>& indices_owned, std::vector<V>& values_owned) const {
    const auto indptr = section_as<O>(prefix + "indptr", header_.offset_bytes, rows + 1, indptr_owned);
    const auto indices = section_as<I>(prefix + "indices", header_.id_bytes, entries, indices_owned);
    std::span<const V> values;
    if (value_kind != snapshot_format::none)
      values = values_as<V>(prefix + "values", value_kind, entries, values_owned);
    if (indptr.front() != 0 || indptr.back() != static_cast<O>(entries)) {
      corrupt(detail::concat(prefix, "indptr does not run from 0 to the edge count"));
    }
    csr_view<V, I, O> out(checked_cast<I>(rows, "snapshot row count"), checked_cast<I>(cols, "snapshot column count"),
                          indptr, indices, values);
    if (validate_graph) {
      try {
        validate(out);
      } catch (const csr_error& e) { corrupt(detail::concat(prefix, e.what())); }
    }
    return out;
  }
  /// Vertex ids in [0, n) of section `s` (a split), as I.
  template <index_type I>
  std::span<const I> ids(const section& s, std::int64_t n, bool check, std::vector<I>& owned) const {
    if (s.bytes.size() % header_.id_bytes != 0) corrupt(detail::concat("section '", s.name, "' has a partial id"));
    const auto out =
        section_as<I>(s.name, header_.id_bytes, static_cast<std::int64_t>(s.bytes.size() / header_.id_bytes), owned);
    if (check) {
      for (const I v : out) {
        if (v < 0 || v >= n) corrupt(detail::concat("section '", s.name, "' holds vertex ", v, " outside the graph"));
      }
    }
    return out;
  }

 private:
  template <class T, class Stored>
  std::span<const T> convert(const section& s, std::int64_t count, std::vector<T>& owned) const {
    const auto stored = typed<Stored>(s, count);
    owned.resize(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) owned[i] = checked_cast<T>(stored[i], s.name);
    return owned;
  }

  std::string name_;
  io::mapped_file map_;
  snapshot_format::header header_{};
  std::vector<section> sections_;
};

}  // namespace detail

/// A loaded snapshot. Sections whose widths match <V, I, O> are used in place
/// in the mapping; others are converted (checked) into owned arrays.
template <class V, index_type I, index_type O>
class snapshot {
 public:
  /// Maps `path` and checks it (header, section table, and per `options` the
  /// checksums and the graph); throws format_error naming the file when it
  /// is damaged or not a snapshot, error when it cannot be opened.
  explicit snapshot(const std::filesystem::path& path, snapshot_options options = {})
      : file_(path, options.verify_checksums) {
    const auto& h = file_.header();
    if (h.layout != snapshot_format::untyped) {
      throw format_error(detail::concat(path.string(), ": a typed snapshot; load it with typed_snapshot"));
    }
    const std::uint64_t max_elements = file_.size() / 4;
    if (h.num_vertices + 1 > max_elements || h.num_edges > max_elements ||
        (h.feature_dim > 0 && h.feature_dim > max_elements / std::max<std::uint64_t>(h.num_vertices, 1))) {
      file_.corrupt(detail::concat("sizes (", h.num_vertices, " vertices, ", h.num_edges, " edges, feature dimension ",
                                   h.feature_dim, ") cannot fit in ", file_.size(), " bytes"));
    }
    const auto n = static_cast<std::int64_t>(h.num_vertices), m = static_cast<std::int64_t>(h.num_edges);
    view_.graph = file_.csr<V, I, O>("", n, n, m, h.value_kind, options.validate_graph, indptr_, indices_, values_);
    view_.feature_dim = static_cast<std::int64_t>(h.feature_dim);
    if (const auto* s = file_.find("features")) {
      if (h.feature_dim == 0) file_.corrupt("features without a dimension");
      view_.features = file_.typed<float>(*s, checked_mul(n, view_.feature_dim, "feature count"));
    }
    if (const auto* s = file_.find("labels")) view_.labels = file_.typed<std::int32_t>(*s, n);
    if (const auto* s = file_.find("original_ids")) {
      view_.original_ids = file_.typed<std::int64_t>(*s, n);
      if (options.validate_graph) {
        try {
          validate_id_map(view_.original_ids, "section 'original_ids'");
        } catch (const argument_error& e) { file_.corrupt(e.what()); }
      }
    }
    for (const auto& s : file_.sections()) {
      if (s.name.rfind("split/", 0) != 0) continue;
      auto& owned = split_storage_.emplace_back();
      view_.splits.emplace(s.name.substr(6), file_.ids<I>(s, n, options.validate_graph, owned));
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
  detail::snapshot_file file_;
  std::vector<O> indptr_;
  std::vector<I> indices_;
  std::vector<V> values_;
  std::vector<std::vector<I>> split_storage_;
  graph_data_view<V, I, O> view_;
};

/// One vertex type's tables in a typed snapshot, viewing the mapping (or
/// owned conversions); the members mean what typed_vertex_data's do.
template <index_type I>
struct typed_vertex_view {
  std::int64_t feature_dim = 0;                      ///< features per vertex of this type (0: none)
  std::span<const float> features;                   ///< row-major, count x feature_dim
  std::span<const std::int32_t> labels;              ///< one per vertex, -1 unlabelled (empty: none)
  std::map<std::string, std::span<const I>> splits;  ///< split name to local ids
};

/// Writes a typed dataset to `path` atomically, in the snapshot format with
/// layout "typed": a "schema" section (one line per type: name, count,
/// feature width; per relation: name, row type, column type, entries,
/// whether it has values), each relation's CSR as "r<r>/indptr",
/// "r<r>/indices" and "r<r>/values", and each type's "t<t>/features",
/// "t<t>/labels" and "t<t>/split/<name>". Names may not hold tabs or line
/// breaks (argument_error).
template <class V, index_type I, index_type O>
void write_typed_snapshot(const std::filesystem::path& path, const typed_graph_data<V, I, O>& data) {
  namespace sf = snapshot_format;
  const auto& schema = data.graph.schema();
  if (data.types.size() != static_cast<std::size_t>(schema.num_types())) {
    throw argument_error(detail::concat("typed snapshot: ", data.types.size(), " type tables for ", schema.num_types(),
                                        " vertex types"));
  }
  const auto plain = [](const std::string& name) {
    if (name.find_first_of("\t\n\r") != std::string::npos) {
      throw argument_error(detail::concat("typed snapshot: the name '", name, "' holds a tab or a line break"));
    }
    return name;
  };
  std::string text = "matsample typed snapshot\n";
  bool any_values = false;
  std::int64_t entries = 0;
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& tv = data.types[static_cast<std::size_t>(t)];
    text += detail::concat("type\t", plain(schema.vertex_types[t]), "\t", schema.num_vertices(t), "\t",
                           tv.features.empty() ? 0 : tv.feature_dim, "\n");
  }
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    const auto a = data.graph.relation(r).view();
    any_values = any_values || a.has_values();
    entries += static_cast<std::int64_t>(a.nnz());
    text += detail::concat("relation\t", plain(rel.name), "\t", rel.row_type, "\t", rel.col_type, "\t", a.nnz(), "\t",
                           a.has_values() ? 1 : 0, "\n");
  }
  std::vector<detail::snapshot_section> sections{{"schema", text.data(), text.size()}};
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto a = data.graph.relation(r).view();
    const auto prefix = detail::concat("r", r, "/");
    sections.push_back({prefix + "indptr", a.indptr().data(), a.indptr().size_bytes()});
    sections.push_back({prefix + "indices", a.indices().data(), a.indices().size_bytes()});
    if (a.has_values()) sections.push_back({prefix + "values", a.values().data(), a.values().size_bytes()});
  }
  for (std::int32_t t = 0; t < schema.num_types(); ++t) {
    const auto& tv = data.types[static_cast<std::size_t>(t)];
    const auto prefix = detail::concat("t", t, "/");
    if (!tv.features.empty()) {
      if (tv.features.size() != static_cast<std::size_t>(schema.num_vertices(t) * tv.feature_dim)) {
        throw argument_error(detail::concat("typed snapshot: the features of type '", schema.vertex_types[t],
                                            "' are not count x feature_dim"));
      }
      sections.push_back({prefix + "features", tv.features.data(), tv.features.size() * sizeof(float)});
    }
    if (!tv.labels.empty()) {
      if (static_cast<std::int64_t>(tv.labels.size()) != schema.num_vertices(t)) {
        throw argument_error(detail::concat("typed snapshot: type '", schema.vertex_types[t], "' has ",
                                            tv.labels.size(), " labels for ", schema.num_vertices(t), " vertices"));
      }
      sections.push_back({prefix + "labels", tv.labels.data(), tv.labels.size() * sizeof(std::int32_t)});
    }
    for (const auto& [name, ids] : tv.splits) {
      sections.push_back({prefix + "split/" + name, ids.data(), ids.size() * sizeof(I)});
    }
  }
  sf::header h{};
  h.id_bytes = sizeof(I);
  h.offset_bytes = sizeof(O);
  h.value_kind = any_values ? sf::kind_of<V>() : std::uint8_t{sf::none};
  h.layout = sf::typed;
  h.num_vertices = static_cast<std::uint64_t>(schema.num_vertices());
  h.num_edges = static_cast<std::uint64_t>(entries);
  detail::write_snapshot_sections(path, h, sections);
}

/// A loaded typed snapshot: the typed graph and each type's tables, viewing
/// the mapping where the widths match <V, I, O> and converted (checked)
/// otherwise, as snapshot does.
template <class V, index_type I, index_type O>
class typed_snapshot {
 public:
  /// Maps `path` and checks it as snapshot does, and its schema (names,
  /// counts against the header and the file size, relation types); throws
  /// format_error naming the file when it is damaged or not a typed snapshot.
  explicit typed_snapshot(const std::filesystem::path& path, snapshot_options options = {})
      : file_(path, options.verify_checksums) {
    const auto& h = file_.header();
    if (h.layout != snapshot_format::typed) {
      throw format_error(detail::concat(path.string(), ": an untyped snapshot; load it with snapshot"));
    }
    const auto* text = file_.find("schema");
    if (text == nullptr) file_.corrupt("missing section 'schema'");
    const std::uint64_t max_elements = file_.size() / 4;
    std::vector<std::string> names;
    std::vector<std::int64_t> counts, dims, relation_entries;
    std::vector<bool> has_values;
    std::vector<relation_type> relations;
    std::int64_t vertices = 0, entries = 0;
    std::size_t at = 0, line = 0;
    const std::string_view body = text->bytes;
    const auto number = [&](std::string_view field) {
      std::int64_t v = -1;
      const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (ec != std::errc() || end != field.data() + field.size() || v < 0 ||
          static_cast<std::uint64_t>(v) > max_elements) {
        file_.corrupt(detail::concat("schema line ", line, ": '", field, "' is not a count the file can hold"));
      }
      return v;
    };
    while (at < body.size()) {
      const auto end = std::min(body.find('\n', at), body.size());
      const std::string_view row = body.substr(at, end - at);
      at = end + 1;
      ++line;
      std::vector<std::string_view> fields;
      for (std::size_t from = 0;;) {
        const auto tab = row.find('\t', from);
        fields.push_back(row.substr(from, tab == std::string_view::npos ? row.size() - from : tab - from));
        if (tab == std::string_view::npos) break;
        from = tab + 1;
      }
      if (line == 1) {
        if (row != "matsample typed snapshot") file_.corrupt("the schema does not start with its title line");
      } else if (fields[0] == "type" && fields.size() == 4 && relations.empty()) {
        names.emplace_back(fields[1]);
        counts.push_back(number(fields[2]));
        dims.push_back(number(fields[3]));
        vertices += counts.back();
      } else if (fields[0] == "relation" && fields.size() == 6) {
        const auto row_type = number(fields[2]), col_type = number(fields[3]);
        if (row_type >= static_cast<std::int64_t>(names.size()) ||
            col_type >= static_cast<std::int64_t>(names.size())) {
          file_.corrupt(detail::concat("schema line ", line, ": relation '", fields[1], "' names an unknown type"));
        }
        relations.push_back(
            {static_cast<std::int32_t>(row_type), std::string(fields[1]), static_cast<std::int32_t>(col_type)});
        relation_entries.push_back(number(fields[4]));
        entries += relation_entries.back();
        has_values.push_back(fields[5] == "1");
      } else {
        file_.corrupt(detail::concat("schema line ", line, " is neither a type nor a relation"));
      }
      if (names.size() + relations.size() > 4096) file_.corrupt("the schema lists more than 4096 types and relations");
    }
    if (static_cast<std::uint64_t>(vertices) != h.num_vertices || static_cast<std::uint64_t>(entries) != h.num_edges) {
      file_.corrupt(detail::concat("the schema counts ", vertices, " vertices and ", entries, " entries, the header ",
                                   h.num_vertices, " and ", h.num_edges));
    }
    typed_schema schema;
    try {
      schema = typed_schema::from_counts(names, counts, relations);
    } catch (const argument_error& e) { file_.corrupt(e.what()); }
    const auto R = relations.size(), T = names.size();
    indptr_.resize(R);
    indices_.resize(R);
    values_.resize(R);
    std::vector<csr_view<V, I, O>> views;
    for (std::size_t r = 0; r < R; ++r) {
      const auto& rel = relations[r];
      views.push_back(file_.csr<V, I, O>(detail::concat("r", r, "/"), counts[static_cast<std::size_t>(rel.row_type)],
                                         counts[static_cast<std::size_t>(rel.col_type)], relation_entries[r],
                                         has_values[r] ? h.value_kind : std::uint8_t{snapshot_format::none},
                                         options.validate_graph, indptr_[r], indices_[r], values_[r]));
    }
    graph_ = typed_graph_view<csr_view<V, I, O>>(std::move(schema), std::move(views));
    types_.resize(T);
    for (std::size_t t = 0; t < T; ++t) {
      const auto prefix = detail::concat("t", t, "/");
      auto& tv = types_[t];
      tv.feature_dim = dims[t];
      if (const auto* s = file_.find(prefix + "features")) {
        if (dims[t] == 0) file_.corrupt(detail::concat("type ", names[t], ": features without a dimension"));
        tv.features = file_.typed<float>(*s, checked_mul(counts[t], dims[t], "feature count"));
      }
      if (const auto* s = file_.find(prefix + "labels")) tv.labels = file_.typed<std::int32_t>(*s, counts[t]);
      for (const auto& s : file_.sections()) {
        if (s.name.rfind(prefix + "split/", 0) != 0) continue;
        auto& owned = split_storage_.emplace_back();
        tv.splits.emplace(s.name.substr(prefix.size() + 6), file_.ids<I>(s, counts[t], options.validate_graph, owned));
      }
    }
  }

  /// The typed graph, viewing the mapping; valid while this snapshot lives.
  [[nodiscard]] const typed_graph_view<csr_view<V, I, O>>& graph() const noexcept { return graph_; }
  /// Type t's tables (unchecked).
  [[nodiscard]] const typed_vertex_view<I>& type(std::int32_t t) const noexcept {
    return types_[static_cast<std::size_t>(t)];
  }
  /// True when every relation's arrays are used in place in the mapping.
  [[nodiscard]] bool zero_copy() const noexcept {
    for (std::size_t r = 0; r < indptr_.size(); ++r) {
      if (!indptr_[r].empty() || !indices_[r].empty() || !values_[r].empty()) return false;
    }
    return true;
  }

 private:
  detail::snapshot_file file_;
  std::vector<std::vector<O>> indptr_;
  std::vector<std::vector<I>> indices_;
  std::vector<std::vector<V>> values_;
  std::vector<std::vector<I>> split_storage_;
  typed_graph_view<csr_view<V, I, O>> graph_;
  std::vector<typed_vertex_view<I>> types_;
};

}  // namespace matsample
