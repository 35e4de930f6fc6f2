/* SPDX-License-Identifier: MIT */
/*
 * fuzz_evidence - libFuzzer harness for fork evidence as a peer sends it:
 * an `evidence` message (vl_msg_decode) whose two entries are then decoded
 * with vl_entry_parse against the genesis policy of tests/vectors/vectors.txt
 * (relaxed: VL_ENTRY_NO_SIGS, so the content behind the signatures is
 * reached). The store's fork check (vl_store_fork_check: same seq, both
 * valid, different) needs an open store and is not fuzzed here.
 * Contract: the codes of vl_msg.h and vl_entry.h, a message on failure,
 * 1..VL_MAX_ENTRY bytes per entry, pointers inside the message.
 */
#include "vl_msg.c"

#include "fuzz_common.h"
#include "vl_entry.h"

static vl_policy_t *s_pol;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_pol)
        s_pol = fuzz_policy("genesis.doc");
    char err[VL_ERRMSG_MAX] = "";
    vl_msg_t *m = NULL;
    int rc = vl_msg_decode(data, size, &m, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT);
    if (!m || vl_msg_type(m) != VL_MSG_EVIDENCE) {
        vl_msg_destroy(&m);
        return 0;
    }
    uint64_t seq[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        size_t el = 0;
        const uint8_t *ent = vl_msg_evidence(m, i, &el);
        FUZZ_CHECK(ent && el >= 1 && el <= VL_MAX_ENTRY);
        vl_entry_t *e = NULL;
        err[0] = '\0';
        rc = vl_entry_parse(s_pol, ent, el, VL_ENTRY_NO_SIGS | VL_ENTRY_CANDIDATE, &e, err);
        FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOTFOUND, VL_EPERM, VL_EAUTH,
                      VL_EEXIST, VL_ETHRESHOLD);
        if (e)
            seq[i] = vl_entry_seq(e);
        vl_entry_destroy(&e);
    }
    (void)seq;
    vl_msg_destroy(&m);
    return 0;
}
