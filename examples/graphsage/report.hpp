#pragma once
// The JSON record of a training run (--report FILE): the data, the resolved
// options, every epoch's loss, metrics and time split, and the final and
// best-valid metrics. Losses are written with 17 significant digits, so two
// reports compare bit for bit. NaN (a metric that does not apply) is null.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "link_trainer.hpp"
#include "trainer.hpp"

namespace graphsage {

struct data_summary {
  std::string source;  ///< "csbm" or the --data path
  std::int64_t vertices = 0, edges = 0, feature_dim = 0, classes = 0;
  std::map<std::string, std::int64_t> splits;
};

namespace json {

inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string number(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

inline std::string number(std::int64_t x) { return std::to_string(x); }

template <class T>
std::string list(const std::vector<T>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + number(static_cast<std::int64_t>(xs[i]));
  return out + "]";
}

inline std::string metrics(const evaluation& e) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, m] : e.splits) {
    out += (first ? "" : ", ") + quote(name) + ": {\"count\": " + number(m.count) +
           ", \"accuracy\": " + number(m.accuracy);
    if (m.roc_auc) out += ", \"roc_auc\": " + number(*m.roc_auc);
    out += "}";
    first = false;
  }
  return out + "}";
}

inline std::string times(const time_split& t) {
  return "{\"sample\": " + number(t.sample) + ", \"wait\": " + number(t.wait) + ", \"gather\": " + number(t.gather) +
         ", \"compute\": " + number(t.compute) + ", \"eval\": " + number(t.eval) + "}";
}

/// The resolved options of a run.
inline std::string options(const trainer_options& o) {
  return std::string("{\"sampler\": ") + quote(to_string(o.sampler)) + ", \"model\": " + quote(to_string(o.model)) +
         ", \"layers\": " + number(o.layers) + ", \"hidden\": " + number(o.hidden) +
         ", \"fanouts\": " + list(o.fanouts) + ", \"sample_sizes\": " + list(o.sample_sizes) +
         ", \"labor_importance\": " + number(static_cast<std::int64_t>(o.labor_importance)) +
         ", \"batch_size\": " + number(o.batch_size) + ", \"bulk\": " + number(o.bulk) +
         ", \"epochs\": " + number(o.epochs) + ", \"learning_rate\": " + number(o.learning_rate) +
         ", \"weight_decay\": " + number(o.weight_decay) + ", \"dropout\": " + number(o.dropout) +
         ", \"seed\": " + std::to_string(o.seed) + ", \"threads\": " + number(static_cast<std::int64_t>(o.threads)) +
         ", \"sampling_threads\": " + number(static_cast<std::int64_t>(o.sampling_threads)) +
         ", \"eval_every\": " + number(o.eval_every) +
         ", \"background_sampling\": " + (o.background_sampling ? "true" : "false") +
         ", \"row_normalize_features\": " + (o.row_normalize_features ? "true" : "false") + ", \"input_features\": \"" +
         to_string(o.inputs) + "\", \"embedding_dim\": " + number(o.embedding_dim) +
         ", \"residual\": " + (o.residual ? "true" : "false") +
         ", \"layer_norm\": " + (o.layer_norm ? "true" : "false") +
         ", \"select_by\": " + quote(to_string(o.select_by)) + ", \"patience\": " + number(o.patience) +
         ", \"restore_best\": " + (o.restore_best ? "true" : "false") + "}";
}

inline std::string link_split_metrics(const link_metrics& m) {
  std::string out = "{\"positives\": " + number(m.positives) + ", \"negatives\": " + number(m.negatives) +
                    ", \"roc_auc\": " + number(m.roc_auc) + ", \"average_precision\": " + number(m.average_precision);
  for (const auto& [k, v] : m.hits) out += ", \"hits@" + std::to_string(k) + "\": " + number(v);
  return out + ", \"mrr\": " + number(m.mrr) + "}";
}

inline std::string metrics(const link_evaluation& e) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, m] : e.splits) {
    out += (first ? "" : ", ") + quote(name) + ": " + link_split_metrics(m);
    first = false;
  }
  return out + "}";
}

}  // namespace json

/// The data and split of a link prediction run.
struct link_data_summary {
  data_summary data;
  std::string split;  ///< where the split was read from or written to ("" when kept in memory)
  std::int64_t train = 0, valid = 0, test = 0;
};

inline void write_link_report(std::ostream& os, const link_training_report& r, const link_data_summary& d) {
  using namespace json;
  const auto& o = r.options;
  os << "{\n  \"task\": \"link\",\n  \"data\": {\"source\": " << quote(d.data.source)
     << ", \"vertices\": " << number(d.data.vertices) << ", \"edges\": " << number(d.data.edges)
     << ", \"feature_dim\": " << number(d.data.feature_dim) << "},\n";
  os << "  \"split\": {\"path\": " << quote(d.split) << ", \"train\": " << number(d.train)
     << ", \"valid\": " << number(d.valid) << ", \"test\": " << number(d.test) << "},\n";
  os << "  \"options\": " << options(o) << ",\n";
  os << "  \"link\": {\"predictor\": " << quote(to_string(o.predictor)) << ", \"negatives\": " << number(o.negatives)
     << ", \"exclude\": " << quote(to_string(o.exclude)) << ", \"valid_fraction\": " << number(o.valid_fraction)
     << ", \"test_fraction\": " << number(o.test_fraction) << "},\n";
  os << "  \"sampler\": " << quote(r.sampler) << ",\n  \"parameters\": " << number(r.parameters)
     << ",\n  \"dropped_negatives\": " << number(r.dropped_negatives) << ",\n";
  os << "  \"epochs\": [\n";
  for (std::size_t i = 0; i < r.epochs.size(); ++i) {
    const auto& e = r.epochs[i];
    os << "    {\"epoch\": " << number(e.epoch) << ", \"minibatches\": " << number(e.minibatches)
       << ", \"loss\": " << number(e.loss);
    if (e.eval) os << ", \"metrics\": " << metrics(*e.eval);
    os << ", \"seconds\": " << number(e.seconds) << ", \"time\": " << times(e.time) << "}"
       << (i + 1 < r.epochs.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"loss\": [";
  for (std::size_t i = 0; i < r.epochs.size(); ++i) os << (i ? ", " : "") << number(r.epochs[i].loss);
  os << "],\n";
  os << "  \"final\": " << metrics(r.final_eval) << ",\n";
  os << "  \"best_valid\": {\"epoch\": " << number(r.best_epoch) << ", \"metric\": " << quote(to_string(o.select_by))
     << ", \"value\": " << number(r.best_value) << ", \"metrics\": " << metrics(r.best_eval) << "},\n";
  os << "  \"stopped_early\": " << (r.stopped_early ? "true" : "false") << ",\n";
  os << "  \"time\": " << times(r.time) << ",\n  \"seconds\": " << number(r.seconds) << "\n}\n";
}

inline void write_report(std::ostream& os, const training_report& r, const data_summary& data) {
  using namespace json;
  const auto& o = r.options;
  os << "{\n  \"data\": {\"source\": " << quote(data.source) << ", \"vertices\": " << number(data.vertices)
     << ", \"edges\": " << number(data.edges) << ", \"feature_dim\": " << number(data.feature_dim)
     << ", \"classes\": " << number(data.classes) << ", \"splits\": {";
  bool first = true;
  for (const auto& [name, count] : data.splits) {
    os << (first ? "" : ", ") << quote(name) << ": " << number(count);
    first = false;
  }
  os << "}},\n";
  os << "  \"options\": " << options(r.options) << ",\n";
  os << "  \"sampler\": " << quote(r.sampler) << ",\n  \"parameters\": " << number(r.parameters) << ",\n";
  os << "  \"epochs\": [\n";
  for (std::size_t i = 0; i < r.epochs.size(); ++i) {
    const auto& e = r.epochs[i];
    os << "    {\"epoch\": " << number(e.epoch) << ", \"minibatches\": " << number(e.minibatches)
       << ", \"loss\": " << number(e.loss) << ", \"train_accuracy\": " << number(e.train_accuracy);
    if (e.eval) os << ", \"metrics\": " << metrics(*e.eval);
    os << ", \"seconds\": " << number(e.seconds) << ", \"time\": " << times(e.time) << "}"
       << (i + 1 < r.epochs.size() ? "," : "") << "\n";
  }
  os << "  ],\n";
  os << "  \"loss\": [";
  for (std::size_t i = 0; i < r.epochs.size(); ++i) os << (i ? ", " : "") << number(r.epochs[i].loss);
  os << "],\n";
  os << "  \"final\": " << metrics(r.final_eval) << ",\n";
  os << "  \"best_valid\": {\"epoch\": " << number(r.best_epoch) << ", \"metric\": " << quote(to_string(o.select_by))
     << ", \"value\": " << number(r.best_value) << ", \"metrics\": " << metrics(r.best_eval) << "},\n";
  os << "  \"stopped_early\": " << (r.stopped_early ? "true" : "false") << ",\n";
  os << "  \"time\": " << times(r.time) << ",\n  \"seconds\": " << number(r.seconds) << "\n}\n";
}

}  // namespace graphsage
