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
