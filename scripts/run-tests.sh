#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build, check the Release build a packager gets,
# and run every test twice: on the optimised build and on the ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== build: Release with -Werror, install, no test code shipped"
bash tests/build/check-release.sh build-release
echo "== tests: release build"
ctest --test-dir build --no-tests=error --output-on-failure -j 2
echo "== tests: ASan + UBSan build"
ctest --test-dir build-asan --no-tests=error --output-on-failure -j 2
echo "== test vectors: Ed25519 signatures checked with OpenSSL"
bash tests/vectors/check-openssl.sh
