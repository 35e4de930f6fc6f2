/* SPDX-License-Identifier: MIT */
/*
 * vl_entry - log entries: make, sign, verify, peek (contract in vl_entry.h).
 *
 * Decoding order for hostile bytes: the size (<= VL_MAX_ENTRY); the document
 * {"hdr", "prop", "sigs"} ({"hdr", "prop", "run", "sigs"} for version 2) and
 * its header through vl_codec, type, version, exact key sets and every
 * header field; then against the policy: network, the policy version in
 * force; for version 2 the run document and the header against it
 * (s_run_bind); the approver signatures (or only their form) and their
 * count; then the embedded proposal, fully, and that it is the one the
 * header names.
 */
#include "vl_entry.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_change_int.h"
#include "vl_codec.h"
#include "vl_fields.h"
#include "vl_run.h"

/* Structure of our class */
struct vl_entry {
    uint8_t *bytes;
    size_t len;
    uint8_t hash[VL_HASH_LEN];    /* H("valise/link/1", bytes): the chain link */
    uint8_t digest[VL_HASH_LEN];  /* what approvers sign: H("valise/entry/1", hdr) (v1),
                                     the run digest (v2) */
    uint8_t tie[VL_HASH_LEN];     /* v2: H("valise/runtie/1", run digest || each k || s) */
    vl_entry_head_t head;         /* the clear header */
    vl_run_t *run;                /* v2: the run it belongs to */
    size_t run_index;             /* v2: its row in the run */
    size_t nsigs;
    uint8_t (*signers)[VL_PK_LEN];
    vl_proposal_t *prop;
};

static const char *const s_doc_keys[] = { "hdr", "prop", "sigs", NULL };
static const char *const s_hdr_keys[] = { "net", "policy", "prev", "prop", "root",
                                          "seq", "time", "type", "v", NULL };
/* Version 2, the entry of a run (docs/formats.md §6.1). */
static const char *const s_doc_keys2[] = { "hdr", "prop", "run", "sigs", NULL };
static const char *const s_hdr_keys2[] = { "net", "policy", "prev", "prop", "root", "run",
                                           "seq", "time", "type", "v", NULL };

/* Decode the document and its header (size, canonical form, key sets, type,
 * version, every header field) into *head; *doc and *hdoc stay with the
 * caller, who destroys them on every path. Verifies nothing. */
static int
s_decode(const uint8_t *buf, size_t len, vl_doc_t **doc, vl_doc_t **hdoc,
         vl_entry_head_t *head, char *err)
{
    int rc;
    const uint8_t *hb, *pb;
    size_t hlen, plen;
    uint64_t v;
    if (len > VL_MAX_ENTRY)
        return vl_err(err, VL_ELIMIT, "entry of %zu bytes exceeds %u", len, VL_MAX_ENTRY);
    if ((rc = vl_doc_parse(buf, len, 0, doc, err)) != VL_OK)
        return rc;
    vl_val_t root = vl_doc_root(*doc);
    if ((rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "entry", err)) != VL_OK ||
        (rc = vl_doc_parse(hb, hlen, 0, hdoc, err)) != VL_OK)
        return rc;
    vl_val_t hdr = vl_doc_root(*hdoc);
    if ((rc = vl_field_streq(hdr, "type", "entry", "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "v", &v, "entry", err)) != VL_OK)
        return rc;
    if (v != VL_ENTRY_FORMAT && v != VL_ENTRY_FORMAT_RUN)
        return vl_err(err, VL_EPROTO, "entry: format version %llu not supported",
                      (unsigned long long)v);
    head->v = (unsigned)v;
    bool v2 = v == VL_ENTRY_FORMAT_RUN;
    if ((rc = vl_val_map_keys(root, v2 ? s_doc_keys2 : s_doc_keys, NULL, "entry document",
                              err)) != VL_OK ||
        (rc = vl_field_bin(root, "prop", &pb, &plen, VL_MAX_DOC, "entry", err)) != VL_OK ||
        (rc = vl_val_map_keys(hdr, v2 ? s_hdr_keys2 : s_hdr_keys, NULL, "entry", err)) != VL_OK)
        return rc;
    if (v2) {
        const uint8_t *rb;
        size_t rlen;
        if ((rc = vl_field_bin(root, "run", &rb, &rlen, VL_MAX_RUN_DOC, "entry", err)) != VL_OK ||
            (rc = vl_field_bin_exact(hdr, "run", head->run, VL_HASH_LEN, "entry", err)) != VL_OK)
            return rc;
    }
    if ((rc = vl_field_bin_exact(hdr, "net", head->net, VL_NETID_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "policy", &head->policy, "entry", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prev", head->prev, VL_HASH_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prop", head->prop, VL_HASH_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "root", head->root, VL_HASH_LEN, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "seq", &head->seq, "entry", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "time", &head->time, "entry", err)) != VL_OK)
        return rc;
    return VL_OK;
}

/* Sequence numbers and policy versions start at 1. */
static int
s_head_ok(const vl_entry_head_t *head, char *err)
{
    if (head->seq == 0 || head->policy == 0)
        return vl_err(err, VL_EPROTO, "entry: seq 0 or policy version 0");
    return VL_OK;
}

/* An entry header (docs/formats.md §6), keys in canonical order: version 1,
 * or version 2 when run (the run digest) is given (§6.1). */
static void
s_write_hdr(vl_wr_t *hdr, const uint8_t net[VL_NETID_LEN], uint64_t policy,
            const uint8_t prev[VL_HASH_LEN], const uint8_t prop[VL_HASH_LEN],
            const uint8_t root[VL_HASH_LEN], const uint8_t *run, uint64_t seq, uint64_t time)
{
    vl_wr_map(hdr, run ? 10 : 9);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, net, VL_NETID_LEN);
    vl_wr_cstr(hdr, "policy");
    vl_wr_uint(hdr, policy);
    vl_wr_cstr(hdr, "prev");
    vl_wr_bin(hdr, prev, VL_HASH_LEN);
    vl_wr_cstr(hdr, "prop");
    vl_wr_bin(hdr, prop, VL_HASH_LEN);
    vl_wr_cstr(hdr, "root");
    vl_wr_bin(hdr, root, VL_HASH_LEN);
    if (run) {
        vl_wr_cstr(hdr, "run");
        vl_wr_bin(hdr, run, VL_HASH_LEN);
    }
    vl_wr_cstr(hdr, "seq");
    vl_wr_uint(hdr, seq);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, time);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "entry");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, run ? VL_ENTRY_FORMAT_RUN : VL_ENTRY_FORMAT);
}

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
    s_write_hdr(hdr, vl_policy_net(pol), vl_policy_version(pol), prev, vl_proposal_id(p), root,
                NULL, seq, now);
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

int
vl_entry_make_run(const vl_policy_t *pol, const uint8_t *run, size_t run_len, size_t index,
                  const uint8_t prev[VL_HASH_LEN], const uint8_t *prop, size_t prop_len,
                  const uint8_t *sigs_from, size_t sigs_len, uint8_t **out, size_t *out_len,
                  char *err)
{
    int rc;
    vl_run_t *r = NULL;
    vl_proposal_t *p = NULL;
    vl_doc_t *sdoc = NULL;
    vl_wr_t *hdr = NULL, *doc = NULL;
    vl_val_t sigs = { 0 };
    *out = NULL;
    *out_len = 0;
    if ((rc = vl_run_parse(run, run_len, &r, err)) != VL_OK)
        goto out;
    if (index >= vl_run_nrows(r) || (index > 0 && !prev)) {
        rc = vl_err(err, VL_EINVAL, "row %zu of a run of %zu (or no prev)", index,
                    vl_run_nrows(r));
        goto out;
    }
    const vl_run_row_t *row = vl_run_row(r, index);
    if ((rc = vl_proposal_parse(pol, prop, prop_len, &p, err)) != VL_OK)
        goto out;
    if (memcmp(vl_proposal_id(p), row->prop, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_EINVAL, "row %zu of the run names another proposal", index);
        goto out;
    }
    if (sigs_from) {
        if ((rc = vl_doc_parse(sigs_from, sigs_len, 0, &sdoc, err)) != VL_OK ||
            (rc = vl_field_array(vl_doc_root(sdoc), "sigs", &sigs, 0, VL_MAX_APPROVERS,
                                 "entry", err)) != VL_OK)
            goto out;
    }
    hdr = vl_wr_new();
    doc = vl_wr_new();
    if (!hdr || !doc) {
        rc = VL_ENOMEM;
        goto out;
    }
    s_write_hdr(hdr, vl_run_net(r), vl_run_policy(r), index == 0 ? vl_run_prev(r) : prev,
                row->prop, row->root, vl_run_digest(r), vl_run_seq(r) + index, vl_run_time(r));
    vl_wr_map(doc, 4);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "prop");
    vl_wr_bin(doc, prop, prop_len);
    vl_wr_cstr(doc, "run");
    vl_wr_bin(doc, run, run_len);
    vl_wr_cstr(doc, "sigs");
    uint32_t n = sigs_from ? vl_val_len(sigs) : 0;
    vl_wr_array(doc, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t k[VL_PK_LEN], sg[VL_SIG_LEN];
        vl_val_t e = vl_val_at(sigs, i);
        if ((rc = vl_field_bin_exact(e, "k", k, VL_PK_LEN, "sigs[]", err)) != VL_OK ||
            (rc = vl_field_bin_exact(e, "s", sg, VL_SIG_LEN, "sigs[]", err)) != VL_OK)
            goto out;
        vl_wr_map(doc, 2);
        vl_wr_cstr(doc, "k");
        vl_wr_bin(doc, k, VL_PK_LEN);
        vl_wr_cstr(doc, "s");
        vl_wr_bin(doc, sg, VL_SIG_LEN);
    }
    if ((rc = vl_wr_status(hdr)) != VL_OK)
        goto out;
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_run_destroy(&r);
    vl_proposal_destroy(&p);
    vl_doc_destroy(&sdoc);
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
        vl_run_destroy(&self->run);
        free(self->signers);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

/* Version 2: decode the run the entry carries and check the header against
 * it (docs/formats.md §6.1); self->digest becomes the run digest. */
static int
s_run_bind(vl_entry_t *self, vl_val_t root, char *err)
{
    const uint8_t *rb;
    size_t rlen;
    const vl_entry_head_t *h = &self->head;
    unsigned long long seq = (unsigned long long)h->seq;
    int rc;
    if ((rc = vl_field_bin(root, "run", &rb, &rlen, VL_MAX_RUN_DOC, "entry", err)) != VL_OK ||
        (rc = vl_run_parse(rb, rlen, &self->run, err)) != VL_OK)
        return rc;
    const vl_run_t *r = self->run;
    if (memcmp(vl_run_digest(r), h->run, VL_HASH_LEN) != 0)
        return vl_err(err, VL_EPROTO, "entry %llu: its run is not the one its header names", seq);
    if (memcmp(vl_run_net(r), h->net, VL_NETID_LEN) != 0 || vl_run_policy(r) != h->policy ||
        vl_run_time(r) != h->time)
        return vl_err(err, VL_EPROTO, "entry %llu: network, policy or time differs from its "
                      "run's", seq);
    if (h->seq < vl_run_seq(r) || h->seq - vl_run_seq(r) >= vl_run_nrows(r))
        return vl_err(err, VL_EPROTO, "entry %llu: outside its run (entries %llu..%llu)", seq,
                      (unsigned long long)vl_run_seq(r),
                      (unsigned long long)(vl_run_seq(r) + vl_run_nrows(r) - 1));
    self->run_index = (size_t)(h->seq - vl_run_seq(r));
    const vl_run_row_t *row = vl_run_row(r, self->run_index);
    if (memcmp(row->prop, h->prop, VL_HASH_LEN) != 0 ||
        memcmp(row->root, h->root, VL_HASH_LEN) != 0)
        return vl_err(err, VL_EPROTO, "entry %llu: proposal or root differs from row %zu of "
                      "its run", seq, self->run_index);
    if (self->run_index == 0 && memcmp(vl_run_prev(r), h->prev, VL_HASH_LEN) != 0)
        return vl_err(err, VL_EPROTO, "entry %llu: the first entry of a run must follow the "
                      "link its run names", seq);
    memcpy(self->digest, vl_run_digest(r), VL_HASH_LEN);
    return VL_OK;
}

/* The tie of a v2 entry: what every entry of one run shares (docs/formats.md
 * §6.1: the run and the same signature list). sigs is well formed. */
static void
s_tie(vl_entry_t *self, vl_val_t sigs)
{
    vl_hash_t hs;
    vl_hash_init(&hs, "valise/runtie/1");
    vl_hash_update(&hs, vl_run_digest(self->run), VL_HASH_LEN);
    for (uint32_t i = 0; i < vl_val_len(sigs); i++) {
        const uint8_t *p;
        size_t n;
        vl_val_t e = vl_val_at(sigs, i);
        if (vl_val_bin(vl_val_get(e, "k"), &p, &n) == VL_OK)
            vl_hash_update(&hs, p, n);
        if (vl_val_bin(vl_val_get(e, "s"), &p, &n) == VL_OK)
            vl_hash_update(&hs, p, n);
    }
    vl_hash_final(&hs, self->tie);
}

int
vl_entry_parse(const vl_policy_t *pol, const uint8_t *buf, size_t len, unsigned flags,
               vl_entry_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_entry_t *self = NULL;
    const uint8_t *hb, *pb;
    size_t hlen, plen;
    *out = NULL;

    if (!(self = calloc(1, sizeof *self))) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = s_decode(buf, len, &doc, &hdoc, &self->head, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    vl_val_bin(vl_val_get(root, "hdr"), &hb, &hlen);
    vl_val_bin(vl_val_get(root, "prop"), &pb, &plen);
    if (memcmp(self->head.net, vl_policy_net(pol), VL_NETID_LEN) != 0) {
        rc = vl_err(err, VL_EPERM, "entry belongs to another network");
        goto out;
    }
    if ((rc = s_head_ok(&self->head, err)) != VL_OK)
        goto out;
    /* An entry names exactly the version in force at its seq, which is the
     * one the caller verifies it against (docs/trust.md §1.2): an entry
     * naming an older version was signed under approvers that may since
     * have been revoked. */
    if (self->head.policy > vl_policy_version(pol)) {
        rc = vl_err(err, VL_ENOTFOUND, "entry %llu names policy version %llu, newer than "
                    "version %llu known here", (unsigned long long)self->head.seq,
                    (unsigned long long)self->head.policy,
                    (unsigned long long)vl_policy_version(pol));
        goto out;
    }
    if (self->head.policy < vl_policy_version(pol)) {
        rc = vl_err(err, VL_EPERM, "entry %llu is under policy version %llu but version %llu "
                    "governs it", (unsigned long long)self->head.seq,
                    (unsigned long long)self->head.policy,
                    (unsigned long long)vl_policy_version(pol));
        goto out;
    }
    if (self->head.v == VL_ENTRY_FORMAT_RUN) {
        if ((rc = s_run_bind(self, root, err)) != VL_OK)
            goto out;
    } else {
        vl_hash(self->digest, "valise/entry/1", hb, hlen);
    }
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
            snprintf(what, sizeof what, "entry %llu: %s", (unsigned long long)self->head.seq, err);
            memcpy(err, what, VL_ERRMSG_MAX);
        }
        goto out;
    }
    if (!(flags & VL_ENTRY_CANDIDATE) && nvalid < vl_policy_threshold(pol)) {
        rc = vl_err(err, VL_ETHRESHOLD, "entry %llu: %zu approver signatures, threshold is %u",
                    (unsigned long long)self->head.seq, nvalid, vl_policy_threshold(pol));
        goto out;
    }
    /* A final entry carries exactly `threshold` signatures, so that its bytes
     * (and so its link) are unique: a relay cannot drop "extra" signatures
     * and fork the chain (docs/formats.md §6). */
    if (!(flags & VL_ENTRY_CANDIDATE) && nvalid > vl_policy_threshold(pol)) {
        rc = vl_err(err, VL_EPROTO, "entry %llu: %zu approver signatures, a final entry has "
                    "exactly %u", (unsigned long long)self->head.seq, nvalid,
                    vl_policy_threshold(pol));
        goto out;
    }
    self->nsigs = nvalid;
    if (self->run)
        s_tie(self, sigs);
    if (!(self->signers = calloc(nvalid ? nvalid : 1, VL_PK_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nvalid; i++)
        vl_val_bin_exact(vl_val_get(vl_val_at(sigs, (uint32_t)i), "k"), self->signers[i],
                         VL_PK_LEN);

    /* The proposal it settles. */
    if ((rc = vl_proposal_decode(pol, pb, plen, !(flags & VL_ENTRY_NO_SIGS), &self->prop,
                                 err)) != VL_OK)
        goto out;
    if (memcmp(vl_proposal_id(self->prop), self->head.prop, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_EPROTO, "entry %llu: names another proposal than it carries",
                    (unsigned long long)self->head.seq);
        goto out;
    }
    if (!(self->bytes = malloc(len ? len : 1))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(self->bytes, buf, len);
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
    vl_wr_map(w, e->run ? 4 : 3);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, hb, hlen);
    vl_wr_cstr(w, "prop");
    vl_wr_bin(w, pb, plen);
    if (e->run) {
        size_t rlen;
        const uint8_t *rb = vl_run_bytes(e->run, &rlen);
        vl_wr_cstr(w, "run");
        vl_wr_bin(w, rb, rlen);
    }
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

uint64_t vl_entry_seq(const vl_entry_t *self) { return self->head.seq; }
unsigned vl_entry_version(const vl_entry_t *self) { return self->head.v; }
const vl_run_t *vl_entry_run(const vl_entry_t *self) { return self->run; }
size_t vl_entry_run_index(const vl_entry_t *self) { return self->run_index; }
const uint8_t *vl_entry_tie(const vl_entry_t *self) { return self->run ? self->tie : NULL; }
const uint8_t *vl_entry_hash(const vl_entry_t *self) { return self->hash; }
const uint8_t *vl_entry_digest(const vl_entry_t *self) { return self->digest; }
const uint8_t *vl_entry_prev(const vl_entry_t *self) { return self->head.prev; }
const uint8_t *vl_entry_root(const vl_entry_t *self) { return self->head.root; }
uint64_t vl_entry_time(const vl_entry_t *self) { return self->head.time; }
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

int
vl_entry_peek_author(const uint8_t *buf, size_t len, vl_entry_head_t *out,
                     uint8_t author[VL_PK_LEN], char *err)
{
    int rc;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_entry_head_t head;
    const uint8_t *pb;
    size_t plen;
    assert(out && author);
    assert(buf || len == 0);
    memset(&head, 0, sizeof head);
    memset(out, 0, sizeof *out);
    memset(author, 0, VL_PK_LEN);
    if ((rc = s_decode(buf, len, &doc, &hdoc, &head, err)) != VL_OK ||
        (rc = s_head_ok(&head, err)) != VL_OK ||
        (rc = vl_field_bin(vl_doc_root(doc), "prop", &pb, &plen, VL_MAX_DOC, "entry", err)) !=
            VL_OK ||
        (rc = vl_proposal_peek_author(pb, plen, author, err)) != VL_OK)
        goto out;
    *out = head;
out:
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_entry_peek(const uint8_t *buf, size_t len, vl_entry_head_t *out, char *err)
{
    int rc;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_entry_head_t head;
    assert(out);
    assert(buf || len == 0);
    memset(&head, 0, sizeof head);
    memset(out, 0, sizeof *out);
    if ((rc = s_decode(buf, len, &doc, &hdoc, &head, err)) != VL_OK ||
        (rc = s_head_ok(&head, err)) != VL_OK)
        goto out;
    *out = head;
out:
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_entry_peek_signers(const uint8_t *buf, size_t len, uint8_t (*out)[VL_PK_LEN], size_t cap,
                      size_t *n, char *err)
{
    int rc;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_entry_head_t head;
    assert(n && (out || cap == 0));
    assert(buf || len == 0);
    *n = 0;
    if ((rc = s_decode(buf, len, &doc, &hdoc, &head, err)) != VL_OK ||
        (rc = s_head_ok(&head, err)) != VL_OK)
        goto out;
    vl_val_t sigs;
    if ((rc = vl_field_array(vl_doc_root(doc), "sigs", &sigs, 0, VL_MAX_APPROVERS, "entry",
                             err)) != VL_OK)
        goto out;
    for (uint32_t i = 0; i < vl_val_len(sigs); i++) {
        uint8_t pk[VL_PK_LEN];
        if ((rc = vl_field_bin_exact(vl_val_at(sigs, i), "k", pk, VL_PK_LEN, "entry signature",
                                     err)) != VL_OK)
            goto out;
        if (i < cap)
            memcpy(out[i], pk, VL_PK_LEN);
    }
    *n = vl_val_len(sigs);
out:
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}
