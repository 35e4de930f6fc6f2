#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A writer killed between LMDB's meta-page write and its lock-file update
# (docs/store.md §1): its commit is durable, but while another process keeps
# the environment open, LMDB's readers go on seeing the snapshot before it
# until some process starts a write transaction. A read-only command must see
# the committed state (found by tests/campaign/crash.sh: `policy show` said
# version 4 after a killed `policy publish` that had adopted version 5).
# vl_killmeta (LD_PRELOAD) makes the kill land exactly there.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
source "$VL_SOURCE_DIR/tests/cli/serve_lib.sh"
: "${VL_KILLMETA:?VL_KILLMETA must name the vl_killmeta shim}"

vl_network
K=(--key "$T/node.key")

# killed_propose ARGS...: propose under the shim; it must die by SIGKILL.
killed_propose() {
    local rc=0
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        LD_PRELOAD="$VL_KILLMETA" VL_KILL_AFTER_META=1 \
        "$VALISE" propose "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -eq 137 ] || fail "propose under vl_killmeta exited $rc, not by SIGKILL: $(cat "$T/err")"
}
pending() { "$VALISE" status --json "${K[@]}" | json_get 'd["pending"]'; }

# Another process holds the environment open, as a daemon would.
serve_start "${K[@]}"
[ "$(pending)" = 0 ] || fail "pending before"

killed_propose --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 1001'
# Read-only commands see the proposal the killed process committed.
n=$(pending)
[ "$n" = 1 ] || fail "status after a writer died past its meta page: $n pending, expected 1"
ok review --json "${K[@]}"
[ "$(json_get 'len(d)' <"$T/out")" = 1 ] || fail "review: $(cat "$T/out")"
ok verify "${K[@]}"

# A backup taken now holds it too (it reads through a read-only open).
ok backup --out "$T/b.vlb" "${K[@]}"
ok restore "$T/b.vlb" --store "$T/restored" "${K[@]}"
[ "$("$VALISE" status --json --store "$T/restored" "${K[@]}" | json_get 'd["pending"]')" = 1 ] ||
    fail "the backup lost the proposal"

# The same again with an entry: the approval that reaches the threshold.
id=$(pending_ids | head -1)
ok approve "$id" --key "$T/sec1.key"
rc=0
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$VL_KILLMETA" VL_KILL_AFTER_META=1 \
    "$VALISE" approve "$id" --key "$T/sec2.key" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 137 ] || fail "approve under vl_killmeta exited $rc: $(cat "$T/err")"
ok get MU-01 "${K[@]}"
has '5550 1001'
ok log --json "${K[@]}"
[ "$(json_get 'len(d)' <"$T/out")" = 2 ] || fail "log after the killed approval: $(cat "$T/out")"
ok verify "${K[@]}"
serve_stop
echo "ok: t_deadwriter"
