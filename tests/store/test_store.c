/* SPDX-License-Identifier: MIT */
/*
 * test_store - the self-test of store/ (vl_selftest --test store): every
 * public function of vl_store.h on real stores in $VL_TEST_TMP (or /tmp),
 * plus stores damaged behind the store's back through raw LMDB, which is
 * why it includes the store's private header (layout and struct vl_store).
 */
#include "vl_store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "vl_check.h"
#include "vl_codec.h"
#include "vl_fields.h"
#include "vl_fresh.h"
#include "vl_limits.h"
#include "vl_root.h"
#include "vl_testnet.h"
#include "vl_selftests.h"
#include "test_store_rest.h"

#define T_NOW 1700000100u

static char s_t_base[512];

static int
s_t_mkdir(char out[600])
{
    const char *base = getenv("VL_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    snprintf(s_t_base, sizeof s_t_base, "%s", base);
    mkdir(s_t_base, 0700); /* VL_TEST_TMP may not exist yet */
    snprintf(out, 600, "%s/vl-store-XXXXXX", s_t_base);
    return mkdtemp(out) ? VL_OK : VL_EIO;
}

static void
s_t_rmdir(const char *dir)
{
    char p[700];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

static uint8_t *
s_t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
            fread(buf, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
    }
    fclose(f);
    if (!*len) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* Copy the (closed) store in src into a new directory dst. */
static int
s_t_copy(const char *src, char dst[600])
{
    char p[700];
    size_t len;
    snprintf(p, sizeof p, "%s/data.mdb", src);
    uint8_t *buf = s_t_read_file(p, &len);
    if (!buf || s_t_mkdir(dst) != VL_OK) {
        free(buf);
        return VL_EIO;
    }
    snprintf(p, sizeof p, "%s/data.mdb", dst);
    FILE *f = fopen(p, "wb");
    int rc = (f && fwrite(buf, 1, len, f) == len) ? VL_OK : VL_EIO;
    if (f && fclose(f) != 0)
        rc = VL_EIO;
    free(buf);
    return rc;
}

/* Raw LMDB access to a closed store, to tamper with it. */
typedef struct {
    MDB_env *env;
    MDB_txn *txn;
} s_raw_t;

static int
s_raw_begin(s_raw_t *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    if (mdb_env_create(&r->env) || mdb_env_set_maxdbs(r->env, S_MAXDBS) ||
        mdb_env_open(r->env, dir, MDB_NOTLS, 0600) || mdb_txn_begin(r->env, NULL, 0, &r->txn))
        return VL_ESTORE;
    return VL_OK;
}

static MDB_dbi
s_raw_db(s_raw_t *r, const char *name)
{
    MDB_dbi dbi = 0;
    if (mdb_dbi_open(r->txn, name, 0, &dbi) != 0)
        fprintf(stderr, "raw: no database %s\n", name);
    return dbi;
}

static int
s_raw_end(s_raw_t *r)
{
    int rc = r->txn ? mdb_txn_commit(r->txn) : 0;
    if (r->env)
        mdb_env_close(r->env);
    return rc ? VL_ESTORE : VL_OK;
}

/* Read a value, flip one byte of it (offset from the end if negative), write it back. */
static int
s_raw_flip(s_raw_t *r, const char *db, const void *key, size_t klen, long at)
{
    MDB_dbi dbi = s_raw_db(r, db);
    MDB_val k = vls_val(key, klen), v;
    if (mdb_get(r->txn, dbi, &k, &v) != 0 || v.mv_size == 0)
        return VL_ENOTFOUND;
    uint8_t *copy = malloc(v.mv_size);
    if (!copy)
        return VL_ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    size_t i = at >= 0 ? (size_t)at : v.mv_size - (size_t)(-at);
    copy[i % v.mv_size] ^= 0x01;
    MDB_val nv = vls_val(copy, v.mv_size);
    int mrc = mdb_put(r->txn, dbi, &k, &nv, 0);
    free(copy);
    return mrc ? VL_ESTORE : VL_OK;
}

/* Realistic record sizes (1-2 KiB): the free comments of a directory entry. */
static const char s_t_filler[] =
    "Requests may be sent in English or French. Urgent requests may be sent in advance by "
    "e-mail or through INTERPOL, followed by the original through diplomatic channels. The "
    "request must state the authority conducting the investigation, the subject matter and "
    "nature of the investigation, a summary of the relevant facts, a description of the "
    "evidence or assistance sought and the purpose for which it is sought, and where "
    "possible the identity and location of any person concerned. Dual criminality is "
    "required for coercive measures. See the national mutual legal assistance act and the "
    "bilateral and regional treaties listed for this State.";

static int
s_t_authority(const char *id, const char *state, const char *phone, const char *funcs,
              const char *langs, uint8_t **body, size_t *len)
{
    char json[4096], err[VL_ERRMSG_MAX] = "";
    snprintf(json, sizeof json,
             "{\"kind\":\"authority\",\"id\":\"%s\",\"state\":\"%s\","
             "\"name\":{\"en\":\"Central authority %s\"},"
             "\"functions\":[%s],\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
             "\"contact\":{\"address\":{\"en\":\"1 Example Street\"},\"phones\":[\"%s\"]},"
             "\"persons\":[{\"name\":\"Officer %s\",\"phones\":[\"%s\"]}],"
             "\"languages\":[%s],\"interpol\":true,\"untoc_16_5\":false,"
             "\"comments\":{\"en\":\"%s\"}}",
             id, state, id, funcs, phone, id, phone, langs, s_t_filler);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: record %s: %s\n", id, err);
    return rc;
}

static int
s_t_agreement(const char *id, const char *a, const char *b, uint8_t **body, size_t *len)
{
    char json[1024], err[VL_ERRMSG_MAX] = "";
    snprintf(json, sizeof json,
             "{\"kind\":\"agreement\",\"id\":\"%s\",\"title\":{\"en\":\"Treaty %s\"},"
             "\"type\":\"bilateral\",\"subjects\":[\"mla\",\"extradition\"],"
             "\"parties\":[\"%s\",\"%s\"],\"status\":\"in_force\"}",
             id, id, a, b);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: agreement %s: %s\n", id, err);
    return rc;
}

/* A proposal of puts (bodies[i], base bases[i]) or, with dels[i], deletes. */
static int
s_t_prop(const vl_testnet_t *tn, const vl_keypair_t *author, size_t n,
         uint8_t *const *bodies, const size_t *lens, const uint64_t *bases, const bool *dels,
         uint8_t **out, size_t *out_len)
{
    vl_op_t *ops = calloc(n, sizeof *ops);
    const uint8_t **b = calloc(n, sizeof *b);
    size_t *l = calloc(n, sizeof *l);
    char err[VL_ERRMSG_MAX] = "";
    int rc = (ops && b && l) ? VL_OK : VL_ENOMEM;
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        vl_record_t *rec = NULL;
        if ((rc = vl_record_parse(bodies[i], lens[i], &rec, err)) == VL_OK)
            rc = vl_op_from_record(&ops[i], rec, bases[i]);
        vl_record_destroy(&rec);
        ops[i].del = dels && dels[i];
        b[i] = ops[i].del ? NULL : bodies[i];
        l[i] = ops[i].del ? 0 : lens[i];
    }
    if (rc == VL_OK)
        rc = vl_proposal_make(tn->pol, author, tn->ckey, T_NOW, ops, b, l, n, out, out_len, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: proposal: %s: %s\n", vl_strerror(rc), err);
    free(ops);
    free(b);
    free(l);
    return rc;
}

static int
s_t_prop1(const vl_testnet_t *tn, const vl_keypair_t *author, uint8_t *body, size_t len,
          uint64_t base, bool del, uint8_t **out, size_t *out_len)
{
    return s_t_prop(tn, author, 1, &body, &len, &base, &del, out, out_len);
}

/* Propose, then approve by both approvers. */
static int
s_t_settle(vl_store_t *st, const vl_testnet_t *tn, const uint8_t *prop, size_t len,
           uint64_t *seq)
{
    uint8_t id[VL_HASH_LEN];
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_store_propose(st, prop, len, id, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, id, tn->a1, T_NOW, NULL, NULL, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, id, tn->a2, T_NOW, seq, NULL, err);
    if (rc != VL_OK)
        fprintf(stderr, "store test: settle: %s: %s\n", vl_strerror(rc), err);
    return rc;
}

/* From-scratch root and a digest of every current (id, rev, body). */
typedef struct {
    vl_root_t acc;
    vl_hash_t h;
    size_t n;
} s_t_scan_t;

static int
s_t_scan_cb(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_t_scan_t *s = ctx;
    size_t len;
    const uint8_t *body = vl_record_body(rec, &len);
    uint8_t leaf[VL_HASH_LEN];
    vl_root_leaf(leaf, vl_record_id(rec), rev, body, len);
    vl_root_insert(&s->acc, leaf);
    vl_hash_lp(&s->h, vl_record_id(rec), strlen(vl_record_id(rec)));
    vl_hash_u64(&s->h, rev);
    vl_hash_lp(&s->h, body, len);
    s->n++;
    return 0;
}

static int
s_t_scan(vl_store_t *st, uint8_t root[VL_HASH_LEN], uint8_t digest[VL_HASH_LEN], size_t *n)
{
    s_t_scan_t s;
    vl_query_t q;
    memset(&q, 0, sizeof q);
    vl_root_clear(&s.acc);
    vl_hash_init(&s.h, "valise/test/scan");
    s.n = 0;
    int rc = vl_store_find(st, &q, s_t_scan_cb, &s);
    vl_root_digest(&s.acc, root);
    vl_hash_final(&s.h, digest);
    if (n)
        *n = s.n;
    return rc;
}

typedef struct {
    char ids[1024][VL_MAX_ID + 1];
    size_t n;
    bool sorted;
} s_t_ids_t;

static int
s_t_ids_cb(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_t_ids_t *c = ctx;
    if (c->n < 1024) {
        if (c->n && strcmp(c->ids[c->n - 1], vl_record_id(rec)) >= 0)
            c->sorted = false;
        snprintf(c->ids[c->n], sizeof c->ids[0], "%s", vl_record_id(rec));
    }
    c->n++;
    return 0;
}

static size_t
s_t_count(vl_store_t *st, const vl_query_t *q, int *rc_out, s_t_ids_t *c)
{
    c->n = 0;
    c->sorted = true;
    *rc_out = vl_store_find(st, q, s_t_ids_cb, c);
    return c->n;
}

/* Log entries collected with vl_store_log_each. */
typedef struct {
    uint8_t **e;
    size_t *len;
    size_t n, cap;
} s_t_log_t;

static int
s_t_log_cb(void *ctx, const vl_entry_t *e)
{
    s_t_log_t *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 64;
        uint8_t **ne = realloc(l->e, ncap * sizeof *ne);
        if (!ne)
            return VL_ENOMEM;
        l->e = ne;
        size_t *nl = realloc(l->len, ncap * sizeof *nl);
        if (!nl)
            return VL_ENOMEM;
        l->len = nl;
        l->cap = ncap;
    }
    size_t len;
    const uint8_t *b = vl_entry_bytes(e, &len);
    if (!(l->e[l->n] = malloc(len)))
        return VL_ENOMEM;
    memcpy(l->e[l->n], b, len);
    l->len[l->n++] = len;
    return 0;
}

static void
s_t_log_free(s_t_log_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i]);
    free(l->e);
    free(l->len);
    memset(l, 0, sizeof *l);
}

/* Verify report collector. */
typedef struct {
    char lines[4096];
    size_t n;
    bool verbose;
} s_t_rep_t;

static void
s_t_report(void *ctx, const char *line)
{
    s_t_rep_t *r = ctx;
    size_t used = strlen(r->lines);
    snprintf(r->lines + used, sizeof r->lines - used, "%s\n", line);
    r->n++;
    if (r->verbose)
        printf("  verify: %s\n", line);
}

/* Open the store in dir, verify, expect problems with a line containing want. */
static bool
s_t_verify_finds(const char *dir, const vl_keypair_t *kp, const char *want, bool verbose)
{
    vl_store_t *st = NULL;
    s_t_rep_t rep;
    size_t problems = 0;
    char err[VL_ERRMSG_MAX] = "";
    memset(&rep, 0, sizeof rep);
    rep.verbose = verbose;
    if (verbose)
        printf("store: verify expecting \"%s\"\n", want);
    if (vl_store_open(dir, kp, VL_STORE_RDONLY, &st, err) != VL_OK) {
        fprintf(stderr, "store test: open %s: %s\n", dir, err);
        return false;
    }
    int rc = vl_store_verify(st, s_t_report, &rep, &problems);
    vl_store_close(&st);
    bool ok = rc == VL_ECORRUPT && problems > 0 && strstr(rep.lines, want) != NULL;
    if (!ok)
        fprintf(stderr, "store test: verify rc %d, %zu problems, want \"%s\" in:\n%s", rc,
                problems, want, rep.lines);
    return ok;
}

static bool
s_t_contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static double
s_t_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
s_t_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int
s_t_rej_cb(void *ctx, const vl_rejection_t *r)
{
    char *reason = ctx;
    snprintf(reason, 128, "%s", vl_rejection_reason(r));
    return 0;
}

typedef struct {
    size_t n, sigs;
} s_t_pend_t;

/* What vl_store_outcomes reported, in order. */
typedef struct {
    size_t n;
    struct {
        uint8_t id[VL_HASH_LEN];
        vl_outcome_state_t state;
        bool known;
        uint8_t author[VL_PK_LEN];
        uint64_t seq;
        size_t nsigs;
    } o[8];
} s_t_out_t;

static int
s_t_out_cb(void *ctx, const vl_outcome_t *o)
{
    s_t_out_t *t = ctx;
    if (t->n == 8)
        return VL_ELIMIT;
    memcpy(t->o[t->n].id, o->id, VL_HASH_LEN);
    t->o[t->n].state = o->state;
    t->o[t->n].known = o->author != NULL;
    if (o->author)
        memcpy(t->o[t->n].author, o->author, VL_PK_LEN);
    t->o[t->n].seq = o->seq;
    t->o[t->n].nsigs = o->nsigs;
    t->n++;
    return VL_OK;
}

static int
s_t_pend_cb(void *ctx, const vl_proposal_t *p, size_t n_approvals)
{
    s_t_pend_t *c = ctx;
    c->n++;
    c->sigs += n_approvals;
    return vl_proposal_record(p, 0) ? 0 : 99; /* bodies are readable */
}

#define T_FREE(p) do { free(p); (p) = NULL; } while (0)

/* ---- federation self-test helpers ------------------------------------------------------ */

/* The parts of an entry document (borrowed from *doc, which the caller destroys). */
typedef struct {
    const uint8_t *hdr, *prop;
    size_t hdr_len, prop_len;
    uint8_t keys[4][VL_PK_LEN], sigs[4][VL_SIG_LEN];
    size_t n;
} s_t_parts_t;

static int
s_t_parts(const uint8_t *e, size_t len, vl_doc_t **doc, s_t_parts_t *p)
{
    memset(p, 0, sizeof *p);
    int rc = vl_doc_parse(e, len, 0, doc, NULL);
    if (rc != VL_OK)
        return rc;
    vl_val_t rt = vl_doc_root(*doc), sl = vl_val_get(rt, "sigs");
    if (vl_val_bin(vl_val_get(rt, "hdr"), &p->hdr, &p->hdr_len) != VL_OK ||
        vl_val_bin(vl_val_get(rt, "prop"), &p->prop, &p->prop_len) != VL_OK ||
        vl_val_len(sl) > 4)
        return VL_EPROTO;
    p->n = vl_val_len(sl);
    for (uint32_t i = 0; i < p->n; i++)
        if (vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "k"), p->keys[i], VL_PK_LEN) ||
            vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "s"), p->sigs[i], VL_SIG_LEN))
            return VL_EPROTO;
    return VL_OK;
}

/* An entry document from parts (signatures written in the order given). */
static int
s_t_build(const s_t_parts_t *p, uint8_t **out, size_t *len)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, p->hdr, p->hdr_len);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, p->prop, p->prop_len);
    vl_wr_cstr(w, "sigs");
    vl_wr_array(w, (uint32_t)p->n);
    for (size_t i = 0; i < p->n; i++) {
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "k");
        vl_wr_bin(w, p->keys[i], VL_PK_LEN);
        vl_wr_cstr(w, "s");
        vl_wr_bin(w, p->sigs[i], VL_SIG_LEN);
    }
    int rc = vl_wr_dup(w, out, len);
    vl_wr_destroy(&w);
    return rc;
}

/* Ways to forge an entry that keep its header (so the chain still links). */
enum { T_SIG, T_AUTHOR, T_NONAPPROVER, T_ONESIG, T_OTHERPROP };

static int
s_t_forge(const vl_testnet_t *tn, const uint8_t *e, size_t len, int how, const uint8_t *other,
          size_t other_len, uint8_t **out, size_t *out_len)
{
    vl_doc_t *d = NULL;
    s_t_parts_t p;
    uint8_t *prop = NULL;
    int rc = s_t_parts(e, len, &d, &p);
    if (rc == VL_OK && p.n != 2)
        rc = VL_EPROTO;
    if (rc != VL_OK)
        goto out;
    switch (how) {
    case T_SIG: /* one approver signature forged */
        p.sigs[1][5] ^= 0x10;
        break;
    case T_AUTHOR: /* the author's signature is the last byte of the proposal */
        if (!(prop = malloc(p.prop_len))) {
            rc = VL_ENOMEM;
            goto out;
        }
        memcpy(prop, p.prop, p.prop_len);
        prop[p.prop_len - 1] ^= 0x01;
        p.prop = prop;
        break;
    case T_NONAPPROVER: { /* an authority's key among the approvers, sorted */
        const uint8_t *a = p.keys[0], *b = vl_keypair_pk(tn->mu);
        uint8_t k0[VL_PK_LEN], k1[VL_PK_LEN];
        if (memcmp(a, b, VL_PK_LEN) > 0) {
            const uint8_t *x = a;
            a = b;
            b = x;
        }
        memcpy(k0, a, VL_PK_LEN);
        memcpy(k1, b, VL_PK_LEN);
        memcpy(p.keys[0], k0, VL_PK_LEN);
        memcpy(p.keys[1], k1, VL_PK_LEN);
        break;
    }
    case T_ONESIG:
        p.n = 1;
        break;
    case T_OTHERPROP: /* the header names another proposal than it carries */
        p.prop = other;
        p.prop_len = other_len;
        break;
    }
    rc = s_t_build(&p, out, out_len);
out:
    free(prop);
    vl_doc_destroy(&d);
    return rc;
}

/* A complete entry signed by both approvers, with any seq, prev, root. */
static int
s_t_entry(const vl_testnet_t *tn, uint64_t seq, const uint8_t *prev, const uint8_t *prop,
          size_t plen, const uint8_t *root, uint8_t **out, size_t *out_len)
{
    uint8_t *c0 = NULL, *c1 = NULL;
    size_t l0 = 0, l1 = 0;
    int rc = vl_entry_make(tn->pol, seq, prev, prop, plen, root, T_NOW, &c0, &l0, NULL);
    if (rc == VL_OK)
        rc = vl_entry_sign(tn->pol, c0, l0, tn->a1, &c1, &l1, NULL);
    if (rc == VL_OK)
        rc = vl_entry_sign(tn->pol, c1, l1, tn->a2, out, out_len, NULL);
    free(c0);
    free(c1);
    return rc;
}

static uint64_t
s_t_sigs(vl_store_t *st)
{
    uint64_t c = UINT64_MAX;
    if (vl_store_check_sigs(st, 0, &c, NULL) != VL_OK)
        return UINT64_MAX;
    return c;
}

static int
s_t_peer_cb(void *ctx, const vl_peer_info_t *p)
{
    vl_peer_info_t *got = ctx;
    size_t i = 0;
    while (i < 3 && got[i].addr[0])
        i++;
    if (i == 3)
        return 99;
    got[i] = *p;
    return 0;
}

/* Put raw bytes under key in a closed store's database. */
static int
s_t_raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val,
            size_t vlen)
{
    s_raw_t r;
    int rc = s_raw_begin(&r, dir);
    if (rc == VL_OK && mdb_put(r.txn, s_raw_db(&r, db), &(MDB_val){ klen, (void *)key },
                               &(MDB_val){ vlen, (void *)val }, 0) != 0)
        rc = VL_ESTORE;
    int erc = s_raw_end(&r);
    return rc != VL_OK ? rc : erc;
}

/* meta "format" of a closed store (0 when unreadable). */
static uint32_t
s_t_format(const char *dir)
{
    s_raw_t r;
    uint32_t fmt = 0;
    MDB_val v;
    if (s_raw_begin(&r, dir) == VL_OK &&
        mdb_get(r.txn, s_raw_db(&r, "meta"), &(MDB_val){ 6, (void *)"format" }, &v) == 0 &&
        v.mv_size == 4)
        fmt = vls_be32_get(v.mv_data);
    s_raw_end(&r);
    return fmt;
}

static int
s_t_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, VL_HASH_LEN);
}

/* vl_store_append_chain, check_sigs, sigs_checked, entry_bytes, the pending
 * digest, rejections from peers and the peers table. a is a store with a
 * log of several entries (read only here). */
static int
s_t_federation(const vl_testnet_t *tn, vl_store_t *a, bool verbose)
{
    VL_TEST_BEGIN;
    char de[600] = "", df[600] = "", dg[600] = "", tdir[600] = "", err[VL_ERRMSG_MAX] = "";
    vl_store_t *se = NULL, *sf = NULL, *sg = NULL, *tst = NULL;
    s_t_log_t L;
    uint8_t *bad = NULL, *ex = NULL, *body = NULL, *pa = NULL, *pb = NULL, *pc = NULL,
            *pd = NULL, *ra = NULL, *rd = NULL, *r0 = NULL, *got = NULL;
    size_t badl = 0, exl = 0, bodyl = 0, pal = 0, pbl = 0, pcl = 0, pdl = 0, ral = 0, rdl = 0,
           r0l = 0, gotl = 0;
    uint8_t h1[VL_HASH_LEN], bogus[VL_HASH_LEN], ida[VL_HASH_LEN], idb[VL_HASH_LEN],
        idc[VL_HASH_LEN], idd[VL_HASH_LEN], pid0[VL_HASH_LEN];
    vl_head_t ha, hf;
    vl_entry_t *e = NULL;
    uint64_t c = 0;
    memset(&L, 0, sizeof L);
    memset(bogus, 0x5a, sizeof bogus);

    VL_CHECK_RC(vl_store_log_each(a, 0, 0, s_t_log_cb, &L), VL_OK);
    VL_CHECK_RC(vl_store_head(a, &ha), VL_OK);
    VL_CHECK(L.n == ha.seq && L.n >= 12);
    if (L.n < 12)
        goto out;
    VL_CHECK_RC(vl_entry_parse(tn->pol, L.e[0], L.len[0], 0, &e, NULL), VL_OK);
    if (!e)
        goto out;
    memcpy(h1, vl_entry_hash(e), VL_HASH_LEN);
    memcpy(pid0, vl_proposal_id(vl_entry_proposal(e)), VL_HASH_LEN);
    vl_entry_destroy(&e);
    const uint8_t *const *LE = (const uint8_t *const *)L.e;

    /* The store that serves (a) has every signature checked, by approve. */
    VL_CHECK(s_t_sigs(a) == ha.seq);

    /* ---- entry_bytes ---------------------------------------------------------------- */
    VL_CHECK_RC(vl_store_entry_bytes(a, 0, &got, &gotl, NULL), VL_ENOTFOUND);
    VL_CHECK(got == NULL && gotl == 0);
    VL_CHECK_RC(vl_store_entry_bytes(a, ha.seq + 1, &got, &gotl, NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_store_entry_bytes(a, 3, &got, &gotl, err), VL_OK);
    VL_CHECK(got && gotl == L.len[2] && memcmp(got, L.e[2], gotl) == 0);
    T_FREE(got);

    /* ---- append_chain: every refusal leaves the store as it was ---------------------- */
    VL_CHECK_RC(s_t_mkdir(df), VL_OK);
    VL_CHECK_RC(vl_store_create(df, tn->genesis, tn->genesis_len, tn->mg, err), VL_OK);
    VL_CHECK_RC(vl_store_open(df, tn->mg, 0, &sf, err), VL_OK);
    if (!sf)
        goto out;
    VL_CHECK(s_t_sigs(sf) == 0);
    {
        /* bodies that do not decrypt with the network's key */
        uint8_t wrong[VL_KEY_LEN], *pw = NULL, *pstale = NULL;
        size_t pwl = 0, pstalel = 0;
        vl_op_t op;
        vl_record_t *rec = NULL;
        memset(wrong, 7, sizeof wrong);
        VL_CHECK_RC(s_t_authority("MU-CH-9", "MU", "+230 555 0909", "\"mla\"", "\"en\"", &body,
                                  &bodyl), VL_OK);
        if (body && vl_record_parse(body, bodyl, &rec, NULL) == VL_OK &&
            vl_op_from_record(&op, rec, 0) == VL_OK) {
            const uint8_t *bs[1] = { body };
            size_t bl[1] = { bodyl };
            VL_CHECK_RC(vl_proposal_make(tn->pol, tn->mu, wrong, T_NOW, &op, bs, bl, 1, &pw,
                                         &pwl, NULL), VL_OK);
        }
        vl_record_destroy(&rec);
        /* a base revision the record does not have */
        VL_CHECK_RC(s_t_prop1(tn, tn->mu, body, bodyl, 4, false, &pstale, &pstalel), VL_OK);
        struct {
            const char *what;
            int how;          /* forge L[1] this way, or -1 */
            const uint8_t *prop; /* else: a new entry 2 carrying this proposal */
            size_t plen;
            const uint8_t *prev, *root;
            bool last;        /* the forged entry is the last of its batch */
            int want;
            const char *msg;
        } cases[] = {
            { "forged approver signature, last", T_SIG, NULL, 0, NULL, NULL, true, VL_EAUTH,
              "bad signature by approver" },
            { "forged author signature, last", T_AUTHOR, NULL, 0, NULL, NULL, true, VL_EAUTH,
              "proposal: bad signature" },
            { "non-approver signer", T_NONAPPROVER, NULL, 0, NULL, NULL, false, VL_EPERM,
              "not an approver" },
            { "one signature", T_ONESIG, NULL, 0, NULL, NULL, false, VL_ETHRESHOLD,
              "threshold" },
            { "another proposal than named", T_OTHERPROP, NULL, 0, NULL, NULL, false, VL_EPROTO,
              "names another proposal" },
            { "broken chain", -1, L.e[1], 0, bogus, NULL, false, VL_ECHAIN, "prev is not" },
            { "wrong root", -1, L.e[1], 0, h1, bogus, false, VL_ECORRUPT, "state root" },
            { "bodies under another key", -1, pw, pwl, h1, bogus, false, VL_EAUTH,
              "do not decrypt" },
            { "stale base", -1, pstale, pstalel, h1, bogus, false, VL_ESTALE, "needs rebase" },
            { "replay of entry 1's proposal", -1, NULL, 0, h1, bogus, false, VL_EEXIST,
              "already settled" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            int frc;
            if (cases[i].how >= 0) {
                vl_entry_t *e2 = NULL;
                const uint8_t *other = NULL;
                size_t otherl = 0;
                /* T_OTHERPROP carries entry 3's proposal */
                if (vl_entry_parse(tn->pol, L.e[2], L.len[2], 0, &e2, NULL) == VL_OK)
                    other = vl_proposal_bytes(vl_entry_proposal(e2), &otherl);
                frc = s_t_forge(tn, L.e[1], L.len[1], cases[i].how, other, otherl, &bad, &badl);
                vl_entry_destroy(&e2);
            } else {
                const uint8_t *prop = cases[i].prop;
                size_t plen = cases[i].plen;
                vl_entry_t *e2 = NULL;
                if (prop == L.e[1] || !prop) {
                    /* entry 2's own proposal (or entry 1's: a replay) */
                    if (vl_entry_parse(tn->pol, prop ? L.e[1] : L.e[0],
                                       prop ? L.len[1] : L.len[0], 0, &e2, NULL) == VL_OK)
                        prop = vl_proposal_bytes(vl_entry_proposal(e2), &plen);
                }
                uint8_t root[VL_HASH_LEN];
                vl_entry_t *e1 = NULL;
                if (!cases[i].root &&
                    vl_entry_parse(tn->pol, L.e[1], L.len[1], 0, &e1, NULL) == VL_OK)
                    memcpy(root, vl_entry_root(e1), VL_HASH_LEN);
                else
                    memcpy(root, cases[i].root ? cases[i].root : bogus, VL_HASH_LEN);
                vl_entry_destroy(&e1);
                frc = prop ? s_t_entry(tn, 2, cases[i].prev, prop, plen, root, &bad, &badl)
                           : VL_ENOMEM;
                vl_entry_destroy(&e2);
            }
            VL_CHECK_RC(frc, VL_OK);
            if (frc != VL_OK)
                continue;
            const uint8_t *batch[3] = { L.e[0], bad, L.e[2] };
            size_t lens[3] = { L.len[0], badl, L.len[2] };
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_chain(sf, batch, lens, cases[i].last ? 2 : 3, err),
                        cases[i].want);
            if (verbose)
                printf("store: chain refuses %s: %s\n", cases[i].what, err);
            VL_CHECK(strstr(err, cases[i].msg) != NULL);
            VL_CHECK(strstr(err, "batch item 1 (entry 2): ") == err);
            VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
            VL_CHECK(hf.seq == 0 && hf.records == 0);
            /* The same refusal from a batch long enough to be decoded ahead
             * on the worker (docs/store.md §3.1.2): the same code and the
             * very same message, nothing written. */
            char inl[VL_ERRMSG_MAX];
            memcpy(inl, err, sizeof inl);
            if (!cases[i].last) {
                const uint8_t *lb[10];
                size_t ll[10];
                for (size_t j = 0; j < 10; j++) {
                    lb[j] = j == 1 ? bad : L.e[j];
                    ll[j] = j == 1 ? badl : L.len[j];
                }
                err[0] = '\0';
                VL_CHECK_RC(vl_store_append_chain(sf, lb, ll, 10, err), cases[i].want);
                VL_CHECK(strcmp(err, inl) == 0);
            } else {
                /* the forged entry last of 9: its signatures are checked on the worker */
                uint8_t *b9 = NULL;
                size_t b9l = 0;
                VL_CHECK_RC(s_t_forge(tn, L.e[8], L.len[8], cases[i].how, NULL, 0, &b9, &b9l),
                            VL_OK);
                const uint8_t *lb[9];
                size_t ll[9];
                for (size_t j = 0; j < 9; j++) {
                    lb[j] = j == 8 ? b9 : L.e[j];
                    ll[j] = j == 8 ? b9l : L.len[j];
                }
                err[0] = '\0';
                if (b9)
                    VL_CHECK_RC(vl_store_append_chain(sf, lb, ll, 9, err), cases[i].want);
                if (verbose)
                    printf("store: a batch of 9 decoded ahead refuses %s: %s\n", cases[i].what,
                           err);
                VL_CHECK(strstr(err, "batch item 8 (entry 9): ") == err &&
                         strstr(err, cases[i].msg) != NULL);
                free(b9);
            }
            VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
            VL_CHECK(hf.seq == 0 && hf.records == 0);
            T_FREE(bad);
        }
        free(pw);
        free(pstale);
        T_FREE(body);
    }

    /* ---- forged signatures in the middle of a batch are refused: the next
     * entry's prev is the link of the whole previous entry, signatures
     * included (docs/protocol.md §4), so the chain breaks at the forgery ---- */
    {
        vl_store_t **sts[2] = { &se, &sg };
        char *paths[2] = { de, dg };
        const int how[2] = { T_SIG, T_AUTHOR };
        for (int k = 0; k < 2; k++) {
            VL_CHECK_RC(s_t_mkdir(paths[k]), VL_OK);
            VL_CHECK_RC(vl_store_create(paths[k], tn->genesis, tn->genesis_len, tn->node, err),
                        VL_OK);
            VL_CHECK_RC(vl_store_open(paths[k], tn->node, 0, sts[k], err), VL_OK);
            if (!*sts[k])
                continue;
            VL_CHECK_RC(s_t_forge(tn, L.e[1], L.len[1], how[k], NULL, 0, &bad, &badl), VL_OK);
            const uint8_t *batch[4] = { L.e[0], bad, L.e[2], L.e[3] };
            size_t lens[4] = { L.len[0], badl, L.len[2], L.len[3] };
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_chain(*sts[k], batch, lens, 4, err), VL_ECHAIN);
            if (verbose)
                printf("store: chain refuses a forged signature mid-batch: %s\n", err);
            vl_head_t hk;
            VL_CHECK_RC(vl_store_head(*sts[k], &hk), VL_OK);
            VL_CHECK(hk.seq == 0 && hk.records == 0);
            VL_CHECK(s_t_sigs(*sts[k]) == 0);
            T_FREE(bad);
            vl_store_close(sts[k]);
        }
    }

    /* ---- a batch decoded ahead applies as one that is not: the same head ---------------- */
    {
        char dp[600] = "";
        vl_store_t *sp = NULL;
        vl_head_t hp;
        VL_CHECK_RC(s_t_mkdir(dp), VL_OK);
        VL_CHECK_RC(vl_store_create(dp, tn->genesis, tn->genesis_len, tn->node, err), VL_OK);
        VL_CHECK_RC(vl_store_open(dp, tn->node, 0, &sp, err), VL_OK);
        if (sp) {
            VL_CHECK_RC(vl_store_append_chain(sp, LE, L.len, L.n, err), VL_OK);
            VL_CHECK_RC(vl_store_head(sp, &hp), VL_OK);
            VL_CHECK(hp.seq == ha.seq && hp.records == ha.records &&
                     memcmp(hp.hash, ha.hash, VL_HASH_LEN) == 0 &&
                     memcmp(hp.root, ha.root, VL_HASH_LEN) == 0);
            VL_CHECK(s_t_sigs(sp) == 0); /* the last entry's signatures only: no watermark */
            VL_CHECK_RC(vl_store_check_sigs(sp, SIZE_MAX, &c, err), VL_OK);
            VL_CHECK(c == L.n);
        }
        vl_store_close(&sp);
        if (dp[0])
            s_t_rmdir(dp);
    }

    /* ---- the good path, and how sigs_checked moves --------------------------------------- */
    VL_CHECK_RC(vl_store_append_chain(sf, LE, L.len, 5, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 0);                        /* 1..4 not checked */
    VL_CHECK_RC(vl_store_append(sf, L.e[5], L.len[5], err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 0);                        /* a gap stays a gap */
    VL_CHECK_RC(vl_store_check_sigs(sf, 2, &c, err), VL_OK);
    VL_CHECK(c == 2 && s_t_sigs(sf) == 2);
    VL_CHECK_RC(vl_store_check_sigs(sf, 100, &c, err), VL_OK);
    VL_CHECK(c == 6 && s_t_sigs(sf) == 6);
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 6, L.len + 6, 1, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 7);                        /* one entry: the last, verified */
    VL_CHECK_RC(vl_store_append_batch(sf, LE + 7, L.len + 7, 2, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 9);                        /* full verification, contiguous */
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 9, L.len + 9, L.n - 9, err), VL_OK);
    VL_CHECK(s_t_sigs(sf) == 9);
    VL_CHECK_RC(vl_store_check_sigs(sf, 1, &c, err), VL_OK);
    VL_CHECK(c == 10);
    VL_CHECK_RC(vl_store_check_sigs(sf, SIZE_MAX, &c, err), VL_OK);
    VL_CHECK(c == L.n && s_t_sigs(sf) == L.n);
    VL_CHECK_RC(vl_store_check_sigs(sf, 5, &c, err), VL_OK);
    VL_CHECK(c == L.n);
    VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
    VL_CHECK(hf.seq == ha.seq && memcmp(hf.hash, ha.hash, VL_HASH_LEN) == 0 &&
             memcmp(hf.root, ha.root, VL_HASH_LEN) == 0 && hf.records == ha.records);
    VL_CHECK_RC(vl_store_append_chain(sf, LE, L.len, 0, err), VL_OK); /* empty batch */
    VL_CHECK_RC(vl_store_append_chain(sf, LE + 2, L.len + 2, 2, err), VL_ECHAIN);

    /* ---- the pending digest ------------------------------------------------------------ */
    {
        uint8_t(*ids)[VL_HASH_LEN] = NULL;
        size_t n = 7;
        uint8_t dg0[VL_HASH_LEN], want[VL_HASH_LEN];
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, dg0), VL_OK);
        vl_hash(want, "valise/pending/1", "", 0);
        VL_CHECK(n == 0 && ids == NULL && memcmp(dg0, want, VL_HASH_LEN) == 0);
        static const char *const sts_[4] = { "MU", "MG", "MU", "MG" };
        uint8_t **props[4] = { &pa, &pb, &pc, &pd };
        size_t *plens[4] = { &pal, &pbl, &pcl, &pdl };
        uint8_t *idp[4] = { ida, idb, idc, idd };
        for (int i = 0; i < 4; i++) {
            char id[16];
            snprintf(id, sizeof id, "%s-FED-%d", sts_[i], i);
            VL_CHECK_RC(s_t_authority(id, sts_[i], "+1 555 0100", "\"mla\"", "\"en\"", &body,
                                      &bodyl), VL_OK);
            VL_CHECK_RC(s_t_prop1(tn, i % 2 ? tn->mg : tn->mu, body, bodyl, 0, false, props[i],
                                  plens[i]), VL_OK);
            T_FREE(body);
            if (i < 3) /* pd is never proposed here */
                VL_CHECK_RC(vl_store_propose(sf, *props[i], *plens[i], idp[i], err), VL_OK);
            else if (*props[i]) {
                vl_proposal_t *p = NULL;
                VL_CHECK_RC(vl_proposal_parse(tn->pol, pd, pdl, &p, NULL), VL_OK);
                if (p)
                    memcpy(idd, vl_proposal_id(p), VL_HASH_LEN);
                vl_proposal_destroy(&p);
            }
        }
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, dg0), VL_OK);
        VL_CHECK(n == 3 && ids != NULL);
        if (ids && n == 3) {
            uint8_t sorted[3][VL_HASH_LEN];
            memcpy(sorted[0], ida, VL_HASH_LEN);
            memcpy(sorted[1], idb, VL_HASH_LEN);
            memcpy(sorted[2], idc, VL_HASH_LEN);
            qsort(sorted, 3, VL_HASH_LEN, s_t_id_cmp);
            VL_CHECK(memcmp(ids, sorted, sizeof sorted) == 0);
            vl_hash(want, "valise/pending/1", sorted, sizeof sorted);
            VL_CHECK(memcmp(dg0, want, VL_HASH_LEN) == 0);
        }
        free(ids);
        ids = NULL;
        VL_CHECK_RC(vl_store_pending_ids(sf, &ids, &n, NULL), VL_OK); /* digest optional */
        free(ids);
    }
    VL_CHECK_RC(vl_store_pending_bytes(sf, idc, &got, &gotl), VL_OK);
    VL_CHECK(got && gotl == pcl && memcmp(got, pc, pcl) == 0);
    T_FREE(got);
    VL_CHECK_RC(vl_store_pending_bytes(sf, idd, &got, &gotl), VL_ENOTFOUND);
    VL_CHECK(got == NULL);

    /* ---- rejections from peers ----------------------------------------------------------- */
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a1, ida, "out of scope", T_NOW, &ra, &ral, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a2, idd, "duplicate", T_NOW, &rd, &rdl, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_make(tn->pol, tn->a2, pid0, "too late", T_NOW, &r0, &r0l, NULL),
                VL_OK);
    if (ra && rd && r0) {
        /* a forged one first */
        ra[ral - 1] ^= 1;
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, NULL), VL_EAUTH);
        ra[ral - 1] ^= 1;
        VL_CHECK_RC(vl_store_rejection_bytes(sf, ida, &got, &gotl), VL_ENOTFOUND);
        /* pending here, with a candidate (one approval): both go */
        VL_CHECK_RC(vl_store_approve(sf, ida, tn->a2, T_NOW, &c, NULL, err), VL_OK);
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, err), VL_OK);
        VL_CHECK_RC(vl_store_pending_bytes(sf, ida, &got, &gotl), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_accept_rejection(sf, ra, ral, err), VL_EEXIST);
        VL_CHECK_RC(vl_store_rejection_bytes(sf, ida, &got, &gotl), VL_OK);
        VL_CHECK(got && gotl == ral && memcmp(got, ra, ral) == 0);
        T_FREE(got);
        VL_CHECK_RC(vl_store_propose(sf, pa, pal, NULL, NULL), VL_EEXIST);
        {
            /* Larger than any pending proposal may be (it could not be a
             * row of a run): refused on its size, before it is parsed; one
             * byte less is parsed (and refused as the garbage it is). */
            uint8_t *big = calloc(1, VL_MAX_PROPOSAL + 1);
            VL_CHECK(big != NULL);
            memcpy(big, pa, pal);
            err[0] = '\0';
            VL_CHECK_RC(vl_store_propose(sf, big, VL_MAX_PROPOSAL + 1, NULL, err), VL_ELIMIT);
            VL_CHECK(strstr(err, "the largest a store takes as pending") != NULL);
            err[0] = '\0';
            VL_CHECK(vl_store_propose(sf, big, VL_MAX_PROPOSAL, NULL, err) != VL_OK);
            VL_CHECK(strstr(err, "the largest a store takes as pending") == NULL);
            free(big);
        }
        /* not pending here yet: recorded, and the proposal is refused when it comes */
        VL_CHECK_RC(vl_store_accept_rejection(sf, rd, rdl, err), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(vl_store_propose(sf, pd, pdl, NULL, err), VL_EEXIST);
        VL_CHECK(strstr(err, "rejected") != NULL);
        /* settled by an entry: the log wins, nothing recorded */
        VL_CHECK_RC(vl_store_accept_rejection(sf, r0, r0l, err), VL_OK);
        VL_CHECK_RC(vl_store_rejection_bytes(sf, pid0, &got, &gotl), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_head(sf, &hf), VL_OK);
        VL_CHECK(hf.pending == 2 && hf.seq == ha.seq);

        /* Outcomes: a rejection names its proposal's author when the proposal
         * was pending here (ida, by mu), not when it never was (idd, by mg). */
        s_t_out_t to;
        const unsigned rej = VL_OUTCOME_BIT(VL_OUTCOME_REJECTED);
        memset(&to, 0, sizeof to);
        VL_CHECK_RC(vl_store_outcomes(sf, NULL, rej, 0, s_t_out_cb, &to), VL_OK);
        VL_CHECK(to.n == 2);
        for (size_t i = 0; i < to.n; i++) {
            VL_CHECK(to.o[i].state == VL_OUTCOME_REJECTED);
            if (memcmp(to.o[i].id, ida, VL_HASH_LEN) == 0)
                VL_CHECK(to.o[i].known &&
                         memcmp(to.o[i].author, vl_keypair_pk(tn->mu), VL_PK_LEN) == 0);
            else
                VL_CHECK(memcmp(to.o[i].id, idd, VL_HASH_LEN) == 0 && !to.o[i].known);
        }
        /* By author: mu's rejected ida and pending idc; mg's pending idb only. */
        memset(&to, 0, sizeof to);
        VL_CHECK_RC(vl_store_outcomes(sf, vl_keypair_pk(tn->mu),
                                      rej | VL_OUTCOME_BIT(VL_OUTCOME_PENDING), 0, s_t_out_cb,
                                      &to), VL_OK);
        VL_CHECK(to.n == 2);
        VL_CHECK((to.o[0].state == VL_OUTCOME_REJECTED) != (to.o[1].state == VL_OUTCOME_REJECTED));
        for (size_t i = 0; i < to.n; i++)
            VL_CHECK(memcmp(to.o[i].id, to.o[i].state == VL_OUTCOME_REJECTED ? ida : idc,
                            VL_HASH_LEN) == 0);
        memset(&to, 0, sizeof to);
        VL_CHECK_RC(vl_store_outcomes(sf, vl_keypair_pk(tn->mg), VL_OUTCOME_ALL & ~VL_OUTCOME_BIT(VL_OUTCOME_APPLIED), 0,
                                      s_t_out_cb, &to), VL_OK);
        VL_CHECK(to.n == 1 && memcmp(to.o[0].id, idb, VL_HASH_LEN) == 0 &&
                 to.o[0].state == VL_OUTCOME_PENDING);
        /* One by id prefix: settled by a rejection, by an entry, or unknown. */
        char hx[2 * VL_HASH_LEN + 1];
        memset(&to, 0, sizeof to);
        vl_hex(idd, VL_HASH_LEN, hx);
        hx[10] = '\0';
        VL_CHECK_RC(vl_store_outcome_get(sf, hx, s_t_out_cb, &to, err), VL_OK);
        VL_CHECK(to.n == 1 && to.o[0].state == VL_OUTCOME_REJECTED && !to.o[0].known);
        vl_hex(pid0, VL_HASH_LEN, hx);
        VL_CHECK_RC(vl_store_outcome_get(sf, hx, s_t_out_cb, &to, err), VL_OK);
        VL_CHECK(to.n == 2 && to.o[1].state == VL_OUTCOME_APPLIED && to.o[1].seq == 1 &&
                 to.o[1].nsigs == vl_policy_threshold(tn->pol));
        VL_CHECK_RC(vl_store_outcome_get(sf, "5a5a5a5a", s_t_out_cb, &to, NULL), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_outcome_get(sf, "5a5", s_t_out_cb, &to, NULL), VL_EINVAL);
        VL_CHECK(to.n == 2);
        /* --limit on the log: the newest applied entry only. */
        memset(&to, 0, sizeof to);
        VL_CHECK_RC(vl_store_outcomes(sf, NULL, VL_OUTCOME_BIT(VL_OUTCOME_APPLIED), 1, s_t_out_cb,
                                      &to), VL_OK);
        VL_CHECK(to.n == 1 && to.o[0].seq == hf.seq);
        /* The settled values with an author verify clean. */
        size_t problems = 99;
        VL_CHECK_RC(vl_store_verify(sf, NULL, NULL, &problems), VL_OK);
        VL_CHECK(problems == 0);
    }

    /* ---- peers ------------------------------------------------------------------------------ */
    {
        vl_peer_info_t p1, p2, pgot[3];
        memset(&p1, 0, sizeof p1);
        memset(&p2, 0, sizeof p2);
        memcpy(p1.pk, vl_keypair_pk(tn->node), VL_PK_LEN);
        strcpy(p1.addr, "tcp://127.0.0.1:7102");
        strcpy(p1.state, "pulling");
        p1.last_contact = 1700000123;
        p1.their_seq = UINT64_MAX;
        p1.received = 17;
        p1.sent = 4;
        p1.dropped = 1;
        p1.their_pending = 2;
        strcpy(p1.last_error, "entry 7: bad signature by approver 9877ab013bb1430c");
        strcpy(p2.addr, "tcp://127.0.0.1:7101");
        strcpy(p2.state, "refused");
        VL_CHECK_RC(vl_store_peer_put(sf, &p1, err), VL_OK);
        VL_CHECK_RC(vl_store_peer_put(sf, &p2, err), VL_OK);
        strcpy(p2.state, "connecting");
        VL_CHECK_RC(vl_store_peer_put(sf, &p2, err), VL_OK); /* replaces */
        memset(pgot, 0, sizeof pgot);
        VL_CHECK_RC(vl_store_peers_each(sf, s_t_peer_cb, pgot), VL_OK);
        VL_CHECK(strcmp(pgot[0].addr, p2.addr) == 0 && strcmp(pgot[1].addr, p1.addr) == 0 &&
                 pgot[2].addr[0] == '\0');
        VL_CHECK(memcmp(&pgot[0], &p2, sizeof p2) == 0 && memcmp(&pgot[1], &p1, sizeof p1) == 0);
        /* caller mistakes */
        vl_peer_info_t q = p2;
        q.addr[0] = '\0';
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        memset(q.addr, 'a', sizeof q.addr); /* no NUL */
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        strcpy(q.state, "bad\x1b[2J");
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        strcpy(q.last_error, "not utf-8 \xff\xfe");
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
        q = p2;
        q.state[0] = '\0';
        VL_CHECK_RC(vl_store_peer_put(sf, &q, NULL), VL_EINVAL);
    }

    /* ---- the synced replica verifies ------------------------------------------------------ */
    {
        size_t problems = 1;
        s_t_rep_t rep;
        memset(&rep, 0, sizeof rep);
        rep.verbose = verbose;
        VL_CHECK_RC(vl_store_verify(sf, s_t_report, &rep, &problems), VL_OK);
        VL_CHECK(problems == 0);
    }
    vl_store_close(&sf);

    /* ---- hostile store bytes -------------------------------------------------------------- */
    {
        uint8_t key8[8], fake[VL_HASH_LEN];
        memset(fake, 0xee, sizeof fake);
        vl_wr_t *w = vl_wr_new();
        struct {
            const char *what, *db;
            int kind;          /* 0 flip, 1 put raw */
            const void *key;
            size_t klen;
            const void *val;
            size_t vlen;
            const char *verify;
        } cases[] = {
            { "empty log value", "log", 1, key8, 8, "", 0, "entry 3" },
            { "pending proposal altered", "pending", 0, idc, VL_HASH_LEN, NULL, 0,
              "pending: proposal" },
            { "rejection altered", "rejections", 0, ida, VL_HASH_LEN, NULL, 0, "rejections:" },
            { "pending key not an id", "pending", 1, "short", 5, "x", 1, "pending: a key" },
            { "peer value garbage", "peers", 1, "tcp://x", 7, "\x81\xa1x\x01", 4, "peers: " },
            { "peer value of another addr", "peers", 1, "tcp://x", 7, NULL, 0,
              "names another address" },
            { "peer value with an extra field", "peers", 1, "tcp://y", 7, NULL, 0,
              "malformed" },
            { "sigs_checked past the head", "meta", 1, "sigs_checked", 12, NULL, 8,
              "sigs_checked" },
            { "sigs_checked removed", "meta", 2, "sigs_checked", 12, NULL, 0, NULL },
            { "entry 3 signed but not linked", "log", 1, key8, 8, NULL, 0,
              "entry 3: broken chain" },
        };
        vls_be64_put(key8, 3);
        for (size_t i = 0; w && i < sizeof cases / sizeof cases[0]; i++) {
            s_raw_t r;
            int trc = s_t_copy(df, tdir);
            VL_CHECK_RC(trc, VL_OK);
            if (trc != VL_OK)
                continue;
            const void *val = cases[i].val;
            size_t vlen = cases[i].vlen;
            uint8_t sc8[8];
            vl_wr_reset(w);
            if (i == 5 || i == 6) {
                /* a well-formed record, stored under another key / with one field more */
                vl_wr_map(w, i == 5 ? 10 : 11);
                vl_wr_cstr(w, "addr");
                vl_wr_cstr(w, "tcp://z");
                vl_wr_cstr(w, "dropped");
                vl_wr_uint(w, 0);
                if (i == 6) {
                    vl_wr_cstr(w, "extra");
                    vl_wr_uint(w, 0);
                }
                vl_wr_cstr(w, "last_contact");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "last_error");
                vl_wr_cstr(w, "");
                vl_wr_cstr(w, "pk");
                vl_wr_bin(w, fake, VL_PK_LEN);
                vl_wr_cstr(w, "received");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "sent");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "state");
                vl_wr_cstr(w, "idle");
                vl_wr_cstr(w, "their_pending");
                vl_wr_uint(w, 0);
                vl_wr_cstr(w, "their_seq");
                vl_wr_uint(w, 0);
                val = vl_wr_data(w);
                vlen = vl_wr_len(w);
            } else if (i == 7) {
                vls_be64_put(sc8, L.n + 1);
                val = sc8;
            } else if (i == 9) {
                /* entry 3 re-signed with another prev; the audit is back at 2 */
                vl_entry_t *e3 = NULL;
                size_t pl = 0;
                T_FREE(bad);
                if (vl_entry_parse(tn->pol, L.e[2], L.len[2], 0, &e3, NULL) == VL_OK) {
                    const uint8_t *pb3 = vl_proposal_bytes(vl_entry_proposal(e3), &pl);
                    VL_CHECK_RC(s_t_entry(tn, 3, bogus, pb3, pl, vl_entry_root(e3), &bad, &badl),
                                VL_OK);
                }
                vl_entry_destroy(&e3);
                vls_be64_put(sc8, 2);
                VL_CHECK_RC(s_t_raw_put(tdir, "meta", "sigs_checked", 12, sc8, 8), VL_OK);
                val = bad;
                vlen = badl;
            }
            if (cases[i].kind == 0) {
                VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
                trc = s_raw_flip(&r, cases[i].db, cases[i].key, cases[i].klen, -20);
                VL_CHECK_RC(s_raw_end(&r), VL_OK);
            } else if (cases[i].kind == 1) {
                trc = s_t_raw_put(tdir, cases[i].db, cases[i].key, cases[i].klen, val, vlen);
            } else {
                VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
                trc = mdb_del(r.txn, s_raw_db(&r, cases[i].db),
                              &(MDB_val){ cases[i].klen, (void *)cases[i].key }, NULL)
                          ? VL_ESTORE : VL_OK;
                VL_CHECK_RC(s_raw_end(&r), VL_OK);
            }
            VL_CHECK_RC(trc, VL_OK);
            if (verbose)
                printf("store: hostile %s\n", cases[i].what);
            VL_CHECK_RC(vl_store_open(tdir, tn->mg, 0, &tst, err), VL_OK);
            if (tst) {
                uint8_t(*ids)[VL_HASH_LEN] = NULL;
                size_t n = 0;
                vl_peer_info_t pgot[3];
                memset(pgot, 0, sizeof pgot);
                switch (i) {
                case 0:
                    VL_CHECK_RC(vl_store_entry_bytes(tst, 3, &got, &gotl, err), VL_ECORRUPT);
                    VL_CHECK(got == NULL);
                    break;
                case 1:
                    VL_CHECK_RC(vl_store_pending_bytes(tst, idc, &got, &gotl), VL_ECORRUPT);
                    VL_CHECK(got == NULL);
                    break;
                case 2:
                    VL_CHECK_RC(vl_store_rejection_bytes(tst, ida, &got, &gotl), VL_ECORRUPT);
                    break;
                case 3:
                    VL_CHECK_RC(vl_store_pending_ids(tst, &ids, &n, NULL), VL_ECORRUPT);
                    VL_CHECK(ids == NULL && n == 0);
                    break;
                case 4:
                case 5:
                case 6:
                    VL_CHECK_RC(vl_store_peers_each(tst, s_t_peer_cb, pgot), VL_ECORRUPT);
                    break;
                case 7:
                    VL_CHECK_RC(vl_store_check_sigs(tst, 0, &c, err), VL_ECORRUPT);
                    VL_CHECK_RC(vl_store_append(tst, L.e[0], L.len[0], err), VL_ECORRUPT);
                    break;
                case 8: /* an older store: every entry counts as checked */
                    VL_CHECK(s_t_sigs(tst) == L.n);
                    break;
                case 9: /* the audit checks the links too */
                    err[0] = '\0';
                    VL_CHECK_RC(vl_store_check_sigs(tst, 10, &c, err), VL_ECORRUPT);
                    VL_CHECK(c == 2 && strstr(err, "entry 3: broken chain") == err);
                    break;
                }
                T_FREE(got);
                free(ids);
                vl_store_close(&tst);
            }
            if (cases[i].verify)
                VL_CHECK(s_t_verify_finds(tdir, tn->mg, cases[i].verify, verbose));
            s_t_rmdir(tdir);
        }
        vl_wr_destroy(&w);
    }

    /* ---- a read-only store refuses writes ---------------------------------------------- */
    VL_CHECK_RC(vl_store_open(df, tn->mg, VL_STORE_RDONLY, &tst, err), VL_OK);
    if (tst) {
        vl_peer_info_t q;
        memset(&q, 0, sizeof q);
        strcpy(q.addr, "tcp://a");
        strcpy(q.state, "idle");
        VL_CHECK_RC(vl_store_peer_put(tst, &q, NULL), VL_EINVAL);
        VL_CHECK_RC(vl_store_accept_rejection(tst, rd, rdl, NULL), VL_EINVAL);
        VL_CHECK(s_t_sigs(tst) == L.n);
        vl_store_close(&tst);
    }
out:
    vl_entry_destroy(&e);
    vl_store_close(&se);
    vl_store_close(&sf);
    vl_store_close(&sg);
    vl_store_close(&tst);
    s_t_log_free(&L);
    for (char *d = de; d; d = d == de ? df : d == df ? dg : NULL)
        if (*d)
            s_t_rmdir(d);
    free(bad);
    free(ex);
    free(body);
    free(pa);
    free(pb);
    free(pc);
    free(pd);
    free(ra);
    free(rd);
    free(r0);
    free(got);
    (void)exl;
    return VL_TEST_END;
}


/* ---- policy versions, epochs, freshness, equivocation -------------------------- */

/* Make a one-op proposal of a new authority record under pol with ckey. */
static int
s_t_prop_pol(const vl_policy_t *pol, const vl_keypair_t *author, const uint8_t ckey[VL_KEY_LEN],
             const char *id, const char *state, uint8_t **out, size_t *out_len)
{
    uint8_t *body = NULL;
    size_t blen = 0;
    vl_op_t op;
    char err[VL_ERRMSG_MAX] = "";
    vl_record_t *rec = NULL;
    int rc = s_t_authority(id, state, "+230 555 0199", "\"mla\"", "\"en\"", &body, &blen);
    if (rc == VL_OK && (rc = vl_record_parse(body, blen, &rec, err)) == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    if (rc == VL_OK) {
        const uint8_t *b[1] = { body };
        size_t l[1] = { blen };
        rc = vl_proposal_make(pol, author, ckey, T_NOW, &op, b, l, 1, out, out_len, err);
    }
    if (rc != VL_OK)
        fprintf(stderr, "store test: proposal: %s: %s\n", vl_strerror(rc), err);
    vl_record_destroy(&rec);
    free(body);
    return rc;
}

static int
s_t_fresh(const vl_policy_t *pol, const vl_keypair_t *kp, uint64_t seq,
          const uint8_t head[VL_HASH_LEN], uint64_t issued, uint64_t ttl, uint8_t **out,
          size_t *len)
{
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(kp), VL_PK_LEN);
    f.policy = vl_policy_version(pol);
    f.seq = seq;
    memcpy(f.head, head, VL_HASH_LEN);
    f.issued = issued;
    f.expires = issued + ttl;
    return vl_fresh_make(&f, kp, out, len, NULL);
}

typedef struct {
    size_t n;
    uint64_t seq;
} s_t_ev_t;

static int
s_t_ev_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    s_t_ev_t *c = ctx;
    c->n++;
    c->seq = seq;
    return (alen && blen && a && b) ? 0 : 1;
}

static int
s_t_entry_cb(void *ctx, const vl_entry_t *e)
{
    uint8_t **out = ctx;
    size_t len;
    const uint8_t *b = vl_entry_bytes(e, &len);
    if (vl_entry_seq(e) == 2 && (*out = malloc(len))) {
        memcpy(*out, b, len);
        out[1] = (uint8_t *)(uintptr_t)len;
    }
    return 0;
}

static int
s_t_trust(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    vl_keypair_t *a3 = NULL;
    vl_policy_builder_t *b = NULL;
    vl_policy_t *v2 = NULL;
    vl_store_t *sa = NULL, *sb = NULL, *sc = NULL, *sd = NULL;
    vl_entry_t *e = NULL;
    char da[600] = "", db_[600] = "", dc[600] = "", dd[600] = "", err[VL_ERRMSG_MAX] = "";
    uint8_t *u = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL, *snew = NULL, *p = NULL, *pmg = NULL,
            *e1 = NULL, *e1x = NULL, *e2x = NULL, *fs = NULL, *alt = NULL, *alt2 = NULL, *forged = NULL,
            *fork = NULL;
    size_t ul = 0, s1l = 0, s2l = 0, s3l = 0, snewl = 0, pl = 0, pmgl = 0, e1l = 0, e1xl = 0,
           e2xl = 0,
           fsl = 0, altl = 0, alt2l = 0, forgedl = 0, forkl = 0;
    uint8_t id[VL_HASH_LEN], idmg[VL_HASH_LEN], ck1[VL_KEY_LEN];
    uint64_t seq = 0;
    vl_head_t h;
    vl_freshness_t fr;
    size_t problems = 0;
    uint8_t *e2cap[2] = { NULL, NULL };

    if (vl_testnet_init(&tn) != VL_OK)
        return 1;
    VL_CHECK_RC(vl_keypair_generate(&a3), VL_OK);
    VL_CHECK_RC(s_t_mkdir(da), VL_OK);
    VL_CHECK_RC(s_t_mkdir(db_), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dc), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dd), VL_OK);
    if (!a3)
        goto out;

    /* Store A: entry 1 under version 1 (approved by a1 + a2). MG proposes. */
    VL_CHECK_RC(vl_store_create(da, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(da, tn.node, 0, &sa, err), VL_OK);
    if (!sa)
        goto out;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-1", "MU", &p, &pl), VL_OK);
    VL_CHECK_RC(s_t_settle(sa, &tn, p, pl, &seq), VL_OK);
    VL_CHECK(seq == 1);
    free(p);
    p = NULL;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mg, tn.ckey, "MG-T-1", "MG", &pmg, &pmgl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, pmg, pmgl, idmg, err), VL_OK);
    VL_CHECK_RC(vl_store_head(sa, &h), VL_OK);

    /* Version 2: rotate a2 -> a3, revoke MG, name the node as the fresh key. */
    VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b, err), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(tn.a2), vl_keypair_pk(a3), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(tn.mg), err), VL_OK);
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(tn.node)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, tn.pol, h.seq + 1, h.hash, false, T_NOW, &u,
                                              &ul, err), VL_OK);
    /* Signed by a3 alone (a new key), then a1 + a3 (one old approver): refused. */
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, u, ul, a3, &s1, &s1l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s1, s1l, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s1, s1l, tn.a1, &s2, &s2l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s2, s2l, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign_next(tn.pol, s2, s2l, tn.a2, &s3, &s3l, err), VL_OK);
    VL_CHECK_RC(vl_policy_parse_next(tn.pol, s3, s3l, 0, &v2, err), VL_OK);
    if (!v2)
        goto out;
    VL_CHECK(vl_policy_epoch(v2) == 1);
    VL_CHECK(vl_policy_from(v2) == 2);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_policy_adopt(sa, s3, s3l, err), VL_OK);
    VL_CHECK(vl_policy_version(vl_store_policy(sa)) == 2);
    VL_CHECK_RC(vl_store_policy_adopt(sa, s3, s3l, NULL), VL_EEXIST);
    /* An old version served as current: refused as rollback. */
    VL_CHECK_RC(vl_store_policy_adopt(sa, tn.genesis, tn.genesis_len, NULL), VL_EEXIST);
    {
        /* Another, fully signed version 2 (a fork of the policy): refused. */
        vl_policy_builder_t *b2 = NULL;
        uint8_t *o = NULL, *o1 = NULL, *o2 = NULL;
        size_t ol = 0, o1l = 0, o2l = 0;
        VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b2, err), VL_OK);
        if (b2) {
            VL_CHECK_RC(vl_policy_builder_set_fresh(b2, vl_keypair_pk(tn.node)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b2, tn.pol, h.seq + 1, h.hash, false,
                                                      T_NOW, &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o1, o1l, tn.a2, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sa, o2, o2l, NULL), VL_ESTALE);
        }
        vl_policy_builder_destroy(&b2);
        free(o);
        free(o1);
        free(o2);
    }
    /* MG's pending proposal died with its author's role. */
    VL_CHECK_RC(vl_store_approve(sa, idmg, tn.a1, T_NOW, NULL, NULL, NULL), VL_ENOTFOUND);

    /* A proposal under the old epoch is refused; one under the new epoch passes. */
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-2", "MU", &p, &pl), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_propose(sa, p, pl, NULL, err), VL_ESTALE);
    VL_CHECK(strstr(err, "epoch") != NULL);
    free(p);
    p = NULL;
    VL_CHECK_RC(vl_policy_content_key(v2, 1, tn.mu, ck1), VL_OK);
    VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-2", "MU", &p, &pl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, p, pl, id, err), VL_OK);
    /* The replaced approver key can no longer approve; a1 + a3 can. */
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a2, T_NOW, NULL, NULL, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(sa, id, a3, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 2);
    /* History signed by a2 under version 1 still verifies. */
    VL_CHECK_RC(vl_store_verify(sa, NULL, NULL, &problems), VL_OK);
    VL_CHECK(problems == 0);
    /* The revoked member cannot read what changed after: no key for epoch 1,
     * the old key does not open it, and the store refuses its key. */
    VL_CHECK_RC(vl_policy_content_key(v2, 1, tn.mg, ck1), VL_EPERM);
    VL_CHECK_RC(vl_store_log_each(sa, 2, 2, s_t_entry_cb, e2cap), VL_OK);
    VL_CHECK(e2cap[0] != NULL);
    if (e2cap[0]) {
        VL_CHECK_RC(vl_entry_parse(v2, e2cap[0], (size_t)(uintptr_t)e2cap[1], 0, &e, err),
                    VL_OK);
        if (e) {
            VL_CHECK_RC(vl_proposal_open(vl_entry_proposal(e), tn.ckey, NULL), VL_EAUTH);
            vl_entry_destroy(&e);
        }
    }
    vl_store_close(&sa);
    VL_CHECK_RC(vl_store_open(da, tn.mg, VL_STORE_RDONLY, &sa, err), VL_EPERM);
    VL_CHECK_RC(vl_store_open(da, a3, 0, &sa, err), VL_OK);
    if (!sa)
        goto out;

    /* A candidate signed under version 1, then a version that only adds an
     * approver (no new epoch): the next approval rebuilds the candidate. */
    {
        char df[600] = "";
        vl_store_t *sf = NULL;
        vl_keypair_t *a4 = NULL;
        vl_policy_builder_t *b4 = NULL;
        uint8_t *q = NULL, *o = NULL, *o1 = NULL, *o2 = NULL, qid[VL_HASH_LEN];
        size_t ql = 0, ol = 0, o1l = 0, o2l = 0, n = 0;
        VL_CHECK_RC(s_t_mkdir(df), VL_OK);
        VL_CHECK_RC(vl_keypair_generate(&a4), VL_OK);
        VL_CHECK_RC(vl_store_create(df, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
        VL_CHECK_RC(vl_store_open(df, tn.node, 0, &sf, err), VL_OK);
        VL_CHECK_RC(vl_policy_builder_from(tn.pol, tn.a1, &b4, err), VL_OK);
        if (sf && a4 && b4) {
            VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-C", "MU", &q, &ql), VL_OK);
            VL_CHECK_RC(vl_store_propose(sf, q, ql, qid, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sf, qid, tn.a1, T_NOW, NULL, &n, err), VL_OK);
            VL_CHECK(n == 1);
            VL_CHECK_RC(vl_policy_builder_add(b4, VL_ROLE_APPROVER, vl_keypair_pk(a4), "a4",
                                              NULL, err), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b4, tn.pol, 1, vl_policy_hash(tn.pol),
                                                      false, T_NOW, &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(tn.pol, o1, o1l, tn.a2, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sf, o2, o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sf, qid, tn.a2, T_NOW, &seq, &n, err), VL_OK);
            VL_CHECK(seq == 0 && n == 1);
            VL_CHECK_RC(vl_store_approve(sf, qid, a4, T_NOW, &seq, &n, err), VL_OK);
            VL_CHECK(seq == 1 && n == 2);
            VL_CHECK_RC(vl_store_verify(sf, NULL, NULL, &problems), VL_OK);
        }
        vl_store_close(&sf);
        vl_policy_builder_destroy(&b4);
        vl_keypair_destroy(&a4);
        free(q);
        free(o);
        free(o1);
        free(o2);
        s_t_rmdir(df);
    }

    /* Store B syncs: entry 2 names version 2, unknown until adopted. */
    VL_CHECK_RC(vl_store_create(db_, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(db_, tn.node, 0, &sb, err), VL_OK);
    if (!sb)
        goto out;
    VL_CHECK_RC(vl_store_entry_bytes(sa, 1, &e1, &e1l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e1, e1l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_store_policy_adopt(sb, s3, s3l, err), VL_OK);
    VL_CHECK_RC(vl_store_append(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], err), VL_OK);
    {
        uint8_t link[VL_HASH_LEN];
        VL_CHECK_RC(vl_store_head(sb, &h), VL_OK);
        VL_CHECK_RC(vl_store_link(sb, 2, link, err), VL_OK);
        VL_CHECK(memcmp(link, h.hash, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_link(sb, 0, link, err), VL_OK);
        VL_CHECK(memcmp(link, vl_policy_hash(tn.pol), VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_link(sb, 3, link, NULL), VL_ENOTFOUND);
    }

    /* A key added after the genesis starts its store from the chain. */
    {
        char de[600] = "";
        vl_store_t *se = NULL;
        const uint8_t *docs[2] = { tn.genesis, s3 };
        size_t lens[2] = { tn.genesis_len, s3l };
        VL_CHECK_RC(s_t_mkdir(de), VL_OK);
        VL_CHECK_RC(vl_store_create(de, tn.genesis, tn.genesis_len, a3, NULL), VL_EPERM);
        VL_CHECK_RC(vl_store_create_chain(de, docs, lens, 2, tn.mg, NULL), VL_EPERM);
        VL_CHECK_RC(vl_store_create_chain(de, docs, lens, 2, a3, err), VL_OK);
        VL_CHECK_RC(vl_store_open(de, a3, 0, &se, err), VL_OK);
        if (se) {
            VL_CHECK(vl_policy_version(vl_store_policy(se)) == 2);
            VL_CHECK_RC(vl_store_append(se, e1, e1l, err), VL_OK);
            /* ... and, on it, a1 + a3 approve another entry 2: a real fork. */
            uint8_t *px = NULL, idx[VL_HASH_LEN];
            size_t pxl = 0;
            VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-Z", "MU", &px, &pxl), VL_OK);
            VL_CHECK_RC(vl_store_propose(se, px, pxl, idx, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(se, idx, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(se, idx, a3, T_NOW, &seq, NULL, err), VL_OK);
            VL_CHECK(seq == 2);
            VL_CHECK_RC(vl_store_entry_bytes(se, 2, &e2x, &e2xl, err), VL_OK);
            free(px);
            vl_store_close(&se);
        }
        s_t_rmdir(de);
    }

    /* A later entry signed by the old approvers under version 1 is refused. */
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-9", "MU", &alt, &altl), VL_OK);
    VL_CHECK_RC(vl_store_head(sb, &h), VL_OK);
    VL_CHECK_RC(vl_entry_make(tn.pol, 3, h.hash, alt, altl, h.root, T_NOW, &alt2, &alt2l, err),
                VL_OK);
    {
        uint8_t *one = NULL;
        size_t onel = 0;
        VL_CHECK_RC(vl_entry_sign(tn.pol, alt2, alt2l, tn.a1, &one, &onel, err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &forged, &forgedl, err), VL_OK);
        free(one);
    }
    err[0] = '\0';
    VL_CHECK_RC(vl_store_append(sb, forged, forgedl, err), VL_EPERM);

    /* Store D: another history: a different entry 1, valid under version 1. */
    VL_CHECK_RC(vl_store_create(dd, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dd, tn.node, 0, &sd, err), VL_OK);
    if (!sd)
        goto out;
    VL_CHECK_RC(s_t_prop_pol(tn.pol, tn.mu, tn.ckey, "MU-T-X", "MU", &fork, &forkl), VL_OK);
    VL_CHECK_RC(s_t_settle(sd, &tn, fork, forkl, &seq), VL_OK);
    VL_CHECK_RC(vl_store_entry_bytes(sd, 1, &e1x, &e1xl, err), VL_OK);
    /* ... a store that knows version 2 refuses it: version 2 pins entry 1. */
    VL_CHECK_RC(vl_store_create(dc, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dc, tn.node, 0, &sc, err), VL_OK);
    if (!sc)
        goto out;
    VL_CHECK_RC(vl_store_policy_adopt(sc, s3, s3l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_append(sc, e1x, e1xl, err), VL_ECHAIN);
    VL_CHECK(strstr(err, "another history") != NULL);
    VL_CHECK_RC(vl_store_append(sc, e1, e1l, err), VL_OK);
    /* A store opened with the key version 2 revokes cannot adopt it. */
    {
        char dg[600] = "";
        vl_store_t *sg = NULL;
        VL_CHECK_RC(s_t_mkdir(dg), VL_OK);
        VL_CHECK_RC(vl_store_create(dg, tn.genesis, tn.genesis_len, tn.mg, err), VL_OK);
        VL_CHECK_RC(vl_store_open(dg, tn.mg, 0, &sg, err), VL_OK);
        if (sg)
            VL_CHECK_RC(vl_store_policy_adopt(sg, s3, s3l, NULL), VL_EPERM);
        vl_store_close(&sg);
        s_t_rmdir(dg);
    }
    /* ... and store D, on the other history, refuses version 2. */
    VL_CHECK_RC(vl_store_policy_adopt(sd, s3, s3l, NULL), VL_ECHAIN);

    /* Old keys' other entry 1 is below version 2's satisfied pin: another
     * history, not evidence (it must not stop the log). */
    VL_CHECK_RC(vl_store_fork_check(sa, e1, e1l, err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_fork_check(sa, e1x, e1xl, err), VL_ECHAIN);
    VL_CHECK_RC(vl_store_evidence_put(sb, e1, e1l, e1x, e1xl, NULL), VL_ECHAIN);
    VL_CHECK(vl_store_fork_seq(sa) == 0);
    /* Equivocation at entry 2 (a1 + a3 signed two entries): A keeps the
     * pair and stops; B gets the evidence. */
    VL_CHECK(e2x != NULL);
    if (!e2x)
        goto out;
    VL_CHECK_RC(vl_store_fork_check(sa, e2cap[0], (size_t)(uintptr_t)e2cap[1], err), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_fork_check(sa, e2x, e2xl, err), VL_EFORK);
    VL_CHECK(strstr(err, "fork at entry 2") != NULL);
    VL_CHECK(vl_store_fork_seq(sa) == 2);
    {
        s_t_ev_t ev = { 0, 0 };
        VL_CHECK_RC(vl_store_evidence_each(sa, s_t_ev_cb, &ev), VL_OK);
        VL_CHECK(ev.n == 1 && ev.seq == 2);
    }
    VL_CHECK_RC(s_t_prop_pol(v2, tn.mu, ck1, "MU-T-3", "MU", &snew, &snewl), VL_OK);
    VL_CHECK_RC(vl_store_propose(sa, snew, snewl, id, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, NULL), VL_EFORK);
    e2x[e2xl - 3] ^= 1; /* inside the last signature */
    VL_CHECK_RC(vl_store_evidence_put(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], e2x, e2xl,
                                      NULL), VL_EAUTH);
    e2x[e2xl - 3] ^= 1;
    VL_CHECK_RC(vl_store_evidence_put(sb, e2x, e2xl, e2x, e2xl, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_store_evidence_put(sb, e1, e1l, e2x, e2xl, NULL), VL_EINVAL);
    VL_CHECK(vl_store_fork_seq(sb) == 0);
    VL_CHECK_RC(vl_store_evidence_put(sb, e2cap[0], (size_t)(uintptr_t)e2cap[1], e2x, e2xl, err),
                VL_EFORK);
    VL_CHECK_RC(vl_store_evidence_put(sb, e2x, e2xl, e2cap[0], (size_t)(uintptr_t)e2cap[1],
                                      NULL), VL_EEXIST);
    VL_CHECK(vl_store_fork_seq(sb) == 2);
    VL_CHECK_RC(vl_store_fork_check(sb, e2x, e2xl, NULL), VL_EFORK);
    /* Past the fork nothing is appended, whoever sent it. */
    VL_CHECK_RC(vl_store_append(sb, forged, forgedl, NULL), VL_EFORK);
    /* The approvers resolve it: version 3 pins A's entry 2; A resumes. */
    {
        vl_policy_builder_t *b3 = NULL;
        uint8_t *o = NULL, *o1 = NULL, *o2 = NULL;
        size_t ol = 0, o1l = 0, o2l = 0;
        vl_head_t ha;
        VL_CHECK_RC(vl_store_head(sa, &ha), VL_OK);
        VL_CHECK_RC(vl_policy_builder_from(v2, tn.a1, &b3, err), VL_OK);
        if (b3) {
            VL_CHECK_RC(vl_policy_builder_set_fresh(b3, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish_next(b3, v2, ha.seq + 1, ha.hash, false, T_NOW,
                                                      &o, &ol, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(v2, o, ol, tn.a1, &o1, &o1l, err), VL_OK);
            VL_CHECK_RC(vl_policy_sign_next(v2, o1, o1l, a3, &o2, &o2l, err), VL_OK);
            VL_CHECK_RC(vl_store_policy_adopt(sa, o2, o2l, err), VL_OK);
            VL_CHECK(vl_store_fork_seq(sa) == 0);
            VL_CHECK_RC(vl_store_approve(sa, id, tn.a1, T_NOW, NULL, NULL, err), VL_OK);
            VL_CHECK_RC(vl_store_approve(sa, id, a3, T_NOW, &seq, NULL, err), VL_OK);
            VL_CHECK(seq == 3);
            /* The fork is settled (no longer listed); the other entry 2 is now
             * another history. */
            s_t_ev_t ev = { 0, 0 };
            VL_CHECK_RC(vl_store_evidence_each(sa, s_t_ev_cb, &ev), VL_OK);
            VL_CHECK(ev.n == 0);
            VL_CHECK_RC(vl_store_fork_check(sa, e2x, e2xl, NULL), VL_ECHAIN);
        }
        vl_policy_builder_destroy(&b3);
        free(o);
        free(o1);
        free(o2);
    }

    /* Freshness on C (version 2 names the node; C is at entry 1). */
    VL_CHECK_RC(vl_store_freshness(sd, T_NOW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_UNCONFIGURED);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_UNKNOWN);
    VL_CHECK_RC(vl_store_head(sc, &h), VL_OK);
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, h.hash, T_NOW, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW - 1000, NULL), VL_EINVAL); /* future */
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, err), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 10, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_OK && fr.have && fr.expires == T_NOW + 3600);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 3600 + VL_CLOCK_SKEW, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_OK);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 3600 + VL_CLOCK_SKEW + 1, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_STALE);
    {
        char line[256];
        vl_freshness_text(&fr, line, sizeof line);
        VL_CHECK(strstr(line, "stale since") != NULL);
    }
    free(fs);
    fs = NULL;
    /* Older (rollback), wrong head, wrong signer: refused. */
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, h.hash, T_NOW - 5, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_ESTALE);
    free(fs);
    fs = NULL;
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 1, vl_policy_hash(tn.pol), T_NOW + 5, 3600, &fs, &fsl),
                VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_ECHAIN);
    free(fs);
    fs = NULL;
    VL_CHECK_RC(s_t_fresh(v2, tn.a1, 1, h.hash, T_NOW + 5, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW, NULL), VL_EPERM);
    free(fs);
    fs = NULL;
    /* Newer and ahead of us: behind. */
    VL_CHECK_RC(s_t_fresh(v2, tn.node, 2, h.hash, T_NOW + 60, 3600, &fs, &fsl), VL_OK);
    VL_CHECK_RC(vl_store_fresh_put(sc, fs, fsl, T_NOW + 60, err), VL_OK);
    VL_CHECK_RC(vl_store_freshness(sc, T_NOW + 60, &fr, err), VL_OK);
    VL_CHECK(fr.state == VL_FRESH_BEHIND);
    VL_CHECK_RC(vl_store_verify(sc, NULL, NULL, &problems), VL_OK);

out:
    if (err[0] && verbose)
        fprintf(stderr, "store trust test: last detail: %s\n", err);
    vl_entry_destroy(&e);
    vl_store_close(&sa);
    vl_store_close(&sb);
    vl_store_close(&sc);
    vl_store_close(&sd);
    vl_policy_destroy(&v2);
    vl_policy_builder_destroy(&b);
    vl_keypair_destroy(&a3);
    sodium_memzero(ck1, sizeof ck1);
    free(u);
    free(s1);
    free(s2);
    free(s3);
    free(snew);
    free(p);
    free(pmg);
    free(e1);
    free(e1x);
    free(e2x);
    free(fs);
    free(alt);
    free(alt2);
    free(forged);
    free(fork);
    free(e2cap[0]);
    s_t_rmdir(da);
    s_t_rmdir(db_);
    s_t_rmdir(dc);
    s_t_rmdir(dd);
    vl_testnet_fini(&tn);
    return VL_TEST_END;
}

int
vl_store_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    vl_store_t *st = NULL, *sb = NULL;
    char dir_a[600] = "", dir_b[600] = "", dir_c[600] = "", dir_d[600] = "", snap[600] = "",
         tdir[600] = "", err[VL_ERRMSG_MAX] = "";
    uint8_t *x1 = NULL, *x2 = NULL, *x3 = NULL, *y1 = NULL, *z1 = NULL, *w1 = NULL, *mgx = NULL;
    size_t x1l = 0, x2l = 0, x3l = 0, y1l = 0, z1l = 0, w1l = 0, mgxl = 0;
    uint8_t *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL, *p6 = NULL,
            *p7 = NULL, *pbad = NULL, *e_bad = NULL, *e_tmp = NULL;
    size_t p1l = 0, p2l = 0, p3l = 0, p4l = 0, p5l = 0, p6l = 0, p7l = 0, pbadl = 0,
           e_badl = 0, e_tmpl = 0;
    uint8_t id1[VL_HASH_LEN], id2[VL_HASH_LEN], id3[VL_HASH_LEN], id4[VL_HASH_LEN],
        id5[VL_HASH_LEN];
    uint64_t seq = 0;
    size_t nsigs = 0;
    vl_head_t h, h2;
    vl_record_t *rec = NULL;
    uint64_t rev = 0;
    s_t_log_t log;
    s_t_ids_t *ids = calloc(1, sizeof *ids);
    char *old_map = getenv("VL_STORE_MAP_INITIAL");
    old_map = old_map ? strdup(old_map) : NULL;
    memset(&log, 0, sizeof log);

    if (vl_testnet_init(&tn) != VL_OK || !ids) {
        free(ids);
        free(old_map);
        return 1;
    }
    /* Every store of this test starts from a 1 MiB map, so loading grows it. */
    setenv("VL_STORE_MAP_INITIAL", "1048576", 1);
    VL_CHECK_RC(s_t_mkdir(dir_a), VL_OK);

    /* ---- create and open ------------------------------------------------------- */
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.outsider, err), VL_EPERM);
    VL_CHECK(strstr(err, "not a member") != NULL);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_a, tn.genesis, tn.genesis_len, tn.node, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_open(dir_a, tn.outsider, 0, &st, err), VL_EPERM);
    VL_CHECK(st == NULL);
    VL_CHECK_RC(vl_store_open("/nonexistent/valise-store", tn.node, 0, &st, NULL), VL_ENOTFOUND);
    /* Store formats: 1, 2 and 3 open read-only unchanged and are rewritten
     * as 4 by a read-write open; any other number is refused by number. */
    VL_CHECK(s_t_format(dir_a) == VL_STORE_FORMAT);
    for (int f = 1; f <= 3; f++) {
        const char fb[4] = { 0, 0, 0, (char)f };
        VL_CHECK_RC(s_t_raw_put(dir_a, "meta", "format", 6, fb, 4), VL_OK);
        VL_CHECK_RC(vl_store_open(dir_a, tn.node, VL_STORE_RDONLY, &st, err), VL_OK);
        vl_store_close(&st);
        VL_CHECK(s_t_format(dir_a) == (uint32_t)f);
        VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_OK);
        vl_store_close(&st);
        VL_CHECK(s_t_format(dir_a) == 4);
    }
    VL_CHECK_RC(s_t_raw_put(dir_a, "meta", "format", 6, "\0\0\0\5", 4), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_ECORRUPT);
    VL_CHECK(st == NULL && strstr(err, "store format 5 is not supported") != NULL);
    VL_CHECK_RC(s_t_raw_put(dir_a, "meta", "format", 6, "\0\0\0\4", 4), VL_OK);
    VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_OK);
    if (!st)
        goto out;
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 0 && h.records == 0 && h.pending == 0);
    VL_CHECK(memcmp(h.hash, vl_policy_hash(tn.pol), VL_HASH_LEN) == 0);
    VL_CHECK(strcmp(vl_policy_name(vl_store_policy(st)), "valise test network") == 0);

    /* ---- propose, approve below threshold, duplicates, non-approvers ------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0101", "\"mla\",\"extradition\"",
                              "\"en\",\"fr\"", &x1, &x1l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x1, x1l, 0, false, &p1, &p1l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, id1, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, NULL, err), VL_EEXIST);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec == NULL && rev == 0); /* below threshold: nothing applied */
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 0 && h.pending == 1);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a1, T_NOW, &seq, &nsigs, err), VL_EEXIST);
    VL_CHECK(strstr(err, "already approved") != NULL);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.mu, T_NOW, &seq, &nsigs, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_approve(st, id1, tn.node, T_NOW, &seq, &nsigs, NULL), VL_EPERM);
    {
        s_t_pend_t pc = { 0, 0 };
        VL_CHECK_RC(vl_store_pending_each(st, s_t_pend_cb, &pc), VL_OK);
        VL_CHECK(pc.n == 1 && pc.sigs == 1);
    }
    {
        char hex[2 * VL_HASH_LEN + 1];
        uint8_t got[VL_HASH_LEN];
        vl_hex(id1, VL_HASH_LEN, hex);
        hex[7] = '\0';
        VL_CHECK_RC(vl_store_pending_lookup(st, hex, got, err), VL_OK);
        VL_CHECK(memcmp(got, id1, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_store_pending_lookup(st, "zz12", got, NULL), VL_EINVAL);
        VL_CHECK_RC(vl_store_pending_lookup(st, "ab", got, NULL), VL_EINVAL);
    }

    /* ---- threshold met: applied, root equals a from-scratch recomputation ----------- */
    VL_CHECK_RC(vl_store_approve(st, id1, tn.a2, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 1 && nsigs == 2);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec && rev == 1);
    if (rec) {
        size_t bl;
        const uint8_t *b = vl_record_body(rec, &bl);
        VL_CHECK(bl == x1l && memcmp(b, x1, bl) == 0);
    }
    vl_record_destroy(&rec);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 1 && h.records == 1 && h.pending == 0);
    {
        uint8_t root[VL_HASH_LEN], dig[VL_HASH_LEN];
        VL_CHECK_RC(s_t_scan(st, root, dig, NULL), VL_OK);
        VL_CHECK(memcmp(root, h.root, VL_HASH_LEN) == 0);
    }

    /* ---- replay of a settled proposal ---------------------------------------------------- */
    err[0] = '\0';
    VL_CHECK_RC(vl_store_propose(st, p1, p1l, NULL, err), VL_EEXIST);
    VL_CHECK(strstr(err, "replay") != NULL);

    /* ---- stale base at approval, then rejection -------------------------------------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0202", "\"mla\"", "\"en\"", &x2, &x2l),
                VL_OK);
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MU", "+230 555 0303", "\"extradition\"", "\"fr\"",
                              &x3, &x3l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 1, false, &p2, &p2l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 1, false, &p3, &p3l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p2, p2l, id2, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, id3, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id2, tn.a1, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id2, tn.a2, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 2);
    err[0] = '\0';
    VL_CHECK_RC(vl_store_approve(st, id3, tn.a1, T_NOW, &seq, &nsigs, err), VL_ESTALE);
    VL_CHECK(strstr(err, "needs rebase: record MU-CA-1 is at revision 2, proposal is based on 1") !=
             NULL);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-1", &rec, &rev, err), VL_OK);
    VL_CHECK(rec && rev == 2);
    vl_record_destroy(&rec);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 2 && h.pending == 1); /* p3 stays pending */
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, NULL, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.mu, "no", T_NOW, NULL), VL_EPERM);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.a1, "", T_NOW, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_store_reject(st, id3, tn.a1, "based on revision 1; please rebase", T_NOW + 1,
                                err), VL_OK);
    {
        char hex[2 * VL_HASH_LEN + 1], reason[128] = "";
        uint8_t got[VL_HASH_LEN];
        vl_hex(id3, VL_HASH_LEN, hex);
        VL_CHECK_RC(vl_store_pending_lookup(st, hex, got, NULL), VL_ENOTFOUND);
        VL_CHECK_RC(vl_store_rejections_each(st, s_t_rej_cb, reason), VL_OK);
        VL_CHECK(strcmp(reason, "based on revision 1; please rebase") == 0);
    }
    VL_CHECK_RC(vl_store_propose(st, p3, p3l, NULL, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_store_approve(st, id3, tn.a2, T_NOW, NULL, NULL, NULL), VL_ENOTFOUND);
    /* A new record whose id is taken is stale too. */
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 0, false, &pbad, &pbadl), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, NULL), VL_ESTALE);
    T_FREE(pbad);

    /* ---- another State's authority may not take a record over ---------------------------- */
    VL_CHECK_RC(s_t_authority("MU-CA-1", "MG", "+261 555 9999", "\"mla\"", "\"en\"", &mgx,
                              &mgxl), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mg, mgx, mgxl, 2, false, &pbad, &pbadl), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, err), VL_EPERM);
    T_FREE(pbad);

    /* ---- a candidate built on an old head is rebuilt (old signatures dropped) --------------- */
    VL_CHECK_RC(s_t_authority("MG-CA-1", "MG", "+261 555 0101", "\"mla\"", "\"fr\",\"mg\"", &y1,
                              &y1l), VL_OK);
    VL_CHECK_RC(s_t_authority("MU-CA-2", "MU", "+230 555 0404", "\"firearms_trafficking\"",
                              "\"en\"", &z1, &z1l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mg, y1, y1l, 0, false, &p4, &p4l), VL_OK);
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, z1, z1l, 0, false, &p5, &p5l), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p4, p4l, id4, err), VL_OK);
    VL_CHECK_RC(vl_store_propose(st, p5, p5l, id5, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_approve(st, id5, tn.a1, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK_RC(vl_store_approve(st, id5, tn.a2, T_NOW, &seq, NULL, err), VL_OK);
    VL_CHECK(seq == 3);
    {
        s_t_pend_t pc = { 0, 0 };
        VL_CHECK_RC(vl_store_pending_each(st, s_t_pend_cb, &pc), VL_OK);
        VL_CHECK(pc.n == 1 && pc.sigs == 0); /* a1's signature is on a stale candidate */
    }
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a2, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 0 && nsigs == 1);
    VL_CHECK_RC(vl_store_approve(st, id4, tn.a1, T_NOW, &seq, &nsigs, err), VL_OK);
    VL_CHECK(seq == 4 && nsigs == 2);

    /* ---- delete ------------------------------------------------------------------------------ */
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, z1, z1l, 1, true, &p6, &p6l), VL_OK);
    VL_CHECK_RC(s_t_settle(st, &tn, p6, p6l, &seq), VL_OK);
    VL_CHECK(seq == 5);
    VL_CHECK_RC(vl_store_get(st, "MU-CA-2", &rec, &rev, err), VL_OK);
    VL_CHECK(rec == NULL && rev == 0);
    {
        vl_query_t q;
        int frc;
        memset(&q, 0, sizeof q);
        q.function = "firearms_trafficking";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_OK);
        q.function = NULL;
        q.state = "MU";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK);
    }
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    VL_CHECK(h.seq == 5 && h.records == 2);

    /* ---- append: replay A's log into B, then refuse bad entries ------------------------------ */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK);
    VL_CHECK(log.n == 5);
    VL_CHECK_RC(s_t_mkdir(dir_b), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_b, tn.genesis, tn.genesis_len, tn.a1, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dir_b, tn.a1, 0, &sb, err), VL_OK);
    if (!sb)
        goto out;
    VL_CHECK_RC(vl_store_append(sb, log.e[1], log.len[1], NULL), VL_ECHAIN);
    for (size_t i = 0; i < log.n; i++)
        VL_CHECK_RC(vl_store_append(sb, log.e[i], log.len[i], err), VL_OK);
    VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
    VL_CHECK(h2.seq == h.seq && memcmp(h2.hash, h.hash, VL_HASH_LEN) == 0 &&
             memcmp(h2.root, h.root, VL_HASH_LEN) == 0 && h2.records == h.records);
    VL_CHECK_RC(vl_store_append(sb, log.e[4], log.len[4], NULL), VL_ECHAIN);

    /* A new entry in A: p7 updates MU-CA-1 from revision 2. */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK); /* (re-collected) */
    vl_store_close(&st);
    VL_CHECK_RC(s_t_copy(dir_a, snap), VL_OK); /* snapshot: MU-CA-1 at revision 2 */
    VL_CHECK_RC(vl_store_open(dir_a, tn.node, 0, &st, err), VL_OK);
    if (!st)
        goto out;
    VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x3, x3l, 2, false, &p7, &p7l), VL_OK);
    VL_CHECK_RC(s_t_settle(st, &tn, p7, p7l, &seq), VL_OK);
    VL_CHECK(seq == 6);
    VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
    {
        uint8_t prev[VL_HASH_LEN], bogus[VL_HASH_LEN], root_b[VL_HASH_LEN], dig_b[VL_HASH_LEN],
            root_b2[VL_HASH_LEN], dig_b2[VL_HASH_LEN];
        memcpy(prev, h2.hash, VL_HASH_LEN);
        vl_random(bogus, sizeof bogus);
        VL_CHECK_RC(s_t_scan(sb, root_b, dig_b, NULL), VL_OK);
        struct {
            uint64_t seq;
            const uint8_t *prev, *root;
            bool both;
            int want;
        } bad[] = {
            { 7, prev, h.root, true, VL_ECHAIN },        /* wrong seq */
            { 6, bogus, h.root, true, VL_ECHAIN },       /* wrong prev */
            { 6, prev, bogus, true, VL_ECORRUPT },       /* wrong root */
            { 6, prev, h.root, false, VL_ETHRESHOLD },   /* one signature */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            uint8_t *one = NULL;
            size_t onel = 0;
            VL_CHECK_RC(vl_entry_make(tn.pol, bad[i].seq, bad[i].prev, p7, p7l, bad[i].root,
                                      T_NOW, &e_tmp, &e_tmpl, err), VL_OK);
            VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
            if (bad[i].both)
                VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &e_bad, &e_badl, err), VL_OK);
            else {
                e_bad = one;
                e_badl = onel;
                one = NULL;
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append(sb, e_bad, e_badl, err), bad[i].want);
            if (verbose)
                printf("store: bad entry %zu refused: %s\n", i, err);
            VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
            VL_CHECK(h2.seq == 5 && memcmp(h2.hash, prev, VL_HASH_LEN) == 0);
            VL_CHECK_RC(s_t_scan(sb, root_b2, dig_b2, NULL), VL_OK);
            VL_CHECK(memcmp(root_b, root_b2, VL_HASH_LEN) == 0 &&
                     memcmp(dig_b, dig_b2, VL_HASH_LEN) == 0);
            free(one);
            T_FREE(e_tmp);
            T_FREE(e_bad);
        }
    }
    s_t_log_free(&log);
    VL_CHECK_RC(vl_store_log_each(st, 6, 6, s_t_log_cb, &log), VL_OK);
    VL_CHECK(log.n == 1);
    if (log.n == 1) {
        VL_CHECK_RC(vl_store_append(sb, log.e[0], log.len[0], err), VL_OK);
        VL_CHECK_RC(vl_store_head(sb, &h2), VL_OK);
        VL_CHECK(h2.seq == 6 && memcmp(h2.root, h.root, VL_HASH_LEN) == 0);
        /* The same proposal again in a well-formed next entry: a replay. */
        uint8_t *one = NULL;
        size_t onel = 0;
        VL_CHECK_RC(vl_entry_make(tn.pol, 7, h2.hash, p7, p7l, h2.root, T_NOW, &e_tmp, &e_tmpl,
                                  err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
        VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &e_bad, &e_badl, err), VL_OK);
        VL_CHECK_RC(vl_store_append(sb, e_bad, e_badl, NULL), VL_EEXIST);
        free(one);
        T_FREE(e_tmp);
        T_FREE(e_bad);
    }
    s_t_log_free(&log);

    /* ---- several hundred records: map growth, find ------------------------------------------ */
    {
        static const char *const states[] = { "MU", "MG", "FR", "SC", "KM" };
        static const char *const funcs[] = { "\"mla\"", "\"extradition\",\"mla\"",
                                             "\"firearms_trafficking\"",
                                             "\"migrant_smuggling_sea\",\"mla\"" };
        static const char *const langs[] = { "\"en\"", "\"fr\"", "\"es\",\"fr\"" };
        enum { NREC = 640, PER = 32 };
        size_t n_es = 0;
        uint8_t *bodies[PER];
        size_t lens[PER];
        uint64_t bases[PER];
        memset(bases, 0, sizeof bases);
        for (size_t start = 0; start < NREC; start += PER) {
            uint8_t *prop = NULL;
            size_t plen = 0;
            for (size_t j = 0; j < PER; j++) {
                size_t i = start + j;
                char id[32], phone[32];
                snprintf(id, sizeof id, "%s-R%03zu", states[i % 5], i);
                snprintf(phone, sizeof phone, "+1 555 7%05zu", i);
                n_es += i % 3 == 2;
                bodies[j] = NULL;
                VL_CHECK_RC(s_t_authority(id, states[i % 5], phone, funcs[i % 4], langs[i % 3],
                                          &bodies[j], &lens[j]), VL_OK);
            }
            VL_CHECK_RC(s_t_prop(&tn, tn.a1, PER, bodies, lens, bases, NULL, &prop, &plen),
                        VL_OK);
            VL_CHECK_RC(s_t_settle(st, &tn, prop, plen, &seq), VL_OK);
            for (size_t j = 0; j < PER; j++)
                free(bodies[j]);
            free(prop);
        }
        VL_CHECK_RC(s_t_agreement("AGR-MU-MG", "MG", "MU", &w1, &w1l), VL_OK);
        VL_CHECK_RC(s_t_prop1(&tn, tn.a2, w1, w1l, 0, false, &pbad, &pbadl), VL_OK);
        VL_CHECK_RC(s_t_settle(st, &tn, pbad, pbadl, &seq), VL_OK);
        T_FREE(pbad);
        MDB_envinfo info;
        mdb_env_info(st->env, &info);
        if (verbose)
            printf("store: map grew to %zu bytes\n", info.me_mapsize);
        VL_CHECK(info.me_mapsize > 1048576);
        VL_CHECK_RC(vl_store_head(st, &h), VL_OK);
        VL_CHECK(h.records == NREC + 2 + 1);

        vl_query_t q;
        int frc;
        memset(&q, 0, sizeof q);
        q.state = "MU"; /* 64 generated + MU-CA-1 + the agreement */
        VL_CHECK(s_t_count(st, &q, &frc, ids) == NREC / 5 + 2 && frc == VL_OK && ids->sorted);
        q.function = "firearms_trafficking"; /* i % 5 == 0 and i % 4 == 2 */
        VL_CHECK(s_t_count(st, &q, &frc, ids) == NREC / 20 && frc == VL_OK);
        memset(&q, 0, sizeof q);
        q.language = "es";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == n_es && frc == VL_OK);
        q.language = NULL;
        q.text = "+1 555 700123";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK &&
                 strcmp(ids->ids[0], "SC-R123") == 0);
        q.text = "treaty agr-MU";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK);
        q.text = NULL;
        q.kind = "agreement";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 1 && frc == VL_OK &&
                 strcmp(ids->ids[0], "AGR-MU-MG") == 0);
        q.kind = "authority";
        q.state = "MG";
        q.legal_basis = "UNTOC-18";
        q.limit = 5;
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 5 && frc == VL_OK);
        memset(&q, 0, sizeof q);
        q.state = "mu";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_EINVAL);
        q.state = NULL;
        q.kind = "person";
        VL_CHECK(s_t_count(st, &q, &frc, ids) == 0 && frc == VL_EINVAL);

        if (verbose) {
            enum { NQ = 2000 };
            double *t = malloc(NQ * sizeof *t);
            memset(&q, 0, sizeof q);
            q.function = "mla";
            for (size_t i = 0; t && i < NQ; i++) {
                q.state = states[i % 5];
                double t0 = s_t_now_us();
                s_t_count(st, &q, &frc, ids);
                t[i] = s_t_now_us() - t0;
            }
            if (t) {
                qsort(t, NQ, sizeof *t, s_t_dcmp);
                printf("store: find state+function over %zu records (%zu hits): p50 %.1f us, "
                       "p99 %.1f us\n", (size_t)h.records, ids->n, t[NQ / 2], t[NQ * 99 / 100]);
            }
            free(t);
        }
    }

    /* A bulk load in ONE transaction from a 1 MiB map: grows and reruns. */
    VL_CHECK_RC(vl_store_log_each(st, 0, 0, s_t_log_cb, &log), VL_OK);
    VL_CHECK_RC(s_t_mkdir(dir_c), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_c, tn.genesis, tn.genesis_len, tn.mg, err), VL_OK);
    {
        vl_store_t *sc = NULL;
        VL_CHECK_RC(vl_store_open(dir_c, tn.mg, 0, &sc, err), VL_OK);
        if (sc) {
            VL_CHECK_RC(vl_store_append_batch(sc, (const uint8_t *const *)log.e, log.len, log.n,
                                              err), VL_OK);
            VL_CHECK_RC(vl_store_head(sc, &h2), VL_OK);
            VL_CHECK(h2.seq == h.seq && memcmp(h2.root, h.root, VL_HASH_LEN) == 0 &&
                     h2.records == h.records);
            size_t problems = 1;
            VL_CHECK_RC(vl_store_verify(sc, NULL, NULL, &problems), VL_OK);
            VL_CHECK(problems == 0);
            vl_store_close(&sc);
        }
    }
    /* All or nothing: a batch with a bad entry at the end changes nothing. */
    VL_CHECK_RC(s_t_mkdir(dir_d), VL_OK);
    VL_CHECK_RC(vl_store_create(dir_d, tn.genesis, tn.genesis_len, tn.a2, err), VL_OK);
    {
        vl_store_t *sd = NULL;
        VL_CHECK_RC(vl_store_open(dir_d, tn.a2, 0, &sd, err), VL_OK);
        if (sd && log.n > 3) {
            VL_CHECK_RC(vl_store_append_batch(sd, (const uint8_t *const *)log.e, log.len, 3,
                                              err), VL_OK);
            /* entries 4.. then entry 2 again */
            uint8_t *saved = log.e[log.n - 1];
            size_t saved_len = log.len[log.n - 1];
            log.e[log.n - 1] = log.e[1];
            log.len[log.n - 1] = log.len[1];
            err[0] = '\0';
            VL_CHECK_RC(vl_store_append_batch(sd, (const uint8_t *const *)log.e + 3, log.len + 3,
                                              log.n - 3, err), VL_ECHAIN);
            log.e[log.n - 1] = saved;
            log.len[log.n - 1] = saved_len;
            VL_CHECK_RC(vl_store_head(sd, &h2), VL_OK);
            VL_CHECK(h2.seq == 3);
        }
        vl_store_close(&sd);
    }
    s_t_log_free(&log);

    /* ---- federation support -------------------------------------------------------------- */
    VL_CHECK(s_t_federation(&tn, st, verbose) == 0);

    /* ---- verify a sound store; read-only open ------------------------------------------------ */
    {
        size_t problems = 1;
        s_t_rep_t rep;
        memset(&rep, 0, sizeof rep);
        rep.verbose = verbose;
        VL_CHECK_RC(vl_store_verify(st, s_t_report, &rep, &problems), VL_OK);
        VL_CHECK(problems == 0 && rep.n == 0);
    }

    /* ---- records at rest: a format 3 store is read, then upgraded ------------------------- */
    VL_CHECK(vl_t_rest_upgrade(&st, dir_a, tn.node, verbose) == 0);
    vl_store_close(&st);
    VL_CHECK(st == NULL);
    vl_store_close(&st);
    VL_CHECK_RC(vl_store_open(dir_a, tn.mu, VL_STORE_RDONLY, &st, err), VL_OK);
    if (st) {
        VL_CHECK_RC(vl_store_head(st, &h2), VL_OK);
        VL_CHECK(h2.seq == h.seq);
        VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 3, false, &pbad, &pbadl), VL_OK);
        VL_CHECK_RC(vl_store_propose(st, pbad, pbadl, NULL, NULL), VL_EINVAL);
        T_FREE(pbad);
        vl_store_close(&st);
    }

    /* ---- the file holds no contact data in clear --------------------------------------------- */
    {
        char path[700];
        size_t flen = 0;
        snprintf(path, sizeof path, "%s/data.mdb", dir_a);
        uint8_t *file = s_t_read_file(path, &flen);
        VL_CHECK(file != NULL && flen > 1048576);
        static const char *const secrets[] = { "+230 555 0303", "+230 555 0101", "+1 555 700123",
                                               "Officer SC-R123", "+261 555 0101" };
        for (size_t i = 0; file && i < sizeof secrets / sizeof secrets[0]; i++)
            VL_CHECK(!s_t_contains(file, flen, secrets[i]));
        /* (the record ids and index terms are not secret) */
        VL_CHECK(file && s_t_contains(file, flen, "s:MU"));
        free(file);
    }

    /* ---- tampering: each is caught by verify ------------------------------------------------- */
    {
        s_raw_t r;
        uint8_t key8[8];
        char idxkey[64];
        size_t ilen;
        struct {
            const char *what, *want;
        } cases[] = {
            { "record body", "record MU-CA-1: does not decrypt" },
            { "record revision", "record MU-CA-1: does not decrypt" },
            { "index added", "index: term s:ZZ of record MU-CA-1 does not belong" },
            { "index removed", "index: term s:MU of record MU-CA-1 is missing" },
            { "log entry", "entry 3: " },
            { "log entry removed", "log: entry 2 is missing" },
            { "root accumulator", "root accumulator" },
            { "record removed", "record MG-CA-1: missing" },
            { "record rolled back", "record MU-CA-1: revision 2, the log says 3" },
            { "settled removed", "the settled table does not name it" },
            { "chain broken", "entry 2: broken chain: prev is not the hash of entry 1" },
        };
        /* A validly signed entry 2 whose prev names something else. */
        uint8_t *chain = NULL;
        size_t chainl = 0;
        {
            vl_store_t *ro = NULL;
            vl_entry_t *e2 = NULL;
            uint8_t bogus[VL_HASH_LEN], *one = NULL;
            size_t onel = 0, pl = 0;
            memset(bogus, 0x5a, sizeof bogus);
            VL_CHECK_RC(vl_store_open(dir_a, tn.node, VL_STORE_RDONLY, &ro, err), VL_OK);
            if (ro)
                VL_CHECK_RC(vl_store_log_each(ro, 2, 2, s_t_log_cb, &log), VL_OK);
            vl_store_close(&ro);
            if (log.n == 1 &&
                vl_entry_parse(tn.pol, log.e[0], log.len[0], 0, &e2, err) == VL_OK) {
                const uint8_t *pb = vl_proposal_bytes(vl_entry_proposal(e2), &pl);
                VL_CHECK_RC(vl_entry_make(tn.pol, 2, bogus, pb, pl, vl_entry_root(e2), T_NOW,
                                          &e_tmp, &e_tmpl, err), VL_OK);
                VL_CHECK_RC(vl_entry_sign(tn.pol, e_tmp, e_tmpl, tn.a1, &one, &onel, err), VL_OK);
                VL_CHECK_RC(vl_entry_sign(tn.pol, one, onel, tn.a2, &chain, &chainl, err), VL_OK);
            }
            VL_CHECK(chain != NULL);
            vl_entry_destroy(&e2);
            free(one);
            T_FREE(e_tmp);
            s_t_log_free(&log);
        }
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            int trc = s_t_copy(dir_a, tdir);
            VL_CHECK_RC(trc, VL_OK);
            if (trc != VL_OK)
                continue;
            VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
            switch (c) {
            case 0:
                trc = s_raw_flip(&r, "records", "MU-CA-1", 7, -3);
                break;
            case 1:
                trc = s_raw_flip(&r, "records", "MU-CA-1", 7, 8);
                break;
            case 2:
                ilen = (size_t)snprintf(idxkey, sizeof idxkey, "s:ZZ%cMU-CA-1", 0);
                trc = mdb_put(r.txn, s_raw_db(&r, "index"), &(MDB_val){ ilen, idxkey },
                              &(MDB_val){ 0, (void *)"" }, 0) ? VL_ESTORE : VL_OK;
                break;
            case 3:
                ilen = (size_t)snprintf(idxkey, sizeof idxkey, "s:MU%cMU-CA-1", 0);
                trc = mdb_del(r.txn, s_raw_db(&r, "index"), &(MDB_val){ ilen, idxkey }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 4:
                vls_be64_put(key8, 3);
                trc = s_raw_flip(&r, "log", key8, 8, -10);
                break;
            case 5:
                vls_be64_put(key8, 2);
                trc = mdb_del(r.txn, s_raw_db(&r, "log"), &(MDB_val){ 8, key8 }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 6:
                trc = s_raw_flip(&r, "meta", "root_acc", 8, 100);
                break;
            case 7:
                trc = mdb_del(r.txn, s_raw_db(&r, "records"), &(MDB_val){ 7, "MG-CA-1" }, NULL)
                          ? VL_ESTORE : VL_OK;
                break;
            case 8: {
                /* Put back MU-CA-1's value from the snapshot (revision 2). */
                s_raw_t rs;
                MDB_val k = { 7, "MU-CA-1" }, v;
                uint8_t *old = NULL;
                size_t oldl = 0;
                trc = VL_ENOTFOUND;
                if (s_raw_begin(&rs, snap) == VL_OK &&
                    mdb_get(rs.txn, s_raw_db(&rs, "records"), &k, &v) == 0 &&
                    (old = malloc(v.mv_size))) {
                    memcpy(old, v.mv_data, v.mv_size);
                    oldl = v.mv_size;
                }
                mdb_txn_abort(rs.txn);
                rs.txn = NULL;
                s_raw_end(&rs);
                if (old)
                    trc = mdb_put(r.txn, s_raw_db(&r, "records"), &k, &(MDB_val){ oldl, old }, 0)
                              ? VL_ESTORE : VL_OK;
                free(old);
                break;
            }
            case 9:
                trc = mdb_del(r.txn, s_raw_db(&r, "settled"), &(MDB_val){ VL_HASH_LEN, id2 },
                              NULL) ? VL_ESTORE : VL_OK;
                break;
            case 10:
                vls_be64_put(key8, 2);
                trc = chain && mdb_put(r.txn, s_raw_db(&r, "log"), &(MDB_val){ 8, key8 },
                                       &(MDB_val){ chainl, chain }, 0) == 0 ? VL_OK : VL_ESTORE;
                break;
            }
            VL_CHECK_RC(trc, VL_OK);
            VL_CHECK_RC(s_raw_end(&r), VL_OK);
            if (verbose)
                printf("store: tamper %s\n", cases[c].what);
            VL_CHECK(s_t_verify_finds(tdir, tn.node, cases[c].want, verbose));
            if (c == 0 || c == 1) {
                /* Reads refuse the altered record instead of returning it. */
                vl_store_t *tst = NULL;
                vl_query_t q;
                int frc;
                memset(&q, 0, sizeof q);
                q.state = "MU";
                VL_CHECK_RC(vl_store_open(tdir, tn.node, 0, &tst, err), VL_OK);
                if (tst) {
                    VL_CHECK_RC(vl_store_get(tst, "MU-CA-1", &rec, &rev, NULL), VL_ECORRUPT);
                    VL_CHECK(rec == NULL);
                    s_t_count(tst, &q, &frc, ids);
                    VL_CHECK(frc == VL_ECORRUPT);
                    vl_store_close(&tst);
                }
            }
            s_t_rmdir(tdir);
        }
        free(chain);
        /* A truncated record value: an error, not a crash. */
        if (s_t_copy(dir_a, tdir) == VL_OK) {
            vl_store_t *tst = NULL;
            VL_CHECK_RC(s_raw_begin(&r, tdir), VL_OK);
            VL_CHECK(mdb_put(r.txn, s_raw_db(&r, "records"), &(MDB_val){ 7, "MU-CA-1" },
                             &(MDB_val){ 3, "\x01\x00\x00" }, 0) == 0);
            VL_CHECK_RC(s_raw_end(&r), VL_OK);
            VL_CHECK_RC(vl_store_open(tdir, tn.node, 0, &tst, err), VL_OK);
            if (tst) {
                VL_CHECK_RC(vl_store_get(tst, "MU-CA-1", &rec, &rev, NULL), VL_ECORRUPT);
                /* Applying over a corrupt record fails cleanly too. */
                VL_CHECK_RC(s_t_prop1(&tn, tn.mu, x2, x2l, 3, false, &pbad, &pbadl), VL_OK);
                VL_CHECK_RC(vl_store_propose(tst, pbad, pbadl, NULL, NULL), VL_ECORRUPT);
                T_FREE(pbad);
                vl_store_close(&tst);
            }
            VL_CHECK(s_t_verify_finds(tdir, tn.node, "record MU-CA-1: malformed", verbose));
            s_t_rmdir(tdir);
        }
    }

out:
    vl_store_close(&st);
    vl_store_close(&sb);
    s_t_log_free(&log);
    for (char *d = dir_a; d; d = d == dir_a ? dir_b : d == dir_b ? dir_c : d == dir_c ? dir_d
                                            : d == dir_d ? snap : NULL)
        if (*d)
            s_t_rmdir(d);
    free(x1);
    free(x2);
    free(x3);
    free(y1);
    free(z1);
    free(w1);
    free(mgx);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    free(p5);
    free(p6);
    free(p7);
    free(pbad);
    free(e_bad);
    free(e_tmp);
    free(ids);
    vl_testnet_fini(&tn);
    if (old_map)
        setenv("VL_STORE_MAP_INITIAL", old_map, 1);
    else
        unsetenv("VL_STORE_MAP_INITIAL");
    free(old_map);
    VL_CHECK(s_t_trust(verbose) == 0);
    return VL_TEST_END;
}

