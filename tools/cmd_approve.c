/* SPDX-License-Identifier: MIT */
/*
 * valise approve - one approver's signature on pending proposals. With ids,
 * the store builds (or extends) the candidate log entry of each on the
 * current head; the entry joins the log, in the same transaction, when the
 * threshold of distinct approvers is met. With --all, one signature on a run
 * of every pending proposal that applies (docs/store.md §3.2.1): the store
 * builds it or signs the pending one, and at the threshold applies every
 * entry of it in one transaction.
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
    "least 4 hex digits of a proposal id). Prints\n"
    "  approved <id> (1/2)\n"
    "  approved <id> (2/2): applied as entry 17\n"
    "A proposal made against a revision that is no longer current is refused with\n"
    "\"needs rebase\" and stays pending; its author proposes again.\n"
    "\n"
    "--all approves every pending proposal that applies, in order (proposal time,\n"
    "then id), as one run: one command per approver for a whole load. The first\n"
    "approver builds the run; each next approver signs the same run; at the\n"
    "threshold every proposal of it is applied, in order. A run whose base moved\n"
    "(another entry, a rejection, a new policy version) is built again and says so.\n"
    "Proposals left out (needs rebase, ...) are named and the exit status is 1.\n";

/* Approve one proposal (its own candidate entry). */
static int
s_approve_one(vl_cli_t *cli, const uint8_t id[VL_HASH_LEN], json_t *jout)
{
    vl_approve_result_t r;
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(id, VL_HASH_LEN, hex);
    cli->err[0] = '\0';
    int rc = vl_store_approve_ex(cli->store, id, cli->kp, vl_cli_now(), &r, cli->err);
    if (rc != VL_OK) {
        if (rc == VL_ESTALE)
            vl_cli_fail(cli, rc, "proposal %.16s (its author must propose again against the "
                                 "current record)", hex);
        else if (rc == VL_EEXIST)
            vl_cli_fail(cli, rc, NULL); /* the store's message names the proposal */
        else
            vl_cli_fail(cli, rc, "proposal %.16s", hex);
        return rc;
    }
    /* A row of the pending run that is applied alone leaves the run to be
     * built again; one that is not keeps two approval counts, both shown. */
    bool in_run = r.run_rows && !r.applied_seq;
    if (jout) {
        json_array_append_new(jout, json_pack("{s:s, s:I, s:I, s:b, s:I, s:b, s:o}", "id", hex,
                                              "approvals", (json_int_t)r.nsigs, "threshold",
                                              (json_int_t)r.threshold, "applied",
                                              r.applied_seq != 0, "entry",
                                              (json_int_t)r.applied_seq, "restarted",
                                              r.restarted, "run_approvals",
                                              in_run ? json_integer((json_int_t)r.run_nsigs)
                                                     : json_null()));
        return VL_OK;
    }
    printf("approved %s (%zu/%u)", hex, r.nsigs, r.threshold);
    if (r.applied_seq)
        printf(": applied as entry %llu", (unsigned long long)r.applied_seq);
    else if (r.restarted)
        /* The candidate was built on an older head of the log (or under
         * another policy version): the earlier approvals must be renewed. */
        printf(": the log moved since the earlier approvals, which must be given again");
    if (in_run)
        printf("; it is also in the pending run of %zu proposal%s (%zu/%u), whose approvals "
               "count for the run (approve --all)", r.run_rows, r.run_rows == 1 ? "" : "s",
               r.run_nsigs, r.threshold);
    putchar('\n');
    return VL_OK;
}

/* --all: sign the run (docs/store.md §3.2.1) and print what it did. */
static int
s_approve_all(vl_cli_t *cli, bool *failed)
{
    vl_run_report_t r;
    char hex[2 * VL_HASH_LEN + 1];
    json_t *jp = NULL, *jo = NULL;
    cli->err[0] = '\0';
    int rc = vl_store_approve_all(cli->store, cli->kp, vl_cli_now(), &r, cli->err);
    if (rc == VL_EEXIST) {
        vl_cli_fail(cli, rc, "the pending run of %zu proposal%s (%zu/%u): you have already "
                             "approved it", r.nrows, r.nrows == 1 ? "" : "s", r.nsigs,
                    r.threshold);
        vl_run_report_free(&r);
        return rc;
    }
    if (rc != VL_OK)
        return vl_cli_fail(cli, rc, NULL), rc;
    if (cli->json && !(jp = json_array())) {
        rc = VL_ENOMEM;
        goto out;
    }
    if (r.dropped[0] && !cli->json)
        printf("the pending run was built again: %s; earlier approvals of it must be given "
               "again\n", vl_cli_esc(r.dropped));
    if (r.n == 0 && !cli->json)
        printf("no pending proposals\n");
    for (size_t i = 0; i < r.n; i++) {
        const vl_run_item_t *it = &r.items[i];
        vl_hex(it->id, VL_HASH_LEN, hex);
        if (i >= r.nrows) {
            *failed = true;
            if (!cli->json)
                vl_cli_failx(cli, "proposal %.16s left out of the run: %s", hex, it->why);
        } else if (!cli->json) {
            if (r.applied)
                printf("approved %s (%zu/%u): applied as entry %llu\n", hex, r.nsigs,
                       r.threshold, (unsigned long long)it->seq);
            else
                printf("approved %s (%zu/%u)\n", hex, r.nsigs, r.threshold);
        }
        if (jp && json_array_append_new(jp, json_pack("{s:s, s:I, s:I, s:b, s:I, s:s?}", "id",
                                                      hex, "approvals",
                                                      (json_int_t)(i < r.nrows ? r.nsigs : 0),
                                                      "threshold", (json_int_t)r.threshold,
                                                      "applied", it->seq != 0, "entry",
                                                      (json_int_t)it->seq, "problem",
                                                      i < r.nrows ? NULL : it->why)) != 0) {
            rc = VL_ENOMEM;
            goto out;
        }
    }
    if (r.nrows && !cli->json)
        printf("run of %zu proposal%s, entries %llu..%llu: %s (%zu/%u)\n", r.nrows,
               r.nrows == 1 ? "" : "s", (unsigned long long)r.first_seq,
               (unsigned long long)(r.first_seq + r.nrows - 1),
               r.applied ? "applied" : r.built ? "built and approved" : "approved", r.nsigs,
               r.threshold);
    if (r.not_in_run && !cli->json)
        printf("%zu pending proposal%s %s not in this run (left out when it was built, or "
               "newer): %s\n",
               r.not_in_run, r.not_in_run == 1 ? "" : "s", r.not_in_run == 1 ? "is" : "are",
               r.applied ? "approve --all again for the next run"
                         : "they go into the next run, once this one is applied");
    if (cli->json) {
        jo = json_pack("{s:o, s:I, s:I, s:I, s:I, s:b, s:b, s:s?, s:I}", "proposals", jp,
                       "rows", (json_int_t)r.nrows, "first_entry", (json_int_t)r.first_seq,
                       "approvals", (json_int_t)r.nsigs, "threshold", (json_int_t)r.threshold,
                       "built", r.built, "applied", r.applied, "rebuilt_because",
                       r.dropped[0] ? r.dropped : NULL, "not_in_run",
                       (json_int_t)r.not_in_run);
        jp = NULL;
        if (!jo) {
            rc = VL_ENOMEM;
            goto out;
        }
        vl_cli_print_json(jo);
        jo = NULL;
    }
    rc = VL_OK;
out:
    if (rc != VL_OK)
        vl_cli_fail(cli, rc, NULL);
    json_decref(jp);
    json_decref(jo);
    vl_run_report_free(&r);
    return rc;
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
    bool failed = false;
    if (all) {
        if (s_approve_all(&cli, &failed) != VL_OK)
            goto out;
        ret = failed ? VL_EXIT_ERR : VL_EXIT_OK;
        goto out;
    }
    {
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
        for (size_t i = 0; i < cli.args.n; i++)
            if (s_approve_one(&cli, want[i], jout) != VL_OK)
                failed = true;
        free(want);
    }
    if (jout) {
        vl_cli_print_json(jout);
        jout = NULL;
    }
    ret = failed ? VL_EXIT_ERR : VL_EXIT_OK;
out:
    json_decref(jout);
    vl_cli_done(&cli);
    return ret;
}
