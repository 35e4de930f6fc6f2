#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A node whose key is not a node of the network connects to a member: it is
# refused at the CurveZMQ handshake by the member's ZAP handler, both sides
# say so (the member logs and counts the refused key, the outsider logs that
# it was refused and why, and `valise status` shows it on both sides), and
# nothing is synced in either direction. Keys of the network that are not
# nodes (a central authority's) are refused the same way.
#
# Defence checked: the deny-by-default ZAP gate. Without it (or with a gate
# that admits any key, or any member key whatever its role), the outsider
# completes the handshake, its `hello` reaches the member (logged as a
# session "connected to us"), and the checks on the handshake refusal fail.
source "$(dirname "$0")/lib.sh"

fed_network n1 n2
fed_topology "n2-n1"
fed_start n1 n2
wait_until 20 converged

record_json "$T/mu1.json" MU-01 "+230 5550 1111"
id=$(propose_at n1 mu --file "$T/mu1.json")
approve_at n1 "$id"
wait_until 20 at_seq 1 n1 n2
wait_until 20 converged
before=$(fed_heads n1 | awk '{print $2, $3, $4}')

note "an outsider: its own network names n1 (so its config can), but n1's does not name it"
fed_keys outsider
"$VALISE" genesis create --name "outsider network" --threshold 2 \
    --approver "$(pub sec1)" "$(pub sec2)" --node "$(pub outsider)" "$(pub n1)" \
    --out "$T/outsider.vlg" >/dev/null || fail "outsider genesis"
"$VALISE" genesis sign "$T/outsider.vlg" --key "$(key sec1)" >/dev/null || fail "sign"
"$VALISE" genesis sign "$T/outsider.vlg" --key "$(key sec2)" >/dev/null || fail "sign"
mkdir -p "$T/outsider"
"$VALISE" init --genesis "$T/outsider.vlg" --key "$(key outsider)" --store "$(store outsider)" \
    >/dev/null || fail "outsider init"
FED_PORT[outsider]=$(fed_ports_take 1)
FED_PEERS[outsider]=" n1"
fed_config outsider
FED_NODES+=(outsider)
fed_start outsider

xkey=$("$VL_RAWPEER" x25519 "$(pub outsider)")
note "waiting for n1 to refuse transport key ${xkey:0:16}... and for the outsider to learn it"
wait_until 20 log_has n1 "zap: refused client key $xkey"
wait_until 20 log_has outsider 'refused by peer .*our key is not admitted'
s_refused_in_status() {
    local a b
    a=$(fed_status n1 | json_get 'str(d["refused"]["by_us"]["count"]) + " " + d["refused"]["by_us"]["last"]') || return 1
    case "$a" in 0\ *) return 1 ;; *"${xkey:0:32}"*) ;; *) return 1 ;; esac
    b=$(fed_status outsider | json_get '" ".join(p["state"] + "|" + p["last_error"] for p in d["peers"])') || return 1
    case "$b" in *refused*"not admitted"*) ;; *) return 1 ;; esac
}
wait_until 20 s_refused_in_status

echo "--- valise status at n1 (the member)"
"$VALISE" status --store "$(store n1)" --key "$(key n1)" | sed -n '/^peers/,$p'
echo "--- valise status at the outsider"
"$VALISE" status --store "$(store outsider)" --key "$(key outsider)" | sed -n '/^peers/,$p'

note "nothing was synced to or from it"
[ "$(fed_heads n1 | awk '{print $2, $3, $4}')" = "$before" ] || fail "n1's head moved"
[ "$(head_seq outsider)" = 0 ] || fail "the outsider got entries"
okid=$(fed_status outsider | json_get 'd["me"].split("(")[1].rstrip(")")')
if fed_status n1 | json_get '" ".join(str(p["kid"]) for p in d["peers"])' | grep -q "$okid"; then
    fail "n1 has a session record for the outsider (key id $okid)"
fi
if grep -E 'connected to us' "$(fed_log n1)" | grep -vq '(n2)'; then
    fail "a session other than n2's was opened at n1: $(grep 'connected to us' "$(fed_log n1)")"
fi
fed_status n1 | json_get '[p for p in d["peers"] if p["addr"].startswith("in:") and p["name"] != "n2"]' |
    grep -qx '\[\]' || fail "n1 lists an unexpected peer"

note "keys of the network that are not nodes are refused too (a central authority's)"
fed_stop outsider
rc=0
"$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[n1]}" --server "$(pub n1)" --key "$(key mu)" \
    --genesis "$T/genesis.vlg" --timeout 5000 hello >"$T/raw.out" 2>&1 || rc=$?
cat "$T/raw.out"
[ "$rc" -eq 3 ] || fail "the authority key was not refused at the handshake (exit $rc)"
mux=$("$VL_RAWPEER" x25519 "$(pub mu)")
s_last_refused() {
    fed_status n1 | json_get 'd["refused"]["by_us"]["last"]' | grep -q "${1:0:32}"
}
wait_until 20 s_last_refused "$mux"

note "a member node key is admitted (the same tool, the same way)"
"$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[n1]}" --server "$(pub n1)" --key "$(key n2)" \
    --genesis "$T/genesis.vlg" --timeout 5000 hello >"$T/raw.out" 2>&1 || fail "n2's key: $(cat "$T/raw.out")"
grep -q 'recv hello seq=1' "$T/raw.out" || fail "no hello from n1 to a member: $(cat "$T/raw.out")"

fed_alive n1 n2
fed_stop n2 n1
echo "t_refused: OK"
