/* SPDX-License-Identifier: MIT */
/*
 * vl_watch - telling the daemon at once that another process wrote its store.
 *
 * `valise approve`, `propose`, `reject`, `policy publish` and `bundle import`
 * write the store the daemon serves. The daemon re-reads its store's head and
 * pending set every poll_ms (vn_refresh_ours); this watcher lets it do so as
 * soon as a write lands instead: an inotify watch on STORE/data.mdb for
 * IN_MODIFY. LMDB writes the data file with pwrite(2) (the store never uses
 * MDB_WRITEMAP, whose writes through the map would raise no event), so every
 * commit by any process raises the event; the daemon's own commits do too and
 * cost one extra refresh each, which reads two small tables.
 *
 * vl_watch_fd() is one descriptor the node adds to its zmq_poll set;
 * vl_watch_drain() reads every pending event without blocking. Where inotify
 * is not available (no kernel support, the watch limit reached, a network
 * file system that raises no events) vl_watch_new() fails and the node keeps
 * polling every poll_ms, which remains the upper bound in every case.
 */
#ifndef VL_WATCH_H
#define VL_WATCH_H

#include <stdbool.h>

#include "vl_error.h"

typedef struct vl_watch vl_watch_t;

/** @brief Watch DIR/data.mdb. VL_OK; VL_EIO (message in err: why inotify
 *  cannot watch it) or VL_ENOMEM. */
int vl_watch_new(const char *dir, vl_watch_t **out, char err[VL_ERRMSG_MAX]);
/** @brief The descriptor to poll for reading. */
int vl_watch_fd(const vl_watch_t *self);
/** @brief Read every pending event without blocking; true if the data file
 *  was written since the last call (or the watch was lost: the caller
 *  refreshes, and polling goes on). */
bool vl_watch_drain(vl_watch_t *self);
/** @brief Close and free; *self_p = NULL. NULL-safe. */
void vl_watch_destroy(vl_watch_t **self_p);

#endif
