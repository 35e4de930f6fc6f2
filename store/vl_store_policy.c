/* SPDX-License-Identifier: MIT */
/*
 * vl_store_policy - the policy chain (docs/trust.md §1, §2): the versions
 * held in memory, which version judges an entry at a given seq, the pins
 * later versions put on the log, and adopting a new version.
 *
 * Invariants: self->pols[v - 1] is version v, each verified against its
 * predecessor; self->pol is the newest. The "policies" database holds
 * versions 2.., written at creation or appended by adopt, one version after
 * the other; a txn that begins loads the ones another process appended.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "vl_envelope.h"

/* Append a verified version (takes ownership; *pol set to NULL). */
int
vls_pols_push(vl_store_t *self, vl_policy_t **pol)
{
    vl_policy_t **grown = realloc(self->pols, (self->npols + 1) * sizeof *grown);
    if (!grown) {
        vl_policy_destroy(pol);
        return VL_ENOMEM;
    }
    self->pols = grown;
    self->pols[self->npols++] = *pol;
    self->pol = *pol;
    *pol = NULL;
    return VL_OK;
}

/* Load the versions another process (or an earlier run) adopted: each is
 * verified against its predecessor again, so a policies value edited behind
 * our back is VL_ECORRUPT. */
int
vls_pols_sync(vl_store_t *self, MDB_txn *txn, char *err)
{
    MDB_stat st;
    char why[VL_ERRMSG_MAX];
    int mrc = mdb_stat(txn, self->dbi[S_POLICIES], &st);
    if (mrc != 0)
        return vls_lmdb(mrc, err, "policies stat");
    while (self->npols < st.ms_entries + 1) {
        uint8_t key[8];
        MDB_val k, v;
        uint64_t ver = self->npols + 1;
        if (ver > VL_MAX_VERSIONS)
            return vl_err(err, VL_ECORRUPT, "policies: more than %u versions", VL_MAX_VERSIONS);
        vls_be64_put(key, ver);
        k = vls_val(key, sizeof key);
        mrc = mdb_get(txn, self->dbi[S_POLICIES], &k, &v);
        if (mrc == MDB_NOTFOUND)
            return vl_err(err, VL_ECORRUPT, "policies: version %llu is missing",
                          (unsigned long long)ver);
        if (mrc != 0)
            return vls_lmdb(mrc, err, "policies get");
        vl_policy_t *next = NULL;
        why[0] = '\0';
        int rc = vl_policy_parse_next(self->pol, v.mv_data, v.mv_size, 0, &next, why);
        if (rc != VL_OK)
            return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                          "policies: version %llu: %s", (unsigned long long)ver, why);
        if ((rc = vls_pols_push(self, &next)) != VL_OK)
            return rc;
    }
    return VL_OK;
}

/* The version in force at seq (docs/trust.md §1.2). */
const vl_policy_t *
vls_pol_for(const vl_store_t *self, uint64_t seq)
{
    for (size_t i = self->npols; i-- > 1;)
        if (vl_policy_from(self->pols[i]) <= seq)
            return self->pols[i];
    return self->pols[0];
}

const vl_policy_t *
vls_genesis(const vl_store_t *self)
{
    return self->pols[0];
}

/* The highest seq a known policy version pins: for a version v > 1 the
 * approvers of v-1 and of v vouched for the link of entry from(v) - 1, so
 * the history up to it is decided, whatever else was signed at those seqs:
 * entries on another branch fail the pin (vls_pin_check) when the log reaches
 * it, and two entries there are not evidence (docs/trust.md §5). */
uint64_t
vls_pinned_upto(const vl_store_t *self)
{
    uint64_t up = 0;
    for (size_t i = 1; i < self->npols; i++) {
        uint64_t f = vl_policy_from(self->pols[i]);
        if (f >= 1 && f - 1 > up)
            up = f - 1;
    }
    return up;
}

/* Every known version v > 1 with from(v) = seq + 1 names in `after` the link
 * entry seq must have. */
int
vls_pin_check(const vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN], char *err)
{
    for (size_t i = 1; i < self->npols; i++) {
        const vl_policy_t *v = self->pols[i];
        if (vl_policy_from(v) == seq + 1 &&
            memcmp(vl_policy_after(v), link, VL_HASH_LEN) != 0)
            return vl_err(err, VL_ECHAIN,
                          "entry %llu is not the entry policy version %llu was made after "
                          "(another history)", (unsigned long long)seq,
                          (unsigned long long)vl_policy_version(v));
    }
    return VL_OK;
}

const vl_policy_t *
vl_store_policy(const vl_store_t *self)
{
    assert(self);
    return self->pol;
}

const vl_policy_t *
vl_store_policy_at(const vl_store_t *self, uint64_t version)
{
    assert(self);
    if (version == 0 || version > self->npols)
        return NULL;
    return self->pols[version - 1];
}

const vl_policy_t *
vl_store_policy_for_seq(const vl_store_t *self, uint64_t seq)
{
    assert(self);
    return vls_pol_for(self, seq);
}

int
vl_store_entry_parse(const vl_store_t *self, const uint8_t *buf, size_t len, unsigned flags,
                     vl_entry_t **e, char *err)
{
    assert(self && e);
    *e = NULL;
    /* The seq picks the version that judges the entry. */
    vl_entry_head_t head;
    int rc = vl_entry_peek(buf, len, &head, err);
    if (rc != VL_OK)
        return rc;
    const vl_policy_t *pol = vls_pol_for(self, head.seq);
    rc = vl_entry_parse(pol, buf, len, flags, e, err);
    if (rc == VL_ENOTFOUND && pol != self->pol)
        rc = VL_EPERM;
    return rc;
}

typedef struct {
    const uint8_t *doc;
    size_t len;
    const vl_policy_t *next;
    size_t dropped; /* out: pending proposals dropped */
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
     * under an older content-key epoch, can never be approved: drop them
     * with their candidates (their authors propose again). */
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
        if ((mrc = mdb_cursor_del(cur, 0)) != 0) {
            mdb_cursor_close(cur);
            return mrc == MDB_MAP_FULL ? S_MAP_FULL : vls_lmdb(mrc, err, "pending del");
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
    return VL_OK;
}

int
vl_store_policy_adopt(vl_store_t *self, const uint8_t *doc, size_t len, char *err)
{
    assert(self && doc);
    vl_policy_t *next = NULL;
    uint8_t *k = NULL;
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
    s_adopt_ctx_t c = { doc, len, next, 0 };
    if ((rc = vls_write(self, s_adopt_txn, &c, err)) != VL_OK)
        goto out;
    rc = vls_pols_push(self, &next);
out:
    vl_secure_free(&k);
    vl_policy_destroy(&next);
    return rc;
}
