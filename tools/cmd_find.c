/* SPDX-License-Identifier: MIT */
/*
 * valise find - current records matching every given criterion: the
 * index answers State, function, legal basis, language and kind; --text
 * decrypts and searches every string value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_record.h"

static const char s_usage[] =
    "usage: valise find [--state S] [--function F] [--basis B] [--language L]\n"
    "                   [--kind K] [--text T] [--limit N] [--json] --key MEMBER.key\n"
    "\n"
    "List current records that match every criterion given (none: all records),\n"
    "one line each: id, kind, State(s), name (English, else the first language).\n"
    "  --state S     ISO 3166-1 alpha-2 code: MU (agreements: any party)\n"
    "  --function F  extradition, mla, transfer_sentenced_persons,\n"
    "                drug_trafficking_sea, migrant_smuggling_sea, firearms_trafficking\n"
    "                (agreements: their subjects, e.g. confiscation)\n"
    "  --basis B     legal basis: DRUG1988-6, DRUG1988-7, DRUG1988-17, UNTOC-16,\n"
    "                UNTOC-17, UNTOC-18, SOM-8, FIREARMS-13\n"
    "  --language L  working language: en, fr, es, ...\n"
    "  --kind K      authority or agreement\n"
    "  --text T      case-insensitive substring of any text field\n"
    "  --limit N     at most N records (1 to 1000000)\n"
    "  --json        a JSON array of {id, kind, revision, states, name, record}\n"
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
    json_t *j = vl_record_to_json(rec);
    if (!j)
        return f->rc = VL_ENOMEM;
    f->n++;
    if (f->json) {
        json_t *states = json_array();
        for (size_t i = 0; states && i < vl_record_nstates(rec); i++)
            json_array_append_new(states, json_string(vl_record_state(rec, i)));
        json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:s, s:O}", "id", vl_record_id(rec), "kind",
                              vl_kind_name(vl_record_kind(rec)), "revision", (json_int_t)rev,
                              "states", states, "name", vl_cli_record_title(j), "record", j);
        json_decref(j);
        if (!o || json_array_append_new(f->out, o) != 0)
            return f->rc = VL_ENOMEM;
        return 0;
    }
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
    vl_query_t q = { 0 };
    const char *limit = NULL;
    const vl_opt_t opts[] = {
        { "state", VL_OPT_ARG, &q.state },
        { "function", VL_OPT_ARG, &q.function },
        { "basis", VL_OPT_ARG, &q.legal_basis },
        { "legal-basis", VL_OPT_ARG, &q.legal_basis },
        { "language", VL_OPT_ARG, &q.language },
        { "kind", VL_OPT_ARG, &q.kind },
        { "text", VL_OPT_ARG, &q.text },
        { "limit", VL_OPT_ARG, &limit },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (q.kind && vl_kind_parse(q.kind) == VL_KIND_NONE)
        return vl_cli_usage(&cli, "--kind must be authority or agreement");
    if (q.state && !vl_state_valid(q.state, strlen(q.state)))
        return vl_cli_usage(&cli, "--state wants a two-letter upper-case code such as MU");
    if (q.text && !*q.text)
        return vl_cli_usage(&cli, "--text must not be empty");
    if (limit) {
        uint64_t v = 0;
        if (vl_cli_number(&cli, "limit", limit, 1, VL_CLI_MAX_LIMIT, &v) != VL_OK)
            return VL_EXIT_USAGE;
        q.limit = (size_t)v;
    }

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
