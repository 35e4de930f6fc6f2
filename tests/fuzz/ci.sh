#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The ctest fuzz_replay (registered only in the sanitizer build): build every
# libFuzzer harness with -fsanitize=fuzzer,address,undefined into OUTDIR,
# replay every committed seed corpus (tests/fuzz/corpus/<target>/), then
# fuzz each target for VL_FUZZ_CI_SECS seconds (default 3).
#
#   tests/fuzz/ci.sh OUTDIR
#
# Missing clang or libFuzzer is a failure, not a skip: this test is where
# the harnesses are kept building and their corpora passing.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=$1
secs=${VL_FUZZ_CI_SECS:-3}
mkdir -p "$out"

cc=${CC:-}
for c in clang-14 clang; do
    [ -n "$cc" ] && break
    command -v "$c" >/dev/null 2>&1 && cc=$c
done
if [ -z "$cc" ]; then
    echo "FAIL fuzz_replay: clang not found; install clang and libclang-rt-14-dev (scripts/setup.sh)" >&2
    exit 1
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
    > "$out/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" 2>"$out/probe.err"; then
    cat "$out/probe.err" >&2
    echo "FAIL fuzz_replay: $cc cannot link a libFuzzer program; install libclang-rt-14-dev (scripts/setup.sh)" >&2
    exit 1
fi

export CC=$cc VL_FUZZ_DIR=$out VL_FUZZ_TARGET=all
start=$(date +%s)
bash "$here/run.sh" 0 || { echo "FAIL fuzz_replay: a seed corpus failed (see above)" >&2; exit 1; }
echo "replayed every corpus in $(( $(date +%s) - start )) s (including the build)"
if [ "$secs" -gt 0 ]; then
    bash "$here/run.sh" "$secs" || { echo "FAIL fuzz_replay: a fuzzer found an input (artifacts in $out)" >&2; exit 1; }
fi
echo "fuzz_replay: every target built, replayed and fuzzed ${secs} s in $(( $(date +%s) - start )) s"
