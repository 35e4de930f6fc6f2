/* SPDX-License-Identifier: MIT */
/*
 * vl_envelope - encode, decode and verify the signed envelope
 * {"hdr": bin, "sig": bin64} (see vl_envelope.h), and peek at a header field
 * of any {"hdr": bin, ...} document.
 */
#include "vl_envelope.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_fields.h"

static const char *const s_keys[] = { "hdr", "sig", NULL };

int
vl_envelope_seal(const char *tag, const uint8_t *hdr, size_t hdr_len, const vl_keypair_t *kp,
                 uint8_t **out, size_t *out_len)
{
    int rc;
    vl_wr_t *doc = NULL;
    uint8_t digest[VL_HASH_LEN], sig[VL_SIG_LEN];
    assert(tag && hdr && kp && out && out_len);
    *out = NULL;
    *out_len = 0;
    if (!(doc = vl_wr_new())) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_hash(digest, tag, hdr, hdr_len);
    vl_sign(kp, digest, sig);
    vl_wr_map(doc, 2);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, hdr, hdr_len);
    vl_wr_cstr(doc, "sig");
    vl_wr_bin(doc, sig, sizeof sig);
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_wr_destroy(&doc);
    return rc;
}

int
vl_envelope_open(vl_envelope_t *env, const uint8_t *buf, size_t len, unsigned max_depth,
                 size_t hdr_max, const char *what, char *err)
{
    int rc;
    char docwhat[64];
    assert(env && what);
    memset(env, 0, sizeof *env);
    snprintf(docwhat, sizeof docwhat, "%s document", what);
    if ((rc = vl_doc_parse(buf, len, max_depth, &env->doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(env->doc);
    if ((rc = vl_val_map_keys(root, s_keys, NULL, docwhat, err)) != VL_OK ||
        (rc = vl_field_bin(root, "hdr", &env->hb, &env->hlen, hdr_max, what, err)) != VL_OK ||
        (rc = vl_field_bin_exact(root, "sig", env->sig, sizeof env->sig, what, err)) != VL_OK ||
        (rc = vl_doc_parse(env->hb, env->hlen, max_depth, &env->hdoc, err)) != VL_OK)
        goto out;
    env->hdr = vl_doc_root(env->hdoc);
    if (vl_val_type(env->hdr) != VL_T_MAP) {
        rc = vl_err(err, VL_EPROTO, "%s: header is not a map", what);
        goto out;
    }
    rc = VL_OK;
out:
    if (rc != VL_OK)
        vl_envelope_close(env);
    return rc;
}

int
vl_envelope_verify(const vl_envelope_t *env, const char *tag, const uint8_t pk[VL_PK_LEN])
{
    uint8_t digest[VL_HASH_LEN];
    assert(env && env->hdoc && tag && pk);
    vl_hash(digest, tag, env->hb, env->hlen);
    return vl_verify(pk, digest, env->sig) == VL_OK ? VL_OK : VL_EAUTH;
}

void
vl_envelope_close(vl_envelope_t *env)
{
    if (!env)
        return;
    vl_doc_destroy(&env->hdoc);
    vl_doc_destroy(&env->doc);
    memset(env, 0, sizeof *env);
}

int
vl_envelope_peek_uint(const uint8_t *buf, size_t len, const char *key, uint64_t *out,
                      char *err)
{
    vl_doc_t *doc = NULL, *hdr = NULL;
    const uint8_t *hb;
    size_t hlen;
    int rc;
    assert(key && out);
    *out = 0;
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    if (vl_val_bin(vl_val_get(vl_doc_root(doc), "hdr"), &hb, &hlen) != VL_OK) {
        rc = vl_err(err, VL_EPROTO, "document has no header");
        goto out;
    }
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdr, err)) != VL_OK ||
        (rc = vl_field_uint(vl_doc_root(hdr), key, out, "header", err)) != VL_OK)
        goto out;
out:
    vl_doc_destroy(&hdr);
    vl_doc_destroy(&doc);
    return rc;
}
