"""The module against the C++ library: recorded digests (bit identity),
zero-copy graphs and results, lifetimes, and clear errors for bad arrays."""
import gc

import numpy as np
import pytest

import matsample

# tests/test_digests.cpp: the C++ digests of every sampler on R-MAT scale 10
# with weights, epoch 3, batches 2..5 of 64 (int32 ids, int64 ids).
RECORDED = {
    "nodewise uniform": ("NodewiseSampler", {"fanouts": [10, 5], "seed": 7}, 7905174122643918851,
                         17394867744643633155),
    "nodewise uniform replace": ("NodewiseSampler", {"fanouts": [10, 5], "replace": True, "seed": 7},
                                 15235647581529685695, 13613588521146141743),
    "nodewise weighted": ("NodewiseSampler", {"fanouts": [10, 5], "weighted": True, "seed": 7},
                          7491390345849502181, 5552252403060116869),
    "nodewise paper mode": ("NodewiseSampler", {"fanouts": [4, 3], "deduplicate": False, "seed": 7},
                            7132894946261098422, 5054876006223003958),
    "nodewise full": ("NodewiseSampler", {"fanouts": [-1, 40], "seed": 9}, 4223066461034088978,
                      2878790260660279634),
    "ladies": ("LadiesSampler", {"sample_sizes": [64, 48], "seed": 13}, 13535381882692210299,
               17485662572740696987),
    "fastgcn": ("FastGCNSampler", {"sample_sizes": [64, 48], "seed": 13}, 15379448312244907500,
                4249668895056129580),
    "ladies without frontier": ("LadiesSampler", {"sample_sizes": [64, 48], "keep_frontier": False, "seed": 13},
                                12895904808015051141, 10011720086387932517),
    "labor": ("LaborSampler", {"fanouts": [10, 5], "seed": 7}, 2744795949526416481, 9307052577473768017),
    "labor weighted fixed count": ("LaborSampler", {"fanouts": [10, 5], "weighted": True, "fixed_count": True,
                                                    "seed": 7}, 5935950399496771270, 10300448562315024086),
    "labor dependent layers and batches": ("LaborSampler", {"fanouts": [10, 5], "layer_dependency": True,
                                                            "batch_dependency": 3, "seed": 7},
                                           8577427408924277510, 18364789000178848486),
    "labor-2": ("LaborSampler", {"fanouts": [10, 5], "importance_iterations": 2, "seed": 7},
                13340417575728402784, 1456770486873351952),
}


def fnv1a(sample):
    """FNV-1a over every array of every layer, as tests/test_digests.cpp hashes a bulk sample."""
    state = 0xcbf29ce484222325
    for layer in range(sample.num_layers):
        arrays = sample.layer_arrays(layer)
        for name in ("row_offsets", "indptr", "edge_offsets", "indices", "values", "src_nodes", "node_offsets"):
            a = arrays[name]
            for byte in np.array([a.shape[0]], dtype="<u8").tobytes() + a.tobytes():
                state = ((state ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return state


def weighted_rmat(int64_ids):
    indptr, indices = matsample.rmat(10, edge_factor=8, seed=5, int64_ids=int64_ids)
    rows = np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int64), np.diff(indptr))
    weights = ((rows * 31 + indices.astype(np.int64) * 17) % 13 + 1) / 13.0
    return indptr, indices, weights


@pytest.mark.parametrize("name", sorted(RECORDED))
@pytest.mark.parametrize("int64_ids", [False, True])
def test_samples_match_the_recorded_cpp_digests(name, int64_ids):
    sampler_type, options, i32, i64 = RECORDED[name]
    indptr, indices, weights = weighted_rmat(int64_ids)
    graph = matsample.Graph(indptr, indices, weights)
    dtype = np.int64 if int64_ids else np.int32
    order = matsample.epoch_order(np.arange((indptr.shape[0] - 1) // 2, dtype=dtype), shuffle_seed=11, epoch=3)
    sampler = getattr(matsample, sampler_type)(graph, threads=2, **options)
    sample = sampler.sample(order[2 * 64:6 * 64], batch_size=64, epoch=3, first_batch=2)
    assert sample.num_minibatches == 4
    assert fnv1a(sample) == (i64 if int64_ids else i32)


def test_a_minibatch_alone_equals_it_in_bulk():
    indptr, indices = matsample.rmat(9, edge_factor=6, seed=1)
    sampler = matsample.NodewiseSampler(matsample.Graph(indptr, indices), fanouts=[5, 3], seed=3)
    seeds = np.arange(200, dtype=np.int32)
    bulk = sampler.sample(seeds, batch_size=50)
    alone = sampler.sample(seeds[100:150], batch_size=50, first_batch=2)
    for mine, theirs in zip(alone.blocks(0), bulk.blocks(2)):
        for name in ("src_nodes", "indptr", "indices"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))


def address(a):
    return a.__array_interface__["data"][0]


def test_the_graph_reads_the_callers_arrays_without_copying():
    indptr, indices, weights = weighted_rmat(False)
    graph = matsample.Graph(indptr, indices, weights)
    assert graph._addresses() == [address(indptr), address(indices), address(weights)]
    assert (graph.num_nodes, graph.num_edges, graph.index_bits) == (indptr.shape[0] - 1, indices.shape[0], 32)
    # int32 offsets (SciPy's) are read as they are, too.
    small = indptr.astype(np.int32)
    assert matsample.Graph(small, indices)._addresses()[0] == address(small)


def test_the_graph_keeps_its_arrays_alive():
    indptr, indices = matsample.rmat(8, seed=2)
    graph = matsample.Graph(indptr.copy(), indices.copy())  # the only references are the graph's
    gc.collect()
    sample = matsample.NodewiseSampler(graph, fanouts=[3]).sample(np.arange(10, dtype=np.int32))
    assert sample.block(0, 0).num_edges > 0


def test_block_arrays_are_views_of_the_sample_that_outlive_it():
    indptr, indices = matsample.rmat(8, seed=2)
    sampler = matsample.NodewiseSampler(matsample.Graph(indptr, indices), fanouts=[4, 4], seed=1)
    sample = sampler.sample(np.arange(64, dtype=np.int32), batch_size=32)
    layer = sample.layer_arrays(1)
    block = sample.block(1, 1)
    # Block 1's arrays lie inside the layer's concatenated arrays: the same memory.
    start = int(layer["node_offsets"][1])
    assert address(block.src_nodes) == address(layer["src_nodes"]) + start * layer["src_nodes"].itemsize
    assert not block.indices.flags.writeable
    expected = block.src_nodes.copy()
    del sample, layer
    gc.collect()
    np.testing.assert_array_equal(block.src_nodes, expected)  # the view keeps the result alive


def test_bad_arrays_get_clear_errors_before_any_sampling():
    indptr, indices = matsample.rmat(6, seed=3)
    with pytest.raises(matsample.ArgumentError, match="indices: expected int32 or int64, got float64"):
        matsample.Graph(indptr, indices.astype(np.float64))
    with pytest.raises(matsample.ArgumentError, match="not contiguous"):
        matsample.Graph(indptr, np.repeat(indices, 2)[::2])
    with pytest.raises(matsample.ArgumentError, match="indptr ends at"):
        matsample.Graph(indptr, indices[:-1])
    with pytest.raises(matsample.ArgumentError, match="expected a 1-D array"):
        matsample.Graph(indptr.reshape(1, -1), indices)
    with pytest.raises(matsample.ArgumentError, match="weights: expected float32 or float64"):
        matsample.Graph(indptr, indices, np.ones(indices.shape[0], dtype=np.int32))
    broken = indices.copy()
    broken[0] = indptr.shape[0] + 5  # a column outside the graph
    with pytest.raises(matsample.CsrError):
        matsample.Graph(indptr, broken)


def test_library_errors_keep_their_messages_and_python_bases():
    indptr, indices = matsample.rmat(6, seed=3)
    sampler = matsample.NodewiseSampler(matsample.Graph(indptr, indices), fanouts=[2])
    n = indptr.shape[0] - 1
    with pytest.raises(IndexError, match=f"vertex {n + 3} at position 1") as caught:
        sampler.sample(np.array([0, n + 3], dtype=np.int32))
    assert isinstance(caught.value, matsample.OutOfRangeError)
    assert isinstance(caught.value, matsample.Error)
    with pytest.raises(matsample.OutOfRangeError, match="does not fit"):
        sampler.sample(np.array([2**40], dtype=np.int64))
    with pytest.raises(ValueError, match="fanout"):
        matsample.NodewiseSampler(matsample.Graph(indptr, indices), fanouts=[0]).sample([1, 2])
    with pytest.raises(matsample.ArgumentError, match="batch_size must be positive"):
        sampler.sample([1, 2], batch_size=0)
    with pytest.raises(matsample.ArgumentError, match="offsets must run from 0 to the seed count 2"):
        sampler.sample([1, 2], offsets=[0, 5])
    sample = sampler.sample(np.array([1, 2], dtype=np.int32))
    with pytest.raises(IndexError, match="minibatch 1 of a sample with 1 minibatches"):
        sample.block(1, 0)
    with pytest.raises(IndexError, match="layer 1 of a sample with 1 layers"):
        sample.block(0, 1)
    empty = sampler.sample(np.array([], dtype=np.int32))
    assert empty.num_minibatches == 0
    with pytest.raises(IndexError, match="minibatch 0 of a sample with 0 minibatches"):
        empty.block(0, 0)


def test_typing_stubs_and_docstrings_are_installed():
    import os
    here = os.path.dirname(matsample.__file__)
    assert os.path.exists(os.path.join(here, "py.typed"))
    with open(os.path.join(here, "_core.pyi")) as f:
        stub = f.read()
    for name in ("class Graph", "class EpochLoader", "class LinkHandle", "def gather_rows", "class NegativeOptions"):
        assert name in stub
    for obj in (matsample.Graph, matsample.NodewiseSampler, matsample.Loader, matsample.LinkSampler,
                matsample.Sample.block, matsample.gather_rows):
        assert obj.__doc__ and len(obj.__doc__) > 20


def test_edge_ids_name_each_entrys_edge_in_the_graph():
    indptr, indices = matsample.rmat(9, edge_factor=6, seed=1)
    graph = matsample.Graph(indptr, indices)
    sampler = matsample.NodewiseSampler(graph, fanouts=[5, 3], seed=3)
    seeds = np.arange(0, 400, 7, dtype=np.int32)
    plain = sampler.sample(seeds, batch_size=20)
    sample = sampler.sample(seeds, batch_size=20, edge_ids=True)
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    for m in range(len(sample)):
        for block, same in zip(sample.blocks(m), plain.blocks(m)):
            assert plain.block(m, 0).edge_ids is None
            assert np.array_equal(block.indices, same.indices)  # the same sample, ids added
            dst = np.repeat(block.dst_nodes, np.diff(block.indptr))
            assert np.array_equal(rows[block.edge_ids], dst)
            assert np.array_equal(indices[block.edge_ids], block.src_nodes[block.indices])
    loader = matsample.Loader(sampler, seeds, 20, edge_ids=True)
    assert all(mb.blocks[0].edge_ids is not None for mb in loader)
    unsorted = indices.copy()
    r = int(np.argmax(np.diff(indptr) >= 2))  # a row with two entries or more
    unsorted[indptr[r]:indptr[r + 1]] = unsorted[indptr[r]:indptr[r + 1]][::-1]
    with pytest.raises(matsample.FormatError, match="edge ids"):
        matsample.NodewiseSampler(matsample.Graph(indptr, unsorted), [2]).sample([1], edge_ids=True)


def test_retain_freed_memory_sets_glibc_thresholds():
    import os
    import platform

    # glibc accepts both thresholds; elsewhere, and under ASan (whose
    # allocator refuses mallopt), the call changes nothing and says so.
    expected = platform.libc_ver()[0] == "glibc" and "libasan" not in os.environ.get("LD_PRELOAD", "")
    assert matsample.retain_freed_memory() is expected
    assert matsample.retain_freed_memory(mmap_below=1 << 20, keep=1 << 28) is expected
    with pytest.raises(matsample.ArgumentError, match="keep = 4294967296 bytes"):
        matsample.retain_freed_memory(keep=4 << 30)
