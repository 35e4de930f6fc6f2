/* SPDX-License-Identifier: MIT */
/*
 * vl_store_pending - pending proposals: proposing (checked against the
 * current records by vl_store_plan.c), listing and relaying them, and
 * approving them into candidate entries until the threshold applies one
 * (through vls_apply()).
 *
 * Invariants: a proposal id is pending, or settled ("E" with its entry seq,
 * or "R"), never both; a candidate exists only for a pending proposal and is
 * rebuilt when the head, the root or the policy version moved under it.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c, vl_store_rest.c, vl_store_plan.c, vl_store_fork.c and
 * vl_store_log.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

/* The author of a proposal checked earlier (under another version) may
 * still make it under pol: a member allowed to edit every op's States. */
static int
s_author_ok(const vl_policy_t *pol, const vl_proposal_t *p, char *err)
{
    char hex[2 * VL_KID_LEN + 1];
    vls_short(vl_proposal_id(p), hex);
    if (!(vl_policy_roles(pol, vl_proposal_author(p)) & (VL_ROLE_APPROVER | VL_ROLE_AUTHORITY)))
        return vl_err(err, VL_EPERM, "proposal %s: its author is neither an approver nor an "
                      "authority of policy version %llu", hex,
                      (unsigned long long)vl_policy_version(pol));
    for (size_t i = 0; i < vl_proposal_nops(p); i++)
        for (size_t j = 0; j < vl_proposal_op(p, i)->nstates; j++)
            if (!vl_policy_may_edit(pol, vl_proposal_author(p), vl_proposal_op(p, i)->states[j]))
                return vl_err(err, VL_EPERM, "proposal %s: under policy version %llu its "
                              "author may not edit State %s", hex,
                              (unsigned long long)vl_policy_version(pol),
                              vl_proposal_op(p, i)->states[j]);
    return VL_OK;
}

/* Parse and open a proposal (bytes from a user, a peer or the store). */
int
vls_prop_open(vl_store_t *self, const uint8_t *buf, size_t len, vl_proposal_t **p, char *err)
{
    const uint8_t *ck;
    int rc = vl_proposal_parse(self->pol, buf, len, p, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = vls_ckey(self, vl_proposal_epoch(*p), &ck, err)) != VL_OK ||
        (rc = vl_proposal_open(*p, ck, err)) != VL_OK)
        vl_proposal_destroy(p);
    return rc;
}

typedef struct {
    const vl_proposal_t *p;
} s_propose_ctx_t;

static int
s_propose_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_propose_ctx_t *c = vctx;
    const uint8_t *id = vl_proposal_id(c->p);
    MDB_val v;
    char hex[2 * VL_KID_LEN + 1];
    s_cur_t cur[VL_MAX_OPS];
    int rc;
    memset(cur, 0, sizeof cur);
    vls_short(id, hex);
    if ((rc = vls_not_settled(self, txn, id, err)) != VL_OK)
        goto out;
    rc = vls_get(self, txn, S_PENDING, id, VL_HASH_LEN, &v, err);
    if (rc == VL_OK) {
        rc = vl_err(err, VL_EEXIST, "proposal %s is already pending", hex);
        goto out;
    }
    if (rc != VL_ENOTFOUND)
        goto out;
    /* Checked again under the version this txn sees (another process may
     * have adopted one since the proposal was parsed). */
    if ((rc = vls_epoch_current(self->pol, c->p, err)) != VL_OK ||
        (rc = s_author_ok(self->pol, c->p, err)) != VL_OK ||
        (rc = vls_plan(self, txn, self->pol, c->p, cur, NULL, err)) != VL_OK)
        goto out;
    size_t len;
    const uint8_t *bytes = vl_proposal_bytes(c->p, &len);
    rc = vls_put(self, txn, S_PENDING, id, VL_HASH_LEN, bytes, len, 0, err);
out:
    vls_cur_free(cur, VL_MAX_OPS);
    return rc;
}

int
vl_store_propose(vl_store_t *self, const uint8_t *prop, size_t len, uint8_t id[VL_HASH_LEN],
                 char *err)
{
    assert(self && prop);
    vl_proposal_t *p = NULL;
    /* Above this it could not be a row of a run (VL_MAX_PROPOSAL); valise
     * never makes one that large. */
    if (len > VL_MAX_PROPOSAL)
        return vl_err(err, VL_ELIMIT, "proposal of %zu bytes exceeds %u (the largest a store "
                      "takes as pending)", len, VL_MAX_PROPOSAL);
    int rc = vls_prop_open(self, prop, len, &p, err);
    if (rc != VL_OK)
        return rc;
    s_propose_ctx_t c = { p };
    rc = vls_write(self, s_propose_txn, &c, err);
    if (rc == VL_OK && id)
        memcpy(id, vl_proposal_id(p), VL_HASH_LEN);
    vl_proposal_destroy(&p);
    return rc;
}

int
vl_store_pending_lookup(vl_store_t *self, const char *hex_prefix, uint8_t id[VL_HASH_LEN],
                        char *err)
{
    assert(self && hex_prefix);
    return vls_prefix_lookup(self, S_PENDING, hex_prefix, "pending proposal", id, err);
}

int
vls_run_stored(vl_store_t *self, MDB_txn *txn, const s_head_t *h, vl_entry_t **out,
               char why[VL_ERRMSG_MAX])
{
    MDB_val v;
    vl_entry_t *e = NULL;
    char hex[2 * VL_KID_LEN + 1];
    *out = NULL;
    why[0] = '\0';
    int rc = vls_get(self, txn, S_META, "run", 3, &v, NULL);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK)
        return rc;
    rc = vl_entry_parse(vls_pol_for(self, h->seq + 1), v.mv_data, v.mv_size,
                        VL_ENTRY_CANDIDATE, &e, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    if (rc == VL_EPERM || rc == VL_ENOTFOUND) {
        snprintf(why, VL_ERRMSG_MAX, "it was made under another policy version");
        goto stale;
    }
    if (rc != VL_OK || !vl_entry_run(e) || vl_entry_run_index(e) != 0) {
        snprintf(why, VL_ERRMSG_MAX, "it is unreadable (run verify)");
        goto stale;
    }
    if (vl_entry_seq(e) != h->seq + 1 || memcmp(vl_entry_prev(e), h->hash, VL_HASH_LEN) != 0) {
        snprintf(why, VL_ERRMSG_MAX, "the log moved since it was built");
        goto stale;
    }
    const vl_run_t *r = vl_entry_run(e);
    for (size_t i = 0; i < vl_run_nrows(r); i++) {
        rc = vls_get(self, txn, S_PENDING, vl_run_row(r, i)->prop, VL_HASH_LEN, &v, NULL);
        if (rc == VL_ENOTFOUND) {
            vls_short(vl_run_row(r, i)->prop, hex);
            snprintf(why, VL_ERRMSG_MAX, "proposal %s is no longer pending", hex);
            goto stale;
        }
        if (rc != VL_OK) {
            vl_entry_destroy(&e);
            return rc;
        }
    }
    *out = e;
    return VL_OK;
stale:
    vl_entry_destroy(&e);
    return VL_OK;
}

int
vls_run_drop(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err)
{
    MDB_val v;
    vl_entry_t *e = NULL;
    s_head_t h;
    int rc = vls_get(self, txn, S_META, "run", 3, &v, err);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK || (rc = vls_head_load(self, txn, &h, false, err)) != VL_OK)
        return rc;
    /* Made under the version that governs the head's next entry, which is
     * older than the newest when that one's `from` lies further on. */
    rc = vl_entry_parse(vls_pol_for(self, h.seq + 1), v.mv_data, v.mv_size,
                        VL_ENTRY_CANDIDATE | VL_ENTRY_NO_SIGS, &e, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    /* A run that no longer decodes goes too: approve --all would drop it. */
    bool drop = !id || rc != VL_OK || !vl_entry_run(e) || vl_run_find(vl_entry_run(e), id) >= 0;
    vl_entry_destroy(&e);
    return drop ? vls_del(self, txn, S_META, "run", 3, err) : VL_OK;
}

int
vls_candidate(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], const s_head_t *h,
              vl_entry_t **out)
{
    MDB_val v;
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX];
    *out = NULL;
    if (vls_get(self, txn, S_CANDIDATES, id, VL_HASH_LEN, &v, NULL) == VL_OK) {
        int rc = vl_entry_parse(self->pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE, &e, NULL);
        if (rc == VL_ENOMEM)
            return rc;
        if (rc == VL_OK && vl_entry_seq(e) == h->seq + 1 &&
            memcmp(vl_entry_prev(e), h->hash, VL_HASH_LEN) == 0) {
            *out = e;
            return VL_OK;
        }
        vl_entry_destroy(&e);
    }
    /* No candidate of its own: the pending run's approvals, if it is a row. */
    int rc = vls_run_stored(self, txn, h, &e, why);
    if (rc != VL_OK || !e)
        return rc == VL_ENOMEM ? rc : VL_OK;
    if (vl_run_find(vl_entry_run(e), id) >= 0)
        *out = e;
    else
        vl_entry_destroy(&e);
    return VL_OK;
}

/* Signatures a stored candidate carries that still count: 0 when there is
 * none, it is unreadable, or the head moved past it. */
static size_t
s_candidate_sigs(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN],
                 const s_head_t *h)
{
    vl_entry_t *e = NULL;
    size_t n = 0;
    if (vls_candidate(self, txn, id, h, &e) == VL_OK && e)
        n = vl_entry_nsigs(e);
    vl_entry_destroy(&e);
    return n;
}

typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    const s_head_t *h;
    int (*cb)(void *ctx, const vl_proposal_t *p, size_t n_approvals);
    void *ctx;
} s_pending_each_t;

static int
s_pending_each_cb(void *vctx, const MDB_val *k, const MDB_val *v)
{
    s_pending_each_t *c = vctx;
    vl_proposal_t *p = NULL;
    if (k->mv_size != VL_HASH_LEN)
        return VL_ECORRUPT;
    if (vls_prop_open(c->self, v->mv_data, v->mv_size, &p, NULL) != VL_OK ||
        memcmp(vl_proposal_id(p), k->mv_data, VL_HASH_LEN) != 0) {
        vl_proposal_destroy(&p);
        return VL_ECORRUPT;
    }
    size_t n = s_candidate_sigs(c->self, c->txn, k->mv_data, c->h);
    int rc = c->cb(c->ctx, p, n);
    vl_proposal_destroy(&p);
    return rc;
}

int
vl_store_pending_each(vl_store_t *self,
                      int (*cb)(void *ctx, const vl_proposal_t *p, size_t n_approvals),
                      void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    s_head_t h;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_head_load(self, txn, &h, false, NULL)) == VL_OK) {
        s_pending_each_t c = { self, txn, &h, cb, ctx };
        rc = vls_scan(self, txn, S_PENDING, NULL, 0, s_pending_each_cb, &c);
    }
    vls_read_end(self, &txn);
    return rc;
}

int
vl_store_pending_ids(vl_store_t *self, uint8_t (**ids)[VL_HASH_LEN], size_t *n,
                     uint8_t digest[VL_HASH_LEN])
{
    assert(self && ids && n);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_stat st;
    uint8_t(*all)[VL_HASH_LEN] = NULL;
    size_t cnt = 0;
    vl_hash_t hs;
    int rc, mrc;
    *ids = NULL;
    *n = 0;
    vl_hash_init(&hs, "valise/pending/1");
    if ((rc = vls_txn_begin(self, true, &txn, NULL)) != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((mrc = mdb_stat(txn, self->dbi[S_PENDING], &st)) != 0 ||
        (mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur)) != 0) {
        rc = vls_lmdb(mrc, NULL, "pending");
        goto out;
    }
    if (st.ms_entries > SIZE_MAX / VL_HASH_LEN) {
        rc = VL_ENOMEM;
        goto out;
    }
    if (st.ms_entries && !(all = malloc((size_t)st.ms_entries * VL_HASH_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* LMDB returns equal-length keys in memcmp order: sorted, distinct. */
        if (k.mv_size != VL_HASH_LEN || cnt >= st.ms_entries) {
            rc = VL_ECORRUPT;
            goto out;
        }
        memcpy(all[cnt], k.mv_data, VL_HASH_LEN);
        vl_hash_update(&hs, k.mv_data, VL_HASH_LEN);
        cnt++;
    }
    if (mrc != MDB_NOTFOUND) {
        rc = vls_lmdb(mrc, NULL, "cursor");
        goto out;
    }
    if (digest)
        vl_hash_final(&hs, digest);
    *ids = all;
    *n = cnt;
    all = NULL;
    rc = VL_OK;
out:
    free(all);
    if (cur)
        mdb_cursor_close(cur);
    vls_read_end(self, &txn);
    return rc;
}

static int
s_check_prop(vl_store_t *self, const uint8_t *b, size_t len, const uint8_t id[VL_HASH_LEN])
{
    vl_proposal_t *p = NULL;
    int rc = vl_proposal_parse(self->pol, b, len, &p, NULL);
    if (rc == VL_OK && memcmp(vl_proposal_id(p), id, VL_HASH_LEN) != 0)
        rc = VL_ECORRUPT;
    vl_proposal_destroy(&p);
    return rc == VL_OK || rc == VL_ENOMEM ? rc : VL_ECORRUPT;
}

int
vl_store_pending_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                       size_t *len)
{
    assert(self && id && out && len);
    return vls_copy_checked(self, S_PENDING, id, s_check_prop, out, len);
}

typedef struct {
    const uint8_t *id;
    const vl_keypair_t *approver;
    uint64_t now;
    vl_approve_result_t *res; /* out */
} s_approve_ctx_t;

/* Whether the proposal is also a row of the pending run, and that run's
 * approvals: its own candidate and the run are two ways to approve it, and
 * the caller says so rather than leave the run's approvals unexplained. */
static int
s_run_status(vl_store_t *self, MDB_txn *txn, const s_head_t *h, const uint8_t id[VL_HASH_LEN],
             vl_approve_result_t *res)
{
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX];
    int rc = vls_run_stored(self, txn, h, &e, why);
    if (rc == VL_OK && e && vl_run_find(vl_entry_run(e), id) >= 0) {
        res->run_rows = vl_run_nrows(vl_entry_run(e));
        res->run_nsigs = vl_entry_nsigs(e);
    }
    vl_entry_destroy(&e);
    return rc;
}

static int
s_approve_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_approve_ctx_t *c = vctx;
    vl_proposal_t *p = NULL;
    vl_entry_t *cand = NULL;
    uint8_t *unsigned_e = NULL, *signed_e = NULL;
    size_t ulen = 0, slen = 0;
    s_cur_t cur[VL_MAX_OPS];
    s_head_t h;
    MDB_val v;
    char hex[2 * VL_KID_LEN + 1], kid[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX] = "";
    uint8_t root[VL_HASH_LEN];
    int rc;
    memset(cur, 0, sizeof cur);
    memset(c->res, 0, sizeof *c->res);
    vls_short(c->id, hex);
    vl_kid(vl_keypair_pk(c->approver), kid);

    if ((rc = vls_head_load(self, txn, &h, true, err)) != VL_OK)
        goto out;
    /* The entry is made under the version in force at the next seq. */
    const vl_policy_t *pol = vls_pol_for(self, h.seq + 1);
    if ((rc = vls_fork_refuse(self, txn, h.seq + 1, err)) != VL_OK)
        goto out;
    rc = vls_get(self, txn, S_PENDING, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND) {
        int kind = 0;
        vls_settled(self, txn, c->id, &kind, NULL, NULL);
        rc = vl_err(err, VL_ENOTFOUND, "proposal %s is not pending%s", hex,
                    kind ? " (already settled)" : "");
        goto out;
    }
    if (rc != VL_OK || (rc = s_run_status(self, txn, &h, c->id, c->res)) != VL_OK)
        goto out;
    if ((rc = vls_prop_open(self, v.mv_data, v.mv_size, &p, why)) != VL_OK ||
        memcmp(vl_proposal_id(p), c->id, VL_HASH_LEN) != 0) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                    "pending proposal %s is unreadable: %s", hex, why[0] ? why : "wrong id");
        goto out;
    }
    /* Bases are checked again: the head may have moved since it was proposed;
     * so may the policy (author removed, new content-key epoch). */
    vl_root_t acc = h.acc;
    if ((rc = vls_epoch_current(pol, p, err)) != VL_OK ||
        (rc = s_author_ok(pol, p, err)) != VL_OK)
        goto out;
    if ((rc = vls_plan(self, txn, pol, p, cur, &acc, err)) != VL_OK)
        goto out;
    vl_root_digest(&acc, root);

    rc = vls_get(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_OK) {
        why[0] = '\0';
        rc = vl_entry_parse(pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE, &cand, why);
        if (rc == VL_EPERM || rc == VL_ENOTFOUND) {
            cand = NULL; /* made under another policy version: start over */
            c->res->restarted = true;
            rc = VL_OK;
        } else if (rc != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                        "candidate entry for proposal %s is unreadable: %s", hex, why);
            goto out;
        }
        /* Built on an older head (or for another state): start over. */
        if (cand && (vl_entry_seq(cand) != h.seq + 1 ||
            memcmp(vl_entry_prev(cand), h.hash, VL_HASH_LEN) != 0 ||
            memcmp(vl_entry_root(cand), root, VL_HASH_LEN) != 0 ||
            memcmp(vl_proposal_id(vl_entry_proposal(cand)), c->id, VL_HASH_LEN) != 0)) {
            vl_entry_destroy(&cand);
            c->res->restarted = true;
        }
    } else if (rc != VL_ENOTFOUND) {
        goto out;
    }
    if (cand) {
        for (size_t i = 0; i < vl_entry_nsigs(cand); i++)
            if (memcmp(vl_entry_signer(cand, i), vl_keypair_pk(c->approver), VL_PK_LEN) == 0) {
                rc = vl_err(err, VL_EEXIST, "proposal %s: approver %s already approved it", hex,
                            kid);
                goto out;
            }
        rc = vl_entry_sign(pol, v.mv_data, v.mv_size, c->approver, &signed_e, &slen, err);
        c->res->nsigs = vl_entry_nsigs(cand) + 1;
    } else {
        size_t plen;
        const uint8_t *pb = vl_proposal_bytes(p, &plen);
        if ((rc = vl_entry_make(pol, h.seq + 1, h.hash, pb, plen, root, c->now,
                                &unsigned_e, &ulen, err)) != VL_OK)
            goto out;
        rc = vl_entry_sign(pol, unsigned_e, ulen, c->approver, &signed_e, &slen, err);
        c->res->nsigs = 1;
    }
    if (rc != VL_OK)
        goto out;
    c->res->threshold = vl_policy_threshold(pol);
    if (c->res->nsigs >= vl_policy_threshold(pol)) {
        uint64_t sc, before = h.seq;
        if ((rc = vls_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK ||
            (rc = vls_apply(self, txn, &h, signed_e, slen, 0, NULL, err)) != VL_OK ||
            (rc = vls_head_save(self, txn, &h, err)) != VL_OK ||
            (rc = vls_sigs_save(self, txn, sc == before ? h.seq : sc, err)) != VL_OK)
            goto out;
        c->res->applied_seq = h.seq;
    } else {
        rc = vls_put(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, signed_e, slen, 0, err);
    }
out:
    vls_cur_free(cur, VL_MAX_OPS);
    vl_entry_destroy(&cand);
    vl_proposal_destroy(&p);
    free(unsigned_e);
    free(signed_e);
    return rc;
}

int
vl_store_approve_ex(vl_store_t *self, const uint8_t id[VL_HASH_LEN],
                    const vl_keypair_t *approver, uint64_t now, vl_approve_result_t *res,
                    char *err)
{
    assert(self && id && approver && res);
    memset(res, 0, sizeof *res);
    if (!(vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(approver), kid);
        if (vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_READER)
            return vl_err(err, VL_EPERM, "key %s is a reader of network %s: a reader key may "
                          "not approve", kid, vl_policy_name(self->pol));
        return vl_err(err, VL_EPERM, "key %s is not an approver of network %s", kid,
                      vl_policy_name(self->pol));
    }
    vl_approve_result_t r;
    s_approve_ctx_t c = { id, approver, now, &r };
    int rc = vls_write(self, s_approve_txn, &c, err);
    if (rc == VL_OK)
        *res = r;
    return rc;
}

int
vl_store_approve(vl_store_t *self, const uint8_t id[VL_HASH_LEN], const vl_keypair_t *approver,
                 uint64_t now, uint64_t *applied_seq, size_t *nsigs, char *err)
{
    vl_approve_result_t r;
    int rc = vl_store_approve_ex(self, id, approver, now, &r, err);
    if (applied_seq)
        *applied_seq = r.applied_seq;
    if (nsigs)
        *nsigs = r.nsigs;
    return rc;
}

int
vl_store_lapsed_remake(vl_store_t *self, const char *hex_prefix, const vl_keypair_t *kp,
                       uint64_t now, uint8_t **out, size_t *out_len, char *err)
{
    assert(self && hex_prefix && kp && out && out_len);
    uint8_t id[VL_HASH_LEN], *copy = NULL;
    const uint8_t *ck;
    char hex[2 * VL_KID_LEN + 1];
    vl_proposal_t *p = NULL;
    vl_op_t ops[VL_MAX_OPS];
    const uint8_t *bodies[VL_MAX_OPS];
    size_t lens[VL_MAX_OPS], clen = 0;
    uint64_t ver = 0;
    MDB_txn *txn = NULL;
    MDB_val v;
    *out = NULL;
    *out_len = 0;
    int rc = vls_prefix_lookup(self, S_SETTLED, hex_prefix, "lapsed proposal", id, err);
    if (rc != VL_OK)
        return rc;
    vls_short(id, hex);
    /* Copy the value out of the read txn: the proposal is parsed after it. */
    if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    rc = vls_get(self, txn, S_SETTLED, id, VL_HASH_LEN, &v, err);
    if (rc == VL_OK && (v.mv_size <= 9 || ((const uint8_t *)v.mv_data)[0] != 'L'))
        rc = vl_err(err, VL_EINVAL, "proposal %s did not lapse (it was applied or rejected: "
                    "valise proposals says which)", hex);
    if (rc == VL_OK) {
        ver = vls_be64_get((const uint8_t *)v.mv_data + 1);
        clen = v.mv_size - 9;
        if (!(copy = malloc(clen)))
            rc = VL_ENOMEM;
        else
            memcpy(copy, (const uint8_t *)v.mv_data + 9, clen);
    }
    vls_read_end(self, &txn);
    if (rc != VL_OK)
        goto out;
    if (ver < 2 || ver > self->npols) {
        rc = vl_err(err, VL_ECORRUPT, "settled: proposal %s lapsed at an unknown policy "
                    "version", hex);
        goto out;
    }
    /* It verified under the version before the one that made it lapse. */
    if ((rc = vl_proposal_parse(self->pols[ver - 2], copy, clen, &p, err)) != VL_OK) {
        rc = rc == VL_ENOMEM ? rc : VL_ECORRUPT;
        goto out;
    }
    if (sodium_memcmp(vl_proposal_author(p), vl_keypair_pk(kp), VL_PK_LEN) != 0) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_proposal_author(p), kid);
        rc = vl_err(err, VL_EPERM, "proposal %s is by key %s: only its author can make it again",
                    hex, kid);
        goto out;
    }
    if ((rc = vls_ckey(self, vl_proposal_epoch(p), &ck, err)) != VL_OK ||
        (rc = vl_proposal_open(p, ck, err)) != VL_OK)
        goto out;
    size_t n = vl_proposal_nops(p);
    for (size_t i = 0; i < n; i++) {
        ops[i] = *vl_proposal_op(p, i);
        bodies[i] = NULL;
        lens[i] = 0;
        if (!ops[i].del)
            bodies[i] = vl_record_body(vl_proposal_record(p, i), &lens[i]);
    }
    if ((rc = vls_ckey(self, vl_policy_epoch(self->pol), &ck, err)) != VL_OK)
        goto out;
    rc = vl_proposal_make(self->pol, kp, ck, now, ops, bodies, lens, n, out, out_len, err);
out:
    vl_proposal_destroy(&p);
    free(copy);
    return rc;
}
