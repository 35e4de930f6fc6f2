/* SPDX-License-Identifier: MIT */
/*
 * vl_rejection - rejections: make and verify (contract in vl_rejection.h).
 *
 * Decoding order for hostile bytes: the signed envelope through vl_envelope;
 * the header's exact key set, type and every field; version, network and
 * policy version; the reason's characters; the signer is an approver; the
 * signature last.
 */
#include "vl_rejection.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_envelope.h"
#include "vl_fields.h"

/* Domain tag of the signed digest: H(tag, hdr). */
#define S_TAG "valise/rejection/1"

/* Structure of our class */
struct vl_rejection {
    uint8_t prop_id[VL_HASH_LEN];
    uint8_t approver[VL_PK_LEN];
    uint64_t time, policy;
    char reason[VL_MAX_REASON + 1];
};

static const char *const s_hdr_keys[] = { "approver", "net", "policy", "prop", "reason",
                                          "time", "type", "v", NULL };

static bool
s_reason_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > VL_MAX_REASON)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r[i] < 0x20 && r[i] != '\n' && r[i] != '\t')
            return false;
    return true;
}

int
vl_rejection_make(const vl_policy_t *pol, const vl_keypair_t *approver,
                  const uint8_t prop_id[VL_HASH_LEN], const char *reason, uint64_t now,
                  uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_wr_t *hdr = NULL;
    *out = NULL;
    *out_len = 0;
    if (!(vl_policy_roles(pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER))
        return vl_err(err, VL_EPERM, "only an approver may reject a proposal");
    if (!reason || !s_reason_ok(reason))
        return vl_err(err, VL_EINVAL, "a rejection needs a reason of 1..%u characters",
                      VL_MAX_REASON);
    if (!(hdr = vl_wr_new())) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_wr_map(hdr, 8);
    vl_wr_cstr(hdr, "approver");
    vl_wr_bin(hdr, vl_keypair_pk(approver), VL_PK_LEN);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, vl_policy_net(pol), VL_NETID_LEN);
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, vl_policy_version(pol));
    vl_wr_cstr(hdr, "prop");
    vl_wr_bin(hdr, prop_id, VL_HASH_LEN);
    vl_wr_cstr(hdr, "reason");
    vl_wr_cstr(hdr, reason);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "rejection");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, VL_REJECTION_FORMAT);
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    rc = vl_envelope_seal(S_TAG, vl_wr_data(hdr), vl_wr_len(hdr), approver, out, out_len);
out:
    vl_wr_destroy(&hdr);
    return rc;
}

void
vl_rejection_destroy(vl_rejection_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
vl_rejection_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len,
                   vl_rejection_t **out, char *err)
{
    int rc;
    vl_envelope_t env = { 0 };
    vl_rejection_t *self = NULL;
    uint8_t net[VL_NETID_LEN];
    *out = NULL;
    if ((rc = vl_envelope_open(&env, buf, len, 0, VL_MAX_DOC, "rejection", err)) != VL_OK)
        goto out;
    vl_val_t hdr = env.hdr;
    uint64_t v;
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_val_map_keys(hdr, s_hdr_keys, NULL, "rejection", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "rejection", "rejection", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "v", &v, "rejection", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "approver", self->approver, VL_PK_LEN, "rejection",
                                 err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "net", net, sizeof net, "rejection", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "policy", &self->policy, "rejection", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prop", self->prop_id, VL_HASH_LEN, "rejection", err)) !=
            VL_OK ||
        (rc = vl_field_str(hdr, "reason", self->reason, sizeof self->reason, "rejection",
                           err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "time", &self->time, "rejection", err)) != VL_OK)
        goto out;
    if (v != VL_REJECTION_FORMAT || memcmp(net, vl_policy_net(pol), VL_NETID_LEN) != 0 || self->policy == 0 ||
        self->policy > vl_policy_version(pol)) {
        rc = vl_err(err, VL_EPROTO, "rejection: wrong version, network or policy");
        goto out;
    }
    if (!s_reason_ok(self->reason)) {
        rc = vl_err(err, VL_EPROTO, "rejection: the reason holds control characters");
        goto out;
    }
    if (!(vl_policy_roles(pol, self->approver) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "rejection signed by a key that is not an approver");
        goto out;
    }
    if (vl_envelope_verify(&env, S_TAG, self->approver) != VL_OK) {
        rc = vl_err(err, VL_EAUTH, "rejection: bad signature");
        goto out;
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_rejection_destroy(&self);
    vl_envelope_close(&env);
    return rc;
}

const uint8_t *vl_rejection_proposal(const vl_rejection_t *self) { return self->prop_id; }
const uint8_t *vl_rejection_approver(const vl_rejection_t *self) { return self->approver; }
const char *vl_rejection_reason(const vl_rejection_t *self) { return self->reason; }
uint64_t vl_rejection_time(const vl_rejection_t *self) { return self->time; }
