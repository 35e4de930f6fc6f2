/* SPDX-License-Identifier: MIT */
/*
 * vl_store_outcome - what became of proposals, for the authority that made
 * them (`valise proposals`, `valise review ID`): pending (with approvals so
 * far, or needing a rebase), applied (the entry), rejected (the rejection),
 * lapsed (a policy version made it unapprovable: settled 'L').
 *
 * Contract (vl_store.h): one read transaction gathers small items (the
 * pending proposals and rejections decoded, and for the log only seq, time,
 * id and author); after it ends they are sorted newest first, cut to the
 * limit, and only the applied entries reported are re-read and fully
 * verified before the callback sees them. The log is walked from the head
 * down reading only each entry's clear header and its proposal's (seq,
 * time, proposal id, author: vl_entry_peek_author): no decryption, no
 * signature, no hash per entry. Entries were verified when appended and
 * `verify` re-checks them; an entry is reported only after a full parse
 * that also checks it settles the id its header named.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c,
 * vl_store_policy.c, vl_store_head.c, vl_store_plan.c, vl_store_pending.c
 * and vl_store_reject.c, below it, and the public reads of vl_store_log.c.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    vl_outcome_state_t state;
    uint64_t time, seq;
    uint64_t version;      /* lapsed: the policy version that made it lapse */
    uint8_t id[VL_HASH_LEN];
    vl_proposal_t *prop;   /* pending, rebase, lapsed */
    vl_entry_t *cand;      /* pending, rebase: the candidate on the head, or NULL */
    vl_rejection_t *rej;   /* rejected */
    bool author_known;
    uint8_t author[VL_PK_LEN];
    char *problem;         /* pending, rebase, lapsed: why it cannot be approved as it is */
} s_item_t;

typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    const uint8_t *author;   /* filter, or NULL */
    const uint8_t *only;     /* one proposal id, or NULL */
    unsigned states;
    size_t limit;
    s_head_t head;
    s_item_t *v;
    size_t n, cap;
    size_t napplied;
    size_t reported;         /* calls of cb */
} s_gather_t;

static void
s_item_free(s_item_t *it)
{
    vl_proposal_destroy(&it->prop);
    vl_entry_destroy(&it->cand);
    vl_rejection_destroy(&it->rej);
    free(it->problem);
    it->problem = NULL;
}

static s_item_t *
s_push(s_gather_t *g)
{
    if (g->n == g->cap) {
        size_t ncap = g->cap ? g->cap * 2 : 16;
        s_item_t *nv = realloc(g->v, ncap * sizeof *nv);
        if (!nv)
            return NULL;
        g->v = nv;
        g->cap = ncap;
    }
    s_item_t *it = &g->v[g->n++];
    memset(it, 0, sizeof *it);
    return it;
}

static bool
s_wanted(const s_gather_t *g, vl_outcome_state_t st)
{
    return (g->states & VL_OUTCOME_BIT(st)) != 0;
}

/* A pending proposal: checked against the records as approve would. */
static int
s_pending_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_gather_t *g = ctx;
    vl_store_t *self = g->self;
    vl_proposal_t *p = NULL;
    s_cur_t cur[VL_MAX_OPS];
    char why[VL_ERRMSG_MAX] = "";
    if (k->mv_size != VL_HASH_LEN)
        return VL_ECORRUPT;
    if (g->only && memcmp(k->mv_data, g->only, VL_HASH_LEN) != 0)
        return VL_OK;
    int rc = vl_proposal_parse(self->pol, v->mv_data, v->mv_size, &p, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    if (rc != VL_OK || memcmp(vl_proposal_id(p), k->mv_data, VL_HASH_LEN) != 0) {
        vl_proposal_destroy(&p);
        return VL_ECORRUPT;
    }
    if (g->author && memcmp(vl_proposal_author(p), g->author, VL_PK_LEN) != 0) {
        vl_proposal_destroy(&p);
        return VL_OK;
    }
    const vl_policy_t *pol = vls_pol_for(self, g->head.seq + 1);
    memset(cur, 0, sizeof cur);
    rc = vls_epoch_current(pol, p, why);
    if (rc == VL_OK)
        rc = vls_plan(self, g->txn, pol, p, cur, NULL, why);
    vls_cur_free(cur, VL_MAX_OPS);
    if (rc == VL_ENOMEM || rc == VL_ESTORE || rc == VL_ECORRUPT) {
        vl_proposal_destroy(&p);
        return rc;
    }
    vl_outcome_state_t st = rc == VL_ESTALE ? VL_OUTCOME_REBASE : VL_OUTCOME_PENDING;
    if (!s_wanted(g, st)) {
        vl_proposal_destroy(&p);
        return VL_OK;
    }
    s_item_t *it = s_push(g);
    if (!it) {
        vl_proposal_destroy(&p);
        return VL_ENOMEM;
    }
    it->state = st;
    it->time = vl_proposal_time(p);
    memcpy(it->id, k->mv_data, VL_HASH_LEN);
    memcpy(it->author, vl_proposal_author(p), VL_PK_LEN);
    it->author_known = true;
    it->prop = p;
    if (rc != VL_OK && !(it->problem = strdup(why[0] ? why : vl_strerror(rc))))
        return VL_ENOMEM;
    return vls_candidate(self, g->txn, it->id, &g->head, &it->cand);
}

static int
s_rejection_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_gather_t *g = ctx;
    vl_rejection_t *r = NULL;
    uint8_t author[VL_PK_LEN];
    bool known = false;
    int kind = 0;
    if (k->mv_size != VL_HASH_LEN)
        return VL_ECORRUPT;
    if (g->only && memcmp(k->mv_data, g->only, VL_HASH_LEN) != 0)
        return VL_OK;
    int rc = vls_settled_author(g->self, g->txn, k->mv_data, &kind, NULL, author, &known, NULL);
    if (rc != VL_OK)
        return rc == VL_ENOMEM ? rc : VL_ECORRUPT;
    if (g->author && (!known || memcmp(author, g->author, VL_PK_LEN) != 0))
        return VL_OK;
    rc = vls_rej_parse(g->self, v->mv_data, v->mv_size, &r, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    if (rc != VL_OK || memcmp(vl_rejection_proposal(r), k->mv_data, VL_HASH_LEN) != 0) {
        vl_rejection_destroy(&r);
        return VL_ECORRUPT;
    }
    s_item_t *it = s_push(g);
    if (!it) {
        vl_rejection_destroy(&r);
        return VL_ENOMEM;
    }
    it->state = VL_OUTCOME_REJECTED;
    it->time = vl_rejection_time(r);
    memcpy(it->id, k->mv_data, VL_HASH_LEN);
    it->author_known = known;
    if (known)
        memcpy(it->author, author, VL_PK_LEN);
    it->rej = r;
    return VL_OK;
}

/* A settled value 'L' || u64be(version) || proposal: a proposal that was
 * pending under version - 1 and lapsed when `version` was adopted. */
static int
s_lapsed_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_gather_t *g = ctx;
    vl_store_t *self = g->self;
    const uint8_t *val = v->mv_data;
    vl_proposal_t *p = NULL, *q = NULL;
    char why[VL_ERRMSG_MAX];
    if (k->mv_size != VL_HASH_LEN)
        return VL_ECORRUPT;
    if (v->mv_size < 1 || val[0] != 'L' ||
        (g->only && memcmp(k->mv_data, g->only, VL_HASH_LEN) != 0))
        return VL_OK;
    if (v->mv_size <= 9)
        return VL_ECORRUPT;
    uint64_t ver = vls_be64_get(val + 1);
    if (ver < 2 || ver > self->npols)
        return VL_ECORRUPT;
    int rc = vl_proposal_parse(self->pols[ver - 2], val + 9, v->mv_size - 9, &p, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    if (rc != VL_OK || memcmp(vl_proposal_id(p), k->mv_data, VL_HASH_LEN) != 0) {
        vl_proposal_destroy(&p);
        return VL_ECORRUPT;
    }
    if (g->author && memcmp(vl_proposal_author(p), g->author, VL_PK_LEN) != 0) {
        vl_proposal_destroy(&p);
        return VL_OK;
    }
    const vl_policy_t *lap = self->pols[ver - 1];
    rc = vl_proposal_parse(lap, val + 9, v->mv_size - 9, &q, NULL);
    vl_proposal_destroy(&q);
    if (rc == VL_ENOMEM) {
        vl_proposal_destroy(&p);
        return rc;
    }
    if (rc == VL_OK)
        snprintf(why, sizeof why, "lapsed: made under content-key epoch %u; policy version %llu "
                 "started epoch %u", vl_proposal_epoch(p), (unsigned long long)ver,
                 vl_policy_epoch(lap));
    else
        snprintf(why, sizeof why, "lapsed: policy version %llu does not let its author make it",
                 (unsigned long long)ver);
    s_item_t *it = s_push(g);
    if (!it) {
        vl_proposal_destroy(&p);
        return VL_ENOMEM;
    }
    it->state = VL_OUTCOME_LAPSED;
    it->time = vl_proposal_time(p);
    it->version = ver;
    memcpy(it->id, k->mv_data, VL_HASH_LEN);
    memcpy(it->author, vl_proposal_author(p), VL_PK_LEN);
    it->author_known = true;
    it->prop = p;
    return (it->problem = strdup(why)) ? VL_OK : VL_ENOMEM;
}

/* One log entry: an applied item when its proposal's author matches, read
 * from the clear headers only (vl_entry_peek_author); s_report parses and
 * verifies in full each one it reports. */
static int
s_entry_item(s_gather_t *g, uint64_t seq, const MDB_val *v)
{
    vl_entry_head_t head;
    uint8_t author[VL_PK_LEN];
    int rc = vl_entry_peek_author(v->mv_data, v->mv_size, &head, author, NULL);
    if (rc == VL_ENOMEM)
        return rc;
    if (rc != VL_OK || head.seq != seq)
        return VL_ECORRUPT;
    if ((g->author && memcmp(author, g->author, VL_PK_LEN) != 0) ||
        (g->only && memcmp(head.prop, g->only, VL_HASH_LEN) != 0))
        return VL_OK;
    s_item_t *it = s_push(g);
    if (!it)
        return VL_ENOMEM;
    it->state = VL_OUTCOME_APPLIED;
    it->time = head.time;
    it->seq = seq;
    memcpy(it->id, head.prop, VL_HASH_LEN);
    memcpy(it->author, author, VL_PK_LEN);
    it->author_known = true;
    g->napplied++;
    return VL_OK;
}

/* The log from the head down, until limit applied items are found. */
static int
s_gather_log(s_gather_t *g)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = VL_OK;
    int mrc = mdb_cursor_open(g->txn, g->self->dbi[S_LOG], &cur);
    if (mrc != 0)
        return vls_lmdb(mrc, NULL, "cursor");
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size != 8) {
            rc = VL_ECORRUPT;
            break;
        }
        if ((rc = s_entry_item(g, vls_be64_get(k.mv_data), &v)) != VL_OK)
            break;
        if (g->limit && g->napplied >= g->limit)
            break;
    }
    if (rc == VL_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = vls_lmdb(mrc, NULL, "cursor");
    mdb_cursor_close(cur);
    return rc == S_MAP_FULL ? VL_ESTORE : rc;
}

/* The one entry that settled g->only, by the settled table. */
static int
s_gather_settled(s_gather_t *g)
{
    int kind = 0;
    uint64_t seq = 0;
    uint8_t key[8];
    MDB_val v;
    int rc = vls_settled(g->self, g->txn, g->only, &kind, &seq, NULL);
    if (rc != VL_OK || kind != 'E')
        return rc;
    vls_be64_put(key, seq);
    if ((rc = vls_get(g->self, g->txn, S_LOG, key, sizeof key, &v, NULL)) != VL_OK)
        return rc == VL_ENOTFOUND ? VL_ECORRUPT : rc;
    return s_entry_item(g, seq, &v);
}

static int
s_gather(s_gather_t *g)
{
    vl_store_t *self = g->self;
    int rc = vls_txn_begin(self, true, &g->txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_head_load(self, g->txn, &g->head, false, NULL)) != VL_OK)
        goto out;
    if ((s_wanted(g, VL_OUTCOME_PENDING) || s_wanted(g, VL_OUTCOME_REBASE)) &&
        (rc = vls_scan(self, g->txn, S_PENDING, NULL, 0, s_pending_cb, g)) != VL_OK)
        goto out;
    if (s_wanted(g, VL_OUTCOME_REJECTED) &&
        (rc = vls_scan(self, g->txn, S_REJECTIONS, NULL, 0, s_rejection_cb, g)) != VL_OK)
        goto out;
    if (s_wanted(g, VL_OUTCOME_LAPSED)) {
        if (g->only) {
            MDB_val k = vls_val(g->only, VL_HASH_LEN), v;
            rc = vls_get(self, g->txn, S_SETTLED, g->only, VL_HASH_LEN, &v, NULL);
            rc = rc == VL_ENOTFOUND ? VL_OK : rc == VL_OK ? s_lapsed_cb(g, &k, &v) : rc;
        } else {
            rc = vls_scan(self, g->txn, S_SETTLED, NULL, 0, s_lapsed_cb, g);
        }
        if (rc != VL_OK)
            goto out;
    }
    if (s_wanted(g, VL_OUTCOME_APPLIED))
        rc = g->only ? s_gather_settled(g) : s_gather_log(g);
out:
    vls_read_end(self, &g->txn);
    return rc;
}

static int
s_item_cmp(const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq > y->seq ? -1 : 1;
    return memcmp(x->id, y->id, VL_HASH_LEN);
}

/* The newest version that names pk (a removed approver keeps its name in
 * the version that had it); the current one when none does. */
static const vl_policy_t *
s_pol_naming(const vl_store_t *self, const uint8_t *pk)
{
    for (size_t i = self->npols; i-- > 0;)
        if (vl_policy_member_name(self->pols[i], pk))
            return self->pols[i];
    return self->pol;
}

/* Report one item: an applied one is re-read and fully verified. */
static int
s_report(vl_store_t *self, const s_item_t *it, int (*cb)(void *ctx, const vl_outcome_t *o),
         void *ctx)
{
    uint8_t signers[VL_MAX_APPROVERS][VL_PK_LEN];
    vl_outcome_t o;
    vl_entry_t *e = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc;
    memset(&o, 0, sizeof o);
    o.state = it->state;
    o.id = it->id;
    o.author = it->author_known ? it->author : NULL;
    o.time = it->time;
    o.signers = (const uint8_t(*)[VL_PK_LEN])signers;
    o.pol = self->pol;
    switch (it->state) {
    case VL_OUTCOME_PENDING:
    case VL_OUTCOME_REBASE:
        o.prop = it->prop;
        o.problem = it->problem;
        o.threshold = vl_policy_threshold(self->pol);
        for (size_t i = 0; it->cand && i < vl_entry_nsigs(it->cand) && i < VL_MAX_APPROVERS; i++)
            memcpy(signers[o.nsigs++], vl_entry_signer(it->cand, i), VL_PK_LEN);
        break;
    case VL_OUTCOME_APPLIED:
        if ((rc = vl_store_entry_bytes(self, it->seq, &bytes, &len, NULL)) != VL_OK ||
            (rc = vl_store_entry_parse(self, bytes, len, 0, &e, NULL)) != VL_OK) {
            rc = rc == VL_ENOMEM || rc == VL_ESTORE ? rc : VL_ECORRUPT;
            goto out;
        }
        if (vl_entry_seq(e) != it->seq ||
            memcmp(vl_proposal_id(vl_entry_proposal(e)), it->id, VL_HASH_LEN) != 0) {
            rc = VL_ECORRUPT;
            goto out;
        }
        o.prop = vl_entry_proposal(e);
        o.pol = vl_store_policy_for_seq(self, it->seq);
        o.seq = it->seq;
        for (size_t i = 0; i < vl_entry_nsigs(e) && i < VL_MAX_APPROVERS; i++)
            memcpy(signers[o.nsigs++], vl_entry_signer(e, i), VL_PK_LEN);
        break;
    case VL_OUTCOME_LAPSED:
        o.prop = it->prop;
        o.problem = it->problem;
        o.version = it->version;
        o.pol = self->pols[it->version - 2];
        break;
    case VL_OUTCOME_REJECTED:
        o.rej = it->rej;
        o.pol = s_pol_naming(self, vl_rejection_approver(it->rej));
        break;
    }
    rc = cb(ctx, &o);
out:
    vl_entry_destroy(&e);
    free(bytes);
    return rc;
}

static int
s_run(s_gather_t *g, int (*cb)(void *ctx, const vl_outcome_t *o), void *ctx)
{
    int rc = s_gather(g);
    if (rc == VL_OK) {
        if (g->n > 1)
            qsort(g->v, g->n, sizeof *g->v, s_item_cmp);
        size_t n = g->limit && g->limit < g->n ? g->limit : g->n;
        for (size_t i = 0; i < n && rc == VL_OK; i++, g->reported++)
            rc = s_report(g->self, &g->v[i], cb, ctx);
    }
    for (size_t i = 0; i < g->n; i++)
        s_item_free(&g->v[i]);
    free(g->v);
    g->v = NULL;
    g->n = g->cap = 0;
    return rc;
}

int
vl_store_outcomes(vl_store_t *self, const uint8_t author[VL_PK_LEN], unsigned states,
                  size_t limit, int (*cb)(void *ctx, const vl_outcome_t *o), void *ctx)
{
    assert(self && cb);
    s_gather_t g;
    memset(&g, 0, sizeof g);
    g.self = self;
    g.author = author;
    g.states = states & VL_OUTCOME_ALL;
    g.limit = limit;
    return s_run(&g, cb, ctx);
}

int
vl_store_outcome_get(vl_store_t *self, const char *hex_prefix,
                     int (*cb)(void *ctx, const vl_outcome_t *o), void *ctx, char *err)
{
    assert(self && hex_prefix && cb);
    uint8_t id[VL_HASH_LEN];
    int rc = vls_prefix_lookup(self, S_PENDING, hex_prefix, "pending proposal", id, err);
    if (rc == VL_ENOTFOUND)
        rc = vls_prefix_lookup(self, S_SETTLED, hex_prefix, "proposal", id, err);
    if (rc != VL_OK)
        return rc;
    s_gather_t g;
    memset(&g, 0, sizeof g);
    g.self = self;
    g.only = id;
    g.states = VL_OUTCOME_ALL;
    rc = s_run(&g, cb, ctx);
    if (rc == VL_OK && g.reported == 0) {
        /* Settled since the lookup by another process, or marked settled
         * without its entry or rejection (verify reports that). */
        char hex[2 * VL_KID_LEN + 1];
        vls_short(id, hex);
        return vl_err(err, VL_ENOTFOUND, "proposal %s: no pending proposal, entry or "
                      "rejection here", hex);
    }
    return rc;
}
