/* SPDX-License-Identifier: MIT */
/*
 * vl_transport - ZeroMQ for valise-node (docs/protocol.md §1): the context,
 * the deny-by-default ZAP handler, the CURVE ROUTER that peers connect to,
 * and one CURVE DEALER ("link") per configured peer with its socket monitor.
 *
 * Invariants:
 *  - The ZAP REP socket (inproc://zeromq.zap.01) is bound in vl_transport_new,
 *    before any CURVE socket exists, so no handshake can happen without it
 *    (deps.md: a CURVE server without a bound handler admits anyone).
 *  - The handler admits exactly the X25519 forms of the current policy's
 *    node keys and sets the User-Id to the hex Ed25519 node key; everything
 *    else gets 400, is logged (hex of the X25519 key and the address) and
 *    counted. When the node adopts a new policy version the list is rebuilt
 *    (vl_transport_set_nodes); connections admitted earlier are the node's
 *    to close (ZAP only sees handshakes).
 *  - vl_transport_selfcheck proves the gate refuses an unknown key before
 *    the daemon serves anybody.
 *  - Our X25519 secret key lives in sodium_malloc memory, wiped on destroy
 *    (libzmq keeps its own copy inside the socket: nothing we can do there).
 *  - Sockets are polled by the caller's single thread (vl_node); nothing
 *    here blocks: every send and receive is ZMQ_DONTWAIT.
 *  - Every received frame is handed out as borrowed bytes, valid until the
 *    next receive on the same socket; vl_msg decodes it.
 */
#ifndef VL_TRANSPORT_H
#define VL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_policy.h"

/** High-water marks (messages per connection, each direction). A session
 *  has at most one `get` and one `entries` (<= 1 MiB) in flight plus a few
 *  hellos, so 64 never blocks a well-behaved peer and bounds what a peer can
 *  queue in our memory to 64 MiB. (A candidate for vl_limits.h.) */
#define VL_TRANSPORT_HWM 64
/** ZMTP heartbeats of the ROUTER's connections (and the ceiling of a
 *  link's): a PING every HEARTBEAT_MS, and a connection on which nothing
 *  arrived within HEARTBEAT_TIMEOUT_MS of a PING is closed. Links use the
 *  quiet limit instead (vl_transport_set_quiet). */
#define VL_TRANSPORT_HEARTBEAT_MS 10000
#define VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS 30000
/** The shortest quiet limit vl_transport_set_quiet accepts: a PONG needs a
 *  round trip and the peer's I/O thread, on a loaded machine too. */
#define VL_TRANSPORT_QUIET_MIN_MS 1000u
/** ZMQ_HEARTBEAT_TTL's ceiling (ZMTP carries it in tenths of a second in
 *  16 bits). */
#define VL_TRANSPORT_TTL_MAX_MS 6553500u
/** The ZAP domain of our ROUTER. */
#define VL_TRANSPORT_ZAP_DOMAIN "valise"

typedef struct vl_transport vl_transport_t;
typedef struct vl_link vl_link_t;

/** @brief Create the context, derive our transport keys, build the ZAP
 *  allow-list from the policy's nodes and bind the ZAP handler.
 *  @param[in] pol, kp  Borrowed; kp must be a node of pol.
 *  @return VL_OK, VL_ECRYPTO (a key does not convert), VL_EIO (ZeroMQ
 *          failure, e.g. the ZAP endpoint already bound), VL_ENOMEM. */
int vl_transport_new(const vl_policy_t *pol, const vl_keypair_t *kp, vl_transport_t **out,
                     char *err);
/** @brief Replace the ZAP allow-list by the node keys of pol (a newly
 *  adopted policy version, docs/trust.md §2). Only later handshakes are
 *  affected. On failure the old list stays.
 *  @return VL_OK, VL_ELIMIT (more than VL_MAX_NODES nodes), VL_ENOMEM. */
int vl_transport_set_nodes(vl_transport_t *self, const vl_policy_t *pol, char *err);
/** @brief Number of keys the ZAP handler admits. */
size_t vl_transport_nodes(const vl_transport_t *self);
/** @brief The quiet limit of links opened from now on (docs/protocol.md
 *  §3, a quiet peer). A link sends a ZMTP PING every quiet_ms (at most
 *  VL_TRANSPORT_HEARTBEAT_MS) and is closed (VL_LINK_DOWN) when nothing at
 *  all arrived within quiet_ms of one, i.e. quiet_ms to 2 x quiet_ms after
 *  the last bytes received. The peer's libzmq answers a PING with a PONG at
 *  once, whatever that peer's settings, so only a silent connection is
 *  closed. The PING's TTL asks the peer to close its end after 2 x quiet_ms
 *  without traffic. Clamped to VL_TRANSPORT_QUIET_MIN_MS ..
 *  VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS; VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS
 *  before the first call. The ROUTER keeps VL_TRANSPORT_HEARTBEAT_MS /
 *  VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS. */
void vl_transport_set_quiet(vl_transport_t *self, uint32_t quiet_ms);
/** @brief The quiet limit in force (ms), as clamped. */
uint32_t vl_transport_quiet(const vl_transport_t *self);
/** @brief Close every socket with linger 0 (links must be destroyed first),
 *  terminate the context, wipe keys; sets *self_p to NULL. NULL-safe. */
void vl_transport_destroy(vl_transport_t **self_p);

/** @brief Bind the CURVE ROUTER. @return VL_OK, VL_EIO (bind failed). */
int vl_transport_listen(vl_transport_t *self, const char *endpoint, char *err);
/** @brief The bound endpoint (e.g. "tcp://127.0.0.1:7101"), "" if none. */
const char *vl_transport_endpoint(const vl_transport_t *self);

/** @brief Connect a probe with a random key to our own ROUTER and require
 *  that ZAP refuses it (400) within timeout_ms.
 *  @return VL_OK, VL_EAUTH (the probe was ADMITTED: the gate is open),
 *          VL_EAGAIN (no verdict in time), VL_EIO. */
int vl_transport_selfcheck(vl_transport_t *self, int timeout_ms, char *err);

/** @brief Sockets for zmq_poll (NULL when absent). */
void *vl_transport_zap_socket(const vl_transport_t *self);
void *vl_transport_router_socket(const vl_transport_t *self);

/** @brief Answer every pending ZAP request. @return requests handled. */
int vl_transport_zap_handle(vl_transport_t *self);
/** @brief Clients refused by ZAP so far, and the last one (hex X25519 key
 *  and address; either may be NULL). */
uint64_t vl_transport_refused(const vl_transport_t *self, const char **last_key,
                              const char **last_addr);

/** One frame received on the ROUTER. */
typedef struct {
    uint8_t rid[256];        /**< routing id (connection) */
    size_t rid_len;
    bool has_pk;             /**< User-Id present and well-formed */
    uint8_t pk[VL_PK_LEN];   /**< the peer's Ed25519 node key (from ZAP) */
    const uint8_t *data;     /**< payload, borrowed until the next receive */
    size_t len;
} vl_rx_t;

/** @brief Receive one frame from the ROUTER.
 *  @return VL_OK; VL_EAGAIN (nothing waiting); VL_EPROTO (framing: more than
 *          one payload part, no User-Id; rx->rid and rx->pk are set when
 *          known, data is NULL); VL_EIO. */
int vl_transport_router_recv(vl_transport_t *self, vl_rx_t *rx);
/** @brief Send one frame to the connection rid.
 *  @return VL_OK, VL_ENOTFOUND (no such connection any more), VL_EAGAIN
 *          (its queue is full), VL_EIO. */
int vl_transport_router_send(vl_transport_t *self, const uint8_t *rid, size_t rid_len,
                             const uint8_t *buf, size_t len);

/* ---- links: one DEALER per configured peer --------------------------------------- */

typedef enum {
    VL_LINK_NONE = 0,
    VL_LINK_UP,               /**< CURVE handshake succeeded */
    VL_LINK_DOWN,             /**< the connection closed (libzmq reconnects) */
    VL_LINK_REFUSED,          /**< the peer's ZAP refused our key (value: status) */
    VL_LINK_HANDSHAKE_FAILED, /**< CURVE failed otherwise (wrong server key, protocol) */
    VL_LINK_RETRY,            /**< a connect attempt failed, libzmq retries */
    VL_LINK_TRYING,           /**< a connect attempt is under way or TCP connected */
} vl_link_event_t;

/** @brief Create a DEALER to addr authenticating the server as the X25519
 *  form of peer_pk (Ed25519). libzmq reconnects with back-off from 100 ms to
 *  reconnect_max_ms.
 *  @return VL_OK, VL_ECRYPTO (peer_pk does not convert), VL_EIO, VL_ENOMEM. */
int vl_link_open(vl_transport_t *t, const char *addr, const uint8_t peer_pk[VL_PK_LEN],
                 uint32_t reconnect_max_ms, vl_link_t **out, char *err);
/** @brief Close the DEALER (after linger_ms for queued output, 0 = drop it)
 *  and its monitor; sets *self_p to NULL. NULL-safe. */
void vl_link_destroy(vl_link_t **self_p, int linger_ms);
void *vl_link_socket(const vl_link_t *self);
void *vl_link_monitor_socket(const vl_link_t *self);
/** @return VL_OK, VL_EAGAIN (not connected or queue full), VL_EIO. */
int vl_link_send(vl_link_t *self, const uint8_t *buf, size_t len);
/** @brief Receive one frame (borrowed until the next receive on the link).
 *  @return VL_OK, VL_EAGAIN, VL_EPROTO (multipart), VL_EIO. */
int vl_link_recv(vl_link_t *self, const uint8_t **data, size_t *len);
/** @brief Read one monitor event. @return VL_OK (event set), VL_EAGAIN. */
int vl_link_event(vl_link_t *self, vl_link_event_t *ev, uint32_t *value);
const char *vl_link_event_name(vl_link_event_t ev);

#endif
