#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valise edition: the printed directory as one self-contained HTML file. The
# title page names the network, the head's entry number, hash and state root
# and the policy version; --lang fr gives French labels and State names;
# --state MU gives MU's section and the agreements MU is party to, and
# nothing of MG; no script, no external asset (every link an anchor of the
# file), a strict CSP; a hostile record name is escaped; an existing file,
# a bad --lang, a bad or unknown --state are refused with nothing written;
# a stale directory puts its warning on the title page and on stderr.
set -euo pipefail
source "${VL_SOURCE_DIR:?VL_SOURCE_DIR must name the source tree}/tests/cli/lib.sh"
VL_GENESIS_ARGS=(--fresh-node "$T/node.pub")
vl_network
N=(--key "$T/node.key")
"$VALISE" fresh issue "${N[@]}" --ttl 86400 >/dev/null || fail "fresh issue"

# The head as the log and the status give it.
"$VALISE" log --json --from 1 --to 1 "${N[@]}" >"$T/log.json" || fail "log --json"
HASH=$(json_get 'd[0]["hash"]' <"$T/log.json")
ROOT=$(json_get 'd[0]["root"]' <"$T/log.json")
"$VALISE" status --json "${N[@]}" >"$T/status.json" || fail "status --json"
[ ${#HASH} -eq 64 ] && [ ${#ROOT} -eq 64 ] || fail "no head hash or root: $HASH $ROOT"

# wellformed FILE: every element we open is closed, in order, no element or
# attribute that loads or runs anything, every link an anchor of the file
# (Python's parser).
wellformed() {
    /usr/bin/python3 - "$1" <<'PY' || fail "$1 is not well-formed HTML"
import sys
from html.parser import HTMLParser
BAD_TAGS = {"script", "img", "link", "iframe", "object", "embed", "video", "audio", "source",
            "base", "form", "svg", "math", "frame", "picture", "track"}
BAD_ATTRS = {"src", "srcset", "action", "formaction", "poster", "data", "background", "style"}
VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr", "area", "base", "source"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.hrefs, self.err = [], set(), [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in BAD_TAGS:
            self.err.append("a <%s> element" % tag)
        for k in a:
            if k in BAD_ATTRS or k.startswith("on"):
                self.err.append("a %s attribute on <%s>" % (k, tag))
        if "id" in a:
            if a["id"] in self.ids:
                self.err.append("duplicate id " + a["id"])
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.err.append("unexpected </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
if p.stack:
    p.err.append("unclosed: %s" % p.stack)
for h in p.hrefs:
    if not h.startswith("#"):
        p.err.append("a link that leaves the file: " + h)
    elif h[1:] not in p.ids and not h.startswith("#r-"):
        p.err.append("a link to no anchor: " + h)
for e in p.err:
    print(e, file=sys.stderr)
sys.exit(1 if p.err else 0)
PY
}

# selfcontained FILE: no script, no external asset of any kind, a CSP.
selfcontained() {
    wellformed "$1"
    hasnt '<script' "$1"
    hasnt 'url\(|@import|https?://[^ <"]*\.(css|js|png|woff2?)' "$1"
    hasnt 'href="(https?:|//|data:|javascript:)' "$1"
    has "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">" "$1"
}

# ---- the whole directory, in English ------------------------------------------
ok edition --out "$T/e.html" "${N[@]}"
has "^edition: wrote .*e\.html \(en; 2 States, 2 authorities, 1 agreements; head #1 ${HASH:0:16}, root ${ROOT:0:16}\)"
[ ! -s "$T/err" ] || fail "edition wrote to stderr: $(cat "$T/err")"
[ "$(stat -c %a "$T/e.html")" = 600 ] || fail "the edition is not mode 600"
E=$T/e.html
wellformed "$E"
selfcontained "$E"
has '<html lang="en">' "$E"
# Title page: network, id, policy version, head entry, its hash, the root, the date.
title=$(sed -n '/<section class="title-page"/,/<\/section>/p' "$E")
printf '%s\n' "$title" >"$T/title.html"
has '<h1>IOC judicial platform \(test\)</h1>' "$T/title.html"
has "<tr><th>Network id</th><td class=\"hash\">$(json_get 'd["network_id"]' <"$T/status.json")</td></tr>" "$T/title.html"
has '<tr><th>Policy version</th><td>1</td></tr>' "$T/title.html"
has '<tr><th>Log head \(entry number\)</th><td>1</td></tr>' "$T/title.html"
has "<tr><th>Hash of the head entry</th><td class=\"hash\">$HASH</td></tr>" "$T/title.html"
has "<tr><th>State root</th><td class=\"hash\">$ROOT</td></tr>" "$T/title.html"
has '<tr><th>Date of this edition</th><td>2024-06-01T00:00:00Z</td></tr>' "$T/title.html"
has 'valise log --json --from 1 --to 1' "$T/title.html"
hasnt 'class="stale"' "$T/title.html"
# Contents: one link per State and per compendium, by name.
has '<li><a href="#s-MG">Madagascar <span class="code">\(MG\)</span></a></li>' "$E"
has '<li><a href="#s-MU">Mauritius <span class="code">\(MU\)</span></a></li>' "$E"
has '<a href="#c-IOC">Indian Ocean Commission judicial platform' "$E"
# Sections: States by name (Madagascar before Mauritius), each a new page.
grep -o '<section class="[a-z-]*" id="[^"]*"' "$E" | sed 's/.*id="//; s/"$//' | tr '\n' ' ' >"$T/order"
[ "$(cat "$T/order")" = "title s-MG s-MU c-IOC " ] || fail "sections: $(cat "$T/order")"
has '\.state,\.compendium\{break-before:page' "$E"
has '\.rec\{break-inside:avoid' "$E"
has '@page\{size:A4' "$E"
# Records: every field, the last update, the agreement under its platform.
has '<article class="rec" id="r-MU-01">' "$E"
has '<article class="rec" id="r-MG-01">' "$E"
has '<article class="rec" id="r-IOC-BIL-MU-MG">' "$E"
has 'Last updated: 2024-06-01T00:00:00Z, log entry #1 <span class="code">'"${HASH:0:16}"'</span>, revision 1' "$E"
has '\+230 5550 1111, \+230 5550 1112' "$E"
has 'a\.sample@example\.mu' "$E"
has 'Robin Example' "$E"
has 'Indian/Mauritius' "$E"
has '<dt>Functions</dt><dd class="f-functions">extradition, mutual legal assistance</dd>' "$E"
has '<dt>Channels</dt><dd class="f-channels">central authority, e-mail</dd>' "$E"
has '<a href="#r-IOC-BIL-MU-MG">IOC-BIL-MU-MG</a>' "$E"
has '<h2>Compendium: Indian Ocean Commission judicial platform <span class="code">\(IOC\)</span></h2>' "$E"
has 'Members: Madagascar <span class="code">\(MG\)</span>, Mauritius <span class="code">\(MU\)</span>' "$E"

# ---- French --------------------------------------------------------------------
ok edition --out "$T/fr.html" --lang FR "${N[@]}"
F=$T/fr.html
wellformed "$F"
selfcontained "$F"
has '<html lang="fr">' "$F"
has 'Répertoire des autorités nationales compétentes' "$F"
has '<h2>Sommaire</h2>' "$F"
has '<tr><th>Version de la politique</th><td>1</td></tr>' "$F"
has "<tr><th>Empreinte de l'entr.e de t.te</th><td class=\"hash\">$HASH</td></tr>" "$F"
has '<li><a href="#s-MU">Maurice <span class="code">\(MU\)</span></a></li>' "$F"
has '<dt>Fonctions</dt><dd class="f-functions">extradition, entraide judiciaire</dd>' "$F"
has 'Autorit. centrale, bureau du procureur g.n.ral \(test\)' "$F"
has 'Derni.re mise . jour: 2024-06-01T00:00:00Z' "$F"
has '<h2>Recueil: Plateforme judiciaire de la Commission' "$F"
hasnt '<dt>Functions</dt>' "$F"
# Spanish: State names in Spanish (labels fall back to English).
ok edition --out "$T/es.html" --lang es "${N[@]}"
has '<html lang="es">' "$T/es.html"
has '<li><a href="#s-MU">Mauricio <span class="code">\(MU\)</span></a></li>' "$T/es.html"

# ---- a country extract -----------------------------------------------------------
ok edition --out "$T/mu.html" --state mu "${N[@]}"
has '\(en; 1 States, 1 authorities, 1 agreements;'
M=$T/mu.html
wellformed "$M"
has '<p class="extract">Extract for Mauritius <span class="code">\(MU\)</span></p>' "$M"
has 'id="s-MU"' "$M"
has 'id="r-MU-01"' "$M"
has 'id="r-IOC-BIL-MU-MG"' "$M"
hasnt 'id="s-MG"' "$M"
hasnt 'id="r-MG-01"' "$M"
hasnt 'href="#s-MG"' "$M"
hasnt '\(MG-01\)|>MG-01<' "$M"
ok edition --out "$T/mg-mu.html" --state MG --state MU "${N[@]}"
has '\(en; 2 States, 2 authorities, 1 agreements;'
ok edition --out "$T/mg-mu2.html" --state MU mg "${N[@]}"
has '\(en; 2 States, 2 authorities, 1 agreements;'

# ---- refusals: nothing written -------------------------------------------------
cp "$E" "$T/e.before"
refused 1 'already exists.*--force' edition --out "$E" "${N[@]}"
cmp -s "$E" "$T/e.before" || fail "the refused edition changed the existing file"
ok edition --out "$E" --force --lang fr "${N[@]}"
has '<html lang="fr">' "$E"
refused 2 "--lang must be en, fr or es, not 'de'" edition --out "$T/x.html" --lang de "${N[@]}"
refused 2 "--lang needs a value|needs a value" edition --out "$T/x.html" --lang
refused 2 "--state wants two-letter State codes such as MU, not 'MUS'" edition --out "$T/x.html" --state MUS "${N[@]}"
refused 2 "--state wants two-letter State codes such as MU, not 'M1'" edition --out "$T/x.html" --state M1 "${N[@]}"
refused 1 'no authority or agreement of State US in the directory' edition --out "$T/x.html" --state MU US "${N[@]}"
refused 2 '--out FILE is required' edition "${N[@]}"
refused 2 "unexpected argument 'extra'" edition --out "$T/x.html" extra "${N[@]}"
refused 1 'not found|no such|cannot' edition --out "$T/x.html" --store "$T/nostore" "${N[@]}"
[ ! -e "$T/x.html" ] || fail "a refused edition wrote $T/x.html"
ls "$T" | grep -q '^x\.html' && fail "a temporary file was left: $(ls "$T")"

# ---- a hostile record: escaped, no markup gets through -----------------------------
/usr/bin/python3 - "$DATA/MU-01.json" "$T/evil.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
r["name"] = {"en": "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"}
r["office_hours"] = "</dd></dl></article><style>body{display:none}</style>"
r["contact"]["website"] = "javascript:alert(3)"
r["persons"][0]["name"] = "\u202eRLO\u0007bell\u009bcsi"
json.dump(r, open(sys.argv[2], "w", encoding="utf-8"))
PY
id=$(propose_id --file "$T/evil.json" --key "$T/mu.key")
approve_both "$id"
ok edition --out "$T/evil.html" "${N[@]}"
V=$T/evil.html
wellformed "$V"
selfcontained "$V"
hasnt '<img' "$V"
hasnt '<style>body' "$V"
[ "$(grep -c '<style>' "$V")" -eq 1 ] || fail "a second style element"
has '&lt;script&gt;alert\(1\)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert\(2\)&gt;&amp;amp;' "$V"
has '&lt;/dd&gt;&lt;/dl&gt;&lt;/article&gt;&lt;style&gt;' "$V"
has '<span class="contact">javascript:alert\(3\)</span>' "$V"
if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$V"; then
    fail "a raw control byte in the edition"
fi
has 'revision 2' "$V"

# ---- a stale directory: the title page says so, the edition is still written --------
VALISE_NOW=$((VALISE_NOW + 3 * 86400)) ok edition --out "$T/stale.html" "${N[@]}"
has '^valise: warning: .*stale' "$T/err"
has '<p class="stale">The directory may be stale: .*stale since 2024-06-02' "$T/stale.html"
hasnt 'class="stale"' "$E"

echo "t_edition: OK"
