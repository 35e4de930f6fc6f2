/* SPDX-License-Identifier: MIT */
/*
 * test_compress - vl_compress_test, the self-test of vl_compress (the zstd
 * frame reader of docs/formats.md §5, "Compressed payload"); run by
 * tests/vl_selftest.c (ctest selftest_compress).
 *
 * Hostile frames are written byte by byte (RFC 8878 §3.1.1): a frame header
 * descriptor, optional dictionary id and content size, then raw blocks, so
 * that each refusal is reached by exactly one defect. Each case checks the
 * error code and the reason in the message, since libzstd refuses some of
 * these frames on its own and the reader must refuse them at its own step.
 */
#include "vl_compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_check.h"
#include "vl_limits.h"
#include "vl_selftests.h"

/* A frame built by hand. */
typedef struct {
    uint8_t b[512];
    size_t n;
} s_frame_t;

static void
s_put(s_frame_t *f, const void *p, size_t len)
{
    if (f->n + len <= sizeof f->b) {
        memcpy(f->b + f->n, p, len);
        f->n += len;
    }
}

static void
s_u8(s_frame_t *f, unsigned v)
{
    uint8_t c = (uint8_t)v;
    s_put(f, &c, 1);
}

static void
s_le32(s_frame_t *f, uint32_t v)
{
    uint8_t c[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    s_put(f, c, 4);
}

/* One last raw block of len bytes ('a', 'b', ...). */
static void
s_raw_block(s_frame_t *f, size_t len)
{
    uint32_t h = 1u | (0u << 1) | ((uint32_t)len << 3); /* last, raw, size */
    s_u8(f, h & 0xff);
    s_u8(f, (h >> 8) & 0xff);
    s_u8(f, (h >> 16) & 0xff);
    for (size_t i = 0; i < len; i++)
        s_u8(f, 'a' + (unsigned)(i % 26));
}

/* A single-segment frame declaring `declared` bytes (1-byte content size
 * field, or 4 bytes if large), an optional dictionary id, one raw block. */
static void
s_frame(s_frame_t *f, uint32_t declared, uint8_t dict, size_t block)
{
    s_le32(f, 0xFD2FB528u);
    unsigned fcs_flag = declared > 255 ? 2u : 0u;
    s_u8(f, (fcs_flag << 6) | 0x20u | (dict ? 1u : 0u));
    if (dict)
        s_u8(f, dict);
    if (fcs_flag)
        s_le32(f, declared);
    else
        s_u8(f, declared);
    s_raw_block(f, block);
}

/* Decompress f under max: want rc and, for a refusal, `why` in the message. */
static int
s_expect(const char *name, const uint8_t *p, size_t n, size_t max, int want, const char *why,
         bool verbose)
{
    uint8_t *out = (uint8_t *)"x";
    size_t out_len = 99;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_zstd_decompress(p, n, max, &out, &out_len, err);
    int bad = rc != want || (want != VL_OK && (out != NULL || out_len != 0)) ||
              (why && !strstr(err, why));
    if (bad || verbose)
        fprintf(stderr, "%s: %s: rc %d (want %d), \"%s\" (want \"%s\")\n",
                bad ? "FAIL" : "ok", name, rc, want, err, why ? why : "");
    if (rc == VL_OK)
        vl_zstd_free(&out, out_len);
    return bad;
}

int
vl_compress_test(bool verbose)
{
    VL_TEST_BEGIN;
    int bad = 0;
    /* Round trip of a redundant payload: smaller, the same bytes back. */
    uint8_t plain[4000];
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (uint8_t)("+230 5550 1234 Port Louis, Mauritius "[i % 37]);
    uint8_t *z = NULL, *back = NULL;
    size_t zl = 0, bl = 0;
    VL_CHECK_RC(vl_zstd_compress(plain, sizeof plain, &z, &zl), VL_OK);
    VL_CHECK(z && zl > 0 && zl < sizeof plain / 4);
    VL_CHECK_RC(vl_zstd_decompress(z, zl, sizeof plain, &back, &bl, NULL), VL_OK);
    VL_CHECK(back && bl == sizeof plain && memcmp(back, plain, bl) == 0);
    vl_zstd_free(&back, bl);
    /* The writer's frame at the exact limit passes; one byte under, refused. */
    VL_CHECK_RC(vl_zstd_decompress(z, zl, sizeof plain - 1, &back, &bl, NULL), VL_ELIMIT);
    /* An empty payload is a frame too. */
    uint8_t *ez = NULL;
    size_t ezl = 0;
    VL_CHECK_RC(vl_zstd_compress(plain, 0, &ez, &ezl), VL_OK);
    VL_CHECK_RC(vl_zstd_decompress(ez, ezl, 0, &back, &bl, NULL), VL_OK);
    VL_CHECK(back != NULL && bl == 0);
    vl_zstd_free(&back, 1);
    vl_zstd_free(&ez, ezl);

    /* The hand-made frame format is right: a sound one decodes. */
    s_frame_t ok = { .n = 0 };
    s_frame(&ok, 40, 0, 40);
    bad += s_expect("sound hand-made frame", ok.b, ok.n, 100, VL_OK, NULL, verbose);

    /* 0: longer than the limit can compress to (checked first). */
    s_frame_t big = ok;
    for (size_t i = 0; i < 200; i++)
        s_u8(&big, 0);
    bad += s_expect("frame longer than the bound", big.b, big.n, 40, VL_ELIMIT, "frame of",
                    verbose);

    /* 1: not a frame; a skippable frame (which libzstd decodes as empty). */
    bad += s_expect("not zstd", (const uint8_t *)"hello world", 11, 100, VL_EPROTO,
                    "not a zstd frame", verbose);
    s_frame_t skip = { .n = 0 };
    s_le32(&skip, 0x184D2A50u);
    s_le32(&skip, 4);
    s_le32(&skip, 0x01020304u);
    bad += s_expect("skippable frame", skip.b, skip.n, 100, VL_EPROTO, "not a zstd frame",
                    verbose);
    s_frame_t skipped = skip;
    s_put(&skipped, ok.b, ok.n);
    bad += s_expect("skippable frame then a frame", skipped.b, skipped.n, 100, VL_EPROTO,
                    "not a zstd frame", verbose);
    bad += s_expect("magic only", ok.b, 4, 100, VL_EPROTO, "bad zstd frame header", verbose);

    /* 2: no content size (not single-segment, window descriptor, no size). */
    s_frame_t nosize = { .n = 0 };
    s_le32(&nosize, 0xFD2FB528u);
    s_u8(&nosize, 0x00);
    s_u8(&nosize, 0x00); /* window 1 KiB */
    s_raw_block(&nosize, 40);
    bad += s_expect("no content size", nosize.b, nosize.n, 100, VL_EPROTO,
                    "does not declare its size", verbose);

    /* 3: declares more than the limit (and far more than it holds). */
    s_frame_t huge = { .n = 0 };
    s_frame(&huge, 0x7fffffffu, 0, 10);
    bad += s_expect("declares 2 GiB", huge.b, huge.n, VL_MAX_PAYLOAD, VL_ELIMIT, "declares",
                    verbose);
    s_frame_t over = { .n = 0 };
    s_frame(&over, 41, 0, 41);
    bad += s_expect("declares limit + 1", over.b, over.n, 40, VL_ELIMIT, "declares", verbose);

    /* 4: a dictionary id. */
    s_frame_t dict = { .n = 0 };
    s_frame(&dict, 40, 7, 40);
    bad += s_expect("dictionary id", dict.b, dict.n, 100, VL_EPROTO, "names a dictionary",
                    verbose);

    /* 5: two frames, trailing bytes, truncated. */
    s_frame_t two = ok;
    s_put(&two, ok.b, ok.n);
    bad += s_expect("two frames", two.b, two.n, 100, VL_EPROTO, "after the frame", verbose);
    s_frame_t trail = ok;
    s_u8(&trail, 0);
    bad += s_expect("one trailing byte", trail.b, trail.n, 100, VL_EPROTO, "after the frame",
                    verbose);
    bad += s_expect("truncated block", ok.b, ok.n - 1, 100, VL_EPROTO, "truncated", verbose);
    bad += s_expect("truncated header", ok.b, 5, 100, VL_EPROTO, "bad zstd frame header",
                    verbose);

    /* 6: the blocks hold more or fewer bytes than declared. */
    s_frame_t more = { .n = 0 };
    s_frame(&more, 40, 0, 41);
    bad += s_expect("more than declared", more.b, more.n, 100, VL_EPROTO,
                    "does not decode to 40", verbose);
    s_frame_t fewer = { .n = 0 };
    s_frame(&fewer, 40, 0, 39);
    bad += s_expect("fewer than declared", fewer.b, fewer.n, 100, VL_EPROTO,
                    "does not decode to 40", verbose);
    /* A flipped bit in the writer's frame is refused, never a crash. */
    for (size_t i = 0; i < zl * 8; i++) {
        z[i / 8] ^= (uint8_t)(1u << (i % 8));
        int rc = vl_zstd_decompress(z, zl, sizeof plain, &back, &bl, NULL);
        if (rc == VL_OK) {
            /* A flip inside a literal changes the bytes, not the form. */
            VL_CHECK(bl == sizeof plain);
            vl_zstd_free(&back, bl);
        } else {
            VL_CHECK(rc == VL_EPROTO || rc == VL_ELIMIT);
        }
        z[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    vl_zstd_free(&z, zl);
    VL_CHECK(bad == 0);
    return VL_TEST_END;
}
