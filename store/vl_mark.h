/* SPDX-License-Identifier: MIT */
/*
 * vl_mark - the high-water mark: the highest head (seq, link) this machine
 * has seen for a store, kept OUTSIDE the store directory (docs/store.md §8),
 * so that a store replaced by an older copy of itself (a restored backup, a
 * `cp -a` of an old directory) is noticed even while its last freshness
 * statement is still valid.
 *
 * Where: one file per (network, store path) in the state directory:
 *   $VALISE_STATE_DIR, else $XDG_STATE_HOME/valise, else
 *   $HOME/.local/state/valise (created 0700); none of them set: no mark.
 * The file is named "mark-" + the hex of H("valise/mark-name/1", genesis
 * hash || absolute store path), 152 bytes, written atomically (temp file,
 * fsync, rename, fsync of the directory) under an flock of ".marks.lock" in
 * the same directory (read, compare and write are one step: two processes
 * never lower the mark).
 *
 * Every byte read back goes through vl_mark_read (size, magic, version,
 * checksum, network, path): a damaged file is reported (VL_ECORRUPT), never
 * trusted.
 *
 * Limits: the mark protects against a careless or hostile copy of the store
 * directory, not against whoever can write the state directory too (root, or
 * the same user, can roll back both).
 */
#ifndef VL_MARK_H
#define VL_MARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_store.h"

/** Size of a mark file (docs/store.md §8). */
#define VL_MARK_SIZE 152u
/** Longest path of a mark file we build. */
#define VL_MARK_PATH_MAX 4096u

/** One mark. Plain data carrier. */
typedef struct {
    uint64_t seq;                /**< the highest head seq seen */
    uint8_t hash[VL_HASH_LEN];   /**< its link (the head hash) */
    uint64_t time;               /**< unix seconds when it was recorded */
} vl_mark_t;

typedef enum {
    VL_MARK_OFF = 0,   /**< no state directory: no mark is kept */
    VL_MARK_NONE,      /**< no mark yet for this store */
    VL_MARK_OK,        /**< the head is the mark or follows it */
    VL_MARK_BEHIND,    /**< the head's seq is below the mark's */
    VL_MARK_DIFFERS,   /**< the entry at the mark's seq is another one */
    VL_MARK_DAMAGED,   /**< the mark file is unreadable: not trusted */
} vl_mark_state_t;

/** What vl_mark_check found. Plain data carrier. */
typedef struct {
    vl_mark_state_t state;
    vl_mark_t seen;                  /**< the mark (OK, BEHIND, DIFFERS) */
    uint64_t head;                   /**< the store's head seq */
    uint8_t head_hash[VL_HASH_LEN];  /**< the store's head hash */
    uint8_t here[VL_HASH_LEN];       /**< DIFFERS: the store's link at seen.seq */
    char path[VL_MARK_PATH_MAX];     /**< the mark file ("" when OFF) */
    char why[VL_ERRMSG_MAX];         /**< DAMAGED: what is wrong */
} vl_mark_check_t;

/** @brief The mark file of the store at dir (which need not exist yet: its
 *  parent must) in a network whose genesis hash is net, into path[cap];
 *  creates the state directory (0700) when mkdir is true.
 *  @return VL_OK; VL_ENOTFOUND (no state directory configured: no mark);
 *          VL_EIO (the path cannot be resolved or the directory made);
 *          VL_ELIMIT (path too long). */
int vl_mark_path(const char *dir, const uint8_t net[VL_HASH_LEN], bool mkdir, char *path,
                 size_t cap, char *err);

/** @brief Read and check the mark of dir in network net.
 *  @return VL_OK; VL_ENOTFOUND (no mark, or no state directory: path[0] is
 *          then "" ); VL_ECORRUPT (the file is not a valid mark of this
 *          store: wrong size, magic, version, checksum, network or path);
 *          VL_EIO. path (VL_MARK_PATH_MAX bytes, may be NULL) gets the file. */
int vl_mark_read(const char *dir, const uint8_t net[VL_HASH_LEN], vl_mark_t *out, char *path,
                 char *err);

/** @brief Record m as the mark of dir in network net, atomically. With
 *  raise_only, a stored valid mark with a higher seq is kept (VL_OK, nothing
 *  written): the mark never goes down unless asked.
 *  Writers on one machine take turns on a lock file beside the marks; one
 *  that waits over a second gives up (VL_EAGAIN, nothing written).
 *  @return VL_OK, VL_ENOTFOUND (no state directory: nothing kept), VL_EAGAIN
 *          (the lock stayed held), VL_EIO. */
int vl_mark_write(const char *dir, const uint8_t net[VL_HASH_LEN], const vl_mark_t *m,
                  bool raise_only, char *err);

/** @brief Judge the open store s against the mark of the store path dir
 *  (normally where s was opened; `restore` judges a backup against the
 *  directory it would replace). Reads only.
 *  @return VL_OK (out filled; a damaged mark is out->state DAMAGED, not an
 *          error), VL_ESTORE / VL_ECORRUPT (the store's head or links). */
int vl_mark_check(vl_store_t *s, const char *dir, vl_mark_check_t *out, char *err);

/** @brief After a command that may have moved the head: raise the mark of dir
 *  to s's head when the head is the mark or follows it (state OK), there is
 *  none yet (NONE) or the file is damaged (DAMAGED: replaced). A head BEHIND
 *  or that DIFFERS leaves the mark as it is. out (may be NULL) gets the
 *  judgement made before writing.
 *  @return VL_OK (also when OFF), VL_EIO (the file could not be written),
 *          VL_EAGAIN (the lock stayed held), the errors of vl_mark_check. */
int vl_mark_update(vl_store_t *s, const char *dir, uint64_t now, vl_mark_check_t *out,
                   char *err);

/** @brief One line for people: "" when OFF, NONE or OK; else e.g. "this store is
 *  behind what this machine has seen: head 3, seen 5 at 2024-06-01T00:00:00Z
 *  (restored from an older copy?) ...". */
void vl_mark_text(const vl_mark_check_t *c, char *buf, size_t cap);

/** @brief "off", "none", "ok", "behind", "differs" or "damaged". */
const char *vl_mark_state_name(vl_mark_state_t s);

#endif
