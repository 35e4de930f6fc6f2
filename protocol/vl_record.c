/* SPDX-License-Identifier: MIT */
/*
 * vl_record - the record class: a record body (canonical msgpack) parsed and
 * checked by the schema of its kind (vl_record_schema.c), JSON in and out,
 * the search terms and text match over its JSON view, and the field-by-field
 * diff of two records.
 *
 * A body from JSON is the canonical msgpack of the checked JSON; a body from
 * a peer or the store is decoded by vl_codec, turned into JSON and checked by
 * the same code, so both paths give the same verdict and message.
 *
 * Thread safety: no global mutable state; records are not shared (the JSON
 * view of a stored body is built on first use).
 */
#include "vl_record.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_record_int.h"

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
/* JSON <-> body                                                            */
/* ======================================================================== */

/* Canonical msgpack of a JSON value: objects become maps in canonical key
 * order. Used after validation; also encodes null (as nil) so that the
 * self-test can build hostile bodies. */
int
vl_record_encode(vl_wr_t *w, const json_t *v, unsigned depth)
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
            int rc = vl_record_encode(w, json_array_get(v, i), depth + 1);
            if (rc != VL_OK)
                return rc;
        }
        return VL_OK;
    }
    case JSON_OBJECT: {
        if (json_object_size(v) > VL_MAX_CONTAINER)
            return VL_ELIMIT;
        vl_rec_member_t *m = NULL;
        size_t n = 0;
        int rc = vl_record_members(v, &m, &n);
        if (rc != VL_OK)
            return rc;
        vl_wr_map(w, (uint32_t)n);
        for (size_t i = 0; i < n && rc == VL_OK; i++) {
            vl_wr_str(w, m[i].key, m[i].klen);
            rc = vl_record_encode(w, m[i].val, depth + 1);
        }
        free(m);
        return rc;
    }
    }
    return VL_ESCHEMA;
}

/* Encode j (already valid, or anything in the self-test) into a new body. */
int
vl_record_encode_body(const json_t *j, uint8_t **body, size_t *len, char *err)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return vl_err(err, VL_ENOMEM, "out of memory");
    int rc = vl_record_encode(w, j, 0);
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
    int rc = vl_record_validate(j, err, NULL);
    if (rc != VL_OK)
        return rc;
    return vl_record_encode_body(j, body, len, err);
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
        vl_record_sanitize(shown, sizeof shown, je.text, strlen(je.text), 80);
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
s_from_val(vl_val_t v, vl_rec_ctx_t *c, unsigned depth, json_t **out)
{
    *out = NULL;
    if (depth > VL_MAX_DEPTH)
        return vl_record_fail(c, "nested too deeply");
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
            return vl_record_fail(c, "integer out of range");
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
        if (vl_val_str(v, &p, &n) != VL_OK || !vl_record_utf8_valid(p, n))
            return vl_err(c->err, VL_EPROTO, "%s: unreadable string", c->path);
        j = json_stringn(p, n);
        break;
    }
    case VL_T_BIN:
        return vl_record_fail(c, "binary data is not allowed");
    case VL_T_ARRAY: {
        uint32_t n = vl_val_len(v);
        j = json_array();
        for (uint32_t i = 0; j && i < n && rc == VL_OK; i++) {
            json_t *e = NULL;
            size_t old = vl_record_path_index(c, i);
            rc = s_from_val(vl_val_at(v, i), c, depth + 1, &e);
            vl_record_path_pop(c, old);
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
            if (vl_val_str(vl_val_key_at(v, i), &k, &kl) != VL_OK || !vl_record_utf8_valid(k, kl) ||
                memchr(k, '\0', kl)) {
                rc = vl_err(c->err, VL_EPROTO, "%s: unreadable field name", c->path);
                break;
            }
            json_t *e = NULL;
            size_t old = vl_record_path_key(c, k, kl);
            rc = s_from_val(vl_val_value_at(v, i), c, depth + 1, &e);
            vl_record_path_pop(c, old);
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
    vl_rec_ctx_t c = { .len = 0, .err = err };
    c.path[0] = '\0';
    rc = s_from_val(vl_doc_root(doc), &c, 0, &j);
    if (rc != VL_OK)
        goto out;
    rc = vl_record_validate(j, err, &kind);
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
        vl_rec_ctx_t c = { .len = 0, .err = NULL };
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

const json_t *
vl_record_json(const vl_record_t *self)
{
    assert(self);
    return s_json(self);
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
s_diff(json_t *out, vl_rec_ctx_t *c, const json_t *a, const json_t *b)
{
    if (a && b && json_equal((json_t *)a, (json_t *)b))
        return VL_OK;
    if (a && b && json_is_object(a) && json_is_object(b)) {
        vl_rec_member_t *ma = NULL, *mb = NULL;
        size_t na = 0, nb = 0;
        int rc = vl_record_members(a, &ma, &na);
        if (rc == VL_OK)
            rc = vl_record_members(b, &mb, &nb);
        size_t i = 0, k = 0;
        while (rc == VL_OK && (i < na || k < nb)) {
            int cmp = i == na ? 1 : k == nb ? -1
                                            : vl_record_keycmp(ma[i].key, ma[i].klen, mb[k].key,
                                                       mb[k].klen);
            const vl_rec_member_t *m = cmp <= 0 ? &ma[i] : &mb[k];
            size_t old = vl_record_path_key(c, m->key, m->klen);
            rc = s_diff(out, c, cmp <= 0 ? ma[i].val : NULL, cmp >= 0 ? mb[k].val : NULL);
            vl_record_path_pop(c, old);
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
            size_t old = vl_record_path_index(c, i);
            rc = s_diff(out, c, json_array_get(a, i), json_array_get(b, i));
            vl_record_path_pop(c, old);
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
    vl_rec_ctx_t c = { .len = 0, .err = NULL };
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
