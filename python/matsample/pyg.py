"""matsample's samplers as PyG samplers (imports torch and torch_geometric).

:class:`Sampler` is a ``torch_geometric.sampler.BaseSampler``, so PyG's own
``NodeLoader`` drives it unchanged::

    from torch_geometric.loader import NodeLoader
    from matsample.pyg import Sampler
    sampler = Sampler(data, matsample.NodewiseSampler, fanouts=[10, 10], seed=1)
    loader = NodeLoader(data, node_sampler=sampler, input_nodes=data.train_mask, batch_size=140, shuffle=True)

The subgraph it returns has PyG's meaning: hop h's new vertices come with
their sampled in-edges (``fanouts[h]`` of them for node-wise sampling), the
seeds first, edges sorted by destination, ``num_sampled_nodes`` and
``num_sampled_edges`` per hop (so ``trim_to_layer`` works). matsample samples
every vertex of a block, as DGL's message-flow graphs need; the rows PyG does
not use (a vertex already expanded at an earlier hop) are left out.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch_geometric.sampler import BaseSampler, NodeSamplerInput, SamplerOutput

from . import Graph, LinkSampler, _Sampler


def csr_from_edge_index(edge_index: torch.Tensor, num_nodes: int):
    """(indptr, indices, perm) of the graph whose row v lists the sources of v's in-edges.

    ``perm[e]`` is the column of `edge_index` that entry e came from (PyG's
    ``edge_permutation``). Entries are sorted by (destination, source).
    """
    src, dst = edge_index[0].cpu().numpy(), edge_index[1].cpu().numpy()
    perm = np.lexsort((src, dst))
    counts = np.bincount(dst, minlength=num_nodes)
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, np.ascontiguousarray(src[perm], dtype=np.int64), torch.from_numpy(perm)


class Sampler(BaseSampler):
    """A matsample sampler over a PyG ``Data`` graph (or an ``edge_index``), for PyG's loaders.

    `sampler_type` is a matsample sampler class (``NodewiseSampler``,
    ``LaborSampler``, ``LadiesSampler``, ``FastGCNSampler``); `options` are
    its keyword arguments. Minibatch streams are keyed by ``epoch`` (set it
    each epoch for fresh samples) and the smallest ``input_id`` of the
    minibatch, so a minibatch is the same in any DataLoader worker.
    ``exclude`` and ``negative_seed`` are for link minibatches
    (:meth:`sample_from_edges`).
    """

    def __init__(self, data, sampler_type: type, *, num_nodes: Optional[int] = None, epoch: int = 0,
                 exclude: str = "none", negative_seed: int = 0, edge_ids: Optional[bool] = None, **options):
        if not (isinstance(sampler_type, type) and issubclass(sampler_type, _Sampler)):
            raise TypeError("sampler_type: expected a matsample sampler class, such as matsample.NodewiseSampler")
        edge_index = data.edge_index if hasattr(data, "edge_index") else data
        n = int(num_nodes if num_nodes is not None else
                (data.num_nodes if hasattr(data, "num_nodes") else int(edge_index.max()) + 1))
        indptr, indices, self._perm = csr_from_edge_index(edge_index, n)
        self.graph = Graph(indptr, indices)
        self.sampler = sampler_type(self.graph, **options)
        self.epoch = epoch
        self.exclude = exclude
        self.negative_seed = negative_seed
        # Edge ids (PyG's `edge`, for edge attributes and e_id) cost a lookup per sampled edge: by default
        # only when the graph has edge attributes besides edge_index.
        if edge_ids is None:
            edge_ids = hasattr(data, "edge_attrs") and any(key != "edge_index" for key in data.edge_attrs())
        self.edge_ids = bool(edge_ids)

    @property
    def edge_permutation(self):
        return self._perm

    def sample_from_nodes(self, inputs: NodeSamplerInput, **kwargs) -> SamplerOutput:
        seeds = inputs.node.cpu().numpy()
        first = 0 if inputs.input_id is None or inputs.input_id.numel() == 0 else int(inputs.input_id.min())
        sample = self.sampler.sample(seeds, epoch=self.epoch, first_batch=first, edge_ids=self.edge_ids)
        return to_sampler_output(sample, 0, metadata=(inputs.input_id, inputs.time))

    def sample_from_edges(self, inputs, neg_sampling=None) -> SamplerOutput:
        """Link minibatches for PyG's LinkLoader (binary or triplet negatives, or none).

        matsample's negatives corrupt the destination, k = ceil(amount) per
        positive, by the ``negative_seed`` stream; with ``exclude="self"`` or
        ``"reverse"`` each minibatch's positive edges (and their reverses)
        are masked out of its own subgraph.
        """
        src, dst = inputs.row.cpu().numpy(), inputs.col.cpu().numpy()
        per_positive = 1 if neg_sampling is None else max(1, int(np.ceil(float(neg_sampling.amount))))
        key = (per_positive, self.exclude, self.negative_seed)
        if getattr(self, "_link_key", None) != key:  # built once: its checks run once, not per minibatch
            self._link = LinkSampler(self.sampler, exclude=self.exclude,
                                     negatives={"per_positive": per_positive, "seed": self.negative_seed})
            self._link_key = key
        link = self._link
        first = 0 if inputs.input_id is None or inputs.input_id.numel() == 0 else int(inputs.input_id.min())
        sample = link.sample(src, dst, epoch=self.epoch, first_batch=first)
        pos_src, pos_dst = (torch.from_numpy(a.astype(np.int64)) for a in sample.positives(0))
        neg_src, neg_dst = (torch.from_numpy(a.astype(np.int64)) for a in sample.negatives(0))
        if neg_sampling is None or neg_sampling.is_binary():
            index = torch.stack([pos_src, pos_dst])
            label = inputs.label if inputs.label is not None else torch.ones(pos_src.numel())
            if neg_sampling is not None:
                index = torch.cat([index, torch.stack([neg_src, neg_dst])], dim=1)
                label = torch.cat([label, label.new_zeros((neg_src.numel(),) + label.shape[1:])])
            metadata = (inputs.input_id, index, label, None)
        else:  # triplet: per_positive destinations per source
            metadata = (inputs.input_id, pos_src, pos_dst, neg_dst.view(pos_src.numel(), -1).squeeze(-1), None)
        return to_sampler_output(sample.blocks, 0, metadata=metadata)


def to_sampler_output(sample, minibatch: int, metadata=None) -> SamplerOutput:
    """One minibatch of a matsample sample as PyG's SamplerOutput (see the module docstring)."""
    blocks = sample.blocks(minibatch)  # input layer first
    node = blocks[0].src_nodes
    rows, cols, edges, nodes_per_hop, edges_per_hop = [], [], [], [blocks[-1].num_dst], []
    done = 0  # destinations expanded at earlier hops: a prefix of every block's rows
    for block in reversed(blocks):  # hop 1 first
        start = int(block.indptr[done])
        counts = np.diff(block.indptr[done:])
        rows.append(block.indices[start:])
        if block.edge_ids is not None:
            edges.append(block.edge_ids[start:])
        cols.append(np.repeat(np.arange(done, block.num_dst, dtype=np.int64), counts))
        edges_per_hop.append(int(counts.sum()))
        nodes_per_hop.append(block.num_src - block.num_dst)
        done = block.num_dst
    return SamplerOutput(
        node=torch.from_numpy(node.astype(np.int64)),
        row=torch.from_numpy(np.concatenate(rows).astype(np.int64)),
        col=torch.from_numpy(np.concatenate(cols)),
        edge=torch.from_numpy(np.concatenate(edges)) if edges else None,
        num_sampled_nodes=nodes_per_hop,
        num_sampled_edges=edges_per_hop,
        metadata=metadata,
    )
