#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bulk approval (docs/store.md §3.2.1): the sample's 12 proposals applied by
# one `approve --all` per approver, in order, as one run of version 2
# entries; a rejection or a head move between the approvers rebuilds the
# run; a second store refuses a tampered run entry (a flipped root, rows
# reordered, another signer set than its run-mates) brought by a bundle.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
cp -a "$VALISE_STORE" "$T/empty-store"    # entry 1 only: the second store
ok sample --out "$T/sample.json"
"$VALISE" propose --file "$T/sample.json" --key "$T/sec1.key" >"$T/props" || fail "propose the sample"
awk '/^proposed /{sub(":","",$2); print $2}' "$T/props" >"$T/ids"
[ "$(wc -l <"$T/ids")" -eq 12 ] || fail "the sample made $(wc -l <"$T/ids") proposals, not 12"

# One command per approver, the passphrase read from a pass file: the key
# is unlocked once per command. Where strace works, count the opens of the
# pass file (one prompt's worth); elsewhere the command runs once.
P="$T/pass"
printf '%s\n' "$VALISE_PASSPHRASE" >"$P"
chmod 600 "$P"
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    # (LeakSanitizer cannot run under ptrace: the ASan build skips its leak check here.)
    (unset VALISE_PASSPHRASE
     export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
     strace -f -e trace=open,openat -o "$T/strace" "$VALISE" approve --all --key "$T/sec1.key" \
         --pass-file "$P" >"$T/out" 2>"$T/err") || fail "approve --all by sec1: $(cat "$T/err")"
    [ "$(grep -c "\"$P\"" "$T/strace")" -eq 1 ] ||
        fail "the pass file was opened $(grep -c "\"$P\"" "$T/strace") times, not once"
else
    echo "t_bulk: no working strace: the pass file's opens are not counted" >&2
    (unset VALISE_PASSPHRASE; ok approve --all --key "$T/sec1.key" --pass-file "$P")
fi
has 'run of 12 proposals, entries 2\.\.13: built and approved \(1/2\)'
[ "$(grep -c '^approved .* (1/2)$' "$T/out")" -eq 12 ] || fail "not 12 rows at 1/2: $(cat "$T/out")"
ok status --json --key "$T/node.key"
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 1 ] || fail "one approval added entries"
ok review --key "$T/node.key"
[ "$(grep -c 'approvals 1/2' "$T/out")" -eq 12 ] || fail "review does not show the run's approvals"
refused 1 "already exists.*already approved" approve --all --key "$T/sec1.key"
(unset VALISE_PASSPHRASE; ok approve --all --json --key "$T/sec2.key" --pass-file "$P")
[ "$(json_get 'd["applied"] and d["rows"] == 12 and d["first_entry"] == 2' <"$T/out")" = True ] ||
    fail "approve --all --json: $(cat "$T/out")"
# In order: proposal time, then id (one `propose --file` gives them one
# time): row i is entry 2 + i.
json_get '"\n".join("%s %d" % (p["id"], p["entry"]) for p in d["proposals"])' <"$T/out" >"$T/applied"
paste -d' ' <(sort "$T/ids") <(seq 2 13) >"$T/want"
cmp -s "$T/want" "$T/applied" || fail "not applied in order: $(diff "$T/want" "$T/applied")"
ok status --json --key "$T/node.key"
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 13 ] || fail "head is not 13"
[ "$(json_get 'd["pending"]' <"$T/out")" = 0 ] || fail "proposals still pending"
ok verify --key "$T/node.key"
has '^verify: OK \(13 entries'
ok log --json --key "$T/node.key"
[ "$(json_get 'sum(1 for e in d if len(e["approvers"]) == 2)' <"$T/out")" = 13 ] ||
    fail "log does not show both approvers of every entry: $(cat "$T/out")"
cp -a "$VALISE_STORE" "$T/run-store"

# The run's entries travel by bundle to a store at entry 1 and verify there.
ok bundle create --out "$T/run.vlb" --key "$T/node.key"
VALISE_STORE="$T/b1" ; cp -a "$T/empty-store" "$T/b1"
ok bundle import "$T/run.vlb" --store "$T/b1" --key "$T/node.key"
ok verify --store "$T/b1" --key "$T/node.key"
has '^verify: OK \(13 entries'
VALISE_STORE="$T/store"

# A rejection between the approvers: the second approver's run is rebuilt.
a=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 07:00-15:00')
b=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 07:00-15:00')
ok approve --all --key "$T/sec1.key"
has 'run of 2 proposals, entries 14\.\.15: built and approved \(1/2\)'
ok reject "$a" --reason "not now" --key "$T/sec1.key"
ok review "$b" --key "$T/node.key"
has 'approvals 0/2'
ok approve --all --key "$T/sec2.key"
has "run of 1 proposal, entries 14\.\.14: built and approved \(1/2\)"
ok approve --all --key "$T/sec1.key"
has "^approved $b \(2/2\): applied as entry 14$"

# A row of the pending run approved by id: that is its own candidate,
# beside the run; the command shows both counts (no false "log moved").
c=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 06:00-15:00')
d=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 06:00-15:00')
ok approve --all --key "$T/sec1.key"
has 'run of 2 proposals, entries 15\.\.16'
ok approve "$c" --key "$T/sec2.key"
has "^approved $c \(1/2\); it is also in the pending run of 2 proposals \(1/2\), whose approvals count for the run \(approve --all\)$"
hasnt 'log moved'
refused 1 "already exists: proposal ${c:0:16}: approver [0-9a-f]* already approved it" \
    approve "$c" --key "$T/sec2.key"
# A head move between the approvers (c applied alone by ids first): the
# run is built again on the new head.
ok approve "$c" --key "$T/sec1.key"
has "^approved $c \(2/2\): applied as entry 15$"
ok approve --all --key "$T/sec2.key"
has 'the pending run was built again: the log moved since it was built'
has "run of 1 proposal, entries 16\.\.16: built and approved \(1/2\)"
hasnt 'not in this run'
# A proposal that came after the run was built is not in it, and the
# approver who signs the run is told so (a run is never silently partial).
r2=$(json_get '[r["id"] for r in d if r["kind"] == "authority"][0]' <"$T/sample.json")
h=$(propose_id --key "$T/sec1.key" --set "$r2" 'office_hours=09:00-13:00')
ok approve --all --json --key "$T/sec1.key"
[ "$(json_get 'd["applied"] and d["rows"] == 1 and d["not_in_run"] == 1' <"$T/out")" = True ] ||
    fail "approve --all --json with a proposal outside the run: $(cat "$T/out")"
ok approve --all --key "$T/sec2.key"
has "run of 1 proposal, entries 17\.\.17: built and approved \(1/2\)"
ok reject "$h" --reason "later" --key "$T/sec2.key"
c2=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 06:30-15:00')
ok approve --all --key "$T/sec1.key"
h2=$(propose_id --key "$T/mg.key" --set MG-01 'office_hours=Lundi-Vendredi 06:30-15:00')
ok approve --all --key "$T/sec2.key"
has "^approved $c2 \(2/2\): applied as entry 17$"
has '^1 pending proposal is not in this run \(left out when it was built, or newer\): approve --all again for the next run$'
ok reject "$h2" --reason "later" --key "$T/sec2.key"
# Two proposals on the same base revision: the run holds the first in its
# order (same time: the lower id); the other would be stale after it, so it
# is left out, named, and the exit status is 1. e is the row, f the other.
e=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 05:00-15:00')
f=$(propose_id --key "$T/mu.key" --set MU-01 'office_hours=Monday-Friday 04:00-15:00')
if [[ "$f" < "$e" ]]; then x=$e e=$f f=$x; fi
rc=0
"$VALISE" approve --all --key "$T/sec1.key" >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 1 ] || fail "approve --all with a proposal left out exited $rc"
grep -q "proposal ${f:0:16} left out of the run: needs rebase" "$T/err" ||
    fail "no left-out line for ${f:0:16}: $(cat "$T/err")"
has "^approved $e \(1/2\)$"
has "run of 1 proposal"
ok verify --key "$T/node.key"
has '^verify: OK \(17 entries'
# A new policy version (another node key, same epoch) drops the pending run
# and says so; the next approve --all builds a new one under it.
ok reject "$f" --reason "stale" --key "$T/sec2.key"
ok review "$e" --key "$T/node.key"
has 'approvals 1/2'
vl_keys node2
ok policy propose --key "$T/sec1.key" --add-node "$T/node2.pub" --out "$T/v2.vlp"
ok policy sign "$T/v2.vlp" --key "$T/sec2.key" --store-key "$T/node.key"
ok policy publish "$T/v2.vlp" --key "$T/node.key"
has '^policy version 2 adopted'
has '^the pending run of 1 proposal \(1 approval\) was dropped: it was signed under version 1; approve --all again$'
ok review "$e" --key "$T/node.key"
has 'approvals 0/2'
ok approve --all --key "$T/sec2.key"
has 'run of 1 proposal, entries 18\.\.18: built and approved \(1/2\)'
hasnt 'built again'
ok approve --all --key "$T/sec1.key"
has "^approved $e \(2/2\): applied as entry 18$"
ok verify --key "$T/node.key"
has '^verify: OK \(18 entries'

# Tampered run entries, offered by bundle to a store at entry 0 of a network
# of three approvers (threshold 2): refused, the store unchanged.
: "${VL_BUNDLEFORGE:?VL_BUNDLEFORGE must name tests/cli/vl_bundleforge}"
vl_keys sec3
"$VALISE" genesis create --name "three approvers" --threshold 2 \
    --approver "$T/sec1.pub" "$T/sec2.pub" "$T/sec3.pub" \
    --authority "MU=$T/mu.pub" --authority "MG=$T/mg.pub" --node "$T/node.pub" \
    --out "$T/g3.vlg" >/dev/null || fail "genesis create (3 approvers)"
ok genesis sign "$T/g3.vlg" --key "$T/sec1.key"
ok genesis sign "$T/g3.vlg" --key "$T/sec2.key"
export VALISE_STORE="$T/s3"
ok init --genesis "$T/g3.vlg" --key "$T/node.key"
cp -a "$T/s3" "$T/s3-empty"
propose_id --file "$DATA/MU-01.json" --key "$T/mu.key" >/dev/null
propose_id --file "$DATA/MG-01.json" --key "$T/mg.key" >/dev/null
propose_id --file "$DATA/IOC-BIL-MU-MG.json" --key "$T/sec1.key" >/dev/null
ok approve --all --key "$T/sec1.key"
ok approve --all --key "$T/sec2.key"
has 'run of 3 proposals, entries 1\.\.3: applied \(2/2\)'
ok bundle create --out "$T/s3.vlb" --key "$T/node.key"
cp -a "$T/s3-empty" "$T/s3-good"
ok bundle import "$T/s3.vlb" --store "$T/s3-good" --key "$T/node.key"
ok verify --store "$T/s3-good" --key "$T/node.key"
has '^verify: OK \(3 entries'
forge() { # WHAT SEQ OUT [--signer A --signer B]
    local what=$1 seq=$2 out=$3
    shift 3
    "$VL_BUNDLEFORGE" --in "$T/s3.vlb" --out "$out" --key "$T/node.key" --genesis "$T/g3.vlg" \
        --what "$what" --seq "$seq" "$@" >"$T/forge.out" 2>&1 ||
        fail "vl_bundleforge $what $seq: $(cat "$T/forge.out")"
}
forge runflip 2 "$T/flip.vlb"
forge runswap 3 "$T/swap.vlb"
forge runsigs 3 "$T/sigs.vlb" --signer "$T/sec1.key" --signer "$T/sec3.key"
forge runsigs 3 "$T/same.vlb" --signer "$T/sec1.key" --signer "$T/sec2.key"
for t in "flip:its run is not the one its header names" "swap:its run is not the one its header names" \
         "sigs:broken run: entry 2 is not an entry of the same run"; do
    kind=${t%%:*} pat=${t#*:}
    cp -a "$T/s3-empty" "$T/s3-$kind"
    refused 1 "$pat" bundle import "$T/$kind.vlb" --store "$T/s3-$kind" --key "$T/node.key"
    ok status --json --store "$T/s3-$kind" --key "$T/node.key"
    [ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 0 ] || fail "tampered bundle ($kind) moved the head"
done
# The same signers as the run-mates (the control): accepted.
cp -a "$T/s3-empty" "$T/s3-same"
ok bundle import "$T/same.vlb" --store "$T/s3-same" --key "$T/node.key"
# Entry 3 with its header's prev changed (no signature covers the prev of a
# run's later entry), imported into a store that holds the run: a forged copy
# of one signed statement, not equivocation (docs/trust.md §5). Refused; no
# evidence kept, the log not stopped, approvals go on.
forge runprev 3 "$T/prev.vlb"
cp -a "$T/s3-good" "$T/s3-prev"
rc=0
"$VALISE" bundle import "$T/prev.vlb" --store "$T/s3-prev" --key "$T/node.key" >"$T/out" 2>"$T/err" || rc=$?
[ $rc -ne 0 ] || fail "a bundle with a forged prev in entry 3 was imported: $(cat "$T/out")"
grep -Eqi 'fork at entry|equivocation|log stopped' "$T/err" "$T/out" && fail "a forged prev was taken for a fork: $(cat "$T/err")"
ok status --store "$T/s3-prev" --key "$T/node.key"
grep -qi 'fork' "$T/out" && fail "status reports a fork after a forged prev: $(cat "$T/out")"
ok verify --store "$T/s3-prev" --key "$T/node.key"
has '^verify: OK \(3 entries'
echo "t_bulk: OK"
