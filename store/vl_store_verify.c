/* SPDX-License-Identifier: MIT */
/*
 * vl_store_verify - vl_store_verify(): replays the log from genesis in
 * memory and compares every derived table (meta, records, index, pending,
 * candidates, settled, rejections, peers) with it, reporting each problem.
 *
 * Contract: reads only (one read txn); never stops at the first problem; a
 * problem is a report line, only VL_ENOMEM or an LMDB failure ends it early.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_policy.c,
 * vl_store_rest.c, vl_store_find.c, vl_store_plan.c, vl_store_pending.c,
 * vl_store_reject.c and vl_store_peers.c, below it.
 */
#include "vl_store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* What the log says about one record id, replayed in memory. */
typedef struct {
    char id[VL_MAX_ID + 1];  /* "" = free slot */
    bool live;               /* exists after the replay so far */
    bool seen;               /* found in the records table */
    bool bad;                /* its records value does not open (skip its index terms) */
    vl_kind_t kind;
    size_t nstates;
    char *states;            /* nstates * 2 letters, malloc'd */
    uint64_t rev, seq;       /* revision; entry that wrote it */
    uint32_t op;             /* op index in that entry */
    uint8_t leaf[VL_HASH_LEN];
} s_slot_t;

/* Open-addressing hash table of slots by id (linear probing, load <= 1/2). */
typedef struct {
    s_slot_t *slots;
    size_t cap, n;
} s_map_t;

static s_slot_t *
s_map_find(const s_map_t *m, const char *id)
{
    if (!m->cap)
        return NULL;
    for (size_t i = vls_fnv(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].id[0])
            return NULL;
        if (strcmp(m->slots[i].id, id) == 0)
            return &m->slots[i];
    }
}

static int
s_map_add(s_map_t *m, const char *id, s_slot_t **out)
{
    s_slot_t *s = s_map_find(m, id);
    if (s) {
        *out = s;
        return VL_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 1024;
        s_slot_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return VL_ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].id[0])
                continue;
            size_t j = vls_fnv(m->slots[i].id) & (ncap - 1);
            while (ns[j].id[0])
                j = (j + 1) & (ncap - 1);
            ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    size_t i = vls_fnv(id) & (m->cap - 1);
    while (m->slots[i].id[0])
        i = (i + 1) & (m->cap - 1);
    s = &m->slots[i];
    memset(s, 0, sizeof *s);
    strcpy(s->id, id);
    m->n++;
    *out = s;
    return VL_OK;
}

static void
s_map_free(s_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].states);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Expected index keys, collected from the current records, then sorted. */
typedef struct {
    uint8_t *buf;            /* [u8 len][key bytes]... */
    size_t len, cap;
    size_t *off;             /* offsets into buf */
    size_t n, ncap;
} s_keys_t;

static int
s_keys_add(s_keys_t *ks, const uint8_t *key, size_t klen)
{
    if (ks->len + 1 + klen > ks->cap) {
        size_t ncap = ks->cap ? 2 * ks->cap : 65536;
        while (ncap < ks->len + 1 + klen)
            ncap *= 2;
        uint8_t *nb = realloc(ks->buf, ncap);
        if (!nb)
            return VL_ENOMEM;
        ks->buf = nb;
        ks->cap = ncap;
    }
    if (ks->n == ks->ncap) {
        size_t ncap = ks->ncap ? 2 * ks->ncap : 4096;
        size_t *no = realloc(ks->off, ncap * sizeof *no);
        if (!no)
            return VL_ENOMEM;
        ks->off = no;
        ks->ncap = ncap;
    }
    ks->off[ks->n++] = ks->len;
    ks->buf[ks->len] = (uint8_t)klen;
    memcpy(ks->buf + ks->len + 1, key, klen);
    ks->len += 1 + klen;
    return VL_OK;
}

/* LMDB's default key order: bytewise, a prefix first. */
static int
s_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static const uint8_t *s_sort_buf; /* qsort has no context argument in C11 */

static int
s_off_cmp(const void *pa, const void *pb)
{
    const uint8_t *a = s_sort_buf + *(const size_t *)pa, *b = s_sort_buf + *(const size_t *)pb;
    return s_keycmp(a + 1, a[0], b + 1, b[0]);
}

typedef struct {
    vl_store_t *self;
    MDB_txn *txn;
    void (*report)(void *ctx, const char *line);
    void (*phase)(void *ctx, const char *db);
    vl_progress_fn progress;
    void *ctx;
    const char *step;        /* the progress step under way */
    uint64_t done, total;    /* its items */
    size_t problems;
    s_map_t map;             /* id -> what the log says */
    vl_root_t acc;           /* accumulator replayed from the log */
    bool state_ok;           /* the replay state is trustworthy */
    uint64_t last_seq;       /* last entry in the log */
    bool last_known;         /* its hash and root are known */
    uint8_t last_hash[VL_HASH_LEN], last_root[VL_HASH_LEN];
    struct { uint64_t seq; bool known; uint8_t pid[VL_HASH_LEN]; } *pids; /* log, by seq */
    size_t npids, cappids;
    s_keys_t keys;           /* expected index keys */
    int fatal;               /* VL_ENOMEM / VL_ESTORE: stop */
} s_verify_t;

static void s_problem(s_verify_t *vf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Starts progress step `what` over the items of database db. */
static void
s_step(s_verify_t *vf, const char *what, int db)
{
    MDB_stat st;
    vf->step = what;
    vf->done = 0;
    vf->total = 0;
    if (!vf->progress)
        return;
    if (mdb_stat(vf->txn, vf->self->dbi[db], &st) == 0)
        vf->total = st.ms_entries;
    vf->progress(vf->ctx, what, 0, vf->total);
}

/* One more item of the step (never past its total: LMDB's count is the
 * walk's, but a damaged file may disagree). */
static void
s_tick(s_verify_t *vf)
{
    if (vf->progress && vf->done < vf->total)
        vf->progress(vf->ctx, vf->step, ++vf->done, vf->total);
}

/* Ends the step: done == total. */
static void
s_step_end(s_verify_t *vf)
{
    if (vf->progress && vf->done < vf->total)
        vf->progress(vf->ctx, vf->step, vf->total, vf->total);
}

/* Names the database about to be walked (vl_store_verify_phases). */
static void
s_phase(const s_verify_t *vf, const char *db)
{
    if (vf->phase)
        vf->phase(vf->ctx, db);
}

static void
s_problem(s_verify_t *vf, const char *fmt, ...)
{
    char line[2 * VL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    vf->problems++;
    if (vf->report)
        vf->report(vf->ctx, line);
}

/* Hostile bytes made printable for a report line. */
static void
s_printable(char *out, size_t cap, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 2 < cap; i++)
        out[j++] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '?';
    out[j] = '\0';
}

/* A hostile key for a report line: printable, at most 40 bytes. */
static void
s_show_key(char shown[48], const MDB_val *k)
{
    s_printable(shown, 48, k->mv_data, k->mv_size < 40 ? k->mv_size : 40);
}

/* Remember which proposal entry seq settles (pid NULL: the entry is unreadable). */
static int
s_pid_push(s_verify_t *vf, uint64_t seq, const uint8_t *pid)
{
    if (vf->npids == vf->cappids) {
        size_t ncap = vf->cappids ? 2 * vf->cappids : 1024;
        void *np = realloc(vf->pids, ncap * sizeof *vf->pids);
        if (!np)
            return VL_ENOMEM;
        vf->pids = np;
        vf->cappids = ncap;
    }
    vf->pids[vf->npids].seq = seq;
    vf->pids[vf->npids].known = pid != NULL;
    if (pid)
        memcpy(vf->pids[vf->npids].pid, pid, VL_HASH_LEN);
    vf->npids++;
    return VL_OK;
}

/* The proposal entry seq settles; *present tells whether the log has it at all. */
static const uint8_t *
s_pid_of(const s_verify_t *vf, uint64_t seq, bool *present)
{
    size_t lo = 0, hi = vf->npids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vf->pids[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *present = lo < vf->npids && vf->pids[lo].seq == seq;
    return (*present && vf->pids[lo].known) ? vf->pids[lo].pid : NULL;
}

/* Replay the ops of one verified, opened entry into the in-memory state. */
static int
s_verify_ops(s_verify_t *vf, const vl_entry_t *e, const vl_proposal_t *p)
{
    uint64_t seq = vl_entry_seq(e);
    const uint8_t *author = vl_proposal_author(p);
    const vl_policy_t *pol = vls_pol_for(vf->self, seq);
    char kid[2 * VL_KID_LEN + 1];
    vl_kid(author, kid);
    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        s_slot_t *s = s_map_find(&vf->map, op->id);
        bool live = s && s->live;
        uint64_t cur = live ? s->rev : 0;
        if (cur != op->base)
            s_problem(vf,
                      "entry %llu: record %s is at revision %llu, the proposal is based on %llu",
                      (unsigned long long)seq, op->id, (unsigned long long)cur,
                      (unsigned long long)op->base);
        if (live) {
            if (s->kind != op->kind)
                s_problem(vf, "entry %llu: record %s changes kind", (unsigned long long)seq,
                          op->id);
            for (size_t k = 0; k < s->nstates; k++) {
                char st[VL_STATE_LEN + 1] = { s->states[2 * k], s->states[2 * k + 1], 0 };
                if (!vl_policy_may_edit(pol, author, st))
                    s_problem(vf, "entry %llu: author %s may not edit record %s of %s",
                              (unsigned long long)seq, kid, op->id, st);
            }
            if (op->del) {
                bool same = s->nstates == op->nstates;
                for (size_t k = 0; same && k < op->nstates; k++)
                    same = memcmp(s->states + 2 * k, op->states[k], 2) == 0;
                if (!same)
                    s_problem(vf, "entry %llu: delete of %s names other States than the record's",
                              (unsigned long long)seq, op->id);
            }
            vl_root_remove(&vf->acc, s->leaf);
        } else if (op->del) {
            s_problem(vf, "entry %llu: deletes record %s, which does not exist",
                      (unsigned long long)seq, op->id);
        }
        if (op->del) {
            if (s)
                s->live = false;
            continue;
        }
        const vl_record_t *rec = vl_proposal_record(p, i);
        size_t blen;
        const uint8_t *body = vl_record_body(rec, &blen);
        if (!s && s_map_add(&vf->map, op->id, &s) != VL_OK)
            return VL_ENOMEM;
        if (s->nstates != op->nstates || !s->states) {
            char *ns = realloc(s->states, 2 * op->nstates + 1);
            if (!ns)
                return VL_ENOMEM;
            s->states = ns;
        }
        for (size_t k = 0; k < op->nstates; k++)
            memcpy(s->states + 2 * k, op->states[k], 2);
        s->nstates = op->nstates;
        s->kind = op->kind;
        s->live = true;
        s->rev = op->base + 1;
        s->seq = seq;
        s->op = (uint32_t)i;
        vl_root_leaf(s->leaf, op->id, s->rev, body, blen);
        vl_root_insert(&vf->acc, s->leaf);
    }
    uint8_t root[VL_HASH_LEN];
    vl_root_digest(&vf->acc, root);
    if (memcmp(root, vl_entry_root(e), VL_HASH_LEN) != 0)
        s_problem(vf, "entry %llu: state root mismatch: replaying the log gives another root",
                  (unsigned long long)seq);
    return VL_OK;
}

/* Phase 1's walk: where the chain is. */
typedef struct {
    s_verify_t *vf;
    uint8_t prev[VL_HASH_LEN];   /* hash the next entry must link to */
    bool prev_known;
    uint8_t tie[VL_HASH_LEN];    /* the tie of the entry before, a run entry */
    bool tie_known;
    uint64_t expect;             /* the next seq */
} s_log_walk_t;

static int
s_verify_entry(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_log_walk_t *w = ctx;
    s_verify_t *vf = w->vf;
    vl_store_t *self = vf->self;
    vl_entry_t *e = NULL;
    char why[VL_ERRMSG_MAX];
    int rc;
    s_tick(vf);
    if (k->mv_size != 8) {
        s_problem(vf, "log: a key is not a sequence number");
        vf->state_ok = w->prev_known = vf->last_known = false;
        return VL_OK;
    }
    uint64_t seq = vls_be64_get(k->mv_data);
    if (seq != w->expect) {
        if (seq == w->expect + 1)
            s_problem(vf, "log: entry %llu is missing", (unsigned long long)w->expect);
        else
            s_problem(vf, "log: entries %llu to %llu are missing", (unsigned long long)w->expect,
                      (unsigned long long)seq - 1);
        vf->state_ok = w->prev_known = false;
    }
    w->expect = seq + 1;
    vf->last_seq = seq;
    why[0] = '\0';
    if ((rc = vl_entry_parse(vls_pol_for(self, seq), v->mv_data, v->mv_size, 0, &e, why)) !=
        VL_OK) {
        if (rc == VL_ENOMEM)
            goto out;
        if (strncmp(why, "entry ", 6) == 0)
            s_problem(vf, "%s", why); /* the decoder already named the entry */
        else
            s_problem(vf, "entry %llu: %s", (unsigned long long)seq, why);
        vf->state_ok = w->prev_known = vf->last_known = false;
        rc = s_pid_push(vf, seq, NULL);
        goto out;
    }
    if (vl_entry_seq(e) != seq) {
        s_problem(vf, "entry %llu: stored as entry %llu", (unsigned long long)vl_entry_seq(e),
                  (unsigned long long)seq);
        vf->state_ok = false;
    }
    if (w->prev_known && memcmp(w->prev, vl_entry_prev(e), VL_HASH_LEN) != 0) {
        if (seq == 1)
            s_problem(vf, "entry 1: broken chain: prev is not the genesis policy hash");
        else
            s_problem(vf, "entry %llu: broken chain: prev is not the hash of entry %llu",
                      (unsigned long long)seq, (unsigned long long)seq - 1);
    }
    /* An entry of a run after its first follows its run-mate (formats.md §6.1). */
    if (w->prev_known && vl_entry_tie(e) && vl_entry_run_index(e) > 0 &&
        (!w->tie_known || memcmp(w->tie, vl_entry_tie(e), VL_HASH_LEN) != 0))
        s_problem(vf, "entry %llu: broken run: entry %llu is not an entry of the same run with "
                  "the same signatures", (unsigned long long)seq, (unsigned long long)seq - 1);
    if ((w->tie_known = vl_entry_tie(e) != NULL))
        memcpy(w->tie, vl_entry_tie(e), VL_HASH_LEN);
    memcpy(w->prev, vl_entry_hash(e), VL_HASH_LEN);
    why[0] = '\0';
    if (vls_pin_check(self, seq, vl_entry_hash(e), why) != VL_OK)
        s_problem(vf, "%s", why);
    if (vl_proposal_epoch(vl_entry_proposal(e)) !=
        vl_policy_epoch(vls_pol_for(self, seq)))
        s_problem(vf, "entry %llu: its proposal is not under the newest content-key epoch "
                  "of policy version %llu", (unsigned long long)seq,
                  (unsigned long long)vl_policy_version(vls_pol_for(self, seq)));
    w->prev_known = vf->last_known = true;
    memcpy(vf->last_hash, vl_entry_hash(e), VL_HASH_LEN);
    memcpy(vf->last_root, vl_entry_root(e), VL_HASH_LEN);

    vl_proposal_t *p = vl_entry_proposal(e);
    const uint8_t *pid = vl_proposal_id(p);
    char hex[2 * VL_KID_LEN + 1];
    int kind;
    uint64_t sseq;
    vls_short(pid, hex);
    if ((rc = vls_settled(self, vf->txn, pid, &kind, &sseq, NULL)) == VL_ESTORE)
        goto out;
    if (rc != VL_OK || kind != 'E' || sseq != seq)
        s_problem(vf, "entry %llu: the settled table does not name it for proposal %s",
                  (unsigned long long)seq, hex);
    if ((rc = s_pid_push(vf, seq, pid)) != VL_OK)
        goto out;

    const uint8_t *ck;
    why[0] = '\0';
    if (vls_ckey(self, vl_proposal_epoch(p), &ck, why) != VL_OK ||
        vl_proposal_open(p, ck, why) != VL_OK) {
        s_problem(vf, "entry %llu: proposal %s: %s", (unsigned long long)seq, hex, why);
        vf->state_ok = false;
    } else if (vf->state_ok && (rc = s_verify_ops(vf, e, p)) != VL_OK) {
        goto out;
    }
    rc = VL_OK;
out:
    vl_entry_destroy(&e);
    return rc;
}

/* Phase 1: the log, from genesis. */
static int
s_verify_log(s_verify_t *vf)
{
    s_log_walk_t w = { .vf = vf, .prev_known = true, .expect = 1 };
    memcpy(w.prev, vl_policy_hash(vls_genesis(vf->self)), VL_HASH_LEN);
    s_step(vf, "log entries", S_LOG);
    vl_root_clear(&vf->acc);
    vl_root_digest(&vf->acc, vf->last_root);
    memcpy(vf->last_hash, w.prev, VL_HASH_LEN);
    vf->last_known = true;
    vf->state_ok = true;
    int rc = vls_scan(vf->self, vf->txn, S_LOG, NULL, 0, s_verify_entry, &w);
    s_step_end(vf);
    return rc;
}

/* A meta name format 1 does not know is a problem. */
static int
s_meta_name(void *ctx, const MDB_val *k, const MDB_val *v)
{
    static const char *const known[] = { "format", "fresh", "genesis", "head_hash", "head_seq",
                                         "root", "root_acc", "run", "salt", "sigs_checked",
                                         NULL };
    s_verify_t *vf = ctx;
    bool ok = false;
    for (size_t i = 0; !ok && known[i]; i++)
        ok = k->mv_size == strlen(known[i]) && memcmp(k->mv_data, known[i], k->mv_size) == 0;
    if (!ok) {
        char shown[48];
        s_show_key(shown, k);
        s_problem(vf, "meta: unknown entry \"%s\"", shown);
    }
    /* The pending run: the first entry of a run, a candidate (a stale one,
     * e.g. under an older version, is dropped by the next approve --all). */
    if (ok && k->mv_size == 3 && memcmp(k->mv_data, "run", 3) == 0) {
        vl_entry_t *e = NULL;
        char why[VL_ERRMSG_MAX] = "";
        int rc = vl_entry_parse(vf->self->pol, v->mv_data, v->mv_size, VL_ENTRY_CANDIDATE, &e,
                                why);
        if (rc == VL_ENOMEM)
            return rc;
        if (rc == VL_OK && (!vl_entry_run(e) || vl_entry_run_index(e) != 0))
            s_problem(vf, "meta: \"run\" is not the first entry of a run");
        else if (rc != VL_OK && rc != VL_EPERM && rc != VL_ENOTFOUND)
            s_problem(vf, "meta: \"run\": %s", why);
        vl_entry_destroy(&e);
    }
    return VL_OK;
}

/* Phase 2: meta against the log. */
static int
s_verify_meta(s_verify_t *vf, vl_root_t *meta_acc, bool *meta_acc_ok)
{
    vl_store_t *self = vf->self;
    MDB_val v;
    uint8_t d[VL_HASH_LEN];
    char why[VL_ERRMSG_MAX] = "";
    *meta_acc_ok = false;
    int rc = vls_meta_get(self, vf->txn, "head_seq", 8, &v, why);
    if (rc == VL_ESTORE)
        return rc;
    if (rc != VL_OK)
        s_problem(vf, "%s", why);
    else if (vls_be64_get(v.mv_data) != vf->last_seq)
        s_problem(vf, "meta: the head is entry %llu, the log ends at entry %llu",
                  (unsigned long long)vls_be64_get(v.mv_data), (unsigned long long)vf->last_seq);
    /* (absent: an older store, every entry verified) */
    if ((rc = vls_get(self, vf->txn, S_META, "sigs_checked", 12, &v, NULL)) == VL_ESTORE)
        return rc;
    if (rc == VL_OK && v.mv_size != 8)
        s_problem(vf, "meta: \"sigs_checked\" is %zu bytes, want 8", v.mv_size);
    else if (rc == VL_OK && vls_be64_get(v.mv_data) > vf->last_seq)
        s_problem(vf, "meta: \"sigs_checked\" (%llu) is past the last entry (%llu)",
                  (unsigned long long)vls_be64_get(v.mv_data), (unsigned long long)vf->last_seq);
    why[0] = '\0';
    if ((rc = vls_meta_get(self, vf->txn, "head_hash", VL_HASH_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK)
        s_problem(vf, "%s", why);
    else if (vf->last_known && memcmp(v.mv_data, vf->last_hash, VL_HASH_LEN) != 0)
        s_problem(vf, "meta: the head hash is not the hash of the last entry");
    why[0] = '\0';
    uint8_t meta_root[VL_HASH_LEN];
    bool root_ok = false;
    if ((rc = vls_meta_get(self, vf->txn, "root", VL_HASH_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK) {
        s_problem(vf, "%s", why);
    } else {
        root_ok = true;
        memcpy(meta_root, v.mv_data, VL_HASH_LEN);
        if (vf->last_known && memcmp(meta_root, vf->last_root, VL_HASH_LEN) != 0)
            s_problem(vf, "meta: the state root is not the root of the last entry");
    }
    why[0] = '\0';
    if ((rc = vls_meta_get(self, vf->txn, "root_acc", VL_ROOT_ACC_LEN, &v, why)) == VL_ESTORE)
        return rc;
    if (rc != VL_OK) {
        s_problem(vf, "%s", why);
        return VL_OK;
    }
    vl_root_load(meta_acc, v.mv_data, v.mv_size);
    *meta_acc_ok = true;
    /* Nothing else may live in meta (format 1 knows these names only). */
    if (vls_scan(self, vf->txn, S_META, NULL, 0, s_meta_name, vf) != VL_OK)
        return VL_ESTORE;
    vl_root_digest(meta_acc, d);
    if (root_ok && memcmp(d, meta_root, VL_HASH_LEN) != 0)
        s_problem(vf, "meta: the root accumulator does not give the stored state root");
    if (vf->state_ok && memcmp(meta_acc, &vf->acc, sizeof vf->acc) != 0)
        s_problem(vf, "meta: the root accumulator differs from the one replayed from the log");
    return VL_OK;
}

typedef struct {
    s_keys_t *keys;
    const char *id;
} s_keyterm_t;

static int
s_keyterm_cb(void *ctx, const char *term)
{
    s_keyterm_t *t = ctx;
    uint8_t key[S_IDX_KEY_MAX];
    size_t klen = vls_idx_key(key, term, t->id, strlen(t->id));
    return klen ? s_keys_add(t->keys, key, klen) : VL_OK;
}

/* Phase 3's walk: the accumulator of the records as stored. */
typedef struct {
    s_verify_t *vf;
    vl_root_t racc;
} s_rec_walk_t;

static int
s_verify_record(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_rec_walk_t *w = ctx;
    s_verify_t *vf = w->vf;
    vl_record_t *rec = NULL;
    char why[VL_ERRMSG_MAX], id[VL_MAX_ID + 1];
    int rc;
    s_tick(vf);
    if (!vl_record_id_valid(k->mv_data, k->mv_size)) {
        char shown[48];
        s_show_key(shown, k);
        s_problem(vf, "records: key \"%s\" is not a record id", shown);
        return VL_OK;
    }
    memcpy(id, k->mv_data, k->mv_size);
    id[k->mv_size] = '\0';
    s_slot_t *s = s_map_find(&vf->map, id);
    uint64_t rev;
    s_recval_t rv;
    why[0] = '\0';
    if ((rc = vls_rec_open(vf->self, id, k->mv_size, v, true, &rec, &rev, &rv, why)) != VL_OK) {
        if (rc == VL_ENOMEM)
            return rc;
        s_problem(vf, "%s", why);
        if (s || s_map_add(&vf->map, id, &s) == VL_OK)
            s->bad = true;
        return VL_OK;
    }
    size_t blen;
    const uint8_t *body = vl_record_body(rec, &blen);
    uint8_t leaf[VL_HASH_LEN];
    vl_root_leaf(leaf, id, rev, body, blen);
    vl_root_insert(&w->racc, leaf);
    /* Adopting a new epoch re-encrypts every record in the same transaction
     * (docs/store.md §2.2), so from format 3 on a value under any other
     * epoch was not written by this store: left behind, or put back from an
     * older copy. Formats 1 and 2, opened read-only, are all under epoch 0.
     * Likewise a format-4 store holds only compressed values (version 3). */
    uint32_t cur = vl_policy_epoch(vf->self->pol);
    if (vf->self->fmt >= 3 && rv.epoch != cur)
        s_problem(vf, "record %s: at rest under the key of epoch %u, not the current "
                  "epoch %u", id, rv.epoch, cur);
    if (vf->self->fmt == S_FORMAT && !rv.z)
        s_problem(vf, "record %s: an uncompressed value in a format %u store: not written "
                  "by this store", id, S_FORMAT);
    s_keyterm_t t = { &vf->keys, id };
    rc = vl_record_terms(rec, s_keyterm_cb, &t);
    vl_record_destroy(&rec);
    if (rc != VL_OK)
        return rc;
    if (!vf->state_ok)
        return VL_OK;
    if (!s || !s->live) {
        s_problem(vf, "record %s: not in the log (no entry wrote it, or it was deleted)", id);
        return VL_OK;
    }
    s->seen = true;
    if (rev != s->rev)
        s_problem(vf, "record %s: revision %llu, the log says %llu", id,
                  (unsigned long long)rev, (unsigned long long)s->rev);
    else if (memcmp(leaf, s->leaf, VL_HASH_LEN) != 0)
        s_problem(vf, "record %s: body differs from the log's", id);
    else if (rv.seq != s->seq || rv.op != s->op)
        s_problem(vf, "record %s: says entry %llu op %u wrote it, the log says entry %llu "
                  "op %u", id, (unsigned long long)rv.seq, rv.op,
                  (unsigned long long)s->seq, s->op);
    return VL_OK;
}

/* Phase 3: the records table against the log and the accumulator. */
static int
s_verify_records(s_verify_t *vf, const vl_root_t *meta_acc, bool meta_acc_ok)
{
    s_rec_walk_t w = { .vf = vf };
    vl_root_clear(&w.racc);
    s_step(vf, "records", S_RECORDS);
    int rc = vls_scan(vf->self, vf->txn, S_RECORDS, NULL, 0, s_verify_record, &w);
    s_step_end(vf);
    if (rc != VL_OK)
        return rc;
    if (vf->state_ok)
        for (size_t i = 0; i < vf->map.cap; i++) {
            const s_slot_t *s = &vf->map.slots[i];
            if (s->id[0] && s->live && !s->seen && !s->bad)
                s_problem(vf, "record %s: missing (the log has revision %llu)", s->id,
                          (unsigned long long)s->rev);
        }
    if (meta_acc_ok && memcmp(meta_acc, &w.racc, sizeof w.racc) != 0)
        s_problem(vf, "meta: the root accumulator does not match the current records");
    return VL_OK;
}

/* Is the id part of an index key one whose record did not open? */
static bool
s_idx_bad_id(const s_verify_t *vf, const uint8_t *key, size_t klen)
{
    const uint8_t *nul = memchr(key, 0, klen);
    if (!nul)
        return false;
    size_t idlen = klen - (size_t)(nul + 1 - key);
    char id[VL_MAX_ID + 1];
    if (idlen == 0 || idlen > VL_MAX_ID)
        return false;
    memcpy(id, nul + 1, idlen);
    id[idlen] = '\0';
    const s_slot_t *s = s_map_find(&vf->map, id);
    return s && s->bad;
}

static void
s_idx_show(char *out, size_t cap, const uint8_t *key, size_t klen)
{
    const uint8_t *nul = memchr(key, 0, klen);
    char term[S_TERM_MAX + 1], id[VL_MAX_ID + 1];
    if (!nul) {
        s_printable(term, sizeof term, key, klen);
        snprintf(out, cap, "\"%s\" (no separator)", term);
        return;
    }
    s_printable(term, sizeof term, key, (size_t)(nul - key));
    s_printable(id, sizeof id, nul + 1, klen - (size_t)(nul + 1 - key));
    snprintf(out, cap, "term %s of record %s", term, id);
}

/* Phase 4: the index holds exactly the terms of the current records. */
static int
s_verify_index(s_verify_t *vf)
{
    MDB_cursor *cur = NULL;
    s_keys_t *ks = &vf->keys;
    char shown[256];
    int mrc;
    s_sort_buf = ks->buf;
    if (ks->n > 1)
        qsort(ks->off, ks->n, sizeof *ks->off, s_off_cmp);
    if ((mrc = mdb_cursor_open(vf->txn, vf->self->dbi[S_INDEX], &cur)) != 0)
        return VL_ESTORE;
    MDB_val k, v;
    size_t i = 0;
    s_step(vf, "index terms", S_INDEX);
    mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 || i < ks->n) {
        const uint8_t *exp = i < ks->n ? ks->buf + ks->off[i] : NULL;
        int c;
        if (mrc != 0)
            c = 1; /* only expected keys left */
        else if (!exp)
            c = -1; /* only index keys left */
        else
            c = s_keycmp(k.mv_data, k.mv_size, exp + 1, exp[0]);
        if (c == 0) {
            if (v.mv_size != 0) {
                s_idx_show(shown, sizeof shown, k.mv_data, k.mv_size);
                s_problem(vf, "index: %s carries a value", shown);
            }
            i++;
            s_tick(vf);
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        } else if (c < 0) {
            if (!s_idx_bad_id(vf, k.mv_data, k.mv_size)) {
                s_idx_show(shown, sizeof shown, k.mv_data, k.mv_size);
                s_problem(vf, "index: %s does not belong to any current record", shown);
            }
            s_tick(vf);
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        } else {
            s_idx_show(shown, sizeof shown, exp + 1, exp[0]);
            s_problem(vf, "index: %s is missing", shown);
            i++;
        }
        if (mrc != 0 && mrc != MDB_NOTFOUND)
            break;
    }
    mdb_cursor_close(cur);
    s_step_end(vf);
    return (mrc == 0 || mrc == MDB_NOTFOUND) ? VL_OK : VL_ESTORE;
}

/* A key of pending, candidates, settled or rejections is a proposal id:
 * false (a problem) if not, else its short hex in hex. */
static bool
s_id_key(s_verify_t *vf, const char *table, const MDB_val *k, char hex[2 * VL_KID_LEN + 1])
{
    if (k->mv_size != VL_HASH_LEN) {
        s_problem(vf, "%s: a key is not a proposal id", table);
        return false;
    }
    vls_short(k->mv_data, hex);
    return true;
}

static int
s_verify_pending(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_verify_t *vf = ctx;
    vl_proposal_t *p = NULL;
    char hex[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX];
    int kind;
    if (!s_id_key(vf, "pending", k, hex))
        return VL_OK;
    why[0] = '\0';
    if (vls_prop_open(vf->self, v->mv_data, v->mv_size, &p, why) != VL_OK)
        s_problem(vf, "pending: proposal %s: %s", hex, why);
    else if (memcmp(vl_proposal_id(p), k->mv_data, VL_HASH_LEN) != 0)
        s_problem(vf, "pending: proposal %s is stored under another id", hex);
    vl_proposal_destroy(&p);
    if (vls_settled(vf->self, vf->txn, k->mv_data, &kind, NULL, NULL) == VL_OK && kind)
        s_problem(vf, "pending: proposal %s is already settled", hex);
    return VL_OK;
}

static int
s_verify_candidate(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_verify_t *vf = ctx;
    vl_entry_t *e = NULL;
    MDB_val x;
    char hex[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX];
    if (!s_id_key(vf, "candidates", k, hex))
        return VL_OK;
    if (vls_get(vf->self, vf->txn, S_PENDING, k->mv_data, VL_HASH_LEN, &x, NULL) != VL_OK)
        s_problem(vf, "candidates: proposal %s is not pending", hex);
    why[0] = '\0';
    int crc = vl_entry_parse(vf->self->pol, v->mv_data, v->mv_size, VL_ENTRY_CANDIDATE, &e, why);
    if (crc == VL_EPERM || crc == VL_ENOTFOUND)
        ; /* made under an older version: approving rebuilds it */
    else if (crc != VL_OK)
        s_problem(vf, "candidates: proposal %s: %s", hex, why);
    else if (memcmp(vl_proposal_id(vl_entry_proposal(e)), k->mv_data, VL_HASH_LEN) != 0)
        s_problem(vf, "candidates: the entry for %s settles another proposal", hex);
    vl_entry_destroy(&e);
    return VL_OK;
}

static int
s_verify_settled(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_verify_t *vf = ctx;
    const uint8_t *val = v->mv_data;
    MDB_val x;
    char hex[2 * VL_KID_LEN + 1];
    if (!s_id_key(vf, "settled", k, hex))
        return VL_OK;
    if (v->mv_size == 9 && val[0] == 'E') {
        uint64_t seq = vls_be64_get(val + 1);
        bool present;
        const uint8_t *pid = s_pid_of(vf, seq, &present);
        if (present && !pid)
            return VL_OK; /* that entry is unreadable: already reported */
        if (!pid || memcmp(pid, k->mv_data, VL_HASH_LEN) != 0)
            s_problem(vf, "settled: proposal %s names entry %llu, which does not settle it",
                      hex, (unsigned long long)seq);
    } else if ((v->mv_size == 1 || v->mv_size == 1 + VL_PK_LEN) && val[0] == 'R') {
        if (vls_get(vf->self, vf->txn, S_REJECTIONS, k->mv_data, VL_HASH_LEN, &x, NULL) != VL_OK)
            s_problem(vf, "settled: proposal %s is marked rejected without a rejection", hex);
    } else if (v->mv_size > 9 && val[0] == 'L') {
        /* Lapsed when version `ver` was adopted: it was pending under ver - 1. */
        uint64_t ver = vls_be64_get(val + 1);
        vl_proposal_t *p = NULL;
        if (ver < 2 || ver > vf->self->npols)
            s_problem(vf, "settled: proposal %s lapsed at policy version %llu, which this "
                      "store does not have", hex, (unsigned long long)ver);
        else if (vl_proposal_parse(vf->self->pols[ver - 2], val + 9, v->mv_size - 9, &p,
                                   NULL) != VL_OK ||
                 memcmp(vl_proposal_id(p), k->mv_data, VL_HASH_LEN) != 0)
            s_problem(vf, "settled: the lapsed proposal stored for %s does not verify or is "
                      "another proposal", hex);
        vl_proposal_destroy(&p);
    } else {
        s_problem(vf, "settled: proposal %s: malformed value", hex);
    }
    return VL_OK;
}

static int
s_verify_rejection(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_verify_t *vf = ctx;
    vl_rejection_t *r = NULL;
    char hex[2 * VL_KID_LEN + 1], why[VL_ERRMSG_MAX];
    int kind;
    if (!s_id_key(vf, "rejections", k, hex))
        return VL_OK;
    why[0] = '\0';
    if (vls_rej_parse(vf->self, v->mv_data, v->mv_size, &r, why) != VL_OK)
        s_problem(vf, "rejections: proposal %s: %s", hex, why);
    else if (memcmp(vl_rejection_proposal(r), k->mv_data, VL_HASH_LEN) != 0)
        s_problem(vf, "rejections: the rejection stored for %s names another proposal", hex);
    vl_rejection_destroy(&r);
    if (vls_settled(vf->self, vf->txn, k->mv_data, &kind, NULL, NULL) != VL_OK || kind != 'R')
        s_problem(vf, "rejections: proposal %s is not marked rejected in settled", hex);
    return VL_OK;
}

/* What the daemon knows of each peer: not signed, but must decode. */
static int
s_verify_peer(void *ctx, const MDB_val *k, const MDB_val *v)
{
    s_verify_t *vf = ctx;
    vl_peer_info_t pi;
    char shown[48], why[VL_ERRMSG_MAX];
    s_show_key(shown, k);
    why[0] = '\0';
    if (vls_peer_decode(v->mv_data, v->mv_size, &pi, why) != VL_OK)
        s_problem(vf, "peers: the record of \"%s\" is malformed: %s", shown, why);
    else if (k->mv_size != strlen(pi.addr) || memcmp(k->mv_data, pi.addr, k->mv_size) != 0)
        s_problem(vf, "peers: the record stored under \"%s\" names another address", shown);
    return VL_OK;
}

/* Phase 5: pending work, settled ids, rejections and peers. */
static int
s_verify_work(s_verify_t *vf)
{
    static const struct {
        int db;
        const char *name;
        vls_scan_fn check;
    } tables[] = {
        { S_PENDING, "pending", s_verify_pending },
        { S_CANDIDATES, "candidates", s_verify_candidate },
        { S_SETTLED, "settled", s_verify_settled },
        { S_REJECTIONS, "rejections", s_verify_rejection },
        { S_PEERS, "peers", s_verify_peer },
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        s_phase(vf, tables[i].name);
        if (vls_scan(vf->self, vf->txn, tables[i].db, NULL, 0, tables[i].check, vf) != VL_OK)
            return VL_ESTORE;
    }
    return VL_OK;
}

int
vl_store_verify(vl_store_t *self, void (*report)(void *ctx, const char *line), void *ctx,
                size_t *problems)
{
    return vl_store_verify_phases(self, report, NULL, ctx, problems);
}

int
vl_store_verify_phases(vl_store_t *self, void (*report)(void *ctx, const char *line),
                       void (*phase)(void *ctx, const char *db), void *ctx, size_t *problems)
{
    const vl_verify_cb_t cb = { .report = report, .phase = phase, .ctx = ctx };
    return vl_store_verify_ex(self, &cb, problems);
}

int
vl_store_verify_ex(vl_store_t *self, const vl_verify_cb_t *cb, size_t *problems)
{
    assert(self && cb);
    void (*report)(void *ctx, const char *line) = cb->report;
    void *ctx = cb->ctx;
    s_verify_t vf;
    vl_root_t meta_acc;
    bool meta_acc_ok = false;
    memset(&vf, 0, sizeof vf);
    vf.self = self;
    vf.report = report;
    vf.phase = cb->phase;
    vf.progress = cb->progress;
    vf.ctx = ctx;
    if (problems)
        *problems = 0;
    int rc = vls_txn_begin(self, true, &vf.txn, NULL);
    if (rc != VL_OK)
        return rc == S_MAP_FULL ? VL_ESTORE : rc;
    s_phase(&vf, "log");
    if ((rc = s_verify_log(&vf)) != VL_OK)
        goto out;
    if (!vf.state_ok && report)
        report(ctx, "note: the log could not be replayed completely, so the records were not "
                    "compared with it");
    s_phase(&vf, "meta");
    if ((rc = s_verify_meta(&vf, &meta_acc, &meta_acc_ok)) != VL_OK)
        goto out;
    s_phase(&vf, "records");
    if ((rc = s_verify_records(&vf, &meta_acc, meta_acc_ok)) != VL_OK)
        goto out;
    s_phase(&vf, "index");
    if ((rc = s_verify_index(&vf)) != VL_OK || (rc = s_verify_work(&vf)) != VL_OK)
        goto out;
    rc = vf.problems ? VL_ECORRUPT : VL_OK;
out:
    vls_read_end(self, &vf.txn);
    if (problems)
        *problems = vf.problems;
    s_map_free(&vf.map);
    free(vf.pids);
    free(vf.keys.buf);
    free(vf.keys.off);
    return rc;
}
