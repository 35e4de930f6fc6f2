#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The happy path of every subcommand, on the standard network.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

# keygen: files, modes, key id, label; --json.
ok keygen --out "$T/alice" --label "Alice Example" --kdf interactive
has '^key id [0-9a-f]{16}: wrote .*alice.key'
[ "$(stat -c %a "$T/alice.key")" = 600 ] || fail "alice.key is not mode 0600"
grep -q '^valise-pk1 [0-9a-f]\{64\} Alice Example$' "$T/alice.pub" || fail "alice.pub: $(cat "$T/alice.pub")"
ok keygen --out "$T/bob" --kdf interactive --json
[ "$(json_get 'd["label"]' <"$T/out")" = bob ] || fail "default label is not the basename"
refused 1 "already exists" keygen --out "$T/bob" --kdf interactive
# A label the public key file cannot hold: a usage error, nothing written.
refused 2 "not starting with a space" keygen --out "$T/carol" --label " Carol" --kdf interactive
refused 2 "longer than 128" keygen --out "$T/carol" --label "$(printf 'c%.0s' $(seq 129))" \
    --kdf interactive
[ ! -e "$T/carol.key" ] && [ ! -e "$T/carol.pub" ] || fail "keygen wrote files for a bad label"

vl_keys sec1 sec2 mu mg node

# genesis create / show (unsigned) / sign / show.
ok genesis create --name "IOC judicial platform (test)" --threshold 2 \
    --approver "$T/sec1.pub" --approver "$T/sec2.pub" \
    --authority "MU=$T/mu.pub" "MG=$T/mg.pub" --node "$T/node.pub" --out "$T/g.vlg"
has 'threshold 2'
ok genesis show "$T/g.vlg"
has 'threshold NOT met'
has 'mu +[0-9a-f]{16}  States: MU'
ok genesis sign "$T/g.vlg" --key "$T/sec1.key"
has '1 of 2 signatures'
ok genesis sign "$T/g.vlg" --key "$T/sec2.key"
has '2 of 2 signatures \(threshold met\)'
ok genesis show "$T/g.vlg" --json
[ "$(json_get 'd["threshold_met"]' <"$T/out")" = True ] || fail "threshold_met"
[ "$(json_get 'len(d["approvers"])' <"$T/out")" = 2 ] || fail "two approvers"
[ "$(json_get '[a["states"] for a in d["authorities"] if a["name"] == "mg"]' <"$T/out")" = "[['MG']]" ] ||
    fail "MG authority"

# init; status of the empty store.
ok init --genesis "$T/g.vlg" --key "$T/node.key" --store "$T/json-store" --json
[ "$(json_get 'd["network"]["name"], len(d["network"]["id"]), d["policy_version"]' <"$T/out")" \
    = "('IOC judicial platform (test)', 32, 1)" ] || fail "init --json: $(cat "$T/out")"
ok init --genesis "$T/g.vlg" --key "$T/node.key"
has 'initialised store'
ok status --key "$T/node.key"
has 'head +entry 0'
ok status --key "$T/node.key" --json
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 0 ] || fail "empty head"
[ "$(json_get 'd["network"]' <"$T/out")" = "IOC judicial platform (test)" ] || fail "name"

# propose a file of three records; review; approve twice.
cat "$DATA/MU-01.json" >"$T/mu.json"
printf '[%s,%s]' "$(cat "$DATA/MG-01.json")" "$(cat "$DATA/IOC-BIL-MU-MG.json")" >"$T/two.json"
id1=$(propose_id --file "$T/mu.json" --key "$T/mu.key")
[ ${#id1} -eq 64 ] || fail "proposal id: '$id1'"
ok review --key "$T/sec1.key"
has "^proposal $id1"
has 'by mu \([0-9a-f]{16}\) at 2024-06-01T00:00:00Z, approvals 0/2'
has 'put MU-01 \(authority, new record\)'
has '\+ contact: '
ok review "${id1:0:8}" --json --key "$T/sec1.key"
[ "$(json_get 'd[0]["ops"][0]["id"]' <"$T/out")" = MU-01 ] || fail "review json"
ok approve "${id1:0:8}" --key "$T/sec1.key"
has "^approved $id1 \(1/2\)$"
ok approve "${id1:0:8}" --key "$T/sec2.key" --json
[ "$(json_get 'd[0]["entry"]' <"$T/out")" = 1 ] || fail "applied as entry 1"
id2=$(propose_id --file "$T/two.json" --key "$T/sec1.key")
ok approve --all --key "$T/sec2.key"
has "^approved $id2 \(1/2\)$"
ok approve --all --key "$T/sec1.key"
has "^approved $id2 \(2/2\): applied as entry 2$"
ok review --key "$T/node.key"
has '^no pending proposals$'

# get: text, --json, --record (round trip through propose: unchanged).
ok get MU-01 --key "$T/mu.key"
has '^MU-01: Central Authority, Attorney General.s Office \(test\) \(authority, revision 1\)'
has '^    phones: \+230 5550 1111, \+230 5550 1112$'
has '^    - name: Alex Sample|^    - emails: a.sample@example.mu'
ok get IOC-BIL-MU-MG --json --key "$T/mg.key"
[ "$(json_get 'd["revision"]' <"$T/out")" = 1 ] || fail "revision"
[ "$(json_get 'd["record"]["parties"]' <"$T/out")" = "['MU', 'MG']" ] || fail "parties"
ok get MU-01 --record --key "$T/mu.key"
cp "$T/out" "$T/mu-back.json"
refused 1 "nothing to propose" propose --file "$T/mu-back.json" --key "$T/mu.key"

# propose --set (dotted paths, append, remove), review diff, apply.
id3=$(propose_id --key "$T/mu.key" --set MU-01 'contact.phones[0]=+230 5550 2222' \
    'persons[2]={"name":"Jean Exemple","emails":["j.exemple@example.mu"]}' 'office_hours=null' \
    'interpol=false')
ok review "$id3" --key "$T/sec1.key"
has '~ contact.phones\[0\]: "\+230 5550 1111" -> "\+230 5550 2222"'
has '\+ persons\[2\]: \{"emails":\["j.exemple@example.mu"\],"name":"Jean Exemple"\}'
has '- office_hours: "Monday-Friday 09:00-16:00"'
has '~ interpol: true -> false'
has 'put MU-01 \(authority, base revision 1\)'
approve_both "$id3"
ok get MU-01 --json --key "$T/mu.key"
[ "$(json_get 'd["revision"]' <"$T/out")" = 2 ] || fail "revision 2"
[ "$(json_get 'd["record"]["contact"]["phones"][0]' <"$T/out")" = "+230 5550 2222" ] || fail "new phone"
[ "$(json_get 'd["record"]["persons"][2]["name"]' <"$T/out")" = "Jean Exemple" ] || fail "new person"
[ "$(json_get '"office_hours" in d["record"]' <"$T/out")" = False ] || fail "office_hours removed"

# find: every filter, text and JSON.
ok find --key "$T/node.key"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "find all: $(cat "$T/out")"
ok find --state MU --key "$T/node.key"
has '^IOC-BIL-MU-MG +agreement +MU,MG +Treaty on mutual legal assistance'
has '^MU-01 +authority +MU +Central Authority'
hasnt 'MG-01'
ok find --function transfer_sentenced_persons --key "$T/node.key"
has '^MG-01 '
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --function"
ok find --basis DRUG1988-7 --key "$T/node.key"
has '^MG-01 '
hasnt '^MU-01'
ok find --language mg --key "$T/node.key"
has '^MG-01 '
ok find --kind agreement --key "$T/node.key"
has '^IOC-BIL-MU-MG '
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --kind"
ok find --text 'jean EXEMPLE' --key "$T/node.key"
has '^MU-01 '
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "find --text"
ok find --state MU --function mla --limit 1 --json --key "$T/node.key"
[ "$(json_get 'len(d)' <"$T/out")" = 1 ] || fail "find --limit"
ok find --state FR --key "$T/node.key"
[ -s "$T/out" ] && fail "find --state FR found: $(cat "$T/out")"

# propose --delete; reject.
id4=$(propose_id --delete MG-01 --key "$T/mg.key")
ok review "$id4" --key "$T/sec2.key"
has 'delete MG-01 \(authority, base revision 1\)'
has '- contact: '
ok reject "${id4:0:6}" --reason "keep it until the new authority is designated" --key "$T/sec2.key"
has "^rejected $id4: keep it"
id4b=$(VALISE_NOW=1717200100 propose_id --delete MG-01 --key "$T/mg.key")
[ "$id4b" != "$id4" ] || fail "the second proposal has the first one's id"
ok reject "${id4b:0:6}" --reason "again: not yet" --key "$T/sec1.key" --json
[ "$(json_get 'd["id"], d["state"], d["reason"], d["rejected_by"]["name"]' <"$T/out")" \
    = "('$id4b', 'rejected', 'again: not yet', 'sec1')" ] || fail "reject --json: $(cat "$T/out")"
refused 1 "not found" approve "$id4" --key "$T/sec1.key"
id5=$(propose_id --delete IOC-BIL-MU-MG --key "$T/sec2.key")
approve_both "$id5"
ok find --kind agreement --key "$T/node.key"
[ -s "$T/out" ] && fail "agreement not deleted"

# log: text and JSON.
ok log --key "$T/node.key"
[ "$(wc -l <"$T/out")" -eq 4 ] || fail "log: $(cat "$T/out")"
has '^#1 [0-9a-f]{16} 2024-06-01T00:00:00Z by mu \([0-9a-f]{16}\) approved by [0-9a-f]{16}, [0-9a-f]{16}: put MU-01, root [0-9a-f]{16}$'
has '^#4 .*: delete IOC-BIL-MU-MG, root '
ok log --from 2 --to 3 --json --key "$T/node.key"
[ "$(json_get '[e["seq"] for e in d]' <"$T/out")" = "[2, 3]" ] || fail "log range"
[ "$(json_get 'd[1]["ops"][0]["base"]' <"$T/out")" = 1 ] || fail "log base"
[ "$(json_get 'len(d[0]["approvers"])' <"$T/out")" = 2 ] || fail "log approvers"

# verify.
ok verify --key "$T/node.key"
has '^verify: OK \(4 entries, 2 records, root [0-9a-f]{16}\)$'
ok verify --json --key "$T/node.key"
[ "$(json_get 'd["ok"]' <"$T/out")" = True ] || fail "verify json"

# export: JSON and CSV.
ok export --key "$T/node.key"
[ "$(json_get 'd["head"]["seq"]' <"$T/out")" = 4 ] || fail "export head"
[ "$(json_get '[r["id"] for r in d["records"]]' <"$T/out")" = "['MG-01', 'MU-01']" ] || fail "export records"
[ "$(json_get 'd["exported_at"]' <"$T/out")" = "2024-06-01T00:00:00Z" ] || fail "exported_at"
ok export --format csv --key "$T/node.key"
head -1 "$T/out" | grep -q '^id,revision,state,name_en,name_fr,name_es,functions,legal_bases,languages,' || fail "csv header"
has '^MU-01,2,MU,"Central Authority, Attorney General.s Office \(test\)",'
has ',"extradition;mla",|,extradition;mla,'
has '\+230 5550 2222;\+230 5550 1112'
/usr/bin/python3 - "$T/out" <<'PY' || fail "CSV does not parse"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
assert [r["id"] for r in rows] == ["MG-01", "MU-01"], rows
mu = rows[1]
# A cell that starts with "+" is neutralised with a leading "'" (docs/cli.md).
assert mu["phones"] == "'+230 5550 2222;+230 5550 1112", mu["phones"]
assert mu["emails"] == "ca@example.mu"
assert mu["interpol"] == "false" and mu["untoc_16_5"] == "false"
assert "Jean Exemple j.exemple@example.mu" in mu["persons"], mu["persons"]
assert rows[0]["name_fr"].startswith("Autorité centrale")
PY
ok export --format csv --out "$T/dir.csv" --key "$T/node.key"
[ "$(stat -c %a "$T/dir.csv")" = 600 ] || fail "export file is not mode 0600"
ok export --kind authority --out "$T/dir.json" --key "$T/node.key"
has 'exported 2 records'

# A bulk load is split by operation count and by payload size: 40 records of
# ~8 KiB are more than one proposal's 256 KiB of bodies.
long=$(head -c 8000 /dev/zero | tr '\0' x)
{
    echo '['
    for i in $(seq 10 49); do
        [ "$i" -gt 10 ] && echo ','
        sed "s/\"MU-01\"/\"MU-$i\"/; s/\"interpol\": true/\"interpol\": true, \"comments\": {\"en\": \"$long\"}/" \
            "$DATA/MU-01.json"
    done
    echo ']'
} >"$T/bulk.json"
ok propose --file "$T/bulk.json" --key "$T/sec1.key"
[ "$(grep -c '^proposed ' "$T/out")" -eq 2 ] || fail "bulk load not split in two: $(cat "$T/out")"
has '^proposed [0-9a-f]{64}: [0-9]+ ops: put MU-10, put MU-11, put MU-12, put MU-13, \.\.\.$'

# sample: valid JSON array that propose accepts.
ok sample --out "$T/sample.json"
[ "$(json_get 'any(r["id"] == "MU-01" for r in d)' <"$T/sample.json")" = True ] || fail "sample MU-01"

echo "t_happy: OK"
