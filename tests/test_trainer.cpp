// The GraphSAGE reference trainer (examples/graphsage): every layer's
// backward pass against central finite differences in double precision, the
// optimizer and metrics against hand computations, option and data checks,
// and short training runs on a small generated graph (the loss falls, the
// accuracy beats chance by a fixed margin, the graph beats the MLP, and the
// same seed gives the same losses bit for bit).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "adam.hpp"
#include "layers.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "support.hpp"
#include "rgcn.hpp"
#include "trainer.hpp"

namespace gs = graphsage;
using sage_trainer = gs::trainer<i32, i64>;

namespace {

using dmatrix = gs::matrix<double>;

// Tolerances fixed in advance. Central differences with step h have
// truncation error O(h^2) and rounding error O(1e-16 / h); with h = 1e-6 both
// are far below 1e-6 for the smooth losses here, and ReLU kinks are avoided
// by random inputs (a kink within 1e-6 of an input has probability ~1e-6).
constexpr double step = 1e-6;
constexpr double tolerance = 1e-6;

dmatrix random_matrix(std::int64_t rows, std::int64_t cols, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  dmatrix m(rows, cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) m(r, c) = u(rng);
  }
  return m;
}

/// A block with `rows` destinations and `cols` sources, random entries and
/// weights, and an empty row (which must aggregate to zero).
gs::aggregation<double> random_block(std::int64_t rows, std::int64_t cols, std::mt19937_64& rng) {
  gs::aggregation<double> a;
  a.rows = rows;
  a.cols = cols;
  std::uniform_int_distribution<std::int64_t> degree(1, 4), column(0, cols - 1);
  std::uniform_real_distribution<double> weight(0.1, 1.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t d = r == 1 ? 0 : degree(rng);
    for (std::int64_t e = 0; e < d; ++e) {
      a.indices.push_back(column(rng));
      a.weights.push_back(weight(rng));
    }
    a.indptr.push_back(static_cast<std::int64_t>(a.indices.size()));
  }
  return a;
}

/// Largest |numeric - analytic| / max(1, |analytic|) over all entries of
/// `theta`, where numeric is the central difference of `loss`.
double worst_error(std::span<double> theta, std::span<const double> analytic, const std::function<double()>& loss) {
  REQUIRE(theta.size() == analytic.size());
  double worst = 0;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const double saved = theta[i];
    theta[i] = saved + step;
    const double up = loss();
    theta[i] = saved - step;
    const double down = loss();
    theta[i] = saved;
    const double numeric = (up - down) / (2 * step);
    worst = std::max(worst, std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(analytic[i])));
  }
  return worst;
}

std::span<double> entries(dmatrix& m) { return {m.data(), static_cast<std::size_t>(m.size())}; }
std::span<const double> entries(const dmatrix& m) { return {m.data(), static_cast<std::size_t>(m.size())}; }

/// Checks a layer's parameter and input gradients for loss = sum(R .* z).
void check_layer(gs::layer_kind kind) {
  std::mt19937_64 rng(11);
  const gs::layer_shape s{kind, 4, 3};
  const std::int64_t dst = 5, src = 9;
  const auto a = random_block(dst, src, rng);
  dmatrix x = random_matrix(src, s.in, rng);
  const dmatrix weights_r = random_matrix(dst, s.out, rng);
  std::vector<double> params(static_cast<std::size_t>(s.size()));
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& p : params) p = u(rng);

  const auto loss = [&] {
    dmatrix aggregated;
    return gs::layer_forward(s, params.data(), a, x, aggregated).cwiseProduct(weights_r).sum();
  };
  dmatrix aggregated;
  (void)gs::layer_forward(s, params.data(), a, x, aggregated);
  std::vector<double> grads(params.size());
  const dmatrix dx = gs::layer_backward(s, params.data(), a, x, aggregated, weights_r, grads.data(), true);
  CHECK(worst_error(params, grads, loss) < tolerance);
  CHECK(worst_error(entries(x), entries(dx), loss) < tolerance);
  // The first layer skips the input gradient but must give the same parameter gradients.
  std::vector<double> again(params.size());
  CHECK(gs::layer_backward(s, params.data(), a, x, aggregated, weights_r, again.data(), false).size() == 0);
  CHECK(again == grads);
}

/// A small labelled graph for training runs (about a second in release).
const ms::graph_data<float, i32, i64>& small_graph() {
  static const auto data = ms::csbm<float, i32, i64>(
      {.num_vertices = 3000, .num_classes = 4, .average_degree = 10, .feature_dim = 16, .seed = 5});
  return data;
}

gs::trainer_options small_options() {
  return {.layers = 2,
          .hidden = 32,
          .fanouts = {8, 8},
          .batch_size = 64,
          .bulk = 3,
          .epochs = 12,
          .learning_rate = 0.01,
          .weight_decay = 5e-4,
          .dropout = 0.3,
          .seed = 3,
          .threads = 2};
}

std::vector<double> losses(const gs::training_report& r) {
  std::vector<double> out;
  for (const auto& e : r.epochs) out.push_back(e.loss);
  return out;
}

}  // namespace

// =================================================================================
// Layers and their backward passes
// =================================================================================

TEST_CASE("aggregation: node-wise blocks average their sampled neighbours; empty rows give zero") {
  // 3 destinations, 4 sources: row 0 has two entries, row 1 none, row 2 three.
  const std::vector<i64> indptr{0, 2, 2, 5};
  const std::vector<i32> indices{1, 3, 0, 2, 3};
  const ms::block_view<float, i32, i64> block{ms::csr_view<float, i32, i64>(3, 4, sp(indptr), sp(indices), {}), {}};
  const auto a = gs::make_aggregation<double>(block, gs::block_weights::row_normalized);
  CHECK(a.weights == std::vector<double>{0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  const dmatrix x = dmatrix::Identity(4, 4);
  const dmatrix y = gs::aggregate(a, x);
  CHECK(y.row(1).isZero());
  CHECK(y(0, 1) == 0.5);
  CHECK(y(0, 3) == 0.5);

  // Layer-wise blocks carry their weights; they are used as they come.
  const std::vector<float> values{0.25f, 0.75f, 1.0f, 0.5f, 0.5f};
  const ms::block_view<float, i32, i64> weighted{
      ms::csr_view<float, i32, i64>(3, 4, sp(indptr), sp(indices), sp(values)), {}};
  CHECK(gs::make_aggregation<double>(weighted, gs::block_weights::as_sampled).weights ==
        std::vector<double>{0.25, 0.75, 1.0, 0.5, 0.5});
  // Row-normalising them instead gives each row's weighted mean.
  CHECK(gs::make_aggregation<double>(weighted, gs::block_weights::row_normalized).weights ==
        std::vector<double>{0.25, 0.75, 0.5, 0.25, 0.25});
}

TEST_CASE("gradient check: SAGE layer (self and neighbour transforms, bias)") { check_layer(gs::layer_kind::sage); }
TEST_CASE("gradient check: GCN-style weighted layer") { check_layer(gs::layer_kind::gcn); }
TEST_CASE("gradient check: linear layer (the MLP's)") { check_layer(gs::layer_kind::linear); }

TEST_CASE("gradient check: softmax cross-entropy") {
  std::mt19937_64 rng(5);
  dmatrix logits = 3 * random_matrix(6, 4, rng);
  const std::vector<std::int32_t> labels{0, 3, 1, 1, 2, 0};
  dmatrix d;
  const auto result = gs::softmax_cross_entropy(logits, std::span<const std::int32_t>(labels), d);
  const auto loss = [&] {
    dmatrix unused;
    return gs::softmax_cross_entropy(logits, std::span<const std::int32_t>(labels), unused).loss;
  };
  CHECK(worst_error(entries(logits), entries(d), loss) < tolerance);
  // Each row's gradient sums to zero, and equal logits give log(classes).
  CHECK(d.rowwise().sum().cwiseAbs().maxCoeff() < 1e-15);
  dmatrix flat = dmatrix::Zero(2, 4), unused;
  CHECK(gs::softmax_cross_entropy(flat, std::span<const std::int32_t>(labels).first(2), unused).loss ==
        doctest::Approx(std::log(4.0)).epsilon(1e-15));
  CHECK(result.correct >= 0);
  // A huge logit must not overflow.
  dmatrix big(1, 2);
  big << 1000, 0;
  CHECK(gs::softmax_cross_entropy(big, std::span<const std::int32_t>(labels).first(1), unused).loss ==
        doctest::Approx(0).epsilon(1e-12));
}

TEST_CASE("dropout: p = 0 is the identity; masks are reproducible, scaled, and differ by address") {
  const gs::dropout_key key{7, 2, 5};
  const auto a = gs::dropout_mask<double>(200, 50, 0.3, key, 1);
  CHECK(a == gs::dropout_mask<double>(200, 50, 0.3, key, 1));
  CHECK(test::with_threads(1, [&] { return gs::dropout_mask<double>(200, 50, 0.3, key, 1); }) == a);
  CHECK(a != gs::dropout_mask<double>(200, 50, 0.3, {7, 2, 6}, 1));
  CHECK(a != gs::dropout_mask<double>(200, 50, 0.3, key, 0));
  const double kept = static_cast<double>((a.array() > 0).count()) / static_cast<double>(a.size());
  CHECK(kept == doctest::Approx(0.7).epsilon(0.05));  // 10,000 draws: sd 0.005
  CHECK(((a.array() == 0) || (a.array() == 1 / 0.7)).all());
  CHECK((gs::dropout_mask<double>(20, 5, 0.0, key, 0).array() == 1).all());

  // In the model, p = 0 leaves the features as they are: the output equals inference.
  std::mt19937_64 rng(1);
  gs::model<double> net(gs::network_shape(gs::layer_kind::sage, 3, 4, 2, 1));
  net.initialize(1);
  const auto block = random_block(4, 6, rng);
  const dmatrix x = random_matrix(6, 3, rng);
  // (Inference transforms before aggregating where that narrows the rows: equal up to rounding.)
  CHECK(net.forward({block}, x, 0.0, key).isApprox(net.infer_layer(0, block, x), 1e-14));
}

TEST_CASE("gradient check: layer normalisation (scale, shift and input); it normalises each row") {
  std::mt19937_64 rng(17);
  dmatrix z = random_matrix(6, 5, rng);
  const dmatrix weights_r = random_matrix(6, 5, rng);
  std::vector<double> params(10);  // gamma then beta
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& p : params) p = u(rng);
  const auto loss = [&] {
    return gs::layer_norm_forward<double>(z, params.data(), params.data() + 5, nullptr).cwiseProduct(weights_r).sum();
  };
  gs::layer_norm_cache<double> cache;
  (void)gs::layer_norm_forward<double>(z, params.data(), params.data() + 5, &cache);
  std::vector<double> grads(params.size());
  const dmatrix dz = gs::layer_norm_backward<double>(cache, params.data(), weights_r, grads.data(), grads.data() + 5);
  CHECK(worst_error(params, grads, loss) < tolerance);
  CHECK(worst_error(entries(z), entries(dz), loss) < tolerance);

  // With scale 1 and shift 0 each row has mean 0 and (biased) variance 1 / (1 + eps / var).
  const std::vector<double> identity{1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
  const dmatrix y = gs::layer_norm_forward<double>(z, identity.data(), identity.data() + 5, nullptr);
  for (std::int64_t r = 0; r < y.rows(); ++r) {
    CHECK(std::abs(y.row(r).mean()) < 1e-12);
    CHECK(y.row(r).squaredNorm() / 5 == doctest::Approx(1).epsilon(1e-3));
  }
}

TEST_CASE("gradient check: whole model (SAGE and GCN layers, ReLU, dropout 0.3, cross-entropy) in the flat buffer") {
  std::mt19937_64 rng(9);
  const std::vector<gs::hidden_options> variants{{}, {.residual = true}, {.layer_norm = true}, {true, true}};
  for (const auto kind : {gs::layer_kind::sage, gs::layer_kind::gcn}) {
    for (const auto& extras : variants) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(extras.residual);
      CAPTURE(extras.layer_norm);
      // 3 layers 5 -> 6 -> 6 -> 3: layer 0's skip path needs a projection, layer 1's is the identity.
      gs::model<double> net(gs::network_shape(kind, 5, 6, 3, 3, extras));
      net.initialize(4);
      REQUIRE(net.layer(0).has_projection() == extras.residual);
      REQUIRE(net.layer(1).residual == extras.residual);
      REQUIRE(!net.layer(1).has_projection());
      REQUIRE(!net.layer(2).residual);
      REQUIRE(!net.layer(2).layer_norm);
      // Random scales and shifts: at their start (1 and 0) a wrong gradient for either could still pass.
      std::uniform_real_distribution<double> u(0.5, 1.5);
      for (std::size_t p = 0; p < net.parameters().size(); ++p) net.parameters()[p] += 0.1 * u(rng);
      // Layer 0: 7 destinations from 12 sources; layer 1: 5 from those 7; layer 2: 3 seeds from those 5.
      const std::vector<gs::aggregation<double>> blocks{random_block(7, 12, rng), random_block(5, 7, rng),
                                                        random_block(3, 5, rng)};
      dmatrix x = random_matrix(12, 5, rng);
      const std::vector<std::int32_t> labels{2, 0, 1};
      const gs::dropout_key key{3, 0, 1};
      const auto loss = [&] {
        dmatrix d;
        return gs::softmax_cross_entropy(net.forward(blocks, x, 0.3, key), std::span<const std::int32_t>(labels), d)
            .loss;
      };
      dmatrix d;
      (void)gs::softmax_cross_entropy(net.forward(blocks, x, 0.3, key), std::span<const std::int32_t>(labels), d);
      net.backward(blocks, d);
      const std::vector<double> grads(net.gradients().begin(), net.gradients().end());
      CHECK(worst_error(net.parameters(), grads, loss) < 1e-5);  // through ReLU kinks' neighbourhoods: looser
      CHECK(std::any_of(grads.begin(), grads.end(), [](double g) { return g != 0; }));
      if (extras.residual) {  // the projection learns
        const auto& s = net.layer(0);
        CHECK(std::any_of(grads.begin() + s.skip_offset(), grads.begin() + s.norm_scale_offset(),
                          [](double g) { return g != 0; }));
      }

      // The input gradient (what learned embeddings train on), through layer 0's dropout mask; asking for it
      // leaves the parameter gradients as they were.
      dmatrix dx;
      (void)gs::softmax_cross_entropy(net.forward(blocks, x, 0.3, key), std::span<const std::int32_t>(labels), d);
      net.backward(blocks, d, &dx);
      REQUIRE(dx.rows() == x.rows());
      REQUIRE(dx.cols() == x.cols());
      CHECK(std::equal(grads.begin(), grads.end(), net.gradients().begin()));
      CHECK(worst_error(entries(x), entries(dx), loss) < 1e-5);
      CHECK((dx.array() == 0).any());  // dropped inputs get no gradient
      CHECK((dx.array() != 0).any());
    }
  }
}

TEST_CASE("model: residual and layer-norm parameters are laid out, initialised and decayed as documented") {
  const auto shape = gs::network_shape(gs::layer_kind::sage, 5, 6, 3, 3, {.residual = true, .layer_norm = true});
  gs::model<double> net(shape);
  net.initialize(2);
  const auto& s0 = net.layer(0);
  CHECK(s0.size() == 2 * 5 * 6 + 6 + 5 * 6 + 2 * 6);    // W_self, W_neigh, bias, W_skip, gamma, beta
  CHECK(net.layer(1).size() == 2 * 6 * 6 + 6 + 2 * 6);  // identity skip: no projection
  CHECK(net.layer(2).size() == 2 * 6 * 3 + 3);          // the classifier: neither
  const auto p = net.parameters();
  CHECK(std::all_of(p.begin() + s0.norm_scale_offset(), p.begin() + s0.norm_shift_offset(),
                    [](double v) { return v == 1; }));
  CHECK(std::all_of(p.begin() + s0.norm_shift_offset(), p.begin() + s0.size(), [](double v) { return v == 0; }));
  CHECK(std::any_of(p.begin() + s0.skip_offset(), p.begin() + s0.norm_scale_offset(), [](double v) { return v != 0; }));
  // Weight decay: every weight matrix, the projection included; not biases, scales or shifts.
  const auto ranges = net.weight_ranges();
  REQUIRE(ranges.size() == 4);
  CHECK(ranges[1] == std::pair<std::int64_t, std::int64_t>{s0.skip_offset(), s0.norm_scale_offset()});
}

TEST_CASE("inference over the whole graph equals the training forward pass over full-neighbour blocks") {
  // Evaluation runs every layer once over all vertices with global ids; it
  // must compute what training computes for the same vertices when nothing
  // is sampled away and nothing is dropped.
  const auto data = ms::csbm<float, i32, i64>({.num_vertices = 300, .num_classes = 3, .feature_dim = 8, .seed = 2});
  const auto graph = data.view().graph;
  const std::int64_t n = data.view().num_vertices();
  gs::matrix<double> features(n, data.feature_dim);
  for (std::int64_t v = 0; v < n; ++v) {
    for (std::int64_t j = 0; j < data.feature_dim; ++j) features(v, j) = data.features[v * data.feature_dim + j];
  }
  for (const auto kind : {gs::layer_kind::sage, gs::layer_kind::gcn}) {
    CAPTURE(static_cast<int>(kind));
    gs::model<double> net(gs::network_shape(kind, 8, 16, 3, 2, {.residual = true, .layer_norm = true}));
    net.initialize(5);
    const auto whole = gs::make_aggregation<double>(graph, gs::block_weights::row_normalized);
    const gs::matrix<double> all = gs::infer_all_vertices(net, whole, features);

    const std::vector<i32> seeds{0, 7, 31, 299, 150};
    const auto batches = ms::batch_list<i32>::uniform(std::span<const i32>(seeds), 5);
    const auto sample = ms::sample_nodewise(ms::cpu_backend(1), graph, batches, {.fanouts = {-1, -1}});
    const auto mb = sample[0];
    std::vector<gs::aggregation<double>> blocks;
    for (std::size_t l = 0; l < mb.num_layers(); ++l) {
      blocks.push_back(gs::make_aggregation<double>(mb.block(l), gs::block_weights::row_normalized));
    }
    const auto inputs = mb.input_nodes();
    gs::matrix<double> x(static_cast<Eigen::Index>(inputs.size()), data.feature_dim);
    for (std::size_t i = 0; i < inputs.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = features.row(inputs[i]);
    const gs::matrix<double> logits = net.forward(blocks, x, 0.0, {});
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      CHECK(logits.row(static_cast<Eigen::Index>(i)).isApprox(all.row(seeds[i]), 1e-12));
    }
  }
}

// =================================================================================
// Optimizer and metrics
// =================================================================================

TEST_CASE("adam: two steps match the formula; weight decay applies to the given ranges only") {
  std::vector<double> p{1.0, -2.0}, g{0.5, 0.5};
  gs::adam<double> opt(2, {.learning_rate = 0.1, .weight_decay = 0.1}, {{0, 1}});
  opt.step(p, g);
  opt.step(p, g);
  // Reference computed step by step: parameter 0 is decayed, parameter 1 is not.
  const auto reference = [](double x, double grad, double decay) {
    double m = 0, v = 0;
    for (int t = 1; t <= 2; ++t) {
      const double gt = grad + decay * x;
      m = 0.9 * m + 0.1 * gt;
      v = 0.999 * v + 0.001 * gt * gt;
      x -= 0.1 * (m / (1 - std::pow(0.9, t))) / (std::sqrt(v / (1 - std::pow(0.999, t))) + 1e-8);
    }
    return x;
  };
  CHECK(p[0] == doctest::Approx(reference(1.0, 0.5, 0.1)).epsilon(1e-12));
  CHECK(p[1] == doctest::Approx(reference(-2.0, 0.5, 0.0)).epsilon(1e-12));
  CHECK(opt.steps() == 2);
}

TEST_CASE("row_adam: Adam on the named rows only; other rows keep their values and moments") {
  std::vector<double> table{1.0, -1.0, 5.0, 6.0, 0.5, 2.0};  // 3 rows x 2
  gs::row_adam<double> opt(3, 2, {.learning_rate = 0.1});
  const std::vector<i32> first{2, 0}, second{2};
  gs::matrix<double> g1(2, 2), g2(1, 2);
  g1 << 0.5, -0.25, 1.0, 2.0;  // row 2, then row 0
  g2 << -0.5, 0.125;
  opt.step(std::span<double>(table), std::span<const i32>(first), g1);
  opt.step(std::span<double>(table), std::span<const i32>(second), g2);
  // Reference, step by step: Adam's formula with the optimizer's step count t for the bias correction, and
  // moments that only move on the steps that name the row.
  const auto reference = [](double x, const std::vector<std::pair<int, double>>& steps) {
    double m = 0, v = 0;
    for (const auto& [t, g] : steps) {
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= 0.1 * (m / (1 - std::pow(0.9, t))) / (std::sqrt(v / (1 - std::pow(0.999, t))) + 1e-8);
    }
    return x;
  };
  CHECK(table[0] == doctest::Approx(reference(1.0, {{1, 1.0}})).epsilon(1e-12));
  CHECK(table[1] == doctest::Approx(reference(-1.0, {{1, 2.0}})).epsilon(1e-12));
  CHECK(table[2] == 5.0);  // row 1: never named
  CHECK(table[3] == 6.0);
  CHECK(table[4] == doctest::Approx(reference(0.5, {{1, 0.5}, {2, -0.5}})).epsilon(1e-12));
  CHECK(table[5] == doctest::Approx(reference(2.0, {{1, -0.25}, {2, 0.125}})).epsilon(1e-12));
  CHECK(opt.steps() == 2);
  CHECK_THROWS_WITH_AS(opt.step(std::span<double>(table), std::span<const i32>(second), g1),
                       doctest::Contains("row_adam: table, rows and gradients differ in shape"), std::logic_error);
}

TEST_CASE("roc_auc: rank-sum with ties; accuracy") {
  const std::vector<double> scores{0.1, 0.4, 0.35, 0.8};
  const std::vector<std::uint8_t> positive{0, 0, 1, 1};
  CHECK(gs::roc_auc(scores, positive) == doctest::Approx(0.75));
  const std::vector<double> tied{0.5, 0.5, 0.5, 0.5};
  CHECK(gs::roc_auc(tied, positive) == doctest::Approx(0.5));
  CHECK(std::isnan(gs::roc_auc(scores, std::vector<std::uint8_t>{1, 1, 1, 1})));

  gs::matrix<float> logits(4, 2);
  logits << 2, 0, 0, 1, 1, 0, 0, 3;  // predictions 0 1 0 1, scores -2 1 -1 3
  const std::vector<i32> ids{0, 1, 2, 3};
  const std::vector<std::int32_t> labels{0, 1, 1, 1};
  const auto m = gs::evaluate_split(logits, std::span<const i32>(ids), std::span<const std::int32_t>(labels));
  CHECK(m.accuracy == doctest::Approx(0.75));
  REQUIRE(m.roc_auc.has_value());
  CHECK(*m.roc_auc == doctest::Approx(1.0));
}

// =================================================================================
// Options and data
// =================================================================================

TEST_CASE("options: defaults resolve; bad values throw argument_error naming the option") {
  const auto r = gs::resolve({});
  CHECK(r.model == gs::model_kind::sage);
  CHECK(r.fanouts == std::vector<i64>{10, 10});
  CHECK(r.sample_sizes.empty());
  CHECK(gs::resolve(r).fanouts == r.fanouts);  // resolving twice changes nothing
  const auto layerwise = gs::resolve({.sampler = gs::sampler_kind::ladies, .layers = 3});
  CHECK(layerwise.model == gs::model_kind::gcn);
  CHECK(layerwise.sample_sizes == std::vector<i64>{512, 512, 512});

  const auto fails = [](gs::trainer_options o, const std::string& says) {
    CAPTURE(says);
    CHECK_THROWS_WITH_AS(gs::resolve(o), doctest::Contains(says.c_str()), ms::argument_error);
  };
  fails({.layers = 3, .fanouts = {10, 10}}, "fanouts: 2 given for 3 layers");
  fails({.fanouts = {10, 0}}, "fanouts: 0 at hop 2");
  fails({.fanouts = {10, -2}}, "fanouts: -2 at hop 2");
  fails({.sampler = gs::sampler_kind::ladies, .layers = 2, .sample_sizes = {64}}, "sample sizes: 1 given for 2 layers");
  fails({.sampler = gs::sampler_kind::fastgcn, .sample_sizes = {64, -2}}, "sample sizes: -2 at hop 2");
  fails({.sampler = gs::sampler_kind::ladies, .fanouts = {5, 5}}, "fanouts apply to the node-wise sampler");
  fails({.sample_sizes = {5, 5}}, "sample sizes apply to the ladies and fastgcn samplers");
  fails({.layers = 0}, "layers");
  fails({.hidden = 0}, "hidden");
  fails({.batch_size = 0}, "batch size");
  fails({.bulk = 0}, "bulk");
  fails({.epochs = 0}, "epochs");
  fails({.learning_rate = 0}, "learning rate");
  fails({.weight_decay = -1}, "weight decay");
  fails({.dropout = 1}, "dropout");
  fails({.threads = -1}, "threads");
  fails({.eval_every = 0}, "eval every");
  // The MLP samples nothing, so it ignores the sampler's lists.
  CHECK_NOTHROW(gs::resolve({.model = gs::model_kind::mlp, .layers = 3, .fanouts = {1}}));
}

TEST_CASE("trainer: data without features, labels or a train split is refused with a clear message") {
  auto data = ms::csbm<float, i32, i64>({.num_vertices = 200, .num_classes = 3, .feature_dim = 4, .seed = 2});
  const auto refuses = [](const ms::graph_data<float, i32, i64>& d, const char* says) {
    CAPTURE(says);
    CHECK_THROWS_WITH_AS(sage_trainer(d.view(), {}), doctest::Contains(says), ms::argument_error);
  };
  {
    auto d = data;
    d.features.clear();
    refuses(d, "need node features");
  }
  {
    auto d = data;
    d.labels.pop_back();
    refuses(d, "one label per vertex");
  }
  {
    auto d = data;
    d.splits.erase("train");
    refuses(d, "'train' split");
  }
  {
    auto d = data;
    d.labels[static_cast<std::size_t>(d.splits["test"].front())] = -1;
    refuses(d, "has no label");
  }
}

// =================================================================================
// Training runs
// =================================================================================

TEST_CASE("trainer: row normalisation refuses negative features, naming the vertex") {
  auto data = ms::csbm<float, i32, i64>({.num_vertices = 200, .num_classes = 2, .feature_dim = 4, .seed = 1});
  auto o = small_options();
  o.row_normalize_features = true;
  // Gaussian features have negative entries: find the first, as the message must name it.
  const auto first = std::find_if(data.features.begin(), data.features.end(), [](float x) { return x < 0; });
  REQUIRE(first != data.features.end());
  const auto at = first - data.features.begin();
  const std::string expected = "vertex " + std::to_string(at / 4) + " has feature " + std::to_string(at % 4);
  CHECK_THROWS_WITH_AS(sage_trainer(data.view(), o), doctest::Contains(expected.c_str()), ms::argument_error);
  for (auto& x : data.features) x = std::abs(x);
  CHECK_NOTHROW(sage_trainer(data.view(), o));
}

TEST_CASE("training: the loss falls, accuracy beats chance by a margin, and the graph beats the MLP") {
  const auto& data = small_graph();
  sage_trainer sage(data.view(), small_options());
  const auto r = sage.run();
  REQUIRE(r.epochs.size() == 12);
  const double chance = 0.25;  // four balanced classes
  MESSAGE("sage: loss ", r.epochs.front().loss, " -> ", r.epochs.back().loss, ", test ", r.final_eval.accuracy("test"));
  CHECK(r.epochs.back().loss < 0.7 * r.epochs.front().loss);
  CHECK(r.final_eval.accuracy("test") > chance + 0.3);
  CHECK(r.final_eval.accuracy("valid") > chance + 0.3);
  CHECK(r.best_epoch >= 0);

  auto mlp_options = small_options();
  mlp_options.model = gs::model_kind::mlp;
  sage_trainer mlp(data.view(), mlp_options);
  const auto m = mlp.run();
  MESSAGE("mlp: test ", m.final_eval.accuracy("test"));
  CHECK(r.final_eval.accuracy("test") > m.final_eval.accuracy("test") + 0.1);
}

TEST_CASE(
    "training: learned input embeddings on a graph without features: the loss falls, and test vertices, whose "
    "own rows never train, are classified through their neighbours") {
  auto data = small_graph();
  data.features.clear();
  data.feature_dim = 0;
  auto o = small_options();
  o.inputs = gs::input_features::embedding;
  o.embedding_dim = 16;
  sage_trainer t(data.view(), o);
  CHECK(t.options().inputs == gs::input_features::embedding);
  const auto r = t.run();
  const double chance = 0.25;  // four balanced classes
  MESSAGE("embedding: loss ", r.epochs.front().loss, " -> ", r.epochs.back().loss, ", train ",
          r.final_eval.accuracy("train"), ", test ", r.final_eval.accuracy("test"));
  CHECK(r.epochs.back().loss < 0.7 * r.epochs.front().loss);
  CHECK(r.final_eval.accuracy("train") > chance + 0.5);
  CHECK(r.final_eval.accuracy("test") > chance + 0.1);  // 0.47 measured at seed 3

  // Bit for bit again, embedding updates included, for any bulk size and sampled ahead or not.
  o.epochs = 2;
  o.eval_every = 2;
  const auto first = sage_trainer(data.view(), o).run();
  auto one_at_a_time = o;
  one_at_a_time.bulk = 1;
  one_at_a_time.background_sampling = false;
  CHECK(losses(sage_trainer(data.view(), one_at_a_time).run()) == losses(first));
  CHECK(sage_trainer(data.view(), o).run().final_eval.accuracy("test") == first.final_eval.accuracy("test"));
  o.embedding_dim = 0;
  CHECK_THROWS_WITH_AS(sage_trainer(data.view(), o), doctest::Contains("embedding dim"), ms::argument_error);
}

TEST_CASE("training: same seed and threads give the same losses bit for bit, for any bulk size, sampled ahead or not") {
  const auto& data = small_graph();
  auto o = small_options();
  o.epochs = 3;
  o.eval_every = 3;
  const auto run = [&](const gs::trainer_options& options) {
    sage_trainer t(data.view(), options);
    return t.run();
  };
  const auto first = run(o);
  const auto again = run(o);
  CHECK(losses(first) == losses(again));
  CHECK(first.final_eval.accuracy("test") == again.final_eval.accuracy("test"));

  // Minibatch m of an epoch gets the same sample and dropout masks whether
  // it is drawn alone, as one of k, or in the training thread.
  auto one_at_a_time = o;
  one_at_a_time.bulk = 1;
  one_at_a_time.background_sampling = false;
  CHECK(losses(run(one_at_a_time)) == losses(first));

  auto other_seed = o;
  other_seed.seed = 4;
  CHECK(losses(run(other_seed)) != losses(first));
}

TEST_CASE("training: a two-class graph reports ROC-AUC; epochs must come in order") {
  const auto data = ms::csbm<float, i32, i64>({.num_vertices = 1000, .num_classes = 2, .feature_dim = 8, .seed = 3});
  auto o = small_options();
  o.epochs = 4;
  sage_trainer t(data.view(), o);
  CHECK_THROWS_AS(t.train_epoch(1), ms::argument_error);
  (void)t.train_epoch(0);
  const auto e = t.evaluate();
  REQUIRE(e.splits.at("test").roc_auc.has_value());
  CHECK(*e.splits.at("test").roc_auc > 0.5);
  CHECK(e.splits.at("test").count == 800);
}

/// The evaluated epoch with the largest valid `metric` (the first of ties), and that value.
std::pair<std::int64_t, double> best_by(const gs::training_report& r, gs::select_metric metric) {
  std::pair<std::int64_t, double> best{-1, -1.0};
  for (const auto& e : r.epochs) {
    if (e.eval && e.eval->metric(metric, "valid") > best.second) best = {e.epoch, e.eval->metric(metric, "valid")};
  }
  return best;
}

TEST_CASE("selection: two classes select by ROC-AUC, more by accuracy, or as asked; bad choices are refused") {
  const auto two = ms::csbm<float, i32, i64>({.num_vertices = 1000, .num_classes = 2, .feature_dim = 8, .seed = 3});
  auto o = small_options();
  o.epochs = 6;
  for (const auto asked : {gs::select_metric::automatic, gs::select_metric::accuracy}) {
    sage_trainer t(two.view(), [&] {
      auto with = o;
      with.select_by = asked;
      return with;
    }());
    const auto expected = asked == gs::select_metric::automatic ? gs::select_metric::roc_auc : asked;
    CHECK(t.options().select_by == expected);
    const auto r = t.run();
    const auto [epoch, value] = best_by(r, expected);
    CHECK(r.best_epoch == epoch);
    CHECK(r.best_value == value);
    CHECK(r.best_eval.metric(expected, "valid") == value);
    CHECK(!r.stopped_early);
    CHECK(r.epochs.size() == 6);
  }
  CHECK(sage_trainer(small_graph().view(), small_options()).options().select_by == gs::select_metric::accuracy);
  auto roc_on_four = small_options();
  roc_on_four.select_by = gs::select_metric::roc_auc;
  CHECK_THROWS_WITH_AS(sage_trainer(small_graph().view(), roc_on_four), doctest::Contains("needs two classes"),
                       ms::argument_error);
  auto negative = small_options();
  negative.patience = -1;
  CHECK_THROWS_WITH_AS(gs::resolve(negative), doctest::Contains("patience"), ms::argument_error);
  auto link = small_options();
  link.task = gs::task_kind::link;
  link.select_by = gs::select_metric::accuracy;
  CHECK_THROWS_WITH_AS(gs::resolve(link), doctest::Contains("roc_auc, not accuracy"), ms::argument_error);
  auto no_valid = two;
  no_valid.splits.erase("valid");
  auto patient = o;
  patient.patience = 3;
  CHECK_THROWS_WITH_AS(sage_trainer(no_valid.view(), patient), doctest::Contains("'valid'"), ms::argument_error);
}

TEST_CASE("early stopping ends patience epochs after the best; restore_best reports and keeps the best epoch") {
  const auto& data = small_graph();
  auto o = small_options();
  o.epochs = 60;
  o.patience = 3;
  const auto stopped = sage_trainer(data.view(), o).run();
  MESSAGE("stopped after ", stopped.epochs.size(), " epochs, best ", stopped.best_epoch);
  REQUIRE(stopped.stopped_early);
  CHECK(stopped.epochs.size() < 60);
  CHECK(stopped.epochs.back().epoch - stopped.best_epoch == 3);
  const auto [epoch, value] = best_by(stopped, gs::select_metric::accuracy);
  CHECK(stopped.best_epoch == epoch);
  CHECK(stopped.best_value == value);
  CHECK(stopped.final_eval.accuracy("valid") <= value);

  o.restore_best = true;
  sage_trainer restoring(data.view(), o);
  const auto r = restoring.run();
  CHECK(losses(r) == losses(stopped));  // remembering the best changes nothing in training
  CHECK(r.best_epoch == stopped.best_epoch);
  CHECK(r.final_eval.accuracy("valid") == value);
  CHECK(r.final_eval.accuracy("test") == r.best_eval.accuracy("test"));
  // The parameters are the best epoch's: evaluating again gives its metrics.
  const auto again = restoring.evaluate();
  CHECK(again.accuracy("valid") == value);
  CHECK(again.accuracy("test") == r.best_eval.accuracy("test"));
}

TEST_CASE("training: LADIES and FastGCN taking every candidate reproduce full-neighbour GCN training") {
  // With every candidate taken nothing is debiased (pi = 1), so the blocks
  // are rows of D^-1/2 (A + I) D^-1/2, row-normalised: what the node-wise
  // sampler with fanout -1 gives the GCN model.
  const auto& data = small_graph();
  auto full = small_options();
  full.model = gs::model_kind::gcn;
  full.fanouts = {-1, -1};
  full.epochs = 2;
  full.eval_every = 2;
  const auto expected = sage_trainer(data.view(), full).run();
  for (const auto kind : {gs::sampler_kind::ladies, gs::sampler_kind::fastgcn}) {
    const std::string name = gs::to_string(kind);
    CAPTURE(name);
    auto o = full;
    o.sampler = kind;
    o.fanouts.clear();
    o.sample_sizes = {-1, -1};
    const auto got = sage_trainer(data.view(), o).run();
    for (std::size_t e = 0; e < got.epochs.size(); ++e) {
      CHECK(got.epochs[e].loss == doctest::Approx(expected.epochs[e].loss).epsilon(1e-6));
    }
    CHECK(got.final_eval.accuracy("test") == doctest::Approx(expected.final_eval.accuracy("test")).epsilon(1e-3));
  }
}

TEST_CASE("training: LADIES and FastGCN with GCN layers beat chance") {
  const auto& data = small_graph();
  for (const auto kind : {gs::sampler_kind::ladies, gs::sampler_kind::fastgcn}) {
    const std::string name = gs::to_string(kind);
    CAPTURE(name);
    auto o = small_options();
    o.sampler = kind;
    o.fanouts.clear();
    o.sample_sizes = {256, 256};
    sage_trainer t(data.view(), o);
    const auto r = t.run();
    MESSAGE(name, ": test ", r.final_eval.accuracy("test"));
    CHECK(r.epochs.back().loss < r.epochs.front().loss);
    CHECK(r.final_eval.accuracy("test") > 0.25 + 0.2);
  }
}

TEST_CASE("gradient check: R-GCN over typed blocks (free relation weights and bases), parameters and inputs") {
  // Two layers over a small typed CSBM's sampled typed blocks (3 types, 6
  // relations), inputs of width 3 per type, 4 classes on papers.
  using I = std::int32_t;
  const auto data = ms::typed_csbm<float, I, i64>({.counts = {30, 20, 5}, .feature_dim = 3, .seed = 2});
  const auto& schema = data.graph.schema();
  std::vector<I> papers{0, 3, 7, 11, 19};
  const auto seeds = ms::typed_batch_list<I>::of_type(3, 0, ms::batch_list<I>::uniform(papers, 5));
  const ms::typed_nodewise_sampler sampler(test::cpu2, data.graph.view());
  const auto sample = sampler(seeds, {.fanouts = ms::uniform_fanouts(schema, {3, 2}), .seed = 5});
  const auto g = gs::make_typed_minibatch<double>(sample, 0);
  std::mt19937_64 rng(3);
  std::vector<dmatrix> x;
  for (std::int32_t t = 0; t < 3; ++t)
    x.push_back(random_matrix(static_cast<i64>(sample[0].input_nodes(t).size()), 3, rng));
  REQUIRE(x[1].rows() > 0);  // authors reach the input layer: their gradient is checked too
  const std::vector<std::int32_t> labels{2, 0, 1, 3, 1};
  for (const i64 bases : {0, 2}) {
    CAPTURE(bases);
    gs::rgcn_shape shape{3, 4, 4, 2, bases, {}, {}, 3};
    for (const auto& rel : schema.relations) {
      shape.row_type.push_back(rel.row_type);
      shape.col_type.push_back(rel.col_type);
    }
    gs::rgcn<double> net(shape);
    net.initialize(7);
    std::uniform_real_distribution<double> u(-0.2, 0.2);
    for (auto& p : net.parameters()) p += u(rng);  // biases and coefficients away from their start
    // Dropout at 0.3 with fixed masks: the loss is still a smooth function of the parameters.
    const double dropout = bases == 0 ? 0.0 : 0.3;
    const gs::dropout_key key{5, 1, 2};
    const auto loss = [&] {
      dmatrix d;
      return gs::softmax_cross_entropy(net.forward(g, x, 0, dropout, key), std::span<const std::int32_t>(labels), d)
          .loss;
    };
    dmatrix d;
    (void)gs::softmax_cross_entropy(net.forward(g, x, 0, dropout, key), std::span<const std::int32_t>(labels), d);
    std::vector<dmatrix> dx;
    net.backward(g, d, 0, &dx);
    const std::vector<double> grads(net.gradients().begin(), net.gradients().end());
    CHECK(worst_error(net.parameters(), grads, loss) < tolerance);
    CHECK(std::count_if(grads.begin(), grads.end(), [](double v) { return v != 0; }) >
          static_cast<long>(grads.size() / 2));
    for (std::size_t t = 0; t < 3; ++t) {
      CAPTURE(t);
      REQUIRE(dx[t].rows() == x[t].rows());
      CHECK(worst_error(entries(x[t]), entries(dx[t]), loss) < tolerance);
    }
  }
}

TEST_CASE("R-GCN trainer: on the typed CSBM the loss falls and test accuracy beats the features alone") {
  // Papers' features are weak (signal 0.5); the classes show in every relation.
  const auto data = ms::typed_csbm<float, i32, i64>({.counts = {3000, 1500, 60}, .seed = 3});
  const auto run = gs::train_rgcn(data, {.layers = 2, .hidden = 32, .batch_size = 128, .epochs = 6, .seed = 1});
  const auto& epochs = run.epochs;
  REQUIRE(epochs.size() == 6);
  CHECK(epochs.back().loss < 0.8 * epochs.front().loss);
  CHECK(epochs.back().test_accuracy > 0.6);  // 4 classes: chance is 0.25
  CHECK(run.final_epoch.test_accuracy == epochs.back().test_accuracy);
  CHECK_FALSE(run.stopped_early);
  // The same seed gives the same run, bit for bit.
  const auto again = gs::train_rgcn(data, {.layers = 2, .hidden = 32, .batch_size = 128, .epochs = 2, .seed = 1});
  CHECK(again.epochs[1].loss == epochs[1].loss);
  // Bases: fewer parameters, still learns.
  const auto basis = gs::train_rgcn(data, {.layers = 2, .hidden = 32, .bases = 2, .batch_size = 128, .epochs = 6});
  CHECK(basis.epochs.back().test_accuracy > 0.6);
  CHECK_THROWS_WITH_AS(gs::train_rgcn(data, {.epochs = 1, .dropout = 1.0}),
                       doctest::Contains("rgcn: dropout must be in [0, 1)"), ms::argument_error);
  CHECK_THROWS_WITH_AS(gs::train_rgcn(data, {.epochs = 1, .patience = -1}),
                       doctest::Contains("rgcn: patience must be >= 0"), ms::argument_error);
}

TEST_CASE("R-GCN trainer: patience stops exactly that many epochs after the best; restore-best scores the best again") {
  // A high learning rate on few papers: validation accuracy peaks early, then wanders.
  const auto data = ms::typed_csbm<float, i32, i64>({.counts = {600, 300, 20}, .seed = 4});
  const gs::rgcn_options base{
      .layers = 2, .hidden = 16, .batch_size = 32, .epochs = 40, .learning_rate = 0.05, .seed = 2};
  auto o = base;
  o.patience = 3;
  const auto stopped = gs::train_rgcn(data, o);
  REQUIRE(stopped.stopped_early);
  CHECK(static_cast<std::int64_t>(stopped.epochs.size()) == stopped.best_epoch + 4);
  for (const auto& e : stopped.epochs) {
    CHECK(e.valid_accuracy <= stopped.epochs[static_cast<std::size_t>(stopped.best_epoch)].valid_accuracy);
  }
  o.restore_best = true;
  const auto restored = gs::train_rgcn(data, o);
  const auto& best = restored.epochs[static_cast<std::size_t>(restored.best_epoch)];
  CHECK(restored.epochs.size() == stopped.epochs.size());  // the same run until it stops
  CHECK(restored.final_epoch.valid_accuracy == best.valid_accuracy);
  CHECK(restored.final_epoch.test_accuracy == best.test_accuracy);
  CHECK(restored.final_epoch.epoch == best.epoch);
  // The last epoch scored otherwise, so the figures show the restored parameters.
  const auto& last = restored.epochs.back();
  CHECK((last.valid_accuracy != best.valid_accuracy || last.test_accuracy != best.test_accuracy));
}
