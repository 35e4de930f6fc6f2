/* SPDX-License-Identifier: MIT */
/*
 * valise genesis - create, sign and show the genesis: policy version 1,
 * which names the approvers (k of n), the central authorities and their
 * States, the member nodes and the readers, and carries the content key
 * sealed to every member. It is valid once k approvers have signed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_keyfile.h"
#include "vl_limits.h"

static const char s_usage[] =
    "usage: valise genesis create --name NAME --threshold K --approver PUB...\n"
    "                             [--authority STATES=PUB...] [--node PUB...]\n"
    "                             [--reader PUB...] [--fresh-node PUB] --out FILE\n"
    "       valise genesis sign FILE --key APPROVER.key\n"
    "       valise genesis show FILE [--json]\n"
    "\n"
    "create  Build the unsigned genesis of a new network and write it to FILE (never\n"
    "        overwritten). Members are named by the labels of their .pub files.\n"
    "          --name NAME             network name\n"
    "          --threshold K           approvals needed for a change (k of the approvers)\n"
    "          --approver PUB...       approver (Secretariat) public key files\n"
    "          --authority STATES=PUB  a central authority and the States it may edit,\n"
    "                                  e.g. MU=mu.pub or FR,MU=reunion.pub (repeatable)\n"
    "          --node PUB...           member node public key files\n"
    "          --reader PUB...         reader public key files: a reader receives the\n"
    "                                  content key and may read a replica, but may not\n"
    "                                  propose, approve, reject, sign or be a node\n"
    "          --fresh-node PUB        the node whose signed freshness statements count\n"
    "                                  (the Secretariat's node; also give it as --node).\n"
    "                                  Without it the network makes no freshness claim.\n"
    "        Each repeatable option takes one or more values: --node a.pub b.pub.\n"
    "sign    Add the signature of the approver key given by --key to FILE (in place).\n"
    "show    Print the policy and whether the threshold of signatures is met.\n"
    "        --json adds \"created\", \"threshold_met\" and \"fresh_node\" (\"name (kid)\" or null).\n";

static int
s_add(vl_cli_t *cli, vl_policy_builder_t *b, vl_role_t role, const char *path,
      const char *states)
{
    uint8_t pk[VL_PK_LEN];
    char name[VL_MAX_NAME + 1] = "";
    int rc = vl_cli_read_pub(cli, path, pk, name);
    if (rc != VL_OK)
        return rc;
    cli->err[0] = '\0';
    rc = vl_policy_builder_add(b, role, pk, name, states, cli->err);
    if (rc != VL_OK)
        vl_cli_fail(cli, rc, "%s", path);
    return rc;
}

static int
s_create(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "genesis create", s_usage);
    const char *name = NULL, *threshold = NULL, *outpath = NULL, *fresh = NULL;
    vl_strlist_t approvers = { .n = 0 }, authorities = { .n = 0 }, nodes = { .n = 0 };
    vl_strlist_t readers = { .n = 0 };
    const vl_opt_t opts[] = {
        { "name", VL_OPT_ARG, &name },
        { "threshold", VL_OPT_ARG, &threshold },
        { "approver", VL_OPT_MULTI, &approvers },
        { "authority", VL_OPT_MULTI, &authorities },
        { "node", VL_OPT_MULTI, &nodes },
        { "reader", VL_OPT_MULTI, &readers },
        { "fresh-node", VL_OPT_ARG, &fresh },
        { "out", VL_OPT_ARG, &outpath },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!name)
        return vl_cli_usage(&cli, "--name is required");
    if (!threshold)
        return vl_cli_usage(&cli, "--threshold is required");
    if (!outpath)
        return vl_cli_usage(&cli, "--out FILE is required");
    if (approvers.n == 0)
        return vl_cli_usage(&cli, "at least one --approver is required");
    uint64_t k = 0;
    if (vl_cli_number(&cli, "threshold", threshold, 1, VL_MAX_APPROVERS, &k) != VL_OK)
        return VL_EXIT_USAGE;

    ret = VL_EXIT_ERR;
    uint8_t *doc = NULL;
    size_t len = 0;
    vl_policy_t *pol = NULL;
    vl_policy_builder_t *b = vl_policy_builder_new();
    if (!b) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    int rc = vl_policy_builder_set(b, name, (uint32_t)k, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    for (size_t i = 0; i < approvers.n; i++)
        if (s_add(&cli, b, VL_ROLE_APPROVER, approvers.v[i], NULL) != VL_OK)
            goto out;
    for (size_t i = 0; i < authorities.n; i++) {
        const char *spec = authorities.v[i];
        const char *eq = strchr(spec, '=');
        if (!eq || eq == spec || !eq[1]) {
            ret = vl_cli_usage(&cli, "--authority wants STATES=PUB (e.g. MU=mu.pub), not '%s'",
                               spec);
            goto out;
        }
        char states[VL_MAX_STATES * 3 + 1];
        size_t slen = (size_t)(eq - spec);
        if (slen >= sizeof states) {
            vl_cli_fail(&cli, VL_ELIMIT, "--authority %s: too many States", spec);
            goto out;
        }
        memcpy(states, spec, slen);
        states[slen] = '\0';
        if (s_add(&cli, b, VL_ROLE_AUTHORITY, eq + 1, states) != VL_OK)
            goto out;
    }
    for (size_t i = 0; i < nodes.n; i++)
        if (s_add(&cli, b, VL_ROLE_NODE, nodes.v[i], NULL) != VL_OK)
            goto out;
    for (size_t i = 0; i < readers.n; i++)
        if (s_add(&cli, b, VL_ROLE_READER, readers.v[i], NULL) != VL_OK)
            goto out;
    if (fresh) {
        uint8_t fpk[VL_PK_LEN];
        bool is_node = false;
        if (vl_cli_read_pub(&cli, fresh, fpk, NULL) != VL_OK)
            goto out;
        for (size_t i = 0; i < nodes.n && !is_node; i++) {
            uint8_t npk[VL_PK_LEN];
            cli.err[0] = '\0';
            if (vl_pubfile_read(nodes.v[i], npk, NULL, cli.err) == VL_OK &&
                memcmp(npk, fpk, VL_PK_LEN) == 0)
                is_node = true;
        }
        cli.err[0] = '\0';
        if (!is_node) {
            vl_cli_fail(&cli, VL_EINVAL, "--fresh-node %s is not one of the --node keys", fresh);
            goto out;
        }
        rc = vl_policy_builder_set_fresh(b, fpk);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "--fresh-node %s", fresh);
            goto out;
        }
    }

    rc = vl_policy_builder_finish(b, vl_cli_now(), &doc, &len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    rc = vl_policy_parse(doc, len, VL_POLICY_ALLOW_UNSIGNED, &pol, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "the new genesis does not parse");
        goto out;
    }
    rc = vl_cli_write_file(outpath, doc, len, true, 0644, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    char net[2 * VL_NETID_LEN + 1];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    printf("wrote %s: network \"%s\" (id %s), threshold %llu of %zu approver%s, %zu "
           "authorit%s, %zu node%s\n",
           vl_cli_esc(outpath), vl_cli_esc(vl_policy_name(pol)), net, (unsigned long long)k,
           approvers.n, approvers.n == 1 ? "" : "s", authorities.n,
           authorities.n == 1 ? "y" : "ies", nodes.n, nodes.n == 1 ? "" : "s");
    if (readers.n > 0)
        printf("readers: %zu (they receive the content key and may only read)\n", readers.n);
    if (vl_policy_fresh(pol)) {
        char who[VL_MAX_NAME + 40];
        vl_cli_member(pol, vl_policy_fresh(pol), who, sizeof who);
        printf("freshness statements: signed by %s\n", vl_cli_esc(who));
    }
    printf("unsigned: %llu approvers must sign it (valise genesis sign %s --key APPROVER.key)\n",
           (unsigned long long)k, vl_cli_esc(outpath));
    ret = VL_EXIT_OK;
out:
    vl_policy_destroy(&pol);
    vl_policy_builder_destroy(&b);
    free(doc);
    return ret;
}

static int
s_sign(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "genesis sign", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one genesis FILE");
    const char *path = cli.args.v[0];

    ret = VL_EXIT_ERR;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    vl_policy_t *pol = NULL;
    int rc = vl_cli_read_file(path, VL_MAX_DOC, &in, &in_len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto done;
    }
    if (vl_cli_load_key(&cli) != VL_OK)
        goto done;
    rc = vl_policy_sign(in, in_len, cli.kp, &out, &out_len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto done;
    }
    rc = vl_policy_parse(out, out_len, VL_POLICY_ALLOW_UNSIGNED, &pol, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto done;
    }
    rc = vl_cli_write_file(path, out, out_len, false, 0644, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto done;
    }
    char who[VL_MAX_NAME + 40];
    vl_cli_member(pol, vl_keypair_pk(cli.kp), who, sizeof who);
    size_t n = vl_policy_nsigs(pol);
    uint32_t k = vl_policy_threshold(pol);
    printf("signed %s as %s: %zu of %u signatures%s\n", vl_cli_esc(path), vl_cli_esc(who), n, k,
           n >= k ? " (threshold met)" : "");
    ret = VL_EXIT_OK;
done:
    vl_policy_destroy(&pol);
    free(in);
    free(out);
    vl_cli_done(&cli);
    return ret;
}

static void
s_print_members(const json_t *arr, const char *title)
{
    printf("%s:\n", title);
    if (json_array_size(arr) == 0)
        printf("  (none)\n");
    size_t i;
    const json_t *m;
    json_array_foreach(arr, i, m) {
        printf("  %-24s %s", vl_cli_esc(json_string_value(json_object_get(m, "name"))),
               json_string_value(json_object_get(m, "kid")));
        const json_t *st = json_object_get(m, "states");
        if (st) {
            size_t s;
            const json_t *v;
            printf("  States:");
            json_array_foreach(st, s, v) printf(" %s", vl_cli_esc(json_string_value(v)));
        }
        putchar('\n');
    }
}

static int
s_show(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "genesis show", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one genesis FILE");
    const char *path = cli.args.v[0];

    ret = VL_EXIT_ERR;
    uint8_t *in = NULL;
    size_t in_len = 0;
    vl_policy_t *pol = NULL;
    json_t *j = NULL;
    int rc = vl_cli_read_file(path, VL_MAX_DOC, &in, &in_len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto done;
    }
    rc = vl_policy_parse(in, in_len, VL_POLICY_ALLOW_UNSIGNED, &pol, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto done;
    }
    j = vl_policy_to_json(pol);
    if (!j) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto done;
    }
    bool met = vl_policy_nsigs(pol) >= vl_policy_threshold(pol);
    char when[32];
    vl_cli_time(vl_policy_time(pol), when);
    json_object_set_new(j, "created", json_string(when));
    json_object_set_new(j, "threshold_met", json_boolean(met));
    const uint8_t *fpk = vl_policy_fresh(pol);
    char fresh[VL_MAX_NAME + 40] = "none";
    if (fpk)
        vl_cli_member(pol, fpk, fresh, sizeof fresh);
    json_object_set_new(j, "fresh_node", fpk ? json_string(fresh) : json_null());
    if (cli.json) {
        vl_cli_print_json(j);
        j = NULL;
    } else {
        printf("network    %s\n", vl_cli_esc(vl_policy_name(pol)));
        printf("id         %s\n", json_string_value(json_object_get(j, "network_id")));
        printf("policy     version %llu, hash %s\n", (unsigned long long)vl_policy_version(pol),
               json_string_value(json_object_get(j, "policy_hash")));
        printf("created    %s\n", when);
        printf("fresh node %s\n", fpk ? vl_cli_esc(fresh) : "none (no freshness claim)");
        printf("signatures %zu of %u required: %s\n", vl_policy_nsigs(pol),
               vl_policy_threshold(pol), met ? "threshold met" : "threshold NOT met");
        s_print_members(json_object_get(j, "approvers"), "approvers");
        s_print_members(json_object_get(j, "authorities"), "authorities");
        s_print_members(json_object_get(j, "nodes"), "nodes");
        if (json_array_size(json_object_get(j, "readers")) > 0)
            s_print_members(json_object_get(j, "readers"), "readers");
    }
    ret = VL_EXIT_OK;
done:
    json_decref(j);
    vl_policy_destroy(&pol);
    free(in);
    return ret;
}

int
cmd_genesis(int argc, char **argv)
{
    static const vl_cli_action_t actions[] = {
        { "create", s_create },
        { "sign", s_sign },
        { "show", s_show },
        { NULL, NULL },
    };
    return vl_cli_dispatch("genesis", actions, s_usage, argc, argv);
}
