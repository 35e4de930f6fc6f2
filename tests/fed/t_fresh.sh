#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Freshness statements (docs/trust.md §3). The genesis names f1 (the
# Secretariat's node) as the fresh node; f2 connects to f1 and f3 to f2, so f3
# is two hops away and never talks to f1.
#
#  * f1's daemon signs a statement of its head every fresh_interval (2 s here)
#    and whenever its head moves; each node relays the newest one it holds, so
#    f3's store holds a recent statement of f1's, and the newer ones keep
#    coming;
#  * an entry approved at f1 is named by a statement at once;
#  * f1 stops (a freeze: no statement any more). With the clock of the reader
#    beyond the last statement's expiry plus the allowed skew (VALISE_NOW),
#    `valise get` at f3 still answers, and warns on stderr that the directory
#    may be stale; `valise status --json` says "stale". Just before that
#    moment it does not warn.
#
# Defence checked: signing and relaying statements, and the stale warning.
# Without the signer or the relay f3 never holds a statement (its freshness
# stays "unknown") and the first wait fails; without the warning the last
# checks fail.
source "$(dirname "$0")/lib.sh"

FED_FRESH_NODE=f1
FED_FRESH_INTERVAL=2
FED_FRESH_TTL=30
SKEW=300 # VL_CLOCK_SKEW

fed_network f1 f2 f3
fed_topology "f2-f1 f3-f2"

# fresh_field NODE EXPR: EXPR of NODE's status "freshness" object (f), with
# "issued" and "expires" in Unix seconds (the status gives ISO 8601 UTC).
fresh_field() {
    fed_status "$1" 2>/dev/null | "$PY" -c '
import json, sys
from datetime import datetime
f = json.load(sys.stdin)["freshness"]
for k in ("issued", "expires"):
    if f.get(k):
        f[k] = int(datetime.fromisoformat(f[k].replace("Z", "+00:00")).timestamp())
print(eval(sys.argv[1]))' "$2"
}
fresh_state() { [ "$(fresh_field "$1" 'f["state"]')" = "$2" ]; }
issued_above() { [ "$(fresh_field "$1" 'f["issued"] or 0')" -gt "$2" ]; }
fresh_seq_is() { [ "$(fresh_field "$1" 'f["seq"]')" = "$2" ] && fresh_state "$1" fresh; }

note "before any statement, f3 knows the network has a fresh node but has heard nothing"
[ "$(fresh_field f3 'f["state"]')" = unknown ] || fail "f3: $(fresh_field f3 'f')"

fed_start f1 f2 f3
wait_until 30 log_has f1 'freshness statement issued: entry 0'
note "f1's statements reach f3, two hops away"
wait_until 30 fresh_state f3 fresh
i0=$(fresh_field f3 'f["issued"]')
wait_until 20 issued_above f3 "$i0"
note "and keep coming: issued $i0, then $(fresh_field f3 'f["issued"]')"
if log_has f3 'dropped:' || log_has f2 'dropped:'; then
    fail "an honest peer was dropped: $(grep -h 'dropped:' "$(fed_log f2)" "$(fed_log f3)" | head -3)"
fi

note "an entry approved at f1 is named by a statement at once"
record_json "$T/mu1.json" MU-01 "+230 5550 1111"
id=$(propose_at f1 mu --file "$T/mu1.json")
approve_at f1 "$id"
wait_until 20 at_seq 1 f1 f2 f3
wait_until 20 fresh_seq_is f3 1
log_has f1 'freshness statement issued: entry 1' || fail "no statement of entry 1 in f1's log"

note "f1 stops: no statement any more (a freeze)"
fed_stop f1
exp=$(fresh_field f3 'f["expires"]')
sleep 1
[ "$(fresh_field f3 'f["expires"]')" = "$exp" ] || fail "a statement arrived after f1 stopped"

note "at the last statement's expiry plus the skew, f3 reads without a warning"
VALISE_NOW=$((exp + SKEW)) "$VALISE" get MU-01 --store "$(store f3)" --key "$(nodekey f3)" \
    >"$T/get.out" 2>"$T/get.err" || fail "get at f3: $(cat "$T/get.err")"
grep -q '+230 5550 1111' "$T/get.out" || fail "get at f3 did not answer: $(cat "$T/get.out")"
if grep -qi 'stale' "$T/get.err"; then
    fail "a warning before the expiry: $(cat "$T/get.err")"
fi

note "one second later the directory may be stale: f3 still answers, and says so"
VALISE_NOW=$((exp + SKEW + 1)) "$VALISE" get MU-01 --store "$(store f3)" --key "$(nodekey f3)" \
    >"$T/get.out" 2>"$T/get.err" || fail "get at f3 (stale): $(cat "$T/get.err")"
grep -q '+230 5550 1111' "$T/get.out" || fail "a stale get did not answer: $(cat "$T/get.out")"
grep -qi 'stale' "$T/get.err" || fail "no stale warning: $(cat "$T/get.err")"
echo "    valise get at f3: $(head -c 300 "$T/get.err")"
st=$(VALISE_NOW=$((exp + SKEW + 1)) fed_status f3 2>/dev/null | json_get 'd["freshness"]["state"]')
[ "$st" = stale ] || fail "status at f3 says \"$st\", not stale"

fed_alive f2 f3
fed_stop f3 f2
echo "t_fresh: OK"
