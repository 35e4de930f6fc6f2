#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The reader role (docs/trust.md §8), both ways. A reader named in the
# genesis makes its own store from the genesis; on a replica of the network's
# store (a copy of the LMDB directory: today the only way records reach a
# reader, as no node admits it) it can get, find, export (JSON and CSV),
# verify, status, log, review, fresh show and policy show. It can never
# propose (directly or to a file), approve, reject, propose or sign a policy
# version, issue a freshness statement or run valise-node: each refused with
# exit 1, one line, the store unchanged. Readers are added, rotated and
# revoked like every member; a revoked reader's key opens no replica made
# after the revocation and its own store cannot adopt the revocation, while
# what it could read before stays readable.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
: "${VALISE_NODE:?VALISE_NODE must name the valise-node binary}"

vl_keys reader reader2 reader3
VL_GENESIS_ARGS=(--fresh-node "$T/node.pub" --reader "$T/reader.pub")
vl_network
R="--key $T/reader.key"

# The genesis names the reader, in text and JSON.
ok genesis show "$T/genesis.vlg"
has '^readers:'
has '^  reader +[0-9a-f]{16}$'
ok genesis show "$T/genesis.vlg" --json
[ "$(json_get 'len(d["readers"])' <"$T/out")" = 1 ] || fail "genesis show --json: readers"
[ "$(json_get 'd["readers"][0]["name"]' <"$T/out")" = reader ] || fail "genesis: reader name"
# A reader holds no other role; an approver cannot be a reader too.
refused 1 "a reader key may hold no other role" genesis create --name X --threshold 1 \
    --approver "$T/sec1.pub" --reader "$T/sec1.pub" --out "$T/x.vlg"
[ -e "$T/x.vlg" ] && fail "a refused genesis create wrote a file"

# The reader's own store, from the genesis.
ok init --genesis "$T/genesis.vlg" --key "$T/reader.key" --store "$T/rstore"
ok status $R --store "$T/rstore" --json
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 0 ] || fail "reader store: head $(cat "$T/out")"
ok fresh issue --key "$T/node.key"
ok fresh export --out "$T/stmt.vfs" --key "$T/node.key"
ok fresh import "$T/stmt.vfs" $R --store "$T/rstore"

# A replica of the network's store (the LMDB directory copied while no process
# has it open), opened with the reader's key.
ok propose --key "$T/mu.key" --set MU-01 'office_hours="Mon-Fri 09:00-12:00"'
pid=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out")
[ -n "$pid" ] || fail "no pending proposal id"
cp -a "$VALISE_STORE" "$T/rcopy"
RS="--store $T/rcopy"

ok get MU-01 $R $RS
has 'MU-01'
ok get MU-01 $R $RS --json
[ "$(json_get 'd["id"]' <"$T/out")" = MU-01 ] || fail "get --json by the reader"
ok find --state MG $R $RS
has 'MG-01'
ok export $R $RS
[ "$(json_get 'len(d["records"])' <"$T/out")" = 3 ] || fail "export (JSON) by the reader: $(head -c 200 "$T/out")"
ok export --format csv --kind authority $R $RS
has 'MU-01'
ok verify $R $RS
ok status $R $RS --json
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 1 ] || fail "status by the reader: $(cat "$T/out")"
[ "$(json_get 'len(d["readers"])' <"$T/out")" = 1 ] || fail "status --json: readers"
ok status $R $RS
has '^readers   reader \([0-9a-f]{16}\) \(read-only keys\)$'
has '^store .*\(opened as reader \([0-9a-f]{16}\), a reader: read-only\)$'
ok status --key "$T/node.key"
hasnt 'a reader: read-only'

ok log $R $RS
has '^#1 .* put MU-01'
ok review $R $RS
has "${pid:0:8}"
ok fresh show $R $RS
ok policy show $R $RS
has 'version \(genesis\) 1'

# Every write refused: exit 1, one line, the replica unchanged.
rsnap() {
    {
        "$VALISE" status --json $R $RS
        "$VALISE" export $R $RS
        "$VALISE" review --json $R $RS
        "$VALISE" log --json $R $RS
        "$VALISE" fresh show --json $R $RS
        "$VALISE" policy show --json $R $RS
    } >"$1" 2>&1 || fail "reader snapshot failed: $(cat "$1")"
}
runchanged() {
    rsnap "$T/rsnap.now"
    cmp -s "$1" "$T/rsnap.now" || fail "the replica changed: $(diff "$1" "$T/rsnap.now" | head -20)"
}
rsnap "$T/rsnap.0"
refused 1 "a reader key may not propose" propose $R $RS --set MU-01 'office_hours="Closed"'
refused 1 "a reader key may not propose" propose $R $RS --delete MG-01
refused 1 "a reader key may not propose" propose $R $RS --set MU-01 'office_hours="x"' --out "$T/r.vpr"
[ -e "$T/r.vpr" ] && fail "a refused propose --out wrote a file"
refused 1 "a reader key may not approve" approve "$pid" $R $RS
refused 1 "a reader key may not approve" approve --all $R $RS
refused 1 "a reader key may not reject" reject "$pid" --reason "no" $R $RS
refused 1 "a reader key may not propose a policy version" policy propose $R $RS \
    --threshold 1 --out "$T/r.vlp"
[ -e "$T/r.vlp" ] && fail "a refused policy propose wrote a file"
ok policy propose --key "$T/sec1.key" $RS --threshold 1 --out "$T/cand.vlp"
cp "$T/cand.vlp" "$T/cand.orig"
refused 1 "a reader key may not sign a policy version" policy sign "$T/cand.vlp" $R $RS
cmp -s "$T/cand.vlp" "$T/cand.orig" || fail "a refused policy sign changed the file"
refused 1 "a reader key may not issue a freshness statement" fresh issue $R $RS
runchanged "$T/rsnap.0"

# valise-node with the reader's key: refused before anything starts.
printf '{"store": "%s", "key": "%s"}\n' "$T/rcopy" "$T/reader.key" >"$T/rnode.json"
rc=0
"$VALISE_NODE" --config "$T/rnode.json" --check >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "valise-node with a reader key exited $rc: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "valise-node: expected one line: $(cat "$T/err")"
grep -q "a reader key may not run a node" "$T/err" || fail "valise-node: $(cat "$T/err")"
rc=0
"$VALISE_NODE" --config "$T/rnode.json" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "valise-node (no --check) with a reader key exited $rc: $(cat "$T/err")"
grep -q "a reader key may not run a node" "$T/err" || fail "valise-node: $(cat "$T/err")"
runchanged "$T/rsnap.0"

# The reader's own store refuses the same writes.
refused 1 "a reader key may not propose" propose $R --store "$T/rstore" --file "$DATA/MU-01.json"
refused 1 "a reader key may not issue a freshness statement" fresh issue $R --store "$T/rstore"

# Version 2 adds reader2 (no new epoch: nobody is removed).
ok approve "$pid" --key "$T/sec1.key"
ok reject "$pid" --reason "not now" --key "$T/sec2.key"
ok policy propose --key "$T/sec1.key" --add-reader "$T/reader2.pub" --out "$T/v2.vlp"
has '\+ reader reader2 \([0-9a-f]{16}\)'
refused 1 "a reader key may hold no other role" policy propose --key "$T/sec1.key" \
    --add-reader "$T/mu.pub" --out "$T/x.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"
has 'thresholds met'
ok policy publish "$T/v2.vlp" --key "$T/node.key"
ok policy show --key "$T/node.key" --json
[ "$(json_get 'd["versions"][1]["readers"]' <"$T/out")" = 2 ] || fail "policy show: readers of v2"
[ "$(json_get 'd["versions"][1]["epoch"]' <"$T/out")" = 0 ] || fail "adding a reader starts no epoch"
ok policy show --key "$T/node.key"
has '2 readers;'
ok policy publish "$T/v2.vlp" $R --store "$T/rstore"

# Version 3 revokes the first reader and rotates reader2 to reader3: a new
# content-key epoch sealed to neither old key.
ok policy propose --key "$T/sec1.key" --revoke "$T/reader.pub" \
    --rotate "$T/reader2.pub=$T/reader3.pub" --out "$T/v3.vlp"
has '- reader reader \([0-9a-f]{16}\) \(revoked\)'
has '~ reader reader2: key [0-9a-f]{16} -> [0-9a-f]{16} \(rotated\)'
ok policy sign "$T/v3.vlp" --key "$T/sec2.key"
ok policy publish "$T/v3.vlp" --key "$T/node.key"
ok status --key "$T/node.key" --json
ok policy show --key "$T/node.key" --json
[ "$(json_get 'd["versions"][2]["epoch"]' <"$T/out")" = 1 ] || fail "revoking a reader starts epoch 1"
ok propose --key "$T/mu.key" --set MU-01 'office_hours="after the revocation"'
approve_both "$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out")"

# The revoked reader's own store cannot adopt version 3 (its key is no
# member), and stays as it was.
ok status $R --store "$T/rstore" --json
cp "$T/out" "$T/rstore.st"
refused 1 "not a member of policy version 3" policy publish "$T/v3.vlp" $R --store "$T/rstore"
ok status $R --store "$T/rstore" --json
cmp -s "$T/out" "$T/rstore.st" || fail "a refused publish changed the reader's store"

# A replica made after the revocation does not open with the revoked key
# (the newest content key is not sealed to it); the rotated reader's new key
# opens it and reads the record changed after the revocation; its old key
# does not.
cp -a "$VALISE_STORE" "$T/rcopy3"
refused 1 "not a member of network .* as of policy version 3 \(revoked or rotated out\)" \
    get MU-01 $R --store "$T/rcopy3"
refused 1 "not a member of network .* as of policy version 3 \(revoked or rotated out\)" \
    export $R --store "$T/rcopy3"
refused 1 "revoked or rotated out" get MU-01 --key "$T/reader2.key" --store "$T/rcopy3"
ok get MU-01 --key "$T/reader3.key" --store "$T/rcopy3" --json
[ "$(json_get 'd["record"].get("office_hours")' <"$T/out")" = "after the revocation" ] ||
    fail "the rotated reader reads the new record: $(cat "$T/out")"
ok verify --key "$T/reader3.key" --store "$T/rcopy3"

# What the revoked reader could read before stays readable: the replica it
# already held still opens with its key.
ok get MU-01 $R $RS --json
[ "$(json_get 'd["record"].get("office_hours")' <"$T/out")" != "after the revocation" ] ||
    fail "the old replica shows a later record"
echo "t_reader: ok"
