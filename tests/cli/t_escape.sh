#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Terminal injection: text valise did not write itself (record fields, names,
# reasons, file names, arguments) is escaped in every text output: \\ \t \n \r,
# \xHH for other control bytes and DEL, \uXXXX for C1 and bidi controls. A
# central authority that puts ESC[2J, CR and LF in its own record's name cannot
# clear a member's screen or forge a line such as "state: MG".
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
N=(--key "$T/node.key")

# raw FILE: FILE must hold no control byte but LF (the line ends) and no C1
# control or bidi override (UTF-8 encoded).
raw() {
    local f=${1:-$T/out}
    if LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$f"; then
        fail "raw control byte in $(basename "$f"): $(cat -A "$f")"
    fi
}
# lit TEXT [FILE]: FILE must contain TEXT literally.
lit() {
    local f=${2:-$T/out}
    grep -qF -- "$1" "$f" || fail "expected '$1' in $(basename "$f"): $(cat -A "$f")"
}

# MU's central authority renames its own record: ESC[2J, CR, LF, a forged
# line, a tab, a backslash, DEL, a C1 CSI (U+009B) and a bidi override.
/usr/bin/python3 - "$DATA/MU-01.json" "$T/evil.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
r["name"] = {"en": "Evil\x1b[2J\r\nstate: MG\tcol\\back\x7fdel\u009bcsi\u202eRLO"}
r["office_hours"] = "9-5\r\nstate: MG"
json.dump(r, open(sys.argv[2], "w", encoding="utf-8"))
PY
ESC_NAME='Evil\x1b[2J\r\nstate: MG\tcol\\back\x7fdel\u009bcsi\u202eRLO'
id=$(propose_id --file "$T/evil.json" --key "$T/mu.key")
[ -n "$id" ] || fail "no proposal id"

# review, before approval: the diff shows the escaped name.
ok review "${N[@]}"
raw
lit "\"$ESC_NAME\""
lit '"9-5\r\nstate: MG"'
hasnt '^ *state: MG'
approve_both "$id"

# get: the title line and the name member.
ok get MU-01 "${N[@]}"
raw
lit "MU-01: $ESC_NAME (authority, revision 2)"
lit "  name:"
lit "    en: $ESC_NAME"
lit "  office_hours: 9-5\r\nstate: MG"
[ "$(grep -c '^  state: ' "$T/out")" -eq 1 ] || fail "a forged state line: $(cat -A "$T/out")"
has '^  state: MU$'

# find: one line per record, the name escaped.
ok find "${N[@]}"
raw
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "find: not one line per record: $(cat -A "$T/out")"
lit "$ESC_NAME"
ok find --text evil "${N[@]}"
raw
lit "MU-01"

# log, status, policy show, verify: nothing raw.
ok log "${N[@]}"
raw
has '^#2 .* put MU-01, root '
ok status "${N[@]}"
raw
ok policy show "${N[@]}"
raw
ok verify "${N[@]}"
raw

# JSON keeps the value itself (jansson escapes the C0 controls; DEL, C1 and
# bidi controls stay raw in JSON output, which is for programs).
ok get MU-01 --json "${N[@]}"
json_get 'd["record"]["name"]["en"] == "Evil\x1b[2J\r\nstate: MG\tcol\\back\x7fdel\u009bcsi\u202eRLO"' <"$T/out" >"$T/same"
grep -qx True "$T/same" || fail "get --json changed the name"

# Reasons, file names and arguments given by people are escaped too.
id2=$(propose_id --set MU-01 'contact.website=https://x.example.mu' --key "$T/mu.key")
# (the store refuses a reason with control characters; a backslash is escaped)
refused 1 "reason" reject "$id2" --reason "$(printf 'no\033[31m red\r\nforged')" --key "$T/sec1.key"
raw "$T/err"
ok reject "$id2" --reason 'see C:\temp' --key "$T/sec1.key"
raw
lit 'see C:\\temp'
BADF="$T/$(printf 'f\033]0;title\007.json')"
refused 1 "not found" propose --file "$BADF" --key "$T/mu.key"
raw "$T/err"
lit 'f\x1b]0;title\x07.json' "$T/err"
ok genesis create --name x --threshold 1 --approver "$T/sec1.pub" --out "$T/$(printf 'g\033[2J.vlg')"
raw
lit 'g\x1b[2J.vlg: network "x"'
lit 'genesis sign '"$T"'/g\x1b[2J.vlg --key'
refused 2 "not a record id" get "$(printf 'X\033[2J')" "${N[@]}"
raw "$T/err"
lit "'X\\x1b[2J'" "$T/err"
refused 2 "unknown command" "$(printf 'x\033[2J')"
raw "$T/err"
refused 2 "unknown option" find "--$(printf 'x\r\ny')" "${N[@]}"
raw "$T/err"
lit 'x\r\ny' "$T/err"
echo "t_escape: OK"
