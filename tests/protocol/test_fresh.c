/* SPDX-License-Identifier: MIT */
/*
 * test_fresh - vl_fresh_test, the self-test of vl_fresh;
 * run by tests/vl_selftest.c (ctest selftest_fresh).
 */
#include "vl_fresh.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_codec.h"
#include "vl_fields.h"
#include "vl_selftests.h"

/* The domain tag of a statement's signed digest (docs/trust.md §3). */
#define S_TAG "valise/fresh/1"

#include "vl_check.h"
#include "vl_testnet.h"

/* Hand-made statements for the refusal cases: what to break. */
enum {
    S_OK = 0,
    S_MISSING,      /* no "seq" */
    S_EXTRA,        /* an extra header key "x" */
    S_TYPE,         /* "type" = "rejection" */
    S_V2,           /* "v" = 2 */
    S_HEAD31,       /* "head" of 31 bytes */
    S_SEQSTR,       /* "seq" is a str */
    S_UNSORTED,     /* header keys out of order (not canonical) */
    S_SIG63,        /* "sig" of 63 bytes */
    S_DOCEXTRA,     /* an extra document key */
    S_NEGSEQ,       /* "seq" is a negative int */
    S_NESTED,       /* "head" is an array */
};

/* Build a statement like s_write but broken as `mode` says, signed by kp
 * over whatever header results (so that only the intended defect shows). */
static int
s_raw(const vl_fresh_t *f, const vl_keypair_t *kp, int mode, uint8_t **out, size_t *len)
{
    vl_wr_t *hdr = vl_wr_new(), *doc = vl_wr_new();
    int rc = VL_ENOMEM;
    if (!hdr || !doc)
        goto out;
    uint32_t n = 9;
    if (mode == S_MISSING)
        n--;
    if (mode == S_EXTRA)
        n++;
    vl_wr_map(hdr, n);
    if (mode == S_UNSORTED) {
        vl_wr_cstr(hdr, "head");
        vl_wr_bin(hdr, f->head, VL_HASH_LEN);
        vl_wr_cstr(hdr, "expires");
        vl_wr_uint(hdr, f->expires);
    } else {
        vl_wr_cstr(hdr, "expires");
        vl_wr_uint(hdr, f->expires);
        vl_wr_cstr(hdr, "head");
        if (mode == S_NESTED) {
            vl_wr_array(hdr, 1);
            vl_wr_bin(hdr, f->head, VL_HASH_LEN);
        } else {
            vl_wr_bin(hdr, f->head, mode == S_HEAD31 ? VL_HASH_LEN - 1 : VL_HASH_LEN);
        }
    }
    vl_wr_cstr(hdr, "issued");
    vl_wr_uint(hdr, f->issued);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, f->net, VL_NETID_LEN);
    vl_wr_cstr(hdr, "node");
    vl_wr_bin(hdr, f->node, VL_PK_LEN);
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, f->policy);
    if (mode != S_MISSING) {
        vl_wr_cstr(hdr, "seq");
        if (mode == S_SEQSTR)
            vl_wr_cstr(hdr, "1");
        else if (mode == S_NEGSEQ)
            vl_wr_int(hdr, -1);
        else
            vl_wr_uint(hdr, f->seq);
    }
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, mode == S_TYPE ? "rejection" : "fresh");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, mode == S_V2 ? 2 : 1);
    if (mode == S_EXTRA) {
        vl_wr_cstr(hdr, "x");
        vl_wr_uint(hdr, 0);
    }
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    uint8_t digest[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash(digest, S_TAG, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_sign(kp, digest, sig);
    vl_wr_map(doc, mode == S_DOCEXTRA ? 3 : 2);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "sig");
    vl_wr_bin(doc, sig, mode == S_SIG63 ? sizeof sig - 1 : sizeof sig);
    if (mode == S_DOCEXTRA) {
        vl_wr_cstr(doc, "x");
        vl_wr_nil(doc);
    }
    rc = vl_wr_dup(doc, out, len);
out:
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&doc);
    return rc;
}

/* Parse expecting want (and, if given, a substring of the detail). */
static void
s_expect(const vl_policy_t *pol, const uint8_t *buf, size_t len, int want,
         const char *want_err, int *fails)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_fresh_t got;
    memset(&got, 0xee, sizeof got);
    int rc = vl_fresh_parse(pol, buf, len, &got, err);
    vl_fresh_t zero;
    memset(&zero, 0, sizeof zero);
    if (rc != want || (want_err && !strstr(err, want_err)) ||
        (rc != VL_OK && memcmp(&got, &zero, sizeof got) != 0)) {
        fprintf(stderr, "vl_fresh_test: parse gave %d (%s) \"%s\", want %d \"%s\"\n", rc,
                vl_strerror(rc), err, want, want_err ? want_err : "");
        (*fails)++;
    }
}

/* A raw statement broken as mode says must be refused with want. */
static void
s_expect_raw(const vl_policy_t *pol, const vl_fresh_t *f, const vl_keypair_t *kp, int mode,
             int want, const char *want_err, int *fails)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (s_raw(f, kp, mode, &buf, &len) != VL_OK) {
        fprintf(stderr, "vl_fresh_test: cannot build case %d\n", mode);
        (*fails)++;
        return;
    }
    s_expect(pol, buf, len, want, want_err, fails);
    free(buf);
}

/* The test network's genesis plus a fresh key (the node): a second policy
 * built here, so the shared testnet genesis (and the vectors) stay as they are. */
static int
s_fresh_policy(vl_testnet_t *t, vl_policy_t **out)
{
    int rc;
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *u = NULL, *one = NULL, *two = NULL;
    size_t ul = 0, onel = 0, twol = 0;
    vl_policy_builder_t *b = vl_policy_builder_new();
    *out = NULL;
    if (!b)
        return VL_ENOMEM;
    if ((rc = vl_policy_builder_set(b, "valise fresh test network", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "Secretariat A",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a2), "Secretariat B",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(t->node), "Vienna node",
                                    NULL, err)) ||
        (rc = vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node))) ||
        (rc = vl_policy_builder_finish(b, 1700000000, &u, &ul, err)) ||
        (rc = vl_policy_sign(u, ul, t->a1, &one, &onel, err)) ||
        (rc = vl_policy_sign(one, onel, t->a2, &two, &twol, err)) ||
        (rc = vl_policy_parse(two, twol, 0, out, err)))
        fprintf(stderr, "vl_fresh_test: policy with a fresh key: %s: %s\n", vl_strerror(rc),
                err);
    vl_policy_builder_destroy(&b);
    free(u);
    free(one);
    free(two);
    return rc;
}

int
vl_fresh_test(bool verbose)
{
    VL_TEST_BEGIN;
    int fails = 0;
    vl_testnet_t t;
    vl_policy_t *pol = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[VL_ERRMSG_MAX] = "";
    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    VL_CHECK_RC(s_fresh_policy(&t, &pol), VL_OK);
    if (!pol) {
        vl_testnet_fini(&t);
        return 1;
    }
    VL_CHECK(vl_policy_fresh(pol) &&
             memcmp(vl_policy_fresh(pol), vl_keypair_pk(t.node), VL_PK_LEN) == 0);
    VL_CHECK(vl_policy_fresh(t.pol) == NULL);

    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(t.node), VL_PK_LEN);
    f.policy = 1;
    f.seq = 42;
    memset(f.head, 0x5a, sizeof f.head);
    f.issued = 1700000000;
    f.expires = f.issued + 86400;

    /* ---- round trip ------------------------------------------------------- */
    VL_CHECK_RC(vl_fresh_make(&f, t.node, &buf, &len, err), VL_OK);
    VL_CHECK(buf && len > 0 && len <= VL_FRESH_MAX);
    if (verbose)
        printf("fresh: statement of %zu bytes\n", len);
    {
        vl_fresh_t got;
        VL_CHECK_RC(vl_fresh_parse(pol, buf, len, &got, err), VL_OK);
        VL_CHECK(memcmp(&got, &f, sizeof f) == 0);
        VL_CHECK_RC(vl_fresh_parse(pol, buf, len, NULL, err), VL_OK);
        /* Deterministic: Ed25519 signatures are, so the bytes are too. */
        uint8_t *again = NULL;
        size_t alen = 0;
        VL_CHECK_RC(vl_fresh_make(&f, t.node, &again, &alen, err), VL_OK);
        VL_CHECK(again && alen == len && memcmp(again, buf, len) == 0);
        free(again);
        /* The hand-made writer agrees with the real one byte for byte. */
        VL_CHECK_RC(s_raw(&f, t.node, S_OK, &again, &alen), VL_OK);
        VL_CHECK(again && alen == len && memcmp(again, buf, len) == 0);
        free(again);
    }

    /* ---- truncation at every offset, every flipped bit, a trailing byte ---- */
    for (size_t cut = 0; cut < len; cut++) {
        vl_fresh_t got;
        VL_CHECK(vl_fresh_parse(pol, buf, cut, &got, NULL) != VL_OK);
    }
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            int rc = vl_fresh_parse(pol, buf, len, NULL, NULL);
            if (rc == VL_OK)
                fprintf(stderr, "vl_fresh_test: flipped bit %d of byte %zu accepted\n", bit, i);
            VL_CHECK(rc != VL_OK);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    {
        uint8_t *longer = malloc(len + 1);
        VL_CHECK(longer != NULL);
        if (longer) {
            memcpy(longer, buf, len);
            longer[len] = 0xc0;
            s_expect(pol, longer, len + 1, VL_EPROTO, NULL, &fails);
            free(longer);
        }
        s_expect(pol, buf, 0, VL_EPROTO, NULL, &fails);
    }
    /* The signature byte flipped is a bad signature, nothing else. */
    buf[len - 1] ^= 1;
    s_expect(pol, buf, len, VL_EAUTH, "bad signature", &fails);
    buf[len - 1] ^= 1;
    free(buf);
    buf = NULL;

    /* ---- what make refuses ------------------------------------------------ */
    {
        vl_fresh_t g = f;
        VL_CHECK_RC(vl_fresh_make(&g, t.a1, &buf, &len, err), VL_EINVAL); /* node != kp */
        VL_CHECK(buf == NULL && len == 0);
        g.expires = g.issued;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_EINVAL);
        g.expires = g.issued - 1;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_EINVAL);
        g.expires = g.issued + VL_FRESH_MAX_TTL + 1;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_EINVAL);
        g.issued = UINT64_MAX - 10; /* no overflow in the bound */
        g.expires = 5;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_EINVAL);
        g = f;
        g.policy = 0;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_EINVAL);
        VL_CHECK(buf == NULL);
        /* The longest validity and the largest numbers are fine. */
        g = f;
        g.expires = g.issued + VL_FRESH_MAX_TTL;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_OK);
        s_expect(pol, buf, len, VL_OK, NULL, &fails);
        free(buf);
        buf = NULL;
        g.issued = UINT64_MAX - 1;
        g.expires = UINT64_MAX;
        g.seq = UINT64_MAX;
        VL_CHECK_RC(vl_fresh_make(&g, t.node, &buf, &len, err), VL_OK);
        VL_CHECK(len <= VL_FRESH_MAX);
        s_expect(pol, buf, len, VL_OK, NULL, &fails);
        free(buf);
        buf = NULL;
    }

    /* ---- what parse refuses (each signed properly, one defect each) -------- */
    {
        vl_fresh_t g = f;
        /* Another network. */
        g.net[0] ^= 1;
        s_expect_raw(pol, &g, t.node, S_OK, VL_ECHAIN, "another network", &fails);
        g = f;
        /* A policy version we do not have yet; version 0. */
        g.policy = 2;
        s_expect_raw(pol, &g, t.node, S_OK, VL_ENOTFOUND, "adopt it first", &fails);
        g.policy = 0;
        s_expect_raw(pol, &g, t.node, S_OK, VL_EPROTO, "policy version 0", &fails);
        g = f;
        /* Signed by a member that is not the fresh key, by an outsider. */
        memcpy(g.node, vl_keypair_pk(t.a1), VL_PK_LEN);
        s_expect_raw(pol, &g, t.a1, S_OK, VL_EPERM, "not the policy's freshness key", &fails);
        memcpy(g.node, vl_keypair_pk(t.outsider), VL_PK_LEN);
        s_expect_raw(pol, &g, t.outsider, S_OK, VL_EPERM, NULL, &fails);
        g = f;
        /* A policy without a fresh key (same network as the statement). */
        memcpy(g.net, vl_policy_net(t.pol), VL_NETID_LEN);
        s_expect_raw(t.pol, &g, t.node, S_OK, VL_EPERM, "no freshness key", &fails);
        g = f;
        /* Names the fresh key but signed by another key. */
        s_expect_raw(pol, &g, t.a1, S_OK, VL_EAUTH, "bad signature", &fails);
        /* Times. */
        g.expires = g.issued;
        s_expect_raw(pol, &g, t.node, S_OK, VL_EPROTO, "expires", &fails);
        g.expires = g.issued - 1;
        s_expect_raw(pol, &g, t.node, S_OK, VL_EPROTO, "expires", &fails);
        g.expires = g.issued + VL_FRESH_MAX_TTL + 1;
        s_expect_raw(pol, &g, t.node, S_OK, VL_EPROTO, "expires", &fails);
        g.issued = UINT64_MAX;
        g.expires = 1;
        s_expect_raw(pol, &g, t.node, S_OK, VL_EPROTO, "expires", &fails);
        g = f;
        /* Form. */
        s_expect_raw(pol, &g, t.node, S_MISSING, VL_EPROTO, "seq", &fails);
        s_expect_raw(pol, &g, t.node, S_EXTRA, VL_EPROTO, "\"x\"", &fails);
        s_expect_raw(pol, &g, t.node, S_TYPE, VL_EPROTO, "type", &fails);
        s_expect_raw(pol, &g, t.node, S_V2, VL_EPROTO, "version 2", &fails);
        s_expect_raw(pol, &g, t.node, S_HEAD31, VL_EPROTO, "head", &fails);
        s_expect_raw(pol, &g, t.node, S_SEQSTR, VL_EPROTO, "seq", &fails);
        s_expect_raw(pol, &g, t.node, S_NEGSEQ, VL_EPROTO, "seq", &fails);
        s_expect_raw(pol, &g, t.node, S_UNSORTED, VL_EPROTO, NULL, &fails);
        s_expect_raw(pol, &g, t.node, S_SIG63, VL_EPROTO, "sig", &fails);
        s_expect_raw(pol, &g, t.node, S_DOCEXTRA, VL_EPROTO, "\"x\"", &fails);
        s_expect_raw(pol, &g, t.node, S_NESTED, VL_ELIMIT, NULL, &fails);
        /* Not a map; a bare bin; too long. */
        static const uint8_t arr[] = { 0x92, 0xc4, 0x01, 0x00, 0xc4, 0x01, 0x00 };
        s_expect(pol, arr, sizeof arr, VL_EPROTO, "not a map", &fails);
        static const uint8_t bin[] = { 0xc4, 0x01, 0x00 };
        s_expect(pol, bin, sizeof bin, VL_EPROTO, "not a map", &fails);
        uint8_t *big = calloc(1, VL_FRESH_MAX + 1);
        VL_CHECK(big != NULL);
        if (big)
            s_expect(pol, big, VL_FRESH_MAX + 1, VL_ELIMIT, "limit", &fails);
        free(big);
    }

    vl_policy_destroy(&pol);
    vl_testnet_fini(&t);
    if (fails)
        vl_test_fails__ += fails;
    return VL_TEST_END;
}
