/* SPDX-License-Identifier: MIT */
/*
 * fuzz_codec - libFuzzer harness for protocol/vl_codec.c.
 *
 * Includes the codec source so its statics are built with the fuzzer's
 * instrumentation. For every input it checks that
 *   - vl_doc_parse() returns VL_OK, VL_EPROTO or VL_ELIMIT (never ENOMEM
 *     under -malloc_limit_mb=64: the pre-validator bounds msgpack-c), always
 *     with a message on failure and a document exactly on success;
 *   - the pre-validator alone fails with the same code whenever it fails,
 *     and when it passes msgpack-c agrees (no "disagrees" message);
 *   - an accepted document, walked through the accessors and re-encoded
 *     with the writer, gives back exactly the input (canonical round trip),
 *     and every key found by index is found by vl_val_get();
 *   - a tighter depth limit never accepts what the default one refuses.
 * FUZZ_CHECK aborts whatever NDEBUG says, so libFuzzer records the input.
 */
#include "vl_codec.c"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_fuzz_walk(vl_wr_t *w, vl_val_t v)
{
    uint64_t u;
    int64_t i;
    bool b;
    const char *s;
    const uint8_t *p;
    size_t n;

    switch (vl_val_type(v)) {
    case VL_T_NIL:
        vl_wr_nil(w);
        break;
    case VL_T_BOOL:
        FUZZ_CHECK(vl_val_bool(v, &b) == VL_OK);
        vl_wr_bool(w, b);
        break;
    case VL_T_UINT:
        FUZZ_CHECK(vl_val_uint(v, &u) == VL_OK);
        FUZZ_CHECK(vl_val_int(v, &i) == (u > INT64_MAX ? VL_EPROTO : VL_OK));
        vl_wr_uint(w, u);
        break;
    case VL_T_INT:
        FUZZ_CHECK(vl_val_uint(v, &u) == VL_EPROTO);
        FUZZ_CHECK(vl_val_int(v, &i) == VL_OK && i < 0);
        vl_wr_int(w, i);
        break;
    case VL_T_STR:
        FUZZ_CHECK(vl_val_str(v, &s, &n) == VL_OK && s != NULL);
        FUZZ_CHECK(n == vl_val_len(v) && n <= VL_MAX_STR);
        FUZZ_CHECK(memchr(s, '\0', n) == NULL);
        vl_wr_str(w, s, n);
        break;
    case VL_T_BIN:
        FUZZ_CHECK(vl_val_bin(v, &p, &n) == VL_OK && p != NULL);
        FUZZ_CHECK(n == vl_val_len(v));
        FUZZ_CHECK(vl_val_str(v, &s, &n) == VL_EPROTO);
        vl_wr_bin(w, p, vl_val_len(v));
        break;
    case VL_T_ARRAY:
        FUZZ_CHECK(vl_val_len(v) <= VL_MAX_CONTAINER);
        vl_wr_array(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++)
            s_fuzz_walk(w, vl_val_at(v, k));
        FUZZ_CHECK(vl_val_none(vl_val_at(v, vl_val_len(v))));
        FUZZ_CHECK(vl_val_none(vl_val_get(v, "")));
        break;
    case VL_T_MAP:
        FUZZ_CHECK(vl_val_len(v) <= VL_MAX_CONTAINER);
        vl_wr_map(w, vl_val_len(v));
        for (uint32_t k = 0; k < vl_val_len(v); k++) {
            char *key = NULL;
            FUZZ_CHECK(vl_val_strdup(vl_val_key_at(v, k), &key) == VL_OK);
            FUZZ_CHECK(vl_val_get(v, key).o == vl_val_value_at(v, k).o);
            free(key);
            s_fuzz_walk(w, vl_val_key_at(v, k));
            s_fuzz_walk(w, vl_val_value_at(v, k));
        }
        FUZZ_CHECK(vl_val_none(vl_val_at(v, 0)));
        break;
    default:
        FUZZ_CHECK(!"a parsed document holds only the eight types");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_doc_t *doc = NULL;

    int pre = vl_codec_prevalidate(data, size, 0);
    int rc = vl_doc_parse(data, size, 0, &doc, err);
    FUZZ_CHECK(rc == VL_OK || rc == VL_EPROTO || rc == VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (doc != NULL));
    FUZZ_CHECK(rc == VL_OK || err[0] != '\0');
    FUZZ_CHECK(pre == VL_OK || rc == pre);
    FUZZ_CHECK(strstr(err, "disagrees") == NULL);

    if (doc) {
        size_t len = 0;
        const uint8_t *bytes = vl_doc_bytes(doc, &len);
        FUZZ_CHECK(len == size && memcmp(bytes, data, size) == 0);

        vl_wr_t *w = vl_wr_new();
        FUZZ_CHECK(w);
        s_fuzz_walk(w, vl_doc_root(doc));
        FUZZ_CHECK(vl_wr_status(w) == VL_OK);
        FUZZ_CHECK(vl_wr_len(w) == size);
        FUZZ_CHECK(memcmp(vl_wr_data(w), data, size) == 0);
        vl_wr_destroy(&w);
        vl_doc_destroy(&doc);
    }

    /* a tighter depth limit only ever refuses more, and only for depth */
    unsigned depth = 1 + (unsigned)(size % VL_MAX_DEPTH);
    char err2[VL_ERRMSG_MAX] = "";
    int rc2 = vl_doc_parse(data, size, depth, &doc, err2);
    if (rc2 == VL_OK)
        FUZZ_CHECK(rc == VL_OK);
    if (rc == VL_OK && rc2 != VL_OK)
        FUZZ_CHECK(rc2 == VL_ELIMIT && strstr(err2, "nesting deeper than") != NULL);
    vl_doc_destroy(&doc);
    return 0;
}
