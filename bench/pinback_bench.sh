#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Pulling back from a policy pin (docs/trust.md §1.2), timed: the Secretariat
# (sec) holds N entries and then version 2 (sec2 rotated to sec2b, from N+1:
# it pins entry N); a field office made from the genesis and version 2, at
# head 0, pulls the N entries back from the pin, stages them and applies them
# with every signature checked. Prints the seconds from the daemon's start to
# "applied N entries pulled back from the policy pin", and the field
# daemon's RssAnon and VmHWM then.
#   VALISE=... VALISE_NODE=... VL_RAWPEER=... VL_SOURCE_DIR=... \
#     bash bench/pinback_bench.sh [N]      (N: 100000 by default)
# (the environment of the fed_* tests: ctest -N -V -R fed_t_pinback shows it)
source "${VL_SOURCE_DIR:?}/tests/fed/lib.sh"
: "${VL_RAWPEER:?VL_RAWPEER must name the vl_rawpeer binary}"
N=${1:-100000}

fed_network sec field
fed_keys sec2b
note "making $N entries"
mkbulk sec "$N"
V() { "$VALISE" --store "$(store sec)" "$@"; }
V policy propose --key "$(key sec1)" --rotate "$(pub sec2)=$(pub sec2b)" --out "$T/v2.vlp" \
    >/dev/null || fail "policy propose"
V policy sign "$T/v2.vlp" --key "$(key sec2)" >/dev/null || fail "sign sec2"
V policy sign "$T/v2.vlp" --key "$(key sec2b)" --store-key "$(key sec)" >/dev/null || fail "sign sec2b"
V policy publish "$T/v2.vlp" --key "$(key sec)" >/dev/null 2>&1 || fail "publish"
rm -rf "$(store field)"
"$VALISE" init --genesis "$T/genesis.vlg" --policy "$T/v2.vlp" --key "$(key field)" \
    --store "$(store field)" >/dev/null 2>&1 || fail "init field at version 2"
fed_topology "field-sec"
fed_start sec
t0=$(date +%s.%N)
fed_start field
wait_until 3600 log_has field "applied $N entries pulled back from the policy pin"
t1=$(date +%s.%N)
mem=$(grep -E '^(RssAnon|VmHWM)' "/proc/${FED_PID[field]}/status" | tr -s ' \t' ' ' | tr '\n' ' ')
wait_until 60 converged sec field
# The apply (the event loop does nothing else meanwhile): between its two log lines.
apply_s=$("$PY" - "$(fed_log field)" <<'PYEOF'
import sys, datetime
t = {}
for line in open(sys.argv[1]):
    for key in ("reach our head; applying them", ": applied "):
        if key in line and key not in t:
            t[key] = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
a, b = t.get("reach our head; applying them"), t.get(": applied ")
print("%.1f" % (b - a).total_seconds() if a and b else "?")
PYEOF
)
echo "pinback_bench: $N entries pulled back and applied in $(echo "$t1 - $t0" | bc) s" \
    "(the apply: $apply_s s); field: $mem"
fed_stop field sec
