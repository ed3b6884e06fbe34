#pragma once
// Composite operations built from the kernel contract. A backend may provide
// a fused member of the same name; it is used instead, and must give output
// identical to the composition (the tests hold it to that).

#include <cstdint>
#include <vector>

#include "matsample/algebra/contract.hpp"

namespace matsample {

template <class M>
decltype(auto) as_view(const M& m) {
  if constexpr (requires { m.view(); }) return m.view(); else return (m);
}

/// S = sample(Q·A): the node-wise step. Backends fuse it to skip
/// materialising the rows of P that sampling discards.
template <kernel_set B, class View, index_type I>
auto gather_and_sample(const B& backend, const View& a, const stacked_selection<I>& q, row_sampling spec,
                       std::uint64_t seed, std::uint64_t layer) {
  if constexpr (requires { backend.gather_and_sample(a, q, spec, seed, layer); }) {
    return backend.gather_and_sample(a, q, spec, seed, layer);
  } else {
    const auto p = backend.gather_rows(a, q.vertices);
    return backend.sample_rows(as_view(p), q, spec, seed, layer);
  }
}

/// Rows scaled to sum to 1 (rows summing to 0 stay 0); sums run left to right.
template <kernel_set B, class View>
auto row_normalize(const B& backend, const View& m) {
  using I = typename View::index_type;
  using V = typename View::value_type;
  const std::vector<double> sums = backend.row_reduce(m, 0.0, [](double acc, V v) { return acc + static_cast<double>(v); });
  return backend.apply(m, [&sums](I r, I, V v) {
    return sums[r] > 0 ? static_cast<V>(static_cast<double>(v) / sums[r]) : V{0};
  });
}

}  // namespace matsample
