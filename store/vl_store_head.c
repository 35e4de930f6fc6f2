/* SPDX-License-Identifier: MIT */
/*
 * vl_store_head - the head as meta holds it: its seq, hash, root and root
 * accumulator, and the signature watermark (meta "sigs_checked").
 *
 * Contract: vls_head_load() checks that the stored accumulator still gives
 * the stored root; vls_head_save() writes all four head values in the
 * caller's write txn. meta "sigs_checked" is never past the head; a store
 * without it verified every entry it applied, so it reads as the head.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, below it.
 */
#include "vl_store_int.h"

/* The head from meta; with want_acc also the root accumulator, which must
 * still give the stored root. */
int
vls_head_load(vl_store_t *self, MDB_txn *txn, s_head_t *h, bool want_acc, char *err)
{
    MDB_val v;
    int rc;
    if ((rc = vls_meta_get(self, txn, "head_seq", 8, &v, err)) != VL_OK)
        return rc;
    h->seq = vls_be64_get(v.mv_data);
    if ((rc = vls_meta_get(self, txn, "head_hash", VL_HASH_LEN, &v, err)) != VL_OK)
        return rc;
    memcpy(h->hash, v.mv_data, VL_HASH_LEN);
    if ((rc = vls_meta_get(self, txn, "root", VL_HASH_LEN, &v, err)) != VL_OK)
        return rc;
    memcpy(h->root, v.mv_data, VL_HASH_LEN);
    if (want_acc) {
        if ((rc = vls_meta_get(self, txn, "root_acc", VL_ROOT_ACC_LEN, &v, err)) != VL_OK)
            return rc;
        if (vl_root_load(&h->acc, v.mv_data, v.mv_size) != VL_OK)
            return vl_err(err, VL_ECORRUPT, "meta \"root_acc\" is malformed");
        /* The incremental accumulator must still be the one the root names. */
        uint8_t d[VL_HASH_LEN];
        vl_root_digest(&h->acc, d);
        if (memcmp(d, h->root, VL_HASH_LEN) != 0)
            return vl_err(err, VL_ECORRUPT,
                          "meta \"root_acc\" does not match meta \"root\" (run verify)");
    }
    return VL_OK;
}

int
vls_head_save(vl_store_t *self, MDB_txn *txn, const s_head_t *h, char *err)
{
    uint8_t seq[8], acc[VL_ROOT_ACC_LEN];
    int rc;
    vls_be64_put(seq, h->seq);
    vl_root_save(&h->acc, acc);
    if ((rc = vls_meta_put(self, txn, "head_seq", seq, sizeof seq, err)) != VL_OK ||
        (rc = vls_meta_put(self, txn, "head_hash", h->hash, VL_HASH_LEN, err)) != VL_OK ||
        (rc = vls_meta_put(self, txn, "root_acc", acc, sizeof acc, err)) != VL_OK ||
        (rc = vls_meta_put(self, txn, "root", h->root, VL_HASH_LEN, err)) != VL_OK)
        return rc;
    return VL_OK;
}

/* meta "sigs_checked": every entry with seq <= it has had its signatures
 * verified (docs/store.md §2.1). Absent in stores made before it existed,
 * which verified every entry they applied: then it is the head. */
int
vls_sigs_load(vl_store_t *self, MDB_txn *txn, uint64_t head, uint64_t *out, char *err)
{
    MDB_val v;
    *out = 0;
    int rc = vls_get(self, txn, S_META, "sigs_checked", 12, &v, err);
    if (rc == VL_ENOTFOUND) {
        *out = head;
        return VL_OK;
    }
    if (rc != VL_OK)
        return rc;
    if (v.mv_size != 8)
        return vl_err(err, VL_ECORRUPT, "meta \"sigs_checked\" is %zu bytes, want 8",
                      v.mv_size);
    uint64_t sc = vls_be64_get(v.mv_data);
    if (sc > head)
        return vl_err(err, VL_ECORRUPT,
                      "meta \"sigs_checked\" (%llu) is past the head (%llu) (run verify)",
                      (unsigned long long)sc, (unsigned long long)head);
    *out = sc;
    return VL_OK;
}

int
vls_sigs_save(vl_store_t *self, MDB_txn *txn, uint64_t sc, char *err)
{
    uint8_t b[8];
    vls_be64_put(b, sc);
    return vls_meta_put(self, txn, "sigs_checked", b, sizeof b, err);
}

int
vl_store_head(vl_store_t *self, vl_head_t *head)
{
    assert(self && head);
    MDB_txn *txn = NULL;
    s_head_t h;
    MDB_stat st;
    memset(head, 0, sizeof *head);
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_head_load(self, txn, &h, false, NULL)) != VL_OK)
        goto out;
    head->seq = h.seq;
    memcpy(head->hash, h.hash, VL_HASH_LEN);
    memcpy(head->root, h.root, VL_HASH_LEN);
    if (mdb_stat(txn, self->dbi[S_RECORDS], &st) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    head->records = st.ms_entries;
    if (mdb_stat(txn, self->dbi[S_PENDING], &st) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    head->pending = st.ms_entries;
    rc = VL_OK;
out:
    vls_read_end(self, &txn);
    return rc;
}
