/* SPDX-License-Identifier: MIT */
/* vl_fields - typed field reads with the field named in the error. */
#include "vl_fields.h"

#include <string.h>

int
vl_field_uint(vl_val_t map, const char *key, uint64_t *out, const char *what, char *err)
{
    if (vl_val_uint(vl_val_get(map, key), out) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not an unsigned integer", what, key);
    return VL_OK;
}

int
vl_field_bool(vl_val_t map, const char *key, bool *out, const char *what, char *err)
{
    if (vl_val_bool(vl_val_get(map, key), out) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not a boolean", what, key);
    return VL_OK;
}

int
vl_field_bin_exact(vl_val_t map, const char *key, void *out, size_t len, const char *what,
                   char *err)
{
    if (vl_val_bin_exact(vl_val_get(map, key), out, len) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not %zu bytes", what, key, len);
    return VL_OK;
}

int
vl_field_bin(vl_val_t map, const char *key, const uint8_t **p, size_t *len, size_t max,
             const char *what, char *err)
{
    if (vl_val_bin(vl_val_get(map, key), p, len) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not bytes", what, key);
    if (*len == 0 || *len > max)
        return vl_err(err, VL_EPROTO, "%s.%s: %zu bytes, want 1..%zu", what, key, *len, max);
    return VL_OK;
}

int
vl_field_str(vl_val_t map, const char *key, char *buf, size_t cap, const char *what,
             char *err)
{
    const char *p;
    size_t len;
    if (vl_val_str(vl_val_get(map, key), &p, &len) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not a string", what, key);
    if (len == 0 || len >= cap)
        return vl_err(err, VL_EPROTO, "%s.%s: length %zu, want 1..%zu", what, key, len,
                      cap - 1);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return VL_OK;
}

int
vl_field_streq(vl_val_t map, const char *key, const char *want, const char *what, char *err)
{
    if (!vl_val_streq(vl_val_get(map, key), want))
        return vl_err(err, VL_EPROTO, "%s.%s: must be \"%s\"", what, key, want);
    return VL_OK;
}

int
vl_field_array(vl_val_t map, const char *key, vl_val_t *out, uint32_t min, uint32_t max,
               const char *what, char *err)
{
    *out = vl_val_get(map, key);
    if (vl_val_type(*out) != VL_T_ARRAY)
        return vl_err(err, VL_EPROTO, "%s.%s: missing or not an array", what, key);
    uint32_t n = vl_val_len(*out);
    if (n < min || n > max)
        return vl_err(err, VL_EPROTO, "%s.%s: %u elements, want %u..%u", what, key, n, min,
                      max);
    return VL_OK;
}
