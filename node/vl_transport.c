/* SPDX-License-Identifier: MIT */
/*
 * vl_transport - ZeroMQ context, ZAP gate, CURVE ROUTER and DEALER links
 * (see vl_transport.h for the invariants).
 *
 * This is the only file of valise that calls libzmq. It translates zmq
 * errors into VL_E* codes at the boundary and never interprets a payload:
 * frames are passed up as bytes for vl_msg to decode.
 */
#include "vl_transport.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "vl_limits.h"
#include "vl_log.h"

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* Most frames in a ZAP request we look at (CURVE sends 7). */
#define S_ZAP_FRAMES 8
/* Longest peer address shown in a log line. */
#define S_ADDR_MAX 64

/* One admitted key. */
typedef struct {
    uint8_t x[32];            /* X25519 transport key (what ZAP sees) */
    char user_id[2 * VL_PK_LEN + 1]; /* hex Ed25519 node key (what we hand out) */
    char kid[2 * VL_KID_LEN + 1];    /* its key id, for log lines */
} s_allow_t;

/* Structure of our class */
struct vl_transport {
    void *ctx;                       /* the ZeroMQ context */
    void *zap;                       /* REP on inproc://zeromq.zap.01 */
    void *router;                    /* CURVE server, or NULL before listen */
    uint8_t xpk[32];                 /* our X25519 public key */
    uint8_t *xsk;                    /* our X25519 secret key, sodium_malloc'd */
    s_allow_t *allow;                /* admitted keys: the policy's nodes */
    size_t nallow;
    char endpoint[256];              /* bound endpoint, "" if none */
    zmq_msg_t rx_rid;                /* last received routing id */
    zmq_msg_t rx_data;               /* last received payload (borrowed out) */
    bool rx_live;                    /* rx_* hold messages to close */
    unsigned mon_seq;                /* makes monitor endpoints unique */
    uint64_t admitted;               /* ZAP 200 answers */
    uint64_t refused;                /* ZAP 400 answers */
    char last_key[2 * 32 + 1];       /* hex X25519 key of the last refused client */
    char last_addr[S_ADDR_MAX + 1];  /* its address */
    uint64_t last_log_ms;            /* refusal log rate limit */
    uint64_t suppressed;             /* refusals not logged since */
    bool probe_active;               /* a self-check is running */
    uint8_t probe_x[32];             /* the self-check's throwaway key */
    bool probe_refused;              /* ZAP refused the probe */
    bool probe_admitted;             /* ZAP admitted the probe (must not happen) */
    uint32_t quiet_ms;               /* links opened from now on: the quiet limit */
};

/* Structure of our class */
struct vl_link {
    void *sock;                      /* the DEALER */
    void *mon;                       /* PAIR connected to its monitor */
    zmq_msg_t rx;                    /* last received frame (borrowed out) */
    bool rx_live;                    /* rx holds a message to close */
};

static int
s_zerr(char *err, const char *what)
{
    return vl_err(err, VL_EIO, "%s: %s", what, zmq_strerror(zmq_errno()));
}

static int
s_setint(void *s, int opt, int v)
{
    return zmq_setsockopt(s, opt, &v, sizeof v);
}

/* ---- construction --------------------------------------------------------------- */

/* Collects the node keys of a policy (vl_policy_members_each callback). */
typedef struct {
    s_allow_t *allow;                /* VL_MAX_NODES slots */
    size_t n;
    bool too_many;
} s_allow_ctx_t;

static void
s_allow_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_allow_ctx_t *c = ctx;
    if (!(roles & VL_ROLE_NODE))
        return;
    if (c->n >= VL_MAX_NODES) {
        c->too_many = true;
        return;
    }
    s_allow_t *a = &c->allow[c->n];
    if (vl_pk_x25519(pk, a->x) != VL_OK) {
        /* The policy parser accepted it, but it cannot be a transport key:
         * leave it out (it can never connect). */
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(pk, kid);
        vl_warn("policy node %s: key does not convert to a transport key; not admitted", kid);
        return;
    }
    vl_hex(pk, VL_PK_LEN, a->user_id);
    vl_kid(pk, a->kid);
    c->n++;
}

/* The allow-list of a policy: the X25519 forms of its node keys. */
static int
s_build_allow(const vl_policy_t *pol, s_allow_t **out, size_t *n, char *err)
{
    s_allow_ctx_t c = { .allow = calloc(VL_MAX_NODES, sizeof(s_allow_t)) };
    *out = NULL;
    *n = 0;
    if (!c.allow)
        return vl_err(err, VL_ENOMEM, "out of memory");
    vl_policy_members_each(pol, s_allow_cb, &c);
    if (c.too_many) {
        free(c.allow);
        return vl_err(err, VL_ELIMIT, "policy lists more than %u nodes", VL_MAX_NODES);
    }
    *out = c.allow;
    *n = c.n;
    return VL_OK;
}

int
vl_transport_new(const vl_policy_t *pol, const vl_keypair_t *kp, vl_transport_t **out,
                 char *err)
{
    int rc = VL_ENOMEM;
    vl_transport_t *t = NULL;

    assert(pol && kp && out);
    *out = NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->quiet_ms = VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS;
    t->xsk = vl_secure_alloc(32);
    if (!t->xsk)
        goto oom;
    if (vl_keypair_x25519(kp, t->xpk, t->xsk) != VL_OK) {
        rc = vl_err(err, VL_ECRYPTO, "the node key does not convert to a transport key");
        goto out;
    }
    /* The allow-list: every node of the policy (the only source of truth
     * for who may connect). */
    rc = s_build_allow(pol, &t->allow, &t->nallow, err);
    if (rc != VL_OK)
        goto out;

    t->ctx = zmq_ctx_new();
    if (!t->ctx) {
        rc = s_zerr(err, "zmq_ctx_new");
        goto out;
    }
    /* ZAP first, in this thread, before any CURVE socket exists. */
    t->zap = zmq_socket(t->ctx, ZMQ_REP);
    if (!t->zap) {
        rc = s_zerr(err, "zap socket");
        goto out;
    }
    s_setint(t->zap, ZMQ_LINGER, 0);
    if (zmq_bind(t->zap, S_ZAP_ENDPOINT) != 0) {
        rc = s_zerr(err, "bind " S_ZAP_ENDPOINT);
        goto out;
    }
    *out = t;
    t = NULL;
    rc = VL_OK;
    goto out;
oom:
    rc = vl_err(err, VL_ENOMEM, "out of memory");
out:
    vl_transport_destroy(&t);
    return rc;
}

int
vl_transport_set_nodes(vl_transport_t *self, const vl_policy_t *pol, char *err)
{
    assert(self && pol);
    s_allow_t *allow = NULL;
    size_t n = 0;
    int rc = s_build_allow(pol, &allow, &n, err);
    if (rc != VL_OK)
        return rc; /* the old list stays */
    free(self->allow);
    self->allow = allow;
    self->nallow = n;
    return VL_OK;
}

size_t
vl_transport_nodes(const vl_transport_t *self)
{
    assert(self);
    return self->nallow;
}

void
vl_transport_destroy(vl_transport_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_transport_t *self = *self_p;
        if (self->rx_live) {
            zmq_msg_close(&self->rx_rid);
            zmq_msg_close(&self->rx_data);
        }
        if (self->router) {
            s_setint(self->router, ZMQ_LINGER, 0);
            zmq_close(self->router);
        }
        if (self->zap)
            zmq_close(self->zap);
        if (self->ctx)
            zmq_ctx_term(self->ctx);
        vl_secure_free(&self->xsk);
        free(self->allow);
        sodium_memzero(self, sizeof *self);
        free(self);
        *self_p = NULL;
    }
}

/* Options every CURVE socket of ours shares. */
static int
s_common_opts(void *s)
{
    int64_t maxmsg = VL_MAX_FRAME;
    if (s_setint(s, ZMQ_LINGER, 0) != 0 || s_setint(s, ZMQ_SNDHWM, VL_TRANSPORT_HWM) != 0 ||
        s_setint(s, ZMQ_RCVHWM, VL_TRANSPORT_HWM) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        s_setint(s, ZMQ_HEARTBEAT_IVL, VL_TRANSPORT_HEARTBEAT_MS) != 0 ||
        s_setint(s, ZMQ_HEARTBEAT_TIMEOUT, VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS) != 0)
        return -1;
    return 0;
}

/* A link's heartbeat (vl_transport.h, vl_transport_set_quiet): a PING every
 * quiet limit (10 s at most), the connection closed when nothing came
 * within the quiet limit of one, and the peer told (the PING's TTL) to close
 * its end after two quiet limits without traffic. Read by libzmq when it
 * makes the connection. */
static int
s_link_heartbeat(const vl_transport_t *t, void *s)
{
    uint32_t ivl = t->quiet_ms < VL_TRANSPORT_HEARTBEAT_MS ? t->quiet_ms
                                                           : VL_TRANSPORT_HEARTBEAT_MS;
    uint32_t ttl = 2u * t->quiet_ms;
    if (ttl > VL_TRANSPORT_TTL_MAX_MS)
        ttl = VL_TRANSPORT_TTL_MAX_MS;
    ttl -= ttl % 100u; /* ZMTP carries it in tenths of a second */
    if (s_setint(s, ZMQ_HEARTBEAT_IVL, (int)ivl) != 0 ||
        s_setint(s, ZMQ_HEARTBEAT_TIMEOUT, (int)t->quiet_ms) != 0 ||
        s_setint(s, ZMQ_HEARTBEAT_TTL, (int)ttl) != 0)
        return -1;
    return 0;
}

void
vl_transport_set_quiet(vl_transport_t *self, uint32_t quiet_ms)
{
    assert(self);
    if (quiet_ms < VL_TRANSPORT_QUIET_MIN_MS)
        quiet_ms = VL_TRANSPORT_QUIET_MIN_MS;
    if (quiet_ms > VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS)
        quiet_ms = VL_TRANSPORT_HEARTBEAT_TIMEOUT_MS;
    self->quiet_ms = quiet_ms;
}

uint32_t
vl_transport_quiet(const vl_transport_t *self)
{
    assert(self);
    return self->quiet_ms;
}

static bool
s_ipv6(const char *endpoint)
{
    return strchr(endpoint, '[') != NULL;
}

int
vl_transport_listen(vl_transport_t *self, const char *endpoint, char *err)
{
    assert(self && endpoint && !self->router);
    int rc = VL_EIO;
    void *r = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!r)
        return s_zerr(err, "router socket");
    if (s_common_opts(r) != 0 || s_setint(r, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        s_setint(r, ZMQ_CURVE_SERVER, 1) != 0 ||
        zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, self->xsk, 32) != 0 ||
        zmq_setsockopt(r, ZMQ_ZAP_DOMAIN, VL_TRANSPORT_ZAP_DOMAIN,
                       strlen(VL_TRANSPORT_ZAP_DOMAIN)) != 0 ||
        (s_ipv6(endpoint) && s_setint(r, ZMQ_IPV6, 1) != 0)) {
        rc = s_zerr(err, "router options");
        goto out;
    }
    if (zmq_bind(r, endpoint) != 0) {
        rc = vl_err(err, VL_EIO, "cannot listen on %s: %s", endpoint, zmq_strerror(zmq_errno()));
        goto out;
    }
    size_t n = sizeof self->endpoint;
    if (zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, self->endpoint, &n) != 0)
        snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->endpoint[sizeof self->endpoint - 1] = '\0';
    self->router = r;
    r = NULL;
    rc = VL_OK;
out:
    if (r)
        zmq_close(r);
    return rc;
}

const char *
vl_transport_endpoint(const vl_transport_t *self)
{
    assert(self);
    return self->endpoint;
}

void *
vl_transport_zap_socket(const vl_transport_t *self)
{
    assert(self);
    return self->zap;
}

void *
vl_transport_router_socket(const vl_transport_t *self)
{
    assert(self);
    return self->router;
}

/* ---- ZAP ------------------------------------------------------------------------ */

static void
s_printable(char *dst, size_t n, const void *src, size_t len)
{
    const unsigned char *p = src;
    size_t i = 0;
    for (; i < len && i + 1 < n; i++)
        dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[i] = '\0';
}

static bool
s_frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

static void
s_zap_reply(void *zap, zmq_msg_t *reqid, bool have_reqid, const char *status,
            const char *text, const char *user_id)
{
    const char *ver = "1.0";
    zmq_send(zap, ver, strlen(ver), ZMQ_SNDMORE);
    if (have_reqid)
        zmq_send(zap, zmq_msg_data(reqid), zmq_msg_size(reqid), ZMQ_SNDMORE);
    else
        zmq_send(zap, "", 0, ZMQ_SNDMORE);
    zmq_send(zap, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(zap, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
}

/* Handle one request; returns false when none was waiting. */
static bool
s_zap_one(vl_transport_t *self)
{
    zmq_msg_t f[S_ZAP_FRAMES];
    size_t nf = 0, extra = 0;
    int more = 0;
    size_t ms = sizeof more;

    zmq_msg_init(&f[0]);
    if (zmq_msg_recv(&f[0], self->zap, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&f[0]);
        return false;
    }
    nf = 1;
    /* The rest of a multipart message is already here (atomic delivery). */
    while (zmq_getsockopt(self->zap, ZMQ_RCVMORE, &more, &ms) == 0 && more) {
        zmq_msg_t *m = nf < S_ZAP_FRAMES ? &f[nf] : NULL;
        zmq_msg_t junk;
        if (!m)
            m = &junk;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->zap, 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        if (m == &junk) {
            zmq_msg_close(&junk);
            extra++;
        } else {
            nf++;
        }
    }

    const char *status = "400", *text = "not a node of this network";
    const char *user_id = "", *kid = "";
    char keyhex[2 * 32 + 1] = "", addr[S_ADDR_MAX + 1] = "";
    bool key_ok = false;
    /* 0 version, 1 request id, 2 domain, 3 address, 4 routing id,
     * 5 mechanism, 6 client key. */
    if (nf != 7 || extra || !s_frame_is(&f[0], "1.0") ||
        !s_frame_is(&f[2], VL_TRANSPORT_ZAP_DOMAIN) || !s_frame_is(&f[5], "CURVE") ||
        zmq_msg_size(&f[6]) != 32) {
        text = "malformed ZAP request";
    } else {
        const uint8_t *key = zmq_msg_data(&f[6]);
        key_ok = true;
        vl_hex(key, 32, keyhex);
        s_printable(addr, sizeof addr, zmq_msg_data(&f[3]), zmq_msg_size(&f[3]));
        for (size_t i = 0; i < self->nallow; i++)
            if (sodium_memcmp(key, self->allow[i].x, 32) == 0) {
                status = "200";
                text = "OK";
                user_id = self->allow[i].user_id;
                kid = self->allow[i].kid;
                break;
            }
        if (self->probe_active && sodium_memcmp(key, self->probe_x, 32) == 0) {
            if (status[0] == '2')
                self->probe_admitted = true;
            else
                self->probe_refused = true;
        }
    }
    s_zap_reply(self->zap, nf > 1 ? &f[1] : NULL, nf > 1, status, text, user_id);

    if (status[0] == '2') {
        self->admitted++;
        vl_debug("zap: admitted node %s from %s", kid, addr);
    } else if (self->probe_active && self->probe_refused && key_ok &&
               sodium_memcmp(zmq_msg_data(&f[6]), self->probe_x, 32) == 0) {
        vl_debug("zap: refused the self-check probe, as it must");
    } else {
        self->refused++;
        snprintf(self->last_key, sizeof self->last_key, "%s", key_ok ? keyhex : "?");
        snprintf(self->last_addr, sizeof self->last_addr, "%s", addr);
        /* At most one line a second, so that a scanner cannot flood the log. */
        uint64_t now = vl_clock_ms();
        if (now - self->last_log_ms >= 1000 || self->last_log_ms == 0) {
            vl_warn("zap: refused client key %s from %s: %s (%llu refused so far, %llu not "
                    "logged)", key_ok ? keyhex : "?", addr[0] ? addr : "?", text,
                    (unsigned long long)self->refused, (unsigned long long)self->suppressed);
            self->last_log_ms = now;
            self->suppressed = 0;
        } else {
            self->suppressed++;
        }
    }
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return true;
}

int
vl_transport_zap_handle(vl_transport_t *self)
{
    assert(self);
    int n = 0;
    /* Bounded so that a burst of handshakes cannot starve the loop. */
    while (n < 256 && s_zap_one(self))
        n++;
    return n;
}

uint64_t
vl_transport_refused(const vl_transport_t *self, const char **last_key,
                     const char **last_addr)
{
    assert(self);
    if (last_key)
        *last_key = self->last_key;
    if (last_addr)
        *last_addr = self->last_addr;
    return self->refused;
}

/* ---- ROUTER --------------------------------------------------------------------- */

static void
s_rx_release(vl_transport_t *self)
{
    if (self->rx_live) {
        zmq_msg_close(&self->rx_rid);
        zmq_msg_close(&self->rx_data);
        self->rx_live = false;
    }
}

/* Drain the remaining parts of a message; returns how many there were. */
static size_t
s_drain(void *s)
{
    size_t n = 0;
    int more = 0;
    size_t ms = sizeof more;
    while (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ms) == 0 && more) {
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        if (zmq_msg_recv(&junk, s, 0) < 0) {
            zmq_msg_close(&junk);
            break;
        }
        zmq_msg_close(&junk);
        n++;
    }
    return n;
}

int
vl_transport_router_recv(vl_transport_t *self, vl_rx_t *rx)
{
    assert(self && rx);
    memset(rx, 0, sizeof *rx);
    s_rx_release(self);
    if (!self->router)
        return VL_EAGAIN;
    zmq_msg_init(&self->rx_rid);
    zmq_msg_init(&self->rx_data);
    self->rx_live = true;
    if (zmq_msg_recv(&self->rx_rid, self->router, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        s_rx_release(self);
        return e == EAGAIN || e == EINTR ? VL_EAGAIN : VL_EIO;
    }
    size_t rl = zmq_msg_size(&self->rx_rid);
    if (rl == 0 || rl > sizeof rx->rid) {
        s_drain(self->router);
        s_rx_release(self);
        return VL_EPROTO;
    }
    memcpy(rx->rid, zmq_msg_data(&self->rx_rid), rl);
    rx->rid_len = rl;
    int more = 0;
    size_t ms = sizeof more;
    if (zmq_getsockopt(self->router, ZMQ_RCVMORE, &more, &ms) != 0 || !more ||
        zmq_msg_recv(&self->rx_data, self->router, 0) < 0) {
        s_rx_release(self);
        return VL_EPROTO;
    }
    const char *uid = zmq_msg_gets(&self->rx_data, "User-Id");
    if (uid && vl_unhex(uid, rx->pk, VL_PK_LEN) == VL_OK)
        rx->has_pk = true;
    if (s_drain(self->router) > 0 || !rx->has_pk) {
        s_rx_release(self);
        return VL_EPROTO;
    }
    rx->data = zmq_msg_data(&self->rx_data);
    rx->len = zmq_msg_size(&self->rx_data);
    return VL_OK;
}

int
vl_transport_router_send(vl_transport_t *self, const uint8_t *rid, size_t rid_len,
                         const uint8_t *buf, size_t len)
{
    assert(self && rid && buf);
    if (!self->router)
        return VL_ENOTFOUND;
    if (zmq_send(self->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        return e == EHOSTUNREACH ? VL_ENOTFOUND : e == EAGAIN ? VL_EAGAIN : VL_EIO;
    }
    /* After the routing id is accepted the payload part always goes through
     * (libzmq queues whole messages). */
    if (zmq_send(self->router, buf, len, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        return e == EAGAIN ? VL_EAGAIN : VL_EIO;
    }
    return VL_OK;
}

/* ---- links ---------------------------------------------------------------------- */

/* A DEALER with a monitor, authenticating the server as server_x and
 * presenting (cpk, csk). */
static int
s_link_new(vl_transport_t *t, const char *addr, const uint8_t server_x[32],
           const uint8_t cpk[32], const uint8_t csk[32], uint32_t reconnect_max_ms,
           vl_link_t **out, char *err)
{
    int rc = VL_EIO;
    vl_link_t *l = calloc(1, sizeof *l);
    char mon_ep[64];
    if (!l)
        return vl_err(err, VL_ENOMEM, "out of memory");
    l->sock = zmq_socket(t->ctx, ZMQ_DEALER);
    if (!l->sock) {
        rc = s_zerr(err, "dealer socket");
        goto out;
    }
    if (s_common_opts(l->sock) != 0 || s_link_heartbeat(t, l->sock) != 0 || s_setint(l->sock, ZMQ_IMMEDIATE, 1) != 0 ||
        s_setint(l->sock, ZMQ_RECONNECT_IVL, 100) != 0 ||
        s_setint(l->sock, ZMQ_RECONNECT_IVL_MAX, (int)reconnect_max_ms) != 0 ||
        zmq_setsockopt(l->sock, ZMQ_CURVE_SERVERKEY, server_x, 32) != 0 ||
        zmq_setsockopt(l->sock, ZMQ_CURVE_PUBLICKEY, cpk, 32) != 0 ||
        zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, csk, 32) != 0 ||
        (s_ipv6(addr) && s_setint(l->sock, ZMQ_IPV6, 1) != 0)) {
        rc = s_zerr(err, "dealer options");
        goto out;
    }
    snprintf(mon_ep, sizeof mon_ep, "inproc://vl-monitor-%u", t->mon_seq++);
    if (zmq_socket_monitor(l->sock, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED |
                               ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECTED) != 0) {
        rc = s_zerr(err, "socket monitor");
        goto out;
    }
    l->mon = zmq_socket(t->ctx, ZMQ_PAIR);
    if (!l->mon || s_setint(l->mon, ZMQ_LINGER, 0) != 0 || zmq_connect(l->mon, mon_ep) != 0) {
        rc = s_zerr(err, "monitor pair");
        goto out;
    }
    if (zmq_connect(l->sock, addr) != 0) {
        rc = vl_err(err, VL_EIO, "cannot connect to %s: %s", addr, zmq_strerror(zmq_errno()));
        goto out;
    }
    *out = l;
    l = NULL;
    rc = VL_OK;
out:
    vl_link_destroy(&l, 0);
    return rc;
}

int
vl_link_open(vl_transport_t *t, const char *addr, const uint8_t peer_pk[VL_PK_LEN],
             uint32_t reconnect_max_ms, vl_link_t **out, char *err)
{
    uint8_t server_x[32];
    assert(t && addr && peer_pk && out);
    *out = NULL;
    if (vl_pk_x25519(peer_pk, server_x) != VL_OK)
        return vl_err(err, VL_ECRYPTO, "peer key does not convert to a transport key");
    return s_link_new(t, addr, server_x, t->xpk, t->xsk, reconnect_max_ms, out, err);
}

void
vl_link_destroy(vl_link_t **self_p, int linger_ms)
{
    assert(self_p);
    if (*self_p) {
        vl_link_t *self = *self_p;
        if (self->rx_live)
            zmq_msg_close(&self->rx);
        if (self->sock) {
            zmq_socket_monitor(self->sock, NULL, 0);
            s_setint(self->sock, ZMQ_LINGER, linger_ms < 0 ? 0 : linger_ms);
            zmq_close(self->sock);
        }
        if (self->mon)
            zmq_close(self->mon);
        free(self);
        *self_p = NULL;
    }
}

void *
vl_link_socket(const vl_link_t *self)
{
    assert(self);
    return self->sock;
}

void *
vl_link_monitor_socket(const vl_link_t *self)
{
    assert(self);
    return self->mon;
}

int
vl_link_send(vl_link_t *self, const uint8_t *buf, size_t len)
{
    assert(self && buf);
    if (zmq_send(self->sock, buf, len, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        return e == EAGAIN ? VL_EAGAIN : VL_EIO;
    }
    return VL_OK;
}

int
vl_link_recv(vl_link_t *self, const uint8_t **data, size_t *len)
{
    assert(self && data && len);
    *data = NULL;
    *len = 0;
    if (self->rx_live)
        zmq_msg_close(&self->rx);
    zmq_msg_init(&self->rx);
    self->rx_live = true;
    if (zmq_msg_recv(&self->rx, self->sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&self->rx);
        self->rx_live = false;
        return e == EAGAIN || e == EINTR ? VL_EAGAIN : VL_EIO;
    }
    if (s_drain(self->sock) > 0) {
        zmq_msg_close(&self->rx);
        self->rx_live = false;
        return VL_EPROTO;
    }
    *data = zmq_msg_data(&self->rx);
    *len = zmq_msg_size(&self->rx);
    return VL_OK;
}

int
vl_link_event(vl_link_t *self, vl_link_event_t *ev, uint32_t *value)
{
    assert(self && ev && value);
    *ev = VL_LINK_NONE;
    *value = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, self->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return VL_EAGAIN;
    }
    /* Frame 1: u16 event + u32 value (native order); frame 2: the endpoint. */
    uint16_t id = 0;
    uint32_t v = 0;
    if (zmq_msg_size(&m) >= 6) {
        memcpy(&id, zmq_msg_data(&m), 2);
        memcpy(&v, (const uint8_t *)zmq_msg_data(&m) + 2, 4);
    }
    zmq_msg_close(&m);
    s_drain(self->mon);
    switch (id) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:       *ev = VL_LINK_UP; break;
    case ZMQ_EVENT_DISCONNECTED:              *ev = VL_LINK_DOWN; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:     *ev = VL_LINK_REFUSED; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: *ev = VL_LINK_HANDSHAKE_FAILED; break;
    case ZMQ_EVENT_CONNECT_RETRIED:           *ev = VL_LINK_RETRY; break;
    case ZMQ_EVENT_CONNECT_DELAYED:
    case ZMQ_EVENT_CONNECTED:                 *ev = VL_LINK_TRYING; break;
    default:                                  *ev = VL_LINK_NONE; break;
    }
    *value = v;
    return VL_OK;
}

const char *
vl_link_event_name(vl_link_event_t ev)
{
    switch (ev) {
    case VL_LINK_UP: return "handshake succeeded";
    case VL_LINK_DOWN: return "disconnected";
    case VL_LINK_REFUSED: return "refused by the peer's ZAP";
    case VL_LINK_HANDSHAKE_FAILED: return "handshake failed";
    case VL_LINK_RETRY: return "connect retried";
    case VL_LINK_TRYING: return "connecting";
    default: return "none";
    }
}

/* ---- self-check ------------------------------------------------------------------- */

/* The address a local client uses to reach our bound endpoint. */
static void
s_local_endpoint(const char *bound, char *out, size_t n)
{
    if (strncmp(bound, "tcp://0.0.0.0:", 14) == 0)
        snprintf(out, n, "tcp://127.0.0.1:%s", bound + 14);
    else if (strncmp(bound, "tcp://[::]:", 11) == 0)
        snprintf(out, n, "tcp://[::1]:%s", bound + 11);
    else
        snprintf(out, n, "%s", bound);
}

int
vl_transport_selfcheck(vl_transport_t *self, int timeout_ms, char *err)
{
    int rc = VL_EAGAIN;
    vl_link_t *probe = NULL;
    uint8_t ppk[32];
    uint8_t *psk = NULL;
    char ep[sizeof self->endpoint];

    assert(self);
    if (!self->router)
        return vl_err(err, VL_EINVAL, "self-check needs a bound ROUTER");
    psk = vl_secure_alloc(32);
    if (!psk)
        return vl_err(err, VL_ENOMEM, "out of secure memory");
    crypto_box_keypair(ppk, psk);
    memcpy(self->probe_x, ppk, 32);
    self->probe_active = true;
    self->probe_refused = self->probe_admitted = false;
    s_local_endpoint(self->endpoint, ep, sizeof ep);
    rc = s_link_new(self, ep, self->xpk, ppk, psk, 1000, &probe, err);
    if (rc != VL_OK)
        goto out;
    uint64_t deadline = vl_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1);
    bool refused_event = false;
    rc = VL_EAGAIN;
    while (vl_clock_ms() < deadline) {
        zmq_pollitem_t items[2] = {
            { self->zap, 0, ZMQ_POLLIN, 0 },
            { probe->mon, 0, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll(items, 2, 50) < 0 && zmq_errno() != EINTR) {
            rc = s_zerr(err, "self-check poll");
            goto out;
        }
        vl_transport_zap_handle(self);
        vl_link_event_t ev;
        uint32_t v;
        while (vl_link_event(probe, &ev, &v) == VL_OK) {
            if (ev == VL_LINK_UP) {
                rc = vl_err(err, VL_EAUTH,
                            "self-check: a client with a random key was ADMITTED by %s; "
                            "the ZAP gate is open", self->endpoint);
                goto out;
            }
            if (ev == VL_LINK_REFUSED)
                refused_event = true;
        }
        if (self->probe_admitted) {
            rc = vl_err(err, VL_EAUTH, "self-check: ZAP admitted a random key");
            goto out;
        }
        if (refused_event && self->probe_refused) {
            rc = VL_OK;
            goto out;
        }
    }
    rc = vl_err(err, VL_EAGAIN,
                "self-check: no ZAP verdict for a probe connection to %s within %d ms "
                "(ZAP %s, client %s)", ep, timeout_ms,
                self->probe_refused ? "refused it" : "saw nothing",
                refused_event ? "saw the refusal" : "saw nothing");
out:
    vl_link_destroy(&probe, 0);
    self->probe_active = false;
    sodium_memzero(self->probe_x, sizeof self->probe_x);
    vl_secure_free(&psk);
    return rc;
}
