/* SPDX-License-Identifier: MIT */
/*
 * vl_store_adopt - adopting the next policy version (docs/trust.md §2):
 * checking it against the chain, the head and the content keys we hold,
 * storing it, and marking as lapsed the pending proposals it makes
 * unapprovable.
 *
 * Contract: a version is adopted only if it is exactly the next one, starts
 * after the head (right after it: made after the head entry), counts the
 * opener's key as a member, opens every content-key epoch for it, keeps the
 * key of every epoch known here and brings a new key for a new epoch.
 * Storing the version and moving the dead pending proposals to `settled` as
 * lapsed (dropping their candidates) is one write txn; only then is the version pushed onto the
 * chain in memory.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c and vl_store_rest.c, below it.
 */
#include "vl_store_int.h"

#include <stdlib.h>

#include <sodium.h>

#include "vl_envelope.h"

typedef struct {
    const uint8_t *doc;
    size_t len;
    const vl_policy_t *next;
    const uint8_t *rest; /* the at-rest key of next's new epoch, or NULL (no new epoch) */
    size_t dropped; /* out: pending proposals that lapsed */
} s_adopt_ctx_t;

static int
s_adopt_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_adopt_ctx_t *c = vctx;
    uint64_t ver = vl_policy_version(c->next), from = vl_policy_from(c->next);
    uint8_t key[8];
    s_head_t h;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc, mrc;
    c->dropped = 0;
    /* Another process may have adopted a version since we parsed (the chain
     * was synced when this txn began). */
    if (vl_policy_version(self->pol) + 1 != ver) {
        if (vl_policy_version(self->pol) >= ver &&
            memcmp(vl_policy_hash(self->pols[ver - 1]), vl_policy_hash(c->next),
                   VL_HASH_LEN) == 0)
            return vl_err(err, VL_EEXIST, "policy version %llu is already adopted",
                          (unsigned long long)ver);
        return vl_err(err, VL_ESTALE, "policy version %llu: the store moved to version %llu "
                      "meanwhile", (unsigned long long)ver,
                      (unsigned long long)vl_policy_version(self->pol));
    }
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK)
        return rc;
    if (h.seq >= from)
        return vl_err(err, VL_ECHAIN,
                      "policy version %llu starts at entry %llu, but this log already holds "
                      "entry %llu under version %llu (another history)",
                      (unsigned long long)ver, (unsigned long long)from,
                      (unsigned long long)h.seq,
                      (unsigned long long)vl_policy_version(vls_pol_for(self, h.seq)));
    if (h.seq + 1 == from && memcmp(h.hash, vl_policy_after(c->next), VL_HASH_LEN) != 0)
        return vl_err(err, VL_ECHAIN,
                      "policy version %llu was made after another entry %llu than this log's "
                      "(another history)", (unsigned long long)ver, (unsigned long long)h.seq);
    vls_be64_put(key, ver);
    if ((rc = vls_put(self, txn, S_POLICIES, key, sizeof key, c->doc, c->len, MDB_NOOVERWRITE,
                      err)) != VL_OK)
        return rc == VL_EEXIST ? vl_err(err, VL_ECORRUPT, "policies: version %llu exists",
                                        (unsigned long long)ver)
                               : rc;
    /* Pending proposals whose author lost the right to make them, or made
     * under an older content-key epoch, can never be approved: they lapse
     * (settled 'L' || version || the proposal), their candidates go. */
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur)) != 0)
        return vls_lmdb(mrc, err, "pending cursor");
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        vl_proposal_t *p = NULL;
        int prc = vl_proposal_parse(c->next, v.mv_data, v.mv_size, &p, NULL);
        bool dead = prc == VL_EPERM ||
                    (prc == VL_OK && vl_proposal_epoch(p) != vl_policy_epoch(c->next));
        vl_proposal_destroy(&p);
        if (!dead)
            continue;
        uint8_t id[VL_HASH_LEN];
        if (k.mv_size != VL_HASH_LEN) {
            mdb_cursor_close(cur);
            return vl_err(err, VL_ECORRUPT, "pending: a key is not a proposal id");
        }
        memcpy(id, k.mv_data, VL_HASH_LEN);
        /* Kept as lapsed (docs/store.md §2.4): its author sees it in
         * `valise proposals` and can make it again under the new version. */
        uint8_t *lv = malloc(1 + 8 + v.mv_size);
        if (!lv) {
            mdb_cursor_close(cur);
            return VL_ENOMEM;
        }
        lv[0] = 'L';
        vls_be64_put(lv + 1, ver);
        memcpy(lv + 9, v.mv_data, v.mv_size);
        rc = vls_put(self, txn, S_SETTLED, id, VL_HASH_LEN, lv, 9 + v.mv_size, 0, err);
        free(lv);
        if (rc != VL_OK) {
            mdb_cursor_close(cur);
            return rc;
        }
        if ((mrc = VLS_FAULT()) != 0 || (mrc = mdb_cursor_del(cur, 0)) != 0) {
            mdb_cursor_close(cur);
            return vls_lmdb(vls_wr_fail(self, mrc), err, "pending del");
        }
        if ((rc = vls_del(self, txn, S_CANDIDATES, id, VL_HASH_LEN, err)) != VL_OK) {
            mdb_cursor_close(cur);
            return rc;
        }
        c->dropped++;
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return vls_lmdb(mrc, err, "pending cursor");
    /* The pending run was signed under the version before: it goes, like
     * the candidates (docs/store.md §3.2.1). */
    rc = vls_run_drop(self, txn, NULL, err);
    if (rc != VL_OK)
        return rc;
    /* A new epoch usually follows a revocation: every record at rest moves
     * to its key, so that a revoked member who copies the file opens none
     * of them (docs/store.md §2.2). */
    if (c->rest)
        return vls_rec_rekey(self, txn, vl_policy_epoch(c->next), c->rest, err);
    return VL_OK;
}

int
vl_store_policy_adopt(vl_store_t *self, const uint8_t *doc, size_t len, char *err)
{
    assert(self && doc);
    vl_policy_t *next = NULL;
    uint8_t *k = NULL, *rest = NULL;
    uint64_t ver = 0;
    char kid[2 * VL_KID_LEN + 1];
    int rc;
    if (self->rdonly)
        return vl_err(err, VL_EINVAL, "the store is open read-only");
    if ((rc = vl_envelope_peek_uint(doc, len, "version", &ver, err)) != VL_OK)
        return rc;
    if (ver == 0)
        return vl_err(err, VL_EPROTO, "policy version 0");
    {
        /* Refresh the chain: another process may have adopted versions. */
        MDB_txn *txn = NULL;
        if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK)
            return rc;
        vls_read_end(self, &txn);
    }
    uint64_t cur = vl_policy_version(self->pol);
    if (ver <= cur) {
        /* The same version may carry another valid set of signatures (the
         * policy hash covers the header only): that is the same version. A
         * document that does not verify is refused as such. */
        vl_policy_t *same = NULL;
        rc = ver == 1 ? vl_policy_parse(doc, len, 0, &same, err)
                      : vl_policy_parse_next(self->pols[ver - 2], doc, len, 0, &same, err);
        if (rc != VL_OK)
            return rc;
        bool eq = memcmp(vl_policy_hash(same), vl_policy_hash(self->pols[ver - 1]),
                         VL_HASH_LEN) == 0;
        vl_policy_destroy(&same);
        if (eq)
            return vl_err(err, VL_EEXIST, "policy version %llu is already adopted",
                          (unsigned long long)ver);
        if (ver < cur)
            return vl_err(err, VL_ESTALE, "policy version %llu is older than version %llu "
                          "adopted here: rollback refused", (unsigned long long)ver,
                          (unsigned long long)cur);
        return vl_err(err, VL_ESTALE, "another policy version %llu is already adopted here: "
                      "refused (fork)", (unsigned long long)ver);
    }
    if (ver > cur + 1)
        return vl_err(err, VL_ENOTFOUND, "policy version %llu: versions %llu to %llu are "
                      "needed first", (unsigned long long)ver, (unsigned long long)cur + 1,
                      (unsigned long long)ver - 1);
    if ((rc = vl_policy_parse_next(self->pol, doc, len, 0, &next, err)) != VL_OK) {
        /* A signature by a non-approver is a bad document, like a bad
         * signature: VL_EPERM from here means only "the opener's key is not
         * a member of the new version". */
        if (rc == VL_EPERM)
            rc = VL_EAUTH;
        goto out;
    }
    vl_kid(vl_keypair_pk(self->kp), kid);
    if (!vl_policy_roles(next, vl_keypair_pk(self->kp))) {
        rc = vl_err(err, VL_EPERM, "key %s is not a member of policy version %llu (revoked or "
                    "rotated): open the store with a key of that version to adopt it", kid,
                    (unsigned long long)ver);
        goto out;
    }
    /* Every epoch opens for us, and the ones we know did not change. */
    if (!(k = vl_secure_alloc(VL_KEY_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (uint32_t e = 0; e <= vl_policy_epoch(next); e++) {
        const uint8_t *old;
        if ((rc = vl_policy_content_key(next, e, self->kp, k)) != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_EAUTH,
                        "policy version %llu: the content key of epoch %u does not open for "
                        "key %s", (unsigned long long)ver, e, kid);
            goto out;
        }
        if (e <= vl_policy_epoch(self->pol)) {
            if ((rc = vls_ckey(self, e, &old, err)) != VL_OK)
                goto out;
            if (sodium_memcmp(old, k, VL_KEY_LEN) != 0) {
                rc = vl_err(err, VL_EAUTH, "policy version %llu seals another key for "
                            "content-key epoch %u", (unsigned long long)ver, e);
                goto out;
            }
            continue;
        }
        /* A new epoch must bring a new key, or revocation would be void. */
        for (uint32_t o = 0; o <= vl_policy_epoch(self->pol); o++) {
            if ((rc = vls_ckey(self, o, &old, err)) != VL_OK)
                goto out;
            if (sodium_memcmp(old, k, VL_KEY_LEN) == 0) {
                rc = vl_err(err, VL_EAUTH, "policy version %llu: the key of new content-key "
                            "epoch %u is the key of epoch %u", (unsigned long long)ver, e, o);
                goto out;
            }
        }
    }
    s_adopt_ctx_t c = { doc, len, next, NULL, 0 };
    if (vl_policy_epoch(next) > vl_policy_epoch(self->pol)) {
        /* The loop ended on the newest epoch, a new one: k is its key. */
        if (!(rest = vl_secure_alloc(VL_KEY_LEN))) {
            rc = VL_ENOMEM;
            goto out;
        }
        vls_rest_derive(self, k, rest);
        c.rest = rest;
    }
    if ((rc = vls_write(self, s_adopt_txn, &c, err)) != VL_OK)
        goto out;
    rc = vls_pols_push(self, &next);
out:
    vl_secure_free(&rest);
    vl_secure_free(&k);
    vl_policy_destroy(&next);
    return rc;
}
