#pragma once
// Coordinate lines ("i j [w]") straight into CSR: edge lists, OGB edge.csv
// and Matrix Market bodies all go through read_coo_matrix. The text is
// parsed twice (count, then place; three times when the shape must first be
// found from the largest id) instead of holding a parsed coordinate copy, so
// the peak memory of a load is the final CSR plus its row counters.

#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/io/text.hpp"

namespace matsample::io {

struct coo_line_format {
  bool one_based = false;
  bool weighted = false;              ///< a third column holds the value
  std::int64_t rows = -1, cols = -1;  ///< id bounds when known (-1: unbounded)
  const char* what = "edge";
};

/// What a pass over the lines saw.
struct coo_scan {
  std::int64_t entries = 0;
  std::int64_t max_row = -1, max_col = -1;
};

/// Parses every non-comment line of text[begin, end) as "row col [value]"
/// and calls sink(row, col, value) for each, concurrently from several
/// threads; ids arrive 0-based and checked against the format's bounds and
/// the index type. Malformed input throws format_error after the pass.
template <class V, index_type I, class Sink>
coo_scan parse_coo_lines(const text_file& file, std::size_t begin, coo_line_format format, Sink&& sink) {
  const std::int64_t base = format.one_based ? 1 : 0;
  std::vector<coo_scan> seen;
  parse_chunks(file, begin, [&](std::size_t chunks) { seen.assign(chunks, {}); },
               [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure& failure) {
    coo_scan& local = seen[c];
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
      V w{1};
      const std::size_t r_at = (fields.next(), fields.offset());
      if (!fields.read(r, "source id", failure) || !check_id(r, format.rows, "source", r_at)) return false;
      const std::size_t c_at = (fields.next(), fields.offset());
      if (!fields.read(col, "target id", failure) || !check_id(col, format.cols, "target", c_at)) return false;
      // Parsed straight into V: one correct rounding.
      if (format.weighted && !fields.read(w, "weight", failure)) return false;
      if (!fields.at_end()) {
        failure = {fields.offset(), detail::concat("expected ", format.weighted ? 3 : 2, " columns per ", format.what,
                                                   " line, found more")};
        return false;
      }
      sink(static_cast<I>(r - base), static_cast<I>(col - base), w);
      ++local.entries;
      local.max_row = std::max(local.max_row, r - base);
      local.max_col = std::max(local.max_col, col - base);
      return true;
    });
  });
  coo_scan total;
  for (const auto& s : seen) {
    total.entries += s.entries;
    total.max_row = std::max(total.max_row, s.max_row);
    total.max_col = std::max(total.max_col, s.max_col);
  }
  return total;
}

/// The CSR of the coordinate lines of text[begin, end). An unknown shape
/// (format.rows or cols of -1) makes the matrix square with one more row
/// than the largest id, as for an edge list. check(scan) runs after the
/// first complete pass, before anything large is allocated, so a reader can
/// reject a wrong entry count early.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> read_coo_matrix(const text_file& file, std::size_t begin, coo_line_format format,
                                    build_options build, const std::function<void(const coo_scan&)>& check = {}) {
  const bool shape_known = format.rows >= 0 && format.cols >= 0;
  if (!shape_known) {
    const auto scan = parse_coo_lines<V, I>(file, begin, format, [](I, I, V) {});
    if (check) check(scan);
    format.rows = format.cols = std::max(scan.max_row, scan.max_col) + 1;
  }
  detail::csr_assembly<V, I, O> assembly(format.rows, format.cols, format.weighted, build);
  const auto counted = parse_coo_lines<V, I>(file, begin, format, [&](I r, I c, V) { assembly.count(r, c); });
  if (check && shape_known) check(counted);
  assembly.allocate();
  parse_coo_lines<V, I>(file, begin, format, [&](I r, I c, V v) { assembly.place(r, c, v); });
  return std::move(assembly).finish();
}

}  // namespace matsample::io
