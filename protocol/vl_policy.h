/* SPDX-License-Identifier: MIT */
/*
 * vl_policy - the network policy: who approves, who may propose for which
 * States, which nodes are members, and the sealed content keys. The genesis
 * is policy version 1 (docs/formats.md, "Policy").
 *
 * A policy document is {"hdr": bin(header), "sigs": [{"k": pk, "s": sig}]}
 * where the signatures are Ed25519 over H("valise/policy/1", header) by the
 * approvers the header names, at least `threshold` of them, each key once,
 * sorted by key. Issue 4 chains versions: version N+1 names the hash of N in
 * "prev" and must also carry k signatures of N's approvers; the format
 * already has the fields, the chain walk arrives with it.
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

typedef enum {
    VL_ROLE_APPROVER = 1,
    VL_ROLE_AUTHORITY = 2,
    VL_ROLE_NODE = 4,
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
 *  several roles but once per role.
 *  @return VL_OK, VL_EINVAL (bad name, state, duplicate key), VL_ELIMIT, VL_ECRYPTO (bad key). */
int vl_policy_builder_add(vl_policy_builder_t *self, vl_role_t role,
                          const uint8_t pk[VL_PK_LEN], const char *name,
                          const char *states, char *err);
/** @brief Make the unsigned genesis document: a fresh random network id, a
 *  fresh content key for epoch 0 sealed to every member key.
 *  @return VL_OK, VL_EINVAL (no approvers, threshold > approvers, ...), VL_ENOMEM. */
int vl_policy_builder_finish(vl_policy_builder_t *self, uint64_t now,
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

/** @brief Decode and verify a policy document (hostile bytes).
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_EINVAL (inconsistent content),
 *          VL_EPERM (a signature by a non-approver), VL_EAUTH (bad signature),
 *          VL_EEXIST (an approver counted twice), VL_ETHRESHOLD, VL_ENOMEM. */
int vl_policy_parse(const uint8_t *buf, size_t len, unsigned flags,
                    vl_policy_t **out, char *err);
void vl_policy_destroy(vl_policy_t **self_p);

const char *vl_policy_name(const vl_policy_t *self);
const uint8_t *vl_policy_net(const vl_policy_t *self);   /**< VL_NETID_LEN bytes */
const uint8_t *vl_policy_hash(const vl_policy_t *self);  /**< H("valise/policy/1", hdr) */
uint64_t vl_policy_version(const vl_policy_t *self);
uint64_t vl_policy_time(const vl_policy_t *self);
uint32_t vl_policy_threshold(const vl_policy_t *self);
size_t vl_policy_nsigs(const vl_policy_t *self);
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

int vl_policy_test(bool verbose);

#endif
