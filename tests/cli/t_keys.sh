#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keys: a wrong passphrase, an unknown key (not in the genesis) opening the
# store or proposing, a key file readable by others, a damaged key file,
# no passphrase source, and passphrases from a file or another variable.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
vl_keys outsider
snapshot "$T/snap.0"

# Wrong passphrase, for a read and for a write.
VALISE_PASSPHRASE=wrong refused 1 "authentication failed.*mu.key" status --key "$T/mu.key"
VALISE_PASSPHRASE=wrong refused 1 "authentication failed" \
    propose --key "$T/mu.key" --set MU-01 'office_hours=Closed'
VALISE_PASSPHRASE=wrong refused 1 "authentication failed" approve --all --key "$T/sec1.key"
unchanged "$T/snap.0"

# Passphrase from a file (first line) and from another variable.
printf '%s\n' "$VALISE_PASSPHRASE" >"$T/pass.txt"
chmod 600 "$T/pass.txt"
(unset VALISE_PASSPHRASE; "$VALISE" status --key "$T/mu.key" --pass-file "$T/pass.txt" >/dev/null) ||
    fail "--pass-file did not work"
(unset VALISE_PASSPHRASE; MYPASS="correct horse battery staple" \
    "$VALISE" status --key "$T/mu.key" --pass-env MYPASS >/dev/null) || fail "--pass-env did not work"
printf 'wrong\n' >"$T/wrong.txt"
chmod 600 "$T/wrong.txt"
refused 1 "authentication failed" status --key "$T/mu.key" --pass-file "$T/wrong.txt"
# No passphrase source at all (no variable, no terminal).
(unset VALISE_PASSPHRASE; setsid "$VALISE" status --key "$T/mu.key" </dev/null >"$T/out" 2>"$T/err") &&
    fail "opened a key without any passphrase"
grep -q '^valise status: .*passphrase' "$T/err" || fail "no-passphrase message: $(cat "$T/err")"

# Unknown key: opening the store, proposing, approving.
refused 1 "not permitted" status --key "$T/outsider.key"
refused 1 "not permitted" get MU-01 --key "$T/outsider.key"
refused 1 "not permitted" propose --key "$T/outsider.key" --set MU-01 'office_hours=Closed'
refused 1 "not permitted" approve --all --key "$T/outsider.key"
refused 1 "no key" status
unchanged "$T/snap.0"

# Key files: group/world-readable refused, damaged refused, missing refused.
cp "$T/mu.key" "$T/loose.key"
chmod 644 "$T/loose.key"
refused 1 "not permitted" status --key "$T/loose.key"
cp "$T/mu.key" "$T/damaged.key"
chmod 600 "$T/damaged.key"
printf 'X' | dd of="$T/damaged.key" bs=1 seek=100 conv=notrunc 2>/dev/null
refused 1 "authentication failed" status --key "$T/damaged.key"
head -c 100 "$T/mu.key" >"$T/short.key"
chmod 600 "$T/short.key"
refused 1 "malformed" status --key "$T/short.key"
refused 1 "not found" status --key "$T/none.key"
VALISE_KEY="$T/mu.key" ok status
has 'opened as mu'
unchanged "$T/snap.0"

# keygen never overwrites, and a missing store is reported as such.
refused 1 "already exists" keygen --out "$T/mu" --kdf interactive
refused 1 "not found" status --key "$T/mu.key" --store "$T/nowhere"
echo "t_keys: OK"
