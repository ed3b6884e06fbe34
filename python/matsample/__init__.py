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
from typing import Iterator, List, Optional, Sequence

import numpy as np

from ._core import (
    ArgumentError,
    Bulk,
    CsrError,
    EdgeExclusion,
    EpochLoader,
    LinkHandle,
    Error,
    FormatError,
    Graph,
    IndexOverflowError,
    LaborOptions,
    LayerwiseOptions,
    NegativeDistribution,
    NegativeOptions,
    NodewiseOptions,
    OutOfRangeError,
    SizeError,
    epoch_order,
    gather_rows,
    retain_freed_memory,
    rmat,
)
from . import _core

__all__ = [
    "ArgumentError", "Block", "CsrError", "EdgeExclusion", "Error", "FormatError", "Graph", "IndexOverflowError",
    "FastGCNSampler", "LaborOptions", "LaborSampler", "LadiesSampler", "LayerwiseOptions", "LinkSample",
    "LinkSampler", "Loader", "Minibatch", "NegativeDistribution", "NegativeOptions", "NodewiseOptions",
    "NodewiseSampler", "OutOfRangeError", "Sample", "SizeError", "epoch_order", "gather_rows", "retain_freed_memory",
    "rmat",
]


@dataclass(frozen=True)
class Block:
    """One layer of one minibatch in DGL's message-flow-graph convention.

    ``indptr``/``indices`` are the num_dst x num_src adjacency in local ids;
    ``src_nodes`` holds the global id of each local source id, the first
    ``num_dst`` being the destination nodes. Every array is a read-only view
    of the sample's memory: a NumPy array, or with ``dlpack=True`` a view
    that exports DLPack and the buffer protocol.
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
        return _length(self.src_nodes)

    @property
    def dst_nodes(self) -> np.ndarray:
        """Global ids of the destination nodes."""
        return np.asarray(self.src_nodes)[: self.num_dst]

    @property
    def num_edges(self) -> int:
        """Sampled edges of the block."""
        return _length(self.indices)


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

    def block(self, minibatch: int, layer: int, *, dlpack: bool = False) -> Block:
        """Block of `minibatch` at `layer` (0 is the input layer).

        Its arrays are read-only NumPy views of the sample, or with
        ``dlpack=True`` views that export DLPack and the buffer protocol
        (``torch.from_dlpack(block.indices)`` shares the memory; NumPy before
        2.0 will not export a read-only array through DLPack).
        """
        return Block(**self._bulk.block_arrays(minibatch, layer, dlpack))

    def blocks(self, minibatch: int) -> List[Block]:
        """The minibatch's blocks, input layer first (DGL's ``blocks`` list)."""
        return [self.block(minibatch, layer) for layer in range(self.num_layers)]

    def seeds(self, minibatch: int) -> np.ndarray:
        """The minibatch's seeds: the destination nodes of its last block."""
        return self.block(minibatch, self.num_layers - 1).dst_nodes

    def input_nodes(self, minibatch: int) -> np.ndarray:
        """Every vertex whose input features the minibatch needs."""
        return self.block(minibatch, 0).src_nodes

    def layer_arrays(self, layer: int, *, dlpack: bool = False) -> dict:
        """The C++ ``block_set`` of `layer`: every minibatch's arrays, concatenated."""
        return self._bulk.layer_arrays(layer, dlpack)


class _Sampler:
    """What every sampler shares: the graph, C++'s options struct, threads, and sample()."""

    _options_type = None
    _entry = None
    _kind = None

    def __init__(self, graph: Graph, threads: int, **options):
        self.graph = graph
        self.threads = threads
        self.options = self._options_type()
        for name, value in options.items():
            setattr(self.options, name, value)

    def sample(self, seeds, batch_size: Optional[int] = None, *, offsets: Optional[Sequence[int]] = None,
               epoch: int = 0, first_batch: int = 0, edge_ids: bool = False) -> Sample:
        """Samples the minibatches of `seeds`, cut every `batch_size` (or at `offsets`).

        Minibatch m is minibatch ``first_batch + m`` of `epoch` for the random
        streams, so it is the same alone or in a bulk call. With `edge_ids`,
        each block entry carries the position in the graph (CSR order) of the
        edge it came from (``Block.edge_ids``; the rows must be sorted by
        column). Releases the GIL.
        """
        entry = getattr(_core, self._entry)
        return Sample(entry(self.graph, _as_array(seeds), self.options, batch_size,
                            None if offsets is None else [int(o) for o in offsets], epoch, first_batch,
                            self.threads, edge_ids))


class NodewiseSampler(_Sampler):
    """Node-wise (GraphSAGE) sampling: ``fanouts`` neighbours per vertex, hop 1 first.

    The options are C++'s ``nodewise_options``: ``fanouts`` (-1 keeps all),
    ``replace``, ``weighted``, ``deduplicate`` and ``seed``; ``threads`` is
    the OpenMP thread count (0: the default).
    """

    _options_type = NodewiseOptions
    _entry = "sample_nodewise"
    _kind = "nodewise"

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
    _kind = "labor"

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
    _kind = "ladies"

    def __init__(self, graph: Graph, sample_sizes: Sequence[int], *, keep_frontier: bool = True, seed: int = 0,
                 threads: int = 0):
        super().__init__(graph, threads, sample_sizes=[int(s) for s in sample_sizes], keep_frontier=keep_frontier,
                         seed=seed)


class FastGCNSampler(LadiesSampler):
    """FastGCN, layer-wise sampling by global column norms; LADIES's options."""

    _entry = "sample_fastgcn"
    _kind = "fastgcn"


@dataclass
class Minibatch:
    """One minibatch from a :class:`Loader`.

    ``blocks`` follow DGL's message-flow-graph convention, input layer first;
    ``features`` holds the rows of the loader's feature array for
    ``input_nodes``, in that order, in a buffer the loader reuses: it is
    overwritten when the next minibatch is taken (copy it to keep it).
    """

    epoch: int
    index: int  #: the minibatch's number in the epoch
    sample: Sample
    position: int  #: the minibatch's position in ``sample``
    features: Optional[np.ndarray]

    @property
    def blocks(self) -> List[Block]:
        return self.sample.blocks(self.position)

    @property
    def seeds(self) -> np.ndarray:
        """The minibatch's seeds (DGL's ``output_nodes``)."""
        return self.sample.seeds(self.position)

    @property
    def input_nodes(self) -> np.ndarray:
        """Vertices whose input features the minibatch needs, in ``features``' order."""
        return self.sample.input_nodes(self.position)


class Loader:
    """An epoch's minibatches of `seeds`, sampled `bulk` at a time ahead of the consumer.

    A C++ thread samples the next `bulk` minibatches in one bulk call while
    Python consumes the current ones, with the GIL released; each ``for``
    loop over the loader is one epoch (``epoch`` counts up from the value
    given). The order is matsample's Philox shuffle (``epoch_order``), and
    every minibatch keeps its number in the epoch, so the samples are those
    of one bulk call over the whole epoch, whatever `bulk` is.

    With `features` (a 2-D C-contiguous array of any dtype, one row per
    vertex; a torch CPU tensor is viewed through NumPy without a copy), each
    minibatch's input rows are gathered into a reused buffer
    (:attr:`Minibatch.features`). `edge_ids` attaches each block entry's
    edge position, as in :meth:`NodewiseSampler.sample`.
    """

    def __init__(self, sampler: "_Sampler", seeds, batch_size: int, *, bulk: int = 8, shuffle: bool = True,
                 shuffle_seed: int = 0, epoch: int = 0, drop_last: bool = False, features=None,
                 edge_ids: bool = False):
        if not isinstance(sampler, _Sampler):
            raise ArgumentError("sampler: expected a matsample sampler (NodewiseSampler, LaborSampler, ...)")
        self.sampler = sampler
        self.seeds = _as_array(seeds)
        self.batch_size = int(batch_size)
        self.bulk = int(bulk)
        self.shuffle = bool(shuffle)
        self.shuffle_seed = int(shuffle_seed)
        self.epoch = int(epoch)
        self.drop_last = bool(drop_last)
        self.edge_ids = bool(edge_ids)
        self.features = None if features is None else np.asarray(features)
        if self.features is not None and (self.features.ndim != 2 or not self.features.flags.c_contiguous):
            raise ArgumentError("features: expected a 2-D C-contiguous array (one row per vertex)")
        self._buffer = None
        self.last_epoch: Optional[EpochLoader] = None  #: the last epoch's C++ loader (its timings)

    def __len__(self) -> int:
        n = len(self.seeds)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _epoch_loader(self, epoch: int) -> EpochLoader:
        s = self.sampler
        return EpochLoader(s.graph, self.seeds, s._kind, s.options, self.batch_size, self.bulk, self.shuffle,
                           self.shuffle_seed, epoch, self.drop_last, s.threads, self.edge_ids)

    def _gather(self, ids: np.ndarray) -> np.ndarray:
        n = ids.shape[0]
        if self._buffer is None or self._buffer.shape[0] < n:
            rows = max(n, 0 if self._buffer is None else self._buffer.shape[0] * 5 // 4)
            self._buffer = np.empty((rows, self.features.shape[1]), dtype=self.features.dtype)
        gather_rows(self.features, ids, self._buffer, self.sampler.threads)
        return self._buffer[:n]

    def __iter__(self) -> Iterator[Minibatch]:
        epoch = self.epoch
        self.epoch += 1
        core = self._epoch_loader(epoch)
        self.last_epoch = core
        while True:
            step = core.next()
            if step is None:
                return
            bulk, first = step
            sample = Sample(bulk)
            for position in range(len(sample)):
                features = None if self.features is None else self._gather(sample.input_nodes(position))
                yield Minibatch(epoch, first + position, sample, position, features)


class LinkSample:
    """k link prediction minibatches: the node sampler's blocks and the pair graphs.

    Pairs are in local ids, positions in the minibatch's seeds (the
    destination nodes of its last block), as DGL's ``pair_graph`` and
    ``neg_pair_graph`` number them.
    """

    def __init__(self, bulk: Bulk, pairs: dict):
        self.blocks = Sample(bulk)  #: the node sampler's sample; minibatch m's seeds are its pairs' endpoints
        self._pairs = pairs
        self.dropped_negatives: int = pairs["dropped_negatives"]  #: negatives dropped by reject_true_edges

    @property
    def num_minibatches(self) -> int:
        return self.blocks.num_minibatches

    def __len__(self) -> int:
        return self.num_minibatches

    def _pair(self, kind: str, minibatch: int):
        offsets = self._pairs[kind + "_offsets"]
        if not 0 <= minibatch < self.num_minibatches:
            raise OutOfRangeError(f"minibatch {minibatch} of a sample with {self.num_minibatches} minibatches")
        b, e = offsets[minibatch], offsets[minibatch + 1]
        return self._pairs[kind + "_src"][b:e], self._pairs[kind + "_dst"][b:e]

    def positives(self, minibatch: int):
        """(src, dst) of the minibatch's positive pairs, in local ids."""
        return self._pair("positive", minibatch)

    def negatives(self, minibatch: int):
        """(src, dst) of the minibatch's negative pairs, in local ids (per_positive per positive, in order)."""
        return self._pair("negative", minibatch)


class LinkSampler:
    """Link prediction minibatches over any matsample node sampler (C++'s ``link_sampler``).

    ``negatives`` are C++'s ``negative_options`` (a :class:`NegativeOptions`
    or a dict of its fields: ``per_positive``, ``distribution``,
    ``degree_exponent``, ``corrupt_source``, ``reject_true_edges``,
    ``max_redraws``, ``seed``); ``exclude`` is ``"none"``, ``"self"`` or
    ``"reverse"`` (each minibatch's positive edges, and with ``"reverse"``
    their reverses, are masked out of its own blocks); ``reverse_edges``
    (int64, one per entry) names each entry's reverse for a directed graph.
    """

    def __init__(self, node_sampler: "_Sampler", *, negatives=None, exclude="none", reverse_edges=None):
        if not isinstance(node_sampler, _Sampler):
            raise ArgumentError("node_sampler: expected a matsample sampler (NodewiseSampler, LaborSampler, ...)")
        self.node_sampler = node_sampler
        if isinstance(negatives, NegativeOptions):
            self.negatives = negatives
        else:
            self.negatives = NegativeOptions()
            for name, value in (negatives or {}).items():
                if name == "distribution" and isinstance(value, str):
                    value = getattr(NegativeDistribution, value)
                setattr(self.negatives, name, value)
        self.exclude = getattr(EdgeExclusion, exclude) if isinstance(exclude, str) else exclude
        self.reverse_edges = reverse_edges
        # The C++ link sampler, built once: the exclusion's sorted-rows check
        # and the node sampler's tables are paid here, not per call.
        self._handle = LinkHandle(node_sampler.graph, node_sampler._kind, node_sampler.threads, self.negatives,
                                  self.exclude, reverse_edges)

    def sample(self, src, dst, batch_size: Optional[int] = None, *, offsets: Optional[Sequence[int]] = None,
               epoch: int = 0, first_batch: int = 0) -> LinkSample:
        """Samples the minibatches of positive pairs (src[i], dst[i]), cut every `batch_size` (or at `offsets`).

        The node sampler's options are read at each call; its thread count,
        the negatives and the exclusion when this LinkSampler was made.
        """
        bulk, pairs = self._handle.sample(self.node_sampler.options, _as_array(src), _as_array(dst), batch_size,
                                          None if offsets is None else [int(o) for o in offsets], epoch, first_batch)
        return LinkSample(bulk, pairs)


def _length(array) -> int:
    """Elements of a 1-D NumPy array or DLPack-exporting view (via the buffer protocol, no copy)."""
    return int(array.shape[0]) if hasattr(array, "shape") else memoryview(array).shape[0]


def _as_array(ids):
    """Seeds as an array: NumPy and DLPack objects pass through, lists become int64 arrays."""
    if isinstance(ids, (list, tuple, range)):
        return np.asarray(ids, dtype=np.int64)
    return ids
