/* SPDX-License-Identifier: MIT */
/*
 * vl_peer - one sync session (docs/protocol.md §3): either the DEALER link
 * to a configured peer ("out") or a connection accepted by our ROUTER
 * ("in", identified by its routing id and the node key ZAP bound to it).
 *
 * A session holds the state machine, the peer's last summary, the pull in
 * progress, timers, back-off and the counters that are persisted as a
 * vl_peer_info_t for `valise status`. It does no I/O and never touches the
 * store: vl_node drives it, sends what it decides and applies what arrives.
 *
 *   CONNECTING --handshake--> OPEN --our hello--> SUMMARY_SENT
 *   SUMMARY_SENT/IDLE --their hello--> PULLING (they are ahead) | IDLE
 *   PULLING --entries, caught up--> IDLE
 *   any --invalid input / wrong network--> BAD --back-off--> CONNECTING
 *   CONNECTING --their ZAP refuses our key--> REFUSED --back-off--> CONNECTING
 *   any --a policy version drops its key--> REVOKED (final; no reconnect)
 *
 * Besides the pull, a session may have one fork probe outstanding (a `get`
 * of one entry at a seq we hold, docs/trust.md §5) and remembers what it
 * last pushed (policies, freshness statement, evidence) to rate-limit it.
 *
 * Nothing a peer says reaches this module except through typed vl_msg
 * values, already validated.
 *
 * Owned by the node's thread only.
 */
#ifndef VL_PEER_H
#define VL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"
#include "vl_msg.h"
#include "vl_store.h"
#include "vl_transport.h"

typedef struct vl_peer vl_peer_t;

typedef enum {
    VL_PEER_OUT = 0, /**< our DEALER to a configured peer */
    VL_PEER_IN = 1,  /**< a connection accepted by our ROUTER */
} vl_peer_dir_t;

typedef enum {
    VL_PS_CONNECTING = 0, /**< no handshake yet (out) */
    VL_PS_OPEN,           /**< handshake done, our hello not sent */
    VL_PS_SUMMARY_SENT,   /**< our hello sent, theirs not compared yet */
    VL_PS_PULLING,        /**< a get is outstanding */
    VL_PS_IDLE,           /**< in sync as far as we know */
    VL_PS_BAD,            /**< dropped for invalid input; waiting out the back-off */
    VL_PS_REFUSED,        /**< the peer refused our key; waiting out the back-off */
    VL_PS_REVOKED,        /**< its key is not a node of our current policy: closed for good */
} vl_peer_state_t;

/** What the node should do after a hello (bits). */
enum {
    VL_PEER_DO_PULL = 1,  /**< they are ahead: pull from our head + 1 */
    VL_PEER_DO_HAVE = 2,  /**< pending sets differ: send our ids */
    VL_PEER_DO_HELLO = 4, /**< we have not said hello on this connection yet */
    VL_PEER_DO_CHECK = 8, /**< their head is at a seq we hold and was not yet
                               found on our chain: compare it with our link there */
    VL_PEER_DO_POLICIES = 16, /**< their policy version is below ours: push ours */
    VL_PEER_DO_FRESH = 32,    /**< their freshness statement is older than ours */
    VL_PEER_DO_EVIDENCE = 64, /**< they hold fewer forks than we do */
};

/** What a session pushes unasked (rate-limited by vl_peer_push_allowed). */
typedef enum {
    VL_PEER_PUSH_POLICIES = 0,
    VL_PEER_PUSH_FRESH,
    VL_PEER_PUSH_EVIDENCE,
    VL_PEER_PUSH_KINDS,
} vl_peer_push_t;

/** First and ceiling back-off for a dropped or refused peer (protocol.md §5:
 *  from 100 ms doubling; the ceiling is the configured reconnect_max_ms). */
#define VL_PEER_BACKOFF_MIN_MS 100u
/** A session that stays healthy this long gets its back-off reset. */
#define VL_PEER_HEALTHY_MS 30000u
/** Persist a changed vl_peer_info_t at most this often. */
#define VL_PEER_INFO_MS 1000u
/** ... and when only its last-contact time moved, this often (each save is
 *  a durable store transaction). */
#define VL_PEER_CONTACT_MS 10000u

/** @brief A session to a configured peer (state CONNECTING, no link yet).
 *  @param[in] name  Node name from the policy, may be "". @return NULL on OOM. */
vl_peer_t *vl_peer_new_out(const char *addr, const uint8_t pk[VL_PK_LEN], const char *name,
                           uint64_t now);
/** @brief A session for a connection our ROUTER accepted (state OPEN).
 *  @return NULL on OOM or a routing id longer than 255 bytes. */
vl_peer_t *vl_peer_new_in(const uint8_t *rid, size_t rid_len, const uint8_t pk[VL_PK_LEN],
                          const char *name, uint64_t now);
/** @brief Destroy (closing its link with linger 0). NULL-safe, idempotent. */
void vl_peer_destroy(vl_peer_t **self_p);

/* ---- identity ------------------------------------------------------------------ */

vl_peer_dir_t vl_peer_dir(const vl_peer_t *self);
/** @brief "tcp://..." for out, "in:<kid>" for in: the key of its info record. */
const char *vl_peer_addr(const vl_peer_t *self);
/** @brief A short label for log lines: "<addr> <kid>" (name if known). */
const char *vl_peer_label(const vl_peer_t *self);
const uint8_t *vl_peer_pk(const vl_peer_t *self);
const char *vl_peer_kid(const vl_peer_t *self);
/** @brief The routing id of an in session (NULL for out). */
const uint8_t *vl_peer_rid(const vl_peer_t *self, size_t *len);
bool vl_peer_rid_eq(const vl_peer_t *self, const uint8_t *rid, size_t len);

/** @brief The DEALER of an out session (NULL while closed). */
vl_link_t *vl_peer_link(const vl_peer_t *self);
/** @brief Hand a new link to an out session (state CONNECTING). */
void vl_peer_set_link(vl_peer_t *self, vl_link_t *link, uint64_t now);
/** @brief A monitor event of the link arrived (any kind). */
void vl_peer_link_event(vl_peer_t *self, vl_link_event_t ev, uint64_t now);
/** @brief True when the link is CONNECTING with a connect attempt under way
 *  (its creation, or a VL_LINK_TRYING event, was the last thing its monitor
 *  said) for more than ms: the peer is silent (no SYN-ACK, no reset, or a
 *  handshake that stopped), and the kernel's SYN retransmissions back off
 *  (1, 3, 7, 15 ... s), so the node re-creates the link for a SYN now
 *  (docs/protocol.md §3). A refused connection (VL_LINK_RETRY) or a failed
 *  handshake is not "under way": libzmq's back-off applies to those. */
bool vl_peer_link_unanswered(const vl_peer_t *self, uint64_t now, uint32_t ms);
/** @brief Note that the node re-created the link; @return how many times
 *  since the last handshake (1 for the first), for the log. */
unsigned vl_peer_link_renewed(vl_peer_t *self);
/** @brief True when the link is CONNECTING and its monitor has been quiet
 *  too long: after a DISCONNECTED libzmq does not reconnect when the cause
 *  was a protocol error (an oversized frame, a failed handshake), so the
 *  node re-creates the socket. Quiet limits: down_ms after a disconnect
 *  (libzmq's next attempt shows up within its 100 ms reconnect interval),
 *  else quiet_ms (retries come at least every reconnect_max_ms). */
bool vl_peer_link_stalled(const vl_peer_t *self, uint64_t now, uint32_t down_ms,
                          uint32_t quiet_ms);
/** @brief Close the link now (linger for a last error message). */
void vl_peer_close_link(vl_peer_t *self, int linger_ms);

/* ---- state ------------------------------------------------------------------------ */

vl_peer_state_t vl_peer_state(const vl_peer_t *self);
const char *vl_peer_state_name(vl_peer_state_t s);
/** @brief True once a valid hello of the peer was seen (requests allowed). */
bool vl_peer_identified(const vl_peer_t *self);
/** @brief True when messages may be sent (OPEN and later, not BAD/REFUSED). */
bool vl_peer_sendable(const vl_peer_t *self);

/** @brief Handshake done (out): OPEN, our hello is due now. */
void vl_peer_on_up(vl_peer_t *self, uint64_t now);
/** @brief Connection lost (out; libzmq reconnects): CONNECTING, pull abandoned. */
void vl_peer_on_down(vl_peer_t *self, uint64_t now);
/** @brief The peer refused our key (out): REFUSED until the back-off ends. */
void vl_peer_on_refused(vl_peer_t *self, uint64_t now, uint32_t backoff_max_ms);
/** @brief Invalid input or wrong network: BAD, counted, back-off doubled.
 *  @param[in] why  Shown in status and logs (our own words, never peer bytes). */
void vl_peer_on_bad(vl_peer_t *self, uint64_t now, uint32_t backoff_max_ms, const char *why);
/** @brief When a BAD/REFUSED out session may reconnect (monotonic ms). */
uint64_t vl_peer_retry_at(const vl_peer_t *self);
/** @brief Current back-off (ms). */
uint32_t vl_peer_backoff(const vl_peer_t *self);

/** @brief A valid hello arrived. Compares it with ours: the network must be
 *  ours; the policy hashes are compared only when the policy versions are
 *  equal (versions differ legitimately while a new one spreads). A peer
 *  whose policy version is above ours is not pulled from (we cannot verify
 *  its newer entries before adopting; it pushes the versions to us).
 *  @param[out] todo  VL_PEER_DO_* bits.
 *  @return VL_OK; VL_EPERM (another network: drop the peer; detail in err);
 *          VL_EFORK (the same policy version with another hash: a policy
 *          fork; drop the peer). */
int vl_peer_on_hello(vl_peer_t *self, const vl_hello_t *theirs, const vl_hello_t *ours,
                     uint64_t now, unsigned *todo, char *err);
/** @brief The peer's last summary (NULL before its first hello). */
const vl_hello_t *vl_peer_theirs(const vl_peer_t *self);

/** @brief We sent our hello; the next one is due after interval_ms. */
void vl_peer_hello_sent(vl_peer_t *self, uint64_t now, uint32_t interval_ms);
/** @brief Time for the periodic hello. */
bool vl_peer_hello_due(const vl_peer_t *self, uint64_t now);
/** @brief Sending failed (not connected, queue full): try again after ms. */
void vl_peer_hello_defer(vl_peer_t *self, uint64_t now, uint32_t ms);
/** @brief Make the next hello due now (push: our head moved). */
void vl_peer_hello_now(vl_peer_t *self);

/** @brief We sent get(from): PULLING until entries(from) or deadline. */
void vl_peer_pull_start(vl_peer_t *self, uint64_t from, uint64_t now, uint32_t timeout_ms);
/** @brief The from of the outstanding get (0 if none). */
uint64_t vl_peer_pull_from(const vl_peer_t *self);
/** @brief The pull ended (caught up, abandoned): IDLE. */
void vl_peer_pull_end(vl_peer_t *self);
/** @brief True when an outstanding get has waited past its deadline. */
bool vl_peer_pull_expired(const vl_peer_t *self, uint64_t now);

/** @brief The head the peer announced at (seq, head) is on our chain (its
 *  link there is ours): no VL_PEER_DO_CHECK for the same pair again. */
void vl_peer_head_checked(vl_peer_t *self, uint64_t seq, const uint8_t head[VL_HASH_LEN]);

/** @brief We sent a fork probe: get(seq, 1) (docs/trust.md §5).
 *  @param[in] chain  true: a batch of theirs did not chain onto our head;
 *                    false: their hello named another link at seq.
 *  @param[in] why    What to blame the peer for if its entry at seq turns
 *                    out to be ours after all (our words, never peer bytes). */
void vl_peer_probe_start(vl_peer_t *self, uint64_t seq, uint64_t now, uint32_t timeout_ms,
                         bool chain, const char *why);
/** @brief The seq of the outstanding probe (0 if none). */
uint64_t vl_peer_probe_seq(const vl_peer_t *self);
bool vl_peer_probe_chain(const vl_peer_t *self);
const char *vl_peer_probe_why(const vl_peer_t *self);
void vl_peer_probe_end(vl_peer_t *self);
bool vl_peer_probe_expired(const vl_peer_t *self, uint64_t now);

/** @brief Do not pull from this peer again while it announces their_seq and
 *  our policy version is our_pv (a pull failed for a reason that is not the
 *  peer's fault, e.g. entries under a version we lack: retrying at once
 *  would spin). */
void vl_peer_pull_hold(vl_peer_t *self, uint64_t their_seq, uint64_t our_pv);
bool vl_peer_pull_held(const vl_peer_t *self, uint64_t their_seq, uint64_t our_pv);

/** @brief Rate limit for unasked pushes: true (and noted) when value differs
 *  from what was last pushed of this kind, or min_ms passed since. */
bool vl_peer_push_allowed(vl_peer_t *self, vl_peer_push_t kind, uint64_t value, uint64_t now,
                          uint32_t min_ms);

/** @brief The configured node got a new key (a rotation): an out session
 *  without a link takes it (and the name) and starts over (CONNECTING). */
void vl_peer_set_key(vl_peer_t *self, const uint8_t pk[VL_PK_LEN], const char *name);

/** @brief Its key is not a node of our current policy: REVOKED for good
 *  (link closed by the caller, no reconnect). */
void vl_peer_on_revoked(vl_peer_t *self, const char *why);

/** @brief Rate limit for `have`: true (and noted) if none was sent in the
 *  last min_ms. */
bool vl_peer_have_allowed(vl_peer_t *self, uint64_t now, uint32_t min_ms);
/** @brief Rate limit for answering the peer's `have`: true (and noted) if
 *  none was answered in the last min_ms (protocol.md §3: a `have` that comes
 *  sooner is ignored, not blamed; the sender's next round repeats it). */
bool vl_peer_have_in_allowed(vl_peer_t *self, uint64_t now, uint32_t min_ms);

/* ---- contact, counters, status --------------------------------------------------- */

/** @brief Take over what a previous daemon saved of this peer (its record
 *  under the same addr): last contact, last sync and the head and pending
 *  count it last reported, so that a restart does not show "never". The
 *  counters (received, sent, dropped) start again at 0 with each daemon. */
void vl_peer_restore(vl_peer_t *self, const vl_peer_info_t *saved);
/** @brief A valid message arrived (updates last contact, keeps in sessions alive). */
void vl_peer_contact(vl_peer_t *self, uint64_t now);
/** @brief Monotonic ms of the last message received (or of creation). */
uint64_t vl_peer_last_rx(const vl_peer_t *self);
void vl_peer_count_received(vl_peer_t *self, uint64_t entries);
void vl_peer_count_sent(vl_peer_t *self, uint64_t entries);
/** @brief Record a problem shown by status (not a drop). */
void vl_peer_note(vl_peer_t *self, const char *what);
/** @brief An in session whose connection is gone or that was dropped: the
 *  node frees it at its next reap (never while it may still be in use). */
void vl_peer_mark_gone(vl_peer_t *self, const char *state);
bool vl_peer_gone(const vl_peer_t *self);
/** @brief Mark the info record as "removed" (peer dropped from the config). */
void vl_peer_mark_removed(vl_peer_t *self);

/** @brief The status record (borrowed). */
const vl_peer_info_t *vl_peer_info(const vl_peer_t *self);
/** @brief True when the record changed and was last saved >= VL_PEER_INFO_MS
 *  ago (VL_PEER_CONTACT_MS when only the last contact moved), or force and
 *  anything changed. */
bool vl_peer_info_due(const vl_peer_t *self, uint64_t now, bool force);
void vl_peer_info_saved(vl_peer_t *self, uint64_t now);

#endif
