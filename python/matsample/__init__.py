"""matsample: GNN minibatch sampling as sparse linear algebra, from Python.

A :class:`Graph` views the caller's CSR arrays (NumPy, or anything exporting
DLPack such as a torch tensor) without copying them. Samplers take the C++
library's options under the same names and return a :class:`Sample` whose
blocks are NumPy views of the sample's own memory (zero-copy into torch with
``torch.from_numpy``). The same seed gives the same sample as a C++ program,
bit for bit.

>>> import numpy as np, matsample
>>> indptr, indices = matsample.rmat(10, edge_factor=8, seed=5)
>>> graph = matsample.Graph(indptr, indices)
>>> sampler = matsample.NodewiseSampler(graph, fanouts=[10, 5], seed=7)
>>> sample = sampler.sample(np.arange(128, dtype=np.int32), batch_size=64)
>>> [b.num_dst for b in sample.blocks(0)][-1]
64
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from ._core import (
    ArgumentError,
    Bulk,
    CsrError,
    Error,
    FormatError,
    Graph,
    IndexOverflowError,
    LaborOptions,
    LayerwiseOptions,
    NodewiseOptions,
    OutOfRangeError,
    SizeError,
    epoch_order,
    rmat,
)
from . import _core

__all__ = [
    "ArgumentError", "Block", "CsrError", "Error", "FormatError", "Graph", "IndexOverflowError",
    "FastGCNSampler", "LaborOptions", "LaborSampler", "LadiesSampler", "LayerwiseOptions", "NodewiseOptions",
    "NodewiseSampler", "OutOfRangeError", "Sample", "SizeError", "epoch_order", "rmat",
]


@dataclass(frozen=True)
class Block:
    """One layer of one minibatch in DGL's message-flow-graph convention.

    ``indptr``/``indices`` are the num_dst x num_src adjacency in local ids;
    ``src_nodes`` holds the global id of each local source id, the first
    ``num_dst`` being the destination nodes. Every array is a read-only view
    of the sample's memory.
    """

    num_dst: int
    src_nodes: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    values: Optional[np.ndarray]
    edge_ids: Optional[np.ndarray]

    @property
    def num_src(self) -> int:
        """Source nodes, destinations included."""
        return int(self.src_nodes.shape[0])

    @property
    def dst_nodes(self) -> np.ndarray:
        """Global ids of the destination nodes."""
        return self.src_nodes[: self.num_dst]

    @property
    def num_edges(self) -> int:
        """Sampled edges of the block."""
        return int(self.indices.shape[0])


class Sample:
    """k minibatches sampled by one call; blocks come input layer first."""

    def __init__(self, bulk: Bulk):
        self._bulk = bulk

    @property
    def num_minibatches(self) -> int:
        return self._bulk.num_minibatches

    @property
    def num_layers(self) -> int:
        return self._bulk.num_layers

    @property
    def num_edges(self) -> int:
        """Sampled edges over every layer and minibatch."""
        return self._bulk.num_edges

    def __len__(self) -> int:
        return self.num_minibatches

    def block(self, minibatch: int, layer: int) -> Block:
        """Block of `minibatch` at `layer` (0 is the input layer)."""
        return Block(**self._bulk.block_arrays(minibatch, layer))

    def blocks(self, minibatch: int) -> List[Block]:
        """The minibatch's blocks, input layer first (DGL's ``blocks`` list)."""
        return [self.block(minibatch, layer) for layer in range(self.num_layers)]

    def seeds(self, minibatch: int) -> np.ndarray:
        """The minibatch's seeds: the destination nodes of its last block."""
        return self.block(minibatch, self.num_layers - 1).dst_nodes

    def input_nodes(self, minibatch: int) -> np.ndarray:
        """Every vertex whose input features the minibatch needs."""
        return self.block(minibatch, 0).src_nodes

    def layer_arrays(self, layer: int) -> dict:
        """The C++ ``block_set`` of `layer`: every minibatch's arrays, concatenated."""
        return self._bulk.layer_arrays(layer)


class _Sampler:
    """What every sampler shares: the graph, C++'s options struct, threads, and sample()."""

    _options_type = None
    _entry = None

    def __init__(self, graph: Graph, threads: int, **options):
        self.graph = graph
        self.threads = threads
        self.options = self._options_type()
        for name, value in options.items():
            setattr(self.options, name, value)

    def sample(self, seeds, batch_size: Optional[int] = None, *, offsets: Optional[Sequence[int]] = None,
               epoch: int = 0, first_batch: int = 0) -> Sample:
        """Samples the minibatches of `seeds`, cut every `batch_size` (or at `offsets`).

        Minibatch m is minibatch ``first_batch + m`` of `epoch` for the random
        streams, so it is the same alone or in a bulk call. Releases the GIL.
        """
        entry = getattr(_core, self._entry)
        return Sample(entry(self.graph, _as_array(seeds), self.options, batch_size,
                            None if offsets is None else [int(o) for o in offsets], epoch, first_batch,
                            self.threads))


class NodewiseSampler(_Sampler):
    """Node-wise (GraphSAGE) sampling: ``fanouts`` neighbours per vertex, hop 1 first.

    The options are C++'s ``nodewise_options``: ``fanouts`` (-1 keeps all),
    ``replace``, ``weighted``, ``deduplicate`` and ``seed``; ``threads`` is
    the OpenMP thread count (0: the default).
    """

    _options_type = NodewiseOptions
    _entry = "sample_nodewise"

    def __init__(self, graph: Graph, fanouts: Sequence[int], *, replace: bool = False, weighted: bool = False,
                 deduplicate: bool = True, seed: int = 0, threads: int = 0):
        super().__init__(graph, threads, fanouts=[int(f) for f in fanouts], replace=replace, weighted=weighted,
                         deduplicate=deduplicate, seed=seed)


class LaborSampler(_Sampler):
    """LABOR, layer-neighbour sampling (Balın and Çatalyürek, NeurIPS 2023).

    The options are C++'s ``labor_options``: ``fanouts``, ``weighted``,
    ``fixed_count``, ``layer_dependency``, ``batch_dependency``,
    ``importance_iterations`` and ``seed``.
    """

    _options_type = LaborOptions
    _entry = "sample_labor"

    def __init__(self, graph: Graph, fanouts: Sequence[int], *, weighted: bool = False, fixed_count: bool = False,
                 layer_dependency: bool = False, batch_dependency: int = 1, importance_iterations: int = 0,
                 seed: int = 0, threads: int = 0):
        super().__init__(graph, threads, fanouts=[int(f) for f in fanouts], weighted=weighted,
                         fixed_count=fixed_count, layer_dependency=layer_dependency,
                         batch_dependency=batch_dependency, importance_iterations=importance_iterations, seed=seed)


class LadiesSampler(_Sampler):
    """LADIES, layer-dependent importance sampling: ``sample_sizes`` columns per layer and minibatch.

    The options are C++'s ``layerwise_options``: ``sample_sizes``,
    ``keep_frontier`` and ``seed``.
    """

    _options_type = LayerwiseOptions
    _entry = "sample_ladies"

    def __init__(self, graph: Graph, sample_sizes: Sequence[int], *, keep_frontier: bool = True, seed: int = 0,
                 threads: int = 0):
        super().__init__(graph, threads, sample_sizes=[int(s) for s in sample_sizes], keep_frontier=keep_frontier,
                         seed=seed)


class FastGCNSampler(LadiesSampler):
    """FastGCN, layer-wise sampling by global column norms; LADIES's options."""

    _entry = "sample_fastgcn"


def _as_array(ids):
    """Seeds as an array: NumPy and DLPack objects pass through, lists become int64 arrays."""
    if isinstance(ids, (list, tuple, range)):
        return np.asarray(ids, dtype=np.int64)
    return ids
