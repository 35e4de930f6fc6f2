/* SPDX-License-Identifier: MIT */
/*
 * vl_store_fork - equivocation (docs/trust.md §5): two valid entries at one
 * seq are kept as evidence, and the log stops at the lowest such seq.
 *
 * Invariants: the evidence database holds, per seq, the two entries in hash
 * order; evidence at or below a policy pin is settled (the pinning versions
 * chose the branch) and neither stops the log nor is listed.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c
 * and vl_store_head.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Lowest seq with equivocation evidence, 0 if none (docs/trust.md §5). */
static int
s_fork_seq_txn(vl_store_t *self, MDB_txn *txn, uint64_t *seq, char *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint8_t key[8];
    *seq = 0;
    /* Evidence at or below a pin is settled: the versions that pin it chose
     * the branch (a log on the other one stops at the pin instead). */
    vls_be64_put(key, vls_pinned_upto(self) + 1);
    k = vls_val(key, sizeof key);
    int mrc = mdb_cursor_open(txn, self->dbi[S_EVIDENCE], &cur);
    if (mrc != 0)
        return vls_lmdb(mrc, err, "evidence cursor");
    mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND)
        return VL_OK;
    if (mrc != 0)
        return vls_lmdb(mrc, err, "evidence first");
    if (k.mv_size != 8 || vls_be64_get(k.mv_data) == 0)
        return vl_err(err, VL_ECORRUPT, "evidence: malformed key");
    *seq = vls_be64_get(k.mv_data);
    return VL_OK;
}

int
vls_fork_refuse(vl_store_t *self, MDB_txn *txn, uint64_t seq, char *err)
{
    uint64_t fs;
    int rc = s_fork_seq_txn(self, txn, &fs, err);
    if (rc != VL_OK)
        return rc;
    if (fs != 0 && seq >= fs)
        return vl_err(err, VL_EFORK,
                      "log stopped at the fork at entry %llu (two valid entries, see status): "
                      "entry %llu not applied", (unsigned long long)fs, (unsigned long long)seq);
    return VL_OK;
}

/* Parse an entry at its own seq, fully (every signature, exact threshold),
 * under the version in force there. */
static int
s_entry_full(vl_store_t *self, const uint8_t *buf, size_t len, vl_entry_t **e, char *err)
{
    return vl_store_entry_parse(self, buf, len, 0, e, err);
}

static int
s_evidence_write(vl_store_t *self, MDB_txn *txn, uint64_t seq, const vl_entry_t *a,
                 const vl_entry_t *b, char *err)
{
    size_t al, bl;
    const uint8_t *ab = vl_entry_bytes(a, &al), *bb = vl_entry_bytes(b, &bl);
    if (memcmp(vl_entry_hash(a), vl_entry_hash(b), VL_HASH_LEN) > 0) {
        const uint8_t *tb = ab;
        size_t tl = al;
        ab = bb, al = bl, bb = tb, bl = tl;
    }
    uint8_t key[8];
    MDB_val v;
    vls_be64_put(key, seq);
    int rc = vls_get(self, txn, S_EVIDENCE, key, sizeof key, &v, err);
    if (rc == VL_OK)
        return VL_EEXIST;
    if (rc != VL_ENOTFOUND)
        return rc;
    if (err)
        err[0] = '\0';
    size_t n = 8 + al + bl;
    uint8_t *val = malloc(n);
    if (!val)
        return VL_ENOMEM;
    vls_be32_put(val, (uint32_t)al);
    memcpy(val + 4, ab, al);
    vls_be32_put(val + 4 + al, (uint32_t)bl);
    memcpy(val + 8 + al, bb, bl);
    rc = vls_put(self, txn, S_EVIDENCE, key, sizeof key, val, n, 0, err);
    free(val);
    return rc;
}

typedef struct {
    const vl_entry_t *a, *b;
} s_evidence_ctx_t;

static int
s_evidence_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_evidence_ctx_t *c = vctx;
    uint64_t seq = vl_entry_seq(c->a);
    if (seq <= vls_pinned_upto(self))
        return vl_err(err, VL_ECHAIN,
                      "entry %llu: a policy version pins the history up to entry %llu: two "
                      "entries there are another history (old keys), not evidence",
                      (unsigned long long)seq, (unsigned long long)vls_pinned_upto(self));
    return s_evidence_write(self, txn, seq, c->a, c->b, err);
}

static int
s_fork_msg(const vl_entry_t *a, const vl_entry_t *b, char *err)
{
    char ka[2 * VL_KID_LEN + 1] = "?", kb[2 * VL_KID_LEN + 1] = "?";
    if (vl_entry_nsigs(a))
        vl_kid(vl_entry_signer(a, 0), ka);
    if (vl_entry_nsigs(b))
        vl_kid(vl_entry_signer(b, 0), kb);
    return vl_err(err, VL_EFORK, "fork at entry %llu: two valid entries (signed by %s... and "
                  "%s...): evidence kept, log stopped", (unsigned long long)vl_entry_seq(a), ka,
                  kb);
}

int
vl_store_fork_check(vl_store_t *self, const uint8_t *entry, size_t len, char *err)
{
    assert(self && entry);
    vl_entry_t *theirs = NULL, *ours = NULL;
    MDB_txn *txn = NULL;
    uint8_t key[8];
    MDB_val v;
    s_head_t h;
    char why[VL_ERRMSG_MAX] = "";
    int rc = s_entry_full(self, entry, len, &theirs, err);
    if (rc != VL_OK)
        goto out;
    uint64_t seq = vl_entry_seq(theirs);
    if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK ||
        (rc = vls_head_load(self, txn, &h, false, err)) != VL_OK)
        goto out;
    if (seq > h.seq) {
        rc = vl_err(err, VL_ENOTFOUND, "entry %llu is beyond this log's head (%llu)",
                    (unsigned long long)seq, (unsigned long long)h.seq);
        goto out;
    }
    vls_be64_put(key, seq);
    if ((rc = vls_get(self, txn, S_LOG, key, sizeof key, &v, err)) != VL_OK) {
        if (rc == VL_ENOTFOUND)
            rc = vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                        (unsigned long long)seq);
        goto out;
    }
    if ((rc = vl_entry_parse(vls_pol_for(self, seq), v.mv_data, v.mv_size, 0, &ours, why)) !=
        VL_OK) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "our entry %llu: %s",
                    (unsigned long long)seq, why);
        goto out;
    }
    vls_read_end(self, &txn);
    if (memcmp(vl_entry_hash(ours), vl_entry_hash(theirs), VL_HASH_LEN) == 0) {
        rc = VL_OK;
        goto out;
    }
    if (memcmp(vl_entry_digest(ours), vl_entry_digest(theirs), VL_HASH_LEN) == 0) {
        rc = vl_err(err, VL_EPROTO, "entry %llu differs from ours only outside what its "
                    "approvers signed: a forged copy, not a fork", (unsigned long long)seq);
        goto out;
    }
    s_evidence_ctx_t c = { ours, theirs };
    rc = vls_write(self, s_evidence_txn, &c, err);
    if (rc == VL_OK || rc == VL_EEXIST)
        rc = s_fork_msg(ours, theirs, err);
out:
    vls_read_end(self, &txn);
    vl_entry_destroy(&ours);
    vl_entry_destroy(&theirs);
    return rc;
}

int
vl_store_evidence_put(vl_store_t *self, const uint8_t *a, size_t alen, const uint8_t *b,
                      size_t blen, char *err)
{
    assert(self && a && b);
    vl_entry_t *ea = NULL, *eb = NULL;
    int rc;
    if ((rc = s_entry_full(self, a, alen, &ea, err)) != VL_OK ||
        (rc = s_entry_full(self, b, blen, &eb, err)) != VL_OK)
        goto out;
    if (vl_entry_seq(ea) != vl_entry_seq(eb)) {
        rc = vl_err(err, VL_EINVAL, "evidence: entries %llu and %llu are not at one seq",
                    (unsigned long long)vl_entry_seq(ea), (unsigned long long)vl_entry_seq(eb));
        goto out;
    }
    if (memcmp(vl_entry_hash(ea), vl_entry_hash(eb), VL_HASH_LEN) == 0) {
        rc = vl_err(err, VL_EINVAL, "evidence: the two entries are the same");
        goto out;
    }
    /* Equivocation is two statements signed at one seq: two entries with one
     * digest (a run's later entry with another prev, an entry carrying another
     * encoding of its proposal) are one statement, and one copy was forged. */
    if (memcmp(vl_entry_digest(ea), vl_entry_digest(eb), VL_HASH_LEN) == 0) {
        rc = vl_err(err, VL_EINVAL, "evidence: the two entries carry one signed statement "
                    "(one is a forged copy, not a fork)");
        goto out;
    }
    s_evidence_ctx_t c = { ea, eb };
    rc = vls_write(self, s_evidence_txn, &c, err);
    if (rc == VL_OK)
        rc = s_fork_msg(ea, eb, err);
    else if (rc == VL_EEXIST)
        rc = vl_err(err, VL_EEXIST, "evidence of the fork at entry %llu is already here",
                    (unsigned long long)vl_entry_seq(ea));
out:
    vl_entry_destroy(&ea);
    vl_entry_destroy(&eb);
    return rc;
}

/* One stored fork, copied out of the read txn. */
typedef struct {
    uint64_t seq;
    uint8_t *val;
    size_t alen, blen;
} s_fork_t;

/* Forks at or below a policy pin are settled: not listed. */
static size_t
s_fork_from(const vl_store_t *self, uint8_t key[8])
{
    vls_be64_put(key, vls_pinned_upto(self) + 1);
    return 8;
}

static int
s_fork_decode(vl_store_t *self, const MDB_val *k, const MDB_val *v, void *item)
{
    s_fork_t *f = item;
    const uint8_t *p = v->mv_data;
    size_t al, bl;
    if (k->mv_size != 8 || v->mv_size < 8 || (al = vls_be32_get(p)) == 0 ||
        al > VL_MAX_ENTRY || al > v->mv_size - 8 ||
        (bl = vls_be32_get(p + 4 + al)) == 0 || bl != v->mv_size - 8 - al)
        return VL_ECORRUPT;
    if (!(f->val = malloc(v->mv_size)))
        return VL_ENOMEM;
    memcpy(f->val, p, v->mv_size);
    f->seq = vls_be64_get(k->mv_data);
    f->alen = al;
    f->blen = bl;
    return VL_OK;
}

static void
s_fork_fini(void *item)
{
    free(((s_fork_t *)item)->val);
}

typedef struct {
    int (*cb)(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
              size_t blen);
    void *ctx;
} s_fork_each_t;

static int
s_fork_each(void *ctx, void *item)
{
    s_fork_each_t *c = ctx;
    const s_fork_t *f = item;
    return c->cb(c->ctx, f->seq, f->val + 4, f->alen, f->val + 8 + f->alen, f->blen);
}

int
vl_store_evidence_each(vl_store_t *self,
                       int (*cb)(void *ctx, uint64_t seq, const uint8_t *a, size_t alen,
                                 const uint8_t *b, size_t blen),
                       void *ctx)
{
    assert(self && cb);
    static const vls_collect_t how = { S_EVIDENCE, s_fork_from, sizeof(s_fork_t), s_fork_decode,
                                       s_fork_fini, NULL };
    s_fork_each_t c = { cb, ctx };
    return vls_collect_each(self, &how, s_fork_each, &c);
}

uint64_t
vl_store_fork_seq(vl_store_t *self)
{
    assert(self);
    MDB_txn *txn = NULL;
    uint64_t seq = 0;
    if (vls_txn_begin(self, true, &txn, NULL) != VL_OK)
        return 0;
    s_fork_seq_txn(self, txn, &seq, NULL);
    vls_read_end(self, &txn);
    return seq;
}
