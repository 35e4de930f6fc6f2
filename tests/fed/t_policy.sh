#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Policy versions over the federation (docs/trust.md §1, §2, §6). Four nodes;
# n1 is the Secretariat's. n2, n3 and n4 connect to n1, and n4 (to be revoked)
# also to n2 and n3, so that every other node can refuse it.
#
#  1. Entry 1 is approved under version 1 and reaches every node.
#  2. With n2 stopped, two versions are published at n1 with `valise policy`:
#     version 2 rotates the approver sec2 to sec2b and n3's node key to n3b;
#     version 3 revokes the node n4. n1's daemon notices each at once, pushes
#     it to its peers, rebuilds its ZAP allow-list and closes the sessions of
#     keys that are no longer nodes (n3's old key, then n4), after sending
#     them the versions that remove them: each logs that its key is revoked,
#     and keeps running.
#  3. n2 restarts at version 1: n1 pushes versions 2 and 3 in one `policies`
#     message and n2 adopts both, then closes n4's session.
#  4. n3's operator starts its node again with the rotated key n3b (a store
#     made from the genesis and versions 2 and 3): it connects and syncs.
#  5. n4 is refused at the handshake by n1, n2 and n3b (ZAP), and says so.
#  6. An entry approved after the revocation (by sec1 and the rotated sec2b;
#     the old sec2 can no longer approve) reaches n2 and n3b, not n4.
#
# Defence checked: policy gossip and adoption, the allow-list rebuilt and
# sessions re-checked on adoption. Without the push, n2 stays at version 1
# (step 3 fails); without the rebuilt allow-list or the session re-check, n4
# keeps its sessions or is admitted again and gets entry 2 (steps 5, 6 fail).
source "$(dirname "$0")/lib.sh"

FED_EXTRA_NODES=""
fed_network n1 n2 n3 n4
fed_keys sec2b n3b
fed_topology "n2-n1 n3-n1 n4-n1 n4-n2 n4-n3"
fed_start n1 n2 n3 n4
wait_until 30 converged

policy_version() { fed_status "$1" 2>/dev/null | json_get 'd["policy_version"]'; }
at_version() {
    local v=$1 n
    shift
    for n in "$@"; do
        [ "$(policy_version "$n")" = "$v" ] || return 1
    done
}

note "entry 1 under version 1"
record_json "$T/mu1.json" MU-01 "+230 5550 1111"
id=$(propose_at n1 mu --file "$T/mu1.json")
approve_at n1 "$id"
wait_until 30 at_seq 1 n1 n2 n3 n4
wait_until 30 converged

note "n2 stops; version 2 (rotate sec2 -> sec2b, n3 -> n3b) is published at n1"
fed_stop n2
V() { "$VALISE" --store "$(store n1)" "$@"; }
V policy propose --key "$(key sec1)" --rotate "$(pub sec2)=$(pub sec2b)" \
    --rotate "$(pub n3)=$(pub n3b)" --out "$T/v2.vlp" >"$T/policy.out" ||
    fail "policy propose v2: $(cat "$T/policy.out")"
V policy sign "$T/v2.vlp" --key "$(key sec2)" >/dev/null || fail "v2: sign by sec2"
V policy sign "$T/v2.vlp" --key "$(key sec2b)" --store-key "$(key n1)" >/dev/null ||
    fail "v2: sign by sec2b"
V policy publish "$T/v2.vlp" --key "$(key n1)" >"$T/policy.out" 2>&1 ||
    fail "policy publish v2: $(cat "$T/policy.out")"
wait_until 20 log_has n1 'policy version 2 adopted'
wait_until 20 at_version 2 n4
wait_until 20 log_has n3 "this node's key is revoked by policy version 2"

note "version 3 (revoke n4) is published at n1"
V policy propose --key "$(key sec1)" --revoke "$(pub n4)" --out "$T/v3.vlp" >"$T/policy.out" ||
    fail "policy propose v3: $(cat "$T/policy.out")"
V policy sign "$T/v3.vlp" --key "$(key sec2b)" --store-key "$(key n1)" >/dev/null ||
    fail "v3: sign by sec2b"
V policy publish "$T/v3.vlp" --key "$(key n1)" >"$T/policy.out" 2>&1 ||
    fail "policy publish v3: $(cat "$T/policy.out")"
wait_until 20 log_has n1 'policy version 3 adopted'
wait_until 20 log_has n4 "this node's key is revoked by policy version 3"
wait_until 20 log_has n1 'peer in:[0-9a-f]+ [0-9a-f]+ \(n4\): its key is not a node of policy version 3; session closed'
[ "$(policy_version n4)" = 2 ] || fail "n4 adopted the version that revokes it"
fed_alive n3 n4

note "n2 restarts at version 1 and gets versions 2 and 3 in one message"
fed_start n2
wait_until 30 at_version 3 n2
log_has n2 'policy version 3 adopted: .*\(was version [12]\)' || fail "n2 did not log the adoption"
log_has n1 'sent policy versions 2\.\.3' || fail "n1 did not push versions 2..3 to n2 together"

note "n3 comes back with its rotated key n3b (a store made at version 3)"
fed_stop n3
"$VALISE" init --genesis "$T/genesis.vlg" --policy "$T/v2.vlp" "$T/v3.vlp" --key "$(key n3b)" \
    --store "$T/n3/store-n3b" >"$T/init.out" 2>&1 || fail "init with the rotated key: $(cat "$T/init.out")"
FED_KEYOF[n3]=n3b
FED_STOREOF[n3]="$T/n3/store-n3b"
fed_config n3
fed_start n3
wait_until 30 at_seq 1 n3
wait_until 20 at_version 3 n1 n2 n3

note "n4 is refused at the handshake by every other node"
x4=$("$VL_RAWPEER" x25519 "$(pub n4)")
for n in n1 n2 n3; do
    wait_until 30 log_has "$n" "zap: refused client key $x4"
done
wait_until 20 log_has n4 'refused by peer .*our key is not admitted'
s_refused_n4() {
    fed_status n1 | json_get 'd["refused"]["by_us"]["last"]' | grep -q "${x4:0:32}"
}
wait_until 20 s_refused_n4

note "an entry approved after the revocation reaches n2 and n3b, not n4"
record_json "$T/mu2.json" MU-02 "+230 5550 2222"
id=$(propose_at n1 mu --file "$T/mu2.json")
if "$VALISE" approve "$id" --store "$(store n1)" --key "$(key sec2)" >"$T/approve.out" 2>&1; then
    fail "the rotated-away approver sec2 could still approve: $(cat "$T/approve.out")"
fi
FED_APPROVERS="sec1 sec2b" approve_at n1 "$id"
wait_until 30 at_seq 2 n1 n2 n3
wait_until 30 converged n1 n2 n3
sleep 2
[ "$(head_seq n4)" = 1 ] || fail "the revoked node got entry 2: $(fed_heads n4)"
"$VALISE" get MU-02 --store "$(store n3)" --key "$(nodekey n3)" | grep -q '+230 5550 2222' ||
    fail "entry 2 is not readable at n3b"

echo "--- valise status at n1"
"$VALISE" status --store "$(store n1)" --key "$(key n1)" 2>&1 | sed -n '1,/^peers/p' | head -12
fed_alive n1 n2 n3 n4
fed_stop n4 n3 n2 n1
echo "t_policy: OK"
