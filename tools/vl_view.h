/* SPDX-License-Identifier: MIT */
/*
 * vl_view - the JSON shapes a reader of the directory sees, built once for
 * every way of seeing it: the CLI's --json (find, get, export), the web
 * view's JSON twins (valise serve) and the printed edition (valise edition)
 * all call these, so a shape is the same wherever it appears (docs/cli.md,
 * docs/web.md).
 *
 * Shapes:
 *   identity  {"name": the name the policy in force at that point gave the
 *             key, or "unknown", "kid": 16 hex digits}
 *   summary   {"id", "kind", "revision", "states": [codes], "name": the
 *             record's title (English, else its first language), "record"}
 *   record    summary + {"updated": {"seq", "time" (ISO 8601 UTC), "entry"
 *             (the entry's hash, hex), "proposal" (hex), "author" identity,
 *             "approvers": [identity]}}
 *   head      {"network", "network_id", "policy_version", "head": {"seq",
 *             "hash", "root"}, "records", "pending"}
 *   compendium {"platform", "members": [codes], "agreements": [summary]};
 *             the list of compendiums: [{"platform", "members", "count"}]
 *
 * Every string in these shapes came from the store or a policy: whoever
 * prints them escapes them (vl_cli_fputs, vl_html_esc).
 */
#ifndef VL_VIEW_H
#define VL_VIEW_H

#include <jansson.h>

#include "vl_crypto.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_store.h"

/** @brief The identity shape of key pk as policy pol names it. New reference. */
json_t *vl_view_identity(const vl_policy_t *pol, const uint8_t pk[VL_PK_LEN]);

/** @brief The summary shape of a record at revision rev. New reference or NULL. */
json_t *vl_view_summary(const vl_record_t *rec, uint64_t rev);

/** @brief Every current record matching q, as an array of summaries, in id order.
 *  @return VL_OK, or the errors of vl_store_find (VL_EINVAL: a bad query). */
int vl_view_find(vl_store_t *st, const vl_query_t *q, json_t **out, char *err);

/** @brief The record shape of current record id, with the entry that wrote its
 *  current revision. That entry must exist and its proposal's op must put
 *  this record, or the store is damaged (VL_ECORRUPT naming the record).
 *  @return VL_OK, VL_EINVAL (not an id), VL_ENOTFOUND ("no record ID"),
 *          VL_ECORRUPT, VL_ESTORE, VL_ENOMEM. */
int vl_view_record(vl_store_t *st, const char *id, json_t **out, char *err);

/** @brief The head shape of the store. @return VL_OK, VL_ESTORE, VL_ENOMEM. */
int vl_view_head(vl_store_t *st, json_t **out, char *err);

/** @brief The compendium of `platform` (an agreement's "platform" value, as
 *  written: "IOC", "SAHEL", "REFCO"): its agreements and the States party to
 *  them. A platform no agreement names is VL_ENOTFOUND ("no compendium X").
 *  platform NULL: the list of compendiums, by platform name. */
int vl_view_compendium(vl_store_t *st, const char *platform, json_t **out, char *err);

/** @brief The title of a record's JSON view: its "name" (authority) or "title"
 *  (agreement) in `lang` ("fr"), else English, else its first language; "" if
 *  none. Borrowed from j. */
const char *vl_view_title(const json_t *record, const char *lang);

#endif
