#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The progress line (docs/cli.md, Text output, "Progress"): `propose --file`,
# `verify` and `bundle import` draw one on a terminal (run here under a
# pseudo-terminal with util-linux `script`) and write no progress text at
# all when stderr is not a terminal.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
command -v script >/dev/null || fail "util-linux 'script' is missing (scripts/setup.sh installs it)"
vl_network

# tty CMD...: run valise under a pseudo-terminal (stdin from /dev/null); the
# terminal's bytes (stdout and stderr mixed) in $T/tty, the exit status kept.
tty() {
    local cmd="" a
    for a in "$VALISE" "$@"; do cmd+=" $(printf '%q' "$a")"; done
    script -qec "$cmd" /dev/null </dev/null >"$T/tty" 2>&1
}
# screen: $T/tty as a terminal shows it at the end (each line's text after
# its last carriage return, the erase sequences dropped).
screen() {
    /usr/bin/python3 -c '
import sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read().split("\n"):
    line = line.rstrip("\r").split("\r")[-1].replace("\x1b[K", "")
    if line:
        print(line)' "$T/tty"
}
# progress_free FILE: no progress text (carriage return, ESC, "N of M ..., R/s").
progress_free() {
    if grep -qE $'\r|\033| of [0-9,]+ [a-z ]+(, [0-9,]+/s)?' "$1"; then
        fail "progress text in $1 although stderr is not a terminal: $(od -c "$1" | head -5)"
    fi
}

ok sample --out "$T/sample.json"
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/sample.json")
[ "$n" -gt 100 ] || fail "the sample has only $n records"
nfmt=$(/usr/bin/python3 -c "print(f'{$n:,}')")

# propose --file: not a terminal first (a copy of the store), then on a terminal.
cp -a "$VALISE_STORE" "$T/store2"
VALISE_STORE="$T/store2" "$VALISE" propose --file "$T/sample.json" --key "$T/sec1.key" \
    >"$T/props.plain" 2>"$T/err.plain" || fail "propose the sample: $(cat "$T/err.plain")"
progress_free "$T/err.plain"
progress_free "$T/props.plain"
[ ! -s "$T/err.plain" ] || fail "propose wrote to stderr: $(cat "$T/err.plain")"

tty propose --file "$T/sample.json" --key "$T/sec1.key" || fail "propose on a terminal: $(cat "$T/tty")"
grep -q "propose: .* of $nfmt records read" "$T/tty" || fail "no 'of $nfmt records read' progress: $(od -c "$T/tty" | head -20)"
grep -qE "propose: [0-9,]+ of [0-9,]+ proposals (made|submitted)" "$T/tty" ||
    fail "no proposal progress: $(od -c "$T/tty" | head -20)"
grep -qE '[0-9,]+/s' "$T/tty" || fail "no rate in the progress line"
grep -q $'\r\033\\[K' "$T/tty" || fail "the progress line is never erased"
# The summary lines are the plain run's, one per proposal, erasing aside.
screen >"$T/screen"
# The same lines as the plain run (proposal ids differ: each has a fresh nonce).
sed -E 's/[0-9a-f]{64}/ID/' "$T/screen" >"$T/screen.ids"
sed -E 's/[0-9a-f]{64}/ID/' "$T/props.plain" >"$T/plain.ids"
cmp -s "$T/screen.ids" "$T/plain.ids" ||
    fail "the terminal shows other lines than the plain run: $(diff "$T/screen.ids" "$T/plain.ids" | head)"
ids=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/screen")
[ "$(echo "$ids" | wc -l)" -eq "$(grep -c '^proposed ' "$T/props.plain")" ] ||
    fail "the terminal run shows another number of 'proposed' lines"
for id in $ids; do
    approve_both "$id"
done

# verify: plain, then on a terminal (a child process walks the store and
# sends its progress through the pipe).
"$VALISE" verify --key "$T/node.key" >"$T/out" 2>"$T/err" || fail "verify: $(cat "$T/err")"
has '^verify: OK'
progress_free "$T/err"
progress_free "$T/out"
[ ! -s "$T/err" ] || fail "verify wrote to stderr: $(cat "$T/err")"
tty verify --key "$T/node.key" || fail "verify on a terminal: $(cat "$T/tty")"
# The sample replaces the network's three records: the store holds n records.
grep -q "verify: $nfmt of $nfmt records" "$T/tty" ||
    fail "no 'of $nfmt records' progress in verify: $(od -c "$T/tty" | head -20)"
grep -qE "verify: [0-9,]+ of [0-9,]+ log entries" "$T/tty" || fail "no log progress in verify"
grep -qE "verify: [0-9,]+ of [0-9,]+ index terms" "$T/tty" || fail "no index progress in verify"
grep -qE "verify: [0-9,]+ of [0-9,]+ [a-z ]+, [0-9,]+/s" "$T/tty" || fail "no rate in verify's progress"
screen >"$T/screen"
cmp -s "$T/screen" "$T/out" || fail "verify shows other lines on a terminal: $(diff "$T/screen" "$T/out")"
# --json on a terminal: stdout stays one JSON document after the erased line.
tty verify --json --key "$T/node.key" || fail "verify --json on a terminal"
screen | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' ||
    fail "verify --json output is not JSON once the progress line is erased"

# restore checks its copy with verify's walk, in a child process.
ok backup --out "$T/full.vlbak" --key "$T/node.key"
"$VALISE" restore "$T/full.vlbak" --store "$T/r1" --key "$T/node.key" >"$T/out" 2>"$T/err" ||
    fail "restore: $(cat "$T/err")"
progress_free "$T/err"
progress_free "$T/out"
cp "$T/out" "$T/restore.plain"
tty restore "$T/full.vlbak" --store "$T/r2" --key "$T/node.key" || fail "restore on a terminal: $(cat "$T/tty")"
grep -q "restore: $nfmt of $nfmt records" "$T/tty" || fail "no records progress in restore: $(od -c "$T/tty" | head)"
# The store paths only: T's own random name may hold "r2".
screen | sed "s|$T/r2|$T/r1|g" >"$T/screen"
cmp -s "$T/screen" "$T/restore.plain" || fail "restore shows other lines on a terminal: $(diff "$T/screen" "$T/restore.plain")"

# bundle import into a fresh store of the same network.
ok bundle create --out "$T/all.vlb" --key "$T/node.key"
mkdir -p "$T/s3"
VALISE_STORE="$T/s3" "$VALISE" init --genesis "$T/genesis.vlg" --key "$T/node.key" >/dev/null || fail "init s3"
cp -a "$T/s3" "$T/s4"
VALISE_STORE="$T/s3" "$VALISE" bundle import "$T/all.vlb" --key "$T/node.key" >"$T/out" 2>"$T/err" ||
    fail "bundle import: $(cat "$T/err")"
progress_free "$T/err"
progress_free "$T/out"
VALISE_STORE="$T/s4" tty bundle import "$T/all.vlb" --key "$T/node.key" ||
    fail "bundle import on a terminal: $(cat "$T/tty")"
grep -qE "bundle import: [0-9,]+ of [0-9,]+ items checked" "$T/tty" || fail "no check progress in bundle import: $(od -c "$T/tty" | head)"
grep -qE "bundle import: [0-9,]+ of [0-9,]+ items applied" "$T/tty" || fail "no apply progress in bundle import"
exit 0
