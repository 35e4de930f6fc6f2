/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rejection - libFuzzer harness for the rejection decoder
 * (vl_rejection_parse, protocol/vl_rejection.c) against the genesis policy
 * of tests/vectors/vectors.txt. The vector file holds no rejection: the
 * harness makes one at start-up (approver seed 32 x 0x11, the vector file's
 * approver1) and checks it is accepted; VL_FUZZ_DUMP=FILE writes it to FILE
 * (how the seed in corpus/rejection/ was made).
 * Contract: the codes of vl_rejection.h, a message on failure; an accepted
 * rejection has a reason of 1..VL_MAX_REASON bytes and an approver key.
 */
#include "vl_rejection.c"

#include "fuzz_common.h"

static vl_policy_t *s_pol;

static void
s_check(const uint8_t *data, size_t size)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_rejection_t *r = NULL;
    int rc = vl_rejection_parse(s_pol, data, size, &r, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_EPERM, VL_EAUTH, VL_ENOMEM);
    FUZZ_CHECK((rc == VL_OK) == (r != NULL));
    if (r) {
        size_t n = strlen(vl_rejection_reason(r));
        FUZZ_CHECK(n >= 1 && n <= VL_MAX_REASON);
        FUZZ_CHECK(vl_rejection_approver(r) && vl_rejection_proposal(r));
    }
    vl_rejection_destroy(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_pol) {
        s_pol = fuzz_policy("genesis.doc");
        uint8_t seed[VL_SEED_LEN], id[VL_HASH_LEN], *doc = NULL;
        size_t dl = 0;
        char err[VL_ERRMSG_MAX] = "";
        vl_keypair_t *kp = NULL;
        memset(seed, 0x11, sizeof seed);
        memset(id, 0x42, sizeof id);
        FUZZ_CHECK(vl_keypair_from_seed(seed, &kp) == VL_OK);
        FUZZ_CHECK(vl_rejection_make(s_pol, kp, id, "out of scope", 1700000400, &doc, &dl,
                                     err) == VL_OK);
        s_check(doc, dl);
        const char *dump = getenv("VL_FUZZ_DUMP");
        if (dump) {
            FILE *f = fopen(dump, "wb");
            FUZZ_CHECK(f && fwrite(doc, 1, dl, f) == dl && fclose(f) == 0);
        }
        free(doc);
        vl_keypair_destroy(&kp);
    }
    s_check(data, size);
    return 0;
}
