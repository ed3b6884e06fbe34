#pragma once
// The backend as a test axis. Each backend under test is a fixture type whose
// get() returns it; a list of fixtures is a std::tuple. A case is written once
// as a template over a fixture (or over test::on<config, fixture> for index
// configurations too) and instantiated for every fixture of a list. Each
// instantiation is its own doctest case, and so its own ctest test, named
// "<case><the type>", so a failure names both the case and the backend:
//
//   MATSAMPLE_TEST_CASE_OVER("gather_rows: ...", T, test::each_config_on<test::backends>) {
//     using C = typename T::config;
//     const auto& b = T::backend::get();
//     ...
//   }
//   MATSAMPLE_TEST_CASE_OVER("errors: ...", B, test::backends) { ... B::get() ... }
//
// To add a backend: write a fixture below (a struct with a static get()) and
// add it to the list. A build that tests more backends (tests/cuda) writes
// their fixtures (tests/cuda/backends.cuh) and either passes its own list
// (tests/cuda/test_cuda.cu) or defines MATSAMPLE_TEST_EXTRA_BACKENDS as the
// extra fixtures before this header is first included: they are then added
// to test::backends (tests/cuda/test_cuda_errors.cu).

#include <doctest/doctest.h>

#include <tuple>
#include <type_traits>
#include <utility>

#include "support.hpp"

namespace test {

namespace backend {

/// The serial reference backend, the oracle of every other.
struct reference {
  static const ms::reference_backend& get() { return ref; }
};
/// The OpenMP backend with one thread.
struct cpu_1_thread {
  static const ms::cpu_backend& get() { return cpu1; }
};
/// The OpenMP backend with two threads.
struct cpu_2_threads {
  static const ms::cpu_backend& get() { return cpu2; }
};

}  // namespace backend

/// Every backend of this build.
#ifdef MATSAMPLE_TEST_EXTRA_BACKENDS
using backends =
    std::tuple<backend::reference, backend::cpu_1_thread, backend::cpu_2_threads, MATSAMPLE_TEST_EXTRA_BACKENDS>;
#else
using backends = std::tuple<backend::reference, backend::cpu_1_thread, backend::cpu_2_threads>;
#endif

/// Whether fixture B is the reference backend (the oracle, whose messages
/// may word a problem differently from the other backends').
template <class B>
inline constexpr bool is_reference = std::is_same_v<B, backend::reference>;

/// One index configuration (test::types) on one backend fixture.
template <class C, class B>
struct on {
  using config = C;
  using backend = B;
};

namespace detail {
template <class C, class Backends>
struct config_on;
template <class C, class... Bs>
struct config_on<C, std::tuple<Bs...>> {
  using type = std::tuple<on<C, Bs>...>;
};
template <class Configs, class Backends>
struct cross;
template <class... Cs, class Backends>
struct cross<std::tuple<Cs...>, Backends> {
  using type = decltype(std::tuple_cat(std::declval<typename config_on<Cs, Backends>::type>()...));
};
}  // namespace detail

/// The index configurations every kernel test runs on (MATSAMPLE_INDEX_CONFIGS).
using index_configs = std::tuple<MATSAMPLE_INDEX_CONFIGS>;

/// Every configuration of Configs on every backend of Backends, configuration-major.
template <class Backends, class Configs = index_configs>
using each_config_on = typename detail::cross<Configs, Backends>::type;

/// Calls f.template operator()<B>() for every fixture B of Backends, in order.
template <class Backends = backends, class F>
void for_each_backend(F&& f) {
  [&]<class... Bs>(std::tuple<Bs...>*) { (f.template operator()<Bs>(), ...); }(static_cast<Backends*>(nullptr));
}

}  // namespace test

/// TEST_CASE_TEMPLATE over a ready-made std::tuple of types (TEST_CASE_TEMPLATE
/// takes the types one by one), made of the same doctest pieces as it.
#define MATSAMPLE_TEST_CASE_OVER(name, T, ...) \
  MATSAMPLE_TEST_CASE_OVER_IMPL(name, T, DOCTEST_ANONYMOUS(MATSAMPLE_ANON_TMP_), __VA_ARGS__)
#define MATSAMPLE_TEST_CASE_OVER_IMPL(name, T, anon, ...)                             \
  DOCTEST_TEST_CASE_TEMPLATE_DEFINE_IMPL(name, T, DOCTEST_CAT(anon, ITERATOR), anon); \
  DOCTEST_TEST_CASE_TEMPLATE_INSTANTIATE_IMPL(anon, anon, __VA_ARGS__)                \
  template <typename T>                                                               \
  static void anon()
