/* SPDX-License-Identifier: MIT */
/*
 * test_run - vl_run_test, the self-test of vl_run (run documents,
 * docs/formats.md §6.1); run by tests/vl_selftest.c (ctest selftest_run).
 */
#define _GNU_SOURCE /* memmem */
#include "vl_run.h"

#include <stdlib.h>
#include <string.h>

#include "vl_check.h"
#include "vl_selftests.h"

int
vl_run_test(bool verbose)
{
    VL_TEST_BEGIN;
    uint8_t net[VL_NETID_LEN], prev[VL_HASH_LEN], d[VL_HASH_LEN];
    vl_run_row_t *rows = calloc(VL_MAX_RUN + 1, sizeof *rows);
    uint8_t *buf = NULL;
    size_t len = 0;
    vl_run_t *r = NULL;
    char err[VL_ERRMSG_MAX] = "";
    VL_CHECK(rows != NULL);
    if (!rows)
        return VL_TEST_END;
    memset(net, 0x4e, sizeof net);
    memset(prev, 0x50, sizeof prev);
    for (size_t i = 0; i <= VL_MAX_RUN; i++) {
        memset(rows[i].prop, 0xa0, VL_HASH_LEN);
        rows[i].prop[0] = (uint8_t)i;
        rows[i].prop[1] = (uint8_t)(i >> 8);
        memset(rows[i].root, 0xb0, VL_HASH_LEN);
    }

    /* Round trip of two rows. */
    VL_CHECK_RC(vl_run_make(net, 3, 17, prev, 1700000000, rows, 2, &buf, &len, err), VL_OK);
    VL_CHECK_RC(vl_run_parse(buf, len, &r, err), VL_OK);
    if (r) {
        vl_hash(d, "valise/run/1", buf, len);
        VL_CHECK(memcmp(vl_run_digest(r), d, VL_HASH_LEN) == 0);
        VL_CHECK(vl_run_seq(r) == 17 && vl_run_policy(r) == 3 && vl_run_time(r) == 1700000000);
        VL_CHECK(vl_run_nrows(r) == 2 && vl_run_find(r, rows[1].prop) == 1);
        VL_CHECK(vl_run_find(r, rows[2].prop) == -1);
        VL_CHECK(memcmp(vl_run_prev(r), prev, VL_HASH_LEN) == 0);
        VL_CHECK(memcmp(vl_run_row(r, 1)->root, rows[1].root, VL_HASH_LEN) == 0);
        VL_CHECK(vl_run_row(r, 2) == NULL);
    }
    vl_run_destroy(&r);

    /* Hostile forms: a trailing byte, another version, a repeated row. */
    uint8_t *x = malloc(len + 1);
    VL_CHECK(x != NULL);
    if (x) {
        memcpy(x, buf, len);
        x[len] = 0;
        VL_CHECK_RC(vl_run_parse(x, len + 1, &r, err), VL_EPROTO);
        x[len - 1] = 2; /* "v": 1 is the last pair */
        VL_CHECK_RC(vl_run_parse(x, len, &r, err), VL_EPROTO);
        memcpy(x, buf, len);
        /* Row 1's id made row 0's: the first id byte of row 1 follows row 0. */
        uint8_t *at = memmem(x, len, rows[1].prop, VL_HASH_LEN);
        VL_CHECK(at != NULL);
        if (at) {
            at[0] = rows[0].prop[0];
            err[0] = '\0';
            VL_CHECK_RC(vl_run_parse(x, len, &r, err), VL_EPROTO);
            VL_CHECK(strstr(err, "names a proposal an earlier row names") != NULL);
            if (verbose)
                printf("repeated row: %s\n", err);
        }
        free(x);
    }
    VL_CHECK(r == NULL);
    free(buf);
    buf = NULL;

    /* Row counts and ids the maker refuses. */
    VL_CHECK_RC(vl_run_make(net, 1, 1, prev, 0, rows, 0, &buf, &len, err), VL_EINVAL);
    VL_CHECK_RC(vl_run_make(net, 1, 1, prev, 0, rows, VL_MAX_RUN + 1, &buf, &len, err),
                VL_EINVAL);
    VL_CHECK_RC(vl_run_make(net, 1, 0, prev, 0, rows, 1, &buf, &len, err), VL_EINVAL);
    memcpy(rows[1].prop, rows[0].prop, VL_HASH_LEN);
    VL_CHECK_RC(vl_run_make(net, 1, 1, prev, 0, rows, 2, &buf, &len, err), VL_EINVAL);
    rows[1].prop[0] = 1;
    VL_CHECK(buf == NULL);

    /* The largest run (VL_MAX_RUN rows, every number at its widest) is
     * exactly the documented bound, and decodes. */
    VL_CHECK_RC(vl_run_make(net, UINT64_MAX, UINT64_MAX, prev, UINT64_MAX, rows, VL_MAX_RUN,
                            &buf, &len, err), VL_OK);
    if (verbose)
        printf("largest run document: %zu bytes (VL_MAX_RUN_DOC %u)\n", len, VL_MAX_RUN_DOC);
    VL_CHECK(len <= VL_MAX_RUN_DOC);
    VL_CHECK_RC(vl_run_parse(buf, len, &r, err), VL_OK);
    VL_CHECK(r && vl_run_nrows(r) == VL_MAX_RUN);
    vl_run_destroy(&r);
    free(buf);
    free(rows);
    return VL_TEST_END;
}
