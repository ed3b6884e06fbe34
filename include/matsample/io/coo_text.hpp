#pragma once
// Parsing coordinate lines ("i j [w]") into per-chunk arrays that feed the
// CSR builder directly: edge lists, OGB edge.csv and Matrix Market bodies all
// go through read_coo_lines.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/io/text.hpp"

namespace matsample::io {

template <class V, index_type I>
struct coo_chunks {
  std::vector<std::vector<I>> rows, cols;
  std::vector<std::vector<V>> values;
  std::int64_t max_row = -1, max_col = -1;
  std::int64_t entries = 0;

  [[nodiscard]] std::vector<coo_span<V, I>> pieces() const {
    std::vector<coo_span<V, I>> out;
    for (std::size_t c = 0; c < rows.size(); ++c) out.push_back({rows[c], cols[c], values[c]});
    return out;
  }
};

struct coo_line_format {
  bool one_based = false;
  bool weighted = false;              ///< a third column holds the value
  std::int64_t rows = -1, cols = -1;  ///< id bounds when known (-1: unbounded)
  const char* what = "edge";
};

/// Parses every non-comment line of text[begin, end) as "row col [value]".
template <class V, index_type I>
coo_chunks<V, I> read_coo_lines(const text_file& file, std::size_t begin, coo_line_format format) {
  coo_chunks<V, I> out;
  const std::int64_t base = format.one_based ? 1 : 0;
  std::vector<std::int64_t> max_row, max_col;
  parse_chunks(file, begin, [&](std::size_t chunks) {
    out.rows.resize(chunks);
    out.cols.resize(chunks);
    out.values.resize(chunks);
    max_row.assign(chunks, -1);
    max_col.assign(chunks, -1);
  }, [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure& failure) {
    auto& rows = out.rows[c];
    auto& cols = out.cols[c];
    auto& vals = out.values[c];
    rows.reserve(chunk.size() / 12);
    cols.reserve(chunk.size() / 12);
    const auto check_id = [&](std::int64_t id, std::int64_t bound, const char* role, std::size_t at) {
      if (id < base) {
        failure = {at, detail::concat(id < 0 ? "negative " : "", role, " id ", id,
                                      format.one_based ? " in a 1-based file (ids start at 1)" : "")};
        return false;
      }
      if (bound >= 0 && id - base >= bound) {
        failure = {at, detail::concat(role, " id ", id, " out of range (", bound, format.one_based ? " ids, 1-based)" : " ids, 0-based)")};
        return false;
      }
      // The vertex count (largest id + 1) must fit the index type too.
      if (id - base >= std::numeric_limits<I>::max()) {
        failure = {at, detail::concat(role, " id ", id, " does not fit a ", sizeof(I) * 8,
                                      "-bit index (with the vertex count it implies)")};
        return false;
      }
      return true;
    };
    for_each_line(chunk, offset, [&](std::string_view line, std::size_t at) {
      if (skippable(line)) return true;
      field_reader fields(line, at);
      std::int64_t r = 0, col = 0;
      const std::size_t r_at = (fields.next(), fields.offset());
      if (!fields.read(r, "source id", failure) || !check_id(r, format.rows, "source", r_at)) return false;
      const std::size_t c_at = (fields.next(), fields.offset());
      if (!fields.read(col, "target id", failure) || !check_id(col, format.cols, "target", c_at)) return false;
      if (format.weighted) {
        V w{};  // parsed straight into V: one correct rounding
        if (!fields.read(w, "weight", failure)) return false;
        vals.push_back(w);
      }
      if (!fields.at_end()) {
        failure = {fields.offset(), detail::concat("expected ", format.weighted ? 3 : 2, " columns per ", format.what,
                                                   " line, found more")};
        return false;
      }
      rows.push_back(static_cast<I>(r - base));
      cols.push_back(static_cast<I>(col - base));
      max_row[c] = std::max(max_row[c], r - base);
      max_col[c] = std::max(max_col[c], col - base);
      return true;
    });
  });
  for (std::size_t c = 0; c < out.rows.size(); ++c) {
    out.max_row = std::max(out.max_row, max_row[c]);
    out.max_col = std::max(out.max_col, max_col[c]);
    out.entries += static_cast<std::int64_t>(out.rows[c].size());
  }
  return out;
}

}  // namespace matsample::io
