/* SPDX-License-Identifier: MIT */
/*
 * test_bundle_store - vl_bundle_store_test: making and importing bundles
 * (store/vl_store_bundle.c, docs/formats.md §11.4); run by
 * tests/vl_selftest.c (ctest selftest_bundle_store).
 *
 * Store A holds entries 1..3. A bundle of it imports into an empty store B
 * (same head, root and records), twice (nothing new). Refused with B's head
 * unchanged, each with a bundle correctly framed and signed by a member so
 * that only the rule under test fails: an entry changed among good ones (the
 * proposal id no longer matches), a signature changed in the middle (the link covers it), a
 * bad signature on the last entry, a maker that is not a member, a gap,
 * another network. A different valid entry at a held seq is a fork:
 * refused, and the evidence is stored; it then travels in a bundle. A key-less read-only open runs the
 * checks (phase 1) and refuses to read records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_check.h"
#include "vl_selftests.h"
#include "vl_store.h"
#include "vl_testnet.h"
#include "vl_teststore.h"

#define T_NOW 1700000100u

/* Read a whole FILE written by the writer. */
static int
s_slurp(FILE *f, uint64_t size, uint8_t **out, size_t *len)
{
    *len = (size_t)size;
    *out = malloc(*len ? *len : 1);
    if (!*out || fseek(f, 0, SEEK_SET) != 0 || fread(*out, 1, *len, f) != *len)
        return VL_EIO;
    return VL_OK;
}

static int
s_create(vl_store_t *st, uint64_t since, uint8_t **out, size_t *len)
{
    FILE *f = tmpfile();
    vl_bundle_sum_t sum;
    char err[VL_ERRMSG_MAX] = "";
    int rc = f ? vl_store_bundle_create(st, f, NULL, since, T_NOW, &sum, err) : VL_EIO;
    if (rc == VL_OK)
        rc = s_slurp(f, sum.size, out, len);
    if (rc != VL_OK)
        fprintf(stderr, "bundle store test: create: %s: %s\n", vl_strerror(rc), err);
    if (f)
        fclose(f);
    return rc;
}

/* A bundle by maker of A's entries [from, to], entry `bad` (0: none)
 * changed by flipping its byte at `at` from its end (1: the last byte, a
 * signature byte), or at its middle when at is 0. */
static int
s_forge(vl_store_t *a, const vl_testnet_t *tn, const vl_keypair_t *maker, uint64_t from,
        uint64_t to, uint64_t bad, size_t at, uint8_t **out, size_t *len)
{
    FILE *f = tmpfile();
    vl_bundle_wr_t *w = NULL;
    vl_bundle_hdr_t h;
    char err[VL_ERRMSG_MAX] = "";
    uint64_t size = 0;
    int rc = f ? VL_OK : VL_EIO;
    memset(&h, 0, sizeof h);
    memcpy(h.net, vl_policy_net(tn->pol), VL_NETID_LEN);
    snprintf(h.name, sizeof h.name, "t");
    memcpy(h.maker, vl_keypair_pk(maker), VL_PK_LEN);
    h.time = T_NOW;
    h.policy = 1;
    h.from = from;
    h.to = to;
    h.counts[VL_BK_ENTRY] = to - from + 1;
    if (rc == VL_OK)
        rc = vl_bundle_wr_start(f, &h, &w, err);
    for (uint64_t s = from; rc == VL_OK && s <= to; s++) {
        uint8_t *e = NULL;
        size_t el = 0;
        rc = vl_store_entry_bytes(a, s, &e, &el, err);
        if (rc == VL_OK && s == bad) {
            /* at 0: a byte of the proposal's ciphertext (its "ct" bin). */
            size_t ct = 0;
            while (ct + 3 < el && memcmp(e + ct, "\xa2" "ct", 3) != 0)
                ct++;
            size_t i = at ? el - at : ct + 16 < el ? ct + 16 : el / 2;
            e[i] ^= 0x01;
        }
        if (rc == VL_OK)
            rc = vl_bundle_wr_add(w, VL_BK_ENTRY, e, el, NULL, 0, err);
        free(e);
    }
    if (rc == VL_OK)
        rc = vl_bundle_wr_finish(w, maker, &size, err);
    if (rc == VL_OK)
        rc = s_slurp(f, size, out, len);
    if (rc != VL_OK)
        fprintf(stderr, "bundle store test: forge: %s: %s\n", vl_strerror(rc), err);
    vl_bundle_wr_destroy(&w);
    if (f)
        fclose(f);
    return rc;
}

/* Import buf into st; want rc and a message containing `want`. */
static bool
s_import(vl_store_t *st, const uint8_t *buf, size_t len, int want_rc, const char *want,
         vl_bundle_sum_t *sum, bool verbose)
{
    vl_bundle_t *b = NULL;
    vl_bundle_sum_t local;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_bundle_parse(buf, len, &b, err);
    if (rc == VL_OK)
        rc = vl_store_bundle_import(st, b, T_NOW, false, sum ? sum : &local, err);
    vl_bundle_destroy(&b);
    if (verbose)
        fprintf(stderr, "  import: %s: %s\n", vl_strerror(rc), err);
    bool ok = rc == want_rc && (!want || strstr(err, want));
    if (!ok)
        fprintf(stderr, "bundle store test: want %d /%s/, got %d: %s\n", want_rc,
                want ? want : "", rc, err);
    return ok;
}

static uint64_t
s_seq(vl_store_t *st)
{
    vl_head_t h;
    return vl_store_head(st, &h) == VL_OK ? h.seq : (uint64_t)-1;
}

int
vl_bundle_store_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn, other;
    char da[600] = "", db[600] = "", dc[600] = "", dd[600] = "", dx[600] = "";
    vl_store_t *a = NULL, *b = NULL, *c = NULL, *d = NULL, *x = NULL, *ro = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[VL_ERRMSG_MAX] = "";
    vl_bundle_sum_t sum;
    VL_CHECK_RC(vl_testnet_init(&tn), VL_OK);
    VL_CHECK_RC(vl_testnet_init(&other), VL_OK);
    VL_CHECK_RC(vl_teststore_mkdir(da, "vl-bundle"), VL_OK);
    VL_CHECK_RC(vl_teststore_mkdir(db, "vl-bundle"), VL_OK);
    VL_CHECK_RC(vl_teststore_mkdir(dc, "vl-bundle"), VL_OK);
    VL_CHECK_RC(vl_teststore_mkdir(dd, "vl-bundle"), VL_OK);
    VL_CHECK_RC(vl_teststore_mkdir(dx, "vl-bundle"), VL_OK);
    VL_CHECK_RC(vl_store_create(da, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(db, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dc, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dd, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dx, other.genesis, other.genesis_len, other.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(da, tn.node, 0, &a, err), VL_OK);
    VL_CHECK_RC(vl_store_open(db, tn.node, 0, &b, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dc, tn.node, 0, &c, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dd, tn.node, 0, &d, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dx, other.node, 0, &x, err), VL_OK);
    if (!a || !b || !c || !d || !x)
        goto out;
    VL_CHECK_RC(vl_teststore_settle(a, &tn, "MU-01", "+230 5550 0001", tn.a2, tn.pol, tn.ckey, T_NOW),
                VL_OK);
    VL_CHECK_RC(vl_teststore_settle(a, &tn, "MU-02", "+230 5550 0002", tn.a2, tn.pol, tn.ckey, T_NOW),
                VL_OK);
    VL_CHECK_RC(vl_teststore_settle(a, &tn, "MU-03", "+230 5550 0003", tn.a2, tn.pol, tn.ckey, T_NOW),
                VL_OK);
    VL_CHECK(s_seq(a) == 3);
    /* D holds another, valid entry 1. */
    VL_CHECK_RC(vl_teststore_settle(d, &tn, "MU-09", "+230 5550 0009", tn.a2, tn.pol, tn.ckey, T_NOW),
                VL_OK);

    /* ---- forged or wrong bundles: B stays at 0 --------------------------------------- */
    struct {
        const vl_keypair_t *maker;
        uint64_t from, to, bad;
        size_t at;
        int rc;
        const char *msg;
    } cases[] = {
        { tn.node, 1, 3, 2, 0, VL_EPROTO, "entry 2: names another proposal" },
        { tn.node, 1, 3, 1, 1, VL_ECHAIN, "entry 2 does not follow entry 1" },
        { tn.node, 1, 2, 2, 1, VL_EAUTH, "entry 2:" },
        { tn.outsider, 1, 3, 0, 0, VL_EPERM, "not a member of policy version 1" },
        { tn.node, 2, 3, 0, 0, VL_ENOTFOUND,
          "bundle starts at entry 2; this store's head is 0: entries 1..1 are missing" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        free(buf);
        buf = NULL;
        VL_CHECK_RC(s_forge(a, &tn, cases[i].maker, cases[i].from, cases[i].to, cases[i].bad,
                            cases[i].at, &buf, &len),
                    VL_OK);
        if (buf)
            VL_CHECK(s_import(b, buf, len, cases[i].rc, cases[i].msg, NULL, verbose));
        VL_CHECK(s_seq(b) == 0);
    }
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_create(x, 0, &buf, &len), VL_OK);
    if (buf)
        VL_CHECK(s_import(b, buf, len, VL_EPERM, "bundle is for network", NULL, verbose));
    VL_CHECK(s_seq(b) == 0);

    /* ---- the good bundle ------------------------------------------------------------------ */
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_create(a, 0, &buf, &len), VL_OK);
    if (buf) {
        VL_CHECK(s_import(b, buf, len, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.from == 1 && sum.to == 3 && sum.counts[VL_BK_ENTRY] == 3 && sum.head == 3);
        vl_head_t ha, hb;
        VL_CHECK_RC(vl_store_head(a, &ha), VL_OK);
        VL_CHECK_RC(vl_store_head(b, &hb), VL_OK);
        VL_CHECK(memcmp(ha.hash, hb.hash, VL_HASH_LEN) == 0 &&
                 memcmp(ha.root, hb.root, VL_HASH_LEN) == 0 && hb.records == 3);
        uint64_t checked = 0;
        VL_CHECK_RC(vl_store_check_sigs(b, 0, &checked, err), VL_OK);
        VL_CHECK(checked == 3); /* the audit ran */
        size_t problems = 0;
        VL_CHECK_RC(vl_store_verify(b, NULL, NULL, &problems), VL_OK);
        /* Key-less, read-only: phase 1 runs; records are out of reach. */
        vl_bundle_t *bb = NULL;
        vl_store_close(&b); /* one handle per environment and process */
        VL_CHECK_RC(vl_store_open(db, NULL, VL_STORE_RDONLY, &ro, err), VL_OK);
        VL_CHECK_RC(vl_bundle_parse(buf, len, &bb, err), VL_OK);
        if (ro && bb) {
            VL_CHECK_RC(vl_store_bundle_import(ro, bb, T_NOW, true, &sum, err), VL_OK); /* nothing new is fine */
            VL_CHECK_RC(vl_store_bundle_import(ro, bb, T_NOW, false, &sum, err), VL_EINVAL);
            vl_record_t *rec = NULL;
            uint64_t rev = 0;
            err[0] = '\0';
            VL_CHECK_RC(vl_store_get(ro, "MU-01", &rec, &rev, err), VL_EPERM);
            vl_record_destroy(&rec);
            VL_CHECK_RC(vl_store_bundle_create(ro, stdout, NULL, 0, T_NOW, &sum, err), VL_EPERM);
        }
        vl_bundle_destroy(&bb);
        vl_store_close(&ro);
        VL_CHECK_RC(vl_store_open(db, tn.node, 0, &b, err), VL_OK);
        if (!b)
            goto out;

        /* Twice: nothing new. */
        VL_CHECK(s_import(b, buf, len, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.counts[VL_BK_ENTRY] == 0 && sum.known[VL_BK_ENTRY] == 3 &&
                 sum.counts[VL_BK_POLICY] == 0 && sum.head == 3);
        /* Overlapping: C takes 1..2 first, then the whole bundle adds 3. */
        uint8_t *part = NULL;
        size_t plen = 0;
        VL_CHECK_RC(s_forge(a, &tn, tn.node, 1, 2, 0, 0, &part, &plen), VL_OK);
        if (part)
            VL_CHECK(s_import(c, part, plen, VL_OK, NULL, &sum, verbose));
        VL_CHECK(s_import(c, buf, len, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.from == 3 && sum.to == 3 && sum.known[VL_BK_ENTRY] == 2);
        /* Older, into the store at 3: nothing new. */
        if (part)
            VL_CHECK(s_import(c, part, plen, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.counts[VL_BK_ENTRY] == 0 && s_seq(c) == 3);
        free(part);
    }

    /* ---- a fork: D's entry 1 into B ------------------------------------------------------ */
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_create(d, 0, &buf, &len), VL_OK);
    if (buf)
        VL_CHECK(s_import(b, buf, len, VL_EFORK, "the bundle's entry 1 differs", NULL, verbose));
    VL_CHECK(s_seq(b) == 3);
    VL_CHECK(vl_store_fork_seq(b) == 1); /* evidence stored, as a node does */
    /* The evidence travels: B's bundle carries it, C takes it (and stops
     * its log there too); a second import knows it. */
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_create(b, 3, &buf, &len), VL_OK);
    if (buf) {
        VL_CHECK(s_import(c, buf, len, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.counts[VL_BK_EVIDENCE] == 1 && vl_store_fork_seq(c) == 1);
        VL_CHECK(s_import(c, buf, len, VL_OK, NULL, &sum, verbose));
        VL_CHECK(sum.counts[VL_BK_EVIDENCE] == 0 && sum.known[VL_BK_EVIDENCE] == 1);
    }

out:
    free(buf);
    vl_store_close(&a);
    vl_store_close(&b);
    vl_store_close(&c);
    vl_store_close(&d);
    vl_store_close(&x);
    vl_teststore_rmdir(da);
    vl_teststore_rmdir(db);
    vl_teststore_rmdir(dc);
    vl_teststore_rmdir(dd);
    vl_teststore_rmdir(dx);
    vl_testnet_fini(&tn);
    vl_testnet_fini(&other);
    return VL_TEST_END;
}
