/* SPDX-License-Identifier: MIT */
/*
 * vl_root - the state root: a homomorphic set hash over the current records.
 *
 * Leaf of a record: H("valise/leaf/1", lp(id) || u64be(rev) || H("valise/body/1", body)).
 * The set of leaves is summed in an LtHash accumulator of 1024 lanes of 16
 * bits (2048 bytes): each leaf expands to 2048 bytes as the concatenation of
 * BLAKE2b-512("valise/lthash/1" || 0x00 || u8(i) || leaf) for i = 0..31, read
 * as 1024 little-endian u16 lanes, added (insert) or subtracted (remove)
 * lane-wise modulo 2^16. The root is H("valise/root/1", accumulator).
 * The empty set has an all-zero accumulator.
 *
 * Insertion and removal commute, so the store keeps the accumulator
 * incrementally (one expansion per change) and verify recomputes it from
 * scratch in any order. docs/formats.md, "State root", has the vectors.
 */
#ifndef VL_ROOT_H
#define VL_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"

#define VL_ROOT_LANES 1024u
#define VL_ROOT_ACC_LEN (2u * VL_ROOT_LANES)

/** Plain data carrier (2 KiB): lives on the stack or in a struct. */
typedef struct { uint16_t lane[VL_ROOT_LANES]; } vl_root_t;

/** @brief The empty set. */
void vl_root_clear(vl_root_t *r);
/** @brief Leaf of a record (see file comment). */
void vl_root_leaf(uint8_t leaf[VL_HASH_LEN], const char *id, uint64_t rev,
                  const uint8_t *body, size_t body_len);
void vl_root_insert(vl_root_t *r, const uint8_t leaf[VL_HASH_LEN]);
void vl_root_remove(vl_root_t *r, const uint8_t leaf[VL_HASH_LEN]);
/** @brief The 32-byte root of the current set. */
void vl_root_digest(const vl_root_t *r, uint8_t out[VL_HASH_LEN]);
/** @brief Serialize (2048 bytes, lanes little-endian) / load. load returns
 *  VL_EPROTO if len is not VL_ROOT_ACC_LEN. */
void vl_root_save(const vl_root_t *r, uint8_t out[VL_ROOT_ACC_LEN]);
int vl_root_load(vl_root_t *r, const uint8_t *in, size_t len);

#endif
