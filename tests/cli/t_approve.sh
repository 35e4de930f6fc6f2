#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Approvals: below the threshold nothing changes; the same approver counts
# once; a stale base revision needs a rebase; settled proposals stay settled.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

id=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 2222')
ok approve "${id:0:10}" --key "$T/sec1.key"
has "^approved $id \(1/2\)$"

# Below the threshold: the record is unchanged, the log did not move.
ok get MU-01 --json --key "$T/node.key"
[ "$(json_get 'd["revision"]' <"$T/out")" = 1 ] || fail "revision moved after one approval"
[ "$(json_get 'd["record"]["contact"]["phones"][0]' <"$T/out")" = "+230 5550 1111" ] ||
    fail "one approval changed the record"
ok status --json --key "$T/node.key"
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 1 ] || fail "one approval added an entry"
[ "$(json_get 'd["pending"]' <"$T/out")" = 1 ] || fail "proposal not pending"
ok review --key "$T/node.key"
has 'approvals 1/2'
snapshot "$T/snap.1"

# The same approver twice: refused, still 1/2. A run (--all) is another
# object than the candidate: the first --all signs it, the second is refused.
refused 1 "already exists.*already approved" approve "$id" --key "$T/sec1.key"
unchanged "$T/snap.1"
ok approve --all --key "$T/sec1.key"
has "^approved $id \(1/2\)$"
snapshot "$T/snap.1"
refused 1 "already exists.*already approved the pending run" approve --all --key "$T/sec1.key"
unchanged "$T/snap.1"

# Unknown or ambiguous prefixes.
refused 1 "not found" approve ffffffff --key "$T/sec1.key"
refused 1 "invalid argument|not found" approve zz --key "$T/sec1.key"
unchanged "$T/snap.1"

# A second proposal on the same base revision, then the first is applied:
# the second is stale and needs a rebase; it stays pending.
mg_id=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 08:00-16:00')
stale_mu=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[1]=+230 5550 3333')
ok approve "$id" --key "$T/sec2.key"
has "^approved $id \(2/2\): applied as entry 2$"
ok review "$stale_mu" --key "$T/node.key"
has 'base revision 1; current revision is 2: needs rebase'
snapshot "$T/snap.2"
refused 1 "needs rebase" approve "$stale_mu" --key "$T/sec1.key"
unchanged "$T/snap.2"
ok status --json --key "$T/node.key"
[ "$(json_get 'd["pending"]' <"$T/out")" = 2 ] || fail "stale proposal is no longer pending"
# --all approves what it can and reports the rest (exit 1).
rc=0
"$VALISE" approve --all --key "$T/sec1.key" >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 1 ] || fail "approve --all with a stale proposal exited $rc"
has "^approved $mg_id \(1/2\)$"
grep -q "needs rebase" "$T/err" || fail "approve --all did not report the stale proposal"
# The author proposes again on the current revision; that one goes through.
fresh=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[1]=+230 5550 3333')
ok review "$fresh" --key "$T/node.key"
has 'base revision 2\)'
approve_both "$fresh"
ok get MU-01 --json --key "$T/node.key"
[ "$(json_get 'd["record"]["contact"]["phones"]' <"$T/out")" = "['+230 5550 2222', '+230 5550 3333']" ] ||
    fail "rebased change not applied"

# A rejected proposal can be neither approved nor rejected again.
ok reject "$stale_mu" --reason "superseded by $fresh" --key "$T/sec2.key"
snapshot "$T/snap.3"
refused 1 "not found" approve "$stale_mu" --key "$T/sec1.key"
refused 1 "not found" reject "$stale_mu" --reason again --key "$T/sec1.key"
# An applied proposal likewise.
refused 1 "not found" approve "$fresh" --key "$T/sec1.key"
unchanged "$T/snap.3"

# Two pending proposals approved one by one, by one approver then the other:
# the first is applied; the second's candidate was built on the old head, so
# the earlier approval no longer counts, and the tool says so.
p1=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 08:00-15:00')
p2=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 08:00-15:00')
ok reject "$mg_id" --reason "superseded" --key "$T/sec1.key"
ok approve "$p1" "$p2" --key "$T/sec1.key"
ok approve "$p1" "$p2" --key "$T/sec2.key"
has 'applied as entry 4'
has '\(1/2\): the log moved since the earlier approvals, which must be given again'
ok review --key "$T/node.key"
has 'approvals 1/2'
ok approve "$p2" --key "$T/sec1.key"
has 'applied as entry 5'
# With --all by each approver (one run), both of the next two are applied.
p3=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 08:30-15:00')
p4=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 08:30-15:00')
ok approve --all --key "$T/sec1.key"
ok approve --all --key "$T/sec2.key"
has "^approved ($p3|$p4) \(2/2\): applied as entry 6$"
has "^approved ($p3|$p4) \(2/2\): applied as entry 7$"
ok verify --key "$T/node.key"
has '^verify: OK \(7 entries'
echo "t_approve: OK"
