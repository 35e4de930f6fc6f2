/* SPDX-License-Identifier: MIT */
/*
 * test_change - vl_change_test, the self-test of proposals, entries,
 * rejections, the signed envelope and the peeks (vl_proposal, vl_entry,
 * vl_rejection, vl_envelope); run by tests/vl_selftest.c (ctest
 * selftest_change).
 */
#include "vl_change.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_change_int.h"
#include "vl_check.h"
#include "vl_codec.h"
#include "vl_envelope.h"
#include "vl_fields.h"
#include "vl_selftests.h"

#include "vl_testnet.h"

static int
s_test_prop(vl_testnet_t *t, const vl_keypair_t *author, const char *id, const char *state,
            bool checked, const uint8_t *ckey, uint8_t **out, size_t *len)
{
    uint8_t *body = NULL;
    size_t blen = 0;
    vl_record_t *rec = NULL;
    vl_op_t op;
    int rc = vl_testnet_authority(id, state, "+230 5550 0000", &body, &blen);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, NULL);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    if (rc == VL_OK) {
        const uint8_t *bodies[1] = { body };
        size_t lens[1] = { blen };
        rc = checked ? vl_proposal_make(t->pol, author, ckey, 1700000100, &op, bodies, lens, 1,
                                        out, len, NULL)
                     : vl_proposal_build(t->pol, author, ckey, 1700000100, &op, bodies, lens, 1,
                                        out, len, NULL);
    }
    vl_record_destroy(&rec);
    free(body);
    return rc;
}

/* An entry header as vl_entry_make writes it, but naming any proposal id
 * (so the self-test can build entries that make refuses to build). */
static vl_wr_t *
s_test_entry_hdr(const vl_policy_t *pol, uint64_t seq, const uint8_t prev[VL_HASH_LEN],
                 const uint8_t pid[VL_HASH_LEN], const uint8_t root[VL_HASH_LEN])
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return NULL;
    vl_wr_map(w, 9);
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, vl_policy_net(pol), VL_NETID_LEN);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, vl_policy_version(pol));
    vl_wr_cstr(w, "prev");
    vl_wr_bin(w, prev, VL_HASH_LEN);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pid, VL_HASH_LEN);
    vl_wr_cstr(w, "root");
    vl_wr_bin(w, root, VL_HASH_LEN);
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, seq);
    vl_wr_cstr(w, "time");
    vl_wr_uint(w, 1700000300);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "entry");
    vl_wr_cstr(w, "v");
    vl_wr_uint(w, 1);
    return w;
}

/* An entry document from its parts: header, proposal and n (key, sig)
 * pairs written in the order given (sorted or not). */
static vl_wr_t *
s_test_entry_doc(const uint8_t *hb, size_t hl, const uint8_t *pb, size_t pl,
                 const uint8_t (*keys)[VL_PK_LEN], const uint8_t (*sigs)[VL_SIG_LEN], size_t n)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return NULL;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, hb, hl);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pb, pl);
    vl_wr_cstr(w, "sigs");
    vl_wr_array(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "k");
        vl_wr_bin(w, keys[i], VL_PK_LEN);
        vl_wr_cstr(w, "s");
        vl_wr_bin(w, sigs[i], VL_SIG_LEN);
    }
    return w;
}

/* VL_ENTRY_NO_SIGS: forged signatures pass, everything else is still checked. */
static int
s_test_no_sigs(vl_testnet_t *t, const uint8_t *c1, size_t l1, const uint8_t *c2, size_t l2,
               const uint8_t *prop, size_t plen, const uint8_t prev[VL_HASH_LEN],
               const uint8_t root[VL_HASH_LEN], bool verbose)
{
    VL_TEST_BEGIN;
    vl_doc_t *d = NULL;
    vl_entry_t *e = NULL;
    vl_wr_t *w = NULL, *hw = NULL;
    uint8_t *forged = NULL, *pcopy = NULL;
    size_t flen = 0;
    char err[VL_ERRMSG_MAX];
    const uint8_t *hb = NULL, *pb = NULL;
    size_t hl = 0, pl = 0;
    uint8_t keys[3][VL_PK_LEN], sigs[3][VL_SIG_LEN];

    VL_CHECK_RC(vl_doc_parse(c2, l2, 0, &d, NULL), VL_OK);
    if (!d)
        goto out;
    vl_val_t rt = vl_doc_root(d), sl = vl_val_get(rt, "sigs");
    VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "hdr"), &hb, &hl), VL_OK);
    VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "prop"), &pb, &pl), VL_OK);
    VL_CHECK(vl_val_len(sl) == 2);
    for (uint32_t i = 0; i < 2; i++) {
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "k"), keys[i], VL_PK_LEN),
                    VL_OK);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "s"), sigs[i], VL_SIG_LEN),
                    VL_OK);
    }
    if (!hb || !pb)
        goto out;

    /* The untouched entry parses both ways, with the same signers. */
    VL_CHECK_RC(vl_entry_parse(t->pol, c2, l2, VL_ENTRY_NO_SIGS, &e, NULL), VL_OK);
    VL_CHECK(e && vl_entry_nsigs(e) == 2 &&
             memcmp(vl_entry_signer(e, 1), keys[1], VL_PK_LEN) == 0);
    vl_entry_destroy(&e);

    /* 1. A forged approver signature: refused by a full parse only. */
    sigs[1][10] ^= 0x40;
    w = s_test_entry_doc(hb, hl, pb, pl, (const uint8_t(*)[VL_PK_LEN])keys,
                         (const uint8_t(*)[VL_SIG_LEN])sigs, 2);
    sigs[1][10] ^= 0x40;
    VL_CHECK(w != NULL);
    if (w) {
        err[0] = '\0';
        VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err), VL_EAUTH);
        VL_CHECK(strstr(err, "entry 1: bad signature by approver") != NULL);
        VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                   NULL), VL_OK);
        vl_entry_destroy(&e);
        vl_wr_destroy(&w);
    }

    /* 2. A forged author signature (last byte of the proposal is the last
     * byte of its "sig"; the id, hence the entry header, is unchanged). */
    if ((pcopy = malloc(pl))) {
        memcpy(pcopy, pb, pl);
        pcopy[pl - 1] ^= 0x01;
        w = s_test_entry_doc(hb, hl, pcopy, pl, (const uint8_t(*)[VL_PK_LEN])keys,
                             (const uint8_t(*)[VL_SIG_LEN])sigs, 2);
        if (w) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err),
                        VL_EAUTH);
            VL_CHECK(strstr(err, "proposal: bad signature") != NULL);
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       NULL), VL_OK);
            vl_entry_destroy(&e);
            vl_wr_destroy(&w);
        }
        /* vl_proposal_parse itself still verifies the author. */
        vl_proposal_t *p = NULL;
        VL_CHECK_RC(vl_proposal_parse(t->pol, pcopy, pl, &p, NULL), VL_EAUTH);
        vl_proposal_destroy(&p);
    }

    /* 3. The form of the list is still checked. */
    {
        struct {
            const char *what;
            int want;
        } cases[] = {
            { "below threshold", VL_ETHRESHOLD },
            { "non-approver key", VL_EPERM },
            { "approver twice", VL_EEXIST },
            { "unsorted", VL_EPROTO },
            { "short signature", VL_EPROTO },
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            uint8_t k2[2][VL_PK_LEN], s2[2][VL_SIG_LEN];
            size_t n = 2;
            memcpy(k2, keys, sizeof k2);
            memcpy(s2, sigs, sizeof s2);
            if (c == 0) {
                n = 1;
            } else if (c == 1) {
                /* an approver and mu's key, in sorted order */
                const uint8_t *a = keys[0], *b = vl_keypair_pk(t->mu);
                if (memcmp(a, b, VL_PK_LEN) > 0) {
                    const uint8_t *x = a;
                    a = b;
                    b = x;
                }
                memcpy(k2[0], a, VL_PK_LEN);
                memcpy(k2[1], b, VL_PK_LEN);
            } else if (c == 2) {
                memcpy(k2[1], k2[0], VL_PK_LEN);
            } else if (c == 3) {
                memcpy(k2[0], keys[1], VL_PK_LEN);
                memcpy(k2[1], keys[0], VL_PK_LEN);
            }
            if (c == 4) {
                /* one signature of 63 bytes: written by hand */
                w = vl_wr_new();
                if (w) {
                    vl_wr_map(w, 3);
                    vl_wr_cstr(w, "hdr");
                    vl_wr_bin(w, hb, hl);
                    vl_wr_cstr(w, "prop");
                    vl_wr_bin(w, pb, pl);
                    vl_wr_cstr(w, "sigs");
                    vl_wr_array(w, 2);
                    for (int i = 0; i < 2; i++) {
                        vl_wr_map(w, 2);
                        vl_wr_cstr(w, "k");
                        vl_wr_bin(w, keys[i], VL_PK_LEN);
                        vl_wr_cstr(w, "s");
                        vl_wr_bin(w, sigs[i], i ? VL_SIG_LEN - 1 : VL_SIG_LEN);
                    }
                }
            } else {
                w = s_test_entry_doc(hb, hl, pb, pl, (const uint8_t(*)[VL_PK_LEN])k2,
                                     (const uint8_t(*)[VL_SIG_LEN])s2, n);
            }
            VL_CHECK(w != NULL);
            if (!w)
                continue;
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       err), cases[c].want);
            if (verbose)
                printf("change: no-sigs %s refused: %s\n", cases[c].what, err);
            vl_entry_destroy(&e);
            vl_wr_destroy(&w);
        }
        /* A candidate with one signature is still a candidate. */
        VL_CHECK_RC(vl_entry_parse(t->pol, c1, l1, VL_ENTRY_NO_SIGS | VL_ENTRY_CANDIDATE, &e,
                                   NULL), VL_OK);
        VL_CHECK(e && vl_entry_nsigs(e) == 1);
        vl_entry_destroy(&e);
    }

    /* 4. The embedded proposal's authorization and id are still checked:
     * MU editing MG (garbage signatures everywhere), and a header naming
     * another proposal than the one carried. */
    {
        uint8_t junk[2][VL_SIG_LEN];
        memset(junk, 0x33, sizeof junk);
        VL_CHECK_RC(s_test_prop(t, t->mu, "MG-01", "MG", false, t->ckey, &forged, &flen), VL_OK);
        uint8_t fid[VL_HASH_LEN];
        vl_hash_t hh;
        memset(fid, 0, sizeof fid);
        /* The forged proposal's id, computed as the decoder does. */
        vl_doc_t *fd = NULL;
        const uint8_t *fhb = NULL, *fct = NULL;
        size_t fhl = 0, fcl = 0;
        if (forged && vl_doc_parse(forged, flen, 0, &fd, NULL) == VL_OK &&
            vl_val_bin(vl_val_get(vl_doc_root(fd), "hdr"), &fhb, &fhl) == VL_OK &&
            vl_val_bin(vl_val_get(vl_doc_root(fd), "ct"), &fct, &fcl) == VL_OK) {
            vl_hash_init(&hh, "valise/proposal/1");
            vl_hash_lp(&hh, fhb, fhl);
            vl_hash_update(&hh, fct, fcl);
            vl_hash_final(&hh, fid);
            hw = s_test_entry_hdr(t->pol, 1, prev, fid, root);
            w = hw ? s_test_entry_doc(vl_wr_data(hw), vl_wr_len(hw), forged, flen,
                                      (const uint8_t(*)[VL_PK_LEN])keys,
                                      (const uint8_t(*)[VL_SIG_LEN])junk, 2)
                   : NULL;
            VL_CHECK(w != NULL);
            if (w) {
                err[0] = '\0';
                VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS,
                                           &e, err), VL_EPERM);
                VL_CHECK(strstr(err, "may not edit records of MG") != NULL);
                vl_entry_destroy(&e);
            }
            vl_wr_destroy(&w);
            vl_wr_destroy(&hw);
        } else {
            VL_CHECK(!"forged proposal decodes");
        }
        vl_doc_destroy(&fd);
        /* The header names the forged id but carries the good proposal. */
        hw = s_test_entry_hdr(t->pol, 1, prev, fid, root);
        w = hw ? s_test_entry_doc(vl_wr_data(hw), vl_wr_len(hw), prop, plen,
                                  (const uint8_t(*)[VL_PK_LEN])keys,
                                  (const uint8_t(*)[VL_SIG_LEN])junk, 2)
               : NULL;
        VL_CHECK(w != NULL);
        if (w) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       err), VL_EPROTO);
            VL_CHECK(strstr(err, "names another proposal") != NULL);
            vl_entry_destroy(&e);
        }
        vl_wr_destroy(&w);
        vl_wr_destroy(&hw);
    }
out:
    vl_entry_destroy(&e);
    vl_wr_destroy(&w);
    vl_wr_destroy(&hw);
    vl_doc_destroy(&d);
    free(forged);
    free(pcopy);
    return VL_TEST_END;
}

/* Version 2 of the test network (a freshness key named, nothing else
 * changed), signed by both approvers. */
static int
s_test_policy_v2(const vl_testnet_t *t, vl_policy_t **v2)
{
    int rc;
    vl_policy_builder_t *b = NULL;
    uint8_t *u = NULL, *one = NULL, *two = NULL;
    size_t ul = 0, onel = 0, twol = 0;
    *v2 = NULL;
    if ((rc = vl_policy_builder_from(t->pol, t->a1, &b, NULL)) != VL_OK ||
        (rc = vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node))) != VL_OK ||
        (rc = vl_policy_builder_finish_next(b, t->pol, 1, vl_policy_hash(t->pol), false,
                                            1700000100, &u, &ul, NULL)) != VL_OK ||
        (rc = vl_policy_sign_next(t->pol, u, ul, t->a1, &one, &onel, NULL)) != VL_OK ||
        (rc = vl_policy_sign_next(t->pol, one, onel, t->a2, &two, &twol, NULL)) != VL_OK)
        goto out;
    rc = vl_policy_parse_next(t->pol, two, twol, 0, v2, NULL);
out:
    vl_policy_builder_destroy(&b);
    free(u);
    free(one);
    free(two);
    return rc;
}

/* vl_entry_peek and vl_envelope_peek_uint: the clear header of a valid
 * entry (candidate or final), every truncation and byte flip handled without
 * a crash, and documents that are not entries or carry no usable header
 * refused with VL_EPROTO / VL_ELIMIT. */
static int
s_test_peek(const vl_testnet_t *t, const uint8_t *c0, size_t l0, const uint8_t *c2, size_t l2,
            const uint8_t *prop, size_t plen, const uint8_t *rej, size_t rlen,
            const uint8_t prev[VL_HASH_LEN], const uint8_t root[VL_HASH_LEN])
{
    VL_TEST_BEGIN;
    vl_entry_head_t h;
    vl_proposal_t *p = NULL;
    vl_wr_t *hw = NULL, *dw = NULL;
    uint8_t *bad = NULL, *big = NULL;
    uint64_t u = 0;
    char err[VL_ERRMSG_MAX];

    /* A final entry and its candidate carry the same header. */
    VL_CHECK_RC(vl_proposal_parse(t->pol, prop, plen, &p, NULL), VL_OK);
    const uint8_t *cands[2] = { c0, c2 };
    const size_t lens[2] = { l0, l2 };
    for (int k = 0; k < 2; k++) {
        memset(&h, 0xee, sizeof h);
        VL_CHECK_RC(vl_entry_peek(cands[k], lens[k], &h, NULL), VL_OK);
        VL_CHECK(h.seq == 1 && h.policy == vl_policy_version(t->pol));
        VL_CHECK(h.time == 1700000200);
        VL_CHECK(memcmp(h.prev, prev, VL_HASH_LEN) == 0);
        VL_CHECK(memcmp(h.root, root, VL_HASH_LEN) == 0);
        VL_CHECK(memcmp(h.net, vl_policy_net(t->pol), VL_NETID_LEN) == 0);
        VL_CHECK(p && memcmp(h.prop, vl_proposal_id(p), VL_HASH_LEN) == 0);
        /* ... and the same header with the embedded proposal's author. */
        vl_entry_head_t h2;
        uint8_t author[VL_PK_LEN];
        memset(author, 0xee, sizeof author);
        VL_CHECK_RC(vl_entry_peek_author(cands[k], lens[k], &h2, author, NULL), VL_OK);
        VL_CHECK(memcmp(&h2, &h, sizeof h) == 0);
        VL_CHECK(p && memcmp(author, vl_proposal_author(p), VL_PK_LEN) == 0);
    }
    {
        uint8_t author[VL_PK_LEN];
        VL_CHECK_RC(vl_proposal_peek_author(prop, plen, author, NULL), VL_OK);
        VL_CHECK(p && memcmp(author, vl_proposal_author(p), VL_PK_LEN) == 0);
        /* Not a proposal: an entry, a rejection, a policy, nothing. */
        VL_CHECK_RC(vl_proposal_peek_author(c2, l2, author, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_proposal_peek_author(rej, rlen, author, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_proposal_peek_author(t->genesis, t->genesis_len, author, NULL),
                    VL_EPROTO);
        VL_CHECK_RC(vl_proposal_peek_author(NULL, 0, author, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_entry_peek_author(prop, plen, &h, author, NULL), VL_EPROTO);
        /* Every truncation of an entry refused, the outputs zeroed. */
        static const uint8_t zero[VL_PK_LEN];
        size_t ok_trunc = 0;
        for (size_t n = 0; n < l2; n++) {
            memset(author, 0xee, sizeof author);
            int rc = vl_entry_peek_author(c2, n, &h, author, NULL);
            if ((rc == VL_EPROTO || rc == VL_ELIMIT) && h.seq == 0 &&
                memcmp(author, zero, VL_PK_LEN) == 0)
                ok_trunc++;
        }
        VL_CHECK(ok_trunc == l2);
        /* Byte flips: OK (then seq >= 1), EPROTO or ELIMIT, never a crash. */
        uint8_t *fl = malloc(l2);
        if (fl) {
            size_t sane = 0;
            for (size_t i = 0; i < l2; i++) {
                memcpy(fl, c2, l2);
                fl[i] ^= (uint8_t)(1u << (i % 8));
                int rc = vl_entry_peek_author(fl, l2, &h, author, NULL);
                if ((rc == VL_OK && h.seq >= 1) || rc == VL_EPROTO || rc == VL_ELIMIT)
                    sane++;
            }
            VL_CHECK(sane == l2);
            free(fl);
        }
    }
    /* The envelope-level peek reads the same fields, and those of other
     * {"hdr", ...} documents: a rejection, a policy. */
    VL_CHECK_RC(vl_envelope_peek_uint(c2, l2, "seq", &u, NULL), VL_OK);
    VL_CHECK(u == 1);
    VL_CHECK_RC(vl_envelope_peek_uint(c2, l2, "policy", &u, NULL), VL_OK);
    VL_CHECK(u == vl_policy_version(t->pol));
    VL_CHECK_RC(vl_envelope_peek_uint(rej, rlen, "time", &u, NULL), VL_OK);
    VL_CHECK(u == 5);
    VL_CHECK_RC(vl_envelope_peek_uint(t->genesis, t->genesis_len, "version", &u, NULL), VL_OK);
    VL_CHECK(u == 1);
    VL_CHECK_RC(vl_envelope_peek_uint(prop, plen, "time", &u, NULL), VL_OK);
    /* Absent key, a key that is not a uint, no header at all. */
    u = 7;
    VL_CHECK_RC(vl_envelope_peek_uint(c2, l2, "nope", &u, NULL), VL_EPROTO);
    VL_CHECK(u == 0);
    VL_CHECK_RC(vl_envelope_peek_uint(c2, l2, "prev", &u, NULL), VL_EPROTO);
    VL_CHECK_RC(vl_envelope_peek_uint(rej, rlen, "reason", &u, NULL), VL_EPROTO);
    VL_CHECK_RC(vl_envelope_peek_uint(NULL, 0, "seq", &u, NULL), VL_EPROTO);
    VL_CHECK_RC(vl_entry_peek(NULL, 0, &h, NULL), VL_EPROTO);
    /* Not an entry: a proposal, a rejection, a policy. */
    VL_CHECK_RC(vl_entry_peek(prop, plen, &h, NULL), VL_EPROTO);
    VL_CHECK_RC(vl_entry_peek(rej, rlen, &h, NULL), VL_EPROTO);
    VL_CHECK_RC(vl_entry_peek(t->genesis, t->genesis_len, &h, NULL), VL_EPROTO);

    /* Every truncation is refused and leaves the output zeroed. */
    size_t refused = 0;
    for (size_t n = 0; n < l2; n++) {
        memset(&h, 0xee, sizeof h);
        int rc = vl_entry_peek(c2, n, &h, NULL);
        int rc2 = vl_envelope_peek_uint(c2, n, "seq", &u, NULL);
        if ((rc == VL_EPROTO || rc == VL_ELIMIT) && h.seq == 0 && h.policy == 0 &&
            (rc2 == VL_EPROTO || rc2 == VL_ELIMIT))
            refused++;
    }
    VL_CHECK(refused == l2);
    /* Byte flips: a flip may leave a valid header (in a signature, say), but
     * never gives anything but OK, EPROTO or ELIMIT; when OK, seq >= 1. */
    if ((bad = malloc(l2))) {
        size_t sane = 0;
        for (size_t i = 0; i < l2; i++) {
            memcpy(bad, c2, l2);
            bad[i] ^= (uint8_t)(1u << (i % 8));
            int rc = vl_entry_peek(bad, l2, &h, NULL);
            int rc2 = vl_envelope_peek_uint(bad, l2, "seq", &u, NULL);
            if (((rc == VL_OK && h.seq >= 1 && h.policy >= 1) || rc == VL_EPROTO ||
                 rc == VL_ELIMIT) &&
                (rc2 == VL_OK || rc2 == VL_EPROTO || rc2 == VL_ELIMIT))
                sane++;
        }
        VL_CHECK(sane == l2);
    }
    /* Larger than any entry. */
    if ((big = calloc(1, (size_t)VL_MAX_ENTRY + 1))) {
        memcpy(big, c2, l2);
        VL_CHECK_RC(vl_entry_peek(big, (size_t)VL_MAX_ENTRY + 1, &h, NULL), VL_ELIMIT);
    }
    /* Well-formed documents with a bad header: seq 0, another type, a header
     * that is not msgpack, a header that is not a bin. */
    hw = s_test_entry_hdr(t->pol, 0, prev, prev, root);
    dw = hw ? s_test_entry_doc(vl_wr_data(hw), vl_wr_len(hw), prop, plen, NULL, NULL, 0) : NULL;
    VL_CHECK(dw != NULL);
    if (dw) {
        err[0] = '\0';
        VL_CHECK_RC(vl_entry_peek(vl_wr_data(dw), vl_wr_len(dw), &h, err), VL_EPROTO);
        VL_CHECK(strstr(err, "seq 0") != NULL);
        VL_CHECK_RC(vl_envelope_peek_uint(vl_wr_data(dw), vl_wr_len(dw), "seq", &u, NULL),
                    VL_OK);
        VL_CHECK(u == 0);
    }
    vl_wr_destroy(&dw);
    static const uint8_t junk[] = { 0xc1, 0x00 };
    dw = s_test_entry_doc(junk, sizeof junk, prop, plen, NULL, NULL, 0);
    if (dw) {
        VL_CHECK_RC(vl_entry_peek(vl_wr_data(dw), vl_wr_len(dw), &h, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_envelope_peek_uint(vl_wr_data(dw), vl_wr_len(dw), "seq", &u, NULL),
                    VL_EPROTO);
    }
    vl_wr_destroy(&dw);
    if ((dw = vl_wr_new())) {
        vl_wr_map(dw, 1);
        vl_wr_cstr(dw, "hdr");
        vl_wr_uint(dw, 1);
        err[0] = '\0';
        VL_CHECK_RC(vl_envelope_peek_uint(vl_wr_data(dw), vl_wr_len(dw), "seq", &u, err),
                    VL_EPROTO);
        VL_CHECK(strstr(err, "no header") != NULL);
        VL_CHECK_RC(vl_entry_peek(vl_wr_data(dw), vl_wr_len(dw), &h, NULL), VL_EPROTO);
    }
    vl_wr_destroy(&dw);

    free(big);
    free(bad);
    vl_wr_destroy(&hw);
    vl_proposal_destroy(&p);
    return VL_TEST_END;
}

int
vl_change_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t t;
    uint8_t *prop = NULL, *forged = NULL, *c0 = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL,
            *rej = NULL, *bad = NULL;
    size_t plen = 0, flen = 0, l0 = 0, l1 = 0, l2 = 0, l3 = 0, rlen = 0;
    vl_proposal_t *p = NULL;
    vl_entry_t *e = NULL;
    vl_rejection_t *r = NULL;
    char err[VL_ERRMSG_MAX];
    uint8_t root[VL_HASH_LEN], prev[VL_HASH_LEN];
    memset(root, 0xab, sizeof root);

    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    memcpy(prev, vl_policy_hash(t.pol), VL_HASH_LEN);

    /* A central authority proposes for its own State. */
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MU-01", "MU", true, t.ckey, &prop, &plen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, prop, plen, &p, NULL), VL_OK);
    if (p) {
        VL_CHECK(vl_proposal_nops(p) == 1);
        VL_CHECK(strcmp(vl_proposal_op(p, 0)->id, "MU-01") == 0);
        VL_CHECK(vl_proposal_record(p, 0) == NULL); /* not opened yet */
        uint8_t wrong[VL_KEY_LEN];
        memset(wrong, 1, sizeof wrong);
        VL_CHECK_RC(vl_proposal_open(p, wrong, NULL), VL_EAUTH);
        VL_CHECK_RC(vl_proposal_open(p, t.ckey, NULL), VL_OK);
        VL_CHECK(vl_proposal_record(p, 0) &&
                 strcmp(vl_record_id(vl_proposal_record(p, 0)), "MU-01") == 0);
    }
    vl_proposal_destroy(&p);

    /* ... but not for another State: refused when made, and when a forged
     * one (built without the check) is parsed. */
    err[0] = '\0';
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", true, t.ckey, &forged, &flen), VL_EPERM);
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, err), VL_EPERM);
    VL_CHECK(strstr(err, "may not edit records of MG") != NULL);
    free(forged);
    forged = NULL;
    /* Unknown key, and a node key (wrong role). */
    VL_CHECK_RC(s_test_prop(&t, t.outsider, "MU-02", "MU", false, t.ckey, &forged, &flen),
                VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, err), VL_EPERM);
    VL_CHECK(strstr(err, "unknown key") != NULL);
    free(forged);
    forged = NULL;
    VL_CHECK_RC(s_test_prop(&t, t.node, "MU-02", "MU", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, NULL), VL_EPERM);
    free(forged);
    forged = NULL;
    /* Tampered ciphertext under a valid signature: encrypted with another
     * key by the author, it parses but does not open. */
    uint8_t other[VL_KEY_LEN];
    memset(other, 9, sizeof other);
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MU-03", "MU", false, other, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, NULL), VL_OK);
    if (p)
        VL_CHECK_RC(vl_proposal_open(p, t.ckey, NULL), VL_EAUTH);
    vl_proposal_destroy(&p);
    free(forged);
    forged = NULL;
    /* Any flipped byte of a proposal is refused (signature, form or tag). */
    if (prop && (bad = malloc(plen))) {
        size_t refused = 0, tried = 0;
        for (size_t i = 0; i < plen; i += 5, tried++) {
            memcpy(bad, prop, plen);
            bad[i] ^= 0x20;
            if (vl_proposal_parse(t.pol, bad, plen, &p, NULL) != VL_OK)
                refused++;
            vl_proposal_destroy(&p);
        }
        VL_CHECK(refused == tried);
        VL_CHECK(vl_proposal_parse(t.pol, prop, plen - 1, &p, NULL) != VL_OK);
        free(bad);
        bad = NULL;
    }

    /* Entries: candidate, threshold, roles, twice. */
    VL_CHECK_RC(vl_entry_make(t.pol, 1, prev, prop, plen, root, 1700000200, &c0, &l0, NULL),
                VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_entry_parse(t.pol, c0, l0, 0, &e, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_entry_parse(t.pol, c0, l0, VL_ENTRY_CANDIDATE, &e, NULL), VL_OK);
    vl_entry_destroy(&e);
    VL_CHECK_RC(vl_entry_sign(t.pol, c0, l0, t.mu, &c1, &l1, NULL), VL_EPERM);
    VL_CHECK_RC(vl_entry_sign(t.pol, c0, l0, t.a1, &c1, &l1, NULL), VL_OK);
    VL_CHECK_RC(vl_entry_sign(t.pol, c1, l1, t.a1, &c2, &l2, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_entry_parse(t.pol, c1, l1, 0, &e, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_entry_sign(t.pol, c1, l1, t.a2, &c2, &l2, NULL), VL_OK);
    VL_CHECK_RC(vl_entry_parse(t.pol, c2, l2, 0, &e, NULL), VL_OK);
    if (e) {
        VL_CHECK(vl_entry_seq(e) == 1 && vl_entry_nsigs(e) == 2);
        VL_CHECK(memcmp(vl_entry_prev(e), prev, VL_HASH_LEN) == 0);
        VL_CHECK(memcmp(vl_entry_root(e), root, VL_HASH_LEN) == 0);
        VL_CHECK(vl_entry_proposal(e) != NULL);
    }
    vl_entry_destroy(&e);
    /* Any flipped byte of a signed entry is refused. */
    if (c2 && (bad = malloc(l2))) {
        size_t refused = 0, tried = 0;
        for (size_t i = 0; i < l2; i += 11, tried++) {
            memcpy(bad, c2, l2);
            bad[i] ^= 0x04;
            if (vl_entry_parse(t.pol, bad, l2, 0, &e, NULL) != VL_OK)
                refused++;
            vl_entry_destroy(&e);
        }
        VL_CHECK(refused == tried);
        free(bad);
        bad = NULL;
    }
    /* The same approver counted twice: forge a sigs list with a1 twice. */
    {
        vl_doc_t *d = NULL;
        vl_wr_t *w = vl_wr_new();
        VL_CHECK_RC(vl_doc_parse(c1, l1, 0, &d, NULL), VL_OK);
        if (d && w) {
            vl_val_t rt = vl_doc_root(d), s0 = vl_val_at(vl_val_get(rt, "sigs"), 0);
            const uint8_t *hb, *pb, *k, *s;
            size_t hl, pl, kl, sl;
            VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "hdr"), &hb, &hl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "prop"), &pb, &pl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(s0, "k"), &k, &kl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(s0, "s"), &s, &sl), VL_OK);
            vl_wr_map(w, 3);
            vl_wr_cstr(w, "hdr");
            vl_wr_bin(w, hb, hl);
            vl_wr_cstr(w, "prop");
            vl_wr_bin(w, pb, pl);
            vl_wr_cstr(w, "sigs");
            vl_wr_array(w, 2);
            for (int i = 0; i < 2; i++) {
                vl_wr_map(w, 2);
                vl_wr_cstr(w, "k");
                vl_wr_bin(w, k, kl);
                vl_wr_cstr(w, "s");
                vl_wr_bin(w, s, sl);
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t.pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err),
                        VL_EEXIST);
            VL_CHECK(strstr(err, "counted twice") != NULL);
            vl_entry_destroy(&e);
        }
        vl_doc_destroy(&d);
        vl_wr_destroy(&w);
    }
    /* VL_ENTRY_NO_SIGS skips exactly the signatures. */
    if (c1 && c2 && prop)
        VL_CHECK(s_test_no_sigs(&t, c1, l1, c2, l2, prop, plen, prev, root, verbose) == 0);
    /* An entry carrying a forged proposal (MU editing MG) is refused even
     * with both approver signatures. */
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_entry_make(t.pol, 1, prev, forged, flen, root, 1, &c3, &l3, NULL), VL_EPERM);
    /* An entry names exactly the policy version that governs it
     * (docs/trust.md §1.2): entry 1 signed under version 1 is refused when
     * version 2 governs seq 1 (its approvers may have been revoked), and an
     * entry under version 2 is not verifiable by a node knowing only 1. */
    {
        vl_policy_t *v2 = NULL;
        uint8_t *e2 = NULL;
        size_t e2len = 0;
        VL_CHECK_RC(s_test_policy_v2(&t, &v2), VL_OK);
        if (v2 && c2) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(v2, c2, l2, 0, &e, err), VL_EPERM);
            VL_CHECK(strstr(err, "entry 1 is under policy version 1 but version 2 governs it") !=
                     NULL);
            vl_entry_destroy(&e);
            VL_CHECK_RC(vl_entry_make(v2, 1, prev, prop, plen, root, 1700000300, &e2, &e2len,
                                      NULL),
                        VL_OK);
            VL_CHECK_RC(vl_entry_parse(v2, e2, e2len, VL_ENTRY_CANDIDATE, &e, NULL), VL_OK);
            vl_entry_destroy(&e);
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t.pol, e2, e2len, VL_ENTRY_CANDIDATE, &e, err),
                        VL_ENOTFOUND);
            VL_CHECK(strstr(err, "names policy version 2, newer than version 1") != NULL);
            vl_entry_destroy(&e);
        }
        free(e2);
        vl_policy_destroy(&v2);
    }

    /* Rejections. */
    uint8_t pid[VL_HASH_LEN];
    memset(pid, 0x5a, sizeof pid);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.mu, pid, "no", 1, &rej, &rlen, NULL), VL_EPERM);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.a1, pid, "", 1, &rej, &rlen, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.a1, pid, "duplicate of an earlier request", 5, &rej,
                                  &rlen, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_parse(t.pol, rej, rlen, &r, NULL), VL_OK);
    if (r) {
        VL_CHECK(strcmp(vl_rejection_reason(r), "duplicate of an earlier request") == 0);
        VL_CHECK(memcmp(vl_rejection_proposal(r), pid, VL_HASH_LEN) == 0);
    }
    vl_rejection_destroy(&r);
    if (rej) {
        rej[rlen - 1] ^= 1; /* last byte of the signature */
        VL_CHECK_RC(vl_rejection_parse(t.pol, rej, rlen, &r, NULL), VL_EAUTH);
    }
    if (c0 && c2 && prop && rej)
        VL_CHECK(s_test_peek(&t, c0, l0, c2, l2, prop, plen, rej, rlen, prev, root) == 0);
    else
        VL_CHECK(false); /* a document the peek checks need was not made */
    if (verbose)
        printf("change: proposal %zu bytes, entry %zu bytes\n", plen, l2);

    free(prop);
    free(forged);
    free(c0);
    free(c1);
    free(c2);
    free(c3);
    free(rej);
    vl_testnet_fini(&t);
    return VL_TEST_END;
}
