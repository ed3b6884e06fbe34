#pragma once
// Umbrella header for the CPU part of matsample: core types, the kernel
// contract, the reference and OpenMP backends, and the samplers.

#include "matsample/core/config.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/memory.hpp"
#include "matsample/core/build.hpp"
#include "matsample/core/relabel.hpp"
#include "matsample/core/random.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/backend/reference/reference.hpp"
#include "matsample/backend/cpu/cpu.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/blocks.hpp"
#include "matsample/sampling/nodewise.hpp"
#include "matsample/sampling/layerwise.hpp"
#include "matsample/gen/csbm.hpp"
#include "matsample/gen/rmat.hpp"
