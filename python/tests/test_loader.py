"""The loader (a C++ thread samples the next bulk while Python consumes the
current one), feature gathering into a reused buffer, and DLPack output."""
import time

import numpy as np
import pytest

import matsample


@pytest.fixture(scope="module")
def graph():
    indptr, indices = matsample.rmat(11, edge_factor=8, seed=5)
    return matsample.Graph(indptr, indices)


def same_blocks(a, b):
    return all(np.array_equal(x.src_nodes, y.src_nodes) and np.array_equal(x.indptr, y.indptr)
               and np.array_equal(x.indices, y.indices) for x, y in zip(a, b))


@pytest.mark.parametrize("bulk", [1, 3, 64])
@pytest.mark.parametrize("sampler_type,options", [
    (matsample.NodewiseSampler, {"fanouts": [10, 5], "seed": 7}),
    (matsample.LaborSampler, {"fanouts": [10, 5], "seed": 7}),
    (matsample.LadiesSampler, {"sample_sizes": [64, 48], "seed": 13}),
])
def test_loader_gives_one_bulk_call_over_the_epoch(graph, bulk, sampler_type, options):
    sampler = sampler_type(graph, **options)
    seeds = np.arange(0, 1500, 3, dtype=np.int64)
    loader = matsample.Loader(sampler, seeds, 64, bulk=bulk, shuffle_seed=11, epoch=2)
    for epoch in (2, 3):  # each for loop is the next epoch
        whole = sampler.sample(matsample.epoch_order(seeds, 11, epoch), batch_size=64, epoch=epoch)
        seen = [mb for mb in loader]
        assert [mb.index for mb in seen] == list(range(len(loader))) == list(range(whole.num_minibatches))
        assert all(mb.epoch == epoch for mb in seen)
        assert all(same_blocks(mb.blocks, whole.blocks(mb.index)) for mb in seen)
        assert all(np.array_equal(mb.seeds, whole.seeds(mb.index)) for mb in seen)
        assert loader.last_epoch.calls_started == -(-len(loader) // bulk)


def test_drop_last_and_no_shuffle(graph):
    sampler = matsample.NodewiseSampler(graph, [5], seed=1)
    seeds = np.arange(100, dtype=np.int32)
    loader = matsample.Loader(sampler, seeds, 32, bulk=2, shuffle=False, drop_last=True)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    assert np.array_equal(np.concatenate([mb.seeds for mb in batches]), seeds[:96])
    assert len(matsample.Loader(sampler, seeds, 32, drop_last=False)) == 4


def test_next_bulk_is_sampled_while_python_holds_the_current_one(graph):
    sampler = matsample.NodewiseSampler(graph, [10, 10], seed=3)
    loader = matsample.Loader(sampler, np.arange(2000, dtype=np.int32), 100, bulk=2)
    it = iter(loader)
    next(it)  # the first call's sample is in Python's hands
    core = loader.last_epoch
    deadline = time.monotonic() + 30
    while core.calls_started < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert core.calls_started == 2  # the thread began the second call without being asked
    time.sleep(0.2)
    assert core.calls_started == 2  # and runs one call ahead, no more
    rest = list(it)
    assert len(rest) == len(loader) - 1
    assert core.calls_started == 10 and core.sampling_seconds > 0


def test_features_are_gathered_into_a_reused_buffer(graph):
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64, np.int8):
        features = (rng.standard_normal((graph.num_nodes, 7)) * 10).astype(dtype)
        sampler = matsample.NodewiseSampler(graph, [10, 5], seed=7)
        loader = matsample.Loader(sampler, np.arange(300, dtype=np.int32), 50, bulk=2, features=features)
        buffers = set()
        for mb in loader:
            assert mb.features.dtype == dtype and mb.features.shape == (mb.input_nodes.shape[0], 7)
            assert np.array_equal(mb.features, features[mb.input_nodes])
            buffers.add(mb.features.base.__array_interface__["data"][0])
        assert len(buffers) < len(loader)  # reused, not one buffer per minibatch


def test_gather_rows_checks_its_arguments():
    features = np.arange(20, dtype=np.float32).reshape(10, 2)
    out = np.zeros((4, 2), dtype=np.float32)
    matsample.gather_rows(features, np.array([9, 0, 9], dtype=np.int64), out)
    assert np.array_equal(out[:3], features[[9, 0, 9]]) and not out[3].any()
    with pytest.raises(matsample.OutOfRangeError, match="vertex 10 at position 1 is not a row of features"):
        matsample.gather_rows(features, np.array([1, 10], dtype=np.int32), out)
    with pytest.raises(matsample.OutOfRangeError, match="vertex -1 at position 0"):
        matsample.gather_rows(features, np.array([-1], dtype=np.int32), out)
    with pytest.raises(matsample.ArgumentError, match="dtype float64 but features are float32"):
        matsample.gather_rows(features, np.array([1], dtype=np.int32), np.zeros((4, 2)))
    with pytest.raises(matsample.ArgumentError, match="cannot hold 5 rows"):
        matsample.gather_rows(features, np.arange(5, dtype=np.int32), out)
    with pytest.raises(matsample.ArgumentError, match="not contiguous"):
        matsample.gather_rows(np.asfortranarray(np.ones((10, 3), dtype=np.float32)), np.array([1], dtype=np.int32),
                              np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(TypeError):  # a read-only buffer cannot be written
        ro = np.zeros((4, 2), dtype=np.float32)
        ro.flags.writeable = False
        matsample.gather_rows(features, np.array([1], dtype=np.int32), ro)


def test_loader_errors(graph):
    sampler = matsample.NodewiseSampler(graph, [5], seed=1)
    with pytest.raises(matsample.OutOfRangeError, match=f"seeds: vertex {graph.num_nodes} at position 2 is outside"):
        list(matsample.Loader(sampler, np.array([1, 0, graph.num_nodes], dtype=np.int64), 1, bulk=4))
    with pytest.raises(matsample.ArgumentError, match="batch size must be positive"):
        iter(matsample.Loader(sampler, np.arange(4, dtype=np.int32), 0)).__next__()
    with pytest.raises(matsample.ArgumentError, match="bulk must be positive"):
        next(iter(matsample.Loader(sampler, np.arange(4, dtype=np.int32), 2, bulk=0)))
    with pytest.raises(matsample.ArgumentError, match="2-D C-contiguous"):
        matsample.Loader(sampler, np.arange(4, dtype=np.int32), 2, features=np.zeros(5))
    with pytest.raises(matsample.ArgumentError, match="a matsample sampler"):
        matsample.Loader(object(), np.arange(4, dtype=np.int32), 2)


def test_an_abandoned_epoch_ends_cleanly(graph):
    sampler = matsample.NodewiseSampler(graph, [10, 10], seed=3)
    loader = matsample.Loader(sampler, np.arange(2000, dtype=np.int32), 10, bulk=8)
    for i, mb in enumerate(loader):
        if i == 3:
            break
    del mb
    loader.last_epoch = None  # the C++ loader waits for its thread before it goes
    assert len(list(loader)) == len(loader)


def test_dlpack_views_share_the_sample(graph):
    sampler = matsample.NodewiseSampler(graph, [10, 5], seed=7)
    sample = sampler.sample(np.arange(128, dtype=np.int32), batch_size=64)
    plain, exported = sample.block(1, 0), sample.block(1, 0, dlpack=True)
    for name in ("src_nodes", "indptr", "indices"):
        via_dlpack = np.from_dlpack(getattr(exported, name))
        assert np.array_equal(via_dlpack, getattr(plain, name))
        assert via_dlpack.__array_interface__["data"][0] == getattr(plain, name).__array_interface__["data"][0]
    arrays = sample.layer_arrays(0, dlpack=True)
    assert np.array_equal(np.from_dlpack(arrays["indices"]), sample.layer_arrays(0)["indices"])
    view = np.from_dlpack(exported.indices)
    del sample, plain, exported, arrays
    import gc
    gc.collect()
    assert view.sum() >= 0  # the view keeps the sample's memory alive
