/* SPDX-License-Identifier: MIT */
/*
 * vl_msg - typed, validated sync messages (docs/protocol.md §2): decoding
 * and the accessors of a decoded message. Encoding is vl_msg_encode.c.
 *
 * Decoding order: frame size, then vl_doc_parse (pre-validator, canonical
 * msgpack, nesting at most 2: the map and one array), then "v" and "t",
 * then the exact key set of the type, then every field. Counts are checked
 * against vl_limits.h before a loop walks them; nothing is allocated from a
 * peer number (arrays are read in place through the document).
 */
#include "vl_msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_codec.h"
#include "vl_msg_int.h"

/* Structure of our class */
struct vl_msg {
    vl_msg_type_t type;     /* which of the union below is set */
    vl_doc_t *doc;          /* the decoded frame; items are views into it */
    vl_hello_t hello;       /* hello */
    uint64_t from;          /* get, entries */
    uint64_t max;           /* get */
    uint64_t seq;           /* entries */
    vl_val_t list;          /* entries "e", have "ids", props "p", policies "p" */
    vl_val_t list2;         /* props "r" */
    const uint8_t *item[2]; /* fresh "s"; evidence "a", "b" (views into doc) */
    size_t item_len[2];
    int code;               /* error */
    char text[VL_MSG_ERRTEXT_MAX + 1]; /* error, NUL-terminated */
};

/* Deepest nesting of any message: the top map holding one array of bins. */
#define S_DEPTH 2u

static const char *const s_names[] = {
    [VL_MSG_HELLO] = "hello", [VL_MSG_GET] = "get",   [VL_MSG_ENTRIES] = "entries",
    [VL_MSG_HAVE] = "have",   [VL_MSG_PROPS] = "props", [VL_MSG_ERROR] = "error",
    [VL_MSG_POLICIES] = "policies", [VL_MSG_FRESH] = "fresh",
    [VL_MSG_EVIDENCE] = "evidence",
};

/* Exact key sets (all required, nothing optional). */
static const char *const s_keys_hello[] = { "ev", "fi", "head", "net", "pd", "pn",
                                            "policy", "pv", "seq", "t", "v", NULL };
static const char *const s_keys_get[] = { "from", "max", "t", "v", NULL };
static const char *const s_keys_entries[] = { "e", "from", "seq", "t", "v", NULL };
static const char *const s_keys_have[] = { "ids", "t", "v", NULL };
static const char *const s_keys_props[] = { "p", "r", "t", "v", NULL };
static const char *const s_keys_error[] = { "code", "msg", "t", "v", NULL };
static const char *const s_keys_policies[] = { "p", "t", "v", NULL };
static const char *const s_keys_fresh[] = { "s", "t", "v", NULL };
static const char *const s_keys_evidence[] = { "a", "b", "t", "v", NULL };


void
vl_msg_destroy(vl_msg_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_msg_t *self = *self_p;
        vl_doc_destroy(&self->doc);
        free(self);
        *self_p = NULL;
    }
}

const char *
vl_msg_type_name(vl_msg_type_t type)
{
    if (type >= VL_MSG_HELLO && type <= VL_MSG_EVIDENCE)
        return s_names[type];
    return "?";
}

/* ---- decoding ------------------------------------------------------------------ */

static int
s_uint(vl_val_t map, const char *key, const char *what, uint64_t *out, char *err)
{
    if (vl_val_uint(vl_val_get(map, key), out) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s: \"%s\" is not a uint", what, key);
    return VL_OK;
}

static int
s_bin_exact(vl_val_t map, const char *key, const char *what, void *out, size_t len,
            char *err)
{
    if (vl_val_bin_exact(vl_val_get(map, key), out, len) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s: \"%s\" is not a bin of %zu bytes", what, key,
                      len);
    return VL_OK;
}

/* An array of bins: count <= max_n, each 1..max_item bytes, total <= *budget
 * (decremented). */
static int
s_bin_list(vl_val_t map, const char *key, const char *what, uint32_t max_n,
           size_t max_item, size_t *budget, vl_val_t *out, char *err)
{
    vl_val_t arr = vl_val_get(map, key);
    if (vl_val_type(arr) != VL_T_ARRAY)
        return vl_err(err, VL_EPROTO, "%s: \"%s\" is not an array", what, key);
    uint32_t n = vl_val_len(arr);
    if (n > max_n)
        return vl_err(err, VL_ELIMIT, "%s: %u items in \"%s\", limit %u", what, n, key,
                      max_n);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p;
        size_t len;
        if (vl_val_bin(vl_val_at(arr, i), &p, &len) != VL_OK)
            return vl_err(err, VL_EPROTO, "%s: %s[%u] is not a bin", what, key, i);
        if (len == 0)
            return vl_err(err, VL_EPROTO, "%s: %s[%u] is empty", what, key, i);
        if (len > max_item)
            return vl_err(err, VL_ELIMIT, "%s: %s[%u] has %zu bytes, limit %zu", what, key,
                          i, len, max_item);
        if (len > *budget)
            return vl_err(err, VL_ELIMIT, "%s: more than %u bytes of items", what,
                          VL_SYNC_BYTES);
        *budget -= len;
    }
    *out = arr;
    return VL_OK;
}

static int
s_decode_hello(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    vl_hello_t *h = &m->hello;
    if ((rc = s_bin_exact(root, "net", "hello", h->net, VL_NETID_LEN, err)) != VL_OK ||
        (rc = s_bin_exact(root, "policy", "hello", h->policy, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_uint(root, "seq", "hello", &h->seq, err)) != VL_OK ||
        (rc = s_bin_exact(root, "head", "hello", h->head, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_uint(root, "pn", "hello", &h->pn, err)) != VL_OK ||
        (rc = s_bin_exact(root, "pd", "hello", h->pd, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_uint(root, "pv", "hello", &h->pv, err)) != VL_OK ||
        (rc = s_uint(root, "fi", "hello", &h->fi, err)) != VL_OK ||
        (rc = s_uint(root, "ev", "hello", &h->ev, err)) != VL_OK)
        return rc;
    if (h->pv == 0)
        return vl_err(err, VL_EPROTO, "hello: \"pv\" is 0 (policy versions start at 1)");
    return VL_OK;
}

static int
s_decode_get(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    if ((rc = s_uint(root, "from", "get", &m->from, err)) != VL_OK ||
        (rc = s_uint(root, "max", "get", &m->max, err)) != VL_OK)
        return rc;
    if (m->from == 0)
        return vl_err(err, VL_EPROTO, "get: \"from\" is 0 (entries start at 1)");
    if (m->max == 0)
        return vl_err(err, VL_EPROTO, "get: \"max\" is 0");
    if (m->max > VL_SYNC_BATCH)
        return vl_err(err, VL_ELIMIT, "get: \"max\" %llu exceeds the limit of %u",
                      (unsigned long long)m->max, VL_SYNC_BATCH);
    return VL_OK;
}

static int
s_decode_entries(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    size_t budget = VL_SYNC_BYTES;
    if ((rc = s_uint(root, "from", "entries", &m->from, err)) != VL_OK ||
        (rc = s_uint(root, "seq", "entries", &m->seq, err)) != VL_OK ||
        (rc = s_bin_list(root, "e", "entries", VL_SYNC_BATCH, VL_MAX_ENTRY, &budget,
                         &m->list, err)) != VL_OK)
        return rc;
    if (m->from == 0)
        return vl_err(err, VL_EPROTO, "entries: \"from\" is 0 (entries start at 1)");
    uint32_t n = vl_val_len(m->list);
    /* The last entry sent, from + n - 1, cannot be past the sender's head;
     * written so that nothing overflows. */
    if (n > 0 && (m->from > m->seq || (uint64_t)(n - 1) > m->seq - m->from))
        return vl_err(err, VL_EPROTO, "entries: %u entries from %llu exceed the head %llu",
                      n, (unsigned long long)m->from, (unsigned long long)m->seq);
    return VL_OK;
}

static int
s_decode_have(vl_msg_t *m, vl_val_t root, char *err)
{
    vl_val_t arr = vl_val_get(root, "ids");
    if (vl_val_type(arr) != VL_T_ARRAY)
        return vl_err(err, VL_EPROTO, "have: \"ids\" is not an array");
    uint32_t n = vl_val_len(arr);
    if (n > VL_MAX_PENDING)
        return vl_err(err, VL_ELIMIT, "have: %u ids, limit %u", n, VL_MAX_PENDING);
    const uint8_t *prev = NULL;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p;
        size_t len;
        if (vl_val_bin(vl_val_at(arr, i), &p, &len) != VL_OK || len != VL_HASH_LEN)
            return vl_err(err, VL_EPROTO, "have: ids[%u] is not a bin of %u bytes", i,
                          VL_HASH_LEN);
        if (prev && memcmp(prev, p, VL_HASH_LEN) >= 0)
            return vl_err(err, VL_EPROTO, "have: ids are not strictly increasing at %u", i);
        prev = p;
    }
    m->list = arr;
    return VL_OK;
}

static int
s_decode_props(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    size_t budget = VL_SYNC_BYTES;
    if ((rc = s_bin_list(root, "p", "props", VL_MAX_PENDING, VL_MSG_OBJECT_MAX, &budget,
                         &m->list, err)) != VL_OK ||
        (rc = s_bin_list(root, "r", "props", VL_MAX_PENDING, VL_MSG_OBJECT_MAX, &budget,
                         &m->list2, err)) != VL_OK)
        return rc;
    return VL_OK;
}

static int
s_decode_policies(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    size_t budget = VL_SYNC_BYTES;
    if ((rc = s_bin_list(root, "p", "policies", VL_MAX_POLICY_PUSH, VL_MAX_POLICY, &budget,
                         &m->list, err)) != VL_OK)
        return rc;
    if (vl_val_len(m->list) == 0)
        return vl_err(err, VL_EPROTO, "policies: \"p\" is empty");
    return VL_OK;
}

/* One bin of 1..max bytes into m->item[i]. */
static int
s_bin_item(vl_msg_t *m, int i, vl_val_t root, const char *key, const char *what,
           size_t max, char *err)
{
    const uint8_t *p;
    size_t len;
    if (vl_val_bin(vl_val_get(root, key), &p, &len) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s: \"%s\" is not a bin", what, key);
    if (len == 0)
        return vl_err(err, VL_EPROTO, "%s: \"%s\" is empty", what, key);
    if (len > max)
        return vl_err(err, VL_ELIMIT, "%s: \"%s\" has %zu bytes, limit %zu", what, key, len,
                      max);
    m->item[i] = p;
    m->item_len[i] = len;
    return VL_OK;
}

static int
s_decode_fresh(vl_msg_t *m, vl_val_t root, char *err)
{
    return s_bin_item(m, 0, root, "s", "fresh", VL_FRESH_MAX, err);
}

static int
s_decode_evidence(vl_msg_t *m, vl_val_t root, char *err)
{
    int rc;
    if ((rc = s_bin_item(m, 0, root, "a", "evidence", VL_MAX_ENTRY, err)) != VL_OK ||
        (rc = s_bin_item(m, 1, root, "b", "evidence", VL_MAX_ENTRY, err)) != VL_OK)
        return rc;
    return VL_OK;
}

static int
s_decode_error(vl_msg_t *m, vl_val_t root, char *err)
{
    int64_t code;
    uint64_t ucode;
    vl_val_t c = vl_val_get(root, "code");
    if (vl_val_type(c) == VL_T_UINT) {
        if (vl_val_uint(c, &ucode) != VL_OK || ucode > (uint64_t)VL_MSG_CODE_MAX)
            return vl_err(err, VL_EPROTO, "error: \"code\" out of range");
        code = (int64_t)ucode;
    } else if (vl_val_int(c, &code) != VL_OK) {
        return vl_err(err, VL_EPROTO, "error: \"code\" is not an int");
    }
    if (code < VL_MSG_CODE_MIN || code > VL_MSG_CODE_MAX)
        return vl_err(err, VL_EPROTO, "error: \"code\" out of range");
    const char *s;
    size_t len;
    if (vl_val_str(vl_val_get(root, "msg"), &s, &len) != VL_OK)
        return vl_err(err, VL_EPROTO, "error: \"msg\" is not a str");
    if (len > VL_MSG_ERRTEXT_MAX)
        return vl_err(err, VL_ELIMIT, "error: \"msg\" of %zu bytes, limit %u", len,
                      VL_MSG_ERRTEXT_MAX);
    m->code = (int)code;
    memcpy(m->text, s, len);   /* the codec checked UTF-8 without NUL */
    m->text[len] = '\0';
    return VL_OK;
}

int
vl_msg_decode(const uint8_t *buf, size_t len, vl_msg_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_msg_t *m = NULL;
    assert(out);
    *out = NULL;
    assert(buf || len == 0);

    if (len > VL_MAX_FRAME) {
        rc = vl_err(err, VL_ELIMIT, "frame of %zu bytes exceeds the limit of %u", len,
                    VL_MAX_FRAME);
        goto out;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    rc = vl_doc_parse(buf, len, S_DEPTH, &m->doc, err);
    if (rc != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(m->doc);
    if (vl_val_type(root) != VL_T_MAP) {
        rc = vl_err(err, VL_EPROTO, "message is not a map");
        goto out;
    }
    /* Version first: a peer speaking another version is told so, whatever
     * the rest of its message looks like. */
    uint64_t v;
    vl_val_t vv = vl_val_get(root, "v");
    if (vl_val_uint(vv, &v) != VL_OK) {
        rc = vl_err(err, VL_EPROTO, "message has no uint \"v\" (protocol version)");
        goto out;
    }
    if (v != VL_PROTO_VERSION) {
        rc = vl_err(err, VL_EPROTO, "protocol version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    vl_val_t t = vl_val_get(root, "t");
    const char *const *keys = NULL;
    if (vl_val_streq(t, "hello")) {
        m->type = VL_MSG_HELLO;
        keys = s_keys_hello;
    } else if (vl_val_streq(t, "get")) {
        m->type = VL_MSG_GET;
        keys = s_keys_get;
    } else if (vl_val_streq(t, "entries")) {
        m->type = VL_MSG_ENTRIES;
        keys = s_keys_entries;
    } else if (vl_val_streq(t, "have")) {
        m->type = VL_MSG_HAVE;
        keys = s_keys_have;
    } else if (vl_val_streq(t, "props")) {
        m->type = VL_MSG_PROPS;
        keys = s_keys_props;
    } else if (vl_val_streq(t, "error")) {
        m->type = VL_MSG_ERROR;
        keys = s_keys_error;
    } else if (vl_val_streq(t, "policies")) {
        m->type = VL_MSG_POLICIES;
        keys = s_keys_policies;
    } else if (vl_val_streq(t, "fresh")) {
        m->type = VL_MSG_FRESH;
        keys = s_keys_fresh;
    } else if (vl_val_streq(t, "evidence")) {
        m->type = VL_MSG_EVIDENCE;
        keys = s_keys_evidence;
    } else {
        rc = vl_err(err, VL_EPROTO, vl_val_type(t) == VL_T_STR
                                        ? "unknown message type"
                                        : "message has no str \"t\" (message type)");
        goto out;
    }
    rc = vl_val_map_keys(root, keys, NULL, s_names[m->type], err);
    if (rc != VL_OK)
        goto out;
    switch (m->type) {
    case VL_MSG_HELLO:   rc = s_decode_hello(m, root, err); break;
    case VL_MSG_GET:     rc = s_decode_get(m, root, err); break;
    case VL_MSG_ENTRIES: rc = s_decode_entries(m, root, err); break;
    case VL_MSG_HAVE:    rc = s_decode_have(m, root, err); break;
    case VL_MSG_PROPS:   rc = s_decode_props(m, root, err); break;
    case VL_MSG_ERROR:   rc = s_decode_error(m, root, err); break;
    case VL_MSG_POLICIES: rc = s_decode_policies(m, root, err); break;
    case VL_MSG_FRESH:   rc = s_decode_fresh(m, root, err); break;
    case VL_MSG_EVIDENCE: rc = s_decode_evidence(m, root, err); break;
    }
    if (rc != VL_OK)
        goto out;
    *out = m;
    m = NULL;
    rc = VL_OK;
out:
    vl_msg_destroy(&m);
    return rc;
}

vl_msg_type_t
vl_msg_type(const vl_msg_t *self)
{
    assert(self);
    return self->type;
}

const vl_hello_t *
vl_msg_hello(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_HELLO ? &self->hello : NULL;
}

uint64_t
vl_msg_get_from(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_GET ? self->from : 0;
}

uint64_t
vl_msg_get_max(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_GET ? self->max : 0;
}

uint64_t
vl_msg_entries_from(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_ENTRIES ? self->from : 0;
}

uint64_t
vl_msg_entries_seq(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_ENTRIES ? self->seq : 0;
}

size_t
vl_msg_entries_count(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_ENTRIES ? vl_val_len(self->list) : 0;
}

static const uint8_t *
s_item(vl_val_t list, size_t i, size_t *len)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    if (i >= vl_val_len(list) || vl_val_bin(vl_val_at(list, (uint32_t)i), &p, &n) != VL_OK) {
        p = NULL;
        n = 0;
    }
    if (len)
        *len = n;
    return p;
}

const uint8_t *
vl_msg_entry(const vl_msg_t *self, size_t i, size_t *len)
{
    assert(self);
    if (self->type != VL_MSG_ENTRIES) {
        if (len)
            *len = 0;
        return NULL;
    }
    return s_item(self->list, i, len);
}

size_t
vl_msg_have_count(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_HAVE ? vl_val_len(self->list) : 0;
}

const uint8_t *
vl_msg_have_id(const vl_msg_t *self, size_t i)
{
    assert(self);
    return self->type == VL_MSG_HAVE ? s_item(self->list, i, NULL) : NULL;
}

size_t
vl_msg_props_count(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_PROPS ? vl_val_len(self->list) : 0;
}

const uint8_t *
vl_msg_prop(const vl_msg_t *self, size_t i, size_t *len)
{
    assert(self);
    if (self->type != VL_MSG_PROPS) {
        if (len)
            *len = 0;
        return NULL;
    }
    return s_item(self->list, i, len);
}

size_t
vl_msg_rejections_count(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_PROPS ? vl_val_len(self->list2) : 0;
}

const uint8_t *
vl_msg_rejection(const vl_msg_t *self, size_t i, size_t *len)
{
    assert(self);
    if (self->type != VL_MSG_PROPS) {
        if (len)
            *len = 0;
        return NULL;
    }
    return s_item(self->list2, i, len);
}

int
vl_msg_error_code(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_ERROR ? self->code : 0;
}

const char *
vl_msg_error_text(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_ERROR ? self->text : NULL;
}

size_t
vl_msg_policies_count(const vl_msg_t *self)
{
    assert(self);
    return self->type == VL_MSG_POLICIES ? vl_val_len(self->list) : 0;
}

const uint8_t *
vl_msg_policy(const vl_msg_t *self, size_t i, size_t *len)
{
    assert(self);
    if (self->type != VL_MSG_POLICIES) {
        if (len)
            *len = 0;
        return NULL;
    }
    return s_item(self->list, i, len);
}

const uint8_t *
vl_msg_fresh(const vl_msg_t *self, size_t *len)
{
    assert(self);
    bool ok = self->type == VL_MSG_FRESH;
    if (len)
        *len = ok ? self->item_len[0] : 0;
    return ok ? self->item[0] : NULL;
}

const uint8_t *
vl_msg_evidence(const vl_msg_t *self, int which, size_t *len)
{
    assert(self);
    bool ok = self->type == VL_MSG_EVIDENCE && (which == 0 || which == 1);
    if (len)
        *len = ok ? self->item_len[which] : 0;
    return ok ? self->item[which] : NULL;
}
