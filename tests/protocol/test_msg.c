/* SPDX-License-Identifier: MIT */
/*
 * test_msg - vl_msg_test, the self-test of vl_msg and vl_msg_encode;
 * run by tests/vl_selftest.c (ctest selftest_msg).
 */
#include "vl_msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_codec.h"
#include "vl_selftests.h"

#include "vl_check.h"

/* Decode expecting rc; returns the message on success (caller destroys). */
static vl_msg_t *
s_dec(const uint8_t *buf, size_t len, int want, const char *want_err, int *fails)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_msg_t *m = NULL;
    int rc = vl_msg_decode(buf, len, &m, err);
    if (rc != want || (rc == VL_OK) != (m != NULL) ||
        (want_err && !strstr(err, want_err))) {
        fprintf(stderr, "vl_msg_test: decode gave %d (%s) \"%s\", want %d \"%s\"\n", rc,
                vl_strerror(rc), err, want, want_err ? want_err : "");
        (*fails)++;
    }
    return m;
}

/* A hand-built map: pairs of key and a packing callback are overkill; the
 * malformed cases build documents with the writer directly. */
static int
s_doc(vl_wr_t *w, uint8_t **out, size_t *len)
{
    int rc = vl_wr_dup(w, out, len);
    vl_wr_reset(w);
    return rc;
}

int
vl_msg_test(bool verbose)
{
    VL_TEST_BEGIN;
    int fails = 0;
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    vl_msg_t *m = NULL;
    vl_wr_t *w = vl_wr_new();
    VL_CHECK(w != NULL);
    if (!w)
        return 1;

    /* ---- hello round trip ------------------------------------------------ */
    vl_hello_t h;
    memset(&h, 0, sizeof h);
    for (size_t i = 0; i < VL_NETID_LEN; i++)
        h.net[i] = (uint8_t)i;
    memset(h.policy, 0xa1, sizeof h.policy);
    memset(h.head, 0xb2, sizeof h.head);
    memset(h.pd, 0xc3, sizeof h.pd);
    h.seq = 123456789012ull;
    h.pn = 17;
    h.pv = 3;
    h.fi = 1700000000;
    h.ev = 1;
    VL_CHECK_RC(vl_msg_encode_hello(&h, &buf, &len), VL_OK);
    VL_CHECK(len > 100 && len <= 200);
    VL_CHECK(len <= VL_MSG_PREHELLO_MAX);
    m = s_dec(buf, len, VL_OK, NULL, &fails);
    VL_CHECK(m && vl_msg_type(m) == VL_MSG_HELLO);
    VL_CHECK(m && vl_msg_hello(m) && memcmp(vl_msg_hello(m), &h, sizeof h) == 0);
    VL_CHECK(m && vl_msg_get_from(m) == 0 && vl_msg_entries_count(m) == 0 &&
             vl_msg_error_text(m) == NULL && vl_msg_have_id(m, 0) == NULL);
    if (verbose)
        printf("hello: %zu bytes\n", len);
    vl_msg_destroy(&m);
    vl_msg_destroy(&m); /* idempotent */

    /* Truncation at every offset, and every single-byte corruption of the
     * type byte positions, never crash and never succeed half-way. */
    for (size_t cut = 0; cut < len; cut++) {
        vl_msg_t *t = NULL;
        int rc = vl_msg_decode(buf, cut, &t, NULL);
        VL_CHECK(rc != VL_OK && t == NULL);
    }
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            vl_msg_t *t = NULL;
            int rc = vl_msg_decode(buf, len, &t, NULL);
            /* A flipped bit inside a hash field still decodes: that is data. */
            if (rc == VL_OK) {
                VL_CHECK(t && vl_msg_type(t) == VL_MSG_HELLO);
            } else {
                VL_CHECK(t == NULL);
            }
            vl_msg_destroy(&t);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(buf);
    buf = NULL;

    /* The largest hello (every number at 2^64-1) is well under the pre-hello
     * limit; the smallest version is 1. */
    {
        vl_hello_t hm = h;
        hm.seq = hm.pn = hm.pv = hm.fi = hm.ev = UINT64_MAX;
        VL_CHECK_RC(vl_msg_encode_hello(&hm, &buf, &len), VL_OK);
        VL_CHECK(len <= 212 && 2 * len <= VL_MSG_PREHELLO_MAX);
        if (verbose)
            printf("largest hello: %zu bytes\n", len);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && memcmp(vl_msg_hello(m), &hm, sizeof hm) == 0);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        /* pv 0 (no such version), and a hello of the first protocol revision
         * (without pv, fi, ev). */
        vl_wr_map(w, 11);
        vl_wr_cstr(w, "ev"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "fi"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "head"); vl_wr_bin(w, h.head, VL_HASH_LEN);
        vl_wr_cstr(w, "net"); vl_wr_bin(w, h.net, VL_NETID_LEN);
        vl_wr_cstr(w, "pd"); vl_wr_bin(w, h.pd, VL_HASH_LEN);
        vl_wr_cstr(w, "pn"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "policy"); vl_wr_bin(w, h.policy, VL_HASH_LEN);
        vl_wr_cstr(w, "pv"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "hello");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"pv\" is 0", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 11);
        vl_wr_cstr(w, "ev"); vl_wr_int(w, -1);
        vl_wr_cstr(w, "fi"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "head"); vl_wr_bin(w, h.head, VL_HASH_LEN);
        vl_wr_cstr(w, "net"); vl_wr_bin(w, h.net, VL_NETID_LEN);
        vl_wr_cstr(w, "pd"); vl_wr_bin(w, h.pd, VL_HASH_LEN);
        vl_wr_cstr(w, "pn"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "policy"); vl_wr_bin(w, h.policy, VL_HASH_LEN);
        vl_wr_cstr(w, "pv"); vl_wr_uint(w, 1);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "hello");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"ev\" is not a uint", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 8);
        vl_wr_cstr(w, "head"); vl_wr_bin(w, h.head, VL_HASH_LEN);
        vl_wr_cstr(w, "net"); vl_wr_bin(w, h.net, VL_NETID_LEN);
        vl_wr_cstr(w, "pd"); vl_wr_bin(w, h.pd, VL_HASH_LEN);
        vl_wr_cstr(w, "pn"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "policy"); vl_wr_bin(w, h.policy, VL_HASH_LEN);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "hello");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "missing key", &fails) });
        free(buf);
        buf = NULL;
    }

    /* ---- get ------------------------------------------------------------------ */
    VL_CHECK_RC(vl_msg_encode_get(5, VL_SYNC_BATCH, &buf, &len), VL_OK);
    m = s_dec(buf, len, VL_OK, NULL, &fails);
    VL_CHECK(m && vl_msg_type(m) == VL_MSG_GET && vl_msg_get_from(m) == 5 &&
             vl_msg_get_max(m) == VL_SYNC_BATCH && vl_msg_hello(m) == NULL);
    vl_msg_destroy(&m);
    free(buf);
    buf = NULL;
    VL_CHECK_RC(vl_msg_encode_get(0, 1, &buf, &len), VL_EINVAL);
    VL_CHECK(buf == NULL);
    VL_CHECK_RC(vl_msg_encode_get(1, 0, &buf, &len), VL_EINVAL);
    VL_CHECK_RC(vl_msg_encode_get(1, VL_SYNC_BATCH + 1, &buf, &len), VL_EINVAL);
    /* Hand-made gets that the encoder refuses to make. */
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "max"); vl_wr_uint(w, VL_SYNC_BATCH + 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "max", &fails) });
    free(buf);
    buf = NULL;
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "from"); vl_wr_uint(w, 0);
    vl_wr_cstr(w, "max"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "from", &fails) });
    free(buf);
    buf = NULL;
    /* Negative "from". */
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "from"); vl_wr_int(w, -1);
    vl_wr_cstr(w, "max"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not a uint", &fails) });
    free(buf);
    buf = NULL;

    /* ---- version, type, keys -------------------------------------------------- */
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "max"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 2);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){
        s_dec(buf, len, VL_EPROTO, "protocol version 2 not supported", &fails) });
    free(buf);
    buf = NULL;
    vl_wr_map(w, 2);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "gossip");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "unknown message type", &fails) });
    free(buf);
    buf = NULL;
    vl_wr_map(w, 1);
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "no str \"t\"", &fails) });
    free(buf);
    buf = NULL;
    vl_wr_map(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"v\"", &fails) });
    free(buf);
    buf = NULL;
    /* Extra key. */
    vl_wr_map(w, 5);
    vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "max"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "x"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "unknown key \"x\"", &fails) });
    free(buf);
    buf = NULL;
    /* Missing key. */
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
    vl_wr_cstr(w, "t"); vl_wr_cstr(w, "get");
    vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "missing key \"max\"", &fails) });
    free(buf);
    buf = NULL;
    /* Not a map; keys out of order (non-canonical); too deep. */
    vl_wr_array(w, 0);
    VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
    vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not a map", &fails) });
    free(buf);
    buf = NULL;
    {
        static const uint8_t unsorted[] = { 0x82, 0xa1, 'v', 0x01, 0xa1, 't', 0xa3, 'g', 'e', 't' };
        vl_msg_destroy(&(vl_msg_t *){ s_dec(unsorted, sizeof unsorted, VL_EPROTO, NULL, &fails) });
        static const uint8_t deep[] = { 0x81, 0xa1, 'e', 0x91, 0x91, 0x90 };
        vl_msg_destroy(&(vl_msg_t *){ s_dec(deep, sizeof deep, VL_ELIMIT, NULL, &fails) });
        /* An array header claiming 2^32-1 elements in 5 bytes. */
        static const uint8_t huge[] = { 0x81, 0xa1, 'e', 0xdd, 0xff, 0xff, 0xff, 0xff };
        vl_msg_destroy(&(vl_msg_t *){ s_dec(huge, sizeof huge, VL_ELIMIT, NULL, &fails) });
        vl_msg_destroy(&(vl_msg_t *){ s_dec(huge, 0, VL_EPROTO, NULL, &fails) });
    }
    /* Oversized frame: refused before parsing. */
    {
        uint8_t *big = calloc(1, VL_MAX_FRAME + 1);
        VL_CHECK(big != NULL);
        if (big)
            vl_msg_destroy(&(vl_msg_t *){ s_dec(big, VL_MAX_FRAME + 1, VL_ELIMIT, "frame", &fails) });
        free(big);
    }

    /* ---- entries ------------------------------------------------------------------ */
    {
        static const uint8_t e1[] = { 1, 2, 3 }, e2[] = { 4 }, e3[] = { 5, 6 };
        const uint8_t *es[] = { e1, e2, e3 };
        size_t el[] = { sizeof e1, sizeof e2, sizeof e3 };
        VL_CHECK_RC(vl_msg_encode_entries(7, 9, es, el, 3, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_ENTRIES && vl_msg_entries_from(m) == 7 &&
                 vl_msg_entries_seq(m) == 9 && vl_msg_entries_count(m) == 3);
        size_t l = 0;
        const uint8_t *p = m ? vl_msg_entry(m, 2, &l) : NULL;
        VL_CHECK(p && l == 2 && p[0] == 5 && p[1] == 6);
        VL_CHECK(m && vl_msg_entry(m, 3, &l) == NULL && l == 0);
        vl_msg_destroy(&m);
        for (size_t cut = 0; cut < len; cut++) {
            vl_msg_t *t = NULL;
            VL_CHECK(vl_msg_decode(buf, cut, &t, NULL) != VL_OK && t == NULL);
        }
        free(buf);
        buf = NULL;
        /* Past the sender's head, from 0, empty entry, too many. */
        VL_CHECK_RC(vl_msg_encode_entries(8, 9, es, el, 3, &buf, &len), VL_EINVAL);
        VL_CHECK_RC(vl_msg_encode_entries(0, 9, es, el, 3, &buf, &len), VL_EINVAL);
        el[1] = 0;
        VL_CHECK_RC(vl_msg_encode_entries(1, 9, es, el, 3, &buf, &len), VL_EINVAL);
        el[1] = 1;
        VL_CHECK_RC(vl_msg_encode_entries(1, 9, es, el, VL_SYNC_BATCH + 1, &buf, &len),
                    VL_ELIMIT);
        /* Empty answer (nothing past the head). */
        VL_CHECK_RC(vl_msg_encode_entries(10, 9, NULL, NULL, 0, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_entries_count(m) == 0 && vl_msg_entries_from(m) == 10);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;

        vl_wr_map(w, 5);
        vl_wr_cstr(w, "e"); vl_wr_array(w, 2); vl_wr_bin(w, e1, 3); vl_wr_bin(w, e1, 3);
        vl_wr_cstr(w, "from"); vl_wr_uint(w, UINT64_MAX);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, UINT64_MAX);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "entries");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "exceed the head", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 5);
        vl_wr_cstr(w, "e"); vl_wr_array(w, 2); vl_wr_bin(w, e1, 3); vl_wr_cstr(w, "x");
        vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, 5);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "entries");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "e[1] is not a bin", &fails) });
        free(buf);
        buf = NULL;
        /* More entries than VL_SYNC_BATCH (tiny ones, so only the count is over). */
        vl_wr_map(w, 5);
        vl_wr_cstr(w, "e");
        vl_wr_array(w, VL_SYNC_BATCH + 1);
        for (size_t i = 0; i < VL_SYNC_BATCH + 1; i++)
            vl_wr_bin(w, e2, 1);
        vl_wr_cstr(w, "from"); vl_wr_uint(w, 1);
        vl_wr_cstr(w, "seq"); vl_wr_uint(w, 5000);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "entries");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "limit", &fails) });
        free(buf);
        buf = NULL;
    }
    /* Total bytes over VL_SYNC_BYTES: four entries of VL_MAX_ENTRY each. */
    {
        uint8_t *big = calloc(1, VL_MAX_ENTRY);
        VL_CHECK(big != NULL);
        if (big) {
            const uint8_t *es[4] = { big, big, big, big };
            size_t el[4] = { VL_MAX_ENTRY, VL_MAX_ENTRY, VL_MAX_ENTRY, VL_MAX_ENTRY };
            VL_CHECK_RC(vl_msg_encode_entries(1, 4, es, el, 4, &buf, &len), VL_ELIMIT);
            VL_CHECK(buf == NULL);
            VL_CHECK_RC(vl_msg_encode_entries(1, 4, es, el, 3, &buf, &len), VL_OK);
            m = s_dec(buf, len, VL_OK, NULL, &fails);
            VL_CHECK(m && vl_msg_entries_count(m) == 3);
            VL_CHECK(len <= VL_MAX_FRAME);
            vl_msg_destroy(&m);
            free(buf);
            buf = NULL;
            /* Entry over VL_MAX_ENTRY. */
            el[0] = VL_MAX_ENTRY + 1;
            VL_CHECK_RC(vl_msg_encode_entries(1, 4, es, el, 1, &buf, &len), VL_EINVAL);
        }
        free(big);
    }

    /* ---- have ------------------------------------------------------------------- */
    {
        uint8_t ids[3][VL_HASH_LEN];
        memset(ids, 0, sizeof ids);
        ids[0][31] = 1;
        ids[1][0] = 2;
        ids[2][0] = 3;
        VL_CHECK_RC(vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])ids, 3, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_HAVE && vl_msg_have_count(m) == 3);
        VL_CHECK(m && vl_msg_have_id(m, 1) && memcmp(vl_msg_have_id(m, 1), ids[1], 32) == 0);
        VL_CHECK(m && vl_msg_have_id(m, 3) == NULL);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])ids, 0, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_have_count(m) == 0);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        memcpy(ids[2], ids[1], VL_HASH_LEN); /* duplicate: not strictly increasing */
        VL_CHECK_RC(vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])ids, 3, &buf, &len),
                    VL_EINVAL);
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "ids"); vl_wr_array(w, 3);
        for (int i = 0; i < 3; i++)
            vl_wr_bin(w, ids[i], VL_HASH_LEN);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "have");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "strictly increasing", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "ids"); vl_wr_array(w, 1); vl_wr_bin(w, ids[0], 31);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "have");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "32 bytes", &fails) });
        free(buf);
        buf = NULL;
        /* VL_MAX_PENDING + 1 ids (the codec's container limit is the same
         * number, so either layer may refuse: both say VL_ELIMIT). */
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "ids"); vl_wr_array(w, VL_MAX_PENDING + 1);
        for (uint32_t i = 0; i < VL_MAX_PENDING + 1; i++) {
            uint8_t id[VL_HASH_LEN] = { 0 };
            id[0] = (uint8_t)(i >> 8);
            id[1] = (uint8_t)i;
            vl_wr_bin(w, id, VL_HASH_LEN);
        }
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "have");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, NULL, &fails) });
        free(buf);
        buf = NULL;
    }

    /* ---- props -------------------------------------------------------------------- */
    {
        static const uint8_t p1[] = { 9, 9 }, r1[] = { 7 };
        const uint8_t *ps[] = { p1 }, *rs[] = { r1, p1 };
        size_t pl[] = { sizeof p1 }, rl[] = { sizeof r1, sizeof p1 };
        VL_CHECK_RC(vl_msg_encode_props(ps, pl, 1, rs, rl, 2, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_PROPS && vl_msg_props_count(m) == 1 &&
                 vl_msg_rejections_count(m) == 2);
        size_t l = 0;
        const uint8_t *p = m ? vl_msg_rejection(m, 1, &l) : NULL;
        VL_CHECK(p && l == 2 && p[0] == 9);
        p = m ? vl_msg_prop(m, 0, &l) : NULL;
        VL_CHECK(p && l == 2);
        VL_CHECK(m && vl_msg_prop(m, 1, &l) == NULL);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_props(NULL, NULL, 0, NULL, NULL, 0, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_props_count(m) == 0 && vl_msg_rejections_count(m) == 0);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 1); vl_wr_bin(w, p1, 0);
        vl_wr_cstr(w, "r"); vl_wr_array(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "props");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "p[0] is empty", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 0);
        vl_wr_cstr(w, "r"); vl_wr_map(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "props");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not an array", &fails) });
        free(buf);
        buf = NULL;
    }

    /* ---- error -------------------------------------------------------------------- */
    VL_CHECK_RC(vl_msg_encode_error(VL_EPERM, "wrong network\n\x1b[31m", &buf, &len), VL_OK);
    m = s_dec(buf, len, VL_OK, NULL, &fails);
    VL_CHECK(m && vl_msg_type(m) == VL_MSG_ERROR && vl_msg_error_code(m) == VL_EPERM);
    VL_CHECK(m && strcmp(vl_msg_error_text(m), "wrong network??[31m") == 0);
    vl_msg_destroy(&m);
    free(buf);
    buf = NULL;
    {
        char longtext[1000];
        memset(longtext, 'x', sizeof longtext - 1);
        longtext[sizeof longtext - 1] = '\0';
        VL_CHECK_RC(vl_msg_encode_error(VL_EPROTO, longtext, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && strlen(vl_msg_error_text(m)) == VL_MSG_ERRTEXT_MAX);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "code"); vl_wr_int(w, -3);
        vl_wr_cstr(w, "msg"); vl_wr_str(w, longtext, VL_MSG_ERRTEXT_MAX + 1);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "error");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "msg", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "code"); vl_wr_int(w, INT64_MIN);
        vl_wr_cstr(w, "msg"); vl_wr_cstr(w, "x");
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "error");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "out of range", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "code"); vl_wr_uint(w, 5);
        vl_wr_cstr(w, "msg"); vl_wr_cstr(w, "x");
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "error");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "out of range", &fails) });
        free(buf);
        buf = NULL;
    }

    /* ---- policies ----------------------------------------------------------------- */
    {
        static const uint8_t d1[] = { 1, 2, 3 }, d2[] = { 4 }, d3[] = { 5, 6 };
        const uint8_t *ds[VL_MAX_POLICY_PUSH + 1];
        size_t dl[VL_MAX_POLICY_PUSH + 1];
        for (size_t i = 0; i <= VL_MAX_POLICY_PUSH; i++) {
            ds[i] = i % 3 == 0 ? d1 : i % 3 == 1 ? d2 : d3;
            dl[i] = i % 3 == 0 ? sizeof d1 : i % 3 == 1 ? sizeof d2 : sizeof d3;
        }
        VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 3, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_POLICIES && vl_msg_policies_count(m) == 3);
        size_t l = 0;
        const uint8_t *p = m ? vl_msg_policy(m, 2, &l) : NULL;
        VL_CHECK(p && l == 2 && p[0] == 5 && p[1] == 6);
        VL_CHECK(m && vl_msg_policy(m, 3, &l) == NULL && l == 0);
        VL_CHECK(m && vl_msg_entries_count(m) == 0 && vl_msg_props_count(m) == 0 &&
                 vl_msg_fresh(m, &l) == NULL && l == 0 && vl_msg_evidence(m, 0, NULL) == NULL);
        vl_msg_destroy(&m);
        for (size_t cut = 0; cut < len; cut++) {
            vl_msg_t *t = NULL;
            VL_CHECK(vl_msg_decode(buf, cut, &t, NULL) != VL_OK && t == NULL);
        }
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_policies(ds, dl, VL_MAX_POLICY_PUSH, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_policies_count(m) == VL_MAX_POLICY_PUSH);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        /* What the encoder refuses: none, too many, an empty document. */
        VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 0, &buf, &len), VL_EINVAL);
        VL_CHECK(buf == NULL);
        VL_CHECK_RC(vl_msg_encode_policies(ds, dl, VL_MAX_POLICY_PUSH + 1, &buf, &len),
                    VL_ELIMIT);
        dl[1] = 0;
        VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 3, &buf, &len), VL_EINVAL);
        dl[1] = 1;
        /* The same, hand-made, for the decoder. */
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"p\" is empty", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "p");
        vl_wr_array(w, VL_MAX_POLICY_PUSH + 1);
        for (size_t i = 0; i <= VL_MAX_POLICY_PUSH; i++)
            vl_wr_bin(w, d1, sizeof d1);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "limit", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 2); vl_wr_bin(w, d1, 3); vl_wr_bin(w, d1, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "p[1] is empty", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 1); vl_wr_cstr(w, "x");
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "p[0] is not a bin", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "p"); vl_wr_bin(w, d1, 3);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not an array", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "p"); vl_wr_array(w, 1); vl_wr_bin(w, d1, 3);
        vl_wr_cstr(w, "r"); vl_wr_array(w, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "unknown key \"r\"", &fails) });
        free(buf);
        buf = NULL;
    }
    /* A document over VL_MAX_POLICY; documents over VL_SYNC_BYTES in all (but
     * within a frame, so that the budget, not the frame limit, refuses them). */
    {
        size_t big_len = VL_MAX_POLICY + 1;
        uint8_t *big = calloc(1, big_len);
        VL_CHECK(big != NULL);
        if (big) {
            const uint8_t *ds[2] = { big, big };
            size_t dl[2] = { big_len, 1 };
            VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 1, &buf, &len), VL_EINVAL);
            vl_wr_map(w, 3);
            vl_wr_cstr(w, "p"); vl_wr_array(w, 1); vl_wr_bin(w, big, big_len);
            vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
            vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
            VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
            vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "p[0] has", &fails) });
            free(buf);
            buf = NULL;
            dl[0] = VL_MAX_POLICY;
            dl[1] = VL_SYNC_BYTES - VL_MAX_POLICY + 1;
            VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 2, &buf, &len), VL_ELIMIT);
            VL_CHECK(buf == NULL);
            vl_wr_map(w, 3);
            vl_wr_cstr(w, "p"); vl_wr_array(w, 2);
            vl_wr_bin(w, big, dl[0]); vl_wr_bin(w, big, dl[1]);
            vl_wr_cstr(w, "t"); vl_wr_cstr(w, "policies");
            vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
            VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
            VL_CHECK(len <= VL_MAX_FRAME);
            vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "bytes of items", &fails) });
            free(buf);
            buf = NULL;
            /* Exactly the budget is fine. */
            dl[1] = VL_SYNC_BYTES - VL_MAX_POLICY;
            VL_CHECK_RC(vl_msg_encode_policies(ds, dl, 2, &buf, &len), VL_OK);
            m = s_dec(buf, len, VL_OK, NULL, &fails);
            VL_CHECK(m && vl_msg_policies_count(m) == 2);
            vl_msg_destroy(&m);
            free(buf);
            buf = NULL;
        }
        free(big);
    }

    /* ---- fresh -------------------------------------------------------------------- */
    {
        uint8_t st[VL_FRESH_MAX + 1];
        for (size_t i = 0; i < sizeof st; i++)
            st[i] = (uint8_t)i;
        VL_CHECK_RC(vl_msg_encode_fresh(st, 250, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        size_t l = 0;
        const uint8_t *p = m ? vl_msg_fresh(m, &l) : NULL;
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_FRESH && p && l == 250 &&
                 memcmp(p, st, 250) == 0);
        VL_CHECK(m && vl_msg_policies_count(m) == 0 && vl_msg_policy(m, 0, &l) == NULL &&
                 l == 0 && vl_msg_evidence(m, 0, &l) == NULL && vl_msg_hello(m) == NULL);
        vl_msg_destroy(&m);
        for (size_t cut = 0; cut < len; cut++) {
            vl_msg_t *t = NULL;
            VL_CHECK(vl_msg_decode(buf, cut, &t, NULL) != VL_OK && t == NULL);
        }
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_fresh(st, VL_FRESH_MAX, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        VL_CHECK(m && vl_msg_fresh(m, &l) && l == VL_FRESH_MAX);
        vl_msg_destroy(&m);
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_fresh(st, 0, &buf, &len), VL_EINVAL);
        VL_CHECK_RC(vl_msg_encode_fresh(st, VL_FRESH_MAX + 1, &buf, &len), VL_EINVAL);
        VL_CHECK(buf == NULL);
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "s"); vl_wr_bin(w, st, VL_FRESH_MAX + 1);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "fresh");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "limit", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "s"); vl_wr_bin(w, st, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "fresh");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"s\" is empty", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "s"); vl_wr_cstr(w, "statement");
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "fresh");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not a bin", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "s"); vl_wr_array(w, 1); vl_wr_bin(w, st, 3);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "fresh");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "not a bin", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "fresh");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "missing key \"s\"", &fails) });
        free(buf);
        buf = NULL;
    }

    /* ---- evidence ----------------------------------------------------------------- */
    {
        static const uint8_t a1[] = { 1, 2, 3 }, b1[] = { 4, 5 };
        VL_CHECK_RC(vl_msg_encode_evidence(a1, sizeof a1, b1, sizeof b1, &buf, &len), VL_OK);
        m = s_dec(buf, len, VL_OK, NULL, &fails);
        size_t la = 0, lb = 0, lx = 7;
        const uint8_t *pa = m ? vl_msg_evidence(m, 0, &la) : NULL;
        const uint8_t *pb = m ? vl_msg_evidence(m, 1, &lb) : NULL;
        VL_CHECK(m && vl_msg_type(m) == VL_MSG_EVIDENCE && pa && pb && la == 3 && lb == 2 &&
                 memcmp(pa, a1, 3) == 0 && memcmp(pb, b1, 2) == 0);
        VL_CHECK(m && vl_msg_evidence(m, 2, &lx) == NULL && lx == 0);
        VL_CHECK(m && vl_msg_evidence(m, -1, NULL) == NULL && vl_msg_fresh(m, NULL) == NULL);
        VL_CHECK(strcmp(vl_msg_type_name(VL_MSG_EVIDENCE), "evidence") == 0 &&
                 strcmp(vl_msg_type_name(VL_MSG_POLICIES), "policies") == 0 &&
                 strcmp(vl_msg_type_name(VL_MSG_FRESH), "fresh") == 0 &&
                 strcmp(vl_msg_type_name((vl_msg_type_t)99), "?") == 0);
        vl_msg_destroy(&m);
        for (size_t cut = 0; cut < len; cut++) {
            vl_msg_t *t = NULL;
            VL_CHECK(vl_msg_decode(buf, cut, &t, NULL) != VL_OK && t == NULL);
        }
        free(buf);
        buf = NULL;
        VL_CHECK_RC(vl_msg_encode_evidence(a1, 0, b1, sizeof b1, &buf, &len), VL_EINVAL);
        VL_CHECK_RC(vl_msg_encode_evidence(a1, sizeof a1, b1, 0, &buf, &len), VL_EINVAL);
        VL_CHECK_RC(vl_msg_encode_evidence(a1, sizeof a1, NULL, 2, &buf, &len), VL_EINVAL);
        VL_CHECK_RC(vl_msg_encode_evidence(a1, VL_MAX_ENTRY + 1, b1, 2, &buf, &len), VL_EINVAL);
        VL_CHECK(buf == NULL);
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "a"); vl_wr_bin(w, a1, 3);
        vl_wr_cstr(w, "b"); vl_wr_bin(w, b1, 0);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "evidence");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"b\" is empty", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 4);
        vl_wr_cstr(w, "a"); vl_wr_uint(w, 3);
        vl_wr_cstr(w, "b"); vl_wr_bin(w, b1, 2);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "evidence");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "\"a\" is not a bin", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 3);
        vl_wr_cstr(w, "a"); vl_wr_bin(w, a1, 3);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "evidence");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "missing key \"b\"", &fails) });
        free(buf);
        buf = NULL;
        vl_wr_map(w, 5);
        vl_wr_cstr(w, "a"); vl_wr_bin(w, a1, 3);
        vl_wr_cstr(w, "b"); vl_wr_bin(w, b1, 2);
        vl_wr_cstr(w, "c"); vl_wr_bin(w, b1, 2);
        vl_wr_cstr(w, "t"); vl_wr_cstr(w, "evidence");
        vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
        VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
        vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_EPROTO, "unknown key \"c\"", &fails) });
        free(buf);
        buf = NULL;
        /* Each entry at its limit is fine; one byte more is refused. */
        uint8_t *big = calloc(1, VL_MAX_ENTRY + 1);
        VL_CHECK(big != NULL);
        if (big) {
            VL_CHECK_RC(vl_msg_encode_evidence(big, VL_MAX_ENTRY, big, VL_MAX_ENTRY, &buf, &len),
                        VL_OK);
            VL_CHECK(len <= VL_MAX_FRAME);
            m = s_dec(buf, len, VL_OK, NULL, &fails);
            VL_CHECK(m && vl_msg_evidence(m, 1, &lb) && lb == VL_MAX_ENTRY);
            vl_msg_destroy(&m);
            free(buf);
            buf = NULL;
            vl_wr_map(w, 4);
            vl_wr_cstr(w, "a"); vl_wr_bin(w, a1, 3);
            vl_wr_cstr(w, "b"); vl_wr_bin(w, big, VL_MAX_ENTRY + 1);
            vl_wr_cstr(w, "t"); vl_wr_cstr(w, "evidence");
            vl_wr_cstr(w, "v"); vl_wr_uint(w, 1);
            VL_CHECK_RC(s_doc(w, &buf, &len), VL_OK);
            vl_msg_destroy(&(vl_msg_t *){ s_dec(buf, len, VL_ELIMIT, "\"b\" has", &fails) });
            free(buf);
            buf = NULL;
        }
        free(big);
    }

    /* Every message type re-encodes to the same bytes it decoded from (the
     * codec's canonical check would refuse anything else): hello twice. */
    VL_CHECK_RC(vl_msg_encode_hello(&h, &buf, &len), VL_OK);
    VL_CHECK_RC(vl_msg_encode_hello(&h, &buf2, &len2), VL_OK);
    VL_CHECK(buf && buf2 && len == len2 && memcmp(buf, buf2, len) == 0);
    free(buf);
    free(buf2);
    buf = buf2 = NULL;

    vl_wr_destroy(&w);
    if (fails)
        vl_test_fails__ += fails;
    return VL_TEST_END;
}
