/* SPDX-License-Identifier: MIT */
/*
 * vl_view - the JSON shapes of the directory (contract in vl_view.h).
 */
#include "vl_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_entry.h"
#include "vl_proposal.h"

json_t *
vl_view_identity(const vl_policy_t *pol, const uint8_t pk[VL_PK_LEN])
{
    char kid[2 * VL_KID_LEN + 1];
    const char *name = pol ? vl_policy_member_name(pol, pk) : NULL;
    vl_kid(pk, kid);
    return json_pack("{s:s, s:s}", "name", name ? name : "unknown", "kid", kid);
}

const char *
vl_view_title(const json_t *j, const char *lang)
{
    const json_t *t = json_object_get(j, "name");
    if (!t)
        t = json_object_get(j, "title");
    if (json_is_string(t))
        return json_string_value(t);
    if (!json_is_object(t))
        return "";
    const json_t *v = lang ? json_object_get(t, lang) : NULL;
    if (!json_is_string(v))
        v = json_object_get(t, "en");
    if (json_is_string(v))
        return json_string_value(v);
    void *it = json_object_iter((json_t *)t);
    const json_t *first = it ? json_object_iter_value(it) : NULL;
    return json_is_string(first) ? json_string_value(first) : "";
}

json_t *
vl_view_summary(const vl_record_t *rec, uint64_t rev)
{
    json_t *j = vl_record_to_json(rec);
    json_t *states = json_array();
    if (!j || !states)
        goto fail;
    for (size_t i = 0; i < vl_record_nstates(rec); i++)
        if (json_array_append_new(states, json_string(vl_record_state(rec, i))) != 0)
            goto fail;
    json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:s, s:o}", "id", vl_record_id(rec), "kind",
                          vl_kind_name(vl_record_kind(rec)), "revision", (json_int_t)rev,
                          "states", states, "name", vl_view_title(j, NULL), "record", j);
    return o; /* json_pack stole both on success and on failure */
fail:
    json_decref(j);
    json_decref(states);
    return NULL;
}

typedef struct {
    json_t *arr;
    int rc;
} s_collect_t;

static int
s_collect(void *ctx, const vl_record_t *rec, uint64_t rev)
{
    s_collect_t *c = ctx;
    json_t *o = vl_view_summary(rec, rev);
    if (!o || json_array_append_new(c->arr, o) != 0)
        return c->rc = VL_ENOMEM;
    return 0;
}

int
vl_view_find(vl_store_t *st, const vl_query_t *q, json_t **out, char *err)
{
    s_collect_t c = { json_array(), VL_OK };
    *out = NULL;
    if (!c.arr)
        return vl_err(err, VL_ENOMEM, "find");
    int rc = vl_store_find(st, q, s_collect, &c);
    if (rc == VL_OK && c.rc != VL_OK)
        rc = vl_err(err, c.rc, "find");
    if (rc != VL_OK) {
        json_decref(c.arr);
        return rc;
    }
    *out = c.arr;
    return VL_OK;
}

typedef struct {
    const char *id;
    uint32_t op;
    vl_store_t *st;
    json_t *updated;
    int rc;
} s_origin_t;

static int
s_origin_entry(void *ctx, const vl_entry_t *e)
{
    s_origin_t *o = ctx;
    const vl_proposal_t *p = vl_entry_proposal(e);
    if (o->op >= vl_proposal_nops(p) || vl_proposal_op(p, o->op)->del ||
        strcmp(vl_proposal_op(p, o->op)->id, o->id) != 0)
        return o->rc = VL_ECORRUPT;
    const vl_policy_t *pol = vl_store_policy_for_seq(o->st, vl_entry_seq(e));
    char hash[2 * VL_HASH_LEN + 1], pid[2 * VL_HASH_LEN + 1], when[32];
    vl_hex(vl_entry_hash(e), VL_HASH_LEN, hash);
    vl_hex(vl_proposal_id(p), VL_HASH_LEN, pid);
    vl_cli_time(vl_entry_time(e), when);
    json_t *approvers = json_array();
    for (size_t i = 0; approvers && i < vl_entry_nsigs(e); i++)
        if (json_array_append_new(approvers, vl_view_identity(pol, vl_entry_signer(e, i))) != 0)
            break;
    o->updated = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "seq", (json_int_t)vl_entry_seq(e),
                           "time", when, "entry", hash, "proposal", pid, "author",
                           vl_view_identity(pol, vl_proposal_author(p)), "approvers", approvers);
    if (!o->updated || !approvers || json_array_size(approvers) != vl_entry_nsigs(e))
        return o->rc = VL_ENOMEM;
    return 0;
}

int
vl_view_record(vl_store_t *st, const char *id, json_t **out, char *err)
{
    vl_record_t *rec = NULL;
    vl_rec_origin_t org;
    s_origin_t o = { .id = id, .st = st, .rc = VL_OK };
    json_t *j = NULL;
    *out = NULL;
    int rc = vl_store_get_origin(st, id, &rec, &org, err);
    if (rc == VL_OK && !rec)
        rc = vl_err(err, VL_ENOTFOUND, "no record %s", id);
    if (rc != VL_OK)
        goto out;
    o.op = org.op;
    vl_head_t head;
    if ((rc = vl_store_head(st, &head)) != VL_OK) {
        rc = vl_err(err, rc, "reading the head");
        goto out;
    }
    if (org.seq < 1 || org.seq > head.seq) {
        rc = vl_err(err, VL_ECORRUPT, "record %s: written by entry %llu, beyond the head %llu",
                    id, (unsigned long long)org.seq, (unsigned long long)head.seq);
        goto out;
    }
    rc = vl_store_log_each(st, org.seq, org.seq, s_origin_entry, &o);
    if (rc == VL_OK && o.rc == VL_OK && !o.updated)
        o.rc = VL_ECORRUPT;
    if (rc == VL_OK && o.rc != VL_OK)
        rc = o.rc == VL_ECORRUPT
                 ? vl_err(err, VL_ECORRUPT, "record %s: entry %llu does not write it", id,
                          (unsigned long long)org.seq)
                 : vl_err(err, o.rc, "record %s", id);
    if (rc != VL_OK)
        goto out;
    j = vl_view_summary(rec, org.rev);
    if (!j || json_object_set_new(j, "updated", o.updated) != 0) {
        o.updated = NULL;
        rc = vl_err(err, VL_ENOMEM, "record %s", id);
        goto out;
    }
    o.updated = NULL;
    *out = j;
    j = NULL;
out:
    json_decref(o.updated);
    json_decref(j);
    vl_record_destroy(&rec);
    return rc;
}

int
vl_view_head(vl_store_t *st, json_t **out, char *err)
{
    const vl_policy_t *pol = vl_store_policy(st);
    vl_head_t h;
    *out = NULL;
    int rc = vl_store_head(st, &h);
    if (rc != VL_OK)
        return vl_err(err, rc, "reading the head");
    char net[2 * VL_NETID_LEN + 1], hash[2 * VL_HASH_LEN + 1], root[2 * VL_HASH_LEN + 1];
    vl_hex(vl_policy_net(pol), VL_NETID_LEN, net);
    vl_hex(h.hash, VL_HASH_LEN, hash);
    vl_hex(h.root, VL_HASH_LEN, root);
    *out = json_pack("{s:s, s:s, s:I, s:{s:I, s:s, s:s}, s:I, s:I}", "network",
                     vl_policy_name(pol), "network_id", net, "policy_version",
                     (json_int_t)vl_policy_version(pol), "head", "seq", (json_int_t)h.seq, "hash",
                     hash, "root", root, "records", (json_int_t)h.records, "pending",
                     (json_int_t)h.pending);
    return *out ? VL_OK : vl_err(err, VL_ENOMEM, "head");
}

/* Add the States of summary s (agreement parties) to the set obj. */
static int
s_add_members(json_t *set, const json_t *s)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(s, "states"), i, c)
        if (json_object_set_new(set, json_string_value(c), json_true()) != 0)
            return VL_ENOMEM;
    return VL_OK;
}

/* The sorted array of the keys of set. */
static json_t *
s_sorted_keys(const json_t *set)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)set, k, v)
        json_array_append_new(arr, json_string(k));
    /* jansson keeps insertion order; codes are few: insertion sort */
    size_t n = json_array_size(arr);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(arr, j - 1)),
                                           json_string_value(json_array_get(arr, j))) > 0;
             j--) {
            json_t *a = json_incref(json_array_get(arr, j - 1));
            json_array_set(arr, j - 1, json_array_get(arr, j));
            json_array_set_new(arr, j, a);
        }
    return arr;
}

int
vl_view_compendium(vl_store_t *st, const char *platform, json_t **out, char *err)
{
    vl_query_t q = { .kind = "agreement" };
    json_t *all = NULL, *groups = json_object(), *res = NULL;
    *out = NULL;
    int rc = vl_view_find(st, &q, &all, err);
    if (rc != VL_OK)
        goto out;
    rc = VL_ENOMEM;
    if (!groups)
        goto fail;
    /* groups: platform -> {"members": set, "agreements": [summary]} */
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s) {
        const char *p = json_string_value(json_object_get(json_object_get(s, "record"),
                                                          "platform"));
        if (!p || (platform && strcmp(p, platform) != 0))
            continue;
        json_t *g = json_object_get(groups, p);
        if (!g) {
            g = json_pack("{s:o, s:[]}", "members", json_object(), "agreements");
            if (!g || json_object_set_new(groups, p, g) != 0)
                goto fail;
        }
        if (json_array_append(json_object_get(g, "agreements"), s) != 0 ||
            s_add_members(json_object_get(g, "members"), s) != VL_OK)
            goto fail;
    }
    if (platform) {
        json_t *g = json_object_get(groups, platform);
        if (!g) {
            rc = vl_err(err, VL_ENOTFOUND, "no compendium %s", platform);
            goto out;
        }
        res = json_pack("{s:s, s:o, s:O}", "platform", platform, "members",
                        s_sorted_keys(json_object_get(g, "members")), "agreements",
                        json_object_get(g, "agreements"));
    } else {
        res = json_array();
        json_t *names = s_sorted_keys(groups);
        json_t *n;
        json_array_foreach(names, i, n) {
            json_t *g = json_object_get(groups, json_string_value(n));
            json_array_append_new(res, json_pack("{s:O, s:o, s:I}", "platform", n, "members",
                                                 s_sorted_keys(json_object_get(g, "members")),
                                                 "count",
                                                 (json_int_t)json_array_size(
                                                     json_object_get(g, "agreements"))));
        }
        json_decref(names);
    }
    if (!res)
        goto fail;
    *out = res;
    rc = VL_OK;
    goto out;
fail:
    rc = vl_err(err, VL_ENOMEM, "compendium");
out:
    json_decref(all);
    json_decref(groups);
    return rc;
}
