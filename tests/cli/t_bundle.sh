#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Signed bundles (docs/formats.md §11, docs/cli.md "bundle"): a field office
# store with no network receives the Secretariat's log through want ->
# create -> import, sends its own proposal back the same way, and ends with
# the Secretariat's head and state root, `verify` clean. Import is
# idempotent (twice, or an older bundle: "nothing new", log unchanged);
# --since and --since-file choose the range; show works with and without a
# store and needs no key. A rotation (policy version 2) travels in a bundle
# with the entry made under it; a bundle made before the rotation by the
# rotated-out key is refused after it, one by a key that stays is "nothing
# new". A freshness statement travels, and a want that has it gets none. A
# reader key keeps its own replica by want and import. Refused, each with the field store unchanged
# (byte-identical log --json, status --json, review --json): a missing
# file, a file that is not a bundle, another format version, a truncated
# bundle, a flipped bit, trailing bytes, another network's bundle, a gap, a
# want of another network, an existing --out; usage errors exit 2.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_keys node2 reader
VL_GENESIS_ARGS=(--node "$T/node2.pub" --fresh-node "$T/node.pub" --reader "$T/reader.pub")
vl_network
S="--key $T/node.key"                            # the Secretariat's store ($VALISE_STORE)
F="--store $T/field --key $T/node2.key"           # the field office's store
ok init --genesis "$T/genesis.vlg" $F

# fsnap FILE: what the field store shows.
fsnap() {
    {
        "$VALISE" status --json $F
        "$VALISE" review --json $F
        "$VALISE" log --json $F
    } >"$1" 2>&1 || fail "field snapshot failed: $(cat "$1")"
}
funchanged() {
    fsnap "$T/fsnap.now"
    cmp -s "$1" "$T/fsnap.now" || fail "the field store changed: $(diff "$1" "$T/fsnap.now" | head -20)"
}
# head_of ARGS: "seq hash root" of a store.
head_of() {
    "$VALISE" status --json "$@" 2>/dev/null | json_get '"%s %s %s" % (d["head"]["seq"], d["head"]["hash"], d["head"]["root"])'
}
same_head() {
    [ "$(head_of $S)" = "$(head_of $F)" ] || fail "heads differ: $(head_of $S) / $(head_of $F)"
}

# ---- usage ---------------------------------------------------------------------
refused 2 "missing action" bundle
refused 2 "unknown action" bundle frob
refused 2 -- "--out FILE is required" bundle want $F
refused 2 -- "--out FILE is required" bundle create $S
refused 2 "exclude each other" bundle create --out "$T/x" --since 1 --since-file "$T/w" $S
refused 2 -- "--since wants a whole number" bundle create --out "$T/x" --since abc $S
refused 2 "bundle FILE is required" bundle import $F
refused 2 "one bundle FILE at a time" bundle show a b
[ -e "$T/x" ] && fail "a refused create wrote a file"

# ---- the first trip: want -> create -> import -----------------------------------
ok bundle want --out "$T/w0" $F
has "^want $T/w0: head 0 \(hash [0-9a-f]{16}\), policy version 1, no freshness statement"
refused 1 "already exists" bundle want --out "$T/w0" $F
ok bundle create --out "$T/b1" --since-file "$T/w0" $S
has "^bundle $T/b1: entries 1\.\.1 \(1\), 0 policy versions, 0 statement\(s\), 0 evidence, 0 proposals, 0 rejections, [0-9]+ bytes$"
size=$(stat -c %s "$T/b1")
has " $size bytes$"
refused 1 "already exists \(refusing to overwrite\)" bundle create --out "$T/b1" $S

# show: no key, with the field store (importable) and with no store at all.
ok bundle show "$T/b1" --store "$T/field"
has "^bundle: $T/b1 \($size bytes\)"
has '^network: IOC judicial platform \(test\) \([0-9a-f]{32}\)'
has '^maker: node \([0-9a-f]{16}\)'
has '^time: 2024-06-01T00:00:00Z'
has '^policy: version 1'
has '^entries: 1\.\.1 \(1\)'
has '^approvers: .*sec1 \([0-9a-f]{16}\)'
has '^approvers: .*sec2 \([0-9a-f]{16}\)'
has '^importable: yes$'
ok bundle show "$T/b1" --store "$T/nostore"
hasnt '^importable'
has '^maker: [0-9a-f]{16}$'          # no store, no carried genesis: a key id
ok bundle show "$T/b1" --json --store "$T/field"
[ "$(json_get 'd["entries"]["count"], d["importable"], d["reason"], d["size"]' <"$T/out")" = \
    "(1, True, None, $size)" ] || fail "show --json: $(cat "$T/out")"

fsnap "$T/f0"
ok bundle import "$T/b1" $F
has '^imported entries 1\.\.1 \(1\), 0 policy versions, .*; head is now 1$'
same_head
ok verify $F
has '^verify: OK'
ok get MU-01 $F
has '^MU-01: '

# Idempotent: twice, and --json.
fsnap "$T/f1"
ok bundle import "$T/b1" $F
has '^nothing new: the store already has everything in this bundle \(head 1\)$'
funchanged "$T/f1"
ok bundle import "$T/b1" --json $F
[ "$(json_get 'd["imported"], d["entries"]["count"], d["head"]' <"$T/out")" = "(False, 0, 1)" ] ||
    fail "import --json: $(cat "$T/out")"
ok bundle show "$T/b1" --store "$T/field"
has '^importable: yes$'

# ---- the return trip: a proposal made at the field office -----------------------
id=$(propose_id --set MU-01 'office_hours=Field office hours 08:00-12:00' --store "$T/field" --key "$T/mu.key")
[ -n "$id" ] || fail "no proposal id at the field office"
ok bundle want --out "$T/ws" $S
ok bundle create --out "$T/back" --since-file "$T/ws" $F
has "entries none \(0\), 0 policy versions, 0 statement\(s\), 0 evidence, 1 proposals, 0 rejections"
ok bundle import "$T/back" $S
has '^imported entries none \(0\), .*1 proposals.*head is now 1$'
[ "$(pending_ids)" = "$id" ] || fail "the field's proposal is not pending at the Secretariat"
approve_both "$id"
ok bundle want --out "$T/w1" $F
ok bundle create --out "$T/b2" --since-file "$T/w1" $S
has "entries 2\.\.2 \(1\)"
ok bundle import "$T/b2" $F
has 'head is now 2$'
same_head
ok verify $F
has '^verify: OK'
ok get MU-01 $F
has 'Field office hours 08:00-12:00'
ok review --json $F
[ "$(json_get 'len(d)' <"$T/out")" = 0 ] || fail "the proposal is still pending at the field office"

# An older bundle (rollback), and --since.
fsnap "$T/f2"
ok bundle import "$T/b1" $F
has '^nothing new: .*\(head 2\)$'
funchanged "$T/f2"
ok bundle create --out "$T/all" $S
has "entries 1\.\.2 \(2\), 1 policy versions"
ok bundle import "$T/all" $F
has '^nothing new'
ok bundle create --out "$T/s1" --since 1 $S
has "entries 2\.\.2 \(1\)"
ok bundle create --out "$T/s2" --since 2 $S
has "entries none \(0\)"

# ---- a rotation: policy version 2 travels in a bundle ----------------------------
# A bundle made by sec1 before its key is rotated out.
ok bundle create --out "$T/bysec1" --since 1 --key "$T/sec1.key"
vl_keys sec1b
ok policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub=$T/sec1b.pub" --out "$T/A.vlp"
ok policy sign "$T/A.vlp" --key "$T/sec2.key"
ok policy sign "$T/A.vlp" --key "$T/sec1b.key" --store-key "$T/node.key"
ok policy publish "$T/A.vlp" $S
id=$(propose_id --set MG-01 'office_hours=After the rotation' --key "$T/mg.key")
"$VALISE" approve "$id" --key "$T/sec1b.key" >/dev/null || fail "approve by sec1b"
"$VALISE" approve "$id" --key "$T/sec2.key" >"$T/out" || fail "approve by sec2"
has 'applied as entry 3'
ok bundle want --out "$T/w2" $F
ok bundle create --out "$T/b3" --since-file "$T/w2" $S
has "entries 3\.\.3 \(1\), 1 policy versions"
ok bundle show "$T/b3" --store "$T/field"
has '^policy: version 2'
has '^importable: yes$'
ok bundle import "$T/b3" $F
has '^imported entries 3\.\.3 \(1\), 1 policy versions.*head is now 3$'
same_head
ok verify $F
has '^verify: OK'
ok policy show --json $F
[ "$(json_get 'd["current"]' <"$T/out")" = 2 ] ||
    fail "the field office is not at policy version 2: $(head -c 300 "$T/out")"
# Made before the rotation by the rotated-out key: refused after it.
fsnap "$T/frot"
refused 1 "bundle made by a key that is not a member of policy version 2 \(revoked or rotated\)" \
    bundle import "$T/bysec1" $F
funchanged "$T/frot"
# Made before it by a key that stays (the node): nothing new.
ok bundle import "$T/b1" $F
has '^nothing new: .*\(head 3\)$'

# ---- a freshness statement travels; a want that has it gets none -----------------
ok fresh issue $S
ok bundle want --out "$T/w3" $F
has 'no freshness statement'
ok bundle create --out "$T/b4" --since-file "$T/w3" $S
has "entries none \(0\), 0 policy versions, 1 statement\(s\)"
ok bundle import "$T/b4" $F
has '^imported entries none \(0\), 0 policy versions, 1 statement\(s\)'
ok fresh show $F
has '^statement   entry 3 '
has '^freshness   fresh until'
ok bundle import "$T/b4" $F
has '^nothing new'
ok bundle want --out "$T/w4" $F
has 'has a freshness statement'
ok bundle create --out "$T/b5" --since-file "$T/w4" $S
has "0 statement\(s\)"

# ---- a reader's own replica: want and import with a reader key ------------------
R="--store $T/rstore --key $T/reader.key"
ok init --genesis "$T/genesis.vlg" $R
ok bundle want --out "$T/wr" $R
ok bundle create --out "$T/br" --since-file "$T/wr" $S
ok bundle import "$T/br" $R
has 'head is now 3$'
[ "$(head_of $S)" = "$(head_of $R)" ] || fail "the reader's replica differs: $(head_of $R)"
ok verify $R
has '^verify: OK'

# ---- refusals: the field store stays as it is ------------------------------------
fsnap "$T/f3"
refused 1 "not found.*$T/missing" bundle import "$T/missing" $F
printf 'hello, world\n' >"$T/text"
refused 1 "not a bundle \(bad magic\)" bundle import "$T/text" $F
refused 1 "not a bundle \(bad magic\)" bundle show "$T/text"
python3 - "$T/all" "$T/v2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[11] = 2
open(sys.argv[2], 'wb').write(b)
EOF
refused 1 "bundle format version 2 is not supported" bundle import "$T/v2" $F
size=$(stat -c %s "$T/all")
head -c $((size - 40)) "$T/all" >"$T/trunc"
refused 1 "bundle truncated at byte $((size - 40))" bundle import "$T/trunc" $F
head -c 1000 "$T/all" >"$T/trunc2"
refused 1 "bundle truncated at byte 1000" bundle import "$T/trunc2" $F
for off in 20 500 $((size / 2)) $((size - 200)); do
    python3 - "$T/all" "$T/flip" "$off" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[int(sys.argv[3])] ^= 0x10
open(sys.argv[2], 'wb').write(b)
EOF
    refused 1 "bundle damaged" bundle import "$T/flip" $F
done
{ cat "$T/all"; printf 'x'; } >"$T/trail"
refused 1 "1 byte after its trailer" bundle import "$T/trail" $F
funchanged "$T/f3"

# Another network: same keys, another genesis.
"$VALISE" genesis create --name "Other network" --threshold 1 --approver "$T/sec1.pub" \
    --node "$T/node.pub" --out "$T/other.vlg" >/dev/null || fail "other genesis"
"$VALISE" genesis sign "$T/other.vlg" --key "$T/sec1.key" >/dev/null || fail "other sign"
ok init --genesis "$T/other.vlg" --store "$T/other" $S
ok bundle create --out "$T/ob" --store "$T/other" $S
refused 1 "bundle is for network Other network \([0-9a-f]{32}\), this store is IOC judicial platform \(test\)" \
    bundle import "$T/ob" $F
ok bundle show "$T/ob" --store "$T/field"
has '^importable: no \(bundle is for network Other network'
ok bundle want --out "$T/wo" --store "$T/other" $S
refused 1 "the want is for network" bundle create --out "$T/x" --since-file "$T/wo" $S
[ -e "$T/x" ] && fail "a refused create wrote a file"
funchanged "$T/f3"

# A gap: a new store at head 0 gets entries from 2 on.
G="--store $T/gap --key $T/node2.key"
ok init --genesis "$T/genesis.vlg" $G
refused 1 "bundle starts at entry 2; this store's head is 0: entries 1\.\.1 are missing" \
    bundle import "$T/s1" $G
ok bundle show "$T/s1" --store "$T/gap"
has '^importable: no \(bundle starts at entry 2'
[ "$(head_of $G | cut -d' ' -f1)" = 0 ] || fail "the gap import changed the store"

# A want whose head hash is not ours at that seq: the receiver's log differs.
python3 - "$T/w1" "$T/wbad" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'hash') + 6        # "hash" then bin8 header (2 bytes)
b[i] ^= 1
open(sys.argv[2], 'wb').write(b)
EOF
refused 1 "the receiver's log differs from ours at entry 1" \
    bundle create --out "$T/x" --since-file "$T/wbad" $S
refused 1 "not a want file" bundle create --out "$T/x" --since-file "$T/text" $S
[ -e "$T/x" ] && fail "a refused create wrote a file"

# The file as docs/formats.md §11 defines it, read by an independent reader
# (Python): magic, version, items, the trailer's hash over every byte before
# its length prefix, nothing after it, the kinds in order.
python3 - "$T/all" <<'EOF'
import hashlib, struct, sys
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'VALISEBD' and struct.unpack('>I', b[8:12])[0] == 1, 'magic/version'
off, items = 12, []
while off < len(b):
    (l,) = struct.unpack('>I', b[off:off + 4])
    assert 1 <= l <= 768 * 1024 + 1024, 'length'
    items.append((off, b[off + 4:off + 4 + l]))
    off += 4 + l
assert off == len(b), 'framing'
toff, trailer = items[-1]
assert trailer[:1] == b'\x84' and b'\xa4type\xa3end' in trailer, 'trailer'
h = hashlib.blake2b(b'valise/bundle/1\x00' + b[:toff], digest_size=32).digest()
assert b'\xa4hash\xc4\x20' + h in trailer, 'hash'
hdr = items[0][1]
assert b'\xa4type\xa6bundle' in hdr and b'\xa1v\x01' in hdr, 'header'
kinds = [it[1][it[1].rindex(b'\xa1k') + 3:].decode() for it in items[1:-1]]
assert kinds == ['policy', 'entry', 'entry'], kinds
EOF
funchanged "$T/f3"
