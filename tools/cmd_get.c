/* SPDX-License-Identifier: MIT */
/*
 * valise get - one current record, decrypted, with its revision and the
 * log entry that wrote it (vl_view_record): as an indented text layout for
 * people or as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_record.h"
#include "vl_view.h"

static const char s_usage[] =
    "usage: valise get ID [--json | --record] --key MEMBER.key\n"
    "\n"
    "Show the current record ID, its revision, and its last update: the time and\n"
    "the log entry that wrote this revision, who proposed it and who approved it.\n"
    "  --json    {\"id\", \"kind\", \"revision\", \"states\", \"name\", \"record\": {...},\n"
    "            \"updated\": {\"seq\", \"time\", \"entry\", \"proposal\", \"author\":\n"
    "            {\"name\", \"kid\"}, \"approvers\": [{\"name\", \"kid\"}]}, \"freshness\":\n"
    "            {\"state\", \"issued\", \"expires\", \"seq\", \"head\", \"message\"}}\n"
    "  --record  only the record object: a file 'valise propose --file' takes back\n"
    "When the directory may be stale (docs/trust.md §3), a line \"valise: warning:\n"
    "...\" on stderr says so and since when; the record is still shown.\n";

static void
s_indent(int n)
{
    for (int i = 0; i < n; i++)
        putchar(' ');
}

static bool
s_scalar(const json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

static void
s_print_scalar(const json_t *v)
{
    if (json_is_string(v)) {
        vl_cli_fputs(json_string_value(v), stdout);
    } else if (json_is_true(v)) {
        fputs("yes", stdout);
    } else if (json_is_false(v)) {
        fputs("no", stdout);
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        vl_cli_fputs(s ? s : "?", stdout);
        free(s);
    }
}

static void s_print_object(const json_t *o, int indent, bool first_inline);

/* "key: value" lines; `first_inline` means the cursor already stands after
 * "- " for the first member of an array element. */
static void
s_print_member(const char *key, const json_t *v, int indent, bool inline_key)
{
    if (!inline_key)
        s_indent(indent);
    printf("%s:", vl_cli_esc(key));
    if (s_scalar(v)) {
        putchar(' ');
        s_print_scalar(v);
        putchar('\n');
        return;
    }
    if (json_is_array(v)) {
        bool all_scalar = true;
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) all_scalar = all_scalar && s_scalar(e);
        if (all_scalar) {
            json_array_foreach(v, i, e) {
                fputs(i ? ", " : " ", stdout);
                s_print_scalar(e);
            }
            putchar('\n');
            return;
        }
        putchar('\n');
        json_array_foreach(v, i, e) {
            s_indent(indent + 2);
            fputs("- ", stdout);
            if (json_is_object(e)) {
                s_print_object(e, indent + 4, true);
            } else {
                char *s = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%s\n", vl_cli_esc(s ? s : "?"));
                free(s);
            }
        }
        return;
    }
    putchar('\n');
    s_print_object(v, indent + 2, false);
}

/* Members people look for first; the others follow in canonical order. */
static const char *const s_first[] = {
    "id", "kind", "state", "parties", "name", "title", "type", "status", "functions",
    "subjects", "legal_bases", "languages", "contact", "persons", NULL
};

static bool
s_is_first(const char *key)
{
    for (size_t i = 0; s_first[i]; i++)
        if (strcmp(s_first[i], key) == 0)
            return true;
    return false;
}

static void
s_print_object(const json_t *o, int indent, bool first_inline)
{
    const char *key;
    const json_t *v;
    bool first = true;
    /* Only a record (the top level) is reordered; nested objects keep theirs. */
    if (indent == 2 && !first_inline) {
        for (size_t i = 0; s_first[i]; i++) {
            v = json_object_get(o, s_first[i]);
            if (v)
                s_print_member(s_first[i], v, indent, false);
        }
    }
    json_object_foreach((json_t *)o, key, v) {
        if (indent == 2 && !first_inline && s_is_first(key))
            continue;
        s_print_member(key, v, indent, first && first_inline);
        first = false;
    }
    if (first && first_inline)
        printf("{}\n");
}

/* "updated: 2024-06-01T00:00:00Z, entry 1 (3f2a8c1d9e0b7a65), proposed by
 * sec1, approved by sec1, sec2": the view's "updated" object in one line. */
static void
s_print_updated(const json_t *u)
{
    const char *hash = json_string_value(json_object_get(u, "entry"));
    printf("updated: %s, entry %llu (%.16s), proposed by %s, approved by ",
           vl_cli_esc(json_string_value(json_object_get(u, "time"))),
           (unsigned long long)json_integer_value(json_object_get(u, "seq")), hash ? hash : "",
           vl_cli_esc(json_string_value(json_object_get(json_object_get(u, "author"), "name"))));
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(u, "approvers"), i, a)
        printf("%s%s", i ? ", " : "", vl_cli_esc(json_string_value(json_object_get(a, "name"))));
    putchar('\n');
}

int
cmd_get(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "get", s_usage);
    bool record_only = false;
    const vl_opt_t opts[] = {
        { "record", VL_OPT_FLAG, &record_only },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one record ID");
    const char *id = cli.args.v[0];
    if (!vl_record_id_valid(id, strlen(id)))
        return vl_cli_usage(&cli, "'%s' is not a record id", id);

    ret = VL_EXIT_ERR;
    json_t *v = NULL;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    int rc = vl_view_record(cli.store, id, &v, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    vl_freshness_t fr;
    char ftext[VL_ERRMSG_MAX];
    vl_cli_freshness(&cli, &fr, ftext, sizeof ftext);
    vl_cli_freshness_warn(&fr, ftext);
    const json_t *j = json_object_get(v, "record");
    if (record_only) {
        vl_cli_print_json(json_incref((json_t *)j));
    } else if (cli.json) {
        if (json_object_set_new(v, "freshness", vl_cli_freshness_json(&fr, ftext)) != 0 ||
            vl_cli_print_json(v) != VL_OK) {
            v = NULL;
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        v = NULL;
    } else {
        printf("%s: %s (%s, revision %llu)\n", vl_cli_esc(id),
               vl_cli_esc(json_string_value(json_object_get(v, "name"))),
               json_string_value(json_object_get(v, "kind")),
               (unsigned long long)json_integer_value(json_object_get(v, "revision")));
        s_print_updated(json_object_get(v, "updated"));
        s_print_object(j, 2, false);
    }
    ret = VL_EXIT_OK;
out:
    json_decref(v);
    vl_cli_done(&cli);
    return ret;
}
