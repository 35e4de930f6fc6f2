/* SPDX-License-Identifier: MIT */
/*
 * vl_compress - the one checked codec for zstd frames (docs/formats.md §5,
 * "Compressed payload").
 *
 * A valise frame is exactly one standard zstd frame (RFC 8878) that
 * declares its content size and names no dictionary. Writers compress at
 * level VL_ZSTD_LEVEL with the content size in the header and no checksum
 * (the AEAD around the frame authenticates it). The reader takes hostile
 * bytes and checks, in this order, before allocating anything:
 *   0. the frame is at most ZSTD_COMPRESSBOUND(limit) bytes (VL_ELIMIT):
 *      the most a payload of the limit compresses to;
 *   1. at least 4 bytes and the zstd frame magic 0xFD2FB528 (a skippable
 *      frame, or any other bytes, are refused);
 *   2. the frame header parses and declares the content size;
 *   3. the declared size is at most the caller's limit (VL_ELIMIT);
 *   4. the header names no dictionary (dictionary id 0);
 *   5. the frame's compressed size is the whole input: no second frame,
 *      no trailing bytes, not truncated;
 *   6. the frame decodes into a buffer of exactly the declared size, and
 *      fills it exactly.
 * Every refusal is VL_EPROTO except steps 0 and 3.
 *
 * Plaintext hygiene: the bodies inside hold personal data, so every buffer
 * this module allocates for plaintext, or for a frame of it, is wiped
 * before it is freed, on every path; vl_zstd_free wipes and frees one the
 * caller received. libzstd's own contexts (the compressor's workspace, the
 * decompressor's literal buffer) may hold fragments of the last plaintext
 * they processed until they are freed, and libzstd frees them unwiped:
 * wiping them would need its experimental allocator API
 * (docs/threat-model.md §7).
 *
 * Thread safety: each thread keeps one compression and one decompression
 * context, made at its first call (reset before each use) and freed when the
 * thread exits (a thread-key destructor of this module); the main thread's
 * live until the process ends.
 * Nothing else is shared.
 */
#ifndef VL_COMPRESS_H
#define VL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"

/** The zstd level writers use: the library's default, ~0.55 x JSON on the
 *  sample records at a few µs per record. */
#define VL_ZSTD_LEVEL 3

/** @brief Compress len bytes into one frame (content size declared, no
 *  dictionary, no checksum).
 *  @param[out] out  malloc'd frame, to release with vl_zstd_free.
 *  @return VL_OK, VL_ENOMEM, VL_EINVAL (libzstd refused: never for a
 *          valid input). */
__attribute__((warn_unused_result)) int vl_zstd_compress(const uint8_t *in, size_t len,
                                                         uint8_t **out, size_t *out_len);

/** @brief Check and decompress one frame (hostile bytes), steps 0-6 above.
 *  @param[in] max  largest content size accepted (steps 0 and 3).
 *  @param[out] out  malloc'd plaintext (at least 1 byte allocated), to
 *          release with vl_zstd_free; NULL on failure.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM; a message in err. */
__attribute__((warn_unused_result)) int vl_zstd_decompress(const uint8_t *in, size_t len,
                                                           size_t max, uint8_t **out,
                                                           size_t *out_len, char *err);

/** @brief Wipe len bytes of *p, free it, set *p = NULL. NULL-safe. */
void vl_zstd_free(uint8_t **p, size_t len);

#endif
