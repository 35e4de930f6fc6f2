/* SPDX-License-Identifier: MIT */
/*
 * vl_bundle - the bundle and want files (docs/formats.md §11). The contract
 * is in vl_bundle.h; every byte read here is hostile and goes through
 * vl_codec before anything looks at it.
 */
#include "vl_bundle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_entry.h"
#include "vl_envelope.h"
#include "vl_fields.h"

/* Depth of every bundle map: header > counts > uint. */
#define S_DEPTH 3u
/* A trailer is 122..130 bytes (n takes 1..9); the reader looks this far. */
#define S_TRAILER_MAX 256u

static const char *const s_kind[VL_BK_N] = {
    "policy", "entry", "fresh", "evidence", "proposal", "rejection",
};
/* The "counts" keys in canonical (bytewise) order, and their kinds. */
static const char *const s_count_keys[VL_BK_N + 1] = {
    "entry", "evidence", "fresh", "policy", "proposal", "rejection", NULL,
};
static const vl_bkind_t s_count_kind[VL_BK_N] = {
    VL_BK_ENTRY, VL_BK_EVIDENCE, VL_BK_FRESH, VL_BK_POLICY, VL_BK_PROPOSAL, VL_BK_REJECTION,
};
static const char *const s_hdr_keys[] = {
    "counts", "from", "maker", "name", "net", "policy", "time", "to", "type", "v", NULL,
};
static const char *const s_item_keys[] = { "b", "k", NULL };
static const char *const s_ev_keys[] = { "a", "b", "k", NULL };
static const char *const s_end_keys[] = { "hash", "n", "sig", "type", NULL };
static const char *const s_want_keys[] = {
    "fresh", "hash", "head", "net", "policy", "time", "type", "v", NULL,
};

const char *
vl_bundle_kind_name(vl_bkind_t k)
{
    return (unsigned)k < VL_BK_N ? s_kind[k] : "?";
}

static void
s_be32_put(uint8_t p[4], uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
s_be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Largest object of a kind (the bin in an item). */
static size_t
s_max_obj(vl_bkind_t k)
{
    switch (k) {
    case VL_BK_POLICY: return VL_MAX_POLICY;
    case VL_BK_FRESH: return VL_FRESH_MAX;
    default: return VL_MAX_ENTRY; /* entries, evidence halves, proposals, rejections */
    }
}

/* ---- writer -------------------------------------------------------------------- */

struct vl_bundle_wr {
    FILE *f;
    vl_hash_t h;
    vl_wr_t *w;
    uint8_t maker[VL_PK_LEN];
    uint64_t want[VL_BK_N], have[VL_BK_N];
    int last;          /* the kind of the last object, -1 before the first */
    uint64_t items;    /* items written, the header included */
    uint64_t size;     /* bytes written */
};

/* One item: the length prefix and the writer's bytes; hashed unless trailer. */
static int
s_put_item(vl_bundle_wr_t *w, bool hash, char *err)
{
    int rc = vl_wr_status(w->w);
    if (rc != VL_OK)
        return vl_err(err, rc, "bundle: %s", vl_strerror(rc));
    size_t len = vl_wr_len(w->w);
    if (len == 0 || len > VL_MAX_BUNDLE_ITEM)
        return vl_err(err, VL_ELIMIT, "bundle: an item of %zu bytes (limit %u)", len,
                      VL_MAX_BUNDLE_ITEM);
    uint8_t pre[4];
    s_be32_put(pre, (uint32_t)len);
    if (hash) {
        vl_hash_update(&w->h, pre, sizeof pre);
        vl_hash_update(&w->h, vl_wr_data(w->w), len);
    }
    if (fwrite(pre, 1, sizeof pre, w->f) != sizeof pre ||
        fwrite(vl_wr_data(w->w), 1, len, w->f) != len)
        return vl_err(err, VL_EIO, "bundle: write failed");
    w->size += sizeof pre + len;
    w->items++;
    vl_wr_reset(w->w);
    return VL_OK;
}

int
vl_bundle_wr_start(FILE *f, const vl_bundle_hdr_t *h, vl_bundle_wr_t **out, char *err)
{
    assert(f && h && out);
    *out = NULL;
    uint64_t total = 0;
    size_t nlen = strnlen(h->name, sizeof h->name);
    for (int k = 0; k < VL_BK_N; k++) {
        if (h->counts[k] > VL_MAX_BUNDLE_ITEMS)
            return vl_err(err, VL_EINVAL, "bundle: too many objects");
        total += h->counts[k];
    }
    if (total > VL_MAX_BUNDLE_ITEMS - 2)
        return vl_err(err, VL_EINVAL, "bundle: %llu objects (limit %u)",
                      (unsigned long long)total, VL_MAX_BUNDLE_ITEMS - 2);
    if (h->counts[VL_BK_ENTRY] ? (h->from == 0 || h->to < h->from ||
                                  h->to - h->from + 1 != h->counts[VL_BK_ENTRY])
                               : (h->from || h->to))
        return vl_err(err, VL_EINVAL, "bundle: entry range %llu..%llu does not match %llu "
                      "entries", (unsigned long long)h->from, (unsigned long long)h->to,
                      (unsigned long long)h->counts[VL_BK_ENTRY]);
    if (nlen == 0 || nlen > VL_MAX_NAME || h->policy == 0 || h->counts[VL_BK_FRESH] > 1)
        return vl_err(err, VL_EINVAL, "bundle: bad header (name, policy or statements)");
    vl_bundle_wr_t *w = calloc(1, sizeof *w);
    if (!w || !(w->w = vl_wr_new())) {
        free(w);
        return VL_ENOMEM;
    }
    w->f = f;
    w->last = -1;
    memcpy(w->maker, h->maker, VL_PK_LEN);
    memcpy(w->want, h->counts, sizeof w->want);
    vl_hash_init(&w->h, VL_BUNDLE_TAG);
    uint8_t pre[VL_BUNDLE_PREFIX];
    memcpy(pre, VL_BUNDLE_MAGIC, 8);
    s_be32_put(pre + 8, VL_BUNDLE_FORMAT);
    vl_hash_update(&w->h, pre, sizeof pre);
    int rc;
    if (fwrite(pre, 1, sizeof pre, f) != sizeof pre) {
        rc = vl_err(err, VL_EIO, "bundle: write failed");
        goto out;
    }
    w->size = sizeof pre;
    vl_wr_t *m = w->w;
    vl_wr_map(m, 10);
    vl_wr_cstr(m, "counts");
    vl_wr_map(m, VL_BK_N);
    for (int i = 0; i < VL_BK_N; i++) {
        vl_wr_cstr(m, s_count_keys[i]);
        vl_wr_uint(m, h->counts[s_count_kind[i]]);
    }
    vl_wr_cstr(m, "from");
    vl_wr_uint(m, h->from);
    vl_wr_cstr(m, "maker");
    vl_wr_bin(m, h->maker, VL_PK_LEN);
    vl_wr_cstr(m, "name");
    vl_wr_str(m, h->name, nlen);
    vl_wr_cstr(m, "net");
    vl_wr_bin(m, h->net, VL_NETID_LEN);
    vl_wr_cstr(m, "policy");
    vl_wr_uint(m, h->policy);
    vl_wr_cstr(m, "time");
    vl_wr_uint(m, h->time);
    vl_wr_cstr(m, "to");
    vl_wr_uint(m, h->to);
    vl_wr_cstr(m, "type");
    vl_wr_cstr(m, "bundle");
    vl_wr_cstr(m, "v");
    vl_wr_uint(m, VL_BUNDLE_FORMAT);
    rc = s_put_item(w, true, err);
out:
    if (rc == VL_OK)
        *out = w;
    else
        vl_bundle_wr_destroy(&w);
    return rc;
}

int
vl_bundle_wr_add(vl_bundle_wr_t *w, vl_bkind_t k, const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen, char *err)
{
    assert(w && a);
    if ((unsigned)k >= VL_BK_N || (int)k < w->last || w->have[k] >= w->want[k])
        return vl_err(err, VL_EINVAL, "bundle: a %s out of order or beyond the header's "
                      "counts", vl_bundle_kind_name(k));
    if ((k == VL_BK_EVIDENCE) != (b != NULL))
        return vl_err(err, VL_EINVAL, "bundle: only evidence carries two objects");
    if (alen == 0 || alen > s_max_obj(k) || (b && (blen == 0 || blen > s_max_obj(k))))
        return vl_err(err, VL_ELIMIT, "bundle: a %s of %zu bytes", vl_bundle_kind_name(k),
                      alen);
    vl_wr_t *m = w->w;
    vl_wr_map(m, b ? 3 : 2);
    if (b) {
        vl_wr_cstr(m, "a");
        vl_wr_bin(m, a, alen);
        vl_wr_cstr(m, "b");
        vl_wr_bin(m, b, blen);
    } else {
        vl_wr_cstr(m, "b");
        vl_wr_bin(m, a, alen);
    }
    vl_wr_cstr(m, "k");
    vl_wr_cstr(m, s_kind[k]);
    int rc = s_put_item(w, true, err);
    if (rc == VL_OK) {
        w->have[k]++;
        w->last = (int)k;
    }
    return rc;
}

int
vl_bundle_wr_finish(vl_bundle_wr_t *w, const vl_keypair_t *kp, uint64_t *size, char *err)
{
    assert(w && kp);
    if (memcmp(w->have, w->want, sizeof w->have) != 0)
        return vl_err(err, VL_EINVAL, "bundle: fewer objects than the header counts");
    if (memcmp(vl_keypair_pk(kp), w->maker, VL_PK_LEN) != 0)
        return vl_err(err, VL_EINVAL, "bundle: the signing key is not the header's maker");
    uint8_t hash[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash_final(&w->h, hash);
    vl_sign(kp, hash, sig);
    vl_wr_t *m = w->w;
    vl_wr_map(m, 4);
    vl_wr_cstr(m, "hash");
    vl_wr_bin(m, hash, sizeof hash);
    vl_wr_cstr(m, "n");
    vl_wr_uint(m, w->items);
    vl_wr_cstr(m, "sig");
    vl_wr_bin(m, sig, sizeof sig);
    vl_wr_cstr(m, "type");
    vl_wr_cstr(m, "end");
    int rc = s_put_item(w, false, err);
    if (rc == VL_OK && fflush(w->f) != 0)
        rc = vl_err(err, VL_EIO, "bundle: write failed");
    if (rc == VL_OK && size)
        *size = w->size;
    return rc;
}

void
vl_bundle_wr_destroy(vl_bundle_wr_t **w)
{
    if (!w || !*w)
        return;
    vl_wr_destroy(&(*w)->w);
    free(*w);
    *w = NULL;
}

/* ---- reader -------------------------------------------------------------------- */

typedef struct {
    uint8_t kind;
    size_t a, alen, b, blen; /* offsets into the buffer */
} s_item_t;

struct vl_bundle {
    const uint8_t *buf;
    vl_bundle_hdr_t hdr;
    uint8_t hash[VL_HASH_LEN];
    s_item_t *items;
    size_t n;
};

/* A bin inside an item document, as an offset into the file: canonical
 * documents re-encode to their own bytes, so a value sits at the same
 * offset in the codec's copy as in the file. */
static int
s_bin_off(const vl_doc_t *doc, vl_val_t map, const char *key, size_t base, size_t max,
          size_t *off, size_t *len, char *err)
{
    const uint8_t *p;
    size_t dlen;
    int rc = vl_field_bin(map, key, &p, len, max, "bundle item", err);
    if (rc != VL_OK)
        return rc;
    *off = base + (size_t)(p - vl_doc_bytes(doc, &dlen));
    return VL_OK;
}

static int
s_parse_hdr(vl_bundle_t *self, const uint8_t *p, size_t len, char *err)
{
    vl_doc_t *doc = NULL;
    vl_bundle_hdr_t *h = &self->hdr;
    uint64_t v;
    vl_val_t counts;
    int rc = vl_doc_parse(p, len, S_DEPTH, &doc, err);
    if (rc != VL_OK)
        goto out;
    vl_val_t m = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(m, s_hdr_keys, NULL, "bundle header", err)) != VL_OK ||
        (rc = vl_field_streq(m, "type", "bundle", "bundle header", err)) != VL_OK ||
        (rc = vl_field_uint(m, "v", &v, "bundle header", err)) != VL_OK)
        goto out;
    if (v != VL_BUNDLE_FORMAT) {
        rc = vl_err(err, VL_EPROTO, "bundle header: version %llu (the file says %u)",
                    (unsigned long long)v, VL_BUNDLE_FORMAT);
        goto out;
    }
    counts = vl_val_get(m, "counts");
    if ((rc = vl_field_bin_exact(m, "net", h->net, VL_NETID_LEN, "bundle header", err)) ||
        (rc = vl_field_bin_exact(m, "maker", h->maker, VL_PK_LEN, "bundle header", err)) ||
        (rc = vl_field_str(m, "name", h->name, sizeof h->name, "bundle header", err)) ||
        (rc = vl_field_uint(m, "time", &h->time, "bundle header", err)) ||
        (rc = vl_field_uint(m, "policy", &h->policy, "bundle header", err)) ||
        (rc = vl_field_uint(m, "from", &h->from, "bundle header", err)) ||
        (rc = vl_field_uint(m, "to", &h->to, "bundle header", err)) ||
        (rc = vl_val_map_keys(counts, s_count_keys, NULL, "bundle counts", err)))
        goto out;
    for (int i = 0; i < VL_BK_N; i++)
        if ((rc = vl_field_uint(counts, s_count_keys[i], &h->counts[s_count_kind[i]],
                                "bundle counts", err)) != VL_OK)
            goto out;
    uint64_t ne = h->counts[VL_BK_ENTRY];
    if (h->policy == 0 ||
        (ne ? (h->from == 0 || h->to < h->from || h->to - h->from + 1 != ne)
            : (h->from || h->to)) ||
        h->counts[VL_BK_FRESH] > 1) {
        rc = vl_err(err, VL_EPROTO, "bundle header: inconsistent (policy %llu, entries "
                    "%llu..%llu, %llu entries, %llu statements)", (unsigned long long)h->policy,
                    (unsigned long long)h->from, (unsigned long long)h->to,
                    (unsigned long long)ne, (unsigned long long)h->counts[VL_BK_FRESH]);
        goto out;
    }
out:
    vl_doc_destroy(&doc);
    return rc;
}

/* Object item at off (payload of len bytes); prev_kind keeps the order. */
static int
s_parse_obj(vl_bundle_t *self, size_t idx, size_t off, size_t len, char *err)
{
    vl_doc_t *doc = NULL;
    s_item_t *it = &self->items[idx];
    char kind[16];
    int rc = vl_doc_parse(self->buf + off, len, S_DEPTH, &doc, err);
    if (rc != VL_OK)
        goto out;
    vl_val_t m = vl_doc_root(doc);
    if ((rc = vl_field_str(m, "k", kind, sizeof kind, "bundle item", err)) != VL_OK)
        goto out;
    int k = -1;
    for (int i = 0; i < VL_BK_N; i++)
        if (strcmp(kind, s_kind[i]) == 0)
            k = i;
    if (k < 0) {
        rc = vl_err(err, VL_EPROTO, "bundle item %zu: unknown kind", idx + 1);
        goto out;
    }
    it->kind = (uint8_t)k;
    if (k == VL_BK_EVIDENCE) {
        if ((rc = vl_val_map_keys(m, s_ev_keys, NULL, "bundle evidence", err)) != VL_OK ||
            (rc = s_bin_off(doc, m, "a", off, VL_MAX_ENTRY, &it->a, &it->alen, err)) ||
            (rc = s_bin_off(doc, m, "b", off, VL_MAX_ENTRY, &it->b, &it->blen, err)))
            goto out;
    } else {
        if ((rc = vl_val_map_keys(m, s_item_keys, NULL, "bundle item", err)) != VL_OK ||
            (rc = s_bin_off(doc, m, "b", off, s_max_obj((vl_bkind_t)k), &it->a, &it->alen,
                            err)))
            goto out;
    }
out:
    vl_doc_destroy(&doc);
    return rc;
}

/* Find the trailer from the end: the last L bytes whose prefix says L and
 * that decode as {"type": "end"}. */
static int
s_find_trailer(const uint8_t *buf, size_t len, size_t *toff, vl_doc_t **tdoc)
{
    for (size_t l = 1; l <= S_TRAILER_MAX && l + 4 + VL_BUNDLE_PREFIX <= len; l++) {
        size_t off = len - l - 4;
        if (s_be32_get(buf + off) != l)
            continue;
        vl_doc_t *doc = NULL;
        if (vl_doc_parse(buf + off + 4, l, S_DEPTH, &doc, NULL) != VL_OK)
            continue;
        if (vl_val_streq(vl_val_get(vl_doc_root(doc), "type"), "end")) {
            *toff = off;
            *tdoc = doc;
            return VL_OK;
        }
        vl_doc_destroy(&doc);
    }
    return VL_ENOTFOUND;
}

int
vl_bundle_parse(const uint8_t *buf, size_t len, vl_bundle_t **out, char *err)
{
    assert(out && (buf || len == 0));
    *out = NULL;
    vl_bundle_t *self = NULL;
    vl_doc_t *tdoc = NULL;
    size_t toff = 0, cap = 0;
    uint64_t n = 0;
    uint8_t sig[VL_SIG_LEN], hash[VL_HASH_LEN];
    int rc;
    if (len == 0 || memcmp(buf, VL_BUNDLE_MAGIC, len < 8 ? len : 8) != 0)
        return vl_err(err, VL_EPROTO, "not a bundle (bad magic)");
    if (len < VL_BUNDLE_PREFIX)
        return vl_err(err, VL_EPROTO, "bundle truncated at byte %zu", len);
    if (s_be32_get(buf + 8) != VL_BUNDLE_FORMAT)
        return vl_err(err, VL_EPROTO, "bundle format version %u is not supported (this "
                      "build reads version %u)", s_be32_get(buf + 8), VL_BUNDLE_FORMAT);
    if (len > VL_MAX_BUNDLE_FILE)
        return vl_err(err, VL_ELIMIT, "bundle of %zu bytes (limit %llu)", len,
                      (unsigned long long)VL_MAX_BUNDLE_FILE);
    if (s_find_trailer(buf, len, &toff, &tdoc) != VL_OK) {
        /* No trailer at the end: cut short, or damaged at the very end.
         * Walk the framing to say which. */
        size_t off = VL_BUNDLE_PREFIX;
        while (off + 4 <= len) {
            uint32_t l = s_be32_get(buf + off);
            if (l == 0 || l > VL_MAX_BUNDLE_ITEM)
                return vl_err(err, VL_EPROTO, "bundle damaged: the item at byte %zu has "
                              "length %u (1..%u)", off, l, VL_MAX_BUNDLE_ITEM);
            if (l > len - off - 4)
                break;
            vl_doc_t *doc = NULL;
            bool end = l <= S_TRAILER_MAX &&
                       vl_doc_parse(buf + off + 4, l, S_DEPTH, &doc, NULL) == VL_OK &&
                       vl_val_streq(vl_val_get(vl_doc_root(doc), "type"), "end");
            vl_doc_destroy(&doc);
            off += 4 + (size_t)l;
            if (end)
                return vl_err(err, VL_EPROTO, "bundle has %zu byte%s after its trailer (at "
                              "byte %zu): refused", len - off, len - off == 1 ? "" : "s", off);
        }
        return vl_err(err, VL_EPROTO, "bundle truncated at byte %zu (no trailer)", len);
    }
    vl_val_t t = vl_doc_root(tdoc);
    if ((rc = vl_val_map_keys(t, s_end_keys, NULL, "bundle trailer", err)) != VL_OK ||
        (rc = vl_field_uint(t, "n", &n, "bundle trailer", err)) != VL_OK ||
        (rc = vl_field_bin_exact(t, "hash", hash, VL_HASH_LEN, "bundle trailer", err)) ||
        (rc = vl_field_bin_exact(t, "sig", sig, VL_SIG_LEN, "bundle trailer", err)))
        goto out;
    {
        uint8_t want[VL_HASH_LEN];
        vl_hash(want, VL_BUNDLE_TAG, buf, toff);
        if (memcmp(want, hash, VL_HASH_LEN) != 0) {
            rc = vl_err(err, VL_EAUTH, "bundle damaged: its bytes do not match the hash in "
                        "its trailer");
            goto out;
        }
    }
    /* Every item takes at least 5 bytes (a length and one byte): a trailer
     * that claims more items than the bytes before it can hold is refused
     * before anything is allocated for them. */
    if (n < 1 || n > VL_MAX_BUNDLE_ITEMS - 1 || n > (toff - VL_BUNDLE_PREFIX) / 5) {
        rc = vl_err(err, VL_EPROTO, "bundle trailer: %llu items", (unsigned long long)n);
        goto out;
    }
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->buf = buf;
    memcpy(self->hash, hash, VL_HASH_LEN);
    /* The framing, up to the trailer; item 0 is the header. */
    size_t off = VL_BUNDLE_PREFIX;
    uint64_t idx = 0;
    uint64_t seen[VL_BK_N] = { 0 };
    int last = -1;
    uint64_t next_seq = 0, next_pv = 0;
    while (off < toff) {
        if (toff - off < 4) {
            rc = vl_err(err, VL_EPROTO, "bundle: framing broken at byte %zu", off);
            goto out;
        }
        uint32_t l = s_be32_get(buf + off);
        if (l == 0 || l > VL_MAX_BUNDLE_ITEM || l > toff - off - 4) {
            rc = vl_err(err, VL_EPROTO, "bundle: item %llu at byte %zu has length %u",
                        (unsigned long long)idx, off, l);
            goto out;
        }
        if (idx >= n) {
            rc = vl_err(err, VL_EPROTO, "bundle: more items than the trailer's %llu",
                        (unsigned long long)n);
            goto out;
        }
        size_t p = off + 4;
        off = p + l;
        if (idx++ == 0) {
            if ((rc = s_parse_hdr(self, buf + p, l, err)) != VL_OK)
                goto out;
            if (vl_verify(self->hdr.maker, hash, sig) != VL_OK) {
                char kid[2 * VL_KID_LEN + 1];
                vl_kid(self->hdr.maker, kid);
                rc = vl_err(err, VL_EAUTH, "bundle signature does not verify (maker %s)", kid);
                goto out;
            }
            uint64_t total = 0;
            for (int k = 0; k < VL_BK_N; k++)
                total += self->hdr.counts[k] > n ? n : self->hdr.counts[k]; /* no wrap */
            if (total != n - 1 || self->hdr.counts[VL_BK_ENTRY] > n) {
                rc = vl_err(err, VL_EPROTO, "bundle: the header counts %llu objects, the "
                            "trailer %llu", (unsigned long long)total,
                            (unsigned long long)(n - 1));
                goto out;
            }
            cap = (size_t)total;
            if (cap && !(self->items = calloc(cap, sizeof *self->items))) {
                rc = VL_ENOMEM;
                goto out;
            }
            next_seq = self->hdr.from;
            continue;
        }
        size_t i = self->n;
        if (i >= cap) {
            rc = vl_err(err, VL_EPROTO, "bundle: more objects than the header counts");
            goto out;
        }
        if ((rc = s_parse_obj(self, i, p, l, err)) != VL_OK)
            goto out;
        s_item_t *it = &self->items[i];
        if ((int)it->kind < last || ++seen[it->kind] > self->hdr.counts[it->kind]) {
            rc = vl_err(err, VL_EPROTO, "bundle item %zu: a %s out of order or beyond the "
                        "header's counts", i + 1, s_kind[it->kind]);
            goto out;
        }
        last = it->kind;
        self->n++;
        if (it->kind == VL_BK_ENTRY) {
            vl_entry_head_t eh;
            if ((rc = vl_entry_peek(buf + it->a, it->alen, &eh, err)) != VL_OK)
                goto out;
            if (eh.seq != next_seq) {
                rc = vl_err(err, VL_EPROTO, "bundle item %zu: entry %llu where entry %llu "
                            "belongs (entries are consecutive from the header's %llu)", i + 1,
                            (unsigned long long)eh.seq, (unsigned long long)next_seq,
                            (unsigned long long)self->hdr.from);
                goto out;
            }
            next_seq++;
        } else if (it->kind == VL_BK_POLICY) {
            uint64_t pv = 0;
            if ((rc = vl_envelope_peek_uint(buf + it->a, it->alen, "version", &pv, err)) !=
                VL_OK)
                goto out;
            if (pv == 0 || (next_pv && pv != next_pv) || pv > self->hdr.policy) {
                rc = vl_err(err, VL_EPROTO, "bundle item %zu: policy version %llu out of "
                            "order", i + 1, (unsigned long long)pv);
                goto out;
            }
            next_pv = pv + 1;
        }
    }
    if (idx != n || self->n != cap) {
        rc = vl_err(err, VL_EPROTO, "bundle: %llu items, the trailer says %llu",
                    (unsigned long long)idx, (unsigned long long)n);
        goto out;
    }
    if (self->hdr.counts[VL_BK_POLICY] && next_pv - 1 != self->hdr.policy) {
        rc = vl_err(err, VL_EPROTO, "bundle: the newest policy version carried is %llu, the "
                    "header says %llu", (unsigned long long)(next_pv - 1),
                    (unsigned long long)self->hdr.policy);
        goto out;
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_doc_destroy(&tdoc);
    vl_bundle_destroy(&self);
    return rc;
}

void
vl_bundle_destroy(vl_bundle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->items);
    free(*self_p);
    *self_p = NULL;
}

const vl_bundle_hdr_t *
vl_bundle_hdr(const vl_bundle_t *self)
{
    assert(self);
    return &self->hdr;
}

size_t
vl_bundle_count(const vl_bundle_t *self)
{
    assert(self);
    return self->n;
}

const uint8_t *
vl_bundle_hash(const vl_bundle_t *self)
{
    assert(self);
    return self->hash;
}

void
vl_bundle_item(const vl_bundle_t *self, size_t i, vl_bundle_item_t *out)
{
    assert(self && out && i < self->n);
    const s_item_t *it = &self->items[i];
    out->kind = (vl_bkind_t)it->kind;
    out->a = self->buf + it->a;
    out->alen = it->alen;
    out->b = it->kind == VL_BK_EVIDENCE ? self->buf + it->b : NULL;
    out->blen = it->kind == VL_BK_EVIDENCE ? it->blen : 0;
}

/* ---- want files ------------------------------------------------------------------ */

int
vl_want_write(const vl_want_t *w, uint8_t **out, size_t *len)
{
    assert(w && out && len);
    *out = NULL;
    *len = 0;
    vl_wr_t *m = vl_wr_new();
    if (!m)
        return VL_ENOMEM;
    vl_wr_map(m, 8);
    vl_wr_cstr(m, "fresh");
    vl_wr_uint(m, w->fresh);
    vl_wr_cstr(m, "hash");
    vl_wr_bin(m, w->hash, VL_HASH_LEN);
    vl_wr_cstr(m, "head");
    vl_wr_uint(m, w->head);
    vl_wr_cstr(m, "net");
    vl_wr_bin(m, w->net, VL_NETID_LEN);
    vl_wr_cstr(m, "policy");
    vl_wr_uint(m, w->policy);
    vl_wr_cstr(m, "time");
    vl_wr_uint(m, w->time);
    vl_wr_cstr(m, "type");
    vl_wr_cstr(m, "want");
    vl_wr_cstr(m, "v");
    vl_wr_uint(m, VL_BUNDLE_FORMAT);
    int rc = vl_wr_status(m);
    size_t ml = vl_wr_len(m);
    uint8_t *b = rc == VL_OK ? malloc(VL_BUNDLE_PREFIX + 4 + ml) : NULL;
    if (rc == VL_OK && !b)
        rc = VL_ENOMEM;
    if (rc == VL_OK) {
        memcpy(b, VL_WANT_MAGIC, 8);
        s_be32_put(b + 8, VL_BUNDLE_FORMAT);
        s_be32_put(b + 12, (uint32_t)ml);
        memcpy(b + 16, vl_wr_data(m), ml);
        *out = b;
        *len = VL_BUNDLE_PREFIX + 4 + ml;
    }
    vl_wr_destroy(&m);
    return rc;
}

int
vl_want_parse(const uint8_t *buf, size_t len, vl_want_t *out, char *err)
{
    assert(out && (buf || len == 0));
    memset(out, 0, sizeof *out);
    vl_doc_t *doc = NULL;
    vl_want_t w;
    uint64_t v;
    int rc;
    if (len > VL_MAX_WANT_FILE)
        return vl_err(err, VL_ELIMIT, "want file of %zu bytes (limit %u)", len,
                      VL_MAX_WANT_FILE);
    if (len < 8 || memcmp(buf, VL_WANT_MAGIC, 8) != 0)
        return vl_err(err, VL_EPROTO, "not a want file (bad magic)");
    if (len < VL_BUNDLE_PREFIX + 4)
        return vl_err(err, VL_EPROTO, "want file truncated at byte %zu", len);
    if (s_be32_get(buf + 8) != VL_BUNDLE_FORMAT)
        return vl_err(err, VL_EPROTO, "want file format version %u is not supported",
                      s_be32_get(buf + 8));
    if (s_be32_get(buf + 12) != len - 16)
        return vl_err(err, VL_EPROTO, "want file: length %u, but %zu bytes follow",
                      s_be32_get(buf + 12), len - 16);
    memset(&w, 0, sizeof w);
    if ((rc = vl_doc_parse(buf + 16, len - 16, S_DEPTH, &doc, err)) != VL_OK)
        goto out;
    vl_val_t m = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(m, s_want_keys, NULL, "want", err)) != VL_OK ||
        (rc = vl_field_streq(m, "type", "want", "want", err)) != VL_OK ||
        (rc = vl_field_uint(m, "v", &v, "want", err)) != VL_OK ||
        (rc = vl_field_uint(m, "fresh", &w.fresh, "want", err)) != VL_OK ||
        (rc = vl_field_bin_exact(m, "hash", w.hash, VL_HASH_LEN, "want", err)) != VL_OK ||
        (rc = vl_field_uint(m, "head", &w.head, "want", err)) != VL_OK ||
        (rc = vl_field_bin_exact(m, "net", w.net, VL_NETID_LEN, "want", err)) != VL_OK ||
        (rc = vl_field_uint(m, "policy", &w.policy, "want", err)) != VL_OK ||
        (rc = vl_field_uint(m, "time", &w.time, "want", err)) != VL_OK)
        goto out;
    if (v != VL_BUNDLE_FORMAT || w.policy == 0) {
        rc = vl_err(err, VL_EPROTO, "want: version %llu, policy %llu", (unsigned long long)v,
                    (unsigned long long)w.policy);
        goto out;
    }
    *out = w;
out:
    vl_doc_destroy(&doc);
    return rc;
}
