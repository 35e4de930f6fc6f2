/* SPDX-License-Identifier: MIT */
/*
 * vl_store_backup - a consistent, compacted copy of a live store
 * (docs/store.md §9, `valise backup`).
 *
 * The copy is LMDB's own (mdb_env_copyfd2 with MDB_CP_COMPACT): it runs in
 * one read transaction, so writers (a syncing daemon, `valise approve`) go
 * on meanwhile and the copy is the store as of one commit. The result is one
 * file: an LMDB data file holding exactly what DIR/data.mdb holds (record
 * bodies still encrypted at rest), without free pages; a store directory
 * with that file as its data.mdb opens as a store.
 */
#ifndef VL_STORE_BACKUP_H
#define VL_STORE_BACKUP_H

#include <stdint.h>

#include "vl_store.h"

/** @brief Write a compacted copy of the store to fd (an empty regular file
 *  open for writing), then fsync it. Works on a store opened read-only, with
 *  or without a key.
 *  @return VL_OK, VL_EIO (the disk is full or the write failed: detail in
 *          err), VL_ESTORE. */
int vl_store_backup(vl_store_t *self, int fd, char *err);

/** @brief The head (seq and hash, meta "head_seq" and "head_hash") of the
 *  LMDB data file at path (a backup), read without a lock file and without
 *  a key. Meant for a file this process just wrote: a hostile file is
 *  opened by vl_store_open in a child process (`valise restore`).
 *  @return VL_OK, VL_ENOTFOUND (no such file), VL_ECORRUPT (not a store's
 *          data file, or a value of the wrong size), VL_ESTORE. */
int vl_store_file_head(const char *path, uint64_t *seq, uint8_t hash[VL_HASH_LEN], char *err);

#endif
