/* SPDX-License-Identifier: MIT */
/*
 * vl_servebench - what a web page costs beside the lookup it shows
 * (bench/serve.sh, docs/performance.md "Web view"). Against a store and a
 * running `valise serve` on the same store, it times, for the same queries:
 *
 *   in process (what `valise find` / `valise get --json` run, no printing):
 *     vl_store_find     the query with the page's limit (1,001), records
 *                       decoded and dropped
 *     vl_view_find      the same, each record turned into its JSON summary
 *                       (what the search page renders from)
 *     vl_view_record    the record shape with its "updated" entry (what the
 *                       record page renders from)
 *   over HTTP (one-shot: connect, GET, read to the end, close):
 *     /search?country=NAME                the State's records (1,000 listed)
 *     /search?country=NAME&function=F     a function the State has not: none
 *     /record/ID                          one record
 *
 *   vl_servebench --store DIR --key FILE --port P [--rounds N] [--ids N]
 *
 * Each query is run once untimed, then N rounds (default 40) of every
 * State name (8), and --ids (default 400) distinct record ids twice; the
 * table gives p50 and p99 of each and the ratio page / lookup. The key's
 * passphrase is $VALISE_PASSPHRASE. The store is the one vl_genlog makes:
 * ids STATE-G%06u, 24 States in turn, two functions per State.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vl_crypto.h"
#include "vl_keyfile.h"
#include "vl_store.h"
#include "vl_view.h"

/* The States queried by name, with their place in vl_genlog's list (which
 * fixes their ids and functions). */
static const struct {
    const char *name, *code;
    unsigned index;
} s_states[] = {
    { "Mauritius", "MU", 0 }, { "Madagascar", "MG", 1 }, { "Costa%20Rica", "CR", 5 },
    { "Mexico", "MX", 12 },   { "Burkina%20Faso", "BF", 15 }, { "Mali", "ML", 16 },
    { "Niger", "NE", 18 },    { "Germany", "DE", 21 },
};
#define S_NS (sizeof s_states / sizeof s_states[0])
static const char *const s_fns[] = { "mla", "extradition", "transfer_sentenced_persons",
                                     "drug_trafficking_sea", "migrant_smuggling_sea",
                                     "firearms_trafficking" };
#define S_PAGE_LIMIT 1001 /* the search page asks for 1,000 + 1 */

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6; /* ms */
}

static void
s_die(const char *what, const char *detail)
{
    fprintf(stderr, "vl_servebench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* A set of timings (ms). */
typedef struct {
    double *v;
    size_t n, cap;
} s_times_t;

static void
s_add(s_times_t *t, double ms)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        if (!t->v)
            s_die("out of memory", NULL);
    }
    t->v[t->n++] = ms;
}

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank). */
static double
s_pct(s_times_t *t, double p)
{
    qsort(t->v, t->n, sizeof *t->v, s_cmp);
    size_t k = (size_t)(p / 100.0 * (double)t->n + 0.999999);
    if (k < 1)
        k = 1;
    return t->v[k > t->n ? t->n - 1 : k - 1];
}

/* ---- in process ------------------------------------------------------------- */

static int
s_drop(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    (*(size_t *)ctx)++;
    return 0;
}

static size_t
s_find(vl_store_t *st, const vl_query_t *q)
{
    size_t n = 0;
    char err[VL_ERRMSG_MAX] = "";
    if (vl_store_find(st, q, s_drop, &n) != VL_OK)
        s_die("vl_store_find", err);
    return n;
}

static size_t
s_view_find(vl_store_t *st, const vl_query_t *q)
{
    json_t *arr = NULL;
    char err[VL_ERRMSG_MAX] = "";
    if (vl_view_find(st, q, &arr, err) != VL_OK)
        s_die("vl_view_find", err);
    size_t n = json_array_size(arr);
    json_decref(arr);
    return n;
}

static void
s_view_record(vl_store_t *st, const char *id)
{
    json_t *r = NULL;
    char err[VL_ERRMSG_MAX] = "";
    if (vl_view_record(st, id, &r, err) != VL_OK)
        s_die("vl_view_record", err);
    json_decref(r);
}

/* ---- over HTTP ---------------------------------------------------------------- */

static char *s_resp;
static size_t s_rcap;

/* GET path from 127.0.0.1:port on a new connection; returns the status and
 * sets *len to the bytes of the whole response. */
static int
s_get(int port, const char *path, size_t *len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        s_die("socket", NULL);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        s_die("connect", "is valise serve running on that port?");
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", path,
                     port);
    if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n)
        s_die("write", path);
    size_t got = 0;
    for (;;) {
        if (s_rcap - got < 65536) {
            s_rcap = s_rcap ? 2 * s_rcap : 1 << 20;
            s_resp = realloc(s_resp, s_rcap);
            if (!s_resp)
                s_die("out of memory", NULL);
        }
        ssize_t r = read(fd, s_resp + got, s_rcap - got - 1);
        if (r < 0)
            s_die("read", path);
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    s_resp[got] = 0;
    *len = got;
    int status = 0;
    if (sscanf(s_resp, "HTTP/1.%*d %d", &status) != 1)
        s_die("not an HTTP response", path);
    return status;
}

static size_t
s_page(int port, const char *path, int want)
{
    size_t len = 0;
    int st = s_get(port, path, &len);
    if (st != want) {
        char d[64];
        snprintf(d, sizeof d, "HTTP %d, expected %d", st, want);
        fprintf(stderr, "%.300s\n", s_resp);
        s_die(path, d);
    }
    return len;
}

/* ---- the run ------------------------------------------------------------------ */

static void
s_row(const char *what, s_times_t *t, const char *unit_note)
{
    printf("%-44s %6zu %9.3f %9.3f  %s\n", what, t->n, s_pct(t, 50), s_pct(t, 99),
           unit_note ? unit_note : "");
}

int
main(int argc, char **argv)
{
    const char *dir = NULL, *keyp = NULL;
    int port = 0;
    unsigned rounds = 40, nids = 400;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            keyp = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
            nids = (unsigned)atoi(argv[++i]);
        else
            s_die("usage: vl_servebench --store DIR --key FILE --port P [--rounds N] [--ids N]",
                  NULL);
    }
    if (!dir || !keyp || port <= 0 || port > 65535 || rounds == 0 || nids == 0)
        s_die("usage: vl_servebench --store DIR --key FILE --port P [--rounds N] [--ids N]",
              NULL);
    if (vl_crypto_init() != VL_OK)
        s_die("libsodium", NULL);
    char err[VL_ERRMSG_MAX] = "";
    char *pass = NULL;
    size_t plen = 0;
    vl_keypair_t *kp = NULL;
    vl_store_t *st = NULL;
    if (vl_passphrase_get(NULL, "VALISE_PASSPHRASE", NULL, &pass, &plen, err) != VL_OK ||
        vl_keyfile_read(keyp, pass, plen, &kp, err) != VL_OK)
        s_die("key", err);
    vl_secure_free(&pass);
    if (vl_store_open(dir, kp, VL_STORE_RDONLY, &st, err) != VL_OK)
        s_die("store", err);
    vl_head_t h;
    if (vl_store_head(st, &h) != VL_OK)
        s_die("head", NULL);

    s_times_t f_all = { 0 }, v_all = { 0 }, p_all = { 0 };
    s_times_t f_none = { 0 }, v_none = { 0 }, p_none = { 0 };
    s_times_t r_view = { 0 }, p_rec = { 0 };
    size_t bytes_all = 0, bytes_rec = 0, listed = 0;
    char path[512];

    /* In process and over HTTP in separate passes, so that the server's
     * work after a response (closing, freeing) never lands in a lookup. */
    for (unsigned round = 0; round <= rounds; round++) {
        bool timed = round > 0; /* round 0 warms the caches */
        for (size_t s = 0; s < S_NS; s++) {
            const char *absent = s_fns[(s_states[s].index + 2) % 6];
            vl_query_t q = { .state = s_states[s].code, .limit = S_PAGE_LIMIT };
            vl_query_t qn = { .state = s_states[s].code, .function = absent,
                              .limit = S_PAGE_LIMIT };
            /* The same order as the pages below: the State, then the State
             * with the absent function; vl_store_find, then vl_view_find. */
            double t0 = s_now();
            size_t n1 = s_find(st, &q);
            double t1 = s_now();
            size_t n3 = s_find(st, &qn);
            double t2 = s_now();
            size_t n2 = s_view_find(st, &q);
            double t3 = s_now();
            size_t n4 = s_view_find(st, &qn);
            double t4 = s_now();
            if (n1 != S_PAGE_LIMIT || n2 != S_PAGE_LIMIT || n3 != 0 || n4 != 0)
                s_die("unexpected result counts (not a vl_genlog store of 100,000?)", NULL);
            if (!timed)
                continue;
            s_add(&f_all, t1 - t0);
            s_add(&f_none, t2 - t1);
            s_add(&v_all, t3 - t2);
            s_add(&v_none, t4 - t3);
        }
        for (size_t s = 0; s < S_NS; s++) {
            const char *absent = s_fns[(s_states[s].index + 2) % 6];
            double t0 = s_now();
            snprintf(path, sizeof path, "/search?country=%s", s_states[s].name);
            size_t b = s_page(port, path, 200);
            double t1 = s_now();
            snprintf(path, sizeof path, "/search?country=%s&function=%s", s_states[s].name,
                     absent);
            s_page(port, path, 200);
            double t2 = s_now();
            if (!timed)
                continue;
            s_add(&p_all, t1 - t0);
            s_add(&p_none, t2 - t1);
            bytes_all += b;
            listed++;
        }
    }
    /* Record pages: nids distinct ids spread over the store, twice each
     * after an untimed pass. */
    static const char *const codes[] = { "MU", "MG", "SC", "KM", "FR", "CR", "SV", "GT",
                                         "HN", "NI", "PA", "DO", "MX", "BZ", "CO", "BF",
                                         "ML", "MR", "NE", "TD", "AT", "DE", "IT", "ES" };
    for (unsigned pass2 = 0; pass2 <= 2; pass2++) {
        for (int http = 0; http <= 1; http++) {
            for (unsigned k = 0; k < nids; k++) {
                size_t i = (size_t)k * (h.records / nids) + k % 7;
                char id[32];
                snprintf(id, sizeof id, "%s-G%06zu", codes[i % 24], i);
                double t0 = s_now();
                size_t b = 0;
                if (http) {
                    snprintf(path, sizeof path, "/record/%s", id);
                    b = s_page(port, path, 200);
                } else {
                    s_view_record(st, id);
                }
                double t1 = s_now();
                if (pass2 == 0)
                    continue; /* warm-up */
                s_add(http ? &p_rec : &r_view, t1 - t0);
                bytes_rec += b;
            }
        }
    }

    printf("store: %llu records, head #%llu; %zu State names x %u rounds, %u ids x 2\n",
           (unsigned long long)h.records, (unsigned long long)h.seq, S_NS, rounds, nids);
    printf("%-44s %6s %9s %9s\n", "ms", "n", "p50", "p99");
    s_row("search by State, in process: vl_store_find", &f_all, "(1,001 records)");
    s_row("search by State, in process: vl_view_find", &v_all, "(1,001 summaries)");
    s_row("search by State, page over HTTP", &p_all, "(1,000 listed)");
    s_row("search State + absent function: vl_store_find", &f_none, "(none)");
    s_row("search State + absent function: vl_view_find", &v_none, "(none)");
    s_row("search State + absent function, page", &p_none, "(none)");
    s_row("record, in process: vl_view_record", &r_view, NULL);
    s_row("record, page over HTTP", &p_rec, NULL);
    printf("mean response: search %zu bytes, record %zu bytes\n", bytes_all / (listed ? listed : 1),
           bytes_rec / (p_rec.n ? p_rec.n : 1));
    printf("ratio page / lookup, p99: search %.2f (vs vl_store_find) %.2f (vs vl_view_find); "
           "none %.2f; record %.2f (vs vl_view_record)\n",
           s_pct(&p_all, 99) / s_pct(&f_all, 99), s_pct(&p_all, 99) / s_pct(&v_all, 99),
           s_pct(&p_none, 99) / s_pct(&f_none, 99), s_pct(&p_rec, 99) / s_pct(&r_view, 99));
    printf("ratio page / lookup, p50: search %.2f (vs vl_store_find) %.2f (vs vl_view_find); "
           "none %.2f; record %.2f (vs vl_view_record)\n",
           s_pct(&p_all, 50) / s_pct(&f_all, 50), s_pct(&p_all, 50) / s_pct(&v_all, 50),
           s_pct(&p_none, 50) / s_pct(&f_none, 50), s_pct(&p_rec, 50) / s_pct(&r_view, 50));
    vl_store_close(&st);
    vl_keypair_destroy(&kp);
    free(f_all.v), free(v_all.v), free(p_all.v), free(f_none.v), free(v_none.v),
        free(p_none.v), free(r_view.v), free(p_rec.v), free(s_resp);
    return 0;
}
