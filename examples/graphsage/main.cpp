// graphsage: the reference trainer. Samples minibatches in bulk with
// matsample (node-wise, LADIES or FastGCN), gathers their input features and
// trains GraphSAGE (or a GCN-style network, or an MLP baseline) with
// explicit forward and backward passes. Without --data it trains on the
// built-in contextual-SBM graph, so it runs with no download.
//
//   graphsage                                    # built-in graph, defaults
//   graphsage --data data/cora --split planetoid --row-normalize
//   graphsage --model mlp                        # the same without the graph
//   graphsage --task link --data data/cora       # link prediction (link_trainer.hpp)
//   graphsage --model rgcn                       # R-GCN on the built-in typed CSBM (rgcn.hpp)
#include <matsample/matsample.hpp>
#if GRAPHSAGE_WITH_IO
#include <matsample/io.hpp>
#endif

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "report.hpp"
#include "rgcn.hpp"
#include "trainer.hpp"

namespace {

using vertex = std::int32_t;
using offset = std::int64_t;
using graph_data = matsample::graph_data<float, vertex, offset>;
using data_view = matsample::graph_data_view<float, vertex, offset>;

/// Whatever holds the data the view points into.
struct loaded_data {
  std::optional<graph_data> owned;
#if GRAPHSAGE_WITH_IO
  std::optional<matsample::snapshot<float, vertex, offset>> mapped;
#endif
  data_view view;
  std::string source;
};

loaded_data load(const std::string& path, const std::string& split, const matsample::csbm_options& csbm) {
  loaded_data out;
  if (path.empty()) {
    out.owned = matsample::csbm<float, vertex, offset>(csbm);
    out.view = out.owned->view();
    out.source = "csbm";
    return out;
  }
  out.source = path;
#if GRAPHSAGE_WITH_IO
  if (std::filesystem::is_directory(path)) {
    out.owned = matsample::read_ogb<float, vertex, offset>(path, {.split = split});
    out.view = out.owned->view();
  } else {
    if (!split.empty()) throw matsample::argument_error("--split applies to OGB directories, not snapshots");
    out.mapped.emplace(path);
    out.view = out.mapped->view();
  }
  return out;
#else
  (void)split;
  throw matsample::argument_error("--data needs matsample::io (zlib and xxHash), which this build lacks");
#endif
}

/// A bar on a terminal; nothing otherwise (the per-epoch lines go to stdout).
class progress_bar {
 public:
  explicit progress_bar(bool enabled) : enabled_(enabled) {}
  void show(std::int64_t epoch, std::int64_t epochs, std::int64_t done, std::int64_t total) const {
    if (!enabled_) return;
    constexpr int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * done / total) : width;
    // Epochs count from 0, as in the log lines: the last is epochs - 1.
    std::fprintf(stderr, "\repoch %lld/%lld [%.*s%*s] %lld/%lld", static_cast<long long>(epoch),
                 static_cast<long long>(epochs - 1), filled, "##############################", width - filled, "",
                 static_cast<long long>(done), static_cast<long long>(total));
    std::fflush(stderr);
  }
  void clear() const {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
};

std::string format_metric(const graphsage::evaluation& e, const char* split) {
  const auto it = e.splits.find(split);
  if (it == e.splits.end()) return "";
  char buf[96];
  if (it->second.roc_auc) {
    std::snprintf(buf, sizeof buf, "  %s %.4f (auc %.4f)", split, it->second.accuracy, *it->second.roc_auc);
  } else {
    std::snprintf(buf, sizeof buf, "  %s %.4f", split, it->second.accuracy);
  }
  return buf;
}

/// CLI11 check for seeds: CLI11 reads "-1" into a uint64_t as 2^64 - 1.
const CLI::Validator unsigned_seed(
    [](std::string& value) {
      return value.find('-') == std::string::npos ? std::string() : "a seed is a number >= 0, not " + value;
    },
    "SEED >= 0");

/// The default split directory of an OGB dataset:
/// DATA/link-split/seed-SEED-valid-VALID-test-TEST (beside split/, whose
/// subdirectories are the node splits read_ogb chooses from).
std::string default_link_split(const std::string& data_path, const graphsage::trainer_options& o) {
  if (data_path.empty() || !std::filesystem::is_directory(data_path)) return "";
  char name[96];
  std::snprintf(name, sizeof name, "seed-%llu-valid-%g-test-%g", static_cast<unsigned long long>(o.seed),
                o.valid_fraction, o.test_fraction);
  return (std::filesystem::path(data_path) / "link-split" / name).string();
}

/// graphsage --task link: the split (read or made), training, the report.
int run_link(const data_view& v, const graphsage::data_summary& summary, const graphsage::trainer_options& o,
             const std::string& data_path, std::string split_dir, const std::string& report_path) {
  using namespace graphsage;
  if (split_dir.empty()) split_dir = default_link_split(data_path, o);
  const bool undirected = true;
  matsample::edge_split<float, vertex, offset> split;
  const auto t0 = std::chrono::steady_clock::now();
#if GRAPHSAGE_WITH_IO
  if (!split_dir.empty() && matsample::has_edge_split(split_dir)) {
    split = matsample::read_edge_split(split_dir, v.graph, undirected);
    std::printf("split: read %s", split_dir.c_str());
  } else {
    split = matsample::random_edge_split(
        v.graph, {.valid_fraction = o.valid_fraction, .test_fraction = o.test_fraction, .seed = o.seed});
    if (!split_dir.empty()) matsample::write_edge_split(split_dir, v.num_vertices(), split);
    std::printf("split: made from seed %llu%s%s", static_cast<unsigned long long>(o.seed),
                split_dir.empty() ? "" : ", written to ", split_dir.c_str());
  }
#else
  if (!split_dir.empty()) throw matsample::argument_error("--link-split needs matsample::io, which this build lacks");
  split = matsample::random_edge_split(
      v.graph, {.valid_fraction = o.valid_fraction, .test_fraction = o.test_fraction, .seed = o.seed});
  std::printf("split: made from seed %llu", static_cast<unsigned long long>(o.seed));
#endif
  std::printf("; %zu train, %zu valid, %zu test edges (undirected), as many fixed negatives (%.2f s)\n",
              split.train.size(), split.valid.size(), split.test.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  link_trainer<vertex, offset> t(v, split, o);
  const auto& r = t.options();
  std::printf("model: sage, %lld layers, hidden %lld, predictor %s, %lld parameters; inputs: %s; sampler: %s",
              static_cast<long long>(r.layers), static_cast<long long>(r.hidden), to_string(r.predictor),
              static_cast<long long>(t.parameters()), to_string(r.inputs), t.sampler_name().c_str());
  for (std::size_t l = 0; l < r.fanouts.size(); ++l) {
    std::printf("%s%lld", l ? "," : " ", static_cast<long long>(r.fanouts[l]));
  }
  std::printf("; batch %lld edges, %lld negative%s each, exclude %s, k = %lld, %lld minibatches per epoch\n",
              static_cast<long long>(r.batch_size), static_cast<long long>(r.negatives), r.negatives == 1 ? "" : "s",
              to_string(r.exclude), static_cast<long long>(r.bulk), static_cast<long long>(t.batches_per_epoch()));
  std::fflush(stdout);
  const auto metric = [](const link_evaluation& e, const char* name) {
    const auto it = e.splits.find(name);
    if (it == e.splits.end()) return std::string();
    char buf[128];
    std::snprintf(buf, sizeof buf, "  %s auc %.4f ap %.4f hits@50 %.4f", name, it->second.roc_auc,
                  it->second.average_precision, it->second.hits.at(50));
    return std::string(buf);
  };
  const progress_bar bar(isatty(fileno(stderr)) != 0);
  std::int64_t current_epoch = 0;
  const auto report = t.run(
      [&](const link_epoch_stats& s) {
        bar.clear();
        std::printf("epoch %3lld  loss %.4f", static_cast<long long>(s.epoch), s.loss);
        if (s.eval) std::printf("%s%s", metric(*s.eval, "valid").c_str(), metric(*s.eval, "test").c_str());
        std::printf("  | %.2f s: sample %.2f, gather %.2f, compute %.2f, eval %.2f\n", s.seconds, s.time.sample,
                    s.time.gather, s.time.compute, s.time.eval);
        std::fflush(stdout);
        current_epoch = s.epoch + 1;
      },
      [&](std::int64_t done, std::int64_t total) { bar.show(current_epoch, r.epochs, done, total); });
  if (report.stopped_early) {
    std::printf("stopped early: no better valid %s for %lld epochs\n", to_string(r.select_by),
                static_cast<long long>(r.patience));
  }
  std::printf("final%s:%s%s\n", r.restore_best ? " (best epoch restored)" : "",
              metric(report.final_eval, "valid").c_str(), metric(report.final_eval, "test").c_str());
  std::printf("best valid roc_auc at epoch %lld:%s%s\n", static_cast<long long>(report.best_epoch),
              metric(report.best_eval, "valid").c_str(), metric(report.best_eval, "test").c_str());
  std::printf("time %.2f s: sample %.2f, gather %.2f, compute %.2f, eval %.2f\n", report.seconds, report.time.sample,
              report.time.gather, report.time.compute, report.time.eval);
  if (!report_path.empty()) {
    std::ofstream file(report_path);
    write_link_report(file, report,
                      {summary, split_dir, static_cast<std::int64_t>(split.train.size()),
                       static_cast<std::int64_t>(split.valid.size()), static_cast<std::int64_t>(split.test.size())});
    file.close();
    if (!file) throw matsample::error("cannot write the report to " + report_path);
    std::printf("report: %s\n", report_path.c_str());
  }
  return 0;
}

/// graphsage --model rgcn: a typed graph (an OGB heterogeneous directory, an
/// untyped dataset with its features as a vertex type, or the built-in typed
/// CSBM), trained with typed node-wise minibatches.
int run_rgcn(const std::string& data_path, const std::string& split, const std::string& features_as_type,
             bool keep_features, std::uint64_t graph_seed, const graphsage::rgcn_options& o, int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  const auto t0 = std::chrono::steady_clock::now();
  matsample::typed_graph_data<float, vertex, offset> data;
  std::string source;
  if (data_path.empty()) {
    if (!features_as_type.empty()) throw matsample::argument_error("--features-as-type applies to --data");
    data = matsample::typed_csbm<float, vertex, offset>({.seed = graph_seed});
    source = "built-in typed contextual SBM";
  } else {
#if GRAPHSAGE_WITH_IO
    if (matsample::io::find_csv(std::filesystem::path(data_path) / "raw", "num-node-dict")) {
      if (!features_as_type.empty()) {
        throw matsample::argument_error("--features-as-type applies to untyped data; " + data_path + " is typed");
      }
      data = matsample::read_ogb_typed<float, vertex, offset>(data_path, {.split = split});
    } else if (!features_as_type.empty()) {
      const auto untyped = load(data_path, split, {});
      data = matsample::features_as_vertex_type(untyped.view, {.vertex_type = "vertex",
                                                               .relation = "edge",
                                                               .feature_type = features_as_type,
                                                               .keep_features = keep_features});
    } else {
      throw matsample::argument_error(
          "--model rgcn needs a typed graph: an OGB heterogeneous directory, "
          "--features-as-type NAME for untyped data, or no --data (the built-in typed "
          "CSBM)");
    }
    source = data_path;
#else
    (void)split;
    throw matsample::argument_error("--data needs matsample::io (zlib and xxHash), which this build lacks");
#endif
  }
  const auto& schema = data.graph.schema();
  std::printf("data: %s, %lld vertices of %d types, %lld edges in %d relations (loaded in %.2f s)\n", source.c_str(),
              static_cast<long long>(schema.num_vertices()), schema.num_types(),
              static_cast<long long>(data.graph.view().num_edges()), schema.num_relations(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::printf("model: rgcn, %lld layers, hidden %lld, %s; fanouts", static_cast<long long>(o.layers),
              static_cast<long long>(o.hidden),
              o.bases > 0 ? ("bases " + std::to_string(o.bases)).c_str() : "a weight per relation");
  for (const auto f : o.fanouts) std::printf(" %lld", static_cast<long long>(f));
  std::printf(" per relation; batch %lld\n", static_cast<long long>(o.batch_size));
  std::fflush(stdout);
  const auto run = graphsage::train_rgcn(data, o, [](const graphsage::rgcn_epoch& e) {
    std::printf("epoch %3lld  loss %.4f  train %.4f  valid %.4f  test %.4f  | %.2f s\n",
                static_cast<long long>(e.epoch), e.loss, e.train_accuracy, e.valid_accuracy, e.test_accuracy,
                e.seconds);
    std::fflush(stdout);
  });
  const auto& best = run.epochs[static_cast<std::size_t>(run.best_epoch)];
  if (run.stopped_early) {
    std::printf("stopped early: no better valid accuracy for %lld epochs\n", static_cast<long long>(o.patience));
  }
  std::printf("final%s:  valid %.4f  test %.4f\n", o.restore_best ? " (best epoch restored)" : "",
              run.final_epoch.valid_accuracy, run.final_epoch.test_accuracy);
  std::printf("best valid accuracy at epoch %lld:  valid %.4f  test %.4f\n", static_cast<long long>(best.epoch),
              best.valid_accuracy, best.test_accuracy);
  return 0;
}

}  // namespace

static int main_body(int argc, char** argv) {
  using namespace graphsage;
  CLI::App app{"Train GraphSAGE on minibatches sampled in bulk by matsample"};
  trainer_options o;
  std::string data_path, split, report_path;
  matsample::csbm_options csbm;
  bool synchronous = false;
  const std::map<std::string, sampler_kind> samplers{{"nodewise", sampler_kind::nodewise},
                                                     {"labor", sampler_kind::labor},
                                                     {"ladies", sampler_kind::ladies},
                                                     {"fastgcn", sampler_kind::fastgcn}};
  const std::map<std::string, input_features> inputs{{"auto", input_features::automatic},
                                                     {"data", input_features::data},
                                                     {"degree", input_features::degree},
                                                     {"constant", input_features::constant},
                                                     {"embedding", input_features::embedding}};
  const std::map<std::string, model_kind> models{
      {"auto", model_kind::automatic}, {"sage", model_kind::sage}, {"gcn", model_kind::gcn}, {"mlp", model_kind::mlp}};

  app.add_option("--data", data_path, "OGB raw-layout directory or snapshot file (default: the built-in CSBM graph)");
  app.add_option("--split", split, "OGB split name, e.g. planetoid (default: the only one)");
  std::string sampler_name = "nodewise", model_name = "auto";
  app.add_option("--sampler", sampler_name, "nodewise, labor, ladies or fastgcn")
      ->transform(CLI::IsMember(samplers, CLI::ignore_case))
      ->capture_default_str();
  const std::vector<std::string> model_names{"auto", "sage", "gcn", "mlp", "rgcn"};
  app.add_option("--model", model_name,
                 "sage, gcn, mlp (no graph), rgcn (typed graphs: R-GCN), or auto: sage for nodewise and labor, gcn "
                 "otherwise")
      ->transform(CLI::IsMember(model_names, CLI::ignore_case))
      ->capture_default_str();
  std::int64_t bases = 0;
  std::string features_as_type;
  app.add_option("--bases", bases, "rgcn: basis matrices per layer (0: a weight matrix per relation)")
      ->capture_default_str();
  app.add_option("--features-as-type", features_as_type,
                 "rgcn: read untyped --data as typed, its feature columns becoming vertices of this type");
  bool keep_features = false;
  app.add_flag("--keep-features", keep_features,
               "rgcn with --features-as-type: the vertices keep their feature rows as inputs (the new type's "
               "vertices read learned embeddings of the same width)");
  app.add_option("--layers", o.layers, "graph layers")->capture_default_str();
  app.add_option("--hidden", o.hidden, "hidden width")->capture_default_str();
  app.add_option("--fanouts", o.fanouts,
                 "nodewise, labor: neighbours per vertex per layer, hop 1 first, -1 for all (default 10 each)")
      ->delimiter(',');
  app.add_option("--sample-sizes", o.sample_sizes,
                 "ladies/fastgcn: vertices per layer, hop 1 first, -1 for all (default 512 each)")
      ->delimiter(',');
  app.add_option("--batch", o.batch_size, "seeds per minibatch")->capture_default_str();
  app.add_option("--labor-importance", o.labor_importance,
                 "labor: importance-sampling rounds (0: LABOR-0, i: LABOR-i, -1: until converged)")
      ->capture_default_str();
  app.add_option("--bulk", o.bulk, "minibatches sampled per call (k)")->capture_default_str();
  app.add_option("--epochs", o.epochs, "training epochs")->capture_default_str();
  app.add_option("--lr", o.learning_rate, "Adam learning rate")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay on the weight matrices")->capture_default_str();
  app.add_option("--dropout", o.dropout, "dropout probability on every layer's input")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of shuffling, sampling, dropout and initialisation")
      ->check(unsigned_seed)
      ->capture_default_str();
  app.add_option("--threads", o.threads, "OpenMP and Eigen threads (0: OpenMP's default)")->capture_default_str();
  app.add_option("--sampling-threads", o.sampling_threads,
                 "threads of the sampling calls (0: 1 when sampling in the background, else --threads)")
      ->capture_default_str();
  app.add_option("--eval-every", o.eval_every, "evaluate every this many epochs (and after the last)")
      ->capture_default_str();
  app.add_flag("--residual", o.residual,
               "a skip connection around each hidden layer, with a learned projection where the widths differ");
  app.add_flag("--layer-norm", o.layer_norm, "layer normalisation (learned scale and shift) in each hidden layer");
  const std::map<std::string, select_metric> selections{
      {"auto", select_metric::automatic}, {"accuracy", select_metric::accuracy}, {"roc_auc", select_metric::roc_auc}};
  std::string select_name = "auto";
  app.add_option("--select-by", select_name,
                 "validation metric that picks the best epoch: accuracy, roc_auc (two classes), or auto: roc_auc for "
                 "two classes and for links, accuracy otherwise")
      ->transform(CLI::IsMember(selections, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--patience", o.patience,
                 "stop once this many epochs have passed without a better validation metric (0: never)")
      ->capture_default_str();
  app.add_flag("--restore-best", o.restore_best,
               "after training, go back to the best validation epoch's parameters and report that epoch as final");
  app.add_flag("--row-normalize", o.row_normalize_features,
               "divide each feature row by its sum (bag-of-words data such as Cora)");
  app.add_flag("--no-background", synchronous, "sample in the training thread instead of ahead in a background thread");
  app.add_option("--report", report_path, "write a JSON summary of the run to this file");
  app.add_option("--csbm-vertices", csbm.num_vertices, "built-in graph: vertices")->capture_default_str();
  app.add_option("--csbm-classes", csbm.num_classes, "built-in graph: classes")->capture_default_str();
  app.add_option("--csbm-degree", csbm.average_degree, "built-in graph: average degree")->capture_default_str();
  app.add_option("--csbm-homophily", csbm.homophily,
                 "built-in graph: fraction of edges within a class (below 1/classes: heterophilous)")
      ->capture_default_str();
  app.add_option("--csbm-features", csbm.feature_dim, "built-in graph: features per vertex")->capture_default_str();
  app.add_option("--csbm-signal", csbm.signal,
                 "built-in graph: distance between class feature means, in noise standard deviations")
      ->capture_default_str();
  app.add_option("--graph-seed", csbm.seed, "built-in graph: generator seed")
      ->check(unsigned_seed)
      ->capture_default_str();
  std::string inputs_name = "auto";
  app.add_option("--input-features", inputs_name,
                 "what the first layer reads: data (the node features), or for a graph without features degree, "
                 "constant, or embedding (a learned vector per vertex); auto: data when there are features, else "
                 "degree")
      ->transform(CLI::IsMember(inputs, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--embedding-dim", o.embedding_dim, "width of --input-features embedding")->capture_default_str();
  const std::map<std::string, task_kind> tasks{{"node", task_kind::node}, {"link", task_kind::link}};
  const std::map<std::string, predictor_kind> predictors{{"dot", predictor_kind::dot}, {"mlp", predictor_kind::mlp}};
  const std::map<std::string, matsample::edge_exclusion> exclusions{{"none", matsample::edge_exclusion::none},
                                                                    {"self", matsample::edge_exclusion::self},
                                                                    {"reverse", matsample::edge_exclusion::reverse}};
  std::string task_name = "node", predictor_name = "dot", exclude_name = "reverse", link_split;
  app.add_option("--task", task_name, "node (classify vertices) or link (predict edges)")
      ->transform(CLI::IsMember(tasks, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--predictor", predictor_name, "link: how a pair is scored, dot or mlp")
      ->transform(CLI::IsMember(predictors, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--negatives", o.negatives, "link: uniform negatives per positive pair in training")
      ->capture_default_str();
  app.add_option("--exclude", exclude_name,
                 "link: edges masked out of a minibatch's own blocks: none, self (its positives) or reverse (and their "
                 "reverses)")
      ->transform(CLI::IsMember(exclusions, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--valid-fraction", o.valid_fraction, "link: edges held out for validation in a new split")
      ->capture_default_str();
  app.add_option("--test-fraction", o.test_fraction, "link: edges held out for testing in a new split")
      ->capture_default_str();
  app.add_option("--link-split", link_split,
                 "link: directory of the edge split (train/valid/test and fixed negatives as CSV): read when it holds "
                 "one, else made from --seed and the fractions and written there (default: DATA/link-split/"
                 "seed-SEED-valid-V-test-T for an OGB directory, in memory otherwise)");
  CLI11_PARSE(app, argc, argv);
  o.task = tasks.at(task_name);
  o.predictor = predictors.at(predictor_name);
  o.exclude = exclusions.at(exclude_name);
  o.inputs = inputs.at(inputs_name);
  o.sampler = samplers.at(sampler_name);
  if (model_name == "rgcn") {
    graphsage::rgcn_options r{.layers = o.layers,
                              .hidden = o.hidden,
                              .bases = bases,
                              .batch_size = o.batch_size,
                              .epochs = o.epochs,
                              .embedding_dim = o.embedding_dim,
                              .fanouts = o.fanouts,
                              .learning_rate = o.learning_rate,
                              .weight_decay = o.weight_decay,
                              .dropout = o.dropout,
                              .patience = o.patience,
                              .restore_best = o.restore_best,
                              .seed = o.seed};
    if (r.fanouts.empty()) r.fanouts.assign(static_cast<std::size_t>(r.layers), 10);
    return run_rgcn(data_path, split, features_as_type, keep_features, csbm.seed, r, o.threads);
  }
  o.model = models.at(model_name);
  o.select_by = selections.at(select_name);
  o.background_sampling = !synchronous;

  {
    o = resolve(o);              // bad options fail before any data is loaded
    if (!report_path.empty()) {  // not after training: the directory must exist now
      const auto dir = std::filesystem::absolute(report_path).parent_path();
      if (!std::filesystem::is_directory(dir)) {
        throw matsample::argument_error("--report " + report_path + ": the directory " + dir.string() +
                                        " does not exist");
      }
    }
    if (!split.empty() && data_path.empty()) {
      std::fprintf(stderr,
                   "graphsage: warning: --split %s is ignored: it names a split of --data, and the built-in "
                   "graph has its own\n",
                   split.c_str());
    }
    const auto t0 = std::chrono::steady_clock::now();
    const loaded_data data = load(data_path, split, csbm);
    const auto& v = data.view;
    data_summary summary{data.source,   v.num_vertices(), static_cast<std::int64_t>(v.graph.nnz()),
                         v.feature_dim, v.num_classes(),  {}};
    std::printf("data: %s, %lld vertices, %lld directed edges, %lld features, %lld classes",
                data.source == "csbm" ? "built-in contextual SBM" : data.source.c_str(),
                static_cast<long long>(summary.vertices), static_cast<long long>(summary.edges),
                static_cast<long long>(summary.feature_dim), static_cast<long long>(summary.classes));
    for (const auto& [name, ids] : v.splits) {
      summary.splits[name] = static_cast<std::int64_t>(ids.size());
      std::printf(", %s %zu", name.c_str(), ids.size());
    }
    std::printf(" (loaded in %.2f s)\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

    if (o.task == task_kind::link) return run_link(v, summary, o, data_path, link_split, report_path);
    trainer<vertex, offset> t(v, o);
    const auto& r = t.options();
    std::printf("model: %s, %lld layers, hidden %lld%s%s, %lld parameters; inputs: %s", to_string(r.model),
                static_cast<long long>(r.layers), static_cast<long long>(r.hidden), r.residual ? ", residual" : "",
                r.layer_norm ? ", layer norm" : "", static_cast<long long>(t.network().parameters().size()),
                to_string(r.inputs));
    if (r.inputs == input_features::embedding) {
      std::printf(" (%lld per vertex, %lld more parameters)", static_cast<long long>(r.embedding_dim),
                  static_cast<long long>(r.embedding_dim * v.num_vertices()));
    }
    std::printf("; sampler: %s", t.sampler_name().c_str());
    const auto& sizes = r.model == model_kind::mlp ? std::vector<std::int64_t>{}
                        : (r.sampler == sampler_kind::ladies || r.sampler == sampler_kind::fastgcn) ? r.sample_sizes
                                                                                                    : r.fanouts;
    for (std::size_t l = 0; l < sizes.size(); ++l) {
      std::printf("%s%lld", l ? "," : " ", static_cast<long long>(sizes[l]));
    }
    std::printf("; batch %lld, k = %lld, %lld minibatch%s per epoch\n", static_cast<long long>(r.batch_size),
                static_cast<long long>(r.bulk), static_cast<long long>(t.batches_per_epoch()),
                t.batches_per_epoch() == 1 ? "" : "es");
    std::fflush(stdout);

    const progress_bar bar(isatty(fileno(stderr)) != 0);
    std::int64_t current_epoch = 0;
    const auto report = t.run(
        [&](const epoch_stats& s) {
          bar.clear();
          std::printf("epoch %3lld  loss %.4f  train %.4f", static_cast<long long>(s.epoch), s.loss, s.train_accuracy);
          if (s.eval) {
            std::printf("%s%s", format_metric(*s.eval, "valid").c_str(), format_metric(*s.eval, "test").c_str());
          }
          std::printf("  | %.2f s: sample %.2f (wait %.2f), gather %.2f, compute %.2f, eval %.2f\n", s.seconds,
                      s.time.sample, s.time.wait, s.time.gather, s.time.compute, s.time.eval);
          std::fflush(stdout);
          current_epoch = s.epoch + 1;
        },
        [&](std::int64_t done, std::int64_t total) { bar.show(current_epoch, r.epochs, done, total); });

    if (report.stopped_early) {
      std::printf("stopped early: no better valid %s for %lld epochs\n", to_string(r.select_by),
                  static_cast<long long>(r.patience));
    }
    std::printf("final%s:%s%s\n", r.restore_best ? " (best epoch restored)" : "",
                format_metric(report.final_eval, "valid").c_str(), format_metric(report.final_eval, "test").c_str());
    std::printf("best valid %s at epoch %lld:%s%s\n", to_string(r.select_by), static_cast<long long>(report.best_epoch),
                format_metric(report.best_eval, "valid").c_str(), format_metric(report.best_eval, "test").c_str());
    std::printf("time %.2f s: sample %.2f (wait %.2f), gather %.2f, compute %.2f, eval %.2f\n", report.seconds,
                report.time.sample, report.time.wait, report.time.gather, report.time.compute, report.time.eval);
    if (!report_path.empty()) {
      std::ofstream file(report_path);
      write_report(file, report, summary);
      file.close();
      if (!file) throw matsample::error("cannot write the report to " + report_path);
      std::printf("report: %s\n", report_path.c_str());
    }
  }
  return 0;
}

// Every exception ends as a message and an exit status (core/guarded_main.hpp).
int main(int argc, char** argv) {
  return matsample::guarded_main("graphsage", [&] { return main_body(argc, argv); });
}
