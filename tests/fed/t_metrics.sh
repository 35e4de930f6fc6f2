#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The metrics endpoint (docs/operator.md, "Monitoring"):
#  1. a non-loopback "metrics" address is refused when the configuration is
#     read (0.0.0.0, a LAN address, [::], a host name), with one clear line;
#  2. b serves Prometheus text on its loopback endpoint: every family has
#     HELP and TYPE lines, the peer is counted "connected";
#  3. a's store grows by 200 entries; b is scraped while it syncs them: its
#     valise_head_seq and valise_bytes_received_total move, and
#     valise_entries_received_total ends at 200; a's peer lag is 0 after;
#  4. anything but GET /metrics gets 404 / 405.
#
# Defences checked: the loopback check at config load (without it step 1
# starts); counters kept by the node and read on its own thread (the values
# move as the node applies entries).
source "$(dirname "$0")/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"

fed_network a b
mport=$(fed_ports_take 1) || fail "no free port"
FED_METRICS[b]="127.0.0.1:$mport"
fed_topology "b-a"

note "1. non-loopback metrics addresses are refused at config load"
for bad in "0.0.0.0:$mport" "192.168.1.10:$mport" "[::]:$mport" "localhost:$mport"; do
    sed -e "s|\"metrics\": \"[^\"]*\"|\"metrics\": \"$bad\"|" "$T/b/node.json" >"$T/b/bad.json"
    grep -qF "\"metrics\": \"$bad\"" "$T/b/bad.json" || fail "could not write the config for $bad"
    rc=0
    "$VALISE_NODE" --config "$T/b/bad.json" --check >"$T/bad.out" 2>"$T/bad.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "metrics \"$bad\": exit $rc (want 1)"
    [ "$(grep -c . "$T/bad.err")" -eq 1 ] || { cat "$T/bad.err" >&2; fail "metrics \"$bad\": not one line"; }
    grep -Eq "not a loopback address|must be an IP address" "$T/bad.err" ||
        { cat "$T/bad.err" >&2; fail "metrics \"$bad\": unclear refusal"; }
done
echo "    e.g. $(cat "$T/bad.err")"

fed_start a b
wait_until 30 converged
log_has b "metrics on http://127.0.0.1:$mport/metrics" || fail "b did not log its metrics endpoint"

# scrape [PATH]: the body of GET http://127.0.0.1:PORT/PATH; "HTTP CODE" on an error.
scrape() {
    "$PY" - "http://127.0.0.1:$mport${1:-/metrics}" <<'PYEOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
        sys.stdout.write(r.read().decode("utf-8"))
except urllib.error.HTTPError as e:
    print("HTTP", e.code)
PYEOF
}
# metric NAME [LABELS]: the value of one series of a scrape on stdin.
metric() {
    "$PY" -c '
import sys
want = sys.argv[1]
for line in sys.stdin:
    if line.startswith("#"):
        continue
    name, _, value = line.rstrip("\n").rpartition(" ")
    if name == want:
        print(value)
        sys.exit(0)
sys.exit(1)' "$1"
}

note "2. b serves Prometheus text"
scrape >"$T/m0.txt" || fail "scrape"
"$PY" - "$T/m0.txt" <<'PYEOF' || fail "the exposition text is malformed"
import re, sys
fams, typed, helped = set(), set(), set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        helped.add(line.split()[2])
    elif line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        assert kind in ("gauge", "counter"), line
        typed.add(name)
    else:
        m = re.match(r'^([a-z_]+)(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? (-?[0-9]+)$', line)
        assert m, "bad sample line: " + line
        assert m.group(1).startswith("valise_"), line
        fams.add(m.group(1))
assert fams <= typed and fams <= helped, (fams - typed, fams - helped)
for need in ("valise_head_seq", "valise_bytes_received_total", "valise_bytes_sent_total",
             "valise_entries_received_total", "valise_entries_sent_total", "valise_drops_total",
             "valise_handshakes_refused_total", "valise_haves_ignored_total",
             "valise_links_recreated_total",
             "valise_pending_proposals", "valise_peers",
             "valise_peer_lag_entries", "valise_peer_last_sync_timestamp_seconds"):
    assert need in fams, "missing " + need
PYEOF
[ "$(metric 'valise_peers{direction="out",state="connected"}' <"$T/m0.txt")" = 1 ] ||
    fail "b's peer is not counted connected"
seq0=$(metric valise_head_seq <"$T/m0.txt")
rx0=$(metric valise_bytes_received_total <"$T/m0.txt")
[ "$seq0" = 0 ] || fail "head seq before the sync: $seq0"

note "3. a's store grows by 200 entries; b is scraped while it syncs"
mkfork bulk a 200 --fat
"$VL_RAWPEER" append --from "$SCRATCH/bulk:1-200" --store "$(store a)" --key "$(key a)" ||
    fail "append at a"
seen=""
for i in $(seq 600); do
    scrape >"$T/m.txt" || fail "scrape during the sync"
    s=$(metric valise_head_seq <"$T/m.txt")
    [ "$s" = "$seen" ] || { seen=$s; echo "    scrape $i: valise_head_seq $s, bytes received $(metric valise_bytes_received_total <"$T/m.txt")"; }
    [ "$s" = 200 ] && break
    sleep 0.05
done
[ "$seen" = 200 ] || fail "valise_head_seq did not reach 200 (last: $seen)"
rx1=$(metric valise_bytes_received_total <"$T/m.txt")
[ "$rx1" -gt $((rx0 + 200 * 40000)) ] ||
    fail "valise_bytes_received_total moved from $rx0 to $rx1 only (200 entries of ~43 KB)"
[ "$(metric valise_entries_received_total <"$T/m.txt")" = 200 ] ||
    fail "valise_entries_received_total: $(metric valise_entries_received_total <"$T/m.txt")"
lag() { [ "$(scrape | metric "valise_peer_lag_entries{peer=\"tcp://127.0.0.1:${FED_PORT[a]}\",direction=\"out\",kid=\"$(fed_status a | json_get 'd["me"]' | sed 's/.*(\(.*\))/\1/')\",name=\"a\"}")" = 0 ]; }
wait_until 30 lag

note "4. only GET /metrics"
[ "$(scrape /other)" = "HTTP 404" ] || fail "GET /other: $(scrape /other)"
code=$("$PY" -c '
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"x", method="POST"), timeout=10)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)' "http://127.0.0.1:$mport/metrics")
[ "$code" = 405 ] || fail "POST /metrics: $code"
fed_alive a b
fed_stop a b  # a clean stop (exit 0) closes the endpoint too
note "ok: head seq 0 -> 200, bytes received $rx0 -> $rx1"
