/* SPDX-License-Identifier: MIT */
/*
 * valise proposals - what became of proposals: by default the acting key's
 * own, with --all everyone's (approvers only). One line (or JSON object) per
 * proposal, newest first: pending (approvals so far and by whom), needs
 * rebase (which record, what to do), applied (entry seq, time, the
 * approvers who signed it, named as the policy in force at that entry named
 * them), rejected (by whom, when, the reason), lapsed (why, and how to make
 * it again). Every text from the store is
 * escaped (vl_cli_esc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise proposals [--all] [--state STATE] [--limit N] [--json] --key MEMBER.key\n"
    "\n"
    "List what became of your proposals (those whose author is the --key), newest\n"
    "first, one line each:\n"
    "  ID pending      TIME by AUTHOR: OPS; approvals K/N (NAMES)\n"
    "  ID needs rebase TIME by AUTHOR: OPS; WHY: propose it again on the current record\n"
    "  ID applied      TIME by AUTHOR: OPS; entry SEQ approved by NAMES\n"
    "  ID rejected     TIME by AUTHOR: rejected by NAME: REASON\n"
    "  ID lapsed       TIME by AUTHOR: OPS; WHY: valise propose --again ID\n"
    "TIME is when it was proposed (pending, needs rebase), applied (the entry's\n"
    "time) or rejected. A proposal lapses when a new policy version makes it\n"
    "unapprovable (a new content-key epoch, or its author lost the right): its\n"
    "author makes it again with `valise propose --again ID`. IDs are shortened to 16 hex digits; --json gives them whole.\n"
    "\n"
    "  --all          everyone's proposals (approvers only)\n"
    "  --state STATE  only pending, rebase, applied, rejected or lapsed\n"
    "  --limit N      at most N proposals (1 to 1000000), the newest\n"
    "\n"
    "A rejection is shown with its author only when this store held the\n"
    "proposal when the rejection arrived; with --all others say \"unknown\".\n"
    "Exit status: 0 (also for an empty list), 1 error (--all by a key that is not\n"
    "an approver), 2 usage error.\n";

typedef struct {
    vl_cli_t *cli;
    json_t *out;
    size_t n;
} s_list_t;

static const char *
s_state_name(vl_outcome_state_t s)
{
    switch (s) {
    case VL_OUTCOME_PENDING: return "pending";
    case VL_OUTCOME_REBASE: return "rebase";
    case VL_OUTCOME_APPLIED: return "applied";
    case VL_OUTCOME_REJECTED: return "rejected";
    case VL_OUTCOME_LAPSED: return "lapsed";
    }
    return "?";
}

/* {"name", "kid"} of a member as pol names it ("unknown" when it does not). */
static json_t *
s_member_json(const vl_policy_t *pol, const uint8_t *pk)
{
    char kid[2 * VL_KID_LEN + 1];
    const char *name = vl_policy_member_name(pol, pk);
    vl_kid(pk, kid);
    return json_pack("{s:s, s:s}", "name", name ? name : "unknown", "kid", kid);
}

static const char *
s_name(const vl_policy_t *pol, const uint8_t *pk)
{
    const char *name = pk ? vl_policy_member_name(pol, pk) : NULL;
    return name ? name : "unknown";
}

static int
s_json(s_list_t *l, const vl_outcome_t *o)
{
    char hex[2 * VL_HASH_LEN + 1], when[32];
    vl_hex(o->id, VL_HASH_LEN, hex);
    vl_cli_time(o->time, when);
    json_t *j = json_pack("{s:s, s:s#, s:s, s:s}", "id", hex, "short", hex, 16, "state",
                          s_state_name(o->state), "time", when);
    if (!j)
        return VL_ENOMEM;
    json_object_set_new(j, "author", o->author ? s_member_json(o->pol, o->author) : json_null());
    if (o->prop) {
        char proposed[32];
        vl_cli_time(vl_proposal_time(o->prop), proposed);
        json_object_set_new(j, "proposed", json_string(proposed));
        json_t *ops = json_array();
        for (size_t i = 0; ops && i < vl_proposal_nops(o->prop); i++) {
            const vl_op_t *op = vl_proposal_op(o->prop, i);
            json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:I}", "op",
                                                 op->del ? "delete" : "put", "id", op->id,
                                                 "kind", vl_kind_name(op->kind), "base",
                                                 (json_int_t)op->base));
        }
        json_object_set_new(j, "ops", ops ? ops : json_null());
    } else {
        json_object_set_new(j, "proposed", json_null());
        json_object_set_new(j, "ops", json_null());
    }
    if (o->state == VL_OUTCOME_PENDING || o->state == VL_OUTCOME_REBASE) {
        json_t *by = json_array();
        for (size_t i = 0; by && i < o->nsigs; i++)
            json_array_append_new(by, s_member_json(o->pol, o->signers[i]));
        json_object_set_new(j, "approvals", json_integer((json_int_t)o->nsigs));
        json_object_set_new(j, "threshold", json_integer((json_int_t)o->threshold));
        json_object_set_new(j, "approved_by", by ? by : json_null());
        json_object_set_new(j, "problem", o->problem ? json_string(o->problem) : json_null());
    } else if (o->state == VL_OUTCOME_APPLIED) {
        json_t *by = json_array();
        for (size_t i = 0; by && i < o->nsigs; i++)
            json_array_append_new(by, s_member_json(o->pol, o->signers[i]));
        json_object_set_new(j, "seq", json_integer((json_int_t)o->seq));
        json_object_set_new(j, "approved_by", by ? by : json_null());
    } else if (o->state == VL_OUTCOME_LAPSED) {
        json_object_set_new(j, "policy_version", json_integer((json_int_t)o->version));
        json_object_set_new(j, "problem", json_string(o->problem));
    } else {
        json_object_set_new(j, "rejected_by", s_member_json(o->pol, vl_rejection_approver(o->rej)));
        json_object_set_new(j, "reason", json_string(vl_rejection_reason(o->rej)));
    }
    return json_array_append_new(l->out, j) == 0 ? VL_OK : VL_ENOMEM;
}

static void
s_ops_text(const vl_proposal_t *p)
{
    size_t n = vl_proposal_nops(p);
    for (size_t i = 0; i < n && i < 3; i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        printf("%s%s %s", i ? ", " : "", op->del ? "delete" : "put", vl_cli_esc(op->id));
    }
    if (n > 3)
        printf(" and %zu more", n - 3);
}

static void
s_names_text(const vl_outcome_t *o)
{
    for (size_t i = 0; i < o->nsigs; i++)
        printf("%s%s", i ? ", " : "", vl_cli_esc(s_name(o->pol, o->signers[i])));
}

static int
s_each(void *ctx, const vl_outcome_t *o)
{
    s_list_t *l = ctx;
    l->n++;
    if (l->out)
        return s_json(l, o);
    char hex[2 * VL_HASH_LEN + 1], when[32];
    vl_hex(o->id, VL_HASH_LEN, hex);
    vl_cli_time(o->time, when);
    static const char *const label[] = { "pending     ", "needs rebase", "applied     ",
                                         "rejected    ", "lapsed      " };
    printf("%.16s %s %s by %s: ", hex, label[o->state], when,
           vl_cli_esc(s_name(o->pol, o->author)));
    switch (o->state) {
    case VL_OUTCOME_PENDING:
    case VL_OUTCOME_REBASE:
        s_ops_text(o->prop);
        if (o->state == VL_OUTCOME_REBASE)
            printf("; %s: propose it again on the current record", vl_cli_esc(o->problem));
        else if (o->problem)
            printf("; cannot be approved as it is: %s", vl_cli_esc(o->problem));
        printf("; approvals %zu/%u", o->nsigs, o->threshold);
        if (o->nsigs) {
            printf(" (");
            s_names_text(o);
            printf(")");
        }
        break;
    case VL_OUTCOME_APPLIED:
        s_ops_text(o->prop);
        printf("; entry %llu approved by ", (unsigned long long)o->seq);
        s_names_text(o);
        break;
    case VL_OUTCOME_REJECTED:
        printf("rejected by %s: %s", vl_cli_esc(s_name(o->pol, vl_rejection_approver(o->rej))),
               vl_cli_esc(vl_rejection_reason(o->rej)));
        break;
    case VL_OUTCOME_LAPSED:
        s_ops_text(o->prop);
        printf("; %s: its author can make it again with valise propose --again %.16s",
               vl_cli_esc(o->problem), hex);
        break;
    }
    putchar('\n');
    return VL_OK;
}

int
cmd_proposals(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "proposals", s_usage);
    bool all = false;
    const char *state_s = NULL, *limit_s = NULL;
    const vl_opt_t opts[] = {
        { "all", VL_OPT_FLAG, &all },
        { "state", VL_OPT_ARG, &state_s },
        { "limit", VL_OPT_ARG, &limit_s },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    unsigned states = VL_OUTCOME_ALL;
    if (state_s) {
        static const struct {
            const char *name;
            vl_outcome_state_t s;
        } names[] = { { "pending", VL_OUTCOME_PENDING }, { "rebase", VL_OUTCOME_REBASE },
                      { "applied", VL_OUTCOME_APPLIED }, { "rejected", VL_OUTCOME_REJECTED },
                      { "lapsed", VL_OUTCOME_LAPSED } };
        states = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(state_s, names[i].name) == 0)
                states = VL_OUTCOME_BIT(names[i].s);
        if (!states)
            return vl_cli_usage(&cli, "--state is pending, rebase, applied, rejected or lapsed, "
                                "not '%s'",
                                state_s);
    }
    uint64_t limit = 0;
    if (limit_s && vl_cli_number(&cli, "limit", limit_s, 1, VL_CLI_MAX_LIMIT, &limit) != VL_OK)
        return VL_EXIT_USAGE;

    ret = VL_EXIT_ERR;
    s_list_t l = { &cli, cli.json ? json_array() : NULL, 0 };
    if (cli.json && !l.out) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    const uint8_t *me = vl_keypair_pk(cli.kp);
    if (all && !(vl_policy_roles(vl_store_policy(cli.store), me) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(me, kid);
        vl_cli_fail(&cli, VL_EPERM, "--all is for approvers: key %s is not an approver", kid);
        goto out;
    }
    int rc = vl_store_outcomes(cli.store, all ? NULL : me, states, (size_t)limit, s_each, &l);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "proposals");
        goto out;
    }
    if (l.out) {
        vl_cli_print_json(l.out);
        l.out = NULL;
    } else if (l.n == 0) {
        printf("no proposals%s\n", all ? "" : " by this key");
    }
    ret = VL_EXIT_OK;
out:
    json_decref(l.out);
    vl_cli_done(&cli);
    return ret;
}
