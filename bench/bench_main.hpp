#pragma once
// The graph types of the sampling benchmarks, and the main of a Google
// Benchmark program (BENCHMARK_MAIN's steps), run
// through matsample::guarded_main so that an exception in a benchmark ends
// as a message and an exit status, never as std::terminate.

#include <benchmark/benchmark.h>
#include <matsample/core/csr.hpp>
#include <matsample/core/guarded_main.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace bench {

/// The graph type every sampling benchmark uses: float weights, int32 vertex
/// ids, int64 offsets (the types of matsample_compare and the Python rows).
using V = float;
using I = std::int32_t;
using O = std::int64_t;
using graph_type = matsample::csr_matrix<V, I, O>;
using clock_type = std::chrono::steady_clock;

/// Initializes Google Benchmark, lets `add_context` record custom context,
/// and runs the benchmarks the command line selects.
inline int run_benchmarks(const char* program, int argc, char** argv, const std::function<void()>& add_context = {}) {
  return matsample::guarded_main(program, [&] {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (add_context) add_context();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  });
}

}  // namespace bench
