#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo.sh - the single-node story of valise, step by step.
#
# The UNODC Secretariat creates a network for the judicial platform of the
# Indian Ocean Commission, loads a (fictitious) sample directory, and
# Mauritius' central authority updates its own record under the
# Secretariat's review; then trust over time (a rotated approver key, a
# revoked authority key, a stale directory), and a field office with no
# network at all that exchanges signed bundles on a stick
# (scripts/demo-field.sh). It ends with the printed edition of the directory
# (valise edition) and the replica in a browser (valise serve on loopback).
# Runs in a fresh temporary directory; exits non-zero as soon as a step does
# not behave as expected.
#
#   scripts/demo.sh                 uses $VALISE, else build/valise; the web
#                                   view is stopped when the demo ends
#   KEEP=1 scripts/demo.sh          keeps the demo directory (the editions)
#                                   and leaves valise serve running (its pid
#                                   is printed: kill PID stops it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VALISE=${VALISE:-$ROOT/build/valise}
[ -x "$VALISE" ] || { echo "demo: no valise binary at $VALISE (build first, or set VALISE)" >&2; exit 1; }
VALISE=$(cd "$(dirname "$VALISE")" && pwd)/$(basename "$VALISE")

DIR=$(mktemp -d "${TMPDIR:-/tmp}/valise-demo.XXXXXX")
SERVE_PID=
# At exit: keep the directory (KEEP=1) or remove it; the web view started by
# the last step never outlives the demo unless KEEP=1.
finish() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "(demo files kept in $DIR)"
        return
    fi
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}
trap finish EXIT
cd "$DIR"

# Each key file is sealed under a passphrase. A real user types it at a
# prompt; the demo gives it once through the environment.
export VALISE_PASSPHRASE="demo passphrase, not for real use"
export VALISE_STORE="$DIR/store"

step=0
say() {
    step=$((step + 1))
    printf '\n== %d. %s\n' "$step" "$*"
}
# show ARGS...: print "$ valise ARGS" with shell quoting where needed.
show() {
    local a out="$ valise"
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./=:,+@-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$out"
}
# run ARGS...: show and run a valise command; stop the demo if it fails.
run() {
    show "$@"
    "$VALISE" "$@" || { echo "demo: 'valise $*' failed" >&2; exit 1; }
}
# contact_part: the first line, the contact and persons blocks of `valise get`.
contact_part() {
    awk '/^\$ valise / { print; next } !title++ { print; next }
         /^  [a-z_]+:/ { keep = ($1 == "contact:" || $1 == "persons:") } keep'
}
die() {
    echo "demo: $*" >&2
    exit 1
}

say "The Secretariat creates two approver keys (k = 2 of 2), a key for its node, and one key per central authority of the platform."
run keygen --out secretariat-a --label "Secretariat approver A" --kdf interactive
run keygen --out secretariat-b --label "Secretariat approver B" --kdf interactive
run keygen --out vienna-node --label "Secretariat node (Vienna)" --kdf interactive
for s in MU MG SC KM FR; do
    run keygen --out "ca-$s" --label "$s central authority" --kdf interactive
done

say "It writes the genesis: who approves, which authority may edit which States, which nodes are members."
run genesis create --name "IOC judicial platform" --threshold 2 \
    --approver secretariat-a.pub secretariat-b.pub \
    --authority MU=ca-MU.pub MG=ca-MG.pub SC=ca-SC.pub KM=ca-KM.pub FR=ca-FR.pub \
    --node vienna-node.pub --fresh-node vienna-node.pub --out genesis.vlg

say "Both approvers sign the genesis; it is valid once the threshold is met."
run genesis sign genesis.vlg --key secretariat-a.key
run genesis sign genesis.vlg --key secretariat-b.key
run genesis show genesis.vlg

say "The node creates its store from the signed genesis."
run init --genesis genesis.vlg --key vienna-node.key

say "The Secretariat's node signs a freshness statement of its log head (valise-node does this every 10 minutes; here by hand, valid 1 day)."
run fresh issue --key vienna-node.key --ttl 86400

say "The Secretariat generates the sample directory (fictitious authorities of every State, and agreements)."
run sample --out sample.json

say "Approver A proposes loading it; valise splits it into signed proposals of at most 64 records."
run propose --file sample.json --key secretariat-a.key >proposals.txt
head -3 proposals.txt
echo "..."
nprop=$(grep -c '^proposed ' proposals.txt)
echo "($nprop proposals)"
[ "$nprop" -gt 1 ] || die "expected several proposals for the sample"

say "Each approver approves the whole load with one command: one signed run; at the second approval every proposal becomes a signed, hash-chained log entry, in order."
"$VALISE" approve --all --key secretariat-a.key >first-approval.txt || die "approve --all by A failed"
tail -1 first-approval.txt
"$VALISE" approve --all --key secretariat-b.key >last-approval.txt || die "approve --all by B failed"
grep -q '^run of .*: applied' last-approval.txt || die "the load was not applied"
tail -1 last-approval.txt
run status --key vienna-node.key
records=$("$VALISE" status --json --key vienna-node.key | grep '"records"' | tr -dc 0-9)
[ "$records" -gt 700 ] || die "expected the whole sample in the store, found $records records"

say "Mauritius' central authority looks at its record."
run get MU-01 --key ca-MU.key | contact_part

NEW_PHONE="+230 5550 7777"
NEW_EMAIL="duty.officer@example.mu"
say "Mauritius proposes a new main phone number and a new contact person for MU-01."
run propose --key ca-MU.key --set MU-01 "contact.phones[0]=$NEW_PHONE" \
    "persons[+]={\"name\":\"Duty Officer (sample)\",\"title\":\"Duty officer, urgent requests\",\"phones\":[\"+230 5552 0000\"],\"emails\":[\"$NEW_EMAIL\"]}" \
    >mu-proposal.txt
cat mu-proposal.txt
mu_id=$(awk '/^proposed /{sub(":","",$2); print $2}' mu-proposal.txt)
[ -n "$mu_id" ] || die "no proposal id"

say "The Secretariat reviews the change: a field-level diff against the current record."
run review "${mu_id:0:12}" --key secretariat-a.key | tee review.txt
grep -q "~ contact.phones\[0\]: .* -> \"$NEW_PHONE\"" review.txt || die "the diff does not show the new phone"
grep -q "+ persons\[[0-9]*\]: .*$NEW_EMAIL" review.txt || die "the diff does not show the new person"

say "Approver A approves: one signature is below the threshold, so nothing changes yet."
run approve "${mu_id:0:12}" --key secretariat-a.key
"$VALISE" get MU-01 --key ca-MU.key | grep -qF "$NEW_PHONE" && die "the change is visible after one approval"
echo "(MU-01 still shows the old number)"

say "Approver B approves: the threshold is met and the change joins the log."
run approve "${mu_id:0:12}" --key secretariat-b.key | tee approve.txt
grep -q 'applied as entry' approve.txt || die "the change was not applied"

say "Anyone in the network now reads the new values (here: Madagascar's authority)."
run get MU-01 --key ca-MG.key | tee mu01.txt | contact_part
grep -qF "$NEW_PHONE" mu01.txt || die "the new phone is not in MU-01"
grep -qF "$NEW_EMAIL" mu01.txt || die "the new contact is not in MU-01"

say "The log holds the signed entry: who proposed, which approvers signed, the state root after it."
seq=$("$VALISE" status --json --key vienna-node.key | grep '"seq"' | tr -dc 0-9)
run log --from "$seq" --key vienna-node.key

say "Mauritius tries to change Madagascar's record: refused, nothing is signed or stored."
before=$("$VALISE" status --json --key vienna-node.key)
show propose --key ca-MU.key --set MG-01 "office_hours=Closed"
if "$VALISE" propose --key ca-MU.key --set MG-01 "office_hours=Closed" 2>refused.txt; then
    die "Mauritius was allowed to edit a record of Madagascar"
fi
cat refused.txt
grep -q 'not permitted' refused.txt || die "unexpected refusal: $(cat refused.txt)"
[ "$before" = "$("$VALISE" status --json --key vienna-node.key)" ] || die "the refused proposal changed the store"

say "verify recomputes every hash, chain link, signature and the state root from the log."
run verify --key vienna-node.key

say "The store file holds no contact details in clear (a lost laptop reveals none), while valise shows them to members."
for needle in "$NEW_PHONE" "$NEW_EMAIL" "central.authority@example.mu"; do
    n=$(grep -c -a -F -- "$needle" store/data.mdb || true)
    shown=$("$VALISE" get MU-01 --key vienna-node.key | grep -c -F -- "$needle" || true)
    printf '  %-32s in data.mdb: %s   in valise get MU-01: %s\n' "$needle" "$n" "$shown"
    [ "$n" -eq 0 ] || die "\"$needle\" is readable in the store file"
    [ "$shown" -ge 1 ] || die "\"$needle\" is not shown by valise get"
done

# ---- trust over time (docs/trust.md) ----------------------------------------

say "Approver B's laptop is replaced: B makes a new key, and approver A proposes policy version 2 that rotates B's key."
run keygen --out secretariat-b2 --label "Secretariat approver B (new laptop)" --kdf interactive
run policy propose --key secretariat-a.key --rotate secretariat-b.pub=secretariat-b2.pub --out policy-v2.vlp
run policy sign policy-v2.vlp --key secretariat-b.key
run policy sign policy-v2.vlp --key secretariat-b2.key --store-key vienna-node.key
run policy show policy-v2.vlp --key vienna-node.key

say "Publishing it: version 2 needs 2 of version 1's approvers and 2 of its own; it is adopted."
run policy publish policy-v2.vlp --key vienna-node.key

say "B's old key can no longer approve; the history it signed still verifies."
run propose --key ca-MU.key --set MU-01 "office_hours=Mon-Fri 08:00-16:00" >mu2.txt
cat mu2.txt
mu2=$(awk '/^proposed /{sub(":","",$2); print $2}' mu2.txt)
show approve "${mu2:0:12}" --key secretariat-b.key
if "$VALISE" approve "${mu2:0:12}" --key secretariat-b.key 2>old-b.txt; then
    die "the replaced key of approver B could still approve"
fi
cat old-b.txt
run approve "${mu2:0:12}" --key secretariat-a.key
run approve "${mu2:0:12}" --key secretariat-b2.key
run verify --key vienna-node.key

say "The Comoros authority's key leaks: version 3 revokes it and starts a new content key the leaked key never gets."
run policy propose --key secretariat-a.key --revoke ca-KM.pub --out policy-v3.vlp
run policy sign policy-v3.vlp --key secretariat-b2.key
run policy publish policy-v3.vlp --key vienna-node.key
run policy show --key vienna-node.key

say "The revoked key can neither read the replica nor propose."
show get KM-01 --key ca-KM.key
if "$VALISE" get KM-01 --key ca-KM.key 2>km.txt; then
    die "the revoked key could still read the directory"
fi
cat km.txt
show propose --key ca-KM.key --set KM-01 "office_hours=Closed"
if "$VALISE" propose --key ca-KM.key --set KM-01 "office_hours=Closed" 2>km2.txt; then
    die "the revoked key could still propose"
fi
cat km2.txt

say "The Secretariat's node signs its new head."
run fresh issue --key vienna-node.key --ttl 86400

say "Two days later the field office has had no contact: the directory still answers, and says it may be stale."
later=$(( $(date +%s) + 2 * 86400 ))
printf '$ VALISE_NOW=%s valise get MU-01 --key ca-MU.key     # the clock two days ahead\n' "$later"
VALISE_NOW=$later "$VALISE" get MU-01 --key ca-MU.key >stale-get.txt 2>stale.txt || die "a stale read failed"
cat stale.txt
head -1 stale-get.txt
grep -q "may be stale since" stale.txt || die "no stale-directory warning"
VALISE_NOW=$later "$VALISE" status --key vienna-node.key | grep -i "fresh"

# ---- a field office with no network at all (scripts/demo-field.sh) ----------

source "$ROOT/scripts/demo-field.sh"

# ---- for people who would rather read than type (docs/web.md) ---------------

say "The Secretariat prints this half-year's edition: one self-contained HTML file (no script, nothing fetched), a title page tied to the signed log, one page per State."
run edition --out edition.html --key vienna-node.key
echo "(the edition is $DIR/edition.html: open it in a browser and print it, or save it as PDF)"
grep -q "<tr><th>Hash of the head entry</th><td class=\"hash\">$("$VALISE" status --json --key vienna-node.key | sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p' | head -1)</td>" edition.html ||
    die "the edition's title page does not name the head's hash"
grep -q '<script' edition.html && die "the edition holds a script"

say "The Sahel platform gets a French extract: its five States and the agreements they are party to."
run edition --out edition-sahel-fr.html --lang fr --state BF ML MR NE TD --key vienna-node.key
echo "(the extract is $DIR/edition-sahel-fr.html)"
grep -q '<h2>Recueil: Plateforme judiciaire des pays du Sahel' edition-sahel-fr.html ||
    die "the extract lacks the Sahel compendium"

say "Last, the replica in a browser: valise serve, read-only, on the loopback interface only."
show serve --listen 127.0.0.1:0 --key vienna-node.key
"$VALISE" serve --listen 127.0.0.1:0 --key vienna-node.key >serve.out 2>serve.err &
SERVE_PID=$!
for _ in $(seq 1 100); do
    grep -q '^valise serve: http' serve.out 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || die "valise serve stopped: $(cat serve.err)"
    sleep 0.1
done
cat serve.out
url=$(sed -n 's/^valise serve: \(http:[^ ]*\).*/\1/p' serve.out)
port=$(printf '%s' "$url" | sed -n 's|^http://127\.0\.0\.1:\([0-9]*\)/$|\1|p')
[ -n "$port" ] || die "valise serve printed no URL: $(cat serve.out serve.err)"
# get PATH: one HTTP/1.1 request over bash's /dev/tcp, the answer in page.txt.
get() {
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" "$port" >&3
    cat <&3 >page.txt
    exec 3<&-
}
printf '$ GET %ssearch?country=Niger&lang=fr\n' "$url"
get "/search?country=Niger&lang=fr"
head -1 page.txt | tr -d '\r'
head -1 page.txt | grep -q '^HTTP/1.1 200' || die "the web view did not answer 200: $(head -1 page.txt)"
grep -q 'NE-01' page.txt || die "searching Niger in French does not find NE-01"
grep -q 'NG-01' page.txt && die "searching Niger finds Nigeria's authorities"
echo "(Niger's authorities, not Nigeria's)"
if [ "${KEEP:-0}" = 1 ]; then
    echo "The web view is at $url and keeps running (pid $SERVE_PID): open it in a browser on this machine; kill $SERVE_PID stops it."
else
    echo "The web view is at $url until the demo ends (KEEP=1 bash scripts/demo.sh leaves it running)."
fi

printf '\ndemo: all steps behaved as expected.\n'
