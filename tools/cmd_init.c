/* SPDX-License-Identifier: MIT */
/*
 * valise init - create a store from a signed genesis.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vl_cli.h"
#include "vl_limits.h"

static const char s_usage[] =
    "usage: valise init --genesis FILE --key MEMBER.key [--store DIR]\n"
    "\n"
    "Create a new store in DIR (created if missing; must not hold a store) from a\n"
    "genesis signed by at least the threshold of its approvers. The key must be a\n"
    "member of the network (usually the node's key): it proves the content key\n"
    "opens for this store.\n";

int
cmd_init(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "init", s_usage);
    const char *genesis = NULL;
    const vl_opt_t opts[] = {
        { "genesis", VL_OPT_ARG, &genesis },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
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
    if (vl_cli_load_key(&cli) != VL_OK)
        goto out;
    rc = vl_store_create(cli.store_dir, doc, len, cli.kp, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "store %s", cli.store_dir);
        goto out;
    }
    char net[2 * VL_NETID_LEN + 1];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    printf("initialised store %s for network \"%s\" (id %s)\n", cli.store_dir,
           vl_policy_name(pol), net);
    ret = VL_EXIT_OK;
out:
    vl_policy_destroy(&pol);
    free(doc);
    vl_cli_done(&cli);
    return ret;
}
