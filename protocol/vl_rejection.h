/* SPDX-License-Identifier: MIT */
/*
 * vl_rejection - rejections (docs/formats.md, "Rejection"): one approver's
 * signed refusal of a proposal, with a reason. A signed envelope
 * (vl_envelope.h) whose header names the approver, network, policy version,
 * proposal id, reason and time; the signature is over
 * H("valise/rejection/1", hdr).
 *
 * Thread safety: objects are immutable after parsing.
 */
#ifndef VL_REJECTION_H
#define VL_REJECTION_H

#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"
#include "vl_policy.h"

/** The rejection format version (header field "v") this code writes and reads. */
#define VL_REJECTION_FORMAT 1u

typedef struct vl_rejection vl_rejection_t;

/** @brief Make a signed rejection. reason: 1..VL_MAX_REASON bytes of UTF-8 text.
 *  @return VL_OK, VL_EPERM (not an approver), VL_EINVAL, VL_ENOMEM. */
int vl_rejection_make(const vl_policy_t *pol, const vl_keypair_t *approver,
                      const uint8_t prop_id[VL_HASH_LEN], const char *reason, uint64_t now,
                      uint8_t **out, size_t *out_len, char *err);
/** @return VL_OK, VL_EPROTO, VL_ELIMIT (a msgpack count or size over vl_limits.h),
 *          VL_EPERM, VL_EAUTH, VL_ENOMEM. */
int vl_rejection_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len,
                       vl_rejection_t **out, char *err);
void vl_rejection_destroy(vl_rejection_t **self_p);
const uint8_t *vl_rejection_proposal(const vl_rejection_t *self);
const uint8_t *vl_rejection_approver(const vl_rejection_t *self);
const char *vl_rejection_reason(const vl_rejection_t *self);
uint64_t vl_rejection_time(const vl_rejection_t *self);

#endif
