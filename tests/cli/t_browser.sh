#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real headless Chromium against `valise serve` on the sample data (the
# authorities of Niger, Nigeria and Mauritius and their agreements): the
# French search for "Niger" finds the Nigerien authorities and not
# Nigeria's; a record page shows the contact fields; the stale banner shows
# once the freshness statement is old (injected clock); screenshots of the
# search and record pages are kept under $VL_TEST_TMP/browser/ and checked
# to be non-blank (the PNG decoded with python3's zlib).
# Chromium missing is a failure: scripts/setup.sh installs it.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
source "$VL_SOURCE_DIR/tests/cli/serve_lib.sh"

CHROME=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then CHROME=$(command -v "$c"); break; fi
done
[ -n "$CHROME" ] || fail "chromium is not installed (scripts/setup.sh installs it)"
SHOTS="$VL_TEST_TMP/browser"
mkdir -p "$SHOTS"

# chrome ARGS... URL: one headless run, at most 45 s.
chrome() {
    timeout 45 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --no-default-browser-check --disable-extensions \
        --user-data-dir="$T/chrome" --window-size=1200,1600 "$@" 2>>"$T/chrome.err" ||
        fail "chromium failed ($*): $(tail -5 "$T/chrome.err")"
}

# non_blank PNG: a valid PNG with more than a few distinct pixel values.
non_blank() {
    /usr/bin/python3 - "$1" <<'PY' || fail "$1 is blank or not a PNG"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride, prev, colours, i = w * bpp, bytearray(w * bpp), set(), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 7):
        colours.add(bytes(line[x:x + bpp]))
    prev = line
print("%s: %dx%d, %d distinct pixel values" % (sys.argv[1], w, h, len(colours)))
sys.exit(0 if len(colours) > 8 else 1)
PY
}

vl_keys node2
VL_GENESIS_ARGS=(--node "$T/node2.pub" --fresh-node "$T/node.pub")
vl_network
K=(--key "$T/node.key")
EXP=$((VALISE_NOW + 86400))

# The sample's records of NE, NG and MU (authorities and agreements they are
# party to), proposed by the Secretariat and approved.
ok sample --out "$T/sample.json"
/usr/bin/python3 - "$T/sample.json" "$T/load.json" <<'PY'
import json, sys
want = {"NE", "NG", "MU"}
recs = [r for r in json.load(open(sys.argv[1], encoding="utf-8"))
        if r.get("state") in want or (r["kind"] == "agreement" and want & set(r.get("parties", [])))]
# The test network's own records stay as they are.
recs = [r for r in recs if r["id"] not in ("MU-01", "MG-01", "IOC-BIL-MU-MG")]
json.dump(recs, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
"$VALISE" propose --file "$T/load.json" --key "$T/sec1.key" >"$T/out" 2>"$T/err" ||
    fail "propose the sample: $(cat "$T/err")"
for id in $(awk '/^proposed /{sub(":","",$2); print $2}' "$T/out"); do
    approve_both "$id"
done
ok fresh issue "${K[@]}"

serve_start "${K[@]}"
BASE="http://127.0.0.1:$PORT"

# The French search for "Niger": Niger's authorities, not Nigeria's.
chrome --dump-dom "$BASE/search?country=Niger&lang=fr" >"$T/niger.html"
grep -q '<html lang="fr">' "$T/niger.html" || fail "the search page is not French"
grep -q '<ul class="results">' "$T/niger.html" || fail "no results: $(head -c 2000 "$T/niger.html")"
grep -q 'href="/record/NE-01?lang=fr"' "$T/niger.html" || fail "NE-01 not found"
grep -q 'href="/record/NE-02?lang=fr"' "$T/niger.html" || fail "NE-02 not found"
grep -q 'href="/record/NG-' "$T/niger.html" && fail "Nigeria's authorities listed for Niger"
# Every authority listed is Niger's (agreements may have Nigeria among their parties).
sed -n '/<ul class="results">/,/<\/ul>/p' "$T/niger.html" | grep '<li>' >"$T/niger.li"
grep -c 'class="kind">Autorit' "$T/niger.li" | grep -qx 2 || fail "expected 2 authorities: $(cat "$T/niger.li")"
grep 'class="kind">Autorit' "$T/niger.li" | grep -v '<span class="code">(NE)</span></li>$' &&
    fail "an authority of another State listed for Niger"
grep -q 'class="banner stale"' "$T/niger.html" && fail "stale banner on a fresh replica"
# And "Nigéria" (French) is Nigeria only (plain HTTP: a browser run costs seconds).
status_is 200 GET "/search?country=Nig%C3%A9ria&lang=fr&kind=authority"
grep -q 'href="/record/NG-01?lang=fr"' "$T/body" || fail "NG-01 not found for Nigéria"
grep -q 'href="/record/NE-' "$T/body" && fail "Niger listed for Nigéria"

# The record page: the contact fields.
phone=$(json_get 'next(r for r in d if r["id"] == "NE-01")["contact"]["phones"][0]' <"$T/load.json")
email=$(json_get 'next(r for r in d if r["id"] == "NE-01")["contact"]["emails"][0]' <"$T/load.json")
chrome --dump-dom "$BASE/record/NE-01?lang=fr" >"$T/ne01.html"
grep -q 'Coordonn' "$T/ne01.html" || fail "no contact heading on the record page"
grep -qF "$phone" "$T/ne01.html" || fail "phone $phone not on the record page"
grep -qF "$email" "$T/ne01.html" || fail "e-mail $email not on the record page"
grep -q 'Derni.re mise . jour' "$T/ne01.html" || fail "no last updated"

# Screenshots, kept, checked non-blank.
rm -f "$SHOTS/search.png" "$SHOTS/record.png"
(cd "$T" && chrome --screenshot="$SHOTS/search.png" "$BASE/search?country=Niger&lang=fr")
(cd "$T" && chrome --screenshot="$SHOTS/record.png" "$BASE/record/NE-01?lang=fr")
non_blank "$SHOTS/search.png"
non_blank "$SHOTS/record.png"
serve_stop

# The statement expired: the banner.
VALISE_NOW=$((EXP + 301)) serve_start "${K[@]}"
BASE="http://127.0.0.1:$PORT"
chrome --dump-dom "$BASE/record/NE-01?lang=fr" >"$T/stale.html"
grep -q '<div class="banner stale" role="alert">' "$T/stale.html" || fail "no stale banner"
grep -q 'stale since 2024-06-02' "$T/stale.html" || fail "the banner does not say since when"
serve_stop
echo "t_browser: ok (screenshots in $SHOTS)"
