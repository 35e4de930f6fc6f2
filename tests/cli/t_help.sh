#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every subcommand has --help (stdout, exit 0); usage errors exit 2 with one line.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

ok --help
for c in keygen genesis init propose review approve reject proposals get find log verify export status sample policy fresh bundle edition serve backup restore; do
    has "^  $c "
done
has 'VALISE_STORE'
has 'VALISE_PASSPHRASE'

for c in keygen genesis init propose review approve reject proposals get find log verify export status sample policy fresh bundle edition serve backup restore; do
    ok "$c" --help
    has '^usage: valise '"$c"
    [ -s "$T/err" ] && fail "$c --help wrote to stderr: $(cat "$T/err")"
    ok help "$c"
    has '^usage: valise '"$c"
done
for a in create sign show; do
    ok genesis "$a" --help
    has "valise genesis $a"
done
ok genesis create --help
has '\[--reader PUB\.\.\.\]'
has '^ +--reader PUB\.\.\. +reader public key files'
ok policy propose --help
has '\[--add-reader PUB\.\.\.\]'
has '^ +--add-reader PUB +a new reader'
has '"readers"'

for a in show propose sign publish; do
    ok policy "$a" --help
    has "valise policy $a"
done
for a in issue show import export; do
    ok fresh "$a" --help
    has "valise fresh $a"
done
for a in want create import show; do
    ok bundle "$a" --help
    has "valise bundle $a"
done

# No command, unknown command, unknown option, missing values: exit 2.
rc=0; "$VALISE" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "valise without a command exited $rc, expected 2"
refused 2 "unknown command 'frobnicate'" frobnicate
refused 2 "unknown option --frob" status --frob
refused 2 "unknown option --bogus" --bogus status
refused 2 "needs a value" get --key
refused 2 "exactly one record ID" get
refused 2 "--out PREFIX is required" keygen
refused 2 "exactly one of --file, --set, --delete, --again, --signed" propose --key x.key
refused 2 "exactly one of" propose --file a.json --delete MU-01
refused 2 "FIELD=VALUE" propose --set MU-01 phones
refused 2 "--reason TEXT is required" reject abcd
refused 2 "proposal id prefixes or --all" approve
refused 2 "--kind must be authority or agreement" find --kind treaty
refused 2 "--format must be json or csv" export --format xml
refused 2 "give --state or --country, not both" find --state mu --country Mauritius
refused 2 "--threshold wants a whole number from 1 to 32" genesis create --name x --threshold 0 --approver a.pub --out g
refused 2 "missing action" genesis
refused 2 "unknown action" genesis frob
refused 2 "missing action" policy
refused 2 "unknown action" policy frob
refused 2 "--out FILE is required" policy propose --key x.key
refused 2 "--threshold wants a whole number from 1 to 32" policy propose --threshold 0 --out x.vlp
refused 2 "exactly one policy FILE" policy publish
refused 2 "at most one candidate FILE" policy show a b
refused 2 "missing action" fresh
refused 2 "unknown action" fresh frob
refused 2 "--ttl wants a whole number from 1 to 2592000" fresh issue --ttl 99999999
refused 2 "--out FILE is required" fresh export
refused 2 "exactly one statement FILE" fresh import
echo "t_help: OK"
