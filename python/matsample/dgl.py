"""matsample minibatches as DGL message-flow graphs (imports torch and dgl).

matsample's blocks already follow DGL's MFG convention (destination nodes
are the first source nodes), so the conversion is ``dgl.create_block`` over
the block's CSC arrays, with global ids in ``srcdata[dgl.NID]`` and
``dstdata[dgl.NID]`` (and ``edata[dgl.EID]`` when the block carries edge
ids)::

    for mb in matsample.Loader(sampler, train_ids, 1024, features=x):
        input_nodes, output_nodes, blocks = matsample.dgl.minibatch(mb)
        logits = model(blocks, torch.from_numpy(mb.features))
"""
from __future__ import annotations

from typing import List, Tuple

import dgl
import numpy as np
import torch

from . import Block, Minibatch, Sample


def _tensor(array) -> torch.Tensor:
    # The sample's arrays are read-only; DLPack views share them without a copy or a warning.
    return torch.from_dlpack(array)


def to_block(block: Block) -> "dgl.DGLGraph":
    """One matsample block as a DGL block (pass a block taken with ``dlpack=True`` to share memory)."""
    indptr, indices = _tensor(block.indptr), _tensor(block.indices)
    edge_ids = torch.empty(0, dtype=indices.dtype)  # empty: DGL numbers the edges 0..E-1
    graph = dgl.create_block(("csc", (indptr.to(indices.dtype), indices, edge_ids)),
                             num_src_nodes=block.num_src, num_dst_nodes=block.num_dst)
    src = _tensor(block.src_nodes)
    graph.srcdata[dgl.NID] = src
    graph.dstdata[dgl.NID] = src[: block.num_dst]
    if block.edge_ids is not None:
        graph.edata[dgl.EID] = _tensor(block.edge_ids)
    if block.values is not None:
        graph.edata["w"] = _tensor(block.values)
    return graph


def to_blocks(sample: Sample, minibatch: int) -> List["dgl.DGLGraph"]:
    """The minibatch's blocks as DGL blocks, input layer first (DGL's ``blocks`` list)."""
    return [to_block(sample.block(minibatch, layer, dlpack=True)) for layer in range(sample.num_layers)]


def minibatch(mb: Minibatch) -> Tuple[torch.Tensor, torch.Tensor, List["dgl.DGLGraph"]]:
    """``(input_nodes, output_nodes, blocks)`` of a Loader's minibatch, as DGL's DataLoader yields them."""
    blocks = to_blocks(mb.sample, mb.position)
    return blocks[0].srcdata[dgl.NID], blocks[-1].dstdata[dgl.NID], blocks
