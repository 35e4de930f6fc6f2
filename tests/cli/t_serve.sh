#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valise serve (docs/web.md): loopback only, refused before anything is
# opened; a foreign Host is 421 with nothing of the directory; only GET and
# HEAD; the strict headers on every answer; the JSON twins have the shapes
# of find --json, get --json and status --json; French by Accept-Language
# and by ?lang; a hostile record name is escaped; the stale banner appears
# with an old statement and not with a fresh one; no page refers to an
# outside asset; unknown values say so and suggest.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
source "$VL_SOURCE_DIR/tests/cli/serve_lib.sh"

vl_keys node2
VL_GENESIS_ARGS=(--node "$T/node2.pub" --fresh-node "$T/node.pub")
vl_network
K=(--key "$T/node.key")
T0=$VALISE_NOW
EXP=$((T0 + 86400))

# ---- the listen check: refused before the key or the store is opened --------
for bad in 0.0.0.0:0 192.0.2.1:8080 example.org:80 '[::]:0' 10.0.0.1:0 128.0.0.1:0; do
    # No passphrase and no store: the refusal must come first.
    VALISE_PASSPHRASE= VALISE_STORE="$T/nostore" \
        refused 2 "refusing to listen on '.*': only loopback" serve --listen "$bad" "${K[@]}"
    [ -s "$T/out" ] && fail "serve --listen $bad printed: $(cat "$T/out")"
done
[ -e "$T/nostore" ] && fail "a refused serve created a store"
refused 2 "--listen wants ADDR:PORT" serve --listen 127.0.0.1 "${K[@]}"
refused 2 "--listen wants ADDR:PORT" serve --listen 127.0.0.1:65536 "${K[@]}"
refused 2 "--listen wants ADDR:PORT" serve --listen 127.0.0.1:-1 "${K[@]}"
refused 2 "unexpected argument" serve extra "${K[@]}"
ok serve --help
has '^usage: valise serve'

# ---- a hostile record, approved: its name is HTML ----------------------------
/usr/bin/python3 - "$DATA/MU-01.json" "$T/evil.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
r["name"] = {"en": "<script>alert(1)</script>", "fr": "<img src=x onerror=alert(2)>"}
r["office_hours"] = "\"><b>bold</b>"
json.dump(r, open(sys.argv[2], "w", encoding="utf-8"))
PY
id=$(propose_id --file "$T/evil.json" --key "$T/mu.key")
[ -n "$id" ] || fail "no proposal id"
approve_both "$id"

# A fresh statement at T0 for entry 2.
ok fresh issue "${K[@]}"

# ---- server 1: fresh clock ----------------------------------------------------
serve_start "${K[@]}"
[ "$(wc -l <"$T/serve.out")" -eq 1 ] || fail "serve printed more than its line: $(cat "$T/serve.out")"

# Host: the listening address or localhost with the port; anything else 421.
status_is 200 GET / "Host: 127.0.0.1:$PORT"
status_is 200 GET / "Host: localhost:$PORT"
status_is 200 GET / "Host: LOCALHOST:$PORT"
for h in "evil.example:$PORT" "evil.example" "127.0.0.1:$((PORT + 1))" "127.0.0.1" \
         "127.0.0.1:$PORT.evil.example" "localhost.evil.example:$PORT" "[::1]:$PORT" ""; do
    status_is 421 GET /search?country=MU "Host: $h"
    grep -q 'MU-01\|Mauritius\|example.mu' "$T/body" && fail "Host '$h': the directory was served"
    grep -qi "^content-security-policy: default-src 'none'" "$T/hdr" || fail "421 without CSP"
done
status_is 421 GET /record/MU-01?format=json "Host: rebind.example:$PORT"
grep -q 'example.mu' "$T/body" && fail "a foreign Host got the record"

# Methods: GET and HEAD only.
for m in POST PUT DELETE OPTIONS PATCH TRACE; do
    status_is 405 "$m" /
    grep -qi '^allow: GET, HEAD$' "$T/hdr" || fail "$m: no Allow header: $(cat "$T/hdr")"
done
status_is 200 HEAD /record/MU-01
[ -s "$T/body" ] && fail "HEAD returned a body"

# The headers on every answer, errors included.
for p in / /search?country=MU /record/MU-01 /compendium /compendium/IOC /status /style.css \
         /nope /record/NOPE "/search?function=extraditon" "/?format=json"; do
    req GET "$p" >/dev/null
    for h in "content-security-policy: default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
             "x-content-type-options: nosniff" "referrer-policy: no-referrer" \
             "cache-control: no-store" "x-frame-options: DENY"; do
        grep -qixF "$h" "$T/hdr" || fail "$p: missing header '$h': $(cat "$T/hdr")"
    done
done

# Pages: no outside asset, no script; the fresh replica shows no banner.
for p in / "/search?country=Mauritius" /record/MU-01 /record/IOC-BIL-MU-MG /compendium \
         /compendium/IOC /status /record/NOPE "/search?country=Korea" /style.css; do
    req GET "$p" >/dev/null
    if grep -Eiq '(src|href|action|srcset|data)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$T/body"; then
        fail "$p refers to an outside asset: $(grep -Eio '(src|href|action)=[^>]*' "$T/body" | head -3)"
    fi
    grep -Eiq 'url\(|@import' "$T/body" && fail "$p: CSS loads something"
    grep -qi '<script' "$T/body" && fail "$p has a script element"
    grep -q 'class="banner stale"' "$T/body" && fail "$p: stale banner on a fresh replica"
done

# Home: the form and its lists.
status_is 200 GET /
grep -q '<form class="search" method="get" action="/search">' "$T/body" || fail "no search form"
for n in country function basis language kind text; do
    grep -q "name=\"$n\"" "$T/body" || fail "the form lacks '$n'"
done
grep -q '<option value="Mauritius">' "$T/body" || fail "no State list"

# Search: State by name in three languages and by code in any case.
for q in Mauritius Maurice Mauricio mu MU; do
    status_is 200 GET "/search?country=$q&kind=authority"
    grep -q '<ul class="results">' "$T/body" || fail "$q: no results list"
    grep -q 'href="/record/MU-01?lang=en"' "$T/body" || fail "$q: MU-01 not found: $(cat "$T/body")"
    grep -q 'href="/record/MG-01' "$T/body" && fail "$q: MG-01 listed"
done
status_is 200 GET "/search?country=Madagascar&function=mla&text=Antananarivo"
status_is 200 GET "/search?country=MG&function=extradition&kind=agreement&language=FR"
grep -q 'No record matches.' "$T/body" || fail "no 'no result' sentence: $(cat "$T/body")"
# Several States match: choices, as links.
status_is 200 GET "/search?country=Korea"
grep -q 'class="choices"' "$T/body" || fail "Korea: no choices"
grep -q 'country=KP' "$T/body" && grep -q 'country=KR' "$T/body" || fail "Korea: KP/KR missing"
# Unknown values: 400, saying so, with the nearest.
status_is 400 GET "/search?country=Mauritus"
grep -q 'No State is named' "$T/body" || fail "unknown State not said"
grep -q 'country=MU' "$T/body" || fail "no suggestion for Mauritus: $(cat "$T/body")"
status_is 400 GET "/search?function=extraditon"
grep -q "extradition" "$T/body" || fail "no suggestion for extraditon"
status_is 400 GET "/search?basis=UNTOC16"
grep -q "UNTOC-16" "$T/body" || fail "no suggestion for UNTOC16"
status_is 400 GET "/search?kind=person"
status_is 400 GET "/search?language=f1"
status_is 400 GET "/search?lang=de"
status_is 400 GET "/search?format=xml"
status_is 400 GET "/search?text=$(head -c 300 /dev/zero | tr '\0' a)"
status_is 400 GET "/search?text=%ff%fe"
status_is 400 GET "/search?$(for i in $(seq 1 40); do printf 'a%d=1&' "$i"; done)"
status_is 400 GET "/$(head -c 3000 /dev/zero | tr '\0' a)"
status_is 404 GET /nope
status_is 404 GET /record/NOPE
status_is 400 GET "/record/bad%21id"
status_is 404 GET /compendium/NOPE
status_is 404 GET "/record/NOPE?format=json"
[ "$(json_get 'sorted(d)' <"$T/body")" = "['error']" ] || fail "JSON error shape: $(cat "$T/body")"

# The JSON twins: the CLI's shapes.
cmp_json() { # WHAT CLI-FILE WEB-FILE PYTHON-CHECK
    /usr/bin/python3 - "$2" "$3" "$4" <<'PY' || fail "$1: the JSON twin differs from the CLI"
import json, sys
cli, web = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ok = eval(sys.argv[3])
if not ok:
    print("cli:", json.dumps(cli)[:800], "\nweb:", json.dumps(web)[:800], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
"$VALISE" find --state MU --json "${K[@]}" >"$T/cli.json" 2>/dev/null || fail "find --json"
status_is 200 GET "/search?country=MU&format=json"
grep -qi '^content-type: application/json' "$T/hdr" || fail "search JSON content type"
cmp_json "search" "$T/cli.json" "$T/body" 'cli == web and len(web) == 2'
status_is 200 GET "/search?country=mauritius" "Accept: application/json"
cmp_json "search (Accept)" "$T/cli.json" "$T/body" 'cli == web'
"$VALISE" find --state ZW --json "${K[@]}" >"$T/cli.json" 2>/dev/null || fail "find --json"
status_is 200 GET "/search?country=ZW&format=json"
cmp_json "empty search" "$T/cli.json" "$T/body" 'cli == web == []'

"$VALISE" get MU-01 --json "${K[@]}" >"$T/cli.json" 2>/dev/null || fail "get --json"
status_is 200 GET "/record/MU-01?format=json"
cmp_json "record" "$T/cli.json" "$T/body" \
    'set(cli) <= set(web) and all(cli[k] == web[k] for k in cli) and web["updated"]["seq"] == 2 and len(web["updated"]["approvers"]) == 2'

"$VALISE" status --json "${K[@]}" >"$T/cli.json" 2>/dev/null || fail "status --json"
status_is 200 GET "/status?format=json"
cmp_json "status" "$T/cli.json" "$T/body" \
    'set(web) <= set(cli) and all(cli[k] == web[k] for k in web) and web["freshness"]["state"] == "fresh"'
status_is 200 GET "/?format=json"
cmp_json "home" "$T/cli.json" "$T/body" 'all(cli[k] == web[k] for k in web) and "head" in web'
status_is 200 GET "/compendium?format=json"
cmp_json "compendiums" "$T/cli.json" "$T/body" \
    'web == [{"platform": "IOC", "members": ["MG", "MU"], "count": 1}]'
status_is 200 GET "/compendium/IOC?format=json"
cmp_json "compendium" "$T/cli.json" "$T/body" \
    'web["platform"] == "IOC" and [a["id"] for a in web["agreements"]] == ["IOC-BIL-MU-MG"]'

# Language: Accept-Language with q-values, ?lang, links that keep it.
status_is 200 GET / "Accept-Language: fr-CA,fr;q=0.9,en;q=0.5"
grep -q '<html lang="fr">' "$T/body" || fail "Accept-Language fr: not French"
grep -q 'Rechercher' "$T/body" || fail "Accept-Language fr: no French words"
status_is 200 GET / "Accept-Language: en;q=0.4, fr;q=0.8"
grep -q '<html lang="fr">' "$T/body" || fail "q-values not honoured"
status_is 200 GET / "Accept-Language: fr;q=0, de, en;q=0.1"
grep -q '<html lang="en">' "$T/body" || fail "fr;q=0 chose French"
status_is 200 GET /record/MU-01?lang=fr "Accept-Language: en"
grep -q '<html lang="fr">' "$T/body" || fail "?lang=fr not honoured"
grep -q 'Coordonn' "$T/body" || fail "record labels not French"
grep -q 'href="/status?lang=fr"' "$T/body" || fail "links do not keep lang"
status_is 200 GET "/search?country=Maurice&lang=fr"
grep -q 'href="/record/MU-01?lang=fr"' "$T/body" || fail "result links do not keep lang"
grep -q 'Maurice <span class="code">(MU)</span>' "$T/body" || fail "State names not French"
grep -q 'hreflang="en" href="/search?country=Maurice&amp;lang=en"' "$T/body" ||
    fail "no English link to the same page: $(grep -o 'hreflang[^>]*' "$T/body")"
status_is 200 GET "/search?country=Mauritius&lang=es"
grep -q 'Mauricio' "$T/body" || fail "State names not Spanish"

# The hostile record: escaped on the record page, in results, in the title.
status_is 200 GET /record/MU-01
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/body" || fail "hostile name not shown escaped"
grep -qF '<script>' "$T/body" && fail "hostile name unescaped"
grep -qF '&quot;&gt;&lt;b&gt;bold&lt;/b&gt;' "$T/body" || fail "hostile office hours not escaped"
grep -qF '<b>bold' "$T/body" && fail "hostile office hours unescaped"
status_is 200 GET /record/MU-01?lang=fr
grep -qF '&lt;img src=x onerror=alert(2)&gt;' "$T/body" || fail "hostile French name not escaped"
grep -qF '<img' "$T/body" && fail "hostile French name unescaped"
status_is 200 GET "/search?country=MU"
grep -qF '<script>' "$T/body" && fail "hostile name unescaped in results"
grep -qF '&lt;script&gt;' "$T/body" || fail "hostile name not in results"
# A hostile query is escaped too.
status_is 400 GET "/search?country=%3Cscript%3Ex"
grep -qF '<script>x' "$T/body" && fail "the query is echoed unescaped"
grep -qF '&lt;script&gt;x' "$T/body" || fail "the query is not echoed escaped"

# Record page: last update, entry, approvers.
status_is 200 GET /record/MU-01
grep -q 'Last updated' "$T/body" || fail "no last updated"
grep -q '2024-06-01T00:00:00Z' "$T/body" || fail "no update time"
grep -q 'sec1' "$T/body" && grep -q 'sec2' "$T/body" || fail "approvers not named"
serve_stop

# ---- server 2: the statement expired: the banner on every page ----------------
VALISE_NOW=$((EXP + 301)) serve_start "${K[@]}"
for p in / "/search?country=MU" /record/MU-01 /compendium /compendium/IOC /status /record/NOPE; do
    req GET "$p" >/dev/null
    grep -q '<div class="banner stale" role="alert">' "$T/body" || fail "$p: no stale banner"
    grep -q 'stale since 2024-06-02' "$T/body" || fail "$p: the banner does not say since when"
done
status_is 200 GET "/record/MU-01?format=json"
[ "$(json_get 'd["freshness"]["state"]' <"$T/body")" = stale ] || fail "record JSON freshness"
status_is 200 GET /?lang=fr
grep -q "Le r.pertoire n'est peut-" "$T/body" || fail "banner heading not French"
serve_stop

# ---- a reader-less member key serves too; the store is never written ----------
snapshot "$T/snap.1"
serve_start --key "$T/mu.key"
status_is 200 GET /record/MG-01
serve_stop
unchanged "$T/snap.1"
echo "t_serve: ok"
