#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile `policies`, `fresh` and `evidence` messages (docs/trust.md §6). A
# member node key ("mallory", in the genesis, no daemon) connects to h1 with
# vl_rawpeer, says a valid hello, and sends one message per attack. After
# each, h1 must still run with its store unchanged (head, policy version,
# freshness statement, no fork), and must have dropped mallory, told it why
# and counted it, or, for what is merely old news, not have dropped it:
#
#   a policy version signed only by its new approvers   drop (k of version 1's needed)
#   a policy document of garbage                        drop
#   a freshness statement with a forged signature       drop
#   an older freshness statement than h1's              no drop (a rollback, refused quietly)
#   evidence with a forged signature                    drop
#   evidence of one entry twice                         drop
#
# Defence checked: every such message goes through the store's checks, and
# only honest situations go unblamed. Without them h1 adopts the thieves'
# policy, replaces its statement, or stops its log at a fake fork.
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

FED_EXTRA_NODES="mallory"
FED_FRESH_NODE=h1
FED_FRESH_INTERVAL=1
FED_FRESH_TTL=600
fed_network h1 h2
fed_keys thief1 thief2
fed_topology "h2-h1"
fed_start h1 h2
record_json "$T/mu1.json" MU-01 "+230 5550 1111"
id=$(propose_at h1 mu --file "$T/mu1.json")
approve_at h1 "$id"
wait_until 20 at_seq 1 h1 h2
wait_until 20 converged

note "material: a version 2 signed by two thieves only, an old statement, two entries 2"
"$VALISE" policy propose --store "$(store h2)" --key "$(key mu)" \
    --rotate "$(pub sec1)=$(pub thief1)" --rotate "$(pub sec2)=$(pub thief2)" \
    --out "$T/thief.vlp" >"$T/policy.out" 2>&1 || fail "policy propose: $(cat "$T/policy.out")"
for t in thief1 thief2; do
    "$VALISE" policy sign "$T/thief.vlp" --store "$(store h2)" --key "$(key "$t")" \
        --store-key "$(key mu)" >"$T/policy.out" 2>&1 || fail "policy sign $t: $(cat "$T/policy.out")"
done
head -c 600 /dev/urandom >"$T/garbage.vlp"
"$VALISE" fresh export --out "$T/old.vfs" --store "$(store h1)" --key "$(key h1)" >/dev/null ||
    fail "fresh export"
mkfork forkA h1 1   # A2
mkfork forkB h1 1   # B2 (another entry 2)

# Wait for a statement newer than the exported one at h1.
fresh_issued() {
    fed_status h1 2>/dev/null | json_get 'd["freshness"]["issued"]'
}
i0=$(fresh_issued)
newer() { [ "$(fresh_issued)" != "$i0" ]; }
wait_until 10 newer
"$VALISE" fresh export --out "$T/new.vfs" --store "$(store h1)" --key "$(key h1)" >/dev/null ||
    fail "fresh export"

state() {
    fed_status h1 2>/dev/null | json_get '" ".join(map(str, (d["head"]["seq"], d["head"]["hash"], d["policy_version"], d["fork_seq"])))'
}
before=$(state)
raw() {
    "$VL_RAWPEER" --connect "tcp://127.0.0.1:${FED_PORT[h1]}" --server "$(pub h1)" \
        --key "$(key mallory)" --genesis "$T/genesis.vlg" --timeout 10000 "$@"
}
drops_above() { [ "$(log_count h1 'dropped:')" -gt "$1" ]; }

# attack NAME drop|nodrop ARGS...
attack() {
    local name=$1 expect=$2 d0 rc=0
    shift 2
    d0=$(log_count h1 'dropped:')
    note "attack: $name"
    raw "$@" >"$T/raw.out" 2>&1 || rc=$?
    sed 's/^/    | /' "$T/raw.out" | grep -v 'recv hello\|recv fresh'
    [ "$rc" -eq 0 ] || fail "vl_rawpeer $* exited $rc"
    fed_alive h1
    if [ "$expect" = drop ]; then
        wait_until 10 drops_above "$d0"
        grep -q '^recv error' "$T/raw.out" || fail "$name: the attacker was not told why"
        [ "$(log_count h1 'dropped:')" -eq $((d0 + 1)) ] ||
            fail "$name: $(( $(log_count h1 'dropped:') - d0 )) drops for one attack"
    else
        grep -q '^recv error' "$T/raw.out" && fail "$name: an honest situation was treated as an offence"
        [ "$(log_count h1 'dropped:')" -eq "$d0" ] || fail "$name: the attacker was dropped"
    fi
    [ "$(state)" = "$before" ] || fail "$name: h1 changed: $(state), was $before"
}

attack "a policy version signed only by its new approvers" drop send policies "$T/thief.vlp"
attack "a policy document of garbage" drop send policies "$T/garbage.vlp"
attack "a freshness statement with a forged signature" drop send fresh "$T/new.vfs" --flip 0
attack "an older freshness statement than h1's" nodrop send fresh "$T/old.vfs"
attack "evidence with a forged signature" drop send evidence "$SCRATCH/forkA:2" "$SCRATCH/forkB:2" --flip 1
attack "evidence of one entry twice" drop send evidence "$SCRATCH/forkA:2" "$SCRATCH/forkA:2"

note "h1 and h2 still agree, at policy version 1, with no fork"
[ "$(fed_status h2 | json_get 'd["policy_version"]')" = 1 ] || fail "h2's policy changed"
[ "$(fed_status h2 | json_get 'd["fork_seq"]')" = 0 ] || fail "h2 records a fork"
wait_until 20 converged
fed_alive h1 h2
fed_stop h2 h1
echo "t_trust_hostile: OK"
