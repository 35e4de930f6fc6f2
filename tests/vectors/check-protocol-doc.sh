#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/protocol.md quotes the example messages that the code produces
# (vl_vectors --messages): fail if any of them is missing or differs.
#   bash tests/vectors/check-protocol-doc.sh VL_VECTORS DOC [MODE]
# MODE is the vl_vectors option that prints the lines (default --messages;
# --bundle for the bundle example of docs/formats.md §11).
set -euo pipefail
bin=$1 doc=$2 mode=${3:---messages}
flat=$(grep -E '^[0-9a-f]+$' "$doc" | tr -d '\n')
fail=0 n=0
while IFS='=' read -r name hex; do
  n=$((n + 1))
  case "$flat" in
    *"$hex"*) ;;
    *) echo "FAIL: $doc does not quote $name as the code encodes it: $hex"; fail=1 ;;
  esac
done < <("$bin" "$mode")
[ "$n" -gt 0 ] || { echo "FAIL: no messages"; fail=1; }
if [ "$fail" -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
echo "$n messages quoted exactly; 1 passed, 0 failed"
