/* SPDX-License-Identifier: MIT */
/*
 * vl_store_policy - the policy chain in memory (docs/trust.md §1): which
 * version judges an entry at a given seq, the genesis, the pins later
 * versions put on the log, and the public getters of the chain.
 *
 * Invariants: self->pols[v - 1] is version v, each verified against its
 * predecessor; self->pol is the newest. These functions only read the
 * chain: vl_store_txn.c loads it (vls_pols_sync, when a txn begins) and
 * vl_store_adopt.c extends it.
 *
 * Layer (map in vl_store_int.h): calls no other file of store/.
 */
#include "vl_store_int.h"

/* The version in force at seq (docs/trust.md §1.2). */
const vl_policy_t *
vls_pol_for(const vl_store_t *self, uint64_t seq)
{
    for (size_t i = self->npols; i-- > 1;)
        if (vl_policy_from(self->pols[i]) <= seq)
            return self->pols[i];
    return self->pols[0];
}

const vl_policy_t *
vls_genesis(const vl_store_t *self)
{
    return self->pols[0];
}

/* The highest seq a known policy version pins: for a version v > 1 the
 * approvers of v-1 and of v vouched for the link of entry from(v) - 1, so
 * the history up to it is decided, whatever else was signed at those seqs:
 * entries on another branch fail the pin (vls_pin_check) when the log reaches
 * it, and two entries there are not evidence (docs/trust.md §5). */
uint64_t
vls_pinned_upto(const vl_store_t *self)
{
    uint64_t up = 0;
    for (size_t i = 1; i < self->npols; i++) {
        uint64_t f = vl_policy_from(self->pols[i]);
        if (f >= 1 && f - 1 > up)
            up = f - 1;
    }
    return up;
}

uint64_t
vls_pin_above(const vl_store_t *self, uint64_t above, uint64_t *version)
{
    uint64_t pin = 0, ver = 0;
    for (size_t i = 1; i < self->npols; i++) {
        uint64_t f = vl_policy_from(self->pols[i]);
        if (f >= 2 && f - 1 > above && (pin == 0 || f - 1 < pin)) {
            pin = f - 1;
            ver = vl_policy_version(self->pols[i]);
        }
    }
    if (version)
        *version = ver;
    return pin;
}

bool
vls_pinned_at(const vl_store_t *self, uint64_t seq)
{
    for (size_t i = 1; i < self->npols; i++)
        if (vl_policy_from(self->pols[i]) == seq + 1)
            return true;
    return false;
}

uint64_t
vl_store_pin_above(vl_store_t *self, uint64_t above, uint64_t *version)
{
    assert(self);
    return vls_pin_above(self, above, version);
}

int
vl_store_pin_check(vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN], char *err)
{
    assert(self && link);
    return vls_pin_check(self, seq, link, err);
}

/* Every known version v > 1 with from(v) = seq + 1 names in `after` the link
 * entry seq must have. */
int
vls_pin_check(const vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN], char *err)
{
    for (size_t i = 1; i < self->npols; i++) {
        const vl_policy_t *v = self->pols[i];
        if (vl_policy_from(v) == seq + 1 &&
            memcmp(vl_policy_after(v), link, VL_HASH_LEN) != 0)
            return vl_err(err, VL_ECHAIN,
                          "entry %llu is not the entry policy version %llu was made after "
                          "(another history)", (unsigned long long)seq,
                          (unsigned long long)vl_policy_version(v));
    }
    return VL_OK;
}

const vl_policy_t *
vl_store_policy(const vl_store_t *self)
{
    assert(self);
    return self->pol;
}

const vl_policy_t *
vl_store_policy_at(const vl_store_t *self, uint64_t version)
{
    assert(self);
    if (version == 0 || version > self->npols)
        return NULL;
    return self->pols[version - 1];
}

const vl_policy_t *
vl_store_policy_for_seq(const vl_store_t *self, uint64_t seq)
{
    assert(self);
    return vls_pol_for(self, seq);
}

int
vl_store_entry_parse(const vl_store_t *self, const uint8_t *buf, size_t len, unsigned flags,
                     vl_entry_t **e, char *err)
{
    assert(self && e);
    *e = NULL;
    /* The seq picks the version that judges the entry. */
    vl_entry_head_t head;
    int rc = vl_entry_peek(buf, len, &head, err);
    if (rc != VL_OK)
        return rc;
    const vl_policy_t *pol = vls_pol_for(self, head.seq);
    rc = vl_entry_parse(pol, buf, len, flags, e, err);
    if (rc == VL_ENOTFOUND && pol != self->pol)
        rc = VL_EPERM;
    return rc;
}
