#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Backup under load (docs/cli.md "backup", docs/operator.md "Backup and
# restore"): a field office's daemon syncs 300 large entries from the
# Secretariat while `valise backup` copies its store again and again; every
# copy taken mid-sync restores (valise restore, which runs the checks of
# verify first) into a store that verifies, at the head the backup printed.
# Also: the daemon raises this machine's high-water mark as it applies
# entries (its own state directory here, so that no command of the test
# raises it instead), and a mid-sync backup restored over the synced store
# is refused as a rollback.
#
# Defences checked: the copy is one LMDB read transaction (a file copy of
# data.mdb during writes would give a torn store that does not verify); the
# head printed is read back from the copy; the mark is written by the daemon.
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

fed_network sec field
fed_topology "field-sec"
fed_start sec
mkfork bulk sec 300 --fat
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-300" --store "$(store sec)" --key "$(key sec)" ||
    fail "append at sec"
N=$(head_seq sec)
note "the Secretariat holds $N entries; the field office starts and syncs while we back it up"
mkdir -p "$T/dstate" "$T/bk"
VALISE_STATE_DIR="$T/dstate" fed_start field
FS=$(store field)
i=0
mid=()
declare -A bseq=()
while [ "$i" -lt 200 ]; do
    i=$((i + 1))
    "$VALISE" backup --store "$FS" --out "$T/bk/b$i" --json >"$T/bk/b$i.json" 2>"$T/bk/err" ||
        fail "backup $i during the sync: $(cat "$T/bk/err")"
    s=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$T/bk/b$i.json")
    bseq[$i]=$s
    if [ "$s" -gt 0 ] && [ "$s" -lt "$N" ]; then mid+=("$i"); fi
    [ "$s" -lt "$N" ] || break
done
note "$i backups taken, ${#mid[@]} of them mid-sync (heads: $(for k in "${mid[@]}"; do printf '%s ' "${bseq[$k]}"; done))"
[ "${#mid[@]}" -ge 1 ] || fail "no backup was taken while the daemon was syncing"
wait_until 60 at_seq "$N" field

# Every mid-sync backup (at most 4 of them) restores to a store that verifies.
n=0
for k in "${mid[@]}"; do
    [ "$n" -lt 4 ] || break
    n=$((n + 1))
    "$VALISE" restore "$T/bk/b$k" --store "$T/r$k" --key "$(nodekey field)" >"$T/out" 2>"$T/err" ||
        fail "restore of backup $k (entry ${bseq[$k]}): $(cat "$T/err")"
    "$VALISE" verify --store "$T/r$k" --key "$(nodekey field)" >"$T/out" 2>"$T/err" ||
        fail "the restored backup $k does not verify: $(cat "$T/out" "$T/err")"
    grep -q "^verify: OK (${bseq[$k]} entries" "$T/out" || fail "restored backup $k: $(cat "$T/out")"
done
note "$n mid-sync backups restored and verified"

# The daemon kept the mark in its own state directory: entry N.
"$PY" - "$T/dstate" "$N" <<'PY' || fail "the daemon did not raise the high-water mark to $N"
import glob, struct, sys
marks = glob.glob(sys.argv[1] + "/mark-*")
assert len(marks) == 1, marks
b = open(marks[0], "rb").read()
assert len(b) == 152 and b[:6] == b"VLMARK", b[:8]
seq = struct.unpack(">Q", b[72:80])[0]
assert seq == int(sys.argv[2]), seq
PY
fed_stop field
k=${mid[0]}
VALISE_STATE_DIR="$T/dstate" "$VALISE" restore "$T/bk/b$k" --store "$FS" --key "$(nodekey field)" \
    >"$T/out" 2>"$T/err" && fail "a mid-sync backup replaced the synced store"
grep -q "holds entry ${bseq[$k]} .* has seen entry $N .*roll the store back" "$T/err" ||
    fail "rollback not refused as such: $(cat "$T/err")"
note "restoring entry ${bseq[$k]} over entry $N refused as a rollback"
