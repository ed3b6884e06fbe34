#pragma once
// Counter-based randomness (Random123 Philox4x64-10). A draw is a pure
// function of (seed, layer) as the key and (epoch, minibatch, row, draw) as the
// counter, so the same seed gives the same sample for any thread count,
// backend or rank count: no generator state is ever shared or advanced.

#include <Random123/philox.h>

#include <cstdint>

#include "matsample/core/config.hpp"
#include "matsample/core/streams.hpp"

namespace matsample {

/// Where a draw comes from. `minibatch` is the global batch number within the
/// epoch (not the position inside a bulk call), so sampling k batches at once
/// gives exactly the batches that k separate calls would.
struct draw_address {
  std::uint64_t epoch = 0;      ///< Epoch number (Philox counter word 0)
  std::uint64_t minibatch = 0;  ///< Global minibatch number within the epoch (counter word 1)
  std::uint64_t row = 0;        ///< Row within the minibatch (counter word 2)
};

/// The random numbers for one row of one minibatch at one layer.
class philox_row_stream {
 public:
  /// Keyed by (seed, layer), countered by (epoch, minibatch, row, draw).
  MATSAMPLE_HD philox_row_stream(std::uint64_t seed, std::uint64_t layer, draw_address at) {
    key_.v[0] = seed;
    key_.v[1] = layer;
    ctr_.v[0] = at.epoch;
    ctr_.v[1] = at.minibatch;
    ctr_.v[2] = at.row;
    ctr_.v[3] = 0;
  }

  /// The 64 random bits of draw number `draw`. Each Philox block yields four
  /// draws, so consecutive draws share one block evaluation.
  MATSAMPLE_HD std::uint64_t bits(std::uint64_t draw) {
    const std::uint64_t block = draw >> 2;
    if (!cached_ || block != ctr_.v[3]) {
      ctr_.v[3] = block;
      out_ = r123::Philox4x64()(ctr_, key_);
      cached_ = true;
    }
    return out_.v[draw & 3];
  }

  /// The bits of draws [0, n) into out[0, n): the same values as bits(i),
  /// but the Philox blocks are computed in one loop with no dependence
  /// between them, so their multiply chains overlap in the pipeline.
  MATSAMPLE_HD void fill(std::int64_t n, std::uint64_t* out) const {
    r123::Philox4x64::ctr_type ctr = ctr_;
    for (std::int64_t block = 0; 4 * block < n; ++block) {
      ctr.v[3] = static_cast<std::uint64_t>(block);
      const auto r = r123::Philox4x64()(ctr, key_);
      for (std::int64_t i = 0; i < 4 && 4 * block + i < n; ++i) out[4 * block + i] = r.v[i];
    }
  }

  /// floor(u * n) for the 64 random bits u of a draw, as below() computes it.
  MATSAMPLE_HD static std::uint64_t scale(std::uint64_t bits, std::uint64_t n) { return mulhi(bits, n); }

  /// Uniform double in [0, 1) with 53 random bits.
  MATSAMPLE_HD double uniform(std::uint64_t draw) { return static_cast<double>(bits(draw) >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n): floor(u * n) computed exactly on 64-bit
  /// integers, so every backend gets the same value.
  MATSAMPLE_HD std::uint64_t below(std::uint64_t draw, std::uint64_t n) { return mulhi(bits(draw), n); }

 private:
  MATSAMPLE_HD static std::uint64_t mulhi(std::uint64_t a, std::uint64_t b) {
#if defined(__CUDA_ARCH__)
    return __umul64hi(a, b);
#else
    __extension__ using u128 = unsigned __int128;  // one mulx on x86-64
    return static_cast<std::uint64_t>((static_cast<u128>(a) * b) >> 64);
#endif
  }

  r123::Philox4x64::key_type key_{};
  r123::Philox4x64::ctr_type ctr_{};
  r123::Philox4x64::ctr_type out_{};
  bool cached_ = false;
};

}  // namespace matsample
