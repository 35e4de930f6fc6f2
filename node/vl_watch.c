/* SPDX-License-Identifier: MIT */
/*
 * vl_watch - an inotify watch on the store's data file (contract in
 * vl_watch.h).
 */
#include "vl_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

struct vl_watch {
    int fd;
};

int
vl_watch_new(const char *dir, vl_watch_t **out, char err[VL_ERRMSG_MAX])
{
    char path[PATH_MAX];
    *out = NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path)
        return vl_err(err, VL_EIO, "store path too long to watch");
    vl_watch_t *self = calloc(1, sizeof *self);
    if (!self)
        return VL_ENOMEM;
    if ((self->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        int e = errno;
        free(self);
        return vl_err(err, VL_EIO, "inotify: %s", strerror(e));
    }
    if (inotify_add_watch(self->fd, path, IN_MODIFY) < 0) {
        int e = errno;
        vl_watch_destroy(&self);
        return vl_err(err, VL_EIO, "inotify watch on the store's data.mdb: %s", strerror(e));
    }
    *out = self;
    return VL_OK;
}

int
vl_watch_fd(const vl_watch_t *self)
{
    return self->fd;
}

bool
vl_watch_drain(vl_watch_t *self)
{
    /* Events are only counted, never parsed: the one watch is the data
     * file, and IN_IGNORED (the file went away) is also worth a refresh. */
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    for (;;) {
        ssize_t n = read(self->fd, buf, sizeof buf);
        if (n > 0) {
            any = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return any;
    }
}

void
vl_watch_destroy(vl_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->fd >= 0)
        close((*self_p)->fd);
    free(*self_p);
    *self_p = NULL;
}
