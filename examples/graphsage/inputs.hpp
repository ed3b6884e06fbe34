#pragma once
// What the first layer reads, one row per vertex: the data's node features
// (row-normalised when asked), features synthesized from the graph (degree,
// constant), or a learned embedding trained with the model. The node
// classification and the link prediction trainers share it.

#include <omp.h>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "adam.hpp"
#include "layers.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/random.hpp"
#include "matsample/io/dataset.hpp"

namespace graphsage {

/// What the first layer reads. A graph without node features (an edge
/// list, say) still trains: on its degrees, on a constant, or on a learned
/// vector per vertex.
enum class input_features {
  automatic,  ///< the data's features when it has them, else degree
  data,       ///< the data's node features (an error when it has none)
  degree,     ///< two per vertex: 1 and log(1 + degree) / log(1 + the largest degree)
  constant,   ///< one per vertex: 1 (the model then sees only the graph's structure through aggregation)
  /// embedding_dim learned values per vertex (PyG's and DGL's nn.Embedding
  /// input), trained with the model by row_adam on the rows a minibatch
  /// reads. Transductive: a vertex never sampled for training keeps its
  /// random start.
  embedding,
};
inline const char* to_string(input_features f) {
  switch (f) {
    case input_features::automatic:
      return "auto";
    case input_features::data:
      return "data";
    case input_features::degree:
      return "degree";
    case input_features::constant:
      return "constant";
    case input_features::embedding:
      return "embedding";
  }
  return "?";
}
/// `f` with automatic resolved for data whose features have `data_dim` columns.
inline input_features resolve_inputs(input_features f, std::int64_t data_dim) {
  return f != input_features::automatic ? f : data_dim > 0 ? input_features::data : input_features::degree;
}
/// The input dimension of resolved input features `f`.
inline std::int64_t input_dim(input_features f, std::int64_t data_dim, std::int64_t embedding_dim) {
  switch (f) {
    case input_features::degree:
      return 2;
    case input_features::constant:
      return 1;
    case input_features::embedding:
      return embedding_dim;
    default:
      return data_dim;
  }
}

/// The input table (see the file comment). Keeps a view of the data's
/// features when it uses them unchanged; the data must outlive it.
template <class I, class O>
class input_table {
 public:
  /// `inputs` is resolved (not automatic). Degree features read `graph`'s
  /// degrees (the graph training samples, so held-out edges do not leak
  /// into them). A learned embedding starts from unit-variance uniform
  /// values from Philox keyed by (seed, embedding_stream), counted by
  /// (vertex, column), and is trained by row_adam at `learning_rate`.
  input_table(const matsample::graph_data_view<float, I, O>& data, const matsample::csr_view<float, I, O>& graph,
              input_features inputs, std::int64_t embedding_dim, bool row_normalize, std::uint64_t seed,
              double learning_rate)
      : dim_(input_dim(inputs, data.feature_dim, embedding_dim)) {
    const std::int64_t n = data.num_vertices(), d = dim_;
    switch (inputs) {
      case input_features::embedding: {
        owned_.resize(static_cast<std::size_t>(n * d));
        const double scale = std::sqrt(3.0);
#pragma omp parallel for schedule(static)
        for (std::int64_t v = 0; v < n; ++v) {
          matsample::philox_row_stream rng(seed, embedding_stream, {static_cast<std::uint64_t>(v), 0, 0});
          for (std::int64_t j = 0; j < d; ++j) {
            owned_[static_cast<std::size_t>(v * d + j)] =
                static_cast<float>(scale * (2 * rng.uniform(static_cast<std::uint64_t>(j)) - 1));
          }
        }
        optimizer_.emplace(n, d, adam_options{.learning_rate = learning_rate});
        break;
      }
      case input_features::degree:
      case input_features::constant: {
        owned_.assign(static_cast<std::size_t>(n * d), 1.0F);
        if (inputs == input_features::constant) break;
        std::int64_t most = 0;
        for (std::int64_t v = 0; v < n; ++v) most = std::max<std::int64_t>(most, graph.degree(static_cast<I>(v)));
        const double scale = most > 0 ? 1.0 / std::log1p(static_cast<double>(most)) : 0.0;
        for (std::int64_t v = 0; v < n; ++v) {
          owned_[static_cast<std::size_t>(v * d + 1)] =
              static_cast<float>(std::log1p(static_cast<double>(graph.degree(static_cast<I>(v)))) * scale);
        }
        break;
      }
      default:
        if (!row_normalize) {
          values_ = data.features;
          return;
        }
        owned_.assign(data.features.begin(), data.features.end());
        for (std::size_t v = 0; v * static_cast<std::size_t>(d) < owned_.size(); ++v) {
          float* row = owned_.data() + v * static_cast<std::size_t>(d);
          double total = 0;
          for (std::int64_t j = 0; j < d; ++j) {
            // A sum of mixed signs can be near zero or negative: dividing by it
            // would blow the row up or flip it. Such features (embeddings,
            // standardised values) want no row normalisation.
            if (!(row[j] >= 0)) {
              throw matsample::argument_error(matsample::detail::concat(
                  "row normalisation: vertex ", v, " has feature ", j, " = ", row[j],
                  "; it divides non-negative features (bags of words) by their sum: leave it off for these"));
            }
            total += row[j];
          }
          if (total == 0) continue;  // an empty bag of words stays empty
          for (std::int64_t j = 0; j < d; ++j) row[j] = static_cast<float>(row[j] / total);
        }
    }
    values_ = owned_;
  }

  input_table(const input_table&) = delete;
  input_table& operator=(const input_table&) = delete;

  /// Columns per vertex.
  [[nodiscard]] std::int64_t dim() const noexcept { return dim_; }
  /// Every vertex's row, n x dim() row-major.
  [[nodiscard]] std::span<const float> values() const noexcept { return values_; }
  /// Whether the table is learned (an embedding): then pass the gradient of
  /// the rows a step read to accumulate(), and call update() after the step.
  [[nodiscard]] bool learned() const noexcept { return optimizer_.has_value(); }

  /// A copy of a learned table (empty for a fixed one): what restore_best keeps.
  [[nodiscard]] std::vector<float> learned_values() const { return learned() ? owned_ : std::vector<float>{}; }
  /// Puts back a copy from learned_values() (nothing for a fixed table).
  void restore_learned_values(const std::vector<float>& values) {
    if (!learned()) return;
    require(values.size() == owned_.size(), "restore_learned_values: a table of another size");
    std::copy(values.begin(), values.end(), owned_.begin());
  }

  /// Every vertex's row, in vertex order: what whole-graph inference reads.
  [[nodiscard]] matrix<float> all() const {
    return Eigen::Map<const matrix<float>>(values_.data(), static_cast<Eigen::Index>(values_.size()) / dim_, dim_);
  }

  /// Rows of `nodes`, in order.
  [[nodiscard]] matrix<float> gather(std::span<const I> nodes) const {
    const auto d = static_cast<Eigen::Index>(dim_);
    matrix<float> x(static_cast<Eigen::Index>(nodes.size()), d);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(nodes.size()); ++i) {
      x.row(i) = Eigen::Map<const row_vector<float>>(values_.data() + static_cast<std::int64_t>(nodes[i]) * d, d);
    }
    return x;
  }

  /// d(loss)/d(rows `nodes`) of the last step (distinct nodes, one row each).
  void accumulate(std::span<const I> nodes, matrix<float> gradient) {
    rows_.assign(nodes.begin(), nodes.end());
    gradient_ = std::move(gradient);
  }

  /// One row_adam step on the rows the last step read (nothing for a fixed table).
  void update() {
    if (!optimizer_ || rows_.empty()) return;
    optimizer_->step(std::span<float>(owned_), std::span<const I>(rows_), gradient_);
    rows_.clear();
  }

 private:
  std::int64_t dim_;
  std::vector<float> owned_;  ///< the table when it is not the data's features unchanged
  std::span<const float> values_;
  std::optional<row_adam<float>> optimizer_;  ///< set for a learned embedding
  std::vector<I> rows_;                       ///< the rows the last step read
  matrix<float> gradient_;                    ///< their gradient
};

}  // namespace graphsage
