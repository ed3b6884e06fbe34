#!/usr/bin/env bash
# scripts/get-cora's converter, offline, on the tiny Planetoid file set in
# tests/data/planetoid (see make_fixture.py there): the OGB files it writes,
# byte for byte in content; a pickle that names anything but arrays is
# refused; and (given the tools) graph_tool and the trainer read the result.
#   tests/get_cora.sh SOURCE_DIR [path/to/graph_tool [path/to/graphsage]]
set -uo pipefail
source_dir=$1
tool=${2:-}
trainer=${3:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/matsample-get-cora-XXXXXX")
trap 'rm -rf "$dir"' EXIT
failed=0

if ! "$source_dir/scripts/get-cora" --from "$source_dir/tests/data/planetoid" --dest "$dir/cora" >"$dir/out" 2>&1; then
  echo "FAILED: get-cora --from the fixture:"; sed 's/^/  /' "$dir/out"; exit 1
fi
grep -qF "13 vertices, 12 undirected edges, 4 features, 3 classes, split planetoid 3/5/4" "$dir/out" ||
  { echo "FAILED: summary line:"; cat "$dir/out"; failed=1; }

# expect FILE CONTENT: the gunzipped FILE, lines joined by spaces, is CONTENT.
expect() {
  local got
  got=$(zcat "$dir/cora/$1" | tr '\n' ' ' | sed 's/ $//')
  [[ "$got" == "$2" ]] || { echo "FAILED: $1 is '$got', expected '$2'"; failed=1; }
}
# undirected, each edge once with u < v: the duplicate 0-2, the self loop 2-2
# and the one-way list 4 -> 5 are folded in; 10 is isolated
expect raw/edge.csv.gz "0,1 0,2 1,3 3,4 4,5 5,6 6,7 7,8 8,9 8,11 9,12 11,12"
expect raw/num-node-list.csv.gz "13"
expect raw/num-edge-list.csv.gz "12"
# test rows come back to their ids (tx row k is vertex 11, 8, 12, 9 in turn); 10 is all zeros
expect raw/node-feat.csv.gz "1,0,0,0.5 0,1,0,0 0,0,1,0 0,0,0,1 1,0,0,0 0,1,0,0 0,0,1,0 0,0,0,1 0,2,0,0 0,0,0,2 0,0,0,0 2,0,0,0 0,0,2,0"
expect raw/node-label.csv.gz "0 1 2 0 1 2 0 1 2 1 0 1 0"
expect split/planetoid/train.csv.gz "0 1 2"
expect split/planetoid/valid.csv.gz "3 4 5 6 7"
expect split/planetoid/test.csv.gz "8 9 11 12"

# A pickle that would call a function (here os.getcwd) is refused, not run.
mkdir -p "$dir/evil"
cp "$source_dir"/tests/data/planetoid/ind.cora.* "$dir/evil/"
python3 -c 'import os, pickle, sys; open(sys.argv[1], "wb").write(pickle.dumps(os.getcwd, protocol=0))' "$dir/evil/ind.cora.graph"
if "$source_dir/scripts/get-cora" --from "$dir/evil" --dest "$dir/evil-out" >"$dir/out" 2>&1; then
  echo "FAILED: get-cora accepted a pickle naming os.getcwd"; failed=1
elif ! grep -q "not a Planetoid file set (UnpicklingError: unexpected type posix.getcwd" "$dir/out"; then
  echo "FAILED: the refusal does not say why:"; sed 's/^/  /' "$dir/out"; failed=1
fi

if [[ -n "$tool" ]]; then
  if ! "$tool" stats "$dir/cora" >"$dir/out" 2>&1 || ! grep -qF "vertices          13" "$dir/out"; then
    echo "FAILED: graph_tool stats on the converted graph:"; sed 's/^/  /' "$dir/out"; failed=1
  fi
fi
if [[ -n "$trainer" ]]; then
  if ! "$trainer" --data "$dir/cora" --split planetoid --epochs 1 --batch 2 --fanouts 2 2 --hidden 4 \
    --threads 1 >"$dir/out" 2>&1; then
    echo "FAILED: graphsage on the converted graph:"; sed 's/^/  /' "$dir/out"; failed=1
  fi
fi
[[ $failed == 0 ]] && echo "get-cora: converter output as expected"
exit $failed
