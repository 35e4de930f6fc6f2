#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a packager gets: a Release build with every warning an error,
# `cmake --install` of both programs, no test code linked into either (nor
# the store's fault-injection hook), no
# arrow up or circle between files (check-layers.sh), and no production
# source file over 1,500 lines (docs/design.md §9).
#   bash tests/build/check-release.sh [BUILD_DIR]     (default build-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-release}
fail() { echo "check-release: FAIL: $*" >&2; exit 1; }

cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DVL_WERROR=ON -DVL_FAULTS=OFF -DVL_SANITIZE=OFF >/dev/null
# vl_man: the man pages cmake --install installs (a target only with help2man)
targets=(valise valise-node)
if command -v help2man >/dev/null; then targets+=(vl_man); fi
cmake --build "$B" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" >/dev/null
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$B" --prefix "$prefix" >/dev/null
for p in valise valise-node; do
    [ -x "$prefix/bin/$p" ] || fail "cmake --install did not install bin/$p"
    # Self-tests are vl_<module>_test, fixtures vl_testnet_*: neither ships.
    if nm "$prefix/bin/$p" | awk '{print $NF}' | grep -E '_test$|_test_|testnet'; then
        fail "bin/$p holds the test symbols above"
    fi
    # The store's fault-injection hook (VL_FAULTS, docs/testing.md §4) is for
    # test builds only: neither its function nor its variable may ship.
    if nm "$prefix/bin/$p" | awk '{print $NF}' | grep -E '^vls_fault$'; then
        fail "bin/$p holds the fault-injection hook (vls_fault)"
    fi
    if grep -q VALISE_FAULT "$prefix/bin/$p"; then
        fail "bin/$p holds the string VALISE_FAULT (the fault-injection hook)"
    fi
done
"$prefix/bin/valise" --help >/dev/null || fail "installed valise --help"
"$prefix/bin/valise-node" --help >/dev/null || fail "installed valise-node --help"
bash tests/build/check-layers.sh "$B" || fail "the layers (above)"
long=$(find protocol store node tools -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 1500')
[ -z "$long" ] || fail "production files over 1,500 lines:
$long"
echo "check-release: Release build clean, both programs installed, no test symbol, layers kept, no file over 1,500 lines"
