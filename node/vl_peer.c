/* SPDX-License-Identifier: MIT */
/*
 * vl_peer - one sync session: state machine, timers, back-off, counters
 * (see vl_peer.h). No I/O here: the node sends what a session decides.
 */
#include "vl_peer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_log.h"
#include "vl_peer_int.h"

static const char *const s_state_names[] = {
    [VL_PS_CONNECTING] = "connecting", [VL_PS_OPEN] = "open",
    [VL_PS_SUMMARY_SENT] = "open",     [VL_PS_PULLING] = "pulling",
    [VL_PS_IDLE] = "idle",             [VL_PS_BAD] = "bad",
    [VL_PS_REFUSED] = "refused",       [VL_PS_REVOKED] = "revoked",
};

/* What a connection knew: gone with it. */
static void
s_forget(vl_peer_t *self)
{
    self->pull_from = 0;
    self->probe_seq = 0;
    self->hold = false;
    self->checked_seq = 0;
    memset(self->push_at, 0, sizeof self->push_at);
}

static void
s_set_state(vl_peer_t *self, vl_peer_state_t s)
{
    self->state = s;
    if (strcmp(self->info.state, s_state_names[s]) != 0) {
        snprintf(self->info.state, sizeof self->info.state, "%s", s_state_names[s]);
        self->info_dirty = true;
    }
}

static void
s_label(vl_peer_t *self)
{
    if (self->name[0])
        snprintf(self->label, sizeof self->label, "%s %s (%s)", self->info.addr, self->kid,
                 self->name);
    else
        snprintf(self->label, sizeof self->label, "%s %s", self->info.addr, self->kid);
}

static vl_peer_t *
s_new(vl_peer_dir_t dir, const char *addr, const uint8_t pk[VL_PK_LEN], const char *name,
      uint64_t now)
{
    vl_peer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = dir;
    memcpy(self->pk, pk, VL_PK_LEN);
    vl_kid(pk, self->kid);
    snprintf(self->name, sizeof self->name, "%s", name ? name : "");
    memcpy(self->info.pk, pk, VL_PK_LEN);
    snprintf(self->info.addr, sizeof self->info.addr, "%s", addr);
    s_label(self);
    self->backoff_ms = VL_PEER_BACKOFF_MIN_MS;
    self->last_rx = now;
    self->info_dirty = true;
    return self;
}

vl_peer_t *
vl_peer_new_out(const char *addr, const uint8_t pk[VL_PK_LEN], const char *name, uint64_t now)
{
    assert(addr && pk);
    vl_peer_t *self = s_new(VL_PEER_OUT, addr, pk, name, now);
    if (self)
        s_set_state(self, VL_PS_CONNECTING);
    return self;
}

vl_peer_t *
vl_peer_new_in(const uint8_t *rid, size_t rid_len, const uint8_t pk[VL_PK_LEN],
               const char *name, uint64_t now)
{
    assert(rid && pk);
    char addr[2 * VL_KID_LEN + 4], kid[2 * VL_KID_LEN + 1];
    if (rid_len == 0 || rid_len > sizeof ((vl_peer_t *)0)->rid)
        return NULL;
    vl_kid(pk, kid);
    snprintf(addr, sizeof addr, "in:%s", kid);
    vl_peer_t *self = s_new(VL_PEER_IN, addr, pk, name, now);
    if (!self)
        return NULL;
    memcpy(self->rid, rid, rid_len);
    self->rid_len = rid_len;
    self->healthy_since = now;
    s_set_state(self, VL_PS_OPEN);
    self->next_hello = now;
    return self;
}

void
vl_peer_destroy(vl_peer_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_peer_t *self = *self_p;
        vl_link_destroy(&self->link, 0);
        free(self);
        *self_p = NULL;
    }
}

/* ---- identity ------------------------------------------------------------------ */

vl_peer_dir_t
vl_peer_dir(const vl_peer_t *self)
{
    assert(self);
    return self->dir;
}

const char *
vl_peer_addr(const vl_peer_t *self)
{
    assert(self);
    return self->info.addr;
}

const char *
vl_peer_label(const vl_peer_t *self)
{
    assert(self);
    return self->label;
}

const uint8_t *
vl_peer_pk(const vl_peer_t *self)
{
    assert(self);
    return self->pk;
}

const char *
vl_peer_kid(const vl_peer_t *self)
{
    assert(self);
    return self->kid;
}

const uint8_t *
vl_peer_rid(const vl_peer_t *self, size_t *len)
{
    assert(self);
    if (len)
        *len = self->rid_len;
    return self->dir == VL_PEER_IN ? self->rid : NULL;
}

bool
vl_peer_rid_eq(const vl_peer_t *self, const uint8_t *rid, size_t len)
{
    assert(self);
    return self->dir == VL_PEER_IN && len == self->rid_len && memcmp(rid, self->rid, len) == 0;
}

vl_link_t *
vl_peer_link(const vl_peer_t *self)
{
    assert(self);
    return self->link;
}

void
vl_peer_set_link(vl_peer_t *self, vl_link_t *link, uint64_t now)
{
    assert(self && self->dir == VL_PEER_OUT && !self->link);
    self->link = link;
    self->link_event_at = now;
    self->link_down = false;
    self->link_trying = true;
    self->hello_sent = false;
    self->identified = false;
    s_forget(self);
    self->healthy_since = 0;
    self->last_rx = now;
    s_set_state(self, VL_PS_CONNECTING);
}

void
vl_peer_link_event(vl_peer_t *self, vl_link_event_t ev, uint64_t now)
{
    assert(self);
    self->link_event_at = now;
    self->link_down = ev == VL_LINK_DOWN;
    self->link_trying = ev == VL_LINK_TRYING;
}

bool
vl_peer_link_unanswered(const vl_peer_t *self, uint64_t now, uint32_t ms)
{
    assert(self);
    if (!self->link || self->state != VL_PS_CONNECTING || !self->link_trying)
        return false;
    return now - self->link_event_at > ms;
}

unsigned
vl_peer_link_renewed(vl_peer_t *self)
{
    assert(self);
    return ++self->renewed;
}

bool
vl_peer_link_stalled(const vl_peer_t *self, uint64_t now, uint32_t down_ms, uint32_t quiet_ms)
{
    assert(self);
    if (!self->link || self->state != VL_PS_CONNECTING)
        return false;
    return now - self->link_event_at > (self->link_down ? down_ms : quiet_ms);
}

void
vl_peer_close_link(vl_peer_t *self, int linger_ms)
{
    assert(self);
    vl_link_destroy(&self->link, linger_ms);
}

/* ---- state ------------------------------------------------------------------------ */

vl_peer_state_t
vl_peer_state(const vl_peer_t *self)
{
    assert(self);
    return self->state;
}

const char *
vl_peer_state_name(vl_peer_state_t s)
{
    return s >= VL_PS_CONNECTING && s <= VL_PS_REVOKED ? s_state_names[s] : "?";
}

bool
vl_peer_identified(const vl_peer_t *self)
{
    assert(self);
    return self->identified;
}

bool
vl_peer_sendable(const vl_peer_t *self)
{
    assert(self);
    return !self->gone && (self->state == VL_PS_OPEN || self->state == VL_PS_SUMMARY_SENT ||
           self->state == VL_PS_PULLING || self->state == VL_PS_IDLE);
}

void
vl_peer_on_up(vl_peer_t *self, uint64_t now)
{
    assert(self);
    self->hello_sent = false;
    s_forget(self);
    self->next_hello = now;
    self->healthy_since = now;
    self->renewed = 0;
    s_set_state(self, VL_PS_OPEN);
}

void
vl_peer_on_down(vl_peer_t *self, uint64_t now)
{
    assert(self);
    (void)now;
    /* `identified` survives a libzmq reconnect: the server key is pinned, so
     * it is the same node, and frames of the old connection may still be
     * queued behind this event. */
    self->hello_sent = false;
    s_forget(self);
    self->healthy_since = 0;
    if (self->state != VL_PS_BAD && self->state != VL_PS_REFUSED &&
        self->state != VL_PS_REVOKED)
        s_set_state(self, VL_PS_CONNECTING);
}

static void
s_backoff(vl_peer_t *self, uint64_t now, uint32_t max_ms)
{
    if (max_ms < VL_PEER_BACKOFF_MIN_MS)
        max_ms = VL_PEER_BACKOFF_MIN_MS;
    if (self->backoff_ms > max_ms)
        self->backoff_ms = max_ms;
    self->retry_at = now + self->backoff_ms;
    self->backoff_ms = self->backoff_ms > max_ms / 2 ? max_ms : self->backoff_ms * 2;
    self->hello_sent = false;
    self->identified = false;
    s_forget(self);
    self->healthy_since = 0;
}

void
vl_peer_on_refused(vl_peer_t *self, uint64_t now, uint32_t backoff_max_ms)
{
    assert(self);
    s_backoff(self, now, backoff_max_ms);
    snprintf(self->info.last_error, sizeof self->info.last_error,
             "refused by peer: our key is not admitted");
    self->info_dirty = true;
    s_set_state(self, VL_PS_REFUSED);
}

void
vl_peer_on_bad(vl_peer_t *self, uint64_t now, uint32_t backoff_max_ms, const char *why)
{
    assert(self);
    s_backoff(self, now, backoff_max_ms);
    self->info.dropped++;
    snprintf(self->info.last_error, sizeof self->info.last_error, "%s", why ? why : "");
    self->info_dirty = true;
    s_set_state(self, VL_PS_BAD);
}

uint64_t
vl_peer_retry_at(const vl_peer_t *self)
{
    assert(self);
    return self->retry_at;
}

uint32_t
vl_peer_backoff(const vl_peer_t *self)
{
    assert(self);
    return self->backoff_ms;
}

int
vl_peer_on_hello(vl_peer_t *self, const vl_hello_t *theirs, const vl_hello_t *ours,
                 uint64_t now, unsigned *todo, char *err)
{
    assert(self && theirs && ours && todo);
    *todo = 0;
    if (memcmp(theirs->net, ours->net, VL_NETID_LEN) != 0) {
        char a[2 * VL_NETID_LEN + 1], b[2 * VL_NETID_LEN + 1];
        vl_hex(theirs->net, VL_NETID_LEN, a);
        vl_hex(ours->net, VL_NETID_LEN, b);
        return vl_err(err, VL_EPERM, "network mismatch: hello names network %s, this node "
                      "serves %s", a, b);
    }
    /* Versions differ legitimately while a new one spreads (docs/trust.md
     * §6); the same version with another hash is a policy fork. */
    if (theirs->pv == ours->pv && memcmp(theirs->policy, ours->policy, VL_HASH_LEN) != 0) {
        char a[17], b[17];
        vl_hex(theirs->policy, 8, a);
        vl_hex(ours->policy, 8, b);
        return vl_err(err, VL_EFORK, "policy fork: the peer's policy version %llu is %s..., "
                      "ours is %s...", (unsigned long long)ours->pv, a, b);
    }
    /* A node never goes back a policy version; a peer that says so is lying
     * (and would get our versions pushed again and again). */
    if (self->identified && theirs->pv < self->theirs.pv)
        return vl_err(err, VL_EPROTO, "policy version went back from %llu to %llu",
                      (unsigned long long)self->theirs.pv, (unsigned long long)theirs->pv);
    self->theirs = *theirs;
    self->identified = true;
    if (self->info.their_seq != theirs->seq || self->info.their_pending != theirs->pn) {
        self->info.their_seq = theirs->seq;
        self->info.their_pending = theirs->pn;
        self->info_dirty = true;
    }
    if (!self->hello_sent)
        *todo |= VL_PEER_DO_HELLO;
    /* Entries of a peer with a newer policy may name a version we lack:
     * wait for its `policies`. */
    if (theirs->seq > ours->seq && theirs->pv <= ours->pv)
        *todo |= VL_PEER_DO_PULL;
    if (theirs->seq > 0 && theirs->seq <= ours->seq &&
        !(self->checked_seq == theirs->seq &&
          memcmp(self->checked_head, theirs->head, VL_HASH_LEN) == 0)) {
        if (theirs->seq == ours->seq && memcmp(theirs->head, ours->head, VL_HASH_LEN) == 0)
            vl_peer_head_checked(self, theirs->seq, theirs->head);
        else
            *todo |= VL_PEER_DO_CHECK;
    }
    if (theirs->seq == ours->seq && memcmp(theirs->head, ours->head, VL_HASH_LEN) == 0) {
        uint64_t wall = vl_wall_s();
        if (self->info.last_sync != wall) {
            /* Saved at the last-contact rate: it moves with every hello. */
            self->info.last_sync = wall;
            self->contact_dirty = true;
        }
    }
    if (theirs->pv < ours->pv)
        *todo |= VL_PEER_DO_POLICIES;
    if (theirs->fi < ours->fi)
        *todo |= VL_PEER_DO_FRESH;
    if (theirs->ev < ours->ev)
        *todo |= VL_PEER_DO_EVIDENCE;
    if (memcmp(theirs->pd, ours->pd, VL_HASH_LEN) != 0)
        *todo |= VL_PEER_DO_HAVE;
    if (self->healthy_since == 0)
        self->healthy_since = now;
    if (self->state == VL_PS_OPEN || self->state == VL_PS_SUMMARY_SENT)
        s_set_state(self, VL_PS_IDLE);
    return VL_OK;
}

const vl_hello_t *
vl_peer_theirs(const vl_peer_t *self)
{
    assert(self);
    return self->identified ? &self->theirs : NULL;
}

void
vl_peer_hello_sent(vl_peer_t *self, uint64_t now, uint32_t interval_ms)
{
    assert(self);
    self->hello_sent = true;
    self->next_hello = now + interval_ms;
    if (self->state == VL_PS_OPEN)
        s_set_state(self, VL_PS_SUMMARY_SENT);
}

bool
vl_peer_hello_due(const vl_peer_t *self, uint64_t now)
{
    assert(self);
    return vl_peer_sendable(self) && now >= self->next_hello;
}

void
vl_peer_hello_defer(vl_peer_t *self, uint64_t now, uint32_t ms)
{
    assert(self);
    self->next_hello = now + ms;
}

void
vl_peer_hello_now(vl_peer_t *self)
{
    assert(self);
    self->next_hello = 0;
}

void
vl_peer_pull_start(vl_peer_t *self, uint64_t from, uint64_t now, uint32_t timeout_ms)
{
    assert(self && from > 0);
    self->pull_from = from;
    self->pull_deadline = now + timeout_ms;
    s_set_state(self, VL_PS_PULLING);
}

uint64_t
vl_peer_pull_from(const vl_peer_t *self)
{
    assert(self);
    return self->pull_from;
}

void
vl_peer_pull_end(vl_peer_t *self)
{
    assert(self);
    self->pull_from = 0;
    if (self->state == VL_PS_PULLING)
        s_set_state(self, VL_PS_IDLE);
}

bool
vl_peer_pull_expired(const vl_peer_t *self, uint64_t now)
{
    assert(self);
    return self->pull_from != 0 && now >= self->pull_deadline;
}

void
vl_peer_head_checked(vl_peer_t *self, uint64_t seq, const uint8_t head[VL_HASH_LEN])
{
    assert(self && head);
    self->checked_seq = seq;
    memcpy(self->checked_head, head, VL_HASH_LEN);
}

void
vl_peer_probe_start(vl_peer_t *self, uint64_t seq, uint64_t now, uint32_t timeout_ms,
                    bool chain, const char *why)
{
    assert(self && seq > 0);
    self->probe_seq = seq;
    self->probe_deadline = now + timeout_ms;
    self->probe_chain = chain;
    snprintf(self->probe_why, sizeof self->probe_why, "%s", why ? why : "");
}

uint64_t
vl_peer_probe_seq(const vl_peer_t *self)
{
    assert(self);
    return self->probe_seq;
}

bool
vl_peer_probe_chain(const vl_peer_t *self)
{
    assert(self);
    return self->probe_chain;
}

const char *
vl_peer_probe_why(const vl_peer_t *self)
{
    assert(self);
    return self->probe_why;
}

void
vl_peer_probe_end(vl_peer_t *self)
{
    assert(self);
    self->probe_seq = 0;
}

bool
vl_peer_probe_expired(const vl_peer_t *self, uint64_t now)
{
    assert(self);
    return self->probe_seq != 0 && now >= self->probe_deadline;
}

void
vl_peer_pull_hold(vl_peer_t *self, uint64_t their_seq, uint64_t our_pv)
{
    assert(self);
    self->hold = true;
    self->hold_seq = their_seq;
    self->hold_pv = our_pv;
}

bool
vl_peer_pull_held(const vl_peer_t *self, uint64_t their_seq, uint64_t our_pv)
{
    assert(self);
    return self->hold && self->hold_seq == their_seq && self->hold_pv == our_pv;
}

bool
vl_peer_push_allowed(vl_peer_t *self, vl_peer_push_t kind, uint64_t value, uint64_t now,
                     uint32_t min_ms)
{
    assert(self && kind < VL_PEER_PUSH_KINDS);
    if (self->push_at[kind] != 0 && self->push_val[kind] == value &&
        now - self->push_at[kind] < min_ms)
        return false;
    self->push_val[kind] = value;
    self->push_at[kind] = now ? now : 1;
    return true;
}

void
vl_peer_set_key(vl_peer_t *self, const uint8_t pk[VL_PK_LEN], const char *name)
{
    assert(self && pk && self->dir == VL_PEER_OUT && !self->link);
    memcpy(self->pk, pk, VL_PK_LEN);
    memcpy(self->info.pk, pk, VL_PK_LEN);
    vl_kid(pk, self->kid);
    snprintf(self->name, sizeof self->name, "%s", name ? name : "");
    s_label(self);
    self->hello_sent = false;
    self->identified = false;
    s_forget(self);
    self->healthy_since = 0;
    self->backoff_ms = VL_PEER_BACKOFF_MIN_MS;
    self->info.last_error[0] = '\0';
    self->info_dirty = true;
    s_set_state(self, VL_PS_CONNECTING);
}

void
vl_peer_on_revoked(vl_peer_t *self, const char *why)
{
    assert(self);
    self->hello_sent = false;
    self->identified = false;
    s_forget(self);
    self->healthy_since = 0;
    snprintf(self->info.last_error, sizeof self->info.last_error, "%s", why ? why : "");
    self->info_dirty = true;
    s_set_state(self, VL_PS_REVOKED);
}

bool
vl_peer_have_allowed(vl_peer_t *self, uint64_t now, uint32_t min_ms)
{
    assert(self);
    if (self->last_have != 0 && now - self->last_have < min_ms)
        return false;
    self->last_have = now;
    return true;
}

bool
vl_peer_have_in_allowed(vl_peer_t *self, uint64_t now, uint32_t min_ms)
{
    assert(self);
    if (self->last_have_in != 0 && now - self->last_have_in < min_ms)
        return false;
    self->last_have_in = now;
    return true;
}

/* ---- contact, counters, status --------------------------------------------------- */

void
vl_peer_restore(vl_peer_t *self, const vl_peer_info_t *saved)
{
    assert(self && saved);
    if (strcmp(saved->addr, self->info.addr) != 0)
        return;
    self->info.last_contact = saved->last_contact;
    self->info.last_sync = saved->last_sync;
    self->info.their_seq = saved->their_seq;
    self->info.their_pending = saved->their_pending;
}

void
vl_peer_contact(vl_peer_t *self, uint64_t now)
{
    assert(self);
    self->last_rx = now;
    uint64_t wall = vl_wall_s();
    if (self->info.last_contact != wall) {
        self->info.last_contact = wall;
        self->contact_dirty = true;
    }
    if (self->healthy_since && now - self->healthy_since >= VL_PEER_HEALTHY_MS)
        self->backoff_ms = VL_PEER_BACKOFF_MIN_MS;
    if (self->info.last_error[0] && self->healthy_since &&
        now - self->healthy_since >= VL_PEER_HEALTHY_MS) {
        self->info.last_error[0] = '\0';
        self->info_dirty = true;
    }
}

uint64_t
vl_peer_last_rx(const vl_peer_t *self)
{
    assert(self);
    return self->last_rx;
}

void
vl_peer_count_received(vl_peer_t *self, uint64_t entries)
{
    assert(self);
    self->info.received += entries;
    self->info_dirty = true;
}

void
vl_peer_count_sent(vl_peer_t *self, uint64_t entries)
{
    assert(self);
    if (entries) {
        self->info.sent += entries;
        self->info_dirty = true;
    }
}

void
vl_peer_note(vl_peer_t *self, const char *what)
{
    assert(self);
    snprintf(self->info.last_error, sizeof self->info.last_error, "%s", what ? what : "");
    self->info_dirty = true;
}

void
vl_peer_mark_gone(vl_peer_t *self, const char *state)
{
    assert(self);
    self->gone = true;
    s_forget(self);
    snprintf(self->info.state, sizeof self->info.state, "%s", state ? state : "closed");
    self->info_dirty = true;
}

bool
vl_peer_gone(const vl_peer_t *self)
{
    assert(self);
    return self->gone;
}

void
vl_peer_mark_removed(vl_peer_t *self)
{
    assert(self);
    snprintf(self->info.state, sizeof self->info.state, "removed");
    self->info_dirty = true;
}

const vl_peer_info_t *
vl_peer_info(const vl_peer_t *self)
{
    assert(self);
    return &self->info;
}

bool
vl_peer_info_due(const vl_peer_t *self, uint64_t now, bool force)
{
    assert(self);
    if (self->info_dirty)
        return force || self->info_saved == 0 || now - self->info_saved >= VL_PEER_INFO_MS;
    if (self->contact_dirty)
        return force || self->info_saved == 0 || now - self->info_saved >= VL_PEER_CONTACT_MS;
    return false;
}

void
vl_peer_info_saved(vl_peer_t *self, uint64_t now)
{
    assert(self);
    self->info_dirty = false;
    self->contact_dirty = false;
    self->info_saved = now ? now : 1;
}
