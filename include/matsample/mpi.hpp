#pragma once
// Umbrella header of the distributed part (target matsample::mpi): the
// process grid, counted exchanges, feature fetch, load balance, the
// distributed graph (1.5D row blocks or 2D tiles), sparse SUMMA, and the
// backend that samples from them.

#include "matsample/matsample.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/balance.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/summa.hpp"
#include "matsample/backend/mpi/backend.hpp"
