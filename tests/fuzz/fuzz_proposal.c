/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proposal - libFuzzer harness for the proposal decoder
 * (vl_proposal_parse, protocol/vl_proposal.c) against the genesis policy of
 * tests/vectors/vectors.txt; an accepted proposal is then opened with the
 * vector file's content key (vl_proposal_open: decrypt, for format 2 check
 * and decompress the zstd frame, decode the ops and record bodies). The
 * seed prop2 is the format 2 vector, so the frame reader is reached; its
 * hostile frames are fuzzed directly by fuzz_zframe.
 * Contract: the codes of vl_proposal.h, a message on failure, a proposal
 * exactly on success; open gives VL_OK, VL_EAUTH, VL_EPROTO, VL_ELIMIT or
 * VL_ESCHEMA (vl_proposal.h) with a message.
 */
#include "vl_proposal.c"

#include "fuzz_common.h"

static vl_policy_t *s_pol;
static uint8_t *s_ckey;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_pol) {
        size_t kl;
        s_pol = fuzz_policy("genesis.doc");
        s_ckey = fuzz_vector("content_key", &kl);
        FUZZ_CHECK(kl == VL_KEY_LEN);
    }
    char err[VL_ERRMSG_MAX] = "";
    vl_proposal_t *p = NULL;
    int rc = vl_proposal_parse(s_pol, data, size, &p, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_EPERM, VL_EAUTH);
    FUZZ_CHECK((rc == VL_OK) == (p != NULL));
    if (p) {
        err[0] = '\0';
        rc = vl_proposal_open(p, s_ckey, err);
        FUZZ_CONTRACT(rc, err, VL_OK, VL_EAUTH, VL_EPROTO, VL_ELIMIT, VL_ESCHEMA);
    }
    vl_proposal_destroy(&p);
    return 0;
}
