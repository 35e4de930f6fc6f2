/* SPDX-License-Identifier: MIT */
/*
 * vl_policy_builder - build the unsigned document of a network policy: the
 * genesis (vl_policy_builder_finish) or version N+1 of a verified version N
 * (vl_policy_builder_from ... finish_next), with fresh content-key epochs
 * sealed to every member. What it writes is what vl_policy_parse accepts:
 * names, roles, States and limits are checked before anything is written;
 * members are sorted by key. Signing and verifying are vl_policy.c.
 */
#include "vl_policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_fields.h"
#include "vl_limits.h"
#include "vl_policy_int.h"
#include "vl_record.h"

static int
s_role_index(vl_role_t role)
{
    switch (role) {
    case VL_ROLE_APPROVER: return 0;
    case VL_ROLE_AUTHORITY: return 1;
    case VL_ROLE_NODE: return 2;
    case VL_ROLE_READER: return VL_POL_READERS;
    }
    return -1;
}

static int
s_cmp_state(const void *a, const void *b)
{
    return strcmp(a, b);
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
        for (int r = 0; r < VL_POL_NROLES; r++)
            free((*self_p)->role[r]);
        free(*self_p);
        *self_p = NULL;
    }
}

int
vl_policy_builder_set(vl_policy_builder_t *self, const char *name, uint32_t threshold,
                      char *err)
{
    if (!name || !vl_policy_name_ok(name))
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
s_parse_states(const char *csv, vl_pol_member_t *m, char *err)
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
    if (!name || !vl_policy_name_ok(name))
        return vl_err(err, VL_EINVAL, "member name must be 1..%u printable bytes", VL_MAX_NAME);
    if (self->nrole[r] >= vl_policy_role_max[r])
        return vl_err(err, VL_ELIMIT, "more than %zu %s", vl_policy_role_max[r],
                      vl_policy_role_key[r]);
    uint8_t probe[VL_SEALED_LEN], k[VL_KEY_LEN] = { 0 };
    if (vl_seal_key(pk, k, probe) != VL_OK)
        return vl_err(err, VL_ECRYPTO, "member %s: not a usable public key", name);
    if (s_builder_index(self, r, pk) >= 0)
        return vl_err(err, VL_EINVAL, "key of %s listed twice among %s", name,
                      vl_policy_role_key[r]);
    vl_pol_member_t *grown = realloc(self->role[r], (self->nrole[r] + 1) * sizeof *grown);
    if (!grown)
        return VL_ENOMEM;
    self->role[r] = grown;
    vl_pol_member_t *m = &grown[self->nrole[r]];
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
s_write_members(vl_wr_t *w, int r, vl_pol_member_t *const *role, const size_t *nrole)
{
    vl_wr_cstr(w, vl_policy_role_key[r]);
    vl_wr_array(w, (uint32_t)nrole[r]);
    for (size_t i = 0; i < nrole[r]; i++) {
        const vl_pol_member_t *m = &role[r][i];
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

/* The checks a builder must pass before it writes anything; sorts the roles. */
int
vl_policy_builder_check(vl_policy_builder_t *self, char *err)
{
    if (!self->name[0])
        return vl_err(err, VL_EINVAL, "the network needs a name");
    if (self->nrole[0] == 0)
        return vl_err(err, VL_EINVAL, "the network needs at least one approver");
    if (self->threshold < 1 || self->threshold > self->nrole[0])
        return vl_err(err, VL_EINVAL, "threshold %u does not fit %zu approvers",
                      self->threshold, self->nrole[0]);
    for (int r = 0; r < VL_POL_NROLES; r++)
        if (self->nrole[r] > 1)
            qsort(self->role[r], self->nrole[r], sizeof(vl_pol_member_t), vl_policy_cmp_member);
    const uint8_t *both = vl_policy_reader_conflict(self->role, self->nrole);
    if (both) {
        char kid[2 * VL_KID_LEN + 1];
        vl_kid(both, kid);
        return vl_err(err, VL_EINVAL, "key %s is a reader and holds another role: a reader "
                      "key may hold no other role", kid);
    }
    if (self->has_fresh && !vl_policy_find(self->role, self->nrole, 2, self->fresh)) {
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

/* Write the unsigned document {"hdr", "sigs": []} of a builder (roles sorted). */
int
vl_policy_builder_write(const vl_policy_builder_t *self, const vl_pol_hdr_args_t *a,
                        uint8_t **out, size_t *out_len, char *err)
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
    bool readers = self->nrole[VL_POL_READERS] > 0; /* absent when there are none */
    vl_wr_map(hdr, 12 + (a->after ? 2 : 0) + (self->has_fresh ? 1 : 0) + (readers ? 1 : 0));
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
    if (readers)
        s_write_members(hdr, VL_POL_READERS, self->role, self->nrole);
    vl_wr_cstr(hdr, "threshold");
    vl_wr_uint(hdr, self->threshold);
    vl_wr_cstr(hdr, "time");
    vl_wr_uint(hdr, a->now);
    vl_wr_cstr(hdr, "type");
    vl_wr_cstr(hdr, "policy");
    vl_wr_cstr(hdr, "v");
    vl_wr_uint(hdr, VL_POLICY_FORMAT);
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
    if (vl_wr_len(doc) + VL_POL_SIG_ROOM > VL_MAX_POLICY) {
        rc = vl_err(err, VL_ELIMIT, "policy of %zu bytes (with its signatures) exceeds %u",
                    vl_wr_len(doc) + VL_POL_SIG_ROOM, VL_MAX_POLICY);
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

    if ((rc = vl_policy_builder_check(self, err)) != VL_OK ||
        (rc = vl_policy_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
        goto out;
    if (!(ckey = vl_secure_alloc(VL_KEY_LEN))) {
        rc = VL_ENOMEM;
        goto out;
    }
    vl_random(ckey, VL_KEY_LEN);
    vl_random(net, sizeof net);
    vl_pol_hdr_args_t a = { .net = net, .prev = zero, .after = NULL, .from = 0, .version = 1,
                       .now = now, .nepochs = 1, .epoch = &epoch0, .ckeys = ckey,
                       .rcpt = (const uint8_t(*)[VL_PK_LEN])rcpt, .nrcpt = nrcpt };
    rc = vl_policy_builder_write(self, &a, out, out_len, err);
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
    for (int r = 0; r < VL_POL_NROLES; r++) {
        size_t n = cur->nrole[r] ? cur->nrole[r] : 1;
        if (!(self->role[r] = malloc(n * sizeof(vl_pol_member_t)))) {
            rc = VL_ENOMEM;
            goto out;
        }
        memcpy(self->role[r], cur->role[r], cur->nrole[r] * sizeof(vl_pol_member_t));
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
    for (int r = 0; r < VL_POL_NROLES; r++) {
        ptrdiff_t i = s_builder_index(self, r, pk);
        if (i < 0)
            continue;
        memmove(&self->role[r][i], &self->role[r][i + 1],
                (self->nrole[r] - (size_t)i - 1) * sizeof(vl_pol_member_t));
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
    for (int r = 0; r < VL_POL_NROLES; r++) {
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
    for (int r = 0; r < VL_POL_NROLES; r++) {
        ptrdiff_t i = s_builder_index(self, r, old_pk);
        if (i >= 0)
            memcpy(self->role[r][i].pk, new_pk, VL_PK_LEN);
    }
    if (self->has_fresh && memcmp(self->fresh, old_pk, VL_PK_LEN) == 0)
        memcpy(self->fresh, new_pk, VL_PK_LEN);
    return VL_OK;
}

static bool
s_member_eq(const vl_pol_member_t *a, const vl_pol_member_t *b)
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
    for (int r = 0; r < VL_POL_NROLES; r++) {
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
    for (int r = 0; r < VL_POL_NROLES; r++)
        for (size_t i = 0; i < cur->nrole[r]; i++) {
            const uint8_t *pk = cur->role[r][i].pk;
            bool kept = false;
            for (int q = 0; q < VL_POL_NROLES && !kept; q++)
                kept = vl_policy_find(self->role, self->nrole, q, pk) != NULL;
            if (!kept)
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
    if ((rc = vl_policy_builder_check(self, err)) != VL_OK ||
        (rc = vl_policy_recipients(self->role, self->nrole, &rcpt, &nrcpt)) != VL_OK)
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
    vl_pol_hdr_args_t a = { .net = cur->net, .prev = cur->hash, .after = after, .from = from,
                       .version = cur->version + 1, .now = now, .nepochs = n,
                       .epoch = epoch, .ckeys = ckeys,
                       .rcpt = (const uint8_t(*)[VL_PK_LEN])rcpt, .nrcpt = nrcpt };
    rc = vl_policy_builder_write(self, &a, out, out_len, err);
out:
    free(rcpt);
    vl_secure_free(&ckeys);
    return rc;
}
