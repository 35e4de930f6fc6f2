/* SPDX-License-Identifier: MIT */
/*
 * vl_node_int - what the files of the node share (private to node/ and its
 * tests; not installed, not part of vl_node.h).
 *
 * The node is split by concern into layers; each file states its contract
 * at its top and calls vn_* functions only of the files below it (no call
 * circle between them):
 *
 *   vl_node.c        top: event loop and lifecycle: construction, the loop
 *                    (sockets read through the connection layer, each
 *                    decoded message dispatched to its vn_on_* handler),
 *                    timers, peer status records, the audit, reload, the
 *                    metrics endpoint (vl_metrics.h) polled with the sockets
 *   vl_node_metrics.c what a scrape says (called by vl_node.c through the
 *                    endpoint; calls only vl_node_state.c)
 *   vl_node_sync.c   sync state machine: our summary, hello, pull
 *                    (get/entries), serving entries, have/props
 *   vl_node_trust.c  trust over time (docs/trust.md): policy versions,
 *                    freshness statements, fork probes and evidence
 *   vl_node_conn.c   connection layer: sending, the ROUTER and its bans, the
 *                    links and their events, dropping a session, reading and
 *                    decoding frames (not what they mean)
 *   vl_node_state.c  bottom: the node's view of itself and its sessions: the
 *                    policy, session i, timeouts, status records, the end of
 *                    a pull, whose failure it is
 *
 * Functions shared between these files are named vn_* and declared here,
 * bottom layer first; everything else is `static s_*` in its file. Every
 * vn_* function runs on the node's thread and takes the node first (but
 * vn_local_failure); none frees a session (only the reaper and reload do,
 * between turns).
 */
#ifndef VL_NODE_INT_H
#define VL_NODE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_config.h"
#include "vl_crypto.h"
#include "vl_metrics.h"
#include "vl_watch.h"
#include "vl_msg.h"
#include "vl_node.h"
#include "vl_peer.h"
#include "vl_store.h"
#include "vl_transport.h"

/* Most in sessions (connections accepted by our ROUTER): two per node of
 * the policy leaves room for a reconnect overlapping its dead predecessor. */
#define VN_MAX_IN (2u * VL_MAX_NODES)
/* Linger for the last `error` to a peer we drop or revoke. */
#define VN_DROP_LINGER_MS 200
/** Shortest interval between two answered `have`s of one session (ms). */
#define VN_HAVE_IN_MIN_MS 25u
/** After the store's data file was written (vl_watch.h), the head and pending
 *  set are read at once and again this many ms later: the file event comes
 *  with a commit's first write, and LMDB shows the commit to readers only
 *  after its last (the meta page). */
#define VN_WATCH_SETTLE_MS 10u
/* After our store failed to apply a batch (vn_local_failure), no pull for
 * this long, doubled on each failure in a row up to the maximum. */
#define VN_STORE_BACKOFF_MIN_MS 1000u
#define VN_STORE_BACKOFF_MAX_MS 60000u

/* Drops are counted per error code: slot -code for VL_EINVAL (-1) ..
 * VL_EFORK (-18), slot 0 for anything else. */
#define VN_DROP_SLOTS 19u

/* A node key banned from our ROUTER after invalid input. */
typedef struct {
    uint8_t pk[VL_PK_LEN];
    uint64_t until;       /* monotonic ms; 0 = free slot */
    uint32_t backoff;     /* next ban length */
} vn_ban_t;

/* The node: one per daemon, touched only by the thread that runs its loop
 * (vl_node_run, or a test stepping vn_turn). */
struct vl_node {
    vl_config_t *cfg;               /* owned; replaced on reload */
    vl_store_t *store;              /* borrowed */
    const vl_keypair_t *kp;         /* borrowed */
    vl_transport_t *tr;             /* ZAP, ROUTER, links */
    char kid[2 * VL_KID_LEN + 1];   /* our key id */
    vl_peer_t *out[VL_MAX_PEERS];   /* configured peers */
    size_t nout;
    vl_peer_t *in[VN_MAX_IN];       /* accepted connections */
    size_t nin;
    vn_ban_t bans[VL_MAX_NODES];    /* keys banned from the ROUTER */
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
    uint64_t haves_ignored;         /* `have`s that came too soon to be answered */
    uint64_t relinks;               /* out links re-created: the peer was silent */
    uint64_t drops;                 /* sessions dropped for invalid input */
    uint64_t drops_by[VN_DROP_SLOTS];/* ... per error code (VN_DROP_SLOTS) */
    uint64_t bytes_rx;              /* frame bytes received from peers (valid or not) */
    uint64_t bytes_tx;              /* frame bytes sent to peers (queued to libzmq) */
    vl_metrics_t *metrics;          /* the metrics endpoint, or NULL (off) */
    vl_watch_t *watch;              /* writes to the store by others, or NULL (poll) */
    uint64_t applied;               /* entries applied from peers */
    uint64_t pulled_to;             /* head after our last applied batch */
    uint64_t back_top;              /* the outstanding get pulls back from a pin: its last
                                       seq (0: a forward pull), docs/protocol.md §3 */
    uint32_t back_n;                /* entries per pull-back get (0: VL_SYNC_BATCH); an
                                       answer cut short by VL_SYNC_BYTES lowers it, for
                                       the peer whose key is back_pk only */
    uint8_t back_pk[VL_PK_LEN];     /* key of the peer whose answer set back_n */
    uint64_t store_retry_at;        /* no pull before (monotonic ms): our store failed */
    uint32_t store_backoff_ms;      /* the wait after our store's last failure, 0 none */
    uint64_t catchup_t0;            /* a catch-up's first batch (monotonic ms), 0 none */
    uint64_t catchup_seq0;          /* our head before it */
    uint64_t catchup_last;          /* its last batch (monotonic ms) */
    uint64_t catchup_logged;        /* its last "at seq" line (monotonic ms) */
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

/* ---- vl_node_state.c: the node's view of itself and its sessions ---- */

/** The current policy. Never kept across store calls: adopting a version
 *  (here, or by `valise` on the same store) replaces it. */
const vl_policy_t *vn_pol(const vl_node_t *self);
/** Session i of out[] then in[] (i < nout + nin). */
vl_peer_t *vn_peer_at(const vl_node_t *self, size_t i);
/** How often the same thing is pushed again unasked: 10 hello rounds, 5..60 s. */
uint32_t vn_push_ms(const vl_node_t *self);
/** How long a pull or a fork probe may stay unanswered (ms). */
uint32_t vn_pull_timeout(const vl_node_t *self);
/** The silence after which a connection is given up (protocol.md §3: a
 *  quiet peer): 2 x anti_entropy_ms, clamped to VL_TRANSPORT_QUIET_MIN_MS ..
 *  VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS (the transport clamps the same way). */
uint32_t vn_quiet_ms(const vl_node_t *self);
/** Persist the status record of p when due (always when force). */
void vn_save_info(vl_node_t *self, vl_peer_t *p, uint64_t now, bool force);
/** Take over the status record a previous daemon saved of p (last contact,
 *  last sync, their head): called once when a session is created. */
void vn_restore_info(vl_node_t *self, vl_peer_t *p);
/** p pulls no more: its outstanding get is forgotten and, if it was the
 *  node's puller, the node may pull from another session. */
void vn_pull_end(vl_node_t *self, vl_peer_t *p);
/** p is an in session and a newer in session of the same key exists, which
 *  said a valid hello and received something no earlier than p did: the
 *  peer re-created its link (or lists us twice), so p is not pulled from
 *  (protocol.md §3, a quiet peer). */
bool vn_in_superseded(const vl_node_t *self, const vl_peer_t *p);
/** Our side's trouble, not the peer's. */
bool vn_local_failure(int rc);

/* ---- vl_node_conn.c: connection layer ---- */

/* What one read of a socket gave (vn_router_read, vn_link_read). */
typedef enum {
    VN_RX_NONE,   /* nothing waiting (or no link): stop reading this socket */
    VN_RX_DONE,   /* one frame read; read on */
    VN_RX_STOP    /* one frame read; stop reading this socket this turn */
} vn_rx_t;

/** Send one frame to a session (buf stays the caller's). An in session
 *  whose connection is gone is marked gone.
 *  @return VL_OK, VL_EAGAIN (not connected, queue full), VL_ENOTFOUND, VL_EIO. */
int vn_send(vl_node_t *self, vl_peer_t *p, const uint8_t *buf, size_t len);
/** Send our summary; on failure the hello is deferred by poll_ms. */
void vn_send_hello(vl_node_t *self, vl_peer_t *p, uint64_t now);
/** Drop a session for invalid input: tell it why, count, back off (out) or
 *  ban its key (in). */
void vn_drop(vl_node_t *self, vl_peer_t *p, int code, const char *why, uint64_t now);
/** Open (or re-open) the link of an out session. */
void vn_open_link(vl_node_t *self, vl_peer_t *p, uint64_t now);
/** Read one frame from the ROUTER: bans, new connections (a session only
 *  for a valid hello from a node), decoding, an `error` closing its session
 *  and anything before hello are handled here. A message left for its
 *  handler is returned in *mp (the caller dispatches it before the next
 *  read, then destroys it) with its session in *pp; else both are NULL. */
vn_rx_t vn_router_read(vl_node_t *self, uint64_t now, vl_peer_t **pp, vl_msg_t **mp);
/** Read one frame from p's link, as vn_router_read (the session is p). */
vn_rx_t vn_link_read(vl_node_t *self, vl_peer_t *p, uint64_t now, vl_msg_t **mp);
/** Handle the monitor events of p's link. @return whether there were any. */
bool vn_link_events(vl_node_t *self, vl_peer_t *p, uint64_t now);

/* ---- vl_node_trust.c: policies, freshness, forks ---- */

/** A new current policy version: rebuild the gate, re-check every session,
 *  tell every peer. */
void vn_policy_changed(vl_node_t *self, uint64_t old_pv, uint64_t now);
/** Push versions their_pv+1 .. ours to p (rate-limited unless force). */
void vn_push_policies(vl_node_t *self, vl_peer_t *p, uint64_t their_pv, uint64_t now,
                      bool force);
/** Push our freshness statement (stmt, or the stored one when NULL) to p. */
void vn_push_fresh(vl_node_t *self, vl_peer_t *p, const uint8_t *stmt, size_t slen,
                   uint64_t now, bool force);
/** Push every fork we hold to `only`, or to every open session but `except`. */
void vn_push_evidence(vl_node_t *self, vl_peer_t *only, vl_peer_t *except);
/** Re-read the `issued` of our stored freshness statement. */
void vn_fresh_refresh(vl_node_t *self);
/** Re-read whether our key is the policy's freshness signer. */
void vn_signer_refresh(vl_node_t *self);
/** The signer issues a statement when one is due. */
void vn_fresh_tick(vl_node_t *self, uint64_t now);
/** Re-read how many forks we hold and the lowest one. */
void vn_evidence_refresh(vl_node_t *self);
/** Ask p for its entry at seq (a fork probe); chain: asked because its
 *  entries did not chain onto our head. */
void vn_probe(vl_node_t *self, vl_peer_t *p, uint64_t seq, bool chain, const char *why,
              uint64_t now);
/** Their hello names a head at a seq we hold: probe when it is not ours. */
void vn_check_head(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now);
/** The answer to a fork probe. */
void vn_on_probe(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_policies(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_fresh(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_evidence(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);

/* ---- vl_node_sync.c: sync state machine ---- */

/** Pull from the session furthest ahead, if none is pulling. */
void vn_pull_pick(vl_node_t *self, uint64_t now);
/** Re-read head, pending set and policy from the store; a moved summary is
 *  announced to every session, a new policy version handed to
 *  vn_policy_changed. */
void vn_refresh_ours(vl_node_t *self, uint64_t now);
void vn_on_hello(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now);
void vn_on_get(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_entries(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_have(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);
void vn_on_props(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now);

/* ---- vl_node_metrics.c: the exposition text of one scrape ---- */

/** Render every metric of the node into b (docs/operator.md, Monitoring);
 *  the vl_metrics_render_fn of the node's endpoint. ctx is the node. */
void vn_metrics_render(void *ctx, vl_mtext_t *b);

/* ---- vl_node.c: loop, lifecycle ---- */

/** One turn of the loop (vl_node_run repeats it; tests may step it): poll
 *  (poll_ms, or 0 when *busy or an audit is pending), a reload if *reload
 *  (may be NULL), then ZAP, link events, ROUTER frames, link frames (each
 *  decoded message dispatched to its vn_on_* handler), the timers and, when
 *  idle, an audit slice.
 *  @param[in,out] busy  whether the last turn had work; updated.
 *  @return VL_OK; VL_EAGAIN (poll interrupted: nothing handled); VL_EIO
 *          (poll failed: nothing handled). */
int vn_turn(vl_node_t *self, bool *busy, volatile sig_atomic_t *reload);

#endif
