#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Equivocation (docs/trust.md §5). Two stores of one network, made from the
# same genesis, each approve a DIFFERENT proposal as entry 1 with the same
# approver keys (both entries valid: the approvers signed two histories); b
# also approves an entry 2 on top of its own. Then their daemons meet:
#
#  * a pulls from b (b is ahead): b's entry 2 does not chain onto a's head,
#    so a asks b for its entry 1, finds it valid and different: a FORK; b sees
#    a's hello name another link at entry 1 and does the same. Both store the
#    pair as evidence (whichever is first also sends it to the other), log it,
#    and stop pulling (a never takes b's entry 2).
#  * c, a new node started later from the genesis and connected to b only,
#    gets the evidence when its session opens, and applies nothing at or after
#    the fork, although b offers it two entries.
#  * `valise status` shows the fork at entry 1 on every node, with both
#    approvers as the signers of both sides; nobody keeps asking (no spin).
#
# Defence checked: fork detection (both triggers), evidence and the stop.
# Without it a and b drop each other as peers with a broken chain and find no
# fork (no evidence anywhere), and c syncs b's two entries; without one of
# the two triggers, that side's check is missing from its log; without the
# evidence push, c never learns of the fork.
source "$(dirname "$0")/lib.sh"

fed_network a b c
fed_topology "b-a c-b"

note "two histories from one genesis: a and b each approve another entry 1"
record_json "$T/a1.json" MU-01 "+230 5550 1111"
id=$(propose_at a mu --file "$T/a1.json")
approve_at a "$id"
record_json "$T/b1.json" MU-01 "+230 5550 2222"
id=$(propose_at b mu --file "$T/b1.json")
approve_at b "$id"
record_json "$T/b2.json" MU-02 "+230 5550 3333"
id=$(propose_at b mu --file "$T/b2.json")
approve_at b "$id"
[ "$(head_seq a)" = 1 ] && [ "$(head_seq b)" = 2 ] || fail "setup: heads $(fed_heads a b)"
a1=$(fed_heads a | awk '{print $3}')

# fork_known NODE: its status shows the fork at entry 1, signed on both sides
# by both approvers.
fork_known() {
    fed_status "$1" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
f = d["forks"]
ok = d["fork_seq"] == 1 and len(f) == 1 and f[0]["seq"] == 1 and len(f[0]["both"]) == 2
sys.exit(0 if ok else 1)'
}

note "a and b meet"
fed_start a b
wait_until 30 fork_known a
wait_until 30 fork_known b
wait_until 10 log_has a 'FORK at entry 1'
wait_until 10 log_has b 'FORK at entry 1'
# Each side found it by its own check (the order of messages on the
# connection makes both happen before any evidence arrives): b saw a's hello
# name another link at entry 1; a saw b's entry 2 not follow its head.
log_has a '\(b\): its entry 1 may differ from ours; asking for it' ||
    fail "a did not check b's entry 1 after b's batch failed to chain"
log_has b '\(a\): its entry 1 may differ from ours; asking for it' ||
    fail "b did not check a's entry 1 after a's hello named another head"
grep -h 'FORK at entry 1' "$(fed_log a)" "$(fed_log b)" | head -2 | cut -c1-300

note "neither applied the other's history"
[ "$(head_seq a)" = 1 ] || fail "a's head moved past the fork: $(fed_heads a)"
[ "$(fed_heads a | awk '{print $3}')" = "$a1" ] || fail "a's entry 1 changed"
[ "$(head_seq b)" = 2 ] || fail "b's head changed: $(fed_heads b)"

note "c starts from the genesis, connected to b only"
fed_start c
wait_until 30 fork_known c
wait_until 10 log_has c 'FORK at entry 1: evidence received from peer'
# c asked b for its entries before the evidence arrived; the store refused
# them (the log stops at the fork) and c did not blame b.
sleep 2
[ "$(head_seq c)" = 0 ] || fail "c applied entries at or after the fork: $(fed_heads c)"
if log_has c 'dropped:'; then
    fail "c dropped an honest peer: $(grep 'dropped:' "$(fed_log c)" | head -3)"
fi

note "nobody keeps asking: the gets in each log stop growing"
gets() { cat "$(fed_log a)" "$(fed_log b)" "$(fed_log c)" | grep -c ': get [0-9]' || true; }
g0=$(gets)
sleep 3
g1=$(gets)
[ "$g1" -le "$((g0 + 1))" ] || fail "gets keep coming after the fork ($g0, then $g1 three seconds later)"
[ "$(head_seq a)" = 1 ] && [ "$(head_seq c)" = 0 ] || fail "heads moved: $(fed_heads)"

echo "--- valise status at c"
"$VALISE" status --store "$(store c)" --key "$(nodekey c)" 2>&1 | grep -iA3 'fork' | head -8

fed_alive a b c
fed_stop c b a
echo "t_fork: OK"
