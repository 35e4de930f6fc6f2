/* SPDX-License-Identifier: MIT */
/*
 * vl_node_trust - trust over time in valise-node (docs/trust.md): policy
 * versions, freshness statements, fork probes and evidence.
 *
 * Contract: the policy is never cached across store calls (vn_pol: a
 * version adopted here or by another process on the same store replaces
 * it). A newer version is pushed to peers that announce an older one
 * (`policies`) and adopted in order when received; then the ZAP allow-list
 * is rebuilt and every session whose key is no longer a node is closed
 * (vn_policy_changed). The node whose key is the policy's `fresh` key signs
 * freshness statements; every node relays the newest one (`fresh`). Two
 * valid entries at one seq found by a fork probe (a `get` of one entry) are
 * evidence: the node stops pulling and passes it to every peer
 * (`evidence`). What the store refuses as unknown yet (VL_ENOTFOUND), older
 * or known, or from our own clock's future, is not blamed on the peer;
 * anything else invalid drops it. Calls vl_node_conn.c and vl_node_state.c
 * only; vl_node_sync.c and vl_node.c call it.
 */
#include "vl_node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vl_fresh.h"
#include "vl_log.h"

/* Most forks sent in one evidence push. */
#define S_EVIDENCE_PUSH 16u

/* ---- helpers --------------------------------------------------------------------- */

/* A wall-clock time in seconds as a UTC date for the log. */
static void
s_utc(uint64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "%llu", (unsigned long long)t);
}

/* Identified and connected: a session we may push to. */
static bool
s_open(const vl_peer_t *p)
{
    return vl_peer_identified(p) && vl_peer_sendable(p);
}

/* ---- pushing (answers to a hello) ------------------------------------------------ */

/* Push policy versions their_pv+1 .. ours to p: at most VL_MAX_POLICY_PUSH
 * and VL_SYNC_BYTES (at least one) per message; the rest goes when the peer
 * announces the versions it adopted. force skips the rate limit. */
void
vn_push_policies(vl_node_t *self, vl_peer_t *p, uint64_t their_pv, uint64_t now, bool force)
{
    const uint8_t *docs[VL_MAX_POLICY_PUSH];
    size_t lens[VL_MAX_POLICY_PUSH], n = 0, total = 0;
    uint64_t ours = vl_policy_version(vn_pol(self));
    if (their_pv == 0 || their_pv >= ours)
        return;
    if (!vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, their_pv, now,
                              force ? 0 : vn_push_ms(self)))
        return;
    for (uint64_t v = their_pv + 1; v <= ours && n < VL_MAX_POLICY_PUSH; v++) {
        const vl_policy_t *pv = vl_store_policy_at(self->store, v);
        size_t len = 0;
        const uint8_t *b = pv ? vl_policy_bytes(pv, &len) : NULL;
        if (!b || len == 0 || len > VL_MAX_POLICY) {
            vl_error("policy version %llu cannot be read from the store",
                     (unsigned long long)v);
            break;
        }
        if (n > 0 && len > VL_SYNC_BYTES - total)
            break;
        docs[n] = b;
        lens[n] = len;
        total += len;
        n++;
    }
    if (n == 0)
        return;
    uint8_t *buf = NULL;
    size_t blen = 0;
    int rc = vl_msg_encode_policies(docs, lens, n, &buf, &blen);
    if (rc != VL_OK)
        vl_error("cannot encode policies for %s: %s", vl_peer_label(p), vl_strerror(rc));
    else if (vn_send(self, p, buf, blen) == VL_OK)
        vl_info("peer %s: sent policy versions %llu..%llu (it has %llu)", vl_peer_label(p),
                (unsigned long long)(their_pv + 1), (unsigned long long)(their_pv + n),
                (unsigned long long)their_pv);
    free(buf);
}

/* Send our stored freshness statement (stmt, or read from the store when
 * NULL) to p. */
void
vn_push_fresh(vl_node_t *self, vl_peer_t *p, const uint8_t *stmt, size_t slen, uint64_t now,
             bool force)
{
    uint8_t *owned = NULL, *buf = NULL;
    size_t blen = 0;
    if (!vl_peer_push_allowed(p, VL_PEER_PUSH_FRESH, self->ours.fi, now,
                              force ? 0 : vn_push_ms(self)))
        return;
    if (!stmt) {
        int rc = vl_store_fresh_bytes(self->store, &owned, &slen);
        if (rc != VL_OK) {
            if (rc != VL_ENOTFOUND)
                vl_error("cannot read the freshness statement: %s", vl_strerror(rc));
            return;
        }
        stmt = owned;
    }
    if (vl_msg_encode_fresh(stmt, slen, &buf, &blen) == VL_OK && vn_send(self, p, buf, blen) == VL_OK)
        vl_debug("peer %s: sent the freshness statement of %llu", vl_peer_label(p),
                 (unsigned long long)self->ours.fi);
    free(buf);
    free(owned);
}

/* Send the statement to every open session that announced an older one
 * (except `except`, where it came from). */
static void
s_push_fresh_all(vl_node_t *self, const uint8_t *stmt, size_t slen, vl_peer_t *except,
                 uint64_t now)
{
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *q = vn_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(q);
        if (q != except && s_open(q) && t && t->fi < self->ours.fi)
            vn_push_fresh(self, q, stmt, slen, now, true);
    }
}

/* The `issued` of the stored statement (0: none). */
void
vn_fresh_refresh(vl_node_t *self)
{
    vl_freshness_t f;
    memset(&f, 0, sizeof f);
    self->err[0] = '\0';
    int rc = vl_store_freshness(self->store, vl_wall_s(), &f, self->err);
    if (rc != VL_OK) {
        vl_error("cannot read the freshness statement: %s: %s", vl_strerror(rc), self->err);
        return;
    }
    self->ours.fi = f.have ? f.issued : 0;
}

/* Are we the policy's freshness signer? */
void
vn_signer_refresh(vl_node_t *self)
{
    const uint8_t *fk = vl_policy_fresh(vn_pol(self));
    bool was = self->signer;
    self->signer = fk && memcmp(fk, vl_keypair_pk(self->kp), VL_PK_LEN) == 0;
    if (self->signer && !was) {
        vl_info("this node signs the network's freshness statements (every %u s, valid %u s)",
                self->cfg->fresh_interval, self->cfg->fresh_ttl);
        self->fresh_due = true;
        if (self->fresh_issued < self->ours.fi)
            self->fresh_issued = self->ours.fi; /* `issued` must keep growing */
    } else if (was && !self->signer) {
        vl_info("this node no longer signs freshness statements (policy version %llu)",
                (unsigned long long)vl_policy_version(vn_pol(self)));
    }
}

/* The signer: a statement of our head every fresh_interval seconds and
 * whenever the head moved (at most one a second: `issued` must grow). */
void
vn_fresh_tick(vl_node_t *self, uint64_t now)
{
    if (!self->signer || !self->have_ours)
        return;
    uint64_t wall = vl_wall_s();
    if ((!self->fresh_due && wall < self->fresh_next) || wall <= self->fresh_issued)
        return;
    const vl_policy_t *pol = vn_pol(self);
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(self->kp), VL_PK_LEN);
    f.policy = vl_policy_version(pol);
    f.seq = self->ours.seq;
    memcpy(f.head, self->ours.head, VL_HASH_LEN);
    f.issued = wall;
    f.expires = wall + self->cfg->fresh_ttl;
    uint8_t *buf = NULL;
    size_t len = 0;
    self->err[0] = '\0';
    int rc = vl_fresh_make(&f, self->kp, &buf, &len, self->err);
    if (rc == VL_OK)
        rc = vl_store_fresh_put(self->store, buf, len, wall, self->err);
    self->fresh_due = false;
    if (rc == VL_OK) {
        char until[32];
        s_utc(f.expires, until);
        self->fresh_issued = wall;
        self->fresh_seq = f.seq;
        memcpy(self->fresh_head, f.head, VL_HASH_LEN);
        self->fresh_next = wall + self->cfg->fresh_interval;
        self->ours.fi = wall;
        vl_info("freshness statement issued: entry %llu, policy version %llu, valid until %s",
                (unsigned long long)f.seq, (unsigned long long)f.policy, until);
        s_push_fresh_all(self, buf, len, NULL, now);
    } else {
        /* Retried at the next interval (at most once a minute), not every turn. */
        uint32_t retry = self->cfg->fresh_interval < 60u ? self->cfg->fresh_interval : 60u;
        self->fresh_next = wall + retry;
        vl_warn("cannot issue a freshness statement: %s: %s; retrying in %u s",
                vl_strerror(rc), self->err, retry);
    }
    free(buf);
}

/* ---- evidence (docs/trust.md §5) ------------------------------------------------- */

static int
s_count_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
           size_t blen)
{
    (void)seq, (void)a, (void)alen, (void)b, (void)blen;
    (*(uint64_t *)ctx)++;
    return 0;
}

/* Re-read how many forks we hold and the lowest one. */
void
vn_evidence_refresh(vl_node_t *self)
{
    uint64_t n = 0;
    int rc = vl_store_evidence_each(self->store, s_count_cb, &n);
    if (rc != VL_OK) {
        vl_error("cannot read the evidence: %s", vl_strerror(rc));
        return;
    }
    self->ours.ev = n;
    self->fork_seq = vl_store_fork_seq(self->store);
}

typedef struct {
    vl_node_t *self;
    vl_peer_t *only;        /* send to this session only, or */
    vl_peer_t *except;      /* to every open session but this one (may be NULL) */
    size_t forks;
    size_t sent;
} s_ev_push_t;

static int
s_evidence_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
              size_t blen)
{
    s_ev_push_t *c = ctx;
    vl_node_t *self = c->self;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (c->forks++ >= S_EVIDENCE_PUSH)
        return 1;
    int rc = vl_msg_encode_evidence(a, alen, b, blen, &buf, &len);
    if (rc != VL_OK) {
        vl_error("cannot encode the evidence of entry %llu: %s", (unsigned long long)seq,
                 vl_strerror(rc));
        return 0;
    }
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *q = vn_peer_at(self, i);
        if ((c->only && q != c->only) || q == c->except || !s_open(q))
            continue;
        if (vn_send(self, q, buf, len) == VL_OK) {
            c->sent++;
            vl_debug("peer %s: sent the evidence of the fork at entry %llu", vl_peer_label(q),
                     (unsigned long long)seq);
        }
    }
    free(buf);
    return 0;
}

/* Send every fork we hold to `only`, or to every open session but `except`. */
void
vn_push_evidence(vl_node_t *self, vl_peer_t *only, vl_peer_t *except)
{
    s_ev_push_t c = { .self = self, .only = only, .except = except };
    int rc = vl_store_evidence_each(self->store, s_evidence_cb, &c);
    if (rc != VL_OK && rc != 1)
        vl_error("cannot read the evidence: %s", vl_strerror(rc));
}

/* The approvers who signed both entries of a fork, as "kid, kid" (or why
 * not known), and the seq. */
static void
s_fork_signers(vl_node_t *self, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
               uint64_t *seq, char *out, size_t n)
{
    vl_entry_t *ea = NULL, *eb = NULL;
    char err[VL_ERRMSG_MAX];
    size_t used = 0;
    snprintf(out, n, "unknown");
    if (vl_store_entry_parse(self->store, a, alen, VL_ENTRY_NO_SIGS, &ea, err) != VL_OK ||
        vl_store_entry_parse(self->store, b, blen, VL_ENTRY_NO_SIGS, &eb, err) != VL_OK)
        goto out;
    const vl_policy_t *pol = vl_store_policy_for_seq(self->store, vl_entry_seq(ea));
    *seq = vl_entry_seq(ea);
    out[0] = '\0';
    for (size_t i = 0; i < vl_entry_nsigs(ea); i++)
        for (size_t j = 0; j < vl_entry_nsigs(eb); j++)
            if (memcmp(vl_entry_signer(ea, i), vl_entry_signer(eb, j), VL_PK_LEN) == 0) {
                char kid[2 * VL_KID_LEN + 1];
                const char *name = vl_policy_member_name(pol, vl_entry_signer(ea, i));
                vl_kid(vl_entry_signer(ea, i), kid);
                int w = snprintf(out + used, n - used, "%s%s (%s)", used ? ", " : "", kid,
                                 name ? name : "?");
                if (w < 0 || (size_t)w >= n - used)
                    goto out;
                used += (size_t)w;
            }
    if (!used)
        snprintf(out, n, "none in common");
out:
    vl_entry_destroy(&ea);
    vl_entry_destroy(&eb);
}

/* Stop pulling: a fork is known (docs/trust.md §5). */
static void
s_pull_stop(vl_node_t *self)
{
    if (self->puller)
        vn_pull_end(self, self->puller);
}
/* ---- policy versions (docs/trust.md §1, §2) -------------------------------------- */

/* The configuration entry of an out session (by address), or NULL. */
static vl_config_peer_t *
s_config_peer(vl_node_t *self, const vl_peer_t *p)
{
    for (size_t i = 0; i < self->cfg->npeers; i++)
        if (strcmp(self->cfg->peers[i].addr, vl_peer_addr(p)) == 0)
            return &self->cfg->peers[i];
    return NULL;
}

/* Close a session whose key is not a node of policy version pv. It gets the
 * versions it lacks first, so that it learns why. */
static void
s_revoke_session(vl_node_t *self, vl_peer_t *p, uint64_t pv, uint64_t now)
{
    char why[96];
    uint8_t *buf = NULL;
    size_t len = 0;
    snprintf(why, sizeof why, "not a node of policy version %llu", (unsigned long long)pv);
    if (s_open(p)) {
        const vl_hello_t *t = vl_peer_theirs(p);
        if (t)
            vn_push_policies(self, p, t->pv, now, true);
        if (vl_msg_encode_error(VL_EPERM, why, &buf, &len) == VL_OK)
            (void)vn_send(self, p, buf, len);
        free(buf);
    }
    vn_pull_end(self, p);
    vl_info("peer %s: its key is %s; session closed", vl_peer_label(p), why);
    if (vl_peer_dir(p) == VL_PEER_OUT) {
        vl_peer_close_link(p, VN_DROP_LINGER_MS);
        vl_peer_on_revoked(p, why);
    } else {
        vl_peer_note(p, why);
        vl_peer_mark_gone(p, "revoked");
    }
    vn_save_info(self, p, now, true);
}

/* After a new version: close the sessions of keys that are no longer nodes;
 * a peer configured by name whose node has a new key (a rotation) is
 * reconnected with it. @return sessions closed. */
static size_t
s_recheck_sessions(vl_node_t *self, uint64_t now)
{
    const vl_policy_t *pol = vn_pol(self);
    uint64_t pv = vl_policy_version(pol);
    size_t closed = 0;
    for (size_t i = 0; i < self->nin; i++) {
        vl_peer_t *p = self->in[i];
        if (!vl_peer_gone(p) && !(vl_policy_roles(pol, vl_peer_pk(p)) & VL_ROLE_NODE)) {
            s_revoke_session(self, p, pv, now);
            closed++;
        }
    }
    for (size_t i = 0; i < self->nout; i++) {
        vl_peer_t *p = self->out[i];
        if (vl_peer_state(p) == VL_PS_REVOKED)
            continue;
        vl_config_peer_t *cp = s_config_peer(self, p);
        uint8_t key[VL_PK_LEN];
        bool node = true;
        if (cp && cp->by_name)
            node = vl_config_node_key(pol, cp->name, key) == VL_OK;
        else
            memcpy(key, vl_peer_pk(p), VL_PK_LEN);
        node = node && (vl_policy_roles(pol, key) & VL_ROLE_NODE) &&
               memcmp(key, vl_keypair_pk(self->kp), VL_PK_LEN) != 0;
        if (node && memcmp(key, vl_peer_pk(p), VL_PK_LEN) == 0)
            continue;
        s_revoke_session(self, p, pv, now);
        closed++;
        if (!node) {
            if (cp)
                cp->gone = true;
            continue;
        }
        /* The node of that name has a new key: a rotation. The session
         * object stays (a handler up the stack may hold it). */
        memcpy(cp->key, key, VL_PK_LEN);
        vl_peer_set_key(p, key, cp->name);
        vl_info("peer %s: node \"%s\" has a new key in policy version %llu; connecting with it",
                vl_peer_label(p), cp->name, (unsigned long long)pv);
        vn_open_link(self, p, now);
    }
    return closed;
}

typedef struct {
    size_t nodes, approvers;
} s_roles_t;

static void
s_roles_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_roles_t *c = ctx;
    (void)pk;
    c->nodes += (roles & VL_ROLE_NODE) != 0;
    c->approvers += (roles & VL_ROLE_APPROVER) != 0;
}

/* A new current version (adopted from a peer, or by another process on the
 * store): rebuild the gate, re-check every session, tell every peer. */
void
vn_policy_changed(vl_node_t *self, uint64_t old_pv, uint64_t now)
{
    const vl_policy_t *pol = vn_pol(self);
    uint64_t pv = vl_policy_version(pol);
    s_roles_t r = { 0, 0 };
    self->ours.pv = pv;
    memcpy(self->ours.policy, vl_policy_hash(pol), VL_HASH_LEN);
    self->err[0] = '\0';
    if (vl_transport_set_nodes(self->tr, pol, self->err) != VL_OK)
        vl_error("policy version %llu: cannot rebuild the ZAP allow-list: %s; the previous "
                 "list stays", (unsigned long long)pv, self->err);
    vl_policy_members_each(pol, s_roles_cb, &r);
    vl_info("policy version %llu adopted: %zu nodes admitted, %zu approvers, threshold %u, "
            "governs entries from %llu (was version %llu)", (unsigned long long)pv,
            vl_transport_nodes(self->tr), r.approvers, vl_policy_threshold(pol),
            (unsigned long long)vl_policy_from(pol), (unsigned long long)old_pv);
    size_t closed = s_recheck_sessions(self, now);
    if (closed)
        vl_info("policy version %llu: %zu sessions of keys that are no longer nodes closed",
                (unsigned long long)pv, closed);
    vn_fresh_refresh(self);
    vn_signer_refresh(self);
    /* A version may settle a fork (evidence below its pin stops nothing). */
    vn_evidence_refresh(self);
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *q = vn_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(q);
        vl_peer_hello_now(q);
        if (t && s_open(q) && t->pv < pv)
            vn_push_policies(self, q, t->pv, now, true);
    }
}

void
vn_on_policies(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t n = vl_msg_policies_count(m), adopted = 0;
    uint64_t before = vl_policy_version(vn_pol(self));
    char why[VL_ERRMSG_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *doc = vl_msg_policy(m, i, &len);
        uint64_t next = vl_policy_version(vn_pol(self)) + 1;
        self->err[0] = '\0';
        int rc = vl_store_policy_adopt(self->store, doc, len, self->err);
        if (rc == VL_OK) {
            adopted++;
            continue;
        }
        if (rc == VL_EEXIST)
            continue; /* we have it (another peer was first) */
        if (rc == VL_ENOTFOUND) {
            /* A version beyond the next: the ones between come first. */
            vl_debug("peer %s: policy document %zu not adopted yet: %s", vl_peer_label(p), i,
                     self->err);
            break;
        }
        if (rc == VL_EPERM) {
            /* The version that revokes (or rotates away) our own key: we
             * cannot adopt it; we keep serving reads from what we have. */
            if (self->revoked_pv != next) {
                vl_error("this node's key is revoked by policy version %llu: its peers will "
                         "refuse it; the store stays readable at policy version %llu (a "
                         "rotated node restarts with its new key: docs/operator.md)",
                         (unsigned long long)next, (unsigned long long)(next - 1));
                vl_debug("policy version %llu not adopted: %s", (unsigned long long)next,
                         self->err);
                self->revoked_pv = next;
            }
            break;
        }
        if (vn_local_failure(rc)) {
            vl_error("cannot adopt a policy version from %s: %s: %s", vl_peer_label(p),
                     vl_strerror(rc), self->err);
            break;
        }
        snprintf(why, sizeof why, "invalid policy version: %.200s",
                 self->err[0] ? self->err : vl_strerror(rc));
        vn_drop(self, p, rc, why, now);
        break;
    }
    if (adopted)
        vn_policy_changed(self, before, now);
}

/* ---- freshness statements (docs/trust.md §3) ------------------------------------- */

void
vn_on_fresh(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t len = 0;
    const uint8_t *st = vl_msg_fresh(m, &len);
    char why[VL_ERRMSG_MAX];
    self->err[0] = '\0';
    int rc = vl_store_fresh_put(self->store, st, len, (uint64_t)time(NULL), self->err);
    if (rc == VL_OK) {
        char at[32];
        vn_fresh_refresh(self);
        s_utc(self->ours.fi, at);
        vl_debug("peer %s: freshness statement of %s accepted", vl_peer_label(p), at);
        s_push_fresh_all(self, st, len, p, now);
        return;
    }
    if (rc == VL_EEXIST || rc == VL_ESTALE || rc == VL_ENOTFOUND) {
        /* The same or an older one (several paths), or under a policy
         * version we have not adopted yet: nobody's fault. */
        vl_debug("peer %s: freshness statement not taken: %s", vl_peer_label(p), self->err);
        return;
    }
    if (rc == VL_EINVAL) {
        /* Issued beyond our clock plus the skew: the relay did not sign it,
         * and the likelier culprit is this node's clock. */
        vl_warn("peer %s: freshness statement not taken: %s (is this node's clock right?)",
                vl_peer_label(p), self->err);
        return;
    }
    if (rc == VL_EPERM || rc == VL_ECHAIN) {
        /* Signed by a node that is not the fresh node of our version (the
         * relay may not have our newest version yet), or naming another
         * entry than ours: the relay did not sign it. */
        vl_warn("peer %s: freshness statement not taken: %s", vl_peer_label(p), self->err);
        return;
    }
    if (vn_local_failure(rc)) {
        vl_error("cannot store a freshness statement from %s: %s: %s", vl_peer_label(p),
                 vl_strerror(rc), self->err);
        return;
    }
    snprintf(why, sizeof why, "invalid freshness statement: %.200s",
             self->err[0] ? self->err : vl_strerror(rc));
    vn_drop(self, p, rc, why, now);
}

/* ---- equivocation (docs/trust.md §5) --------------------------------------------- */

/* Ask p for its entry at seq (a fork probe). */
void
vn_probe(vl_node_t *self, vl_peer_t *p, uint64_t seq, bool chain, const char *why, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_get(seq, 1, &buf, &len) != VL_OK)
        return;
    if (vn_send(self, p, buf, len) == VL_OK) {
        vl_peer_probe_start(p, seq, now, vn_pull_timeout(self), chain, why);
        vl_warn("peer %s: its entry %llu may differ from ours; asking for it (fork check)",
                vl_peer_label(p), (unsigned long long)seq);
    }
    free(buf);
}

/* Their hello names a head at a seq we hold: is it our link there? */
void
vn_check_head(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now)
{
    uint8_t link[VL_HASH_LEN];
    char why[160];
    if (self->fork_seq || vl_peer_probe_seq(p))
        return; /* a fork is known already, or a probe is under way */
    if (h->seq == self->ours.seq) {
        memcpy(link, self->ours.head, VL_HASH_LEN);
    } else {
        self->err[0] = '\0';
        int rc = vl_store_link(self->store, h->seq, link, self->err);
        if (rc != VL_OK) {
            vl_error("cannot read our entry %llu: %s: %s", (unsigned long long)h->seq,
                     vl_strerror(rc), self->err);
            return;
        }
    }
    if (memcmp(link, h->head, VL_HASH_LEN) == 0) {
        vl_peer_head_checked(p, h->seq, h->head);
        return;
    }
    snprintf(why, sizeof why, "its hello named another head at entry %llu than its entry %llu",
             (unsigned long long)h->seq, (unsigned long long)h->seq);
    vn_probe(self, p, h->seq, false, why, now);
}

/* A fork probe found two valid entries at one seq: theirs (e) and ours. */
static void
s_fork_found(vl_node_t *self, vl_peer_t *p, uint64_t seq, const uint8_t *e, size_t len,
             uint64_t now)
{
    uint64_t before = self->ours.ev;
    uint8_t *mine = NULL;
    size_t mlen = 0;
    char who[640];
    (void)now;
    vn_evidence_refresh(self);
    s_pull_stop(self);
    if (self->ours.ev <= before) {
        vl_debug("peer %s: the fork at entry %llu is known already", vl_peer_label(p),
                 (unsigned long long)seq);
        return;
    }
    snprintf(who, sizeof who, "unknown");
    self->err[0] = '\0';
    if (vl_store_entry_bytes(self->store, seq, &mine, &mlen, self->err) == VL_OK)
        s_fork_signers(self, mine, mlen, e, len, &seq, who, sizeof who);
    free(mine);
    vl_error("FORK at entry %llu: peer %s holds another entry %llu, validly signed; approvers "
             "who signed both: %s. Evidence stored and sent to every peer; this node applies "
             "no entry from %llu on (docs/operator.md: what to do on a fork)",
             (unsigned long long)seq, vl_peer_label(p), (unsigned long long)seq, who,
             (unsigned long long)self->fork_seq);
    vn_push_evidence(self, NULL, NULL);
}

/* The answer to a fork probe (entries from the probe's seq). */
void
vn_on_probe(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    uint64_t seq = vl_peer_probe_seq(p);
    bool chain = vl_peer_probe_chain(p);
    char why[VL_ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", vl_peer_probe_why(p));
    vl_peer_probe_end(p);
    if (vl_msg_entries_count(m) > 0 && vl_msg_entries_from(m) != seq) {
        snprintf(why, sizeof why, "asked for its entry %llu, sent entry %llu",
                 (unsigned long long)seq, (unsigned long long)vl_msg_entries_from(m));
        vn_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    if (vl_msg_entries_count(m) == 0) {
        snprintf(why, sizeof why, "asked for its entry %llu, sent none",
                 (unsigned long long)seq);
        vn_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    size_t len = 0;
    const uint8_t *e = vl_msg_entry(m, 0, &len);
    self->err[0] = '\0';
    int rc = vl_store_fork_check(self->store, e, len, self->err);
    if (rc == VL_OK) {
        /* Its entry is ours: no fork; what made us ask was its fault. */
        vn_drop(self, p, chain ? VL_ECHAIN : VL_EPROTO, why, now);
    } else if (rc == VL_EFORK) {
        s_fork_found(self, p, seq, e, len, now);
    } else if (rc == VL_ECHAIN) {
        /* Its entry is valid but on the other side of a policy pin: the
         * approvers chose a history, and ours is not it (or the peer's is
         * not). Not the peer's fault; this store may need rebuilding. */
        vl_error("peer %s: its entry %llu is on another history than ours, and a policy "
                 "version pins one of them: %s (if this store is on the abandoned history, "
                 "rebuild it: docs/operator.md §8.3)", vl_peer_label(p),
                 (unsigned long long)seq, self->err);
        const vl_hello_t *t = vl_peer_theirs(p);
        vl_peer_pull_hold(p, t ? t->seq : 0, self->ours.pv);
    } else if (rc == VL_ENOTFOUND) {
        vl_info("peer %s: its entry %llu cannot be checked here: %s", vl_peer_label(p),
                (unsigned long long)seq, self->err);
        const vl_hello_t *t = vl_peer_theirs(p);
        vl_peer_pull_hold(p, t ? t->seq : 0, self->ours.pv);
    } else if (vn_local_failure(rc)) {
        vl_error("cannot check entry %llu from %s: %s: %s", (unsigned long long)seq,
                 vl_peer_label(p), vl_strerror(rc), self->err);
    } else {
        snprintf(why, sizeof why, "invalid entry %llu: %.180s", (unsigned long long)seq,
                 self->err[0] ? self->err : vl_strerror(rc));
        vn_drop(self, p, rc, why, now);
    }
}

void
vn_on_evidence(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t alen = 0, blen = 0;
    const uint8_t *a = vl_msg_evidence(m, 0, &alen), *b = vl_msg_evidence(m, 1, &blen);
    char why[VL_ERRMSG_MAX];
    self->err[0] = '\0';
    int rc = vl_store_evidence_put(self->store, a, alen, b, blen, self->err);
    if (rc == VL_EFORK) {
        char who[640];
        uint64_t seq = 0;
        uint8_t *buf = NULL;
        size_t len = 0;
        vn_evidence_refresh(self);
        s_pull_stop(self);
        s_fork_signers(self, a, alen, b, blen, &seq, who, sizeof who);
        vl_error("FORK at entry %llu: evidence received from peer %s: two entries %llu, both "
                 "validly signed; approvers who signed both: %s. This node applies no entry "
                 "from %llu on; evidence passed on to every other peer "
                 "(docs/operator.md: what to do on a fork)", (unsigned long long)seq,
                 vl_peer_label(p), (unsigned long long)seq, who,
                 (unsigned long long)self->fork_seq);
        if (vl_msg_encode_evidence(a, alen, b, blen, &buf, &len) == VL_OK)
            for (size_t i = 0; i < self->nout + self->nin; i++) {
                vl_peer_t *q = vn_peer_at(self, i);
                if (q != p && s_open(q))
                    (void)vn_send(self, q, buf, len);
            }
        free(buf);
        return;
    }
    if (rc == VL_EEXIST) {
        vl_debug("peer %s: evidence already known", vl_peer_label(p));
        return;
    }
    if (rc == VL_ECHAIN) {
        /* Two valid entries below a policy pin: settled, not the sender's
         * fault (it may not have the pinning version yet). */
        vl_info("peer %s: evidence not taken: %s", vl_peer_label(p), self->err);
        return;
    }
    if (rc == VL_ENOTFOUND) {
        vl_info("peer %s: evidence cannot be checked here yet: %s", vl_peer_label(p),
                self->err);
        return;
    }
    if (vn_local_failure(rc)) {
        vl_error("cannot store evidence from %s: %s: %s", vl_peer_label(p), vl_strerror(rc),
                 self->err);
        return;
    }
    snprintf(why, sizeof why, "invalid evidence: %.200s",
             self->err[0] ? self->err : vl_strerror(rc));
    vn_drop(self, p, rc, why, now);
}
