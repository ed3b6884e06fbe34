"""PyG's own GraphSAGE trained on Cora through matsample's sampler.

PyG's NodeLoader drives matsample.pyg.Sampler unchanged. The settings are
the C++ trainer's Cora run (docs/trainer.md): 2 layers, hidden 64, dropout
0.5 on every layer's input, Adam lr 0.01 and weight decay 5e-4, node-wise fanouts 10,10, batch 140
(the whole training split), 100 epochs, row-normalised features; the test
accuracy is read after the last epoch, on full neighbourhoods.

    python examples/python/pyg_cora.py --data ../shared/data/cora --seeds 1 2 3 4 5
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.loader import NodeLoader
from torch_geometric.nn import GraphSAGE

import matsample
from matsample.pyg import Sampler


def read_csv(path, dtype):
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=dtype, ndmin=1)


def load_cora(root, split="planetoid"):
    """Cora in OGB's raw layout: undirected edge lines, made symmetric here."""
    edges = read_csv(os.path.join(root, "raw", "edge.csv.gz"), np.int64).reshape(-1, 2).T
    x = read_csv(os.path.join(root, "raw", "node-feat.csv.gz"), np.float32)
    y = read_csv(os.path.join(root, "raw", "node-label.csv.gz"), np.int64).reshape(-1)
    x /= np.maximum(x.sum(axis=1, keepdims=True), 1)  # row-normalised bag of words
    data = Data(x=torch.from_numpy(x), y=torch.from_numpy(y),
                edge_index=torch.from_numpy(np.concatenate([edges, edges[::-1]], axis=1)), num_nodes=x.shape[0])
    for name in ("train", "valid", "test"):
        data[name] = torch.from_numpy(read_csv(os.path.join(root, "split", split, f"{name}.csv.gz"), np.int64))
    return data


def train(data, seed, epochs, fanouts, batch_size, threads):
    torch.manual_seed(seed)
    model = GraphSAGE(data.num_features, 64, num_layers=len(fanouts), out_channels=int(data.y.max()) + 1,
                      dropout=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    sampler = Sampler(data, matsample.NodewiseSampler, fanouts=fanouts, seed=seed, threads=threads)
    loader = NodeLoader(data, node_sampler=sampler, input_nodes=data.train, batch_size=batch_size, shuffle=True)
    for epoch in range(epochs):
        sampler.epoch = epoch  # fresh draws every epoch
        model.train()
        for batch in loader:
            optimizer.zero_grad()
            x = F.dropout(batch.x, p=0.5)  # the C++ trainer drops every layer's input; PyG's model skips the first
            out = model(x, batch.edge_index)[: batch.batch_size]
            F.cross_entropy(out, batch.y[: batch.batch_size]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        pred = model(data.x, data.edge_index).argmax(dim=1)
    return {name: float((pred[data[name]] == data.y[data[name]]).float().mean()) for name in ("valid", "test")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data",
                                                       "cora"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--fanouts", type=int, nargs="+", default=[10, 10])
    parser.add_argument("--batch", type=int, default=140)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(max(args.threads, 1) if args.threads else torch.get_num_threads())
    data = load_cora(args.data)
    tests = []
    for seed in args.seeds:
        start = time.perf_counter()
        result = train(data, seed, args.epochs, args.fanouts, args.batch, args.threads)
        tests.append(result["test"])
        print(f"seed {seed}: valid {result['valid']:.3f}, test {result['test']:.3f} "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
    if len(tests) > 1:
        print(f"test accuracy {np.mean(tests):.4f} +- {np.std(tests, ddof=1):.4f} over {len(tests)} seeds")


if __name__ == "__main__":
    main()
