/* SPDX-License-Identifier: MIT */
/*
 * vl_vectors_v2 - the proposal format 2 vectors of docs/formats.md §10
 * (format: §5), made on the network of the existing vector file and
 * appended to it: the MU authority's proposal of record.body (MU-01, a new
 * record) at time 1700000500, whose sealed plaintext is one zstd frame of
 * the payload. Printed beside the signed parts: prop2.sealed (the frame the
 * AEAD seals) and prop2.payload (the version 1 payload it decompresses to).
 * Test code only.
 */
#include <stdlib.h>
#include <string.h>

#include "vl_change.h"
#include "vl_codec.h"
#include "vl_compress.h"
#include "vl_crypto.h"
#include "vl_fields.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_vectors.h"

/* The sealed frame and its payload: decrypt prop's ciphertext with the
 * content key and the nonce of its header. */
static int
s_sealed(const uint8_t *doc, size_t len, const uint8_t *ck, uint8_t **sealed, size_t *sl,
         uint64_t *v)
{
    vl_doc_t *d = NULL, *h = NULL;
    const uint8_t *hb, *ct, *nonce;
    size_t hl, ctl, nl;
    int rc = VL_EPROTO;
    *sealed = NULL;
    if (vl_doc_parse(doc, len, 0, &d, NULL) != VL_OK ||
        vl_val_bin(vl_val_get(vl_doc_root(d), "hdr"), &hb, &hl) != VL_OK ||
        vl_val_bin(vl_val_get(vl_doc_root(d), "ct"), &ct, &ctl) != VL_OK || ctl < VL_MAC_LEN ||
        vl_doc_parse(hb, hl, 0, &h, NULL) != VL_OK ||
        vl_val_bin(vl_val_get(vl_doc_root(h), "nonce"), &nonce, &nl) != VL_OK ||
        nl != VL_NONCE_LEN || vl_val_uint(vl_val_get(vl_doc_root(h), "v"), v) != VL_OK)
        goto out;
    *sl = ctl - VL_MAC_LEN;
    if (!(*sealed = malloc(*sl ? *sl : 1))) {
        rc = VL_ENOMEM;
        goto out;
    }
    rc = vl_aead_decrypt(ck, nonce, hb, hl, ct, ctl, *sealed);
out:
    if (rc != VL_OK) {
        free(*sealed);
        *sealed = NULL;
    }
    vl_doc_destroy(&h);
    vl_doc_destroy(&d);
    return rc;
}

int
vlv_generate_v2(const char *path)
{
    vlv_net_t n;
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *body = NULL, *prop = NULL, *sealed = NULL, *payload = NULL;
    size_t bl = 0, pl = 0, sl = 0, yl = 0;
    uint64_t v = 0;
    vl_record_t *rec = NULL;
    vl_op_t op;
    int rc = 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    if (vlv_net(f, &n) != VL_OK || !(body = s_get(f, "record.body", &bl))) {
        snprintf(err, sizeof err, "the vector file lacks the genesis, keys or record.body");
        goto out;
    }
    const uint8_t *bodies[1] = { body };
    size_t lens[1] = { bl };
    if (vl_record_parse(body, bl, &rec, err) != VL_OK ||
        vl_op_from_record(&op, rec, 0) != VL_OK ||
        vl_proposal_make(n.pol, n.mu, n.ck, 1700000500, &op, bodies, lens, 1, &prop, &pl,
                         err) != VL_OK ||
        s_sealed(prop, pl, n.ck, &sealed, &sl, &v) != VL_OK || v != 2 ||
        vl_zstd_decompress(sealed, sl, VL_MAX_PAYLOAD, &payload, &yl, err) != VL_OK)
        goto out;
    printf("# proposal format 2 (docs/formats.md §5), appended: the MU authority's proposal of\n"
           "# record.body (MU-01, new) whose sealed plaintext is one zstd frame (prop2.sealed)\n"
           "# of the payload (prop2.payload)\n");
    if (s_sigs("prop2", prop, pl, "valise/proposal/1") != 0)
        goto out;
    s_hexline("prop2.sealed", sealed, sl);
    s_hexline("prop2.payload", payload, yl);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "vl_vectors --generate-v2: %s\n", err[0] ? err : "failed");
    vl_record_destroy(&rec);
    vl_zstd_free(&payload, yl);
    free(sealed);
    free(prop);
    free(body);
    vlv_net_fini(&n);
    fclose(f);
    return rc;
}

int
vlv_check_v2(FILE *f)
{
    vlv_net_t n;
    char err[VL_ERRMSG_MAX] = "";
    size_t bl = 0, pl = 0, sl = 0, wl = 0, yl = 0, zl = 0;
    uint8_t *body = s_get(f, "record.body", &bl), *prop = s_get(f, "prop2.doc", &pl);
    uint8_t *want_sealed = s_get(f, "prop2.sealed", &wl), *want_pay = s_get(f, "prop2.payload", &yl);
    uint8_t *sealed = NULL, *payload = NULL, *mine = NULL;
    uint64_t v = 0;
    vl_proposal_t *p = NULL;
    vl_wr_t *w = NULL;
    int fails = 0;
    if (vlv_net(f, &n) != VL_OK || !body || !prop || !want_sealed || !want_pay) {
        fprintf(stderr, "prop2: the vector file lacks a vector\n");
        fails++;
        goto out;
    }
    /* valise's reader: signature, then open (frame checks, schema). */
    if (vl_proposal_parse(n.pol, prop, pl, &p, err) != VL_OK ||
        vl_proposal_open(p, n.ck, err) != VL_OK) {
        fprintf(stderr, "prop2: %s\n", err);
        fails++;
        goto out;
    }
    size_t rl = 0;
    const uint8_t *rb = vl_record_body(vl_proposal_record(p, 0), &rl);
    if (rl != bl || memcmp(rb, body, bl) != 0) {
        fprintf(stderr, "prop2: the opened body is not record.body\n");
        fails++;
    }
    /* Format 2, sealed = the listed frame, which is a zstd frame of the
     * listed payload, which is [bin record.body]. */
    if (s_sealed(prop, pl, n.ck, &sealed, &sl, &v) != VL_OK || v != 2 || sl != wl ||
        memcmp(sealed, want_sealed, wl) != 0 || sl < 4 ||
        memcmp(sealed, "\x28\xb5\x2f\xfd", 4) != 0) {
        fprintf(stderr, "prop2: not format 2, or the sealed frame differs from prop2.sealed\n");
        fails++;
    } else if (vl_zstd_decompress(sealed, sl, VL_MAX_PAYLOAD, &payload, &zl, err) != VL_OK ||
               zl != yl || memcmp(payload, want_pay, yl) != 0) {
        fprintf(stderr, "prop2: the frame does not decompress to prop2.payload %s\n", err);
        fails++;
    }
    size_t ml = 0;
    if ((w = vl_wr_new())) {
        vl_wr_array(w, 1);
        vl_wr_bin(w, body, bl);
    }
    if (!w || vl_wr_dup(w, &mine, &ml) != VL_OK || ml != yl || memcmp(mine, want_pay, yl) != 0) {
        fprintf(stderr, "prop2: prop2.payload is not the array [bin record.body]\n");
        fails++;
    }
    /* A flipped bit in the ciphertext is refused. */
    vl_proposal_destroy(&p);
    prop[pl - 80] ^= 0x01;
    if (vl_proposal_parse(n.pol, prop, pl, &p, NULL) == VL_OK &&
        vl_proposal_open(p, n.ck, NULL) == VL_OK) {
        fprintf(stderr, "prop2: a flipped bit was accepted\n");
        fails++;
    }
out:
    vl_proposal_destroy(&p);
    vl_wr_destroy(&w);
    free(mine);
    vl_zstd_free(&payload, zl);
    free(sealed);
    free(want_sealed);
    free(want_pay);
    free(prop);
    free(body);
    vlv_net_fini(&n);
    return fails;
}
