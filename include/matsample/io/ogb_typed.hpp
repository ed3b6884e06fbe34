#pragma once
// The OGB heterogeneous raw layout (ogbn-mag), read and written:
//   raw/num-node-dict.csv[.gz]      a header line of type names, a line of their counts
//   raw/triplet-type-list.csv[.gz]  "src,rel,dst" per relation (optional: else the
//                                   relations/ folders in name order)
//   raw/relations/<src>___<rel>___<dst>/edge.csv[.gz]           "u,v" per line, local ids
//   raw/relations/<src>___<rel>___<dst>/num-edge-list.csv[.gz]  the line count (checked when present)
//   raw/node-feat/<type>/node-feat.csv[.gz]     float rows (optional, per type)
//   raw/node-label/<type>/node-label.csv[.gz]   one integer or "nan" per vertex (optional)
//   split/<name>/<type>/{train,valid,test}.csv[.gz]   local ids (optional)
// An edge u,v of relation src___rel___dst puts v in row u (row type src,
// column type dst), as the untyped reader does.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "matsample/core/typed_graph.hpp"
#include "matsample/io/coo_text.hpp"
#include "matsample/io/dataset.hpp"
#include "matsample/io/ogb.hpp"
#include "matsample/io/writers.hpp"

namespace matsample {

/// How read_ogb_typed reads a heterogeneous OGB directory.
struct ogb_typed_options {
  bool add_reverse_relations = false;  ///< add "rev_<rel>" for every relation (typed_graph::add_reverse_relations)
  bool drop_self_loops = false;        ///< discard (v, v) in relations whose two types agree
  bool merge_duplicates = false;       ///< keep one entry per repeated edge
  std::string split{};                 ///< `split/<split>/` to read; empty: the only one present, if any
  bool read_features = true;           ///< read `raw/node-feat/TYPE/` when present
};

namespace io {

/// The comma-separated fields of each non-blank line of a small text file.
inline std::vector<std::vector<std::string>> read_csv_rows(const text_file& file) {
  std::vector<std::vector<std::string>> rows;
  const std::string_view text = file.text();
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      std::vector<std::string> fields;
      std::size_t from = 0;
      while (true) {
        const std::size_t comma = line.find(',', from);
        std::string_view field = line.substr(from, comma == std::string_view::npos ? line.size() - from : comma - from);
        while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
        while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
        if (field.empty()) file.fail(at + from, "empty field");
        fields.emplace_back(field);
        if (comma == std::string_view::npos) break;
        from = comma + 1;
      }
      rows.push_back(std::move(fields));
    }
    at = end + 1;
  }
  return rows;
}

/// Byte offset of the start of non-blank line `index` (for messages).
inline std::size_t line_offset(const text_file& file, std::size_t index) {
  const std::string_view text = file.text();
  std::size_t at = 0, seen = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(at, end - at).find_first_not_of(" \t\r") != std::string_view::npos && seen++ == index) return at;
    at = end + 1;
  }
  return text.size();
}

/// The type names and counts of raw/num-node-dict, each count checked to
/// fit I and, together, the memory available at `bytes_per_vertex`.
template <index_type I>
void read_node_dict(const std::filesystem::path& raw, double bytes_per_vertex, std::vector<std::string>& names,
                    std::vector<std::int64_t>& counts) {
  const text_file file(require_csv(raw, "num-node-dict"));
  const auto rows = read_csv_rows(file);
  if (rows.size() != 2) {
    file.fail(rows.size() < 2 ? file.text().size() : line_offset(file, 2),
              detail::concat("expected a line of type names and a line of counts, found ", rows.size(), " lines"));
  }
  if (rows[1].size() != rows[0].size()) {
    file.fail(line_offset(file, 1), detail::concat(rows[1].size(), " counts for ", rows[0].size(), " types"));
  }
  names = rows[0];
  double total = 0;
  for (std::size_t t = 0; t < names.size(); ++t) {
    const std::string& field = rows[1][t];
    std::int64_t n = -1;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), n);
    if (ec != std::errc() || end != field.data() + field.size() || n < 0) {
      file.fail(line_offset(file, 1), detail::concat("count of type '", names[t], "' is not a count: '", field, "'"));
    }
    if (n > 0 && n - 1 > static_cast<std::int64_t>(std::numeric_limits<I>::max())) {
      throw index_overflow_error(detail::concat(file.name(), ":2: type '", names[t], "' has ", n,
                                                " vertices, more than the vertex id type holds"));
    }
    total += static_cast<double>(n);
    counts.push_back(n);
  }
  require_memory(total * bytes_per_vertex, detail::concat(file.name(), ":2: the vertex counts (", total, " in all)"),
                 "Check the counts against the relation, feature and label files.");
}

/// The relations of raw/: triplet-type-list when present, else the
/// relations/ folders in name order. Each names known types.
inline std::vector<relation_type> read_relation_list(const std::filesystem::path& raw,
                                                     const std::vector<std::string>& names) {
  auto type_index = [&](const std::string& name, const std::string& where) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      throw format_error(detail::concat(where, ": vertex type '", name, "' is not in num-node-dict"));
    }
    return static_cast<std::int32_t>(it - names.begin());
  };
  std::vector<relation_type> out;
  if (const auto list = find_csv(raw, "triplet-type-list")) {
    const text_file file(*list);
    const auto rows = read_csv_rows(file);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto where = file.where(line_offset(file, i));
      if (rows[i].size() != 3) throw format_error(detail::concat(where, ": expected \"source,relation,destination\""));
      out.push_back({type_index(rows[i][0], where), rows[i][1], type_index(rows[i][2], where)});
    }
    return out;
  }
  const auto dir = raw / "relations";
  if (!std::filesystem::is_directory(dir)) return out;
  std::vector<std::string> folders;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) folders.push_back(entry.path().filename().string());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) {
    const auto first = folder.find("___"), last = folder.rfind("___");
    if (first == std::string::npos || first == last || last <= first + 3) {
      throw format_error(
          detail::concat((dir / folder).string(), ": not a relation folder <source>___<relation>___<destination>"));
    }
    const auto where = (dir / folder).string();
    out.push_back({type_index(folder.substr(0, first), where), folder.substr(first + 3, last - first - 3),
                   type_index(folder.substr(last + 3), where)});
  }
  return out;
}

}  // namespace io

/// Reads an OGB heterogeneous dataset directory (the folder holding raw/):
/// the typed graph, and per type its features, labels and splits when present.
template <class V, index_type I, index_type O>
typed_graph_data<V, I, O> read_ogb_typed(const std::filesystem::path& dir, const ogb_typed_options& options = {}) {
  const auto raw = io::ogb_raw_dir(dir);
  std::vector<std::string> names;
  std::vector<std::int64_t> counts;
  io::read_node_dict<I>(raw, sizeof(std::int32_t), names, counts);
  auto relations = io::read_relation_list(raw, names);
  auto schema = typed_schema::from_counts(names, counts, relations);
  {  // every relation's row arrays, priced before any is built
    double bytes = 0;
    for (const auto& rel : schema.relations) {
      bytes += ::matsample::detail::csr_assembly<V, I, O>::bytes_needed(
          static_cast<double>(schema.num_vertices(rel.row_type)), 0, false);
    }
    require_memory(bytes,
                   detail::concat(raw.string(), ": the row arrays of ", schema.num_relations(), " relations over ",
                                  schema.num_vertices(), " vertices"),
                   "Check the counts in num-node-dict against the relation files.");
  }
  std::vector<csr_matrix<V, I, O>> matrices;
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto& rel = schema.relations[static_cast<std::size_t>(r)];
    const auto folder = raw / "relations" / schema.canonical_name(r);
    if (!std::filesystem::is_directory(folder)) {
      throw format_error(detail::concat(folder.string(), ": missing (listed in triplet-type-list)"));
    }
    const std::int64_t rows = schema.num_vertices(rel.row_type), cols = schema.num_vertices(rel.col_type);
    const io::ogb_edges edges(folder);
    matrices.push_back(io::read_coo_matrix<V, I, O>(
        edges.file, 0, {false, false, rows, cols, "edge"},
        {false, options.drop_self_loops && rel.row_type == rel.col_type, options.merge_duplicates},
        [&](const io::coo_scan& scan) { edges.check_lines(scan.entries); }));
  }
  typed_graph_data<V, I, O> data;
  data.graph = typed_graph<V, I, O>(schema, std::move(matrices));
  if (options.add_reverse_relations) data.graph.add_reverse_relations();

  // Per type: features, labels and the chosen split.
  data.types.resize(names.size());
  const auto split_dir = io::split_directory(dir, options.split, "ogb_typed_options::split");
  for (std::size_t t = 0; t < names.size(); ++t) {
    auto& tv = data.types[t];
    const std::int64_t n = counts[t];
    if (const auto feat = io::find_csv(raw / "node-feat" / names[t], "node-feat"); feat && options.read_features) {
      io::read_feature_rows(*feat, n, tv.feature_dim, tv.features);
    }
    if (const auto label = io::find_csv(raw / "node-label" / names[t], "node-label")) {
      tv.labels = io::read_column<std::int32_t>(*label, std::numeric_limits<std::int32_t>::max(), true, "label");
      if (static_cast<std::int64_t>(tv.labels.size()) != n) {
        const io::text_file file(*label);
        file.fail(file.text().size(),
                  detail::concat(tv.labels.size(), " labels for ", n, " vertices of type '", names[t], "'"));
      }
    }
    if (!split_dir.empty()) {
      for (const char* part : {"train", "valid", "test"}) {
        if (auto file = io::find_csv(split_dir / names[t], part)) {
          tv.splits[part] = io::read_column<I>(*file, n, false, "vertex id");
        }
      }
    }
  }
  return data;
}

/// Writes a typed dataset in the OGB heterogeneous raw layout under `dir`
/// (gzip-compressed): every relation of the graph (reverses included, as
/// stored), and per type its features, labels and splits under
/// `split/<split_name>/<type>/`.
template <class V, index_type I, index_type O>
void write_ogb_typed(const std::filesystem::path& dir, const typed_graph_data<V, I, O>& data,
                     const std::string& split_name = "default") {
  const auto& schema = data.graph.schema();
  const auto raw = dir / "raw";
  std::filesystem::create_directories(raw);
  {
    io::text_sink out(raw / "num-node-dict.csv.gz");
    for (std::int32_t t = 0; t < schema.num_types(); ++t) out << (t ? "," : "") << schema.vertex_types[t];
    out << '\n';
    for (std::int32_t t = 0; t < schema.num_types(); ++t) out << (t ? "," : "") << schema.num_vertices(t);
    out << '\n';
    out.close();
  }
  if (schema.num_relations() > 0) {  // none: no list (an empty file is not a list), and no folders
    io::text_sink out(raw / "triplet-type-list.csv.gz");
    for (const auto& rel : schema.relations) {
      out << schema.vertex_types[rel.row_type] << ',' << rel.name << ',' << schema.vertex_types[rel.col_type] << '\n';
    }
    out.close();
  }
  for (std::int32_t r = 0; r < schema.num_relations(); ++r) {
    const auto folder = raw / "relations" / schema.canonical_name(r);
    std::filesystem::create_directories(folder);
    const auto a = data.graph.relation(r).view();
    write_edge_list(folder / "edge.csv.gz", a, {.separator = ',', .weights = false});
    io::text_sink count(folder / "num-edge-list.csv.gz");
    count << static_cast<std::int64_t>(a.nnz()) << '\n';
    count.close();
  }
  for (std::int32_t t = 0; t < schema.num_types() && static_cast<std::size_t>(t) < data.types.size(); ++t) {
    const auto& tv = data.types[t];
    const auto& name = schema.vertex_types[t];
    if (!tv.features.empty()) {
      std::filesystem::create_directories(raw / "node-feat" / name);
      io::text_sink out(raw / "node-feat" / name / "node-feat.csv.gz");
      for (std::size_t i = 0; i < tv.features.size(); ++i) {
        out << tv.features[i] << ((i + 1) % static_cast<std::size_t>(tv.feature_dim) == 0 ? '\n' : ',');
      }
      out.close();
    }
    if (!tv.labels.empty()) {
      std::filesystem::create_directories(raw / "node-label" / name);
      io::text_sink out(raw / "node-label" / name / "node-label.csv.gz");
      for (const auto label : tv.labels) {
        if (label < 0) {
          out << "nan\n";
        } else {
          out << label << '\n';
        }
      }
      out.close();
    }
    for (const auto& [part, ids] : tv.splits) {
      if (ids.empty()) continue;  // an empty split is an absent file (readers reject empty files)
      std::filesystem::create_directories(dir / "split" / split_name / name);
      io::text_sink out(dir / "split" / split_name / name / (part + ".csv.gz"));
      for (const I v : ids) out << v << '\n';
      out.close();
    }
  }
}

}  // namespace matsample
