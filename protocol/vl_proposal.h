/* SPDX-License-Identifier: MIT */
/*
 * vl_proposal - proposals (docs/formats.md, "Proposal"): make, verify, open.
 *
 * A proposal carries a clear header (author, network, policy version,
 * content-key epoch, time, nonce, and per operation: record id, kind,
 * States, base revision, put or delete) and one XChaCha20-Poly1305
 * ciphertext of the record bodies under the content key with the header as
 * associated data; in version 2 the sealed plaintext is one zstd frame of
 * the bodies (vl_compress.h), in version 1 the bodies as they are. Its id is H("valise/proposal/1", lp(hdr) || ct); the
 * author signs the id. So any node can check who proposed what for which
 * States without reading the bodies, and can relay what it cannot read.
 *
 * Parsing verifies the author's role and States and the signature against a
 * policy; revisions are checked by store/ against its state.
 *
 * Thread safety: objects are immutable after parsing, except
 * vl_proposal_open, which fills the bodies once.
 */
#ifndef VL_PROPOSAL_H
#define VL_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_policy.h"
#include "vl_record.h"

/** The proposal format version (header field "v") this code writes: the
 *  payload is sealed as one zstd frame (docs/formats.md §5). */
#define VL_PROPOSAL_FORMAT 2u
/** The older version it still reads: the payload sealed as it is. */
#define VL_PROPOSAL_FORMAT_PLAIN 1u

/** One operation's clear header. Plain data carrier. */
typedef struct {
    char id[VL_MAX_ID + 1];                       /**< record id */
    vl_kind_t kind;                               /**< record kind */
    bool del;                                     /**< delete (else put) */
    uint64_t base;                                /**< revision it was made against; 0 = new */
    size_t nstates;                               /**< States of the record */
    char states[VL_MAX_STATES][VL_STATE_LEN + 1];
} vl_op_t;

/** @brief Fill an op header from a record body (put) — id, kind, States. */
int vl_op_from_record(vl_op_t *op, const vl_record_t *rec, uint64_t base);

typedef struct vl_proposal vl_proposal_t;

/** @brief Make and sign a proposal.
 *  @param[in] bodies,lens  One record body per op (NULL/0 for a delete).
 *  @param[in] ckey  The content key of the policy's current epoch.
 *  @return VL_OK, VL_EINVAL (no ops, too many, duplicate id, body does not
 *          match its op), VL_EPERM (author may not edit a State), VL_ENOMEM. */
int vl_proposal_make(const vl_policy_t *pol, const vl_keypair_t *author,
                     const uint8_t ckey[VL_KEY_LEN], uint64_t now,
                     const vl_op_t *ops, const uint8_t *const *bodies, const size_t *lens,
                     size_t nops, uint8_t **out, size_t *out_len, char *err);

/** @brief Decode and verify a proposal (hostile bytes): canonical form,
 *  network, author is a member allowed to edit every op's States (authorities
 *  only their own; approvers any), signature.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_EPERM (unknown key, wrong role,
 *          another State), VL_EAUTH (bad signature), VL_ENOMEM. */
int vl_proposal_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len,
                      vl_proposal_t **out, char *err);
void vl_proposal_destroy(vl_proposal_t **self_p);

/** @brief Read the author key from a proposal's clear header without a
 *  policy (hostile bytes): canonical form, the key sets of the document and
 *  the header, "type", and "author" 32 bytes. Verifies nothing (no
 *  signature, network, role or op): to select proposals by author among
 *  documents verified earlier (a store's log), never to trust one.
 *  @param[out] author  Filled on success, zeroed on failure.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM. */
int vl_proposal_peek_author(const uint8_t *buf, size_t len, uint8_t author[VL_PK_LEN],
                            char *err);

const uint8_t *vl_proposal_id(const vl_proposal_t *self);     /**< 32 bytes */
const uint8_t *vl_proposal_author(const vl_proposal_t *self); /**< 32 bytes */
uint64_t vl_proposal_time(const vl_proposal_t *self);
uint32_t vl_proposal_epoch(const vl_proposal_t *self);
size_t vl_proposal_nops(const vl_proposal_t *self);
const vl_op_t *vl_proposal_op(const vl_proposal_t *self, size_t i);
const uint8_t *vl_proposal_bytes(const vl_proposal_t *self, size_t *len);

/** @brief Decrypt the bodies with the content key of the proposal's epoch and
 *  (version 2: check and decompress the frame, vl_compress.h), then check
 *  each body against its op (kind schema, id, kind, States, put/delete).
 *  @return VL_OK, VL_EAUTH (tampered ciphertext or wrong key), VL_EPROTO,
 *          VL_ELIMIT (frame declares more than VL_MAX_PAYLOAD), VL_ESCHEMA,
 *          VL_ENOMEM. */
int vl_proposal_open(vl_proposal_t *self, const uint8_t ckey[VL_KEY_LEN], char *err);
/** @brief After a successful open: the parsed record of op i (NULL for a
 *  delete), borrowed until the proposal is destroyed. */
const vl_record_t *vl_proposal_record(const vl_proposal_t *self, size_t i);

/** @brief Check op i against the current record it replaces or deletes
 *  (NULL if there is none): the kind must match, and the author must be
 *  allowed to edit every State of the existing record too, so that an
 *  authority cannot take over another State's record by relabelling it; a
 *  delete's States must equal the existing record's.
 *  @return VL_OK, VL_EPERM, VL_EPROTO. */
int vl_proposal_check_existing(const vl_policy_t *pol, const vl_proposal_t *p, size_t i,
                               const vl_record_t *existing, char *err);

#endif
