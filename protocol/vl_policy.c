/* SPDX-License-Identifier: MIT */
/*
 * vl_policy - network policy (genesis = version 1): build, sign, verify.
 *
 * Everything read here may be hostile (a genesis file handed to `valise
 * init`, a policy from a peer): the document goes through vl_codec, every
 * field is checked, and signatures are verified before the policy is used.
 */
#include "vl_policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_check.h"
#include "vl_fields.h"
#include "vl_limits.h"
#include "vl_record.h"

typedef struct {
    uint8_t pk[VL_PK_LEN];
    char name[VL_MAX_NAME + 1];
    size_t nstates;
    char states[VL_MAX_STATES][VL_STATE_LEN + 1];
} s_member_t;

typedef struct {
    uint8_t to[VL_PK_LEN];
    uint8_t box[VL_SEALED_LEN];
} s_sealed_t;

typedef struct {
    uint32_t epoch;
    size_t nkeys;
    s_sealed_t *keys; /* sorted by recipient key */
} s_epoch_t;

/* Structure of our class */
struct vl_policy {
    uint8_t *bytes;                /* the whole document as received */
    size_t len;
    char name[VL_MAX_NAME + 1];    /* network name */
    uint8_t net[VL_NETID_LEN];     /* network id */
    uint8_t hash[VL_HASH_LEN];     /* H("valise/policy/1", hdr) */
    uint8_t prev[VL_HASH_LEN];     /* hash of version-1 (zeros for genesis) */
    uint64_t version;              /* policy version, 1 = genesis */
    uint64_t time;                 /* creation time, unix seconds */
    uint32_t threshold;            /* k of the k-of-n approvers */
    size_t nsigs;                  /* signatures carried */
    s_member_t *role[3];           /* approvers, authorities, nodes; each sorted by key */
    size_t nrole[3];
    s_epoch_t *epochs;             /* content-key epochs, increasing */
    size_t nepochs;
};

/* Structure of our class */
struct vl_policy_builder {
    char name[VL_MAX_NAME + 1];
    uint32_t threshold;
    s_member_t *role[3];
    size_t nrole[3];
};

static const char *const s_role_key[3] = { "approvers", "authorities", "nodes" };
static const size_t s_role_max[3] = { VL_MAX_APPROVERS, VL_MAX_AUTHORITIES, VL_MAX_NODES };

static int
s_role_index(vl_role_t role)
{
    switch (role) {
    case VL_ROLE_APPROVER: return 0;
    case VL_ROLE_AUTHORITY: return 1;
    case VL_ROLE_NODE: return 2;
    }
    return -1;
}

static bool
s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VL_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static int
s_cmp_member(const void *a, const void *b)
{
    return memcmp(((const s_member_t *)a)->pk, ((const s_member_t *)b)->pk, VL_PK_LEN);
}

static int
s_cmp_pk(const void *a, const void *b)
{
    return memcmp(a, b, VL_PK_LEN);
}

static int
s_cmp_state(const void *a, const void *b)
{
    return strcmp(a, b);
}

static const s_member_t *
s_find(s_member_t *const *role, const size_t *nrole, int r, const uint8_t pk[VL_PK_LEN])
{
    s_member_t key;
    if (nrole[r] == 0)
        return NULL;
    memcpy(key.pk, pk, VL_PK_LEN);
    return bsearch(&key, role[r], nrole[r], sizeof(s_member_t), s_cmp_member);
}

/* ======================================================================== */
/* Builder                                                                  */
/* ======================================================================== */

vl_policy_builder_t *
vl_policy_builder_new(void)
{
    return calloc(1, sizeof(vl_policy_builder_t));
}

void
vl_policy_builder_destroy(vl_policy_builder_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        for (int r = 0; r < 3; r++)
            free((*self_p)->role[r]);
        free(*self_p);
        *self_p = NULL;
    }
}

int
vl_policy_builder_set(vl_policy_builder_t *self, const char *name, uint32_t threshold,
                      char *err)
{
    if (!name || !s_name_ok(name))
        return vl_err(err, VL_EINVAL, "network name must be 1..%u printable bytes",
                      VL_MAX_NAME);
    if (threshold < 1 || threshold > VL_MAX_APPROVERS)
        return vl_err(err, VL_EINVAL, "threshold must be 1..%u", VL_MAX_APPROVERS);
    strcpy(self->name, name);
    self->threshold = threshold;
    return VL_OK;
}

static int
s_parse_states(const char *csv, s_member_t *m, char *err)
{
    m->nstates = 0;
    const char *p = csv;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!vl_state_valid(p, n))
            return vl_err(err, VL_EINVAL, "bad State code \"%.*s\": want two upper-case letters",
                          (int)(n < 8 ? n : 8), p);
        for (size_t i = 0; i < m->nstates; i++)
            if (memcmp(m->states[i], p, VL_STATE_LEN) == 0)
                return vl_err(err, VL_EINVAL, "State %.2s listed twice", p);
        if (m->nstates == VL_MAX_STATES)
            return vl_err(err, VL_ELIMIT, "more than %u States", VL_MAX_STATES);
        memcpy(m->states[m->nstates], p, VL_STATE_LEN);
        m->states[m->nstates][VL_STATE_LEN] = '\0';
        m->nstates++;
        p += n;
        if (*p == ',')
            p++;
    }
    if (m->nstates == 0)
        return vl_err(err, VL_EINVAL, "an authority needs at least one State");
    /* Canonical order: sorted. */
    qsort(m->states, m->nstates, sizeof m->states[0], s_cmp_state);
    return VL_OK;
}

int
vl_policy_builder_add(vl_policy_builder_t *self, vl_role_t role, const uint8_t pk[VL_PK_LEN],
                      const char *name, const char *states, char *err)
{
    int r = s_role_index(role);
    if (r < 0)
        return vl_err(err, VL_EINVAL, "unknown role");
    if (!name || !s_name_ok(name))
        return vl_err(err, VL_EINVAL, "member name must be 1..%u printable bytes", VL_MAX_NAME);
    if (self->nrole[r] >= s_role_max[r])
        return vl_err(err, VL_ELIMIT, "more than %zu %s", s_role_max[r], s_role_key[r]);
    uint8_t probe[VL_SEALED_LEN], k[VL_KEY_LEN] = { 0 };
    if (vl_seal_key(pk, k, probe) != VL_OK)
        return vl_err(err, VL_ECRYPTO, "member %s: not a usable public key", name);
    for (size_t i = 0; i < self->nrole[r]; i++)
        if (memcmp(self->role[r][i].pk, pk, VL_PK_LEN) == 0)
            return vl_err(err, VL_EINVAL, "key of %s listed twice among %s", name,
                          s_role_key[r]);
    s_member_t *grown = realloc(self->role[r], (self->nrole[r] + 1) * sizeof *grown);
    if (!grown)
        return VL_ENOMEM;
    self->role[r] = grown;
    s_member_t *m = &grown[self->nrole[r]];
    memset(m, 0, sizeof *m);
    memcpy(m->pk, pk, VL_PK_LEN);
    strcpy(m->name, name);
    if (role == VL_ROLE_AUTHORITY) {
        int rc = s_parse_states(states ? states : "", m, err);
        if (rc != VL_OK)
            return rc;
    } else if (states && *states) {
        return vl_err(err, VL_EINVAL, "only authorities are bound to States");
    }
    self->nrole[r]++;
    return VL_OK;
}

static void
s_write_members(vl_wr_t *w, int r, s_member_t *const *role, const size_t *nrole)
{
    vl_wr_cstr(w, s_role_key[r]);
    vl_wr_array(w, (uint32_t)nrole[r]);
    for (size_t i = 0; i < nrole[r]; i++) {
        const s_member_t *m = &role[r][i];
        vl_wr_map(w, r == 1 ? 3 : 2);
        vl_wr_cstr(w, "key");
        vl_wr_bin(w, m->pk, VL_PK_LEN);
        vl_wr_cstr(w, "name");
        vl_wr_cstr(w, m->name);
        if (r == 1) {
            vl_wr_cstr(w, "states");
            vl_wr_array(w, (uint32_t)m->nstates);
            for (size_t s = 0; s < m->nstates; s++)
                vl_wr_cstr(w, m->states[s]);
        }
    }
}

/* The distinct member keys of all roles, sorted: the recipients of content keys. */
static int
s_recipients(s_member_t *const *role, const size_t *nrole, uint8_t (**out)[VL_PK_LEN],
             size_t *n)
{
    size_t total = nrole[0] + nrole[1] + nrole[2], k = 0;
    uint8_t(*keys)[VL_PK_LEN] = malloc((total ? total : 1) * VL_PK_LEN);
    if (!keys)
        return VL_ENOMEM;
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < nrole[r]; i++)
            memcpy(keys[k++], role[r][i].pk, VL_PK_LEN);
    if (k > 1)
        qsort(keys, k, VL_PK_LEN, s_cmp_pk);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || memcmp(keys[u - 1], keys[i], VL_PK_LEN) != 0)
            memmove(keys[u++], keys[i], VL_PK_LEN);
    *out = keys;
    *n = u;
    return VL_OK;
}

/* Header keys in canonical order (docs/formats.md, "Policy"). */
static const char *const s_hdr_keys[] = { "approvers", "authorities", "epochs", "name",
                                          "net", "nodes", "prev", "threshold", "time",
                                          "type", "v", "version", NULL };

int
vl_policy_builder_finish(vl_policy_builder_t *self, uint64_t now, uint8_t **out,
                         size_t *out_len, char *err)
{
    int rc = VL_EINVAL;
    vl_wr_t *hdr = NULL, *doc = NULL;
    uint8_t(*rcpt)[VL_PK_LEN] = NULL;
    size_t nrcpt = 0;
    uint8_t *ckey = NULL;
    *out = NULL;
    *out_len = 0;

    if (!self->name[0]) {
        rc = vl_err(err, VL_EINVAL, "the network needs a name");
        goto out;
    }
    if (self->nrole[0] == 0) {
        rc = vl_err(err, VL_EINVAL, "the network needs at least one approver");
        goto out;
    }
    if (self->threshold < 1 || self->threshold > self->nrole[0]) {
        rc = vl_err(err, VL_EINVAL, "threshold %u does not fit %zu approvers", self->threshold,
                    self->nrole[0]);
        goto out;
    }
    for (int r = 0; r < 3; r++)
        if (self->nrole[r] > 1)
            qsort(self->role[r], self->nrole[r], sizeof(s_member_t), s_cmp_member);
    rc = s_recipients(self->role, self->nrole, &rcpt, &nrcpt);
    if (rc != VL_OK)
        goto out;
    ckey = vl_secure_alloc(VL_KEY_LEN);
    hdr = vl_wr_new();
    doc = vl_wr_new();
    if (!ckey || !hdr || !doc) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_random(ckey, VL_KEY_LEN);
    uint8_t net[VL_NETID_LEN], zero[VL_HASH_LEN] = { 0 };
    vl_random(net, sizeof net);

    vl_wr_map(hdr, 12);
    s_write_members(hdr, 0, self->role, self->nrole);
    s_write_members(hdr, 1, self->role, self->nrole);
    vl_wr_cstr(hdr, "epochs");
    vl_wr_array(hdr, 1);
    vl_wr_map(hdr, 2);
    vl_wr_cstr(hdr, "epoch");
    vl_wr_uint(hdr, 0);
    vl_wr_cstr(hdr, "keys");
    vl_wr_array(hdr, (uint32_t)nrcpt);
    for (size_t i = 0; i < nrcpt; i++) {
        uint8_t box[VL_SEALED_LEN];
        rc = vl_seal_key(rcpt[i], ckey, box);
        if (rc != VL_OK) {
            rc = vl_err(err, rc, "cannot seal the content key to a member key");
            goto out;
        }
        vl_wr_map(hdr, 2);
        vl_wr_cstr(hdr, "box");
        vl_wr_bin(hdr, box, sizeof box);
        vl_wr_cstr(hdr, "to");
        vl_wr_bin(hdr, rcpt[i], VL_PK_LEN);
    }
    vl_wr_cstr(hdr, "name");
    vl_wr_cstr(hdr, self->name);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, net, sizeof net);
    s_write_members(hdr, 2, self->role, self->nrole);
    vl_wr_cstr(hdr, "prev");
    vl_wr_bin(hdr, zero, sizeof zero);
    vl_wr_cstr(hdr, "threshold");
    vl_wr_uint(hdr, self->threshold);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "policy");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, 1);
    vl_wr_cstr(hdr, "version");
    vl_wr_uint(hdr, 1);
    if ((rc = vl_wr_status(hdr)) != VL_OK) {
        rc = vl_err(err, rc, "policy header too large");
        goto out;
    }
    vl_wr_map(doc, 2);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "sigs");
    vl_wr_array(doc, 0);
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_secure_free(&ckey);
    free(rcpt);
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&doc);
    return rc;
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
        for (int r = 0; r < 3; r++)
            free(self->role[r]);
        for (size_t e = 0; e < self->nepochs; e++)
            free(self->epochs[e].keys);
        free(self->epochs);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

static int
s_parse_members(vl_policy_t *self, vl_val_t hdr, int r, char *err)
{
    vl_val_t arr;
    int rc = vl_field_array(hdr, s_role_key[r], &arr, r == 0 ? 1 : 0, (uint32_t)s_role_max[r],
                            "policy", err);
    if (rc != VL_OK)
        return rc;
    size_t n = vl_val_len(arr);
    self->role[r] = calloc(n ? n : 1, sizeof(s_member_t));
    if (!self->role[r])
        return VL_ENOMEM;
    static const char *const req2[] = { "key", "name", NULL };
    static const char *const req3[] = { "key", "name", "states", NULL };
    for (size_t i = 0; i < n; i++) {
        vl_val_t m = vl_val_at(arr, (uint32_t)i);
        s_member_t *mm = &self->role[r][i];
        char what[48];
        snprintf(what, sizeof what, "policy.%s[%zu]", s_role_key[r], i);
        if ((rc = vl_val_map_keys(m, r == 1 ? req3 : req2, NULL, what, err)) != VL_OK ||
            (rc = vl_field_bin_exact(m, "key", mm->pk, VL_PK_LEN, what, err)) != VL_OK ||
            (rc = vl_field_str(m, "name", mm->name, sizeof mm->name, what, err)) != VL_OK)
            return rc;
        if (!s_name_ok(mm->name))
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

static int
s_parse_epochs(vl_policy_t *self, vl_val_t hdr, char *err)
{
    vl_val_t arr;
    int rc = vl_field_array(hdr, "epochs", &arr, 1, 1024, "policy", err);
    if (rc != VL_OK)
        return rc;
    size_t n = vl_val_len(arr);
    self->epochs = calloc(n, sizeof(s_epoch_t));
    if (!self->epochs)
        return VL_ENOMEM;
    static const char *const req[] = { "epoch", "keys", NULL };
    static const char *const reqk[] = { "box", "to", NULL };
    for (size_t e = 0; e < n; e++) {
        vl_val_t ep = vl_val_at(arr, (uint32_t)e), keys;
        s_epoch_t *pe = &self->epochs[e];
        uint64_t num;
        char what[48];
        snprintf(what, sizeof what, "policy.epochs[%zu]", e);
        if ((rc = vl_val_map_keys(ep, req, NULL, what, err)) != VL_OK ||
            (rc = vl_field_uint(ep, "epoch", &num, what, err)) != VL_OK ||
            (rc = vl_field_array(ep, "keys", &keys, 1,
                                 VL_MAX_APPROVERS + VL_MAX_AUTHORITIES + VL_MAX_NODES, what,
                                 err)) != VL_OK)
            return rc;
        if (num > UINT32_MAX || (e > 0 && num <= self->epochs[e - 1].epoch))
            return vl_err(err, VL_EPROTO, "%s.epoch: not increasing", what);
        pe->epoch = (uint32_t)num;
        pe->nkeys = vl_val_len(keys);
        pe->keys = calloc(pe->nkeys, sizeof(s_sealed_t));
        if (!pe->keys)
            return VL_ENOMEM;
        self->nepochs = e + 1;
        for (size_t i = 0; i < pe->nkeys; i++) {
            vl_val_t k = vl_val_at(keys, (uint32_t)i);
            if ((rc = vl_val_map_keys(k, reqk, NULL, what, err)) != VL_OK ||
                (rc = vl_field_bin_exact(k, "box", pe->keys[i].box, VL_SEALED_LEN, what,
                                         err)) != VL_OK ||
                (rc = vl_field_bin_exact(k, "to", pe->keys[i].to, VL_PK_LEN, what, err)) !=
                    VL_OK)
                return rc;
            if (i > 0 && memcmp(pe->keys[i - 1].to, pe->keys[i].to, VL_PK_LEN) >= 0)
                return vl_err(err, VL_EPROTO, "%s.keys: not sorted or repeated", what);
        }
    }
    return VL_OK;
}

int
vl_policy_check_sigs(const vl_policy_t *self, vl_val_t sigs, const uint8_t *digest,
                     size_t *nvalid, char *err)
{
    static const char *const req[] = { "k", "s", NULL };
    *nvalid = 0;
    if (vl_val_type(sigs) != VL_T_ARRAY || vl_val_len(sigs) > VL_MAX_APPROVERS)
        return vl_err(err, VL_EPROTO, "sigs: not an array of at most %u", VL_MAX_APPROVERS);
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
        if (!s_find(self->role, self->nrole, 0, pk))
            return vl_err(err, VL_EPERM, "signature by %s, who is not an approver", kid);
        if (digest && vl_verify(pk, digest, sig) != VL_OK)
            return vl_err(err, VL_EAUTH, "bad signature by approver %s", kid);
        (*nvalid)++;
    }
    return VL_OK;
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

int
vl_policy_parse(const uint8_t *buf, size_t len, unsigned flags, vl_policy_t **out, char *err)
{
    int rc = VL_EPROTO;
    vl_doc_t *doc = NULL, *hdoc = NULL;
    vl_policy_t *self = NULL;
    static const char *const outer[] = { "hdr", "sigs", NULL };
    *out = NULL;

    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(root, outer, NULL, "policy document", err)) != VL_OK)
        goto out;
    const uint8_t *hb;
    size_t hlen;
    if ((rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "policy document", err)) != VL_OK)
        goto out;
    if ((rc = vl_doc_parse(hb, hlen, 0, &hdoc, err)) != VL_OK)
        goto out;
    vl_val_t hdr = vl_doc_root(hdoc);
    if ((rc = vl_val_map_keys(hdr, s_hdr_keys, NULL, "policy", err)) != VL_OK ||
        (rc = vl_field_streq(hdr, "type", "policy", "policy", err)) != VL_OK)
        goto out;
    uint64_t v, thr;
    if ((rc = vl_field_uint(hdr, "v", &v, "policy", err)) != VL_OK)
        goto out;
    if (v != 1) {
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
    for (int r = 0; r < 3; r++)
        if ((rc = s_parse_members(self, hdr, r, err)) != VL_OK)
            goto out;
    if ((rc = s_parse_epochs(self, hdr, err)) != VL_OK)
        goto out;
    if (thr < 1 || thr > self->nrole[0]) {
        rc = vl_err(err, VL_EPROTO, "policy.threshold %llu does not fit %zu approvers",
                    (unsigned long long)thr, self->nrole[0]);
        goto out;
    }
    self->threshold = (uint32_t)thr;
    uint8_t zero[VL_HASH_LEN] = { 0 };
    if (self->version != 1 || memcmp(self->prev, zero, VL_HASH_LEN) != 0) {
        /* Policy chains (version > 1) arrive with issue 4. */
        rc = vl_err(err, VL_EPROTO, "policy: only a genesis (version 1, prev 0) is supported");
        goto out;
    }
    vl_hash(self->hash, "valise/policy/1", hb, hlen);

    size_t nvalid = 0;
    if ((rc = vl_policy_check_sigs(self, vl_val_get(root, "sigs"), self->hash, &nvalid,
                                   err)) != VL_OK)
        goto out;
    self->nsigs = nvalid;
    if (!(flags & VL_POLICY_ALLOW_UNSIGNED) && nvalid < self->threshold) {
        rc = vl_err(err, VL_ETHRESHOLD, "policy signed by %zu approvers, threshold is %u",
                    nvalid, self->threshold);
        goto out;
    }
    self->bytes = malloc(len);
    if (!self->bytes) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(self->bytes, buf, len);
    self->len = len;
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_policy_destroy(&self);
    vl_doc_destroy(&hdoc);
    vl_doc_destroy(&doc);
    return rc;
}

int
vl_policy_sign(const uint8_t *in, size_t in_len, const vl_keypair_t *kp, uint8_t **out,
               size_t *out_len, char *err)
{
    int rc;
    vl_policy_t *pol = NULL;
    vl_doc_t *doc = NULL;
    vl_wr_t *w = NULL;
    *out = NULL;
    *out_len = 0;
    if ((rc = vl_policy_parse(in, in_len, VL_POLICY_ALLOW_UNSIGNED, &pol, err)) != VL_OK)
        goto out;
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "this key is not an approver of the policy");
        goto out;
    }
    if ((rc = vl_doc_parse(in, in_len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    const uint8_t *hb;
    size_t hlen;
    if ((rc = vl_field_bin(root, "hdr", &hb, &hlen, VL_MAX_DOC, "policy document", err)) != VL_OK)
        goto out;
    uint8_t sig[VL_SIG_LEN];
    vl_sign(kp, pol->hash, sig);
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
    rc = vl_wr_dup(w, out, out_len);
out:
    vl_wr_destroy(&w);
    vl_doc_destroy(&doc);
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
    if (s_find(self->role, self->nrole, 0, pk))
        roles |= VL_ROLE_APPROVER;
    if (s_find(self->role, self->nrole, 1, pk))
        roles |= VL_ROLE_AUTHORITY;
    if (s_find(self->role, self->nrole, 2, pk))
        roles |= VL_ROLE_NODE;
    return roles;
}

bool
vl_policy_may_edit(const vl_policy_t *self, const uint8_t pk[VL_PK_LEN], const char *state)
{
    if (s_find(self->role, self->nrole, 0, pk))
        return true;
    const s_member_t *m = s_find(self->role, self->nrole, 1, pk);
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
    for (int r = 0; r < 3; r++) {
        const s_member_t *m = s_find(self->role, self->nrole, r, pk);
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
        const s_epoch_t *pe = &self->epochs[e];
        if (pe->epoch != epoch)
            continue;
        if (pe->nkeys == 0)
            return VL_EPERM;
        const s_sealed_t *s =
            bsearch(vl_keypair_pk(kp), pe->keys, pe->nkeys, sizeof(s_sealed_t), s_cmp_pk);
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
    for (int r = 0; r < 3; r++) {
        json_t *arr = json_array();
        for (size_t i = 0; i < self->nrole[r]; i++) {
            const s_member_t *m = &self->role[r][i];
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
        json_object_set_new(j, s_role_key[r], arr);
    }
    return j;
}

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

#include "vl_testnet.h"

int
vl_policy_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_testnet_t t;
    vl_policy_t *p = NULL;
    vl_policy_builder_t *b = NULL;
    uint8_t *g0 = NULL, *g1 = NULL, *g2 = NULL, *bad = NULL;
    size_t l0 = 0, l1 = 0, l2 = 0, badlen = 0;
    char err[VL_ERRMSG_MAX];

    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    /* Roles and bindings. */
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.a1)) == VL_ROLE_APPROVER);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.mu)) == VL_ROLE_AUTHORITY);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.node)) == VL_ROLE_NODE);
    VL_CHECK(vl_policy_roles(t.pol, vl_keypair_pk(t.outsider)) == 0);
    VL_CHECK(vl_policy_may_edit(t.pol, vl_keypair_pk(t.mu), "MU"));
    VL_CHECK(!vl_policy_may_edit(t.pol, vl_keypair_pk(t.mu), "MG"));
    VL_CHECK(vl_policy_may_edit(t.pol, vl_keypair_pk(t.a1), "MG"));
    VL_CHECK(!vl_policy_may_edit(t.pol, vl_keypair_pk(t.node), "MU"));
    VL_CHECK(vl_policy_threshold(t.pol) == 2 && vl_policy_nsigs(t.pol) == 2);
    VL_CHECK(strcmp(vl_policy_member_name(t.pol, vl_keypair_pk(t.mg)),
                    "Madagascar central authority") == 0);

    /* Content key: every member opens the same key; an outsider cannot. */
    uint8_t k1[VL_KEY_LEN], k2[VL_KEY_LEN];
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.a1, k1), VL_OK);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.mu, k2), VL_OK);
    VL_CHECK(memcmp(k1, k2, VL_KEY_LEN) == 0 && memcmp(k1, t.ckey, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 0, t.outsider, k2), VL_EPERM);
    VL_CHECK_RC(vl_policy_content_key(t.pol, 7, t.a1, k2), VL_ENOTFOUND);

    /* Signing rules: below threshold, non-approver, twice. */
    b = vl_policy_builder_new();
    VL_CHECK_RC(vl_policy_builder_set(b, "net", 2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a1), "A", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a1), "A", NULL, NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t.mu), "MU", "XX,mu",
                                      NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &g0, &l0, NULL), VL_EINVAL); /* 2 of 1 */
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t.a2), "B", NULL, NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t.mu), "MU", "MU",
                                      NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish(b, 1, &g0, &l0, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(g0, l0, 0, &p, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_parse(g0, l0, VL_POLICY_ALLOW_UNSIGNED, &p, NULL), VL_OK);
    vl_policy_destroy(&p);
    VL_CHECK_RC(vl_policy_sign(g0, l0, t.mu, &g1, &l1, NULL), VL_EPERM);
    VL_CHECK_RC(vl_policy_sign(g0, l0, t.a2, &g1, &l1, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign(g1, l1, t.a2, &g2, &l2, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_policy_parse(g1, l1, 0, &p, NULL), VL_ETHRESHOLD);
    VL_CHECK_RC(vl_policy_sign(g1, l1, t.a1, &g2, &l2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(g2, l2, 0, &p, NULL), VL_OK);
    vl_policy_destroy(&p);

    /* Tampering: any byte of the header flips the signatures (or the form). */
    if (g2 && (bad = malloc(l2))) {
        badlen = l2;
        size_t refused = 0;
        for (size_t i = 0; i < badlen; i += 7) {
            memcpy(bad, g2, l2);
            bad[i] ^= 0x01;
            if (vl_policy_parse(bad, badlen, 0, &p, NULL) != VL_OK)
                refused++;
            vl_policy_destroy(&p);
        }
        VL_CHECK(refused == (badlen + 6) / 7);
        /* truncated and trailing garbage */
        VL_CHECK(vl_policy_parse(g2, l2 - 1, 0, &p, NULL) != VL_OK);
    }
    /* The same approver counted twice: duplicate the first signature. The
     * writer refuses it, so forge the list by hand. */
    {
        vl_doc_t *d = NULL;
        vl_wr_t *w = vl_wr_new();
        VL_CHECK_RC(vl_doc_parse(g2, l2, 0, &d, NULL), VL_OK);
        if (d && w) {
            vl_val_t root = vl_doc_root(d), sigs = vl_val_get(root, "sigs");
            const uint8_t *hb;
            size_t hl;
            VL_CHECK_RC(vl_val_bin(vl_val_get(root, "hdr"), &hb, &hl), VL_OK);
            uint8_t k[VL_PK_LEN], s[VL_SIG_LEN];
            VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sigs, 0), "k"), k, VL_PK_LEN),
                        VL_OK);
            VL_CHECK_RC(vl_val_bin_exact(vl_val_get(vl_val_at(sigs, 0), "s"), s, VL_SIG_LEN),
                        VL_OK);
            vl_wr_map(w, 2);
            vl_wr_cstr(w, "hdr");
            vl_wr_bin(w, hb, hl);
            vl_wr_cstr(w, "sigs");
            vl_wr_array(w, 2);
            for (int i = 0; i < 2; i++) {
                vl_wr_map(w, 2);
                vl_wr_cstr(w, "k");
                vl_wr_bin(w, k, VL_PK_LEN);
                vl_wr_cstr(w, "s");
                vl_wr_bin(w, s, VL_SIG_LEN);
            }
            err[0] = '\0';
            VL_CHECK_RC(vl_policy_parse(vl_wr_data(w), vl_wr_len(w), 0, &p, err), VL_EEXIST);
            VL_CHECK(strstr(err, "counted twice") != NULL);
            vl_policy_destroy(&p);
        }
        vl_doc_destroy(&d);
        vl_wr_destroy(&w);
    }
    json_t *j = vl_policy_to_json(t.pol);
    VL_CHECK(j && json_array_size(json_object_get(j, "approvers")) == 2);
    if (verbose && j) {
        char *s = json_dumps(j, JSON_COMPACT);
        printf("policy: %.200s...\n", s ? s : "");
        free(s);
    }
    json_decref(j);
    vl_policy_builder_destroy(&b);
    free(g0);
    free(g1);
    free(g2);
    free(bad);
    vl_testnet_fini(&t);
    return VL_TEST_END;
}
