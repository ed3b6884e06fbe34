// One rank throws while the others wait in a collective: abort_on_error must
// report the message and end every rank (tests/mpi/expect_abort.cmake checks
// the exit code, the message and that it happens before a timeout).
#include <matsample/mpi.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  matsample::mpi::abort_on_error(MPI_COMM_WORLD, [] {
    int rank = 0, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == size - 1) throw matsample::format_error("graph.csv:17: malformed target id 'x'");
    MPI_Barrier(MPI_COMM_WORLD);  // never completes: the last rank does not arrive
  });
  MPI_Finalize();
  std::puts("unreachable: the job should have been aborted");
  return 0;
}
