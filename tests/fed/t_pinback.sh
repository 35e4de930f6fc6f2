#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A node below a policy version's pin pulls back from the pin (docs/trust.md
# §1.2, docs/protocol.md §3). Four nodes: n1 honest, n2 and n4 hostile, n3
# the node under attack.
#
#  1. n1 holds entries 1..3 and version 2 (sec2 rotated to sec2b, from 4:
#     it pins n1's entry 3). n2 holds another history, entries 1..2, and n4
#     another, entries 1..3, approved by the old approvers sec1 + sec2
#     (valid under version 1). n3 is made from the genesis and version 2,
#     at head 0, connected to n2 only.
#  2. n2's head (2) is below the pin: n3 takes nothing from it.
#  3. A hostile peer (vl_rawpeer, key mallory) claims head 3 and answers
#     n3's get with n4's entries 1..3: n3 pulls back from the pin, the batch
#     does not link to the pin's `after`, the peer is dropped, and n3's head
#     stays 0. (n4 runs no daemon: an honest build refuses version 2.)
#  4. n3 is connected to n1 as well: it pulls entries 1..3 back from the pin,
#     applies them and converges on n1's head.
#
# Defence checked: without the pull back (a forward pull, as before), n3
# applies the forged entries 1..2 in step 2 (its head is 2, not 0).
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

FED_EXTRA_NODES="mallory"

fed_network n1 n2 n3 n4
fed_keys sec2b

note "the true history: entries 1..3 at n1, then version 2 (from 4)"
for i in 1 2 3; do
    record_json "$T/mu$i.json" "MU-0$i" "+230 5550 111$i"
    id=$(propose_at n1 mu --file "$T/mu$i.json")
    approve_at n1 "$id"
done
V() { "$VALISE" --store "$(store n1)" "$@"; }
V policy propose --key "$(key sec1)" --rotate "$(pub sec2)=$(pub sec2b)" --out "$T/v2.vlp" \
    >"$T/policy.out" || fail "policy propose v2: $(cat "$T/policy.out")"
V policy sign "$T/v2.vlp" --key "$(key sec2)" >/dev/null || fail "v2: sign by sec2"
V policy sign "$T/v2.vlp" --key "$(key sec2b)" --store-key "$(key n1)" >/dev/null ||
    fail "v2: sign by sec2b"
V policy publish "$T/v2.vlp" --key "$(key n1)" >"$T/policy.out" 2>&1 ||
    fail "policy publish v2: $(cat "$T/policy.out")"

note "another history at n2: entries 1..2 approved by the old keys sec1 + sec2"
for i in 1 2; do
    record_json "$T/fx$i.json" "MU-X$i" "+230 5550 222$i"
    id=$(propose_at n2 mu --file "$T/fx$i.json")
    approve_at n2 "$id"
done
for i in 1 2 3; do
    record_json "$T/fy$i.json" "MU-Y$i" "+230 5550 333$i"
    id=$(propose_at n4 mu --file "$T/fy$i.json")
    approve_at n4 "$id"
done

note "n3: a store made from the genesis and version 2, connected to n2"
rm -rf "$(store n3)"
"$VALISE" init --genesis "$T/genesis.vlg" --policy "$T/v2.vlp" --key "$(key n3)" \
    --store "$(store n3)" >"$T/init.out" 2>&1 || fail "init n3 at version 2: $(cat "$T/init.out")"
fed_topology "n3-n2"
fed_start n2 n3
wait_until 20 log_has n3 '\(n2\): hello'
sleep 2
[ "$(head_seq n3)" = 0 ] || fail "n3 applied entries of n2's history below the pin (head $(head_seq n3))"

note "mallory serves n4's history (head 3): n3 pulls back from the pin, refuses, drops it"
"$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[n3]}" --server "$(pub n3)" \
    --key "$(key mallory)" --genesis "$T/genesis.vlg" --timeout 10000 \
    entries "$(store n4):1-3" --claim 3 >"$T/raw.out" 2>&1 || true
wait_until 20 log_has n3 'pulled back from a policy pin rejected'
log_has n3 'another history' || fail "n3 did not name the pin: $(grep pulled "$(fed_log n3)")"
[ "$(head_seq n3)" = 0 ] || fail "n3 applied a forged entry (head $(head_seq n3))"

note "n3 meets n1: it pulls 1..3 back from the pin and converges"
fed_stop n3
FED_PEERS[n3]=""
fed_topology "n3-n1 n3-n2"
fed_start n1 n3
wait_until 30 log_has n3 'applied 3 entries pulled back from the policy pin'
wait_until 30 converged n1 n3
fed_stop n3 n2 n1
echo "t_pinback: OK"
