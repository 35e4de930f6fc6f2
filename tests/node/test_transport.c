/* SPDX-License-Identifier: MIT */
/*
 * test_transport - self-test of the ZeroMQ layer (node/vl_transport.c) on
 * 127.0.0.1, without a node: the ROUTER binds an ephemeral port, the
 * startup self-check passes (its random key is refused, and not counted as
 * a refused client), a link
 * with a node key of the policy comes up and frames go both ways (the ROUTER
 * sees the sender's Ed25519 key from ZAP), and a link with a key that is
 * not a node is refused by ZAP.
 * Run by vl_node_selftest --test transport.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vl_check.h"
#include "vl_log.h"
#include "vl_testnet.h"
#include "vl_transport.h"

int vl_transport_test(bool verbose);

/* Bound on every wait below. */
#define S_WAIT_MS 5000u

static void
s_nap(void)
{
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

/* Answer ZAP requests of t and read link events of l until `want` (or any
 * of the final ones) or the deadline. @return the last event seen. */
static vl_link_event_t
s_wait_event(vl_transport_t *t, vl_link_t *l, vl_link_event_t want)
{
    uint64_t deadline = vl_clock_ms() + S_WAIT_MS;
    vl_link_event_t ev = VL_LINK_NONE;
    uint32_t v = 0;
    while (vl_clock_ms() < deadline) {
        (void)vl_transport_zap_handle(t);
        while (vl_link_event(l, &ev, &v) == VL_OK)
            if (ev == want)
                return ev;
        s_nap();
    }
    return ev;
}

int
vl_transport_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t tn;
    bool tn_ok = vl_testnet_init(&tn) == VL_OK;
    vl_transport_t *ta = NULL, *tb = NULL, *tc = NULL;
    vl_link_t *lb = NULL, *lc = NULL;
    char err[VL_ERRMSG_MAX] = "";
    VL_CHECK(tn_ok);
    if (!tn_ok)
        return VL_TEST_END;

    /* The listening side: ZAP first, then the ROUTER on an ephemeral port. */
    VL_CHECK_RC(vl_transport_new(tn.pol, tn.node, &ta, err), VL_OK);
    if (!ta)
        goto out;
    VL_CHECK(vl_transport_nodes(ta) == 1);
    VL_CHECK(vl_transport_router_socket(ta) == NULL && vl_transport_endpoint(ta)[0] == '\0');
    VL_CHECK_RC(vl_transport_listen(ta, "tcp://127.0.0.1:*", err), VL_OK);
    const char *ep = vl_transport_endpoint(ta);
    VL_CHECK(strncmp(ep, "tcp://127.0.0.1:", 16) == 0 && strcmp(ep + 16, "*") != 0);
    if (verbose)
        printf("transport: listening on %s\n", ep);
    VL_CHECK_RC(vl_transport_selfcheck(ta, (int)S_WAIT_MS, err), VL_OK);
    uint64_t refused = vl_transport_refused(ta, NULL, NULL);
    VL_CHECK(refused == 0);

    /* A link with a node key of the policy: up, one frame each way. */
    VL_CHECK_RC(vl_transport_new(tn.pol, tn.node, &tb, err), VL_OK);
    if (!tb)
        goto out;
    VL_CHECK_RC(vl_link_open(tb, ep, vl_keypair_pk(tn.node), 1000, &lb, err), VL_OK);
    if (!lb)
        goto out;
    VL_CHECK(s_wait_event(ta, lb, VL_LINK_UP) == VL_LINK_UP);
    VL_CHECK_RC(vl_link_send(lb, (const uint8_t *)"ping", 4), VL_OK);
    vl_rx_t rx;
    int rc = VL_EAGAIN;
    uint64_t deadline = vl_clock_ms() + S_WAIT_MS;
    while ((rc = vl_transport_router_recv(ta, &rx)) == VL_EAGAIN && vl_clock_ms() < deadline)
        s_nap();
    VL_CHECK_RC(rc, VL_OK);
    if (rc == VL_OK) {
        VL_CHECK(rx.len == 4 && memcmp(rx.data, "ping", 4) == 0);
        VL_CHECK(rx.has_pk && memcmp(rx.pk, vl_keypair_pk(tn.node), VL_PK_LEN) == 0);
        VL_CHECK_RC(vl_transport_router_send(ta, rx.rid, rx.rid_len, (const uint8_t *)"pong", 4),
                    VL_OK);
        const uint8_t *data = NULL;
        size_t len = 0;
        deadline = vl_clock_ms() + S_WAIT_MS;
        while ((rc = vl_link_recv(lb, &data, &len)) == VL_EAGAIN && vl_clock_ms() < deadline)
            s_nap();
        VL_CHECK_RC(rc, VL_OK);
        VL_CHECK(rc != VL_OK || (len == 4 && memcmp(data, "pong", 4) == 0));
        /* A connection that is gone is named as such. */
        uint8_t rid[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
        VL_CHECK_RC(vl_transport_router_send(ta, rid, sizeof rid, (const uint8_t *)"x", 1),
                    VL_ENOTFOUND);
    }

    /* A link with a key that is not a node: refused by ZAP, and counted. */
    VL_CHECK_RC(vl_transport_new(tn.pol, tn.outsider, &tc, err), VL_OK);
    if (!tc)
        goto out;
    VL_CHECK_RC(vl_link_open(tc, ep, vl_keypair_pk(tn.node), 1000, &lc, err), VL_OK);
    if (!lc)
        goto out;
    VL_CHECK(s_wait_event(ta, lc, VL_LINK_REFUSED) == VL_LINK_REFUSED);
    VL_CHECK(vl_transport_refused(ta, NULL, NULL) > refused);
    VL_CHECK_RC(vl_transport_router_recv(ta, &rx), VL_EAGAIN);

out:
    vl_link_destroy(&lc, 0);
    vl_link_destroy(&lb, 0);
    vl_transport_destroy(&tc);
    vl_transport_destroy(&tb);
    vl_transport_destroy(&ta);
    vl_testnet_fini(&tn);
    return VL_TEST_END;
}
