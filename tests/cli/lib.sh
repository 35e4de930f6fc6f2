# SPDX-License-Identifier: MIT
# lib.sh - shared helpers of the command-line tests (sourced, never run).
#
# ctest runs each tests/cli/t_*.sh with VALISE (the binary), VL_SOURCE_DIR and
# VL_TEST_TMP set. A test sources this file, calls `vl_network` for the
# standard network, then asserts. Every check fails loudly with "FAIL: ...".
#
# The standard network (vl_network):
#   sec1, sec2  approvers (the Secretariat), threshold 2
#   mu          central authority for MU;  mg  central authority for MG
#   node        the node key that created the store
#   records     MU-01, MG-01 (authorities) and IOC-BIL-MU-MG (agreement),
#               proposed by sec1 and approved by sec1 and sec2: entry 1
# Keys use --kdf interactive and the passphrase in $VALISE_PASSPHRASE.

set -euo pipefail

: "${VALISE:?VALISE must name the valise binary}"
: "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}"
: "${VL_TEST_TMP:=/tmp}"

mkdir -p "$VL_TEST_TMP"
T=$(mktemp -d "$VL_TEST_TMP/cli.XXXXXX")
# Keep the directory of a failed test for inspection.
trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT
cd "$T"

DATA="$VL_SOURCE_DIR/tests/cli/data"
export VALISE_PASSPHRASE="correct horse battery staple"
export VALISE_NOW=1717200000   # 2024-06-01T00:00:00Z: reproducible output
export VALISE_STORE="$T/store"
# The high-water marks (docs/store.md §8) of this test's stores, kept apart.
export VALISE_STATE_DIR="$T/state"
unset VALISE_KEY

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# ok ARGS...: valise must succeed; stdout in $T/out, stderr in $T/err.
ok() {
    if ! "$VALISE" "$@" >"$T/out" 2>"$T/err"; then
        fail "valise $* failed: $(cat "$T/err")"
    fi
}

# refused CODE PATTERN ARGS...: valise must exit with CODE and print exactly
# one line on stderr, starting with "valise " and matching PATTERN (grep -E).
refused() {
    local code=$1 pat=$2
    shift 2
    local rc=0
    "$VALISE" "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "valise $* was accepted; expected a refusal matching /$pat/"
    fi
    [ "$rc" -eq "$code" ] || fail "valise $* exited $rc, expected $code: $(cat "$T/err")"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "valise $*: expected one line on stderr, got: $(cat "$T/err")"
    grep -Eq '^valise[ :]' "$T/err" || fail "valise $*: stderr does not start with 'valise': $(cat "$T/err")"
    grep -Eq -- "$pat" "$T/err" || fail "valise $*: stderr does not match /$pat/: $(cat "$T/err")"
    # VL_TRACE=1 shows every refusal (to check what a test really matched).
    if [ -n "${VL_TRACE:-}" ]; then echo "refused: $(cat "$T/err")" >&2; fi
    return 0
}

# has PATTERN [FILE]: FILE (default $T/out) must match PATTERN (grep -E).
has() {
    local f=${2:-$T/out}
    grep -Eq -- "$1" "$f" || fail "expected /$1/ in $(basename "$f"): $(cat "$f")"
}

# hasnt PATTERN [FILE]
hasnt() {
    local f=${2:-$T/out}
    if grep -Eq -- "$1" "$f"; then
        fail "did not expect /$1/ in $(basename "$f"): $(cat "$f")"
    fi
}

# json_get EXPR < json: print a value with the system Python (no jq needed).
json_get() {
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# snapshot FILE: everything a store shows (head, records, pending work).
snapshot() {
    {
        "$VALISE" status --json --key "$T/node.key"
        "$VALISE" export --key "$T/node.key"
        "$VALISE" review --json --key "$T/node.key"
        "$VALISE" log --json --key "$T/node.key"
    } >"$1" 2>&1 || fail "snapshot failed: $(cat "$1")"
}

# unchanged SNAPSHOT: the store must show exactly what SNAPSHOT recorded.
unchanged() {
    snapshot "$T/snap.now"
    cmp -s "$1" "$T/snap.now" || fail "the store changed: $(diff "$1" "$T/snap.now" | head -20)"
}

# pending_ids: ids of pending proposals, one per line.
pending_ids() {
    "$VALISE" review --json --key "$T/node.key" | json_get '"\n".join(p["id"] for p in d)'
}

vl_keys() {
    local k
    for k in "$@"; do
        "$VALISE" keygen --out "$T/$k" --kdf interactive >/dev/null || fail "keygen $k"
    done
}

# vl_genesis OUT: the standard genesis, signed by both approvers. Extra
# genesis create options may be set beforehand in the array VL_GENESIS_ARGS
# (e.g. VL_GENESIS_ARGS=(--fresh-node "$T/node.pub")).
vl_genesis() {
    "$VALISE" genesis create --name "IOC judicial platform (test)" --threshold 2 \
        --approver "$T/sec1.pub" "$T/sec2.pub" \
        --authority "MU=$T/mu.pub" --authority "MG=$T/mg.pub" \
        --node "$T/node.pub" ${VL_GENESIS_ARGS[@]+"${VL_GENESIS_ARGS[@]}"} \
        --out "$1" >/dev/null || fail "genesis create"
    "$VALISE" genesis sign "$1" --key "$T/sec1.key" >/dev/null || fail "genesis sign sec1"
    "$VALISE" genesis sign "$1" --key "$T/sec2.key" >/dev/null || fail "genesis sign sec2"
}

# approve_both ID: sec1 then sec2 approve; the entry is applied.
approve_both() {
    "$VALISE" approve "$1" --key "$T/sec1.key" >/dev/null || fail "approve $1 by sec1"
    "$VALISE" approve "$1" --key "$T/sec2.key" >"$T/out" || fail "approve $1 by sec2"
    grep -q "applied as entry" "$T/out" || fail "approve $1: not applied: $(cat "$T/out")"
}

# propose_id ARGS...: run propose, print the new proposal id.
propose_id() {
    "$VALISE" propose "$@" >"$T/out" 2>"$T/err" || fail "propose $*: $(cat "$T/err")"
    awk '/^proposed /{sub(":","",$2); print $2}' "$T/out"
}

vl_network() {
    vl_keys sec1 sec2 mu mg node
    vl_genesis "$T/genesis.vlg"
    "$VALISE" init --genesis "$T/genesis.vlg" --key "$T/node.key" >/dev/null || fail "init"
    {
        echo '['
        cat "$DATA/MU-01.json"
        echo ','
        cat "$DATA/MG-01.json"
        echo ','
        cat "$DATA/IOC-BIL-MU-MG.json"
        echo ']'
    } >"$T/load.json"
    local id
    id=$(propose_id --file "$T/load.json" --key "$T/sec1.key")
    [ -n "$id" ] || fail "no proposal id"
    approve_both "$id"
}

# flip_last IN OUT: a copy of IN with the last byte's lowest bit flipped
# (inside the last signature of a policy document or statement).
flip_last() {
    local size last
    size=$(stat -c %s "$1")
    last=$(tail -c 1 "$1" | od -An -tu1 | tr -d ' ')
    { head -c $((size - 1)) "$1"; printf "\\$(printf '%03o' $(((last ^ 1) & 255)))"; } >"$2"
    [ "$(stat -c %s "$2")" -eq "$size" ] || fail "flip_last: $2 has the wrong size"
    cmp -s "$1" "$2" && fail "flip_last: nothing changed"
    return 0
}

# hex STRING: bytes of STRING (printf %b escapes allowed, e.g. \0) as hex.
hex() {
    printf '%b' "$1" | od -An -tx1 | tr -d ' \n'
}

# lmdb_edit DB KEYHEX ACTION [ARG]: change the store's LMDB file behind
# valise's back. The whole environment is dumped with mdb_dump, one pair of
# database DB is edited, and the environment is rebuilt with mdb_load.
#   flip         flip the last hex digit of the value of KEYHEX
#   rekey NEWHEX replace the key KEYHEX by NEWHEX (same value)
#   drop         remove the pair
lmdb_edit() {
    local db=$1 key=$2 action=$3 arg=${4:-}
    command -v mdb_dump >/dev/null || fail "mdb_dump missing (install lmdb-utils)"
    mdb_dump -a "$VALISE_STORE" >"$T/lmdb.dump"
    awk -v db="$db" -v key=" $key" -v act="$action" -v arg="$arg" '
        BEGIN { found = 0 }
        /^database=/ { cur = substr($0, 10) }
        /^HEADER=END/ { indata = 1; n = 0; print; next }
        /^DATA=END/ { indata = 0; print; next }
        indata && cur == db {
            n++
            if (n % 2 == 1) { k = $0; next }
            v = $0
            if (k == key) {
                found = 1
                if (act == "drop") next
                if (act == "rekey") k = " " arg
                if (act == "flip") {
                    c = substr(v, length(v), 1)
                    f = substr("1032547698badcfe", index("0123456789abcdef", c), 1)
                    v = substr(v, 1, length(v) - 1) f
                }
            }
            print k; print v; next
        }
        { print }
        END { if (!found) exit 3 }
    ' "$T/lmdb.dump" >"$T/lmdb.edited" || fail "lmdb_edit: key $key not found in $db"
    rm -rf "$T/lmdb.new"
    mkdir "$T/lmdb.new"
    mdb_load -f "$T/lmdb.edited" "$T/lmdb.new" 2>"$T/lmdb.err" || fail "mdb_load: $(cat "$T/lmdb.err")"
    cp "$T/lmdb.new/data.mdb" "$VALISE_STORE/data.mdb"
    chmod 600 "$VALISE_STORE/data.mdb"
}
