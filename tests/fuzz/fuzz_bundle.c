/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bundle - libFuzzer harness for the bundle reader (protocol/vl_bundle.c,
 * docs/formats.md §11.2) and the want-file reader.
 *
 * Includes the bundle source so its statics are built with the fuzzer's
 * instrumentation (the other protocol files are compiled by run.sh). A
 * random input almost never passes the trailer's hash and signature, so
 * every input is read twice:
 *   1. as it is (the magic, framing, trailer search and hash paths);
 *   2. as the bytes before a trailer: the harness appends the trailer a
 *      maker would write, hashed and signed with the key of seed 32 x 0x55
 *      (the seed corpus's header names that key as maker), so that the
 *      header and object checks behind the signature are reached too.
 * For each: the result is VL_OK, VL_EPROTO, VL_EAUTH or VL_ELIMIT, a
 * failure has a message, and an accepted bundle's items lie inside the
 * input, in kind order, with exactly the header's counts and consecutive
 * entries. The same bytes are also fed to vl_want_parse.
 * FUZZ_CHECK aborts whatever NDEBUG says, so libFuzzer records the input.
 */
#include "vl_bundle.c"

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

static vl_keypair_t *s_kp;

static void
s_check(const uint8_t *buf, size_t len)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_bundle_t *b = NULL;
    int rc = vl_bundle_parse(buf, len, &b, err);
    FUZZ_CHECK(rc == VL_OK || rc == VL_EPROTO || rc == VL_EAUTH || rc == VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (b != NULL));
    FUZZ_CHECK(rc == VL_OK || err[0] != '\0');
    if (!b)
        return;
    const vl_bundle_hdr_t *h = vl_bundle_hdr(b);
    uint64_t seen[VL_BK_N] = { 0 };
    int last = -1;
    for (size_t i = 0; i < vl_bundle_count(b); i++) {
        vl_bundle_item_t it;
        vl_bundle_item(b, i, &it);
        FUZZ_CHECK((unsigned)it.kind < VL_BK_N && (int)it.kind >= last);
        FUZZ_CHECK(it.a >= buf && it.alen > 0 && it.alen <= len &&
                   (size_t)(it.a - buf) <= len - it.alen);
        FUZZ_CHECK((it.kind == VL_BK_EVIDENCE) == (it.b != NULL));
        if (it.b)
            FUZZ_CHECK(it.b >= buf && it.blen > 0 && it.blen <= len &&
                       (size_t)(it.b - buf) <= len - it.blen);
        last = (int)it.kind;
        seen[it.kind]++;
    }
    FUZZ_CHECK(memcmp(seen, h->counts, sizeof seen) == 0);
    FUZZ_CHECK(h->counts[VL_BK_ENTRY] == 0 ? h->from == 0 && h->to == 0
                                           : h->to - h->from + 1 == h->counts[VL_BK_ENTRY]);
    vl_bundle_destroy(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_kp) {
        uint8_t seed[VL_SEED_LEN];
        memset(seed, 0x55, sizeof seed);
        FUZZ_CHECK(vl_crypto_init() == VL_OK && vl_keypair_from_seed(seed, &s_kp) == VL_OK);
    }
    s_check(data, size);

    /* The same bytes with the trailer a maker would append. */
    uint8_t *buf = malloc(size + 200);
    FUZZ_CHECK(buf);
    if (size)
        memcpy(buf, data, size);
    uint8_t hash[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash(hash, VL_BUNDLE_TAG, data, size);
    vl_sign(s_kp, hash, sig);
    /* n: the items the input frames (stop at the first bad length). */
    uint64_t n = 0;
    for (size_t off = VL_BUNDLE_PREFIX; off + 4 <= size;) {
        uint32_t l = s_be32_get(data + off);
        if (l == 0 || l > size - off - 4)
            break;
        off += 4 + (size_t)l;
        n++;
    }
    vl_wr_t *w = vl_wr_new();
    FUZZ_CHECK(w);
    vl_wr_map(w, 4);
    vl_wr_cstr(w, "hash");
    vl_wr_bin(w, hash, sizeof hash);
    vl_wr_cstr(w, "n");
    vl_wr_uint(w, n);
    vl_wr_cstr(w, "sig");
    vl_wr_bin(w, sig, sizeof sig);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "end");
    FUZZ_CHECK(vl_wr_status(w) == VL_OK);
    size_t tl = vl_wr_len(w);
    s_be32_put(buf + size, (uint32_t)tl);
    memcpy(buf + size + 4, vl_wr_data(w), tl);
    s_check(buf, size + 4 + tl);
    vl_wr_destroy(&w);
    free(buf);

    vl_want_t want;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_want_parse(data, size, &want, err);
    FUZZ_CHECK(rc == VL_OK || rc == VL_EPROTO || rc == VL_ELIMIT);
    FUZZ_CHECK(rc == VL_OK || err[0] != '\0');
    return 0;
}
