/* SPDX-License-Identifier: MIT */
/*
 * vl_node - the event loop and lifecycle of valise-node (see vl_node.h).
 *
 * Contract: this file owns the node's life: construction (transport,
 * self-check, first summary, out sessions), the loop (vn_turn: poll, then
 * read ready sockets through the connection layer and dispatch each decoded
 * message to its vn_on_* handler in vl_node_sync.c or vl_node_trust.c, then
 * the timers), the timers (head poll, pull and probe timeouts, reconnects,
 * hellos, reaping, status records, freshness), the background signature
 * audit, reload and destruction. It is the top layer: it may call every
 * other vl_node*.c file and none calls it; the private header vl_node_int.h
 * holds the node struct they all share.
 *
 * Ownership: the node owns the config, the transport and every session; it
 * borrows the store and the key pair from main. Out sessions (configured
 * peers) live until shutdown or a reload removes them; in sessions are
 * created by a valid hello on a new ROUTER connection and are freed only in
 * s_reap, so that no handler ever frees a session another frame of the same
 * turn still refers to.
 */
#include "vl_node_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vl_log.h"

/* Entries whose signatures the background audit checks per idle slice. */
#define S_AUDIT_SLICE 32u
/* How long the self-check waits for the ZAP verdict. */
#define S_SELFCHECK_MS 5000
/* A link whose monitor stays quiet this long after a disconnect is dead
 * (libzmq gave up: protocol error) and is re-created. */
#define S_DOWN_QUIET_MS 3000u
/* The peer-status record of ZAP refusals. */
#define S_ZAP_ADDR "zap:refused"
/* Frames handled per socket per turn, so no peer starves the others. */
#define S_FRAMES_PER_TURN 32

/* ---- timeouts -------------------------------------------------------------------- */

/* In sessions silent this long are reaped: their DEALER says hello every
 * anti_entropy_ms, so three missed rounds plus slack mean it is gone. */
static uint64_t
s_idle_timeout(const vl_node_t *self)
{
    return 3ull * self->cfg->anti_entropy_ms + VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS;
}

/* ---- status records -------------------------------------------------------------- */

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

/* The host part of a "metrics" value ("127.0.0.1", "[::1]"), for the log. */
static const char *
s_metrics_host(const char *addr)
{
    static char host[VL_METRICS_ADDR_MAX + 1];
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n > VL_METRICS_ADDR_MAX)
        n = VL_METRICS_ADDR_MAX;
    memcpy(host, addr, n);
    host[n] = '\0';
    return host;
}

/* ---- timers ---------------------------------------------------------------------- */

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
            vn_pull_end(self, p);
            vn_save_info(self, p, now, true);
            vl_peer_destroy(&p);
            continue;
        }
        self->in[j++] = p;
    }
    self->nin = j;
}

/* A connect attempt of p's link got no answer within the quiet limit (no
 * SYN-ACK, no reset, or a handshake that stopped): a silent peer or a
 * silent cut (protocol.md §3). A new link's SYN goes out now; the old one's
 * next retransmission might be seconds away (the kernel doubles its RTO)
 * and libzmq's own retries back off up to reconnect_max_ms. The first
 * re-creation after a handshake is logged at info, the rest (the peer
 * stays silent) at debug; every one is counted (valise_links_recreated_total). */
static void
s_relink(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    char label[512]; /* vl_peer_label is shorter */
    unsigned n = vl_peer_link_renewed(p);
    vl_log_clean(label, sizeof label, vl_peer_label(p));
    vl_log(n == 1 ? VL_LOG_INFO : VL_LOG_DEBUG,
           "peer %s: no answer for %u ms (last message %llu ms ago); re-creating the link "
           "(%u in a row)",
           label, vn_quiet_ms(self), (unsigned long long)(now - vl_peer_last_rx(p)), n);
    self->relinks++;
    vn_pull_end(self, p);
    vl_peer_close_link(p, 0);
    vn_open_link(self, p, now);
}

static void
s_timers(vl_node_t *self, uint64_t now)
{
    if (now >= self->next_poll) {
        vn_refresh_ours(self, now);
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
                 vn_pull_timeout(self));
        vl_peer_t *p = self->puller;
        vn_pull_end(self, p);
        vn_drop(self, p, VL_EAGAIN, why, now);
    }
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = vn_peer_at(self, i);
        if (!vl_peer_gone(p) && vl_peer_probe_expired(p, now)) {
            char why[96];
            snprintf(why, sizeof why, "did not send its entry %llu within %u ms",
                     (unsigned long long)vl_peer_probe_seq(p), vn_pull_timeout(self));
            vl_peer_probe_end(p);
            vn_drop(self, p, VL_EAGAIN, why, now);
        }
    }
    vn_fresh_tick(self, now);
    for (size_t i = 0; i < self->nout; i++) {
        vl_peer_t *p = self->out[i];
        if (vl_peer_link_unanswered(p, now, vn_quiet_ms(self)))
            s_relink(self, p, now);
        if (vl_peer_link_stalled(p, now, S_DOWN_QUIET_MS,
                                 self->cfg->reconnect_max_ms + S_DOWN_QUIET_MS)) {
            vl_info("peer %s: connection did not come back; re-creating the link",
                    vl_peer_label(p));
            vl_peer_close_link(p, 0);
            vn_open_link(self, p, now);
        }
        vl_peer_state_t s = vl_peer_state(p);
        if ((s == VL_PS_BAD || s == VL_PS_REFUSED) && !vl_peer_link(p) &&
            now >= vl_peer_retry_at(p)) {
            vl_info("peer %s: reconnecting", vl_peer_label(p));
            vn_open_link(self, p, now);
        }
    }
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = vn_peer_at(self, i);
        if (vl_peer_hello_due(p, now))
            vn_send_hello(self, p, now);
    }
    vn_pull_pick(self, now);
    s_reap(self, now);
    for (size_t i = 0; i < self->nout; i++)
        vn_save_info(self, self->out[i], now, false);
    for (size_t i = 0; i < self->nin; i++)
        vn_save_info(self, self->in[i], now, false);
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

/* ---- reload ---------------------------------------------------------------------- */

/* A configured peer that is not a node of the current policy: kept in the
 * status as "revoked", never connected. */
static void
s_out_gone(vl_node_t *self, vl_peer_t *p)
{
    char why[96];
    snprintf(why, sizeof why, "not a node of policy version %llu",
             (unsigned long long)vl_policy_version(vn_pol(self)));
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
        rc = vl_config_resolve_peers(c, vn_pol(self), vl_keypair_pk(self->kp),
                                     VL_CONFIG_KEEP_GONE, err);
    if (rc != VL_OK) {
        vl_error("reload: %s; keeping the running configuration", err);
        vl_config_destroy(&c);
        return;
    }
    if (strcmp(c->store, self->cfg->store) != 0 || strcmp(c->key, self->cfg->key) != 0 ||
        (c->listen == NULL) != (self->cfg->listen == NULL) ||
        (c->listen && strcmp(c->listen, self->cfg->listen) != 0) ||
        (c->metrics == NULL) != (self->cfg->metrics == NULL) ||
        (c->metrics && strcmp(c->metrics, self->cfg->metrics) != 0))
        vl_warn("reload: store, key, listen and metrics changes need a restart; ignored");
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
        vn_pull_end(self, p);
        vl_peer_mark_removed(p);
        vn_save_info(self, p, now, true);
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
        vn_restore_info(self, p);
        added++;
        if (c->peers[k].gone) {
            s_out_gone(self, p);
            continue;
        }
        vl_info("peer %s: added", vl_peer_label(p));
        vn_open_link(self, p, now);
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
    /* Connections made or accepted from now on; the others keep theirs. */
    vl_transport_set_quiet(self->tr, vn_quiet_ms(self));
    vl_info("reload: %zu peers kept, %zu removed, %zu added; anti_entropy %u ms, poll %u ms, "
            "log level %s", kept, removed, added, c->anti_entropy_ms, c->poll_ms,
            vl_log_level_name(c->log_level));
}

/* ---- frames --------------------------------------------------------------------- */

/* What a decoded message means: its handler (the connection layer checked
 * it: a hello, or anything from an identified session). */
static void
s_dispatch(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
{
    switch (vl_msg_type(m)) {
    case VL_MSG_HELLO:   vn_on_hello(self, p, vl_msg_hello(m), now); break;
    case VL_MSG_GET:     vn_on_get(self, p, m, now); break;
    case VL_MSG_ENTRIES: vn_on_entries(self, p, m, now); break;
    case VL_MSG_HAVE:    vn_on_have(self, p, m, now); break;
    case VL_MSG_PROPS:   vn_on_props(self, p, m, now); break;
    case VL_MSG_POLICIES: vn_on_policies(self, p, m, now); break;
    case VL_MSG_FRESH:   vn_on_fresh(self, p, m, now); break;
    case VL_MSG_EVIDENCE: vn_on_evidence(self, p, m, now); break;
    default: break;
    }
}

/* Handle what waits on the ROUTER, each message before the next frame is
 * read. @return whether anything was read. */
static bool
s_router(vl_node_t *self, uint64_t now)
{
    bool busy = false;
    for (int k = 0; k < S_FRAMES_PER_TURN * 4; k++) {
        vl_peer_t *p = NULL;
        vl_msg_t *m = NULL;
        vn_rx_t r = vn_router_read(self, now, &p, &m);
        if (r == VN_RX_NONE)
            break;
        busy = true;
        if (m)
            s_dispatch(self, p, m, now);
        vl_msg_destroy(&m);
        if (r == VN_RX_STOP)
            break;
    }
    return busy;
}

/* Handle the frames waiting on p's link. @return whether there were any. */
static bool
s_link_frames(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    bool busy = false;
    for (int k = 0; k < S_FRAMES_PER_TURN; k++) {
        vl_msg_t *m = NULL;
        vn_rx_t r = vn_link_read(self, p, now, &m);
        if (r == VN_RX_NONE)
            break;
        busy = true;
        if (m)
            s_dispatch(self, p, m, now);
        vl_msg_destroy(&m);
        if (r == VN_RX_STOP)
            break;
    }
    return busy;
}

/* ---- construction and the loop --------------------------------------------------- */

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

    rc = vl_transport_new(vn_pol(self), kp, &self->tr, err);
    if (rc != VL_OK)
        goto out;
    vl_transport_set_quiet(self->tr, vn_quiet_ms(self));
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
    if (self->cfg->metrics) {
        rc = vl_metrics_new(self->cfg->metrics, vn_metrics_render, self, &self->metrics, err);
        if (rc != VL_OK)
            goto out;
        vl_info("metrics on http://%s:%u/metrics", s_metrics_host(self->cfg->metrics),
                vl_metrics_port(self->metrics));
    }
    {
        char why[VL_ERRMSG_MAX] = "";
        if (vl_watch_new(self->cfg->store, &self->watch, why) != VL_OK)
            vl_warn("changes to the store by other processes are noticed every %u ms (poll_ms), "
                    "not at once: %s", self->cfg->poll_ms, why[0] ? why : "out of memory");
    }
    vn_evidence_refresh(self);
    vn_fresh_refresh(self);
    vn_refresh_ours(self, now);
    if (!self->have_ours) {
        rc = vl_err(err, VL_ESTORE, "cannot read the store head");
        goto out;
    }
    vn_signer_refresh(self);
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
        vn_restore_info(self, p);
        if (c->gone)
            s_out_gone(self, p);
        else
            vn_open_link(self, p, now);
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
                vn_save_info(self, self->out[i], now, true);
            vl_peer_destroy(&self->out[i]);
        }
        for (size_t i = 0; i < self->nin; i++) {
            vl_peer_mark_gone(self->in[i], "closed");
            if (self->tr)
                vn_save_info(self, self->in[i], now, true);
            vl_peer_destroy(&self->in[i]);
        }
        if (self->tr)
            s_save_zap(self, now, true);
        vl_metrics_destroy(&self->metrics);
        vl_watch_destroy(&self->watch);
        vl_transport_destroy(&self->tr);
        vl_config_destroy(&self->cfg);
        free(self->ids);
        free(self);
        *self_p = NULL;
    }
}

int
vn_turn(vl_node_t *self, bool *busy, volatile sig_atomic_t *reload)
{
    zmq_pollitem_t items[4 + 2 * VL_MAX_PEERS];
    size_t n = 0;
    if (self->watch)
        items[n++] = (zmq_pollitem_t){ NULL, vl_watch_fd(self->watch), ZMQ_POLLIN, 0 };
    if (self->metrics)
        items[n++] = (zmq_pollitem_t){ NULL, vl_metrics_fd(self->metrics), ZMQ_POLLIN, 0 };
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
    /* Sleep until the next store read is due, poll_ms at most. */
    long timeout = 0;
    if (!*busy && !self->audit_pending) {
        uint64_t t = vl_clock_ms();
        timeout = self->next_poll > t ? (long)(self->next_poll - t) : 0;
        if (timeout > (long)self->cfg->poll_ms)
            timeout = (long)self->cfg->poll_ms;
    }
    int rc = zmq_poll(items, (int)n, timeout);
    if (rc < 0) {
        if (zmq_errno() == EINTR)
            return VL_EAGAIN;
        vl_error("poll failed: %s", zmq_strerror(zmq_errno()));
        return VL_EIO;
    }
    if (reload && *reload) {
        *reload = 0;
        s_reload(self, vl_clock_ms());
    }
    uint64_t now = vl_clock_ms();
    /* Every turn, not only when its descriptor is ready: libmicrohttpd also
     * times out idle connections here. */
    if (self->metrics)
        vl_metrics_run(self->metrics);
    bool b = vl_transport_zap_handle(self->tr) > 0;
    for (size_t i = 0; i < self->nout; i++)
        b |= vn_link_events(self, self->out[i], now);
    b |= s_router(self, now);
    for (size_t i = 0; i < self->nout; i++)
        b |= s_link_frames(self, self->out[i], now);
    *busy = b;
    now = vl_clock_ms();
    if (self->watch && vl_watch_drain(self->watch)) {
        /* Another process (or this one) committed: re-read the head and
         * pending set now rather than at the next poll_ms. */
        vn_refresh_ours(self, now);
        self->next_poll = now + VN_WATCH_SETTLE_MS;
    }
    s_timers(self, now);
    if (!b && !self->puller && self->audit_pending)
        s_audit(self);
    return VL_OK;
}

int
vl_node_run(vl_node_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    assert(self && stop && reload);
    int failures = 0;
    bool busy = false;
    const char *name = vl_policy_member_name(vn_pol(self), vl_keypair_pk(self->kp));
    vl_info("valise-node ready: node %s (%s), network \"%s\", policy version %llu, seq %llu, "
            "%zu pending, %zu peers", self->kid, name ? name : "?", vl_policy_name(vn_pol(self)),
            (unsigned long long)self->ours.pv, (unsigned long long)self->ours.seq, self->nids,
            self->nout);

    while (!*stop) {
        int rc = vn_turn(self, &busy, reload);
        if (rc == VL_EIO && ++failures > 100)
            return VL_EIO;
        if (rc == VL_OK)
            failures = 0;
    }
    vl_info("stopping: %llu entries applied from peers, %llu served, %llu sessions dropped, "
            "%llu bad frames, %llu clients refused by ZAP",
            (unsigned long long)self->applied, (unsigned long long)self->served,
            (unsigned long long)self->drops, (unsigned long long)self->bad_frames,
            (unsigned long long)vl_transport_refused(self->tr, NULL, NULL));
    return VL_OK;
}
