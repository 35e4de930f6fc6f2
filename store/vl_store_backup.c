/* SPDX-License-Identifier: MIT */
/*
 * vl_store_backup - the compacted copy of a live store (vl_store_backup.h).
 */
#include "vl_store_backup.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vl_store_int.h"

int
vl_store_backup(vl_store_t *self, int fd, char *err)
{
    int mrc = mdb_env_copyfd2(self->env, fd, MDB_CP_COMPACT);
    if (mrc != 0) {
        if (mrc == ENOSPC || mrc == EIO || mrc == EDQUOT || mrc == EPIPE)
            return vl_err(err, VL_EIO, "writing the copy: %s", strerror(mrc));
        return vl_err(err, VL_ESTORE, "LMDB copy: %s", mdb_strerror(mrc));
    }
    if (fsync(fd) != 0)
        return vl_err(err, VL_EIO, "writing the copy: %s", strerror(errno));
    return VL_OK;
}

static int
s_meta(MDB_txn *txn, MDB_dbi dbi, const char *name, size_t want, MDB_val *v, char *err)
{
    MDB_val k = { strlen(name), (void *)name };
    int mrc = mdb_get(txn, dbi, &k, v);
    if (mrc == MDB_NOTFOUND)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" is missing", name);
    if (mrc != 0)
        return vl_err(err, VL_ESTORE, "LMDB read: %s", mdb_strerror(mrc));
    if (v->mv_size != want)
        return vl_err(err, VL_ECORRUPT, "meta \"%s\" has %zu bytes, not %zu", name,
                      v->mv_size, want);
    return VL_OK;
}

int
vl_store_file_head(const char *path, uint64_t *seq, uint8_t hash[VL_HASH_LEN], char *err)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val v;
    int rc = VL_ESTORE;
    int mrc;
    if (access(path, F_OK) != 0)
        return vl_err(err, VL_ENOTFOUND, "%s: %s", path, strerror(errno));
    if ((mrc = mdb_env_create(&env)) != 0 || (mrc = mdb_env_set_maxdbs(env, 16)) != 0) {
        rc = vl_err(err, VL_ESTORE, "LMDB: %s", mdb_strerror(mrc));
        goto out;
    }
    if ((mrc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600)) != 0) {
        rc = vl_err(err, mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH ? VL_ECORRUPT
                                                                          : VL_ESTORE,
                    "%s: %s", path, mdb_strerror(mrc));
        goto out;
    }
    if ((mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) {
        rc = vl_err(err, VL_ESTORE, "LMDB: %s", mdb_strerror(mrc));
        goto out;
    }
    if ((mrc = mdb_dbi_open(txn, "meta", 0, &dbi)) != 0) {
        rc = vl_err(err, mrc == MDB_NOTFOUND ? VL_ECORRUPT : VL_ESTORE, "%s: no meta database",
                    path);
        goto out;
    }
    if ((rc = s_meta(txn, dbi, "head_seq", 8, &v, err)) != VL_OK)
        goto out;
    const uint8_t *p = v.mv_data;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = (s << 8) | p[i];
    if ((rc = s_meta(txn, dbi, "head_hash", VL_HASH_LEN, &v, err)) != VL_OK)
        goto out;
    memcpy(hash, v.mv_data, VL_HASH_LEN);
    *seq = s;
    rc = VL_OK;
out:
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    return rc;
}
