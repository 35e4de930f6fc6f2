#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Signed proposal files (propose --out / --signed): a bad or missing
# signature, a proposal from another network (a key unknown here),
# truncated, non-canonical, trailing or oversized msgpack, and replays.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

ok propose --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 2222' --out "$T/p.vlp"
has "^wrote .*p.vlp: proposal [0-9a-f]{64}: 1 op: put MU-01$"
pid=$(awk '{print $4}' "$T/out" | tr -d :)
ok status --json --key "$T/node.key"
[ "$(json_get 'd["pending"]' <"$T/out")" = 0 ] || fail "--out submitted the proposal"
refused 1 "already exists" propose --key "$T/mu.key" --set MU-01 'office_hours=x' --out "$T/p.vlp"
snapshot "$T/snap.0"
size=$(stat -c %s "$T/p.vlp")

# The document is {"ct", "hdr", "sig"}: the author's signature is its last 64 bytes.
flip_at() { # FILE OFFSET OUT
    local b
    b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    cp "$1" "$3"
    printf "\\$(printf '%03o' $(((b ^ 1) & 255)))" | dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
flip_at "$T/p.vlp" $((size - 1)) "$T/badsig.vlp"
refused 1 "authentication failed" propose --signed "$T/badsig.vlp" --key "$T/node.key"
# Zeroed signature ("missing").
{ head -c $((size - 64)) "$T/p.vlp"; head -c 64 /dev/zero; } >"$T/nosig.vlp"
refused 1 "authentication failed" propose --signed "$T/nosig.vlp" --key "$T/node.key"
# A byte of the ciphertext (just after the 4-byte prefix 0x83 0xa2 "ct" 0xc5/0xc6 ...).
flip_at "$T/p.vlp" 40 "$T/badct.vlp"
refused 1 "authentication failed" propose --signed "$T/badct.vlp" --key "$T/node.key"
# Truncated, trailing byte, non-canonical top-level map, oversized.
head -c $((size - 10)) "$T/p.vlp" >"$T/trunc.vlp"
refused 1 "malformed" propose --signed "$T/trunc.vlp" --key "$T/node.key"
{ cat "$T/p.vlp"; printf '\300'; } >"$T/trail.vlp"
refused 1 "malformed" propose --signed "$T/trail.vlp" --key "$T/node.key"
[ "$(head -c 1 "$T/p.vlp" | od -An -tx1 | tr -d ' ')" = 83 ] || fail "proposal does not start with fixmap 3"
{ printf '\336\000\003'; tail -c $((size - 1)) "$T/p.vlp"; } >"$T/noncanon.vlp"
refused 1 "malformed or non-canonical" propose --signed "$T/noncanon.vlp" --key "$T/node.key"
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/huge.vlp"
refused 1 "limit exceeded" propose --signed "$T/huge.vlp" --key "$T/node.key"
printf '\x83' >"$T/tiny.vlp"
refused 1 "malformed" propose --signed "$T/tiny.vlp" --key "$T/node.key"
unchanged "$T/snap.0"

# A proposal from another network, by a key unknown here.
mkdir "$T/other"
(
    cd "$T/other"
    export VALISE_STORE="$T/other/store"
    "$VALISE" keygen --out "$T/other/osec" --kdf interactive >/dev/null
    "$VALISE" keygen --out "$T/other/omu" --kdf interactive >/dev/null
    "$VALISE" genesis create --name other --threshold 1 --approver "$T/other/osec.pub" \
        --authority "MU=$T/other/omu.pub" --out g.vlg >/dev/null
    "$VALISE" genesis sign g.vlg --key "$T/other/osec.key" >/dev/null
    "$VALISE" init --genesis g.vlg --key "$T/other/osec.key" >/dev/null
    "$VALISE" propose --key "$T/other/omu.key" --file "$DATA/MU-01.json" --out "$T/foreign.vlp" >/dev/null
) || fail "could not make the other network"
refused 1 "not permitted.*another network" propose --signed "$T/foreign.vlp" --key "$T/node.key"
refused 1 "not permitted" status --key "$T/other/omu.key"
unchanged "$T/snap.0"

# The good file goes in once; a second submission and a replay after it was
# applied are refused.
ok propose --signed "$T/p.vlp" --key "$T/node.key"
has "^proposed $pid: 1 op: put MU-01$"
snapshot "$T/snap.1"
refused 1 "already exists" propose --signed "$T/p.vlp" --key "$T/node.key"
unchanged "$T/snap.1"
approve_both "$pid"
snapshot "$T/snap.2"
refused 1 "already exists" propose --signed "$T/p.vlp" --key "$T/node.key"
unchanged "$T/snap.2"
echo "t_proposal_file: OK"
