#pragma once
// How much memory this process may use, so that a size claim can be checked
// before it is allocated. The limit is the smallest of: the cgroup limit
// (v2 memory.max, or v1 memory.limit_in_bytes) of the process's cgroup, the
// address-space limit (ulimit -v), and physical memory. An application
// overrides it with set_memory_limit; the environment with
// MATSAMPLE_MEMORY_LIMIT (bytes, or a number with K/M/G/T).
//
// Checks compare the bytes a claim implies with this limit, not with what
// is free right now: a claim that cannot fit even an idle machine is an
// error in the input, while contention is the allocator's business.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>

#include "matsample/core/error.hpp"

namespace matsample {

/// A memory limit and where it came from.
struct memory_limit_info {
  std::int64_t bytes = std::numeric_limits<std::int64_t>::max();  ///< The limit in bytes; INT64_MAX for none
  /// Where it came from: "no limit" (none found), "set_memory_limit", "MATSAMPLE_MEMORY_LIMIT",
  /// "physical memory", "cgroup memory limit" or "address-space limit (ulimit -v)".
  std::string source = "no limit";
};

/// "123", "64M", "4g", "1.5GiB" as bytes (K, M, G, T, P are powers of 1024);
/// -1 when it does not parse.
inline std::int64_t parse_byte_size(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || !(value >= 0)) return -1;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);
  if (!unit.empty() && (unit.back() == 'i')) unit.remove_suffix(1);
  double scale = 1;
  if (unit.size() == 1) {
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
    const char* units = "KMGTP";
    const auto* at = std::char_traits<char>::find(units, 5, u);
    if (at == nullptr) return -1;
    for (auto k = units; k <= at; ++k) scale *= 1024;
  } else if (!unit.empty()) {
    return -1;
  }
  const double bytes = value * scale;
  return bytes >= 9.2e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(bytes);
}

namespace detail {

inline std::atomic<std::int64_t>& memory_limit_override() {
  static std::atomic<std::int64_t> bytes{0};
  return bytes;
}

/// The first line of a file as bytes, or -1 ("max", absent, unreadable).
inline std::int64_t read_limit_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line == "max") return -1;
  const std::int64_t v = parse_byte_size(line);
  return v > 0 && v < (std::int64_t{1} << 62) ? v : -1;  // v1 says "no limit" with a huge number
}

/// The memory limit of this process's cgroup (v2, then v1), or -1.
inline std::int64_t cgroup_memory_limit() {
  std::ifstream self("/proc/self/cgroup");
  std::int64_t best = -1;
  const auto consider = [&](std::int64_t v) {
    if (v > 0 && (best < 0 || v < best)) best = v;
  };
  for (std::string line; std::getline(self, line);) {
    // "0::/path" (v2) or "N:memory:/path" (v1)
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    if (controllers.empty()) {
      consider(read_limit_file("/sys/fs/cgroup" + path + "/memory.max"));
      consider(read_limit_file("/sys/fs/cgroup/memory.max"));  // a namespaced container sees its own root
    } else if (controllers.find("memory") != std::string::npos) {
      consider(read_limit_file("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"));
      consider(read_limit_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    }
  }
  return best;
}

}  // namespace detail

/// Overrides the limit for this process (bytes > 0), or restores the
/// automatic one (0).
inline void set_memory_limit(std::int64_t bytes) {
  detail::memory_limit_override().store(std::max<std::int64_t>(bytes, 0));
}

/// The memory this process may use, and why (see the file comment).
inline memory_limit_info memory_limit() {
  if (const auto set = detail::memory_limit_override().load(); set > 0) return {set, "set_memory_limit"};
  if (const char* env = std::getenv("MATSAMPLE_MEMORY_LIMIT"); env != nullptr && *env != '\0') {
    const auto v = parse_byte_size(env);
    if (v <= 0) {
      throw argument_error(detail::concat("MATSAMPLE_MEMORY_LIMIT='", env, "' is not a size (bytes, or K/M/G/T)"));
    }
    return {v, "MATSAMPLE_MEMORY_LIMIT"};
  }
  memory_limit_info limit;
  const auto consider = [&](std::int64_t v, const char* source) {
    if (v > 0 && v < limit.bytes) limit = {v, source};
  };
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) consider(static_cast<std::int64_t>(pages) * page, "physical memory");
  consider(detail::cgroup_memory_limit(), "cgroup memory limit");
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY &&
      as.rlim_cur < static_cast<rlim_t>(std::numeric_limits<std::int64_t>::max())) {
    consider(static_cast<std::int64_t>(as.rlim_cur), "address-space limit (ulimit -v)");
  }
  return limit;
}

namespace detail {

/// "1.5 GB", "312.0 MB", "9999 bytes", for messages.
inline std::string human_bytes(double bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"};
  if (bytes < 1e4) return concat(static_cast<std::int64_t>(bytes), " bytes");
  int u = 0;
  while (bytes >= 1000 && u < 7) {
    bytes /= 1000;
    ++u;
  }
  char text[48];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

}  // namespace detail

/// Throws size_error unless `bytes` (a double, so that absurd claims do not
/// wrap) fit memory_limit(). `claim` says what implies them, with the file
/// and line where there is one ("edges.txt:2: source id 2000000000 implies
/// 2000000001 vertices"); `advice` what to do when the claim is real.
inline void require_memory(double bytes, std::string_view claim, std::string_view advice = {}) {
  const auto limit = memory_limit();
  if (bytes <= static_cast<double>(limit.bytes)) return;
  throw size_error(detail::concat(claim, ": that needs ", detail::human_bytes(bytes), " of memory, but ",
                                  detail::human_bytes(static_cast<double>(limit.bytes)), " is available (",
                                  limit.source, "). ", advice.empty() ? "" : advice, advice.empty() ? "" : " ",
                                  "If the size is right, raise the limit with MATSAMPLE_MEMORY_LIMIT or "
                                  "set_memory_limit, or use a machine with more memory."));
}

}  // namespace matsample
