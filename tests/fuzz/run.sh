#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the libFuzzer harnesses (tests/fuzz/fuzz_<target>.c) and run one or
# all of them.
#
#   VL_FUZZ_TARGET=msg tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
#   VL_FUZZ_TARGET=all tests/fuzz/run.sh 5      every target in turn, 5 s each
#   VL_FUZZ_TARGET=all tests/fuzz/run.sh 0      replay every seed corpus only
#
# Targets: codec bundle msg entry evidence proposal zframe rejection policy
# fresh keyfile pubfile record config (default: codec). SECONDS defaults to 30;
# 0 replays tests/fuzz/corpus/<target>/ once (-runs=0) and fuzzes nothing.
#
# Each harness #includes the .c it tests (so its statics are instrumented);
# the other sources come from one static library of protocol/ and the node
# config reader built with the same flags, from which the linker takes only
# what the harness needs. Needs clang 14 and libclang-rt-14-dev (Debian 12:
# apt-get install clang libclang-rt-14-dev), libmsgpack-dev, libsodium-dev,
# libjansson-dev, libzstd-dev. Output goes to $VL_FUZZ_DIR (default build/fuzz): the
# binaries, a growing corpus per target (corpus_<target>, read together with
# the committed seeds, which are never written) and crash artifacts
# (<target>-crash-*). Exit status: 0 when every run ended without a finding;
# 1 on a finding or a build failure; 2 on a usage error.
set -euo pipefail

secs=${1:-30}
[ $# -gt 0 ] && shift
case $secs in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${VL_FUZZ_DIR:-$root/build/fuzz}
all_targets="codec bundle msg entry evidence proposal zframe rejection policy fresh keyfile pubfile record config"
target=${VL_FUZZ_TARGET:-codec}
if [ "$target" = all ]; then
    targets=$all_targets
else
    case " $all_targets " in
        *" $target "*) targets=$target ;;
        *) echo "run.sh: unknown target '$target' (one of: $all_targets, all)" >&2; exit 2 ;;
    esac
fi

cc=${CC:-}
if [ -z "$cc" ]; then
    for c in clang-14 clang; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
if [ -z "$cc" ]; then
    echo "run.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi

cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Wno-unused-parameter
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
        "-DVL_FUZZ_VECTORS=\"$root/tests/vectors/vectors.txt\""
        -I"$root/protocol" -I"$root/node")
libs=(-lmsgpackc -lsodium -ljansson -lmicrohttpd -lzstd)
mkdir -p "$out/obj"

# The library: rebuilt when a source is newer than the archive.
lib=$out/libvlfuzz.a
srcs=("$root"/protocol/vl_*.c "$root"/node/vl_{config,metrics,log}.c)
stale=0
[ -f "$lib" ] || stale=1
for s in "$here/run.sh" "${srcs[@]}" "$root"/protocol/*.h "$root"/node/vl_{config,metrics,log}.h; do
    [ "$stale" = 1 ] && break
    [ "$s" -nt "$lib" ] && stale=1
done
if [ "$stale" = 1 ]; then
    rm -f "$lib" "$out"/obj/*.o
    # Two compilers at a time (the machine is shared); any failure stops here.
    running=0
    for s in "${srcs[@]}"; do
        "$cc" "${cflags[@]}" -c "$s" -o "$out/obj/$(basename "$s" .c).o" &
        running=$((running + 1))
        if [ "$running" -ge 2 ]; then wait -n; running=$((running - 1)); fi
    done
    wait
    for s in "${srcs[@]}"; do
        [ -f "$out/obj/$(basename "$s" .c).o" ] ||
            { echo "run.sh: cannot compile $s" >&2; exit 1; }
    done
    ar rcs "$lib" "$out"/obj/*.o
fi

status=0
for t in $targets; do
    bin=$out/fuzz_$t
    if [ ! -x "$bin" ] || [ "$here/fuzz_$t.c" -nt "$bin" ] || [ "$lib" -nt "$bin" ] ||
       [ "$here/fuzz_common.h" -nt "$bin" ]; then
        "$cc" "${cflags[@]}" -fsanitize=fuzzer "$here/fuzz_$t.c" "$lib" "${libs[@]}" -o "$bin"
    fi
    seeds=$here/corpus/$t
    case $t in
        codec) lim=(-malloc_limit_mb=64 -max_len=4096) ;;
        *) lim=(-malloc_limit_mb=256 -max_len=65536) ;;
    esac
    if [ "$secs" = 0 ]; then
        echo "== $t: replay $(ls "$seeds" | wc -l) seeds"
        "$bin" -runs=0 "${lim[@]}" -artifact_prefix="$out/$t-" "$@" "$seeds" || status=1
        continue
    fi
    mkdir -p "$out/corpus_$t"
    echo "== $t: $secs s"
    "$bin" -max_total_time="$secs" "${lim[@]}" -print_final_stats=1 \
        -artifact_prefix="$out/$t-" "$@" "$out/corpus_$t" "$seeds" || status=1
done
exit $status
