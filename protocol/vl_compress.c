/* SPDX-License-Identifier: MIT */
/*
 * vl_compress - the checked zstd frame codec (contract in vl_compress.h).
 */
#include "vl_compress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <sodium.h>
#include <zstd.h>

#include "vl_limits.h"

_Static_assert(ZSTD_COMPRESSBOUND(VL_MAX_PAYLOAD) <= VL_MAX_ZFRAME,
               "a version 2 proposal's frame of a maximal payload must fit VL_MAX_ZFRAME");
_Static_assert(ZSTD_COMPRESSBOUND(VL_MAX_RECORD) <= VL_MAX_RECORD_ZFRAME,
               "the frame of a maximal record at rest must fit VL_MAX_RECORD_ZFRAME");

/* The calling thread's contexts, made at its first call and kept: making a
 * context (its tables, its buffers) costs more than compressing one record
 * (ZSTD_createDCtx alone was 8 % of a chain apply, docs/performance.md).
 * A key destructor frees them when the thread exits; the main thread's live
 * until the process ends. */
typedef struct {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
} s_ctx_t;

static _Thread_local s_ctx_t s_tls;
static pthread_key_t s_key;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static bool s_key_ok;

static void
s_release(void *unused)
{
    (void)unused;
    ZSTD_freeCCtx(s_tls.c);
    ZSTD_freeDCtx(s_tls.d);
    s_tls.c = NULL;
    s_tls.d = NULL;
}

static void
s_key_make(void)
{
    s_key_ok = pthread_key_create(&s_key, s_release) == 0;
}

/* Register the thread's contexts for release at its exit. False when that
 * cannot be done (no key left): the caller then makes a context per call. */
static bool
s_keep(void)
{
    pthread_once(&s_once, s_key_make);
    return s_key_ok && pthread_setspecific(s_key, &s_tls) == 0;
}

/* A compression context: the thread's (*own false) or, failing that, a new
 * one the caller frees (*own true). NULL when out of memory. */
static ZSTD_CCtx *
s_cctx(bool *own)
{
    *own = false;
    if (s_tls.c) {
        ZSTD_CCtx_reset(s_tls.c, ZSTD_reset_session_and_parameters);
        return s_tls.c;
    }
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (c && s_keep())
        s_tls.c = c;
    else
        *own = c != NULL;
    return c;
}

static ZSTD_DCtx *
s_dctx(bool *own)
{
    *own = false;
    if (s_tls.d) {
        ZSTD_DCtx_reset(s_tls.d, ZSTD_reset_session_and_parameters);
        return s_tls.d;
    }
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d && s_keep())
        s_tls.d = d;
    else
        *own = d != NULL;
    return d;
}

void
vl_zstd_free(uint8_t **p, size_t len)
{
    if (p && *p) {
        sodium_memzero(*p, len);
        free(*p);
        *p = NULL;
    }
}

int
vl_zstd_compress(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    int rc = VL_ENOMEM;
    ZSTD_CCtx *cctx = NULL;
    bool own = false;
    size_t cap = ZSTD_compressBound(len), n = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    if (ZSTD_isError(cap) || !(buf = malloc(cap ? cap : 1)) || !(cctx = s_cctx(&own)))
        goto out;
    rc = VL_EINVAL;
    /* The content size is declared by default for a one-shot compression;
     * set it anyway, with no checksum (the AEAD authenticates the frame) and
     * no dictionary id (there is no dictionary). */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, VL_ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0)))
        goto out;
    n = ZSTD_compress2(cctx, buf, cap ? cap : 1, in, len);
    if (ZSTD_isError(n))
        goto out;
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = VL_OK;
out:
    vl_zstd_free(&buf, cap);
    if (own)
        ZSTD_freeCCtx(cctx);
    return rc;
}

int
vl_zstd_decompress(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
                   char *err)
{
    int rc = VL_EPROTO;
    ZSTD_DCtx *dctx = NULL;
    bool own = false;
    uint8_t *buf = NULL;
    size_t size = 0;
    *out = NULL;
    *out_len = 0;
    /* 0. No larger than what the limit can compress to at worst. */
    if (len > ZSTD_compressBound(max)) {
        rc = vl_err(err, VL_ELIMIT, "compressed payload: frame of %zu bytes, limit %zu", len,
                    ZSTD_compressBound(max));
        goto out;
    }
    /* 1. A zstd frame: the magic number, little-endian. */
    if (len < 4 || ((uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                    (uint32_t)in[3] << 24) != ZSTD_MAGICNUMBER) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: not a zstd frame");
        goto out;
    }
    /* 2. The header declares the content size. */
    unsigned long long declared = ZSTD_getFrameContentSize(in, len);
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: bad zstd frame header");
        goto out;
    }
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: frame does not declare its size");
        goto out;
    }
    /* 3. Within the caller's limit, before anything is allocated. */
    if (declared > max) {
        rc = vl_err(err, VL_ELIMIT, "compressed payload: declares %llu bytes, limit %zu",
                    declared, max);
        goto out;
    }
    size = (size_t)declared;
    /* 4. No dictionary. */
    if (ZSTD_getDictID_fromFrame(in, len) != 0) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: frame names a dictionary");
        goto out;
    }
    /* 5. Exactly one frame, the whole input. */
    size_t flen = ZSTD_findFrameCompressedSize(in, len);
    if (ZSTD_isError(flen)) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: truncated or corrupt frame");
        goto out;
    }
    if (flen != len) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: %zu bytes after the frame",
                    len - flen);
        goto out;
    }
    /* 6. Decode into exactly the declared size. */
    if (!(buf = malloc(size ? size : 1)) || !(dctx = s_dctx(&own))) {
        rc = VL_ENOMEM;
        goto out;
    }
    size_t n = ZSTD_decompressDCtx(dctx, buf, size, in, len);
    if (ZSTD_isError(n) || n != size) {
        rc = vl_err(err, VL_EPROTO, "compressed payload: frame does not decode to %zu bytes",
                    size);
        goto out;
    }
    *out = buf;
    *out_len = size;
    buf = NULL;
    rc = VL_OK;
out:
    vl_zstd_free(&buf, size ? size : 1);
    if (own)
        ZSTD_freeDCtx(dctx);
    return rc;
}
