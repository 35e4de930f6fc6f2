/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zframe - libFuzzer harness for the zstd frame reader
 * (vl_zstd_decompress, protocol/vl_compress.c): the plaintext a format 2
 * proposal seals (docs/formats.md §5, "Compressed payload"). The AEAD and
 * the signature keep fuzzed frames from reaching it through fuzz_proposal,
 * so it is fuzzed here directly.
 * Contract: VL_OK, VL_EPROTO or VL_ELIMIT with a message on failure; on
 * success the content is at most the limit, and compressing it again gives
 * a frame that reads back to the same bytes. Two limits: VL_MAX_PAYLOAD and
 * 1,024 bytes (so that the limit checks are met by short inputs).
 */
#include "vl_compress.c"

#include <string.h>

#include "fuzz_common.h"

static void
s_one(const uint8_t *data, size_t size, size_t max)
{
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *out = NULL, *z = NULL, *back = NULL;
    size_t ol = 0, zl = 0, bl = 0;
    int rc = vl_zstd_decompress(data, size, max, &out, &ol, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (out != NULL));
    if (rc == VL_OK) {
        FUZZ_CHECK(ol <= max);
        FUZZ_CHECK(vl_zstd_compress(out, ol, &z, &zl) == VL_OK);
        FUZZ_CHECK(vl_zstd_decompress(z, zl, max, &back, &bl, err) == VL_OK);
        FUZZ_CHECK(bl == ol && memcmp(back, out, ol) == 0);
    }
    vl_zstd_free(&back, bl);
    vl_zstd_free(&z, zl);
    vl_zstd_free(&out, ol);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_one(data, size, VL_MAX_PAYLOAD);
    s_one(data, size, 1024);
    return 0;
}
