/* SPDX-License-Identifier: MIT */
/*
 * vl_web - the HTTP plumbing of `valise serve` (docs/web.md): the checks
 * every request goes through (Host against the listening address, method,
 * URL and parameter limits), the headers every response carries (CSP,
 * nosniff, no-referrer, no-store, DENY), the language (?lang, then
 * Accept-Language with q-values, then English) and the format (?format=json
 * or Accept: application/json) of the answer.
 *
 * It runs inside libmicrohttpd's access handler, on the one thread of
 * `valise serve` (external select mode, see cmd_serve.c): one request at a
 * time touches the store. The pages themselves are vl_web_pages.c.
 */
#ifndef VL_WEB_H
#define VL_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "vl_cli.h"
#include "vl_country.h"
#include "vl_html.h"

/** Longest URL (path and query, as received) we answer: 400 beyond. */
#define VL_WEB_MAX_URL 2048
/** Longest value of one query parameter (bytes, after percent-decoding). */
#define VL_WEB_MAX_VALUE 256
/** Most results a search lists (HTML and JSON). */
#define VL_WEB_MAX_RESULTS 1000

typedef struct vl_req vl_req_t;

/** What the server serves: shared by every request, owned by cmd_serve. */
typedef struct {
    vl_cli_t *cli;                 /**< the store, open read-only */
    const vl_countries_t *names;   /**< State names */
    char host[64];                 /**< the listening address as in Host: "127.0.0.1", "[::1]" */
    unsigned port;                 /**< the listening port */
    /** Renders the page for r->path into r: vl_web_page (given by the caller,
     *  so that the plumbing does not depend on the pages). */
    void (*page)(vl_req_t *r);
    /** Renders an error answer: vl_req_error. */
    void (*error)(vl_req_t *r, unsigned status, const char *msg);
} vl_web_t;

/** One request being answered. */
struct vl_req {
    vl_web_t *web;
    struct MHD_Connection *conn;
    const char *path;              /**< the URL path, e.g. "/record/MU-01" */
    vl_lang_t lang;                /**< the page's language */
    bool json;                     /**< answer with the JSON twin */
    unsigned status;               /**< HTTP status of the answer (200 unless set) */
    const char *ctype;             /**< Content-Type; NULL: by `json` */
    vl_buf_t body;                 /**< the answer */
};

/** @brief libmicrohttpd's access handler (cls: the vl_web_t). */
enum MHD_Result vl_web_handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_size, void **con_cls);

/** @brief Query parameter `name` of the request: NULL when absent or empty.
 *  Every value was checked (length, UTF-8) before any page runs. */
const char *vl_req_arg(const vl_req_t *r, const char *name);

/** @brief Append to b the query string of the current request with `lang`
 *  set to lang and `format` dropped: "?a=1&lang=fr" (percent-encoded, for
 *  an href: escape it with vl_html_esc when writing it). */
void vl_req_self_query(const vl_req_t *r, vl_buf_t *b, vl_lang_t lang);

/* ---- the pages (vl_web_pages.c) ---- */

/** @brief Answer with an error: a short page in the request's language (or
 *  {"error": msg} for JSON) with status. msg is ours or escaped here. */
void vl_req_error(vl_req_t *r, unsigned status, const char *msg);

/** @brief Render the page for r->path into r (vl_web_pages.c). */
void vl_web_page(vl_req_t *r);

#endif
