#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The printed edition through a real browser: headless Chromium prints
# `valise edition` to PDF. The page count is what the content demands: a
# title page, the contents, and at least one page per State and per
# compendium (each starts a new page), at most one more per record (each
# fits on a page and is not split); each State's heading opens a page; a
# record's first and last lines are on one page; the title page's text
# (pdftotext) holds the network, the head's entry number, its whole hash and
# the state root. Chromium or poppler-utils missing is a failure
# (scripts/setup.sh installs them), never a skip.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/setup.sh installs it)"
for t in pdfinfo pdftotext; do
    command -v "$t" >/dev/null || fail "$t is not installed (poppler-utils; scripts/setup.sh)"
done

vl_network
N=(--key "$T/node.key")
# A few States of the sample beside MU and MG: Niger and Nigeria (names that
# begin alike), Mali, and the Sahel compendium's regional arrangement.
"$VALISE" sample --out "$T/sample.json" >/dev/null || fail "sample"
/usr/bin/python3 - "$T/sample.json" "$T/more.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
keep = [r for r in d if r.get("state") in ("NE", "NG", "ML") or r["id"] == "SAHEL-REG-MLA"]
json.dump(keep, open(sys.argv[2], "w", encoding="utf-8"))
PY
id=$(propose_id --file "$T/more.json" --key "$T/sec1.key")
approve_both "$id"
"$VALISE" log --json --from 2 --to 2 "${N[@]}" >"$T/log.json" || fail "log --json"
HASH=$(json_get 'd[0]["hash"]' <"$T/log.json")
ROOT=$(json_get 'd[0]["root"]' <"$T/log.json")

ok edition --out "$T/e.html" --state mu MG ne NG ML "${N[@]}"
nstates=$(grep -c '<section class="state"' "$T/e.html")
ncomp=$(grep -c '<section class="compendium"' "$T/e.html")
nrec=$(grep -c '<article class="rec"' "$T/e.html")
[ "$nstates" -eq 5 ] || fail "expected 5 State sections, found $nstates"
[ "$ncomp" -eq 2 ] || fail "expected the IOC and SAHEL compendiums, found $ncomp"

export HOME=$T/home
mkdir -p "$HOME"
start=$(date +%s)
timeout 50 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
    --no-pdf-header-footer --print-to-pdf="$T/e.pdf" "file://$T/e.html" \
    >"$T/chrome.log" 2>&1 || fail "chromium failed: $(tail -5 "$T/chrome.log")"
[ -s "$T/e.pdf" ] || fail "chromium wrote no PDF: $(tail -5 "$T/chrome.log")"
echo "chromium printed the edition in $(($(date +%s) - start)) s"

pages=$(pdfinfo "$T/e.pdf" | awk '/^Pages:/ { print $2 }')
min=$((2 + nstates + ncomp))
max=$((min + nrec))
echo "pages: $pages (title + contents + $nstates States + $ncomp compendiums = $min at least; $nrec records: at most $max)"
[ "$pages" -ge "$min" ] || fail "$pages pages: fewer than the $min the sections demand (page breaks lost?)"
[ "$pages" -le "$max" ] || fail "$pages pages: more than $max (blank pages, or records split?)"

# page N: the text of page N, one line per line, blank lines dropped.
page() {
    pdftotext -layout -f "$1" -l "$1" "$T/e.pdf" - | sed 's/^ *//; s/  */ /g' | grep -v '^$' || true
}

# The title page ties the copy to the log.
page 1 >"$T/p1.txt"
has 'Directory of competent national authorities' "$T/p1.txt"
has 'IOC judicial platform \(test\)' "$T/p1.txt"
has '^Log head \(entry number\) 2$' "$T/p1.txt"
has "$HASH" "$T/p1.txt"
has "$ROOT" "$T/p1.txt"
has 'Extract for Madagascar \(MG\), Mali \(ML\), Mauritius \(MU\), Niger \(NE\), Nigeria \(NG\)' "$T/p1.txt"
page 2 >"$T/p2.txt"
has '^Contents$' "$T/p2.txt"
hasnt 'Hash of the head entry' "$T/p2.txt"

# Each State's heading is the first line of a page; the headings come in
# the contents' order (by name), each on a later page than the one before.
last=2
for s in 'Madagascar \(MG\)' 'Mali \(ML\)' 'Mauritius \(MU\)' 'Niger \(NE\)' 'Nigeria \(NG\)' \
    'Compendium: Indian Ocean' 'Compendium: judicial platform of the Sahel|Compendium: Judicial platform of the Sahel'; do
    found=0
    for ((p = last + 1; p <= pages; p++)); do
        if page "$p" | head -1 | grep -Eq "^($s)"; then
            found=$p
            break
        fi
    done
    [ "$found" -gt 0 ] || fail "no page after page $last opens with /$s/"
    last=$found
done

# A record is not split: MU-01's title and its last field are on one page.
for ((p = 3; p <= pages; p++)); do
    if page "$p" | grep -q 'MU-01$'; then
        page "$p" >"$T/mu.txt"
        has 'Treaties IOC-BIL-MU-MG' "$T/mu.txt"
        has 'Robin Example' "$T/mu.txt"
        break
    fi
done
[ -s "$T/mu.txt" ] || fail "no page holds the record MU-01"

echo "t_edition_pdf: OK"
