/* SPDX-License-Identifier: MIT */
/*
 * vl_fresh - freshness statements (docs/trust.md §3): make and verify.
 *
 * Decoding order for hostile bytes: the size (<= VL_FRESH_MAX); the signed
 * envelope {"hdr", "sig"} through vl_envelope (canonical, depth 1); the
 * header's exact key set; every field's type
 * and size, "type" and "v"; the times; then against the policy: network,
 * policy version, the signer is cur's fresh key; the signature last. Only
 * then is the content copied out.
 */
#include "vl_fresh.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_envelope.h"
#include "vl_fields.h"

/* Domain tag of the signed digest: H(tag, hdr). */
#define S_TAG "valise/fresh/1"
/* Both the document and its header are flat maps. */
#define S_DEPTH 1u

static const char *const s_hdr_keys[] = { "expires", "head", "issued", "net", "node",
                                          "policy", "seq", "type", "v", NULL };

/* issued < expires <= issued + VL_FRESH_MAX_TTL, without overflow. */
static bool
s_times_ok(uint64_t issued, uint64_t expires)
{
    return expires > issued && expires - issued <= VL_FRESH_MAX_TTL;
}

/* Encode and sign; the caller has checked the content. */
static int
s_write(const vl_fresh_t *f, const vl_keypair_t *kp, uint8_t **out, size_t *len)
{
    int rc;
    vl_wr_t *hdr = vl_wr_new();
    if (!hdr) {
        rc = VL_ENOMEM;
        goto out;
    }
    /* Keys in canonical order (bytewise, shorter prefix first). */
    vl_wr_map(hdr, 9);
    vl_wr_cstr(hdr, "expires");
    vl_wr_uint(hdr, f->expires);
    vl_wr_cstr(hdr, "head");
    vl_wr_bin(hdr, f->head, VL_HASH_LEN);
    vl_wr_cstr(hdr, "issued");
    vl_wr_uint(hdr, f->issued);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, f->net, VL_NETID_LEN);
    vl_wr_cstr(hdr, "node");
    vl_wr_bin(hdr, f->node, VL_PK_LEN);
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, f->policy);
    vl_wr_cstr(hdr, "seq");
    vl_wr_uint(hdr, f->seq);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "fresh");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, VL_FRESH_FORMAT);
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    rc = vl_envelope_seal(S_TAG, vl_wr_data(hdr), vl_wr_len(hdr), kp, out, len);
out:
    vl_wr_destroy(&hdr);
    return rc;
}

int
vl_fresh_make(const vl_fresh_t *f, const vl_keypair_t *kp, uint8_t **out, size_t *len,
              char *err)
{
    assert(f && kp && out && len);
    *out = NULL;
    *len = 0;
    if (memcmp(f->node, vl_keypair_pk(kp), VL_PK_LEN) != 0)
        return vl_err(err, VL_EINVAL, "fresh: the node key is not the signing key");
    if (f->policy == 0)
        return vl_err(err, VL_EINVAL, "fresh: policy version 0 (versions start at 1)");
    if (!s_times_ok(f->issued, f->expires))
        return vl_err(err, VL_EINVAL,
                      "fresh: expires must be after issued and at most %u s later",
                      VL_FRESH_MAX_TTL);
    int rc = s_write(f, kp, out, len);
    if (rc != VL_OK)
        return vl_err(err, rc, "fresh: %s", vl_strerror(rc));
    if (*len > VL_FRESH_MAX) { /* cannot happen: about 250 bytes at most */
        free(*out);
        *out = NULL;
        *len = 0;
        return vl_err(err, VL_ELIMIT, "fresh: statement over %u bytes", VL_FRESH_MAX);
    }
    return VL_OK;
}

int
vl_fresh_parse(const vl_policy_t *cur, const uint8_t *buf, size_t len, vl_fresh_t *out,
               char *err)
{
    int rc;
    vl_envelope_t env = { 0 };
    vl_fresh_t f;
    assert(cur);
    assert(buf || len == 0);
    memset(&f, 0, sizeof f);
    if (out)
        memset(out, 0, sizeof *out);
    if (len > VL_FRESH_MAX) {
        rc = vl_err(err, VL_ELIMIT, "fresh: statement of %zu bytes, limit %u", len,
                    VL_FRESH_MAX);
        goto out;
    }
    if ((rc = vl_envelope_open(&env, buf, len, S_DEPTH, VL_FRESH_MAX, "fresh", err)) != VL_OK)
        goto out;
    vl_val_t hdr = env.hdr;
    uint64_t v;
    if ((rc = vl_val_map_keys(hdr, s_hdr_keys, NULL, "fresh", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "fresh", "fresh", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "v", &v, "fresh", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "expires", &f.expires, "fresh", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "head", f.head, VL_HASH_LEN, "fresh", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "issued", &f.issued, "fresh", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "net", f.net, VL_NETID_LEN, "fresh", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "node", f.node, VL_PK_LEN, "fresh", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "policy", &f.policy, "fresh", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "seq", &f.seq, "fresh", err)) != VL_OK)
        goto out;
    if (v != VL_FRESH_FORMAT) {
        rc = vl_err(err, VL_EPROTO, "fresh: format version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    if (f.policy == 0) {
        rc = vl_err(err, VL_EPROTO, "fresh: policy version 0 (versions start at 1)");
        goto out;
    }
    if (!s_times_ok(f.issued, f.expires)) {
        rc = vl_err(err, VL_EPROTO,
                    "fresh: expires must be after issued and at most %u s later",
                    VL_FRESH_MAX_TTL);
        goto out;
    }
    if (memcmp(f.net, vl_policy_net(cur), VL_NETID_LEN) != 0) {
        rc = vl_err(err, VL_ECHAIN, "fresh: statement of another network");
        goto out;
    }
    if (f.policy > vl_policy_version(cur)) {
        rc = vl_err(err, VL_ENOTFOUND,
                    "fresh: made under policy version %llu, we are at %llu: adopt it first",
                    (unsigned long long)f.policy,
                    (unsigned long long)vl_policy_version(cur));
        goto out;
    }
    const uint8_t *fk = vl_policy_fresh(cur);
    if (!fk) {
        rc = vl_err(err, VL_EPERM, "fresh: the policy names no freshness key");
        goto out;
    }
    if (memcmp(f.node, fk, VL_PK_LEN) != 0) {
        rc = vl_err(err, VL_EPERM, "fresh: signed by a node that is not the policy's "
                                   "freshness key");
        goto out;
    }
    if (vl_envelope_verify(&env, S_TAG, f.node) != VL_OK) {
        rc = vl_err(err, VL_EAUTH, "fresh: bad signature");
        goto out;
    }
    if (out)
        *out = f;
    rc = VL_OK;
out:
    vl_envelope_close(&env);
    return rc;
}
