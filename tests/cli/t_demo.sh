#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/demo.sh runs from start to end against the built binary, and its
# key claims show in its output, the field office story of
# scripts/demo-field.sh (bundles on a stick, no daemon) included, and its
# ending: the printed edition and the web view, which must not outlive it.
set -euo pipefail
: "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}" "${VALISE:?VALISE must name the binary}"
mkdir -p "${VL_TEST_TMP:=/tmp}"
out=$(mktemp "$VL_TEST_TMP/demo.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! TMPDIR="$VL_TEST_TMP" VALISE="$VALISE" bash "$VL_SOURCE_DIR/scripts/demo.sh" >"$out" 2>&1; then
    cat "$out" >&2
    echo "FAIL: scripts/demo.sh failed" >&2
    exit 1
fi
for want in 'demo: all steps behaved as expected' \
    'valise propose: not permitted: MU central authority .* may not edit records of MG' \
    '~ contact.phones\[0\]: ".*" -> "\+230 5550 7777"' \
    'applied as entry' \
    '^verify: OK' \
    'in data.mdb: 0' \
    '^importable: yes' \
    '^imported entries 1\.\.' \
    'in clear in the bundle file: 0 times' \
    '^nothing new' \
    'field office and Secretariat: same head, same hash, same state root' \
    '^edition: wrote edition\.html \(en; [0-9]+ States, [0-9]+ authorities, [0-9]+ agreements; head #' \
    '^\(the edition is .*/edition\.html' \
    '^edition: wrote edition-sahel-fr\.html \(fr; 5 States, ' \
    '^valise serve: http://127\.0\.0\.1:[0-9]+/ \(Ctrl-C to stop\)' \
    '^HTTP/1\.1 200 OK' \
    "\(Niger's authorities, not Nigeria's\)" \
    '^The web view is at http://127\.0\.0\.1:[0-9]+/ until the demo ends'; do
    grep -Eq -- "$want" "$out" || { cat "$out" >&2; echo "FAIL: demo output lacks /$want/" >&2; exit 1; }
done
# The web view stopped with the demo: its port no longer answers.
port=$(sed -n 's|^valise serve: http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out")
[ -n "$port" ] || { echo "FAIL: no port in the demo's output" >&2; exit 1; }
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "FAIL: valise serve on port $port outlived the demo" >&2
    exit 1
fi
echo "t_demo: OK"
