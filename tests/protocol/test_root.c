/* SPDX-License-Identifier: MIT */
/*
 * test_root - vl_root_test, the self-test of vl_root;
 * run by tests/vl_selftest.c (ctest selftest_root).
 */
#include "vl_root.h"

#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_selftests.h"

int
vl_root_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_root_t a, b;
    uint8_t l1[VL_HASH_LEN], l2[VL_HASH_LEN], l3[VL_HASH_LEN], d1[VL_HASH_LEN],
        d2[VL_HASH_LEN], empty[VL_HASH_LEN];
    const uint8_t body1[] = { 0x81, 0xa1, 'a', 0x01 };
    const uint8_t body2[] = { 0x81, 0xa1, 'a', 0x02 };

    vl_root_clear(&a);
    vl_root_digest(&a, empty);
    vl_root_leaf(l1, "MU-01", 1, body1, sizeof body1);
    vl_root_leaf(l2, "MU-01", 2, body2, sizeof body2);
    vl_root_leaf(l3, "MG-01", 1, body1, sizeof body1);
    VL_CHECK(memcmp(l1, l2, VL_HASH_LEN) != 0);
    VL_CHECK(memcmp(l1, l3, VL_HASH_LEN) != 0);
    /* rev matters even with the same body */
    vl_root_leaf(l2, "MU-01", 2, body1, sizeof body1);
    VL_CHECK(memcmp(l1, l2, VL_HASH_LEN) != 0);

    /* Order independence: {l1, l3} built two ways. */
    vl_root_insert(&a, l1);
    vl_root_insert(&a, l3);
    vl_root_clear(&b);
    vl_root_insert(&b, l3);
    vl_root_insert(&b, l1);
    vl_root_digest(&a, d1);
    vl_root_digest(&b, d2);
    VL_CHECK(memcmp(d1, d2, VL_HASH_LEN) == 0);
    VL_CHECK(memcmp(d1, empty, VL_HASH_LEN) != 0);

    /* Update = remove old leaf + insert new leaf, equals building fresh. */
    vl_root_remove(&a, l1);
    vl_root_insert(&a, l2);
    vl_root_clear(&b);
    vl_root_insert(&b, l2);
    vl_root_insert(&b, l3);
    vl_root_digest(&a, d1);
    vl_root_digest(&b, d2);
    VL_CHECK(memcmp(d1, d2, VL_HASH_LEN) == 0);

    /* A set differs from a multiset with a repeated leaf. */
    vl_root_insert(&b, l3);
    vl_root_digest(&b, d2);
    VL_CHECK(memcmp(d1, d2, VL_HASH_LEN) != 0);

    /* Removing everything gives the empty root back. */
    vl_root_remove(&a, l2);
    vl_root_remove(&a, l3);
    vl_root_digest(&a, d1);
    VL_CHECK(memcmp(d1, empty, VL_HASH_LEN) == 0);

    /* Save/load round trip; wrong length refused. */
    uint8_t acc[VL_ROOT_ACC_LEN];
    vl_root_insert(&a, l1);
    vl_root_save(&a, acc);
    vl_root_clear(&b);
    VL_CHECK_RC(vl_root_load(&b, acc, sizeof acc), VL_OK);
    VL_CHECK(memcmp(&a, &b, sizeof a) == 0);
    VL_CHECK_RC(vl_root_load(&b, acc, sizeof acc - 1), VL_EPROTO);
    if (verbose) {
        char hex[2 * VL_HASH_LEN + 1];
        vl_hex(empty, VL_HASH_LEN, hex);
        printf("root: empty root %s\n", hex);
    }
    return VL_TEST_END;
}
