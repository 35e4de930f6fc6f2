/* SPDX-License-Identifier: MIT */
/*
 * valise policy - the network's policy over time (docs/trust.md §1, §2):
 * show the chain of versions this store has adopted and what each one
 * changed; propose version N+1 (rotations, revocations, new members,
 * threshold, fresh node, a new content-key epoch); sign it; publish it.
 *
 * Version N+1 is valid with threshold(N) signatures by version N's approvers
 * and threshold(N+1) by its own; the store adopts it only on top of its
 * current version and its log (vl_store_policy_adopt). Everything here is
 * checked by the protocol and store layers; this file only builds, shows and
 * carries documents. A candidate file is hostile bytes until parsed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vl_cli.h"
#include "vl_limits.h"

static const char s_usage[] =
    "usage: valise policy show [FILE] [--json] --key MEMBER.key\n"
    "       valise policy propose --key APPROVER.key [--rotate OLD=NEW...]\n"
    "                             [--revoke PUB|KID...] [--add-approver PUB...]\n"
    "                             [--add-authority STATES=PUB...] [--add-node PUB...]\n"
    "                             [--add-reader PUB...] [--threshold K]\n"
    "                             [--fresh-node PUB|KID|none] [--new-epoch] --out FILE\n"
    "       valise policy sign FILE --key APPROVER.key [--store-key MEMBER.key\n"
    "                                                  [--store-pass-file FILE]]\n"
    "       valise policy publish FILE --key MEMBER.key\n"
    "\n"
    "The network's policy (approvers and threshold, central authorities and their\n"
    "States, member nodes, readers, content-key epochs, the fresh node) changes by\n"
    "signed versions. Version N+1 needs the threshold of version N's approvers AND\n"
    "the threshold of its own approvers; it governs the log from the entry after\n"
    "the head it was proposed on. Entries signed before it still verify.\n"
    "\n"
    "show     Without FILE: every version this store has adopted, oldest first, with\n"
    "         its hash, first entry, time, threshold, member counts, content-key\n"
    "         epoch and fresh node, and what it changed. With FILE: a candidate\n"
    "         version N+1 checked against the current version N (its changes, and\n"
    "         its signatures: k of version N's approvers, m of its own), and whether\n"
    "         it can be published on this log.\n"
    "           --json  {\"current\", \"versions\": [{\"version\", \"hash\", \"prev\", \"from\",\n"
    "                   \"after\", \"time\", \"threshold\", \"approvers\", \"authorities\",\n"
    "                   \"nodes\", \"readers\", \"epoch\", \"fresh_node\", \"signatures\",\n"
    "                   \"changes\"}]};\n"
    "                   with FILE {\"file\", \"current\", \"candidate\": {...},\n"
    "                   \"signatures\": {\"by_current\", \"need_current\", \"by_own\",\n"
    "                   \"need_own\"}, \"log\": {\"head\", \"from\", \"ok\", \"problem\"},\n"
    "                   \"ready\"}. Each change: {\"change\" (added, removed, rotated,\n"
    "                   roles, threshold, fresh_node, epoch, name), ..., \"text\"}.\n"
    "propose  Build version N+1 from the store's current version N, governing the\n"
    "         log from head + 1, sign it with --key when that key is an approver\n"
    "         (of N or N+1), and write it to FILE (never overwritten). --key must\n"
    "         be a member of version N other than a reader: it opens the content\n"
    "         keys to seal them again to the members of N+1.\n"
    "           --rotate OLD=NEW         replace a member's key in every role, keeping\n"
    "                                    its name and States (OLD: .pub file or 16-hex\n"
    "                                    key id of a member; NEW: .pub file)\n"
    "           --revoke PUB|KID         remove a member from every role\n"
    "           --add-approver PUB       a new approver (named by its .pub label)\n"
    "           --add-authority STATES=PUB  a new central authority, e.g. MU=mu.pub\n"
    "           --add-node PUB           a new member node\n"
    "           --add-reader PUB         a new reader: receives the content keys, may\n"
    "                                    only read (a reader holds no other role)\n"
    "           --threshold K            approvals needed from now on\n"
    "           --fresh-node PUB|KID|none  the node whose freshness statements count\n"
    "           --new-epoch              start a new content-key epoch even without a\n"
    "                                    removed key (a rotation or revocation always\n"
    "                                    starts one)\n"
    "         Each repeatable option takes one or more values.\n"
    "sign     Add the signature of --key to FILE (in place). The signer must be an\n"
    "         approver of version N or of the new version. A key that is not a\n"
    "         member of version N (a new approver) opens the store with\n"
    "         --store-key MEMBER.key (any member of version N, e.g. the node key).\n"
    "         Its passphrase comes from --store-pass-file FILE when given, else from\n"
    "         the same sources as --key's (--pass-file, $VALISE_PASSPHRASE, a prompt).\n"
    "publish  Adopt FILE as the store's next version: refused unless it is version\n"
    "         N+1 with both thresholds met and it chains onto this store's log.\n"
    "         An older version, another document of a version already adopted\n"
    "         (rollback or fork), and a version already adopted are refused.\n";

/* ---- members of a version ----------------------------------------------------- */

typedef struct {
    uint8_t pk[VL_PK_LEN];
    unsigned roles;
} s_mem_t;

typedef struct {
    s_mem_t *v;
    size_t n, cap;
    bool oom;
} s_mems_t;

static void
s_mem_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_mems_t *m = ctx;
    if (m->oom)
        return;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        s_mem_t *nv = realloc(m->v, ncap * sizeof *nv);
        if (!nv) {
            m->oom = true;
            return;
        }
        m->v = nv;
        m->cap = ncap;
    }
    memcpy(m->v[m->n].pk, pk, VL_PK_LEN);
    m->v[m->n].roles = roles;
    m->n++;
}

static int
s_members(const vl_policy_t *p, s_mems_t *m)
{
    memset(m, 0, sizeof *m);
    vl_policy_members_each(p, s_mem_cb, m);
    if (m->oom) {
        free(m->v);
        memset(m, 0, sizeof *m);
        return VL_ENOMEM;
    }
    return VL_OK;
}

static const s_mem_t *
s_mem_find(const s_mems_t *m, const uint8_t pk[VL_PK_LEN])
{
    for (size_t i = 0; i < m->n; i++)
        if (memcmp(m->v[i].pk, pk, VL_PK_LEN) == 0)
            return &m->v[i];
    return NULL;
}

/* "MU,FR": the States of an authority, from the policy's JSON view. */
static void
s_states(const json_t *pj, const uint8_t pk[VL_PK_LEN], char *out, size_t cap)
{
    char hex[2 * VL_PK_LEN + 1];
    vl_hex(pk, VL_PK_LEN, hex);
    out[0] = '\0';
    size_t i, s, off = 0;
    const json_t *a, *st;
    json_array_foreach(json_object_get(pj, "authorities"), i, a) {
        const char *k = json_string_value(json_object_get(a, "key"));
        if (!k || strcmp(k, hex) != 0)
            continue;
        json_array_foreach(json_object_get(a, "states"), s, st) {
            int n = snprintf(out + off, cap - off, "%s%s", s ? "," : "",
                             json_string_value(st) ? json_string_value(st) : "?");
            if (n < 0 || (size_t)n >= cap - off)
                return;
            off += (size_t)n;
        }
        return;
    }
}

/* "approver + authority for MU,FR + node", "reader". */
static void
s_roles_text(const json_t *pj, const uint8_t pk[VL_PK_LEN], unsigned roles, char *out,
             size_t cap)
{
    char states[VL_MAX_STATES * 3 + 8];
    size_t off = 0;
    out[0] = '\0';
    if (roles & VL_ROLE_APPROVER)
        off += (size_t)snprintf(out + off, cap - off, "approver");
    if ((roles & VL_ROLE_AUTHORITY) && off < cap) {
        s_states(pj, pk, states, sizeof states);
        off += (size_t)snprintf(out + off, cap - off, "%sauthority for %s", off ? " + " : "",
                                states[0] ? states : "?");
    }
    if ((roles & VL_ROLE_NODE) && off < cap)
        off += (size_t)snprintf(out + off, cap - off, "%snode", off ? " + " : "");
    if ((roles & VL_ROLE_READER) && off < cap)
        snprintf(out + off, cap - off, "%sreader", off ? " + " : "");
}

static void
s_who(const vl_policy_t *p, const uint8_t *pk, char *out, size_t cap)
{
    if (!pk)
        snprintf(out, cap, "none");
    else
        vl_cli_member(p, pk, out, cap);
}

/* ---- what a version changed --------------------------------------------------- */

static int
s_change(json_t *arr, json_t *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_change(json_t *arr, json_t *o, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!o || json_object_set_new(o, "text", json_string(text)) != 0 ||
        json_array_append_new(arr, o) != 0)
        return VL_ENOMEM;
    return VL_OK;
}

/* The changes from old to nw as a JSON array of {"change", ..., "text"}: keys
 * gone and keys new (a gone key and a new key with the same name and roles
 * are a rotation), roles changed, threshold, fresh node, content-key epoch. */
static json_t *
s_diff(const vl_policy_t *old, const vl_policy_t *nw)
{
    json_t *arr = json_array(), *oj = vl_policy_to_json(old), *nj = vl_policy_to_json(nw);
    s_mems_t om = { 0 }, nm = { 0 };
    bool *paired = NULL;
    int rc = VL_ENOMEM;
    if (!arr || !oj || !nj || s_members(old, &om) != VL_OK || s_members(nw, &nm) != VL_OK)
        goto out;
    paired = calloc(nm.n ? nm.n : 1, sizeof *paired);
    if (!paired)
        goto out;
    char kid[2 * VL_KID_LEN + 1], kid2[2 * VL_KID_LEN + 1], hex[2 * VL_PK_LEN + 1],
        hex2[2 * VL_PK_LEN + 1];
    char roles[VL_MAX_STATES * 3 + 64], roles2[VL_MAX_STATES * 3 + 64];

    if (strcmp(vl_policy_name(old), vl_policy_name(nw)) != 0 &&
        s_change(arr, json_pack("{s:s, s:s, s:s}", "change", "name", "old", vl_policy_name(old),
                                "new", vl_policy_name(nw)),
                 "~ network name \"%s\" -> \"%s\"", vl_policy_name(old),
                 vl_policy_name(nw)) != VL_OK)
        goto out;
    /* Keys gone: rotated (a new key with the same name and roles) or removed. */
    for (size_t i = 0; i < om.n; i++) {
        const s_mem_t *o = &om.v[i];
        if (s_mem_find(&nm, o->pk))
            continue;
        const char *name = vl_policy_member_name(old, o->pk);
        s_roles_text(oj, o->pk, o->roles, roles, sizeof roles);
        vl_kid(o->pk, kid);
        vl_hex(o->pk, VL_PK_LEN, hex);
        size_t j = 0;
        for (; j < nm.n; j++) {
            const s_mem_t *a = &nm.v[j];
            if (paired[j] || s_mem_find(&om, a->pk) || a->roles != o->roles)
                continue;
            const char *aname = vl_policy_member_name(nw, a->pk);
            s_roles_text(nj, a->pk, a->roles, roles2, sizeof roles2);
            if (name && aname && strcmp(name, aname) == 0 && strcmp(roles, roles2) == 0)
                break;
        }
        if (j < nm.n) {
            paired[j] = true;
            vl_kid(nm.v[j].pk, kid2);
            vl_hex(nm.v[j].pk, VL_PK_LEN, hex2);
            if (s_change(arr,
                         json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "change", "rotated",
                                   "name", name, "roles", roles, "old_kid", kid, "new_kid",
                                   kid2, "old_key", hex, "new_key", hex2),
                         "~ %s %s: key %s -> %s (rotated)", roles, name, kid,
                         kid2) != VL_OK)
                goto out;
        } else if (s_change(arr,
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "change", "removed", "name",
                                      name ? name : "?", "roles", roles, "kid", kid, "key", hex),
                            "- %s %s (%s) (revoked)", roles, name ? name : "?",
                            kid) != VL_OK) {
            goto out;
        }
    }
    /* Keys new (not paired with a gone one), and keys whose roles changed. */
    for (size_t j = 0; j < nm.n; j++) {
        const s_mem_t *a = &nm.v[j];
        const s_mem_t *o = s_mem_find(&om, a->pk);
        const char *name = vl_policy_member_name(nw, a->pk);
        vl_kid(a->pk, kid);
        vl_hex(a->pk, VL_PK_LEN, hex);
        s_roles_text(nj, a->pk, a->roles, roles2, sizeof roles2);
        if (!o) {
            if (!paired[j] &&
                s_change(arr,
                         json_pack("{s:s, s:s, s:s, s:s, s:s}", "change", "added", "name",
                                   name ? name : "?", "roles", roles2, "kid", kid, "key", hex),
                         "+ %s %s (%s)", roles2, name ? name : "?", kid) != VL_OK)
                goto out;
            continue;
        }
        s_roles_text(oj, o->pk, o->roles, roles, sizeof roles);
        if (strcmp(roles, roles2) != 0 &&
            s_change(arr,
                     json_pack("{s:s, s:s, s:s, s:s, s:s}", "change", "roles", "name",
                               name ? name : "?", "kid", kid, "old_roles", roles, "new_roles",
                               roles2),
                     "~ %s (%s): %s -> %s", name ? name : "?", kid, roles, roles2) != VL_OK)
            goto out;
    }
    if (vl_policy_threshold(old) != vl_policy_threshold(nw) &&
        s_change(arr,
                 json_pack("{s:s, s:I, s:I}", "change", "threshold", "old",
                           (json_int_t)vl_policy_threshold(old), "new",
                           (json_int_t)vl_policy_threshold(nw)),
                 "~ threshold %u -> %u", vl_policy_threshold(old),
                 vl_policy_threshold(nw)) != VL_OK)
        goto out;
    const uint8_t *of = vl_policy_fresh(old), *nf = vl_policy_fresh(nw);
    if ((of == NULL) != (nf == NULL) || (of && memcmp(of, nf, VL_PK_LEN) != 0)) {
        char ow[VL_MAX_NAME + 40], nw_[VL_MAX_NAME + 40];
        s_who(old, of, ow, sizeof ow);
        s_who(nw, nf, nw_, sizeof nw_);
        if (s_change(arr,
                     json_pack("{s:s, s:o, s:o}", "change", "fresh_node", "old",
                               of ? json_string(ow) : json_null(), "new",
                               nf ? json_string(nw_) : json_null()),
                     "~ fresh node %s -> %s", ow, nw_) != VL_OK)
            goto out;
    }
    if (vl_policy_epoch(old) != vl_policy_epoch(nw) &&
        s_change(arr,
                 json_pack("{s:s, s:I, s:I}", "change", "epoch", "old",
                           (json_int_t)vl_policy_epoch(old), "new",
                           (json_int_t)vl_policy_epoch(nw)),
                 "+ content-key epoch %u (a new content key, sealed only to the members of "
                 "version %llu)",
                 vl_policy_epoch(nw), (unsigned long long)vl_policy_version(nw)) != VL_OK)
        goto out;
    rc = VL_OK;
out:
    free(paired);
    free(om.v);
    free(nm.v);
    json_decref(oj);
    json_decref(nj);
    if (rc != VL_OK) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* {"version", "hash", ..., "changes"} of p (prev: its predecessor, or NULL). */
static json_t *
s_version_json(const vl_policy_t *p, const vl_policy_t *prev)
{
    char hash[2 * VL_HASH_LEN + 1], prevh[2 * VL_HASH_LEN + 1], after[2 * VL_HASH_LEN + 1];
    char when[32], fresh[VL_MAX_NAME + 40];
    json_t *pj = vl_policy_to_json(p);
    json_t *changes = prev ? s_diff(prev, p) : json_array();
    json_t *o = NULL;
    if (!pj || !changes)
        goto out;
    vl_hex(vl_policy_hash(p), VL_HASH_LEN, hash);
    vl_hex(vl_policy_prev(p), VL_HASH_LEN, prevh);
    vl_hex(vl_policy_after(p), VL_HASH_LEN, after);
    vl_cli_time(vl_policy_time(p), when);
    const uint8_t *f = vl_policy_fresh(p);
    s_who(p, f, fresh, sizeof fresh);
    o = json_pack("{s:I, s:s, s:o, s:I, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:O}",
                  "version", (json_int_t)vl_policy_version(p), "hash", hash, "prev",
                  prev ? json_string(prevh) : json_null(), "from",
                  (json_int_t)vl_policy_from(p), "after",
                  prev ? json_string(after) : json_null(), "time", when, "threshold",
                  (json_int_t)vl_policy_threshold(p), "approvers",
                  (json_int_t)json_array_size(json_object_get(pj, "approvers")), "authorities",
                  (json_int_t)json_array_size(json_object_get(pj, "authorities")), "nodes",
                  (json_int_t)json_array_size(json_object_get(pj, "nodes")), "epoch",
                  (json_int_t)vl_policy_epoch(p), "fresh_node",
                  f ? json_string(fresh) : json_null(), "signatures",
                  (json_int_t)vl_policy_nsigs(p), "changes", changes);
    if (o && json_object_set_new(o, "readers",
                                 json_integer((json_int_t)json_array_size(
                                     json_object_get(pj, "readers")))) != 0)
        json_decref(o), o = NULL;
out:
    json_decref(pj);
    json_decref(changes);
    return o;
}

static void
s_print_version(const json_t *v, const char *title)
{
    long long n;
    printf("%s %lld  hash %.16s  from entry %lld  %s\n", title,
           (long long)json_integer_value(json_object_get(v, "version")),
           json_string_value(json_object_get(v, "hash")),
           (long long)json_integer_value(json_object_get(v, "from")),
           json_string_value(json_object_get(v, "time")));
    printf("  threshold %lld;", (long long)json_integer_value(json_object_get(v, "threshold")));
    n = (long long)json_integer_value(json_object_get(v, "approvers"));
    printf(" %lld approver%s,", n, n == 1 ? "" : "s");
    n = (long long)json_integer_value(json_object_get(v, "authorities"));
    printf(" %lld authorit%s,", n, n == 1 ? "y" : "ies");
    n = (long long)json_integer_value(json_object_get(v, "nodes"));
    printf(" %lld node%s;", n, n == 1 ? "" : "s");
    n = (long long)json_integer_value(json_object_get(v, "readers"));
    if (n > 0)
        printf(" %lld reader%s;", n, n == 1 ? "" : "s");
    printf(" content-key epoch %lld;",
           (long long)json_integer_value(json_object_get(v, "epoch")));
    const json_t *f = json_object_get(v, "fresh_node");
    printf(" fresh node %s;", json_is_string(f) ? vl_cli_esc(json_string_value(f)) : "none");
    n = (long long)json_integer_value(json_object_get(v, "signatures"));
    printf(" %lld signature%s\n", n, n == 1 ? "" : "s");
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(v, "changes"), i, c)
        printf("  %s\n", vl_cli_esc(json_string_value(json_object_get(c, "text"))));
}

/* The version this store holds with exactly these bytes, or 0. */
static uint64_t
s_adopted_version(vl_store_t *st, const uint8_t *buf, size_t len)
{
    uint64_t cur = vl_policy_version(vl_store_policy(st));
    for (uint64_t v = 1; v <= cur; v++) {
        const vl_policy_t *p = vl_store_policy_at(st, v);
        size_t plen = 0;
        const uint8_t *pb = p ? vl_policy_bytes(p, &plen) : NULL;
        if (pb && plen == len && memcmp(pb, buf, len) == 0)
            return v;
    }
    return 0;
}

/* ---- show --------------------------------------------------------------------- */

static int
s_show_chain(vl_cli_t *cli)
{
    const vl_policy_t *cur = vl_store_policy(cli->store);
    uint64_t n = vl_policy_version(cur);
    json_t *arr = json_array();
    if (!arr)
        return vl_cli_fail(cli, VL_ENOMEM, NULL);
    for (uint64_t v = 1; v <= n; v++) {
        const vl_policy_t *p = vl_store_policy_at(cli->store, v);
        const vl_policy_t *prev = v > 1 ? vl_store_policy_at(cli->store, v - 1) : NULL;
        if (!p || (v > 1 && !prev)) {
            json_decref(arr);
            return vl_cli_fail(cli, VL_ECORRUPT, "policy version %llu is missing",
                               (unsigned long long)(p ? v - 1 : v));
        }
        if (json_array_append_new(arr, s_version_json(p, prev)) != 0) {
            json_decref(arr);
            return vl_cli_fail(cli, VL_ENOMEM, NULL);
        }
    }
    if (cli->json) {
        json_t *o = json_pack("{s:I, s:o}", "current", (json_int_t)n, "versions", arr);
        if (vl_cli_print_json(o) != VL_OK)
            return vl_cli_fail(cli, VL_ENOMEM, NULL);
        return VL_EXIT_OK;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) s_print_version(v, i == 0 ? "version (genesis)" : "version");
    char hash[2 * VL_HASH_LEN + 1];
    vl_hex(vl_policy_hash(cur), VL_HASH_LEN, hash);
    printf("current: version %llu (hash %.16s)\n", (unsigned long long)n, hash);
    json_decref(arr);
    return VL_EXIT_OK;
}

static int
s_show_file(vl_cli_t *cli, const char *path)
{
    int ret = VL_EXIT_ERR;
    uint8_t *buf = NULL;
    size_t len = 0;
    vl_policy_t *cand = NULL;
    json_t *cj = NULL;
    int rc = vl_cli_read_file(path, VL_MAX_DOC, &buf, &len, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    const vl_policy_t *cur = vl_store_policy(cli->store);
    rc = vl_policy_parse_next(cur, buf, len, VL_POLICY_ALLOW_UNSIGNED, &cand, cli->err);
    if (rc != VL_OK) {
        uint64_t v = s_adopted_version(cli->store, buf, len);
        if (v) {
            cli->err[0] = '\0';
            const vl_policy_t *p = vl_store_policy_at(cli->store, v);
            cj = s_version_json(p, v > 1 ? vl_store_policy_at(cli->store, v - 1) : NULL);
            if (!cj) {
                vl_cli_fail(cli, VL_ENOMEM, NULL);
                goto out;
            }
            if (cli->json) {
                json_t *o = json_pack("{s:s, s:I, s:O, s:b}", "file", path, "current",
                                      (json_int_t)vl_policy_version(cur), "adopted", cj, "ready",
                                      0);
                vl_cli_print_json(o);
            } else {
                printf("%s is policy version %llu, already adopted by this store\n",
                       vl_cli_esc(path),
                       (unsigned long long)v);
                s_print_version(cj, "version");
            }
            ret = VL_EXIT_OK;
            goto out;
        }
        vl_cli_fail(cli, rc, "%s", path);
        goto out;
    }
    vl_head_t head;
    rc = vl_store_head(cli->store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "head");
        goto out;
    }
    cj = s_version_json(cand, cur);
    if (!cj) {
        vl_cli_fail(cli, VL_ENOMEM, NULL);
        goto out;
    }
    size_t by_self = 0, by_cur = 0;
    vl_policy_sig_counts(cand, cur, &by_self, &by_cur);
    uint32_t need_cur = vl_policy_threshold(cur), need_self = vl_policy_threshold(cand);
    bool sigs_ok = by_cur >= need_cur && by_self >= need_self;
    uint64_t from = vl_policy_from(cand);
    char problem[160] = "";
    if (head.seq >= from)
        snprintf(problem, sizeof problem,
                 "the log already has entry %llu (head %llu): propose again on the new head",
                 (unsigned long long)from, (unsigned long long)head.seq);
    else if (head.seq + 1 == from && memcmp(head.hash, vl_policy_after(cand), VL_HASH_LEN) != 0)
        snprintf(problem, sizeof problem,
                 "it follows another entry %llu than this log's (another history)",
                 (unsigned long long)head.seq);
    bool log_ok = problem[0] == '\0';
    unsigned long long curv = (unsigned long long)vl_policy_version(cur);
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:I, s:O, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:b, s:s}, "
                              "s:b}",
                              "file", path, "current", (json_int_t)curv, "candidate", cj,
                              "signatures", "by_current", (json_int_t)by_cur, "need_current",
                              (json_int_t)need_cur, "by_own", (json_int_t)by_self, "need_own",
                              (json_int_t)need_self, "log", "head", (json_int_t)head.seq, "from",
                              (json_int_t)from, "ok", log_ok, "problem", problem, "ready",
                              sigs_ok && log_ok);
        if (vl_cli_print_json(o) != VL_OK) {
            vl_cli_fail(cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else {
        char hash[2 * VL_HASH_LEN + 1];
        vl_hex(vl_policy_hash(cur), VL_HASH_LEN, hash);
        s_print_version(cj, "candidate version");
        printf("against the current version %llu (hash %.16s)\n", curv, hash);
        printf("signatures: %zu of version %llu's approvers (need %u), %zu of its own (need "
               "%u)%s\n",
               by_cur, curv, need_cur, by_self, need_self,
               sigs_ok ? ": thresholds met" : ": not yet valid");
        if (log_ok)
            printf("log: governs from entry %llu; this store's head is entry %llu\n",
                   (unsigned long long)from, (unsigned long long)head.seq);
        else
            printf("log: cannot be published here: %s\n", vl_cli_esc(problem));
        printf("%s\n", sigs_ok && log_ok ? "ready to publish (valise policy publish FILE)"
                                         : "not ready to publish");
    }
    ret = VL_EXIT_OK;
out:
    json_decref(cj);
    vl_policy_destroy(&cand);
    free(buf);
    return ret;
}

static int
s_show(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "policy show", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 1)
        return vl_cli_usage(&cli, "give at most one candidate FILE");
    ret = VL_EXIT_ERR;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) == VL_OK)
        ret = cli.args.n ? s_show_file(&cli, cli.args.v[0]) : s_show_chain(&cli);
    vl_cli_done(&cli);
    return ret;
}

/* ---- propose ------------------------------------------------------------------ */

typedef struct {
    const char *want;
    uint8_t pk[VL_PK_LEN];
    size_t n;
} s_kid_find_t;

static void
s_kid_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_kid_find_t *k = ctx;
    char kid[2 * VL_KID_LEN + 1];
    vl_kid(pk, kid);
    if (strcmp(kid, k->want) == 0) {
        memcpy(k->pk, pk, VL_PK_LEN);
        k->n++;
    }
}

/* A 16-hex key id, copied lower-case into kid. */
static bool
s_is_kid(const char *s, char kid[2 * VL_KID_LEN + 1])
{
    if (strlen(s) != 2 * VL_KID_LEN)
        return false;
    for (size_t i = 0; i < 2 * VL_KID_LEN; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        kid[i] = c;
    }
    kid[2 * VL_KID_LEN] = '\0';
    return true;
}

/* A key named by a .pub file or, when no such file exists, by the 16-hex key
 * id of a member of pol. Prints the error line itself. */
static int
s_key_arg(vl_cli_t *cli, const vl_policy_t *pol, const char *opt, const char *arg,
          uint8_t pk[VL_PK_LEN])
{
    char kid[2 * VL_KID_LEN + 1];
    if (access(arg, F_OK) == 0 || !s_is_kid(arg, kid))
        return vl_cli_read_pub(cli, arg, pk, NULL);
    s_kid_find_t k = { .want = kid, .n = 0 };
    vl_policy_members_each(pol, s_kid_cb, &k);
    if (k.n != 1) {
        vl_cli_fail(cli, VL_ENOTFOUND, "%s %s: no member of version %llu has this key id", opt,
                    arg, (unsigned long long)vl_policy_version(pol));
        return VL_ENOTFOUND;
    }
    memcpy(pk, k.pk, VL_PK_LEN);
    return VL_OK;
}

static int
s_add(vl_cli_t *cli, vl_policy_builder_t *b, vl_role_t role, const char *opt, const char *path,
      const char *states)
{
    uint8_t pk[VL_PK_LEN];
    char name[VL_MAX_NAME + 1] = "";
    int rc = vl_cli_read_pub(cli, path, pk, name);
    if (rc != VL_OK)
        return rc;
    cli->err[0] = '\0';
    rc = vl_policy_builder_add(b, role, pk, name, states, cli->err);
    if (rc != VL_OK)
        vl_cli_fail(cli, rc, "%s %s", opt, path);
    return rc;
}

/* "signed by 1 of version 2's approvers (need 2), 1 of its own (need 2)". */
static bool
s_sig_line(const vl_policy_t *cand, const vl_policy_t *cur, char *out, size_t cap)
{
    size_t by_self = 0, by_cur = 0;
    vl_policy_sig_counts(cand, cur, &by_self, &by_cur);
    uint32_t need_cur = vl_policy_threshold(cur), need_self = vl_policy_threshold(cand);
    bool ok = by_cur >= need_cur && by_self >= need_self;
    snprintf(out, cap, "%zu of version %llu's approvers (need %u), %zu of its own (need %u)%s",
             by_cur, (unsigned long long)vl_policy_version(cur), need_cur, by_self, need_self,
             ok ? ": thresholds met, ready to publish" : "");
    return ok;
}

static int
s_propose(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "policy propose", s_usage);
    vl_strlist_t rotate = { .n = 0 }, revoke = { .n = 0 }, add_appr = { .n = 0 },
                 add_auth = { .n = 0 }, add_node = { .n = 0 }, add_reader = { .n = 0 };
    const char *threshold = NULL, *fresh = NULL, *outpath = NULL;
    bool new_epoch = false;
    const vl_opt_t opts[] = {
        { "rotate", VL_OPT_MULTI, &rotate },
        { "revoke", VL_OPT_MULTI, &revoke },
        { "add-approver", VL_OPT_MULTI, &add_appr },
        { "add-authority", VL_OPT_MULTI, &add_auth },
        { "add-node", VL_OPT_MULTI, &add_node },
        { "add-reader", VL_OPT_MULTI, &add_reader },
        { "threshold", VL_OPT_ARG, &threshold },
        { "fresh-node", VL_OPT_ARG, &fresh },
        { "new-epoch", VL_OPT_FLAG, &new_epoch },
        { "out", VL_OPT_ARG, &outpath },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!outpath)
        return vl_cli_usage(&cli, "--out FILE is required");
    uint64_t k = 0;
    if (threshold &&
        vl_cli_number(&cli, "threshold", threshold, 1, VL_MAX_APPROVERS, &k) != VL_OK)
        return VL_EXIT_USAGE;
    for (size_t i = 0; i < rotate.n; i++) {
        const char *eq = strchr(rotate.v[i], '=');
        if (!eq || eq == rotate.v[i] || !eq[1])
            return vl_cli_usage(&cli, "--rotate wants OLD=NEW (e.g. old.pub=new.pub), not '%s'",
                                rotate.v[i]);
    }
    for (size_t i = 0; i < add_auth.n; i++) {
        const char *eq = strchr(add_auth.v[i], '=');
        if (!eq || eq == add_auth.v[i] || !eq[1])
            return vl_cli_usage(&cli,
                                "--add-authority wants STATES=PUB (e.g. MU=mu.pub), not '%s'",
                                add_auth.v[i]);
    }

    ret = VL_EXIT_ERR;
    vl_policy_builder_t *b = NULL;
    uint8_t *doc = NULL, *sdoc = NULL;
    size_t len = 0, slen = 0;
    vl_policy_t *cand = NULL;
    json_t *changes = NULL;
    int rc;
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    const vl_policy_t *cur = vl_store_policy(cli.store);
    vl_head_t head;
    rc = vl_store_head(cli.store, &head);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "head");
        goto out;
    }
    if (vl_policy_roles(cur, vl_keypair_pk(cli.kp)) == VL_ROLE_READER) {
        vl_cli_fail(&cli, VL_EPERM, "a reader key may not propose a policy version");
        goto out;
    }
    cli.err[0] = '\0';
    rc = vl_policy_builder_from(cur, cli.kp, &b, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "version %llu", (unsigned long long)vl_policy_version(cur));
        goto out;
    }
    for (size_t i = 0; i < rotate.n; i++) {
        char oldarg[4096];
        const char *eq = strchr(rotate.v[i], '=');
        size_t olen = (size_t)(eq - rotate.v[i]);
        if (olen >= sizeof oldarg) {
            vl_cli_fail(&cli, VL_ELIMIT, "--rotate: OLD is too long");
            goto out;
        }
        memcpy(oldarg, rotate.v[i], olen);
        oldarg[olen] = '\0';
        uint8_t opk[VL_PK_LEN], npk[VL_PK_LEN];
        if (s_key_arg(&cli, cur, "--rotate", oldarg, opk) != VL_OK ||
            vl_cli_read_pub(&cli, eq + 1, npk, NULL) != VL_OK)
            goto out;
        cli.err[0] = '\0';
        rc = vl_policy_builder_rotate(b, opk, npk, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "--rotate %s", rotate.v[i]);
            goto out;
        }
    }
    for (size_t i = 0; i < revoke.n; i++) {
        uint8_t pk[VL_PK_LEN];
        if (s_key_arg(&cli, cur, "--revoke", revoke.v[i], pk) != VL_OK)
            goto out;
        cli.err[0] = '\0';
        rc = vl_policy_builder_remove(b, pk, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "--revoke %s", revoke.v[i]);
            goto out;
        }
    }
    for (size_t i = 0; i < add_appr.n; i++)
        if (s_add(&cli, b, VL_ROLE_APPROVER, "--add-approver", add_appr.v[i], NULL) != VL_OK)
            goto out;
    for (size_t i = 0; i < add_auth.n; i++) {
        const char *spec = add_auth.v[i];
        const char *eq = strchr(spec, '=');
        char states[VL_MAX_STATES * 3 + 1];
        size_t sl = (size_t)(eq - spec);
        if (sl >= sizeof states) {
            vl_cli_fail(&cli, VL_ELIMIT, "--add-authority %s: too many States", spec);
            goto out;
        }
        memcpy(states, spec, sl);
        states[sl] = '\0';
        if (s_add(&cli, b, VL_ROLE_AUTHORITY, "--add-authority", eq + 1, states) != VL_OK)
            goto out;
    }
    for (size_t i = 0; i < add_node.n; i++)
        if (s_add(&cli, b, VL_ROLE_NODE, "--add-node", add_node.v[i], NULL) != VL_OK)
            goto out;
    for (size_t i = 0; i < add_reader.n; i++)
        if (s_add(&cli, b, VL_ROLE_READER, "--add-reader", add_reader.v[i], NULL) != VL_OK)
            goto out;
    if (threshold) {
        cli.err[0] = '\0';
        rc = vl_policy_builder_set(b, vl_policy_name(cur), (uint32_t)k, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "--threshold %llu", (unsigned long long)k);
            goto out;
        }
    }
    if (fresh) {
        uint8_t fpk[VL_PK_LEN];
        bool none = strcmp(fresh, "none") == 0;
        if (!none && s_key_arg(&cli, cur, "--fresh-node", fresh, fpk) != VL_OK)
            goto out;
        rc = vl_policy_builder_set_fresh(b, none ? NULL : fpk);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "--fresh-node %s", fresh);
            goto out;
        }
    }
    cli.err[0] = '\0';
    rc = vl_policy_builder_finish_next(b, cur, head.seq + 1, head.hash, new_epoch, vl_cli_now(),
                                       &doc, &len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "version %llu", (unsigned long long)vl_policy_version(cur) + 1);
        goto out;
    }
    rc = vl_policy_parse_next(cur, doc, len, VL_POLICY_ALLOW_UNSIGNED, &cand, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "the new version does not parse");
        goto out;
    }
    /* The proposer signs when it is an approver (of N or N+1). */
    const uint8_t *me = vl_keypair_pk(cli.kp);
    bool signs = ((vl_policy_roles(cur, me) | vl_policy_roles(cand, me)) & VL_ROLE_APPROVER) != 0;
    if (signs) {
        rc = vl_policy_sign_next(cur, doc, len, cli.kp, &sdoc, &slen, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "signing the new version");
            goto out;
        }
        vl_policy_destroy(&cand);
        rc = vl_policy_parse_next(cur, sdoc, slen, VL_POLICY_ALLOW_UNSIGNED, &cand, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "the signed version does not parse");
            goto out;
        }
    }
    changes = s_diff(cur, cand);
    if (!changes) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    rc = vl_cli_write_file(outpath, signs ? sdoc : doc, signs ? slen : len, true, 0644, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    size_t nchg = json_array_size(changes);
    printf("wrote %s: policy version %llu (from entry %llu), %zu change%s:\n",
           vl_cli_esc(outpath),
           (unsigned long long)vl_policy_version(cand),
           (unsigned long long)vl_policy_from(cand), nchg, nchg == 1 ? "" : "s");
    size_t i;
    const json_t *c;
    json_array_foreach(changes, i, c)
        printf("  %s\n", vl_cli_esc(json_string_value(json_object_get(c, "text"))));
    char who[VL_MAX_NAME + 40], sigs[256];
    vl_cli_member(vl_policy_roles(cur, me) ? cur : cand, me, who, sizeof who);
    bool ready = s_sig_line(cand, cur, sigs, sizeof sigs);
    if (signs)
        printf("signed by %s: %s\n", vl_cli_esc(who), vl_cli_esc(sigs));
    else
        printf("unsigned (%s is not an approver): %s\n", vl_cli_esc(who), vl_cli_esc(sigs));
    if (!ready)
        printf("next: valise policy sign %s --key APPROVER.key, then valise policy publish "
               "%s\n",
               vl_cli_esc(outpath), vl_cli_esc(outpath));
    ret = VL_EXIT_OK;
out:
    json_decref(changes);
    vl_policy_destroy(&cand);
    vl_policy_builder_destroy(&b);
    free(doc);
    free(sdoc);
    vl_cli_done(&cli);
    return ret;
}

/* ---- sign --------------------------------------------------------------------- */

static int
s_sign(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "policy sign", s_usage);
    const char *store_key = NULL, *store_pass = NULL;
    const vl_opt_t opts[] = {
        { "store-key", VL_OPT_ARG, &store_key },
        { "store-pass-file", VL_OPT_ARG, &store_pass },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one policy FILE");
    if (!cli.key_path || !*cli.key_path)
        return vl_cli_usage(&cli, "--key APPROVER.key is required");
    if (store_pass && !store_key)
        return vl_cli_usage(&cli, "--store-pass-file goes with --store-key");
    const char *path = cli.args.v[0];

    ret = VL_EXIT_ERR;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    vl_policy_t *cand = NULL;
    vl_keypair_t *signer = NULL;   /* owned only with --store-key */
    const vl_keypair_t *kp = NULL;
    const char *sign_path = cli.key_path;
    int rc = vl_cli_read_file(path, VL_MAX_DOC, &in, &in_len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto done;
    }
    if (store_key) {
        /* Two keys, usually two passphrases: the store key's may come from its
         * own file, the signer's from --key's sources. */
        const char *sign_pass = cli.pass_file;
        cli.key_path = store_key;
        if (store_pass)
            cli.pass_file = store_pass;
        rc = vl_cli_open_store(&cli, VL_STORE_RDONLY);
        cli.pass_file = sign_pass;
        if (rc != VL_OK)
            goto done;
        if (vl_cli_load_keyfile(&cli, sign_path, &signer) != VL_OK)
            goto done;
        kp = signer;
    } else {
        if (vl_cli_load_key(&cli) != VL_OK)
            goto done;
        cli.err[0] = '\0';
        rc = vl_store_open(cli.store_dir, cli.kp, VL_STORE_RDONLY, &cli.store, cli.err);
        if (rc == VL_EPERM) {
            cli.err[0] = '\0';
            vl_cli_fail(&cli, rc,
                        "store %s: key %s is not a member of the current policy version (a "
                        "new approver signs with --store-key MEMBER.key)",
                        cli.store_dir, cli.key_path);
            goto done;
        }
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "store %s", cli.store_dir);
            goto done;
        }
        kp = cli.kp;
    }
    const vl_policy_t *cur = vl_store_policy(cli.store);
    cli.err[0] = '\0';
    rc = vl_policy_sign_next(cur, in, in_len, kp, &out, &out_len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto done;
    }
    rc = vl_policy_parse_next(cur, out, out_len, VL_POLICY_ALLOW_UNSIGNED, &cand, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", path);
        goto done;
    }
    rc = vl_cli_write_file(path, out, out_len, false, 0644, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto done;
    }
    char who[VL_MAX_NAME + 40], sigs[256];
    const uint8_t *me = vl_keypair_pk(kp);
    vl_cli_member(vl_policy_roles(cand, me) ? cand : cur, me, who, sizeof who);
    s_sig_line(cand, cur, sigs, sizeof sigs);
    printf("signed %s (policy version %llu) as %s: %s\n", vl_cli_esc(path),
           (unsigned long long)vl_policy_version(cand), vl_cli_esc(who), vl_cli_esc(sigs));
    ret = VL_EXIT_OK;
done:
    vl_policy_destroy(&cand);
    vl_keypair_destroy(&signer);
    free(in);
    free(out);
    vl_cli_done(&cli);
    return ret;
}

/* ---- publish ------------------------------------------------------------------ */

typedef struct {
    uint64_t version;
    size_t n;
} s_lapsed_t;

/* One pending proposal that lapsed when version l->version was adopted. */
static int
s_lapsed_each(void *ctx, const vl_outcome_t *o)
{
    s_lapsed_t *l = ctx;
    if (o->version != l->version)
        return VL_OK;
    char hex[2 * VL_HASH_LEN + 1];
    const char *name = o->author ? vl_policy_member_name(o->pol, o->author) : NULL;
    vl_hex(o->id, VL_HASH_LEN, hex);
    printf("proposal %.16s by %s %s; its author can make it again: valise propose --again %.16s\n",
           hex, vl_cli_esc(name ? name : "unknown"), vl_cli_esc(o->problem), hex);
    l->n++;
    return VL_OK;
}

/* Adopt the FILE as the next version (vl_store_policy_adopt checks it
 * against the current version and the log, docs/trust.md §1.4), then name
 * every pending proposal it made lapse. */
static int
s_publish_one(vl_cli_t *cli, const char *path, const uint8_t *buf, size_t len)
{
    uint64_t before = vl_policy_version(vl_store_policy(cli->store));
    size_t run_rows = 0, run_sigs = 0;
    bool had_run = vl_store_run_held(cli->store, &run_rows, &run_sigs) == VL_OK;
    int rc = vl_store_policy_adopt(cli->store, buf, len, cli->err);
    if (rc == VL_EEXIST) {
        uint64_t v = s_adopted_version(cli->store, buf, len);
        cli->err[0] = '\0';
        if (v)
            return vl_cli_fail(cli, rc, "%s is policy version %llu, already adopted: nothing "
                                        "to do",
                               path, (unsigned long long)v);
        return vl_cli_fail(cli, rc, "%s is already adopted: nothing to do", path);
    }
    if (rc == VL_ESTALE) {
        /* vl_strerror says "needs rebase", which is the proposal meaning. */
        vl_cli_failx(cli, "refused: rollback or fork: %s%s%s", path, cli->err[0] ? ": " : "",
                     cli->err[0] ? cli->err : "an older version, or another document for a "
                                              "version this store already has");
        return VL_EXIT_ERR;
    }
    if (rc != VL_OK)
        return vl_cli_fail(cli, rc, "%s (this store is at policy version %llu)", path,
                           (unsigned long long)before);
    const vl_policy_t *pol = vl_store_policy(cli->store);
    printf("policy version %llu adopted (from entry %llu)\n",
           (unsigned long long)vl_policy_version(pol), (unsigned long long)vl_policy_from(pol));
    const vl_policy_t *old = vl_store_policy_at(cli->store, before);
    if (old && vl_policy_epoch(pol) != vl_policy_epoch(old))
        printf("content-key epoch %u: changes from now on are sealed to the members of version "
               "%llu only\n",
               vl_policy_epoch(pol), (unsigned long long)vl_policy_version(pol));
    /* The adoption drops the pending run (docs/store.md §3.2.1). */
    if (had_run)
        printf("the pending run of %zu proposal%s (%zu approval%s) was dropped: it was signed "
               "under version %llu; approve --all again\n",
               run_rows, run_rows == 1 ? "" : "s", run_sigs, run_sigs == 1 ? "" : "s",
               (unsigned long long)before);
    s_lapsed_t l = { vl_policy_version(pol), 0 };
    rc = vl_store_outcomes(cli->store, NULL, VL_OUTCOME_BIT(VL_OUTCOME_LAPSED), 0, s_lapsed_each,
                           &l);
    if (rc != VL_OK)
        return vl_cli_fail(cli, rc, "adopted, but listing the proposals it made lapse");
    if (l.n)
        printf("%zu pending proposal%s lapsed (valise proposals --state lapsed)\n", l.n,
               l.n == 1 ? "" : "s");
    return VL_EXIT_OK;
}

static int
s_publish(int argc, char **argv)
{
    return vl_cli_import("policy publish", s_usage, "policy", VL_MAX_DOC, s_publish_one, argc,
                         argv);
}

int
cmd_policy(int argc, char **argv)
{
    static const vl_cli_action_t actions[] = {
        { "show", s_show },
        { "propose", s_propose },
        { "sign", s_sign },
        { "publish", s_publish },
        { NULL, NULL },
    };
    return vl_cli_dispatch("policy", actions, s_usage, argc, argv);
}
