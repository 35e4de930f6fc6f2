#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/limits.md's tables equal what tests/docs/spec_tables.py makes from the
# headers, and the C compiler agrees with every number in them.
set -euo pipefail
SRC=${1:?usage: check-spec-tables.sh SRC [CC]}
CC=${2:-cc}
python3 "$SRC/tests/docs/spec_tables.py" "$SRC" --check "$SRC/docs/limits.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$SRC/tests/docs/spec_tables.py" "$SRC" --asserts >"$tmp/asserts.c"
n=$(grep -c '^_Static_assert' "$tmp/asserts.c")
"$CC" -std=c11 -fsyntax-only -I"$SRC/protocol" "$tmp/asserts.c"
echo "spec_tables: docs/limits.md matches the headers ($n numbers checked by the compiler)"
