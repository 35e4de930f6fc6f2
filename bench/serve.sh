#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (release) and run the web view benchmark of docs/performance.md ("Web
# view"): over a store of N records (default 100,000, made by vl_genlog and
# kept in DIR for the next run), start `valise serve` on loopback and let
# vl_servebench time search and record pages over HTTP against the same
# lookups in process (vl_store_find, vl_view_find, vl_view_record). Figures
# go to stdout; nothing is asserted.
#
#   bash bench/serve.sh [--entries N] [--rounds R] [--ids I] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000 R=40 I=400 DIR=/tmp/vl_servebench
while [ $# -gt 0 ]; do
    case "$1" in
    --entries) N=$2; shift 2 ;;
    --rounds) R=$2; shift 2 ;;
    --ids) I=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    *) echo "usage: bash bench/serve.sh [--entries N] [--rounds R] [--ids I] [--dir DIR]" >&2; exit 2 ;;
    esac
done
bash scripts/setup.sh
B=$PWD/build
export VALISE_PASSPHRASE="serve benchmark passphrase"
mkdir -p "$DIR"
echo "valise web view benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
# The store is reused only if made by this very vl_genlog.
GEN_ID=$(sha256sum "$B/vl_genlog" | cut -c1-16)
G="$DIR/gen-$N"
if [ ! -f "$G/stats.txt" ] || [ "$(cat "$G/genlog.id" 2>/dev/null)" != "$GEN_ID" ]; then
    rm -rf "$G"
    echo "\$ vl_genlog --dir $G --nodes 1 --entries $N"
    "$B/vl_genlog" --dir "$G" --nodes 1 --entries "$N"
    echo "$GEN_ID" >"$G/genlog.id"
fi

OUT=$(mktemp "$DIR/serve.XXXXXX")
"$B/valise" serve --listen 127.0.0.1:0 --store "$G/base" --key "$G/node01.key" >"$OUT" 2>"$OUT.err" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$OUT" "$OUT.err"' EXIT
for _ in $(seq 1 300); do
    grep -q '^valise serve: http' "$OUT" && break
    kill -0 $PID 2>/dev/null || { cat "$OUT.err" >&2; exit 1; }
    sleep 0.1
done
PORT=$(sed -n 's|^valise serve: http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$OUT")
[ -n "$PORT" ] || { echo "serve.sh: valise serve did not start: $(cat "$OUT.err")" >&2; exit 1; }
echo "\$ valise serve --listen 127.0.0.1:0 --store $G/base --key $G/node01.key   # port $PORT"
echo "\$ vl_servebench --store $G/base --key $G/node01.key --port $PORT --rounds $R --ids $I"
"$B/vl_servebench" --store "$G/base" --key "$G/node01.key" --port "$PORT" --rounds "$R" --ids "$I"
echo "valise serve: $(grep -E '^(VmHWM|VmRSS)' /proc/$PID/status | tr -s ' \t' ' ' | tr '\n' ' ')"
