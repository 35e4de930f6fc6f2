/* SPDX-License-Identifier: MIT */
/*
 * vl_mark - the high-water mark kept outside the store (vl_mark.h,
 * docs/store.md §8). Only public store calls (head, link) are used.
 */
#define _GNU_SOURCE
#include "vl_mark.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* File layout (docs/store.md §8): magic "VLMARK", u16be version, genesis
 * hash, path id, u64be seq, head hash, u64be time, checksum. */
static const char s_magic[6] = { 'V', 'L', 'M', 'A', 'R', 'K' };
#define S_VERSION 1u
#define S_OFF_NET 8u
#define S_OFF_PATH (S_OFF_NET + VL_HASH_LEN)
#define S_OFF_SEQ (S_OFF_PATH + VL_HASH_LEN)
#define S_OFF_HASH (S_OFF_SEQ + 8u)
#define S_OFF_TIME (S_OFF_HASH + VL_HASH_LEN)
#define S_OFF_SUM (S_OFF_TIME + 8u)
_Static_assert(S_OFF_SUM + VL_HASH_LEN == VL_MARK_SIZE, "mark layout");

#define S_TAG_NAME "valise/mark-name/1"
#define S_TAG_PATH "valise/mark-path/1"
#define S_TAG_SUM  "valise/mark/1"
#define S_LOCK     ".marks.lock"
#define S_LOCK_TRIES   50 /* x S_LOCK_WAIT_MS: how long a writer waits for the lock */
#define S_LOCK_WAIT_MS 20

static void
s_put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t
s_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* The state directory into out[cap]. @return VL_OK, VL_ENOTFOUND, VL_ELIMIT. */
static int
s_state_dir(char *out, size_t cap, char *err)
{
    const char *v = getenv("VALISE_STATE_DIR");
    int n;
    if (v && *v) {
        n = snprintf(out, cap, "%s", v);
    } else if ((v = getenv("XDG_STATE_HOME")) && v[0] == '/') {
        n = snprintf(out, cap, "%s/valise", v);
    } else if ((v = getenv("HOME")) && v[0] == '/') {
        n = snprintf(out, cap, "%s/.local/state/valise", v);
    } else {
        return vl_err(err, VL_ENOTFOUND, "no state directory (VALISE_STATE_DIR, "
                      "XDG_STATE_HOME and HOME are unset)");
    }
    if (n < 0 || (size_t)n >= cap)
        return vl_err(err, VL_ELIMIT, "state directory path too long");
    return VL_OK;
}

/* mkdir -p of dir, the last component 0700. */
static int
s_mkdirs(char *dir, char *err)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(dir, 0700);
        int e = errno;
        *p = '/';
        if (r != 0 && e != EEXIST)
            return vl_err(err, VL_EIO, "cannot create %s: %s", dir, strerror(e));
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return vl_err(err, VL_EIO, "cannot create %s: %s", dir, strerror(errno));
    return VL_OK;
}

/* The absolute path of dir, which need not exist (its parent must). */
static int
s_abs(const char *dir, char *out, size_t cap, char *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return vl_err(err, VL_EIO, "bad store path");
    memcpy(buf, dir, n + 1);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char res[PATH_MAX];
    if (realpath(buf, res)) {
        if (strlen(res) >= cap)
            return vl_err(err, VL_ELIMIT, "store path too long");
        memcpy(out, res, strlen(res) + 1);
        return VL_OK;
    }
    char *slash = strrchr(buf, '/');
    const char *base = slash ? slash + 1 : buf;
    const char *parent = slash ? (slash == buf ? "/" : buf) : ".";
    if (slash && slash != buf)
        *slash = '\0';
    if (!realpath(parent, res))
        return vl_err(err, VL_EIO, "%s: %s", parent, strerror(errno));
    int w = snprintf(out, cap, "%s/%s", strcmp(res, "/") == 0 ? "" : res, base);
    if (w < 0 || (size_t)w >= cap)
        return vl_err(err, VL_ELIMIT, "store path too long");
    return VL_OK;
}

/* The path id H(tag, absolute path) of dir. */
static int
s_path_id(const char *dir, uint8_t id[VL_HASH_LEN], char *err)
{
    char abs[PATH_MAX];
    int rc = s_abs(dir, abs, sizeof abs, err);
    if (rc == VL_OK)
        vl_hash(id, S_TAG_PATH, abs, strlen(abs));
    return rc;
}

int
vl_mark_path(const char *dir, const uint8_t net[VL_HASH_LEN], bool mk, char *path, size_t cap,
             char *err)
{
    char sd[VL_MARK_PATH_MAX - 80];
    char abs[PATH_MAX];
    int rc;
    if ((rc = s_state_dir(sd, sizeof sd, err)) != VL_OK ||
        (rc = s_abs(dir, abs, sizeof abs, err)) != VL_OK)
        return rc;
    size_t alen = strlen(abs);
    uint8_t *in = malloc(VL_HASH_LEN + alen);
    if (!in)
        return VL_ENOMEM;
    memcpy(in, net, VL_HASH_LEN);
    memcpy(in + VL_HASH_LEN, abs, alen);
    uint8_t name[VL_HASH_LEN];
    vl_hash(name, S_TAG_NAME, in, VL_HASH_LEN + alen);
    free(in);
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(name, VL_HASH_LEN, hex);
    if (mk && (rc = s_mkdirs(sd, err)) != VL_OK)
        return rc;
    int n = snprintf(path, cap, "%s/mark-%s", sd, hex);
    if (n < 0 || (size_t)n >= cap)
        return vl_err(err, VL_ELIMIT, "mark path too long");
    return VL_OK;
}

/* The one checked reader of mark bytes. */
static int
s_parse(const uint8_t *b, size_t len, const uint8_t net[VL_HASH_LEN],
        const uint8_t pid[VL_HASH_LEN], vl_mark_t *m, char *err)
{
    if (len != VL_MARK_SIZE)
        return vl_err(err, VL_ECORRUPT, "%zu bytes, a mark has %u", len, VL_MARK_SIZE);
    if (memcmp(b, s_magic, sizeof s_magic) != 0)
        return vl_err(err, VL_ECORRUPT, "not a mark file (bad magic)");
    unsigned ver = (unsigned)b[6] << 8 | b[7];
    if (ver != S_VERSION)
        return vl_err(err, VL_ECORRUPT, "mark version %u (this build reads %u)", ver,
                      S_VERSION);
    uint8_t sum[VL_HASH_LEN];
    vl_hash(sum, S_TAG_SUM, b, S_OFF_SUM);
    if (memcmp(sum, b + S_OFF_SUM, VL_HASH_LEN) != 0)
        return vl_err(err, VL_ECORRUPT, "checksum mismatch");
    if (memcmp(b + S_OFF_NET, net, VL_HASH_LEN) != 0)
        return vl_err(err, VL_ECORRUPT, "the mark of another network");
    if (memcmp(b + S_OFF_PATH, pid, VL_HASH_LEN) != 0)
        return vl_err(err, VL_ECORRUPT, "the mark of another store path");
    m->seq = s_get64(b + S_OFF_SEQ);
    memcpy(m->hash, b + S_OFF_HASH, VL_HASH_LEN);
    m->time = s_get64(b + S_OFF_TIME);
    return VL_OK;
}

static int
s_read_at(const char *path, const uint8_t net[VL_HASH_LEN], const uint8_t pid[VL_HASH_LEN],
          vl_mark_t *out, char *err)
{
    uint8_t buf[VL_MARK_SIZE + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? VL_ENOTFOUND
                               : vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
    size_t n = 0;
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return vl_err(err, VL_EIO, "%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return s_parse(buf, n, net, pid, out, err);
}

int
vl_mark_read(const char *dir, const uint8_t net[VL_HASH_LEN], vl_mark_t *out, char *path,
             char *err)
{
    char p[VL_MARK_PATH_MAX];
    uint8_t pid[VL_HASH_LEN];
    if (path)
        path[0] = '\0';
    int rc = vl_mark_path(dir, net, false, p, sizeof p, err);
    if (rc != VL_OK)
        return rc == VL_ENOTFOUND ? VL_ENOTFOUND : rc;
    if (path)
        memcpy(path, p, strlen(p) + 1);
    if ((rc = s_path_id(dir, pid, err)) != VL_OK)
        return rc;
    return s_read_at(p, net, pid, out, err);
}

/* Write buf to path through a temp file in the same directory. */
static int
s_write_atomic(const char *path, const uint8_t *buf, size_t len, char *err)
{
    char tmp[VL_MARK_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
    size_t off = 0;
    int rc = VL_OK;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = vl_err(err, VL_EIO, "%s: %s", tmp, w < 0 ? strerror(errno) : "short write");
            break;
        }
        off += (size_t)w;
    }
    if (rc == VL_OK && (fchmod(fd, 0600) != 0 || fsync(fd) != 0))
        rc = vl_err(err, VL_EIO, "%s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == VL_OK && rename(tmp, path) != 0)
        rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
    if (rc != VL_OK) {
        unlink(tmp);
        return rc;
    }
    /* The rename itself must survive a crash: fsync the directory. */
    char dir[VL_MARK_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    return VL_OK;
}

int
vl_mark_write(const char *dir, const uint8_t net[VL_HASH_LEN], const vl_mark_t *m,
              bool raise_only, char *err)
{
    char path[VL_MARK_PATH_MAX], lock[VL_MARK_PATH_MAX];
    uint8_t pid[VL_HASH_LEN];
    int rc = vl_mark_path(dir, net, true, path, sizeof path, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_path_id(dir, pid, err)) != VL_OK)
        return rc;
    snprintf(lock, sizeof lock, "%s", path);
    char *slash = strrchr(lock, '/');
    if (!slash || (size_t)(slash - lock) + sizeof S_LOCK + 1 > sizeof lock)
        return vl_err(err, VL_EIO, "bad mark path");
    memcpy(slash + 1, S_LOCK, sizeof S_LOCK);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0)
        return vl_err(err, VL_EIO, "%s: %s", lock, strerror(errno));
    /* Bounded wait: a holder that is stopped (SIGSTOP, a debugger) must not
     * hang every command on this machine; the mark is then left as it was. */
    for (int tries = 0; flock(lfd, LOCK_EX | LOCK_NB) != 0; tries++) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            rc = vl_err(err, VL_EIO, "%s: %s", lock, strerror(errno));
            goto out;
        }
        if (tries >= S_LOCK_TRIES) {
            rc = vl_err(err, VL_EAGAIN, "%s: held by another process for over %d ms", lock,
                        S_LOCK_TRIES * S_LOCK_WAIT_MS);
            goto out;
        }
        struct timespec ts = { 0, S_LOCK_WAIT_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (raise_only) {
        vl_mark_t old;
        char why[VL_ERRMSG_MAX];
        if (s_read_at(path, net, pid, &old, why) == VL_OK && old.seq > m->seq)
            goto out; /* another process saw more meanwhile */
    }
    uint8_t b[VL_MARK_SIZE];
    memcpy(b, s_magic, sizeof s_magic);
    b[6] = (uint8_t)(S_VERSION >> 8);
    b[7] = (uint8_t)S_VERSION;
    memcpy(b + S_OFF_NET, net, VL_HASH_LEN);
    memcpy(b + S_OFF_PATH, pid, VL_HASH_LEN);
    s_put64(b + S_OFF_SEQ, m->seq);
    memcpy(b + S_OFF_HASH, m->hash, VL_HASH_LEN);
    s_put64(b + S_OFF_TIME, m->time);
    vl_hash(b + S_OFF_SUM, S_TAG_SUM, b, S_OFF_SUM);
    rc = s_write_atomic(path, b, sizeof b, err);
out:
    close(lfd); /* drops the flock */
    return rc;
}

int
vl_mark_check(vl_store_t *s, const char *dir, vl_mark_check_t *out, char *err)
{
    memset(out, 0, sizeof *out);
    vl_head_t head;
    uint8_t net[VL_HASH_LEN];
    int rc = vl_store_head(s, &head);
    if (rc != VL_OK)
        return vl_err(err, rc, "cannot read the head");
    if ((rc = vl_store_link(s, 0, net, err)) != VL_OK)
        return rc;
    out->head = head.seq;
    memcpy(out->head_hash, head.hash, VL_HASH_LEN);
    char why[VL_ERRMSG_MAX] = "";
    rc = vl_mark_read(dir, net, &out->seen, out->path, why);
    if (rc == VL_ENOTFOUND) {
        out->state = out->path[0] ? VL_MARK_NONE : VL_MARK_OFF;
        return VL_OK;
    }
    if (rc != VL_OK) {
        out->state = VL_MARK_DAMAGED;
        snprintf(out->why, sizeof out->why, "%s", why[0] ? why : vl_strerror(rc));
        if (!out->path[0])
            out->state = VL_MARK_OFF; /* the path itself cannot be made */
        return VL_OK;
    }
    if (head.seq < out->seen.seq) {
        out->state = VL_MARK_BEHIND;
        return VL_OK;
    }
    if (head.seq == out->seen.seq)
        memcpy(out->here, head.hash, VL_HASH_LEN);
    else if ((rc = vl_store_link(s, out->seen.seq, out->here, err)) != VL_OK)
        return rc;
    out->state = memcmp(out->here, out->seen.hash, VL_HASH_LEN) == 0 ? VL_MARK_OK
                                                                      : VL_MARK_DIFFERS;
    return VL_OK;
}

int
vl_mark_update(vl_store_t *s, const char *dir, uint64_t now, vl_mark_check_t *out, char *err)
{
    vl_mark_check_t local;
    vl_mark_check_t *c = out ? out : &local;
    int rc = vl_mark_check(s, dir, c, err);
    if (rc != VL_OK)
        return rc;
    bool write = c->state == VL_MARK_NONE || c->state == VL_MARK_DAMAGED ||
                 (c->state == VL_MARK_OK && c->head > c->seen.seq);
    if (!write)
        return VL_OK;
    uint8_t net[VL_HASH_LEN];
    if ((rc = vl_store_link(s, 0, net, err)) != VL_OK)
        return rc;
    vl_mark_t m = { .seq = c->head, .time = now };
    memcpy(m.hash, c->head_hash, VL_HASH_LEN);
    /* A damaged file is replaced; a valid one is only ever raised. */
    rc = vl_mark_write(dir, net, &m, c->state != VL_MARK_DAMAGED, err);
    return rc == VL_ENOTFOUND ? VL_OK : rc;
}

static void
s_time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%" PRIu64, t);
}

void
vl_mark_text(const vl_mark_check_t *c, char *buf, size_t cap)
{
    if (!cap)
        return;
    buf[0] = '\0';
    char when[32], seen[2 * VL_HASH_LEN + 1], here[2 * VL_HASH_LEN + 1];
    s_time(c->seen.time, when);
    vl_hex(c->seen.hash, 8, seen);
    switch (c->state) {
    case VL_MARK_BEHIND:
        snprintf(buf, cap,
                 "this store is behind what this machine has seen: head %" PRIu64
                 ", seen %" PRIu64 " (%s) at %s (restored from an older copy?); sync it "
                 "from a peer, or see 'Backup and restore' in docs/operator.md",
                 c->head, c->seen.seq, seen, when);
        break;
    case VL_MARK_DIFFERS:
        vl_hex(c->here, 8, here);
        snprintf(buf, cap,
                 "this store differs from what this machine has seen: entry %" PRIu64
                 " is %s here, it was %s at %s (replaced by another copy?); see 'Backup "
                 "and restore' in docs/operator.md",
                 c->seen.seq, here, seen, when);
        break;
    case VL_MARK_DAMAGED:
        snprintf(buf, cap, "the high-water mark of this store (%s) is damaged: %s; not "
                 "trusted, it is rewritten by the next command that writes", c->path, c->why);
        break;
    default:
        break;
    }
}

const char *
vl_mark_state_name(vl_mark_state_t s)
{
    switch (s) {
    case VL_MARK_OFF: return "off";
    case VL_MARK_NONE: return "none";
    case VL_MARK_OK: return "ok";
    case VL_MARK_BEHIND: return "behind";
    case VL_MARK_DIFFERS: return "differs";
    case VL_MARK_DAMAGED: return "damaged";
    }
    return "unknown";
}
