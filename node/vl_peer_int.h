/* SPDX-License-Identifier: MIT */
/*
 * vl_peer_int - the session struct, private to vl_peer.c and its self-test
 * (tests/node/test_peer.c, which resets a session's identity the way a new
 * connection would). Everything else uses the functions of vl_peer.h.
 */
#ifndef VL_PEER_INT_H
#define VL_PEER_INT_H

#include "vl_peer.h"

/* One session. */
struct vl_peer {
    vl_peer_dir_t dir;            /* out (our DEALER) or in (our ROUTER) */
    vl_peer_state_t state;        /* see the diagram in vl_peer.h */
    uint8_t pk[VL_PK_LEN];        /* the peer's node key */
    char kid[2 * VL_KID_LEN + 1]; /* its key id */
    char name[VL_MAX_NAME + 1];   /* its node name in the policy, may be "" */
    char label[320];              /* "<addr> <kid> (name)" for log lines */
    vl_link_t *link;              /* out: the DEALER, NULL while closed */
    uint8_t rid[256];             /* in: routing id */
    size_t rid_len;
    bool hello_sent;              /* we said hello on this connection */
    bool identified;              /* the peer said a valid hello */
    vl_hello_t theirs;            /* its last summary */
    uint64_t pull_from;           /* from of the outstanding get, 0 none */
    uint64_t pull_deadline;       /* give up waiting for entries then */
    uint64_t next_hello;          /* periodic hello due (monotonic ms) */
    uint64_t last_rx;             /* last valid message (monotonic ms) */
    uint64_t healthy_since;       /* connection up and valid since, 0 = not */
    uint32_t backoff_ms;          /* next back-off */
    uint64_t retry_at;            /* BAD/REFUSED: reconnect after */
    uint64_t last_have;           /* last `have` sent (rate limit) */
    uint64_t last_have_in;        /* last `have` of the peer answered (rate limit) */
    uint64_t probe_seq;           /* outstanding fork probe get(seq, 1), 0 none */
    uint64_t probe_deadline;      /* give up waiting for its answer then */
    bool probe_chain;             /* it follows a batch that did not chain */
    char probe_why[VL_ERRMSG_MAX];/* blame if their entry turns out to be ours */
    uint64_t checked_seq;         /* last announced head found on our chain */
    uint8_t checked_head[VL_HASH_LEN];
    bool hold;                    /* no pull while (hold_seq, hold_pv) hold */
    uint64_t hold_seq, hold_pv;
    uint64_t push_val[VL_PEER_PUSH_KINDS]; /* what was last pushed, per kind */
    uint64_t push_at[VL_PEER_PUSH_KINDS];  /* and when (monotonic ms, 0 never) */
    bool gone;                    /* in: to be freed at the next reap */
    uint64_t link_event_at;       /* out: last monitor event (or link creation) */
    bool link_down;               /* out: that event was a disconnect */
    bool link_trying;             /* out: ... or a connect under way (or the creation) */
    unsigned renewed;             /* out: links re-created since the last handshake */
    vl_peer_info_t info;          /* the persisted status record */
    bool info_dirty;              /* info changed since it was saved */
    bool contact_dirty;           /* only info.last_contact changed */
    uint64_t info_saved;          /* when it was last saved */
};

#endif
