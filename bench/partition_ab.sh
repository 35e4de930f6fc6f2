#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two valise-node builds side by side in the partition campaign
# (tests/campaign/partition.sh, docs/testing.md §3): RUNS runs of each,
# alternating A and B, with the same ROUNDS and SEED (the same partitions,
# proposals and approvals; only the timings differ). Prints one line per run,
# "A|B  t1 t2 ...": the ms from each heal until every head agreed, then per
# build the median and maximum over all heals and per round, and the heals
# over 1.5 s. PART_TARGET=report: a slow heal is a figure here, not a failure.
#   VALISE=build/valise VL_SOURCE_DIR=$PWD VL_TEST_TMP=/tmp \
#     bash bench/partition_ab.sh NODE_A NODE_B [RUNS [ROUNDS [SEED]]]
# (defaults 7 runs of 5 rounds, seed 13: the CI form). Needs what the
# campaign needs (root, ip netns, nft) and an otherwise idle machine.
set -euo pipefail
A=${1:?usage: partition_ab.sh NODE_A NODE_B [RUNS [ROUNDS [SEED]]]}
B=${2:?usage: partition_ab.sh NODE_A NODE_B [RUNS [ROUNDS [SEED]]]}
RUNS=${3:-7} ROUNDS=${4:-5} SEED=${5:-13}
: "${VALISE:?}" "${VL_SOURCE_DIR:?}"
for x in "$RUNS" "$ROUNDS"; do
    [[ $x =~ ^[1-9][0-9]*$ ]] || { echo "partition_ab: RUNS and ROUNDS must be whole numbers >= 1" >&2; exit 2; }
done
for x in "$A" "$B"; do [ -x "$x" ] || { echo "partition_ab: $x is not an executable" >&2; exit 2; }; done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= RUNS; i++)); do
    for v in A B; do
        node=$A
        [ "$v" = A ] || node=$B
        log=$(PART_TARGET=report VALISE_NODE=$node bash "$VL_SOURCE_DIR/tests/campaign/partition.sh" \
            "$ROUNDS" "$SEED" 2>&1) || { echo "$log" | tail -5 >&2; exit 1; }
        times=$(echo "$log" | grep -E '^\[round' | grep -o 'heads *[0-9]* ms' | grep -o '[0-9]*' | tr '\n' ' ' || true)
        [ "$(wc -w <<<"$times")" -eq "$ROUNDS" ] ||
            { echo "partition_ab: run $i of $v gave no time for every round:" >&2; echo "$log" | tail -5 >&2; exit 1; }
        echo "$v $times" | tee -a "$out"
    done
done
python3 - "$out" <<'PYEOF'
import statistics as st, sys
runs = {"A": [], "B": []}
for line in open(sys.argv[1]):
    f = line.split()
    runs[f[0]].append([int(x) for x in f[1:]])
for v, rs in runs.items():
    heals = [t for r in rs for t in r]
    per = [st.median(r[k] for r in rs) for k in range(len(rs[0]))]
    print(f"{v}: {len(heals)} heals, median {st.median(heals):.0f} ms, max {max(heals)} ms, "
          f"over 1.5 s {sum(t > 1500 for t in heals)}; per round median "
          + " ".join(f"{m:.0f}" for m in per))
PYEOF
