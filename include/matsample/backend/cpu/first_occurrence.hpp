#pragma once
// One minibatch's relabelling on every thread. compact_blocks hands each
// minibatch to one thread, which leaves the other cores idle when a call has
// fewer minibatches than threads (k = 1 above all). Here the positions are
// radix-partitioned by a hash of their key, so that each partition's map
// stays cache-sized and partitions are deduplicated independently, each in
// position order; the first occurrences are then numbered in position order,
// which is exactly the one-thread order. The five passes cost about twice one
// thread's single pass (1.7-2.2x on 287,000 positions, R-MAT 21's third
// layer), and scale with the threads, so compact_blocks uses them from 4
// threads on.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "matsample/backend/cpu/hash_map.hpp"
#include "matsample/backend/cpu/scratch.hpp"
#include "matsample/core/index.hpp"

namespace matsample::detail {

/// Minibatches with at least this many positions (destinations plus sampled
/// entries) are relabelled by all threads together; below it the passes and
/// barriers cost more than they share.
inline constexpr std::int64_t parallel_relabel_threshold = std::int64_t{1} << 15;

/// What relabel_by_first_occurrence returns.
struct first_occurrence_result {
  std::int64_t distinct = 0;   ///< number of distinct keys
  bool repeated_head = false;  ///< a destination occurs twice
};

/// Numbers the keys head ++ tail by first occurrence on `threads` threads:
/// nodes[0, distinct) gets the distinct keys in that order and tail_ids[i] the
/// number of tail[i]. The head (a block's destinations) comes first, so when
/// its keys are distinct they are numbered 0, 1, ... in order. Positions must
/// fit I (compact_blocks checks each block's bound).
template <index_type I>
first_occurrence_result relabel_by_first_occurrence(std::span<const I> head, std::span<const I> tail, I* nodes,
                                                    I* tail_ids, int threads) {
  threads = std::max(threads, 1);
  const std::int64_t n_head = static_cast<std::int64_t>(head.size());
  const std::int64_t n = n_head + static_cast<std::int64_t>(tail.size());
  // Partitions of about 8192 positions keep a map of 16384 slots (128 KiB for
  // int32 ids) in L2; at least 4 per thread balance the load.
  int bits = 1;
  while (bits < 12 && ((std::int64_t{1} << bits) < n / 8192 || (std::int64_t{1} << bits) < 4 * threads)) ++bits;
  const std::int64_t parts = std::int64_t{1} << bits;
  // A different multiplier from the maps' own hash, whose top bits pick their slots.
  const auto part_of = [bits](I key) {
    return static_cast<std::int64_t>((static_cast<std::uint64_t>(key) * 0xD6E8FEB86659FD93ULL) >> (64 - bits));
  };
  const auto key_at = [&](std::int64_t p) { return p < n_head ? head[p] : tail[p - n_head]; };
  struct entry {
    I key;
    I position;
  };
  std::vector<std::int64_t> cursor(static_cast<std::size_t>(threads * parts), 0);  // per chunk, per partition
  std::vector<std::int64_t> part_begin(static_cast<std::size_t>(parts) + 1, 0), fresh_count(parts, 0);
  std::vector<std::int64_t> chunk_base(static_cast<std::size_t>(threads) + 1, 0);
  const auto entries = uninitialized<entry>(n);  // partition by partition, each in position order
  const auto local_id = uninitialized<I>(n);     // each entry's number within its partition
  const auto fresh = uninitialized<I>(n);        // per partition: its first occurrences, then their numbers
  const auto rank = uninitialized<I>(n);         // a first occurrence's number, by position
  const auto first = uninitialized<std::uint8_t>(n);
  bool repeated_head = false;
  int granted = 1;  // OpenMP may grant fewer threads than asked for

#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
#pragma omp single nowait
    granted = team;
    // Each thread owns the positions [lo, hi) in the passes over positions.
    const std::int64_t lo = n * t / team, hi = n * (t + 1) / team;
    std::int64_t* mine = cursor.data() + t * parts;
    // 1. Count the chunk's positions per partition.
    for (std::int64_t p = lo; p < hi; ++p) ++mine[part_of(key_at(p))];
#pragma omp barrier
#pragma omp single
    {  // Partition-major, chunk-minor: each partition lists its positions in order.
      std::int64_t running = 0;
      for (std::int64_t part = 0; part < parts; ++part) {
        part_begin[part] = running;
        for (int c = 0; c < threads; ++c) {
          const std::int64_t count = cursor[c * parts + part];
          cursor[c * parts + part] = running;
          running += count;
        }
      }
      part_begin[parts] = running;
    }
    // 2. Scatter (key, position) into the partitions.
    for (std::int64_t p = lo; p < hi; ++p) {
      const I key = key_at(p);
      entries[mine[part_of(key)]++] = {key, static_cast<I>(p)};
    }
#pragma omp barrier
    // 3. Deduplicate each partition in position order: a key's first entry is
    //    its first occurrence.
    scratch_hash_map<I, I> map;
    bool repeated = false;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t part = 0; part < parts; ++part) {
      const std::int64_t b = part_begin[part], e = part_begin[part + 1];
      map.reset(e - b);
      I count = 0;
      bool is_new = false;
      for (std::int64_t i = b; i < e; ++i) {
        if (i + prefetch_distance < e) map.prefetch(entries[i + prefetch_distance].key);
        const auto slot = map.find_or_insert(entries[i].key, count, is_new);
        if (is_new) {
          fresh[b + count++] = entries[i].position;
        } else if (entries[i].position < n_head) {
          repeated = true;
        }
        local_id[i] = map.value(slot);
      }
      fresh_count[part] = count;
    }
    if (repeated) {
#pragma omp atomic write
      repeated_head = true;
    }
    // 4. Number the first occurrences in position order. Each thread flags
    //    those in its own positions (found by binary search in each
    //    partition's ascending list), scans them, and writes their numbers
    //    back into the lists; the ranges are found before any thread
    //    writes. (The loop above ended with a barrier.)
    std::vector<std::pair<std::int64_t, std::int64_t>> own(static_cast<std::size_t>(parts));
    std::fill(first.get() + lo, first.get() + hi, std::uint8_t{0});
    std::int64_t flagged = 0;
    for (std::int64_t part = 0; part < parts; ++part) {
      const I* list = fresh.get() + part_begin[part];
      const I* end = list + fresh_count[part];
      own[part] = {std::lower_bound(list, end, static_cast<I>(lo)) - list,
                   std::lower_bound(list, end, static_cast<I>(hi)) - list};
      for (auto j = own[part].first; j < own[part].second; ++j) first[list[j]] = 1;
      flagged += own[part].second - own[part].first;
    }
    chunk_base[t + 1] = flagged;
#pragma omp barrier
#pragma omp single
    for (int c = 0; c < team; ++c) chunk_base[c + 1] += chunk_base[c];
    I id = static_cast<I>(chunk_base[t]);
    for (std::int64_t p = lo; p < hi; ++p) {
      if (first[p] == 0) continue;
      rank[p] = id;
      nodes[id++] = key_at(p);
    }
    for (std::int64_t part = 0; part < parts; ++part) {
      for (auto j = own[part].first; j < own[part].second; ++j) {
        I& at = fresh[part_begin[part] + j];
        at = rank[at];
      }
    }
#pragma omp barrier
    // 5. Each partition writes its tail positions' numbers.
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t part = 0; part < parts; ++part) {
      const std::int64_t b = part_begin[part], e = part_begin[part + 1];
      for (std::int64_t i = b; i < e; ++i) {
        const std::int64_t p = entries[i].position;
        if (p >= n_head) tail_ids[p - n_head] = fresh[b + local_id[i]];
      }
    }
  }
  return {chunk_base[static_cast<std::size_t>(granted)], repeated_head};
}

}  // namespace matsample::detail
