/* SPDX-License-Identifier: MIT */
/*
 * vl_record - the two record kinds, their schemas, JSON in and out.
 *
 * The schema checker runs on ONE representation: a jansson json_t. JSON from a
 * user is checked as it is; a body from a peer or the store is decoded by
 * vl_codec, turned into a json_t, and checked by the very same code, so both
 * paths give the same verdict and the same message for the same content.
 *
 * Checking happens in two passes:
 *   1. a generic pass that refuses what a body cannot carry or what no schema
 *      field takes (null, non-integer numbers, strings that are not UTF-8,
 *      hold a NUL or exceed VL_MAX_STR, containers beyond VL_MAX_DEPTH or
 *      VL_MAX_CONTAINER);
 *   2. the kind's schema: field tables, enums, formats, cross-field rules.
 * Both passes visit object members in canonical order (the body's key order)
 * and report the first problem, with its path ("persons[1].emails[0]").
 * Unknown fields are reported before anything else in the same object, since
 * a misspelt field name usually also causes a "required" error.
 *
 * Messages name fields and echo at most a short, sanitised piece of a value
 * (an unknown enum word); they never carry contact data.
 *
 * Thread safety: no global mutable state; records are not shared.
 */
#include "vl_record.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_check.h"
#include "vl_codec.h"

/* Structure of our class */
struct vl_record {
    uint8_t *body;                 /* canonical msgpack, owned copy */
    size_t body_len;               /* its length, at most VL_MAX_RECORD */
    json_t *json;                  /* JSON view of body, owned; built on first use
                                      for bodies from vl_record_parse_stored */
    vl_kind_t kind;                /* authority or agreement */
    char id[VL_MAX_ID + 1];        /* the "id" field, NUL-terminated */
    size_t nstates;                /* entries used in states */
    char states[VL_MAX_STATES][VL_STATE_LEN + 1]; /* "state" or "parties" */
};

/* ======================================================================== */
/* Small validators shared by the schema and the public predicates          */
/* ======================================================================== */

const char *
vl_kind_name(vl_kind_t kind)
{
    switch (kind) {
    case VL_KIND_AUTHORITY: return "authority";
    case VL_KIND_AGREEMENT: return "agreement";
    default:                return NULL;
    }
}

vl_kind_t
vl_kind_parse(const char *name)
{
    if (!name)
        return VL_KIND_NONE;
    if (strcmp(name, "authority") == 0)
        return VL_KIND_AUTHORITY;
    if (strcmp(name, "agreement") == 0)
        return VL_KIND_AGREEMENT;
    return VL_KIND_NONE;
}

bool
vl_record_id_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > VL_MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool
vl_state_valid(const char *s, size_t len)
{
    return s && len == VL_STATE_LEN && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
           s[1] <= 'Z';
}

/* Language codes: ISO 639-1 or 639-2/3 style, 2 or 3 lower-case letters. */
static bool
s_lang_valid(const char *s, size_t len)
{
    if (!s || len < 2 || len > 3)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return true;
}

static bool
s_id_ok(const char *s, size_t len)
{
    return vl_record_id_valid(s, len);
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
s_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n > len - i - 1)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* "YYYY-MM-DD", a real Gregorian calendar date, year 0001-9999. */
static bool
s_date_valid(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
    return d <= max;
}

/* Bytewise order, a shorter prefix first: the body's map key order. */
static int
s_keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* ======================================================================== */
/* Object members in canonical order                                        */
/* ======================================================================== */

typedef struct {
    const char *key;  /* borrowed from the object */
    size_t klen;
    json_t *val;      /* borrowed */
} s_member_t;

static int
s_member_cmp(const void *a, const void *b)
{
    const s_member_t *x = a, *y = b;
    return s_keycmp(x->key, x->klen, y->key, y->klen);
}

/* Members of obj sorted by key into a new array (caller frees; NULL when the
 * object is empty). The object is only read: jansson's iterator API merely
 * lacks const. */
static int
s_members(const json_t *obj, s_member_t **out, size_t *n)
{
    json_t *o = (json_t *)obj;
    size_t cnt = json_object_size(o);
    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return VL_OK;
    s_member_t *m = calloc(cnt, sizeof *m);
    if (!m)
        return VL_ENOMEM;
    size_t i = 0;
    for (void *it = json_object_iter(o); it && i < cnt; it = json_object_iter_next(o, it)) {
        m[i].key = json_object_iter_key(it);
        m[i].klen = json_object_iter_key_len(it);
        m[i].val = json_object_iter_value(it);
        i++;
    }
    qsort(m, i, sizeof *m, s_member_cmp);
    *out = m;
    *n = i;
    return VL_OK;
}

/* ======================================================================== */
/* Paths and messages                                                       */
/* ======================================================================== */

#define S_PATH_MAX 160

typedef struct {
    char path[S_PATH_MAX];  /* "persons[1].emails[0]", NUL-terminated */
    size_t len;             /* strlen(path) */
    char *err;              /* caller's VL_ERRMSG_MAX buffer or NULL */
} s_ctx_t;

static void
s_path_append(s_ctx_t *c, const char *s, size_t n)
{
    size_t room = S_PATH_MAX - 1 - c->len;
    if (n > room)
        n = room;
    memcpy(c->path + c->len, s, n);
    c->len += n;
    c->path[c->len] = '\0';
}

/* Copy at most max bytes of s into out (cap bytes), printable ASCII kept and
 * anything else (and quotes, backslashes) shown as \xNN: user bytes in a
 * message stay readable and harmless. */
static void
s_sanitize(char *out, size_t cap, const char *s, size_t n, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)ch;
        } else {
            if (o + 4 >= cap)
                break;
            snprintf(out + o, cap - o, "\\x%02x", ch);
            o += 4;
        }
    }
    if (n > max && o + 3 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static size_t
s_push_key(s_ctx_t *c, const char *key, size_t klen)
{
    size_t old = c->len;
    char buf[64];
    s_sanitize(buf, sizeof buf, key, klen, 32);
    if (c->len)
        s_path_append(c, ".", 1);
    s_path_append(c, buf, strlen(buf));
    return old;
}

static size_t
s_push_index(s_ctx_t *c, size_t i)
{
    size_t old = c->len;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "[%zu]", i);
    s_path_append(c, buf, (size_t)n);
    return old;
}

static void
s_pop(s_ctx_t *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

static int s_fail(s_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "<path>: <message>" (path "record" at the top) and return VL_ESCHEMA. */
static int
s_fail(s_ctx_t *c, const char *fmt, ...)
{
    char msg[VL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vl_err(c->err, VL_ESCHEMA, "%s: %s", c->len ? c->path : "record", msg);
}

/* ======================================================================== */
/* Pass 1: what a body can carry                                            */
/* ======================================================================== */

static int
s_check_str(s_ctx_t *c, const char *s, size_t len, const char *what)
{
    if (len > VL_MAX_STR)
        return s_fail(c, "%s longer than %u bytes", what, VL_MAX_STR);
    if (memchr(s, '\0', len))
        return s_fail(c, "%s contains a NUL character", what);
    if (!s_utf8_valid(s, len))
        return s_fail(c, "%s is not valid UTF-8", what);
    return VL_OK;
}

/* depth: containers around v. */
static int
s_check_generic(const json_t *v, s_ctx_t *c, unsigned depth)
{
    int rc = VL_OK;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return s_fail(c, "null is not allowed");
    case JSON_REAL:
        return s_fail(c, "non-integer numbers are not allowed");
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_INTEGER:
        return VL_OK;
    case JSON_STRING:
        return s_check_str(c, json_string_value(v), json_string_length(v), "string");
    case JSON_ARRAY: {
        if (depth + 1 > VL_MAX_DEPTH)
            return s_fail(c, "nested too deeply");
        size_t n = json_array_size(v);
        if (n > VL_MAX_CONTAINER)
            return s_fail(c, "more than %u elements", VL_MAX_CONTAINER);
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            size_t old = s_push_index(c, i);
            rc = s_check_generic(json_array_get(v, i), c, depth + 1);
            s_pop(c, old);
        }
        return rc;
    }
    case JSON_OBJECT: {
        if (depth + 1 > VL_MAX_DEPTH)
            return s_fail(c, "nested too deeply");
        if (json_object_size(v) > VL_MAX_CONTAINER)
            return s_fail(c, "more than %u fields", VL_MAX_CONTAINER);
        s_member_t *m = NULL;
        size_t n = 0;
        rc = s_members(v, &m, &n);
        if (rc != VL_OK)
            return vl_err(c->err, rc, "out of memory");
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            rc = s_check_str(c, m[i].key, m[i].klen, "field name");
            if (rc != VL_OK)
                break;
            size_t old = s_push_key(c, m[i].key, m[i].klen);
            rc = s_check_generic(m[i].val, c, depth + 1);
            s_pop(c, old);
        }
        free(m);
        return rc;
    }
    }
    return s_fail(c, "unexpected JSON type");
}

/* ======================================================================== */
/* Pass 2: the schemas                                                      */
/* ======================================================================== */

typedef int (*s_check_fn)(const json_t *v, s_ctx_t *c);

typedef struct {
    const char *name;    /* field name */
    bool required;       /* must be present */
    s_check_fn check;    /* checks the value; path already names the field */
} s_field_t;

static const s_field_t *
s_field_find(const s_field_t *f, size_t n, const char *key, size_t klen)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(f[i].name) == klen && memcmp(f[i].name, key, klen) == 0)
            return &f[i];
    return NULL;
}

/* An object with exactly the fields of the table: unknown fields first (the
 * smallest in canonical order), then each field in table order. */
static int
s_check_fields(const json_t *v, s_ctx_t *c, const s_field_t *fields, size_t nfields)
{
    if (!json_is_object(v))
        return s_fail(c, "must be an object");
    json_t *o = (json_t *)v;
    const char *bad = NULL;
    size_t badlen = 0;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        if (!s_field_find(fields, nfields, k, kl) &&
            (!bad || s_keycmp(k, kl, bad, badlen) < 0)) {
            bad = k;
            badlen = kl;
        }
    }
    if (bad) {
        s_push_key(c, bad, badlen);
        return s_fail(c, "unknown field");
    }
    for (size_t i = 0; i < nfields; i++) {
        const json_t *fv = json_object_get(v, fields[i].name);
        size_t old = s_push_key(c, fields[i].name, strlen(fields[i].name));
        int rc = VL_OK;
        if (!fv) {
            if (fields[i].required)
                rc = s_fail(c, "required");
        } else {
            rc = fields[i].check(fv, c);
        }
        s_pop(c, old);
        if (rc != VL_OK)
            return rc;
    }
    return VL_OK;
}

static int
s_ck_string(const json_t *v, s_ctx_t *c)
{
    if (!json_is_string(v))
        return s_fail(c, "must be a string");
    if (json_string_length(v) == 0)
        return s_fail(c, "must not be empty");
    return VL_OK;
}

static int
s_ck_bool(const json_t *v, s_ctx_t *c)
{
    if (!json_is_boolean(v))
        return s_fail(c, "must be true or false");
    return VL_OK;
}

static int
s_ck_kind(const json_t *v, s_ctx_t *c)
{
    /* Already checked before the kind's table was chosen. */
    return s_ck_string(v, c);
}

static int
s_ck_id(const json_t *v, s_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!vl_record_id_valid(json_string_value(v), json_string_length(v)))
        return s_fail(c, "not a record id (1 to %u of A-Z a-z 0-9 . _ -)", VL_MAX_ID);
    return VL_OK;
}

static int
s_ck_state(const json_t *v, s_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!vl_state_valid(json_string_value(v), json_string_length(v))) {
        char buf[64];
        s_sanitize(buf, sizeof buf, json_string_value(v), json_string_length(v), 16);
        return s_fail(c, "\"%s\" is not a State code (two upper-case letters)", buf);
    }
    return VL_OK;
}

/* Multilingual text: {"en": "...", "fr": "..."}. */
static int
s_ck_text(const json_t *v, s_ctx_t *c)
{
    if (!json_is_object(v))
        return s_fail(c, "must be an object of language code to text");
    size_t n = json_object_size(v);
    if (n == 0)
        return s_fail(c, "must have at least one language");
    if (n > VL_MAX_LIST)
        return s_fail(c, "more than %u languages", VL_MAX_LIST);
    s_member_t *m = NULL;
    int rc = s_members(v, &m, &n);
    if (rc != VL_OK)
        return vl_err(c->err, rc, "out of memory");
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        size_t old = s_push_key(c, m[i].key, m[i].klen);
        if (!s_lang_valid(m[i].key, m[i].klen))
            rc = s_fail(c, "not a language code (2 or 3 lower-case letters)");
        else
            rc = s_ck_string(m[i].val, c);
        s_pop(c, old);
    }
    free(m);
    return rc;
}

static int
s_ck_date(const json_t *v, s_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!s_date_valid(json_string_value(v), json_string_length(v)))
        return s_fail(c, "not a valid date (YYYY-MM-DD)");
    return VL_OK;
}

static int
s_ck_time_zone(const json_t *v, s_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    bool ok = len <= 64;
    for (size_t i = 0; ok && i < len; i++)
        ok = s[i] >= 0x20 && s[i] < 0x7f;
    if (!ok)
        return s_fail(c, "must be printable ASCII of at most 64 bytes");
    return VL_OK;
}

/* A list of distinct, non-empty strings. Each element must be one of
 * `allowed` (when not NULL; `what` names it in "unknown function") or pass
 * `ok` (when not NULL; `ok_what` names it in "is not a State code"). */
typedef struct {
    size_t min, max;
    const char *const *allowed;
    const char *what;
    bool (*ok)(const char *s, size_t len);
    const char *ok_what;
} s_list_t;

static int
s_check_list(const json_t *v, s_ctx_t *c, const s_list_t *spec)
{
    if (!json_is_array(v))
        return s_fail(c, "must be an array");
    size_t n = json_array_size(v);
    if (n > spec->max)
        return s_fail(c, "more than %zu entries", spec->max);
    if (n < spec->min)
        return s_fail(c, "at least %zu %s required", spec->min,
                      spec->min == 1 ? "entry" : "entries");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        size_t old = s_push_index(c, i);
        int rc = s_ck_string(e, c);
        if (rc != VL_OK)
            return rc;
        const char *s = json_string_value(e);
        size_t len = json_string_length(e);
        char shown[64];
        s_sanitize(shown, sizeof shown, s, len, 24);
        if (spec->allowed) {
            bool found = false;
            for (size_t k = 0; !found && spec->allowed[k]; k++)
                found = strlen(spec->allowed[k]) == len &&
                        memcmp(spec->allowed[k], s, len) == 0;
            if (!found)
                return s_fail(c, "unknown %s \"%s\"", spec->what, shown);
        }
        if (spec->ok && !spec->ok(s, len))
            return s_fail(c, "\"%s\" is not %s", shown, spec->ok_what);
        for (size_t k = 0; k < i; k++) {
            const json_t *p = json_array_get(v, k);
            if (json_string_length(p) == len && memcmp(json_string_value(p), s, len) == 0)
                return s_fail(c, "duplicate \"%s\"", shown);
        }
        s_pop(c, old);
    }
    return VL_OK;
}

static const char *const s_functions[] = {
    "extradition", "mla", "transfer_sentenced_persons", "drug_trafficking_sea",
    "migrant_smuggling_sea", "firearms_trafficking", NULL
};
static const char *const s_legal_bases[] = {
    "DRUG1988-6", "DRUG1988-7", "DRUG1988-17", "UNTOC-16", "UNTOC-17", "UNTOC-18",
    "SOM-8", "FIREARMS-13", NULL
};
static const char *const s_channels[] = {
    "diplomatic", "central_authority", "interpol", "direct", "email", "fax", NULL
};
static const char *const s_subjects[] = {
    "extradition", "mla", "transfer_sentenced_persons", "confiscation",
    "drug_trafficking", "organized_crime", NULL
};
static const char *const s_agr_types[] = { "bilateral", "regional", "multilateral", NULL };
static const char *const s_statuses[] = {
    "negotiated", "signed", "in_force", "suspended", "terminated", NULL
};

static int
s_ck_one_of(const json_t *v, s_ctx_t *c, const char *const *allowed, const char *what)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    for (size_t k = 0; allowed[k]; k++)
        if (strlen(allowed[k]) == len && memcmp(allowed[k], s, len) == 0)
            return VL_OK;
    char shown[64];
    s_sanitize(shown, sizeof shown, s, len, 24);
    return s_fail(c, "unknown %s \"%s\"", what, shown);
}

static int
s_ck_functions(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, s_functions, "function", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_legal_bases(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, s_legal_bases, "legal basis", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_channels(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, s_channels, "channel", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_subjects(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, s_subjects, "subject", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_working_langs(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, NULL, NULL, s_lang_valid,
                                   "a language code (2 or 3 lower-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_langs(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, s_lang_valid,
                                   "a language code (2 or 3 lower-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_strings(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_treaties(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, s_id_ok, "a record id" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_parties(const json_t *v, s_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_STATES, NULL, NULL, vl_state_valid,
                                   "a State code (two upper-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_agr_type(const json_t *v, s_ctx_t *c)
{
    return s_ck_one_of(v, c, s_agr_types, "agreement type");
}

static int
s_ck_status(const json_t *v, s_ctx_t *c)
{
    return s_ck_one_of(v, c, s_statuses, "status");
}

#define S_N(a) (sizeof(a) / sizeof((a)[0]))

static const s_field_t s_contact_fields[] = {
    { "address", true,  s_ck_text },
    { "phones",  false, s_ck_strings },
    { "faxes",   false, s_ck_strings },
    { "emails",  false, s_ck_strings },
    { "website", false, s_ck_string },
};

static int
s_ck_contact(const json_t *v, s_ctx_t *c)
{
    return s_check_fields(v, c, s_contact_fields, S_N(s_contact_fields));
}

static const s_field_t s_person_fields[] = {
    { "name",      true,  s_ck_string },
    { "title",     false, s_ck_string },
    { "phones",    false, s_ck_strings },
    { "emails",    false, s_ck_strings },
    { "languages", false, s_ck_langs },
};

/* An array of at most VL_MAX_LIST objects, each checked by fields. */
static int
s_check_object_list(const json_t *v, s_ctx_t *c, const s_field_t *fields, size_t nfields)
{
    if (!json_is_array(v))
        return s_fail(c, "must be an array");
    size_t n = json_array_size(v);
    if (n > VL_MAX_LIST)
        return s_fail(c, "more than %u entries", VL_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        size_t old = s_push_index(c, i);
        int rc = s_check_fields(json_array_get(v, i), c, fields, nfields);
        if (rc != VL_OK)
            return rc;
        s_pop(c, old);
    }
    return VL_OK;
}

static int
s_ck_persons(const json_t *v, s_ctx_t *c)
{
    return s_check_object_list(v, c, s_person_fields, S_N(s_person_fields));
}

static const s_field_t s_date_fields[] = {
    { "signed",     false, s_ck_date },
    { "in_force",   false, s_ck_date },
    { "terminated", false, s_ck_date },
};

static int
s_ck_dates(const json_t *v, s_ctx_t *c)
{
    return s_check_fields(v, c, s_date_fields, S_N(s_date_fields));
}

static const s_field_t s_requirement_fields[] = {
    { "party", true, s_ck_state },
    { "text",  true, s_ck_text },
};

static int
s_ck_requirements(const json_t *v, s_ctx_t *c)
{
    return s_check_object_list(v, c, s_requirement_fields, S_N(s_requirement_fields));
}

static const s_field_t s_authority_fields[] = {
    { "kind",               true,  s_ck_kind },
    { "id",                 true,  s_ck_id },
    { "state",              true,  s_ck_state },
    { "name",               true,  s_ck_text },
    { "functions",          true,  s_ck_functions },
    { "legal_bases",        true,  s_ck_legal_bases },
    { "contact",            true,  s_ck_contact },
    { "languages",          true,  s_ck_working_langs },
    { "interpol",           true,  s_ck_bool },
    { "untoc_16_5",         true,  s_ck_bool },
    { "persons",            false, s_ck_persons },
    { "office_hours",       false, s_ck_string },
    { "time_zone",          false, s_ck_time_zone },
    { "required_documents", false, s_ck_text },
    { "formats",            false, s_ck_strings },
    { "channels",           false, s_ck_channels },
    { "urgent_procedures",  false, s_ck_text },
    { "comments",           false, s_ck_text },
    { "treaties",           false, s_ck_treaties },
};

static const s_field_t s_agreement_fields[] = {
    { "kind",         true,  s_ck_kind },
    { "id",           true,  s_ck_id },
    { "title",        true,  s_ck_text },
    { "type",         true,  s_ck_agr_type },
    { "subjects",     true,  s_ck_subjects },
    { "parties",      true,  s_ck_parties },
    { "status",       true,  s_ck_status },
    { "dates",        false, s_ck_dates },
    { "platform",     false, s_ck_string },
    { "requirements", false, s_ck_requirements },
    { "notes",        false, s_ck_text },
};

/* Rules between fields of an agreement, once each field is valid alone. */
static int
s_check_agreement_rules(const json_t *j, s_ctx_t *c)
{
    const json_t *parties = json_object_get(j, "parties");
    size_t np = json_array_size(parties);
    if (strcmp(json_string_value(json_object_get(j, "type")), "bilateral") == 0 && np != 2) {
        size_t old = s_push_key(c, "parties", 7);
        int rc = s_fail(c, "a bilateral agreement has exactly 2 parties, not %zu", np);
        s_pop(c, old);
        return rc;
    }
    const json_t *reqs = json_object_get(j, "requirements");
    size_t nr = json_array_size(reqs); /* 0 when absent */
    for (size_t i = 0; i < nr; i++) {
        const char *party = json_string_value(json_object_get(json_array_get(reqs, i), "party"));
        bool member = false;
        for (size_t k = 0; !member && k < np; k++)
            member = strcmp(json_string_value(json_array_get(parties, k)), party) == 0;
        bool dup = false;
        for (size_t k = 0; !dup && k < i; k++)
            dup = strcmp(json_string_value(json_object_get(json_array_get(reqs, k), "party")),
                         party) == 0;
        if (member && !dup)
            continue;
        size_t old = s_push_key(c, "requirements", 12);
        s_push_index(c, i);
        s_push_key(c, "party", 5);
        int rc = member ? s_fail(c, "a second entry for \"%s\"", party)
                        : s_fail(c, "\"%s\" is not among the parties", party);
        s_pop(c, old);
        return rc;
    }
    return VL_OK;
}

/* Both passes over a whole record. On success *kind_out is its kind. */
static int
s_validate(const json_t *j, char *err, vl_kind_t *kind_out)
{
    s_ctx_t c = { .len = 0, .err = err };
    c.path[0] = '\0';
    int rc = s_check_generic(j, &c, 0);
    if (rc != VL_OK)
        return rc;
    if (!json_is_object(j))
        return s_fail(&c, "must be an object");
    const json_t *k = json_object_get(j, "kind");
    s_push_key(&c, "kind", 4);
    if (!k)
        return s_fail(&c, "required");
    rc = s_ck_string(k, &c);
    if (rc != VL_OK)
        return rc;
    vl_kind_t kind = vl_kind_parse(json_string_value(k));
    if (kind == VL_KIND_NONE) {
        char shown[64];
        s_sanitize(shown, sizeof shown, json_string_value(k), json_string_length(k), 24);
        return s_fail(&c, "unknown kind \"%s\"", shown);
    }
    s_pop(&c, 0);
    if (kind == VL_KIND_AUTHORITY) {
        rc = s_check_fields(j, &c, s_authority_fields, S_N(s_authority_fields));
    } else {
        rc = s_check_fields(j, &c, s_agreement_fields, S_N(s_agreement_fields));
        if (rc == VL_OK)
            rc = s_check_agreement_rules(j, &c);
    }
    if (rc == VL_OK && kind_out)
        *kind_out = kind;
    return rc;
}

/* ======================================================================== */
/* JSON <-> body                                                            */
/* ======================================================================== */

/* Canonical msgpack of a JSON value: objects become maps in canonical key
 * order. Used after validation; also encodes null (as nil) so that the
 * self-test can build hostile bodies. */
static int
s_encode(vl_wr_t *w, const json_t *v, unsigned depth)
{
    if (depth > VL_MAX_DEPTH)
        return VL_ELIMIT;
    switch (json_typeof(v)) {
    case JSON_NULL:    vl_wr_nil(w); return VL_OK;
    case JSON_TRUE:    vl_wr_bool(w, true); return VL_OK;
    case JSON_FALSE:   vl_wr_bool(w, false); return VL_OK;
    case JSON_INTEGER: vl_wr_int(w, (int64_t)json_integer_value(v)); return VL_OK;
    case JSON_STRING:  vl_wr_str(w, json_string_value(v), json_string_length(v)); return VL_OK;
    case JSON_REAL:    return VL_ESCHEMA;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n > VL_MAX_CONTAINER)
            return VL_ELIMIT;
        vl_wr_array(w, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            int rc = s_encode(w, json_array_get(v, i), depth + 1);
            if (rc != VL_OK)
                return rc;
        }
        return VL_OK;
    }
    case JSON_OBJECT: {
        if (json_object_size(v) > VL_MAX_CONTAINER)
            return VL_ELIMIT;
        s_member_t *m = NULL;
        size_t n = 0;
        int rc = s_members(v, &m, &n);
        if (rc != VL_OK)
            return rc;
        vl_wr_map(w, (uint32_t)n);
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            vl_wr_str(w, m[i].key, m[i].klen);
            rc = s_encode(w, m[i].val, depth + 1);
        }
        free(m);
        return rc;
    }
    }
    return VL_ESCHEMA;
}

/* Encode j (already valid, or anything in the self-test) into a new body. */
static int
s_encode_body(const json_t *j, uint8_t **body, size_t *len, char *err)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return vl_err(err, VL_ENOMEM, "out of memory");
    int rc = s_encode(w, j, 0);
    if (rc == VL_OK)
        rc = vl_wr_status(w);
    if (rc == VL_OK && vl_wr_len(w) > VL_MAX_RECORD)
        rc = vl_err(err, VL_ELIMIT, "record body is %zu bytes, more than %u",
                    vl_wr_len(w), VL_MAX_RECORD);
    else if (rc == VL_ELIMIT)
        rc = vl_err(err, VL_ELIMIT, "record body is larger than %u bytes", VL_MAX_RECORD);
    else if (rc != VL_OK)
        rc = vl_err(err, rc, "cannot encode the record: %s", vl_strerror(rc));
    if (rc == VL_OK)
        rc = vl_wr_dup(w, body, len);
    vl_wr_destroy(&w);
    return rc;
}

int
vl_record_from_json(const json_t *j, uint8_t **body, size_t *len, char *err)
{
    assert(j && body && len);
    *body = NULL;
    *len = 0;
    int rc = s_validate(j, err, NULL);
    if (rc != VL_OK)
        return rc;
    return s_encode_body(j, body, len, err);
}

int
vl_record_from_json_text(const char *text, size_t textlen, uint8_t **body, size_t *len,
                         char *err)
{
    assert(text && body && len);
    *body = NULL;
    *len = 0;
    if (textlen > VL_MAX_JSON_FILE)
        return vl_err(err, VL_ELIMIT, "JSON text is %zu bytes, more than %u", textlen,
                      VL_MAX_JSON_FILE);
    json_error_t je;
    json_t *j = json_loadb(text, textlen, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        char shown[sizeof je.text];
        s_sanitize(shown, sizeof shown, je.text, strlen(je.text), 80);
        return vl_err(err, VL_EPROTO, "JSON line %d column %d: %s", je.line, je.column,
                      shown);
    }
    int rc = vl_record_from_json(j, body, len, err);
    json_decref(j);
    return rc;
}

/* A decoded msgpack value as JSON. The codec has already refused floats, ext,
 * non-str keys, bad UTF-8 and NUL; what JSON cannot hold (bin, integers above
 * INT64_MAX) is a schema error at its path. */
static int
s_from_val(vl_val_t v, s_ctx_t *c, unsigned depth, json_t **out)
{
    *out = NULL;
    if (depth > VL_MAX_DEPTH)
        return s_fail(c, "nested too deeply");
    json_t *j = NULL;
    int rc = VL_OK;
    switch (vl_val_type(v)) {
    case VL_T_NIL:
        j = json_null();
        break;
    case VL_T_BOOL: {
        bool b = false;
        if (vl_val_bool(v, &b) != VL_OK)
            return vl_err(c->err, VL_EPROTO, "%s: unreadable boolean", c->path);
        j = json_boolean(b);
        break;
    }
    case VL_T_UINT: {
        uint64_t u = 0;
        if (vl_val_uint(v, &u) != VL_OK)
            return vl_err(c->err, VL_EPROTO, "%s: unreadable integer", c->path);
        if (u > (uint64_t)INT64_MAX)
            return s_fail(c, "integer out of range");
        j = json_integer((json_int_t)u);
        break;
    }
    case VL_T_INT: {
        int64_t i = 0;
        if (vl_val_int(v, &i) != VL_OK)
            return vl_err(c->err, VL_EPROTO, "%s: unreadable integer", c->path);
        j = json_integer((json_int_t)i);
        break;
    }
    case VL_T_STR: {
        const char *p = NULL;
        size_t n = 0;
        if (vl_val_str(v, &p, &n) != VL_OK || !s_utf8_valid(p, n))
            return vl_err(c->err, VL_EPROTO, "%s: unreadable string", c->path);
        j = json_stringn(p, n);
        break;
    }
    case VL_T_BIN:
        return s_fail(c, "binary data is not allowed");
    case VL_T_ARRAY: {
        uint32_t n = vl_val_len(v);
        j = json_array();
        for (uint32_t i = 0; j && i < n && rc == VL_OK; i++) {
            json_t *e = NULL;
            size_t old = s_push_index(c, i);
            rc = s_from_val(vl_val_at(v, i), c, depth + 1, &e);
            s_pop(c, old);
            if (rc == VL_OK && json_array_append_new(j, e) != 0)
                rc = vl_err(c->err, VL_ENOMEM, "out of memory");
        }
        break;
    }
    case VL_T_MAP: {
        uint32_t n = vl_val_len(v);
        j = json_object();
        for (uint32_t i = 0; j && i < n && rc == VL_OK; i++) {
            const char *k = NULL;
            size_t kl = 0;
            if (vl_val_str(vl_val_key_at(v, i), &k, &kl) != VL_OK || !s_utf8_valid(k, kl) ||
                memchr(k, '\0', kl)) {
                rc = vl_err(c->err, VL_EPROTO, "%s: unreadable field name", c->path);
                break;
            }
            json_t *e = NULL;
            size_t old = s_push_key(c, k, kl);
            rc = s_from_val(vl_val_value_at(v, i), c, depth + 1, &e);
            s_pop(c, old);
            if (rc == VL_OK && json_object_setn_new_nocheck(j, k, kl, e) != 0)
                rc = vl_err(c->err, VL_ENOMEM, "out of memory");
        }
        break;
    }
    default:
        return vl_err(c->err, VL_EPROTO, "%s: unexpected msgpack type", c->path);
    }
    if (!j && rc == VL_OK)
        rc = vl_err(c->err, VL_ENOMEM, "out of memory");
    if (rc != VL_OK) {
        json_decref(j);
        return rc;
    }
    *out = j;
    return VL_OK;
}

/* ======================================================================== */
/* The record class                                                         */
/* ======================================================================== */

int
vl_record_parse(const uint8_t *body, size_t len, vl_record_t **out, char *err)
{
    assert(out);
    *out = NULL;
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL;
    json_t *j = NULL;
    vl_record_t *self = NULL;
    vl_kind_t kind = VL_KIND_NONE;

    if (!body || len == 0) {
        rc = vl_err(err, VL_EPROTO, "empty record body");
        goto out;
    }
    if (len > VL_MAX_RECORD) {
        rc = vl_err(err, VL_ELIMIT, "record body is %zu bytes, more than %u", len,
                    VL_MAX_RECORD);
        goto out;
    }
    rc = vl_doc_parse(body, len, VL_MAX_DEPTH, &doc, err);
    if (rc != VL_OK)
        goto out;
    s_ctx_t c = { .len = 0, .err = err };
    c.path[0] = '\0';
    rc = s_from_val(vl_doc_root(doc), &c, 0, &j);
    if (rc != VL_OK)
        goto out;
    rc = s_validate(j, err, &kind);
    if (rc != VL_OK)
        goto out;

    self = calloc(1, sizeof *self);
    if (!self || !(self->body = malloc(len))) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(self->body, body, len);
    self->body_len = len;
    self->kind = kind;
    const json_t *id = json_object_get(j, "id");
    memcpy(self->id, json_string_value(id), json_string_length(id) + 1);
    if (kind == VL_KIND_AUTHORITY) {
        memcpy(self->states[0], json_string_value(json_object_get(j, "state")), 3);
        self->nstates = 1;
    } else {
        const json_t *parties = json_object_get(j, "parties");
        for (size_t i = 0; i < json_array_size(parties); i++)
            memcpy(self->states[self->nstates++], json_string_value(json_array_get(parties, i)),
                   3);
    }
    self->json = j;
    j = NULL;
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_record_destroy(&self);
    json_decref(j);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_record_parse_stored(const uint8_t *body, size_t len, vl_record_t **out, char *err)
{
    assert(out);
    *out = NULL;
    int rc = VL_ESCHEMA;
    vl_doc_t *doc = NULL;
    vl_record_t *self = NULL;
    const char *p = NULL;
    size_t n = 0;

    if (!body || len == 0 || len > VL_MAX_RECORD) {
        rc = vl_err(err, VL_EPROTO, "stored record body of %zu bytes", len);
        goto out;
    }
    if ((rc = vl_doc_parse(body, len, VL_MAX_DEPTH, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    if (!(self = calloc(1, sizeof *self)) || !(self->body = malloc(len))) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    rc = VL_ESCHEMA;
    if (vl_val_str(vl_val_get(root, "kind"), &p, &n) != VL_OK || n > 15) {
        rc = vl_err(err, rc, "stored record: no kind");
        goto out;
    }
    char kind[16];
    memcpy(kind, p, n);
    kind[n] = '\0';
    if ((self->kind = vl_kind_parse(kind)) == VL_KIND_NONE) {
        rc = vl_err(err, rc, "stored record: unknown kind");
        goto out;
    }
    if (vl_val_str(vl_val_get(root, "id"), &p, &n) != VL_OK || !vl_record_id_valid(p, n)) {
        rc = vl_err(err, rc, "stored record: bad id");
        goto out;
    }
    memcpy(self->id, p, n);
    self->id[n] = '\0';
    if (self->kind == VL_KIND_AUTHORITY) {
        if (vl_val_str(vl_val_get(root, "state"), &p, &n) != VL_OK || !vl_state_valid(p, n)) {
            rc = vl_err(err, rc, "stored record %s: bad state", self->id);
            goto out;
        }
        memcpy(self->states[0], p, VL_STATE_LEN);
        self->nstates = 1;
    } else {
        vl_val_t parties = vl_val_get(root, "parties");
        if (vl_val_type(parties) != VL_T_ARRAY || vl_val_len(parties) == 0 ||
            vl_val_len(parties) > VL_MAX_STATES) {
            rc = vl_err(err, rc, "stored record %s: bad parties", self->id);
            goto out;
        }
        for (uint32_t i = 0; i < vl_val_len(parties); i++) {
            if (vl_val_str(vl_val_at(parties, i), &p, &n) != VL_OK || !vl_state_valid(p, n)) {
                rc = vl_err(err, rc, "stored record %s: bad party", self->id);
                goto out;
            }
            memcpy(self->states[self->nstates++], p, VL_STATE_LEN);
        }
    }
    memcpy(self->body, body, len);
    self->body_len = len;
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_record_destroy(&self);
    vl_doc_destroy(&doc);
    return rc;
}

void
vl_record_destroy(vl_record_t **self_p)
{
    assert(self_p);
    vl_record_t *self = *self_p;
    if (!self)
        return;
    json_decref(self->json);
    free(self->body);
    free(self);
    *self_p = NULL;
}

/* The JSON view, built on first use (records are not shared between threads,
 * so filling the cache through a const pointer is safe). NULL on ENOMEM. */
static const json_t *
s_json(const vl_record_t *self)
{
    if (!self->json) {
        vl_doc_t *doc = NULL;
        json_t *j = NULL;
        s_ctx_t c = { .len = 0, .err = NULL };
        c.path[0] = '\0';
        if (vl_doc_parse(self->body, self->body_len, VL_MAX_DEPTH, &doc, NULL) == VL_OK &&
            s_from_val(vl_doc_root(doc), &c, 0, &j) == VL_OK)
            ((vl_record_t *)self)->json = j;
        vl_doc_destroy(&doc);
    }
    return self->json;
}

const char *
vl_record_id(const vl_record_t *self)
{
    assert(self);
    return self->id;
}

vl_kind_t
vl_record_kind(const vl_record_t *self)
{
    assert(self);
    return self->kind;
}

size_t
vl_record_nstates(const vl_record_t *self)
{
    assert(self);
    return self->nstates;
}

const char *
vl_record_state(const vl_record_t *self, size_t i)
{
    assert(self && i < self->nstates);
    return self->states[i];
}

const uint8_t *
vl_record_body(const vl_record_t *self, size_t *len)
{
    assert(self);
    if (len)
        *len = self->body_len;
    return self->body;
}

/* cb(prefix + each string of the array field `name`). */
static int
s_terms_of(const vl_record_t *self, const char *name, const char *prefix,
           int (*cb)(void *ctx, const char *term), void *ctx)
{
    const json_t *a = json_object_get(s_json(self), name);
    for (size_t i = 0; i < json_array_size(a); i++) {
        char term[96];
        snprintf(term, sizeof term, "%s%s", prefix, json_string_value(json_array_get(a, i)));
        int rc = cb(ctx, term);
        if (rc != 0)
            return rc;
    }
    return VL_OK;
}

int
vl_record_terms(const vl_record_t *self, int (*cb)(void *ctx, const char *term), void *ctx)
{
    assert(self && cb);
    char term[96];
    snprintf(term, sizeof term, "k:%s", vl_kind_name(self->kind));
    int rc = cb(ctx, term);
    for (size_t i = 0; rc == 0 && i < self->nstates; i++) {
        snprintf(term, sizeof term, "s:%s", self->states[i]);
        rc = cb(ctx, term);
    }
    if (rc != 0)
        return rc;
    if (self->kind == VL_KIND_AUTHORITY) {
        rc = s_terms_of(self, "functions", "f:", cb, ctx);
        if (rc == 0)
            rc = s_terms_of(self, "legal_bases", "b:", cb, ctx);
        if (rc == 0)
            rc = s_terms_of(self, "languages", "l:", cb, ctx);
    } else {
        rc = s_terms_of(self, "subjects", "f:", cb, ctx);
    }
    return rc;
}

json_t *
vl_record_to_json(const vl_record_t *self)
{
    assert(self);
    const json_t *j = s_json(self);
    return j ? json_deep_copy(j) : NULL;
}

static bool
s_contains_nocase(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return true;
    for (size_t i = 0; m <= n && i <= n - m; i++) {
        size_t k = 0;
        while (k < m) {
            unsigned char a = (unsigned char)hay[i + k], b = (unsigned char)needle[k];
            if (a >= 'A' && a <= 'Z')
                a = (unsigned char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            if (a != b)
                break;
            k++;
        }
        if (k == m)
            return true;
    }
    return false;
}

static bool
s_match(const json_t *v, const char *needle, size_t m)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return s_contains_nocase(json_string_value(v), json_string_length(v), needle, m);
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(v); i++)
            if (s_match(json_array_get(v, i), needle, m))
                return true;
        return false;
    case JSON_OBJECT: {
        json_t *o = (json_t *)v;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it))
            if (s_match(json_object_iter_value(it), needle, m))
                return true;
        return false;
    }
    default:
        return false;
    }
}

bool
vl_record_match_text(const vl_record_t *self, const char *needle)
{
    assert(self && needle);
    const json_t *j = s_json(self);
    return j ? s_match(j, needle, strlen(needle)) : false;
}

/* Append {"path", "old"?, "new"?} to out. */
static int
s_diff_emit(json_t *out, const char *path, const json_t *a, const json_t *b)
{
    json_t *e = json_object();
    if (!e || json_object_set_new(e, "path", json_string(path)) != 0 ||
        (a && json_object_set_new(e, "old", json_deep_copy(a)) != 0) ||
        (b && json_object_set_new(e, "new", json_deep_copy(b)) != 0)) {
        json_decref(e);
        return VL_ENOMEM;
    }
    return json_array_append_new(out, e) == 0 ? VL_OK : VL_ENOMEM;
}

/* Differences between a and b (either may be NULL: absent) at path c->path.
 * Objects recurse by key in canonical order, arrays by index; anything else
 * that differs is one entry. Records are validated, so depth is small. */
static int
s_diff(json_t *out, s_ctx_t *c, const json_t *a, const json_t *b)
{
    if (a && b && json_equal((json_t *)a, (json_t *)b))
        return VL_OK;
    if (a && b && json_is_object(a) && json_is_object(b)) {
        s_member_t *ma = NULL, *mb = NULL;
        size_t na = 0, nb = 0;
        int rc = s_members(a, &ma, &na);
        if (rc == VL_OK)
            rc = s_members(b, &mb, &nb);
        size_t i = 0, k = 0;
        while (rc == VL_OK && (i < na || k < nb)) {
            int cmp = i == na ? 1 : k == nb ? -1
                                            : s_keycmp(ma[i].key, ma[i].klen, mb[k].key,
                                                       mb[k].klen);
            const s_member_t *m = cmp <= 0 ? &ma[i] : &mb[k];
            size_t old = s_push_key(c, m->key, m->klen);
            rc = s_diff(out, c, cmp <= 0 ? ma[i].val : NULL, cmp >= 0 ? mb[k].val : NULL);
            s_pop(c, old);
            if (cmp <= 0)
                i++;
            if (cmp >= 0)
                k++;
        }
        free(ma);
        free(mb);
        return rc;
    }
    if (a && b && json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        int rc = VL_OK;
        for (size_t i = 0; rc == VL_OK && (i < na || i < nb); i++) {
            size_t old = s_push_index(c, i);
            rc = s_diff(out, c, json_array_get(a, i), json_array_get(b, i));
            s_pop(c, old);
        }
        return rc;
    }
    return s_diff_emit(out, c->path, a, b);
}

json_t *
vl_record_diff(const vl_record_t *old_rec, const vl_record_t *new_rec)
{
    json_t *out = json_array();
    json_t *empty = json_object();
    s_ctx_t c = { .len = 0, .err = NULL };
    c.path[0] = '\0';
    const json_t *a = old_rec ? s_json(old_rec) : empty;
    const json_t *b = new_rec ? s_json(new_rec) : empty;
    if (!out || !empty || !a || !b || s_diff(out, &c, a, b) != VL_OK) {
        json_decref(out);
        out = NULL;
    }
    json_decref(empty);
    return out;
}

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

static const char s_t_authority[] =
    "{\"kind\":\"authority\",\"id\":\"MU-01\",\"state\":\"MU\","
    "\"name\":{\"en\":\"Central Authority, Sample Attorney General's Office\","
    "\"fr\":\"Autorit\\u00e9 centrale, bureau d'exemple\"},"
    "\"functions\":[\"extradition\",\"mla\"],"
    "\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
    "\"contact\":{\"address\":{\"en\":\"1 Example Street, Port Louis\"},"
    "\"phones\":[\"+230 5550 1234\",\"+230 5550 1235\"],\"faxes\":[\"+230 5550 1299\"],"
    "\"emails\":[\"ca@example.mu\"],\"website\":\"https://ca.example.mu\"},"
    "\"languages\":[\"en\",\"fr\"],\"interpol\":true,\"untoc_16_5\":false,"
    "\"persons\":[{\"name\":\"Alex Sample\",\"title\":\"Director\","
    "\"phones\":[\"+230 5550 2000\"],\"emails\":[\"a.sample@example.mu\"],"
    "\"languages\":[\"en\"]},"
    "{\"name\":\"Robin Example\",\"emails\":[\"r.example@example.mu\"]}],"
    "\"office_hours\":\"Monday-Friday 09:00-16:00\",\"time_zone\":\"Indian/Mauritius\","
    "\"required_documents\":{\"en\":\"Signed request; summary of the facts.\"},"
    "\"formats\":[\"signed original\",\"scanned copy by e-mail\"],"
    "\"channels\":[\"central_authority\",\"email\"],"
    "\"urgent_procedures\":{\"en\":\"Call the duty officer.\"},"
    "\"comments\":{\"en\":\"Sample record.\"},"
    "\"treaties\":[\"IOC-BIL-MU-MG\"]}";

/* The same record, every object written in another key order. */
static const char s_t_authority_shuffled[] =
    "{\"treaties\":[\"IOC-BIL-MU-MG\"],\"comments\":{\"en\":\"Sample record.\"},"
    "\"urgent_procedures\":{\"en\":\"Call the duty officer.\"},"
    "\"channels\":[\"central_authority\",\"email\"],"
    "\"formats\":[\"signed original\",\"scanned copy by e-mail\"],"
    "\"required_documents\":{\"en\":\"Signed request; summary of the facts.\"},"
    "\"time_zone\":\"Indian/Mauritius\",\"office_hours\":\"Monday-Friday 09:00-16:00\","
    "\"persons\":[{\"languages\":[\"en\"],\"emails\":[\"a.sample@example.mu\"],"
    "\"phones\":[\"+230 5550 2000\"],\"title\":\"Director\",\"name\":\"Alex Sample\"},"
    "{\"emails\":[\"r.example@example.mu\"],\"name\":\"Robin Example\"}],"
    "\"untoc_16_5\":false,\"interpol\":true,\"languages\":[\"en\",\"fr\"],"
    "\"contact\":{\"website\":\"https://ca.example.mu\",\"emails\":[\"ca@example.mu\"],"
    "\"faxes\":[\"+230 5550 1299\"],\"phones\":[\"+230 5550 1234\",\"+230 5550 1235\"],"
    "\"address\":{\"en\":\"1 Example Street, Port Louis\"}},"
    "\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],\"functions\":[\"extradition\",\"mla\"],"
    "\"name\":{\"fr\":\"Autorit\\u00e9 centrale, bureau d'exemple\","
    "\"en\":\"Central Authority, Sample Attorney General's Office\"},"
    "\"state\":\"MU\",\"id\":\"MU-01\",\"kind\":\"authority\"}";

static const char s_t_agreement[] =
    "{\"kind\":\"agreement\",\"id\":\"IOC-BIL-MU-MG\","
    "\"title\":{\"en\":\"Sample treaty on mutual legal assistance\","
    "\"fr\":\"Trait\\u00e9 d'entraide judiciaire (exemple)\"},"
    "\"type\":\"bilateral\",\"subjects\":[\"mla\",\"extradition\"],"
    "\"parties\":[\"MU\",\"MG\"],\"status\":\"in_force\","
    "\"dates\":{\"signed\":\"2010-05-04\",\"in_force\":\"2011-01-01\"},"
    "\"platform\":\"IOC\","
    "\"requirements\":[{\"party\":\"MG\",\"text\":{\"fr\":\"Traduction en fran\\u00e7ais.\"}},"
    "{\"party\":\"MU\",\"text\":{\"en\":\"Requests in English.\"}}],"
    "\"notes\":{\"en\":\"Sample.\"}}";

/* Set (val != NULL, stolen) or delete the value at a path like
 * "persons[1].emails[0]"; an index equal to the array size appends.
 * Test helper only: no error messages, -1 when the path does not exist. */
static int
s_t_set(json_t *root, const char *path, json_t *val)
{
    json_t *cur = root;
    const char *p = path;
    for (;;) {
        char name[64] = "";
        size_t idx = 0;
        bool is_index = *p == '[';
        if (is_index) {
            char *end = NULL;
            idx = strtoul(p + 1, &end, 10);
            p = end + 1;
        } else {
            size_t n = strcspn(p, ".[");
            if (n >= sizeof name)
                n = sizeof name - 1;
            memcpy(name, p, n);
            name[n] = '\0';
            p += n;
        }
        if (*p == '.')
            p++;
        if (*p == '\0') {
            int rc;
            if (is_index && !val)
                rc = json_array_remove(cur, idx);
            else if (is_index && idx == json_array_size(cur))
                rc = json_array_append_new(cur, val);
            else if (is_index)
                rc = json_array_set_new(cur, idx, val);
            else if (!val)
                rc = json_object_del(cur, name);
            else
                rc = json_object_set_new(cur, name, val);
            return rc == 0 ? 0 : -1;
        }
        cur = is_index ? json_array_get(cur, idx) : json_object_get(cur, name);
        if (!cur) {
            json_decref(val);
            return -1;
        }
    }
}

/* A copy of base (0 authority, 1 agreement) with one change. */
static json_t *
s_t_mutate(int base, const char *path, json_t *val)
{
    json_t *j = json_loads(base ? s_t_agreement : s_t_authority, 0, NULL);
    if (j && path && s_t_set(j, path, val) != 0) {
        json_decref(j);
        return NULL;
    }
    if (j && !path)
        json_decref(val);
    return j;
}

/* Expect from_json to refuse j with rc and an err starting with want; when
 * parity, also expect the same bytes through vl_record_parse to give the same
 * rc and the same message. Consumes j. */
static int
s_t_refuse(json_t *j, int want_rc, const char *want, bool parity, bool verbose)
{
    int fails = 0;
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *body = NULL;
    size_t len = 0;
    if (!j) {
        fprintf(stderr, "record test: cannot build the case for \"%s\"\n", want);
        return 1;
    }
    int rc = vl_record_from_json(j, &body, &len, err);
    if (rc != want_rc || strncmp(err, want, strlen(want)) != 0 || body) {
        fprintf(stderr, "record test: want %d \"%s\", got %d \"%s\"\n", want_rc, want, rc, err);
        fails++;
    } else if (verbose) {
        printf("  refused: %s\n", err);
    }
    free(body);
    if (parity) {
        body = NULL;
        len = 0;
        char err2[VL_ERRMSG_MAX] = "";
        vl_record_t *r = NULL;
        int erc = s_encode_body(j, &body, &len, err2);
        err2[0] = '\0';
        int prc = erc == VL_OK ? vl_record_parse(body, len, &r, err2) : erc;
        bool same_msg = want_rc == VL_ELIMIT || strcmp(err, err2) == 0;
        if (prc != want_rc || !same_msg || r) {
            fprintf(stderr, "record test: parse path of \"%s\": got %d \"%s\"\n", want, prc,
                    err2);
            fails++;
        }
        vl_record_destroy(&r);
        free(body);
    }
    json_decref(j);
    return fails;
}

static int
s_t_collect_term(void *ctx, const char *term)
{
    json_t *a = ctx;
    return json_array_append_new(a, json_string(term)) == 0 ? 0 : -1;
}

/* The terms of a record as one space-separated string in emission order. */
static void
s_t_terms(const vl_record_t *r, char *buf, size_t cap)
{
    json_t *a = json_array();
    buf[0] = '\0';
    if (a && vl_record_terms(r, s_t_collect_term, a) == VL_OK) {
        size_t o = 0;
        for (size_t i = 0; i < json_array_size(a) && o < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? " " : "",
                                  json_string_value(json_array_get(a, i)));
    }
    json_decref(a);
}

static int
s_t_stop_at_second(void *ctx, const char *term)
{
    int *n = ctx;
    return ++*n == 2 ? 42 : 0;
}

/* A record (0 authority, 1 agreement) parsed from its JSON text. */
static vl_record_t *
s_t_record(json_t *j)
{
    uint8_t *body = NULL;
    size_t len = 0;
    vl_record_t *r = NULL;
    if (j && vl_record_from_json(j, &body, &len, NULL) == VL_OK)
        vl_record_parse(body, len, &r, NULL);
    free(body);
    json_decref(j);
    return r;
}

static json_t *
s_t_big_string(size_t n)
{
    char *s = malloc(n);
    if (!s)
        return NULL;
    memset(s, 'x', n);
    json_t *j = json_stringn(s, n);
    free(s);
    return j;
}

int
vl_record_test(bool verbose)
{
    VL_TEST_BEGIN;
    if (verbose)
        printf(" * vl_record\n");

    /* --- predicates ------------------------------------------------------ */
    VL_CHECK(vl_record_id_valid("MU-01", 5));
    VL_CHECK(vl_record_id_valid("a.b_c-D9", 8));
    VL_CHECK(!vl_record_id_valid("MU 01", 5));
    VL_CHECK(!vl_record_id_valid("", 0));
    VL_CHECK(!vl_record_id_valid("MU/01", 5));
    VL_CHECK(!vl_record_id_valid(NULL, 3));
    {
        char id[VL_MAX_ID + 2];
        memset(id, 'a', sizeof id);
        VL_CHECK(vl_record_id_valid(id, VL_MAX_ID));
        VL_CHECK(!vl_record_id_valid(id, VL_MAX_ID + 1));
    }
    VL_CHECK(vl_state_valid("MU", 2) && vl_state_valid("EU", 2) && vl_state_valid("VA", 2));
    VL_CHECK(!vl_state_valid("mu", 2) && !vl_state_valid("MUS", 3) && !vl_state_valid("M", 1));
    VL_CHECK(!vl_state_valid("M1", 2));
    VL_CHECK(vl_kind_parse("authority") == VL_KIND_AUTHORITY);
    VL_CHECK(vl_kind_parse("agreement") == VL_KIND_AGREEMENT);
    VL_CHECK(vl_kind_parse("Authority") == VL_KIND_NONE && vl_kind_parse(NULL) == VL_KIND_NONE);
    VL_CHECK(strcmp(vl_kind_name(VL_KIND_AGREEMENT), "agreement") == 0);
    VL_CHECK(strcmp(vl_kind_name(VL_KIND_AUTHORITY), "authority") == 0);
    VL_CHECK(vl_kind_name(VL_KIND_NONE) == NULL);
    VL_CHECK(s_date_valid("2024-02-29", 10) && s_date_valid("2000-02-29", 10));
    VL_CHECK(!s_date_valid("1900-02-29", 10) && !s_date_valid("2023-02-29", 10));
    VL_CHECK(!s_date_valid("2023-04-31", 10) && !s_date_valid("2023-00-10", 10));
    VL_CHECK(!s_date_valid("0000-01-01", 10) && !s_date_valid("2023-1-01", 9));
    VL_CHECK(s_utf8_valid("\xc3\xa9", 2) && !s_utf8_valid("\xc0\xaf", 2));
    VL_CHECK(!s_utf8_valid("\xed\xa0\x80", 3) && !s_utf8_valid("\xe2\x82", 2));
    VL_CHECK(!s_utf8_valid("\xf4\x90\x80\x80", 4) && s_utf8_valid("\xf0\x9f\x98\x80", 4));

    /* --- round trips ----------------------------------------------------- */
    const char *texts[2] = { s_t_authority, s_t_agreement };
    vl_record_t *recs[2] = { NULL, NULL };
    for (int k = 0; k < 2; k++) {
        uint8_t *body = NULL;
        size_t len = 0;
        char err[VL_ERRMSG_MAX] = "";
        VL_CHECK_RC(vl_record_from_json_text(texts[k], strlen(texts[k]), &body, &len, err),
                    VL_OK);
        if (err[0])
            fprintf(stderr, "record test: %s\n", err);
        VL_CHECK(body && len > 0 && len <= VL_MAX_RECORD);
        if (!body)
            continue;
        VL_CHECK_RC(vl_record_parse(body, len, &recs[k], err), VL_OK);
        if (recs[k]) {
            json_t *orig = json_loads(texts[k], 0, NULL);
            json_t *back = vl_record_to_json(recs[k]);
            VL_CHECK(orig && back && json_equal(orig, back));
            size_t blen = 0;
            const uint8_t *b = vl_record_body(recs[k], &blen);
            VL_CHECK(blen == len && memcmp(b, body, len) == 0);
            /* The JSON view encodes back to the very same body. */
            uint8_t *again = NULL;
            size_t alen = 0;
            VL_CHECK_RC(vl_record_from_json(back, &again, &alen, NULL), VL_OK);
            VL_CHECK(again && alen == len && memcmp(again, body, len) == 0);
            free(again);
            json_decref(orig);
            json_decref(back);
        }
        free(body);
    }
    if (recs[0]) {
        VL_CHECK(strcmp(vl_record_id(recs[0]), "MU-01") == 0);
        VL_CHECK(vl_record_kind(recs[0]) == VL_KIND_AUTHORITY);
        VL_CHECK(vl_record_nstates(recs[0]) == 1 && strcmp(vl_record_state(recs[0], 0), "MU") == 0);
    }
    if (recs[1]) {
        VL_CHECK(strcmp(vl_record_id(recs[1]), "IOC-BIL-MU-MG") == 0);
        VL_CHECK(vl_record_kind(recs[1]) == VL_KIND_AGREEMENT);
        VL_CHECK(vl_record_nstates(recs[1]) == 2);
        VL_CHECK(vl_record_nstates(recs[1]) == 2 && strcmp(vl_record_state(recs[1], 0), "MU") == 0 &&
                 strcmp(vl_record_state(recs[1], 1), "MG") == 0);
    }

    /* Key order in the input does not change the body; the keys come out
     * sorted, shorter prefix first (a map16 whose first key is "channels"). */
    {
        uint8_t *b1 = NULL, *b2 = NULL;
        size_t l1 = 0, l2 = 0;
        VL_CHECK_RC(vl_record_from_json_text(s_t_authority, strlen(s_t_authority), &b1, &l1, NULL),
                    VL_OK);
        VL_CHECK_RC(vl_record_from_json_text(s_t_authority_shuffled,
                                             strlen(s_t_authority_shuffled), &b2, &l2, NULL),
                    VL_OK);
        VL_CHECK(b1 && b2 && l1 == l2 && memcmp(b1, b2, l1) == 0);
        VL_CHECK(b1 && l1 > 10 && b1[0] == 0xde && memcmp(b1 + 4, "channels", 8) == 0);
        free(b1);
        free(b2);
        vl_wr_t *w = vl_wr_new();
        json_t *j = json_loads("{\"ab\":true,\"a\":false,\"b\":true,\"B\":false}", 0, NULL);
        VL_CHECK(w && j && s_encode(w, j, 0) == VL_OK);
        static const uint8_t want[] = { 0x84, 0xa1, 'B', 0xc2, 0xa1, 'a', 0xc2,
                                        0xa2, 'a', 'b', 0xc3, 0xa1, 'b', 0xc3 };
        VL_CHECK(w && vl_wr_len(w) == sizeof want && memcmp(vl_wr_data(w), want, sizeof want) == 0);
        json_decref(j);
        vl_wr_destroy(&w);
    }

    /* --- schema violations, through both paths --------------------------- */
    static const struct {
        int base;           /* 0 authority, 1 agreement */
        const char *path;   /* what to change */
        const char *value;  /* new JSON value; NULL deletes */
        int rc;
        const char *msg;    /* err must start with this */
        bool parity;        /* also check vl_record_parse on the same content */
    } cases[] = {
        { 0, "state", NULL, VL_ESCHEMA, "state: required", true },
        { 0, "contact.address", NULL, VL_ESCHEMA, "contact.address: required", true },
        { 0, "persons[0].name", NULL, VL_ESCHEMA, "persons[0].name: required", true },
        { 1, "requirements[0].text", NULL, VL_ESCHEMA, "requirements[0].text: required", true },
        { 1, "parties", NULL, VL_ESCHEMA, "parties: required", true },
        { 0, "kind", NULL, VL_ESCHEMA, "kind: required", true },
        { 0, "kind", "\"authorty\"", VL_ESCHEMA, "kind: unknown kind \"authorty\"", true },
        { 0, "kind", "7", VL_ESCHEMA, "kind: must be a string", true },
        { 0, "stat", "\"MU\"", VL_ESCHEMA, "stat: unknown field", true },
        { 0, "contact.fax", "[\"+230 5550 1299\"]", VL_ESCHEMA, "contact.fax: unknown field", true },
        { 0, "persons[1].mail", "\"x@example.mu\"", VL_ESCHEMA, "persons[1].mail: unknown field", true },
        { 1, "dates.signd", "\"2010-05-04\"", VL_ESCHEMA, "dates.signd: unknown field", true },
        { 0, "persons[1].emails[0]", "5", VL_ESCHEMA, "persons[1].emails[0]: must be a string", true },
        { 0, "persons[0].title", "-3", VL_ESCHEMA, "persons[0].title: must be a string", true },
        { 0, "interpol", "1", VL_ESCHEMA, "interpol: must be true or false", true },
        { 0, "untoc_16_5", "\"no\"", VL_ESCHEMA, "untoc_16_5: must be true or false", true },
        { 0, "contact", "[]", VL_ESCHEMA, "contact: must be an object", true },
        { 0, "persons", "{}", VL_ESCHEMA, "persons: must be an array", true },
        { 0, "persons[0]", "\"Alex\"", VL_ESCHEMA, "persons[0]: must be an object", true },
        { 0, "functions", "\"mla\"", VL_ESCHEMA, "functions: must be an array", true },
        { 0, "office_hours", "\"\"", VL_ESCHEMA, "office_hours: must not be empty", true },
        { 0, "contact.phones[1]", "\"\"", VL_ESCHEMA, "contact.phones[1]: must not be empty", true },
        { 0, "name", "\"Central Authority\"", VL_ESCHEMA, "name: must be an object of language", true },
        { 0, "name", "{}", VL_ESCHEMA, "name: must have at least one language", true },
        { 0, "name.EN", "\"x\"", VL_ESCHEMA, "name.EN: not a language code", true },
        { 0, "comments.engl", "\"x\"", VL_ESCHEMA, "comments.engl: not a language code", true },
        { 0, "name.fr", "\"\"", VL_ESCHEMA, "name.fr: must not be empty", true },
        { 0, "comments.en", "[\"x\"]", VL_ESCHEMA, "comments.en: must be a string", true },
        { 0, "functions[2]", "\"mlaa\"", VL_ESCHEMA, "functions[2]: unknown function \"mlaa\"", true },
        { 0, "functions", "[]", VL_ESCHEMA, "functions: at least 1 entry required", true },
        { 0, "legal_bases[0]", "\"UNTOC-19\"", VL_ESCHEMA, "legal_bases[0]: unknown legal basis \"UNTOC-19\"", true },
        { 0, "channels[2]", "\"pigeon\"", VL_ESCHEMA, "channels[2]: unknown channel \"pigeon\"", true },
        { 1, "subjects[0]", "\"piracy\"", VL_ESCHEMA, "subjects[0]: unknown subject \"piracy\"", true },
        { 1, "subjects", "[]", VL_ESCHEMA, "subjects: at least 1 entry required", true },
        { 1, "type", "\"trilateral\"", VL_ESCHEMA, "type: unknown agreement type \"trilateral\"", true },
        { 1, "status", "\"ratified\"", VL_ESCHEMA, "status: unknown status \"ratified\"", true },
        { 0, "languages", "[]", VL_ESCHEMA, "languages: at least 1 entry required", true },
        { 0, "languages[1]", "\"FR\"", VL_ESCHEMA, "languages[1]: \"FR\" is not a language code", true },
        { 0, "persons[0].languages[0]", "\"english\"", VL_ESCHEMA, "persons[0].languages[0]: \"english\" is not a language code", true },
        { 0, "state", "\"mu\"", VL_ESCHEMA, "state: \"mu\" is not a State code", true },
        { 0, "state", "\"MUS\"", VL_ESCHEMA, "state: \"MUS\" is not a State code", true },
        { 1, "parties[1]", "\"M1\"", VL_ESCHEMA, "parties[1]: \"M1\" is not a State code", true },
        { 1, "requirements[1].party", "\"Mu\"", VL_ESCHEMA, "requirements[1].party: \"Mu\" is not a State code", true },
        { 0, "id", "\"MU 01\"", VL_ESCHEMA, "id: not a record id", true },
        { 0, "id", "\"\"", VL_ESCHEMA, "id: must not be empty", true },
        { 0, "treaties[0]", "\"IOC/BIL\"", VL_ESCHEMA, "treaties[0]: \"IOC/BIL\" is not a record id", true },
        { 1, "dates.signed", "\"2023-02-29\"", VL_ESCHEMA, "dates.signed: not a valid date", true },
        { 1, "dates.in_force", "\"2011-13-01\"", VL_ESCHEMA, "dates.in_force: not a valid date", true },
        { 1, "dates.terminated", "\"1.1.2020\"", VL_ESCHEMA, "dates.terminated: not a valid date", true },
        { 1, "dates.terminated", "\"2020/01/01\"", VL_ESCHEMA, "dates.terminated: not a valid date", true },
        { 1, "dates", "\"2010\"", VL_ESCHEMA, "dates: must be an object", true },
        { 0, "time_zone", "\"Indian/Maurice \\u00e9t\\u00e9\"", VL_ESCHEMA, "time_zone: must be printable ASCII", true },
        { 0, "time_zone", "\"UTC+04:00 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", VL_ESCHEMA, "time_zone: must be printable ASCII", true },
        { 0, "contact.website", "null", VL_ESCHEMA, "contact.website: null is not allowed", true },
        { 0, "persons[1].emails[1]", "null", VL_ESCHEMA, "persons[1].emails[1]: null is not allowed", true },
        { 0, "interpol", "1.5", VL_ESCHEMA, "interpol: non-integer numbers are not allowed", false },
        { 0, "functions[2]", "\"mla\"", VL_ESCHEMA, "functions[2]: duplicate \"mla\"", true },
        { 0, "legal_bases[2]", "\"UNTOC-16\"", VL_ESCHEMA, "legal_bases[2]: duplicate \"UNTOC-16\"", true },
        { 0, "languages[2]", "\"en\"", VL_ESCHEMA, "languages[2]: duplicate \"en\"", true },
        { 1, "parties[1]", "\"MU\"", VL_ESCHEMA, "parties[1]: duplicate \"MU\"", true },
        { 1, "parties[2]", "\"SC\"", VL_ESCHEMA, "parties: a bilateral agreement has exactly 2 parties, not 3", true },
        { 1, "requirements[0].party", "\"SC\"", VL_ESCHEMA, "requirements[0].party: \"SC\" is not among the parties", true },
        { 1, "requirements[1].party", "\"MG\"", VL_ESCHEMA, "requirements[1].party: a second entry for \"MG\"", true },
        { 0, "comments", "[[[[[[[[\"deep\"]]]]]]]]", VL_ESCHEMA, "comments[0][0][0][0][0][0][0]: nested too deeply", false },
        { 0, "comments", "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}", VL_ESCHEMA, "comments.a.a.a.a.a.a.a: nested too deeply", false },
        { 0, NULL, NULL, 0, NULL, false },
    };
    for (size_t i = 0; cases[i].msg; i++) {
        json_t *val = NULL;
        if (cases[i].value) {
            val = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
            VL_CHECK(val != NULL);
        }
        VL_CHECK(s_t_refuse(s_t_mutate(cases[i].base, cases[i].path, val), cases[i].rc,
                                      cases[i].msg, cases[i].parity, verbose) == 0);
    }
    /* A type error, not a schema error: wrong root type, through both paths. */
    VL_CHECK(s_t_refuse(json_loads("[1]", 0, NULL), VL_ESCHEMA,
                                  "record: must be an object", true, verbose) == 0);
    /* Accepted variants must stay accepted (guards against over-strict checks). */
    {
        json_t *ok1 = s_t_mutate(1, "dates.terminated", json_string("2024-02-29"));
        json_t *ok2 = s_t_mutate(0, "time_zone", json_string("UTC+04:00"));
        json_t *ok3 = s_t_mutate(1, "type", json_string("regional"));
        s_t_set(ok3, "parties[2]", json_string("SC"));
        json_t *ok4 = s_t_mutate(0, "legal_bases", json_array());
        json_t *oks[] = { ok1, ok2, ok3, ok4 };
        for (size_t i = 0; i < 4; i++) {
            uint8_t *b = NULL;
            size_t l = 0;
            char err[VL_ERRMSG_MAX] = "";
            VL_CHECK_RC(vl_record_from_json(oks[i], &b, &l, err), VL_OK);
            if (err[0])
                fprintf(stderr, "record test: accepted variant %zu: %s\n", i, err);
            free(b);
            json_decref(oks[i]);
        }
    }
    /* Strings a body cannot carry (the codec refuses them on the parse path). */
    VL_CHECK(s_t_refuse(s_t_mutate(0, "office_hours", json_stringn("9\0" "17", 4)),
                                  VL_ESCHEMA, "office_hours: string contains a NUL", false,
                                  verbose) == 0);
    VL_CHECK(s_t_refuse(s_t_mutate(0, "office_hours",
                                             json_stringn_nocheck("\xc0\xaf", 2)),
                                  VL_ESCHEMA, "office_hours: string is not valid UTF-8", false,
                                  verbose) == 0);
    {
        json_t *j = s_t_mutate(0, NULL, NULL);
        json_t *c = json_object_get(j, "contact");
        json_object_setn_new_nocheck(c, "\xff", 1, json_true());
        VL_CHECK(s_t_refuse(j, VL_ESCHEMA, "contact: field name is not valid UTF-8",
                                      false, verbose) == 0);
    }
    VL_CHECK(s_t_refuse(s_t_mutate(0, "comments.en", s_t_big_string(VL_MAX_STR + 1)),
                                  VL_ESCHEMA, "comments.en: string longer than", false, verbose) == 0);
    /* Lists longer than VL_MAX_LIST; parties longer than VL_MAX_STATES. */
    {
        json_t *phones = json_array(), *parties = json_array(), *langs = json_object();
        for (unsigned i = 0; i <= VL_MAX_LIST; i++) {
            char s[32];
            snprintf(s, sizeof s, "+230 5550 %04u", i);
            json_array_append_new(phones, json_string(s));
            snprintf(s, sizeof s, "%c%c", 'A' + i / 26, 'A' + i % 26);
            json_array_append_new(parties, json_string(s));
            snprintf(s, sizeof s, "%c%c", 'a' + i / 26, 'a' + i % 26);
            json_object_set_new(langs, s, json_string("x"));
        }
        VL_CHECK(s_t_refuse(s_t_mutate(0, "contact.phones", phones), VL_ESCHEMA,
                                      "contact.phones: more than 64 entries", true, verbose) == 0);
        json_t *a = s_t_mutate(1, "parties", parties);
        s_t_set(a, "type", json_string("multilateral"));
        VL_CHECK(s_t_refuse(a, VL_ESCHEMA, "parties: more than 64 entries", true,
                                      verbose) == 0);
        VL_CHECK(s_t_refuse(s_t_mutate(0, "comments", langs), VL_ESCHEMA,
                                      "comments: more than 64 languages", true, verbose) == 0);
        json_t *persons = json_array(), *fields = json_object();
        for (unsigned i = 0; i <= VL_MAX_LIST; i++)
            json_array_append_new(persons, json_pack("{s:s}", "name", "Alex Sample"));
        for (unsigned i = 0; i <= VL_MAX_CONTAINER; i++) {
            char s[16];
            snprintf(s, sizeof s, "k%u", i);
            json_object_set_new(fields, s, json_true());
        }
        VL_CHECK(s_t_refuse(s_t_mutate(0, "persons", persons), VL_ESCHEMA,
                            "persons: more than 64 entries", true, verbose) == 0);
        VL_CHECK(s_t_refuse(s_t_mutate(0, "contact", fields), VL_ESCHEMA,
                            "contact: more than 4096 fields", false, verbose) == 0);
        json_t *many = json_array();
        for (unsigned i = 0; i <= VL_MAX_CONTAINER; i++)
            json_array_append_new(many, json_string("X"));
        VL_CHECK(s_t_refuse(s_t_mutate(0, "treaties", many), VL_ESCHEMA,
                                      "treaties: more than 4096 elements", false, verbose) == 0);
    }
    /* Oversize: every field valid, the body above VL_MAX_RECORD. */
    {
        json_t *big = json_object();
        const char *langs[] = { "en", "fr", "es", "ar", "ru" };
        for (size_t i = 0; i < 5; i++)
            json_object_set_new(big, langs[i], s_t_big_string(VL_MAX_STR - 10));
        VL_CHECK(s_t_refuse(s_t_mutate(0, "comments", big), VL_ELIMIT,
                                      "record body is", false, verbose) == 0);
    }

    /* --- JSON text ------------------------------------------------------- */
    {
        uint8_t *b = NULL;
        size_t l = 0;
        char err[VL_ERRMSG_MAX] = "";
        VL_CHECK_RC(vl_record_from_json_text("{\"kind\":\"authority\",", 20, &b, &l, err),
                    VL_EPROTO);
        VL_CHECK(strncmp(err, "JSON line 1", 11) == 0 && !b);
        err[0] = '\0';
        VL_CHECK_RC(vl_record_from_json_text("{\"kind\":\"agreement\",\"kind\":\"agreement\"}",
                                             38, &b, &l, err), VL_EPROTO);
        VL_CHECK(strstr(err, "duplicate") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_record_from_json_text("\"authority\"", 11, &b, &l, err), VL_EPROTO);
        err[0] = '\0';
        VL_CHECK_RC(vl_record_from_json_text(s_t_authority, VL_MAX_JSON_FILE + 1, &b, &l, err),
                    VL_ELIMIT);
        VL_CHECK(b == NULL && l == 0);
    }

    /* --- hostile bodies -------------------------------------------------- */
    {
        uint8_t *body = NULL;
        size_t len = 0;
        vl_record_t *r = NULL;
        char err[VL_ERRMSG_MAX] = "";
        VL_CHECK_RC(vl_record_from_json_text(s_t_authority, strlen(s_t_authority), &body, &len,
                                             NULL), VL_OK);
        for (size_t cut = 0; body && cut < len; cut += (cut < 64 ? 1 : 97)) {
            int rc = vl_record_parse(body, cut, &r, NULL);
            VL_CHECK((rc == VL_EPROTO || rc == VL_ELIMIT) && r == NULL);
        }
        free(body);
        VL_CHECK_RC(vl_record_parse(NULL, 0, &r, NULL), VL_EPROTO);

        /* Bytes JSON has no word for. */
        vl_wr_t *w = vl_wr_new();
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "comments");
        vl_wr_bin(w, "\x01\x02", 2);
        vl_wr_cstr(w, "id");
        vl_wr_cstr(w, "X-01");
        vl_wr_cstr(w, "kind");
        vl_wr_cstr(w, "authority");
        VL_CHECK(vl_wr_status(w) == VL_OK);
        VL_CHECK_RC(vl_record_parse(vl_wr_data(w), vl_wr_len(w), &r, err), VL_ESCHEMA);
        VL_CHECK(strcmp(err, "comments: binary data is not allowed") == 0);
        vl_wr_reset(w);
        err[0] = '\0';
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "id");
        vl_wr_uint(w, UINT64_MAX);
        vl_wr_cstr(w, "kind");
        vl_wr_cstr(w, "authority");
        VL_CHECK_RC(vl_record_parse(vl_wr_data(w), vl_wr_len(w), &r, err), VL_ESCHEMA);
        VL_CHECK(strcmp(err, "id: integer out of range") == 0);
        /* Keys out of order: not canonical. */
        vl_wr_reset(w);
        err[0] = '\0';
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "kind");
        vl_wr_cstr(w, "authority");
        vl_wr_cstr(w, "id");
        vl_wr_cstr(w, "X-01");
        VL_CHECK_RC(vl_record_parse(vl_wr_data(w), vl_wr_len(w), &r, err), VL_EPROTO);
        vl_wr_destroy(&w);
        VL_CHECK(r == NULL);

        /* A body above VL_MAX_RECORD that is otherwise a valid record. */
        json_t *big = json_object();
        const char *langs[] = { "en", "fr", "es", "ar", "ru" };
        for (size_t i = 0; i < 5; i++)
            json_object_set_new(big, langs[i], s_t_big_string(VL_MAX_STR - 10));
        json_t *j = s_t_mutate(0, "comments", big);
        body = NULL;
        VL_CHECK(j && s_encode_body(j, &body, &len, NULL) == VL_ELIMIT);
        vl_wr_t *w2 = vl_wr_new();
        VL_CHECK(w2 && j && s_encode(w2, j, 0) == VL_OK && vl_wr_status(w2) == VL_OK);
        if (w2 && vl_wr_len(w2) > VL_MAX_RECORD) {
            err[0] = '\0';
            VL_CHECK_RC(vl_record_parse(vl_wr_data(w2), vl_wr_len(w2), &r, err), VL_ELIMIT);
        } else {
            VL_CHECK(!"oversize body not built");
        }
        vl_wr_destroy(&w2);
        json_decref(j);
    }

    /* --- terms ----------------------------------------------------------- */
    if (recs[0] && recs[1]) {
        char terms[512];
        s_t_terms(recs[0], terms, sizeof terms);
        VL_CHECK(strcmp(terms, "k:authority s:MU f:extradition f:mla b:UNTOC-16 b:UNTOC-18 "
                               "l:en l:fr") == 0);
        s_t_terms(recs[1], terms, sizeof terms);
        VL_CHECK(strcmp(terms, "k:agreement s:MU s:MG f:mla f:extradition") == 0);
        int n = 0;
        VL_CHECK(vl_record_terms(recs[0], s_t_stop_at_second, &n) == 42 && n == 2);
    }

    /* --- free text ------------------------------------------------------- */
    if (recs[0]) {
        VL_CHECK(vl_record_match_text(recs[0], "PORT LOUIS"));
        VL_CHECK(vl_record_match_text(recs[0], "5550 2000"));
        VL_CHECK(vl_record_match_text(recs[0], "autorit\xc3\xa9"));
        VL_CHECK(vl_record_match_text(recs[0], ""));
        VL_CHECK(!vl_record_match_text(recs[0], "untoc_16_5"));  /* a key, not a value */
        VL_CHECK(!vl_record_match_text(recs[0], "Antananarivo"));
    }

    /* --- diff ------------------------------------------------------------ */
    if (recs[0]) {
        json_t *j = vl_record_to_json(recs[0]);
        s_t_set(j, "contact.phones[0]", json_string("+230 5550 4321"));
        s_t_set(j, "contact.emails[1]", json_string("duty@example.mu"));
        s_t_set(j, "office_hours", NULL);
        s_t_set(j, "interpol", json_false());
        s_t_set(j, "name.es", json_string("Autoridad central"));
        vl_record_t *r2 = s_t_record(j);
        VL_CHECK(r2 != NULL);
        json_t *d = r2 ? vl_record_diff(recs[0], r2) : NULL;
        json_t *want = json_loads(
            "[{\"path\":\"contact.emails[1]\",\"new\":\"duty@example.mu\"},"
            "{\"path\":\"contact.phones[0]\",\"old\":\"+230 5550 1234\",\"new\":\"+230 5550 4321\"},"
            "{\"path\":\"interpol\",\"old\":true,\"new\":false},"
            "{\"path\":\"name.es\",\"new\":\"Autoridad central\"},"
            "{\"path\":\"office_hours\",\"old\":\"Monday-Friday 09:00-16:00\"}]",
            0, NULL);
        VL_CHECK(d && want && json_equal(d, want));
        if (verbose && d) {
            char *s = json_dumps(d, JSON_COMPACT);
            printf("  diff: %s\n", s ? s : "?");
            free(s);
        }
        json_decref(d);
        json_decref(want);
        d = vl_record_diff(recs[0], recs[0]);
        VL_CHECK(d && json_array_size(d) == 0);
        json_decref(d);
        d = vl_record_diff(NULL, recs[1]);
        VL_CHECK(d && json_array_size(d) == 11);
        VL_CHECK(d && strcmp(json_string_value(json_object_get(json_array_get(d, 0), "path")),
                             "dates") == 0);
        VL_CHECK(d && !json_object_get(json_array_get(d, 0), "old") &&
                 json_object_get(json_array_get(d, 0), "new"));
        json_decref(d);
        d = vl_record_diff(recs[1], NULL);
        VL_CHECK(d && json_array_size(d) == 11 &&
                 !json_object_get(json_array_get(d, 10), "new") &&
                 strcmp(json_string_value(json_object_get(json_array_get(d, 10), "path")),
                        "type") == 0);
        json_decref(d);
        d = vl_record_diff(NULL, NULL);
        VL_CHECK(d && json_array_size(d) == 0);
        json_decref(d);
        vl_record_destroy(&r2);
        vl_record_destroy(&r2);   /* idempotent */
    }

    /* The stored-body path gives the same record as the full parse, and
     * still refuses bytes that are not a record. */
    for (int k = 0; k < 2 && recs[k]; k++) {
        size_t bl = 0;
        const uint8_t *b = vl_record_body(recs[k], &bl);
        vl_record_t *st = NULL;
        VL_CHECK_RC(vl_record_parse_stored(b, bl, &st, NULL), VL_OK);
        if (st) {
            VL_CHECK(strcmp(vl_record_id(st), vl_record_id(recs[k])) == 0);
            VL_CHECK(vl_record_kind(st) == vl_record_kind(recs[k]));
            VL_CHECK(vl_record_nstates(st) == vl_record_nstates(recs[k]));
            for (size_t i = 0; i < vl_record_nstates(st); i++)
                VL_CHECK(strcmp(vl_record_state(st, i), vl_record_state(recs[k], i)) == 0);
            json_t *a = vl_record_to_json(st), *b2 = vl_record_to_json(recs[k]);
            VL_CHECK(a && b2 && json_equal(a, b2));
            json_decref(a);
            json_decref(b2);
            json_t *d = vl_record_diff(st, recs[k]);
            VL_CHECK(d && json_array_size(d) == 0);
            json_decref(d);
        }
        vl_record_destroy(&st);
    }
    {
        static const uint8_t notrec[] = { 0x81, 0xa4, 'k', 'i', 'n', 'd', 0xa3, 'c', 'a', 't' };
        static const uint8_t trunc[] = { 0x82, 0xa2, 'i', 'd' };
        vl_record_t *st = NULL;
        VL_CHECK_RC(vl_record_parse_stored(notrec, sizeof notrec, &st, NULL), VL_ESCHEMA);
        VL_CHECK_RC(vl_record_parse_stored(trunc, sizeof trunc, &st, NULL), VL_EPROTO);
        VL_CHECK(st == NULL);
    }

    vl_record_destroy(&recs[0]);
    vl_record_destroy(&recs[1]);
    if (verbose)
        printf(" * vl_record: %s\n", VL_TEST_END == 0 ? "OK" : "FAILED");
    return VL_TEST_END;
}
