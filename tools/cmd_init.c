/* SPDX-License-Identifier: MIT */
/*
 * valise init - create a store from a signed genesis, and optionally bring
 * it to a later policy version at once (--policy, versions 2.. in order).
 *
 * The whole chain is verified in memory first (each version against the one
 * before it); the store is created from it in one transaction
 * (vl_store_create_chain), so a refused init leaves nothing behind. A key
 * that only a later version names (a rotated or added member) starts its
 * store this way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_limits.h"

static const char s_usage[] =
    "usage: valise init --genesis FILE [--policy FILE...] --key MEMBER.key [--store DIR]\n"
    "                   [--json]\n"
    "\n"
    "Create a new store in DIR (created if missing; must not hold a store) from a\n"
    "genesis signed by at least the threshold of its approvers. The key must be a\n"
    "member of the network (usually the node's key): it proves the content key\n"
    "opens for this store.\n"
    "  --policy FILE...  later policy versions (2, 3, ... in order, as written by\n"
    "                    'valise policy propose' and signed): the store adopts\n"
    "                    them at once. Every version must verify against the one\n"
    "                    before it, and the key must be a member of the newest\n"
    "                    version given (a member added or rotated in after the\n"
    "                    genesis starts its store this way).\n";

int
cmd_init(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "init", s_usage);
    const char *genesis = NULL;
    vl_strlist_t policies = { .n = 0 };
    const vl_opt_t opts[] = {
        { "genesis", VL_OPT_ARG, &genesis },
        { "policy", VL_OPT_MULTI, &policies },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!genesis)
        return vl_cli_usage(&cli, "--genesis FILE is required");

    ret = VL_EXIT_ERR;
    uint8_t *doc = NULL;
    size_t len = 0;
    vl_policy_t *pol = NULL;
    vl_policy_t *chain[VL_CLI_MAX_MULTI] = { NULL };
    uint8_t *docs[VL_CLI_MAX_MULTI] = { NULL };
    size_t lens[VL_CLI_MAX_MULTI] = { 0 };
    int rc = vl_cli_read_file(genesis, VL_MAX_DOC, &doc, &len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    /* Parse first, so a bad genesis is reported as such, whatever the key. */
    rc = vl_policy_parse(doc, len, 0, &pol, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", genesis);
        goto out;
    }
    /* Then the later versions, each against the one before it. */
    const vl_policy_t *prev = pol;
    for (size_t i = 0; i < policies.n; i++) {
        rc = vl_cli_read_file(policies.v[i], VL_MAX_DOC, &docs[i], &lens[i], cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        rc = vl_policy_parse_next(prev, docs[i], lens[i], 0, &chain[i], cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "%s (as version %llu)", policies.v[i],
                        (unsigned long long)vl_policy_version(prev) + 1);
            goto out;
        }
        prev = chain[i];
    }
    if (vl_cli_load_key(&cli) != VL_OK)
        goto out;
    const uint8_t *me = vl_keypair_pk(cli.kp);
    if (!vl_policy_roles(prev, me)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(me, kid);
        vl_cli_fail(&cli, VL_EPERM, "store %s: key %s (%s) is not a member of policy version %llu",
                    cli.store_dir, cli.key_path, kid, (unsigned long long)vl_policy_version(prev));
        goto out;
    }
    {
        const uint8_t *all[VL_CLI_MAX_MULTI + 1];
        size_t all_lens[VL_CLI_MAX_MULTI + 1];
        all[0] = doc;
        all_lens[0] = len;
        for (size_t i = 0; i < policies.n; i++) {
            all[i + 1] = docs[i];
            all_lens[i + 1] = lens[i];
        }
        rc = vl_store_create_chain(cli.store_dir, all, all_lens, policies.n + 1, cli.kp,
                                   cli.err);
    }
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "store %s", cli.store_dir);
        goto out;
    }
    char net[2 * VL_NETID_LEN + 1];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    if (cli.json) {
        vl_cli_print_json(json_pack("{s:s, s:{s:s, s:s}, s:I}", "store", cli.store_dir,
                                    "network", "name", vl_policy_name(pol), "id", net,
                                    "policy_version", (json_int_t)vl_policy_version(prev)));
    } else {
        printf("initialised store %s for network \"%s\" (id %s)", vl_cli_esc(cli.store_dir),
               vl_cli_esc(vl_policy_name(pol)), net);
        if (policies.n)
            printf(" at policy version %llu", (unsigned long long)vl_policy_version(prev));
        putchar('\n');
    }
    ret = VL_EXIT_OK;
out:
    vl_store_close(&cli.store);
    for (size_t i = 0; i < policies.n; i++) {
        vl_policy_destroy(&chain[i]);
        free(docs[i]);
    }
    vl_policy_destroy(&pol);
    free(doc);
    vl_cli_done(&cli);
    return ret;
}
