/* SPDX-License-Identifier: MIT */
/*
 * vl_root - LtHash state root (see vl_root.h for the construction).
 *
 * Why LtHash and not a Merkle tree: the store must update the root on every
 * applied entry and verify must recompute it from scratch; a lattice set
 * hash costs one 2 KiB expansion per change, needs no sorted tree on disk,
 * and lets a snapshot of current records be checked against one signed root.
 * With 1024 lanes of 16 bits the best known attacks (finding a multiset
 * collision) are far beyond 2^128 work (Bellare-Micciancio; Lewi et al.).
 */
#include "vl_root.h"

#include <string.h>

#include <sodium.h>

#include "vl_check.h"

static void
s_expand(const uint8_t leaf[VL_HASH_LEN], uint16_t lanes[VL_ROOT_LANES])
{
    static const char tag[] = "valise/lthash/1";
    uint8_t in[sizeof tag + 1 + VL_HASH_LEN];
    uint8_t block[64];
    memcpy(in, tag, sizeof tag); /* includes the NUL separator */
    memcpy(in + sizeof tag + 1, leaf, VL_HASH_LEN);
    for (unsigned i = 0; i < VL_ROOT_ACC_LEN / 64; i++) {
        in[sizeof tag] = (uint8_t)i;
        crypto_generichash(block, sizeof block, in, sizeof in, NULL, 0);
        for (unsigned j = 0; j < 32; j++)
            lanes[i * 32 + j] = (uint16_t)(block[2 * j] | (block[2 * j + 1] << 8));
    }
}

void
vl_root_clear(vl_root_t *r)
{
    memset(r, 0, sizeof *r);
}

void
vl_root_leaf(uint8_t leaf[VL_HASH_LEN], const char *id, uint64_t rev,
             const uint8_t *body, size_t body_len)
{
    uint8_t bh[VL_HASH_LEN];
    vl_hash(bh, "valise/body/1", body, body_len);
    vl_hash_t h;
    vl_hash_init(&h, "valise/leaf/1");
    vl_hash_lp(&h, id, strlen(id));
    vl_hash_u64(&h, rev);
    vl_hash_update(&h, bh, sizeof bh);
    vl_hash_final(&h, leaf);
}

void
vl_root_insert(vl_root_t *r, const uint8_t leaf[VL_HASH_LEN])
{
    uint16_t lanes[VL_ROOT_LANES];
    s_expand(leaf, lanes);
    for (unsigned i = 0; i < VL_ROOT_LANES; i++)
        r->lane[i] = (uint16_t)(r->lane[i] + lanes[i]);
}

void
vl_root_remove(vl_root_t *r, const uint8_t leaf[VL_HASH_LEN])
{
    uint16_t lanes[VL_ROOT_LANES];
    s_expand(leaf, lanes);
    for (unsigned i = 0; i < VL_ROOT_LANES; i++)
        r->lane[i] = (uint16_t)(r->lane[i] - lanes[i]);
}

void
vl_root_save(const vl_root_t *r, uint8_t out[VL_ROOT_ACC_LEN])
{
    for (unsigned i = 0; i < VL_ROOT_LANES; i++) {
        out[2 * i] = (uint8_t)r->lane[i];
        out[2 * i + 1] = (uint8_t)(r->lane[i] >> 8);
    }
}

int
vl_root_load(vl_root_t *r, const uint8_t *in, size_t len)
{
    if (len != VL_ROOT_ACC_LEN)
        return VL_EPROTO;
    for (unsigned i = 0; i < VL_ROOT_LANES; i++)
        r->lane[i] = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
    return VL_OK;
}

void
vl_root_digest(const vl_root_t *r, uint8_t out[VL_HASH_LEN])
{
    uint8_t acc[VL_ROOT_ACC_LEN];
    vl_root_save(r, acc);
    vl_hash(out, "valise/root/1", acc, sizeof acc);
}

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
