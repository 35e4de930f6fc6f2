/* SPDX-License-Identifier: MIT */
/*
 * vl_msg_encode - encoders of the sync messages (docs/protocol.md §2).
 *
 * Each encoder checks what vl_msg_decode would refuse (counts, item sizes,
 * byte budgets, error codes and text) before packing, so that what we send
 * always decodes. Keys are packed in canonical order (bytewise, shorter
 * first), which for our keys is the order written below; the self-test
 * decodes what it encodes, so a misordered key shows up as VL_EPROTO there.
 */
#include "vl_msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_msg_int.h"

/* Finish a writer into *out (the writer is destroyed on every path). */
static int
s_finish(vl_wr_t **w_p, uint8_t **out, size_t *len)
{
    int rc = vl_wr_dup(*w_p, out, len);
    vl_wr_destroy(w_p);
    return rc;
}

static void
s_tail(vl_wr_t *w, const char *type)
{
    vl_wr_cstr(w, "t");
    vl_wr_cstr(w, type);
    vl_wr_cstr(w, "v");
    vl_wr_uint(w, VL_PROTO_VERSION);
}

int
vl_msg_encode_hello(const vl_hello_t *h, uint8_t **out, size_t *len)
{
    assert(h && out && len);
    *out = NULL;
    *len = 0;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 11);
    vl_wr_cstr(w, "ev");
    vl_wr_uint(w, h->ev);
    vl_wr_cstr(w, "fi");
    vl_wr_uint(w, h->fi);
    vl_wr_cstr(w, "head");
    vl_wr_bin(w, h->head, VL_HASH_LEN);
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, h->net, VL_NETID_LEN);
    vl_wr_cstr(w, "pd");
    vl_wr_bin(w, h->pd, VL_HASH_LEN);
    vl_wr_cstr(w, "pn");
    vl_wr_uint(w, h->pn);
    vl_wr_cstr(w, "policy");
    vl_wr_bin(w, h->policy, VL_HASH_LEN);
    vl_wr_cstr(w, "pv");
    vl_wr_uint(w, h->pv);
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, h->seq);
    s_tail(w, "hello");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_get(uint64_t from, uint64_t max, uint8_t **out, size_t *len)
{
    assert(out && len);
    *out = NULL;
    *len = 0;
    if (from == 0 || max == 0 || max > VL_SYNC_BATCH)
        return VL_EINVAL;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "from");
    vl_wr_uint(w, from);
    vl_wr_cstr(w, "max");
    vl_wr_uint(w, max);
    s_tail(w, "get");
    return s_finish(&w, out, len);
}

/* Check an item list for the encoders: count, item sizes and byte budget. */
static int
s_check_items(const uint8_t *const *items, const size_t *lens, size_t n, size_t max_n,
              size_t max_item, size_t *budget)
{
    if (n > max_n)
        return VL_ELIMIT;
    for (size_t i = 0; i < n; i++) {
        if (!items[i] || lens[i] == 0 || lens[i] > max_item)
            return VL_EINVAL;
        if (lens[i] > *budget)
            return VL_ELIMIT;
        *budget -= lens[i];
    }
    return VL_OK;
}

static void
s_items(vl_wr_t *w, const uint8_t *const *items, const size_t *lens, size_t n)
{
    vl_wr_array(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        vl_wr_bin(w, items[i], lens[i]);
}

int
vl_msg_encode_entries(uint64_t from, uint64_t seq, const uint8_t *const *e,
                      const size_t *lens, size_t n, uint8_t **out, size_t *len)
{
    assert(out && len && (n == 0 || (e && lens)));
    *out = NULL;
    *len = 0;
    size_t budget = VL_SYNC_BYTES;
    int rc = s_check_items(e, lens, n, VL_SYNC_BATCH, VL_MAX_ENTRY, &budget);
    if (rc != VL_OK)
        return rc;
    if (from == 0 || (n > 0 && (from > seq || (uint64_t)(n - 1) > seq - from)))
        return VL_EINVAL;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 5);
    vl_wr_cstr(w, "e");
    s_items(w, e, lens, n);
    vl_wr_cstr(w, "from");
    vl_wr_uint(w, from);
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, seq);
    s_tail(w, "entries");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_have(const uint8_t (*ids)[VL_HASH_LEN], size_t n, uint8_t **out,
                   size_t *len)
{
    assert(out && len && (n == 0 || ids));
    *out = NULL;
    *len = 0;
    if (n > VL_MAX_PENDING)
        return VL_ELIMIT;
    for (size_t i = 1; i < n; i++)
        if (memcmp(ids[i - 1], ids[i], VL_HASH_LEN) >= 0)
            return VL_EINVAL;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "ids");
    vl_wr_array(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        vl_wr_bin(w, ids[i], VL_HASH_LEN);
    s_tail(w, "have");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_props(const uint8_t *const *p, const size_t *plens, size_t np,
                    const uint8_t *const *r, const size_t *rlens, size_t nr,
                    uint8_t **out, size_t *len)
{
    assert(out && len && (np == 0 || (p && plens)) && (nr == 0 || (r && rlens)));
    *out = NULL;
    *len = 0;
    size_t budget = VL_SYNC_BYTES;
    int rc = s_check_items(p, plens, np, VL_MAX_PENDING, VL_MSG_OBJECT_MAX, &budget);
    if (rc == VL_OK)
        rc = s_check_items(r, rlens, nr, VL_MAX_PENDING, VL_MSG_OBJECT_MAX, &budget);
    if (rc != VL_OK)
        return rc;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "p");
    s_items(w, p, plens, np);
    vl_wr_cstr(w, "r");
    s_items(w, r, rlens, nr);
    s_tail(w, "props");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_policies(const uint8_t *const *docs, const size_t *lens, size_t n,
                       uint8_t **out, size_t *len)
{
    assert(out && len && (n == 0 || (docs && lens)));
    *out = NULL;
    *len = 0;
    if (n == 0)
        return VL_EINVAL;
    size_t budget = VL_SYNC_BYTES;
    int rc = s_check_items(docs, lens, n, VL_MAX_POLICY_PUSH, VL_MAX_POLICY, &budget);
    if (rc != VL_OK)
        return rc;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "p");
    s_items(w, docs, lens, n);
    s_tail(w, "policies");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_fresh(const uint8_t *stmt, size_t slen, uint8_t **out, size_t *len)
{
    assert(out && len);
    *out = NULL;
    *len = 0;
    if (!stmt || slen == 0 || slen > VL_FRESH_MAX)
        return VL_EINVAL;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "s");
    vl_wr_bin(w, stmt, slen);
    s_tail(w, "fresh");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_evidence(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                       uint8_t **out, size_t *len)
{
    assert(out && len);
    *out = NULL;
    *len = 0;
    if (!a || !b || alen == 0 || blen == 0 || alen > VL_MAX_ENTRY || blen > VL_MAX_ENTRY)
        return VL_EINVAL;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "a");
    vl_wr_bin(w, a, alen);
    vl_wr_cstr(w, "b");
    vl_wr_bin(w, b, blen);
    s_tail(w, "evidence");
    return s_finish(&w, out, len);
}

int
vl_msg_encode_error(int code, const char *text, uint8_t **out, size_t *len)
{
    assert(out && len);
    *out = NULL;
    *len = 0;
    char buf[VL_MSG_ERRTEXT_MAX + 1];
    size_t n = 0;
    /* Printable ASCII only: the text is for a log line on the other side and
     * must decode as UTF-8 there whatever we were given. */
    for (const char *s = text ? text : ""; *s && n < VL_MSG_ERRTEXT_MAX; s++)
        buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    buf[n] = '\0';
    if (code < VL_MSG_CODE_MIN || code > VL_MSG_CODE_MAX)
        code = VL_EPROTO;
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "code");
    vl_wr_int(w, code);
    vl_wr_cstr(w, "msg");
    vl_wr_str(w, buf, n);
    s_tail(w, "error");
    return s_finish(&w, out, len);
}
