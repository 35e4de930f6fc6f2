/* SPDX-License-Identifier: MIT */
/*
 * vl_store_txn - LMDB access: point reads and writes, transactions,
 * map growth, and the scan helpers (vls_scan, vls_collect_each) that walk a
 * table.
 *
 * Contract: every mutation runs in vls_write(), which reruns the whole
 * callback after growing the map on MDB_MAP_FULL (so a callback writes only
 * through its txn and its outputs). Every read txn is begun with
 * vls_txn_begin() and ended with vls_read_end() (self->nread counts them: the
 * map may not grow while one is open). Beginning a txn also loads the policy
 * versions another process appended to the "policies" database
 * (vls_pols_sync, which checks each against its predecessor and pushes it on
 * self->pols with vls_pols_push), so every caller sees the chain as of its
 * txn.
 *
 * Layer (map in vl_store_int.h): calls no other file of store/.
 */
#include "vl_store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>

int
vls_lmdb(int mrc, char *err, const char *what)
{
    if (mrc == MDB_MAP_FULL)
        return S_MAP_FULL;
    if (mrc == MDB_CORRUPTED || mrc == MDB_INVALID || mrc == MDB_PAGE_NOTFOUND)
        return vl_err(err, VL_ECORRUPT, "LMDB %s: %s", what, mdb_strerror(mrc));
    return vl_err(err, VL_ESTORE, "LMDB %s: %s", what, mdb_strerror(mrc));
}

/* Point read. VL_OK, VL_ENOTFOUND (no message) or VL_ESTORE. */
int
vls_get(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, MDB_val *out,
        char *err)
{
    MDB_val k = vls_val(key, klen);
    int mrc = mdb_get(txn, self->dbi[db], &k, out);
    if (mrc == MDB_NOTFOUND)
        return VL_ENOTFOUND;
    if (mrc != 0)
        return vls_lmdb(mrc, err, "get");
    return VL_OK;
}

/* VL_OK, VL_EEXIST (MDB_KEYEXIST under NOOVERWRITE/APPEND), S_MAP_FULL, VL_ESTORE. */
int
vls_put(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, const void *val,
        size_t vlen, unsigned flags, char *err)
{
    MDB_val k = vls_val(key, klen), v = vls_val(vlen ? val : "", vlen);
    int mrc = VLS_FAULT();
    if (mrc == 0)
        mrc = mdb_put(txn, self->dbi[db], &k, &v, flags);
    if (mrc == MDB_KEYEXIST)
        return VL_EEXIST;
    if (mrc != 0)
        return vls_lmdb(vls_wr_fail(self, mrc), err, "put");
    return VL_OK;
}

/* Delete; a missing key is fine. */
int
vls_del(vl_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen, char *err)
{
    MDB_val k = vls_val(key, klen);
    int mrc = VLS_FAULT();
    if (mrc == 0)
        mrc = mdb_del(txn, self->dbi[db], &k, NULL);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return vls_lmdb(vls_wr_fail(self, mrc), err, "delete");
    return VL_OK;
}

int
vls_meta_put(vl_store_t *self, MDB_txn *txn, const char *name, const void *val, size_t len,
             char *err)
{
    return vls_put(self, txn, S_META, name, strlen(name), val, len, 0, err);
}

/* A meta value of exactly len bytes (len 0: any length, borrowed in *out). */
int
vls_meta_get(vl_store_t *self, MDB_txn *txn, const char *name, size_t len, MDB_val *out,
             char *err)
{
    int rc = vls_get(self, txn, S_META, name, strlen(name), out, err);
    if (rc == VL_ENOTFOUND)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" is missing", name);
    if (rc != VL_OK)
        return rc;
    if (len && out->mv_size != len)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" is %zu bytes, want %zu", name,
                      out->mv_size, len);
    return VL_OK;
}

int
vls_txn_begin(vl_store_t *self, bool rdonly, MDB_txn **txn, char *err)
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
            return vls_lmdb(mrc, err, "begin transaction");
        }
        if (rdonly)
            self->nread++;
        /* Another process may have adopted a policy version. */
        if (self->npols > 0 && self->dbs_open) {
            int rc = vls_pols_sync(self, *txn, err);
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

void
vls_read_end(vl_store_t *self, MDB_txn **txn)
{
    if (*txn) {
        mdb_txn_abort(*txn);
        *txn = NULL;
        assert(self->nread > 0);
        self->nread--;
    }
}

/* Copy out the value of id in db after checking it with check(): pending
 * proposals and rejections are relayed to peers, so a value altered at rest
 * is refused here (VL_ECORRUPT) rather than sent. */
int
vls_copy_checked(vl_store_t *self, int db, const uint8_t id[VL_HASH_LEN],
                 int (*check)(vl_store_t *self, const uint8_t *b, size_t len,
                              const uint8_t id[VL_HASH_LEN]),
                 uint8_t **out, size_t *len)
{
    MDB_txn *txn = NULL;
    MDB_val v;
    *out = NULL;
    *len = 0;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    if ((rc = vls_get(self, txn, db, id, VL_HASH_LEN, &v, NULL)) != VL_OK)
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
    vls_read_end(self, &txn);
    return rc;
}

static int
s_grow(vl_store_t *self, char *err)
{
    MDB_envinfo info;
    if (self->nread > 0)
        return vl_err(err, VL_ESTORE, "store map is full and a read is still open; retry");
    int mrc = mdb_env_info(self->env, &info);
    if (mrc != 0)
        return vls_lmdb(mrc, err, "env info");
    uint64_t cur = info.me_mapsize;
    if (cur >= VL_STORE_MAP_MAX) {
        const char *dir = NULL;
        if (mdb_env_get_path(self->env, &dir) != 0 || !dir)
            dir = "?";
        if (err)
            err[0] = '\0';
        return vl_err(err, VL_ESTORE,
                      "the store in %s is full: its map is at its maximum size (%llu bytes): "
                      "nothing was written", dir, (unsigned long long)VL_STORE_MAP_MAX);
    }
    uint64_t next = cur * 2 > VL_STORE_MAP_MAX ? VL_STORE_MAP_MAX : cur * 2;
    if (next > SIZE_MAX)
        return vl_err(err, VL_ESTORE, "store map cannot grow past the address space");
    if ((mrc = mdb_env_set_mapsize(self->env, (size_t)next)) != 0)
        return vls_lmdb(mrc, err, "grow map");
    return VL_OK;
}

/* Below this many free bytes the store's filesystem counts as full when a
 * write fails without saying why (LMDB turns a short write into EIO). */
#define S_DISK_LOW (1024u * 1024u)

/* A write op or the commit failed with mrc (an LMDB or errno code; rc is
 * what vls_lmdb made of it). The transaction was aborted, and a failed
 * commit writes no meta page: nothing was written. Replace the detail with
 * one that names the cause and the store directory: a full disk (ENOSPC,
 * EDQUOT, or EIO, the code of a short write, with less than S_DISK_LOW bytes
 * free), an I/O error, a read-only filesystem or a permission refusal. Any
 * other code keeps LMDB's detail. Returns rc. */
static int
s_write_failed(vl_store_t *self, int mrc, int rc, char *err)
{
    const char *dir = NULL;
    struct statvfs fs;
    if (rc != VL_ESTORE || mrc <= 0 || mdb_env_get_path(self->env, &dir) != 0 || !dir)
        return rc;
    unsigned long long avail = ~0ull;
    if (statvfs(dir, &fs) == 0)
        avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
    bool full = mrc == ENOSPC || mrc == EDQUOT || (mrc == EIO && avail < S_DISK_LOW);
    if (!full && mrc != EIO && mrc != EROFS && mrc != EACCES && mrc != EPERM)
        return rc;
    if (err)
        err[0] = '\0';
    if (full && avail != ~0ull)
        return vl_err(err, VL_ESTORE,
                      "the disk holding %s is full (%llu bytes free): nothing was written",
                      dir, avail);
    if (full)
        return vl_err(err, VL_ESTORE, "the disk holding %s is full: nothing was written", dir);
    return vl_err(err, VL_ESTORE, "cannot write the store in %s: %s: nothing was written", dir,
                  strerror(mrc));
}

/* Run fn in a write transaction; commit on VL_OK, abort otherwise. On
 * MDB_MAP_FULL (in fn or at commit) abort, double the map, rerun fn from
 * scratch. A write op that fails on a full disk, an I/O error or a
 * read-only filesystem says so and where (s_write_failed). */
int
vls_write(vl_store_t *self, s_txn_fn fn, void *ctx, char *err)
{
    if (self->rdonly)
        return vl_err(err, VL_EINVAL, "the store is open read-only");
    for (;;) {
        MDB_txn *txn = NULL;
        if (err)
            err[0] = '\0';
        int rc = vls_txn_begin(self, false, &txn, err);
        if (rc != VL_OK)
            return rc == S_MAP_FULL ? vl_err(err, VL_ESTORE, "LMDB: map full") : rc;
        self->wr_mrc = 0;
        rc = fn(self, txn, ctx, err);
        if (rc == VL_OK) {
            int mrc = VLS_FAULT();
            if (mrc != 0)
                mdb_txn_abort(txn);
            else
                mrc = mdb_txn_commit(txn);
            rc = mrc ? vls_lmdb(vls_wr_fail(self, mrc), err, "commit") : VL_OK;
        } else {
            mdb_txn_abort(txn);
        }
        if (rc != S_MAP_FULL)
            return rc == VL_OK ? rc : s_write_failed(self, self->wr_mrc, rc, err);
        if ((rc = s_grow(self, err)) != VL_OK)
            return rc;
    }
}

/* ---- scans ------------------------------------------------------------------ */

int
vls_scan(vl_store_t *self, MDB_txn *txn, int db, const void *from, size_t flen, vls_scan_fn cb,
         void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = vls_val(from, flen), v;
    int rc = VL_OK;
    int mrc = mdb_cursor_open(txn, self->dbi[db], &cur);
    if (mrc != 0)
        return VL_ESTORE;
    for (mrc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if ((rc = cb(ctx, &k, &v)) != VL_OK)
            break;
    mdb_cursor_close(cur);
    if (rc != VL_OK)
        return rc;
    return mrc == MDB_NOTFOUND ? VL_OK : VL_ESTORE;
}

typedef struct {
    vl_store_t *self;
    const vls_collect_t *how;
    uint8_t *items;          /* n items of how->size bytes */
    size_t n, cap;
} s_collect_t;

static int
s_collect_cb(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_collect_t *c = ctx;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 16;
        uint8_t *grown = realloc(c->items, ncap * c->how->size);
        if (!grown)
            return VL_ENOMEM;
        c->items = grown;
        c->cap = ncap;
    }
    int rc = c->how->decode(c->self, k, v, c->items + c->n * c->how->size);
    if (rc != VL_OK)
        return rc;
    c->n++;
    return VL_OK;
}

int
vls_collect_each(vl_store_t *self, const vls_collect_t *how, int (*each)(void *ctx, void *item),
                 void *ctx)
{
    s_collect_t c = { self, how, NULL, 0, 0 };
    MDB_txn *txn = NULL;
    uint8_t first[8];
    size_t flen = 0;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    /* After the txn began: it synced the policy chain `from` may depend on. */
    if (how->from)
        flen = how->from(self, first);
    rc = vls_scan(self, txn, how->db, how->from ? first : NULL, flen, s_collect_cb, &c);
    vls_read_end(self, &txn);
    if (rc == VL_OK && how->cmp && c.n > 1)
        qsort(c.items, c.n, how->size, how->cmp);
    for (size_t i = 0; i < c.n && rc == VL_OK; i++)
        rc = each(ctx, c.items + i * how->size);
    if (how->fini)
        for (size_t i = 0; i < c.n; i++)
            how->fini(c.items + i * how->size);
    free(c.items);
    return rc;
}

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

/* Prefix lookups (vl_store_pending_lookup, the outcome of a settled
 * proposal) share this walk over a table keyed by proposal ids. */
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
vls_prefix_lookup(vl_store_t *self, int db, const char *hex_prefix, const char *what,
                  uint8_t id[VL_HASH_LEN], char *err)
{
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
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    int mrc = mdb_cursor_open(txn, self->dbi[db], &cur);
    if (mrc != 0) {
        rc = vls_lmdb(mrc, err, "cursor");
        goto out;
    }
    MDB_val k = vls_val(pre, n / 2), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, n / 2 ? MDB_SET_RANGE : MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        if (k.mv_size != VL_HASH_LEN) {
            rc = vl_err(err, VL_ECORRUPT, "%s table: a key is not a proposal id", what);
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
        rc = vls_lmdb(mrc, err, "cursor");
        goto out;
    }
    rc = found ? VL_OK : vl_err(err, VL_ENOTFOUND, "no %s %s", what, hex_prefix);
out:
    if (cur)
        mdb_cursor_close(cur);
    vls_read_end(self, &txn);
    return rc;
}

#ifdef VL_FAULTS
/* ---- fault injection (test builds only) ------------------------------------ */

/* $VALISE_FAULT, read once per process: KIND:N or KIND:N:once. KIND is
 * mapfull (MDB_MAP_FULL), eio (EIO) or enospc (ENOSPC). The write ops of the
 * process (every put, delete and commit, counted from 1 across all its
 * transactions) run normally up to op N - 1; op N fails with KIND instead of
 * running, and so does every op after it unless ":once" is given. A
 * persistent mapfull makes every map growth useless, so vls_write grows the
 * map to VL_STORE_MAP_MAX and fails; ":once" exercises the growth that
 * succeeds. A malformed value stops the process (exit 99): a test that
 * mistypes its fault must not pass as if it had run. */
int
vls_fault(void)
{
    static bool s_read;
    static int s_mrc;
    static bool s_once;
    static unsigned long long s_at, s_ops;
    if (!s_read) {
        s_read = true;
        const char *v = getenv("VALISE_FAULT");
        if (v && *v) {
            char kind[16];
            unsigned long long at = 0;
            int used = 0;
            if (sscanf(v, "%15[a-z]:%llu%n", kind, &at, &used) != 2 || at == 0)
                used = -1;
            else if (strcmp(kind, "mapfull") == 0)
                s_mrc = MDB_MAP_FULL;
            else if (strcmp(kind, "eio") == 0)
                s_mrc = EIO;
            else if (strcmp(kind, "enospc") == 0)
                s_mrc = ENOSPC;
            else
                used = -1;
            if (used > 0 && strcmp(v + used, ":once") == 0)
                s_once = true;
            else if (used > 0 && v[used] != '\0')
                used = -1;
            if (used < 0) {
                fprintf(stderr, "VALISE_FAULT=%s: want mapfull|eio|enospc:N[:once], N >= 1\n",
                        v);
                exit(99);
            }
            s_at = at;
        }
    }
    if (!s_mrc)
        return 0;
    s_ops++;
    if (s_ops == s_at || (!s_once && s_ops > s_at))
        return s_mrc;
    return 0;
}
#endif
