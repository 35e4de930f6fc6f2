/* SPDX-License-Identifier: MIT */
/*
 * vl_entry - log entries (docs/formats.md, "Log entry"): make, sign, verify,
 * and peek at the clear header.
 *
 * A log entry {"hdr", "prop", "sigs"} (version 2, an entry of a run: {"hdr",
 * "prop", "run", "sigs"}, docs/formats.md §6.1; approvers then sign the run
 * digest) embeds the whole proposal it settles
 * and names, in its own header, the sequence number, the hash of the
 * previous entry (the policy hash for seq 1), the proposal id and the state
 * root after applying it. Approvers sign H("valise/entry/1", hdr); the entry
 * is final with exactly `threshold` distinct approver signatures.
 *
 * Parsing verifies signatures and roles against a policy; chain position
 * and the root are checked by store/ against its state. vl_entry_peek reads
 * the header without a policy and verifies nothing: to find which policy
 * version to verify an entry under, never to trust it.
 *
 * Thread safety: objects are immutable after parsing.
 */
#ifndef VL_ENTRY_H
#define VL_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_policy.h"
#include "vl_proposal.h"
#include "vl_run.h"

/** The entry format version (header field "v") of a single entry. */
#define VL_ENTRY_FORMAT 1u
/** The entry format version of an entry of a run (docs/formats.md §6.1). */
#define VL_ENTRY_FORMAT_RUN 2u

typedef struct vl_entry vl_entry_t;

/** @brief Make an unsigned candidate entry settling a proposal. */
int vl_entry_make(const vl_policy_t *pol, uint64_t seq, const uint8_t prev[VL_HASH_LEN],
                  const uint8_t *prop, size_t prop_len, const uint8_t root[VL_HASH_LEN],
                  uint64_t now, uint8_t **out, size_t *out_len, char *err);
/** @brief Make entry `index` (0-based) of a run (version 2, docs/formats.md
 *  §6.1): header fields from the run and its row, prev = the run's prev for
 *  index 0, else `prev` (the link of entry index - 1); the embedded proposal
 *  must be the row's (it is verified under pol). The signature list is
 *  copied byte for byte from the entry sigs_from (the run's first entry), or
 *  empty when sigs_from is NULL (a candidate to sign with vl_entry_sign).
 *  Verifies no signature: apply verifies the result.
 *  @return VL_OK, VL_EINVAL (index, prev, another proposal), VL_EPROTO,
 *          VL_ELIMIT, VL_EPERM, VL_EAUTH, VL_ENOMEM. */
int vl_entry_make_run(const vl_policy_t *pol, const uint8_t *run, size_t run_len, size_t index,
                      const uint8_t prev[VL_HASH_LEN], const uint8_t *prop, size_t prop_len,
                      const uint8_t *sigs_from, size_t sigs_len, uint8_t **out,
                      size_t *out_len, char *err);
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
/** @brief What approvers sign: H("valise/entry/1", hdr) for version 1, the
 *  run digest for version 2. */
const uint8_t *vl_entry_digest(const vl_entry_t *self);
/** @brief VL_ENTRY_FORMAT or VL_ENTRY_FORMAT_RUN. */
unsigned vl_entry_version(const vl_entry_t *self);
/** @brief The run a version 2 entry carries (NULL for version 1). */
const vl_run_t *vl_entry_run(const vl_entry_t *self);
/** @brief A version 2 entry's row in its run (0 for version 1). */
size_t vl_entry_run_index(const vl_entry_t *self);
/** @brief What every entry of one run shares, 32 bytes: a hash of the run
 *  digest and the signature list (NULL for version 1). Entry i > 0 of a run
 *  applies only after an entry with the same tie (docs/formats.md §6.1); the
 *  value is internal (never on the wire). */
const uint8_t *vl_entry_tie(const vl_entry_t *self);
const uint8_t *vl_entry_prev(const vl_entry_t *self);
const uint8_t *vl_entry_root(const vl_entry_t *self);
uint64_t vl_entry_time(const vl_entry_t *self);
size_t vl_entry_nsigs(const vl_entry_t *self);
/** @brief The signer keys (sorted), i < nsigs. */
const uint8_t *vl_entry_signer(const vl_entry_t *self, size_t i);
/** @brief The embedded proposal; owned by the entry (open it in place). */
vl_proposal_t *vl_entry_proposal(const vl_entry_t *self);
const uint8_t *vl_entry_bytes(const vl_entry_t *self, size_t *len);

/** The clear header of an entry, as vl_entry_peek reads it. Plain data. */
typedef struct {
    uint64_t seq;                 /**< >= 1 */
    uint64_t policy;              /**< the policy version it names, >= 1 */
    uint64_t time;                /**< Unix seconds */
    uint8_t net[VL_NETID_LEN];
    uint8_t prev[VL_HASH_LEN];    /**< link of entry seq-1 (policy hash for seq 1) */
    uint8_t prop[VL_HASH_LEN];    /**< id of the proposal it settles */
    uint8_t root[VL_HASH_LEN];    /**< state root after it */
    unsigned v;                   /**< format version: 1, or 2 (an entry of a run) */
    uint8_t run[VL_HASH_LEN];     /**< v2: the run digest (zero for v1) */
} vl_entry_head_t;

/** @brief Read an entry's clear header without a policy (hostile bytes):
 *  size, canonical form and exact key sets of the document and the header,
 *  "type" and "v", every header field's type and size, seq and policy >= 1.
 *  Verifies no signature and does not decode the embedded proposal.
 *  @param[out] out  Filled on success, zeroed on failure.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM. */
int vl_entry_peek(const uint8_t *buf, size_t len, vl_entry_head_t *out, char *err);

/** @brief The keys an entry's signature list names (not verified: for
 *  display, e.g. `bundle show`), after the checks of vl_entry_peek.
 *  @param[out] out  Up to cap keys; *n is how many the list holds (at most
 *              VL_MAX_APPROVERS), of which min(*n, cap) were copied.
 *  @return VL_OK, VL_EPROTO (a malformed list), VL_ELIMIT, VL_ENOMEM. */
int vl_entry_peek_signers(const uint8_t *buf, size_t len, uint8_t (*out)[VL_PK_LEN],
                          size_t cap, size_t *n, char *err);

/** @brief vl_entry_peek, and the author of the embedded proposal read from
 *  the proposal's clear header (vl_proposal_peek_author). Verifies nothing:
 *  neither a signature nor that the header's "prop" is the embedded
 *  proposal's id. For picking entries by author out of a log whose entries
 *  were verified when they were appended (`valise proposals`); an entry so
 *  picked is parsed in full before anything is reported.
 *  @param[out] out, author  Filled on success, zeroed on failure.
 *  @return as vl_entry_peek. */
int vl_entry_peek_author(const uint8_t *buf, size_t len, vl_entry_head_t *out,
                         uint8_t author[VL_PK_LEN], char *err);

#endif
