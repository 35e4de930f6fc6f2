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
#include "vl_codec.h"
#include "vl_selftests.h"

/* A run document written field by field, each one replaceable, to make the
 * forms vl_run_make never writes. */
enum { H_OK, H_SEQ0, H_POLICY0, H_ROW3, H_BIN31, H_ROWSTR, H_NOROWS, H_EXTRA, H_NOTIME,
       H_TYPE, H_NETLEN, H_PREVSTR, H_SIGNED, H_N };

static int
s_hostile(int what, const uint8_t net[VL_NETID_LEN], const uint8_t prev[VL_HASH_LEN],
          const vl_run_row_t *rows, uint8_t **out, size_t *len)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return VL_ENOMEM;
    vl_wr_map(w, what == H_EXTRA ? 9 : what == H_NOTIME ? 7 : 8);
    if (what == H_EXTRA) {
        vl_wr_cstr(w, "a");
        vl_wr_uint(w, 1);
    }
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, net, what == H_NETLEN ? VL_NETID_LEN - 1 : VL_NETID_LEN);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, what == H_POLICY0 ? 0 : 1);
    vl_wr_cstr(w, "prev");
    if (what == H_PREVSTR)
        vl_wr_str(w, (const char *)prev, VL_HASH_LEN);
    else
        vl_wr_bin(w, prev, VL_HASH_LEN);
    vl_wr_cstr(w, "rows");
    vl_wr_array(w, what == H_NOROWS ? 0 : 2);
    for (size_t i = 0; what != H_NOROWS && i < 2; i++) {
        if (i == 1 && what == H_ROWSTR) {
            vl_wr_cstr(w, "row");
            continue;
        }
        vl_wr_array(w, i == 1 && what == H_ROW3 ? 3 : 2);
        vl_wr_bin(w, rows[i].prop, i == 1 && what == H_BIN31 ? VL_HASH_LEN - 1 : VL_HASH_LEN);
        vl_wr_bin(w, rows[i].root, VL_HASH_LEN);
        if (i == 1 && what == H_ROW3)
            vl_wr_bin(w, rows[i].root, VL_HASH_LEN);
    }
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, what == H_SEQ0 ? 0 : 5);
    if (what != H_NOTIME) {
        vl_wr_cstr(w, "time");
        vl_wr_uint(w, 1700000000);
    }
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, what == H_TYPE ? "entry" : "run");
    vl_wr_cstr(w, "v");
    if (what == H_SIGNED)
        vl_wr_int(w, -1);
    else
        vl_wr_uint(w, 1);
    int rc = vl_wr_dup(w, out, len);
    vl_wr_destroy(&w);
    return rc;
}

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

    /* Every form the maker never writes is refused by the reader, and the
     * control (H_OK, written the same way) is taken. */
    for (int what = H_OK; what < H_N; what++) {
        err[0] = '\0';
        VL_CHECK_RC(s_hostile(what, net, prev, rows, &buf, &len), VL_OK);
        int rc = buf ? vl_run_parse(buf, len, &r, err) : VL_ENOMEM;
        if (what == H_OK)
            VL_CHECK_RC(rc, VL_OK);
        else
            VL_CHECK(rc == VL_EPROTO || rc == VL_ELIMIT || rc == VL_EINVAL);
        if (verbose && what != H_OK)
            printf("hostile run %d: %s\n", what, err);
        VL_CHECK(what == H_OK || (r == NULL && err[0] != '\0'));
        vl_run_destroy(&r);
        free(buf);
        buf = NULL;
    }
    /* Larger than VL_MAX_RUN_DOC: refused on its size, before decoding. */
    {
        uint8_t *big = calloc(1, VL_MAX_RUN_DOC + 1);
        VL_CHECK(big != NULL);
        if (big)
            VL_CHECK_RC(vl_run_parse(big, VL_MAX_RUN_DOC + 1, &r, err), VL_ELIMIT);
        free(big);
    }

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
