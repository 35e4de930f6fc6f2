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

#include "vl_check.h"

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

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

/* Re-encode a parsed value through the writer (what the fuzz harness does). */
static void
s_test_rewrite(vl_wr_t *w, vl_val_t v)
{
    uint64_t u;
    int64_t i;
    bool b;
    const char *s;
    const uint8_t *p;
    size_t n;
    switch (vl_val_type(v)) {
    case VL_T_NIL:  vl_wr_nil(w); break;
    case VL_T_BOOL: (void)vl_val_bool(v, &b); vl_wr_bool(w, b); break;
    case VL_T_UINT: (void)vl_val_uint(v, &u); vl_wr_uint(w, u); break;
    case VL_T_INT:  (void)vl_val_int(v, &i); vl_wr_int(w, i); break;
    case VL_T_STR:  (void)vl_val_str(v, &s, &n); vl_wr_str(w, s, n); break;
    case VL_T_BIN:  (void)vl_val_bin(v, &p, &n); vl_wr_bin(w, p, n); break;
    case VL_T_ARRAY:
        vl_wr_array(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++)
            s_test_rewrite(w, vl_val_at(v, k));
        break;
    case VL_T_MAP:
        vl_wr_map(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++) {
            s_test_rewrite(w, vl_val_key_at(v, k));
            s_test_rewrite(w, vl_val_value_at(v, k));
        }
        break;
    default:
        break;
    }
}

/* "05 a1 61" -> bytes; returns the length. Test vectors only. */
static size_t
s_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        int used = 0;
        if (sscanf(hex, "%2x%n", &v, &used) != 1 || used != 2 || n == cap)
            abort();
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Parse a heap copy of exactly len bytes (so ASan sees any over-read) and
 * check the code and that the message contains `msg` (so each negative case
 * is rejected by the check it targets, not by a later one). */
static bool
s_test_parse(const uint8_t *buf, size_t len, unsigned depth, int want,
             const char *msg, bool verbose)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    if (len)
        memcpy(copy, buf, len);
    char err[VL_ERRMSG_MAX] = "";
    vl_doc_t *doc = NULL;
    int rc = vl_doc_parse(copy, len, depth, &doc, err);
    bool ok = rc == want && (want == VL_OK) == (doc != NULL);
    if (ok && msg && !strstr(err, msg))
        ok = false;
    if (ok && want == VL_OK) {
        /* accepted documents re-encode to the same bytes */
        vl_wr_t *w = vl_wr_new();
        if (!w) {
            ok = false;
        } else {
            s_test_rewrite(w, vl_doc_root(doc));
            ok = vl_wr_status(w) == VL_OK && vl_wr_len(w) == len &&
                 memcmp(vl_wr_data(w), buf, len) == 0;
            vl_wr_destroy(&w);
        }
    }
    /* the pre-validator alone agrees with the full parse on steps 1-2 */
    int pre = vl_codec_prevalidate(copy, len, depth);
    if (want == VL_OK && pre != VL_OK)
        ok = false;
    if (!ok)
        fprintf(stderr, "  parse %zu bytes: rc %d want %d, \"%s\" (want \"%s\")\n",
                len, rc, want, err, msg ? msg : "");
    vl_doc_destroy(&doc);
    free(copy);
    return ok;
}

static bool
s_test_hexparse(const char *hex, unsigned depth, int want, const char *msg,
                bool verbose)
{
    uint8_t buf[256];
    size_t n = s_test_hex(hex, buf, sizeof buf);
    bool ok = s_test_parse(buf, n, depth, want, msg, verbose);
    if (!ok)
        fprintf(stderr, "  ... input: %s\n", hex);
    return ok;
}

static bool
s_test_golden(vl_wr_t *w, const char *hex)
{
    uint8_t want[64];
    size_t n = s_test_hex(hex, want, sizeof want);
    bool ok = vl_wr_status(w) == VL_OK && vl_wr_len(w) == n &&
              memcmp(vl_wr_data(w), want, n) == 0;
    if (!ok) {
        fprintf(stderr, "  golden: want %s, got", hex);
        for (size_t i = 0; i < vl_wr_len(w) && i < 16; i++)
            fprintf(stderr, " %02x", vl_wr_data(w)[i]);
        fprintf(stderr, "\n");
    }
    vl_wr_reset(w);
    return ok;
}

/* A document with every type, keys in canonical order. */
static void
s_test_sample(vl_wr_t *w)
{
    static const uint8_t bytes[3] = { 0x00, 0xff, 0x10 };
    vl_wr_map(w, 8);
    vl_wr_cstr(w, "");                  /* the empty key sorts first */
    vl_wr_nil(w);
    vl_wr_cstr(w, "B");                 /* uppercase before lowercase */
    vl_wr_bool(w, true);
    vl_wr_cstr(w, "a");
    vl_wr_array(w, 4);
    vl_wr_uint(w, 0);
    vl_wr_int(w, -1);
    vl_wr_uint(w, 70000);
    vl_wr_int(w, INT64_MIN);
    vl_wr_cstr(w, "ab");                /* prefix "a" came first */
    vl_wr_bin(w, bytes, sizeof bytes);
    vl_wr_cstr(w, "b");
    vl_wr_map(w, 2);
    vl_wr_cstr(w, "k");
    vl_wr_cstr(w, "caf\xc3\xa9 \xe2\x82\xac");
    vl_wr_cstr(w, "n");
    vl_wr_array(w, 0);
    vl_wr_cstr(w, "f");
    vl_wr_bool(w, false);
    vl_wr_cstr(w, "u");
    vl_wr_uint(w, UINT64_MAX);
    vl_wr_cstr(w, "\xc3\xa9");          /* bytewise: after every ASCII key */
    vl_wr_map(w, 0);
}

int
vl_codec_test(bool verbose)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX];
    vl_doc_t *doc = NULL;
    vl_wr_t *w = vl_wr_new();
    VL_CHECK(w);
    if (!w)
        return 1;

    /* ---- writer: golden bytes (msgpack-c 4.0.0 packer, see file comment) */
    if (verbose)
        printf(" * codec: golden bytes\n");
    static const struct { int64_t v; const char *hex; } ints[] = {
        { 0, "00" }, { 5, "05" }, { 127, "7f" }, { 128, "cc 80" },
        { 200, "cc c8" }, { 255, "cc ff" }, { 256, "cd 01 00" },
        { 65535, "cd ff ff" }, { 65536, "ce 00 01 00 00" },
        { 70000, "ce 00 01 11 70" }, { 4294967295LL, "ce ff ff ff ff" },
        { 4294967296LL, "cf 00 00 00 01 00 00 00 00" },
        { INT64_MAX, "cf 7f ff ff ff ff ff ff ff" },
        { -1, "ff" }, { -32, "e0" }, { -33, "d0 df" }, { -128, "d0 80" },
        { -129, "d1 ff 7f" }, { -32768, "d1 80 00" },
        { -32769, "d2 ff ff 7f ff" }, { INT32_MIN, "d2 80 00 00 00" },
        { (int64_t)INT32_MIN - 1, "d3 ff ff ff ff 7f ff ff ff" },
        { INT64_MIN, "d3 80 00 00 00 00 00 00 00" },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        vl_wr_int(w, ints[i].v);
        VL_CHECK(s_test_golden(w, ints[i].hex));
        VL_CHECK(s_test_hexparse(ints[i].hex, 0, VL_OK, NULL, verbose));
    }
    vl_wr_uint(w, 5);
    VL_CHECK(s_test_golden(w, "05"));
    vl_wr_uint(w, UINT64_MAX);
    VL_CHECK(s_test_golden(w, "cf ff ff ff ff ff ff ff ff"));
    vl_wr_nil(w);
    vl_wr_bool(w, false);
    vl_wr_bool(w, true);
    VL_CHECK(s_test_golden(w, "c0 c2 c3"));
    vl_wr_cstr(w, "a");
    VL_CHECK(s_test_golden(w, "a1 61"));
    vl_wr_str(w, "", 0);
    VL_CHECK(s_test_golden(w, "a0"));
    vl_wr_bin(w, NULL, 0);
    VL_CHECK(s_test_golden(w, "c4 00"));
    vl_wr_bin(w, "a", 1);
    VL_CHECK(s_test_golden(w, "c4 01 61"));
    vl_wr_array(w, 0);
    vl_wr_array(w, 15);
    vl_wr_array(w, 16);
    VL_CHECK(s_test_golden(w, "90 9f dc 00 10"));
    vl_wr_map(w, 0);
    vl_wr_map(w, 15);
    vl_wr_map(w, 16);
    vl_wr_array(w, 65536);
    VL_CHECK(s_test_golden(w, "80 8f de 00 10 dd 00 01 00 00"));
    vl_wr_map(w, 1);
    vl_wr_cstr(w, "a");
    vl_wr_uint(w, 1);
    VL_CHECK(s_test_golden(w, "81 a1 61 01"));

    /* str/bin header thresholds: fixstr up to 31, str8 from 32, str16 from
     * 256; bin8 from 0 to 255, then bin16. */
    {
        static char fill[300];
        memset(fill, 'x', sizeof fill);
        static const struct { size_t n; bool bin; uint8_t h0, h1; size_t hl; } th[] = {
            { 31, false, 0xbf, 0, 1 }, { 32, false, 0xd9, 32, 2 },
            { 255, false, 0xd9, 255, 2 }, { 256, false, 0xda, 1, 3 },
            { 255, true, 0xc4, 255, 2 }, { 256, true, 0xc5, 1, 3 },
        };
        for (size_t i = 0; i < sizeof th / sizeof th[0]; i++) {
            if (th[i].bin)
                vl_wr_bin(w, fill, th[i].n);
            else
                vl_wr_str(w, fill, th[i].n);
            const uint8_t *d = vl_wr_data(w);
            VL_CHECK(vl_wr_len(w) == th[i].n + th[i].hl);
            VL_CHECK(d[0] == th[i].h0 && (th[i].hl == 1 || d[1] == th[i].h1));
            VL_CHECK(s_test_parse(d, vl_wr_len(w), 0, VL_OK, NULL, verbose));
            vl_wr_reset(w);
        }
    }

    /* ---- round trip of every type ---------------------------------------- */
    if (verbose)
        printf(" * codec: round trip\n");
    s_test_sample(w);
    VL_CHECK_RC(vl_wr_status(w), VL_OK);
    uint8_t *sample = NULL;
    size_t sample_len = 0;
    VL_CHECK_RC(vl_wr_dup(w, &sample, &sample_len), VL_OK);
    VL_CHECK(sample && sample_len == vl_wr_len(w));
    vl_wr_reset(w);
    VL_CHECK(s_test_parse(sample, sample_len, 0, VL_OK, NULL, verbose));
    err[0] = '\0';
    VL_CHECK_RC(vl_doc_parse(sample, sample_len, 0, &doc, err), VL_OK);
    if (doc) {
        vl_val_t root = vl_doc_root(doc);
        size_t blen = 0;
        VL_CHECK(vl_doc_bytes(doc, &blen) != sample && blen == sample_len);
        VL_CHECK(memcmp(vl_doc_bytes(doc, NULL), sample, sample_len) == 0);
        VL_CHECK(vl_val_type(root) == VL_T_MAP && vl_val_len(root) == 8);
        VL_CHECK(vl_val_type(vl_val_get(root, "")) == VL_T_NIL);
        bool b = false;
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, "B"), &b), VL_OK);
        VL_CHECK(b);
        vl_val_t a = vl_val_get(root, "a");
        VL_CHECK(vl_val_type(a) == VL_T_ARRAY && vl_val_len(a) == 4);
        uint64_t u = 1;
        int64_t i = 1;
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 0), &u), VL_OK);
        VL_CHECK(u == 0);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 0), &i), VL_OK);
        VL_CHECK(i == 0);
        VL_CHECK(vl_val_type(vl_val_at(a, 1)) == VL_T_INT);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 1), &i), VL_OK);
        VL_CHECK(i == -1);
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 2), &u), VL_OK);
        VL_CHECK(u == 70000);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 3), &i), VL_OK);
        VL_CHECK(i == INT64_MIN);
        VL_CHECK(vl_val_none(vl_val_at(a, 4)));
        uint8_t three[3];
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(root, "ab"), three, 3), VL_OK);
        VL_CHECK(three[0] == 0x00 && three[1] == 0xff && three[2] == 0x10);
        VL_CHECK(vl_val_len(vl_val_get(root, "ab")) == 3);
        vl_val_t m = vl_val_get(root, "b");
        VL_CHECK(vl_val_streq(vl_val_get(m, "k"), "caf\xc3\xa9 \xe2\x82\xac"));
        VL_CHECK(!vl_val_streq(vl_val_get(m, "k"), "caf"));
        char *dup = NULL;
        VL_CHECK_RC(vl_val_strdup(vl_val_get(m, "k"), &dup), VL_OK);
        VL_CHECK(dup && strcmp(dup, "caf\xc3\xa9 \xe2\x82\xac") == 0);
        free(dup);
        VL_CHECK(vl_val_type(vl_val_get(m, "n")) == VL_T_ARRAY);
        VL_CHECK(vl_val_len(vl_val_get(m, "n")) == 0);
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, "f"), &b), VL_OK);
        VL_CHECK(!b);
        VL_CHECK_RC(vl_val_uint(vl_val_get(root, "u"), &u), VL_OK);
        VL_CHECK(u == UINT64_MAX);
        VL_CHECK(vl_val_type(vl_val_get(root, "\xc3\xa9")) == VL_T_MAP);
        VL_CHECK(vl_val_streq(vl_val_key_at(root, 3), "ab"));
        VL_CHECK(vl_val_type(vl_val_value_at(root, 3)) == VL_T_BIN);
        for (uint32_t k = 0; k < vl_val_len(root); k++) {
            const char *kp;
            size_t kl;
            VL_CHECK_RC(vl_val_str(vl_val_key_at(root, k), &kp, &kl), VL_OK);
            char key[8] = "";
            if (kl < sizeof key)
                memcpy(key, kp, kl);
            VL_CHECK(vl_val_get(root, key).o == vl_val_value_at(root, k).o);
        }
        VL_CHECK(vl_val_none(vl_val_get(root, "c")));
        VL_CHECK(vl_val_none(vl_val_get(root, "aa")));
        VL_CHECK(vl_val_none(vl_val_get(root, "abc")));
        VL_CHECK(vl_val_none(vl_val_get(root, "\xff")));
        const char *es;
        size_t el = 9;
        VL_CHECK_RC(vl_val_str(vl_val_key_at(root, 0), &es, &el), VL_OK);
        VL_CHECK(es != NULL && el == 0);

        /* ---- accessors on wrong types -------------------------------- */
        vl_val_t none = vl_val_get(root, "zz");
        VL_CHECK(vl_val_none(none) && vl_val_type(none) == VL_T_NONE);
        VL_CHECK(vl_val_len(none) == 0);
        VL_CHECK(vl_val_len(vl_val_get(root, "u")) == 0);
        VL_CHECK_RC(vl_val_uint(none, &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 1), &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_uint(vl_val_get(root, "B"), &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_int(vl_val_get(root, "u"), &i), VL_EPROTO);
        VL_CHECK_RC(vl_val_int(vl_val_get(root, "ab"), &i), VL_EPROTO);
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, ""), &b), VL_EPROTO);
        VL_CHECK_RC(vl_val_str(vl_val_get(root, "ab"), &es, &el), VL_EPROTO);
        VL_CHECK(es == NULL && el == 0);
        const uint8_t *bp;
        VL_CHECK_RC(vl_val_bin(vl_val_get(m, "k"), &bp, &el), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin(none, &bp, &el), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(root, "ab"), three, 2), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(m, "k"), three, 3), VL_EPROTO);
        VL_CHECK_RC(vl_val_strdup(vl_val_get(root, "u"), &dup), VL_EPROTO);
        VL_CHECK(dup == NULL);
        VL_CHECK(!vl_val_streq(vl_val_get(root, "ab"), "ab"));
        VL_CHECK(!vl_val_streq(none, ""));
        VL_CHECK(vl_val_none(vl_val_at(root, 0)));
        VL_CHECK(vl_val_none(vl_val_at(none, 0)));
        VL_CHECK(vl_val_none(vl_val_get(a, "a")));
        VL_CHECK(vl_val_none(vl_val_get(none, "a")));
        VL_CHECK(vl_val_none(vl_val_key_at(a, 0)));
        VL_CHECK(vl_val_none(vl_val_value_at(root, 8)));
        VL_CHECK(vl_val_none(vl_val_key_at(root, 8)));

        /* ---- vl_val_map_keys ----------------------------------------- */
        static const char *const req[] = { "", "B", "a", "ab", NULL };
        static const char *const opt[] = { "b", "f", "u", "\xc3\xa9", "x", NULL };
        static const char *const req_x[] = { "a", "x", NULL };
        static const char *const opt_few[] = { "b", "f", "u", NULL };
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, opt, "sample", err), VL_OK);
        VL_CHECK_RC(vl_val_map_keys(root, req_x, opt, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "sample: missing key \"x\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, opt_few, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "sample: unknown key \"\\xc3\\xa9\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, NULL, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "unknown key \"b\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(a, NULL, NULL, "list", err), VL_EPROTO);
        VL_CHECK(strstr(err, "list: not a map") != NULL);
        VL_CHECK_RC(vl_val_map_keys(none, NULL, NULL, NULL, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_val_map_keys(vl_val_get(root, "\xc3\xa9"), NULL, NULL,
                                    "empty", NULL), VL_OK);
        vl_doc_destroy(&doc);
        vl_doc_destroy(&doc);
        VL_CHECK(doc == NULL);
    }

    /* ---- writer: raw, dup, reset --------------------------------------- */
    vl_wr_array(w, 2);
    vl_wr_raw(w, sample, sample_len);
    vl_wr_raw(w, "\xc0", 1);
    VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_OK, NULL, verbose));
    vl_wr_reset(w);
    VL_CHECK(vl_wr_len(w) == 0 && vl_wr_status(w) == VL_OK);

    /* ---- truncation at every offset, and trailing bytes ------------------- */
    if (verbose)
        printf(" * codec: truncation, trailing bytes\n");
    for (size_t k = 0; k < sample_len; k++)
        VL_CHECK(s_test_parse(sample, k, 0, VL_EPROTO, "msgpack: truncated at byte",
                              verbose));
    {
        uint8_t *longer = malloc(sample_len + 1);
        VL_CHECK(longer);
        if (longer) {
            memcpy(longer, sample, sample_len);
            longer[sample_len] = 0xc0;
            VL_CHECK(s_test_parse(longer, sample_len + 1, 0, VL_EPROTO,
                                  "msgpack: trailing bytes after the value",
                                  verbose));
            free(longer);
        }
    }
    VL_CHECK(s_test_hexparse("05 05", 0, VL_EPROTO, "trailing bytes", verbose));
    VL_CHECK(s_test_hexparse("", 0, VL_EPROTO, "truncated at byte 0", verbose));

    /* ---- hostile headers (msgpack-c #1013) --------------------------------- */
    if (verbose)
        printf(" * codec: hostile headers, limits\n");
    VL_CHECK(s_test_hexparse("dd 00 10 00 00", 0, VL_ELIMIT, "array of 1048576", verbose));
    VL_CHECK(s_test_hexparse("dd 10 00 00 00", 0, VL_ELIMIT, "exceeds the limit", verbose));
    VL_CHECK(s_test_hexparse("dd ff ff ff ff", 0, VL_ELIMIT, "exceeds the limit", verbose));
    VL_CHECK(s_test_hexparse("de ff ff 00 00", 0, VL_ELIMIT, "map of 65535", verbose));
    VL_CHECK(s_test_hexparse("df ff ff ff ff", 0, VL_ELIMIT, "map of", verbose));
    VL_CHECK(s_test_hexparse("c6 ff ff ff ff", 0, VL_EPROTO, "truncated at byte 0", verbose));
    VL_CHECK(s_test_hexparse("db 00 00 00 02 61", 0, VL_EPROTO, "truncated", verbose));
    /* counts within VL_MAX_CONTAINER but above the remaining bytes */
    VL_CHECK(s_test_hexparse("dc 10 00", 0, VL_EPROTO, "array of 4096 elements, 0 bytes", verbose));
    VL_CHECK(s_test_hexparse("82 c0 c0 c0", 0, VL_EPROTO, "map of 2 elements, 3 bytes", verbose));
    VL_CHECK(s_test_hexparse("92 c0", 0, VL_EPROTO, "array of 2 elements, 1 bytes", verbose));
    VL_CHECK(s_test_hexparse("cd 01", 0, VL_EPROTO, "truncated at byte 0", verbose));
    VL_CHECK(s_test_hexparse("91 cf 00", 0, VL_EPROTO, "truncated at byte 1", verbose));

    /* VL_MAX_CONTAINER is accepted, one more is not */
    {
        size_t n = 3 + VL_MAX_CONTAINER + 1;
        uint8_t *big = malloc(n);
        VL_CHECK(big);
        if (big) {
            memset(big, 0xc0, n);
            big[0] = 0xdc;
            big[1] = (uint8_t)(VL_MAX_CONTAINER >> 8);
            big[2] = (uint8_t)VL_MAX_CONTAINER;
            VL_CHECK(s_test_parse(big, n - 1, 0, VL_OK, NULL, verbose));
            big[1] = (uint8_t)((VL_MAX_CONTAINER + 1) >> 8);
            big[2] = (uint8_t)(VL_MAX_CONTAINER + 1);
            VL_CHECK(s_test_parse(big, n, 0, VL_ELIMIT, "array of 4097", verbose));
            free(big);
        }
    }

    /* depth: max_depth nested containers pass, one more does not */
    {
        uint8_t nest[VL_MAX_DEPTH + 2];
        for (unsigned d = 1; d <= VL_MAX_DEPTH; d++) {
            memset(nest, 0x91, d);     /* d-1 arrays of one element, ... */
            nest[d - 1] = 0x90;        /* ... the innermost one empty */
            VL_CHECK(s_test_parse(nest, d, d, VL_OK, NULL, verbose));
            memset(nest, 0x91, d + 1);
            nest[d] = 0x90;
            char want[48];
            snprintf(want, sizeof want, "nesting deeper than %u", d);
            VL_CHECK(s_test_parse(nest, d + 1, d, VL_ELIMIT, want, verbose));
            /* the scalar inside the deepest container does not count */
            memset(nest, 0x91, d);
            nest[d] = 0x05;
            VL_CHECK(s_test_parse(nest, d + 1, d, VL_OK, NULL, verbose));
        }
        memset(nest, 0x91, VL_MAX_DEPTH);
        nest[VL_MAX_DEPTH] = 0x05;
        VL_CHECK(s_test_parse(nest, VL_MAX_DEPTH + 1, 0, VL_OK, NULL, verbose));
        memset(nest, 0x91, VL_MAX_DEPTH + 1);
        nest[VL_MAX_DEPTH + 1] = 0x05;
        VL_CHECK(s_test_parse(nest, VL_MAX_DEPTH + 2, 0, VL_ELIMIT,
                              "msgpack: nesting deeper than 8", verbose));
        /* maps count too */
        VL_CHECK(s_test_hexparse("81 a1 61 81 a1 61 80", 2, VL_ELIMIT,
                                 "nesting deeper than 2", verbose));
        VL_CHECK(s_test_hexparse("81 a1 61 81 a1 61 80", 3, VL_OK, NULL, verbose));
    }

    /* document size: VL_MAX_DOC accepted, one byte more refused by both the
     * reader and the writer */
    {
        uint8_t *big = calloc(1, VL_MAX_DOC + 1);
        VL_CHECK(big);
        if (big) {
            vl_wr_bin(w, big, VL_MAX_DOC - 5);
            VL_CHECK_RC(vl_wr_status(w), VL_OK);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC);
            memcpy(big, vl_wr_data(w), VL_MAX_DOC);
            VL_CHECK(s_test_parse(big, VL_MAX_DOC, 0, VL_OK, NULL, verbose));
            VL_CHECK(s_test_parse(big, VL_MAX_DOC + 1, 0, VL_ELIMIT,
                                  "document of 1048577 bytes exceeds", verbose));
            VL_CHECK_RC(vl_codec_prevalidate(big, VL_MAX_DOC + 1, 0), VL_ELIMIT);
            vl_wr_nil(w);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            vl_wr_uint(w, 1);                /* sticky, nothing appended */
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC);
            uint8_t *dup = NULL;
            size_t dup_len = 1;
            VL_CHECK_RC(vl_wr_dup(w, &dup, &dup_len), VL_ELIMIT);
            VL_CHECK(dup == NULL && dup_len == 0);
            /* a header that does not fit must not be followed by a body
             * that would: c4 01 needs 2 bytes, the body 1 */
            vl_wr_reset(w);
            vl_wr_bin(w, big, VL_MAX_DOC - 6);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC - 1);
            vl_wr_bin(w, "x", 1);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC - 1);
            vl_wr_reset(w);
            vl_wr_str(w, (const char *)big, VL_MAX_DOC + 1);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == 0);
            vl_wr_reset(w);
            free(big);
        }
    }

    /* str length limit */
    {
        static char s[VL_MAX_STR + 1];
        memset(s, 'a', sizeof s);
        vl_wr_str(w, s, VL_MAX_STR);
        VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_OK, NULL, verbose));
        vl_wr_reset(w);
        vl_wr_str(w, s, VL_MAX_STR + 1);
        VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_ELIMIT,
                              "str of 16385 bytes", verbose));
        vl_wr_reset(w);
    }

    /* ---- forbidden types --------------------------------------------------- */
    if (verbose)
        printf(" * codec: forbidden types, keys, UTF-8, non-canonical\n");
    VL_CHECK(s_test_hexparse("c1", 0, VL_EPROTO, "invalid byte 0xc1 at byte 0", verbose));
    VL_CHECK(s_test_hexparse("91 c1", 0, VL_EPROTO, "0xc1 at byte 1", verbose));
    VL_CHECK(s_test_hexparse("ca 00 00 00 00", 0, VL_EPROTO, "float", verbose));
    VL_CHECK(s_test_hexparse("cb 00 00 00 00 00 00 00 00", 0, VL_EPROTO, "float", verbose));
    VL_CHECK(s_test_hexparse("91 ca 3f 80 00 00", 0, VL_EPROTO, "float at byte 1", verbose));
    VL_CHECK(s_test_hexparse("d4 01 00", 0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
                             0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("c7 01 01 00", 0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("c9 00 00 00 00 01", 0, VL_EPROTO, "ext", verbose));

    /* ---- map keys ---------------------------------------------------------- */
    VL_CHECK(s_test_hexparse("82 a1 61 01 a1 61 02", 0, VL_EPROTO, "duplicate map key at byte 5", verbose));
    VL_CHECK(s_test_hexparse("82 a1 62 01 a1 61 02", 0, VL_EPROTO, "map keys not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a2 61 62 01 a1 61 02", 0, VL_EPROTO, "not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 a2 61 62 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a1 42 01 a1 61 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 a1 42 02", 0, VL_EPROTO, "not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a1 7a 01 a2 c3 a9 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a0 01 a0 02", 0, VL_EPROTO, "duplicate", verbose));
    VL_CHECK(s_test_hexparse("81 01 01", 0, VL_EPROTO, "map key #0 is not a str", verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 c4 01 62 02", 0, VL_EPROTO, "map key #1 is not a str", verbose));
    VL_CHECK(s_test_hexparse("81 c0 01", 0, VL_EPROTO, "not a str", verbose));
    VL_CHECK(s_test_hexparse("81 a2 c0 80 01", 0, VL_EPROTO, "invalid UTF-8 in str at byte 2", verbose));

    /* ---- str: UTF-8 and NUL ------------------------------------------------ */
    static const char *const good_utf8[] = {
        "a2 c3 a9", "a3 e2 82 ac", "a4 f0 90 8d 88", "a4 f4 8f bf bf",
        "a3 ed 9f bf", "a3 ee 80 80", "a2 c2 80", "a3 e0 a0 80", "a4 f0 90 80 80",
        "a1 7f", "a3 ef bf bf",
    };
    for (size_t i = 0; i < sizeof good_utf8 / sizeof good_utf8[0]; i++)
        VL_CHECK(s_test_hexparse(good_utf8[i], 0, VL_OK, NULL, verbose));
    static const char *const bad_utf8[] = {
        "a2 c0 80",       /* overlong NUL */
        "a2 c1 bf",       /* overlong */
        "a3 e0 80 80",    /* overlong 3-byte */
        "a3 e0 9f bf",    /* overlong 3-byte */
        "a4 f0 80 80 80", /* overlong 4-byte */
        "a4 f0 8f bf bf", /* overlong 4-byte */
        "a3 ed a0 80",    /* high surrogate */
        "a3 ed bf bf",    /* low surrogate */
        "a4 f4 90 80 80", /* U+110000 */
        "a4 f5 80 80 80", /* above U+10FFFF */
        "a1 80",          /* lone continuation */
        "a1 ff", "a1 fe", "a5 f8 88 80 80 80",
        "a2 e2 82",       /* sequence cut by the end of the str */
        "a2 c3 41",       /* bad continuation */
        "a3 e2 28 a1",
        "a4 f0 90 8d 28",
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
        VL_CHECK(s_test_hexparse(bad_utf8[i], 0, VL_EPROTO, "invalid UTF-8 in str at byte 1",
                                 verbose));
    VL_CHECK(s_test_hexparse("a3 61 e2 28", 0, VL_EPROTO, "invalid UTF-8 in str at byte 2", verbose));
    VL_CHECK(s_test_hexparse("a1 00", 0, VL_EPROTO, "NUL byte in str at byte 1", verbose));
    VL_CHECK(s_test_hexparse("a3 61 00 62", 0, VL_EPROTO, "NUL byte in str at byte 2", verbose));
    VL_CHECK(s_test_hexparse("c4 01 00", 0, VL_OK, NULL, verbose));   /* bin may */

    /* ---- non-canonical encodings --------------------------------------- */
    static const char *const noncanon[] = {
        "cf 00 00 00 00 00 00 00 05", "ce 00 00 00 05", "cd 00 05", "cc 05",
        "cd 00 ff", "ce 00 00 ff ff", "cf 00 00 00 00 ff ff ff ff",
        "d0 05", "d3 00 00 00 00 00 00 00 05",   /* positive in the int family */
        "d0 ff", "d1 ff 80", "d2 ff ff 80 00", "d3 ff ff ff ff 80 00 00 00",
        "d9 01 61", "da 00 01 61", "db 00 00 00 01 61", "d9 00",
        "c5 00 01 61", "c6 00 00 00 01 61",
        "dc 00 01 c0", "dd 00 00 00 00", "de 00 01 a1 61 c0", "df 00 00 00 00",
    };
    for (size_t i = 0; i < sizeof noncanon / sizeof noncanon[0]; i++)
        VL_CHECK(s_test_hexparse(noncanon[i], 0, VL_EPROTO,
                                 "non-canonical encoding at byte 0", verbose));
    VL_CHECK(s_test_hexparse("92 05 cc 05", 0, VL_EPROTO, "non-canonical encoding at byte 2", verbose));
    VL_CHECK(s_test_hexparse("81 a1 61 da 00 02 61 62", 0, VL_EPROTO, "non-canonical", verbose));
    VL_CHECK(s_test_hexparse("81 d9 01 61 01", 0, VL_EPROTO, "non-canonical", verbose));
    {
        /* a 31-byte str written as str8 */
        uint8_t s31[33];
        memset(s31, 'x', sizeof s31);
        s31[0] = 0xd9;
        s31[1] = 31;
        VL_CHECK(s_test_parse(s31, sizeof s31, 0, VL_EPROTO, "non-canonical", verbose));
        s31[1] = 0xbf;
        VL_CHECK(s_test_parse(s31 + 1, 32, 0, VL_OK, NULL, verbose));
    }

    /* ---- single-byte mutations of the sample never crash, and whatever is
     * accepted re-encodes to itself (s_test_parse checks that). ---------- */
    if (verbose)
        printf(" * codec: mutations\n");
    {
        static const uint8_t subst[] = { 0x00, 0x01, 0x7f, 0x80, 0x90, 0xa0,
                                         0xc0, 0xc1, 0xcc, 0xd9, 0xdc, 0xde,
                                         0xdf, 0xff };
        uint8_t *m = malloc(sample_len ? sample_len : 1);
        VL_CHECK(m);
        for (size_t k = 0; m && k < sample_len; k++) {
            for (size_t j = 0; j < sizeof subst; j++) {
                memcpy(m, sample, sample_len);
                m[k] = subst[j];
                err[0] = '\0';
                int rc = vl_doc_parse(m, sample_len, 0, &doc, err);
                VL_CHECK(rc == VL_OK || rc == VL_EPROTO || rc == VL_ELIMIT);
                VL_CHECK((rc == VL_OK) == (doc != NULL));
                VL_CHECK(rc == VL_OK || err[0] != '\0');
                VL_CHECK(!strstr(err, "disagrees"));
                if (doc) {
                    vl_wr_reset(w);
                    s_test_rewrite(w, vl_doc_root(doc));
                    VL_CHECK(vl_wr_len(w) == sample_len &&
                             memcmp(vl_wr_data(w), m, sample_len) == 0);
                }
                vl_doc_destroy(&doc);
            }
        }
        free(m);
        vl_wr_reset(w);
    }

    /* err may be NULL; destroy is NULL-safe and idempotent */
    VL_CHECK_RC(vl_doc_parse((const uint8_t *)"\xc1", 1, 0, &doc, NULL), VL_EPROTO);
    VL_CHECK(doc == NULL);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91\x91\x90", 3, 2), VL_ELIMIT);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91\x91\x90", 3, 3), VL_OK);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91", 1, 0), VL_EPROTO);

    free(sample);
    vl_wr_destroy(&w);
    vl_wr_destroy(&w);
    VL_CHECK(w == NULL);
    return VL_TEST_END;
}
