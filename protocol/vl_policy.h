/* SPDX-License-Identifier: MIT */
/*
 * vl_policy - the network policy: who approves, who may propose for which
 * States, which nodes are members, who may only read (the optional readers),
 * and the sealed content keys. The genesis
 * is policy version 1 (docs/formats.md, "Policy").
 *
 * A policy document is {"hdr": bin(header), "sigs": [{"k": pk, "s": sig}]}
 * where the signatures are Ed25519 over H("valise/policy/1", header) by the
 * approvers the header names, at least `threshold` of them, each key once,
 * sorted by key. Versions chain (docs/trust.md §1): version N+1 names the
 * hash of N in "prev", the first log seq it governs in "from" and the link of
 * entry from-1 in "after", and is valid only with threshold(N) signatures of
 * N's approvers and threshold(N+1) of its own (vl_policy_parse_next).
 *
 * The same approval-signature list ("sigs") is used by log entries, so the
 * helpers that check and extend such a list live here too.
 *
 * Thread safety: a vl_policy_t is immutable after parsing and may be read
 * from several threads.
 */
#ifndef VL_POLICY_H
#define VL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vl_codec.h"
#include "vl_crypto.h"
#include "vl_error.h"

/** The policy format version (header field "v") this code writes and reads. */
#define VL_POLICY_FORMAT 1u

typedef enum {
    VL_ROLE_APPROVER = 1,
    VL_ROLE_AUTHORITY = 2,
    VL_ROLE_NODE = 4,
    VL_ROLE_READER = 8, /**< receives the content keys; may not propose, approve,
                             reject, sign a policy or serve as a node */
} vl_role_t;

typedef struct vl_policy vl_policy_t;
typedef struct vl_policy_builder vl_policy_builder_t;

/* ---- building a genesis ----------------------------------------------------- */

/** @brief Start a genesis (policy version 1) for a new network.
 *  @return NULL on out of memory. */
vl_policy_builder_t *vl_policy_builder_new(void);
void vl_policy_builder_destroy(vl_policy_builder_t **self_p);
/** @brief Set the name (1..VL_MAX_NAME printable bytes) and k of n threshold.
 *  @return VL_OK, VL_EINVAL. */
int vl_policy_builder_set(vl_policy_builder_t *self, const char *name,
                          uint32_t threshold, char *err);
/** @brief Add a member. `states` is a comma-separated list of State codes for
 *  an authority ("MU" or "FR,MU"), NULL otherwise. A key may appear under
 *  several roles but once per role; a reader (VL_ROLE_READER) holds no other
 *  role (checked when the document is finished).
 *  @return VL_OK, VL_EINVAL (bad name, state, duplicate key), VL_ELIMIT, VL_ECRYPTO (bad key). */
int vl_policy_builder_add(vl_policy_builder_t *self, vl_role_t role,
                          const uint8_t pk[VL_PK_LEN], const char *name,
                          const char *states, char *err);
/** @brief Make the unsigned genesis document: a fresh random network id, a
 *  fresh content key for epoch 0 sealed to every member key.
 *  @return VL_OK, VL_EINVAL (no approvers, threshold > approvers, ...), VL_ENOMEM. */
int vl_policy_builder_finish(vl_policy_builder_t *self, uint64_t now,
                             uint8_t **out, size_t *out_len, char *err);

/** @brief Designate (pk) or clear (NULL) the node whose freshness statements
 *  count (docs/trust.md §3). Must be a node key of the policy when finished.
 *  @return VL_OK. */
int vl_policy_builder_set_fresh(vl_policy_builder_t *self, const uint8_t pk[VL_PK_LEN]);

/* ---- the next version (docs/trust.md §1, §2) ----------------------------------- */

/** @brief Start version N+1 from version N (cur): same name, threshold,
 *  members (with their names and States) and fresh key. kp must be a member
 *  of cur: every epoch's content key is opened with it (and kept, wiped on
 *  destroy) to be sealed again to the members of N+1.
 *  @return VL_OK, VL_EPERM (kp not a member), VL_EAUTH, VL_ENOMEM. */
int vl_policy_builder_from(const vl_policy_t *cur, const vl_keypair_t *kp,
                           vl_policy_builder_t **out, char *err);
/** @brief Remove a key from every role (revocation). Clears the fresh key
 *  if it was that key.
 *  @return VL_OK, VL_ENOTFOUND (not a member). */
int vl_policy_builder_remove(vl_policy_builder_t *self, const uint8_t pk[VL_PK_LEN],
                             char *err);
/** @brief Replace old_pk by new_pk in every role, keeping names and States
 *  (rotation); also the fresh key.
 *  @return VL_OK, VL_ENOTFOUND (old_pk not a member), VL_EEXIST (new_pk already
 *          a member), VL_ECRYPTO (new_pk not a usable key). */
int vl_policy_builder_rotate(vl_policy_builder_t *self, const uint8_t old_pk[VL_PK_LEN],
                             const uint8_t new_pk[VL_PK_LEN], char *err);
/** @brief Make the unsigned version N+1 of cur: prev = hash of cur, the given
 *  from (>= from of cur) and after (link of entry from-1, or the genesis
 *  hash when from = 1); every epoch of cur sealed to the members of N+1, plus
 *  a new epoch with a fresh random key when a member key of cur is gone (or
 *  when new_epoch is true). The builder must come from vl_policy_builder_from.
 *  @return VL_OK, VL_EINVAL (no change at all, threshold, fresh not a node,
 *          from below cur's), VL_ELIMIT (VL_MAX_EPOCHS, VL_MAX_POLICY), VL_ENOMEM. */
int vl_policy_builder_finish_next(vl_policy_builder_t *self, const vl_policy_t *cur,
                                  uint64_t from, const uint8_t after[VL_HASH_LEN],
                                  bool new_epoch, uint64_t now,
                                  uint8_t **out, size_t *out_len, char *err);

/** @brief Add kp's signature to a policy document (signed or not yet).
 *  @return VL_OK, VL_EPERM (kp is not an approver of it), VL_EEXIST (already
 *          signed by kp), VL_EPROTO, VL_ENOMEM. */
int vl_policy_sign(const uint8_t *in, size_t in_len, const vl_keypair_t *kp,
                   uint8_t **out, size_t *out_len, char *err);

/* ---- reading ----------------------------------------------------------------- */

enum {
    VL_POLICY_ALLOW_UNSIGNED = 1, /**< accept fewer than k signatures (while signing) */
};

/** @brief Add kp's signature to version N+1 (in) of cur: kp must be an
 *  approver of cur or of the new version.
 *  @return as vl_policy_sign; also the errors of vl_policy_parse_next. */
int vl_policy_sign_next(const vl_policy_t *cur, const uint8_t *in, size_t in_len,
                        const vl_keypair_t *kp, uint8_t **out, size_t *out_len, char *err);

/** @brief Decode and verify a genesis (version 1) document (hostile bytes).
 *  A document of a later version is refused with VL_ECHAIN (it is verified
 *  against its predecessor with vl_policy_parse_next).
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_EINVAL (inconsistent content),
 *          VL_EPERM (a signature by a non-approver), VL_EAUTH (bad signature),
 *          VL_EEXIST (an approver counted twice), VL_ETHRESHOLD, VL_ENOMEM. */
int vl_policy_parse(const uint8_t *buf, size_t len, unsigned flags,
                    vl_policy_t **out, char *err);
/** @brief Decode and verify version N+1 against version N (cur), docs/trust.md
 *  §1.1-§1.3 and §2: header rules (version, prev, net, from, after present,
 *  fresh a node), epochs (every epoch of cur, sealed to exactly the member
 *  keys of N+1, at most one new one, a new one when a member key is gone),
 *  signatures (each by an approver of cur or N+1, valid, threshold(cur) of
 *  cur's approvers and threshold(N+1) of its own unless
 *  VL_POLICY_ALLOW_UNSIGNED). Log-related checks (from/after against the log)
 *  are the store's.
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_EINVAL, VL_ECHAIN (version or prev
 *          not the successor of cur, other network), VL_EPERM, VL_EAUTH,
 *          VL_EEXIST, VL_ETHRESHOLD ("signed by 1 of version 2's approvers,
 *          need 2"), VL_ENOMEM. */
int vl_policy_parse_next(const vl_policy_t *cur, const uint8_t *buf, size_t len,
                         unsigned flags, vl_policy_t **out, char *err);
/** @brief Number of valid signatures by approvers of this policy and by
 *  approvers of cur (its predecessor; NULL for a genesis), for display while
 *  a version is being signed. */
void vl_policy_sig_counts(const vl_policy_t *self, const vl_policy_t *cur,
                          size_t *by_self, size_t *by_cur);
void vl_policy_destroy(vl_policy_t **self_p);

const char *vl_policy_name(const vl_policy_t *self);
const uint8_t *vl_policy_net(const vl_policy_t *self);   /**< VL_NETID_LEN bytes */
const uint8_t *vl_policy_hash(const vl_policy_t *self);  /**< H("valise/policy/1", hdr) */
uint64_t vl_policy_version(const vl_policy_t *self);
uint64_t vl_policy_time(const vl_policy_t *self);
uint32_t vl_policy_threshold(const vl_policy_t *self);
size_t vl_policy_nsigs(const vl_policy_t *self);
/** @brief Hash of the previous version (zeros for the genesis). */
const uint8_t *vl_policy_prev(const vl_policy_t *self);
/** @brief First log seq this version governs (1 for the genesis). */
uint64_t vl_policy_from(const vl_policy_t *self);
/** @brief Link of entry from-1 (the genesis hash when from is 1; for the
 *  genesis itself, its own hash). */
const uint8_t *vl_policy_after(const vl_policy_t *self);
/** @brief The node key whose freshness statements count, or NULL. */
const uint8_t *vl_policy_fresh(const vl_policy_t *self);
/** @brief Call cb for every distinct member key (any role, readers too),
 *  sorted; roles are vl_role_t bits. */
void vl_policy_members_each(const vl_policy_t *self,
                            void (*cb)(void *ctx, const uint8_t pk[VL_PK_LEN],
                                       unsigned roles),
                            void *ctx);
const uint8_t *vl_policy_bytes(const vl_policy_t *self, size_t *len);

/** @brief Roles (vl_role_t bits) of a key in this policy; 0 for an unknown key. */
unsigned vl_policy_roles(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN]);
/** @brief True when pk is an authority bound to the State, or an approver. */
bool vl_policy_may_edit(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN],
                        const char *state);
/** @brief The member's name (first role listed), or NULL for an unknown key. */
const char *vl_policy_member_name(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN]);
/** @brief Current content-key epoch. */
uint32_t vl_policy_epoch(const vl_policy_t *self);
/** @brief Open the content key of an epoch with a member's key pair.
 *  @return VL_OK, VL_ENOTFOUND (no such epoch), VL_EPERM (not sealed to this
 *          key), VL_EAUTH (does not open). */
int vl_policy_content_key(const vl_policy_t *self, uint32_t epoch,
                          const vl_keypair_t *kp, uint8_t key[VL_KEY_LEN]);

/** @brief JSON view (members, States, threshold, ids in hex) for `valise`
 *  output. @return new object or NULL on out of memory. */
json_t *vl_policy_to_json(const vl_policy_t *self);

/* ---- approval signature lists (policy and log entries) ------------------------- */

/** @brief Check a "sigs" array against this policy's approvers over digest.
 *  Every element must be {"k": 32-byte approver key, "s": valid signature},
 *  keys strictly increasing. With digest NULL only the form is checked
 *  (approver keys, order, sizes), not the signatures themselves (entries
 *  below a verified head, docs/protocol.md §4).
 *  @param[out] nvalid number of signatures.
 *  @return VL_OK, VL_EPROTO, VL_EPERM (non-approver), VL_EAUTH (bad
 *          signature), VL_EEXIST (same approver twice). */
int vl_policy_check_sigs(const vl_policy_t *self, vl_val_t sigs,
                         const uint8_t *digest, size_t *nvalid, char *err);
/** @brief Write `sigs` plus one new (pk, sig) as a sorted "sigs" array.
 *  @return VL_OK, VL_EEXIST (pk already in the list), VL_EPROTO. */
int vl_policy_write_sigs(vl_wr_t *w, vl_val_t sigs, const uint8_t pk[VL_PK_LEN],
                         const uint8_t sig[VL_SIG_LEN], char *err);

#endif
