#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The LMDB file altered behind valise's back: a record body, its revision,
# an index entry (changed, removed, added), a log entry (broken hash chain),
# a candidate entry's signature.
# `valise verify` must exit 1 and name what is wrong.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
id=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 2222')
approve_both "$id"
ok verify --key "$T/node.key"
has '^verify: OK \(2 entries, 3 records'
cp -a "$VALISE_STORE" "$T/pristine"

restore() {
    rm -rf "$VALISE_STORE"
    cp -a "$T/pristine" "$VALISE_STORE"
}

# verify_names PATTERN: verify exits 1, reports a problem matching PATTERN on
# stdout and says so in one line on stderr.
verify_names() {
    local rc=0
    "$VALISE" verify --key "$T/node.key" >"$T/out" 2>"$T/err" || rc=$?
    [ $rc -eq 1 ] || fail "verify exited $rc after tampering ($1): $(cat "$T/out" "$T/err")"
    grep -Eq -- "$1" "$T/out" || fail "verify did not name /$1/: $(cat "$T/out")"
    has '^verify: [0-9]+ problems?$'
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "verify: more than one line on stderr"
    grep -q '^valise verify: store is corrupt' "$T/err" || fail "verify stderr: $(cat "$T/err")"
    "$VALISE" verify --json --key "$T/node.key" >"$T/out.json" 2>/dev/null && fail "verify --json exited 0"
    [ "$(json_get 'd["ok"]' <"$T/out.json")" = False ] || fail "verify --json ok"
}

# 1. A record body: flip the last byte of MU-01's value (inside the AEAD tag).
lmdb_edit records "$(hex MU-01)" flip
verify_names '^record MU-01: '
# Reading it is refused too, with one line.
refused 1 "MU-01" get MU-01 --key "$T/node.key"
restore

# 2. Another record's body (MG-01, never changed since entry 1).
lmdb_edit records "$(hex MG-01)" flip
verify_names '^record MG-01: '
restore

# 3. An index entry changed: MU-01 filed under MX instead of MU.
lmdb_edit index "$(hex 's:MU\0MU-01')" rekey "$(hex 's:MX\0MU-01')"
verify_names '^index: .*s:MU.*MU-01'
restore

# 4. An index entry removed: MG-01 no longer filed under its language mg.
lmdb_edit index "$(hex 'l:mg\0MG-01')" drop
verify_names '^index: .*l:mg.*MG-01'
restore

# 5. An index entry added: MG-01 claimed as an extradition-by-sea authority.
lmdb_edit index "$(hex 'f:mla\0MG-01')" rekey "$(hex 'f:drug_trafficking_sea\0MG-01')"
verify_names '^index: .*f:drug_trafficking_sea.*MG-01'
restore

# 6. A record removed from the current records.
lmdb_edit records "$(hex IOC-BIL-MU-MG)" drop
verify_names '^record IOC-BIL-MU-MG: '
restore

# 7. A log entry altered: the chain (and the entry's signatures) break.
lmdb_edit log 0000000000000001 flip
verify_names '^entry 1: '
restore

# 8. A log entry removed: the chain has a hole.
lmdb_edit log 0000000000000001 drop
verify_names 'entry 1 is missing'
restore

# 9. A candidate entry (a pending proposal with one approval) altered: the
# last byte is inside its approver's signature, which no longer verifies.
cid=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Mon-Thu 08:00-15:00')
ok approve "$cid" --key "$T/sec1.key"
has '\(1/2\)'
ok verify --key "$T/node.key"
cp -a "$VALISE_STORE" "$T/pristine"
lmdb_edit candidates "$cid" flip
verify_names "^candidates: proposal ${cid:0:16}: .*signature"
restore

ok verify --key "$T/node.key"
has '^verify: OK \(2 entries, 3 records'
echo "t_tamper: OK"
