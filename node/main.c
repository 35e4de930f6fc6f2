/* SPDX-License-Identifier: MIT */
/*
 * valise-node - the federation daemon: keeps this node's store in sync with
 * its peers over CurveZMQ (docs/protocol.md, docs/operator.md).
 *
 *   valise-node --config FILE [--check]
 *   valise-node --help
 *
 * Exit status: 0 clean stop (SIGTERM/SIGINT) or --check passed, 1 error,
 * 2 usage. SIGHUP reloads the peers, timers and logging from FILE.
 *
 * The daemon never prompts: the key's passphrase comes from pass_file,
 * pass_fd, the systemd credential "passphrase" (vl_config.h) or
 * $VALISE_PASSPHRASE (which is removed from the environment once read).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vl_config.h"
#include "vl_crypto.h"
#include "vl_keyfile.h"
#include "vl_log.h"
#include "vl_node.h"
#include "vl_policy.h"
#include "vl_store.h"

#define S_PASS_ENV "VALISE_PASSPHRASE"

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;

static const char s_usage[] =
    "usage: valise-node --config FILE [--check]\n"
    "       valise-node --help | --version\n"
    "\n"
    "Run a valise federation node: keep the store named in FILE in sync with the\n"
    "peers named in FILE over ZeroMQ with CurveZMQ (see docs/operator.md).\n"
    "\n"
    "  --config FILE  the node's JSON configuration\n"
    "  --check        load the configuration, the key and the store, print what the\n"
    "                 node would do, and exit (0 if everything is in order)\n"
    "  --version      print the version and the protocol, store and document format\n"
    "                 versions, and exit\n"
    "\n"
    "The key's passphrase comes from \"pass_file\" or \"pass_fd\" in FILE, else from\n"
    "the systemd credential \"passphrase\", else from $VALISE_PASSPHRASE; the daemon\n"
    "never prompts. Without \"key\" in FILE the key is the systemd credential \"key\".\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads peers, timers and logging.\n"
    "Exit status: 0 clean stop or check passed, 1 error, 2 usage error.\n";

static void
s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

static int
s_fail(const char *what, int rc, const char *detail)
{
    fprintf(stderr, "valise-node: %s: %s%s%s\n", what, vl_strerror(rc),
            detail && detail[0] ? ": " : "", detail ? detail : "");
    if (!vl_log_is_stderr())
        vl_error("%s: %s%s%s", what, vl_strerror(rc), detail && detail[0] ? ": " : "",
                 detail ? detail : "");
    return 1;
}

/* The passphrase, from the one source the config names (never a prompt). */
static int
s_passphrase(const vl_config_t *cfg, char **pass, size_t *len, char *err)
{
    char path[64];
    int rc;
    if (cfg->pass_file)
        return vl_passphrase_get(cfg->pass_file, NULL, NULL, pass, len, err);
    if (cfg->pass_fd >= 0) {
        /* /dev/fd/N reads the inherited descriptor (a pipe works too). */
        snprintf(path, sizeof path, "/dev/fd/%d", cfg->pass_fd);
        rc = vl_passphrase_get(path, NULL, NULL, pass, len, err);
        if (cfg->pass_fd > 2)
            close(cfg->pass_fd);
        return rc;
    }
    if (!getenv(S_PASS_ENV))
        return vl_err(err, VL_ENOTFOUND,
                      "no passphrase: set \"pass_file\" or \"pass_fd\" in the config, or $%s "
                      "(the daemon never prompts)", S_PASS_ENV);
    rc = vl_passphrase_get(NULL, S_PASS_ENV, NULL, pass, len, err);
    unsetenv(S_PASS_ENV);
    return rc;
}

/* A configured peer that is not a node of the current policy is accepted
 * (with a warning; it is never connected) only when an older version had
 * it: a later version revoked or replaced it. Anything else is a mistake in
 * the configuration, and refused. */
static int
s_check_gone(const vl_config_t *cfg, vl_store_t *store, char *err)
{
    const vl_policy_t *cur = vl_store_policy(store);
    char kid[2 * VL_KID_LEN + 1];
    for (size_t i = 0; i < cfg->npeers; i++) {
        const vl_config_peer_t *p = &cfg->peers[i];
        if (!p->gone)
            continue;
        bool was = false;
        for (uint64_t v = vl_policy_version(cur); v > 1 && !was; v--) {
            const vl_policy_t *old = vl_store_policy_at(store, v - 1);
            uint8_t k[VL_PK_LEN];
            if (!old)
                continue;
            if (p->by_name)
                was = vl_config_node_key(old, p->name, k) == VL_OK;
            else
                was = (vl_policy_roles(old, p->key) & VL_ROLE_NODE) != 0;
        }
        if (p->by_name && !was)
            return vl_err(err, VL_ENOTFOUND, "peer %s: no node named \"%s\" in the policy",
                          p->addr, p->name);
        vl_kid(p->key, kid);
        if (!was)
            return vl_err(err, VL_EPERM, "peer %s: key %s is not a node of the policy",
                          p->addr, kid);
        vl_warn("peer %s: %s is no longer a node of the network (policy version %llu); not "
                "connected: remove it from the configuration", p->addr,
                p->by_name ? p->name : kid, (unsigned long long)vl_policy_version(cur));
    }
    return VL_OK;
}

static void
s_print_check(const vl_config_t *cfg, vl_store_t *store, const vl_keypair_t *kp)
{
    const vl_policy_t *pol = vl_store_policy(store);
    char kid[2 * VL_KID_LEN + 1], hex[2 * VL_HASH_LEN + 1];
    vl_head_t head;
    memset(&head, 0, sizeof head);
    int hrc = vl_store_head(store, &head);
    const char *me = vl_policy_member_name(pol, vl_keypair_pk(kp));

    printf("config:   %s\n", cfg->path);
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, hex);
    printf("network:  \"%s\" (id %s)\n", vl_policy_name(pol), hex);
    vl_hex(vl_policy_hash(pol), VL_HASH_LEN, hex);
    printf("policy:   version %llu, hash %.16s\n", (unsigned long long)vl_policy_version(pol),
           hex);
    vl_kid(vl_keypair_pk(kp), kid);
    printf("node:     %s \"%s\"\n", kid, me ? me : "?");
    if (hrc == VL_OK) {
        vl_hex(head.hash, VL_HASH_LEN, hex);
        printf("store:    %s: seq %llu, head %.16s, %llu records, %llu pending\n", cfg->store,
               (unsigned long long)head.seq, hex, (unsigned long long)head.records,
               (unsigned long long)head.pending);
    } else {
        printf("store:    %s: head unreadable (%s)\n", cfg->store, vl_strerror(hrc));
    }
    long pid = vl_store_daemon_pid(cfg->store);
    if (pid > 0)
        printf("daemon:   a valise-node (pid %ld) runs on this store now: a second one would "
               "be refused\n", pid);
    else
        printf("daemon:   %s\n", pid == 0 ? "none runs on this store now"
                                          : "cannot test the store's daemon lock");
    printf("listen:   %s\n", cfg->listen ? cfg->listen : "none (this node only connects out)");
    printf("peers:    %zu\n", cfg->npeers);
    for (size_t i = 0; i < cfg->npeers; i++) {
        vl_kid(cfg->peers[i].key, kid);
        printf("  %-32s %s \"%s\"%s\n", cfg->peers[i].addr, cfg->peers[i].gone ? "-" : kid,
               cfg->peers[i].name,
               cfg->peers[i].gone ? " (no longer a node: not connected)" : "");
    }
    printf("timers:   anti_entropy %u ms, poll %u ms, reconnect max %u ms\n",
           cfg->anti_entropy_ms, cfg->poll_ms, cfg->reconnect_max_ms);
    const uint8_t *fk = vl_policy_fresh(pol);
    if (fk && memcmp(fk, vl_keypair_pk(kp), VL_PK_LEN) == 0)
        printf("fresh:    this node signs freshness statements every %u s, valid %u s\n",
               cfg->fresh_interval, cfg->fresh_ttl);
    else if (fk) {
        vl_kid(fk, kid);
        printf("fresh:    statements of node %s are relayed and checked\n", kid);
    }
    else
        printf("fresh:    the policy names no freshness signer\n");
    printf("log:      %s to %s\n", vl_log_level_name(cfg->log_level),
           cfg->log_file ? cfg->log_file : "stderr");
    size_t live = 0;
    for (size_t i = 0; i < cfg->npeers; i++)
        live += !cfg->peers[i].gone;
    if (cfg->listen)
        printf("would:    bind the ZAP handler, listen on %s, check that ZAP refuses a random "
               "key, connect to %zu peers\n", cfg->listen, live);
    else
        printf("would:    bind the ZAP handler, connect to %zu peers\n", live);
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    bool check = false;
    int ret = 1;
    char err[VL_ERRMSG_MAX] = "";
    vl_config_t *cfg = NULL;
    char *pass = NULL;
    size_t passlen = 0;
    vl_keypair_t *kp = NULL;
    vl_store_t *store = NULL;
    vl_node_t *node = NULL;
    int lock_fd = -1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            char v[256];
            vl_store_versions(v, sizeof v);
            printf("valise-node %s (%s)\n", VL_VERSION, v);
            return 0;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else {
            fprintf(stderr, "valise-node: unexpected argument '%s'\n%s", argv[i], s_usage);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "valise-node: --config FILE is required\n%s", s_usage);
        return 2;
    }
    if (vl_crypto_init() != VL_OK) {
        fprintf(stderr, "valise-node: libsodium failed to initialise\n");
        return 1;
    }
    int rc = vl_config_load(config, &cfg, err);
    if (rc != VL_OK) {
        ret = s_fail("config", rc, err);
        goto out;
    }
    if (!check) {
        err[0] = '\0';
        rc = vl_log_open(cfg->log_level, cfg->log_file, err);
        if (rc != VL_OK) {
            ret = s_fail("log", rc, err);
            goto out;
        }
    } else {
        vl_log_open(VL_LOG_WARN, NULL, NULL);
    }
    err[0] = '\0';
    rc = s_passphrase(cfg, &pass, &passlen, err);
    if (rc != VL_OK) {
        ret = s_fail("passphrase", rc, err);
        goto out;
    }
    err[0] = '\0';
    rc = vl_keyfile_read(cfg->key, pass, passlen, &kp, err);
    vl_secure_free(&pass);
    if (rc != VL_OK) {
        ret = s_fail(cfg->key, rc, err);
        goto out;
    }
    err[0] = '\0';
    rc = vl_store_open(cfg->store, kp, 0, &store, err);
    if (rc != VL_OK) {
        ret = s_fail(cfg->store, rc, err);
        goto out;
    }
    const vl_policy_t *pol = vl_store_policy(store);
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_NODE)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(kp), kid);
        if (vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_READER)
            snprintf(err, sizeof err, "key %s is a reader of network \"%s\": a reader key may "
                     "not run a node (only a node key may)", kid, vl_policy_name(pol));
        else
            snprintf(err, sizeof err, "key %s is not a node of network \"%s\" (see `valise "
                     "genesis show`)", kid, vl_policy_name(pol));
        ret = s_fail(cfg->key, VL_EPERM, err);
        goto out;
    }
    err[0] = '\0';
    rc = vl_config_resolve_peers(cfg, pol, vl_keypair_pk(kp), VL_CONFIG_KEEP_GONE, err);
    if (rc == VL_OK)
        rc = s_check_gone(cfg, store, err);
    if (rc != VL_OK) {
        ret = s_fail("peers", rc, err);
        goto out;
    }
    if (check) {
        s_print_check(cfg, store, kp);
        ret = 0;
        goto out;
    }

    /* One daemon per store: the lock is held until exit (the kernel drops
     * it if this process is killed), and taken before "ready". */
    long holder = 0;
    err[0] = '\0';
    rc = vl_store_daemon_lock(cfg->store, &lock_fd, &holder, err);
    if (rc == VL_EEXIST) {
        char msg[VL_ERRMSG_MAX + 64];
        if (holder > 0)
            snprintf(msg, sizeof msg, "another valise-node (pid %ld) runs on this store: one "
                     "daemon per store", holder);
        else
            snprintf(msg, sizeof msg, "another valise-node runs on this store: one daemon per "
                     "store");
        fprintf(stderr, "valise-node: %s: %s\n", cfg->store, msg);
        if (!vl_log_is_stderr())
            vl_error("%s: %s", cfg->store, msg);
        ret = 1;
        goto out;
    }
    if (rc != VL_OK) {
        ret = s_fail("lock", rc, err);
        goto out;
    }

    /* Signals: handlers first; blocked while libzmq starts its threads so
     * that only this thread, which polls, receives them. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: zmq_poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    err[0] = '\0';
    rc = vl_node_new(&cfg, store, kp, &node, err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != VL_OK) {
        ret = s_fail("start", rc, err);
        goto out;
    }
    rc = vl_node_run(node, &s_stop, &s_reload);
    ret = rc == VL_OK ? 0 : 1;
    if (rc != VL_OK)
        s_fail("run", rc, NULL);
out:
    vl_node_destroy(&node);
    vl_store_close(&store);
    vl_store_daemon_unlock(&lock_fd);
    vl_keypair_destroy(&kp);
    vl_secure_free(&pass);
    vl_config_destroy(&cfg);
    if (ret == 0 && !check)
        vl_info("stopped");
    vl_log_close();
    return ret;
}
