#pragma once
// The OGB raw layout (node property prediction), read and written. The
// layout is what an `ogbn-*` download or scripts/get-cora gives:
//   raw/edge.csv[.gz]            "src,dst" per line, 0-based
//   raw/num-node-list.csv[.gz]   the vertex count
//   raw/num-edge-list.csv[.gz]   the edge-line count (checked when present)
//   raw/node-feat.csv[.gz]       one comma-separated float row per vertex (optional)
//   raw/node-label.csv[.gz]      one integer per vertex, "nan" for unlabelled (optional)
//   split/<name>/{train,valid,test}.csv[.gz]   one vertex id per line (optional)
// Undirected datasets list each edge once; add_inverse_edges restores the
// other direction, as OGB's loaders do.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/io/coo_text.hpp"
#include "matsample/io/dataset.hpp"

namespace matsample {

/// How read_ogb (and read_ogb_partitioned) read an OGB directory.
struct ogb_options {
  bool add_inverse_edges = true;  ///< store (t, s) for every edge (s, t): an undirected graph
  bool drop_self_loops = false;   ///< discard edges (v, v)
  bool merge_duplicates = false;  ///< keep one entry per repeated edge
  std::string split;              ///< `split/<split>/` to read; empty: the only one present, if any
  bool read_features = true;      ///< read raw/node-feat.csv[.gz] when present
};

namespace io {

/// `dir/stem.csv.gz` or `dir/stem.csv`, whichever exists.
inline std::optional<std::filesystem::path> find_csv(const std::filesystem::path& dir, const std::string& stem) {
  for (const char* ext : {".csv.gz", ".csv"}) {
    auto p = dir / (stem + ext);
    if (std::filesystem::exists(p)) return p;
  }
  return std::nullopt;
}

/// find_csv, or format_error naming the missing file (required by the OGB layout).
inline std::filesystem::path require_csv(const std::filesystem::path& dir, const std::string& stem) {
  if (auto p = find_csv(dir, stem)) return *p;
  throw format_error(detail::concat((dir / (stem + ".csv[.gz]")).string(), ": missing (required by the OGB layout)"));
}

/// A file holding one integer on its first non-blank line.
inline std::int64_t read_single_count(const std::filesystem::path& path) {
  const text_file file(path);
  parse_failure failure;
  const std::string_view text = file.text();
  field_reader fields(text.substr(0, std::min(text.find('\n'), text.size())), 0);
  std::int64_t n = 0;
  if (!fields.read(n, "count", failure)) file.fail(failure.at, failure.what);
  if (!fields.at_end()) file.fail(fields.offset(), "expected a single count");
  if (n < 0) file.fail(0, detail::concat("negative count ", n));
  return n;
}

/// One value per line (ids or labels), each in [0, bound) (bound -1: no upper
/// bound); with `allow_nan` a "nan" line reads as -1. `what` names the value
/// in errors, which throw format_error with the file and line.
template <class T>
std::vector<T> read_column(const std::filesystem::path& path, std::int64_t bound, bool allow_nan, const char* what) {
  const text_file file(path);
  std::vector<std::vector<T>> parts;
  parse_chunks(
      file, 0, [&](std::size_t chunks) { parts.resize(chunks); },
      [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure& failure) {
        for_each_line(chunk, offset, [&](std::string_view line, std::size_t at) {
          if (skippable(line)) return true;
          field_reader fields(line, at);
          fields.next();
          if (allow_nan && line.substr(fields.offset() - at, 3) == "nan") {
            field_reader rest(line.substr(fields.offset() - at + 3), fields.offset() + 3);
            const auto after = line.substr(fields.offset() - at + 3);
            if (!after.empty() && after.front() != ',' && after.front() != ' ' && after.front() != '\t' &&
                after.front() != '\r') {
              failure = {fields.offset(),
                         detail::concat("malformed ", what, " '", line.substr(fields.offset() - at), "'")};
              return false;
            }
            if (!rest.at_end()) {
              failure = {rest.offset(), detail::concat("expected one ", what, " per line")};
              return false;
            }
            parts[c].push_back(T{-1});
            return true;
          }
          std::int64_t v = 0;
          const std::size_t v_at = fields.offset();
          if (!fields.read(v, what, failure)) return false;
          if (!fields.at_end()) {
            failure = {fields.offset(), detail::concat("expected one ", what, " per line")};
            return false;
          }
          if (v < 0 || (bound >= 0 && v >= bound)) {
            failure = {v_at, detail::concat(what, " ", v, " out of range [0, ", bound, ")")};
            return false;
          }
          parts[c].push_back(static_cast<T>(v));
          return true;
        });
      });
  std::vector<T> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// The number of values on the first row of a feature file: every row must
/// have as many.
inline std::int64_t feature_dimension(const text_file& file) {
  const std::string_view text = file.text();
  const auto nl = text.find('\n');
  field_reader first(text.substr(0, nl == std::string_view::npos ? text.size() : nl), 0);
  parse_failure failure;
  std::int64_t dim = 0;
  float x = 0;
  while (!first.at_end()) {
    if (!first.read(x, "feature", failure)) file.fail(failure.at, failure.what);
    ++dim;
  }
  if (dim == 0) file.fail(0, "empty feature row");
  return dim;
}

/// Dense float rows of dimension `dim` in text[range) into `out`; returns
/// the row count. check_rows(rows) runs after the rows are counted and before
/// `out` is sized, so a reader can refuse a wrong count before allocating.
inline std::int64_t read_feature_range(const text_file& file, byte_range range, std::int64_t dim,
                                       std::vector<float>& out,
                                       const std::function<void(std::int64_t)>& check_rows = {}) {
  // Rows are counted per chunk first, so that every chunk parses straight
  // into its place in `out`: the features are held once, never twice.
  const auto is_row = [](std::string_view line) { return !line.empty() && line != "\r"; };
  std::vector<std::int64_t> first_row;
  parse_chunks(
      file, range, [&](std::size_t chunks) { first_row.assign(chunks + 1, 0); },
      [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure&) {
        for_each_line(chunk, offset, [&](std::string_view line, std::size_t) {
          first_row[c + 1] += is_row(line) ? 1 : 0;
          return true;
        });
      });
  std::partial_sum(first_row.begin(), first_row.end(), first_row.begin());
  const std::int64_t rows = first_row.back();
  if (check_rows) check_rows(rows);
  require_memory(static_cast<double>(rows) * static_cast<double>(dim) * sizeof(float),
                 detail::concat(file.name(), ": ", rows, " feature rows of ", dim, " values"));
  out.assign(static_cast<std::size_t>(checked_mul(rows, dim, "feature values")), 0.0F);
  parse_chunks(
      file, range,
      [&](std::size_t chunks) {
        if (chunks + 1 != first_row.size())
          throw error("read_feature_rows: the text was cut differently on the second pass");
      },
      [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure& failure) {
        float* next = out.data() + first_row[c] * dim;
        for_each_line(chunk, offset, [&](std::string_view line, std::size_t at) {
          if (!is_row(line)) return true;
          field_reader fields(line, at);
          if (!read_feature_values(fields, next, dim, at, failure)) return false;
          next += dim;
          return true;
        });
      });
  return rows;
}

/// Dense float rows, all of the same length; returns the row count.
inline std::int64_t read_feature_rows(const std::filesystem::path& path, std::int64_t expected_rows, std::int64_t& dim,
                                      std::vector<float>& out) {
  const text_file file(path);
  dim = feature_dimension(file);
  return read_feature_range(file, 0, dim, out, [&](std::int64_t rows) {
    if (rows != expected_rows) {
      file.fail(file.text().size(), detail::concat(rows, " feature rows for ", expected_rows, " vertices"));
    }
  });
}

/// `dir/raw`, which must exist.
inline std::filesystem::path ogb_raw_dir(const std::filesystem::path& dir) {
  auto raw = dir / "raw";
  if (!std::filesystem::is_directory(raw)) {
    throw format_error(detail::concat(raw.string(), ": missing (not an OGB raw-layout directory)"));
  }
  return raw;
}

/// The vertex count of `raw/num-node-list`, checked to fit ids of type I
/// and, at `bytes_per_vertex`, the memory available.
template <index_type I>
std::int64_t ogb_vertex_count(const std::filesystem::path& raw, double bytes_per_vertex) {
  const auto path = require_csv(raw, "num-node-list");
  const std::int64_t n = read_single_count(path);
  (void)checked_cast<I>(n > 0 ? n - 1 : 0, "vertex id");
  require_memory(static_cast<double>(n) * bytes_per_vertex, detail::concat(path.string(), ":1: the vertex count ", n),
                 "Check the count against the edge, feature and label files.");
  return n;
}

/// The edge file and the line count `num-edge-list` promises (-1: none).
struct ogb_edges {
  text_file file;                    ///< raw/edge.csv[.gz], opened (and decompressed)
  std::int64_t expected_lines = -1;  ///< edge lines num-edge-list promises; -1 without that file
  std::string count_file;            ///< file name of num-edge-list, for messages (empty without it)

  /// Opens the edge file of the `raw` directory and reads its count, if any;
  /// throws format_error when edge.csv is missing or size_error when the
  /// count cannot fit the file.
  explicit ogb_edges(const std::filesystem::path& raw) : ogb_edges(raw, find_csv(raw, "num-edge-list")) {}

  /// Fails unless `lines` edge lines were read (when a count was listed).
  void check_lines(std::int64_t lines) const {
    if (expected_lines >= 0 && lines != expected_lines) {
      file.fail(file.text().size(), detail::concat(lines, " edge lines but ", count_file, " says ", expected_lines));
    }
  }

 private:
  ogb_edges(const std::filesystem::path& raw, const std::optional<std::filesystem::path>& listed)
      // A graph without edges has an empty edge file; num-edge-list must say so.
      : file(require_csv(raw, "edge"), listed && read_single_count(*listed) == 0),
        expected_lines(listed ? read_single_count(*listed) : -1),
        count_file(listed ? listed->filename().string() : std::string()) {
    if (expected_lines > file.max_lines(0, 2)) {
      throw size_error(detail::concat(listed->string(), ":1: the edge count ", expected_lines, ", but ", file.name(),
                                      " has ", file.text().size(), " bytes, room for at most ", file.max_lines(0, 2),
                                      " lines (a line takes 2 bytes at least)"));
    }
  }
};

/// The folder `dir/split/<name>`, or with an empty name the only folder under
/// `dir/split` (empty when there is none). Throws format_error naming the
/// missing split and the ones present, or argument_error when several are
/// present and none is named (`option` says which option names one).
inline std::filesystem::path split_directory(const std::filesystem::path& dir, const std::string& name,
                                             std::string_view option) {
  std::filesystem::path split_dir;
  if (!name.empty()) {
    split_dir = dir / "split" / name;
    if (!std::filesystem::is_directory(split_dir)) {
      std::string present;
      if (std::filesystem::is_directory(dir / "split")) {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(dir / "split")) {
          if (entry.is_directory()) names.push_back(entry.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        for (const auto& n : names) present += (present.empty() ? "" : ", ") + n;
      }
      throw format_error(detail::concat(split_dir.string(), ": split '", name, "' not found (",
                                        present.empty() ? "the dataset has no splits" : "the splits are: " + present,
                                        ")"));
    }
  } else if (std::filesystem::is_directory(dir / "split")) {
    for (const auto& entry : std::filesystem::directory_iterator(dir / "split")) {
      if (entry.is_directory()) {
        if (!split_dir.empty()) {
          throw argument_error(detail::concat(dir.string(), ": several splits; name one with ", option));
        }
        split_dir = entry.path();
      }
    }
  }
  return split_dir;
}

/// The labels (one per vertex, -1 for "nan") and the chosen split of an
/// OGB directory of `n` vertices; small next to the graph, so
/// a distributed load reads them whole on every rank.
template <index_type I>
void read_ogb_labels_and_splits(const std::filesystem::path& dir, std::int64_t n, const ogb_options& options,
                                std::vector<std::int32_t>& labels, std::map<std::string, std::vector<I>>& splits) {
  const auto raw = dir / "raw";
  if (auto label = find_csv(raw, "node-label")) {
    labels = read_column<std::int32_t>(*label, std::numeric_limits<std::int32_t>::max(), true, "label");
    if (static_cast<std::int64_t>(labels.size()) != n) {
      const text_file file(*label);
      file.fail(file.text().size(), detail::concat(labels.size(), " labels for ", n, " vertices"));
    }
  }
  const auto split_dir = split_directory(dir, options.split, "ogb_options::split");
  if (!split_dir.empty()) {
    for (const char* part : {"train", "valid", "test"}) {
      if (auto file = find_csv(split_dir, part)) splits[part] = read_column<I>(*file, n, false, "vertex id");
    }
  }
}

}  // namespace io

/// Reads an OGB node-property dataset directory (the folder holding raw/).
template <class V, index_type I, index_type O>
graph_data<V, I, O> read_ogb(const std::filesystem::path& dir, const ogb_options& options = {}) {
  const auto raw = io::ogb_raw_dir(dir);
  // Per vertex: the CSR's row arrays and a label.
  const std::int64_t n = io::ogb_vertex_count<I>(
      raw, ::matsample::detail::csr_assembly<V, I, O>::bytes_needed(1, 0, false) + sizeof(std::int32_t));
  graph_data<V, I, O> data;
  {
    const io::ogb_edges edges(raw);
    data.graph =
        io::read_coo_matrix<V, I, O>(edges.file, 0, {false, false, n, n, "edge"},
                                     {options.add_inverse_edges, options.drop_self_loops, options.merge_duplicates},
                                     [&](const io::coo_scan& scan) { edges.check_lines(scan.entries); });
  }
  if (auto feat = io::find_csv(raw, "node-feat"); feat && options.read_features) {
    io::read_feature_rows(*feat, n, data.feature_dim, data.features);
  }
  io::read_ogb_labels_and_splits(dir, n, options, data.labels, data.splits);
  return data;
}

}  // namespace matsample
