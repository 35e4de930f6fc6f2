/* SPDX-License-Identifier: MIT */
/*
 * valise fresh - freshness statements by hand (docs/trust.md §3): the fresh
 * node's operator issues a signed "my head is entry N, valid until E" from
 * this store; any member shows the stored statement and what it means for
 * the directory (fresh, behind, stale since, unknown); a statement travels
 * between stores as a small file (offline bundles for field offices).
 *
 * The daemon issues and gossips statements by itself; this command is for
 * stores that no daemon serves. Every check (signer, signature, clock skew,
 * rollback, the head against our log) is the store's (vl_store_fresh_put).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_fresh.h"
#include "vl_limits.h"

static const char s_usage[] =
    "usage: valise fresh issue --key NODE.key [--ttl SECONDS]\n"
    "       valise fresh show [--json] --key MEMBER.key\n"
    "       valise fresh import FILE --key MEMBER.key\n"
    "       valise fresh export --out FILE --key MEMBER.key\n"
    "\n"
    "A freshness statement is signed by the policy's fresh node (the Secretariat's\n"
    "node): \"my log head is entry N with hash H, issued at T, valid until E\". A\n"
    "store whose newest statement has expired still answers every read, but get,\n"
    "find, export and status warn that the directory may be stale, and since when.\n"
    "\n"
    "issue   Sign a statement of this store's head with the fresh node's key and\n"
    "        store it. The clock is VALISE_NOW if set, else the system clock.\n"
    "          --ttl SECONDS  validity, default 86400 (1 day), at most 2592000\n"
    "show    The fresh node, the stored statement and the freshness of this store.\n"
    "          --json  {\"fresh_node\": \"name (kid)\" or null, \"statement\": {\"node\",\n"
    "                  \"policy\", \"seq\", \"head\", \"issued\", \"expires\"} or null,\n"
    "                  \"freshness\": {\"state\", \"issued\", \"expires\", \"seq\", \"head\",\n"
    "                  \"message\"}}\n"
    "import  Accept a statement file (from 'valise fresh export' on another store).\n"
    "        Refused: not signed by the fresh node of the current policy, a bad\n"
    "        signature, issued in the future (beyond the 300 s clock skew), older\n"
    "        than the stored one (rollback), or naming a head that contradicts this\n"
    "        log.\n"
    "export  Write the stored statement to FILE (replaced if it exists).\n";

/* ---- issue -------------------------------------------------------------------- */

static int
s_issue(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "fresh issue", s_usage);
    const char *ttl_s = NULL;
    const vl_opt_t opts[] = {
        { "ttl", VL_OPT_ARG, &ttl_s },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    uint64_t ttl = 86400;
    if (ttl_s && vl_cli_number(&cli, "ttl", ttl_s, 1, VL_FRESH_MAX_TTL, &ttl) != VL_OK)
        return VL_EXIT_USAGE;

    ret = VL_EXIT_ERR;
    uint8_t *stmt = NULL;
    size_t len = 0;
    if (vl_cli_open_store(&cli, 0) != VL_OK)
        goto out;
    const vl_policy_t *pol = vl_store_policy(cli.store);
    if (vl_policy_roles(pol, vl_keypair_pk(cli.kp)) & VL_ROLE_READER) {
        vl_cli_fail(&cli, VL_EPERM, "a reader key may not issue a freshness statement");
        goto out;
    }
    if (!vl_policy_fresh(pol)) {
        vl_cli_fail(&cli, VL_EPERM,
                    "policy version %llu names no fresh node (genesis create --fresh-node, or "
                    "policy propose --fresh-node)",
                    (unsigned long long)vl_policy_version(pol));
        goto out;
    }
    vl_head_t head;
    int rc = vl_store_head(cli.store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "head");
        goto out;
    }
    uint64_t now = vl_cli_now();
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(cli.kp), VL_PK_LEN);
    f.policy = vl_policy_version(pol);
    f.seq = head.seq;
    memcpy(f.head, head.hash, VL_HASH_LEN);
    f.issued = now;
    f.expires = now + ttl;
    cli.err[0] = '\0';
    rc = vl_fresh_make(&f, cli.kp, &stmt, &len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "statement");
        goto out;
    }
    rc = vl_store_fresh_put(cli.store, stmt, len, now, cli.err);
    if (rc == VL_ESTALE) {
        vl_cli_failx(&cli, "refused: %s",
                     cli.err[0] ? cli.err : "rollback: the stored statement is newer");
        goto out;
    }
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "statement");
        goto out;
    }
    char hash[2 * VL_HASH_LEN + 1], until[32];
    vl_hex(head.hash, VL_HASH_LEN, hash);
    vl_cli_time(f.expires, until);
    printf("issued a freshness statement: entry %llu (hash %.16s), policy version %llu, valid "
           "until %s\n",
           (unsigned long long)f.seq, hash, (unsigned long long)f.policy, until);
    ret = VL_EXIT_OK;
out:
    free(stmt);
    vl_cli_done(&cli);
    return ret;
}

/* ---- show --------------------------------------------------------------------- */

static int
s_show(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "fresh show", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);

    ret = VL_EXIT_ERR;
    uint8_t *stmt = NULL;
    size_t len = 0;
    json_t *js = NULL, *jf = NULL;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    const vl_policy_t *pol = vl_store_policy(cli.store);
    int rc = vl_store_fresh_bytes(cli.store, &stmt, &len);
    if (rc != VL_OK && rc != VL_ENOTFOUND) {
        vl_cli_fail(&cli, rc, "stored statement");
        goto out;
    }
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    char bad[VL_ERRMSG_MAX] = "";
    bool have = false;
    if (rc == VL_OK) {
        /* Shown as stored; a statement the current policy no longer accepts
         * (its signer was replaced) is reported, not trusted. */
        int prc = vl_fresh_parse(pol, stmt, len, &f, bad);
        if (prc == VL_OK)
            have = true;
        else if (!bad[0])
            snprintf(bad, sizeof bad, "%s", vl_strerror(prc));
    }
    vl_freshness_t fr;
    char text[VL_ERRMSG_MAX];
    vl_cli_freshness(&cli, &fr, text, sizeof text);
    const uint8_t *fpk = vl_policy_fresh(pol);
    char fnode[VL_MAX_NAME + 40], signer[VL_MAX_NAME + 40];
    char hash[2 * VL_HASH_LEN + 1] = "", issued[32] = "", expires[32] = "";
    if (fpk)
        vl_cli_member(pol, fpk, fnode, sizeof fnode);
    if (have) {
        vl_cli_member(pol, f.node, signer, sizeof signer);
        vl_hex(f.head, VL_HASH_LEN, hash);
        vl_cli_time(f.issued, issued);
        vl_cli_time(f.expires, expires);
    }
    if (cli.json) {
        if (have)
            js = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "node", signer, "policy",
                           (json_int_t)f.policy, "seq", (json_int_t)f.seq, "head", hash,
                           "issued", issued, "expires", expires);
        else
            js = json_null();
        jf = vl_cli_freshness_json(&fr, text);
        json_t *o = json_pack("{s:o, s:O, s:O}", "fresh_node",
                              fpk ? json_string(fnode) : json_null(), "statement", js,
                              "freshness", jf);
        if (vl_cli_print_json(o) != VL_OK) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else {
        printf("fresh node  %s\n",
               fpk ? vl_cli_esc(fnode) : "none (this network makes no freshness claim)");
        if (have)
            printf("statement   entry %llu (hash %.16s), policy version %llu, signed by %s\n"
                   "            issued %s, expires %s\n",
                   (unsigned long long)f.seq, hash, (unsigned long long)f.policy,
                   vl_cli_esc(signer),
                   issued, expires);
        else if (bad[0])
            printf("statement   stored, but the current policy does not accept it: %s\n",
                   vl_cli_esc(bad));
        else
            printf("statement   none\n");
        if (fr.state == VL_FRESH_OK) {
            char until[32];
            vl_cli_time(fr.expires, until);
            printf("freshness   fresh until %s\n", until);
        } else if (fr.state == VL_FRESH_UNCONFIGURED) {
            printf("freshness   not configured\n");
        } else {
            printf("freshness   %s: %s\n", vl_cli_freshness_state(fr.state), vl_cli_esc(text));
        }
    }
    ret = VL_EXIT_OK;
out:
    json_decref(js);
    json_decref(jf);
    free(stmt);
    vl_cli_done(&cli);
    return ret;
}

/* ---- import / export ------------------------------------------------------------ */

/* A statement is taken only as vl_store_fresh_put allows (docs/trust.md §3):
 * signed by the fresh key, not older than the one held, naming our log. */
static int
s_import_one(vl_cli_t *cli, const char *path, const uint8_t *stmt, size_t len)
{
    int rc = vl_store_fresh_put(cli->store, stmt, len, vl_cli_now(), cli->err);
    if (rc == VL_ESTALE) {
        if (cli->err[0])
            vl_cli_failx(cli, "refused: %s: %s", path, cli->err);
        else
            vl_cli_failx(cli, "refused: rollback: %s: older than the statement this store "
                              "holds",
                         path);
        return VL_EXIT_ERR;
    }
    if (rc == VL_EEXIST) {
        cli->err[0] = '\0';
        return vl_cli_fail(cli, rc, "%s: this statement is already stored: nothing to do",
                           path);
    }
    if (rc != VL_OK)
        return vl_cli_fail(cli, rc, "%s", path);
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    char until[32] = "?";
    if (vl_fresh_parse(vl_store_policy(cli->store), stmt, len, &f, NULL) == VL_OK)
        vl_cli_time(f.expires, until);
    printf("imported %s: statement of entry %llu, valid until %s\n", vl_cli_esc(path),
           (unsigned long long)f.seq, until);
    return VL_EXIT_OK;
}

static int
s_import(int argc, char **argv)
{
    return vl_cli_import("fresh import", s_usage, "statement", VL_FRESH_MAX, s_import_one,
                         argc, argv);
}

static int
s_export(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "fresh export", s_usage);
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
    uint8_t *stmt = NULL;
    size_t len = 0;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    int rc = vl_store_fresh_bytes(cli.store, &stmt, &len);
    if (rc == VL_ENOTFOUND) {
        vl_cli_fail(&cli, rc, "this store holds no freshness statement");
        goto out;
    }
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "stored statement");
        goto out;
    }
    rc = vl_cli_write_file(outpath, stmt, len, false, 0644, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    printf("exported the freshness statement to %s (%zu bytes)\n", vl_cli_esc(outpath), len);
    ret = VL_EXIT_OK;
out:
    free(stmt);
    vl_cli_done(&cli);
    return ret;
}

int
cmd_fresh(int argc, char **argv)
{
    static const vl_cli_action_t actions[] = {
        { "issue", s_issue },
        { "show", s_show },
        { "import", s_import },
        { "export", s_export },
        { NULL, NULL },
    };
    return vl_cli_dispatch("fresh", actions, s_usage, argc, argv);
}
