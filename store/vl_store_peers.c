/* SPDX-License-Identifier: MIT */
/*
 * vl_store_peers - what the daemon knows of each peer (docs/store.md §3.3):
 * not signed, but strictly encoded and decoded like hostile bytes.
 *
 * Invariants: a peers value is the canonical map of vl_peer_info_t stored
 * under its addr; nothing is stored that vl_store_peers_each would refuse.
 * `last_sync` is optional when read (records written before it existed) and
 * always written.
 *
 * Also the daemon lock of a store directory (one valise-node per store): a
 * POSIX record lock on DIR/daemon.lock, tested by `valise status` with
 * F_GETLK, which takes nothing.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, below it.
 */
#include "vl_store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_codec.h"
#include "vl_fields.h"

static const char *const s_peer_keys[] = { "addr", "dropped", "last_contact", "last_error",
                                           "pk", "received", "sent", "state",
                                           "their_pending", "their_seq", NULL };
static const char *const s_peer_opt[] = { "last_sync", NULL };

/* Text of a peer record: at most cap-1 bytes, at least min, no control
 * character (it is shown by `valise status`). */
static bool
s_peer_text_ok(const char *s, size_t len, size_t min, size_t cap)
{
    if (len < min || len >= cap)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static int
s_peer_str(vl_val_t map, const char *key, char *buf, size_t cap, size_t min, char *err)
{
    const char *p;
    size_t len;
    if (vl_val_str(vl_val_get(map, key), &p, &len) != VL_OK || !s_peer_text_ok(p, len, min, cap))
        return vl_err(err, VL_EPROTO, "peer.%s: not a text of %zu..%zu characters", key, min,
                      cap - 1);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return VL_OK;
}

/* Strict decode of a peers value (hostile store bytes). VL_OK or VL_EPROTO /
 * VL_ELIMIT / VL_ENOMEM with the field in err. */
int
vls_peer_decode(const uint8_t *buf, size_t len, vl_peer_info_t *p, char *err)
{
    vl_doc_t *doc = NULL;
    int rc;
    memset(p, 0, sizeof *p);
    if ((rc = vl_doc_parse(buf, len, 1, &doc, err)) != VL_OK)
        goto out;
    vl_val_t m = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(m, s_peer_keys, s_peer_opt, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "addr", p->addr, sizeof p->addr, 1, err)) != VL_OK ||
        (rc = vl_field_uint(m, "dropped", &p->dropped, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "last_contact", &p->last_contact, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "last_error", p->last_error, sizeof p->last_error, 0, err)) !=
            VL_OK ||
        (rc = vl_field_bin_exact(m, "pk", p->pk, VL_PK_LEN, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "received", &p->received, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "sent", &p->sent, "peer", err)) != VL_OK ||
        (rc = s_peer_str(m, "state", p->state, sizeof p->state, 1, err)) != VL_OK ||
        (rc = vl_field_uint(m, "their_pending", &p->their_pending, "peer", err)) != VL_OK ||
        (rc = vl_field_uint(m, "their_seq", &p->their_seq, "peer", err)) != VL_OK)
        goto out;
    if (!vl_val_none(vl_val_get(m, "last_sync")) &&
        (rc = vl_field_uint(m, "last_sync", &p->last_sync, "peer", err)) != VL_OK)
        goto out;
    rc = VL_OK;
out:
    if (rc != VL_OK)
        memset(p, 0, sizeof *p);
    vl_doc_destroy(&doc);
    return rc;
}

/* Encode p (caller data) and decode it back with the reader's rules, so that
 * nothing is stored that peers_each would refuse. */
static int
s_peer_encode(const vl_peer_info_t *p, vl_wr_t *w, char *err)
{
    vl_peer_info_t back;
    char why[VL_ERRMSG_MAX] = "";
    size_t al = strnlen(p->addr, sizeof p->addr), sl = strnlen(p->state, sizeof p->state),
           el = strnlen(p->last_error, sizeof p->last_error);
    if (!s_peer_text_ok(p->addr, al, 1, sizeof p->addr) ||
        !s_peer_text_ok(p->state, sl, 1, sizeof p->state) ||
        !s_peer_text_ok(p->last_error, el, 0, sizeof p->last_error))
        return vl_err(err, VL_EINVAL, "peer record: addr, state and last_error must be "
                      "NUL-terminated text without control characters (addr, state not empty)");
    vl_wr_map(w, 11);
    vl_wr_cstr(w, "addr");
    vl_wr_str(w, p->addr, al);
    vl_wr_cstr(w, "dropped");
    vl_wr_uint(w, p->dropped);
    vl_wr_cstr(w, "last_contact");
    vl_wr_uint(w, p->last_contact);
    vl_wr_cstr(w, "last_error");
    vl_wr_str(w, p->last_error, el);
    vl_wr_cstr(w, "last_sync");
    vl_wr_uint(w, p->last_sync);
    vl_wr_cstr(w, "pk");
    vl_wr_bin(w, p->pk, VL_PK_LEN);
    vl_wr_cstr(w, "received");
    vl_wr_uint(w, p->received);
    vl_wr_cstr(w, "sent");
    vl_wr_uint(w, p->sent);
    vl_wr_cstr(w, "state");
    vl_wr_str(w, p->state, sl);
    vl_wr_cstr(w, "their_pending");
    vl_wr_uint(w, p->their_pending);
    vl_wr_cstr(w, "their_seq");
    vl_wr_uint(w, p->their_seq);
    int rc = vl_wr_status(w);
    if (rc != VL_OK)
        return rc;
    if ((rc = vls_peer_decode(vl_wr_data(w), vl_wr_len(w), &back, why)) != VL_OK)
        return vl_err(err, rc == VL_ENOMEM ? VL_ENOMEM : VL_EINVAL, "peer record: %s", why);
    return VL_OK;
}

typedef struct {
    const vl_peer_info_t *p;
    vl_wr_t *w;
} s_peer_ctx_t;

static int
s_peer_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_peer_ctx_t *c = vctx;
    return vls_put(self, txn, S_PEERS, c->p->addr, strlen(c->p->addr), vl_wr_data(c->w),
                   vl_wr_len(c->w), 0, err);
}

int
vl_store_peer_put(vl_store_t *self, const vl_peer_info_t *p, char *err)
{
    assert(self && p);
    s_peer_ctx_t c = { p, vl_wr_new() };
    int rc = c.w ? s_peer_encode(p, c.w, err) : VL_ENOMEM;
    if (rc == VL_OK)
        rc = vls_write(self, s_peer_txn, &c, err);
    vl_wr_destroy(&c.w);
    return rc;
}

static int
s_peer_item(vl_store_t *self, const MDB_val *k, const MDB_val *v, void *item)
{
    vl_peer_info_t *p = item;
    int rc = vls_peer_decode(v->mv_data, v->mv_size, p, NULL);
    if (rc != VL_OK)
        return rc == VL_ENOMEM ? VL_ENOMEM : VL_ECORRUPT;
    if (k->mv_size != strlen(p->addr) || memcmp(k->mv_data, p->addr, k->mv_size) != 0)
        return VL_ECORRUPT;
    return VL_OK;
}

typedef struct {
    int (*cb)(void *ctx, const vl_peer_info_t *p);
    void *ctx;
} s_peers_each_t;

static int
s_peers_each(void *ctx, void *item)
{
    s_peers_each_t *c = ctx;
    return c->cb(c->ctx, item);
}

int
vl_store_peers_each(vl_store_t *self, int (*cb)(void *ctx, const vl_peer_info_t *p),
                    void *ctx)
{
    assert(self && cb);
    /* The callback runs after the txn: it may write (e.g. peer_put). */
    static const vls_collect_t how = { S_PEERS, NULL, sizeof(vl_peer_info_t), s_peer_item,
                                       NULL, NULL };
    s_peers_each_t c = { cb, ctx };
    return vls_collect_each(self, &how, s_peers_each, &c);
}

typedef struct {
    const char *addr;
    vl_peer_info_t *out;
} s_peer_get_t;

static int
s_peer_get_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_peer_get_t *c = vctx;
    MDB_val k = vls_val(c->addr, strlen(c->addr)), v;
    int rc = vls_get(self, txn, S_PEERS, c->addr, strlen(c->addr), &v, err);
    if (rc != VL_OK)
        return rc;
    return s_peer_item(self, &k, &v, c->out);
}

int
vl_store_peer_get(vl_store_t *self, const char *addr, vl_peer_info_t *out)
{
    assert(self && addr && out);
    memset(out, 0, sizeof *out);
    MDB_txn *txn = NULL;
    s_peer_get_t c = { addr, out };
    if (addr[0] == '\0' || strlen(addr) >= sizeof out->addr)
        return VL_ENOTFOUND;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc;
    rc = s_peer_get_txn(self, txn, &c, NULL);
    vls_read_end(self, &txn);
    if (rc != VL_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- the daemon lock ------------------------------------------------------------ */

static int
s_lock_path(const char *dir, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s", dir, VL_STORE_DAEMON_LOCK);
    return n > 0 && (size_t)n < cap ? VL_OK : VL_ELIMIT;
}

/* The pid written in the lock file (0 if unreadable). */
static long
s_lock_file_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

int
vl_store_daemon_lock(const char *dir, int *fd, long *holder, char *err)
{
    char path[4096];
    int rc = VL_OK;
    assert(dir && fd && holder);
    *fd = -1;
    *holder = 0;
    if (s_lock_path(dir, path, sizeof path) != VL_OK)
        return vl_err(err, VL_EIO, "store path too long");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0)
        return vl_err(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(f, F_SETLK, &fl) != 0) {
        if (errno != EACCES && errno != EAGAIN) {
            rc = vl_err(err, VL_EIO, "cannot lock %s: %s", path, strerror(errno));
            goto out;
        }
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(f, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
            *holder = fl.l_pid;
        else
            *holder = s_lock_file_pid(f);
        rc = vl_err(err, VL_EEXIST, "%s is locked by process %ld", path, *holder);
        goto out;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        rc = vl_err(err, VL_EIO, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    *fd = f;
    f = -1;
out:
    if (f >= 0)
        close(f);
    return rc;
}

void
vl_store_daemon_unlock(int *fd)
{
    assert(fd);
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

long
vl_store_daemon_pid(const char *dir)
{
    char path[4096];
    assert(dir);
    if (s_lock_path(dir, path, sizeof path) != VL_OK)
        return -1;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return errno == ENOENT ? 0 : -1;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    long pid;
    if (fcntl(f, F_GETLK, &fl) != 0)
        pid = -1;
    else if (fl.l_type == F_UNLCK)
        pid = 0;
    else if (fl.l_pid > 0)
        pid = fl.l_pid;
    else /* held from another pid namespace: the file's word, or "cannot tell" */
        pid = s_lock_file_pid(f) > 0 ? s_lock_file_pid(f) : -1;
    close(f);
    return pid;
}
