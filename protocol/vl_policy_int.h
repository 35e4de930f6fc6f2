/* SPDX-License-Identifier: MIT */
/*
 * vl_policy_int - what vl_policy.c (decode, verify, accessors, signing) and
 * vl_policy_builder.c (building versions) share, and what the self-test
 * (tests/protocol/test_policy.c) reaches below the public API: the object
 * layouts, the header key set, the writer of an unsigned document with
 * explicit header values, and the signature adder. Not part of the protocol
 * API.
 */
#ifndef VL_POLICY_INT_H
#define VL_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_limits.h"
#include "vl_policy.h"

/* Member lists of a policy: role index r is bit 1 << r of vl_role_t:
 * 0 approvers, 1 authorities, 2 nodes, 3 readers (optional in the header). */
#define VL_POL_NROLES 4
#define VL_POL_READERS 3

typedef struct {
    uint8_t pk[VL_PK_LEN];
    char name[VL_MAX_NAME + 1];
    size_t nstates;
    char states[VL_MAX_STATES][VL_STATE_LEN + 1];
} vl_pol_member_t;

typedef struct {
    uint8_t to[VL_PK_LEN];
    uint8_t box[VL_SEALED_LEN];
} vl_pol_sealed_t;

typedef struct {
    uint32_t epoch;
    size_t nkeys;
    vl_pol_sealed_t *keys; /* sorted by recipient key */
} vl_pol_epoch_t;

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
    vl_pol_member_t *role[VL_POL_NROLES]; /* approvers, authorities, nodes, readers; each sorted */
    size_t nrole[VL_POL_NROLES];
    vl_pol_epoch_t *epochs;             /* content-key epochs, increasing */
    size_t nepochs;
    uint8_t after[VL_HASH_LEN];    /* link of entry from-1; own hash for the genesis */
    uint64_t from;                 /* first log seq governed; 1 for the genesis */
    bool has_fresh;                /* a freshness key is named */
    uint8_t fresh[VL_PK_LEN];      /* the node whose freshness statements count */
    uint8_t (*signers)[VL_PK_LEN]; /* keys of the nsigs signatures, sorted */
};

struct vl_policy_builder {
    char name[VL_MAX_NAME + 1];
    uint32_t threshold;
    vl_pol_member_t *role[VL_POL_NROLES];
    size_t nrole[VL_POL_NROLES];
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
#define VL_POL_SIG_ROOM (2u * VL_MAX_APPROVERS * 105u + 5u)

/* Role r (0 approvers, 1 authorities, 2 nodes, 3 readers): its header key and limit. */
extern const char *const vl_policy_role_key[VL_POL_NROLES];
extern const size_t vl_policy_role_max[VL_POL_NROLES];
/* Header keys in canonical order (docs/formats.md, "Policy"): every version
 * has these; "after" and "from" come with versions > 1 (docs/trust.md §1.1),
 * "fresh" and "readers" are optional in every version. NULL-terminated. */
extern const char *const vl_policy_hdr_keys[];
extern const char *const vl_policy_hdr_opt[];

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
    const uint8_t (*rcpt)[VL_PK_LEN]; /* every key sealed to: vl_policy_recipients of the builder */
    size_t nrcpt;
} vl_pol_hdr_args_t;

/** A member or network name: 1..VL_MAX_NAME bytes, no control character. */
bool vl_policy_name_ok(const char *s);
/** qsort/bsearch comparators: members by key, bare keys. */
int vl_policy_cmp_member(const void *a, const void *b);
int vl_policy_cmp_pk(const void *a, const void *b);
/** The member of role r with key pk (roles sorted), or NULL. */
const vl_pol_member_t *vl_policy_find(vl_pol_member_t *const *role, const size_t *nrole, int r,
                                      const uint8_t pk[VL_PK_LEN]);
/** The distinct member keys of all roles, sorted (caller frees): the
 *  recipients of content keys. @return VL_OK, VL_ENOMEM. */
int vl_policy_recipients(vl_pol_member_t *const *role, const size_t *nrole,
                         uint8_t (**out)[VL_PK_LEN], size_t *n);
/** The first reader key that also holds another role (roles sorted), or
 *  NULL: a reader holds no other role (docs/formats.md §3). */
const uint8_t *vl_policy_reader_conflict(vl_pol_member_t *const *role, const size_t *nrole);
/** The checks a builder must pass before it writes anything; sorts the
 *  roles. @return VL_OK, VL_EINVAL. */
int vl_policy_builder_check(vl_policy_builder_t *self, char *err);
/** Write the unsigned document {"hdr", "sigs": []} of a checked builder. */
int vl_policy_builder_write(const vl_policy_builder_t *self, const vl_pol_hdr_args_t *a,
                            uint8_t **out, size_t *out_len, char *err);
/** Add kp's signature over hash to the (already verified) document in. */
int vl_policy_add_sig(const uint8_t *in, size_t in_len, const uint8_t hash[VL_HASH_LEN],
                      const vl_keypair_t *kp, uint8_t **out, size_t *out_len, char *err);

#endif
