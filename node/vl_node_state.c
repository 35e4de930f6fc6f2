/* SPDX-License-Identifier: MIT */
/*
 * vl_node_state - the node's view of itself and its sessions: the bottom
 * layer of the vl_node*.c files.
 *
 * Contract: small helpers every other vl_node*.c file may call, which call
 * no vn_* function of another file (only vl_store, vl_peer and vl_log): the
 * current policy (read from the store each time, never kept), session i of
 * out[] then in[], the push, pull and quiet timeouts derived from the
 * configuration, a session's status record, the end of a session's pull
 * (the one place a pull ends: its get is forgotten and the node's puller
 * freed) and what counts as our side's failure rather than the peer's.
 * None sends a frame, drops or frees a session.
 */
#include "vl_node_int.h"

#include <string.h>

#include "vl_log.h"

/* The current policy. Never kept across store calls: adopting a version
 * (here, or by `valise` on the same store) replaces it. */
const vl_policy_t *
vn_pol(const vl_node_t *self)
{
    return vl_store_policy(self->store);
}

/* Session i of out[] then in[] (i < nout + nin). */
vl_peer_t *
vn_peer_at(const vl_node_t *self, size_t i)
{
    return i < self->nout ? self->out[i] : self->in[i - self->nout];
}

/* How often the same thing is pushed again unasked to a peer that still
 * announces it lacks it: 10 hello rounds, 5..60 s. */
uint32_t
vn_push_ms(const vl_node_t *self)
{
    uint32_t t = 10u * self->cfg->anti_entropy_ms;
    return t < 5000u ? 5000u : t > 60000u ? 60000u : t;
}

uint32_t
vn_pull_timeout(const vl_node_t *self)
{
    uint32_t t = 4u * self->cfg->anti_entropy_ms;
    return t < 15000u ? 15000u : t;
}

uint32_t
vn_quiet_ms(const vl_node_t *self)
{
    uint64_t t = 2ull * self->cfg->anti_entropy_ms;
    return t < VL_TRANSPORT_QUIET_MIN_MS            ? VL_TRANSPORT_QUIET_MIN_MS
           : t > VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS ? VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS
                                                    : (uint32_t)t;
}

/* Persist the status record of p when due (always when force). */
void
vn_save_info(vl_node_t *self, vl_peer_t *p, uint64_t now, bool force)
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

/* Take over what the previous daemon saved of p (vl_peer_restore). */
void
vn_restore_info(vl_node_t *self, vl_peer_t *p)
{
    vl_peer_info_t saved;
    int rc = vl_store_peer_get(self->store, vl_peer_addr(p), &saved);
    if (rc == VL_OK)
        vl_peer_restore(p, &saved);
    else if (rc != VL_ENOTFOUND)
        vl_warn("cannot read the saved status of peer %s: %s", vl_peer_label(p),
                vl_strerror(rc));
}

/* p pulls no more (see vl_node_int.h). */
void
vn_pull_end(vl_node_t *self, vl_peer_t *p)
{
    vl_peer_pull_end(p);
    if (self->puller == p)
        self->puller = NULL;
}

/* in[] keeps the order in which sessions were made (s_reap compacts it in
 * place), so a newer session of p's key is one after p. It supersedes p once
 * it said a valid hello and as long as it is not quieter than p: a newer
 * connection that went silent does not hold back an older one that works. */
bool
vn_in_superseded(const vl_node_t *self, const vl_peer_t *p)
{
    if (vl_peer_dir(p) != VL_PEER_IN)
        return false;
    size_t i = 0;
    while (i < self->nin && self->in[i] != p)
        i++;
    for (i++; i < self->nin; i++) {
        const vl_peer_t *q = self->in[i];
        if (!vl_peer_gone(q) && vl_peer_identified(q) &&
            vl_peer_last_rx(q) >= vl_peer_last_rx(p) &&
            memcmp(vl_peer_pk(q), vl_peer_pk(p), VL_PK_LEN) == 0)
            return true;
    }
    return false;
}

/* Our side's trouble, not the peer's (VL_EAGAIN: a store function not
 * available yet is ours too). */
bool
vn_local_failure(int rc)
{
    return rc == VL_ESTORE || rc == VL_ENOMEM || rc == VL_EIO || rc == VL_EAGAIN;
}
