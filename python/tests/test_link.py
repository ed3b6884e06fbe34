"""Link prediction from Python: the C++ link sampler's recorded digest (bit
identity), the pair graphs' meaning, exclusion, and errors."""
import numpy as np
import pytest

import matsample
from test_core import fnv1a, weighted_rmat

# tests/test_digests.cpp, "link nodewise, 2 negatives rejecting edges, reverse excluded".
LINK_DIGESTS = {False: 9201364636231117631, True: 2188410073221225871}


def fnv1a_link(sample):
    state = fnv1a(sample.blocks)
    arrays = [sample._pairs[f"{kind}_{part}"] for kind in ("positive", "negative") for part in ("offsets", "src", "dst")]
    payload = b"".join(np.array([a.shape[0]], dtype="<u8").tobytes() + a.tobytes() for a in arrays)
    payload += np.array([sample.dropped_negatives], dtype="<i8").tobytes()
    for byte in payload:
        state = ((state ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return state


def first_neighbour_pairs(indptr, indices, rows=256):
    src = np.array([r for r in range(rows) if indptr[r + 1] > indptr[r]], dtype=indices.dtype)
    return src, indices[indptr[src]]


@pytest.mark.parametrize("int64_ids", [False, True])
def test_link_samples_match_the_recorded_cpp_digest(int64_ids):
    """Also: one LinkSampler samples repeatedly, and reads the node sampler's options at each call."""
    indptr, indices, weights = weighted_rmat(int64_ids)
    graph = matsample.Graph(indptr, indices, weights)
    src, dst = first_neighbour_pairs(indptr, indices)
    nodes = matsample.NodewiseSampler(graph, fanouts=[10, 5], seed=7, threads=2)
    link = matsample.LinkSampler(nodes, negatives={"per_positive": 2, "reject_true_edges": True, "seed": 9},
                                 exclude="reverse")
    sample = link.sample(src, dst, batch_size=64, epoch=3, first_batch=2)
    assert len(sample) == 4
    assert fnv1a_link(sample) == LINK_DIGESTS[int64_ids]
    nodes.options.fanouts = [3]
    assert fnv1a_link(link.sample(src, dst, batch_size=64, epoch=3, first_batch=2)) != LINK_DIGESTS[int64_ids]
    nodes.options.fanouts = [10, 5]
    assert fnv1a_link(link.sample(src, dst, batch_size=64, epoch=3, first_batch=2)) == LINK_DIGESTS[int64_ids]


def test_pairs_are_local_ids_of_the_seeds_and_exclusion_masks_them():
    indptr, indices = matsample.rmat(9, edge_factor=8, seed=3)
    graph = matsample.Graph(indptr, indices)
    src, dst = first_neighbour_pairs(indptr, indices, 120)
    negatives = matsample.NegativeOptions()
    negatives.per_positive = 3
    negatives.distribution = matsample.NegativeDistribution.degree_power
    negatives.seed = 5
    link = matsample.LinkSampler(matsample.NodewiseSampler(graph, [-1], seed=1), negatives=negatives,
                                 exclude="reverse")
    sample = link.sample(src, dst, 40)
    edges = set(zip(np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr)).tolist(), indices.tolist()))
    for m in range(len(sample)):
        seeds = sample.blocks.seeds(m)
        ps, pd = sample.positives(m)
        assert np.array_equal(seeds[ps], src[40 * m:40 * (m + 1)]) and np.array_equal(seeds[pd], dst[40 * m:40 * (m + 1)])
        ns, nd = sample.negatives(m)
        assert ns.shape[0] == 3 * ps.shape[0] and np.array_equal(seeds[ns], np.repeat(seeds[ps], 3))
        block = sample.blocks.block(m, 0)  # full neighbourhoods, minus the minibatch's edges and their reverses
        local = {(int(block.src_nodes[r]), int(block.src_nodes[c]))
                 for r in range(block.num_dst) for c in block.indices[block.indptr[r]:block.indptr[r + 1]]}
        masked = {(int(u), int(v)) for u, v in zip(seeds[ps], seeds[pd])}
        masked |= {(v, u) for u, v in masked}
        assert not (local & masked)
        assert all(e in edges for e in local)


def test_link_errors_name_the_pair():
    indptr, indices = matsample.rmat(7, edge_factor=4, seed=3)
    graph = matsample.Graph(indptr, indices)
    link = matsample.LinkSampler(matsample.NodewiseSampler(graph, [2]), exclude="self")
    n = indptr.shape[0] - 1
    with pytest.raises(matsample.OutOfRangeError, match=f"positive pair \\(0, {n}\\) of minibatch 0"):
        link.sample(np.array([0], dtype=np.int32), np.array([n], dtype=np.int32))
    absent = next(v for v in range(n) if v not in set(indices[indptr[0]:indptr[1]].tolist()))
    with pytest.raises(matsample.ArgumentError, match="is not an edge of the graph"):
        link.sample(np.array([0], dtype=np.int32), np.array([absent], dtype=np.int32))
    with pytest.raises(matsample.ArgumentError, match="2 destinations for 1 sources"):
        link.sample(np.array([0], dtype=np.int32), np.array([1, 2], dtype=np.int32))
    # Options, the rows' order and the reverse map are checked when the sampler is made.
    with pytest.raises(matsample.ArgumentError, match="per_positive must be at least 1"):
        matsample.LinkSampler(matsample.NodewiseSampler(graph, [2]), negatives={"per_positive": 0})
    with pytest.raises(matsample.ArgumentError, match="reverse_edges: expected int64"):
        matsample.LinkSampler(matsample.NodewiseSampler(graph, [2]), exclude="reverse",
                              reverse_edges=np.zeros(indices.shape[0], dtype=np.int32))
    unsorted = indices.copy()
    unsorted[indptr[0]:indptr[1]] = unsorted[indptr[0]:indptr[1]][::-1]
    with pytest.raises(matsample.FormatError, match="sorted"):
        matsample.LinkSampler(matsample.NodewiseSampler(matsample.Graph(indptr, unsorted), [2]), exclude="self")
    with pytest.raises(IndexError, match="minibatch 3 of a sample with 1 minibatches"):
        matsample.LinkSampler(matsample.NodewiseSampler(graph, [2])).sample([0], [1]).positives(3)
