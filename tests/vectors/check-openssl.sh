#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Verify the test vectors with implementations that share no code with
# valise: Python's hashlib (BLAKE2b) recomputes every digest from the signed
# header bytes, OpenSSL's Ed25519 derives every public key from its seed
# and verifies every signature, and the zstd tool decompresses the format 2
# proposal's frame. A flipped digest must then fail to verify,
# so this check can fail.
#   bash tests/vectors/check-openssl.sh [vectors.txt]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vec=${1:-$here/vectors.txt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# 1. Digests, containment of headers in documents, and the work list.
"$py" - "$vec" "$tmp" <<'PY'
import hashlib, sys, os
vec, tmp = sys.argv[1], sys.argv[2]
v = {}
for line in open(vec):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    k, _, val = line.partition('=')
    v[k] = val
def h(tag, data):
    return hashlib.blake2b(tag.encode() + b'\0' + data, digest_size=32).digest()
jobs = []
for what in ('genesis', 'proposal', 'entry', 'fresh_policy', 'fresh', 'reader_policy', 'prop2'):
    hdr = bytes.fromhex(v[what + '.hdr'])
    doc = v[what + '.doc']
    assert v[what + '.hdr'] in doc, what + ': header not inside the document'
    if what + '.ct' in v:
        ct = bytes.fromhex(v[what + '.ct'])
        assert v[what + '.ct'] in doc, what + ': ciphertext not inside the document'
        d = h(v[what + '.tag'], len(hdr).to_bytes(4, 'big') + hdr + ct)
    else:
        d = h(v[what + '.tag'], hdr)
    assert d.hex() == v[what + '.digest'], what + ': digest differs'
    i = 0
    while f'{what}.sig.{i}.pk' in v:
        jobs.append((what, i, v[f'{what}.sig.{i}.pk'], v[f'{what}.sig.{i}.sig'], d.hex()))
        i += 1
# The entry's link covers the whole document, signatures included.
assert h('valise/link/1', bytes.fromhex(v['entry.doc'])).hex() == v['entry.link'], 'entry link differs'
# The genesis' prev link: the entry header must contain the genesis digest.
assert v['genesis.digest'] in v['entry.hdr'], 'entry does not chain to the genesis'
# The freshness statement (docs/trust.md §3): signed by the node key, which
# the policy names as its fresh key ("fresh" bin32); at seq 0 its head is the
# policy hash; its times are the listed ones (msgpack: key, then uint).
def mp_uint(n):
    if n < 0x80: return bytes([n])
    for tag, size in ((0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)):
        if n < 1 << (8 * size): return bytes([tag]) + n.to_bytes(size, 'big')
def mp_key(k): return bytes([0xa0 | len(k)]) + k.encode()
fhdr = bytes.fromhex(v['fresh.hdr'])
node = v['key.node.pk']
assert v['fresh.sig.0.pk'] == node, 'fresh: not signed by the node key'
assert (mp_key('fresh') + b'\xc4\x20' + bytes.fromhex(node)) in bytes.fromhex(v['fresh_policy.hdr']), \
    'fresh_policy: the node is not its fresh key'
assert (mp_key('node') + b'\xc4\x20' + bytes.fromhex(node)) in fhdr, 'fresh: node field differs'
assert int(v['fresh.seq']) != 0 or \
    (mp_key('head') + b'\xc4\x20' + bytes.fromhex(v['fresh_policy.digest'])) in fhdr, \
    'fresh: head at seq 0 is not the policy hash'
for k in ('expires', 'issued', 'seq'):
    assert (mp_key(k) + mp_uint(int(v['fresh.' + k]))) in fhdr, 'fresh: ' + k + ' differs'
assert int(v['fresh.issued']) < int(v['fresh.expires']), 'fresh: expires not after issued'
assert (mp_key('type') + mp_key('fresh')) in fhdr, 'fresh: type is not "fresh"'
# The reader vector (docs/formats.md §3): reader_policy lists key.reader under "readers"
# (one member {"key", "name"}), a key the genesis above does not have, and seals epoch 0 to it.
rhdr = bytes.fromhex(v['reader_policy.hdr'])
rpk = bytes.fromhex(v['key.reader.pk'])
assert (mp_key('readers') + b'\x91\x82' + mp_key('key') + b'\xc4\x20' + rpk) in rhdr, \
    'reader_policy: key.reader is not its one reader'
assert (mp_key('to') + b'\xc4\x20' + rpk) in rhdr, 'reader_policy: epoch 0 not sealed to the reader'
assert mp_key('readers') not in bytes.fromhex(v['genesis.hdr']), 'genesis: has a readers key'
# The run vectors (docs/formats.md §6.1): approvers sign H("valise/run/1", run.doc); the
# run names entry 1's link as its prev; each of its two entries carries the run document,
# its digest in the header, the same signature list; entry 2 follows entry 1's link.
run = bytes.fromhex(v['run.doc'])
rd = h(v['run.tag'], run)
assert rd.hex() == v['run.digest'], 'run: digest differs'
assert (mp_key('prev') + b'\xc4\x20' + bytes.fromhex(v['entry.link'])) in run, \
    'run: prev is not the link of entry 1'
for n in ('1', '2'):
    doc = bytes.fromhex(v['run_entry.' + n + '.doc'])
    assert run in doc, 'run_entry.' + n + ': the run document is not inside'
    assert (mp_key('run') + b'\xc4\x20' + rd) in doc, 'run_entry.' + n + ': header lacks the run digest'
    assert h('valise/link/1', doc).hex() == v['run_entry.' + n + '.link'], 'run_entry.' + n + ': link differs'
    assert (mp_key('root') + b'\xc4\x20' + bytes.fromhex(v['run.root.' + n])) in doc, \
        'run_entry.' + n + ': root is not its row\'s'
    i = 0
    while f'run_entry.sig.{i}.pk' in v:
        assert bytes.fromhex(v[f'run_entry.sig.{i}.pk'] + v[f'run_entry.sig.{i}.sig'][:0]) in doc
        assert bytes.fromhex(v[f'run_entry.sig.{i}.sig']) in doc, 'run_entry.' + n + ': signature list differs'
        i += 1
assert (mp_key('prev') + b'\xc4\x20' + bytes.fromhex(v['run_entry.1.link'])) in \
    bytes.fromhex(v['run_entry.2.doc']), 'run_entry.2 does not follow run_entry.1'
i = 0
while f'run_entry.sig.{i}.pk' in v:
    jobs.append(('run_entry', i, v[f'run_entry.sig.{i}.pk'], v[f'run_entry.sig.{i}.sig'], rd.hex()))
    i += 1
assert i == 2, 'run_entry: not two signatures'
# The proposal format 2 vector (docs/formats.md §5): header v = 2, same author and op as
# the format 1 proposal; the sealed frame is 16 bytes shorter than the ciphertext; the
# payload is [bin record.body]; the frame is written out for the zstd tool (below).
p2 = bytes.fromhex(v['prop2.hdr'])
assert p2.endswith(mp_key('v') + b'\x02'), 'prop2: header v is not 2'
assert bytes.fromhex(v['proposal.hdr']).endswith(mp_key('v') + b'\x01'), 'proposal: v is not 1'
assert len(bytes.fromhex(v['prop2.sealed'])) + 16 == len(bytes.fromhex(v['prop2.ct'])), \
    'prop2: sealed frame and ciphertext lengths differ by more than the tag'
body = bytes.fromhex(v['record.body'])
assert bytes.fromhex(v['prop2.payload']) == b'\x91\xc5' + len(body).to_bytes(2, 'big') + body \
    if len(body) > 255 else b'\x91\xc4' + bytes([len(body)]) + body, 'prop2: payload is not [bin body]'
open(os.path.join(tmp, 'sealed.zst'), 'wb').write(bytes.fromhex(v['prop2.sealed']))
open(os.path.join(tmp, 'payload'), 'wb').write(bytes.fromhex(v['prop2.payload']))
with open(os.path.join(tmp, 'jobs'), 'w') as f:
    for j in jobs:
        f.write(' '.join(map(str, j)) + '\n')
with open(os.path.join(tmp, 'keys'), 'w') as f:
    for k in v:
        if k.startswith('key.') and k.endswith('.seed'):
            name = k[4:-5]
            f.write(f"{name} {v[k]} {v['key.' + name + '.pk']}\n")
print(f"hashlib: {len(jobs)} digests recomputed")
PY

fail=0
# 2a. The format 2 frame decompresses, with the zstd tool, to the payload; the tool
# reads the frame header's content size and dictionary id (zstd -lv).
if ! zstd -q -d -c "$tmp/sealed.zst" | cmp -s - "$tmp/payload"; then
  echo "FAIL: prop2.sealed does not decompress to prop2.payload with zstd"; fail=1
fi
zl=$(zstd -lv "$tmp/sealed.zst" 2>&1)
grep -Eq 'Decompressed Size: .*\(([0-9]+) B\)|Decompressed Size: [0-9]+ B' <<<"$zl" ||
  { echo "FAIL: prop2.sealed does not declare its content size: $zl"; fail=1; }
grep -q '^DictID: 0$' <<<"$zl" || { echo "FAIL: prop2.sealed names a dictionary: $zl"; fail=1; }

# 2. Public keys derived from the seeds by OpenSSL.
while read -r name seed pk; do
  "$py" -c "import sys;sys.stdout.buffer.write(bytes.fromhex('302e020100300506032b657004220420$seed'))" > "$tmp/sk.der"
  got=$(openssl pkey -inform DER -in "$tmp/sk.der" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
  if [ "$got" != "$pk" ]; then echo "FAIL: key $name: OpenSSL derives $got"; fail=1; fi
done < "$tmp/keys"

# 3. Every signature, then the same with a flipped digest (must fail).
n=0
while read -r what i pk sig digest; do
  "$py" -c "import sys;sys.stdout.buffer.write(bytes.fromhex('302a300506032b6570032100$pk'))" > "$tmp/pk.der"
  "$py" -c "import sys;sys.stdout.buffer.write(bytes.fromhex('$sig'))" > "$tmp/sig"
  "$py" -c "import sys;sys.stdout.buffer.write(bytes.fromhex('$digest'))" > "$tmp/msg"
  if ! openssl pkeyutl -verify -pubin -inkey "$tmp/pk.der" -keyform DER -rawin \
       -in "$tmp/msg" -sigfile "$tmp/sig" >/dev/null 2>&1; then
    echo "FAIL: $what signature $i does not verify with OpenSSL"; fail=1
  fi
  "$py" -c "import sys;d=bytearray.fromhex('$digest');d[0]^=1;sys.stdout.buffer.write(d)" > "$tmp/msg"
  if openssl pkeyutl -verify -pubin -inkey "$tmp/pk.der" -keyform DER -rawin \
       -in "$tmp/msg" -sigfile "$tmp/sig" >/dev/null 2>&1; then
    echo "FAIL: $what signature $i verifies a flipped digest"; fail=1
  fi
  n=$((n + 1))
done < "$tmp/jobs"
echo "openssl: $n signatures verified, $n flipped digests refused"
if [ "$fail" -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
