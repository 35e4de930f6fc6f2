/* SPDX-License-Identifier: MIT */
/*
 * vl_proposal - proposals: make, verify, open (contract in vl_proposal.h).
 *
 * Decoding order for hostile bytes: outer document {"ct", "hdr", "sig"}
 * through vl_codec; header through vl_codec; fields checked; the author is
 * looked up in the policy and its role and States checked for every op; the
 * signature verified; only then are the operations trusted. Bodies are
 * decrypted only on request (open), after the signature check. The
 * signature covers the header and ciphertext as they are, so a version 1
 * proposal (bodies sealed as they are) and a version 2 one (sealed as one
 * zstd frame) verify alike; only open differs.
 */
#include "vl_proposal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_change_int.h"
#include "vl_codec.h"
#include "vl_compress.h"
#include "vl_fields.h"

/* Structure of our class */
struct vl_proposal {
    uint8_t *bytes;             /* whole document */
    size_t len;
    uint8_t *hdr;               /* copy of the header bytes (AEAD associated data) */
    size_t hdr_len;
    uint8_t *ct;                /* copy of the ciphertext */
    size_t ct_len;
    uint8_t id[VL_HASH_LEN];    /* H("valise/proposal/1", lp(hdr) || ct) */
    uint8_t author[VL_PK_LEN];
    uint8_t nonce[VL_NONCE_LEN];
    uint64_t time;
    uint64_t policy;            /* policy version it was made under */
    uint32_t epoch;             /* content-key epoch */
    unsigned v;                 /* format version: 1 plain payload, 2 one zstd frame */
    size_t nops;
    vl_op_t *ops;
    vl_record_t **recs;         /* after open: one per op, NULL for deletes */
    bool opened;
};

static const char *const s_prop_keys[] = { "ct", "hdr", "sig", NULL };
static const char *const s_prop_hdr_keys[] = { "author", "epoch", "net", "nonce", "ops",
                                               "policy", "time", "type", "v", NULL };
static const char *const s_op_keys[] = { "base", "del", "id", "kind", "states", NULL };

static void *
s_memdup(const void *p, size_t len)
{
    void *q = malloc(len ? len : 1);
    if (q && len)
        memcpy(q, p, len);
    return q;
}

static void
s_proposal_digest(const uint8_t *hdr, size_t hdr_len, const uint8_t *ct, size_t ct_len,
                  uint8_t id[VL_HASH_LEN])
{
    vl_hash_t h;
    vl_hash_init(&h, "valise/proposal/1");
    vl_hash_lp(&h, hdr, hdr_len);
    vl_hash_update(&h, ct, ct_len);
    vl_hash_final(&h, id);
}

/* The author may act on an op: a member with the approver role (any
 * record), or an authority bound to every State of the record. */
static int
s_authorized(const vl_policy_t *pol, const uint8_t author[VL_PK_LEN], const vl_op_t *op,
             char *err)
{
    char kid[2 * VL_KID_LEN + 1];
    unsigned roles = vl_policy_roles(pol, author);
    vl_kid(author, kid);
    if (roles == 0)
        return vl_err(err, VL_EPERM, "unknown key %s: not a member of network \"%s\"", kid,
                      vl_policy_name(pol));
    if (roles == VL_ROLE_READER)
        return vl_err(err, VL_EPERM, "key %s (%s) is a reader: a reader key may not propose",
                      kid, vl_policy_member_name(pol, author));
    if (!(roles & (VL_ROLE_APPROVER | VL_ROLE_AUTHORITY)))
        return vl_err(err, VL_EPERM, "key %s (%s) is neither an authority nor an approver", kid,
                      vl_policy_member_name(pol, author));
    for (size_t s = 0; s < op->nstates; s++)
        if (!vl_policy_may_edit(pol, author, op->states[s]))
            return vl_err(err, VL_EPERM, "%s (key %s) may not edit records of %s (record %s)",
                          vl_policy_member_name(pol, author), kid, op->states[s], op->id);
    return VL_OK;
}

int
vl_op_from_record(vl_op_t *op, const vl_record_t *rec, uint64_t base)
{
    memset(op, 0, sizeof *op);
    const char *id = vl_record_id(rec);
    if (strlen(id) > VL_MAX_ID || vl_record_nstates(rec) > VL_MAX_STATES)
        return VL_ELIMIT;
    strcpy(op->id, id);
    op->kind = vl_record_kind(rec);
    op->base = base;
    op->nstates = vl_record_nstates(rec);
    for (size_t i = 0; i < op->nstates; i++) {
        memcpy(op->states[i], vl_record_state(rec, i), VL_STATE_LEN);
        op->states[i][VL_STATE_LEN] = '\0';
    }
    return VL_OK;
}

/* A put body must be the record the op header announces. */
static int
s_body_matches(const vl_op_t *op, const vl_record_t *rec, size_t i, char *err)
{
    if (strcmp(vl_record_id(rec), op->id) != 0)
        return vl_err(err, VL_EPROTO, "op %zu: body is record %s, header says %s", i,
                      vl_record_id(rec), op->id);
    if (vl_record_kind(rec) != op->kind)
        return vl_err(err, VL_EPROTO, "op %zu (%s): body kind differs from header", i, op->id);
    if (vl_record_nstates(rec) != op->nstates)
        return vl_err(err, VL_EPROTO, "op %zu (%s): body States differ from header", i, op->id);
    for (size_t s = 0; s < op->nstates; s++)
        if (strcmp(vl_record_state(rec, s), op->states[s]) != 0)
            return vl_err(err, VL_EPROTO, "op %zu (%s): body States differ from header", i,
                          op->id);
    return VL_OK;
}

/* ======================================================================== */
/* Proposals                                                                */
/* ======================================================================== */

/* Encode, encrypt and sign, without the authorization checks. */
int
vl_proposal_build(const vl_policy_t *pol, const vl_keypair_t *author,
                  const uint8_t ckey[VL_KEY_LEN], uint64_t now, const vl_op_t *ops,
                  const uint8_t *const *bodies, const size_t *lens, size_t nops, uint8_t **out,
                  size_t *out_len, char *err)
{
    int rc = VL_EINVAL;
    vl_wr_t *hdr = NULL, *pl = NULL, *doc = NULL;
    uint8_t *ct = NULL, *frame = NULL;
    size_t frame_len = 0;
    *out = NULL;
    *out_len = 0;
    hdr = vl_wr_new();
    pl = vl_wr_new();
    doc = vl_wr_new();
    if (!hdr || !pl || !doc) {
        rc = VL_ENOMEM;
        goto out;
    }
    uint8_t nonce[VL_NONCE_LEN];
    vl_random(nonce, sizeof nonce);
    vl_wr_map(hdr, 9);
    vl_wr_cstr(hdr, "author");
    vl_wr_bin(hdr, vl_keypair_pk(author), VL_PK_LEN);
    vl_wr_cstr(hdr, "epoch");
    vl_wr_uint(hdr, vl_policy_epoch(pol));
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, vl_policy_net(pol), VL_NETID_LEN);
    vl_wr_cstr(hdr, "nonce");
    vl_wr_bin(hdr, nonce, sizeof nonce);
    vl_wr_cstr(hdr, "ops");
    vl_wr_array(hdr, (uint32_t)nops);
    for (size_t i = 0; i < nops; i++) {
        vl_wr_map(hdr, 5);
        vl_wr_cstr(hdr, "base");
        vl_wr_uint(hdr, ops[i].base);
        vl_wr_cstr(hdr, "del");
        vl_wr_bool(hdr, ops[i].del);
        vl_wr_cstr(hdr, "id");
        vl_wr_cstr(hdr, ops[i].id);
        vl_wr_cstr(hdr, "kind");
        vl_wr_cstr(hdr, vl_kind_name(ops[i].kind));
        vl_wr_cstr(hdr, "states");
        vl_wr_array(hdr, (uint32_t)ops[i].nstates);
        for (size_t s = 0; s < ops[i].nstates; s++)
            vl_wr_cstr(hdr, ops[i].states[s]);
    }
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, vl_policy_version(pol));
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "proposal");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, VL_PROPOSAL_FORMAT);

    vl_wr_array(pl, (uint32_t)nops);
    for (size_t i = 0; i < nops; i++) {
        if (bodies[i])
            vl_wr_bin(pl, bodies[i], lens[i]);
        else
            vl_wr_nil(pl);
    }
    if ((rc = vl_wr_status(hdr)) != VL_OK || (rc = vl_wr_status(pl)) != VL_OK) {
        rc = vl_err(err, rc, "proposal too large");
        goto out;
    }
    if (vl_wr_len(pl) > VL_MAX_PAYLOAD) {
        rc = vl_err(err, VL_ELIMIT, "proposal bodies exceed %u bytes", VL_MAX_PAYLOAD);
        goto out;
    }
    if ((rc = vl_zstd_compress(vl_wr_data(pl), vl_wr_len(pl), &frame, &frame_len)) != VL_OK) {
        rc = vl_err(err, rc, "proposal bodies: compression failed");
        goto out;
    }
    size_t ct_len = frame_len + VL_MAC_LEN;
    if (!(ct = malloc(ct_len))) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_aead_encrypt(ckey, nonce, vl_wr_data(hdr), vl_wr_len(hdr), frame, frame_len, ct);
    uint8_t id[VL_HASH_LEN], sig[VL_SIG_LEN];
    s_proposal_digest(vl_wr_data(hdr), vl_wr_len(hdr), ct, ct_len, id);
    vl_sign(author, id, sig);
    vl_wr_map(doc, 3);
    vl_wr_cstr(doc, "ct");
    vl_wr_bin(doc, ct, ct_len);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "sig");
    vl_wr_bin(doc, sig, sizeof sig);
    rc = vl_wr_dup(doc, out, out_len);
out:
    free(ct);
    vl_zstd_free(&frame, frame_len);
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&pl); /* wipes the plaintext bodies */
    vl_wr_destroy(&doc);
    return rc;
}

int
vl_proposal_make(const vl_policy_t *pol, const vl_keypair_t *author,
                 const uint8_t ckey[VL_KEY_LEN], uint64_t now, const vl_op_t *ops,
                 const uint8_t *const *bodies, const size_t *lens, size_t nops, uint8_t **out,
                 size_t *out_len, char *err)
{
    int rc = VL_EINVAL;
    vl_record_t *rec = NULL;
    *out = NULL;
    *out_len = 0;

    if (nops == 0 || nops > VL_MAX_OPS) {
        rc = vl_err(err, VL_EINVAL, "a proposal holds 1..%u operations", VL_MAX_OPS);
        goto out;
    }
    for (size_t i = 0; i < nops; i++) {
        if ((rc = s_authorized(pol, vl_keypair_pk(author), &ops[i], err)) != VL_OK)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ops[i].id, ops[j].id) == 0) {
                rc = vl_err(err, VL_EINVAL, "record %s appears twice in one proposal", ops[i].id);
                goto out;
            }
        if (ops[i].del != (bodies[i] == NULL)) {
            rc = vl_err(err, VL_EINVAL, "op %zu: a put needs a body, a delete has none", i);
            goto out;
        }
        if (bodies[i]) {
            if ((rc = vl_record_parse(bodies[i], lens[i], &rec, err)) != VL_OK ||
                (rc = s_body_matches(&ops[i], rec, i, err)) != VL_OK)
                goto out;
            vl_record_destroy(&rec);
        }
    }
    rc = vl_proposal_build(pol, author, ckey, now, ops, bodies, lens, nops, out, out_len, err);
out:
    vl_record_destroy(&rec);
    return rc;
}

void
vl_proposal_destroy(vl_proposal_t **self_p)
{
    assert(self_p);
    vl_proposal_t *self = *self_p;
    if (self) {
        if (self->recs)
            for (size_t i = 0; i < self->nops; i++)
                vl_record_destroy(&self->recs[i]);
        free(self->recs);
        free(self->ops);
        free(self->ct);
        free(self->hdr);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

static int
s_parse_op(vl_val_t v, vl_op_t *op, size_t i, char *err)
{
    char what[48];
    int rc;
    snprintf(what, sizeof what, "proposal.ops[%zu]", i);
    memset(op, 0, sizeof *op);
    if ((rc = vl_val_map_keys(v, s_op_keys, NULL, what, err)) != VL_OK ||
        (rc = vl_field_uint(v, "base", &op->base, what, err)) != VL_OK ||
        (rc = vl_field_bool(v, "del", &op->del, what, err)) != VL_OK ||
        (rc = vl_field_str(v, "id", op->id, sizeof op->id, what, err)) != VL_OK)
        return rc;
    if (!vl_record_id_valid(op->id, strlen(op->id)))
        return vl_err(err, VL_EPROTO, "%s.id: not a valid record id", what);
    char kind[16];
    if ((rc = vl_field_str(v, "kind", kind, sizeof kind, what, err)) != VL_OK)
        return rc;
    if ((op->kind = vl_kind_parse(kind)) == VL_KIND_NONE)
        return vl_err(err, VL_EPROTO, "%s.kind: unknown kind", what);
    vl_val_t st;
    if ((rc = vl_field_array(v, "states", &st, 1, VL_MAX_STATES, what, err)) != VL_OK)
        return rc;
    op->nstates = vl_val_len(st);
    for (size_t s = 0; s < op->nstates; s++) {
        const char *p;
        size_t len;
        if (vl_val_str(vl_val_at(st, (uint32_t)s), &p, &len) != VL_OK ||
            !vl_state_valid(p, len))
            return vl_err(err, VL_EPROTO, "%s.states[%zu]: not a State code", what, s);
        memcpy(op->states[s], p, VL_STATE_LEN);
        op->states[s][VL_STATE_LEN] = '\0';
    }
    if (op->del && op->base == 0)
        return vl_err(err, VL_EPROTO, "%s: a delete needs a base revision", what);
    return VL_OK;
}

int
vl_proposal_decode(const vl_policy_t *pol, const uint8_t *buf, size_t len, bool verify_sig,
                   vl_proposal_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_proposal_t *self = NULL;
    *out = NULL;

    if (len > VL_MAX_ENTRY) {
        rc = vl_err(err, VL_ELIMIT, "proposal of %zu bytes exceeds %u", len, VL_MAX_ENTRY);
        goto out;
    }
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb, *ct;
    size_t hlen, ctlen;
    uint8_t sig[VL_SIG_LEN];
    if ((rc = vl_val_map_keys(root, s_prop_keys, NULL, "proposal document", err)) != VL_OK ||
        (rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "proposal", err)) != VL_OK ||
        (rc = vl_field_bin(root, "ct", &ct, &ctlen, VL_MAX_DOC, "proposal", err)) != VL_OK ||
        (rc = vl_field_bin_exact(root, "sig", sig, sizeof sig, "proposal", err)) != VL_OK)
        goto out;
    if (ctlen < VL_MAC_LEN) {
        rc = vl_err(err, VL_EPROTO, "proposal.ct: shorter than its tag");
        goto out;
    }
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    uint64_t v, epoch;
    uint8_t net[VL_NETID_LEN];
    if ((rc = vl_val_map_keys(hdr, s_prop_hdr_keys, NULL, "proposal", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "proposal", "proposal", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "v", &v, "proposal", err)) != VL_OK)
        goto out;
    if (v != VL_PROPOSAL_FORMAT_PLAIN && v != VL_PROPOSAL_FORMAT) {
        rc = vl_err(err, VL_EPROTO, "proposal: format version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    /* A version 2 ciphertext holds one frame of at most VL_MAX_ZFRAME bytes:
     * refused before any key is needed, so that a relay drops it too. */
    if (v == VL_PROPOSAL_FORMAT && ctlen - VL_MAC_LEN > VL_MAX_ZFRAME) {
        rc = vl_err(err, VL_ELIMIT, "proposal.ct: frame of %zu bytes, limit %u",
                    ctlen - VL_MAC_LEN, VL_MAX_ZFRAME);
        goto out;
    }
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->v = (unsigned)v;
    vl_val_t ops;
    if ((rc = vl_field_bin_exact(hdr, "author", self->author, VL_PK_LEN, "proposal", err)) !=
            VL_OK ||
        (rc = vl_field_uint(hdr, "epoch", &epoch, "proposal", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "net", net, sizeof net, "proposal", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "nonce", self->nonce, VL_NONCE_LEN, "proposal", err)) !=
            VL_OK ||
        (rc = vl_field_uint(hdr, "policy", &self->policy, "proposal", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "time", &self->time, "proposal", err)) != VL_OK ||
        (rc = vl_field_array(hdr, "ops", &ops, 1, VL_MAX_OPS, "proposal", err)) != VL_OK)
        goto out;
    if (memcmp(net, vl_policy_net(pol), VL_NETID_LEN) != 0) {
        rc = vl_err(err, VL_EPERM, "proposal belongs to another network");
        goto out;
    }
    if (self->policy == 0 || self->policy > vl_policy_version(pol) || epoch > UINT32_MAX) {
        rc = vl_err(err, VL_EPROTO, "proposal names policy version %llu, epoch %llu: unknown",
                    (unsigned long long)self->policy, (unsigned long long)epoch);
        goto out;
    }
    self->epoch = (uint32_t)epoch;
    self->nops = vl_val_len(ops);
    if (!(self->ops = calloc(self->nops, sizeof(vl_op_t)))) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < self->nops; i++) {
        if ((rc = s_parse_op(vl_val_at(ops, (uint32_t)i), &self->ops[i], i, err)) != VL_OK)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(self->ops[i].id, self->ops[j].id) == 0) {
                rc = vl_err(err, VL_EPROTO, "proposal: record %s appears twice",
                            self->ops[i].id);
                goto out;
            }
    }
    /* Who signed, and may they? Then the signature itself. */
    for (size_t i = 0; i < self->nops; i++)
        if ((rc = s_authorized(pol, self->author, &self->ops[i], err)) != VL_OK)
            goto out;
    s_proposal_digest(hb, hlen, ct, ctlen, self->id);
    if (verify_sig && vl_verify(self->author, self->id, sig) != VL_OK) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(self->author, kid);
        rc = vl_err(err, VL_EAUTH, "proposal: bad signature by %s", kid);
        goto out;
    }
    self->hdr = s_memdup(hb, hlen);
    self->ct = s_memdup(ct, ctlen);
    self->bytes = s_memdup(buf, len);
    if (!self->hdr || !self->ct || !self->bytes) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->hdr_len = hlen;
    self->ct_len = ctlen;
    self->len = len;
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_proposal_destroy(&self);
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_proposal_peek_author(const uint8_t *buf, size_t len, uint8_t author[VL_PK_LEN], char *err)
{
    int rc;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    const uint8_t *hb;
    size_t hlen;
    assert(author);
    assert(buf || len == 0);
    memset(author, 0, VL_PK_LEN);
    if (len > VL_MAX_ENTRY)
        return vl_err(err, VL_ELIMIT, "proposal of %zu bytes exceeds %u", len, VL_MAX_ENTRY);
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(root, s_prop_keys, NULL, "proposal document", err)) != VL_OK ||
        (rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "proposal", err)) != VL_OK ||
        (rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    if ((rc = vl_val_map_keys(hdr, s_prop_hdr_keys, NULL, "proposal", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "proposal", "proposal", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "author", author, VL_PK_LEN, "proposal", err)) != VL_OK)
        memset(author, 0, VL_PK_LEN);
out:
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_proposal_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, vl_proposal_t **out,
                  char *err)
{
    return vl_proposal_decode(pol, buf, len, true, out, err);
}

const uint8_t *vl_proposal_id(const vl_proposal_t *self) { return self->id; }
const uint8_t *vl_proposal_author(const vl_proposal_t *self) { return self->author; }
uint64_t vl_proposal_time(const vl_proposal_t *self) { return self->time; }
uint32_t vl_proposal_epoch(const vl_proposal_t *self) { return self->epoch; }
size_t vl_proposal_nops(const vl_proposal_t *self) { return self->nops; }

const vl_op_t *
vl_proposal_op(const vl_proposal_t *self, size_t i)
{
    return i < self->nops ? &self->ops[i] : NULL;
}

const uint8_t *
vl_proposal_bytes(const vl_proposal_t *self, size_t *len)
{
    *len = self->len;
    return self->bytes;
}

const vl_record_t *
vl_proposal_record(const vl_proposal_t *self, size_t i)
{
    return (self->opened && i < self->nops) ? self->recs[i] : NULL;
}

int
vl_proposal_open(vl_proposal_t *self, const uint8_t ckey[VL_KEY_LEN], char *err)
{
    int rc = VL_EAUTH;
    uint8_t *pt = NULL, *body = NULL;
    size_t ptlen = self->ct_len - VL_MAC_LEN, body_len = 0;
    vl_doc_t *doc = NULL;
    vl_record_t **recs = NULL;

    if (self->opened)
        return VL_OK;
    /* A plain heap buffer wiped before free: sodium_malloc's guard pages cost
     * more than the whole decryption at replay rates. */
    if (!(pt = malloc(ptlen ? ptlen : 1)) || !(recs = calloc(self->nops, sizeof *recs))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_aead_decrypt(ckey, self->nonce, self->hdr, self->hdr_len, self->ct,
                              self->ct_len, pt)) != VL_OK) {
        rc = vl_err(err, rc, "proposal bodies do not decrypt: tampered, or another key");
        goto out;
    }
    /* Version 2: the plaintext is one zstd frame of the version 1 payload. */
    if (self->v == VL_PROPOSAL_FORMAT &&
        (rc = vl_zstd_decompress(pt, ptlen, VL_MAX_PAYLOAD, &body, &body_len, err)) != VL_OK)
        goto out;
    if ((rc = body ? vl_doc_parse(body, body_len, 0, &doc, err)
                   : vl_doc_parse(pt, ptlen, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t arr = vl_doc_root(doc);
    if (vl_val_type(arr) != VL_T_ARRAY || vl_val_len(arr) != self->nops) {
        rc = vl_err(err, VL_EPROTO, "proposal payload: want an array of %zu bodies", self->nops);
        goto out;
    }
    for (size_t i = 0; i < self->nops; i++) {
        vl_val_t b = vl_val_at(arr, (uint32_t)i);
        const uint8_t *p;
        size_t blen;
        if (self->ops[i].del) {
            if (vl_val_type(b) != VL_T_NIL) {
                rc = vl_err(err, VL_EPROTO, "op %zu: a delete carries a body", i);
                goto out;
            }
            continue;
        }
        if (vl_val_bin(b, &p, &blen) != VL_OK || blen > VL_MAX_RECORD) {
            rc = vl_err(err, VL_EPROTO, "op %zu: body missing or too large", i);
            goto out;
        }
        if ((rc = vl_record_parse(p, blen, &recs[i], err)) != VL_OK ||
            (rc = s_body_matches(&self->ops[i], recs[i], i, err)) != VL_OK)
            goto out;
    }
    self->recs = recs;
    recs = NULL;
    self->opened = true;
    rc = VL_OK;
out:
    if (recs) {
        for (size_t i = 0; i < self->nops; i++)
            vl_record_destroy(&recs[i]);
        free(recs);
    }
    vl_doc_destroy(&doc);
    vl_zstd_free(&body, body_len);
    if (pt) {
        sodium_memzero(pt, ptlen);
        free(pt);
    }
    return rc;
}

int
vl_proposal_check_existing(const vl_policy_t *pol, const vl_proposal_t *p, size_t i,
                           const vl_record_t *existing, char *err)
{
    if (i >= p->nops)
        return VL_EINVAL;
    const vl_op_t *op = &p->ops[i];
    if (!existing)
        return op->del ? vl_err(err, VL_EPROTO, "cannot delete %s: no such record", op->id)
                       : VL_OK;
    if (vl_record_kind(existing) != op->kind)
        return vl_err(err, VL_EPROTO, "record %s is a %s, the proposal says %s", op->id,
                      vl_kind_name(vl_record_kind(existing)), vl_kind_name(op->kind));
    vl_op_t cur;
    int rc = vl_op_from_record(&cur, existing, 0);
    if (rc != VL_OK)
        return rc;
    if ((rc = s_authorized(pol, p->author, &cur, err)) != VL_OK)
        return rc;
    if (op->del) {
        bool same = cur.nstates == op->nstates;
        for (size_t s = 0; same && s < cur.nstates; s++)
            same = strcmp(cur.states[s], op->states[s]) == 0;
        if (!same)
            return vl_err(err, VL_EPROTO, "delete of %s names other States than the record's",
                          op->id);
    }
    return VL_OK;
}
