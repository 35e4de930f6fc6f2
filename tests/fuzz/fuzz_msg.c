/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msg - libFuzzer harness for the sync message decoder (vl_msg_decode,
 * protocol/vl_msg.c, docs/protocol.md): a frame from a peer.
 * Contract checked: VL_OK, VL_EPROTO or VL_ELIMIT (the header's list; never
 * ENOMEM under -malloc_limit_mb), a message on failure, a message exactly on
 * success with a known type; a decoded `fresh` or `evidence` re-encodes to
 * exactly the input (the encoders are canonical).
 */
#include "vl_msg.c"

#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_msg_t *m = NULL;
    int rc = vl_msg_decode(data, size, &m, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (m != NULL));
    if (!m)
        return 0;
    FUZZ_CHECK(vl_msg_type_name(vl_msg_type(m))[0] != '?');
    uint8_t *out = NULL;
    size_t outl = 0;
    if (vl_msg_type(m) == VL_MSG_FRESH) {
        size_t sl;
        const uint8_t *s = vl_msg_fresh(m, &sl);
        FUZZ_CHECK(s && vl_msg_encode_fresh(s, sl, &out, &outl) == VL_OK);
    } else if (vl_msg_type(m) == VL_MSG_EVIDENCE) {
        size_t al, bl;
        const uint8_t *a = vl_msg_evidence(m, 0, &al), *b = vl_msg_evidence(m, 1, &bl);
        FUZZ_CHECK(a && b && vl_msg_encode_evidence(a, al, b, bl, &out, &outl) == VL_OK);
    }
    if (out)
        FUZZ_CHECK(outl == size && memcmp(out, data, size) == 0);
    free(out);
    vl_msg_destroy(&m);
    return 0;
}
