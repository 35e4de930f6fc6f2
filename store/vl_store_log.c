/* SPDX-License-Identifier: MIT */
/*
 * vl_store_log - the log: applying an entry (whoever brought it), appending
 * entries from peers, reading the log back, and checking the signatures
 * append_chain skipped.
 *
 * Invariants: vls_apply() is the only writer of the log, records, index and
 * settled "E" values; it checks everything before the txn may commit, and
 * any error aborts the txn. meta "sigs_checked" is the watermark below which
 * every signature was verified; it only moves up.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c, vl_store_rest.c, vl_store_find.c, vl_store_plan.c,
 * vl_store_fork.c and vl_store_prep.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Entry i > 0 of a run applies only after an entry of the same run with the
 * same signature list (docs/formats.md §6.1): the entry at seq - 1 in txn. */
static int
s_run_follows(vl_store_t *self, MDB_txn *txn, const vl_entry_t *e, char *err)
{
    uint8_t key[8];
    MDB_val v;
    vl_entry_t *pe = NULL;
    uint64_t seq = vl_entry_seq(e);
    if (!vl_entry_tie(e) || vl_entry_run_index(e) == 0)
        return VL_OK;
    vls_be64_put(key, seq - 1);
    int rc = vls_get(self, txn, S_LOG, key, sizeof key, &v, err);
    if (rc == VL_OK)
        rc = vl_entry_parse(vls_pol_for(self, seq - 1), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS,
                            &pe, NULL);
    if (rc == VL_ENOMEM || rc == S_MAP_FULL || rc == VL_ESTORE)
        return rc;
    if (rc != VL_OK || !vl_entry_tie(pe) ||
        memcmp(vl_entry_tie(pe), vl_entry_tie(e), VL_HASH_LEN) != 0)
        rc = vl_err(err, VL_ECHAIN, "entry %llu: broken run: entry %llu is not an entry of the "
                    "same run with the same signatures", (unsigned long long)seq,
                    (unsigned long long)seq - 1);
    vl_entry_destroy(&pe);
    return rc;
}

/* Verify one complete entry against the in-txn head and apply it: log,
 * records, index, settled, pending/candidates, and *h (the caller saves the
 * head once). eflags is 0 (every signature verified) or VL_ENTRY_NO_SIGS
 * (an older entry of a chain batch: everything but the signatures). Any
 * error leaves the txn to be aborted. */
int
vls_apply(vl_store_t *self, MDB_txn *txn, s_head_t *h, const uint8_t *buf, size_t len,
          unsigned eflags, vls_pre_t *pre, char *err)
{
    vl_entry_t *e = NULL;
    s_cur_t cur[VL_MAX_OPS];
    vl_root_t acc = h->acc;
    uint8_t root[VL_HASH_LEN], key[8], settled[9];
    const uint8_t *ck;
    int rc;
    memset(cur, 0, sizeof cur);

    /* The version in force at the next seq judges the entry (docs/trust.md
     * §1.2); one naming a version we lack cannot be judged (VL_ENOTFOUND),
     * one naming another version we know is wrong. */
    const vl_policy_t *pol = vls_pol_for(self, h->seq + 1);
    if ((rc = vls_fork_refuse(self, txn, h->seq + 1, err)) != VL_OK)
        goto out;
    /* Decoded ahead for this very head (vl_store_prep.c): the same call's
     * result; otherwise (no worker, or a head it did not expect) made here. */
    if (pre && pre->at != h->seq + 1)
        pre = NULL;
    if (pre) {
        rc = pre->prc;
        e = pre->e;
        pre->e = NULL;
        if (rc != VL_OK && err)
            memcpy(err, pre->perr, VL_ERRMSG_MAX);
    } else {
        rc = vl_entry_parse(pol, buf, len, eflags, &e, err);
    }
    if (rc != VL_OK) {
        if (rc == VL_ENOTFOUND && pol != self->pol)
            rc = VL_EPERM;
        goto out;
    }
    uint64_t seq = vl_entry_seq(e);
    if (seq != h->seq + 1) {
        rc = vl_err(err, VL_ECHAIN, "entry %llu does not follow the head: the next entry is %llu",
                    (unsigned long long)seq, (unsigned long long)h->seq + 1);
        goto out;
    }
    if (memcmp(vl_entry_prev(e), h->hash, VL_HASH_LEN) != 0) {
        if (h->seq == 0)
            rc = vl_err(err, VL_ECHAIN, "entry 1: prev is not the genesis policy hash");
        else
            rc = vl_err(err, VL_ECHAIN, "entry %llu: prev is not the hash of entry %llu",
                        (unsigned long long)seq, (unsigned long long)h->seq);
        goto out;
    }
    if ((rc = s_run_follows(self, txn, e, err)) != VL_OK)
        goto out;
    vl_proposal_t *p = vl_entry_proposal(e);
    const uint8_t *pid = vl_proposal_id(p);
    /* A proposal that lapsed here when a later version was adopted may still
     * be applied by an entry that version does not govern (its `from` is
     * after this seq): the log wins, as over a rejection. */
    int skind = 0;
    if ((rc = vls_settled(self, txn, pid, &skind, NULL, err)) != VL_OK ||
        (skind != 'L' && (rc = vls_not_settled(self, txn, pid, err)) != VL_OK) ||
        (rc = vls_epoch_current(pol, p, err)) != VL_OK)
        goto out;
    if (pre && pre->orc != VLS_PRE_NOT_OPENED) {
        /* Opened ahead with the key of this epoch (vls_epoch_current above). */
        if ((rc = pre->orc) != VL_OK) {
            if (err)
                memcpy(err, pre->oerr, VL_ERRMSG_MAX);
            goto out;
        }
    } else if ((rc = vls_ckey(self, vl_proposal_epoch(p), &ck, err)) != VL_OK ||
               (rc = vl_proposal_open(p, ck, err)) != VL_OK) {
        goto out;
    }
    if ((rc = vls_plan(self, txn, pol, p, cur, &acc, err)) != VL_OK)
        goto out;
    vl_root_digest(&acc, root);
    if (memcmp(root, vl_entry_root(e), VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_ECORRUPT,
                    "entry %llu: state root mismatch (its root is not the root after applying it)",
                    (unsigned long long)seq);
        goto out;
    }

    /* Everything checked: write. */
    vls_be64_put(key, seq);
    rc = vls_put(self, txn, S_LOG, key, sizeof key, buf, len, MDB_APPEND, err);
    if (rc == VL_EEXIST) {
        rc = vl_err(err, VL_ECORRUPT, "the log already holds an entry at or after %llu",
                    (unsigned long long)seq);
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        if (cur[i].old && (rc = vls_index_update(self, txn, cur[i].old, true, err)) != VL_OK)
            goto out;
        if (op->del) {
            if ((rc = vls_del(self, txn, S_RECORDS, op->id, strlen(op->id), err)) != VL_OK)
                goto out;
            continue;
        }
        const vl_record_t *nr = vl_proposal_record(p, i);
        size_t blen;
        const uint8_t *b = vl_record_body(nr, &blen);
        if ((rc = vls_rec_put(self, txn, op->id, op->base + 1, seq, (uint32_t)i, b, blen, err)) !=
                VL_OK ||
            (rc = vls_index_update(self, txn, nr, false, err)) != VL_OK)
            goto out;
    }
    settled[0] = 'E';
    vls_be64_put(settled + 1, seq);
    if ((rc = vls_put(self, txn, S_SETTLED, pid, VL_HASH_LEN, settled, sizeof settled, 0, err)) !=
            VL_OK ||
        (rc = vls_del(self, txn, S_PENDING, pid, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_CANDIDATES, pid, VL_HASH_LEN, err)) != VL_OK)
        goto out;
    /* A version that starts at seq + 1 pins this entry (docs/trust.md §1.2). */
    if ((rc = vls_pin_check(self, seq, vl_entry_hash(e), err)) != VL_OK)
        goto out;
    h->seq = seq;
    memcpy(h->hash, vl_entry_hash(e), VL_HASH_LEN);
    memcpy(h->root, root, VL_HASH_LEN);
    h->acc = acc;
    rc = VL_OK;
out:
    vls_cur_free(cur, VL_MAX_OPS);
    vl_entry_destroy(&e);
    return rc;
}

typedef struct {
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
    bool chain;  /* verify the signatures of the last entry only */
} s_append_ctx_t;

/* Batches at least this long are decoded ahead on a worker (vl_store_prep.c). */
#define S_PREP_MIN 8u

static int s_append_each(vl_store_t *self, MDB_txn *txn, s_append_ctx_t *c, s_head_t *h,
                         uint64_t *sc, vls_prep_t *prep, char *err);

static int
s_append_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_append_ctx_t *c = vctx;
    s_head_t h;
    uint64_t sc;
    vls_prep_t *prep = NULL;
    if (c->n == 0)
        return VL_OK;
    int rc = vls_head_load(self, txn, &h, true, err);
    if (rc != VL_OK || (rc = vls_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK)
        return rc;
    /* A batch that would end below a known pin cannot be checked against
     * it: such entries come only backwards from the pin, through the stage
     * (docs/trust.md §1.2). One that reaches the pin is checked by vls_apply. */
    uint64_t pv = 0, pin = vls_pin_above(self, h.seq, &pv);
    if (pin && h.seq + c->n < pin)
        return vl_err(err, VL_ECHAIN, "entries %llu..%llu end below entry %llu, which policy "
                      "version %llu pins: entries below a pin are taken only backwards from "
                      "the pin", (unsigned long long)h.seq + 1, (unsigned long long)h.seq + c->n,
                      (unsigned long long)pin, (unsigned long long)pv);
    if (c->n >= S_PREP_MIN)
        vls_prep_start(self, h.seq, c->entries, c->lens, c->n, c->chain, &prep);
    rc = s_append_each(self, txn, c, &h, &sc, prep, err);
    vls_prep_stop(&prep);
    if (rc != VL_OK || (rc = vls_head_save(self, txn, &h, err)) != VL_OK)
        return rc;
    return vls_sigs_save(self, txn, sc, err);
}

static int
s_append_each(vl_store_t *self, MDB_txn *txn, s_append_ctx_t *c, s_head_t *hp, uint64_t *sc,
              vls_prep_t *prep, char *err)
{
    s_head_t h = *hp;
    int rc;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->entries[i])
            return vl_err(err, VL_EINVAL, "batch entry %zu is NULL", i);
        unsigned eflags = (c->chain && i + 1 < c->n) ? VL_ENTRY_NO_SIGS : 0;
        uint64_t before = h.seq;
        if ((rc = vls_apply(self, txn, &h, c->entries[i], c->lens[i], eflags,
                            vls_prep_take(prep, i), err)) != VL_OK) {
            if (c->n > 1 && err && rc != S_MAP_FULL) {
                /* Which entry failed: its index and, when its header
                 * decodes, the seq it names (the sender's claim). */
                char line[VL_ERRMSG_MAX], seq[40] = "";
                vl_entry_head_t eh;
                if (vl_entry_peek(c->entries[i], c->lens[i], &eh, NULL) == VL_OK)
                    snprintf(seq, sizeof seq, " (entry %llu)", (unsigned long long)eh.seq);
                snprintf(line, sizeof line, "batch item %zu%s: %s", i, seq, err);
                memcpy(err, line, VL_ERRMSG_MAX);
            }
            return rc;
        }
        /* The watermark moves only over a contiguous run of verified entries. */
        if (eflags == 0 && *sc == before)
            *sc = h.seq;
    }
    *hp = h;
    return VL_OK;
}

int
vl_store_append(vl_store_t *self, const uint8_t *entry, size_t len, char *err)
{
    assert(self && entry);
    s_append_ctx_t c = { &entry, &len, 1, false };
    return vls_write(self, s_append_txn, &c, err);
}

int
vl_store_append_batch(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                      size_t n, char *err)
{
    assert(self && (n == 0 || (entries && lens)));
    s_append_ctx_t c = { entries, lens, n, false };
    return vls_write(self, s_append_txn, &c, err);
}

int
vl_store_append_chain(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                      size_t n, char *err)
{
    assert(self && (n == 0 || (entries && lens)));
    s_append_ctx_t c = { entries, lens, n, true };
    return vls_write(self, s_append_txn, &c, err);
}

typedef struct {
    vl_store_t *self;
    uint64_t to;
    int (*cb)(void *ctx, const vl_entry_t *e);
    void *ctx;
    bool past;               /* reached an entry after `to` */
} s_log_each_t;

static int
s_log_each_cb(void *vctx, const MDB_val *k, const MDB_val *v)
{
    s_log_each_t *c = vctx;
    vl_entry_t *e = NULL;
    if (k->mv_size != 8)
        return VL_ECORRUPT;
    uint64_t seq = vls_be64_get(k->mv_data);
    if (c->to && seq > c->to) {
        c->past = true;
        return S_STOP;
    }
    if (vl_entry_parse(vls_pol_for(c->self, seq), v->mv_data, v->mv_size, 0, &e, NULL) !=
            VL_OK ||
        vl_entry_seq(e) != seq) {
        vl_entry_destroy(&e);
        return VL_ECORRUPT;
    }
    int rc = c->cb(c->ctx, e);
    vl_entry_destroy(&e);
    return rc;
}

int
vl_store_log_each(vl_store_t *self, uint64_t from, uint64_t to,
                  int (*cb)(void *ctx, const vl_entry_t *e), void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    uint8_t key[8];
    s_log_each_t c = { self, to, cb, ctx, false };
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    vls_be64_put(key, from ? from : 1);
    rc = vls_scan(self, txn, S_LOG, key, sizeof key, s_log_each_cb, &c);
    if (rc == S_STOP && c.past)
        rc = VL_OK;
    vls_read_end(self, &txn);
    return rc;
}

int
vl_store_entry_bytes(vl_store_t *self, uint64_t seq, uint8_t **out, size_t *len, char *err)
{
    assert(self && out && len);
    MDB_txn *txn = NULL;
    MDB_val v;
    uint8_t key[8];
    *out = NULL;
    *len = 0;
    if (seq == 0)
        return vl_err(err, VL_ENOTFOUND, "no entry 0: the log starts at 1");
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    vls_be64_put(key, seq);
    rc = vls_get(self, txn, S_LOG, key, sizeof key, &v, err);
    if (rc == VL_ENOTFOUND) {
        rc = vl_err(err, VL_ENOTFOUND, "no entry %llu in the log", (unsigned long long)seq);
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    /* Served to peers as stored: they verify it. Only the size is ours to bound. */
    if (v.mv_size == 0 || v.mv_size > VL_MAX_ENTRY) {
        rc = vl_err(err, VL_ECORRUPT, "log entry %llu: %zu bytes (run verify)",
                    (unsigned long long)seq, v.mv_size);
        goto out;
    }
    if (!(*out = malloc(v.mv_size))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(*out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    rc = VL_OK;
out:
    vls_read_end(self, &txn);
    return rc;
}

/* The link of our entry seq (the genesis hash for 0), in txn. */
int
vls_link_at(vl_store_t *self, MDB_txn *txn, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err)
{
    uint8_t key[8];
    MDB_val v;
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX] = "";
    if (seq == 0) {
        memcpy(link, vl_policy_hash(vls_genesis(self)), VL_HASH_LEN);
        return VL_OK;
    }
    vls_be64_put(key, seq);
    int rc = vls_get(self, txn, S_LOG, key, sizeof key, &v, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                      (unsigned long long)seq);
    if (rc != VL_OK)
        return rc;
    rc = vl_entry_parse(vls_pol_for(self, seq), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS, &e, why);
    if (rc != VL_OK)
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "entry %llu: %s",
                      (unsigned long long)seq, why);
    memcpy(link, vl_entry_hash(e), VL_HASH_LEN);
    vl_entry_destroy(&e);
    return VL_OK;
}

int
vl_store_link(vl_store_t *self, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err)
{
    assert(self && link);
    MDB_txn *txn = NULL;
    s_head_t h;
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = vls_head_load(self, txn, &h, false, err)) == VL_OK) {
        if (seq > h.seq)
            rc = vl_err(err, VL_ENOTFOUND, "entry %llu is beyond the head (%llu)",
                        (unsigned long long)seq, (unsigned long long)h.seq);
        else
            rc = vls_link_at(self, txn, seq, link, err);
    }
    vls_read_end(self, &txn);
    return rc;
}

/* Raise meta "sigs_checked" to c->to (never lower it: another process may
 * have gone further meanwhile). */
typedef struct {
    uint64_t to;
    uint64_t now; /* out: the value stored */
} s_sigs_ctx_t;

static int
s_sigs_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_sigs_ctx_t *c = vctx;
    s_head_t h;
    uint64_t sc;
    int rc = vls_head_load(self, txn, &h, false, err);
    if (rc != VL_OK || (rc = vls_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK)
        return rc;
    c->now = sc;
    if (c->to <= sc || c->to > h.seq)
        return VL_OK;
    c->now = c->to;
    return vls_sigs_save(self, txn, c->to, err);
}

int
vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err)
{
    assert(self);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_entry_t *e = NULL;
    s_head_t h;
    uint64_t from = 0, good = 0;
    uint8_t key[8], prev[VL_HASH_LEN], tie[VL_HASH_LEN];
    bool tie_known = false; /* tie holds the tie of the entry before (a v2 entry) */
    char why[VL_ERRMSG_MAX] = "", bad[VL_ERRMSG_MAX] = "";
    int rc, mrc;
    if (checked)
        *checked = 0;
    if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK ||
        (rc = vls_sigs_load(self, txn, h.seq, &from, err)) != VL_OK)
        goto out;
    good = from;
    if (max == 0 || from == h.seq)
        goto out; /* rc is VL_OK: nothing to do, *checked reports */
    uint64_t to = (uint64_t)max > h.seq - from ? h.seq : from + (uint64_t)max;

    /* The hash the first entry must link to. Verify and append_chain checked
     * the chain already; checking it again here makes "seq <= sigs_checked"
     * mean a signed, linked prefix even if the log was edited at rest. */
    if (from == 0) {
        memcpy(prev, vl_policy_hash(vls_genesis(self)), VL_HASH_LEN);
    } else {
        MDB_val v;
        vls_be64_put(key, from);
        if ((rc = vls_get(self, txn, S_LOG, key, sizeof key, &v, err)) == VL_ENOTFOUND)
            rc = vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                        (unsigned long long)from);
        if (rc != VL_OK)
            goto out;
        if ((rc = vl_entry_parse(vls_pol_for(self, from), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS,
                                 &e, why)) != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "entry %llu: %s",
                        (unsigned long long)from, why);
            goto out;
        }
        memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        if ((tie_known = vl_entry_tie(e) != NULL))
            memcpy(tie, vl_entry_tie(e), VL_HASH_LEN);
        vl_entry_destroy(&e);
    }
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_LOG], &cur)) != 0) {
        rc = vls_lmdb(mrc, err, "cursor");
        goto out;
    }
    vls_be64_put(key, from + 1);
    MDB_val k = vls_val(key, sizeof key), v;
    uint64_t seq = from + 1;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); seq <= to;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), seq++) {
        if (mrc != 0 && mrc != MDB_NOTFOUND) {
            rc = vls_lmdb(mrc, err, "cursor");
            goto out;
        }
        if (mrc == MDB_NOTFOUND || k.mv_size != 8 || vls_be64_get(k.mv_data) != seq) {
            snprintf(bad, sizeof bad, "log: entry %llu is missing (run verify)",
                     (unsigned long long)seq);
            break;
        }
        why[0] = '\0';
        if ((rc = vl_entry_parse(vls_pol_for(self, seq), v.mv_data, v.mv_size, 0, &e, why)) !=
            VL_OK) {
            if (rc == VL_ENOMEM)
                goto out;
            if (strncmp(why, "entry ", 6) == 0) /* the decoder already named it */
                snprintf(bad, sizeof bad, "%s", why);
            else
                snprintf(bad, sizeof bad, "entry %llu: %.200s", (unsigned long long)seq, why);
            break;
        }
        if (vl_entry_seq(e) != seq) {
            snprintf(bad, sizeof bad, "entry %llu: stored as entry %llu",
                     (unsigned long long)vl_entry_seq(e), (unsigned long long)seq);
            break;
        }
        if (memcmp(vl_entry_prev(e), prev, VL_HASH_LEN) != 0) {
            snprintf(bad, sizeof bad, "entry %llu: broken chain: prev is not the hash of entry "
                     "%llu", (unsigned long long)seq, (unsigned long long)seq - 1);
            break;
        }
        if (vl_entry_tie(e) && vl_entry_run_index(e) > 0 &&
            (!tie_known || memcmp(tie, vl_entry_tie(e), VL_HASH_LEN) != 0)) {
            snprintf(bad, sizeof bad, "entry %llu: broken run: entry %llu is not an entry of "
                     "the same run with the same signatures", (unsigned long long)seq,
                     (unsigned long long)seq - 1);
            break;
        }
        memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        if ((tie_known = vl_entry_tie(e) != NULL))
            memcpy(tie, vl_entry_tie(e), VL_HASH_LEN);
        vl_entry_destroy(&e);
        good = seq;
    }
    rc = VL_OK;
out:
    vl_entry_destroy(&e);
    if (cur)
        mdb_cursor_close(cur);
    vls_read_end(self, &txn);
    if (rc != VL_OK)
        return rc;
    if (good > from) {
        /* Record the progress, up to (not past) a bad entry. */
        s_sigs_ctx_t c = { good, 0 };
        if ((rc = vls_write(self, s_sigs_txn, &c, err)) != VL_OK)
            return rc;
        good = c.now;
    }
    if (checked)
        *checked = good;
    if (bad[0]) {
        if (err)
            snprintf(err, VL_ERRMSG_MAX, "%s", bad);
        return VL_ECORRUPT;
    }
    return VL_OK;
}
