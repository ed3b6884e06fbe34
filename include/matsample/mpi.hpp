#pragma once
// Umbrella header of the distributed part (target matsample::mpi): the
// process grid, counted exchanges, feature fetch, load balance, the
// distributed graph (1.5D row blocks or 2D tiles), sparse SUMMA, and the
// backend that samples from them.

/// \namespace matsample::mpi
/// The distributed backend over MPI: a process_grid of ranks, exchanges that
/// count the bytes they move (volume), feature fetch from block-partitioned
/// tables, the distributed graph (distributed_csr, 1.5D row blocks or 2D
/// tiles), sparse SUMMA, and mpi_backend, which runs the samplers on it.

#include "matsample/matsample.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/balance.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/summa.hpp"
#include "matsample/backend/mpi/backend.hpp"
#include "matsample/backend/mpi/edge_lookup.hpp"
