"""The PyG and DGL adapters, where torch and the peer are importable
(bench/compare/run runs them in its venv; scripts/test's venv skips them)."""
import numpy as np
import pytest

import matsample

torch = pytest.importorskip("torch")


def rmat_edges(scale=10):
    indptr, indices = matsample.rmat(scale, edge_factor=8, seed=5)
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    return indptr, indices, rows


def test_pyg_sampler_gives_pyg_subgraphs():
    pyg = pytest.importorskip("torch_geometric")
    from torch_geometric.data import Data
    from torch_geometric.loader import NodeLoader
    from torch_geometric.sampler import NodeSamplerInput
    from matsample.pyg import Sampler

    indptr, indices, rows = rmat_edges()
    n = indptr.shape[0] - 1
    # PyG's edge_index: source j -> target i; matsample's row i lists i's in-neighbours j.
    order = np.random.default_rng(1).permutation(rows.shape[0])  # any edge order
    edge_index = torch.from_numpy(np.stack([indices[order].astype(np.int64), rows[order]]))
    data = Data(x=torch.randn(n, 4), edge_index=edge_index, num_nodes=n)
    fanouts = [5, 3]
    sampler = Sampler(data, matsample.NodewiseSampler, fanouts=fanouts, seed=4)
    assert torch.equal(edge_index[:, sampler.edge_permutation][1], torch.sort(edge_index[1]).values)

    seeds = torch.tensor([3, 900, 17, 512], dtype=torch.long)
    out = sampler.sample_from_nodes(NodeSamplerInput(input_id=torch.arange(4), node=seeds))
    again = sampler.sample_from_nodes(NodeSamplerInput(input_id=torch.arange(4), node=seeds))
    assert torch.equal(out.row, again.row) and torch.equal(out.node, again.node)
    assert torch.equal(out.node[:4], seeds)
    assert sum(out.num_sampled_nodes) == out.node.numel() == torch.unique(out.node).numel()
    assert sum(out.num_sampled_edges) == out.row.numel() == out.col.numel()
    assert bool((out.col[1:] >= out.col[:-1]).all())  # sorted by destination, as PyG's EdgeIndex declares
    edges = set(zip(edge_index[0].tolist(), edge_index[1].tolist()))
    assert all((int(out.node[r]), int(out.node[c])) in edges for r, c in zip(out.row, out.col))
    # Hop h expands exactly the vertices found at hop h - 1, each with min(fanout, in-degree) in-edges.
    degree = np.diff(indptr)
    first, start = 0, 0
    for hop, fanout in enumerate(fanouts):
        count = out.num_sampled_nodes[hop]
        hop_cols = out.col[start:start + out.num_sampled_edges[hop]]
        expanded = torch.arange(first, first + count)
        per_node = torch.bincount(hop_cols - first, minlength=count)
        assert torch.equal(torch.unique(hop_cols), expanded[per_node > 0])
        want = np.minimum(fanout, degree[out.node[expanded].numpy()])
        assert np.array_equal(per_node.numpy(), want)
        first, start = first + count, start + out.num_sampled_edges[hop]

    loader = NodeLoader(data, node_sampler=sampler, input_nodes=torch.arange(0, 64), batch_size=16)
    batches = list(loader)
    assert len(batches) == 4
    for batch in batches:
        assert batch.batch_size == 16 and torch.equal(batch.x, data.x[batch.n_id])
        assert int(batch.edge_index.max()) < batch.num_nodes
        assert torch.equal(batch.n_id[:16], batch.input_id)  # input ids are node ids here
        assert "e_id" not in batch  # no edge attributes: no edge ids asked for

    # With edge attributes the sampler hands PyG edge ids, and PyG gathers the attributes by them.
    data.edge_attr = torch.arange(edge_index.shape[1], dtype=torch.float32).view(-1, 1)
    with_ids = Sampler(data, matsample.NodewiseSampler, fanouts=fanouts, seed=4)
    assert with_ids.edge_ids
    for batch in NodeLoader(data, node_sampler=with_ids, input_nodes=torch.arange(0, 32), batch_size=16):
        assert torch.equal(batch.edge_attr.view(-1).long(), batch.e_id)
        assert torch.equal(edge_index[:, batch.e_id], batch.n_id[batch.edge_index])


def test_dgl_blocks_carry_the_sample():
    dgl = pytest.importorskip("dgl")
    from matsample.dgl import minibatch, to_blocks

    indptr, indices, rows = rmat_edges()
    graph = matsample.Graph(indptr, indices)
    sampler = matsample.NodewiseSampler(graph, [6, 4], seed=2)
    sample = sampler.sample(np.arange(40, dtype=np.int32), batch_size=20)
    edges = set(zip(rows.tolist(), indices.tolist()))
    for m in range(sample.num_minibatches):
        blocks = to_blocks(sample, m)
        for block, ours in zip(blocks, sample.blocks(m)):
            assert block.is_block and block.num_src_nodes() == ours.num_src and block.num_dst_nodes() == ours.num_dst
            assert np.array_equal(block.srcdata[dgl.NID].numpy(), ours.src_nodes)
            assert np.array_equal(block.dstdata[dgl.NID].numpy(), ours.dst_nodes)
            src, dst = block.edges()
            assert block.num_edges() == ours.num_edges
            glob_src, glob_dst = ours.src_nodes[src.numpy()], ours.dst_nodes[dst.numpy()]
            assert all((int(d), int(s)) in edges for s, d in zip(glob_src, glob_dst))
            assert np.array_equal(block.in_degrees().numpy(), np.diff(ours.indptr))
        conv = dgl.nn.SAGEConv(3, 2, "mean")
        x = torch.randn(blocks[0].num_src_nodes(), 3)
        assert conv(blocks[0], x).shape == (blocks[0].num_dst_nodes(), 2)

    with_ids = sampler.sample(np.arange(40, dtype=np.int32), batch_size=20, edge_ids=True)
    for block, ours in zip(to_blocks(with_ids, 1), with_ids.blocks(1)):
        assert np.array_equal(block.edata[dgl.EID].numpy(), ours.edge_ids)

    features = np.random.default_rng(0).standard_normal((graph.num_nodes, 3)).astype(np.float32)
    for mb in matsample.Loader(sampler, np.arange(40, dtype=np.int32), 20, features=features):
        input_nodes, output_nodes, blocks = minibatch(mb)
        assert np.array_equal(input_nodes.numpy(), mb.input_nodes)
        assert np.array_equal(output_nodes.numpy(), mb.seeds)
        assert len(blocks) == 2


@pytest.mark.parametrize("mode", ["binary", "triplet"])
def test_pyg_link_loader_gets_pairs_negatives_and_exclusion(mode):
    pytest.importorskip("torch_geometric")
    from torch_geometric.data import Data
    from torch_geometric.loader import LinkLoader
    from torch_geometric.sampler import NegativeSampling
    from matsample.pyg import Sampler

    indptr, indices, rows = rmat_edges()
    n = indptr.shape[0] - 1
    edge_index = torch.from_numpy(np.stack([indices.astype(np.int64), rows]))
    data = Data(edge_index=edge_index, num_nodes=n)
    sampler = Sampler(data, matsample.NodewiseSampler, fanouts=[5, 3], seed=4, exclude="reverse", negative_seed=2)
    positives = edge_index[:, ::97][:, :64]
    loader = LinkLoader(data, link_sampler=sampler, edge_label_index=positives, batch_size=16,
                        neg_sampling=NegativeSampling(mode, amount=2))
    batches = list(loader)
    assert len(batches) == 4
    for batch in batches:
        global_edges = {(int(u), int(v)) for u, v in batch.n_id[batch.edge_index].t()}
        if mode == "binary":
            pairs = batch.n_id[batch.edge_label_index]
            assert pairs.shape == (2, 48)
            assert torch.equal(batch.edge_label, torch.cat([torch.ones(16), torch.zeros(32)]))
            pos = pairs[:, :16]
        else:
            pos = torch.stack([batch.n_id[batch.src_index], batch.n_id[batch.dst_pos_index]])
            assert batch.dst_neg_index.shape == (16, 2)
        assert torch.equal(pos, positives[:, batch.input_id])
        for u, v in pos.t().tolist():  # the minibatch's own edges and their reverses are masked out
            assert (u, v) not in global_edges and (v, u) not in global_edges
