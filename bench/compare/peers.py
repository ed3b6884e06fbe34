"""Times the peers' CPU neighbour samplers on a graph prepared by
`matsample_compare prepare`, and prints one JSON object in the same shape as
`matsample_compare run`.

    peers.py --system dgl|dgl-labor|dgl-link|dgl-hetero|graphbolt|graphbolt-int32|pyg|matsample-python|matsample-python-link
             --graph DIR
             --threads T --batches B --runs R

Run r samples the first B batches of 1024 seeds in row r of DIR/seeds.npy,
one minibatch per call (as a data loader does), with fanouts 15,10,5 from the
seeds outwards. Only the sampling calls are timed; one untimed call comes
first. Threads: the caller sets OMP_NUM_THREADS; torch is told the same.

DGL: dgl.dataloading.NeighborSampler([5, 10, 15]).sample_blocks(g, seeds),
what DGL's DataLoader calls (DGL lists fanouts from the input layer, so the
seeds' hop, 15, is last). Sampled edges are the edges of the returned blocks:
per layer, every destination node (de-duplicated, the previous layer's
sources) keeps min(degree, fanout) in-edges.

GraphBolt (DGL's current sampler, dgl.graphbolt): a FusedCSCSamplingGraph
over the same CSC arrays (int64 or int32 indices and seeds), and per hop from
the seeds outwards graph.sample_neighbors(frontier, fanout) then
unique_and_compact_csc_formats(sampled, frontier), as its NeighborSampler's
datapipe stages do, without the datapipe machinery around them. The next
frontier is the compacted unique nodes (the destinations first, as in DGL's
blocks). Sampled edges are the compacted CSCs' entries.

DGL heterogeneous: on a typed graph from `matsample_compare prepare
--typed-csbm` (DIR/typed.json and one CSR per relation), a dgl.heterograph
with one edge type per relation, and NeighborSampler([5, 10, 15]) (the same
fanout for every edge type) on seeds {"paper": batch}. matsample's relation
(row type, name, column type) lets rows gather from columns; DGL's sampler
takes in-edges, so the edge type is (column type, name, row type) with
edges column -> row, and a destination's in-edges of that type are exactly
its row of the relation. Sampled edges are the blocks' edges over all edge
types; input vertices are summed over the types.

DGL LABOR: dgl.dataloading.LaborSampler([5, 10, 15]) with its defaults
(LABOR-0: uniform, no importance sampling, independent layers), the same
call; its blocks' input vertices are counted too.

DGL link: dgl.dataloading.as_edge_prediction_sampler(NeighborSampler([5, 10,
15]), exclude='reverse_id', reverse_eids=..., negative_sampler=
dgl.dataloading.negative_sampler.Uniform(1)).sample(g, eids) on the seed
edges of row r of DIR/edges.npy (CSR positions; in the CSC graph DGL builds
from the symmetric CSR, position e is DGL's edge id e and its reverse is the
position of the transposed entry). Sampled edges are the blocks' edges.

matsample from Python: the installed matsample package's NodewiseSampler
(fanouts 15,10,5, seed 1, `threads` T) on the same arrays (viewed, not
copied), one minibatch of 1024 seeds per sample() call as above; link:
LinkSampler(exclude="reverse", one uniform negative per positive) on the
seed edges of DIR/edges.npy. Sampled edges are the blocks' edges, counted as
matsample_compare counts them, so these rows sit beside its C++ rows.

PyG: NeighborLoader(num_neighbors=[15, 10, 5], batch_size=1024) over the CSR
given as a torch_sparse SparseTensor (no conversion at load time). Sampled
edges are the edges of each returned subgraph (PyG expands each vertex once,
at the hop where it first appears, so it samples fewer edges than a block
sampler on the same seeds).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

BATCH = 1024
FANOUTS = [15, 10, 5]  # seeds' hop first


def rss_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1e3
    return -1.0


def anon_huge_mb():
    """Anonymous memory in 2 MiB pages (transparent huge pages), in MB; -1 if unknown."""
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) / 1e3
    except OSError:
        pass
    return -1.0


def reset_peak():
    """Resets VmHWM to the current resident set (Linux >= 4.0), so that the peak read later is the
    sampling phase's, not loading's (which holds the int32 and int64 copies of the ids at once)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def load(directory, link=False):
    indptr = np.load(os.path.join(directory, "indptr.npy"))
    indices = np.load(os.path.join(directory, "indices.npy"))
    seeds = np.load(os.path.join(directory, "edges.npy" if link else "seeds.npy"))
    return indptr, indices, seeds


def dgl_sampler(indptr, indices, labor=False):
    import dgl
    import torch

    # The CSR is symmetric, so it is also the CSC that in-edge sampling reads.
    # int64 ids, DGL's default: with int32 ids DGL 2.1.0 was 7% faster on one
    # thread but returned about a third of the edges on two (measured here).
    g = dgl.graph(("csc", (torch.from_numpy(indptr), torch.from_numpy(indices.astype(np.int64)),
                           torch.empty(0, dtype=torch.int64))), num_nodes=len(indptr) - 1)
    g = g.formats("csc")
    if labor:
        sampler = dgl.dataloading.LaborSampler(list(reversed(FANOUTS)))
    else:
        sampler = dgl.dataloading.NeighborSampler(list(reversed(FANOUTS)))

    def run(seeds):
        """Samples `seeds` batch by batch; returns (seconds, sampled edges, input vertices)."""
        edges, inputs, seconds = 0, 0, 0.0
        for batch in torch.from_numpy(seeds.astype(np.int64)).split(BATCH):
            t0 = time.perf_counter()
            input_nodes, _, blocks = sampler.sample_blocks(g, batch)
            seconds += time.perf_counter() - t0
            edges += sum(block.num_edges() for block in blocks)
            inputs += len(input_nodes)
        return seconds, edges, inputs

    def steps(seeds):
        """sample_blocks spelled out (NeighborSampler's loop) to time its two steps; ms per minibatch."""
        sample_s, block_s = 0.0, 0.0
        batches = torch.from_numpy(seeds.astype(np.int64)).split(BATCH)
        for batch in batches:
            frontier_nodes = batch
            for fanout in reversed(sampler.fanouts):
                t0 = time.perf_counter()
                frontier = g.sample_neighbors(frontier_nodes, fanout)
                t1 = time.perf_counter()
                block = dgl.to_block(frontier, frontier_nodes)
                block_s += time.perf_counter() - t1
                sample_s += t1 - t0
                frontier_nodes = block.srcdata[dgl.NID]
        return {"sample_neighbors_ms": 1e3 * sample_s / len(batches), "to_block_ms": 1e3 * block_s / len(batches)}

    if not labor:
        run.steps = steps
    return run, {"dgl": dgl.__version__, "torch": torch.__version__}


def load_typed(directory):
    with open(os.path.join(directory, "typed.json")) as f:
        meta = json.load(f)
    relations = []
    for r, rel in enumerate(meta["relations"]):
        indptr = np.load(os.path.join(directory, f"relation{r}_indptr.npy"))
        indices = np.load(os.path.join(directory, f"relation{r}_indices.npy"))
        relations.append((rel, indptr, indices))
    return meta, relations, np.load(os.path.join(directory, "seeds.npy"))


def dgl_hetero_sampler(meta, relations, fanouts):
    import dgl
    import torch

    names = [t["name"] for t in meta["types"]]
    data = {}
    for rel, indptr, indices in relations:
        rows = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))
        # DGL samples in-edges: column -> row edges of type (column type, name, row type).
        data[(names[rel["col_type"]], rel["name"], names[rel["row_type"]])] = (
            torch.from_numpy(indices.astype(np.int64)), torch.from_numpy(rows))
    g = dgl.heterograph(data, num_nodes_dict={t["name"]: t["count"] for t in meta["types"]})
    g = g.formats("csc")
    g.create_formats_()
    sampler = dgl.dataloading.NeighborSampler(list(reversed(fanouts)))

    def run(seeds):
        edges, inputs, seconds = 0, 0, 0.0
        for batch in torch.from_numpy(seeds.astype(np.int64)).split(BATCH):
            t0 = time.perf_counter()
            input_nodes, _, blocks = sampler.sample_blocks(g, {names[0]: batch})
            seconds += time.perf_counter() - t0
            edges += sum(block.num_edges(etype) for block in blocks for etype in block.canonical_etypes)
            inputs += sum(len(ids) for ids in input_nodes.values())
        return seconds, edges, inputs

    return run, {"dgl": dgl.__version__, "torch": torch.__version__}


def graphbolt_sampler(indptr, indices, int32=False):
    import dgl
    import dgl.graphbolt as gb
    import torch

    dtype = np.int32 if int32 else np.int64
    graph = gb.fused_csc_sampling_graph(torch.from_numpy(indptr), torch.from_numpy(indices.astype(dtype)))
    fanouts = [torch.LongTensor([fanout]) for fanout in FANOUTS]  # seeds' hop first

    def run(seeds):
        """Samples `seeds` batch by batch; returns (seconds, sampled edges, input vertices)."""
        edges, inputs, seconds = 0, 0, 0.0
        for batch in torch.from_numpy(seeds.astype(dtype)).split(BATCH):
            t0 = time.perf_counter()
            frontier, sampled = batch, []
            for fanout in fanouts:
                subgraph = graph.sample_neighbors(frontier, fanout)
                frontier, csc = gb.unique_and_compact_csc_formats(subgraph.sampled_csc, frontier)
                sampled.append(csc)
            seconds += time.perf_counter() - t0
            edges += sum(csc.indices.numel() for csc in sampled)
            inputs += frontier.numel()
        return seconds, edges, inputs

    return run, {"dgl": dgl.__version__, "torch": torch.__version__}


def dgl_link_sampler(indptr, indices):
    import dgl
    import torch

    n = len(indptr) - 1
    g = dgl.graph(("csc", (torch.from_numpy(indptr), torch.from_numpy(indices.astype(np.int64)),
                           torch.empty(0, dtype=torch.int64))), num_nodes=n)
    # Pair graphs are edge subgraphs, which need COO: both formats are built
    # before anything is timed.
    g = g.formats(["csc", "coo"])
    g.create_formats_()
    # The reverse of the entry (u, v) is the entry (v, u): rows are sorted, so
    # its position is found by searching the sorted keys u * n + v.
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keys = rows * n + indices
    reverse = np.searchsorted(keys, indices.astype(np.int64) * n + rows)
    sampler = dgl.dataloading.as_edge_prediction_sampler(
        dgl.dataloading.NeighborSampler(list(reversed(FANOUTS))), exclude="reverse_id",
        reverse_eids=torch.from_numpy(reverse), negative_sampler=dgl.dataloading.negative_sampler.Uniform(1))

    def run(edge_ids):
        """Samples the seed edges batch by batch; returns (seconds, sampled edges, input vertices)."""
        edges, inputs, seconds = 0, 0, 0.0
        for batch in torch.from_numpy(edge_ids.astype(np.int64)).split(BATCH):
            t0 = time.perf_counter()
            input_nodes, _, _, blocks = sampler.sample(g, batch)
            seconds += time.perf_counter() - t0
            edges += sum(block.num_edges() for block in blocks)
            inputs += len(input_nodes)
        return seconds, edges, inputs

    return run, {"dgl": dgl.__version__, "torch": torch.__version__}


def matsample_python_sampler(indptr, indices, threads, link=False):
    import matsample

    graph = matsample.Graph(indptr, indices)
    nodes = matsample.NodewiseSampler(graph, FANOUTS, seed=1, threads=threads)
    sampler = matsample.LinkSampler(nodes, exclude="reverse", negatives={"per_positive": 1, "seed": 2}) if link else None

    def run(seeds):
        """One minibatch per call, numbered as in a loader; returns (seconds, sampled edges, input vertices)."""
        edges, inputs, seconds = 0, 0, 0.0
        for b, start in enumerate(range(0, seeds.shape[0], BATCH)):
            batch = seeds[start:start + BATCH]
            if link:  # CSR positions: the entry's row and column are the pair
                src = (np.searchsorted(indptr, batch, side="right") - 1).astype(indices.dtype)
                dst = indices[batch]
                t0 = time.perf_counter()
                sample = sampler.sample(src, dst, first_batch=b).blocks
            else:
                t0 = time.perf_counter()
                sample = nodes.sample(batch, first_batch=b)
            seconds += time.perf_counter() - t0
            edges += sample.num_edges
            inputs += sample.input_nodes(0).shape[0]
        return seconds, edges, inputs

    from importlib.metadata import version

    return run, {"matsample (Python)": version("matsample")}


def pyg_sampler(indptr, indices):
    import torch
    import torch_geometric
    import torch_sparse
    from torch_geometric.data import Data
    from torch_geometric.loader import NeighborLoader

    n = len(indptr) - 1
    adj_t = torch_sparse.SparseTensor(rowptr=torch.from_numpy(indptr), col=torch.from_numpy(indices.astype(np.int64)),
                                      sparse_sizes=(n, n), is_sorted=True, trust_data=True)
    data = Data(adj_t=adj_t, num_nodes=n)

    def run(seeds):
        """Iterates a loader over `seeds` (built untimed); returns (seconds, sampled edges)."""
        loader = NeighborLoader(data, num_neighbors=FANOUTS, batch_size=BATCH,
                                input_nodes=torch.from_numpy(seeds.astype(np.int64)), shuffle=False)
        edges, inputs, seconds = 0, 0, 0.0
        iterator = iter(loader)
        while True:
            t0 = time.perf_counter()
            batch = next(iterator, None)
            seconds += time.perf_counter() - t0
            if batch is None:
                return seconds, edges, inputs
            edges += batch.adj_t.nnz()
            inputs += batch.num_nodes

    versions = {"torch_geometric": torch_geometric.__version__, "torch_sparse": torch_sparse.__version__,
                "torch": torch.__version__}
    return run, versions


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", choices=["dgl", "dgl-labor", "dgl-link", "dgl-hetero", "graphbolt",
                                             "graphbolt-int32", "pyg", "matsample-python", "matsample-python-link"],
                        required=True)
    parser.add_argument("--graph", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batches", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fanouts", type=lambda text: [int(f) for f in text.split(",")], default=FANOUTS,
                        help="dgl-hetero: fanouts, seeds' hop first (default 15,10,5)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    __import__({"pyg": "torch_geometric", "matsample-python": "matsample",
                "matsample-python-link": "matsample"}.get(args.system, "dgl"))
    baseline = rss_mb("VmRSS")  # interpreter and libraries, before the graph
    link = args.system in ("dgl-link", "matsample-python-link")
    if args.system == "dgl-hetero":
        meta, relations, seeds = load_typed(args.graph)
        indptr = np.concatenate([r[1] for r in relations])
        indices = np.concatenate([r[2] for r in relations])
    else:
        indptr, indices, seeds = load(args.graph, link=link)
    if seeds.shape[0] < args.runs or seeds.shape[1] < args.batches * BATCH:
        sys.exit(f"{args.graph}/seeds.npy holds {seeds.shape}: too few for {args.runs} runs of {args.batches} batches")
    if args.system.startswith("matsample-python"):
        run, versions = matsample_python_sampler(indptr, indices, args.threads, link=link)
    elif args.system == "pyg":
        run, versions = pyg_sampler(indptr, indices)
    elif args.system == "dgl-link":
        run, versions = dgl_link_sampler(indptr, indices)
    elif args.system == "dgl-hetero":
        run, versions = dgl_hetero_sampler(meta, relations, args.fanouts)
        del relations
    elif args.system.startswith("graphbolt"):
        run, versions = graphbolt_sampler(indptr, indices, int32=args.system == "graphbolt-int32")
    else:
        run, versions = dgl_sampler(indptr, indices, labor=args.system == "dgl-labor")
    csr_mb = (indptr.nbytes + indices.nbytes) / 1e6
    if not args.system.startswith("matsample-python"):
        del indices  # the systems hold their own copies (matsample views the arrays)
    loaded = rss_mb("VmRSS")
    load_peak = rss_mb("VmHWM")
    peak_reset = reset_peak()

    run(seeds[0, :BATCH])  # warm-up
    runs = []
    for r in range(args.runs):
        seconds, edges, inputs = run(seeds[r, :args.batches * BATCH])
        runs.append({"seconds": seconds, "edges": int(edges), "input_nodes": int(inputs)})
    peak = rss_mb("VmHWM")
    steps = run.steps(seeds[0, :args.batches * BATCH]) if hasattr(run, "steps") else {}
    print(json.dumps({"system": args.system, "sampler": "link" if link else "labor" if args.system == "dgl-labor" else
                      "typed" if args.system == "dgl-hetero" else "nodewise", "k": 1, "threads": args.threads,
                      "batches": args.batches, "batch_size": BATCH, "csr_mb": round(csr_mb, 1),
                      "rss_baseline_mb": round(baseline, 1), "rss_loaded_mb": round(loaded, 1),
                      "load_peak_rss_mb": round(load_peak, 1), "peak_reset": peak_reset, "runs": runs,
                      "peak_rss_mb": round(peak, 1), "anon_huge_mb": round(anon_huge_mb(), 1), "versions": versions,
                      "steps_ms": steps}))


if __name__ == "__main__":
    main()
