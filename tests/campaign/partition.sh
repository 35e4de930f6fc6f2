#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# partition.sh [ROUNDS] [SEED] - the partition campaign (issue 13, docs/testing.md §3).
#
# Seven valise-node daemons n1..n7, each in its own network namespace, every
# node configured to connect to every node after it (a full mesh of 21
# sessions). The namespaces hang on one bridge in a hub namespace (one veth
# pair per node, 198.18.0.N/24, the RFC 2544 test range, reachable only inside
# these namespaces); a cut is an nftables rule in the hub's bridge that drops
# the IPv4 packets of one pair of nodes, in both directions, so the daemons
# see a silent network failure, not a refused connection.
#
# Each round, from a seeded RNG (printed, so a failure replays with the same
# ROUNDS and SEED):
#   1. a partition: one node isolated, or the nodes split into 2 or 3 groups;
#      every pair across groups is cut; in half the rounds a random loss of
#      1..10 % (and, where the kernel has sch_netem, a delay of 5..50 ms) on
#      every link still up;
#   2. while cut: 1..3 proposals by the authorities mu or mg (a new record
#      each), each at a random node of any group; 0..3 approvals (sec1 then
#      sec2, the threshold) of pending proposals the approving group knows;
#   3. the cut is held 1..4 x anti_entropy_ms in all (longer when the
#      approvals took longer), then healed (rules,
#      loss and delay removed at once);
#   4. from the heal: every node's head seq must agree (read from each
#      daemon's metrics endpoint by netwatch.py, scraped continuously); the
#      target is 2 x anti_entropy_ms + the measurement's own delay (the
#      time since the start of the scrape before + poll_ms): a heal over it
#      fails the campaign at the end (PART_TARGET=report only lists it); the
#      limit is the target + 2 x the cut's duration, for heads and pending
#      sets alike (TCP's retransmission back-off, docs/testing.md §3.3): a
#      heal over it fails at once. Then `valise status` of all seven stores
#      must show the same head seq, head hash and state root; every node
#      must then hold exactly the proposals still pending (count from the
#      metrics, ids from `review` at one node) and that node's export must
#      hold every approved record: no acknowledged proposal is lost.
#
# Approvals. Approver keys are usable at the stores of n1, n2 and n3 (the
# Secretariat's three sites). In a round only ONE group approves: the group
# holding most of those sites (ties: the RNG). Two groups approving at once
# would sign two histories, which the network treats as equivocation (a fork
# that stops the log, docs/trust.md §5); the operating rule is one approving
# site at a time, and the campaign keeps it. Inside the approving group each
# approval is made at a random site of the group, after that node's head
# reached the group's newest head (so the approving store is never behind).
#
# Requires root, `ip netns` (iproute2) and `nft` (nftables): without them the
# campaign says why and exits 1, never passes.
#
# Run by hand (the long run of docs/testing.md §3):
#   VALISE=build/valise VALISE_NODE=build/valise-node VL_SOURCE_DIR=$PWD \
#   VL_TEST_TMP=/tmp bash tests/campaign/partition.sh 60 SEED
# ctest runs campaign_partition: 5 rounds, seed 13 (PART_ROUNDS, PART_SEED
# override the defaults when no arguments are given). PART_AE_MS (default
# 1000) is every daemon's anti_entropy_ms; PART_LOG_LEVEL (default info) its
# log_level; $T/times holds each round's cut and heal instants, to find the
# heal in the daemons' logs (kept with FED_KEEP=1 or on failure).

ROUNDS=${1:-${PART_ROUNDS:-5}}
SEED=${2:-${PART_SEED:-13}}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: partition.sh [ROUNDS] [SEED]" >&2; exit 2; }
[[ $SEED =~ ^[0-9]+$ ]] || { echo "usage: partition.sh [ROUNDS] [SEED] (SEED a whole number)" >&2; exit 2; }

# ---- can we make the network? (never a silent skip) -----------------------------------

# shellcheck source=tests/fed/netns.sh
source "$(dirname "$0")/../fed/netns.sh"
vl_netns_require "partition campaign" vlp

source "$(dirname "$0")/../fed/lib.sh"

: "${PART_AE_MS:=1000}" "${PART_TARGET:=strict}"
[ "$PART_TARGET" = strict ] || [ "$PART_TARGET" = report ] || fail "PART_TARGET must be strict or report"
FED_AE_MS=$PART_AE_MS
: "${PART_LOG_LEVEL:=info}"
FED_LOG_LEVEL=$PART_LOG_LEVEL
NODES=(n1 n2 n3 n4 n5 n6 n7)
SITES=(n1 n2 n3)          # stores where the approver keys are used
LISTEN_PORT=7101
METRICS_PORT=9464
RANDOM=$SEED
T0=$SECONDS

part_cleanup() {
    local rc=$? n
    set +e
    # The daemons first (fed_cleanup kills them by pid), then their namespaces.
    (exit $rc)
    fed_cleanup
    for n in "${NODES[@]}" hub; do
        ip netns del "$NSP-$n" 2>/dev/null
    done
    exit $rc
}
trap part_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ipof() { echo "198.18.0.${1#n}"; }
nsx() { # NODE CMD...: run CMD in NODE's namespace
    local n=$1
    shift
    ip netns exec "$NSP-$n" "$@"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
hub() { ip netns exec "$NSP-hub" "$@"; }

echo "partition campaign: $ROUNDS rounds, seed $SEED (replay: partition.sh $ROUNDS $SEED)"

# ---- the network ------------------------------------------------------------------------

net_setup() {
    local n
    ip netns add "$NSP-hub" || fail "ip netns add $NSP-hub"
    hub ip link add br0 type bridge || fail "bridge in the hub"
    hub ip link set br0 up
    hub ip link set lo up
    for n in "${NODES[@]}"; do
        ip netns add "$NSP-$n" || fail "ip netns add $NSP-$n"
        nsx "$n" ip link set lo up
        nsx "$n" ip link add eth0 type veth peer name "p$n" netns "$NSP-hub" || fail "veth for $n"
        nsx "$n" ip addr add "$(ipof "$n")/24" dev eth0
        nsx "$n" ip link set eth0 up
        hub ip link set "p$n" master br0
        hub ip link set "p$n" up
    done
    # Cuts: pairs of addresses dropped in the bridge; loss: a random drop.
    hub nft -f - <<'EOF' || fail "nft: the hub's table"
table bridge vlp {
    set cut { type ipv4_addr . ipv4_addr; }
    chain loss { }
    chain cuts {
        type filter hook forward priority 0; policy accept;
        ip saddr . ip daddr @cut drop
        jump loss
    }
}
EOF
    # Delays need sch_netem; without it loss still comes from nftables.
    NETEM=""
    if hub tc qdisc add dev pn1 root netem delay 1ms 2>"$T/netem.err"; then
        hub tc qdisc del dev pn1 root
        NETEM=yes
        note "tc netem works: delays and loss on the links still up in half the rounds"
    else
        NETEM_WHY=$(head -1 "$T/netem.err")
        note "tc netem unavailable ($NETEM_WHY: the kernel has no sch_netem): delays skipped;" \
            "loss comes from an nftables numgen rule instead"
    fi
}

# part_cut "GROUP|GROUP|...": drop every pair across groups.
part_cut() {
    local groups=$1 elems="" a b ga gb
    IFS='|' read -r -a gs <<<"$groups"
    for ga in "${!gs[@]}"; do
        for gb in "${!gs[@]}"; do
            [ "$ga" -lt "$gb" ] || continue
            for a in ${gs[$ga]}; do
                for b in ${gs[$gb]}; do
                    elems="$elems$(ipof "$a") . $(ipof "$b"), $(ipof "$b") . $(ipof "$a"), "
                done
            done
        done
    done
    hub nft add element bridge vlp cut "{ ${elems%, } }" || fail "nft: cut $groups"
}

impair() { # LOSS_PERCENT DELAY_MS
    local n
    if [ -n "$NETEM" ]; then
        for n in "${NODES[@]}"; do
            hub tc qdisc add dev "p$n" root netem delay "${2}ms" loss "${1}%" || fail "tc netem on p$n"
        done
    else
        hub nft add rule bridge vlp loss numgen random mod 100 lt "$1" drop || fail "nft: loss $1%"
    fi
}

heal() {
    local n
    hub nft flush set bridge vlp cut
    hub nft flush chain bridge vlp loss
    if [ -n "$NETEM" ]; then
        for n in "${NODES[@]}"; do
            hub tc qdisc del dev "p$n" root 2>/dev/null || true
        done
    fi
}

# ---- the daemons ------------------------------------------------------------------------

part_config() { # NODE: full mesh, each node connects to the nodes after it
    local n=$1 m first=1 after=0
    {
        printf '{\n  "store": "%s",\n  "key": "%s",\n  "pass_file": "%s",\n' \
            "$(store "$n")" "$(nodekey "$n")" "$T/pass"
        printf '  "listen": "tcp://%s:%s",\n  "peers": [' "$(ipof "$n")" "$LISTEN_PORT"
        for m in "${NODES[@]}"; do
            if [ "$after" -eq 1 ]; then
                [ $first -eq 1 ] || printf ','
                first=0
                printf '\n    {"addr": "tcp://%s:%s", "name": "%s"}' "$(ipof "$m")" "$LISTEN_PORT" "$m"
            fi
            [ "$m" != "$n" ] || after=1
        done
        printf '\n  ],\n  "timers": {"anti_entropy_ms": %s, "poll_ms": %s, "reconnect_max_ms": %s},\n' \
            "$FED_AE_MS" "$FED_POLL_MS" "$FED_RECONNECT_MS"
        printf '  "metrics": "127.0.0.1:%s",\n' "$METRICS_PORT"
        printf '  "log_level": "%s",\n  "log_file": "-"\n}\n' "$FED_LOG_LEVEL"
    } >"$T/$n/node.json"
}

part_start() {
    local n
    for n in "${NODES[@]}"; do
        touch "$(fed_log "$n")"
        echo 1 >"$T/$n/log.from"
        ip netns exec "$NSP-$n" "$VALISE_NODE" --config "$T/$n/node.json" >>"$(fed_log "$n")" 2>&1 &
        FED_PID[$n]=$!
    done
    for n in "${NODES[@]}"; do
        wait_until 20 s_ready "$n"
    done
}

WATCH="$(dirname "$0")/netwatch.py"
# watch NODES MODE ARGS...: tests/campaign/netwatch.py on NODES (space-separated).
watch() {
    local nodes=$1
    shift
    "$PY" "$WATCH" "$NSP" "$METRICS_PORT" "$(echo $nodes | tr ' ' ',')" "$@"
}
# max_seq NODE...: the highest head seq among NODEs.
max_seq() {
    watch "$*" scrape | awk '$2 != "?" && $2 > m {m = $2} END {print m + 0}'
}

# ---- proposals ---------------------------------------------------------------------------

NPROP=0
declare -A ORIGIN=() ROUND_OF=() RECID=() PHONE=()
PENDING=()   # ids acknowledged by propose and not yet applied
APPLIED=()   # ids applied (approved up to the threshold)
# propose_new NODE: a new record by mu or mg at NODE; acknowledged -> PENDING.
propose_new() {
    local n=$1 who st rid phone id
    NPROP=$((NPROP + 1))
    if [ $((RANDOM % 2)) -eq 0 ]; then who=mu st=MU; else who=mg st=MG; fi
    rid=$(printf '%s-P%03d' "$st" "$NPROP")
    phone="+$([ "$st" = MU ] && echo 230 || echo 261) 5559 $((1000 + NPROP))"
    record_json "$T/rec.json" "$rid" "$phone" "$st"
    id=$(propose_at "$n" "$who" --file "$T/rec.json")
    [ -n "$id" ] || fail "round $R: propose at $n printed no id: $(cat "$T/propose.out")"
    ORIGIN[$id]=$n
    ROUND_OF[$id]=$R
    RECID[$id]=$rid
    PHONE[$id]=$phone
    PENDING+=("$id")
}

# approve_one SITE ID GROUP...: approve ID at SITE once SITE is at the
# group's newest head and holds ID.
approve_one() {
    local x=$1 id=$2 top
    shift 2
    top=$(max_seq "$@")
    watch "$x" atleast "$top" 30000 || fail "round $R: $x did not reach entry $top of its group in 30 s"
    wait_until 30 pending_at "$x" "$id"
    approve_at "$x" "$id"
    APPLIED+=("$id")
    local keep=() p
    for p in "${PENDING[@]}"; do [ "$p" = "$id" ] || keep+=("$p"); done
    PENDING=(${keep[@]+"${keep[@]}"})
}

# ---- convergence --------------------------------------------------------------------------

# wait_converged HEAL_MS: every head seq the same (netwatch heads); then
# `valise status` of every store agrees on seq, hash and root; then every
# pending count is ${#PENDING[@]}. Sets TOP, CONV_MS (heal -> the end of the
# first scrape that saw the heads agree), MARGIN_MS (the time from the start
# of the scrape before it, + poll_ms: how late the instant can be seen) and
# PEND_MS.
wait_converged() {
    local heal=$1 res
    res=$(watch "${NODES[*]}" heads "$heal" 60000) ||
        { fed_alive "${NODES[@]}"; fed_diag; fail "round $R (seed $SEED): heads did not agree 60 s after the heal"; }
    read -r TOP CONV_MS MARGIN_MS <<<"$res"
    MARGIN_MS=$((MARGIN_MS + FED_POLL_MS))
    fed_heads "${NODES[@]}" >"$T/heads.now" || fail "round $R: status failed: $(cat "$T/heads.now")"
    [ "$(awk '{print $2, $3, $4}' "$T/heads.now" | sort -u | wc -l)" -eq 1 ] ||
        { cat "$T/heads.now" >&2; fail "round $R (seed $SEED): head seq, hash or state root differ after the heal"; }
    [ "$(awk '{print $2; exit}' "$T/heads.now")" -eq "$TOP" ] ||
        { cat "$T/heads.now" >&2; fail "round $R: status and metrics disagree on the head ($TOP)"; }
    res=$(watch "${NODES[*]}" pending "${#PENDING[@]}" "$heal" 60000) ||
        { fed_alive "${NODES[@]}"; fed_diag; fail "round $R (seed $SEED): pending counts are not ${#PENDING[@]} everywhere 60 s after the heal"; }
    read -r PEND_MS _ <<<"$res"
}

# check_nothing_lost NODE: NODE holds exactly PENDING pending, and every
# APPLIED record with its phone.
check_nothing_lost() {
    local n=$1 id got want
    got=$("$VALISE" review --json --store "$(store "$n")" --key "$(nodekey "$n")" |
        json_get '" ".join(sorted(p["id"] for p in d))') || fail "review at $n"
    want=$(printf '%s\n' ${PENDING[@]+"${PENDING[@]}"} | sort | tr '\n' ' ')
    [ "$got" = "${want% }" ] || [ "$got $want" = " " ] ||
        fail "round $R (seed $SEED): pending at $n: [$got], expected [${want% }]"
    "$VALISE" export --store "$(store "$n")" --key "$(nodekey "$n")" >"$T/export.json" || fail "export at $n"
    for id in ${APPLIED[@]+"${APPLIED[@]}"}; do
        "$PY" - "$T/export.json" "${RECID[$id]}" "${PHONE[$id]}" <<'EOF' ||
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(r["id"] == sys.argv[2] and sys.argv[3] in r["contact"]["phones"] for r in d["records"]) else 1)
EOF
            fail "round $R (seed $SEED): approved proposal ${id:0:16} (${RECID[$id]}, made at ${ORIGIN[$id]} in round ${ROUND_OF[$id]}) is not in $n's export"
    done
}

# ---- setup -------------------------------------------------------------------------------

R=0
fed_network "${NODES[@]}"
net_setup
for n in "${NODES[@]}"; do part_config "$n"; done
part_start
wait_until 60 converged
note "7 daemons up, converged at the genesis; anti_entropy_ms $FED_AE_MS, poll_ms $FED_POLL_MS," \
    "reconnect_max_ms $FED_RECONNECT_MS"

# ---- the campaign ------------------------------------------------------------------------

HEALED=0
MAXMARGIN=0
OVER=()
CONVS=()
BCONVS=()   # heals after which some node had entries to pull
PCONVS=()
NAPPROVED=0
declare -A APPROVED_AT=()
for R in $(seq 1 "$ROUNDS"); do
    fed_alive "${NODES[@]}"
    # The partition.
    # The shuffle's seed is drawn here: $RANDOM inside $(...) would come from
    # the subshell's own, unseeded generator.
    shuffle=$RANDOM
    read -r -a order <<<"$(printf '%s\n' "${NODES[@]}" | awk -v s="$shuffle" 'BEGIN{srand(s)} {print rand(), $0}' |
        sort -n | cut -d' ' -f2 | tr '\n' ' ')"
    kind=$((RANDOM % 3))
    case $kind in
    0) groups="${order[0]}|${order[*]:1}"; kname=isolate ;;
    1) k=$((2 + RANDOM % 4)); groups="${order[*]:0:k}|${order[*]:k}"; kname=split2 ;;
    *) k=$((2 + RANDOM % 2)); l=$((2 + RANDOM % 2))
       groups="${order[*]:0:k}|${order[*]:k:l}|${order[*]:k+l}"; kname=split3 ;;
    esac
    IFS='|' read -r -a GS <<<"$groups"
    # The approving group: most sites; ties by the RNG.
    best=-1; AG=""
    for g in "${GS[@]}"; do
        c=0
        for s in "${SITES[@]}"; do [[ " $g " == *" $s "* ]] && c=$((c + 1)); done
        if [ "$c" -gt "$best" ] || { [ "$c" -eq "$best" ] && [ $((RANDOM % 2)) -eq 0 ]; }; then
            best=$c; AG=$g
        fi
    done
    read -r -a AGN <<<"$AG"
    asites=()
    for s in "${SITES[@]}"; do [[ " $AG " == *" $s "* ]] && asites+=("$s"); done
    loss=0; delay=0
    if [ $((RANDOM % 2)) -eq 0 ]; then
        loss=$((1 + RANDOM % 10))
        [ -z "$NETEM" ] || delay=$((5 + RANDOM % 46))
    fi
    hold=$((PART_AE_MS + RANDOM % (3 * PART_AE_MS + 1)))

    tcut=$(now_ms)
    part_cut "$groups"
    [ "$loss" -eq 0 ] || impair "$loss" "$delay"
    # Proposals anywhere; approvals in the approving group.
    np=$((1 + RANDOM % 3)); made=""
    for i in $(seq "$np"); do
        x=${NODES[$((RANDOM % 7))]}
        propose_new "$x"
        made="$made $x"
    done
    # Approvable: pending from earlier rounds (healed since) or made here in AG.
    cand=()
    for id in ${PENDING[@]+"${PENDING[@]}"}; do
        if [ "${ROUND_OF[$id]}" -lt "$R" ] || [[ " $AG " == *" ${ORIGIN[$id]} "* ]]; then cand+=("$id"); fi
    done
    na=$((RANDOM % 4)); [ "$na" -le "${#cand[@]}" ] || na=${#cand[@]}
    apps=""
    for i in $(seq 1 "$na"); do
        id=${cand[$((i - 1))]}
        x=${asites[$((RANDOM % ${#asites[@]}))]}
        approve_one "$x" "$id" "${AGN[@]}"
        apps="$apps $x"
        NAPPROVED=$((NAPPROVED + 1))
        APPROVED_AT[$x]=$((${APPROVED_AT[$x]:-0} + 1))
    done
    left=$((tcut + hold - $(now_ms)))
    [ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
    held=$(($(now_ms) - tcut))
    # Were some nodes behind (is there anything for the heads to do)?
    behind=$(watch "${NODES[*]}" scrape | awk '{s[$2] = 1} END {print (length(s) > 1 ? 1 : 0)}')
    # What TCP was doing just before the heal (kept with the test files).
    nsx n1 ss -tin >"$T/ss.round$R" 2>&1 || true
    heal
    theal=$(now_ms)
    echo "round $R: cut at $tcut, healed at $theal (ms since the epoch)" >>"$T/times"
    wait_converged "$theal"
    HEALED=$((HEALED + 1))
    target=$((2 * PART_AE_MS + MARGIN_MS))
    [ "$MARGIN_MS" -le "$MAXMARGIN" ] || MAXMARGIN=$MARGIN_MS
    # Each direction of a session may wait out its own TCP retransmission
    # back-off, each up to about the cut's length (docs/testing.md §3.3).
    limit=$((target + 2 * held))
    CONVS+=("$CONV_MS")
    [ "$behind" -eq 0 ] || BCONVS+=("$CONV_MS")
    PCONVS+=("$PEND_MS")
    verdict="within $target ms"
    if [ "$CONV_MS" -gt "$target" ]; then
        verdict="OVER $target ms"
        OVER+=("round $R: heads agreed $CONV_MS ms after the heal of a $held ms cut; target $target ms")
    fi
    [ "$CONV_MS" -le "$limit" ] && [ "$PEND_MS" -le "$limit" ] ||
        fail "round $R (seed $SEED): after a $held ms cut heads agreed in $CONV_MS ms, pending sets in $PEND_MS ms: over the limit $limit ms (target + 2 x the cut)"
    check_nothing_lost "${NODES[$((RANDOM % 7))]}"
    printf '[round %d/%d seed %d] %-7s %-26s loss %2d%% delay %2d ms cut %5d ms; proposed at%s; approved at%s; healed: heads %4d ms (%s), pending %4d ms; head %d, %d pending\n' \
        "$R" "$ROUNDS" "$SEED" "$kname" "$(echo "$groups" | sed 's/n//g; s/|/ | /g')" "$loss" "$delay" "$held" \
        "${made:- (none)}" "${apps:- (none)}" "$CONV_MS" "$verdict" \
        "$PEND_MS" "$TOP" "${#PENDING[@]}"
done

# ---- the end: everything approved while connected, every store verified ----------------

R=end
for id in ${PENDING[@]+"${PENDING[@]}"}; do
    approve_one n1 "$id" "${NODES[@]}"
done
theal=$(now_ms)
wait_converged "$theal"
for n in "${NODES[@]}"; do
    check_nothing_lost "$n"
    "$VALISE" verify --store "$(store "$n")" --key "$(nodekey "$n")" >"$T/verify.out" 2>&1 ||
        fail "$n's store does not verify: $(head -5 "$T/verify.out")"
done
fed_alive "${NODES[@]}"
drops=0
for n in "${NODES[@]}"; do drops=$((drops + $(log_count "$n" 'dropped:'))); done

# ---- summary -----------------------------------------------------------------------------

stats() { # values... -> "max M median D"
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "max %d ms, median %d ms", v[NR], (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'
}
echo "summary (seed $SEED, $ROUNDS rounds, $((SECONDS - T0)) s):"
echo "  partitions healed: $HEALED of $ROUNDS; delays: $([ -n "$NETEM" ] && echo "tc netem" || echo "skipped (no sch_netem), loss by nftables")"
bstat=none
[ "${#BCONVS[@]}" -eq 0 ] || bstat=$(stats "${BCONVS[@]}")
echo "  heads agree after a heal: $(stats "${CONVS[@]}"); after the ${#BCONVS[@]} heals where some node was behind: $bstat"
echo "  target: 2 x $PART_AE_MS ms + the measurement's delay (at most $MAXMARGIN ms in this run)"
echo "  pending sets agree after a heal: $(stats "${PCONVS[@]}")"
echo "  proposals: $NPROP made, $NAPPROVED approved during cuts (at$(for s in "${SITES[@]}"; do printf ' %s %d' "$s" "${APPROVED_AT[$s]:-0}"; done)), the rest at the end; lost: 0"
echo "  final head: $(head_seq n1) on all 7 nodes, every store verified; honest peers dropped (logged): $drops"
if [ "${#OVER[@]}" -gt 0 ]; then
    echo "  heals over the target 2 x anti_entropy_ms + the measurement's delay: ${#OVER[@]} of $ROUNDS"
    printf '    %s\n' "${OVER[@]}"
    [ "$PART_TARGET" = report ] ||
        fail "${#OVER[@]} of $ROUNDS heals took longer than the target (seed $SEED; PART_TARGET=report only reports them)"
fi
echo "PASS: $HEALED partitions healed, every node converged within the limit, no proposal lost"
