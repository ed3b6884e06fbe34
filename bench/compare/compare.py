"""Runs matsample and its peers on the same graphs and writes the results.

Called by bench/compare/run (which builds the venv and the C++ targets);
run it directly only with that venv's python:

    compare.py --build BUILD_DIR --out OUT_DIR [--quick] [--shared-data DIR]
                [--only labor|link|python|peers|typed] [--default-allocator]

Graphs are prepared once by `matsample_compare prepare` and cached under
OUT_DIR/graphs. Every measurement is a separate process (so its peak memory
is its own) with OMP_NUM_THREADS set to its thread count. Writes
OUT_DIR/results.json and OUT_DIR/results.md and prints where they are.
With --only python it runs just the Python-to-Python comparison (the
matsample package and DGL, both from Python, with matsample's C++ driver
beside them). With --only labor it runs just the LABOR comparison (matsample's LABOR-0
against DGL's LaborSampler, node-wise beside them) and writes
OUT_DIR/results-labor.{json,md}. With --only peers it runs just the node-wise
rows against DGL's NeighborSampler and GraphBolt (int64 and int32 ids).
With --only typed it runs just the typed comparison (matsample's typed
node-wise sampler against DGL's NeighborSampler on a heterograph) on its own
typed CSBM graph of about 60M entries.
Every process keeps freed memory (matsample::retain_freed_memory, and the
same glibc thresholds as GLIBC_TUNABLES for the Python processes) unless
--default-allocator is given.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = [1, 2]
PRODUCTS = ("rmat-21-32", ["--rmat", "21", "--edge-factor", "32"])  # ~2.1M vertices, ~120M directed edges
GROWTH = [(f"rmat-{s}-16", ["--rmat", str(s), "--edge-factor", "16"]) for s in (16, 18, 20, 22, 23)]
KS = [1, 2, 4, 8, 16, 32, 64]
# A typed graph of ~60M entries: 2.5M papers, 1.25M authors, 2,000 fields (typed_csbm's academic schema).
TYPED = ("typed-csbm-2.5m", ["--typed-csbm", "2500000"])
# matsample::retain_freed_memory's defaults (32 MiB, 1 GiB) as glibc tunables.
RETAIN_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"


THP = "/sys/kernel/mm/transparent_hugepage/enabled"


def log(message):
    print(message, file=sys.stderr, flush=True)


def thp_mode():
    """The system's transparent-huge-page mode ("always", "madvise" or "never"), or None."""
    try:
        with open(THP) as f:
            return f.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        return None


@contextlib.contextmanager
def thp_always():
    """Transparent huge pages for every process while inside (root only), restored after: the peers
    allocate their graph with plain malloc, so this is how they get 2 MiB pages. Yields whether it
    could be set."""
    before = thp_mode()
    if before is None or not os.access(THP, os.W_OK):
        yield False
        return
    try:
        with open(THP, "w") as f:
            f.write("always")
        yield True
    finally:
        with open(THP, "w") as f:
            f.write(before)


class Runner:
    def __init__(self, args):
        self.build = args.build
        self.out = args.out
        self.quick = args.quick
        self.batches = 16 if args.quick else 64
        self.ladies_batches = 4 if args.quick else 8
        self.runs = 5
        self.driver = os.path.join(self.build, "bench", "matsample_compare")
        self.graphs = os.path.join(self.out, "graphs")
        # Every process keeps freed memory (glibc's mmap and trim thresholds):
        # matsample's driver by matsample::retain_freed_memory, the Python
        # processes by the same thresholds as GLIBC_TUNABLES. Same settings
        # for every system; --default-allocator measures glibc's defaults.
        self.retain = not args.default_allocator

    def env(self, threads):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), DGLBACKEND="pytorch")
        if self.retain:
            env["GLIBC_TUNABLES"] = RETAIN_TUNABLES
        return env

    def prepare(self, name, source):
        directory = os.path.join(self.graphs, name)
        if not all(os.path.exists(os.path.join(directory, f)) for f in ("graph.json", "edges.npy")):
            log(f"preparing {name} ...")
            subprocess.run([self.driver, "prepare", *source, "--out", directory], check=True, stdout=sys.stderr)
        with open(os.path.join(directory, "graph.json")) as meta:
            return dict(json.load(meta), name=name, dir=directory)

    def prepare_typed(self, name, source):
        directory = os.path.join(self.graphs, name)
        if not all(os.path.exists(os.path.join(directory, f)) for f in ("typed.json", "seeds.npy")):
            log(f"preparing {name} ...")
            subprocess.run([self.driver, "prepare", *source, "--out", directory], check=True, stdout=sys.stderr)
        with open(os.path.join(directory, "typed.json")) as meta:
            meta = json.load(meta)
        return dict(meta, name=name, dir=directory, vertices=sum(t["count"] for t in meta["types"]))

    def measure(self, command, threads, label):
        log(f"  {label}, {threads} thread(s)")
        done = subprocess.run(command, env=self.env(threads), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def matsample(self, graph, threads, k=1, sampler="nodewise", huge_pages=True, extra=()):
        batches = self.ladies_batches if sampler == "ladies" else self.batches
        command = [self.driver, "run", "--graph", graph["dir"], "--sampler", sampler, "--k", str(k), "--threads",
                   str(threads), "--batches", str(max(batches, k)), "--runs", str(self.runs),
                   "--huge-pages", "1" if huge_pages else "0", "--retain-freed-memory", "1" if self.retain else "0",
                   *extra]
        pages = "" if huge_pages else ", 4 KiB pages"
        return self.measure(command, threads, f"matsample {sampler} k={k}{pages} {' '.join(extra)} on {graph['name']}")

    def peer(self, system, graph, threads, extra=()):
        command = [sys.executable, os.path.join(HERE, "peers.py"), "--system", system, "--graph", graph["dir"],
                   "--threads", str(threads), "--batches", str(self.batches), "--runs", str(self.runs), *extra]
        return self.measure(command, threads, f"{system} {' '.join(extra)} on {graph['name']}")

    def gather_rate(self, threads):
        """The machine's random-gather rate and matsample's time per step (sampling, compaction, per
        layer, k=1), from matsample_bench on its own graph (R-MAT scale 21, edge factor 16)."""
        log(f"  random gather and node-wise steps, {threads} thread(s)")
        bench = os.path.join(self.build, "bench", "matsample_bench")
        done = subprocess.run([bench, "--benchmark_filter=^BM_RandomGather|^BM_NodewiseSteps/1/",
                               "--benchmark_format=json"], env=self.env(threads), capture_output=True, text=True,
                              check=True)
        gather, steps = json.loads(done.stdout)["benchmarks"]
        return {"system": "random gather", "threads": threads, "loads_per_second": gather["loads_per_second"],
                "cpu_utilization": gather["cpu_utilization"],
                "nodewise_steps_ms": {key: value for key, value in steps.items() if key.endswith("_ms")}}


def summarize(result, graph, label):
    """Adds the medians over runs to a measurement."""
    per_run = [(r["edges"] / r["seconds"], 1e3 * r["seconds"] / result["batches"], r["edges"] / result["batches"])
               for r in result["runs"]]
    out = dict(result, label=label, graph=graph["name"], graph_vertices=graph["vertices"],
               graph_edges=graph["directed_edges"],
               edges_per_second=statistics.median(p[0] for p in per_run),
               ms_per_minibatch=statistics.median(p[1] for p in per_run),
               edges_per_minibatch=statistics.median(p[2] for p in per_run))
    if all("input_nodes" in r for r in result["runs"]):
        out["input_nodes_per_minibatch"] = statistics.median(r["input_nodes"] / result["batches"] for r in result["runs"])
    return out


def check_blocks(group):
    """DGL's blocks and matsample's are the same sampler on the same seeds: their edges per minibatch
    agree to well within 1% (the draws differ). A larger gap is a wrong sample, not a speed."""
    reference = group[0]["edges_per_minibatch"]
    for row in group:
        if row["label"].startswith("DGL") and abs(row["edges_per_minibatch"] / reference - 1) > 0.02:
            raise RuntimeError(f"{row['label']} on {row['graph']} ({row['threads']} threads) sampled "
                               f"{row['edges_per_minibatch']:.0f} edges per minibatch, matsample {reference:.0f}")


def graphbolt_rows(runner, graph, threads):
    """DGL's current sampler (dgl.graphbolt) with int64 and int32 ids."""
    return [summarize(runner.peer("graphbolt", graph, threads), graph, "DGL GraphBolt, int64"),
            summarize(runner.peer("graphbolt-int32", graph, threads), graph, "DGL GraphBolt, int32")]


def peer_rows(runner, graphs):
    """The node-wise comparison alone: matsample at k=1 and k=64, DGL's NeighborSampler and GraphBolt.
    Ratios are matsample k=1 ÷ each row's rate, within one run."""
    rows = []
    for graph in graphs:
        for threads in THREADS:
            group = [summarize(runner.matsample(graph, threads, 1), graph, "matsample node-wise, k=1"),
                     summarize(runner.matsample(graph, threads, 64), graph, "matsample node-wise, k=64"),
                     summarize(runner.peer("dgl", graph, threads), graph, "DGL NeighborSampler"),
                     *graphbolt_rows(runner, graph, threads)]
            check_blocks(group)
            for row in group:
                row["ratio"] = group[0]["edges_per_second"] / row["edges_per_second"]
            rows += group
    return rows


def peers_markdown(doc):
    return (f"Measured {doc['date']} on {doc['machine']['cpu']} ({doc['machine']['cpus']} CPUs); "
            f"{doc['workload']}.\n\n" + rows_markdown(doc["peers"], "matsample k=1 ÷ this"))


def labor_rows(runner, graphs):
    """matsample's LABOR-0 and DGL's LaborSampler on the same seeds, with node-wise sampling beside them
    for the vertices LABOR saves. Ratios are matsample LABOR k=1 ÷ each row's rate, within one run."""
    rows = []
    for graph in graphs:
        for threads in THREADS:
            group = [summarize(runner.matsample(graph, threads, 1, "labor"), graph, "matsample LABOR-0, k=1"),
                     summarize(runner.matsample(graph, threads, 64, "labor"), graph, "matsample LABOR-0, k=64"),
                     summarize(runner.peer("dgl-labor", graph, threads), graph, "DGL LaborSampler"),
                     summarize(runner.matsample(graph, threads, 1), graph, "matsample node-wise, k=1")]
            check_blocks(group[:3])
            for row in group:
                row["ratio"] = group[0]["edges_per_second"] / row["edges_per_second"]
            rows += group
    return rows


def link_rows(runner, graphs):
    """Link prediction minibatches: matsample's link_sampler and DGL's as_edge_prediction_sampler on the
    same seed edges (1024 per minibatch, one uniform negative each, the seed edges and their reverses
    excluded, node-wise fanouts 15,10,5). Ratios are matsample k=1 ÷ each row's rate, within one run."""
    rows = []
    for graph in graphs:
        for threads in THREADS:
            group = [summarize(runner.matsample(graph, threads, 1, "link"), graph, "matsample link, k=1"),
                     summarize(runner.matsample(graph, threads, 64, "link"), graph, "matsample link, k=64"),
                     summarize(runner.peer("dgl-link", graph, threads), graph, "DGL as_edge_prediction_sampler")]
            check_blocks(group)
            for row in group:
                row["ratio"] = group[0]["edges_per_second"] / row["edges_per_second"]
            rows += group
    return rows


def typed_rows(runner, graphs):
    """Typed node-wise sampling: matsample's typed_nodewise_sampler and DGL's NeighborSampler on a
    heterograph of the same relations, the same paper seeds and the same fanouts for every relation (10,5
    and 15,10,5).
    Ratios are matsample k=1 ÷ each row's rate, within one run."""
    graph = runner.prepare_typed(*TYPED)
    rows = []
    for fanouts in ("10,5", "15,10,5"):  # two hops, and the three of the other comparisons
        extra = ("--fanouts", fanouts)
        for threads in THREADS:
            group = [summarize(runner.matsample(graph, threads, 1, "typed", extra=extra), graph,
                               f"matsample typed node-wise, k=1, fanouts {fanouts}"),
                     summarize(runner.peer("dgl-hetero", graph, threads, extra=extra), graph,
                               f"DGL NeighborSampler, heterograph, fanouts {fanouts}")]
            check_blocks(group)
            for row in group:
                row["ratio"] = group[0]["edges_per_second"] / row["edges_per_second"]
            rows += group
    graphs.append(graph)
    return rows


def typed_markdown(doc):
    return (f"Measured {doc['date']} on {doc['machine']['cpu']} ({doc['machine']['cpus']} CPUs); "
            f"{doc['workload']}.\n\n" + rows_markdown(doc["typed"], "matsample typed k=1 ÷ this"))


def python_rows(runner, graphs):
    """Python to Python: the matsample package and DGL, both called from Python on the same seeds, one
    minibatch per call (node-wise, and link prediction), with matsample's C++ driver beside them for the
    binding's cost. Ratios are matsample from Python ÷ each row's rate, within one run."""
    rows = []
    for graph in graphs:
        for threads in THREADS:
            for system, sampler, peer, peer_label in (("matsample-python", "nodewise", "dgl", "DGL NeighborSampler"),
                                                      ("matsample-python-link", "link", "dgl-link",
                                                       "DGL as_edge_prediction_sampler")):
                name = "node-wise" if sampler == "nodewise" else "link"
                group = [summarize(runner.peer(system, graph, threads), graph, f"matsample from Python, {name}"),
                         summarize(runner.matsample(graph, threads, 1, sampler), graph,
                                   f"matsample from C++, {name}, k=1"),
                         summarize(runner.peer(peer, graph, threads), graph, peer_label)]
                check_blocks(group)
                for row in group:
                    row["ratio"] = group[0]["edges_per_second"] / row["edges_per_second"]
                rows += group
    return rows


def rows_markdown(rows, ratio):
    """One comparison's table: rates, sizes and each row's ratio, headed `ratio`."""
    lines = ["| system | graph | threads | sampled edges/s | ms per minibatch | edges per minibatch | "
             f"input vertices per minibatch | {ratio} |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['label']} | {row['graph']} | {row['threads']} | {fmt_rate(row['edges_per_second'])} | "
                     f"{row['ms_per_minibatch']:.2f} | {row['edges_per_minibatch'] / 1e3:.1f} k | "
                     f"{row.get('input_nodes_per_minibatch', 0) / 1e3:.1f} k | {row['ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def python_markdown(doc):
    return (f"Measured {doc['date']} on {doc['machine']['cpu']} ({doc['machine']['cpus']} CPUs); "
            f"{doc['workload']}.\n\n" + rows_markdown(doc["python"], "matsample from Python ÷ this"))


def link_markdown(doc):
    return rows_markdown(doc["link"], "matsample link k=1 ÷ this")


def labor_markdown(doc):
    return (f"Measured {doc['date']} on {doc['machine']['cpu']} ({doc['machine']['cpus']} CPUs); "
            f"{doc['workload']}.\n\n" + rows_markdown(doc["labor"], "matsample LABOR k=1 ÷ this"))


def pyg_status():
    try:
        import torch_geometric  # noqa: F401
        import torch_sparse  # noqa: F401
        return None
    except Exception as error:  # any import failure means PyG's sampler cannot run here
        path = os.environ.get("MATSAMPLE_PYG_LOG", "")
        reason = f"{type(error).__name__}: {error}"
        if path and os.path.exists(path):
            with open(path) as text:
                reason += "\n" + text.read()[-2000:]
        return reason


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    info = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in lscpu.splitlines() if ":" in line}
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {"cpu": info.get("Model name", "?"), "cpus": info.get("CPU(s)", "?"),
            "l2": info.get("L2 cache", "?"), "l3": info.get("L3 cache", "?"),
            "memory_gib": round(total_kb / 2**20, 1), "kernel": platform.release(), "python": platform.python_version()}


def fmt_rate(x):
    return f"{x / 1e6:.1f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def markdown(doc):
    lines = [f"Measured {doc['date']} on {doc['machine']['cpu']} ({doc['machine']['cpus']} CPUs, "
             f"{doc['machine']['memory_gib']} GiB, transparent huge pages: {doc['machine'].get('thp')}); "
             f"{doc['workload']}.", "",
             "| system | graph | threads | sampled edges/s | ms per minibatch | edges per minibatch | "
             "matsample k=1 ÷ this | peak RSS (MB) | in 2 MiB pages (MB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in doc["rows"]:
        lines.append(f"| {row['label']} | {row['graph']} | {row['threads']} | {fmt_rate(row['edges_per_second'])} | "
                     f"{row['ms_per_minibatch']:.2f} | {row['edges_per_minibatch'] / 1e3:.0f} k | "
                     f"{row['ratio']:.2f} | {row['peak_rss_mb']:.0f} | {row.get('anon_huge_mb', -1):.0f} |")
    lines += ["", "| random gather | threads | loads/s | cpu utilization |", "|---|---:|---:|---:|"]
    for g in doc["gather"]:
        lines.append(f"| R-MAT scale 21 column array (63.5M int32) | {g['threads']} | "
                     f"{fmt_rate(g['loads_per_second'])} | {g['cpu_utilization']:.2f} |")
    lines += ["", "Where a minibatch's time goes (ms per minibatch, k=1):", "",
              "| system | graph | threads | steps |", "|---|---|---:|---|"]
    for g in doc["gather"]:
        steps = ", ".join(f"{k[:-3]} {v:.2f}" for k, v in g["nodewise_steps_ms"].items())
        lines.append(f"| matsample (matsample_bench BM_NodewiseSteps) | R-MAT scale 21, edge factor 16 | "
                     f"{g['threads']} | {steps} |")
    for row in doc["rows"]:
        if row.get("steps_ms"):
            steps = ", ".join(f"{k[:-3]} {v:.2f}" for k, v in row["steps_ms"].items())
            lines.append(f"| {row['label']} | {row['graph']} | {row['threads']} | {steps} |")
    lines += ["", "Graphs:", ""]
    for g in doc["graphs"]:
        lines.append(f"- {g['name']}: {g['origin']}; {g['vertices']:,} vertices, {g['directed_edges']:,} directed "
                     f"edges (CSR {g['csr_bytes'] / 1e6:.0f} MB)")
    lines += ["", "Growth (matsample node-wise k=1 and DGL, 2 threads):", "",
              "| system | graph | directed edges | ms per minibatch | edges per minibatch | "
              "peak RSS sampling (MB) | RSS before the graph (MB) | CSR (MB) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in doc["growth"]:
        baseline = f"{row['rss_baseline_mb']:.0f}" if "rss_baseline_mb" in row else "—"
        lines.append(f"| {row['label']} | {row['graph']} | {row['graph_edges']:,} | {row['ms_per_minibatch']:.2f} | "
                     f"{row['edges_per_minibatch'] / 1e3:.0f} k | {row['peak_rss_mb']:.0f} | {baseline} | "
                     f"{row['csr_mb']:.0f} |")
    lines += ["", "Minibatches per call (matsample node-wise, products-like graph, 2 threads):", "",
              "| k | ms per minibatch | sampled edges/s | peak RSS (MB) |", "|---:|---:|---:|---:|"]
    for row in doc["by_k"]:
        lines.append(f"| {row['k']} | {row['ms_per_minibatch']:.2f} | {fmt_rate(row['edges_per_second'])} | "
                     f"{row['peak_rss_mb']:.0f} |")
    if doc["pyg"]:
        lines += ["", "PyTorch Geometric was not measured: " + doc["pyg"].splitlines()[0]]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="CMake build directory holding bench/matsample_compare")
    parser.add_argument("--out", required=True, help="where graphs and results go")
    parser.add_argument("--shared-data", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    parser.add_argument("--quick", action="store_true", help="16 batches per run, growth graphs up to R-MAT scale 20")
    parser.add_argument("--default-allocator", action="store_true",
                        help="glibc's default allocator settings in every process (default: freed memory kept)")
    parser.add_argument("--only", choices=["labor", "link", "python", "peers", "typed"],
                        help="run one comparison alone")
    args = parser.parse_args()
    runner = Runner(args)
    os.makedirs(runner.graphs, exist_ok=True)
    workload = (f"fanouts 15,10,5 from the seeds outwards, batch 1024, {runner.batches} minibatches of "
                f"shuffled non-isolated seeds per run (LADIES: {runner.ladies_batches}), median of "
                f"{runner.runs} runs, sampling calls timed alone, "
                + ("glibc's default allocator settings" if not runner.retain else
                   "freed memory kept in every process (mmap threshold 32 MiB, trim threshold 1 GiB)"))

    pyg = pyg_status()
    peers = ["dgl"] + (["pyg"] if pyg is None else [])
    graphs = []
    twitter = os.path.join(args.shared_data, "ego-twitter")
    if args.only == "typed":
        pass  # its own graph only
    elif os.path.isdir(twitter):
        graphs.append(runner.prepare("ego-twitter", ["--ogb", twitter]))
    else:
        log(f"{twitter} not found: ego-Twitter is left out")
    if args.only != "typed":
        graphs.append(runner.prepare(*PRODUCTS))
    if args.only:
        rows = {"labor": labor_rows, "link": link_rows, "python": python_rows, "peers": peer_rows,
                "typed": typed_rows}[args.only](runner, graphs)
        doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": dict(machine(), thp=thp_mode()), "workload": workload, "graphs": graphs,
               args.only: rows}
        for g in doc["graphs"]:
            g.pop("dir", None)
        with open(os.path.join(args.out, f"results-{args.only}.json"), "w") as out:
            json.dump(doc, out, indent=1)
        with open(os.path.join(args.out, f"results-{args.only}.md"), "w") as out:
            out.write({"labor": labor_markdown, "link": link_markdown, "python": python_markdown,
                       "peers": peers_markdown, "typed": typed_markdown}[args.only](doc))
        print(f"results: {os.path.join(args.out, f'results-{args.only}.md')}")
        return
    growth_graphs = [runner.prepare(*g) for g in (GROWTH[:3] if args.quick else GROWTH)]

    gather = [runner.gather_rate(t) for t in THREADS]
    rows = []
    for graph in graphs:
        for threads in THREADS:
            group = [summarize(runner.matsample(graph, threads, 1), graph, "matsample node-wise, k=1"),
                     summarize(runner.matsample(graph, threads, 64), graph, "matsample node-wise, k=64"),
                     summarize(runner.matsample(graph, threads, 1, "ladies"), graph,
                               "matsample LADIES (512 per layer), k=1")]
            if graph["name"] == PRODUCTS[0]:  # what huge pages give matsample, and DGL given them too
                group.append(summarize(runner.matsample(graph, threads, 1, huge_pages=False), graph,
                                       "matsample node-wise, k=1, 4 KiB pages"))
            for system in list(peers):
                label = "DGL NeighborSampler" if system == "dgl" else "PyG NeighborLoader"
                try:
                    group.append(summarize(runner.peer(system, graph, threads), graph, label))
                except RuntimeError as error:
                    if system == "dgl":
                        raise
                    pyg = f"its run failed: {error}"  # recorded in the results, PyG left out from here on
                    peers.remove(system)
            group += graphbolt_rows(runner, graph, threads)
            if graph["name"] == PRODUCTS[0]:
                with thp_always() as forced:
                    if forced:
                        group.append(summarize(runner.peer("dgl", graph, threads), graph,
                                               "DGL NeighborSampler, THP always"))
            check_blocks(group)
            base = group[0]["edges_per_second"]
            for row in group:
                row["ratio"] = base / row["edges_per_second"]
            rows += group
    for row in rows:
        rate = next(g["loads_per_second"] for g in gather if g["threads"] == row["threads"])
        row["gather_ratio"] = row["edges_per_second"] / rate

    growth = []
    for graph in growth_graphs:
        growth.append(summarize(runner.matsample(graph, 2, 1), graph, "matsample node-wise, k=1"))
        growth.append(summarize(runner.peer("dgl", graph, 2), graph, "DGL NeighborSampler"))
        check_blocks(growth[-2:])
    products = next(g for g in graphs if g["name"] == PRODUCTS[0])
    by_k = [summarize(runner.matsample(products, 2, k), products, f"matsample node-wise, k={k}") for k in KS]

    versions = {}
    for row in rows + growth:
        versions.update(row.get("versions", {}))
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": dict(machine(), thp=thp_mode()), "versions": versions, "quick": args.quick,
           "workload": workload, "pyg": pyg, "graphs": graphs + growth_graphs, "rows": rows, "gather": gather, "growth": growth,
           "by_k": by_k, "labor": labor_rows(runner, graphs), "link": link_rows(runner, graphs),
           "python": python_rows(runner, graphs), "typed": typed_rows(runner, graphs)}
    for g in doc["graphs"]:
        g.pop("dir", None)
    with open(os.path.join(args.out, "results.json"), "w") as out:
        json.dump(doc, out, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as out:
        out.write("From Python:\n\n" + python_markdown(doc) + "\n" + markdown(doc) + "\nLABOR:\n\n" +
                  labor_markdown(doc) + "\nLink prediction:\n\n" + link_markdown(doc) + "\nTyped graphs:\n\n" +
                  typed_markdown(doc))
    print(f"results: {os.path.join(args.out, 'results.md')} and {os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    main()
