/* SPDX-License-Identifier: MIT */
/*
 * valise status - the network this store belongs to, the head of its log,
 * the work waiting in it, and what the valise-node daemon running
 * on this store knows of its peers.
 *
 * The peer records are written by the daemon into the store's `peers`
 * database (vl_store_peer_put) and read here with vl_store_peers_each; the
 * tool never talks to the daemon. Record keys (addr) say what a record is:
 *   "tcp://..."  a configured peer (our connection to it),
 *   "in:<kid>"   a peer that connected to us,
 *   "zap:..."    the count of clients our ZAP handler refused.
 * A record is data read back from a file: every string is printed through
 * s_clean (printable ASCII only), never trusted to be text.
 *
 * Whether the daemon runs now is not in the records: it is the store's
 * daemon lock (vl_store_daemon_pid, a test that takes nothing). A record's
 * state is what the daemon last saved; with no daemon running it is history,
 * and each peer's connection is shown as "stopped".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise status [--json] --key MEMBER.key\n"
    "\n"
    "Show the network (name, id, policy version, threshold), whether a valise-node\n"
    "daemon runs on this store now (and its pid), this store's head (log\n"
    "sequence number, entry hash, state root), the number of current records and of\n"
    "pending proposals; then what the valise-node daemon of this store knows of each\n"
    "peer: address, key id and node name, its connection now (connected,\n"
    "reconnecting, refused, revoked; \"stopped\" for every peer when no daemon runs on\n"
    "this store) and the session state the daemon saved, last contact, last successful\n"
    "sync (the last time the peer's head was ours), the peer's head against\n"
    "ours (\"they lack N\": entries we hold that the peer did not report; \"we lack N\":\n"
    "the reverse), entries received and sent, times dropped for invalid input and the\n"
    "last problem; and the clients refused at the handshake (keys that are not nodes\n"
    "of the network), and the peers that refused us.\n"
    "Also: the current policy version and its hash; its readers (keys that may\n"
    "only read), and whether the acting key is one; the freshness of the directory\n"
    "(\"fresh until T\", \"not configured\", or why it may be stale: also a line\n"
    "\"valise: warning: ...\" on stderr); and any fork of the log (two valid entries at\n"
    "one sequence number, with the approvers who signed each: the log stopped there).\n"
    "  --json  {\"network\", \"network_id\", \"policy_version\", \"threshold\", \"store\",\n"
    "           \"policy\": {\"version\", \"hash\", \"from\"},\n"
    "           \"freshness\": {\"state\", \"issued\", \"expires\", \"seq\", \"head\",\n"
    "                         \"message\"},\n"
    "           \"fork_seq\" (0: none), \"forks\": [{\"seq\", \"a\": {\"hash\", \"signers\":\n"
    "                         [\"name (kid)\"]}, \"b\": {...}, \"both\": [...]}],\n"
    "           \"daemon\": {\"running\" (true, false, or null: cannot tell), \"pid\"},\n"
    "           \"head\": {\"seq\", \"hash\", \"root\"}, \"records\", \"pending\", \"me\",\n"
    "           \"readers\": [\"name (kid)\"] (the policy's read-only keys),\n"
    "           \"peers\": [{\"addr\", \"direction\" (out|in), \"key\", \"kid\", \"name\",\n"
    "                      \"connection\", \"state\", \"last_contact\", \"age_s\",\n"
    "                      \"last_sync\", \"sync_age_s\", \"their_seq\",\n"
    "                      \"they_lack\", \"we_lack\", \"their_pending\", \"received\",\n"
    "                      \"sent\", \"dropped\", \"last_error\"}],\n"
    "           \"refused\": {\"by_us\": {\"count\", \"last\", \"last_contact\", \"age_s\"},\n"
    "                       \"by_peers\": [addr...]}}\n"
    "  (last_contact, last_sync are ISO 8601 UTC or null for never; age_s, sync_age_s\n"
    "  are seconds since then, or null)\n";

/* Most peer records shown (the daemon keeps at most VL_MAX_PEERS out records
 * plus one per node key that connected to us, plus the ZAP record). */
#define S_MAX_RECORDS (VL_MAX_PEERS + 2u * 256u + 8u)

typedef struct {
    vl_peer_info_t *v;
    size_t n;
    size_t skipped;
} s_peers_t;

static int
s_collect(void *ctx, const vl_peer_info_t *p)
{
    s_peers_t *c = ctx;
    if (c->n >= S_MAX_RECORDS) {
        c->skipped++;
        return 0;
    }
    c->v[c->n++] = *p;
    return 0;
}

/* Copy a fixed-size field read from the store as printable ASCII. */
static void
s_clean(char *dst, size_t cap, const char *src, size_t srccap)
{
    size_t i = 0;
    for (; i < srccap && src[i] && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    dst[i] = '\0';
}

static bool
s_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

typedef enum { S_OUT, S_IN, S_ZAP } s_kind_t;

static s_kind_t
s_kind(const char *addr)
{
    if (strncmp(addr, "in:", 3) == 0)
        return S_IN;
    if (strncmp(addr, "zap:", 4) == 0)
        return S_ZAP;
    return S_OUT;
}

/* "3 s", "5 min", "2 h", "4 d" ago. */
static void
s_age(uint64_t now, uint64_t t, char *out, size_t cap)
{
    if (t == 0) {
        snprintf(out, cap, "never");
        return;
    }
    if (t > now) {
        snprintf(out, cap, "just now");
        return;
    }
    uint64_t d = now - t;
    if (d < 120)
        snprintf(out, cap, "%llu s ago", (unsigned long long)d);
    else if (d < 7200)
        snprintf(out, cap, "%llu min ago", (unsigned long long)(d / 60));
    else if (d < 172800)
        snprintf(out, cap, "%llu h ago", (unsigned long long)(d / 3600));
    else
        snprintf(out, cap, "%llu d ago", (unsigned long long)(d / 86400));
}

/* The connection now, from the state the daemon saved and whether it runs
 * (running: 1 yes, 0 no, -1 cannot tell). */
static const char *
s_connection(const char *state, int running)
{
    if (running == 0)
        return "stopped";
    if (strcmp(state, "open") == 0 || strcmp(state, "pulling") == 0 ||
        strcmp(state, "idle") == 0)
        return "connected";
    if (strcmp(state, "connecting") == 0 || strcmp(state, "bad") == 0)
        return "reconnecting";
    if (strcmp(state, "refused") == 0 || strcmp(state, "revoked") == 0 ||
        strcmp(state, "closed") == 0 || strcmp(state, "removed") == 0)
        return state;
    return "unknown";
}

static json_t *
s_json_time(uint64_t t)
{
    char when[32];
    if (t == 0)
        return json_null();
    vl_cli_time(t, when);
    return json_string(when);
}

static json_t *
s_json_age(uint64_t now, uint64_t t)
{
    if (t == 0)
        return json_null();
    return json_integer(now >= t ? (json_int_t)(now - t) : 0);
}

/* Who a record names: "Sahel node (1a2b3c4d5e6f7a8b)" / "unknown (...)" / "?". */
static void
s_who(const vl_policy_t *pol, const vl_peer_info_t *p, char *name, size_t ncap, char *kid)
{
    if (s_zero(p->pk, VL_PK_LEN)) {
        snprintf(name, ncap, "?");
        kid[0] = '\0';
        return;
    }
    vl_kid(p->pk, kid);
    const char *n = vl_policy_member_name(pol, p->pk);
    if (n)
        s_clean(name, ncap, n, strlen(n));
    else
        snprintf(name, ncap, "not a node of this network");
}

static json_t *
s_json_peer(const vl_policy_t *pol, const vl_peer_info_t *p, uint64_t our_seq, uint64_t now,
            int running)
{
    char addr[sizeof p->addr], state[sizeof p->state], lerr[sizeof p->last_error];
    char name[VL_MAX_NAME + 1], kid[2 * VL_KID_LEN + 1], key[2 * VL_PK_LEN + 1];
    char when[32];
    s_clean(addr, sizeof addr, p->addr, sizeof p->addr);
    s_clean(state, sizeof state, p->state, sizeof p->state);
    s_clean(lerr, sizeof lerr, p->last_error, sizeof p->last_error);
    s_who(pol, p, name, sizeof name, kid);
    bool known = !s_zero(p->pk, VL_PK_LEN);
    if (known)
        vl_hex(p->pk, VL_PK_LEN, key);
    bool heard = p->last_contact != 0;
    if (heard)
        vl_cli_time(p->last_contact, when);
    uint64_t they_lack = our_seq > p->their_seq ? our_seq - p->their_seq : 0;
    uint64_t we_lack = p->their_seq > our_seq ? p->their_seq - our_seq : 0;
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:I, s:s}",
                     "addr", addr, "direction", s_kind(addr) == S_IN ? "in" : "out",
                     "key", known ? json_string(key) : json_null(),
                     "kid", known ? json_string(kid) : json_null(),
                     "name", known ? json_string(name) : json_null(),
                     "connection", s_connection(state, running), "state", state,
                     "last_sync", s_json_time(p->last_sync), "sync_age_s",
                     s_json_age(now, p->last_sync),
                     "last_contact", heard ? json_string(when) : json_null(),
                     "age_s", heard ? json_integer(now >= p->last_contact
                                                       ? (json_int_t)(now - p->last_contact)
                                                       : 0)
                                    : json_null(),
                     "their_seq", (json_int_t)p->their_seq, "they_lack", (json_int_t)they_lack,
                     "we_lack", (json_int_t)we_lack, "their_pending",
                     (json_int_t)p->their_pending, "received", (json_int_t)p->received, "sent",
                     (json_int_t)p->sent, "dropped", (json_int_t)p->dropped, "last_error", lerr);
}

static void
s_text_peer(const vl_policy_t *pol, const vl_peer_info_t *p, uint64_t our_seq, uint64_t now,
            int running)
{
    char addr[sizeof p->addr], state[sizeof p->state], lerr[sizeof p->last_error];
    char name[VL_MAX_NAME + 1], kid[2 * VL_KID_LEN + 1], age[32], sync[32];
    s_clean(addr, sizeof addr, p->addr, sizeof p->addr);
    s_clean(state, sizeof state, p->state, sizeof p->state);
    s_clean(lerr, sizeof lerr, p->last_error, sizeof p->last_error);
    s_who(pol, p, name, sizeof name, kid);
    s_age(now, p->last_contact, age, sizeof age);
    s_age(now, p->last_sync, sync, sizeof sync);
    if (kid[0])
        printf("  %-28s %s (%s)\n", vl_cli_esc(addr), vl_cli_esc(name), kid);
    else
        printf("  %-28s (key unknown)\n", vl_cli_esc(addr));
    if (running == 0)
        printf("      stopped (daemon not running; it left the session %s), last contact %s, "
               "last sync %s\n", vl_cli_esc(state), age, sync);
    else
        printf("      %s (%s), last contact %s, last sync %s\n", s_connection(state, running),
               vl_cli_esc(state), age, sync);
    if (p->last_contact == 0 && p->their_seq == 0) {
        printf("      head: not reported yet (ours: entry %llu)\n", (unsigned long long)our_seq);
    } else if (p->their_seq == our_seq) {
        printf("      head: entry %llu, same as ours\n", (unsigned long long)our_seq);
    } else if (p->their_seq < our_seq) {
        printf("      head: entry %llu, ours %llu: they lack %llu\n",
               (unsigned long long)p->their_seq, (unsigned long long)our_seq,
               (unsigned long long)(our_seq - p->their_seq));
    } else {
        printf("      head: entry %llu, ours %llu: we lack %llu\n",
               (unsigned long long)p->their_seq, (unsigned long long)our_seq,
               (unsigned long long)(p->their_seq - our_seq));
    }
    printf("      entries received %llu, sent %llu; pending there %llu; dropped %llu time%s\n",
           (unsigned long long)p->received, (unsigned long long)p->sent,
           (unsigned long long)p->their_pending, (unsigned long long)p->dropped,
           p->dropped == 1 ? "" : "s");
    if (lerr[0])
        printf("      last error: %s\n", vl_cli_esc(lerr));
}

/* ---- forks (docs/trust.md §5) --------------------------------------------------- */

typedef struct {
    vl_store_t *store;
    json_t *forks;
    int rc;
} s_forks_t;

/* {"hash", "signers": ["name (kid)"...]} of one side of a fork, or an
 * {"error"} when it does not parse (evidence is re-checked, not trusted). */
static json_t *
s_fork_side(const vl_policy_t *pol, const uint8_t *buf, size_t len, vl_entry_t **out)
{
    char err[VL_ERRMSG_MAX] = "";
    *out = NULL;
    int rc = pol ? vl_entry_parse(pol, buf, len, 0, out, err) : VL_ENOTFOUND;
    if (rc != VL_OK) {
        char msg[VL_ERRMSG_MAX + 64];
        snprintf(msg, sizeof msg, "%s%s%s", vl_strerror(rc), err[0] ? ": " : "", err);
        return json_pack("{s:n, s:[], s:s}", "hash", "signers", "error", msg);
    }
    char hash[2 * VL_HASH_LEN + 1], who[VL_MAX_NAME + 40];
    vl_hex(vl_entry_hash(*out), VL_HASH_LEN, hash);
    json_t *signers = json_array();
    for (size_t i = 0; signers && i < vl_entry_nsigs(*out); i++) {
        vl_cli_member(pol, vl_entry_signer(*out, i), who, sizeof who);
        json_array_append_new(signers, json_string(who));
    }
    return json_pack("{s:s, s:o}", "hash", hash, "signers", signers);
}

static int
s_fork_cb(void *ctx, uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
          size_t blen)
{
    s_forks_t *f = ctx;
    const vl_policy_t *pol = vl_store_policy_for_seq(f->store, seq);
    vl_entry_t *ea = NULL, *eb = NULL;
    json_t *ja = s_fork_side(pol, a, alen, &ea), *jb = s_fork_side(pol, b, blen, &eb);
    json_t *both = json_array();
    char who[VL_MAX_NAME + 40];
    for (size_t i = 0; ea && eb && both && i < vl_entry_nsigs(ea); i++)
        for (size_t k = 0; k < vl_entry_nsigs(eb); k++)
            if (memcmp(vl_entry_signer(ea, i), vl_entry_signer(eb, k), VL_PK_LEN) == 0) {
                vl_cli_member(pol, vl_entry_signer(ea, i), who, sizeof who);
                json_array_append_new(both, json_string(who));
            }
    vl_entry_destroy(&ea);
    vl_entry_destroy(&eb);
    json_t *o = json_pack("{s:I, s:o, s:o, s:o}", "seq", (json_int_t)seq, "a", ja, "b", jb,
                          "both", both);
    if (!o || json_array_append_new(f->forks, o) != 0)
        return f->rc = VL_ENOMEM;
    return 0;
}

static void
s_print_signers(const json_t *side)
{
    const json_t *hash = json_object_get(side, "hash");
    if (!json_is_string(hash)) {
        printf("an entry that does not verify here (%s)",
               vl_cli_esc(json_string_value(json_object_get(side, "error"))));
        return;
    }
    printf("%.16s signed by ", json_string_value(hash));
    size_t i;
    const json_t *w;
    json_array_foreach(json_object_get(side, "signers"), i, w)
        printf("%s%s", i ? ", " : "", vl_cli_esc(json_string_value(w)));
}

static void
s_print_fork(const json_t *fk)
{
    printf("FORK at entry %lld: ", (long long)json_integer_value(json_object_get(fk, "seq")));
    s_print_signers(json_object_get(fk, "a"));
    printf("; ");
    s_print_signers(json_object_get(fk, "b"));
    const json_t *both = json_object_get(fk, "both");
    if (json_array_size(both)) {
        printf("; both sides signed by ");
        size_t i;
        const json_t *w;
        json_array_foreach(both, i, w) printf("%s%s", i ? ", " : "",
                                              vl_cli_esc(json_string_value(w)));
    }
    printf(": log stopped\n");
}

/* The readers of pol (vl_policy_members_each callback): "name (kid)" strings. */
typedef struct {
    const vl_policy_t *pol;
    json_t *arr;
} s_readers_t;

static void
s_reader_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_readers_t *r = ctx;
    char who[VL_MAX_NAME + 40];
    if (!(roles & VL_ROLE_READER) || !r->arr)
        return;
    vl_cli_member(r->pol, pk, who, sizeof who);
    if (json_array_append_new(r->arr, json_string(who)) != 0) {
        json_decref(r->arr);
        r->arr = NULL;
    }
}

int
cmd_status(int argc, char **argv)
{
    vl_cli_t cli;
    s_peers_t peers = { NULL, 0, 0 };
    s_forks_t forks = { NULL, NULL, VL_OK };
    s_readers_t readers = { NULL, NULL };
    json_t *o = NULL;
    vl_cli_init(&cli, "status", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);

    ret = VL_EXIT_ERR;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    vl_head_t head;
    int rc = vl_store_head(cli.store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "head");
        goto out;
    }
    peers.v = calloc(S_MAX_RECORDS, sizeof *peers.v);
    if (!peers.v) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    rc = vl_store_peers_each(cli.store, s_collect, &peers);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "peers");
        goto out;
    }
    const vl_policy_t *pol = vl_store_policy(cli.store);
    uint64_t now = vl_cli_now();
    char net[2 * VL_NETID_LEN + 1], hash[2 * VL_HASH_LEN + 1], root[2 * VL_HASH_LEN + 1];
    char me[VL_MAX_NAME + 40];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    vl_hex(head.hash, VL_HASH_LEN, hash);
    vl_hex(head.root, VL_HASH_LEN, root);
    vl_cli_member(pol, vl_keypair_pk(cli.kp), me, sizeof me);
    char phash[2 * VL_HASH_LEN + 1];
    vl_hex(vl_policy_hash(pol), VL_HASH_LEN, phash);
    bool me_reader = (vl_policy_roles(pol, vl_keypair_pk(cli.kp)) & VL_ROLE_READER) != 0;
    readers.pol = pol;
    readers.arr = json_array();
    vl_policy_members_each(pol, s_reader_cb, &readers);
    if (!readers.arr) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    uint64_t fork_seq = vl_store_fork_seq(cli.store);
    forks.store = cli.store;
    forks.forks = json_array();
    if (!forks.forks) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    rc = vl_store_evidence_each(cli.store, s_fork_cb, &forks);
    if (rc == VL_OK)
        rc = forks.rc;
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "evidence");
        goto out;
    }
    vl_freshness_t fr;
    char ftext[VL_ERRMSG_MAX];
    vl_cli_freshness(&cli, &fr, ftext, sizeof ftext);
    long daemon_pid = vl_store_daemon_pid(cli.store_dir);
    int running = daemon_pid > 0 ? 1 : daemon_pid == 0 ? 0 : -1;

    /* The ZAP record(s) and the configured peers that refused us. */
    uint64_t zap_count = 0, zap_when = 0;
    char zap_last[sizeof peers.v[0].last_error] = "";
    size_t nout = 0, nin = 0;
    for (size_t i = 0; i < peers.n; i++) {
        const vl_peer_info_t *p = &peers.v[i];
        switch (s_kind(p->addr)) {
        case S_ZAP:
            zap_count += p->dropped;
            if (p->last_contact >= zap_when) {
                zap_when = p->last_contact;
                s_clean(zap_last, sizeof zap_last, p->last_error, sizeof p->last_error);
            }
            break;
        case S_IN:
            nin++;
            break;
        case S_OUT:
            nout++;
            break;
        }
    }

    if (cli.json) {
        json_t *jp = json_array(), *by_peers = json_array();
        if (!jp || !by_peers) {
            json_decref(jp);
            json_decref(by_peers);
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        for (size_t i = 0; i < peers.n; i++) {
            const vl_peer_info_t *p = &peers.v[i];
            s_kind_t k = s_kind(p->addr);
            if (k == S_ZAP)
                continue;
            json_array_append_new(jp, s_json_peer(pol, p, head.seq, now, running));
            if (k == S_OUT && strncmp(p->state, "refused", sizeof p->state) == 0) {
                char addr[sizeof p->addr];
                s_clean(addr, sizeof addr, p->addr, sizeof p->addr);
                json_array_append_new(by_peers, json_string(addr));
            }
        }
        char when[32];
        if (zap_when)
            vl_cli_time(zap_when, when);
        o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:I, s:s, s:s}, s:I, s:I, s:s, s:o, "
                      "s:{s:{s:I, s:s, s:o, s:o}, s:o}}",
                      "network", vl_policy_name(pol), "network_id", net, "policy_version",
                      (json_int_t)vl_policy_version(pol), "threshold",
                      (json_int_t)vl_policy_threshold(pol), "store", cli.store_dir, "head",
                      "seq", (json_int_t)head.seq, "hash", hash, "root", root, "records",
                      (json_int_t)head.records, "pending", (json_int_t)head.pending, "me", me,
                      "peers", jp, "refused", "by_us", "count", (json_int_t)zap_count, "last",
                      zap_last, "last_contact", zap_when ? json_string(when) : json_null(),
                      "age_s",
                      zap_when ? json_integer(now >= zap_when ? (json_int_t)(now - zap_when) : 0)
                               : json_null(),
                      "by_peers", by_peers);
        if (o) {
            json_object_set_new(o, "policy",
                                json_pack("{s:I, s:s, s:I}", "version",
                                          (json_int_t)vl_policy_version(pol), "hash", phash,
                                          "from", (json_int_t)vl_policy_from(pol)));
            json_object_set_new(o, "freshness", vl_cli_freshness_json(&fr, ftext));
            json_object_set_new(o, "fork_seq", json_integer((json_int_t)fork_seq));
            json_object_set_new(o, "daemon",
                                json_pack("{s:o, s:o}", "running",
                                          running < 0 ? json_null() : json_boolean(running),
                                          "pid", running > 0 ? json_integer(daemon_pid)
                                                             : json_null()));
            json_object_set(o, "forks", forks.forks);
            json_object_set(o, "readers", readers.arr);
        }
        if (vl_cli_print_json(o) != VL_OK) {
            o = NULL;
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        o = NULL;
    } else {
        printf("network   %s (id %s, policy version %llu, threshold %u)\n",
               vl_cli_esc(vl_policy_name(pol)), net, (unsigned long long)vl_policy_version(pol),
               vl_policy_threshold(pol));
        printf("policy    version %llu, hash %.16s (governs from entry %llu)\n",
               (unsigned long long)vl_policy_version(pol), phash,
               (unsigned long long)vl_policy_from(pol));
        if (json_array_size(readers.arr) > 0) {
            size_t i;
            const json_t *r;
            printf("readers  ");
            json_array_foreach(readers.arr, i, r)
                printf("%s %s", i ? "," : "", vl_cli_esc(json_string_value(r)));
            printf(" (read-only keys)\n");
        }
        printf("store     %s (opened as %s%s)\n", vl_cli_esc(cli.store_dir), vl_cli_esc(me),
               me_reader ? ", a reader: read-only" : "");
        if (running > 0)
            printf("daemon    running (valise-node pid %ld)\n", daemon_pid);
        else if (running == 0)
            printf("daemon    stopped (no valise-node runs on this store)\n");
        else
            printf("daemon    unknown (cannot test the lock %s/%s)\n",
                   vl_cli_esc(cli.store_dir), VL_STORE_DAEMON_LOCK);
        printf("head      entry %llu, hash %.16s, root %.16s\n", (unsigned long long)head.seq,
               hash, root);
        printf("records   %llu\n", (unsigned long long)head.records);
        printf("pending   %llu proposal%s\n", (unsigned long long)head.pending,
               head.pending == 1 ? "" : "s");
        if (fr.state == VL_FRESH_OK) {
            char until[32];
            vl_cli_time(fr.expires, until);
            printf("freshness: fresh until %s (statement of entry %llu)\n", until,
                   (unsigned long long)fr.seq);
        } else if (fr.state == VL_FRESH_UNCONFIGURED) {
            printf("freshness: not configured (the policy names no fresh node)\n");
        } else {
            printf("freshness: %s: %s\n", vl_cli_freshness_state(fr.state), vl_cli_esc(ftext));
        }
        size_t fi;
        const json_t *fk;
        json_array_foreach(forks.forks, fi, fk) s_print_fork(fk);
        if (fork_seq && json_array_size(forks.forks) == 0)
            printf("FORK at entry %llu: evidence recorded: log stopped\n",
                   (unsigned long long)fork_seq);
        if (nout + nin == 0) {
            printf("peers     none (no valise-node has run on this store)\n");
        } else {
            printf("peers     %zu configured, %zu connected to us\n", nout, nin);
            for (size_t i = 0; i < peers.n; i++)
                if (s_kind(peers.v[i].addr) != S_ZAP)
                    s_text_peer(pol, &peers.v[i], head.seq, now, running);
        }
        bool titled = zap_count != 0;
        if (zap_count) {
            char age[32];
            s_age(now, zap_when, age, sizeof age);
            printf("refused   by us: %llu connection%s (keys that are not nodes of the network); "
                   "%s, %s\n",
                   (unsigned long long)zap_count, zap_count == 1 ? "" : "s",
                   vl_cli_esc(zap_last[0] ? zap_last : "last: ?"), age);
        }
        for (size_t i = 0; i < peers.n; i++) {
            const vl_peer_info_t *p = &peers.v[i];
            if (s_kind(p->addr) == S_OUT && strncmp(p->state, "refused", sizeof p->state) == 0) {
                char addr[sizeof p->addr];
                s_clean(addr, sizeof addr, p->addr, sizeof p->addr);
                printf("%s by peers: %s refuses our key\n", titled ? "         " : "refused  ",
                       vl_cli_esc(addr));
                titled = true;
            }
        }
        if (peers.skipped)
            printf("          (%zu more peer records not shown)\n", peers.skipped);
    }
    vl_cli_freshness_warn(&fr, ftext);
    ret = VL_EXIT_OK;
out:
    json_decref(o);
    json_decref(forks.forks);
    json_decref(readers.arr);
    free(peers.v);
    vl_cli_done(&cli);
    return ret;
}
