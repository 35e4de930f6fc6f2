/* SPDX-License-Identifier: MIT */
/*
 * vl_node - the valise-node event loop (docs/protocol.md §3): one thread
 * owns the store handle, the transport, every session and every timer.
 *
 * Each turn of the loop: zmq_poll over the ZAP socket, the ROUTER and every
 * link (DEALER + monitor), answer ZAP, handle monitor events, handle frames
 * (each through vl_msg, then the session state machine, then the store),
 * then the timers: store head poll (push), periodic hellos (pull),
 * reconnects after back-off, pull timeouts, reaping of dead in-sessions,
 * persisting peer status, and, when idle, a slice of the background
 * signature audit.
 *
 * A peer that sends anything invalid is told why (`error`), dropped and
 * counted; the store is never touched by an invalid message (every batch of
 * entries is one transaction the store aborts on the first problem).
 */
#ifndef VL_NODE_H
#define VL_NODE_H

#include <signal.h>
#include <stdbool.h>

#include "vl_config.h"
#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_store.h"

typedef struct vl_node vl_node_t;

/** @brief Set up the node: transport (ZAP bound first), the ROUTER on
 *  cfg->listen, the ZAP self-check, one link per configured peer.
 *  @param[in,out] cfg_p  Consumed on every path (peers already resolved).
 *  @param[in] store, kp  Borrowed; must outlive the node.
 *  @return VL_OK, VL_EAUTH (the self-check found the gate open), VL_EAGAIN
 *          (the self-check got no verdict), VL_EIO (bind/connect failed),
 *          VL_ECRYPTO, VL_ENOMEM. */
int vl_node_new(vl_config_t **cfg_p, vl_store_t *store, const vl_keypair_t *kp,
                vl_node_t **out, char *err);
/** @brief Save peer status, close every socket (linger 0), free; the store
 *  and key stay open (the caller's). NULL-safe. */
void vl_node_destroy(vl_node_t **self_p);

/** @brief Run until *stop becomes non-zero. When *reload becomes non-zero
 *  the configuration file is read again (peers, timers, log level and file;
 *  other keys need a restart) and *reload is cleared.
 *  @return VL_OK on a requested stop; VL_EIO if polling fails for good. */
int vl_node_run(vl_node_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

#endif
