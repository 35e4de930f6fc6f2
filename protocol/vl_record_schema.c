/* SPDX-License-Identifier: MIT */
/*
 * vl_record_schema - the schemas of the two record kinds and the checker
 * that applies them (vl_record_validate), plus the small validators the
 * public predicates share (kinds, record ids, State codes).
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_record_int.h"

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
bool
vl_record_lang_valid(const char *s, size_t len)
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
bool
vl_record_utf8_valid(const char *s, size_t len)
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
bool
vl_record_date_valid(const char *s, size_t len)
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
int
vl_record_keycmp(const char *a, size_t alen, const char *b, size_t blen)
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

static int
s_member_cmp(const void *a, const void *b)
{
    const vl_rec_member_t *x = a, *y = b;
    return vl_record_keycmp(x->key, x->klen, y->key, y->klen);
}

/* Members of obj sorted by key into a new array (caller frees; NULL when the
 * object is empty). The object is only read: jansson's iterator API merely
 * lacks const. */
int
vl_record_members(const json_t *obj, vl_rec_member_t **out, size_t *n)
{
    json_t *o = (json_t *)obj;
    size_t cnt = json_object_size(o);
    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return VL_OK;
    vl_rec_member_t *m = calloc(cnt, sizeof *m);
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

static void
s_path_append(vl_rec_ctx_t *c, const char *s, size_t n)
{
    size_t room = VL_REC_PATH_MAX - 1 - c->len;
    if (n > room)
        n = room;
    memcpy(c->path + c->len, s, n);
    c->len += n;
    c->path[c->len] = '\0';
}

/* Copy at most max bytes of s into out (cap bytes), printable ASCII kept and
 * anything else (and quotes, backslashes) shown as \xNN: user bytes in a
 * message stay readable and harmless. */
void
vl_record_sanitize(char *out, size_t cap, const char *s, size_t n, size_t max)
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

size_t
vl_record_path_key(vl_rec_ctx_t *c, const char *key, size_t klen)
{
    size_t old = c->len;
    char buf[64];
    vl_record_sanitize(buf, sizeof buf, key, klen, 32);
    if (c->len)
        s_path_append(c, ".", 1);
    s_path_append(c, buf, strlen(buf));
    return old;
}

size_t
vl_record_path_index(vl_rec_ctx_t *c, size_t i)
{
    size_t old = c->len;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "[%zu]", i);
    s_path_append(c, buf, (size_t)n);
    return old;
}

void
vl_record_path_pop(vl_rec_ctx_t *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

/* Record "<path>: <message>" (path "record" at the top) and return VL_ESCHEMA. */
int
vl_record_fail(vl_rec_ctx_t *c, const char *fmt, ...)
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
s_check_str(vl_rec_ctx_t *c, const char *s, size_t len, const char *what)
{
    if (len > VL_MAX_STR)
        return vl_record_fail(c, "%s longer than %u bytes", what, VL_MAX_STR);
    if (memchr(s, '\0', len))
        return vl_record_fail(c, "%s contains a NUL character", what);
    if (!vl_record_utf8_valid(s, len))
        return vl_record_fail(c, "%s is not valid UTF-8", what);
    return VL_OK;
}

/* depth: containers around v. */
static int
s_check_generic(const json_t *v, vl_rec_ctx_t *c, unsigned depth)
{
    int rc = VL_OK;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return vl_record_fail(c, "null is not allowed");
    case JSON_REAL:
        return vl_record_fail(c, "non-integer numbers are not allowed");
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_INTEGER:
        return VL_OK;
    case JSON_STRING:
        return s_check_str(c, json_string_value(v), json_string_length(v), "string");
    case JSON_ARRAY: {
        if (depth + 1 > VL_MAX_DEPTH)
            return vl_record_fail(c, "nested too deeply");
        size_t n = json_array_size(v);
        if (n > VL_MAX_CONTAINER)
            return vl_record_fail(c, "more than %u elements", VL_MAX_CONTAINER);
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            size_t old = vl_record_path_index(c, i);
            rc = s_check_generic(json_array_get(v, i), c, depth + 1);
            vl_record_path_pop(c, old);
        }
        return rc;
    }
    case JSON_OBJECT: {
        if (depth + 1 > VL_MAX_DEPTH)
            return vl_record_fail(c, "nested too deeply");
        if (json_object_size(v) > VL_MAX_CONTAINER)
            return vl_record_fail(c, "more than %u fields", VL_MAX_CONTAINER);
        vl_rec_member_t *m = NULL;
        size_t n = 0;
        rc = vl_record_members(v, &m, &n);
        if (rc != VL_OK)
            return vl_err(c->err, rc, "out of memory");
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            rc = s_check_str(c, m[i].key, m[i].klen, "field name");
            if (rc != VL_OK)
                break;
            size_t old = vl_record_path_key(c, m[i].key, m[i].klen);
            rc = s_check_generic(m[i].val, c, depth + 1);
            vl_record_path_pop(c, old);
        }
        free(m);
        return rc;
    }
    }
    return vl_record_fail(c, "unexpected JSON type");
}

/* ======================================================================== */
/* Pass 2: the schemas                                                      */
/* ======================================================================== */

typedef int (*s_check_fn)(const json_t *v, vl_rec_ctx_t *c);

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
s_check_fields(const json_t *v, vl_rec_ctx_t *c, const s_field_t *fields, size_t nfields)
{
    if (!json_is_object(v))
        return vl_record_fail(c, "must be an object");
    json_t *o = (json_t *)v;
    const char *bad = NULL;
    size_t badlen = 0;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        if (!s_field_find(fields, nfields, k, kl) &&
            (!bad || vl_record_keycmp(k, kl, bad, badlen) < 0)) {
            bad = k;
            badlen = kl;
        }
    }
    if (bad) {
        vl_record_path_key(c, bad, badlen);
        return vl_record_fail(c, "unknown field");
    }
    for (size_t i = 0; i < nfields; i++) {
        const json_t *fv = json_object_get(v, fields[i].name);
        size_t old = vl_record_path_key(c, fields[i].name, strlen(fields[i].name));
        int rc = VL_OK;
        if (!fv) {
            if (fields[i].required)
                rc = vl_record_fail(c, "required");
        } else {
            rc = fields[i].check(fv, c);
        }
        vl_record_path_pop(c, old);
        if (rc != VL_OK)
            return rc;
    }
    return VL_OK;
}

static int
s_ck_string(const json_t *v, vl_rec_ctx_t *c)
{
    if (!json_is_string(v))
        return vl_record_fail(c, "must be a string");
    if (json_string_length(v) == 0)
        return vl_record_fail(c, "must not be empty");
    return VL_OK;
}

static int
s_ck_bool(const json_t *v, vl_rec_ctx_t *c)
{
    if (!json_is_boolean(v))
        return vl_record_fail(c, "must be true or false");
    return VL_OK;
}

static int
s_ck_kind(const json_t *v, vl_rec_ctx_t *c)
{
    /* Already checked before the kind's table was chosen. */
    return s_ck_string(v, c);
}

static int
s_ck_id(const json_t *v, vl_rec_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!vl_record_id_valid(json_string_value(v), json_string_length(v)))
        return vl_record_fail(c, "not a record id (1 to %u of A-Z a-z 0-9 . _ -)", VL_MAX_ID);
    return VL_OK;
}

static int
s_ck_state(const json_t *v, vl_rec_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!vl_state_valid(json_string_value(v), json_string_length(v))) {
        char buf[64];
        vl_record_sanitize(buf, sizeof buf, json_string_value(v), json_string_length(v), 16);
        return vl_record_fail(c, "\"%s\" is not a State code (two upper-case letters)", buf);
    }
    return VL_OK;
}

/* Multilingual text: {"en": "...", "fr": "..."}. */
static int
s_ck_text(const json_t *v, vl_rec_ctx_t *c)
{
    if (!json_is_object(v))
        return vl_record_fail(c, "must be an object of language code to text");
    size_t n = json_object_size(v);
    if (n == 0)
        return vl_record_fail(c, "must have at least one language");
    if (n > VL_MAX_LIST)
        return vl_record_fail(c, "more than %u languages", VL_MAX_LIST);
    vl_rec_member_t *m = NULL;
    int rc = vl_record_members(v, &m, &n);
    if (rc != VL_OK)
        return vl_err(c->err, rc, "out of memory");
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        size_t old = vl_record_path_key(c, m[i].key, m[i].klen);
        if (!vl_record_lang_valid(m[i].key, m[i].klen))
            rc = vl_record_fail(c, "not a language code (2 or 3 lower-case letters)");
        else
            rc = s_ck_string(m[i].val, c);
        vl_record_path_pop(c, old);
    }
    free(m);
    return rc;
}

static int
s_ck_date(const json_t *v, vl_rec_ctx_t *c)
{
    int rc = s_ck_string(v, c);
    if (rc != VL_OK)
        return rc;
    if (!vl_record_date_valid(json_string_value(v), json_string_length(v)))
        return vl_record_fail(c, "not a valid date (YYYY-MM-DD)");
    return VL_OK;
}

static int
s_ck_time_zone(const json_t *v, vl_rec_ctx_t *c)
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
        return vl_record_fail(c, "must be printable ASCII of at most 64 bytes");
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
s_check_list(const json_t *v, vl_rec_ctx_t *c, const s_list_t *spec)
{
    if (!json_is_array(v))
        return vl_record_fail(c, "must be an array");
    size_t n = json_array_size(v);
    if (n > spec->max)
        return vl_record_fail(c, "more than %zu entries", spec->max);
    if (n < spec->min)
        return vl_record_fail(c, "at least %zu %s required", spec->min,
                      spec->min == 1 ? "entry" : "entries");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        size_t old = vl_record_path_index(c, i);
        int rc = s_ck_string(e, c);
        if (rc != VL_OK)
            return rc;
        const char *s = json_string_value(e);
        size_t len = json_string_length(e);
        char shown[64];
        vl_record_sanitize(shown, sizeof shown, s, len, 24);
        if (spec->allowed) {
            bool found = false;
            for (size_t k = 0; !found && spec->allowed[k]; k++)
                found = strlen(spec->allowed[k]) == len &&
                        memcmp(spec->allowed[k], s, len) == 0;
            if (!found)
                return vl_record_fail(c, "unknown %s \"%s\"", spec->what, shown);
        }
        if (spec->ok && !spec->ok(s, len))
            return vl_record_fail(c, "\"%s\" is not %s", shown, spec->ok_what);
        for (size_t k = 0; k < i; k++) {
            const json_t *p = json_array_get(v, k);
            if (json_string_length(p) == len && memcmp(json_string_value(p), s, len) == 0)
                return vl_record_fail(c, "duplicate \"%s\"", shown);
        }
        vl_record_path_pop(c, old);
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
const char *const *
vl_record_functions(void)
{
    return s_functions;
}

const char *const *
vl_record_subjects(void)
{
    return s_subjects;
}

const char *const *
vl_record_legal_bases(void)
{
    return s_legal_bases;
}

static const char *const s_agr_types[] = { "bilateral", "regional", "multilateral", NULL };
static const char *const s_statuses[] = {
    "negotiated", "signed", "in_force", "suspended", "terminated", NULL
};

static int
s_ck_one_of(const json_t *v, vl_rec_ctx_t *c, const char *const *allowed, const char *what)
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
    vl_record_sanitize(shown, sizeof shown, s, len, 24);
    return vl_record_fail(c, "unknown %s \"%s\"", what, shown);
}

static int
s_ck_functions(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, s_functions, "function", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_legal_bases(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, s_legal_bases, "legal basis", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_channels(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, s_channels, "channel", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_subjects(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, s_subjects, "subject", NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_working_langs(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_LIST, NULL, NULL, vl_record_lang_valid,
                                   "a language code (2 or 3 lower-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_langs(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, vl_record_lang_valid,
                                   "a language code (2 or 3 lower-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_strings(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, NULL, NULL };
    return s_check_list(v, c, &spec);
}

static int
s_ck_treaties(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 0, VL_MAX_LIST, NULL, NULL, s_id_ok, "a record id" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_parties(const json_t *v, vl_rec_ctx_t *c)
{
    static const s_list_t spec = { 1, VL_MAX_STATES, NULL, NULL, vl_state_valid,
                                   "a State code (two upper-case letters)" };
    return s_check_list(v, c, &spec);
}

static int
s_ck_agr_type(const json_t *v, vl_rec_ctx_t *c)
{
    return s_ck_one_of(v, c, s_agr_types, "agreement type");
}

static int
s_ck_status(const json_t *v, vl_rec_ctx_t *c)
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
s_ck_contact(const json_t *v, vl_rec_ctx_t *c)
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
s_check_object_list(const json_t *v, vl_rec_ctx_t *c, const s_field_t *fields, size_t nfields)
{
    if (!json_is_array(v))
        return vl_record_fail(c, "must be an array");
    size_t n = json_array_size(v);
    if (n > VL_MAX_LIST)
        return vl_record_fail(c, "more than %u entries", VL_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        size_t old = vl_record_path_index(c, i);
        int rc = s_check_fields(json_array_get(v, i), c, fields, nfields);
        if (rc != VL_OK)
            return rc;
        vl_record_path_pop(c, old);
    }
    return VL_OK;
}

static int
s_ck_persons(const json_t *v, vl_rec_ctx_t *c)
{
    return s_check_object_list(v, c, s_person_fields, S_N(s_person_fields));
}

static const s_field_t s_date_fields[] = {
    { "signed",     false, s_ck_date },
    { "in_force",   false, s_ck_date },
    { "terminated", false, s_ck_date },
};

static int
s_ck_dates(const json_t *v, vl_rec_ctx_t *c)
{
    return s_check_fields(v, c, s_date_fields, S_N(s_date_fields));
}

static const s_field_t s_requirement_fields[] = {
    { "party", true, s_ck_state },
    { "text",  true, s_ck_text },
};

static int
s_ck_requirements(const json_t *v, vl_rec_ctx_t *c)
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
s_check_agreement_rules(const json_t *j, vl_rec_ctx_t *c)
{
    const json_t *parties = json_object_get(j, "parties");
    size_t np = json_array_size(parties);
    if (strcmp(json_string_value(json_object_get(j, "type")), "bilateral") == 0 && np != 2) {
        size_t old = vl_record_path_key(c, "parties", 7);
        int rc = vl_record_fail(c, "a bilateral agreement has exactly 2 parties, not %zu", np);
        vl_record_path_pop(c, old);
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
        size_t old = vl_record_path_key(c, "requirements", 12);
        vl_record_path_index(c, i);
        vl_record_path_key(c, "party", 5);
        int rc = member ? vl_record_fail(c, "a second entry for \"%s\"", party)
                        : vl_record_fail(c, "\"%s\" is not among the parties", party);
        vl_record_path_pop(c, old);
        return rc;
    }
    return VL_OK;
}

/* Both passes over a whole record. On success *kind_out is its kind. */
int
vl_record_validate(const json_t *j, char *err, vl_kind_t *kind_out)
{
    vl_rec_ctx_t c = { .len = 0, .err = err };
    c.path[0] = '\0';
    int rc = s_check_generic(j, &c, 0);
    if (rc != VL_OK)
        return rc;
    if (!json_is_object(j))
        return vl_record_fail(&c, "must be an object");
    const json_t *k = json_object_get(j, "kind");
    vl_record_path_key(&c, "kind", 4);
    if (!k)
        return vl_record_fail(&c, "required");
    rc = s_ck_string(k, &c);
    if (rc != VL_OK)
        return rc;
    vl_kind_t kind = vl_kind_parse(json_string_value(k));
    if (kind == VL_KIND_NONE) {
        char shown[64];
        vl_record_sanitize(shown, sizeof shown, json_string_value(k), json_string_length(k), 24);
        return vl_record_fail(&c, "unknown kind \"%s\"", shown);
    }
    vl_record_path_pop(&c, 0);
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
