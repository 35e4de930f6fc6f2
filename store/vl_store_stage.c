/* SPDX-License-Identifier: MIT */
/*
 * vl_store_stage - entries pulled backwards from a policy pin (docs/store.md
 * §2.4.2, docs/trust.md §1.2): the "stage" database, keyed by u64be(seq).
 *
 * Invariants: the stage is empty, or holds a contiguous run low..top of
 * entries above the head in which entry top's link is the `after` of a
 * known version whose from is top + 1, every entry's link is the prev of
 * the entry above it, and every pin inside the run holds. So the approvers
 * of that version vouch, through the hash chain, for every staged byte. A
 * stage is only written whole (vl_store_stage_put is one txn), and applied
 * only through vls_apply with every signature checked.
 *
 * Layer (map in vl_store_int.h): calls vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c and vl_store_log.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "vl_entry.h"

/* Staged entries applied per write transaction. */
#define S_STAGE_CHUNK 4096u

/* Empty the stage in txn. */
static int
s_clear(vl_store_t *self, MDB_txn *txn, char *err)
{
    if (self->no_stage)
        return VL_OK;
    int mrc = VLS_FAULT();
    if (mrc == 0)
        mrc = mdb_drop(txn, self->dbi[S_STAGE], 0);
    if (mrc != 0)
        return vls_lmdb(vls_wr_fail(self, mrc), err, "clear the stage");
    return VL_OK;
}

/* The lowest staged entry: *low = its seq (0: the stage is empty) and its
 * prev. A value that does not decode under its version is VL_ECORRUPT. */
static int
s_low(vl_store_t *self, MDB_txn *txn, uint64_t *low, uint8_t prev[VL_HASH_LEN], char *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX] = "";
    *low = 0;
    if (self->no_stage)
        return VL_OK;
    int mrc = mdb_cursor_open(txn, self->dbi[S_STAGE], &cur);
    if (mrc != 0)
        return vls_lmdb(mrc, err, "cursor");
    mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    int rc = VL_OK;
    if (mrc == MDB_NOTFOUND)
        goto out;
    if (mrc != 0) {
        rc = vls_lmdb(mrc, err, "cursor");
        goto out;
    }
    if (k.mv_size != 8) {
        rc = vl_err(err, VL_ECORRUPT, "stage: a key of %zu bytes", k.mv_size);
        goto out;
    }
    uint64_t seq = vls_be64_get(k.mv_data);
    rc = vl_entry_parse(vls_pol_for(self, seq), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS, &e, why);
    if (rc == VL_OK && vl_entry_seq(e) != seq)
        rc = vl_err(why, VL_ECORRUPT, "stored as entry %llu", (unsigned long long)seq);
    if (rc != VL_OK) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "stage: entry %llu: %s",
                    (unsigned long long)seq, why);
        goto out;
    }
    *low = seq;
    memcpy(prev, vl_entry_prev(e), VL_HASH_LEN);
out:
    vl_entry_destroy(&e);
    mdb_cursor_close(cur);
    return rc;
}

int
vl_store_stage_need(vl_store_t *self, uint64_t *top, bool *ready, uint64_t *head, char *err)
{
    assert(self && top && ready);
    MDB_txn *txn = NULL;
    s_head_t h;
    uint64_t low = 0;
    uint8_t prev[VL_HASH_LEN];
    *top = 0;
    *ready = false;
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK ||
        (rc = s_low(self, txn, &low, prev, err)) != VL_OK)
        goto out;
    if (head)
        *head = h.seq;
    if (low != 0 && low <= h.seq + 1)
        *ready = true;
    else if (low != 0)
        *top = low - 1;
    else
        *top = vls_pin_above(self, h.seq, NULL);
out:
    vls_read_end(self, &txn);
    return rc;
}

typedef struct {
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
} s_put_ctx_t;

static int
s_put_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_put_ctx_t *c = vctx;
    s_head_t h;
    vl_entry_t *e = NULL;
    uint64_t low = 0, first = 0, seq = 0;
    uint8_t low_prev[VL_HASH_LEN], link[VL_HASH_LEN], key[8];
    char why[VL_ERRMSG_MAX] = "";
    int rc;
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK ||
        (rc = s_low(self, txn, &low, low_prev, err)) != VL_OK)
        return rc;
    if (low == 0 && vls_pin_above(self, h.seq, NULL) == 0)
        return vl_err(err, VL_EINVAL, "no policy pin lies above the head (%llu): nothing to "
                      "pull back", (unsigned long long)h.seq);
    for (size_t i = 0; i < c->n; i++) {
        vl_entry_head_t eh;
        why[0] = '\0';
        if (!c->entries[i])
            return vl_err(err, VL_EINVAL, "batch entry %zu is NULL", i);
        if ((rc = vl_entry_peek(c->entries[i], c->lens[i], &eh, why)) == VL_OK) {
            const vl_policy_t *pol = vls_pol_for(self, eh.seq);
            rc = vl_entry_parse(pol, c->entries[i], c->lens[i], VL_ENTRY_NO_SIGS, &e, why);
            if (rc == VL_ENOTFOUND && pol != self->pol)
                rc = VL_EPERM;
        }
        if (rc != VL_OK)
            return vl_err(err, rc, "staged batch item %zu: %s", i, why);
        seq = vl_entry_seq(e);
        if (i == 0) {
            first = seq;
            if (seq <= h.seq) {
                rc = vl_err(err, VL_ECHAIN, "staged entry %llu is not above our head (%llu)",
                            (unsigned long long)seq, (unsigned long long)h.seq);
                goto out;
            }
        } else if (seq != first + i || memcmp(vl_entry_prev(e), link, VL_HASH_LEN) != 0) {
            rc = vl_err(err, VL_ECHAIN, "staged entry %llu does not link to entry %llu before "
                        "it in the batch: not the history the pin vouches for",
                        (unsigned long long)seq, (unsigned long long)first + i - 1);
            goto out;
        }
        memcpy(link, vl_entry_hash(e), VL_HASH_LEN);
        /* A pin inside the run (or at its top) must hold. */
        if ((rc = vls_pin_check(self, seq, link, err)) != VL_OK)
            goto out;
        vls_be64_put(key, seq);
        if ((rc = vls_put(self, txn, S_STAGE, key, sizeof key, c->entries[i], c->lens[i], 0,
                          err)) != VL_OK)
            goto out;
        vl_entry_destroy(&e);
    }
    /* The top of the run: the pin itself, or the entry below the stage. */
    if (low == 0) {
        uint64_t pin = vls_pin_above(self, h.seq, NULL);
        if (seq != pin) {
            rc = vl_err(err, VL_ECHAIN, "staged entries %llu..%llu do not end at entry %llu, "
                        "the lowest policy pin above our head", (unsigned long long)first,
                        (unsigned long long)seq, (unsigned long long)pin);
            goto out;
        }
        if (!vls_pinned_at(self, seq)) { /* cannot be: pin came from a version */
            rc = vl_err(err, VL_ECHAIN, "entry %llu is not pinned", (unsigned long long)seq);
            goto out;
        }
    } else if (seq + 1 != low || memcmp(link, low_prev, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_ECHAIN, "staged entries %llu..%llu do not link to staged entry %llu "
                    "above them: not the history the pin vouches for",
                    (unsigned long long)first, (unsigned long long)seq,
                    (unsigned long long)low);
        goto out;
    }
    rc = VL_OK;
out:
    vl_entry_destroy(&e);
    return rc;
}

int
vl_store_stage_put(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                   size_t n, char *err)
{
    assert(self && (n == 0 || (entries && lens)));
    if (n == 0)
        return vl_err(err, VL_EINVAL, "no entries to stage");
    s_put_ctx_t c = { entries, lens, n };
    return vls_write(self, s_put_txn, &c, err);
}

typedef struct {
    uint64_t applied;   /* out: entries applied by this txn */
    bool done;          /* out: nothing (more) to apply */
    bool bad;           /* out: a check failed (not our store's fault) */
} s_apply_ctx_t;

static int
s_apply_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_apply_ctx_t *c = vctx;
    s_head_t h;
    uint64_t low = 0, sc;
    uint8_t prev[VL_HASH_LEN], key[8];
    MDB_val v;
    int rc;
    c->applied = 0;
    c->done = true;
    c->bad = false;
    if ((rc = vls_head_load(self, txn, &h, true, err)) != VL_OK ||
        (rc = vls_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK ||
        (rc = s_low(self, txn, &low, prev, err)) != VL_OK)
        return rc;
    if (low == 0 || low > h.seq + 1)
        return VL_OK; /* empty, or not down to the head yet */
    if (low <= h.seq)
        return s_clear(self, txn, err); /* the head reached it by another path */
    if (memcmp(prev, h.hash, VL_HASH_LEN) != 0) {
        /* The stage chains to the pin, which the approvers signed: it is the
         * history they vouch for, and ours below it is another one (applied
         * before this store knew the version). Not the peer's fault; nothing
         * can follow our head. The stage is kept: it is the true history. */
        return vl_err(err, VL_EFORK, "this store's log is another history than the one a "
                      "policy version pins: staged entry %llu (pulled back from the pin) does "
                      "not follow our entry %llu; restore a backup or sync a fresh store "
                      "(operator.md)", (unsigned long long)low, (unsigned long long)h.seq);
    }
    uint64_t before = h.seq;
    for (uint64_t i = 0; i < S_STAGE_CHUNK; i++) {
        uint64_t seq = h.seq + 1;
        vls_be64_put(key, seq);
        rc = vls_get(self, txn, S_STAGE, key, sizeof key, &v, err);
        if (rc == VL_ENOTFOUND)
            break;
        if (rc != VL_OK)
            return rc;
        /* Every signature: the stage is applied as a peer's single entries. */
        if ((rc = vls_apply(self, txn, &h, v.mv_data, v.mv_size, 0, NULL, err)) != VL_OK) {
            /* Our store's own failure (damage included) keeps the stage. */
            c->bad = rc != S_MAP_FULL && rc != VL_ESTORE && rc != VL_ENOMEM &&
                     rc != VL_ECORRUPT;
            if (c->bad && err) {
                char line[VL_ERRMSG_MAX];
                snprintf(line, sizeof line, "staged entry %llu: %s", (unsigned long long)seq,
                         err);
                memcpy(err, line, VL_ERRMSG_MAX);
            }
            return rc;
        }
        if ((rc = vls_del(self, txn, S_STAGE, key, sizeof key, err)) != VL_OK)
            return rc;
        c->applied++;
    }
    if (sc == before)
        sc = h.seq;
    if ((rc = vls_head_save(self, txn, &h, err)) != VL_OK ||
        (rc = vls_sigs_save(self, txn, sc, err)) != VL_OK)
        return rc;
    c->done = c->applied < S_STAGE_CHUNK;
    return VL_OK;
}

static int
s_clear_txn(vl_store_t *self, MDB_txn *txn, void *ctx, char *err)
{
    (void)ctx;
    return s_clear(self, txn, err);
}

int
vl_store_stage_apply(vl_store_t *self, uint64_t *applied, char *err)
{
    assert(self);
    uint64_t total = 0;
    int rc;
    for (;;) {
        s_apply_ctx_t c = { 0, true, false };
        rc = vls_write(self, s_apply_txn, &c, err);
        if (rc != VL_OK) {
            if (c.bad) {
                /* Not what the pin vouches for, or not valid: drop it all. */
                char why[VL_ERRMSG_MAX];
                if (vls_write(self, s_clear_txn, NULL, why) != VL_OK && err)
                    snprintf(err + strlen(err), VL_ERRMSG_MAX - strlen(err),
                             "; the stage could not be cleared");
            }
            break;
        }
        total += c.applied;
        if (c.done)
            break;
    }
    if (applied)
        *applied = total;
    return rc;
}

int
vl_store_stage_clear(vl_store_t *self, char *err)
{
    assert(self);
    return vls_write(self, s_clear_txn, NULL, err);
}
