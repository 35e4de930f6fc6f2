/* SPDX-License-Identifier: MIT */
/*
 * valise verify - recompute the whole store from its log (every hash, chain
 * link, signature, authorisation, revision and state root), then check the
 * current records and the index against it, and report each problem.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vl_cli.h"

static const char s_usage[] =
    "usage: valise verify [--json] --key MEMBER.key\n"
    "\n"
    "Check the store from scratch: every log entry's hash, chain link, approver\n"
    "signatures, embedded proposal and authority binding, the state root after\n"
    "each entry, then every current record (decryption, schema, revision, body\n"
    "equal to the log's) and every index entry. Prints each problem on its own\n"
    "line, then\n"
    "  verify: OK (N entries, M records, root R)       exit status 0\n"
    "  verify: N problems                              exit status 1\n"
    "  --json   {\"ok\", \"problems\": [...], \"entries\", \"records\", \"root\"}\n";

typedef struct {
    json_t *problems;  /* --json */
    size_t n;
} s_report_t;

static void
s_report(void *ctx, const char *line)
{
    s_report_t *r = ctx;
    r->n++;
    if (r->problems)
        json_array_append_new(r->problems, json_string(line ? line : ""));
    else
        printf("%s\n", vl_cli_esc(line));
}

int
cmd_verify(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "verify", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);

    ret = VL_EXIT_ERR;
    s_report_t r = { .problems = cli.json ? json_array() : NULL };
    if (cli.json && !r.problems) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    size_t problems = 0;
    int rc = vl_store_verify(cli.store, s_report, &r, &problems);
    if (rc != VL_OK && rc != VL_ECORRUPT) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    /* The store's count is authoritative (some report lines are notes);
     * a corrupt verdict never shows as zero problems. */
    if (rc == VL_ECORRUPT && problems == 0)
        problems = r.n ? r.n : 1;
    vl_head_t head = { 0 };
    int hrc = vl_store_head(cli.store, &head);
    char root[2 * VL_HASH_LEN + 1] = "";
    if (hrc == VL_OK)
        vl_hex(head.root, VL_HASH_LEN, root);
    if (r.problems) {
        json_t *o = json_pack("{s:b, s:o, s:I, s:I, s:s}", "ok", problems == 0, "problems",
                              r.problems, "entries", (json_int_t)head.seq, "records",
                              (json_int_t)head.records, "root", root);
        r.problems = NULL;
        vl_cli_print_json(o);
    } else if (problems == 0) {
        printf("verify: OK (%llu entries, %llu records, root %.16s)\n",
               (unsigned long long)head.seq, (unsigned long long)head.records, root);
    } else {
        printf("verify: %zu problem%s\n", problems, problems == 1 ? "" : "s");
    }
    if (problems) {
        fflush(stdout);
        fprintf(stderr, "valise verify: %s: %zu problem%s found\n", vl_strerror(VL_ECORRUPT),
                problems, problems == 1 ? "" : "s");
        goto out;
    }
    ret = VL_EXIT_OK;
out:
    json_decref(r.problems);
    vl_cli_done(&cli);
    return ret;
}
