/* SPDX-License-Identifier: MIT */
/*
 * vl_rawpeer - a hostile (or merely odd) peer for the federation tests.
 *
 * It speaks to a running valise-node over the real transport: a CurveZMQ
 * DEALER authenticated with a node key of the network, so it passes the ZAP
 * gate, and then sends whatever the test asks for: garbage, truncated and
 * oversized frames, floods, `entries` with forged signatures or a broken
 * chain, replays, and it disappears in the middle of a pull. It prints what
 * it sees (messages, socket events) so that the test can also check the
 * node's answer; the verdict on the node (alive, store unchanged, peer
 * dropped and counted) is the test script's.
 *
 *   vl_rawpeer x25519 PUBFILE
 *   vl_rawpeer mkfork --store DIR --key MEMBER.key --author AUTH.key
 *                     --approver A.key --approver B.key --count N --tag TAG [--fat]
 *   vl_rawpeer append --from DIR:A-B --store DIR --key MEMBER.key
 *   vl_rawpeer --connect ADDR --server NODE.pub --key NODE.key --genesis FILE
 *              [--timeout MS] ACTION [ARGS]
 *
 * Actions (all but garbage-first start with a valid `hello`):
 *   hello                    the handshake and a hello; prints the node's hello
 *   garbage-first            64 random bytes before any hello
 *   garbage                  64 random bytes
 *   truncated                the first half of a valid hello
 *   oversized                one frame of VL_MAX_FRAME + 1 bytes
 *   flood N                  N frames of 100 random bytes, back to back
 *   entries SRC... [--flip I] [--claim SEQ]
 *                            claim a head of SEQ (default: the node's + the
 *                            number of entries), wait for the node's `get`
 *                            and answer it with the entries SRC (DIR:A-B,
 *                            read from a store; several SRC are concatenated),
 *                            entry I (0-based) with one signature byte flipped
 *   unsolicited SRC...       send `entries` from the first SRC seq without a get
 *   replay-props DIR:SEQ     send the proposal settled by entry SEQ in `props`
 *   vanish                   claim a higher head, wait for the `get`, exit
 *   stall SECS               claim a higher head, never answer the `get`
 *   send policies FILE...    a `policies` message with these documents
 *   send fresh FILE          a `fresh` message with this statement
 *   send evidence SRC SRC    an `evidence` message with these two entries
 *                            (SRC = DIR:SEQ); each send takes --flip I: flip the
 *                            last byte of item I (a signature byte)
 *
 * mkfork makes N approved entries directly in a store (a scratch copy of a
 * node's store): new MU records TAG-1..TAG-N, proposed by AUTH and approved
 * by A and B, through the store library (fast; one txn each). --fat makes
 * records of ~56 KB that do not compress below ~42 KB (a sync then needs
 * many messages). Each entry costs three
 * durable commits, so make them in a copy on tmpfs and `append` them to the
 * real store in a few transactions.
 *
 * Passphrases come from $VALISE_PASSPHRASE. Exit status: 0 done, 1 error,
 * 2 usage, 3 the node refused our key at the handshake, 4 no handshake,
 * 5 no hello (or get) from the node in time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_keyfile.h"
#include "vl_limits.h"
#include "vl_msg.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_store.h"
#include "vl_testnet.h"

#define S_MAX_SRC_ENTRIES VL_SYNC_BATCH

static int s_timeout_ms = 10000;

static uint64_t
s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
s_die(const char *what, int rc, const char *err)
{
    fprintf(stderr, "vl_rawpeer: %s: %s%s%s\n", what, vl_strerror(rc), err && *err ? ": " : "",
            err ? err : "");
    return 1;
}

static int
s_load_key(const char *path, vl_keypair_t **kp)
{
    char err[VL_ERRMSG_MAX] = "";
    char *pass = NULL;
    size_t passlen = 0;
    int rc = vl_passphrase_get(NULL, "VALISE_PASSPHRASE", NULL, &pass, &passlen, err);
    if (rc == VL_OK)
        rc = vl_keyfile_read(path, pass, passlen, kp, err);
    vl_secure_free(&pass);
    if (rc != VL_OK)
        s_die(path, rc, err);
    return rc;
}

/* ---- x25519 ------------------------------------------------------------------------ */

static int
s_x25519(const char *pubfile)
{
    uint8_t pk[VL_PK_LEN], x[32];
    char err[VL_ERRMSG_MAX] = "", hex[65];
    int rc = vl_pubfile_read(pubfile, pk, NULL, err);
    if (rc != VL_OK)
        return s_die(pubfile, rc, err);
    if (vl_pk_x25519(pk, x) != VL_OK)
        return s_die(pubfile, VL_ECRYPTO, "does not convert");
    vl_hex(x, 32, hex);
    printf("%s\n", hex);
    return 0;
}

/* ---- mkfork -------------------------------------------------------------------------- */

/* An MU authority record of about 56 KB (four long comments) that stays
 * about 42 KB after compression (proposal format 2 compresses the bodies):
 * each comment is its own pseudo-random text of 64 symbols (6 bits a byte),
 * so that a sync needs many `entries` messages for few entries. */
static int
s_fat_record(const char *id, const char *phone, uint8_t **body, size_t *len, char *err)
{
    enum { S_TEXT = 14000, S_LANGS = 4 };
    static const char sym[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .";
    size_t cap = S_LANGS * S_TEXT + 1024;
    char *json = malloc(cap);
    char *text[S_LANGS] = { NULL };
    int rc = VL_ENOMEM;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (const char *p = id; *p; p++)
        x = (x ^ (uint8_t)*p) * 0x100000001b3ull;
    for (int l = 0; l < S_LANGS; l++) {
        if (!(text[l] = malloc(S_TEXT + 1)))
            goto out;
        for (size_t i = 0; i < S_TEXT; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text[l][i] = sym[(x >> 20) & 63];
        }
        text[l][S_TEXT] = '\0';
    }
    if (json) {
        snprintf(json, cap,
                 "{\"kind\":\"authority\",\"id\":\"%s\",\"state\":\"MU\","
                 "\"name\":{\"en\":\"Central authority %s\"},"
                 "\"functions\":[\"mla\"],\"legal_bases\":[\"UNTOC-18\"],"
                 "\"contact\":{\"address\":{\"en\":\"1 Example Street\"},\"phones\":[\"%s\"]},"
                 "\"languages\":[\"en\"],"
                 "\"interpol\":true,\"untoc_16_5\":false,"
                 "\"comments\":{\"en\":\"%s\",\"es\":\"%s\",\"fr\":\"%s\",\"ru\":\"%s\"}}",
                 id, id, phone, text[0], text[1], text[2], text[3]);
        rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    }
out:
    free(json);
    for (int l = 0; l < S_LANGS; l++)
        free(text[l]);
    return rc;
}

static int
s_mkfork(int argc, char **argv)
{
    const char *dir = NULL, *keyp = NULL, *authp = NULL, *ap[2] = { NULL, NULL }, *tag = "F";
    size_t count = 1, na = 0;
    bool fat = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            keyp = argv[++i];
        else if (strcmp(argv[i], "--author") == 0 && i + 1 < argc)
            authp = argv[++i];
        else if (strcmp(argv[i], "--approver") == 0 && i + 1 < argc && na < 2)
            ap[na++] = argv[++i];
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc)
            tag = argv[++i];
        else if (strcmp(argv[i], "--fat") == 0)
            fat = true;
        else {
            fprintf(stderr, "vl_rawpeer mkfork: bad argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!dir || !keyp || !authp || na != 2 || count == 0) {
        fprintf(stderr, "vl_rawpeer mkfork: --store, --key, --author, two --approver, --count\n");
        return 2;
    }
    int ret = 1, rc;
    char err[VL_ERRMSG_MAX] = "";
    vl_keypair_t *kp = NULL, *author = NULL, *a[2] = { NULL, NULL };
    vl_store_t *st = NULL;
    uint8_t ckey[VL_KEY_LEN];
    if (s_load_key(keyp, &kp) || s_load_key(authp, &author) || s_load_key(ap[0], &a[0]) ||
        s_load_key(ap[1], &a[1]))
        goto out;
    if ((rc = vl_store_open(dir, kp, 0, &st, err)) != VL_OK) {
        s_die(dir, rc, err);
        goto out;
    }
    const vl_policy_t *pol = vl_store_policy(st);
    if ((rc = vl_policy_content_key(pol, vl_policy_epoch(pol), kp, ckey)) != VL_OK) {
        s_die("content key", rc, NULL);
        goto out;
    }
    for (size_t i = 1; i <= count; i++) {
        char id[VL_MAX_ID + 1], phone[32];
        uint8_t *body = NULL, *prop = NULL, pid[VL_HASH_LEN];
        size_t blen = 0, plen = 0, nsigs = 0;
        uint64_t seq = 0;
        vl_record_t *rec = NULL;
        vl_op_t op;
        snprintf(id, sizeof id, "MU-%s-%zu", tag, i);
        snprintf(phone, sizeof phone, "+230 5559 %04zu", i % 10000);
        err[0] = '\0';
        if (fat)
            rc = s_fat_record(id, phone, &body, &blen, err);
        else
            rc = vl_testnet_authority(id, "MU", phone, &body, &blen);
        if (rc == VL_OK)
            rc = vl_record_parse(body, blen, &rec, err);
        if (rc == VL_OK)
            rc = vl_op_from_record(&op, rec, 0);
        const uint8_t *bodies[1] = { body };
        size_t lens[1] = { blen };
        if (rc == VL_OK)
            rc = vl_proposal_make(pol, author, ckey, (uint64_t)time(NULL), &op, bodies, lens, 1,
                                  &prop, &plen, err);
        if (rc == VL_OK)
            rc = vl_store_propose(st, prop, plen, pid, err);
        if (rc == VL_OK)
            rc = vl_store_approve(st, pid, a[0], (uint64_t)time(NULL), &seq, &nsigs, err);
        if (rc == VL_OK)
            rc = vl_store_approve(st, pid, a[1], (uint64_t)time(NULL), &seq, &nsigs, err);
        vl_record_destroy(&rec);
        free(body);
        free(prop);
        if (rc != VL_OK) {
            s_die(id, rc, err);
            goto out;
        }
        if (seq == 0) {
            s_die(id, VL_ETHRESHOLD, "not applied");
            goto out;
        }
    }
    vl_head_t head;
    if (vl_store_head(st, &head) == VL_OK)
        printf("fork head %llu\n", (unsigned long long)head.seq);
    ret = 0;
out:
    vl_store_close(&st);
    vl_keypair_destroy(&kp);
    vl_keypair_destroy(&author);
    vl_keypair_destroy(&a[0]);
    vl_keypair_destroy(&a[1]);
    return ret;
}

/* ---- entries from stores -------------------------------------------------------------- */

typedef struct {
    uint8_t *e[S_MAX_SRC_ENTRIES];
    size_t len[S_MAX_SRC_ENTRIES];
    uint64_t first_seq;  /* seq of the first entry of the first source */
    size_t n;
} s_batch_t;

static void
s_batch_free(s_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->e[i]);
    b->n = 0;
}

/* SRC = DIR:A-B or DIR:A */
static int
s_batch_add(s_batch_t *b, const char *src, const vl_keypair_t *kp)
{
    char dir[512], err[VL_ERRMSG_MAX] = "";
    const char *colon = strrchr(src, ':');
    if (!colon || (size_t)(colon - src) >= sizeof dir) {
        fprintf(stderr, "vl_rawpeer: bad entry source '%s' (DIR:A-B)\n", src);
        return VL_EINVAL;
    }
    memcpy(dir, src, (size_t)(colon - src));
    dir[colon - src] = '\0';
    char *end = NULL;
    uint64_t a = strtoull(colon + 1, &end, 10), z = a;
    if (end && *end == '-')
        z = strtoull(end + 1, NULL, 10);
    if (a == 0 || z < a) {
        fprintf(stderr, "vl_rawpeer: bad entry range in '%s'\n", src);
        return VL_EINVAL;
    }
    vl_store_t *st = NULL;
    int rc = vl_store_open(dir, kp, VL_STORE_RDONLY, &st, err);
    if (rc != VL_OK) {
        s_die(dir, rc, err);
        return rc;
    }
    if (b->n == 0)
        b->first_seq = a;
    for (uint64_t s = a; s <= z && rc == VL_OK; s++) {
        if (b->n >= S_MAX_SRC_ENTRIES) {
            rc = VL_ELIMIT;
            break;
        }
        rc = vl_store_entry_bytes(st, s, &b->e[b->n], &b->len[b->n], err);
        if (rc == VL_OK)
            b->n++;
        else
            s_die(src, rc, err);
    }
    vl_store_close(&st);
    return rc;
}

/* append --from DIR:A-B --store S --key MEMBER.key: copy entries A..B of one
 * store into another (which must be at A - 1), fully verified, 64 per txn.
 * Entries are made fast in a scratch copy on tmpfs, then appended here once. */
static int
s_append(int argc, char **argv)
{
    const char *from = NULL, *dir = NULL, *keyp = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            keyp = argv[++i];
        else {
            fprintf(stderr, "vl_rawpeer append: bad argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!from || !dir || !keyp) {
        fprintf(stderr, "vl_rawpeer append: --from DIR:A-B --store DIR --key KEY\n");
        return 2;
    }
    int ret = 1, rc;
    char err[VL_ERRMSG_MAX] = "";
    vl_keypair_t *kp = NULL;
    vl_store_t *st = NULL;
    s_batch_t *b = calloc(1, sizeof *b);
    if (!b || s_load_key(keyp, &kp) != VL_OK || s_batch_add(b, from, kp) != VL_OK)
        goto out;
    if ((rc = vl_store_open(dir, kp, 0, &st, err)) != VL_OK) {
        s_die(dir, rc, err);
        goto out;
    }
    for (size_t i = 0; i < b->n; i += 64) {
        size_t n = b->n - i < 64 ? b->n - i : 64;
        rc = vl_store_append_batch(st, (const uint8_t *const *)&b->e[i], &b->len[i], n, err);
        if (rc != VL_OK) {
            s_die("append", rc, err);
            goto out;
        }
    }
    vl_head_t head;
    if (vl_store_head(st, &head) == VL_OK)
        printf("head %llu\n", (unsigned long long)head.seq);
    ret = 0;
out:
    if (b)
        s_batch_free(b);
    free(b);
    vl_store_close(&st);
    vl_keypair_destroy(&kp);
    return ret;
}

/* ---- the connection ----------------------------------------------------------------- */

typedef struct {
    void *ctx, *sock, *mon;
    vl_hello_t mine;          /* what we claim */
    vl_hello_t node;          /* the node's last hello */
    bool have_node;
    uint64_t get_from, get_max;  /* the node's last get */
    bool have_get;
    bool disconnected;
    int errors;               /* error messages received */
} s_conn_t;

/* Returns the event (0 if none within ms). */
static int
s_event(s_conn_t *c, int ms, uint32_t *value)
{
    zmq_pollitem_t it = { c->mon, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, ms) <= 0)
        return 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, c->mon, 0) < 0) {
        zmq_msg_close(&m);
        return 0;
    }
    uint16_t ev = 0;
    uint32_t v = 0;
    if (zmq_msg_size(&m) >= 6) {
        memcpy(&ev, zmq_msg_data(&m), 2);
        memcpy(&v, (uint8_t *)zmq_msg_data(&m) + 2, 4);
    }
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    zmq_msg_recv(&m, c->mon, 0); /* endpoint */
    zmq_msg_close(&m);
    if (value)
        *value = v;
    if (ev == ZMQ_EVENT_DISCONNECTED) {
        c->disconnected = true;
        printf("event disconnected\n");
    }
    return ev;
}

static void
s_show(s_conn_t *c, const uint8_t *data, size_t len)
{
    vl_msg_t *m = NULL;
    char err[VL_ERRMSG_MAX] = "";
    if (vl_msg_decode(data, len, &m, err) != VL_OK) {
        printf("recv undecodable %zu bytes: %s\n", len, err);
        return;
    }
    switch (vl_msg_type(m)) {
    case VL_MSG_HELLO: {
        bool same = c->have_node && c->node.seq == vl_msg_hello(m)->seq &&
                    c->node.pn == vl_msg_hello(m)->pn;
        c->node = *vl_msg_hello(m);
        c->have_node = true;
        if (!same) /* the periodic repeats say nothing new */
            printf("recv hello seq=%llu pending=%llu\n", (unsigned long long)c->node.seq,
                   (unsigned long long)c->node.pn);
        break;
    }
    case VL_MSG_GET:
        c->get_from = vl_msg_get_from(m);
        c->get_max = vl_msg_get_max(m);
        c->have_get = true;
        printf("recv get from=%llu max=%llu\n", (unsigned long long)c->get_from,
               (unsigned long long)c->get_max);
        break;
    case VL_MSG_ERROR: {
        char text[VL_MSG_ERRTEXT_MAX + 1];
        size_t i = 0;
        const char *t = vl_msg_error_text(m);
        for (; t && t[i] && i < VL_MSG_ERRTEXT_MAX; i++)
            text[i] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
        text[i] = '\0';
        c->errors++;
        printf("recv error code=%d (%s) msg=%s\n", vl_msg_error_code(m),
               vl_strerror(vl_msg_error_code(m)), text);
        break;
    }
    default:
        printf("recv %s\n", vl_msg_type_name(vl_msg_type(m)));
        break;
    }
    fflush(stdout);
    vl_msg_destroy(&m);
}

/* Receive for up to ms, printing; stop early when until() holds. */
static void
s_pump(s_conn_t *c, int ms, bool (*until)(const s_conn_t *))
{
    uint64_t end = s_ms() + (uint64_t)ms;
    while (!(until && until(c))) {
        uint64_t now = s_ms();
        if (now >= end)
            break;
        zmq_pollitem_t it[2] = { { c->sock, 0, ZMQ_POLLIN, 0 }, { c->mon, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(it, 2, (long)(end - now)) <= 0)
            continue;
        if (it[1].revents & ZMQ_POLLIN)
            s_event(c, 0, NULL);
        if (it[0].revents & ZMQ_POLLIN) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->sock, 0) >= 0)
                s_show(c, zmq_msg_data(&m), zmq_msg_size(&m));
            zmq_msg_close(&m);
        }
    }
}

static bool s_got_hello(const s_conn_t *c) { return c->have_node; }
static bool s_got_get(const s_conn_t *c) { return c->have_get; }
static bool s_got_reaction(const s_conn_t *c) { return c->errors > 0 || c->disconnected; }

static int
s_send(s_conn_t *c, const void *buf, size_t len)
{
    int rc = zmq_send(c->sock, buf, len, 0);
    if (rc < 0) {
        printf("send failed: %s\n", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int
s_send_hello(s_conn_t *c)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_msg_encode_hello(&c->mine, &buf, &len) != VL_OK)
        return -1;
    int rc = s_send(c, buf, len);
    free(buf);
    return rc;
}

/* Say hello until the node says hello back (it ignores a key it banned for
 * a while after a drop). */
static int
s_handshake_hello(s_conn_t *c)
{
    uint64_t end = s_ms() + (uint64_t)s_timeout_ms;
    while (s_ms() < end) {
        if (s_send_hello(c) != 0)
            return 1;
        s_pump(c, 250, s_got_hello);
        if (c->have_node)
            return 0;
    }
    printf("no hello from the node\n");
    return 5;
}

static int
s_connect(s_conn_t *c, const char *addr, const char *serverpub, const vl_keypair_t *kp)
{
    uint8_t spk[VL_PK_LEN], sx[32], cpk[32];
    uint8_t *csk = vl_secure_alloc(32);
    char err[VL_ERRMSG_MAX] = "";
    int rc = 1;
    if (!csk)
        return 1;
    if (vl_pubfile_read(serverpub, spk, NULL, err) != VL_OK || vl_pk_x25519(spk, sx) != VL_OK ||
        vl_keypair_x25519(kp, cpk, csk) != VL_OK) {
        s_die(serverpub, VL_ECRYPTO, err);
        goto out;
    }
    c->ctx = zmq_ctx_new();
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    int zero = 0, hwm = 100000;
    int64_t maxmsg = -1;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, sx, 32);
    zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, cpk, 32);
    zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, csk, 32);
    if (zmq_socket_monitor(c->sock, "inproc://rawpeer.mon", ZMQ_EVENT_ALL) != 0) {
        s_die("monitor", VL_EIO, zmq_strerror(zmq_errno()));
        goto out;
    }
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(c->mon, "inproc://rawpeer.mon") != 0 || zmq_connect(c->sock, addr) != 0) {
        s_die(addr, VL_EIO, zmq_strerror(zmq_errno()));
        goto out;
    }
    uint64_t end = s_ms() + (uint64_t)s_timeout_ms;
    while (s_ms() < end) {
        uint32_t v = 0;
        int ev = s_event(c, 100, &v);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            printf("handshake ok\n");
            c->disconnected = false;
            rc = 0;
            goto out;
        }
        if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            printf("refused: the node's ZAP handler refused our key (status %u)\n", v);
            rc = 3;
            goto out;
        }
        if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            printf("handshake failed (event %d, value %u)\n", ev, v);
            rc = 4;
            goto out;
        }
    }
    printf("no handshake within %d ms\n", s_timeout_ms);
    rc = 4;
out:
    vl_secure_free(&csk);
    return rc;
}

static void
s_close(s_conn_t *c)
{
    if (c->sock) {
        zmq_socket_monitor(c->sock, NULL, 0);
        zmq_close(c->sock);
    }
    if (c->mon)
        zmq_close(c->mon);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
}

/* ---- main ------------------------------------------------------------------------------ */

static const char s_usage[] =
    "usage: vl_rawpeer x25519 PUBFILE\n"
    "       vl_rawpeer mkfork --store DIR --key MEMBER.key --author AUTH.key\n"
    "                         --approver A.key --approver B.key --count N --tag TAG [--fat]\n"
    "       vl_rawpeer append --from DIR:A-B --store DIR --key MEMBER.key\n"
    "       vl_rawpeer --connect ADDR --server NODE.pub --key NODE.key --genesis FILE\n"
    "                  [--timeout MS] ACTION [ARGS]\n"
    "actions: hello | garbage-first | garbage | truncated | oversized | flood N |\n"
    "         entries SRC... [--flip I] [--claim SEQ] | unsolicited SRC... |\n"
    "         replay-props DIR:SEQ | lie-empty | vanish | stall SECS |\n"
    "         send policies FILE... | send fresh FILE | send evidence SRC SRC  [--flip I]\n"
    "         (SRC = STOREDIR:A-B)\n";

/* Read a whole file of at most max bytes (caller frees). */
static int
s_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (!f) {
        fprintf(stderr, "vl_rawpeer: %s: %s\n", path, strerror(errno));
        return VL_EIO;
    }
    uint8_t *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n > max) {
        fprintf(stderr, "vl_rawpeer: %s: empty or larger than %zu bytes\n", path, max);
        free(buf);
        return VL_EINVAL;
    }
    *out = buf;
    *len = n;
    return VL_OK;
}

/* send policies FILE... | send fresh FILE | send evidence SRC SRC, [--flip I]:
 * one trust-gossip message (docs/trust.md §6) built from the given bytes. */
static int
s_send_trust(s_conn_t *c, int nargs, char **args, const vl_keypair_t *kp, s_batch_t *batch)
{
    uint8_t *files[VL_MAX_POLICY_PUSH];
    size_t flens[VL_MAX_POLICY_PUSH], nf = 0;
    uint8_t **items = files, *buf = NULL;
    size_t *lens = flens, n = 0, len = 0;
    long flip = -1;
    int rc = VL_EINVAL;
    const char *kind = nargs > 0 ? args[0] : "";
    bool ev = strcmp(kind, "evidence") == 0;
    if (!ev && strcmp(kind, "policies") != 0 && strcmp(kind, "fresh") != 0) {
        fputs(s_usage, stderr);
        return 2;
    }
    for (int k = 1; k < nargs; k++) {
        if (strcmp(args[k], "--flip") == 0 && k + 1 < nargs) {
            flip = atol(args[++k]);
        } else if (ev) {
            if (s_batch_add(batch, args[k], kp) != VL_OK)
                goto out;
        } else if (nf < VL_MAX_POLICY_PUSH) {
            if (s_read_file(args[k], VL_MAX_POLICY, &files[nf], &flens[nf]) != VL_OK)
                goto out;
            nf++;
        }
    }
    if (ev) {
        items = batch->e;
        lens = batch->len;
        n = batch->n;
    } else {
        n = nf;
    }
    if (n == 0 || (ev && n != 2) || (strcmp(kind, "fresh") == 0 && n != 1)) {
        fputs(s_usage, stderr);
        goto out;
    }
    if (flip >= 0 && (size_t)flip < n) {
        items[flip][lens[flip] - 1] ^= 0x01;
        printf("flipped the last byte of item %ld\n", flip);
    }
    if (ev)
        rc = vl_msg_encode_evidence(items[0], lens[0], items[1], lens[1], &buf, &len);
    else if (strcmp(kind, "fresh") == 0)
        rc = vl_msg_encode_fresh(items[0], lens[0], &buf, &len);
    else
        rc = vl_msg_encode_policies((const uint8_t *const *)items, lens, n, &buf, &len);
    if (rc != VL_OK) {
        s_die("encode", rc, NULL);
        goto out;
    }
    s_send(c, buf, len);
    printf("sent %s: %zu items, %zu bytes\n", kind, n, len);
    s_pump(c, 1500, s_got_reaction);
    rc = VL_OK;
out:
    free(buf);
    for (size_t i = 0; i < nf; i++)
        free(files[i]);
    return rc == VL_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (vl_crypto_init() != VL_OK)
        return 1;
    if (argc >= 3 && strcmp(argv[1], "x25519") == 0)
        return s_x25519(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "mkfork") == 0)
        return s_mkfork(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "append") == 0)
        return s_append(argc - 2, argv + 2);

    const char *addr = NULL, *server = NULL, *keyp = NULL, *genp = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--connect") == 0 && i + 1 < argc)
            addr = argv[++i];
        else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            server = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            keyp = argv[++i];
        else if (strcmp(argv[i], "--genesis") == 0 && i + 1 < argc)
            genp = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            s_timeout_ms = atoi(argv[++i]);
        else {
            fputs(s_usage, stderr);
            return 2;
        }
    }
    if (!addr || !server || !keyp || !genp || i >= argc) {
        fputs(s_usage, stderr);
        return 2;
    }
    const char *action = argv[i++];
    int nargs = argc - i;
    char **args = argv + i;

    int ret = 1, rc;
    char err[VL_ERRMSG_MAX] = "";
    vl_keypair_t *kp = NULL;
    vl_policy_t *pol = NULL;
    uint8_t *gbuf = NULL;
    s_conn_t c;
    s_batch_t batch;
    memset(&c, 0, sizeof c);
    memset(&batch, 0, sizeof batch);
    if (s_load_key(keyp, &kp) != VL_OK)
        goto out;
    {
        FILE *f = fopen(genp, "rb");
        size_t cap = VL_MAX_DOC + 1, n = 0;
        gbuf = malloc(cap);
        if (!f || !gbuf) {
            s_die(genp, VL_EIO, NULL);
            if (f)
                fclose(f);
            goto out;
        }
        n = fread(gbuf, 1, cap, f);
        fclose(f);
        if ((rc = vl_policy_parse(gbuf, n, 0, &pol, err)) != VL_OK) {
            s_die(genp, rc, err);
            goto out;
        }
    }
    /* Our default claim: an empty replica of this network (never a fork). */
    memcpy(c.mine.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(c.mine.policy, vl_policy_hash(pol), VL_HASH_LEN);
    c.mine.pv = vl_policy_version(pol);
    c.mine.seq = 0;
    memcpy(c.mine.head, vl_policy_hash(pol), VL_HASH_LEN);
    c.mine.pn = 0;
    vl_hash(c.mine.pd, "valise/pending/1", "", 0);

    if ((ret = s_connect(&c, addr, server, kp)) != 0)
        goto out;
    ret = 1;

    if (strcmp(action, "garbage-first") == 0) {
        uint8_t junk[64];
        vl_random(junk, sizeof junk);
        s_send(&c, junk, sizeof junk);
        printf("sent 64 random bytes before any hello\n");
        s_pump(&c, 1000, s_got_reaction);
        ret = 0;
        goto out;
    }

    /* Everything else starts as a (harmless) member saying hello. Claims of
     * a higher head are made after the node's hello, in a second hello. */
    if ((ret = s_handshake_hello(&c)) != 0)
        goto out;
    ret = 1;

    if (strcmp(action, "hello") == 0) {
        ret = 0;
    } else if (strcmp(action, "garbage") == 0) {
        uint8_t junk[64];
        vl_random(junk, sizeof junk);
        junk[0] = 0xc1; /* never valid msgpack */
        s_send(&c, junk, sizeof junk);
        printf("sent 64 random bytes\n");
        s_pump(&c, s_timeout_ms, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "truncated") == 0) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (vl_msg_encode_hello(&c.mine, &buf, &len) != VL_OK)
            goto out;
        s_send(&c, buf, len / 2);
        printf("sent the first %zu of %zu bytes of a hello\n", len / 2, len);
        free(buf);
        s_pump(&c, s_timeout_ms, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "oversized") == 0) {
        size_t len = (size_t)VL_MAX_FRAME + 1;
        uint8_t *buf = calloc(1, len);
        if (!buf)
            goto out;
        buf[0] = 0xc6; /* bin32 header, as if a big entries batch were coming */
        s_send(&c, buf, len);
        free(buf);
        printf("sent one frame of %zu bytes\n", len);
        s_pump(&c, s_timeout_ms, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "flood") == 0) {
        long n = nargs > 0 ? atol(args[0]) : 10000;
        uint8_t junk[100];
        uint64_t t0 = s_ms();
        long sent = 0;
        for (long k = 0; k < n; k++) {
            vl_random(junk, sizeof junk);
            junk[0] = 0xc1;
            if (zmq_send(c.sock, junk, sizeof junk, ZMQ_DONTWAIT) < 0) {
                if (zmq_errno() == EAGAIN) {
                    s_pump(&c, 1, NULL);
                    k--;
                    if (s_ms() - t0 > (uint64_t)s_timeout_ms * 3)
                        break;
                    continue;
                }
                break;
            }
            sent++;
        }
        printf("sent %ld frames of 100 bytes in %llu ms\n", sent,
               (unsigned long long)(s_ms() - t0));
        s_pump(&c, 1000, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "entries") == 0 || strcmp(action, "unsolicited") == 0) {
        long flip = -1;
        uint64_t claim = 0;
        bool solicited = strcmp(action, "entries") == 0;
        for (int k = 0; k < nargs; k++) {
            if (strcmp(args[k], "--flip") == 0 && k + 1 < nargs)
                flip = atol(args[++k]);
            else if (strcmp(args[k], "--claim") == 0 && k + 1 < nargs)
                claim = strtoull(args[++k], NULL, 10);
            else if (s_batch_add(&batch, args[k], kp) != VL_OK)
                goto out;
        }
        if (batch.n == 0) {
            fputs("vl_rawpeer: no entries given\n", stderr);
            goto out;
        }
        if (flip >= 0 && (size_t)flip < batch.n) {
            /* Entries end with their "sigs" array, whose last item ends with
             * the 64 signature bytes: flipping the last byte forges one
             * signature and keeps the document canonical. */
            batch.e[flip][batch.len[flip] - 1] ^= 0x01;
            printf("flipped a signature byte of entry %ld of the batch\n", flip);
        }
        uint64_t from = batch.first_seq;
        if (solicited) {
            c.mine.seq = claim ? claim : c.node.seq + batch.n;
            vl_random(c.mine.head, VL_HASH_LEN);
            c.have_get = false;
            s_send_hello(&c);
            printf("claimed head %llu\n", (unsigned long long)c.mine.seq);
            s_pump(&c, s_timeout_ms, s_got_get);
            if (!c.have_get) {
                printf("no get from the node\n");
                ret = 5;
                goto out;
            }
            from = c.get_from;
        }
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = vl_msg_encode_entries(from, c.mine.seq > from + batch.n - 1 ? c.mine.seq
                                                                           : from + batch.n - 1,
                                   (const uint8_t *const *)batch.e, batch.len, batch.n, &buf,
                                   &len);
        if (rc != VL_OK) {
            s_die("encode entries", rc, NULL);
            goto out;
        }
        s_send(&c, buf, len);
        free(buf);
        printf("sent entries from %llu: %zu entries, %zu bytes\n", (unsigned long long)from,
               batch.n, len);
        s_pump(&c, solicited ? s_timeout_ms : 1500, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "send") == 0) {
        ret = s_send_trust(&c, nargs, args, kp, &batch);
    } else if (strcmp(action, "replay-props") == 0) {
        if (nargs < 1 || s_batch_add(&batch, args[0], kp) != VL_OK)
            goto out;
        vl_entry_t *e = NULL;
        if ((rc = vl_entry_parse(pol, batch.e[0], batch.len[0], 0, &e, err)) != VL_OK) {
            s_die("entry", rc, err);
            goto out;
        }
        size_t plen = 0;
        const uint8_t *p = vl_proposal_bytes(vl_entry_proposal(e), &plen);
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = vl_msg_encode_props(&p, &plen, 1, NULL, NULL, 0, &buf, &len);
        vl_entry_destroy(&e);
        if (rc != VL_OK) {
            s_die("encode props", rc, NULL);
            goto out;
        }
        s_send(&c, buf, len);
        free(buf);
        printf("sent a settled proposal again in props\n");
        s_pump(&c, 1500, s_got_reaction);
        ret = 0;
    } else if (strcmp(action, "lie-empty") == 0) {
        /* Claim a head ahead of the node's, then answer every get with no
         * entries and a head below what it asks for: the node must drop us
         * (before this defence it kept asking, thousands of times a second). */
        c.mine.seq = c.node.seq + 5;
        vl_random(c.mine.head, VL_HASH_LEN);
        s_send_hello(&c);
        printf("claimed head %llu\n", (unsigned long long)c.mine.seq);
        unsigned long gets = 0;
        uint64_t end = s_ms() + (uint64_t)s_timeout_ms;
        while (s_ms() < end && !c.disconnected && c.errors == 0) {
            c.have_get = false;
            s_pump(&c, 200, s_got_get);
            if (!c.have_get)
                continue;
            gets++;
            uint8_t *buf = NULL;
            size_t len = 0;
            rc = vl_msg_encode_entries(c.get_from, c.get_from - 1, NULL, NULL, 0, &buf, &len);
            if (rc == VL_OK)
                s_send(&c, buf, len);
            free(buf);
        }
        if (c.errors == 0)
            s_pump(&c, 1500, s_got_reaction);
        printf("answered %lu gets with nothing\n", gets);
        ret = 0;
    } else if (strcmp(action, "vanish") == 0 || strcmp(action, "stall") == 0) {
        c.mine.seq = c.node.seq + 5;
        vl_random(c.mine.head, VL_HASH_LEN);
        s_send_hello(&c);
        printf("claimed head %llu\n", (unsigned long long)c.mine.seq);
        s_pump(&c, s_timeout_ms, s_got_get);
        if (!c.have_get) {
            printf("no get from the node\n");
            ret = 5;
            goto out;
        }
        if (strcmp(action, "stall") == 0) {
            int secs = nargs > 0 ? atoi(args[0]) : 30;
            printf("stalling for %d s\n", secs);
            fflush(stdout);
            /* Answer nothing, but keep saying hello with the same claim. */
            uint64_t end = s_ms() + (uint64_t)secs * 1000u;
            while (s_ms() < end) {
                s_send_hello(&c);
                s_pump(&c, 500, NULL);
            }
        } else {
            printf("vanishing in the middle of the pull\n");
        }
        ret = 0;
    } else {
        fputs(s_usage, stderr);
        ret = 2;
    }
out:
    fflush(stdout);
    s_batch_free(&batch);
    s_close(&c);
    vl_policy_destroy(&pol);
    free(gbuf);
    vl_keypair_destroy(&kp);
    return ret;
}
