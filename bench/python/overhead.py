"""Python's overhead over C++ for node-wise sampling: the same seeds, epochs
and minibatch numbers as `matsample_compare run --sampler nodewise --k 1
--batches 16 --runs 5` (fanouts 15,10,5, batch 1024, seed 1), timed around
each sampling call; prints the median run's ms per minibatch and run 0's
sampled edges (equal to the C++ count when the samples are the same).

    python bench/python/overhead.py build/compare/graphs/rmat-21-32 THREADS
"""
import sys, time, json
import numpy as np, matsample
g, T = sys.argv[1], int(sys.argv[2])
indptr = np.load(f"{g}/indptr.npy"); indices = np.load(f"{g}/indices.npy"); seeds = np.load(f"{g}/seeds.npy")
graph = matsample.Graph(indptr, indices)
s = matsample.NodewiseSampler(graph, fanouts=[15, 10, 5], seed=1, threads=T)
s.sample(seeds[0, :1024], batch_size=1024, epoch=1000, first_batch=0)  # warm-up, as the C++ side
runs = []
for r in range(5):
    secs, edges = 0.0, 0
    for b in range(16):
        t0 = time.perf_counter()
        out = s.sample(seeds[r, b * 1024:(b + 1) * 1024], batch_size=1024, epoch=r, first_batch=b)
        secs += time.perf_counter() - t0
        edges += out.num_edges
    runs.append((secs, edges))
med = sorted(runs)[2]
print(json.dumps({"T": T, "median_ms_per_minibatch": med[0] / 16 * 1e3, "edges_run0": runs[0][1]}))
