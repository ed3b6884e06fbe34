#pragma once
// Text writers for the formats the readers take, so graphs round-trip and
// users can export to other tools. A name ending in .gz is gzip-compressed.

#include <zlib.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/io/dataset.hpp"

namespace matsample::io {

/// Buffered output to a plain or gzip file; the file appears complete or not
/// at all (temporary name, renamed on close).
class text_sink {
 public:
  /// Opens `path` + ".tmp" for writing, gzip-compressed when `path` ends in
  /// .gz; throws matsample::error when it cannot.
  explicit text_sink(std::filesystem::path path) : path_(std::move(path)), tmp_(path_.string() + ".tmp") {
    gz_ = path_.extension() == ".gz";
    if (gz_) {
      gzfile_ = gzopen(tmp_.c_str(), "wb6");
      if (gzfile_ == nullptr) throw error(detail::concat(path_.string(), ": cannot open for writing"));
    } else {
      file_ = std::fopen(tmp_.c_str(), "wb");
      if (file_ == nullptr) throw error(detail::concat(path_.string(), ": cannot open for writing"));
    }
    buffer_.reserve(1 << 20);
  }
  text_sink(const text_sink&) = delete;
  text_sink& operator=(const text_sink&) = delete;
  ~text_sink() {
    if (file_ != nullptr || gzfile_ != nullptr) {  // not closed: an exception is unwinding
      if (gz_)
        gzclose(gzfile_);
      else
        std::fclose(file_);
      std::error_code ignored;  // a destructor must not throw: the first error is already unwinding
      std::filesystem::remove(tmp_, ignored);
    }
  }

  /// Appends a char, a string, or a number (std::to_chars: integers in
  /// decimal, floating point in the shortest form that reads back exactly).
  template <class T>
  text_sink& operator<<(T value) {
    if constexpr (std::is_same_v<T, char>) {
      buffer_.push_back(value);
    } else if constexpr (std::is_convertible_v<T, std::string_view>) {
      buffer_.append(std::string_view(value));
    } else {
      char digits[64];
      const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
      buffer_.append(digits, end);
    }
    if (buffer_.size() >= (1 << 20)) flush();
    return *this;
  }

  /// Flushes and renames the temporary file to the final path; throws
  /// matsample::error (and removes the temporary file) when writing failed.
  /// A sink destroyed without close() removes its temporary file.
  void close() {
    flush();
    const bool ok = gz_ ? gzclose(gzfile_) == Z_OK : std::fclose(file_) == 0;
    gzfile_ = nullptr;
    file_ = nullptr;
    std::error_code ec;
    if (!ok) {
      std::filesystem::remove(tmp_, ec);
      throw error(detail::concat(path_.string(), ": write failed"));
    }
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) {  // e.g. path is a directory: matsample::error like every other write failure
      std::error_code ignored;
      std::filesystem::remove(tmp_, ignored);
      throw error(detail::concat(path_.string(), ": cannot replace it with the written file (", ec.message(), ")"));
    }
  }

 private:
  void flush() {
    if (buffer_.empty()) return;
    const bool ok = gz_ ? gzwrite(gzfile_, buffer_.data(), static_cast<unsigned>(buffer_.size())) ==
                              static_cast<int>(buffer_.size())
                        : std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
    if (!ok) throw error(detail::concat(path_.string(), ": write failed"));
    buffer_.clear();
  }

  std::filesystem::path path_;
  std::string tmp_;
  bool gz_ = false;
  std::FILE* file_ = nullptr;
  gzFile gzfile_ = nullptr;
  std::string buffer_;
};

}  // namespace matsample::io

namespace matsample {

/// How write_edge_list writes lines.
struct edge_list_write_options {
  bool one_based = false;   ///< write vertex v as v + 1
  char separator = ' ';     ///< between the fields of a line (a space, a comma, a tab)
  bool weights = true;      ///< write values as a third column when the matrix has them
  bool upper_only = false;  ///< write (i, j) only for i <= j: one line per undirected edge
};

/// Writes one "row col [value]" line per stored entry of `m`, in row order
/// (.gz: gzip-compressed); the file appears complete or not at all.
template <class V, index_type I, index_type O>
void write_edge_list(const std::filesystem::path& path, const csr_view<V, I, O>& m,
                     edge_list_write_options options = {}) {
  io::text_sink out(path);
  const std::int64_t base = options.one_based ? 1 : 0;
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.row_begin(r); e < m.row_end(r); ++e) {
      const I c = m.indices()[e];
      if (options.upper_only && c < r) continue;
      out << (r + base) << options.separator << (c + base);
      if (options.weights && m.has_values()) out << options.separator << m.values()[e];
      out << '\n';
    }
  }
  out.close();
}

/// A general coordinate Matrix Market file (real, or pattern without values).
template <class V, index_type I, index_type O>
void write_matrix_market(const std::filesystem::path& path, const csr_view<V, I, O>& m) {
  io::text_sink out(path);
  out << "%%MatrixMarket matrix coordinate " << (m.has_values() ? "real" : "pattern") << " general\n"
      << "% written by matsample\n"
      << m.rows() << ' ' << m.cols() << ' ' << m.nnz() << '\n';
  for (I r = 0; r < m.rows(); ++r) {
    for (O e = m.row_begin(r); e < m.row_end(r); ++e) {
      out << (r + 1) << ' ' << (m.indices()[e] + 1);
      if (m.has_values()) out << ' ' << m.values()[e];
      out << '\n';
    }
  }
  out.close();
}

/// Writes `data` in the OGB raw layout under `dir` (gzip-compressed), with
/// its splits under `split/<split_name>/`. With `undirected`, each edge is
/// listed once (i <= j), to be read back with add_inverse_edges.
template <class V, index_type I, index_type O>
void write_ogb(const std::filesystem::path& dir, const graph_data_view<V, I, O>& data, bool undirected,
               const std::string& split_name = "default") {
  std::filesystem::create_directories(dir / "raw");
  write_edge_list(dir / "raw" / "edge.csv.gz", data.graph,
                  {.separator = ',', .weights = false, .upper_only = undirected});
  std::int64_t edges = 0;
  for (I r = 0; r < data.graph.rows(); ++r) {
    for (O e = data.graph.row_begin(r); e < data.graph.row_end(r); ++e)
      edges += !(undirected && data.graph.indices()[e] < r);
  }
  const auto single = [&](const std::filesystem::path& p, std::int64_t value) {
    io::text_sink out(p);
    out << value << '\n';
    out.close();
  };
  single(dir / "raw" / "num-node-list.csv.gz", data.graph.rows());
  single(dir / "raw" / "num-edge-list.csv.gz", edges);
  if (!data.features.empty()) {
    io::text_sink out(dir / "raw" / "node-feat.csv.gz");
    for (std::int64_t v = 0; v < data.num_vertices(); ++v) {
      const auto row = data.feature_row(v);
      for (std::size_t j = 0; j < row.size(); ++j) out << (j ? "," : "") << row[j];
      out << '\n';
    }
    out.close();
  }
  if (!data.labels.empty()) {
    io::text_sink out(dir / "raw" / "node-label.csv.gz");
    for (const auto label : data.labels) {
      if (label < 0)
        out << "nan\n";
      else
        out << label << '\n';
    }
    out.close();
  }
  if (!data.splits.empty()) {
    std::filesystem::create_directories(dir / "split" / split_name);
    for (const auto& [name, ids] : data.splits) {
      if (ids.empty()) continue;  // an empty split is an absent file (readers reject empty files)
      io::text_sink out(dir / "split" / split_name / (name + ".csv.gz"));
      for (const I v : ids) out << v << '\n';
      out.close();
    }
  }
}

}  // namespace matsample
