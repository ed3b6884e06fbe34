#pragma once
// Coordinate lines ("i j [w]") straight into CSR: edge lists, OGB edge.csv
// and Matrix Market bodies all go through read_coo_matrix. The text is
// parsed twice (count, then place) instead of holding a parsed coordinate
// copy, so the peak memory of a load is the final CSR plus its row counters.

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <vector>

#include "matsample/core/build.hpp"
#include "matsample/io/text.hpp"

namespace matsample::detail {

/// Per-row counters for ids not yet bounded: address space for every id the
/// index type allows (capped for 64-bit ids), reserved without backing
/// (MAP_NORESERVE), so only the pages of ids that occur take memory, and
/// those are fewer than the row offsets the final CSR will hold. Lets a
/// reader count rows while it learns the vertex count, in the same pass.
class reserved_counts {
 public:
  explicit reserved_counts(std::int64_t entries) : entries_(entries) {
    bytes_ = static_cast<std::size_t>(entries) * sizeof(std::int64_t);
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<std::int64_t*>(p);
  }
  reserved_counts(const reserved_counts&) = delete;
  reserved_counts& operator=(const reserved_counts&) = delete;
  ~reserved_counts() {
    if (data_ != nullptr) ::munmap(data_, bytes_);
  }
  [[nodiscard]] bool ok() const noexcept { return data_ != nullptr; }
  [[nodiscard]] std::int64_t* data() noexcept { return data_; }
  [[nodiscard]] std::int64_t entries() const noexcept { return entries_; }

 private:
  std::int64_t entries_;
  std::size_t bytes_ = 0;
  std::int64_t* data_ = nullptr;
};

}  // namespace matsample::detail

namespace matsample::io {

/// How parse_coo_lines reads "row col [value]" lines.
struct coo_line_format {
  bool one_based = false;  ///< the file's ids start at 1 (ignored with an id map or raw_ids)
  bool weighted = false;   ///< a third column holds the value
  /// Bound on the 0-based row ids when known (-1: unbounded).
  std::int64_t rows = -1, cols = -1;  ///< bound on the 0-based column ids when known (-1: unbounded)
  const char* what = "edge";          ///< what a line holds, for error messages ("expected 2 columns per edge line")
  /// Non-empty: the ids are compacted through this sorted list of the ids
  /// that occur (an id map); each becomes its position in it.
  std::span<const std::int64_t> id_map = {};
  /// The ids as written, any int64, unchecked: to collect them for an id map.
  bool raw_ids = false;
};

/// What a pass over the lines saw.
struct coo_scan {
  std::int64_t entries = 0;  ///< lines parsed as entries
  /// Largest row id seen, 0-based (-1: none).
  std::int64_t max_row = -1, max_col = -1;  ///< largest column id seen, 0-based (-1: none)
  std::size_t largest_at = 0;               ///< byte offset of the largest id
  const char* largest_role = "source";      ///< and whether it was a source or a target id
  std::int64_t largest_written = -1;        ///< that id as the file writes it

  /// Largest id seen in either column (-1: none).
  [[nodiscard]] std::int64_t largest() const noexcept { return std::max(max_row, max_col); }
  /// Adds another chunk's scan: counts add, maxima and the largest id's
  /// position combine.
  void merge(const coo_scan& o) noexcept {
    entries += o.entries;
    max_row = std::max(max_row, o.max_row);
    max_col = std::max(max_col, o.max_col);
    if (o.largest() > largest_seen_) {
      largest_seen_ = o.largest();
      largest_at = o.largest_at;
      largest_role = o.largest_role;
      largest_written = o.largest_written;
    }
  }
  /// Records `id` (0-based; `written` as in the file, at byte `at`, a source
  /// or target id) if it is the largest so far.
  void see(std::int64_t id, std::int64_t written, bool source, std::size_t at) noexcept {
    if (id > largest_seen_) {
      largest_seen_ = id;
      largest_at = at;
      largest_role = source ? "source" : "target";
      largest_written = written;
    }
  }

 private:
  std::int64_t largest_seen_ = -1;
};

/// Parses every non-comment line of text[range) as "row col [value]"
/// and calls sink(row, col, value) for each, concurrently from several
/// threads; ids arrive 0-based and checked against the format's bounds and
/// the index type. Malformed input throws format_error after the pass.
template <class V, index_type I, class Sink>
coo_scan parse_coo_lines(const text_file& file, byte_range range, coo_line_format format, Sink&& sink) {
  const bool compacted = !format.id_map.empty();
  const std::int64_t base = format.one_based && !compacted && !format.raw_ids ? 1 : 0;
  std::vector<coo_scan> seen;
  parse_chunks(
      file, range, [&](std::size_t chunks) { seen.assign(chunks, {}); },
      [&](std::string_view chunk, std::size_t offset, std::size_t c, parse_failure& failure) {
        coo_scan& local = seen[c];
        // The id as written becomes 0-based (or its position in the id map),
        // checked against the format's bounds and the index type.
        const auto resolve = [&](std::int64_t& id, std::int64_t bound, const char* role, std::size_t at) {
          if (format.raw_ids) return true;
          const std::int64_t written = id;
          if (compacted) {
            const auto it = std::lower_bound(format.id_map.begin(), format.id_map.end(), id);
            if (it == format.id_map.end() || *it != id) {
              failure = {at, detail::concat(role, " id ", id, " is not in the id map")};
              return false;
            }
            id = it - format.id_map.begin();
          } else if (id < base) {
            failure = {at, detail::concat(id < 0 ? "negative " : "", role, " id ", id,
                                          format.one_based ? " in a 1-based file (ids start at 1)" : "",
                                          " (ids that are not 0..n-1 can be renumbered: compact_ids, "
                                          "graph_tool --compact-ids)")};
            return false;
          } else {
            id -= base;
          }
          if (bound >= 0 && id >= bound) {
            failure = {at, detail::concat(role, " id ", written, " out of range (", bound,
                                          format.one_based ? " ids, 1-based)" : " ids, 0-based)")};
            return false;
          }
          // The vertex count (largest id + 1) must fit the index type too.
          if (id >= std::numeric_limits<I>::max()) {
            failure = {at, detail::concat(role, " id ", written, " does not fit a ", sizeof(I) * 8,
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
          if (!fields.read(r, "source id", failure)) return false;
          const std::int64_t r_written = r;
          if (!resolve(r, format.rows, "source", r_at)) return false;
          const std::size_t c_at = (fields.next(), fields.offset());
          if (!fields.read(col, "target id", failure)) return false;
          const std::int64_t c_written = col;
          if (!resolve(col, format.cols, "target", c_at)) return false;
          // Parsed straight into V: one correct rounding.
          if (format.weighted && !fields.read(w, "weight", failure)) return false;
          if (!fields.at_end()) {
            failure = {fields.offset(), detail::concat("expected ", format.weighted ? 3 : 2, " columns per ",
                                                       format.what, " line, found more")};
            return false;
          }
          sink(static_cast<I>(r), static_cast<I>(col), w);
          ++local.entries;
          local.max_row = std::max(local.max_row, r);
          local.max_col = std::max(local.max_col, col);
          local.see(r, r_written, true, r_at);
          local.see(col, c_written, false, c_at);
          return true;
        });
      });
  coo_scan total;
  for (const auto& s : seen) total.merge(s);
  return total;
}

/// The distinct ids of the coordinate lines of text[range), sorted: the id
/// map of a compacted load (vertex v is the v-th smallest id that occurs).
inline std::vector<std::int64_t> collect_ids(const text_file& file, byte_range range, coo_line_format format) {
  format.raw_ids = true;
  format.id_map = {};
  std::vector<std::int64_t> ids;
  // Each thread keeps the ids it parsed; they are sorted and merged after.
  std::vector<std::vector<std::int64_t>> per_thread(static_cast<std::size_t>(omp_get_max_threads()));
  (void)parse_coo_lines<double, std::int64_t>(file, range, format, [&](std::int64_t r, std::int64_t c, double) {
    auto& mine = per_thread[static_cast<std::size_t>(omp_get_thread_num())];
    mine.push_back(r);
    mine.push_back(c);
  });
  for (auto& part : per_thread) {
    std::sort(part.begin(), part.end());
    part.erase(std::unique(part.begin(), part.end()), part.end());
    ids.insert(ids.end(), part.begin(), part.end());
    std::vector<std::int64_t>().swap(part);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

/// The CSR of the coordinate lines of text[begin, end). An unknown shape
/// (format.rows or cols of -1) makes the matrix square with one more row
/// than the largest id, as for an edge list; its rows are then counted in
/// reserved address space during the pass that finds the largest id, so the
/// text is still parsed only twice (three times if the reservation fails).
/// check(scan) runs after the first complete pass, before anything large is
/// allocated, so a reader can reject a wrong entry count early.
template <class V, index_type I, index_type O>
csr_matrix<V, I, O> read_coo_matrix(const text_file& file, std::size_t begin, coo_line_format format,
                                    build_options build, const std::function<void(const coo_scan&)>& check = {}) {
  const bool shape_known = format.rows >= 0 && format.cols >= 0;
  std::vector<std::int64_t> counted;  // rows already counted, when the one-pass count worked
  if (!shape_known) {
    // Pages of the reservation are touched only where ids occur, but sparse
    // ids could touch one page each: reserve no more rows than the text
    // could need densely (two ids a line of at least 4 bytes), so a small
    // file never makes the pass touch gigabytes; ids beyond that take the
    // plain scan, whose result the check prices before anything is sized.
    const std::int64_t cap = std::min<std::int64_t>(
        {std::numeric_limits<I>::max(), std::int64_t{1} << 33, (std::int64_t{1} << 20) + 2 * file.max_lines(begin, 4)});
    ::matsample::detail::reserved_counts counts(cap);
    bool found = false;
    if (counts.ok()) {
      coo_line_format bounded = format;
      bounded.rows = bounded.cols = counts.entries();
      try {
        const auto scan = parse_coo_lines<V, I>(
            file, begin, bounded, [&](I r, I c, V) { ::matsample::detail::count_entry(counts.data(), r, c, build); });
        if (check) check(scan);
        format.rows = format.cols = std::max(scan.max_row, scan.max_col) + 1;
        counted.assign(counts.data(), counts.data() + format.rows);
        found = true;
      } catch (const format_error&) {
        // An id beyond the reservation, or bad input: the plain scan below
        // finds the shape or reports the error as it would have anyway.
      }
    }
    if (!found) {
      const auto scan = parse_coo_lines<V, I>(file, begin, format, [](I, I, V) {});
      if (check) check(scan);
      format.rows = format.cols = std::max(scan.max_row, scan.max_col) + 1;
    }
  }
  ::matsample::detail::csr_assembly<V, I, O> assembly(format.rows, format.cols, format.weighted, build);
  if (!counted.empty() || (!shape_known && format.rows == 0)) {
    assembly.adopt_counts(counted);
  } else {
    const auto scan = parse_coo_lines<V, I>(file, begin, format, [&](I r, I c, V) { assembly.count(r, c); });
    if (check && shape_known) check(scan);
  }
  assembly.allocate();
  parse_coo_lines<V, I>(file, begin, format, [&](I r, I c, V v) { assembly.place(r, c, v); });
  return std::move(assembly).finish();
}

}  // namespace matsample::io
