#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/demo-federation.sh runs from start to end against the built
# binaries, and its key claims show in its output: the proposal made at the
# Indian Ocean node reached the Secretariat, the entry passed by the
# Secretariat to REFCO reached Sahel through another regional node while the
# Secretariat was down, the field office caught up, and the five nodes end
# with one head and root.
set -euo pipefail
: "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}" "${VALISE:?}" "${VALISE_NODE:?}"
mkdir -p "${VL_TEST_TMP:=/tmp}"
out=$(mktemp "$VL_TEST_TMP/demo-fed.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! TMPDIR="$VL_TEST_TMP" VALISE="$VALISE" VALISE_NODE="$VALISE_NODE" \
    bash "$VL_SOURCE_DIR/scripts/demo-federation.sh" >"$out" 2>&1; then
    cat "$out" >&2
    echo "FAIL: scripts/demo-federation.sh failed" >&2
    exit 1
fi
for want in 'demo-federation: all steps behaved as expected; the federation converged' \
    "the proposal reached the Secretariat's node" \
    'applied as entry' \
    'Sahel regional node +holds entry [0-9]+' \
    'sahel log: .*\((Indian Ocean|REFCO) regional node\): synced to seq' \
    'the field office holds entry' \
    'all five nodes agree' \
    'valise verify: OK at every node'; do
    grep -Eq -- "$want" "$out" || { cat "$out" >&2; echo "FAIL: demo output lacks /$want/" >&2; exit 1; }
done
# The final table: five rows with one (seq, head, root).
rows=$(sed -n "/^== [0-9]*\. The Secretariat's node restarts/,\$p" "$out" |
    grep -E '^   [A-Z].* +[0-9]+  [0-9a-f]{64}  [0-9a-f]{64}$' | awk '{print $(NF-2), $(NF-1), $NF}' | sort | uniq -c)
[ "$(echo "$rows" | wc -l)" -eq 1 ] && [ "$(echo "$rows" | awk '{print $1}')" -eq 5 ] ||
    { cat "$out" >&2; echo "FAIL: the final table does not show five nodes with one head and root" >&2; exit 1; }
echo "t_demo (federation): OK"
