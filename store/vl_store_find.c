/* SPDX-License-Identifier: MIT */
/*
 * vl_store_find - reading current records: the index (its keys and their
 * upkeep when a record changes), vl_store_get and vl_store_find with its
 * parsed-record cache.
 *
 * Invariants: the index holds exactly one empty-valued key "term NUL id" per
 * term of each current record (vl_record_terms). The find cache holds a
 * parsed record only while the stored value keeps the revision and nonce it
 * was parsed from; only the outermost find uses it.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c and
 * vl_store_rest.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

/* term NUL id into key; 0 if the term is unusable. */
size_t
vls_idx_key(uint8_t key[S_IDX_KEY_MAX], const char *term, const char *id, size_t idlen)
{
    size_t tl = strlen(term);
    if (tl == 0 || tl > S_TERM_MAX || idlen > VL_MAX_ID)
        return 0;
    memcpy(key, term, tl);
    key[tl] = 0;
    memcpy(key + tl + 1, id, idlen);
    return tl + 1 + idlen;
}

typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    const char *id;
    bool del;
    char *err;
} s_termop_t;

static int
s_term_cb(void *ctx, const char *term)
{
    s_termop_t *t = ctx;
    uint8_t key[S_IDX_KEY_MAX];
    size_t klen = vls_idx_key(key, term, t->id, strlen(t->id));
    if (klen == 0)
        return vl_err(t->err, VL_EPROTO, "record %s: an index term is too long", t->id);
    if (t->del)
        return vls_del(t->self, t->txn, S_INDEX, key, klen, t->err);
    return vls_put(t->self, t->txn, S_INDEX, key, klen, NULL, 0, 0, t->err);
}

int
vls_index_update(vl_store_t *self, MDB_txn *txn, const vl_record_t *rec, bool del, char *err)
{
    s_termop_t t = { self, txn, vl_record_id(rec), del, err };
    return vl_record_terms(rec, s_term_cb, &t);
}

int
vl_store_get(vl_store_t *self, const char *id, vl_record_t **rec, uint64_t *rev, char *err)
{
    assert(self && id && rec && rev);
    *rec = NULL;
    *rev = 0;
    if (!vl_record_id_valid(id, strlen(id)))
        return vl_err(err, VL_EINVAL, "not a record id");
    MDB_txn *txn = NULL;
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    rc = vls_rec_load(self, txn, id, rec, rev, err);
    vls_read_end(self, &txn);
    return rc;
}

int
vl_store_get_origin(vl_store_t *self, const char *id, vl_record_t **rec, vl_rec_origin_t *o,
                    char *err)
{
    assert(self && id && rec && o);
    *rec = NULL;
    memset(o, 0, sizeof *o);
    if (!vl_record_id_valid(id, strlen(id)))
        return vl_err(err, VL_EINVAL, "not a record id");
    MDB_txn *txn = NULL;
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    MDB_val v;
    s_recval_t rv;
    rc = vls_get(self, txn, S_RECORDS, id, strlen(id), &v, err);
    if (rc == VL_ENOTFOUND)
        rc = VL_OK;
    else if (rc == VL_OK &&
             (rc = vls_rec_open(self, id, strlen(id), &v, false, rec, NULL, &rv, err)) == VL_OK) {
        o->rev = rv.rev;
        o->seq = rv.seq;
        o->op = rv.op;
    }
    vls_read_end(self, &txn);
    return rc;
}

/* Query term "<prefix><value>" into out; VL_EINVAL if value is unusable. */
static int
s_query_term(char out[S_TERM_MAX + 1], const char *prefix, const char *val)
{
    size_t n = strlen(val);
    if (n == 0 || n + strlen(prefix) > S_TERM_MAX)
        return VL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)val[i] < 0x21 || val[i] == 0x7f)
            return VL_EINVAL;
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    memcpy(out + pl, val, n + 1);
    return VL_OK;
}

typedef struct {
    int (*cb)(void *ctx, const vl_record_t *rec, uint64_t rev);
    void *ctx;
    const char *text;
    size_t limit, found;
} s_find_t;

/* Open the record stored under (id, v), filter on text, hand it to cb.
 * Returns VL_OK to go on, S_STOP at the limit, or cb's/an error value. */
static int
s_find_emit(vl_store_t *self, s_find_t *f, const char *id, size_t idlen, const MDB_val *v)
{
    vl_record_t *rec = NULL;
    uint64_t rev = 0;
    s_cached_t *slot = NULL;
    s_recval_t rv;
    int rc;
    /* Parsing a body costs ~10-30 us, decrypting ~1 us: reuse what an earlier
     * find parsed if the stored value is still the one it came from. */
    if (self->find_depth == 1 && vls_recval_decode(v, &rv) == VL_OK) {
        if (!self->cache)
            self->cache = calloc(S_CACHE_SLOTS, sizeof *self->cache);
        if (self->cache) {
            slot = &self->cache[vls_fnv(id) & (S_CACHE_SLOTS - 1)];
            if (slot->rec && slot->rev == rv.rev && strcmp(slot->id, id) == 0 &&
                memcmp(slot->nonce, rv.nonce, VL_NONCE_LEN) == 0) {
                rec = slot->rec;
                rev = slot->rev;
            }
        }
    }
    if (!rec) {
        if ((rc = vls_rec_open(self, id, idlen, v, false, &rec, &rev, NULL, NULL)) != VL_OK)
            return rc;
        if (slot) {
            vl_record_destroy(&slot->rec);
            memcpy(slot->id, id, idlen + 1);
            slot->rev = rev;
            memcpy(slot->nonce, rv.nonce, VL_NONCE_LEN);
            slot->rec = rec;
        }
    }
    rc = VL_OK;
    if (!f->text || vl_record_match_text(rec, f->text)) {
        rc = f->cb(f->ctx, rec, rev);
        f->found++;
        if (rc == 0 && f->limit && f->found >= f->limit)
            rc = S_STOP;
    }
    if (!slot)
        vl_record_destroy(&rec);
    return rc;
}

/* One find's walk: the records table (no term), or the index under terms[0]
 * with point checks of the other terms. */
typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    s_find_t *f;
    char (*terms)[S_TERM_MAX + 1];
    size_t nt, tl;           /* number of terms, length of terms[0] */
} s_find_scan_t;

static int
s_find_records_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_find_scan_t *s = ctx;
    char id[VL_MAX_ID + 1];
    if (!vl_record_id_valid(k->mv_data, k->mv_size))
        return VL_ECORRUPT;
    memcpy(id, k->mv_data, k->mv_size);
    id[k->mv_size] = '\0';
    return s_find_emit(s->self, s->f, id, k->mv_size, v);
}

static int
s_find_index_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_find_scan_t *s = ctx;
    char id[VL_MAX_ID + 1];
    size_t tl = s->tl;
    int rc;
    if (k->mv_size < tl + 1 || memcmp(k->mv_data, s->terms[0], tl + 1) != 0)
        return S_STOP; /* past the driver term */
    size_t idlen = k->mv_size - tl - 1;
    const char *kid = (const char *)k->mv_data + tl + 1;
    if (!vl_record_id_valid(kid, idlen))
        return VL_ECORRUPT;
    memcpy(id, kid, idlen);
    id[idlen] = '\0';
    for (size_t t = 1; t < s->nt; t++) {
        uint8_t fk[S_IDX_KEY_MAX];
        MDB_val fv;
        size_t fl = vls_idx_key(fk, s->terms[t], id, idlen);
        rc = vls_get(s->self, s->txn, S_INDEX, fk, fl, &fv, NULL);
        if (rc == VL_ENOTFOUND)
            return VL_OK;
        if (rc != VL_OK)
            return rc;
    }
    MDB_val rv;
    rc = vls_get(s->self, s->txn, S_RECORDS, id, idlen, &rv, NULL);
    if (rc == VL_ENOTFOUND)
        rc = VL_ECORRUPT; /* the index names a record that is not there */
    if (rc != VL_OK)
        return rc;
    return s_find_emit(s->self, s->f, id, idlen, &rv);
}

int
vl_store_find(vl_store_t *self, const vl_query_t *q,
              int (*cb)(void *ctx, const vl_record_t *rec, uint64_t rev), void *ctx)
{
    assert(self && q && cb);
    /* Most selective first: the driver is scanned, the others are point checks. */
    const struct {
        const char *prefix, *val;
    } fields[] = {
        { "s:", q->state }, { "f:", q->function }, { "b:", q->legal_basis },
        { "l:", q->language }, { "k:", q->kind },
    };
    char terms[5][S_TERM_MAX + 1];
    size_t nt = 0;
    if (q->kind && vl_kind_parse(q->kind) == VL_KIND_NONE)
        return VL_EINVAL;
    if (q->state && !vl_state_valid(q->state, strlen(q->state)))
        return VL_EINVAL;
    for (size_t i = 0; i < 5; i++)
        if (fields[i].val && s_query_term(terms[nt++], fields[i].prefix, fields[i].val) != VL_OK)
            return VL_EINVAL;
    if (q->text && strlen(q->text) > VL_MAX_STR)
        return VL_EINVAL;

    s_find_t f = { cb, ctx, q->text, q->limit, 0 };
    MDB_txn *txn = NULL;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    self->find_depth++;
    s_find_scan_t s = { self, txn, &f, terms, nt, 0 };
    if (nt == 0) {
        rc = vls_scan(self, txn, S_RECORDS, NULL, 0, s_find_records_cb, &s);
    } else {
        /* The driver's keys start with "term NUL". */
        s.tl = strlen(terms[0]);
        rc = vls_scan(self, txn, S_INDEX, terms[0], s.tl + 1, s_find_index_cb, &s);
    }
    if (rc == S_STOP)
        rc = VL_OK; /* stopped at the limit, or past the driver term */
    self->find_depth--;
    vls_read_end(self, &txn);
    return rc;
}
