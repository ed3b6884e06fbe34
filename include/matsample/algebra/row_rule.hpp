#pragma once
// The seam for per-row selection rules. A row-wise sampler (GraphSAGE's
// fanout, LABOR's shared variates, ...) is, per layer, S = rule(Q·A): each row
// of P = Q·A keeps some of its entries, each with a value. A rule is a small
// object whose members are MATSAMPLE_HD, so every backend runs the same rule
// code: the reference backend row by row, the CPU backend in parallel
// (sample_rows / gather_and_sample), the MPI backend on fetched rows, the
// CUDA backend one thread per row. A new row-wise sampler is a new rule in
// sampling/ and works on all of them; a backend may add a fused kernel for a
// rule it wants fast (the CPU backend has one for row_sampling).

#include <concepts>
#include <cstdint>

#include "matsample/algebra/csr_arrays.hpp"
#include "matsample/core/random.hpp"

namespace matsample {

/// What a rule may draw from: the sampler's seed and layer, and the row's
/// address (epoch, global minibatch number, row within the minibatch).
struct row_context {
  std::uint64_t seed = 0;   ///< The sampler's seed (first Philox key word)
  std::uint64_t layer = 0;  ///< The layer number, the row stream (second key word)
  draw_address at{};        ///< The row's counter: epoch, global minibatch, row within it
};

/// A per-row selection rule. For a row of `degree` entries starting at entry
/// `begin` of `m`:
/// - bound(degree): the most entries it keeps (the backends allocate by it);
/// - scratch(degree): doubles of scratch it needs for such a row;
/// - reads_weights(has_values): whether it reads the values as weights (a
///   bad weight then makes select report bad_weight);
/// - writes_values(has_values): whether the sampled rows carry values;
/// - select(m, begin, degree, context, positions, scratch, out_indices,
///   out_values): writes the kept columns, ascending by position in the row,
///   and their values (out_values is null when writes_values is false);
///   `positions` has room for bound(degree) entries. It reports the count, a
///   bad weight, or an emitted column outside the matrix.
/// A rule that reads a per-entry table of doubles (indexed by entry of the
/// matrix it samples) also has entry_table() and with_entry_table(pointer):
/// a device backend copies the table next to the matrix and samples with
/// the copy (as apply's value maps do with with_table).
template <class R>
concept row_rule = requires(const R& rule, const kernels::csr_arrays<double, std::int32_t, std::int64_t>& m,
                            std::int64_t n, const row_context& context, std::int64_t* positions, double* scratch,
                            std::int32_t* out_indices, double* out_values) {
  { rule.bound(n) } -> std::same_as<std::int64_t>;
  { rule.scratch(n) } -> std::same_as<std::int64_t>;
  { rule.reads_weights(true) } -> std::same_as<bool>;
  { rule.writes_values(true) } -> std::same_as<bool>;
  { rule.select(m, n, n, context, positions, scratch, out_indices, out_values) } -> std::same_as<kernels::row_status>;
};

}  // namespace matsample
