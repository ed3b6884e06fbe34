#pragma once
// The main of a Google Benchmark program (BENCHMARK_MAIN's steps), run
// through matsample::guarded_main so that an exception in a benchmark ends
// as a message and an exit status, never as std::terminate.

#include <benchmark/benchmark.h>
#include <matsample/core/guarded_main.hpp>

#include <functional>

namespace bench {

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
