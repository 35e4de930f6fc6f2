#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A daemon syncing onto a full disk: node b's store lives on a small tmpfs
# that is filled to its last page; a holds 20 large entries (about 43 KB
# each). b's pulls fail at the commit: b logs that its own store failed
# (not the peer's fault), saying the disk holding its store is full and
# where, backs off, and keeps its session to a (no drop). Its store
# verifies and applied nothing. Once space is freed, b catches up with a and
# verifies. Needs root to mount the tmpfs: without it the test FAILS.
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

MNT=$(mktemp -d "$VL_TEST_TMP/diskfull.XXXXXX")
mount -t tmpfs -o size=8m tmpfs "$MNT" 2>"$T/mount.err" ||
    fail "cannot mount a tmpfs at $MNT (root is needed): $(cat "$T/mount.err")"
s_exit() {
    local rc=$?
    set +e
    (exit $rc) # fed_cleanup reads the exit status from $?
    fed_cleanup
    umount "$MNT" 2>/dev/null || true
    rmdir "$MNT" 2>/dev/null || true
}
trap s_exit EXIT

FED_STOREOF[b]="$MNT/store"
fed_network a b
fed_topology "b-a"
mkfork bulk a 20 --fat
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-20" --store "$(store a)" --key "$(key a)" \
    >/dev/null || fail "append at a"
fed_start a

# Fill b's filesystem, leaving one page so that the store opens.
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
truncate -s -4k "$MNT/filler"
fed_start b
log_has() { grep -E -- "$2" "$(fed_log "$1")" >/dev/null; }
wait_until 30 log_has b "ERROR our store failed to apply entries 1\.\.[0-9]+ from .*\(a\) \(not the peer's fault\): .*the disk holding $MNT/store is full \([0-9]+ bytes free\): nothing was written; pulling again in"
if grep -E "dropped" "$(fed_log b)" "$(fed_log a)"; then
    fail "a session was dropped over b's full disk (above)"
fi
fed_kill b
[ "$(head_seq b)" = 0 ] || fail "b applied entries on a full disk"
vb() {
    "$VALISE" verify --store "$(store b)" --key "$(nodekey b)" --pass-file "$T/pass" \
        >"$T/verify.out" 2>&1 && grep -q '^verify: OK' "$T/verify.out" ||
        fail "verify b: $(cat "$T/verify.out")"
}
vb

note "space freed: b catches up"
rm -f "$MNT/filler"
fed_start b
wait_until 60 converged a b
fed_stop b
vb
note "ok: a full disk at b was b's own failure, said so, and b caught up once space was freed"
