#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile bundles (issue 9), each against real files: a Secretariat store
# with entries 1..4 and a field store behind it (no daemon anywhere). For
# every case the field store is snapshotted (log --json, status, policy,
# freshness, pending: byte for byte) and verified before, the import's exit
# status and its one stderr line are checked, and afterwards the snapshot is
# byte-identical and `verify` clean:
#   1. one flipped bit: in the magic, the version, the header (the maker's
#      key), an entry's body, a length prefix, the trailer's signature;
#   2. truncated: just the magic, magic and version, inside a length prefix,
#      inside an entry, inside the trailer, the trailer missing; and a
#      trailing byte;
#   3. another network's bundle (a second network made the same way);
#   4. an older bundle (rollback): "nothing new", the head not lowered;
#   5. a gap (--since above the field head): refused naming the missing seq;
#   6. forged entries among good ones, re-signed by a member (vl_bundleforge):
#      see the comment at case 6 for what is forged and what catches it;
#   7. a bundle from a revoked key (its maker revoked by policy version 2,
#      which the field store has): "not a member of policy version 2";
#   8. bundles made before a policy rotation (version 2 rotates an approver
#      and revokes a node), imported after version 2 reached the field store
#      another way (`policy publish`): the one by a key version 2 keeps is
#      imported (its entries are governed by version 1), the one by the
#      removed key refused as in 7.
# Also: the same bundle twice, overlapping bundles, a bundle of everything
# after a partial one, and no contact detail of a record in clear in a bundle.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
: "${VL_BUNDLEFORGE:?VL_BUNDLEFORGE must name tests/cli/vl_bundleforge}"

# The network: sec1, sec2 (threshold 2), authorities mu and mg, the
# Secretariat's node `node` (also the fresh node), a second Secretariat node
# `node2` (the maker that gets revoked), and the field office `field`, the
# central authority for ML.
vl_keys field node2 sec1b
VL_GENESIS_ARGS=(--node "$T/node2.pub" --authority "ML=$T/field.pub" --fresh-node "$T/node.pub")
vl_network # entry 1
N="--key $T/node.key"
F="$T/field"
FK=(--store "$F" --key "$T/field.key")

# ---- helpers -------------------------------------------------------------------

# fsnap OUT: everything the field store shows; `verify` must be clean.
fsnap() {
    {
        "$VALISE" log --json "${FK[@]}"
        "$VALISE" status --json "${FK[@]}"
        "$VALISE" policy show --json "${FK[@]}"
        "$VALISE" fresh show --json "${FK[@]}"
        "$VALISE" review --json "${FK[@]}"
        "$VALISE" export "${FK[@]}"
    } >"$1" 2>&1 || fail "field snapshot failed: $(cat "$1")"
    "$VALISE" verify "${FK[@]}" >"$T/verify.out" 2>&1 || fail "field verify failed: $(cat "$T/verify.out")"
    grep -q '^verify: OK' "$T/verify.out" || fail "field verify: $(cat "$T/verify.out")"
}
# funchanged SNAP: the field store shows exactly SNAP, and verifies.
funchanged() {
    fsnap "$T/fsnap.now"
    cmp -s "$1" "$T/fsnap.now" || fail "the field store changed: $(diff "$1" "$T/fsnap.now" | head -20)"
}
# head_of STORE KEY: "seq hash root" of a store.
head_of() {
    "$VALISE" status --json --store "$1" --key "$2" |
        json_get '"%s %s %s" % (d["head"]["seq"], d["head"]["hash"], d["head"]["root"])'
}
# refuse_import PATTERN FILE: the import exits 1 with one stderr line matching
# PATTERN (anchored by the caller), and the field store is unchanged.
refuse_import() {
    fsnap "$T/fsnap.before"
    refused 1 "$1" bundle import "$2" "${FK[@]}"
    funchanged "$T/fsnap.before"
}
# MAL, AUTH: the `what` of the error line for a malformed file and for a
# hash or signature that does not match (cli.md: "valise <cmd>: <what>: <detail>").
MAL='malformed or non-canonical data'
AUTH='authentication failed'
# nothing_new FILE: the import exits 0 saying so; the field store is unchanged.
nothing_new() {
    fsnap "$T/fsnap.before"
    ok bundle import "$1" "${FK[@]}"
    has "^nothing new: the store already has everything in this bundle \\(head $2\\)$"
    funchanged "$T/fsnap.before"
}
# items FILE: "offset length" of each item (its length prefix at offset-4).
items() {
    /usr/bin/python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
o = 12
while o + 4 <= len(b):
    n = struct.unpack('>I', b[o:o+4])[0]
    print(o + 4, n)
    o += 4 + n
EOF
}
# item_off FILE I: offset of item I's bytes; item_len FILE I.
item_off() { items "$1" | sed -n "$(($2 + 1))p" | cut -d' ' -f1; }
item_len() { items "$1" | sed -n "$(($2 + 1))p" | cut -d' ' -f2; }
# flipbit IN OUT OFFSET BIT: a copy of IN with one bit of one byte flipped.
flipbit() {
    /usr/bin/python3 - "$@" <<'EOF'
import sys
src, dst, off, bit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
b = bytearray(open(src, 'rb').read())
b[off] ^= 1 << bit
open(dst, 'wb').write(bytes(b))
EOF
    cmp -s "$1" "$2" && fail "flipbit: nothing changed"
    return 0
}
# find_bytes FILE HEX: offset of the first occurrence of the bytes HEX.
find_bytes() {
    /usr/bin/python3 -c 'import sys; print(open(sys.argv[1],"rb").read().find(bytes.fromhex(sys.argv[2])))' "$1" "$2"
}
pk_hex() { awk '{print $2}' "$1"; }

# ---- the Secretariat's log: entries 1..4, bundles along the way -----------------

id=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours="Mon-Fri 08:00-16:00"')
approve_both "$id" # entry 2
ok bundle create --out "$T/b12.vlb" $N
has '^bundle .*b12.vlb: entries 1\.\.2 \(2\), '
id=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours="Mon-Thu 08:00-15:00"')
approve_both "$id" # entry 3
id=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 9999')
approve_both "$id" # entry 4
ok bundle create --out "$T/all.vlb" $N
has '^bundle .*all.vlb: entries 1\.\.4 \(4\), '
ok bundle create --since 1 --out "$T/s1.vlb" $N
has '^bundle .*s1.vlb: entries 2\.\.4 \(3\), '
ok bundle create --since 2 --out "$T/s2.vlb" $N
has '^bundle .*s2.vlb: entries 3\.\.4 \(2\), '
ok bundle create --since 3 --out "$T/s3.vlb" $N
has '^bundle .*s3.vlb: entries 4\.\.4 \(1\), '
sec4=$(head_of "$VALISE_STORE" "$T/node.key")

# Record contents stay encrypted in a bundle: no contact detail in clear. (The
# record ids are in clear, in the proposals' headers: the grep does find those.)
grep -q -a -F 'MU-01' "$T/all.vlb" || fail "the grep finds nothing in a bundle"
for needle in "+230 5550 1111" "ca@example.mu" "+230 5550 9999" "Port Louis"; do
    grep -c -a -F -- "$needle" "$T/all.vlb" >/dev/null && fail "\"$needle\" is readable in a bundle"
done

# ---- the field store: from the genesis, entries 1..2 by a bundle -----------------

ok init --genesis "$T/genesis.vlg" "${FK[@]}"
fsnap "$T/fsnap.empty"
ok bundle import "$T/b12.vlb" "${FK[@]}"
has '^imported entries 1\.\.2 \(2\)'
has 'head is now 2$'
# The same bundle twice: nothing new, unchanged.
nothing_new "$T/b12.vlb" 2
fsnap "$T/fsnap.2"

# ---- 1. one flipped bit ------------------------------------------------------------

DAMAGED='bundle damaged: its bytes do not match the hash in its trailer'
nodekid=$(json_get '[n["kid"] for n in d["nodes"] if n["name"] == "node"][0]' < <("$VALISE" genesis show "$T/genesis.vlg" --json))
# The magic and the version: not a bundle / another version.
flipbit "$T/s2.vlb" "$T/flip-magic.vlb" 3 0
refuse_import "^valise bundle import: $MAL: $T/flip-magic.vlb: not a bundle \\(bad magic\\)\$" "$T/flip-magic.vlb"
flipbit "$T/s2.vlb" "$T/flip-version.vlb" 11 1
refuse_import "^valise bundle import: $MAL: $T/flip-version.vlb: bundle format version 3 is not supported \\(this build reads version 1\\)\$" \
    "$T/flip-version.vlb"
# The header: a bit of the maker's key (item 0): the hash over the file no longer matches.
off=$(find_bytes "$T/s2.vlb" "$(pk_hex "$T/node.pub")")
[ "$off" -gt 16 ] && [ "$off" -lt $(($(item_off "$T/s2.vlb" 0) + $(item_len "$T/s2.vlb" 0))) ] ||
    fail "the maker's key is not in the header item (offset $off)"
flipbit "$T/s2.vlb" "$T/flip-hdr.vlb" $((off + 5)) 3
refuse_import "^valise bundle import: $AUTH: $T/flip-hdr.vlb: $DAMAGED\$" "$T/flip-hdr.vlb"
# An entry's body: the middle of item 1 (entry 3: its proposal's ciphertext).
off=$(( $(item_off "$T/s2.vlb" 1) + $(item_len "$T/s2.vlb" 1) / 2 ))
for bit in 0 7; do
    flipbit "$T/s2.vlb" "$T/flip-entry.vlb" "$off" "$bit"
    refuse_import "^valise bundle import: $AUTH: $T/flip-entry.vlb: $DAMAGED\$" "$T/flip-entry.vlb"
done
# The last entry's last byte (inside its approvers' signatures), item 2.
off=$(( $(item_off "$T/s2.vlb" 2) + $(item_len "$T/s2.vlb" 2) - 1 ))
flipbit "$T/s2.vlb" "$T/flip-entrysig.vlb" "$off" 0
refuse_import "^valise bundle import: $AUTH: $T/flip-entrysig.vlb: $DAMAGED\$" "$T/flip-entrysig.vlb"
# A length prefix (item 1's, its low byte): the framing no longer holds.
off=$(( $(item_off "$T/s2.vlb" 1) - 1 ))
flipbit "$T/s2.vlb" "$T/flip-len.vlb" "$off" 0
refuse_import "^valise bundle import: $AUTH: $T/flip-len.vlb: $DAMAGED\$" "$T/flip-len.vlb"
# The trailer {"hash", "n", "sig", "type": "end"} (formats.md §11.1): its
# signature is the 64 bytes before the 9 of `"type": "end"`; its hash starts 8
# bytes into the item (fixmap, "hash", c4 20). A bit of the signature; a bit
# of the hash; a bit of "end" (the last byte: no trailer any more).
size=$(stat -c %s "$T/s2.vlb")
ntr=$(( $(items "$T/s2.vlb" | wc -l) - 1 ))
troff=$(item_off "$T/s2.vlb" "$ntr")
[ "$(tail -c 9 "$T/s2.vlb" | od -An -tx1 | tr -d ' \n')" = a474797065a3656e64 ] ||
    fail "the trailer does not end with \"type\": \"end\""
for off in $((size - 10)) $((size - 40)) $((size - 73)); do
    flipbit "$T/s2.vlb" "$T/flip-sig.vlb" "$off" 2
    refuse_import "^valise bundle import: $AUTH: $T/flip-sig.vlb: bundle signature does not verify \\(maker $nodekid\\)\$" \
        "$T/flip-sig.vlb"
done
flipbit "$T/s2.vlb" "$T/flip-hash.vlb" $((troff + 20)) 5
refuse_import "^valise bundle import: $AUTH: $T/flip-hash.vlb: $DAMAGED\$" "$T/flip-hash.vlb"
flipbit "$T/s2.vlb" "$T/flip-end.vlb" $((size - 1)) 0
refuse_import "^valise bundle import: $MAL: $T/flip-end.vlb: bundle truncated at byte $size \\(no trailer\\)\$" "$T/flip-end.vlb"

# ---- 2. truncated ----------------------------------------------------------------

trunc() { head -c "$2" "$1" >"$3"; }
# Just the magic (a file shorter than 12 bytes that matches the magic so far),
# 5 bytes of it; magic and version; inside the first length prefix.
for cut in 5 8; do
    trunc "$T/s2.vlb" $cut "$T/cut.vlb"
    refuse_import "^valise bundle import: $MAL: $T/cut.vlb: bundle truncated at byte $cut\$" "$T/cut.vlb"
done
for cut in 12 14; do
    trunc "$T/s2.vlb" $cut "$T/cut.vlb"
    refuse_import "^valise bundle import: $MAL: $T/cut.vlb: bundle truncated at byte $cut \\(no trailer\\)\$" "$T/cut.vlb"
done
: >"$T/empty.vlb"
refuse_import "^valise bundle import: $MAL: $T/empty.vlb: not a bundle \\(bad magic\\)\$" "$T/empty.vlb"
# Inside an entry; just before the trailer (its length prefix missing);
# inside the trailer (its signature cut).
off=$(( $(item_off "$T/s2.vlb" 1) + 100 ))
trl=$(( troff - 4 ))
for cut in "$off" "$trl" $((size - 10)); do
    trunc "$T/s2.vlb" "$cut" "$T/cut.vlb"
    refuse_import "^valise bundle import: $MAL: $T/cut.vlb: bundle truncated at byte $cut \\(no trailer\\)\$" "$T/cut.vlb"
done
# A trailing byte after the trailer.
{ cat "$T/s2.vlb"; printf '\0'; } >"$T/trail.vlb"
refuse_import "^valise bundle import: $MAL: $T/trail.vlb: bundle has 1 bytes? after its trailer \\(at byte $size\\): refused\$" \
    "$T/trail.vlb"
# A file that is not there.
refuse_import "^valise bundle import: not found: $T/none.vlb: No such file or directory\$" "$T/none.vlb"

# ---- 3. another network's bundle ---------------------------------------------------

# A second network made the same way (its own keys, genesis, store and entry).
mkdir "$T/o"
for k in sec1 sec2 node; do
    "$VALISE" keygen --out "$T/o/$k" --kdf interactive >/dev/null || fail "keygen o/$k"
done
"$VALISE" genesis create --name "IOC judicial platform (test)" --threshold 2 \
    --approver "$T/o/sec1.pub" "$T/o/sec2.pub" --node "$T/o/node.pub" --out "$T/o/g.vlg" >/dev/null ||
    fail "other genesis"
ok genesis sign "$T/o/g.vlg" --key "$T/o/sec1.key"
ok genesis sign "$T/o/g.vlg" --key "$T/o/sec2.key"
OS=(--store "$T/o/store")
ok init --genesis "$T/o/g.vlg" --key "$T/o/node.key" "${OS[@]}"
ok propose --file "$DATA/MU-01.json" --key "$T/o/sec1.key" "${OS[@]}"
oid=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out")
ok approve "$oid" --key "$T/o/sec1.key" "${OS[@]}"
ok approve "$oid" --key "$T/o/sec2.key" "${OS[@]}"
has 'applied as entry 1'
ok bundle create --out "$T/other.vlb" --key "$T/o/node.key" "${OS[@]}"
ok genesis show "$T/o/g.vlg" --json
onet=$(json_get 'd["network_id"]' <"$T/out")
ok genesis show "$T/genesis.vlg" --json
mynet=$(json_get 'd["network_id"]' <"$T/out")
refuse_import "^valise bundle import: not permitted: $T/other.vlb: bundle is for network IOC judicial platform \\(test\\) \\($onet\\), this store is IOC judicial platform \\(test\\) \\($mynet\\)\$" \
    "$T/other.vlb"

# The same bundle with a hostile network name in its header (re-signed by its
# maker): the name is only displayed, escaped, in `bundle show` and in the
# refusal line: no raw ESC, CR or LF reaches the terminal.
"$VL_BUNDLEFORGE" --in "$T/other.vlb" --out "$T/other-esc.vlb" --key "$T/o/node.key" \
    --genesis "$T/o/g.vlg" --what resign --name "$(printf 'evil\033[2J\r\nstate: MG')" \
    >"$T/forge.out" 2>&1 || fail "resign with a name: $(cat "$T/forge.out")"
refuse_import "^valise bundle import: not permitted: $T/other-esc.vlb: bundle is for network evil\\\\x1b\\[2J\\\\r\\\\nstate: MG \\($onet\\), this store is IOC" \
    "$T/other-esc.vlb"
ok bundle show "$T/other-esc.vlb" --store "$F"
has '^network: evil\\x1b\[2J\\r\\nstate: MG \('
has '^importable: no \(bundle is for network evil\\x1b'
LC_ALL=C grep -q "$(printf '[\033\r]')" "$T/out" "$T/err" && fail "a raw control byte in bundle show's output"

# ---- 5. a gap ------------------------------------------------------------------------

# s3 starts at entry 4; the field store's head is 2: entry 3 is missing.
refuse_import "^valise bundle import: not found: $T/s3.vlb: bundle starts at entry 4; this store's head is 2: entries 3\\.\\.3 are missing\$" \
    "$T/s3.vlb"

# ---- 6. forged entries among good ones ---------------------------------------------
#
# Every forged bundle below is re-signed by a member (the Secretariat's node
# key) with vl_bundleforge, so its framing, hash and maker signature are valid:
# a lying member, or a stick altered by someone holding a member key. The
# forger also holds ONE approver key (below the threshold of 2); the other
# approver's signature it can only forge (here: a real signature with one bit
# flipped, of the approver whose key sorts last, as the entry's signature list
# is sorted by key). The proposal it slips in is a
# real, never approved proposal by MU (`propose --out`). s1 carries entries
# 2..4; the field store holds 2, so 3 and 4 are new.
#  6a. entry 3 (a new, middle entry) replaced by the fabricated one: entry 4's
#      `prev` names the link of the real entry 3 (links cover whole entries,
#      signatures included) -> the chain breaks at 4, in phase 1.
#  6b. as 6a, and entry 4 made again on the forged chain: the chain holds,
#      but the last new entry's signatures are checked in full in phase 1, and
#      the forged one does not verify.
#  6c. the last entry replaced (its `prev` correct): its signatures checked
#      in full -> refused.
#  6d. only one bit of an approver signature of the middle entry 3 changed,
#      its body untouched (a signature phase 1 does not check itself): its
#      link changes, so entry 4 no longer chains to it.
#  6e. entry 2, which the field store already holds, replaced by a forged
#      one: an entry we hold must be byte-identical to ours; a different one is
#      checked as fork evidence (vl_store_fork_check, full verification), fails
#      it (the forged signature), and is refused, not kept as evidence.
# None of them changes the field store.
ok propose --key "$T/mu.key" --set MU-01 'contact.emails[0]=forged@example.org' --out "$T/forged.vpr"
NOTFOLLOW='entry 4 does not follow entry 3 of the bundle \(a forged or damaged entry\)'
# The forged signature is the one of the approver whose key sorts last (an
# entry's signatures are sorted by key; the forge flips the document's last bit).
lastkid=$(json_get 'max(d["approvers"], key=lambda a: a["key"])["kid"]' < <("$VALISE" genesis show "$T/genesis.vlg" --json))
forge() { # WHAT SEQ OUT
    "$VL_BUNDLEFORGE" --in "$T/s1.vlb" --out "$3" --key "$T/node.key" --genesis "$T/genesis.vlg" \
        --what "$1" --seq "$2" --prop "$T/forged.vpr" --signer "$T/sec1.key" --signer "$T/sec2.key" \
        >"$T/forge.out" 2>&1 || fail "vl_bundleforge $1 $2: $(cat "$T/forge.out")"
}
# A control: re-signed and unchanged, the bundle imports (on a copy of the store).
"$VL_BUNDLEFORGE" --in "$T/s1.vlb" --out "$T/resigned.vlb" --key "$T/node.key" \
    --genesis "$T/genesis.vlg" --what resign >"$T/forge.out" 2>&1 || fail "resign: $(cat "$T/forge.out")"
cp -a "$F" "$T/field-copy"
ok bundle import "$T/resigned.vlb" --store "$T/field-copy" --key "$T/field.key"
has '^imported entries 3\.\.4 \(2\)'
rm -rf "$T/field-copy"

forge replace 3 "$T/forge-a.vlb"
refuse_import "^valise bundle import: broken hash chain: $T/forge-a.vlb: $NOTFOLLOW\$" "$T/forge-a.vlb"
forge rechain 3 "$T/forge-b.vlb"
has '2 entries changed' "$T/forge.out"
refuse_import "^valise bundle import: $AUTH: $T/forge-b.vlb: (entry 4: )+bad signature by approver $lastkid\$" "$T/forge-b.vlb"
forge replace 4 "$T/forge-c.vlb"
refuse_import "^valise bundle import: $AUTH: $T/forge-c.vlb: (entry 4: )+bad signature by approver $lastkid\$" "$T/forge-c.vlb"
forge flipsig 3 "$T/forge-d.vlb"
refuse_import "^valise bundle import: broken hash chain: $T/forge-d.vlb: $NOTFOLLOW\$" "$T/forge-d.vlb"
forge replace 2 "$T/forge-e.vlb"
refuse_import "^valise bundle import: $AUTH: $T/forge-e.vlb: the bundle's entry 2 differs from this store's and is not valid: entry 2: bad signature by approver $lastkid\$" \
    "$T/forge-e.vlb"
"$VALISE" status --json "${FK[@]}" >"$T/out"
[ "$(json_get 'd["fork_seq"], d["forks"]' <"$T/out")" = "(0, [])" ] || fail "a forged entry was kept as fork evidence: $(cat "$T/out")"

# ---- 7. and 8. policy version 2: rotation and revocation --------------------------

# Made before version 2, at the Secretariat's head 4: a bundle by node2 (from a
# copy of the Secretariat's store, as a second Secretariat node would) and one
# by node (s2 above).
cp -a "$VALISE_STORE" "$T/store-node2"
ok bundle create --since 2 --out "$T/by-node2.vlb" --store "$T/store-node2" --key "$T/node2.key"
has 'entries 3\.\.4 \(2\)'
# Before version 2 reaches the field office, node2's bundle would be accepted
# (on a copy): node2 is a member of version 1.
cp -a "$F" "$T/field-copy"
ok bundle import "$T/by-node2.vlb" --store "$T/field-copy" --key "$T/field.key"
has '^imported entries 3\.\.4 \(2\)'
rm -rf "$T/field-copy"

# Version 2: sec1 rotated to sec1b, node2 revoked; governs entries from 5.
ok policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub=$T/sec1b.pub" --revoke "$T/node2.pub" --out "$T/v2.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"
ok policy sign "$T/v2.vlp" --key "$T/sec1b.key" --store-key "$T/node.key"
ok policy publish "$T/v2.vlp" $N
has 'policy version 2 adopted \(from entry 5\)'
# It reaches the field office another way (the file, by hand), at head 2.
ok policy publish "$T/v2.vlp" "${FK[@]}"
has 'policy version 2 adopted'
fsnap "$T/fsnap.v2"

node2kid=$(json_get '[n["kid"] for n in d["nodes"] if n["name"] == "node2"][0]' < <("$VALISE" genesis show "$T/genesis.vlg" --json))
NOTMEMBER="bundle made by a key that is not a member of policy version 2 \\(revoked or rotated\\): $node2kid"
# 7. node2's bundle now: its maker is not a member of the field store's version 2.
refuse_import "^valise bundle import: not permitted: $T/by-node2.vlb: $NOTMEMBER\$" "$T/by-node2.vlb"

# 8. node's bundle made before the rotation (policy version 1 in its header):
# node is still a member, entries 3..4 are governed by version 1 (version 2
# starts at 5): imported; the field store equals the Secretariat's at entry 4.
ok bundle show "$T/s2.vlb" --store "$F"
has '^importable: yes$'
ok bundle import "$T/s2.vlb" "${FK[@]}"
has '^imported entries 3\.\.4 \(2\)'
has 'head is now 4$'
[ "$(head_of "$F" "$T/field.key")" = "$sec4" ] || fail "field head $(head_of "$F" "$T/field.key") != Secretariat's $sec4"
ok verify "${FK[@]}"
has '^verify: OK \(4 entries'

# ---- 4. older bundles (rollback) and overlaps ----------------------------------------

nothing_new "$T/b12.vlb" 4
nothing_new "$T/s2.vlb" 4
nothing_new "$T/s3.vlb" 4
nothing_new "$T/all.vlb" 4
# node2's bundle is still refused (not "nothing new"): the maker is checked first.
refuse_import "^valise bundle import: not permitted: $T/by-node2.vlb: $NOTMEMBER\$" "$T/by-node2.vlb"

# Entry 5 under version 2 (sec1b and sec2), at the Secretariat; the field
# office's want file; a bundle from it carries entry 5 only.
id=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours="Mon-Fri 09:00-15:00"')
ok approve "$id" --key "$T/sec1b.key"
ok approve "$id" --key "$T/sec2.key"
has 'applied as entry 5'
ok bundle want --out "$T/want.vlw" "${FK[@]}"
ok bundle create --since-file "$T/want.vlw" --out "$T/w5.vlb" $N
has 'entries 5\.\.5 \(1\)'
# An older Secretariat bundle overlapping nothing new, then the new one.
nothing_new "$T/s1.vlb" 4
ok bundle import "$T/w5.vlb" "${FK[@]}"
has '^imported entries 5\.\.5 \(1\)'
has 'head is now 5$'
[ "$(head_of "$F" "$T/field.key")" = "$(head_of "$VALISE_STORE" "$T/node.key")" ] ||
    fail "field head != Secretariat's after entry 5"
fsnap "$T/fsnap.5"
# Every older bundle again: nothing new, the head stays at 5.
for b in b12 all s1 s2 s3 w5; do
    nothing_new "$T/$b.vlb" 5
done
# A bundle of everything (policy versions 1..2, entries 1..5) on a fresh
# field store from the genesis alone: the versions are adopted from the bundle.
ok bundle create --out "$T/all5.vlb" $N
has 'entries 1\.\.5 \(5\), 2 policy versions'
ok init --genesis "$T/genesis.vlg" --store "$T/field2" --key "$T/field.key"
ok bundle import "$T/all5.vlb" --store "$T/field2" --key "$T/field.key"
has '^imported entries 1\.\.5 \(5\)'
[ "$(head_of "$T/field2" "$T/field.key")" = "$(head_of "$VALISE_STORE" "$T/node.key")" ] ||
    fail "field2 head != Secretariat's"
ok policy show --store "$T/field2" --key "$T/field.key"
has '^current: version 2 '
ok verify --store "$T/field2" --key "$T/field.key"
has '^verify: OK \(5 entries'

echo "t_bundle_hostile: OK"
