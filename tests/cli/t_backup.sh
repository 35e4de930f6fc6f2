#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valise backup / restore and the high-water mark kept outside the store
# (docs/cli.md "backup", "restore"; docs/store.md §8, §9):
#  - backup, then restore into a new directory: verify OK, the same head;
#    backup refuses an existing --out (unless --force); usage errors;
#  - a damaged backup (a flipped byte in the genesis, a truncated file, not
#    a backup at all) is refused and nothing is replaced;
#  - restoring a backup behind the mark (entries made after the backup) is
#    refused without --force (one line naming both heads), accepted with it
#    (the replaced store kept as DIR.before-restore-TIME, the mark lowered:
#    no warning afterwards);
#  - a store replaced by an older copy (cp -a) makes every command warn,
#    verify report it (text and JSON), and the mark is not lowered by it;
#    a store of another history at the mark's seq: "differs";
#  - a damaged mark file is reported, not trusted, and rewritten;
#  - a store whose daemon holds DIR/daemon.lock is not replaced.
source "$VL_SOURCE_DIR/tests/cli/lib.sh"
# A damaged backup may crash LMDB in restore's checking child: under ASan the
# signal must stay a signal (the parent reports it), as in t_bitflip.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_sigfpe=0"
vl_network
K=(--key "$T/node.key")

head_of() { # head_of DIR: "seq hash" of the store's log head
    "$VALISE" log --json --store "$1" "${K[@]}" |
        json_get '"%d %s" % (d[-1]["seq"], d[-1]["hash"]) if d else "0 -"'
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
no_leftovers() { # no checking directory left beside DIR
    local left
    left=$(find "$T" -maxdepth 1 -name "$(basename "$1").restore-*")
    [ -z "$left" ] || fail "checking directory left behind: $left"
}

# ---- backup, restore into a new directory -----------------------------------------
ok backup --out "$T/b1"
has '^backup: .*/b1: head 1 \([0-9a-f]{16}\), [0-9]+ bytes$'
[ "$(stat -c %a "$T/b1")" = 600 ] || fail "backup file mode $(stat -c %a "$T/b1")"
ok backup --out "$T/b1.json" --json "${K[@]}"
[ "$(json_get 'd["seq"]' <"$T/out")" = 1 ] || fail "backup --json seq: $(cat "$T/out")"
H1=$(head_of "$T/store")
[ "$(json_get 'd["hash"]' <"$T/out")" = "${H1#* }" ] || fail "backup --json hash is not the head"
refused 1 'b1 exists \(refusing to overwrite; --force replaces it\)' backup --out "$T/b1"
ok backup --out "$T/b1" --force
refused 2 '--out FILE is required' backup
refused 2 'give exactly one backup FILE' restore "${K[@]}"
refused 1 'no such|not found|No such' restore "$T/nothing" --store "$T/r0" "${K[@]}"
[ ! -e "$T/r0" ] || fail "a failed restore made $T/r0"

ok restore "$T/b1" --store "$T/r1" "${K[@]}"
has "^restore: .*/b1 verified: 1 entries, 3 records, root [0-9a-f]{16}$"
has "^restore: .*/r1 now holds entry 1"
hasnt "kept as"
ok verify --store "$T/r1" "${K[@]}"
has '^verify: OK \(1 entries, 3 records'
[ "$(head_of "$T/r1")" = "$H1" ] || fail "restored head $(head_of "$T/r1") is not $H1"
ok get MU-01 --store "$T/r1" "${K[@]}"
[ ! -s "$T/err" ] || fail "restored store warns: $(cat "$T/err")"
no_leftovers "$T/r1"

# ---- damaged backups: refused, nothing replaced --------------------------------------
R1=$(sum "$T/r1/data.mdb")
cp "$T/b1" "$T/bad1"
off=$(grep -boa 'IOC judicial platform' "$T/bad1" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "the network name is not in the backup file"
/usr/bin/python3 - "$T/bad1" "$off" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[off] ^= 0x01
open(p, "wb").write(b)
PY
cmp -s "$T/b1" "$T/bad1" && fail "the flip changed nothing"
refused 1 'bad1 (is not a usable backup|does not verify).*nothing replaced' \
    restore "$T/bad1" --store "$T/r1" "${K[@]}"
[ "$(sum "$T/r1/data.mdb")" = "$R1" ] || fail "a refused restore changed r1"
no_leftovers "$T/r1"
head -c 20000 "$T/b1" >"$T/bad2"
refused 1 'bad2.*nothing replaced' restore "$T/bad2" --store "$T/r1" "${K[@]}"
head -c 40000 /dev/zero >"$T/bad3"
refused 1 'bad3.*nothing replaced' restore "$T/bad3" --store "$T/r1" "${K[@]}"
refused 1 'too short for a backup.*nothing replaced' restore "$T/genesis.vlg" --store "$T/r1" "${K[@]}"
[ "$(sum "$T/r1/data.mdb")" = "$R1" ] || fail "a refused restore changed r1"
no_leftovers "$T/r1"
ok verify --store "$T/r1" "${K[@]}"

# ---- restore behind the mark: a rollback ---------------------------------------------
id=$(propose_id --set MU-01 'office_hours="Mon-Fri 08:00-16:00"' --key "$T/mu.key")
approve_both "$id"
H2=$(head_of "$T/store")
[ "${H2%% *}" = 2 ] || fail "no entry 2: $H2"
snapshot "$T/snap2"
refused 1 "b1 holds entry 1 \([0-9a-f]{16}\) but this machine has seen entry 2 \([0-9a-f]{16}\) of .*/store at 2024-06-01T00:00:00Z: restoring it would roll the store back \(--force to restore anyway\); nothing replaced" \
    restore "$T/b1" "${K[@]}"
unchanged "$T/snap2"
no_leftovers "$T/store"
ok restore "$T/b1" --force "${K[@]}"
has "kept as .*/store\.before-restore-20240601T000000Z$"
has "rolled back on purpose \(--force\): this machine had seen entry 2 .* high-water mark for .*/store is now entry 1$"
[ "$(head_of "$T/store")" = "$H1" ] || fail "the forced restore did not bring entry 1 back"
[ "$(head_of "$T/store.before-restore-20240601T000000Z")" = "$H2" ] || fail "the replaced store was not kept"
ok get MU-01 "${K[@]}"
[ ! -s "$T/err" ] || fail "after a forced restore (mark reset) a read warns: $(cat "$T/err")"
ok verify "${K[@]}"
hasnt warning
no_leftovers "$T/store"
# The same again, into a directory holding a kept store of the same time.
ok restore "$T/b1" --force "${K[@]}"
has "kept as .*/store\.before-restore-20240601T000000Z-2$"

# ---- a store replaced by an older copy: every command warns --------------------------
rm -rf "$T/store".before-restore-*
cp -a "$T/store" "$T/old"
id=$(propose_id --set MU-01 'office_hours="Mon-Thu 08:00-16:00"' --key "$T/mu.key")
approve_both "$id"
H2=$(head_of "$T/store")
rm -rf "$T/store"
cp -a "$T/old" "$T/store"
W='^valise: warning: this store is behind what this machine has seen: head 1, seen 2 \([0-9a-f]{16}\) at 2024-06-01T00:00:00Z \(restored from an older copy\?\)'
for cmd in "get MU-01" "find --state MU" "status" "log" "export" "review" "proposals --all"; do
    # shellcheck disable=SC2086
    ok $cmd --key "$T/sec1.key"
    has "$W" "$T/err"
done
ok verify "${K[@]}"
has '^verify: warning: this store is behind what this machine has seen: head 1, seen 2'
has '^verify: OK'
ok verify --json "${K[@]}"
[ "$(json_get 'd["seen"]["state"]' <"$T/out")" = behind ] || fail "verify --json seen: $(cat "$T/out")"
[ "$(json_get 'd["seen"]["seq"]' <"$T/out")" = 2 ] || fail "verify --json seen seq"
[ "$(json_get 'd["seen"]["hash"]' <"$T/out")" = "${H2#* }" ] || fail "verify --json seen hash"
ok get MU-01 --json "${K[@]}"
[ "$(json_get 'd["freshness"]["seen"]["state"]' <"$T/out")" = behind ] ||
    fail "get --json carries no mark: $(cat "$T/out")"
ok status --json "${K[@]}"
[ "$(json_get 'd["freshness"]["seen"]["state"]' <"$T/out")" = behind ] ||
    fail "status --json carries no mark"
# A read-write command warns too and does not lower the mark.
ok propose --set MU-01 'office_hours="Tue"' --key "$T/mu.key"
has "$W" "$T/err"
ok get MU-01 "${K[@]}"
has "$W" "$T/err"
# A restore of a backup of entry 1 is a rollback too.
refused 1 'holds entry 1 .* has seen entry 2 .*roll the store back' restore "$T/b1" "${K[@]}"

# ---- another history at the mark's seq: "differs" ------------------------------------
rm -rf "$T/store"
"$VALISE" init --genesis "$T/genesis.vlg" --key "$T/node.key" >/dev/null || fail "init again"
id=$(propose_id --file "$DATA/MU-01.json" --key "$T/sec1.key")
approve_both "$id"
id=$(propose_id --set MU-01 'office_hours="Sat"' --key "$T/mu.key")
approve_both "$id"
ok get MU-01 "${K[@]}"
has '^valise: warning: this store differs from what this machine has seen: entry 2 is [0-9a-f]{16} here, it was [0-9a-f]{16} at' "$T/err"

# ---- a damaged mark: reported, not trusted, rewritten -------------------------------
rm -rf "$T/store"
cp -a "$T/old" "$T/store"
# This store's own mark (the state directory holds others: another history at
# the same path had its own network's mark).
ok get MU-01 --json "${K[@]}"
mark=$(json_get 'd["freshness"]["seen"]["file"]' <"$T/out")
[ -f "$mark" ] || fail "get --json names no mark file: $(cat "$T/out")"
for m in "$T/state"/mark-*; do printf 'garbage' >"$m"; done
ok get MU-01 "${K[@]}"
has '^valise: warning: the high-water mark of this store \(.*\) is damaged: 7 bytes, a mark has 152; not trusted' "$T/err"
ok get MU-01 "${K[@]}"
[ ! -s "$T/err" ] || fail "the damaged mark was not rewritten: $(cat "$T/err")"
[ "$(stat -c %s "$mark")" = 152 ] || fail "mark file size $(stat -c %s "$mark")"
[ "$(stat -c %a "$mark")" = 600 ] || fail "mark file mode $(stat -c %a "$mark")"

# ---- a running daemon (DIR/daemon.lock held) is not replaced ------------------------
/usr/bin/python3 - "$T/store/daemon.lock" "$T/locked" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "a+")
fcntl.lockf(f, fcntl.LOCK_EX)
f.write(str(os.getpid())); f.flush()
open(sys.argv[2], "w").close()
time.sleep(60)
PY
LOCKER=$!
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
[ -e "$T/locked" ] || fail "the lock holder did not start"
snapshot "$T/snap3"
refused 1 "a valise-node \(pid $LOCKER\) runs on .*/store: stop it first; nothing replaced" \
    restore "$T/b1" --force "${K[@]}"
unchanged "$T/snap3" # while the lock is held: status reports the daemon running
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null || true
no_leftovers "$T/store"
ok restore "$T/b1" --force "${K[@]}"
ok verify "${K[@]}"
echo "t_backup: OK"
