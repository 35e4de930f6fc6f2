/* SPDX-License-Identifier: MIT */
/*
 * vl_change - change sets: proposals, log entries, rejections
 * (docs/formats.md, "Proposal", "Log entry", "Rejection").
 *
 * A proposal carries a clear header (author, network, policy version,
 * content-key epoch, time, nonce, and per operation: record id, kind,
 * States, base revision, put or delete) and one XChaCha20-Poly1305
 * ciphertext of the record bodies under the content key with the header as
 * associated data. Its id is H("valise/proposal/1", lp(hdr) || ct); the
 * author signs the id. So any node can check who proposed what for which
 * States without reading the bodies, and can relay what it cannot read.
 *
 * A log entry embeds the whole proposal it settles and names, in its own
 * header, the sequence number, the hash of the previous entry (the policy
 * hash for seq 1), the proposal id and the state root after applying it.
 * Approvers sign H("valise/entry/1", hdr); the entry is final with
 * `threshold` distinct approver signatures.
 *
 * A rejection is one approver's signed refusal of a proposal, with a reason.
 *
 * Parsing verifies signatures and roles against a policy; nothing here
 * touches the store: revisions, chain position and the root are checked by
 * store/ against its state.
 *
 * Thread safety: objects are immutable after parsing (except
 * vl_proposal_open, which fills the bodies once).
 */
#ifndef VL_CHANGE_H
#define VL_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_policy.h"
#include "vl_record.h"

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

/* ---- proposals ------------------------------------------------------------- */

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

const uint8_t *vl_proposal_id(const vl_proposal_t *self);     /**< 32 bytes */
const uint8_t *vl_proposal_author(const vl_proposal_t *self); /**< 32 bytes */
uint64_t vl_proposal_time(const vl_proposal_t *self);
uint32_t vl_proposal_epoch(const vl_proposal_t *self);
size_t vl_proposal_nops(const vl_proposal_t *self);
const vl_op_t *vl_proposal_op(const vl_proposal_t *self, size_t i);
const uint8_t *vl_proposal_bytes(const vl_proposal_t *self, size_t *len);

/** @brief Decrypt the bodies with the content key of the proposal's epoch and
 *  check each against its op (kind schema, id, kind, States, put/delete).
 *  @return VL_OK, VL_EAUTH (tampered ciphertext or wrong key), VL_EPROTO,
 *          VL_ESCHEMA, VL_ENOMEM. */
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

/* ---- log entries ----------------------------------------------------------- */

typedef struct vl_entry vl_entry_t;

/** @brief Make an unsigned candidate entry settling a proposal. */
int vl_entry_make(const vl_policy_t *pol, uint64_t seq, const uint8_t prev[VL_HASH_LEN],
                  const uint8_t *prop, size_t prop_len, const uint8_t root[VL_HASH_LEN],
                  uint64_t now, uint8_t **out, size_t *out_len, char *err);
/** @brief Add an approver's signature to an entry (candidate or not).
 *  @return VL_OK, VL_EPERM (not an approver), VL_EEXIST (already signed by
 *          this approver), VL_EPROTO, VL_ENOMEM. */
int vl_entry_sign(const vl_policy_t *pol, const uint8_t *in, size_t in_len,
                  const vl_keypair_t *approver, uint8_t **out, size_t *out_len, char *err);

enum {
    VL_ENTRY_CANDIDATE = 1, /**< accept fewer than threshold signatures */
    /** Verify no signature: neither the approvers' nor the embedded
     *  proposal's author's. Everything else is still checked: canonical
     *  form, network, the proposal's header and the author's role and States
     *  for every op, the proposal id, and the form of the signature list
     *  (approver keys, strictly increasing, unless VL_ENTRY_CANDIDATE at least
     *  `threshold` of them). For the older entries of a batch that chains to
     *  a fully verified newer one (docs/protocol.md §4); the signatures must
     *  be audited later. */
    VL_ENTRY_NO_SIGS = 2,
};

/** @brief Decode and verify an entry: header, embedded proposal (fully
 *  verified), proposal id, every signature by a distinct approver, and unless
 *  VL_ENTRY_CANDIDATE at least `threshold` of them. With VL_ENTRY_NO_SIGS
 *  the same without verifying any signature (see the flag).
 *  pol must be the policy version in force at the entry's seq (docs/trust.md
 *  §1.2), and the entry's "policy" field must name exactly that version: a
 *  greater one is VL_ENOTFOUND (a version not known here yet), a smaller one
 *  VL_EPERM (signed under a version that no longer governs that seq).
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOTFOUND, VL_EPERM, VL_EAUTH,
 *          VL_EEXIST (one approver twice), VL_ETHRESHOLD, VL_ENOMEM. */
int vl_entry_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, unsigned flags,
                   vl_entry_t **out, char *err);
void vl_entry_destroy(vl_entry_t **self_p);

uint64_t vl_entry_seq(const vl_entry_t *self);
/** @brief The chain link: H("valise/link/1", the whole entry document,
 *  signatures included). The next entry's `prev` names it; the store's head
 *  hash is the link of the head entry. */
const uint8_t *vl_entry_hash(const vl_entry_t *self);
/** @brief What approvers sign: H("valise/entry/1", hdr). */
const uint8_t *vl_entry_digest(const vl_entry_t *self);
const uint8_t *vl_entry_prev(const vl_entry_t *self);
const uint8_t *vl_entry_root(const vl_entry_t *self);
uint64_t vl_entry_time(const vl_entry_t *self);
size_t vl_entry_nsigs(const vl_entry_t *self);
/** @brief The signer keys (sorted), i < nsigs. */
const uint8_t *vl_entry_signer(const vl_entry_t *self, size_t i);
/** @brief The embedded proposal; owned by the entry (open it in place). */
vl_proposal_t *vl_entry_proposal(const vl_entry_t *self);
const uint8_t *vl_entry_bytes(const vl_entry_t *self, size_t *len);

/* ---- rejections ------------------------------------------------------------- */

typedef struct vl_rejection vl_rejection_t;

/** @brief Make a signed rejection. reason: 1..VL_MAX_REASON bytes of UTF-8 text.
 *  @return VL_OK, VL_EPERM (not an approver), VL_EINVAL, VL_ENOMEM. */
int vl_rejection_make(const vl_policy_t *pol, const vl_keypair_t *approver,
                      const uint8_t prop_id[VL_HASH_LEN], const char *reason, uint64_t now,
                      uint8_t **out, size_t *out_len, char *err);
/** @return VL_OK, VL_EPROTO, VL_EPERM, VL_EAUTH, VL_ENOMEM. */
int vl_rejection_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len,
                       vl_rejection_t **out, char *err);
void vl_rejection_destroy(vl_rejection_t **self_p);
const uint8_t *vl_rejection_proposal(const vl_rejection_t *self);
const uint8_t *vl_rejection_approver(const vl_rejection_t *self);
const char *vl_rejection_reason(const vl_rejection_t *self);
uint64_t vl_rejection_time(const vl_rejection_t *self);

int vl_change_test(bool verbose);

#endif
