#!/usr/bin/env bash
# graph_tool's statistics on a small edge list with every defect a user
# should see before training: a self loop, a duplicate edge, one-way edges;
# and --symmetrize / --merge-duplicates removing them. Then a user's own
# graph from start to finish: an edge list with sparse ids, labels and
# features in those ids, a random split, a snapshot, and (given the trainer)
# training on it, with and without its features.
#   tests/graph_tool.sh path/to/graph_tool [path/to/graphsage]
set -uo pipefail
tool=$1
trainer=${2:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/matsample-graph-tool-XXXXXX")
trap 'rm -rf "$dir"' EXIT
failed=0

# 0 -> 1 twice, 1 -> 0, 1 -> 2 (one way), 2 -> 2 (a self loop), 3 -> 0 (one way)
printf '0 1\n0 1\n1 0\n1 2\n2 2\n3 0\n' >"$dir/e.txt"

# check "ARGS" LINE...: graph_tool stats ARGS prints every LINE.
check() {
  local args=$1
  shift
  # shellcheck disable=SC2086
  if ! "$tool" stats "$dir/e.txt" $args >"$dir/out" 2>&1; then
    echo "FAILED: graph_tool stats $args exited non-zero:"; sed 's/^/  /' "$dir/out"; failed=1; return
  fi
  for line in "$@"; do
    if ! grep -qF -- "$line" "$dir/out"; then
      echo "FAILED: graph_tool stats $args lacks '$line'; output:"; sed 's/^/  /' "$dir/out"; failed=1
    fi
  done
}

check "" "edges (directed)  6" "self loops        1" "duplicate edges   1 " "one-way edges     2 (u -> v"
check "--merge-duplicates" "edges (directed)  5" "duplicate edges   0 " "one-way edges     2 "
check "--symmetrize --merge-duplicates" "edges (directed)  7" "duplicate edges   0 " \
  "one-way edges     0 (u -> v without v -> u; the graph is symmetric)" "self loops        1"
check "--symmetrize --merge-duplicates --drop-self-loops" "self loops        0" "edges (directed)  6"

# run WHAT COMMAND...: the command succeeds, else its output is shown.
run() {
  local what=$1
  shift
  if ! "$@" >"$dir/out" 2>&1; then
    echo "FAILED: $what: $*"; sed 's/^/  /' "$dir/out"; failed=1
  fi
}

# A 300-vertex ring with chords, ids 1000000007 * v (%.0f: awk's %d stops at 2^31), labels v % 3, features (v % 7, 1).
awk 'BEGIN { for (v = 0; v < 300; ++v) { printf "%.0f %.0f\n", 1000000007 * v, 1000000007 * ((v + 1) % 300);
                                         printf "%.0f %.0f\n", 1000000007 * v, 1000000007 * ((v * 7) % 300) } }' >"$dir/own.txt"
awk 'BEGIN { for (v = 0; v < 300; ++v) printf "%.0f %d\n", 1000000007 * v, v % 3 }' >"$dir/labels.txt"
awk 'BEGIN { for (v = 0; v < 300; ++v) printf "%.0f,%d,1\n", 1000000007 * v, v % 7 }' >"$dir/features.txt"
for copy in a b; do
  run "convert with tables and a random split" "$tool" convert "$dir/own.txt" "$dir/own-$copy.snap" --compact-ids \
    --symmetrize --merge-duplicates --labels "$dir/labels.txt" --features "$dir/features.txt" \
    --random-split 0.6,0.2,0.2 --split-seed 5
done
for line in "vertices          300" "features          2 per vertex" "classes           3" "split train       180 vertices" \
  "split valid       60 vertices" "split test        60 vertices" "one-way edges     0 "; do
  grep -qF -- "$line" "$dir/out" || { echo "FAILED: convert lacks '$line'"; sed 's/^/  /' "$dir/out"; failed=1; }
done
cmp -s "$dir/own-a.snap" "$dir/own-b.snap" || { echo "FAILED: the same --split-seed gave two snapshots"; failed=1; }
# The same tables as NumPy arrays (written without numpy, as numpy.save does):
# features and labels by vertex, the split by the file's ids.
python3 - "$dir" <<'PY'
import struct, sys
def save(path, descr, shape, fmt, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))
d = sys.argv[1]
save(d + "/features.npy", "<f4", "(300, 2)", "f", [x for v in range(300) for x in (v % 7, 1.0)])
save(d + "/labels.npy", "<i8", "(300,)", "q", [v % 3 for v in range(300)])
save(d + "/train.npy", "<i8", "(150,)", "q", [1000000007 * v for v in range(0, 300, 2)])
save(d + "/valid.npy", "<i8", "(150,)", "q", [1000000007 * v for v in range(1, 300, 2)])
PY
run "convert with .npy tables" "$tool" convert "$dir/own.txt" "$dir/own-npy.snap" --compact-ids --symmetrize \
  --merge-duplicates --labels "$dir/labels.npy" --features "$dir/features.npy" --split-file "train=$dir/train.npy" \
  --split-file "valid=$dir/valid.npy"
for line in "features          2 per vertex" "classes           3" "split train       150 vertices" \
  "split valid       150 vertices"; do
  grep -qF -- "$line" "$dir/out" || { echo "FAILED: .npy convert lacks '$line'"; sed 's/^/  /' "$dir/out"; failed=1; }
done

# Features as a vertex type: each feature column a vertex, each nonzero an edge
# (Cora as papers and words, here on the .npy features: v % 7 and 1.0).
run "features as a vertex type" "$tool" typed "$dir/own-npy.snap" "$dir/typed" --features-as-type column \
  --vertex-type user --relation follows --has-feature uses
for line in "vertices          302 of 2 types" "  user            300, 3 classes" "  column          2" \
  "user___uses___column                     557 entries" "column___rev_uses___user"; do
  grep -qF -- "$line" "$dir/out" || { echo "FAILED: typed lacks '$line'"; sed 's/^/  /' "$dir/out"; failed=1; }
done
run "stats of the typed directory" "$tool" stats "$dir/typed"
grep -qF "OGB heterogeneous layout" "$dir/out" || { echo "FAILED: typed stats"; sed 's/^/  /' "$dir/out"; failed=1; }
grep -qF "edges             " "$dir/out" || { echo "FAILED: typed stats lack edges"; sed 's/^/  /' "$dir/out"; failed=1; }
run "a typed directory into a typed snapshot" "$tool" convert "$dir/typed" "$dir/typed.snap"
grep -qF "(typed snapshot" "$dir/out" || { echo "FAILED: typed convert"; sed 's/^/  /' "$dir/out"; failed=1; }
[[ -s $dir/typed.snap ]] || { echo "FAILED: no typed snapshot written"; failed=1; }

if [[ -n $trainer ]]; then
  run "training on the converted graph" "$trainer" --data "$dir/own-a.snap" --epochs 2 --threads 2
  grep -qF "inputs: data" "$dir/out" || { echo "FAILED: trainer did not read the features"; cat "$dir/out"; failed=1; }
  run "training on degree features" "$trainer" --data "$dir/own-a.snap" --epochs 2 --threads 2 --input-features degree
  grep -qF "inputs: degree" "$dir/out" || { echo "FAILED: trainer did not use degrees"; cat "$dir/out"; failed=1; }
  run "a graph without features" "$tool" convert "$dir/own.txt" "$dir/bare.snap" --compact-ids --symmetrize \
    --labels "$dir/labels.txt" --random-split 0.6,0.2,0.2
  run "training on a graph without features" "$trainer" --data "$dir/bare.snap" --epochs 2 --threads 2
  grep -qF "inputs: degree" "$dir/out" || { echo "FAILED: auto did not pick degrees"; cat "$dir/out"; failed=1; }
  run "learned embeddings on a graph without features" "$trainer" --data "$dir/bare.snap" --epochs 2 --threads 2 \
    --input-features embedding --embedding-dim 8
  grep -qF "inputs: embedding (8 per vertex, 2400 more parameters)" "$dir/out" ||
    { echo "FAILED: no embedding inputs"; cat "$dir/out"; failed=1; }
fi

((failed)) && exit 1
echo "graph_tool: every defect counted; an own graph converted${trainer:+ and trained on}"
