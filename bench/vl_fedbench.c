/* SPDX-License-Identifier: MIT */
/*
 * vl_fedbench - the federation benchmark of docs/performance.md: real
 * valise-node daemons on 127.0.0.1, on stores made by vl_genlog.
 *
 *   vl_fedbench sync   --gen D --node BIN --work W [--ae-ms MS] [--poll-ms MS]
 *                      [--goal-sync S] [--no-apply | --apply-only]
 *   vl_fedbench fanout --gen D --node BIN --work W [--nodes 16] [--approvals 20]
 *                      [--topology ring|hub] [--ae-ms MS] [--poll-ms MS]
 *
 * sync (D made with --nodes 2 --updates U): first (unless --no-apply) the
 * store alone appends the same entries in chain mode into a fresh store (the
 * rate the sync is compared with; --apply-only: only that, the store of
 * the applied entries left in W/apply). Then node01 serves a copy of D/base;
 * node02 starts from an empty store and connects to node01 through a
 * userspace TCP relay in this process, which counts the bytes (and the ZMTP
 * frames) each way. Prints:
 *   1. the time for the fresh node02 to hold every entry (from its start),
 *      and its peak RssAnon (/proc/PID/status) during the sync;
 *   2. an anti-entropy round with nothing to do: bytes and frames each way
 *      per round, measured over ten rounds;
 *   3. U changed records (D/updates.bin, one entry each) committed at node01
 *      in one transaction, until node02 holds them: time, and bytes on the
 *      wire node01 -> node02 against the encoded entries and against the
 *      records' canonical JSON (stats.txt);
 *   and a summary table: each figure of issue 12 beside its goal (the fresh
 *   sync: --goal-sync, by default 2 s per 100,000 entries), the ratio and a
 *   verdict, the size of the synced store (data.mdb) against the entries.
 * fanout (D made with --nodes N --updates >= approvals): N daemons in a ring
 * with chords (each dials the next and the c-th next, c = round(sqrt(N)) + 1)
 * or hub and spoke (node01 the hub, 7 regional relays, the rest spokes; see
 * s_topology); each serves its metrics on loopback. One approved entry at a
 * time is committed at node01, and the time until every store holds it is
 * measured: p50, p90, p99 and the maximum; bytes per node per approval from
 * the daemons' byte counters (net of a 10-s idle window measured before);
 * RssAnon per daemon (median and largest).
 *
 * Heads are read from the stores directly (read-only handles in this
 * process, every 1-2 ms), so the figures do not include any CLI start-up.
 * Nothing is asserted: the machines are shared and noisy.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vl_crypto.h"
#include "vl_keyfile.h"
#include "vl_store.h"

#define S_MAX_NODES 64

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
s_sleep_ms(double ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)((ms - 1000 * (long)(ms / 1000)) * 1e6) };
    nanosleep(&ts, NULL);
}

/* The daemons started and not yet stopped: s_die stops them, so that a
 * failed run leaves no daemon behind (they would load the next runs). */
static pid_t s_live[2 * 64 + 2];

static void
s_live_set(pid_t old, pid_t pid)
{
    for (size_t i = 0; i < sizeof s_live / sizeof s_live[0]; i++)
        if (s_live[i] == old) {
            s_live[i] = pid;
            return;
        }
}

static void s_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
s_die(const char *fmt, ...)
{
    for (size_t i = 0; i < sizeof s_live / sizeof s_live[0]; i++)
        if (s_live[i] > 0) {
            kill(s_live[i], SIGTERM);
            waitpid(s_live[i], NULL, 0);
        }
    va_list ap;
    fprintf(stderr, "vl_fedbench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the byte-counting relay ---------------------------------------------------- */

/* ZMTP 3 framing, followed per direction: a 64-byte greeting, then frames
 * of [flags][size: 1 or 8 bytes][body]. Under CURVE every frame after the
 * handshake is one encrypted MESSAGE command (data or heartbeat alike). */
typedef struct {
    uint64_t skip;      /* bytes left of the greeting or of a frame body */
    int hdr_need;       /* header bytes still to read: 0 = expecting flags */
    uint8_t flags;
    uint64_t size;
    int size_left;
    bool in_body;
} s_zmtp_t;

typedef struct {
    int fd[2];          /* 0: the client (node02's DEALER), 1: upstream (node01) */
    s_zmtp_t z[2];      /* parser of the bytes read from fd[i] */
} s_pair_t;

typedef struct {
    int lfd;
    int upstream_port;
    s_pair_t pairs[16];
    size_t npairs;
    pthread_mutex_t mu;
    uint64_t bytes[2];  /* [0] client -> upstream (node02 -> node01), [1] the reverse */
    uint64_t frames[2];
    uint64_t max_frame[2];
    volatile int stop;
} s_relay_t;

static void
s_zmtp_feed(s_relay_t *r, int dir, s_zmtp_t *z, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (z->skip) {
            size_t k = n - i < z->skip ? n - i : (size_t)z->skip;
            z->skip -= k;
            i += k;
            continue;
        }
        if (!z->in_body) {
            /* flags byte */
            z->flags = p[i++];
            z->size = 0;
            z->size_left = (z->flags & 0x02) ? 8 : 1;
            z->in_body = true;
            continue;
        }
        if (z->size_left) {
            z->size = (z->size << 8) | p[i++];
            if (--z->size_left == 0) {
                r->frames[dir]++;
                uint64_t total = z->size + 1 + ((z->flags & 0x02) ? 8 : 1);
                if (total > r->max_frame[dir])
                    r->max_frame[dir] = total;
                z->skip = z->size;
                z->in_body = false;
            }
            continue;
        }
    }
}

static int
s_listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { 0 };
    socklen_t al = sizeof a;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        s_die("relay: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    return fd;
}

/* A free port for a daemon to listen on, below the ephemeral range
 * (net.ipv4.ip_local_port_range, 32768-60999 by default): a port the kernel
 * picks for us could be taken, before the daemon binds it, as the local
 * port of another daemon's outgoing connection. Each port is tried (bound
 * and released) and handed out once per run. */
static int
s_free_port(void)
{
    static int next = 0;
    if (!next)
        next = 20000 + (int)(getpid() % 100) * 100;
    for (; next < 32000; next++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { 0 };
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)next);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return next++;
    }
    s_die("no free port in 20000-32000");
}

static int
s_connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { 0 };
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void *
s_relay_run(void *arg)
{
    s_relay_t *r = arg;
    uint8_t buf[65536];
    while (!r->stop) {
        struct pollfd pf[1 + 2 * 16];
        size_t n = 0;
        pf[n++] = (struct pollfd){ r->lfd, POLLIN, 0 };
        for (size_t i = 0; i < r->npairs; i++) {
            pf[n++] = (struct pollfd){ r->pairs[i].fd[0], POLLIN, 0 };
            pf[n++] = (struct pollfd){ r->pairs[i].fd[1], POLLIN, 0 };
        }
        if (poll(pf, n, 100) <= 0)
            continue;
        if ((pf[0].revents & POLLIN) && r->npairs < 16) {
            int c = accept(r->lfd, NULL, NULL);
            int u = c >= 0 ? s_connect_port(r->upstream_port) : -1;
            if (c >= 0 && u >= 0) {
                s_pair_t *p = &r->pairs[r->npairs++];
                memset(p, 0, sizeof *p);
                p->fd[0] = c;
                p->fd[1] = u;
                p->z[0].skip = 64;
                p->z[1].skip = 64;
            } else {
                if (c >= 0)
                    close(c);
                if (u >= 0)
                    close(u);
            }
        }
        for (size_t i = 0; i < r->npairs; i++) {
            s_pair_t *p = &r->pairs[i];
            bool dead = false;
            for (int d = 0; d < 2 && !dead; d++) {
                short ev = pf[1 + 2 * i + (size_t)d].revents;
                if (!(ev & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                ssize_t got = read(p->fd[d], buf, sizeof buf);
                if (got <= 0) {
                    dead = true;
                    break;
                }
                pthread_mutex_lock(&r->mu);
                r->bytes[d] += (uint64_t)got;
                s_zmtp_feed(r, d, &p->z[d], buf, (size_t)got);
                pthread_mutex_unlock(&r->mu);
                for (ssize_t off = 0; off < got;) {
                    ssize_t w = write(p->fd[1 - d], buf + off, (size_t)(got - off));
                    if (w <= 0) {
                        dead = true;
                        break;
                    }
                    off += w;
                }
            }
            if (dead) {
                close(p->fd[0]);
                close(p->fd[1]);
                r->pairs[i] = r->pairs[--r->npairs];
                break; /* the pollfd indexes moved: poll again */
            }
        }
    }
    for (size_t i = 0; i < r->npairs; i++) {
        close(r->pairs[i].fd[0]);
        close(r->pairs[i].fd[1]);
    }
    close(r->lfd);
    return NULL;
}

typedef struct {
    uint64_t bytes[2], frames[2], max_frame[2];
} s_counts_t;

static s_counts_t
s_relay_take(s_relay_t *r)
{
    s_counts_t c;
    pthread_mutex_lock(&r->mu);
    for (int d = 0; d < 2; d++) {
        c.bytes[d] = r->bytes[d];
        c.frames[d] = r->frames[d];
        c.max_frame[d] = r->max_frame[d];
        r->bytes[d] = r->frames[d] = r->max_frame[d] = 0;
    }
    pthread_mutex_unlock(&r->mu);
    return c;
}

/* ---- daemons ------------------------------------------------------------------------- */

typedef struct {
    char name[16];
    char dir[512];      /* store */
    char cfg[512];
    char log[512];
    int port;
    pid_t pid;
    vl_store_t *ro;     /* read-only handle for head polling */
} s_node_t;

static void
s_write_config(const s_node_t *n, const char *keyfile, const char *passfile, const char *peers,
               unsigned ae, unsigned pollms)
{
    FILE *f = fopen(n->cfg, "w");
    if (!f)
        s_die("cannot write %s", n->cfg);
    fprintf(f,
            "{\n  \"store\": \"%s\",\n  \"key\": \"%s\",\n  \"pass_file\": \"%s\",\n"
            "  \"listen\": \"tcp://127.0.0.1:%d\",\n  \"peers\": [%s],\n"
            "  \"timers\": {\"anti_entropy_ms\": %u, \"poll_ms\": %u},\n"
            "  \"log_level\": \"%s\",\n  \"log_file\": \"-\"\n}\n",
            n->dir, keyfile, passfile, n->port, peers, ae, pollms,
            getenv("VL_FEDBENCH_LOG") ? getenv("VL_FEDBENCH_LOG") : "info");
    fclose(f);
}

static void
s_spawn(s_node_t *n, const char *bin)
{
    pid_t pid = fork();
    if (pid < 0)
        s_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "--config", n->cfg, (char *)NULL);
        _exit(127);
    }
    n->pid = pid;
    s_live_set(0, pid);
}

/* Count lines of the log holding needle. */
static int
s_log_count(const s_node_t *n, const char *needle)
{
    FILE *f = fopen(n->log, "r");
    char line[2048];
    int c = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        c += strstr(line, needle) != NULL;
    fclose(f);
    return c;
}

static void
s_wait_log(const s_node_t *n, const char *needle, int count, double timeout)
{
    double end = s_now() + timeout;
    while (s_log_count(n, needle) < count) {
        int st;
        if (waitpid(n->pid, &st, WNOHANG) == n->pid)
            s_die("daemon %s died; see its log", n->log);
        if (s_now() > end)
            s_die("timed out waiting for '%s'", needle);
        s_sleep_ms(20);
    }
}

static void
s_stop(s_node_t *n)
{
    int st = 0;
    if (n->pid <= 0)
        return;
    s_live_set(n->pid, 0);
    kill(n->pid, SIGTERM);
    double end = s_now() + 20;
    while (waitpid(n->pid, &st, WNOHANG) != n->pid) {
        if (s_now() > end) {
            kill(n->pid, SIGKILL);
            waitpid(n->pid, &st, 0);
            fprintf(stderr, "vl_fedbench: %s did not stop on SIGTERM\n", n->name);
            break;
        }
        s_sleep_ms(20);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        fprintf(stderr, "vl_fedbench: %s exited %d (see %s)\n", n->name, WEXITSTATUS(st), n->log);
    n->pid = 0;
}

static long
s_rss_anon_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static uint64_t
s_head(vl_store_t *st)
{
    vl_head_t h;
    return vl_store_head(st, &h) == VL_OK ? h.seq : 0;
}

static vl_keypair_t *
s_key(const char *gen, const char *name)
{
    char path[1024], err[VL_ERRMSG_MAX] = "";
    char *pass = NULL;
    size_t plen = 0;
    vl_keypair_t *kp = NULL;
    snprintf(path, sizeof path, "%s/%s.key", gen, name);
    if (vl_passphrase_get(NULL, "VALISE_PASSPHRASE", NULL, &pass, &plen, err) != VL_OK ||
        vl_keyfile_read(path, pass, plen, &kp, err) != VL_OK)
        s_die("key: %s", err);
    vl_secure_free(&pass);
    return kp;
}

static void
s_copy_store(const char *from, const char *to)
{
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && chmod 700 '%s' && "
                     "cp '%s/data.mdb' '%s/data.mdb' && chmod 600 '%s/data.mdb'",
                     to, to, to, from, to, to);
    if (n < 0 || (size_t)n >= sizeof cmd)
        s_die("store path too long: %s", to);
    if (system(cmd) != 0)
        s_die("cannot copy the store to %s", to);
}

static uint8_t *
s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        s_die("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        s_die("cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* updates.bin: [u32be len][bytes]... */
typedef struct {
    uint8_t **e;
    size_t *len;
    size_t n;
    uint64_t bytes;
} s_updates_t;

static void
s_load_updates(const char *gen, s_updates_t *u)
{
    char path[1024];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/updates.bin", gen);
    uint8_t *b = s_read_file(path, &len);
    size_t cap = 0;
    memset(u, 0, sizeof *u);
    for (size_t off = 0; off + 4 <= len;) {
        size_t l = ((size_t)b[off] << 24) | ((size_t)b[off + 1] << 16) |
                   ((size_t)b[off + 2] << 8) | b[off + 3];
        off += 4;
        if (l > len - off)
            s_die("%s is truncated", path);
        if (u->n == cap) {
            cap = cap ? 2 * cap : 1024;
            u->e = realloc(u->e, cap * sizeof *u->e);
            u->len = realloc(u->len, cap * sizeof *u->len);
        }
        u->e[u->n] = malloc(l);
        memcpy(u->e[u->n], b + off, l);
        u->len[u->n++] = l;
        u->bytes += l;
        off += l;
    }
    free(b);
}

/* stats.txt of vl_genlog. */
typedef struct {
    unsigned long nent, nupd;
    unsigned long long base_bytes, upd_bytes, json_bytes, upd_json_bytes;
} s_stats_t;

static s_stats_t
s_read_stats(const char *gen)
{
    char path[1024];
    s_stats_t t;
    memset(&t, 0, sizeof t);
    snprintf(path, sizeof path, "%s/stats.txt", gen);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "entries %lu base_bytes %llu updates %lu update_bytes %llu json_bytes %llu "
                        "update_json_bytes %llu", &t.nent, &t.base_bytes, &t.nupd, &t.upd_bytes,
                     &t.json_bytes, &t.upd_json_bytes) != 6)
        s_die("cannot read %s (made by an older vl_genlog? remove it)", path);
    fclose(f);
    return t;
}

/* One row of the summary table: "| measure | figure | goal | ratio | verdict |"
 * (ratio = figure / goal; met when the figure is within the goal). */
static void
s_row(const char *measure, const char *figure, const char *goal, double ratio, bool strict)
{
    const char *verdict = ratio < 1.0 || (!strict && ratio == 1.0) ? "met" : "**not met**";
    printf("| %s | %s | %s | %.2f | %s |\n", measure, figure, goal, ratio, verdict);
}

/* Bytes on disk of a file (allocated blocks) and its size. */
static void
s_file_size(const char *path, unsigned long long *disk, unsigned long long *size)
{
    struct stat sb;
    *disk = *size = 0;
    if (stat(path, &sb) == 0) {
        *disk = (unsigned long long)sb.st_blocks * 512ull;
        *size = (unsigned long long)sb.st_size;
    }
}

/* The store's own chain apply: the entries of from (a read-only handle)
 * appended with vl_store_append_chain, in batches of at most VL_SYNC_BYTES
 * (as a peer's `entries` messages), into a fresh store at dir; only the
 * appends are timed. Returns entries per second. */
static double
s_chain_apply(vl_store_t *from, uint64_t n, const char *dir, const uint8_t *genesis, size_t glen,
              const vl_keypair_t *kp)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_store_t *to = NULL;
    size_t cap = 4096, cnt = 0, bytes = 0;
    uint8_t **e = calloc(cap, sizeof *e);
    size_t *len = calloc(cap, sizeof *len);
    double t = 0;
    if (!e || !len)
        s_die("out of memory");
    if (vl_store_create(dir, genesis, glen, kp, err) != VL_OK ||
        vl_store_open(dir, kp, 0, &to, err) != VL_OK)
        s_die("apply store: %s", err);
    for (uint64_t seq = 1; seq <= n + 1; seq++) {
        uint8_t *b = NULL;
        size_t l = 0;
        if (seq <= n && vl_store_entry_bytes(from, seq, &b, &l, err) != VL_OK)
            s_die("entry %llu: %s", (unsigned long long)seq, err);
        if (cnt > 0 && (seq > n || bytes + l > VL_SYNC_BYTES || cnt == cap)) {
            double a = s_now();
            if (vl_store_append_chain(to, (const uint8_t *const *)e, len, cnt, err) != VL_OK)
                s_die("chain apply: %s", err);
            t += s_now() - a;
            for (size_t k = 0; k < cnt; k++)
                free(e[k]);
            cnt = bytes = 0;
        }
        if (seq <= n) {
            e[cnt] = b;
            len[cnt++] = l;
            bytes += l;
        }
    }
    vl_store_close(&to);
    free(e);
    free(len);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "vl_fedbench: could not remove %s\n", dir);
    return t > 0 ? (double)n / t : 0;
}

/* ---- sync ---------------------------------------------------------------------------- */

static int
s_sync(const char *gen, const char *bin, const char *work, unsigned ae, unsigned pollms,
       double goal_sync, bool apply, bool apply_only)
{
    char path[1024], passfile[1024], err[VL_ERRMSG_MAX] = "";
    s_stats_t stt = s_read_stats(gen);
    unsigned long nent = stt.nent;
    unsigned long long base_bytes = stt.base_bytes;
    FILE *f;
    if (goal_sync <= 0)
        goal_sync = 2.0 * (double)nent / 100000.0; /* issue 12: 2 s per 100,000 */
    vl_keypair_t *k1 = s_key(gen, "node01"), *k2 = s_key(gen, "node02");
    size_t glen = 0;
    snprintf(path, sizeof path, "%s/genesis.vlg", gen);
    uint8_t *genesis = s_read_file(path, &glen);
    snprintf(passfile, sizeof passfile, "%s/pass", work);
    f = fopen(passfile, "w");
    fprintf(f, "%s\n", getenv("VALISE_PASSPHRASE"));
    fclose(f);
    chmod(passfile, 0600);

    /* 0. the store's own chain apply of the same entries */
    double apply_rate = 0;
    if (apply) {
        vl_store_t *base = NULL;
        snprintf(path, sizeof path, "%s/base", gen);
        if (vl_store_open(path, k2, VL_STORE_RDONLY, &base, err) != VL_OK)
            s_die("open %s: %s", path, err);
        char adir[1100];
        snprintf(adir, sizeof adir, "%s/apply", work);
        printf("0. the store alone applying the %lu entries in chain mode ...\n", nent);
        fflush(stdout);
        apply_rate = s_chain_apply(base, nent, adir, genesis, glen, k2);
        vl_store_close(&base);
        printf("   %.0f entries/s (%.0f us per entry; vl_store_append_chain in batches of at "
               "most VL_SYNC_BYTES, reading excluded)\n\n", apply_rate, 1e6 / apply_rate);
        if (apply_only) {
            free(genesis);
            vl_keypair_destroy(&k1);
            vl_keypair_destroy(&k2);
            return 0;
        }
    }

    s_node_t a = { .name = "node01" }, b = { .name = "node02" };
    snprintf(a.dir, sizeof a.dir, "%s/node01", work);
    snprintf(b.dir, sizeof b.dir, "%s/node02", work);
    snprintf(path, sizeof path, "%s/base", gen);
    printf("copying the %lu-entry store ...\n", nent);
    fflush(stdout);
    s_copy_store(path, a.dir);
    if (vl_store_create(b.dir, genesis, glen, k2, err) != VL_OK)
        s_die("create: %s", err);
    snprintf(a.cfg, sizeof a.cfg, "%s/node01.json", work);
    snprintf(b.cfg, sizeof b.cfg, "%s/node02.json", work);
    snprintf(a.log, sizeof a.log, "%s/node01.log", work);
    snprintf(b.log, sizeof b.log, "%s/node02.log", work);
    a.port = s_free_port();
    b.port = s_free_port();

    s_relay_t relay;
    memset(&relay, 0, sizeof relay);
    pthread_mutex_init(&relay.mu, NULL);
    int rport = 0;
    relay.lfd = s_listen_any(&rport);
    relay.upstream_port = a.port;
    char peers[512], key[1024];
    snprintf(key, sizeof key, "%s/node01.key", gen);
    s_write_config(&a, key, passfile, "", ae, pollms);
    snprintf(key, sizeof key, "%s/node02.key", gen);
    snprintf(peers, sizeof peers, "{\"addr\": \"tcp://127.0.0.1:%d\", \"name\": \"node01\"}",
             rport);
    s_write_config(&b, key, passfile, peers, ae, pollms);

    s_spawn(&a, bin);
    s_wait_log(&a, "valise-node ready", 1, 60);
    pthread_t th;
    pthread_create(&th, NULL, s_relay_run, &relay);
    if (vl_store_open(b.dir, k2, VL_STORE_RDONLY, &b.ro, err) != VL_OK)
        s_die("open: %s", err);

    /* 1. a fresh node syncing every entry */
    long rss_max = 0, rss_start_max = 0, rss_a_max = 0;
    double t0 = s_now(), t_ready = 0, t_first = 0;
    s_spawn(&b, bin);
    uint64_t seq = 0;
    unsigned long polls = 0;
    while ((seq = s_head(b.ro)) < nent) {
        long r = s_rss_anon_kb(b.pid), ra = s_rss_anon_kb(a.pid);
        if (!t_first && seq > 0)
            t_first = s_now();
        /* Before the first entry the daemon opens its key file: Argon2id
         * takes its memory limit (64 MiB for --kdf interactive) for a
         * moment. Counted apart: the target is about syncing. */
        if (t_first && r > rss_max)
            rss_max = r;
        if (!t_first && r > rss_start_max)
            rss_start_max = r;
        if (ra > rss_a_max)
            rss_a_max = ra;
        if (!t_ready && s_log_count(&b, "valise-node ready"))
            t_ready = s_now();
        int st;
        if (waitpid(b.pid, &st, WNOHANG) == b.pid)
            s_die("node02 died; see %s", b.log);
        if (s_now() - t0 > 600 + nent / 200.0) /* 200 entries/s: a very loaded machine */
            s_die("node02 did not sync in %.0f s (%s)", 600 + nent / 200.0, b.log);
        if (++polls % 500 == 0 && s_log_count(&b, "dropped:") > 0)
            s_die("node02 dropped node01 (stale or invalid data?); see %s", b.log);
        s_sleep_ms(2);
    }
    double t_sync = s_now() - t0;
    s_counts_t c = s_relay_take(&relay);
    s_counts_t c_sync = c;
    long rss_end = s_rss_anon_kb(b.pid);
    printf("\n1. fresh node syncing %lu entries (%llu B of encoded entries) from one peer\n",
           nent, base_bytes);
    printf("   time from start to the last entry: %.2f s  (%.0f entries/s; daemon ready after "
           "%.2f s, first entry after %.2f s)\n",
           t_sync, nent / t_sync, t_ready ? t_ready - t0 : -1.0, t_first ? t_first - t0 : -1.0);
    printf("   goal < %g s: %.2fx the goal\n", goal_sync, t_sync / goal_sync);
    printf("   bytes on the wire: node01 -> node02 %llu (%.3fx the entries, %.3fx the records' "
           "canonical JSON of %llu B), node02 -> node01 %llu; frames %llu / %llu\n",
           (unsigned long long)c.bytes[1], (double)c.bytes[1] / (double)base_bytes,
           (double)c.bytes[1] / (double)stt.json_bytes, stt.json_bytes,
           (unsigned long long)c.bytes[0], (unsigned long long)c.frames[1],
           (unsigned long long)c.frames[0]);
    unsigned long long disk_a = 0, size_a = 0, disk_b = 0, size_b = 0;
    snprintf(path, sizeof path, "%s/data.mdb", a.dir);
    s_file_size(path, &disk_a, &size_a);
    snprintf(path, sizeof path, "%s/data.mdb", b.dir);
    s_file_size(path, &disk_b, &size_b);
    printf("   store size (data.mdb, allocated on disk): the synced node02 %.1f MB (file size "
           "%.1f MB), %.2fx the encoded entries; the generated node01 %.1f MB, %.2fx\n",
           disk_b / 1e6, size_b / 1e6, (double)disk_b / (double)base_bytes, disk_a / 1e6,
           (double)disk_a / (double)base_bytes);
    printf("   RssAnon of the syncing daemon while syncing: peak %.1f MB (target < 64 MB: "
           "%.2fx), %.1f MB at the end; during start-up (key file: Argon2id): peak %.1f MB; "
           "the serving daemon: peak %.1f MB\n",
           rss_max / 1024.0, rss_max / 1024.0 / 64.0, rss_end / 1024.0, rss_start_max / 1024.0,
           rss_a_max / 1024.0);
    fflush(stdout);

    /* 2. idle anti-entropy rounds */
    s_sleep_ms(3.0 * ae);
    s_relay_take(&relay);
    const int rounds = 10;
    double w0 = s_now();
    s_sleep_ms((double)rounds * ae);
    double window = s_now() - w0;
    c = s_relay_take(&relay);
    double nr = window * 1000.0 / ae;
    printf("\n2. anti-entropy with nothing to do (anti_entropy_ms %u, %.0f rounds in %.1f s, "
           "heartbeats included)\n", ae, nr, window);
    printf("   node02 -> node01: %.0f B and %.2f frames per round (largest frame %llu B)\n",
           c.bytes[0] / nr, c.frames[0] / nr, (unsigned long long)c.max_frame[0]);
    printf("   node01 -> node02: %.0f B and %.2f frames per round (largest frame %llu B)\n",
           c.bytes[1] / nr, c.frames[1] / nr, (unsigned long long)c.max_frame[1]);
    printf("   target < 256 B each way: %.2fx / %.2fx\n", c.bytes[0] / nr / 256.0,
           c.bytes[1] / nr / 256.0);
    fflush(stdout);

    /* 3. changed records */
    s_updates_t u;
    s_load_updates(gen, &u);
    vl_store_t *wa = NULL;
    double t_upd = -1;
    s_counts_t c_upd;
    memset(&c_upd, 0, sizeof c_upd);
    if (u.n > 0) {
        if (vl_store_open(a.dir, k1, 0, &wa, err) != VL_OK)
            s_die("open: %s", err);
        s_relay_take(&relay);
        /* One transaction, as a batch of approvals landing at once; the
         * clock starts when it is committed (what the daemon can see). */
        if (vl_store_append_batch(wa, (const uint8_t *const *)u.e, u.len, u.n, err) != VL_OK)
            s_die("append: %s", err);
        double u0 = s_now();
        while (s_head(b.ro) < nent + u.n) {
            if (s_now() - u0 > 120)
                s_die("node02 did not get the changes in 120 s (%s)", b.log);
            s_sleep_ms(1);
        }
        double tu = s_now() - u0;
        c = s_relay_take(&relay);
        t_upd = tu;
        c_upd = c;
        printf("\n3. %zu changed records (one entry each, %llu B encoded) out of %lu reaching the "
               "peer\n", u.n, (unsigned long long)u.bytes, nent);
        printf("   time from the commit at node01 to the last entry at node02: %.0f ms "
               "(poll_ms %u; goal < 100 ms: %.2fx)\n", tu * 1000, pollms, tu * 1000 / 100);
        printf("   bytes on the wire node01 -> node02: %llu = %.3fx the encoded entries, %.3fx "
               "the changed records' canonical JSON of %llu B (goal <= 0.4x); node02 -> node01: "
               "%llu; frames %llu / %llu\n",
               (unsigned long long)c.bytes[1], (double)c.bytes[1] / (double)u.bytes,
               (double)c.bytes[1] / (double)stt.upd_json_bytes, stt.upd_json_bytes,
               (unsigned long long)c.bytes[0], (unsigned long long)c.frames[1],
               (unsigned long long)c.frames[0]);
        vl_store_close(&wa);
    }
    fflush(stdout);

    char fig[256], goal[128], meas[256];
    printf("\nsummary (sync, %lu entries):\n", nent);
    printf("| measure | figure | goal | ratio | verdict |\n|---|---|---|---|---|\n");
    snprintf(meas, sizeof meas, "fresh node, full sync of %lu records", nent);
    snprintf(fig, sizeof fig, "%.2f s (%.0f entries/s)", t_sync, nent / t_sync);
    snprintf(goal, sizeof goal, "< %g s", goal_sync);
    s_row(meas, fig, goal, t_sync / goal_sync, true);
    snprintf(fig, sizeof fig, "%.1f MB = %.3f x JSON (%.1f MB; %.3f x the entries)",
             c_sync.bytes[1] / 1e6, (double)c_sync.bytes[1] / (double)stt.json_bytes,
             stt.json_bytes / 1e6, (double)c_sync.bytes[1] / (double)base_bytes);
    s_row("bytes on the wire, full sync (node01 -> node02)", fig, "<= 0.4 x JSON",
          (double)c_sync.bytes[1] / (double)stt.json_bytes / 0.4, false);
    if (t_upd >= 0) {
        snprintf(meas, sizeof meas, "%zu changed records (commit at node01 to the last at node02)",
                 u.n);
        snprintf(fig, sizeof fig, "%.0f ms", t_upd * 1000);
        s_row(meas, fig, "< 100 ms", t_upd * 1000 / 100, true);
        snprintf(meas, sizeof meas, "bytes on the wire, %zu changed records", u.n);
        snprintf(fig, sizeof fig, "%.2f MB = %.3f x JSON (%.0f KB)", c_upd.bytes[1] / 1e6,
                 (double)c_upd.bytes[1] / (double)stt.upd_json_bytes, stt.upd_json_bytes / 1e3);
        s_row(meas, fig, "<= 0.4 x JSON", (double)c_upd.bytes[1] / (double)stt.upd_json_bytes / 0.4,
              false);
    }
    snprintf(fig, sizeof fig, "peak %.1f MB", rss_max / 1024.0);
    s_row("memory while syncing (RssAnon of the syncing daemon)", fig, "< 64 MB",
          rss_max / 1024.0 / 64.0, true);
    snprintf(fig, sizeof fig, "%.0f MB = %.2f x the encoded entries (%.0f MB)", disk_b / 1e6,
             (double)disk_b / (double)base_bytes, base_bytes / 1e6);
    s_row("store size on disk after the sync (data.mdb)", fig, "<= 2 x the entries",
          (double)disk_b / (double)base_bytes / 2.0, false);
    if (apply_rate > 0)
        printf("| sync rate against the store's own chain apply | %.0f / %.0f entries/s | "
               "(no goal) | %.2f | |\n", nent / t_sync, apply_rate, nent / t_sync / apply_rate);
    fflush(stdout);

    vl_store_close(&b.ro);
    s_stop(&b);
    s_stop(&a);
    relay.stop = 1;
    pthread_join(th, NULL);
    for (size_t i = 0; i < u.n; i++)
        free(u.e[i]);
    free(u.e);
    free(u.len);
    free(genesis);
    vl_keypair_destroy(&k1);
    vl_keypair_destroy(&k2);
    return 0;
}

/* ---- fanout ----------------------------------------------------------------------------- */

/* GET /metrics of a daemon; the two byte counters. Returns 0 or -1. */
static int
s_scrape(int port, unsigned long long *rx, unsigned long long *tx)
{
    static char buf[1 << 20];
    size_t n = 0;
    int fd = s_connect_port(port);
    if (fd < 0)
        return -1;
    const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    const char *r = strstr(buf, "\nvalise_bytes_received_total ");
    const char *t = strstr(buf, "\nvalise_bytes_sent_total ");
    if (!r || !t)
        return -1;
    *rx = strtoull(r + strlen("\nvalise_bytes_received_total "), NULL, 10);
    *tx = strtoull(t + strlen("\nvalise_bytes_sent_total "), NULL, 10);
    return 0;
}

/* Sum of rx and tx per node into rx[], tx[]. */
static void
s_scrape_all(const s_node_t *n, const int *mport, int nn, unsigned long long *rx,
             unsigned long long *tx)
{
    for (int i = 0; i < nn; i++)
        if (s_scrape(mport[i], &rx[i], &tx[i]) != 0)
            s_die("cannot scrape the metrics of %s (port %d)", n[i].name, mport[i]);
}

/* Edges of the topology: dialer -> listener, at most 4 per node. */
typedef struct {
    int to[8];
    int nout;
    int degree; /* sessions out and in */
} s_adj_t;

static void
s_edge(s_adj_t *adj, int from, int to)
{
    for (int k = 0; k < adj[from].nout; k++)
        if (adj[from].to[k] == to)
            return;
    for (int k = 0; k < adj[to].nout; k++)
        if (adj[to].to[k] == from)
            return; /* connections are symmetric: one is enough */
    adj[from].to[adj[from].nout++] = to;
    adj[from].degree++;
    adj[to].degree++;
}

static int
s_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* The topology: "ring" (each node dials the next and the c-th next, c =
 * round(sqrt(N)) + 1: 5 for 16 nodes, 9 for 64) or "hub" (node01 the hub,
 * where approvals are committed, as the Secretariat; node02..node08 seven
 * regional relays, each dialling the hub and the next relay (a ring of
 * relays); every other node a spoke dialling one relay, round robin). */
static const char *
s_topology(s_adj_t *adj, int nn, const char *topo)
{
    static char desc[256];
    memset(adj, 0, (size_t)nn * sizeof *adj);
    if (strcmp(topo, "hub") == 0) {
        int nr = nn - 1 < 7 ? nn - 1 : 7;
        for (int r = 1; r <= nr; r++) {
            s_edge(adj, r, 0);
            if (nr > 2)
                s_edge(adj, r, 1 + r % nr);
        }
        for (int i = nr + 1; i < nn; i++)
            s_edge(adj, i, 1 + (i - nr - 1) % nr);
        snprintf(desc, sizeof desc, "hub and spoke: node01 the hub (approvals committed there), "
                 "%d regional relays dialling the hub and the next relay, %d spokes dialling one "
                 "relay each", nr, nn - 1 - nr);
        return desc;
    }
    int c = 1;
    while ((c + 1) * (c + 1) <= nn)
        c++;
    if ((c + 1) * (c + 1) - nn < nn - c * c)
        c++; /* round(sqrt(nn)) */
    c += 1;
    for (int i = 0; i < nn; i++) {
        s_edge(adj, i, (i + 1) % nn);
        if (nn >= 7 && (i + c) % nn != i)
            s_edge(adj, i, (i + c) % nn);
    }
    snprintf(desc, sizeof desc, "ring with chords: each node dials the next and the %d-th next",
             c);
    return desc;
}

static int
s_fanout(const char *gen, const char *bin, const char *work, int nn, int approvals, unsigned ae,
         unsigned pollms, const char *topo)
{
    char path[1024], passfile[1024], err[VL_ERRMSG_MAX] = "";
    s_stats_t stt = s_read_stats(gen);
    unsigned long nent = stt.nent;
    FILE *f;
    if (nn < 2 || nn > S_MAX_NODES)
        s_die("--nodes: %s", "2..64");
    if (approvals < 1 || approvals > 1024)
        s_die("--approvals: %s", "1..1024");
    s_updates_t u;
    s_load_updates(gen, &u);
    if ((int)u.n < approvals)
        s_die("%s/updates.bin has fewer entries than --approvals", gen);
    vl_keypair_t *k1 = s_key(gen, "node01");
    snprintf(passfile, sizeof passfile, "%s/pass", work);
    f = fopen(passfile, "w");
    if (!f)
        s_die("cannot write %s", passfile);
    fprintf(f, "%s\n", getenv("VALISE_PASSPHRASE"));
    fclose(f);
    chmod(passfile, 0600);

    s_node_t *n = calloc((size_t)nn, sizeof *n);
    int *mport = calloc((size_t)nn, sizeof *mport);
    s_adj_t *adj = calloc((size_t)nn, sizeof *adj);
    unsigned long long *rx0 = calloc((size_t)nn, sizeof *rx0), *tx0 = calloc((size_t)nn, 8),
                       *rx1 = calloc((size_t)nn, 8), *tx1 = calloc((size_t)nn, 8),
                       *rx2 = calloc((size_t)nn, 8), *tx2 = calloc((size_t)nn, 8);
    if (!n || !mport || !adj || !rx0 || !tx0 || !rx1 || !tx1 || !rx2 || !tx2)
        s_die("out of memory");
    snprintf(path, sizeof path, "%s/base", gen);
    for (int i = 0; i < nn; i++) {
        snprintf(n[i].name, sizeof n[i].name, "node%02d", i + 1);
        snprintf(n[i].dir, sizeof n[i].dir, "%s/%s", work, n[i].name);
        snprintf(n[i].cfg, sizeof n[i].cfg, "%s/%s.json", work, n[i].name);
        snprintf(n[i].log, sizeof n[i].log, "%s/%s.log", work, n[i].name);
        s_copy_store(path, n[i].dir);
        n[i].port = s_free_port();
        mport[i] = s_free_port();
    }
    const char *desc = s_topology(adj, nn, topo);
    int edges = 0;
    for (int i = 0; i < nn; i++) {
        char peers[2048] = "", key[1024], metrics[64];
        size_t off = 0;
        for (int k = 0; k < adj[i].nout; k++) {
            int p = adj[i].to[k];
            off += (size_t)snprintf(peers + off, sizeof peers - off,
                                    "%s{\"addr\": \"tcp://127.0.0.1:%d\", \"name\": \"%s\"}",
                                    k ? ", " : "", n[p].port, n[p].name);
        }
        edges += adj[i].nout;
        snprintf(key, sizeof key, "%s/%s.key", gen, n[i].name);
        snprintf(metrics, sizeof metrics, "127.0.0.1:%d", mport[i]);
        s_write_config(&n[i], key, passfile, peers, ae, pollms);
        /* The metrics endpoint: one more member, before the closing brace. */
        f = fopen(n[i].cfg, "r+");
        if (!f || fseek(f, -2, SEEK_END) != 0 ||
            fprintf(f, ",\n  \"metrics\": \"%s\"\n}\n", metrics) < 0 || fclose(f) != 0)
            s_die("cannot write %s", n[i].cfg);
    }
    printf("fanout: %d daemons, %s (%d connections)\n", nn, desc, edges);
    fflush(stdout);
    double ts = s_now();
    for (int i = 0; i < nn; i++)
        s_spawn(&n[i], bin);
    for (int i = 0; i < nn; i++)
        s_wait_log(&n[i], "valise-node ready", 1, 300);
    /* Every session said hello once (out and in): the federation is up. */
    for (int i = 0; i < nn; i++)
        s_wait_log(&n[i], "hello: their seq", adj[i].degree, 300);
    printf("   all %d daemons up and connected after %.1f s\n", nn, s_now() - ts);
    for (int i = 0; i < nn; i++)
        if (vl_store_open(n[i].dir, k1, VL_STORE_RDONLY, &n[i].ro, err) != VL_OK)
            s_die("open: %s", err);
    vl_store_t *w = NULL;
    if (vl_store_open(n[0].dir, k1, 0, &w, err) != VL_OK)
        s_die("open: %s", err);

    /* The idle traffic (anti-entropy, heartbeats), to tell it apart. */
    const double idle_s = 10.0;
    s_scrape_all(n, mport, nn, rx0, tx0);
    double i0 = s_now();
    s_sleep_ms(idle_s * 1000);
    s_scrape_all(n, mport, nn, rx1, tx1);
    double idle = s_now() - i0;

    double *lat = calloc((size_t)approvals, sizeof *lat);
    unsigned seed = 4242;
    double a0 = s_now();
    for (int j = 0; j < approvals; j++) {
        /* Approvals do not come in step with the daemons' timers. */
        s_sleep_ms(200 + rand_r(&seed) % 300);
        const uint8_t *e = u.e[j];
        if (vl_store_append_batch(w, &e, &u.len[j], 1, err) != VL_OK)
            s_die("append: %s", err);
        double t0 = s_now();
        uint64_t want = nent + (uint64_t)j + 1;
        for (;;) {
            int behind = 0;
            for (int i = 1; i < nn; i++)
                behind += s_head(n[i].ro) < want;
            if (!behind)
                break;
            if (s_now() - t0 > 60)
                s_die("approval %d did not reach every node in 60 s", j + 1);
            s_sleep_ms(1);
        }
        lat[j] = s_now() - t0;
    }
    s_scrape_all(n, mport, nn, rx2, tx2);
    double busy = s_now() - a0;
    double sorted[1024];
    int m = approvals;
    memcpy(sorted, lat, (size_t)m * sizeof *lat);
    qsort(sorted, (size_t)m, sizeof *sorted, s_cmp_double);
    double p50 = sorted[m / 2], p90 = sorted[(int)((m - 1) * 0.9 + 0.5)],
           p99 = sorted[(int)((m - 1) * 0.99 + 0.5)];
    printf("\n4. one approval reaching all %d nodes (%s; anti_entropy_ms %u, poll_ms %u)\n", nn,
           desc, ae, pollms);
    printf("   %d approvals: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (goal p99 < "
           "1 s: %.2fx)\n", m, p50 * 1000, p90 * 1000, p99 * 1000, sorted[m - 1] * 1000, p99);
    printf("   each:");
    for (int j = 0; j < m; j++)
        printf(" %.0f", lat[j] * 1000);
    printf(" ms\n");

    /* Bytes: the daemons' own counters (protocol frames, without ZeroMQ
     * framing and CURVE), received per node, net of the idle rate. */
    double sum_rx = 0, sum_tx = 0, max_rx = 0, idle_rx = 0, hub_tx = 0;
    for (int i = 0; i < nn; i++) {
        double irx = (double)(rx1[i] - rx0[i]) / idle;
        double r = ((double)(rx2[i] - rx1[i]) - irx * busy) / approvals;
        double t = ((double)(tx2[i] - tx1[i]) - (double)(tx1[i] - tx0[i]) / idle * busy) /
                   approvals;
        idle_rx += irx;
        sum_rx += r;
        sum_tx += t;
        if (i > 0 && r > max_rx)
            max_rx = r;
        if (i == 0)
            hub_tx = t;
    }
    double gross_rx = 0;
    for (int i = 0; i < nn; i++)
        gross_rx += (double)(rx2[i] - rx1[i]);
    gross_rx /= (double)nn * approvals;
    printf("   bytes per node per approval (valise_bytes_received_total, protocol frames): mean "
           "%.0f B received net of the idle traffic (%.0f B gross; idle %.0f B/s per node over "
           "%.0f s), largest %.0f B; node01 sent %.0f B per approval; %.0f B sent per node on "
           "average\n", sum_rx / nn, gross_rx, idle_rx / nn, idle, max_rx, hub_tx, sum_tx / nn);
    long *rss = calloc((size_t)nn, sizeof *rss);
    long rss_hub = s_rss_anon_kb(n[0].pid);
    for (int i = 0; i < nn; i++)
        rss[i] = s_rss_anon_kb(n[i].pid);
    qsort(rss, (size_t)nn, sizeof *rss, s_cmp_long);
    printf("   RssAnon per daemon at the end: median %.1f MB, largest %.1f MB, smallest %.1f MB; "
           "node01 %.1f MB\n", rss[nn / 2] / 1024.0, rss[nn - 1] / 1024.0, rss[0] / 1024.0,
           rss_hub / 1024.0);

    char fig[256], meas[256];
    printf("\nsummary (fanout, %d nodes, %s):\n", nn, topo);
    printf("| measure | figure | goal | ratio | verdict |\n|---|---|---|---|---|\n");
    snprintf(meas, sizeof meas, "one approval reaching all %d nodes, %s, %d approvals", nn, topo,
             m);
    snprintf(fig, sizeof fig, "p50 %.0f ms, p90 %.0f ms, p99 %.0f ms", p50 * 1000, p90 * 1000,
             p99 * 1000);
    s_row(meas, fig, "p99 < 1 s", p99, true);
    snprintf(meas, sizeof meas, "bytes received per node per approval, %d nodes, %s", nn, topo);
    snprintf(fig, sizeof fig, "%.0f B net of idle (%.0f B gross); the entry %zu B", sum_rx / nn,
             gross_rx, u.len[0]);
    printf("| %s | %s | (no goal) | | |\n", meas, fig);
    snprintf(meas, sizeof meas, "RssAnon per daemon, %d nodes, %s", nn, topo);
    snprintf(fig, sizeof fig, "median %.1f MB, max %.1f MB", rss[nn / 2] / 1024.0,
             rss[nn - 1] / 1024.0);
    s_row(meas, fig, "< 64 MB", rss[nn - 1] / 1024.0 / 64.0, true);
    fflush(stdout);

    vl_store_close(&w);
    for (int i = 0; i < nn; i++) {
        vl_store_close(&n[i].ro);
        s_stop(&n[i]);
    }
    free(rss);
    free(lat);
    free(n);
    free(mport);
    free(adj);
    free(rx0);
    free(tx0);
    free(rx1);
    free(tx1);
    free(rx2);
    free(tx2);
    for (size_t i = 0; i < u.n; i++)
        free(u.e[i]);
    free(u.e);
    free(u.len);
    vl_keypair_destroy(&k1);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *gen = NULL, *bin = NULL, *work = NULL;
    unsigned ae = 2000, pollms = 50; /* the daemon's default (docs/operator.md) */
    int nodes = 16, approvals = 20;
    double goal_sync = 0;
    bool apply = true, apply_only = false;
    const char *topo = "ring";
    if (argc < 2) {
        fprintf(stderr, "usage: vl_fedbench sync|fanout --gen D --node BIN --work W ...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--gen") == 0 && i + 1 < argc)
            gen = argv[++i];
        else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc)
            bin = argv[++i];
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            work = argv[++i];
        else if (strcmp(argv[i], "--ae-ms") == 0 && i + 1 < argc)
            ae = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--poll-ms") == 0 && i + 1 < argc)
            pollms = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            nodes = atoi(argv[++i]);
        else if (strcmp(argv[i], "--approvals") == 0 && i + 1 < argc)
            approvals = atoi(argv[++i]);
        else if (strcmp(argv[i], "--goal-sync") == 0 && i + 1 < argc)
            goal_sync = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--no-apply") == 0)
            apply = false;
        else if (strcmp(argv[i], "--apply-only") == 0)
            apply_only = true;
        else if (strcmp(argv[i], "--topology") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "ring") == 0 || strcmp(argv[i + 1], "hub") == 0))
            topo = argv[++i];
        else {
            fprintf(stderr, "vl_fedbench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!gen || !bin || !work || !getenv("VALISE_PASSPHRASE")) {
        fprintf(stderr, "vl_fedbench: --gen, --node, --work and $VALISE_PASSPHRASE are needed\n");
        return 2;
    }
    if (vl_crypto_init() != VL_OK)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    mkdir(work, 0700);
    if (strcmp(argv[1], "sync") == 0)
        return s_sync(gen, bin, work, ae, pollms, goal_sync, apply || apply_only, apply_only);
    if (strcmp(argv[1], "fanout") == 0)
        return s_fanout(gen, bin, work, nodes, approvals, ae, pollms, topo);
    fprintf(stderr, "vl_fedbench: unknown command %s\n", argv[1]);
    return 2;
}
