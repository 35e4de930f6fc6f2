#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad record input is refused before anything is signed: malformed JSON,
# schema violations (the message names the field), oversized files, bad
# --set paths and values. The store is unchanged after each.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
vl_network
snapshot "$T/snap.0"
K=(--key "$T/mu.key")

# Malformed JSON: the message gives the line and column.
printf '{"kind": "authority",\n "id": "MU-09",\n "state": }' >"$T/bad1.json"
refused 1 "malformed.*bad1.json: line 3, column [0-9]+" propose --file "$T/bad1.json" "${K[@]}"
printf '[{"kind":"authority"},' >"$T/bad2.json"
refused 1 "malformed.*bad2.json: line 1" propose --file "$T/bad2.json" "${K[@]}"
printf '' >"$T/empty.json"
refused 1 "malformed" propose --file "$T/empty.json" "${K[@]}"
printf '{"kind":"authority","kind":"agreement"}' >"$T/dupkey.json"
refused 1 "malformed.*duplicate" propose --file "$T/dupkey.json" "${K[@]}"
printf '\xff\xfe{}' >"$T/binary.json"
refused 1 "malformed" propose --file "$T/binary.json" "${K[@]}"

# Not records at all.
printf '"MU-01"' >"$T/str.json"
refused 1 "malformed|schema violation" propose --file "$T/str.json" "${K[@]}"
printf '[]' >"$T/none.json"
refused 1 "schema violation.*non-empty array" propose --file "$T/none.json" "${K[@]}"
printf '[%s, 7]' "$(cat "$DATA/MU-01.json")" >"$T/seven.json"
refused 1 "schema violation.*record 2: not a JSON object" propose --file "$T/seven.json" "${K[@]}"

# Schema violations name the field.
sed 's/"state": "MU"/"state": "mu"/' "$DATA/MU-01.json" >"$T/s1.json"
refused 1 'schema violation: .*s1.json: state: "mu" is not a State code' propose --file "$T/s1.json" "${K[@]}"
sed 's/"functions": \["extradition", "mla"\]/"functions": ["extradition", "mlaa"]/' "$DATA/MU-01.json" >"$T/s2.json"
refused 1 'schema violation: .*functions\[1\]: unknown function "mlaa"' propose --file "$T/s2.json" "${K[@]}"
sed 's/"emails": \["r.example@example.mu"\]/"mail": "r.example@example.mu"/' "$DATA/MU-01.json" >"$T/s3.json"
refused 1 'schema violation: .*persons\[1\]\.mail: unknown field' propose --file "$T/s3.json" "${K[@]}"
sed '/"legal_bases"/d' "$DATA/MU-01.json" >"$T/s4.json"
refused 1 'schema violation: .*legal_bases: required' propose --file "$T/s4.json" "${K[@]}"
sed 's/"interpol": true/"interpol": 1/' "$DATA/MU-01.json" >"$T/s5.json"
refused 1 'schema violation: .*interpol: must be true or false' propose --file "$T/s5.json" "${K[@]}"
sed 's/"interpol": true/"interpol": null/' "$DATA/MU-01.json" >"$T/s6.json"
refused 1 'schema violation: .*interpol' propose --file "$T/s6.json" "${K[@]}"
sed 's/"interpol": true/"interpol": true, "rating": 1.5/' "$DATA/MU-01.json" >"$T/s7.json"
refused 1 'schema violation: .*rating' propose --file "$T/s7.json" "${K[@]}"
# In an array, the record is named by position and id.
printf '[%s,%s]' "$(cat "$DATA/MU-01.json")" "$(sed 's/"MU-01"/"MU-02"/; s/"UNTOC-18"/"UNTOC-19"/' "$DATA/MU-01.json")" >"$T/s8.json"
refused 1 'schema violation: .*s8.json: record 2 \(MU-02\): legal_bases\[1\]: unknown legal basis "UNTOC-19"' \
    propose --file "$T/s8.json" "${K[@]}"
# The same record twice in one file.
printf '[%s,%s]' "$(sed 's/1111/1119/' "$DATA/MU-01.json")" "$(sed 's/1111/1118/' "$DATA/MU-01.json")" >"$T/twice.json"
refused 1 "MU-01 appears twice" propose --file "$T/twice.json" "${K[@]}"

# --set: schema violations name the field; bad paths and values.
refused 1 'schema violation: .*contact.phones\[0\]: must not be empty' \
    propose --set MU-01 'contact.phones[0]=' "${K[@]}"
refused 1 'schema violation: .*persons\[0\].emails: must be an array' \
    propose --set MU-01 'persons[0].emails=5' "${K[@]}"
refused 1 'schema violation: .*languages\[0\]: "English" is not a language code' \
    propose --set MU-01 'languages=["English"]' "${K[@]}"
refused 1 'schema violation: .*frobs: unknown field' propose --set MU-01 'frobs=1' "${K[@]}"
refused 1 'may not change a record.s id or kind' propose --set MU-01 'id=MU-09' "${K[@]}"
refused 1 'index 7 out of range' propose --set MU-01 'contact.phones[7]=+230 1' "${K[@]}"
refused 1 'bad field path' propose --set MU-01 'contact..phones=1' "${K[@]}"
refused 1 'not an array' propose --set MU-01 'state[0]=MU' "${K[@]}"
refused 1 'nothing to propose' propose --set MU-01 'state=MU' "${K[@]}"
refused 1 'not found.*no record MU-77' propose --set MU-77 'state=MU' "${K[@]}"
refused 1 'not found.*no record MU-77' propose --delete MU-77 "${K[@]}"

# Oversized: a single record file over 256 KiB, a load file over 16 MiB.
{ printf '{"kind":"authority","id":"MU-09","comments":{"en":"'; head -c 300000 /dev/zero | tr '\0' a; printf '"}}'; } >"$T/big.json"
refused 1 "limit exceeded.*larger than 262144 bytes" propose --file "$T/big.json" "${K[@]}"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T/huge.json"
refused 1 "limit exceeded" propose --file "$T/huge.json" "${K[@]}"
# A string over the per-string limit inside an otherwise valid record.
{ sed 's/"interpol": true/"interpol": true, "comments": {"en": "XX"}/' "$DATA/MU-01.json" |
    sed "s/XX/$(head -c 17000 /dev/zero | tr '\0' b)/"; } >"$T/longstr.json"
refused 1 "schema violation|limit exceeded" propose --file "$T/longstr.json" "${K[@]}"
refused 1 "not found" propose --file "$T/missing.json" "${K[@]}"

unchanged "$T/snap.0"
echo "t_input: OK"
