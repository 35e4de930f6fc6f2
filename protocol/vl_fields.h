/* SPDX-License-Identifier: MIT */
/*
 * vl_fields - typed field reads from a decoded map, with the field named in
 * the error. Built on vl_codec's accessors; used by every format decoder so
 * that "which field was wrong" is reported the same way everywhere.
 *
 * Every function returns VL_OK or VL_EPROTO ("<what>.<key>: <problem>").
 */
#ifndef VL_FIELDS_H
#define VL_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "vl_codec.h"

int vl_field_uint(vl_val_t map, const char *key, uint64_t *out, const char *what, char *err);
int vl_field_bool(vl_val_t map, const char *key, bool *out, const char *what, char *err);
/** @brief A bin of exactly len bytes, copied into out. */
int vl_field_bin_exact(vl_val_t map, const char *key, void *out, size_t len,
                       const char *what, char *err);
/** @brief A bin of 1..max bytes (0..max if max_empty), borrowed. */
int vl_field_bin(vl_val_t map, const char *key, const uint8_t **p, size_t *len,
                 size_t max, const char *what, char *err);
/** @brief A str of 1..cap-1 bytes copied and NUL-terminated into buf[cap]. */
int vl_field_str(vl_val_t map, const char *key, char *buf, size_t cap,
                 const char *what, char *err);
/** @brief The str value must equal `want`. */
int vl_field_streq(vl_val_t map, const char *key, const char *want,
                   const char *what, char *err);
/** @brief An array of at most max elements (min..max). */
int vl_field_array(vl_val_t map, const char *key, vl_val_t *out, uint32_t min,
                   uint32_t max, const char *what, char *err);

#endif
