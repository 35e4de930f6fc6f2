/* SPDX-License-Identifier: MIT */
/*
 * valise bundle - signed bundles: a peer that arrives on a stick
 * (docs/formats.md §11, docs/cli.md "bundle"). `want` writes what this store
 * has; `create` writes what a receiver lacks; `import` takes a bundle with
 * the live-peer rules (store/vl_store_bundle.c); `show` describes one
 * without any secret key.
 *
 * Every check is the store's or the bundle reader's (protocol/vl_bundle.c);
 * this file reads files, writes them atomically, and prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_bundle.h"
#include "vl_cli.h"
#include "vl_entry.h"
#include "vl_envelope.h"
#include "vl_fresh.h"
#include "vl_limits.h"
#include "vl_progress.h"

static const char s_usage[] =
    "usage: valise bundle want   --out FILE --key MEMBER.key\n"
    "       valise bundle create --out FILE [--since SEQ | --since-file WANTFILE]\n"
    "                            --key MEMBER.key\n"
    "       valise bundle import FILE [--json] --key MEMBER.key\n"
    "       valise bundle show   FILE [--json]\n"
    "\n"
    "A bundle is a signed file that carries, for a store with no network link,\n"
    "what a live peer would send: policy versions, log entries, the newest\n"
    "freshness statement, fork evidence, pending proposals and rejections, each\n"
    "exactly as on the wire (record contents stay encrypted).\n"
    "\n"
    "want    Write a small file saying what this store has (head seq and hash,\n"
    "        policy version, newest statement), for the other side's create.\n"
    "create  Write a bundle made (and signed) by --key's member: entries after\n"
    "        --since SEQ, or after the head named in --since-file WANTFILE (its\n"
    "        network and head hash must match this log), or all of them; the\n"
    "        policy versions the receiver lacks (all without a want), the stored\n"
    "        statement, every fork, every pending proposal and rejection.\n"
    "        --out refuses to overwrite an existing file.\n"
    "import  Check everything in FILE before writing anything, with the rules a\n"
    "        live peer's data meets, then apply it; what this store already has\n"
    "        is counted, not an error. Importing twice changes nothing.\n"
    "          --json  {\"imported\", \"entries\": {\"from\", \"to\", \"count\"},\n"
    "                  \"policies\", \"statements\", \"evidence\", \"proposals\",\n"
    "                  \"rejections\", \"known\", \"head\"}\n"
    "show    Describe FILE: network, maker, time, range, counts, approvers, size;\n"
    "        with a store (--store or the default) also whether it can import it.\n"
    "        Needs no key.\n";

/* ---- helpers -------------------------------------------------------------------- */

static void
s_counts_text(const vl_bundle_sum_t *s, char *out, size_t cap)
{
    char ent[64];
    if (s->counts[VL_BK_ENTRY])
        snprintf(ent, sizeof ent, "entries %llu..%llu (%llu)", (unsigned long long)s->from,
                 (unsigned long long)s->to, (unsigned long long)s->counts[VL_BK_ENTRY]);
    else
        snprintf(ent, sizeof ent, "entries none (0)");
    snprintf(out, cap,
             "%s, %llu policy versions, %llu statement(s), %llu evidence, %llu proposals, "
             "%llu rejections",
             ent, (unsigned long long)s->counts[VL_BK_POLICY],
             (unsigned long long)s->counts[VL_BK_FRESH],
             (unsigned long long)s->counts[VL_BK_EVIDENCE],
             (unsigned long long)s->counts[VL_BK_PROPOSAL],
             (unsigned long long)s->counts[VL_BK_REJECTION]);
}

/* Read and check a bundle file (the bytes stay owned by the caller). */
static int
s_load(vl_cli_t *cli, const char *path, uint8_t **buf, size_t *len, vl_bundle_t **b)
{
    cli->err[0] = '\0';
    int rc = vl_cli_read_file(path, (size_t)VL_MAX_BUNDLE_FILE, buf, len, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, NULL);
        return rc;
    }
    rc = vl_bundle_parse(*buf, *len, b, cli->err);
    if (rc != VL_OK)
        vl_cli_fail(cli, rc, "%s", path);
    return rc;
}

/* ---- want --------------------------------------------------------------------------- */

static int
s_want(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "bundle want", s_usage);
    const char *outpath = NULL;
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &outpath },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!outpath)
        return vl_cli_usage(&cli, "--out FILE is required");
    ret = VL_EXIT_ERR;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    vl_head_t head;
    int rc = vl_store_head(cli.store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "head");
        goto out;
    }
    const vl_policy_t *pol = vl_store_policy(cli.store);
    vl_want_t w;
    memset(&w, 0, sizeof w);
    memcpy(w.net, vl_policy_net(pol), VL_NETID_LEN);
    w.head = head.seq;
    memcpy(w.hash, head.hash, VL_HASH_LEN);
    w.policy = vl_policy_version(pol);
    w.time = vl_cli_now();
    vl_freshness_t f;
    cli.err[0] = '\0';
    if (vl_store_freshness(cli.store, w.time, &f, cli.err) == VL_OK && f.have)
        w.fresh = f.issued;
    if ((rc = vl_want_write(&w, &buf, &len)) != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    cli.err[0] = '\0';
    if ((rc = vl_cli_write_file(outpath, buf, len, true, 0644, cli.err)) != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    char hash[2 * VL_HASH_LEN + 1];
    vl_hex(head.hash, VL_HASH_LEN, hash);
    printf("want %s: head %llu (hash %.16s), policy version %llu, %s\n", vl_cli_esc(outpath),
           (unsigned long long)w.head, hash, (unsigned long long)w.policy,
           w.fresh ? "has a freshness statement" : "no freshness statement");
    ret = VL_EXIT_OK;
out:
    free(buf);
    vl_cli_done(&cli);
    return ret;
}

/* ---- create ------------------------------------------------------------------------- */

/* Write the bundle into a temporary file next to path, then link it to
 * path (which must not exist: no silent overwrite). */
static int
s_create_file(vl_cli_t *cli, const char *path, const vl_want_t *want, uint64_t since,
              vl_bundle_sum_t *sum)
{
    int rc = VL_EIO, fd = -1;
    FILE *f = NULL;
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.valise-tmp.XXXXXX",
                             (int)(slash - path), path)
                  : snprintf(tmp, sizeof tmp, ".valise-tmp.XXXXXX");
    if (n < 0 || (size_t)n >= sizeof tmp)
        return vl_cli_fail(cli, VL_EINVAL, "%s: path too long", path), VL_EINVAL;
    if (access(path, F_OK) == 0) {
        vl_cli_fail(cli, VL_EEXIST, "%s already exists (refusing to overwrite)", path);
        return VL_EEXIST;
    }
    if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "wb"))) {
        vl_cli_fail(cli, VL_EIO, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return VL_EIO;
    }
    cli->err[0] = '\0';
    rc = vl_store_bundle_create(cli->store, f, want, since, vl_cli_now(), sum, cli->err);
    if (rc == VL_OK && (fflush(f) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc = VL_EIO;
    if (fclose(f) != 0 && rc == VL_OK)
        rc = VL_EIO;
    if (rc == VL_OK && link(tmp, path) != 0)
        rc = errno == EEXIST ? VL_EEXIST : VL_EIO;
    unlink(tmp);
    if (rc == VL_EEXIST && !cli->err[0])
        vl_cli_fail(cli, rc, "%s already exists (refusing to overwrite)", path);
    else if (rc == VL_EIO && !cli->err[0])
        vl_cli_fail(cli, rc, "%s: %s", path, strerror(errno));
    else if (rc != VL_OK)
        vl_cli_fail(cli, rc, NULL);
    return rc;
}

static int
s_create(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "bundle create", s_usage);
    const char *outpath = NULL, *since_s = NULL, *since_file = NULL;
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &outpath },
        { "since", VL_OPT_ARG, &since_s },
        { "since-file", VL_OPT_ARG, &since_file },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!outpath)
        return vl_cli_usage(&cli, "--out FILE is required");
    if (since_s && since_file)
        return vl_cli_usage(&cli, "--since and --since-file exclude each other");
    uint64_t since = 0;
    if (since_s && vl_cli_number(&cli, "since", since_s, 0, VL_CLI_MAX_SEQ, &since) != VL_OK)
        return VL_EXIT_USAGE;
    ret = VL_EXIT_ERR;
    uint8_t *wbuf = NULL;
    size_t wlen = 0;
    vl_want_t want;
    int rc;
    if (since_file) {
        cli.err[0] = '\0';
        if ((rc = vl_cli_read_file(since_file, VL_MAX_WANT_FILE, &wbuf, &wlen, cli.err)) !=
            VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        if ((rc = vl_want_parse(wbuf, wlen, &want, cli.err)) != VL_OK) {
            vl_cli_fail(&cli, rc, "%s", since_file);
            goto out;
        }
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    vl_bundle_sum_t sum;
    if (s_create_file(&cli, outpath, since_file ? &want : NULL, since, &sum) != VL_OK)
        goto out;
    char text[256];
    s_counts_text(&sum, text, sizeof text);
    printf("bundle %s: %s, %llu bytes\n", vl_cli_esc(outpath), text,
           (unsigned long long)sum.size);
    ret = VL_EXIT_OK;
out:
    free(wbuf);
    vl_cli_done(&cli);
    return ret;
}

/* ---- import ------------------------------------------------------------------------- */

static int
s_import(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "bundle import", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, cli.args.n ? "one bundle FILE at a time"
                                             : "bundle FILE is required");
    const char *path = cli.args.v[0];
    ret = VL_EXIT_ERR;
    uint8_t *buf = NULL;
    size_t len = 0;
    vl_bundle_t *b = NULL;
    if (s_load(&cli, path, &buf, &len, &b) != VL_OK)
        goto out;
    if (vl_cli_open_store(&cli, 0) != VL_OK)
        goto out;
    vl_bundle_sum_t sum;
    vl_progress_t prog;
    vl_progress_init(&prog, "bundle import");
    cli.err[0] = '\0';
    int rc = vl_store_bundle_import_ex(cli.store, b, vl_cli_now(), false, vl_progress_cb, &prog,
                                       &sum, cli.err);
    vl_progress_end(&prog);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto out;
    }
    uint64_t took = 0, known = 0;
    for (int k = 0; k < VL_BK_N; k++) {
        took += sum.counts[k];
        known += sum.known[k];
    }
    if (cli.json) {
        json_t *o = json_pack(
            "{s:b, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "imported",
            took > 0, "entries", "from", (json_int_t)sum.from, "to", (json_int_t)sum.to,
            "count", (json_int_t)sum.counts[VL_BK_ENTRY], "policies",
            (json_int_t)sum.counts[VL_BK_POLICY], "statements",
            (json_int_t)sum.counts[VL_BK_FRESH], "evidence",
            (json_int_t)sum.counts[VL_BK_EVIDENCE], "proposals",
            (json_int_t)sum.counts[VL_BK_PROPOSAL], "rejections",
            (json_int_t)sum.counts[VL_BK_REJECTION], "known", (json_int_t)known, "head",
            (json_int_t)sum.head);
        if (vl_cli_print_json(o) != VL_OK) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else if (took == 0) {
        printf("nothing new: the store already has everything in this bundle (head %llu)\n",
               (unsigned long long)sum.head);
    } else {
        char text[256];
        s_counts_text(&sum, text, sizeof text);
        printf("imported %s; %llu already known; head is now %llu\n", text,
               (unsigned long long)known, (unsigned long long)sum.head);
    }
    ret = VL_EXIT_OK;
out:
    vl_bundle_destroy(&b);
    free(buf);
    vl_cli_done(&cli);
    return ret;
}

/* ---- show --------------------------------------------------------------------------- */

/* The names the show output uses: the store's chain when there is one,
 * else the chain the bundle carries from the genesis (verified), else none. */
typedef struct {
    vl_policy_t *owned[2];       /* a carried chain: its first and newest versions */
    const vl_policy_t *pols[2];  /* where to look names up (NULL: none) */
} s_names_t;

static void
s_names_load(s_names_t *nm, const vl_bundle_t *b, vl_store_t *store)
{
    memset(nm, 0, sizeof *nm);
    if (store) {
        nm->pols[0] = vl_store_policy(store);
        nm->pols[1] = vl_store_policy_at(store, 1);
    }
    const vl_bundle_hdr_t *h = vl_bundle_hdr(b);
    size_t np = (size_t)h->counts[VL_BK_POLICY];
    vl_policy_t *cur = NULL, *first = NULL;
    for (size_t i = 0; i < np; i++) {
        vl_bundle_item_t it;
        vl_bundle_item(b, i, &it);
        vl_policy_t *next = NULL;
        int rc = i == 0 ? vl_policy_parse(it.a, it.alen, 0, &next, NULL)
                        : vl_policy_parse_next(cur, it.a, it.alen, 0, &next, NULL);
        if (rc != VL_OK)
            break;
        if (i == 0)
            first = next;
        else if (cur != first)
            vl_policy_destroy(&cur);
        cur = next;
    }
    nm->owned[0] = first;
    nm->owned[1] = cur != first ? cur : NULL;
    if (!store && first) {
        nm->pols[0] = cur;
        nm->pols[1] = first;
    }
}

static void
s_names_free(s_names_t *nm)
{
    vl_policy_destroy(&nm->owned[0]);
    vl_policy_destroy(&nm->owned[1]);
}

/* "name (kid)", or "kid" when no policy names the key. */
static void
s_name(const s_names_t *nm, const uint8_t pk[VL_PK_LEN], char *out, size_t cap,
       const char **name)
{
    char kid[2 * VL_KID_LEN + 1];
    vl_kid(pk, kid);
    *name = NULL;
    for (int i = 0; i < 2 && !*name; i++)
        if (nm->pols[i])
            *name = vl_policy_member_name(nm->pols[i], pk);
    if (*name)
        snprintf(out, cap, "%s (%s)", *name, kid);
    else
        snprintf(out, cap, "%s", kid);
}

#define S_MAX_SHOWN_SIGNERS 256u

static int
s_show(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "bundle show", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, cli.args.n ? "one bundle FILE at a time"
                                             : "bundle FILE is required");
    const char *path = cli.args.v[0];
    ret = VL_EXIT_ERR;
    uint8_t *buf = NULL;
    size_t len = 0;
    vl_bundle_t *b = NULL;
    vl_store_t *store = NULL;
    json_t *o = NULL;
    s_names_t nm;
    memset(&nm, 0, sizeof nm);
    uint8_t (*signers)[VL_PK_LEN] = NULL;
    size_t nsigners = 0;
    bool have_store = false, importable = false;
    char reason[VL_ERRMSG_MAX] = "";
    if (s_load(&cli, path, &buf, &len, &b) != VL_OK)
        goto out;
    const vl_bundle_hdr_t *h = vl_bundle_hdr(b);
    /* A store, read-only and without a key: public facts only. */
    char why[VL_ERRMSG_MAX] = "";
    int rc = vl_store_open(cli.store_dir, NULL, VL_STORE_RDONLY, &store, why);
    if (rc == VL_OK) {
        vl_bundle_sum_t sum;
        have_store = true;
        rc = vl_store_bundle_import(store, b, vl_cli_now(), true, &sum, reason);
        importable = rc == VL_OK;
        if (!importable && !reason[0])
            snprintf(reason, sizeof reason, "%s", vl_strerror(rc));
    } else if (rc != VL_ENOTFOUND) {
        have_store = true;
        snprintf(reason, sizeof reason, "the store cannot be read: %.200s",
                 why[0] ? why : vl_strerror(rc));
    }
    s_names_load(&nm, b, store);
    /* Who signed the carried entries (as the entries say; import verifies). */
    if (!(signers = calloc(S_MAX_SHOWN_SIGNERS, sizeof *signers))) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    for (size_t i = 0; i < vl_bundle_count(b); i++) {
        vl_bundle_item_t it;
        vl_bundle_item(b, i, &it);
        if (it.kind != VL_BK_ENTRY)
            continue;
        uint8_t pks[VL_MAX_APPROVERS][VL_PK_LEN];
        size_t n = 0;
        if (vl_entry_peek_signers(it.a, it.alen, pks, VL_MAX_APPROVERS, &n, NULL) != VL_OK)
            continue;
        for (size_t j = 0; j < n && j < VL_MAX_APPROVERS; j++) {
            size_t k = 0;
            while (k < nsigners && memcmp(signers[k], pks[j], VL_PK_LEN) != 0)
                k++;
            if (k == nsigners && nsigners < S_MAX_SHOWN_SIGNERS)
                memcpy(signers[nsigners++], pks[j], VL_PK_LEN);
        }
    }
    char netid[2 * VL_NETID_LEN + 1], when[32], maker[VL_MAX_NAME + 40], kid[2 * VL_KID_LEN + 1];
    const char *maker_name = NULL;
    vl_hex(h->net, VL_NETID_LEN, netid);
    vl_cli_time(h->time, when);
    vl_kid(h->maker, kid);
    s_name(&nm, h->maker, maker, sizeof maker, &maker_name);
    if (cli.json) {
        json_t *ja = json_array(), *jc = json_object();
        o = json_object();
        if (!ja || !jc || !o) {
            json_decref(ja);
            json_decref(jc);
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        for (size_t i = 0; i < nsigners; i++) {
            char nb[VL_MAX_NAME + 40], sk[2 * VL_KID_LEN + 1];
            const char *sn = NULL;
            s_name(&nm, signers[i], nb, sizeof nb, &sn);
            vl_kid(signers[i], sk);
            json_array_append_new(ja, json_pack("{s:s, s:o}", "kid", sk, "name",
                                                sn ? json_string(sn) : json_null()));
        }
        for (int k = 0; k < VL_BK_N; k++)
            json_object_set_new(jc, vl_bundle_kind_name((vl_bkind_t)k),
                                json_integer((json_int_t)h->counts[k]));
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "size", json_integer((json_int_t)len));
        json_object_set_new(o, "network", json_pack("{s:s, s:s}", "name", h->name, "id", netid));
        json_object_set_new(o, "maker", json_pack("{s:s, s:o}", "kid", kid, "name",
                                                  maker_name ? json_string(maker_name)
                                                             : json_null()));
        json_object_set_new(o, "time", json_string(when));
        json_object_set_new(o, "policy", json_integer((json_int_t)h->policy));
        json_object_set_new(o, "entries",
                            json_pack("{s:I, s:I, s:I}", "from", (json_int_t)h->from, "to",
                                      (json_int_t)h->to, "count",
                                      (json_int_t)h->counts[VL_BK_ENTRY]));
        json_object_set_new(o, "counts", jc);
        json_object_set_new(o, "approvers", ja);
        json_object_set_new(o, "importable", have_store ? json_boolean(importable) : json_null());
        json_object_set_new(o, "reason", have_store && !importable ? json_string(reason)
                                                                   : json_null());
        json_t *j = o;
        o = NULL;
        if (vl_cli_print_json(j) != VL_OK) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else {
        printf("bundle: %s (%zu bytes)\n", vl_cli_esc(path), len);
        printf("network: %s (%s)\n", vl_cli_esc(h->name), netid);
        printf("maker: %s\n", vl_cli_esc(maker));
        printf("time: %s\n", when);
        printf("policy: version %llu\n", (unsigned long long)h->policy);
        if (h->counts[VL_BK_ENTRY])
            printf("entries: %llu..%llu (%llu)\n", (unsigned long long)h->from,
                   (unsigned long long)h->to, (unsigned long long)h->counts[VL_BK_ENTRY]);
        else
            printf("entries: none (0)\n");
        printf("objects: %llu policy versions, %llu statement(s), %llu evidence, %llu "
               "proposals, %llu rejections\n",
               (unsigned long long)h->counts[VL_BK_POLICY],
               (unsigned long long)h->counts[VL_BK_FRESH],
               (unsigned long long)h->counts[VL_BK_EVIDENCE],
               (unsigned long long)h->counts[VL_BK_PROPOSAL],
               (unsigned long long)h->counts[VL_BK_REJECTION]);
        printf("approvers: ");
        if (!nsigners)
            printf("none");
        for (size_t i = 0; i < nsigners; i++) {
            char nb[VL_MAX_NAME + 40];
            const char *sn = NULL;
            s_name(&nm, signers[i], nb, sizeof nb, &sn);
            printf("%s%s", i ? ", " : "", vl_cli_esc(nb));
        }
        printf("\n");
        if (have_store) {
            if (importable)
                printf("importable: yes\n");
            else
                printf("importable: no (%s)\n", vl_cli_esc(reason));
        }
    }
    ret = VL_EXIT_OK;
out:
    json_decref(o);
    free(signers);
    s_names_free(&nm);
    vl_store_close(&store);
    vl_bundle_destroy(&b);
    free(buf);
    vl_cli_done(&cli);
    return ret;
}

int
cmd_bundle(int argc, char **argv)
{
    static const vl_cli_action_t actions[] = {
        { "want", s_want },
        { "create", s_create },
        { "import", s_import },
        { "show", s_show },
        { NULL, NULL },
    };
    return vl_cli_dispatch("bundle", actions, s_usage, argc, argv);
}
