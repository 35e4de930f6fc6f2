#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/operator.md §7 (three nodes: Secretariat, regional node, field office)
# runs as written: every block marked <!-- doctest: federation -->
# (tests/docs/doctest.py), in order, in an empty directory, with only the
# programs on PATH. The one change: the walkthrough's ports 7101 and 7102
# become two free ports from the test registry, so tests running at the same
# time cannot collide. Then the outcome is checked on all three stores.
. "$(dirname "$0")/lib.sh"

python3 "$VL_SOURCE_DIR/tests/docs/doctest.py" "$VL_SOURCE_DIR/docs/operator.md" federation \
    >"$T/walk.sh" || fail "cannot extract the operator.md walkthrough"
ports=$(fed_ports_take 2) || fail "no free ports"
read -r p1 p2 <<<"$ports"
sed -i -e "s/:7101\b/:$p1/g" -e "s/:7102\b/:$p2/g" "$T/walk.sh"
grep -q ":$p1" "$T/walk.sh" && grep -q ":$p2" "$T/walk.sh" || fail "the walkthrough names no ports 7101/7102"

mkdir "$T/run"
bin=$(cd "$(dirname "$VALISE")" && pwd)
nodebin=$(cd "$(dirname "$VALISE_NODE")" && pwd)
# The walkthrough's daemons run in their own process group, killed at exit
# whatever happens to the walkthrough's own shell.
trap 'kill -KILL -- -$walk 2>/dev/null || true; fed_cleanup' EXIT
note "running docs/operator.md §7"
(cd "$T/run" && exec setsid env -u VALISE_PASSPHRASE -u VALISE_STORE -u VALISE_KEY \
    PATH="$bin:$nodebin:$PATH" timeout 200 bash "$T/walk.sh" >"$T/out" 2>"$T/err") &
walk=$!
wait "$walk" || { cat "$T/out" "$T/err" >&2; tail -n 20 "$T"/run/*.log >&2 || true;
    fail "the operator.md walkthrough failed (script: $T/walk.sh)"; }

grep -q 'applied as entry' "$T/out" || fail "the walkthrough applied nothing"
export VALISE_PASSPHRASE="walkthrough only: choose your own"
heads=$(for n in vienna region field; do
    "$VALISE" status --json --store "$T/run/$n-store" --key "$T/run/$n.key" |
        python3 -c 'import json,sys; h=json.load(sys.stdin)["head"]; print(h["seq"], h["hash"], h["root"])'
done | sort -u)
[ "$(wc -l <<<"$heads")" -eq 1 ] || fail "the three nodes differ: $heads"
"$VALISE" get MU-01 --store "$T/run/vienna-store" --key "$T/run/vienna.key" | grep -q '5550 7777' ||
    fail "the Secretariat's store lacks the field office's update"
note "three nodes at the same head: $heads"
echo "t_doc_operator: OK"
