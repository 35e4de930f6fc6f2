/* SPDX-License-Identifier: MIT */
/*
 * test_bundle - vl_bundle_test, the self-test of the bundle reader and
 * writer (protocol/vl_bundle.c, docs/formats.md §11); run by
 * tests/vl_selftest.c (ctest selftest_bundle).
 *
 * A bundle written by the writer reads back exactly; then hostile files:
 * every truncation, a flipped bit at every byte, bad magic, another version,
 * trailing bytes, a header that lies about its counts or range, entries out
 * of order, an unknown kind, a bad maker signature (the last three built by
 * hand and signed, so that only the rule under test fails), and want files.
 */
#include "vl_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_check.h"
#include "vl_codec.h"
#include "vl_change.h"
#include "vl_entry.h"
#include "vl_record.h"
#include "vl_selftests.h"
#include "vl_testnet.h"

/* An unsigned entry at seq (vl_entry_peek reads its header; the reader
 * judges nothing more). */
static int
s_entry(const vl_testnet_t *tn, uint64_t seq, uint8_t **out, size_t *len)
{
    uint8_t prev[VL_HASH_LEN], root[VL_HASH_LEN];
    uint8_t *body = NULL, *prop = NULL;
    size_t blen = 0, plen = 0;
    char err[VL_ERRMSG_MAX] = "";
    vl_record_t *rec = NULL;
    vl_op_t op;
    memset(prev, (int)seq, sizeof prev);
    memset(root, 0x52, sizeof root);
    memset(&op, 0, sizeof op);
    int rc = vl_testnet_authority("MU-01", "MU", "+230 5550 1234", &body, &blen);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, err);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    const uint8_t *bodies[1] = { body };
    if (rc == VL_OK)
        rc = vl_proposal_make(tn->pol, tn->mu, tn->ckey, 1700000000 + seq, &op, bodies, &blen,
                              1, &prop, &plen, err);
    if (rc == VL_OK)
        rc = vl_entry_make(tn->pol, seq, prev, prop, plen, root, 1700000000, out, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "bundle test: entry: %s\n", err);
    vl_record_destroy(&rec);
    free(body);
    free(prop);
    return rc;
}

/* Write a bundle of: the genesis, entries 1..3, a statement, evidence
 * (entries 1 and 2 as placeholders), a proposal and a rejection. */
static int
s_make(const vl_testnet_t *tn, const vl_keypair_t *maker, const vl_keypair_t *signer,
       uint8_t **out, size_t *len)
{
    uint8_t *e[3] = { NULL, NULL, NULL };
    size_t el[3];
    vl_bundle_wr_t *w = NULL;
    char err[VL_ERRMSG_MAX] = "";
    FILE *f = tmpfile();
    uint64_t size = 0;
    int rc = f ? VL_OK : VL_EIO;
    for (int i = 0; rc == VL_OK && i < 3; i++)
        rc = s_entry(tn, (uint64_t)i + 1, &e[i], &el[i]);
    vl_bundle_hdr_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.net, vl_policy_net(tn->pol), VL_NETID_LEN);
    snprintf(h.name, sizeof h.name, "%s", vl_policy_name(tn->pol));
    memcpy(h.maker, vl_keypair_pk(maker), VL_PK_LEN);
    h.time = 1700000000;
    h.policy = 1;
    h.from = 1;
    h.to = 3;
    h.counts[VL_BK_POLICY] = 1;
    h.counts[VL_BK_ENTRY] = 3;
    h.counts[VL_BK_FRESH] = 1;
    h.counts[VL_BK_EVIDENCE] = 1;
    h.counts[VL_BK_PROPOSAL] = 1;
    h.counts[VL_BK_REJECTION] = 1;
    const uint8_t st[] = { 0xf1 }, pr[] = { 0xf2, 0xf3 }, rj[] = { 0xf4 };
    if (rc == VL_OK)
        rc = vl_bundle_wr_start(f, &h, &w, err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_add(w, VL_BK_POLICY, tn->genesis, tn->genesis_len, NULL, 0, err);
    for (int i = 0; rc == VL_OK && i < 3; i++)
        rc = vl_bundle_wr_add(w, VL_BK_ENTRY, e[i], el[i], NULL, 0, err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_add(w, VL_BK_FRESH, st, sizeof st, NULL, 0, err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_add(w, VL_BK_EVIDENCE, e[0], el[0], e[1], el[1], err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_add(w, VL_BK_PROPOSAL, pr, sizeof pr, NULL, 0, err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_add(w, VL_BK_REJECTION, rj, sizeof rj, NULL, 0, err);
    if (rc == VL_OK)
        rc = vl_bundle_wr_finish(w, signer, &size, err);
    if (rc == VL_OK) {
        *len = (size_t)size;
        *out = malloc(*len);
        if (!*out || fseek(f, 0, SEEK_SET) != 0 || fread(*out, 1, *len, f) != *len)
            rc = VL_EIO;
    }
    vl_bundle_wr_destroy(&w);
    for (int i = 0; i < 3; i++)
        free(e[i]);
    if (f)
        fclose(f);
    return rc;
}

/* A hand-made bundle: magic, version, the given item maps (already encoded),
 * then a trailer with the right hash, n = nitems, signed by kp. */
static uint64_t s_claim; /* the trailer's n when not 0 (a lie) */

static int
s_hand(const vl_keypair_t *kp, const uint8_t *const *items, const size_t *lens, size_t n,
       uint8_t **out, size_t *len)
{
    size_t cap = 12 + 200;
    for (size_t i = 0; i < n; i++)
        cap += 4 + lens[i];
    uint8_t *b = malloc(cap);
    if (!b)
        return VL_ENOMEM;
    memcpy(b, "VALISEBD\0\0\0\1", 12);
    size_t off = 12;
    for (size_t i = 0; i < n; i++) {
        b[off] = (uint8_t)(lens[i] >> 24);
        b[off + 1] = (uint8_t)(lens[i] >> 16);
        b[off + 2] = (uint8_t)(lens[i] >> 8);
        b[off + 3] = (uint8_t)lens[i];
        memcpy(b + off + 4, items[i], lens[i]);
        off += 4 + lens[i];
    }
    uint8_t hash[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash(hash, VL_BUNDLE_TAG, b, off);
    vl_sign(kp, hash, sig);
    vl_wr_t *w = vl_wr_new();
    if (!w) {
        free(b);
        return VL_ENOMEM;
    }
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "hash");
    vl_wr_bin(w, hash, sizeof hash);
    vl_wr_cstr(w, "n");
    vl_wr_uint(w, s_claim ? s_claim : n);
    vl_wr_cstr(w, "sig");
    vl_wr_bin(w, sig, sizeof sig);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "end");
    size_t tl = vl_wr_len(w);
    b[off] = 0;
    b[off + 1] = 0;
    b[off + 2] = (uint8_t)(tl >> 8);
    b[off + 3] = (uint8_t)tl;
    memcpy(b + off + 4, vl_wr_data(w), tl);
    *len = off + 4 + tl;
    *out = b;
    vl_wr_destroy(&w);
    return VL_OK;
}

/* A header map with the given entry range and counts (others 0). */
static int
s_hdr(const vl_testnet_t *tn, const vl_keypair_t *maker, uint64_t from, uint64_t to,
      uint64_t entries, uint64_t proposals, uint8_t **out, size_t *len)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 10);
    vl_wr_cstr(w, "counts");
    vl_wr_map(w, 6);
    vl_wr_cstr(w, "entry");
    vl_wr_uint(w, entries);
    vl_wr_cstr(w, "evidence");
    vl_wr_uint(w, 0);
    vl_wr_cstr(w, "fresh");
    vl_wr_uint(w, 0);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, 0);
    vl_wr_cstr(w, "proposal");
    vl_wr_uint(w, proposals);
    vl_wr_cstr(w, "rejection");
    vl_wr_uint(w, 0);
    vl_wr_cstr(w, "from");
    vl_wr_uint(w, from);
    vl_wr_cstr(w, "maker");
    vl_wr_bin(w, vl_keypair_pk(maker), VL_PK_LEN);
    vl_wr_cstr(w, "name");
    vl_wr_cstr(w, "t");
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, vl_policy_net(tn->pol), VL_NETID_LEN);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, 1);
    vl_wr_cstr(w, "time");
    vl_wr_uint(w, 1);
    vl_wr_cstr(w, "to");
    vl_wr_uint(w, to);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "bundle");
    vl_wr_cstr(w, "v");
    vl_wr_uint(w, 1);
    int rc = vl_wr_dup(w, out, len);
    vl_wr_destroy(&w);
    return rc;
}

static int
s_obj(const char *kind, const uint8_t *b, size_t blen, uint8_t **out, size_t *len)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 2);
    vl_wr_cstr(w, "b");
    vl_wr_bin(w, b, blen);
    vl_wr_cstr(w, "k");
    vl_wr_cstr(w, kind);
    int rc = vl_wr_dup(w, out, len);
    vl_wr_destroy(&w);
    return rc;
}

/* Parse buf and expect rc with err containing want. */
static bool
s_refused(const uint8_t *buf, size_t len, int want_rc, const char *want, bool verbose)
{
    vl_bundle_t *b = NULL;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_bundle_parse(buf, len, &b, err);
    vl_bundle_destroy(&b);
    if (verbose)
        fprintf(stderr, "  refused: %s\n", err);
    bool ok = rc == want_rc && strstr(err, want) != NULL;
    if (!ok)
        fprintf(stderr, "bundle test: want %d /%s/, got %d: %s\n", want_rc, want, rc, err);
    return ok;
}

int
vl_bundle_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    uint8_t *buf = NULL, *copy = NULL, *hand = NULL, *it[4] = { NULL, NULL, NULL, NULL };
    size_t len = 0, hlen = 0, il[4];
    vl_bundle_t *b = NULL;
    char err[VL_ERRMSG_MAX] = "";
    VL_CHECK_RC(vl_testnet_init(&tn), VL_OK);

    /* ---- round trip --------------------------------------------------------------- */
    VL_CHECK_RC(s_make(&tn, tn.node, tn.node, &buf, &len), VL_OK);
    VL_CHECK_RC(vl_bundle_parse(buf, len, &b, err), VL_OK);
    if (b) {
        const vl_bundle_hdr_t *h = vl_bundle_hdr(b);
        VL_CHECK(memcmp(h->maker, vl_keypair_pk(tn.node), VL_PK_LEN) == 0);
        VL_CHECK(h->from == 1 && h->to == 3 && h->policy == 1 && h->time == 1700000000);
        VL_CHECK(strcmp(h->name, vl_policy_name(tn.pol)) == 0);
        VL_CHECK(vl_bundle_count(b) == 8);
        vl_bundle_item_t x;
        vl_bundle_item(b, 0, &x);
        VL_CHECK(x.kind == VL_BK_POLICY && x.alen == tn.genesis_len &&
                 memcmp(x.a, tn.genesis, x.alen) == 0 && x.b == NULL);
        vl_bundle_item(b, 5, &x);
        VL_CHECK(x.kind == VL_BK_EVIDENCE && x.b != NULL && x.blen > 0);
        vl_bundle_item(b, 7, &x);
        VL_CHECK(x.kind == VL_BK_REJECTION && x.alen == 1 && x.a[0] == 0xf4);
    }
    vl_bundle_destroy(&b);

    /* The writer refuses a signer that is not the header's maker, and kinds
     * out of order or beyond the counts. */
    {
        uint8_t *o = NULL;
        size_t ol = 0;
        VL_CHECK_RC(s_make(&tn, tn.node, tn.a1, &o, &ol), VL_EINVAL);
        free(o);
        vl_bundle_hdr_t h;
        memset(&h, 0, sizeof h);
        snprintf(h.name, sizeof h.name, "x");
        h.policy = 1;
        h.counts[VL_BK_PROPOSAL] = 1;
        FILE *f = tmpfile();
        vl_bundle_wr_t *w = NULL;
        const uint8_t p[] = { 1 };
        VL_CHECK(f != NULL);
        if (f) {
            VL_CHECK_RC(vl_bundle_wr_start(f, &h, &w, err), VL_OK);
            if (w) {
                VL_CHECK_RC(vl_bundle_wr_add(w, VL_BK_REJECTION, p, 1, NULL, 0, err), VL_EINVAL);
                VL_CHECK_RC(vl_bundle_wr_add(w, VL_BK_PROPOSAL, p, 1, NULL, 0, err), VL_OK);
                VL_CHECK_RC(vl_bundle_wr_add(w, VL_BK_PROPOSAL, p, 1, NULL, 0, err), VL_EINVAL);
                VL_CHECK_RC(vl_bundle_wr_finish(w, tn.a1, NULL, err), VL_EINVAL); /* maker 0 */
            }
            vl_bundle_wr_destroy(&w);
            h.from = 1; /* a range without entries */
            VL_CHECK_RC(vl_bundle_wr_start(f, &h, &w, err), VL_EINVAL);
            fclose(f);
        }
    }

    /* ---- hostile files ------------------------------------------------------------- */
    VL_CHECK(s_refused(buf, 0, VL_EPROTO, "bad magic", verbose));
    VL_CHECK(s_refused((const uint8_t *)"VALISE", 6, VL_EPROTO, "truncated at byte 6", verbose));
    VL_CHECK(s_refused((const uint8_t *)"PK\3\4abcdefghijkl", 16, VL_EPROTO, "bad magic", verbose));
    VL_CHECK((copy = malloc(len + 1)) != NULL);
    if (copy && buf) {
        /* Every truncation is refused, as truncated (or, cut inside the
         * magic, as such), never accepted. */
        size_t bad = 0;
        for (size_t n = 0; n < len; n++) {
            vl_bundle_t *t = NULL;
            err[0] = '\0';
            int rc = vl_bundle_parse(buf, n, &t, err);
            vl_bundle_destroy(&t);
            if (rc == VL_OK || (n >= 12 && !strstr(err, "truncated at byte"))) {
                fprintf(stderr, "bundle test: cut at %zu: %s\n", n, err);
                bad++;
            }
        }
        VL_CHECK(bad == 0);
        /* A flipped bit at every byte: refused, never a crash. */
        bad = 0;
        for (size_t i = 0; i < len; i++) {
            memcpy(copy, buf, len);
            copy[i] ^= (uint8_t)(1u << (i % 8));
            vl_bundle_t *t = NULL;
            int rc = vl_bundle_parse(copy, len, &t, err);
            vl_bundle_destroy(&t);
            if (rc == VL_OK) {
                fprintf(stderr, "bundle test: a flipped bit at byte %zu of %zu was accepted\n",
                        i, len);
                bad++;
            }
        }
        VL_CHECK(bad == 0);
        /* A flip in an object is the hash's to catch. */
        memcpy(copy, buf, len);
        copy[len / 2] ^= 0x01;
        VL_CHECK(s_refused(copy, len, VL_EAUTH, "bundle damaged", verbose));
        memcpy(copy, buf, len);
        copy[11] = 2;
        VL_CHECK(s_refused(copy, len, VL_EPROTO, "version 2 is not supported", verbose));
        memcpy(copy, buf, len);
        copy[len] = 0;
        VL_CHECK(s_refused(copy, len + 1, VL_EPROTO, "1 byte after its trailer", verbose));
    }

    /* Hand-made bundles, correctly hashed and signed: only the rule under
     * test fails. */
    uint8_t *e1 = NULL, *e3 = NULL;
    size_t e1l = 0, e3l = 0;
    VL_CHECK_RC(s_entry(&tn, 1, &e1, &e1l), VL_OK);
    VL_CHECK_RC(s_entry(&tn, 3, &e3, &e3l), VL_OK);
    if (e1 && e3) {
        /* Entries 1 then 3 under a header that says 1..2. */
        VL_CHECK_RC(s_hdr(&tn, tn.node, 1, 2, 2, 0, &it[0], &il[0]), VL_OK);
        VL_CHECK_RC(s_obj("entry", e1, e1l, &it[1], &il[1]), VL_OK);
        VL_CHECK_RC(s_obj("entry", e3, e3l, &it[2], &il[2]), VL_OK);
        VL_CHECK_RC(s_hand(tn.node, (const uint8_t *const *)it, il, 3, &hand, &hlen), VL_OK);
        VL_CHECK(s_refused(hand, hlen, VL_EPROTO, "entry 3 where entry 2 belongs", verbose));
        free(hand);
        hand = NULL;
        /* Signed by another key than the header's maker. */
        VL_CHECK_RC(s_hand(tn.a1, (const uint8_t *const *)it, il, 3, &hand, &hlen), VL_OK);
        VL_CHECK(s_refused(hand, hlen, VL_EAUTH, "signature does not verify", verbose));
        free(hand);
        hand = NULL;
        for (int i = 0; i < 4; i++) {
            free(it[i]);
            it[i] = NULL;
        }
        /* An unknown kind. */
        const uint8_t x[] = { 9 };
        VL_CHECK_RC(s_hdr(&tn, tn.node, 0, 0, 0, 1, &it[0], &il[0]), VL_OK);
        VL_CHECK_RC(s_obj("gossip", x, sizeof x, &it[1], &il[1]), VL_OK);
        VL_CHECK_RC(s_hand(tn.node, (const uint8_t *const *)it, il, 2, &hand, &hlen), VL_OK);
        VL_CHECK(s_refused(hand, hlen, VL_EPROTO, "unknown kind", verbose));
        free(hand);
        hand = NULL;
        free(it[1]);
        /* Counts that lie: the header says 1 proposal, there are 2. */
        VL_CHECK_RC(s_obj("proposal", x, sizeof x, &it[1], &il[1]), VL_OK);
        VL_CHECK_RC(s_obj("proposal", x, sizeof x, &it[2], &il[2]), VL_OK);
        VL_CHECK_RC(s_hand(tn.node, (const uint8_t *const *)it, il, 3, &hand, &hlen), VL_OK);
        VL_CHECK(s_refused(hand, hlen, VL_EPROTO, "the header counts 1 objects", verbose));
        free(hand);
        hand = NULL;
        /* A trailer (and header) claiming 16 million items in a few
         * hundred bytes: refused before anything is allocated for them. */
        s_claim = VL_MAX_BUNDLE_ITEMS - 1;
        VL_CHECK_RC(s_hand(tn.node, (const uint8_t *const *)it, il, 3, &hand, &hlen), VL_OK);
        s_claim = 0;
        VL_CHECK(s_refused(hand, hlen, VL_EPROTO, "bundle trailer: 16777215 items", verbose));
        free(hand);
        hand = NULL;
        /* Right counts, wrong range: entries 0..0 with a proposal. */
        free(it[0]);
        VL_CHECK_RC(s_hdr(&tn, tn.node, 5, 5, 0, 2, &it[0], &il[0]), VL_OK);
        VL_CHECK_RC(s_hand(tn.node, (const uint8_t *const *)it, il, 3, &hand, &hlen), VL_OK);
        VL_CHECK(s_refused(hand, hlen, VL_EPROTO, "inconsistent", verbose));
        free(hand);
        hand = NULL;
    }
    free(e1);
    free(e3);

    /* ---- want files ------------------------------------------------------------------- */
    {
        vl_want_t w, back;
        uint8_t *wb = NULL;
        size_t wl = 0;
        memset(&w, 0, sizeof w);
        memset(w.net, 7, sizeof w.net);
        w.head = 42;
        memset(w.hash, 9, sizeof w.hash);
        w.policy = 3;
        w.fresh = 5;
        w.time = 6;
        VL_CHECK_RC(vl_want_write(&w, &wb, &wl), VL_OK);
        VL_CHECK_RC(vl_want_parse(wb, wl, &back, err), VL_OK);
        VL_CHECK(memcmp(&w, &back, sizeof w) == 0);
        if (wb) {
            VL_CHECK_RC(vl_want_parse(wb, wl - 1, &back, err), VL_EPROTO);
            if (buf)
                VL_CHECK_RC(vl_want_parse(buf, 16, &back, err), VL_EPROTO); /* a bundle */
            wb[wl - 1] = 2; /* "v": 2 */
            VL_CHECK_RC(vl_want_parse(wb, wl, &back, err), VL_EPROTO);
        }
        free(wb);
    }

    for (int i = 0; i < 4; i++)
        free(it[i]);
    free(hand);
    free(copy);
    free(buf);
    vl_testnet_fini(&tn);
    return VL_TEST_END;
}
