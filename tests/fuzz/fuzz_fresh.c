/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fresh - libFuzzer harness for the freshness statement decoder
 * (vl_fresh_parse, protocol/vl_fresh.c) against fresh_policy of
 * tests/vectors/vectors.txt (the policy naming the node as fresh key).
 * Contract: the codes of vl_fresh.h, a message on failure; an accepted
 * statement has issued < expires <= issued + VL_FRESH_MAX_TTL, a policy
 * version <= the current one, and the node of the policy's fresh key.
 */
#include "vl_fresh.c"

#include "fuzz_common.h"

static vl_policy_t *s_pol;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_pol)
        s_pol = fuzz_policy("fresh_policy.doc");
    char err[VL_ERRMSG_MAX] = "";
    vl_fresh_t f;
    int rc = vl_fresh_parse(s_pol, data, size, &f, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_ECHAIN, VL_ENOTFOUND, VL_EPERM,
                  VL_EAUTH);
    if (rc == VL_OK) {
        FUZZ_CHECK(f.issued < f.expires && f.expires - f.issued <= VL_FRESH_MAX_TTL);
        FUZZ_CHECK(f.policy <= vl_policy_version(s_pol));
        FUZZ_CHECK(memcmp(f.net, vl_policy_net(s_pol), VL_NETID_LEN) == 0);
    }
    return 0;
}
