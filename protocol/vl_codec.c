/* SPDX-License-Identifier: MIT */
/*
 * vl_codec - canonical msgpack: the only file in valise that includes
 * <msgpack.h>. Every byte from a peer, a file, the store or a user is decoded
 * here before any other code sees it. docs/canonical-msgpack.md is the full
 * specification; this comment is the summary the code is checked against.
 *
 * Canonical form, byte-wise (what msgpack-c 4.0.0's packer emits, checked by
 * experiment and pinned by the golden vectors in vl_codec_test):
 *   - only nil c0, false c2, true c3, int, str, bin, array and map; never
 *     float (ca cb), ext (c7 c8 c9 d4..d8) or the unused byte c1;
 *   - a non-negative int is always in the uint family, shortest form:
 *     00..7f fixint, cc (<2^8), cd (<2^16), ce (<2^32), cf;
 *   - a negative int is in the int family, shortest form: e0..ff fixint
 *     (>= -32), d0 (>= -2^7), d1 (>= -2^15), d2 (>= -2^31), d3;
 *   - str: a0..bf fixstr for 0..31 bytes, d9 str8 for 32..255, da str16 up to
 *     65535, db str32 (the packer never skips str8, so "d9 01 61" is not "a");
 *   - bin: c4 bin8 for 0..255 bytes (also for 0: "c4 00"), c5, c6; there is
 *     no fixbin;
 *   - array: 90..9f for 0..15 elements, dc array16, dd array32; map: 80..8f,
 *     de, df (the same thresholds);
 *   - map keys are str, strictly increasing bytewise: memcmp on the common
 *     prefix, then the shorter key first ("a" < "ab" < "b"); so no duplicates;
 *   - str is valid UTF-8 (no overlong forms, no surrogates, nothing above
 *     U+10FFFF) and contains no NUL.
 * Shortest form for every header is enforced by re-encoding the decoded tree
 * with msgpack_pack_object() and comparing with the input; the comparison
 * streams (the packer's write callback compares each chunk with the input at
 * the current offset) so it allocates nothing and stops at the first
 * difference, which is the same check as packing into a buffer and calling
 * memcmp once.
 *
 * Why a pre-validator: msgpack-c's unpacker allocates ~24-32 bytes per
 * declared array/map element before it has seen any of them (msgpack-c
 * #1013: "dd ff ff ff ff" asks for 128 GiB), and has no limit in its C API.
 * s_prevalidate() walks the bytes first with a fixed-size stack, so after it
 * passes the object count is at most the input length and msgpack-c
 * allocates O(input).
 *
 * Depth: scalars have depth 0, a container 1 + the deepest of its elements
 * (an empty container has depth 1). A document may be max_depth deep.
 *
 * Thread safety: a vl_wr_t or vl_doc_t is used by one thread at a time;
 * distinct objects are independent. The module has no global state.
 */
#include "vl_codec.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>


/* ======================================================================== */
/* Writer                                                                   */
/* ======================================================================== */

/* Structure of our class */
struct vl_wr {
    uint8_t       *data;   /* cap bytes, the first len encoded; may hold
                              plaintext bodies, so wiped before free/reuse */
    size_t         len;    /* bytes written, never above VL_MAX_DOC */
    size_t         cap;    /* bytes allocated */
    int            status; /* VL_OK or the first error (sticky) */
    msgpack_packer pk;     /* packs through s_wr_write into data */
};

#define VL_WR_INITIAL 256u

/* msgpack_packer callback. We grow by hand instead of using msgpack_sbuffer
 * because sbuffer grows with realloc(), which would leave copies of the
 * plaintext in freed heap memory; here the old block is wiped first. */
static int
s_wr_write(void *ctx, const char *buf, size_t n)
{
    vl_wr_t *self = ctx;
    if (self->status != VL_OK)
        return -1;
    if (n == 0)
        return 0;
    if (n > VL_MAX_DOC - self->len) {
        self->status = VL_ELIMIT;
        return -1;
    }
    if (n > self->cap - self->len) {
        size_t need = self->len + n;
        size_t cap = self->cap ? self->cap : VL_WR_INITIAL;
        while (cap < need)
            cap *= 2;
        if (cap > VL_MAX_DOC)
            cap = VL_MAX_DOC;
        uint8_t *data = malloc(cap);
        if (!data) {
            self->status = VL_ENOMEM;
            return -1;
        }
        if (self->len)
            memcpy(data, self->data, self->len);
        if (self->data) {
            sodium_memzero(self->data, self->len);
            free(self->data);
        }
        self->data = data;
        self->cap = cap;
    }
    memcpy(self->data + self->len, buf, n);
    self->len += n;
    return 0;
}

vl_wr_t *
vl_wr_new(void)
{
    vl_wr_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->data = malloc(VL_WR_INITIAL);
    if (!self->data) {
        free(self);
        return NULL;
    }
    self->cap = VL_WR_INITIAL;
    self->status = VL_OK;
    msgpack_packer_init(&self->pk, self, s_wr_write);
    return self;
}

void
vl_wr_destroy(vl_wr_t **self_p)
{
    assert(self_p);
    vl_wr_t *self = *self_p;
    if (!self)
        return;
    if (self->data) {
        sodium_memzero(self->data, self->len);
        free(self->data);
    }
    sodium_memzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

void
vl_wr_reset(vl_wr_t *self)
{
    assert(self);
    if (self->data)
        sodium_memzero(self->data, self->len);
    self->len = 0;
    self->status = VL_OK;
}

void
vl_wr_map(vl_wr_t *self, uint32_t n)
{
    assert(self);
    if (self->status == VL_OK)
        msgpack_pack_map(&self->pk, n);
}

void
vl_wr_array(vl_wr_t *self, uint32_t n)
{
    assert(self);
    if (self->status == VL_OK)
        msgpack_pack_array(&self->pk, n);
}

void
vl_wr_str(vl_wr_t *self, const char *s, size_t len)
{
    assert(self);
    assert(s || len == 0);
    if (self->status != VL_OK)
        return;
    /* msgpack-c would truncate a length >= 2^32 into the header. */
    if (len > VL_MAX_DOC) {
        self->status = VL_ELIMIT;
        return;
    }
    msgpack_pack_str(&self->pk, len);
    msgpack_pack_str_body(&self->pk, s, len);
}

void
vl_wr_cstr(vl_wr_t *self, const char *s)
{
    assert(s);
    vl_wr_str(self, s, strlen(s));
}

void
vl_wr_bin(vl_wr_t *self, const void *p, size_t len)
{
    assert(self);
    assert(p || len == 0);
    if (self->status != VL_OK)
        return;
    if (len > VL_MAX_DOC) {
        self->status = VL_ELIMIT;
        return;
    }
    msgpack_pack_bin(&self->pk, len);
    msgpack_pack_bin_body(&self->pk, p, len);
}

void
vl_wr_uint(vl_wr_t *self, uint64_t v)
{
    assert(self);
    if (self->status == VL_OK)
        msgpack_pack_uint64(&self->pk, v);
}

void
vl_wr_int(vl_wr_t *self, int64_t v)
{
    assert(self);
    if (self->status != VL_OK)
        return;
    if (v >= 0)
        msgpack_pack_uint64(&self->pk, (uint64_t)v);
    else
        msgpack_pack_int64(&self->pk, v);
}

void
vl_wr_bool(vl_wr_t *self, bool v)
{
    assert(self);
    if (self->status != VL_OK)
        return;
    if (v)
        msgpack_pack_true(&self->pk);
    else
        msgpack_pack_false(&self->pk);
}

void
vl_wr_nil(vl_wr_t *self)
{
    assert(self);
    if (self->status == VL_OK)
        msgpack_pack_nil(&self->pk);
}

void
vl_wr_raw(vl_wr_t *self, const void *p, size_t len)
{
    assert(self);
    assert(p || len == 0);
    if (self->status == VL_OK)
        s_wr_write(self, p, len);
}

int
vl_wr_status(const vl_wr_t *self)
{
    assert(self);
    return self->status;
}

const uint8_t *
vl_wr_data(const vl_wr_t *self)
{
    assert(self);
    return self->data;
}

size_t
vl_wr_len(const vl_wr_t *self)
{
    assert(self);
    return self->len;
}

int
vl_wr_dup(const vl_wr_t *self, uint8_t **out, size_t *out_len)
{
    assert(self);
    assert(out && out_len);
    *out = NULL;
    *out_len = 0;
    if (self->status != VL_OK)
        return self->status;
    uint8_t *copy = malloc(self->len ? self->len : 1);
    if (!copy)
        return VL_ENOMEM;
    if (self->len)
        memcpy(copy, self->data, self->len);
    *out = copy;
    *out_len = self->len;
    return VL_OK;
}

/* ======================================================================== */
/* Reader                                                                   */
/* ======================================================================== */

/* Structure of our class */
struct vl_doc {
    uint8_t          *bytes; /* our copy of the input; msgpack-c's str/bin
                                pointers point into it; wiped on destroy */
    size_t            len;   /* its length */
    msgpack_unpacked  unp;   /* owns the zone holding the object tree;
                                unp.data is the root */
};

/* What a header byte introduces. */
enum { S_SCALAR, S_BYTES, S_ARRAY, S_MAP };

/* Steps 1 and 2: size cap and the allocation-free pre-validator. Iterative:
 * left[d] counts the values still owed to the open container at level d
 * (level 0 is the document itself, owed one value). */
static int
s_prevalidate(const uint8_t *buf, size_t len, unsigned max_depth, char *err)
{
    uint64_t left[VL_MAX_DEPTH + 1];
    unsigned top = 0;
    size_t pos = 0;

    assert(buf || len == 0);
    if (max_depth == 0)
        max_depth = VL_MAX_DEPTH;
    assert(max_depth <= VL_MAX_DEPTH);

    if (len > VL_MAX_DOC)
        return vl_err(err, VL_ELIMIT,
                      "msgpack: document of %zu bytes exceeds the limit of %u",
                      len, VL_MAX_DOC);
    left[0] = 1;
    for (;;) {
        while (left[top] == 0) {
            if (top == 0)
                goto done;
            top--;
        }
        left[top]--;

        size_t at = pos;
        if (pos >= len)
            return vl_err(err, VL_EPROTO, "msgpack: truncated at byte %zu", at);
        uint8_t b = buf[pos++];
        int kind = S_SCALAR;
        size_t extra = 0;   /* big-endian length/count/value bytes after b */
        uint64_t n = 0;     /* str/bin length or array/map count */

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            kind = S_SCALAR;
        } else if (b <= 0x8f) {
            kind = S_MAP;
            n = b & 0x0f;
        } else if (b <= 0x9f) {
            kind = S_ARRAY;
            n = b & 0x0f;
        } else if (b <= 0xbf) {
            kind = S_BYTES;
            n = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4: case 0xd9: kind = S_BYTES; extra = 1; break;
            case 0xc5: case 0xda: kind = S_BYTES; extra = 2; break;
            case 0xc6: case 0xdb: kind = S_BYTES; extra = 4; break;
            case 0xcc: case 0xd0: extra = 1; break;
            case 0xcd: case 0xd1: extra = 2; break;
            case 0xce: case 0xd2: extra = 4; break;
            case 0xcf: case 0xd3: extra = 8; break;
            case 0xdc: kind = S_ARRAY; extra = 2; break;
            case 0xdd: kind = S_ARRAY; extra = 4; break;
            case 0xde: kind = S_MAP; extra = 2; break;
            case 0xdf: kind = S_MAP; extra = 4; break;
            case 0xc1:
                return vl_err(err, VL_EPROTO,
                              "msgpack: invalid byte 0xc1 at byte %zu", at);
            case 0xca: case 0xcb:
                return vl_err(err, VL_EPROTO,
                              "msgpack: float at byte %zu is not allowed", at);
            default: /* c7 c8 c9 d4..d8 */
                return vl_err(err, VL_EPROTO,
                              "msgpack: ext at byte %zu is not allowed", at);
            }
        }
        if (extra > len - pos)
            return vl_err(err, VL_EPROTO, "msgpack: truncated at byte %zu", at);
        if (kind != S_SCALAR)
            for (size_t i = 0; i < extra; i++)
                n = (n << 8) | buf[pos + i];
        pos += extra;

        size_t avail = len - pos;
        if (kind == S_BYTES) {
            if (n > avail)
                return vl_err(err, VL_EPROTO,
                              "msgpack: truncated at byte %zu (%llu bytes "
                              "declared, %zu left)", at,
                              (unsigned long long)n, avail);
            pos += (size_t)n;
        } else if (kind == S_ARRAY || kind == S_MAP) {
            const char *what = kind == S_MAP ? "map" : "array";
            if (n > VL_MAX_CONTAINER)
                return vl_err(err, VL_ELIMIT,
                              "msgpack: %s of %llu elements at byte %zu "
                              "exceeds the limit of %u", what,
                              (unsigned long long)n, at, VL_MAX_CONTAINER);
            /* Every element takes at least one byte; this is what bounds
             * msgpack-c's up-front allocation by the input length. */
            uint64_t values = kind == S_MAP ? 2 * n : n;
            if (values > avail)
                return vl_err(err, VL_EPROTO,
                              "msgpack: truncated at byte %zu (%s of %llu "
                              "elements, %zu bytes left)", at, what,
                              (unsigned long long)n, avail);
            if (top == max_depth)
                return vl_err(err, VL_ELIMIT,
                              "msgpack: nesting deeper than %u at byte %zu",
                              max_depth, at);
            left[++top] = values;
        }
    }
done:
    if (pos != len)
        return vl_err(err, VL_EPROTO,
                      "msgpack: trailing bytes after the value (%zu of %zu "
                      "bytes used)", pos, len);
    return VL_OK;
}

int
vl_codec_prevalidate(const uint8_t *buf, size_t len, unsigned max_depth)
{
    return s_prevalidate(buf, len, max_depth, NULL);
}

/* Bytewise order of map keys: memcmp on the common prefix, then shorter
 * first. */
static int
s_keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

/* Offset of p inside the document, for messages. */
static size_t
s_off(const vl_doc_t *doc, const char *p)
{
    return p ? (size_t)((const uint8_t *)p - doc->bytes) : 0;
}

/* Strict UTF-8 (RFC 3629): the second byte ranges exclude overlong forms
 * (c0 c1 e0-80..9f f0-80..8f), surrogates (ed a0..bf) and code points above
 * U+10FFFF (f4 90.., f5..ff). NUL is valid UTF-8 but refused (s_check_str).
 * Returns the offset of the first bad sequence or len if all is well. */
static size_t
s_utf8_bad(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return i;
        }
        if (need > len - i - 1)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        i += need + 1;
    }
    return len;
}

static int
s_check_str(const vl_doc_t *doc, const msgpack_object *o, char *err)
{
    const char *p = o->via.str.ptr;
    size_t n = o->via.str.size;
    if (n > VL_MAX_STR)
        return vl_err(err, VL_ELIMIT,
                      "msgpack: str of %zu bytes at byte %zu exceeds the "
                      "limit of %u", n, s_off(doc, p), VL_MAX_STR);
    if (n == 0)
        return VL_OK;
    size_t bad = s_utf8_bad((const uint8_t *)p, n);
    if (bad != n)
        return vl_err(err, VL_EPROTO, "msgpack: invalid UTF-8 in str at byte %zu",
                      s_off(doc, p) + bad);
    const char *nul = memchr(p, '\0', n);
    if (nul)
        return vl_err(err, VL_EPROTO, "msgpack: NUL byte in str at byte %zu",
                      s_off(doc, nul));
    return VL_OK;
}

/* Step 4. Recursion is bounded by the depth the pre-validator enforced. */
static int
s_check_value(const vl_doc_t *doc, const msgpack_object *o, char *err)
{
    int rc;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_BOOLEAN:
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    case MSGPACK_OBJECT_BIN:
        return VL_OK;
    case MSGPACK_OBJECT_STR:
        return s_check_str(doc, o, err);
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if ((rc = s_check_value(doc, &o->via.array.ptr[i], err)) != VL_OK)
                return rc;
        return VL_OK;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                return vl_err(err, VL_EPROTO,
                              "msgpack: map key #%u is not a str", i);
            if ((rc = s_check_str(doc, k, err)) != VL_OK)
                return rc;
            if (i > 0) {
                const msgpack_object *pk = &o->via.map.ptr[i - 1].key;
                int c = s_keycmp(pk->via.str.ptr, pk->via.str.size,
                                 k->via.str.ptr, k->via.str.size);
                if (c == 0)
                    return vl_err(err, VL_EPROTO,
                                  "msgpack: duplicate map key at byte %zu",
                                  s_off(doc, k->via.str.ptr));
                if (c > 0)
                    return vl_err(err, VL_EPROTO,
                                  "msgpack: map keys not in canonical order "
                                  "at byte %zu", s_off(doc, k->via.str.ptr));
            }
            if ((rc = s_check_value(doc, &o->via.map.ptr[i].val, err)) != VL_OK)
                return rc;
        }
        return VL_OK;
    default:
        /* float and ext never get past the pre-validator */
        return vl_err(err, VL_EPROTO, "msgpack: forbidden type %d",
                      (int)o->type);
    }
}

/* Step 5: msgpack_pack_object() writes the canonical encoding of the tree
 * through this callback, which compares it with the input as it goes. */
typedef struct {
    const uint8_t *want; /* the input */
    size_t len;          /* its length */
    size_t off;          /* bytes matched so far */
    bool differs;        /* a chunk did not match */
} s_cmp_t;

static int
s_cmp_write(void *ctx, const char *buf, size_t n)
{
    s_cmp_t *c = ctx;
    if (c->differs)
        return -1;
    if (n == 0)
        return 0;
    if (n > c->len - c->off || memcmp(c->want + c->off, buf, n) != 0) {
        c->differs = true;
        return -1;
    }
    c->off += n;
    return 0;
}

int
vl_doc_parse(const uint8_t *buf, size_t len, unsigned max_depth,
             vl_doc_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL;

    assert(out);
    *out = NULL;
    assert(buf || len == 0);

    /* 1-2: nothing is allocated before the input is known to be bounded */
    rc = s_prevalidate(buf, len, max_depth, err);
    if (rc != VL_OK)
        goto out;

    doc = calloc(1, sizeof *doc);
    if (!doc) {
        rc = vl_err(err, VL_ENOMEM, "msgpack: out of memory");
        goto out;
    }
    msgpack_unpacked_init(&doc->unp);
    doc->bytes = malloc(len);   /* len >= 1: an empty input is truncated */
    if (!doc->bytes) {
        rc = vl_err(err, VL_ENOMEM, "msgpack: out of memory");
        goto out;
    }
    memcpy(doc->bytes, buf, len);
    doc->len = len;

    /* 3: the pre-validator accepted it, so anything but a complete parse is
     * a disagreement between the two (the fuzz harness looks for this). */
    size_t off = 0;
    msgpack_unpack_return ur =
        msgpack_unpack_next(&doc->unp, (const char *)doc->bytes, len, &off);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
        rc = vl_err(err, VL_ENOMEM, "msgpack: out of memory while unpacking");
        goto out;
    }
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
        rc = vl_err(err, VL_EPROTO,
                    "msgpack: unpacker disagrees with the pre-validator "
                    "(rc %d, %zu of %zu bytes)", (int)ur, off, len);
        goto out;
    }

    /* 4: types, keys, strings */
    rc = s_check_value(doc, &doc->unp.data, err);
    if (rc != VL_OK)
        goto out;

    /* 5: canonical */
    s_cmp_t cmp = { .want = doc->bytes, .len = len, .off = 0, .differs = false };
    msgpack_packer pk;
    msgpack_packer_init(&pk, &cmp, s_cmp_write);
    (void)msgpack_pack_object(&pk, doc->unp.data);
    if (cmp.differs || cmp.off != len) {
        rc = vl_err(err, VL_EPROTO, "msgpack: non-canonical encoding at byte %zu",
                    cmp.off);
        goto out;
    }

    *out = doc;
    doc = NULL;
    rc = VL_OK;
out:
    vl_doc_destroy(&doc);
    return rc;
}

void
vl_doc_destroy(vl_doc_t **self_p)
{
    assert(self_p);
    vl_doc_t *self = *self_p;
    if (!self)
        return;
    msgpack_unpacked_destroy(&self->unp);
    if (self->bytes) {
        sodium_memzero(self->bytes, self->len);
        free(self->bytes);
    }
    free(self);
    *self_p = NULL;
}

vl_val_t
vl_doc_root(const vl_doc_t *self)
{
    assert(self);
    return (vl_val_t){ &self->unp.data };
}

const uint8_t *
vl_doc_bytes(const vl_doc_t *self, size_t *len)
{
    assert(self);
    if (len)
        *len = self->len;
    return self->bytes;
}

/* ---- values ---------------------------------------------------------------- */

static const msgpack_object *
s_obj(vl_val_t v)
{
    return v.o;
}

static const vl_val_t s_none = { NULL };

vl_type_t
vl_val_type(vl_val_t v)
{
    const msgpack_object *o = s_obj(v);
    if (!o)
        return VL_T_NONE;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:              return VL_T_NIL;
    case MSGPACK_OBJECT_BOOLEAN:          return VL_T_BOOL;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return VL_T_UINT;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return VL_T_INT;
    case MSGPACK_OBJECT_STR:              return VL_T_STR;
    case MSGPACK_OBJECT_BIN:              return VL_T_BIN;
    case MSGPACK_OBJECT_ARRAY:            return VL_T_ARRAY;
    case MSGPACK_OBJECT_MAP:              return VL_T_MAP;
    default:                              return VL_T_NONE;
    }
}

uint32_t
vl_val_len(vl_val_t v)
{
    const msgpack_object *o = s_obj(v);
    switch (vl_val_type(v)) {
    case VL_T_STR:   return o->via.str.size;
    case VL_T_BIN:   return o->via.bin.size;
    case VL_T_ARRAY: return o->via.array.size;
    case VL_T_MAP:   return o->via.map.size;
    default:         return 0;
    }
}

vl_val_t
vl_val_at(vl_val_t arr, uint32_t i)
{
    const msgpack_object *o = s_obj(arr);
    if (vl_val_type(arr) != VL_T_ARRAY || i >= o->via.array.size)
        return s_none;
    return (vl_val_t){ &o->via.array.ptr[i] };
}

vl_val_t
vl_val_key_at(vl_val_t map, uint32_t i)
{
    const msgpack_object *o = s_obj(map);
    if (vl_val_type(map) != VL_T_MAP || i >= o->via.map.size)
        return s_none;
    return (vl_val_t){ &o->via.map.ptr[i].key };
}

vl_val_t
vl_val_value_at(vl_val_t map, uint32_t i)
{
    const msgpack_object *o = s_obj(map);
    if (vl_val_type(map) != VL_T_MAP || i >= o->via.map.size)
        return s_none;
    return (vl_val_t){ &o->via.map.ptr[i].val };
}

/* Binary search: vl_doc_parse only accepts maps whose keys are str in
 * strictly increasing s_keycmp order. */
vl_val_t
vl_val_get(vl_val_t map, const char *key)
{
    const msgpack_object *o = s_obj(map);
    if (!key || vl_val_type(map) != VL_T_MAP)
        return s_none;
    size_t klen = strlen(key);
    uint32_t lo = 0, hi = o->via.map.size;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const msgpack_object *k = &o->via.map.ptr[mid].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return s_none;
        int c = s_keycmp(k->via.str.ptr, k->via.str.size, key, klen);
        if (c == 0)
            return (vl_val_t){ &o->via.map.ptr[mid].val };
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return s_none;
}

int
vl_val_uint(vl_val_t v, uint64_t *out)
{
    assert(out);
    *out = 0;
    if (vl_val_type(v) != VL_T_UINT)
        return VL_EPROTO;
    *out = s_obj(v)->via.u64;
    return VL_OK;
}

int
vl_val_int(vl_val_t v, int64_t *out)
{
    assert(out);
    *out = 0;
    switch (vl_val_type(v)) {
    case VL_T_UINT:
        if (s_obj(v)->via.u64 > (uint64_t)INT64_MAX)
            return VL_EPROTO;
        *out = (int64_t)s_obj(v)->via.u64;
        return VL_OK;
    case VL_T_INT:
        *out = s_obj(v)->via.i64;
        return VL_OK;
    default:
        return VL_EPROTO;
    }
}

int
vl_val_bool(vl_val_t v, bool *out)
{
    assert(out);
    *out = false;
    if (vl_val_type(v) != VL_T_BOOL)
        return VL_EPROTO;
    *out = s_obj(v)->via.boolean;
    return VL_OK;
}

int
vl_val_str(vl_val_t v, const char **p, size_t *len)
{
    assert(p && len);
    *p = NULL;
    *len = 0;
    if (vl_val_type(v) != VL_T_STR)
        return VL_EPROTO;
    /* msgpack-c leaves ptr NULL for an empty str; callers get "" instead */
    *len = s_obj(v)->via.str.size;
    *p = *len ? s_obj(v)->via.str.ptr : "";
    return VL_OK;
}

int
vl_val_bin(vl_val_t v, const uint8_t **p, size_t *len)
{
    static const uint8_t empty[1];
    assert(p && len);
    *p = NULL;
    *len = 0;
    if (vl_val_type(v) != VL_T_BIN)
        return VL_EPROTO;
    *len = s_obj(v)->via.bin.size;
    *p = *len ? (const uint8_t *)s_obj(v)->via.bin.ptr : empty;
    return VL_OK;
}

int
vl_val_bin_exact(vl_val_t v, void *out, size_t len)
{
    const uint8_t *p;
    size_t n;
    assert(out || len == 0);
    if (vl_val_bin(v, &p, &n) != VL_OK || n != len)
        return VL_EPROTO;
    if (len)
        memcpy(out, p, len);
    return VL_OK;
}

int
vl_val_strdup(vl_val_t v, char **out)
{
    const char *p;
    size_t n;
    assert(out);
    *out = NULL;
    if (vl_val_str(v, &p, &n) != VL_OK)
        return VL_EPROTO;
    char *s = malloc(n + 1);
    if (!s)
        return VL_ENOMEM;
    memcpy(s, p, n);
    s[n] = '\0';
    *out = s;
    return VL_OK;
}

bool
vl_val_streq(vl_val_t v, const char *s)
{
    const char *p;
    size_t n;
    if (!s || vl_val_str(v, &p, &n) != VL_OK)
        return false;
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

static bool
s_in_list(const char *const *list, const char *p, size_t n)
{
    for (; list && *list; list++)
        if (strlen(*list) == n && memcmp(*list, p, n) == 0)
            return true;
    return false;
}

/* A key from the input is peer data: print at most 32 bytes and only
 * printable ASCII, so a message can't carry terminal escapes. */
static void
s_printable(char *dst, size_t dstlen, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < 32 && o + 5 < dstlen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
    }
    if (n > 32 && o + 4 < dstlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

int
vl_val_map_keys(vl_val_t map, const char *const *required,
                const char *const *optional, const char *what, char *err)
{
    if (!what)
        what = "map";
    if (vl_val_type(map) != VL_T_MAP)
        return vl_err(err, VL_EPROTO, "%s: not a map", what);
    for (const char *const *r = required; r && *r; r++)
        if (vl_val_none(vl_val_get(map, *r)))
            return vl_err(err, VL_EPROTO, "%s: missing key \"%s\"", what, *r);
    uint32_t n = vl_val_len(map);
    for (uint32_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (vl_val_str(vl_val_key_at(map, i), &p, &len) != VL_OK)
            return vl_err(err, VL_EPROTO, "%s: key #%u is not a str", what, i);
        if (!s_in_list(required, p, len) && !s_in_list(optional, p, len)) {
            char shown[32 * 4 + 8];
            s_printable(shown, sizeof shown, p, len);
            return vl_err(err, VL_EPROTO, "%s: unknown key \"%s\"", what, shown);
        }
    }
    return VL_OK;
}
