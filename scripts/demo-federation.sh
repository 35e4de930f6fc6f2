#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo-federation.sh - the federation story of valise, step by step, on
# this machine's loopback interface.
#
# Five valise-node daemons: the Secretariat's node (Vienna), the regional
# nodes of the REFCO, Sahel and Indian Ocean platforms, and a field office.
# A central authority proposes an edit at the Indian Ocean node; it travels
# to the Secretariat, is approved there and reaches every node. Then the
# Secretariat's node hands a second entry to one regional node only and goes
# down; the entry still reaches every other node through the regional ones,
# and the field office, offline meanwhile, rejoins and catches up. Every node
# ends with the same log head and state root. Runs in a fresh temporary
# directory; exits non-zero as soon as a step does not behave as expected.
#
#              REFCO ----------.
#            /                  \
#   Vienna --                    Indian Ocean --- field office
#            \                  /
#              Sahel ----------'
#
#   scripts/demo-federation.sh      uses $VALISE and $VALISE_NODE, else build/
#   KEEP=1 scripts/demo-federation.sh   keeps the demo directory (and the logs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VALISE=${VALISE:-$ROOT/build/valise}
VALISE_NODE=${VALISE_NODE:-$(dirname "$VALISE")/valise-node}
for b in "$VALISE" "$VALISE_NODE"; do
    [ -x "$b" ] || { echo "demo: no binary at $b (build first, or set VALISE and VALISE_NODE)" >&2; exit 1; }
done
VALISE=$(cd "$(dirname "$VALISE")" && pwd)/$(basename "$VALISE")
VALISE_NODE=$(cd "$(dirname "$VALISE_NODE")" && pwd)/$(basename "$VALISE_NODE")
PY=/usr/bin/python3

DIR=$(mktemp -d "${TMPDIR:-/tmp}/valise-federation.XXXXXX")
declare -A PID=()
cleanup() {
    local rc=$? n
    for n in "${!PID[@]}"; do
        kill -CONT "${PID[$n]}" 2>/dev/null || true
        kill -KILL "${PID[$n]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        echo "(demo files and daemon logs kept in $DIR)"
    else
        rm -rf "$DIR"
    fi
}
trap cleanup EXIT
cd "$DIR"

export VALISE_PASSPHRASE="demo passphrase, not for real use"
unset VALISE_STORE VALISE_KEY
printf '%s\n' "$VALISE_PASSPHRASE" >pass
chmod 600 pass

NODES=(vienna refco sahel io field)
declare -A LABEL=(
    [vienna]="Secretariat node (Vienna)"
    [refco]="REFCO regional node"
    [sahel]="Sahel regional node"
    [io]="Indian Ocean regional node"
    [field]="Field office (Port Louis)"
)
# Who connects to whom (connections carry traffic both ways).
declare -A PEERS=(
    [vienna]=""
    [refco]="vienna"
    [sahel]="vienna"
    [io]="refco sahel"
    [field]="io"
)

step=0
say() {
    step=$((step + 1))
    printf '\n== %d. %s\n' "$step" "$*"
}
show() {
    local a out="$ valise"
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./=:,+@-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$out"
}
run() {
    show "$@"
    "$VALISE" "$@" || die "'valise $*' failed"
}
die() {
    echo "demo: $*" >&2
    exit 1
}
at() { echo "--store $DIR/$1/store --key $DIR/keys/$1.key"; }

# ---- waiting on conditions ------------------------------------------------------

# seq_of NODE: the head seq of NODE's store.
seq_of() {
    # shellcheck disable=SC2046
    "$VALISE" status --json $(at "$1") | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["head"]["seq"])'
}
# at_least SEQ NODE...: every NODE's head is at SEQ or beyond.
at_least() {
    local want=$1 n
    shift
    for n in "$@"; do
        [ "$(seq_of "$n")" -ge "$want" ] || return 1
    done
}
# pending_here NODE ID: proposal ID is pending in NODE's store.
pending_here() {
    # shellcheck disable=SC2046
    "$VALISE" review --json $(at "$1") | grep -q "\"$2\""
}
# wait_for SECS WHAT CHECK...: poll CHECK every 50 ms; say how long it took.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local t0 now
    t0=$(date +%s%N)
    while ! "$@" >/dev/null 2>&1; do
        now=$(date +%s%N)
        if [ $(((now - t0) / 1000000000)) -ge "$secs" ]; then
            echo "demo: timed out after ${secs}s waiting until $what" >&2
            table >&2 || true
            for n in "${NODES[@]}"; do
                echo "--- $n: last lines of its log" >&2
                tail -n 8 "$DIR/$n/node.log" >&2 || true
            done
            exit 1
        fi
        sleep 0.05
    done
    now=$(date +%s%N)
    printf '   (%s after %d ms)\n' "$what" $(((now - t0) / 1000000))
}
# table [NODE...]: node, head seq, head hash, root.
table() {
    local n nodes=("$@")
    [ ${#nodes[@]} -gt 0 ] || nodes=("${NODES[@]}")
    printf '   %-28s %5s  %-64s  %s\n' node seq "head hash" "state root"
    for n in "${nodes[@]}"; do
        # shellcheck disable=SC2046
        "$VALISE" status --json $(at "$n") | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
h = d["head"]
print("   %-28s %5d  %s  %s" % (sys.argv[1], h["seq"], h["hash"], h["root"]))' "${LABEL[$n]}"
    done
}
# same_head NODE...: one (seq, hash, root) for all of them, nothing pending.
same_head() {
    local n
    for n in "$@"; do
        # shellcheck disable=SC2046
        "$VALISE" status --json $(at "$n") | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(d["head"]["seq"], d["head"]["hash"], d["head"]["root"], d["pending"])'
    done | sort -u | awk 'END { exit !(NR == 1 && $4 == 0) }'
}

# ---- daemons -------------------------------------------------------------------------

free_ports() {
    "$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
declare -A PORT=()
write_config() {
    local n=$1 p first=1
    {
        printf '{\n  "store": "%s/store",\n  "key": "%s/keys/%s.key",\n  "pass_file": "%s/pass",\n' \
            "$DIR/$n" "$DIR" "$n" "$DIR"
        printf '  "listen": "tcp://127.0.0.1:%s",\n  "peers": [' "${PORT[$n]}"
        for p in ${PEERS[$n]}; do
            [ $first -eq 1 ] || printf ','
            first=0
            printf '\n    {"addr": "tcp://127.0.0.1:%s", "name": "%s"}' "${PORT[$p]}" "${LABEL[$p]}"
        done
        printf '\n  ],\n  "timers": {"anti_entropy_ms": 1000, "poll_ms": 50, "reconnect_max_ms": 2000},\n'
        printf '  "log_level": "info"\n}\n'
    } >"$DIR/$n/node.json"
}
start() {
    local n
    for n in "$@"; do
        echo "\$ valise-node --config $n/node.json &      # ${LABEL[$n]}"
        "$VALISE_NODE" --config "$DIR/$n/node.json" >>"$DIR/$n/node.log" 2>&1 &
        PID[$n]=$!
    done
    for n in "$@"; do
        wait_for 20 "${LABEL[$n]} is ready" grep -q 'valise-node ready' "$DIR/$n/node.log"
    done
}
stop() {
    local n=$1 rc=0
    kill -TERM "${PID[$n]}"
    wait "${PID[$n]}" || rc=$?
    unset "PID[$n]"
    [ $rc -eq 0 ] || die "${LABEL[$n]} did not stop cleanly (exit $rc)"
}

# ---- the story ---------------------------------------------------------------------------

say "The Secretariat creates two approver keys (k = 2 of 2), one key per node of the federation, and keys for two central authorities."
mkdir -p keys
for k in secretariat-a secretariat-b; do
    run keygen --out "keys/$k" --label "Secretariat approver ${k#secretariat-}" --kdf interactive
done
for n in "${NODES[@]}"; do
    run keygen --out "keys/$n" --label "${LABEL[$n]}" --kdf interactive
done
run keygen --out keys/ca-MU --label "MU central authority" --kdf interactive
run keygen --out keys/ca-MG --label "MG central authority" --kdf interactive

say "One genesis names every member: the approvers, the authorities and the five nodes; both approvers sign it."
run genesis create --name "UNODC directory (federation demo)" --threshold 2 \
    --approver keys/secretariat-a.pub keys/secretariat-b.pub \
    --authority MU=keys/ca-MU.pub MG=keys/ca-MG.pub \
    --node keys/vienna.pub keys/refco.pub keys/sahel.pub keys/io.pub keys/field.pub \
    --out genesis.vlg
run genesis sign genesis.vlg --key keys/secretariat-a.key
run genesis sign genesis.vlg --key keys/secretariat-b.key

say "Each node creates its own store from the genesis, with its own key."
for n in "${NODES[@]}"; do
    mkdir -p "$n"
    run init --genesis genesis.vlg --key "keys/$n.key" --store "$n/store"
done

say "Each node gets a configuration: where it listens, which nodes it connects to. Then the five daemons start."
read -r -a ports <<<"$(free_ports ${#NODES[@]})"
i=0
for n in "${NODES[@]}"; do
    PORT[$n]=${ports[$i]}
    i=$((i + 1))
done
for n in "${NODES[@]}"; do
    write_config "$n"
done
echo "   Indian Ocean's configuration:"
sed 's/^/     /' io/node.json
start "${NODES[@]}"

say "The Secretariat loads the sample directory at its node; the entries spread to every node."
run sample --out sample.json
show propose --file sample.json --store vienna/store --key keys/secretariat-a.key
"$VALISE" propose --file sample.json --store vienna/store --key keys/secretariat-a.key >proposals.txt ||
    die "propose the sample"
echo "   ($(grep -c '^proposed ' proposals.txt) proposals of at most 64 records each)"
echo "   Each approver approves the whole load with one command (one run):"
run approve --all --store vienna/store --key keys/secretariat-a.key | tail -1
"$VALISE" approve --all --store vienna/store --key keys/secretariat-b.key >last.txt ||
    die "approve --all (B)"
grep -q '^run of .*: applied' last.txt || die "the load was not applied: $(tail -1 last.txt)"
tail -1 last.txt
N=$(seq_of vienna)
wait_for 60 "every node holds entry $N" at_least "$N" "${NODES[@]}"
table

NEW_PHONE="+230 5550 7777"
say "Mauritius' central authority proposes a new phone number for MU-01, at the Indian Ocean node."
run propose --key keys/ca-MU.key --store io/store --set MU-01 "contact.phones[0]=$NEW_PHONE" | tee mu.txt
mu_id=$(awk '/^proposed /{sub(":","",$2); print $2}' mu.txt)
[ -n "$mu_id" ] || die "no proposal id"
wait_for 30 "the proposal reached the Secretariat's node (Indian Ocean -> REFCO or Sahel -> Vienna)" \
    pending_here vienna "$mu_id"

say "The Secretariat reviews it at its own node and both approvers approve."
run review "${mu_id:0:12}" --store vienna/store --key keys/secretariat-a.key
run approve "${mu_id:0:12}" --store vienna/store --key keys/secretariat-a.key
run approve "${mu_id:0:12}" --store vienna/store --key keys/secretariat-b.key | tee approve.txt
grep -q 'applied as entry' approve.txt || die "the change was not applied"
N=$((N + 1))
wait_for 30 "entry $N is at every node" at_least "$N" "${NODES[@]}"
run get MU-01 --store field/store --key keys/field.key | grep -F -- "$NEW_PHONE" ||
    die "the field office does not show the new phone"
table

say "The field office goes offline. The Sahel node is unreachable for a while (its process is paused), so the Secretariat's node can hand the next entry to REFCO only."
stop field
echo "   field office: stopped"
kill -STOP "${PID[sahel]}"
echo "   Sahel: paused"

say "Madagascar's central authority proposes an edit at the Secretariat's node; both approvers approve it."
run propose --key keys/ca-MG.key --store vienna/store --set MG-01 "office_hours=Monday-Friday 08:00-15:30" | tee mg.txt
mg_id=$(awk '/^proposed /{sub(":","",$2); print $2}' mg.txt)
[ -n "$mg_id" ] || die "no proposal id"
run approve "${mg_id:0:12}" --store vienna/store --key keys/secretariat-a.key
run approve "${mg_id:0:12}" --store vienna/store --key keys/secretariat-b.key
M=$((N + 1))
wait_for 30 "REFCO holds entry $M" at_least "$M" refco

say "The Secretariat's node goes down right after passing entry $M to REFCO."
{ kill -KILL "${PID[vienna]}"; wait "${PID[vienna]}"; } 2>/dev/null || true
unset "PID[vienna]"
echo "   Secretariat's node: killed"
for n in "${NODES[@]}"; do
    printf '   %-28s holds entry %s\n' "${LABEL[$n]}" "$(seq_of "$n")"
done
[ "$(seq_of sahel)" -lt "$M" ] || die "Sahel got the entry while it was paused"

say "Sahel comes back: the entry reaches it through the regional nodes (REFCO, the Indian Ocean), without the Secretariat."
kill -CONT "${PID[sahel]}"
wait_for 60 "REFCO, Sahel and the Indian Ocean hold entry $M" at_least "$M" refco sahel io
grep -E "synced to seq $M|at seq $M" sahel/node.log | tail -1 | sed 's/^/   sahel log: /'
grep -E "synced to seq $M|at seq $M" io/node.log | tail -1 | sed 's/^/   io log:    /'
if grep -E "synced to seq $M" sahel/node.log | grep -q 'Vienna'; then
    die "Sahel got the entry from the Secretariat's node, which was down"
fi

say "The field office rejoins and catches up from the Indian Ocean node."
start field
wait_for 60 "the field office holds entry $M" at_least "$M" field
run get MG-01 --store field/store --key keys/field.key | grep -F 'Monday-Friday 08:00-15:30' ||
    die "the field office does not show Madagascar's edit"
say "The Secretariat's node restarts; every node has the same log head and state root."
start vienna
wait_for 60 "all five nodes agree" same_head "${NODES[@]}"
table | tee final.txt
for n in "${NODES[@]}"; do
    "$VALISE" verify --store "$n/store" --key "keys/$n.key" >verify.txt || die "verify $n: $(tail -3 verify.txt)"
done
echo "   valise verify: OK at every node"
same_head "${NODES[@]}" || die "the nodes disagree"
show status --store io/store --key keys/io.key
"$VALISE" status --store io/store --key keys/io.key | sed -n '/^head/p;/^peers/,$p'
for n in "${NODES[@]}"; do
    stop "$n"
done

printf '\ndemo-federation: all steps behaved as expected; the federation converged.\n'
