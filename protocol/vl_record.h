/* SPDX-License-Identifier: MIT */
/*
 * vl_record - the two record kinds, their schemas, JSON in and out.
 *
 * Users write records as JSON; vl_record_from_json() checks the document
 * against its kind's schema (docs/records.md) and says which field is wrong,
 * then produces the record *body*: the record as canonical msgpack (objects
 * become maps with sorted keys, arrays stay arrays, strings stay str, true and
 * false stay bool, integers stay int; null and non-integer numbers are
 * refused). The body is what proposals encrypt, what the store keeps
 * encrypted at rest and what the state root hashes.
 *
 * vl_record_parse() takes a body back (from a peer, a change set or the
 * store: hostile bytes) through vl_codec and the same schema, and exposes
 * what the other layers need: id, kind, the State codes it belongs to, the
 * index terms, a JSON view, free-text matching and a field-level diff.
 *
 * Thread safety: objects are not shared; no global state.
 */
#ifndef VL_RECORD_H
#define VL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vl_error.h"
#include "vl_limits.h"

typedef enum {
    VL_KIND_NONE = 0,
    VL_KIND_AUTHORITY = 1, /**< a directory entry (competent national authority) */
    VL_KIND_AGREEMENT = 2, /**< a compendium entry (treaty or arrangement) */
} vl_kind_t;

/** @brief "authority" / "agreement" / NULL. */
const char *vl_kind_name(vl_kind_t kind);
/** @brief Parse a kind name; VL_KIND_NONE if unknown. */
vl_kind_t vl_kind_parse(const char *name);

/** @brief True when s is a valid record id: 1..VL_MAX_ID bytes of [A-Za-z0-9._-]. */
bool vl_record_id_valid(const char *s, size_t len);
/** @brief True when s is a State code: two upper-case ASCII letters
 *  (ISO 3166-1 alpha-2, "EU" for the European Union, "VA" for the Holy See). */
bool vl_state_valid(const char *s, size_t len);

/** @brief True when s is a language code as the schema takes it: 2 or 3
 *  lower-case ASCII letters (ISO 639-1 or 639-2: "fr", "fra"). */
bool vl_record_lang_valid(const char *s, size_t len);

/** @brief The values the schema allows (docs/records.md), in the order it
 *  lists them: NULL-terminated static tables. An authority's "functions",
 *  an agreement's "subjects", an authority's "legal_bases". */
const char *const *vl_record_functions(void);
const char *const *vl_record_subjects(void);
const char *const *vl_record_legal_bases(void);

typedef struct vl_record vl_record_t;

/** @brief Validate a JSON record and encode its canonical body.
 *  @param[in]  j    A JSON object with "kind" and "id" (see docs/records.md).
 *  @param[out] body,len  New malloc'd canonical msgpack (caller frees).
 *  @param[out] err  Detail naming the field: "persons[1].emails[0]: must be a string".
 *  @return VL_OK, VL_ESCHEMA (schema violation), VL_ELIMIT (too large), VL_ENOMEM. */
int vl_record_from_json(const json_t *j, uint8_t **body, size_t *len, char *err);

/** @brief Same from JSON text (at most VL_MAX_JSON_FILE bytes).
 *  @return also VL_EPROTO for malformed JSON (err gives line and column). */
int vl_record_from_json_text(const char *text, size_t textlen, uint8_t **body,
                             size_t *len, char *err);

/** @brief Decode and schema-check a body (hostile bytes).
 *  @return VL_OK, VL_EPROTO (not canonical msgpack), VL_ESCHEMA, VL_ELIMIT, VL_ENOMEM. */
int vl_record_parse(const uint8_t *body, size_t len, vl_record_t **out, char *err);
/** @brief Decode a body that was fully validated before it was stored and
 *  whose integrity the caller authenticates (the store's at-rest AEAD binds
 *  it to its id and revision): canonical decode and the id, kind and States
 *  checks only; the JSON view is built on first use. Five times cheaper than
 *  vl_record_parse. Never use it on bytes from a peer, a file or a user, nor
 *  in `verify`, which re-runs the full schema.
 *  @return VL_OK, VL_EPROTO, VL_ESCHEMA, VL_ENOMEM. */
int vl_record_parse_stored(const uint8_t *body, size_t len, vl_record_t **out, char *err);
void vl_record_destroy(vl_record_t **self_p);

const char *vl_record_id(const vl_record_t *self);       /**< borrowed */
vl_kind_t vl_record_kind(const vl_record_t *self);
/** @brief The States the record belongs to: an authority's "state", or an
 *  agreement's "parties", in body order. Borrowed 3-byte NUL-terminated codes. */
size_t vl_record_nstates(const vl_record_t *self);
const char *vl_record_state(const vl_record_t *self, size_t i);
/** @brief The body bytes, borrowed. */
const uint8_t *vl_record_body(const vl_record_t *self, size_t *len);

/** @brief Call cb once per index term, each distinct: "k:authority",
 *  "s:MU", "f:mla", "b:UNTOC-18", "l:fr" (functions, legal bases and working
 *  languages of an authority; kind, parties ("s:"), subjects ("f:") of an
 *  agreement). Terms are at most 80 bytes and contain no NUL.
 *  @return VL_OK or the first non-zero value cb returned. */
int vl_record_terms(const vl_record_t *self,
                    int (*cb)(void *ctx, const char *term), void *ctx);

/** @brief A new JSON object equal to the record (caller json_decref's). */
json_t *vl_record_to_json(const vl_record_t *self);
/** @brief The record's own JSON view, borrowed: valid while the record lives,
 *  never to be changed. NULL on out of memory. */
const json_t *vl_record_json(const vl_record_t *self);

/** @brief Case-insensitive (ASCII) substring search over every string value. */
bool vl_record_match_text(const vl_record_t *self, const char *needle);

/** @brief Field-level differences from old (NULL for a new record) to new
 *  (NULL for a deletion): a JSON array of {"path": "contact.phones[0]",
 *  "old": value-or-absent, "new": value-or-absent}, in path order.
 *  @return new array (caller json_decref's) or NULL on out of memory. */
json_t *vl_record_diff(const vl_record_t *old_rec, const vl_record_t *new_rec);

#endif
