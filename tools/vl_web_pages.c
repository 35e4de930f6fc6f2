/* SPDX-License-Identifier: MIT */
/*
 * vl_web_pages - the pages of `valise serve` and their JSON twins
 * (docs/web.md "Pages"): home, search, record, compendiums, status, the
 * style sheet and error pages. Every text from the store or the request
 * goes through vl_html_esc (or vl_html_url inside a link); the JSON twins
 * are the vl_view shapes, as the CLI's --json.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vl_record.h"
#include "vl_view.h"
#include "vl_web.h"

static const char *const s_functions[] = {
    "extradition", "mla", "transfer_sentenced_persons", "drug_trafficking_sea",
    "migrant_smuggling_sea", "firearms_trafficking", NULL
};
static const char *const s_bases[] = {
    "DRUG1988-6", "DRUG1988-7", "DRUG1988-17", "UNTOC-16", "UNTOC-17", "UNTOC-18",
    "SOM-8", "FIREARMS-13", NULL
};
static const char *const s_languages[] = { "ar", "en", "es", "fr", "pt", "ru", "zh", NULL };
/* States shown per result in a list; a record page shows all. */
#define S_LIST_STATES 8

static const char *const s_kinds[] = { "authority", "agreement", NULL };

static const char s_css[] =
    "body{font-family:sans-serif;margin:0;color:#111;background:#fff;line-height:1.4}\n"
    "header{background:#1d3557;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;"
    "gap:1em;align-items:center}\n"
    "header a{color:#fff}\nheader .langs{margin-left:auto}\n"
    "main{padding:1em;max-width:60em}\n"
    ".banner.stale{background:#ffe08a;border:2px solid #b58100;padding:.6em 1em;margin:0}\n"
    "form.search{display:grid;grid-template-columns:max-content 1fr;gap:.4em 1em;"
    "max-width:40em}\n"
    "form.search button{grid-column:2;justify-self:start}\n"
    "ul.results li{margin:.3em 0}\n.kind,.code{color:#555;font-size:.9em}\n"
    "dl.record{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em}\n"
    "dl.record dt{font-weight:bold}\ndl.record dd{margin:0}\n"
    ".updated{background:#f1f1f1;padding:.5em 1em}\n.error{color:#900}\n"
    "@media print{header,.langs{display:none}}\n";

/* ---- frame --------------------------------------------------------------------- */

/* An internal link's href value: path + "?lang=xx" (path is ours, or a
 * percent-encoded segment written by the caller before). */
static void
s_href(vl_buf_t *b, const vl_req_t *r, const char *path)
{
    vl_html_esc(b, path);
    vl_buf_printf(b, "?lang=%s", vl_lang_code(r->lang));
}

static void
s_open(vl_req_t *r, const char *title, bool escaped_title)
{
    vl_buf_t *b = &r->body;
    vl_buf_printf(b,
                  "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>",
                  vl_lang_code(r->lang));
    if (escaped_title)
        vl_html_esc(b, title);
    else
        vl_buf_puts(b, title);
    vl_buf_puts(b, " - valise</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n"
                   "</head><body>\n<header><a href=\"");
    s_href(b, r, "/");
    vl_buf_printf(b, "\">%s</a> <a href=\"", vl_i18n("home", r->lang));
    s_href(b, r, "/compendium");
    vl_buf_printf(b, "\">%s</a> <a href=\"", vl_i18n("compendiums", r->lang));
    s_href(b, r, "/status");
    vl_buf_printf(b, "\">%s</a>\n<span class=\"langs\">", vl_i18n("status", r->lang));
    static const char *const names[] = { "English", "Fran\xc3\xa7" "ais", "Espa\xc3\xb1ol" };
    for (int l = 0; l < VL_NLANGS; l++) {
        vl_buf_t q = { 0 };
        vl_buf_puts(&q, r->path);
        vl_req_self_query(r, &q, (vl_lang_t)l);
        vl_buf_puts(b, " <a hreflang=\"");
        vl_buf_puts(b, vl_lang_code((vl_lang_t)l));
        vl_buf_puts(b, "\" href=\"");
        vl_html_esc(b, q.p);
        vl_buf_printf(b, "\">%s</a>", names[l]);
        if (q.oom)
            b->oom = true;
        vl_buf_free(&q);
    }
    vl_buf_puts(b, "</span></header>\n");
    vl_freshness_t f;
    char text[VL_ERRMSG_MAX];
    if (vl_cli_freshness(r->web->cli, &f, text, sizeof text)) {
        vl_buf_printf(b, "<div class=\"banner stale\" role=\"alert\"><strong>%s</strong>: ",
                      vl_i18n("stale", r->lang));
        vl_html_esc(b, text);
        vl_buf_puts(b, "</div>\n");
    }
    vl_buf_puts(b, "<main>\n");
}

static void
s_close(vl_req_t *r)
{
    vl_buf_puts(&r->body, "</main>\n</body></html>\n");
}

/* Set the body to the JSON j (stolen). */
static void
s_json(vl_req_t *r, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    vl_buf_free(&r->body);
    if (!s) {
        r->body.oom = true;
        return;
    }
    vl_buf_puts(&r->body, s);
    vl_buf_puts(&r->body, "\n");
    free(s);
}

void
vl_req_error(vl_req_t *r, unsigned status, const char *msg)
{
    r->status = status;
    vl_buf_free(&r->body);
    if (r->json) {
        s_json(r, json_pack("{s:s}", "error", msg));
        return;
    }
    s_open(r, vl_i18n("error", r->lang), false);
    vl_buf_printf(&r->body, "<h1>%s %u</h1>\n<p class=\"error\">", vl_i18n("error", r->lang),
                  status);
    vl_html_esc(&r->body, msg);
    vl_buf_puts(&r->body, "</p>\n");
    s_close(r);
}

/* A store error as a page: not found 404, bad input 400, else 500. */
static void
s_fail(vl_req_t *r, int rc, const char *err)
{
    unsigned st = rc == VL_ENOTFOUND ? 404u : rc == VL_EINVAL ? 400u : 500u;
    char msg[VL_ERRMSG_MAX + 64];
    snprintf(msg, sizeof msg, "%s%s%s", vl_strerror(rc), err && err[0] ? ": " : "",
             err ? err : "");
    vl_req_error(r, st, msg);
}

/* A State as "Name (CODE)" in the page's language. */
static void
s_state(vl_buf_t *b, const vl_req_t *r, const char *code)
{
    const char *n = vl_country_name(r->web->names, code, r->lang);
    if (n) {
        vl_html_esc(b, n);
        vl_buf_puts(b, " <span class=\"code\">(");
        vl_html_esc(b, code);
        vl_buf_puts(b, ")</span>");
    } else {
        vl_html_esc(b, code);
    }
}

/* ---- nearest words ------------------------------------------------------------- */

/* Edit distance of the folded a and b (first 63 bytes of each). */
static size_t
s_dist(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63)
        la = 63;
    if (lb > 63)
        lb = 63;
    size_t row[64], prev;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

/* The word of list nearest to v (folded), or NULL when none is close. */
static const char *
s_nearest(const char *const *list, const char *v)
{
    char fv[128], fw[128];
    vl_fold(v, fv, sizeof fv);
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; list[i]; i++) {
        vl_fold(list[i], fw, sizeof fw);
        size_t d = s_dist(fv, fw);
        if (d < bd) {
            bd = d;
            best = list[i];
        }
    }
    return bd <= 3 + strlen(fv) / 4 ? best : NULL;
}

/* The value of list equal to v ignoring case, or NULL. */
static const char *
s_in(const char *const *list, const char *v)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], v) == 0)
            return list[i];
    return NULL;
}

/* ---- home ---------------------------------------------------------------------- */

static void
s_select(vl_buf_t *b, const vl_req_t *r, const char *name, const char *label,
         const char *const *list, const char *prefix)
{
    const char *cur = vl_req_arg(r, name);
    vl_buf_printf(b, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">"
                     "<option value=\"\">(%s)</option>",
                  name, label, name, name, vl_i18n("any", r->lang));
    for (size_t i = 0; list[i]; i++) {
        vl_buf_printf(b, "<option value=\"%s\"%s>", list[i],
                      cur && strcasecmp(cur, list[i]) == 0 ? " selected" : "");
        char key[96];
        snprintf(key, sizeof key, "%s%s", prefix ? prefix : "", list[i]);
        vl_buf_puts(b, prefix ? vl_i18n(key, r->lang) : list[i]);
        vl_buf_puts(b, "</option>");
    }
    vl_buf_puts(b, "</select>\n");
}

/* A State name and its sort key (folded: accents do not count). */
typedef struct {
    const char *name;
    char key[64];
} s_named_t;

static int
s_named_cmp(const void *a, const void *b)
{
    return strcmp(((const s_named_t *)a)->key, ((const s_named_t *)b)->key);
}

static void
s_form(vl_req_t *r)
{
    vl_buf_t *b = &r->body;
    const char *country = vl_req_arg(r, "country"), *text = vl_req_arg(r, "text");
    vl_buf_printf(b, "<form class=\"search\" method=\"get\" action=\"/search\">\n"
                     "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n"
                     "<label for=\"country\">%s</label>"
                     "<input id=\"country\" name=\"country\" list=\"states\" maxlength=\"100\""
                     " value=\"",
                  vl_lang_code(r->lang), vl_i18n("country", r->lang));
    vl_html_esc(b, country);
    vl_buf_puts(b, "\">\n<datalist id=\"states\">");
    const vl_countries_t *n = r->web->names;
    size_t cnt = vl_countries_count(n);
    s_named_t *sorted = calloc(cnt ? cnt : 1, sizeof *sorted);
    if (!sorted) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < cnt; i++) {
        sorted[i].name = vl_country_name(n, vl_countries_code(n, i), r->lang);
        vl_fold(sorted[i].name, sorted[i].key, sizeof sorted[i].key);
    }
    qsort(sorted, cnt, sizeof *sorted, s_named_cmp);
    for (size_t i = 0; i < cnt; i++) {
        vl_buf_puts(b, "<option value=\"");
        vl_html_esc(b, sorted[i].name);
        vl_buf_puts(b, "\">");
    }
    free(sorted);
    vl_buf_puts(b, "</datalist>\n");
    s_select(b, r, "function", vl_i18n("function", r->lang), s_functions, "function.");
    s_select(b, r, "basis", vl_i18n("legal_basis", r->lang), s_bases, NULL);
    s_select(b, r, "language", vl_i18n("language", r->lang), s_languages, NULL);
    s_select(b, r, "kind", vl_i18n("field.kind", r->lang), s_kinds, "");
    vl_buf_printf(b, "<label for=\"text\">%s</label><input id=\"text\" name=\"text\" "
                     "maxlength=\"200\" value=\"",
                  vl_i18n("text", r->lang));
    vl_html_esc(b, text);
    vl_buf_printf(b, "\">\n<button type=\"submit\">%s</button>\n</form>\n",
                  vl_i18n("search", r->lang));
}

static void s_status(vl_req_t *r);

static void
s_home(vl_req_t *r)
{
    if (r->json) {
        s_status(r);
        return;
    }
    s_open(r, vl_i18n("home", r->lang), false);
    vl_buf_printf(&r->body, "<h1>%s</h1>\n", vl_i18n("edition", r->lang));
    s_form(r);
    s_close(r);
}

/* ---- search -------------------------------------------------------------------- */

/* The (at most 3) States whose names in any language are nearest to the
 * query, nearest first, into best. @return how many. */
static size_t
s_state_nearest(const vl_req_t *r, const char *query, const char *best[3])
{
    const vl_countries_t *n = r->web->names;
    char fq[128], fn[128];
    vl_fold(query, fq, sizeof fq);
    size_t bd[3] = { (size_t)-1, (size_t)-1, (size_t)-1 };
    best[0] = best[1] = best[2] = NULL;
    for (size_t i = 0; i < vl_countries_count(n); i++) {
        const char *code = vl_countries_code(n, i);
        size_t d = (size_t)-1;
        for (int l = 0; l < VL_NLANGS; l++) {
            vl_fold(vl_country_name(n, code, (vl_lang_t)l), fn, sizeof fn);
            size_t x = s_dist(fq, fn);
            if (x < d)
                d = x;
        }
        for (int k = 0; k < 3; k++) {
            if (d < bd[k]) {
                for (int m = 2; m > k; m--) {
                    bd[m] = bd[m - 1];
                    best[m] = best[m - 1];
                }
                bd[k] = d;
                best[k] = code;
                break;
            }
        }
    }
    size_t k = 0;
    while (k < 3 && best[k] && bd[k] <= 2 + strlen(fq) / 3)
        k++;
    return k;
}

/* The 400 page for a country that names no State, with the nearest names. */
static void
s_no_state(vl_req_t *r, const char *query)
{
    const char *best[3];
    size_t n = s_state_nearest(r, query, best);
    char msg[VL_WEB_MAX_VALUE + 64];
    snprintf(msg, sizeof msg, "%s '%s'", vl_i18n("no_state", r->lang), query);
    r->status = 400;
    if (r->json) {
        json_t *c = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(c, json_string(best[i]));
        s_json(r, json_pack("{s:s, s:o}", "error", msg, "suggestions", c));
        return;
    }
    s_open(r, vl_i18n("error", r->lang), false);
    vl_buf_t *b = &r->body;
    vl_buf_puts(b, "<h1>");
    vl_html_esc(b, msg);
    vl_buf_puts(b, "</h1>\n");
    if (n > 0) {
        vl_buf_printf(b, "<p>%s <span class=\"suggestions\">", vl_i18n("did_you_mean", r->lang));
        for (size_t i = 0; i < n; i++) {
            vl_buf_printf(b, "%s<a href=\"/search?lang=%s&amp;country=", i ? ", " : "",
                          vl_lang_code(r->lang));
            vl_html_url(b, best[i]);
            vl_buf_puts(b, "\">");
            s_state(b, r, best[i]);
            vl_buf_puts(b, "</a>");
        }
        vl_buf_puts(b, "</span>?</p>\n");
    }
    s_form(r);
    s_close(r);
}

/* The page for a country that names several States: choose one. */
static void
s_choices(vl_req_t *r, const char *query, const char **codes, size_t n)
{
    if (r->json) {
        json_t *c = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(c, json_string(codes[i]));
        char msg[VL_WEB_MAX_VALUE + 64];
        snprintf(msg, sizeof msg, "'%s' names several States", query);
        r->status = 400;
        s_json(r, json_pack("{s:s, s:o}", "error", msg, "choices", c));
        return;
    }
    s_open(r, vl_i18n("results", r->lang), false);
    vl_buf_t *b = &r->body;
    vl_buf_printf(b, "<h1>%s</h1>\n<p>", vl_i18n("results", r->lang));
    vl_html_esc(b, query);
    vl_buf_printf(b, ": %s</p>\n<ul class=\"choices\">\n", vl_i18n("choose_state", r->lang));
    for (size_t i = 0; i < n; i++) {
        vl_buf_t q = { 0 };
        /* the same search with country=CODE */
        vl_buf_puts(&q, "/search");
        vl_req_self_query(r, &q, r->lang);
        vl_buf_puts(b, "<li><a href=\"");
        vl_html_esc(b, q.p);
        vl_buf_puts(b, "&amp;country=");
        vl_html_url(b, codes[i]);
        vl_buf_puts(b, "\">");
        s_state(b, r, codes[i]);
        vl_buf_puts(b, "</a></li>\n");
        vl_buf_free(&q);
    }
    vl_buf_puts(b, "</ul>\n");
    s_close(r);
}

/* "unknown VALUE for WHAT; did you mean NEAR?" as a 400 page. */
static void
s_unknown(vl_req_t *r, const char *what, const char *value, const char *near)
{
    char msg[2 * VL_WEB_MAX_VALUE + 128];
    if (near)
        snprintf(msg, sizeof msg, "%s: '%s'? %s '%s'?", vl_i18n("unknown_value", r->lang),
                 value, vl_i18n("did_you_mean", r->lang), near);
    else
        snprintf(msg, sizeof msg, "%s (%s): '%s'", vl_i18n("unknown_value", r->lang), what,
                 value);
    vl_req_error(r, 400, msg);
}

/* One search result as a list item, from the record's own (borrowed) JSON view. */
typedef struct {
    vl_req_t *r;
    vl_buf_t list;
    size_t n;
    bool more;
    int rc;
} s_hits_t;

static int
s_hit(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    (void)rev;
    s_hits_t *h = ctx;
    const vl_req_t *r = h->r;
    if (h->n == VL_WEB_MAX_RESULTS) {
        h->more = true;
        return 0;
    }
    const json_t *j = vl_record_json(rec);
    if (!j)
        return h->rc = VL_ENOMEM;
    vl_buf_t *b = &h->list;
    vl_buf_puts(b, "<li><a href=\"/record/");
    vl_html_url(b, vl_record_id(rec));
    vl_buf_printf(b, "?lang=%s\">", vl_lang_code(r->lang));
    vl_html_esc(b, vl_view_title(j, vl_lang_code(r->lang)));
    vl_buf_printf(b, "</a> <span class=\"kind\">%s</span> ",
                  vl_i18n(vl_kind_name(vl_record_kind(rec)), r->lang));
    size_t ns = vl_record_nstates(rec);
    for (size_t k = 0; k < ns; k++) {
        if (k == S_LIST_STATES) {
            vl_buf_printf(b, ", &hellip; (%zu)", ns);
            break;
        }
        if (k)
            vl_buf_puts(b, ", ");
        s_state(b, r, vl_record_state(rec, k));
    }
    vl_buf_puts(b, "</li>\n");
    h->n++;
    return 0;
}

static void
s_search(vl_req_t *r)
{
    vl_query_t q = { .limit = VL_WEB_MAX_RESULTS + 1 };
    const char *country = vl_req_arg(r, "country"), *fn = vl_req_arg(r, "function"),
               *basis = vl_req_arg(r, "basis"), *language = vl_req_arg(r, "language"),
               *kind = vl_req_arg(r, "kind");
    q.text = vl_req_arg(r, "text");
    char lang[4] = "";
    if (fn && !(q.function = s_in(s_functions, fn)))
        { s_unknown(r, "function", fn, s_nearest(s_functions, fn)); return; }
    if (basis && !(q.legal_basis = s_in(s_bases, basis)))
        { s_unknown(r, "basis", basis, s_nearest(s_bases, basis)); return; }
    if (kind && !(q.kind = s_in(s_kinds, kind)))
        { s_unknown(r, "kind", kind, s_nearest(s_kinds, kind)); return; }
    if (language) {
        size_t n = strlen(language);
        bool ok = n >= 2 && n <= 3;
        for (size_t i = 0; ok && i < n; i++) {
            char c = language[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            lang[i] = (char)(c | 0x20);
        }
        if (!ok)
            { s_unknown(r, "language", language, NULL); return; }
        lang[n] = '\0';
        q.language = lang;
    }
    if (country) {
        const char *codes[32];
        size_t n = vl_country_match(r->web->names, country, codes, 32);
        if (n == 0) {
            s_no_state(r, country);
            return;
        }
        if (n > 1)
            { s_choices(r, country, codes, n < 32 ? n : 32); return; }
        q.state = codes[0];
    }
    char err[VL_ERRMSG_MAX] = "";
    if (r->json) {
        json_t *arr = NULL;
        int rc = vl_view_find(r->web->cli->store, &q, &arr, err);
        if (rc != VL_OK)
            { s_fail(r, rc, err); return; }
        if (json_array_size(arr) > VL_WEB_MAX_RESULTS)
            json_array_remove(arr, VL_WEB_MAX_RESULTS);
        s_json(r, arr);
        return;
    }
    /* The HTML list is written record by record as the store walks them:
     * no array of 1,000 full JSON views is built and then freed. */
    s_hits_t h = { .r = r };
    int rc = vl_store_find(r->web->cli->store, &q, s_hit, &h);
    if (rc == VL_OK && h.rc != VL_OK)
        rc = h.rc;
    if (rc != VL_OK || h.list.oom) {
        vl_buf_free(&h.list);
        s_fail(r, rc != VL_OK ? rc : VL_ENOMEM, "find");
        return;
    }
    s_open(r, vl_i18n("results", r->lang), false);
    vl_buf_t *b = &r->body;
    s_form(r);
    vl_buf_printf(b, "<h1>%s: %zu</h1>\n", vl_i18n("results", r->lang), h.n);
    if (h.n == 0) {
        vl_buf_printf(b, "<p class=\"none\">%s</p>\n", vl_i18n("no_results", r->lang));
    } else {
        vl_buf_puts(b, "<ul class=\"results\">\n");
        vl_buf_add(b, h.list.p, h.list.len);
        vl_buf_puts(b, "</ul>\n");
    }
    if (h.more)
        vl_buf_printf(b, "<p class=\"more\">%s</p>\n", vl_i18n("first_results", r->lang));
    vl_buf_free(&h.list);
    s_close(r);
}

/* ---- record -------------------------------------------------------------------- */

static void
s_identity(vl_buf_t *b, const json_t *id)
{
    vl_html_esc(b, json_string_value(json_object_get(id, "name")));
    vl_buf_puts(b, " <span class=\"code\">(");
    vl_html_esc(b, json_string_value(json_object_get(id, "kid")));
    vl_buf_puts(b, ")</span>");
}

static void
s_record(vl_req_t *r, const char *id)
{
    if (!vl_record_id_valid(id, strlen(id)))
        { vl_req_error(r, 400, "not a record id"); return; }
    json_t *j = NULL;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_view_record(r->web->cli->store, id, &j, err);
    if (rc != VL_OK)
        { s_fail(r, rc, err); return; }
    vl_freshness_t f;
    char text[VL_ERRMSG_MAX];
    if (r->json) {
        vl_cli_freshness(r->web->cli, &f, text, sizeof text);
        json_object_set_new(j, "freshness", vl_cli_freshness_json(&f, text));
        { s_json(r, j); return; }
    }
    const json_t *rec = json_object_get(j, "record"), *up = json_object_get(j, "updated");
    const char *title = vl_view_title(rec, vl_lang_code(r->lang));
    s_open(r, title[0] ? title : id, true);
    vl_buf_t *b = &r->body;
    vl_buf_puts(b, "<h1>");
    vl_html_esc(b, title[0] ? title : id);
    vl_buf_puts(b, "</h1>\n");
    char suffix[16];
    snprintf(suffix, sizeof suffix, "?lang=%s", vl_lang_code(r->lang));
    vl_html_record_links(b, rec, r->lang, r->web->names, "/record/", suffix);
    vl_buf_printf(b, "<section class=\"updated\"><h2>%s</h2>\n<dl class=\"record\">"
                     "<dt>%s</dt><dd>",
                  vl_i18n("last_updated", r->lang), vl_i18n("last_updated", r->lang));
    vl_html_esc(b, json_string_value(json_object_get(up, "time")));
    vl_buf_printf(b, "</dd>\n<dt>%s</dt><dd>%lld <span class=\"code\">",
                  vl_i18n("entry", r->lang),
                  (long long)json_integer_value(json_object_get(up, "seq")));
    vl_html_esc(b, json_string_value(json_object_get(up, "entry")));
    vl_buf_printf(b, "</span></dd>\n<dt>%s</dt><dd>", vl_i18n("proposed_by", r->lang));
    s_identity(b, json_object_get(up, "author"));
    vl_buf_printf(b, "</dd>\n<dt>%s</dt><dd>", vl_i18n("approved_by", r->lang));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(up, "approvers"), i, a) {
        if (i)
            vl_buf_puts(b, ", ");
        s_identity(b, a);
    }
    vl_buf_puts(b, "</dd></dl></section>\n");
    json_decref(j);
    s_close(r);
}

/* ---- compendiums --------------------------------------------------------------- */

static void
s_members(vl_buf_t *b, const vl_req_t *r, const json_t *members)
{
    size_t i;
    json_t *c;
    json_array_foreach(members, i, c) {
        if (i)
            vl_buf_puts(b, ", ");
        s_state(b, r, json_string_value(c));
    }
}

static void
s_compendium(vl_req_t *r, const char *platform)
{
    if (platform && !vl_record_id_valid(platform, strlen(platform)))
        { vl_req_error(r, 400, "not a platform name"); return; }
    json_t *j = NULL;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_view_compendium(r->web->cli->store, platform, &j, err);
    if (rc != VL_OK)
        { s_fail(r, rc, err); return; }
    if (r->json)
        { s_json(r, j); return; }
    vl_buf_t *b = &r->body;
    size_t i;
    json_t *e;
    if (!platform) {
        s_open(r, vl_i18n("compendiums", r->lang), false);
        vl_buf_printf(b, "<h1>%s</h1>\n<ul class=\"compendiums\">\n",
                      vl_i18n("compendiums", r->lang));
        json_array_foreach(j, i, e) {
            const char *p = json_string_value(json_object_get(e, "platform"));
            vl_buf_puts(b, "<li><a href=\"/compendium/");
            vl_html_url(b, p);
            vl_buf_printf(b, "?lang=%s\">", vl_lang_code(r->lang));
            vl_html_esc(b, p);
            vl_buf_printf(b, "</a> (%lld %s): ",
                          (long long)json_integer_value(json_object_get(e, "count")),
                          vl_i18n("agreements", r->lang));
            s_members(b, r, json_object_get(e, "members"));
            vl_buf_puts(b, "</li>\n");
        }
        vl_buf_puts(b, "</ul>\n");
    } else {
        s_open(r, platform, true);
        vl_buf_printf(b, "<h1>%s ", vl_i18n("compendium", r->lang));
        vl_html_esc(b, platform);
        vl_buf_printf(b, "</h1>\n<p class=\"members\"><strong>%s</strong>: ",
                      vl_i18n("members", r->lang));
        s_members(b, r, json_object_get(j, "members"));
        vl_buf_printf(b, "</p>\n<h2>%s</h2>\n<ul class=\"results\">\n",
                      vl_i18n("agreements", r->lang));
        json_array_foreach(json_object_get(j, "agreements"), i, e) {
            const char *id = json_string_value(json_object_get(e, "id"));
            vl_buf_puts(b, "<li><a href=\"/record/");
            vl_html_url(b, id);
            vl_buf_printf(b, "?lang=%s\">", vl_lang_code(r->lang));
            vl_html_esc(b, vl_view_title(json_object_get(e, "record"), vl_lang_code(r->lang)));
            vl_buf_puts(b, "</a>: ");
            s_members(b, r, json_object_get(e, "states"));
            vl_buf_puts(b, "</li>\n");
        }
        vl_buf_puts(b, "</ul>\n");
    }
    json_decref(j);
    s_close(r);
}

/* ---- status -------------------------------------------------------------------- */

static void
s_status(vl_req_t *r)
{
    json_t *j = NULL;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_view_head(r->web->cli->store, &j, err);
    if (rc != VL_OK)
        { s_fail(r, rc, err); return; }
    vl_freshness_t f;
    char text[VL_ERRMSG_MAX];
    vl_cli_freshness(r->web->cli, &f, text, sizeof text);
    if (r->json) {
        json_object_set_new(j, "freshness", vl_cli_freshness_json(&f, text));
        { s_json(r, j); return; }
    }
    const json_t *h = json_object_get(j, "head");
    s_open(r, vl_i18n("status", r->lang), false);
    vl_buf_t *b = &r->body;
    vl_buf_printf(b, "<h1>%s</h1>\n<dl class=\"record status\">\n<dt>%s</dt><dd>",
                  vl_i18n("status", r->lang), vl_i18n("network", r->lang));
    vl_html_esc(b, json_string_value(json_object_get(j, "network")));
    vl_buf_puts(b, " <span class=\"code\">");
    vl_html_esc(b, json_string_value(json_object_get(j, "network_id")));
    vl_buf_printf(b, "</span></dd>\n<dt>%s</dt><dd>%lld</dd>\n<dt>%s</dt><dd>%lld "
                     "<span class=\"code\">",
                  vl_i18n("policy_version", r->lang),
                  (long long)json_integer_value(json_object_get(j, "policy_version")),
                  vl_i18n("head", r->lang),
                  (long long)json_integer_value(json_object_get(h, "seq")));
    vl_html_esc(b, json_string_value(json_object_get(h, "hash")));
    vl_buf_printf(b, "</span></dd>\n<dt>%s</dt><dd><span class=\"code\">",
                  vl_i18n("root", r->lang));
    vl_html_esc(b, json_string_value(json_object_get(h, "root")));
    vl_buf_printf(b, "</span></dd>\n<dt>%s</dt><dd>%lld</dd>\n<dt>%s</dt><dd>%lld</dd>\n"
                     "<dt>%s</dt><dd>%s",
                  vl_i18n("records_label", r->lang),
                  (long long)json_integer_value(json_object_get(j, "records")),
                  vl_i18n("pending", r->lang),
                  (long long)json_integer_value(json_object_get(j, "pending")),
                  vl_i18n("freshness", r->lang), vl_cli_freshness_state(f.state));
    if (text[0]) {
        vl_buf_puts(b, ": ");
        vl_html_esc(b, text);
    }
    vl_buf_puts(b, "</dd>\n</dl>\n");
    json_decref(j);
    s_close(r);
}

/* ---- dispatch ------------------------------------------------------------------ */

void
vl_web_page(vl_req_t *r)
{
    const char *p = r->path;
    if (strcmp(p, "/style.css") == 0) {
        r->ctype = "text/css; charset=utf-8";
        vl_buf_puts(&r->body, s_css);
    } else if (strcmp(p, "/") == 0) {
        s_home(r);
    } else if (strcmp(p, "/search") == 0) {
        s_search(r);
    } else if (strncmp(p, "/record/", 8) == 0 && p[8]) {
        s_record(r, p + 8);
    } else if (strcmp(p, "/compendium") == 0 || strcmp(p, "/compendium/") == 0) {
        s_compendium(r, NULL);
    } else if (strncmp(p, "/compendium/", 12) == 0) {
        s_compendium(r, p + 12);
    } else if (strcmp(p, "/status") == 0) {
        s_status(r);
    } else {
        vl_req_error(r, 404, vl_i18n("not_found", r->lang));
    }
}
