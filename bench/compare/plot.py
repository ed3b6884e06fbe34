"""Plots bench/compare's results.json: cost against graph size, against k,
and peak memory against graph size; or results-peers.json (--only peers):
matsample against DGL's NeighborSampler and GraphBolt.

    plot.py RESULTS.json OUT_DIR

Writes OUT_DIR/growth_time.png, OUT_DIR/time_vs_k.png, OUT_DIR/growth_memory.png
from results.json, and OUT_DIR/peers.png from results-peers.json.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"matsample node-wise, k=1": ("tab:blue", "o"), "DGL NeighborSampler": ("tab:orange", "s")}


def series(rows, label, key):
    chosen = sorted((r for r in rows if r["label"] == label), key=lambda r: r["graph_edges"])
    return [r["graph_edges"] for r in chosen], [key(r) for r in chosen]


def figure(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=(5.2, 3.4), dpi=110)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    return fig, ax


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(path)


def peers(doc, out):
    """Grouped bars: ms per minibatch of each system, per graph and thread count."""
    rows = doc["peers"]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    groups = list(dict.fromkeys((r["graph"], r["threads"]) for r in rows))
    fig, ax = figure("Node-wise sampling, fanouts 15,10,5, batch 1024", "", "ms per minibatch")
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        heights = [next(r["ms_per_minibatch"] for r in rows if r["label"] == label and (r["graph"], r["threads"]) == g)
                   for g in groups]
        ax.bar([j + (i - (len(labels) - 1) / 2) * width for j in range(len(groups))], heights, width, label=label)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{graph}\n{threads} thread{'s' if threads > 1 else ''}" for graph, threads in groups],
                       fontsize=8)
    ax.legend(fontsize=7)
    save(fig, os.path.join(out, "peers.png"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as source:
        doc = json.load(source)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if "peers" in doc:
        peers(doc, out)
        return
    growth = doc["growth"]

    fig, ax = figure("Time per minibatch against graph size (2 threads)", "directed edges of the graph",
                     "ms per minibatch")
    for label, (color, marker) in STYLE.items():
        x, y = series(growth, label, lambda r: r["ms_per_minibatch"])
        ax.plot(x, y, marker=marker, color=color, label=label)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    save(fig, os.path.join(out, "growth_time.png"))

    fig, ax = figure("Peak resident memory against graph size", "directed edges of the graph", "MB")
    for label, (color, marker) in STYLE.items():
        x, y = series(growth, label, lambda r: r["peak_rss_mb"])
        ax.plot(x, y, marker=marker, color=color, label=f"{label}: peak RSS")
        if label.startswith("DGL"):  # less the interpreter and libraries loaded before the graph
            x, y = series(growth, label, lambda r: r["peak_rss_mb"] - r["rss_baseline_mb"])
            ax.plot(x, y, marker=marker, color=color, linestyle=":", label=f"{label}: peak RSS less Python+torch+dgl")
    x, y = series(growth, "matsample node-wise, k=1", lambda r: r["csr_mb"])
    ax.plot(x, y, linestyle="--", color="gray", label="CSR (int64 offsets, int32 ids)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    save(fig, os.path.join(out, "growth_memory.png"))

    fig, ax = figure("matsample node-wise: minibatches per call (products-like, 2 threads)",
                     "k (minibatches per call)", "ms per minibatch")
    by_k = sorted(doc["by_k"], key=lambda r: r["k"])
    ax.plot([r["k"] for r in by_k], [r["ms_per_minibatch"] for r in by_k], marker="o", color="tab:blue")
    ax.set_xscale("log", base=2)
    ax.set_ylim(bottom=0)
    save(fig, os.path.join(out, "time_vs_k.png"))


if __name__ == "__main__":
    main()
