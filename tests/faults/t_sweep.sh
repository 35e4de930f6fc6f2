#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Faults at every LMDB write op (docs/testing.md §4 "Faults"): each command
# that writes the store runs with VALISE_FAULT=KIND:N for N = 1, 2, 3, ...
# (the Nth put/delete/commit and every later one fail with KIND) until the
# command succeeds, i.e. N is past its last write op. After each failed run:
# exit 1, one line on stderr naming the cause (the disk is full / the map is
# full / an I/O error) and the store directory, `verify` clean, and
# everything the store shows (status, records, pending, log, policy)
# byte-identical to before (every key and value of every database, by
# mdb_dump). The run that succeeds is the re-run without a
# fault. Then a one-shot MDB_MAP_FULL (KIND:N:once) at each command's second
# op must be absorbed by the map growth: the command succeeds.
#
# Needs a build with the hook (cmake -DVL_FAULTS=ON; the sanitizer build
# has it). CI form: every N up to 3 and then every 4th, one KIND per N in
# turn (eio, enospc, mapfull); when a sampled N succeeds, the store is put
# back as it was and every N of the last gap is run, so the last write op
# (the commit) is always faulted.
# VL_FAULT_FULL=1: every N, all three KINDs (the full sweep).
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

# Is the hook there? A malformed value stops a hooked build with exit 99 at
# its first write op; a build without the hook ignores it and succeeds.
vl_keys probe
rc=0
VALISE_FAULT=nonsense "$VALISE" keygen --out "$T/probe2" --kdf interactive >/dev/null 2>&1 || rc=$?
vl_network
rc=0
VALISE_FAULT=nonsense "$VALISE" propose --set MU-01 'office_hours=probe' --key "$T/mu.key" \
    >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 99 ] || fail "this build has no fault hook (VALISE_FAULT=nonsense: exit $rc, \
want 99): build with -DVL_FAULTS=ON"

FULL=${VL_FAULT_FULL:-0}
KINDS=(eio enospc mapfull)
N="--key $T/node.key"
TOTAL_FAILED=0

# fsnap FILE: every key and value of every database of $VALISE_STORE
# (mdb_dump; no passphrase needed, so the sweep stays fast). The map size is
# left out: a growth that was never committed is not a change.
fsnap() {
    command -v mdb_dump >/dev/null || fail "mdb_dump missing (install lmdb-utils)"
    mdb_dump -a "$VALISE_STORE" | grep -v '^mapsize=' >"$1" || fail "mdb_dump $VALISE_STORE"
}

# kind_pat KIND DIR: what the message for KIND must say.
kind_pat() {
    local d
    d=$(printf '%s' "$2" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
    case $1 in
    eio) echo "cannot write the store in $d: Input/output error: nothing was written" ;;
    enospc) echo "the disk holding $d is full.*: nothing was written" ;;
    mapfull) echo "the store in $d is full: its map is at its maximum size \([0-9]+ bytes\): nothing was written" ;;
    esac
}

# sweep NAME ARGS...: run `valise ARGS` under the fault at N = 1, 2, ...
# until it succeeds; the store of $VALISE_STORE must not change meanwhile.
sweep() {
    local name=$1
    shift
    local n=1 prev=0 failed=0 rc kinds kind last_ok=0 step=4
    [ "$FULL" = 1 ] && step=1
    fsnap "$T/snap.before"
    # The state before, to go back to when a sampled N succeeds past a gap.
    rm -rf "$T/sweep.store" "$T/sweep.state"
    cp -a "$VALISE_STORE" "$T/sweep.store"
    if [ -d "$VALISE_STATE_DIR" ]; then cp -a "$VALISE_STATE_DIR" "$T/sweep.state"; fi
    while :; do
        if [ "$FULL" = 1 ]; then
            kinds=("${KINDS[@]}")
        else
            kinds=("${KINDS[$((n % 3))]}")
        fi
        last_ok=0
        for kind in "${kinds[@]}"; do
            rc=0
            VALISE_FAULT=$kind:$n "$VALISE" "$@" >"$T/out" 2>"$T/err" || rc=$?
            if [ "$rc" -eq 0 ]; then
                last_ok=1
                break
            fi
            [ "$rc" -eq 1 ] || fail "$name, $kind:$n: exit $rc, want 1: $(cat "$T/err")"
            [ "$(wc -l <"$T/err")" -eq 1 ] ||
                fail "$name, $kind:$n: want one line on stderr: $(cat "$T/err")"
            grep -Eq "^valise [a-z ]+: .*$(kind_pat "$kind" "$VALISE_STORE")" "$T/err" ||
                fail "$name, $kind:$n: the message does not name the cause and the store: $(cat "$T/err")"
            "$VALISE" verify $N >"$T/vout" 2>&1 ||
                fail "$name, $kind:$n: verify after the fault: $(cat "$T/vout")"
            grep -q '^verify: OK' "$T/vout" || fail "$name, $kind:$n: verify: $(cat "$T/vout")"
            if [ -n "${SWEEP_PREFIX:-}" ]; then
                # Items applied before the fault stay (a valid prefix):
                # never past the head of the store the bundle came from.
                local seq
                seq=$("$VALISE" status --json $N | json_get 'd["head"]["seq"]')
                [ "$seq" -le "$SWEEP_PREFIX" ] ||
                    fail "$name, $kind:$n: head $seq is past the source's $SWEEP_PREFIX"
            else
                fsnap "$T/snap.now"
                cmp -s "$T/snap.before" "$T/snap.now" ||
                    fail "$name, $kind:$n: the store changed: $(diff "$T/snap.before" "$T/snap.now" | head -20)"
            fi
            failed=$((failed + 1))
        done
        if [ "$last_ok" = 1 ]; then
            [ "$n" -gt $((prev + 1)) ] || break
            # A sampled N succeeded: the last write ops lie in the gap
            # (prev, n). Back to the state before, and run the gap one by one.
            rm -rf "$VALISE_STORE" "$VALISE_STATE_DIR"
            cp -a "$T/sweep.store" "$VALISE_STORE"
            if [ -d "$T/sweep.state" ]; then cp -a "$T/sweep.state" "$VALISE_STATE_DIR"; fi
            n=$((prev + 1))
            step=1
            continue
        fi
        prev=$n
        # CI form: N = 1..3, then every 4th (every N in the last gap).
        if [ "$n" -lt 3 ]; then n=$((n + 1)); else n=$((n + step)); fi
        [ "$n" -le 2000 ] || fail "$name: still failing at N = $n"
    done
    echo "$name: $((n - 1)) write ops; $failed faulted runs left the store unchanged" >&2
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

S="$VALISE_STORE"

# ---- init: a failed create leaves nothing that a second init would refuse ----
export VALISE_STORE="$T/s-init"
n=1
while :; do
    rc=0
    VALISE_FAULT=${KINDS[$((n % 3))]}:$n "$VALISE" init --genesis "$T/genesis.vlg" \
        --key "$T/node.key" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -eq 0 ] && break
    [ "$rc" -eq 1 ] || fail "init, N=$n: exit $rc: $(cat "$T/err")"
    grep -Eq "$(kind_pat "${KINDS[$((n % 3))]}" "$VALISE_STORE")" "$T/err" ||
        fail "init, N=$n: $(cat "$T/err")"
    [ ! -e "$VALISE_STORE/data.mdb" ] || fail "init, N=$n: a failed init left data.mdb"
    n=$((n + 1))
done
ok verify $N
has '^verify: OK \(0 entries'
echo "init: $((n - 1)) faulted runs left no store behind; N = $n succeeded" >&2
export VALISE_STORE="$S"

# ---- propose ------------------------------------------------------------------------
sweep propose propose --set MU-01 'office_hours=Mon-Fri 09:00-12:00' --key "$T/mu.key"
p1=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out")
[ -n "$p1" ] || fail "propose: no id: $(cat "$T/out")"
# ---- approve below the threshold, then at it (applies an entry) -----------------
sweep "approve (first)" approve "$p1" --key "$T/sec1.key"
sweep "approve (threshold)" approve "$p1" --key "$T/sec2.key"
has 'applied as entry 2'
# ---- reject -------------------------------------------------------------------------
p2=$(propose_id --set MG-01 'office_hours=Lundi' --key "$T/mg.key")
sweep reject reject "$p2" --reason "not now" --key "$T/sec1.key"
# ---- policy publish (a new content-key epoch: pending proposals re-wrapped) ----------
p3=$(propose_id --set MU-01 'office_hours=Mon-Thu' --key "$T/mu.key")
vl_keys node2
ok policy propose --key "$T/sec1.key" --add-node "$T/node2.pub" --out "$T/v2.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"
sweep "policy publish" policy publish "$T/v2.vlp" $N
# ---- bundle import into a field store -------------------------------------------------
export VALISE_STORE="$T/field"
ok init --genesis "$T/genesis.vlg" --key "$T/node.key"
export VALISE_STORE="$S"
ok bundle create --out "$T/b1" $N
src_seq=$("$VALISE" status --json $N | json_get 'd["head"]["seq"]')
# An import applies item after item, each in its own transaction (like a
# peer's batches): a fault keeps the items before it, and the message says
# so; importing again finishes. The field store ends equal to the source.
export VALISE_STORE="$T/field"
SWEEP_PREFIX=$src_seq sweep "bundle import" bundle import "$T/b1" $N
seq=$("$VALISE" status --json $N | json_get 'd["head"]["seq"]')
[ "$seq" = "$src_seq" ] || fail "bundle import: field head $seq, source $src_seq"
export VALISE_STORE="$S"
[ -n "$p3" ] || fail "no p3"

# ---- a one-shot MDB_MAP_FULL is absorbed by the map growth --------------------------
p4=$(VALISE_FAULT=mapfull:2:once propose_id --set MU-01 'office_hours=Once' --key "$T/mu.key")
[ -n "$p4" ] || fail "a one-shot map-full propose did not succeed"
VALISE_FAULT=mapfull:2:once "$VALISE" approve "$p4" --key "$T/sec1.key" >/dev/null ||
    fail "a one-shot map-full approve did not succeed"
VALISE_FAULT=mapfull:3:once "$VALISE" approve "$p4" --key "$T/sec2.key" >"$T/out" ||
    fail "a one-shot map-full approve at the threshold did not succeed"
has 'applied as entry'
ok verify $N
has '^verify: OK'
[ "$TOTAL_FAILED" -gt 0 ] || fail "no faulted run"
echo "t_sweep: $TOTAL_FAILED faulted runs, each refused cleanly" >&2
