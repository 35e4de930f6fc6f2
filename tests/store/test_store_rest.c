/* SPDX-License-Identifier: MIT */
/*
 * test_store_rest - the upgrade of records at rest from store format 3
 * (bodies sealed as they are, value version 2) to format 4 (one zstd frame
 * sealed, value version 3): contract in test_store_rest.h. Reads and writes
 * the private layout (vl_store_int.h) to make a format 3 store.
 */
#include "test_store_rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "vl_check.h"
#include "vl_compress.h"
#include "vl_store_int.h"

/* AD of a records value: tag (with its NUL) || u32be(len id) || id || u64be(rev). */
static size_t
s_ad(uint8_t *ad, const char *id, size_t idlen, uint64_t rev)
{
    memcpy(ad, S_REST_TAG, S_REST_TAG_LEN);
    vls_be32_put(ad + S_REST_TAG_LEN, (uint32_t)idlen);
    memcpy(ad + S_REST_TAG_LEN + 4, id, idlen);
    vls_be64_put(ad + S_REST_TAG_LEN + 4 + idlen, rev);
    return S_REST_TAG_LEN + 4 + idlen + 8;
}

/* Every records value's first byte, counted by version [0..3]; -1 on error. */
static int
s_versions(vl_store_t *st, size_t count[4])
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    memset(count, 0, 4 * sizeof *count);
    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
        return -1;
    int rc = mdb_cursor_open(txn, st->dbi[S_RECORDS], &cur) == 0 ? 0 : -1;
    for (int m = rc ? -1 : mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint8_t b = v.mv_size ? *(const uint8_t *)v.mv_data : 0;
        count[b < 4 ? b : 0]++;
    }
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc;
}

/* Rewrite every v3 value as the v2 value format 3 wrote, format := 3. */
static int
s_downgrade(vl_store_t *st)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    char (*ids)[VL_MAX_ID + 1] = NULL;
    size_t n = 0;
    int rc = VL_ESTORE;
    uint8_t *pt = malloc(VL_MAX_RECORD_ZFRAME), *body = NULL, *nv = NULL;
    size_t blen = 0;
    if (!pt || !(ids = calloc(4096, sizeof *ids)) || mdb_txn_begin(st->env, NULL, 0, &txn) != 0 ||
        mdb_cursor_open(txn, st->dbi[S_RECORDS], &cur) != 0)
        goto out;
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && n < 4096;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        memcpy(ids[n], k.mv_data, k.mv_size);
        ids[n++][k.mv_size] = '\0';
    }
    mdb_cursor_close(cur);
    cur = NULL;
    for (size_t i = 0; i < n; i++) {
        s_recval_t rv;
        const uint8_t *key = NULL;
        uint8_t ad[S_AD_MAX];
        size_t idlen = strlen(ids[i]);
        k = (MDB_val){ idlen, ids[i] };
        if (mdb_get(txn, st->dbi[S_RECORDS], &k, &v) != 0 || vls_recval_decode(&v, &rv) != VL_OK ||
            !rv.z || vls_rest_key(st, rv.epoch, &key, NULL) != VL_OK)
            goto out;
        size_t adlen = s_ad(ad, ids[i], idlen, rv.rev);
        if (vl_aead_decrypt(key, rv.nonce, ad, adlen, rv.ct, rv.ct_len, pt) != VL_OK ||
            vl_zstd_decompress(pt, rv.ct_len - VL_MAC_LEN, VL_MAX_RECORD, &body, &blen, NULL) !=
                VL_OK)
            goto out;
        size_t nl = S_REC_HDR2 + blen + VL_MAC_LEN;
        if (!(nv = malloc(nl)))
            goto out;
        memcpy(nv, v.mv_data, S_REC_HDR2);
        nv[0] = S_REC_V2;
        vl_random(nv + 25, VL_NONCE_LEN);
        vl_aead_encrypt(key, nv + 25, ad, adlen, body, blen, nv + S_REC_HDR2);
        if (mdb_put(txn, st->dbi[S_RECORDS], &k, &(MDB_val){ nl, nv }, 0) != 0)
            goto out;
        free(nv);
        nv = NULL;
        vl_zstd_free(&body, blen);
    }
    /* A store of format 3 was made before the stage database existed. */
    if (mdb_drop(txn, st->dbi[S_STAGE], 1) != 0)
        goto out;
    uint8_t fmt[4];
    vls_be32_put(fmt, 3);
    if (mdb_put(txn, st->dbi[S_META], &(MDB_val){ 6, (void *)"format" },
                &(MDB_val){ 4, fmt }, 0) != 0)
        goto out;
    rc = mdb_txn_commit(txn) == 0 ? VL_OK : VL_ESTORE;
    txn = NULL;
out:
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        mdb_txn_abort(txn);
    vl_zstd_free(&body, blen);
    free(nv);
    free(pt);
    free(ids);
    return rc;
}

static void
s_report(void *ctx, const char *line)
{
    if (*(const bool *)ctx)
        fprintf(stderr, "verify: %s\n", line);
}

/* Write meta "format" = fmt, raw (st opened read-write); below format 4 also
 * remove the stage database, which a store of that format never had (a
 * read-write open of this build made it again). */
static int
s_setfmt(vl_store_t *st, uint32_t fmt)
{
    MDB_txn *txn = NULL;
    uint8_t b[4];
    vls_be32_put(b, fmt);
    if (mdb_txn_begin(st->env, NULL, 0, &txn) != 0)
        return VL_ESTORE;
    if ((fmt < 4 && mdb_drop(txn, st->dbi[S_STAGE], 1) != 0) ||
        mdb_put(txn, st->dbi[S_META], &(MDB_val){ 6, (void *)"format" }, &(MDB_val){ 4, b },
                0) != 0) {
        mdb_txn_abort(txn);
        return VL_ESTORE;
    }
    return mdb_txn_commit(txn) == 0 ? VL_OK : VL_ESTORE;
}

/* Counts the problems verify reports holding ctx's text. */
typedef struct {
    const char *want;
    size_t hits;
} s_want_t;

static void
s_count(void *ctx, const char *line)
{
    s_want_t *w = ctx;
    if (strstr(line, w->want))
        w->hits++;
}

/* The body of every record, in id order, concatenated with its revision. */
static int
s_bodies(vl_store_t *st, const char *const *ids, size_t n, uint8_t **out, size_t *len)
{
    size_t cap = 0, at = 0;
    uint8_t *buf = NULL;
    for (size_t i = 0; i < n; i++) {
        vl_record_t *rec = NULL;
        uint64_t rev = 0;
        size_t bl = 0;
        if (vl_store_get(st, ids[i], &rec, &rev, NULL) != VL_OK) {
            free(buf);
            return VL_ENOTFOUND;
        }
        const uint8_t *b = vl_record_body(rec, &bl);
        if (at + bl + 8 > cap) {
            cap = 2 * (at + bl + 8);
            uint8_t *g = realloc(buf, cap);
            if (!g) {
                vl_record_destroy(&rec);
                free(buf);
                return VL_ENOMEM;
            }
            buf = g;
        }
        memcpy(buf + at, b, bl);
        vls_be64_put(buf + at + bl, rev);
        at += bl + 8;
        vl_record_destroy(&rec);
    }
    *out = buf;
    *len = at;
    return VL_OK;
}

int
vl_t_rest_upgrade(vl_store_t **st, const char *dir, const vl_keypair_t *kp, bool verbose)
{
    VL_TEST_BEGIN;
    size_t c[4], total = 0, problems = 1;
    uint8_t *before = NULL, *after = NULL;
    size_t bl = 0, al = 0;
    char err[VL_ERRMSG_MAX] = "";
    /* The record ids, from the raw table. */
    static char names[4096][VL_MAX_ID + 1];
    const char *ids[4096];
    size_t n = 0;
    {
        MDB_txn *txn = NULL;
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        VL_CHECK(mdb_txn_begin((*st)->env, NULL, MDB_RDONLY, &txn) == 0);
        VL_CHECK(txn && mdb_cursor_open(txn, (*st)->dbi[S_RECORDS], &cur) == 0);
        for (int m = cur ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : -1; m == 0 && n < 4096;
             m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            memcpy(names[n], k.mv_data, k.mv_size);
            names[n][k.mv_size] = '\0';
            ids[n] = names[n];
            n++;
        }
        if (cur)
            mdb_cursor_close(cur);
        if (txn)
            mdb_txn_abort(txn);
    }
    VL_CHECK(n >= 2);
    /* Written by this build: every value is v3. */
    VL_CHECK(s_versions(*st, c) == 0 && c[3] == n && c[1] + c[2] == 0);
    VL_CHECK_RC(s_bodies(*st, ids, n, &before, &bl), VL_OK);
    VL_CHECK_RC(s_downgrade(*st), VL_OK);
    /* Uncompressed values in a store that says format 4: verify names each
     * (this build writes none; put back from an older copy). */
    VL_CHECK_RC(s_setfmt(*st, 4), VL_OK);
    vl_store_close(st);
    VL_CHECK_RC(vl_store_open(dir, kp, VL_STORE_RDONLY, st, err), VL_OK);
    if (*st) {
        s_want_t w = { "an uncompressed value in a format 4 store", 0 };
        size_t np = 0;
        VL_CHECK_RC(vl_store_verify(*st, s_count, &w, &np), VL_ECORRUPT);
        VL_CHECK(w.hits == n && np >= n);
        vl_store_close(st);
    }
    VL_CHECK_RC(vl_store_open(dir, kp, 0, st, err), VL_OK);
    if (*st)
        VL_CHECK_RC(s_setfmt(*st, 3), VL_OK);
    vl_store_close(st);
    /* Format 3 read-only: every record reads, nothing is rewritten. */
    VL_CHECK_RC(vl_store_open(dir, kp, VL_STORE_RDONLY, st, err), VL_OK);
    if (*st) {
        VL_CHECK(s_versions(*st, c) == 0 && c[2] == n && c[3] == 0);
        VL_CHECK_RC(s_bodies(*st, ids, n, &after, &al), VL_OK);
        VL_CHECK(after && al == bl && memcmp(after, before, bl) == 0);
        free(after);
        after = NULL;
        /* Format 3: every value under the current epoch, none compressed: clean. */
        problems = 1;
        VL_CHECK_RC(vl_store_verify(*st, s_report, &verbose, &problems), VL_OK);
        VL_CHECK(problems == 0);
        /* No stage database in a format 3 store: read as empty. */
        uint64_t top = 7;
        bool ready = true;
        VL_CHECK_RC(vl_store_stage_need(*st, &top, &ready, NULL, err), VL_OK);
        VL_CHECK(top == 0 && !ready);
        vl_store_close(st);
    }
    /* Read-write: upgraded to format 4, every value v3, same records. */
    VL_CHECK_RC(vl_store_open(dir, kp, 0, st, err), VL_OK);
    if (*st) {
        VL_CHECK(s_versions(*st, c) == 0 && c[3] == n && c[2] == 0);
        VL_CHECK((*st)->fmt == VL_STORE_FORMAT);
        VL_CHECK_RC(s_bodies(*st, ids, n, &after, &al), VL_OK);
        VL_CHECK(after && al == bl && memcmp(after, before, bl) == 0);
        VL_CHECK_RC(vl_store_verify(*st, s_report, &verbose, &problems), VL_OK);
        VL_CHECK(problems == 0);
        for (int i = 0; i < 4; i++)
            total += c[i];
        if (verbose)
            fprintf(stderr, "rest upgrade: %zu records rewritten from v2 to v3\n", total);
    }
    free(before);
    free(after);
    return vl_test_fails__;
}
