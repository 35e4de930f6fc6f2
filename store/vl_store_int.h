/* SPDX-License-Identifier: MIT */
/*
 * vl_store_int - what the files of store/ share and nothing outside store/
 * sees: the layout of the store (docs/store.md has every database, key and
 * value byte by byte), struct vl_store, and the internal functions (vls_*).
 *
 * vl_store is the node's signed replica in LMDB, in one file per concern,
 * layered: a file calls functions (vls_* or public vl_store_*) of files
 * listed above it only, never of a file below it. Bottom up:
 *   vl_store_txn.c      LMDB access, transactions, map growth, scans, and
 *                       loading the policy chain from the "policies" table
 *   vl_store_policy.c   the policy chain in memory: version for a seq, pins
 *   vl_store_head.c     the head and the signature watermark in meta
 *   vl_store_rest.c     content keys, records encrypted at rest
 *   vl_store_find.c     the index, get and find
 *   vl_store_plan.c     a proposal against current records: settled, epoch, plan
 *   vl_store_fork.c     equivocation evidence, refusing a forked log
 *   vl_store_prep.c     a batch's entries decoded and opened ahead, on a worker
 *   vl_store_log.c      applying and appending entries, reading the log
 *   vl_store_stage.c    entries pulled backwards from a policy pin (the stage)
 *   vl_store_pending.c  proposals, approvals
 *   vl_store_run.c      approving every pending proposal at once (runs)
 *   vl_store_reject.c   rejections
 *   vl_store_outcome.c  what became of proposals (pending, applied, rejected)
 *   vl_store_adopt.c    adopting a policy version (drops dead pending work)
 *   vl_store_fresh.c    freshness statements
 *   vl_store_peers.c    peer records
 *   vl_store_verify.c   checking every derived table against the log
 *   vl_store_bundle.c   making and importing bundles (public calls above only)
 *   vl_store.c          open, create, close
 *
 * Invariants:
 *  - The log is the truth. Every other table (records, index, meta head and
 *    accumulator, settled, pending, candidates) is derived from it plus the
 *    pending work, and vl_store_verify() recomputes it from the log.
 *  - Every mutation is one write transaction run by vls_write(): on
 *    MDB_MAP_FULL it aborts, doubles the map and reruns the whole callback,
 *    so a callback must only write through its txn and its outputs.
 *  - One function, vls_apply(), applies a log entry, whoever brought it
 *    (approve, append, append_batch, append_chain, stage_apply); it checks everything
 *    before the txn may commit, and any error aborts the txn: nothing
 *    changes. append_chain alone skips the signatures of all but the last
 *    entry of its batch; meta "sigs_checked" is the watermark below which
 *    every signature was verified, and check_sigs() moves it up.
 *  - Bytes read from LMDB are hostile: values are length-checked, record
 *    bodies are AEAD-opened and schema-checked, entries and proposals go
 *    through the protocol decoders. A bad value is VL_ECORRUPT, never a crash.
 *
 * Thread safety: one thread at a time per vl_store_t (MDB_NOTLS, so read
 * transactions are not tied to threads). Inside append_batch and
 * append_chain, a worker of vl_store_prep.c decodes entries ahead; it reads
 * only what no txn changes and is joined before the call returns. Callbacks of the *_each / find
 * functions run inside a read transaction: they may call read functions of
 * the same store, but must not close it.
 */
#ifndef VL_STORE_INT_H
#define VL_STORE_INT_H

#include "vl_store.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lmdb.h>

#include "vl_entry.h"
#include "vl_limits.h"
#include "vl_root.h"

/* ---- layout constants (docs/store.md) -------------------------------------- */

enum {
    S_META, S_LOG, S_PENDING, S_CANDIDATES, S_SETTLED, S_REJECTIONS, S_RECORDS, S_INDEX,
    S_PEERS, S_EVIDENCE, S_POLICIES, S_STAGE, S_NDBS
};

#define S_FORMAT       VL_STORE_FORMAT /* meta "format" */
#define S_FORMAT_OLDEST 1u             /* the oldest format this build opens */
#define S_SALT_LEN     16u         /* meta "salt" */
#define S_REC_V1       1u          /* first byte of a records value under epoch 0's key */
#define S_REC_V2       2u          /* ... of one that names its epoch (docs/store.md §2.2) */
#define S_REC_V3       3u          /* ... v2 whose sealed plaintext is a zstd frame of the body */
/* v1: version u8 | rev u64be | seq u64be | op u32be | nonce[24] | AEAD
 * v2: version u8 | rev u64be | seq u64be | op u32be | epoch u32be | nonce[24] | AEAD
 * v3: as v2; the AEAD seals one zstd frame of the body (vl_compress.h) */
#define S_REC_HDR1     (1u + 8u + 8u + 4u + VL_NONCE_LEN)
#define S_REC_HDR2     (1u + 8u + 8u + 4u + 4u + VL_NONCE_LEN)
#define S_REST_TAG     "valise/rest/1"
#define S_REST_TAG_LEN (sizeof S_REST_TAG) /* with its NUL */
#define S_AD_MAX       (S_REST_TAG_LEN + 4u + VL_MAX_ID + 8u)
/* index key: term NUL id; vl_record_terms promises terms of at most 80 bytes. */
#define S_TERM_MAX     95u
#define S_IDX_KEY_MAX  (S_TERM_MAX + 1u + VL_MAX_ID)
#define S_MAXDBS       16u
#define S_MAXREADERS   126u

/* Internal: an LMDB put hit MDB_MAP_FULL. vls_write() grows the map and reruns
 * the transaction; this value never leaves the module. */
#define S_MAP_FULL     (-1000)
/* Internal: a scan callback ends its scan early (a find at its limit, a walk
 * past its range); the caller turns it back into VL_OK. */
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

struct vl_store {
    MDB_env *env;               /* the LMDB environment (one per directory) */
    MDB_dbi dbi[S_NDBS];        /* named databases, opened once at open */
    bool rdonly;                /* opened with VL_STORE_RDONLY */
    bool quiet;                 /* opened with VL_STORE_QUIET */
    bool dbs_open;              /* dbi[] are valid */
    bool no_stage;              /* read-only open of a store made before the stage
                                   database existed: the stage is empty */
    unsigned nread;             /* read txns open now (the map may not grow meanwhile) */
    int wr_mrc;                 /* the LMDB/errno code of the last failed write op (vls_write) */
    const vl_keypair_t *kp;     /* member key (borrowed) */
    vl_policy_t *pol;           /* the current policy version (= pols[npols - 1]) */
    vl_policy_t **pols;         /* every version, pols[v - 1] is version v */
    size_t npols;
    uint8_t salt[S_SALT_LEN];   /* store salt for the at-rest key */
    s_ckey_t *ckeys;            /* content keys unsealed so far */
    size_t nckeys;
    uint8_t *rest_keys[VL_MAX_EPOCHS]; /* at-rest key of each epoch, derived on first
                                          use (vls_rest_key), vl_secure_alloc'd */
    bool has_rest;              /* opened with a member key: at-rest keys derive */
    uint32_t fmt;               /* meta "format" as opened (S_FORMAT once upgraded) */
    uint8_t *scratch;           /* VL_MAX_RECORD_ZFRAME plaintext buffer, vl_secure_alloc'd */
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

/* A records value, decoded (nonce and ct point into the LMDB value). */
typedef struct {
    uint64_t rev, seq;
    uint32_t op;
    uint32_t epoch;             /* at-rest key epoch (0 for a v1 value) */
    bool z;                     /* v3: the sealed plaintext is a zstd frame */
    const uint8_t *nonce;
    const uint8_t *ct;
    size_t ct_len;
} s_recval_t;

/* What op i replaces: the current record (NULL if none) and its revision. */
typedef struct {
    vl_record_t *old;
    uint64_t rev;
} s_cur_t;

/* A write transaction's body, run (maybe more than once) by vls_write(). */
typedef int (*s_txn_fn)(vl_store_t *self, MDB_txn *txn, void *ctx, char *err);

/* ---- small helpers ------------------------------------------------------ */

static inline void
vls_be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t
vls_be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static inline void
vls_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t
vls_be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* FNV-1a of an id (the verify map and the find cache). */
static inline uint64_t
vls_fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* First 8 bytes of an id or hash as 16 hex digits, for messages. */
static inline void
vls_short(const uint8_t *h, char out[2 * VL_KID_LEN + 1])
{
    vl_hex(h, VL_KID_LEN, out);
}

static inline MDB_val
vls_val(const void *p, size_t len)
{
    MDB_val v;
    v.mv_size = len;
    v.mv_data = (void *)p;
    return v;
}

/* ---- vl_store_txn.c -------------------------------------------------------- */

int vls_del(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, char *err);
int vls_get(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, MDB_val *out,
            char *err);
int vls_lmdb(int mrc, char *err, const char *what);
int vls_meta_get(vl_store_t *self, MDB_txn *txn, const char *name, size_t len, MDB_val *out,
                 char *err);
int vls_meta_put(vl_store_t *self, MDB_txn *txn, const char *name, const void *val, size_t len,
                 char *err);
int vls_put(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, const void *val,
            size_t vlen, unsigned flags, char *err);
void vls_read_end(vl_store_t *self, MDB_txn **txn);
int vls_txn_begin(vl_store_t *self, bool rdonly, MDB_txn **txn, char *err);
int vls_write(vl_store_t *self, s_txn_fn fn, void *ctx, char *err);
/* Every LMDB write op (put, delete, commit) asks VLS_FAULT() first: 0, or
 * the code the op must fail with instead of running. In a test build
 * (cmake -DVL_FAULTS=ON, docs/testing.md "Faults") it is vls_fault(), driven
 * by $VALISE_FAULT; in every other build it is the constant 0 and the hook
 * does not exist. */
#ifdef VL_FAULTS
int vls_fault(void);
#define VLS_FAULT() vls_fault()
#else
#define VLS_FAULT() 0
#endif
/* A write op of fn failed with mrc: remember it for vls_write's message. */
static inline int
vls_wr_fail(vl_store_t *self, int mrc)
{
    self->wr_mrc = mrc;
    return mrc;
}
/* The one key of db (keys of VL_HASH_LEN bytes: proposal ids) that starts
 * with hex_prefix (4..64 hex digits), in its own read txn. what names the
 * table in messages ("pending proposal"). VL_OK, VL_ENOTFOUND ("no <what>
 * <prefix>"), VL_EINVAL (bad or ambiguous prefix), VL_ECORRUPT, VL_ESTORE. */
int vls_prefix_lookup(vl_store_t *self, int db, const char *hex_prefix, const char *what,
                      uint8_t id[VL_HASH_LEN], char *err);
/* Copy out (malloc'd) the value of id in db once check() accepted it. */
int vls_copy_checked(vl_store_t *self, int db, const uint8_t id[VL_HASH_LEN],
                     int (*check)(vl_store_t *self, const uint8_t *b, size_t len,
                                  const uint8_t id[VL_HASH_LEN]),
                     uint8_t **out, size_t *len);

/* Called by vls_scan for each key and value, in key order: VL_OK goes on,
 * any other value ends the scan, which returns it. */
typedef int (*vls_scan_fn)(void *ctx, const MDB_val *k, const MDB_val *v);
/* Visit db in txn in key order, from the first key >= from (from NULL: from
 * the first key). VL_OK at the end, cb's value if it ended the scan, or
 * VL_ESTORE if LMDB fails. */
int vls_scan(vl_store_t *self, MDB_txn *txn, int db, const void *from, size_t flen, vls_scan_fn cb,
             void *ctx);

/* How vls_collect_each reads one table. */
typedef struct {
    int db;
    /* The first key (written into key, its length returned) once the read txn
     * has begun; NULL: from the first key. */
    size_t (*from)(const vl_store_t *self, uint8_t key[8]);
    size_t size;                                 /* bytes of one item */
    /* Check one key and value and copy it into item: VL_OK, or the value that
     * ends the read (decode frees what it half made). */
    int (*decode)(vl_store_t *self, const MDB_val *k, const MDB_val *v, void *item);
    void (*fini)(void *item);                    /* frees an item; NULL: nothing */
    int (*cmp)(const void *a, const void *b);    /* order of the calls; NULL: key order */
} vls_collect_t;
/* Read and decode every value of a table in one read txn, end the txn, then
 * call each(ctx, item) in order until it returns non-zero (the callback may
 * write to the store). VL_OK, each's value, decode's value, VL_ENOMEM or
 * VL_ESTORE. */
int vls_collect_each(vl_store_t *self, const vls_collect_t *how, int (*each)(void *ctx, void *item),
                     void *ctx);

/* The policy chain as stored: push a verified version (takes ownership),
 * load the versions the "policies" table holds beyond self->npols. */
int vls_pols_push(vl_store_t *self, vl_policy_t **pol);
int vls_pols_sync(vl_store_t *self, MDB_txn *txn, char *err);

/* ---- vl_store_policy.c ----------------------------------------------------- */

const vl_policy_t *vls_genesis(const vl_store_t *self);
int vls_pin_check(const vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN], char *err);
uint64_t vls_pinned_upto(const vl_store_t *self);
/* The lowest seq above `above` that a known version pins (from(v) - 1), and
 * that version in *version (may be NULL); 0 when none does. */
uint64_t vls_pin_above(const vl_store_t *self, uint64_t above, uint64_t *version);
/* Does a known version pin seq (from(v) = seq + 1)? */
bool vls_pinned_at(const vl_store_t *self, uint64_t seq);
const vl_policy_t *vls_pol_for(const vl_store_t *self, uint64_t seq);

/* ---- vl_store_head.c ------------------------------------------------------- */

int vls_head_load(vl_store_t *self, MDB_txn *txn, s_head_t *h, bool want_acc, char *err);
int vls_head_save(vl_store_t *self, MDB_txn *txn, const s_head_t *h, char *err);
int vls_sigs_load(vl_store_t *self, MDB_txn *txn, uint64_t head, uint64_t *out, char *err);
int vls_sigs_save(vl_store_t *self, MDB_txn *txn, uint64_t sc, char *err);

/* ---- vl_store_rest.c ------------------------------------------------------- */

int vls_ckey(vl_store_t *self, uint32_t epoch, const uint8_t **key, char *err);
int vls_rest_key(vl_store_t *self, uint32_t epoch, const uint8_t **key, char *err);
void vls_rest_derive(const vl_store_t *self, const uint8_t ck[VL_KEY_LEN],
                     uint8_t out[VL_KEY_LEN]);
int vls_rec_load(vl_store_t *self, MDB_txn *txn, const char *id, vl_record_t **rec, uint64_t *rev,
                 char *err);
int vls_rec_open(vl_store_t *self, const char *id, size_t idlen, const MDB_val *v, bool full,
                 vl_record_t **rec, uint64_t *rev, s_recval_t *rv_out, char *err);
int vls_rec_put(vl_store_t *self, MDB_txn *txn, const char *id, uint64_t rev, uint64_t seq,
                uint32_t op, const uint8_t *body, size_t blen, char *err);
int vls_recval_decode(const MDB_val *v, s_recval_t *rv);
int vls_rec_rekey(vl_store_t *self, MDB_txn *txn, uint32_t epoch, const uint8_t *key,
                  char *err);

/* ---- vl_store_find.c ------------------------------------------------------- */

size_t vls_idx_key(uint8_t key[S_IDX_KEY_MAX], const char *term, const char *id, size_t idlen);
int vls_index_update(vl_store_t *self, MDB_txn *txn, const vl_record_t *rec, bool del, char *err);

/* ---- vl_store_plan.c ------------------------------------------------------- */

void vls_cur_free(s_cur_t *cur, size_t n);
int vls_epoch_current(const vl_policy_t *pol, const vl_proposal_t *p, char *err);
int vls_not_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err);
int vls_plan(vl_store_t *self, MDB_txn *txn, const vl_policy_t *pol, const vl_proposal_t *p,
             s_cur_t *cur, vl_root_t *acc, char *err);
int vls_settled(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], int *kind,
                uint64_t *seq, char *err);
/* vls_settled, and for 'R' the author of the rejected proposal when the
 * settled value names it (*known; author and known may be NULL). */
int vls_settled_author(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], int *kind,
                       uint64_t *seq, uint8_t author[VL_PK_LEN], bool *known, char *err);

/* ---- vl_store_fork.c ------------------------------------------------------- */

int vls_fork_refuse(vl_store_t *self, MDB_txn *txn, uint64_t seq, char *err);

/* ---- vl_store_prep.c ------------------------------------------------------- */

/* What vls_apply would do first for one entry, done ahead on the worker. */
#define VLS_PRE_NOT_OPENED 1 /* orc: the proposal was not opened ahead */
typedef struct {
    uint64_t at;      /* the seq it was decoded for (head h0 + 1 + i) */
    int prc;          /* vl_entry_parse's result, message in perr */
    vl_entry_t *e;    /* the entry when prc is VL_OK (vls_apply takes it) */
    int orc;          /* vl_proposal_open's result (message in oerr) or VLS_PRE_NOT_OPENED */
    char perr[VL_ERRMSG_MAX];
    char oerr[VL_ERRMSG_MAX];
} vls_pre_t;
typedef struct vls_prep vls_prep_t;
/* Start the worker on entries[0..n) to be applied at head h0 (chain: all
 * signatures but the last entry's skipped, as append_chain). *out is NULL
 * when no thread or no memory for its slots could be had: apply without
 * one. */
void vls_prep_start(vl_store_t *self, uint64_t h0, const uint8_t *const *entries,
                   const size_t *lens, size_t n, bool chain, vls_prep_t **out);
/* Wait for slot i (i in order, each once) and lend it; NULL when pp is. */
vls_pre_t *vls_prep_take(vls_prep_t *pp, size_t i);
/* Stop and join the worker, free what was not taken. NULL-safe. */
void vls_prep_stop(vls_prep_t **pp);

/* ---- vl_store_log.c -------------------------------------------------------- */

/* pre: entry buf decoded ahead (vl_store_prep.c), or NULL. */
int vls_apply(vl_store_t *self, MDB_txn *txn, s_head_t *h, const uint8_t *buf, size_t len,
              unsigned eflags, vls_pre_t *pre, char *err);
int vls_link_at(vl_store_t *self, MDB_txn *txn, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err);

/* ---- vl_store_pending.c ---------------------------------------------------- */

/* The candidate entry of pending proposal id that is still built on head h
 * (*out NULL when there is none, it is unreadable, or the head moved past
 * it), else the pending run's first entry when id is one of its rows and the
 * run holds (vls_run_stored); the caller destroys it. VL_OK or VL_ENOMEM. */
int vls_candidate(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN],
                  const s_head_t *h, vl_entry_t **out);
int vls_prop_open(vl_store_t *self, const uint8_t *buf, size_t len, vl_proposal_t **p, char *err);
/* The pending run (meta "run", docs/store.md §3.2.1): its first entry, a
 * version 2 candidate, when it decodes under the version in force at
 * h->seq + 1, starts at h->seq + 1 after the head hash and every row is still
 * pending; else *out is NULL and, if a run is stored, why says what made it
 * stale. The caller destroys *out. VL_OK, VL_ENOMEM, VL_ESTORE. */
int vls_run_stored(vl_store_t *self, MDB_txn *txn, const s_head_t *h, vl_entry_t **out,
                   char why[VL_ERRMSG_MAX]);
/* Delete the pending run if it names proposal id as a row (id NULL: in any
 * case), or no longer decodes. VL_OK, VL_ENOMEM, VL_ESTORE. */
int vls_run_drop(vl_store_t *self, MDB_txn *txn, const uint8_t id[VL_HASH_LEN], char *err);

/* ---- vl_store_reject.c ----------------------------------------------------- */

int vls_rej_parse(const vl_store_t *self, const uint8_t *buf, size_t len, vl_rejection_t **out,
                  char *err);

/* ---- vl_store_peers.c ------------------------------------------------------ */

int vls_peer_decode(const uint8_t *buf, size_t len, vl_peer_info_t *p, char *err);

#endif
