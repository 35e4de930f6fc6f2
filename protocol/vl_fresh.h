/* SPDX-License-Identifier: MIT */
/*
 * vl_fresh - freshness statements (docs/trust.md §3): the Secretariat's node
 * signs, at a regular interval, "my head is seq/link, issued at T, valid
 * until E". A replica whose newest statement has expired still serves every
 * read but says that it may be stale, and since when.
 *
 * Document {"hdr": bin, "sig": bin64}; header keys expires, head, issued,
 * net, node, policy, seq, type ("fresh"), v (1); sig = Ed25519 by node over
 * H("valise/fresh/1", hdr).
 *
 * This module checks form, signer and signature against a policy. What
 * depends on the replica (clock, rollback, the head link) is the store's.
 *
 * Thread safety: pure functions.
 */
#ifndef VL_FRESH_H
#define VL_FRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_policy.h"

/** The freshness statement format version (header field "v") this code writes and reads. */
#define VL_FRESH_FORMAT 1u

/** A statement's content. Plain data carrier. */
typedef struct {
    uint8_t net[VL_NETID_LEN];
    uint8_t node[VL_PK_LEN];     /**< the signer */
    uint64_t policy;             /**< the signer's current policy version */
    uint64_t seq;                /**< the signer's head seq */
    uint8_t head[VL_HASH_LEN];   /**< link of entry seq (genesis hash for seq 0) */
    uint64_t issued;             /**< Unix seconds */
    uint64_t expires;            /**< Unix seconds, issued < expires <= issued + VL_FRESH_MAX_TTL */
} vl_fresh_t;

/** @brief Make and sign a statement (f->node must be kp's public key).
 *  @return VL_OK, VL_EINVAL (node is not kp, expires not in (issued,
 *          issued + VL_FRESH_MAX_TTL]), VL_ENOMEM. */
int vl_fresh_make(const vl_fresh_t *f, const vl_keypair_t *kp, uint8_t **out, size_t *len,
                  char *err);

/** @brief Decode and verify a statement (hostile bytes) against the
 *  receiver's current policy: exact form (<= VL_FRESH_MAX bytes, canonical,
 *  keys, sizes), net, policy version <= cur's, the times (issued < expires <=
 *  issued + VL_FRESH_MAX_TTL), node = the fresh key of cur, signature.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ECHAIN (other network),
 *          VL_ENOTFOUND (names a policy version newer than cur: adopt it
 *          first), VL_EPERM (cur has no fresh key, or the signer is not it),
 *          VL_EAUTH (bad signature). */
int vl_fresh_parse(const vl_policy_t *cur, const uint8_t *buf, size_t len, vl_fresh_t *out,
                   char *err);

#endif
