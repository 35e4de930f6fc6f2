/* SPDX-License-Identifier: MIT */
/*
 * vl_store_reject - rejections: rejecting a pending proposal, accepting a
 * peer's rejection, listing and relaying the stored ones.
 *
 * Invariants: a stored rejection settles its proposal as "R" and removes it
 * from pending and candidates; one for a proposal the log already applied is
 * moot and not stored. Rejections are read under the version of their
 * approver (current or older).
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c and
 * vl_store_plan.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* A stored rejection: by an approver of the current version, or of the
 * older version it names (an approver removed since still rejected it). */
int
vls_rej_parse(const vl_store_t *self, const uint8_t *buf, size_t len, vl_rejection_t **out,
              char *err)
{
    int rc = VL_EPERM;
    for (size_t i = self->npols; i-- > 0 && rc == VL_EPERM;)
        rc = vl_rejection_parse(self->pols[i], buf, len, out, i == 0 ? err : NULL);
    return rc;
}

/* settled[id] = 'R', followed by the author of the proposal when pending
 * holds it (so that `valise proposals` can tell the author its outcome: the
 * rejection itself does not name the author). The pending value was checked
 * when it was stored; one that no longer decodes leaves the author out. */
static int
s_settle_rejected(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err)
{
    uint8_t val[1 + VL_PK_LEN];
    size_t vlen = 1;
    MDB_val v;
    val[0] = 'R';
    int rc = vls_get(self, txn, S_PENDING, id, VL_HASH_LEN, &v, err);
    if (rc != VL_OK && rc != VL_ENOTFOUND)
        return rc;
    if (rc == VL_OK) {
        vl_proposal_t *p = NULL;
        rc = vl_proposal_parse(self->pol, v.mv_data, v.mv_size, &p, NULL);
        if (rc == VL_ENOMEM)
            return rc;
        if (rc == VL_OK && memcmp(vl_proposal_id(p), id, VL_HASH_LEN) == 0) {
            memcpy(val + 1, vl_proposal_author(p), VL_PK_LEN);
            vlen = sizeof val;
        }
        vl_proposal_destroy(&p);
    }
    return vls_put(self, txn, S_SETTLED, id, VL_HASH_LEN, val, vlen, 0, err);
}

static int
s_rej_cmp(const void *a, const void *b)
{
    const vl_rejection_t *ra = *(vl_rejection_t *const *)a, *rb = *(vl_rejection_t *const *)b;
    uint64_t ta = vl_rejection_time(ra), tb = vl_rejection_time(rb);
    if (ta != tb)
        return ta > tb ? -1 : 1; /* most recent first */
    return memcmp(vl_rejection_proposal(ra), vl_rejection_proposal(rb), VL_HASH_LEN);
}

typedef struct {
    const uint8_t *id;
    const vl_keypair_t *approver;
    const char *reason;
    uint64_t now;
} s_reject_ctx_t;

static int
s_reject_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_reject_ctx_t *c = vctx;
    MDB_val v;
    uint8_t *rej = NULL;
    size_t rlen = 0;
    char hex[2 * VL_KID_LEN + 1];
    vls_short(c->id, hex);
    int rc = vls_get(self, txn, S_PENDING, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ENOTFOUND, "proposal %s is not pending", hex);
    if (rc != VL_OK)
        return rc;
    if ((rc = vl_rejection_make(self->pol, c->approver, c->id, c->reason, c->now, &rej, &rlen,
                                err)) != VL_OK)
        return rc;
    if ((rc = vls_put(self, txn, S_REJECTIONS, c->id, VL_HASH_LEN, rej, rlen, 0, err)) != VL_OK ||
        (rc = s_settle_rejected(self, txn, c->id, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_PENDING, c->id, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_run_drop(self, txn, c->id, err)) != VL_OK) {
        free(rej);
        return rc;
    }
    free(rej);
    return VL_OK;
}

int
vl_store_reject(vl_store_t *self, const uint8_t id[VL_HASH_LEN], const vl_keypair_t *approver,
                const char *reason, uint64_t now, char *err)
{
    assert(self && id && approver);
    if (!(vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(approver), kid);
        if (vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_READER)
            return vl_err(err, VL_EPERM, "key %s is a reader of network %s: a reader key may "
                          "not reject", kid, vl_policy_name(self->pol));
        return vl_err(err, VL_EPERM, "key %s is not an approver of network %s", kid,
                      vl_policy_name(self->pol));
    }
    if (!reason || !*reason || strlen(reason) > VL_MAX_REASON)
        return vl_err(err, VL_EINVAL, "a rejection needs a reason of 1..%u characters",
                      VL_MAX_REASON);
    s_reject_ctx_t c = { id, approver, reason, now };
    return vls_write(self, s_reject_txn, &c, err);
}

static int
s_rej_decode(vl_store_t *self, const MDB_val *k, const MDB_val *v, void *item)
{
    vl_rejection_t **r = item;
    if (k->mv_size != VL_HASH_LEN || vls_rej_parse(self, v->mv_data, v->mv_size, r, NULL) != VL_OK)
        return VL_ECORRUPT;
    if (memcmp(vl_rejection_proposal(*r), k->mv_data, VL_HASH_LEN) != 0) {
        vl_rejection_destroy(r);
        return VL_ECORRUPT;
    }
    return VL_OK;
}

static void
s_rej_fini(void *item)
{
    vl_rejection_destroy(item);
}

typedef struct {
    int (*cb)(void *ctx, const vl_rejection_t *r);
    void *ctx;
} s_rej_each_t;

static int
s_rej_each(void *ctx, void *item)
{
    s_rej_each_t *c = ctx;
    return c->cb(c->ctx, *(vl_rejection_t **)item);
}

int
vl_store_rejections_each(vl_store_t *self, int (*cb)(void *ctx, const vl_rejection_t *r),
                         void *ctx)
{
    assert(self && cb);
    static const vls_collect_t how = { S_REJECTIONS, NULL, sizeof(vl_rejection_t *),
                                       s_rej_decode, s_rej_fini, s_rej_cmp };
    s_rej_each_t c = { cb, ctx };
    return vls_collect_each(self, &how, s_rej_each, &c);
}

static int
s_check_rej(vl_store_t *self, const uint8_t *b, size_t len, const uint8_t id[VL_HASH_LEN])
{
    vl_rejection_t *r = NULL;
    /* Relayed only while its approver is one of the current version: peers
     * accept no other (vl_store_accept_rejection). One by an approver removed
     * since stays here, readable, but is not sent. */
    int rc = vl_rejection_parse(self->pol, b, len, &r, NULL);
    if (rc == VL_EPERM) {
        rc = vls_rej_parse(self, b, len, &r, NULL);
        vl_rejection_destroy(&r);
        return rc == VL_OK ? VL_ENOTFOUND : rc == VL_ENOMEM ? rc : VL_ECORRUPT;
    }
    if (rc == VL_OK && memcmp(vl_rejection_proposal(r), id, VL_HASH_LEN) != 0)
        rc = VL_ECORRUPT;
    vl_rejection_destroy(&r);
    return rc == VL_OK || rc == VL_ENOMEM ? rc : VL_ECORRUPT;
}

int
vl_store_rejection_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                         size_t *len)
{
    assert(self && id && out && len);
    return vls_copy_checked(self, S_REJECTIONS, id, s_check_rej, out, len);
}

typedef struct {
    const vl_rejection_t *r;
    const uint8_t *bytes;
    size_t len;
} s_accept_rej_ctx_t;

static int
s_accept_rej_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_accept_rej_ctx_t *c = vctx;
    const uint8_t *pid = vl_rejection_proposal(c->r);
    char hex[2 * VL_KID_LEN + 1];
    int kind, rc;
    vls_short(pid, hex);
    if ((rc = vls_settled(self, txn, pid, &kind, NULL, err)) != VL_OK)
        return rc;
    if (kind == 'E' || kind == 'L')
        return VL_OK; /* the log settled it (the entry wins), or a policy version made it
                       * lapse here: the rejection is moot */
    if (kind == 'R')
        return vl_err(err, VL_EEXIST, "proposal %s was already rejected", hex);
    /* Recorded whether or not the proposal is pending here: if it arrives
     * later, propose refuses it as settled. */
    if ((rc = vls_put(self, txn, S_REJECTIONS, pid, VL_HASH_LEN, c->bytes, c->len, 0, err)) !=
            VL_OK ||
        (rc = s_settle_rejected(self, txn, pid, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_PENDING, pid, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_del(self, txn, S_CANDIDATES, pid, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_run_drop(self, txn, pid, err)) != VL_OK)
        return rc;
    return VL_OK;
}

int
vl_store_accept_rejection(vl_store_t *self, const uint8_t *rej, size_t len, char *err)
{
    assert(self && rej);
    vl_rejection_t *r = NULL;
    int rc = vl_rejection_parse(self->pol, rej, len, &r, err);
    if (rc != VL_OK)
        return rc;
    s_accept_rej_ctx_t c = { r, rej, len };
    rc = vls_write(self, s_accept_rej_txn, &c, err);
    vl_rejection_destroy(&r);
    return rc;
}
