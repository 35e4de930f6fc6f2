#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A status that tells the truth (docs/operator.md §5, docs/cli.md `status`):
#  1. both daemons run and are in sync: a's status shows b "connected" with a
#     last successful sync (text and --json);
#  2. a's daemon is stopped (SIGTERM), later b's is killed (SIGKILL): each
#     status says the daemon is stopped, and every peer "stopped", not a
#     stale "idle, last contact 1 s ago" (text and --json);
#  3. a restarts while b stays down (no new sync can happen): a's status
#     shows b "reconnecting" with the last sync and last contact of the
#     previous run, not "never".
#
# Defences checked: the daemon lock tested by status (without it, step 2
# shows the records' "idle"); the restart taking over the saved record
# (without it, step 3 shows "never": the new session's record overwrites it).
source "$(dirname "$0")/lib.sh"

fed_network a b
fed_topology "a-b"
fed_start a b
wait_until 30 converged
addr_b="tcp://127.0.0.1:${FED_PORT[b]}"

# text_status NODE: `valise status` (text) of NODE's store.
text_status() {
    "$VALISE" status --store "$(store "$1")" --key "$(nodekey "$1")"
}
synced() {
    [ "$(peer_field a "$addr_b" 'p["connection"], p["last_sync"] is not None')" = "('connected', True)" ]
}

note "1. in sync: b is connected, with a last sync"
wait_until 30 synced
text_status a >"$T/st1.txt" || fail "status"
grep -q "connected (idle), last contact [0-9]* s ago, last sync [0-9]* s ago" "$T/st1.txt" ||
    { cat "$T/st1.txt" >&2; fail "status text: no connected peer with a last sync"; }
# Times are ISO 8601 UTC.
peer_field a "$addr_b" 'p["last_sync"]' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' ||
    fail "last_sync is not ISO 8601 UTC: $(peer_field a "$addr_b" 'p["last_sync"]')"

note "2. a stops: its status says so"
fed_stop a
sync1=$(peer_field a "$addr_b" 'p["last_sync"]')
contact1=$(peer_field a "$addr_b" 'p["last_contact"]')
fed_status a >"$T/st2.json" || fail "status --json"
"$PY" - "$T/st2.json" <<'PYEOF' || fail "status --json after the stop"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["daemon"] == {"running": False, "pid": None}, d["daemon"]
assert d["peers"], "no peer records"
for p in d["peers"]:
    assert p["connection"] == "stopped", p
    assert p["last_sync"] is not None, p
PYEOF
text_status a >"$T/st2.txt" || fail "status"
grep -q "^daemon    stopped (no valise-node runs on this store)" "$T/st2.txt" ||
    { cat "$T/st2.txt" >&2; fail "status text does not say the daemon is stopped"; }
grep -q "stopped (daemon not running; it left the session" "$T/st2.txt" ||
    { cat "$T/st2.txt" >&2; fail "status text does not show the peer as stopped"; }
grep -Eq "^      (connected|idle)" "$T/st2.txt" && { cat "$T/st2.txt" >&2; fail "a stale connection state is shown"; }

note "   b is killed (SIGKILL): its status says stopped too"
fed_kill b
[ "$(fed_status b | json_get 'd["daemon"]["running"]')" = "False" ] || fail "b's status after kill -9"
[ "$(fed_status b | json_get 'sorted({p["connection"] for p in d["peers"]})')" = "['stopped']" ] ||
    fail "b's peers after kill -9: $(fed_status b | json_get '[p["connection"] for p in d["peers"]]')"

note "3. a restarts alone: the last sync of the previous run is kept"
sleep 1.1  # a new sync would now carry another second: it must not happen
fed_start a
reconnecting() {
    [ "$(peer_field a "$addr_b" 'p["connection"]')" = "reconnecting" ]
}
wait_until 30 reconnecting
sync2=$(peer_field a "$addr_b" 'p["last_sync"]')
contact2=$(peer_field a "$addr_b" 'p["last_contact"]')
[ "$sync2" = "$sync1" ] || fail "last sync after the restart: $sync2 (before: $sync1)"
[ "$contact2" = "$contact1" ] || fail "last contact after the restart: $contact2 (before: $contact1)"
text_status a >"$T/st3.txt" || fail "status"
grep -q "reconnecting (connecting), last contact [0-9]* s ago, last sync [0-9]* s ago" "$T/st3.txt" ||
    { cat "$T/st3.txt" >&2; fail "status text after the restart"; }
grep -q "never" "$T/st3.txt" && { cat "$T/st3.txt" >&2; fail "status shows 'never' after a restart"; }
note "ok: last sync $sync1 kept across the restart"
