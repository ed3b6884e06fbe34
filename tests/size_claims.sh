#!/usr/bin/env bash
# Inputs that lie about their size, through graph_tool under a 4 GB
# address-space limit (ulimit -v): each ends in a clear error (exit 1, a
# message naming the file, line and claim) within seconds, never in an
# abort, a kill or std::bad_alloc. Then the same sparse-id file loads with
# --compact-ids, and a small honest input loads under the same limit.
# With a second argument, the trainer gets the lying OGB directory too.
#   tests/size_claims.sh path/to/graph_tool [path/to/graphsage]
set -uo pipefail
tool=$1
trainer=${2:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/matsample-size-claims-XXXXXX")
trap 'rm -rf "$dir"' EXIT
failed=0

# expect STATUS TEXT -- ARGS...: graph_tool ARGS exits with STATUS within 20 s and prints TEXT.
expect() { expect_from "$tool" "$@"; }
expect_from() {
  local program=$1 status=$2 text=$3
  shift 4
  local start=$SECONDS
  (ulimit -v 4194304; exec timeout 60 "$program" "$@") >"$dir/out" 2>&1
  local rc=$? took=$((SECONDS - start))
  local name
  name=$(basename "$program")
  if [[ $rc -ne $status ]] || ! grep -qF -- "$text" "$dir/out" || ((took > 20)); then
    echo "FAILED: $name $* -> exit $rc after ${took} s (expected $status and '$text'); output:"
    sed 's/^/  /' "$dir/out"
    failed=1
  else
    echo "ok: $name $* -> exit $rc in ${took} s: $(grep -F -- "$text" "$dir/out" | head -n 1 | cut -c1-200)"
  fi
}

printf '0 1\n1 2000000000\n' >"$dir/e2g.txt"
printf '0 1\n1 3000000000\n' >"$dir/e3g.txt"
printf '0 1\n2 99999999999\n' >"$dir/e1e11.txt"
printf '0 1\n99999999999999999999 1\n' >"$dir/e1e20.txt"
printf '%%%%MatrixMarket matrix coordinate pattern general\n2000000000 2000000000 1\n1 2\n' >"$dir/rows.mtx"
printf '%%%%MatrixMarket matrix coordinate pattern general\n3 3 1000000000\n1 2\n' >"$dir/entries.mtx"
mkdir -p "$dir/ogb/raw"
printf '0,1\n1,2\n' >"$dir/ogb/raw/edge.csv"
printf '2000000000\n' | gzip >"$dir/ogb/raw/num-node-list.csv.gz"

expect 1 "e2g.txt:2: target id 2000000000 implies 2000000001 vertices" -- stats "$dir/e2g.txt"
expect 1 "--compact-ids" -- stats "$dir/e2g.txt"
expect 1 "e3g.txt:2: target id 3000000000 implies" -- stats "$dir/e3g.txt"
expect 1 "e1e11.txt:2: target id 99999999999 implies" -- stats "$dir/e1e11.txt"
expect 1 "e1e20.txt:2: out-of-range source id '99999999999999999999' (beyond the 64-bit integers" -- stats "$dir/e1e20.txt"
expect 1 "rows.mtx:2: the size line declares 2000000000 rows" -- stats "$dir/rows.mtx"
expect 1 "entries.mtx:2: the size line declares 1000000000 entries" -- stats "$dir/entries.mtx"
expect 1 "num-node-list.csv.gz:1: the vertex count 2000000000" -- stats "$dir/ogb"
expect 1 "address-space limit (ulimit -v)" -- stats "$dir/ogb"
expect 1 "num_vertices = 2000000000" -- stats "$dir/e2g.txt" --num-vertices 2000000000

# The sparse ids load compacted, and the map comes back.
expect 0 "vertices          4" -- convert "$dir/e1e11.txt" "$dir/e1e11.snap" --compact-ids --write-ids "$dir/ids.txt"
if [[ "$(tr '\n' ' ' <"$dir/ids.txt")" != "0 1 2 99999999999 " ]]; then
  echo "FAILED: --write-ids wrote: $(cat "$dir/ids.txt")"
  failed=1
fi
expect 0 "compacted ids     0 .. 99999999999" -- stats "$dir/e1e11.snap"
# An honest input under the same limit.
printf '0 1\n1 2\n2 0\n' >"$dir/small.txt"
expect 0 "vertices          3" -- stats "$dir/small.txt"
expect 1 "100 bytes is available (set_memory_limit)" -- stats "$dir/small.txt" --memory-limit 100

if [[ -n $trainer ]]; then
  expect_from "$trainer" 1 "num-node-list.csv.gz:1: the vertex count 2000000000" -- --data "$dir/ogb" --epochs 1
fi

((failed)) && exit 1
echo "size claims: all refused cleanly"
