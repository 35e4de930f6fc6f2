/* SPDX-License-Identifier: MIT */
/*
 * valise log - the signed, hash-chained log: one line per entry with its
 * sequence number, hash, time, the proposal's author, the approvers who
 * signed it, what it changed and the state root after it. Members are named
 * by the policy version in force at each entry's seq, not the current one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise log [--from N] [--to N] [--json] --key MEMBER.key\n"
    "\n"
    "Show log entries N..M (default: all), oldest first:\n"
    "  #SEQ HASH TIME by AUTHOR approved by KIDS: OPS, root ROOT\n"
    "Hashes and roots are shortened to 16 hex digits; --json gives them whole\n"
    "with the previous hash and the full list of operations. Members are named\n"
    "as the policy version in force at each entry named them.\n";

typedef struct {
    const vl_store_t *store;
    json_t *out;
    size_t n;
} s_log_t;

static int
s_entry(void *ctx, const vl_entry_t *e)
{
    s_log_t *l = ctx;
    const vl_proposal_t *p = vl_entry_proposal(e);
    /* Names as the version in force at this entry gave them: a member
     * revoked or rotated out later keeps its name in the audit trail. */
    const vl_policy_t *pol = vl_store_policy_for_seq(l->store, vl_entry_seq(e));
    char hash[2 * VL_HASH_LEN + 1], prev[2 * VL_HASH_LEN + 1], root[2 * VL_HASH_LEN + 1];
    char pid[2 * VL_HASH_LEN + 1], when[32], author[VL_MAX_NAME + 40];
    vl_hex(vl_entry_hash(e), VL_HASH_LEN, hash);
    vl_hex(vl_entry_prev(e), VL_HASH_LEN, prev);
    vl_hex(vl_entry_root(e), VL_HASH_LEN, root);
    vl_hex(vl_proposal_id(p), VL_HASH_LEN, pid);
    vl_cli_time(vl_entry_time(e), when);
    vl_cli_member(pol, vl_proposal_author(p), author, sizeof author);
    l->n++;
    if (l->out) {
        char kid[2 * VL_KID_LEN + 1];
        const char *name = vl_policy_member_name(pol, vl_proposal_author(p));
        vl_kid(vl_proposal_author(p), kid);
        json_t *approvers = json_array(), *ops = json_array();
        for (size_t i = 0; approvers && i < vl_entry_nsigs(e); i++) {
            const uint8_t *pk = vl_entry_signer(e, i);
            const char *an = vl_policy_member_name(pol, pk);
            char akid[2 * VL_KID_LEN + 1];
            vl_kid(pk, akid);
            json_array_append_new(approvers, json_pack("{s:s, s:s}", "name",
                                                       an ? an : "unknown", "kid", akid));
        }
        for (size_t i = 0; ops && i < vl_proposal_nops(p); i++) {
            const vl_op_t *op = vl_proposal_op(p, i);
            json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:I}", "op",
                                                 op->del ? "delete" : "put", "id", op->id,
                                                 "kind", vl_kind_name(op->kind), "base",
                                                 (json_int_t)op->base));
        }
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:s}", "seq",
                              (json_int_t)vl_entry_seq(e), "hash", hash, "prev", prev, "time",
                              when, "proposal", pid, "author", "name", name ? name : "unknown",
                              "kid", kid, "approvers", approvers, "ops", ops, "root", root);
        if (!o || json_array_append_new(l->out, o) != 0)
            return VL_ENOMEM;
        return 0;
    }
    printf("#%llu %.16s %s by %s approved by", (unsigned long long)vl_entry_seq(e), hash, when,
           vl_cli_esc(author));
    for (size_t i = 0; i < vl_entry_nsigs(e); i++) {
        char akid[2 * VL_KID_LEN + 1];
        vl_kid(vl_entry_signer(e, i), akid);
        printf("%s %s", i ? "," : "", akid);
    }
    size_t n = vl_proposal_nops(p);
    printf(": ");
    for (size_t i = 0; i < n && i < 3; i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        printf("%s%s %s", i ? ", " : "", op->del ? "delete" : "put", vl_cli_esc(op->id));
    }
    if (n > 3)
        printf(" and %zu more", n - 3);
    printf(", root %.16s\n", root);
    return 0;
}

int
cmd_log(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "log", s_usage);
    const char *from_s = NULL, *to_s = NULL;
    const vl_opt_t opts[] = {
        { "from", VL_OPT_ARG, &from_s },
        { "to", VL_OPT_ARG, &to_s },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    uint64_t from = 1, to = 0;
    if (from_s && vl_cli_number(&cli, "from", from_s, 1, VL_CLI_MAX_SEQ, &from) != VL_OK)
        return VL_EXIT_USAGE;
    if (to_s && vl_cli_number(&cli, "to", to_s, 1, VL_CLI_MAX_SEQ, &to) != VL_OK)
        return VL_EXIT_USAGE;
    if (to && to < from)
        return vl_cli_usage(&cli, "--to is before --from");

    ret = VL_EXIT_ERR;
    s_log_t l = { .out = cli.json ? json_array() : NULL };
    if (cli.json && !l.out) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    l.store = cli.store;
    int rc = vl_store_log_each(cli.store, from, to, s_entry, &l);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "log");
        goto out;
    }
    if (l.out) {
        vl_cli_print_json(l.out);
        l.out = NULL;
    } else if (l.n == 0) {
        printf("the log is empty%s\n", from_s || to_s ? " in that range" : "");
    }
    ret = VL_EXIT_OK;
out:
    json_decref(l.out);
    vl_cli_done(&cli);
    return ret;
}
