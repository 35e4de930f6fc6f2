#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A read-only store directory (docs/operator.md "Troubleshooting"), two ways:
#  1. a read-only bind mount of the store (root bypasses file permissions,
#     so a mount is what makes root's writes fail): every read command (get,
#     find, verify, status, log, export, proposals, review, serve) works;
#     every write command (propose, approve, reject, policy publish, bundle
#     import) exits 1 with one line naming the directory and saying it
#     cannot be written; the store is unchanged (mdb_dump before = after).
#  2. chmod 555 on the directory and 444 on its files, the commands run as
#     the unprivileged user nobody (setpriv): a write is refused the same
#     way; a read is refused with a message that says a reader must be able
#     to write lock.mdb (LMDB records its readers there); nothing changes.
# Needs root (mount, setpriv): without it the test FAILS.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

[ "$(id -u)" = 0 ] || fail "t_readonly needs root (a bind mount and setpriv)"
command -v mdb_dump >/dev/null || fail "mdb_dump missing (install lmdb-utils)"
K=(--key "$T/node.key")
p1=$(propose_id --set MU-01 'office_hours=Mon-Fri' --key "$T/mu.key")
ok bundle create --out "$T/b1" "${K[@]}"
ok policy propose --key "$T/sec1.key" --add-node "$T/mu.pub" --out "$T/v2.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"

dump() { mdb_dump -a "$1" | grep -v '^mapsize='; }
dump "$T/store" >"$T/dump.0"

RO="$T/ro"
mkdir -p "$RO"
mount --bind "$T/store" "$RO" 2>"$T/mount.err" ||
    fail "cannot bind-mount the store (root is needed): $(cat "$T/mount.err")"
trap 'rc=$?; umount "$RO" 2>/dev/null || true
      if [ -n "${SPID:-}" ]; then kill "$SPID" 2>/dev/null || true; fi
      if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT
mount -o remount,bind,ro "$RO" 2>"$T/mount.err" ||
    fail "cannot make the bind mount read-only: $(cat "$T/mount.err")"
touch "$RO/x" 2>/dev/null && fail "the bind mount is writable"
export VALISE_STORE="$RO"

# ---- 1. reads work ----------------------------------------------------------------
ok get MU-01 "${K[@]}"
has 'MU-01'
ok find --state MU "${K[@]}"
has 'MU-01'
ok verify "${K[@]}"
has '^verify: OK \(1 entries'
ok status "${K[@]}"
ok log "${K[@]}"
ok export "${K[@]}"
has 'MU-01'
ok proposals --key "$T/mu.key"
ok review "${K[@]}"
has "${p1:0:8}"
"$VALISE" serve --listen 127.0.0.1:0 "${K[@]}" >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
for _ in $(seq 1 200); do
    grep -q '^valise serve: http://' "$T/serve.out" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || fail "valise serve exited on a read-only store: $(cat "$T/serve.err")"
    sleep 0.05
done
PORT=$(sed -n 's|^valise serve: http://127\.0\.0\.1:\([0-9][0-9]*\)/ .*$|\1|p' "$T/serve.out")
[ -n "$PORT" ] || fail "valise serve printed no URL: $(cat "$T/serve.out" "$T/serve.err")"
/usr/bin/python3 - "$PORT" <<'PY' || fail "serve on a read-only store: GET /record/MU-01 failed"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("GET", "/record/MU-01")
r = c.getresponse()
b = r.read()
sys.exit(0 if r.status == 200 and b"MU-01" in b else 1)
PY
kill -TERM "$SPID"
wait "$SPID" || fail "valise serve exited $? on SIGTERM"
SPID=""

# ---- 1. writes are refused, naming the directory ----------------------------------
RX="store directory $RO cannot be written \(Read-only file system\): nothing was written"
refused 1 "$RX" propose --set MU-01 'office_hours=Sat' --key "$T/mu.key"
refused 1 "$RX" approve "$p1" --key "$T/sec1.key"
refused 1 "$RX" reject "$p1" --reason no --key "$T/sec1.key"
refused 1 "$RX" policy publish "$T/v2.vlp" "${K[@]}"
refused 1 "$RX" bundle import "$T/b1" "${K[@]}"
umount "$RO"
export VALISE_STORE="$T/store"
dump "$T/store" >"$T/dump.1"
cmp -s "$T/dump.0" "$T/dump.1" || fail "the read-only store changed"

# ---- 2. file permissions, as nobody ------------------------------------------------
NB="$T/nobody"
mkdir -p "$NB"
cp "$T/node.key" "$T/mu.key" "$NB/"
chown -R nobody "$NB"
chmod 700 "$NB"
chmod 600 "$NB"/*.key
chmod 755 "$T"
# nobody must reach $T: the test directory's parent (build/tmp) may be 0700.
chmod o+x "$(dirname "$T")"
setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$NB" ||
    fail "nobody cannot reach $NB (a directory above it is not traversable by others)"
chmod 555 "$T/store"
chmod 444 "$T/store"/*
as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        env VALISE_STORE="$T/store" VALISE_STATE_DIR="$NB/state" HOME="$NB" "$VALISE" "$@"
}
rc=0
as_nobody propose --set MU-01 'office_hours=Sun' --key "$NB/mu.key" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "propose as nobody on a 555 store: exit $rc: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "propose as nobody: want one line: $(cat "$T/err")"
grep -Eq "^valise propose: .*store directory $T/store cannot be written \(Permission denied\): nothing was written" \
    "$T/err" || fail "propose as nobody: $(cat "$T/err")"
rc=0
as_nobody status --key "$NB/node.key" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "status as nobody on a 444 lock.mdb: exit $rc: $(cat "$T/err")"
grep -Eq "^valise status: .*cannot read the store in $T/store \(Permission denied\): a reader must be able to write $T/store/lock.mdb" \
    "$T/err" || fail "status as nobody: $(cat "$T/err")"
chmod 700 "$T/store"
chmod 600 "$T/store"/*
dump "$T/store" >"$T/dump.2"
cmp -s "$T/dump.0" "$T/dump.2" || fail "the store changed under nobody's attempts"
# And root, with the permissions back, writes again.
ok approve "$p1" --key "$T/sec1.key"
ok verify "${K[@]}"
has '^verify: OK'
