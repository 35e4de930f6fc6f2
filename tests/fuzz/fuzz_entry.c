/* SPDX-License-Identifier: MIT */
/*
 * fuzz_entry - libFuzzer harness for the log entry decoder (vl_entry_parse,
 * protocol/vl_entry.c) against the genesis policy of tests/vectors/vectors.txt.
 * Every input is parsed twice: with full verification, and with
 * VL_ENTRY_NO_SIGS|VL_ENTRY_CANDIDATE so that mutations behind the approver
 * signatures (which a random input never carries) are reached too.
 * Contract: the codes of vl_entry.h, a message on failure, an entry exactly
 * on success at a seq >= 1; what full verification accepts, the relaxed
 * parse accepts too. Entries of version 2 carry a run document
 * (protocol/vl_run.c); every input is also decoded as a run document alone
 * (vl_run_parse: the codes of vl_run.h, 1..VL_MAX_RUN rows on success). Seeds:
 * the entries and the run of tests/vectors/vectors.txt.
 */
#include "vl_entry.c"

#include "fuzz_common.h"

static vl_policy_t *s_pol;

static int
s_parse(const uint8_t *data, size_t size, unsigned flags)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_entry_t *e = NULL;
    int rc = vl_entry_parse(s_pol, data, size, flags, &e, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOTFOUND, VL_EPERM, VL_EAUTH,
                  VL_EEXIST, VL_ETHRESHOLD);
    FUZZ_CHECK((rc == VL_OK) == (e != NULL));
    if (e)
        FUZZ_CHECK(vl_entry_seq(e) >= 1);
    vl_entry_destroy(&e);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_pol)
        s_pol = fuzz_policy("genesis.doc");
    int full = s_parse(data, size, 0);
    int relaxed = s_parse(data, size, VL_ENTRY_NO_SIGS | VL_ENTRY_CANDIDATE);
    FUZZ_CHECK(full != VL_OK || relaxed == VL_OK);
    char err[VL_ERRMSG_MAX] = "";
    vl_run_t *r = NULL;
    int rc = vl_run_parse(data, size, &r, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (r != NULL));
    if (r)
        FUZZ_CHECK(vl_run_nrows(r) >= 1 && vl_run_nrows(r) <= VL_MAX_RUN);
    vl_run_destroy(&r);
    return 0;
}
