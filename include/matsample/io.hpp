#pragma once
// Umbrella header for input and output (CMake target matsample::io, which
// adds zlib and xxHash): OGB raw layout, Matrix Market, edge lists, writers,
// per-vertex tables and binary snapshots.

#include "matsample/io/dataset.hpp"
#include "matsample/io/edge_list.hpp"
#include "matsample/io/matrix_market.hpp"
#include "matsample/io/ogb.hpp"
#include "matsample/io/snapshot.hpp"
#include "matsample/io/vertex_tables.hpp"
#include "matsample/io/writers.hpp"
