/* SPDX-License-Identifier: MIT */
/*
 * valise status - the network this store belongs to, the head of its log
 * and the work waiting in it. (Issue 3 adds the peers.)
 */
#include <stdio.h>

#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise status [--json] --key MEMBER.key\n"
    "\n"
    "Show the network (name, id, policy version, threshold), this store's head (log\n"
    "sequence number, entry hash, state root), the number of current records and of\n"
    "pending proposals.\n"
    "  --json  {\"network\", \"network_id\", \"policy_version\", \"threshold\", \"store\",\n"
    "           \"head\": {\"seq\", \"hash\", \"root\"}, \"records\", \"pending\", \"me\"}\n";

int
cmd_status(int argc, char **argv)
{
    vl_cli_t cli;
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
    const vl_policy_t *pol = vl_store_policy(cli.store);
    char net[2 * VL_NETID_LEN + 1], hash[2 * VL_HASH_LEN + 1], root[2 * VL_HASH_LEN + 1];
    char me[VL_MAX_NAME + 40];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    vl_hex(head.hash, VL_HASH_LEN, hash);
    vl_hex(head.root, VL_HASH_LEN, root);
    vl_cli_member(pol, vl_keypair_pk(cli.kp), me, sizeof me);
    if (cli.json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:I, s:s, s:s}, s:I, s:I, s:s}",
                              "network", vl_policy_name(pol), "network_id", net,
                              "policy_version", (json_int_t)vl_policy_version(pol), "threshold",
                              (json_int_t)vl_policy_threshold(pol), "store", cli.store_dir,
                              "head", "seq", (json_int_t)head.seq, "hash", hash, "root", root,
                              "records", (json_int_t)head.records, "pending",
                              (json_int_t)head.pending, "me", me);
        if (vl_cli_print_json(o) != VL_OK) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else {
        printf("network   %s (id %s, policy version %llu, threshold %u)\n", vl_policy_name(pol),
               net, (unsigned long long)vl_policy_version(pol), vl_policy_threshold(pol));
        printf("store     %s (opened as %s)\n", cli.store_dir, me);
        printf("head      entry %llu, hash %.16s, root %.16s\n", (unsigned long long)head.seq,
               hash, root);
        printf("records   %llu\n", (unsigned long long)head.records);
        printf("pending   %llu proposal%s\n", (unsigned long long)head.pending,
               head.pending == 1 ? "" : "s");
    }
    ret = VL_EXIT_OK;
out:
    vl_cli_done(&cli);
    return ret;
}
