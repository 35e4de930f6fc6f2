#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t_quiet_cut - after a silent cut, two nodes agree again within two
# anti-entropy intervals (docs/protocol.md §3, a quiet peer; docs/testing.md
# §3.3).
#
# Two daemons, a and b, each in its own network namespace joined by a veth
# pair; a connects to b. An nftables rule in each namespace's input hook drops
# every packet from the other: silence, no reset, TCP retransmits with its
# doubling back-off. The cut is held CUT_MS (7 s, 7 x anti_entropy_ms), an
# entry is approved at a meanwhile, then the cut is healed and b must reach
# a's head within 2 x anti_entropy_ms + SLACK_MS (1 s: the heal and the status
# reads). Without the quiet-peer rule the next retransmission after such a cut
# comes about 5 s after the heal (RTO 0.2 s doubling: 0.2, 0.6, 1.4, 3.0, 6.2,
# 12.6 s after the first loss), and the test fails.
#
# Needs root, ip (iproute2) and nft (nftables); without them it FAILS (it never
# passes without having run).
set -euo pipefail

# shellcheck source=tests/fed/netns.sh
source "$(dirname "$0")/netns.sh"
vl_netns_require t_quiet_cut vlq

# shellcheck source=tests/fed/lib.sh
source "$(dirname "$0")/lib.sh"

AE_MS=1000
CUT_MS=7000
SLACK_MS=1000
FED_AE_MS=$AE_MS
FED_POLL_MS=50
FED_RECONNECT_MS=1000
FED_LOG_LEVEL=info
PORT=7101

q_cleanup() {
    local rc=$? n
    set +e
    (exit $rc)
    fed_cleanup
    for n in a b; do
        ip netns del "$NSP-$n" 2>/dev/null
    done
    exit $rc
}
trap q_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ipof() { case $1 in a) echo 198.18.1.1 ;; b) echo 198.18.1.2 ;; esac; }
nsx() { local n=$1; shift; ip netns exec "$NSP-$n" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

note "two namespaces joined by a veth pair"
ip netns add "$NSP-a" || fail "ip netns add $NSP-a"
ip netns add "$NSP-b" || fail "ip netns add $NSP-b"
nsx a ip link set lo up
nsx b ip link set lo up
nsx a ip link add eth0 type veth peer name eth0 netns "$NSP-b" || fail "veth pair"
for n in a b; do
    nsx "$n" ip addr add "$(ipof "$n")/24" dev eth0
    nsx "$n" ip link set eth0 up
    nsx "$n" nft -f - <<'EOF' || fail "nft: $n's table"
table inet vlq {
    set cut { type ipv4_addr; }
    chain in { type filter hook input priority 0; policy accept; ip saddr @cut drop; }
}
EOF
done
cut_on() {
    nsx a nft add element inet vlq cut "{ $(ipof b) }"
    nsx b nft add element inet vlq cut "{ $(ipof a) }"
}
cut_off() {
    nsx a nft flush set inet vlq cut
    nsx b nft flush set inet vlq cut
}

fed_network a b
for n in a b; do
    {
        printf '{\n  "store": "%s",\n  "key": "%s",\n  "pass_file": "%s",\n' \
            "$(store "$n")" "$(nodekey "$n")" "$T/pass"
        printf '  "listen": "tcp://%s:%s",\n  "peers": [' "$(ipof "$n")" "$PORT"
        [ "$n" != a ] || printf '\n    {"addr": "tcp://%s:%s", "name": "b"}' "$(ipof b)" "$PORT"
        printf '\n  ],\n  "timers": {"anti_entropy_ms": %s, "poll_ms": %s, "reconnect_max_ms": %s},\n' \
            "$FED_AE_MS" "$FED_POLL_MS" "$FED_RECONNECT_MS"
        printf '  "metrics": "127.0.0.1:9464",\n'
        printf '  "log_level": "%s",\n  "log_file": "-"\n}\n' "$FED_LOG_LEVEL"
    } >"$T/$n/node.json"
    touch "$(fed_log "$n")"
    echo 1 >"$T/$n/log.from"
    ip netns exec "$NSP-$n" "$VALISE_NODE" --config "$T/$n/node.json" >>"$(fed_log "$n")" 2>&1 &
    FED_PID[$n]=$!
done
wait_until 20 s_ready a
wait_until 20 s_ready b

note "a and b agree on a first entry"
record_json "$T/r1.json" MU-QC-1 "+1 555 0101"
id=$(propose_at a mu --file "$T/r1.json")
approve_at a "$id"
wait_until 30 converged a b

note "cut for $CUT_MS ms; an entry approved at a meanwhile"
record_json "$T/r2.json" MU-QC-2 "+1 555 0102"
t_cut=$(now_ms)
cut_on
id=$(propose_at a mu --file "$T/r2.json")
approve_at a "$id"
want=$(head_seq a)
while [ $(($(now_ms) - t_cut)) -lt "$CUT_MS" ]; do sleep 0.05; done
[ "$(head_seq b)" -lt "$want" ] || fail "b reached seq $want during the cut: the cut does not cut"

cut_off
t_heal=$(now_ms)
b_at_head() { [ "$(head_seq b)" -ge "$want" ]; }
wait_until 60 b_at_head
took=$(($(now_ms) - t_heal))
limit=$((2 * AE_MS + SLACK_MS))
note "b reached seq $want $took ms after the heal (limit $limit ms)"
[ "$took" -le "$limit" ] ||
    { fed_diag; fail "b reached a's head $took ms after the heal, over 2 x anti_entropy_ms + $SLACK_MS ms"; }
wait_until 30 converged a b

log_has a 're-creating the link' ||
    { fed_diag; fail "a did not log the re-created link"; }
scrape() { # NODE METRIC: its value, from NODE's metrics endpoint (inside its namespace)
    nsx "$1" "$PY" -c '
import sys, urllib.request
for line in urllib.request.urlopen("http://127.0.0.1:9464/metrics", timeout=5).read().decode().splitlines():
    if line.split(" ")[0] == sys.argv[1]:
        print(line.split(" ")[1])' "$2"
}
relinks=$(scrape a valise_links_recreated_total)
[ "${relinks:-0}" -ge 1 ] || fail "a's valise_links_recreated_total is '${relinks}' after the cut"
[ "$(scrape b 'valise_peers{direction="in",state="connected"}')" = 1 ] ||
    fail "b does not count exactly one connected in session after the heal"
note "a re-created its link $relinks times"
for n in a b; do
    if grep -q 'dropped:' "$(fed_log "$n")"; then
        fed_diag
        fail "$n dropped an honest peer"
    fi
done
fed_alive a b
echo "PASS t_quiet_cut: b at a's head $took ms after a $CUT_MS ms silent cut (limit $limit ms)"
