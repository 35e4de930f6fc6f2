/* SPDX-License-Identifier: MIT */
/*
 * vl_store - the node's signed replica in LMDB (docs/store.md has every
 * database, key and value byte by byte).
 *
 * Invariants:
 *  - The log is the truth. Every other table (records, index, meta head and
 *    accumulator, settled, pending, candidates) is derived from it plus the
 *    pending work, and vl_store_verify() recomputes it from the log.
 *  - Every mutation is one write transaction run by s_write(): on
 *    MDB_MAP_FULL it aborts, doubles the map and reruns the whole callback,
 *    so a callback must only write through its txn and its outputs.
 *  - One function, s_apply(), applies a log entry, whoever brought it
 *    (approve, append, append_batch, append_chain); it checks everything
 *    before the txn may commit, and any error aborts the txn: nothing
 *    changes. append_chain alone skips the signatures of all but the last
 *    entry of its batch; meta "sigs_checked" is the watermark below which
 *    every signature was verified, and check_sigs() moves it up.
 *  - Bytes read from LMDB are hostile: values are length-checked, record
 *    bodies are AEAD-opened and schema-checked, entries and proposals go
 *    through the protocol decoders. A bad value is VL_ECORRUPT, never a crash.
 *
 * Thread safety: one thread at a time per vl_store_t (MDB_NOTLS, so read
 * transactions are not tied to threads). Callbacks of the *_each / find
 * functions run inside a read transaction: they may call read functions of
 * the same store, but must not close it.
 */
#include "vl_store.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "vl_check.h"
#include "vl_codec.h"
#include "vl_fields.h"
#include "vl_fresh.h"
#include "vl_limits.h"
#include "vl_root.h"
#include "vl_testnet.h"

/* ---- layout constants (docs/store.md) -------------------------------------- */

enum {
    S_META, S_LOG, S_PENDING, S_CANDIDATES, S_SETTLED, S_REJECTIONS, S_RECORDS, S_INDEX,
    S_PEERS, S_EVIDENCE, S_POLICIES, S_NDBS
};
static const char *const s_db_name[S_NDBS] = {
    "meta", "log", "pending", "candidates", "settled", "rejections", "records", "index",
    "peers", "evidence", "policies"
};

#define S_FORMAT       1u          /* meta "format" */
#define S_SALT_LEN     16u         /* meta "salt" */
#define S_REC_VERSION  1u          /* first byte of a records value */
/* records value: version u8 | rev u64be | seq u64be | op u32be | nonce[24] | AEAD */
#define S_REC_HDR      (1u + 8u + 8u + 4u + VL_NONCE_LEN)
#define S_REST_TAG     "valise/rest/1"
#define S_REST_TAG_LEN (sizeof S_REST_TAG) /* with its NUL */
#define S_AD_MAX       (S_REST_TAG_LEN + 4u + VL_MAX_ID + 8u)
/* index key: term NUL id; vl_record_terms promises terms of at most 80 bytes. */
#define S_TERM_MAX     95u
#define S_IDX_KEY_MAX  (S_TERM_MAX + 1u + VL_MAX_ID)
#define S_MAXDBS       16u
#define S_MAXREADERS   126u

/* Internal: an LMDB put hit MDB_MAP_FULL. s_write() grows the map and reruns
 * the transaction; this value never leaves the module. */
#define S_MAP_FULL     (-1000)
/* Internal: a find reached its limit. */
#define S_STOP         (-1001)

_Static_assert(S_IDX_KEY_MAX <= 511, "index keys must fit LMDB's key limit");

/* A content key of one epoch, unsealed once and cached. */
typedef struct {
    uint32_t epoch;
    uint8_t *key; /* VL_KEY_LEN bytes, vl_secure_alloc'd */
} s_ckey_t;

/* A parsed current record kept by find. Valid while the records value
 * still has the same revision and nonce: every write draws a fresh random
 * nonce, so a change by any process (or writer) misses the cache. */
typedef struct {
    char id[VL_MAX_ID + 1];
    uint64_t rev;
    uint8_t nonce[VL_NONCE_LEN];
    vl_record_t *rec;         /* NULL = empty slot */
} s_cached_t;

/* Direct-mapped: bounded memory, no eviction policy to get wrong. */
#define S_CACHE_SLOTS 4096u
/* At-rest nonces drawn from the CSPRNG in bulk: one getrandom per 64 records
 * instead of one per record (~0.5 us each when syncing a log). */
#define S_NONCE_POOL  64u

/* Structure of our class */
struct vl_store {
    MDB_env *env;               /* the LMDB environment (one per directory) */
    MDB_dbi dbi[S_NDBS];        /* named databases, opened once at open */
    bool rdonly;                /* opened with VL_STORE_RDONLY */
    bool dbs_open;              /* dbi[] are valid */
    unsigned nread;             /* read txns open now (the map may not grow meanwhile) */
    const vl_keypair_t *kp;     /* member key (borrowed) */
    vl_policy_t *pol;           /* the current policy version (= pols[npols - 1]) */
    vl_policy_t **pols;         /* every version, pols[v - 1] is version v */
    size_t npols;
    uint8_t salt[S_SALT_LEN];   /* store salt for the at-rest key */
    s_ckey_t *ckeys;            /* content keys unsealed so far */
    size_t nckeys;
    uint8_t *rest_key;          /* at-rest key (current epoch), vl_secure_alloc'd */
    uint8_t *scratch;           /* VL_MAX_RECORD plaintext buffer, vl_secure_alloc'd */
    s_cached_t *cache;          /* find's parsed-record cache, S_CACHE_SLOTS (lazy) */
    unsigned find_depth;        /* nested vl_store_find calls (only depth 1 caches) */
    uint8_t nonces[S_NONCE_POOL * VL_NONCE_LEN]; /* random nonces not used yet */
    size_t nonces_left;         /* how many of them, taken from the end */
};

/* The head as one write transaction sees it (kept consistent in-txn while a
 * batch advances it). */
typedef struct {
    uint64_t seq;
    uint8_t hash[VL_HASH_LEN];
    uint8_t root[VL_HASH_LEN];
    vl_root_t acc;
} s_head_t;

/* ======================================================================== */
/* Small helpers                                                            */
/* ======================================================================== */

static void
s_be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
s_be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void
s_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
s_be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* FNV-1a of an id (the verify map and the find cache). */
static uint64_t
s_fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* First 8 bytes of an id or hash as 16 hex digits, for messages. */
static void
s_short(const uint8_t *h, char out[2 * VL_KID_LEN + 1])
{
    vl_hex(h, VL_KID_LEN, out);
}

static int
s_lmdb(int mrc, char *err, const char *what)
{
    if (mrc == MDB_MAP_FULL)
        return S_MAP_FULL;
    if (mrc == MDB_CORRUPTED || mrc == MDB_INVALID || mrc == MDB_PAGE_NOTFOUND)
        return vl_err(err, VL_ECORRUPT, "LMDB %s: %s", what, mdb_strerror(mrc));
    return vl_err(err, VL_ESTORE, "LMDB %s: %s", what, mdb_strerror(mrc));
}

static MDB_val
s_val(const void *p, size_t len)
{
    MDB_val v;
    v.mv_size = len;
    v.mv_data = (void *)p;
    return v;
}

/* Point read. VL_OK, VL_ENOTFOUND (no message) or VL_ESTORE. */
static int
s_get(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, MDB_val *out,
      char *err)
{
    MDB_val k = s_val(key, klen);
    int mrc = mdb_get(txn, self->dbi[db], &k, out);
    if (mrc == MDB_NOTFOUND)
        return VL_ENOTFOUND;
    if (mrc != 0)
        return s_lmdb(mrc, err, "get");
    return VL_OK;
}

/* VL_OK, VL_EEXIST (MDB_KEYEXIST under NOOVERWRITE/APPEND), S_MAP_FULL, VL_ESTORE. */
static int
s_put(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, const void *val,
      size_t vlen, unsigned flags, char *err)
{
    MDB_val k = s_val(key, klen), v = s_val(vlen ? val : "", vlen);
    int mrc = mdb_put(txn, self->dbi[db], &k, &v, flags);
    if (mrc == MDB_KEYEXIST)
        return VL_EEXIST;
    if (mrc != 0)
        return s_lmdb(mrc, err, "put");
    return VL_OK;
}

/* Delete; a missing key is fine. */
static int
s_del(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, char *err)
{
    MDB_val k = s_val(key, klen);
    int mrc = mdb_del(txn, self->dbi[db], &k, NULL);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return s_lmdb(mrc, err, "delete");
    return VL_OK;
}

static int
s_meta_put(vl_store_t *self, MDB_txn *txn, const char *name, const void *val, size_t len,
           char *err)
{
    return s_put(self, txn, S_META, name, strlen(name), val, len, 0, err);
}

/* A meta value of exactly len bytes (len 0: any length, borrowed in *out). */
static int
s_meta_get(vl_store_t *self, MDB_txn *txn, const char *name, size_t len, MDB_val *out,
           char *err)
{
    int rc = s_get(self, txn, S_META, name, strlen(name), out, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" is missing", name);
    if (rc != VL_OK)
        return rc;
    if (len && out->mv_size != len)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" is %zu bytes, want %zu", name,
                      out->mv_size, len);
    return VL_OK;
}

/* ======================================================================== */
/* Transactions and map growth                                              */
/* ======================================================================== */

static uint64_t
s_map_initial(void)
{
    const char *s = getenv("VL_STORE_MAP_INITIAL");
    if (s && *s) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == 0 && end && *end == '\0' && v >= 65536 && v <= VL_STORE_MAP_MAX)
            return (v + 4095) & ~4095ull;
    }
    return VL_STORE_MAP_INITIAL;
}

/* ======================================================================== */
/* The policy chain in memory (docs/trust.md §1)                             */
/* ======================================================================== */

/* Append a verified version (takes ownership; *pol set to NULL). */
static int
s_pols_push(vl_store_t *self, vl_policy_t **pol)
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
static int
s_pols_sync(vl_store_t *self, MDB_txn *txn, char *err)
{
    MDB_stat st;
    char why[VL_ERRMSG_MAX];
    int mrc = mdb_stat(txn, self->dbi[S_POLICIES], &st);
    if (mrc != 0)
        return s_lmdb(mrc, err, "policies stat");
    while (self->npols < st.ms_entries + 1) {
        uint8_t key[8];
        MDB_val k, v;
        uint64_t ver = self->npols + 1;
        if (ver > VL_MAX_VERSIONS)
            return vl_err(err, VL_ECORRUPT, "policies: more than %u versions", VL_MAX_VERSIONS);
        s_be64_put(key, ver);
        k = s_val(key, sizeof key);
        mrc = mdb_get(txn, self->dbi[S_POLICIES], &k, &v);
        if (mrc == MDB_NOTFOUND)
            return vl_err(err, VL_ECORRUPT, "policies: version %llu is missing",
                          (unsigned long long)ver);
        if (mrc != 0)
            return s_lmdb(mrc, err, "policies get");
        vl_policy_t *next = NULL;
        why[0] = '\0';
        int rc = vl_policy_parse_next(self->pol, v.mv_data, v.mv_size, 0, &next, why);
        if (rc != VL_OK)
            return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                          "policies: version %llu: %s", (unsigned long long)ver, why);
        if ((rc = s_pols_push(self, &next)) != VL_OK)
            return rc;
    }
    return VL_OK;
}

/* The version in force at seq (docs/trust.md §1.2). */
static const vl_policy_t *
s_pol_for(const vl_store_t *self, uint64_t seq)
{
    for (size_t i = self->npols; i-- > 1;)
        if (vl_policy_from(self->pols[i]) <= seq)
            return self->pols[i];
    return self->pols[0];
}

static const vl_policy_t *
s_genesis(const vl_store_t *self)
{
    return self->pols[0];
}

static int
s_txn_begin(vl_store_t *self, bool rdonly, MDB_txn **txn, char *err)
{
    *txn = NULL;
    for (int tries = 0;; tries++) {
        int mrc = mdb_txn_begin(self->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
        if (mrc == MDB_MAP_RESIZED && tries < 8 && self->nread == 0) {
            /* Another process grew the map: adopt its size (no txn of ours is open). */
            if ((mrc = mdb_env_set_mapsize(self->env, 0)) == 0)
                continue;
        }
        if (mrc != 0) {
            *txn = NULL;
            return s_lmdb(mrc, err, "begin transaction");
        }
        if (rdonly)
            self->nread++;
        /* Another process may have adopted a policy version. */
        if (self->npols > 0 && self->dbs_open) {
            int rc = s_pols_sync(self, *txn, err);
            if (rc != VL_OK) {
                mdb_txn_abort(*txn);
                *txn = NULL;
                if (rdonly)
                    self->nread--;
                return rc;
            }
        }
        return VL_OK;
    }
}

static void
s_read_end(vl_store_t *self, MDB_txn **txn)
{
    if (*txn) {
        mdb_txn_abort(*txn);
        *txn = NULL;
        assert(self->nread > 0);
        self->nread--;
    }
}

static int
s_grow(vl_store_t *self, char *err)
{
    MDB_envinfo info;
    if (self->nread > 0)
        return vl_err(err, VL_ESTORE, "store map is full and a read is still open; retry");
    int mrc = mdb_env_info(self->env, &info);
    if (mrc != 0)
        return s_lmdb(mrc, err, "env info");
    uint64_t cur = info.me_mapsize;
    if (cur >= VL_STORE_MAP_MAX)
        return vl_err(err, VL_ESTORE, "store map is full at its maximum size (%llu bytes)",
                      (unsigned long long)VL_STORE_MAP_MAX);
    uint64_t next = cur * 2 > VL_STORE_MAP_MAX ? VL_STORE_MAP_MAX : cur * 2;
    if (next > SIZE_MAX)
        return vl_err(err, VL_ESTORE, "store map cannot grow past the address space");
    if ((mrc = mdb_env_set_mapsize(self->env, (size_t)next)) != 0)
        return s_lmdb(mrc, err, "grow map");
    return VL_OK;
}

typedef int (*s_txn_fn)(vl_store_t *self, MDB_txn *txn, void *ctx, char *err);

/* Run fn in a write transaction; commit on VL_OK, abort otherwise. On
 * MDB_MAP_FULL (in fn or at commit) abort, double the map, rerun fn from
 * scratch. */
static int
s_write(vl_store_t *self, s_txn_fn fn, void *ctx, char *err)
{
    if (self->rdonly)
        return vl_err(err, VL_EINVAL, "the store is open read-only");
    for (;;) {
        MDB_txn *txn = NULL;
        if (err)
            err[0] = '\0';
        int rc = s_txn_begin(self, false, &txn, err);
        if (rc != VL_OK)
            return rc == S_MAP_FULL ? vl_err(err, VL_ESTORE, "LMDB: map full") : rc;
        rc = fn(self, txn, ctx, err);
        if (rc == VL_OK) {
            int mrc = mdb_txn_commit(txn);
            rc = mrc ? s_lmdb(mrc, err, "commit") : VL_OK;
        } else {
            mdb_txn_abort(txn);
        }
        if (rc != S_MAP_FULL)
            return rc;
        if ((rc = s_grow(self, err)) != VL_OK)
            return rc;
    }
}

/* ======================================================================== */
/* Keys                                                                     */
/* ======================================================================== */

/* The content key of an epoch, unsealed on first use and cached. */
static int
s_ckey(vl_store_t *self, uint32_t epoch, const uint8_t **key, char *err)
{
    for (size_t i = 0; i < self->nckeys; i++)
        if (self->ckeys[i].epoch == epoch) {
            *key = self->ckeys[i].key;
            return VL_OK;
        }
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

/* ======================================================================== */
/* Records at rest                                                          */
/* ======================================================================== */

typedef struct {
    uint64_t rev, seq;
    uint32_t op;
    const uint8_t *nonce;
    const uint8_t *ct;
    size_t ct_len;
} s_recval_t;

static int
s_recval_decode(const MDB_val *v, s_recval_t *rv)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < S_REC_HDR + VL_MAC_LEN + 1 ||
        v->mv_size - S_REC_HDR - VL_MAC_LEN > VL_MAX_RECORD || p[0] != S_REC_VERSION)
        return VL_ECORRUPT;
    rv->rev = s_be64_get(p + 1);
    rv->seq = s_be64_get(p + 9);
    rv->op = s_be32_get(p + 17);
    rv->nonce = p + 21;
    rv->ct = p + S_REC_HDR;
    rv->ct_len = v->mv_size - S_REC_HDR;
    if (rv->rev == 0 || rv->seq == 0)
        return VL_ECORRUPT;
    return VL_OK;
}

static size_t
s_rest_ad(uint8_t ad[S_AD_MAX], const char *id, size_t idlen, uint64_t rev)
{
    memcpy(ad, S_REST_TAG, S_REST_TAG_LEN);
    s_be32_put(ad + S_REST_TAG_LEN, (uint32_t)idlen);
    memcpy(ad + S_REST_TAG_LEN + 4, id, idlen);
    s_be64_put(ad + S_REST_TAG_LEN + 4 + idlen, rev);
    return S_REST_TAG_LEN + 4 + idlen + 8;
}

/* Decrypt a records value into self->scratch. VL_OK or VL_EAUTH. */
static int
s_rec_decrypt(vl_store_t *self, const char *id, size_t idlen, const s_recval_t *rv,
              size_t *len)
{
    uint8_t ad[S_AD_MAX];
    size_t adlen = s_rest_ad(ad, id, idlen, rv->rev);
    *len = rv->ct_len - VL_MAC_LEN;
    return vl_aead_decrypt(self->rest_key, rv->nonce, ad, adlen, rv->ct, rv->ct_len,
                           self->scratch);
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

/* Write the records value of id (fresh random nonce), in place via MDB_RESERVE. */
static int
s_rec_put(vl_store_t *self, MDB_txn *txn, const char *id, uint64_t rev, uint64_t seq,
          uint32_t op, const uint8_t *body, size_t blen, char *err)
{
    size_t idlen = strlen(id);
    MDB_val k = s_val(id, idlen), v = s_val(NULL, S_REC_HDR + blen + VL_MAC_LEN);
    int mrc = mdb_put(txn, self->dbi[S_RECORDS], &k, &v, MDB_RESERVE);
    if (mrc != 0)
        return s_lmdb(mrc, err, "put record");
    uint8_t *p = v.mv_data, ad[S_AD_MAX];
    p[0] = S_REC_VERSION;
    s_be64_put(p + 1, rev);
    s_be64_put(p + 9, seq);
    s_be32_put(p + 17, op);
    s_nonce(self, p + 21);
    size_t adlen = s_rest_ad(ad, id, idlen, rev);
    vl_aead_encrypt(self->rest_key, p + 21, ad, adlen, body, blen, p + S_REC_HDR);
    return VL_OK;
}

/* Decode, decrypt and parse a records value read under key id. The AEAD
 * binds the body to its id and revision under this store's key, and every
 * body was schema-checked before it was written, so reads take the cheap
 * vl_record_parse_stored; `full` (verify) re-runs the whole schema. */
static int
s_rec_open(vl_store_t *self, const char *id, size_t idlen, const MDB_val *v, bool full,
           vl_record_t **rec, uint64_t *rev, s_recval_t *rv_out, char *err)
{
    s_recval_t rv;
    size_t len;
    char why[VL_ERRMSG_MAX] = "";
    *rec = NULL;
    if (s_recval_decode(v, &rv) != VL_OK)
        return vl_err(err, VL_ECORRUPT, "record %.*s: malformed value in the records table",
                      (int)idlen, id);
    if (s_rec_decrypt(self, id, idlen, &rv, &len) != VL_OK)
        return vl_err(err, VL_ECORRUPT,
                      "record %.*s: does not decrypt (altered at rest, revision changed, or "
                      "another store's key)", (int)idlen, id);
    int rc = full ? vl_record_parse(self->scratch, len, rec, why)
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
static int
s_rec_load(vl_store_t *self, MDB_txn *txn, const char *id, vl_record_t **rec, uint64_t *rev,
           char *err)
{
    MDB_val v;
    *rec = NULL;
    *rev = 0;
    int rc = s_get(self, txn, S_RECORDS, id, strlen(id), &v, err);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK)
        return rc;
    return s_rec_open(self, id, strlen(id), &v, false, rec, rev, NULL, err);
}

/* ======================================================================== */
/* Index                                                                    */
/* ======================================================================== */

/* term NUL id into key; 0 if the term is unusable. */
static size_t
s_idx_key(uint8_t key[S_IDX_KEY_MAX], const char *term, const char *id, size_t idlen)
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
    size_t klen = s_idx_key(key, term, t->id, strlen(t->id));
    if (klen == 0)
        return vl_err(t->err, VL_EPROTO, "record %s: an index term is too long", t->id);
    if (t->del)
        return s_del(t->self, t->txn, S_INDEX, key, klen, t->err);
    return s_put(t->self, t->txn, S_INDEX, key, klen, NULL, 0, 0, t->err);
}

static int
s_index_update(vl_store_t *self, MDB_txn *txn, const vl_record_t *rec, bool del, char *err)
{
    s_termop_t t = { self, txn, vl_record_id(rec), del, err };
    return vl_record_terms(rec, s_term_cb, &t);
}

/* ======================================================================== */
/* Head                                                                     */
/* ======================================================================== */

static int
s_head_load(vl_store_t *self, MDB_txn *txn, s_head_t *h, bool want_acc, char *err)
{
    MDB_val v;
    int rc;
    if ((rc = s_meta_get(self, txn, "head_seq", 8, &v, err)) != VL_OK)
        return rc;
    h->seq = s_be64_get(v.mv_data);
    if ((rc = s_meta_get(self, txn, "head_hash", VL_HASH_LEN, &v, err)) != VL_OK)
        return rc;
    memcpy(h->hash, v.mv_data, VL_HASH_LEN);
    if ((rc = s_meta_get(self, txn, "root", VL_HASH_LEN, &v, err)) != VL_OK)
        return rc;
    memcpy(h->root, v.mv_data, VL_HASH_LEN);
    if (want_acc) {
        if ((rc = s_meta_get(self, txn, "root_acc", VL_ROOT_ACC_LEN, &v, err)) != VL_OK)
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

static int
s_head_save(vl_store_t *self, MDB_txn *txn, const s_head_t *h, char *err)
{
    uint8_t seq[8], acc[VL_ROOT_ACC_LEN];
    int rc;
    s_be64_put(seq, h->seq);
    vl_root_save(&h->acc, acc);
    if ((rc = s_meta_put(self, txn, "head_seq", seq, sizeof seq, err)) != VL_OK ||
        (rc = s_meta_put(self, txn, "head_hash", h->hash, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_meta_put(self, txn, "root_acc", acc, sizeof acc, err)) != VL_OK ||
        (rc = s_meta_put(self, txn, "root", h->root, VL_HASH_LEN, err)) != VL_OK)
        return rc;
    return VL_OK;
}

/* meta "sigs_checked": every entry with seq <= it has had its signatures
 * verified (docs/store.md §2.1). Absent in stores made before it existed,
 * which verified every entry they applied: then it is the head. */
static int
s_sigs_load(vl_store_t *self, MDB_txn *txn, uint64_t head, uint64_t *out, char *err)
{
    MDB_val v;
    *out = 0;
    int rc = s_get(self, txn, S_META, "sigs_checked", 12, &v, err);
    if (rc == VL_ENOTFOUND) {
        *out = head;
        return VL_OK;
    }
    if (rc != VL_OK)
        return rc;
    if (v.mv_size != 8)
        return vl_err(err, VL_ECORRUPT, "meta \"sigs_checked\" is %zu bytes, want 8",
                      v.mv_size);
    uint64_t sc = s_be64_get(v.mv_data);
    if (sc > head)
        return vl_err(err, VL_ECORRUPT,
                      "meta \"sigs_checked\" (%llu) is past the head (%llu) (run verify)",
                      (unsigned long long)sc, (unsigned long long)head);
    *out = sc;
    return VL_OK;
}

static int
s_sigs_save(vl_store_t *self, MDB_txn *txn, uint64_t sc, char *err)
{
    uint8_t b[8];
    s_be64_put(b, sc);
    return s_meta_put(self, txn, "sigs_checked", b, sizeof b, err);
}

/* ======================================================================== */
/* Constructor and destructor                                               */
/* ======================================================================== */

static int
s_dbi_txn(vl_store_t *self, MDB_txn *txn, void *ctx, char *err)
{
    for (int i = 0; i < S_NDBS; i++) {
        int mrc = mdb_dbi_open(txn, s_db_name[i], MDB_CREATE, &self->dbi[i]);
        if (mrc != 0)
            return s_lmdb(mrc, err, "open database");
    }
    return VL_OK;
}

/* Open the environment of dir and every named database. */
static int
s_env_open(vl_store_t *self, const char *dir, bool create, char *err)
{
    int mrc;
    uint64_t initial = s_map_initial();
    if ((mrc = mdb_env_create(&self->env)) != 0) {
        self->env = NULL;
        return s_lmdb(mrc, err, "create environment");
    }
    if ((mrc = mdb_env_set_maxdbs(self->env, S_MAXDBS)) != 0 ||
        (mrc = mdb_env_set_maxreaders(self->env, S_MAXREADERS)) != 0 ||
        (create && (mrc = mdb_env_set_mapsize(self->env, (size_t)initial)) != 0))
        return s_lmdb(mrc, err, "configure environment");
    if ((mrc = mdb_env_open(self->env, dir, MDB_NOTLS | (self->rdonly ? MDB_RDONLY : 0),
                            0600)) != 0) {
        int rc = s_lmdb(mrc, err, "open environment");
        mdb_env_close(self->env);
        self->env = NULL;
        return rc;
    }
    int dead = 0;
    if ((mrc = mdb_reader_check(self->env, &dead)) != 0)
        return s_lmdb(mrc, err, "reader check");
    if (!self->rdonly) {
        MDB_envinfo info;
        if ((mrc = mdb_env_info(self->env, &info)) != 0)
            return s_lmdb(mrc, err, "env info");
        if (info.me_mapsize < initial &&
            (mrc = mdb_env_set_mapsize(self->env, (size_t)initial)) != 0)
            return s_lmdb(mrc, err, "set map size");
        int rc = s_write(self, s_dbi_txn, NULL, err);
        self->dbs_open = rc == VL_OK;
        return rc;
    }
    MDB_txn *txn = NULL;
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    for (int i = 0; i < S_NDBS; i++) {
        if ((mrc = mdb_dbi_open(txn, s_db_name[i], 0, &self->dbi[i])) != 0) {
            s_read_end(self, &txn);
            if (mrc == MDB_NOTFOUND)
                return vl_err(err, VL_ECORRUPT, "the store has no \"%s\" database",
                              s_db_name[i]);
            return s_lmdb(mrc, err, "open database");
        }
    }
    /* Committing a read txn keeps the handles it opened for the env. */
    mrc = mdb_txn_commit(txn);
    txn = NULL;
    self->nread--;
    self->dbs_open = mrc == 0;
    return mrc ? s_lmdb(mrc, err, "open databases") : VL_OK;
}

static void
s_store_free(vl_store_t **self_p)
{
    vl_store_t *self = *self_p;
    if (!self)
        return;
    if (self->env)
        mdb_env_close(self->env);
    for (size_t i = 0; i < self->nckeys; i++)
        vl_secure_free(&self->ckeys[i].key);
    free(self->ckeys);
    vl_secure_free(&self->rest_key);
    vl_secure_free(&self->scratch);
    if (self->cache)
        for (size_t i = 0; i < S_CACHE_SLOTS; i++)
            vl_record_destroy(&self->cache[i].rec);
    free(self->cache);
    for (size_t i = 0; i < self->npols; i++)
        vl_policy_destroy(&self->pols[i]);
    free(self->pols);
    self->pol = NULL;
    sodium_memzero(self->salt, sizeof self->salt);
    free(self);
    *self_p = NULL;
}

static int
s_data_path(const char *dir, char *path, size_t cap, char *err)
{
    int n = snprintf(path, cap, "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= cap)
        return vl_err(err, VL_EINVAL, "store directory path is too long");
    return VL_OK;
}

typedef struct {
    const uint8_t *const *docs; /* genesis, then versions 2.. */
    const size_t *lens;
    size_t n;
} s_init_ctx_t;

static int
s_init_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_init_ctx_t *c = vctx;
    MDB_val v;
    int rc = s_get(self, txn, S_META, "format", 6, &v, err);
    if (rc == VL_OK)
        return vl_err(err, VL_EEXIST, "a store already exists there");
    if (rc != VL_ENOTFOUND)
        return rc;
    uint8_t fmt[4], salt[S_SALT_LEN];
    s_be32_put(fmt, S_FORMAT);
    vl_random(salt, sizeof salt);
    s_head_t h;
    h.seq = 0;
    memcpy(h.hash, vl_policy_hash(s_genesis(self)), VL_HASH_LEN);
    vl_root_clear(&h.acc);
    vl_root_digest(&h.acc, h.root);
    if ((rc = s_meta_put(self, txn, "format", fmt, sizeof fmt, err)) != VL_OK ||
        (rc = s_meta_put(self, txn, "genesis", c->docs[0], c->lens[0], err)) != VL_OK ||
        (rc = s_meta_put(self, txn, "salt", salt, sizeof salt, err)) != VL_OK ||
        (rc = s_head_save(self, txn, &h, err)) != VL_OK ||
        (rc = s_sigs_save(self, txn, 0, err)) != VL_OK)
        return rc;
    for (size_t i = 1; i < c->n; i++) {
        uint8_t key[8];
        s_be64_put(key, i + 1);
        if ((rc = s_put(self, txn, S_POLICIES, key, sizeof key, c->docs[i], c->lens[i], 0,
                        err)) != VL_OK)
            return rc;
    }
    return VL_OK;
}

int
vl_store_create(const char *dir, const uint8_t *genesis, size_t len, const vl_keypair_t *kp,
                char *err)
{
    assert(genesis);
    return vl_store_create_chain(dir, &genesis, &len, 1, kp, err);
}

int
vl_store_create_chain(const char *dir, const uint8_t *const *docs, const size_t *lens,
                      size_t n, const vl_keypair_t *kp, char *err)
{
    int rc;
    vl_store_t *self = NULL;
    char path[4096];
    struct stat st;
    const uint8_t *ck;
    assert(dir && docs && lens && n >= 1 && kp);

    if ((rc = s_data_path(dir, path, sizeof path, err)) != VL_OK)
        goto out;
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->kp = kp;
    if (n > VL_MAX_VERSIONS) {
        rc = vl_err(err, VL_ELIMIT, "more than %u policy versions", VL_MAX_VERSIONS);
        goto out;
    }
    vl_policy_t *gen = NULL;
    if ((rc = vl_policy_parse(docs[0], lens[0], 0, &gen, err)) != VL_OK ||
        (rc = s_pols_push(self, &gen)) != VL_OK)
        goto out;
    for (size_t i = 1; i < n; i++) {
        vl_policy_t *next = NULL;
        if ((rc = vl_policy_parse_next(self->pol, docs[i], lens[i], 0, &next, err)) != VL_OK ||
            (rc = s_pols_push(self, &next)) != VL_OK)
            goto out;
    }
    /* The key must open the newest content key (and epoch 0's, for the
     * at-rest key) before anything is written. */
    if ((rc = s_ckey(self, vl_policy_epoch(self->pol), &ck, err)) != VL_OK ||
        (rc = s_ckey(self, 0, &ck, err)) != VL_OK)
        goto out;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = vl_err(err, VL_EIO, "cannot create directory %s: %s", dir, strerror(errno));
        goto out;
    }
    if (stat(path, &st) == 0) {
        rc = vl_err(err, VL_EEXIST, "a store already exists in %s", dir);
        goto out;
    }
    if ((rc = s_env_open(self, dir, true, err)) != VL_OK)
        goto out;
    s_init_ctx_t c = { docs, lens, n };
    rc = s_write(self, s_init_txn, &c, err);
out:
    s_store_free(&self);
    return rc;
}

int
vl_store_open(const char *dir, const vl_keypair_t *kp, unsigned flags, vl_store_t **out,
              char *err)
{
    int rc;
    vl_store_t *self = NULL;
    MDB_txn *txn = NULL;
    char path[4096], why[VL_ERRMSG_MAX] = "";
    struct stat st;
    MDB_val v;
    assert(dir && kp && out);
    *out = NULL;

    if ((rc = s_data_path(dir, path, sizeof path, err)) != VL_OK)
        goto out;
    if (stat(path, &st) != 0) {
        rc = vl_err(err, VL_ENOTFOUND, "no store in %s", dir);
        goto out;
    }
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->kp = kp;
    self->rdonly = (flags & VL_STORE_RDONLY) != 0;
    if ((rc = s_env_open(self, dir, false, err)) != VL_OK)
        goto out;
    if ((rc = s_txn_begin(self, true, &txn, err)) != VL_OK)
        goto out;
    if ((rc = s_meta_get(self, txn, "format", 4, &v, err)) != VL_OK)
        goto out;
    if (s_be32_get(v.mv_data) != S_FORMAT) {
        rc = vl_err(err, VL_ECORRUPT, "store format %u is not supported (want %u)",
                    s_be32_get(v.mv_data), S_FORMAT);
        goto out;
    }
    if ((rc = s_meta_get(self, txn, "salt", S_SALT_LEN, &v, err)) != VL_OK)
        goto out;
    memcpy(self->salt, v.mv_data, S_SALT_LEN);
    if ((rc = s_meta_get(self, txn, "genesis", 0, &v, err)) != VL_OK)
        goto out;
    vl_policy_t *gen = NULL;
    if ((rc = vl_policy_parse(v.mv_data, v.mv_size, 0, &gen, why)) != VL_OK) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "meta genesis: %s", why);
        goto out;
    }
    if ((rc = s_pols_push(self, &gen)) != VL_OK ||
        (rc = s_pols_sync(self, txn, err)) != VL_OK)
        goto out;
    s_read_end(self, &txn);

    /* The key must be a member of the current version (a revoked key is
     * refused here), and the at-rest key derives from epoch 0, which every
     * version seals to all of its members (docs/trust.md §2). */
    const uint8_t *ck;
    if ((rc = s_ckey(self, vl_policy_epoch(self->pol), &ck, err)) != VL_OK ||
        (rc = s_ckey(self, 0, &ck, err)) != VL_OK)
        goto out;
    self->rest_key = vl_secure_alloc(VL_KEY_LEN);
    self->scratch = vl_secure_alloc(VL_MAX_RECORD);
    if (!self->rest_key || !self->scratch) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_hash_keyed(self->rest_key, ck, S_REST_TAG, self->salt, S_SALT_LEN);
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    if (self)
        s_read_end(self, &txn);
    s_store_free(&self);
    return rc;
}

void
vl_store_close(vl_store_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        assert((*self_p)->nread == 0);
        s_store_free(self_p);
    }
}

const vl_policy_t *
vl_store_policy(const vl_store_t *self)
{
    assert(self);
    return self->pol;
}

int
vl_store_head(vl_store_t *self, vl_head_t *head)
{
    assert(self && head);
    MDB_txn *txn = NULL;
    s_head_t h;
    MDB_stat st;
    memset(head, 0, sizeof *head);
    int rc = s_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = s_head_load(self, txn, &h, false, NULL)) != VL_OK)
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
    s_read_end(self, &txn);
    return rc;
}

/* ======================================================================== */
/* Checking a proposal against the current records                          */
/* ======================================================================== */

/* A proposal must be encrypted under the newest epoch of the version that
 * governs it (docs/trust.md §1.2): after a revocation, nothing new is
 * readable with an old content key. */
static int
s_epoch_current(const vl_policy_t *pol, const vl_proposal_t *p, char *err)
{
    if (vl_proposal_epoch(p) == vl_policy_epoch(pol))
        return VL_OK;
    char hex[2 * VL_KID_LEN + 1];
    s_short(vl_proposal_id(p), hex);
    return vl_err(err, VL_ESTALE,
                  "proposal %s was made under content-key epoch %u; policy version %llu is at "
                  "epoch %u: propose it again", hex, vl_proposal_epoch(p),
                  (unsigned long long)vl_policy_version(pol), vl_policy_epoch(pol));
}

/* The author of a proposal checked earlier (under another version) may
 * still make it under pol: a member allowed to edit every op's States. */
static int
s_author_ok(const vl_policy_t *pol, const vl_proposal_t *p, char *err)
{
    char hex[2 * VL_KID_LEN + 1];
    s_short(vl_proposal_id(p), hex);
    if (!vl_policy_roles(pol, vl_proposal_author(p)))
        return vl_err(err, VL_EPERM, "proposal %s: its author is not a member of policy "
                      "version %llu", hex, (unsigned long long)vl_policy_version(pol));
    for (size_t i = 0; i < vl_proposal_nops(p); i++)
        for (size_t j = 0; j < vl_proposal_op(p, i)->nstates; j++)
            if (!vl_policy_may_edit(pol, vl_proposal_author(p), vl_proposal_op(p, i)->states[j]))
                return vl_err(err, VL_EPERM, "proposal %s: under policy version %llu its "
                              "author may not edit State %s", hex,
                              (unsigned long long)vl_policy_version(pol),
                              vl_proposal_op(p, i)->states[j]);
    return VL_OK;
}

/* The highest seq a known policy version pins: for a version v > 1 the
 * approvers of v-1 and of v vouched for the link of entry from(v) - 1, so
 * the history up to it is decided, whatever else was signed at those seqs:
 * entries on another branch fail the pin (s_pin_check) when the log reaches
 * it, and two entries there are not evidence (docs/trust.md §5). */
static uint64_t
s_pinned_upto(const vl_store_t *self)
{
    uint64_t up = 0;
    for (size_t i = 1; i < self->npols; i++) {
        uint64_t f = vl_policy_from(self->pols[i]);
        if (f >= 1 && f - 1 > up)
            up = f - 1;
    }
    return up;
}

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
    s_be64_put(key, s_pinned_upto(self) + 1);
    k = s_val(key, sizeof key);
    int mrc = mdb_cursor_open(txn, self->dbi[S_EVIDENCE], &cur);
    if (mrc != 0)
        return s_lmdb(mrc, err, "evidence cursor");
    mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND)
        return VL_OK;
    if (mrc != 0)
        return s_lmdb(mrc, err, "evidence first");
    if (k.mv_size != 8 || s_be64_get(k.mv_data) == 0)
        return vl_err(err, VL_ECORRUPT, "evidence: malformed key");
    *seq = s_be64_get(k.mv_data);
    return VL_OK;
}

static int
s_fork_refuse(vl_store_t *self, MDB_txn *txn, uint64_t seq, char *err)
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

/* What op i replaces: the current record (NULL if none) and its revision. */
typedef struct {
    vl_record_t *old;
    uint64_t rev;
} s_cur_t;

static void
s_cur_free(s_cur_t *cur, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vl_record_destroy(&cur[i].old);
}

/* Check every op of an opened proposal against the records as txn sees them
 * (base revision, kind, the author's right over the existing record's
 * States) and, if acc is not NULL, move acc to the set after applying it.
 * cur[] (vl_proposal_nops entries, zeroed) receives the current records. */
static int
s_plan(vl_store_t *self, MDB_txn *txn, const vl_policy_t *pol, const vl_proposal_t *p,
       s_cur_t *cur, vl_root_t *acc, char *err)
{
    uint8_t leaf[VL_HASH_LEN];
    int rc;
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        if ((rc = s_rec_load(self, txn, op->id, &cur[i].old, &cur[i].rev, err)) != VL_OK)
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

/* Parse and open a proposal (bytes from a user, a peer or the store). */
static int
s_prop_open(vl_store_t *self, const uint8_t *buf, size_t len, vl_proposal_t **p, char *err)
{
    const uint8_t *ck;
    int rc = vl_proposal_parse(self->pol, buf, len, p, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_ckey(self, vl_proposal_epoch(*p), &ck, err)) != VL_OK ||
        (rc = vl_proposal_open(*p, ck, err)) != VL_OK)
        vl_proposal_destroy(p);
    return rc;
}

/* Settled state of a proposal id: 0 (not settled), 'E' (+ seq) or 'R'. */
static int
s_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], int *kind,
          uint64_t *seq, char *err)
{
    MDB_val v;
    *kind = 0;
    if (seq)
        *seq = 0;
    int rc = s_get(self, txn, S_SETTLED, id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND)
        return VL_OK;
    if (rc != VL_OK)
        return rc;
    const uint8_t *p = v.mv_data;
    if (v.mv_size == 9 && p[0] == 'E') {
        *kind = 'E';
        if (seq)
            *seq = s_be64_get(p + 1);
        return VL_OK;
    }
    if (v.mv_size == 1 && p[0] == 'R') {
        *kind = 'R';
        return VL_OK;
    }
    return vl_err(err, VL_ECORRUPT, "settled table: malformed value");
}

static int
s_not_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err)
{
    int kind;
    uint64_t seq;
    char hex[2 * VL_KID_LEN + 1];
    int rc = s_settled(self, txn, id, &kind, &seq, err);
    if (rc != VL_OK || kind == 0)
        return rc;
    s_short(id, hex);
    if (kind == 'E')
        return vl_err(err, VL_EEXIST, "proposal %s already settled (replay): applied as entry %llu",
                      hex, (unsigned long long)seq);
    if (kind == 'R')
        return vl_err(err, VL_EEXIST, "proposal %s already settled (replay): it was rejected",
                      hex);
    return VL_OK;
}

/* ======================================================================== */
/* Proposals                                                                */
/* ======================================================================== */

typedef struct {
    const vl_proposal_t *p;
} s_propose_ctx_t;

static int
s_propose_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_propose_ctx_t *c = vctx;
    const uint8_t *id = vl_proposal_id(c->p);
    MDB_val v;
    char hex[2 * VL_KID_LEN + 1];
    s_cur_t cur[VL_MAX_OPS];
    int rc;
    memset(cur, 0, sizeof cur);
    s_short(id, hex);
    if ((rc = s_not_settled(self, txn, id, err)) != VL_OK)
        goto out;
    rc = s_get(self, txn, S_PENDING, id, VL_HASH_LEN, &v, err);
    if (rc == VL_OK) {
        rc = vl_err(err, VL_EEXIST, "proposal %s is already pending", hex);
        goto out;
    }
    if (rc != VL_ENOTFOUND)
        goto out;
    /* Checked again under the version this txn sees (another process may
     * have adopted one since the proposal was parsed). */
    if ((rc = s_epoch_current(self->pol, c->p, err)) != VL_OK ||
        (rc = s_author_ok(self->pol, c->p, err)) != VL_OK ||
        (rc = s_plan(self, txn, self->pol, c->p, cur, NULL, err)) != VL_OK)
        goto out;
    size_t len;
    const uint8_t *bytes = vl_proposal_bytes(c->p, &len);
    rc = s_put(self, txn, S_PENDING, id, VL_HASH_LEN, bytes, len, 0, err);
out:
    s_cur_free(cur, VL_MAX_OPS);
    return rc;
}

int
vl_store_propose(vl_store_t *self, const uint8_t *prop, size_t len, uint8_t id[VL_HASH_LEN],
                 char *err)
{
    assert(self && prop);
    vl_proposal_t *p = NULL;
    int rc = s_prop_open(self, prop, len, &p, err);
    if (rc != VL_OK)
        return rc;
    s_propose_ctx_t c = { p };
    rc = s_write(self, s_propose_txn, &c, err);
    if (rc == VL_OK && id)
        memcpy(id, vl_proposal_id(p), VL_HASH_LEN);
    vl_proposal_destroy(&p);
    return rc;
}

static int
s_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
vl_store_pending_lookup(vl_store_t *self, const char *hex_prefix, uint8_t id[VL_HASH_LEN],
                        char *err)
{
    assert(self && hex_prefix);
    size_t n = strlen(hex_prefix);
    uint8_t pre[VL_HASH_LEN];
    int nib[2 * VL_HASH_LEN];
    if (n < 4 || n > 2 * VL_HASH_LEN)
        return vl_err(err, VL_EINVAL, "a proposal id prefix has 4 to 64 hex digits");
    for (size_t i = 0; i < n; i++)
        if ((nib[i] = s_nibble(hex_prefix[i])) < 0)
            return vl_err(err, VL_EINVAL, "proposal id prefix: not hexadecimal");
    memset(pre, 0, sizeof pre);
    for (size_t i = 0; i < n; i++)
        pre[i / 2] |= (uint8_t)(i % 2 ? nib[i] : nib[i] << 4);

    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    size_t found = 0;
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    int mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur);
    if (mrc != 0) {
        rc = s_lmdb(mrc, err, "cursor");
        goto out;
    }
    MDB_val k = s_val(pre, n / 2), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, n / 2 ? MDB_SET_RANGE : MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        if (k.mv_size != VL_HASH_LEN) {
            rc = vl_err(err, VL_ECORRUPT, "pending table: a key is not a proposal id");
            goto out;
        }
        bool match = memcmp(key, pre, n / 2) == 0 &&
                     (n % 2 == 0 || (key[n / 2] >> 4) == nib[n - 1]);
        if (!match) {
            if (memcmp(key, pre, n / 2) != 0)
                break;
            continue;
        }
        if (++found > 1) {
            rc = vl_err(err, VL_EINVAL, "proposal id prefix %s is ambiguous", hex_prefix);
            goto out;
        }
        memcpy(id, key, VL_HASH_LEN);
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND) {
        rc = s_lmdb(mrc, err, "cursor");
        goto out;
    }
    rc = found ? VL_OK : vl_err(err, VL_ENOTFOUND, "no pending proposal %s", hex_prefix);
out:
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* Signatures a stored candidate carries that still count: 0 when there is
 * none, it is unreadable, or the head moved past it. */
static size_t
s_candidate_sigs(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN],
                 const s_head_t *h)
{
    MDB_val v;
    vl_entry_t *e = NULL;
    size_t n = 0;
    if (s_get(self, txn, S_CANDIDATES, id, VL_HASH_LEN, &v, NULL) != VL_OK)
        return 0;
    if (vl_entry_parse(self->pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE, &e, NULL) ==
            VL_OK &&
        vl_entry_seq(e) == h->seq + 1 && memcmp(vl_entry_prev(e), h->hash, VL_HASH_LEN) == 0)
        n = vl_entry_nsigs(e);
    vl_entry_destroy(&e);
    return n;
}

int
vl_store_pending_each(vl_store_t *self,
                      int (*cb)(void *ctx, const vl_proposal_t *p, size_t n_approvals),
                      void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_proposal_t *p = NULL;
    s_head_t h;
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = s_head_load(self, txn, &h, false, NULL)) != VL_OK)
        goto out;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur)) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != VL_HASH_LEN) {
            rc = VL_ECORRUPT;
            goto out;
        }
        if (s_prop_open(self, v.mv_data, v.mv_size, &p, NULL) != VL_OK ||
            memcmp(vl_proposal_id(p), k.mv_data, VL_HASH_LEN) != 0) {
            rc = VL_ECORRUPT;
            goto out;
        }
        size_t n = s_candidate_sigs(self, txn, k.mv_data, &h);
        if ((rc = cb(ctx, p, n)) != 0)
            goto out;
        vl_proposal_destroy(&p);
    }
    rc = (mrc == 0 || mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
out:
    vl_proposal_destroy(&p);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
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
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    rc = s_rec_load(self, txn, id, rec, rev, err);
    s_read_end(self, &txn);
    return rc;
}

/* ======================================================================== */
/* Applying a log entry                                                     */
/* ======================================================================== */

/* Every known version v > 1 with from(v) = seq + 1 names in `after` the link
 * entry seq must have. */
static int
s_pin_check(const vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN], char *err)
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

/* Verify one complete entry against the in-txn head and apply it: log,
 * records, index, settled, pending/candidates, and *h (the caller saves the
 * head once). eflags is 0 (every signature verified) or VL_ENTRY_NO_SIGS
 * (an older entry of a chain batch: everything but the signatures). Any
 * error leaves the txn to be aborted. */
static int
s_apply(vl_store_t *self, MDB_txn *txn, s_head_t *h, const uint8_t *buf, size_t len,
        unsigned eflags, char *err)
{
    vl_entry_t *e = NULL;
    s_cur_t cur[VL_MAX_OPS];
    vl_root_t acc = h->acc;
    uint8_t root[VL_HASH_LEN], key[8], settled[9];
    const uint8_t *ck;
    int rc;
    memset(cur, 0, sizeof cur);

    /* The version in force at the next seq judges the entry (docs/trust.md
     * §1.2); one naming a version we lack cannot be judged (VL_ENOTFOUND),
     * one naming another version we know is wrong. */
    const vl_policy_t *pol = s_pol_for(self, h->seq + 1);
    if ((rc = s_fork_refuse(self, txn, h->seq + 1, err)) != VL_OK)
        goto out;
    if ((rc = vl_entry_parse(pol, buf, len, eflags, &e, err)) != VL_OK) {
        if (rc == VL_ENOTFOUND && pol != self->pol)
            rc = VL_EPERM;
        goto out;
    }
    uint64_t seq = vl_entry_seq(e);
    if (seq != h->seq + 1) {
        rc = vl_err(err, VL_ECHAIN, "entry %llu does not follow the head: the next entry is %llu",
                    (unsigned long long)seq, (unsigned long long)h->seq + 1);
        goto out;
    }
    if (memcmp(vl_entry_prev(e), h->hash, VL_HASH_LEN) != 0) {
        if (h->seq == 0)
            rc = vl_err(err, VL_ECHAIN, "entry 1: prev is not the genesis policy hash");
        else
            rc = vl_err(err, VL_ECHAIN, "entry %llu: prev is not the hash of entry %llu",
                        (unsigned long long)seq, (unsigned long long)h->seq);
        goto out;
    }
    vl_proposal_t *p = vl_entry_proposal(e);
    const uint8_t *pid = vl_proposal_id(p);
    if ((rc = s_not_settled(self, txn, pid, err)) != VL_OK ||
        (rc = s_epoch_current(pol, p, err)) != VL_OK)
        goto out;
    if ((rc = s_ckey(self, vl_proposal_epoch(p), &ck, err)) != VL_OK ||
        (rc = vl_proposal_open(p, ck, err)) != VL_OK)
        goto out;
    if ((rc = s_plan(self, txn, pol, p, cur, &acc, err)) != VL_OK)
        goto out;
    vl_root_digest(&acc, root);
    if (memcmp(root, vl_entry_root(e), VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_ECORRUPT,
                    "entry %llu: state root mismatch (its root is not the root after applying it)",
                    (unsigned long long)seq);
        goto out;
    }

    /* Everything checked: write. */
    s_be64_put(key, seq);
    rc = s_put(self, txn, S_LOG, key, sizeof key, buf, len, MDB_APPEND, err);
    if (rc == VL_EEXIST) {
        rc = vl_err(err, VL_ECORRUPT, "the log already holds an entry at or after %llu",
                    (unsigned long long)seq);
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        if (cur[i].old && (rc = s_index_update(self, txn, cur[i].old, true, err)) != VL_OK)
            goto out;
        if (op->del) {
            if ((rc = s_del(self, txn, S_RECORDS, op->id, strlen(op->id), err)) != VL_OK)
                goto out;
            continue;
        }
        const vl_record_t *nr = vl_proposal_record(p, i);
        size_t blen;
        const uint8_t *b = vl_record_body(nr, &blen);
        if ((rc = s_rec_put(self, txn, op->id, op->base + 1, seq, (uint32_t)i, b, blen, err)) !=
                VL_OK ||
            (rc = s_index_update(self, txn, nr, false, err)) != VL_OK)
            goto out;
    }
    settled[0] = 'E';
    s_be64_put(settled + 1, seq);
    if ((rc = s_put(self, txn, S_SETTLED, pid, VL_HASH_LEN, settled, sizeof settled, 0, err)) !=
            VL_OK ||
        (rc = s_del(self, txn, S_PENDING, pid, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_del(self, txn, S_CANDIDATES, pid, VL_HASH_LEN, err)) != VL_OK)
        goto out;
    /* A version that starts at seq + 1 pins this entry (docs/trust.md §1.2). */
    if ((rc = s_pin_check(self, seq, vl_entry_hash(e), err)) != VL_OK)
        goto out;
    h->seq = seq;
    memcpy(h->hash, vl_entry_hash(e), VL_HASH_LEN);
    memcpy(h->root, root, VL_HASH_LEN);
    h->acc = acc;
    rc = VL_OK;
out:
    s_cur_free(cur, VL_MAX_OPS);
    vl_entry_destroy(&e);
    return rc;
}

typedef struct {
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
    bool chain;  /* verify the signatures of the last entry only */
} s_append_ctx_t;

static int
s_append_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_append_ctx_t *c = vctx;
    s_head_t h;
    uint64_t sc;
    if (c->n == 0)
        return VL_OK;
    int rc = s_head_load(self, txn, &h, true, err);
    if (rc != VL_OK || (rc = s_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK)
        return rc;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->entries[i])
            return vl_err(err, VL_EINVAL, "batch entry %zu is NULL", i);
        unsigned eflags = (c->chain && i + 1 < c->n) ? VL_ENTRY_NO_SIGS : 0;
        uint64_t before = h.seq;
        if ((rc = s_apply(self, txn, &h, c->entries[i], c->lens[i], eflags, err)) != VL_OK) {
            if (c->n > 1 && err && rc != S_MAP_FULL) {
                char line[VL_ERRMSG_MAX];
                snprintf(line, sizeof line, "batch item %zu: %s", i, err);
                memcpy(err, line, VL_ERRMSG_MAX);
            }
            return rc;
        }
        /* The watermark moves only over a contiguous run of verified entries. */
        if (eflags == 0 && sc == before)
            sc = h.seq;
    }
    if ((rc = s_head_save(self, txn, &h, err)) != VL_OK)
        return rc;
    return s_sigs_save(self, txn, sc, err);
}

int
vl_store_append(vl_store_t *self, const uint8_t *entry, size_t len, char *err)
{
    assert(self && entry);
    s_append_ctx_t c = { &entry, &len, 1, false };
    return s_write(self, s_append_txn, &c, err);
}

int
vl_store_append_batch(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                      size_t n, char *err)
{
    assert(self && (n == 0 || (entries && lens)));
    s_append_ctx_t c = { entries, lens, n, false };
    return s_write(self, s_append_txn, &c, err);
}

int
vl_store_append_chain(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                      size_t n, char *err)
{
    assert(self && (n == 0 || (entries && lens)));
    s_append_ctx_t c = { entries, lens, n, true };
    return s_write(self, s_append_txn, &c, err);
}

/* ======================================================================== */
/* Approval and rejection                                                   */
/* ======================================================================== */

typedef struct {
    const uint8_t *id;
    const vl_keypair_t *approver;
    uint64_t now;
    uint64_t applied_seq; /* out */
    size_t nsigs;         /* out */
} s_approve_ctx_t;

static int
s_approve_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_approve_ctx_t *c = vctx;
    vl_proposal_t *p = NULL;
    vl_entry_t *cand = NULL;
    uint8_t *unsigned_e = NULL, *signed_e = NULL;
    size_t ulen = 0, slen = 0;
    s_cur_t cur[VL_MAX_OPS];
    s_head_t h;
    MDB_val v;
    char hex[2 * VL_KID_LEN + 1], kid[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX] = "";
    uint8_t root[VL_HASH_LEN];
    int rc;
    memset(cur, 0, sizeof cur);
    c->applied_seq = 0;
    c->nsigs = 0;
    s_short(c->id, hex);
    vl_kid(vl_keypair_pk(c->approver), kid);

    if ((rc = s_head_load(self, txn, &h, true, err)) != VL_OK)
        goto out;
    /* The entry is made under the version in force at the next seq. */
    const vl_policy_t *pol = s_pol_for(self, h.seq + 1);
    if ((rc = s_fork_refuse(self, txn, h.seq + 1, err)) != VL_OK)
        goto out;
    rc = s_get(self, txn, S_PENDING, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND) {
        int kind = 0;
        s_settled(self, txn, c->id, &kind, NULL, NULL);
        rc = vl_err(err, VL_ENOTFOUND, "proposal %s is not pending%s", hex,
                    kind ? " (already settled)" : "");
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    if ((rc = s_prop_open(self, v.mv_data, v.mv_size, &p, why)) != VL_OK ||
        memcmp(vl_proposal_id(p), c->id, VL_HASH_LEN) != 0) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                    "pending proposal %s is unreadable: %s", hex, why[0] ? why : "wrong id");
        goto out;
    }
    /* Bases are checked again: the head may have moved since it was proposed;
     * so may the policy (author removed, new content-key epoch). */
    vl_root_t acc = h.acc;
    if ((rc = s_epoch_current(pol, p, err)) != VL_OK ||
        (rc = s_author_ok(pol, p, err)) != VL_OK)
        goto out;
    if ((rc = s_plan(self, txn, pol, p, cur, &acc, err)) != VL_OK)
        goto out;
    vl_root_digest(&acc, root);

    rc = s_get(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_OK) {
        why[0] = '\0';
        rc = vl_entry_parse(pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE, &cand, why);
        if (rc == VL_EPERM || rc == VL_ENOTFOUND) {
            cand = NULL; /* made under another policy version: start over */
            rc = VL_OK;
        } else if (rc != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT,
                        "candidate entry for proposal %s is unreadable: %s", hex, why);
            goto out;
        }
        /* Built on an older head (or for another state): start over. */
        if (cand && (vl_entry_seq(cand) != h.seq + 1 ||
            memcmp(vl_entry_prev(cand), h.hash, VL_HASH_LEN) != 0 ||
            memcmp(vl_entry_root(cand), root, VL_HASH_LEN) != 0 ||
            memcmp(vl_proposal_id(vl_entry_proposal(cand)), c->id, VL_HASH_LEN) != 0))
            vl_entry_destroy(&cand);
    } else if (rc != VL_ENOTFOUND) {
        goto out;
    }
    if (cand) {
        for (size_t i = 0; i < vl_entry_nsigs(cand); i++)
            if (memcmp(vl_entry_signer(cand, i), vl_keypair_pk(c->approver), VL_PK_LEN) == 0) {
                rc = vl_err(err, VL_EEXIST, "approver %s already approved this proposal", kid);
                goto out;
            }
        rc = vl_entry_sign(pol, v.mv_data, v.mv_size, c->approver, &signed_e, &slen, err);
        c->nsigs = vl_entry_nsigs(cand) + 1;
    } else {
        size_t plen;
        const uint8_t *pb = vl_proposal_bytes(p, &plen);
        if ((rc = vl_entry_make(pol, h.seq + 1, h.hash, pb, plen, root, c->now,
                                &unsigned_e, &ulen, err)) != VL_OK)
            goto out;
        rc = vl_entry_sign(pol, unsigned_e, ulen, c->approver, &signed_e, &slen, err);
        c->nsigs = 1;
    }
    if (rc != VL_OK)
        goto out;
    if (c->nsigs >= vl_policy_threshold(pol)) {
        uint64_t sc, before = h.seq;
        if ((rc = s_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK ||
            (rc = s_apply(self, txn, &h, signed_e, slen, 0, err)) != VL_OK ||
            (rc = s_head_save(self, txn, &h, err)) != VL_OK ||
            (rc = s_sigs_save(self, txn, sc == before ? h.seq : sc, err)) != VL_OK)
            goto out;
        c->applied_seq = h.seq;
    } else {
        rc = s_put(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, signed_e, slen, 0, err);
    }
out:
    s_cur_free(cur, VL_MAX_OPS);
    vl_entry_destroy(&cand);
    vl_proposal_destroy(&p);
    free(unsigned_e);
    free(signed_e);
    return rc;
}

int
vl_store_approve(vl_store_t *self, const uint8_t id[VL_HASH_LEN], const vl_keypair_t *approver,
                 uint64_t now, uint64_t *applied_seq, size_t *nsigs, char *err)
{
    assert(self && id && approver);
    if (applied_seq)
        *applied_seq = 0;
    if (nsigs)
        *nsigs = 0;
    if (!(vl_policy_roles(self->pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(approver), kid);
        return vl_err(err, VL_EPERM, "key %s is not an approver of network %s", kid,
                      vl_policy_name(self->pol));
    }
    s_approve_ctx_t c = { id, approver, now, 0, 0 };
    int rc = s_write(self, s_approve_txn, &c, err);
    if (rc == VL_OK) {
        if (applied_seq)
            *applied_seq = c.applied_seq;
        if (nsigs)
            *nsigs = c.nsigs;
    }
    return rc;
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
    s_short(c->id, hex);
    int rc = s_get(self, txn, S_PENDING, c->id, VL_HASH_LEN, &v, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ENOTFOUND, "proposal %s is not pending", hex);
    if (rc != VL_OK)
        return rc;
    if ((rc = vl_rejection_make(self->pol, c->approver, c->id, c->reason, c->now, &rej, &rlen,
                                err)) != VL_OK)
        return rc;
    if ((rc = s_put(self, txn, S_REJECTIONS, c->id, VL_HASH_LEN, rej, rlen, 0, err)) != VL_OK ||
        (rc = s_put(self, txn, S_SETTLED, c->id, VL_HASH_LEN, "R", 1, 0, err)) != VL_OK ||
        (rc = s_del(self, txn, S_PENDING, c->id, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_del(self, txn, S_CANDIDATES, c->id, VL_HASH_LEN, err)) != VL_OK) {
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
        return vl_err(err, VL_EPERM, "key %s is not an approver of network %s", kid,
                      vl_policy_name(self->pol));
    }
    if (!reason || !*reason || strlen(reason) > VL_MAX_REASON)
        return vl_err(err, VL_EINVAL, "a rejection needs a reason of 1..%u characters",
                      VL_MAX_REASON);
    s_reject_ctx_t c = { id, approver, reason, now };
    return s_write(self, s_reject_txn, &c, err);
}

/* ======================================================================== */
/* Reading the log and the rejections                                       */
/* ======================================================================== */

int
vl_store_log_each(vl_store_t *self, uint64_t from, uint64_t to,
                  int (*cb)(void *ctx, const vl_entry_t *e), void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_entry_t *e = NULL;
    uint8_t key[8];
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_LOG], &cur)) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    s_be64_put(key, from ? from : 1);
    MDB_val k = s_val(key, sizeof key), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            rc = VL_ECORRUPT;
            goto out;
        }
        uint64_t seq = s_be64_get(k.mv_data);
        if (to && seq > to)
            break;
        if (vl_entry_parse(s_pol_for(self, seq), v.mv_data, v.mv_size, 0, &e, NULL) != VL_OK ||
            vl_entry_seq(e) != seq) {
            rc = VL_ECORRUPT;
            goto out;
        }
        if ((rc = cb(ctx, e)) != 0)
            goto out;
        vl_entry_destroy(&e);
    }
    rc = (mrc == 0 || mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
out:
    vl_entry_destroy(&e);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* A stored rejection: by an approver of the current version, or of the
 * older version it names (an approver removed since still rejected it). */
static int
s_rej_parse(const vl_store_t *self, const uint8_t *buf, size_t len, vl_rejection_t **out,
            char *err)
{
    int rc = VL_EPERM;
    for (size_t i = self->npols; i-- > 0 && rc == VL_EPERM;)
        rc = vl_rejection_parse(self->pols[i], buf, len, out, i == 0 ? err : NULL);
    return rc;
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

int
vl_store_rejections_each(vl_store_t *self, int (*cb)(void *ctx, const vl_rejection_t *r),
                         void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_rejection_t **all = NULL;
    size_t n = 0, cap = 0;
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_REJECTIONS], &cur)) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            vl_rejection_t **grown = realloc(all, ncap * sizeof *grown);
            if (!grown) {
                rc = VL_ENOMEM;
                goto out;
            }
            all = grown;
            cap = ncap;
        }
        if (k.mv_size != VL_HASH_LEN ||
            s_rej_parse(self, v.mv_data, v.mv_size, &all[n], NULL) != VL_OK) {
            rc = VL_ECORRUPT;
            goto out;
        }
        n++;
        if (memcmp(vl_rejection_proposal(all[n - 1]), k.mv_data, VL_HASH_LEN) != 0) {
            rc = VL_ECORRUPT;
            goto out;
        }
    }
    if (mrc != MDB_NOTFOUND) {
        rc = VL_ESTORE;
        goto out;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    s_read_end(self, &txn);
    if (n > 1)
        qsort(all, n, sizeof *all, s_rej_cmp);
    rc = VL_OK;
    for (size_t i = 0; i < n && rc == VL_OK; i++)
        rc = cb(ctx, all[i]);
out:
    for (size_t i = 0; i < n; i++)
        vl_rejection_destroy(&all[i]);
    free(all);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* ======================================================================== */
/* Queries                                                                  */
/* ======================================================================== */

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
    if (self->find_depth == 1 && s_recval_decode(v, &rv) == VL_OK) {
        if (!self->cache)
            self->cache = calloc(S_CACHE_SLOTS, sizeof *self->cache);
        if (self->cache) {
            slot = &self->cache[s_fnv(id) & (S_CACHE_SLOTS - 1)];
            if (slot->rec && slot->rev == rv.rev && strcmp(slot->id, id) == 0 &&
                memcmp(slot->nonce, rv.nonce, VL_NONCE_LEN) == 0) {
                rec = slot->rec;
                rev = slot->rev;
            }
        }
    }
    if (!rec) {
        if ((rc = s_rec_open(self, id, idlen, v, false, &rec, &rev, NULL, NULL)) != VL_OK)
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
    MDB_cursor *cur = NULL;
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    self->find_depth++;
    MDB_val k, v;
    char id[VL_MAX_ID + 1];
    if (nt == 0) {
        if ((mrc = mdb_cursor_open(txn, self->dbi[S_RECORDS], &cur)) != 0) {
            rc = VL_ESTORE;
            goto out;
        }
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (!vl_record_id_valid(k.mv_data, k.mv_size)) {
                rc = VL_ECORRUPT;
                goto out;
            }
            memcpy(id, k.mv_data, k.mv_size);
            id[k.mv_size] = '\0';
            if ((rc = s_find_emit(self, &f, id, k.mv_size, &v)) != VL_OK)
                goto out;
        }
    } else {
        size_t tl = strlen(terms[0]);
        uint8_t key[S_IDX_KEY_MAX];
        if ((mrc = mdb_cursor_open(txn, self->dbi[S_INDEX], &cur)) != 0) {
            rc = VL_ESTORE;
            goto out;
        }
        memcpy(key, terms[0], tl + 1);
        k = s_val(key, tl + 1);
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size < tl + 1 || memcmp(k.mv_data, terms[0], tl + 1) != 0)
                break;
            size_t idlen = k.mv_size - tl - 1;
            const char *kid = (const char *)k.mv_data + tl + 1;
            if (!vl_record_id_valid(kid, idlen)) {
                rc = VL_ECORRUPT;
                goto out;
            }
            memcpy(id, kid, idlen);
            id[idlen] = '\0';
            bool all = true;
            for (size_t t = 1; all && t < nt; t++) {
                uint8_t fk[S_IDX_KEY_MAX];
                MDB_val fv;
                size_t fl = s_idx_key(fk, terms[t], id, idlen);
                rc = s_get(self, txn, S_INDEX, fk, fl, &fv, NULL);
                if (rc == VL_ENOTFOUND)
                    all = false;
                else if (rc != VL_OK)
                    goto out;
            }
            if (!all)
                continue;
            MDB_val rv;
            rc = s_get(self, txn, S_RECORDS, id, idlen, &rv, NULL);
            if (rc == VL_ENOTFOUND)
                rc = VL_ECORRUPT; /* the index names a record that is not there */
            if (rc != VL_OK || (rc = s_find_emit(self, &f, id, idlen, &rv)) != VL_OK)
                goto out;
        }
    }
    rc = (mrc == 0 || mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
out:
    if (rc == S_STOP)
        rc = VL_OK; /* stopped at the limit */
    self->find_depth--;
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* ======================================================================== */
/* Verification                                                             */
/* ======================================================================== */

/* What the log says about one record id, replayed in memory. */
typedef struct {
    char id[VL_MAX_ID + 1];  /* "" = free slot */
    bool live;               /* exists after the replay so far */
    bool seen;               /* found in the records table */
    bool bad;                /* its records value does not open (skip its index terms) */
    vl_kind_t kind;
    size_t nstates;
    char *states;            /* nstates * 2 letters, malloc'd */
    uint64_t rev, seq;       /* revision; entry that wrote it */
    uint32_t op;             /* op index in that entry */
    uint8_t leaf[VL_HASH_LEN];
} s_slot_t;

/* Open-addressing hash table of slots by id (linear probing, load <= 1/2). */
typedef struct {
    s_slot_t *slots;
    size_t cap, n;
} s_map_t;

static s_slot_t *
s_map_find(const s_map_t *m, const char *id)
{
    if (!m->cap)
        return NULL;
    for (size_t i = s_fnv(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].id[0])
            return NULL;
        if (strcmp(m->slots[i].id, id) == 0)
            return &m->slots[i];
    }
}

static int
s_map_add(s_map_t *m, const char *id, s_slot_t **out)
{
    s_slot_t *s = s_map_find(m, id);
    if (s) {
        *out = s;
        return VL_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 1024;
        s_slot_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return VL_ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].id[0])
                continue;
            size_t j = s_fnv(m->slots[i].id) & (ncap - 1);
            while (ns[j].id[0])
                j = (j + 1) & (ncap - 1);
            ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    size_t i = s_fnv(id) & (m->cap - 1);
    while (m->slots[i].id[0])
        i = (i + 1) & (m->cap - 1);
    s = &m->slots[i];
    memset(s, 0, sizeof *s);
    strcpy(s->id, id);
    m->n++;
    *out = s;
    return VL_OK;
}

static void
s_map_free(s_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].states);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Expected index keys, collected from the current records, then sorted. */
typedef struct {
    uint8_t *buf;            /* [u8 len][key bytes]... */
    size_t len, cap;
    size_t *off;             /* offsets into buf */
    size_t n, ncap;
} s_keys_t;

static int
s_keys_add(s_keys_t *ks, const uint8_t *key, size_t klen)
{
    if (ks->len + 1 + klen > ks->cap) {
        size_t ncap = ks->cap ? 2 * ks->cap : 65536;
        while (ncap < ks->len + 1 + klen)
            ncap *= 2;
        uint8_t *nb = realloc(ks->buf, ncap);
        if (!nb)
            return VL_ENOMEM;
        ks->buf = nb;
        ks->cap = ncap;
    }
    if (ks->n == ks->ncap) {
        size_t ncap = ks->ncap ? 2 * ks->ncap : 4096;
        size_t *no = realloc(ks->off, ncap * sizeof *no);
        if (!no)
            return VL_ENOMEM;
        ks->off = no;
        ks->ncap = ncap;
    }
    ks->off[ks->n++] = ks->len;
    ks->buf[ks->len] = (uint8_t)klen;
    memcpy(ks->buf + ks->len + 1, key, klen);
    ks->len += 1 + klen;
    return VL_OK;
}

/* LMDB's default key order: bytewise, a prefix first. */
static int
s_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static const uint8_t *s_sort_buf; /* qsort has no context argument in C11 */

static int
s_off_cmp(const void *pa, const void *pb)
{
    const uint8_t *a = s_sort_buf + *(const size_t *)pa, *b = s_sort_buf + *(const size_t *)pb;
    return s_keycmp(a + 1, a[0], b + 1, b[0]);
}

typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    void (*report)(void *ctx, const char *line);
    void *ctx;
    size_t problems;
    s_map_t map;             /* id -> what the log says */
    vl_root_t acc;           /* accumulator replayed from the log */
    bool state_ok;           /* the replay state is trustworthy */
    uint64_t last_seq;       /* last entry in the log */
    bool last_known;         /* its hash and root are known */
    uint8_t last_hash[VL_HASH_LEN], last_root[VL_HASH_LEN];
    struct { uint64_t seq; bool known; uint8_t pid[VL_HASH_LEN]; } *pids; /* log, by seq */
    size_t npids, cappids;
    s_keys_t keys;           /* expected index keys */
    int fatal;               /* VL_ENOMEM / VL_ESTORE: stop */
} s_verify_t;

static void s_problem(s_verify_t *vf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_peer_decode(const uint8_t *buf, size_t len, vl_peer_info_t *p, char *err);

static void
s_problem(s_verify_t *vf, const char *fmt, ...)
{
    char line[2 * VL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    vf->problems++;
    if (vf->report)
        vf->report(vf->ctx, line);
}

/* Hostile bytes made printable for a report line. */
static void
s_printable(char *out, size_t cap, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 2 < cap; i++)
        out[j++] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '?';
    out[j] = '\0';
}

/* Remember which proposal entry seq settles (pid NULL: the entry is unreadable). */
static int
s_pid_push(s_verify_t *vf, uint64_t seq, const uint8_t *pid)
{
    if (vf->npids == vf->cappids) {
        size_t ncap = vf->cappids ? 2 * vf->cappids : 1024;
        void *np = realloc(vf->pids, ncap * sizeof *vf->pids);
        if (!np)
            return VL_ENOMEM;
        vf->pids = np;
        vf->cappids = ncap;
    }
    vf->pids[vf->npids].seq = seq;
    vf->pids[vf->npids].known = pid != NULL;
    if (pid)
        memcpy(vf->pids[vf->npids].pid, pid, VL_HASH_LEN);
    vf->npids++;
    return VL_OK;
}

/* The proposal entry seq settles; *present tells whether the log has it at all. */
static const uint8_t *
s_pid_of(const s_verify_t *vf, uint64_t seq, bool *present)
{
    size_t lo = 0, hi = vf->npids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vf->pids[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *present = lo < vf->npids && vf->pids[lo].seq == seq;
    return (*present && vf->pids[lo].known) ? vf->pids[lo].pid : NULL;
}

/* Replay the ops of one verified, opened entry into the in-memory state. */
static int
s_verify_ops(s_verify_t *vf, const vl_entry_t *e, const vl_proposal_t *p)
{
    uint64_t seq = vl_entry_seq(e);
    const uint8_t *author = vl_proposal_author(p);
    const vl_policy_t *pol = s_pol_for(vf->self, seq);
    char kid[2 * VL_KID_LEN + 1];
    vl_kid(author, kid);
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        s_slot_t *s = s_map_find(&vf->map, op->id);
        bool live = s && s->live;
        uint64_t cur = live ? s->rev : 0;
        if (cur != op->base)
            s_problem(vf,
                      "entry %llu: record %s is at revision %llu, the proposal is based on %llu",
                      (unsigned long long)seq, op->id, (unsigned long long)cur,
                      (unsigned long long)op->base);
        if (live) {
            if (s->kind != op->kind)
                s_problem(vf, "entry %llu: record %s changes kind", (unsigned long long)seq,
                          op->id);
            for (size_t k = 0; k < s->nstates; k++) {
                char st[VL_STATE_LEN + 1] = { s->states[2 * k], s->states[2 * k + 1], 0 };
                if (!vl_policy_may_edit(pol, author, st))
                    s_problem(vf, "entry %llu: author %s may not edit record %s of %s",
                              (unsigned long long)seq, kid, op->id, st);
            }
            if (op->del) {
                bool same = s->nstates == op->nstates;
                for (size_t k = 0; same && k < op->nstates; k++)
                    same = memcmp(s->states + 2 * k, op->states[k], 2) == 0;
                if (!same)
                    s_problem(vf, "entry %llu: delete of %s names other States than the record's",
                              (unsigned long long)seq, op->id);
            }
            vl_root_remove(&vf->acc, s->leaf);
        } else if (op->del) {
            s_problem(vf, "entry %llu: deletes record %s, which does not exist",
                      (unsigned long long)seq, op->id);
        }
        if (op->del) {
            if (s)
                s->live = false;
            continue;
        }
        const vl_record_t *rec = vl_proposal_record(p, i);
        size_t blen;
        const uint8_t *body = vl_record_body(rec, &blen);
        if (!s && s_map_add(&vf->map, op->id, &s) != VL_OK)
            return VL_ENOMEM;
        if (s->nstates != op->nstates || !s->states) {
            char *ns = realloc(s->states, 2 * op->nstates + 1);
            if (!ns)
                return VL_ENOMEM;
            s->states = ns;
        }
        for (size_t k = 0; k < op->nstates; k++)
            memcpy(s->states + 2 * k, op->states[k], 2);
        s->nstates = op->nstates;
        s->kind = op->kind;
        s->live = true;
        s->rev = op->base + 1;
        s->seq = seq;
        s->op = (uint32_t)i;
        vl_root_leaf(s->leaf, op->id, s->rev, body, blen);
        vl_root_insert(&vf->acc, s->leaf);
    }
    uint8_t root[VL_HASH_LEN];
    vl_root_digest(&vf->acc, root);
    if (memcmp(root, vl_entry_root(e), VL_HASH_LEN) != 0)
        s_problem(vf, "entry %llu: state root mismatch: replaying the log gives another root",
                  (unsigned long long)seq);
    return VL_OK;
}

/* Phase 1: the log, from genesis. */
static int
s_verify_log(s_verify_t *vf)
{
    vl_store_t *self = vf->self;
    MDB_cursor *cur = NULL;
    vl_entry_t *e = NULL;
    uint8_t prev[VL_HASH_LEN];
    bool prev_known = true;
    uint64_t expect = 1;
    char why[VL_ERRMSG_MAX];
    int rc = VL_OK, mrc;
    memcpy(prev, vl_policy_hash(s_genesis(self)), VL_HASH_LEN);
    vl_root_clear(&vf->acc);
    vl_root_digest(&vf->acc, vf->last_root);
    memcpy(vf->last_hash, prev, VL_HASH_LEN);
    vf->last_known = true;
    vf->state_ok = true;

    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_LOG], &cur)) != 0)
        return VL_ESTORE;
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            s_problem(vf, "log: a key is not a sequence number");
            vf->state_ok = prev_known = vf->last_known = false;
            continue;
        }
        uint64_t seq = s_be64_get(k.mv_data);
        if (seq != expect) {
            if (seq == expect + 1)
                s_problem(vf, "log: entry %llu is missing", (unsigned long long)expect);
            else
                s_problem(vf, "log: entries %llu to %llu are missing", (unsigned long long)expect,
                          (unsigned long long)seq - 1);
            vf->state_ok = prev_known = false;
        }
        expect = seq + 1;
        vf->last_seq = seq;
        why[0] = '\0';
        if ((rc = vl_entry_parse(s_pol_for(self, seq), v.mv_data, v.mv_size, 0, &e, why)) !=
            VL_OK) {
            if (rc == VL_ENOMEM)
                goto out;
            if (strncmp(why, "entry ", 6) == 0)
                s_problem(vf, "%s", why); /* the decoder already named the entry */
            else
                s_problem(vf, "entry %llu: %s", (unsigned long long)seq, why);
            vf->state_ok = prev_known = vf->last_known = false;
            if ((rc = s_pid_push(vf, seq, NULL)) != VL_OK)
                goto out;
            continue;
        }
        if (vl_entry_seq(e) != seq) {
            s_problem(vf, "entry %llu: stored as entry %llu", (unsigned long long)vl_entry_seq(e),
                      (unsigned long long)seq);
            vf->state_ok = false;
        }
        if (prev_known && memcmp(prev, vl_entry_prev(e), VL_HASH_LEN) != 0) {
            if (seq == 1)
                s_problem(vf, "entry 1: broken chain: prev is not the genesis policy hash");
            else
                s_problem(vf, "entry %llu: broken chain: prev is not the hash of entry %llu",
                          (unsigned long long)seq, (unsigned long long)seq - 1);
        }
        memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        why[0] = '\0';
        if (s_pin_check(self, seq, vl_entry_hash(e), why) != VL_OK)
            s_problem(vf, "%s", why);
        if (vl_proposal_epoch(vl_entry_proposal(e)) !=
            vl_policy_epoch(s_pol_for(self, seq)))
            s_problem(vf, "entry %llu: its proposal is not under the newest content-key epoch "
                      "of policy version %llu", (unsigned long long)seq,
                      (unsigned long long)vl_policy_version(s_pol_for(self, seq)));
        prev_known = vf->last_known = true;
        memcpy(vf->last_hash, vl_entry_hash(e), VL_HASH_LEN);
        memcpy(vf->last_root, vl_entry_root(e), VL_HASH_LEN);

        vl_proposal_t *p = vl_entry_proposal(e);
        const uint8_t *pid = vl_proposal_id(p);
        char hex[2 * VL_KID_LEN + 1];
        int kind;
        uint64_t sseq;
        s_short(pid, hex);
        if ((rc = s_settled(self, vf->txn, pid, &kind, &sseq, NULL)) == VL_ESTORE)
            goto out;
        if (rc != VL_OK || kind != 'E' || sseq != seq)
            s_problem(vf, "entry %llu: the settled table does not name it for proposal %s",
                      (unsigned long long)seq, hex);
        if ((rc = s_pid_push(vf, seq, pid)) != VL_OK)
            goto out;

        const uint8_t *ck;
        why[0] = '\0';
        if (s_ckey(self, vl_proposal_epoch(p), &ck, why) != VL_OK ||
            vl_proposal_open(p, ck, why) != VL_OK) {
            s_problem(vf, "entry %llu: proposal %s: %s", (unsigned long long)seq, hex, why);
            vf->state_ok = false;
        } else if (vf->state_ok && (rc = s_verify_ops(vf, e, p)) != VL_OK) {
            goto out;
        }
        vl_entry_destroy(&e);
    }
    rc = (mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
out:
    vl_entry_destroy(&e);
    mdb_cursor_close(cur);
    return rc;
}

/* Phase 2: meta against the log. */
static int
s_verify_meta(s_verify_t *vf, vl_root_t *meta_acc, bool *meta_acc_ok)
{
    vl_store_t *self = vf->self;
    MDB_val v;
    uint8_t d[VL_HASH_LEN];
    char why[VL_ERRMSG_MAX] = "";
    *meta_acc_ok = false;
    int rc = s_meta_get(self, vf->txn, "head_seq", 8, &v, why);
    if (rc == VL_ESTORE)
        return rc;
    if (rc != VL_OK)
        s_problem(vf, "%s", why);
    else if (s_be64_get(v.mv_data) != vf->last_seq)
        s_problem(vf, "meta: the head is entry %llu, the log ends at entry %llu",
                  (unsigned long long)s_be64_get(v.mv_data), (unsigned long long)vf->last_seq);
    /* (absent: an older store, every entry verified) */
    if ((rc = s_get(self, vf->txn, S_META, "sigs_checked", 12, &v, NULL)) == VL_ESTORE)
        return rc;
    if (rc == VL_OK && v.mv_size != 8)
        s_problem(vf, "meta: \"sigs_checked\" is %zu bytes, want 8", v.mv_size);
    else if (rc == VL_OK && s_be64_get(v.mv_data) > vf->last_seq)
        s_problem(vf, "meta: \"sigs_checked\" (%llu) is past the last entry (%llu)",
                  (unsigned long long)s_be64_get(v.mv_data), (unsigned long long)vf->last_seq);
    why[0] = '\0';
    if ((rc = s_meta_get(self, vf->txn, "head_hash", VL_HASH_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK)
        s_problem(vf, "%s", why);
    else if (vf->last_known && memcmp(v.mv_data, vf->last_hash, VL_HASH_LEN) != 0)
        s_problem(vf, "meta: the head hash is not the hash of the last entry");
    why[0] = '\0';
    uint8_t meta_root[VL_HASH_LEN];
    bool root_ok = false;
    if ((rc = s_meta_get(self, vf->txn, "root", VL_HASH_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK) {
        s_problem(vf, "%s", why);
    } else {
        root_ok = true;
        memcpy(meta_root, v.mv_data, VL_HASH_LEN);
        if (vf->last_known && memcmp(meta_root, vf->last_root, VL_HASH_LEN) != 0)
            s_problem(vf, "meta: the state root is not the root of the last entry");
    }
    why[0] = '\0';
    if ((rc = s_meta_get(self, vf->txn, "root_acc", VL_ROOT_ACC_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK) {
        s_problem(vf, "%s", why);
        return VL_OK;
    }
    vl_root_load(meta_acc, v.mv_data, v.mv_size);
    *meta_acc_ok = true;
    /* Nothing else may live in meta (format 1 knows these names only). */
    static const char *const known[] = { "format", "fresh", "genesis", "head_hash", "head_seq",
                                         "root", "root_acc", "salt", "sigs_checked", NULL };
    MDB_cursor *cur = NULL;
    MDB_val k;
    int mrc = mdb_cursor_open(vf->txn, self->dbi[S_META], &cur);
    if (mrc != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        bool ok = false;
        for (size_t i = 0; !ok && known[i]; i++)
            ok = k.mv_size == strlen(known[i]) && memcmp(k.mv_data, known[i], k.mv_size) == 0;
        if (!ok) {
            char shown[48];
            s_printable(shown, sizeof shown, k.mv_data, k.mv_size < 40 ? k.mv_size : 40);
            s_problem(vf, "meta: unknown entry \"%s\"", shown);
        }
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return VL_ESTORE;
    vl_root_digest(meta_acc, d);
    if (root_ok && memcmp(d, meta_root, VL_HASH_LEN) != 0)
        s_problem(vf, "meta: the root accumulator does not give the stored state root");
    if (vf->state_ok && memcmp(meta_acc, &vf->acc, sizeof vf->acc) != 0)
        s_problem(vf, "meta: the root accumulator differs from the one replayed from the log");
    return VL_OK;
}

typedef struct {
    s_keys_t *keys;
    const char *id;
} s_keyterm_t;

static int
s_keyterm_cb(void *ctx, const char *term)
{
    s_keyterm_t *t = ctx;
    uint8_t key[S_IDX_KEY_MAX];
    size_t klen = s_idx_key(key, term, t->id, strlen(t->id));
    return klen ? s_keys_add(t->keys, key, klen) : VL_OK;
}

/* Phase 3: the records table against the log and the accumulator. */
static int
s_verify_records(s_verify_t *vf, const vl_root_t *meta_acc, bool meta_acc_ok)
{
    vl_store_t *self = vf->self;
    MDB_cursor *cur = NULL;
    vl_record_t *rec = NULL;
    vl_root_t racc;
    char why[VL_ERRMSG_MAX], id[VL_MAX_ID + 1];
    int rc = VL_OK, mrc;
    vl_root_clear(&racc);
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_RECORDS], &cur)) != 0)
        return VL_ESTORE;
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!vl_record_id_valid(k.mv_data, k.mv_size)) {
            char shown[48];
            s_printable(shown, sizeof shown, k.mv_data, k.mv_size < 40 ? k.mv_size : 40);
            s_problem(vf, "records: key \"%s\" is not a record id", shown);
            continue;
        }
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = '\0';
        s_slot_t *s = s_map_find(&vf->map, id);
        uint64_t rev;
        s_recval_t rv;
        why[0] = '\0';
        if ((rc = s_rec_open(self, id, k.mv_size, &v, true, &rec, &rev, &rv, why)) != VL_OK) {
            if (rc == VL_ENOMEM)
                goto out;
            s_problem(vf, "%s", why);
            if (s || s_map_add(&vf->map, id, &s) == VL_OK)
                s->bad = true;
            rc = VL_OK;
            continue;
        }
        size_t blen;
        const uint8_t *body = vl_record_body(rec, &blen);
        uint8_t leaf[VL_HASH_LEN];
        vl_root_leaf(leaf, id, rev, body, blen);
        vl_root_insert(&racc, leaf);
        s_keyterm_t t = { &vf->keys, id };
        if ((rc = vl_record_terms(rec, s_keyterm_cb, &t)) != VL_OK)
            goto out;
        vl_record_destroy(&rec);
        if (!vf->state_ok)
            continue;
        if (!s || !s->live) {
            s_problem(vf, "record %s: not in the log (no entry wrote it, or it was deleted)", id);
            continue;
        }
        s->seen = true;
        if (rev != s->rev)
            s_problem(vf, "record %s: revision %llu, the log says %llu", id,
                      (unsigned long long)rev, (unsigned long long)s->rev);
        else if (memcmp(leaf, s->leaf, VL_HASH_LEN) != 0)
            s_problem(vf, "record %s: body differs from the log's", id);
        else if (rv.seq != s->seq || rv.op != s->op)
            s_problem(vf, "record %s: says entry %llu op %u wrote it, the log says entry %llu "
                      "op %u", id, (unsigned long long)rv.seq, rv.op,
                      (unsigned long long)s->seq, s->op);
    }
    if (mrc != MDB_NOTFOUND) {
        rc = VL_ESTORE;
        goto out;
    }
    if (vf->state_ok)
        for (size_t i = 0; i < vf->map.cap; i++) {
            const s_slot_t *s = &vf->map.slots[i];
            if (s->id[0] && s->live && !s->seen && !s->bad)
                s_problem(vf, "record %s: missing (the log has revision %llu)", s->id,
                          (unsigned long long)s->rev);
        }
    if (meta_acc_ok && memcmp(meta_acc, &racc, sizeof racc) != 0)
        s_problem(vf, "meta: the root accumulator does not match the current records");
    rc = VL_OK;
out:
    vl_record_destroy(&rec);
    mdb_cursor_close(cur);
    return rc;
}

/* Is the id part of an index key one whose record did not open? */
static bool
s_idx_bad_id(const s_verify_t *vf, const uint8_t *key, size_t klen)
{
    const uint8_t *nul = memchr(key, 0, klen);
    if (!nul)
        return false;
    size_t idlen = klen - (size_t)(nul + 1 - key);
    char id[VL_MAX_ID + 1];
    if (idlen == 0 || idlen > VL_MAX_ID)
        return false;
    memcpy(id, nul + 1, idlen);
    id[idlen] = '\0';
    const s_slot_t *s = s_map_find(&vf->map, id);
    return s && s->bad;
}

static void
s_idx_show(char *out, size_t cap, const uint8_t *key, size_t klen)
{
    const uint8_t *nul = memchr(key, 0, klen);
    char term[S_TERM_MAX + 1], id[VL_MAX_ID + 1];
    if (!nul) {
        s_printable(term, sizeof term, key, klen);
        snprintf(out, cap, "\"%s\" (no separator)", term);
        return;
    }
    s_printable(term, sizeof term, key, (size_t)(nul - key));
    s_printable(id, sizeof id, nul + 1, klen - (size_t)(nul + 1 - key));
    snprintf(out, cap, "term %s of record %s", term, id);
}

/* Phase 4: the index holds exactly the terms of the current records. */
static int
s_verify_index(s_verify_t *vf)
{
    MDB_cursor *cur = NULL;
    s_keys_t *ks = &vf->keys;
    char shown[256];
    int mrc;
    s_sort_buf = ks->buf;
    if (ks->n > 1)
        qsort(ks->off, ks->n, sizeof *ks->off, s_off_cmp);
    if ((mrc = mdb_cursor_open(vf->txn, vf->self->dbi[S_INDEX], &cur)) != 0)
        return VL_ESTORE;
    MDB_val k, v;
    size_t i = 0;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 || i < ks->n) {
        const uint8_t *exp = i < ks->n ? ks->buf + ks->off[i] : NULL;
        int c;
        if (mrc != 0)
            c = 1; /* only expected keys left */
        else if (!exp)
            c = -1; /* only index keys left */
        else
            c = s_keycmp(k.mv_data, k.mv_size, exp + 1, exp[0]);
        if (c == 0) {
            if (v.mv_size != 0) {
                s_idx_show(shown, sizeof shown, k.mv_data, k.mv_size);
                s_problem(vf, "index: %s carries a value", shown);
            }
            i++;
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        } else if (c < 0) {
            if (!s_idx_bad_id(vf, k.mv_data, k.mv_size)) {
                s_idx_show(shown, sizeof shown, k.mv_data, k.mv_size);
                s_problem(vf, "index: %s does not belong to any current record", shown);
            }
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        } else {
            s_idx_show(shown, sizeof shown, exp + 1, exp[0]);
            s_problem(vf, "index: %s is missing", shown);
            i++;
        }
        if (mrc != 0 && mrc != MDB_NOTFOUND)
            break;
    }
    mdb_cursor_close(cur);
    return (mrc == 0 || mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
}

/* Phase 5: pending work, settled ids and rejections. */
static int
s_verify_work(s_verify_t *vf)
{
    vl_store_t *self = vf->self;
    MDB_cursor *cur = NULL;
    MDB_val k, v, x;
    char hex[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX];
    int rc, mrc;

    /* pending */
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_PENDING], &cur)) != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        vl_proposal_t *p = NULL;
        int kind;
        if (k.mv_size != VL_HASH_LEN) {
            s_problem(vf, "pending: a key is not a proposal id");
            continue;
        }
        s_short(k.mv_data, hex);
        why[0] = '\0';
        if ((rc = s_prop_open(self, v.mv_data, v.mv_size, &p, why)) != VL_OK)
            s_problem(vf, "pending: proposal %s: %s", hex, why);
        else if (memcmp(vl_proposal_id(p), k.mv_data, VL_HASH_LEN) != 0)
            s_problem(vf, "pending: proposal %s is stored under another id", hex);
        vl_proposal_destroy(&p);
        if (s_settled(self, vf->txn, k.mv_data, &kind, NULL, NULL) == VL_OK && kind)
            s_problem(vf, "pending: proposal %s is already settled", hex);
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return VL_ESTORE;

    /* candidates */
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_CANDIDATES], &cur)) != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        vl_entry_t *e = NULL;
        if (k.mv_size != VL_HASH_LEN) {
            s_problem(vf, "candidates: a key is not a proposal id");
            continue;
        }
        s_short(k.mv_data, hex);
        if (s_get(self, vf->txn, S_PENDING, k.mv_data, VL_HASH_LEN, &x, NULL) != VL_OK)
            s_problem(vf, "candidates: proposal %s is not pending", hex);
        why[0] = '\0';
        int crc = vl_entry_parse(self->pol, v.mv_data, v.mv_size, VL_ENTRY_CANDIDATE, &e, why);
        if (crc == VL_EPERM || crc == VL_ENOTFOUND)
            ; /* made under an older version: approving rebuilds it */
        else if (crc != VL_OK)
            s_problem(vf, "candidates: proposal %s: %s", hex, why);
        else if (memcmp(vl_proposal_id(vl_entry_proposal(e)), k.mv_data, VL_HASH_LEN) != 0)
            s_problem(vf, "candidates: the entry for %s settles another proposal", hex);
        vl_entry_destroy(&e);
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return VL_ESTORE;

    /* settled */
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_SETTLED], &cur)) != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *val = v.mv_data;
        if (k.mv_size != VL_HASH_LEN) {
            s_problem(vf, "settled: a key is not a proposal id");
            continue;
        }
        s_short(k.mv_data, hex);
        if (v.mv_size == 9 && val[0] == 'E') {
            uint64_t seq = s_be64_get(val + 1);
            bool present;
            const uint8_t *pid = s_pid_of(vf, seq, &present);
            if (present && !pid)
                continue; /* that entry is unreadable: already reported */
            if (!pid || memcmp(pid, k.mv_data, VL_HASH_LEN) != 0)
                s_problem(vf, "settled: proposal %s names entry %llu, which does not settle it",
                          hex, (unsigned long long)seq);
        } else if (v.mv_size == 1 && val[0] == 'R') {
            if (s_get(self, vf->txn, S_REJECTIONS, k.mv_data, VL_HASH_LEN, &x, NULL) != VL_OK)
                s_problem(vf, "settled: proposal %s is marked rejected without a rejection", hex);
        } else {
            s_problem(vf, "settled: proposal %s: malformed value", hex);
        }
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return VL_ESTORE;

    /* rejections */
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_REJECTIONS], &cur)) != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        vl_rejection_t *r = NULL;
        int kind;
        if (k.mv_size != VL_HASH_LEN) {
            s_problem(vf, "rejections: a key is not a proposal id");
            continue;
        }
        s_short(k.mv_data, hex);
        why[0] = '\0';
        if (s_rej_parse(self, v.mv_data, v.mv_size, &r, why) != VL_OK)
            s_problem(vf, "rejections: proposal %s: %s", hex, why);
        else if (memcmp(vl_rejection_proposal(r), k.mv_data, VL_HASH_LEN) != 0)
            s_problem(vf, "rejections: the rejection stored for %s names another proposal", hex);
        vl_rejection_destroy(&r);
        if (s_settled(self, vf->txn, k.mv_data, &kind, NULL, NULL) != VL_OK || kind != 'R')
            s_problem(vf, "rejections: proposal %s is not marked rejected in settled", hex);
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return VL_ESTORE;

    /* peers (what the daemon knows of each: not signed, but must decode) */
    if ((mrc = mdb_cursor_open(vf->txn, self->dbi[S_PEERS], &cur)) != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        vl_peer_info_t pi;
        char shown[48];
        s_printable(shown, sizeof shown, k.mv_data, k.mv_size < 40 ? k.mv_size : 40);
        why[0] = '\0';
        if (s_peer_decode(v.mv_data, v.mv_size, &pi, why) != VL_OK)
            s_problem(vf, "peers: the record of \"%s\" is malformed: %s", shown, why);
        else if (k.mv_size != strlen(pi.addr) || memcmp(k.mv_data, pi.addr, k.mv_size) != 0)
            s_problem(vf, "peers: the record stored under \"%s\" names another address", shown);
    }
    mdb_cursor_close(cur);
    return mrc == MDB_NOTFOUND ? VL_OK : VL_ESTORE;
}

int
vl_store_verify(vl_store_t *self, void (*report)(void *ctx, const char *line), void *ctx,
                size_t *problems)
{
    assert(self);
    s_verify_t vf;
    vl_root_t meta_acc;
    bool meta_acc_ok = false;
    memset(&vf, 0, sizeof vf);
    vf.self = self;
    vf.report = report;
    vf.ctx = ctx;
    if (problems)
        *problems = 0;
    int rc = s_txn_begin(self, true, &vf.txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = s_verify_log(&vf)) != VL_OK)
        goto out;
    if (!vf.state_ok && report)
        report(ctx, "note: the log could not be replayed completely, so the records were not "
                    "compared with it");
    if ((rc = s_verify_meta(&vf, &meta_acc, &meta_acc_ok)) != VL_OK ||
        (rc = s_verify_records(&vf, &meta_acc, meta_acc_ok)) != VL_OK ||
        (rc = s_verify_index(&vf)) != VL_OK || (rc = s_verify_work(&vf)) != VL_OK)
        goto out;
    rc = vf.problems ? VL_ECORRUPT : VL_OK;
out:
    s_read_end(self, &vf.txn);
    if (problems)
        *problems = vf.problems;
    s_map_free(&vf.map);
    free(vf.pids);
    free(vf.keys.buf);
    free(vf.keys.off);
    return rc;
}

/* ======================================================================== */
/* Federation support (docs/protocol.md; docs/store.md §2.4, §2.5, §3.3)    */
/* ======================================================================== */

int
vl_store_entry_bytes(vl_store_t *self, uint64_t seq, uint8_t **out, size_t *len, char *err)
{
    assert(self && out && len);
    MDB_txn *txn = NULL;
    MDB_val v;
    uint8_t key[8];
    *out = NULL;
    *len = 0;
    if (seq == 0)
        return vl_err(err, VL_ENOTFOUND, "no entry 0: the log starts at 1");
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    s_be64_put(key, seq);
    rc = s_get(self, txn, S_LOG, key, sizeof key, &v, err);
    if (rc == VL_ENOTFOUND) {
        rc = vl_err(err, VL_ENOTFOUND, "no entry %llu in the log", (unsigned long long)seq);
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    /* Served to peers as stored: they verify it. Only the size is ours to bound. */
    if (v.mv_size == 0 || v.mv_size > VL_MAX_ENTRY) {
        rc = vl_err(err, VL_ECORRUPT, "log entry %llu: %zu bytes (run verify)",
                    (unsigned long long)seq, v.mv_size);
        goto out;
    }
    if (!(*out = malloc(v.mv_size))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(*out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    rc = VL_OK;
out:
    s_read_end(self, &txn);
    return rc;
}

/* Raise meta "sigs_checked" to c->to (never lower it: another process may
 * have gone further meanwhile). */
typedef struct {
    uint64_t to;
    uint64_t now; /* out: the value stored */
} s_sigs_ctx_t;

static int
s_sigs_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_sigs_ctx_t *c = vctx;
    s_head_t h;
    uint64_t sc;
    int rc = s_head_load(self, txn, &h, false, err);
    if (rc != VL_OK || (rc = s_sigs_load(self, txn, h.seq, &sc, err)) != VL_OK)
        return rc;
    c->now = sc;
    if (c->to <= sc || c->to > h.seq)
        return VL_OK;
    c->now = c->to;
    return s_sigs_save(self, txn, c->to, err);
}

int
vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err)
{
    assert(self);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_entry_t *e = NULL;
    s_head_t h;
    uint64_t from = 0, good = 0;
    uint8_t key[8], prev[VL_HASH_LEN];
    char why[VL_ERRMSG_MAX] = "", bad[VL_ERRMSG_MAX] = "";
    int rc, mrc;
    if (checked)
        *checked = 0;
    if ((rc = s_txn_begin(self, true, &txn, err)) != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = s_head_load(self, txn, &h, false, err)) != VL_OK ||
        (rc = s_sigs_load(self, txn, h.seq, &from, err)) != VL_OK)
        goto out;
    good = from;
    if (max == 0 || from == h.seq)
        goto out; /* rc is VL_OK: nothing to do, *checked reports */
    uint64_t to = (uint64_t)max > h.seq - from ? h.seq : from + (uint64_t)max;

    /* The hash the first entry must link to. Verify and append_chain checked
     * the chain already; checking it again here makes "seq <= sigs_checked"
     * mean a signed, linked prefix even if the log was edited at rest. */
    if (from == 0) {
        memcpy(prev, vl_policy_hash(s_genesis(self)), VL_HASH_LEN);
    } else {
        MDB_val v;
        s_be64_put(key, from);
        if ((rc = s_get(self, txn, S_LOG, key, sizeof key, &v, err)) == VL_ENOTFOUND)
            rc = vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                        (unsigned long long)from);
        if (rc != VL_OK)
            goto out;
        if ((rc = vl_entry_parse(s_pol_for(self, from), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS,
                                 &e, why)) != VL_OK) {
            rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "entry %llu: %s",
                        (unsigned long long)from, why);
            goto out;
        }
        memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        vl_entry_destroy(&e);
    }
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_LOG], &cur)) != 0) {
        rc = s_lmdb(mrc, err, "cursor");
        goto out;
    }
    s_be64_put(key, from + 1);
    MDB_val k = s_val(key, sizeof key), v;
    uint64_t seq = from + 1;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); seq <= to;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), seq++) {
        if (mrc != 0 && mrc != MDB_NOTFOUND) {
            rc = s_lmdb(mrc, err, "cursor");
            goto out;
        }
        if (mrc == MDB_NOTFOUND || k.mv_size != 8 || s_be64_get(k.mv_data) != seq) {
            snprintf(bad, sizeof bad, "log: entry %llu is missing (run verify)",
                     (unsigned long long)seq);
            break;
        }
        why[0] = '\0';
        if ((rc = vl_entry_parse(s_pol_for(self, seq), v.mv_data, v.mv_size, 0, &e, why)) !=
            VL_OK) {
            if (rc == VL_ENOMEM)
                goto out;
            if (strncmp(why, "entry ", 6) == 0) /* the decoder already named it */
                snprintf(bad, sizeof bad, "%s", why);
            else
                snprintf(bad, sizeof bad, "entry %llu: %.200s", (unsigned long long)seq, why);
            break;
        }
        if (vl_entry_seq(e) != seq) {
            snprintf(bad, sizeof bad, "entry %llu: stored as entry %llu",
                     (unsigned long long)vl_entry_seq(e), (unsigned long long)seq);
            break;
        }
        if (memcmp(vl_entry_prev(e), prev, VL_HASH_LEN) != 0) {
            snprintf(bad, sizeof bad, "entry %llu: broken chain: prev is not the hash of entry "
                     "%llu", (unsigned long long)seq, (unsigned long long)seq - 1);
            break;
        }
        memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        vl_entry_destroy(&e);
        good = seq;
    }
    rc = VL_OK;
out:
    vl_entry_destroy(&e);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    if (rc != VL_OK)
        return rc;
    if (good > from) {
        /* Record the progress, up to (not past) a bad entry. */
        s_sigs_ctx_t c = { good, 0 };
        if ((rc = s_write(self, s_sigs_txn, &c, err)) != VL_OK)
            return rc;
        good = c.now;
    }
    if (checked)
        *checked = good;
    if (bad[0]) {
        if (err)
            snprintf(err, VL_ERRMSG_MAX, "%s", bad);
        return VL_ECORRUPT;
    }
    return VL_OK;
}

int
vl_store_pending_ids(vl_store_t *self, uint8_t (**ids)[VL_HASH_LEN], size_t *n,
                     uint8_t digest[VL_HASH_LEN])
{
    assert(self && ids && n);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_stat st;
    uint8_t(*all)[VL_HASH_LEN] = NULL;
    size_t cnt = 0;
    vl_hash_t hs;
    int rc, mrc;
    *ids = NULL;
    *n = 0;
    vl_hash_init(&hs, "valise/pending/1");
    if ((rc = s_txn_begin(self, true, &txn, NULL)) != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((mrc = mdb_stat(txn, self->dbi[S_PENDING], &st)) != 0 ||
        (mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur)) != 0) {
        rc = s_lmdb(mrc, NULL, "pending");
        goto out;
    }
    if (st.ms_entries > SIZE_MAX / VL_HASH_LEN) {
        rc = VL_ENOMEM;
        goto out;
    }
    if (st.ms_entries && !(all = malloc((size_t)st.ms_entries * VL_HASH_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* LMDB returns equal-length keys in memcmp order: sorted, distinct. */
        if (k.mv_size != VL_HASH_LEN || cnt >= st.ms_entries) {
            rc = VL_ECORRUPT;
            goto out;
        }
        memcpy(all[cnt], k.mv_data, VL_HASH_LEN);
        vl_hash_update(&hs, k.mv_data, VL_HASH_LEN);
        cnt++;
    }
    if (mrc != MDB_NOTFOUND) {
        rc = s_lmdb(mrc, NULL, "cursor");
        goto out;
    }
    if (digest)
        vl_hash_final(&hs, digest);
    *ids = all;
    *n = cnt;
    all = NULL;
    rc = VL_OK;
out:
    free(all);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* Copy out the value of id in db after checking it with check(): pending
 * proposals and rejections are relayed to peers, so a value altered at rest
 * is refused here (VL_ECORRUPT) rather than sent. */
static int
s_copy_checked(vl_store_t *self, int db, const uint8_t id[VL_HASH_LEN],
               int (*check)(vl_store_t *self, const uint8_t *b, size_t len,
                            const uint8_t id[VL_HASH_LEN]),
               uint8_t **out, size_t *len)
{
    MDB_txn *txn = NULL;
    MDB_val v;
    *out = NULL;
    *len = 0;
    int rc = s_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = s_get(self, txn, db, id, VL_HASH_LEN, &v, NULL)) != VL_OK)
        goto out;
    if ((rc = check(self, v.mv_data, v.mv_size, id)) != VL_OK)
        goto out;
    if (!(*out = malloc(v.mv_size ? v.mv_size : 1))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(*out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    rc = VL_OK;
out:
    s_read_end(self, &txn);
    return rc;
}

static int
s_check_prop(vl_store_t *self, const uint8_t *b, size_t len, const uint8_t id[VL_HASH_LEN])
{
    vl_proposal_t *p = NULL;
    int rc = vl_proposal_parse(self->pol, b, len, &p, NULL);
    if (rc == VL_OK && memcmp(vl_proposal_id(p), id, VL_HASH_LEN) != 0)
        rc = VL_ECORRUPT;
    vl_proposal_destroy(&p);
    return rc == VL_OK || rc == VL_ENOMEM ? rc : VL_ECORRUPT;
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
        rc = s_rej_parse(self, b, len, &r, NULL);
        vl_rejection_destroy(&r);
        return rc == VL_OK ? VL_ENOTFOUND : rc == VL_ENOMEM ? rc : VL_ECORRUPT;
    }
    if (rc == VL_OK && memcmp(vl_rejection_proposal(r), id, VL_HASH_LEN) != 0)
        rc = VL_ECORRUPT;
    vl_rejection_destroy(&r);
    return rc == VL_OK || rc == VL_ENOMEM ? rc : VL_ECORRUPT;
}

int
vl_store_pending_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                       size_t *len)
{
    assert(self && id && out && len);
    return s_copy_checked(self, S_PENDING, id, s_check_prop, out, len);
}

int
vl_store_rejection_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                         size_t *len)
{
    assert(self && id && out && len);
    return s_copy_checked(self, S_REJECTIONS, id, s_check_rej, out, len);
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
    s_short(pid, hex);
    if ((rc = s_settled(self, txn, pid, &kind, NULL, err)) != VL_OK)
        return rc;
    if (kind == 'E')
        return VL_OK; /* the log settled it: the entry wins, the rejection is moot */
    if (kind == 'R')
        return vl_err(err, VL_EEXIST, "proposal %s was already rejected", hex);
    /* Recorded whether or not the proposal is pending here: if it arrives
     * later, propose refuses it as settled. */
    if ((rc = s_put(self, txn, S_REJECTIONS, pid, VL_HASH_LEN, c->bytes, c->len, 0, err)) !=
            VL_OK ||
        (rc = s_put(self, txn, S_SETTLED, pid, VL_HASH_LEN, "R", 1, 0, err)) != VL_OK ||
        (rc = s_del(self, txn, S_PENDING, pid, VL_HASH_LEN, err)) != VL_OK ||
        (rc = s_del(self, txn, S_CANDIDATES, pid, VL_HASH_LEN, err)) != VL_OK)
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
    rc = s_write(self, s_accept_rej_txn, &c, err);
    vl_rejection_destroy(&r);
    return rc;
}

/* ---- peers: key = addr, value = canonical map of vl_peer_info_t ------------ */

static const char *const s_peer_keys[] = { "addr", "dropped", "last_contact", "last_error",
                                           "pk", "received", "sent", "state",
                                           "their_pending", "their_seq", NULL };

/* Text of a peer record: at most cap-1 bytes, at least min, no control
 * character (it is shown by `valise status`). */
static bool
s_peer_text_ok(const char *s, size_t len, size_t min, size_t cap)
{
    if (len < min || len >= cap)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static int
s_peer_str(vl_val_t map, const char *key, char *buf, size_t cap, size_t min, char *err)
{
    const char *p;
    size_t len;
    if (vl_val_str(vl_val_get(map, key), &p, &len) != VL_OK || !s_peer_text_ok(p, len, min, cap))
        return vl_err(err, VL_EPROTO, "peer.%s: not a text of %zu..%zu characters", key, min,
                      cap - 1);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return VL_OK;
}

/* Strict decode of a peers value (hostile store bytes). VL_OK or VL_EPROTO /
 * VL_ELIMIT / VL_ENOMEM with the field in err. */
static int
s_peer_decode(const uint8_t *buf, size_t len, vl_peer_info_t *p, char *err)
{
    vl_doc_t *doc = NULL;
    int rc;
    memset(p, 0, sizeof *p);
    if ((rc = vl_doc_parse(buf, len, 1, &doc, err)) != VL_OK)
        goto out;
    vl_val_t m = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(m, s_peer_keys, NULL, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "addr", p->addr, sizeof p->addr, 1, err)) != VL_OK ||
        (rc = vl_field_uint(m, "dropped", &p->dropped, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "last_contact", &p->last_contact, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "last_error", p->last_error, sizeof p->last_error, 0, err)) !=
            VL_OK ||
        (rc = vl_field_bin_exact(m, "pk", p->pk, VL_PK_LEN, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "received", &p->received, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "sent", &p->sent, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "state", p->state, sizeof p->state, 1, err)) != VL_OK ||
        (rc = vl_field_uint(m, "their_pending", &p->their_pending, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "their_seq", &p->their_seq, "peer", err)) != VL_OK)
        goto out;
    rc = VL_OK;
out:
    if (rc != VL_OK)
        memset(p, 0, sizeof *p);
    vl_doc_destroy(&doc);
    return rc;
}

/* Encode p (caller data) and decode it back with the reader's rules, so that
 * nothing is stored that peers_each would refuse. */
static int
s_peer_encode(const vl_peer_info_t *p, vl_wr_t *w, char *err)
{
    vl_peer_info_t back;
    char why[VL_ERRMSG_MAX] = "";
    size_t al = strnlen(p->addr, sizeof p->addr), sl = strnlen(p->state, sizeof p->state),
           el = strnlen(p->last_error, sizeof p->last_error);
    if (!s_peer_text_ok(p->addr, al, 1, sizeof p->addr) ||
        !s_peer_text_ok(p->state, sl, 1, sizeof p->state) ||
        !s_peer_text_ok(p->last_error, el, 0, sizeof p->last_error))
        return vl_err(err, VL_EINVAL, "peer record: addr, state and last_error must be "
                      "NUL-terminated text without control characters (addr, state not empty)");
    vl_wr_map(w, 10);
    vl_wr_cstr(w, "addr");
    vl_wr_str(w, p->addr, al);
    vl_wr_cstr(w, "dropped");
    vl_wr_uint(w, p->dropped);
    vl_wr_cstr(w, "last_contact");
    vl_wr_uint(w, p->last_contact);
    vl_wr_cstr(w, "last_error");
    vl_wr_str(w, p->last_error, el);
    vl_wr_cstr(w, "pk");
    vl_wr_bin(w, p->pk, VL_PK_LEN);
    vl_wr_cstr(w, "received");
    vl_wr_uint(w, p->received);
    vl_wr_cstr(w, "sent");
    vl_wr_uint(w, p->sent);
    vl_wr_cstr(w, "state");
    vl_wr_str(w, p->state, sl);
    vl_wr_cstr(w, "their_pending");
    vl_wr_uint(w, p->their_pending);
    vl_wr_cstr(w, "their_seq");
    vl_wr_uint(w, p->their_seq);
    int rc = vl_wr_status(w);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_peer_decode(vl_wr_data(w), vl_wr_len(w), &back, why)) != VL_OK)
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_EINVAL, "peer record: %s", why);
    return VL_OK;
}

typedef struct {
    const vl_peer_info_t *p;
    vl_wr_t *w;
} s_peer_ctx_t;

static int
s_peer_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_peer_ctx_t *c = vctx;
    return s_put(self, txn, S_PEERS, c->p->addr, strlen(c->p->addr), vl_wr_data(c->w),
                 vl_wr_len(c->w), 0, err);
}

int
vl_store_peer_put(vl_store_t *self, const vl_peer_info_t *p, char *err)
{
    assert(self && p);
    s_peer_ctx_t c = { p, vl_wr_new() };
    int rc = c.w ? s_peer_encode(p, c.w, err) : VL_ENOMEM;
    if (rc == VL_OK)
        rc = s_write(self, s_peer_txn, &c, err);
    vl_wr_destroy(&c.w);
    return rc;
}

int
vl_store_peers_each(vl_store_t *self, int (*cb)(void *ctx, const vl_peer_info_t *p),
                    void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    vl_peer_info_t *all = NULL;
    size_t n = 0, cap = 0;
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_PEERS], &cur)) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            vl_peer_info_t *grown = realloc(all, ncap * sizeof *grown);
            if (!grown) {
                rc = VL_ENOMEM;
                goto out;
            }
            all = grown;
            cap = ncap;
        }
        if ((rc = s_peer_decode(v.mv_data, v.mv_size, &all[n], NULL)) != VL_OK) {
            rc = rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT;
            goto out;
        }
        if (k.mv_size != strlen(all[n].addr) || memcmp(k.mv_data, all[n].addr, k.mv_size) != 0) {
            rc = VL_ECORRUPT;
            goto out;
        }
        n++;
    }
    if (mrc != MDB_NOTFOUND) {
        rc = VL_ESTORE;
        goto out;
    }
    /* The callback runs after the txn: it may write (e.g. peer_put). */
    mdb_cursor_close(cur);
    cur = NULL;
    s_read_end(self, &txn);
    rc = VL_OK;
    for (size_t i = 0; i < n && rc == VL_OK; i++)
        rc = cb(ctx, &all[i]);
out:
    free(all);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

/* ======================================================================== */
/* Policy versions (docs/trust.md §1, §2)                                    */
/* ======================================================================== */

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
    return s_pol_for(self, seq);
}

/* The header field `key` (uint) of a {"hdr": bin, ...} document, read
 * through the codec before the document is judged (to pick the policy
 * version that judges it). */
static int
s_peek_uint(const uint8_t *buf, size_t len, const char *key, uint64_t *out, char *err)
{
    vl_doc_t *doc = NULL, *hdr = NULL;
    const uint8_t *hb;
    size_t hlen;
    int rc = vl_doc_parse(buf, len, 0, &doc, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = vl_val_bin(vl_val_get(vl_doc_root(doc), "hdr"), &hb, &hlen)) != VL_OK) {
        rc = vl_err(err, VL_EPROTO, "document has no header");
        goto out;
    }
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdr, err)) != VL_OK ||
        (rc = vl_field_uint(vl_doc_root(hdr), key, out, "header", err)) != VL_OK)
        goto out;
out:
    vl_doc_destroy(&hdr);
    vl_doc_destroy(&doc);
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
    if ((rc = s_head_load(self, txn, &h, false, err)) != VL_OK)
        return rc;
    if (h.seq >= from)
        return vl_err(err, VL_ECHAIN,
                      "policy version %llu starts at entry %llu, but this log already holds "
                      "entry %llu under version %llu (another history)",
                      (unsigned long long)ver, (unsigned long long)from,
                      (unsigned long long)h.seq,
                      (unsigned long long)vl_policy_version(s_pol_for(self, h.seq)));
    if (h.seq + 1 == from && memcmp(h.hash, vl_policy_after(c->next), VL_HASH_LEN) != 0)
        return vl_err(err, VL_ECHAIN,
                      "policy version %llu was made after another entry %llu than this log's "
                      "(another history)", (unsigned long long)ver, (unsigned long long)h.seq);
    s_be64_put(key, ver);
    if ((rc = s_put(self, txn, S_POLICIES, key, sizeof key, c->doc, c->len, MDB_NOOVERWRITE,
                    err)) != VL_OK)
        return rc == VL_EEXIST ? vl_err(err, VL_ECORRUPT, "policies: version %llu exists",
                                        (unsigned long long)ver)
                               : rc;
    /* Pending proposals whose author lost the right to make them, or made
     * under an older content-key epoch, can never be approved: drop them
     * with their candidates (their authors propose again). */
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_PENDING], &cur)) != 0)
        return s_lmdb(mrc, err, "pending cursor");
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
            return mrc == MDB_MAP_FULL ? S_MAP_FULL : s_lmdb(mrc, err, "pending del");
        }
        if ((rc = s_del(self, txn, S_CANDIDATES, id, VL_HASH_LEN, err)) != VL_OK) {
            mdb_cursor_close(cur);
            return rc;
        }
        c->dropped++;
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        return s_lmdb(mrc, err, "pending cursor");
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
    if ((rc = s_peek_uint(doc, len, "version", &ver, err)) != VL_OK)
        return rc;
    if (ver == 0)
        return vl_err(err, VL_EPROTO, "policy version 0");
    {
        /* Refresh the chain: another process may have adopted versions. */
        MDB_txn *txn = NULL;
        if ((rc = s_txn_begin(self, true, &txn, err)) != VL_OK)
            return rc;
        s_read_end(self, &txn);
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
            if ((rc = s_ckey(self, e, &old, err)) != VL_OK)
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
            if ((rc = s_ckey(self, o, &old, err)) != VL_OK)
                goto out;
            if (sodium_memcmp(old, k, VL_KEY_LEN) == 0) {
                rc = vl_err(err, VL_EAUTH, "policy version %llu: the key of new content-key "
                            "epoch %u is the key of epoch %u", (unsigned long long)ver, e, o);
                goto out;
            }
        }
    }
    s_adopt_ctx_t c = { doc, len, next, 0 };
    if ((rc = s_write(self, s_adopt_txn, &c, err)) != VL_OK)
        goto out;
    rc = s_pols_push(self, &next);
out:
    vl_secure_free(&k);
    vl_policy_destroy(&next);
    return rc;
}

/* ======================================================================== */
/* Freshness (docs/trust.md §3)                                             */
/* ======================================================================== */

/* The link of our entry seq (the genesis hash for 0), in txn. */
static int
s_link_at(vl_store_t *self, MDB_txn *txn, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err)
{
    uint8_t key[8];
    MDB_val v;
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX] = "";
    if (seq == 0) {
        memcpy(link, vl_policy_hash(s_genesis(self)), VL_HASH_LEN);
        return VL_OK;
    }
    s_be64_put(key, seq);
    int rc = s_get(self, txn, S_LOG, key, sizeof key, &v, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                      (unsigned long long)seq);
    if (rc != VL_OK)
        return rc;
    rc = vl_entry_parse(s_pol_for(self, seq), v.mv_data, v.mv_size, VL_ENTRY_NO_SIGS, &e, why);
    if (rc != VL_OK)
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "entry %llu: %s",
                      (unsigned long long)seq, why);
    memcpy(link, vl_entry_hash(e), VL_HASH_LEN);
    vl_entry_destroy(&e);
    return VL_OK;
}

int
vl_store_link(vl_store_t *self, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err)
{
    assert(self && link);
    MDB_txn *txn = NULL;
    s_head_t h;
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_head_load(self, txn, &h, false, err)) == VL_OK) {
        if (seq > h.seq)
            rc = vl_err(err, VL_ENOTFOUND, "entry %llu is beyond the head (%llu)",
                        (unsigned long long)seq, (unsigned long long)h.seq);
        else
            rc = s_link_at(self, txn, seq, link, err);
    }
    s_read_end(self, &txn);
    return rc;
}

/* The stored statement, parsed against the current version: VL_ENOTFOUND if
 * there is none or it no longer verifies (its signer was replaced). */
static int
s_fresh_load(vl_store_t *self, MDB_txn *txn, vl_fresh_t *f, MDB_val *raw, char *err)
{
    int rc = s_get(self, txn, S_META, "fresh", 5, raw, err);
    if (rc != VL_OK)
        return rc;
    if (vl_fresh_parse(self->pol, raw->mv_data, raw->mv_size, f, NULL) != VL_OK)
        return VL_ENOTFOUND;
    return VL_OK;
}

typedef struct {
    const uint8_t *stmt;
    size_t len;
    const vl_fresh_t *f;
} s_fresh_ctx_t;

static int
s_fresh_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_fresh_ctx_t *c = vctx;
    vl_fresh_t old;
    MDB_val raw;
    s_head_t h;
    uint8_t link[VL_HASH_LEN];
    int rc = s_fresh_load(self, txn, &old, &raw, err);
    if (rc == VL_OK) {
        if (raw.mv_size == c->len && memcmp(raw.mv_data, c->stmt, c->len) == 0)
            return vl_err(err, VL_EEXIST, "this freshness statement is already here");
        if (c->f->issued <= old.issued || c->f->seq < old.seq)
            return vl_err(err, VL_ESTALE,
                          "freshness statement (entry %llu, issued %llu) is older than the one "
                          "held (entry %llu, issued %llu): rollback refused",
                          (unsigned long long)c->f->seq, (unsigned long long)c->f->issued,
                          (unsigned long long)old.seq, (unsigned long long)old.issued);
    } else if (rc != VL_ENOTFOUND) {
        return rc;
    }
    if (err)
        err[0] = '\0';
    if ((rc = s_head_load(self, txn, &h, false, err)) != VL_OK)
        return rc;
    if (c->f->seq <= h.seq) {
        if ((rc = s_link_at(self, txn, c->f->seq, link, err)) != VL_OK)
            return rc;
        if (memcmp(link, c->f->head, VL_HASH_LEN) != 0)
            return vl_err(err, VL_ECHAIN, "freshness statement names another entry %llu than "
                          "this log's (another history)", (unsigned long long)c->f->seq);
    }
    return s_meta_put(self, txn, "fresh", c->stmt, c->len, err);
}

int
vl_store_fresh_put(vl_store_t *self, const uint8_t *stmt, size_t len, uint64_t now, char *err)
{
    assert(self && stmt);
    vl_fresh_t f;
    int rc = vl_fresh_parse(self->pol, stmt, len, &f, err);
    if (rc != VL_OK)
        return rc;
    if (f.issued > now && f.issued - now > VL_CLOCK_SKEW)
        return vl_err(err, VL_EINVAL, "freshness statement issued %llu s in the future (more "
                      "than the %u s clock skew allowed)",
                      (unsigned long long)(f.issued - now), VL_CLOCK_SKEW);
    s_fresh_ctx_t c = { stmt, len, &f };
    return s_write(self, s_fresh_txn, &c, err);
}

int
vl_store_fresh_bytes(vl_store_t *self, uint8_t **out, size_t *len)
{
    assert(self && out && len);
    MDB_txn *txn = NULL;
    MDB_val v;
    *out = NULL;
    *len = 0;
    int rc = s_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_get(self, txn, S_META, "fresh", 5, &v, NULL)) == VL_OK) {
        if (v.mv_size == 0 || v.mv_size > VL_FRESH_MAX) {
            rc = VL_ECORRUPT;
        } else if (!(*out = malloc(v.mv_size))) {
            rc = VL_ENOMEM;
        } else {
            memcpy(*out, v.mv_data, v.mv_size);
            *len = v.mv_size;
        }
    }
    s_read_end(self, &txn);
    return rc;
}

int
vl_store_freshness(vl_store_t *self, uint64_t now, vl_freshness_t *out, char *err)
{
    assert(self && out);
    MDB_txn *txn = NULL;
    MDB_val raw;
    s_head_t h;
    vl_fresh_t f;
    memset(out, 0, sizeof *out);
    int rc = s_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_head_load(self, txn, &h, false, err)) != VL_OK)
        goto out;
    out->head = h.seq;
    rc = s_fresh_load(self, txn, &f, &raw, err);
    if (rc == VL_ENOTFOUND) {
        if (err)
            err[0] = '\0';
        out->state = vl_policy_fresh(self->pol) ? VL_FRESH_UNKNOWN : VL_FRESH_UNCONFIGURED;
        rc = VL_OK;
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    if (f.seq <= h.seq) {
        /* Stored while we were behind: it must name our entry at its seq. */
        uint8_t link[VL_HASH_LEN];
        if ((rc = s_link_at(self, txn, f.seq, link, err)) != VL_OK)
            goto out;
        if (memcmp(link, f.head, VL_HASH_LEN) != 0) {
            out->state = VL_FRESH_UNKNOWN; /* it is no statement about this log */
            goto out;
        }
    }
    out->have = true;
    out->issued = f.issued;
    out->expires = f.expires;
    out->seq = f.seq;
    if (now > f.expires && now - f.expires > VL_CLOCK_SKEW)
        out->state = VL_FRESH_STALE;
    else if (f.seq > h.seq)
        out->state = VL_FRESH_BEHIND;
    else
        out->state = VL_FRESH_OK;
out:
    s_read_end(self, &txn);
    return rc;
}

static void
s_utc(uint64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm))
        snprintf(buf, size, "%llu", (unsigned long long)t);
}

void
vl_freshness_text(const vl_freshness_t *f, char *buf, size_t size)
{
    char t[64];
    assert(f && buf && size);
    buf[0] = '\0';
    switch (f->state) {
    case VL_FRESH_UNCONFIGURED:
    case VL_FRESH_OK:
        return;
    case VL_FRESH_UNKNOWN:
        snprintf(buf, size, "directory may be stale: no freshness statement from the "
                 "Secretariat's node has reached this replica");
        return;
    case VL_FRESH_BEHIND:
        s_utc(f->issued, t, sizeof t);
        snprintf(buf, size, "directory is behind: the Secretariat's node had entry %llu at %s, "
                 "this replica has entry %llu", (unsigned long long)f->seq, t,
                 (unsigned long long)f->head);
        return;
    case VL_FRESH_STALE:
        s_utc(f->expires, t, sizeof t);
        snprintf(buf, size, "directory may be stale since %s: the newest statement of the "
                 "Secretariat's node (entry %llu) expired then; this replica has entry %llu",
                 t, (unsigned long long)f->seq, (unsigned long long)f->head);
        return;
    }
}

/* ======================================================================== */
/* Equivocation (docs/trust.md §5)                                          */
/* ======================================================================== */

int
vl_store_entry_parse(const vl_store_t *self, const uint8_t *buf, size_t len, unsigned flags,
                     vl_entry_t **e, char *err)
{
    assert(self && e);
    *e = NULL;
    uint64_t seq;
    int rc = s_peek_uint(buf, len, "seq", &seq, err);
    if (rc != VL_OK)
        return rc;
    if (seq == 0)
        return vl_err(err, VL_EPROTO, "entry: seq 0");
    const vl_policy_t *pol = s_pol_for(self, seq);
    rc = vl_entry_parse(pol, buf, len, flags, e, err);
    if (rc == VL_ENOTFOUND && pol != self->pol)
        rc = VL_EPERM;
    return rc;
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
    s_be64_put(key, seq);
    int rc = s_get(self, txn, S_EVIDENCE, key, sizeof key, &v, err);
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
    s_be32_put(val, (uint32_t)al);
    memcpy(val + 4, ab, al);
    s_be32_put(val + 4 + al, (uint32_t)bl);
    memcpy(val + 8 + al, bb, bl);
    rc = s_put(self, txn, S_EVIDENCE, key, sizeof key, val, n, 0, err);
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
    if (seq <= s_pinned_upto(self))
        return vl_err(err, VL_ECHAIN,
                      "entry %llu: a policy version pins the history up to entry %llu: two "
                      "entries there are another history (old keys), not evidence",
                      (unsigned long long)seq, (unsigned long long)s_pinned_upto(self));
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
    if ((rc = s_txn_begin(self, true, &txn, err)) != VL_OK ||
        (rc = s_head_load(self, txn, &h, false, err)) != VL_OK)
        goto out;
    if (seq > h.seq) {
        rc = vl_err(err, VL_ENOTFOUND, "entry %llu is beyond this log's head (%llu)",
                    (unsigned long long)seq, (unsigned long long)h.seq);
        goto out;
    }
    s_be64_put(key, seq);
    if ((rc = s_get(self, txn, S_LOG, key, sizeof key, &v, err)) != VL_OK) {
        if (rc == VL_ENOTFOUND)
            rc = vl_err(err, VL_ECORRUPT, "log: entry %llu is missing (run verify)",
                        (unsigned long long)seq);
        goto out;
    }
    if ((rc = vl_entry_parse(s_pol_for(self, seq), v.mv_data, v.mv_size, 0, &ours, why)) !=
        VL_OK) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "our entry %llu: %s",
                    (unsigned long long)seq, why);
        goto out;
    }
    s_read_end(self, &txn);
    if (memcmp(vl_entry_hash(ours), vl_entry_hash(theirs), VL_HASH_LEN) == 0) {
        rc = VL_OK;
        goto out;
    }
    s_evidence_ctx_t c = { ours, theirs };
    rc = s_write(self, s_evidence_txn, &c, err);
    if (rc == VL_OK || rc == VL_EEXIST)
        rc = s_fork_msg(ours, theirs, err);
out:
    s_read_end(self, &txn);
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
    s_evidence_ctx_t c = { ea, eb };
    rc = s_write(self, s_evidence_txn, &c, err);
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

int
vl_store_evidence_each(vl_store_t *self,
                       int (*cb)(void *ctx, uint64_t seq, const uint8_t *a, size_t alen,
                                 const uint8_t *b, size_t blen),
                       void *ctx)
{
    assert(self && cb);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    s_fork_t *all = NULL;
    size_t n = 0;
    MDB_val k, v;
    int rc = s_txn_begin(self, true, &txn, NULL), mrc;
    if (rc != VL_OK)
        return rc;
    if ((mrc = mdb_cursor_open(txn, self->dbi[S_EVIDENCE], &cur)) != 0) {
        rc = VL_ESTORE;
        goto out;
    }
    /* Forks at or below a policy pin are settled: not listed. */
    uint8_t first[8];
    s_be64_put(first, s_pinned_upto(self) + 1);
    k = s_val(first, sizeof first);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        size_t al, bl;
        if (k.mv_size != 8 || v.mv_size < 8 || (al = s_be32_get(p)) == 0 ||
            al > VL_MAX_ENTRY || al > v.mv_size - 8 ||
            (bl = s_be32_get(p + 4 + al)) == 0 || bl != v.mv_size - 8 - al) {
            rc = VL_ECORRUPT;
            goto out;
        }
        s_fork_t *grown = realloc(all, (n + 1) * sizeof *grown);
        if (!grown) {
            rc = VL_ENOMEM;
            goto out;
        }
        all = grown;
        if (!(all[n].val = malloc(v.mv_size))) {
            rc = VL_ENOMEM;
            goto out;
        }
        memcpy(all[n].val, p, v.mv_size);
        all[n].seq = s_be64_get(k.mv_data);
        all[n].alen = al;
        all[n].blen = bl;
        n++;
    }
    if (mrc != MDB_NOTFOUND) {
        rc = VL_ESTORE;
        goto out;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    s_read_end(self, &txn);
    rc = VL_OK;
    for (size_t i = 0; i < n && rc == VL_OK; i++)
        rc = cb(ctx, all[i].seq, all[i].val + 4, all[i].alen, all[i].val + 8 + all[i].alen,
                all[i].blen);
out:
    for (size_t i = 0; i < n; i++)
        free(all[i].val);
    free(all);
    if (cur)
        mdb_cursor_close(cur);
    s_read_end(self, &txn);
    return rc;
}

uint64_t
vl_store_fork_seq(vl_store_t *self)
{
    assert(self);
    MDB_txn *txn = NULL;
    uint64_t seq = 0;
    if (s_txn_begin(self, true, &txn, NULL) != VL_OK)
        return 0;
    s_fork_seq_txn(self, txn, &seq, NULL);
    s_read_end(self, &txn);
    return seq;
}

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

#define T_NOW 1700000100u

static char s_t_base[512];

static int
s_t_mkdir(char out[600])
{
    const char *base = getenv("VL_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    snprintf(s_t_base, sizeof s_t_base, "%s", base);
    mkdir(s_t_base, 0700); /* VL_TEST_TMP may not exist yet */
    snprintf(out, 600, "%s/vl-store-XXXXXX", s_t_base);
    return mkdtemp(out) ? VL_OK : VL_EIO;
}

static void
s_t_rmdir(const char *dir)
{
    char p[700];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

static uint8_t *
s_t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
            fread(buf, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
    }
    fclose(f);
    if (!*len) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* Copy the (closed) store in src into a new directory dst. */
static int
s_t_copy(const char *src, char dst[600])
{
    char p[700];
    size_t len;
    snprintf(p, sizeof p, "%s/data.mdb", src);
    uint8_t *buf = s_t_read_file(p, &len);
    if (!buf || s_t_mkdir(dst) != VL_OK) {
        free(buf);
        return VL_EIO;
    }
    snprintf(p, sizeof p, "%s/data.mdb", dst);
    FILE *f = fopen(p, "wb");
    int rc = (f && fwrite(buf, 1, len, f) == len) ? VL_OK : VL_EIO;
    if (f && fclose(f) != 0)
        rc = VL_EIO;
    free(buf);
    return rc;
}

/* Raw LMDB access to a closed store, to tamper with it. */
typedef struct {
    MDB_env *env;
    MDB_txn *txn;
} s_raw_t;

static int
s_raw_begin(s_raw_t *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    if (mdb_env_create(&r->env) || mdb_env_set_maxdbs(r->env, S_MAXDBS) ||
        mdb_env_open(r->env, dir, MDB_NOTLS, 0600) || mdb_txn_begin(r->env, NULL, 0, &r->txn))
        return VL_ESTORE;
    return VL_OK;
}

static MDB_dbi
s_raw_db(s_raw_t *r, const char *name)
{
    MDB_dbi dbi = 0;
    if (mdb_dbi_open(r->txn, name, 0, &dbi) != 0)
        fprintf(stderr, "raw: no database %s\n", name);
    return dbi;
}

static int
s_raw_end(s_raw_t *r)
{
    int rc = r->txn ? mdb_txn_commit(r->txn) : 0;
    if (r->env)
        mdb_env_close(r->env);
    return rc ? VL_ESTORE : VL_OK;
}

/* Read a value, flip one byte of it (offset from the end if negative), write it back. */
static int
s_raw_flip(s_raw_t *r, const char *db, const void *key, size_t klen, long at)
{
    MDB_dbi dbi = s_raw_db(r, db);
    MDB_val k = s_val(key, klen), v;
    if (mdb_get(r->txn, dbi, &k, &v) != 0 || v.mv_size == 0)
        return VL_ENOTFOUND;
    uint8_t *copy = malloc(v.mv_size);
    if (!copy)
        return VL_ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    size_t i = at >= 0 ? (size_t)at : v.mv_size - (size_t)(-at);
    copy[i % v.mv_size] ^= 0x01;
    MDB_val nv = s_val(copy, v.mv_size);
    int mrc = mdb_put(r->txn, dbi, &k, &nv, 0);
    free(copy);
    return mrc ? VL_ESTORE : VL_OK;
}

/* Realistic record sizes (1-2 KiB): the free comments of a directory entry. */
static const char s_t_filler[] =
    "Requests may be sent in English or French. Urgent requests may be sent in advance by "
    "e-mail or through INTERPOL, followed by the original through diplomatic channels. The "
    "request must state the authority conducting the investigation, the subject matter and "
    "nature of the investigation, a summary of the relevant facts, a description of the "
    "evidence or assistance sought and the purpose for which it is sought, and where "
    "possible the identity and location of any person concerned. Dual criminality is "
    "required for coercive measures. See the national mutual legal assistance act and the "
    "bilateral and regional treaties listed for this State.";

static int
s_t_authority(const char *id, const char *state, const char *phone, const char *funcs,
              const char *langs, uint8_t **body, size_t *len)
{
    char json[4096], err[VL_ERRMSG_MAX] = "";
    snprintf(json, sizeof json,
             "{\"kind\":\"authority\",\"id\":\"%s\",\"state\":\"%s\","
             "\"name\":{\"en\":\"Central authority %s\"},"
             "\"functions\":[%s],\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
             "\"contact\":{\"address\":{\"en\":\"1 Example Street\"},\"phones\":[\"%s\"]},"
             "\"persons\":[{\"name\":\"Officer %s\",\"phones\":[\"%s\"]}],"
             "\"languages\":[%s],\"interpol\":true,\"untoc_16_5\":false,"
             "\"comments\":{\"en\":\"%s\"}}",
             id, state, id, funcs, phone, id, phone, langs, s_t_filler);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: record %s: %s\n", id, err);
    return rc;
}

static int
s_t_agreement(const char *id, const char *a, const char *b, uint8_t **body, size_t *len)
{
    char json[1024], err[VL_ERRMSG_MAX] = "";
    snprintf(json, sizeof json,
             "{\"kind\":\"agreement\",\"id\":\"%s\",\"title\":{\"en\":\"Treaty %s\"},"
             "\"type\":\"bilateral\",\"subjects\":[\"mla\",\"extradition\"],"
             "\"parties\":[\"%s\",\"%s\"],\"status\":\"in_force\"}",
             id, id, a, b);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: agreement %s: %s\n", id, err);
    return rc;
}

/* A proposal of puts (bodies[i], base bases[i]) or, with dels[i], deletes. */
static int
s_t_prop(const vl_testnet_t *tn, const vl_keypair_t *author, size_t n,
         uint8_t *const *bodies, const size_t *lens, const uint64_t *bases, const bool *dels,
         uint8_t **out, size_t *out_len)
{
    vl_op_t *ops = calloc(n, sizeof *ops);
    const uint8_t **b = calloc(n, sizeof *b);
    size_t *l = calloc(n, sizeof *l);
    char err[VL_ERRMSG_MAX] = "";
    int rc = (ops && b && l) ? VL_OK : VL_ENOMEM;
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        vl_record_t *rec = NULL;
        if ((rc = vl_record_parse(bodies[i], lens[i], &rec, err)) == VL_OK)
            rc = vl_op_from_record(&ops[i], rec, bases[i]);
        vl_record_destroy(&rec);
        ops[i].del = dels && dels[i];
        b[i] = ops[i].del ? NULL : bodies[i];
        l[i] = ops[i].del ? 0 : lens[i];
    }
    if (rc == VL_OK)
        rc = vl_proposal_make(tn->pol, author, tn->ckey, T_NOW, ops, b, l, n, out, out_len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: proposal: %s: %s\n", vl_strerror(rc), err);
    free(ops);
    free(b);
    free(l);
    return rc;
}

static int
s_t_prop1(const vl_testnet_t *tn, const vl_keypair_t *author, uint8_t *body, size_t len,
          uint64_t base, bool del, uint8_t **out, size_t *out_len)
{
    return s_t_prop(tn, author, 1, &body, &len, &base, &del, out, out_len);
}

/* Propose, then approve by both approvers. */
static int
s_t_settle(vl_store_t *st, const vl_testnet_t *tn, const uint8_t *prop, size_t len,
           uint64_t *seq)
{
    uint8_t id[VL_HASH_LEN];
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_store_propose(st, prop, len, id, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, id, tn->a1, T_NOW, NULL, NULL, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, id, tn->a2, T_NOW, seq, NULL, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: settle: %s: %s\n", vl_strerror(rc), err);
    return rc;
}

/* From-scratch root and a digest of every current (id, rev, body). */
typedef struct {
    vl_root_t acc;
    vl_hash_t h;
    size_t n;
} s_t_scan_t;

static int
s_t_scan_cb(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_t_scan_t *s = ctx;
    size_t len;
    const uint8_t *body = vl_record_body(rec, &len);
    uint8_t leaf[VL_HASH_LEN];
    vl_root_leaf(leaf, vl_record_id(rec), rev, body, len);
    vl_root_insert(&s->acc, leaf);
    vl_hash_lp(&s->h, vl_record_id(rec), strlen(vl_record_id(rec)));
    vl_hash_u64(&s->h, rev);
    vl_hash_lp(&s->h, body, len);
    s->n++;
    return 0;
}

static int
s_t_scan(vl_store_t *st, uint8_t root[VL_HASH_LEN], uint8_t digest[VL_HASH_LEN], size_t *n)
{
    s_t_scan_t s;
    vl_query_t q;
    memset(&q, 0, sizeof q);
    vl_root_clear(&s.acc);
    vl_hash_init(&s.h, "valise/test/scan");
    s.n = 0;
    int rc = vl_store_find(st, &q, s_t_scan_cb, &s);
    vl_root_digest(&s.acc, root);
    vl_hash_final(&s.h, digest);
    if (n)
        *n = s.n;
    return rc;
}

typedef struct {
    char ids[1024][VL_MAX_ID + 1];
    size_t n;
    bool sorted;
} s_t_ids_t;

static int
s_t_ids_cb(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_t_ids_t *c = ctx;
    if (c->n < 1024) {
        if (c->n && strcmp(c->ids[c->n - 1], vl_record_id(rec)) >= 0)
            c->sorted = false;
        snprintf(c->ids[c->n], sizeof c->ids[0], "%s", vl_record_id(rec));
    }
    c->n++;
    return 0;
}

static size_t
s_t_count(vl_store_t *st, const vl_query_t *q, int *rc_out, s_t_ids_t *c)
{
    c->n = 0;
    c->sorted = true;
    *rc_out = vl_store_find(st, q, s_t_ids_cb, c);
    return c->n;
}

/* Log entries collected with vl_store_log_each. */
typedef struct {
    uint8_t **e;
    size_t *len;
    size_t n, cap;
} s_t_log_t;

static int
s_t_log_cb(void *ctx, const vl_entry_t *e)
{
    s_t_log_t *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 64;
        uint8_t **ne = realloc(l->e, ncap * sizeof *ne);
        if (!ne)
            return VL_ENOMEM;
        l->e = ne;
        size_t *nl = realloc(l->len, ncap * sizeof *nl);
        if (!nl)
            return VL_ENOMEM;
        l->len = nl;
        l->cap = ncap;
    }
    size_t len;
    const uint8_t *b = vl_entry_bytes(e, &len);
    if (!(l->e[l->n] = malloc(len)))
        return VL_ENOMEM;
    memcpy(l->e[l->n], b, len);
    l->len[l->n++] = len;
    return 0;
}

static void
s_t_log_free(s_t_log_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i]);
    free(l->e);
    free(l->len);
    memset(l, 0, sizeof *l);
}

/* Verify report collector. */
typedef struct {
    char lines[4096];
    size_t n;
    bool verbose;
} s_t_rep_t;

static void
s_t_report(void *ctx, const char *line)
{
    s_t_rep_t *r = ctx;
    size_t used = strlen(r->lines);
    snprintf(r->lines + used, sizeof r->lines - used, "%s\n", line);
    r->n++;
    if (r->verbose)
        printf("  verify: %s\n", line);
}

/* Open the store in dir, verify, expect problems with a line containing want. */
static bool
s_t_verify_finds(const char *dir, const vl_keypair_t *kp, const char *want, bool verbose)
{
    vl_store_t *st = NULL;
    s_t_rep_t rep;
    size_t problems = 0;
    char err[VL_ERRMSG_MAX] = "";
    memset(&rep, 0, sizeof rep);
    rep.verbose = verbose;
    if (verbose)
        printf("store: verify expecting \"%s\"\n", want);
    if (vl_store_open(dir, kp, VL_STORE_RDONLY, &st, err) != VL_OK) {
        fprintf(stderr, "store test: open %s: %s\n", dir, err);
        return false;
    }
    int rc = vl_store_verify(st, s_t_report, &rep, &problems);
    vl_store_close(&st);
    bool ok = rc == VL_ECORRUPT && problems > 0 && strstr(rep.lines, want) != NULL;
    if (!ok)
        fprintf(stderr, "store test: verify rc %d, %zu problems, want \"%s\" in:\n%s", rc,
                problems, want, rep.lines);
    return ok;
}

static bool
s_t_contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static double
s_t_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
s_t_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int
s_t_rej_cb(void *ctx, const vl_rejection_t *r)
{
    char *reason = ctx;
    snprintf(reason, 128, "%s", vl_rejection_reason(r));
    return 0;
}

typedef struct {
    size_t n, sigs;
} s_t_pend_t;

static int
s_t_pend_cb(void *ctx, const vl_proposal_t *p, size_t n_approvals)
{
    s_t_pend_t *c = ctx;
    c->n++;
    c->sigs += n_approvals;
    return vl_proposal_record(p, 0) ? 0 : 99; /* bodies are readable */
}

#define T_FREE(p) do { free(p); (p) = NULL; } while (0)

/* ---- federation self-test helpers ------------------------------------------------------ */

/* The parts of an entry document (borrowed from *doc, which the caller destroys). */
typedef struct {
    const uint8_t *hdr, *prop;
    size_t hdr_len, prop_len;
    uint8_t keys[4][VL_PK_LEN], sigs[4][VL_SIG_LEN];
    size_t n;
} s_t_parts_t;

static int
s_t_parts(const uint8_t *e, size_t len, vl_doc_t **doc, s_t_parts_t *p)
{
    memset(p, 0, sizeof *p);
    int rc = vl_doc_parse(e, len, 0, doc, NULL);
    if (rc != VL_OK)
        return rc;
    vl_val_t rt = vl_doc_root(*doc), sl = vl_val_get(rt, "sigs");
    if (vl_val_bin(vl_val_get(rt, "hdr"), &p->hdr, &p->hdr_len) != VL_OK ||
        vl_val_bin(vl_val_get(rt, "prop"), &p->prop, &p->prop_len) != VL_OK ||
        vl_val_len(sl) > 4)
        return VL_EPROTO;
    p->n = vl_val_len(sl);
    for (uint32_t i = 0; i < p->n; i++)
        if (vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "k"), p->keys[i], VL_PK_LEN) ||
            vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "s"), p->sigs[i], VL_SIG_LEN))
            return VL_EPROTO;
    return VL_OK;
}

/* An entry document from parts (signatures written in the order given). */
static int
s_t_build(const s_t_parts_t *p, uint8_t **out, size_t *len)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, p->hdr, p->hdr_len);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, p->prop, p->prop_len);
    vl_wr_cstr(w, "sigs");
    vl_wr_array(w, (uint32_t)p->n);
    for (size_t i = 0; i < p->n; i++) {
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "k");
        vl_wr_bin(w, p->keys[i], VL_PK_LEN);
        vl_wr_cstr(w, "s");
        vl_wr_bin(w, p->sigs[i], VL_SIG_LEN);
    }
    int rc = vl_wr_dup(w, out, len);
    vl_wr_destroy(&w);
    return rc;
}

/* Ways to forge an entry that keep its header (so the chain still links). */
enum { T_SIG, T_AUTHOR, T_NONAPPROVER, T_ONESIG, T_OTHERPROP };

static int
s_t_forge(const vl_testnet_t *tn, const uint8_t *e, size_t len, int how, const uint8_t *other,
          size_t other_len, uint8_t **out, size_t *out_len)
{
    vl_doc_t *d = NULL;
    s_t_parts_t p;
    uint8_t *prop = NULL;
    int rc = s_t_parts(e, len, &d, &p);
    if (rc == VL_OK && p.n != 2)
        rc = VL_EPROTO;
    if (rc != VL_OK)
        goto out;
    switch (how) {
    case T_SIG: /* one approver signature forged */
        p.sigs[1][5] ^= 0x10;
        break;
    case T_AUTHOR: /* the author's signature is the last byte of the proposal */
        if (!(prop = malloc(p.prop_len))) {
            rc = VL_ENOMEM;
            goto out;
        }
        memcpy(prop, p.prop, p.prop_len);
        prop[p.prop_len - 1] ^= 0x01;
        p.prop = prop;
        break;
    case T_NONAPPROVER: { /* an authority's key among the approvers, sorted */
        const uint8_t *a = p.keys[0], *b = vl_keypair_pk(tn->mu);
        uint8_t k0[VL_PK_LEN], k1[VL_PK_LEN];
        if (memcmp(a, b, VL_PK_LEN) > 0) {
            const uint8_t *x = a;
            a = b;
            b = x;
        }
        memcpy(k0, a, VL_PK_LEN);
        memcpy(k1, b, VL_PK_LEN);
        memcpy(p.keys[0], k0, VL_PK_LEN);
        memcpy(p.keys[1], k1, VL_PK_LEN);
        break;
    }
    case T_ONESIG:
        p.n = 1;
        break;
    case T_OTHERPROP: /* the header names another proposal than it carries */
        p.prop = other;
        p.prop_len = other_len;
        break;
    }
    rc = s_t_build(&p, out, out_len);
out:
    free(prop);
    vl_doc_destroy(&d);
    return rc;
}

/* A complete entry signed by both approvers, with any seq, prev, root. */
static int
s_t_entry(const vl_testnet_t *tn, uint64_t seq, const uint8_t *prev, const uint8_t *prop,
          size_t plen, const uint8_t *root, uint8_t **out, size_t *out_len)
{
    uint8_t *c0 = NULL, *c1 = NULL;
    size_t l0 = 0, l1 = 0;
    int rc = vl_entry_make(tn->pol, seq, prev, prop, plen, root, T_NOW, &c0, &l0, NULL);
    if (rc == VL_OK)
        rc = vl_entry_sign(tn->pol, c0, l0, tn->a1, &c1, &l1, NULL);
    if (rc == VL_OK)
        rc = vl_entry_sign(tn->pol, c1, l1, tn->a2, out, out_len, NULL);
    free(c0);
    free(c1);
    return rc;
}

static uint64_t
s_t_sigs(vl_store_t *st)
{
    uint64_t c = UINT64_MAX;
    if (vl_store_check_sigs(st, 0, &c, NULL) != VL_OK)
        return UINT64_MAX;
    return c;
}

static int
s_t_peer_cb(void *ctx, const vl_peer_info_t *p)
{
    vl_peer_info_t *got = ctx;
    size_t i = 0;
    while (i < 3 && got[i].addr[0])
        i++;
    if (i == 3)
        return 99;
    got[i] = *p;
    return 0;
}

/* Put raw bytes under key in a closed store's database. */
static int
s_t_raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val,
            size_t vlen)
{
    s_raw_t r;
    int rc = s_raw_begin(&r, dir);
    if (rc == VL_OK && mdb_put(r.txn, s_raw_db(&r, db), &(MDB_val){ klen, (void *)key },
                               &(MDB_val){ vlen, (void *)val }, 0) != 0)
        rc = VL_ESTORE;
    int erc = s_raw_end(&r);
    return rc != VL_OK ? rc : erc;
}

static int
s_t_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, VL_HASH_LEN);
}

/* vl_store_append_chain, check_sigs, sigs_checked, entry_bytes, the pending
 * digest, rejections from peers and the peers table. a is a store with a
 * log of several entries (read only here). */
static int
s_t_federation(const vl_testnet_t *tn, vl_store_t *a, bool verbose)
{
    VL_TEST_BEGIN;
    char de[600] = "", df[600] = "", dg[600] = "", tdir[600] = "", err[VL_ERRMSG_MAX] = "";
    vl_store_t *se = NULL, *sf = NULL, *sg = NULL, *tst = NULL;
    s_t_log_t L;
    uint8_t *bad = NULL, *ex = NULL, *body = NULL, *pa = NULL, *pb = NULL, *pc = NULL,
            *pd = NULL, *ra = NULL, *rd = NULL, *r0 = NULL, *got = NULL;
    size_t badl = 0, exl = 0, bodyl = 0, pal = 0, pbl = 0, pcl = 0, pdl = 0, ral = 0, rdl = 0,
           r0l = 0, gotl = 0;
    uint8_t h1[VL_HASH_LEN], bogus[VL_HASH_LEN], ida[VL_HASH_LEN], idb[VL_HASH_LEN],
        idc[VL_HASH_LEN], idd[VL_HASH_LEN], pid0[VL_HASH_LEN];
    vl_head_t ha, hf;
    vl_entry_t *e = NULL;
    uint64_t c = 0;
    memset(&L, 0, sizeof L);
    memset(bogus, 0x5a, sizeof bogus);

    VL_CHECK_RC(vl_store_log_each(a, 0, 0, s_t_log_cb, &L), VL_OK);
    VL_CHECK_RC(vl_store_head(a, &ha), VL_OK);
    VL_CHECK(L.n == ha.seq && L.n >= 12);
    if (L.n < 12)
        goto out;
    VL_CHECK_RC(vl_entry_parse(tn->pol, L.e[0], L.len[0], 0, &e, NULL), VL_OK);
    if (!e)
        goto out;
    memcpy(h1, vl_entry_hash(e), VL_HASH_LEN);
    memcpy(pid0, vl_proposal_id(vl_entry_proposal(e)), VL_HASH_LEN);
    vl_entry_destroy(&e);
    const uint8_t *const *LE = (const uint8_t *const *)L.e;

    /* The store that serves (a) has every signature checked, by approve. */
    VL_CHECK(s_t_sigs(a) == ha.seq);

    /* ---- entry_bytes ---------------------------------------------------------------- */
    VL_CHECK_RC(vl_store_entry_bytes(a, 0, &got, &gotl, NULL), VL_ENOTFOUND);
    VL_CHECK(got == NULL && gotl == 0);
    VL_CHECK_RC(vl_store_entry_bytes(a, ha.seq + 1, &got, &gotl, NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_store_entry_bytes(a, 3, &got, &gotl, err), VL_OK);
    VL_CHECK(got && gotl == L.len[2] && memcmp(got, L.e[2], gotl) == 0);
    T_FREE(got);

    /* ---- append_chain: every refusal leaves the store as it was ---------------------- */
    VL_CHECK_RC(s_t_mkdir(df), VL_OK);
    VL_CHECK_RC(vl_store_create(df, tn->genesis, tn->genesis_len, tn->mg, err), VL_OK);
    VL_CHECK_RC(vl_store_open(df, tn->mg, 0, &sf, err), VL_OK);
    if (!sf)
        goto out;
    VL_CHECK(s_t_sigs(sf) == 0);
    {
        /* bodies that do not decrypt with the network's key */
        uint8_t wrong[VL_KEY_LEN], *pw = NULL, *pstale = NULL;
        size_t pwl = 0, pstalel = 0;
        vl_op_t op;
        vl_record_t *rec = NULL;
        memset(wrong, 7, sizeof wrong);
        VL_CHECK_RC(s_t_authority("MU-CH-9", "MU", "+230 555 0909", "\"mla\"", "\"en\"", &body,
                                  &bodyl), VL_OK);
        if (body && vl_record_parse(body, bodyl, &rec, NULL) == VL_OK &&
            vl_op_from_record(&op, rec, 0) == VL_OK) {
            const uint8_t *bs[1] = { body };
            size_t bl[1] = { bodyl };
            VL_CHECK_RC(vl_proposal_make(tn->pol, tn->mu, wrong, T_NOW, &op, bs, bl, 1, &pw,
                                         &pwl, NULL), VL_OK);
        }
        vl_record_destroy(&rec);
        /* a base revision the record does not have */
        VL_CHECK_RC(s_t_prop1(tn, tn->mu, body, bodyl, 4, false, &pstale, &pstalel), VL_OK);
        struct {
            const char *what;
            int how;          /* forge L[1] this way, or -1 */
            const uint8_t *prop; /* else: a new entry 2 carrying this proposal */
            size_t plen;
            const uint8_t *prev, *root;
            bool last;        /* the forged entry is the last of its batch */
            int want;
            const char *msg;
        } cases[] = {
            { "forged approver signature, last", T_SIG, NULL, 0, NULL, NULL, true, VL_EAUTH,
              "bad signature by approver" },
            { "forged author signature, last", T_AUTHOR, NULL, 0, NULL, NULL, true, VL_EAUTH,
              "proposal: bad signature" },
            { "non-approver signer", T_NONAPPROVER, NULL, 0, NULL, NULL, false, VL_EPERM,
              "not an approver" },
            { "one signature", T_ONESIG, NULL, 0, NULL, NULL, false, VL_ETHRESHOLD,
              "threshold" },
            { "another proposal than named", T_OTHERPROP, NULL, 0, NULL, NULL, false, VL_EPROTO,
              "names another proposal" },
            { "broken chain", -1, L.e[1], 0, bogus, NULL, false, VL_ECHAIN, "prev is not" },
            { "wrong root", -1, L.e[1], 0, h1, bogus, false, VL_ECORRUPT, "state root" },
            { "bodies under another key", -1, pw, pwl, h1, bogus, false, VL_EAUTH,
              "do not decrypt" },
            { "stale base", -1, pstale, pstalel, h1, bogus, false, VL_ESTALE, "needs rebase" },
            { "replay of entry 1's proposal", -1, NULL, 0, h1, bogus, false, VL_EEXIST,
              "already settled" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            int frc;
            if (cases[i].how >= 0) {
                vl_entry_t *e2 = NULL;
                const uint8_t *other = NULL;
                size_t otherl = 0;
                /* T_OTHERPROP carries entry 3's proposal */
                if (vl_entry_parse(tn->pol, L.e[2], L.len[2], 0, &e2, NULL) == VL_OK)
                    other = vl_proposal_bytes(vl_entry_proposal(e2), &otherl);
                frc = s_t_forge(tn, L.e[1], L.len[1], cases[i].how, other, otherl, &bad, &badl);
                vl_entry_destroy(&e2);
            } else {
                const uint8_t *prop = cases[i].prop;
                size_t plen = cases[i].plen;
                vl_entry_t *e2 = NULL;
                if (prop == L.e[1] || !prop) {
                    /* entry 2's own proposal (or entry 1's: a replay) */
                    if (vl_entry_parse(tn->pol, prop ? L.e[1] : L.e[0],
                                       prop ? L.len[1] : L.len[0], 0, &e2, NULL) == VL_OK)
                        prop = vl_proposal_bytes(vl_entry_proposal(e2), &plen);
                }
                uint8_t root[VL_HASH_LEN];
                vl_entry_t *e1 = NULL;
                if (!cases[i].root &&
                    vl_entry_parse(tn->pol, L.e[1], L.len[1], 0, &e1, NULL) == VL_OK)
                    memcpy(root, vl_entry_root(e1), VL_HASH_LEN);
                else
                    memcpy(root, cases[i].root ? cases[i].root : bogus, VL_HASH_LEN);
                vl_entry_destroy(&e1);
                frc = prop ? s_t_entry(tn, 2, cases[i].prev, prop, plen, root, &bad, &badl)
                           : VL_ENOMEM;
                vl_entry_destroy(&e2);
            }
            VL_CHECK_RC(frc, VL_OK);
            if (frc != VL_OK)
                continue;
            const uint8_t *batch[3] = { L.e[0], bad, L.e[2] };
            size_t lens[3] = { L.len[0], badl, L.len[2] };
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_chain(sf, batch, lens, cases[i].last ? 2 : 3, err),
                        cases[i].want);
            if (verbose)
                printf("store: chain refuses %s: %s\n", cases[i].what, err);
            VL_CHECK(strstr(err, cases[i].msg) != NULL);
            VL_CHECK(strstr(err, "batch item 1: ") == err);
            VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
            VL_CHECK(hf.seq == 0 && hf.records == 0);
            T_FREE(bad);
        }
        free(pw);
        free(pstale);
        T_FREE(body);
    }

    /* ---- forged signatures in the middle of a batch are refused: the next
     * entry's prev is the link of the whole previous entry, signatures
     * included (docs/protocol.md §4), so the chain breaks at the forgery ---- */
    {
        vl_store_t **sts[2] = { &se, &sg };
        char *paths[2] = { de, dg };
        const int how[2] = { T_SIG, T_AUTHOR };
        for (int k = 0; k < 2; k++) {
            VL_CHECK_RC(s_t_mkdir(paths[k]), VL_OK);
            VL_CHECK_RC(vl_store_create(paths[k], tn->genesis, tn->genesis_len, tn->node, err),
                        VL_OK);
            VL_CHECK_RC(vl_store_open(paths[k], tn->node, 0, sts[k], err), VL_OK);
            if (!*sts[k])
                continue;
            VL_CHECK_RC(s_t_forge(tn, L.e[1], L.len[1], how[k], NULL, 0, &bad, &badl), VL_OK);
            const uint8_t *batch[4] = { L.e[0], bad, L.e[2], L.e[3] };
            size_t lens[4] = { L.len[0], badl, L.len[2], L.len[3] };
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_chain(*sts[k], batch, lens, 4, err), VL_ECHAIN);
            if (verbose)
                printf("store: chain refuses a forged signature mid-batch: %s\n", err);
            vl_head_t hk;
            VL_CHECK_RC(vl_store_head(*sts[k], &hk), VL_OK);
            VL_CHECK(hk.seq == 0 && hk.records == 0);
            VL_CHECK(s_t_sigs(*sts[k]) == 0);
            T_FREE(bad);
            vl_store_close(sts[k]);
        }
    }

    /* ---- the good path, and how sigs_checked moves --------------------------------------- */
    VL_CHECK_RC(vl_store_append_chain(sf, LE, L.len, 5, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 0);                        /* 1..4 not checked */
    VL_CHECK_RC(vl_store_append(sf, L.e[5], L.len[5], err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 0);                        /* a gap stays a gap */
    VL_CHECK_RC(vl_store_check_sigs(sf, 2, &c, err), VL_OK);
    VL_CHECK(c == 2 && s_t_sigs(sf) == 2);
    VL_CHECK_RC(vl_store_check_sigs(sf, 100, &c, err), VL_OK);
    VL_CHECK(c == 6 && s_t_sigs(sf) == 6);
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 6, L.len + 6, 1, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 7);                        /* one entry: the last, verified */
    VL_CHECK_RC(vl_store_append_batch(sf, LE + 7, L.len + 7, 2, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 9);                        /* full verification, contiguous */
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 9, L.len + 9, L.n - 9, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 9);
    VL_CHECK_RC(vl_store_check_sigs(sf, 1, &c, err), VL_OK);
    VL_CHECK(c == 10);
    VL_CHECK_RC(vl_store_check_sigs(sf, SIZE_MAX, &c, err), VL_OK);
    VL_CHECK(c == L.n && s_t_sigs(sf) == L.n);
    VL_CHECK_RC(vl_store_check_sigs(sf, 5, &c, err), VL_OK);
    VL_CHECK(c == L.n);
    VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
    VL_CHECK(hf.seq == ha.seq && memcmp(hf.hash, ha.hash, VL_HASH_LEN) == 0 &&
             memcmp(hf.root, ha.root, VL_HASH_LEN) == 0 && hf.records == ha.records);
    VL_CHECK_RC(vl_store_append_chain(sf, LE, L.len, 0, err), VL_OK); /* empty batch */
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 2, L.len + 2, 2, err), VL_ECHAIN);

    /* ---- the pending digest ------------------------------------------------------------ */
    {
        uint8_t(*ids)[VL_HASH_LEN] = NULL;
        size_t n = 7;
        uint8_t dg0[VL_HASH_LEN], want[VL_HASH_LEN];
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, dg0), VL_OK);
        vl_hash(want, "valise/pending/1", "", 0);
        VL_CHECK(n == 0 && ids == NULL && memcmp(dg0, want, VL_HASH_LEN) == 0);
        static const char *const sts_[4] = { "MU", "MG", "MU", "MG" };
        uint8_t **props[4] = { &pa, &pb, &pc, &pd };
        size_t *plens[4] = { &pal, &pbl, &pcl, &pdl };
        uint8_t *idp[4] = { ida, idb, idc, idd };
        for (int i = 0; i < 4; i++) {
            char id[16];
            snprintf(id, sizeof id, "%s-FED-%d", sts_[i], i);
            VL_CHECK_RC(s_t_authority(id, sts_[i], "+1 555 0100", "\"mla\"", "\"en\"", &body,
                                      &bodyl), VL_OK);
            VL_CHECK_RC(s_t_prop1(tn, i % 2 ? tn->mg : tn->mu, body, bodyl, 0, false, props[i],
                                  plens[i]), VL_OK);
            T_FREE(body);
            if (i < 3) /* pd is never proposed here */
                VL_CHECK_RC(vl_store_propose(sf, *props[i], *plens[i], idp[i], err), VL_OK);
            else if (*props[i]) {
                vl_proposal_t *p = NULL;
                VL_CHECK_RC(vl_proposal_parse(tn->pol, pd, pdl, &p, NULL), VL_OK);
                if (p)
                    memcpy(idd, vl_proposal_id(p), VL_HASH_LEN);
                vl_proposal_destroy(&p);
            }
        }
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, dg0), VL_OK);
        VL_CHECK(n == 3 && ids != NULL);
        if (ids && n == 3) {
            uint8_t sorted[3][VL_HASH_LEN];
            memcpy(sorted[0], ida, VL_HASH_LEN);
            memcpy(sorted[1], idb, VL_HASH_LEN);
            memcpy(sorted[2], idc, VL_HASH_LEN);
            qsort(sorted, 3, VL_HASH_LEN, s_t_id_cmp);
            VL_CHECK(memcmp(ids, sorted, sizeof sorted) == 0);
            vl_hash(want, "valise/pending/1", sorted, sizeof sorted);
            VL_CHECK(memcmp(dg0, want, VL_HASH_LEN) == 0);
        }
        free(ids);
        ids = NULL;
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, NULL), VL_OK); /* digest optional */
        free(ids);
    }
    VL_CHECK_RC(vl_store_pending_bytes(sf, idc, &got, &gotl), VL_OK);
    VL_CHECK(got && gotl == pcl && memcmp(got, pc, pcl) == 0);
    T_FREE(got);
    VL_CHECK_RC(vl_store_pending_bytes(sf, idd, &got, &gotl), VL_ENOTFOUND);
    VL_CHECK(got == NULL);

    /* ---- rejections from peers ----------------------------------------------------------- */
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a1, ida, "out of scope", T_NOW, &ra, &ral, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a2, idd, "duplicate", T_NOW, &rd, &rdl, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a2, pid0, "too late", T_NOW, &r0, &r0l, NULL),
                VL_OK);
    if (ra && rd && r0) {
        /* a forged one first */
        ra[ral - 1] ^= 1;
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, NULL), VL_EAUTH);
        ra[ral - 1] ^= 1;
        VL_CHECK_RC(vl_store_rejection_bytes(sf, ida, &got, &gotl), VL_ENOTFOUND);
        /* pending here, with a candidate (one approval): both go */
        VL_CHECK_RC(vl_store_approve(sf, ida, tn->a2, T_NOW, &c, NULL, err), VL_OK);
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, err), VL_OK);
        VL_CHECK_RC(vl_store_pending_bytes(sf, ida, &got, &gotl), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, err), VL_EEXIST);
        VL_CHECK_RC(vl_store_rejection_bytes(sf, ida, &got, &gotl), VL_OK);
        VL_CHECK(got && gotl == ral && memcmp(got, ra, ral) == 0);
        T_FREE(got);
        VL_CHECK_RC(vl_store_propose(sf, pa, pal, NULL, NULL), VL_EEXIST);
        /* not pending here yet: recorded, and the proposal is refused when it comes */
        VL_CHECK_RC(vl_store_accept_rejection(sf, rd, rdl, err), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(vl_store_propose(sf, pd, pdl, NULL, err), VL_EEXIST);
        VL_CHECK(strstr(err, "rejected") != NULL);
        /* settled by an entry: the log wins, nothing recorded */
        VL_CHECK_RC(vl_store_accept_rejection(sf, r0, r0l, err), VL_OK);
        VL_CHECK_RC(vl_store_rejection_bytes(sf, pid0, &got, &gotl), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
        VL_CHECK(hf.pending == 2 && hf.seq == ha.seq);
    }

    /* ---- peers ------------------------------------------------------------------------------ */
    {
        vl_peer_info_t p1, p2, pgot[3];
        memset(&p1, 0, sizeof p1);
        memset(&p2, 0, sizeof p2);
        memcpy(p1.pk, vl_keypair_pk(tn->node), VL_PK_LEN);
        strcpy(p1.addr, "tcp://127.0.0.1:7102");
        strcpy(p1.state, "pulling");
        p1.last_contact = 1700000123;
        p1.their_seq = UINT64_MAX;
        p1.received = 17;
        p1.sent = 4;
        p1.dropped = 1;
        p1.their_pending = 2;
        strcpy(p1.last_error, "entry 7: bad signature by approver 9877ab013bb1430c");
        strcpy(p2.addr, "tcp://127.0.0.1:7101");
        strcpy(p2.state, "refused");
        VL_CHECK_RC(vl_store_peer_put(sf, &p1, err), VL_OK);
        VL_CHECK_RC(vl_store_peer_put(sf, &p2, err), VL_OK);
        strcpy(p2.state, "connecting");
        VL_CHECK_RC(vl_store_peer_put(sf, &p2, err), VL_OK); /* replaces */
        memset(pgot, 0, sizeof pgot);
        VL_CHECK_RC(vl_store_peers_each(sf, s_t_peer_cb, pgot), VL_OK);
        VL_CHECK(strcmp(pgot[0].addr, p2.addr) == 0 && strcmp(pgot[1].addr, p1.addr) == 0 &&
                 pgot[2].addr[0] == '\0');
        VL_CHECK(memcmp(&pgot[0], &p2, sizeof p2) == 0 && memcmp(&pgot[1], &p1, sizeof p1) == 0);
        /* caller mistakes */
        vl_peer_info_t q = p2;
        q.addr[0] = '\0';
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        memset(q.addr, 'a', sizeof q.addr); /* no NUL */
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        strcpy(q.state, "bad\x1b[2J");
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        strcpy(q.last_error, "not utf-8 \xff\xfe");
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        q.state[0] = '\0';
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
    }

    /* ---- the synced replica verifies ------------------------------------------------------ */
    {
        size_t problems = 1;
        s_t_rep_t rep;
        memset(&rep, 0, sizeof rep);
        rep.verbose = verbose;
        VL_CHECK_RC(vl_store_verify(sf, s_t_report, &rep, &problems), VL_OK);
        VL_CHECK(problems == 0);
    }
    vl_store_close(&sf);

    /* ---- hostile store bytes -------------------------------------------------------------- */
    {
        uint8_t key8[8], fake[VL_HASH_LEN];
        memset(fake, 0xee, sizeof fake);
        vl_wr_t *w = vl_wr_new();
        struct {
            const char *what, *db;
            int kind;          /* 0 flip, 1 put raw */
            const void *key;
            size_t klen;
            const void *val;
            size_t vlen;
            const char *verify;
        } cases[] = {
            { "empty log value", "log", 1, key8, 8, "", 0, "entry 3" },
            { "pending proposal altered", "pending", 0, idc, VL_HASH_LEN, NULL, 0,
              "pending: proposal" },
            { "rejection altered", "rejections", 0, ida, VL_HASH_LEN, NULL, 0, "rejections:" },
            { "pending key not an id", "pending", 1, "short", 5, "x", 1, "pending: a key" },
            { "peer value garbage", "peers", 1, "tcp://x", 7, "\x81\xa1x\x01", 4, "peers: " },
            { "peer value of another addr", "peers", 1, "tcp://x", 7, NULL, 0,
              "names another address" },
            { "peer value with an extra field", "peers", 1, "tcp://y", 7, NULL, 0,
              "malformed" },
            { "sigs_checked past the head", "meta", 1, "sigs_checked", 12, NULL, 8,
              "sigs_checked" },
            { "sigs_checked removed", "meta", 2, "sigs_checked", 12, NULL, 0, NULL },
            { "entry 3 signed but not linked", "log", 1, key8, 8, NULL, 0,
              "entry 3: broken chain" },
        };
        s_be64_put(key8, 3);
        for (size_t i = 0; w && i < sizeof cases / sizeof cases[0]; i++) {
            s_raw_t r;
            int trc = s_t_copy(df, tdir);
            VL_CHECK_RC(trc, VL_OK);
            if (trc != VL_OK)
                continue;
            const void *val = cases[i].val;
            size_t vlen = cases[i].vlen;
            uint8_t sc8[8];
            vl_wr_reset(w);
            if (i == 5 || i == 6) {
                /* a well-formed record, stored under another key / with one field more */
                vl_wr_map(w, i == 5 ? 10 : 11);
                vl_wr_cstr(w, "addr");
                vl_wr_cstr(w, "tcp://z");
                vl_wr_cstr(w, "dropped");
                vl_wr_uint(w, 0);
                if (i == 6) {
                    vl_wr_cstr(w, "extra");
                    vl_wr_uint(w, 0);
                }
                vl_wr_cstr(w, "last_contact");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "last_error");
                vl_wr_cstr(w, "");
                vl_wr_cstr(w, "pk");
                vl_wr_bin(w, fake, VL_PK_LEN);
                vl_wr_cstr(w, "received");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "sent");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "state");
                vl_wr_cstr(w, "idle");
                vl_wr_cstr(w, "their_pending");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "their_seq");
                vl_wr_uint(w, 0);
                val = vl_wr_data(w);
                vlen = vl_wr_len(w);
            } else if (i == 7) {
                s_be64_put(sc8, L.n + 1);
                val = sc8;
            } else if (i == 9) {
                /* entry 3 re-signed with another prev; the audit is back at 2 */
                vl_entry_t *e3 = NULL;
                size_t pl = 0;
                T_FREE(bad);
                if (vl_entry_parse(tn->pol, L.e[2], L.len[2], 0, &e3, NULL) == VL_OK) {
                    const uint8_t *pb3 = vl_proposal_bytes(vl_entry_proposal(e3), &pl);
                    VL_CHECK_RC(s_t_entry(tn, 3, bogus, pb3, pl, vl_entry_root(e3), &bad, &badl),
                                VL_OK);
                }
                vl_entry_destroy(&e3);
                s_be64_put(sc8, 2);
                VL_CHECK_RC(s_t_raw_put(tdir, "meta", "sigs_checked", 12, sc8, 8), VL_OK);
                val = bad;
                vlen = badl;
            }
            if (cases[i].kind == 0) {
                VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
                trc = s_raw_flip(&r, cases[i].db, cases[i].key, cases[i].klen, -20);
                VL_CHECK_RC(s_raw_end(&r), VL_OK);
            } else if (cases[i].kind == 1) {
                trc = s_t_raw_put(tdir, cases[i].db, cases[i].key, cases[i].klen, val, vlen);
            } else {
                VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
                trc = mdb_del(r.txn, s_raw_db(&r, cases[i].db),
                              &(MDB_val){ cases[i].klen, (void *)cases[i].key }, NULL)
                          ? VL_ESTORE : VL_OK;
                VL_CHECK_RC(s_raw_end(&r), VL_OK);
            }
            VL_CHECK_RC(trc, VL_OK);
            if (verbose)
                printf("store: hostile %s\n", cases[i].what);
            VL_CHECK_RC(vl_store_open(tdir, tn->mg, 0, &tst, err), VL_OK);
            if (tst) {
                uint8_t(*ids)[VL_HASH_LEN] = NULL;
                size_t n = 0;
                vl_peer_info_t pgot[3];
                memset(pgot, 0, sizeof pgot);
                switch (i) {
                case 0:
                    VL_CHECK_RC(vl_store_entry_bytes(tst, 3, &got, &gotl, err), VL_ECORRUPT);
                    VL_CHECK(got == NULL);
                    break;
                case 1:
                    VL_CHECK_RC(vl_store_pending_bytes(tst, idc, &got, &gotl), VL_ECORRUPT);
                    VL_CHECK(got == NULL);
                    break;
                case 2:
                    VL_CHECK_RC(vl_store_rejection_bytes(tst, ida, &got, &gotl), VL_ECORRUPT);
                    break;
                case 3:
                    VL_CHECK_RC(vl_store_pending_ids(tst, &ids, &n, NULL), VL_ECORRUPT);
                    VL_CHECK(ids == NULL && n == 0);
                    break;
                case 4:
                case 5:
                case 6:
                    VL_CHECK_RC(vl_store_peers_each(tst, s_t_peer_cb, pgot), VL_ECORRUPT);
                    break;
                case 7:
                    VL_CHECK_RC(vl_store_check_sigs(tst, 0, &c, err), VL_ECORRUPT);
                    VL_CHECK_RC(vl_store_append(tst, L.e[0], L.len[0], err), VL_ECORRUPT);
                    break;
                case 8: /* an older store: every entry counts as checked */
                    VL_CHECK(s_t_sigs(tst) == L.n);
                    break;
                case 9: /* the audit checks the links too */
                    err[0] = '\0';
                    VL_CHECK_RC(vl_store_check_sigs(tst, 10, &c, err), VL_ECORRUPT);
                    VL_CHECK(c == 2 && strstr(err, "entry 3: broken chain") == err);
                    break;
                }
                T_FREE(got);
                free(ids);
                vl_store_close(&tst);
            }
            if (cases[i].verify)
                VL_CHECK(s_t_verify_finds(tdir, tn->mg, cases[i].verify, verbose));
            s_t_rmdir(tdir);
        }
        vl_wr_destroy(&w);
    }

    /* ---- a read-only store refuses writes ---------------------------------------------- */
    VL_CHECK_RC(vl_store_open(df, tn->mg, VL_STORE_RDONLY, &tst, err), VL_OK);
    if (tst) {
        vl_peer_info_t q;
        memset(&q, 0, sizeof q);
        strcpy(q.addr, "tcp://a");
        strcpy(q.state, "idle");
        VL_CHECK_RC(vl_store_peer_put(tst, &q, NULL), VL_EINVAL);
        VL_CHECK_RC(vl_store_accept_rejection(tst, rd, rdl, NULL), VL_EINVAL);
        VL_CHECK(s_t_sigs(tst) == L.n);
        vl_store_close(&tst);
    }
out:
    vl_entry_destroy(&e);
    vl_store_close(&se);
    vl_store_close(&sf);
    vl_store_close(&sg);
    vl_store_close(&tst);
    s_t_log_free(&L);
    for (char *d = de; d; d = d == de ? df : d == df ? dg : NULL)
        if (*d)
            s_t_rmdir(d);
    free(bad);
    free(ex);
    free(body);
    free(pa);
    free(pb);
    free(pc);
    free(pd);
    free(ra);
    free(rd);
    free(r0);
    free(got);
    (void)exl;
    return VL_TEST_END;
}


/* ---- issue 4: policy versions, epochs, freshness, equivocation ------------------ */

/* Make a one-op proposal of a new authority record under pol with ckey. */
static int
s_t_prop_pol(const vl_policy_t *pol, const vl_keypair_t *author, const uint8_t ckey[VL_KEY_LEN],
             const char *id, const char *state, uint8_t **out, size_t *out_len)
{
    uint8_t *body = NULL;
    size_t blen = 0;
    vl_op_t op;
    char err[VL_ERRMSG_MAX] = "";
    vl_record_t *rec = NULL;
    int rc = s_t_authority(id, state, "+230 555 0199", "\"mla\"", "\"en\"", &body, &blen);
    if (rc == VL_OK && (rc = vl_record_parse(body, blen, &rec, err)) == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    if (rc == VL_OK) {
        const uint8_t *b[1] = { body };
        size_t l[1] = { blen };
        rc = vl_proposal_make(pol, author, ckey, T_NOW, &op, b, l, 1, out, out_len, err);
    }
    if (rc != VL_OK)
        fprintf(stderr, "store test: proposal: %s: %s\n", vl_strerror(rc), err);
    vl_record_destroy(&rec);
    free(body);
    return rc;
}

static int
s_t_fresh(const vl_policy_t *pol, const vl_keypair_t *kp, uint64_t seq,
          const uint8_t head[VL_HASH_LEN], uint64_t issued, uint64_t ttl, uint8_t **out,
          size_t *len)
{
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(kp), VL_PK_LEN);
    f.policy = vl_policy_version(pol);
    f.seq = seq;
    memcpy(f.head, head, VL_HASH_LEN);
    f.issued = issued;
    f.expires = issued + ttl;
    return vl_fresh_make(&f, kp, out, len, NULL);
}

typedef struct {
    size_t n;
    uint64_t seq;
} s_t_ev_t;

static int
s_t_ev_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    s_t_ev_t *c = ctx;
    c->n++;
    c->seq = seq;
    return (alen && blen && a && b) ? 0 : 1;
}

static int
s_t_entry_cb(void *ctx, const vl_entry_t *e)
{
    uint8_t **out = ctx;
    size_t len;
    const uint8_t *b = vl_entry_bytes(e, &len);
    if (vl_entry_seq(e) == 2 && (*out = malloc(len))) {
        memcpy(*out, b, len);
        out[1] = (uint8_t *)(uintptr_t)len;
    }
    return 0;
}

static int
s_t_trust(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    vl_keypair_t *a3 = NULL;
    vl_policy_builder_t *b = NULL;
    vl_policy_t *v2 = NULL;
    vl_store_t *sa = NULL, *sb = NULL, *sc = NULL, *sd = NULL;
    vl_entry_t *e = NULL;
    char da[600] = "", db_[600] = "", dc[600] = "", dd[600] = "", err[VL_ERRMSG_MAX] = "";
    uint8_t *u = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL, *snew = NULL, *p = NULL, *pmg = NULL,
            *e1 = NULL, *e1x = NULL, *e2x = NULL, *fs = NULL, *alt = NULL, *alt2 = NULL, *forged = NULL,
            *fork = NULL;
    size_t ul = 0, s1l = 0, s2l = 0, s3l = 0, snewl = 0, pl = 0, pmgl = 0, e1l = 0, e1xl = 0,
           e2xl = 0,
           fsl = 0, altl = 0, alt2l = 0, forgedl = 0, forkl = 0;
    uint8_t id[VL_HASH_LEN], idmg[VL_HASH_LEN], ck1[VL_KEY_LEN];
    uint64_t seq = 0;
    vl_head_t h;
    vl_freshness_t fr;
    size_t problems = 0;
    uint8_t *e2cap[2] = { NULL, NULL };

    if (vl_testnet_init(&tn) != VL_OK)
        return 1;
    VL_CHECK_RC(vl_keypair_generate(&a3), VL_OK);
    VL_CHECK_RC(s_t_mkdir(da), VL_OK);
    VL_CHECK_RC(s_t_mkdir(db_), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dc), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dd), VL_OK);
    if (!a3)
        goto out;

    /* Store A: entry 1 under version 1 (approved by a1 + a2). MG proposes. */
    VL_CHECK_RC(vl_store_create(da, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(da, tn.node, 0, &sa, err), VL_OK);
    if (!sa)
        goto out;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-1", "MU", &p, &pl), VL_OK);
    VL_CHECK_RC(s_t_settle(sa, &tn, p, pl, &seq), VL_OK);
    VL_CHECK(seq == 1);
    free(p);
    p = NULL;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mg, tn.ckey, "MG-T-1", "MG", &pmg, &pmgl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, pmg, pmgl, idmg, err), VL_OK);
    VL_CHECK_RC(vl_store_head(sa, &h), VL_OK);

    /* Version 2: rotate a2 -> a3, revoke MG, name the node as the fresh key. */
    VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b, err), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(tn.a2), vl_keypair_pk(a3), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(tn.mg), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(tn.node)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, tn.pol, h.seq + 1, h.hash, false, T_NOW, &u,
                                              &ul, err), VL_OK);
    /* Signed by a3 alone (a new key), then a1 + a3 (one old approver): refused. */
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, u, ul, a3, &s1, &s1l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s1, s1l, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s1, s1l, tn.a1, &s2, &s2l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s2, s2l, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s2, s2l, tn.a2, &s3, &s3l, err), VL_OK);
    VL_CHECK_RC(vl_policy_parse_next(tn.pol, s3, s3l, 0, &v2, err), VL_OK);
    if (!v2)
        goto out;
    VL_CHECK(vl_policy_epoch(v2) == 1);
    VL_CHECK(vl_policy_from(v2) == 2);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s3, s3l, err), VL_OK);
    VL_CHECK(vl_policy_version(vl_store_policy(sa)) == 2);
    VL_CHECK_RC(vl_store_policy_adopt(sa, s3, s3l, NULL), VL_EEXIST);
    /* An old version served as current: refused as rollback. */
    VL_CHECK_RC(vl_store_policy_adopt(sa, tn.genesis, tn.genesis_len, NULL), VL_EEXIST);
    {
        /* Another, fully signed version 2 (a fork of the policy): refused. */
        vl_policy_builder_t *b2 = NULL;
        uint8_t *o = NULL, *o1 = NULL, *o2 = NULL;
        size_t ol = 0, o1l = 0, o2l = 0;
        VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b2, err), VL_OK);
        if (b2) {
            VL_CHECK_RC(vl_policy_builder_set_fresh(b2, vl_keypair_pk(tn.node)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b2, tn.pol, h.seq + 1, h.hash, false,
                                                      T_NOW, &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o1, o1l, tn.a2, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sa, o2, o2l, NULL), VL_ESTALE);
        }
        vl_policy_builder_destroy(&b2);
        free(o);
        free(o1);
        free(o2);
    }
    /* MG's pending proposal died with its author's role. */
    VL_CHECK_RC(vl_store_approve(sa, idmg, tn.a1, T_NOW, NULL, NULL, NULL), VL_ENOTFOUND);

    /* A proposal under the old epoch is refused; one under the new epoch passes. */
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-2", "MU", &p, &pl), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_propose(sa, p, pl, NULL, err), VL_ESTALE);
    VL_CHECK(strstr(err, "epoch") != NULL);
    free(p);
    p = NULL;
    VL_CHECK_RC(vl_policy_content_key(v2, 1, tn.mu, ck1), VL_OK);
    VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-2", "MU", &p, &pl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, p, pl, id, err), VL_OK);
    /* The replaced approver key can no longer approve; a1 + a3 can. */
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a2, T_NOW, NULL, NULL, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(sa, id, a3, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 2);
    /* History signed by a2 under version 1 still verifies. */
    VL_CHECK_RC(vl_store_verify(sa, NULL, NULL, &problems), VL_OK);
    VL_CHECK(problems == 0);
    /* The revoked member cannot read what changed after: no key for epoch 1,
     * the old key does not open it, and the store refuses its key. */
    VL_CHECK_RC(vl_policy_content_key(v2, 1, tn.mg, ck1), VL_EPERM);
    VL_CHECK_RC(vl_store_log_each(sa, 2, 2, s_t_entry_cb, e2cap), VL_OK);
    VL_CHECK(e2cap[0] != NULL);
    if (e2cap[0]) {
        VL_CHECK_RC(vl_entry_parse(v2, e2cap[0], (size_t)(uintptr_t)e2cap[1], 0, &e, err),
                    VL_OK);
        if (e) {
            VL_CHECK_RC(vl_proposal_open(vl_entry_proposal(e), tn.ckey, NULL), VL_EAUTH);
            vl_entry_destroy(&e);
        }
    }
    vl_store_close(&sa);
    VL_CHECK_RC(vl_store_open(da, tn.mg, VL_STORE_RDONLY, &sa, err), VL_EPERM);
    VL_CHECK_RC(vl_store_open(da, a3, 0, &sa, err), VL_OK);
    if (!sa)
        goto out;

    /* A candidate signed under version 1, then a version that only adds an
     * approver (no new epoch): the next approval rebuilds the candidate. */
    {
        char df[600] = "";
        vl_store_t *sf = NULL;
        vl_keypair_t *a4 = NULL;
        vl_policy_builder_t *b4 = NULL;
        uint8_t *q = NULL, *o = NULL, *o1 = NULL, *o2 = NULL, qid[VL_HASH_LEN];
        size_t ql = 0, ol = 0, o1l = 0, o2l = 0, n = 0;
        VL_CHECK_RC(s_t_mkdir(df), VL_OK);
        VL_CHECK_RC(vl_keypair_generate(&a4), VL_OK);
        VL_CHECK_RC(vl_store_create(df, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
        VL_CHECK_RC(vl_store_open(df, tn.node, 0, &sf, err), VL_OK);
        VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b4, err), VL_OK);
        if (sf && a4 && b4) {
            VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-C", "MU", &q, &ql), VL_OK);
            VL_CHECK_RC(vl_store_propose(sf, q, ql, qid, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sf, qid, tn.a1, T_NOW, NULL, &n, err), VL_OK);
            VL_CHECK(n == 1);
            VL_CHECK_RC(vl_policy_builder_add(b4, VL_ROLE_APPROVER, vl_keypair_pk(a4), "a4",
                                              NULL, err), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b4, tn.pol, 1, vl_policy_hash(tn.pol),
                                                      false, T_NOW, &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o1, o1l, tn.a2, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sf, o2, o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sf, qid, tn.a2, T_NOW, &seq, &n, err), VL_OK);
            VL_CHECK(seq == 0 && n == 1);
            VL_CHECK_RC(vl_store_approve(sf, qid, a4, T_NOW, &seq, &n, err), VL_OK);
            VL_CHECK(seq == 1 && n == 2);
            VL_CHECK_RC(vl_store_verify(sf, NULL, NULL, &problems), VL_OK);
        }
        vl_store_close(&sf);
        vl_policy_builder_destroy(&b4);
        vl_keypair_destroy(&a4);
        free(q);
        free(o);
        free(o1);
        free(o2);
        s_t_rmdir(df);
    }

    /* Store B syncs: entry 2 names version 2, unknown until adopted. */
    VL_CHECK_RC(vl_store_create(db_, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(db_, tn.node, 0, &sb, err), VL_OK);
    if (!sb)
        goto out;
    VL_CHECK_RC(vl_store_entry_bytes(sa, 1, &e1, &e1l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e1, e1l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_store_policy_adopt(sb, s3, s3l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], err), VL_OK);
    {
        uint8_t link[VL_HASH_LEN];
        VL_CHECK_RC(vl_store_head(sb, &h), VL_OK);
        VL_CHECK_RC(vl_store_link(sb, 2, link, err), VL_OK);
        VL_CHECK(memcmp(link, h.hash, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_link(sb, 0, link, err), VL_OK);
        VL_CHECK(memcmp(link, vl_policy_hash(tn.pol), VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_link(sb, 3, link, NULL), VL_ENOTFOUND);
    }

    /* A key added after the genesis starts its store from the chain. */
    {
        char de[600] = "";
        vl_store_t *se = NULL;
        const uint8_t *docs[2] = { tn.genesis, s3 };
        size_t lens[2] = { tn.genesis_len, s3l };
        VL_CHECK_RC(s_t_mkdir(de), VL_OK);
        VL_CHECK_RC(vl_store_create(de, tn.genesis, tn.genesis_len, a3, NULL), VL_EPERM);
        VL_CHECK_RC(vl_store_create_chain(de, docs, lens, 2, tn.mg, NULL), VL_EPERM);
        VL_CHECK_RC(vl_store_create_chain(de, docs, lens, 2, a3, err), VL_OK);
        VL_CHECK_RC(vl_store_open(de, a3, 0, &se, err), VL_OK);
        if (se) {
            VL_CHECK(vl_policy_version(vl_store_policy(se)) == 2);
            VL_CHECK_RC(vl_store_append(se, e1, e1l, err), VL_OK);
            /* ... and, on it, a1 + a3 approve another entry 2: a real fork. */
            uint8_t *px = NULL, idx[VL_HASH_LEN];
            size_t pxl = 0;
            VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-Z", "MU", &px, &pxl), VL_OK);
            VL_CHECK_RC(vl_store_propose(se, px, pxl, idx, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(se, idx, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(se, idx, a3, T_NOW, &seq, NULL, err), VL_OK);
            VL_CHECK(seq == 2);
            VL_CHECK_RC(vl_store_entry_bytes(se, 2, &e2x, &e2xl, err), VL_OK);
            free(px);
            vl_store_close(&se);
        }
        s_t_rmdir(de);
    }

    /* A later entry signed by the old approvers under version 1 is refused. */
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-9", "MU", &alt, &altl), VL_OK);
    VL_CHECK_RC(vl_store_head(sb, &h), VL_OK);
    VL_CHECK_RC(vl_entry_make(tn.pol, 3, h.hash, alt, altl, h.root, T_NOW, &alt2, &alt2l, err),
                VL_OK);
    {
        uint8_t *one = NULL;
        size_t onel = 0;
        VL_CHECK_RC(vl_entry_sign(tn.pol, alt2, alt2l, tn.a1, &one, &onel, err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &forged, &forgedl, err), VL_OK);
        free(one);
    }
    err[0] = '\0';
    VL_CHECK_RC(vl_store_append(sb, forged, forgedl, err), VL_EPERM);

    /* Store D: another history: a different entry 1, valid under version 1. */
    VL_CHECK_RC(vl_store_create(dd, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dd, tn.node, 0, &sd, err), VL_OK);
    if (!sd)
        goto out;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-X", "MU", &fork, &forkl), VL_OK);
    VL_CHECK_RC(s_t_settle(sd, &tn, fork, forkl, &seq), VL_OK);
    VL_CHECK_RC(vl_store_entry_bytes(sd, 1, &e1x, &e1xl, err), VL_OK);
    /* ... a store that knows version 2 refuses it: version 2 pins entry 1. */
    VL_CHECK_RC(vl_store_create(dc, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dc, tn.node, 0, &sc, err), VL_OK);
    if (!sc)
        goto out;
    VL_CHECK_RC(vl_store_policy_adopt(sc, s3, s3l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_append(sc, e1x, e1xl, err), VL_ECHAIN);
    VL_CHECK(strstr(err, "another history") != NULL);
    VL_CHECK_RC(vl_store_append(sc, e1, e1l, err), VL_OK);
    /* A store opened with the key version 2 revokes cannot adopt it. */
    {
        char dg[600] = "";
        vl_store_t *sg = NULL;
        VL_CHECK_RC(s_t_mkdir(dg), VL_OK);
        VL_CHECK_RC(vl_store_create(dg, tn.genesis, tn.genesis_len, tn.mg, err), VL_OK);
        VL_CHECK_RC(vl_store_open(dg, tn.mg, 0, &sg, err), VL_OK);
        if (sg)
            VL_CHECK_RC(vl_store_policy_adopt(sg, s3, s3l, NULL), VL_EPERM);
        vl_store_close(&sg);
        s_t_rmdir(dg);
    }
    /* ... and store D, on the other history, refuses version 2. */
    VL_CHECK_RC(vl_store_policy_adopt(sd, s3, s3l, NULL), VL_ECHAIN);

    /* Old keys' other entry 1 is below version 2's satisfied pin: another
     * history, not evidence (it must not stop the log). */
    VL_CHECK_RC(vl_store_fork_check(sa, e1, e1l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_fork_check(sa, e1x, e1xl, err), VL_ECHAIN);
    VL_CHECK_RC(vl_store_evidence_put(sb, e1, e1l, e1x, e1xl, NULL), VL_ECHAIN);
    VL_CHECK(vl_store_fork_seq(sa) == 0);
    /* Equivocation at entry 2 (a1 + a3 signed two entries): A keeps the
     * pair and stops; B gets the evidence. */
    VL_CHECK(e2x != NULL);
    if (!e2x)
        goto out;
    VL_CHECK_RC(vl_store_fork_check(sa, e2cap[0], (size_t)(uintptr_t)e2cap[1], err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_fork_check(sa, e2x, e2xl, err), VL_EFORK);
    VL_CHECK(strstr(err, "fork at entry 2") != NULL);
    VL_CHECK(vl_store_fork_seq(sa) == 2);
    {
        s_t_ev_t ev = { 0, 0 };
        VL_CHECK_RC(vl_store_evidence_each(sa, s_t_ev_cb, &ev), VL_OK);
        VL_CHECK(ev.n == 1 && ev.seq == 2);
    }
    VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-3", "MU", &snew, &snewl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, snew, snewl, id, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, NULL), VL_EFORK);
    e2x[e2xl - 3] ^= 1; /* inside the last signature */
    VL_CHECK_RC(vl_store_evidence_put(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], e2x, e2xl,
                                      NULL), VL_EAUTH);
    e2x[e2xl - 3] ^= 1;
    VL_CHECK_RC(vl_store_evidence_put(sb, e2x, e2xl, e2x, e2xl, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_store_evidence_put(sb, e1, e1l, e2x, e2xl, NULL), VL_EINVAL);
    VL_CHECK(vl_store_fork_seq(sb) == 0);
    VL_CHECK_RC(vl_store_evidence_put(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], e2x, e2xl, err),
                VL_EFORK);
    VL_CHECK_RC(vl_store_evidence_put(sb, e2x, e2xl, e2cap[0], (size_t)(uintptr_t)e2cap[1],
                                      NULL), VL_EEXIST);
    VL_CHECK(vl_store_fork_seq(sb) == 2);
    VL_CHECK_RC(vl_store_fork_check(sb, e2x, e2xl, NULL), VL_EFORK);
    /* Past the fork nothing is appended, whoever sent it. */
    VL_CHECK_RC(vl_store_append(sb, forged, forgedl, NULL), VL_EFORK);
    /* The approvers resolve it: version 3 pins A's entry 2; A resumes. */
    {
        vl_policy_builder_t *b3 = NULL;
        uint8_t *o = NULL, *o1 = NULL, *o2 = NULL;
        size_t ol = 0, o1l = 0, o2l = 0;
        vl_head_t ha;
        VL_CHECK_RC(vl_store_head(sa, &ha), VL_OK);
        VL_CHECK_RC(vl_policy_builder_from(v2, tn.a1, &b3, err), VL_OK);
        if (b3) {
            VL_CHECK_RC(vl_policy_builder_set_fresh(b3, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b3, v2, ha.seq + 1, ha.hash, false, T_NOW,
                                                      &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(v2, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(v2, o1, o1l, a3, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sa, o2, o2l, err), VL_OK);
            VL_CHECK(vl_store_fork_seq(sa) == 0);
            VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sa, id, a3, T_NOW, &seq, NULL, err), VL_OK);
            VL_CHECK(seq == 3);
            /* The fork is settled (no longer listed); the other entry 2 is now
             * another history. */
            s_t_ev_t ev = { 0, 0 };
            VL_CHECK_RC(vl_store_evidence_each(sa, s_t_ev_cb, &ev), VL_OK);
            VL_CHECK(ev.n == 0);
            VL_CHECK_RC(vl_store_fork_check(sa, e2x, e2xl, NULL), VL_ECHAIN);
        }
        vl_policy_builder_destroy(&b3);
        free(o);
        free(o1);
        free(o2);
    }

    /* Freshness on C (version 2 names the node; C is at entry 1). */
    VL_CHECK_RC(vl_store_freshness(sd, T_NOW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_UNCONFIGURED);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_UNKNOWN);
    VL_CHECK_RC(vl_store_head(sc, &h), VL_OK);
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, h.hash, T_NOW, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW - 1000, NULL), VL_EINVAL); /* future */
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, err), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 10, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_OK && fr.have && fr.expires == T_NOW + 3600);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 3600 + VL_CLOCK_SKEW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_OK);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 3600 + VL_CLOCK_SKEW + 1, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_STALE);
    {
        char line[256];
        vl_freshness_text(&fr, line, sizeof line);
        VL_CHECK(strstr(line, "stale since") != NULL);
    }
    free(fs);
    fs = NULL;
    /* Older (rollback), wrong head, wrong signer: refused. */
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, h.hash, T_NOW - 5, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_ESTALE);
    free(fs);
    fs = NULL;
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, vl_policy_hash(tn.pol), T_NOW + 5, 3600, &fs, &fsl),
                VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_ECHAIN);
    free(fs);
    fs = NULL;
    VL_CHECK_RC(s_t_fresh(v2, tn.a1, 1, h.hash, T_NOW + 5, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_EPERM);
    free(fs);
    fs = NULL;
    /* Newer and ahead of us: behind. */
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 2, h.hash, T_NOW + 60, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW + 60, err), VL_OK);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 60, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_BEHIND);
    VL_CHECK_RC(vl_store_verify(sc, NULL, NULL, &problems), VL_OK);

out:
    if (err[0] && verbose)
        fprintf(stderr, "store trust test: last detail: %s\n", err);
    vl_entry_destroy(&e);
    vl_store_close(&sa);
    vl_store_close(&sb);
    vl_store_close(&sc);
    vl_store_close(&sd);
    vl_policy_destroy(&v2);
    vl_policy_builder_destroy(&b);
    vl_keypair_destroy(&a3);
    sodium_memzero(ck1, sizeof ck1);
    free(u);
    free(s1);
    free(s2);
    free(s3);
    free(snew);
    free(p);
    free(pmg);
    free(e1);
    free(e1x);
    free(e2x);
    free(fs);
    free(alt);
    free(alt2);
    free(forged);
    free(fork);
    free(e2cap[0]);
    s_t_rmdir(da);
    s_t_rmdir(db_);
    s_t_rmdir(dc);
    s_t_rmdir(dd);
    vl_testnet_fini(&tn);
    return VL_TEST_END;
}

int
vl_store_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    vl_store_t *st = NULL, *sb = NULL;
    char dir_a[600] = "", dir_b[600] = "", dir_c[600] = "", dir_d[600] = "", snap[600] = "",
         tdir[600] = "", err[VL_ERRMSG_MAX] = "";
    uint8_t *x1 = NULL, *x2 = NULL, *x3 = NULL, *y1 = NULL, *z1 = NULL, *w1 = NULL, *mgx = NULL;
    size_t x1l = 0, x2l = 0, x3l = 0, y1l = 0, z1l = 0, w1l = 0, mgxl = 0;
    uint8_t *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL, *p6 = NULL,
            *p7 = NULL, *pbad = NULL, *e_bad = NULL, *e_tmp = NULL;
    size_t p1l = 0, p2l = 0, p3l = 0, p4l = 0, p5l = 0, p6l = 0, p7l = 0, pbadl = 0,
           e_badl = 0, e_tmpl = 0;
    uint8_t id1[VL_HASH_LEN], id2[VL_HASH_LEN], id3[VL_HASH_LEN], id4[VL_HASH_LEN],
        id5[VL_HASH_LEN];
    uint64_t seq = 0;
    size_t nsigs = 0;
    vl_head_t h, h2;
    vl_record_t *rec = NULL;
    uint64_t rev = 0;
    s_t_log_t log;
    s_t_ids_t *ids = calloc(1, sizeof *ids);
    char *old_map = getenv("VL_STORE_MAP_INITIAL");
    old_map = old_map ? strdup(old_map) : NULL;
    memset(&log, 0, sizeof log);

    if (vl_testnet_init(&tn) != VL_OK || !ids) {
        free(ids);
        free(old_map);
        return 1;
    }
    /* Every store of this test starts from a 1 MiB map, so loading grows it. */
    setenv("VL_STORE_MAP_INITIAL", "1048576", 1);
    VL_CHECK_RC(s_t_mkdir(dir_a), VL_OK);

    /* ---- create and open ------------------------------------------------------- */
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.outsider, err), VL_EPERM);
    VL_CHECK(strstr(err, "not a member") != NULL);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.node, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_open(dir_a, tn.outsider, 0, &st, err), VL_EPERM);
    VL_CHECK(st == NULL);
    VL_CHECK_RC(vl_store_open("/nonexistent/valise-store", tn.node, 0, &st, NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_OK);
    if (!st)
        goto out;
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 0 && h.records == 0 && h.pending == 0);
    VL_CHECK(memcmp(h.hash, vl_policy_hash(tn.pol), VL_HASH_LEN) == 0);
    VL_CHECK(strcmp(vl_policy_name(vl_store_policy(st)), "valise test network") == 0);

    /* ---- propose, approve below threshold, duplicates, non-approvers ------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0101", "\"mla\",\"extradition\"",
                              "\"en\",\"fr\"", &x1, &x1l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x1, x1l, 0, false, &p1, &p1l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, id1, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, NULL, err), VL_EEXIST);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec == NULL && rev == 0); /* below threshold: nothing applied */
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 0 && h.pending == 1);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a1, T_NOW, &seq, &nsigs, err), VL_EEXIST);
    VL_CHECK(strstr(err, "already approved") != NULL);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.mu, T_NOW, &seq, &nsigs, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.node, T_NOW, &seq, &nsigs, NULL), VL_EPERM);
    {
        s_t_pend_t pc = { 0, 0 };
        VL_CHECK_RC(vl_store_pending_each(st, s_t_pend_cb, &pc), VL_OK);
        VL_CHECK(pc.n == 1 && pc.sigs == 1);
    }
    {
        char hex[2 * VL_HASH_LEN + 1];
        uint8_t got[VL_HASH_LEN];
        vl_hex(id1, VL_HASH_LEN, hex);
        hex[7] = '\0';
        VL_CHECK_RC(vl_store_pending_lookup(st, hex, got, err), VL_OK);
        VL_CHECK(memcmp(got, id1, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_pending_lookup(st, "zz12", got, NULL), VL_EINVAL);
        VL_CHECK_RC(vl_store_pending_lookup(st, "ab", got, NULL), VL_EINVAL);
    }

    /* ---- threshold met: applied, root equals a from-scratch recomputation ----------- */
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a2, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 1 && nsigs == 2);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec && rev == 1);
    if (rec) {
        size_t bl;
        const uint8_t *b = vl_record_body(rec, &bl);
        VL_CHECK(bl == x1l && memcmp(b, x1, bl) == 0);
    }
    vl_record_destroy(&rec);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 1 && h.records == 1 && h.pending == 0);
    {
        uint8_t root[VL_HASH_LEN], dig[VL_HASH_LEN];
        VL_CHECK_RC(s_t_scan(st, root, dig, NULL), VL_OK);
        VL_CHECK(memcmp(root, h.root, VL_HASH_LEN) == 0);
    }

    /* ---- replay of a settled proposal ---------------------------------------------------- */
    err[0] = '\0';
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, NULL, err), VL_EEXIST);
    VL_CHECK(strstr(err, "replay") != NULL);

    /* ---- stale base at approval, then rejection -------------------------------------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0202", "\"mla\"", "\"en\"", &x2, &x2l),
                VL_OK);
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0303", "\"extradition\"", "\"fr\"",
                              &x3, &x3l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 1, false, &p2, &p2l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 1, false, &p3, &p3l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p2, p2l, id2, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, id3, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id2, tn.a1, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id2, tn.a2, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 2);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_approve(st, id3, tn.a1, T_NOW, &seq, &nsigs, err), VL_ESTALE);
    VL_CHECK(strstr(err, "needs rebase: record MU-CA-1 is at revision 2, proposal is based on 1") !=
             NULL);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec && rev == 2);
    vl_record_destroy(&rec);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 2 && h.pending == 1); /* p3 stays pending */
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, NULL, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.mu, "no", T_NOW, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.a1, "", T_NOW, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.a1, "based on revision 1; please rebase", T_NOW + 1,
                                err), VL_OK);
    {
        char hex[2 * VL_HASH_LEN + 1], reason[128] = "";
        uint8_t got[VL_HASH_LEN];
        vl_hex(id3, VL_HASH_LEN, hex);
        VL_CHECK_RC(vl_store_pending_lookup(st, hex, got, NULL), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_rejections_each(st, s_t_rej_cb, reason), VL_OK);
        VL_CHECK(strcmp(reason, "based on revision 1; please rebase") == 0);
    }
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, NULL, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_approve(st, id3, tn.a2, T_NOW, NULL, NULL, NULL), VL_ENOTFOUND);
    /* A new record whose id is taken is stale too. */
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 0, false, &pbad, &pbadl), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, NULL), VL_ESTALE);
    T_FREE(pbad);

    /* ---- another State's authority may not take a record over ---------------------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MG", "+261 555 9999", "\"mla\"", "\"en\"", &mgx,
                              &mgxl), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mg, mgx, mgxl, 2, false, &pbad, &pbadl), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, err), VL_EPERM);
    T_FREE(pbad);

    /* ---- a candidate built on an old head is rebuilt (old signatures dropped) --------------- */
    VL_CHECK_RC(s_t_authority("MG-CA-1", "MG", "+261 555 0101", "\"mla\"", "\"fr\",\"mg\"", &y1,
                              &y1l), VL_OK);
    VL_CHECK_RC(s_t_authority("MU-CA-2", "MU", "+230 555 0404", "\"firearms_trafficking\"",
                              "\"en\"", &z1, &z1l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mg, y1, y1l, 0, false, &p4, &p4l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, z1, z1l, 0, false, &p5, &p5l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p4, p4l, id4, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p5, p5l, id5, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_approve(st, id5, tn.a1, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id5, tn.a2, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 3);
    {
        s_t_pend_t pc = { 0, 0 };
        VL_CHECK_RC(vl_store_pending_each(st, s_t_pend_cb, &pc), VL_OK);
        VL_CHECK(pc.n == 1 && pc.sigs == 0); /* a1's signature is on a stale candidate */
    }
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a2, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 4 && nsigs == 2);

    /* ---- delete ------------------------------------------------------------------------------ */
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, z1, z1l, 1, true, &p6, &p6l), VL_OK);
    VL_CHECK_RC(s_t_settle(st, &tn, p6, p6l, &seq), VL_OK);
    VL_CHECK(seq == 5);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-2", &rec, &rev, err), VL_OK);
    VL_CHECK(rec == NULL && rev == 0);
    {
        vl_query_t q;
        int frc;
        memset(&q, 0, sizeof q);
        q.function = "firearms_trafficking";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_OK);
        q.function = NULL;
        q.state = "MU";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK);
    }
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 5 && h.records == 2);

    /* ---- append: replay A's log into B, then refuse bad entries ------------------------------ */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK);
    VL_CHECK(log.n == 5);
    VL_CHECK_RC(s_t_mkdir(dir_b), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_b, tn.genesis, tn.genesis_len, tn.a1, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dir_b, tn.a1, 0, &sb, err), VL_OK);
    if (!sb)
        goto out;
    VL_CHECK_RC(vl_store_append(sb, log.e[1], log.len[1], NULL), VL_ECHAIN);
    for (size_t i = 0; i < log.n; i++)
        VL_CHECK_RC(vl_store_append(sb, log.e[i], log.len[i], err), VL_OK);
    VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
    VL_CHECK(h2.seq == h.seq && memcmp(h2.hash, h.hash, VL_HASH_LEN) == 0 &&
             memcmp(h2.root, h.root, VL_HASH_LEN) == 0 && h2.records == h.records);
    VL_CHECK_RC(vl_store_append(sb, log.e[4], log.len[4], NULL), VL_ECHAIN);

    /* A new entry in A: p7 updates MU-CA-1 from revision 2. */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK); /* (re-collected) */
    vl_store_close(&st);
    VL_CHECK_RC(s_t_copy(dir_a, snap), VL_OK); /* snapshot: MU-CA-1 at revision 2 */
    VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_OK);
    if (!st)
        goto out;
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 2, false, &p7, &p7l), VL_OK);
    VL_CHECK_RC(s_t_settle(st, &tn, p7, p7l, &seq), VL_OK);
    VL_CHECK(seq == 6);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    {
        uint8_t prev[VL_HASH_LEN], bogus[VL_HASH_LEN], root_b[VL_HASH_LEN], dig_b[VL_HASH_LEN],
            root_b2[VL_HASH_LEN], dig_b2[VL_HASH_LEN];
        memcpy(prev, h2.hash, VL_HASH_LEN);
        vl_random(bogus, sizeof bogus);
        VL_CHECK_RC(s_t_scan(sb, root_b, dig_b, NULL), VL_OK);
        struct {
            uint64_t seq;
            const uint8_t *prev, *root;
            bool both;
            int want;
        } bad[] = {
            { 7, prev, h.root, true, VL_ECHAIN },        /* wrong seq */
            { 6, bogus, h.root, true, VL_ECHAIN },       /* wrong prev */
            { 6, prev, bogus, true, VL_ECORRUPT },       /* wrong root */
            { 6, prev, h.root, false, VL_ETHRESHOLD },   /* one signature */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            uint8_t *one = NULL;
            size_t onel = 0;
            VL_CHECK_RC(vl_entry_make(tn.pol, bad[i].seq, bad[i].prev, p7, p7l, bad[i].root,
                                      T_NOW, &e_tmp, &e_tmpl, err), VL_OK);
            VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
            if (bad[i].both)
                VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &e_bad, &e_badl, err), VL_OK);
            else {
                e_bad = one;
                e_badl = onel;
                one = NULL;
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append(sb, e_bad, e_badl, err), bad[i].want);
            if (verbose)
                printf("store: bad entry %zu refused: %s\n", i, err);
            VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
            VL_CHECK(h2.seq == 5 && memcmp(h2.hash, prev, VL_HASH_LEN) == 0);
            VL_CHECK_RC(s_t_scan(sb, root_b2, dig_b2, NULL), VL_OK);
            VL_CHECK(memcmp(root_b, root_b2, VL_HASH_LEN) == 0 &&
                     memcmp(dig_b, dig_b2, VL_HASH_LEN) == 0);
            free(one);
            T_FREE(e_tmp);
            T_FREE(e_bad);
        }
    }
    s_t_log_free(&log);
    VL_CHECK_RC(vl_store_log_each(st, 6, 6, s_t_log_cb, &log), VL_OK);
    VL_CHECK(log.n == 1);
    if (log.n == 1) {
        VL_CHECK_RC(vl_store_append(sb, log.e[0], log.len[0], err), VL_OK);
        VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
        VL_CHECK(h2.seq == 6 && memcmp(h2.root, h.root, VL_HASH_LEN) == 0);
        /* The same proposal again in a well-formed next entry: a replay. */
        uint8_t *one = NULL;
        size_t onel = 0;
        VL_CHECK_RC(vl_entry_make(tn.pol, 7, h2.hash, p7, p7l, h2.root, T_NOW, &e_tmp, &e_tmpl,
                                  err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &e_bad, &e_badl, err), VL_OK);
        VL_CHECK_RC(vl_store_append(sb, e_bad, e_badl, NULL), VL_EEXIST);
        free(one);
        T_FREE(e_tmp);
        T_FREE(e_bad);
    }
    s_t_log_free(&log);

    /* ---- several hundred records: map growth, find ------------------------------------------ */
    {
        static const char *const states[] = { "MU", "MG", "FR", "SC", "KM" };
        static const char *const funcs[] = { "\"mla\"", "\"extradition\",\"mla\"",
                                             "\"firearms_trafficking\"",
                                             "\"migrant_smuggling_sea\",\"mla\"" };
        static const char *const langs[] = { "\"en\"", "\"fr\"", "\"es\",\"fr\"" };
        enum { NREC = 640, PER = 32 };
        size_t n_es = 0;
        uint8_t *bodies[PER];
        size_t lens[PER];
        uint64_t bases[PER];
        memset(bases, 0, sizeof bases);
        for (size_t start = 0; start < NREC; start += PER) {
            uint8_t *prop = NULL;
            size_t plen = 0;
            for (size_t j = 0; j < PER; j++) {
                size_t i = start + j;
                char id[32], phone[32];
                snprintf(id, sizeof id, "%s-R%03zu", states[i % 5], i);
                snprintf(phone, sizeof phone, "+1 555 7%05zu", i);
                n_es += i % 3 == 2;
                bodies[j] = NULL;
                VL_CHECK_RC(s_t_authority(id, states[i % 5], phone, funcs[i % 4], langs[i % 3],
                                          &bodies[j], &lens[j]), VL_OK);
            }
            VL_CHECK_RC(s_t_prop(&tn, tn.a1, PER, bodies, lens, bases, NULL, &prop, &plen),
                        VL_OK);
            VL_CHECK_RC(s_t_settle(st, &tn, prop, plen, &seq), VL_OK);
            for (size_t j = 0; j < PER; j++)
                free(bodies[j]);
            free(prop);
        }
        VL_CHECK_RC(s_t_agreement("AGR-MU-MG", "MG", "MU", &w1, &w1l), VL_OK);
        VL_CHECK_RC(s_t_prop1(&tn, tn.a2, w1, w1l, 0, false, &pbad, &pbadl), VL_OK);
        VL_CHECK_RC(s_t_settle(st, &tn, pbad, pbadl, &seq), VL_OK);
        T_FREE(pbad);
        MDB_envinfo info;
        mdb_env_info(st->env, &info);
        if (verbose)
            printf("store: map grew to %zu bytes\n", info.me_mapsize);
        VL_CHECK(info.me_mapsize > 1048576);
        VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
        VL_CHECK(h.records == NREC + 2 + 1);

        vl_query_t q;
        int frc;
        memset(&q, 0, sizeof q);
        q.state = "MU"; /* 64 generated + MU-CA-1 + the agreement */
        VL_CHECK(s_t_count(st, &q, &frc, ids) == NREC / 5 + 2 && frc == VL_OK && ids->sorted);
        q.function = "firearms_trafficking"; /* i % 5 == 0 and i % 4 == 2 */
        VL_CHECK(s_t_count(st, &q, &frc, ids) == NREC / 20 && frc == VL_OK);
        memset(&q, 0, sizeof q);
        q.language = "es";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == n_es && frc == VL_OK);
        q.language = NULL;
        q.text = "+1 555 700123";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK &&
                 strcmp(ids->ids[0], "SC-R123") == 0);
        q.text = "treaty agr-MU";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK);
        q.text = NULL;
        q.kind = "agreement";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK &&
                 strcmp(ids->ids[0], "AGR-MU-MG") == 0);
        q.kind = "authority";
        q.state = "MG";
        q.legal_basis = "UNTOC-18";
        q.limit = 5;
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 5 && frc == VL_OK);
        memset(&q, 0, sizeof q);
        q.state = "mu";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_EINVAL);
        q.state = NULL;
        q.kind = "person";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_EINVAL);

        if (verbose) {
            enum { NQ = 2000 };
            double *t = malloc(NQ * sizeof *t);
            memset(&q, 0, sizeof q);
            q.function = "mla";
            for (size_t i = 0; t && i < NQ; i++) {
                q.state = states[i % 5];
                double t0 = s_t_now_us();
                s_t_count(st, &q, &frc, ids);
                t[i] = s_t_now_us() - t0;
            }
            if (t) {
                qsort(t, NQ, sizeof *t, s_t_dcmp);
                printf("store: find state+function over %zu records (%zu hits): p50 %.1f us, "
                       "p99 %.1f us\n", (size_t)h.records, ids->n, t[NQ / 2], t[NQ * 99 / 100]);
            }
            free(t);
        }
    }

    /* A bulk load in ONE transaction from a 1 MiB map: grows and reruns. */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dir_c), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_c, tn.genesis, tn.genesis_len, tn.mg, err), VL_OK);
    {
        vl_store_t *sc = NULL;
        VL_CHECK_RC(vl_store_open(dir_c, tn.mg, 0, &sc, err), VL_OK);
        if (sc) {
            VL_CHECK_RC(vl_store_append_batch(sc, (const uint8_t *const *)log.e, log.len, log.n,
                                              err), VL_OK);
            VL_CHECK_RC(vl_store_head(sc, &h2), VL_OK);
            VL_CHECK(h2.seq == h.seq && memcmp(h2.root, h.root, VL_HASH_LEN) == 0 &&
                     h2.records == h.records);
            size_t problems = 1;
            VL_CHECK_RC(vl_store_verify(sc, NULL, NULL, &problems), VL_OK);
            VL_CHECK(problems == 0);
            vl_store_close(&sc);
        }
    }
    /* All or nothing: a batch with a bad entry at the end changes nothing. */
    VL_CHECK_RC(s_t_mkdir(dir_d), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_d, tn.genesis, tn.genesis_len, tn.a2, err), VL_OK);
    {
        vl_store_t *sd = NULL;
        VL_CHECK_RC(vl_store_open(dir_d, tn.a2, 0, &sd, err), VL_OK);
        if (sd && log.n > 3) {
            VL_CHECK_RC(vl_store_append_batch(sd, (const uint8_t *const *)log.e, log.len, 3,
                                              err), VL_OK);
            /* entries 4.. then entry 2 again */
            uint8_t *saved = log.e[log.n - 1];
            size_t saved_len = log.len[log.n - 1];
            log.e[log.n - 1] = log.e[1];
            log.len[log.n - 1] = log.len[1];
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_batch(sd, (const uint8_t *const *)log.e + 3, log.len + 3,
                                              log.n - 3, err), VL_ECHAIN);
            log.e[log.n - 1] = saved;
            log.len[log.n - 1] = saved_len;
            VL_CHECK_RC(vl_store_head(sd, &h2), VL_OK);
            VL_CHECK(h2.seq == 3);
        }
        vl_store_close(&sd);
    }
    s_t_log_free(&log);

    /* ---- federation support -------------------------------------------------------------- */
    VL_CHECK(s_t_federation(&tn, st, verbose) == 0);

    /* ---- verify a sound store; read-only open ------------------------------------------------ */
    {
        size_t problems = 1;
        s_t_rep_t rep;
        memset(&rep, 0, sizeof rep);
        rep.verbose = verbose;
        VL_CHECK_RC(vl_store_verify(st, s_t_report, &rep, &problems), VL_OK);
        VL_CHECK(problems == 0 && rep.n == 0);
    }
    vl_store_close(&st);
    VL_CHECK(st == NULL);
    vl_store_close(&st);
    VL_CHECK_RC(vl_store_open(dir_a, tn.mu, VL_STORE_RDONLY, &st, err), VL_OK);
    if (st) {
        VL_CHECK_RC(vl_store_head(st, &h2), VL_OK);
        VL_CHECK(h2.seq == h.seq);
        VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 3, false, &pbad, &pbadl), VL_OK);
        VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, NULL), VL_EINVAL);
        T_FREE(pbad);
        vl_store_close(&st);
    }

    /* ---- the file holds no contact data in clear --------------------------------------------- */
    {
        char path[700];
        size_t flen = 0;
        snprintf(path, sizeof path, "%s/data.mdb", dir_a);
        uint8_t *file = s_t_read_file(path, &flen);
        VL_CHECK(file != NULL && flen > 1048576);
        static const char *const secrets[] = { "+230 555 0303", "+230 555 0101", "+1 555 700123",
                                               "Officer SC-R123", "+261 555 0101" };
        for (size_t i = 0; file && i < sizeof secrets / sizeof secrets[0]; i++)
            VL_CHECK(!s_t_contains(file, flen, secrets[i]));
        /* (the record ids and index terms are not secret) */
        VL_CHECK(file && s_t_contains(file, flen, "s:MU"));
        free(file);
    }

    /* ---- tampering: each is caught by verify ------------------------------------------------- */
    {
        s_raw_t r;
        uint8_t key8[8];
        char idxkey[64];
        size_t ilen;
        struct {
            const char *what, *want;
        } cases[] = {
            { "record body", "record MU-CA-1: does not decrypt" },
            { "record revision", "record MU-CA-1: does not decrypt" },
            { "index added", "index: term s:ZZ of record MU-CA-1 does not belong" },
            { "index removed", "index: term s:MU of record MU-CA-1 is missing" },
            { "log entry", "entry 3: " },
            { "log entry removed", "log: entry 2 is missing" },
            { "root accumulator", "root accumulator" },
            { "record removed", "record MG-CA-1: missing" },
            { "record rolled back", "record MU-CA-1: revision 2, the log says 3" },
            { "settled removed", "the settled table does not name it" },
            { "chain broken", "entry 2: broken chain: prev is not the hash of entry 1" },
        };
        /* A validly signed entry 2 whose prev names something else. */
        uint8_t *chain = NULL;
        size_t chainl = 0;
        {
            vl_store_t *ro = NULL;
            vl_entry_t *e2 = NULL;
            uint8_t bogus[VL_HASH_LEN], *one = NULL;
            size_t onel = 0, pl = 0;
            memset(bogus, 0x5a, sizeof bogus);
            VL_CHECK_RC(vl_store_open(dir_a, tn.node, VL_STORE_RDONLY, &ro, err), VL_OK);
            if (ro)
                VL_CHECK_RC(vl_store_log_each(ro, 2, 2, s_t_log_cb, &log), VL_OK);
            vl_store_close(&ro);
            if (log.n == 1 &&
                vl_entry_parse(tn.pol, log.e[0], log.len[0], 0, &e2, err) == VL_OK) {
                const uint8_t *pb = vl_proposal_bytes(vl_entry_proposal(e2), &pl);
                VL_CHECK_RC(vl_entry_make(tn.pol, 2, bogus, pb, pl, vl_entry_root(e2), T_NOW,
                                          &e_tmp, &e_tmpl, err), VL_OK);
                VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
                VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &chain, &chainl, err), VL_OK);
            }
            VL_CHECK(chain != NULL);
            vl_entry_destroy(&e2);
            free(one);
            T_FREE(e_tmp);
            s_t_log_free(&log);
        }
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            int trc = s_t_copy(dir_a, tdir);
            VL_CHECK_RC(trc, VL_OK);
            if (trc != VL_OK)
                continue;
            VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
            switch (c) {
            case 0:
                trc = s_raw_flip(&r, "records", "MU-CA-1", 7, -3);
                break;
            case 1:
                trc = s_raw_flip(&r, "records", "MU-CA-1", 7, 8);
                break;
            case 2:
                ilen = (size_t)snprintf(idxkey, sizeof idxkey, "s:ZZ%cMU-CA-1", 0);
                trc = mdb_put(r.txn, s_raw_db(&r, "index"), &(MDB_val){ ilen, idxkey },
                              &(MDB_val){ 0, (void *)"" }, 0) ? VL_ESTORE : VL_OK;
                break;
            case 3:
                ilen = (size_t)snprintf(idxkey, sizeof idxkey, "s:MU%cMU-CA-1", 0);
                trc = mdb_del(r.txn, s_raw_db(&r, "index"), &(MDB_val){ ilen, idxkey }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 4:
                s_be64_put(key8, 3);
                trc = s_raw_flip(&r, "log", key8, 8, -10);
                break;
            case 5:
                s_be64_put(key8, 2);
                trc = mdb_del(r.txn, s_raw_db(&r, "log"), &(MDB_val){ 8, key8 }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 6:
                trc = s_raw_flip(&r, "meta", "root_acc", 8, 100);
                break;
            case 7:
                trc = mdb_del(r.txn, s_raw_db(&r, "records"), &(MDB_val){ 7, "MG-CA-1" }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 8: {
                /* Put back MU-CA-1's value from the snapshot (revision 2). */
                s_raw_t rs;
                MDB_val k = { 7, "MU-CA-1" }, v;
                uint8_t *old = NULL;
                size_t oldl = 0;
                trc = VL_ENOTFOUND;
                if (s_raw_begin(&rs, snap) == VL_OK &&
                    mdb_get(rs.txn, s_raw_db(&rs, "records"), &k, &v) == 0 &&
                    (old = malloc(v.mv_size))) {
                    memcpy(old, v.mv_data, v.mv_size);
                    oldl = v.mv_size;
                }
                mdb_txn_abort(rs.txn);
                rs.txn = NULL;
                s_raw_end(&rs);
                if (old)
                    trc = mdb_put(r.txn, s_raw_db(&r, "records"), &k, &(MDB_val){ oldl, old }, 0)
                              ? VL_ESTORE : VL_OK;
                free(old);
                break;
            }
            case 9:
                trc = mdb_del(r.txn, s_raw_db(&r, "settled"), &(MDB_val){ VL_HASH_LEN, id2 },
                              NULL) ? VL_ESTORE : VL_OK;
                break;
            case 10:
                s_be64_put(key8, 2);
                trc = chain && mdb_put(r.txn, s_raw_db(&r, "log"), &(MDB_val){ 8, key8 },
                                       &(MDB_val){ chainl, chain }, 0) == 0 ? VL_OK : VL_ESTORE;
                break;
            }
            VL_CHECK_RC(trc, VL_OK);
            VL_CHECK_RC(s_raw_end(&r), VL_OK);
            if (verbose)
                printf("store: tamper %s\n", cases[c].what);
            VL_CHECK(s_t_verify_finds(tdir, tn.node, cases[c].want, verbose));
            if (c == 0 || c == 1) {
                /* Reads refuse the altered record instead of returning it. */
                vl_store_t *tst = NULL;
                vl_query_t q;
                int frc;
                memset(&q, 0, sizeof q);
                q.state = "MU";
                VL_CHECK_RC(vl_store_open(tdir, tn.node, 0, &tst, err), VL_OK);
                if (tst) {
                    VL_CHECK_RC(vl_store_get(tst, "MU-CA-1", &rec, &rev, NULL), VL_ECORRUPT);
                    VL_CHECK(rec == NULL);
                    s_t_count(tst, &q, &frc, ids);
                    VL_CHECK(frc == VL_ECORRUPT);
                    vl_store_close(&tst);
                }
            }
            s_t_rmdir(tdir);
        }
        free(chain);
        /* A truncated record value: an error, not a crash. */
        if (s_t_copy(dir_a, tdir) == VL_OK) {
            vl_store_t *tst = NULL;
            VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
            VL_CHECK(mdb_put(r.txn, s_raw_db(&r, "records"), &(MDB_val){ 7, "MU-CA-1" },
                             &(MDB_val){ 3, "\x01\x00\x00" }, 0) == 0);
            VL_CHECK_RC(s_raw_end(&r), VL_OK);
            VL_CHECK_RC(vl_store_open(tdir, tn.node, 0, &tst, err), VL_OK);
            if (tst) {
                VL_CHECK_RC(vl_store_get(tst, "MU-CA-1", &rec, &rev, NULL), VL_ECORRUPT);
                /* Applying over a corrupt record fails cleanly too. */
                VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 3, false, &pbad, &pbadl), VL_OK);
                VL_CHECK_RC(vl_store_propose(tst, pbad, pbadl, NULL, NULL), VL_ECORRUPT);
                T_FREE(pbad);
                vl_store_close(&tst);
            }
            VL_CHECK(s_t_verify_finds(tdir, tn.node, "record MU-CA-1: malformed", verbose));
            s_t_rmdir(tdir);
        }
    }

out:
    vl_store_close(&st);
    vl_store_close(&sb);
    s_t_log_free(&log);
    for (char *d = dir_a; d; d = d == dir_a ? dir_b : d == dir_b ? dir_c : d == dir_c ? dir_d
                                            : d == dir_d ? snap : NULL)
        if (*d)
            s_t_rmdir(d);
    free(x1);
    free(x2);
    free(x3);
    free(y1);
    free(z1);
    free(w1);
    free(mgx);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    free(p5);
    free(p6);
    free(p7);
    free(pbad);
    free(e_bad);
    free(e_tmp);
    free(ids);
    vl_testnet_fini(&tn);
    if (old_map)
        setenv("VL_STORE_MAP_INITIAL", old_map, 1);
    else
        unsetenv("VL_STORE_MAP_INITIAL");
    free(old_map);
    VL_CHECK(s_t_trust(verbose) == 0);
    return VL_TEST_END;
}

