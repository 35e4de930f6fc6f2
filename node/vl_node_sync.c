/* SPDX-License-Identifier: MIT */
/*
 * vl_node_sync - the sync state machine of valise-node (docs/protocol.md
 * §3): what a session's hello, get, entries, have and props mean.
 *
 * Contract: our summary (vn_refresh_ours: head, pending set and policy
 * version read from the store; a moved summary is announced to every
 * session, a new policy version handed to vl_node_trust.c) is what our
 * hello says. Their hello is checked by the session (vl_peer_on_hello),
 * which says what to do next; this file does it (answer, push what trust
 * asked for, check their head, pull, send our pending ids). Pulls are one
 * at a time node-wide (self->puller): two sessions pulling the same entries
 * would only make one of them fail the chain check; a pull ends only by
 * vn_pull_end (vl_node_state.c). A batch of entries is one store
 * transaction that the store aborts on the first problem, so invalid input
 * never changes the store; what is the peer's fault drops it (vn_drop),
 * what is ours or nobody's does not. An answer to a fork probe is handed to
 * vl_node_trust.c. Calls vl_node_trust.c, vl_node_conn.c and
 * vl_node_state.c; only vl_node.c calls it.
 */
#include "vl_node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vl_log.h"
#include "vl_mark.h"

/* After entries were applied: raise this machine's high-water mark of the
 * store (docs/store.md §8). A head behind the mark or a mark that cannot be
 * written is logged once per run: it changes nothing the daemon does. */
static void
s_mark_seen(vl_node_t *self, uint64_t now)
{
    static bool s_told;
    char err[VL_ERRMSG_MAX] = "";
    vl_mark_check_t c;
    int rc = vl_mark_update(self->store, self->cfg->store, now, &c, err);
    char text[2 * VL_ERRMSG_MAX + VL_MARK_PATH_MAX] = "";
    if (rc != VL_OK)
        snprintf(text, sizeof text, "cannot record the store's high-water mark: %s: %s",
                 vl_strerror(rc), err);
    else
        vl_mark_text(&c, text, sizeof text);
    if (text[0] && !s_told) {
        char clean[sizeof text];
        vl_warn("%s", vl_log_clean(clean, sizeof clean, text)); /* paths from the environment */
        s_told = true;
    }
}

/* ---- pulling --------------------------------------------------------------------- */

/* May we pull from p? Not once a fork is known (docs/trust.md §5: the log
 * stops), not from a peer with a policy version we have not adopted (its
 * newer entries cannot be verified yet; it pushes the versions to us), not
 * while a pull from it failed for a reason that was not its fault, not from
 * a connection its peer has replaced with a newer one. */
static bool
s_pullable(const vl_node_t *self, const vl_peer_t *p)
{
    const vl_hello_t *t = vl_peer_theirs(p);
    return !self->fork_seq && t && vl_peer_sendable(p) && t->pv <= self->ours.pv &&
           !vl_peer_pull_held(p, t->seq, self->ours.pv) && vl_peer_probe_seq(p) == 0 &&
           !vn_in_superseded(self, p);
}

static void s_store_backoff(vl_node_t *self, uint64_t now);

/* Is p the peer whose short answer lowered the pull-back batch size? */
static bool
s_back_peer(const vl_node_t *self, const vl_peer_t *p)
{
    const uint8_t *pk = vl_peer_pk(p);
    return pk && memcmp(pk, self->back_pk, VL_PK_LEN) == 0;
}

/* Ask p for entries after our head, up to target (its head as last heard). */
static void
s_pull_from(vl_node_t *self, vl_peer_t *p, uint64_t target, uint64_t now)
{
    if (!vl_peer_identified(p) || !s_pullable(self, p) || target <= self->ours.seq ||
        now < self->store_retry_at)
        return;
    if (self->puller && self->puller != p)
        return;
    if (vl_peer_pull_from(p) != 0)
        return; /* a get is already outstanding */
    /* A known pin above our head: pull back from it (docs/trust.md §1.2). */
    uint64_t top = 0, head = 0;
    bool ready = false;
    self->err[0] = '\0';
    int src = vl_store_stage_need(self->store, &top, &ready, &head, self->err);
    if (src == VL_ECORRUPT && strncmp(self->err, "stage:", 6) == 0) {
        /* A damaged staged entry (not our head or meta): drop the stage (it
         * can be fetched again) rather than never pulling again. */
        vl_error("cannot read the stage: %s: %s; clearing it", vl_strerror(src), self->err);
        self->err[0] = '\0';
        if (vl_store_stage_clear(self->store, self->err) == VL_OK) {
            self->err[0] = '\0';
            src = vl_store_stage_need(self->store, &top, &ready, &head, self->err);
        }
    }
    if (src != VL_OK) {
        vl_error("cannot read the stage: %s: %s", vl_strerror(src), self->err);
        return;
    }
    if (head != self->ours.seq)
        return; /* the next refresh announces the new head and pulls again */
    uint64_t from = self->ours.seq + 1;
    uint64_t max = target - self->ours.seq;
    if (max > VL_SYNC_BATCH)
        max = VL_SYNC_BATCH;
    self->back_top = 0;
    if (ready) {
        /* Completed earlier but not applied (our store failed then, or a
         * restart): apply it now; the next hello pulls on. */
        uint64_t applied = 0;
        self->err[0] = '\0';
        src = vl_store_stage_apply(self->store, &applied, self->err);
        if (src != VL_OK) {
            /* Kept stages (our log is another history, our store failed)
             * are not retried at every loop turn, nor from this peer until
             * something changes. */
            vl_error("cannot apply the entries pulled back from the policy pin: %s: %s",
                     vl_strerror(src), self->err);
            vl_peer_pull_hold(p, target, self->ours.pv);
            s_store_backoff(self, now);
        }
        if (applied) {
            self->back_n = 0;
            vl_info("applied %llu entries pulled back from the policy pin",
                    (unsigned long long)applied);
            vn_refresh_ours(self, now);
        }
        return;
    }
    if (top) {
        if (target < top)
            return; /* its head is below the pin: it cannot link what it would send */
        /* A lowered batch size holds for the peer whose answer lowered it:
         * one peer answering an entry at a time does not slow the others. */
        uint64_t n = self->back_n && s_back_peer(self, p)
                         ? self->back_n
                         : VL_SYNC_BATCH;
        max = top - self->ours.seq < n ? top - self->ours.seq : n;
        from = top - max + 1;
        self->back_top = top;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_get(from, max, &buf, &len) != VL_OK)
        return;
    if (vn_send(self, p, buf, len) == VL_OK) {
        vl_peer_pull_start(p, from, now, vn_pull_timeout(self));
        self->puller = p;
        vl_debug("peer %s: get %llu..%llu%s", vl_peer_label(p), (unsigned long long)from,
                 (unsigned long long)(from + max - 1),
                 self->back_top ? " (pulling back from a policy pin)" : "");
    }
    free(buf);
}

/* Pipelining (docs/protocol.md §3): the entries(from) answer of n entries
 * has come and is about to be applied; when the peer holds more, send the
 * get that would follow a successful apply now, so that the peer reads,
 * encodes and sends the next batch while this one is checked and written.
 * Still one get outstanding per session and one pull per node: the peer sees
 * what it would have seen, only sooner. If the apply fails, the caller ends
 * the pull and the early answer is ignored as one to a get given up on.
 * Not when a pin lies above the batch (entries below it come backwards from
 * it) nor when the batch does not start at our head + 1. */
static bool
s_pull_early(vl_node_t *self, vl_peer_t *p, uint64_t from, size_t n, uint64_t their_seq,
             uint64_t now)
{
    uint64_t next = from + n;
    if (their_seq < next || from != self->ours.seq + 1 || !s_pullable(self, p) ||
        now < self->store_retry_at || vl_store_pin_above(self->store, next - 1, NULL) != 0)
        return false;
    uint64_t max = their_seq - next + 1;
    if (max > VL_SYNC_BATCH)
        max = VL_SYNC_BATCH;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_get(next, max, &buf, &len) != VL_OK)
        return false;
    bool sent = vn_send(self, p, buf, len) == VL_OK;
    free(buf);
    if (!sent)
        return false;
    vl_peer_pull_start(p, next, now, vn_pull_timeout(self));
    self->puller = p;
    vl_debug("peer %s: get %llu..%llu (before applying %llu..%llu)", vl_peer_label(p),
             (unsigned long long)next, (unsigned long long)(next + max - 1),
             (unsigned long long)from, (unsigned long long)(next - 1));
    return true;
}

/* Pull from the session that is furthest ahead, if none is pulling. */
void
vn_pull_pick(vl_node_t *self, uint64_t now)
{
    if (self->puller || now < self->store_retry_at)
        return;
    vl_peer_t *best = NULL;
    uint64_t best_seq = self->ours.seq;
    for (size_t i = 0; i < self->nout + self->nin; i++) {
        vl_peer_t *p = vn_peer_at(self, i);
        const vl_hello_t *t = vl_peer_theirs(p);
        if (t && t->seq > best_seq && s_pullable(self, p)) {
            best = p;
            best_seq = t->seq;
        }
    }
    if (best)
        s_pull_from(self, best, best_seq, now);
}

/* ---- our summary ----------------------------------------------------------------- */

/* Read head and pending set; push a hello to every session when they moved.
 * Also notices a policy version adopted by another process on this store. */
void
vn_refresh_ours(vl_node_t *self, uint64_t now)
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
    const vl_policy_t *pol = vn_pol(self);
    uint64_t old_pv = self->ours.pv;
    memcpy(self->ours.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(self->ours.policy, vl_policy_hash(pol), VL_HASH_LEN);
    self->ours.pv = vl_policy_version(pol);
    if (self->have_ours && self->ours.pv != old_pv)
        vn_policy_changed(self, old_pv, now); /* e.g. `valise policy publish` here */
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

/* ---- messages -------------------------------------------------------------------- */

void
vn_on_hello(vl_node_t *self, vl_peer_t *p, const vl_hello_t *h, uint64_t now)
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
        vn_drop(self, p, rc, why, now);
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
        vn_send_hello(self, p, now);
    if (todo & VL_PEER_DO_POLICIES)
        vn_push_policies(self, p, h->pv, now, false);
    if ((todo & VL_PEER_DO_EVIDENCE) &&
        vl_peer_push_allowed(p, VL_PEER_PUSH_EVIDENCE, h->ev, now, vn_push_ms(self)))
        vn_push_evidence(self, p, NULL);
    if (todo & VL_PEER_DO_FRESH)
        vn_push_fresh(self, p, NULL, 0, now, false);
    if (todo & VL_PEER_DO_CHECK)
        vn_check_head(self, p, h, now);
    if (todo & VL_PEER_DO_PULL)
        s_pull_from(self, p, h->seq, now);
    if ((todo & VL_PEER_DO_HAVE) &&
        vl_peer_have_allowed(p, now, self->cfg->anti_entropy_ms / 2)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        size_t n = self->nids > VL_MAX_PENDING ? VL_MAX_PENDING : self->nids;
        if (vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])self->ids, n, &buf, &len) ==
            VL_OK)
            (void)vn_send(self, p, buf, len);
        free(buf);
    }
}

void
vn_on_get(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
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
    if (rc == VL_OK && vn_send(self, p, out, out_len) == VL_OK) {
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

/* "entry S" or "entries A..B": the n entries a peer sent, named by the seqs
 * in their own headers (vl_entry_peek; "?" for a header that does not
 * decode), never by the range we asked for: a peer may answer a get from 3
 * with a replayed entry 1. Hostile bytes, read only to name them. */
static void
s_sent(const uint8_t *const *ptrs, const size_t *lens, size_t n, char *out, size_t cap)
{
    char a[24] = "?", b[24] = "?";
    vl_entry_head_t h;
    if (vl_entry_peek(ptrs[0], lens[0], &h, NULL) == VL_OK)
        snprintf(a, sizeof a, "%llu", (unsigned long long)h.seq);
    if (n == 1) {
        snprintf(out, cap, "entry %s", a);
        return;
    }
    if (vl_entry_peek(ptrs[n - 1], lens[n - 1], &h, NULL) == VL_OK)
        snprintf(b, sizeof b, "%llu", (unsigned long long)h.seq);
    snprintf(out, cap, "entries %s..%s", a, b);
}

/* A catch-up is under way (a batch applied, the peer is further ahead): log
 * "at seq N of M" on its first batch and then at most once a second
 * (S_CATCHUP_LOG_MS), with the rate since its first batch and the time left.
 * A pause of S_CATCHUP_GAP_MS without a batch starts a new catch-up. */
#define S_CATCHUP_LOG_MS 1000u
#define S_CATCHUP_GAP_MS 10000u

static void
s_catchup_log(vl_node_t *self, vl_peer_t *p, uint64_t before, uint64_t their_seq,
              uint64_t loop_now)
{
    /* The loop's time was taken before the batch was applied (which may take
     * most of a second): read the clock now, so lines are a second apart. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    (void)loop_now;
    uint64_t at = self->ours.seq;
    if (!self->catchup_t0 || now - self->catchup_last > S_CATCHUP_GAP_MS ||
        at < self->catchup_seq0) {
        self->catchup_t0 = now;
        self->catchup_seq0 = before;
        self->catchup_logged = 0;
    }
    self->catchup_last = now;
    if (self->catchup_logged && now - self->catchup_logged < S_CATCHUP_LOG_MS)
        return;
    self->catchup_logged = now ? now : 1;
    uint64_t ms = now - self->catchup_t0;
    if (ms < 100 || at <= self->catchup_seq0) {
        vl_info("peer %s: at seq %llu of %llu", vl_peer_label(p), (unsigned long long)at,
                (unsigned long long)their_seq);
        return;
    }
    double rate = (double)(at - self->catchup_seq0) * 1000.0 / (double)ms;
    double left = (double)(their_seq - at) / rate;
    vl_info("peer %s: at seq %llu of %llu, %.0f entries/s, about %llu s left",
            vl_peer_label(p), (unsigned long long)at, (unsigned long long)their_seq, rate,
            left < 1 ? 1ull : (unsigned long long)(left + 0.5));
}

/* A store failure that is ours, not the peer's: no pull from anyone for a
 * while (1 s, doubled on each failure in a row up to 60 s). */
static void
s_store_backoff(vl_node_t *self, uint64_t now)
{
    self->store_backoff_ms = self->store_backoff_ms == 0 ? VN_STORE_BACKOFF_MIN_MS
                             : self->store_backoff_ms >= VN_STORE_BACKOFF_MAX_MS / 2
                                 ? VN_STORE_BACKOFF_MAX_MS
                                 : self->store_backoff_ms * 2;
    self->store_retry_at = now + self->store_backoff_ms;
}

/* The answer to a get pulling back from a pin (docs/protocol.md §3): stage
 * it, apply the stage once it reaches our head, pull on. */
static void
s_on_back(vl_node_t *self, vl_peer_t *p, uint64_t from, uint64_t their_seq,
          const uint8_t *const *ptrs, const size_t *lens, size_t n, uint64_t now)
{
    uint64_t top = self->back_top, want = top - from + 1, applied = 0;
    char sent[64], why[VL_ERRMSG_MAX];
    self->back_top = 0;
    vn_pull_end(self, p);
    if (n < want) {
        /* Cut short by VL_SYNC_BYTES: it does not reach the entry that
         * links it, so it cannot be staged; ask for fewer. */
        self->back_n = (uint32_t)n;
        if (vl_peer_pk(p))
            memcpy(self->back_pk, vl_peer_pk(p), VL_PK_LEN);
        vl_debug("peer %s: %zu of %llu entries up to %llu fit in an answer; asking for %zu",
                 vl_peer_label(p), n, (unsigned long long)want, (unsigned long long)top, n);
        s_pull_from(self, p, their_seq, now);
        return;
    }
    s_sent(ptrs, lens, (size_t)want, sent, sizeof sent);
    self->err[0] = '\0';
    int rc = vl_store_stage_put(self->store, ptrs, lens, (size_t)want, self->err);
    if (rc != VL_OK && !vn_local_failure(rc)) {
        /* The entry the stage needs may have changed while the get was out
         * (a version with a lower pin adopted, our head moved): then the
         * answer is to an old question, not the peer's fault. */
        uint64_t next = 0, hnow = 0;
        bool ready = false;
        if (vl_store_stage_need(self->store, &next, &ready, &hnow, NULL) == VL_OK &&
            (ready || next != top || from <= hnow)) {
            vl_info("peer %s: %s not staged: the entry our stage needs changed meanwhile "
                    "(now %llu); pulling again", vl_peer_label(p), sent,
                    (unsigned long long)next);
            s_pull_from(self, p, their_seq, now);
            return;
        }
    }
    if (rc == VL_OK) {
        bool ready = false;
        uint64_t next = 0;
        rc = vl_store_stage_need(self->store, &next, &ready, NULL, self->err);
        if (rc == VL_OK && ready) {
            vl_info("peer %s: entries pulled back from the policy pin reach our head; "
                    "applying them", vl_peer_label(p));
            rc = vl_store_stage_apply(self->store, &applied, self->err);
        } else if (rc == VL_OK) {
            vl_debug("peer %s: staged %s", vl_peer_label(p), sent);
        }
    }
    if (applied) {
        self->store_backoff_ms = 0;
        self->back_n = 0;
        vl_peer_count_received(p, applied);
        self->applied += applied;
        self->pulled_to = self->ours.seq + applied;
        s_mark_seen(self, now);
        vl_info("peer %s: applied %llu entries pulled back from the policy pin",
                vl_peer_label(p), (unsigned long long)applied);
        vn_refresh_ours(self, now);
    }
    if (rc == VL_OK) {
        self->store_backoff_ms = 0;
        if (their_seq > self->ours.seq)
            s_pull_from(self, p, their_seq, now);
        else
            vn_pull_pick(self, now);
        return;
    }
    if (vn_local_failure(rc) || rc == VL_ECORRUPT) {
        s_store_backoff(self, now);
        vl_error("our store failed to stage %s from %s (not the peer's fault): %s: %s; "
                 "pulling again in %u ms", sent, vl_peer_label(p), vl_strerror(rc), self->err,
                 (unsigned)self->store_backoff_ms);
        return;
    }
    if (rc == VL_ENOTFOUND || rc == VL_EFORK) {
        /* A version we lack; or our own log is another history than the one
         * the pin vouches for (the peer served the true one): never the
         * peer's fault. */
        if (rc == VL_EFORK)
            vl_error("peer %s: %s staged, not applied: %s", vl_peer_label(p), sent,
                     self->err[0] ? self->err : vl_strerror(rc));
        else
            vl_info("peer %s: %s not staged: %s", vl_peer_label(p), sent,
                    self->err[0] ? self->err : vl_strerror(rc));
        vl_peer_pull_hold(p, their_seq, self->ours.pv);
        return;
    }
    /* Does not link to the pin, or the staged history is not valid: the
     * peer's fault (the stage it completed was cleared if it was applied). */
    snprintf(why, sizeof why, "%s pulled back from a policy pin rejected: %.150s", sent,
             self->err[0] ? self->err : vl_strerror(rc));
    vn_drop(self, p, rc, why, now);
}

void
vn_on_entries(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
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
        vn_pull_end(self, p);
        snprintf(why, sizeof why, "head went back from %llu to %llu",
                 (unsigned long long)announced->seq, (unsigned long long)their_seq);
        vn_drop(self, p, VL_EPROTO, why, now);
        return;
    }
    if (probe) {
        vn_on_probe(self, p, m, now);
        return;
    }
    if (n == 0) {
        vn_pull_end(self, p);
        if (their_seq >= from) {
            snprintf(why, sizeof why, "announced seq %llu but sent no entry from %llu",
                     (unsigned long long)their_seq, (unsigned long long)from);
            vn_drop(self, p, VL_EPROTO, why, now);
        }
        return;
    }
    /* n <= VL_SYNC_BATCH (vl_msg checked it). */
    for (size_t i = 0; i < n; i++)
        ptrs[i] = vl_msg_entry(m, i, &lens[i]);
    if (self->back_top) {
        s_on_back(self, p, from, their_seq, ptrs, lens, n, now);
        return;
    }
    /* The answer is here, so its get is over; ask for the next batch now,
     * before applying this one (docs/protocol.md §3). */
    vn_pull_end(self, p);
    bool early = s_pull_early(self, p, from, n, their_seq, now);

    size_t applied = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        vl_head_t head;
        int rc = vl_store_head(self->store, &head);
        if (rc != VL_OK) {
            vl_error("cannot read the store head: %s", vl_strerror(rc));
            vn_pull_end(self, p);
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
        char sent[64];
        s_sent(ptrs + skip, lens + skip, cnt, sent, sizeof sent);
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
        if (vn_local_failure(rc)) {
            /* Our store (a full disk, an I/O error, a full map), not the
             * peer's bytes: the session stays, nothing is counted against
             * it, and no pull starts from anyone until the wait is over
             * (s_store_backoff). */
            s_store_backoff(self, now);
            vl_error("our store failed to apply %s from %s (not the peer's fault): %s: %s; "
                     "pulling again in %u ms", sent, vl_peer_label(p), vl_strerror(rc),
                     self->err, (unsigned)self->store_backoff_ms);
            vn_pull_end(self, p);
            return;
        }
        if (rc == VL_EFORK || rc == VL_ENOTFOUND) {
            /* Not the peer's fault: our log stopped at a fork, or the
             * entries name a policy version we have not adopted yet. No
             * retry from this peer until something changes (no spinning). */
            vl_log(rc == VL_EFORK ? VL_LOG_DEBUG : VL_LOG_INFO,
                   "peer %s: %s not applied: %s", vl_peer_label(p), sent,
                   self->err[0] ? self->err : vl_strerror(rc));
            if (rc == VL_EFORK)
                vn_evidence_refresh(self);
            vl_peer_pull_hold(p, their_seq, self->ours.pv);
            vn_pull_end(self, p);
            return;
        }
        if (rc == VL_ECHAIN) {
            /* A version adopted while the get was out may pin an entry above
             * this batch: entries below a pin come only backwards from it
             * (docs/trust.md §1.2), so the refusal is not the peer's fault. */
            uint64_t pin = vl_store_pin_above(self->store, head.seq, NULL);
            if (pin && from + n - 1 < pin) {
                vl_info("peer %s: %s not applied: it ends below entry %llu, which a policy "
                        "version pins; pulling back from it", vl_peer_label(p), sent,
                        (unsigned long long)pin);
                vn_pull_end(self, p);
                s_pull_from(self, p, their_seq, now);
                return;
            }
        }
        /* What it sent, what we asked for, which entry failed and why (a
         * batch's store message starts "batch item i (entry S): "). */
        snprintf(why, sizeof why, "%s rejected (we asked from %llu): %.140s", sent,
                 (unsigned long long)from, self->err[0] ? self->err : vl_strerror(rc));
        if (rc == VL_ECHAIN && !self->fork_seq && head.seq > 0 &&
            s_breaks_at_head(self, ptrs[skip], lens[skip], &head)) {
            /* Its first new entry does not follow our head: its history
             * differs from ours at or below our head. Two valid histories
             * are a fork, anything else its fault: ask for its entry at our
             * head and decide on the answer (docs/trust.md §5). */
            vn_pull_end(self, p);
            vn_probe(self, p, head.seq, true, why, now);
            return;
        }
        vn_drop(self, p, rc, why, now);
        return;
    }
    if (applied) {
        self->store_backoff_ms = 0;
        self->back_n = 0;
        vl_peer_count_received(p, applied);
        self->applied += applied;
        self->pulled_to = from + n - 1;
        s_mark_seen(self, now);
    }
    uint64_t before = self->ours.seq;
    vn_refresh_ours(self, now);
    /* The early get stays outstanding; its answer may overlap what another
     * session applied meanwhile (skipped above when it comes). */
    early = early && vl_peer_pull_from(p) == from + n;
    if (!early)
        vn_pull_end(self, p);
    if (their_seq > self->ours.seq) {
        s_catchup_log(self, p, before, their_seq, now);
        if (!early)
            s_pull_from(self, p, their_seq, now);
    } else {
        if (self->catchup_t0 && now > self->catchup_t0 && self->ours.seq > self->catchup_seq0)
            vl_info("peer %s: synced to seq %llu (%llu entries in %.1f s)", vl_peer_label(p),
                    (unsigned long long)self->ours.seq,
                    (unsigned long long)(self->ours.seq - self->catchup_seq0),
                    (double)(now - self->catchup_t0) / 1000.0);
        else
            vl_info("peer %s: synced to seq %llu", vl_peer_label(p),
                    (unsigned long long)self->ours.seq);
        self->catchup_t0 = 0;
        vn_pull_pick(self, now);
    }
}

void
vn_on_have(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
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

    /* Each answer may cost up to VL_SYNC_BYTES of reads and sends: a peer
     * gets at most one every quarter anti-entropy interval. A well-behaved
     * one sends at most one every half interval of its own; one that comes
     * sooner is ignored, not blamed, and its sender's next round repeats it. */
    uint32_t min_ms = self->cfg->anti_entropy_ms / 4;
    if (min_ms < VN_HAVE_IN_MIN_MS)
        min_ms = VN_HAVE_IN_MIN_MS;
    if (!vl_peer_have_in_allowed(p, now, min_ms)) {
        self->haves_ignored++;
        return;
    }

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
        if (rc == VL_OK && vn_send(self, p, out, out_len) == VL_OK)
            vl_debug("peer %s: sent %zu proposals, %zu rejections", vl_peer_label(p), np, nr);
        else if (rc != VL_OK)
            vl_error("cannot encode props for %s: %s", vl_peer_label(p), vl_strerror(rc));
    }
    free(out);
    for (size_t k = 0; k < nown; k++)
        free(owned[k]);
}

void
vn_on_props(vl_node_t *self, vl_peer_t *p, const vl_msg_t *m, uint64_t now)
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
        if (vn_local_failure(rc)) {
            vl_error("our store failed to keep a %s from %s (not the peer's fault): %s: %s",
                     is_p ? "proposal" : "rejection", vl_peer_label(p), vl_strerror(rc),
                     self->err);
            break;
        }
        snprintf(why, sizeof why, "invalid %s: %.200s", is_p ? "proposal" : "rejection",
                 self->err[0] ? self->err : vl_strerror(rc));
        vn_drop(self, p, rc, why, now);
        break;
    }
    if (newp || newr) {
        vl_info("peer %s: received %zu new proposals, %zu rejections", vl_peer_label(p), newp,
                newr);
        vn_refresh_ours(self, now);
    }
}

