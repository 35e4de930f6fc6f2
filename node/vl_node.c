/* SPDX-License-Identifier: MIT */
/*
 * vl_node - the single-threaded event loop of valise-node (see vl_node.h).
 *
 * Ownership: the node owns the config, the transport and every session; it
 * borrows the store and the key pair from main. Out sessions (configured
 * peers) live until shutdown or a reload removes them; in sessions are
 * created by a valid hello on a new ROUTER connection and are freed only in
 * s_reap, so that no handler ever frees a session another frame of the same
 * turn still refers to.
 *
 * Pulls are one at a time node-wide (s_pull_*): two sessions pulling the
 * same entries would only make one of them fail the chain check.
 *
 * Trust over time (docs/trust.md): the policy is never cached across store
 * calls (s_pol: a version adopted here or by another process on the same
 * store replaces it); a newer version is pushed to peers that announce an
 * older one (`policies`), adopted in order when received, and then the ZAP
 * allow-list is rebuilt and every session whose key is no longer a node is
 * closed. The node whose key is the policy's `fresh` key signs freshness
 * statements; every node relays the newest one (`fresh`). Two valid entries
 * at one seq found by a fork probe (a `get` of one entry) are evidence: the
 * node stops pulling and passes it to every peer (`evidence`).
 */
#include "vl_node.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "vl_change.h"
#include "vl_fresh.h"
#include "vl_log.h"
#include "vl_msg.h"
#include "vl_peer.h"
#include "vl_transport.h"

/* Most in sessions (connections accepted by our ROUTER): two per node of
 * the policy leaves room for a reconnect overlapping its dead predecessor. */
#define S_MAX_IN (2u * VL_MAX_NODES)
/* Frames handled per socket per turn, so no peer starves the others. */
#define S_FRAMES_PER_TURN 32
/* Entries whose signatures the background audit checks per idle slice. */
#define S_AUDIT_SLICE 32u
/* Linger for the last `error` to a peer we drop. */
#define S_DROP_LINGER_MS 200
/* How long the self-check waits for the ZAP verdict. */
#define S_SELFCHECK_MS 5000
/* A link whose monitor stays quiet this long after a disconnect is dead
 * (libzmq gave up: protocol error) and is re-created. */
#define S_DOWN_QUIET_MS 3000u
/* The peer-status record of ZAP refusals. */
#define S_ZAP_ADDR "zap:refused"
/* Most forks sent in one evidence push. */
#define S_EVIDENCE_PUSH 16u

/* A node key banned from our ROUTER after invalid input. */
typedef struct {
    uint8_t pk[VL_PK_LEN];
    uint64_t until;       /* monotonic ms; 0 = free slot */
    uint32_t backoff;     /* next ban length */
} s_ban_t;

/* Structure of our class */
struct vl_node {
    vl_config_t *cfg;               /* owned; replaced on reload */
    vl_store_t *store;              /* borrowed */
    const vl_keypair_t *kp;         /* borrowed */
    vl_transport_t *tr;             /* ZAP, ROUTER, links */
    char kid[2 * VL_KID_LEN + 1];   /* our key id */
    vl_peer_t *out[VL_MAX_PEERS];   /* configured peers */
    size_t nout;
    vl_peer_t *in[S_MAX_IN];        /* accepted connections */
    size_t nin;
    s_ban_t bans[VL_MAX_NODES];     /* keys banned from the ROUTER */
    vl_hello_t ours;                /* our summary, refreshed every poll_ms */
    vl_hello_t announced;           /* the summary we last pushed */
    bool have_ours;                 /* ours was read at least once */
    uint8_t (*ids)[VL_HASH_LEN];    /* our pending ids (sorted) */
    size_t nids;
    vl_peer_t *puller;              /* the session we pull from, or NULL */
    bool audit_pending;             /* signatures behind the head to check */
    bool audit_failed;              /* the audit found a bad signature */
    uint64_t audit_at;              /* sigs_checked after the last slice */
    unsigned audit_slices;          /* slices since the audit last caught up */
    uint64_t next_poll;             /* next head poll (monotonic ms) */
    uint64_t zap_saved;             /* refused count last persisted */
    uint64_t zap_saved_at;          /* when */
    uint64_t bad_frames;            /* frames that failed to decode or frame */
    uint64_t drops;                 /* sessions dropped for invalid input */
    uint64_t applied;               /* entries applied from peers */
    uint64_t pulled_to;             /* head after our last applied batch */
    uint64_t served;                /* entries sent to peers */
    uint64_t fork_seq;              /* lowest seq with evidence, 0 none: no pulls */
    uint64_t revoked_pv;            /* the version that revokes our key (logged), 0 none */
    bool signer;                    /* our key is the policy's `fresh` key */
    bool fresh_due;                 /* our head moved: a statement is due */
    uint64_t fresh_next;            /* wall s: next periodic statement */
    uint64_t fresh_issued;          /* wall s: `issued` of our newest statement */
    uint64_t fresh_seq;             /* head seq it named */
    uint8_t fresh_head[VL_HASH_LEN];/* and the link */
    char err[VL_ERRMSG_MAX];        /* scratch detail buffer */
};

/* The current policy. Never kept across store calls: adopting a version
 * (here, or by `valise` on the same store) replaces it. */
static const vl_policy_t *
s_pol(const vl_node_t *self)
{
    return vl_store_policy(self->store);
}

/* Session i of out[] then in[] (i < nout + nin). */
static vl_peer_t *
s_peer_at(const vl_node_t *self, size_t i)
{
    return i < self->nout ? self->out[i] : self->in[i - self->nout];
}

/* How often the same thing is pushed again unasked to a peer that still
 * announces it lacks it: 10 hello rounds, 5..60 s. */
static uint32_t
s_push_ms(const vl_node_t *self)
{
    uint32_t t = 10u * self->cfg->anti_entropy_ms;
    return t < 5000u ? 5000u : t > 60000u ? 60000u : t;
}

static void
s_utc(uint64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, 32, "%llu", (unsigned long long)t);
}

static uint32_t
s_pull_timeout(const vl_node_t *self)
{
    uint32_t t = 4u * self->cfg->anti_entropy_ms;
    return t < 15000u ? 15000u : t;
}

/* In sessions silent this long are reaped: their DEALER says hello every
 * anti_entropy_ms, so three missed rounds plus slack mean it is gone. */
static uint64_t
s_idle_timeout(const vl_node_t *self)
{
    return 3ull * self->cfg->anti_entropy_ms + VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS;
}

/* ---- status records --------------------------------------------------------------- */

static void
s_save_info(vl_node_t *self, vl_peer_t *p, uint64_t now, bool force)
{
    if (!vl_peer_info_due(p, now, force))
        return;
    self->err[0] = '\0';
    int rc = vl_store_peer_put(self->store, vl_peer_info(p), self->err);
    if (rc != VL_OK)
        vl_warn("cannot save the status of peer %s: %s: %s", vl_peer_label(p),
                vl_strerror(rc), self->err);
    /* Marked saved either way: a failing store must not be retried every turn. */
    vl_peer_info_saved(p, now);
}

static void
s_save_zap(vl_node_t *self, uint64_t now, bool force)
{
    const char *key = NULL, *addr = NULL;
    uint64_t n = vl_transport_refused(self->tr, &key, &addr);
    if (n == self->zap_saved || (!force && now - self->zap_saved_at < VL_PEER_INFO_MS))
        return;
    vl_peer_info_t info;
    memset(&info, 0, sizeof info);
    snprintf(info.addr, sizeof info.addr, "%s", S_ZAP_ADDR);
    snprintf(info.state, sizeof info.state, "refused");
    info.last_contact = vl_wall_s();
    info.dropped = n;
    snprintf(info.last_error, sizeof info.last_error, "last: key %.32s... from %.40s",
             key ? key : "?", addr && addr[0] ? addr : "?");
    self->err[0] = '\0';
    if (vl_store_peer_put(self->store, &info, self->err) != VL_OK)
        vl_warn("cannot save the ZAP refusal count: %s", self->err);
    self->zap_saved = n;
    self->zap_saved_at = now;
}

/* ---- our summary --------------------------------------------------------------------- */

static void s_policy_changed(vl_node_t *self, uint64_t old_pv, uint64_t now);

/* Read head and pending set; push a hello to every session when they moved.
 * Also notices a policy version adopted by another process on this store. */
static void
s_refresh_ours(vl_node_t *self, uint64_t now)
{
    vl_head_t head;
    uint8_t (*ids)[VL_HASH_LEN] = NULL;
    size_t n = 0;
    uint8_t pd[VL_HASH_LEN];
    int rc = vl_store_head(self->store, &head);
    if (rc == VL_OK)
        rc = vl_store_pending_ids(self->store, &ids, &n, pd);
    if (rc != VL_OK) {
        vl_error("cannot read the store head: %s", vl_strerror(rc));
        free(ids);
        return;
    }
    free(self->ids);
    self->ids = ids;
    self->nids = n;
    uint64_t old_seq = self->ours.seq;
    const vl_policy_t *pol = s_pol(self);
    uint64_t old_pv = self->ours.pv;
    memcpy(self->ours.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(self->ours.policy, vl_policy_hash(pol), VL_HASH_LEN);
    self->ours.pv = vl_policy_version(pol);
    if (self->have_ours && self->ours.pv != old_pv)
        s_policy_changed(self, old_pv, now); /* e.g. `valise policy publish` here */
    self->ours.seq = head.seq;
    memcpy(self->ours.head, head.hash, VL_HASH_LEN);
    self->ours.pn = n;
    memcpy(self->ours.pd, pd, VL_HASH_LEN);
    if (self->have_ours && head.seq > old_seq) {
        /* Our own pulls log their progress; this line is for the rest
         * (`valise approve` or another writer on the same store). */
        vl_log(head.seq > self->pulled_to ? VL_LOG_INFO : VL_LOG_DEBUG,
               "head moved to seq %llu", (unsigned long long)head.seq);
        /* Another process may have appended entries without checking every
         * signature (vl_store_append_chain): let the audit look. */
        self->audit_pending = !self->audit_failed;
    }
    if (self->signer && (head.seq != self->fresh_seq ||
                         memcmp(head.hash, self->fresh_head, VL_HASH_LEN) != 0))
        self->fresh_due = true;
    self->have_ours = true;
    if (memcmp(&self->ours, &self->announced, sizeof self->ours) != 0) {
        self->announced = self->ours;
        vl_debug("announcing seq %llu, %zu pending", (unsigned long long)head.seq, n);
        for (size_t i = 0; i < self->nout; i++)
            vl_peer_hello_now(self->out[i]);
        for (size_t i = 0; i < self->nin; i++)
            vl_peer_hello_now(self->in[i]);
    }
}

/* ---- sending -------------------------------------------------------------------------- */

/* Send one frame to a session (consumes nothing; buf stays the caller's). */
static int
s_send(vl_node_t *self, vl_peer_t *p, const uint8_t *buf, size_t len)
{
    int rc;
    if (vl_peer_dir(p) == VL_PEER_OUT) {
        vl_link_t *l = vl_peer_link(p);
        if (!l)
            return VL_EAGAIN;
        rc = vl_link_send(l, buf, len);
    } else {
        size_t rl = 0;
        const uint8_t *rid = vl_peer_rid(p, &rl);
        rc = vl_transport_router_send(self->tr, rid, rl, buf, len);
        if (rc == VL_ENOTFOUND) {
            vl_info("peer %s: connection gone", vl_peer_label(p));
            if (self->puller == p)
                self->puller = NULL;
            vl_peer_mark_gone(p, "closed");
        }
    }
    if (rc == VL_EAGAIN)
        vl_debug("peer %s: not connected or queue full; message not sent", vl_peer_label(p));
    else if (rc == VL_EIO)
        vl_warn("peer %s: send failed: %s", vl_peer_label(p), zmq_strerror(zmq_errno()));
    return rc;
}

static void
s_send_hello(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_hello(&self->ours, &buf, &len) != VL_OK) {
        vl_error("out of memory encoding hello");
        vl_peer_hello_defer(p, now, self->cfg->poll_ms);
        return;
    }
    if (s_send(self, p, buf, len) == VL_OK)
        vl_peer_hello_sent(p, now, self->cfg->anti_entropy_ms);
    else
        vl_peer_hello_defer(p, now, self->cfg->poll_ms);
    free(buf);
}

/* Ban a node key from our ROUTER for its current back-off (doubling for a
 * repeat offender, up to reconnect_max_ms). */
static void
s_ban(vl_node_t *self, const uint8_t pk[VL_PK_LEN], const char *label, uint64_t now)
{
    s_ban_t *slot = NULL;
    for (size_t i = 0; i < VL_MAX_NODES && !slot; i++)
        if (self->bans[i].backoff && memcmp(self->bans[i].pk, pk, VL_PK_LEN) == 0)
            slot = &self->bans[i];
    for (size_t i = 0; i < VL_MAX_NODES && !slot; i++)
        if (!self->bans[i].until) {
            slot = &self->bans[i];
            memcpy(slot->pk, pk, VL_PK_LEN);
            slot->backoff = VL_PEER_BACKOFF_MIN_MS;
        }
    if (!slot)
        return; /* every node of the policy is banned already */
    slot->until = now + slot->backoff;
    slot->backoff = slot->backoff > self->cfg->reconnect_max_ms / 2 ? self->cfg->reconnect_max_ms
                                                                    : slot->backoff * 2;
    vl_info("peer %s: frames from this key ignored for %llu ms", label,
            (unsigned long long)(slot->until - now));
}

/* Drop a session for invalid input: tell it why, count, back off. */
static void
s_drop(vl_node_t *self, vl_peer_t *p, int code, const char *why, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    self->drops++;
    vl_warn("peer %s: dropped: %s (%s)", vl_peer_label(p), why, vl_strerror(code));
    if (vl_peer_sendable(p) && vl_msg_encode_error(code, why, &buf, &len) == VL_OK)
        (void)s_send(self, p, buf, len);
    free(buf);
    if (self->puller == p)
        self->puller = NULL;
    if (vl_peer_dir(p) == VL_PEER_OUT) {
        vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
        vl_peer_close_link(p, S_DROP_LINGER_MS);
        vl_info("peer %s: retrying in %llu ms", vl_peer_label(p),
                (unsigned long long)(vl_peer_retry_at(p) - now));
    } else {
        /* Our ROUTER cannot close one connection: ban the key instead, so
         * its frames are discarded unread until the back-off ends. */
        s_ban(self, vl_peer_pk(p), vl_peer_label(p), now);
        vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
        vl_peer_mark_gone(p, "bad");
    }
    s_save_info(self, p, now, true);
}

static bool
s_banned(vl_node_t *self, const uint8_t pk[VL_PK_LEN], uint64_t now)
{
    for (size_t i = 0; i < VL_MAX_NODES; i++) {
        s_ban_t *b = &self->bans[i];
        if (!b->until)
            continue;
        if (now >= b->until) {
            b->until = 0; /* keep pk and backoff: a repeat offender waits longer */
            continue;
        }
        if (memcmp(b->pk, pk, VL_PK_LEN) == 0)
            return true;
    }
    return false;
}

/* ---- trust over time: policies, freshness, evidence (docs/trust.md) -------------------- */

static bool
s_open(const vl_peer_t *p)
{
    return vl_peer_identified(p) && vl_peer_sendable(p);
}

/* Push policy versions their_pv+1 .. ours to p: at most VL_MAX_POLICY_PUSH
 * and VL_SYNC_BYTES (at least one) per message; the rest goes when the peer
 * announces the versions it adopted. force skips the rate limit. */
static void
s_push_policies(vl_node_t *self, vl_peer_t *p, uint64_t their_pv, uint64_t now, bool force)
{
    const uint8_t *docs[VL_MAX_POLICY_PUSH];
    size_t lens[VL_MAX_POLICY_PUSH], n = 0, total = 0;
    uint64_t ours = vl_policy_version(s_pol(self));
    if (their_pv == 0 || their_pv >= ours)
        return;
    if (!vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, their_pv, now,
                              force ? 0 : s_push_ms(self)))
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
    else if (s_send(self, p, buf, blen) == VL_OK)
        vl_info("peer %s: sent policy versions %llu..%llu (it has %llu)", vl_peer_label(p),
                (unsigned long long)(their_pv + 1), (unsigned long long)(their_pv + n),
                (unsigned long long)their_pv);
    free(buf);
}

/* Send our stored freshness statement (stmt, or read from the store when
 * NULL) to p. */
static void
s_push_fresh(vl_node_t *self, vl_peer_t *p, const uint8_t *stmt, size_t slen, uint64_t now,
             bool force)
{
    uint8_t *owned = NULL, *buf = NULL;
    size_t blen = 0;
    if (!vl_peer_push_allowed(p, VL_PEER_PUSH_FRESH, self->ours.fi, now,
                              force ? 0 : s_push_ms(self)))
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
    if (vl_msg_encode_fresh(stmt, slen, &buf, &blen) == VL_OK && s_send(self, p, buf, blen) == VL_OK)
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
        vl_peer_t *q = s_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(q);
        if (q != except && s_open(q) && t && t->fi < self->ours.fi)
            s_push_fresh(self, q, stmt, slen, now, true);
    }
}

/* The `issued` of the stored statement (0: none). */
static void
s_fresh_refresh(vl_node_t *self)
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
static void
s_signer_refresh(vl_node_t *self)
{
    const uint8_t *fk = vl_policy_fresh(s_pol(self));
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
                (unsigned long long)vl_policy_version(s_pol(self)));
    }
}

/* The signer: a statement of our head every fresh_interval seconds and
 * whenever the head moved (at most one a second: `issued` must grow). */
static void
s_fresh_tick(vl_node_t *self, uint64_t now)
{
    if (!self->signer || !self->have_ours)
        return;
    uint64_t wall = vl_wall_s();
    if ((!self->fresh_due && wall < self->fresh_next) || wall <= self->fresh_issued)
        return;
    const vl_policy_t *pol = s_pol(self);
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

/* ---- evidence ---- */

static int
s_count_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
           size_t blen)
{
    (void)seq, (void)a, (void)alen, (void)b, (void)blen;
    (*(uint64_t *)ctx)++;
    return 0;
}

/* Re-read how many forks we hold and the lowest one. */
static void
s_evidence_refresh(vl_node_t *self)
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
        vl_peer_t *q = s_peer_at(self, i);
        if ((c->only && q != c->only) || q == c->except || !s_open(q))
            continue;
        if (s_send(self, q, buf, len) == VL_OK) {
            c->sent++;
            vl_debug("peer %s: sent the evidence of the fork at entry %llu", vl_peer_label(q),
                     (unsigned long long)seq);
        }
    }
    free(buf);
    return 0;
}

/* Send every fork we hold to `only`, or to every open session but `except`. */
static void
s_push_evidence(vl_node_t *self, vl_peer_t *only, vl_peer_t *except)
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
    if (self->puller) {
        vl_peer_pull_end(self->puller);
        self->puller = NULL;
    }
}

/* ---- pulling ------------------------------------------------------------------------ */

/* May we pull from p? Not once a fork is known (docs/trust.md §5: the log
 * stops), not from a peer with a policy version we have not adopted (its
 * newer entries cannot be verified yet; it pushes the versions to us), not
 * while a pull from it failed for a reason that was not its fault. */
static bool
s_pullable(const vl_node_t *self, const vl_peer_t *p)
{
    const vl_hello_t *t = vl_peer_theirs(p);
    return !self->fork_seq && t && vl_peer_sendable(p) && t->pv <= self->ours.pv &&
           !vl_peer_pull_held(p, t->seq, self->ours.pv) && vl_peer_probe_seq(p) == 0;
}

/* Ask p for entries after our head, up to target (its head as last heard). */
static void
s_pull_from(vl_node_t *self, vl_peer_t *p, uint64_t target, uint64_t now)
{
    if (!vl_peer_identified(p) || !s_pullable(self, p) || target <= self->ours.seq)
        return;
    if (self->puller && self->puller != p)
        return;
    if (vl_peer_pull_from(p) != 0)
        return; /* a get is already outstanding */
    uint64_t from = self->ours.seq + 1;
    uint64_t max = target - self->ours.seq;
    if (max > VL_SYNC_BATCH)
        max = VL_SYNC_BATCH;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_get(from, max, &buf, &len) != VL_OK)
        return;
    if (s_send(self, p, buf, len) == VL_OK) {
        vl_peer_pull_start(p, from, now, s_pull_timeout(self));
        self->puller = p;
        vl_debug("peer %s: get %llu..%llu", vl_peer_label(p), (unsigned long long)from,
                 (unsigned long long)(from + max - 1));
    }
    free(buf);
}

/* Pull from the session that is furthest ahead, if none is pulling. */
static void
s_pull_pick(vl_node_t *self, uint64_t now)
{
    if (self->puller)
        return;
    vl_peer_t *best = NULL;
    uint64_t best_seq = self->ours.seq;
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = s_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(p);
        if (t && s_pullable(self, p) && t->seq > best_seq) {
            best = p;
            best_seq = t->seq;
        }
    }
    if (best)
        s_pull_from(self, best, best_seq, now);
}

/* Our side's trouble, not the peer's (VL_EAGAIN: a store function not
 * available yet is ours too). */
static bool
s_local_failure(int rc)
{
    return rc == VL_ESTORE || rc == VL_ENOMEM || rc == VL_EIO || rc == VL_EAGAIN;
}

/* ---- policy versions (docs/trust.md §1, §2) ------------------------------------------ */

static void s_open_link(vl_node_t *self, vl_peer_t *p, uint64_t now);

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
            s_push_policies(self, p, t->pv, now, true);
        if (vl_msg_encode_error(VL_EPERM, why, &buf, &len) == VL_OK)
            (void)s_send(self, p, buf, len);
        free(buf);
    }
    if (self->puller == p) {
        vl_peer_pull_end(p);
        self->puller = NULL;
    }
    vl_info("peer %s: its key is %s; session closed", vl_peer_label(p), why);
    if (vl_peer_dir(p) == VL_PEER_OUT) {
        vl_peer_close_link(p, S_DROP_LINGER_MS);
        vl_peer_on_revoked(p, why);
    } else {
        vl_peer_note(p, why);
        vl_peer_mark_gone(p, "revoked");
    }
    s_save_info(self, p, now, true);
}

/* After a new version: close the sessions of keys that are no longer nodes;
 * a peer configured by name whose node has a new key (a rotation) is
 * reconnected with it. @return sessions closed. */
static size_t
s_recheck_sessions(vl_node_t *self, uint64_t now)
{
    const vl_policy_t *pol = s_pol(self);
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
        s_open_link(self, p, now);
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
static void
s_policy_changed(vl_node_t *self, uint64_t old_pv, uint64_t now)
{
    const vl_policy_t *pol = s_pol(self);
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
    s_fresh_refresh(self);
    s_signer_refresh(self);
    /* A version may settle a fork (evidence below its pin stops nothing). */
    s_evidence_refresh(self);
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *q = s_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(q);
        vl_peer_hello_now(q);
        if (t && s_open(q) && t->pv < pv)
            s_push_policies(self, q, t->pv, now, true);
    }
}

static void
s_on_policies(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t n = vl_msg_policies_count(m), adopted = 0;
    uint64_t before = vl_policy_version(s_pol(self));
    char why[VL_ERRMSG_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *doc = vl_msg_policy(m, i, &len);
        uint64_t next = vl_policy_version(s_pol(self)) + 1;
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
        if (s_local_failure(rc)) {
            vl_error("cannot adopt a policy version from %s: %s: %s", vl_peer_label(p),
                     vl_strerror(rc), self->err);
            break;
        }
        snprintf(why, sizeof why, "invalid policy version: %.200s",
                 self->err[0] ? self->err : vl_strerror(rc));
        s_drop(self, p, rc, why, now);
        break;
    }
    if (adopted)
        s_policy_changed(self, before, now);
}

/* ---- freshness statements (docs/trust.md §3) ------------------------------------------ */

static void
s_on_fresh(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t len = 0;
    const uint8_t *st = vl_msg_fresh(m, &len);
    char why[VL_ERRMSG_MAX];
    self->err[0] = '\0';
    int rc = vl_store_fresh_put(self->store, st, len, (uint64_t)time(NULL), self->err);
    if (rc == VL_OK) {
        char at[32];
        s_fresh_refresh(self);
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
    if (s_local_failure(rc)) {
        vl_error("cannot store a freshness statement from %s: %s: %s", vl_peer_label(p),
                 vl_strerror(rc), self->err);
        return;
    }
    snprintf(why, sizeof why, "invalid freshness statement: %.200s",
             self->err[0] ? self->err : vl_strerror(rc));
    s_drop(self, p, rc, why, now);
}

/* ---- equivocation (docs/trust.md §5) ----------------------------------------------------- */

/* Ask p for its entry at seq (a fork probe). */
static void
s_probe(vl_node_t *self, vl_peer_t *p, uint64_t seq, bool chain, const char *why, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_get(seq, 1, &buf, &len) != VL_OK)
        return;
    if (s_send(self, p, buf, len) == VL_OK) {
        vl_peer_probe_start(p, seq, now, s_pull_timeout(self), chain, why);
        vl_warn("peer %s: its entry %llu may differ from ours; asking for it (fork check)",
                vl_peer_label(p), (unsigned long long)seq);
    }
    free(buf);
}

/* Their hello names a head at a seq we hold: is it our link there? */
static void
s_check_head(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now)
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
    s_probe(self, p, h->seq, false, why, now);
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
    s_evidence_refresh(self);
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
    s_push_evidence(self, NULL, NULL);
}

/* The answer to a fork probe (entries from the probe's seq). */
static void
s_on_probe(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    uint64_t seq = vl_peer_probe_seq(p);
    bool chain = vl_peer_probe_chain(p);
    char why[VL_ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", vl_peer_probe_why(p));
    vl_peer_probe_end(p);
    if (vl_msg_entries_count(m) > 0 && vl_msg_entries_from(m) != seq) {
        snprintf(why, sizeof why, "asked for its entry %llu, sent entry %llu",
                 (unsigned long long)seq, (unsigned long long)vl_msg_entries_from(m));
        s_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    if (vl_msg_entries_count(m) == 0) {
        snprintf(why, sizeof why, "asked for its entry %llu, sent none",
                 (unsigned long long)seq);
        s_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    size_t len = 0;
    const uint8_t *e = vl_msg_entry(m, 0, &len);
    self->err[0] = '\0';
    int rc = vl_store_fork_check(self->store, e, len, self->err);
    if (rc == VL_OK) {
        /* Its entry is ours: no fork; what made us ask was its fault. */
        s_drop(self, p, chain ? VL_ECHAIN : VL_EPROTO, why, now);
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
    } else if (s_local_failure(rc)) {
        vl_error("cannot check entry %llu from %s: %s: %s", (unsigned long long)seq,
                 vl_peer_label(p), vl_strerror(rc), self->err);
    } else {
        snprintf(why, sizeof why, "invalid entry %llu: %.180s", (unsigned long long)seq,
                 self->err[0] ? self->err : vl_strerror(rc));
        s_drop(self, p, rc, why, now);
    }
}

static void
s_on_evidence(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
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
        s_evidence_refresh(self);
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
                vl_peer_t *q = s_peer_at(self, i);
                if (q != p && s_open(q))
                    (void)s_send(self, q, buf, len);
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
    if (s_local_failure(rc)) {
        vl_error("cannot store evidence from %s: %s: %s", vl_peer_label(p), vl_strerror(rc),
                 self->err);
        return;
    }
    snprintf(why, sizeof why, "invalid evidence: %.200s",
             self->err[0] ? self->err : vl_strerror(rc));
    s_drop(self, p, rc, why, now);
}

/* ---- handlers ------------------------------------------------------------------------ */

static void
s_on_hello(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now)
{
    unsigned todo = 0;
    bool first = !vl_peer_identified(p);
    self->err[0] = '\0';
    int rc = vl_peer_on_hello(p, h, &self->ours, now, &todo, self->err);
    if (rc != VL_OK) {
        if (rc == VL_EFORK)
            vl_error("peer %s: POLICY FORK: %s; two documents of one version were signed "
                     "(docs/operator.md)", vl_peer_label(p), self->err);
        char why[VL_ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", self->err);
        s_drop(self, p, rc, why, now);
        return;
    }
    if (first)
        vl_info("peer %s: hello: their seq %llu, ours %llu; %llu pending there, %llu here",
                vl_peer_label(p), (unsigned long long)h->seq,
                (unsigned long long)self->ours.seq, (unsigned long long)h->pn,
                (unsigned long long)self->ours.pn);
    else
        vl_debug("peer %s: hello: their seq %llu, ours %llu", vl_peer_label(p),
                 (unsigned long long)h->seq, (unsigned long long)self->ours.seq);
    if (first && h->pv != self->ours.pv)
        vl_info("peer %s: policy version %llu there, %llu here%s", vl_peer_label(p),
                (unsigned long long)h->pv, (unsigned long long)self->ours.pv,
                h->pv > self->ours.pv ? "; not pulling from it until we adopt its versions"
                                      : "; sending ours");
    if (todo & VL_PEER_DO_HELLO)
        s_send_hello(self, p, now);
    if (todo & VL_PEER_DO_POLICIES)
        s_push_policies(self, p, h->pv, now, false);
    if ((todo & VL_PEER_DO_EVIDENCE) &&
        vl_peer_push_allowed(p, VL_PEER_PUSH_EVIDENCE, h->ev, now, s_push_ms(self)))
        s_push_evidence(self, p, NULL);
    if (todo & VL_PEER_DO_FRESH)
        s_push_fresh(self, p, NULL, 0, now, false);
    if (todo & VL_PEER_DO_CHECK)
        s_check_head(self, p, h, now);
    if (todo & VL_PEER_DO_PULL)
        s_pull_from(self, p, h->seq, now);
    if ((todo & VL_PEER_DO_HAVE) &&
        vl_peer_have_allowed(p, now, self->cfg->anti_entropy_ms / 2)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        size_t n = self->nids > VL_MAX_PENDING ? VL_MAX_PENDING : self->nids;
        if (vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])self->ids, n, &buf, &len) ==
            VL_OK)
            (void)s_send(self, p, buf, len);
        free(buf);
    }
}

static void
s_on_get(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    uint64_t from = vl_msg_get_from(m), max = vl_msg_get_max(m);
    vl_head_t head;
    uint8_t *bufs[VL_SYNC_BATCH];
    size_t lens[VL_SYNC_BATCH];
    size_t n = 0, total = 0;
    uint8_t *out = NULL;
    size_t out_len = 0;

    if (vl_store_head(self->store, &head) != VL_OK) {
        vl_error("cannot read the store head to serve %s", vl_peer_label(p));
        return;
    }
    /* max <= VL_SYNC_BATCH (vl_msg checked it): the arrays above suffice. */
    for (uint64_t seq = from; seq <= head.seq && n < max; seq++) {
        uint8_t *e = NULL;
        size_t len = 0;
        self->err[0] = '\0';
        int rc = vl_store_entry_bytes(self->store, seq, &e, &len, self->err);
        if (rc != VL_OK) {
            vl_error("cannot read entry %llu to serve %s: %s", (unsigned long long)seq,
                     vl_peer_label(p), self->err);
            break;
        }
        if (len > VL_SYNC_BYTES - total || len > VL_MAX_ENTRY) {
            free(e);
            break;
        }
        bufs[n] = e;
        lens[n] = len;
        total += len;
        n++;
    }
    int rc = vl_msg_encode_entries(from, head.seq, (const uint8_t *const *)bufs, lens, n, &out,
                                   &out_len);
    if (rc == VL_OK && s_send(self, p, out, out_len) == VL_OK) {
        vl_peer_count_sent(p, n);
        self->served += n;
        vl_debug("peer %s: sent entries %llu..%llu", vl_peer_label(p),
                 (unsigned long long)from, (unsigned long long)(from + n - (n ? 1 : 0)));
    } else if (rc != VL_OK) {
        vl_error("cannot encode entries for %s: %s", vl_peer_label(p), vl_strerror(rc));
    }
    free(out);
    for (size_t i = 0; i < n; i++)
        free(bufs[i]);
    (void)now;
}


/* True when e is the entry at head+1 of another history: its seq follows
 * our head but its prev is not our head's link. */
static bool
s_breaks_at_head(vl_node_t *self, const uint8_t *e, size_t len, const vl_head_t *head)
{
    vl_entry_t *ent = NULL;
    char err[VL_ERRMSG_MAX];
    if (vl_store_entry_parse(self->store, e, len, VL_ENTRY_NO_SIGS, &ent, err) != VL_OK)
        return false;
    bool other = vl_entry_seq(ent) == head->seq + 1 &&
                 memcmp(vl_entry_prev(ent), head->hash, VL_HASH_LEN) != 0;
    vl_entry_destroy(&ent);
    return other;
}

static void
s_on_entries(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    uint64_t from = vl_msg_entries_from(m), their_seq = vl_msg_entries_seq(m);
    size_t n = vl_msg_entries_count(m);
    const uint8_t *ptrs[VL_SYNC_BATCH];
    size_t lens[VL_SYNC_BATCH];
    char why[VL_ERRMSG_MAX];
    bool probe = vl_peer_probe_seq(p) != 0 && vl_peer_probe_seq(p) == from;

    if (!probe && (vl_peer_pull_from(p) == 0 || vl_peer_pull_from(p) != from)) {
        /* A late answer to a get we gave up on: harmless, ignored. */
        vl_debug("peer %s: unexpected entries from %llu ignored", vl_peer_label(p),
                 (unsigned long long)from);
        return;
    }
    /* Heads only grow: an answer below the head the same peer announced
     * in its hello is a lie (answering every get with nothing would
     * otherwise keep this node pulling from it in a tight loop). */
    const vl_hello_t *announced = vl_peer_theirs(p);
    if (announced && their_seq < announced->seq) {
        vl_peer_pull_end(p);
        if (self->puller == p)
            self->puller = NULL;
        snprintf(why, sizeof why, "head went back from %llu to %llu",
                 (unsigned long long)announced->seq, (unsigned long long)their_seq);
        s_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    if (probe) {
        s_on_probe(self, p, m, now);
        return;
    }
    if (n == 0) {
        vl_peer_pull_end(p);
        if (self->puller == p)
            self->puller = NULL;
        if (their_seq >= from) {
            snprintf(why, sizeof why, "announced seq %llu but sent no entry from %llu",
                     (unsigned long long)their_seq, (unsigned long long)from);
            s_drop(self, p, VL_EPROTO, why, now);
        }
        return;
    }
    /* n <= VL_SYNC_BATCH (vl_msg checked it). */
    for (size_t i = 0; i < n; i++)
        ptrs[i] = vl_msg_entry(m, i, &lens[i]);

    size_t applied = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        vl_head_t head;
        int rc = vl_store_head(self->store, &head);
        if (rc != VL_OK) {
            vl_error("cannot read the store head: %s", vl_strerror(rc));
            vl_peer_pull_end(p);
            self->puller = NULL;
            return;
        }
        if (from > head.seq + 1) {
            /* Cannot happen (we asked from our head + 1 and heads only grow);
             * refuse to create a gap whatever the reason. */
            vl_warn("peer %s: entries from %llu past our head %llu ignored", vl_peer_label(p),
                    (unsigned long long)from, (unsigned long long)head.seq);
            break;
        }
        /* Entries we already have (another session or `valise approve` got
         * there first) are skipped; the rest must chain onto our head. */
        size_t skip = (size_t)(head.seq + 1 - from);
        if (skip >= n)
            break;
        size_t cnt = n - skip;
        self->err[0] = '\0';
        /* Trust the chain below a fully verified head (docs/protocol.md
         * §4): every entry's link, proposal id, bodies, revisions and root
         * are checked, full signatures on the last entry only; because each
         * `prev` is the link of the whole previous entry, signatures
         * included, the last entry's approvers vouch for every byte before
         * it. The background audit re-checks the other signatures. */
        rc = vl_store_append_chain(self->store, ptrs + skip, lens + skip, cnt, self->err);
        if (rc == VL_OK) {
            applied = cnt;
            break;
        }
        if (rc == VL_ECHAIN && attempt == 0) {
            vl_head_t again;
            if (vl_store_head(self->store, &again) == VL_OK && again.seq != head.seq)
                continue; /* our head moved under us: recompute the overlap */
        }
        if (s_local_failure(rc)) {
            vl_error("cannot apply entries %llu..%llu from %s: %s: %s",
                     (unsigned long long)(from + skip), (unsigned long long)(from + n - 1),
                     vl_peer_label(p), vl_strerror(rc), self->err);
            vl_peer_pull_end(p);
            self->puller = NULL;
            return;
        }
        if (rc == VL_EFORK || rc == VL_ENOTFOUND) {
            /* Not the peer's fault: our log stopped at a fork, or the
             * entries name a policy version we have not adopted yet. No
             * retry from this peer until something changes (no spinning). */
            vl_log(rc == VL_EFORK ? VL_LOG_DEBUG : VL_LOG_INFO,
                   "peer %s: entries %llu..%llu not applied: %s", vl_peer_label(p),
                   (unsigned long long)(from + skip), (unsigned long long)(from + n - 1),
                   self->err[0] ? self->err : vl_strerror(rc));
            if (rc == VL_EFORK)
                s_evidence_refresh(self);
            vl_peer_pull_hold(p, their_seq, self->ours.pv);
            vl_peer_pull_end(p);
            self->puller = NULL;
            return;
        }
        snprintf(why, sizeof why, "entries %llu..%llu rejected: %.180s",
                 (unsigned long long)(from + skip), (unsigned long long)(from + n - 1),
                 self->err[0] ? self->err : vl_strerror(rc));
        if (rc == VL_ECHAIN && !self->fork_seq && head.seq > 0 &&
            s_breaks_at_head(self, ptrs[skip], lens[skip], &head)) {
            /* Its first new entry does not follow our head: its history
             * differs from ours at or below our head. Two valid histories
             * are a fork, anything else its fault: ask for its entry at our
             * head and decide on the answer (docs/trust.md §5). */
            vl_peer_pull_end(p);
            self->puller = NULL;
            s_probe(self, p, head.seq, true, why, now);
            return;
        }
        s_drop(self, p, rc, why, now);
        return;
    }
    if (applied) {
        vl_peer_count_received(p, applied);
        self->applied += applied;
        self->pulled_to = from + n - 1;
    }
    s_refresh_ours(self, now);
    vl_peer_pull_end(p);
    self->puller = NULL;
    if (their_seq > self->ours.seq) {
        vl_info("peer %s: at seq %llu of %llu", vl_peer_label(p),
                (unsigned long long)self->ours.seq, (unsigned long long)their_seq);
        s_pull_from(self, p, their_seq, now);
    } else {
        vl_info("peer %s: synced to seq %llu", vl_peer_label(p),
                (unsigned long long)self->ours.seq);
        s_pull_pick(self, now);
    }
}

static void
s_on_have(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t nt = vl_msg_have_count(m);
    const uint8_t *pbuf[VL_MAX_PENDING];
    size_t plen[VL_MAX_PENDING];
    const uint8_t *rbuf[VL_MAX_PENDING];
    size_t rlen[VL_MAX_PENDING];
    uint8_t *owned[2 * VL_MAX_PENDING];
    size_t np = 0, nr = 0, nown = 0, budget = VL_SYNC_BYTES;
    uint8_t *out = NULL;
    size_t out_len = 0;
    (void)now;

    /* Both lists are sorted: one merge walk finds ours-not-theirs
     * (proposals to send) and theirs-not-ours (candidates for rejections). */
    size_t i = 0, j = 0;
    bool full = false;
    while ((i < self->nids || j < nt) && !full) {
        const uint8_t *mine = i < self->nids ? self->ids[i] : NULL;
        const uint8_t *theirs = j < nt ? vl_msg_have_id(m, j) : NULL;
        int c = !mine ? 1 : !theirs ? -1 : memcmp(mine, theirs, VL_HASH_LEN);
        if (c == 0) {
            i++;
            j++;
            continue;
        }
        uint8_t *b = NULL;
        size_t len = 0;
        int rc;
        if (c < 0) {
            rc = vl_store_pending_bytes(self->store, mine, &b, &len);
            i++;
        } else {
            rc = vl_store_rejection_bytes(self->store, theirs, &b, &len);
            j++;
        }
        if (rc != VL_OK)
            continue; /* settled meanwhile, or no rejection here: nothing to send */
        if (len == 0 || len > VL_MSG_OBJECT_MAX || len > budget ||
            (c < 0 ? np : nr) >= VL_MAX_PENDING) {
            free(b);
            full = len > budget; /* the rest goes next round */
            continue;
        }
        owned[nown++] = b;
        budget -= len;
        if (c < 0) {
            pbuf[np] = b;
            plen[np++] = len;
        } else {
            rbuf[nr] = b;
            rlen[nr++] = len;
        }
    }
    if (np || nr) {
        int rc = vl_msg_encode_props(pbuf, plen, np, rbuf, rlen, nr, &out, &out_len);
        if (rc == VL_OK && s_send(self, p, out, out_len) == VL_OK)
            vl_debug("peer %s: sent %zu proposals, %zu rejections", vl_peer_label(p), np, nr);
        else if (rc != VL_OK)
            vl_error("cannot encode props for %s: %s", vl_peer_label(p), vl_strerror(rc));
    }
    free(out);
    for (size_t k = 0; k < nown; k++)
        free(owned[k]);
}

static void
s_on_props(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    size_t np = vl_msg_props_count(m), nr = vl_msg_rejections_count(m);
    size_t newp = 0, newr = 0;
    char why[VL_ERRMSG_MAX];
    for (size_t i = 0; i < np + nr; i++) {
        size_t len = 0;
        bool is_p = i < np;
        const uint8_t *b = is_p ? vl_msg_prop(m, i, &len) : vl_msg_rejection(m, i - np, &len);
        uint8_t id[VL_HASH_LEN];
        self->err[0] = '\0';
        int rc = is_p ? vl_store_propose(self->store, b, len, id, self->err)
                      : vl_store_accept_rejection(self->store, b, len, self->err);
        if (rc == VL_OK) {
            if (is_p)
                newp++;
            else
                newr++;
            continue;
        }
        /* Already known, settled, or made against revisions we do not have
         * (yet, or any more): honest situations, not misbehaviour. */
        if (rc == VL_EEXIST || rc == VL_ESTALE || rc == VL_ENOTFOUND) {
            vl_debug("peer %s: %s %zu not taken: %s", vl_peer_label(p),
                     is_p ? "proposal" : "rejection", is_p ? i : i - np, self->err);
            continue;
        }
        if (s_local_failure(rc)) {
            vl_error("cannot store a %s from %s: %s: %s", is_p ? "proposal" : "rejection",
                     vl_peer_label(p), vl_strerror(rc), self->err);
            break;
        }
        snprintf(why, sizeof why, "invalid %s: %.200s", is_p ? "proposal" : "rejection",
                 self->err[0] ? self->err : vl_strerror(rc));
        s_drop(self, p, rc, why, now);
        break;
    }
    if (newp || newr) {
        vl_info("peer %s: received %zu new proposals, %zu rejections", vl_peer_label(p), newp,
                newr);
        s_refresh_ours(self, now);
    }
}

/* One frame from an existing session. */
static void
s_on_frame(vl_node_t *self, vl_peer_t *p, const uint8_t *data, size_t len, uint64_t now)
{
    vl_msg_t *m = NULL;
    char why[VL_ERRMSG_MAX];
    if (!vl_peer_identified(p) && len > VL_MSG_PREHELLO_MAX) {
        self->bad_frames++;
        snprintf(why, sizeof why, "frame of %zu bytes before hello (limit %u)", len,
                 VL_MSG_PREHELLO_MAX);
        s_drop(self, p, VL_ELIMIT, why, now);
        return;
    }
    self->err[0] = '\0';
    int rc = vl_msg_decode(data, len, &m, self->err);
    if (rc != VL_OK) {
        self->bad_frames++;
        snprintf(why, sizeof why, "%s", self->err);
        s_drop(self, p, rc, why, now);
        return;
    }
    vl_peer_contact(p, now);
    vl_msg_type_t type = vl_msg_type(m);
    if (type == VL_MSG_ERROR) {
        char text[VL_MSG_ERRTEXT_MAX + 1];
        vl_log_clean(text, sizeof text, vl_msg_error_text(m));
        vl_warn("peer %s says: %s (%s); closing", vl_peer_label(p), text,
                vl_strerror(vl_msg_error_code(m)));
        snprintf(why, sizeof why, "peer said: %.200s", text);
        if (self->puller == p)
            self->puller = NULL;
        if (vl_peer_dir(p) == VL_PEER_OUT) {
            vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
            vl_peer_close_link(p, 0);
        } else {
            vl_peer_note(p, why);
            vl_peer_mark_gone(p, "closed");
        }
        goto out;
    }
    if (type == VL_MSG_HELLO) {
        s_on_hello(self, p, vl_msg_hello(m), now);
        goto out;
    }
    if (!vl_peer_identified(p)) {
        snprintf(why, sizeof why, "%s before hello", vl_msg_type_name(type));
        s_drop(self, p, VL_EPROTO, why, now);
        goto out;
    }
    switch (type) {
    case VL_MSG_GET:     s_on_get(self, p, m, now); break;
    case VL_MSG_ENTRIES: s_on_entries(self, p, m, now); break;
    case VL_MSG_HAVE:    s_on_have(self, p, m, now); break;
    case VL_MSG_PROPS:   s_on_props(self, p, m, now); break;
    case VL_MSG_POLICIES: s_on_policies(self, p, m, now); break;
    case VL_MSG_FRESH:   s_on_fresh(self, p, m, now); break;
    case VL_MSG_EVIDENCE: s_on_evidence(self, p, m, now); break;
    default: break;
    }
out:
    vl_msg_destroy(&m);
}

/* ---- sockets --------------------------------------------------------------------------- */

static vl_peer_t *
s_find_in(vl_node_t *self, const uint8_t *rid, size_t len)
{
    for (size_t i = 0; i < self->nin; i++)
        if (!vl_peer_gone(self->in[i]) && vl_peer_rid_eq(self->in[i], rid, len))
            return self->in[i];
    return NULL;
}

/* A first frame on a new ROUTER connection: only a valid hello opens a session. */
static void
s_router_new(vl_node_t *self, const vl_rx_t *rx, uint64_t now)
{
    char kid[2 * VL_KID_LEN + 1];
    vl_msg_t *m = NULL;
    vl_kid(rx->pk, kid);
    if (rx->len > VL_MSG_PREHELLO_MAX) {
        self->bad_frames++;
        vl_debug("router: %zu-byte frame before hello from %s discarded", rx->len, kid);
        return;
    }
    self->err[0] = '\0';
    int rc = vl_msg_decode(rx->data, rx->len, &m, self->err);
    if (rc != VL_OK) {
        uint8_t *buf = NULL;
        size_t len = 0;
        char label[64];
        self->bad_frames++;
        self->drops++;
        vl_warn("router: first frame from node %s dropped: %s (%s)", kid, self->err,
                vl_strerror(rc));
        if (vl_msg_encode_error(rc, self->err, &buf, &len) == VL_OK)
            (void)vl_transport_router_send(self->tr, rx->rid, rx->rid_len, buf, len);
        free(buf);
        snprintf(label, sizeof label, "in:%s", kid);
        s_ban(self, rx->pk, label, now);
        return;
    }
    if (vl_msg_type(m) != VL_MSG_HELLO) {
        /* Can follow a reconnect of the peer's DEALER; its hello comes next. */
        vl_debug("router: %s before hello from %s discarded", vl_msg_type_name(vl_msg_type(m)),
                 kid);
        goto out;
    }
    if (memcmp(rx->pk, vl_keypair_pk(self->kp), VL_PK_LEN) == 0) {
        vl_warn("router: a connection presents this node's own key; ignored");
        goto out;
    }
    if (!(vl_policy_roles(s_pol(self), rx->pk) & VL_ROLE_NODE)) {
        /* Admitted by ZAP under an older policy version, before we adopted
         * the one that removed its key: the connection outlived it. */
        char why[96], label[64];
        uint8_t *buf = NULL;
        size_t len = 0;
        snprintf(why, sizeof why, "not a node of policy version %llu",
                 (unsigned long long)vl_policy_version(s_pol(self)));
        vl_info("router: hello from %s refused: its key is %s", kid, why);
        if (vl_msg_encode_error(VL_EPERM, why, &buf, &len) == VL_OK)
            (void)vl_transport_router_send(self->tr, rx->rid, rx->rid_len, buf, len);
        free(buf);
        snprintf(label, sizeof label, "in:%s", kid);
        s_ban(self, rx->pk, label, now);
        goto out;
    }
    /* One live session per key and connection; drop stale duplicates of
     * the same key beyond one (a reconnect leaves the old one behind). */
    size_t same = 0;
    vl_peer_t *oldest = NULL;
    for (size_t i = 0; i < self->nin; i++) {
        vl_peer_t *q = self->in[i];
        if (vl_peer_gone(q) || memcmp(vl_peer_pk(q), rx->pk, VL_PK_LEN) != 0)
            continue;
        same++;
        if (!oldest || vl_peer_last_rx(q) < vl_peer_last_rx(oldest))
            oldest = q;
    }
    if (same >= 2 && oldest) {
        if (self->puller == oldest)
            self->puller = NULL;
        vl_peer_mark_gone(oldest, "closed");
    }
    if (self->nin >= S_MAX_IN) {
        vl_warn("router: %u connections already; hello from %s ignored", S_MAX_IN, kid);
        goto out;
    }
    vl_peer_t *p = vl_peer_new_in(rx->rid, rx->rid_len, rx->pk,
                                  vl_policy_member_name(s_pol(self), rx->pk), now);
    if (!p) {
        vl_error("out of memory for a session");
        goto out;
    }
    self->in[self->nin++] = p;
    vl_info("peer %s: connected to us", vl_peer_label(p));
    vl_peer_contact(p, now);
    s_on_hello(self, p, vl_msg_hello(m), now);
out:
    vl_msg_destroy(&m);
}

static bool
s_router(vl_node_t *self, uint64_t now)
{
    bool busy = false;
    for (int k = 0; k < S_FRAMES_PER_TURN * 4; k++) {
        vl_rx_t rx;
        int rc = vl_transport_router_recv(self->tr, &rx);
        if (rc == VL_EAGAIN)
            break;
        busy = true;
        if (rc == VL_EIO) {
            vl_error("router receive failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (rc != VL_OK) {
            self->bad_frames++;
            vl_peer_t *p = s_find_in(self, rx.rid, rx.rid_len);
            if (p)
                s_drop(self, p, VL_EPROTO, "multipart or unidentified frame", now);
            else
                vl_debug("router: malformed frame discarded");
            continue;
        }
        if (s_banned(self, rx.pk, now)) {
            self->bad_frames++;
            continue;
        }
        vl_peer_t *p = s_find_in(self, rx.rid, rx.rid_len);
        if (!p) {
            s_router_new(self, &rx, now);
            continue;
        }
        if (memcmp(vl_peer_pk(p), rx.pk, VL_PK_LEN) != 0) {
            /* Another key on a known routing id: the old connection is gone
             * and its session not reaped yet (a peer may choose its routing
             * id). Blaming the old session's key would let one member get
             * another banned, so the old session just ends and the frame is
             * taken as a new connection's first frame. */
            vl_info("peer %s: routing id reused by another key; session closed",
                    vl_peer_label(p));
            if (self->puller == p) {
                vl_peer_pull_end(p);
                self->puller = NULL;
            }
            vl_peer_mark_gone(p, "closed");
            s_save_info(self, p, now, true);
            s_router_new(self, &rx, now);
            continue;
        }
        s_on_frame(self, p, rx.data, rx.len, now);
    }
    return busy;
}

static bool
s_link_events(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    bool busy = false;
    vl_link_t *l;
    vl_link_event_t ev;
    uint32_t v;
    while ((l = vl_peer_link(p)) && vl_link_event(l, &ev, &v) == VL_OK) {
        busy = true;
        vl_peer_link_event(p, ev == VL_LINK_DOWN, now);
        switch (ev) {
        case VL_LINK_UP:
            vl_info("peer %s: connected", vl_peer_label(p));
            vl_peer_on_up(p, now);
            break;
        case VL_LINK_DOWN:
            if (vl_peer_state(p) != VL_PS_CONNECTING)
                vl_info("peer %s: disconnected", vl_peer_label(p));
            if (self->puller == p)
                self->puller = NULL;
            vl_peer_on_down(p, now);
            break;
        case VL_LINK_REFUSED:
            vl_warn("peer %s: refused by peer (ZAP status %u): our key is not admitted",
                    vl_peer_label(p), v);
            if (self->puller == p)
                self->puller = NULL;
            vl_peer_on_refused(p, now, self->cfg->reconnect_max_ms);
            vl_peer_close_link(p, 0);
            s_save_info(self, p, now, true);
            break;
        case VL_LINK_HANDSHAKE_FAILED:
            if (strcmp(vl_peer_info(p)->last_error, "CURVE handshake failed") != 0) {
                vl_warn("peer %s: CURVE handshake failed (is %s really that node?); "
                        "retrying", vl_peer_label(p), vl_peer_addr(p));
                vl_peer_note(p, "CURVE handshake failed");
            }
            break;
        case VL_LINK_RETRY:
            vl_debug("peer %s: connect retried", vl_peer_label(p));
            break;
        case VL_LINK_TRYING:
            break;
        default:
            break;
        }
    }
    return busy;
}

static bool
s_link_frames(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    bool busy = false;
    for (int k = 0; k < S_FRAMES_PER_TURN; k++) {
        vl_link_t *l = vl_peer_link(p);
        if (!l)
            break;
        const uint8_t *data;
        size_t len;
        int rc = vl_link_recv(l, &data, &len);
        if (rc == VL_EAGAIN)
            break;
        busy = true;
        if (rc != VL_OK) {
            self->bad_frames++;
            s_drop(self, p, VL_EPROTO, "multipart frame", now);
            break;
        }
        if (vl_peer_state(p) == VL_PS_BAD || vl_peer_state(p) == VL_PS_REFUSED)
            break;
        s_on_frame(self, p, data, len, now);
    }
    return busy;
}

static void
s_open_link(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    vl_link_t *l = NULL;
    self->err[0] = '\0';
    int rc = vl_link_open(self->tr, vl_peer_addr(p), vl_peer_pk(p),
                          self->cfg->reconnect_max_ms, &l, self->err);
    if (rc != VL_OK) {
        vl_error("peer %s: %s", vl_peer_label(p), self->err);
        vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, self->err);
        return;
    }
    vl_peer_set_link(p, l, now);
    vl_debug("peer %s: connecting", vl_peer_label(p));
}

/* ---- timers ------------------------------------------------------------------------------- */

/* Free in sessions that are gone or silent; never called while a handler
 * may hold one. */
static void
s_reap(vl_node_t *self, uint64_t now)
{
    size_t j = 0;
    for (size_t i = 0; i < self->nin; i++) {
        vl_peer_t *p = self->in[i];
        if (!vl_peer_gone(p) && now - vl_peer_last_rx(p) > s_idle_timeout(self)) {
            vl_info("peer %s: silent for %llu ms; session closed", vl_peer_label(p),
                    (unsigned long long)(now - vl_peer_last_rx(p)));
            vl_peer_mark_gone(p, "closed");
        }
        if (vl_peer_gone(p)) {
            if (self->puller == p)
                self->puller = NULL;
            s_save_info(self, p, now, true);
            vl_peer_destroy(&p);
            continue;
        }
        self->in[j++] = p;
    }
    self->nin = j;
}

static void
s_timers(vl_node_t *self, uint64_t now)
{
    if (now >= self->next_poll) {
        s_refresh_ours(self, now);
        self->next_poll = now + self->cfg->poll_ms;
    }
    if (self->puller && vl_peer_pull_expired(self->puller, now)) {
        /* A peer that announces a head and does not serve it would otherwise
         * be picked again at once (it stays the furthest ahead) and stall
         * every pull of this node: drop it like any misbehaving peer, so the
         * next pick goes to another session and it comes back only after
         * its back-off. */
        char why[96];
        snprintf(why, sizeof why, "announced entries but sent none within %u ms",
                 s_pull_timeout(self));
        vl_peer_t *p = self->puller;
        vl_peer_pull_end(p);
        self->puller = NULL;
        s_drop(self, p, VL_EAGAIN, why, now);
    }
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = s_peer_at(self, i);
        if (vl_peer_probe_expired(p, now)) {
            char why[96];
            snprintf(why, sizeof why, "did not send its entry %llu within %u ms",
                     (unsigned long long)vl_peer_probe_seq(p), s_pull_timeout(self));
            vl_peer_probe_end(p);
            s_drop(self, p, VL_EAGAIN, why, now);
        }
    }
    s_fresh_tick(self, now);
    for (size_t i = 0; i < self->nout; i++) {
        vl_peer_t *p = self->out[i];
        if (vl_peer_link_stalled(p, now, S_DOWN_QUIET_MS,
                                 self->cfg->reconnect_max_ms + S_DOWN_QUIET_MS)) {
            vl_info("peer %s: connection did not come back; re-creating the link",
                    vl_peer_label(p));
            vl_peer_close_link(p, 0);
            s_open_link(self, p, now);
        }
        vl_peer_state_t s = vl_peer_state(p);
        if ((s == VL_PS_BAD || s == VL_PS_REFUSED) && !vl_peer_link(p) &&
            now >= vl_peer_retry_at(p)) {
            vl_info("peer %s: reconnecting", vl_peer_label(p));
            s_open_link(self, p, now);
        }
    }
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = s_peer_at(self, i);
        if (vl_peer_hello_due(p, now))
            s_send_hello(self, p, now);
    }
    s_pull_pick(self, now);
    s_reap(self, now);
    for (size_t i = 0; i < self->nout; i++)
        s_save_info(self, self->out[i], now, false);
    for (size_t i = 0; i < self->nin; i++)
        s_save_info(self, self->in[i], now, false);
    s_save_zap(self, now, false);
}

/* One slice of the background signature audit (protocol.md §4). */
static void
s_audit(vl_node_t *self)
{
    uint64_t checked = 0;
    self->err[0] = '\0';
    int rc = vl_store_check_sigs(self->store, S_AUDIT_SLICE, &checked, self->err);
    if (rc == VL_ECORRUPT) {
        vl_error("signature audit FAILED: %s", self->err);
        self->audit_failed = true;
        self->audit_pending = false;
        return;
    }
    if (rc != VL_OK) {
        vl_error("signature audit: %s: %s", vl_strerror(rc), self->err);
        self->audit_pending = false;
        return;
    }
    self->audit_slices++;
    if (checked >= self->ours.seq) {
        self->audit_pending = false;
        vl_log(self->audit_slices > 1 ? VL_LOG_INFO : VL_LOG_DEBUG,
               "signature audit: every signature up to seq %llu checked",
               (unsigned long long)checked);
        self->audit_slices = 0;
    } else if (checked <= self->audit_at && self->audit_at != 0) {
        /* No progress: do not spin; the next head move restarts it. */
        vl_warn("signature audit: stuck at seq %llu", (unsigned long long)checked);
        self->audit_pending = false;
    }
    self->audit_at = checked;
}

/* ---- reload -------------------------------------------------------------------------------- */

/* A configured peer that is not a node of the current policy: kept in the
 * status as "revoked", never connected. */
static void
s_out_gone(vl_node_t *self, vl_peer_t *p)
{
    char why[96];
    snprintf(why, sizeof why, "not a node of policy version %llu",
             (unsigned long long)vl_policy_version(s_pol(self)));
    vl_warn("peer %s: %s; not connected (remove it from the configuration)", vl_peer_label(p),
            why);
    vl_peer_on_revoked(p, why);
}

static bool
s_same_peer(const vl_config_peer_t *a, vl_peer_t *p)
{
    return strcmp(a->addr, vl_peer_addr(p)) == 0 && memcmp(a->key, vl_peer_pk(p), VL_PK_LEN) == 0;
}

static void
s_reload(vl_node_t *self, uint64_t now)
{
    vl_config_t *c = NULL;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_config_load(self->cfg->path, &c, err);
    if (rc == VL_OK)
        rc = vl_config_resolve_peers(c, s_pol(self), vl_keypair_pk(self->kp),
                                     VL_CONFIG_KEEP_GONE, err);
    if (rc != VL_OK) {
        vl_error("reload: %s; keeping the running configuration", err);
        vl_config_destroy(&c);
        return;
    }
    if (strcmp(c->store, self->cfg->store) != 0 || strcmp(c->key, self->cfg->key) != 0 ||
        (c->listen == NULL) != (self->cfg->listen == NULL) ||
        (c->listen && strcmp(c->listen, self->cfg->listen) != 0))
        vl_warn("reload: store, key and listen changes need a restart; ignored");
    /* Peers: keep the unchanged, drop the removed, add the new. */
    size_t kept = 0, removed = 0, added = 0;
    size_t j = 0;
    for (size_t i = 0; i < self->nout; i++) {
        vl_peer_t *p = self->out[i];
        bool found = false;
        for (size_t k = 0; k < c->npeers && !found; k++)
            found = s_same_peer(&c->peers[k], p);
        if (found) {
            self->out[j++] = p;
            kept++;
            continue;
        }
        vl_info("peer %s: removed from the configuration", vl_peer_label(p));
        if (self->puller == p)
            self->puller = NULL;
        vl_peer_mark_removed(p);
        s_save_info(self, p, now, true);
        vl_peer_destroy(&p);
        removed++;
    }
    self->nout = j;
    for (size_t k = 0; k < c->npeers; k++) {
        bool found = false;
        for (size_t i = 0; i < self->nout && !found; i++)
            found = s_same_peer(&c->peers[k], self->out[i]);
        if (found || self->nout >= VL_MAX_PEERS)
            continue;
        vl_peer_t *p = vl_peer_new_out(c->peers[k].addr, c->peers[k].key, c->peers[k].name, now);
        if (!p) {
            vl_error("reload: out of memory");
            continue;
        }
        self->out[self->nout++] = p;
        added++;
        if (c->peers[k].gone) {
            s_out_gone(self, p);
            continue;
        }
        vl_info("peer %s: added", vl_peer_label(p));
        s_open_link(self, p, now);
    }
    bool log_changed = (c->log_file == NULL) != (self->cfg->log_file == NULL) ||
                       (c->log_file && strcmp(c->log_file, self->cfg->log_file) != 0);
    if (log_changed) {
        err[0] = '\0';
        if (vl_log_open(c->log_level, c->log_file, err) != VL_OK)
            vl_error("reload: %s", err);
    } else {
        err[0] = '\0';
        if (vl_log_reopen(err) != VL_OK)
            vl_error("reload: %s", err);
        vl_log_set_level(c->log_level);
    }
    /* Keep the running store/key/listen values (they need a restart). */
    char *tmp;
    tmp = c->store; c->store = self->cfg->store; self->cfg->store = tmp;
    tmp = c->key; c->key = self->cfg->key; self->cfg->key = tmp;
    tmp = c->listen; c->listen = self->cfg->listen; self->cfg->listen = tmp;
    vl_config_t *old = self->cfg;
    self->cfg = c;
    vl_config_destroy(&old);
    vl_info("reload: %zu peers kept, %zu removed, %zu added; anti_entropy %u ms, poll %u ms, "
            "log level %s", kept, removed, added, c->anti_entropy_ms, c->poll_ms,
            vl_log_level_name(c->log_level));
}

/* ---- construction and the loop -------------------------------------------------------- */

int
vl_node_new(vl_config_t **cfg_p, vl_store_t *store, const vl_keypair_t *kp, vl_node_t **out,
            char *err)
{
    int rc = VL_ENOMEM;
    vl_node_t *self = NULL;
    assert(cfg_p && *cfg_p && store && kp && out);
    *out = NULL;
    self = calloc(1, sizeof *self);
    if (!self) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    self->cfg = *cfg_p;
    *cfg_p = NULL;
    self->store = store;
    self->kp = kp;
    vl_kid(vl_keypair_pk(kp), self->kid);
    uint64_t now = vl_clock_ms();

    rc = vl_transport_new(s_pol(self), kp, &self->tr, err);
    if (rc != VL_OK)
        goto out;
    if (self->cfg->listen) {
        rc = vl_transport_listen(self->tr, self->cfg->listen, err);
        if (rc != VL_OK)
            goto out;
        vl_info("listening on %s", vl_transport_endpoint(self->tr));
        rc = vl_transport_selfcheck(self->tr, S_SELFCHECK_MS, err);
        if (rc != VL_OK)
            goto out;
        vl_info("self-check passed: the ZAP gate refused a random key");
    }
    s_evidence_refresh(self);
    s_fresh_refresh(self);
    s_refresh_ours(self, now);
    if (!self->have_ours) {
        rc = vl_err(err, VL_ESTORE, "cannot read the store head");
        goto out;
    }
    s_signer_refresh(self);
    if (self->fork_seq)
        vl_error("FORK at entry %llu: this store holds evidence of %llu fork(s); it applies no "
                 "entry from %llu on (docs/operator.md: what to do on a fork)",
                 (unsigned long long)self->fork_seq, (unsigned long long)self->ours.ev,
                 (unsigned long long)self->fork_seq);
    /* Whatever the previous run left unaudited. */
    self->audit_pending = true;
    for (size_t i = 0; i < self->cfg->npeers; i++) {
        const vl_config_peer_t *c = &self->cfg->peers[i];
        vl_peer_t *p = vl_peer_new_out(c->addr, c->key, c->name, now);
        if (!p) {
            rc = vl_err(err, VL_ENOMEM, "out of memory");
            goto out;
        }
        self->out[self->nout++] = p;
        if (c->gone)
            s_out_gone(self, p);
        else
            s_open_link(self, p, now);
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_node_destroy(&self);
    return rc;
}

void
vl_node_destroy(vl_node_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_node_t *self = *self_p;
        uint64_t now = vl_clock_ms();
        for (size_t i = 0; i < self->nout; i++) {
            if (self->tr)
                s_save_info(self, self->out[i], now, true);
            vl_peer_destroy(&self->out[i]);
        }
        for (size_t i = 0; i < self->nin; i++) {
            vl_peer_mark_gone(self->in[i], "closed");
            if (self->tr)
                s_save_info(self, self->in[i], now, true);
            vl_peer_destroy(&self->in[i]);
        }
        if (self->tr)
            s_save_zap(self, now, true);
        vl_transport_destroy(&self->tr);
        vl_config_destroy(&self->cfg);
        free(self->ids);
        free(self);
        *self_p = NULL;
    }
}

int
vl_node_run(vl_node_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    assert(self && stop && reload);
    zmq_pollitem_t items[2 + 2 * VL_MAX_PEERS];
    int failures = 0;
    bool busy = false;
    const char *name = vl_policy_member_name(s_pol(self), vl_keypair_pk(self->kp));
    vl_info("valise-node ready: node %s (%s), network \"%s\", policy version %llu, seq %llu, "
            "%zu pending, %zu peers", self->kid, name ? name : "?", vl_policy_name(s_pol(self)),
            (unsigned long long)self->ours.pv, (unsigned long long)self->ours.seq, self->nids,
            self->nout);

    while (!*stop) {
        size_t n = 0;
        items[n++] = (zmq_pollitem_t){ vl_transport_zap_socket(self->tr), 0, ZMQ_POLLIN, 0 };
        if (vl_transport_router_socket(self->tr))
            items[n++] = (zmq_pollitem_t){ vl_transport_router_socket(self->tr), 0, ZMQ_POLLIN, 0 };
        for (size_t i = 0; i < self->nout; i++) {
            vl_link_t *l = vl_peer_link(self->out[i]);
            if (!l)
                continue;
            items[n++] = (zmq_pollitem_t){ vl_link_socket(l), 0, ZMQ_POLLIN, 0 };
            items[n++] = (zmq_pollitem_t){ vl_link_monitor_socket(l), 0, ZMQ_POLLIN, 0 };
        }
        long timeout = (!busy && self->audit_pending) ? 0 : (long)self->cfg->poll_ms;
        if (busy)
            timeout = 0;
        int rc = zmq_poll(items, (int)n, timeout);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            vl_error("poll failed: %s", zmq_strerror(zmq_errno()));
            if (++failures > 100)
                return VL_EIO;
            continue;
        }
        failures = 0;
        if (*reload) {
            *reload = 0;
            s_reload(self, vl_clock_ms());
        }
        uint64_t now = vl_clock_ms();
        busy = vl_transport_zap_handle(self->tr) > 0;
        for (size_t i = 0; i < self->nout; i++)
            busy |= s_link_events(self, self->out[i], now);
        busy |= s_router(self, now);
        for (size_t i = 0; i < self->nout; i++)
            busy |= s_link_frames(self, self->out[i], now);
        now = vl_clock_ms();
        s_timers(self, now);
        if (!busy && !self->puller && self->audit_pending)
            s_audit(self);
    }
    vl_info("stopping: %llu entries applied from peers, %llu served, %llu sessions dropped, "
            "%llu bad frames, %llu clients refused by ZAP",
            (unsigned long long)self->applied, (unsigned long long)self->served,
            (unsigned long long)self->drops, (unsigned long long)self->bad_frames,
            (unsigned long long)vl_transport_refused(self->tr, NULL, NULL));
    return VL_OK;
}
