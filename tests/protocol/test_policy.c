/* SPDX-License-Identifier: MIT */
/*
 * test_policy - vl_policy_test, the self-test of vl_policy and vl_policy_builder;
 * run by tests/vl_selftest.c (ctest selftest_policy).
 */
#include "vl_policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_policy_int.h"
#include "vl_fields.h"
#include "vl_limits.h"
#include "vl_record.h"
#include "vl_selftests.h"

#include <sodium.h>

#include "vl_testnet.h"

/* ---- policy chains (docs/trust.md §1-§2) ----------------------------------- */

/* Sign a (possibly forged) policy document by every key of kps in turn,
 * whatever its validity: the hash is taken from its header. */
static int
s_test_sign(const uint8_t *in, size_t len, vl_keypair_t *const *kps, size_t n, uint8_t **out,
            size_t *out_len)
{
    int rc = VL_OK;
    vl_doc_t *d = NULL;
    uint8_t *cur = NULL, hash[VL_HASH_LEN];
    size_t curlen = len;
    *out = NULL;
    *out_len = 0;
    const uint8_t *hb;
    size_t hl;
    if ((rc = vl_doc_parse(in, len, 0, &d, NULL)) != VL_OK ||
        (rc = vl_val_bin(vl_val_get(vl_doc_root(d), "hdr"), &hb, &hl)) != VL_OK)
        goto out;
    vl_hash(hash, "valise/policy/1", hb, hl);
    if (!(cur = malloc(len))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(cur, in, len);
    for (size_t i = 0; i < n; i++) {
        uint8_t *next = NULL;
        size_t nextlen = 0;
        if ((rc = vl_policy_add_sig(cur, curlen, hash, kps[i], &next, &nextlen, NULL)) != VL_OK)
            goto out;
        free(cur);
        cur = next;
        curlen = nextlen;
    }
    *out = cur;
    *out_len = curlen;
    cur = NULL;
out:
    free(cur);
    vl_doc_destroy(&d);
    return rc;
}

/* Write version N+1 of cur from builder b (roles sorted by vl_policy_builder_check)
 * with the given arguments, bypassing finish_next's rules: a forged document. */
static int
s_test_forge(vl_policy_builder_t *b, const vl_policy_t *cur, vl_pol_hdr_args_t *a, bool add,
             int renumber, const uint8_t (*rcpt)[VL_PK_LEN], size_t nrcpt, uint8_t **out,
             size_t *out_len)
{
    uint8_t *ck = vl_secure_alloc((b->nepochs + 1) * VL_KEY_LEN);
    uint32_t ep[VL_MAX_EPOCHS + 1];
    int rc = VL_ENOMEM;
    if (ck) {
        memcpy(ck, b->ckeys, b->nepochs * VL_KEY_LEN);
        vl_random(ck + b->nepochs * VL_KEY_LEN, VL_KEY_LEN);
        memcpy(ep, b->epoch, b->nepochs * sizeof ep[0]);
        ep[b->nepochs] = ep[b->nepochs - 1] + 1;
        if (renumber == 1) /* every epoch shifted by one */
            for (size_t e = 0; e <= b->nepochs; e++)
                ep[e]++;
        if (renumber == 2) /* the new epoch skips a number */
            ep[b->nepochs]++;
        if (!a->net)
            a->net = cur->net;
        if (!a->prev)
            a->prev = cur->hash;
        if (!a->version)
            a->version = cur->version + 1;
        a->now = 1700000500;
        a->nepochs = b->nepochs + (add ? 1 : 0);
        a->epoch = ep;
        a->ckeys = ck;
        a->rcpt = rcpt;
        a->nrcpt = nrcpt;
        rc = vl_policy_builder_write(b, a, out, out_len, NULL);
    }
    vl_secure_free(&ck);
    return rc;
}

/* Build version N+1 of cur with b, sign it by kps, parse it (flags 0). */
static int
s_test_next(vl_policy_builder_t *b, const vl_policy_t *cur, uint64_t from,
            const uint8_t *after, bool new_epoch, vl_keypair_t *const *kps, size_t n,
            vl_policy_t **out, uint8_t **doc, size_t *doclen, char *err)
{
    uint8_t *u = NULL;
    size_t ul = 0;
    *out = NULL;
    int rc = vl_policy_builder_finish_next(b, cur, from, after, new_epoch, 1700000400, &u, &ul,
                                           err);
    if (rc == VL_OK)
        rc = s_test_sign(u, ul, kps, n, doc, doclen);
    if (rc == VL_OK)
        rc = vl_policy_parse_next(cur, *doc, *doclen, 0, out, err);
    free(u);
    return rc;
}

static void
s_test_count_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    (void)pk;
    size_t *n = ctx;
    n[0]++;
    n[1] |= roles;
}

static int
s_test_chain(vl_testnet_t *t)
{
    VL_TEST_BEGIN;
    vl_keypair_t *a3 = NULL, *a4 = NULL, *n2 = NULL;
    vl_policy_builder_t *b = NULL;
    vl_policy_t *v2 = NULL, *v3 = NULL, *p = NULL;
    uint8_t *u = NULL, *d = NULL, *d2 = NULL, *d3 = NULL;
    size_t ul = 0, dl = 0, d2l = 0, d3l = 0;
    char err[VL_ERRMSG_MAX];
    uint8_t seed[VL_SEED_LEN], k[VL_KEY_LEN], k2[VL_KEY_LEN];
    size_t by_self, by_cur;

    memset(seed, 0x77, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &a3), VL_OK);
    memset(seed, 0x88, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &a4), VL_OK);
    memset(seed, 0x99, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &n2), VL_OK);
    if (!a3 || !a4 || !n2)
        goto out;
    const uint8_t *g = vl_policy_hash(t->pol);
    vl_keypair_t *const old2[] = { t->a1, t->a2 }, *const new2[] = { a3, a4 };

    /* The genesis: from 1, after its own hash, no fresh key; members. */
    VL_CHECK(vl_policy_from(t->pol) == 1 && memcmp(vl_policy_after(t->pol), g, VL_HASH_LEN) == 0);
    VL_CHECK(vl_policy_fresh(t->pol) == NULL);
    size_t cnt[2] = { 0, 0 };
    vl_policy_members_each(t->pol, s_test_count_cb, cnt);
    VL_CHECK(cnt[0] == 5 && cnt[1] == 7);
    vl_policy_sig_counts(t->pol, NULL, &by_self, &by_cur);
    VL_CHECK(by_self == 2 && by_cur == 0);

    /* Starting a version: only a member can (it must open every epoch). */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_builder_from(t->pol, t->outsider, &b, err), VL_EPERM);
    VL_CHECK(b == NULL && strstr(err, "not a member") != NULL);
    VL_CHECK_RC(vl_policy_builder_from(t->pol, t->node, &b, NULL), VL_OK);
    if (!b)
        goto out;
    /* Nothing changed, from below cur's, a genesis builder: refused. */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1, &u, &ul, err),
                VL_EINVAL);
    VL_CHECK(strstr(err, "change nothing") != NULL);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 0, g, true, 1, &u, &ul, NULL),
                VL_EINVAL);
    {
        vl_policy_builder_t *gb = vl_policy_builder_new();
        VL_CHECK(gb != NULL);
        if (gb)
            VL_CHECK_RC(vl_policy_builder_finish_next(gb, t->pol, 1, g, true, 1, &u, &ul, NULL),
                        VL_EINVAL);
        vl_policy_builder_destroy(&gb);
    }
    /* Fresh key: must be a node. */
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(t->mu)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1, &u, &ul, NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->outsider), NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->outsider), vl_keypair_pk(a3), NULL),
                VL_ENOTFOUND);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a1), vl_keypair_pk(t->mu), NULL),
                VL_EEXIST);

    /* Rotation: both approvers replaced (a1 -> a3, a2 -> a4), fresh named. */
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a1), vl_keypair_pk(a3), NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a2), vl_keypair_pk(a4), NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1700000400, &u, &ul, NULL),
                VL_OK);
    /* While unsigned: counts are zero; sign_next by either version's approvers. */
    VL_CHECK_RC(vl_policy_parse_next(t->pol, u, ul, VL_POLICY_ALLOW_UNSIGNED, &p, NULL), VL_OK);
    if (p) {
        vl_policy_sig_counts(p, t->pol, &by_self, &by_cur);
        VL_CHECK(by_self == 0 && by_cur == 0);
        VL_CHECK(vl_policy_epoch(p) == 1); /* keys were removed: a new epoch */
    }
    vl_policy_destroy(&p);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->mu, &d, &dl, err), VL_EPERM);
    VL_CHECK(strstr(err, "not an approver") != NULL);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->outsider, &d, &dl, NULL), VL_EPERM);
    VL_CHECK_RC(vl_policy_sign(u, ul, t->a1, &d, &dl, NULL), VL_ECHAIN);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, a3, &d, &dl, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, a3, &d2, &d2l, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, a4, &d2, &d2l, NULL), VL_OK);
    /* Signed only by the new approvers: a thief naming himself. */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d2, d2l, 0, &p, err), VL_ETHRESHOLD);
    VL_CHECK(strstr(err, "signed by 0 of version 1's approvers, need 2") != NULL);
    free(d);
    free(d2);
    d = d2 = NULL;
    /* Signed only by the old approvers. */
    VL_CHECK_RC(s_test_sign(u, ul, old2, 2, &d, &dl), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &p, err), VL_ETHRESHOLD);
    VL_CHECK(strstr(err, "signed by 0 of its own approvers, need 2") != NULL);
    free(d);
    d = NULL;
    /* k of the old and k of the new: valid. */
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->a1, &d, &dl, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, t->a2, &d2, &d2l, NULL), VL_OK);
    free(d);
    d = NULL;
    VL_CHECK_RC(s_test_sign(d2, d2l, new2, 2, &d, &dl), VL_OK);
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &v2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(d, dl, 0, &p, NULL), VL_ECHAIN); /* not a genesis */
    if (!v2)
        goto out;
    vl_policy_sig_counts(v2, t->pol, &by_self, &by_cur);
    VL_CHECK(by_self == 2 && by_cur == 2 && vl_policy_nsigs(v2) == 4);
    VL_CHECK(vl_policy_version(v2) == 2 && vl_policy_from(v2) == 1);
    VL_CHECK(memcmp(vl_policy_prev(v2), g, VL_HASH_LEN) == 0);
    VL_CHECK(memcmp(vl_policy_after(v2), g, VL_HASH_LEN) == 0);
    VL_CHECK(vl_policy_fresh(v2) &&
             memcmp(vl_policy_fresh(v2), vl_keypair_pk(t->node), VL_PK_LEN) == 0);
    VL_CHECK(vl_policy_roles(v2, vl_keypair_pk(t->a1)) == 0);
    VL_CHECK(vl_policy_roles(v2, vl_keypair_pk(a3)) == VL_ROLE_APPROVER);
    VL_CHECK(strcmp(vl_policy_member_name(v2, vl_keypair_pk(a3)), "Secretariat A") == 0);
    /* The old key cannot open the new epoch; the new one opens both, epoch 0 unchanged. */
    VL_CHECK_RC(vl_policy_content_key(v2, 1, t->a1, k), VL_EPERM);
    VL_CHECK_RC(vl_policy_content_key(v2, 0, a3, k), VL_OK);
    VL_CHECK(memcmp(k, t->ckey, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(v2, 1, a3, k), VL_OK);
    VL_CHECK_RC(vl_policy_content_key(v2, 1, t->mu, k2), VL_OK);
    VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0 && memcmp(k, t->ckey, VL_KEY_LEN) != 0);
    /* A flipped byte in a signature (the last byte of the document). */
    d[dl - 1] ^= 0x01;
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &p, err), VL_EAUTH);
    VL_CHECK(strstr(err, "bad signature") != NULL);
    d[dl - 1] ^= 0x01;
    /* A signature by a non-approver, even on top of valid ones. */
    {
        vl_keypair_t *const x[] = { t->outsider };
        VL_CHECK_RC(s_test_sign(d, dl, x, 1, &d3, &d3l), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(vl_policy_parse_next(t->pol, d3, d3l, 0, &p, err), VL_EPERM);
        VL_CHECK(strstr(err, "not an approver of version 1 or 2") != NULL);
        free(d3);
        d3 = NULL;
    }
    /* Against the wrong predecessor (itself). */
    VL_CHECK_RC(vl_policy_parse_next(v2, d, dl, 0, &p, NULL), VL_ECHAIN);
    vl_policy_builder_destroy(&b);
    free(u);
    free(d);
    free(d2);
    u = d = d2 = NULL;

    /* Revocation of an authority (mu) at from 5: a new epoch, which mu
     * cannot open; mg opens every epoch, the old one unchanged. */
    uint8_t after5[VL_HASH_LEN];
    memset(after5, 0x55, sizeof after5);
    VL_CHECK_RC(vl_policy_builder_from(v2, t->mg, &b, NULL), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->mu), NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, v2, 5, after5, false, 1, &u, &ul, NULL),
                VL_OK);
    free(u);
    u = NULL;
    VL_CHECK_RC(s_test_next(b, v2, 5, after5, false, new2, 2, &v3, &d3, &d3l, NULL), VL_OK);
    if (v3) {
        VL_CHECK(vl_policy_version(v3) == 3 && vl_policy_from(v3) == 5 &&
                 vl_policy_epoch(v3) == 2);
        VL_CHECK(memcmp(vl_policy_after(v3), after5, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_policy_content_key(v3, 2, t->mu, k), VL_EPERM);
        VL_CHECK_RC(vl_policy_content_key(v3, 0, t->mu, k), VL_EPERM);
        for (uint32_t e = 0; e <= 2; e++) {
            VL_CHECK_RC(vl_policy_content_key(v3, e, t->mg, k), VL_OK);
            VL_CHECK_RC(vl_policy_content_key(e < 2 ? v2 : v3, e, t->node, k2), VL_OK);
            VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
        }
        VL_CHECK(vl_policy_roles(v3, vl_keypair_pk(t->mu)) == 0);
    }
    /* Forged versions 3 of v2 (signed by both approvers): each refused. */
    VL_CHECK_RC(vl_policy_builder_check(b, NULL), VL_OK);
    uint8_t(*rc3)[VL_PK_LEN] = NULL;
    size_t nrc3 = 0;
    VL_CHECK_RC(vl_policy_recipients(b->role, b->nrole, &rc3, &nrc3), VL_OK);
    if (rc3) {
        const uint8_t(*rcpt)[VL_PK_LEN] = (const uint8_t(*)[VL_PK_LEN])rc3;
        uint8_t other[VL_HASH_LEN];
        memset(other, 0x66, sizeof other);
        struct {
            const char *what;
            vl_pol_hdr_args_t a;
            bool add;
            int renumber;
            size_t nrcpt;
            int want;
            const char *msg;
        } cases[] = {
            { "the form of the genesis", { .after = NULL }, true, 0, nrc3, VL_EPROTO,
              "after and from are required" },
            { "version 4", { .after = after5, .from = 5, .version = 4 }, true, 0, nrc3, VL_ECHAIN,
              "does not follow version 2" },
            { "prev the genesis", { .after = after5, .from = 5, .prev = g }, true, 0, nrc3,
              VL_ECHAIN, "prev is not the hash of version 2" },
            { "another network", { .after = after5, .from = 5, .net = other }, true, 0, nrc3,
              VL_ECHAIN, "another network" },
            { "from before v2's", { .after = after5, .from = 0 }, true, 0, nrc3, VL_EPROTO,
              "from: 0" },
            { "same from, other after", { .after = other, .from = 1 }, true, 0, nrc3, VL_ECHAIN,
              "after names another link" },
            { "no new epoch", { .after = after5, .from = 5 }, false, 0, nrc3, VL_EINVAL,
              "a member key was removed: a new content-key epoch is required" },
            { "old epochs renumbered", { .after = after5, .from = 5 }, true, 1, nrc3,
              VL_EINVAL, "epoch 0 of version 2 is missing" },
            { "new epoch not last + 1", { .after = after5, .from = 5 }, true, 2, nrc3,
              VL_EINVAL, "the new epoch must be 2" },
            { "sealed to one key fewer", { .after = after5, .from = 5 }, true, 0, nrc3 - 1,
              VL_EINVAL, "not sealed to exactly" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            VL_CHECK_RC(s_test_forge(b, v2, &cases[i].a, cases[i].add, cases[i].renumber,
                                     rcpt, cases[i].nrcpt, &f, &fl),
                        VL_OK);
            VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
            err[0] = '\0';
            int rc = fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, err) : VL_OK;
            if (rc != cases[i].want || !strstr(err, cases[i].msg))
                fprintf(stderr, "forged version 3 (%s): %s: %s\n", cases[i].what,
                        vl_strerror(rc), err);
            VL_CHECK(rc == cases[i].want && strstr(err, cases[i].msg) != NULL);
            vl_policy_destroy(&p);
            free(f);
            free(fs);
        }
        /* A sealed box to the revoked key mu in the new epoch. */
        uint8_t(*more)[VL_PK_LEN] = malloc((nrc3 + 1) * VL_PK_LEN);
        if (more) {
            memcpy(more, rc3, nrc3 * VL_PK_LEN);
            memcpy(more[nrc3], vl_keypair_pk(t->mu), VL_PK_LEN);
            qsort(more, nrc3 + 1, VL_PK_LEN, vl_policy_cmp_pk);
            vl_pol_hdr_args_t a = { .after = after5, .from = 5 };
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            VL_CHECK_RC(s_test_forge(b, v2, &a, true, 0, (const uint8_t(*)[VL_PK_LEN])more,
                                     nrc3 + 1, &f, &fl),
                        VL_OK);
            VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
            VL_CHECK_RC(fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, NULL) : VL_OK, VL_EINVAL);
            vl_policy_destroy(&p);
            free(f);
            free(fs);
            free(more);
        }
        /* The fresh key not a node (mg, an authority). */
        b->has_fresh = true;
        memcpy(b->fresh, vl_keypair_pk(t->mg), VL_PK_LEN);
        vl_pol_hdr_args_t a = { .after = after5, .from = 5 };
        uint8_t *f = NULL, *fs = NULL;
        size_t fl = 0, fsl = 0;
        VL_CHECK_RC(s_test_forge(b, v2, &a, true, 0, rcpt, nrc3, &f, &fl), VL_OK);
        VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, err) : VL_OK, VL_EINVAL);
        VL_CHECK(strstr(err, "is not a node") != NULL);
        vl_policy_destroy(&p);
        free(f);
        free(fs);
        free(rc3);
    }
    vl_policy_builder_destroy(&b);

    /* From below the predecessor's: refused when built and when parsed. */
    if (v3) {
        VL_CHECK_RC(vl_policy_builder_from(v3, t->node, &b, NULL), VL_OK);
        if (b) {
            VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->node), NULL), VL_OK);
            VL_CHECK(vl_policy_fresh(v3) != NULL && !b->has_fresh); /* cleared with the node */
            VL_CHECK_RC(vl_policy_builder_finish_next(b, v3, 4, after5, false, 1, &u, &ul,
                                                      NULL),
                        VL_EINVAL);
            VL_CHECK_RC(vl_policy_builder_check(b, NULL), VL_OK);
            uint8_t(*r4)[VL_PK_LEN] = NULL;
            size_t nr4 = 0;
            VL_CHECK_RC(vl_policy_recipients(b->role, b->nrole, &r4, &nr4), VL_OK);
            vl_pol_hdr_args_t a = { .after = after5, .from = 4 };
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            if (r4) {
                VL_CHECK_RC(s_test_forge(b, v3, &a, true, 0, (const uint8_t(*)[VL_PK_LEN])r4,
                                         nr4, &f, &fl),
                            VL_OK);
                VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
                err[0] = '\0';
                VL_CHECK_RC(fs ? vl_policy_parse_next(v3, fs, fsl, 0, &p, err) : VL_OK,
                            VL_ECHAIN);
                VL_CHECK(strstr(err, "governs from entry 4, before") != NULL);
            }
            vl_policy_destroy(&p);
            free(f);
            free(fs);
            free(r4);
        }
        vl_policy_builder_destroy(&b);
    }

    /* Epochs are bounded: a new epoch in every version until VL_MAX_EPOCHS. */
    if (v3) {
        vl_policy_t *cur = v3, *nx = NULL;
        int rc = VL_OK;
        uint64_t ver = 3;
        while (rc == VL_OK && ver < 100) {
            uint8_t *nd = NULL;
            size_t ndl = 0;
            VL_CHECK_RC(vl_policy_builder_from(cur, t->node, &b, NULL), VL_OK);
            if (!b)
                break;
            rc = s_test_next(b, cur, 5, after5, true, new2, 2, &nx, &nd, &ndl, NULL);
            vl_policy_builder_destroy(&b);
            free(nd);
            if (rc == VL_OK) {
                if (cur != v3)
                    vl_policy_destroy(&cur);
                cur = nx;
                ver++;
            }
        }
        VL_CHECK(rc == VL_ELIMIT && ver == 3 + VL_MAX_EPOCHS - 3);
        VL_CHECK(vl_policy_epoch(cur) == VL_MAX_EPOCHS - 1);
        if (cur != v3)
            vl_policy_destroy(&cur);
    }

    /* A genesis may name a fresh key (a node), and says so. */
    {
        vl_policy_builder_t *gb = vl_policy_builder_new();
        uint8_t *gs = NULL;
        size_t gsl = 0;
        if (gb) {
            VL_CHECK_RC(vl_policy_builder_set(gb, "fresh net", 1, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(gb, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "A",
                                              NULL, NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(gb, VL_ROLE_NODE, vl_keypair_pk(n2), "N", NULL,
                                              NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_set_fresh(gb, vl_keypair_pk(t->a1)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish(gb, 1, &u, &ul, NULL), VL_EINVAL);
            VL_CHECK_RC(vl_policy_builder_set_fresh(gb, vl_keypair_pk(n2)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish(gb, 1, &u, &ul, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_sign(u, ul, t->a1, &gs, &gsl, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_parse(gs, gsl, 0, &p, NULL), VL_OK);
            VL_CHECK(p && vl_policy_fresh(p) &&
                     memcmp(vl_policy_fresh(p), vl_keypair_pk(n2), VL_PK_LEN) == 0);
            vl_policy_destroy(&p);
        }
        free(gs);
        vl_policy_builder_destroy(&gb);
    }
out:
    sodium_memzero(k, sizeof k);
    sodium_memzero(k2, sizeof k2);
    vl_policy_builder_destroy(&b);
    vl_policy_destroy(&p);
    vl_policy_destroy(&v2);
    vl_policy_destroy(&v3);
    free(u);
    free(d);
    free(d2);
    free(d3);
    vl_keypair_destroy(&a3);
    vl_keypair_destroy(&a4);
    vl_keypair_destroy(&n2);
    return VL_TEST_END;
}

/* ---- readers (docs/formats.md §3, docs/trust.md §8) ------------------------- */

/* The first occurrence of needle in buf, or NULL (memmem is not C11). */
static const uint8_t *
s_test_find(const uint8_t *buf, size_t len, const char *needle, size_t nlen)
{
    for (size_t i = 0; i + nlen <= len; i++)
        if (memcmp(buf + i, needle, nlen) == 0)
            return buf + i;
    return NULL;
}

/* Write the unsigned document of builder b (roles as they are: not sorted or
 * checked again) as a genesis sealed to rcpt, and parse it (unsigned). */
static int
s_test_forge_genesis(vl_policy_builder_t *b, const uint8_t (*rcpt)[VL_PK_LEN], size_t nrcpt,
                     vl_policy_t **out, char *err)
{
    uint8_t net[VL_NETID_LEN] = { 7 }, zero[VL_HASH_LEN] = { 0 }, ck[VL_KEY_LEN] = { 1 };
    uint8_t *doc = NULL;
    size_t len = 0;
    const uint32_t e0 = 0;
    vl_pol_hdr_args_t a = { .net = net, .prev = zero, .after = NULL, .from = 0, .version = 1,
                            .now = 1, .nepochs = 1, .epoch = &e0, .ckeys = ck, .rcpt = rcpt,
                            .nrcpt = nrcpt };
    int rc = vl_policy_builder_write(b, &a, &doc, &len, err);
    if (rc == VL_OK)
        rc = vl_policy_parse(doc, len, VL_POLICY_ALLOW_UNSIGNED, out, err);
    free(doc);
    return rc;
}

static int
s_test_readers(vl_testnet_t *t)
{
    VL_TEST_BEGIN;
    vl_keypair_t *r1 = NULL, *r2 = NULL, *r3 = NULL;
    vl_policy_builder_t *b = NULL;
    vl_policy_t *g = NULL, *v2 = NULL, *v3 = NULL, *p = NULL;
    uint8_t *u = NULL, *gs = NULL, *d2 = NULL, *d3 = NULL, *sx = NULL;
    size_t ul = 0, gsl = 0, d2l = 0, d3l = 0, sxl = 0;
    uint8_t(*rcpt)[VL_PK_LEN] = NULL;
    size_t nrcpt = 0;
    uint8_t seed[VL_SEED_LEN], k[VL_KEY_LEN], k2[VL_KEY_LEN];
    char err[VL_ERRMSG_MAX];

    /* A policy without readers has no "readers" key (existing documents
     * encode byte-identically) and the JSON view an empty list. */
    VL_CHECK(s_test_find(t->genesis, t->genesis_len, "readers", 7) == NULL);
    json_t *j = vl_policy_to_json(t->pol);
    VL_CHECK(j && json_is_array(json_object_get(j, "readers")) &&
             json_array_size(json_object_get(j, "readers")) == 0);
    json_decref(j);

    memset(seed, 0xa1, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &r1), VL_OK);
    memset(seed, 0xa2, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &r2), VL_OK);
    memset(seed, 0xa3, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &r3), VL_OK);
    if (!r1 || !r2 || !r3 || !(b = vl_policy_builder_new()))
        goto out;

    /* A genesis with two readers round-trips. */
    VL_CHECK_RC(vl_policy_builder_set(b, "reader net", 1, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "A", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(t->node), "N", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r2), "Reader two", NULL,
                                      NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r1), "Reader one", NULL,
                                      NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r1), "Reader one", NULL,
                                      NULL),
                VL_EINVAL); /* once per role */
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r3), "R", "MU", NULL),
                VL_EINVAL); /* only authorities have States */
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &u, &ul, NULL), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_sign(u, ul, r1, &gs, &gsl, err), VL_EPERM);
    VL_CHECK(strstr(err, "a reader key may not sign") != NULL);
    VL_CHECK_RC(vl_policy_sign(u, ul, t->a1, &gs, &gsl, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(gs, gsl, 0, &g, NULL), VL_OK);
    if (!g)
        goto out;
    VL_CHECK(s_test_find(gs, gsl, "readers", 7) != NULL);
    VL_CHECK(vl_policy_roles(g, vl_keypair_pk(r1)) == VL_ROLE_READER);
    VL_CHECK(vl_policy_roles(g, vl_keypair_pk(r2)) == VL_ROLE_READER);
    VL_CHECK(vl_policy_roles(g, vl_keypair_pk(r3)) == 0);
    VL_CHECK(!vl_policy_may_edit(g, vl_keypair_pk(r1), "MU"));
    VL_CHECK(strcmp(vl_policy_member_name(g, vl_keypair_pk(r1)), "Reader one") == 0);
    size_t cnt[2] = { 0, 0 };
    vl_policy_members_each(g, s_test_count_cb, cnt);
    VL_CHECK(cnt[0] == 4 && cnt[1] == (VL_ROLE_APPROVER | VL_ROLE_NODE | VL_ROLE_READER));
    j = vl_policy_to_json(g);
    VL_CHECK(j && json_array_size(json_object_get(j, "readers")) == 2);
    json_decref(j);
    /* The content key of epoch 0 is sealed to the readers. */
    VL_CHECK_RC(vl_policy_content_key(g, 0, t->a1, k), VL_OK);
    VL_CHECK_RC(vl_policy_content_key(g, 0, r1, k2), VL_OK);
    VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(g, 0, r2, k2), VL_OK);
    VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(g, 0, r3, k2), VL_EPERM);

    /* Canonical form, forged past the builder: unsorted, duplicate, too
     * many, an empty list, a reader holding another role. */
    VL_CHECK_RC(vl_policy_builder_check(b, NULL), VL_OK); /* sorts */
    VL_CHECK_RC(vl_policy_recipients(b->role, b->nrole, &rcpt, &nrcpt), VL_OK);
    if (!rcpt || b->nrole[VL_POL_READERS] != 2)
        goto out;
    vl_pol_member_t *rd = b->role[VL_POL_READERS], keep[2];
    memcpy(keep, rd, sizeof keep);
    VL_CHECK_RC(s_test_forge_genesis(b, (const uint8_t(*)[VL_PK_LEN])rcpt, nrcpt, &p, NULL),
                VL_OK);
    vl_policy_destroy(&p);
    rd[0] = keep[1];
    rd[1] = keep[0];
    err[0] = '\0';
    VL_CHECK_RC(s_test_forge_genesis(b, (const uint8_t(*)[VL_PK_LEN])rcpt, nrcpt, &p, err),
                VL_EPROTO);
    VL_CHECK(strstr(err, "policy.readers[1]: keys not sorted or listed twice") != NULL);
    rd[0] = rd[1] = keep[0];
    VL_CHECK_RC(s_test_forge_genesis(b, (const uint8_t(*)[VL_PK_LEN])rcpt, nrcpt, &p, NULL),
                VL_EPROTO);
    memcpy(rd, keep, sizeof keep);
    /* A reader that is the approver too. */
    memcpy(rd[0].pk, vl_keypair_pk(t->a1), VL_PK_LEN);
    qsort(rd, 2, sizeof *rd, vl_policy_cmp_member);
    err[0] = '\0';
    VL_CHECK_RC(s_test_forge_genesis(b, (const uint8_t(*)[VL_PK_LEN])rcpt, nrcpt, &p, err),
                VL_EINVAL);
    VL_CHECK(strstr(err, "holds another role") != NULL);
    memcpy(rd, keep, sizeof keep);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(t->a1), "A", NULL, NULL),
                VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &sx, &sxl, err), VL_EINVAL);
    VL_CHECK(strstr(err, "a reader key may hold no other role") != NULL);
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->a1), NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "A", NULL, NULL),
                VL_OK);
    /* VL_MAX_READERS + 1: the count is checked before the keys. */
    {
        vl_pol_member_t *many = calloc(VL_MAX_READERS + 1, sizeof *many);
        if (many) {
            for (size_t i = 0; i <= VL_MAX_READERS; i++)
                many[i] = keep[0];
            vl_pol_member_t *was = b->role[VL_POL_READERS];
            size_t wasn = b->nrole[VL_POL_READERS];
            b->role[VL_POL_READERS] = many;
            b->nrole[VL_POL_READERS] = VL_MAX_READERS + 1;
            err[0] = '\0';
            VL_CHECK_RC(s_test_forge_genesis(b, (const uint8_t(*)[VL_PK_LEN])rcpt, nrcpt, &p,
                                             err),
                        VL_EPROTO);
            VL_CHECK(strstr(err, "policy.readers: 1025 elements, want 1..1024") != NULL);
            b->role[VL_POL_READERS] = was;
            b->nrole[VL_POL_READERS] = wasn;
            free(many);
        }
        VL_CHECK(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r3), "R3", NULL, NULL) ==
                 VL_OK);
        VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(r3), NULL), VL_OK);
    }
    /* "readers": [] (no readers is no key): patch the one-reader document. */
    {
        vl_policy_builder_t *ob = vl_policy_builder_new();
        uint8_t *one = NULL;
        size_t onel = 0;
        vl_doc_t *dd = NULL;
        vl_wr_t *w = vl_wr_new();
        if (ob && w) {
            VL_CHECK_RC(vl_policy_builder_set(ob, "n", 1, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(ob, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "A",
                                              NULL, NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(ob, VL_ROLE_READER, vl_keypair_pk(r1), "R", NULL,
                                              NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish(ob, 1, &one, &onel, NULL), VL_OK);
            const uint8_t *hb;
            size_t hl;
            if (one && vl_doc_parse(one, onel, 0, &dd, NULL) == VL_OK &&
                vl_val_bin(vl_val_get(vl_doc_root(dd), "hdr"), &hb, &hl) == VL_OK) {
                /* "readers" 0x91 {key: bin 32, name: "R"} -> "readers" 0x90 */
                const uint8_t *at = s_test_find(hb, hl, "\xa7readers\x91", 9);
                size_t mlen = 1 + 4 + 2 + VL_PK_LEN + 5 + 2;
                VL_CHECK(at != NULL);
                if (at) {
                    size_t off = (size_t)(at - hb) + 8;
                    uint8_t *nh = malloc(hl);
                    if (nh) {
                        memcpy(nh, hb, off);
                        nh[off] = 0x90;
                        memcpy(nh + off + 1, hb + off + 1 + mlen, hl - off - 1 - mlen);
                        vl_wr_map(w, 2);
                        vl_wr_cstr(w, "hdr");
                        vl_wr_bin(w, nh, hl - mlen);
                        vl_wr_cstr(w, "sigs");
                        vl_wr_array(w, 0);
                        err[0] = '\0';
                        VL_CHECK_RC(vl_policy_parse(vl_wr_data(w), vl_wr_len(w),
                                                    VL_POLICY_ALLOW_UNSIGNED, &p, err),
                                    VL_EPROTO);
                        VL_CHECK(strstr(err, "readers") != NULL);
                        vl_policy_destroy(&p);
                        free(nh);
                    }
                }
            }
        }
        vl_wr_destroy(&w);
        vl_doc_destroy(&dd);
        free(one);
        vl_policy_builder_destroy(&ob);
    }
    vl_policy_builder_destroy(&b);

    /* Version 2 adds a reader: no new epoch, the new reader opens epoch 0. */
    vl_keypair_t *const signers[] = { t->a1 };
    uint8_t after[VL_HASH_LEN];
    memcpy(after, vl_policy_hash(g), VL_HASH_LEN);
    VL_CHECK_RC(vl_policy_builder_from(g, t->a1, &b, NULL), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(r3), "Reader three", NULL,
                                      NULL),
                VL_OK);
    VL_CHECK_RC(s_test_next(b, g, 1, after, false, signers, 1, &v2, &d2, &d2l, NULL), VL_OK);
    vl_policy_builder_destroy(&b);
    if (!v2)
        goto out;
    VL_CHECK(vl_policy_epoch(v2) == 0);
    VL_CHECK_RC(vl_policy_content_key(v2, 0, r3, k2), VL_OK);
    VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
    /* A reader may not sign version N+1. */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_sign_next(g, d2, d2l, r1, &sx, &sxl, err), VL_EPERM);
    VL_CHECK(strstr(err, "a reader key may not sign") != NULL);
    /* Starting a builder from v2 as a reader opens the keys (the CLI refuses
     * `policy propose` by a reader; the protocol only needs a member). */

    /* Version 3 revokes r1 and rotates r2 -> a fresh key: a new epoch
     * sealed to neither r1 nor r2, of which nothing is sealed to them. */
    vl_keypair_t *r4 = NULL;
    memset(seed, 0xa4, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &r4), VL_OK);
    VL_CHECK_RC(vl_policy_builder_from(v2, t->a1, &b, NULL), VL_OK);
    if (b && r4) {
        VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(r1), NULL), VL_OK);
        VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(r2), vl_keypair_pk(r4), NULL),
                    VL_OK);
        /* Without a new epoch the document is refused: forge one (epochs of v2
         * only, sealed to the new members). */
        VL_CHECK_RC(s_test_next(b, v2, 1, after, false, signers, 1, &v3, &d3, &d3l, NULL),
                    VL_OK);
    }
    vl_policy_builder_destroy(&b);
    if (v3) {
        VL_CHECK(vl_policy_epoch(v3) == 1);
        VL_CHECK(vl_policy_roles(v3, vl_keypair_pk(r1)) == 0);
        VL_CHECK(vl_policy_roles(v3, vl_keypair_pk(r2)) == 0);
        VL_CHECK(vl_policy_roles(v3, vl_keypair_pk(r4)) == VL_ROLE_READER);
        VL_CHECK(strcmp(vl_policy_member_name(v3, vl_keypair_pk(r4)), "Reader two") == 0);
        VL_CHECK_RC(vl_policy_content_key(v3, 1, r1, k2), VL_EPERM);
        VL_CHECK_RC(vl_policy_content_key(v3, 1, r2, k2), VL_EPERM);
        VL_CHECK_RC(vl_policy_content_key(v3, 0, r1, k2), VL_EPERM);
        VL_CHECK_RC(vl_policy_content_key(v3, 1, r4, k2), VL_OK);
        VL_CHECK_RC(vl_policy_content_key(v3, 1, t->a1, k), VL_OK);
        VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
        VL_CHECK_RC(vl_policy_content_key(v3, 1, r3, k2), VL_OK);
        /* What r1 could open before stays open in the versions that sealed it. */
        VL_CHECK_RC(vl_policy_content_key(v2, 0, r1, k2), VL_OK);
    }
    /* Forged: v3's members with v2's epochs only (the removed reader's key
     * must start a new epoch). */
    if (v3) {
        VL_CHECK_RC(vl_policy_builder_from(v2, t->a1, &b, NULL), VL_OK);
        if (b) {
            VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(r1), NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_check(b, NULL), VL_OK);
            uint8_t(*rc3)[VL_PK_LEN] = NULL;
            size_t n3 = 0;
            VL_CHECK_RC(vl_policy_recipients(b->role, b->nrole, &rc3, &n3), VL_OK);
            vl_pol_hdr_args_t a = { .net = vl_policy_net(v2), .prev = vl_policy_hash(v2),
                                    .after = vl_policy_after(v2), .from = 1, .version = 3,
                                    .now = 2, .nepochs = 1, .epoch = b->epoch,
                                    .ckeys = b->ckeys,
                                    .rcpt = (const uint8_t(*)[VL_PK_LEN])rc3, .nrcpt = n3 };
            uint8_t *fd = NULL, *fs = NULL;
            size_t fdl = 0, fsl = 0;
            if (rc3 && vl_policy_builder_write(b, &a, &fd, &fdl, NULL) == VL_OK &&
                s_test_sign(fd, fdl, signers, 1, &fs, &fsl) == VL_OK) {
                err[0] = '\0';
                VL_CHECK_RC(vl_policy_parse_next(v2, fs, fsl, 0, &p, err), VL_EINVAL);
                VL_CHECK(strstr(err, "a new content-key epoch is required") != NULL);
                vl_policy_destroy(&p);
            } else {
                VL_CHECK(!"forging v3 without a new epoch");
            }
            free(fd);
            free(fs);
            free(rc3);
        }
        vl_policy_builder_destroy(&b);
    }
    vl_keypair_destroy(&r4);
out:
    sodium_memzero(k, sizeof k);
    sodium_memzero(k2, sizeof k2);
    vl_policy_builder_destroy(&b);
    vl_policy_destroy(&g);
    vl_policy_destroy(&v2);
    vl_policy_destroy(&v3);
    vl_policy_destroy(&p);
    free(rcpt);
    free(u);
    free(gs);
    free(d2);
    free(d3);
    free(sx);
    vl_keypair_destroy(&r1);
    vl_keypair_destroy(&r2);
    vl_keypair_destroy(&r3);
    return VL_TEST_END;
}

int
vl_policy_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t t;
    vl_policy_t *p = NULL;
    vl_policy_builder_t *b = NULL;
    uint8_t *g0 = NULL, *g1 = NULL, *g2 = NULL, *bad = NULL;
    size_t l0 = 0, l1 = 0, l2 = 0, badlen = 0;
    char err[VL_ERRMSG_MAX];

    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    /* Roles and bindings. */
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.a1)) == VL_ROLE_APPROVER);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.mu)) == VL_ROLE_AUTHORITY);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.node)) == VL_ROLE_NODE);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.outsider)) == 0);
    VL_CHECK(vl_policy_may_edit(t.pol, vl_keypair_pk(t.mu), "MU"));
    VL_CHECK(!vl_policy_may_edit(t.pol, vl_keypair_pk(t.mu), "MG"));
    VL_CHECK(vl_policy_may_edit(t.pol, vl_keypair_pk(t.a1), "MG"));
    VL_CHECK(!vl_policy_may_edit(t.pol, vl_keypair_pk(t.node), "MU"));
    VL_CHECK(vl_policy_threshold(t.pol) == 2 && vl_policy_nsigs(t.pol) == 2);
    VL_CHECK(strcmp(vl_policy_member_name(t.pol, vl_keypair_pk(t.mg)),
                    "Madagascar central authority") == 0);

    /* Content key: every member opens the same key; an outsider cannot. */
    uint8_t k1[VL_KEY_LEN], k2[VL_KEY_LEN];
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.a1, k1), VL_OK);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.mu, k2), VL_OK);
    VL_CHECK(memcmp(k1, k2, VL_KEY_LEN) == 0 && memcmp(k1, t.ckey, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.outsider, k2), VL_EPERM);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 7, t.a1, k2), VL_ENOTFOUND);

    /* Signing rules: below threshold, non-approver, twice. */
    b = vl_policy_builder_new();
    VL_CHECK_RC(vl_policy_builder_set(b, "net", 2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a1), "A", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a1), "A", NULL, NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t.mu), "MU", "XX,mu",
                                      NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &g0, &l0, NULL), VL_EINVAL); /* 2 of 1 */
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a2), "B", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t.mu), "MU", "MU",
                                      NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &g0, &l0, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(g0, l0, 0, &p, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_parse(g0, l0, VL_POLICY_ALLOW_UNSIGNED, &p, NULL), VL_OK);
    vl_policy_destroy(&p);
    VL_CHECK_RC(vl_policy_sign(g0, l0, t.mu, &g1, &l1, NULL), VL_EPERM);
    VL_CHECK_RC(vl_policy_sign(g0, l0, t.a2, &g1, &l1, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign(g1, l1, t.a2, &g2, &l2, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_policy_parse(g1, l1, 0, &p, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign(g1, l1, t.a1, &g2, &l2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(g2, l2, 0, &p, NULL), VL_OK);
    vl_policy_destroy(&p);

    /* Tampering: any byte of the header flips the signatures (or the form). */
    if (g2 && (bad = malloc(l2))) {
        badlen = l2;
        size_t refused = 0;
        for (size_t i = 0; i < badlen; i += 7) {
            memcpy(bad, g2, l2);
            bad[i] ^= 0x01;
            if (vl_policy_parse(bad, badlen, 0, &p, NULL) != VL_OK)
                refused++;
            vl_policy_destroy(&p);
        }
        VL_CHECK(refused == (badlen + 6) / 7);
        /* truncated and trailing garbage */
        VL_CHECK(vl_policy_parse(g2, l2 - 1, 0, &p, NULL) != VL_OK);
    }
    /* The same approver counted twice: duplicate the first signature. The
     * writer refuses it, so forge the list by hand. */
    {
        vl_doc_t *d = NULL;
        vl_wr_t *w = vl_wr_new();
        VL_CHECK_RC(vl_doc_parse(g2, l2, 0, &d, NULL), VL_OK);
        if (d && w) {
            vl_val_t root = vl_doc_root(d), sigs = vl_val_get(root, "sigs");
            const uint8_t *hb;
            size_t hl;
            VL_CHECK_RC(vl_val_bin(vl_val_get(root, "hdr"), &hb, &hl), VL_OK);
            uint8_t k[VL_PK_LEN], s[VL_SIG_LEN];
            VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sigs, 0), "k"), k, VL_PK_LEN),
                        VL_OK);
            VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sigs, 0), "s"), s, VL_SIG_LEN),
                        VL_OK);
            vl_wr_map(w, 2);
            vl_wr_cstr(w, "hdr");
            vl_wr_bin(w, hb, hl);
            vl_wr_cstr(w, "sigs");
            vl_wr_array(w, 2);
            for (int i = 0; i < 2; i++) {
                vl_wr_map(w, 2);
                vl_wr_cstr(w, "k");
                vl_wr_bin(w, k, VL_PK_LEN);
                vl_wr_cstr(w, "s");
                vl_wr_bin(w, s, VL_SIG_LEN);
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_policy_parse(vl_wr_data(w), vl_wr_len(w), 0, &p, err), VL_EEXIST);
            VL_CHECK(strstr(err, "counted twice") != NULL);
            vl_policy_destroy(&p);
        }
        vl_doc_destroy(&d);
        vl_wr_destroy(&w);
    }
    json_t *j = vl_policy_to_json(t.pol);
    VL_CHECK(j && json_array_size(json_object_get(j, "approvers")) == 2);
    if (verbose && j) {
        char *s = json_dumps(j, JSON_COMPACT);
        printf("policy: %.200s...\n", s ? s : "");
        free(s);
    }
    json_decref(j);
    VL_CHECK(s_test_chain(&t) == 0);
    VL_CHECK(s_test_readers(&t) == 0);
    vl_policy_builder_destroy(&b);
    free(g0);
    free(g1);
    free(g2);
    free(bad);
    vl_testnet_fini(&t);
    return VL_TEST_END;
}
