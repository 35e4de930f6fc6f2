/* SPDX-License-Identifier: MIT */
/*
 * valise export - the current records (all, or those the filters of find
 * select: vl_filter), decrypted, as one JSON document or
 * as CSV with flattened columns (docs/cli.md lists them) for tools such as
 * the MLA Request Writer. The output holds contact details in clear: a file
 * written with --out gets mode 0600.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_filter.h"
#include "vl_record.h"

static const char s_usage[] =
    "usage: valise export [--format json|csv] [--out FILE] [filters] --key MEMBER.key\n"
    "\n"
    "Export the current records (decrypted: the output holds contact details in\n"
    "clear; --out writes FILE with mode 0600): all of them, or those that match\n"
    "every filter given (the filters of 'valise find').\n"
    "  --format json  {\"network\", \"network_id\", \"exported_at\", \"head\": {seq, hash,\n"
    "                 root}, \"freshness\": {state, issued, expires, seq, head,\n"
    "                 message}, \"filter\": {...} (only with filters), \"records\":\n"
    "                 [...]} (the default)\n"
    "  --format csv   one row per record, RFC 4180, UTF-8, header row first; authority\n"
    "                 columns by default, agreement columns with --kind agreement\n"
    "                 (see docs/cli.md for the columns)\n"
    "  --out FILE     write to FILE instead of stdout\n"
    "Filters:\n"
    VL_FILTER_HELP
    "A bad filter writes nothing. When the directory may be stale (docs/trust.md\n"
    "§3), a line \"valise: warning: ...\" on stderr says so and since when; the\n"
    "export is still written.\n";

/* ---- CSV helpers ------------------------------------------------------------ */

/* A cell that starts with one of these would be taken for a formula (or, for
 * the quote, for an escaped one) by a spreadsheet: it is written as "'" and
 * the value, in double quotes. A program drops the first "'" of any cell that
 * starts with one (docs/cli.md, export). */
static const char s_csv_formula[] = "=+-@\t\r'";

static void
s_csv_cell(FILE *f, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    if (!s)
        return;
    bool formula = *s && strchr(s_csv_formula, *s) != NULL;
    if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* Text of a multilingual value in `lang`, or when `lang` is NULL in English
 * else the first language; plain strings are returned as they are. */
static const char *
s_text(const json_t *v, const char *lang)
{
    if (json_is_string(v))
        return lang && strcmp(lang, "en") != 0 ? NULL : json_string_value(v);
    if (!json_is_object(v))
        return NULL;
    const json_t *t = json_object_get(v, lang ? lang : "en");
    if (json_is_string(t))
        return json_string_value(t);
    if (lang)
        return NULL;
    void *it = json_object_iter((json_t *)v);
    t = it ? json_object_iter_value(it) : NULL;
    return json_is_string(t) ? json_string_value(t) : NULL;
}

/* Strings of an array joined by sep into a new string (caller frees). */
static char *
s_join(const json_t *arr, const char *sep)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        if (i)
            fputs(sep, m);
        if (json_is_string(e))
            fputs(json_string_value(e), m);
    }
    fclose(m);
    return buf;
}

static void
s_cell_join(FILE *f, const json_t *arr, const char *sep)
{
    char *s = s_join(arr, sep);
    s_csv_cell(f, s ? s : "", false);
    free(s);
}

static const char *
s_bool(const json_t *v)
{
    return json_is_true(v) ? "true" : json_is_false(v) ? "false" : "";
}

/* "Name (Title) phones emails" per person, joined by "; ". */
static void
s_cell_persons(FILE *f, const json_t *persons)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        s_csv_cell(f, "", false);
        return;
    }
    size_t i;
    const json_t *p;
    json_array_foreach(persons, i, p) {
        if (i)
            fputs("; ", m);
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *title = json_string_value(json_object_get(p, "title"));
        fputs(name ? name : "", m);
        if (title)
            fprintf(m, " (%s)", title);
        size_t k;
        const json_t *e;
        json_array_foreach(json_object_get(p, "phones"), k, e) fprintf(m, " %s",
                                                                       json_string_value(e));
        json_array_foreach(json_object_get(p, "emails"), k, e) fprintf(m, " %s",
                                                                       json_string_value(e));
    }
    fclose(m);
    s_csv_cell(f, buf ? buf : "", false);
    free(buf);
}

static const char s_auth_header[] =
    "id,revision,state,name_en,name_fr,name_es,functions,legal_bases,languages,"
    "address,phones,faxes,emails,website,interpol,untoc_16_5,office_hours,time_zone,"
    "channels,formats,required_documents,urgent_procedures,comments,persons,treaties";

static void
s_csv_authority(FILE *f, const json_t *j, uint64_t rev)
{
    const json_t *c = json_object_get(j, "contact");
    char revs[24];
    snprintf(revs, sizeof revs, "%llu", (unsigned long long)rev);
    s_csv_cell(f, json_string_value(json_object_get(j, "id")), true);
    s_csv_cell(f, revs, false);
    s_csv_cell(f, json_string_value(json_object_get(j, "state")), false);
    s_csv_cell(f, s_text(json_object_get(j, "name"), NULL), false);
    s_csv_cell(f, s_text(json_object_get(j, "name"), "fr"), false);
    s_csv_cell(f, s_text(json_object_get(j, "name"), "es"), false);
    s_cell_join(f, json_object_get(j, "functions"), ";");
    s_cell_join(f, json_object_get(j, "legal_bases"), ";");
    s_cell_join(f, json_object_get(j, "languages"), ";");
    s_csv_cell(f, s_text(json_object_get(c, "address"), NULL), false);
    s_cell_join(f, json_object_get(c, "phones"), ";");
    s_cell_join(f, json_object_get(c, "faxes"), ";");
    s_cell_join(f, json_object_get(c, "emails"), ";");
    s_csv_cell(f, json_string_value(json_object_get(c, "website")), false);
    s_csv_cell(f, s_bool(json_object_get(j, "interpol")), false);
    s_csv_cell(f, s_bool(json_object_get(j, "untoc_16_5")), false);
    s_csv_cell(f, json_string_value(json_object_get(j, "office_hours")), false);
    s_csv_cell(f, json_string_value(json_object_get(j, "time_zone")), false);
    s_cell_join(f, json_object_get(j, "channels"), ";");
    s_cell_join(f, json_object_get(j, "formats"), ";");
    s_csv_cell(f, s_text(json_object_get(j, "required_documents"), NULL), false);
    s_csv_cell(f, s_text(json_object_get(j, "urgent_procedures"), NULL), false);
    s_csv_cell(f, s_text(json_object_get(j, "comments"), NULL), false);
    s_cell_persons(f, json_object_get(j, "persons"));
    s_cell_join(f, json_object_get(j, "treaties"), ";");
    fputs("\r\n", f);
}

static const char s_agr_header[] =
    "id,revision,title_en,title_fr,title_es,type,status,parties,subjects,signed,in_force,"
    "terminated,platform,requirements,notes";

static void
s_csv_agreement(FILE *f, const json_t *j, uint64_t rev)
{
    const json_t *d = json_object_get(j, "dates");
    char revs[24];
    snprintf(revs, sizeof revs, "%llu", (unsigned long long)rev);
    s_csv_cell(f, json_string_value(json_object_get(j, "id")), true);
    s_csv_cell(f, revs, false);
    s_csv_cell(f, s_text(json_object_get(j, "title"), NULL), false);
    s_csv_cell(f, s_text(json_object_get(j, "title"), "fr"), false);
    s_csv_cell(f, s_text(json_object_get(j, "title"), "es"), false);
    s_csv_cell(f, json_string_value(json_object_get(j, "type")), false);
    s_csv_cell(f, json_string_value(json_object_get(j, "status")), false);
    s_cell_join(f, json_object_get(j, "parties"), ";");
    s_cell_join(f, json_object_get(j, "subjects"), ";");
    s_csv_cell(f, json_string_value(json_object_get(d, "signed")), false);
    s_csv_cell(f, json_string_value(json_object_get(d, "in_force")), false);
    s_csv_cell(f, json_string_value(json_object_get(d, "terminated")), false);
    s_csv_cell(f, json_string_value(json_object_get(j, "platform")), false);
    /* "MG: text; MU: text" */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        size_t i;
        const json_t *r;
        json_array_foreach(json_object_get(j, "requirements"), i, r) {
            const char *t = s_text(json_object_get(r, "text"), NULL);
            fprintf(m, "%s%s: %s", i ? "; " : "", json_string_value(json_object_get(r, "party")),
                    t ? t : "");
        }
        fclose(m);
    }
    s_csv_cell(f, buf ? buf : "", false);
    free(buf);
    s_csv_cell(f, s_text(json_object_get(j, "notes"), NULL), false);
    fputs("\r\n", f);
}

/* ---- collection -------------------------------------------------------------- */

typedef struct {
    bool csv;
    FILE *m;            /* CSV output */
    json_t *records;    /* JSON output */
    vl_kind_t csv_kind;
    size_t n;
    int rc;
} s_export_t;

static int
s_each(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_export_t *x = ctx;
    json_t *j = vl_record_to_json(rec);
    if (!j)
        return x->rc = VL_ENOMEM;
    x->n++;
    if (!x->csv) {
        if (json_array_append_new(x->records, j) != 0)
            return x->rc = VL_ENOMEM;
        return 0;
    }
    if (vl_record_kind(rec) == VL_KIND_AUTHORITY && x->csv_kind == VL_KIND_AUTHORITY)
        s_csv_authority(x->m, j, rev);
    else if (vl_record_kind(rec) == VL_KIND_AGREEMENT && x->csv_kind == VL_KIND_AGREEMENT)
        s_csv_agreement(x->m, j, rev);
    else
        x->n--;
    json_decref(j);
    return 0;
}

int
cmd_export(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "export", s_usage);
    const char *format = "json", *outpath = NULL;
    vl_filter_t flt;
    vl_query_t q;
    vl_opt_t opts[VL_FILTER_NOPTS + 3];
    size_t nopt = vl_filter_opts(&flt, opts);
    opts[nopt++] = (vl_opt_t){ "format", VL_OPT_ARG, &format };
    opts[nopt++] = (vl_opt_t){ "out", VL_OPT_ARG, &outpath };
    opts[nopt] = (vl_opt_t){ NULL, VL_OPT_FLAG, NULL };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    bool csv;
    if (strcmp(format, "json") == 0)
        csv = false;
    else if (strcmp(format, "csv") == 0)
        csv = true;
    else
        return vl_cli_usage(&cli, "--format must be json or csv");
    if ((ret = vl_filter_query(&cli, &flt, &q)) != VL_EXIT_OK)
        return ret;
    bool filtered = flt.state || flt.country || flt.function || flt.basis || flt.language ||
                    flt.kind || flt.text || flt.limit;

    ret = VL_EXIT_ERR;
    char *buf = NULL;
    size_t len = 0;
    s_export_t x = { .csv = csv };
    x.csv_kind = q.kind ? vl_kind_parse(q.kind) : VL_KIND_AUTHORITY;
    json_t *doc = NULL, *filter = NULL;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    vl_head_t head;
    int rc = vl_store_head(cli.store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "head");
        goto out;
    }
    x.m = open_memstream(&buf, &len);
    x.records = json_array();
    if (!x.m || !x.records) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (csv)
        fprintf(x.m, "%s\r\n",
                x.csv_kind == VL_KIND_AGREEMENT ? s_agr_header : s_auth_header);
    if (csv)
        q.kind = vl_kind_name(x.csv_kind);
    rc = vl_store_find(cli.store, &q, s_each, &x);
    if (rc == VL_OK)
        rc = x.rc;
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "records");
        goto out;
    }
    vl_freshness_t fr;
    char ftext[VL_ERRMSG_MAX];
    vl_cli_freshness(&cli, &fr, ftext, sizeof ftext);
    if (!csv) {
        const vl_policy_t *pol = vl_store_policy(cli.store);
        char net[2 * VL_NETID_LEN + 1], hash[2 * VL_HASH_LEN + 1], root[2 * VL_HASH_LEN + 1];
        char when[32];
        vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
        vl_hex(head.hash, VL_HASH_LEN, hash);
        vl_hex(head.root, VL_HASH_LEN, root);
        vl_cli_time(vl_cli_now(), when);
        doc = json_pack("{s:s, s:s, s:s, s:{s:I, s:s, s:s}, s:o, s:O}", "network",
                        vl_policy_name(pol), "network_id", net, "exported_at", when, "head",
                        "seq", (json_int_t)head.seq, "hash", hash, "root", root, "freshness",
                        vl_cli_freshness_json(&fr, ftext), "records", x.records);
        if (doc && filtered) {
            filter = vl_filter_json(&q);
            if (!filter || json_object_set(doc, "filter", filter) != 0) {
                json_decref(doc);
                doc = NULL;
            }
        }
        if (!doc || json_dumpf(doc, x.m, JSON_INDENT(2)) != 0) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        fputc('\n', x.m);
    }
    fclose(x.m);
    x.m = NULL;
    if (outpath) {
        /* Decrypted contact details: readable by the owner only. */
        rc = vl_cli_write_file(outpath, buf, len, false, 0600, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        printf("exported %zu record%s to %s\n", x.n, x.n == 1 ? "" : "s", vl_cli_esc(outpath));
    } else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        vl_cli_fail(&cli, VL_EIO, "stdout");
        goto out;
    }
    vl_cli_freshness_warn(&fr, ftext);
    ret = VL_EXIT_OK;
out:
    if (x.m)
        fclose(x.m);
    free(buf);
    json_decref(doc);
    json_decref(filter);
    json_decref(x.records);
    vl_cli_done(&cli);
    return ret;
}
