#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build a libFuzzer harness and run it: the canonical msgpack codec
# (fuzz_codec.c, the default) or the bundle and want-file readers
# (fuzz_bundle.c, VL_FUZZ_TARGET=bundle).
#
#   tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]      (default 30 s)
#   VL_FUZZ_TARGET=bundle tests/fuzz/run.sh [SECONDS] [...]
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

target=${VL_FUZZ_TARGET:-codec}
if [ "$target" = bundle ]; then
    # The bundle reader peeks at entries and policy documents: every other
    # protocol file is built with the harness (vl_bundle.c is included by it).
    mkdir -p "$out/corpus_bundle"
    srcs=()
    for f in "$root"/protocol/vl_*.c; do
        [ "$(basename "$f")" = vl_bundle.c ] || srcs+=("$f")
    done
    "$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -Wall -Wextra -Wno-unused-parameter \
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
        -I"$root/protocol" \
        "$here/fuzz_bundle.c" "${srcs[@]}" \
        -lmsgpackc -lsodium -ljansson -o "$out/fuzz_bundle"
    # Seeds: the docs/formats.md §11.6 bundle without its trailer (the
    # harness appends one signed by the same key), and its want file.
    seedhex() { printf '%s' "$2" | xxd -r -p > "$out/corpus_bundle/seed_$1"; }
    if [ -z "$(ls -A "$out/corpus_bundle")" ]; then
        seedhex body 56414c495345424400000001000000b18aa6636f756e747386a5656e74727900a865766964656e636500a5667265736800a6706f6c69637900a870726f706f73616c01a972656a656374696f6e01a466726f6d00a56d616b6572c420c6822637c7d310ec57627be00ba259d253749f4aaf644470cffbe53a35f73242a46e616d65a474657374a36e6574c4104e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4ea6706f6c69637901a474696d65ce665a6480a2746f00a474797065a662756e646c65a176010000001382a162c403010203a16ba870726f706f73616c0000001482a162c403040506a16ba972656a656374696f6e
        seedhex want 56414c4953455754000000010000006e88a56672657368ce6658dde0a468617368c4204848484848484848484848484848484848484848484848484848484848484848a46865616411a36e6574c4104e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4ea6706f6c69637901a474696d65ce665a6480a474797065a477616e74a17601
    fi
    exec "$out/fuzz_bundle" \
        -max_total_time="$secs" -malloc_limit_mb=256 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$out/bundle-" \
        "$@" "$out/corpus_bundle"
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
