// Samples a small graph through the installed headers and checks the result,
// so the package test fails if the package is incomplete or broken.
// MATSAMPLE_CONSUMER_VERSION is the version CMake found the package with;
// with MATSAMPLE_CONSUMER_MPI_IO (or _IO) it also links the partitioned
// loader (or the readers), so the component's dependencies must come along.
#include <matsample/matsample.hpp>
#if defined(MATSAMPLE_CONSUMER_MPI_IO)
#include <matsample/mpi.hpp>
#include <matsample/backend/mpi/load.hpp>
#elif defined(MATSAMPLE_CONSUMER_IO)
#include <matsample/io.hpp>
#endif

#include <cstdio>
#include <string_view>
#include <vector>

static_assert(std::string_view(MATSAMPLE_VERSION_STRING) == MATSAMPLE_CONSUMER_VERSION,
              "matsample/version.hpp differs from the version CMake found");
static_assert(MATSAMPLE_VERSION_MAJOR >= 0 && MATSAMPLE_VERSION_MINOR >= 0 && MATSAMPLE_VERSION_PATCH >= 0);

int main() {
  using graph = matsample::csr_matrix<float, std::int32_t, std::int64_t>;
  const std::vector<std::int32_t> src{0, 0, 1, 2, 3}, dst{1, 2, 2, 3, 4};
  const graph a = matsample::csr_from_edges<float, std::int32_t, std::int64_t>(5, src, dst, {}, {.symmetrize = true});
  const std::vector<std::int32_t> seeds{0, 4};
  const auto batches = matsample::batch_list<std::int32_t>::uniform(seeds, 1);
  const auto sample =
      matsample::sample_nodewise(matsample::cpu_backend{}, a.view(), batches, {.fanouts = {2, 2}, .seed = 1});
  if (sample.size() != 2 || sample[1].seeds()[0] != 4 || sample.num_edges() == 0) {
    std::puts("consumer: unexpected sample");
    return 1;
  }
  std::printf("consumer: matsample %s, sampled %lld edges\n", MATSAMPLE_VERSION_STRING,
              static_cast<long long>(sample.num_edges()));
#if defined(MATSAMPLE_CONSUMER_MPI_IO)
  // Instantiated and linked, not run (that needs mpirun): MPI, zlib, xxHash.
  volatile auto load = &matsample::mpi::read_ogb_partitioned<float, std::int32_t, std::int64_t>;
  std::printf("consumer: partitioned loader %s\n", load != nullptr ? "linked" : "missing");
#elif defined(MATSAMPLE_CONSUMER_IO)
  volatile auto read = &matsample::read_ogb<float, std::int32_t, std::int64_t>;
  std::printf("consumer: reader %s\n", read != nullptr ? "linked" : "missing");
#endif
  return 0;
}
