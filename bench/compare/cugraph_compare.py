"""cuGraph's uniform neighbour sampler next to matsample's CUDA node-wise sampler,
on the same graph and seeds, on one GPU.

    cugraph_compare.py --graph DIR [--bench BUILD/bench/matsample_cuda_bench | --matsample-json FILE]
                       [--ks 1,64] [--batches 64] [--runs 3] [--out FILE]

DIR is a graph that `matsample_compare prepare` wrote for bench/compare/compare.py:
DIR/indptr.npy (int64), DIR/indices.npy (int32), the symmetric CSR, and
DIR/seeds.npy (int32, runs x seeds), shuffled non-isolated vertices.

cuGraph: pylibcugraph.homogeneous_uniform_neighbor_sample on an SGGraph made
from the CSR, fanouts 15,10,5 from the seeds outwards, batch 1024, without
replacement, every hop's frontier de-duplicated and carrying the earlier
hops' sources over ("carryover", as DGL's blocks and matsample's keep the
destinations among the sources). k minibatches per call are k labels of one
call. Run r samples the first B batches of row r of seeds.npy; one untimed
call first; each call is timed alone up to a device synchronisation.
Sampled edges are the edges returned.

matsample: matsample_cuda_bench's BM_CudaNodewise/k (the same fanouts and
batch size, de-duplicated blocks) run with MATSAMPLE_BENCH_GRAPH=DIR, so it
samples the same graph from row 0 of the same seeds, and its JSON counters
(edges_per_second, per_minibatch_us, edges_per_minibatch) are read; or
those of an earlier run given with --matsample-json.

Prints a Markdown table (sampled edges/s, ms per minibatch, edges per
minibatch, matsample ÷ cuGraph) and, with --out, writes the rows as JSON.
The two samplers draw differently, so their edges per minibatch agree only
to about 1%; a larger gap means they are not sampling the same thing and
is flagged in the table. Without a CUDA GPU (or without cuGraph, see
bench/compare/requirements-gpu.txt) it says so and exits 0.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

try:
    import numpy as np
except ImportError:  # reported by gpu_or_exit, with what to install
    np = None

BATCH = 1024
FANOUTS = [15, 10, 5]  # seeds' hop first


def log(message):
    print(message, file=sys.stderr, flush=True)


def give_up(reason):
    """Nothing to compare here: says why and exits 0."""
    log(f"cugraph_compare: {reason}; nothing to compare "
        "(it needs an NVIDIA GPU and pip install -r bench/compare/requirements-gpu.txt)")
    sys.exit(0)


def gpu_or_exit():
    """cupy and pylibcugraph on a machine with a CUDA device, or a clear exit."""
    if np is None:
        give_up("numpy is not installed")
    try:
        import cupy
    except ImportError as error:
        give_up(f"cupy is not installed ({error})")
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device: cupy raises its CUDARuntimeError
        give_up(f"CUDA reports no device ({type(error).__name__}: {error})")
    if devices == 0:
        give_up("no CUDA GPU on this machine")
    try:
        import pylibcugraph
    except ImportError as error:
        give_up(f"pylibcugraph is not installed ({error})")
    return cupy, pylibcugraph


def load(directory):
    indptr = np.load(os.path.join(directory, "indptr.npy"))
    indices = np.load(os.path.join(directory, "indices.npy"))
    seeds = np.load(os.path.join(directory, "seeds.npy"))
    if indptr.ndim != 1 or indices.ndim != 1 or seeds.ndim != 2 or indptr[-1] != len(indices):
        sys.exit(f"{directory}: not a graph written by `matsample_compare prepare`")
    return indptr, indices, seeds


class CuGraphSampler:
    def __init__(self, cupy, plc, indptr, indices):
        self.cp = cupy
        self.plc = plc
        # SGGraph wants one integer type for offsets and indices: int32 while it fits.
        small = len(indices) < 2**31 and len(indptr) - 1 < 2**31
        self.vertex_type = np.int32 if small else np.int64
        self.handle = plc.ResourceHandle()
        self.graph = plc.SGGraph(
            resource_handle=self.handle,
            graph_properties=plc.GraphProperties(is_symmetric=True, is_multigraph=False),
            src_or_offset_array=cupy.asarray(indptr.astype(self.vertex_type)),
            dst_or_index_array=cupy.asarray(indices.astype(self.vertex_type)),
            weight_array=None,
            store_transposed=False,
            renumber=False,
            do_expensive_check=False,
            input_array_format="CSR",
        )
        self.fanouts = np.asarray(FANOUTS, dtype=np.int32)

    def sample(self, seeds, k, random_state):
        """One call on k minibatches of BATCH seeds (device arrays); returns the sampled edges."""
        labels = None
        if k > 1:
            labels = self.cp.arange(0, (k + 1) * BATCH, BATCH, dtype=self.cp.uint64)  # size_t offsets
        result = self.plc.homogeneous_uniform_neighbor_sample(
            self.handle, self.graph, seeds, labels, self.fanouts,
            with_replacement=False, do_expensive_check=False,
            prior_sources_behavior="carryover", deduplicate_sources=True,
            return_hops=True, renumber=False, compression="COO", random_state=random_state)
        return int(result["minors"].size)

    def run(self, seeds, k, batches):
        """Samples `batches` batches of `seeds` k at a time; returns (seconds, edges)."""
        cp = self.cp
        device = cp.asarray(seeds[:batches * BATCH].astype(self.vertex_type))
        seconds, edges = 0.0, 0
        for first in range(0, batches, k):
            call = device[first * BATCH:(first + k) * BATCH]
            cp.cuda.runtime.deviceSynchronize()
            t0 = time.perf_counter()
            edges += self.sample(call, k, random_state=first + 1)
            cp.cuda.runtime.deviceSynchronize()
            seconds += time.perf_counter() - t0
        return seconds, edges


def cugraph_rows(cupy, plc, graph_dir, ks, batches, runs):
    indptr, indices, seeds = load(graph_dir)
    need = max(batches, max(ks)) * BATCH
    if seeds.shape[0] < runs or seeds.shape[1] < need:
        sys.exit(f"{graph_dir}/seeds.npy holds {seeds.shape}: too few for {runs} runs of {need} seeds")
    log(f"cuGraph: building the graph ({len(indptr) - 1:,} vertices, {len(indices):,} directed edges)")
    sampler = CuGraphSampler(cupy, plc, indptr, indices)
    sampler.run(seeds[0], 1, 1)  # warm-up: kernels, pools
    rows = []
    for k in ks:
        count = max(batches, k) // k * k
        per_run = []
        for r in range(runs):
            seconds, edges = sampler.run(seeds[r], k, count)
            per_run.append((edges / seconds, 1e3 * seconds / count, edges / count))
            log(f"  cuGraph k={k} run {r}: {edges / seconds / 1e6:.1f} M edges/s")
        rows.append({"system": "cuGraph", "k": k, "batches": count, "runs": runs,
                     "edges_per_second": statistics.median(p[0] for p in per_run),
                     "ms_per_minibatch": statistics.median(p[1] for p in per_run),
                     "edges_per_minibatch": statistics.median(p[2] for p in per_run),
                     "version": getattr(plc, "__version__", "?")})
    return rows


def matsample_rows(bench, json_file, graph_dir, ks):
    if json_file:
        with open(json_file) as text:
            doc = json.load(text)
    else:
        pattern = "^BM_CudaNodewise/(" + "|".join(str(k) for k in ks) + ")/"
        env = dict(os.environ, MATSAMPLE_BENCH_GRAPH=graph_dir)
        log(f"matsample: {bench} --benchmark_filter={pattern}")
        done = subprocess.run([bench, f"--benchmark_filter={pattern}", "--benchmark_format=json"], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{bench} failed:\n{done.stderr[-3000:]}")
        doc = json.loads(done.stdout[done.stdout.index("{"):])  # after the graph line it prints
    rows = []
    for entry in doc.get("benchmarks", []):
        name = entry.get("name", "")
        if not name.startswith("BM_CudaNodewise/"):
            continue
        k = int(name.split("/")[1])
        if k not in ks:
            continue
        if entry.get("error_occurred"):
            rows.append({"system": "matsample", "k": k, "error": entry.get("error_message", "?")})
            continue
        rows.append({"system": "matsample", "k": k,
                     "edges_per_second": entry["edges_per_second"],
                     "ms_per_minibatch": entry["per_minibatch_us"] / 1e3,
                     "edges_per_minibatch": entry.get("edges_per_minibatch", float("nan"))})
    return rows


def markdown(graph_dir, rows):
    lines = [f"Graph {graph_dir}; fanouts 15,10,5, batch 1024, without replacement, de-duplicated frontiers.", "",
             "| system | k | sampled edges/s | ms per minibatch | edges per minibatch | matsample ÷ this |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['system']} | {row['k']} | skipped: {row['error']} | | | |")
            continue
        ratio = row.get("ratio")
        flag = " (edges differ by more than 2%)" if row.get("mismatch") else ""
        lines.append(f"| {row['system']} | {row['k']} | {row['edges_per_second'] / 1e6:.1f} M | "
                     f"{row['ms_per_minibatch']:.3f} | {row['edges_per_minibatch'] / 1e3:.1f} k{flag} | "
                     f"{'' if ratio is None else f'{ratio:.2f}'} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", required=True, help="a graph directory from `matsample_compare prepare`")
    parser.add_argument("--bench", default=os.path.join("build", "release", "bench", "matsample_cuda_bench"))
    parser.add_argument("--matsample-json", help="matsample_cuda_bench --benchmark_format=json output to read instead")
    parser.add_argument("--ks", default="1,64", help="minibatches per call, comma-separated")
    parser.add_argument("--batches", type=int, default=64, help="minibatches per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", help="write the rows here as JSON")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    cupy, plc = gpu_or_exit()

    graph_dir = os.path.abspath(args.graph)
    ours = matsample_rows(args.bench, args.matsample_json, graph_dir, ks)
    theirs = cugraph_rows(cupy, plc, graph_dir, ks, args.batches, args.runs)
    rows = []
    for k in ks:
        mine = next((r for r in ours if r["k"] == k), None)
        other = next(r for r in theirs if r["k"] == k)
        if mine is None:
            log(f"matsample's JSON has no BM_CudaNodewise/{k}")
        elif "error" not in mine:
            mine["ratio"] = 1.0
            other["ratio"] = mine["edges_per_second"] / other["edges_per_second"]
            other["mismatch"] = abs(other["edges_per_minibatch"] / mine["edges_per_minibatch"] - 1) > 0.02
            rows.append(mine)
        else:
            rows.append(mine)
        rows.append(other)
    text = markdown(graph_dir, rows)
    print(text)
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"graph": graph_dir, "rows": rows}, out, indent=1)


if __name__ == "__main__":
    main()
