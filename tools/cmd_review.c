/* SPDX-License-Identifier: MIT */
/*
 * valise review - pending proposals, each with its author, approvals so far
 * and a field-level diff of every operation against the current record.
 *
 * The proposals are copied out of the store first and decrypted here with
 * the content key, so that reading the current records for the diff never
 * runs inside the store's iteration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_cli.h"
#include "vl_record.h"

static const char s_usage[] =
    "usage: valise review [ID-PREFIX] [--json] --key MEMBER.key\n"
    "\n"
    "List pending proposals (or the one whose id starts with ID-PREFIX, at least 4\n"
    "hex digits): id, author, time, approvals so far against the threshold, and for\n"
    "each operation (put or delete, record id, kind, base revision) the changes\n"
    "against the current record:\n"
    "    ~ contact.phones[0]: \"+230 5550 1111\" -> \"+230 5550 2222\"   (changed)\n"
    "    + persons[2]: {...}                                         (added)\n"
    "    - faxes[1]: \"+230 5550 1299\"                                (removed)\n"
    "An operation whose base revision is no longer current is marked\n"
    "\"needs rebase\": approving it will be refused.\n"
    "ID-PREFIX of a proposal that is no longer pending is an error (exit 1) that\n"
    "says what became of it: \"rejected by NAME on TIME: REASON\", \"applied as\n"
    "entry SEQ\" or \"lapsed: ...\" (valise proposals lists them all).\n";

typedef struct {
    uint8_t *bytes;
    size_t len;
    size_t approvals;
} s_pending_t;

typedef struct {
    s_pending_t *v;
    size_t n, cap;
    const uint8_t *only;   /* id filter or NULL */
    int rc;
} s_list_t;

static int
s_collect(void *ctx, const vl_proposal_t *p, size_t n_approvals)
{
    s_list_t *l = ctx;
    if (l->only && memcmp(vl_proposal_id(p), l->only, VL_HASH_LEN) != 0)
        return 0;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        s_pending_t *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv)
            return l->rc = VL_ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    size_t len = 0;
    const uint8_t *b = vl_proposal_bytes(p, &len);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return l->rc = VL_ENOMEM;
    memcpy(copy, b, len);
    l->v[l->n++] = (s_pending_t){ copy, len, n_approvals };
    return 0;
}

/* A value, cut to about `max` bytes on a UTF-8 boundary: a string in double
 * quotes, anything else as compact JSON; either way escaped (vl_cli_fputs). */
static void
s_print_value(const json_t *v, size_t max)
{
    char *s = json_is_string(v) ? strdup(json_string_value(v))
                                : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        fputs("?", stdout);
        return;
    }
    size_t len = strlen(s);
    bool cut = len > max;
    if (cut) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
        s[len] = '\0';
    }
    if (json_is_string(v))
        putchar('"');
    vl_cli_fputs(s, stdout);
    if (json_is_string(v))
        putchar('"');
    if (cut)
        fputs("...", stdout);
    free(s);
}

static void
s_print_diff(const json_t *diff)
{
    size_t i;
    const json_t *d;
    if (json_array_size(diff) == 0)
        printf("      (no change)\n");
    json_array_foreach(diff, i, d) {
        const char *path = json_string_value(json_object_get(d, "path"));
        const json_t *o = json_object_get(d, "old"), *n = json_object_get(d, "new");
        printf("      %c %s: ", o && n ? '~' : n ? '+' : '-', vl_cli_esc(path));
        if (o && n) {
            s_print_value(o, 100);
            fputs(" -> ", stdout);
            s_print_value(n, 100);
        } else {
            s_print_value(o ? o : n, 200);
        }
        putchar('\n');
    }
}

/* Show one proposal (text) or append it to jout. */
static int
s_show(vl_cli_t *cli, const s_pending_t *pp, json_t *jout)
{
    const vl_policy_t *pol = vl_store_policy(cli->store);
    vl_proposal_t *p = NULL;
    uint8_t *ckey = NULL;
    json_t *jp = NULL, *jops = NULL;
    int rc = vl_proposal_parse(pol, pp->bytes, pp->len, &p, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "pending proposal");
        goto out;
    }
    ckey = vl_secure_alloc(VL_KEY_LEN);
    if (!ckey) {
        rc = VL_ENOMEM;
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    rc = vl_policy_content_key(pol, vl_proposal_epoch(p), cli->kp, ckey);
    if (rc == VL_OK)
        rc = vl_proposal_open(p, ckey, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "cannot read the proposal");
        goto out;
    }

    char hex[2 * VL_HASH_LEN + 1], kid[2 * VL_KID_LEN + 1], when[32];
    vl_hex(vl_proposal_id(p), VL_HASH_LEN, hex);
    vl_kid(vl_proposal_author(p), kid);
    vl_cli_time(vl_proposal_time(p), when);
    const char *author = vl_policy_member_name(pol, vl_proposal_author(p));
    uint32_t k = vl_policy_threshold(pol);
    if (jout) {
        jops = json_array();
        jp = json_pack("{s:s, s:{s:s, s:s}, s:s, s:I, s:I}", "id", hex, "author", "name",
                       author ? author : "unknown", "kid", kid, "time", when, "approvals",
                       (json_int_t)pp->approvals, "threshold", (json_int_t)k);
        if (!jp || !jops) {
            rc = VL_ENOMEM;
            vl_cli_fail(cli, rc, NULL);
            goto out;
        }
    } else {
        printf("proposal %s\n", hex);
        printf("  by %s (%s) at %s, approvals %zu/%u\n", vl_cli_esc(author ? author : "unknown"),
               kid, when,
               pp->approvals, k);
    }

    for (size_t i = 0; i < vl_proposal_nops(p); i++) {
        const vl_op_t *op = vl_proposal_op(p, i);
        vl_record_t *cur = NULL;
        uint64_t rev = 0;
        cli->err[0] = '\0';
        rc = vl_store_get(cli->store, op->id, &cur, &rev, cli->err);
        if (rc == VL_ENOTFOUND) {
            cur = NULL;
            rev = 0;
            rc = VL_OK;
        }
        if (rc != VL_OK) {
            vl_cli_fail(cli, rc, "record %s", op->id);
            goto out;
        }
        json_t *diff = vl_record_diff(cur, op->del ? NULL : vl_proposal_record(p, i));
        vl_record_destroy(&cur);
        if (!diff) {
            rc = VL_ENOMEM;
            vl_cli_fail(cli, rc, NULL);
            goto out;
        }
        bool stale = op->base != rev;
        if (jout) {
            json_array_append_new(jops, json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:o}", "op",
                                                  op->del ? "delete" : "put", "id", op->id,
                                                  "kind", vl_kind_name(op->kind), "base",
                                                  (json_int_t)op->base, "current",
                                                  (json_int_t)rev, "stale", stale, "diff",
                                                  diff));
        } else {
            printf("  %s %s (%s, ", op->del ? "delete" : "put", vl_cli_esc(op->id),
                   vl_kind_name(op->kind));
            if (op->base == 0)
                printf("new record");
            else
                printf("base revision %llu", (unsigned long long)op->base);
            if (stale)
                printf("; current revision is %llu: needs rebase", (unsigned long long)rev);
            printf(")\n");
            s_print_diff(diff);
            json_decref(diff);
        }
    }
    if (jout) {
        json_object_set_new(jp, "ops", jops);
        jops = NULL;
        json_array_append_new(jout, jp);
        jp = NULL;
    }
    rc = VL_OK;
out:
    json_decref(jp);
    json_decref(jops);
    vl_secure_free(&ckey);
    vl_proposal_destroy(&p);
    return rc;
}

/* Why a settled proposal is not pending: one line into cli->err. */
static int
s_settled_why(void *ctx, const vl_outcome_t *o)
{
    vl_cli_t *cli = ctx;
    char hex[2 * VL_HASH_LEN + 1], when[32];
    vl_hex(o->id, VL_HASH_LEN, hex);
    vl_cli_time(o->time, when);
    if (o->state == VL_OUTCOME_REJECTED) {
        const char *by = vl_policy_member_name(o->pol, vl_rejection_approver(o->rej));
        snprintf(cli->err, sizeof cli->err, "proposal %.16s was rejected by %s on %s: %s", hex,
                 by ? by : "unknown", when, vl_rejection_reason(o->rej));
    } else if (o->state == VL_OUTCOME_APPLIED) {
        snprintf(cli->err, sizeof cli->err, "proposal %.16s was applied as entry %llu on %s",
                 hex, (unsigned long long)o->seq, when);
    } else if (o->state == VL_OUTCOME_LAPSED) {
        snprintf(cli->err, sizeof cli->err, "proposal %.16s %s: its author can make it again "
                 "with valise propose --again %.16s", hex, o->problem, hex);
    }
    return VL_OK;
}

/* The pending proposal ID-PREFIX names, or the error line: for a settled
 * one, what became of it (rejected by whom, when, why; or its entry). */
static int
s_lookup(vl_cli_t *cli, const char *prefix, uint8_t id[VL_HASH_LEN])
{
    cli->err[0] = '\0';
    int rc = vl_store_pending_lookup(cli->store, prefix, id, cli->err);
    if (rc != VL_ENOTFOUND)
        return rc == VL_OK ? rc : vl_cli_pending_id(cli, prefix, id);
    cli->err[0] = '\0';
    int orc = vl_store_outcome_get(cli->store, prefix, s_settled_why, cli, NULL);
    if (orc != VL_OK || !cli->err[0])
        snprintf(cli->err, sizeof cli->err, "no pending proposal %s", prefix);
    vl_cli_fail(cli, rc, NULL);
    return rc;
}

int
cmd_review(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "review", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 1)
        return vl_cli_usage(&cli, "at most one ID-PREFIX");

    ret = VL_EXIT_ERR;
    s_list_t l = { 0 };
    uint8_t only[VL_HASH_LEN];
    json_t *jout = NULL;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    if (cli.args.n == 1) {
        if (s_lookup(&cli, cli.args.v[0], only) != VL_OK)
            goto out;
        l.only = only;
    }
    int rc = vl_store_pending_each(cli.store, s_collect, &l);
    if (rc == VL_OK)
        rc = l.rc;
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "pending proposals");
        goto out;
    }
    if (cli.json) {
        jout = json_array();
        if (!jout) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!jout && i > 0)
            putchar('\n');
        if (s_show(&cli, &l.v[i], jout) != VL_OK)
            goto out;
    }
    if (jout) {
        vl_cli_print_json(jout);
        jout = NULL;
    } else if (l.n == 0) {
        printf("no pending proposals\n");
    }
    ret = VL_EXIT_OK;
out:
    json_decref(jout);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].bytes);
    free(l.v);
    vl_cli_done(&cli);
    return ret;
}
