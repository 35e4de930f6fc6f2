/* SPDX-License-Identifier: MIT */
/*
 * vl_codec - canonical msgpack: the only code in valise that touches msgpack-c.
 *
 * Writer (vl_wr_t): packs values in the shortest form msgpack-c produces.
 * Map keys are text and the *caller* packs them in strictly increasing
 * bytewise order (shorter prefix first); the reader enforces it, so a writer
 * bug shows up as VL_EPROTO in the self-tests, never as a silently different
 * hash. Errors are sticky: pack everything, then check vl_wr_status().
 *
 * Reader (vl_doc_t): vl_doc_parse() copies the input and accepts it only if
 *   1. it is at most VL_MAX_DOC bytes;
 *   2. an allocation-free pre-validator finds exactly one object, depth at
 *      most the given limit, every str/bin length within the remaining bytes,
 *      every array/map count at most VL_MAX_CONTAINER and at most the
 *      remaining bytes (so msgpack-c allocates O(input));
 *   3. msgpack-c unpacks it with nothing left over;
 *   4. it uses only nil, bool, int, str, bin, array and map (no float, no
 *      ext); map keys are str, strictly increasing; str is valid UTF-8 with no
 *      NUL and at most VL_MAX_STR bytes;
 *   5. re-encoding it gives the same bytes (canonical: shortest forms).
 * Values (vl_val_t) are borrowed views into the document, valid until it is
 * destroyed. Accessors never crash on a wrong type: they return VL_EPROTO
 * (or a NONE value for lookups), so schema code can check as it reads.
 *
 * Thread safety: objects are not shared; distinct objects may be used from
 * distinct threads.
 */
#ifndef VL_CODEC_H
#define VL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"
#include "vl_limits.h"

/* ======================================================================== */
/* Writer                                                                   */
/* ======================================================================== */

typedef struct vl_wr vl_wr_t;

/** @brief New empty writer. @return NULL on out of memory. Caller destroys. */
vl_wr_t *vl_wr_new(void);
/** @brief Destroy a writer (wiping its buffer) and set *self_p to NULL. NULL-safe. */
void vl_wr_destroy(vl_wr_t **self_p);
/** @brief Empty the writer (wiping the bytes) and clear its sticky error. */
void vl_wr_reset(vl_wr_t *self);

void vl_wr_map(vl_wr_t *self, uint32_t n);            /**< map header, n pairs follow */
void vl_wr_array(vl_wr_t *self, uint32_t n);          /**< array header */
void vl_wr_str(vl_wr_t *self, const char *s, size_t len);
void vl_wr_cstr(vl_wr_t *self, const char *s);        /**< str from a C string (map keys) */
void vl_wr_bin(vl_wr_t *self, const void *p, size_t len);
void vl_wr_uint(vl_wr_t *self, uint64_t v);
void vl_wr_int(vl_wr_t *self, int64_t v);              /**< non-negative values pack as uint */
void vl_wr_bool(vl_wr_t *self, bool v);
void vl_wr_nil(vl_wr_t *self);
/** @brief Append bytes that already are one canonical encoded value. */
void vl_wr_raw(vl_wr_t *self, const void *p, size_t len);

/** @brief VL_OK, or the first error (VL_ENOMEM, VL_ELIMIT past VL_MAX_DOC). */
int vl_wr_status(const vl_wr_t *self);
/** @brief Encoded bytes so far; borrowed, valid until the next call on self. */
const uint8_t *vl_wr_data(const vl_wr_t *self);
size_t vl_wr_len(const vl_wr_t *self);
/** @brief Copy the bytes out into a new malloc'd buffer the caller frees.
 *  @return VL_OK, VL_ENOMEM, or the sticky error. */
int vl_wr_dup(const vl_wr_t *self, uint8_t **out, size_t *out_len);

/* ======================================================================== */
/* Reader                                                                   */
/* ======================================================================== */

typedef struct vl_doc vl_doc_t;

typedef enum {
    VL_T_NONE = 0, /**< absent (failed lookup) */
    VL_T_NIL, VL_T_BOOL, VL_T_UINT, VL_T_INT /* negative only */,
    VL_T_STR, VL_T_BIN, VL_T_ARRAY, VL_T_MAP
} vl_type_t;

/** A borrowed view of one value inside a vl_doc_t. Plain data: copy freely. */
typedef struct { const void *o; } vl_val_t;

/** @brief Decode and validate one canonical document (see file comment).
 *  @param[in] buf,len  Input; copied, so the caller may free it afterwards.
 *  @param[in] max_depth  Nesting limit, at most VL_MAX_DEPTH (0 = VL_MAX_DEPTH).
 *  @param[out] out  New document the caller destroys; NULL on failure.
 *  @param[out] err  Optional VL_ERRMSG_MAX detail buffer.
 *  @return VL_OK, VL_ELIMIT (too large, deep or many), VL_EPROTO (malformed,
 *          truncated, trailing bytes, forbidden type, non-canonical), VL_ENOMEM. */
int vl_doc_parse(const uint8_t *buf, size_t len, unsigned max_depth,
                 vl_doc_t **out, char *err);
/** @brief Destroy a document and set *self_p to NULL. NULL-safe. */
void vl_doc_destroy(vl_doc_t **self_p);
/** @brief The top-level value. */
vl_val_t vl_doc_root(const vl_doc_t *self);
/** @brief The document's bytes (the copy), borrowed. */
const uint8_t *vl_doc_bytes(const vl_doc_t *self, size_t *len);

/** @brief Steps 1-2 only (no allocation at all); exposed for fuzzing and for
 *  callers that only need to bound an input. @return VL_OK, VL_ELIMIT, VL_EPROTO. */
int vl_codec_prevalidate(const uint8_t *buf, size_t len, unsigned max_depth);

vl_type_t vl_val_type(vl_val_t v);
static inline bool vl_val_none(vl_val_t v) { return v.o == NULL; }
/** @brief Element count of an array or map, byte length of a str or bin; 0 otherwise. */
uint32_t vl_val_len(vl_val_t v);
/** @brief Array element i, or NONE if v is not an array or i is out of range. */
vl_val_t vl_val_at(vl_val_t arr, uint32_t i);
/** @brief Map key / value number i, or NONE. */
vl_val_t vl_val_key_at(vl_val_t map, uint32_t i);
vl_val_t vl_val_value_at(vl_val_t map, uint32_t i);
/** @brief Value under a text key, or NONE if v is not a map or has no such key. */
vl_val_t vl_val_get(vl_val_t map, const char *key);

/* Typed reads: VL_OK or VL_EPROTO on a wrong type or a NONE value. */
int vl_val_uint(vl_val_t v, uint64_t *out);
int vl_val_int(vl_val_t v, int64_t *out);
int vl_val_bool(vl_val_t v, bool *out);
/** @brief Borrowed str bytes (not NUL-terminated), valid while the doc lives. */
int vl_val_str(vl_val_t v, const char **p, size_t *len);
/** @brief Borrowed bin bytes. */
int vl_val_bin(vl_val_t v, const uint8_t **p, size_t *len);
/** @brief Copy a bin of exactly len bytes into out; VL_EPROTO if another size. */
int vl_val_bin_exact(vl_val_t v, void *out, size_t len);
/** @brief Copy a str into a new NUL-terminated malloc'd string (caller frees).
 *  @return VL_OK, VL_EPROTO, VL_ENOMEM. */
int vl_val_strdup(vl_val_t v, char **out);
/** @brief True when v is a str equal to s. */
bool vl_val_streq(vl_val_t v, const char *s);

/** @brief Check that a map has every key of `required` and no key outside
 *  `required` and `optional` (both NULL-terminated lists; optional may be NULL).
 *  @param[in] what  Name used in the detail message ("proposal header").
 *  @return VL_OK or VL_EPROTO with the offending key named in err. */
int vl_val_map_keys(vl_val_t map, const char *const *required,
                    const char *const *optional, const char *what, char *err);

#endif
