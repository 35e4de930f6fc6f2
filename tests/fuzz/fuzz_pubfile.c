/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pubfile - libFuzzer harness for the public key file parser
 * (protocol/vl_keyfile.c, docs/keyfiles.md §2): the input is a file's whole
 * content, given to s_publine_parse, the parser behind vl_pubfile_read
 * (which adds only the open and the VL_MAX_PUBFILE read bound; an input over
 * that bound is cut to it, as the reader refuses a longer file unread).
 * Contract: VL_OK or VL_EPROTO with a message; exactly one form is accepted
 * for each key and label, so an accepted file is byte for byte the line
 * vl_pubfile_write would write for the key and label read back, and the label
 * passes vl_pubfile_check_label.
 */
#include "vl_keyfile.c"

#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[KF_PUBFILE_MAX], err[VL_ERRMSG_MAX] = "", label[VL_MAX_NAME + 1];
    uint8_t pk[VL_PK_LEN];
    if (size > KF_PUBFILE_MAX)
        size = KF_PUBFILE_MAX;
    memcpy(buf, data, size);
    int rc = s_publine_parse("fuzz", buf, size, pk, label, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO);
    if (rc != VL_OK)
        return 0;
    char hex[2 * VL_PK_LEN + 1], line[KF_PUBFILE_MAX + 2];
    vl_hex(pk, VL_PK_LEN, hex);
    int n = label[0] ? snprintf(line, sizeof line, KF_PK_PREFIX "%s %s\n", hex, label)
                     : snprintf(line, sizeof line, KF_PK_PREFIX "%s\n", hex);
    FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(line, buf, size) == 0);
    err[0] = '\0';
    FUZZ_CHECK(vl_pubfile_check_label(label, err) == VL_OK);
    return 0;
}
