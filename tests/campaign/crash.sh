#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# crash.sh [KILLS] [SEED] - the crash campaign (issue 13, docs/testing.md).
#
# Each round picks, from a seeded RNG (printed, so a failure replays with the
# same KILLS and SEED), one operation, starts it, SIGKILLs the process after a
# random delay, and checks the store it was writing:
#   sync     a fresh valise-node catching up from the Secretariat's daemon
#   approve  `valise approve` by the second approver (the threshold)
#   import   `valise bundle import` of the whole log into a fresh field store
#   publish  `valise policy publish` of a version signed by both approvers
#   propose  `valise propose` of an update of MU-01
# After every kill: `valise verify` is clean; every entry the process had
# acknowledged (approve: "applied as entry N"; import: "head is now N"; the
# daemon: its last "at seq N" / "synced to seq N" log line) is there; a
# proposal whose propose printed "proposed ID" is pending; a policy version
# publish printed as adopted is current. Then the operation is re-run to
# completion and the store verifies again, the head read right after the kill
# is still entry for entry the same link (same hash at that seq), and the two
# running daemons converge (same seq, head hash and state root, none pending).
#
# A kill lands "early" (the process had not opened the store yet), "mid"
# (killed with the store open; for the daemon: some but not all entries
# synced) or "late" (the process had already exited). The delays are scaled
# to an uninterrupted run of each operation measured first (ASan builds are
# slower). The campaign fails if no kill lands mid-way.
#
# Run by hand (the long run of docs/testing.md):
#   VALISE=build/valise VALISE_NODE=build/valise-node VL_RAWPEER=build/vl_rawpeer \
#   VL_SOURCE_DIR=$PWD VL_TEST_TMP=/tmp bash tests/campaign/crash.sh 200 SEED
# ctest runs campaign_crash: 20 kills, seed 13 (CRASH_KILLS, CRASH_SEED
# override the defaults when no arguments are given).
source "$(dirname "$0")/../fed/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

KILLS=${1:-${CRASH_KILLS:-20}}
SEED=${2:-${CRASH_SEED:-13}}
: "${CRASH_BULK:=60}"    # large entries the sync rounds pull (beyond the rest)
[[ $KILLS =~ ^[1-9][0-9]*$ ]] || { echo "usage: crash.sh [KILLS] [SEED]" >&2; exit 2; }
[[ $SEED =~ ^[0-9]+$ ]] || { echo "usage: crash.sh [KILLS] [SEED] (SEED a whole number)" >&2; exit 2; }
RANDOM=$SEED
KINDS=(sync approve import publish propose)
declare -A KILLED=() EARLY=() MID=() LATE=() DUR=()
for k in "${KINDS[@]}"; do KILLED[$k]=0; EARLY[$k]=0; MID[$k]=0; LATE[$k]=0; done
T0=$SECONDS
echo "crash campaign: $KILLS kills, seed $SEED (replay: crash.sh $KILLS $SEED)"

# a: the Secretariat's node (the CLI works on its store while its daemon
# runs); b: a regional node (checks convergence); c: the node killed mid-sync
# (a fresh store each sync round); f: the field office's key (bundle imports).
FED_EXTRA_NODES="f"
FED_LOG_LEVEL=info
fed_network a b c
fed_topology "b-a c-a"
fed_start a b
wait_until 30 converged a b

A="--store $(store a) --key $(key a)"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# vrun ARGS: valise, output in $T/run.out/.err, fails the campaign on error.
vrun() {
    "$VALISE" "$@" >"$T/run.out" 2>"$T/run.err" || fail "valise $*: $(cat "$T/run.err")"
}
verify_store() { # DIR KEY WHAT
    "$VALISE" verify --store "$1" --key "$2" >"$T/verify.out" 2>&1 ||
        fail "round $R ($OP): $3 does not verify after the kill: $(head -5 "$T/verify.out")"
}
head_of() { # DIR KEY -> "seq hash"
    "$VALISE" status --json --store "$1" --key "$2" | json_get '"%s %s" % (d["head"]["seq"], d["head"]["hash"])'
}
hash_at() { # DIR KEY SEQ -> hash of entry SEQ (the genesis' head for 0)
    "$VALISE" log --json --from "$3" --to "$3" --store "$1" --key "$2" 2>/dev/null |
        json_get 'd[0]["hash"] if d else ""'
}
# same_link DIR KEY "SEQ HASH": the entry read at the kill is still there.
same_link() {
    local seq=${3%% *} h=${3#* }
    [ "$seq" -eq 0 ] && return 0
    [ "$(hash_at "$1" "$2" "$seq")" = "$h" ] ||
        fail "round $R ($OP): entry $seq changed or vanished after the kill (was $h)"
}
ab_converged() { wait_until 60 converged a b; }

KILLER="$(dirname "$0")/killer.py"
# killrun KIND DELAY STOREDIR ARGS...: run valise ARGS and SIGKILL it (by
# killer.py); DELAY is "tN" (N us after the start) or "oN" (N us after it
# opened STOREDIR/data.mdb). Counts where the kill landed (LANDED); output in
# $T/k.out and $T/k.err.
killrun() {
    local kind=$1 delay=$2 dir=$3 res rc
    shift 3
    res=$("$PY" "$KILLER" "${delay:0:1}" "${delay:1}" "$dir" "$T/k.out" "$T/k.err" "$VALISE" "$@") ||
        fail "killer.py failed"
    read -r LANDED _ _ rc <<<"$res"
    KILLED[$kind]=$((KILLED[$kind] + 1))
    case $LANDED in
    late)
        [ "$rc" -eq 0 ] || fail "round $R ($kind): valise $* exited $rc on its own: $(cat "$T/k.err")"
        LATE[$kind]=$((LATE[$kind] + 1)) ;;
    mid) MID[$kind]=$((MID[$kind] + 1)) ;;
    *) EARLY[$kind]=$((EARLY[$kind] + 1)) ;;
    esac
}
# usleep N: sleep N microseconds.
usleep() { sleep "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))"; }

# calrun KIND DIR ARGS...: an uninterrupted run of valise ARGS (must succeed;
# output in $T/run.out): OPEN[KIND] and DUR[KIND] are the microseconds from its
# start to its opening of DIR/data.mdb and to its exit.
declare -A OPEN=()
calrun() {
    local kind=$1 dir=$2 res rc
    shift 2
    res=$("$PY" "$KILLER" c 0 "$dir" "$T/run.out" "$T/run.err" "$VALISE" "$@") || fail "killer.py failed"
    read -r _ OPEN[$kind] DUR[$kind] rc <<<"$res"
    [ "$rc" -eq 0 ] || fail "valise $*: $(cat "$T/run.err")"
    [ "${OPEN[$kind]}" -ge 0 ] || fail "valise $* never opened $dir/data.mdb"
}

# delay_for KIND: three kills in four wait for the store to be opened (the
# daemon: for its first "at seq N of M" line), then 0 to 1.2 x the measured
# time from the opening to the exit; the fourth comes 0 to 1.1 x the whole
# uninterrupted run after the start.
delay_for() {
    local open=${OPEN[$1]:-0} dur=${DUR[$1]} r=$((RANDOM * 32768 + RANDOM))
    if [ $((r % 4)) -ne 0 ]; then
        DELAY=o$(( (r / 4) % ((dur - open) * 12 / 10 + 1) ))
    else
        DELAY=t$(( (r / 4) % (dur * 11 / 10 + 1) ))
    fi
}

# ---- the operations ------------------------------------------------------------------

NPROP=0
# new_update: propose an update of MU-01 at a by mu; prints nothing, sets ID.
new_update() {
    NPROP=$((NPROP + 1))
    vrun propose --store "$(store a)" --key "$(key mu)" --set MU-01 "contact.phones[0]=+230 5551 $((1000 + NPROP))"
    ID=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/run.out")
    [ -n "$ID" ] || fail "no proposal id: $(cat "$T/run.out")"
}
pending_ids_a() {
    "$VALISE" review --json $A | json_get '"\n".join(p["id"] for p in d)'
}
# settle_pending: approve every pending proposal at a (reject what cannot be).
settle_pending() {
    local id a
    for id in $(pending_ids_a); do
        for a in sec1 sec2; do
            "$VALISE" approve "$id" --store "$(store a)" --key "$(key "$a")" >/dev/null 2>&1 || true
        done
        if pending_ids_a | grep -qx "$id"; then
            "$VALISE" reject "$id" --reason "campaign: superseded" --store "$(store a)" --key "$(key sec1)" \
                >/dev/null || fail "reject $id"
        fi
    done
    [ -z "$(pending_ids_a)" ] || fail "round $R: proposals still pending at a"
}

op_approve() { # DELAY ('' = uninterrupted)
    local before ack
    new_update
    vrun approve "$ID" --store "$(store a)" --key "$(key sec1)"
    before=$(head_of "$(store a)" "$(key a)")
    if [ -z "$1" ]; then
        calrun approve "$(store a)" approve "$ID" --store "$(store a)" --key "$(key sec2)"
        grep -q 'applied as entry' "$T/run.out" || fail "approve: not applied: $(cat "$T/run.out")"
        return 0
    fi
    killrun approve "$1" "$(store a)" approve "$ID" --store "$(store a)" --key "$(key sec2)"
    verify_store "$(store a)" "$(key a)" "a's store"
    KHEAD=$(head_of "$(store a)" "$(key a)")
    ack=$(sed -n 's/.*applied as entry \([0-9]*\).*/\1/p' "$T/k.out")
    if [ -n "$ack" ]; then
        [ "${KHEAD%% *}" -ge "$ack" ] || fail "round $R: approve acknowledged entry $ack, head is ${KHEAD%% *}"
    fi
    # Re-run: whatever approval is still missing.
    if pending_ids_a | grep -qx "$ID"; then
        [ "$KHEAD" = "$before" ] || fail "round $R: the head moved but $ID is still pending"
        settle_pending
    fi
    [ "$(head_of "$(store a)" "$(key a)" | cut -d' ' -f1)" -eq $((${before%% *} + 1)) ] ||
        fail "round $R: the approved proposal was not applied exactly once"
    same_link "$(store a)" "$(key a)" "$KHEAD"
}

op_propose() {
    local ack
    NPROP=$((NPROP + 1))
    local args=(propose --store "$(store a)" --key "$(key mu)" --set MU-01 "contact.phones[0]=+230 5552 $((1000 + NPROP))")
    if [ -z "$1" ]; then
        calrun propose "$(store a)" "${args[@]}"
        settle_pending
        return 0
    fi
    killrun propose "$1" "$(store a)" "${args[@]}"
    verify_store "$(store a)" "$(key a)" "a's store"
    KHEAD=$(head_of "$(store a)" "$(key a)")
    ack=$(awk '/^proposed /{sub(":","",$2); print $2}' "$T/k.out")
    if [ -n "$ack" ]; then
        pending_ids_a | grep -qx "$ack" || fail "round $R: propose printed 'proposed $ack' but it is not pending"
    fi
    # Re-run to completion; then approve (or reject) what is pending.
    vrun "${args[@]}"
    grep -q '^proposed ' "$T/run.out" || fail "round $R: propose re-run: $(cat "$T/run.out")"
    settle_pending
    same_link "$(store a)" "$(key a)" "$KHEAD"
}

NPOL=0
op_publish() {
    local ack want
    NPOL=$((NPOL + 1))
    fed_keys "n$NPOL"
    vrun policy propose --key "$(key sec1)" --add-node "$(pub "n$NPOL")" --out "$T/p$NPOL.vlp" --store "$(store a)"
    want=$(sed -n 's/.*policy version \([0-9]*\).*/\1/p' "$T/run.out" | head -1)
    [ -n "$want" ] || fail "policy propose: no version in: $(cat "$T/run.out")"
    vrun policy sign "$T/p$NPOL.vlp" --key "$(key sec2)" --store "$(store a)"
    if [ -z "$1" ]; then
        calrun publish "$(store a)" policy publish "$T/p$NPOL.vlp" $A
        return 0
    fi
    killrun publish "$1" "$(store a)" policy publish "$T/p$NPOL.vlp" $A
    verify_store "$(store a)" "$(key a)" "a's store"
    KHEAD=$(head_of "$(store a)" "$(key a)")
    ack=$(sed -n 's/^policy version \([0-9]*\) adopted.*/\1/p' "$T/k.out")
    cur=$("$VALISE" policy show --json $A | json_get 'd["current"]')
    if [ -n "$ack" ]; then
        [ "$cur" -ge "$ack" ] || fail "round $R: publish acknowledged version $ack, the store is at $cur"
    fi
    if [ "$cur" -lt "$want" ]; then
        vrun policy publish "$T/p$NPOL.vlp" $A
        grep -q "policy version $want adopted" "$T/run.out" || fail "round $R: publish re-run: $(cat "$T/run.out")"
    fi
    [ "$("$VALISE" policy show --json $A | json_get 'd["current"]')" -eq "$want" ] ||
        fail "round $R: policy version $want is not current after the re-run"
    same_link "$(store a)" "$(key a)" "$KHEAD"
}

NFLD=0
op_import() {
    local ack fs last
    NFLD=$((NFLD + 1))
    fs="$T/field$NFLD"
    rm -f "$T/bundle"
    vrun bundle create --out "$T/bundle" $A
    last=$(sed -n 's/.*entries [0-9]*\.\.\([0-9]*\).*/\1/p' "$T/run.out")
    [ -n "$last" ] || fail "bundle create: $(cat "$T/run.out")"
    vrun init --genesis "$T/genesis.vlg" --store "$fs" --key "$(key f)"
    if [ -z "$1" ]; then
        calrun import "$fs" bundle import "$T/bundle" --store "$fs" --key "$(key f)"
        rm -rf "$fs"
        return 0
    fi
    killrun import "$1" "$fs" bundle import "$T/bundle" --store "$fs" --key "$(key f)"
    verify_store "$fs" "$(key f)" "the field store"
    KHEAD=$(head_of "$fs" "$(key f)")
    ack=$(sed -n 's/.*head is now \([0-9]*\)$/\1/p' "$T/k.out")
    if [ -n "$ack" ]; then
        [ "${KHEAD%% *}" -ge "$ack" ] || fail "round $R: import acknowledged head $ack, the store is at ${KHEAD%% *}"
    fi
    vrun bundle import "$T/bundle" --store "$fs" --key "$(key f)"
    verify_store "$fs" "$(key f)" "the field store (re-run)"
    [ "$(head_of "$fs" "$(key f)")" = "$(head_of "$(store a)" "$(key a)")" ] ||
        fail "round $R: the field store's head differs from a's after the re-run"
    same_link "$fs" "$(key f)" "$KHEAD"
    rm -rf "$fs"
}

NSYNC=0
# fresh_c: a new store for c (so every sync round starts from the genesis).
fresh_c() {
    NSYNC=$((NSYNC + 1))
    FED_STOREOF[c]="$T/c/store$NSYNC"
    "$VALISE" init --genesis "$T/genesis.vlg" --key "$(key c)" --store "$(store c)" >/dev/null || fail "init c"
    fed_config c
}
c_ack() { # the last seq c's daemon logged as synced since its last start
    tail -n +"$(cat "$T/c/log.from")" "$(fed_log c)" |
        sed -n 's/.*: \(at seq\|synced to seq\) \([0-9]*\).*/\2/p' | tail -1
}
op_sync() {
    local n t ack got
    n=$(head_seq a)
    fresh_c
    if [ -z "$1" ]; then
        t=$(now_ms)
        fed_start c
        wait_until 120 at_seq "$n" c
        DUR[sync]=$((($(now_ms) - t) * 1000))
        OPEN[sync]=$((DUR[sync] * 19 / 20))  # from the first "at seq" line: 0 to 0.06 x the run
        fed_stop c
        rm -rf "$(store c)"
        return 0
    fi
    touch "$(fed_log c)"
    echo $(($(wc -l <"$(fed_log c)") + 1)) >"$T/c/log.from"
    "$VALISE_NODE" --config "$T/c/node.json" >>"$(fed_log c)" 2>&1 &
    FED_PID[c]=$!
    if [ "${1:0:1}" = o ]; then
        # Every 5 ms, up to 60 s: the daemon logged its first synced batch.
        local from i
        from=$(cat "$T/c/log.from")
        for i in $(seq 12000); do
            tail -n +"$from" "$(fed_log c)" | grep -E 'at seq [0-9]+ of|synced to' >/dev/null && break
            sleep 0.005
        done
    fi
    usleep "${1:1}"
    KILLED[sync]=$((KILLED[sync] + 1))
    if ! kill -0 "${FED_PID[c]}" 2>/dev/null; then
        tail -n 20 "$(fed_log c)" >&2
        fail "round $R: c's daemon exited on its own"
    fi
    fed_kill c
    ack=$(c_ack)
    verify_store "$(store c)" "$(key c)" "c's store"
    KHEAD=$(head_of "$(store c)" "$(key c)")
    got=${KHEAD%% *}
    if [ -n "$ack" ]; then
        [ "$got" -ge "$ack" ] || fail "round $R: c logged entry $ack as synced, its head is $got"
    fi
    if [ "$got" -eq 0 ]; then
        EARLY[sync]=$((EARLY[sync] + 1)); LANDED=early
    elif [ "$got" -lt "$n" ]; then
        MID[sync]=$((MID[sync] + 1)); LANDED=mid
    else
        LATE[sync]=$((LATE[sync] + 1)); LANDED=late
    fi
    fed_start c
    wait_until 120 at_seq "$n" c
    wait_until 60 converged a c
    fed_stop c
    verify_store "$(store c)" "$(key c)" "c's store (re-run)"
    same_link "$(store c)" "$(key c)" "$KHEAD"
    rm -rf "$(store c)"
}

# ---- setup: bulk entries for the sync rounds, one uninterrupted run of each ------------

R=0
OP=setup
note "a's store grows by $CRASH_BULK large entries (what a fresh node syncs)"
mkfork bulk a "$CRASH_BULK" --fat
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-$CRASH_BULK" --store "$(store a)" --key "$(key a)" >/dev/null ||
    fail "append at a"
rm -rf "${SCRATCH:?}/bulk"
record_json "$T/mu01.json" MU-01 "+230 5550 1000"
approve_at a "$(propose_at a mu --file "$T/mu01.json")"
ab_converged
for k in approve propose publish import sync; do
    "op_$k" ""
    ab_converged
done
note "uninterrupted runs (us to the store's opening/exit): $(for k in "${KINDS[@]}"; do printf '%s %s/%s  ' "$k" "${OPEN[$k]:-0}" "${DUR[$k]}"; done)"

# ---- the campaign --------------------------------------------------------------------

for R in $(seq 1 "$KILLS"); do
    OP=${KINDS[$((RANDOM % ${#KINDS[@]}))]}
    delay_for "$OP"
    LANDED=?
    KHEAD=
    "op_$OP" "$DELAY"
    ab_converged
    verify_store "$(store a)" "$(key a)" "a's store (end of round)"
    printf '[round %d/%d seed %d] %-8s killed %7s us after the %-8s %-5s head at kill %s\n' \
        "$R" "$KILLS" "$SEED" "$OP" "${DELAY:1}" "$([ "${DELAY:0:1}" = o ] && echo opening || echo start):" "$LANDED" "${KHEAD%% *}"
done
fed_alive a b
verify_store "$(store b)" "$(key b)" "b's store (end)"

# ---- summary ---------------------------------------------------------------------------

total_mid=0
echo "summary (seed $SEED, $KILLS kills, $((SECONDS - T0)) s):"
printf '  %-8s %6s %6s %6s %6s\n' kind kills early mid late
for k in "${KINDS[@]}"; do
    printf '  %-8s %6d %6d %6d %6d\n' "$k" "${KILLED[$k]}" "${EARLY[$k]}" "${MID[$k]}" "${LATE[$k]}"
    total_mid=$((total_mid + MID[$k]))
done
echo "  final head: $(head_of "$(store a)" "$(key a)"), every store verified, a and b converged"
[ "$total_mid" -gt 0 ] || fail "no kill landed mid-operation: the campaign tested nothing"
echo "PASS: $total_mid of $KILLS kills landed mid-operation; nothing acknowledged was lost"
