#pragma once
// Text input shared by every reader: a file is mapped (uncompressed, no copy)
// or inflated (gzip, through zlib), split into line-aligned chunks, and parsed
// in parallel with std::from_chars. Errors carry the byte offset at which they
// occurred; the line number is counted only when an error is reported, so
// the fast path never tracks it.

#include <fcntl.h>
#include <omp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <type_traits>
#include <vector>

#include "matsample/core/error.hpp"

namespace matsample::io {

/// A read-only memory mapping of a whole file (RAII).
class mapped_file {
 public:
  /// No file: bytes() is empty.
  mapped_file() = default;
  /// Maps the whole of `path` read-only (an empty file maps to no bytes);
  /// throws matsample::error when it cannot be opened, inspected or mapped.
  explicit mapped_file(const std::filesystem::path& path) : path_(path.string()) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(detail::concat(path_, ": cannot open (", std::strerror(errno), ")"));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw error(detail::concat(path_, ": cannot stat (", std::strerror(errno), ")"));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw error(detail::concat(path_, ": cannot map (", std::strerror(errno), ")"));
      }
      ::madvise(p, size_, MADV_SEQUENTIAL);
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);
  }
  /// Takes over o's mapping; o is left with none.
  mapped_file(mapped_file&& o) noexcept { *this = std::move(o); }
  /// Swaps mappings with o, which unmaps this one's old mapping when it is destroyed.
  mapped_file& operator=(mapped_file&& o) noexcept {
    std::swap(path_, o.path_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  /// The file's bytes, valid while the mapping lives.
  [[nodiscard]] std::string_view bytes() const noexcept { return {data_, size_}; }
  /// The path it was opened with (empty for no file).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// Drops the whole pages inside bytes [begin, end) from this process's
  /// resident set once they have been read. They stay in the page cache, so
  /// a later pass faults them back in cheaply; meanwhile a multi-gigabyte
  /// input does not count against the loader's peak memory.
  void release(std::size_t begin, std::size_t end) const noexcept {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t first = (begin + page - 1) / page * page, last = std::min(end, size_) / page * page;
    if (data_ != nullptr && first < last) ::madvise(const_cast<char*>(data_) + first, last - first, MADV_DONTNEED);
  }

 private:
  std::string path_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// "<file>:<line>" for byte `at` of `text`.
inline std::string location(const std::string& file, std::string_view text, std::size_t at) {
  at = std::min(at, text.size());
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  return detail::concat(file, ":", line);
}

/// Throws format_error "<file>:<line>: <what>" for an error at byte `at` of `text`.
[[noreturn]] inline void fail_at(const std::string& file, std::string_view text, std::size_t at,
                                 std::string_view what) {
  throw format_error(detail::concat(location(file, text, at), ": ", what));
}

/// The text of an input file: mapped when plain, inflated when it ends in .gz.
class text_file {
 public:
  /// An empty file is an error unless `allow_empty` (a format that can
  /// legitimately have no records says so).
  explicit text_file(const std::filesystem::path& path, bool allow_empty = false) : name_(path.string()) {
    if (path.extension() == ".gz") {
      inflate_gzip(mapped_file(path).bytes());
    } else {
      map_ = mapped_file(path);
    }
    if (text().empty() && !allow_empty) throw format_error(detail::concat(name_, ":1: empty file"));
  }
  /// The whole text (decompressed for .gz), valid while this object lives.
  [[nodiscard]] std::string_view text() const noexcept {
    return inflated_.empty() ? map_.bytes() : std::string_view(inflated_);
  }
  /// The file's path as given, for messages.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Throws format_error "file:line: what" for an error at byte `at` of text().
  [[noreturn]] void fail(std::size_t at, std::string_view what) const { fail_at(name_, text(), at, what); }
  /// "<file>:<line>" of byte `at`, for messages.
  [[nodiscard]] std::string where(std::size_t at) const { return location(name_, text(), at); }
  /// The most lines of at least `min_line_bytes` bytes (newline included;
  /// the last may lack it) that text[begin, end) can hold: what a count
  /// claimed by a header is checked against before it is believed.
  [[nodiscard]] std::int64_t max_lines(std::size_t begin, std::size_t min_line_bytes) const noexcept {
    const std::size_t bytes = text().size() - std::min(begin, text().size());
    return static_cast<std::int64_t>((bytes + 1) / min_line_bytes);
  }
  /// Text bytes [begin, end) have been parsed (see mapped_file::release).
  void release(std::size_t begin, std::size_t end) const noexcept {
    if (inflated_.empty()) map_.release(begin, end);
  }

 private:
  void inflate_gzip(std::string_view gz) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw error(detail::concat(name_, ": zlib initialisation failed"));
    std::unique_ptr<z_stream, void (*)(z_stream*)> guard(&z, [](z_stream* s) { inflateEnd(s); });
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    std::size_t consumed = 0;
    inflated_.resize(std::max<std::size_t>(gz.size() * 4, 1 << 16));
    std::size_t produced = 0;
    int status = Z_OK;
    while (true) {
      // zlib counts in uInt: feed at most 1 GiB at a time.
      const std::size_t in_step = std::min<std::size_t>(gz.size() - consumed, 1u << 30);
      z.avail_in = static_cast<uInt>(in_step);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + consumed));
      if (produced == inflated_.size()) inflated_.resize(inflated_.size() * 2);
      const std::size_t out_step = std::min<std::size_t>(inflated_.size() - produced, 1u << 30);
      z.avail_out = static_cast<uInt>(out_step);
      z.next_out = reinterpret_cast<Bytef*>(inflated_.data() + produced);
      status = inflate(&z, Z_NO_FLUSH);
      consumed += in_step - z.avail_in;
      produced += out_step - z.avail_out;
      if (status == Z_STREAM_END) {
        if (consumed == gz.size()) break;
        // Concatenated gzip members are one file (as gzip -d treats them).
        if (inflateReset(&z) != Z_OK) break;
        continue;
      }
      if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_MEM_ERROR) {
        inflated_.resize(produced);
        fail_at(name_, inflated_, produced,
                detail::concat("corrupt gzip data (", z.msg ? z.msg : "inflate failed", ")"));
      }
      if (status == Z_BUF_ERROR && consumed == gz.size() && z.avail_out != 0) {
        inflated_.resize(produced);
        fail_at(name_, inflated_, produced, "truncated gzip stream (the file ends inside compressed data)");
      }
    }
    inflated_.resize(produced);
    inflated_.shrink_to_fit();
  }

  std::string name_;
  mapped_file map_;
  std::string inflated_;
};

/// A parse error found inside a parallel region: where, and what.
struct parse_failure {
  std::size_t at = std::numeric_limits<std::size_t>::max();  ///< byte offset in the text (max: none yet)
  std::string what;                                          ///< the message; empty while nothing failed
};

/// Splits `text` into about `pieces` chunks that start at line beginnings.
inline std::vector<std::size_t> line_aligned_chunks(std::string_view text, std::size_t pieces) {
  std::vector<std::size_t> cuts{0};
  for (std::size_t p = 1; p < pieces; ++p) {
    std::size_t at = std::max(text.size() * p / pieces, cuts.back());
    const auto nl = text.find('\n', at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    if (at > cuts.back() && at < text.size()) cuts.push_back(at);
  }
  cuts.push_back(text.size());
  return cuts;
}

/// Bytes [begin, end) of a text, both at line starts (or the text's end).
/// Converts from a lone offset, meaning "from there to the end", because
/// most readers parse everything after a header.
struct byte_range {
  std::size_t begin = 0;                     ///< first byte
  std::size_t end = std::string_view::npos;  ///< one past the last byte; npos (or beyond): the text's end
  /// Bytes [from, to); implicit, so a lone offset means "from there to the end".
  constexpr byte_range(std::size_t from = 0, std::size_t to = std::string_view::npos) noexcept : begin(from), end(to) {}
};

/// Part `part` of `parts` of text[begin, end): cut at the first line start
/// at or after each equal share, so the parts of all ranks of a
/// distributed load cover every line exactly once (some may be empty).
inline byte_range line_aligned_part(std::string_view text, byte_range whole, int part, int parts) {
  const std::size_t begin = std::min(whole.begin, text.size()), end = std::min(whole.end, text.size());
  const auto cut = [&](int k) -> std::size_t {
    if (k <= 0) return begin;
    if (k >= parts) return end;
    const std::size_t at = begin + static_cast<std::size_t>((static_cast<unsigned __int128>(end - begin) * k) / parts);
    if (at == begin) return begin;
    const auto nl = text.find('\n', at - 1);
    return nl == std::string_view::npos || nl >= end ? end : nl + 1;
  };
  return {cut(part), cut(part + 1)};
}

/// Parses text[range) in line-aligned chunks in parallel: prepare(chunks)
/// runs first, then parse(chunk, chunk_offset, chunk_index, failure) for each
/// chunk, so outputs indexed by chunk concatenate in file order. The error
/// with the lowest byte offset is thrown as a format_error naming the file
/// and line.
template <class Prepare, class Parse>
void parse_chunks(const text_file& file, byte_range range, Prepare&& prepare, Parse&& parse) {
  const std::string_view all = file.text();
  const std::size_t end = std::min(range.end, all.size()), begin = std::min(range.begin, end);
  const std::string_view text = all.substr(begin, end - begin);
  const int threads = text.size() < (1u << 20) ? 1 : omp_get_max_threads();
  // Chunks of at most ~32 MB keep the mapped pages resident at any moment small.
  const auto cuts =
      line_aligned_chunks(text, std::max<std::size_t>(static_cast<std::size_t>(threads) * 8, text.size() >> 25));
  const std::size_t chunks = cuts.size() - 1;
  prepare(chunks);
  std::vector<parse_failure> failures(chunks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::size_t c = 0; c < chunks; ++c) {
    parse(text.substr(cuts[c], cuts[c + 1] - cuts[c]), begin + cuts[c], c, failures[c]);
    file.release(begin + cuts[c], begin + cuts[c + 1]);
  }
  for (const auto& f : failures) {
    if (!f.what.empty()) file.fail(f.at, f.what);
  }
}

/// Cursor over one line's fields, separated by commas and/or blanks.
class field_reader {
 public:
  /// Reads `line`, which starts at byte `line_offset` of the text (for the
  /// offsets in failures).
  field_reader(std::string_view line, std::size_t line_offset) : line_(line), base_(line_offset) {}

  /// Skips separators; false at the end of the line.
  bool next() {
    while (pos_ < line_.size() && is_separator(line_[pos_])) ++pos_;
    return pos_ < line_.size();
  }
  /// Byte offset in the text of the cursor (the next field after next()).
  [[nodiscard]] std::size_t offset() const noexcept { return base_ + pos_; }

  /// Parses the next field as T; on failure fills `failure` and returns false.
  template <class T>
  bool read(T& value, std::string_view what, parse_failure& failure) {
    if (!next()) {
      failure = {base_ + pos_, detail::concat("missing ", what)};
      return false;
    }
    const char* first = line_.data() + pos_;
    const char* last = line_.data() + line_.size();
    if constexpr (std::is_floating_point_v<T>) {
      if (*first == '+') ++first;  // from_chars rejects a leading '+'
    }
    const auto [end, ec] = std::from_chars(first, last, value);
    const bool ends_field = end == last || is_separator(*end) || *end == '\r';
    if (ec != std::errc{} || !ends_field) {
      std::size_t stop = pos_;
      while (stop < line_.size() && !is_separator(line_[stop]) && line_[stop] != '\r') ++stop;
      const bool too_big = ec == std::errc::result_out_of_range;
      failure = {base_ + pos_,
                 detail::concat(too_big ? "out-of-range " : "malformed ", what, " '", line_.substr(pos_, stop - pos_),
                                "'", too_big ? range_note<T>() : std::string())};
      return false;
    }
    pos_ = static_cast<std::size_t>(end - line_.data());
    return true;
  }

  /// True when only separators (or a trailing carriage return) remain.
  bool at_end() {
    while (pos_ < line_.size() && (is_separator(line_[pos_]) || line_[pos_] == '\r')) ++pos_;
    return pos_ == line_.size();
  }

 private:
  static bool is_separator(char c) noexcept { return c == ',' || c == ' ' || c == '\t'; }
  /// What a value that does not fit T is beyond, for messages.
  template <class T>
  static std::string range_note() {
    if constexpr (std::is_integral_v<T>) {
      return detail::concat(" (beyond the ", sizeof(T) * 8, "-bit integers, whose largest is ",
                            std::numeric_limits<T>::max(), ")");
    } else {
      return detail::concat(" (beyond ", sizeof(T) == 4 ? "float" : "double", " range)");
    }
  }
  std::string_view line_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

/// Reads the rest of a line as exactly `dim` finite floats into `out` (a
/// feature row); otherwise fills `failure` (at the line's offset `at`,
/// naming the row's vertex id when `id` is given) and returns false.
inline bool read_feature_values(field_reader& fields, float* out, std::int64_t dim, std::size_t at,
                                parse_failure& failure, const std::int64_t* id = nullptr) {
  std::int64_t count = 0;
  float x = 0;
  while (!fields.at_end()) {
    if (!fields.read(x, "feature", failure)) return false;
    if (!std::isfinite(x)) {
      failure = {at, "non-finite feature value"};
      return false;
    }
    if (count < dim) out[count] = x;
    ++count;
  }
  if (count != dim) {
    failure = {at, detail::concat("feature row", id != nullptr ? detail::concat(" of id ", *id) : std::string(),
                                  " has ", count, " values, expected ", dim, " (as on the first row)")};
    return false;
  }
  return true;
}

/// Calls f(line, offset_of_line) for every line of `chunk` (without '\n').
template <class F>
void for_each_line(std::string_view chunk, std::size_t chunk_offset, F&& f) {
  std::size_t start = 0;
  while (start < chunk.size()) {
    auto end = chunk.find('\n', start);
    if (end == std::string_view::npos) end = chunk.size();
    if (!f(chunk.substr(start, end - start), chunk_offset + start)) return;
    start = end + 1;
  }
}

/// A blank line or a comment (first non-blank character is '#' or '%').
inline bool skippable(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos || line[first] == '#' || line[first] == '%';
}

}  // namespace matsample::io
