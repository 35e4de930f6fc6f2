#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A change committed by `valise` on a daemon's store reaches the daemon at
# once (node/vl_watch.h: an inotify watch on the data file), not after up to
# poll_ms. Both daemons poll their stores only every 30 s here, so without
# the watch a proposal made at a would stay unannounced for up to 30 s: the
# test waits at most 5 s for it at b, then for the approval made at a (whose
# entry b pulls), and prints the measured delays.
FED_POLL_MS=30000
source "$(dirname "$0")/lib.sh"

ms() { echo $(($(date +%s%N) / 1000000)); }

fed_network a b
fed_topology "b-a"
fed_start a b
wait_until 30 converged
log_has a 'noticed every' && fail "a's daemon does not watch its store: $(grep 'noticed every' "$(fed_log a)")"

record_json "$T/mu1.json" MU-01 "+230 5550 1111"
t0=$(ms)
id=$(propose_at a mu --file "$T/mu1.json")
wait_until 5 pending_at b "$id"
t1=$(ms)
note "proposal made at a pending at b after $((t1 - t0)) ms (poll_ms 30000)"

t0=$(ms)
approve_at a "$id"
wait_until 5 at_seq 1 b
t1=$(ms)
note "approval at a applied at b after $((t1 - t0)) ms (poll_ms 30000)"
wait_until 10 converged
echo "t_notify: OK"
