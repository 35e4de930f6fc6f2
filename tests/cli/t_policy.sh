#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Policy versions (docs/trust.md §1, §2) through `valise policy`: rotating an
# approver (propose, sign by version N's and version N+1's approvers,
# publish); entries signed before still verify; the old key can no longer
# approve and the new one can; revoking an authority (a new content-key
# epoch; its later proposals refused); and the refusals: below either
# threshold, a version signed only by its own new keys, a flipped byte, an
# older version or another document of an adopted version (rollback / fork),
# a candidate the log has moved past. `init --policy` builds a store at the
# latest version. Each refusal leaves the store unchanged.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_network
vl_keys sec1b node2 thief1 thief2
N="--key $T/node.key"

# Version 1 only.
ok policy show $N
has '^version \(genesis\) 1 .*from entry 1'
has '^current: version 1 '
ok policy show $N --json
[ "$(json_get 'd["current"]' <"$T/out")" = 1 ] || fail "policy show --json: current"
[ "$(json_get 'd["versions"][0]["changes"]' <"$T/out")" = "[]" ] || fail "genesis has no changes"

# A proposal MG signs now (carried as a file) and submits after its revocation.
ok propose --key "$T/mg.key" --set MG-01 'office_hours="Mon-Thu 08:00-15:00"' --out "$T/mg-old.vpr"

# Two competing candidates for version 2. B (a new node) is fully signed but
# never published: later it is "another document of a version we have".
ok policy propose --key "$T/sec2.key" --add-node "$T/node2.pub" --out "$T/B.vlp"
has 'policy version 2 \(from entry 2\)'
has '\+ node node2 \([0-9a-f]{16}\)'
ok policy sign "$T/B.vlp" --key "$T/sec1.key"
has 'thresholds met'

# A: rotate sec1 -> sec1b, proposed (and signed) by sec1.
ok policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub=$T/sec1b.pub" --out "$T/A.vlp"
has '~ approver sec1: key [0-9a-f]{16} -> [0-9a-f]{16} \(rotated\)'
has 'content-key epoch 1'
has '1 of version 1.s approvers \(need 2\), 0 of its own \(need 2\)'
refused 1 "already exists" policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub=$T/sec1b.pub" --out "$T/A.vlp"
refused 1 "not found" policy propose --key "$T/sec1.key" --revoke 0123456789abcdef --out "$T/X.vlp"
refused 2 "--rotate wants OLD=NEW" policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub" --out "$T/X.vlp"
refused 1 "not permitted" policy propose --key "$T/sec1b.key" --threshold 1 --out "$T/X.vlp"
[ -e "$T/X.vlp" ] && fail "a refused policy propose wrote a file"

snapshot "$T/snap.v1"
ok policy show $N --json
cp "$T/out" "$T/chain.v1"
chain_unchanged() {
    "$VALISE" policy show $N --json >"$T/chain.now" || fail "policy show"
    cmp -s "$1" "$T/chain.now" || fail "the policy chain changed: $(diff "$1" "$T/chain.now" | head)"
}

# Below version 1's threshold: one of its approvers only.
refused 1 "approval threshold not met" policy publish "$T/A.vlp" $N
unchanged "$T/snap.v1"
chain_unchanged "$T/chain.v1"

ok policy sign "$T/A.vlp" --key "$T/sec2.key"
has '2 of version 1.s approvers \(need 2\), 1 of its own \(need 2\)'
refused 1 "already exists" policy sign "$T/A.vlp" --key "$T/sec2.key"
refused 1 "not permitted" policy sign "$T/A.vlp" --key "$T/mu.key"
# Below its own threshold: sec1b (an approver of version 2 only) has not signed.
refused 1 "approval threshold not met" policy publish "$T/A.vlp" $N
chain_unchanged "$T/chain.v1"
ok policy show "$T/A.vlp" $N
has 'not yet valid'
has 'not ready to publish'

# sec1b is not a member of version 1: it signs with another key opening the store.
refused 1 "not permitted.*--store-key" policy sign "$T/A.vlp" --key "$T/sec1b.key"
refused 2 "goes with --store-key" policy sign "$T/A.vlp" --key "$T/sec1b.key" \
    --store-pass-file "$T/A.vlp"
# The store key's passphrase from its own file: a wrong one is refused, the
# right one (the signer's still from $VALISE_PASSPHRASE) signs.
printf 'not the passphrase\n' >"$T/store.pass"; chmod 600 "$T/store.pass"
refused 1 "passphrase" policy sign "$T/A.vlp" --key "$T/sec1b.key" \
    --store-key "$T/node.key" --store-pass-file "$T/store.pass"
printf '%s\n' "$VALISE_PASSPHRASE" >"$T/store.pass"
ok policy sign "$T/A.vlp" --key "$T/sec1b.key" --store-key "$T/node.key" \
    --store-pass-file "$T/store.pass"
has '2 of version 1.s approvers \(need 2\), 2 of its own \(need 2\): thresholds met'
ok policy show "$T/A.vlp" $N --json
[ "$(json_get 'd["ready"]' <"$T/out")" = True ] || fail "A.vlp is not ready"
[ "$(json_get 'd["signatures"]["by_current"], d["signatures"]["by_own"]' <"$T/out")" = "(2, 2)" ] ||
    fail "signature counts: $(cat "$T/out")"

# A flipped byte (inside the last signature) is refused by show and publish.
flip_last "$T/A.vlp" "$T/A-flip.vlp"
refused 1 "authentication failed" policy show "$T/A-flip.vlp" $N
refused 1 "authentication failed" policy publish "$T/A-flip.vlp" $N
unchanged "$T/snap.v1"
chain_unchanged "$T/chain.v1"

ok policy publish "$T/A.vlp" $N
has '^policy version 2 adopted \(from entry 2\)'
ok policy show $N
has '^version 2 .*from entry 2'
has '~ approver sec1: key'
has '^current: version 2 '
ok status $N
has 'policy version 2'
has '^policy    version 2, hash [0-9a-f]{16}'

# Entry 1, signed by sec1 before the rotation, still verifies.
ok verify $N
has 'verify: OK \(1 entries'

# Rollback and fork: the same version 2 again, version 1 again, another version 2.
snapshot "$T/snap.v2"
ok policy show $N --json
cp "$T/out" "$T/chain.v2"
refused 1 "already exists.*version 2, already adopted" policy publish "$T/A.vlp" $N
refused 1 "already exists.*version 1, already adopted" policy publish "$T/genesis.vlg" $N
refused 1 "refused: rollback or fork" policy publish "$T/B.vlp" $N
unchanged "$T/snap.v2"
chain_unchanged "$T/chain.v2"

# The old approver key can no longer approve; the new one can. Entry 2 is
# MG's: MG is revoked below, and `log` must still name it for this entry.
id=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours="Mon-Fri 08:00-16:00"')
[ -n "$id" ] || fail "no proposal id"
snapshot "$T/snap.p"
refused 1 "not permitted" approve "$id" --key "$T/sec1.key"
unchanged "$T/snap.p"
ok approve "$id" --key "$T/sec1b.key"
has '\(1/2\)'
ok approve "$id" --key "$T/sec2.key"
has 'applied as entry 2'

# Revoking the MG authority: a new content-key epoch.
ok policy propose --key "$T/sec1b.key" --revoke "$T/mg.pub" --out "$T/v3.vlp"
has 'policy version 3 \(from entry 3\)'
has '^  - authority for MG mg \([0-9a-f]{16}\) \(revoked\)'
ok policy sign "$T/v3.vlp" --key "$T/sec2.key"
has 'thresholds met'
ok policy publish "$T/v3.vlp" $N
has '^policy version 3 adopted \(from entry 3\)'
has 'content-key epoch 2'
ok policy show $N
has '^version 3 .*from entry 3'
has 'content-key epoch 2;'
has '\+ content-key epoch 2'
ok policy show $N --json
[ "$(json_get '[c["change"] for c in d["versions"][2]["changes"]]' <"$T/out")" = "['removed', 'epoch']" ] ||
    fail "version 3 changes: $(cat "$T/out")"

# MG's later proposals are refused: made now, or signed before and carried in.
snapshot "$T/snap.v3"
refused 1 "not permitted" propose --key "$T/mg.key" --set MG-01 'office_hours="Mon"'
refused 1 "not permitted|epoch" propose --signed "$T/mg-old.vpr" $N
unchanged "$T/snap.v3"
# Key ids: MG's names no member any more; sec2's does.
ok genesis show "$T/genesis.vlg" --json
mgkid=$(json_get '[a["kid"] for a in d["authorities"] if a["name"] == "mg"][0]' <"$T/out")
sec2kid=$(json_get '[a["kid"] for a in d["approvers"] if a["name"] == "sec2"][0]' <"$T/out")
sec1kid=$(json_get '[a["kid"] for a in d["approvers"] if a["name"] == "sec1"][0]' <"$T/out")
refused 1 "not found.*no member of version 3" policy propose --key "$T/sec1b.key" \
    --revoke "$mgkid" --out "$T/X.vlp"
[ -e "$T/X.vlp" ] && fail "a refused policy propose wrote a file"

# The audit trail keeps the names the policy gave at the time of each entry:
# MG (revoked by version 3) for entry 2, sec1's old key (rotated out by
# version 2) for entry 1; never "unknown", in text and in JSON.
ok log $N
has "^#2 [0-9a-f]{16} .* by mg \\($mgkid\\) approved by"
has "^#1 [0-9a-f]{16} .* by sec1 \\($sec1kid\\) approved by"
hasnt 'unknown'
ok log $N --json
[ "$(json_get '(d[1]["author"]["name"], d[1]["author"]["kid"])' <"$T/out")" = "('mg', '$mgkid')" ] ||
    fail "log --json: author of entry 2: $(cat "$T/out")"
[ "$(json_get '[(a["name"], a["kid"]) for a in d[0]["approvers"] if a["kid"] == "'"$sec1kid"'"]' <"$T/out")" = "[('sec1', '$sec1kid')]" ] ||
    fail "log --json: approvers of entry 1: $(cat "$T/out")"

# A version signed only by its own new approvers: refused at publish.
ok policy propose $N --revoke "$T/sec1b.pub" "$sec2kid" --add-approver "$T/thief1.pub" "$T/thief2.pub" \
    --out "$T/thief.vlp"
has '^unsigned '
ok policy sign "$T/thief.vlp" --key "$T/thief1.key" --store-key "$T/node.key"
ok policy sign "$T/thief.vlp" --key "$T/thief2.key" --store-key "$T/node.key"
has '0 of version 3.s approvers \(need 2\), 2 of its own \(need 2\)'
refused 1 "approval threshold not met.*0 of version 3" policy publish "$T/thief.vlp" $N
unchanged "$T/snap.v3"

# Older versions again, now that version 3 is current.
refused 1 "already exists.*version 2, already adopted" policy publish "$T/A.vlp" $N
refused 1 "refused: rollback or fork" policy publish "$T/B.vlp" $N
unchanged "$T/snap.v3"

# A candidate the log has moved past is refused (it would govern an entry
# already approved under version 3).
ok policy propose --key "$T/sec1b.key" --threshold 1 --out "$T/v4.vlp"
has '~ threshold 2 -> 1'
ok policy sign "$T/v4.vlp" --key "$T/sec2.key"
id=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours="Mon-Fri 09:00-16:00"')
ok approve "$id" --key "$T/sec1b.key"
ok approve "$id" --key "$T/sec2.key"
has 'applied as entry 3'
ok policy show "$T/v4.vlp" $N
has 'cannot be published here'
snapshot "$T/snap.e3"
refused 1 "broken hash chain|log" policy publish "$T/v4.vlp" $N
unchanged "$T/snap.e3"

ok verify $N
has 'verify: OK \(3 entries'

# init --policy: a new store at version 3 at once, from the genesis and the versions.
refused 1 "not a member of policy version 3" init --genesis "$T/genesis.vlg" \
    --policy "$T/A.vlp" "$T/v3.vlp" --key "$T/mg.key" --store "$T/store2"
[ -e "$T/store2" ] && fail "a refused init left a store"
refused 1 "not a member" init --genesis "$T/genesis.vlg" --key "$T/sec1b.key" --store "$T/store2"
[ -e "$T/store2" ] && fail "a refused init left a store"
# A key that only a later version names (sec1's rotated key) starts its store from the chain.
ok init --genesis "$T/genesis.vlg" --policy "$T/A.vlp" "$T/v3.vlp" --key "$T/sec1b.key" --store "$T/store3"
has 'at policy version 3'
ok verify --store "$T/store3" --key "$T/sec1b.key"
refused 1 "broken hash chain|version" init --genesis "$T/genesis.vlg" \
    --policy "$T/v3.vlp" "$T/A.vlp" --key "$T/node.key" --store "$T/store2"
[ -e "$T/store2" ] && fail "a refused init left a store"
ok init --genesis "$T/genesis.vlg" --policy "$T/A.vlp" "$T/v3.vlp" --key "$T/node.key" --store "$T/store2"
has 'at policy version 3'
ok policy show --store "$T/store2" $N
has '^current: version 3 '

echo "t_policy: OK"
