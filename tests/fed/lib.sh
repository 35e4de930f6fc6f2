# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# lib.sh - shared helpers of the federation tests (sourced, never run).
#
# ctest runs each tests/fed/t_*.sh with VALISE, VALISE_NODE, VL_RAWPEER,
# VL_SOURCE_DIR and VL_TEST_TMP set; each also runs by hand:
#
#   VALISE=build/valise VALISE_NODE=build/valise-node VL_RAWPEER=build/vl_rawpeer \
#   VL_SOURCE_DIR=$PWD VL_TEST_TMP=/tmp bash tests/fed/t_converge_line.sh
#
# A test builds an N-node federation of real valise-node daemons on
# 127.0.0.1 in a temporary directory, then waits on CONDITIONS (never bare
# sleeps): wait_until polls a check every 50 ms and, on timeout, fails with
# every node's head and the tail of every daemon log.
#
#   fed_network NODE...          keys (approvers sec1 sec2, threshold 2;
#                                authorities mu for MU, mg for MG; one node key
#                                per NODE, plus $FED_EXTRA_NODES: node keys in
#                                the genesis that run no daemon), the signed
#                                genesis (fresh node: $FED_FRESH_NODE if set),
#                                one store per NODE, one port per NODE
#   fed_topology "a-b b-c ..."   a connects to b (b listens): a's config names b
#   fed_start NODE... / fed_stop NODE... (SIGTERM, must exit 0)
#   fed_kill NODE... (SIGKILL) / fed_pause / fed_resume (SIGSTOP / SIGCONT)
#   fed_status NODE              `valise status --json` of NODE's store -> stdout
#   fed_heads [NODE...]          "node seq hash root pending" lines
#   wait_until SECS CHECK...     poll CHECK every 50 ms until it succeeds
#   converged [NODE...]          check: same seq, head hash and root, none pending
#   at_seq SEQ NODE...           check: every NODE's head is at least SEQ
#   pending_at NODE ID           check: proposal ID is pending in NODE's store
#   mkfork NAME NODE N [--fat]   N approved entries on a scratch copy of NODE's store
#   FED_KEYOF[NODE]=NAME         NODE runs with key NAME (a rotated key), and
#   FED_STOREOF[NODE]=DIR        with the store DIR (nodekey, store follow them)
#   FED_FRESH_INTERVAL, FED_FRESH_TTL  "fresh_interval" / "fresh_ttl" in every config
#   FED_METRICS[NODE]=HOST:PORT  "metrics" in NODE's config (set before fed_topology)
#
# Every daemon started here is killed by the EXIT trap (by its pid); the test
# directory is removed when the test passes (kept with FED_KEEP=1). Ports
# come from a registry in $VL_TEST_TMP shared by the tests running at the same
# time (under flock), below the kernel's ephemeral range, each checked free by
# binding it. Keys use --kdf interactive; the passphrase is in a 0600 file.

set -euo pipefail

: "${VALISE:?VALISE must name the valise binary}"
: "${VALISE_NODE:?VALISE_NODE must name the valise-node binary}"
: "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}"
: "${VL_TEST_TMP:=/tmp}"

mkdir -p "$VL_TEST_TMP"
T=$(mktemp -d "$VL_TEST_TMP/fed.XXXXXX")
# The test's stderr, for checks that must report while wait_until silences them.
exec 9>&2
# Scratch stores (forks made by vl_rawpeer mkfork: three durable commits per
# entry) go to tmpfs when there is one.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    SCRATCH=$(mktemp -d /dev/shm/vlfed.XXXXXX)
else
    SCRATCH="$T/scratch"
    mkdir -p "$SCRATCH"
fi
DATA="$VL_SOURCE_DIR/tests/cli/data"
PY=/usr/bin/python3
export VALISE_PASSPHRASE="federation test passphrase"
unset VALISE_STORE VALISE_KEY VALISE_NOW
# The high-water marks (docs/store.md §8) of this test's stores, kept apart.
export VALISE_STATE_DIR="$T/state"
# Timers of the test daemons (milliseconds): fast, within the documented ranges.
: "${FED_AE_MS:=500}" "${FED_POLL_MS:=50}" "${FED_RECONNECT_MS:=1000}" "${FED_LOG_LEVEL:=debug}"
: "${FED_EXTRA_NODES:=}" "${FED_FRESH_NODE:=}" "${FED_FRESH_INTERVAL:=}" "${FED_FRESH_TTL:=}"

declare -a FED_NODES=()         # nodes that run a daemon, in order
declare -A FED_PORT=()          # node -> listen port
declare -A FED_PEERS=()         # node -> space-separated peers it connects to
declare -A FED_PID=()           # node -> pid of its running daemon
declare -a FED_BG=()            # other background pids (raw peers)
declare -A FED_KEYOF=()         # node -> name of the key it runs with (default: its own)
declare -A FED_STOREOF=()       # node -> its store directory (default: $T/NODE/store)
declare -A FED_METRICS=()       # node -> "metrics" endpoint of its config (default: none)
FED_STEP=0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

note() {
    FED_STEP=$((FED_STEP + 1))
    printf '[%s +%ss] %s\n' "$(basename "$0" .sh)" "$SECONDS" "$*"
}

fed_cleanup() {
    local rc=$? n pid
    for n in "${!FED_PID[@]}"; do
        pid=${FED_PID[$n]}
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "${FED_BG[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    fed_ports_release
    rm -rf "$SCRATCH"
    if [ $rc -eq 0 ] && [ -z "${FED_KEEP:-}" ]; then
        rm -rf "$T"
    else
        echo "(test files kept in $T)" >&2
    fi
}
trap fed_cleanup EXIT

# ---- ports ------------------------------------------------------------------------

# fed_ports_take N: print N free TCP ports on 127.0.0.1, reserved for this
# test's process in the shared registry.
fed_ports_take() {
    "$PY" - "$1" "$$" "$VL_TEST_TMP/fed-ports.registry" <<'EOF'
import fcntl, os, socket, sys
n, owner, reg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(reg + ".lock", "a") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    held = []
    if os.path.exists(reg):
        for line in open(reg):
            try:
                port, pid = map(int, line.split())
            except ValueError:
                continue
            try:
                os.kill(pid, 0)
                held.append((port, pid))
            except OSError:
                pass                      # its test is gone: free again
    taken = {p for p, _ in held}
    # Below the ephemeral range (32768+), so outgoing connections of the
    # daemons never sit on a port we hand out; start where this pid points.
    lo, hi = 20000, 32000
    start = lo + (owner * 97) % (hi - lo)
    got = []
    for i in range(hi - lo):
        p = lo + (start - lo + i) % (hi - lo)
        if p in taken:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        got.append(p)
        if len(got) == n:
            break
    if len(got) < n:
        sys.exit("no free ports")
    with open(reg + ".new", "w") as f:
        for p, pid in held + [(p, owner) for p in got]:
            f.write(f"{p} {pid}\n")
    os.replace(reg + ".new", reg)
    print(" ".join(map(str, got)))
EOF
}

fed_ports_release() {
    "$PY" - "$$" "$VL_TEST_TMP/fed-ports.registry" <<'EOF' 2>/dev/null || true
import fcntl, os, sys
owner, reg = sys.argv[1], sys.argv[2]
if os.path.exists(reg):
    with open(reg + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = [l for l in open(reg) if l.split()[1:2] != [owner]]
        with open(reg + ".new", "w") as f:
            f.writelines(lines)
        os.replace(reg + ".new", reg)
EOF
}

# ---- the network ----------------------------------------------------------------------

# fed_keys NAME...: one key pair per name, label NAME, in $T/keys.
fed_keys() {
    local k
    mkdir -p "$T/keys"
    for k in "$@"; do
        "$VALISE" keygen --out "$T/keys/$k" --label "$k" --kdf interactive >/dev/null ||
            fail "keygen $k"
    done
}

key() { echo "$T/keys/$1.key"; }
pub() { echo "$T/keys/$1.pub"; }
store() { echo "${FED_STOREOF[$1]:-$T/$1/store}"; }
# nodekey NODE: the key file NODE's daemon and store use.
nodekey() { echo "$T/keys/${FED_KEYOF[$1]:-$1}.key"; }

# fed_network NODE...: see the header.
fed_network() {
    FED_NODES=("$@")
    local n nodes=() ports i=0
    note "network: ${#FED_NODES[@]} nodes (${FED_NODES[*]})${FED_EXTRA_NODES:+, extra node keys: $FED_EXTRA_NODES}"
    # shellcheck disable=SC2086
    fed_keys sec1 sec2 mu mg "${FED_NODES[@]}" $FED_EXTRA_NODES
    for n in "${FED_NODES[@]}" $FED_EXTRA_NODES; do
        nodes+=("$(pub "$n")")
    done
    "$VALISE" genesis create --name "federation test" --threshold 2 \
        --approver "$(pub sec1)" "$(pub sec2)" \
        --authority "MU=$(pub mu)" "MG=$(pub mg)" \
        --node "${nodes[@]}" ${FED_FRESH_NODE:+--fresh-node "$(pub "$FED_FRESH_NODE")"} \
        --out "$T/genesis.vlg" >/dev/null || fail "genesis create"
    "$VALISE" genesis sign "$T/genesis.vlg" --key "$(key sec1)" >/dev/null || fail "genesis sign sec1"
    "$VALISE" genesis sign "$T/genesis.vlg" --key "$(key sec2)" >/dev/null || fail "genesis sign sec2"
    printf '%s\n' "$VALISE_PASSPHRASE" >"$T/pass"
    chmod 600 "$T/pass"
    ports=$(fed_ports_take "${#FED_NODES[@]}") || fail "no free ports"
    read -r -a ports <<<"$ports"
    for n in "${FED_NODES[@]}"; do
        mkdir -p "$T/$n"
        "$VALISE" init --genesis "$T/genesis.vlg" --key "$(key "$n")" --store "$(store "$n")" \
            >/dev/null || fail "init $n"
        FED_PORT[$n]=${ports[$i]}
        FED_PEERS[$n]=""
        i=$((i + 1))
    done
}

# fed_topology "a-b ...": a connects to b.
fed_topology() {
    local e a b
    for e in $1; do
        a=${e%%-*}
        b=${e#*-}
        [ -n "${FED_PORT[$a]:-}" ] && [ -n "${FED_PORT[$b]:-}" ] || fail "topology: unknown node in $e"
        FED_PEERS[$a]="${FED_PEERS[$a]} $b"
    done
    for a in "${FED_NODES[@]}"; do
        fed_config "$a"
    done
}

# fed_config NODE: write NODE's config file from its port and peers.
fed_config() {
    local n=$1 b first=1
    {
        printf '{\n  "store": "%s",\n  "key": "%s",\n  "pass_file": "%s",\n' \
            "$(store "$n")" "$(nodekey "$n")" "$T/pass"
        printf '  "listen": "tcp://127.0.0.1:%s",\n  "peers": [' "${FED_PORT[$n]}"
        for b in ${FED_PEERS[$n]}; do
            [ $first -eq 1 ] || printf ','
            first=0
            printf '\n    {"addr": "tcp://127.0.0.1:%s", "name": "%s"}' "${FED_PORT[$b]}" "$b"
        done
        printf '\n  ],\n  "timers": {"anti_entropy_ms": %s, "poll_ms": %s, "reconnect_max_ms": %s},\n' \
            "$FED_AE_MS" "$FED_POLL_MS" "$FED_RECONNECT_MS"
        [ -z "$FED_FRESH_INTERVAL" ] || printf '  "fresh_interval": %s,\n' "$FED_FRESH_INTERVAL"
        [ -z "$FED_FRESH_TTL" ] || printf '  "fresh_ttl": %s,\n' "$FED_FRESH_TTL"
        [ -z "${FED_METRICS[$n]:-}" ] || printf '  "metrics": "%s",\n' "${FED_METRICS[$n]}"
        printf '  "log_level": "%s",\n  "log_file": "-"\n}\n' "$FED_LOG_LEVEL"
    } >"$T/$n/node.json"
}

# ---- daemons ---------------------------------------------------------------------------

fed_log() { echo "$T/$1/node.log"; }

# fed_start NODE...: start each daemon and wait until it says it is ready.
fed_start() {
    local n from pid
    for n in "$@"; do
        [ -z "${FED_PID[$n]:-}" ] || fail "fed_start $n: already running"
        touch "$(fed_log "$n")"
        from=$(($(wc -l <"$(fed_log "$n")") + 1))
        "$VALISE_NODE" --config "$T/$n/node.json" >>"$(fed_log "$n")" 2>&1 &
        pid=$!
        FED_PID[$n]=$pid
        echo "$from" >"$T/$n/log.from"
    done
    for n in "$@"; do
        wait_until 20 s_ready "$n"
    done
}

s_ready() {
    local n=$1
    if ! kill -0 "${FED_PID[$n]}" 2>/dev/null; then
        echo "FAIL: daemon $n exited during start-up:" >&9
        tail -n 20 "$(fed_log "$n")" >&9
        exit 1
    fi
    # grep reads to the end (no -q): with pipefail, tail killed by SIGPIPE
    # after an early match would make the pipeline fail.
    tail -n +"$(cat "$T/$n/log.from")" "$(fed_log "$n")" | grep 'valise-node ready' >/dev/null
}

# fed_stop NODE...: SIGTERM; the daemon must stop cleanly (exit 0) in 15 s.
fed_stop() {
    local n pid rc i
    for n in "$@"; do
        pid=${FED_PID[$n]:?$n is not running}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for n in "$@"; do
        pid=${FED_PID[$n]}
        for i in $(seq 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -0 "$pid" 2>/dev/null && fail "$n did not stop within 15 s of SIGTERM"
        rc=0
        wait "$pid" || rc=$?
        unset "FED_PID[$n]"
        [ "$rc" -eq 0 ] || { tail -n 30 "$(fed_log "$n")" >&2; fail "$n exited $rc after SIGTERM"; }
    done
}

# fed_kill NODE...: SIGKILL (a crash).
fed_kill() {
    local n pid
    for n in "$@"; do
        pid=${FED_PID[$n]:?$n is not running}
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "FED_PID[$n]"
    done
}

fed_pause() { local n; for n in "$@"; do kill -STOP "${FED_PID[$n]}"; done; }
fed_resume() { local n; for n in "$@"; do kill -CONT "${FED_PID[$n]}"; done; }

# fed_alive NODE...: each daemon is still running (not crashed).
fed_alive() {
    local n
    for n in "$@"; do
        kill -0 "${FED_PID[$n]:-0}" 2>/dev/null ||
            { tail -n 30 "$(fed_log "$n")" >&2; fail "daemon $n is not running"; }
    done
}

# ---- reading the stores ----------------------------------------------------------------

# fed_status NODE: status JSON of NODE's store (opened with NODE's key).
fed_status() {
    "$VALISE" status --json --store "$(store "$1")" --key "$(nodekey "$1")"
}

# fed_heads [NODE...]: "node seq hash root pending" per node (all by default).
fed_heads() {
    local n nodes=("$@") pids=()
    [ ${#nodes[@]} -gt 0 ] || nodes=("${FED_NODES[@]}")
    mkdir -p "$T/heads"
    for n in "${nodes[@]}"; do
        fed_status "$n" >"$T/heads/$n.json" 2>"$T/heads/$n.err" &
        pids+=($!)
    done
    local rc=0 p
    for p in "${pids[@]}"; do
        wait "$p" || rc=1
    done
    "$PY" - "$T/heads" "${nodes[@]}" <<'EOF'
import json, sys
d = sys.argv[1]
for n in sys.argv[2:]:
    try:
        j = json.load(open(f"{d}/{n}.json"))
        h = j["head"]
        print(n, h["seq"], h["hash"], h["root"], j["pending"])
    except Exception:
        err = open(f"{d}/{n}.err").read().strip().replace("\n", " ")
        print(n, "?", "?", "?", "?", err)
EOF
    return $rc
}

# converged [NODE...]: same seq, hash and root everywhere, nothing pending.
converged() {
    fed_heads "$@" >"$T/heads.now" || return 1
    [ "$(awk '{print $2, $3, $4, $5}' "$T/heads.now" | sort -u | wc -l)" -eq 1 ] &&
        awk '$5 != 0 || $2 == "?" {bad=1} END {exit bad}' "$T/heads.now"
}

# at_seq SEQ NODE...: each NODE's head is at least SEQ.
at_seq() {
    local want=$1
    shift
    fed_heads "$@" >"$T/heads.now" || return 1
    awk -v w="$want" '$2 == "?" || $2 < w {bad=1} END {exit bad}' "$T/heads.now"
}

# head_seq NODE: NODE's head seq.
head_seq() {
    fed_heads "$1" | awk '{print $2}'
}

# pending_at NODE ID: proposal ID is pending in NODE's store.
pending_at() {
    "$VALISE" review --json --store "$(store "$1")" --key "$(nodekey "$1")" 2>/dev/null |
        grep -q "\"$2\""
}

# log_has NODE PATTERN: NODE's daemon log (since its last start) matches.
log_has() {
    # No -q: see s_ready (SIGPIPE under pipefail).
    tail -n +"$(cat "$T/$1/log.from" 2>/dev/null || echo 1)" "$(fed_log "$1")" | grep -E -- "$2" >/dev/null
}

# log_count NODE PATTERN: matching lines in NODE's whole log.
log_count() {
    grep -Ec -- "$2" "$(fed_log "$1")" || true
}

# ---- waiting -----------------------------------------------------------------------

fed_diag() {
    echo "---- heads" >&2
    fed_heads "${FED_NODES[@]}" >&2 || true
    local n
    for n in "${FED_NODES[@]}"; do
        echo "---- $n (pid ${FED_PID[$n]:-stopped}): last lines of $(fed_log "$n")" >&2
        tail -n 12 "$(fed_log "$n")" 2>/dev/null | cut -c1-240 >&2 || true
    done
}

# wait_until SECS CHECK...: poll CHECK (a command or function) every 50 ms.
wait_until() {
    local secs=$1
    shift
    local deadline=$(($(date +%s%N) / 1000000 + secs * 1000))
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [ "$(($(date +%s%N) / 1000000))" -ge "$deadline" ]; then
            echo "FAIL: timed out after ${secs}s waiting for: $*" >&2
            fed_diag
            exit 1
        fi
        sleep 0.05
    done
}

# ---- proposing and approving ------------------------------------------------------

# mkfork NAME FROM_NODE COUNT [--fat]: copy FROM_NODE's store to
# $SCRATCH/NAME and make COUNT approved entries there (new MU records).
mkfork() {
    local name=$1 from=$2 count=$3
    shift 3
    rm -rf "${SCRATCH:?}/$name"
    mkdir -p "$SCRATCH/$name"
    mdb_copy "$(store "$from")" "$SCRATCH/$name" || fail "mdb_copy $from"
    chmod 700 "$SCRATCH/$name"
    "$VL_RAWPEER" mkfork --store "$SCRATCH/$name" --key "$(nodekey "$from")" --author "$(key mu)" \
        --approver "$(key sec1)" --approver "$(key sec2)" --count "$count" --tag "$name" "$@" \
        >/dev/null || fail "mkfork $name"
}

# mkbulk NODE N: N more entries in NODE's store (its daemon not running),
# made by mkfork in $SCRATCH/bulk and appended by vl_rawpeer, at most
# VL_SYNC_BATCH at a time.
mkbulk() {
    local n=$1 count=$2 a b
    mkfork bulk "$n" "$count"
    for ((a = 1; a <= count; a += 1000)); do
        b=$((a + 999 > count ? count : a + 999))
        "$VL_RAWPEER" append --from "$SCRATCH/bulk:$a-$b" --store "$(store "$n")" \
            --key "$(nodekey "$n")" >"$T/append.out" 2>&1 ||
            fail "append $a-$b at $n: $(tail -3 "$T/append.out")"
    done
}

# propose_at NODE AUTHOR ARGS...: propose against NODE's store; prints the id.
propose_at() {
    local n=$1 author=$2
    shift 2
    "$VALISE" propose --store "$(store "$n")" --key "$(key "$author")" "$@" >"$T/propose.out" \
        2>"$T/propose.err" || fail "propose at $n: $(cat "$T/propose.err")"
    awk '/^proposed /{sub(":","",$2); print $2}' "$T/propose.out"
}

# approve_at NODE ID: both approvers ($FED_APPROVERS, default "sec1 sec2")
# approve ID in NODE's store; the entry is applied.
approve_at() {
    local n=$1 id=$2 a
    for a in ${FED_APPROVERS:-sec1 sec2}; do
        "$VALISE" approve "$id" --store "$(store "$n")" --key "$(key "$a")" >"$T/approve.out" 2>"$T/approve.err" ||
            fail "approve $id by $a at $n: $(cat "$T/approve.err")"
    done
    grep -q 'applied as entry' "$T/approve.out" || fail "approve $id at $n: not applied: $(cat "$T/approve.out")"
}

# record_json FILE ID PHONE [STATE]: STATE's authority record of the test
# data (MU by default) with a new id and phone, for proposals that do not
# depend on one another.
record_json() {
    "$PY" - "$DATA/${4:-MU}-01.json" "$2" "$3" >"$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["id"] = sys.argv[2]
r["contact"]["phones"] = [sys.argv[3]]
r.pop("treaties", None)
print(json.dumps(r))
EOF
}

# json_get EXPR < json
json_get() {
    "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# peer_field NODE ADDR_PREFIX EXPR: EXPR of NODE's status record of a peer.
peer_field() {
    fed_status "$1" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
ps = [p for p in d["peers"] if p["addr"].startswith(sys.argv[1])]
if not ps:
    sys.exit(1)
p = ps[0]
print(eval(sys.argv[2]))' "$2" "$3"
}

# ---- the convergence scenario shared by t_converge_*.sh ------------------------------

# converge_scenario SEC LEAF_MU LEAF_MG: every node running;
#  1. MU's authority proposes a new record at LEAF_MU; it travels to SEC, both
#     approvers approve it there; every node reaches the same head and root;
#  2. MG's authority proposes at LEAF_MG; SEC rejects it; the rejection
#     travels back: no node keeps it pending;
#  3. MU proposes an update at LEAF_MU, SEC approves: same head everywhere;
#  and no honest peer was ever dropped (duplicates arriving over several
#  paths are not misbehaviour).
converge_scenario() {
    local sec=$1 leaf_mu=$2 leaf_mg=$3 id n
    note "all nodes start at the genesis"
    wait_until 30 converged
    record_json "$T/mu1.json" MU-01 "+230 5550 1111"
    id=$(propose_at "$leaf_mu" mu --file "$T/mu1.json")
    note "mu proposed ${id:0:16} at $leaf_mu; waiting for it at $sec"
    wait_until 30 pending_at "$sec" "$id"
    approve_at "$sec" "$id"
    note "approved at $sec; waiting for every node to reach entry 1"
    wait_until 30 at_seq 1 "${FED_NODES[@]}"
    wait_until 30 converged

    record_json "$T/mg1.json" MG-01 "+261 20 555 0101"
    "$PY" - "$T/mg1.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["state"] = "MG"
json.dump(r, open(sys.argv[1], "w"))
PYEOF
    id=$(propose_at "$leaf_mg" mg --file "$T/mg1.json")
    note "mg proposed ${id:0:16} at $leaf_mg; waiting for it at $sec"
    wait_until 30 pending_at "$sec" "$id"
    "$VALISE" reject "$id" --reason "test: duplicate of an existing authority" \
        --store "$(store "$sec")" --key "$(key sec1)" >/dev/null || fail "reject at $sec"
    note "rejected at $sec; waiting until no node holds it pending"
    wait_until 30 converged

    id=$(propose_at "$leaf_mu" mu --set MU-01 'contact.phones[0]=+230 5550 9999')
    note "mu proposed the update ${id:0:16} at $leaf_mu"
    wait_until 30 pending_at "$sec" "$id"
    approve_at "$sec" "$id"
    wait_until 30 at_seq 2 "${FED_NODES[@]}"
    wait_until 30 converged
    fed_heads | awk '{printf "  %-10s seq %s head %.16s root %.16s\n", $1, $2, $3, $4}'
    "$VALISE" get MU-01 --store "$(store "$leaf_mg")" --key "$(nodekey "$leaf_mg")" | grep -q '+230 5550 9999' ||
        fail "the update is not readable at $leaf_mg"
    fed_alive "${FED_NODES[@]}"
    for n in "${FED_NODES[@]}"; do
        if log_has "$n" 'dropped:'; then
            grep -E 'dropped:' "$(fed_log "$n")" | head -5 >&2
            fail "$n dropped an honest peer"
        fi
        [ "$(fed_status "$n" | json_get 'sum(p["dropped"] for p in d["peers"])')" = 0 ] ||
            fail "$n's status counts drops of honest peers"
    done
    note "converged; no honest peer dropped"
}
