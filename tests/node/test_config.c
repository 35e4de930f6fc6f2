/* SPDX-License-Identifier: MIT */
/*
 * test_config - self-test of the configuration file (node/vl_config.c):
 * parsing, refusals with the key named, peer resolution against a policy.
 * Run by vl_node_selftest --test config.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_check.h"
#include "vl_config.h"
#include "vl_testnet.h"

int vl_config_test(bool verbose);

static int
s_try(const char *text, int want, const char *want_err)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_config_t *c = NULL;
    int rc = vl_config_parse(text, strlen(text), "/etc/valise", &c, err);
    int bad = rc != want || (rc == VL_OK) != (c != NULL) ||
              (want_err && !strstr(err, want_err));
    if (bad)
        fprintf(stderr, "vl_config_test: %s -> %d \"%s\", want %d \"%s\"\n", text, rc, err,
                want, want_err ? want_err : "");
    vl_config_destroy(&c);
    return bad;
}

/* systemd credentials: $CREDENTIALS_DIRECTORY/key and /passphrase stand in
 * for a missing "key" and a missing passphrase source, and only then. */
static int
s_credentials(void)
{
    char dir[512], key[600], pass[600];
    const char *tmp = getenv("VL_TEST_TMP");
    int bad = 0;
    vl_config_t *c = NULL;
    char err[VL_ERRMSG_MAX] = "";
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    (void)mkdir(tmp, 0700); /* the first test of a fresh build directory makes it */
    snprintf(dir, sizeof dir, "%s/cred.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "vl_config_test: mkdtemp %s failed\n", dir);
        return 1;
    }
    snprintf(key, sizeof key, "%s/key", dir);
    snprintf(pass, sizeof pass, "%s/passphrase", dir);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    /* no files yet: "key" is still required, and the message names the credential */
    bad |= s_try("{\"store\": \"s\"}", VL_EINVAL, "or a systemd credential \"key\"");
    FILE *f1 = fopen(key, "w"), *f2 = fopen(pass, "w");
    if (f1)
        fclose(f1);
    if (f2)
        fclose(f2);
    bad |= !f1 || !f2;
    static const char bare[] = "{\"store\": \"s\"}";
    if (vl_config_parse(bare, strlen(bare), "/etc/valise", &c, err) != VL_OK || !c ||
        strcmp(c->key, key) != 0 || !c->pass_file || strcmp(c->pass_file, pass) != 0) {
        fprintf(stderr, "vl_config_test: credentials not used: %s\n", err);
        bad = 1;
    }
    vl_config_destroy(&c);
    /* the configuration wins: its key, and its pass_fd (no pass_file added) */
    static const char own[] = "{\"store\": \"s\", \"key\": \"k\", \"pass_fd\": 3}";
    if (vl_config_parse(own, strlen(own), "/etc/valise", &c, err) != VL_OK || !c ||
        strcmp(c->key, "/etc/valise/k") != 0 || c->pass_file || c->pass_fd != 3) {
        fprintf(stderr, "vl_config_test: config did not win over credentials: %s\n", err);
        bad = 1;
    }
    vl_config_destroy(&c);
    /* a relative CREDENTIALS_DIRECTORY is not systemd's: ignored */
    setenv("CREDENTIALS_DIRECTORY", dir + 1, 1);
    bad |= s_try(bare, VL_EINVAL, "is required");
    unsetenv("CREDENTIALS_DIRECTORY");
    bad |= s_try(bare, VL_EINVAL, "is required");
    unlink(key);
    unlink(pass);
    rmdir(dir);
    return bad;
}

int
vl_config_test(bool verbose)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX] = "";
    vl_config_t *c = NULL;
    static const char full[] =
        "{\"store\": \"s1\", \"key\": \"/k/n1.key\", \"pass_file\": \"n1.pass\","
        " \"listen\": \"tcp://127.0.0.1:7101\","
        " \"peers\": [{\"addr\": \"tcp://127.0.0.1:7102\", \"name\": \"node-2\"},"
        "             {\"addr\": \"ipc:///tmp/n3\", \"key\": "
        "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}],"
        " \"timers\": {\"anti_entropy_ms\": 500, \"poll_ms\": 50, \"reconnect_max_ms\": 5000},"
        " \"log_level\": \"debug\", \"log_file\": \"node.log\","
        " \"fresh_interval\": 60, \"fresh_ttl\": 3600}";
    VL_CHECK_RC(vl_config_parse(full, strlen(full), "/etc/valise", &c, err), VL_OK);
    if (c) {
        VL_CHECK(strcmp(c->store, "/etc/valise/s1") == 0);
        VL_CHECK(strcmp(c->key, "/k/n1.key") == 0);
        VL_CHECK(strcmp(c->pass_file, "/etc/valise/n1.pass") == 0 && c->pass_fd == -1);
        VL_CHECK(strcmp(c->listen, "tcp://127.0.0.1:7101") == 0);
        VL_CHECK(c->npeers == 2 && !c->peers[0].has_key && strcmp(c->peers[0].name, "node-2") == 0);
        VL_CHECK(c->peers[0].by_name && !c->peers[1].by_name);
        VL_CHECK(c->fresh_interval == 60 && c->fresh_ttl == 3600);
        VL_CHECK(c->peers[1].has_key && c->peers[1].key[1] == 0x11);
        VL_CHECK(c->anti_entropy_ms == 500 && c->poll_ms == 50 && c->reconnect_max_ms == 5000);
        VL_CHECK(c->log_level == VL_LOG_DEBUG && strcmp(c->log_file, "/etc/valise/node.log") == 0);
    }
    vl_config_destroy(&c);
    vl_config_destroy(&c);
    static const char minimal[] = "{\"store\": \"/s\", \"key\": \"k\"}";
    VL_CHECK_RC(vl_config_parse(minimal, strlen(minimal), ".", &c, err), VL_OK);
    if (c) {
        VL_CHECK(strcmp(c->key, "k") == 0 && c->listen == NULL && c->npeers == 0);
        VL_CHECK(c->anti_entropy_ms == 2000 && c->poll_ms == 50 &&
                 c->reconnect_max_ms == 30000 && c->log_level == VL_LOG_INFO &&
                 c->log_file == NULL && c->pass_fd == -1 && c->pass_file == NULL);
        VL_CHECK(c->fresh_interval == 600 && c->fresh_ttl == 86400);
    }
    vl_config_destroy(&c);

    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"pass_fd\": 3}", VL_OK, NULL));
    VL_CHECK(!s_try("[]", VL_EINVAL, "JSON object"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"timers\": {\"poll_ms\": 5}}",
                    VL_EINVAL, "timers.poll_ms must be an integer from 10 to 60000"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_interval\": 0}", VL_EINVAL,
                    "\"fresh_interval\" must be an integer from 1 to 86400 (seconds)"));
    VL_CHECK(!s_try("{", VL_EINVAL, "not valid JSON"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peer\": []}", VL_EINVAL,
                    "unknown key \"peer\""));
    VL_CHECK(!s_try("{\"store\": \"s\", \"store\": \"t\", \"key\": \"k\"}", VL_EINVAL, "JSON"));
    VL_CHECK(!s_try("{\"key\": \"k\"}", VL_EINVAL, "\"store\""));
    VL_CHECK(!s_try("{\"store\": \"s\"}", VL_EINVAL, "\"key\""));
    VL_CHECK(!s_try("{\"store\": \"\", \"key\": \"k\"}", VL_EINVAL, "non-empty"));
    VL_CHECK(!s_try("{\"store\": 3, \"key\": \"k\"}", VL_EINVAL, "string"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"pass_file\": \"p\", \"pass_fd\": 0}",
                    VL_EINVAL, "not both"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"pass_fd\": -1}", VL_EINVAL, "pass_fd"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"listen\": \"udp://x:1\"}", VL_EINVAL,
                    "listen"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"listen\": \"tcp://x\"}", VL_EINVAL,
                    "host:port"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"listen\": \"tcp://x:12a\"}",
                    VL_EINVAL, "port"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"listen\": \"tcp://*:*\"}", VL_OK, NULL));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": {}}", VL_EINVAL, "array"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": [\"tcp://a:1\"]}", VL_EINVAL,
                    "object"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": [{\"addr\": \"tcp://a:1\"}]}",
                    VL_EINVAL, "\"key\""));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": [{\"addr\": \"tcp://a:1\", "
                    "\"key\": \"abcd\"}]}", VL_EINVAL, "64 hex"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": [{\"addr\": \"tcp://a:1\", "
                    "\"name\": \"x\", \"port\": 1}]}", VL_EINVAL, "unknown key \"port\""));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"peers\": [{\"addr\": \"tcp://a:1\", "
                    "\"name\": \"x\"}, {\"addr\": \"tcp://a:1\", \"name\": \"y\"}]}", VL_EINVAL,
                    "twice"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"timers\": {\"poll_ms\": 1}}", VL_EINVAL,
                    "poll_ms"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"timers\": {\"poll\": 100}}", VL_EINVAL,
                    "timers: unknown key"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"log_level\": \"loud\"}", VL_EINVAL,
                    "log_level"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_interval\": 0}", VL_EINVAL,
                    "fresh_interval"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_interval\": \"600\"}",
                    VL_EINVAL, "fresh_interval"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_ttl\": 99999999}", VL_EINVAL,
                    "fresh_ttl"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_interval\": 900, "
                    "\"fresh_ttl\": 600}", VL_EINVAL, "longer than"));
    VL_CHECK(!s_try("{\"store\": \"s\", \"key\": \"k\", \"fresh_interval\": 2, "
                    "\"fresh_ttl\": 60}", VL_OK, NULL));
    {
        /* Too many peers. */
        char big[16384];
        size_t n = (size_t)snprintf(big, sizeof big, "{\"store\": \"s\", \"key\": \"k\", \"peers\": [");
        for (unsigned i = 0; i <= VL_MAX_PEERS; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"addr\": \"tcp://h:%u\", \"name\": \"n\"}",
                                  i ? "," : "", 1000 + i);
        snprintf(big + n, sizeof big - n, "]}");
        VL_CHECK(!s_try(big, VL_ELIMIT, "peers"));
    }

    /* Resolution against a policy. */
    {
        vl_testnet_t t;
        if (vl_testnet_init(&t) == VL_OK) {
            char hex[2 * VL_PK_LEN + 1], text[1024];
            const char *name = vl_policy_member_name(t.pol, vl_keypair_pk(t.node));
            vl_hex(vl_keypair_pk(t.node), VL_PK_LEN, hex);
            snprintf(text, sizeof text, "{\"store\": \"s\", \"key\": \"k\", \"peers\": ["
                     "{\"addr\": \"tcp://a:1\", \"name\": \"%s\"}]}", name ? name : "?");
            VL_CHECK_RC(vl_config_parse(text, strlen(text), ".", &c, err), VL_OK);
            if (c) {
                err[0] = '\0';
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.a1), 0, err), VL_OK);
                VL_CHECK(c->peers[0].has_key &&
                         memcmp(c->peers[0].key, vl_keypair_pk(t.node), VL_PK_LEN) == 0);
                err[0] = '\0';
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.node), 0, err),
                            VL_EPERM);
                VL_CHECK(strstr(err, "own key") != NULL);
            }
            vl_config_destroy(&c);
            snprintf(text, sizeof text, "{\"store\": \"s\", \"key\": \"k\", \"peers\": ["
                     "{\"addr\": \"tcp://a:1\", \"name\": \"no such node\"}]}");
            VL_CHECK_RC(vl_config_parse(text, strlen(text), ".", &c, err), VL_OK);
            if (c) {
                err[0] = '\0';
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.a1), 0, err),
                            VL_ENOTFOUND);
                /* Kept as gone when a later version may have removed it. */
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.a1),
                                                    VL_CONFIG_KEEP_GONE, err), VL_OK);
                VL_CHECK(c->peers[0].gone && c->peers[0].by_name);
            }
            vl_config_destroy(&c);
            vl_hex(vl_keypair_pk(t.mu), VL_PK_LEN, hex);
            snprintf(text, sizeof text, "{\"store\": \"s\", \"key\": \"k\", \"peers\": ["
                     "{\"addr\": \"tcp://a:1\", \"key\": \"%s\"}]}", hex);
            VL_CHECK_RC(vl_config_parse(text, strlen(text), ".", &c, err), VL_OK);
            if (c) {
                err[0] = '\0';
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.a1), 0, err), VL_EPERM);
                VL_CHECK(strstr(err, "not a node") != NULL);
                VL_CHECK_RC(vl_config_resolve_peers(c, t.pol, vl_keypair_pk(t.a1),
                                                    VL_CONFIG_KEEP_GONE, err), VL_OK);
                VL_CHECK(c->peers[0].gone && !c->peers[0].by_name);
            }
            vl_config_destroy(&c);
            vl_testnet_fini(&t);
        } else {
            VL_CHECK(false); /* vl_testnet_init failed */
        }
    }
    VL_CHECK(!s_credentials());
    if (verbose)
        printf("config: ok\n");
    return VL_TEST_END;
}
