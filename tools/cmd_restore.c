/* SPDX-License-Identifier: MIT */
/*
 * valise restore - put a backup (`valise backup`) in place of a store, after
 * checking it (docs/cli.md "restore", docs/operator.md "Backup and restore").
 *
 * Order: nothing in DIR is touched until the backup has passed every check.
 *  1. FILE is copied into a new directory beside DIR (same filesystem);
 *  2. a child process opens that copy read-only with the member key and runs
 *     the checks of `valise verify` (vl_store_verify_phases): LMDB trusts its
 *     file, so a damaged backup may crash the reader, which the parent turns
 *     into a refusal naming the database; the child also judges the copy
 *     against this machine's high-water mark for DIR (vl_mark_check);
 *  3. a copy behind the mark (or of another history at the mark's seq) is
 *     refused without --force: a rollback;
 *  4. a store whose daemon holds DIR/daemon.lock is refused;
 *  5. the new directory and DIR are swapped with renameat2(RENAME_EXCHANGE)
 *     (one atomic step; two renames where the filesystem cannot exchange),
 *     and the replaced store is kept as DIR.before-restore-TIME;
 *  6. the mark is set to the restored head (--force lowers it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vl_cli.h"
#include "vl_progress.h"
#include "vl_mark.h"

static const char s_usage[] =
    "usage: valise restore FILE --key MEMBER.key [--store DIR] [--force] [--json]\n"
    "\n"
    "Replace the store DIR with the backup FILE made by 'valise backup'. FILE is\n"
    "checked first, in a copy beside DIR, with the checks of 'valise verify' (the\n"
    "key must be a member of its network); a backup with any problem is refused\n"
    "and nothing is replaced. A backup behind the highest head this machine has\n"
    "seen for DIR (its high-water mark) would roll the store back: refused unless\n"
    "--force, which also lowers the mark to the backup's head. A store whose\n"
    "valise-node runs (DIR/daemon.lock held) is refused: stop the daemon first.\n"
    "DIR is replaced in one rename; the replaced store is kept as\n"
    "DIR.before-restore-TIME (remove it once the restored store serves).\n"
    "  --force   restore even behind the high-water mark\n"
    "  --json    {\"file\", \"store\", \"seq\", \"hash\", \"records\", \"root\", \"kept\",\n"
    "            \"seen\": the mark before (null without one), \"forced\"}\n";

/* What the checking child sends (same program: a plain struct). */
typedef struct {
    int rc;                        /* VL_OK, VL_ECORRUPT (problems) or the open's error */
    size_t problems;
    uint64_t seq, records;
    uint8_t hash[VL_HASH_LEN], root[VL_HASH_LEN], net[VL_HASH_LEN];
    vl_mark_check_t mark;
    char err[VL_ERRMSG_MAX];       /* the open's error, or the first problem */
} s_result_t;

enum { S_F_PHASE = 'D', S_F_END = 'E' };
#define S_PHASE_LEN 32

typedef struct {
    int fd;
    s_result_t *res;
    vl_progress_t *prog;
} s_child_t;

static void
s_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

static bool
s_read_all(int fd, void *p, size_t n)
{
    char *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        n -= (size_t)r;
    }
    return true;
}

static void
s_child_phase(void *ctx, const char *db)
{
    s_child_t *c = ctx;
    char frame[1 + S_PHASE_LEN] = { S_F_PHASE };
    snprintf(frame + 1, S_PHASE_LEN, "%s", db);
    s_write_all(c->fd, frame, sizeof frame);
}

static void
s_child_line(void *ctx, const char *line)
{
    s_child_t *c = ctx;
    if (!c->res->err[0])
        snprintf(c->res->err, sizeof c->res->err, "%s", line ? line : "");
}

static void
s_child_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    vl_progress_update(((s_child_t *)ctx)->prog, what, done, total);
}

/* The child: open the copy, verify it, judge it against DIR's mark. */
static int
s_child(int fd, const char *tmpdir, const char *dir, const vl_keypair_t *kp)
{
    static s_result_t res;
    s_child_t c = { fd, &res, NULL };
    vl_store_t *st = NULL;
    memset(&res, 0, sizeof res);
    s_child_phase(&c, "");
    res.rc = vl_store_open(tmpdir, kp, VL_STORE_RDONLY, &st, res.err);
    if (res.rc == VL_OK) {
        /* The child draws its own progress line (the parent prints nothing
         * while it waits) and erases it before it ends. */
        vl_progress_t prog;
        vl_progress_init(&prog, "restore");
        const vl_verify_cb_t cb = { .report = s_child_line, .phase = s_child_phase,
                                    .progress = prog.on ? s_child_progress : NULL, .ctx = &c };
        c.prog = &prog;
        res.rc = vl_store_verify_ex(st, &cb, &res.problems);
        vl_progress_end(&prog);
        vl_head_t head = { 0 };
        char why[VL_ERRMSG_MAX];
        s_child_phase(&c, "meta");
        if (vl_store_head(st, &head) == VL_OK) {
            res.seq = head.seq;
            res.records = head.records;
            memcpy(res.hash, head.hash, VL_HASH_LEN);
            memcpy(res.root, head.root, VL_HASH_LEN);
        }
        if (res.rc == VL_OK && (vl_store_link(st, 0, res.net, why) != VL_OK ||
                                vl_mark_check(st, dir, &res.mark, why) != VL_OK)) {
            res.rc = VL_ECORRUPT;
            snprintf(res.err, sizeof res.err, "%s", why);
        }
    }
    vl_store_close(&st);
    char k = S_F_END;
    s_write_all(fd, &k, 1);
    s_write_all(fd, &res, sizeof res);
    return 0;
}

/* Fork the checking child; *res gets its verdict. @return VL_OK (verdict in
 * res), VL_ECORRUPT with err set (the child crashed), VL_EIO. */
static int
s_check(vl_cli_t *cli, const char *tmpdir, const char *dir, s_result_t *res)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0)
        return vl_err(cli->err, VL_EIO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return vl_err(cli->err, VL_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        s_child(fds[1], tmpdir, dir, cli->kp);
        _exit(0);
    }
    close(fds[1]);
    char phase[S_PHASE_LEN] = "";
    bool end = false;
    char kind;
    while (!end && s_read_all(fds[0], &kind, 1)) {
        if (kind == S_F_PHASE) {
            char p[S_PHASE_LEN];
            if (!s_read_all(fds[0], p, sizeof p))
                break;
            p[S_PHASE_LEN - 1] = '\0';
            memcpy(phase, p, sizeof phase);
        } else if (kind == S_F_END) {
            end = s_read_all(fds[0], res, sizeof *res);
        } else {
            break;
        }
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vl_err(cli->err, VL_EIO, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status) || !end) {
        /* A crashed child may have left its progress line: erase it. */
        vl_progress_t prog;
        vl_progress_init(&prog, "restore");
        prog.shown = prog.on;
        vl_progress_end(&prog);
        char where[64];
        if (phase[0])
            snprintf(where, sizeof where, "reading the database \"%s\"", phase);
        else
            snprintf(where, sizeof where, "opening it");
        if (WIFSIGNALED(status))
            return vl_err(cli->err, VL_ECORRUPT, "the backup is damaged: %s crashed the "
                          "reader (signal %d)", where, WTERMSIG(status));
        return vl_err(cli->err, VL_ECORRUPT, "the backup is damaged: %s stopped the reader "
                      "(exit status %d)", where, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    res->err[sizeof res->err - 1] = '\0';
    res->mark.path[sizeof res->mark.path - 1] = '\0';
    res->mark.why[sizeof res->mark.why - 1] = '\0';
    return VL_OK;
}

/* Copy FILE into dst (created 0600), fsynced. */
static int
s_copy(const char *src, const char *dst, char *err)
{
    int rc = VL_EIO;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = -1;
    if (in < 0)
        return vl_err(err, errno == ENOENT ? VL_ENOTFOUND : VL_EIO, "%s: %s", src,
                      strerror(errno));
    struct stat st;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = vl_err(err, VL_EINVAL, "%s: not a regular file", src);
        goto out;
    }
    if (st.st_size < 8192) {
        rc = vl_err(err, VL_ECORRUPT, "%s: %lld bytes, too short for a backup", src,
                    (long long)st.st_size);
        goto out;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = vl_err(err, VL_EIO, "%s: %s", dst, strerror(errno));
        goto out;
    }
    static char buf[1 << 16];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = vl_err(err, VL_EIO, "%s: %s", src, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        size_t off = 0;
        while (off < (size_t)r) {
            ssize_t w = write(out, buf + off, (size_t)r - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = vl_err(err, VL_EIO, "%s: %s", dst, w < 0 ? strerror(errno) : "short write");
                goto out;
            }
            off += (size_t)w;
        }
    }
    if (fsync(out) != 0) {
        rc = vl_err(err, VL_EIO, "%s: %s", dst, strerror(errno));
        goto out;
    }
    rc = VL_OK;
out:
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

/* Remove the checking directory (data.mdb, lock.mdb, itself). */
static void
s_rmtmp(const char *tmp)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/data.mdb", tmp);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", tmp);
    unlink(p);
    rmdir(tmp);
}

static void
s_sync_dir(const char *path)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", path);
    int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Swap tmp into dir; the old dir ends as kept (a free name). */
static int
s_swap(const char *tmp, const char *dir, bool exists, char *kept, size_t cap, char *err)
{
    if (!exists) {
        kept[0] = '\0';
        if (rename(tmp, dir) != 0)
            return vl_err(err, VL_EIO, "%s: %s", dir, strerror(errno));
        s_sync_dir(dir);
        return VL_OK;
    }
    char stamp[32];
    time_t t = (time_t)vl_cli_now();
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm))
        snprintf(stamp, sizeof stamp, "%lld", (long long)t);
    struct stat st;
    for (int i = 0; i < 100; i++) {
        int n = i ? snprintf(kept, cap, "%s.before-restore-%s-%d", dir, stamp, i + 1)
                  : snprintf(kept, cap, "%s.before-restore-%s", dir, stamp);
        if (n < 0 || (size_t)n >= cap)
            return vl_err(err, VL_ELIMIT, "store path too long");
        if (lstat(kept, &st) != 0)
            break;
        if (i == 99)
            return vl_err(err, VL_EEXIST, "%s exists", kept);
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        /* dir is the backup now; tmp holds the replaced store. */
        if (rename(tmp, kept) != 0)
            return vl_err(err, VL_EIO, "the store is restored, but the replaced one stays "
                          "in %s: %s", tmp, strerror(errno));
    } else if (errno == EINVAL || errno == ENOSYS) {
        /* No exchange on this filesystem: two renames. */
        if (rename(dir, kept) != 0)
            return vl_err(err, VL_EIO, "%s: %s", dir, strerror(errno));
        if (rename(tmp, dir) != 0) {
            int e = errno;
            (void)rename(kept, dir);
            return vl_err(err, VL_EIO, "%s: %s", dir, strerror(e));
        }
    } else {
        return vl_err(err, VL_EIO, "%s: %s", dir, strerror(errno));
    }
    s_sync_dir(dir);
    return VL_OK;
}

int
cmd_restore(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "restore", s_usage);
    bool force = false;
    const vl_opt_t opts[] = {
        { "force", VL_OPT_FLAG, &force },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one backup FILE");
    const char *file = cli.args.v[0];

    ret = VL_EXIT_ERR;
    char dir[PATH_MAX], tmp[PATH_MAX + 32] = "", kept[PATH_MAX + 64] = "";
    size_t dlen = strlen(cli.store_dir);
    while (dlen > 1 && cli.store_dir[dlen - 1] == '/')
        dlen--;
    if (dlen == 0 || dlen >= sizeof dir) {
        vl_cli_failx(&cli, "bad store directory '%s'", cli.store_dir);
        goto out;
    }
    memcpy(dir, cli.store_dir, dlen);
    dir[dlen] = '\0';
    struct stat st;
    bool exists = lstat(dir, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode)) {
        vl_cli_fail(&cli, VL_EINVAL, "%s is not a directory", dir);
        goto out;
    }
    long pid = exists ? vl_store_daemon_pid(dir) : 0;
    if (pid != 0) {
        vl_cli_failx(&cli, "a valise-node (pid %ld) runs on %s: stop it first; nothing "
                     "replaced", pid, dir);
        goto out;
    }
    if (vl_cli_load_key(&cli) != VL_OK)
        goto out;
    snprintf(tmp, sizeof tmp, "%s.restore-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        vl_cli_fail(&cli, VL_EIO, "%s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    char data[PATH_MAX + 48];
    snprintf(data, sizeof data, "%s/data.mdb", tmp);
    cli.err[0] = '\0';
    int rc = s_copy(file, data, cli.err);
    if (rc != VL_OK) {
        vl_cli_failx(&cli, "%s: %s; nothing replaced", vl_strerror(rc), cli.err);
        goto out;
    }
    s_result_t res;
    memset(&res, 0, sizeof res);
    if ((rc = s_check(&cli, tmp, dir, &res)) != VL_OK) {
        vl_cli_failx(&cli, "%s: %s: %s; nothing replaced", file, vl_strerror(rc), cli.err);
        goto out;
    }
    if (res.rc != VL_OK) {
        if (res.rc == VL_ECORRUPT && res.problems > 0)
            vl_cli_failx(&cli, "%s does not verify: %zu problem%s (first: %s); nothing "
                         "replaced", file, res.problems, res.problems == 1 ? "" : "s",
                         res.err);
        else
            vl_cli_failx(&cli, "%s is not a usable backup: %s%s%s; nothing replaced", file,
                         vl_strerror(res.rc), res.err[0] ? ": " : "", res.err);
        goto out;
    }
    char have[2 * VL_HASH_LEN + 1], seen[2 * VL_HASH_LEN + 1], when[32];
    vl_hex(res.hash, VL_HASH_LEN, have);
    vl_hex(res.mark.seen.hash, VL_HASH_LEN, seen);
    vl_cli_time(res.mark.seen.time, when);
    bool rollback = res.mark.state == VL_MARK_BEHIND || res.mark.state == VL_MARK_DIFFERS;
    if (rollback && !force) {
        vl_cli_failx(&cli, "%s holds entry %llu (%.16s) but this machine has seen entry %llu "
                     "(%.16s) of %s at %s: restoring it would roll the store back (--force "
                     "to restore anyway); nothing replaced", file,
                     (unsigned long long)res.seq, have, (unsigned long long)res.mark.seen.seq,
                     seen, dir, when);
        goto out;
    }
    /* The daemon may have started while we checked. */
    if (exists && (pid = vl_store_daemon_pid(dir)) != 0) {
        vl_cli_failx(&cli, "a valise-node (pid %ld) runs on %s: stop it first; nothing "
                     "replaced", pid, dir);
        goto out;
    }
    snprintf(data, sizeof data, "%s/lock.mdb", tmp);
    unlink(data); /* made by the check; LMDB makes a fresh one at the next open */
    if ((rc = s_swap(tmp, dir, exists, kept, sizeof kept, cli.err)) != VL_OK) {
        vl_cli_fail(&cli, rc, "restore into %s", dir);
        if (access(tmp, F_OK) != 0)
            tmp[0] = '\0';
        goto out;
    }
    tmp[0] = '\0';
    vl_mark_t m = { .seq = res.seq, .time = vl_cli_now() };
    memcpy(m.hash, res.hash, VL_HASH_LEN);
    char merr[VL_ERRMSG_MAX] = "";
    int mrc = vl_mark_write(dir, res.net, &m, !rollback, merr);
    char root[2 * VL_HASH_LEN + 1];
    vl_hex(res.root, VL_HASH_LEN, root);
    if (cli.json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:o, s:o, s:b}", "file", file,
                              "store", dir, "seq", (json_int_t)res.seq, "hash", have,
                              "records", (json_int_t)res.records, "root", root, "kept",
                              kept[0] ? json_string(kept) : json_null(), "seen",
                              res.mark.state == VL_MARK_OK || rollback
                                  ? json_pack("{s:I, s:s, s:s}", "seq",
                                              (json_int_t)res.mark.seen.seq, "hash", seen,
                                              "time", when)
                                  : json_null(),
                              "forced", force && rollback);
        vl_cli_print_json(o);
    } else {
        printf("restore: %s verified: %llu entries, %llu records, root %.16s\n",
               vl_cli_esc(file), (unsigned long long)res.seq,
               (unsigned long long)res.records, root);
        printf("restore: %s now holds entry %llu (%.16s)\n", vl_cli_esc(dir),
               (unsigned long long)res.seq, have);
        if (kept[0])
            printf("restore: the replaced store is kept as %s\n", vl_cli_esc(kept));
        if (rollback)
            printf("restore: rolled back on purpose (--force): this machine had seen entry "
                   "%llu (%.16s) at %s; its high-water mark for %s is now entry %llu\n",
                   (unsigned long long)res.mark.seen.seq, seen, when, vl_cli_esc(dir),
                   (unsigned long long)res.seq);
    }
    if (mrc != VL_OK && mrc != VL_ENOTFOUND) {
        fflush(stdout);
        fprintf(stderr, "valise: warning: cannot record the high-water mark of %s: %s: %s\n",
                vl_cli_esc(dir), vl_strerror(mrc), vl_cli_esc(merr));
    }
    ret = VL_EXIT_OK;
out:
    if (tmp[0])
        s_rmtmp(tmp);
    vl_cli_done(&cli);
    return ret;
}
