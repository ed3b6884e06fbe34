#pragma once
// Per-vertex tables that name their vertices, for graphs that come as an
// edge list: features ("id f1 f2 ... fd" per line), labels ("id label") and
// id lists (seeds, splits: one id per line). Ids are the input's own: with
// an id map (a compacted load, core/id_map.hpp) they are translated through
// it, otherwise they must lie in [0, n). Errors name the file, the line and
// the id as written.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "matsample/core/id_map.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/io/text.hpp"

namespace matsample {

namespace io {

/// The vertex of id `id` (as written at byte `at`), or -1 with `failure` set.
inline std::int64_t table_vertex(std::int64_t id, std::span<const std::int64_t> original_ids, std::int64_t n,
                                 std::size_t at, parse_failure& failure) {
  const std::int64_t v = original_ids.empty() ? (id >= 0 && id < n ? id : -1) : find_vertex(original_ids, id);
  if (v < 0) {
    failure = {at, original_ids.empty()
                       ? detail::concat("vertex id ", id, " out of range [0, ", n, ")")
                       : detail::concat("id ", id, " is not a vertex of the graph (no edge names it)")};
  }
  return v;
}

/// Calls row(vertex, fields, at, failure) for each non-comment line of
/// `path`, after its leading id; rows are visited from several threads.
template <class Row>
void for_each_vertex_row(const text_file& file, std::span<const std::int64_t> original_ids, std::int64_t n, Row&& row) {
  parse_chunks(
      file, 0, [](std::size_t) {},
      [&](std::string_view chunk, std::size_t offset, std::size_t, parse_failure& failure) {
        for_each_line(chunk, offset, [&](std::string_view line, std::size_t at) {
          if (skippable(line)) return true;
          field_reader fields(line, at);
          std::int64_t id = 0;
          const std::size_t id_at = (fields.next(), fields.offset());
          if (!fields.read(id, "vertex id", failure)) return false;
          const std::int64_t v = table_vertex(id, original_ids, n, id_at, failure);
          return v >= 0 && row(v, id, fields, at, failure);
        });
      });
}

/// Claims vertex v for the row at `at`; false (and `failure`) when an
/// earlier row already did.
inline bool claim_row(std::vector<std::uint8_t>& seen, std::int64_t v, std::int64_t id, std::size_t at,
                      parse_failure& failure) {
  if (std::atomic_ref<std::uint8_t>(seen[static_cast<std::size_t>(v)]).exchange(1) != 0) {
    failure = {at, detail::concat("vertex id ", id, " has a second row")};
    return false;
  }
  return true;
}

}  // namespace io

/// Vertex ids, one per line (seeds, a split), as vertices of a graph of `n`
/// vertices with id map `original_ids` (empty: the ids are the vertices).
template <index_type I>
std::vector<I> read_vertex_ids(const std::filesystem::path& path, std::int64_t n,
                               std::span<const std::int64_t> original_ids = {}) {
  const io::text_file file(path, true);
  std::vector<std::vector<I>> parts;
  io::parse_chunks(
      file, 0, [&](std::size_t chunks) { parts.resize(chunks); },
      [&](std::string_view chunk, std::size_t offset, std::size_t c, io::parse_failure& failure) {
        io::for_each_line(chunk, offset, [&](std::string_view line, std::size_t at) {
          if (io::skippable(line)) return true;
          io::field_reader fields(line, at);
          std::int64_t id = 0;
          const std::size_t id_at = (fields.next(), fields.offset());
          if (!fields.read(id, "vertex id", failure)) return false;
          if (!fields.at_end()) {
            failure = {fields.offset(), "expected one vertex id per line"};
            return false;
          }
          const std::int64_t v = io::table_vertex(id, original_ids, n, id_at, failure);
          if (v < 0) return false;
          parts[c].push_back(static_cast<I>(v));
          return true;
        });
      });
  std::vector<I> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// Labels as "id label" lines: one per vertex at most, -1 for vertices
/// without a line (unlabelled, as in OGB).
inline std::vector<std::int32_t> read_vertex_labels(const std::filesystem::path& path, std::int64_t n,
                                                    std::span<const std::int64_t> original_ids = {}) {
  const io::text_file file(path);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n), -1);
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(n), 0);
  io::for_each_vertex_row(
      file, original_ids, n,
      [&](std::int64_t v, std::int64_t id, io::field_reader& fields, std::size_t at, io::parse_failure& failure) {
        std::int32_t label = 0;
        if (!fields.read(label, "label", failure)) return false;
        if (label < -1 || !fields.at_end()) {
          failure = {at, label < -1 ? detail::concat("label ", label, " (labels are >= 0, -1 for none)")
                                    : std::string("expected \"id label\" per line")};
          return false;
        }
        if (!io::claim_row(seen, v, id, at, failure)) return false;
        labels[static_cast<std::size_t>(v)] = label;
        return true;
      });
  return labels;
}

/// Features as "id f1 ... fd" lines, d taken from the first line: exactly
/// one line per vertex. Returns the row-major n x d matrix and sets `dim`.
inline std::vector<float> read_vertex_features(const std::filesystem::path& path, std::int64_t n, std::int64_t& dim,
                                               std::span<const std::int64_t> original_ids = {}) {
  const io::text_file file(path);
  {  // d: the fields after the id on the first data line
    const std::string_view text = file.text();
    std::size_t at = 0;
    std::string_view line;
    while (at < text.size()) {
      const std::size_t end = std::min(text.find('\n', at), text.size());
      line = text.substr(at, end - at);
      if (!io::skippable(line)) break;
      at = end + 1;
    }
    if (at >= text.size()) file.fail(text.size(), "no feature lines (only comments or blank lines)");
    io::field_reader first(line, at);
    io::parse_failure failure;
    std::int64_t id = 0;
    float x = 0;
    if (!first.read(id, "vertex id", failure)) file.fail(failure.at, failure.what);
    for (dim = 0; !first.at_end(); ++dim) {
      if (!first.read(x, "feature", failure)) file.fail(failure.at, failure.what);
    }
    if (dim == 0) file.fail(at, "a feature line needs an id and at least one value");
  }
  require_memory(static_cast<double>(n) * static_cast<double>(dim) * sizeof(float),
                 detail::concat(path.string(), ": ", n, " vertices x ", dim, " features"));
  std::vector<float> features(static_cast<std::size_t>(n * dim), 0.0F);
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(n), 0);
  io::for_each_vertex_row(
      file, original_ids, n,
      [&](std::int64_t v, std::int64_t id, io::field_reader& fields, std::size_t at, io::parse_failure& failure) {
        if (!io::claim_row(seen, v, id, at, failure)) return false;
        return io::read_feature_values(fields, features.data() + v * dim, dim, at, failure, &id);
      });
  if (const auto missing = std::find(seen.begin(), seen.end(), 0); missing != seen.end()) {
    const auto v = missing - seen.begin();
    throw format_error(detail::concat(path.string(), ": no feature row for vertex id ",
                                      original_ids.empty() ? v : original_ids[static_cast<std::size_t>(v)],
                                      " (every vertex needs one)"));
  }
  return features;
}

}  // namespace matsample
