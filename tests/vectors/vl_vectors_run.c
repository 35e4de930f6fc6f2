/* SPDX-License-Identifier: MIT */
/*
 * vl_vectors_run - the run vectors of docs/formats.md §10 (runs: §6.1), made
 * on the network of the existing vector file and appended to it: after its
 * entry 1 (MU-01 at revision 1), the MU authority's update of MU-01 and the
 * MG authority's new MG-01, approved as one run by both approvers: entries 2
 * and 3, version 2. Test code only.
 */
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_codec.h"
#include "vl_crypto.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_root.h"
#include "vl_run.h"
#include "vl_testnet.h"
#include "vl_vectors.h"

void
vlv_net_fini(vlv_net_t *n)
{
    vl_policy_destroy(&n->pol);
    free(n->ck);
    free(n->link);
    vl_keypair_destroy(&n->a1);
    vl_keypair_destroy(&n->a2);
    vl_keypair_destroy(&n->mu);
    vl_keypair_destroy(&n->mg);
}

static int
s_seed_key(FILE *f, const char *name, vl_keypair_t **kp)
{
    size_t l = 0;
    uint8_t *seed = s_get(f, name, &l);
    int rc = seed && l == VL_SEED_LEN ? vl_keypair_from_seed(seed, kp) : VL_ENOTFOUND;
    free(seed);
    return rc;
}

int
vlv_net(FILE *f, vlv_net_t *n)
{
    size_t gl = 0, kl = 0, ll = 0;
    memset(n, 0, sizeof *n);
    uint8_t *g = s_get(f, "genesis.doc", &gl);
    n->ck = s_get(f, "content_key", &kl);
    n->link = s_get(f, "entry.link", &ll);
    int rc = g && n->ck && kl == VL_KEY_LEN && n->link && ll == VL_HASH_LEN ? VL_OK
                                                                           : VL_ENOTFOUND;
    if (rc == VL_OK)
        rc = vl_policy_parse(g, gl, 0, &n->pol, NULL);
    if (rc == VL_OK && !(rc = s_seed_key(f, "key.approver1.seed", &n->a1)) &&
        !(rc = s_seed_key(f, "key.approver2.seed", &n->a2)) &&
        !(rc = s_seed_key(f, "key.authority_mu.seed", &n->mu)))
        rc = s_seed_key(f, "key.authority_mg.seed", &n->mg);
    free(g);
    return rc;
}

/* Root after entry 1 + the two rows: MU-01 at revision 2 (body1), then with
 * MG-01 at revision 1 (body2). */
static void
s_roots(const uint8_t *b1, size_t l1, const uint8_t *b2, size_t l2, uint8_t r1[VL_HASH_LEN],
        uint8_t r2[VL_HASH_LEN])
{
    vl_root_t acc;
    uint8_t leaf[VL_HASH_LEN];
    vl_root_clear(&acc);
    vl_root_leaf(leaf, "MU-01", 2, b1, l1);
    vl_root_insert(&acc, leaf);
    vl_root_digest(&acc, r1);
    vl_root_leaf(leaf, "MG-01", 1, b2, l2);
    vl_root_insert(&acc, leaf);
    vl_root_digest(&acc, r2);
}

static int
s_prop(const vlv_net_t *n, const vl_keypair_t *kp, const char *id, const char *state,
       const char *phone, uint64_t base, uint64_t t, uint8_t **body, size_t *blen,
       uint8_t **out, size_t *olen, char *err)
{
    vl_record_t *rec = NULL;
    vl_op_t op;
    int rc = vl_testnet_authority(id, state, phone, body, blen);
    if (rc == VL_OK && (rc = vl_record_parse(*body, *blen, &rec, err)) == VL_OK &&
        (rc = vl_op_from_record(&op, rec, base)) == VL_OK) {
        const uint8_t *bodies[1] = { *body };
        size_t lens[1] = { *blen };
        rc = vl_proposal_make(n->pol, kp, n->ck, t, &op, bodies, lens, 1, out, olen, err);
    }
    vl_record_destroy(&rec);
    return rc;
}

int
vlv_generate_run(const char *path)
{
    vlv_net_t n;
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *b1 = NULL, *b2 = NULL, *p1 = NULL, *p2 = NULL, *run = NULL, *c0 = NULL, *c1 = NULL;
    uint8_t *e1 = NULL, *e2 = NULL;
    size_t bl1, bl2, pl1, pl2, rl, cl0, cl1, el1 = 0, el2 = 0;
    vl_proposal_t *pp = NULL;
    int rc;
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    if ((rc = vlv_net(f, &n)) != VL_OK) {
        snprintf(err, sizeof err, "the vector file lacks the genesis, keys or entry 1");
        goto out;
    }
    if ((rc = s_prop(&n, n.mu, "MU-01", "MU", "+230 5550 9999", 1, 1700000300, &b1, &bl1, &p1,
                     &pl1, err)) ||
        (rc = s_prop(&n, n.mg, "MG-01", "MG", "+261 20 555 0101", 0, 1700000310, &b2, &bl2,
                     &p2, &pl2, err)))
        goto out;
    vl_run_row_t rows[2];
    vl_proposal_t *q = NULL;
    if ((rc = vl_proposal_parse(n.pol, p1, pl1, &pp, err)) ||
        (rc = vl_proposal_parse(n.pol, p2, pl2, &q, err)))
        goto out;
    memcpy(rows[0].prop, vl_proposal_id(pp), VL_HASH_LEN);
    memcpy(rows[1].prop, vl_proposal_id(q), VL_HASH_LEN);
    vl_proposal_destroy(&q);
    s_roots(b1, bl1, b2, bl2, rows[0].root, rows[1].root);
    uint8_t link1[VL_HASH_LEN], link2[VL_HASH_LEN], digest[VL_HASH_LEN];
    if ((rc = vl_run_make(vl_policy_net(n.pol), 1, 2, n.link, 1700000400, rows, 2, &run, &rl,
                          err)) ||
        (rc = vl_entry_make_run(n.pol, run, rl, 0, NULL, p1, pl1, NULL, 0, &c0, &cl0, err)) ||
        (rc = vl_entry_sign(n.pol, c0, cl0, n.a1, &c1, &cl1, err)) ||
        (rc = vl_entry_sign(n.pol, c1, cl1, n.a2, &e1, &el1, err)))
        goto out;
    vl_hash(link1, "valise/link/1", e1, el1);
    if ((rc = vl_entry_make_run(n.pol, run, rl, 1, link1, p2, pl2, e1, el1, &e2, &el2, err)))
        goto out;
    vl_hash(link2, "valise/link/1", e2, el2);
    vl_hash(digest, "valise/run/1", run, rl);
    printf("# runs (docs/formats.md §6.1), appended: after entry 1, the MU authority's update of\n"
           "# MU-01 (run_prop.1, base 1) and the MG authority's new MG-01 (run_prop.2) approved\n"
           "# as one run by both approvers: entries 2 and 3, format version 2; both carry the\n"
           "# run document and the same signature list, over run.digest\n");
    s_hexline("run_prop.1.doc", p1, pl1);
    s_hexline("run_prop.2.doc", p2, pl2);
    s_hexline("run.root.1", rows[0].root, VL_HASH_LEN);
    s_hexline("run.root.2", rows[1].root, VL_HASH_LEN);
    s_hexline("run.doc", run, rl);
    printf("run.tag=valise/run/1\n");
    s_hexline("run.digest", digest, sizeof digest);
    vl_doc_t *doc = NULL;
    if ((rc = vl_doc_parse(e1, el1, 0, &doc, err)))
        goto out;
    vl_val_t sigs = vl_val_get(vl_doc_root(doc), "sigs");
    for (uint32_t i = 0; i < vl_val_len(sigs); i++) {
        char name[64];
        const uint8_t *k, *sg;
        size_t kl, sl;
        vl_val_bin(vl_val_get(vl_val_at(sigs, i), "k"), &k, &kl);
        vl_val_bin(vl_val_get(vl_val_at(sigs, i), "s"), &sg, &sl);
        snprintf(name, sizeof name, "run_entry.sig.%u.pk", i);
        s_hexline(name, k, kl);
        snprintf(name, sizeof name, "run_entry.sig.%u.sig", i);
        s_hexline(name, sg, sl);
    }
    vl_doc_destroy(&doc);
    s_hexline("run_entry.1.doc", e1, el1);
    s_hexline("run_entry.1.link", link1, sizeof link1);
    s_hexline("run_entry.2.doc", e2, el2);
    s_hexline("run_entry.2.link", link2, sizeof link2);
out:
    if (rc)
        fprintf(stderr, "vl_vectors: %s: %s\n", vl_strerror(rc), err);
    vl_proposal_destroy(&pp);
    free(b1);
    free(b2);
    free(p1);
    free(p2);
    free(run);
    free(c0);
    free(c1);
    free(e1);
    free(e2);
    vlv_net_fini(&n);
    fclose(f);
    return rc ? 1 : 0;
}

int
vlv_check_run(FILE *f)
{
    vlv_net_t n;
    int fails = 0;
    char err[VL_ERRMSG_MAX] = "";
    size_t l1 = 0, l2 = 0, rl = 0, dl = 0, r1l = 0, r2l = 0, k1l = 0, k2l = 0;
    vl_entry_t *e1 = NULL, *e2 = NULL;
    uint8_t *d1 = s_get(f, "run_entry.1.doc", &l1), *d2 = s_get(f, "run_entry.2.doc", &l2);
    uint8_t *run = s_get(f, "run.doc", &rl), *dg = s_get(f, "run.digest", &dl);
    uint8_t *r1 = s_get(f, "run.root.1", &r1l), *r2 = s_get(f, "run.root.2", &r2l);
    uint8_t *k1 = s_get(f, "run_entry.1.link", &k1l), *k2 = s_get(f, "run_entry.2.link", &k2l);
    if (vlv_net(f, &n) != VL_OK || !d1 || !d2 || !run || dl != VL_HASH_LEN || r1l != VL_HASH_LEN ||
        r2l != VL_HASH_LEN || k1l != VL_HASH_LEN || k2l != VL_HASH_LEN) {
        fprintf(stderr, "vl_vectors: the run vectors are missing\n");
        fails++;
        goto out;
    }
    uint8_t d[VL_HASH_LEN];
    vl_hash(d, "valise/run/1", run, rl);
    if (memcmp(d, dg, VL_HASH_LEN) != 0) {
        fprintf(stderr, "run: digest differs\n");
        fails++;
    }
    if (vl_entry_parse(n.pol, d1, l1, 0, &e1, err) != VL_OK ||
        vl_entry_parse(n.pol, d2, l2, 0, &e2, err) != VL_OK) {
        fprintf(stderr, "run entry: %s\n", err);
        fails++;
        goto out;
    }
    size_t erl;
    const uint8_t *erb = vl_run_bytes(vl_entry_run(e2), &erl);
    if (vl_entry_version(e1) != VL_ENTRY_FORMAT_RUN || vl_entry_seq(e1) != 2 ||
        vl_entry_seq(e2) != 3 || memcmp(vl_entry_prev(e1), n.link, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_hash(e1), k1, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_prev(e2), k1, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_hash(e2), k2, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_digest(e1), dg, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_digest(e2), dg, VL_HASH_LEN) != 0 || erl != rl ||
        memcmp(erb, run, rl) != 0 ||
        memcmp(vl_entry_tie(e1), vl_entry_tie(e2), VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_root(e1), r1, VL_HASH_LEN) != 0 ||
        memcmp(vl_entry_root(e2), r2, VL_HASH_LEN) != 0) {
        fprintf(stderr, "run entries: version, seq, links, run, signatures or roots differ\n");
        fails++;
    }
    /* The roots: entry 1's record at revision 2, then MG-01 added. */
    vl_proposal_t *p1 = vl_entry_proposal(e1), *p2 = vl_entry_proposal(e2);
    if (vl_proposal_open(p1, n.ck, err) != VL_OK || vl_proposal_open(p2, n.ck, err) != VL_OK) {
        fprintf(stderr, "run proposals: %s\n", err);
        fails++;
    } else {
        size_t bl1, bl2;
        const uint8_t *b1 = vl_record_body(vl_proposal_record(p1, 0), &bl1);
        const uint8_t *b2 = vl_record_body(vl_proposal_record(p2, 0), &bl2);
        uint8_t x1[VL_HASH_LEN], x2[VL_HASH_LEN];
        s_roots(b1, bl1, b2, bl2, x1, x2);
        if (memcmp(x1, r1, VL_HASH_LEN) != 0 || memcmp(x2, r2, VL_HASH_LEN) != 0) {
            fprintf(stderr, "run: a root is not the root after its row\n");
            fails++;
        }
    }
    /* A flipped bit at every byte of either entry is refused, except in the
     * prev of the run's later entry, which no signature covers: that copy
     * decodes but names another link, so it follows no entry (the chain
     * refuses it; docs/formats.md §6.1). Each refusal of the run binding
     * (s_run_bind) must be met at least once. */
    static const char *const binds[] = {
        "its run is not the one its header names",
        "network, policy or time differs from its run's",
        "outside its run",
        "proposal or root differs from row",
        "the first entry of a run must follow the link its run names",
    };
    size_t seen[sizeof binds / sizeof binds[0]] = { 0 };
    for (size_t i = 0; i < 2; i++) {
        uint8_t *d0 = i ? d2 : d1;
        size_t l0 = i ? l2 : l1;
        size_t pv_at = l0; /* where entry 2 holds entry 1's link, its prev */
        for (size_t at = 0; i && at + VL_HASH_LEN <= l0 && pv_at == l0; at++)
            if (memcmp(d0 + at, k1, VL_HASH_LEN) == 0)
                pv_at = at;
        if (i && pv_at == l0) {
            fprintf(stderr, "run entry 2: entry 1's link is not in it\n");
            fails++;
        }
        for (size_t at = 0; at < l0; at++) {
            vl_entry_t *x = NULL;
            char why[VL_ERRMSG_MAX] = "";
            d0[at] ^= 0x10;
            int rc = vl_entry_parse(n.pol, d0, l0, 0, &x, why);
            bool in_prev = at >= pv_at && at < pv_at + VL_HASH_LEN;
            if (rc == VL_OK && !(in_prev && memcmp(vl_entry_prev(x), k1, VL_HASH_LEN) != 0)) {
                fprintf(stderr, "run entry %zu: a flipped bit at %zu was accepted\n", i + 1, at);
                fails++;
            } else if (rc != VL_OK && in_prev) {
                fprintf(stderr, "run entry 2: a flipped prev at %zu was refused: %s\n", at, why);
                fails++;
            }
            for (size_t b = 0; b < sizeof binds / sizeof binds[0]; b++)
                seen[b] += rc != VL_OK && strstr(why, binds[b]) != NULL;
            vl_entry_destroy(&x);
            d0[at] ^= 0x10;
        }
    }
    for (size_t b = 0; b < sizeof binds / sizeof binds[0]; b++)
        if (!seen[b]) {
            fprintf(stderr, "run: no flipped bit met the refusal \"%s\"\n", binds[b]);
            fails++;
        }
out:
    vl_entry_destroy(&e1);
    vl_entry_destroy(&e2);
    vlv_net_fini(&n);
    free(d1);
    free(d2);
    free(run);
    free(dg);
    free(r1);
    free(r2);
    free(k1);
    free(k2);
    return fails;
}
