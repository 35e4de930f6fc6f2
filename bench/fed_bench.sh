#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (release) and run the federation benchmark of docs/performance.md;
# figures go to stdout, nothing is asserted.
#
#   bash bench/fed_bench.sh [--entries N] [--updates U] [--approvals A] [--dir DIR]
#
# 1. vl_genlog makes a network of 2 nodes and a store of N entries (default
#    100,000 records of ~1.2 KB, one entry each) plus U (1,000) more entries
#    that change U of those records; and a network of 16 nodes with 100
#    entries and A (20) more.
# 2. vl_fedbench sync: a fresh node syncs the N entries from a peer through a
#    byte-counting relay; idle anti-entropy rounds; the U changes reaching
#    the peer; RssAnon of the syncing daemon.
# 3. vl_fedbench fanout: 16 daemons, A approvals one at a time, the time
#    until each reaches every node.
# Generated stores are kept in DIR (default /tmp/vl_fedbench) and reused by
# the next run with the same N, U and vl_genlog binary; the working copies
# are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000 U=1000 A=20 DIR=/tmp/vl_fedbench
while [ $# -gt 0 ]; do
    case "$1" in
    --entries) N=$2; shift 2 ;;
    --updates) U=$2; shift 2 ;;
    --approvals) A=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    *) echo "usage: bash bench/fed_bench.sh [--entries N] [--updates U] [--approvals A] [--dir DIR]" >&2; exit 2 ;;
    esac
done
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
G1="$DIR/gen-$N-$U"
G2="$DIR/gen16-100-$A"
gen "$G1" --nodes 2 --entries "$N" --updates "$U"
gen "$G2" --nodes 16 --entries 100 --updates "$A"
rm -rf "$DIR/work-sync" "$DIR/work-fanout"
echo "\$ vl_fedbench sync --gen $G1 --node build/valise-node --work $DIR/work-sync"
"$B/vl_fedbench" sync --gen "$G1" --node "$B/valise-node" --work "$DIR/work-sync"
echo
echo "\$ vl_fedbench fanout --gen $G2 --node build/valise-node --work $DIR/work-fanout --nodes 16 --approvals $A"
"$B/vl_fedbench" fanout --gen "$G2" --node "$B/valise-node" --work "$DIR/work-fanout" --nodes 16 \
    --approvals "$A"
rm -rf "$DIR/work-sync" "$DIR/work-fanout"
