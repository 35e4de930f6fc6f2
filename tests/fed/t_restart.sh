#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crashes and absences:
#  1. a field office killed (SIGKILL) in the middle of a long sync, then
#     restarted: it resumes from its own head and catches up, and its store
#     verifies;
#  2. the Secretariat's node passes a new entry to one regional node only
#     (the other regional node is unreachable: paused) and is killed right
#     after: the entry still reaches every other node through the regional
#     ones;
#  3. a field office that was offline (stopped) meanwhile rejoins and
#     catches up; the Secretariat comes back and everyone agrees.
#
#   sec --- ra --- io --- field
#     \---- rb ---/
#
# Defences checked: every batch of entries is one transaction and a restart
# pulls from its own head (a kill -9 in the middle of a batch must leave a
# store that verifies and resumes; without the transaction the store would
# hold half a batch and fail `verify`); store and forward (without relaying
# by ra and io, rb and the field office would never see the entry the
# Secretariat made before it went down); reconnection after a peer dies and
# comes back (libzmq reconnects; sessions are re-established).
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

fed_network sec ra rb io field
fed_topology "ra-sec rb-sec io-ra io-rb field-io"
fed_start sec ra rb io field
wait_until 30 converged

note "1. the field office goes offline; the Secretariat's store grows by 300 large entries"
fed_stop field
mkfork bulk sec 300 --fat
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-300" --store "$(store sec)" --key "$(key sec)" ||
    fail "append at sec"
N=$(head_seq sec)
wait_until 60 at_seq "$N" sec ra rb io
# The catch-up logs "at seq N of M" at most once a second per peer (the
# 300-entry pull above takes seconds and many batches: one line per batch
# would be several a second); each line after a catch-up's first carries its
# rate and time left, and "synced to" ends it.
/usr/bin/python3 - "$(fed_log ra)" "$(fed_log rb)" "$(fed_log io)" <<'PY' || fail "catch-up progress lines"
import datetime, re, sys
pat = re.compile(r"^(\S+) INFO  peer (.*): (at seq \d+ of \d+|synced to seq \d+)(.*)$")
rate = re.compile(r"^, \d+ entries/s, about \d+ s left$")
lines = 0
for path in sys.argv[1:]:
    last = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = pat.match(line.rstrip("\n"))
        if not m:
            continue
        peer = m.group(2)
        if m.group(3).startswith("synced"):
            last.pop(peer, None)
            continue
        lines += 1
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        if peer in last:
            if t - last[peer] < 0.99:
                sys.exit(f"{path}: two 'at seq' lines for {peer} {t - last[peer]:.3f} s apart")
            if not rate.match(m.group(4)):
                sys.exit(f"{path}: no rate and time left: {line.strip()}")
        last[peer] = t
if lines == 0:
    sys.exit("no 'at seq' line at all")
PY
note "the field office restarts and syncs $N entries (~43 KB each) from io; kill -9 in the middle"
fed_start field
s_partly() { log_has field 'at seq [0-9]+ of'; }
wait_until 30 s_partly
fed_kill field
# Read the head once the process is gone: a SIGSTOP lands only when the
# daemon leaves the kernel (an fdatasync inside a commit), so a head read
# while "paused" may still move by one batch.
got=$(head_seq field)
note "killed at entry $got of $N"
[ "$got" -lt "$N" ] || fail "the sync was over before the kill (at $got of $N): not a mid-sync kill"
"$VALISE" verify --store "$(store field)" --key "$(key field)" >/dev/null ||
    fail "the killed field office's store does not verify"
fed_start field
wait_until 60 at_seq "$N" field
wait_until 30 converged
log_has field "valise-node ready: .* seq $got" || log_has field "seq $got," ||
    fail "the restarted node did not resume from entry $got"
"$VALISE" verify --store "$(store field)" --key "$(key field)" >/dev/null || fail "verify field"
note "caught up: every node at entry $N"

note "2. rb is unreachable (paused), the field office offline; the Secretariat approves an entry"
fed_pause rb
fed_stop field
record_json "$T/mu9.json" MU-09 "+230 5550 9090"
id=$(propose_at sec mu --file "$T/mu9.json")
approve_at sec "$id"
M=$((N + 1))
wait_until 30 at_seq "$M" ra
fed_kill sec
note "ra has entry $M; the Secretariat's node is killed"
[ "$(head_seq rb)" -lt "$M" ] || fail "rb got the entry although it was paused"
fed_resume rb
t0=$SECONDS
wait_until 60 at_seq "$M" ra rb io
echo "    rb and io reached entry $M through ra $((SECONDS - t0)) s after rb came back"
log_has rb "\((ra|io)\): (synced to|at) seq" || fail "rb did not get the entry from ra or io"
wait_until 30 converged ra rb io

note "3. the field office rejoins and catches up; then the Secretariat comes back"
fed_start field
wait_until 60 at_seq "$M" field
wait_until 30 converged ra rb io field
fed_start sec
wait_until 30 converged
for n in "${FED_NODES[@]}"; do
    "$VALISE" verify --store "$(store "$n")" --key "$(key "$n")" >/dev/null || fail "verify $n"
done
fed_heads | awk '{printf "  %-6s seq %s head %.16s root %.16s\n", $1, $2, $3, $4}'
fed_stop sec ra rb io field
echo "t_restart: OK"
