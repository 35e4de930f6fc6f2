#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A node catching up over several `entries` answers asks for the next batch
# before it applies the one it holds (docs/protocol.md §3, pipelining): n1
# holds 2,600 entries, at least three answers of at most VL_SYNC_BATCH
# (1,024); n2, at head 0, pulls them. Checked: n2's log shows each early get
# (the one after a batch, sent before that batch's apply) for every batch
# but the last, n2 reaches n1's head and verifies clean (every signature),
# and neither side drops the other or ignores an answer (an ignored answer
# would be an early get thrown away).
source "$(dirname "$0")/lib.sh"

N=2600
fed_network n1 n2
note "making $N entries at n1"
mkbulk n1 "$N"
fed_topology "n2-n1"
fed_start n1 n2
wait_until 120 at_seq "$N" n1 n2
wait_until 30 converged n1 n2
# "get A..B (before applying C..D)" with A = D + 1: one line per batch that
# had a successor; the batches are those n2 applied, in order.
"$PY" - "$(fed_log n2)" "$N" <<'PYEOF' || fail "n2 did not ask for each next batch before applying the one it held: $(grep -E 'get [0-9]' "$(fed_log n2)" | head -8)"
import re, sys
log, n = open(sys.argv[1]).read(), int(sys.argv[2])
early = [(int(a), int(c), int(d)) for a, c, d in
         re.findall(r"get (\d+)\.\.\d+ \(before applying (\d+)\.\.(\d+)\)", log)]
ok = len(early) >= 2 and all(a == d + 1 for a, c, d in early)
# The batches chain: 1..D1, D1+1..D2, ... and the last early get's batch is the last one.
pos = 1
for a, c, d in early:
    ok = ok and c == pos
    pos = a
ok = ok and pos <= n
sys.exit(0 if ok else 1)
PYEOF
if log_has n2 'dropped:|unexpected entries|not applied|rejected'; then
    fail "n2 refused or ignored an answer: $(grep -E 'dropped:|unexpected entries|not applied|rejected' "$(fed_log n2)" | head -5)"
fi
if log_has n1 'dropped:'; then
    fail "n1 dropped n2: $(grep 'dropped:' "$(fed_log n1)" | head -3)"
fi
"$VALISE" verify --store "$(store n2)" --key "$(nodekey n2)" >"$T/verify.out" 2>&1 ||
    fail "verify at n2: $(cat "$T/verify.out")"
grep -q "^verify: OK ($N entries" "$T/verify.out" || fail "verify at n2: $(cat "$T/verify.out")"
fed_alive n1 n2
echo "t_pipeline: OK"
