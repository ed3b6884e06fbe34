"""Writes the tiny Planetoid file set in this folder (ind.cora.*), the
fixture of tests/get_cora.sh. It needs NumPy and SciPy (bench/compare's venv
has both); the files are committed, so the test does not.

13 vertices: 0-7 in allx (0-2 labelled in x/y), test ids 11, 8, 12, 9 in
that file order, and 10 an isolated vertex inside the test range (as in
CiteSeer). The graph has a duplicate edge, a self loop and one-way lists.
Feature and index arrays use protocol 0 (text, copy_reg), as the original
Python 2 files do; the label arrays use protocol 2 (binary, NEWOBJ).
"""
import collections
import os
import pickle

import numpy as np
import scipy.sparse as sp

here = os.path.dirname(os.path.abspath(__file__))
allx = np.zeros((8, 4), dtype=np.float32)
for v in range(8):
    allx[v, v % 4] = 1.0
allx[0, 3] = 0.5
tx = np.zeros((4, 4), dtype=np.float32)
for k in range(4):
    tx[k, k] = 2.0
ally = np.zeros((8, 3), dtype=np.int32)
for v in range(8):
    ally[v, v % 3] = 1
ty = np.zeros((4, 3), dtype=np.int64)
for k in range(4):
    ty[k, (k + 1) % 3] = 1
graph = collections.defaultdict(list)
for u, vs in {0: [1, 2, 2], 1: [0, 3], 2: [0, 2], 3: [1, 4], 4: [5], 5: [4, 6], 6: [5, 7], 7: [6, 8],
              8: [7, 9, 11], 9: [8, 12], 11: [8, 12], 12: [9, 11]}.items():
    graph[u] = vs
objects = {"x": (sp.csr_matrix(allx[:3]), 0), "allx": (sp.csr_matrix(allx), 0), "tx": (sp.csr_matrix(tx), 0),
           "y": (ally[:3], 2), "ally": (ally, 2), "ty": (ty, 2), "graph": (graph, 0)}
for name, (obj, protocol) in objects.items():
    with open(os.path.join(here, f"ind.cora.{name}"), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
with open(os.path.join(here, "ind.cora.test.index"), "w") as f:
    f.write("11\n8\n12\n9\n")
