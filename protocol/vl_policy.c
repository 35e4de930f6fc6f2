/* SPDX-License-Identifier: MIT */
/*
 * vl_policy - network policy: decode and verify the genesis (version 1) and
 * every later version against its predecessor (docs/trust.md §1-§2), add
 * signatures, and answer what a verified policy says (members, roles,
 * content keys). Building new versions is vl_policy_builder.c.
 *
 * Everything read here may be hostile (a genesis file handed to `valise
 * init`, a policy from a peer): the document goes through vl_codec, every
 * field is checked, and signatures are verified before the policy is used.
 */
#include "vl_policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_fields.h"
#include "vl_limits.h"
#include "vl_policy_int.h"
#include "vl_record.h"

const char *const vl_policy_role_key[VL_POL_NROLES] = { "approvers", "authorities", "nodes",
                                                        "readers" };
const size_t vl_policy_role_max[VL_POL_NROLES] = { VL_MAX_APPROVERS, VL_MAX_AUTHORITIES,
                                                   VL_MAX_NODES, VL_MAX_READERS };

/* Header keys in canonical order (docs/formats.md, "Policy"): every version
 * has these; "after" and "from" come with versions > 1 (docs/trust.md §1.1),
 * "fresh" and "readers" are optional in every version ("readers", when
 * present, lists 1..VL_MAX_READERS keys: no readers is no key, so the
 * encoding stays canonical). */
const char *const vl_policy_hdr_keys[] = { "approvers", "authorities", "epochs", "name",
                                          "net", "nodes", "prev", "threshold", "time",
                                          "type", "v", "version", NULL };
const char *const vl_policy_hdr_opt[] = { "after", "fresh", "from", "readers", NULL };

bool
vl_policy_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VL_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

int
vl_policy_cmp_member(const void *a, const void *b)
{
    const vl_pol_member_t *x = a, *y = b;
    return memcmp(x->pk, y->pk, VL_PK_LEN);
}

int
vl_policy_cmp_pk(const void *a, const void *b)
{
    return memcmp(a, b, VL_PK_LEN);
}

const vl_pol_member_t *
vl_policy_find(vl_pol_member_t *const *role, const size_t *nrole, int r,
               const uint8_t pk[VL_PK_LEN])
{
    vl_pol_member_t key;
    if (nrole[r] == 0)
        return NULL;
    memcpy(key.pk, pk, VL_PK_LEN);
    return bsearch(&key, role[r], nrole[r], sizeof(vl_pol_member_t), vl_policy_cmp_member);
}

/* ======================================================================== */
/* Parsing                                                                  */
/* ======================================================================== */

void
vl_policy_destroy(vl_policy_t **self_p)
{
    assert(self_p);
    vl_policy_t *self = *self_p;
    if (self) {
        for (int r = 0; r < VL_POL_NROLES; r++)
            free(self->role[r]);
        for (size_t e = 0; e < self->nepochs; e++)
            free(self->epochs[e].keys);
        free(self->epochs);
        free(self->signers);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

static int
s_parse_members(vl_policy_t *self, vl_val_t hdr, int r, char *err)
{
    vl_val_t arr;
    if (r == VL_POL_READERS && vl_val_none(vl_val_get(hdr, vl_policy_role_key[r]))) {
        self->nrole[r] = 0; /* optional: absent means no readers */
        return (self->role[r] = calloc(1, sizeof(vl_pol_member_t))) ? VL_OK : VL_ENOMEM;
    }
    /* Approvers and (when present) readers: at least one. */
    int rc = vl_field_array(hdr, vl_policy_role_key[r], &arr,
                            r == 0 || r == VL_POL_READERS ? 1 : 0,
                            (uint32_t)vl_policy_role_max[r], "policy", err);
    if (rc != VL_OK)
        return rc;
    size_t n = vl_val_len(arr);
    self->role[r] = calloc(n ? n : 1, sizeof(vl_pol_member_t));
    if (!self->role[r])
        return VL_ENOMEM;
    static const char *const req2[] = { "key", "name", NULL };
    static const char *const req3[] = { "key", "name", "states", NULL };
    for (size_t i = 0; i < n; i++) {
        vl_val_t m = vl_val_at(arr, (uint32_t)i);
        vl_pol_member_t *mm = &self->role[r][i];
        char what[48];
        snprintf(what, sizeof what, "policy.%s[%zu]", vl_policy_role_key[r], i);
        if ((rc = vl_val_map_keys(m, r == 1 ? req3 : req2, NULL, what, err)) != VL_OK ||
            (rc = vl_field_bin_exact(m, "key", mm->pk, VL_PK_LEN, what, err)) != VL_OK ||
            (rc = vl_field_str(m, "name", mm->name, sizeof mm->name, what, err)) != VL_OK)
            return rc;
        if (!vl_policy_name_ok(mm->name))
            return vl_err(err, VL_EPROTO, "%s.name: not printable", what);
        if (i > 0 && memcmp(self->role[r][i - 1].pk, mm->pk, VL_PK_LEN) >= 0)
            return vl_err(err, VL_EPROTO, "%s: keys not sorted or listed twice", what);
        if (r == 1) {
            vl_val_t st;
            if ((rc = vl_field_array(m, "states", &st, 1, VL_MAX_STATES, what, err)) != VL_OK)
                return rc;
            mm->nstates = vl_val_len(st);
            for (size_t s = 0; s < mm->nstates; s++) {
                const char *p;
                size_t len;
                if (vl_val_str(vl_val_at(st, (uint32_t)s), &p, &len) != VL_OK ||
                    !vl_state_valid(p, len))
                    return vl_err(err, VL_EPROTO, "%s.states[%zu]: not a State code", what, s);
                memcpy(mm->states[s], p, VL_STATE_LEN);
                mm->states[s][VL_STATE_LEN] = '\0';
                if (s > 0 && strcmp(mm->states[s - 1], mm->states[s]) >= 0)
                    return vl_err(err, VL_EPROTO, "%s.states: not sorted or repeated", what);
            }
        }
    }
    self->nrole[r] = n;
    return VL_OK;
}

const uint8_t *
vl_policy_reader_conflict(vl_pol_member_t *const *role, const size_t *nrole)
{
    for (size_t i = 0; i < nrole[VL_POL_READERS]; i++)
        for (int r = 0; r < VL_POL_READERS; r++)
            if (vl_policy_find(role, nrole, r, role[VL_POL_READERS][i].pk))
                return role[VL_POL_READERS][i].pk;
    return NULL;
}

/* The distinct member keys of all roles, sorted: the recipients of content keys. */
int
vl_policy_recipients(vl_pol_member_t *const *role, const size_t *nrole,
                     uint8_t (**out)[VL_PK_LEN], size_t *n)
{
    size_t total = 0, k = 0;
    for (int r = 0; r < VL_POL_NROLES; r++)
        total += nrole[r];
    uint8_t(*keys)[VL_PK_LEN] = malloc((total ? total : 1) * VL_PK_LEN);
    if (!keys)
        return VL_ENOMEM;
    for (int r = 0; r < VL_POL_NROLES; r++)
        for (size_t i = 0; i < nrole[r]; i++)
            memcpy(keys[k++], role[r][i].pk, VL_PK_LEN);
    if (k > 1)
        qsort(keys, k, VL_PK_LEN, vl_policy_cmp_pk);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || memcmp(keys[u - 1], keys[i], VL_PK_LEN) != 0)
            memmove(keys[u++], keys[i], VL_PK_LEN);
    *out = keys;
    *n = u;
    return VL_OK;
}

/* Epochs: increasing numbers, at most VL_MAX_EPOCHS, each sealed to exactly
 * the distinct member keys of this policy (docs/trust.md §2). */
static int
s_parse_epochs(vl_policy_t *self, vl_val_t hdr, char *err)
{
    vl_val_t arr;
    uint8_t(*rcpt)[VL_PK_LEN] = NULL;
    size_t nrcpt = 0;
    int rc = vl_field_array(hdr, "epochs", &arr, 1, VL_MAX_CONTAINER, "policy", err);
    if (rc != VL_OK)
        return rc;
    size_t n = vl_val_len(arr);
    if (n > VL_MAX_EPOCHS)
        return vl_err(err, VL_ELIMIT, "policy: %zu content-key epochs, at most %u", n,
                      VL_MAX_EPOCHS);
    if ((rc = vl_policy_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
        return rc;
    if (!(self->epochs = calloc(n, sizeof(vl_pol_epoch_t)))) {
        rc = VL_ENOMEM;
        goto out;
    }
    static const char *const req[] = { "epoch", "keys", NULL };
    static const char *const reqk[] = { "box", "to", NULL };
    for (size_t e = 0; e < n; e++) {
        vl_val_t ep = vl_val_at(arr, (uint32_t)e), keys;
        vl_pol_epoch_t *pe = &self->epochs[e];
        uint64_t num;
        char what[48];
        snprintf(what, sizeof what, "policy.epochs[%zu]", e);
        if ((rc = vl_val_map_keys(ep, req, NULL, what, err)) != VL_OK ||
            (rc = vl_field_uint(ep, "epoch", &num, what, err)) != VL_OK ||
            (rc = vl_field_array(ep, "keys", &keys, 1,
                                 VL_MAX_APPROVERS + VL_MAX_AUTHORITIES + VL_MAX_NODES +
                                     VL_MAX_READERS, what,
                                 err)) != VL_OK)
            goto out;
        if (num > UINT32_MAX || (e > 0 && num <= self->epochs[e - 1].epoch)) {
            rc = vl_err(err, VL_EPROTO, "%s.epoch: not increasing", what);
            goto out;
        }
        pe->epoch = (uint32_t)num;
        pe->nkeys = vl_val_len(keys);
        if (!(pe->keys = calloc(pe->nkeys, sizeof(vl_pol_sealed_t)))) {
            rc = VL_ENOMEM;
            goto out;
        }
        self->nepochs = e + 1;
        for (size_t i = 0; i < pe->nkeys; i++) {
            vl_val_t k = vl_val_at(keys, (uint32_t)i);
            if ((rc = vl_val_map_keys(k, reqk, NULL, what, err)) != VL_OK ||
                (rc = vl_field_bin_exact(k, "box", pe->keys[i].box, VL_SEALED_LEN, what,
                                         err)) != VL_OK ||
                (rc = vl_field_bin_exact(k, "to", pe->keys[i].to, VL_PK_LEN, what, err)) !=
                    VL_OK)
                goto out;
            if (i > 0 && memcmp(pe->keys[i - 1].to, pe->keys[i].to, VL_PK_LEN) >= 0) {
                rc = vl_err(err, VL_EPROTO, "%s.keys: not sorted or repeated", what);
                goto out;
            }
        }
        bool exact = pe->nkeys == nrcpt;
        for (size_t i = 0; exact && i < nrcpt; i++)
            exact = memcmp(pe->keys[i].to, rcpt[i], VL_PK_LEN) == 0;
        if (!exact) {
            rc = vl_err(err, VL_EINVAL, "policy: epoch %u is not sealed to exactly the %zu "
                        "member keys", pe->epoch, nrcpt);
            goto out;
        }
    }
    rc = VL_OK;
out:
    free(rcpt);
    return rc;
}

/* Check a "sigs" array over digest against the approvers of a and, for a
 * version N+1 (b = version N), of b: every element names an approver of
 * either, keys strictly increasing, every signature valid (unless digest is
 * NULL). Counts the signatures and those by approvers of a and of b. */
static int
s_check_sigs(const vl_policy_t *a, const vl_policy_t *b, vl_val_t sigs,
             const uint8_t *digest, size_t *nvalid, size_t *by_a, size_t *by_b, char *err)
{
    static const char *const req[] = { "k", "s", NULL };
    uint32_t max = b ? 2 * VL_MAX_APPROVERS : VL_MAX_APPROVERS;
    *nvalid = *by_a = *by_b = 0;
    if (vl_val_type(sigs) != VL_T_ARRAY || vl_val_len(sigs) > max)
        return vl_err(err, VL_EPROTO, "sigs: not an array of at most %u", max);
    uint8_t prev[VL_PK_LEN];
    for (uint32_t i = 0; i < vl_val_len(sigs); i++) {
        vl_val_t s = vl_val_at(sigs, i);
        uint8_t pk[VL_PK_LEN], sig[VL_SIG_LEN];
        int rc;
        if ((rc = vl_val_map_keys(s, req, NULL, "sigs[]", err)) != VL_OK ||
            (rc = vl_field_bin_exact(s, "k", pk, VL_PK_LEN, "sigs[]", err)) != VL_OK ||
            (rc = vl_field_bin_exact(s, "s", sig, VL_SIG_LEN, "sigs[]", err)) != VL_OK)
            return rc;
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(pk, kid);
        if (i > 0) {
            int c = memcmp(prev, pk, VL_PK_LEN);
            if (c == 0)
                return vl_err(err, VL_EEXIST, "approver %s counted twice", kid);
            if (c > 0)
                return vl_err(err, VL_EPROTO, "sigs: not sorted by key");
        }
        memcpy(prev, pk, VL_PK_LEN);
        bool in_a = vl_policy_find(a->role, a->nrole, 0, pk) != NULL;
        bool in_b = b && vl_policy_find(b->role, b->nrole, 0, pk) != NULL;
        if (!in_a && !in_b) {
            if (b)
                return vl_err(err, VL_EPERM, "signature by %s, who is not an approver of "
                              "version %llu or %llu", kid, (unsigned long long)b->version,
                              (unsigned long long)a->version);
            return vl_err(err, VL_EPERM, "signature by %s, who is not an approver", kid);
        }
        if (digest && vl_verify(pk, digest, sig) != VL_OK)
            return vl_err(err, VL_EAUTH, "bad signature by approver %s", kid);
        (*nvalid)++;
        *by_a += in_a;
        *by_b += in_b;
    }
    return VL_OK;
}

int
vl_policy_check_sigs(const vl_policy_t *self, vl_val_t sigs, const uint8_t *digest,
                     size_t *nvalid, char *err)
{
    size_t by_self, by_none;
    return s_check_sigs(self, NULL, sigs, digest, nvalid, &by_self, &by_none, err);
}

int
vl_policy_write_sigs(vl_wr_t *w, vl_val_t sigs, const uint8_t pk[VL_PK_LEN],
                     const uint8_t sig[VL_SIG_LEN], char *err)
{
    uint32_t n = vl_val_type(sigs) == VL_T_ARRAY ? vl_val_len(sigs) : 0;
    bool placed = false;
    vl_wr_array(w, n + 1);
    for (uint32_t i = 0; i <= n; i++) {
        uint8_t k[VL_PK_LEN], s[VL_SIG_LEN];
        if (i < n) {
            vl_val_t e = vl_val_at(sigs, i);
            if (vl_field_bin_exact(e, "k", k, VL_PK_LEN, "sigs[]", err) != VL_OK ||
                vl_field_bin_exact(e, "s", s, VL_SIG_LEN, "sigs[]", err) != VL_OK)
                return VL_EPROTO;
            int c = memcmp(k, pk, VL_PK_LEN);
            if (c == 0)
                return vl_err(err, VL_EEXIST, "already signed by this key");
            if (c > 0 && !placed) {
                vl_wr_map(w, 2);
                vl_wr_cstr(w, "k");
                vl_wr_bin(w, pk, VL_PK_LEN);
                vl_wr_cstr(w, "s");
                vl_wr_bin(w, sig, VL_SIG_LEN);
                placed = true;
            }
        } else if (!placed) {
            memcpy(k, pk, VL_PK_LEN);
            memcpy(s, sig, VL_SIG_LEN);
            placed = true;
        } else {
            break;
        }
        vl_wr_map(w, 2);
        vl_wr_cstr(w, "k");
        vl_wr_bin(w, k, VL_PK_LEN);
        vl_wr_cstr(w, "s");
        vl_wr_bin(w, s, VL_SIG_LEN);
    }
    return vl_wr_status(w);
}

/* Decode a policy document and check every rule that holds in any version:
 * form, members, threshold, epochs sealed to exactly the member keys, fresh a
 * node, and after/from present exactly when version > 1 (a genesis: prev
 * zeros, epoch 0 only; its from is 1 and its after its own hash). Computes
 * the hash. Signatures are the caller's: *doc holds them under "sigs". */
static int
s_decode(const uint8_t *buf, size_t len, vl_doc_t **doc, vl_policy_t **out, char *err)
{
    int rc;
    vl_doc_t *hdoc = NULL;
    vl_policy_t *self = NULL;
    static const char *const outer[] = { "hdr", "sigs", NULL };
    *out = NULL;

    if (len > VL_MAX_POLICY) {
        rc = vl_err(err, VL_ELIMIT, "policy of %zu bytes exceeds %u", len, VL_MAX_POLICY);
        goto out;
    }
    if ((rc = vl_doc_parse(buf, len, 0, doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(*doc);
    if ((rc = vl_val_map_keys(root, outer, NULL, "policy document", err)) != VL_OK)
        goto out;
    const uint8_t *hb;
    size_t hlen;
    if ((rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "policy document", err)) != VL_OK)
        goto out;
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    if ((rc = vl_val_map_keys(hdr, vl_policy_hdr_keys, vl_policy_hdr_opt, "policy", err)) !=
            VL_OK ||
        (rc = vl_field_streq(hdr, "type", "policy", "policy", err)) != VL_OK)
        goto out;
    uint64_t v, thr;
    if ((rc = vl_field_uint(hdr, "v", &v, "policy", err)) != VL_OK)
        goto out;
    if (v != VL_POLICY_FORMAT) {
        rc = vl_err(err, VL_EPROTO, "policy: format version %llu is not supported (want 1)",
                    (unsigned long long)v);
        goto out;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_field_str(hdr, "name", self->name, sizeof self->name, "policy", err)) !=
            VL_OK ||
        (rc = vl_field_bin_exact(hdr, "net", self->net, VL_NETID_LEN, "policy", err)) != VL_OK ||
        (rc = vl_field_bin_exact(hdr, "prev", self->prev, VL_HASH_LEN, "policy", err)) !=
            VL_OK ||
        (rc = vl_field_uint(hdr, "version", &self->version, "policy", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "time", &self->time, "policy", err)) != VL_OK ||
        (rc = vl_field_uint(hdr, "threshold", &thr, "policy", err)) != VL_OK)
        goto out;
    if (!vl_policy_name_ok(self->name)) {
        rc = vl_err(err, VL_EPROTO, "policy.name: empty or not printable");
        goto out;
    }
    for (int r = 0; r < VL_POL_NROLES; r++)
        if ((rc = s_parse_members(self, hdr, r, err)) != VL_OK)
            goto out;
    if (thr < 1 || thr > self->nrole[0]) {
        rc = vl_err(err, VL_EPROTO, "policy.threshold %llu does not fit %zu approvers",
                    (unsigned long long)thr, self->nrole[0]);
        goto out;
    }
    self->threshold = (uint32_t)thr;
    const uint8_t *both = vl_policy_reader_conflict(self->role, self->nrole);
    if (both) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(both, kid);
        rc = vl_err(err, VL_EINVAL, "policy: reader %s holds another role too", kid);
        goto out;
    }
    if ((rc = s_parse_epochs(self, hdr, err)) != VL_OK)
        goto out;
    vl_hash(self->hash, "valise/policy/1", hb, hlen);

    bool has_after = !vl_val_none(vl_val_get(hdr, "after"));
    bool has_from = !vl_val_none(vl_val_get(hdr, "from"));
    uint8_t zero[VL_HASH_LEN] = { 0 };
    if (self->version == 0) {
        rc = vl_err(err, VL_EPROTO, "policy: version 0");
        goto out;
    } else if (self->version == 1) {
        if (has_after || has_from) {
            rc = vl_err(err, VL_EPROTO, "policy version 1 (the genesis) has no after or from");
            goto out;
        }
        if (memcmp(self->prev, zero, VL_HASH_LEN) != 0) {
            rc = vl_err(err, VL_EPROTO, "policy version 1 (the genesis) must have prev zeros");
            goto out;
        }
        if (self->nepochs != 1 || self->epochs[0].epoch != 0) {
            rc = vl_err(err, VL_EPROTO, "policy version 1 (the genesis) has epoch 0 only");
            goto out;
        }
        self->from = 1;
        memcpy(self->after, self->hash, VL_HASH_LEN);
    } else {
        if (!has_after || !has_from) {
            rc = vl_err(err, VL_EPROTO, "policy version %llu: after and from are required "
                        "after the genesis", (unsigned long long)self->version);
            goto out;
        }
        if ((rc = vl_field_bin_exact(hdr, "after", self->after, VL_HASH_LEN, "policy", err)) !=
                VL_OK ||
            (rc = vl_field_uint(hdr, "from", &self->from, "policy", err)) != VL_OK)
            goto out;
        if (self->from == 0) {
            rc = vl_err(err, VL_EPROTO, "policy.from: 0 (the first seq is 1)");
            goto out;
        }
    }
    if (!vl_val_none(vl_val_get(hdr, "fresh"))) {
        if ((rc = vl_field_bin_exact(hdr, "fresh", self->fresh, VL_PK_LEN, "policy", err)) !=
            VL_OK)
            goto out;
        self->has_fresh = true;
        if (!vl_policy_find(self->role, self->nrole, 2, self->fresh)) {
            char kid[2 * VL_KID_LEN + 1];
            vl_kid(self->fresh, kid);
            rc = vl_err(err, VL_EINVAL, "policy version %llu: the fresh key %s is not a node",
                        (unsigned long long)self->version, kid);
            goto out;
        }
    }
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_policy_destroy(&self);
    vl_doc_destroy(&hdoc);
    return rc;
}

/* Check the signatures of self (against cur's approvers too for a version
 * N+1), apply the thresholds, keep the signer keys and the bytes. */
static int
s_seal(vl_policy_t *self, const vl_policy_t *cur, vl_val_t sigs, unsigned flags,
       const uint8_t *buf, size_t len, char *err)
{
    size_t nvalid, by_self, by_cur;
    int rc = s_check_sigs(self, cur, sigs, self->hash, &nvalid, &by_self, &by_cur, err);
    if (rc != VL_OK)
        return rc;
    if (!(flags & VL_POLICY_ALLOW_UNSIGNED)) {
        if (!cur && by_self < self->threshold)
            return vl_err(err, VL_ETHRESHOLD, "policy signed by %zu approvers, threshold is %u",
                          by_self, self->threshold);
        if (cur && by_cur < cur->threshold)
            return vl_err(err, VL_ETHRESHOLD, "policy version %llu: signed by %zu of version "
                          "%llu's approvers, need %u", (unsigned long long)self->version,
                          by_cur, (unsigned long long)cur->version, cur->threshold);
        if (cur && by_self < self->threshold)
            return vl_err(err, VL_ETHRESHOLD, "policy version %llu: signed by %zu of its own "
                          "approvers, need %u", (unsigned long long)self->version, by_self,
                          self->threshold);
    }
    self->nsigs = nvalid;
    if (!(self->signers = calloc(nvalid ? nvalid : 1, VL_PK_LEN)) ||
        !(self->bytes = malloc(len)))
        return VL_ENOMEM;
    for (size_t i = 0; i < nvalid; i++)
        if (vl_val_bin_exact(vl_val_get(vl_val_at(sigs, (uint32_t)i), "k"), self->signers[i],
                             VL_PK_LEN) != VL_OK)
            return VL_EPROTO; /* cannot happen: s_check_sigs read it */
    memcpy(self->bytes, buf, len);
    self->len = len;
    return VL_OK;
}

int
vl_policy_parse(const uint8_t *buf, size_t len, unsigned flags, vl_policy_t **out, char *err)
{
    int rc;
    vl_doc_t *doc = NULL;
    vl_policy_t *self = NULL;
    *out = NULL;

    if ((rc = s_decode(buf, len, &doc, &self, err)) != VL_OK)
        goto out;
    if (self->version != 1) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu must be verified against version %llu",
                    (unsigned long long)self->version, (unsigned long long)self->version - 1);
        goto out;
    }
    if ((rc = s_seal(self, NULL, vl_val_get(vl_doc_root(doc), "sigs"), flags, buf, len,
                     err)) != VL_OK)
        goto out;
    *out = self;
    self = NULL;
out:
    vl_policy_destroy(&self);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_policy_parse_next(const vl_policy_t *cur, const uint8_t *buf, size_t len, unsigned flags,
                     vl_policy_t **out, char *err)
{
    int rc;
    vl_doc_t *doc = NULL;
    vl_policy_t *self = NULL;
    unsigned long long nv = (unsigned long long)cur->version + 1;
    *out = NULL;

    if ((rc = s_decode(buf, len, &doc, &self, err)) != VL_OK)
        goto out;
    /* The chain: docs/trust.md §1.1. */
    if (self->version != cur->version + 1) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu does not follow version %llu",
                    (unsigned long long)self->version, (unsigned long long)cur->version);
        goto out;
    }
    if (memcmp(self->net, cur->net, VL_NETID_LEN) != 0) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu belongs to another network", nv);
        goto out;
    }
    if (memcmp(self->prev, cur->hash, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu: prev is not the hash of version %llu",
                    nv, (unsigned long long)cur->version);
        goto out;
    }
    if (self->from < cur->from) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu governs from entry %llu, before "
                    "version %llu (from entry %llu)", nv, (unsigned long long)self->from,
                    (unsigned long long)cur->version, (unsigned long long)cur->from);
        goto out;
    }
    if (self->from == cur->from && memcmp(self->after, cur->after, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_ECHAIN, "policy version %llu: after names another link of entry "
                    "%llu than version %llu", nv, (unsigned long long)self->from - 1,
                    (unsigned long long)cur->version);
        goto out;
    }
    /* Epochs: docs/trust.md §2. Each is sealed to exactly our members (s_decode). */
    if (self->nepochs < cur->nepochs || self->nepochs > cur->nepochs + 1) {
        rc = vl_err(err, VL_EINVAL, "policy version %llu: %zu content-key epochs, version "
                    "%llu has %zu (at most one may be added)", nv, self->nepochs,
                    (unsigned long long)cur->version, cur->nepochs);
        goto out;
    }
    for (size_t e = 0; e < cur->nepochs; e++)
        if (self->epochs[e].epoch != cur->epochs[e].epoch) {
            rc = vl_err(err, VL_EINVAL, "policy version %llu: epoch %u of version %llu is "
                        "missing", nv, cur->epochs[e].epoch, (unsigned long long)cur->version);
            goto out;
        }
    bool added = self->nepochs > cur->nepochs;
    if (added && (uint64_t)self->epochs[cur->nepochs].epoch !=
                     (uint64_t)cur->epochs[cur->nepochs - 1].epoch + 1) {
        rc = vl_err(err, VL_EINVAL, "policy version %llu: the new epoch must be %llu", nv,
                    (unsigned long long)cur->epochs[cur->nepochs - 1].epoch + 1);
        goto out;
    }
    if (!added)
        for (int r = 0; r < VL_POL_NROLES; r++)
            for (size_t i = 0; i < cur->nrole[r]; i++)
                if (vl_policy_roles(self, cur->role[r][i].pk) == 0) {
                    rc = vl_err(err, VL_EINVAL, "policy version %llu: a member key was removed: "
                                "a new content-key epoch is required", nv);
                    goto out;
                }
    /* Signatures: docs/trust.md §1.3. */
    if ((rc = s_seal(self, cur, vl_val_get(vl_doc_root(doc), "sigs"), flags, buf, len,
                     err)) != VL_OK)
        goto out;
    *out = self;
    self = NULL;
out:
    vl_policy_destroy(&self);
    vl_doc_destroy(&doc);
    return rc;
}

void
vl_policy_sig_counts(const vl_policy_t *self, const vl_policy_t *cur, size_t *by_self,
                     size_t *by_cur)
{
    *by_self = *by_cur = 0;
    for (size_t i = 0; i < self->nsigs; i++) {
        if (vl_policy_find(self->role, self->nrole, 0, self->signers[i]))
            (*by_self)++;
        if (cur && vl_policy_find(cur->role, cur->nrole, 0, self->signers[i]))
            (*by_cur)++;
    }
}

/* Add kp's signature over hash to the document in (already parsed). */
int
vl_policy_add_sig(const uint8_t *in, size_t in_len, const uint8_t hash[VL_HASH_LEN],
                  const vl_keypair_t *kp, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_doc_t *doc = NULL;
    vl_wr_t *w = NULL;
    if ((rc = vl_doc_parse(in, in_len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb;
    size_t hlen;
    if ((rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "policy document", err)) != VL_OK)
        goto out;
    uint8_t sig[VL_SIG_LEN];
    vl_sign(kp, hash, sig);
    if (!(w = vl_wr_new())) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_wr_map(w, 2);
    vl_wr_cstr(w, "hdr");
    vl_wr_bin(w, hb, hlen);
    vl_wr_cstr(w, "sigs");
    if ((rc = vl_policy_write_sigs(w, vl_val_get(root, "sigs"), vl_keypair_pk(kp), sig,
                                   err)) != VL_OK)
        goto out;
    if (vl_wr_len(w) > VL_MAX_POLICY) {
        rc = vl_err(err, VL_ELIMIT, "signed policy exceeds %u bytes", VL_MAX_POLICY);
        goto out;
    }
    rc = vl_wr_dup(w, out, out_len);
out:
    vl_wr_destroy(&w);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_policy_sign(const uint8_t *in, size_t in_len, const vl_keypair_t *kp, uint8_t **out,
               size_t *out_len, char *err)
{
    int rc;
    vl_policy_t *pol = NULL;
    *out = NULL;
    *out_len = 0;
    if ((rc = vl_policy_parse(in, in_len, VL_POLICY_ALLOW_UNSIGNED, &pol, err)) != VL_OK)
        goto out;
    if (vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_READER) {
        rc = vl_err(err, VL_EPERM, "a reader key may not sign a policy");
        goto out;
    }
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "this key is not an approver of the policy");
        goto out;
    }
    rc = vl_policy_add_sig(in, in_len, pol->hash, kp, out, out_len, err);
out:
    vl_policy_destroy(&pol);
    return rc;
}

int
vl_policy_sign_next(const vl_policy_t *cur, const uint8_t *in, size_t in_len,
                    const vl_keypair_t *kp, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_policy_t *pol = NULL;
    *out = NULL;
    *out_len = 0;
    if ((rc = vl_policy_parse_next(cur, in, in_len, VL_POLICY_ALLOW_UNSIGNED, &pol, err)) !=
        VL_OK)
        goto out;
    if (((vl_policy_roles(pol, vl_keypair_pk(kp)) | vl_policy_roles(cur, vl_keypair_pk(kp))) &
         VL_ROLE_READER)) {
        rc = vl_err(err, VL_EPERM, "a reader key may not sign a policy version");
        goto out;
    }
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_APPROVER) &&
        !(vl_policy_roles(cur, vl_keypair_pk(kp)) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "this key is not an approver of version %llu or %llu",
                    (unsigned long long)cur->version, (unsigned long long)pol->version);
        goto out;
    }
    rc = vl_policy_add_sig(in, in_len, pol->hash, kp, out, out_len, err);
out:
    vl_policy_destroy(&pol);
    return rc;
}

/* ======================================================================== */
/* Accessors                                                                */
/* ======================================================================== */

const char *vl_policy_name(const vl_policy_t *self) { return self->name; }
const uint8_t *vl_policy_net(const vl_policy_t *self) { return self->net; }
const uint8_t *vl_policy_hash(const vl_policy_t *self) { return self->hash; }
uint64_t vl_policy_version(const vl_policy_t *self) { return self->version; }
uint64_t vl_policy_time(const vl_policy_t *self) { return self->time; }
uint32_t vl_policy_threshold(const vl_policy_t *self) { return self->threshold; }
size_t vl_policy_nsigs(const vl_policy_t *self) { return self->nsigs; }

const uint8_t *
vl_policy_bytes(const vl_policy_t *self, size_t *len)
{
    *len = self->len;
    return self->bytes;
}

unsigned
vl_policy_roles(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN])
{
    unsigned roles = 0;
    if (vl_policy_find(self->role, self->nrole, 0, pk))
        roles |= VL_ROLE_APPROVER;
    if (vl_policy_find(self->role, self->nrole, 1, pk))
        roles |= VL_ROLE_AUTHORITY;
    if (vl_policy_find(self->role, self->nrole, 2, pk))
        roles |= VL_ROLE_NODE;
    if (vl_policy_find(self->role, self->nrole, VL_POL_READERS, pk))
        roles |= VL_ROLE_READER;
    return roles;
}

bool
vl_policy_may_edit(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN], const char *state)
{
    if (vl_policy_find(self->role, self->nrole, 0, pk))
        return true;
    const vl_pol_member_t *m = vl_policy_find(self->role, self->nrole, 1, pk);
    if (!m)
        return false;
    for (size_t i = 0; i < m->nstates; i++)
        if (strcmp(m->states[i], state) == 0)
            return true;
    return false;
}

const char *
vl_policy_member_name(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN])
{
    for (int r = 0; r < VL_POL_NROLES; r++) {
        const vl_pol_member_t *m = vl_policy_find(self->role, self->nrole, r, pk);
        if (m)
            return m->name;
    }
    return NULL;
}

uint32_t
vl_policy_epoch(const vl_policy_t *self)
{
    return self->epochs[self->nepochs - 1].epoch;
}

int
vl_policy_content_key(const vl_policy_t *self, uint32_t epoch, const vl_keypair_t *kp,
                      uint8_t key[VL_KEY_LEN])
{
    for (size_t e = 0; e < self->nepochs; e++) {
        const vl_pol_epoch_t *pe = &self->epochs[e];
        if (pe->epoch != epoch)
            continue;
        if (pe->nkeys == 0)
            return VL_EPERM;
        const vl_pol_sealed_t *s =
            bsearch(vl_keypair_pk(kp), pe->keys, pe->nkeys, sizeof(vl_pol_sealed_t),
                    vl_policy_cmp_pk);
        if (!s)
            return VL_EPERM;
        return vl_unseal_key(kp, s->box, key);
    }
    return VL_ENOTFOUND;
}

json_t *
vl_policy_to_json(const vl_policy_t *self)
{
    char hex[2 * VL_HASH_LEN + 1], kid[2 * VL_KID_LEN + 1];
    json_t *j = json_object();
    if (!j)
        return NULL;
    json_object_set_new(j, "name", json_string(self->name));
    vl_hex(self->net, VL_NETID_LEN, hex);
    json_object_set_new(j, "network_id", json_string(hex));
    vl_hex(self->hash, VL_HASH_LEN, hex);
    json_object_set_new(j, "policy_hash", json_string(hex));
    json_object_set_new(j, "version", json_integer((json_int_t)self->version));
    json_object_set_new(j, "threshold", json_integer(self->threshold));
    json_object_set_new(j, "signatures", json_integer((json_int_t)self->nsigs));
    json_object_set_new(j, "content_key_epoch", json_integer(vl_policy_epoch(self)));
    json_object_set_new(j, "from", json_integer((json_int_t)vl_policy_from(self)));
    vl_hex(self->prev, VL_HASH_LEN, hex);
    json_object_set_new(j, "prev", json_string(hex));
    if (vl_policy_fresh(self)) {
        vl_kid(vl_policy_fresh(self), kid);
        json_object_set_new(j, "fresh_node", json_string(kid));
    } else {
        json_object_set_new(j, "fresh_node", json_null());
    }
    for (int r = 0; r < VL_POL_NROLES; r++) {
        json_t *arr = json_array();
        for (size_t i = 0; i < self->nrole[r]; i++) {
            const vl_pol_member_t *m = &self->role[r][i];
            json_t *o = json_object();
            vl_kid(m->pk, kid);
            vl_hex(m->pk, VL_PK_LEN, hex);
            json_object_set_new(o, "name", json_string(m->name));
            json_object_set_new(o, "kid", json_string(kid));
            json_object_set_new(o, "key", json_string(hex));
            if (r == 1) {
                json_t *st = json_array();
                for (size_t s = 0; s < m->nstates; s++)
                    json_array_append_new(st, json_string(m->states[s]));
                json_object_set_new(o, "states", st);
            }
            json_array_append_new(arr, o);
        }
        json_object_set_new(j, vl_policy_role_key[r], arr);
    }
    return j;
}

const uint8_t *vl_policy_prev(const vl_policy_t *self) { return self->prev; }
uint64_t vl_policy_from(const vl_policy_t *self) { return self->from; }
const uint8_t *vl_policy_after(const vl_policy_t *self) { return self->after; }

const uint8_t *
vl_policy_fresh(const vl_policy_t *self)
{
    return self->has_fresh ? self->fresh : NULL;
}

void
vl_policy_members_each(const vl_policy_t *self,
                       void (*cb)(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles),
                       void *ctx)
{
    /* Merge the sorted role lists; role index r is bit 1 << r. */
    size_t at[VL_POL_NROLES] = { 0 };
    for (;;) {
        const uint8_t *min = NULL;
        for (int r = 0; r < VL_POL_NROLES; r++)
            if (at[r] < self->nrole[r] &&
                (!min || memcmp(self->role[r][at[r]].pk, min, VL_PK_LEN) < 0))
                min = self->role[r][at[r]].pk;
        if (!min)
            break;
        uint8_t pk[VL_PK_LEN];
        unsigned roles = 0;
        memcpy(pk, min, VL_PK_LEN);
        for (int r = 0; r < VL_POL_NROLES; r++)
            if (at[r] < self->nrole[r] && memcmp(self->role[r][at[r]].pk, pk, VL_PK_LEN) == 0) {
                roles |= 1u << r;
                at[r]++;
            }
        cb(ctx, pk, roles);
    }
}
