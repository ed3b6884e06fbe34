#pragma once
// Umbrella header for the CPU part of matsample: core types, the kernel
// contract, the reference and OpenMP backends, and the samplers.

/// \namespace matsample
/// Bulk GNN minibatch sampling as sparse linear algebra. Graphs are CSR
/// matrices (csr_matrix owns, csr_view borrows); a backend implements the few
/// sparse kernels of the kernel_set contract; the samplers (nodewise, LABOR,
/// LADIES, FastGCN) are written once against that contract and turn a
/// batch_list of seed vertices into a bulk_sample of per-layer blocks. The
/// graph readers and writers and the synthetic generators live here too;
/// names in nested `detail` namespaces are internal.

#include "matsample/core/config.hpp"
#include "matsample/core/error.hpp"
#include "matsample/core/index.hpp"
#include "matsample/core/csr.hpp"
#include "matsample/core/memory.hpp"
#include "matsample/core/memory_limit.hpp"
#include "matsample/core/guarded_main.hpp"
#include "matsample/core/id_map.hpp"
#include "matsample/core/build.hpp"
#include "matsample/core/typed_graph.hpp"
#include "matsample/core/relabel.hpp"
#include "matsample/core/edge_split.hpp"
#include "matsample/core/random.hpp"
#include "matsample/core/streams.hpp"
#include "matsample/algebra/contract.hpp"
#include "matsample/algebra/operations.hpp"
#include "matsample/algebra/batch_list.hpp"
#include "matsample/algebra/blocks.hpp"
#include "matsample/algebra/typed_blocks.hpp"
#include "matsample/algebra/edge_lookup.hpp"
#include "matsample/backend/reference/backend.hpp"
#include "matsample/backend/cpu/backend.hpp"
#include "matsample/sampling/batches.hpp"
#include "matsample/sampling/rowwise.hpp"
#include "matsample/sampling/nodewise.hpp"
#include "matsample/sampling/typed_nodewise.hpp"
#include "matsample/sampling/labor.hpp"
#include "matsample/sampling/layerwise.hpp"
#include "matsample/sampling/typed_layerwise.hpp"
#include "matsample/sampling/negatives.hpp"
#include "matsample/sampling/link.hpp"
#include "matsample/sampling/typed_link.hpp"
#include "matsample/sampling/edge_ids.hpp"
#include "matsample/gen/csbm.hpp"
#include "matsample/gen/typed_csbm.hpp"
#include "matsample/gen/rmat.hpp"
