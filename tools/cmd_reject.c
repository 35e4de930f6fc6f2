/* SPDX-License-Identifier: MIT */
/*
 * valise reject - one approver refuses a pending proposal, with a reason.
 * The signed rejection settles the proposal: it leaves pending and cannot
 * be offered again.
 */
#include <stdio.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_limits.h"
#include "vl_view.h"

static const char s_usage[] =
    "usage: valise reject ID-PREFIX --reason TEXT --key APPROVER.key [--json]\n"
    "\n"
    "Reject the pending proposal whose id starts with ID-PREFIX (at least 4 hex\n"
    "digits). One approver suffices. The reason (1 to 1024 bytes) is signed and kept\n"
    "with the rejection; the proposal can no longer be approved.\n";

int
cmd_reject(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "reject", s_usage);
    const char *reason = NULL;
    const vl_opt_t opts[] = {
        { "reason", VL_OPT_ARG, &reason },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one proposal ID-PREFIX");
    if (!reason || !*reason)
        return vl_cli_usage(&cli, "--reason TEXT is required");
    if (strlen(reason) > VL_MAX_REASON)
        return vl_cli_usage(&cli, "--reason is longer than %u bytes", VL_MAX_REASON);

    ret = VL_EXIT_ERR;
    uint8_t id[VL_HASH_LEN];
    if (vl_cli_open_store(&cli, 0) != VL_OK)
        goto out;
    if (vl_cli_pending_id(&cli, cli.args.v[0], id) != VL_OK)
        goto out;
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(id, VL_HASH_LEN, hex);
    cli.err[0] = '\0';
    int rc = vl_store_reject(cli.store, id, cli.kp, reason, vl_cli_now(), cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "proposal %.16s", hex);
        goto out;
    }
    if (cli.json) {
        vl_cli_print_json(json_pack("{s:s, s:s, s:s, s:o}", "id", hex, "state", "rejected",
                                    "reason", reason, "rejected_by",
                                    vl_view_identity(vl_store_policy(cli.store),
                                                     vl_keypair_pk(cli.kp))));
    } else {
        printf("rejected %s: %s\n", hex, vl_cli_esc(reason));
    }
    ret = VL_EXIT_OK;
out:
    vl_cli_done(&cli);
    return ret;
}
