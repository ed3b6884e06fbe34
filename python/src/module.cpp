// matsample's Python module (matsample._core): graphs that view the caller's
// CSR arrays without copying them, the samplers with the C++ options under
// the same names, and bulk results whose blocks are NumPy views of the
// result's own memory. Everything is the C++ library's code: a sample drawn
// here is bit for bit the one a C++ program draws with the same seed.
//
// Types are chosen at run time from the arrays' dtypes (ids int32 or int64,
// offsets int32 or int64, weights float32 or float64) and dispatched once,
// when a graph is built, to a typed implementation behind a small virtual
// interface; the hot paths are the library's templates.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "matsample/matsample.hpp"

namespace nb = nanobind;
namespace ms = matsample;

namespace {

using any_array = nb::ndarray<nb::ro>;

// ---- array checks: clear errors before any C++ runs ------------------------

std::string dtype_name(nb::dlpack::dtype t) {
  const char* kind = t.code == static_cast<std::uint8_t>(nb::dlpack::dtype_code::Int)     ? "int"
                     : t.code == static_cast<std::uint8_t>(nb::dlpack::dtype_code::UInt)  ? "uint"
                     : t.code == static_cast<std::uint8_t>(nb::dlpack::dtype_code::Float) ? "float"
                                                                                          : "other";
  return std::string(kind) + std::to_string(t.bits);
}

/// A one-dimensional, contiguous host array (any dtype); ArgumentError otherwise.
void require_vector(const any_array& a, const char* what) {
  if (a.device_type() != nb::device::cpu::value) {
    throw ms::argument_error(
        ms::detail::concat(what, ": the array is on a device; matsample's module reads host memory"));
  }
  if (a.ndim() != 1)
    throw ms::argument_error(ms::detail::concat(what, ": expected a 1-D array, got ", a.ndim(), " dimensions"));
  if (a.shape(0) > 1 && a.stride(0) != 1) {
    throw ms::argument_error(ms::detail::concat(what, ": the array is not contiguous (stride ", a.stride(0),
                                                " elements); pass a contiguous copy (numpy.ascontiguousarray)"));
  }
}

bool is_int(const any_array& a, int bits) {
  return a.dtype() == (bits == 32 ? nb::dtype<std::int32_t>() : nb::dtype<std::int64_t>());
}

/// 32 or 64 for an int32/int64 array; ArgumentError naming the dtype otherwise.
int int_width(const any_array& a, const char* what) {
  if (is_int(a, 32)) return 32;
  if (is_int(a, 64)) return 64;
  throw ms::argument_error(ms::detail::concat(what, ": expected int32 or int64, got ", dtype_name(a.dtype())));
}

template <class T>
std::span<const T> span_of(const any_array& a) {
  return {static_cast<const T*>(a.data()), a.shape(0)};
}

/// Id `v` (position j of `what`) as I; an IndexError naming it when it does not fit.
template <class I>
I narrow_id(std::int64_t v, std::size_t j, const char* what) {
  if (v < std::numeric_limits<I>::min() || v > std::numeric_limits<I>::max()) {
    throw ms::out_of_range_error(ms::detail::concat(what, ": id ", v, " at position ", j, " does not fit the graph's ",
                                                    sizeof(I) * 8, "-bit ids"));
  }
  return static_cast<I>(v);
}

/// Ids of any integer dtype as I, each checked to fit.
template <class I>
std::vector<I> ids_as(const any_array& a, const char* what) {
  require_vector(a, what);
  const int width = int_width(a, what);
  std::vector<I> out(a.shape(0));
  for (std::size_t j = 0; j < out.size(); ++j) {
    out[j] = narrow_id<I>(
        width == 32 ? static_cast<const std::int32_t*>(a.data())[j] : static_cast<const std::int64_t*>(a.data())[j], j,
        what);
  }
  return out;
}

/// How results are handed out: NumPy arrays, or nanobind's framework-free
/// arrays, which export DLPack (torch.from_dlpack) and the buffer protocol.
enum class view_kind { numpy, dlpack };

/// A read-only view of `n` elements at `data`, kept alive by `owner`.
template <class T>
nb::object view_of(const T* data, std::size_t n, nb::handle owner, view_kind kind) {
  if (kind == view_kind::dlpack) {
    return nb::cast(nb::ndarray<nb::array_api, const T, nb::ndim<1>>(const_cast<T*>(data), {n}, owner));
  }
  return nb::cast(nb::ndarray<nb::numpy, const T, nb::ndim<1>>(const_cast<T*>(data), {n}, owner));
}
template <class T>
nb::object view_of(const std::vector<T>& v, nb::handle owner, view_kind kind) {
  return view_of(v.data(), v.size(), owner, kind);
}

/// A NumPy array that owns `v` (moved into a capsule).
template <class T>
nb::object owned_array(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(heap->data(), {heap->size()}, owner));
}

// ---- results ---------------------------------------------------------------

/// A bulk sample of any type, seen through what Python asks of it.
class bulk_result {
 public:
  virtual ~bulk_result() = default;
  [[nodiscard]] virtual std::int64_t num_minibatches() const = 0;
  [[nodiscard]] virtual std::int64_t num_layers() const = 0;
  [[nodiscard]] virtual std::int64_t num_edges() const = 0;
  /// Block of minibatch m, layer l, as views kept alive by `owner`.
  [[nodiscard]] virtual nb::dict block(std::int64_t m, std::int64_t l, nb::handle owner, view_kind kind) const = 0;
  /// Every array of layer l (all minibatches), as views.
  [[nodiscard]] virtual nb::dict layer(std::int64_t l, nb::handle owner, view_kind kind) const = 0;
};

template <class V, class I, class O>
class typed_bulk final : public bulk_result {
 public:
  explicit typed_bulk(ms::bulk_sample<V, I, O> sample) : sample_(std::move(sample)) {}
  std::int64_t num_minibatches() const override { return sample_.size(); }
  std::int64_t num_layers() const override { return static_cast<std::int64_t>(sample_.layers.size()); }
  std::int64_t num_edges() const override { return sample_.num_edges(); }

  nb::dict block(std::int64_t m, std::int64_t l, nb::handle owner, view_kind kind) const override {
    check(m, l);
    const auto b = sample_.layers[static_cast<std::size_t>(l)][m];
    nb::dict d;
    d["num_dst"] = static_cast<std::int64_t>(b.num_dst());
    d["src_nodes"] = view_of(b.src_nodes.data(), b.src_nodes.size(), owner, kind);
    d["indptr"] = view_of(b.adjacency.indptr().data(), b.adjacency.indptr().size(), owner, kind);
    d["indices"] = view_of(b.adjacency.indices().data(), b.adjacency.indices().size(), owner, kind);
    d["values"] = b.adjacency.has_values()
                      ? view_of(b.adjacency.values().data(), b.adjacency.values().size(), owner, kind)
                      : nb::none();
    d["edge_ids"] = b.edge_ids.empty() ? nb::none() : view_of(b.edge_ids.data(), b.edge_ids.size(), owner, kind);
    return d;
  }

  nb::dict layer(std::int64_t l, nb::handle owner, view_kind kind) const override {
    check_layer(l);
    const auto& s = sample_.layers[static_cast<std::size_t>(l)];
    nb::dict d;
    d["row_offsets"] = view_of(s.row_offsets, owner, kind);
    d["indptr"] = view_of(s.indptr, owner, kind);
    d["edge_offsets"] = view_of(s.edge_offsets, owner, kind);
    d["indices"] = view_of(s.indices, owner, kind);
    d["values"] = view_of(s.values, owner, kind);
    d["src_nodes"] = view_of(s.src_nodes, owner, kind);
    d["node_offsets"] = view_of(s.node_offsets, owner, kind);
    return d;
  }

 private:
  void check_layer(std::int64_t l) const {
    if (l < 0 || l >= num_layers()) {
      throw ms::out_of_range_error(ms::detail::concat("layer ", l, " of a sample with ", num_layers(), " layers"));
    }
  }
  void check(std::int64_t m, std::int64_t l) const {
    check_layer(l);
    if (m < 0 || m >= num_minibatches()) {
      throw ms::out_of_range_error(
          ms::detail::concat("minibatch ", m, " of a sample with ", num_minibatches(), " minibatches"));
    }
  }
  ms::bulk_sample<V, I, O> sample_;
};

/// The Python result object: owns the sample; its views keep it alive.
class bulk {
 public:
  explicit bulk(std::unique_ptr<bulk_result> r) : r_(std::move(r)) {}
  [[nodiscard]] const bulk_result& get() const { return *r_; }

 private:
  std::unique_ptr<bulk_result> r_;
};

/// Which sampler a call runs, with its options (C++'s own structs).
struct sampler_call {
  enum class kind { nodewise, labor, ladies, fastgcn } what = kind::nodewise;
  const ms::nodewise_options* nodewise = nullptr;
  const ms::labor_options* labor = nullptr;
  const ms::layerwise_options* layerwise = nullptr;
  int threads = 0;  ///< OpenMP threads (0: the default)
  std::uint64_t epoch = 0, first_batch = 0;
  bool edge_ids = false;  ///< attach each sampled entry's position in the graph (block edge ids)
};

// ---- graphs ----------------------------------------------------------------

/// A link sampler of any type, built once per Python LinkSampler.
class link_impl {
 public:
  virtual ~link_impl() = default;
  /// Link minibatches of the pairs (src, dst) cut at `offsets`: (Bulk of
  /// the node sampler's blocks, dict of the pair graphs' arrays).
  [[nodiscard]] virtual nb::tuple sample(const any_array& src, const any_array& dst, std::vector<std::int64_t> offsets,
                                         const sampler_call& call) const = 0;
};

/// The C++ node sampler a kind names, on the CPU backend.
template <sampler_call::kind Kind, class V, class I, class O>
auto make_node_sampler(const ms::cpu_backend& cpu, const ms::csr_view<V, I, O>& view) {
  if constexpr (Kind == sampler_call::kind::nodewise) {
    return ms::nodewise_sampler(cpu, view);
  } else if constexpr (Kind == sampler_call::kind::labor) {
    return ms::labor_sampler(cpu, view);
  } else if constexpr (Kind == sampler_call::kind::ladies) {
    return ms::ladies_sampler(cpu, view);
  } else {
    return ms::fastgcn_sampler(cpu, view);
  }
}

/// The node options of a call, for a sampler of kind Kind.
template <sampler_call::kind Kind>
const auto& node_options(const sampler_call& call) {
  if constexpr (Kind == sampler_call::kind::nodewise) {
    return *call.nodewise;
  } else if constexpr (Kind == sampler_call::kind::labor) {
    return *call.labor;
  } else {
    return *call.layerwise;
  }
}

template <class V, class I, class O, sampler_call::kind Kind>
class typed_link final : public link_impl {
 public:
  using node_sampler = decltype(make_node_sampler<Kind>(std::declval<const ms::cpu_backend&>(),
                                                        std::declval<const ms::csr_view<V, I, O>&>()));
  typed_link(ms::csr_view<V, I, O> view, int threads, const ms::link_options& options)
      : view_(view), cpu_(threads), nodes_(make_node_sampler<Kind>(cpu_, view_)), link_(nodes_, view_, options) {}

  nb::tuple sample(const any_array& src, const any_array& dst, std::vector<std::int64_t> offsets,
                   const sampler_call& call) const override {
    const auto from = ids_as<I>(src, "src"), to = ids_as<I>(dst, "dst");
    if (from.size() != to.size()) {
      throw ms::argument_error(ms::detail::concat("dst: ", to.size(), " destinations for ", from.size(), " sources"));
    }
    ms::link_sample<V, I, O> out;
    {
      nb::gil_scoped_release unlocked;
      const ms::edge_batch_list<I> edges{from, to, std::move(offsets), call.epoch, call.first_batch};
      out = link_(edges, node_options<Kind>(call));
    }
    nb::dict pairs;
    pairs["positive_offsets"] = owned_array(std::move(out.positives.offsets));
    pairs["positive_src"] = owned_array(std::move(out.positives.src));
    pairs["positive_dst"] = owned_array(std::move(out.positives.dst));
    pairs["negative_offsets"] = owned_array(std::move(out.negatives.offsets));
    pairs["negative_src"] = owned_array(std::move(out.negatives.src));
    pairs["negative_dst"] = owned_array(std::move(out.negatives.dst));
    pairs["dropped_negatives"] = out.dropped_negatives;
    return nb::make_tuple(bulk(std::make_unique<typed_bulk<V, I, O>>(std::move(out.blocks))), pairs);
  }

 private:
  ms::csr_view<V, I, O> view_;
  ms::cpu_backend cpu_;
  node_sampler nodes_;  // reads cpu_ and view_
  ms::link_sampler<node_sampler, ms::csr_view<V, I, O>> link_;
};

/// A graph of any type: the samplers' entry points.
class graph_impl {
 public:
  virtual ~graph_impl() = default;
  [[nodiscard]] virtual std::int64_t rows() const = 0;
  [[nodiscard]] virtual std::int64_t cols() const = 0;
  [[nodiscard]] virtual std::int64_t nnz() const = 0;
  [[nodiscard]] virtual int index_bits() const = 0;
  /// The minibatches of `seeds` cut at `offsets`, by the sampler `call`
  /// names; runs without the GIL.
  [[nodiscard]] virtual std::unique_ptr<bulk_result> sample(const any_array& seeds, std::vector<std::int64_t> offsets,
                                                            const sampler_call& call) const = 0;
  /// The same from int64 ids, touching no Python object: the loader's
  /// worker thread calls it without the GIL.
  [[nodiscard]] virtual std::unique_ptr<bulk_result> sample_ids(std::span<const std::int64_t> seeds,
                                                                std::vector<std::int64_t> offsets,
                                                                const sampler_call& call) const = 0;
  /// A link sampler over the node sampler `kind` names, built once (the
  /// exclusion's sorted-rows check and the node sampler's tables are paid
  /// here, not per call); `threads` is its OpenMP thread count.
  [[nodiscard]] virtual std::unique_ptr<link_impl> make_link(sampler_call::kind kind, int threads,
                                                             const ms::link_options& link) const = 0;
  /// Addresses of the arrays the graph reads (the zero-copy check).
  [[nodiscard]] virtual std::vector<std::uintptr_t> addresses() const = 0;
};

template <class V, class I, class O>
class typed_graph final : public graph_impl {
 public:
  explicit typed_graph(ms::csr_view<V, I, O> view) : view_(view) {}
  std::int64_t rows() const override { return view_.rows(); }
  std::int64_t cols() const override { return view_.cols(); }
  std::int64_t nnz() const override { return static_cast<std::int64_t>(view_.nnz()); }
  int index_bits() const override { return sizeof(I) * 8; }
  std::vector<std::uintptr_t> addresses() const override {
    return {reinterpret_cast<std::uintptr_t>(view_.indptr().data()),
            reinterpret_cast<std::uintptr_t>(view_.indices().data()),
            reinterpret_cast<std::uintptr_t>(view_.has_values() ? view_.values().data() : nullptr)};
  }

  std::unique_ptr<bulk_result> sample(const any_array& seeds, std::vector<std::int64_t> offsets,
                                      const sampler_call& call) const override {
    const auto ids = ids_as<I>(seeds, "seeds");
    nb::gil_scoped_release unlocked;
    return run(ids, std::move(offsets), call);
  }

  std::unique_ptr<link_impl> make_link(sampler_call::kind kind, int threads,
                                       const ms::link_options& link) const override {
    switch (kind) {
      case sampler_call::kind::nodewise:
        return std::make_unique<typed_link<V, I, O, sampler_call::kind::nodewise>>(view_, threads, link);
      case sampler_call::kind::labor:
        return std::make_unique<typed_link<V, I, O, sampler_call::kind::labor>>(view_, threads, link);
      case sampler_call::kind::ladies:
        return std::make_unique<typed_link<V, I, O, sampler_call::kind::ladies>>(view_, threads, link);
      case sampler_call::kind::fastgcn:
        return std::make_unique<typed_link<V, I, O, sampler_call::kind::fastgcn>>(view_, threads, link);
    }
    throw ms::argument_error("unknown sampler");
  }

  std::unique_ptr<bulk_result> sample_ids(std::span<const std::int64_t> seeds, std::vector<std::int64_t> offsets,
                                          const sampler_call& call) const override {
    std::vector<I> ids(seeds.size());
    for (std::size_t j = 0; j < ids.size(); ++j) ids[j] = narrow_id<I>(seeds[j], j, "seeds");
    return run(ids, std::move(offsets), call);
  }

 private:
  std::unique_ptr<bulk_result> run(const std::vector<I>& ids, std::vector<std::int64_t> offsets,
                                   const sampler_call& call) const {
    const ms::batch_list<I> batches{std::span<const I>(ids), std::move(offsets), call.epoch, call.first_batch};
    const ms::cpu_backend cpu(call.threads);
    const auto bulk = [&](auto sample) {
      if (call.edge_ids) {
        // The rows' order is checked once per graph, not per call (an O(nnz) scan).
        std::call_once(sorted_checked_, [&] { ms::make_edge_lookup(view_).require_sorted_rows("edge ids"); });
        const auto lookup = ms::make_edge_lookup(view_);
        for (auto& layer : sample.layers) ms::detail::attach_edge_ids_with(lookup, layer, {});
      }
      return std::make_unique<typed_bulk<V, I, O>>(std::move(sample));
    };
    switch (call.what) {
      case sampler_call::kind::nodewise:
        return bulk(ms::sample_nodewise(cpu, view_, batches, *call.nodewise));
      case sampler_call::kind::labor:
        return bulk(ms::sample_labor(cpu, view_, batches, *call.labor));
      case sampler_call::kind::ladies:
        return bulk(ms::sample_ladies(cpu, view_, batches, *call.layerwise));
      case sampler_call::kind::fastgcn:
        return bulk(ms::sample_fastgcn(cpu, view_, batches, *call.layerwise));
    }
    throw ms::argument_error("unknown sampler");
  }

  ms::csr_view<V, I, O> view_;
  mutable std::once_flag sorted_checked_;  ///< set once the rows are known sorted (call_once retries after a throw)
};

template <class V, class I, class O>
std::unique_ptr<graph_impl> make_typed(const any_array& indptr, const any_array& indices, const any_array* weights,
                                       std::int64_t num_cols) {
  const auto rows = static_cast<std::int64_t>(indptr.shape(0)) - 1;
  const ms::csr_view<V, I, O> view(
      ms::checked_cast<I>(rows, "rows"), ms::checked_cast<I>(num_cols < 0 ? rows : num_cols, "columns"),
      span_of<O>(indptr), span_of<I>(indices), weights != nullptr ? span_of<V>(*weights) : std::span<const V>());
  ms::validate(view);  // offsets, extents and every column, before any sampler reads them
  return std::make_unique<typed_graph<V, I, O>>(view);
}

template <class V>
std::unique_ptr<graph_impl> make_with_value(const any_array& indptr, const any_array& indices, const any_array* weights,
                                            std::int64_t num_cols, int ibits, int obits) {
  if (ibits == 32 && obits == 64) return make_typed<V, std::int32_t, std::int64_t>(indptr, indices, weights, num_cols);
  if (ibits == 64 && obits == 64) return make_typed<V, std::int64_t, std::int64_t>(indptr, indices, weights, num_cols);
  if (ibits == 32 && obits == 32) return make_typed<V, std::int32_t, std::int32_t>(indptr, indices, weights, num_cols);
  return make_typed<V, std::int64_t, std::int32_t>(indptr, indices, weights, num_cols);
}

/// The Python Graph: the typed view plus the arrays it reads, kept alive.
class graph {
 public:
  graph(any_array indptr, any_array indices, std::optional<any_array> weights, std::int64_t num_cols)
      : indptr_(std::move(indptr)), indices_(std::move(indices)), weights_(std::move(weights)) {
    require_vector(indptr_, "indptr");
    require_vector(indices_, "indices");
    const int obits = int_width(indptr_, "indptr"), ibits = int_width(indices_, "indices");
    if (indptr_.shape(0) == 0) throw ms::argument_error("indptr: empty; a graph of n rows has n + 1 offsets");
    const std::int64_t last =
        obits == 32 ? span_of<std::int32_t>(indptr_).back() : span_of<std::int64_t>(indptr_).back();
    if (last != static_cast<std::int64_t>(indices_.shape(0))) {
      throw ms::argument_error(
          ms::detail::concat("indices: ", indices_.shape(0), " entries, but indptr ends at ", last));
    }
    if (weights_) {
      require_vector(*weights_, "weights");
      if (weights_->shape(0) != indices_.shape(0)) {
        throw ms::argument_error(
            ms::detail::concat("weights: ", weights_->shape(0), " values for ", indices_.shape(0), " entries"));
      }
      if (weights_->dtype() == nb::dtype<float>()) {
        impl_ = make_with_value<float>(indptr_, indices_, &*weights_, num_cols, ibits, obits);
      } else if (weights_->dtype() == nb::dtype<double>()) {
        impl_ = make_with_value<double>(indptr_, indices_, &*weights_, num_cols, ibits, obits);
      } else {
        throw ms::argument_error(
            ms::detail::concat("weights: expected float32 or float64, got ", dtype_name(weights_->dtype())));
      }
    } else {
      impl_ = make_with_value<float>(indptr_, indices_, nullptr, num_cols, ibits, obits);
    }
  }

  [[nodiscard]] const graph_impl& impl() const { return *impl_; }

 private:
  any_array indptr_, indices_;
  std::optional<any_array> weights_;
  std::unique_ptr<graph_impl> impl_;
};

/// Minibatch offsets: every batch_size seeds (the last batch may be smaller), as given, or one
/// minibatch of all the seeds (none when there are none).
std::vector<std::int64_t> cut(std::size_t n, std::optional<std::int64_t> batch_size,
                              std::optional<std::vector<std::int64_t>> offsets) {
  if (offsets) {
    if (batch_size) throw ms::argument_error("pass batch_size or offsets, not both");
    return *offsets;
  }
  if (!batch_size) {  // one minibatch of every seed; none without seeds
    return n == 0 ? std::vector<std::int64_t>{0} : std::vector<std::int64_t>{0, static_cast<std::int64_t>(n)};
  }
  const std::int64_t b = *batch_size;
  if (b <= 0) throw ms::argument_error(ms::detail::concat("batch_size must be positive, got ", b));
  std::vector<std::int64_t> out{0};
  for (std::int64_t at = 0; at < static_cast<std::int64_t>(n);) {
    at = std::min<std::int64_t>(at + b, static_cast<std::int64_t>(n));
    out.push_back(at);
  }
  return out;
}

// ---- the loader --------------------------------------------------------------

/// The kind a sampler name means.
sampler_call::kind kind_of(const std::string& kind) {
  if (kind == "nodewise") return sampler_call::kind::nodewise;
  if (kind == "labor") return sampler_call::kind::labor;
  if (kind == "ladies") return sampler_call::kind::ladies;
  if (kind == "fastgcn") return sampler_call::kind::fastgcn;
  throw ms::argument_error(ms::detail::concat("unknown sampler kind '", kind, "'"));
}

/// The sampler a name means, with its options copied out of the Python
/// object (the loader's thread must not read Python objects).
struct owned_call {
  ms::nodewise_options nodewise;
  ms::labor_options labor;
  ms::layerwise_options layerwise;
  sampler_call call;

  owned_call(const owned_call&) = delete;  // call points into this object
  owned_call& operator=(const owned_call&) = delete;
  owned_call(const std::string& kind, nb::handle options, int threads) {
    call.threads = threads;
    call.what = kind_of(kind);
    switch (call.what) {
      case sampler_call::kind::nodewise:
        nodewise = nb::cast<ms::nodewise_options>(options);
        break;
      case sampler_call::kind::labor:
        labor = nb::cast<ms::labor_options>(options);
        break;
      case sampler_call::kind::ladies:
      case sampler_call::kind::fastgcn:
        layerwise = nb::cast<ms::layerwise_options>(options);
        break;
    }
    call.nodewise = &nodewise;  // the struct is not moved after this (epoch_loader holds it in place)
    call.labor = &labor;
    call.layerwise = &layerwise;
  }
};

/// One epoch's minibatches, sampled `per_call` at a time: while Python
/// consumes one call's sample, a C++ thread (std::async) samples the next,
/// without the GIL. The order is epoch_batches' Philox shuffle, and every
/// minibatch keeps its number in the epoch, so the samples equal those of
/// one bulk call over the whole epoch.
class epoch_loader {
 public:
  epoch_loader(nb::object graph_object, const any_array& seeds, const std::string& kind, nb::handle options,
               std::int64_t batch_size, std::int64_t per_call, bool shuffle, std::uint64_t shuffle_seed,
               std::uint64_t epoch, bool drop_last, int threads, bool edge_ids)
      : graph_object_(std::move(graph_object)),
        impl_(&nb::cast<const graph&>(graph_object_).impl()),
        sampler_(kind, options, threads),
        batch_size_(batch_size),
        per_call_(per_call),
        epoch_(epoch) {
    if (per_call <= 0) throw ms::argument_error(ms::detail::concat("bulk must be positive, got ", per_call));
    sampler_.call.edge_ids = edge_ids;
    const auto ids = ids_as<std::int64_t>(seeds, "seeds");
    for (std::size_t j = 0; j < ids.size(); ++j) {  // here, so the error names the caller's position
      if (ids[j] < 0 || ids[j] >= impl_->rows()) {
        throw ms::out_of_range_error(ms::detail::concat("seeds: vertex ", ids[j], " at position ", j,
                                                        " is outside the graph's [0, ", impl_->rows(), ")"));
      }
    }
    // Fisher-Yates moves positions only, so int64 ids give the order epoch_batches<I> gives.
    const ms::epoch_batches<std::int64_t> order(std::span<const std::int64_t>(ids), batch_size, shuffle_seed, epoch,
                                                shuffle);
    order_.assign(order.order().begin(), order.order().end());
    const auto n = static_cast<std::int64_t>(order_.size());
    batches_ = drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
    launch();
  }
  epoch_loader(const epoch_loader&) = delete;
  epoch_loader& operator=(const epoch_loader&) = delete;
  ~epoch_loader() {
    if (pending_.valid()) pending_.wait();  // the thread reads this object
  }

  /// The next call's sample and the epoch number of its first minibatch, or
  /// None after the last; waits for the thread without the GIL, then starts
  /// the call after it. The thread's exception is raised here.
  nb::object next() {
    if (!pending_.valid()) return nb::none();
    const std::int64_t first = next_batch_ - taken_;
    std::unique_ptr<bulk_result> result;
    {
      nb::gil_scoped_release unlocked;
      const auto t0 = clock::now();
      result = pending_.get();
      waited_ += seconds_since(t0);
    }
    launch();
    return nb::make_tuple(bulk(std::move(result)), first);
  }

  [[nodiscard]] std::int64_t num_minibatches() const { return batches_; }
  [[nodiscard]] std::int64_t calls_started() const { return started_.load(); }
  [[nodiscard]] double waited_seconds() const { return waited_; }
  [[nodiscard]] double sampling_seconds() const { return sampling_.load(); }

 private:
  using clock = std::chrono::steady_clock;
  static double seconds_since(clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); }

  /// Starts sampling the next per_call minibatches, if any are left.
  void launch() {
    taken_ = std::min(per_call_, batches_ - next_batch_);
    if (taken_ <= 0) return;
    const std::int64_t first = next_batch_;
    next_batch_ += taken_;
    started_.fetch_add(1);
    pending_ = std::async(std::launch::async, [this, first, count = taken_] {
      const auto t0 = clock::now();
      const auto n = static_cast<std::int64_t>(order_.size());
      const std::int64_t begin = first * batch_size_, end = std::min(n, (first + count) * batch_size_);
      std::vector<std::int64_t> offsets{0};
      for (std::int64_t at = begin; at < end;) {
        at = std::min(at + batch_size_, end);
        offsets.push_back(at - begin);
      }
      sampler_call call = sampler_.call;
      call.epoch = epoch_;
      call.first_batch = static_cast<std::uint64_t>(first);
      auto out = impl_->sample_ids(std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(begin),
                                                                                 static_cast<std::size_t>(end - begin)),
                                   std::move(offsets), call);
      sampling_.store(sampling_.load() + seconds_since(t0));
      return out;
    });
  }

  nb::object graph_object_;  ///< keeps the graph and its arrays alive
  const graph_impl* impl_;
  owned_call sampler_;
  std::vector<std::int64_t> order_;
  std::int64_t batch_size_, per_call_, batches_ = 0, next_batch_ = 0, taken_ = 0;
  std::uint64_t epoch_;
  std::atomic<std::int64_t> started_{0};
  std::atomic<double> sampling_{0};
  double waited_ = 0;
  std::future<std::unique_ptr<bulk_result>> pending_;  // last: waited for first on destruction
};

/// Copies rows `ids` of the 2-D `features` into the first rows of `out`
/// (same dtype and width), in parallel and without the GIL.
void gather_rows(const nb::ndarray<nb::ro>& features, const any_array& ids, nb::ndarray<> out, int threads) {
  const auto matrix = [](const auto& a, const char* what) {
    if (a.device_type() != nb::device::cpu::value) {
      throw ms::argument_error(ms::detail::concat(what, ": the array is on a device; gather_rows reads host memory"));
    }
    if (a.ndim() != 2) throw ms::argument_error(ms::detail::concat(what, ": expected 2 dimensions, got ", a.ndim()));
    if ((a.shape(1) > 1 && a.stride(1) != 1) ||
        (a.shape(0) > 1 && a.stride(0) != static_cast<std::int64_t>(a.shape(1)))) {
      throw ms::argument_error(ms::detail::concat(what, ": the rows are not contiguous; pass numpy.ascontiguousarray"));
    }
  };
  matrix(features, "features");
  matrix(out, "out");
  require_vector(ids, "ids");
  if (out.dtype() != features.dtype()) {
    throw ms::argument_error(
        ms::detail::concat("out: dtype ", dtype_name(out.dtype()), " but features are ", dtype_name(features.dtype())));
  }
  if (out.shape(1) != features.shape(1) || out.shape(0) < ids.shape(0)) {
    throw ms::argument_error(ms::detail::concat("out: ", out.shape(0), " x ", out.shape(1), " cannot hold ",
                                                ids.shape(0), " rows of ", features.shape(1)));
  }
  const auto rows = ids_as<std::int64_t>(ids, "ids");
  const auto n = static_cast<std::int64_t>(features.shape(0));
  for (std::size_t j = 0; j < rows.size(); ++j) {
    if (rows[j] < 0 || rows[j] >= n) {
      throw ms::out_of_range_error(
          ms::detail::concat("ids: vertex ", rows[j], " at position ", j, " is not a row of features (", n, " rows)"));
    }
  }
  const std::size_t row_bytes = features.shape(1) * features.itemsize();
  const auto* from = static_cast<const std::byte*>(features.data());
  auto* to = static_cast<std::byte*>(out.data());
  nb::gil_scoped_release unlocked;
  const auto count = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(static) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (std::int64_t j = 0; j < count; ++j) {
    std::memcpy(to + static_cast<std::size_t>(j) * row_bytes, from + static_cast<std::size_t>(rows[j]) * row_bytes,
                row_bytes);
  }
}

// ---- link prediction ----------------------------------------------------------

/// Python's handle on a link sampler: the C++ object and what it reads
/// (the graph and the reverse map), kept alive together.
class link_handle {
 public:
  link_handle(nb::object graph_object, const std::string& kind, int threads, const ms::negative_options& negatives,
              ms::edge_exclusion exclude, std::optional<any_array> reverse_edges)
      : graph_object_(std::move(graph_object)), kind_(kind), reverse_(std::move(reverse_edges)) {
    ms::link_options link{.negatives = negatives, .exclude = exclude};
    if (reverse_) {
      require_vector(*reverse_, "reverse_edges");
      if (!is_int(*reverse_, 64)) {
        throw ms::argument_error(
            ms::detail::concat("reverse_edges: expected int64 entry positions, got ", dtype_name(reverse_->dtype())));
      }
      link.reverse_edges = span_of<std::int64_t>(*reverse_);
    }
    impl_ = nb::cast<const graph&>(graph_object_).impl().make_link(kind_of(kind), threads, link);
  }

  nb::tuple sample(nb::handle node_options, const any_array& src, const any_array& dst,
                   std::optional<std::int64_t> batch_size, std::optional<std::vector<std::int64_t>> offsets,
                   std::uint64_t epoch, std::uint64_t first_batch) const {
    require_vector(src, "src");
    require_vector(dst, "dst");
    owned_call sampler(kind_, node_options, 0);
    sampler.call.epoch = epoch;
    sampler.call.first_batch = first_batch;
    return impl_->sample(src, dst, cut(src.shape(0), batch_size, std::move(offsets)), sampler.call);
  }

 private:
  nb::object graph_object_;
  std::string kind_;
  std::optional<any_array> reverse_;
  std::unique_ptr<link_impl> impl_;  // reads the graph's arrays and reverse_
};

/// Binds `name`, one sampler's entry: its options struct goes in `slot` of
/// the call, and `seeds` are cut by batch_size (or offsets).
template <class Options>
void def_sampler(nb::module_& m, const char* name, sampler_call::kind kind, const Options* sampler_call::*slot) {
  m.def(
      name,
      [kind, slot](const graph& g, const any_array& seeds, const Options& options,
                   std::optional<std::int64_t> batch_size, std::optional<std::vector<std::int64_t>> offsets,
                   std::uint64_t epoch, std::uint64_t first_batch, int threads, bool edge_ids) {
        require_vector(seeds, "seeds");
        sampler_call call{
            .what = kind, .threads = threads, .epoch = epoch, .first_batch = first_batch, .edge_ids = edge_ids};
        call.*slot = &options;
        return bulk(g.impl().sample(seeds, cut(seeds.shape(0), batch_size, std::move(offsets)), call));
      },
      nb::arg("graph"), nb::arg("seeds").noconvert(), nb::arg("options"), nb::arg("batch_size") = nb::none(),
      nb::arg("offsets") = nb::none(), nb::arg("epoch") = 0, nb::arg("first_batch") = 0, nb::arg("threads") = 0,
      nb::arg("edge_ids") = false,
      "Minibatches of `seeds` cut by batch_size (or offsets); minibatch m is first_batch + m of `epoch`, so it is "
      "the same alone or in bulk. edge_ids: each block entry's position in the graph (CSR order).");
}

// ---- errors ----------------------------------------------------------------

PyObject* new_error(nb::module_& m, const char* name, PyObject* bases, const char* doc) {
  const std::string full = std::string("matsample.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

PyObject* bases_of(PyObject* a, PyObject* b) { return b == nullptr ? PyTuple_Pack(1, a) : PyTuple_Pack(2, a, b); }

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "matsample's compiled core: zero-copy graphs, samplers and bulk results (see the matsample package)";

  // The library's error types, under their own names, each also a subclass
  // of the built-in a Python caller would catch.
  static PyObject* base = new_error(m, "Error", bases_of(PyExc_RuntimeError, nullptr), "Root of matsample's errors.");
  static PyObject* argument =
      new_error(m, "ArgumentError", bases_of(base, PyExc_ValueError), "A parameter outside its documented domain.");
  static PyObject* out_of_range = new_error(m, "OutOfRangeError", bases_of(base, PyExc_IndexError),
                                            "A vertex, row or column id outside the graph.");
  static PyObject* csr = new_error(m, "CsrError", bases_of(base, PyExc_ValueError), "Arrays that are not a valid CSR.");
  static PyObject* overflow = new_error(m, "IndexOverflowError", bases_of(base, PyExc_OverflowError),
                                        "A count or id that does not fit the index type.");
  static PyObject* format = new_error(m, "FormatError", bases_of(base, PyExc_ValueError), "Malformed input.");
  static PyObject* size =
      new_error(m, "SizeError", bases_of(base, PyExc_MemoryError), "An input whose size cannot be held.");
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const ms::out_of_range_error& e) {
      PyErr_SetString(out_of_range, e.what());
    } catch (const ms::argument_error& e) { PyErr_SetString(argument, e.what()); } catch (const ms::csr_error& e) {
      PyErr_SetString(csr, e.what());
    } catch (const ms::index_overflow_error& e) {
      PyErr_SetString(overflow, e.what());
    } catch (const ms::format_error& e) { PyErr_SetString(format, e.what()); } catch (const ms::size_error& e) {
      PyErr_SetString(size, e.what());
    } catch (const ms::error& e) { PyErr_SetString(base, e.what()); }
  });

  nb::class_<graph>(m, "Graph", "A CSR graph viewing the caller's arrays (no copy); the arrays are kept alive.")
      .def(nb::init<any_array, any_array, std::optional<any_array>, std::int64_t>(), nb::arg("indptr").noconvert(),
           nb::arg("indices").noconvert(), nb::arg("weights").noconvert() = nb::none(), nb::arg("num_cols") = -1,
           "Rows of `indptr` (int32/int64, n + 1 offsets) and `indices` (int32/int64 column ids), optional "
           "float32/float64 `weights`; checked as a CSR (CsrError) and never copied.")
      .def_prop_ro(
          "num_nodes", [](const graph& g) { return g.impl().rows(); }, "Rows of the adjacency.")
      .def_prop_ro(
          "num_cols", [](const graph& g) { return g.impl().cols(); }, "Columns of the adjacency.")
      .def_prop_ro(
          "num_edges", [](const graph& g) { return g.impl().nnz(); }, "Entries of the adjacency.")
      .def_prop_ro(
          "index_bits", [](const graph& g) { return g.impl().index_bits(); }, "32 or 64: the id width.")
      .def(
          "_addresses", [](const graph& g) { return g.impl().addresses(); },
          "Addresses of indptr, indices and weights as the C++ side reads them (0: none).");

  // The options are C++'s structs, field for field.
  nb::class_<ms::nodewise_options>(m, "NodewiseOptions", "nodewise_options: node-wise (GraphSAGE) sampling.")
      .def(nb::init<>())
      .def_rw("fanouts", &ms::nodewise_options::fanouts, "Neighbours kept per vertex, hop 1 first; -1 keeps all.")
      .def_rw("replace", &ms::nodewise_options::replace, "Draw with replacement.")
      .def_rw("weighted", &ms::nodewise_options::weighted, "Draw proportionally to edge weights.")
      .def_rw("deduplicate", &ms::nodewise_options::deduplicate, "De-duplicate each block's sources.")
      .def_rw("seed", &ms::nodewise_options::seed, "Seed of every random stream.");
  nb::class_<ms::labor_options>(m, "LaborOptions", "labor_options: LABOR, layer-neighbour sampling.")
      .def(nb::init<>())
      .def_rw("fanouts", &ms::labor_options::fanouts, "Expected neighbours per vertex, hop 1 first; -1 keeps all.")
      .def_rw("weighted", &ms::labor_options::weighted, "Inclusion in proportion to edge weights.")
      .def_rw("fixed_count", &ms::labor_options::fixed_count, "Exactly min(fanout, degree) per row.")
      .def_rw("layer_dependency", &ms::labor_options::layer_dependency, "Every layer uses the same variates.")
      .def_rw("batch_dependency", &ms::labor_options::batch_dependency,
              "kappa: consecutive minibatches share variates.")
      .def_rw("importance_iterations", &ms::labor_options::importance_iterations, "LABOR-i rounds; -1 to converge.")
      .def_rw("seed", &ms::labor_options::seed, "Seed of every random stream.");
  nb::class_<ms::layerwise_options>(m, "LayerwiseOptions", "layerwise_options: LADIES and FastGCN.")
      .def(nb::init<>())
      .def_rw("sample_sizes", &ms::layerwise_options::sample_sizes, "Columns per minibatch, hop 1 first; -1 all.")
      .def_rw("keep_frontier", &ms::layerwise_options::keep_frontier, "The frontier joins the sampled columns.")
      .def_rw("seed", &ms::layerwise_options::seed, "Seed of every random stream.");

  nb::class_<bulk>(m, "Bulk", "k minibatches sampled by one call; its arrays are views that keep it alive.")
      .def_prop_ro("num_minibatches", [](const bulk& b) { return b.get().num_minibatches(); })
      .def_prop_ro("num_layers", [](const bulk& b) { return b.get().num_layers(); })
      .def_prop_ro("num_edges", [](const bulk& b) { return b.get().num_edges(); })
      .def(
          "block_arrays",
          [](nb::handle self, std::int64_t m, std::int64_t l, bool dlpack) {
            return nb::cast<const bulk&>(self).get().block(m, l, self, dlpack ? view_kind::dlpack : view_kind::numpy);
          },
          nb::arg("minibatch"), nb::arg("layer"), nb::arg("dlpack") = false,
          "Block of minibatch m, layer l (0 = input layer): num_dst, src_nodes, indptr, indices, values, edge_ids; "
          "NumPy views, or DLPack-exporting views with dlpack=True.")
      .def(
          "layer_arrays",
          [](nb::handle self, std::int64_t l, bool dlpack) {
            return nb::cast<const bulk&>(self).get().layer(l, self, dlpack ? view_kind::dlpack : view_kind::numpy);
          },
          nb::arg("layer"), nb::arg("dlpack") = false,
          "Every array of layer l over all minibatches (the C++ block_set).");

  nb::enum_<ms::negative_distribution>(m, "NegativeDistribution", "What a negative's corrupted endpoint follows.")
      .value("uniform", ms::negative_distribution::uniform, "Every vertex with probability 1/n.")
      .value("degree_power", ms::negative_distribution::degree_power, "Probability proportional to degree^alpha.");
  nb::enum_<ms::edge_exclusion>(m, "EdgeExclusion", "Which edges a link minibatch may not sample (DGL's exclude).")
      .value("none", ms::edge_exclusion::none, "Sample from the whole graph.")
      .value("self", ms::edge_exclusion::self, "A minibatch's positive edges are masked out of its blocks.")
      .value("reverse", ms::edge_exclusion::reverse, "And their reverses.");
  nb::class_<ms::negative_options>(m, "NegativeOptions", "negative_options: how negatives are drawn.")
      .def(nb::init<>())
      .def_rw("per_positive", &ms::negative_options::per_positive, "Negatives per positive pair (at least 1).")
      .def_rw("distribution", &ms::negative_options::distribution, "uniform or degree_power.")
      .def_rw("degree_exponent", &ms::negative_options::degree_exponent, "alpha of degree_power, in [0, 4].")
      .def_rw("corrupt_source", &ms::negative_options::corrupt_source, "Replace the source instead of the destination.")
      .def_rw("reject_true_edges", &ms::negative_options::reject_true_edges,
              "Redraw a negative that is an edge of the graph (up to max_redraws; then it is dropped).")
      .def_rw("max_redraws", &ms::negative_options::max_redraws, "Redraws per negative under reject_true_edges.")
      .def_rw("seed", &ms::negative_options::seed, "Seed of the negatives' streams.");

  nb::class_<link_handle>(m, "LinkHandle", "A C++ link_sampler built once (matsample.LinkSampler holds one).")
      .def(nb::init<nb::object, const std::string&, int, const ms::negative_options&, ms::edge_exclusion,
                    std::optional<any_array>>(),
           nb::arg("graph"), nb::arg("kind"), nb::arg("threads"), nb::arg("negatives"), nb::arg("exclude"),
           nb::arg("reverse_edges") = nb::none(),
           "Builds the node sampler `kind` names and the link sampler over it; checks the options, the rows' order "
           "(for exclusion) and the reverse map here.")
      .def("sample", &link_handle::sample, nb::arg("node_options"), nb::arg("src").noconvert(),
           nb::arg("dst").noconvert(), nb::arg("batch_size") = nb::none(), nb::arg("offsets") = nb::none(),
           nb::arg("epoch") = 0, nb::arg("first_batch") = 0,
           "Link prediction minibatches of the positive pairs (src, dst): (Bulk of blocks, dict of pair arrays).");

  def_sampler(m, "sample_nodewise", sampler_call::kind::nodewise, &sampler_call::nodewise);
  def_sampler(m, "sample_labor", sampler_call::kind::labor, &sampler_call::labor);
  def_sampler(m, "sample_ladies", sampler_call::kind::ladies, &sampler_call::layerwise);
  def_sampler(m, "sample_fastgcn", sampler_call::kind::fastgcn, &sampler_call::layerwise);

  nb::class_<epoch_loader>(m, "EpochLoader",
                           "One epoch's minibatches, sampled `bulk` at a time; a C++ thread samples the next call's "
                           "minibatches while Python consumes the current ones (matsample.Loader drives it).")
      .def(nb::init<nb::object, const any_array&, const std::string&, nb::handle, std::int64_t, std::int64_t, bool,
                    std::uint64_t, std::uint64_t, bool, int, bool>(),
           nb::arg("graph"), nb::arg("seeds").noconvert(), nb::arg("kind"), nb::arg("options"), nb::arg("batch_size"),
           nb::arg("bulk"), nb::arg("shuffle"), nb::arg("shuffle_seed"), nb::arg("epoch"), nb::arg("drop_last"),
           nb::arg("threads"), nb::arg("edge_ids") = false,
           "Starts sampling the first `bulk` minibatches at once; `kind` is nodewise, labor, ladies or fastgcn.")
      .def("next", &epoch_loader::next,
           "(Bulk, number of its first minibatch in the epoch), or None after the last; waits without the GIL.")
      .def_prop_ro("num_minibatches", &epoch_loader::num_minibatches, "Minibatches in the epoch.")
      .def_prop_ro("calls_started", &epoch_loader::calls_started, "Sampling calls begun so far (the overlap check).")
      .def_prop_ro("waited_seconds", &epoch_loader::waited_seconds,
                   "Time next() spent waiting for the thread: what overlap did not hide.")
      .def_prop_ro("sampling_seconds", &epoch_loader::sampling_seconds, "Time the thread spent sampling.");

  m.def("gather_rows", &gather_rows, nb::arg("features").noconvert(), nb::arg("ids").noconvert(),
        nb::arg("out").noconvert(), nb::arg("threads") = 0,
        "Copies rows `ids` of the 2-D `features` (any dtype, C-contiguous) into the first rows of `out` (same dtype "
        "and width), in parallel, without the GIL; an id outside features raises OutOfRangeError naming it.");

  m.def("retain_freed_memory", &ms::retain_freed_memory, nb::arg("mmap_below") = std::size_t{32} << 20,
        nb::arg("keep") = std::size_t{1} << 30,
        "Keeps freed memory in the process between sampling calls (glibc's mmap and trim thresholds), so that "
        "each call does not page-fault its arrays in again; for the whole process, so call it once, by choice. "
        "False where the C library is not glibc (or under ASan); a size above 2147483647 bytes raises ArgumentError.");

  m.def(
      "rmat",
      [](int scale, double edge_factor, std::uint64_t seed, bool int64_ids) -> nb::tuple {
        const ms::rmat_options o{.scale = scale, .edge_factor = edge_factor, .seed = seed};
        const auto build = [&]<class I>() {
          auto g = ms::rmat<float, I, std::int64_t>(o);
          const auto v = g.view();
          return nb::make_tuple(owned_array(std::vector<std::int64_t>(v.indptr().begin(), v.indptr().end())),
                                owned_array(std::vector<I>(v.indices().begin(), v.indices().end())));
        };
        return int64_ids ? build.template operator()<std::int64_t>() : build.template operator()<std::int32_t>();
      },
      nb::arg("scale"), nb::arg("edge_factor") = 16.0, nb::arg("seed") = 0, nb::arg("int64_ids") = false,
      "(indptr, indices) of matsample's R-MAT graph: symmetric, de-duplicated, sorted rows.");

  m.def(
      "epoch_order",
      [](const any_array& ids, std::uint64_t shuffle_seed, std::uint64_t epoch, bool shuffle) -> nb::object {
        require_vector(ids, "ids");
        const auto run = [&]<class I>() {
          const auto v = ids_as<I>(ids, "ids");
          const ms::epoch_batches<I> order(std::span<const I>(v), 1, shuffle_seed, epoch, shuffle);
          return owned_array(std::vector<I>(order.order().begin(), order.order().end()));
        };
        return is_int(ids, 32) ? run.template operator()<std::int32_t>() : run.template operator()<std::int64_t>();
      },
      nb::arg("ids").noconvert(), nb::arg("shuffle_seed"), nb::arg("epoch"), nb::arg("shuffle") = true,
      "The epoch's order of `ids`: the Philox shuffle every matsample loader uses (epoch_batches).");
}
