/* SPDX-License-Identifier: MIT */
/*
 * vl_change - proposals, log entries and rejections: make, sign, verify.
 *
 * Decoding order for hostile bytes: outer document through vl_codec; header
 * through vl_codec; fields checked; the signer is looked up in the policy
 * and its role checked; the signature verified; only then are the
 * operations trusted. Bodies are decrypted only on request (open), after
 * the signature check.
 */
#include "vl_change.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_codec.h"
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
    size_t nops;
    vl_op_t *ops;
    vl_record_t **recs;         /* after open: one per op, NULL for deletes */
    bool opened;
};

/* Structure of our class */
struct vl_entry {
    uint8_t *bytes;
    size_t len;
    uint8_t hash[VL_HASH_LEN];    /* H("valise/link/1", bytes): the chain link */
    uint8_t digest[VL_HASH_LEN];  /* H("valise/entry/1", hdr): what approvers sign */
    uint8_t prev[VL_HASH_LEN];
    uint8_t root[VL_HASH_LEN];
    uint8_t prop_id[VL_HASH_LEN];
    uint64_t seq, time, policy;
    size_t nsigs;
    uint8_t (*signers)[VL_PK_LEN];
    vl_proposal_t *prop;
};

/* Structure of our class */
struct vl_rejection {
    uint8_t prop_id[VL_HASH_LEN];
    uint8_t approver[VL_PK_LEN];
    uint64_t time, policy;
    char reason[VL_MAX_REASON + 1];
};

static const char *const s_prop_keys[] = { "ct", "hdr", "sig", NULL };
static const char *const s_prop_hdr_keys[] = { "author", "epoch", "net", "nonce", "ops",
                                               "policy", "time", "type", "v", NULL };
static const char *const s_op_keys[] = { "base", "del", "id", "kind", "states", NULL };
static const char *const s_entry_keys[] = { "hdr", "prop", "sigs", NULL };
static const char *const s_entry_hdr_keys[] = { "net", "policy", "prev", "prop", "root",
                                                "seq", "time", "type", "v", NULL };
static const char *const s_rej_keys[] = { "hdr", "sig", NULL };
static const char *const s_rej_hdr_keys[] = { "approver", "net", "policy", "prop", "reason",
                                              "time", "type", "v", NULL };

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

/* Encode, encrypt and sign, without the authorization checks (the
 * self-test uses it to forge proposals that parse must refuse). */
static int
s_proposal_build(const vl_policy_t *pol, const vl_keypair_t *author,
                 const uint8_t ckey[VL_KEY_LEN], uint64_t now, const vl_op_t *ops,
                 const uint8_t *const *bodies, const size_t *lens, size_t nops, uint8_t **out,
                 size_t *out_len, char *err)
{
    int rc = VL_EINVAL;
    vl_wr_t *hdr = NULL, *pl = NULL, *doc = NULL;
    uint8_t *ct = NULL;
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
    vl_wr_uint(hdr, 1);

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
    size_t ct_len = vl_wr_len(pl) + VL_MAC_LEN;
    if (!(ct = malloc(ct_len))) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_aead_encrypt(ckey, nonce, vl_wr_data(hdr), vl_wr_len(hdr), vl_wr_data(pl),
                    vl_wr_len(pl), ct);
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
    rc = s_proposal_build(pol, author, ckey, now, ops, bodies, lens, nops, out, out_len, err);
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

/* The proposal decoder. With verify_sig false everything is checked but the
 * author's signature itself (an entry parsed with VL_ENTRY_NO_SIGS: the
 * signature is audited later, the id still binds header and ciphertext). */
static int
s_proposal_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, bool verify_sig,
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
    if (v != 1) {
        rc = vl_err(err, VL_EPROTO, "proposal: format version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
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
vl_proposal_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, vl_proposal_t **out,
                  char *err)
{
    return s_proposal_parse(pol, buf, len, true, out, err);
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
    uint8_t *pt = NULL;
    size_t ptlen = self->ct_len - VL_MAC_LEN;
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
    if ((rc = vl_doc_parse(pt, ptlen, 0, &doc, err)) != VL_OK)
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

/* ======================================================================== */
/* Log entries                                                              */
/* ======================================================================== */

int
vl_entry_make(const vl_policy_t *pol, uint64_t seq, const uint8_t prev[VL_HASH_LEN],
              const uint8_t *prop, size_t prop_len, const uint8_t root[VL_HASH_LEN],
              uint64_t now, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_proposal_t *p = NULL;
    vl_wr_t *hdr = NULL, *doc = NULL;
    *out = NULL;
    *out_len = 0;
    if (seq == 0) {
        rc = vl_err(err, VL_EINVAL, "entries start at seq 1");
        goto out;
    }
    if ((rc = vl_proposal_parse(pol, prop, prop_len, &p, err)) != VL_OK)
        goto out;
    hdr = vl_wr_new();
    doc = vl_wr_new();
    if (!hdr || !doc) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_wr_map(hdr, 9);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, vl_policy_net(pol), VL_NETID_LEN);
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, vl_policy_version(pol));
    vl_wr_cstr(hdr, "prev");
    vl_wr_bin(hdr, prev, VL_HASH_LEN);
    vl_wr_cstr(hdr, "prop");
    vl_wr_bin(hdr, vl_proposal_id(p), VL_HASH_LEN);
    vl_wr_cstr(hdr, "root");
    vl_wr_bin(hdr, root, VL_HASH_LEN);
    vl_wr_cstr(hdr, "seq");
    vl_wr_uint(hdr, seq);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "entry");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, 1);
    vl_wr_map(doc, 3);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "prop");
    vl_wr_bin(doc, prop, prop_len);
    vl_wr_cstr(doc, "sigs");
    vl_wr_array(doc, 0);
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_proposal_destroy(&p);
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&doc);
    return rc;
}

void
vl_entry_destroy(vl_entry_t **self_p)
{
    assert(self_p);
    vl_entry_t *self = *self_p;
    if (self) {
        vl_proposal_destroy(&self->prop);
        free(self->signers);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

int
vl_entry_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, unsigned flags,
               vl_entry_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_entry_t *self = NULL;
    *out = NULL;

    if (len > VL_MAX_ENTRY) {
        rc = vl_err(err, VL_ELIMIT, "entry of %zu bytes exceeds %u", len, VL_MAX_ENTRY);
        goto out;
    }
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb, *pb;
    size_t hlen, plen;
    if ((rc = vl_val_map_keys(root, s_entry_keys, NULL, "entry document", err)) != VL_OK ||
        (rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "entry", err)) != VL_OK ||
        (rc = vl_field_bin(root, "prop", &pb, &plen, VL_MAX_DOC, "entry", err)) != VL_OK)
        goto out;
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    uint64_t v;
    uint8_t net[VL_NETID_LEN];
    if ((rc = vl_val_map_keys(hdr, s_entry_hdr_keys, NULL, "entry", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "entry", "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "v", &v, "entry", err)) != VL_OK)
        goto out;
    if (v != 1) {
        rc = vl_err(err, VL_EPROTO, "entry: format version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_field_bin_exact(hdr, "net", net, sizeof net, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "policy", &self->policy, "entry", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prev", self->prev, VL_HASH_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prop", self->prop_id, VL_HASH_LEN, "entry", err)) !=
            VL_OK ||
        (rc = vl_field_bin_exact(hdr, "root", self->root, VL_HASH_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "seq", &self->seq, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "time", &self->time, "entry", err)) != VL_OK)
        goto out;
    if (memcmp(net, vl_policy_net(pol), VL_NETID_LEN) != 0) {
        rc = vl_err(err, VL_EPERM, "entry belongs to another network");
        goto out;
    }
    if (self->seq == 0 || self->policy == 0) {
        rc = vl_err(err, VL_EPROTO, "entry: seq 0 or policy version 0");
        goto out;
    }
    /* An entry names exactly the version in force at its seq, which is the
     * one the caller verifies it against (docs/trust.md §1.2): an entry
     * naming an older version was signed under approvers that may since
     * have been revoked. */
    if (self->policy > vl_policy_version(pol)) {
        rc = vl_err(err, VL_ENOTFOUND, "entry %llu names policy version %llu, newer than "
                    "version %llu known here", (unsigned long long)self->seq,
                    (unsigned long long)self->policy,
                    (unsigned long long)vl_policy_version(pol));
        goto out;
    }
    if (self->policy < vl_policy_version(pol)) {
        rc = vl_err(err, VL_EPERM, "entry %llu is under policy version %llu but version %llu "
                    "governs it", (unsigned long long)self->seq,
                    (unsigned long long)self->policy,
                    (unsigned long long)vl_policy_version(pol));
        goto out;
    }
    vl_hash(self->digest, "valise/entry/1", hb, hlen);
    /* The link covers the whole document, signatures included, so the
     * approvers of entry n+1 vouch for every byte of entry n (and, through
     * it, of the whole history): docs/protocol.md §4. */
    vl_hash(self->hash, "valise/link/1", buf, len);

    /* Approver signatures over the entry hash (or only their form). */
    vl_val_t sigs = vl_val_get(root, "sigs");
    size_t nvalid = 0;
    rc = vl_policy_check_sigs(pol, sigs, (flags & VL_ENTRY_NO_SIGS) ? NULL : self->digest,
                              &nvalid, err);
    if (rc != VL_OK) {
        char what[VL_ERRMSG_MAX];
        if (err) {
            snprintf(what, sizeof what, "entry %llu: %s", (unsigned long long)self->seq, err);
            memcpy(err, what, VL_ERRMSG_MAX);
        }
        goto out;
    }
    if (!(flags & VL_ENTRY_CANDIDATE) && nvalid < vl_policy_threshold(pol)) {
        rc = vl_err(err, VL_ETHRESHOLD, "entry %llu: %zu approver signatures, threshold is %u",
                    (unsigned long long)self->seq, nvalid, vl_policy_threshold(pol));
        goto out;
    }
    /* A final entry carries exactly `threshold` signatures, so that its bytes
     * (and so its link) are unique: a relay cannot drop "extra" signatures
     * and fork the chain (docs/formats.md §6). */
    if (!(flags & VL_ENTRY_CANDIDATE) && nvalid > vl_policy_threshold(pol)) {
        rc = vl_err(err, VL_EPROTO, "entry %llu: %zu approver signatures, a final entry has "
                    "exactly %u", (unsigned long long)self->seq, nvalid,
                    vl_policy_threshold(pol));
        goto out;
    }
    self->nsigs = nvalid;
    if (!(self->signers = calloc(nvalid ? nvalid : 1, VL_PK_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nvalid; i++)
        vl_val_bin_exact(vl_val_get(vl_val_at(sigs, (uint32_t)i), "k"), self->signers[i],
                         VL_PK_LEN);

    /* The proposal it settles. */
    if ((rc = s_proposal_parse(pol, pb, plen, !(flags & VL_ENTRY_NO_SIGS), &self->prop, err)) !=
        VL_OK)
        goto out;
    if (memcmp(vl_proposal_id(self->prop), self->prop_id, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_EPROTO, "entry %llu: names another proposal than it carries",
                    (unsigned long long)self->seq);
        goto out;
    }
    if (!(self->bytes = s_memdup(buf, len))) {
        rc = VL_ENOMEM;
        goto out;
    }
    self->len = len;
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_entry_destroy(&self);
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_entry_sign(const vl_policy_t *pol, const uint8_t *in, size_t in_len,
              const vl_keypair_t *approver, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_entry_t *e = NULL;
    vl_doc_t *doc = NULL;
    vl_wr_t *w = NULL;
    *out = NULL;
    *out_len = 0;
    if (!(vl_policy_roles(pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(vl_keypair_pk(approver), kid);
        rc = vl_err(err, VL_EPERM, "key %s is not an approver", kid);
        goto out;
    }
    if ((rc = vl_entry_parse(pol, in, in_len, VL_ENTRY_CANDIDATE, &e, err)) != VL_OK ||
        (rc = vl_doc_parse(in, in_len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb, *pb;
    size_t hlen, plen;
    vl_val_bin(vl_val_get(root, "hdr"), &hb, &hlen);
    vl_val_bin(vl_val_get(root, "prop"), &pb, &plen);
    uint8_t sig[VL_SIG_LEN];
    vl_sign(approver, e->digest, sig);
    if (!(w = vl_wr_new())) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, hb, hlen);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pb, plen);
    vl_wr_cstr(w, "sigs");
    if ((rc = vl_policy_write_sigs(w, vl_val_get(root, "sigs"), vl_keypair_pk(approver), sig,
                                   err)) != VL_OK) {
        if (rc == VL_EEXIST) {
            char kid[2 * VL_KID_LEN + 1];
            vl_kid(vl_keypair_pk(approver), kid);
            if (err)
                snprintf(err, VL_ERRMSG_MAX, "approver %s already signed this entry", kid);
        }
        goto out;
    }
    rc = vl_wr_dup(w, out, out_len);
out:
    vl_wr_destroy(&w);
    vl_doc_destroy(&doc);
    vl_entry_destroy(&e);
    return rc;
}

uint64_t vl_entry_seq(const vl_entry_t *self) { return self->seq; }
const uint8_t *vl_entry_hash(const vl_entry_t *self) { return self->hash; }
const uint8_t *vl_entry_digest(const vl_entry_t *self) { return self->digest; }
const uint8_t *vl_entry_prev(const vl_entry_t *self) { return self->prev; }
const uint8_t *vl_entry_root(const vl_entry_t *self) { return self->root; }
uint64_t vl_entry_time(const vl_entry_t *self) { return self->time; }
size_t vl_entry_nsigs(const vl_entry_t *self) { return self->nsigs; }
vl_proposal_t *vl_entry_proposal(const vl_entry_t *self) { return self->prop; }

const uint8_t *
vl_entry_signer(const vl_entry_t *self, size_t i)
{
    return i < self->nsigs ? self->signers[i] : NULL;
}

const uint8_t *
vl_entry_bytes(const vl_entry_t *self, size_t *len)
{
    *len = self->len;
    return self->bytes;
}

/* ======================================================================== */
/* Rejections                                                               */
/* ======================================================================== */

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
    vl_wr_t *hdr = NULL, *doc = NULL;
    *out = NULL;
    *out_len = 0;
    if (!(vl_policy_roles(pol, vl_keypair_pk(approver)) & VL_ROLE_APPROVER))
        return vl_err(err, VL_EPERM, "only an approver may reject a proposal");
    if (!reason || !s_reason_ok(reason))
        return vl_err(err, VL_EINVAL, "a rejection needs a reason of 1..%u characters",
                      VL_MAX_REASON);
    hdr = vl_wr_new();
    doc = vl_wr_new();
    if (!hdr || !doc) {
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
    vl_wr_uint(hdr, 1);
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    uint8_t digest[VL_HASH_LEN], sig[VL_SIG_LEN];
    vl_hash(digest, "valise/rejection/1", vl_wr_data(hdr), vl_wr_len(hdr));
    vl_sign(approver, digest, sig);
    vl_wr_map(doc, 2);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "sig");
    vl_wr_bin(doc, sig, sizeof sig);
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&doc);
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
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_rejection_t *self = NULL;
    *out = NULL;
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb;
    size_t hlen;
    uint8_t sig[VL_SIG_LEN], net[VL_NETID_LEN];
    if ((rc = vl_val_map_keys(root, s_rej_keys, NULL, "rejection document", err)) != VL_OK ||
        (rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "rejection", err)) != VL_OK ||
        (rc = vl_field_bin_exact(root, "sig", sig, sizeof sig, "rejection", err)) != VL_OK ||
        (rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    uint64_t v;
    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_val_map_keys(hdr, s_rej_hdr_keys, NULL, "rejection", err)) != VL_OK ||
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
    if (v != 1 || memcmp(net, vl_policy_net(pol), VL_NETID_LEN) != 0 || self->policy == 0 ||
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
    uint8_t digest[VL_HASH_LEN];
    vl_hash(digest, "valise/rejection/1", hb, hlen);
    if (vl_verify(self->approver, digest, sig) != VL_OK) {
        rc = vl_err(err, VL_EAUTH, "rejection: bad signature");
        goto out;
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_rejection_destroy(&self);
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

const uint8_t *vl_rejection_proposal(const vl_rejection_t *self) { return self->prop_id; }
const uint8_t *vl_rejection_approver(const vl_rejection_t *self) { return self->approver; }
const char *vl_rejection_reason(const vl_rejection_t *self) { return self->reason; }
uint64_t vl_rejection_time(const vl_rejection_t *self) { return self->time; }

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

#include "vl_testnet.h"

static int
s_test_prop(vl_testnet_t *t, const vl_keypair_t *author, const char *id, const char *state,
            bool checked, const uint8_t *ckey, uint8_t **out, size_t *len)
{
    uint8_t *body = NULL;
    size_t blen = 0;
    vl_record_t *rec = NULL;
    vl_op_t op;
    int rc = vl_testnet_authority(id, state, "+230 5550 0000", &body, &blen);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, NULL);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    if (rc == VL_OK) {
        const uint8_t *bodies[1] = { body };
        size_t lens[1] = { blen };
        rc = checked ? vl_proposal_make(t->pol, author, ckey, 1700000100, &op, bodies, lens, 1,
                                        out, len, NULL)
                     : s_proposal_build(t->pol, author, ckey, 1700000100, &op, bodies, lens, 1,
                                        out, len, NULL);
    }
    vl_record_destroy(&rec);
    free(body);
    return rc;
}

/* An entry header as vl_entry_make writes it, but naming any proposal id
 * (so the self-test can build entries that make refuses to build). */
static vl_wr_t *
s_test_entry_hdr(const vl_policy_t *pol, uint64_t seq, const uint8_t prev[VL_HASH_LEN],
                 const uint8_t pid[VL_HASH_LEN], const uint8_t root[VL_HASH_LEN])
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return NULL;
    vl_wr_map(w, 9);
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, vl_policy_net(pol), VL_NETID_LEN);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, vl_policy_version(pol));
    vl_wr_cstr(w, "prev");
    vl_wr_bin(w, prev, VL_HASH_LEN);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pid, VL_HASH_LEN);
    vl_wr_cstr(w, "root");
    vl_wr_bin(w, root, VL_HASH_LEN);
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, seq);
    vl_wr_cstr(w, "time");
    vl_wr_uint(w, 1700000300);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "entry");
    vl_wr_cstr(w, "v");
    vl_wr_uint(w, 1);
    return w;
}

/* An entry document from its parts: header, proposal and n (key, sig)
 * pairs written in the order given (sorted or not). */
static vl_wr_t *
s_test_entry_doc(const uint8_t *hb, size_t hl, const uint8_t *pb, size_t pl,
                 const uint8_t (*keys)[VL_PK_LEN], const uint8_t (*sigs)[VL_SIG_LEN], size_t n)
{
    vl_wr_t *w = vl_wr_new();
    if (!w)
        return NULL;
    vl_wr_map(w, 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, hb, hl);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pb, pl);
    vl_wr_cstr(w, "sigs");
    vl_wr_array(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "k");
        vl_wr_bin(w, keys[i], VL_PK_LEN);
        vl_wr_cstr(w, "s");
        vl_wr_bin(w, sigs[i], VL_SIG_LEN);
    }
    return w;
}

/* VL_ENTRY_NO_SIGS: forged signatures pass, everything else is still checked. */
static int
s_test_no_sigs(vl_testnet_t *t, const uint8_t *c1, size_t l1, const uint8_t *c2, size_t l2,
               const uint8_t *prop, size_t plen, const uint8_t prev[VL_HASH_LEN],
               const uint8_t root[VL_HASH_LEN], bool verbose)
{
    VL_TEST_BEGIN;
    vl_doc_t *d = NULL;
    vl_entry_t *e = NULL;
    vl_wr_t *w = NULL, *hw = NULL;
    uint8_t *forged = NULL, *pcopy = NULL;
    size_t flen = 0;
    char err[VL_ERRMSG_MAX];
    const uint8_t *hb = NULL, *pb = NULL;
    size_t hl = 0, pl = 0;
    uint8_t keys[3][VL_PK_LEN], sigs[3][VL_SIG_LEN];

    VL_CHECK_RC(vl_doc_parse(c2, l2, 0, &d, NULL), VL_OK);
    if (!d)
        goto out;
    vl_val_t rt = vl_doc_root(d), sl = vl_val_get(rt, "sigs");
    VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "hdr"), &hb, &hl), VL_OK);
    VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "prop"), &pb, &pl), VL_OK);
    VL_CHECK(vl_val_len(sl) == 2);
    for (uint32_t i = 0; i < 2; i++) {
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "k"), keys[i], VL_PK_LEN),
                    VL_OK);
        VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sl, i), "s"), sigs[i], VL_SIG_LEN),
                    VL_OK);
    }
    if (!hb || !pb)
        goto out;

    /* The untouched entry parses both ways, with the same signers. */
    VL_CHECK_RC(vl_entry_parse(t->pol, c2, l2, VL_ENTRY_NO_SIGS, &e, NULL), VL_OK);
    VL_CHECK(e && vl_entry_nsigs(e) == 2 &&
             memcmp(vl_entry_signer(e, 1), keys[1], VL_PK_LEN) == 0);
    vl_entry_destroy(&e);

    /* 1. A forged approver signature: refused by a full parse only. */
    sigs[1][10] ^= 0x40;
    w = s_test_entry_doc(hb, hl, pb, pl, (const uint8_t(*)[VL_PK_LEN])keys,
                         (const uint8_t(*)[VL_SIG_LEN])sigs, 2);
    sigs[1][10] ^= 0x40;
    VL_CHECK(w != NULL);
    if (w) {
        err[0] = '\0';
        VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err), VL_EAUTH);
        VL_CHECK(strstr(err, "entry 1: bad signature by approver") != NULL);
        VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                   NULL), VL_OK);
        vl_entry_destroy(&e);
        vl_wr_destroy(&w);
    }

    /* 2. A forged author signature (last byte of the proposal is the last
     * byte of its "sig"; the id, hence the entry header, is unchanged). */
    if ((pcopy = malloc(pl))) {
        memcpy(pcopy, pb, pl);
        pcopy[pl - 1] ^= 0x01;
        w = s_test_entry_doc(hb, hl, pcopy, pl, (const uint8_t(*)[VL_PK_LEN])keys,
                             (const uint8_t(*)[VL_SIG_LEN])sigs, 2);
        if (w) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err),
                        VL_EAUTH);
            VL_CHECK(strstr(err, "proposal: bad signature") != NULL);
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       NULL), VL_OK);
            vl_entry_destroy(&e);
            vl_wr_destroy(&w);
        }
        /* vl_proposal_parse itself still verifies the author. */
        vl_proposal_t *p = NULL;
        VL_CHECK_RC(vl_proposal_parse(t->pol, pcopy, pl, &p, NULL), VL_EAUTH);
        vl_proposal_destroy(&p);
    }

    /* 3. The form of the list is still checked. */
    {
        struct {
            const char *what;
            int want;
        } cases[] = {
            { "below threshold", VL_ETHRESHOLD },
            { "non-approver key", VL_EPERM },
            { "approver twice", VL_EEXIST },
            { "unsorted", VL_EPROTO },
            { "short signature", VL_EPROTO },
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            uint8_t k2[2][VL_PK_LEN], s2[2][VL_SIG_LEN];
            size_t n = 2;
            memcpy(k2, keys, sizeof k2);
            memcpy(s2, sigs, sizeof s2);
            if (c == 0) {
                n = 1;
            } else if (c == 1) {
                /* an approver and mu's key, in sorted order */
                const uint8_t *a = keys[0], *b = vl_keypair_pk(t->mu);
                if (memcmp(a, b, VL_PK_LEN) > 0) {
                    const uint8_t *x = a;
                    a = b;
                    b = x;
                }
                memcpy(k2[0], a, VL_PK_LEN);
                memcpy(k2[1], b, VL_PK_LEN);
            } else if (c == 2) {
                memcpy(k2[1], k2[0], VL_PK_LEN);
            } else if (c == 3) {
                memcpy(k2[0], keys[1], VL_PK_LEN);
                memcpy(k2[1], keys[0], VL_PK_LEN);
            }
            if (c == 4) {
                /* one signature of 63 bytes: written by hand */
                w = vl_wr_new();
                if (w) {
                    vl_wr_map(w, 3);
                    vl_wr_cstr(w, "hdr");
                    vl_wr_bin(w, hb, hl);
                    vl_wr_cstr(w, "prop");
                    vl_wr_bin(w, pb, pl);
                    vl_wr_cstr(w, "sigs");
                    vl_wr_array(w, 2);
                    for (int i = 0; i < 2; i++) {
                        vl_wr_map(w, 2);
                        vl_wr_cstr(w, "k");
                        vl_wr_bin(w, keys[i], VL_PK_LEN);
                        vl_wr_cstr(w, "s");
                        vl_wr_bin(w, sigs[i], i ? VL_SIG_LEN - 1 : VL_SIG_LEN);
                    }
                }
            } else {
                w = s_test_entry_doc(hb, hl, pb, pl, (const uint8_t(*)[VL_PK_LEN])k2,
                                     (const uint8_t(*)[VL_SIG_LEN])s2, n);
            }
            VL_CHECK(w != NULL);
            if (!w)
                continue;
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       err), cases[c].want);
            if (verbose)
                printf("change: no-sigs %s refused: %s\n", cases[c].what, err);
            vl_entry_destroy(&e);
            vl_wr_destroy(&w);
        }
        /* A candidate with one signature is still a candidate. */
        VL_CHECK_RC(vl_entry_parse(t->pol, c1, l1, VL_ENTRY_NO_SIGS | VL_ENTRY_CANDIDATE, &e,
                                   NULL), VL_OK);
        VL_CHECK(e && vl_entry_nsigs(e) == 1);
        vl_entry_destroy(&e);
    }

    /* 4. The embedded proposal's authorization and id are still checked:
     * MU editing MG (garbage signatures everywhere), and a header naming
     * another proposal than the one carried. */
    {
        uint8_t junk[2][VL_SIG_LEN];
        memset(junk, 0x33, sizeof junk);
        VL_CHECK_RC(s_test_prop(t, t->mu, "MG-01", "MG", false, t->ckey, &forged, &flen), VL_OK);
        uint8_t fid[VL_HASH_LEN];
        vl_hash_t hh;
        memset(fid, 0, sizeof fid);
        /* The forged proposal's id, computed as the decoder does. */
        vl_doc_t *fd = NULL;
        const uint8_t *fhb = NULL, *fct = NULL;
        size_t fhl = 0, fcl = 0;
        if (forged && vl_doc_parse(forged, flen, 0, &fd, NULL) == VL_OK &&
            vl_val_bin(vl_val_get(vl_doc_root(fd), "hdr"), &fhb, &fhl) == VL_OK &&
            vl_val_bin(vl_val_get(vl_doc_root(fd), "ct"), &fct, &fcl) == VL_OK) {
            vl_hash_init(&hh, "valise/proposal/1");
            vl_hash_lp(&hh, fhb, fhl);
            vl_hash_update(&hh, fct, fcl);
            vl_hash_final(&hh, fid);
            hw = s_test_entry_hdr(t->pol, 1, prev, fid, root);
            w = hw ? s_test_entry_doc(vl_wr_data(hw), vl_wr_len(hw), forged, flen,
                                      (const uint8_t(*)[VL_PK_LEN])keys,
                                      (const uint8_t(*)[VL_SIG_LEN])junk, 2)
                   : NULL;
            VL_CHECK(w != NULL);
            if (w) {
                err[0] = '\0';
                VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS,
                                           &e, err), VL_EPERM);
                VL_CHECK(strstr(err, "may not edit records of MG") != NULL);
                vl_entry_destroy(&e);
            }
            vl_wr_destroy(&w);
            vl_wr_destroy(&hw);
        } else {
            VL_CHECK(!"forged proposal decodes");
        }
        vl_doc_destroy(&fd);
        /* The header names the forged id but carries the good proposal. */
        hw = s_test_entry_hdr(t->pol, 1, prev, fid, root);
        w = hw ? s_test_entry_doc(vl_wr_data(hw), vl_wr_len(hw), prop, plen,
                                  (const uint8_t(*)[VL_PK_LEN])keys,
                                  (const uint8_t(*)[VL_SIG_LEN])junk, 2)
               : NULL;
        VL_CHECK(w != NULL);
        if (w) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t->pol, vl_wr_data(w), vl_wr_len(w), VL_ENTRY_NO_SIGS, &e,
                                       err), VL_EPROTO);
            VL_CHECK(strstr(err, "names another proposal") != NULL);
            vl_entry_destroy(&e);
        }
        vl_wr_destroy(&w);
        vl_wr_destroy(&hw);
    }
out:
    vl_entry_destroy(&e);
    vl_wr_destroy(&w);
    vl_wr_destroy(&hw);
    vl_doc_destroy(&d);
    free(forged);
    free(pcopy);
    return VL_TEST_END;
}

/* Version 2 of the test network (a freshness key named, nothing else
 * changed), signed by both approvers. */
static int
s_test_policy_v2(const vl_testnet_t *t, vl_policy_t **v2)
{
    int rc;
    vl_policy_builder_t *b = NULL;
    uint8_t *u = NULL, *one = NULL, *two = NULL;
    size_t ul = 0, onel = 0, twol = 0;
    *v2 = NULL;
    if ((rc = vl_policy_builder_from(t->pol, t->a1, &b, NULL)) != VL_OK ||
        (rc = vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node))) != VL_OK ||
        (rc = vl_policy_builder_finish_next(b, t->pol, 1, vl_policy_hash(t->pol), false,
                                            1700000100, &u, &ul, NULL)) != VL_OK ||
        (rc = vl_policy_sign_next(t->pol, u, ul, t->a1, &one, &onel, NULL)) != VL_OK ||
        (rc = vl_policy_sign_next(t->pol, one, onel, t->a2, &two, &twol, NULL)) != VL_OK)
        goto out;
    rc = vl_policy_parse_next(t->pol, two, twol, 0, v2, NULL);
out:
    vl_policy_builder_destroy(&b);
    free(u);
    free(one);
    free(two);
    return rc;
}

int
vl_change_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t t;
    uint8_t *prop = NULL, *forged = NULL, *c0 = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL,
            *rej = NULL, *bad = NULL;
    size_t plen = 0, flen = 0, l0 = 0, l1 = 0, l2 = 0, l3 = 0, rlen = 0;
    vl_proposal_t *p = NULL;
    vl_entry_t *e = NULL;
    vl_rejection_t *r = NULL;
    char err[VL_ERRMSG_MAX];
    uint8_t root[VL_HASH_LEN], prev[VL_HASH_LEN];
    memset(root, 0xab, sizeof root);

    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    memcpy(prev, vl_policy_hash(t.pol), VL_HASH_LEN);

    /* A central authority proposes for its own State. */
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MU-01", "MU", true, t.ckey, &prop, &plen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, prop, plen, &p, NULL), VL_OK);
    if (p) {
        VL_CHECK(vl_proposal_nops(p) == 1);
        VL_CHECK(strcmp(vl_proposal_op(p, 0)->id, "MU-01") == 0);
        VL_CHECK(vl_proposal_record(p, 0) == NULL); /* not opened yet */
        uint8_t wrong[VL_KEY_LEN];
        memset(wrong, 1, sizeof wrong);
        VL_CHECK_RC(vl_proposal_open(p, wrong, NULL), VL_EAUTH);
        VL_CHECK_RC(vl_proposal_open(p, t.ckey, NULL), VL_OK);
        VL_CHECK(vl_proposal_record(p, 0) &&
                 strcmp(vl_record_id(vl_proposal_record(p, 0)), "MU-01") == 0);
    }
    vl_proposal_destroy(&p);

    /* ... but not for another State: refused when made, and when a forged
     * one (built without the check) is parsed. */
    err[0] = '\0';
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", true, t.ckey, &forged, &flen), VL_EPERM);
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, err), VL_EPERM);
    VL_CHECK(strstr(err, "may not edit records of MG") != NULL);
    free(forged);
    forged = NULL;
    /* Unknown key, and a node key (wrong role). */
    VL_CHECK_RC(s_test_prop(&t, t.outsider, "MU-02", "MU", false, t.ckey, &forged, &flen),
                VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, err), VL_EPERM);
    VL_CHECK(strstr(err, "unknown key") != NULL);
    free(forged);
    forged = NULL;
    VL_CHECK_RC(s_test_prop(&t, t.node, "MU-02", "MU", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, NULL), VL_EPERM);
    free(forged);
    forged = NULL;
    /* Tampered ciphertext under a valid signature: encrypted with another
     * key by the author, it parses but does not open. */
    uint8_t other[VL_KEY_LEN];
    memset(other, 9, sizeof other);
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MU-03", "MU", false, other, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_proposal_parse(t.pol, forged, flen, &p, NULL), VL_OK);
    if (p)
        VL_CHECK_RC(vl_proposal_open(p, t.ckey, NULL), VL_EAUTH);
    vl_proposal_destroy(&p);
    free(forged);
    forged = NULL;
    /* Any flipped byte of a proposal is refused (signature, form or tag). */
    if (prop && (bad = malloc(plen))) {
        size_t refused = 0, tried = 0;
        for (size_t i = 0; i < plen; i += 5, tried++) {
            memcpy(bad, prop, plen);
            bad[i] ^= 0x20;
            if (vl_proposal_parse(t.pol, bad, plen, &p, NULL) != VL_OK)
                refused++;
            vl_proposal_destroy(&p);
        }
        VL_CHECK(refused == tried);
        VL_CHECK(vl_proposal_parse(t.pol, prop, plen - 1, &p, NULL) != VL_OK);
        free(bad);
        bad = NULL;
    }

    /* Entries: candidate, threshold, roles, twice. */
    VL_CHECK_RC(vl_entry_make(t.pol, 1, prev, prop, plen, root, 1700000200, &c0, &l0, NULL),
                VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_entry_parse(t.pol, c0, l0, 0, &e, err), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_entry_parse(t.pol, c0, l0, VL_ENTRY_CANDIDATE, &e, NULL), VL_OK);
    vl_entry_destroy(&e);
    VL_CHECK_RC(vl_entry_sign(t.pol, c0, l0, t.mu, &c1, &l1, NULL), VL_EPERM);
    VL_CHECK_RC(vl_entry_sign(t.pol, c0, l0, t.a1, &c1, &l1, NULL), VL_OK);
    VL_CHECK_RC(vl_entry_sign(t.pol, c1, l1, t.a1, &c2, &l2, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_entry_parse(t.pol, c1, l1, 0, &e, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_entry_sign(t.pol, c1, l1, t.a2, &c2, &l2, NULL), VL_OK);
    VL_CHECK_RC(vl_entry_parse(t.pol, c2, l2, 0, &e, NULL), VL_OK);
    if (e) {
        VL_CHECK(vl_entry_seq(e) == 1 && vl_entry_nsigs(e) == 2);
        VL_CHECK(memcmp(vl_entry_prev(e), prev, VL_HASH_LEN) == 0);
        VL_CHECK(memcmp(vl_entry_root(e), root, VL_HASH_LEN) == 0);
        VL_CHECK(vl_entry_proposal(e) != NULL);
    }
    vl_entry_destroy(&e);
    /* Any flipped byte of a signed entry is refused. */
    if (c2 && (bad = malloc(l2))) {
        size_t refused = 0, tried = 0;
        for (size_t i = 0; i < l2; i += 11, tried++) {
            memcpy(bad, c2, l2);
            bad[i] ^= 0x04;
            if (vl_entry_parse(t.pol, bad, l2, 0, &e, NULL) != VL_OK)
                refused++;
            vl_entry_destroy(&e);
        }
        VL_CHECK(refused == tried);
        free(bad);
        bad = NULL;
    }
    /* The same approver counted twice: forge a sigs list with a1 twice. */
    {
        vl_doc_t *d = NULL;
        vl_wr_t *w = vl_wr_new();
        VL_CHECK_RC(vl_doc_parse(c1, l1, 0, &d, NULL), VL_OK);
        if (d && w) {
            vl_val_t rt = vl_doc_root(d), s0 = vl_val_at(vl_val_get(rt, "sigs"), 0);
            const uint8_t *hb, *pb, *k, *s;
            size_t hl, pl, kl, sl;
            VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "hdr"), &hb, &hl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(rt, "prop"), &pb, &pl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(s0, "k"), &k, &kl), VL_OK);
            VL_CHECK_RC(vl_val_bin(vl_val_get(s0, "s"), &s, &sl), VL_OK);
            vl_wr_map(w, 3);
            vl_wr_cstr(w, "hdr");
            vl_wr_bin(w, hb, hl);
            vl_wr_cstr(w, "prop");
            vl_wr_bin(w, pb, pl);
            vl_wr_cstr(w, "sigs");
            vl_wr_array(w, 2);
            for (int i = 0; i < 2; i++) {
                vl_wr_map(w, 2);
                vl_wr_cstr(w, "k");
                vl_wr_bin(w, k, kl);
                vl_wr_cstr(w, "s");
                vl_wr_bin(w, s, sl);
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t.pol, vl_wr_data(w), vl_wr_len(w), 0, &e, err),
                        VL_EEXIST);
            VL_CHECK(strstr(err, "counted twice") != NULL);
            vl_entry_destroy(&e);
        }
        vl_doc_destroy(&d);
        vl_wr_destroy(&w);
    }
    /* VL_ENTRY_NO_SIGS skips exactly the signatures. */
    if (c1 && c2 && prop)
        VL_CHECK(s_test_no_sigs(&t, c1, l1, c2, l2, prop, plen, prev, root, verbose) == 0);
    /* An entry carrying a forged proposal (MU editing MG) is refused even
     * with both approver signatures. */
    VL_CHECK_RC(s_test_prop(&t, t.mu, "MG-01", "MG", false, t.ckey, &forged, &flen), VL_OK);
    VL_CHECK_RC(vl_entry_make(t.pol, 1, prev, forged, flen, root, 1, &c3, &l3, NULL), VL_EPERM);
    /* An entry names exactly the policy version that governs it
     * (docs/trust.md §1.2): entry 1 signed under version 1 is refused when
     * version 2 governs seq 1 (its approvers may have been revoked), and an
     * entry under version 2 is not verifiable by a node knowing only 1. */
    {
        vl_policy_t *v2 = NULL;
        uint8_t *e2 = NULL;
        size_t e2len = 0;
        VL_CHECK_RC(s_test_policy_v2(&t, &v2), VL_OK);
        if (v2 && c2) {
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(v2, c2, l2, 0, &e, err), VL_EPERM);
            VL_CHECK(strstr(err, "entry 1 is under policy version 1 but version 2 governs it") !=
                     NULL);
            vl_entry_destroy(&e);
            VL_CHECK_RC(vl_entry_make(v2, 1, prev, prop, plen, root, 1700000300, &e2, &e2len,
                                      NULL),
                        VL_OK);
            VL_CHECK_RC(vl_entry_parse(v2, e2, e2len, VL_ENTRY_CANDIDATE, &e, NULL), VL_OK);
            vl_entry_destroy(&e);
            err[0] = '\0';
            VL_CHECK_RC(vl_entry_parse(t.pol, e2, e2len, VL_ENTRY_CANDIDATE, &e, err),
                        VL_ENOTFOUND);
            VL_CHECK(strstr(err, "names policy version 2, newer than version 1") != NULL);
            vl_entry_destroy(&e);
        }
        free(e2);
        vl_policy_destroy(&v2);
    }

    /* Rejections. */
    uint8_t pid[VL_HASH_LEN];
    memset(pid, 0x5a, sizeof pid);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.mu, pid, "no", 1, &rej, &rlen, NULL), VL_EPERM);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.a1, pid, "", 1, &rej, &rlen, NULL), VL_EINVAL);
    VL_CHECK_RC(vl_rejection_make(t.pol, t.a1, pid, "duplicate of an earlier request", 5, &rej,
                                  &rlen, NULL),
                VL_OK);
    VL_CHECK_RC(vl_rejection_parse(t.pol, rej, rlen, &r, NULL), VL_OK);
    if (r) {
        VL_CHECK(strcmp(vl_rejection_reason(r), "duplicate of an earlier request") == 0);
        VL_CHECK(memcmp(vl_rejection_proposal(r), pid, VL_HASH_LEN) == 0);
    }
    vl_rejection_destroy(&r);
    if (rej) {
        rej[rlen - 1] ^= 1; /* last byte of the signature */
        VL_CHECK_RC(vl_rejection_parse(t.pol, rej, rlen, &r, NULL), VL_EAUTH);
    }
    if (verbose)
        printf("change: proposal %zu bytes, entry %zu bytes\n", plen, l2);

    free(prop);
    free(forged);
    free(c0);
    free(c1);
    free(c2);
    free(c3);
    free(rej);
    vl_testnet_fini(&t);
    return VL_TEST_END;
}
