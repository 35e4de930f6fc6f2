/* SPDX-License-Identifier: MIT */
/*
 * vl_web - HTTP plumbing of `valise serve` (contract in vl_web.h).
 */
#include "vl_web.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char s_csp[] = "default-src 'none'; style-src 'self'; img-src 'self'; "
                            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/* Queue r's answer with the headers every response carries. The body
 * buffer passes to libmicrohttpd, which frees it. */
static enum MHD_Result
s_send(struct MHD_Connection *conn, unsigned status, const char *ctype, vl_buf_t *body,
       const char *allow)
{
    struct MHD_Response *resp;
    if (body->oom) {
        vl_buf_free(body);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        ctype = "text/plain; charset=utf-8";
        vl_buf_puts(body, "out of memory\n");
    }
    if (body->len > 0) {
        resp = MHD_create_response_from_buffer(body->len, body->p, MHD_RESPMEM_MUST_FREE);
        if (resp)
            memset(body, 0, sizeof *body);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    vl_buf_free(body);
    if (!resp)
        return MHD_NO;
    enum MHD_Result ok = MHD_YES;
    ok &= MHD_add_response_header(resp, "Content-Type", ctype);
    ok &= MHD_add_response_header(resp, "Content-Security-Policy", s_csp);
    ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    ok &= MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    ok &= MHD_add_response_header(resp, "Cache-Control", "no-store");
    ok &= MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (allow)
        ok &= MHD_add_response_header(resp, "Allow", allow);
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* A bare page for the refusals made before we know whom we talk to (no
 * banner, no links, nothing of the directory). */
static enum MHD_Result
s_bare(struct MHD_Connection *conn, unsigned status, const char *title, const char *allow)
{
    vl_buf_t b = { 0 };
    vl_buf_printf(&b,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<title>%s</title></head><body><h1>%s</h1></body></html>\n",
                  title, title);
    return s_send(conn, status, "text/html; charset=utf-8", &b, allow);
}

/* Is host (the Host header) one of the names of the listening socket? */
static bool
s_host_ok(const vl_web_t *w, const char *host)
{
    if (!host)
        return false;
    const char *names[] = { w->host, "localhost" };
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (strncasecmp(host, names[i], n) != 0)
            continue;
        const char *rest = host + n;
        if (*rest == '\0')
            return w->port == 80;
        if (*rest != ':')
            continue;
        char want[8];
        snprintf(want, sizeof want, "%u", w->port);
        if (strcmp(rest + 1, want) == 0)
            return true;
    }
    return false;
}

typedef struct {
    bool bad;
    size_t total, count;
    char which[64];
} s_argcheck_t;

static enum MHD_Result
s_check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    s_argcheck_t *c = cls;
    (void)kind;
    size_t kl = key ? strlen(key) : 0, vl = value ? strlen(value) : 0;
    json_t *k = json_stringn(key ? key : "", kl), *v = json_stringn(value ? value : "", vl);
    c->total += kl + vl + 2;
    if (++c->count > 32 || c->total > VL_WEB_MAX_URL)
        c->bad = true;
    if (kl > 32 || vl > VL_WEB_MAX_VALUE || !k || !v) {
        c->bad = true;
        if (k && kl <= 32)
            snprintf(c->which, sizeof c->which, "%s", key);
    }
    json_decref(k);
    json_decref(v);
    return c->bad ? MHD_NO : MHD_YES;
}

/* The language asked by Accept-Language: the highest q among en, fr, es. */
static vl_lang_t
s_accept_lang(const char *h)
{
    vl_lang_t best = VL_LANG_EN;
    double bq = 0;
    while (h && *h) {
        const char *end = strchr(h, ',');
        size_t n = end ? (size_t)(end - h) : strlen(h);
        char item[64];
        if (n < sizeof item) {
            memcpy(item, h, n);
            item[n] = '\0';
            char *semi = strchr(item, ';');
            double q = 1.0;
            if (semi) {
                *semi = '\0';
                const char *qs = strstr(semi + 1, "q=");
                if (qs)
                    q = strtod(qs + 2, NULL);
            }
            char *t = item;
            while (*t == ' ' || *t == '\t')
                t++;
            for (char *e = t + strlen(t); e > t && (e[-1] == ' ' || e[-1] == '\t');)
                *--e = '\0';
            vl_lang_t l;
            if (q > bq && q <= 1.0 && vl_lang_parse(t, &l)) {
                best = l;
                bq = q;
            }
        }
        h = end ? end + 1 : NULL;
    }
    return best;
}

const char *
vl_req_arg(const vl_req_t *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

typedef struct {
    vl_buf_t *b;
    bool first;
} s_self_t;

static enum MHD_Result
s_self_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    s_self_t *s = cls;
    (void)kind;
    if (!key || !value || !*value || strcmp(key, "lang") == 0 || strcmp(key, "format") == 0)
        return MHD_YES;
    vl_buf_puts(s->b, s->first ? "?" : "&");
    s->first = false;
    vl_html_url(s->b, key);
    vl_buf_puts(s->b, "=");
    vl_html_url(s->b, value);
    return MHD_YES;
}

void
vl_req_self_query(const vl_req_t *r, vl_buf_t *b, vl_lang_t lang)
{
    s_self_t s = { b, true };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, s_self_arg, &s);
    vl_buf_printf(b, "%slang=%s", s.first ? "?" : "&", vl_lang_code(lang));
}

/* Does Accept prefer JSON (names application/json and not text/html)? */
static bool
s_accept_json(const char *accept)
{
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/html");
}

enum MHD_Result
vl_web_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
               const char *version, const char *upload_data, size_t *upload_size,
               void **con_cls)
{
    vl_web_t *w = cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    /* Whatever a refused request uploads is dropped: we answer on the first call. */
    *upload_size = 0;
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (!s_host_ok(w, host))
        return s_bare(conn, MHD_HTTP_MISDIRECTED_REQUEST, "421 Misdirected Request", NULL);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return s_bare(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "405 Method Not Allowed",
                      "GET, HEAD");

    vl_req_t r = { .web = w, .conn = conn, .path = url, .status = MHD_HTTP_OK };
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    r.json = s_accept_json(accept);
    r.lang = s_accept_lang(
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));

    /* libmicrohttpd has split the URL: url is the decoded path; its length
     * and every argument's are checked here. */
    s_argcheck_t ac = { 0 };
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, s_check_arg, &ac);
    const char *fmt = vl_req_arg(&r, "format");
    const char *lang = vl_req_arg(&r, "lang");
    if (fmt && strcmp(fmt, "json") == 0)
        r.json = true;
    else if (fmt && strcmp(fmt, "html") == 0)
        r.json = false;
    vl_lang_t l;
    if (lang && strlen(lang) == 2 && vl_lang_parse(lang, &l))
        r.lang = l;

    if (strlen(url) + ac.total > VL_WEB_MAX_URL || ac.bad) {
        char msg[128];
        if (ac.which[0])
            snprintf(msg, sizeof msg, "parameter '%s' is too long or not UTF-8", ac.which);
        else
            snprintf(msg, sizeof msg, "the request is too long or not UTF-8");
        w->error(&r, MHD_HTTP_BAD_REQUEST, msg);
    } else if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "html") != 0) {
        w->error(&r, MHD_HTTP_BAD_REQUEST, "format must be json or html");
    } else if (lang && !(strlen(lang) == 2 && vl_lang_parse(lang, &l))) {
        w->error(&r, MHD_HTTP_BAD_REQUEST, "lang must be en, fr or es");
    } else {
        w->page(&r);
    }
    const char *ctype = r.ctype ? r.ctype
                        : r.json ? "application/json; charset=utf-8"
                                 : "text/html; charset=utf-8";
    return s_send(conn, r.status, ctype, &r.body, NULL);
}
