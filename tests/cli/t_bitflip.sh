#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One bit flipped in the LMDB file of a sample store, 60 times (fixed seed,
# each on a fresh copy; about 0.4 s each) plus known offsets that once crashed the reader inside
# LMDB (no page checksums): `valise verify` must never die from a signal. It
# exits 0 (the flip hit unused or unchecked bytes), or 1 with a report (on
# stdout a problem or "verify: store file damaged", one line on stderr).
# Prints how many flips gave which outcome.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
# In the ASan build, let the damaged-store reader die from the signal itself,
# as in a release build: ASan's own report of the fault would be more lines
# on stderr, and the test is about what verify says, not what ASan says.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_sigfpe=0"
vl_network
ok sample --out "$T/sample.json"
"$VALISE" propose --file "$T/sample.json" --key "$T/sec1.key" >"$T/props" || fail "propose the sample"
for id in $(awk '/^proposed /{sub(":","",$2); print $2}' "$T/props"); do
    approve_both "$id"
done
ok verify --key "$T/node.key"
has '^verify: OK'
cp -a "$VALISE_STORE" "$T/pristine"
size=$(stat -c %s "$T/pristine/data.mdb")

# The root page of the "records" database, a branch page (the sample's 762
# records take three levels), read from the LMDB file: meta page with the
# higher txnid -> main DB root (one leaf page) -> the node named "records" ->
# its MDB_db (depth, root). Its number depends on the allocation history of
# the run (proposal ids are random, so the pending table churns differently),
# hence read, not fixed.
root=$(/usr/bin/python3 - "$T/pristine/data.mdb" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
PS = 4096
def meta(pg):
    off = pg * PS + 16
    return struct.unpack_from("<Q", data, off + 128)[0], data[off + 72:off + 120]
main = max(meta(0), meta(1))[1]
p = struct.unpack_from("<Q", main, 40)[0] * PS
assert struct.unpack_from("<H", data, p + 10)[0] & 2, "main DB is not one leaf page"
for i in range((struct.unpack_from("<H", data, p + 12)[0] - 16) // 2):
    n = p + struct.unpack_from("<H", data, p + 16 + 2 * i)[0]
    ks = struct.unpack_from("<H", data, n + 6)[0]
    if data[n + 8:n + 8 + ks] == b"records":
        depth, = struct.unpack_from("<H", data, n + 8 + ks + 6)
        pg, = struct.unpack_from("<Q", data, n + 8 + ks + 40)
        assert depth >= 2, "records is a single page"
        assert struct.unpack_from("<H", data, pg * PS + 10)[0] & 1, "root is not a branch page"
        print(pg)
PY
) || fail "cannot find the records root page"
[ -n "$root" ] || fail "no records database in the sample store"

# Bit offsets: 60 from a fixed-seed LCG over the whole file, then six in the
# first node pointers (bytes 16-22) of a branch page, which crash the reader
# inside LMDB (no page checksums: it follows them). They were found by a scan
# on page 457, then the index's branch page, where they gave SIGSEGV in
# mdb_cursor_get; with proposals of format 2 (compressed bodies, a smaller
# log) that page holds other data, and on the root of "records", read above,
# the same offsets trip LMDB's own assertions (SIGABRT, whose message the
# store keeps off stderr for verify: VL_STORE_QUIET).
offsets=$(/usr/bin/python3 - "$size" "$root" <<'PY'
import sys
size, root = int(sys.argv[1]), int(sys.argv[2])
x = 20261204
out = []
for _ in range(60):
    x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    out.append((x >> 11) % (size * 8))
known = [(root * 4096 + byte) * 8 + bit
         for byte, bit in ((16, 3), (18, 3), (20, 3), (20, 4), (22, 3), (22, 4))]
print(" ".join(str(o) for o in out + known))
PY
)

flip() { # flip FILE BIT
    /usr/bin/python3 -c 'import sys
f = open(sys.argv[1], "r+b"); b = int(sys.argv[2])
f.seek(b // 8); c = f.read(1)[0]; f.seek(b // 8); f.write(bytes([c ^ (1 << (b % 8))]))' "$1" "$2"
}

n_ok=0 n_found=0 n_damaged=0 n_bad=0 damaged_bit=
for bit in $offsets; do
    rm -rf "$VALISE_STORE"
    cp -a "$T/pristine" "$VALISE_STORE"
    flip "$VALISE_STORE/data.mdb" "$bit"
    rc=0
    timeout 30 "$VALISE" verify --key "$T/node.key" >"$T/out" 2>"$T/err" || rc=$?
    what="flip of bit $bit (page $((bit / 8 / 4096)), byte $((bit / 8 % 4096)))"
    if [ $rc -ge 124 ] || grep -q "Segmentation fault\|core dumped" "$T/err"; then
        echo "FAIL: $what: verify exited $rc: $(head -c 300 "$T/err")" >&2
        n_bad=$((n_bad + 1))
        continue
    fi
    case $rc in
    0) has '^verify: OK'; n_ok=$((n_ok + 1)) ;;
    1)
        [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$what: more than one line on stderr: $(cat "$T/err")"
        grep -q '^valise verify: ' "$T/err" || fail "$what: stderr: $(cat "$T/err")"
        if grep -q '^verify: store file damaged' "$T/out"; then
            grep -q 'docs/operator.md' "$T/err" || fail "$what: no pointer to recovery: $(cat "$T/err")"
            n_damaged=$((n_damaged + 1))
            damaged_bit=${damaged_bit:-$bit}
        else
            # A problem report, or a refusal to open the store (LMDB saw it).
            [ -s "$T/out" ] || grep -Eq 'corrupt|damaged|store' "$T/err" ||
                fail "$what: exit 1 without a report: $(cat "$T/err")"
            n_found=$((n_found + 1))
        fi
        ;;
    *) fail "$what: verify exited $rc: $(cat "$T/out" "$T/err")" ;;
    esac
done
echo "t_bitflip: $(echo $offsets | wc -w) flips: $n_ok OK, $n_found problems reported," \
    "$n_damaged reader crashes reported as damage, $n_bad signals or hangs"
[ $n_bad -eq 0 ] || fail "$n_bad flips killed verify with a signal or a hang"

# The known offsets crashed the reader: reported as damage, also in --json.
[ -n "$damaged_bit" ] || fail "no flip crashed the reader: the known offsets no longer hit (records root page $root)"
rm -rf "$VALISE_STORE"
cp -a "$T/pristine" "$VALISE_STORE"
flip "$VALISE_STORE/data.mdb" "$damaged_bit"
rc=0
"$VALISE" verify --json --key "$T/node.key" >"$T/out.json" 2>"$T/err" || rc=$?
[ $rc -eq 1 ] || fail "verify --json exited $rc on a damaged store"
[ "$(json_get 'd["ok"]' <"$T/out.json")" = False ] || fail "verify --json ok"
[ "$(json_get 'd["damaged"]["signal"] > 0' <"$T/out.json")" = True ] ||
    fail "verify --json: no damaged.signal: $(cat "$T/out.json")"
[ "$(json_get 'd["damaged"]["checking"]' <"$T/out.json")" = records ] ||
    fail "verify --json: not checking records: $(cat "$T/out.json")"
rm -rf "$VALISE_STORE"
cp -a "$T/pristine" "$VALISE_STORE"
ok verify --json --key "$T/node.key"
[ "$(json_get 'd["damaged"]' <"$T/out")" = None ] || fail "verify --json: damaged on a sound store"
echo "t_bitflip: OK"
