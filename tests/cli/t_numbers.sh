#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every numeric option goes through one checked parser: digits only (no sign,
# no space, no "0x"), no overflow, within the option's range. A bad value is a
# usage error (exit 2, one line naming the option and its range), before
# anything is read or written: the store is unchanged, no file appears.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
snapshot "$T/snap.0"
N=(--key "$T/node.key")

# bad OPTION RANGE_TEXT OUT_OF_RANGE... -- COMMAND...: every malformed value and
# every out-of-range value given to OPTION is refused with exit 2.
bad() {
    local opt=$1 range=$2
    shift 2
    local -a extra=()
    while [ "$1" != "--" ]; do
        extra+=("$1")
        shift
    done
    shift
    local v
    for v in -5 18446744073709551617 12abc '' ' 5' +5 0x10 5.0 '1 2' "${extra[@]}"; do
        refused 2 "^valise .*--$opt wants a whole number from $range, not '" "$@" "--$opt" "$v"
        [ ! -s "$T/out" ] || fail "--$opt '$v': something on stdout: $(cat "$T/out")"
        refused 2 "--$opt wants a whole number from $range" "$@" "--$opt=$v"
    done
}

bad limit "1 to 1000000" 0 1000001 -- find "${N[@]}"
bad limit "1 to 1000000" 0 -- find --json "${N[@]}"
bad limit "1 to 1000000" 0 1000001 -- proposals "${N[@]}"
bad ttl "1 to 2592000" 0 2592001 -- fresh issue "${N[@]}"
bad from "1 to 9223372036854775807" 0 9223372036854775808 -- log "${N[@]}"
bad to "1 to 9223372036854775807" 0 18446744073709551615 -- log --json "${N[@]}"
bad threshold "1 to 32" 0 33 -- policy propose --out "$T/pp.vlp" --key "$T/sec1.key"
bad seed "0 to 18446744073709551615" 18446744073709551616 -- sample --out "$T/sample.json"
bad count-scale "1 to 20" 0 21 -- sample --out "$T/sample.json"
bad threshold "1 to 32" 0 33 -- genesis create --name X --approver "$T/sec1.pub" \
    --authority "MU=$T/mu.pub" --node "$T/node.pub" --out "$T/g2.vlg"

# The value is quoted escaped: a control byte in it does not reach the terminal.
refused 2 "--limit wants .*not '1\\\\x1b\[2J'" find --limit "$(printf '1\033[2J')" "${N[@]}"
if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$T/err"; then fail "raw control byte in: $(cat -A "$T/err")"; fi

# Nothing was written, nothing changed.
for f in pp.vlp sample.json g2.vlg; do
    [ ! -e "$T/$f" ] || fail "$f was written"
done
unchanged "$T/snap.0"

# The bounds themselves are accepted.
ok find --limit 1 "${N[@]}"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --limit 1: $(cat "$T/out")"
ok find --limit 1000000 "${N[@]}"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "find --limit 1000000: $(cat "$T/out")"
ok log --from 1 --to 9223372036854775807 "${N[@]}"
has '^#1 '
ok sample --seed 18446744073709551615 --count-scale 1 --out "$T/s.json"
[ -s "$T/s.json" ] || fail "sample with the largest seed wrote nothing"
ok proposals --all --limit 1000000 --key "$T/sec1.key"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "proposals --limit 1000000: $(cat "$T/out")"
# A leading zero is still a number.
ok find --limit 01 "${N[@]}"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --limit 01: $(cat "$T/out")"
echo "t_numbers: OK"
