#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the libFuzzer harness for the canonical msgpack codec and run it.
#
#   tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]      (default 30 s)
#
# Needs clang 14 and libclang-rt-14-dev (Debian 12: apt-get install clang
# libclang-rt-14-dev), libmsgpack-dev and libsodium-dev. Build output, the
# growing corpus and any crash artifacts go to $VL_FUZZ_DIR (default
# build/fuzz under the repository root). Exit status is libFuzzer's: 0 when
# the time ran out without a finding.
set -euo pipefail

secs=${1:-30}
[ $# -gt 0 ] && shift
case $secs in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${VL_FUZZ_DIR:-$root/build/fuzz}
cc=${CC:-}
if [ -z "$cc" ]; then
    for c in clang-14 clang; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
if [ -z "$cc" ]; then
    echo "run.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

mkdir -p "$out/corpus_codec"
"$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Wno-unused-parameter \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$root/protocol" \
    "$here/fuzz_codec.c" "$root/protocol/vl_error.c" \
    -lmsgpackc -lsodium -o "$out/fuzz_codec"

# Seeds: a few canonical documents, so the fuzzer starts past the header.
seed() { printf "$2" > "$out/corpus_codec/seed_$1"; }
if [ -z "$(ls -A "$out/corpus_codec")" ]; then
    seed uint       '\x05'
    seed neg        '\xd1\x80\x00'
    seed str        '\xa1a'
    seed bin        '\xc4\x03\x00\xff\x10'
    seed map        '\x83\xa0\xc0\xa1a\x92\x01\xff\xa2ab\x81\xa1k\xa3caf'
    seed nested     '\x91\x91\x91\x91\x91\x91\x91\x90'
    seed big_int    '\xcf\xff\xff\xff\xff\xff\xff\xff\xff'
    seed utf8       '\xa4\xf0\x90\x8d\x88'
fi

exec "$out/fuzz_codec" \
    -max_total_time="$secs" -malloc_limit_mb=64 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$out/" \
    "$@" "$out/corpus_codec"
