#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --version: both programs print the project version (CMakeLists.txt) and the
# protocol, store and document format versions they speak, on stdout, exit 0.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
: "${VALISE_NODE:?VALISE_NODE must name the valise-node binary}"

ver=$(sed -n 's/^project(valise VERSION \([0-9.]*\) .*/\1/p' "$VL_SOURCE_DIR/CMakeLists.txt")
[ -n "$ver" ] || fail "no project version in CMakeLists.txt"
formats='\(protocol 1, store format 4, formats: entry 1, proposal 2, policy 1, rejection 1, fresh 1, bundle 1\)$'

ok --version
has "^valise $ver $formats"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "valise --version: not one line: $(cat "$T/out")"
[ -s "$T/err" ] && fail "valise --version wrote to stderr: $(cat "$T/err")"

rc=0
"$VALISE_NODE" --version >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 0 ] || fail "valise-node --version exited $rc: $(cat "$T/err")"
has "^valise-node $ver $formats"
[ -s "$T/err" ] && fail "valise-node --version wrote to stderr: $(cat "$T/err")"

# Both help texts name the option.
ok --help
has '[-]-version'
"$VALISE_NODE" --help >"$T/out" || fail "valise-node --help"
has '[-]-version'
echo "t_version: OK"
