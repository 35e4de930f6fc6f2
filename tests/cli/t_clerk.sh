#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The clerk's CLI (issue 10): find and export filters that say what was
# meant (typos in a State, function, legal basis or language), State codes in
# any case, --country by name in English, French and Spanish (Niger is not
# Nigeria), get with its last update, and export with the filters of find.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

vl_network
K=(--key "$T/node.key")

# Two more authorities, for Niger and Nigeria, in a second entry.
/usr/bin/python3 - "$DATA/MU-01.json" >"$T/ne-ng.json" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
out = []
for code, name in (("NE", "Niger"), ("NG", "Nigeria")):
    r = dict(base)
    r["id"] = code + "-01"
    r["state"] = code
    r["name"] = {"en": "Central Authority of " + name + " (test)"}
    r["functions"] = ["extradition"]
    r["languages"] = ["fr"] if code == "NE" else ["en"]
    r["treaties"] = []
    out.append(r)
print(json.dumps(out))
PY
id2=$(propose_id --file "$T/ne-ng.json" --key "$T/sec1.key")
approve_both "$id2"

# ---- unknown values: one line, exit 1, the nearest known value ------------------
refused 1 "^valise find: no function 'extraditon' \(did you mean 'extradition'\?\)$" \
    find --function extraditon "${K[@]}"
refused 1 "^valise find: no function 'confiscaton' \(did you mean 'confiscation'\?\)$" \
    find --function confiscaton "${K[@]}"
refused 1 "^valise find: no legal basis 'UNTOC-61' \(did you mean 'UNTOC-16'\?\)$" \
    find --basis UNTOC-61 "${K[@]}"
refused 1 "^valise find: no language 'enn' \(did you mean 'en'\?\)$" \
    find --language enn "${K[@]}"
refused 1 "^valise find: no language 'french' \(did you mean 'fr'\?\)$" \
    find --language french "${K[@]}"
refused 1 "^valise find: no State 'MUU' \(did you mean 'MU' \(Mauritius\)\?\)$" \
    find --state MUU "${K[@]}"
refused 1 "^valise find: no State 'ner' \(did you mean 'NE' \(Niger\)\?\)$" \
    find --state ner "${K[@]}"
refused 1 "^valise find: no State 'Niger' \(did you mean 'NE' \(Niger\)\?\)$" \
    find --state Niger "${K[@]}"
# Nothing near: no suggestion.
refused 1 "^valise find: no function 'zzzzzzzz'$" find --function zzzzzzzz "${K[@]}"
refused 1 "^valise find: no legal basis 'UNTOC-99-XYZ'$" find --basis UNTOC-99-XYZ "${K[@]}"
refused 1 "^valise find: no language 'qqq'$" find --language qqq "${K[@]}"
refused 1 "^valise find: no State '12'$" find --state 12 "${K[@]}"
# What was typed is escaped in the line.
refused 1 "^valise find: no function 'mla\\\\x1b\[2J'" find --function "$(printf 'mla\033[2J')" "${K[@]}"
# The check comes before the key is loaded: no passphrase prompt for a typo.
refused 1 "no function 'extraditon'" find --function extraditon --key "$T/nonexistent.key"

# ---- known values in any case ---------------------------------------------------
ok find --state mu "${K[@]}"
has '^MU-01 +authority +MU '
has '^IOC-BIL-MU-MG '
hasnt '^MG-01|^NE-01|^NG-01'
ok find --state Ne "${K[@]}"
has '^NE-01 '
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --state Ne: $(cat "$T/out")"
ok find --function MLA --basis untoc-16 --language EN "${K[@]}"
has '^MU-01 '
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --function MLA --basis untoc-16 --language EN: $(cat "$T/out")"
# A known State with no record: nothing, exit 0.
ok find --state fr "${K[@]}"
[ -s "$T/out" ] && fail "find --state fr found: $(cat "$T/out")"

# ---- --country: names in English, French, Spanish --------------------------------
for name in Maurice Mauricio mauritius MAURICE mu; do
    ok find --country "$name" "${K[@]}"
    has '^MU-01 '
    hasnt '^MG-01|^NE-01|^NG-01'
done
ok find --country Niger "${K[@]}"
has '^NE-01 '
hasnt '^NG-01'
ok find --country "Nigéria" "${K[@]}"
has '^NG-01 '
hasnt '^NE-01'
refused 1 "^valise find: --country 'Korea' matches KP \(North Korea\), KR \(South Korea\): give --state$" \
    find --country Korea "${K[@]}"
refused 1 "^valise find: no State named 'Mauritus' \(did you mean 'Mauritius'\?\)$" \
    find --country Mauritus "${K[@]}"
refused 1 "^valise find: no State named 'Maurisio' \(did you mean 'Mauricio'\?\)$" \
    find --country Maurisio "${K[@]}"
refused 1 "^valise find: no State named 'Xyzzyland'$" find --country Xyzzyland "${K[@]}"
refused 2 "^valise find: give --state or --country, not both" \
    find --country Mauritius --state MU "${K[@]}"
ok find --country Maurice --json "${K[@]}"
[ "$(json_get '[r["id"] for r in d]' <"$T/out")" = "['IOC-BIL-MU-MG', 'MU-01']" ] ||
    fail "find --country Maurice --json: $(cat "$T/out")"

# ---- get: the last update, its entry, who proposed and approved it -------------------
# MU-01 was written by entry 1; a new revision by MU's central authority makes it
# entry 3 (NE-01 and NG-01 are entry 2).
ok log --json "${K[@]}"
h1=$(json_get 'd[0]["hash"]' <"$T/out")
ok get MU-01 "${K[@]}"
has "^MU-01: Central Authority, Attorney General's Office \(test\) \(authority, revision 1\)$"
has "^updated: 2024-06-01T00:00:00Z, entry 1 \(${h1:0:16}\), proposed by sec1, approved by (sec1, sec2|sec2, sec1)$"
export VALISE_NOW=1717236000 # 2024-06-01T10:00:00Z
id3=$(propose_id --set MU-01 'office_hours="Mon-Fri 08:00-16:00"' --key "$T/mu.key")
approve_both "$id3"
ok log --json "${K[@]}"
h3=$(json_get 'd[2]["hash"]' <"$T/out")
ok get MU-01 "${K[@]}"
has "\(authority, revision 2\)$"
has "^updated: 2024-06-01T10:00:00Z, entry 3 \(${h3:0:16}\), proposed by mu, approved by (sec1, sec2|sec2, sec1)$"
has '^  office_hours: Mon-Fri 08:00-16:00$'
ok get MU-01 --json "${K[@]}"
[ "$(json_get 'd["updated"]["seq"]' <"$T/out")" = 3 ] || fail "get --json updated.seq: $(cat "$T/out")"
[ "$(json_get 'd["updated"]["time"]' <"$T/out")" = 2024-06-01T10:00:00Z ] || fail "updated.time"
[ "$(json_get 'd["updated"]["entry"]' <"$T/out")" = "$h3" ] || fail "updated.entry"
[ "$(json_get 'd["updated"]["proposal"]' <"$T/out")" = "$id3" ] || fail "updated.proposal"
[ "$(json_get 'd["updated"]["author"]["name"]' <"$T/out")" = mu ] || fail "updated.author"
[ "$(json_get 'sorted(a["name"] for a in d["updated"]["approvers"])' <"$T/out")" = "['sec1', 'sec2']" ] ||
    fail "updated.approvers: $(cat "$T/out")"
[ "$(json_get 'len(d["updated"]["author"]["kid"])' <"$T/out")" = 16 ] || fail "author kid"
# The keys get --json always had are still there.
[ "$(json_get '(d["id"], d["kind"], d["revision"], d["record"]["id"], d["freshness"]["state"])' \
    <"$T/out")" = "('MU-01', 'authority', 2, 'MU-01', 'unconfigured')" ] || fail "get --json keys: $(cat "$T/out")"
[ "$(json_get '(d["states"], d["name"])' <"$T/out")" = \
    "(['MU'], \"Central Authority, Attorney General's Office (test)\")" ] || fail "get --json summary: $(cat "$T/out")"
ok get NE-01 "${K[@]}"
has "^updated: 2024-06-01T00:00:00Z, entry 2 \([0-9a-f]{16}\), proposed by sec1, approved by (sec1, sec2|sec2, sec1)$"
# --record is the record alone.
ok get MU-01 --record "${K[@]}"
[ "$(json_get 'sorted(d.keys()) == sorted(json.load(open("'"$DATA"'/MU-01.json")).keys())' <"$T/out")" = True ] ||
    fail "get --record: $(cat "$T/out")"
refused 1 "^valise get: not found: no record XX-99" get XX-99 "${K[@]}"

# ---- export: the same filters -----------------------------------------------------
ok export --state MU --format csv "${K[@]}"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "export --state MU: $(cat "$T/out")"
has '^MU-01,'
hasnt '^(MG|NE|NG)-01,'
ok export --country Niger --format csv --out "$T/ne.csv" "${K[@]}"
has '^exported 1 record to '
grep -q '^NE-01,' "$T/ne.csv" || fail "ne.csv: $(cat "$T/ne.csv")"
grep -q '^NG-01,' "$T/ne.csv" && fail "ne.csv has Nigeria: $(cat "$T/ne.csv")"
ok export --state mu --kind agreement --format csv "${K[@]}"
has '^IOC-BIL-MU-MG,'
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "export --state mu --kind agreement: $(cat "$T/out")"
ok export --function extradition --language fr "${K[@]}"
[ "$(json_get '[r["id"] for r in d["records"]]' <"$T/out")" = "['MG-01', 'MU-01', 'NE-01']" ] ||
    fail "export --function extradition --language fr: $(cat "$T/out")"
[ "$(json_get 'd["filter"]' <"$T/out")" = "{'function': 'extradition', 'language': 'fr'}" ] ||
    fail "export filter: $(cat "$T/out")"
ok export --limit 2 "${K[@]}"
[ "$(json_get 'len(d["records"])' <"$T/out")" = 2 ] || fail "export --limit 2"
# Without filters the document is as before: every record, no "filter".
ok export "${K[@]}"
[ "$(json_get 'len(d["records"])' <"$T/out")" = 5 ] || fail "export: $(cat "$T/out")"
[ "$(json_get '"filter" in d' <"$T/out")" = False ] || fail "export without filters has a filter"

# Bad filters: refused as find refuses them, nothing written.
refused 1 "^valise export: no function 'extraditon' \(did you mean 'extradition'\?\)$" \
    export --function extraditon --format csv --out "$T/x.csv" "${K[@]}"
refused 1 "^valise export: no State 'MUU' \(did you mean 'MU' \(Mauritius\)\?\)$" \
    export --state MUU --out "$T/x.csv" "${K[@]}"
refused 1 "^valise export: no language 'enn'" export --language enn --out "$T/x.csv" "${K[@]}"
refused 1 "^valise export: no legal basis 'UNTOC-61'" export --basis UNTOC-61 --out "$T/x.csv" "${K[@]}"
refused 1 "^valise export: --country 'Korea' matches" export --country Korea --out "$T/x.csv" "${K[@]}"
refused 2 "^valise export: give --state or --country" \
    export --state MU --country Maurice --out "$T/x.csv" "${K[@]}"
refused 2 "^valise export: --limit wants a whole number from 1 to 1000000, not '0'" \
    export --limit 0 --out "$T/x.csv" "${K[@]}"
refused 2 "^valise export: --kind must be authority or agreement" \
    export --kind treaty --out "$T/x.csv" "${K[@]}"
[ -e "$T/x.csv" ] && fail "a refused export wrote x.csv"
refused 1 "^valise export: no function 'extraditon'" export --function extraditon "${K[@]}"
[ -s "$T/out" ] && fail "a refused export wrote to stdout: $(cat "$T/out")"

echo "t_clerk: OK"
