/* SPDX-License-Identifier: MIT */
/*
 * vl_store - opening, creating and closing a store: the LMDB environment and
 * its named databases, the meta values a new store starts with, and the
 * keys a store needs in memory once open.
 *
 * Contract: vl_store_create*() write the meta values of an empty store
 * (format, genesis, salt, head, sigs_checked) and its later policy versions
 * in one transaction, or none of them. vl_store_open() hands out a store
 * only if its format, genesis, policy chain and the member key all check
 * out, and the at-rest key is derived. Whatever fails on the way is freed
 * here.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_head.c and vl_store_rest.c, below it.
 */
#include "vl_store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "vl_entry.h"
#include "vl_bundle.h"
#include "vl_fresh.h"
#include "vl_msg.h"
#include "vl_rejection.h"

static const char *const s_db_name[S_NDBS] = {
    "meta", "log", "pending", "candidates", "settled", "rejections", "records", "index",
    "peers", "evidence", "policies", "stage"
};

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

static int
s_dbi_txn(vl_store_t *self, MDB_txn *txn, void *ctx, char *err)
{
    for (int i = 0; i < S_NDBS; i++) {
        int mrc = mdb_dbi_open(txn, s_db_name[i], MDB_CREATE, &self->dbi[i]);
        if (mrc != 0)
            return vls_lmdb(mrc, err, "open database");
    }
    return VL_OK;
}

/* LMDB's assertion handler for VL_STORE_QUIET: LMDB prints its message
 * after the handler returns, then aborts; aborting here first keeps the
 * message off stderr, with the same end (SIGABRT). */
static void
s_quiet_assert(MDB_env *env, const char *msg)
{
    (void)env;
    (void)msg;
    abort();
}

/* Create and open the LMDB environment of dir, read-only or not. */
static int
s_env_make(vl_store_t *self, const char *dir, bool create, bool rdonly, char *err)
{
    int mrc;
    if ((mrc = mdb_env_create(&self->env)) != 0) {
        self->env = NULL;
        return vls_lmdb(mrc, err, "create environment");
    }
    if (self->quiet && (mrc = mdb_env_set_assert(self->env, s_quiet_assert)) != 0)
        return vls_lmdb(mrc, err, "configure environment");
    if ((mrc = mdb_env_set_maxdbs(self->env, S_MAXDBS)) != 0 ||
        (mrc = mdb_env_set_maxreaders(self->env, S_MAXREADERS)) != 0 ||
        (create && (mrc = mdb_env_set_mapsize(self->env, (size_t)s_map_initial())) != 0))
        return vls_lmdb(mrc, err, "configure environment");
    if ((mrc = mdb_env_open(self->env, dir, MDB_NOTLS | (rdonly ? MDB_RDONLY : 0),
                            0600)) != 0) {
        int rc;
        if (!rdonly && (mrc == EROFS || mrc == EACCES || mrc == EPERM))
            /* A read-only filesystem or directory: the reading commands still
             * open it (MDB_RDONLY); a write cannot. */
            rc = vl_err(err, VL_ESTORE, "the store directory %s cannot be written (%s): "
                        "nothing was written", dir, strerror(mrc));
        else if (mrc == EACCES || mrc == EPERM)
            /* LMDB readers record themselves in lock.mdb: a reader needs to
             * write it, except on a read-only filesystem. */
            rc = vl_err(err, VL_ESTORE, "cannot read the store in %s (%s): a reader must be "
                        "able to write %s/lock.mdb", dir, strerror(mrc), dir);
        else
            rc = vls_lmdb(mrc, err, "open environment");
        mdb_env_close(self->env);
        self->env = NULL;
        return rc;
    }
    return VL_OK;
}

/* A writer killed after LMDB wrote its meta page but before it published the
 * transaction id in lock.mdb leaves a durable commit that readers do not see
 * while another process (a daemon) keeps the environment open: they take
 * the id from lock.mdb. The next process to begin a write transaction
 * repairs lock.mdb (LMDB's robust-mutex recovery), which a read-write open
 * does (s_dbi_txn). A read-only opener cannot write, so when its snapshot is
 * older than the newest meta page it reopens the environment read-write for
 * one empty write transaction, then read-only again. If it may not write
 * (a read-only directory) it goes on with the older snapshot. */
static int
s_env_settle(vl_store_t *self, const char *dir, char *err)
{
    MDB_txn *txn = NULL;
    MDB_envinfo info;
    int mrc;
    if ((mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn)) != 0)
        return vls_lmdb(mrc, err, "begin");
    size_t seen = mdb_txn_id(txn);
    mdb_txn_abort(txn);
    if ((mrc = mdb_env_info(self->env, &info)) != 0)
        return vls_lmdb(mrc, err, "env info");
    if (seen >= info.me_last_txnid)
        return VL_OK;
    mdb_env_close(self->env);
    self->env = NULL;
    if (s_env_make(self, dir, false, false, err) == VL_OK) {
        if (mdb_txn_begin(self->env, NULL, 0, &txn) == 0)
            mdb_txn_abort(txn);
        mdb_env_close(self->env);
        self->env = NULL;
    }
    err[0] = '\0';
    return s_env_make(self, dir, false, true, err);
}

/* Open the environment of dir and every named database. */
static int
s_env_open(vl_store_t *self, const char *dir, bool create, char *err)
{
    int mrc, rc;
    uint64_t initial = s_map_initial();
    if ((rc = s_env_make(self, dir, create, self->rdonly, err)) != VL_OK)
        return rc;
    if (self->rdonly && (rc = s_env_settle(self, dir, err)) != VL_OK)
        return rc;
    int dead = 0;
    if ((mrc = mdb_reader_check(self->env, &dead)) != 0)
        return vls_lmdb(mrc, err, "reader check");
    if (!self->rdonly) {
        MDB_envinfo info;
        if ((mrc = mdb_env_info(self->env, &info)) != 0)
            return vls_lmdb(mrc, err, "env info");
        if (info.me_mapsize < initial &&
            (mrc = mdb_env_set_mapsize(self->env, (size_t)initial)) != 0)
            return vls_lmdb(mrc, err, "set map size");
        rc = vls_write(self, s_dbi_txn, NULL, err);
        self->dbs_open = rc == VL_OK;
        return rc;
    }
    MDB_txn *txn = NULL;
    if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK)
        return rc;
    for (int i = 0; i < S_NDBS; i++) {
        if ((mrc = mdb_dbi_open(txn, s_db_name[i], 0, &self->dbi[i])) != 0) {
            if (mrc == MDB_NOTFOUND && i == S_STAGE) {
                /* Made before the stage existed (formats 1-4); the first
                 * read-write open creates it. */
                self->no_stage = true;
                continue;
            }
            vls_read_end(self, &txn);
            if (mrc == MDB_NOTFOUND)
                return vl_err(err, VL_ECORRUPT, "the store has no \"%s\" database",
                              s_db_name[i]);
            return vls_lmdb(mrc, err, "open database");
        }
    }
    /* Committing a read txn keeps the handles it opened for the env. */
    mrc = mdb_txn_commit(txn);
    txn = NULL;
    self->nread--;
    self->dbs_open = mrc == 0;
    return mrc ? vls_lmdb(mrc, err, "open databases") : VL_OK;
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
    for (size_t i = 0; i < VL_MAX_EPOCHS; i++)
        vl_secure_free(&self->rest_keys[i]);
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
    int rc = vls_get(self, txn, S_META, "format", 6, &v, err);
    if (rc == VL_OK)
        return vl_err(err, VL_EEXIST, "a store already exists there");
    if (rc != VL_ENOTFOUND)
        return rc;
    uint8_t fmt[4], salt[S_SALT_LEN];
    vls_be32_put(fmt, S_FORMAT);
    vl_random(salt, sizeof salt);
    s_head_t h;
    h.seq = 0;
    memcpy(h.hash, vl_policy_hash(vls_genesis(self)), VL_HASH_LEN);
    vl_root_clear(&h.acc);
    vl_root_digest(&h.acc, h.root);
    if ((rc = vls_meta_put(self, txn, "format", fmt, sizeof fmt, err)) != VL_OK ||
        (rc = vls_meta_put(self, txn, "genesis", c->docs[0], c->lens[0], err)) != VL_OK ||
        (rc = vls_meta_put(self, txn, "salt", salt, sizeof salt, err)) != VL_OK ||
        (rc = vls_head_save(self, txn, &h, err)) != VL_OK ||
        (rc = vls_sigs_save(self, txn, 0, err)) != VL_OK)
        return rc;
    for (size_t i = 1; i < c->n; i++) {
        uint8_t key[8];
        vls_be64_put(key, i + 1);
        if ((rc = vls_put(self, txn, S_POLICIES, key, sizeof key, c->docs[i], c->lens[i], 0,
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
    const uint8_t *ck = NULL;
    bool made_dir = false, made_files = false;
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
        (rc = vls_pols_push(self, &gen)) != VL_OK)
        goto out;
    for (size_t i = 1; i < n; i++) {
        vl_policy_t *next = NULL;
        if ((rc = vl_policy_parse_next(self->pol, docs[i], lens[i], 0, &next, err)) != VL_OK ||
            (rc = vls_pols_push(self, &next)) != VL_OK)
            goto out;
    }
    /* The key must open the newest content key (and epoch 0's, for the
     * at-rest key) before anything is written. */
    if ((rc = vls_ckey(self, vl_policy_epoch(self->pol), &ck, err)) != VL_OK ||
        (rc = vls_ckey(self, 0, &ck, err)) != VL_OK)
        goto out;
    if (mkdir(dir, 0700) == 0)
        made_dir = true;
    else if (errno != EEXIST) {
        rc = vl_err(err, VL_EIO, "cannot create directory %s: %s", dir, strerror(errno));
        goto out;
    }
    if (stat(path, &st) == 0) {
        rc = vl_err(err, VL_EEXIST, "a store already exists in %s", dir);
        goto out;
    }
    made_files = true;
    if ((rc = s_env_open(self, dir, true, err)) != VL_OK)
        goto out;
    s_init_ctx_t c = { docs, lens, n };
    rc = vls_write(self, s_init_txn, &c, err);
out:
    s_store_free(&self);
    /* A failed create (a full disk, an I/O error) leaves no empty store
     * behind that a second init would take for an existing one: remove the
     * files LMDB made and the directory if it made that too (unless another
     * process created a store there meanwhile: VL_EEXIST). */
    if (rc != VL_OK && rc != VL_EEXIST && made_files) {
        char lock[4096 + 16];
        unlink(path);
        snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
        unlink(lock);
        if (made_dir)
            rmdir(dir);
    }
    return rc;
}

/* Format 1 -> 2: only the number changes (every format-1 value is a valid
 * format-2 value). */
static int
s_upgrade_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    (void)vctx;
    uint8_t fmt[4];
    /* Formats 1 and 2 kept every record under epoch 0's key, formats 1-3
     * sealed bodies uncompressed: rewrite every value that is not a v3
     * value under the current epoch's key, as adopting that epoch does.
     * One write transaction: a crash leaves the old format whole. */
    uint32_t epoch = vl_policy_epoch(self->pol);
    const uint8_t *key = NULL;
    int rc = vls_rest_key(self, epoch, &key, err);
    if (rc == VL_OK)
        rc = vls_rec_rekey(self, txn, epoch, key, err);
    if (rc != VL_OK)
        return rc;
    vls_be32_put(fmt, S_FORMAT);
    return vls_meta_put(self, txn, "format", fmt, sizeof fmt, err);
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
    uint32_t fmt = 0;
    assert(dir && out);
    assert(kp || (flags & VL_STORE_RDONLY));
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
    self->quiet = (flags & VL_STORE_QUIET) != 0;
    if ((rc = s_env_open(self, dir, false, err)) != VL_OK)
        goto out;
    if ((rc = vls_txn_begin(self, true, &txn, err)) != VL_OK)
        goto out;
    if ((rc = vls_meta_get(self, txn, "format", 4, &v, err)) != VL_OK)
        goto out;
    /* Format 1 is format 2 without 33-byte 'R' || author values in
     * `settled`: this build reads both and upgrades a format-1 store the first
     * time it opens it for writing (docs/store.md §1), so a build that speaks
     * only format 1 refuses it by number instead of misreading a value. */
    fmt = vls_be32_get(v.mv_data);
    if (fmt < S_FORMAT_OLDEST || fmt > S_FORMAT) {
        rc = vl_err(err, VL_ECORRUPT, "store format %u is not supported (this build opens "
                    "formats %u..%u)", fmt, S_FORMAT_OLDEST, S_FORMAT);
        goto out;
    }
    if ((rc = vls_meta_get(self, txn, "salt", S_SALT_LEN, &v, err)) != VL_OK)
        goto out;
    memcpy(self->salt, v.mv_data, S_SALT_LEN);
    if ((rc = vls_meta_get(self, txn, "genesis", 0, &v, err)) != VL_OK)
        goto out;
    vl_policy_t *gen = NULL;
    if ((rc = vl_policy_parse(v.mv_data, v.mv_size, 0, &gen, why)) != VL_OK) {
        rc = vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT, "meta genesis: %s", why);
        goto out;
    }
    if ((rc = vls_pols_push(self, &gen)) != VL_OK ||
        (rc = vls_pols_sync(self, txn, err)) != VL_OK)
        goto out;
    vls_read_end(self, &txn);
    if (!kp) {
        /* Public facts only (network, head, policy chain, links): every
         * call that needs the content key fails with VL_EPERM. */
        *out = self;
        self = NULL;
        rc = VL_OK;
        goto out;
    }

    /* The key must be a member of the current version (a revoked key is
     * refused here). Each records value names the epoch of its at-rest key
     * (docs/store.md §2.2); those keys derive on first use. */
    const uint8_t *ck = NULL;
    if ((rc = vls_ckey(self, vl_policy_epoch(self->pol), &ck, err)) != VL_OK)
        goto out;
    self->has_rest = true;
    self->scratch = vl_secure_alloc(VL_MAX_RECORD_ZFRAME);
    if (!self->scratch) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->fmt = fmt;
    if (fmt != S_FORMAT && !self->rdonly) {
        if ((rc = vls_write(self, s_upgrade_txn, NULL, err)) != VL_OK)
            goto out;
        self->fmt = S_FORMAT;
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    if (self)
        vls_read_end(self, &txn);
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

void
vl_store_versions(char *out, size_t cap)
{
    snprintf(out, cap,
             "protocol %u, store format %u, formats: entry %u, proposal %u, policy %u, "
             "rejection %u, fresh %u, bundle %u",
             VL_PROTO_VERSION, VL_STORE_FORMAT, VL_ENTRY_FORMAT, VL_PROPOSAL_FORMAT,
             VL_POLICY_FORMAT, VL_REJECTION_FORMAT, VL_FRESH_FORMAT, VL_BUNDLE_FORMAT);
}
