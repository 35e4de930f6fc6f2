#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full disk: a write (propose, then the approval that applies an entry) on
# a store whose filesystem is full is refused with a message that says the
# disk is full and names the store directory; nothing is written, and once
# space is freed the store verifies, its log and pending set are
# byte-identical to before, and the write goes through. (A daemon syncing
# onto a full disk: tests/fed/t_diskfull.sh.) Needs root to mount a small tmpfs:
# without it the test FAILS (it never passes without having run).
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

MNT="$T/mnt"
mkdir -p "$MNT"
mount -t tmpfs -o size=600k tmpfs "$MNT" 2>"$T/mount.err" ||
    fail "cannot mount a tmpfs at $MNT (root is needed): $(cat "$T/mount.err")"
# Unmount before lib.sh's trap removes $T (which runs after this one is replaced).
trap 'rc=$?; umount "$MNT" 2>/dev/null || true
      if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT

cp -r --sparse=always "$VALISE_STORE" "$MNT/store"
export VALISE_STORE="$MNT/store"
ok log --json --key "$T/node.key"
cp "$T/out" "$T/log.0"

# Fill the filesystem to the last byte, then give back one page so that
# opening the store (its lock file, a read) still works.
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
truncate -s -4k "$MNT/filler"

# A write large enough to need pages the file does not have yet: eight
# records, each with its own comment of 6,000 pseudo-random characters, so
# that the proposal (its bodies compressed, formats.md §5) stays ~36 KB.
/usr/bin/python3 - "$DATA/MU-01.json" >"$T/many.json" <<'PY'
import json, random, string, sys
base = json.load(open(sys.argv[1]))
rng = random.Random(20261206)
out = []
for i in range(2, 10):
    r = dict(base, id="MU-0%d" % i)
    r["comments"] = {"en": "".join(rng.choice(string.ascii_letters + string.digits + " .")
                                   for _ in range(6000))}
    out.append(r)
json.dump(out, sys.stdout)
PY

refused 1 "disk holding $MNT/store is full \([0-9]+ bytes free\): nothing was written" \
    propose --file "$T/many.json" --key "$T/sec1.key"

# Free the space: the store is whole and unchanged.
rm -f "$MNT/filler"
ok verify --key "$T/node.key"
has '^verify: OK'
ok log --json --key "$T/node.key"
cmp -s "$T/log.0" "$T/out" || fail "the log changed: $(diff "$T/log.0" "$T/out" | head -20)"
ok review --json --key "$T/node.key"
[ "$(cat "$T/out")" = "[]" ] || fail "a proposal was left pending: $(cat "$T/out")"

# And the store takes the write once there is room.
ok propose --file "$T/many.json" --key "$T/sec1.key"
id=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out")
[ -n "$id" ] || fail "no proposal id: $(cat "$T/out")"
ok verify --key "$T/node.key"
has '^verify: OK'

# The approval that reaches the threshold (it applies an entry of eight
# records) on a full disk: refused the same way; the proposal keeps its first
# approval, the log is unchanged, and once space is freed it goes through.
ok approve "$id" --key "$T/sec1.key"
ok log --json --key "$T/node.key"
cp "$T/out" "$T/log.1"
ok review --json --key "$T/node.key"
cp "$T/out" "$T/review.1"
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
truncate -s -4k "$MNT/filler"
refused 1 "^valise approve: .*disk holding $MNT/store is full \([0-9]+ bytes free\): nothing was written" \
    approve "$id" --key "$T/sec2.key"
rm -f "$MNT/filler"
ok verify --key "$T/node.key"
has '^verify: OK'
ok log --json --key "$T/node.key"
cmp -s "$T/log.1" "$T/out" || fail "the log changed: $(diff "$T/log.1" "$T/out" | head -20)"
ok review --json --key "$T/node.key"
cmp -s "$T/review.1" "$T/out" || fail "the pending set changed: $(diff "$T/review.1" "$T/out" | head -20)"
ok approve "$id" --key "$T/sec2.key"
has 'applied as entry 2'
ok verify --key "$T/node.key"
has '^verify: OK \(2 entries'
