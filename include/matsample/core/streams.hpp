#pragma once
// The registry of random streams. Every random number in matsample is
// Philox4x64-10 keyed by (seed, stream), where `stream` is the second key
// word. Row-wise sampling uses its layer number as the stream; everything
// else takes a word from this list. A new sampler, generator or shuffle adds
// its word here, so no two users can ever read the same numbers.

#include <array>
#include <cstdint>

namespace matsample {

/// The registry of Philox stream words (the second key word): one fixed word
/// per library user of random numbers, all above the layer-number range, so no
/// two users read the same numbers for the same seed.
namespace streams {

/// Sampling layers key their row streams by their layer number, which stays
/// below this bound. The words below all lie above it.
inline constexpr std::uint64_t max_layers = std::uint64_t{1} << 32;

inline constexpr std::uint64_t shuffle = 0xffff'ffff'0000'0001ULL;     ///< epoch_batches' Fisher–Yates shuffle
inline constexpr std::uint64_t rmat = 0xffff'ffff'0000'0002ULL;        ///< R-MAT edges
inline constexpr std::uint64_t csbm = 0xffff'ffff'0000'0003ULL;        ///< contextual SBM edges, features, splits
inline constexpr std::uint64_t relabel = 0xffff'ffff'0000'0004ULL;     ///< random vertex relabelling
inline constexpr std::uint64_t split = 0xffff'ffff'0000'0005ULL;       ///< random_split's train/valid/test split
inline constexpr std::uint64_t negatives = 0xffff'ffff'0000'0006ULL;   ///< negative_sampler's corrupted endpoints
inline constexpr std::uint64_t edge_split = 0xffff'ffff'0000'0007ULL;  ///< random_edge_split's split and negatives
inline constexpr std::uint64_t typed_csbm = 0xffff'ffff'0000'0008ULL;  ///< typed_csbm's classes, features, edges, split

/// LABOR's per-vertex variates: labor + layer, or labor alone when layers
/// share their variates (layer dependency). Up to max_layers words from here.
inline constexpr std::uint64_t labor = 0xffff'fffe'0000'0000ULL;

/// Typed (heterogeneous) sampling keys relation r's layer l by
/// relation_layer(r, l): relation 0 uses the layer number itself, so a typed
/// graph of one relation samples exactly as its untyped matrix does; every
/// other relation takes a word from here. Up to max_relations relations and
/// max_typed_layers layers.
inline constexpr std::uint64_t typed = 0xffff'fffd'0000'0000ULL;
inline constexpr std::uint64_t max_relations = std::uint64_t{1} << 16;     ///< Relations a typed sampler can key
inline constexpr std::uint64_t max_typed_layers = std::uint64_t{1} << 16;  ///< Layers a typed sampler can key

/// The stream word of relation r's row draws at layer l (r < max_relations,
/// l < max_typed_layers; unchecked, the typed samplers check).
constexpr std::uint64_t relation_layer(std::uint64_t r, std::uint64_t l) noexcept {
  return r == 0 ? l : typed + ((r - 1) << 16) + l;
}

/// Typed layer-wise sampling keys vertex type t's column draws at layer l by
/// type_layer(t, l): the layer number for type 0 (so a typed graph of one
/// type and relation samples as the untyped LADIES does), words from here
/// for the others. Up to max_relations types and max_typed_layers layers.
inline constexpr std::uint64_t typed_columns = 0xffff'fffc'0000'0000ULL;

/// The stream word of type t's column draws at layer l (unchecked, the typed
/// samplers check).
constexpr std::uint64_t type_layer(std::uint64_t t, std::uint64_t l) noexcept {
  return t == 0 ? l : typed_columns + ((t - 1) << 16) + l;
}

/// The library's words all lie at or above this one. Words in
/// [max_layers, first_library) are left to applications (the GraphSAGE
/// example's dropout and initialisation streams live there).
inline constexpr std::uint64_t first_library = typed_columns;

/// The fixed words, for the distinctness checks below and in the tests.
inline constexpr std::array<std::uint64_t, 8> fixed = {shuffle, rmat,      csbm,       relabel,
                                                       split,   negatives, edge_split, typed_csbm};

namespace detail {
consteval bool distinct_and_reserved() {
  for (std::size_t i = 0; i < fixed.size(); ++i) {
    if (fixed[i] < first_library) return false;
    if (fixed[i] >= labor && fixed[i] < labor + max_layers) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (fixed[i] == fixed[j]) return false;
    }
  }
  return labor + max_layers <= fixed[0] && first_library > max_layers &&
         typed + (max_relations - 1) * max_typed_layers <= labor &&
         typed_columns + (max_relations - 1) * max_typed_layers <= typed;
}
}  // namespace detail
static_assert(detail::distinct_and_reserved(), "random stream words must be distinct and outside the layer range");

}  // namespace streams

// The names these words had before the registry.
inline constexpr std::uint64_t shuffle_stream = streams::shuffle;  ///< Former name of streams::shuffle
inline constexpr std::uint64_t rmat_stream = streams::rmat;        ///< Former name of streams::rmat
inline constexpr std::uint64_t csbm_stream = streams::csbm;        ///< Former name of streams::csbm
inline constexpr std::uint64_t relabel_stream = streams::relabel;  ///< Former name of streams::relabel

}  // namespace matsample
