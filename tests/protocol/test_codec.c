/* SPDX-License-Identifier: MIT */
/*
 * test_codec - vl_codec_test, the self-test of vl_codec;
 * run by tests/vl_selftest.c (ctest selftest_codec).
 */
#include "vl_codec.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_selftests.h"

/* Re-encode a parsed value through the writer (what the fuzz harness does). */
static void
s_test_rewrite(vl_wr_t *w, vl_val_t v)
{
    uint64_t u;
    int64_t i;
    bool b;
    const char *s;
    const uint8_t *p;
    size_t n;
    switch (vl_val_type(v)) {
    case VL_T_NIL:  vl_wr_nil(w); break;
    case VL_T_BOOL: (void)vl_val_bool(v, &b); vl_wr_bool(w, b); break;
    case VL_T_UINT: (void)vl_val_uint(v, &u); vl_wr_uint(w, u); break;
    case VL_T_INT:  (void)vl_val_int(v, &i); vl_wr_int(w, i); break;
    case VL_T_STR:  (void)vl_val_str(v, &s, &n); vl_wr_str(w, s, n); break;
    case VL_T_BIN:  (void)vl_val_bin(v, &p, &n); vl_wr_bin(w, p, n); break;
    case VL_T_ARRAY:
        vl_wr_array(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++)
            s_test_rewrite(w, vl_val_at(v, k));
        break;
    case VL_T_MAP:
        vl_wr_map(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++) {
            s_test_rewrite(w, vl_val_key_at(v, k));
            s_test_rewrite(w, vl_val_value_at(v, k));
        }
        break;
    default:
        break;
    }
}

/* "05 a1 61" -> bytes; returns the length. Test vectors only. */
static size_t
s_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        int used = 0;
        if (sscanf(hex, "%2x%n", &v, &used) != 1 || used != 2 || n == cap)
            abort();
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Parse a heap copy of exactly len bytes (so ASan sees any over-read) and
 * check the code and that the message contains `msg` (so each negative case
 * is rejected by the check it targets, not by a later one). */
static bool
s_test_parse(const uint8_t *buf, size_t len, unsigned depth, int want,
             const char *msg, bool verbose)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    if (len)
        memcpy(copy, buf, len);
    char err[VL_ERRMSG_MAX] = "";
    vl_doc_t *doc = NULL;
    int rc = vl_doc_parse(copy, len, depth, &doc, err);
    bool ok = rc == want && (want == VL_OK) == (doc != NULL);
    if (ok && msg && !strstr(err, msg))
        ok = false;
    if (ok && want == VL_OK) {
        /* accepted documents re-encode to the same bytes */
        vl_wr_t *w = vl_wr_new();
        if (!w) {
            ok = false;
        } else {
            s_test_rewrite(w, vl_doc_root(doc));
            ok = vl_wr_status(w) == VL_OK && vl_wr_len(w) == len &&
                 memcmp(vl_wr_data(w), buf, len) == 0;
            vl_wr_destroy(&w);
        }
    }
    /* the pre-validator alone agrees with the full parse on steps 1-2 */
    int pre = vl_codec_prevalidate(copy, len, depth);
    if (want == VL_OK && pre != VL_OK)
        ok = false;
    if (!ok)
        fprintf(stderr, "  parse %zu bytes: rc %d want %d, \"%s\" (want \"%s\")\n",
                len, rc, want, err, msg ? msg : "");
    vl_doc_destroy(&doc);
    free(copy);
    return ok;
}

static bool
s_test_hexparse(const char *hex, unsigned depth, int want, const char *msg,
                bool verbose)
{
    uint8_t buf[256];
    size_t n = s_test_hex(hex, buf, sizeof buf);
    bool ok = s_test_parse(buf, n, depth, want, msg, verbose);
    if (!ok)
        fprintf(stderr, "  ... input: %s\n", hex);
    return ok;
}

static bool
s_test_golden(vl_wr_t *w, const char *hex)
{
    uint8_t want[64];
    size_t n = s_test_hex(hex, want, sizeof want);
    bool ok = vl_wr_status(w) == VL_OK && vl_wr_len(w) == n &&
              memcmp(vl_wr_data(w), want, n) == 0;
    if (!ok) {
        fprintf(stderr, "  golden: want %s, got", hex);
        for (size_t i = 0; i < vl_wr_len(w) && i < 16; i++)
            fprintf(stderr, " %02x", vl_wr_data(w)[i]);
        fprintf(stderr, "\n");
    }
    vl_wr_reset(w);
    return ok;
}

/* A document with every type, keys in canonical order. */
static void
s_test_sample(vl_wr_t *w)
{
    static const uint8_t bytes[3] = { 0x00, 0xff, 0x10 };
    vl_wr_map(w, 8);
    vl_wr_cstr(w, "");                  /* the empty key sorts first */
    vl_wr_nil(w);
    vl_wr_cstr(w, "B");                 /* uppercase before lowercase */
    vl_wr_bool(w, true);
    vl_wr_cstr(w, "a");
    vl_wr_array(w, 4);
    vl_wr_uint(w, 0);
    vl_wr_int(w, -1);
    vl_wr_uint(w, 70000);
    vl_wr_int(w, INT64_MIN);
    vl_wr_cstr(w, "ab");                /* prefix "a" came first */
    vl_wr_bin(w, bytes, sizeof bytes);
    vl_wr_cstr(w, "b");
    vl_wr_map(w, 2);
    vl_wr_cstr(w, "k");
    vl_wr_cstr(w, "caf\xc3\xa9 \xe2\x82\xac");
    vl_wr_cstr(w, "n");
    vl_wr_array(w, 0);
    vl_wr_cstr(w, "f");
    vl_wr_bool(w, false);
    vl_wr_cstr(w, "u");
    vl_wr_uint(w, UINT64_MAX);
    vl_wr_cstr(w, "\xc3\xa9");          /* bytewise: after every ASCII key */
    vl_wr_map(w, 0);
}

int
vl_codec_test(bool verbose)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX];
    vl_doc_t *doc = NULL;
    vl_wr_t *w = vl_wr_new();
    VL_CHECK(w);
    if (!w)
        return 1;

    /* ---- writer: golden bytes (msgpack-c 4.0.0 packer, see file comment) */
    if (verbose)
        printf(" * codec: golden bytes\n");
    static const struct { int64_t v; const char *hex; } ints[] = {
        { 0, "00" }, { 5, "05" }, { 127, "7f" }, { 128, "cc 80" },
        { 200, "cc c8" }, { 255, "cc ff" }, { 256, "cd 01 00" },
        { 65535, "cd ff ff" }, { 65536, "ce 00 01 00 00" },
        { 70000, "ce 00 01 11 70" }, { 4294967295LL, "ce ff ff ff ff" },
        { 4294967296LL, "cf 00 00 00 01 00 00 00 00" },
        { INT64_MAX, "cf 7f ff ff ff ff ff ff ff" },
        { -1, "ff" }, { -32, "e0" }, { -33, "d0 df" }, { -128, "d0 80" },
        { -129, "d1 ff 7f" }, { -32768, "d1 80 00" },
        { -32769, "d2 ff ff 7f ff" }, { INT32_MIN, "d2 80 00 00 00" },
        { (int64_t)INT32_MIN - 1, "d3 ff ff ff ff 7f ff ff ff" },
        { INT64_MIN, "d3 80 00 00 00 00 00 00 00" },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        vl_wr_int(w, ints[i].v);
        VL_CHECK(s_test_golden(w, ints[i].hex));
        VL_CHECK(s_test_hexparse(ints[i].hex, 0, VL_OK, NULL, verbose));
    }
    vl_wr_uint(w, 5);
    VL_CHECK(s_test_golden(w, "05"));
    vl_wr_uint(w, UINT64_MAX);
    VL_CHECK(s_test_golden(w, "cf ff ff ff ff ff ff ff ff"));
    vl_wr_nil(w);
    vl_wr_bool(w, false);
    vl_wr_bool(w, true);
    VL_CHECK(s_test_golden(w, "c0 c2 c3"));
    vl_wr_cstr(w, "a");
    VL_CHECK(s_test_golden(w, "a1 61"));
    vl_wr_str(w, "", 0);
    VL_CHECK(s_test_golden(w, "a0"));
    vl_wr_bin(w, NULL, 0);
    VL_CHECK(s_test_golden(w, "c4 00"));
    vl_wr_bin(w, "a", 1);
    VL_CHECK(s_test_golden(w, "c4 01 61"));
    vl_wr_array(w, 0);
    vl_wr_array(w, 15);
    vl_wr_array(w, 16);
    VL_CHECK(s_test_golden(w, "90 9f dc 00 10"));
    vl_wr_map(w, 0);
    vl_wr_map(w, 15);
    vl_wr_map(w, 16);
    vl_wr_array(w, 65536);
    VL_CHECK(s_test_golden(w, "80 8f de 00 10 dd 00 01 00 00"));
    vl_wr_map(w, 1);
    vl_wr_cstr(w, "a");
    vl_wr_uint(w, 1);
    VL_CHECK(s_test_golden(w, "81 a1 61 01"));

    /* str/bin header thresholds: fixstr up to 31, str8 from 32, str16 from
     * 256; bin8 from 0 to 255, then bin16. */
    {
        static char fill[300];
        memset(fill, 'x', sizeof fill);
        static const struct { size_t n; bool bin; uint8_t h0, h1; size_t hl; } th[] = {
            { 31, false, 0xbf, 0, 1 }, { 32, false, 0xd9, 32, 2 },
            { 255, false, 0xd9, 255, 2 }, { 256, false, 0xda, 1, 3 },
            { 255, true, 0xc4, 255, 2 }, { 256, true, 0xc5, 1, 3 },
        };
        for (size_t i = 0; i < sizeof th / sizeof th[0]; i++) {
            if (th[i].bin)
                vl_wr_bin(w, fill, th[i].n);
            else
                vl_wr_str(w, fill, th[i].n);
            const uint8_t *d = vl_wr_data(w);
            VL_CHECK(vl_wr_len(w) == th[i].n + th[i].hl);
            VL_CHECK(d[0] == th[i].h0 && (th[i].hl == 1 || d[1] == th[i].h1));
            VL_CHECK(s_test_parse(d, vl_wr_len(w), 0, VL_OK, NULL, verbose));
            vl_wr_reset(w);
        }
    }

    /* ---- round trip of every type ---------------------------------------- */
    if (verbose)
        printf(" * codec: round trip\n");
    s_test_sample(w);
    VL_CHECK_RC(vl_wr_status(w), VL_OK);
    uint8_t *sample = NULL;
    size_t sample_len = 0;
    VL_CHECK_RC(vl_wr_dup(w, &sample, &sample_len), VL_OK);
    VL_CHECK(sample && sample_len == vl_wr_len(w));
    vl_wr_reset(w);
    VL_CHECK(s_test_parse(sample, sample_len, 0, VL_OK, NULL, verbose));
    err[0] = '\0';
    VL_CHECK_RC(vl_doc_parse(sample, sample_len, 0, &doc, err), VL_OK);
    if (doc) {
        vl_val_t root = vl_doc_root(doc);
        size_t blen = 0;
        VL_CHECK(vl_doc_bytes(doc, &blen) != sample && blen == sample_len);
        VL_CHECK(memcmp(vl_doc_bytes(doc, NULL), sample, sample_len) == 0);
        VL_CHECK(vl_val_type(root) == VL_T_MAP && vl_val_len(root) == 8);
        VL_CHECK(vl_val_type(vl_val_get(root, "")) == VL_T_NIL);
        bool b = false;
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, "B"), &b), VL_OK);
        VL_CHECK(b);
        vl_val_t a = vl_val_get(root, "a");
        VL_CHECK(vl_val_type(a) == VL_T_ARRAY && vl_val_len(a) == 4);
        uint64_t u = 1;
        int64_t i = 1;
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 0), &u), VL_OK);
        VL_CHECK(u == 0);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 0), &i), VL_OK);
        VL_CHECK(i == 0);
        VL_CHECK(vl_val_type(vl_val_at(a, 1)) == VL_T_INT);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 1), &i), VL_OK);
        VL_CHECK(i == -1);
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 2), &u), VL_OK);
        VL_CHECK(u == 70000);
        VL_CHECK_RC(vl_val_int(vl_val_at(a, 3), &i), VL_OK);
        VL_CHECK(i == INT64_MIN);
        VL_CHECK(vl_val_none(vl_val_at(a, 4)));
        uint8_t three[3];
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(root, "ab"), three, 3), VL_OK);
        VL_CHECK(three[0] == 0x00 && three[1] == 0xff && three[2] == 0x10);
        VL_CHECK(vl_val_len(vl_val_get(root, "ab")) == 3);
        vl_val_t m = vl_val_get(root, "b");
        VL_CHECK(vl_val_streq(vl_val_get(m, "k"), "caf\xc3\xa9 \xe2\x82\xac"));
        VL_CHECK(!vl_val_streq(vl_val_get(m, "k"), "caf"));
        char *dup = NULL;
        VL_CHECK_RC(vl_val_strdup(vl_val_get(m, "k"), &dup), VL_OK);
        VL_CHECK(dup && strcmp(dup, "caf\xc3\xa9 \xe2\x82\xac") == 0);
        free(dup);
        VL_CHECK(vl_val_type(vl_val_get(m, "n")) == VL_T_ARRAY);
        VL_CHECK(vl_val_len(vl_val_get(m, "n")) == 0);
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, "f"), &b), VL_OK);
        VL_CHECK(!b);
        VL_CHECK_RC(vl_val_uint(vl_val_get(root, "u"), &u), VL_OK);
        VL_CHECK(u == UINT64_MAX);
        VL_CHECK(vl_val_type(vl_val_get(root, "\xc3\xa9")) == VL_T_MAP);
        VL_CHECK(vl_val_streq(vl_val_key_at(root, 3), "ab"));
        VL_CHECK(vl_val_type(vl_val_value_at(root, 3)) == VL_T_BIN);
        for (uint32_t k = 0; k < vl_val_len(root); k++) {
            const char *kp;
            size_t kl;
            VL_CHECK_RC(vl_val_str(vl_val_key_at(root, k), &kp, &kl), VL_OK);
            char key[8] = "";
            if (kl < sizeof key)
                memcpy(key, kp, kl);
            VL_CHECK(vl_val_get(root, key).o == vl_val_value_at(root, k).o);
        }
        VL_CHECK(vl_val_none(vl_val_get(root, "c")));
        VL_CHECK(vl_val_none(vl_val_get(root, "aa")));
        VL_CHECK(vl_val_none(vl_val_get(root, "abc")));
        VL_CHECK(vl_val_none(vl_val_get(root, "\xff")));
        const char *es;
        size_t el = 9;
        VL_CHECK_RC(vl_val_str(vl_val_key_at(root, 0), &es, &el), VL_OK);
        VL_CHECK(es != NULL && el == 0);

        /* ---- accessors on wrong types -------------------------------- */
        vl_val_t none = vl_val_get(root, "zz");
        VL_CHECK(vl_val_none(none) && vl_val_type(none) == VL_T_NONE);
        VL_CHECK(vl_val_len(none) == 0);
        VL_CHECK(vl_val_len(vl_val_get(root, "u")) == 0);
        VL_CHECK_RC(vl_val_uint(none, &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_uint(vl_val_at(a, 1), &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_uint(vl_val_get(root, "B"), &u), VL_EPROTO);
        VL_CHECK_RC(vl_val_int(vl_val_get(root, "u"), &i), VL_EPROTO);
        VL_CHECK_RC(vl_val_int(vl_val_get(root, "ab"), &i), VL_EPROTO);
        VL_CHECK_RC(vl_val_bool(vl_val_get(root, ""), &b), VL_EPROTO);
        VL_CHECK_RC(vl_val_str(vl_val_get(root, "ab"), &es, &el), VL_EPROTO);
        VL_CHECK(es == NULL && el == 0);
        const uint8_t *bp;
        VL_CHECK_RC(vl_val_bin(vl_val_get(m, "k"), &bp, &el), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin(none, &bp, &el), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(root, "ab"), three, 2), VL_EPROTO);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(m, "k"), three, 3), VL_EPROTO);
        VL_CHECK_RC(vl_val_strdup(vl_val_get(root, "u"), &dup), VL_EPROTO);
        VL_CHECK(dup == NULL);
        VL_CHECK(!vl_val_streq(vl_val_get(root, "ab"), "ab"));
        VL_CHECK(!vl_val_streq(none, ""));
        VL_CHECK(vl_val_none(vl_val_at(root, 0)));
        VL_CHECK(vl_val_none(vl_val_at(none, 0)));
        VL_CHECK(vl_val_none(vl_val_get(a, "a")));
        VL_CHECK(vl_val_none(vl_val_get(none, "a")));
        VL_CHECK(vl_val_none(vl_val_key_at(a, 0)));
        VL_CHECK(vl_val_none(vl_val_value_at(root, 8)));
        VL_CHECK(vl_val_none(vl_val_key_at(root, 8)));

        /* ---- vl_val_map_keys ----------------------------------------- */
        static const char *const req[] = { "", "B", "a", "ab", NULL };
        static const char *const opt[] = { "b", "f", "u", "\xc3\xa9", "x", NULL };
        static const char *const req_x[] = { "a", "x", NULL };
        static const char *const opt_few[] = { "b", "f", "u", NULL };
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, opt, "sample", err), VL_OK);
        VL_CHECK_RC(vl_val_map_keys(root, req_x, opt, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "sample: missing key \"x\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, opt_few, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "sample: unknown key \"\\xc3\\xa9\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(root, req, NULL, "sample", err), VL_EPROTO);
        VL_CHECK(strstr(err, "unknown key \"b\"") != NULL);
        err[0] = '\0';
        VL_CHECK_RC(vl_val_map_keys(a, NULL, NULL, "list", err), VL_EPROTO);
        VL_CHECK(strstr(err, "list: not a map") != NULL);
        VL_CHECK_RC(vl_val_map_keys(none, NULL, NULL, NULL, NULL), VL_EPROTO);
        VL_CHECK_RC(vl_val_map_keys(vl_val_get(root, "\xc3\xa9"), NULL, NULL,
                                    "empty", NULL), VL_OK);
        vl_doc_destroy(&doc);
        vl_doc_destroy(&doc);
        VL_CHECK(doc == NULL);
    }

    /* ---- writer: raw, dup, reset --------------------------------------- */
    vl_wr_array(w, 2);
    vl_wr_raw(w, sample, sample_len);
    vl_wr_raw(w, "\xc0", 1);
    VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_OK, NULL, verbose));
    vl_wr_reset(w);
    VL_CHECK(vl_wr_len(w) == 0 && vl_wr_status(w) == VL_OK);

    /* ---- truncation at every offset, and trailing bytes ------------------- */
    if (verbose)
        printf(" * codec: truncation, trailing bytes\n");
    for (size_t k = 0; k < sample_len; k++)
        VL_CHECK(s_test_parse(sample, k, 0, VL_EPROTO, "msgpack: truncated at byte",
                              verbose));
    {
        uint8_t *longer = malloc(sample_len + 1);
        VL_CHECK(longer);
        if (longer) {
            memcpy(longer, sample, sample_len);
            longer[sample_len] = 0xc0;
            VL_CHECK(s_test_parse(longer, sample_len + 1, 0, VL_EPROTO,
                                  "msgpack: trailing bytes after the value",
                                  verbose));
            free(longer);
        }
    }
    VL_CHECK(s_test_hexparse("05 05", 0, VL_EPROTO, "trailing bytes", verbose));
    VL_CHECK(s_test_hexparse("", 0, VL_EPROTO, "truncated at byte 0", verbose));

    /* ---- hostile headers (msgpack-c #1013) --------------------------------- */
    if (verbose)
        printf(" * codec: hostile headers, limits\n");
    VL_CHECK(s_test_hexparse("dd 00 10 00 00", 0, VL_ELIMIT, "array of 1048576", verbose));
    VL_CHECK(s_test_hexparse("dd 10 00 00 00", 0, VL_ELIMIT, "exceeds the limit", verbose));
    VL_CHECK(s_test_hexparse("dd ff ff ff ff", 0, VL_ELIMIT, "exceeds the limit", verbose));
    VL_CHECK(s_test_hexparse("de ff ff 00 00", 0, VL_ELIMIT, "map of 65535", verbose));
    VL_CHECK(s_test_hexparse("df ff ff ff ff", 0, VL_ELIMIT, "map of", verbose));
    VL_CHECK(s_test_hexparse("c6 ff ff ff ff", 0, VL_EPROTO, "truncated at byte 0", verbose));
    VL_CHECK(s_test_hexparse("db 00 00 00 02 61", 0, VL_EPROTO, "truncated", verbose));
    /* counts within VL_MAX_CONTAINER but above the remaining bytes */
    VL_CHECK(s_test_hexparse("dc 10 00", 0, VL_EPROTO, "array of 4096 elements, 0 bytes", verbose));
    VL_CHECK(s_test_hexparse("82 c0 c0 c0", 0, VL_EPROTO, "map of 2 elements, 3 bytes", verbose));
    VL_CHECK(s_test_hexparse("92 c0", 0, VL_EPROTO, "array of 2 elements, 1 bytes", verbose));
    VL_CHECK(s_test_hexparse("cd 01", 0, VL_EPROTO, "truncated at byte 0", verbose));
    VL_CHECK(s_test_hexparse("91 cf 00", 0, VL_EPROTO, "truncated at byte 1", verbose));

    /* VL_MAX_CONTAINER is accepted, one more is not */
    {
        size_t n = 3 + VL_MAX_CONTAINER + 1;
        uint8_t *big = malloc(n);
        VL_CHECK(big);
        if (big) {
            memset(big, 0xc0, n);
            big[0] = 0xdc;
            big[1] = (uint8_t)(VL_MAX_CONTAINER >> 8);
            big[2] = (uint8_t)VL_MAX_CONTAINER;
            VL_CHECK(s_test_parse(big, n - 1, 0, VL_OK, NULL, verbose));
            big[1] = (uint8_t)((VL_MAX_CONTAINER + 1) >> 8);
            big[2] = (uint8_t)(VL_MAX_CONTAINER + 1);
            VL_CHECK(s_test_parse(big, n, 0, VL_ELIMIT, "array of 4097", verbose));
            free(big);
        }
    }

    /* depth: max_depth nested containers pass, one more does not */
    {
        uint8_t nest[VL_MAX_DEPTH + 2];
        for (unsigned d = 1; d <= VL_MAX_DEPTH; d++) {
            memset(nest, 0x91, d);     /* d-1 arrays of one element, ... */
            nest[d - 1] = 0x90;        /* ... the innermost one empty */
            VL_CHECK(s_test_parse(nest, d, d, VL_OK, NULL, verbose));
            memset(nest, 0x91, d + 1);
            nest[d] = 0x90;
            char want[48];
            snprintf(want, sizeof want, "nesting deeper than %u", d);
            VL_CHECK(s_test_parse(nest, d + 1, d, VL_ELIMIT, want, verbose));
            /* the scalar inside the deepest container does not count */
            memset(nest, 0x91, d);
            nest[d] = 0x05;
            VL_CHECK(s_test_parse(nest, d + 1, d, VL_OK, NULL, verbose));
        }
        memset(nest, 0x91, VL_MAX_DEPTH);
        nest[VL_MAX_DEPTH] = 0x05;
        VL_CHECK(s_test_parse(nest, VL_MAX_DEPTH + 1, 0, VL_OK, NULL, verbose));
        memset(nest, 0x91, VL_MAX_DEPTH + 1);
        nest[VL_MAX_DEPTH + 1] = 0x05;
        VL_CHECK(s_test_parse(nest, VL_MAX_DEPTH + 2, 0, VL_ELIMIT,
                              "msgpack: nesting deeper than 8", verbose));
        /* maps count too */
        VL_CHECK(s_test_hexparse("81 a1 61 81 a1 61 80", 2, VL_ELIMIT,
                                 "nesting deeper than 2", verbose));
        VL_CHECK(s_test_hexparse("81 a1 61 81 a1 61 80", 3, VL_OK, NULL, verbose));
    }

    /* document size: VL_MAX_DOC accepted, one byte more refused by both the
     * reader and the writer */
    {
        uint8_t *big = calloc(1, VL_MAX_DOC + 1);
        VL_CHECK(big);
        if (big) {
            vl_wr_bin(w, big, VL_MAX_DOC - 5);
            VL_CHECK_RC(vl_wr_status(w), VL_OK);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC);
            memcpy(big, vl_wr_data(w), VL_MAX_DOC);
            VL_CHECK(s_test_parse(big, VL_MAX_DOC, 0, VL_OK, NULL, verbose));
            VL_CHECK(s_test_parse(big, VL_MAX_DOC + 1, 0, VL_ELIMIT,
                                  "document of 1048577 bytes exceeds", verbose));
            VL_CHECK_RC(vl_codec_prevalidate(big, VL_MAX_DOC + 1, 0), VL_ELIMIT);
            vl_wr_nil(w);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            vl_wr_uint(w, 1);                /* sticky, nothing appended */
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC);
            uint8_t *dup = NULL;
            size_t dup_len = 1;
            VL_CHECK_RC(vl_wr_dup(w, &dup, &dup_len), VL_ELIMIT);
            VL_CHECK(dup == NULL && dup_len == 0);
            /* a header that does not fit must not be followed by a body
             * that would: c4 01 needs 2 bytes, the body 1 */
            vl_wr_reset(w);
            vl_wr_bin(w, big, VL_MAX_DOC - 6);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC - 1);
            vl_wr_bin(w, "x", 1);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == VL_MAX_DOC - 1);
            vl_wr_reset(w);
            vl_wr_str(w, (const char *)big, VL_MAX_DOC + 1);
            VL_CHECK_RC(vl_wr_status(w), VL_ELIMIT);
            VL_CHECK(vl_wr_len(w) == 0);
            vl_wr_reset(w);
            free(big);
        }
    }

    /* str length limit */
    {
        static char s[VL_MAX_STR + 1];
        memset(s, 'a', sizeof s);
        vl_wr_str(w, s, VL_MAX_STR);
        VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_OK, NULL, verbose));
        vl_wr_reset(w);
        vl_wr_str(w, s, VL_MAX_STR + 1);
        VL_CHECK(s_test_parse(vl_wr_data(w), vl_wr_len(w), 0, VL_ELIMIT,
                              "str of 16385 bytes", verbose));
        vl_wr_reset(w);
    }

    /* ---- forbidden types --------------------------------------------------- */
    if (verbose)
        printf(" * codec: forbidden types, keys, UTF-8, non-canonical\n");
    VL_CHECK(s_test_hexparse("c1", 0, VL_EPROTO, "invalid byte 0xc1 at byte 0", verbose));
    VL_CHECK(s_test_hexparse("91 c1", 0, VL_EPROTO, "0xc1 at byte 1", verbose));
    VL_CHECK(s_test_hexparse("ca 00 00 00 00", 0, VL_EPROTO, "float", verbose));
    VL_CHECK(s_test_hexparse("cb 00 00 00 00 00 00 00 00", 0, VL_EPROTO, "float", verbose));
    VL_CHECK(s_test_hexparse("91 ca 3f 80 00 00", 0, VL_EPROTO, "float at byte 1", verbose));
    VL_CHECK(s_test_hexparse("d4 01 00", 0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
                             0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("c7 01 01 00", 0, VL_EPROTO, "ext", verbose));
    VL_CHECK(s_test_hexparse("c9 00 00 00 00 01", 0, VL_EPROTO, "ext", verbose));

    /* ---- map keys ---------------------------------------------------------- */
    VL_CHECK(s_test_hexparse("82 a1 61 01 a1 61 02", 0, VL_EPROTO, "duplicate map key at byte 5", verbose));
    VL_CHECK(s_test_hexparse("82 a1 62 01 a1 61 02", 0, VL_EPROTO, "map keys not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a2 61 62 01 a1 61 02", 0, VL_EPROTO, "not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 a2 61 62 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a1 42 01 a1 61 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 a1 42 02", 0, VL_EPROTO, "not in canonical order", verbose));
    VL_CHECK(s_test_hexparse("82 a1 7a 01 a2 c3 a9 02", 0, VL_OK, NULL, verbose));
    VL_CHECK(s_test_hexparse("82 a0 01 a0 02", 0, VL_EPROTO, "duplicate", verbose));
    VL_CHECK(s_test_hexparse("81 01 01", 0, VL_EPROTO, "map key #0 is not a str", verbose));
    VL_CHECK(s_test_hexparse("82 a1 61 01 c4 01 62 02", 0, VL_EPROTO, "map key #1 is not a str", verbose));
    VL_CHECK(s_test_hexparse("81 c0 01", 0, VL_EPROTO, "not a str", verbose));
    VL_CHECK(s_test_hexparse("81 a2 c0 80 01", 0, VL_EPROTO, "invalid UTF-8 in str at byte 2", verbose));

    /* ---- str: UTF-8 and NUL ------------------------------------------------ */
    static const char *const good_utf8[] = {
        "a2 c3 a9", "a3 e2 82 ac", "a4 f0 90 8d 88", "a4 f4 8f bf bf",
        "a3 ed 9f bf", "a3 ee 80 80", "a2 c2 80", "a3 e0 a0 80", "a4 f0 90 80 80",
        "a1 7f", "a3 ef bf bf",
    };
    for (size_t i = 0; i < sizeof good_utf8 / sizeof good_utf8[0]; i++)
        VL_CHECK(s_test_hexparse(good_utf8[i], 0, VL_OK, NULL, verbose));
    static const char *const bad_utf8[] = {
        "a2 c0 80",       /* overlong NUL */
        "a2 c1 bf",       /* overlong */
        "a3 e0 80 80",    /* overlong 3-byte */
        "a3 e0 9f bf",    /* overlong 3-byte */
        "a4 f0 80 80 80", /* overlong 4-byte */
        "a4 f0 8f bf bf", /* overlong 4-byte */
        "a3 ed a0 80",    /* high surrogate */
        "a3 ed bf bf",    /* low surrogate */
        "a4 f4 90 80 80", /* U+110000 */
        "a4 f5 80 80 80", /* above U+10FFFF */
        "a1 80",          /* lone continuation */
        "a1 ff", "a1 fe", "a5 f8 88 80 80 80",
        "a2 e2 82",       /* sequence cut by the end of the str */
        "a2 c3 41",       /* bad continuation */
        "a3 e2 28 a1",
        "a4 f0 90 8d 28",
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
        VL_CHECK(s_test_hexparse(bad_utf8[i], 0, VL_EPROTO, "invalid UTF-8 in str at byte 1",
                                 verbose));
    VL_CHECK(s_test_hexparse("a3 61 e2 28", 0, VL_EPROTO, "invalid UTF-8 in str at byte 2", verbose));
    VL_CHECK(s_test_hexparse("a1 00", 0, VL_EPROTO, "NUL byte in str at byte 1", verbose));
    VL_CHECK(s_test_hexparse("a3 61 00 62", 0, VL_EPROTO, "NUL byte in str at byte 2", verbose));
    VL_CHECK(s_test_hexparse("c4 01 00", 0, VL_OK, NULL, verbose));   /* bin may */

    /* ---- non-canonical encodings --------------------------------------- */
    static const char *const noncanon[] = {
        "cf 00 00 00 00 00 00 00 05", "ce 00 00 00 05", "cd 00 05", "cc 05",
        "cd 00 ff", "ce 00 00 ff ff", "cf 00 00 00 00 ff ff ff ff",
        "d0 05", "d3 00 00 00 00 00 00 00 05",   /* positive in the int family */
        "d0 ff", "d1 ff 80", "d2 ff ff 80 00", "d3 ff ff ff ff 80 00 00 00",
        "d9 01 61", "da 00 01 61", "db 00 00 00 01 61", "d9 00",
        "c5 00 01 61", "c6 00 00 00 01 61",
        "dc 00 01 c0", "dd 00 00 00 00", "de 00 01 a1 61 c0", "df 00 00 00 00",
    };
    for (size_t i = 0; i < sizeof noncanon / sizeof noncanon[0]; i++)
        VL_CHECK(s_test_hexparse(noncanon[i], 0, VL_EPROTO,
                                 "non-canonical encoding at byte 0", verbose));
    VL_CHECK(s_test_hexparse("92 05 cc 05", 0, VL_EPROTO, "non-canonical encoding at byte 2", verbose));
    VL_CHECK(s_test_hexparse("81 a1 61 da 00 02 61 62", 0, VL_EPROTO, "non-canonical", verbose));
    VL_CHECK(s_test_hexparse("81 d9 01 61 01", 0, VL_EPROTO, "non-canonical", verbose));
    {
        /* a 31-byte str written as str8 */
        uint8_t s31[33];
        memset(s31, 'x', sizeof s31);
        s31[0] = 0xd9;
        s31[1] = 31;
        VL_CHECK(s_test_parse(s31, sizeof s31, 0, VL_EPROTO, "non-canonical", verbose));
        s31[1] = 0xbf;
        VL_CHECK(s_test_parse(s31 + 1, 32, 0, VL_OK, NULL, verbose));
    }

    /* ---- single-byte mutations of the sample never crash, and whatever is
     * accepted re-encodes to itself (s_test_parse checks that). ---------- */
    if (verbose)
        printf(" * codec: mutations\n");
    {
        static const uint8_t subst[] = { 0x00, 0x01, 0x7f, 0x80, 0x90, 0xa0,
                                         0xc0, 0xc1, 0xcc, 0xd9, 0xdc, 0xde,
                                         0xdf, 0xff };
        uint8_t *m = malloc(sample_len ? sample_len : 1);
        VL_CHECK(m);
        for (size_t k = 0; m && k < sample_len; k++) {
            for (size_t j = 0; j < sizeof subst; j++) {
                memcpy(m, sample, sample_len);
                m[k] = subst[j];
                err[0] = '\0';
                int rc = vl_doc_parse(m, sample_len, 0, &doc, err);
                VL_CHECK(rc == VL_OK || rc == VL_EPROTO || rc == VL_ELIMIT);
                VL_CHECK((rc == VL_OK) == (doc != NULL));
                VL_CHECK(rc == VL_OK || err[0] != '\0');
                VL_CHECK(!strstr(err, "disagrees"));
                if (doc) {
                    vl_wr_reset(w);
                    s_test_rewrite(w, vl_doc_root(doc));
                    VL_CHECK(vl_wr_len(w) == sample_len &&
                             memcmp(vl_wr_data(w), m, sample_len) == 0);
                }
                vl_doc_destroy(&doc);
            }
        }
        free(m);
        vl_wr_reset(w);
    }

    /* err may be NULL; destroy is NULL-safe and idempotent */
    VL_CHECK_RC(vl_doc_parse((const uint8_t *)"\xc1", 1, 0, &doc, NULL), VL_EPROTO);
    VL_CHECK(doc == NULL);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91\x91\x90", 3, 2), VL_ELIMIT);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91\x91\x90", 3, 3), VL_OK);
    VL_CHECK_RC(vl_codec_prevalidate((const uint8_t *)"\x91", 1, 0), VL_EPROTO);

    free(sample);
    vl_wr_destroy(&w);
    vl_wr_destroy(&w);
    VL_CHECK(w == NULL);
    return VL_TEST_END;
}
