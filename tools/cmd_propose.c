/* SPDX-License-Identifier: MIT */
/*
 * valise propose - turn record changes into signed proposals and add them
 * to the store's pending set, where approvers review them.
 *
 * Three ways to say what changes: a JSON file (one record object or an
 * array of them: new records or whole replacements), a partial update of
 * named fields of the current record (--set), or a delete. Every record is
 * validated against its kind's schema before anything is signed, every
 * proposal is made before the first is submitted, and each base revision is
 * the record's current revision (0 for a new record), so an approval made
 * after someone else's change is refused as "needs rebase".
 *
 * --out writes the signed proposal to a file instead (to carry it to another
 * node); --signed submits such a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_cli.h"
#include "vl_limits.h"
#include "vl_progress.h"
#include "vl_record.h"

static const char s_usage[] =
    "usage: valise propose --key AUTHOR.key --file FILE.json [--out FILE]\n"
    "       valise propose --key AUTHOR.key --set ID FIELD=VALUE [FIELD=VALUE...] [--out FILE]\n"
    "       valise propose --key AUTHOR.key --delete ID [--out FILE]\n"
    "       valise propose --key AUTHOR.key --again ID [--out FILE]\n"
    "       valise propose --key MEMBER.key --signed FILE\n"
    "\n"
    "Propose changes to records; they wait in the store until enough approvers\n"
    "approve them (valise review, valise approve). Prints each proposal id.\n"
    "\n"
    "  --file FILE   one JSON record (at most 256 KiB), or an array of records (at\n"
    "                most 16 MiB: a bulk load); new records or whole replacements;\n"
    "                '-' reads stdin. It is split into proposals of at most 64\n"
    "                records (and 256 KiB of records); records equal to the\n"
    "                current ones are skipped.\n"
    "  --set ID      change the named fields of the current record ID. FIELD is a\n"
    "                top-level field or a path such as contact.phones[0] or\n"
    "                persons[2]; an index one past the end, or [+], appends\n"
    "                (persons[+]). VALUE is parsed as JSON when it parses\n"
    "                ('[\"a\",\"b\"]', true, '{\"en\":\"x\"}'), else taken as a\n"
    "                string; null removes the field or element.\n"
    "  --delete ID   delete the record ID\n"
    "  --again ID    make again your proposal ID (4 or more hex digits) that lapsed\n"
    "                when a policy version started a new content-key epoch (valise\n"
    "                proposals lists it): the same changes, under the current epoch\n"
    "  --out FILE    write the signed proposal to FILE instead of submitting it\n"
    "  --signed FILE submit a signed proposal file made with --out\n"
    "  --json        print [{id, ops}] instead of text\n"
    "\n"
    "A central authority may propose changes to records of its own States only.\n";

typedef struct {
    uint8_t *body;       /* canonical body (NULL for a delete) */
    size_t len;
    vl_record_t *rec;    /* parsed body, or the current record for a delete */
    vl_op_t op;
} s_item_t;

typedef struct {
    vl_cli_t *cli;
    s_item_t *items;
    size_t n, cap;
    size_t skipped;      /* records equal to their current version */
    vl_progress_t prog;  /* the progress line (a terminal only) */
} s_batch_t;

static void
s_batch_free(s_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].body);
        vl_record_destroy(&b->items[i].rec);
    }
    free(b->items);
    b->items = NULL;
    b->n = b->cap = 0;
}

static s_item_t *
s_batch_push(s_batch_t *b)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 16;
        s_item_t *ni = realloc(b->items, ncap * sizeof *ni);
        if (!ni)
            return NULL;
        b->items = ni;
        b->cap = ncap;
    }
    s_item_t *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    return it;
}

/* Current revision and body of a record; *cur NULL and *rev 0 if absent. */
static int
s_current(vl_cli_t *cli, const char *id, vl_record_t **cur, uint64_t *rev)
{
    cli->err[0] = '\0';
    int rc = vl_store_get(cli->store, id, cur, rev, cli->err);
    if (rc == VL_ENOTFOUND) {
        *cur = NULL;
        *rev = 0;
        cli->err[0] = '\0';
        return VL_OK;
    }
    if (rc != VL_OK)
        vl_cli_fail(cli, rc, "record %s", id);
    return rc;
}

/* Validate one JSON record and queue it as a put. `where` names it in
 * messages ("new.json" or "new.json: record 3"). */
static int
s_add_put(s_batch_t *b, const json_t *obj, const char *where, bool name_id)
{
    vl_cli_t *cli = b->cli;
    uint8_t *body = NULL;
    size_t len = 0;
    vl_record_t *rec = NULL, *cur = NULL;
    uint64_t rev = 0;
    cli->err[0] = '\0';
    int rc = vl_record_from_json(obj, &body, &len, cli->err);
    if (rc != VL_OK) {
        const json_t *jid = json_object_get(obj, "id");
        if (name_id && json_is_string(jid) && vl_record_id_valid(json_string_value(jid),
                                                      json_string_length(jid)))
            vl_cli_fail(cli, rc, "%s (%s)", where, json_string_value(jid));
        else
            vl_cli_fail(cli, rc, "%s", where);
        goto out;
    }
    rc = vl_record_parse(body, len, &rec, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "%s", where);
        goto out;
    }
    const char *id = vl_record_id(rec);
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->items[i].op.id, id) == 0) {
            rc = VL_EINVAL;
            vl_cli_failx(cli, "%s: record %s appears twice", where, id);
            goto out;
        }
    }
    rc = s_current(cli, id, &cur, &rev);
    if (rc != VL_OK)
        goto out;
    if (cur) {
        size_t clen = 0;
        const uint8_t *cbody = vl_record_body(cur, &clen);
        if (clen == len && memcmp(cbody, body, len) == 0) {
            b->skipped++;
            goto out; /* unchanged: nothing to propose (rc is VL_OK) */
        }
    }
    s_item_t *it = s_batch_push(b);
    if (!it) {
        rc = VL_ENOMEM;
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    rc = vl_op_from_record(&it->op, rec, rev);
    if (rc != VL_OK) {
        b->n--;
        vl_cli_fail(cli, rc, "%s", where);
        goto out;
    }
    it->body = body;
    it->len = len;
    it->rec = rec;
    body = NULL;
    rec = NULL;
out:
    free(body);
    vl_record_destroy(&rec);
    vl_record_destroy(&cur);
    return rc;
}

static int
s_from_file(s_batch_t *b, const char *path)
{
    vl_cli_t *cli = b->cli;
    uint8_t *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    int rc = vl_cli_read_file(path, VL_MAX_LOAD_FILE, &text, &len, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    json_error_t jerr;
    root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = VL_EPROTO;
        vl_cli_fail(cli, rc, "%s: line %d, column %d: %s", path, jerr.line, jerr.column,
                    jerr.text);
        goto out;
    }
    if (json_is_object(root)) {
        if (len > VL_MAX_JSON_FILE) {
            rc = VL_ELIMIT;
            vl_cli_fail(cli, rc, "%s: a single record file is larger than %u bytes", path,
                        VL_MAX_JSON_FILE);
            goto out;
        }
        rc = s_add_put(b, root, path, false);
    } else if (json_is_array(root) && json_array_size(root) > 0) {
        size_t i;
        json_t *obj;
        size_t nrec = json_array_size(root);
        json_array_foreach(root, i, obj) {
            char where[512];
            vl_progress_update(&b->prog, "records read", i, nrec);
            snprintf(where, sizeof where, "%s: record %zu", path, i + 1);
            if (!json_is_object(obj)) {
                rc = VL_ESCHEMA;
                vl_cli_fail(cli, rc, "%s: not a JSON object", where);
                goto out;
            }
            rc = s_add_put(b, obj, where, true);
            if (rc != VL_OK)
                goto out;
        }
        vl_progress_update(&b->prog, "records read", nrec, nrec);
    } else {
        rc = VL_ESCHEMA;
        vl_cli_fail(cli, rc, "%s: want a record object or a non-empty array of them", path);
    }
out:
    json_decref(root);
    free(text);
    return rc;
}

/* ---- --set: paths like contact.phones[0] ---------------------------------- */

/* Index value of "[+]": append to the array. */
#define S_APPEND ((size_t)-1)

/* One path step: a member name or an array index. */
typedef struct {
    char name[80];
    bool is_index;
    size_t index;
} s_step_t;

static int
s_parse_path(const char *path, s_step_t *steps, size_t max, size_t *n)
{
    const char *p = path;
    *n = 0;
    if (!*p)
        return VL_EINVAL;
    while (*p) {
        if (*n == max)
            return VL_ELIMIT;
        s_step_t *s = &steps[(*n)++];
        memset(s, 0, sizeof *s);
        if (*p == '[') {
            char *end = NULL;
            unsigned long v;
            if (p[1] == '+' && p[2] == ']') {
                v = S_APPEND; /* "[+]": one past the end */
                end = (char *)p + 2;
            } else {
                uint64_t idx = 0;
                end = strchr(p + 1, ']');
                if (!end || vl_cli_u64(p + 1, (size_t)(end - (p + 1)), 0, VL_MAX_LIST,
                                       &idx) != VL_OK)
                    return VL_EINVAL;
                v = (unsigned long)idx;
            }
            s->is_index = true;
            s->index = v;
            p = end + 1;
            if (*p == '.')
                p++;
            else if (*p && *p != '[')
                return VL_EINVAL;
            continue;
        }
        size_t k = strcspn(p, ".[");
        if (k == 0 || k >= sizeof s->name)
            return VL_EINVAL;
        memcpy(s->name, p, k);
        s->name[k] = '\0';
        p += k;
        if (*p == '.') {
            p++;
            if (!*p)
                return VL_EINVAL;
        }
    }
    return VL_OK;
}

/* Set (or remove, when val is JSON null) the value at path in root.
 * Steals val. Writes the reason into err. */
static int
s_set_path(json_t *root, const char *path, json_t *val, char *err)
{
    s_step_t steps[16];
    size_t n = 0;
    int rc = s_parse_path(path, steps, 16, &n);
    if (rc != VL_OK) {
        json_decref(val);
        return vl_err(err, VL_EINVAL, "bad field path \"%s\"", path);
    }
    if (!steps[0].is_index && (strcmp(steps[0].name, "id") == 0 ||
                               strcmp(steps[0].name, "kind") == 0)) {
        json_decref(val);
        return vl_err(err, VL_EINVAL,
                      "%s: --set may not change a record's id or kind (propose a new record "
                      "and delete the old one)",
                      steps[0].name);
    }
    bool remove = json_is_null(val);
    json_t *cur = root;
    for (size_t i = 0; i < n; i++) {
        const s_step_t *s = &steps[i];
        bool last = i + 1 == n;
        if (s->is_index) {
            if (!json_is_array(cur)) {
                json_decref(val);
                return vl_err(err, VL_EINVAL, "%s: [%zu] applied to a value that is not an array",
                              path, s->index);
            }
            size_t size = json_array_size(cur);
            if (s->index == S_APPEND) {
                if (!last || remove) {
                    json_decref(val);
                    return vl_err(err, VL_EINVAL, "%s: [+] appends; it must end the path and "
                                  "the value may not be null", path);
                }
                return json_array_append_new(cur, val) == 0 ? VL_OK : VL_ENOMEM;
            }
            if (last) {
                int r;
                if (remove)
                    r = s->index < size ? json_array_remove(cur, s->index) : -1;
                else if (s->index < size)
                    r = json_array_set_new(cur, s->index, val);
                else if (s->index == size)
                    r = json_array_append_new(cur, val);
                else {
                    json_decref(val);
                    r = -1;
                }
                if (remove)
                    json_decref(val);
                if (r != 0)
                    return vl_err(err, VL_EINVAL, "%s: index %zu out of range (size %zu)", path,
                                  s->index, size);
                return VL_OK;
            }
            json_t *next = json_array_get(cur, s->index);
            if (!next) {
                json_decref(val);
                return vl_err(err, VL_EINVAL, "%s: index %zu out of range (size %zu)", path,
                              s->index, size);
            }
            cur = next;
            continue;
        }
        if (!json_is_object(cur)) {
            json_decref(val);
            return vl_err(err, VL_EINVAL, "%s: .%s applied to a value that is not an object",
                          path, s->name);
        }
        if (last) {
            if (remove) {
                json_decref(val);
                if (json_object_del(cur, s->name) != 0)
                    return vl_err(err, VL_EINVAL, "%s: no such field", path);
                return VL_OK;
            }
            return json_object_set_new(cur, s->name, val) == 0 ? VL_OK : VL_ENOMEM;
        }
        json_t *next = json_object_get(cur, s->name);
        if (!next) {
            if (remove) {
                json_decref(val);
                return vl_err(err, VL_EINVAL, "%s: no such field", path);
            }
            /* A missing container is created: an array when an index follows. */
            next = steps[i + 1].is_index ? json_array() : json_object();
            if (!next || json_object_set_new(cur, s->name, next) != 0) {
                json_decref(val);
                return VL_ENOMEM;
            }
        }
        cur = next;
    }
    json_decref(val);
    return VL_EINVAL;
}

static int
s_from_set(s_batch_t *b, const char *id)
{
    vl_cli_t *cli = b->cli;
    vl_record_t *cur = NULL;
    uint64_t rev = 0;
    json_t *j = NULL;
    int rc = s_current(cli, id, &cur, &rev);
    if (rc != VL_OK)
        return rc;
    if (!cur) {
        rc = VL_ENOTFOUND;
        vl_cli_fail(cli, rc, "no record %s (create it with --file)", id);
        goto out;
    }
    j = vl_record_to_json(cur);
    if (!j) {
        rc = VL_ENOMEM;
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    for (size_t i = 0; i < cli->args.n; i++) {
        const char *a = cli->args.v[i];
        const char *eq = strchr(a, '=');
        if (!eq || eq == a) {
            rc = VL_EINVAL;
            vl_cli_usage(cli, "want FIELD=VALUE, not '%s'", a);
            goto out;
        }
        char path[256];
        size_t plen = (size_t)(eq - a);
        if (plen >= sizeof path) {
            rc = VL_EINVAL;
            vl_cli_failx(cli, "field path too long");
            goto out;
        }
        memcpy(path, a, plen);
        path[plen] = '\0';
        json_t *val = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        if (!val)
            val = json_string(eq + 1);
        if (!val) {
            rc = VL_ESCHEMA;
            vl_cli_fail(cli, rc, "%s: value is not valid UTF-8", path);
            goto out;
        }
        cli->err[0] = '\0';
        rc = s_set_path(j, path, val, cli->err);
        if (rc != VL_OK) {
            vl_cli_fail(cli, rc, NULL);
            goto out;
        }
    }
    char where[VL_MAX_ID + 16];
    snprintf(where, sizeof where, "record %s", id);
    size_t before = b->skipped;
    rc = s_add_put(b, j, where, false);
    if (rc == VL_OK && b->skipped != before) {
        rc = VL_EINVAL;
        vl_cli_failx(cli, "nothing to propose: the new values equal record %s at revision %llu",
                     id, (unsigned long long)rev);
    }
out:
    json_decref(j);
    vl_record_destroy(&cur);
    return rc;
}

static int
s_from_delete(s_batch_t *b, const char *id)
{
    vl_cli_t *cli = b->cli;
    vl_record_t *cur = NULL;
    uint64_t rev = 0;
    int rc = s_current(cli, id, &cur, &rev);
    if (rc != VL_OK)
        return rc;
    if (!cur) {
        vl_cli_fail(cli, VL_ENOTFOUND, "no record %s", id);
        return VL_ENOTFOUND;
    }
    s_item_t *it = s_batch_push(b);
    if (!it) {
        vl_record_destroy(&cur);
        vl_cli_fail(cli, VL_ENOMEM, NULL);
        return VL_ENOMEM;
    }
    rc = vl_op_from_record(&it->op, cur, rev);
    if (rc != VL_OK) {
        b->n--;
        vl_record_destroy(&cur);
        vl_cli_fail(cli, rc, "record %s", id);
        return rc;
    }
    it->op.del = true;
    it->rec = cur;
    return VL_OK;
}

/* ---- output ------------------------------------------------------------------ */

static json_t *
s_ops_json(const vl_proposal_t *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I}", "op",
                                             op->del ? "delete" : "put", "id", op->id, "kind",
                                             vl_kind_name(op->kind), "base",
                                             (json_int_t)op->base));
    }
    return arr;
}

static void
s_print_ops(const vl_proposal_t *p)
{
    size_t n = vl_proposal_nops(p);
    printf("%zu op%s:", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < 4; i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        printf("%s %s %s", i ? "," : "", op->del ? "delete" : "put", vl_cli_esc(op->id));
    }
    if (n > 4)
        printf(", ...");
    putchar('\n');
}

/* Submit one signed proposal; print its id (erasing the progress line). */
static int
s_submit(vl_cli_t *cli, vl_progress_t *prog, const uint8_t *buf, size_t len, json_t *jout)
{
    uint8_t id[VL_HASH_LEN];
    vl_proposal_t *p = NULL;
    cli->err[0] = '\0';
    int rc = vl_store_propose(cli->store, buf, len, id, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, NULL);
        return rc;
    }
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(id, VL_HASH_LEN, hex);
    rc = vl_proposal_parse(vl_store_policy(cli->store), buf, len, &p, NULL);
    if (jout) {
        json_array_append_new(jout, json_pack("{s:s, s:o}", "id", hex, "ops",
                                              p ? s_ops_json(p) : json_array()));
    } else {
        vl_progress_clear(prog);
        printf("proposed %s: ", hex);
        if (p)
            s_print_ops(p);
        else
            putchar('\n');
    }
    vl_proposal_destroy(&p);
    return VL_OK;
}

int
cmd_propose(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "propose", s_usage);
    const char *file = NULL, *set_id = NULL, *del_id = NULL, *outpath = NULL, *signed_path = NULL,
               *again = NULL;
    const vl_opt_t opts[] = {
        { "file", VL_OPT_ARG, &file },
        { "set", VL_OPT_ARG, &set_id },
        { "delete", VL_OPT_ARG, &del_id },
        { "out", VL_OPT_ARG, &outpath },
        { "signed", VL_OPT_ARG, &signed_path },
        { "again", VL_OPT_ARG, &again },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    int modes = !!file + !!set_id + !!del_id + !!signed_path + !!again;
    if (modes != 1)
        return vl_cli_usage(&cli, "give exactly one of --file, --set, --delete, --again, --signed");
    if (!set_id && cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (set_id && cli.args.n == 0)
        return vl_cli_usage(&cli, "--set %s needs at least one FIELD=VALUE", set_id);
    if (signed_path && outpath)
        return vl_cli_usage(&cli, "--out does not go with --signed");
    for (size_t i = 0; set_id && i < cli.args.n; i++)
        if (cli.args.v[i][0] == '=' || !strchr(cli.args.v[i], '='))
            return vl_cli_usage(&cli, "want FIELD=VALUE, not '%s'", cli.args.v[i]);

    ret = VL_EXIT_ERR;
    s_batch_t b = { .cli = &cli };
    uint8_t *ckey = NULL, *filebuf = NULL;
    uint8_t **docs = NULL;
    size_t *doclens = NULL, *starts = NULL, ndocs = 0, filelen = 0;
    json_t *jout = cli.json ? json_array() : NULL;
    vl_proposal_t *p = NULL;
    int rc;
    vl_progress_init(&b.prog, "propose");
    if (!file)
        vl_progress_end(&b.prog); /* one proposal of a few records: no line */

    if (cli.json && !jout) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    if (signed_path) {
        rc = vl_cli_read_file(signed_path, VL_MAX_DOC, &filebuf, &filelen, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        if (vl_cli_open_store(&cli, 0) != VL_OK)
            goto out;
        if (s_submit(&cli, &b.prog, filebuf, filelen, jout) != VL_OK)
            goto out;
        if (jout) {
            vl_cli_print_json(jout);
            jout = NULL;
        }
        ret = VL_EXIT_OK;
        goto out;
    }

    if (vl_cli_open_store(&cli, outpath ? VL_STORE_RDONLY : 0) != VL_OK)
        goto out;
    const vl_policy_t *pol = vl_store_policy(cli.store);
    if (again) {
        if (!(docs = calloc(1, sizeof *docs)) || !(doclens = calloc(1, sizeof *doclens))) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        ndocs = 1;
        cli.err[0] = '\0';
        rc = vl_store_lapsed_remake(cli.store, again, cli.kp, vl_cli_now(), &docs[0],
                                    &doclens[0], cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        goto emit;
    }
    if (file)
        rc = s_from_file(&b, file);
    else if (set_id)
        rc = s_from_set(&b, set_id);
    else
        rc = s_from_delete(&b, del_id);
    if (rc != VL_OK)
        goto out;
    if (b.n == 0) {
        vl_cli_failx(&cli, "nothing to propose: all %zu records equal the current ones",
                     b.skipped);
        goto out;
    }
    /* Split into proposals of at most VL_MAX_OPS operations whose bodies fit
     * VL_MAX_PAYLOAD (an array of bin/nil, each with at most 5 header bytes). */
    starts = calloc(b.n + 1, sizeof *starts);
    if (!starts) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    size_t used = 5, in_doc = 0;
    for (size_t i = 0; i < b.n; i++) {
        size_t cost = b.items[i].len + 5;
        if (in_doc > 0 && (in_doc == VL_MAX_OPS || used + cost > VL_MAX_PAYLOAD)) {
            starts[++ndocs] = i;
            used = 5;
            in_doc = 0;
        }
        used += cost;
        in_doc++;
    }
    starts[++ndocs] = b.n;
    if (outpath && ndocs > 1) {
        vl_cli_failx(&cli, "--out takes one proposal: at most %u records of at most %u bytes "
                     "in all", VL_MAX_OPS, VL_MAX_PAYLOAD);
        goto out;
    }

    ckey = vl_secure_alloc(VL_KEY_LEN);
    docs = calloc(ndocs, sizeof *docs);
    doclens = calloc(ndocs, sizeof *doclens);
    if (!ckey || !docs || !doclens) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    rc = vl_policy_content_key(pol, vl_policy_epoch(pol), cli.kp, ckey);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "content key of epoch %u", vl_policy_epoch(pol));
        goto out;
    }

    /* Make (and so authorise) every proposal before submitting any. */
    uint64_t now = vl_cli_now();
    for (size_t d = 0; d < ndocs; d++) {
        vl_progress_update(&b.prog, "proposals made", d, ndocs);
        size_t first = starts[d];
        size_t n = starts[d + 1] - first;
        vl_op_t *ops = calloc(n, sizeof *ops);
        const uint8_t **bodies = calloc(n, sizeof *bodies);
        size_t *lens = calloc(n, sizeof *lens);
        if (!ops || !bodies || !lens) {
            free(ops);
            free(bodies);
            free(lens);
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            ops[i] = b.items[first + i].op;
            bodies[i] = b.items[first + i].body;
            lens[i] = b.items[first + i].len;
        }
        cli.err[0] = '\0';
        rc = vl_proposal_make(pol, cli.kp, ckey, now, ops, (const uint8_t *const *)bodies, lens,
                              n, &docs[d], &doclens[d], cli.err);
        free(ops);
        free(bodies);
        free(lens);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
    }
    vl_progress_update(&b.prog, "proposals made", ndocs, ndocs);

emit:
    if (outpath) {
        rc = vl_proposal_parse(pol, docs[0], doclens[0], &p, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "the new proposal does not verify");
            goto out;
        }
        rc = vl_cli_write_file(outpath, docs[0], doclens[0], true, 0644, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, NULL);
            goto out;
        }
        char hex[2 * VL_HASH_LEN + 1];
        vl_hex(vl_proposal_id(p), VL_HASH_LEN, hex);
        if (jout) {
            json_array_append_new(jout, json_pack("{s:s, s:o, s:s}", "id", hex, "ops",
                                                  s_ops_json(p), "file", outpath));
        } else {
            printf("wrote %s: proposal %s: ", vl_cli_esc(outpath), hex);
            s_print_ops(p);
        }
    } else {
        for (size_t d = 0; d < ndocs; d++) {
            vl_progress_update(&b.prog, "proposals submitted", d, ndocs);
            /* Ids of proposals already submitted are on stdout. */
            if (s_submit(&cli, &b.prog, docs[d], doclens[d], jout) != VL_OK)
                goto out;
        }
        vl_progress_update(&b.prog, "proposals submitted", ndocs, ndocs);
    }
    vl_progress_end(&b.prog);
    if (b.skipped && !jout)
        printf("%zu unchanged record%s skipped\n", b.skipped, b.skipped == 1 ? "" : "s");
    if (jout) {
        vl_cli_print_json(jout);
        jout = NULL;
    }
    ret = VL_EXIT_OK;
out:
    vl_progress_end(&b.prog);
    vl_proposal_destroy(&p);
    for (size_t d = 0; docs && d < ndocs; d++)
        free(docs[d]);
    free(docs);
    free(doclens);
    free(starts);
    vl_secure_free(&ckey);
    free(filebuf);
    json_decref(jout);
    s_batch_free(&b);
    vl_cli_done(&cli);
    return ret;
}
