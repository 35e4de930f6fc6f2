/* SPDX-License-Identifier: MIT */
/*
 * vl_metrics - the daemon's Prometheus endpoint: a loopback-only HTTP server
 * (libmicrohttpd) that answers GET /metrics with the text exposition format
 * 0.0.4, and the helpers that write that format.
 *
 * Threads: none of our own and none of libmicrohttpd's. The server runs in
 * libmicrohttpd's external mode with its epoll back-end: vl_metrics_fd() is
 * one descriptor the node adds to its zmq_poll set, and vl_metrics_run() is
 * called by the node's thread each turn of its loop. So the render callback
 * runs on the node's thread, between two turns, and reads the node's
 * counters and its store directly: nothing is shared with another thread,
 * nothing needs a lock, and every scrape sees one consistent turn. The cost
 * is that a scrape waits for the turn in progress (at most poll_ms when
 * idle, one batch of entries when busy); a scrape never blocks the node
 * (MHD_run does not block, and rendering reads counters already in memory
 * plus one store read of the head).
 *
 * Exposure: only a loopback address is accepted (127.0.0.0/8 or [::1]);
 * anything else is refused when the configuration is read. At most
 * VL_METRICS_CONNS connections at once, each closed after
 * VL_METRICS_TIMEOUT_S seconds without activity; a request with a body is
 * refused (405).
 */
#ifndef VL_METRICS_H
#define VL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"

/** Longest "host:port" value of the "metrics" config key. */
#define VL_METRICS_ADDR_MAX 63u
/** Simultaneous HTTP connections. */
#define VL_METRICS_CONNS 8u
/** Idle connection timeout (seconds). */
#define VL_METRICS_TIMEOUT_S 10u

/** A growing text buffer for one scrape (the exposition text). */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed;   /**< an allocation failed: the scrape answers 500 */
} vl_mtext_t;

/** @brief "# HELP name help" and "# TYPE name type" (help is our text). */
void vl_mtext_family(vl_mtext_t *b, const char *name, const char *type, const char *help);
/** @brief One sample with an unsigned integer value (printed exactly):
 *  name{k1="v1",...} value. labels is NULL or a NULL-
 *  terminated list of key, value pairs; values are escaped (backslash,
 *  double quote and newline as the format requires; other control bytes and
 *  invalid UTF-8 become '?'), so peer addresses and node names may be any
 *  bytes. */
void vl_mtext_sample_u(vl_mtext_t *b, const char *name, const char *const *labels,
                       uint64_t value);
/** @brief The same with a signed integer value. */
void vl_mtext_sample_i(vl_mtext_t *b, const char *name, const char *const *labels,
                       int64_t value);

/** @brief Check a "metrics" config value: "IPv4:port" with a 127.x.y.z
 *  address, or "[::1]:port"; port 0..65535 (0: any free port, logged).
 *  @return VL_OK or VL_EINVAL with the reason in err ("... is not a loopback
 *          address: the metrics endpoint is never exposed beyond this host"). */
int vl_metrics_check_addr(const char *addr, char *err);

typedef struct vl_metrics vl_metrics_t;

/** Fill b with the exposition text of one scrape (runs on the caller's
 *  thread, inside vl_metrics_run). */
typedef void (*vl_metrics_render_fn)(void *ctx, vl_mtext_t *b);

/** @brief Bind addr (checked with vl_metrics_check_addr) and start serving in
 *  external mode; nothing is served until vl_metrics_run.
 *  @return VL_OK, VL_EINVAL (bad address), VL_EIO (bind or libmicrohttpd
 *          failure: detail in err), VL_ENOMEM. */
int vl_metrics_new(const char *addr, vl_metrics_render_fn render, void *ctx,
                   vl_metrics_t **out, char *err);
/** @brief Stop serving and free. NULL-safe. */
void vl_metrics_destroy(vl_metrics_t **self_p);
/** @brief The descriptor that becomes readable when the server has work. */
int vl_metrics_fd(const vl_metrics_t *self);
/** @brief The port actually bound (useful with port 0). */
unsigned vl_metrics_port(const vl_metrics_t *self);
/** @brief Accept, read, answer and time out connections; never blocks. */
void vl_metrics_run(vl_metrics_t *self);
/** @brief Scrapes answered so far. */
uint64_t vl_metrics_scrapes(const vl_metrics_t *self);

#endif
