#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (release) and run the federation benchmark of docs/performance.md;
# figures go to stdout, nothing is asserted.
#
#   bash bench/fed_bench.sh [--entries N] [--updates U] [--approvals A]
#                           [--nodes K] [--topologies "ring hub"] [--no-apply]
#                           [--dir DIR]
#   bash bench/fed_bench.sh --scale     # issue 12's scale runs: --entries
#        1000000 --nodes 64 --approvals 50 --topologies "ring hub" --no-apply
#
# 1. `valise sample --count-scale 20` (14,860 records) feeds vl_genlog: a
#    network of 2 nodes and a store of N entries (default 100,000, one record
#    each, the sample's records with the ids of later copies suffixed) plus U
#    (1,000) more entries that change U of those records; and a network of K
#    (16) nodes with 100 entries and A (20) more.
# 2. vl_fedbench sync: the store's own chain apply of the N entries (unless
#    --no-apply); a fresh node syncs them from a peer through a
#    byte-counting relay; idle anti-entropy rounds; the U changes reaching
#    the peer; RssAnon of the syncing daemon; the synced store's size.
# 3. vl_fedbench fanout, once per topology (ring: a ring with chords; hub:
#    hub and spoke with 7 regional relays): K daemons, A approvals one at a
#    time committed at node01, the time until each reaches every node, bytes
#    per node per approval, RssAnon per daemon.
# 4. One summary table of the figures against issue 12's goals.
# Generated stores are kept in DIR (default /tmp/vl_fedbench) and reused by
# the next run with the same N, U and vl_genlog binary; the working copies
# are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000 U=1000 A=20 K=16 TOPOS=ring APPLY="" DIR=/tmp/vl_fedbench
usage="usage: bash bench/fed_bench.sh [--scale] [--entries N] [--updates U] [--approvals A] [--nodes K] [--topologies \"ring hub\"] [--no-apply] [--dir DIR]"
while [ $# -gt 0 ]; do
    case "$1" in
    --scale) N=1000000 K=64 A=50 TOPOS="ring hub" APPLY=--no-apply; shift ;;
    --entries) N=$2; shift 2 ;;
    --updates) U=$2; shift 2 ;;
    --approvals) A=$2; shift 2 ;;
    --nodes) K=$2; shift 2 ;;
    --topologies) TOPOS=$2; shift 2 ;;
    --no-apply) APPLY=--no-apply; shift ;;
    --dir) DIR=$2; shift 2 ;;
    --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
done
# 64 daemons, each with its sockets, LMDB and metrics: room for descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bash scripts/setup.sh
B=$PWD/build
export VALISE_PASSPHRASE="federation benchmark passphrase"
mkdir -p "$DIR"
echo "valise federation benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
# Generated data is reused only if made by this very vl_genlog (the formats
# are linked into it: a changed format must not meet stale stores).
GEN_ID=$(sha256sum "$B/vl_genlog" | cut -c1-16)
# gen DIR ARGS...: run vl_genlog into DIR unless DIR holds its output already.
gen() {
    local d=$1
    shift
    if [ ! -f "$d/stats.txt" ] || [ "$(cat "$d/genlog.id" 2>/dev/null)" != "$GEN_ID" ]; then
        rm -rf "$d"
        echo "\$ vl_genlog --dir $d $*"
        "$B/vl_genlog" --dir "$d" "$@"
        echo "$GEN_ID" >"$d/genlog.id"
    fi
}
SAMPLE="$DIR/sample20.json"
"$B/valise" sample --count-scale 20 --out "$SAMPLE" >/dev/null
G1="$DIR/gen-$N-$U-s20"
G2="$DIR/gen$K-100-$A-s20"
gen "$G1" --nodes 2 --entries "$N" --updates "$U" --sample "$SAMPLE"
gen "$G2" --nodes "$K" --entries 100 --updates "$A" --sample "$SAMPLE"
OUT="$DIR/last-run.txt"
: >"$OUT"
rm -rf "$DIR/work-sync" "$DIR/work-fanout"
echo "\$ vl_fedbench sync --gen $G1 --node build/valise-node --work $DIR/work-sync $APPLY"
"$B/vl_fedbench" sync --gen "$G1" --node "$B/valise-node" --work "$DIR/work-sync" $APPLY | tee -a "$OUT"
rm -rf "$DIR/work-sync"
for T in $TOPOS; do
    echo
    echo "\$ vl_fedbench fanout --gen $G2 --node build/valise-node --work $DIR/work-fanout --nodes $K --approvals $A --topology $T"
    "$B/vl_fedbench" fanout --gen "$G2" --node "$B/valise-node" --work "$DIR/work-fanout" --nodes "$K" \
        --approvals "$A" --topology "$T" | tee -a "$OUT"
    rm -rf "$DIR/work-fanout"
done
echo
echo "Summary ($N records, $K nodes; $(date -u +%Y-%m-%dT%H:%M:%SZ); ratio = figure / goal):"
echo "| measure | figure | goal | ratio | verdict |"
echo "|---|---|---|---|---|"
grep '^| ' "$OUT" | grep -v '^| measure |' || true
