/* SPDX-License-Identifier: MIT */
/*
 * valise approve - one approver's signature on pending proposals. The
 * store builds (or extends) the candidate log entry on the current head;
 * the entry joins the log, in the same transaction, when the threshold of
 * distinct approvers is met.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise approve (ID-PREFIX... | --all) --key APPROVER.key [--json]\n"
    "\n"
    "Approve pending proposals as the approver whose key is given (ID-PREFIX: at\n"
    "least 4 hex digits of a proposal id; --all: every pending proposal). Prints\n"
    "  approved <id> (1/2)\n"
    "  approved <id> (2/2): applied as entry 17\n"
    "A proposal made against a revision that is no longer current is refused with\n"
    "\"needs rebase\" and stays pending; its author proposes again. With --all, the\n"
    "other proposals are still approved and the exit status is 1.\n";

typedef struct {
    uint8_t (*ids)[VL_HASH_LEN];
    size_t *before;      /* approvals each had before this run */
    size_t n, cap;
} s_ids_t;

static int
s_collect(void *ctx, const vl_proposal_t *p, size_t n_approvals)
{
    s_ids_t *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        uint8_t(*nv)[VL_HASH_LEN] = realloc(l->ids, ncap * sizeof *nv);
        if (!nv)
            return VL_ENOMEM;
        l->ids = nv;
        size_t *nb = realloc(l->before, ncap * sizeof *nb);
        if (!nb)
            return VL_ENOMEM;
        l->before = nb;
        l->cap = ncap;
    }
    l->before[l->n] = n_approvals;
    memcpy(l->ids[l->n++], vl_proposal_id(p), VL_HASH_LEN);
    return 0;
}

/* Approve one proposal; `before` is the number of approvals it had. */
static int
s_approve_one(vl_cli_t *cli, const uint8_t id[VL_HASH_LEN], size_t before, json_t *jout)
{
    uint64_t seq = 0;
    size_t nsigs = 0;
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(id, VL_HASH_LEN, hex);
    uint32_t k = vl_policy_threshold(vl_store_policy(cli->store));
    cli->err[0] = '\0';
    int rc = vl_store_approve(cli->store, id, cli->kp, vl_cli_now(), &seq, &nsigs, cli->err);
    if (rc != VL_OK) {
        if (rc == VL_ESTALE)
            vl_cli_fail(cli, rc, "proposal %.16s (its author must propose again against the "
                                 "current record)", hex);
        else if (rc == VL_EEXIST)
            vl_cli_fail(cli, rc, "proposal %.16s: you have already approved it", hex);
        else
            vl_cli_fail(cli, rc, "proposal %.16s", hex);
        return rc;
    }
    if (jout) {
        json_array_append_new(jout, json_pack("{s:s, s:I, s:I, s:b, s:I}", "id", hex,
                                              "approvals", (json_int_t)nsigs, "threshold",
                                              (json_int_t)k, "applied", seq != 0, "entry",
                                              (json_int_t)seq));
    } else if (seq) {
        printf("approved %s (%zu/%u): applied as entry %llu\n", hex, nsigs, k,
               (unsigned long long)seq);
    } else if (nsigs <= before) {
        /* The candidate entry was built on an older head of the log: the
         * store started it again, so the earlier approvals must be renewed. */
        printf("approved %s (%zu/%u): the log moved since the earlier approvals, which "
               "must be given again\n",
               hex, nsigs, k);
    } else {
        printf("approved %s (%zu/%u)\n", hex, nsigs, k);
    }
    return VL_OK;
}

int
cmd_approve(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "approve", s_usage);
    bool all = false;
    const vl_opt_t opts[] = {
        { "all", VL_OPT_FLAG, &all },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (all == (cli.args.n > 0))
        return vl_cli_usage(&cli, "give proposal id prefixes or --all");

    ret = VL_EXIT_ERR;
    s_ids_t l = { 0 };
    json_t *jout = cli.json ? json_array() : NULL;
    if (cli.json && !jout) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, 0) != VL_OK)
        goto out;
    /* With --all, refuse a non-approver once rather than once per proposal
     * (the store refuses each approval by a non-approver anyway). */
    if (all && !(vl_policy_roles(vl_store_policy(cli.store), vl_keypair_pk(cli.kp)) &
          VL_ROLE_APPROVER)) {
        char who[200];
        vl_cli_member(vl_store_policy(cli.store), vl_keypair_pk(cli.kp), who, sizeof who);
        if (vl_policy_roles(vl_store_policy(cli.store), vl_keypair_pk(cli.kp)) & VL_ROLE_READER)
            vl_cli_fail(&cli, VL_EPERM, "%s is a reader: a reader key may not approve", who);
        else
            vl_cli_fail(&cli, VL_EPERM, "%s is not an approver of this network", who);
        goto out;
    }
    int rc = vl_store_pending_each(cli.store, s_collect, &l);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "pending proposals");
        goto out;
    }
    bool failed = false;
    if (all) {
        if (l.n == 0 && !jout)
            printf("no pending proposals\n");
        for (size_t i = 0; i < l.n; i++)
            if (s_approve_one(&cli, l.ids[i], l.before[i], jout) != VL_OK)
                failed = true;
    } else {
        uint8_t(*want)[VL_HASH_LEN] = malloc(cli.args.n * sizeof *want);
        if (!want) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        /* Resolve every prefix before approving anything. */
        for (size_t i = 0; i < cli.args.n; i++) {
            if (vl_cli_pending_id(&cli, cli.args.v[i], want[i]) != VL_OK) {
                free(want);
                goto out;
            }
        }
        for (size_t i = 0; i < cli.args.n; i++) {
            size_t before = 0;
            for (size_t j = 0; j < l.n; j++)
                if (memcmp(l.ids[j], want[i], VL_HASH_LEN) == 0)
                    before = l.before[j];
            if (s_approve_one(&cli, want[i], before, jout) != VL_OK)
                failed = true;
        }
        free(want);
    }
    if (jout) {
        vl_cli_print_json(jout);
        jout = NULL;
    }
    ret = failed ? VL_EXIT_ERR : VL_EXIT_OK;
out:
    json_decref(jout);
    free(l.ids);
    free(l.before);
    vl_cli_done(&cli);
    return ret;
}
