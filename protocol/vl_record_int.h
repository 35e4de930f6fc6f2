/* SPDX-License-Identifier: MIT */
/*
 * vl_record_int - what vl_record.c (the record class, JSON <-> body, terms,
 * diff) and vl_record_schema.c (the two-pass checker) share, and what the
 * self-test (tests/protocol/test_record.c) reaches below the public API.
 * Not part of the protocol API.
 */
#ifndef VL_RECORD_INT_H
#define VL_RECORD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vl_codec.h"
#include "vl_record.h"

/** One member of a JSON object: key and value borrowed from the object. */
typedef struct {
    const char *key;
    size_t klen;
    json_t *val;
} vl_rec_member_t;

#define VL_REC_PATH_MAX 160

/** Where a check or a diff is: the path of the current value and the
 *  caller's message buffer. */
typedef struct {
    char path[VL_REC_PATH_MAX];  /**< "persons[1].emails[0]", NUL-terminated */
    size_t len;                  /**< strlen(path) */
    char *err;                   /**< caller's VL_ERRMSG_MAX buffer or NULL */
} vl_rec_ctx_t;

/** Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool vl_record_utf8_valid(const char *s, size_t len);
/** "YYYY-MM-DD", a real Gregorian calendar date, year 0001-9999. */
bool vl_record_date_valid(const char *s, size_t len);
/** Bytewise order, a shorter prefix first: the body's map key order. */
int vl_record_keycmp(const char *a, size_t alen, const char *b, size_t blen);
/** Members of obj sorted by key into a new array (caller frees; NULL when
 *  the object is empty). @return VL_OK, VL_ENOMEM. */
int vl_record_members(const json_t *obj, vl_rec_member_t **out, size_t *n);
/** Copy at most max bytes of s into out (cap bytes), printable ASCII kept
 *  and anything else (and quotes, backslashes) shown as \xNN. */
void vl_record_sanitize(char *out, size_t cap, const char *s, size_t n, size_t max);
/** Append ".key" / "[i]" to the path; @return the length to pop back to. */
size_t vl_record_path_key(vl_rec_ctx_t *c, const char *key, size_t klen);
size_t vl_record_path_index(vl_rec_ctx_t *c, size_t i);
void vl_record_path_pop(vl_rec_ctx_t *c, size_t old);
/** Record "<path>: <message>" (path "record" at the top) in c->err.
 *  @return VL_ESCHEMA. */
int vl_record_fail(vl_rec_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Both checking passes over a whole record (vl_record_schema.c). On
 *  success *kind_out is its kind. @return VL_OK, VL_ESCHEMA, VL_ENOMEM. */
int vl_record_validate(const json_t *j, char *err, vl_kind_t *kind_out);

/** Canonical msgpack of a JSON value: objects become maps in canonical key
 *  order; null encodes as nil (so that the self-test can build hostile
 *  bodies). @return VL_OK, VL_ELIMIT (deeper than VL_MAX_DEPTH), VL_EPROTO. */
int vl_record_encode(vl_wr_t *w, const json_t *v, unsigned depth);
/** Encode j into a new body (caller frees). */
int vl_record_encode_body(const json_t *j, uint8_t **body, size_t *len, char *err);

#endif
