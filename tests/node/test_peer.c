/* SPDX-License-Identifier: MIT */
/*
 * test_peer - self-test of the session state machine (node/vl_peer.c):
 * states, hello outcomes, pulls and probes, pushes, back-off, status record.
 * Run by vl_node_selftest --test peer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vl_check.h"
#include "vl_peer_int.h"

int vl_peer_test(bool verbose);

int
vl_peer_test(bool verbose)
{
    VL_TEST_BEGIN;
    uint8_t pk[VL_PK_LEN];
    char err[VL_ERRMSG_MAX];
    unsigned todo = 0;
    memset(pk, 0x42, sizeof pk);
    vl_hello_t ours, theirs;
    memset(&ours, 0, sizeof ours);
    memset(ours.net, 1, sizeof ours.net);
    memset(ours.policy, 2, sizeof ours.policy);
    ours.seq = 10;
    memset(ours.head, 3, sizeof ours.head);
    ours.pv = 2;
    theirs = ours;

    vl_peer_t *p = vl_peer_new_out("tcp://127.0.0.1:1", pk, "node-x", 1000);
    VL_CHECK(p != NULL);
    if (!p)
        return 1;
    VL_CHECK(vl_peer_state(p) == VL_PS_CONNECTING && !vl_peer_sendable(p));
    VL_CHECK(strcmp(vl_peer_info(p)->state, "connecting") == 0);
    VL_CHECK(strstr(vl_peer_label(p), "node-x") != NULL);
    VL_CHECK(vl_peer_info_due(p, 1000, false));
    vl_peer_info_saved(p, 1000);
    VL_CHECK(!vl_peer_info_due(p, 1000, false));

    vl_peer_on_up(p, 1100);
    VL_CHECK(vl_peer_state(p) == VL_PS_OPEN && vl_peer_hello_due(p, 1100));
    vl_peer_hello_sent(p, 1100, 2000);
    VL_CHECK(vl_peer_state(p) == VL_PS_SUMMARY_SENT && !vl_peer_hello_due(p, 1200));
    VL_CHECK(vl_peer_hello_due(p, 3100));
    VL_CHECK(vl_peer_info_due(p, 2100, false) && !vl_peer_info_due(p, 1500, false));

    /* Same summary: nothing to do. */
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1200, &todo, NULL), VL_OK);
    VL_CHECK(todo == 0 && vl_peer_state(p) == VL_PS_IDLE && vl_peer_identified(p));
    /* Ahead, with other pending: pull and have. */
    theirs.seq = 12;
    memset(theirs.head, 4, sizeof theirs.head);
    theirs.pd[0] = 9;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1300, &todo, NULL), VL_OK);
    VL_CHECK(todo == (VL_PEER_DO_PULL | VL_PEER_DO_HAVE));
    VL_CHECK(vl_peer_info(p)->their_seq == 12);
    vl_peer_pull_start(p, 11, 1300, 5000);
    VL_CHECK(vl_peer_state(p) == VL_PS_PULLING && vl_peer_pull_from(p) == 11);
    VL_CHECK(!vl_peer_pull_expired(p, 6299) && vl_peer_pull_expired(p, 6300));
    vl_peer_pull_end(p);
    VL_CHECK(vl_peer_state(p) == VL_PS_IDLE && vl_peer_pull_from(p) == 0);
    /* Another link at a seq we hold: check it (once per announced pair). */
    theirs.seq = 10;
    err[0] = '\0';
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_OK);
    VL_CHECK(todo & VL_PEER_DO_CHECK);
    VL_CHECK(!(todo & VL_PEER_DO_PULL));
    theirs.seq = 7;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_OK);
    VL_CHECK(todo & VL_PEER_DO_CHECK);
    vl_peer_head_checked(p, 7, theirs.head);
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_OK);
    VL_CHECK(!(todo & VL_PEER_DO_CHECK));
    theirs = ours; /* same head: nothing to check */
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_OK);
    VL_CHECK(!(todo & VL_PEER_DO_CHECK));
    /* Wrong network. */
    theirs = ours;
    theirs.net[0] ^= 1;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_EPERM);
    /* Same policy version, another hash: a policy fork. */
    theirs = ours;
    theirs.policy[5] ^= 1;
    err[0] = '\0';
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_EFORK);
    VL_CHECK(strstr(err, "policy fork") != NULL);
    /* Another version (another hash, legitimately): older gets ours pushed,
     * newer is not pulled from until adopted (a new session: the version
     * announced may not go back within one). */
    p->identified = false;
    theirs.pv = 1;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_OK);
    VL_CHECK(todo & VL_PEER_DO_POLICIES);
    theirs.pv = 2;
    theirs.policy[5] ^= 1;
    theirs.seq = 20;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_OK);
    VL_CHECK(todo & VL_PEER_DO_PULL);
    theirs.pv = 3;
    theirs.policy[5] ^= 1;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_OK);
    VL_CHECK(!(todo & (VL_PEER_DO_PULL | VL_PEER_DO_POLICIES)));
    /* A version never goes back within a session. */
    theirs.pv = 2;
    theirs.policy[5] ^= 1;
    err[0] = '\0';
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, err), VL_EPROTO);
    VL_CHECK(strstr(err, "went back") != NULL);
    p->identified = false; /* as a new session would be */
    /* Freshness and evidence behind ours. */
    ours.fi = 1000;
    ours.ev = 1;
    theirs = ours;
    theirs.fi = 999;
    theirs.ev = 0;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_OK);
    VL_CHECK(todo == (VL_PEER_DO_FRESH | VL_PEER_DO_EVIDENCE));
    theirs = ours;
    VL_CHECK_RC(vl_peer_on_hello(p, &theirs, &ours, 1400, &todo, NULL), VL_OK);
    VL_CHECK(todo == 0);
    ours.fi = ours.ev = 0;

    /* Fork probe, pull hold, push rate limit. */
    vl_peer_probe_start(p, 10, 1500, 1000, true, "entries 11..12 rejected");
    VL_CHECK(vl_peer_probe_seq(p) == 10 && vl_peer_probe_chain(p));
    VL_CHECK(strcmp(vl_peer_probe_why(p), "entries 11..12 rejected") == 0);
    VL_CHECK(!vl_peer_probe_expired(p, 2499) && vl_peer_probe_expired(p, 2500));
    vl_peer_probe_end(p);
    VL_CHECK(vl_peer_probe_seq(p) == 0 && !vl_peer_probe_expired(p, 9999));
    vl_peer_pull_hold(p, 12, 2);
    VL_CHECK(vl_peer_pull_held(p, 12, 2) && !vl_peer_pull_held(p, 13, 2) &&
             !vl_peer_pull_held(p, 12, 3));
    VL_CHECK(vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, 1, 1000, 500));
    VL_CHECK(!vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, 1, 1400, 500));
    VL_CHECK(vl_peer_push_allowed(p, VL_PEER_PUSH_FRESH, 1, 1400, 500));
    VL_CHECK(vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, 2, 1400, 500));
    VL_CHECK(vl_peer_push_allowed(p, VL_PEER_PUSH_POLICIES, 2, 1900, 500));

    /* Have rate limit. */
    VL_CHECK(vl_peer_have_allowed(p, 2000, 500));
    VL_CHECK(!vl_peer_have_allowed(p, 2400, 500));
    VL_CHECK(vl_peer_have_allowed(p, 2500, 500));
    /* Answering the peer's have: a limit of its own, apart from sending ours. */
    VL_CHECK(vl_peer_have_in_allowed(p, 2500, 500));
    VL_CHECK(!vl_peer_have_in_allowed(p, 2999, 500));
    VL_CHECK(vl_peer_have_in_allowed(p, 3000, 500));
    VL_CHECK(!vl_peer_have_in_allowed(p, 3001, 500));
    VL_CHECK(vl_peer_have_allowed(p, 3001, 500));

    /* Back-off doubles to the ceiling and resets after a healthy period. */
    vl_peer_on_bad(p, 10000, 1000, "bad entries");
    VL_CHECK(vl_peer_state(p) == VL_PS_BAD && !vl_peer_sendable(p));
    VL_CHECK(vl_peer_retry_at(p) == 10000 + VL_PEER_BACKOFF_MIN_MS);
    VL_CHECK(vl_peer_info(p)->dropped == 1 && strcmp(vl_peer_info(p)->last_error, "bad entries") == 0);
    VL_CHECK(!vl_peer_identified(p));
    vl_peer_on_bad(p, 20000, 1000, "again");
    VL_CHECK(vl_peer_retry_at(p) == 20000 + 2 * VL_PEER_BACKOFF_MIN_MS);
    for (int i = 0; i < 10; i++)
        vl_peer_on_bad(p, 30000, 1000, "again");
    VL_CHECK(vl_peer_retry_at(p) == 31000 && vl_peer_backoff(p) == 1000);
    vl_peer_on_refused(p, 40000, 1000);
    VL_CHECK(vl_peer_state(p) == VL_PS_REFUSED);
    VL_CHECK(strcmp(vl_peer_info(p)->state, "refused") == 0);
    vl_peer_set_link(p, NULL, 41000);
    vl_peer_on_up(p, 41000);
    VL_CHECK_RC(vl_peer_on_hello(p, &ours, &ours, 41000, &todo, NULL), VL_OK);
    VL_CHECK(todo == VL_PEER_DO_HELLO);
    vl_peer_contact(p, 41000 + VL_PEER_HEALTHY_MS);
    VL_CHECK(vl_peer_backoff(p) == VL_PEER_BACKOFF_MIN_MS);
    VL_CHECK(vl_peer_info(p)->last_error[0] == '\0');
    vl_peer_on_down(p, 80000);
    VL_CHECK(vl_peer_state(p) == VL_PS_CONNECTING && vl_peer_identified(p));
    /* (link is NULL in this test, so never stalled) */
    VL_CHECK(!vl_peer_link_stalled(p, 999999, 1, 1));
    VL_CHECK(!vl_peer_link_unanswered(p, 999999, 1));
    vl_peer_on_revoked(p, "not a node of policy version 3");
    VL_CHECK(vl_peer_state(p) == VL_PS_REVOKED && !vl_peer_sendable(p) && !vl_peer_identified(p));
    VL_CHECK(strcmp(vl_peer_info(p)->state, "revoked") == 0);
    vl_peer_on_down(p, 90000);
    VL_CHECK(vl_peer_state(p) == VL_PS_REVOKED);
    uint8_t pk2[VL_PK_LEN];
    memset(pk2, 0x43, sizeof pk2);
    vl_peer_set_key(p, pk2, "node-y");
    VL_CHECK(vl_peer_state(p) == VL_PS_CONNECTING && memcmp(vl_peer_pk(p), pk2, VL_PK_LEN) == 0);
    VL_CHECK(strstr(vl_peer_label(p), "node-y") != NULL && !vl_peer_identified(p));
    VL_CHECK(memcmp(vl_peer_info(p)->pk, pk2, VL_PK_LEN) == 0);
    vl_peer_destroy(&p);
    vl_peer_destroy(&p);

    /* In sessions: identified by routing id; addr in:<kid>. */
    uint8_t rid[5] = { 0, 1, 2, 3, 4 };
    p = vl_peer_new_in(rid, sizeof rid, pk, "", 5);
    VL_CHECK(p && vl_peer_state(p) == VL_PS_OPEN && vl_peer_hello_due(p, 5));
    VL_CHECK(p && strncmp(vl_peer_addr(p), "in:", 3) == 0 && strlen(vl_peer_addr(p)) == 19);
    VL_CHECK(p && vl_peer_rid_eq(p, rid, 5) && !vl_peer_rid_eq(p, rid, 4));
    vl_peer_destroy(&p);
    uint8_t longrid[300] = { 0 };
    VL_CHECK(vl_peer_new_in(longrid, sizeof longrid, pk, "", 5) == NULL);
    if (verbose)
        printf("peer: ok\n");
    return VL_TEST_END;
}
