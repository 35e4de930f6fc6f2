/* SPDX-License-Identifier: MIT */
/*
 * vl_policy - network policy: build, sign and verify the genesis (version 1)
 * and every later version against its predecessor (docs/trust.md §1-§2).
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
    uint8_t after[VL_HASH_LEN];    /* link of entry from-1; own hash for the genesis */
    uint64_t from;                 /* first log seq governed; 1 for the genesis */
    bool has_fresh;                /* a freshness key is named */
    uint8_t fresh[VL_PK_LEN];      /* the node whose freshness statements count */
    uint8_t (*signers)[VL_PK_LEN]; /* keys of the nsigs signatures, sorted */
};

/* Structure of our class */
struct vl_policy_builder {
    char name[VL_MAX_NAME + 1];
    uint32_t threshold;
    s_member_t *role[3];
    size_t nrole[3];
    bool has_fresh;                /* a freshness key is named */
    uint8_t fresh[VL_PK_LEN];
    /* A version N+1 (vl_policy_builder_from) only: */
    bool next;
    uint8_t cur_hash[VL_HASH_LEN]; /* hash of version N */
    size_t nepochs;                /* N's epochs */
    uint32_t epoch[VL_MAX_EPOCHS]; /* their numbers */
    uint8_t *ckeys;                /* their content keys, nepochs * VL_KEY_LEN, secure memory */
};

/* Bytes the signatures may add to an unsigned policy: each is 105 bytes, and
 * an approver of version N or of N+1 may sign. */
#define S_SIG_ROOM (2u * VL_MAX_APPROVERS * 105u + 5u)

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

/* Index of pk among a builder's members of role r (unsorted), or -1. */
static ptrdiff_t
s_builder_index(const vl_policy_builder_t *self, int r, const uint8_t pk[VL_PK_LEN])
{
    for (size_t i = 0; i < self->nrole[r]; i++)
        if (memcmp(self->role[r][i].pk, pk, VL_PK_LEN) == 0)
            return (ptrdiff_t)i;
    return -1;
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
        vl_secure_free(&(*self_p)->ckeys);
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

int
vl_policy_builder_set_fresh(vl_policy_builder_t *self, const uint8_t pk[VL_PK_LEN])
{
    self->has_fresh = pk != NULL;
    if (pk)
        memcpy(self->fresh, pk, VL_PK_LEN);
    else
        memset(self->fresh, 0, VL_PK_LEN);
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
    if (s_builder_index(self, r, pk) >= 0)
        return vl_err(err, VL_EINVAL, "key of %s listed twice among %s", name, s_role_key[r]);
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

/* Header keys in canonical order (docs/formats.md, "Policy"): every version
 * has these; "after" and "from" come with versions > 1 (docs/trust.md §1.1),
 * "fresh" is optional in every version. */
static const char *const s_hdr_keys[] = { "approvers", "authorities", "epochs", "name",
                                          "net", "nodes", "prev", "threshold", "time",
                                          "type", "v", "version", NULL };
static const char *const s_hdr_opt[] = { "after", "fresh", "from", NULL };

/* The checks a builder must pass before it writes anything; sorts the roles. */
static int
s_builder_check(vl_policy_builder_t *self, char *err)
{
    if (!self->name[0])
        return vl_err(err, VL_EINVAL, "the network needs a name");
    if (self->nrole[0] == 0)
        return vl_err(err, VL_EINVAL, "the network needs at least one approver");
    if (self->threshold < 1 || self->threshold > self->nrole[0])
        return vl_err(err, VL_EINVAL, "threshold %u does not fit %zu approvers",
                      self->threshold, self->nrole[0]);
    for (int r = 0; r < 3; r++)
        if (self->nrole[r] > 1)
            qsort(self->role[r], self->nrole[r], sizeof(s_member_t), s_cmp_member);
    if (self->has_fresh && !s_find(self->role, self->nrole, 2, self->fresh)) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(self->fresh, kid);
        return vl_err(err, VL_EINVAL, "the fresh key %s is not a node of the policy", kid);
    }
    return VL_OK;
}

/* One epoch: its number and its content key sealed to every recipient. */
static int
s_write_epoch(vl_wr_t *hdr, uint32_t num, const uint8_t key[VL_KEY_LEN],
              const uint8_t (*rcpt)[VL_PK_LEN], size_t nrcpt, char *err)
{
    vl_wr_map(hdr, 2);
    vl_wr_cstr(hdr, "epoch");
    vl_wr_uint(hdr, num);
    vl_wr_cstr(hdr, "keys");
    vl_wr_array(hdr, (uint32_t)nrcpt);
    for (size_t i = 0; i < nrcpt; i++) {
        uint8_t box[VL_SEALED_LEN];
        int rc = vl_seal_key(rcpt[i], key, box);
        if (rc != VL_OK)
            return vl_err(err, rc, "cannot seal the content key to a member key");
        vl_wr_map(hdr, 2);
        vl_wr_cstr(hdr, "box");
        vl_wr_bin(hdr, box, sizeof box);
        vl_wr_cstr(hdr, "to");
        vl_wr_bin(hdr, rcpt[i], VL_PK_LEN);
    }
    return VL_OK;
}

/* What a header says beyond the builder's members: the genesis has after
 * NULL (no after/from keys). */
typedef struct {
    const uint8_t *net;       /* VL_NETID_LEN */
    const uint8_t *prev;      /* VL_HASH_LEN */
    const uint8_t *after;     /* VL_HASH_LEN, NULL for the genesis */
    uint64_t from;            /* with after */
    uint64_t version;
    uint64_t now;
    size_t nepochs;
    const uint32_t *epoch;    /* nepochs epoch numbers, increasing */
    const uint8_t *ckeys;     /* nepochs content keys (secret) */
    const uint8_t (*rcpt)[VL_PK_LEN]; /* every key sealed to: s_recipients of the builder */
    size_t nrcpt;
} s_hdr_args_t;

/* Write the unsigned document {"hdr", "sigs": []} of a builder (roles sorted). */
static int
s_builder_write(const vl_policy_builder_t *self, const s_hdr_args_t *a, uint8_t **out,
                size_t *out_len, char *err)
{
    int rc;
    vl_wr_t *hdr = NULL, *doc = NULL;
    *out = NULL;
    *out_len = 0;

    hdr = vl_wr_new();
    doc = vl_wr_new();
    if (!hdr || !doc) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_wr_map(hdr, 12 + (a->after ? 2 : 0) + (self->has_fresh ? 1 : 0));
    if (a->after) {
        vl_wr_cstr(hdr, "after");
        vl_wr_bin(hdr, a->after, VL_HASH_LEN);
    }
    s_write_members(hdr, 0, self->role, self->nrole);
    s_write_members(hdr, 1, self->role, self->nrole);
    vl_wr_cstr(hdr, "epochs");
    vl_wr_array(hdr, (uint32_t)a->nepochs);
    for (size_t e = 0; e < a->nepochs; e++)
        if ((rc = s_write_epoch(hdr, a->epoch[e], a->ckeys + e * VL_KEY_LEN, a->rcpt,
                                a->nrcpt, err)) != VL_OK)
            goto out;
    if (self->has_fresh) {
        vl_wr_cstr(hdr, "fresh");
        vl_wr_bin(hdr, self->fresh, VL_PK_LEN);
    }
    if (a->after) {
        vl_wr_cstr(hdr, "from");
        vl_wr_uint(hdr, a->from);
    }
    vl_wr_cstr(hdr, "name");
    vl_wr_cstr(hdr, self->name);
    vl_wr_cstr(hdr, "net");
    vl_wr_bin(hdr, a->net, VL_NETID_LEN);
    s_write_members(hdr, 2, self->role, self->nrole);
    vl_wr_cstr(hdr, "prev");
    vl_wr_bin(hdr, a->prev, VL_HASH_LEN);
    vl_wr_cstr(hdr, "threshold");
    vl_wr_uint(hdr, self->threshold);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, a->now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "policy");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, 1);
    vl_wr_cstr(hdr, "version");
    vl_wr_uint(hdr, a->version);
    if ((rc = vl_wr_status(hdr)) != VL_OK) {
        rc = vl_err(err, rc, "policy header too large");
        goto out;
    }
    vl_wr_map(doc, 2);
    vl_wr_cstr(doc, "hdr");
    vl_wr_bin(doc, vl_wr_data(hdr), vl_wr_len(hdr));
    vl_wr_cstr(doc, "sigs");
    vl_wr_array(doc, 0);
    if ((rc = vl_wr_status(doc)) != VL_OK) {
        rc = vl_err(err, rc, "policy document too large");
        goto out;
    }
    /* Room for the signatures: a signature is 105 bytes, an approver of either version may sign. */
    if (vl_wr_len(doc) + S_SIG_ROOM > VL_MAX_POLICY) {
        rc = vl_err(err, VL_ELIMIT, "policy of %zu bytes (with its signatures) exceeds %u",
                    vl_wr_len(doc) + S_SIG_ROOM, VL_MAX_POLICY);
        goto out;
    }
    rc = vl_wr_dup(doc, out, out_len);
out:
    vl_wr_destroy(&hdr);
    vl_wr_destroy(&doc);
    return rc;
}

int
vl_policy_builder_finish(vl_policy_builder_t *self, uint64_t now, uint8_t **out,
                         size_t *out_len, char *err)
{
    int rc;
    uint8_t *ckey = NULL;
    uint8_t(*rcpt)[VL_PK_LEN] = NULL;
    size_t nrcpt = 0;
    uint8_t net[VL_NETID_LEN], zero[VL_HASH_LEN] = { 0 };
    const uint32_t epoch0 = 0;
    *out = NULL;
    *out_len = 0;

    if ((rc = s_builder_check(self, err)) != VL_OK ||
        (rc = s_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
        goto out;
    if (!(ckey = vl_secure_alloc(VL_KEY_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_random(ckey, VL_KEY_LEN);
    vl_random(net, sizeof net);
    s_hdr_args_t a = { .net = net, .prev = zero, .after = NULL, .from = 0, .version = 1,
                       .now = now, .nepochs = 1, .epoch = &epoch0, .ckeys = ckey,
                       .rcpt = (const uint8_t(*)[VL_PK_LEN])rcpt, .nrcpt = nrcpt };
    rc = s_builder_write(self, &a, out, out_len, err);
out:
    free(rcpt);
    vl_secure_free(&ckey);
    return rc;
}

int
vl_policy_builder_from(const vl_policy_t *cur, const vl_keypair_t *kp,
                       vl_policy_builder_t **out, char *err)
{
    int rc = VL_OK;
    vl_policy_builder_t *self = NULL;
    *out = NULL;

    if (vl_policy_roles(cur, vl_keypair_pk(kp)) == 0) {
        rc = vl_err(err, VL_EPERM, "this key is not a member of policy version %llu",
                    (unsigned long long)cur->version);
        goto out;
    }
    assert(cur->nepochs >= 1 && cur->nepochs <= VL_MAX_EPOCHS);
    if (!(self = calloc(1, sizeof *self)) ||
        !(self->ckeys = vl_secure_alloc(cur->nepochs * VL_KEY_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    strcpy(self->name, cur->name);
    self->threshold = cur->threshold;
    for (int r = 0; r < 3; r++) {
        if (!(self->role[r] = malloc((cur->nrole[r] ? cur->nrole[r] : 1) * sizeof(s_member_t)))) {
            rc = VL_ENOMEM;
            goto out;
        }
        memcpy(self->role[r], cur->role[r], cur->nrole[r] * sizeof(s_member_t));
        self->nrole[r] = cur->nrole[r];
    }
    self->has_fresh = cur->has_fresh;
    memcpy(self->fresh, cur->fresh, VL_PK_LEN);
    self->next = true;
    memcpy(self->cur_hash, cur->hash, VL_HASH_LEN);
    self->nepochs = cur->nepochs;
    for (size_t e = 0; e < cur->nepochs; e++) {
        self->epoch[e] = cur->epochs[e].epoch;
        rc = vl_policy_content_key(cur, cur->epochs[e].epoch, kp, self->ckeys + e * VL_KEY_LEN);
        if (rc != VL_OK) {
            rc = vl_err(err, rc, "cannot open the content key of epoch %u with this key",
                        cur->epochs[e].epoch);
            goto out;
        }
    }
    *out = self;
    self = NULL;
out:
    vl_policy_builder_destroy(&self);
    return rc;
}

int
vl_policy_builder_remove(vl_policy_builder_t *self, const uint8_t pk[VL_PK_LEN], char *err)
{
    bool found = false;
    for (int r = 0; r < 3; r++) {
        ptrdiff_t i = s_builder_index(self, r, pk);
        if (i < 0)
            continue;
        memmove(&self->role[r][i], &self->role[r][i + 1],
                (self->nrole[r] - (size_t)i - 1) * sizeof(s_member_t));
        self->nrole[r]--;
        found = true;
    }
    if (!found) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(pk, kid);
        return vl_err(err, VL_ENOTFOUND, "key %s is not a member", kid);
    }
    if (self->has_fresh && memcmp(self->fresh, pk, VL_PK_LEN) == 0)
        vl_policy_builder_set_fresh(self, NULL);
    return VL_OK;
}

int
vl_policy_builder_rotate(vl_policy_builder_t *self, const uint8_t old_pk[VL_PK_LEN],
                         const uint8_t new_pk[VL_PK_LEN], char *err)
{
    char kid[2 * VL_KID_LEN + 1];
    bool found = false;
    for (int r = 0; r < 3; r++) {
        if (s_builder_index(self, r, new_pk) >= 0) {
            vl_kid(new_pk, kid);
            return vl_err(err, VL_EEXIST, "the new key %s is already a member", kid);
        }
        found = found || s_builder_index(self, r, old_pk) >= 0;
    }
    if (!found) {
        vl_kid(old_pk, kid);
        return vl_err(err, VL_ENOTFOUND, "key %s is not a member", kid);
    }
    uint8_t probe[VL_SEALED_LEN], k[VL_KEY_LEN] = { 0 };
    if (vl_seal_key(new_pk, k, probe) != VL_OK)
        return vl_err(err, VL_ECRYPTO, "the new key is not a usable public key");
    for (int r = 0; r < 3; r++) {
        ptrdiff_t i = s_builder_index(self, r, old_pk);
        if (i >= 0)
            memcpy(self->role[r][i].pk, new_pk, VL_PK_LEN);
    }
    if (self->has_fresh && memcmp(self->fresh, old_pk, VL_PK_LEN) == 0)
        memcpy(self->fresh, new_pk, VL_PK_LEN);
    return VL_OK;
}

static bool
s_member_eq(const s_member_t *a, const s_member_t *b)
{
    if (memcmp(a->pk, b->pk, VL_PK_LEN) != 0 || strcmp(a->name, b->name) != 0 ||
        a->nstates != b->nstates)
        return false;
    for (size_t s = 0; s < a->nstates; s++)
        if (strcmp(a->states[s], b->states[s]) != 0)
            return false;
    return true;
}

/* True when the (sorted) builder says exactly what cur says. */
static bool
s_builder_same(const vl_policy_builder_t *self, const vl_policy_t *cur)
{
    if (strcmp(self->name, cur->name) != 0 || self->threshold != cur->threshold ||
        self->has_fresh != cur->has_fresh ||
        (self->has_fresh && memcmp(self->fresh, cur->fresh, VL_PK_LEN) != 0))
        return false;
    for (int r = 0; r < 3; r++) {
        if (self->nrole[r] != cur->nrole[r])
            return false;
        for (size_t i = 0; i < self->nrole[r]; i++)
            if (!s_member_eq(&self->role[r][i], &cur->role[r][i]))
                return false;
    }
    return true;
}

/* True when some member key of cur is no member key of the (sorted) builder. */
static bool
s_builder_drops(const vl_policy_builder_t *self, const vl_policy_t *cur)
{
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < cur->nrole[r]; i++) {
            const uint8_t *pk = cur->role[r][i].pk;
            if (!s_find(self->role, self->nrole, 0, pk) &&
                !s_find(self->role, self->nrole, 1, pk) &&
                !s_find(self->role, self->nrole, 2, pk))
                return true;
        }
    return false;
}

int
vl_policy_builder_finish_next(vl_policy_builder_t *self, const vl_policy_t *cur,
                              uint64_t from, const uint8_t after[VL_HASH_LEN], bool new_epoch,
                              uint64_t now, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    uint8_t *ckeys = NULL;
    uint8_t(*rcpt)[VL_PK_LEN] = NULL;
    size_t nrcpt = 0;
    uint32_t epoch[VL_MAX_EPOCHS];
    *out = NULL;
    *out_len = 0;

    if (!self->next || memcmp(self->cur_hash, cur->hash, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_EINVAL, "this builder was not started from policy version %llu",
                    (unsigned long long)cur->version);
        goto out;
    }
    if (from < cur->from) {
        rc = vl_err(err, VL_EINVAL, "version %llu cannot govern from entry %llu: version %llu "
                    "governs from entry %llu", (unsigned long long)cur->version + 1,
                    (unsigned long long)from, (unsigned long long)cur->version,
                    (unsigned long long)cur->from);
        goto out;
    }
    if (from == cur->from && memcmp(after, cur->after, VL_HASH_LEN) != 0) {
        rc = vl_err(err, VL_EINVAL, "from %llu is version %llu's, but after is not its after",
                    (unsigned long long)from, (unsigned long long)cur->version);
        goto out;
    }
    if ((rc = s_builder_check(self, err)) != VL_OK ||
        (rc = s_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
        goto out;
    bool add = new_epoch || s_builder_drops(self, cur);
    if (!add && s_builder_same(self, cur)) {
        rc = vl_err(err, VL_EINVAL, "version %llu would change nothing in version %llu",
                    (unsigned long long)cur->version + 1, (unsigned long long)cur->version);
        goto out;
    }
    size_t n = self->nepochs + (add ? 1 : 0);
    if (n > VL_MAX_EPOCHS || (add && self->epoch[self->nepochs - 1] == UINT32_MAX)) {
        rc = vl_err(err, VL_ELIMIT, "a policy holds at most %u content-key epochs",
                    VL_MAX_EPOCHS);
        goto out;
    }
    if (!(ckeys = vl_secure_alloc(n * VL_KEY_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(ckeys, self->ckeys, self->nepochs * VL_KEY_LEN);
    memcpy(epoch, self->epoch, self->nepochs * sizeof epoch[0]);
    if (add) {
        vl_random(ckeys + self->nepochs * VL_KEY_LEN, VL_KEY_LEN);
        epoch[self->nepochs] = self->epoch[self->nepochs - 1] + 1;
    }
    s_hdr_args_t a = { .net = cur->net, .prev = cur->hash, .after = after, .from = from,
                       .version = cur->version + 1, .now = now, .nepochs = n,
                       .epoch = epoch, .ckeys = ckeys,
                       .rcpt = (const uint8_t(*)[VL_PK_LEN])rcpt, .nrcpt = nrcpt };
    rc = s_builder_write(self, &a, out, out_len, err);
out:
    free(rcpt);
    vl_secure_free(&ckeys);
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
    if ((rc = s_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
        return rc;
    if (!(self->epochs = calloc(n, sizeof(s_epoch_t)))) {
        rc = VL_ENOMEM;
        goto out;
    }
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
            goto out;
        if (num > UINT32_MAX || (e > 0 && num <= self->epochs[e - 1].epoch)) {
            rc = vl_err(err, VL_EPROTO, "%s.epoch: not increasing", what);
            goto out;
        }
        pe->epoch = (uint32_t)num;
        pe->nkeys = vl_val_len(keys);
        if (!(pe->keys = calloc(pe->nkeys, sizeof(s_sealed_t)))) {
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
        bool in_a = s_find(a->role, a->nrole, 0, pk) != NULL;
        bool in_b = b && s_find(b->role, b->nrole, 0, pk) != NULL;
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
    if ((rc = vl_val_map_keys(hdr, s_hdr_keys, s_hdr_opt, "policy", err)) != VL_OK ||
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
    if (!s_name_ok(self->name)) {
        rc = vl_err(err, VL_EPROTO, "policy.name: empty or not printable");
        goto out;
    }
    for (int r = 0; r < 3; r++)
        if ((rc = s_parse_members(self, hdr, r, err)) != VL_OK)
            goto out;
    if (thr < 1 || thr > self->nrole[0]) {
        rc = vl_err(err, VL_EPROTO, "policy.threshold %llu does not fit %zu approvers",
                    (unsigned long long)thr, self->nrole[0]);
        goto out;
    }
    self->threshold = (uint32_t)thr;
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
        if (!s_find(self->role, self->nrole, 2, self->fresh)) {
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
        for (int r = 0; r < 3; r++)
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
        if (s_find(self->role, self->nrole, 0, self->signers[i]))
            (*by_self)++;
        if (cur && s_find(cur->role, cur->nrole, 0, self->signers[i]))
            (*by_cur)++;
    }
}

/* Add kp's signature over hash to the document in (already parsed). */
static int
s_add_sig(const uint8_t *in, size_t in_len, const uint8_t hash[VL_HASH_LEN],
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
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "this key is not an approver of the policy");
        goto out;
    }
    rc = s_add_sig(in, in_len, pol->hash, kp, out, out_len, err);
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
    if (!(vl_policy_roles(pol, vl_keypair_pk(kp)) & VL_ROLE_APPROVER) &&
        !(vl_policy_roles(cur, vl_keypair_pk(kp)) & VL_ROLE_APPROVER)) {
        rc = vl_err(err, VL_EPERM, "this key is not an approver of version %llu or %llu",
                    (unsigned long long)cur->version, (unsigned long long)pol->version);
        goto out;
    }
    rc = s_add_sig(in, in_len, pol->hash, kp, out, out_len, err);
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
    json_object_set_new(j, "from", json_integer((json_int_t)vl_policy_from(self)));
    vl_hex(self->prev, VL_HASH_LEN, hex);
    json_object_set_new(j, "prev", json_string(hex));
    if (vl_policy_fresh(self)) {
        vl_kid(vl_policy_fresh(self), kid);
        json_object_set_new(j, "fresh_node", json_string(kid));
    } else {
        json_object_set_new(j, "fresh_node", json_null());
    }
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
    /* Merge the three sorted role lists. */
    size_t at[3] = { 0, 0, 0 };
    for (;;) {
        const uint8_t *min = NULL;
        for (int r = 0; r < 3; r++)
            if (at[r] < self->nrole[r] &&
                (!min || memcmp(self->role[r][at[r]].pk, min, VL_PK_LEN) < 0))
                min = self->role[r][at[r]].pk;
        if (!min)
            break;
        uint8_t pk[VL_PK_LEN];
        unsigned roles = 0;
        memcpy(pk, min, VL_PK_LEN);
        for (int r = 0; r < 3; r++)
            if (at[r] < self->nrole[r] && memcmp(self->role[r][at[r]].pk, pk, VL_PK_LEN) == 0) {
                roles |= 1u << r;
                at[r]++;
            }
        cb(ctx, pk, roles);
    }
}

/* ======================================================================== */
/* Self-test                                                                */
/* ======================================================================== */

#include <sodium.h>

#include "vl_testnet.h"

/* ---- policy chains (docs/trust.md §1-§2) ----------------------------------- */

/* Sign a (possibly forged) policy document by every key of kps in turn,
 * whatever its validity: the hash is taken from its header. */
static int
s_test_sign(const uint8_t *in, size_t len, vl_keypair_t *const *kps, size_t n, uint8_t **out,
            size_t *out_len)
{
    int rc = VL_OK;
    vl_doc_t *d = NULL;
    uint8_t *cur = NULL, hash[VL_HASH_LEN];
    size_t curlen = len;
    *out = NULL;
    *out_len = 0;
    const uint8_t *hb;
    size_t hl;
    if ((rc = vl_doc_parse(in, len, 0, &d, NULL)) != VL_OK ||
        (rc = vl_val_bin(vl_val_get(vl_doc_root(d), "hdr"), &hb, &hl)) != VL_OK)
        goto out;
    vl_hash(hash, "valise/policy/1", hb, hl);
    if (!(cur = malloc(len))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(cur, in, len);
    for (size_t i = 0; i < n; i++) {
        uint8_t *next = NULL;
        size_t nextlen = 0;
        if ((rc = s_add_sig(cur, curlen, hash, kps[i], &next, &nextlen, NULL)) != VL_OK)
            goto out;
        free(cur);
        cur = next;
        curlen = nextlen;
    }
    *out = cur;
    *out_len = curlen;
    cur = NULL;
out:
    free(cur);
    vl_doc_destroy(&d);
    return rc;
}

/* Write version N+1 of cur from builder b (roles sorted by s_builder_check)
 * with the given arguments, bypassing finish_next's rules: a forged document. */
static int
s_test_forge(vl_policy_builder_t *b, const vl_policy_t *cur, s_hdr_args_t *a, bool add,
             int renumber, const uint8_t (*rcpt)[VL_PK_LEN], size_t nrcpt, uint8_t **out,
             size_t *out_len)
{
    uint8_t *ck = vl_secure_alloc((b->nepochs + 1) * VL_KEY_LEN);
    uint32_t ep[VL_MAX_EPOCHS + 1];
    int rc = VL_ENOMEM;
    if (ck) {
        memcpy(ck, b->ckeys, b->nepochs * VL_KEY_LEN);
        vl_random(ck + b->nepochs * VL_KEY_LEN, VL_KEY_LEN);
        memcpy(ep, b->epoch, b->nepochs * sizeof ep[0]);
        ep[b->nepochs] = ep[b->nepochs - 1] + 1;
        if (renumber == 1) /* every epoch shifted by one */
            for (size_t e = 0; e <= b->nepochs; e++)
                ep[e]++;
        if (renumber == 2) /* the new epoch skips a number */
            ep[b->nepochs]++;
        if (!a->net)
            a->net = cur->net;
        if (!a->prev)
            a->prev = cur->hash;
        if (!a->version)
            a->version = cur->version + 1;
        a->now = 1700000500;
        a->nepochs = b->nepochs + (add ? 1 : 0);
        a->epoch = ep;
        a->ckeys = ck;
        a->rcpt = rcpt;
        a->nrcpt = nrcpt;
        rc = s_builder_write(b, a, out, out_len, NULL);
    }
    vl_secure_free(&ck);
    return rc;
}

/* Build version N+1 of cur with b, sign it by kps, parse it (flags 0). */
static int
s_test_next(vl_policy_builder_t *b, const vl_policy_t *cur, uint64_t from,
            const uint8_t *after, bool new_epoch, vl_keypair_t *const *kps, size_t n,
            vl_policy_t **out, uint8_t **doc, size_t *doclen, char *err)
{
    uint8_t *u = NULL;
    size_t ul = 0;
    *out = NULL;
    int rc = vl_policy_builder_finish_next(b, cur, from, after, new_epoch, 1700000400, &u, &ul,
                                           err);
    if (rc == VL_OK)
        rc = s_test_sign(u, ul, kps, n, doc, doclen);
    if (rc == VL_OK)
        rc = vl_policy_parse_next(cur, *doc, *doclen, 0, out, err);
    free(u);
    return rc;
}

static void
s_test_count_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    (void)pk;
    size_t *n = ctx;
    n[0]++;
    n[1] |= roles;
}

static int
s_test_chain(vl_testnet_t *t)
{
    VL_TEST_BEGIN;
    vl_keypair_t *a3 = NULL, *a4 = NULL, *n2 = NULL;
    vl_policy_builder_t *b = NULL;
    vl_policy_t *v2 = NULL, *v3 = NULL, *p = NULL;
    uint8_t *u = NULL, *d = NULL, *d2 = NULL, *d3 = NULL;
    size_t ul = 0, dl = 0, d2l = 0, d3l = 0;
    char err[VL_ERRMSG_MAX];
    uint8_t seed[VL_SEED_LEN], k[VL_KEY_LEN], k2[VL_KEY_LEN];
    size_t by_self, by_cur;

    memset(seed, 0x77, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &a3), VL_OK);
    memset(seed, 0x88, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &a4), VL_OK);
    memset(seed, 0x99, sizeof seed);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &n2), VL_OK);
    if (!a3 || !a4 || !n2)
        goto out;
    const uint8_t *g = vl_policy_hash(t->pol);
    vl_keypair_t *const old2[] = { t->a1, t->a2 }, *const new2[] = { a3, a4 };

    /* The genesis: from 1, after its own hash, no fresh key; members. */
    VL_CHECK(vl_policy_from(t->pol) == 1 && memcmp(vl_policy_after(t->pol), g, VL_HASH_LEN) == 0);
    VL_CHECK(vl_policy_fresh(t->pol) == NULL);
    size_t cnt[2] = { 0, 0 };
    vl_policy_members_each(t->pol, s_test_count_cb, cnt);
    VL_CHECK(cnt[0] == 5 && cnt[1] == 7);
    vl_policy_sig_counts(t->pol, NULL, &by_self, &by_cur);
    VL_CHECK(by_self == 2 && by_cur == 0);

    /* Starting a version: only a member can (it must open every epoch). */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_builder_from(t->pol, t->outsider, &b, err), VL_EPERM);
    VL_CHECK(b == NULL && strstr(err, "not a member") != NULL);
    VL_CHECK_RC(vl_policy_builder_from(t->pol, t->node, &b, NULL), VL_OK);
    if (!b)
        goto out;
    /* Nothing changed, from below cur's, a genesis builder: refused. */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1, &u, &ul, err),
                VL_EINVAL);
    VL_CHECK(strstr(err, "change nothing") != NULL);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 0, g, true, 1, &u, &ul, NULL),
                VL_EINVAL);
    {
        vl_policy_builder_t *gb = vl_policy_builder_new();
        VL_CHECK(gb != NULL);
        if (gb)
            VL_CHECK_RC(vl_policy_builder_finish_next(gb, t->pol, 1, g, true, 1, &u, &ul, NULL),
                        VL_EINVAL);
        vl_policy_builder_destroy(&gb);
    }
    /* Fresh key: must be a node. */
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(t->mu)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1, &u, &ul, NULL),
                VL_EINVAL);
    VL_CHECK_RC(vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node)), VL_OK);
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->outsider), NULL), VL_ENOTFOUND);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->outsider), vl_keypair_pk(a3), NULL),
                VL_ENOTFOUND);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a1), vl_keypair_pk(t->mu), NULL),
                VL_EEXIST);

    /* Rotation: both approvers replaced (a1 -> a3, a2 -> a4), fresh named. */
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a1), vl_keypair_pk(a3), NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_rotate(b, vl_keypair_pk(t->a2), vl_keypair_pk(a4), NULL),
                VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, t->pol, 1, g, false, 1700000400, &u, &ul, NULL),
                VL_OK);
    /* While unsigned: counts are zero; sign_next by either version's approvers. */
    VL_CHECK_RC(vl_policy_parse_next(t->pol, u, ul, VL_POLICY_ALLOW_UNSIGNED, &p, NULL), VL_OK);
    if (p) {
        vl_policy_sig_counts(p, t->pol, &by_self, &by_cur);
        VL_CHECK(by_self == 0 && by_cur == 0);
        VL_CHECK(vl_policy_epoch(p) == 1); /* keys were removed: a new epoch */
    }
    vl_policy_destroy(&p);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->mu, &d, &dl, err), VL_EPERM);
    VL_CHECK(strstr(err, "not an approver") != NULL);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->outsider, &d, &dl, NULL), VL_EPERM);
    VL_CHECK_RC(vl_policy_sign(u, ul, t->a1, &d, &dl, NULL), VL_ECHAIN);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, a3, &d, &dl, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, a3, &d2, &d2l, NULL), VL_EEXIST);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, a4, &d2, &d2l, NULL), VL_OK);
    /* Signed only by the new approvers: a thief naming himself. */
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d2, d2l, 0, &p, err), VL_ETHRESHOLD);
    VL_CHECK(strstr(err, "signed by 0 of version 1's approvers, need 2") != NULL);
    free(d);
    free(d2);
    d = d2 = NULL;
    /* Signed only by the old approvers. */
    VL_CHECK_RC(s_test_sign(u, ul, old2, 2, &d, &dl), VL_OK);
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &p, err), VL_ETHRESHOLD);
    VL_CHECK(strstr(err, "signed by 0 of its own approvers, need 2") != NULL);
    free(d);
    d = NULL;
    /* k of the old and k of the new: valid. */
    VL_CHECK_RC(vl_policy_sign_next(t->pol, u, ul, t->a1, &d, &dl, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_sign_next(t->pol, d, dl, t->a2, &d2, &d2l, NULL), VL_OK);
    free(d);
    d = NULL;
    VL_CHECK_RC(s_test_sign(d2, d2l, new2, 2, &d, &dl), VL_OK);
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &v2, NULL), VL_OK);
    VL_CHECK_RC(vl_policy_parse(d, dl, 0, &p, NULL), VL_ECHAIN); /* not a genesis */
    if (!v2)
        goto out;
    vl_policy_sig_counts(v2, t->pol, &by_self, &by_cur);
    VL_CHECK(by_self == 2 && by_cur == 2 && vl_policy_nsigs(v2) == 4);
    VL_CHECK(vl_policy_version(v2) == 2 && vl_policy_from(v2) == 1);
    VL_CHECK(memcmp(vl_policy_prev(v2), g, VL_HASH_LEN) == 0);
    VL_CHECK(memcmp(vl_policy_after(v2), g, VL_HASH_LEN) == 0);
    VL_CHECK(vl_policy_fresh(v2) &&
             memcmp(vl_policy_fresh(v2), vl_keypair_pk(t->node), VL_PK_LEN) == 0);
    VL_CHECK(vl_policy_roles(v2, vl_keypair_pk(t->a1)) == 0);
    VL_CHECK(vl_policy_roles(v2, vl_keypair_pk(a3)) == VL_ROLE_APPROVER);
    VL_CHECK(strcmp(vl_policy_member_name(v2, vl_keypair_pk(a3)), "Secretariat A") == 0);
    /* The old key cannot open the new epoch; the new one opens both, epoch 0 unchanged. */
    VL_CHECK_RC(vl_policy_content_key(v2, 1, t->a1, k), VL_EPERM);
    VL_CHECK_RC(vl_policy_content_key(v2, 0, a3, k), VL_OK);
    VL_CHECK(memcmp(k, t->ckey, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_policy_content_key(v2, 1, a3, k), VL_OK);
    VL_CHECK_RC(vl_policy_content_key(v2, 1, t->mu, k2), VL_OK);
    VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0 && memcmp(k, t->ckey, VL_KEY_LEN) != 0);
    /* A flipped byte in a signature (the last byte of the document). */
    d[dl - 1] ^= 0x01;
    err[0] = '\0';
    VL_CHECK_RC(vl_policy_parse_next(t->pol, d, dl, 0, &p, err), VL_EAUTH);
    VL_CHECK(strstr(err, "bad signature") != NULL);
    d[dl - 1] ^= 0x01;
    /* A signature by a non-approver, even on top of valid ones. */
    {
        vl_keypair_t *const x[] = { t->outsider };
        VL_CHECK_RC(s_test_sign(d, dl, x, 1, &d3, &d3l), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(vl_policy_parse_next(t->pol, d3, d3l, 0, &p, err), VL_EPERM);
        VL_CHECK(strstr(err, "not an approver of version 1 or 2") != NULL);
        free(d3);
        d3 = NULL;
    }
    /* Against the wrong predecessor (itself). */
    VL_CHECK_RC(vl_policy_parse_next(v2, d, dl, 0, &p, NULL), VL_ECHAIN);
    vl_policy_builder_destroy(&b);
    free(u);
    free(d);
    free(d2);
    u = d = d2 = NULL;

    /* Revocation of an authority (mu) at from 5: a new epoch, which mu
     * cannot open; mg opens every epoch, the old one unchanged. */
    uint8_t after5[VL_HASH_LEN];
    memset(after5, 0x55, sizeof after5);
    VL_CHECK_RC(vl_policy_builder_from(v2, t->mg, &b, NULL), VL_OK);
    if (!b)
        goto out;
    VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->mu), NULL), VL_OK);
    VL_CHECK_RC(vl_policy_builder_finish_next(b, v2, 5, after5, false, 1, &u, &ul, NULL),
                VL_OK);
    free(u);
    u = NULL;
    VL_CHECK_RC(s_test_next(b, v2, 5, after5, false, new2, 2, &v3, &d3, &d3l, NULL), VL_OK);
    if (v3) {
        VL_CHECK(vl_policy_version(v3) == 3 && vl_policy_from(v3) == 5 &&
                 vl_policy_epoch(v3) == 2);
        VL_CHECK(memcmp(vl_policy_after(v3), after5, VL_HASH_LEN) == 0);
        VL_CHECK_RC(vl_policy_content_key(v3, 2, t->mu, k), VL_EPERM);
        VL_CHECK_RC(vl_policy_content_key(v3, 0, t->mu, k), VL_EPERM);
        for (uint32_t e = 0; e <= 2; e++) {
            VL_CHECK_RC(vl_policy_content_key(v3, e, t->mg, k), VL_OK);
            VL_CHECK_RC(vl_policy_content_key(e < 2 ? v2 : v3, e, t->node, k2), VL_OK);
            VL_CHECK(memcmp(k, k2, VL_KEY_LEN) == 0);
        }
        VL_CHECK(vl_policy_roles(v3, vl_keypair_pk(t->mu)) == 0);
    }
    /* Forged versions 3 of v2 (signed by both approvers): each refused. */
    VL_CHECK_RC(s_builder_check(b, NULL), VL_OK);
    uint8_t(*rc3)[VL_PK_LEN] = NULL;
    size_t nrc3 = 0;
    VL_CHECK_RC(s_recipients(b->role, b->nrole, &rc3, &nrc3), VL_OK);
    if (rc3) {
        const uint8_t(*rcpt)[VL_PK_LEN] = (const uint8_t(*)[VL_PK_LEN])rc3;
        uint8_t other[VL_HASH_LEN];
        memset(other, 0x66, sizeof other);
        struct {
            const char *what;
            s_hdr_args_t a;
            bool add;
            int renumber;
            size_t nrcpt;
            int want;
            const char *msg;
        } cases[] = {
            { "the form of the genesis", { .after = NULL }, true, 0, nrc3, VL_EPROTO,
              "after and from are required" },
            { "version 4", { .after = after5, .from = 5, .version = 4 }, true, 0, nrc3, VL_ECHAIN,
              "does not follow version 2" },
            { "prev the genesis", { .after = after5, .from = 5, .prev = g }, true, 0, nrc3,
              VL_ECHAIN, "prev is not the hash of version 2" },
            { "another network", { .after = after5, .from = 5, .net = other }, true, 0, nrc3,
              VL_ECHAIN, "another network" },
            { "from before v2's", { .after = after5, .from = 0 }, true, 0, nrc3, VL_EPROTO,
              "from: 0" },
            { "same from, other after", { .after = other, .from = 1 }, true, 0, nrc3, VL_ECHAIN,
              "after names another link" },
            { "no new epoch", { .after = after5, .from = 5 }, false, 0, nrc3, VL_EINVAL,
              "a member key was removed: a new content-key epoch is required" },
            { "old epochs renumbered", { .after = after5, .from = 5 }, true, 1, nrc3,
              VL_EINVAL, "epoch 0 of version 2 is missing" },
            { "new epoch not last + 1", { .after = after5, .from = 5 }, true, 2, nrc3,
              VL_EINVAL, "the new epoch must be 2" },
            { "sealed to one key fewer", { .after = after5, .from = 5 }, true, 0, nrc3 - 1,
              VL_EINVAL, "not sealed to exactly" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            VL_CHECK_RC(s_test_forge(b, v2, &cases[i].a, cases[i].add, cases[i].renumber,
                                     rcpt, cases[i].nrcpt, &f, &fl),
                        VL_OK);
            VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
            err[0] = '\0';
            int rc = fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, err) : VL_OK;
            if (rc != cases[i].want || !strstr(err, cases[i].msg))
                fprintf(stderr, "forged version 3 (%s): %s: %s\n", cases[i].what,
                        vl_strerror(rc), err);
            VL_CHECK(rc == cases[i].want && strstr(err, cases[i].msg) != NULL);
            vl_policy_destroy(&p);
            free(f);
            free(fs);
        }
        /* A sealed box to the revoked key mu in the new epoch. */
        uint8_t(*more)[VL_PK_LEN] = malloc((nrc3 + 1) * VL_PK_LEN);
        if (more) {
            memcpy(more, rc3, nrc3 * VL_PK_LEN);
            memcpy(more[nrc3], vl_keypair_pk(t->mu), VL_PK_LEN);
            qsort(more, nrc3 + 1, VL_PK_LEN, s_cmp_pk);
            s_hdr_args_t a = { .after = after5, .from = 5 };
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            VL_CHECK_RC(s_test_forge(b, v2, &a, true, 0, (const uint8_t(*)[VL_PK_LEN])more,
                                     nrc3 + 1, &f, &fl),
                        VL_OK);
            VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
            VL_CHECK_RC(fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, NULL) : VL_OK, VL_EINVAL);
            vl_policy_destroy(&p);
            free(f);
            free(fs);
            free(more);
        }
        /* The fresh key not a node (mg, an authority). */
        b->has_fresh = true;
        memcpy(b->fresh, vl_keypair_pk(t->mg), VL_PK_LEN);
        s_hdr_args_t a = { .after = after5, .from = 5 };
        uint8_t *f = NULL, *fs = NULL;
        size_t fl = 0, fsl = 0;
        VL_CHECK_RC(s_test_forge(b, v2, &a, true, 0, rcpt, nrc3, &f, &fl), VL_OK);
        VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
        err[0] = '\0';
        VL_CHECK_RC(fs ? vl_policy_parse_next(v2, fs, fsl, 0, &p, err) : VL_OK, VL_EINVAL);
        VL_CHECK(strstr(err, "is not a node") != NULL);
        vl_policy_destroy(&p);
        free(f);
        free(fs);
        free(rc3);
    }
    vl_policy_builder_destroy(&b);

    /* From below the predecessor's: refused when built and when parsed. */
    if (v3) {
        VL_CHECK_RC(vl_policy_builder_from(v3, t->node, &b, NULL), VL_OK);
        if (b) {
            VL_CHECK_RC(vl_policy_builder_remove(b, vl_keypair_pk(t->node), NULL), VL_OK);
            VL_CHECK(vl_policy_fresh(v3) != NULL && !b->has_fresh); /* cleared with the node */
            VL_CHECK_RC(vl_policy_builder_finish_next(b, v3, 4, after5, false, 1, &u, &ul,
                                                      NULL),
                        VL_EINVAL);
            VL_CHECK_RC(s_builder_check(b, NULL), VL_OK);
            uint8_t(*r4)[VL_PK_LEN] = NULL;
            size_t nr4 = 0;
            VL_CHECK_RC(s_recipients(b->role, b->nrole, &r4, &nr4), VL_OK);
            s_hdr_args_t a = { .after = after5, .from = 4 };
            uint8_t *f = NULL, *fs = NULL;
            size_t fl = 0, fsl = 0;
            if (r4) {
                VL_CHECK_RC(s_test_forge(b, v3, &a, true, 0, (const uint8_t(*)[VL_PK_LEN])r4,
                                         nr4, &f, &fl),
                            VL_OK);
                VL_CHECK_RC(s_test_sign(f, fl, new2, 2, &fs, &fsl), VL_OK);
                err[0] = '\0';
                VL_CHECK_RC(fs ? vl_policy_parse_next(v3, fs, fsl, 0, &p, err) : VL_OK,
                            VL_ECHAIN);
                VL_CHECK(strstr(err, "governs from entry 4, before") != NULL);
            }
            vl_policy_destroy(&p);
            free(f);
            free(fs);
            free(r4);
        }
        vl_policy_builder_destroy(&b);
    }

    /* Epochs are bounded: a new epoch in every version until VL_MAX_EPOCHS. */
    if (v3) {
        vl_policy_t *cur = v3, *nx = NULL;
        int rc = VL_OK;
        uint64_t ver = 3;
        while (rc == VL_OK && ver < 100) {
            uint8_t *nd = NULL;
            size_t ndl = 0;
            VL_CHECK_RC(vl_policy_builder_from(cur, t->node, &b, NULL), VL_OK);
            if (!b)
                break;
            rc = s_test_next(b, cur, 5, after5, true, new2, 2, &nx, &nd, &ndl, NULL);
            vl_policy_builder_destroy(&b);
            free(nd);
            if (rc == VL_OK) {
                if (cur != v3)
                    vl_policy_destroy(&cur);
                cur = nx;
                ver++;
            }
        }
        VL_CHECK(rc == VL_ELIMIT && ver == 3 + VL_MAX_EPOCHS - 3);
        VL_CHECK(vl_policy_epoch(cur) == VL_MAX_EPOCHS - 1);
        if (cur != v3)
            vl_policy_destroy(&cur);
    }

    /* A genesis may name a fresh key (a node), and says so. */
    {
        vl_policy_builder_t *gb = vl_policy_builder_new();
        uint8_t *gs = NULL;
        size_t gsl = 0;
        if (gb) {
            VL_CHECK_RC(vl_policy_builder_set(gb, "fresh net", 1, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(gb, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "A",
                                              NULL, NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_add(gb, VL_ROLE_NODE, vl_keypair_pk(n2), "N", NULL,
                                              NULL),
                        VL_OK);
            VL_CHECK_RC(vl_policy_builder_set_fresh(gb, vl_keypair_pk(t->a1)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish(gb, 1, &u, &ul, NULL), VL_EINVAL);
            VL_CHECK_RC(vl_policy_builder_set_fresh(gb, vl_keypair_pk(n2)), VL_OK);
            VL_CHECK_RC(vl_policy_builder_finish(gb, 1, &u, &ul, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_sign(u, ul, t->a1, &gs, &gsl, NULL), VL_OK);
            VL_CHECK_RC(vl_policy_parse(gs, gsl, 0, &p, NULL), VL_OK);
            VL_CHECK(p && vl_policy_fresh(p) &&
                     memcmp(vl_policy_fresh(p), vl_keypair_pk(n2), VL_PK_LEN) == 0);
            vl_policy_destroy(&p);
        }
        free(gs);
        vl_policy_builder_destroy(&gb);
    }
out:
    sodium_memzero(k, sizeof k);
    sodium_memzero(k2, sizeof k2);
    vl_policy_builder_destroy(&b);
    vl_policy_destroy(&p);
    vl_policy_destroy(&v2);
    vl_policy_destroy(&v3);
    free(u);
    free(d);
    free(d2);
    free(d3);
    vl_keypair_destroy(&a3);
    vl_keypair_destroy(&a4);
    vl_keypair_destroy(&n2);
    return VL_TEST_END;
}

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
    VL_CHECK(s_test_chain(&t) == 0);
    vl_policy_builder_destroy(&b);
    free(g0);
    free(g1);
    free(g2);
    free(bad);
    vl_testnet_fini(&t);
    return VL_TEST_END;
}
