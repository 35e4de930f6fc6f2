#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One daemon per store (docs/operator.md §3, "One daemon per store"):
#  1. while a's daemon runs, a second valise-node on a's store (another
#     listen port) is refused: one line naming the pid that holds the lock,
#     exit status 1, and it never says "ready";
#  2. `valise` commands keep working meanwhile (status, verify), and status
#     names the daemon's pid;
#  3. a's daemon is killed (SIGKILL): the lock file stays, naming the dead
#     pid, and blocks nothing: a new daemon starts, and status names the new
#     pid.
#
# Defence checked: the POSIX lock on STORE/daemon.lock taken before "ready"
# (without it the second daemon starts and both write the same store; with a
# lock that trusted the pid in the file, step 3 would refuse the restart).
source "$(dirname "$0")/lib.sh"

fed_network a b
fed_topology "a-b"
fed_start a b
wait_until 30 converged
pid_a=${FED_PID[a]}

note "1. a second daemon on a's store, on another port"
extra=$(fed_ports_take 1) || fail "no free port"
sed -e "s|127.0.0.1:${FED_PORT[a]}\"|127.0.0.1:${extra}\"|" "$T/a/node.json" >"$T/a/second.json"
grep -q "127.0.0.1:${extra}\"" "$T/a/second.json" || fail "could not write the second config"
rc=0
timeout 30 "$VALISE_NODE" --config "$T/a/second.json" >"$T/second.out" 2>"$T/second.err" || rc=$?
[ "$rc" -eq 1 ] || { cat "$T/second.err" >&2; fail "the second daemon exited $rc (want 1: refused)"; }
grep -q 'ready' "$T/second.out" "$T/second.err" && fail "the second daemon said ready"
lines=$(grep -c . "$T/second.err")
[ "$lines" -eq 1 ] || { cat "$T/second.err" >&2; fail "the refusal is $lines lines, not one"; }
grep -q "another valise-node (pid $pid_a) runs on this store" "$T/second.err" ||
    { cat "$T/second.err" >&2; fail "the refusal does not name pid $pid_a"; }
echo "    refused: $(cat "$T/second.err")"
fed_alive a

note "2. valise commands work while the daemon runs; status names its pid"
"$VALISE" verify --store "$(store a)" --key "$(key a)" >/dev/null || fail "verify while running"
running=$(fed_status a | json_get 'd["daemon"]["running"], d["daemon"]["pid"]')
[ "$running" = "(True, $pid_a)" ] || fail "status --json daemon: $running (want running, pid $pid_a)"
"$VALISE" status --store "$(store a)" --key "$(key a)" >"$T/status.txt" || fail "status"
grep -q "^daemon    running (valise-node pid $pid_a)" "$T/status.txt" ||
    { cat "$T/status.txt" >&2; fail "status text does not name the daemon's pid"; }

note "3. kill -9: the stale lock file blocks nothing"
fed_kill a
[ -f "$(store a)/daemon.lock" ] || fail "no lock file in a's store"
[ "$(tr -d '\n' <"$(store a)/daemon.lock")" = "$pid_a" ] ||
    fail "the lock file does not hold the killed pid (it should stay, as information)"
running=$(fed_status a | json_get 'd["daemon"]["running"], d["daemon"]["pid"]')
[ "$running" = "(False, None)" ] || fail "after kill -9, status --json daemon: $running"
fed_start a
pid_new=${FED_PID[a]}
running=$(fed_status a | json_get 'd["daemon"]["running"], d["daemon"]["pid"]')
[ "$running" = "(True, $pid_new)" ] || fail "after the restart, status --json daemon: $running"
wait_until 30 converged
note "ok: refused while held, started after kill -9 (pid $pid_a -> $pid_new)"
