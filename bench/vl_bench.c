/* SPDX-License-Identifier: MIT */
/*
 * vl_bench - the single-node benchmark of docs/performance.md.
 *
 *   vl_bench [--entries N] [--dir DIR] [--queries Q] [--chain | --chain-only]
 *
 * Prints, from one run on this machine:
 *   1. Ed25519 verifications per second on one core (the limit);
 *   2. replaying N approved entries (one new authority record of ~1.2 KB
 *      each, 3 signatures each: the author's and two approvers') into a fresh
 *      store, in transactions of 1,000 entries, and the ratio of that rate to
 *      the signature-bound rate (verify rate / 3);
 *   3. `verify` over that store;
 *   4. get and find (State + function) latency, p50 and p99.
 * With --chain, also (5.) what a fresh node syncing from a peer does: the
 * same N entries through vl_store_append_chain in batches of VL_SYNC_BATCH
 * (full signatures on the last entry of each batch only), the non-signature
 * cost per entry, and the background audit (vl_store_check_sigs) that
 * verifies the rest. --chain-only skips 2.-4. (for profiling).
 * It asserts nothing: figures only (the machines are shared and noisy).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vl_benchlog.h"
#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_record.h"
#include "vl_root.h"
#include "vl_store.h"
#include "vl_testnet.h"

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared VM the wall clock also counts the
 * neighbours (the chain figures give both). */
static double
s_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_verify_rate(const vl_keypair_t *kp)
{
    uint8_t digest[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash(digest, "bench", "x", 1);
    vl_sign(kp, digest, sig);
    size_t n = 0, ok = 0;
    double t0 = s_now(), t;
    do {
        for (int i = 0; i < 200; i++, n++)
            ok += vl_verify(vl_keypair_pk(kp), digest, sig) == VL_OK;
        t = s_now();
    } while (t - t0 < 1.0);
    if (ok != n)
        fprintf(stderr, "verify failed?\n");
    return (double)n / (t - t0);
}

typedef struct {
    size_t n;
} s_count_t;

static int
s_count_cb(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    ((s_count_t *)ctx)->n++;
    return 0;
}

static void
s_report(void *ctx, const char *line)
{
    size_t *n = ctx;
    if ((*n)++ < 5)
        fprintf(stderr, "verify: %s\n", line);
}

/* Remove the store files in dir (the directory stays). */
static void
s_unlink_store(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
}

int
main(int argc, char **argv)
{
    size_t nentries = 100000, nqueries = 2000;
    char dirbuf[256] = "";
    const char *dir = NULL;
    int chain = 0; /* 1: --chain, 2: --chain-only */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--chain") == 0)
            chain = 1;
        else if (strcmp(argv[i], "--chain-only") == 0)
            chain = 2;
        else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
            nentries = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
            nqueries = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: vl_bench [--entries N] [--queries Q] [--dir DIR] "
                            "[--chain | --chain-only]\n");
            return 2;
        }
    }
    if (vl_crypto_init() != VL_OK || nentries == 0)
        return 1;
    if (!dir) {
        snprintf(dirbuf, sizeof dirbuf, "/tmp/vl_bench.XXXXXX");
        if (!mkdtemp(dirbuf))
            return 1;
        dir = dirbuf;
    }
    /* Pin to one core so that "one core" means one core. */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
    sched_setaffinity(0, sizeof set, &set);

    vl_testnet_t t;
    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    printf("valise single-node benchmark: %zu entries, store in %s, pinned to cpu %d\n",
           nentries, dir, sched_getcpu());

    /* 1. The limit. */
    double vrate = s_verify_rate(t.a1);
    printf("ed25519 verify, one core:      %10.0f /s  (%.1f us each)\n", vrate, 1e6 / vrate);

    /* 2. Make N approved entries (not timed as replay). */
    uint8_t **entries = NULL;
    size_t *lens = NULL;
    char err[VL_ERRMSG_MAX] = "";
    size_t body_bytes = 0, entry_bytes = 0;
    double tg = s_now();
    if (vl_bench_make_log(&t, nentries, &entries, &lens, &body_bytes, &entry_bytes) != VL_OK)
        return 1;
    printf("made %zu entries in %.1f s: record body %.0f B, entry %.0f B on average\n", nentries,
           s_now() - tg, (double)body_bytes / nentries, (double)entry_bytes / nentries);

    struct stat sb;
    char path[300];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    vl_store_t *st = NULL;
    double *lat = NULL;
    if (chain == 2)
        goto chain_sync;

    /* Replay into a fresh store. */
    if (vl_store_create(dir, t.genesis, t.genesis_len, t.node, err) ||
        vl_store_open(dir, t.node, 0, &st, err)) {
        fprintf(stderr, "store: %s\n", err);
        return 1;
    }
    const size_t batch = 1000;
    double t0 = s_now();
    for (size_t i = 0; i < nentries; i += batch) {
        size_t n = nentries - i < batch ? nentries - i : batch;
        if (vl_store_append_batch(st, (const uint8_t *const *)&entries[i], &lens[i], n, err)) {
            fprintf(stderr, "append at %zu: %s\n", i, err);
            return 1;
        }
    }
    double treplay = s_now() - t0;
    double rrate = (double)nentries / treplay;
    double bound = vrate / 3.0;
    printf("replay %zu entries:            %10.2f s  = %.0f entries/s\n", nentries, treplay,
           rrate);
    printf("  signature-bound rate (verify/3): %.0f entries/s; replay/bound = %.2f "
           "(target >= 0.50)\n",
           bound, rrate / bound);
    printf("  i.e. of each entry's %.0f us, signatures take %.0f us and the rest %.0f us\n",
           1e6 / rrate, 3e6 / vrate, 1e6 / rrate - 3e6 / vrate);

    /* 3. verify. */
    size_t problems = 0, reported = 0;
    t0 = s_now();
    int vrc = vl_store_verify(st, s_report, &reported, &problems);
    double tver = s_now() - t0;
    printf("verify over the store:         %10.2f s  (%s, %zu problems) = %.0f entries/s\n", tver,
           vl_strerror(vrc), problems, nentries / tver);

    /* 4. get and find latency. */
    lat = calloc(nqueries, sizeof *lat);
    unsigned seed = 12345;
    for (size_t q = 0; q < nqueries; q++) {
        char id[32];
        size_t i = (size_t)rand_r(&seed) % nentries;
        snprintf(id, sizeof id, "%s-%06zu", vl_bench_states[i % vl_bench_nstates], i);
        vl_record_t *rec = NULL;
        uint64_t rev = 0;
        double a = s_now();
        int rc = vl_store_get(st, id, &rec, &rev, err);
        lat[q] = s_now() - a;
        if (rc != VL_OK || !rec) {
            fprintf(stderr, "get %s: %s\n", id, err);
            return 1;
        }
        vl_record_destroy(&rec);
    }
    qsort(lat, nqueries, sizeof *lat, s_cmp_double);
    printf("get (decrypt + decode):        p50 %7.1f us  p99 %7.1f us\n",
           lat[nqueries / 2] * 1e6, lat[nqueries * 99 / 100] * 1e6);
    size_t found = 0;
    for (size_t q = 0; q < nqueries; q++) {
        vl_query_t query = { 0 };
        s_count_t c = { 0 };
        query.state = vl_bench_states[q % vl_bench_nstates];
        query.function = vl_bench_functions[q % 6];
        query.limit = 10;
        double a = s_now();
        int rc = vl_store_find(st, &query, s_count_cb, &c);
        lat[q] = s_now() - a;
        if (rc != VL_OK)
            return 1;
        found += c.n;
    }
    qsort(lat, nqueries, sizeof *lat, s_cmp_double);
    printf("find state+function (<=10):    p50 %7.1f us  p99 %7.1f us  (target p99 < 100 us; "
           "%.1f results/query)\n",
           lat[nqueries / 2] * 1e6, lat[nqueries * 99 / 100] * 1e6, (double)found / nqueries);

    if (stat(path, &sb) == 0)
        printf("store file: %.1f MB for %zu entries and records\n", sb.st_size / 1e6, nentries);
    vl_store_close(&st);
    if (dirbuf[0])
        s_unlink_store(dir);

chain_sync:
    if (chain) {
        /* 5. A fresh node syncing the same log from a peer (store in DIR/chain). */
        char cdir[300];
        snprintf(cdir, sizeof cdir, "%s/chain", dir);
        if (vl_store_create(cdir, t.genesis, t.genesis_len, t.mg, err) ||
            vl_store_open(cdir, t.mg, 0, &st, err)) {
            fprintf(stderr, "store: %s\n", err);
            return 1;
        }
        const size_t cb = VL_SYNC_BATCH;
        size_t nbatches = 0;
        double c0 = s_now(), u0 = s_cpu();
        for (size_t i = 0; i < nentries; i += cb, nbatches++) {
            size_t n = nentries - i < cb ? nentries - i : cb;
            if (vl_store_append_chain(st, (const uint8_t *const *)&entries[i], &lens[i], n,
                                      err)) {
                fprintf(stderr, "append_chain at %zu: %s\n", i, err);
                return 1;
            }
        }
        double tchain = s_now() - c0, uchain = s_cpu() - u0;
        double sig_us = 1e6 * (double)nbatches * 3.0 / vrate;
        printf("chain sync %zu entries (batches of %zu): %6.2f s  = %.0f entries/s (CPU %.2f s)\n",
               nentries, cb, tchain, (double)nentries / tchain, uchain);
        printf("  per entry %.1f us (CPU %.1f us): signatures %.2f us (3 per batch), the rest "
               "%.1f us (CPU %.1f us; target <= 25 us)\n",
               1e6 * tchain / nentries, 1e6 * uchain / nentries, sig_us / nentries,
               (1e6 * tchain - sig_us) / nentries, (1e6 * uchain - sig_us) / nentries);
        uint64_t checked = 0;
        c0 = s_now();
        int crc;
        do
            crc = vl_store_check_sigs(st, 4096, &checked, err);
        while (crc == VL_OK && checked < nentries);
        double taudit = s_now() - c0;
        printf("background audit (check_sigs): %10.2f s  (%s, sigs_checked %llu) = %.0f "
               "entries/s\n",
               taudit, crc == VL_OK ? "ok" : err, (unsigned long long)checked,
               (double)nentries / taudit);
        vl_store_close(&st);
        if (dirbuf[0]) {
            s_unlink_store(cdir);
            rmdir(cdir);
        }
    }
    for (size_t i = 0; i < nentries; i++)
        free(entries[i]);
    free(entries);
    free(lens);
    free(lat);
    vl_testnet_fini(&t);
    if (dirbuf[0])
        rmdir(dir);
    return 0;
}
