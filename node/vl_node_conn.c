/* SPDX-License-Identifier: MIT */
/*
 * vl_node_conn - the connection layer of valise-node: everything between a
 * socket and a decoded message.
 *
 * Contract: frames come in here (the ROUTER, each out session's link and its
 * monitor events) and go out here (vn_send, vn_send_hello). vn_router_read
 * and vn_link_read read one frame each and decode it with vl_msg; what a
 * message means is not decided here: a hello, or any message of an
 * identified session, goes back to the caller (the loop in vl_node.c
 * dispatches it). An `error` from the peer closes its session here, and
 * anything else before a hello drops it. A ROUTER connection gets a session
 * only with a valid hello from a key that is a node of the current policy.
 * A session that sends anything invalid is dropped here (vn_drop): told
 * why, counted, and backed off (out sessions) or its key banned from the
 * ROUTER for a doubling back-off (in sessions: a ROUTER cannot close one
 * connection). Sessions are marked gone here, never freed (the reaper in
 * vl_node.c frees them between turns). Calls only vl_node_state.c of the
 * other vl_node*.c files.
 */
#include "vl_node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vl_log.h"

/* ---- sending and dropping -------------------------------------------------------- */

/* Send one frame to a session (consumes nothing; buf stays the caller's). */
int
vn_send(vl_node_t *self, vl_peer_t *p, const uint8_t *buf, size_t len)
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
            vn_pull_end(self, p);
            vl_peer_mark_gone(p, "closed");
        }
    }
    if (rc == VL_OK)
        self->bytes_tx += len;
    if (rc == VL_EAGAIN)
        vl_debug("peer %s: not connected or queue full; message not sent", vl_peer_label(p));
    else if (rc == VL_EIO)
        vl_warn("peer %s: send failed: %s", vl_peer_label(p), zmq_strerror(zmq_errno()));
    return rc;
}

void
vn_send_hello(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_hello(&self->ours, &buf, &len) != VL_OK) {
        vl_error("out of memory encoding hello");
        vl_peer_hello_defer(p, now, self->cfg->poll_ms);
        return;
    }
    if (vn_send(self, p, buf, len) == VL_OK)
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
    vn_ban_t *slot = NULL;
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
void
vn_drop(vl_node_t *self, vl_peer_t *p, int code, const char *why, uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    self->drops++;
    self->drops_by[code < 0 && -code < (int)VN_DROP_SLOTS ? -code : 0]++;
    vl_warn("peer %s: dropped: %s (%s)", vl_peer_label(p), why, vl_strerror(code));
    if (vl_peer_sendable(p) && vl_msg_encode_error(code, why, &buf, &len) == VL_OK)
        (void)vn_send(self, p, buf, len);
    free(buf);
    vn_pull_end(self, p);
    if (vl_peer_dir(p) == VL_PEER_OUT) {
        vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
        vl_peer_close_link(p, VN_DROP_LINGER_MS);
        vl_info("peer %s: retrying in %llu ms", vl_peer_label(p),
                (unsigned long long)(vl_peer_retry_at(p) - now));
    } else {
        /* Our ROUTER cannot close one connection: ban the key instead, so
         * its frames are discarded unread until the back-off ends. */
        s_ban(self, vl_peer_pk(p), vl_peer_label(p), now);
        vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
        vl_peer_mark_gone(p, "bad");
    }
    vn_save_info(self, p, now, true);
}

static bool
s_banned(vl_node_t *self, const uint8_t pk[VL_PK_LEN], uint64_t now)
{
    for (size_t i = 0; i < VL_MAX_NODES; i++) {
        vn_ban_t *b = &self->bans[i];
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

/* ---- frames ---------------------------------------------------------------------- */

/* One frame from an existing session: decoded and checked here; an `error`
 * closes the session here. @return the message for the dispatcher (a hello,
 * or anything from an identified session; the caller destroys it), or NULL
 * when the frame was handled here. */
static vl_msg_t *
s_on_frame(vl_node_t *self, vl_peer_t *p, const uint8_t *data, size_t len, uint64_t now)
{
    vl_msg_t *m = NULL;
    char why[VL_ERRMSG_MAX];
    if (!vl_peer_identified(p) && len > VL_MSG_PREHELLO_MAX) {
        self->bad_frames++;
        snprintf(why, sizeof why, "frame of %zu bytes before hello (limit %u)", len,
                 VL_MSG_PREHELLO_MAX);
        vn_drop(self, p, VL_ELIMIT, why, now);
        return NULL;
    }
    self->err[0] = '\0';
    int rc = vl_msg_decode(data, len, &m, self->err);
    if (rc != VL_OK) {
        self->bad_frames++;
        snprintf(why, sizeof why, "%s", self->err);
        vn_drop(self, p, rc, why, now);
        return NULL;
    }
    vl_peer_contact(p, now);
    vl_msg_type_t type = vl_msg_type(m);
    if (type == VL_MSG_ERROR) {
        char text[VL_MSG_ERRTEXT_MAX + 1];
        vl_log_clean(text, sizeof text, vl_msg_error_text(m));
        vl_warn("peer %s says: %s (%s); closing", vl_peer_label(p), text,
                vl_strerror(vl_msg_error_code(m)));
        snprintf(why, sizeof why, "peer said: %.200s", text);
        vn_pull_end(self, p);
        if (vl_peer_dir(p) == VL_PEER_OUT) {
            vl_peer_on_bad(p, now, self->cfg->reconnect_max_ms, why);
            vl_peer_close_link(p, 0);
        } else {
            vl_peer_note(p, why);
            vl_peer_mark_gone(p, "closed");
        }
        vl_msg_destroy(&m);
        return NULL;
    }
    if (type != VL_MSG_HELLO && !vl_peer_identified(p)) {
        snprintf(why, sizeof why, "%s before hello", vl_msg_type_name(type));
        vn_drop(self, p, VL_EPROTO, why, now);
        vl_msg_destroy(&m);
        return NULL;
    }
    return m;
}

/* ---- the ROUTER and the links ---------------------------------------------------- */

static vl_peer_t *
s_find_in(vl_node_t *self, const uint8_t *rid, size_t len)
{
    for (size_t i = 0; i < self->nin; i++)
        if (!vl_peer_gone(self->in[i]) && vl_peer_rid_eq(self->in[i], rid, len))
            return self->in[i];
    return NULL;
}

/* Refuse a connection that has no session: tell it why (an `error` straight
 * through the ROUTER) and ban its key (kid: its key id, for the log). */
static void
s_refuse(vl_node_t *self, const vl_rx_t *rx, const char *kid, int code, const char *why,
         uint64_t now)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char label[64];
    if (vl_msg_encode_error(code, why, &buf, &len) == VL_OK)
        (void)vl_transport_router_send(self->tr, rx->rid, rx->rid_len, buf, len);
    free(buf);
    snprintf(label, sizeof label, "in:%s", kid);
    s_ban(self, rx->pk, label, now);
}

/* A first frame on a new ROUTER connection: only a valid hello opens a
 * session. @return the hello for the dispatcher, *pp its new session; or
 * NULL (the caller destroys the message). */
static vl_msg_t *
s_router_new(vl_node_t *self, const vl_rx_t *rx, vl_peer_t **pp, uint64_t now)
{
    char kid[2 * VL_KID_LEN + 1];
    vl_msg_t *m = NULL;
    vl_kid(rx->pk, kid);
    if (rx->len > VL_MSG_PREHELLO_MAX) {
        self->bad_frames++;
        vl_debug("router: %zu-byte frame before hello from %s discarded", rx->len, kid);
        return NULL;
    }
    self->err[0] = '\0';
    int rc = vl_msg_decode(rx->data, rx->len, &m, self->err);
    if (rc != VL_OK) {
        self->bad_frames++;
        self->drops++;
        vl_warn("router: first frame from node %s dropped: %s (%s)", kid, self->err,
                vl_strerror(rc));
        s_refuse(self, rx, kid, rc, self->err, now);
        return NULL;
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
    if (!(vl_policy_roles(vn_pol(self), rx->pk) & VL_ROLE_NODE)) {
        /* Admitted by ZAP under an older policy version, before we adopted
         * the one that removed its key: the connection outlived it. */
        char why[96];
        snprintf(why, sizeof why, "not a node of policy version %llu",
                 (unsigned long long)vl_policy_version(vn_pol(self)));
        vl_info("router: hello from %s refused: its key is %s", kid, why);
        s_refuse(self, rx, kid, VL_EPERM, why, now);
        goto out;
    }
    /* One live session per key and connection; drop stale duplicates of
     * the same key beyond one (a reconnect leaves the old one behind), and
     * at once every session of the key silent for longer than the quiet
     * limit: the peer re-created its link (protocol.md §3, a quiet peer),
     * and the old connection only waits for its heartbeat to time out. */
    size_t same = 0;
    vl_peer_t *oldest = NULL;
    for (size_t i = 0; i < self->nin; i++) {
        vl_peer_t *q = self->in[i];
        if (vl_peer_gone(q) || memcmp(vl_peer_pk(q), rx->pk, VL_PK_LEN) != 0)
            continue;
        if (now - vl_peer_last_rx(q) > vn_quiet_ms(self)) {
            char label[512]; /* vl_peer_label is shorter */
            vl_log_clean(label, sizeof label, vl_peer_label(q));
            vl_info("peer %s: a new connection replaces this session, silent for %llu ms",
                    label, (unsigned long long)(now - vl_peer_last_rx(q)));
            vn_pull_end(self, q);
            vl_peer_probe_end(q);
            vl_peer_mark_gone(q, "closed");
            vn_save_info(self, q, now, true);
            continue;
        }
        same++;
        if (!oldest || vl_peer_last_rx(q) < vl_peer_last_rx(oldest))
            oldest = q;
    }
    if (same >= 2 && oldest) {
        vn_pull_end(self, oldest);
        vl_peer_mark_gone(oldest, "closed");
    }
    if (self->nin >= VN_MAX_IN) {
        vl_warn("router: %u connections already; hello from %s ignored", VN_MAX_IN, kid);
        goto out;
    }
    vl_peer_t *p = vl_peer_new_in(rx->rid, rx->rid_len, rx->pk,
                                  vl_policy_member_name(vn_pol(self), rx->pk), now);
    if (!p) {
        vl_error("out of memory for a session");
        goto out;
    }
    self->in[self->nin++] = p;
    /* The peer opens a new connection only once it gave up the old one (or
     * lists us twice): a get we sent on the old one, pull or fork probe, may
     * sit behind TCP's retransmission back-off, never to be answered. Forget
     * it, without blame, and ask again (protocol.md §3, a quiet peer). */
    for (size_t i = 0; i + 1 < self->nin; i++) {
        vl_peer_t *q = self->in[i];
        if (vl_peer_gone(q) || memcmp(vl_peer_pk(q), rx->pk, VL_PK_LEN) != 0 ||
            (self->puller != q && vl_peer_probe_seq(q) == 0))
            continue;
        char label[512]; /* vl_peer_label is shorter */
        vl_log_clean(label, sizeof label, vl_peer_label(q));
        vl_info("peer %s: a new connection of this key; the get outstanding here is "
                "forgotten and asked again",
                label);
        vn_pull_end(self, q);
        vl_peer_probe_end(q);
    }
    vn_restore_info(self, p);
    vl_info("peer %s: connected to us", vl_peer_label(p));
    vl_peer_contact(p, now);
    *pp = p;
    return m;
out:
    vl_msg_destroy(&m);
    return NULL;
}

vn_rx_t
vn_router_read(vl_node_t *self, uint64_t now, vl_peer_t **pp, vl_msg_t **mp)
{
    vl_rx_t rx;
    *pp = NULL;
    *mp = NULL;
    int rc = vl_transport_router_recv(self->tr, &rx);
    if (rc == VL_EAGAIN)
        return VN_RX_NONE;
    if (rc == VL_OK)
        self->bytes_rx += rx.len;
    if (rc == VL_EIO) {
        vl_error("router receive failed: %s", zmq_strerror(zmq_errno()));
        return VN_RX_STOP;
    }
    if (rc != VL_OK) {
        self->bad_frames++;
        vl_peer_t *p = s_find_in(self, rx.rid, rx.rid_len);
        if (p)
            vn_drop(self, p, VL_EPROTO, "multipart or unidentified frame", now);
        else
            vl_debug("router: malformed frame discarded");
        return VN_RX_DONE;
    }
    if (s_banned(self, rx.pk, now)) {
        self->bad_frames++;
        return VN_RX_DONE;
    }
    vl_peer_t *p = s_find_in(self, rx.rid, rx.rid_len);
    if (!p) {
        *mp = s_router_new(self, &rx, pp, now);
        return VN_RX_DONE;
    }
    if (memcmp(vl_peer_pk(p), rx.pk, VL_PK_LEN) != 0) {
        /* Another key on a known routing id: the old connection is gone
         * and its session not reaped yet (a peer may choose its routing
         * id). Blaming the old session's key would let one member get
         * another banned, so the old session just ends and the frame is
         * taken as a new connection's first frame. */
        vl_info("peer %s: routing id reused by another key; session closed",
                vl_peer_label(p));
        vn_pull_end(self, p);
        vl_peer_mark_gone(p, "closed");
        vn_save_info(self, p, now, true);
        *mp = s_router_new(self, &rx, pp, now);
        return VN_RX_DONE;
    }
    *mp = s_on_frame(self, p, rx.data, rx.len, now);
    if (*mp)
        *pp = p;
    return VN_RX_DONE;
}

bool
vn_link_events(vl_node_t *self, vl_peer_t *p, uint64_t now)
{
    bool busy = false;
    vl_link_t *l;
    vl_link_event_t ev;
    uint32_t v;
    while ((l = vl_peer_link(p)) && vl_link_event(l, &ev, &v) == VL_OK) {
        busy = true;
        vl_peer_link_event(p, ev, now);
        switch (ev) {
        case VL_LINK_UP:
            vl_info("peer %s: connected", vl_peer_label(p));
            vl_peer_on_up(p, now);
            break;
        case VL_LINK_DOWN:
            if (vl_peer_state(p) != VL_PS_CONNECTING)
                vl_info("peer %s: disconnected (last message %llu ms ago)", vl_peer_label(p),
                        (unsigned long long)(now - vl_peer_last_rx(p)));
            vn_pull_end(self, p);
            vl_peer_on_down(p, now);
            break;
        case VL_LINK_REFUSED:
            vl_warn("peer %s: refused by peer (ZAP status %u): our key is not admitted",
                    vl_peer_label(p), v);
            vn_pull_end(self, p);
            vl_peer_on_refused(p, now, self->cfg->reconnect_max_ms);
            vl_peer_close_link(p, 0);
            vn_save_info(self, p, now, true);
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

vn_rx_t
vn_link_read(vl_node_t *self, vl_peer_t *p, uint64_t now, vl_msg_t **mp)
{
    *mp = NULL;
    vl_link_t *l = vl_peer_link(p);
    if (!l)
        return VN_RX_NONE;
    const uint8_t *data;
    size_t len;
    int rc = vl_link_recv(l, &data, &len);
    if (rc == VL_EAGAIN)
        return VN_RX_NONE;
    if (rc == VL_OK)
        self->bytes_rx += len;
    if (rc != VL_OK) {
        self->bad_frames++;
        vn_drop(self, p, VL_EPROTO, "multipart frame", now);
        return VN_RX_STOP;
    }
    if (vl_peer_state(p) == VL_PS_BAD || vl_peer_state(p) == VL_PS_REFUSED)
        return VN_RX_STOP;
    *mp = s_on_frame(self, p, data, len, now);
    return VN_RX_DONE;
}

void
vn_open_link(vl_node_t *self, vl_peer_t *p, uint64_t now)
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

