#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Passphrase files follow the key files' rule: any permission bit for group
# or others is refused, naming the file and the fix, by valise (--pass-file)
# and by valise-node (the config's "pass_file"); nothing changes. 600 works.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
: "${VALISE_NODE:?VALISE_NODE must name the valise-node binary}"
vl_network
snapshot "$T/snap.0"
P="$T/pass.txt"
printf '%s\n' "$VALISE_PASSPHRASE" >"$P"

# node_check: valise-node --check on a config naming $P; stdout/stderr in out/err.
printf '{"store": "%s", "key": "%s", "pass_file": "%s"}\n' \
    "$VALISE_STORE" "$T/node.key" "$P" >"$T/node.json"
node_check() {
    local rc=0
    (unset VALISE_PASSPHRASE; "$VALISE_NODE" --config "$T/node.json" --check \
        >"$T/out" 2>"$T/err") || rc=$?
    return $rc
}

for mode in 644 640 604 620; do
    chmod "$mode" "$P"
    msg="passphrase file $P is accessible by group or others \\(mode $mode\\): run chmod 600 $P"
    (unset VALISE_PASSPHRASE
     refused 1 "$msg" status --key "$T/node.key" --pass-file "$P"
     refused 1 "$msg" --pass-file "$P" propose --key "$T/mu.key" --set MU-01 'office_hours=Closed'
     refused 1 "$msg" approve --all --key "$T/sec1.key" --pass-file "$P")
    rc=0; node_check || rc=$?
    [ $rc -eq 1 ] || fail "valise-node --check with a $mode pass file exited $rc: $(cat "$T/err")"
    grep -Eq "^valise-node: passphrase: .*$msg" "$T/err" ||
        fail "valise-node: no mode message for $mode: $(cat "$T/err")"
    unchanged "$T/snap.0"
done

# 600 (and 400) are accepted by both.
for mode in 600 400; do
    chmod "$mode" "$P"
    (unset VALISE_PASSPHRASE; ok status --key "$T/node.key" --pass-file "$P"; has 'opened as node')
    node_check || fail "valise-node --check with a $mode pass file: $(cat "$T/err")"
done
(unset VALISE_PASSPHRASE
 id=$(propose_id --key "$T/mu.key" --pass-file "$P" --set MU-01 'office_hours=Closed')
 [ -n "$id" ] || fail "no proposal with a 400 pass file")
echo "t_passfile: OK"
