/* SPDX-License-Identifier: MIT */
/*
 * test_stage - vl_stage_test: pulling back from a policy pin
 * (store/vl_store_stage.c, docs/store.md §2.4.2, docs/trust.md §1.2); run by
 * tests/vl_selftest.c (ctest selftest_stage).
 *
 * Store A holds entries 1..5 and adopts version 2 (a2 rotated out, from 6:
 * it pins entry 5). Store F holds another history 1..5, signed by the old
 * approvers a1 + a2. Store C knows version 2 at head 0: it refuses F's
 * entries and A's alike by append (they end below the pin), refuses to stage
 * F's (they do not end at the pin, or fail the pin, or do not link to the
 * staged entries), refuses A's entries with one signature byte changed, and
 * stages A's 3..5 then 1..2 and applies them with every check. Store D knows
 * version 2: a bundle of A's entries 1..3 is refused before anything is
 * written, a bundle of A's whole log is imported through the stage. Store E
 * took F's entries 1..2 before it knew version 2: A's run pulled back from
 * the pin stages but is not applied (VL_EFORK: E's own log is the other
 * history). Then A grows to 8 and version 3 pins entry 8: store G, knowing
 * both versions, refuses a bundle of 1..7 (past the first pin, below the
 * second) with nothing written and imports 1..8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_check.h"
#include "vl_selftests.h"
#include "vl_store.h"
#include "vl_testnet.h"
#include "vl_teststore.h"

#define T_NOW 1700000100u
#define T_N   5u /* entries before version 2 */

/* A store in a new directory from the genesis, with entries named prefix-1..n. */
static int
s_store(const vl_testnet_t *tn, char dir[600], vl_store_t **st, const char *prefix, unsigned n)
{
    char err[VL_ERRMSG_MAX] = "", id[32];
    int rc = vl_teststore_mkdir(dir, "vl-stage");
    if (rc == VL_OK)
        rc = vl_store_create(dir, tn->genesis, tn->genesis_len, tn->node, err);
    if (rc == VL_OK)
        rc = vl_store_open(dir, tn->node, 0, st, err);
    for (unsigned i = 1; rc == VL_OK && i <= n; i++) {
        snprintf(id, sizeof id, "%s-%u", prefix, i);
        rc = vl_teststore_settle(*st, tn, id, "+230 555 0100", tn->a2, tn->pol, tn->ckey,
                                 T_NOW);
    }
    if (rc != VL_OK)
        fprintf(stderr, "stage test: store: %s: %s\n", vl_strerror(rc), err);
    return rc;
}

/* The entries from..to of st (copies, caller frees each). */
static int
s_entries(vl_store_t *st, uint64_t from, uint64_t to, uint8_t **e, size_t *l)
{
    int rc = VL_OK;
    for (uint64_t s = from; rc == VL_OK && s <= to; s++)
        rc = vl_store_entry_bytes(st, s, &e[s - from], &l[s - from], NULL);
    return rc;
}

/* Stage entries [from, to] of arrays holding entries 1..T_N; want rc and,
 * on failure, a message holding `want`. */
static bool
s_put(vl_store_t *st, uint8_t **e, size_t *l, uint64_t from, uint64_t to, int want_rc,
      const char *want)
{
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_store_stage_put(st, (const uint8_t *const *)e + from - 1, l + from - 1,
                                (size_t)(to - from + 1), err);
    bool ok = rc == want_rc && (!want || strstr(err, want));
    if (!ok)
        fprintf(stderr, "stage test: put %llu..%llu: want %d /%s/, got %d: %s\n",
                (unsigned long long)from, (unsigned long long)to, want_rc, want ? want : "",
                rc, err);
    return ok;
}

static uint64_t
s_need(vl_store_t *st, bool *ready)
{
    uint64_t top = 0;
    if (vl_store_stage_need(st, &top, ready, NULL, NULL) != VL_OK)
        return (uint64_t)-1;
    return top;
}

/* A bundle by maker (a member) of A's entries [from, to]. */
static int
s_bundle(vl_store_t *a, const vl_testnet_t *tn, uint64_t from, uint64_t to, uint8_t **out,
         size_t *len)
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
    memcpy(h.maker, vl_keypair_pk(tn->node), VL_PK_LEN);
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
        if (rc == VL_OK)
            rc = vl_bundle_wr_add(w, VL_BK_ENTRY, e, el, NULL, 0, err);
        free(e);
    }
    if (rc == VL_OK)
        rc = vl_bundle_wr_finish(w, tn->node, &size, err);
    *len = (size_t)size;
    if (rc == VL_OK && (!(*out = malloc(*len)) || fseek(f, 0, SEEK_SET) != 0 ||
                        fread(*out, 1, *len, f) != *len))
        rc = VL_EIO;
    if (rc != VL_OK)
        fprintf(stderr, "stage test: bundle: %s: %s\n", vl_strerror(rc), err);
    vl_bundle_wr_destroy(&w);
    if (f)
        fclose(f);
    return rc;
}

static int
s_import(vl_store_t *st, const uint8_t *buf, size_t len, char err[VL_ERRMSG_MAX])
{
    vl_bundle_t *b = NULL;
    vl_bundle_sum_t sum;
    int rc = vl_bundle_parse(buf, len, &b, err);
    if (rc == VL_OK)
        rc = vl_store_bundle_import(st, b, T_NOW, false, &sum, err);
    vl_bundle_destroy(&b);
    return rc;
}

int
vl_stage_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    char da[600] = "", df[600] = "", dc[600] = "", dd[600] = "", de[600] = "", dg[600] = "";
    char err[VL_ERRMSG_MAX] = "";
    vl_store_t *a = NULL, *f = NULL, *c = NULL, *d = NULL, *e = NULL, *g = NULL;
    vl_keypair_t *a3 = NULL, *a4 = NULL;
    vl_policy_builder_t *b = NULL, *b3 = NULL;
    vl_policy_t *p2 = NULL;
    uint8_t ck2[VL_KEY_LEN];
    uint8_t *u = NULL, *s0 = NULL, *s1 = NULL, *s2 = NULL, *buf = NULL;
    uint8_t *u3 = NULL, *t0 = NULL, *t1 = NULL, *t2 = NULL;
    size_t ul = 0, s0l = 0, s1l = 0, s2l = 0, len = 0, u3l = 0, t0l = 0, t1l = 0, t2l = 0;
    uint8_t *ea[T_N] = { 0 }, *ef[T_N] = { 0 };
    size_t la[T_N] = { 0 }, lf[T_N] = { 0 };
    vl_head_t h, ha;
    bool ready = false;

    if (vl_testnet_init(&tn) != VL_OK) {
        fprintf(stderr, "stage test: fixture failed\n");
        return 1;
    }
    VL_CHECK_RC(vl_keypair_generate(&a3), VL_OK);
    VL_CHECK_RC(s_store(&tn, da, &a, "MU-A", T_N), VL_OK);
    VL_CHECK_RC(s_store(&tn, df, &f, "MU-F", T_N), VL_OK);
    VL_CHECK_RC(s_store(&tn, dc, &c, "MU-C", 0), VL_OK);
    VL_CHECK_RC(s_store(&tn, dd, &d, "MU-D", 0), VL_OK);
    VL_CHECK_RC(s_store(&tn, de, &e, "MU-E", 0), VL_OK);
    if (!a || !f || !c || !d || !e || !a3)
        goto out;

    /* Version 2: a2 -> a3, from 6 (pins A's entry 5), signed by a3, a1, a2. */
    VL_CHECK_RC(vl_store_head(a, &ha), VL_OK);
    VL_CHECK(ha.seq == T_N);
    VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b, err), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(tn.a2), vl_keypair_pk(a3), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, tn.pol, ha.seq + 1, ha.hash, false, T_NOW, &u,
                                              &ul, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, u, ul, a3, &s0, &s0l, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s0, s0l, tn.a1, &s1, &s1l, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s1, s1l, tn.a2, &s2, &s2l, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(a, s2, s2l, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(c, s2, s2l, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(d, s2, s2l, err), VL_OK);
    VL_CHECK_RC(s_entries(a, 1, T_N, ea, la), VL_OK);
    VL_CHECK_RC(s_entries(f, 1, T_N, ef, lf), VL_OK);
    if (!ea[T_N - 1] || !ef[T_N - 1])
        goto out;
    /* E takes F's entries 1..2 (signed by keys valid under version 1) before
     * it knows version 2, then adopts it: the pin lies above its head. */
    VL_CHECK_RC(vl_store_append_chain(e, (const uint8_t *const *)ef, lf, 2, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(e, s2, s2l, err), VL_OK);
    VL_CHECK(vl_store_pin_above(c, 0, NULL) == T_N);

    /* Appending below the pin is refused, forged or true: nothing written. */
    err[0] = '\0';
    VL_CHECK_RC(vl_store_append(c, ef[0], lf[0], err), VL_ECHAIN);
    VL_CHECK(strstr(err, "end below entry 5, which policy version 2 pins") != NULL);
    VL_CHECK_RC(vl_store_append_chain(c, (const uint8_t *const *)ef, lf, T_N - 1, NULL),
                VL_ECHAIN);
    VL_CHECK_RC(vl_store_append_batch(c, (const uint8_t *const *)ea, la, T_N - 1, NULL),
                VL_ECHAIN);
    VL_CHECK_RC(vl_store_head(c, &h), VL_OK);
    VL_CHECK(h.seq == 0);
    /* ... while a batch reaching the pin is checked against it. */
    VL_CHECK_RC(vl_store_append_chain(c, (const uint8_t *const *)ef, lf, T_N, err), VL_ECHAIN);
    VL_CHECK(strstr(err, "another history") != NULL);

    /* The stage: the pin first. */
    VL_CHECK(s_need(c, &ready) == T_N && !ready);
    VL_CHECK(s_put(c, ef, lf, 1, T_N - 1, VL_ECHAIN, "do not end at entry 5"));
    VL_CHECK(s_put(c, ef, lf, 1, T_N, VL_ECHAIN, "another history"));
    VL_CHECK(s_put(c, ef, lf, T_N, T_N, VL_ECHAIN, "another history"));
    /* One signature byte of A's entry 4 changed: entry 5 no longer links. */
    ea[3][la[3] - 1] ^= 0x01;
    VL_CHECK(s_put(c, ea, la, 3, T_N, VL_ECHAIN, "does not link"));
    ea[3][la[3] - 1] ^= 0x01;
    VL_CHECK(s_need(c, &ready) == T_N && !ready);
    VL_CHECK(s_put(c, ea, la, 3, T_N, VL_OK, NULL));
    VL_CHECK(s_need(c, &ready) == 2 && !ready);
    /* Below the staged entries: F's do not link to them, nor a run not ending at 2. */
    VL_CHECK(s_put(c, ef, lf, 1, 2, VL_ECHAIN, "do not link to staged entry 3"));
    VL_CHECK(s_put(c, ea, la, 1, 1, VL_ECHAIN, "do not link to staged entry 3"));
    {
        uint64_t applied = 7;
        VL_CHECK_RC(vl_store_stage_apply(c, &applied, err), VL_OK); /* not ready: nothing */
        VL_CHECK(applied == 0);
        VL_CHECK_RC(vl_store_head(c, &h), VL_OK);
        VL_CHECK(h.seq == 0);
        VL_CHECK(s_put(c, ea, la, 1, 2, VL_OK, NULL));
        VL_CHECK(s_need(c, &ready) == 0 && ready);
        VL_CHECK_RC(vl_store_stage_apply(c, &applied, err), VL_OK);
        VL_CHECK(applied == T_N);
    }
    VL_CHECK_RC(vl_store_head(c, &h), VL_OK);
    VL_CHECK(h.seq == T_N && memcmp(h.hash, ha.hash, VL_HASH_LEN) == 0 &&
             memcmp(h.root, ha.root, VL_HASH_LEN) == 0);
    VL_CHECK(s_need(c, &ready) == 0 && !ready);
    VL_CHECK(vl_store_pin_above(c, h.seq, NULL) == 0);
    VL_CHECK_RC(vl_store_verify(c, NULL, NULL, NULL), VL_OK);
    if (verbose)
        fprintf(stderr, "  stage: applied entries 1..%u pulled back from the pin\n", T_N);

    /* Bundles: one that ends below the pin is refused, nothing written; one
     * that reaches it goes through the stage. */
    VL_CHECK_RC(s_bundle(a, &tn, 1, 3, &buf, &len), VL_OK);
    err[0] = '\0';
    if (buf)
        VL_CHECK_RC(s_import(d, buf, len, err), VL_ECHAIN);
    VL_CHECK(strstr(err, "bring a bundle that reaches entry 5") != NULL);
    VL_CHECK_RC(vl_store_head(d, &h), VL_OK);
    VL_CHECK(h.seq == 0);
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_bundle(a, &tn, 1, T_N, &buf, &len), VL_OK);
    if (buf)
        VL_CHECK_RC(s_import(d, buf, len, err), VL_OK);
    VL_CHECK_RC(vl_store_head(d, &h), VL_OK);
    VL_CHECK(h.seq == T_N && memcmp(h.hash, ha.hash, VL_HASH_LEN) == 0);
    VL_CHECK(s_need(d, &ready) == 0 && !ready);

    /* E's own log below the pin is another history: the true run pulled back
     * from the pin stages but does not follow E's head. Not the sender's
     * fault (VL_EFORK, not VL_ECHAIN), nothing applied, the stage kept. */
    VL_CHECK(s_need(e, &ready) == T_N && !ready);
    VL_CHECK(s_put(e, ea, la, 3, T_N, VL_OK, NULL));
    VL_CHECK(s_need(e, &ready) == 0 && ready);
    {
        uint64_t applied = 7;
        err[0] = '\0';
        VL_CHECK_RC(vl_store_stage_apply(e, &applied, err), VL_EFORK);
        VL_CHECK(applied == 0);
        VL_CHECK(strstr(err, "another history than the one a policy version pins") != NULL);
    }
    VL_CHECK_RC(vl_store_head(e, &h), VL_OK);
    VL_CHECK(h.seq == 2);
    VL_CHECK(s_need(e, &ready) == 0 && ready);

    /* Two pins: A grows to 8 under version 2 (approved by a1 and a3), and
     * version 3 (a3 -> a4, from 9) pins entry 8. A bundle of 1..7 passes the
     * first pin but ends below the second: refused before anything is
     * written; 1..8 imports through both. */
    VL_CHECK_RC(vl_keypair_generate(&a4), VL_OK);
    VL_CHECK_RC(vl_policy_parse_next(tn.pol, s2, s2l, 0, &p2, err), VL_OK);
    if (!a4 || !p2)
        goto out;
    VL_CHECK_RC(vl_policy_content_key(p2, vl_policy_epoch(p2), tn.node, ck2), VL_OK);
    for (unsigned i = 6; i <= 8; i++) {
        char id[32];
        snprintf(id, sizeof id, "MU-A-%u", i);
        VL_CHECK_RC(vl_teststore_settle(a, &tn, id, "+230 555 0100", a3, p2, ck2, T_NOW),
                    VL_OK);
    }
    VL_CHECK_RC(vl_store_head(a, &ha), VL_OK);
    VL_CHECK(ha.seq == 8);
    VL_CHECK_RC(vl_policy_builder_from(p2, tn.a1, &b3, err), VL_OK);
    if (!b3)
        goto out;
    VL_CHECK_RC(vl_policy_builder_rotate(b3, vl_keypair_pk(a3), vl_keypair_pk(a4), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b3, p2, ha.seq + 1, ha.hash, false, T_NOW, &u3,
                                              &u3l, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(p2, u3, u3l, a4, &t0, &t0l, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(p2, t0, t0l, tn.a1, &t1, &t1l, err), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(p2, t1, t1l, a3, &t2, &t2l, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(a, t2, t2l, err), VL_OK);
    VL_CHECK_RC(s_store(&tn, dg, &g, "MU-G", 0), VL_OK);
    if (!g)
        goto out;
    VL_CHECK_RC(vl_store_policy_adopt(g, s2, s2l, err), VL_OK);
    VL_CHECK_RC(vl_store_policy_adopt(g, t2, t2l, err), VL_OK);
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_bundle(a, &tn, 1, 7, &buf, &len), VL_OK);
    err[0] = '\0';
    if (buf)
        VL_CHECK_RC(s_import(g, buf, len, err), VL_ECHAIN);
    VL_CHECK(strstr(err, "bring a bundle that reaches entry 8") != NULL);
    VL_CHECK_RC(vl_store_head(g, &h), VL_OK);
    VL_CHECK(h.seq == 0);
    free(buf);
    buf = NULL;
    VL_CHECK_RC(s_bundle(a, &tn, 1, 8, &buf, &len), VL_OK);
    if (buf)
        VL_CHECK_RC(s_import(g, buf, len, err), VL_OK);
    VL_CHECK_RC(vl_store_head(g, &h), VL_OK);
    VL_CHECK(h.seq == 8 && memcmp(h.hash, ha.hash, VL_HASH_LEN) == 0);

out:
    free(buf);
    for (unsigned i = 0; i < T_N; i++) {
        free(ea[i]);
        free(ef[i]);
    }
    free(u);
    free(s0);
    free(s1);
    free(s2);
    sodium_memzero(ck2, sizeof ck2);
    free(u3);
    free(t0);
    free(t1);
    free(t2);
    vl_policy_destroy(&p2);
    vl_policy_builder_destroy(&b);
    vl_policy_builder_destroy(&b3);
    vl_keypair_destroy(&a3);
    vl_keypair_destroy(&a4);
    vl_store_close(&a);
    vl_store_close(&f);
    vl_store_close(&c);
    vl_store_close(&d);
    vl_store_close(&e);
    vl_store_close(&g);
    if (da[0])
        vl_teststore_rmdir(da);
    if (df[0])
        vl_teststore_rmdir(df);
    if (dc[0])
        vl_teststore_rmdir(dc);
    if (dd[0])
        vl_teststore_rmdir(dd);
    if (de[0])
        vl_teststore_rmdir(de);
    if (dg[0])
        vl_teststore_rmdir(dg);
    vl_testnet_fini(&tn);
    return VL_TEST_END;
}
