/* SPDX-License-Identifier: MIT */
/*
 * vl_node_metrics - what the node's metrics endpoint says (the metrics and
 * their meaning are documented in docs/operator.md, "Monitoring").
 *
 * Contract: vn_metrics_render writes the exposition text of one scrape from
 * the counters the node already keeps (struct vl_node, each session's
 * status record, the transport's refusal count) and its summary of the
 * store (`ours`, re-read every poll_ms): it reads no store table, sends
 * nothing and changes nothing. It runs on the node's thread, called by
 * vl_metrics_run from vn_turn (vl_metrics.h explains why no lock is
 * needed). Layer: beside vl_node.c, which is the only caller (through the
 * endpoint); it calls only vl_node_state.c below it.
 */
#include "vl_node_int.h"

#include <stdio.h>
#include <string.h>

#include "vl_log.h"

/* The label of each drop slot (the error code's name without VL_E). */
static const char *const s_drop_reason[VN_DROP_SLOTS] = {
    "other",  "inval",  "nomem",  "proto",   "auth",  "store",  "limit",
    "again",  "notfound", "perm", "stale",   "exist", "corrupt", "io",
    "schema", "chain",  "threshold", "crypto", "fork",
};

static const char *const s_conn_states[] = { "connected", "reconnecting", "refused", "revoked" };
#define S_NCONN (sizeof s_conn_states / sizeof s_conn_states[0])

/* The connection state a session is counted under. */
static const char *
s_connection(const vl_peer_t *p)
{
    switch (vl_peer_state(p)) {
    case VL_PS_OPEN:
    case VL_PS_SUMMARY_SENT:
    case VL_PS_PULLING:
    case VL_PS_IDLE:
        return "connected";
    case VL_PS_REFUSED:
        return "refused";
    case VL_PS_REVOKED:
        return "revoked";
    case VL_PS_CONNECTING:
    case VL_PS_BAD:
    default:
        return "reconnecting";
    }
}

/* The labels naming one session: peer (its record key: "tcp://..." or
 * "in:<kid>"), direction, kid and node name (may be empty). */
static void
s_peer_labels(const vl_node_t *self, const vl_peer_t *p, const char *labels[9])
{
    const char *name = vl_policy_member_name(vn_pol(self), vl_peer_pk(p));
    labels[0] = "peer";
    labels[1] = vl_peer_addr(p);
    labels[2] = "direction";
    labels[3] = vl_peer_dir(p) == VL_PEER_OUT ? "out" : "in";
    labels[4] = "kid";
    labels[5] = vl_peer_kid(p);
    labels[6] = "name";
    labels[7] = name ? name : "";
    labels[8] = NULL;
}

static bool
s_counted(const vl_peer_t *p)
{
    return !vl_peer_gone(p);
}

void
vn_metrics_render(void *ctx, vl_mtext_t *b)
{
    vl_node_t *self = ctx;
    uint64_t wall = vl_wall_s();
    const char *me = vl_policy_member_name(vn_pol(self), vl_keypair_pk(self->kp));
    const char *info[] = { "version", VL_VERSION, "kid", self->kid, "name", me ? me : "", NULL };

    vl_mtext_family(b, "valise_node_info", "gauge",
                    "Always 1; the labels name this daemon's version and node key.");
    vl_mtext_sample_u(b, "valise_node_info", info, 1);

    vl_mtext_family(b, "valise_peers", "gauge",
                    "Sessions by direction and connection state.");
    for (int dir = 0; dir < 2; dir++) {
        uint64_t count[S_NCONN] = { 0 };
        for (size_t i = 0; i < self->nout + self->nin; i++) {
            const vl_peer_t *p = vn_peer_at(self, i);
            if ((int)vl_peer_dir(p) != dir || !s_counted(p))
                continue;
            const char *c = s_connection(p);
            for (size_t k = 0; k < S_NCONN; k++)
                if (strcmp(c, s_conn_states[k]) == 0)
                    count[k]++;
        }
        for (size_t k = 0; k < S_NCONN; k++) {
            const char *l[] = { "direction", dir == VL_PEER_OUT ? "out" : "in", "state",
                                s_conn_states[k], NULL };
            vl_mtext_sample_u(b, "valise_peers", l, count[k]);
        }
    }

    vl_mtext_family(b, "valise_head_seq", "gauge", "Sequence number of this store's head entry.");
    vl_mtext_sample_u(b, "valise_head_seq", NULL, self->ours.seq);
    vl_mtext_family(b, "valise_policy_version", "gauge", "Current policy version.");
    vl_mtext_sample_u(b, "valise_policy_version", NULL, self->ours.pv);
    vl_mtext_family(b, "valise_pending_proposals", "gauge",
                    "Proposals pending in this store.");
    vl_mtext_sample_u(b, "valise_pending_proposals", NULL, self->ours.pn);

    vl_mtext_family(b, "valise_entries_received_total", "counter",
                    "Log entries received from peers and applied to the store.");
    vl_mtext_sample_u(b, "valise_entries_received_total", NULL, self->applied);
    vl_mtext_family(b, "valise_entries_sent_total", "counter", "Log entries sent to peers.");
    vl_mtext_sample_u(b, "valise_entries_sent_total", NULL, self->served);
    vl_mtext_family(b, "valise_bytes_received_total", "counter",
                    "Bytes of protocol frames received from peers.");
    vl_mtext_sample_u(b, "valise_bytes_received_total", NULL, self->bytes_rx);
    vl_mtext_family(b, "valise_bytes_sent_total", "counter",
                    "Bytes of protocol frames sent to peers.");
    vl_mtext_sample_u(b, "valise_bytes_sent_total", NULL, self->bytes_tx);

    vl_mtext_family(b, "valise_drops_total", "counter",
                    "Sessions dropped for invalid input or misbehaviour, by reason.");
    for (size_t k = 0; k < VN_DROP_SLOTS; k++) {
        const char *l[] = { "reason", s_drop_reason[k], NULL };
        vl_mtext_sample_u(b, "valise_drops_total", l, self->drops_by[k]);
    }
    vl_mtext_family(b, "valise_bad_frames_total", "counter",
                    "Frames that failed to frame or decode.");
    vl_mtext_sample_u(b, "valise_bad_frames_total", NULL, self->bad_frames);
    vl_mtext_family(b, "valise_haves_ignored_total", "counter",
                    "Pending-id lists (have) of peers ignored for coming too soon.");
    vl_mtext_sample_u(b, "valise_haves_ignored_total", NULL, self->haves_ignored);
    vl_mtext_family(b, "valise_links_recreated_total", "counter",
                    "Links to configured peers re-created because a connect got no answer.");
    vl_mtext_sample_u(b, "valise_links_recreated_total", NULL, self->relinks);
    vl_mtext_family(b, "valise_handshakes_refused_total", "counter",
                    "Connections refused at the CurveZMQ handshake (keys that are not nodes).");
    vl_mtext_sample_u(b, "valise_handshakes_refused_total", NULL,
                      vl_transport_refused(self->tr, NULL, NULL));

    vl_mtext_family(b, "valise_freshness_age_seconds", "gauge",
                    "Seconds since the newest freshness statement this store holds was issued "
                    "(absent: none held).");
    if (self->ours.fi)
        vl_mtext_sample_i(b, "valise_freshness_age_seconds", NULL,
                          (int64_t)wall - (int64_t)self->ours.fi);

    vl_mtext_family(b, "valise_peer_lag_entries", "gauge",
                    "Our head seq minus the head seq the peer last announced: positive, the "
                    "peer lacks entries; negative, we do.");
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        const vl_peer_t *p = vn_peer_at(self, i);
        if (!s_counted(p) || !vl_peer_theirs(p))
            continue;
        const char *l[9];
        s_peer_labels(self, p, l);
        vl_mtext_sample_i(b, "valise_peer_lag_entries", l,
                          (int64_t)self->ours.seq - (int64_t)vl_peer_theirs(p)->seq);
    }
    vl_mtext_family(b, "valise_peer_last_sync_timestamp_seconds", "gauge",
                    "Unix time when the peer's head was last found equal to ours (0: never; "
                    "kept across restarts).");
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        const vl_peer_t *p = vn_peer_at(self, i);
        if (!s_counted(p))
            continue;
        const char *l[9];
        s_peer_labels(self, p, l);
        vl_mtext_sample_u(b, "valise_peer_last_sync_timestamp_seconds", l,
                          vl_peer_info(p)->last_sync);
    }
    vl_mtext_family(b, "valise_peer_last_contact_timestamp_seconds", "gauge",
                    "Unix time of the last valid message from the peer (0: never).");
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        const vl_peer_t *p = vn_peer_at(self, i);
        if (!s_counted(p))
            continue;
        const char *l[9];
        s_peer_labels(self, p, l);
        vl_mtext_sample_u(b, "valise_peer_last_contact_timestamp_seconds", l,
                          vl_peer_info(p)->last_contact);
    }
}
