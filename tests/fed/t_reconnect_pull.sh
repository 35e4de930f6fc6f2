#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A peer that re-creates its connection while our get is outstanding on the
# old one (docs/protocol.md §3, a quiet peer): after a silent cut the old
# connection's send queue may wait out TCP's retransmission back-off, so the
# get we sent there may never be answered. The new connection's hello must
# take the pull over at once, without blame, instead of leaving it to the
# pull timeout (15 s here); the old session is not pulled from again while
# the new one works.
#
# vl_rawpeer plays the peer with one node key ("px"): a first connection
# claims a higher head, takes a's get and never answers (stall); a second
# connection with the same key claims head 3 and answers the get it must
# receive within 5 s with three real entries. Without the take-over, a waits
# for the stalled get and the second connection sees no get in time (exit 5).
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

FED_EXTRA_NODES="px"
fed_network a
fed_topology ""
mkfork src a 3
fed_start a
raw() {
    "$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[a]}" --server "$(pub a)" \
        --key "$(key px)" --genesis "$T/genesis.vlg" "$@"
}

note "first connection of px: claims a higher head, takes the get, never answers"
# Not through raw(): $! must be vl_rawpeer itself, for fed_cleanup to kill it.
"$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[a]}" --server "$(pub a)" --key "$(key px)" \
    --genesis "$T/genesis.vlg" --timeout 10000 stall 60 >"$T/raw1.out" 2>&1 &
FED_BG+=($!)
stalled() { grep -q '^stalling for' "$T/raw1.out"; }
wait_until 15 stalled
log_has a 'peer in:[0-9a-f]+ [0-9a-f]+ \(px\): hello' || fail "a has no session of px"

note "second connection of px: the get must come here, well before the pull timeout"
rc=0
raw --timeout 5000 entries "$SCRATCH/src:1-3" --claim 3 >"$T/raw2.out" 2>&1 || rc=$?
sed 's/^/    | /' "$T/raw2.out"
[ "$rc" -eq 0 ] || fail "the second connection got no get in time (vl_rawpeer exit $rc): a still waits on the stalled one"
grep -q '^recv get from=1 ' "$T/raw2.out" || fail "the second connection was not asked from entry 1"
wait_until 10 at_seq 3 a
log_has a '\(px\): a new connection of this key; the get outstanding here is forgotten and asked again' ||
    fail "a did not log the take-over"
# The take-over itself drops nobody (the stalled get is forgotten, not
# treated as an offence; a drop for it would otherwise come only at the pull
# timeout, after this test's window).
if log_has a 'dropped:'; then
    fail "a dropped a session: $(grep 'dropped:' "$(fed_log a)" | head -3)"
fi
"$VALISE" verify --store "$(store a)" --key "$(nodekey a)" >"$T/verify.out" 2>&1 ||
    fail "verify at a: $(cat "$T/verify.out")"
fed_alive a
echo "t_reconnect_pull: OK"
