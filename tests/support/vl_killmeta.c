/* SPDX-License-Identifier: MIT */
/*
 * vl_killmeta - an LD_PRELOAD shim for tests/cli/t_deadwriter.sh: the process
 * that loads it SIGKILLs itself right after LMDB has written a meta page,
 * that is after a commit is durable in data.mdb but before LMDB publishes
 * the new transaction id in lock.mdb. LMDB writes meta pages through a
 * descriptor opened with O_DSYNC and nothing else through it (the store
 * opens its environment without MDB_NOSYNC/MDB_NOMETASYNC), which is how the
 * write is recognised. Active only while VL_KILL_AFTER_META is set.
 *
 * Test code: built for the tests, never linked into or shipped with the
 * programs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*s_pwrite_fn)(int, const void *, size_t, off_t);

static ssize_t
s_write_then_die(const char *name, int fd, const void *buf, size_t n, off_t off)
{
    s_pwrite_fn real = (s_pwrite_fn)dlsym(RTLD_NEXT, name);
    if (!real)
        abort();
    ssize_t r = real(fd, buf, n, off);
    int fl = fcntl(fd, F_GETFL);
    if (r == (ssize_t)n && fl != -1 && (fl & O_DSYNC) && getenv("VL_KILL_AFTER_META"))
        raise(SIGKILL);
    return r;
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return s_write_then_die("pwrite", fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return s_write_then_die("pwrite64", fd, buf, n, off);
}
