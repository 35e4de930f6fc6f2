#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valise proposals: an authority sees what became of each of its proposals
# (applied with seq and approvers, rejected with an escaped reason, pending
# with approvals so far, needs rebase), --all for approvers only, --json
# field by field, review of a rejected id, usage errors.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

# Nothing yet: mu has no proposal (entry 1 was proposed by sec1).
ok proposals --key "$T/mu.key"
has '^no proposals by this key$'
ok proposals --json --key "$T/mu.key"
[ "$(json_get 'len(d)' <"$T/out")" = 0 ] || fail "mu has proposals before proposing"

# 1. applied: proposed at T0 + 10, approved by sec1 and sec2 -> entry 2.
applied=$(VALISE_NOW=$((VALISE_NOW + 10)) propose_id --key "$T/mu.key" \
    --set MU-01 'contact.phones[0]=+230 5550 2222')
VALISE_NOW=$((VALISE_NOW + 20)) approve_both "$applied"
has 'applied as entry 2'

# 2. rejected, with control characters in the reason.
rejected=$(VALISE_NOW=$((VALISE_NOW + 30)) propose_id --key "$T/mu.key" \
    --set MU-01 'office_hours=Mon-Fri 09:00-15:00')
# (the store refuses C0 controls other than LF and TAB: t_escape.sh)
reason=$'wrong hours\x7f\nsee memo\ttwo \u202eRLO C:\\temp'
VALISE_NOW=$((VALISE_NOW + 40)) ok reject "$rejected" --reason "$reason" --key "$T/sec2.key"

# 3. pending with one approval of two, on MU-01 at revision 2.
pending=$(VALISE_NOW=$((VALISE_NOW + 50)) propose_id --key "$T/mu.key" \
    --set MU-01 'contact.phones[1]=+230 5550 4444')
VALISE_NOW=$((VALISE_NOW + 55)) ok approve "$pending" --key "$T/sec1.key"
has '\(1/2\)'

# 4. stale: another proposal by mu on MU-01 at revision 2; sec1's proposal on the
# same record is applied first (revision 3), so both of mu's need a rebase (the
# one approval of the first was given on an older head: it no longer counts).
stale=$(VALISE_NOW=$((VALISE_NOW + 60)) propose_id --key "$T/mu.key" \
    --set MU-01 'contact.emails[0]=registry@example.mu')
other=$(VALISE_NOW=$((VALISE_NOW + 70)) propose_id --key "$T/sec1.key" \
    --set MU-01 'contact.phones[0]=+230 5550 9999')
VALISE_NOW=$((VALISE_NOW + 80)) approve_both "$other"
has 'applied as entry 3'
# A fresh proposal on the new revision, approved once: pending, 1/2.
pending=$(VALISE_NOW=$((VALISE_NOW + 90)) propose_id --key "$T/mu.key" \
    --set MU-01 'contact.phones[1]=+230 5550 5555')
VALISE_NOW=$((VALISE_NOW + 95)) ok approve "$pending" --key "$T/sec2.key"
has '\(1/2\)'

snapshot "$T/snap.0"

# --- text -------------------------------------------------------------------
ok proposals --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 5 ] || fail "expected 5 proposals by mu: $(cat "$T/out")"
# newest first: pending (T+90), stale (T+60; the earlier pending one is stale too, T+50),
# rejected (T+40), applied (entry time T+20)
line() { sed -n "${1}p" "$T/out"; }
line 1 | grep -Eq "^${pending:0:16} pending +2024-06-01T00:01:30Z by mu: put MU-01; approvals 1/2 \(sec2\)$" ||
    fail "line 1: $(line 1)"
line 2 | grep -Eq "^${stale:0:16} needs rebase 2024-06-01T00:01:00Z by mu: put MU-01; needs rebase: record MU-01 is at revision 3, proposal is based on 2: propose it again on the current record; approvals 0/2$" ||
    fail "line 2: $(line 2)"
line 3 | grep -Eq "needs rebase 2024-06-01T00:00:50Z by mu: put MU-01; needs rebase: .*approvals 0/2$" ||
    fail "line 3 (the earlier pending one, now stale; its approval was on an older head): $(line 3)"
line 4 | grep -Fq "${rejected:0:16} rejected     2024-06-01T00:00:40Z by mu: rejected by sec2: wrong hours\x7f\nsee memo\ttwo \u202eRLO C:\\\\temp" ||
    fail "line 4: $(line 4)"
line 5 | grep -Eq "^${applied:0:16} applied      2024-06-01T00:00:20Z by mu: put MU-01; entry 2 approved by (sec1, sec2|sec2, sec1)$" ||
    fail "line 5: $(line 5)"
# No raw control character reaches the terminal.
if LC_ALL=C grep -q $'\x7f\|\t\|\u202e' "$T/out"; then fail "a control character reached the output"; fi
# sec1's own proposal is not mu's.
hasnt "${other:0:16}"

# --state and --limit
ok proposals --state rejected --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 1 ] && has "^${rejected:0:16} rejected" || fail "--state rejected: $(cat "$T/out")"
ok proposals --state rebase --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 2 ] || fail "--state rebase: $(cat "$T/out")"
ok proposals --state applied --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 1 ] && has "entry 2" || fail "--state applied: $(cat "$T/out")"
ok proposals --state pending --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 1 ] && has "^${pending:0:16} pending" || fail "--state pending: $(cat "$T/out")"
ok proposals --limit 2 --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 2 ] || fail "--limit 2: $(cat "$T/out")"
ok proposals --state applied --limit 1 --key "$T/sec1.key"
has "entry 3 approved by (sec1, sec2|sec2, sec1)$"
hasnt "entry 1"

# mg proposed nothing.
ok proposals --key "$T/mg.key"
has '^no proposals by this key$'

# --- --all: approvers only ------------------------------------------------------
ok proposals --all --key "$T/sec1.key"
[ "$(wc -l <"$T/out")" = 7 ] || fail "--all: expected 7 proposals: $(cat "$T/out")"
has "^${other:0:16} applied .* by sec1: put MU-01; entry 3 approved by (sec1, sec2|sec2, sec1)$"
has " by sec1: put MU-01, put MG-01, put IOC-BIL-MU-MG; entry 1 approved by (sec1, sec2|sec2, sec1)$"
refused 1 '^valise proposals: not permitted: --all is for approvers: key [0-9a-f]{16} is not an approver$' \
    proposals --all --key "$T/mu.key"
refused 1 'not an approver' proposals --all --key "$T/node.key"
ok proposals --key "$T/node.key"
has '^no proposals by this key$'

# --- JSON, field by field -------------------------------------------------------
ok proposals --json --key "$T/mu.key"
j() { json_get "$1" <"$T/out"; }
[ "$(j 'len(d)')" = 5 ] || fail "json: 5 items"
[ "$(j '[p["state"] for p in d]')" = "['pending', 'rebase', 'rebase', 'rejected', 'applied']" ] ||
    fail "json states: $(j '[p["state"] for p in d]')"
[ "$(j 'd[0]["id"]')" = "$pending" ] || fail "json id"
[ "$(j 'd[0]["short"]')" = "${pending:0:16}" ] || fail "json short"
[ "$(j 'd[0]["author"]["name"]')" = mu ] || fail "json author"
[ "$(j 'len(d[0]["author"]["kid"])')" = 16 ] || fail "json author kid"
[ "$(j 'd[0]["time"]')" = 2024-06-01T00:01:30Z ] || fail "json time"
[ "$(j 'd[0]["proposed"]')" = 2024-06-01T00:01:30Z ] || fail "json proposed"
[ "$(j 'd[0]["ops"]')" = "[{'op': 'put', 'id': 'MU-01', 'kind': 'authority', 'base': 3}]" ] ||
    fail "json ops: $(j 'd[0]["ops"]')"
[ "$(j 'd[0]["approvals"]')" = 1 ] || fail "json approvals"
[ "$(j 'd[0]["threshold"]')" = 2 ] || fail "json threshold"
[ "$(j '[a["name"] for a in d[0]["approved_by"]]')" = "['sec2']" ] || fail "json approved_by"
[ "$(j 'd[0]["problem"]')" = None ] || fail "json problem of a pending one"
[ "$(j 'd[1]["id"]')" = "$stale" ] || fail "json stale id"
[ "$(j 'd[1]["problem"]')" = "needs rebase: record MU-01 is at revision 3, proposal is based on 2" ] ||
    fail "json problem: $(j 'd[1]["problem"]')"
[ "$(j 'd[3]["id"]')" = "$rejected" ] || fail "json rejected id"
[ "$(j 'd[3]["time"]')" = 2024-06-01T00:00:40Z ] || fail "json rejected time"
[ "$(j 'd[3]["rejected_by"]["name"]')" = sec2 ] || fail "json rejected_by"
[ "$(j 'd[3]["reason"] == "wrong hours\x7f\nsee memo\ttwo \u202eRLO C:\\temp"')" = True ] ||
    fail "json reason: $(j 'repr(d[3]["reason"])')"
[ "$(j 'd[3]["author"]["name"]')" = mu ] || fail "json rejected author"
[ "$(j 'd[3]["ops"]')" = None ] || fail "json rejected ops"
[ "$(j 'd[4]["id"]')" = "$applied" ] || fail "json applied id"
[ "$(j 'd[4]["seq"]')" = 2 ] || fail "json seq"
[ "$(j 'd[4]["time"]')" = 2024-06-01T00:00:20Z ] || fail "json entry time"
[ "$(j 'd[4]["proposed"]')" = 2024-06-01T00:00:10Z ] || fail "json applied proposed"
[ "$(j 'sorted(a["name"] for a in d[4]["approved_by"])')" = "['sec1', 'sec2']" ] || fail "json approvers"

# --- review of settled ids ---------------------------------------------------
refused 1 "^valise review: not found: proposal ${rejected:0:16} was rejected by sec2 on 2024-06-01T00:00:40Z: wrong hours\\\\x7f\\\\nsee memo\\\\ttwo \\\\u202eRLO C:\\\\\\\\temp$" \
    review "${rejected:0:12}" --key "$T/mu.key"
refused 1 "^valise review: not found: proposal ${applied:0:16} was applied as entry 2 on 2024-06-01T00:00:20Z$" \
    review "$applied" --key "$T/mu.key"
refused 1 '^valise review: not found: no pending proposal ffffffff' review ffffffff --key "$T/mu.key"
ok review "${pending:0:8}" --key "$T/mu.key"
has "^proposal $pending"

# --- usage errors --------------------------------------------------------------------
refused 2 "^valise proposals: --state is pending, rebase, applied, rejected or lapsed, not 'done'" \
    proposals --state done --key "$T/mu.key"
refused 2 "^valise proposals: --limit wants a whole number from 1 to 1000000, not '0'" \
    proposals --limit 0 --key "$T/mu.key"
refused 2 "^valise proposals: --limit wants" proposals --limit -3 --key "$T/mu.key"
refused 2 "^valise proposals: unexpected argument 'x'" proposals x --key "$T/mu.key"
refused 2 "^valise proposals: " proposals --bogus --key "$T/mu.key"
refused 2 "^valise proposals: " proposals --state --key "$T/mu.key"
ok proposals --help
has '^usage: valise proposals'

# Reading changed nothing, and the store (settled values naming authors) verifies clean.
ok verify --key "$T/node.key"
unchanged "$T/snap.0"
echo "t_proposals: ok"
