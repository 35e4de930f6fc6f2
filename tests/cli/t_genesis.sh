#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Refusals around the genesis: missing or bad signatures, a non-approver
# signing, the same approver counted twice, an unknown key creating the
# store, and truncated, non-canonical, trailing or oversized documents.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_keys sec1 sec2 mu mg node outsider
ok genesis create --name "IOC judicial platform (test)" --threshold 2 \
    --approver "$T/sec1.pub" "$T/sec2.pub" --authority "MU=$T/mu.pub" "MG=$T/mg.pub" \
    --node "$T/node.pub" --out "$T/g.vlg"
refused 1 "already exists" genesis create --name x --threshold 1 --approver "$T/sec1.pub" --out "$T/g.vlg"
refused 1 "not found" genesis create --name x --threshold 1 --approver "$T/nobody.pub" --out "$T/x.vlg"
refused 1 "threshold 3 does not fit 2 approvers" genesis create --name x --threshold 3 \
    --approver "$T/sec1.pub" "$T/sec2.pub" --out "$T/x.vlg"
refused 1 "bad State code" genesis create --name x --threshold 1 --approver "$T/sec1.pub" \
    --authority "mu=$T/mu.pub" --out "$T/x.vlg"
[ -e "$T/x.vlg" ] && fail "a refused genesis create left a file"

no_store() {
    [ -e "$VALISE_STORE/data.mdb" ] && fail "a refused init created a store"
    return 0
}

# Missing signatures: none, then one of two.
refused 1 "approval threshold not met" init --genesis "$T/g.vlg" --key "$T/node.key"
no_store
ok genesis sign "$T/g.vlg" --key "$T/sec1.key"
cp "$T/g.vlg" "$T/g1.vlg"
refused 1 "approval threshold not met.*signed by 1 approvers, threshold is 2" \
    init --genesis "$T/g1.vlg" --key "$T/node.key"
no_store

# A non-approver may not sign; an approver signs once.
refused 1 "not permitted.*not an approver" genesis sign "$T/g.vlg" --key "$T/mu.key"
refused 1 "already exists" genesis sign "$T/g.vlg" --key "$T/sec1.key"
cmp -s "$T/g.vlg" "$T/g1.vlg" || fail "a refused genesis sign changed the file"
ok genesis sign "$T/g.vlg" --key "$T/sec2.key"
size=$(stat -c %s "$T/g.vlg")

# Bad signature: flip the last byte (inside the last approver's signature).
head -c $((size - 1)) "$T/g.vlg" >"$T/bad.vlg"
last=$(tail -c 1 "$T/g.vlg" | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $(((last ^ 1) & 255)))" >>"$T/bad.vlg"
[ "$(stat -c %s "$T/bad.vlg")" -eq "$size" ] || fail "bad.vlg has the wrong size"
refused 1 "authentication failed.*bad signature by approver [0-9a-f]{16}" genesis show "$T/bad.vlg"
refused 1 "authentication failed" init --genesis "$T/bad.vlg" --key "$T/node.key"
refused 1 "authentication failed" genesis sign "$T/bad.vlg" --key "$T/sec1.key"
no_store

# The same approver counted twice: the sigs array (last in the document) holds
# two 105-byte elements {"k": pk, "s": sig}; repeat the first one.
{ head -c $((size - 105)) "$T/g.vlg"; tail -c 210 "$T/g.vlg" | head -c 105; } >"$T/dup.vlg"
refused 1 "counted twice|not sorted" init --genesis "$T/dup.vlg" --key "$T/node.key"
no_store

# Truncated, trailing bytes, non-canonical (a fixmap written as map16), oversized.
head -c $((size - 7)) "$T/g.vlg" >"$T/trunc.vlg"
refused 1 "malformed" init --genesis "$T/trunc.vlg" --key "$T/node.key"
refused 1 "malformed" genesis show "$T/trunc.vlg"
{ cat "$T/g.vlg"; printf '\0'; } >"$T/trail.vlg"
refused 1 "malformed" init --genesis "$T/trail.vlg" --key "$T/node.key"
[ "$(head -c 1 "$T/g.vlg" | od -An -tx1 | tr -d ' ')" = 82 ] || fail "genesis does not start with fixmap 2"
{ printf '\336\000\002'; tail -c $((size - 1)) "$T/g.vlg"; } >"$T/noncanon.vlg"
refused 1 "malformed or non-canonical" init --genesis "$T/noncanon.vlg" --key "$T/node.key"
refused 1 "malformed or non-canonical" genesis show "$T/noncanon.vlg"
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/huge.vlg"
refused 1 "limit exceeded" init --genesis "$T/huge.vlg" --key "$T/node.key"
refused 1 "limit exceeded" genesis show "$T/huge.vlg"
printf 'not a genesis' >"$T/text.vlg"
refused 1 "malformed" genesis show "$T/text.vlg"
no_store

# An unknown key (not in the genesis) cannot create the store.
refused 1 "not permitted" init --genesis "$T/g.vlg" --key "$T/outsider.key"
no_store

# The good genesis works, once.
ok genesis show "$T/g.vlg"
has 'signatures 2 of 2 required: threshold met'
ok init --genesis "$T/g.vlg" --key "$T/node.key"
snapshot "$T/snap.0"
refused 1 "already exists" init --genesis "$T/g.vlg" --key "$T/node.key"
unchanged "$T/snap.0"
echo "t_genesis: OK"
