#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README.md's "Using valise" walkthrough runs as written: every block marked
# <!-- doctest: readme --> (tests/docs/doctest.py), in order, in an empty
# directory, with nothing of valise's in the environment but the programs on
# PATH. Then its outcome is checked, so a block that silently does nothing
# fails too.
set -euo pipefail
: "${VALISE:?}" "${VL_SOURCE_DIR:?}"
mkdir -p "${VL_TEST_TMP:=/tmp}"
T=$(mktemp -d "$VL_TEST_TMP/doc-readme.XXXXXX")
trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$VL_SOURCE_DIR/tests/docs/doctest.py" "$VL_SOURCE_DIR/README.md" readme >"$T/walk.sh" ||
    fail "cannot extract the README walkthrough"
mkdir "$T/run"
bin=$(cd "$(dirname "$VALISE")" && pwd)
if ! (cd "$T/run" && env -u VALISE_PASSPHRASE -u VALISE_STORE -u VALISE_KEY -u VALISE_NOW \
    PATH="$bin:$PATH" bash "$T/walk.sh" >"$T/out" 2>"$T/err"); then
    cat "$T/out" "$T/err" >&2
    fail "the README walkthrough failed (script: $T/walk.sh)"
fi
grep -q 'applied as entry 1' "$T/out" || fail "the walkthrough's record was not applied"
grep -q 'applied as entry 2' "$T/out" || fail "the walkthrough's update was not applied"
grep -q 'office_hours: Mon-Fri 08:00-16:00' "$T/out" || fail "get does not show the update"
grep -q '^verify: OK (2 entries, 1 records' "$T/out" || fail "verify did not pass on 2 entries"
grep -q 'MU-01' "$T/run/directory.csv" || fail "the export lacks MU-01"
echo "t_doc_readme: OK"
