#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A new content-key epoch and the pending proposals (issue 13 #2, docs/store.md
# §2.4): publishing a version that starts an epoch names every pending
# proposal it makes lapse and what its author does; `valise proposals` shows
# them as lapsed; `propose --again` by the author makes the same change again
# under the new epoch (anyone else is refused); the new proposal is approved
# and applied; an id that did not lapse, or a change whose record has moved
# on, is refused; `verify` is clean throughout.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_network
vl_keys sec1b
N="--key $T/node.key"

# Two pending proposals: mu's (no approval yet) and mg's (one approval).
mu_id=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 7777')
mg_id=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Mon-Thu 08:00-15:00')
ok approve "$mg_id" --key "$T/sec2.key"
has '\(1/2\)'

# Rotating sec1 -> sec1b removes a member key: version 2 starts epoch 1.
ok policy propose --key "$T/sec1.key" --rotate "$T/sec1.pub=$T/sec1b.pub" --out "$T/v2.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key"
ok policy sign "$T/v2.vlp" --key "$T/sec1b.key" --store-key "$T/node.key"
# rest_epochs: the at-rest epoch of every records value, sorted and unique
# (docs/store.md §2.2: version byte 03, then rev, seq, op, epoch u32be).
rest_epochs() {
    mdb_dump -s records "$VALISE_STORE" >"$T/records.dump"
    awk '/^HEADER=END/ { d = 1; n = 0; next } /^DATA=END/ { d = 0 }
         d { n++; if (n % 2 == 0) { v = substr($0, 2); print substr(v, 1, 2) ":" substr(v, 43, 8) } }' \
        "$T/records.dump" | sort -u | tr '\n' ' '
}
[ "$(rest_epochs)" = "03:00000000 " ] || fail "records at rest before the new epoch: $(rest_epochs)"
# Keep MU-01's records value (key 4d552d3031) as it is under epoch 0, to
# put it back later.
awk '!d && !/^db_pagesize=/ { print } /^HEADER=END/ { d = 1 } k { print; print "DATA=END"; exit }
     $0 == " 4d552d3031" { print; k = 1 }' "$T/records.dump" >"$T/old-value.dump"
grep -qx ' 4d552d3031' "$T/old-value.dump" || fail "no MU-01 in the records dump"
ok policy publish "$T/v2.vlp" $N
has '^policy version 2 adopted'
has '^content-key epoch 1'
# Every record moved to epoch 1's at-rest key in the adopting transaction.
[ "$(rest_epochs)" = "03:00000001 " ] || fail "records at rest after epoch 1 started: $(rest_epochs)"
has "^proposal ${mu_id:0:16} by mu lapsed: made under content-key epoch 0; policy version 2 started epoch 1; its author can make it again: valise propose --again ${mu_id:0:16}$"
has "^proposal ${mg_id:0:16} by mg lapsed: made under content-key epoch 0; policy version 2 started epoch 1; its author can make it again: valise propose --again ${mg_id:0:16}$"
has '^2 pending proposals lapsed'
ok verify $N
# A value under the old epoch in a store that moved on was not written by it
# (left behind, or put back from an older copy): verify says so.
cp -a "$VALISE_STORE" "$T/oldval"
mdb_load -s records -f "$T/old-value.dump" "$T/oldval"
rc=0
"$VALISE" verify --store "$T/oldval" $N >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 1 ] || fail "verify of a value put back under epoch 0 exited $rc: $(cat "$T/out" "$T/err")"
has '^record MU-01: at rest under the key of epoch 0, not the current epoch 1$'
has '^verify: 1 problem$'

# Nothing is pending any more; each author sees its own as lapsed.
ok status $N --json
[ "$(json_get 'd["pending"]' <"$T/out")" = 0 ] || fail "pending after the epoch: $(cat "$T/out")"
ok proposals --key "$T/mu.key"
[ "$(wc -l <"$T/out")" = 1 ] || fail "mu: $(cat "$T/out")"
has "^${mu_id:0:16} lapsed +[0-9T:-]+Z by mu: put MU-01; lapsed: made under content-key epoch 0; policy version 2 started epoch 1: its author can make it again with valise propose --again ${mu_id:0:16}$"
ok proposals --key "$T/mu.key" --json
[ "$(json_get '[(p["id"], p["state"], p["policy_version"]) for p in d]' <"$T/out")" = \
  "[('$mu_id', 'lapsed', 2)]" ] || fail "mu --json: $(cat "$T/out")"
ok proposals --all --state lapsed --key "$T/sec2.key"
[ "$(wc -l <"$T/out")" = 2 ] || fail "--all --state lapsed: $(cat "$T/out")"
# The old proposal is refused if it comes back (from a peer or a file): settled.
refused 1 "proposal ${mu_id:0:16} lapsed: made under content-key epoch 0.*valise propose --again" review "$mu_id" $N

snapshot "$T/snap.1"
# Only its author can make it again; an id that never lapsed is refused.
refused 1 "only its author can make it again" propose --again "$mu_id" --key "$T/mg.key"
refused 1 "not found" propose --again 00000000 --key "$T/mu.key"
refused 2 "give exactly one of" propose --again "$mu_id" --delete MU-01 --key "$T/mu.key"
unchanged "$T/snap.1"

# The author makes it again: the same change under epoch 1, approved and applied.
new_id=$(propose_id --again "${mu_id:0:12}" --key "$T/mu.key")
[ -n "$new_id" ] && [ "$new_id" != "$mu_id" ] || fail "propose --again gave '$new_id'"
"$VALISE" approve "$new_id" --key "$T/sec2.key" >/dev/null || fail "approve by sec2"
ok approve "$new_id" --key "$T/sec1b.key"
has 'applied as entry 2'
ok get MU-01 $N
has '\+230 5550 7777'
ok verify $N

# Again after the record moved on: the base revision is no longer current.
snapshot "$T/snap.2"
refused 1 "(needs rebase|base revision)" propose --again "$mu_id" --key "$T/mu.key"
# An applied id did not lapse.
refused 1 "did not lapse" propose --again "$new_id" --key "$T/mu.key"
unchanged "$T/snap.2"

# --again --out writes the remade proposal to a file; --signed submits it.
ok propose --again "$mg_id" --key "$T/mg.key" --out "$T/mg-again.vpr"
has '^wrote .*mg-again.vpr: proposal [0-9a-f]{64}'
ok propose --signed "$T/mg-again.vpr" $N
ok proposals --key "$T/mg.key" --state pending
has 'pending .* by mg: put MG-01; approvals 0/2'
ok verify $N
echo "t_lapsed: ok"
