/* SPDX-License-Identifier: MIT */
/*
 * vl_store_plan - a proposal against the store as one txn sees it: whether
 * its id is settled already, whether its content-key epoch is current, and
 * its plan (every op checked against the current record, and the root
 * accumulator moved to the set after it), shared by proposing, approving
 * and applying.
 *
 * Contract: these functions only read; vls_plan() fills cur[] with the
 * records it replaces (the caller frees them with vls_cur_free(), also on
 * error).
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c and
 * vl_store_rest.c, below it.
 */
#include "vl_store_int.h"

/* A proposal must be encrypted under the newest epoch of the version that
 * governs it (docs/trust.md §1.2): after a revocation, nothing new is
 * readable with an old content key. */
int
vls_epoch_current(const vl_policy_t *pol, const vl_proposal_t *p, char *err)
{
    if (vl_proposal_epoch(p) == vl_policy_epoch(pol))
        return VL_OK;
    char hex[2 * VL_KID_LEN + 1];
    vls_short(vl_proposal_id(p), hex);
    return vl_err(err, VL_ESTALE,
                  "proposal %s was made under content-key epoch %u; policy version %llu is at "
                  "epoch %u: propose it again", hex, vl_proposal_epoch(p),
                  (unsigned long long)vl_policy_version(pol), vl_policy_epoch(pol));
}

void
vls_cur_free(s_cur_t *cur, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vl_record_destroy(&cur[i].old);
}

/* Check every op of an opened proposal against the records as txn sees them
 * (base revision, kind, the author's right over the existing record's
 * States) and, if acc is not NULL, move acc to the set after applying it.
 * cur[] (vl_proposal_nops entries, zeroed) receives the current records. */
int
vls_plan(vl_store_t *self, MDB_txn *txn, const vl_policy_t *pol, const vl_proposal_t *p,
         s_cur_t *cur, vl_root_t *acc, char *err)
{
    uint8_t leaf[VL_HASH_LEN];
    int rc;
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        if ((rc = vls_rec_load(self, txn, op->id, &cur[i].old, &cur[i].rev, err)) != VL_OK)
            return rc;
        if (cur[i].rev != op->base) {
            if (cur[i].rev == 0)
                return vl_err(err, VL_ESTALE,
                              "needs rebase: record %s does not exist, proposal is based on "
                              "revision %llu", op->id, (unsigned long long)op->base);
            return vl_err(err, VL_ESTALE,
                          "needs rebase: record %s is at revision %llu, proposal is based on %llu",
                          op->id, (unsigned long long)cur[i].rev, (unsigned long long)op->base);
        }
        if (op->base == UINT64_MAX)
            return vl_err(err, VL_EPROTO, "record %s: revision overflow", op->id);
        if ((rc = vl_proposal_check_existing(pol, p, i, cur[i].old, err)) != VL_OK)
            return rc;
        if (!acc)
            continue;
        if (cur[i].old) {
            size_t blen;
            const uint8_t *b = vl_record_body(cur[i].old, &blen);
            vl_root_leaf(leaf, op->id, cur[i].rev, b, blen);
            vl_root_remove(acc, leaf);
        }
        if (!op->del) {
            const vl_record_t *nr = vl_proposal_record(p, i);
            if (!nr)
                return vl_err(err, VL_EPROTO, "op %zu: proposal is not opened", i);
            size_t blen;
            const uint8_t *b = vl_record_body(nr, &blen);
            vl_root_leaf(leaf, op->id, op->base + 1, b, blen);
            vl_root_insert(acc, leaf);
        }
    }
    return VL_OK;
}

/* Settled state of a proposal id: 0 (not settled), 'E' (+ seq), 'R' (+ the
 * proposal's author when the store held the proposal: 33 bytes) or 'L'
 * (lapsed: + the policy version that made it unapprovable, in *seq, + the
 * proposal). */
int
vls_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], int *kind,
            uint64_t *seq, char *err)
{
    return vls_settled_author(self, txn, id, kind, seq, NULL, NULL, err);
}

int
vls_settled_author(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], int *kind,
                   uint64_t *seq, uint8_t author[VL_PK_LEN], bool *known, char *err)
{
    if (known)
        *known = false;
    MDB_val v;
    *kind = 0;
    if (seq)
        *seq = 0;
    int rc = vls_get(self, txn, S_SETTLED, id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK)
        return rc;
    const uint8_t *p = v.mv_data;
    if (v.mv_size == 9 && p[0] == 'E') {
        *kind = 'E';
        if (seq)
            *seq = vls_be64_get(p + 1);
        return VL_OK;
    }
    if ((v.mv_size == 1 || v.mv_size == 1 + VL_PK_LEN) && p[0] == 'R') {
        *kind = 'R';
        if (v.mv_size == 1 + VL_PK_LEN && author && known) {
            memcpy(author, p + 1, VL_PK_LEN);
            *known = true;
        }
        return VL_OK;
    }
    if (v.mv_size > 9 && p[0] == 'L') {
        *kind = 'L';
        if (seq)
            *seq = vls_be64_get(p + 1);
        return VL_OK;
    }
    return vl_err(err, VL_ECORRUPT, "settled table: malformed value");
}

int
vls_not_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err)
{
    int kind;
    uint64_t seq;
    char hex[2 * VL_KID_LEN + 1];
    int rc = vls_settled(self, txn, id, &kind, &seq, err);
    if (rc != VL_OK || kind == 0)
        return rc;
    vls_short(id, hex);
    if (kind == 'E')
        return vl_err(err, VL_EEXIST, "proposal %s already settled (replay): applied as entry %llu",
                      hex, (unsigned long long)seq);
    if (kind == 'R')
        return vl_err(err, VL_EEXIST, "proposal %s already settled (replay): it was rejected",
                      hex);
    if (kind == 'L')
        return vl_err(err, VL_EEXIST, "proposal %s already settled (replay): it lapsed when "
                      "policy version %llu was adopted; its author can make it again with "
                      "valise propose --again %s", hex, (unsigned long long)seq, hex);
    return VL_OK;
}
