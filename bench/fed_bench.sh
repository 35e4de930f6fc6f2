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
# the next run with the same N and U; the working copies are removed.
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
G1="$DIR/gen-$N-$U"
if [ ! -f "$G1/stats.txt" ]; then
    rm -rf "$G1"
    echo "\$ vl_genlog --dir $G1 --nodes 2 --entries $N --updates $U"
    "$B/vl_genlog" --dir "$G1" --nodes 2 --entries "$N" --updates "$U"
fi
G2="$DIR/gen16-100-$A"
if [ ! -f "$G2/stats.txt" ]; then
    rm -rf "$G2"
    echo "\$ vl_genlog --dir $G2 --nodes 16 --entries 100 --updates $A"
    "$B/vl_genlog" --dir "$G2" --nodes 16 --entries 100 --updates "$A"
fi
rm -rf "$DIR/work-sync" "$DIR/work-fanout"
echo "\$ vl_fedbench sync --gen $G1 --node build/valise-node --work $DIR/work-sync"
"$B/vl_fedbench" sync --gen "$G1" --node "$B/valise-node" --work "$DIR/work-sync"
echo
echo "\$ vl_fedbench fanout --gen $G2 --node build/valise-node --work $DIR/work-fanout --nodes 16 --approvals $A"
"$B/vl_fedbench" fanout --gen "$G2" --node "$B/valise-node" --work "$DIR/work-fanout" --nodes 16 \
    --approvals "$A"
rm -rf "$DIR/work-sync" "$DIR/work-fanout"
