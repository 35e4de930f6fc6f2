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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_gen)
        s_gen = fuzz_policy("genesis.doc");
    for (int next = 0; next < 2; next++) {
        const vl_policy_t *cur = next ? s_gen : NULL;
        int strict = s_parse(cur, data, size, 0);
        int relaxed = s_parse(cur, data, size, VL_POLICY_ALLOW_UNSIGNED);
        FUZZ_CHECK(strict != VL_OK || relaxed == VL_OK);
    }
    return 0;
}
