#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Freshness statements (docs/trust.md §3) through `valise fresh` and the
# readers' warnings: with a fresh node configured and no statement, reads
# warn ("no ... statement"); once a statement is issued they do not; past
# its expiry (beyond the 300 s clock skew) they warn that the directory may
# be stale and since when, and still answer with exit 0; a statement
# showing entries we lack says we are behind. Refused: an older statement
# after a newer one (rollback), one signed by a key that is not the fresh
# node, one issued in the future beyond the skew, a flipped byte. Each
# refusal leaves the stored statement as it was.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_keys node2
VL_GENESIS_ARGS=(--node "$T/node2.pub" --fresh-node "$T/node.pub")
vl_network
N="--key $T/node.key"
T0=$VALISE_NOW                # 2024-06-01T00:00:00Z
EXP=$((T0 + 86400))           # the default --ttl: 2024-06-02T00:00:00Z

# warns PATTERN: the last command wrote exactly one stderr line, a warning.
warns() {
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "expected one warning line, got: $(cat "$T/err")"
    has '^valise: warning: ' "$T/err"
    has "$1" "$T/err"
}
quiet() {
    [ -s "$T/err" ] && fail "expected no warning, got: $(cat "$T/err")"
    return 0
}

ok genesis show "$T/genesis.vlg"
has '^fresh node node \([0-9a-f]{16}\)'
refused 1 "not one of the --node keys" genesis create --name x --threshold 1 --approver "$T/sec1.pub" \
    --node "$T/node.pub" --fresh-node "$T/node2.pub" --out "$T/x.vlg"
[ -e "$T/x.vlg" ] && fail "a refused genesis create wrote a file"

# Configured, no statement yet: every reader warns, and still answers.
ok get MU-01 $N
has '^MU-01: '
warns 'no (freshness )?statement'
ok find --state MU $N
has '^MU-01 '
warns 'no (freshness )?statement'
ok find --state MU --json $N
warns 'no (freshness )?statement'
ok export $N
warns 'no (freshness )?statement'
[ "$(json_get 'd["freshness"]["state"]' <"$T/out")" = unknown ] || fail "export freshness"
ok get MU-01 --json $N
[ "$(json_get 'd["freshness"]["state"], d["freshness"]["issued"]' <"$T/out")" = "('unknown', None)" ] ||
    fail "get --json freshness: $(cat "$T/out")"
ok status $N
has '^freshness: unknown: .*statement'
warns 'statement'
ok fresh show $N
has '^statement   none'
refused 1 "not found.*no freshness statement" fresh export --out "$T/none.vfs" $N

# Only the fresh node's key issues (the store checks the signer).
snapshot "$T/snap.0"
refused 1 "not permitted" fresh issue --key "$T/node2.key"
refused 1 "not permitted" fresh issue --key "$T/sec1.key"
unchanged "$T/snap.0"
refused 2 "--ttl wants a whole number from 1 to 2592000" fresh issue $N --ttl 0

# Issued: fresh, no warning.
ok fresh issue $N
has 'entry 1 .*valid until 2024-06-02T00:00:00Z'
ok get MU-01 $N
quiet
ok export --format csv $N
quiet
ok status $N
quiet
has '^freshness: fresh until 2024-06-02T00:00:00Z'
ok status --json $N
[ "$(json_get 'd["freshness"]["state"], d["freshness"]["expires"], d["freshness"]["seq"]' <"$T/out")" = \
    "('fresh', '2024-06-02T00:00:00Z', 1)" ] || fail "status --json freshness: $(cat "$T/out")"
ok fresh export --out "$T/s0.vfs" $N

# The clock skew is tolerated: 300 s past the expiry is still fresh.
VALISE_NOW=$((EXP + 300)) ok get MU-01 $N
quiet

# Past expires + 300 s: stale since the expiry, reads still answer (exit 0).
export VALISE_NOW=$((EXP + 301))
ok get MU-01 $N
has '^MU-01: '
warns 'stale'
warns '2024-06-02'
ok get MU-01 --json $N
[ "$(json_get 'd["freshness"]["state"], d["freshness"]["expires"]' <"$T/out")" = \
    "('stale', '2024-06-02T00:00:00Z')" ] || fail "get --json stale: $(cat "$T/out")"
[ "$(json_get 'd["record"]["id"]' <"$T/out")" = MU-01 ] || fail "get --json still answers"
ok find $N
has '^MU-01 '
warns 'stale.*2024-06-02|2024-06-02.*stale'
ok export --out "$T/dir.json" $N
warns 'stale'
[ "$(json_get 'd["freshness"]["state"]' <"$T/dir.json")" = stale ] || fail "export file freshness"
ok status $N
has '^freshness: stale: .*2024-06-02'
warns 'stale'
ok fresh show --json $N
[ "$(json_get 'd["freshness"]["state"]' <"$T/out")" = stale ] || fail "fresh show --json stale"

# A newer statement; the older one imported again is a rollback.
export VALISE_NOW=$((T0 + 100))
ok fresh issue $N --ttl 3600
ok fresh export --out "$T/s1.vfs" $N
ok fresh show --json $N
cp "$T/out" "$T/fresh.s1"
refused 1 "rollback" fresh import "$T/s0.vfs" $N
ok fresh show --json $N
cmp -s "$T/out" "$T/fresh.s1" || fail "a refused import changed the statement"
refused 1 "already exists" fresh import "$T/s1.vfs" $N

# A flipped byte (inside the signature).
flip_last "$T/s1.vfs" "$T/s1-flip.vfs"
refused 1 "authentication failed|malformed" fresh import "$T/s1-flip.vfs" $N

# A statement from the future: issued on a copy of the store with a clock
# 1000 s ahead, refused here (issued > now + 300), accepted once within the skew.
cp -a "$VALISE_STORE" "$T/store-future"
VALISE_STORE="$T/store-future" VALISE_NOW=$((T0 + 1100)) ok fresh issue $N
VALISE_STORE="$T/store-future" ok fresh export --out "$T/future.vfs" $N
VALISE_NOW=$((T0 + 200)) refused 1 "future" fresh import "$T/future.vfs" $N
ok fresh show --json $N
cmp -s "$T/out" "$T/fresh.s1" || fail "a refused import changed the statement"
VALISE_NOW=$((T0 + 800)) ok fresh import "$T/future.vfs" $N
has 'statement of entry 1'

# Behind: the fresh node holds an entry this replica lacks.
export VALISE_NOW=$((T0 + 1200))
cp -a "$VALISE_STORE" "$T/store-behind"
id=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours="Mon-Fri 08:00-16:00"')
approve_both "$id"
ok fresh issue $N
has 'entry 2 '
ok fresh export --out "$T/s2.vfs" $N
VALISE_STORE="$T/store-behind" ok fresh import "$T/s2.vfs" $N
VALISE_STORE="$T/store-behind" ok get MU-01 $N
warns 'behind.*entry 2'
VALISE_STORE="$T/store-behind" ok status --json $N
[ "$(json_get 'd["freshness"]["state"], d["freshness"]["seq"], d["freshness"]["head"]' <"$T/out")" = \
    "('behind', 2, 1)" ] || fail "status --json behind: $(cat "$T/out")"

# The fresh node replaced (policy version 2 names node2): a statement by the
# old fresh node, carried from a store still at version 1, is refused; node2's
# is accepted.
cp -a "$VALISE_STORE" "$T/store-old"
ok policy propose --key "$T/sec1.key" --fresh-node "$T/node2.pub" --out "$T/v2.vlp"
has '~ fresh node node \([0-9a-f]{16}\) -> node2 \([0-9a-f]{16}\)'
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"
ok policy publish "$T/v2.vlp" $N
export VALISE_NOW=$((T0 + 1300))
VALISE_STORE="$T/store-old" ok fresh issue $N
VALISE_STORE="$T/store-old" ok fresh export --out "$T/old-signer.vfs" $N
ok fresh show --json $N
cp "$T/out" "$T/fresh.s2"
refused 1 "not permitted" fresh import "$T/old-signer.vfs" $N
ok fresh show --json $N
cmp -s "$T/out" "$T/fresh.s2" || fail "a refused import changed the statement"
refused 1 "not permitted" fresh issue $N
ok fresh issue --key "$T/node2.key"
ok fresh show $N
has '^fresh node  node2 '
has 'signed by node2 '
has '^freshness   fresh until '

# Not configured (version 3 names no fresh node): no claim, no warning.
ok policy propose --key "$T/sec1.key" --fresh-node none --out "$T/v3.vlp"
ok policy sign "$T/v3.vlp" --key "$T/sec2.key"
ok policy publish "$T/v3.vlp" $N
export VALISE_NOW=$((EXP + 100000))
ok get MU-01 $N
quiet
ok status $N
has '^freshness: not configured'
quiet
ok status --json $N
[ "$(json_get 'd["freshness"]["state"]' <"$T/out")" = unconfigured ] || fail "status --json unconfigured"

echo "t_fresh: OK"
