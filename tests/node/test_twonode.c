/* SPDX-License-Identifier: MIT */
/*
 * test_twonode - two valise-node instances in one process, on 127.0.0.1.
 *
 * A network of the vl_testnet keys (approvers a1, a2, authority mu) with two
 * node keys: the fixture's node (A) and a fresh one (B). A's store gets
 * S_ENTRIES approved entries; B's store is empty. A listens on an ephemeral
 * port, B is configured with A as its peer. The test steps both loops in
 * turn (vn_turn, from the private header) until B's head equals A's (seq and
 * hash) or S_SYNC_MS passes. Then a CURVE client with the fixture's outsider
 * key (not a member) connects to A and sends a frame: A's ZAP handler must
 * refuse it (counted), no session may be opened for it, and it gets nothing.
 *
 * Stores live under $VL_TEST_TMP (default /tmp) and are removed at the end.
 * Run by vl_node_selftest --test twonode.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vl_change.h"
#include "vl_check.h"
#include "vl_config.h"
#include "vl_log.h"
#include "vl_node_int.h"
#include "vl_record.h"
#include "vl_store.h"
#include "vl_testnet.h"

int vl_twonode_test(bool verbose);

/* Entries A holds before B starts. */
#define S_ENTRIES 3
/* Bound on the wait for B to catch up, and for A to refuse the outsider. */
#define S_SYNC_MS 10000u
#define S_REFUSE_MS 5000u

/* Remove a directory tree (the test's own temporary directory). */
static void
s_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            s_rmrf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* The genesis of the two-node network: threshold 2 of a1, a2; mu for MU;
 * nodes tn->node and kb. */
static int
s_genesis(const vl_testnet_t *tn, const vl_keypair_t *kb, uint64_t now, uint8_t **out,
          size_t *out_len, vl_policy_t **pol)
{
    int rc = VL_ENOMEM;
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *unsigned_g = NULL, *one = NULL;
    size_t ulen = 0, onelen = 0;
    vl_policy_builder_t *b = vl_policy_builder_new();
    if (!b)
        goto out;
    if ((rc = vl_policy_builder_set(b, "two-node test network", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(tn->a1), "Approver A",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(tn->a2), "Approver B",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(tn->mu),
                                    "Mauritius central authority", "MU", err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(tn->node), "node-a", NULL,
                                    err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(kb), "node-b", NULL, err)) ||
        (rc = vl_policy_builder_finish(b, now, &unsigned_g, &ulen, err)) ||
        (rc = vl_policy_sign(unsigned_g, ulen, tn->a1, &one, &onelen, err)) ||
        (rc = vl_policy_sign(one, onelen, tn->a2, out, out_len, err)) ||
        (rc = vl_policy_parse(*out, *out_len, 0, pol, err)))
        goto out;
out:
    if (rc != VL_OK)
        fprintf(stderr, "twonode: genesis: %s: %s\n", vl_strerror(rc), err);
    vl_policy_builder_destroy(&b);
    free(unsigned_g);
    free(one);
    return rc;
}

/* Propose authority record `id` by mu and approve it by a1 and a2 on st. */
static int
s_add_entry(vl_store_t *st, const vl_testnet_t *tn, const vl_policy_t *pol, const char *id,
            uint64_t now)
{
    uint8_t ckey[VL_KEY_LEN];
    uint8_t *body = NULL, *prop = NULL;
    size_t blen = 0, plen = 0;
    vl_record_t *rec = NULL;
    vl_op_t op;
    uint8_t pid[VL_HASH_LEN];
    char err[VL_ERRMSG_MAX] = "";
    memset(&op, 0, sizeof op);
    int rc = vl_policy_content_key(pol, 0, tn->node, ckey);
    if (rc == VL_OK)
        rc = vl_testnet_authority(id, "MU", "+230 5550 0001", &body, &blen);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, err);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    if (rc == VL_OK) {
        const uint8_t *bodies[1] = { body };
        rc = vl_proposal_make(pol, tn->mu, ckey, now, &op, bodies, &blen, 1, &prop, &plen, err);
    }
    if (rc == VL_OK)
        rc = vl_store_propose(st, prop, plen, pid, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, pid, tn->a1, now, NULL, NULL, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, pid, tn->a2, now, NULL, NULL, err);
    if (rc != VL_OK)
        fprintf(stderr, "twonode: entry %s: %s: %s\n", id, vl_strerror(rc), err);
    vl_record_destroy(&rec);
    free(body);
    free(prop);
    return rc;
}

/* A node on store st with key kp; listen and peer (addr, key) are optional. */
static int
s_node(const char *dir, vl_store_t *st, const vl_keypair_t *kp, const vl_policy_t *pol,
       const char *listen, const char *peer_addr, const uint8_t *peer_pk, vl_node_t **out)
{
    char text[1024], peers[512] = "", listen_kv[192] = "", hex[2 * VL_PK_LEN + 1];
    char err[VL_ERRMSG_MAX] = "";
    vl_config_t *cfg = NULL;
    if (listen)
        snprintf(listen_kv, sizeof listen_kv, "\"listen\": \"%s\", ", listen);
    if (peer_addr) {
        vl_hex(peer_pk, VL_PK_LEN, hex);
        snprintf(peers, sizeof peers, "\"peers\": [{\"addr\": \"%s\", \"key\": \"%s\"}], ",
                 peer_addr, hex);
    }
    snprintf(text, sizeof text,
             "{\"store\": \"store\", \"key\": \"node.key\", %s%s"
             "\"timers\": {\"anti_entropy_ms\": 200, \"poll_ms\": 20, "
             "\"reconnect_max_ms\": 1000}}",
             listen_kv, peers);
    int rc = vl_config_parse(text, strlen(text), dir, &cfg, err);
    if (rc == VL_OK)
        rc = vl_config_resolve_peers(cfg, pol, vl_keypair_pk(kp), 0, err);
    if (rc == VL_OK)
        rc = vl_node_new(&cfg, st, kp, out, err);
    if (rc != VL_OK)
        fprintf(stderr, "twonode: node: %s: %s\n", vl_strerror(rc), err);
    vl_config_destroy(&cfg);
    return rc;
}

/* One turn of each loop. */
static void
s_step(vl_node_t *a, vl_node_t *b)
{
    bool busy = false;
    (void)vn_turn(a, &busy, NULL);
    busy = false;
    (void)vn_turn(b, &busy, NULL);
}

int
vl_twonode_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    bool tn_ok = false;
    vl_keypair_t *kb = NULL;
    uint8_t *genesis = NULL;
    size_t glen = 0;
    vl_policy_t *pol = NULL;
    vl_store_t *sa = NULL, *sb = NULL;
    vl_node_t *na = NULL, *nb = NULL;
    void *zctx = NULL, *rogue = NULL;
    char root[600] = "", dira[700], dirb[700], err[VL_ERRMSG_MAX] = "";
    uint64_t now = (uint64_t)time(NULL);
    vl_head_t ha, hb;
    memset(&ha, 0, sizeof ha);
    memset(&hb, 0, sizeof hb);

    /* ---- the network, two stores, entries on A ---- */
    tn_ok = vl_testnet_init(&tn) == VL_OK;
    VL_CHECK(tn_ok);
    if (!tn_ok)
        goto out;
    VL_CHECK_RC(vl_keypair_generate(&kb), VL_OK);
    if (!kb || s_genesis(&tn, kb, now, &genesis, &glen, &pol) != VL_OK) {
        VL_CHECK(false);
        goto out;
    }
    const char *base = getenv("VL_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700); /* VL_TEST_TMP may not exist yet */
    snprintf(root, sizeof root, "%s/vl-twonode-XXXXXX", base);
    if (!mkdtemp(root)) {
        root[0] = '\0';
        VL_CHECK(false);
        goto out;
    }
    snprintf(dira, sizeof dira, "%s/a", root);
    snprintf(dirb, sizeof dirb, "%s/b", root);
    VL_CHECK_RC(vl_store_create(dira, genesis, glen, tn.node, err), VL_OK);
    VL_CHECK_RC(vl_store_create(dirb, genesis, glen, kb, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dira, tn.node, 0, &sa, err), VL_OK);
    VL_CHECK_RC(vl_store_open(dirb, kb, 0, &sb, err), VL_OK);
    if (!sa || !sb)
        goto out;
    for (int i = 1; i <= S_ENTRIES; i++) {
        char id[16];
        snprintf(id, sizeof id, "MU-%02d", i);
        VL_CHECK_RC(s_add_entry(sa, &tn, pol, id, now), VL_OK);
    }
    VL_CHECK_RC(vl_store_head(sa, &ha), VL_OK);
    VL_CHECK(ha.seq == S_ENTRIES);
    VL_CHECK_RC(vl_store_head(sb, &hb), VL_OK);
    VL_CHECK(hb.seq == 0);

    /* ---- two nodes: A listens on an ephemeral port, B connects to it ---- */
    if (s_node(root, sa, tn.node, pol, "tcp://127.0.0.1:*", NULL, NULL, &na) != VL_OK) {
        VL_CHECK(false);
        goto out;
    }
    char addr[256];
    snprintf(addr, sizeof addr, "%s", vl_transport_endpoint(na->tr));
    VL_CHECK(strncmp(addr, "tcp://127.0.0.1:", 16) == 0 && strcmp(addr + 16, "*") != 0);
    if (verbose)
        printf("twonode: node A listens on %s\n", addr);
    if (s_node(root, sb, kb, pol, NULL, addr, vl_keypair_pk(tn.node), &nb) != VL_OK) {
        VL_CHECK(false);
        goto out;
    }

    /* ---- B catches up with A ---- */
    uint64_t deadline = vl_clock_ms() + S_SYNC_MS;
    bool same = false;
    while (!same && vl_clock_ms() < deadline) {
        s_step(na, nb);
        same = vl_store_head(sa, &ha) == VL_OK && vl_store_head(sb, &hb) == VL_OK &&
               hb.seq == ha.seq && memcmp(hb.hash, ha.hash, VL_HASH_LEN) == 0;
    }
    VL_CHECK(same);
    VL_CHECK(ha.seq == S_ENTRIES && hb.seq == S_ENTRIES);
    VL_CHECK(memcmp(ha.hash, hb.hash, VL_HASH_LEN) == 0);
    VL_CHECK(na->served >= S_ENTRIES && nb->applied == S_ENTRIES);
    VL_CHECK(na->nin == 1 && nb->nout == 1);
    if (verbose)
        printf("twonode: B at seq %llu after %llu ms\n", (unsigned long long)hb.seq,
               (unsigned long long)(vl_clock_ms() + S_SYNC_MS - deadline));

    /* ---- a key that is not a member cannot connect ---- */
    uint8_t cpk[32], csk[32], spk[32], ssk[32];
    uint64_t refused = vl_transport_refused(na->tr, NULL, NULL);
    size_t nin = na->nin;
    VL_CHECK_RC(vl_keypair_x25519(tn.outsider, cpk, csk), VL_OK);
    VL_CHECK_RC(vl_keypair_x25519(tn.node, spk, ssk), VL_OK);
    zctx = zmq_ctx_new();
    rogue = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
    VL_CHECK(rogue != NULL);
    if (!rogue)
        goto out;
    int zero = 0;
    VL_CHECK(zmq_setsockopt(rogue, ZMQ_LINGER, &zero, sizeof zero) == 0);
    VL_CHECK(zmq_setsockopt(rogue, ZMQ_CURVE_SERVERKEY, spk, 32) == 0);
    VL_CHECK(zmq_setsockopt(rogue, ZMQ_CURVE_PUBLICKEY, cpk, 32) == 0);
    VL_CHECK(zmq_setsockopt(rogue, ZMQ_CURVE_SECRETKEY, csk, 32) == 0);
    VL_CHECK(zmq_connect(rogue, addr) == 0);
    uint8_t *hello = NULL;
    size_t hlen = 0;
    VL_CHECK_RC(vl_msg_encode_hello(&nb->ours, &hello, &hlen), VL_OK);
    if (hello)
        (void)zmq_send(rogue, hello, hlen, ZMQ_DONTWAIT);
    free(hello);
    deadline = vl_clock_ms() + S_REFUSE_MS;
    while (vl_transport_refused(na->tr, NULL, NULL) == refused && vl_clock_ms() < deadline)
        s_step(na, nb);
    for (int i = 0; i < 10; i++) /* a few more turns: a frame would have arrived by now */
        s_step(na, nb);
    VL_CHECK(vl_transport_refused(na->tr, NULL, NULL) > refused);
    VL_CHECK(na->nin == nin);
    for (size_t i = 0; i < na->nin; i++)
        VL_CHECK(memcmp(vl_peer_pk(na->in[i]), vl_keypair_pk(tn.outsider), VL_PK_LEN) != 0);
    char buf[64];
    VL_CHECK(zmq_recv(rogue, buf, sizeof buf, ZMQ_DONTWAIT) < 0);
    /* B is still in sync and still connected. */
    VL_CHECK_RC(vl_store_head(sb, &hb), VL_OK);
    VL_CHECK(hb.seq == S_ENTRIES);

out:
    if (rogue)
        zmq_close(rogue);
    if (zctx)
        zmq_ctx_term(zctx);
    vl_node_destroy(&nb);
    vl_node_destroy(&na);
    vl_store_close(&sb);
    vl_store_close(&sa);
    if (root[0])
        s_rmrf(root);
    vl_policy_destroy(&pol);
    free(genesis);
    vl_keypair_destroy(&kb);
    if (tn_ok)
        vl_testnet_fini(&tn);
    if (verbose)
        printf("twonode: done\n");
    return VL_TEST_END;
}
