#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A fault in our own store while a daemon applies a synced batch (issue 13:
# "a fault in our own store while applying is blamed on the peer that sent
# the entry"): valise-node b pulls entries from a with VALISE_FAULT set, so
# its store fails (a full disk, an I/O error, a full map) at the write ops
# of the batch. b must log the failure as its own store's, naming the cause
# and the store directory, and must not drop or blame a; its store verifies
# and holds a prefix of a's log. Restarted without the fault, b catches up.
# A daemon whose store cannot be opened for writing at all (the fault at the
# first op) exits 1 with the cause on one line.
#
# Needs a build with the hook (cmake -DVL_FAULTS=ON; the sanitizer build).
source "$(dirname "$0")/../fed/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

fed_network a b
fed_topology "b-a"
mkfork bulk a 20
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-20" --store "$(store a)" --key "$(key a)" ||
    fail "append at a"
fed_start a

# The fault at the first write op: the store cannot even be opened.
rc=0
VALISE_FAULT=enospc:1 "$VALISE_NODE" --config "$T/b/node.json" >"$T/b0.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "valise-node started on a store it cannot write"
grep -q "the disk holding $(store b) is full" "$T/b0.log" ||
    fail "valise-node's start-up failure does not say the disk is full: $(cat "$T/b0.log")"

# log_has NODE PATTERN: NODE's log (this run of it) matches PATTERN.
log_has() {
    tail -n +"$(cat "$T/$1/log.from")" "$(fed_log "$1")" | grep -E -- "$2" >/dev/null
}
no_drop() {
    if grep -E "dropped|POLICY FORK" "$(fed_log b)" "$(fed_log a)"; then
        fail "$1: a session was dropped over our own store's fault (above)"
    fi
    return 0
}
verify_b() {
    "$VALISE" verify --store "$(store b)" --key "$(nodekey b)" --pass-file "$T/pass" \
        >"$T/verify.out" 2>&1 || fail "$1: verify b: $(cat "$T/verify.out")"
    grep -q '^verify: OK' "$T/verify.out" || fail "$1: verify b: $(cat "$T/verify.out")"
}

# A persistent fault from b's 4th write op (past start-up: the store opens
# and the first peer status is saved): every batch fails. b logs it as its
# own store's failure naming the cause and the directory, backs off (1 s,
# then 2 s: not a busy loop), keeps the session to a and applies nothing.
sb=$(store b)
for kind in eio enospc mapfull; do
    case $kind in
    eio) pat="cannot write the store in $sb: Input/output error" ;;
    enospc) pat="the disk holding $sb is full" ;;
    mapfull) pat="the store in $sb is full: its map is at its maximum size" ;;
    esac
    note "b pulls with VALISE_FAULT=$kind:4"
    VALISE_FAULT=$kind:4 fed_start b
    wait_until 20 log_has b "ERROR our store failed to apply entries 1\.\.20 from .*\(a\) \(not the peer's fault\): .*$pat.*; pulling again in 2000 ms"
    n=$(tail -n +"$(cat "$T/b/log.from")" "$(fed_log b)" | grep -c "our store failed to apply" || true)
    [ "$n" -le 4 ] || fail "$kind: $n apply failures logged in about 3 s: no back-off"
    no_drop "$kind"
    fed_kill b
    [ "$(head_seq b)" = 0 ] || fail "$kind: b applied entries through a failing store"
    verify_b "$kind"
done

# A transient fault (one op): the batch fails once, the pull resumes after
# the back-off, and b catches up with a without dropping it.
note "b pulls with VALISE_FAULT=eio:4:once"
VALISE_FAULT=eio:4:once fed_start b
wait_until 30 converged a b
log_has b "our store failed to apply entries 1\.\.20 .*not the peer's fault.*pulling again in 1000 ms" ||
    fail "the one-shot fault was not hit: $(grep -E 'ERROR|WARN' "$(fed_log b)" | tail -5)"
no_drop "eio:4:once"
fed_stop b
verify_b "after catching up"
note "ok: store faults at b never blamed a; b caught up once its store worked"
