/* SPDX-License-Identifier: MIT */
/*
 * vl_bundlebench - bundles (issue 9) against the store's own chain replay,
 * docs/performance.md "Bundles".
 *
 *   vl_bundlebench [--entries N] [--dir DIR] [--smoke]
 *
 * Makes the log of vl_bench (bench/vl_benchlog.c: N approved entries of one
 * ~1.2 KB authority record each, three signatures each), then measures in
 * ONE run, pinned to one core:
 *   (a) chain replay: the N entries through vl_store_append_chain in batches
 *       of VL_SYNC_BATCH into a fresh store A (what vl_bench --chain does, and
 *       what a node syncing from a peer does), then the background signature
 *       audit of A (vl_store_check_sigs), timed apart;
 *   (b) `bundle create` of everything in A (vl_store_bundle_create, the
 *       store function under the CLI) to DIR/all.vlb;
 *   (c) import into a fresh store B: reading the file, vl_bundle_parse
 *       (framing, hash, maker signature, every item), and
 *       vl_store_bundle_import (phase 1: every check, nothing written;
 *       phase 2: policy versions, entries by vl_store_append_chain in batches
 *       of VL_SYNC_BATCH, the rest); phase 1 alone is also timed (check_only);
 *   (d) the signature audit that vl_store_bundle_import runs itself after
 *       phase 2, timed apart from (c): the benchmark is linked with
 *       -Wl,--wrap=vl_store_check_sigs (CMakeLists.txt), so every call of the
 *       audit, from the store's import too, goes through a timer here;
 * and prints times, entries/s, the ratio import / chain replay (target >=
 * 0.8), bundle bytes / sum of encoded entry bytes (target <= 1.05), and the
 * peak RSS after each step (VmHWM). It checks that B ends with A's head
 * hash. --smoke: a short run for ctest (no pinning, no targets asserted;
 * the figures are printed). It asserts nothing else: figures only.
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
#include "vl_bundle.h"
#include "vl_crypto.h"
#include "vl_store.h"
#include "vl_testnet.h"

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
s_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status ("VmHWM:", "RssAnon:") in MB; -1 if unknown. */
static double
s_status_mb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0)
            kb = strtod(line + kl, NULL);
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb / 1024.0;
}

/* Memory after a step: the peak resident set (VmHWM: it counts the pages of
 * the LMDB files mapped and touched, up to the size of a store) and the
 * anonymous memory now (RssAnon: the heap, i.e. the entries and the bundle
 * held in memory). */
static void
s_mem(const char *after)
{
    printf("    memory after %s: peak RSS (VmHWM) %.1f MB, RssAnon now %.1f MB\n", after,
           s_status_mb("VmHWM:"), s_status_mb("RssAnon:"));
}

/* The audit's timer: every call of vl_store_check_sigs (the benchmark's and
 * vl_store_bundle_import's) lands here through the linker's --wrap. */
int __real_vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err);
int __wrap_vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err);
static double s_audit_s, s_audit_cpu;
static unsigned s_audit_calls;

int
__wrap_vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err)
{
    double t0 = s_now(), u0 = s_cpu();
    int rc = __real_vl_store_check_sigs(self, max, checked, err);
    s_audit_s += s_now() - t0;
    s_audit_cpu += s_cpu() - u0;
    s_audit_calls++;
    return rc;
}

static int
s_fail(const char *what, int rc, const char *err)
{
    fprintf(stderr, "vl_bundlebench: %s: %s%s%s\n", what, vl_strerror(rc), err && *err ? ": " : "",
            err ? err : "");
    return 1;
}

static void
s_rm_store(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* The whole file in memory (as `valise bundle import` reads it). */
static int
s_slurp(const char *path, uint8_t **out, size_t *len)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &sb) != 0) {
        if (f)
            fclose(f);
        return VL_EIO;
    }
    uint8_t *buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
    size_t n = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)sb.st_size) {
        free(buf);
        return VL_EIO;
    }
    *out = buf;
    *len = n;
    return VL_OK;
}

int
main(int argc, char **argv)
{
    size_t nentries = 100000;
    int smoke = 0;
    char dirbuf[256] = "";
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
            nentries = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--smoke") == 0)
            smoke = 1;
        else {
            fprintf(stderr, "usage: vl_bundlebench [--entries N] [--dir DIR] [--smoke]\n");
            return 2;
        }
    }
    if (vl_crypto_init() != VL_OK || nentries == 0)
        return 1;
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dirbuf, sizeof dirbuf, "%s/vl_bundlebench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        mkdir(tmp && *tmp ? tmp : "/tmp", 0700);
        if (!mkdtemp(dirbuf))
            return s_fail("mkdtemp", VL_EIO, dirbuf);
        dir = dirbuf;
    }
    if (!smoke) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    char adir[300], bdir[300], cdir[300], bpath[300], err[VL_ERRMSG_MAX] = "";
    snprintf(adir, sizeof adir, "%s/a", dir);
    snprintf(bdir, sizeof bdir, "%s/b", dir);
    snprintf(cdir, sizeof cdir, "%s/c", dir);
    snprintf(bpath, sizeof bpath, "%s/all.vlb", dir);

    vl_testnet_t t;
    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    printf("valise bundle benchmark: %zu entries, in %s, %s cpu %d\n", nentries, dir,
           smoke ? "smoke run on" : "pinned to", sched_getcpu());

    uint8_t **entries = NULL;
    size_t *lens = NULL, body_bytes = 0, entry_bytes = 0;
    double t0 = s_now();
    if (vl_bench_make_log(&t, nentries, &entries, &lens, &body_bytes, &entry_bytes) != VL_OK)
        return 1;
    printf("made %zu entries in %.1f s: %.0f B per encoded entry, %zu B in all\n", nentries,
           s_now() - t0, (double)entry_bytes / nentries, entry_bytes);
    s_mem("making the log");

    /* (a) chain replay into A, then A's audit. */
    vl_store_t *a = NULL, *b = NULL;
    int rc;
    if ((rc = vl_store_create(adir, t.genesis, t.genesis_len, t.node, err)) != VL_OK ||
        (rc = vl_store_open(adir, t.node, 0, &a, err)) != VL_OK)
        return s_fail("store A", rc, err);
    t0 = s_now();
    double u0 = s_cpu();
    for (size_t i = 0; i < nentries; i += VL_SYNC_BATCH) {
        size_t n = nentries - i < VL_SYNC_BATCH ? nentries - i : VL_SYNC_BATCH;
        if ((rc = vl_store_append_chain(a, (const uint8_t *const *)&entries[i], &lens[i], n,
                                        err)) != VL_OK)
            return s_fail("append_chain", rc, err);
    }
    double tchain = s_now() - t0, uchain = s_cpu() - u0;
    uint64_t checked = 0;
    t0 = s_now();
    u0 = s_cpu();
    do
        rc = vl_store_check_sigs(a, 4096, &checked, err);
    while (rc == VL_OK && checked < nentries);
    double taudit_a = s_now() - t0, uaudit_a = s_cpu() - u0;
    if (rc != VL_OK)
        return s_fail("audit of A", rc, err);
    printf("(a) chain replay, batches of %u:   %8.2f s = %7.0f entries/s (CPU %.2f s)\n",
           VL_SYNC_BATCH, tchain, nentries / tchain, uchain);
    printf("    its signature audit:          %8.2f s = %7.0f entries/s (CPU %.2f s)\n", taudit_a,
           nentries / taudit_a, uaudit_a);
    s_mem("(a)");
    for (size_t i = 0; i < nentries; i++)
        free(entries[i]);
    free(entries);
    free(lens);

    /* (b) bundle create of everything in A. */
    vl_bundle_sum_t sum;
    memset(&sum, 0, sizeof sum);
    FILE *f = fopen(bpath, "wb");
    if (!f)
        return s_fail(bpath, VL_EIO, strerror(errno));
    t0 = s_now();
    u0 = s_cpu();
    if ((rc = vl_store_bundle_create(a, f, NULL, 0, (uint64_t)time(NULL), &sum, err)) != VL_OK)
        return s_fail("bundle create", rc, err);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        return s_fail(bpath, VL_EIO, strerror(errno));
    double tcreate = s_now() - t0, ucreate = s_cpu() - u0;
    fclose(f);
    struct stat sb;
    if (stat(bpath, &sb) != 0)
        return s_fail(bpath, VL_EIO, strerror(errno));
    vl_head_t ha;
    vl_store_head(a, &ha);
    vl_store_close(&a);
    printf("(b) bundle create, entries %llu..%llu: %8.2f s = %7.0f entries/s (CPU %.2f s; fsync "
           "included)\n",
           (unsigned long long)sum.from, (unsigned long long)sum.to, tcreate, nentries / tcreate,
           ucreate);
    printf("    bundle %lld B / encoded entries %zu B = %.4f (target <= 1.05)\n",
           (long long)sb.st_size, entry_bytes, (double)sb.st_size / (double)entry_bytes);
    s_mem("(b)");

    /* (c) import into a fresh store B: read, parse, phase 1 alone (check_only,
     * on a store C), then the import. */
    uint8_t *buf = NULL;
    size_t blen = 0;
    vl_bundle_t *bd = NULL;
    t0 = s_now();
    u0 = s_cpu();
    if ((rc = s_slurp(bpath, &buf, &blen)) != VL_OK)
        return s_fail("read the bundle", rc, bpath);
    double tread = s_now() - t0, uread = s_cpu() - u0;
    t0 = s_now();
    u0 = s_cpu();
    if ((rc = vl_bundle_parse(buf, blen, &bd, err)) != VL_OK)
        return s_fail("vl_bundle_parse", rc, err);
    double tparse = s_now() - t0, uparse = s_cpu() - u0;

    if ((rc = vl_store_create(cdir, t.genesis, t.genesis_len, t.mg, err)) != VL_OK ||
        (rc = vl_store_open(cdir, t.mg, 0, &b, err)) != VL_OK)
        return s_fail("store C", rc, err);
    memset(&sum, 0, sizeof sum);
    t0 = s_now();
    u0 = s_cpu();
    if ((rc = vl_store_bundle_import(b, bd, (uint64_t)time(NULL), true, &sum, err)) != VL_OK)
        return s_fail("bundle import (phase 1 only)", rc, err);
    double tphase1 = s_now() - t0, uphase1 = s_cpu() - u0;
    vl_store_close(&b);
    s_rm_store(cdir);

    if ((rc = vl_store_create(bdir, t.genesis, t.genesis_len, t.mg, err)) != VL_OK ||
        (rc = vl_store_open(bdir, t.mg, 0, &b, err)) != VL_OK)
        return s_fail("store B", rc, err);
    memset(&sum, 0, sizeof sum);
    s_audit_s = 0;
    s_audit_cpu = 0;
    s_audit_calls = 0;
    t0 = s_now();
    u0 = s_cpu();
    if ((rc = vl_store_bundle_import(b, bd, (uint64_t)time(NULL), false, &sum, err)) != VL_OK)
        return s_fail("bundle import", rc, err);
    double timport = s_now() - t0, uimport = s_cpu() - u0;
    double taudit = s_audit_s, uaudit = s_audit_cpu;
    unsigned naudit = s_audit_calls;
    vl_head_t hb;
    vl_store_head(b, &hb);
    if (hb.seq != nentries || hb.seq != ha.seq || memcmp(hb.hash, ha.hash, VL_HASH_LEN) != 0)
        return s_fail("import", VL_ECORRUPT, "store B does not end with A's head");
    checked = 0;
    vl_store_check_sigs(b, 0, &checked, err);
    printf("(c) import: read the file          %8.2f s (CPU %.2f s)\n", tread, uread);
    printf("    vl_bundle_parse (hash, sig)    %8.2f s (CPU %.2f s)\n", tparse, uparse);
    printf("    phase 1 alone (check_only)     %8.2f s = %7.0f entries/s (CPU %.2f s)\n", tphase1,
           nentries / tphase1, uphase1);
    printf("    vl_store_bundle_import         %8.2f s (CPU %.2f s), entries %llu..%llu, "
           "signatures audited up to %llu\n",
           timport, uimport, (unsigned long long)sum.from, (unsigned long long)sum.to,
           (unsigned long long)checked);
    s_mem("(c)");

    /* (d) The audit inside the import, timed by the --wrap above. */
    double timp_noaudit = timport - taudit;
    printf("(d) its signature audit            %8.2f s = %7.0f entries/s (CPU %.2f s; %u call%s; "
           "A's: %.2f s)\n",
           taudit, nentries / taudit, uaudit, naudit, naudit == 1 ? "" : "s", taudit_a);
    printf("    import without the audit (c-d) %8.2f s = %7.0f entries/s (CPU %.2f s)\n",
           timp_noaudit, nentries / timp_noaudit, uimport - uaudit);
    printf("ratio import / chain replay, wall clock: %.2f (store: phases 1 and 2), %.2f with "
           "reading and parsing the file (target >= 0.8); %.2f with the audit too\n",
           tchain / timp_noaudit, tchain / (timp_noaudit + tread + tparse),
           tchain / (timport + tread + tparse));
    printf("ratio import / chain replay, CPU time:   %.2f (store: phases 1 and 2), %.2f with "
           "reading and parsing the file; %.2f with the audit too\n",
           uchain / (uimport - uaudit), uchain / (uimport - uaudit + uread + uparse),
           uchain / (uimport + uread + uparse));
    s_mem("everything");

    vl_bundle_destroy(&bd);
    free(buf);
    vl_store_close(&b);
    s_rm_store(bdir);
    s_rm_store(adir);
    unlink(bpath);
    vl_testnet_fini(&t);
    if (dirbuf[0])
        rmdir(dirbuf);
    return 0;
}
