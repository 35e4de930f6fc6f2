/* SPDX-License-Identifier: MIT */
/*
 * vl_config - the valise-node configuration file (JSON; every key and its
 * default is documented in docs/operator.md).
 *
 *   {
 *     "store": "node1-store",             required: store directory
 *     "key": "node1.key",                 required: the node's secret key file
 *     "pass_file": "node1.pass",          optional: passphrase file (first line)
 *     "pass_fd": 3,                       optional: read the passphrase from fd 3
 *     "listen": "tcp://127.0.0.1:7101",   optional: where peers connect to us
 *     "peers": [ {"addr": "tcp://127.0.0.1:7102", "key": "<64 hex>"},
 *                {"addr": "tcp://127.0.0.1:7103", "name": "node-3"} ],
 *     "timers": { "anti_entropy_ms": 2000, "poll_ms": 50,
 *                 "reconnect_max_ms": 30000 },
 *     "log_level": "info",                error | warn | info | debug
 *     "log_file": "-",                    "-" = stderr
 *     "fresh_interval": 600,              seconds between freshness statements
 *     "fresh_ttl": 86400,                 validity of a statement (seconds)
 *     "metrics": "127.0.0.1:9464"         optional: Prometheus endpoint (loopback only)
 *   }
 *
 * fresh_interval and fresh_ttl matter only on the node whose key is the
 * policy's `fresh` key (docs/trust.md §3); every node accepts them.
 *
 * Unknown keys are refused (a typo must not silently change behaviour).
 * Relative paths are taken relative to the directory of the config file.
 * Under systemd's LoadCredential= ($CREDENTIALS_DIRECTORY set, an absolute
 * path): without "key", the key file is the credential "key"
 * ($CREDENTIALS_DIRECTORY/key) if it exists; without pass_file and pass_fd,
 * the passphrase file is the credential "passphrase" if it exists. Else the
 * passphrase comes from $VALISE_PASSPHRASE; the daemon never prompts.
 *
 * vl_config_t is a plain data carrier (read-only settings consumed by main,
 * the node and the transport; accessors would add nothing): its fields are
 * public, it is built only by vl_config_load and freed by vl_config_destroy.
 */
#ifndef VL_CONFIG_H
#define VL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_log.h"
#include "vl_policy.h"

/** Longest endpoint ("tcp://host:port", "ipc:///path"); it must fit in
 *  vl_peer_info_t.addr (128 bytes with the NUL). */
#define VL_CONFIG_ADDR_MAX 127u
/** Largest configuration file. */
#define VL_CONFIG_FILE_MAX (64u * 1024u)

/** One configured peer. */
typedef struct {
    char addr[VL_CONFIG_ADDR_MAX + 1]; /**< endpoint to connect to */
    bool has_key;                      /**< key given (or resolved from name) */
    uint8_t key[VL_PK_LEN];            /**< the peer's Ed25519 node key */
    char name[VL_MAX_NAME + 1];        /**< node name in the policy ("" if not given) */
    bool by_name;                      /**< named by "name" only: its key follows the
                                            policy (a rotation changes it) */
    bool gone;                         /**< not (or no longer) a node of the policy:
                                            kept but never connected (VL_CONFIG_KEEP_GONE) */
} vl_config_peer_t;

/** Freshness statement timing (seconds): defaults and ranges. */
#define VL_CONFIG_FRESH_INTERVAL 600u
#define VL_CONFIG_FRESH_TTL 86400u
#define VL_CONFIG_FRESH_INTERVAL_MIN 1u
#define VL_CONFIG_FRESH_INTERVAL_MAX 86400u
#define VL_CONFIG_FRESH_TTL_MIN 10u

typedef struct {
    char *path;               /**< the config file as given */
    char *store;              /**< store directory (resolved) */
    char *key;                /**< node key file (resolved) */
    char *pass_file;          /**< passphrase file (resolved) or NULL */
    int pass_fd;              /**< passphrase fd or -1 */
    char *listen;             /**< ROUTER endpoint or NULL (connect-only node) */
    size_t npeers;
    vl_config_peer_t peers[VL_MAX_PEERS];
    uint32_t anti_entropy_ms; /**< hello to every session this often (2000) */
    uint32_t poll_ms;         /**< poll the store head this often (50) */
    uint32_t reconnect_max_ms;/**< back-off ceiling (30000) */
    vl_log_level_t log_level; /**< info */
    char *log_file;           /**< NULL = stderr */
    uint32_t fresh_interval;  /**< seconds between freshness statements (600) */
    uint32_t fresh_ttl;       /**< validity of one statement, seconds (86400) */
    char *metrics;            /**< loopback "host:port" of the metrics endpoint, or NULL (off) */
} vl_config_t;

/** @brief Read and check a configuration file.
 *  @param[out] out  New config the caller destroys; NULL on failure.
 *  @return VL_OK, VL_ENOTFOUND, VL_EIO, VL_ELIMIT (file too large, too many
 *          peers), VL_EINVAL (not JSON, unknown key, wrong type, bad value:
 *          the detail names the key), VL_ENOMEM. */
int vl_config_load(const char *path, vl_config_t **out, char *err);
/** @brief Parse from a string (base directory for relative paths: basedir). */
int vl_config_parse(const char *text, size_t len, const char *basedir, vl_config_t **out,
                    char *err);
void vl_config_destroy(vl_config_t **self_p);

enum {
    /** A peer whose key is not a node of the policy, or whose name no node
     *  has, is kept with `gone` set instead of failing (a later policy
     *  version revoked it); the caller decides whether that is acceptable. */
    VL_CONFIG_KEEP_GONE = 1,
};

/** @brief Fill every peer's key from its name (or check name and key agree)
 *  against the policy; every peer must be a node of the policy, other than
 *  `self_pk`, and appear once.
 *  @param[in] flags  0 or VL_CONFIG_KEEP_GONE.
 *  @return VL_OK, VL_EPERM (not a node of the policy, or ourselves),
 *          VL_ENOTFOUND (no node of that name), VL_EINVAL (ambiguous name,
 *          duplicate peer), VL_ENOMEM. */
int vl_config_resolve_peers(vl_config_t *self, const vl_policy_t *pol,
                            const uint8_t self_pk[VL_PK_LEN], unsigned flags, char *err);

/** @brief The key of the node named `name` in pol.
 *  @return VL_OK, VL_ENOTFOUND (no node of that name), VL_EINVAL (several),
 *          VL_ENOMEM. */
int vl_config_node_key(const vl_policy_t *pol, const char *name, uint8_t key[VL_PK_LEN]);

#endif
