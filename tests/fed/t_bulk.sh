#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bulk approval across the federation: the sample's 12 proposals applied at
# the Secretariat's node by one `approve --all` per approver (one run, 12
# version 2 entries, docs/formats.md §6.1) while both daemons run; the entries
# sync to the second node (append_chain: full signatures on the last entry of
# the batch, the others audited in the background), which verifies its store
# clean (every signature) and shows both approvers of each entry.
source "$(dirname "$0")/lib.sh"

fed_network n1 n2
fed_topology "n2-n1"
fed_start n1 n2
wait_until 30 converged
"$VALISE" sample --out "$T/sample.json" >/dev/null || fail "sample"
"$VALISE" propose --file "$T/sample.json" --store "$(store n1)" --key "$(key sec1)" \
    >"$T/props" 2>"$T/err" || fail "propose the sample: $(cat "$T/err")"
[ "$(grep -c '^proposed ' "$T/props")" -eq 12 ] || fail "the sample is not 12 proposals"
for a in sec1 sec2; do
    "$VALISE" approve --all --store "$(store n1)" --key "$(key "$a")" >"$T/approve.out" \
        2>"$T/approve.err" || fail "approve --all by $a: $(cat "$T/approve.err")"
done
grep -q 'run of 12 proposals, entries 1\.\.12: applied (2/2)' "$T/approve.out" ||
    fail "the second approve --all did not apply the run: $(cat "$T/approve.out")"
note "12 entries applied at n1 by one run; waiting for n2"
wait_until 60 at_seq 12 n1 n2
wait_until 30 converged
"$VALISE" verify --store "$(store n2)" --key "$(nodekey n2)" >"$T/verify.out" 2>&1 ||
    fail "verify at n2: $(cat "$T/verify.out")"
grep -q '^verify: OK (12 entries' "$T/verify.out" || fail "verify at n2: $(cat "$T/verify.out")"
if log_has n2 'signature audit FAILED|dropped:'; then
    fail "n2 refused or failed to audit the run: $(grep -E 'audit|dropped:' "$(fed_log n2)" | head -5)"
fi
"$VALISE" log --json --store "$(store n2)" --key "$(nodekey n2)" >"$T/log.json" || fail "log at n2"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d) == 12 and all(len(e["approvers"]) == 2 for e in d) else 1)' \
    "$T/log.json" || fail "log at n2 does not show both approvers of each entry"
fed_alive n1 n2
echo "t_bulk: OK"
