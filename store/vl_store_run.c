/* SPDX-License-Identifier: MIT */
/*
 * vl_store_run - approving every pending proposal at once: runs
 * (docs/store.md §3.2.1, docs/formats.md §6.1).
 *
 * The first approver's call builds a run of every pending proposal that
 * applies, in order of proposal time then id: each is applied in turn, on an
 * unsigned version 1 entry through vls_apply(), in a nested transaction that
 * is then aborted, which gives each row's root (and the reason of each
 * proposal left out). The run's first entry, signed, is kept in meta "run";
 * each later approver signs it while it holds on the head; at the threshold
 * every entry of the run is made and applied with vls_apply(), in order, in
 * the same transaction.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c, vl_store_plan.c, vl_store_fork.c, vl_store_log.c and
 * vl_store_pending.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* A pending proposal considered for a run. */
typedef struct {
    uint8_t id[VL_HASH_LEN];
    uint64_t time;
} s_cand_t;

typedef struct {
    s_cand_t *v;
    size_t n, cap;
} s_cands_t;

static int
s_cand_cmp(const void *pa, const void *pb)
{
    const s_cand_t *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return memcmp(a->id, b->id, VL_HASH_LEN);
}

typedef struct {
    vl_store_t *self;
    s_cands_t *cs;
} s_collect_t;

static int
s_collect_cb(void *vctx, const MDB_val *k, const MDB_val *v)
{
    s_collect_t *c = vctx;
    vl_proposal_t *p = NULL;
    if (k->mv_size != VL_HASH_LEN)
        return VL_ECORRUPT;
    uint64_t t = 0;
    /* One that no longer parses is left out here and reported by verify. */
    if (vl_proposal_parse(c->self->pol, v->mv_data, v->mv_size, &p, NULL) == VL_OK)
        t = vl_proposal_time(p);
    vl_proposal_destroy(&p);
    if (c->cs->n == c->cs->cap) {
        size_t ncap = c->cs->cap ? 2 * c->cs->cap : 64;
        s_cand_t *nv = realloc(c->cs->v, ncap * sizeof *nv);
        if (!nv)
            return VL_ENOMEM;
        c->cs->v = nv;
        c->cs->cap = ncap;
    }
    memcpy(c->cs->v[c->cs->n].id, k->mv_data, VL_HASH_LEN);
    c->cs->v[c->cs->n++].time = t;
    return VL_OK;
}

static int
s_item(vl_run_report_t *r, const uint8_t id[VL_HASH_LEN], const char *why)
{
    vl_run_item_t *nv = realloc(r->items, (r->n + 1) * sizeof *nv);
    if (!nv)
        return VL_ENOMEM;
    r->items = nv;
    memset(&nv[r->n], 0, sizeof nv[r->n]);
    memcpy(nv[r->n].id, id, VL_HASH_LEN);
    snprintf(nv[r->n].why, sizeof nv[r->n].why, "%s", why ? why : "");
    r->n++;
    return VL_OK;
}

/* A copy of pending[id] (the txn's values move under later writes). */
static int
s_pending_copy(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], uint8_t **out,
               size_t *len, char *err)
{
    MDB_val v;
    *out = NULL;
    int rc = vls_get(self, txn, S_PENDING, id, VL_HASH_LEN, &v, err);
    if (rc != VL_OK)
        return rc;
    if (!(*out = malloc(v.mv_size ? v.mv_size : 1)))
        return VL_ENOMEM;
    memcpy(*out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    return VL_OK;
}

/* Errors that end the whole call rather than leave one proposal out. */
static bool
s_fatal(int rc)
{
    return rc == VL_ENOMEM || rc == VL_ESTORE || rc == S_MAP_FULL;
}

/* Apply the candidates in turn in a nested txn that is aborted: rows[] gets
 * those that apply with the root after each; out gets the others (why). */
static int
s_simulate(vl_store_t *self, MDB_txn *txn, const s_head_t *h0, const vl_policy_t *pol,
           const s_cands_t *cs, uint64_t now, vl_run_row_t *rows, size_t *nrows,
           vl_run_report_t *left, char *err)
{
    MDB_txn *child = NULL;
    s_head_t h = *h0;
    int rc = VL_OK, mrc;
    *nrows = 0;
    if ((mrc = mdb_txn_begin(self->env, txn, 0, &child)) != 0)
        return mrc == MDB_MAP_FULL ? S_MAP_FULL : vls_lmdb(mrc, err, "nested txn");
    for (size_t i = 0; i < cs->n; i++) {
        const uint8_t *id = cs->v[i].id;
        uint8_t *prop = NULL, *ue = NULL, root[VL_HASH_LEN];
        size_t plen = 0, ulen = 0;
        vl_proposal_t *p = NULL;
        s_cur_t cur[VL_MAX_OPS];
        char why[VL_ERRMSG_MAX] = "";
        memset(cur, 0, sizeof cur);
        if (*nrows == VL_MAX_RUN) {
            snprintf(why, sizeof why, "left for the next run (a run holds at most %u)",
                     VL_MAX_RUN);
            rc = VL_ELIMIT;
        } else if (vls_pol_for(self, h.seq + 1) != pol) {
            snprintf(why, sizeof why, "left for the next run (another policy version governs "
                     "entry %llu)", (unsigned long long)h.seq + 1);
            rc = VL_ELIMIT;
        } else if ((rc = s_pending_copy(self, child, id, &prop, &plen, why)) == VL_OK &&
                   plen > VL_MAX_PROPOSAL) {
            /* Taken as pending before the limit was enforced at intake: as
             * a row its entry would exceed VL_MAX_ENTRY. */
            snprintf(why, sizeof why, "too large for a run (%zu bytes, a row holds at most "
                     "%u): approve it by id", plen, VL_MAX_PROPOSAL);
            rc = VL_ELIMIT;
        } else if (rc == VL_OK && (rc = vls_prop_open(self, prop, plen, &p, why)) == VL_OK) {
            vl_root_t acc = h.acc;
            if ((rc = vls_epoch_current(pol, p, why)) == VL_OK &&
                (rc = vls_plan(self, child, pol, p, cur, &acc, why)) == VL_OK) {
                vl_root_digest(&acc, root);
                if ((rc = vl_entry_make(pol, h.seq + 1, h.hash, prop, plen, root, now, &ue,
                                        &ulen, why)) == VL_OK)
                    rc = vls_apply(self, child, &h, ue, ulen,
                                   VL_ENTRY_CANDIDATE | VL_ENTRY_NO_SIGS, NULL, why);
            }
        }
        vls_cur_free(cur, VL_MAX_OPS);
        vl_proposal_destroy(&p);
        free(prop);
        free(ue);
        if (rc == VL_OK) {
            memcpy(rows[*nrows].prop, id, VL_HASH_LEN);
            memcpy(rows[*nrows].root, root, VL_HASH_LEN);
            (*nrows)++;
            continue;
        }
        if (s_fatal(rc)) {
            if (err && rc != S_MAP_FULL)
                snprintf(err, VL_ERRMSG_MAX, "%s", why);
            goto out;
        }
        if (rc == VL_ESTALE && strncmp(why, "needs rebase", 12) != 0) {
            char w2[VL_ERRMSG_MAX];
            snprintf(w2, sizeof w2, "needs rebase: %.*s", (int)(sizeof w2 - 15), why);
            memcpy(why, w2, sizeof why);
        }
        if ((rc = s_item(left, id, why[0] ? why : vl_strerror(rc))) != VL_OK)
            goto out;
    }
    rc = VL_OK;
out:
    mdb_txn_abort(child);
    return rc;
}

/* Make and apply every entry of the run whose signed first entry is first. */
static int
s_apply_run(vl_store_t *self, MDB_txn *txn, s_head_t *h, const vl_policy_t *pol,
            const uint8_t *first, size_t flen, vl_run_report_t *out, char *err)
{
    vl_entry_t *fe = NULL;
    uint8_t *prop = NULL, *e = NULL;
    size_t plen = 0, elen = 0, rlen;
    uint64_t sc, before = h->seq;
    int rc;
    if ((rc = vl_entry_parse(pol, first, flen, 0, &fe, err)) != VL_OK ||
        (rc = vls_sigs_load(self, txn, h->seq, &sc, err)) != VL_OK)
        goto out;
    const vl_run_t *r = vl_entry_run(fe);
    const uint8_t *rb = vl_run_bytes(r, &rlen);
    for (size_t i = 0; i < vl_run_nrows(r); i++) {
        char why[VL_ERRMSG_MAX] = "", hex[2 * VL_KID_LEN + 1];
        if ((rc = s_pending_copy(self, txn, vl_run_row(r, i)->prop, &prop, &plen, why)) !=
                VL_OK ||
            (rc = vl_entry_make_run(pol, rb, rlen, i, h->hash, prop, plen, first, flen, &e,
                                    &elen, why)) != VL_OK ||
            (rc = vls_apply(self, txn, h, e, elen, 0, NULL, why)) != VL_OK) {
            /* Nothing of the run is applied (the txn is aborted): name the
             * row that failed so that it can be rejected or approved by id. */
            vls_short(vl_run_row(r, i)->prop, hex);
            if (err && rc != S_MAP_FULL)
                snprintf(err, VL_ERRMSG_MAX,
                         "run row %zu of %zu (proposal %s, entry %llu): %.160s", i + 1,
                         vl_run_nrows(r), hex, (unsigned long long)(h->seq + 1),
                         why[0] ? why : vl_strerror(rc));
            goto out;
        }
        if (i < out->n)
            out->items[i].seq = h->seq;
        free(prop);
        free(e);
        prop = e = NULL;
    }
    if ((rc = vls_head_save(self, txn, h, err)) != VL_OK ||
        (rc = vls_sigs_save(self, txn, sc == before ? h->seq : sc, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_META, "run", 3, err)) != VL_OK)
        goto out;
    out->applied = true;
out:
    free(prop);
    free(e);
    vl_entry_destroy(&fe);
    return rc;
}

typedef struct {
    const vl_keypair_t *approver;
    uint64_t now;
    vl_run_report_t *out;
} s_all_ctx_t;

/* Build a new run on head h: *first is its first entry, unsigned. */
static int
s_build(vl_store_t *self, MDB_txn *txn, const s_head_t *h, const vl_policy_t *pol,
        uint64_t now, vl_run_report_t *out, uint8_t **first, size_t *flen, char *err)
{
    s_cands_t cs = { 0 };
    vl_run_report_t left = { 0 };
    vl_run_row_t *rows = NULL;
    uint8_t *run = NULL, *prop = NULL;
    size_t nrows = 0, rlen = 0, plen = 0;
    int rc;
    *first = NULL;
    s_collect_t c = { self, &cs };
    if ((rc = vls_scan(self, txn, S_PENDING, NULL, 0, s_collect_cb, &c)) != VL_OK)
        goto out;
    if (cs.n == 0)
        goto out; /* nothing pending: no run */
    qsort(cs.v, cs.n, sizeof *cs.v, s_cand_cmp);
    if (!(rows = calloc(cs.n < VL_MAX_RUN ? cs.n : VL_MAX_RUN, sizeof *rows))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = s_simulate(self, txn, h, pol, &cs, now, rows, &nrows, &left, err)) != VL_OK)
        goto out;
    for (size_t i = 0; i < nrows; i++)
        if ((rc = s_item(out, rows[i].prop, NULL)) != VL_OK)
            goto out;
    for (size_t i = 0; i < left.n; i++)
        if ((rc = s_item(out, left.items[i].id, left.items[i].why)) != VL_OK)
            goto out;
    out->nrows = nrows;
    if (nrows == 0)
        goto out;
    if ((rc = vl_run_make(vl_policy_net(pol), vl_policy_version(pol), h->seq + 1, h->hash, now,
                          rows, nrows, &run, &rlen, err)) != VL_OK ||
        (rc = s_pending_copy(self, txn, rows[0].prop, &prop, &plen, err)) != VL_OK ||
        (rc = vl_entry_make_run(pol, run, rlen, 0, NULL, prop, plen, NULL, 0, first, flen,
                                err)) != VL_OK)
        goto out;
    out->built = true;
out:
    vl_run_report_free(&left);
    free(cs.v);
    free(rows);
    free(run);
    free(prop);
    return rc;
}

static int
s_all_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_all_ctx_t *c = vctx;
    vl_run_report_t *out = c->out;
    vl_entry_t *stored = NULL;
    uint8_t *unsigned_e = NULL, *first = NULL, *signed_e = NULL;
    size_t ulen = 0, flen = 0, slen = 0;
    s_head_t h;
    MDB_val v;
    int rc;
    vl_run_report_free(out);
    if ((rc = vls_head_load(self, txn, &h, true, err)) != VL_OK)
        goto out;
    const vl_policy_t *pol = vls_pol_for(self, h.seq + 1);
    out->threshold = vl_policy_threshold(pol);
    out->first_seq = h.seq + 1;
    if ((rc = vls_fork_refuse(self, txn, h.seq + 1, err)) != VL_OK ||
        (rc = vls_run_stored(self, txn, &h, &stored, out->dropped)) != VL_OK)
        goto out;
    if (!stored && out->dropped[0] &&
        (rc = vls_del(self, txn, S_META, "run", 3, err)) != VL_OK)
        goto out;
    if (stored) {
        const vl_run_t *r = vl_entry_run(stored);
        out->nrows = vl_run_nrows(r);
        out->nsigs = vl_entry_nsigs(stored);
        for (size_t i = 0; i < out->nrows; i++)
            if ((rc = s_item(out, vl_run_row(r, i)->prop, NULL)) != VL_OK)
                goto out;
        for (size_t i = 0; i < vl_entry_nsigs(stored); i++)
            if (memcmp(vl_entry_signer(stored, i), vl_keypair_pk(c->approver), VL_PK_LEN) == 0) {
                char kid[2 * VL_KID_LEN + 1];
                vl_kid(vl_keypair_pk(c->approver), kid);
                rc = vl_err(err, VL_EEXIST, "approver %s already approved the pending run", kid);
                goto out;
            }
        /* Pending proposals outside the run (left out when it was built, or
         * newer) wait for the next one: the approver is told, as a run is
         * never silently partial. */
        MDB_stat st;
        int mrc = mdb_stat(txn, self->dbi[S_PENDING], &st);
        if (mrc != 0) {
            rc = vls_lmdb(mrc, err, "pending stat");
            goto out;
        }
        out->not_in_run = st.ms_entries > out->nrows ? st.ms_entries - out->nrows : 0;
        if ((rc = vls_get(self, txn, S_META, "run", 3, &v, err)) != VL_OK)
            goto out;
        rc = vl_entry_sign(pol, v.mv_data, v.mv_size, c->approver, &signed_e, &slen, err);
    } else {
        if ((rc = s_build(self, txn, &h, pol, c->now, out, &unsigned_e, &ulen, err)) != VL_OK ||
            !unsigned_e)
            goto out;
        rc = vl_entry_sign(pol, unsigned_e, ulen, c->approver, &signed_e, &slen, err);
    }
    if (rc != VL_OK)
        goto out;
    out->nsigs++;
    if (out->nsigs >= out->threshold)
        rc = s_apply_run(self, txn, &h, pol, signed_e, slen, out, err);
    else
        rc = vls_meta_put(self, txn, "run", signed_e, slen, err);
out:
    vl_entry_destroy(&stored);
    free(unsigned_e);
    free(first);
    free(signed_e);
    (void)flen;
    return rc;
}

void
vl_run_report_free(vl_run_report_t *r)
{
    if (!r)
        return;
    free(r->items);
    memset(r, 0, sizeof *r);
}

int
vl_store_approve_all(vl_store_t *self, const vl_keypair_t *approver, uint64_t now,
                     vl_run_report_t *out, char *err)
{
    assert(self && approver && out);
    memset(out, 0, sizeof *out);
    if (!(vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(approver), kid);
        return vl_err(err, VL_EPERM, "key %s is not an approver of network %s", kid,
                      vl_policy_name(self->pol));
    }
    s_all_ctx_t c = { approver, now, out };
    int rc = vls_write(self, s_all_txn, &c, err);
    if (rc != VL_OK && rc != VL_EEXIST)
        vl_run_report_free(out);
    return rc;
}

int
vl_store_run_held(vl_store_t *self, size_t *nrows, size_t *nsigs)
{
    assert(self && nrows && nsigs);
    MDB_txn *txn = NULL;
    MDB_val v;
    vl_entry_t *e = NULL;
    *nrows = *nsigs = 0;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_get(self, txn, S_META, "run", 3, &v, NULL)) == VL_OK &&
        vl_entry_parse(self->pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE | VL_ENTRY_NO_SIGS,
                       &e, NULL) == VL_OK &&
        vl_entry_run(e)) {
        *nrows = vl_run_nrows(vl_entry_run(e));
        *nsigs = vl_entry_nsigs(e);
    }
    vl_entry_destroy(&e);
    vls_read_end(self, &txn);
    return rc;
}
