#pragma once
// Umbrella header for input and output (CMake target matsample::io, which
// adds zlib and xxHash): OGB raw layout, Matrix Market, edge lists, writers,
// per-vertex tables (text or NumPy .npy) and binary snapshots.

/// \namespace matsample::io
/// Building blocks of the readers and writers: memory-mapped and gzip text
/// input, field parsing with byte-accurate error positions, COO line scanning,
/// .npy headers, OGB file lookup and atomic text output. The readers and
/// writers themselves (read_ogb, read_edge_list, write_snapshot, ...) are in
/// namespace matsample.

#include "matsample/io/dataset.hpp"
#include "matsample/io/edge_list.hpp"
#include "matsample/io/edge_split.hpp"
#include "matsample/io/matrix_market.hpp"
#include "matsample/io/npy.hpp"
#include "matsample/io/ogb.hpp"
#include "matsample/io/ogb_typed.hpp"
#include "matsample/io/snapshot.hpp"
#include "matsample/io/vertex_tables.hpp"
#include "matsample/io/writers.hpp"
