#pragma once
// Umbrella header of the distributed part (target matsample::mpi): the
// process grid, counted exchanges, feature fetch, load balance, the
// row-block distributed graph and the backend that samples from it.

#include "matsample/matsample.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/balance.hpp"
#include "matsample/backend/mpi/distributed_csr.hpp"
#include "matsample/backend/mpi/backend.hpp"
