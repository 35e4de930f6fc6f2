/* SPDX-License-Identifier: MIT */
/*
 * valise edition - the printed directory: one self-contained HTML file
 * (inline CSS, no script, no external asset) with a title page that ties
 * the copy to the signed log (network, head entry, its hash, the state
 * root, the policy version, the date), a table of contents, one section per
 * State with its authorities, and the compendiums of agreements per
 * platform. Print CSS starts each State on a new page and keeps a record on
 * one page where it fits. `--state` makes a country extract.
 *
 * Every string taken from the store or the policy goes through vl_html_esc
 * (directly or in vl_html_record); what the file holds is documented in
 * docs/cli.md ("edition") and docs/web.md ("Edition").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "vl_cli.h"
#include "vl_html.h"
#include "vl_record.h"
#include "vl_view.h"

static const char s_usage[] =
    "usage: valise edition --out FILE.html [--lang en|fr|es] [--state CODE...]\n"
    "                      [--force] --key MEMBER.key\n"
    "\n"
    "Write the printed edition of the directory: one self-contained HTML file\n"
    "(inline CSS, no script, nothing fetched from anywhere) that a browser prints\n"
    "or saves as PDF. A title page names the network, the log head (entry\n"
    "number, hash, state root), the policy version and the date, so a printed\n"
    "copy can be matched to the signed log; then a table of contents, one\n"
    "section per State (each starts a new page) with its authorities and every\n"
    "field, and the compendium of each platform with its agreements.\n"
    "  --out FILE     the file to write (required); an existing FILE is refused\n"
    "  --force        replace an existing FILE\n"
    "  --lang L       en (default), fr or es: the language of State names, labels\n"
    "                 and multilingual texts (labels in Spanish fall back to English)\n"
    "  --state CODE   a country extract: only these States (ISO 3166-1 alpha-2\n"
    "                 codes, any case, repeatable or several after one --state) and\n"
    "                 the agreements they are party to\n"
    "The file holds contact details in clear: it is written with mode 0600.\n"
    "When the directory may be stale (docs/trust.md §3), the title page says so\n"
    "and a line \"valise: warning: ...\" on stderr too; the edition is still\n"
    "written.\n";

/* The print and screen style: ours, inline (the file fetches nothing). */
static const char s_css[] =
    "@page{size:A4;margin:18mm 16mm 20mm 16mm}\n"
    "html{font-family:'DejaVu Serif',Georgia,serif;font-size:9.5pt;line-height:1.25;"
    "color:#000;background:#fff}\n"
    "body{margin:0 auto;max-width:52em;padding:0 1em}\n"
    "h1{font-size:22pt;margin:0 0 .4em}h2{font-size:15pt;border-bottom:1.5pt solid #000;"
    "padding-bottom:2pt;margin:0 0 .6em}h3{font-size:11.5pt;margin:0 0 .3em}\n"
    "h2,h3{break-after:avoid;page-break-after:avoid}\n"
    ".title-page{break-after:page;page-break-after:always;padding-top:25mm}\n"
    ".title-page .kicker{font-size:13pt;margin:0 0 1em}\n"
    ".title-page table{border-collapse:collapse;margin:2em 0;width:100%}\n"
    ".title-page th{text-align:left;font-weight:normal;padding:3pt 1em 3pt 0;"
    "vertical-align:top;white-space:nowrap}\n"
    ".title-page td{padding:3pt 0}\n"
    ".hash{font-family:'DejaVu Sans Mono',monospace;font-size:8pt;white-space:nowrap}\n"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:9pt}\n"
    ".match{font-size:9.5pt}\n"
    ".stale{border:1.5pt solid #000;padding:4pt 6pt;font-weight:bold}\n"
    ".toc{break-after:page;page-break-after:always}\n"
    ".toc ol{columns:2;column-gap:2em;padding-left:1.5em;margin:0}\n"
    ".toc li{break-inside:avoid}\n"
    ".toc a{color:#000;text-decoration:none}\n"
    ".state,.compendium{break-before:page;page-break-before:always}\n"
    ".rec{break-inside:avoid;page-break-inside:avoid;border-top:.5pt solid #777;"
    "padding:5pt 0 4pt;margin:0 0 4pt}\n"
    ".rec .id,.code{font-family:'DejaVu Sans Mono',monospace;font-weight:normal;"
    "font-size:9pt}\n"
    ".updated{font-size:8.5pt;color:#333;margin:0 0 3pt}\n"
    "dl.record{display:grid;grid-template-columns:9.5em 1fr;gap:1pt .8em;margin:0}\n"
    "dl.record dt{font-weight:bold}dl.record dd{margin:0}\n"
    "dl.record dl{display:grid;grid-template-columns:auto 1fr;gap:0 .8em;margin:0}\n"
    "dl.record dl dt{font-weight:normal;font-style:italic}dl.record dl dd{margin:0}\n"
    "ul.items{margin:0;padding-left:1.1em}\n"
    ".other-lang{font-size:8pt;color:#333}\n"
    ".members,.party-to{font-size:9.5pt}\n"
    "a{color:#000}\n"
    "@media screen{html{background:#eee}body{background:#fff;padding:1em 2em}"
    ".state,.compendium,.toc{border-top:3pt double #000;margin-top:2em;padding-top:1em}}\n";

/* One State of the edition: its code, name in the edition's language, the
 * fold of that name (sort key), its authorities (record shapes) and the
 * agreements it is party to (borrowed summaries). */
typedef struct {
    char code[3];
    const char *name;
    char key[256];
    json_t *auth;
    json_t *agr;
} s_state_t;

typedef struct {
    vl_cli_t *cli;
    vl_lang_t lang;
    const vl_countries_t *names;
    const vl_strlist_t *want; /* --state codes, upper case; n == 0: every State */
    char want_codes[VL_CLI_MAX_MULTI][3];
    s_state_t *states;
    size_t nstates;
    size_t nauth, nagr;
    json_t *compendiums; /* [{"platform", "members", "agreements": [record shapes]}] */
    json_t *other;       /* agreements no platform names: [record shapes] */
    vl_buf_t b;
} s_ed_t;

static bool
s_wanted(const s_ed_t *ed, const char *code)
{
    if (ed->want->n == 0)
        return true;
    for (size_t i = 0; i < ed->want->n; i++)
        if (code && strcmp(ed->want_codes[i], code) == 0)
            return true;
    return false;
}

/* Is an agreement (summary or record shape) party-wise in the edition? */
static bool
s_agreement_wanted(const s_ed_t *ed, const json_t *summary)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(summary, "states"), i, c)
        if (s_wanted(ed, json_string_value(c)))
            return true;
    return false;
}

static s_state_t *
s_state(s_ed_t *ed, const char *code, bool add)
{
    for (size_t i = 0; i < ed->nstates; i++)
        if (strcmp(ed->states[i].code, code) == 0)
            return &ed->states[i];
    if (!add || strlen(code) != 2)
        return NULL;
    s_state_t *n = realloc(ed->states, (ed->nstates + 1) * sizeof *n);
    if (!n)
        return NULL;
    ed->states = n;
    s_state_t *s = &n[ed->nstates];
    memset(s, 0, sizeof *s);
    memcpy(s->code, code, 3);
    s->name = ed->names ? vl_country_name(ed->names, code, ed->lang) : NULL;
    vl_fold(s->name ? s->name : code, s->key, sizeof s->key);
    s->auth = json_array();
    s->agr = json_array();
    if (!s->auth || !s->agr) {
        json_decref(s->auth);
        json_decref(s->agr);
        return NULL;
    }
    ed->nstates++;
    return s;
}

static int
s_state_cmp(const void *a, const void *b)
{
    const s_state_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->code, y->code);
}

/* The record shape (with "updated") of every summary in `summaries`. */
static int
s_records(s_ed_t *ed, const json_t *summaries, json_t *into)
{
    size_t i;
    const json_t *s;
    json_array_foreach(summaries, i, s) {
        json_t *r = NULL;
        int rc = vl_view_record(ed->cli->store, json_string_value(json_object_get(s, "id")), &r,
                                ed->cli->err);
        if (rc != VL_OK)
            return rc;
        if (json_array_append_new(into, r) != 0)
            return vl_err(ed->cli->err, VL_ENOMEM, "edition");
    }
    return VL_OK;
}

/* Read what the edition shows: the authorities of the wanted States, grouped
 * by State, and the agreements they are party to, by platform. */
static int
s_collect(s_ed_t *ed)
{
    vl_store_t *st = ed->cli->store;
    json_t *all = NULL, *list = NULL, *agr = NULL, *kept = json_array();
    int rc = VL_ENOMEM;
    if (!kept)
        goto out;

    vl_query_t q = { .kind = "authority" };
    if ((rc = vl_view_find(st, &q, &all, ed->cli->err)) != VL_OK)
        goto out;
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s) {
        const char *code = json_string_value(json_object_get(json_object_get(s, "record"),
                                                             "state"));
        if (!code || !s_wanted(ed, code))
            continue;
        if (json_array_append(kept, s) != 0) {
            rc = vl_err(ed->cli->err, VL_ENOMEM, "edition");
            goto out;
        }
    }
    json_t *recs = json_array();
    if (!recs || (rc = s_records(ed, kept, recs)) != VL_OK) {
        json_decref(recs);
        rc = recs ? rc : vl_err(ed->cli->err, VL_ENOMEM, "edition");
        goto out;
    }
    json_array_foreach(recs, i, s) {
        s_state_t *sv = s_state(ed, json_string_value(json_object_get(
                                        json_object_get(s, "record"), "state")), true);
        if (!sv || json_array_append(sv->auth, s) != 0) {
            json_decref(recs);
            rc = vl_err(ed->cli->err, VL_ENOMEM, "edition");
            goto out;
        }
        ed->nauth++;
    }
    json_decref(recs);

    /* Agreements: one compendium per platform, then those no platform names. */
    if ((rc = vl_view_compendium(st, NULL, &list, ed->cli->err)) != VL_OK)
        goto out;
    ed->compendiums = json_array();
    ed->other = json_array();
    if (!ed->compendiums || !ed->other) {
        rc = vl_err(ed->cli->err, VL_ENOMEM, "edition");
        goto out;
    }
    json_t *p;
    json_array_foreach(list, i, p) {
        json_t *c = NULL;
        const char *name = json_string_value(json_object_get(p, "platform"));
        if ((rc = vl_view_compendium(st, name, &c, ed->cli->err)) != VL_OK)
            goto out;
        json_t *sel = json_array(), *recs2 = json_array();
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(c, "agreements"), k, a)
            if (s_agreement_wanted(ed, a))
                json_array_append(sel, a);
        rc = sel && recs2 ? s_records(ed, sel, recs2) : VL_ENOMEM;
        json_decref(sel);
        if (rc == VL_OK && json_array_size(recs2) > 0)
            rc = json_object_set(c, "agreements", recs2) == 0 &&
                         json_array_append(ed->compendiums, c) == 0
                     ? VL_OK
                     : VL_ENOMEM;
        ed->nagr += json_array_size(recs2);
        json_decref(recs2);
        json_decref(c);
        if (rc != VL_OK) {
            if (rc == VL_ENOMEM)
                rc = vl_err(ed->cli->err, VL_ENOMEM, "edition");
            goto out;
        }
    }
    vl_query_t qa = { .kind = "agreement" };
    if ((rc = vl_view_find(st, &qa, &agr, ed->cli->err)) != VL_OK)
        goto out;
    json_array_clear(kept);
    json_array_foreach(agr, i, s)
        if (!json_is_string(json_object_get(json_object_get(s, "record"), "platform")) &&
            s_agreement_wanted(ed, s))
            json_array_append(kept, s);
    if ((rc = s_records(ed, kept, ed->other)) != VL_OK)
        goto out;
    ed->nagr += json_array_size(ed->other);

    /* Each wanted State lists the agreements it is party to. */
    json_array_foreach(agr, i, s) {
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(s, "states"), k, c) {
            const char *code = json_string_value(c);
            if (!code || !s_wanted(ed, code))
                continue;
            s_state_t *sv = s_state(ed, code, true);
            if (!sv || json_array_append(sv->agr, s) != 0) {
                rc = vl_err(ed->cli->err, VL_ENOMEM, "edition");
                goto out;
            }
        }
    }
    /* An extract names only States the directory has something about. */
    for (size_t w = 0; w < ed->want->n; w++)
        if (!s_state(ed, ed->want_codes[w], false)) {
            rc = vl_err(ed->cli->err, VL_ENOTFOUND,
                        "no authority or agreement of State %s in the directory",
                        ed->want_codes[w]);
            goto out;
        }
    if (ed->nstates > 1)
        qsort(ed->states, ed->nstates, sizeof *ed->states, s_state_cmp);
    rc = VL_OK;
out:
    json_decref(all);
    json_decref(list);
    json_decref(agr);
    json_decref(kept);
    return rc;
}

/* ---- HTML ------------------------------------------------------------------- */

static void
s_state_name(s_ed_t *ed, const char *code)
{
    const char *n = ed->names ? vl_country_name(ed->names, code, ed->lang) : NULL;
    if (n) {
        vl_html_esc(&ed->b, n);
        vl_buf_puts(&ed->b, " ");
    }
    vl_buf_puts(&ed->b, "<span class=\"code\">(");
    vl_html_esc(&ed->b, code);
    vl_buf_puts(&ed->b, ")</span>");
}

static void
s_platform_name(s_ed_t *ed, const char *platform)
{
    char key[96];
    const char *w = NULL;
    if (snprintf(key, sizeof key, "platform.%s", platform) < (int)sizeof key) {
        w = vl_i18n(key, ed->lang);
        if (w == key)
            w = NULL;
    }
    if (w) {
        vl_buf_puts(&ed->b, w);
        vl_buf_puts(&ed->b, " ");
    }
    vl_buf_puts(&ed->b, "<span class=\"code\">(");
    vl_html_esc(&ed->b, platform);
    vl_buf_puts(&ed->b, ")</span>");
}

static void
s_anchor(vl_buf_t *b, const char *prefix, const char *id)
{
    vl_buf_puts(b, prefix);
    vl_html_url(b, id);
}

static void
s_row(s_ed_t *ed, const char *label, const char *value, bool hash)
{
    vl_buf_printf(&ed->b, "<tr><th>%s</th><td%s>", vl_i18n(label, ed->lang),
                  hash ? " class=\"hash\"" : "");
    vl_html_esc(&ed->b, value);
    vl_buf_puts(&ed->b, "</td></tr>\n");
}

static void
s_title_page(s_ed_t *ed, const json_t *head, const char *fresh)
{
    vl_buf_t *b = &ed->b;
    const json_t *h = json_object_get(head, "head");
    char when[32], num[32];
    vl_cli_time(vl_cli_now(), when);
    vl_buf_puts(b, "<section class=\"title-page\" id=\"title\">\n<p class=\"kicker\">");
    vl_buf_puts(b, vl_i18n("edition", ed->lang));
    vl_buf_puts(b, "</p>\n<h1>");
    vl_html_esc(b, json_string_value(json_object_get(head, "network")));
    vl_buf_puts(b, "</h1>\n");
    if (ed->want->n > 0) {
        vl_buf_printf(b, "<p class=\"extract\">%s ", vl_i18n("edition.extract", ed->lang));
        for (size_t i = 0; i < ed->nstates; i++) {
            if (i)
                vl_buf_puts(b, ", ");
            s_state_name(ed, ed->states[i].code);
        }
        vl_buf_puts(b, "</p>\n");
    }
    if (fresh) {
        vl_buf_printf(b, "<p class=\"stale\">%s: ", vl_i18n("stale", ed->lang));
        vl_html_esc(b, fresh);
        vl_buf_puts(b, "</p>\n");
    }
    vl_buf_puts(b, "<table class=\"ident\">\n");
    s_row(ed, "network", json_string_value(json_object_get(head, "network")), false);
    s_row(ed, "network_id", json_string_value(json_object_get(head, "network_id")), true);
    snprintf(num, sizeof num, "%lld",
             (long long)json_integer_value(json_object_get(head, "policy_version")));
    s_row(ed, "policy_version", num, false);
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(h, "seq")));
    s_row(ed, "head_seq", num, false);
    s_row(ed, "head_hash", json_string_value(json_object_get(h, "hash")), true);
    s_row(ed, "root", json_string_value(json_object_get(h, "root")), true);
    s_row(ed, "edition.date", when, false);
    vl_buf_printf(b, "<tr><th>%s</th><td>%zu %s, %zu %s, %zu %s</td></tr>\n",
                  vl_i18n("edition.contents", ed->lang), ed->nstates,
                  vl_i18n("edition.states", ed->lang), ed->nauth,
                  vl_i18n("edition.authorities", ed->lang), ed->nagr,
                  vl_i18n("edition.agreements", ed->lang));
    vl_buf_puts(b, "</table>\n<p class=\"match\">");
    vl_buf_puts(b, vl_i18n("edition.match", ed->lang));
    vl_buf_printf(b, "<br><code>valise log --json --from %lld --to %lld</code></p>\n</section>\n",
                  (long long)json_integer_value(json_object_get(h, "seq")),
                  (long long)json_integer_value(json_object_get(h, "seq")));
}

static void
s_toc(s_ed_t *ed)
{
    vl_buf_t *b = &ed->b;
    vl_buf_printf(b, "<nav class=\"toc\" id=\"contents\">\n<h2>%s</h2>\n<h3>%s</h3>\n<ol>\n",
                  vl_i18n("contents", ed->lang), vl_i18n("state_records", ed->lang));
    for (size_t i = 0; i < ed->nstates; i++) {
        vl_buf_puts(b, "<li><a href=\"#");
        s_anchor(b, "s-", ed->states[i].code);
        vl_buf_puts(b, "\">");
        s_state_name(ed, ed->states[i].code);
        vl_buf_puts(b, "</a></li>\n");
    }
    vl_buf_puts(b, "</ol>\n");
    if (json_array_size(ed->compendiums) + json_array_size(ed->other) > 0) {
        vl_buf_printf(b, "<h3>%s</h3>\n<ol>\n", vl_i18n("compendiums", ed->lang));
        size_t i;
        const json_t *c;
        json_array_foreach(ed->compendiums, i, c) {
            const char *p = json_string_value(json_object_get(c, "platform"));
            vl_buf_puts(b, "<li><a href=\"#");
            s_anchor(b, "c-", p);
            vl_buf_puts(b, "\">");
            s_platform_name(ed, p);
            vl_buf_puts(b, "</a></li>\n");
        }
        if (json_array_size(ed->other) > 0)
            vl_buf_printf(b, "<li><a href=\"#other\">%s</a></li>\n",
                          vl_i18n("other_agreements", ed->lang));
        vl_buf_puts(b, "</ol>\n");
    }
    vl_buf_puts(b, "</nav>\n");
}

/* One record: its title, id, last update and every field. */
static void
s_record(s_ed_t *ed, const json_t *r)
{
    vl_buf_t *b = &ed->b;
    const char *id = json_string_value(json_object_get(r, "id"));
    const json_t *rec = json_object_get(r, "record");
    const json_t *u = json_object_get(r, "updated");
    vl_buf_puts(b, "<article class=\"rec\" id=\"");
    s_anchor(b, "r-", id);
    vl_buf_puts(b, "\">\n<h3>");
    vl_html_esc(b, vl_view_title(rec, vl_lang_code(ed->lang)));
    vl_buf_puts(b, " <span class=\"id\">");
    vl_html_esc(b, id);
    vl_buf_puts(b, "</span></h3>\n");
    if (u) {
        const char *hash = json_string_value(json_object_get(u, "entry"));
        vl_buf_printf(b, "<p class=\"updated\">%s: ", vl_i18n("last_updated", ed->lang));
        vl_html_esc(b, json_string_value(json_object_get(u, "time")));
        vl_buf_printf(b, ", %s #%lld <span class=\"code\">", vl_i18n("entry", ed->lang),
                      (long long)json_integer_value(json_object_get(u, "seq")));
        vl_buf_add(b, hash ? hash : "", hash && strlen(hash) >= 16 ? 16 : 0);
        vl_buf_printf(b, "</span>, %s %lld</p>\n", vl_i18n("revision", ed->lang),
                      (long long)json_integer_value(json_object_get(r, "revision")));
    }
    vl_html_record(b, rec, ed->lang, ed->names, "#r-");
    vl_buf_puts(b, "</article>\n");
}

static void
s_state_section(s_ed_t *ed, const s_state_t *s)
{
    vl_buf_t *b = &ed->b;
    vl_buf_puts(b, "<section class=\"state\" id=\"");
    s_anchor(b, "s-", s->code);
    vl_buf_puts(b, "\">\n<h2>");
    s_state_name(ed, s->code);
    vl_buf_puts(b, "</h2>\n");
    if (json_array_size(s->auth) == 0)
        vl_buf_printf(b, "<p>%s</p>\n", vl_i18n("no_authority", ed->lang));
    size_t i;
    const json_t *r;
    json_array_foreach(s->auth, i, r)
        s_record(ed, r);
    if (json_array_size(s->agr) > 0) {
        vl_buf_printf(b, "<div class=\"party-to\"><h3>%s</h3>\n<ul>\n",
                      vl_i18n("party_to", ed->lang));
        json_array_foreach(s->agr, i, r) {
            const char *id = json_string_value(json_object_get(r, "id"));
            vl_buf_puts(b, "<li><a href=\"#");
            s_anchor(b, "r-", id);
            vl_buf_puts(b, "\">");
            vl_html_esc(b, vl_view_title(json_object_get(r, "record"), vl_lang_code(ed->lang)));
            vl_buf_puts(b, "</a> <span class=\"code\">");
            vl_html_esc(b, id);
            vl_buf_puts(b, "</span></li>\n");
        }
        vl_buf_puts(b, "</ul></div>\n");
    }
    vl_buf_puts(b, "</section>\n");
}

static void
s_compendium(s_ed_t *ed, const char *platform, const json_t *members, const json_t *agreements)
{
    vl_buf_t *b = &ed->b;
    vl_buf_puts(b, "<section class=\"compendium\" id=\"");
    if (platform) {
        s_anchor(b, "c-", platform);
        vl_buf_printf(b, "\">\n<h2>%s: ", vl_i18n("compendium", ed->lang));
        s_platform_name(ed, platform);
        vl_buf_puts(b, "</h2>\n");
    } else {
        vl_buf_printf(b, "other\">\n<h2>%s</h2>\n", vl_i18n("other_agreements", ed->lang));
    }
    if (json_array_size(members) > 0) {
        vl_buf_printf(b, "<p class=\"members\">%s: ", vl_i18n("members", ed->lang));
        size_t i;
        const json_t *c;
        json_array_foreach(members, i, c) {
            if (i)
                vl_buf_puts(b, ", ");
            s_state_name(ed, json_string_value(c));
        }
        vl_buf_puts(b, "</p>\n");
    }
    size_t i;
    const json_t *r;
    json_array_foreach(agreements, i, r)
        s_record(ed, r);
    vl_buf_puts(b, "</section>\n");
}

static void
s_document(s_ed_t *ed, const json_t *head, const char *fresh)
{
    vl_buf_t *b = &ed->b;
    vl_buf_printf(b,
                  "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
                  "<meta name=\"generator\" content=\"valise edition\">\n<title>",
                  vl_lang_code(ed->lang));
    vl_html_esc(b, json_string_value(json_object_get(head, "network")));
    vl_buf_printf(b, " \xe2\x80\x94 %s #%lld</title>\n<style>\n", vl_i18n("edition", ed->lang),
                  (long long)json_integer_value(json_object_get(json_object_get(head, "head"),
                                                                "seq")));
    vl_buf_puts(b, s_css);
    vl_buf_puts(b, "</style>\n</head>\n<body>\n");
    s_title_page(ed, head, fresh);
    s_toc(ed);
    for (size_t i = 0; i < ed->nstates; i++)
        s_state_section(ed, &ed->states[i]);
    size_t i;
    const json_t *c;
    json_array_foreach(ed->compendiums, i, c)
        s_compendium(ed, json_string_value(json_object_get(c, "platform")),
                     json_object_get(c, "members"), json_object_get(c, "agreements"));
    if (json_array_size(ed->other) > 0)
        s_compendium(ed, NULL, NULL, ed->other);
    vl_buf_puts(b, "</body>\n</html>\n");
}

/* ---- the command ---------------------------------------------------------------- */

int
cmd_edition(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "edition", s_usage);
    const char *out = NULL, *lang = NULL;
    bool force = false;
    vl_strlist_t states = { .n = 0 };
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &out },
        { "lang", VL_OPT_ARG, &lang },
        { "state", VL_OPT_MULTI, &states },
        { "force", VL_OPT_FLAG, &force },
        { NULL, VL_OPT_FLAG, NULL },
    };
    s_ed_t ed = { .cli = &cli, .lang = VL_LANG_EN, .want = &states };
    vl_countries_t *names = NULL;
    json_t *head = NULL;
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!out || !*out)
        return vl_cli_usage(&cli, "--out FILE is required");
    if (lang && !vl_lang_parse(lang, &ed.lang))
        return vl_cli_usage(&cli, "--lang must be en, fr or es, not '%s'", lang);
    for (size_t i = 0; i < states.n; i++) {
        const char *s = states.v[i];
        if (strlen(s) != 2)
            return vl_cli_usage(&cli, "--state wants two-letter State codes such as MU, not '%s'",
                                s);
        char c[3] = { (char)(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 32 : s[0]),
                      (char)(s[1] >= 'a' && s[1] <= 'z' ? s[1] - 32 : s[1]), 0 };
        if (!vl_state_valid(c, 2))
            return vl_cli_usage(&cli, "--state wants two-letter State codes such as MU, not '%s'",
                                s);
        memcpy(ed.want_codes[i], c, 3);
    }
    ret = VL_EXIT_ERR;
    struct stat sb;
    if (!force && lstat(out, &sb) == 0) {
        vl_cli_fail(&cli, VL_EEXIST,
                    "%s already exists (refusing to overwrite; --force replaces it)", out);
        goto out;
    }
    char warn[VL_ERRMSG_MAX] = "";
    int rc = vl_countries_load(NULL, NULL, &names, warn, cli.err);
    if (rc != VL_OK) {
        /* Without the names, States are shown by code: still a usable edition. */
        fprintf(stderr, "valise: warning: State names unavailable (%s); codes only\n",
                vl_cli_esc(cli.err));
        cli.err[0] = '\0';
        names = NULL;
    } else if (warn[0]) {
        fprintf(stderr, "valise: warning: %s\n", vl_cli_esc(warn));
    }
    ed.names = names;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    if ((rc = vl_view_head(cli.store, &head, cli.err)) != VL_OK ||
        (rc = s_collect(&ed)) != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    vl_freshness_t fr;
    char ftext[VL_ERRMSG_MAX];
    bool stale = vl_cli_freshness(&cli, &fr, ftext, sizeof ftext);
    s_document(&ed, head, stale ? ftext : NULL);
    if (ed.b.oom) {
        vl_cli_fail(&cli, VL_ENOMEM, "edition");
        goto out;
    }
    rc = vl_cli_write_file(out, ed.b.p, ed.b.len, !force, 0600, cli.err);
    if (rc != VL_OK) {
        if (rc == VL_EEXIST)
            vl_cli_fail(&cli, rc, "%s already exists (refusing to overwrite; --force replaces it)",
                        out);
        else
            vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    const json_t *h = json_object_get(head, "head");
    printf("edition: wrote %s (%s; %zu States, %zu authorities, %zu agreements; head #%lld "
           "%.16s, root %.16s)\n",
           vl_cli_esc(out), vl_lang_code(ed.lang), ed.nstates, ed.nauth, ed.nagr,
           (long long)json_integer_value(json_object_get(h, "seq")),
           json_string_value(json_object_get(h, "hash")),
           json_string_value(json_object_get(h, "root")));
    vl_cli_freshness_warn(&fr, ftext);
    ret = VL_EXIT_OK;
out:
    for (size_t i = 0; i < ed.nstates; i++) {
        json_decref(ed.states[i].auth);
        json_decref(ed.states[i].agr);
    }
    free(ed.states);
    json_decref(ed.compendiums);
    json_decref(ed.other);
    json_decref(head);
    vl_buf_free(&ed.b);
    vl_countries_free(&names);
    vl_cli_done(&cli);
    return ret;
}
