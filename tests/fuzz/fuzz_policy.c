/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy - libFuzzer harness for the policy decoders (protocol/
 * vl_policy.c): every input goes to vl_policy_parse (a genesis), with and
 * without VL_POLICY_ALLOW_UNSIGNED (which reaches the content checks behind
 * the signatures), and to vl_policy_parse_next against the genesis policy of
 * tests/vectors/vectors.txt (a version 2), likewise both ways.
 * Contract: the codes of vl_policy.h, a message on failure, a policy exactly
 * on success (version 1 from parse, 2 from parse_next); what the strict
 * parse accepts the relaxed one accepts.
 * The vector file holds no version 2: at start-up the harness makes one
 * (authority MG's key, seed 32 x 0x44, rotated to seed 32 x 0x66; signed by
 * both approvers, seeds 0x11 and 0x22) and checks that parse_next accepts
 * it; VL_FUZZ_DUMP=FILE writes it to FILE (the seed corpus/policy/version2).
 */
#include "vl_policy.c"

#include "fuzz_common.h"

static vl_policy_t *s_gen;

static int
s_parse(const vl_policy_t *cur, const uint8_t *data, size_t size, unsigned flags)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_policy_t *p = NULL;
    int rc = cur ? vl_policy_parse_next(cur, data, size, flags, &p, err)
                 : vl_policy_parse(data, size, flags, &p, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_EINVAL, VL_ECHAIN, VL_EPERM,
                  VL_EAUTH, VL_EEXIST, VL_ETHRESHOLD);
    FUZZ_CHECK((rc == VL_OK) == (p != NULL));
    if (p)
        FUZZ_CHECK(vl_policy_version(p) == (cur ? 2u : 1u));
    vl_policy_destroy(&p);
    return rc;
}

static vl_keypair_t *
s_key(uint8_t b)
{
    uint8_t seed[VL_SEED_LEN];
    vl_keypair_t *kp = NULL;
    memset(seed, b, sizeof seed);
    FUZZ_CHECK(vl_keypair_from_seed(seed, &kp) == VL_OK);
    return kp;
}

static void
s_make_version2(void)
{
    vl_keypair_t *a1 = s_key(0x11), *a2 = s_key(0x22), *mg = s_key(0x44), *nk = s_key(0x66);
    vl_policy_builder_t *b = NULL;
    uint8_t *u = NULL, *one = NULL, *doc = NULL;
    size_t ul = 0, onel = 0, dl = 0;
    char err[VL_ERRMSG_MAX] = "";
    int rc = vl_policy_builder_from(s_gen, a1, &b, err);
    if (rc == VL_OK)
        rc = vl_policy_builder_rotate(b, vl_keypair_pk(mg), vl_keypair_pk(nk), err);
    if (rc == VL_OK)
        rc = vl_policy_builder_finish_next(b, s_gen, 1, vl_policy_hash(s_gen), false,
                                           1700000500, &u, &ul, err);
    if (rc == VL_OK)
        rc = vl_policy_sign_next(s_gen, u, ul, a1, &one, &onel, err);
    if (rc == VL_OK)
        rc = vl_policy_sign_next(s_gen, one, onel, a2, &doc, &dl, err);
    if (rc != VL_OK)
        fprintf(stderr, "version 2: %s\n", err);
    FUZZ_CHECK(rc == VL_OK);
    FUZZ_CHECK(s_parse(s_gen, doc, dl, 0) == VL_OK);
    const char *dump = getenv("VL_FUZZ_DUMP");
    if (dump) {
        FILE *f = fopen(dump, "wb");
        FUZZ_CHECK(f && fwrite(doc, 1, dl, f) == dl && fclose(f) == 0);
    }
    free(u);
    free(one);
    free(doc);
    vl_policy_builder_destroy(&b);
    vl_keypair_destroy(&a1);
    vl_keypair_destroy(&a2);
    vl_keypair_destroy(&mg);
    vl_keypair_destroy(&nk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_gen) {
        s_gen = fuzz_policy("genesis.doc");
        s_make_version2();
    }
    for (int next = 0; next < 2; next++) {
        const vl_policy_t *cur = next ? s_gen : NULL;
        int strict = s_parse(cur, data, size, 0);
        int relaxed = s_parse(cur, data, size, VL_POLICY_ALLOW_UNSIGNED);
        FUZZ_CHECK(strict != VL_OK || relaxed == VL_OK);
    }
    return 0;
}
