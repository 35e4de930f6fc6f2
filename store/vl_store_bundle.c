/* SPDX-License-Identifier: MIT */
/*
 * vl_store_bundle - bundles (docs/formats.md §11): making one from this
 * store, and importing one with exactly the rules a live peer's data meets
 * (docs/protocol.md §4, docs/trust.md): a bundle is a peer that arrives on a
 * stick.
 *
 * Contract: create reads through the public calls a serving node uses
 * (vl_store_entry_bytes, vl_store_pending_bytes, vl_store_rejection_bytes,
 * vl_store_fresh_bytes, vl_store_evidence_each) and streams the bundle. Import
 * runs in two phases: phase 1 checks everything it can without writing
 * (the only write it may make is fork evidence, as a node does on a fork
 * probe); phase 2 feeds the objects to the same calls the node uses
 * (vl_store_policy_adopt, vl_store_append_chain, vl_store_evidence_put,
 * vl_store_fresh_put, vl_store_accept_rejection, vl_store_propose) and
 * counts what a node would silently skip as known. Then the signature
 * audit runs over the new entries, so that a store no daemon serves still
 * has every signature checked.
 *
 * Layer (map in vl_store_int.h): calls the files above it only (the public
 * calls of log, pending, reject, adopt, fresh, fork, policy, head).
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "vl_entry.h"
#include "vl_envelope.h"
#include "vl_fresh.h"
#include "vl_proposal.h"
#include "vl_rejection.h"

/* ---- create ------------------------------------------------------------------ */

/* A growing list of owned byte strings (pairs for evidence). */
typedef struct {
    uint8_t **a, **b;
    size_t *alen, *blen;
    size_t n, cap;
} s_objs_t;

static int
s_objs_add(s_objs_t *o, uint8_t *a, size_t alen, uint8_t *b, size_t blen)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        uint8_t **na = realloc(o->a, cap * sizeof *na);
        if (na)
            o->a = na;
        uint8_t **nb = realloc(o->b, cap * sizeof *nb);
        if (nb)
            o->b = nb;
        size_t *nal = realloc(o->alen, cap * sizeof *nal);
        if (nal)
            o->alen = nal;
        size_t *nbl = realloc(o->blen, cap * sizeof *nbl);
        if (nbl)
            o->blen = nbl;
        if (!na || !nb || !nal || !nbl)
            return VL_ENOMEM;
        o->cap = cap;
    }
    o->a[o->n] = a;
    o->alen[o->n] = alen;
    o->b[o->n] = b;
    o->blen[o->n] = blen;
    o->n++;
    return VL_OK;
}

static void
s_objs_free(s_objs_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->a[i]);
        free(o->b[i]);
    }
    free(o->a);
    free(o->b);
    free(o->alen);
    free(o->blen);
    memset(o, 0, sizeof *o);
}

static int
s_ev_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    (void)seq;
    uint8_t *ca = malloc(alen), *cb = malloc(blen);
    if (!ca || !cb) {
        free(ca);
        free(cb);
        return VL_ENOMEM;
    }
    memcpy(ca, a, alen);
    memcpy(cb, b, blen);
    int rc = s_objs_add(ctx, ca, alen, cb, blen);
    if (rc != VL_OK) {
        free(ca);
        free(cb);
    }
    return rc;
}

typedef struct {
    uint8_t (*ids)[VL_HASH_LEN];
    size_t n, cap;
} s_ids_t;

static int
s_rej_id_cb(void *ctx, const vl_rejection_t *r)
{
    s_ids_t *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        uint8_t (*g)[VL_HASH_LEN] = realloc(c->ids, cap * sizeof *g);
        if (!g)
            return VL_ENOMEM;
        c->ids = g;
        c->cap = cap;
    }
    memcpy(c->ids[c->n++], vl_rejection_proposal(r), VL_HASH_LEN);
    return 0;
}

int
vl_store_bundle_create(vl_store_t *self, FILE *f, const vl_want_t *want, uint64_t since,
                       uint64_t now, vl_bundle_sum_t *sum, char *err)
{
    assert(self && f && sum);
    memset(sum, 0, sizeof *sum);
    vl_bundle_hdr_t h;
    vl_head_t head;
    s_objs_t fresh = { 0 }, ev = { 0 }, props = { 0 }, rejs = { 0 };
    uint8_t (*pids)[VL_HASH_LEN] = NULL;
    s_ids_t rids = { 0 };
    size_t npids = 0;
    vl_bundle_wr_t *w = NULL;
    uint8_t *e = NULL;
    int rc;
    if (!self->kp)
        return vl_err(err, VL_EPERM, "making a bundle needs a member's key");
    if ((rc = vl_store_head(self, &head)) != VL_OK)
        return vl_err(err, rc, "cannot read the head");
    const vl_policy_t *pol = self->pol; /* synced by vl_store_head's read txn */
    uint64_t pv_from = 1;
    if (want) {
        char a[2 * VL_NETID_LEN + 1], b[2 * VL_NETID_LEN + 1];
        if (memcmp(want->net, vl_policy_net(pol), VL_NETID_LEN) != 0) {
            vl_hex(want->net, VL_NETID_LEN, a);
            vl_hex(vl_policy_net(pol), VL_NETID_LEN, b);
            return vl_err(err, VL_EINVAL, "the want is for network %s, this store is %s (%s)",
                          a, vl_policy_name(pol), b);
        }
        if (want->head <= head.seq) {
            uint8_t link[VL_HASH_LEN];
            if ((rc = vl_store_link(self, want->head, link, err)) != VL_OK)
                return rc;
            if (memcmp(link, want->hash, VL_HASH_LEN) != 0)
                return vl_err(err, VL_ECHAIN, "the receiver's log differs from ours at entry "
                              "%llu", (unsigned long long)want->head);
        }
        since = want->head;
        /* A hostile want may name any number: no wrap-around. */
        pv_from = want->policy < UINT64_MAX ? want->policy + 1 : UINT64_MAX;
    }
    memset(&h, 0, sizeof h);
    memcpy(h.net, vl_policy_net(pol), VL_NETID_LEN);
    snprintf(h.name, sizeof h.name, "%s", vl_policy_name(pol));
    memcpy(h.maker, vl_keypair_pk(self->kp), VL_PK_LEN);
    h.time = now;
    h.policy = vl_policy_version(pol);
    if (pv_from <= h.policy)
        h.counts[VL_BK_POLICY] = h.policy - pv_from + 1;
    if (since < head.seq) {
        h.from = since + 1;
        h.to = head.seq;
        h.counts[VL_BK_ENTRY] = h.to - h.from + 1;
    }
    /* The statement, the evidence, the pending proposals, the rejections. */
    uint8_t *st = NULL;
    size_t slen = 0;
    rc = vl_store_fresh_bytes(self, &st, &slen);
    if (rc == VL_OK) {
        vl_fresh_t fs;
        if (vl_fresh_parse(pol, st, slen, &fs, NULL) == VL_OK &&
            (!want || fs.issued > want->fresh)) {
            if ((rc = s_objs_add(&fresh, st, slen, NULL, 0)) != VL_OK) {
                free(st);
                goto out;
            }
        } else {
            free(st);
        }
    } else if (rc != VL_ENOTFOUND) {
        rc = vl_err(err, rc, "cannot read the freshness statement");
        goto out;
    }
    if ((rc = vl_store_evidence_each(self, s_ev_cb, &ev)) != VL_OK) {
        rc = vl_err(err, rc, "cannot read the evidence");
        goto out;
    }
    if ((rc = vl_store_pending_ids(self, &pids, &npids, NULL)) != VL_OK) {
        rc = vl_err(err, rc, "cannot read the pending proposals");
        goto out;
    }
    for (size_t i = 0; i < npids; i++) {
        uint8_t *p = NULL;
        size_t plen = 0;
        if (vl_store_pending_bytes(self, pids[i], &p, &plen) != VL_OK)
            continue; /* settled meanwhile */
        if ((rc = s_objs_add(&props, p, plen, NULL, 0)) != VL_OK) {
            free(p);
            goto out;
        }
    }
    if ((rc = vl_store_rejections_each(self, s_rej_id_cb, &rids)) != VL_OK) {
        rc = vl_err(err, rc, "cannot read the rejections");
        goto out;
    }
    for (size_t i = 0; i < rids.n; i++) {
        uint8_t *r = NULL;
        size_t rlen = 0;
        if (vl_store_rejection_bytes(self, rids.ids[i], &r, &rlen) != VL_OK)
            continue; /* by an approver the current version no longer has: not relayed */
        if ((rc = s_objs_add(&rejs, r, rlen, NULL, 0)) != VL_OK) {
            free(r);
            goto out;
        }
    }
    h.counts[VL_BK_FRESH] = fresh.n;
    h.counts[VL_BK_EVIDENCE] = ev.n;
    h.counts[VL_BK_PROPOSAL] = props.n;
    h.counts[VL_BK_REJECTION] = rejs.n;

    if ((rc = vl_bundle_wr_start(f, &h, &w, err)) != VL_OK)
        goto out;
    for (uint64_t v = pv_from; v <= h.policy; v++) {
        size_t len = 0;
        const vl_policy_t *pv = vl_store_policy_at(self, v);
        const uint8_t *b = pv ? vl_policy_bytes(pv, &len) : NULL;
        if (!b) {
            rc = vl_err(err, VL_ECORRUPT, "policy version %llu cannot be read",
                        (unsigned long long)v);
            goto out;
        }
        if ((rc = vl_bundle_wr_add(w, VL_BK_POLICY, b, len, NULL, 0, err)) != VL_OK)
            goto out;
    }
    for (uint64_t s = h.from; h.counts[VL_BK_ENTRY] && s <= h.to; s++) {
        size_t len = 0;
        if ((rc = vl_store_entry_bytes(self, s, &e, &len, err)) != VL_OK ||
            (rc = vl_bundle_wr_add(w, VL_BK_ENTRY, e, len, NULL, 0, err)) != VL_OK)
            goto out;
        free(e);
        e = NULL;
    }
    const s_objs_t *lists[] = { &fresh, &ev, &props, &rejs };
    const vl_bkind_t kinds[] = { VL_BK_FRESH, VL_BK_EVIDENCE, VL_BK_PROPOSAL, VL_BK_REJECTION };
    for (size_t l = 0; l < 4; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            if ((rc = vl_bundle_wr_add(w, kinds[l], lists[l]->a[i], lists[l]->alen[i],
                                       lists[l]->b[i], lists[l]->blen[i], err)) != VL_OK)
                goto out;
    if ((rc = vl_bundle_wr_finish(w, self->kp, &sum->size, err)) != VL_OK)
        goto out;
    sum->from = h.from;
    sum->to = h.to;
    memcpy(sum->counts, h.counts, sizeof sum->counts);
    sum->head = head.seq;
out:
    free(e);
    vl_bundle_wr_destroy(&w);
    s_objs_free(&fresh);
    s_objs_free(&ev);
    s_objs_free(&props);
    s_objs_free(&rejs);
    free(pids);
    free(rids.ids);
    return rc;
}

/* ---- import ------------------------------------------------------------------ */

typedef struct {
    vl_store_t *self;
    const vl_bundle_t *b;
    bool check_only;
    vl_head_t head;
    vl_policy_t **newp;          /* carried versions beyond ours, verified */
    const uint8_t **newdoc;      /* their bytes (borrowed from the bundle) */
    size_t *newlen;
    size_t nnew;
    size_t e0, ne;               /* items of the entries: [e0, e0 + ne) */
    size_t first_new;            /* item index of the first entry beyond our head */
    bool *skip_ev;               /* evidence the store cannot check yet */
    vl_progress_fn progress;     /* may be NULL */
    void *pctx;
} s_imp_t;

/* Progress: item `done` of the bundle's items in step `what`. */
static void
s_prog(const s_imp_t *c, const char *what, size_t done)
{
    size_t n = vl_bundle_count(c->b);
    if (c->progress)
        c->progress(c->pctx, what, done < n ? done : n, n);
}

static const vl_policy_t *
s_newest(const s_imp_t *c)
{
    return c->nnew ? c->newp[c->nnew - 1] : c->self->pol;
}

/* The version in force at seq over our chain and the carried versions. */
static const vl_policy_t *
s_pol_for(const s_imp_t *c, uint64_t seq)
{
    for (size_t i = c->nnew; i-- > 0;)
        if (vl_policy_from(c->newp[i]) <= seq)
            return c->newp[i];
    return vls_pol_for(c->self, seq);
}

/* vl_store_entry_parse over the chain with the carried versions. */
static int
s_entry_parse(const s_imp_t *c, const uint8_t *buf, size_t len, unsigned flags,
              vl_entry_t **e, char *err)
{
    vl_entry_head_t eh;
    int rc = vl_entry_peek(buf, len, &eh, err);
    if (rc != VL_OK)
        return rc;
    const vl_policy_t *pol = s_pol_for(c, eh.seq);
    rc = vl_entry_parse(pol, buf, len, flags, e, err);
    if (rc == VL_ENOTFOUND && pol != s_newest(c))
        rc = VL_EPERM;
    return rc;
}

/* Phase 1, policies: each carried version equals ours or verifies as the
 * next one, with the checks vl_store_policy_adopt makes. */
static int
s_check_policies(s_imp_t *c, char *err)
{
    vl_store_t *self = c->self;
    const vl_bundle_hdr_t *h = vl_bundle_hdr(c->b);
    size_t np = (size_t)h->counts[VL_BK_POLICY];
    uint8_t *k = NULL;
    int rc = VL_OK;
    if (np && !(c->newp = calloc(np, sizeof *c->newp))) 
        return VL_ENOMEM;
    if (np && (!(c->newdoc = calloc(np, sizeof *c->newdoc)) ||
               !(c->newlen = calloc(np, sizeof *c->newlen))))
        return VL_ENOMEM;
    uint64_t cur = vl_policy_version(self->pol);
    for (size_t i = 0; i < np; i++) {
        vl_bundle_item_t it;
        uint64_t ver = 0;
        s_prog(c, "items checked", i);
        vl_bundle_item(c->b, i, &it);
        if ((rc = vl_envelope_peek_uint(it.a, it.alen, "version", &ver, err)) != VL_OK)
            goto out;
        if (ver <= cur) {
            vl_policy_t *same = NULL;
            rc = ver == 1 ? vl_policy_parse(it.a, it.alen, 0, &same, err)
                          : vl_policy_parse_next(self->pols[ver - 2], it.a, it.alen, 0, &same,
                                                 err);
            if (rc != VL_OK)
                goto out;
            bool eq = memcmp(vl_policy_hash(same), vl_policy_hash(self->pols[ver - 1]),
                             VL_HASH_LEN) == 0;
            vl_policy_destroy(&same);
            if (!eq) {
                rc = vl_err(err, VL_ESTALE, "policy version %llu in the bundle differs from "
                            "this store's (%s refused)", (unsigned long long)ver,
                            ver < cur ? "rollback" : "fork");
                goto out;
            }
            continue;
        }
        uint64_t want = cur + 1 + c->nnew;
        if (ver != want) {
            rc = vl_err(err, VL_ENOTFOUND, "the bundle carries policy version %llu; this "
                        "store needs version %llu first", (unsigned long long)ver,
                        (unsigned long long)want);
            goto out;
        }
        vl_policy_t *next = NULL;
        if ((rc = vl_policy_parse_next(s_newest(c), it.a, it.alen, 0, &next, err)) != VL_OK) {
            if (rc == VL_EPERM)
                rc = VL_EAUTH;
            goto out;
        }
        c->newp[c->nnew] = next;
        c->newdoc[c->nnew] = it.a;
        c->newlen[c->nnew] = it.alen;
        c->nnew++;
        uint64_t from = vl_policy_from(next);
        if (c->head.seq >= from) {
            rc = vl_err(err, VL_ECHAIN, "policy version %llu starts at entry %llu, but this "
                        "log already holds entry %llu (another history)",
                        (unsigned long long)ver, (unsigned long long)from,
                        (unsigned long long)c->head.seq);
            goto out;
        }
        if (c->head.seq + 1 == from &&
            memcmp(c->head.hash, vl_policy_after(next), VL_HASH_LEN) != 0) {
            rc = vl_err(err, VL_ECHAIN, "policy version %llu was made after another entry "
                        "%llu than this log's (another history)", (unsigned long long)ver,
                        (unsigned long long)c->head.seq);
            goto out;
        }
        if (!self->kp)
            continue; /* a keyless check: membership and content keys not known */
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(self->kp), kid);
        if (!vl_policy_roles(next, vl_keypair_pk(self->kp))) {
            rc = vl_err(err, VL_EPERM, "this store's key %s is not a member of policy version "
                        "%llu (revoked or rotated): import with a key of that version", kid,
                        (unsigned long long)ver);
            goto out;
        }
        if (!k && !(k = vl_secure_alloc(VL_KEY_LEN))) {
            rc = VL_ENOMEM;
            goto out;
        }
        for (uint32_t e = 0; e <= vl_policy_epoch(next); e++)
            if (vl_policy_content_key(next, e, self->kp, k) != VL_OK) {
                rc = vl_err(err, VL_EAUTH, "policy version %llu: the content key of epoch %u "
                            "does not open for key %s", (unsigned long long)ver, e, kid);
                goto out;
            }
    }
out:
    vl_secure_free(&k);
    return rc;
}

/* Phase 1, entries (items [e0, e0 + ne)). */
static int
s_check_entries(s_imp_t *c, char *err)
{
    vl_store_t *self = c->self;
    const vl_bundle_hdr_t *h = vl_bundle_hdr(c->b);
    vl_entry_t *e = NULL;
    uint8_t *ours = NULL;
    uint8_t link[VL_HASH_LEN];
    char why[VL_ERRMSG_MAX] = "";
    int rc = VL_OK;
    c->first_new = c->e0 + c->ne;
    if (c->ne == 0)
        return VL_OK;
    if (h->from > c->head.seq + 1)
        return vl_err(err, VL_ENOTFOUND, "bundle starts at entry %llu; this store's head is "
                      "%llu: entries %llu..%llu are missing", (unsigned long long)h->from,
                      (unsigned long long)c->head.seq, (unsigned long long)c->head.seq + 1,
                      (unsigned long long)h->from - 1);
    memcpy(link, c->head.hash, VL_HASH_LEN);
    for (size_t i = 0; i < c->ne; i++) {
        vl_bundle_item_t it;
        uint64_t seq = h->from + i;
        s_prog(c, "items checked", c->e0 + i);
        vl_bundle_item(c->b, c->e0 + i, &it);
        if (seq <= c->head.seq) {
            /* Held here: it must be ours, byte for byte (the link covers
             * every byte, signatures included). */
            size_t olen = 0;
            if ((rc = vl_store_entry_bytes(self, seq, &ours, &olen, err)) != VL_OK)
                goto out;
            bool same = olen == it.alen && memcmp(ours, it.a, olen) == 0;
            free(ours);
            ours = NULL;
            if (same)
                continue;
            if (c->check_only || self->rdonly) {
                rc = vl_err(err, VL_EFORK, "the bundle's entry %llu differs from this store's "
                            "(a fork, or a forged entry)", (unsigned long long)seq);
                goto out;
            }
            rc = vl_store_fork_check(self, it.a, it.alen, why);
            if (rc == VL_EFORK)
                rc = vl_err(err, VL_EFORK, "the bundle's entry %llu differs from this store's: "
                            "%s", (unsigned long long)seq, why);
            else if (rc == VL_OK) /* cannot be: the bytes differ */
                rc = vl_err(err, VL_ECHAIN, "entry %llu: another encoding of our entry",
                            (unsigned long long)seq);
            else
                rc = vl_err(err, rc, "the bundle's entry %llu differs from this store's and "
                            "is not valid: %s", (unsigned long long)seq, why);
            goto out;
        }
        if (c->first_new == c->e0 + c->ne) {
            c->first_new = c->e0 + i;
            uint64_t fs = vl_store_fork_seq(self);
            if (fs && fs <= seq) {
                rc = vl_err(err, VL_EFORK, "this store's log stops at the fork at entry %llu "
                            "(docs/operator.md)", (unsigned long long)fs);
                goto out;
            }
        }
        bool last = i + 1 == c->ne;
        if ((rc = s_entry_parse(c, it.a, it.alen, last ? 0 : VL_ENTRY_NO_SIGS, &e, why)) !=
            VL_OK) {
            if (strncmp(why, "entry ", 6) == 0)
                rc = vl_err(err, rc, "%s", why);
            else
                rc = vl_err(err, rc, "entry %llu: %s", (unsigned long long)seq, why);
            goto out;
        }
        if (memcmp(vl_entry_prev(e), link, VL_HASH_LEN) != 0) {
            rc = vl_err(err, VL_ECHAIN, "entry %llu does not follow entry %llu%s (a forged or "
                        "damaged entry)", (unsigned long long)seq, (unsigned long long)seq - 1,
                        seq - 1 == c->head.seq ? " of this store" : " of the bundle");
            goto out;
        }
        memcpy(link, vl_entry_hash(e), VL_HASH_LEN);
        for (size_t v = 0; v < c->nnew; v++)
            if (vl_policy_from(c->newp[v]) == seq + 1 &&
                memcmp(vl_policy_after(c->newp[v]), link, VL_HASH_LEN) != 0) {
                rc = vl_err(err, VL_ECHAIN, "entry %llu is not the entry policy version %llu "
                            "was made after (another history)", (unsigned long long)seq,
                            (unsigned long long)vl_policy_version(c->newp[v]));
                goto out;
            }
        /* ... and the versions this store knows already. */
        if ((rc = vls_pin_check(self, seq, link, err)) != VL_OK)
            goto out;
        vl_entry_destroy(&e);
    }
    /* New entries that end below a pin cannot be checked against it
     * (docs/trust.md §1.2): refused. Ones that reach it were checked link by
     * link up to it above, and are applied through the stage. Every pin
     * above the head counts, known or carried: with pins at 1,000 and
     * 2,000, entries 1,001..1,500 could only be taken through the second. */
    if (c->first_new < c->e0 + c->ne) {
        uint64_t last = h->from + c->ne - 1, pv = 0;
        uint64_t pin = vls_pin_above(self, last > c->head.seq ? last : c->head.seq, &pv);
        for (size_t v = 0; v < c->nnew; v++) {
            uint64_t f = vl_policy_from(c->newp[v]);
            if (f >= 2 && f - 1 > c->head.seq && f - 1 > last && (pin == 0 || f - 1 < pin)) {
                pin = f - 1;
                pv = vl_policy_version(c->newp[v]);
            }
        }
        if (pin && last < pin) {
            rc = vl_err(err, VL_ECHAIN, "the bundle's entries end at %llu, below entry %llu, "
                        "which policy version %llu pins: bring a bundle that reaches entry %llu",
                        (unsigned long long)last, (unsigned long long)pin,
                        (unsigned long long)pv, (unsigned long long)pin);
            goto out;
        }
    }
out:
    free(ours);
    vl_entry_destroy(&e);
    return rc;
}

/* Phase 1, the other objects: each decodes and verifies on its own. */
static int
s_check_rest(s_imp_t *c, char *err)
{
    const vl_policy_t *pol = s_newest(c);
    char why[VL_ERRMSG_MAX] = "";
    size_t n = vl_bundle_count(c->b);
    int rc = VL_OK;
    if (n > c->e0 + c->ne && !(c->skip_ev = calloc(n, sizeof *c->skip_ev)))
        return VL_ENOMEM;
    for (size_t i = c->e0 + c->ne; i < n; i++) {
        vl_bundle_item_t it;
        s_prog(c, "items checked", i);
        vl_bundle_item(c->b, i, &it);
        why[0] = '\0';
        switch (it.kind) {
        case VL_BK_FRESH: {
            vl_fresh_t f;
            rc = vl_fresh_parse(pol, it.a, it.alen, &f, why);
            if (rc != VL_EPROTO && rc != VL_EAUTH && rc != VL_ELIMIT)
                rc = VL_OK; /* signer, network or version: skipped as a node does */
            break;
        }
        case VL_BK_EVIDENCE: {
            vl_entry_t *a = NULL, *b = NULL;
            rc = s_entry_parse(c, it.a, it.alen, 0, &a, why);
            if (rc == VL_OK)
                rc = s_entry_parse(c, it.b, it.blen, 0, &b, why);
            if (rc == VL_OK && (vl_entry_seq(a) != vl_entry_seq(b) ||
                                memcmp(vl_entry_hash(a), vl_entry_hash(b), VL_HASH_LEN) == 0 ||
                                memcmp(vl_entry_digest(a), vl_entry_digest(b), VL_HASH_LEN) == 0))
                rc = vl_err(why, VL_EINVAL, "not two different signed entries at one seq");
            if (rc == VL_ENOTFOUND) {
                c->skip_ev[i] = true; /* a version we lack: cannot be checked yet */
                rc = VL_OK;
            }
            vl_entry_destroy(&a);
            vl_entry_destroy(&b);
            break;
        }
        case VL_BK_PROPOSAL: {
            vl_proposal_t *p = NULL;
            rc = vl_proposal_parse(pol, it.a, it.alen, &p, why);
            vl_proposal_destroy(&p);
            break;
        }
        case VL_BK_REJECTION: {
            vl_rejection_t *r = NULL;
            rc = vl_rejection_parse(pol, it.a, it.alen, &r, why);
            vl_rejection_destroy(&r);
            break;
        }
        default:
            rc = vl_err(why, VL_EPROTO, "unexpected kind");
            break;
        }
        if (rc != VL_OK)
            return vl_err(err, rc, "the bundle's %s (item %zu): %s",
                          vl_bundle_kind_name(it.kind), i + 1, why[0] ? why : vl_strerror(rc));
    }
    return VL_OK;
}

/* Phase 2, entries head + 1 .. pin: staged backwards from the pin in
 * batches of VL_SYNC_BATCH, then applied, as a node pulls back from a pin. */
static int
s_stage_to_pin(s_imp_t *c, uint64_t head, uint64_t pin, char *err)
{
    const uint8_t *ptrs[VL_SYNC_BATCH];
    size_t lens[VL_SYNC_BATCH];
    const vl_bundle_hdr_t *h = vl_bundle_hdr(c->b);
    uint64_t applied = 0;
    int rc = vl_store_stage_clear(c->self, err);
    for (uint64_t top = pin; rc == VL_OK && top > head;) {
        uint64_t lo = top - head > VL_SYNC_BATCH ? top - VL_SYNC_BATCH + 1 : head + 1;
        size_t n = 0;
        for (uint64_t s = lo; s <= top; s++, n++) {
            vl_bundle_item_t it;
            vl_bundle_item(c->b, c->e0 + (size_t)(s - h->from), &it);
            ptrs[n] = it.a;
            lens[n] = it.alen;
        }
        rc = vl_store_stage_put(c->self, ptrs, lens, n, err);
        top = lo - 1;
    }
    if (rc == VL_OK)
        rc = vl_store_stage_apply(c->self, &applied, err);
    if (rc == VL_OK && applied != pin - head)
        rc = vl_err(err, VL_ECHAIN, "applied %llu of the %llu entries up to the pin at %llu",
                    (unsigned long long)applied, (unsigned long long)(pin - head),
                    (unsigned long long)pin);
    return rc;
}

/* Phase 2, entries: batches of VL_SYNC_BATCH, as a node pulls them. */
static int
s_apply_entries(s_imp_t *c, vl_bundle_sum_t *sum, char *err)
{
    const uint8_t *ptrs[VL_SYNC_BATCH];
    size_t lens[VL_SYNC_BATCH];
    const vl_bundle_hdr_t *h = vl_bundle_hdr(c->b);
    size_t i = c->first_new;
    size_t end = c->e0 + c->ne;
    int rc;
    while (i < end) {
        vl_head_t hd;
        s_prog(c, "items applied", i);
        if ((rc = vl_store_head(c->self, &hd)) != VL_OK)
            return vl_err(err, rc, "cannot read the head");
        uint64_t seq = h->from + (i - c->e0);
        if (seq <= hd.seq) {
            /* Another writer got there first: skip what it has. */
            uint64_t skip = hd.seq - seq + 1;
            i = skip >= end - i ? end : i + (size_t)skip;
            continue;
        }
        uint64_t pin = vls_pin_above(c->self, hd.seq, NULL);
        if (pin && seq == hd.seq + 1 && pin <= h->from + (end - 1 - c->e0)) {
            /* A pin lies above the head: entries up to it go through the
             * stage, pin first (phase 1 checked that they reach it). */
            if ((rc = s_stage_to_pin(c, hd.seq, pin, err)) != VL_OK)
                return rc;
            if (!sum->from)
                sum->from = seq;
            sum->to = pin;
            sum->counts[VL_BK_ENTRY] += (size_t)(pin - hd.seq);
            i += (size_t)(pin - hd.seq);
            continue;
        }
        size_t n = 0;
        for (; n < VL_SYNC_BATCH && i + n < end; n++) {
            vl_bundle_item_t it;
            vl_bundle_item(c->b, i + n, &it);
            ptrs[n] = it.a;
            lens[n] = it.alen;
        }
        if ((rc = vl_store_append_chain(c->self, ptrs, lens, n, err)) != VL_OK)
            return rc;
        if (!sum->from)
            sum->from = seq;
        sum->to = seq + n - 1;
        sum->counts[VL_BK_ENTRY] += n;
        i += n;
    }
    return VL_OK;
}

/* Is the proposal id settled here (an entry or a rejection)? */
static bool
s_settled(vl_store_t *self, const uint8_t id[VL_HASH_LEN])
{
    MDB_txn *txn = NULL;
    int kind = 0;
    if (vls_txn_begin(self, true, &txn, NULL) != VL_OK)
        return false;
    int rc = vls_settled(self, txn, id, &kind, NULL, NULL);
    vls_read_end(self, &txn);
    return rc == VL_OK && kind != 0;
}

/* Phase 2, the other objects, in the order of the brief: evidence, the
 * statement, rejections, proposals. */
static int
s_apply_rest(s_imp_t *c, uint64_t now, vl_bundle_sum_t *sum, char *err)
{
    static const vl_bkind_t order[] = { VL_BK_EVIDENCE, VL_BK_FRESH, VL_BK_REJECTION,
                                        VL_BK_PROPOSAL };
    size_t n = vl_bundle_count(c->b);
    size_t done = c->e0 + c->ne;
    char why[VL_ERRMSG_MAX];
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
        for (size_t i = c->e0 + c->ne; i < n; i++) {
            vl_bundle_item_t it;
            vl_bundle_item(c->b, i, &it);
            if (it.kind != order[o])
                continue;
            s_prog(c, "items applied", done++);
            int rc;
            bool took = false;
            why[0] = '\0';
            switch (it.kind) {
            case VL_BK_EVIDENCE:
                if (c->skip_ev && c->skip_ev[i]) {
                    rc = VL_OK;
                    break;
                }
                rc = vl_store_evidence_put(c->self, it.a, it.alen, it.b, it.blen, why);
                took = rc == VL_EFORK;
                if (rc == VL_EFORK || rc == VL_EEXIST || rc == VL_ECHAIN || rc == VL_ENOTFOUND)
                    rc = VL_OK;
                break;
            case VL_BK_FRESH:
                rc = vl_store_fresh_put(c->self, it.a, it.alen, now, why);
                took = rc == VL_OK;
                if (rc == VL_EEXIST || rc == VL_ESTALE || rc == VL_ENOTFOUND ||
                    rc == VL_EINVAL || rc == VL_EPERM || rc == VL_ECHAIN)
                    rc = VL_OK;
                break;
            case VL_BK_REJECTION: {
                vl_rejection_t *r = NULL;
                rc = vls_rej_parse(c->self, it.a, it.alen, &r, why);
                bool known = rc == VL_OK && s_settled(c->self, vl_rejection_proposal(r));
                vl_rejection_destroy(&r);
                if (rc != VL_OK || known)
                    break;
                rc = vl_store_accept_rejection(c->self, it.a, it.alen, why);
                took = rc == VL_OK;
                if (rc == VL_EEXIST)
                    rc = VL_OK;
                break;
            }
            default: /* VL_BK_PROPOSAL */
                rc = vl_store_propose(c->self, it.a, it.alen, NULL, why);
                took = rc == VL_OK;
                if (rc == VL_EEXIST || rc == VL_ESTALE || rc == VL_ENOTFOUND)
                    rc = VL_OK;
                break;
            }
            if (rc != VL_OK)
                return vl_err(err, rc, "the bundle's %s (item %zu): %s",
                              vl_bundle_kind_name(it.kind), i + 1,
                              why[0] ? why : vl_strerror(rc));
            if (took)
                sum->counts[it.kind]++;
            else
                sum->known[it.kind]++;
        }
    return VL_OK;
}

/* The signature audit of the new entries (and any backlog); with progress,
 * in slices of S_AUDIT_SLICE entries, each one call of vl_store_check_sigs
 * (the same checks; the watermark saved after each slice). One item per
 * entry between the watermark and the head. */
#define S_AUDIT_SLICE 64u

static int
s_audit(const s_imp_t *c, char *why)
{
    uint64_t w0 = 0, w = 0;
    vl_head_t hd;
    if (!c->progress)
        return vl_store_check_sigs(c->self, (size_t)-1, &w, why);
    int rc = vl_store_check_sigs(c->self, 0, &w0, why);
    if (rc == VL_OK && (rc = vl_store_head(c->self, &hd)) != VL_OK)
        snprintf(why, VL_ERRMSG_MAX, "cannot read the head");
    if (rc != VL_OK)
        return rc;
    uint64_t total = hd.seq > w0 ? hd.seq - w0 : 0;
    for (w = w0;;) {
        uint64_t before = w;
        c->progress(c->pctx, "signatures audited", w - w0 < total ? w - w0 : total, total);
        if (w >= hd.seq)
            break;
        if ((rc = vl_store_check_sigs(c->self, S_AUDIT_SLICE, &w, why)) != VL_OK)
            return rc;
        if (w <= before)
            return vl_store_check_sigs(c->self, (size_t)-1, &w, why); /* say why */
    }
    return VL_OK;
}

int
vl_store_bundle_import(vl_store_t *self, const vl_bundle_t *b, uint64_t now, bool check_only,
                       vl_bundle_sum_t *sum, char *err)
{
    return vl_store_bundle_import_ex(self, b, now, check_only, NULL, NULL, sum, err);
}

int
vl_store_bundle_import_ex(vl_store_t *self, const vl_bundle_t *b, uint64_t now,
                          bool check_only, vl_progress_fn progress, void *pctx,
                          vl_bundle_sum_t *sum, char *err)
{
    assert(self && b && sum);
    memset(sum, 0, sizeof *sum);
    const vl_bundle_hdr_t *h = vl_bundle_hdr(b);
    s_imp_t c;
    bool phase2 = false;
    memset(&c, 0, sizeof c);
    c.self = self;
    c.b = b;
    c.check_only = check_only;
    c.progress = progress;
    c.pctx = pctx;
    int rc;
    if (!check_only && self->rdonly)
        return vl_err(err, VL_EINVAL, "the store is open read-only");
    /* vl_store_head's read txn also re-reads the policy chain. */
    if ((rc = vl_store_head(self, &c.head)) != VL_OK)
        return vl_err(err, rc, "cannot read the head");
    const vl_policy_t *pol = self->pol;
    if (memcmp(h->net, vl_policy_net(pol), VL_NETID_LEN) != 0) {
        char a[2 * VL_NETID_LEN + 1], bb[2 * VL_NETID_LEN + 1];
        char name[VL_MAX_NAME + 1];
        vl_hex(h->net, VL_NETID_LEN, a);
        vl_hex(vl_policy_net(pol), VL_NETID_LEN, bb);
        /* The name is the bundle's own text: the caller escapes err. */
        snprintf(name, sizeof name, "%s", h->name);
        return vl_err(err, VL_EPERM, "bundle is for network %.60s (%s), this store is %.60s "
                      "(%s)", name, a, vl_policy_name(pol), bb);
    }
    c.e0 = (size_t)h->counts[VL_BK_POLICY];
    c.ne = (size_t)h->counts[VL_BK_ENTRY];
    if ((rc = s_check_policies(&c, err)) != VL_OK)
        goto out;
    const vl_policy_t *newest = s_newest(&c);
    if (!vl_policy_roles(newest, h->maker)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(h->maker, kid);
        rc = vl_err(err, VL_EPERM, "bundle made by a key that is not a member of policy "
                    "version %llu (revoked or rotated): %s",
                    (unsigned long long)vl_policy_version(newest), kid);
        goto out;
    }
    if ((rc = s_check_entries(&c, err)) != VL_OK || (rc = s_check_rest(&c, err)) != VL_OK)
        goto out;
    s_prog(&c, "items checked", vl_bundle_count(b));
    sum->head = c.head.seq;
    if (check_only)
        goto out;

    /* Phase 2. */
    phase2 = true;
    for (size_t i = 0; i < c.nnew; i++) {
        s_prog(&c, "items applied", i);
        rc = vl_store_policy_adopt(self, c.newdoc[i], c.newlen[i], err);
        if (rc == VL_EEXIST)
            continue;
        if (rc != VL_OK)
            goto out;
        sum->counts[VL_BK_POLICY]++;
    }
    sum->known[VL_BK_POLICY] = h->counts[VL_BK_POLICY] - sum->counts[VL_BK_POLICY];
    if ((rc = s_apply_entries(&c, sum, err)) != VL_OK)
        goto out;
    sum->known[VL_BK_ENTRY] = h->counts[VL_BK_ENTRY] - sum->counts[VL_BK_ENTRY];
    if ((rc = s_apply_rest(&c, now, sum, err)) != VL_OK)
        goto out;
    s_prog(&c, "items applied", vl_bundle_count(b));
    if (sum->counts[VL_BK_ENTRY]) {
        /* The audit a daemon runs in the background, now: every signature
         * of the new entries (and any older backlog) is checked. */
        char why[VL_ERRMSG_MAX] = "";
        rc = s_audit(&c, why);
        if (rc != VL_OK) {
            rc = vl_err(err, rc, "signature audit after the import: %s",
                        why[0] ? why : vl_strerror(rc));
            goto out;
        }
    }
    vl_head_t hd;
    if ((rc = vl_store_head(self, &hd)) != VL_OK)
        goto out;
    sum->head = hd.seq;
out:
    if (rc != VL_OK && phase2 && err) {
        /* Each item is its own transaction: what was applied stays (a valid
         * prefix, as from a peer cut off mid-sync). Say so, over the detail
         * of the step that failed. */
        uint64_t done = 0;
        for (int k = 0; k < VL_BK_N; k++)
            done += sum->counts[k];
        if (done > 0) {
            char line[VL_ERRMSG_MAX];
            snprintf(line, sizeof line, "stopped after %llu new items were applied "
                     "(import the bundle again to finish): %s", (unsigned long long)done, err);
            memcpy(err, line, VL_ERRMSG_MAX);
        }
    }
    for (size_t i = 0; i < c.nnew; i++)
        vl_policy_destroy(&c.newp[i]);
    free(c.newp);
    free(c.newdoc);
    free(c.newlen);
    free(c.skip_ev);
    return rc;
}
