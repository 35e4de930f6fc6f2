# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# demo-field.sh - the field office story (issue 9): sourced by scripts/demo.sh
# at the end of its story, in its directory, with its helpers (say, show, run,
# die) and files (the genesis, the keys, the Secretariat's store in
# $VALISE_STORE). Not a program of its own.
#
# A field office of Madagascar's central authority has no network link at
# all, and no valise-node on its side: everything it receives and sends
# travels on a stick (a directory here) as signed bundles (docs/operator.md
# §9). Every step is checked; the story ends with the field office's head
# seq, head hash and state root equal to the Secretariat's, and `verify`
# clean on both.

FIELD=(--store field-store --key ca-MG.key)
SEC=(--key vienna-node.key)
mkdir -p stick

# heads STORE-ARGS...: "seq hash root" from `valise status --json`.
heads() {
    "$VALISE" status --json "$@" 2>/dev/null | /usr/bin/python3 -c \
        'import json,sys; h=json.load(sys.stdin)["head"]; print(h["seq"], h["hash"], h["root"])'
}
# freshness STORE-ARGS...: "state expires" of the store's freshness.
freshness() {
    "$VALISE" status --json "$@" 2>/dev/null | /usr/bin/python3 -c \
        'import json,sys; f=json.load(sys.stdin)["freshness"]; print(f["state"], f["expires"])'
}
field_seq() { heads "${FIELD[@]}" | cut -d' ' -f1; }

say "A field office of Madagascar's central authority has no network link at all, and runs no valise-node. It creates its own store from the genesis, with its own key."
run init --genesis genesis.vlg "${FIELD[@]}"
run status "${FIELD[@]}"
[ "$(field_seq)" = 0 ] || die "a new field store is not empty"

say "It writes a 'want' file on the stick: what it has (head entry, policy version, newest freshness statement)."
run bundle want --out stick/want.vlw "${FIELD[@]}"
[ -s stick/want.vlw ] || die "no want file"

say "At the Secretariat, the want file says what to copy: every entry after the field office's head, the policy versions it lacks, the newest freshness statement."
run bundle create --since-file stick/want.vlw --out stick/to-field.vlb "${SEC[@]}" | tee create1.txt
sec=$(heads "${SEC[@]}")
grep -Eq "entries 1\\.\\.${sec%% *} \\(${sec%% *}\\), 2 policy versions, 1 statement" create1.txt ||
    die "the bundle does not carry what the field office lacks: $(cat create1.txt)"

say "At the field office: what is on the stick (no key needed to look), and can this store take it?"
run bundle show stick/to-field.vlb --store field-store | tee show1.txt
grep -q '^importable: yes$' show1.txt || die "the field store cannot import the Secretariat's bundle"

say "It imports the stick: everything is checked before anything is written, with the rules a live peer's data meets (signatures, chain, policy chain, roles, freshness)."
run bundle import stick/to-field.vlb "${FIELD[@]}" | tee import1.txt
grep -q "^imported entries 1\\.\\.${sec%% *} " import1.txt || die "the import did not bring every entry"
[ "$(heads "${FIELD[@]}")" = "$sec" ] || die "the field office's head differs from the Secretariat's"
fr=$(freshness "${FIELD[@]}")
[ "${fr%% *}" = fresh ] || die "the field office's directory is not fresh after the import: $fr"
echo "(the field office now holds entry ${sec%% *}, policy version 3, and the Secretariat's statement: its reads no longer warn, fresh until ${fr#* })"
run get MG-01 "${FIELD[@]}" >field-get1.txt
sed -n 1,3p field-get1.txt

FIELD_HOURS="Mon-Thu 08:00-14:00 (field office)"
say "Offline, the field office updates its own State's record MG-01."
run propose "${FIELD[@]}" --set MG-01 "office_hours=$FIELD_HOURS" | tee field-prop.txt
mg_id=$(awk '/^proposed /{sub(":","",$2); print $2}' field-prop.txt)
[ -n "$mg_id" ] || die "no proposal id"

say "It bundles what the Secretariat lacks for the trip back: the entries it already has stay home (--since its head), the pending proposal travels."
fseq=$(field_seq)
run bundle create --since "$fseq" --out stick/to-secretariat.vlb "${FIELD[@]}" | tee create2.txt
grep -Eq 'entries .*\(0\)|no entries' create2.txt || die "entries were bundled back: $(cat create2.txt)"
grep -Eq ', 1 proposals?,' create2.txt || die "the proposal is not in the bundle: $(cat create2.txt)"
n=$(grep -c -a -F -- "$FIELD_HOURS" stick/to-secretariat.vlb || true)
echo "(\"$FIELD_HOURS\" in clear in the bundle file: $n times: the record travels encrypted)"
[ "$n" -eq 0 ] || die "the proposed record is readable on the stick"

say "At the Secretariat: the stick is imported; the field office's proposal is pending like any other."
run bundle import stick/to-secretariat.vlb "${SEC[@]}" | tee import2.txt
grep -Eq '1 proposals?' import2.txt || die "the proposal was not imported: $(cat import2.txt)"
run review "${mg_id:0:12}" --key secretariat-a.key | tee review-field.txt
grep -qF "$FIELD_HOURS" review-field.txt || die "the review does not show the field office's change"

say "Both approvers approve it (B with the key of its new laptop); the Secretariat's node signs its new head."
run approve "${mg_id:0:12}" --key secretariat-a.key
run approve "${mg_id:0:12}" --key secretariat-b2.key | tee approve-field.txt
grep -q 'applied as entry' approve-field.txt || die "the field office's change was not applied"
run fresh issue --key vienna-node.key --ttl 86400

say "Next trip: a new want file, the Secretariat's bundle from it, imported at the field office."
rm -f stick/want.vlw
run bundle want --out stick/want.vlw "${FIELD[@]}"
run bundle create --since-file stick/want.vlw --out stick/to-field-2.vlb "${SEC[@]}" | tee create3.txt
sec=$(heads "${SEC[@]}")
grep -Eq "entries ${sec%% *}\\.\\.${sec%% *} \\(1\\)" create3.txt || die "the second bundle: $(cat create3.txt)"
run bundle import stick/to-field-2.vlb "${FIELD[@]}" | tee import3.txt
grep -q "head is now ${sec%% *}" import3.txt || die "the field office did not reach the Secretariat's head"
run get MG-01 "${FIELD[@]}" >field-get2.txt
grep -F 'office_hours' field-get2.txt
grep -qF "$FIELD_HOURS" field-get2.txt || die "the approved change is not at the field office"

say "The same stick imported again changes nothing."
run bundle import stick/to-field-2.vlb "${FIELD[@]}" | tee import4.txt
grep -q '^nothing new' import4.txt || die "a second import was not 'nothing new'"

say "Both sides hold the same log: head entry, head hash and state root are equal, and verify is clean on both."
fld=$(heads "${FIELD[@]}")
printf '  Secretariat:  entry %s  head %.16s  root %.16s\n' $sec
printf '  field office: entry %s  head %.16s  root %.16s\n' $fld
[ "$fld" = "$sec" ] || die "the field office's head, hash or root differs from the Secretariat's"
echo "field office and Secretariat: same head, same hash, same state root"
run verify "${SEC[@]}"
run verify "${FIELD[@]}"
