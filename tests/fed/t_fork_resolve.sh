#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A fork settled by a policy version (docs/trust.md §5, docs/operator.md §8.3).
# a and b approve different entries 1 (a fork); b goes on to entry 2. c, a
# new node behind b, learns the evidence and stops. The approvers then keep
# b's history: they publish, on b's store, policy version 2, whose `after`
# pins b's entry 2. Then:
#
#  * c adopts version 2, and without a restart pulls b's entries 1 and 2: the
#    evidence is below the pin, it stops nothing any more;
#  * d, a new node started after the resolution, syncs from b, and nobody
#    drops anybody for passing on evidence below the pin;
#  * a, on the abandoned history, says so in its log (and is not pulled into
#    b's history).
#
# Defence checked: a pin settles forks below it (store: evidence below a
# pin no longer stops the log and is neither listed nor sent; node: the
# fork state is re-read when a version is adopted, evidence below a pin is
# not blamed). Without the re-read c stays at entry 0 until restarted; with
# settled evidence still sent, d drops b again and again and never syncs.
source "$(dirname "$0")/lib.sh"

fed_network a b c d
fed_keys xnode
fed_topology "b-a c-b d-b"

note "two histories from one genesis: a and b each approve another entry 1; b also an entry 2"
record_json "$T/a1.json" MU-01 "+230 5550 1111"
id=$(propose_at a mu --file "$T/a1.json")
approve_at a "$id"
record_json "$T/b1.json" MU-01 "+230 5550 2222"
id=$(propose_at b mu --file "$T/b1.json")
approve_at b "$id"
record_json "$T/b2.json" MU-02 "+230 5550 3333"
id=$(propose_at b mu --file "$T/b2.json")
approve_at b "$id"

fork_at() { [ "$(fed_status "$1" | json_get 'd["fork_seq"]')" = "$2" ]; }
pv_is() { [ "$(fed_status "$1" | json_get 'd["policy_version"]')" = "$2" ]; }

fed_start a b
wait_until 30 fork_at a 1
wait_until 30 fork_at b 1
note "c starts from the genesis, learns the fork and stops"
fed_start c
wait_until 30 fork_at c 1
[ "$(head_seq c)" = 0 ] || fail "c applied entries past a known fork"

note "the approvers keep b's history: version 2, published on b's store, pins b's entry 2"
V() { "$VALISE" --store "$(store b)" "$@"; }
V policy propose --key "$(key sec1)" --add-node "$(pub xnode)" --out "$T/v2.vlp" >"$T/p.out" 2>&1 ||
    fail "policy propose: $(cat "$T/p.out")"
V policy sign "$T/v2.vlp" --key "$(key sec2)" >"$T/p.out" 2>&1 || fail "policy sign: $(cat "$T/p.out")"
V policy publish "$T/v2.vlp" --key "$(nodekey b)" >"$T/p.out" 2>&1 ||
    fail "policy publish: $(cat "$T/p.out")"
wait_until 30 pv_is b 2
wait_until 30 pv_is c 2
wait_until 30 fork_at b 0
note "c resumes without a restart and takes b's history"
wait_until 30 at_seq 2 c
fork_at c 0 || fail "c still reports the fork after version 2"

note "d, started after the resolution, syncs from b; nobody is dropped for settled evidence"
fed_start d
wait_until 30 at_seq 2 d
wait_until 30 pv_is d 2
sleep 3
[ "$(log_count d 'dropped')" = 0 ] || fail "d dropped a peer: $(grep dropped "$(fed_log d)" | head -3)"
[ "$(log_count b 'dropped')" = 0 ] || fail "b dropped a peer: $(grep dropped "$(fed_log b)" | head -3)"
[ "$(log_count c 'dropped')" = 0 ] || fail "c dropped a peer: $(grep dropped "$(fed_log c)" | head -3)"

note "a, on the abandoned history, keeps its entry 1 and says why"
[ "$(head_seq a)" = 1 ] || fail "a's head moved: $(head_seq a)"
wait_until 30 log_has a "another history"

fed_stop d c b a
echo "t_fork_resolve: OK"
