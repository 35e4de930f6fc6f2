/* SPDX-License-Identifier: MIT */
/*
 * valise find - current records matching every given criterion: the
 * index answers State, function, legal basis, language and kind; --text
 * decrypts and searches every string value. The criteria are checked and
 * resolved by vl_filter (shared with export).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_filter.h"
#include "vl_record.h"
#include "vl_view.h"

static const char s_usage[] =
    "usage: valise find [--state S | --country C] [--function F] [--basis B]\n"
    "                   [--language L] [--kind K] [--text T] [--limit N] [--json]\n"
    "                   --key MEMBER.key\n"
    "\n"
    "List current records that match every criterion given (none: all records),\n"
    "one line each: id, kind, State(s), name (English, else the first language).\n"
    "  --json         a JSON array of {id, kind, revision, states, name, record}\n"
    "Filters:\n"
    VL_FILTER_HELP
    "A known value that no record has lists nothing (exit 0).\n"
    "When the directory may be stale (docs/trust.md §3), a line \"valise: warning:\n"
    "...\" on stderr says so and since when (also with --json); the records are\n"
    "still listed.\n";

typedef struct {
    bool json;
    json_t *out;
    size_t n;
    int rc;
} s_find_t;

static int
s_found(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_find_t *f = ctx;
    f->n++;
    if (f->json) {
        json_t *o = vl_view_summary(rec, rev);
        if (!o || json_array_append_new(f->out, o) != 0)
            return f->rc = VL_ENOMEM;
        return 0;
    }
    json_t *j = vl_record_to_json(rec);
    if (!j)
        return f->rc = VL_ENOMEM;
    char states[3 * 8 + 8] = "";
    size_t ns = vl_record_nstates(rec), off = 0;
    for (size_t i = 0; i < ns && i < 8; i++)
        off += (size_t)snprintf(states + off, sizeof states - off, "%s%s", i ? "," : "",
                                vl_record_state(rec, i));
    if (ns > 8)
        snprintf(states + off, sizeof states - off, ",...");
    printf("%-16s %-9s %-8s %s\n", vl_cli_esc(vl_record_id(rec)),
           vl_kind_name(vl_record_kind(rec)), vl_cli_esc(states),
           vl_cli_esc(vl_cli_record_title(j)));
    json_decref(j);
    return 0;
}

int
cmd_find(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "find", s_usage);
    vl_filter_t flt;
    vl_query_t q;
    vl_opt_t opts[VL_FILTER_NOPTS + 1];
    size_t nopt = vl_filter_opts(&flt, opts);
    opts[nopt] = (vl_opt_t){ NULL, VL_OPT_FLAG, NULL };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if ((ret = vl_filter_query(&cli, &flt, &q)) != VL_EXIT_OK)
        return ret;

    ret = VL_EXIT_ERR;
    s_find_t f = { .json = cli.json, .out = cli.json ? json_array() : NULL };
    if (cli.json && !f.out) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    int rc = vl_store_find(cli.store, &q, s_found, &f);
    if (rc == VL_OK)
        rc = f.rc;
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    vl_freshness_t fr;
    char ftext[VL_ERRMSG_MAX];
    vl_cli_freshness(&cli, &fr, ftext, sizeof ftext);
    vl_cli_freshness_warn(&fr, ftext);
    if (f.out) {
        vl_cli_print_json(f.out);
        f.out = NULL;
    }
    ret = VL_EXIT_OK;
out:
    json_decref(f.out);
    vl_cli_done(&cli);
    return ret;
}
