#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Global options before the command (`valise --json status`) mean exactly
# what they mean after it: same output, same refusals; the one after wins.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
printf '%s\n' "$VALISE_PASSPHRASE" >"$T/pass.txt"
chmod 600 "$T/pass.txt"

# same "BEFORE..." "CMD [AFTER-ARGS]...": both orders succeed with the same
# stdout. The command and its arguments come last in both.
same() {
    local before=$1 cmd=$2
    # shellcheck disable=SC2086
    ok $before $cmd
    cp "$T/out" "$T/out.before"
    # shellcheck disable=SC2086
    ok $cmd $before
    cmp -s "$T/out.before" "$T/out" ||
        fail "valise $before $cmd differs from valise $cmd $before: $(diff "$T/out.before" "$T/out" | head)"
    [ -s "$T/out" ] || fail "valise $cmd $before: no output"
}

K="$T/node.key"
same "--json --key $K" "status"
has '"network_id"' "$T/out.before"
same "--json --key $K" "get MU-01"
same "--json --key $K" "find --state MU"
same "--json --key $K" "log"
same "--json --key $K" "review"
same "--json --key $K" "policy show"
same "--key $K" "export --format csv"

# --store: a store somewhere else, named before the command.
mv "$T/store" "$T/elsewhere"
unset VALISE_STORE
same "--store $T/elsewhere --key $K --json" "get MU-01"
same "--store=$T/elsewhere --key=$K" "status"
refused 1 "not found" --key "$K" status
# The option after the command wins over the one before it.
ok --store "$T/nowhere" --key "$K" status --store "$T/elsewhere"
export VALISE_STORE="$T/elsewhere"

# --pass-file and --pass-env before the command.
(unset VALISE_PASSPHRASE; "$VALISE" --pass-file "$T/pass.txt" --key "$K" status >/dev/null) ||
    fail "--pass-file before the command did not work"
(unset VALISE_PASSPHRASE; MYPASS="correct horse battery staple" \
    "$VALISE" --pass-env MYPASS --json status --key "$K" >/dev/null) ||
    fail "--pass-env before the command did not work"

# Refusals are the same too: --json on a command without it, a flag given a
# value, an option that is not global, a missing value.
refused 2 "valise edition: unknown option --json" edition --json --out "$T/e.html" --key "$K"
refused 2 "valise edition: unknown option --json" --json edition --out "$T/e.html" --key "$K"
[ ! -e "$T/e.html" ] || fail "a refused edition wrote its file"
refused 2 "option --json takes no value" --json=1 status
refused 2 "unknown option --state" --state MU find
refused 2 "unknown option --bogus" --bogus status
refused 2 "option --key needs a value" --key
echo "t_globals: OK"
