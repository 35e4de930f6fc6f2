/* SPDX-License-Identifier: MIT */
/*
 * vl_store_rest - records at rest: content keys of each epoch, the at-rest
 * key, and the records value (docs/store.md): header, random nonce, AEAD
 * ciphertext of the record body, compressed first (one zstd frame, value
 * version 3; versions 1 and 2, uncompressed, are still read).
 *
 * Invariants: every records value is written with a fresh random nonce
 * (never handed out twice) and authenticated together with its id and
 * revision, so a value moved to another key or revision does not open.
 * Values read back are hostile: length-checked, AEAD-opened, schema-checked
 * and compared with the id they are stored under.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "vl_compress.h"

/* The content key of an epoch, unsealed on first use and cached. */
int
vls_ckey(vl_store_t *self, uint32_t epoch, const uint8_t **key, char *err)
{
    for (size_t i = 0; i < self->nckeys; i++)
        if (self->ckeys[i].epoch == epoch) {
            *key = self->ckeys[i].key;
            return VL_OK;
        }
    if (!self->kp)
        return vl_err(err, VL_EPERM, "the store was opened without a key: the content key "
                      "is not available");
    s_ckey_t *grown = realloc(self->ckeys, (self->nckeys + 1) * sizeof *grown);
    if (!grown)
        return VL_ENOMEM;
    self->ckeys = grown;
    uint8_t *k = vl_secure_alloc(VL_KEY_LEN);
    if (!k)
        return VL_ENOMEM;
    int rc = vl_policy_content_key(self->pol, epoch, self->kp, k);
    if (rc != VL_OK) {
        vl_secure_free(&k);
        if (rc == VL_ENOTFOUND)
            return vl_err(err, VL_EPROTO, "network %s has no content-key epoch %u",
                          vl_policy_name(self->pol), epoch);
        if (rc == VL_EPERM) {
            char kid[2 * VL_KID_LEN + 1];
            vl_kid(vl_keypair_pk(self->kp), kid);
            if (self->npols > 1)
                return vl_err(err, VL_EPERM, "key %s is not a member of network %s as of "
                              "policy version %llu (revoked or rotated out)", kid,
                              vl_policy_name(self->pol),
                              (unsigned long long)vl_policy_version(self->pol));
            return vl_err(err, VL_EPERM, "this key is not a member of network %s",
                          vl_policy_name(self->pol));
        }
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_EPERM,
                      "the content key of epoch %u does not open with this key", epoch);
    }
    self->ckeys[self->nckeys].epoch = epoch;
    self->ckeys[self->nckeys].key = k;
    self->nckeys++;
    *key = k;
    return VL_OK;
}

/* The at-rest key that content key ck gives this store:
 * HK(ck, "valise/rest/1", salt). */
void
vls_rest_derive(const vl_store_t *self, const uint8_t ck[VL_KEY_LEN], uint8_t out[VL_KEY_LEN])
{
    vl_hash_keyed(out, ck, S_REST_TAG, self->salt, S_SALT_LEN);
}

/* The at-rest key of epoch, derived on first use and kept until close. */
int
vls_rest_key(vl_store_t *self, uint32_t epoch, const uint8_t **key, char *err)
{
    if (!self->has_rest)
        return vl_err(err, VL_EPERM, "the store was opened without a key");
    if (epoch >= VL_MAX_EPOCHS)
        return vl_err(err, VL_ECORRUPT, "at-rest epoch %u is beyond the limit of %u", epoch,
                      VL_MAX_EPOCHS);
    if (!self->rest_keys[epoch]) {
        const uint8_t *ck = NULL;
        int rc = vls_ckey(self, epoch, &ck, err);
        if (rc != VL_OK)
            return rc;
        if (!(self->rest_keys[epoch] = vl_secure_alloc(VL_KEY_LEN)))
            return VL_ENOMEM;
        vls_rest_derive(self, ck, self->rest_keys[epoch]);
    }
    *key = self->rest_keys[epoch];
    return VL_OK;
}

int
vls_recval_decode(const MDB_val *v, s_recval_t *rv)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < 1)
        return VL_ECORRUPT;
    size_t hdr = p[0] == S_REC_V1                      ? S_REC_HDR1
                 : p[0] == S_REC_V2 || p[0] == S_REC_V3 ? S_REC_HDR2
                                                        : 0;
    size_t max = p[0] == S_REC_V3 ? VL_MAX_RECORD_ZFRAME : VL_MAX_RECORD;
    if (hdr == 0 || v->mv_size < hdr + VL_MAC_LEN + 1 || v->mv_size - hdr - VL_MAC_LEN > max)
        return VL_ECORRUPT;
    rv->z = p[0] == S_REC_V3;
    rv->rev = vls_be64_get(p + 1);
    rv->seq = vls_be64_get(p + 9);
    rv->op = vls_be32_get(p + 17);
    rv->epoch = p[0] != S_REC_V1 ? vls_be32_get(p + 21) : 0;
    rv->nonce = p + hdr - VL_NONCE_LEN;
    rv->ct = p + hdr;
    rv->ct_len = v->mv_size - hdr;
    if (rv->rev == 0 || rv->seq == 0 || rv->epoch >= VL_MAX_EPOCHS)
        return VL_ECORRUPT;
    return VL_OK;
}

static size_t
s_rest_ad(uint8_t ad[S_AD_MAX], const char *id, size_t idlen, uint64_t rev)
{
    memcpy(ad, S_REST_TAG, S_REST_TAG_LEN);
    vls_be32_put(ad + S_REST_TAG_LEN, (uint32_t)idlen);
    memcpy(ad + S_REST_TAG_LEN + 4, id, idlen);
    vls_be64_put(ad + S_REST_TAG_LEN + 4 + idlen, rev);
    return S_REST_TAG_LEN + 4 + idlen + 8;
}

/* Decrypt a records value into self->scratch with the key of its epoch and,
 * for a v3 value, check and decompress its frame there (the decompressed
 * copy is wiped). VL_OK, VL_EAUTH, the frame reader's VL_EPROTO or
 * VL_ELIMIT, or the error of deriving that key (message in err). */
static int
s_rec_decrypt(vl_store_t *self, const char *id, size_t idlen, const s_recval_t *rv,
              size_t *len, char *err)
{
    uint8_t ad[S_AD_MAX];
    const uint8_t *key = NULL;
    int rc = vls_rest_key(self, rv->epoch, &key, err);
    if (rc != VL_OK)
        return rc;
    size_t adlen = s_rest_ad(ad, id, idlen, rv->rev);
    *len = rv->ct_len - VL_MAC_LEN;
    if ((rc = vl_aead_decrypt(key, rv->nonce, ad, adlen, rv->ct, rv->ct_len, self->scratch)) !=
            VL_OK ||
        !rv->z)
        return rc;
    uint8_t *body = NULL;
    size_t blen = 0;
    if ((rc = vl_zstd_decompress(self->scratch, *len, VL_MAX_RECORD, &body, &blen, err)) !=
        VL_OK)
        return rc;
    memcpy(self->scratch, body, blen);
    vl_zstd_free(&body, blen);
    *len = blen;
    return VL_OK;
}

/* A fresh random nonce, never handed out twice (a rerun transaction takes new ones). */
static void
s_nonce(vl_store_t *self, uint8_t out[VL_NONCE_LEN])
{
    if (self->nonces_left == 0) {
        vl_random(self->nonces, sizeof self->nonces);
        self->nonces_left = S_NONCE_POOL;
    }
    self->nonces_left--;
    uint8_t *n = self->nonces + self->nonces_left * VL_NONCE_LEN;
    memcpy(out, n, VL_NONCE_LEN);
    memset(n, 0, VL_NONCE_LEN);
}

/* Write a v3 records value of id under the at-rest key of epoch (fresh
 * random nonce): the body compressed, then sealed in place via MDB_RESERVE. */
static int
s_rec_write(vl_store_t *self, MDB_txn *txn, const char *id, uint64_t rev, uint64_t seq,
            uint32_t op, const uint8_t *body, size_t blen, uint32_t epoch, const uint8_t *key,
            char *err)
{
    size_t idlen = strlen(id), zlen = 0;
    uint8_t *z = NULL;
    int rc = vl_zstd_compress(body, blen, &z, &zlen);
    if (rc != VL_OK)
        return vl_err(err, rc, "record %s: compression failed", id);
    MDB_val k = vls_val(id, idlen), v = vls_val(NULL, S_REC_HDR2 + zlen + VL_MAC_LEN);
    int mrc = VLS_FAULT();
    if (mrc == 0)
        mrc = mdb_put(txn, self->dbi[S_RECORDS], &k, &v, MDB_RESERVE);
    if (mrc != 0) {
        vl_zstd_free(&z, zlen);
        return vls_lmdb(vls_wr_fail(self, mrc), err, "put record");
    }
    uint8_t *p = v.mv_data, ad[S_AD_MAX];
    p[0] = S_REC_V3;
    vls_be64_put(p + 1, rev);
    vls_be64_put(p + 9, seq);
    vls_be32_put(p + 17, op);
    vls_be32_put(p + 21, epoch);
    s_nonce(self, p + 25);
    size_t adlen = s_rest_ad(ad, id, idlen, rev);
    vl_aead_encrypt(key, p + 25, ad, adlen, z, zlen, p + S_REC_HDR2);
    vl_zstd_free(&z, zlen);
    return VL_OK;
}

/* Write the records value of id under the current version's newest epoch. */
int
vls_rec_put(vl_store_t *self, MDB_txn *txn, const char *id, uint64_t rev, uint64_t seq,
            uint32_t op, const uint8_t *body, size_t blen, char *err)
{
    const uint8_t *key = NULL;
    uint32_t epoch = vl_policy_epoch(self->pol);
    int rc = vls_rest_key(self, epoch, &key, err);
    if (rc != VL_OK)
        return rc;
    return s_rec_write(self, txn, id, rev, seq, op, body, blen, epoch, key, err);
}

/* Re-encrypt every records value that is not a v3 value under epoch with
 * key (the at-rest key of epoch), keeping its revision, seq and op. The ids are
 * collected first, so no cursor walks a table being rewritten. */
int
vls_rec_rekey(vl_store_t *self, MDB_txn *txn, uint32_t epoch, const uint8_t *key, char *err)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    char (*ids)[VL_MAX_ID + 1] = NULL;
    size_t n = 0, cap = 0;
    int rc = VL_OK, mrc;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_RECORDS], &cur)) != 0)
        return vls_lmdb(mrc, err, "cursor");
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        s_recval_t rv;
        if (k.mv_size == 0 || k.mv_size > VL_MAX_ID || vls_recval_decode(&v, &rv) != VL_OK) {
            rc = vl_err(err, VL_ECORRUPT, "records: a malformed value (run valise verify)");
            goto out;
        }
        if (rv.epoch == epoch && rv.z)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            char(*g)[VL_MAX_ID + 1] = realloc(ids, ncap * sizeof *g);
            if (!g) {
                rc = VL_ENOMEM;
                goto out;
            }
            ids = g;
            cap = ncap;
        }
        memcpy(ids[n], k.mv_data, k.mv_size);
        ids[n][k.mv_size] = '\0';
        n++;
    }
    if (mrc != MDB_NOTFOUND) {
        rc = vls_lmdb(mrc, err, "cursor");
        goto out;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    for (size_t i = 0; i < n; i++) {
        s_recval_t rv;
        size_t len;
        if ((rc = vls_get(self, txn, S_RECORDS, ids[i], strlen(ids[i]), &v, err)) != VL_OK)
            goto out;
        if (vls_recval_decode(&v, &rv) != VL_OK) {
            rc = vl_err(err, VL_ECORRUPT, "record %s: malformed value", ids[i]);
            goto out;
        }
        char why[VL_ERRMSG_MAX] = "";
        if ((rc = s_rec_decrypt(self, ids[i], strlen(ids[i]), &rv, &len, why)) != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                        "record %s: does not decrypt%s%s (run valise verify)", ids[i],
                        why[0] ? ": " : "", why);
            goto out;
        }
        /* rv points into the old value: copy what the new one keeps first. */
        uint64_t rev = rv.rev, seq = rv.seq;
        uint32_t op = rv.op;
        if ((rc = s_rec_write(self, txn, ids[i], rev, seq, op, self->scratch, len, epoch, key,
                              err)) != VL_OK)
            goto out;
    }
out:
    if (cur)
        mdb_cursor_close(cur);
    free(ids);
    return rc;
}

/* Decode, decrypt and parse a records value read under key id. The AEAD
 * binds the body to its id and revision under this store's key, and every
 * body was schema-checked before it was written, so reads take the cheap
 * vl_record_parse_stored; `full` (verify) re-runs the whole schema. */
int
vls_rec_open(vl_store_t *self, const char *id, size_t idlen, const MDB_val *v, bool full,
             vl_record_t **rec, uint64_t *rev, s_recval_t *rv_out, char *err)
{
    s_recval_t rv;
    size_t len;
    char why[VL_ERRMSG_MAX] = "";
    int rc;
    *rec = NULL;
    if (vls_recval_decode(v, &rv) != VL_OK)
        return vl_err(err, VL_ECORRUPT, "record %.*s: malformed value in the records table",
                      (int)idlen, id);
    if (!self->has_rest)
        return vl_err(err, VL_EPERM, "record %.*s: the store was opened without a key",
                      (int)idlen, id);
    rc = s_rec_decrypt(self, id, idlen, &rv, &len, why);
    if (rc == VL_ENOMEM)
        return VL_ENOMEM;
    if (rc != VL_OK)
        return vl_err(err, VL_ECORRUPT,
                      "record %.*s: does not decrypt (altered at rest, revision changed, or "
                      "another store's key)%s%s", (int)idlen, id, why[0] ? ": " : "", why);
    why[0] = '\0';
    rc = full ? vl_record_parse(self->scratch, len, rec, why)
              : vl_record_parse_stored(self->scratch, len, rec, why);
    if (rc != VL_OK)
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "record %.*s: %s",
                      (int)idlen, id, why);
    const char *rid = vl_record_id(*rec);
    if (strlen(rid) != idlen || memcmp(rid, id, idlen) != 0) {
        vl_record_destroy(rec);
        return vl_err(err, VL_ECORRUPT, "record %.*s: body is another record", (int)idlen, id);
    }
    if (rev)
        *rev = rv.rev;
    if (rv_out)
        *rv_out = rv;
    return VL_OK;
}

/* The current record id as txn sees it: *rec NULL and *rev 0 if none. */
int
vls_rec_load(vl_store_t *self, MDB_txn *txn, const char *id, vl_record_t **rec, uint64_t *rev,
             char *err)
{
    MDB_val v;
    *rec = NULL;
    *rev = 0;
    int rc = vls_get(self, txn, S_RECORDS, id, strlen(id), &v, err);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK)
        return rc;
    return vls_rec_open(self, id, strlen(id), &v, false, rec, rev, NULL, err);
}
