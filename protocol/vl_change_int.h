/* SPDX-License-Identifier: MIT */
/*
 * vl_change_int - what the proposal, entry and rejection modules share below
 * their public headers, and what the self-test (tests/protocol/test_change.c)
 * uses to forge documents. Not part of the protocol API.
 */
#ifndef VL_CHANGE_INT_H
#define VL_CHANGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_proposal.h"

/** @brief The proposal decoder behind vl_proposal_parse. With verify_sig
 *  false everything is checked but the author's signature itself (an entry
 *  parsed with VL_ENTRY_NO_SIGS: the signature is audited later; the id
 *  still binds header and ciphertext). Same returns as vl_proposal_parse. */
int vl_proposal_decode(const vl_policy_t *pol, const uint8_t *buf, size_t len, bool verify_sig,
                       vl_proposal_t **out, char *err);

/** @brief Encode, encrypt and sign a proposal without vl_proposal_make's
 *  checks (authorization, distinct ids, bodies matching their ops): the
 *  self-test forges proposals with it that parse must refuse.
 *  @return VL_OK, VL_ELIMIT, VL_ENOMEM. */
int vl_proposal_build(const vl_policy_t *pol, const vl_keypair_t *author,
                      const uint8_t ckey[VL_KEY_LEN], uint64_t now, const vl_op_t *ops,
                      const uint8_t *const *bodies, const size_t *lens, size_t nops,
                      uint8_t **out, size_t *out_len, char *err);

#endif
