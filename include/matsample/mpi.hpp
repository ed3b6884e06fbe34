#pragma once
// Umbrella header of the distributed part (target matsample::mpi): the
// process grid, counted exchanges, feature fetch and load balance.

#include "matsample/matsample.hpp"
#include "matsample/backend/mpi/communicator.hpp"
#include "matsample/backend/mpi/grid.hpp"
#include "matsample/backend/mpi/features.hpp"
#include "matsample/backend/mpi/balance.hpp"
