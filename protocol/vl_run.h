/* SPDX-License-Identifier: MIT */
/*
 * vl_run - run documents (docs/formats.md §6.1): one signed object that
 * approves several pending proposals at once, in order. A run names the link
 * its first entry follows (prev), the seq of that entry, and per entry the
 * proposal id and the state root after it; approvers sign the run digest
 * H("valise/run/1", run document), and each proposal becomes one version 2
 * entry carrying the run (vl_entry_make_run).
 *
 * vl_run_parse checks form only (hostile bytes, no policy): canonical
 * msgpack, exact keys, types, version, 1..VL_MAX_RUN rows of two bin32,
 * distinct proposal ids, seq and policy >= 1. The entries that carry a run
 * check it against the policy and their own header (vl_entry.c).
 *
 * Thread safety: objects are immutable after parsing.
 */
#ifndef VL_RUN_H
#define VL_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"

/** The run format version (field "v") this code writes and reads. */
#define VL_RUN_FORMAT 1u

/** One row of a run: the proposal an entry settles and the root after it. */
typedef struct {
    uint8_t prop[VL_HASH_LEN];
    uint8_t root[VL_HASH_LEN];
} vl_run_row_t;

typedef struct vl_run vl_run_t;

/** @brief Write a run document.
 *  @param net, policy  the network and the policy version the run is made under.
 *  @param seq          seq of its first entry (>= 1).
 *  @param prev         link of entry seq - 1 (the genesis policy hash for seq 1).
 *  @param rows         n rows, 1 <= n <= VL_MAX_RUN, distinct proposal ids.
 *  @return VL_OK, VL_EINVAL (n, seq, policy or a repeated id), VL_ENOMEM. */
int vl_run_make(const uint8_t net[VL_NETID_LEN], uint64_t policy, uint64_t seq,
                const uint8_t prev[VL_HASH_LEN], uint64_t time, const vl_run_row_t *rows,
                size_t n, uint8_t **out, size_t *out_len, char *err);
/** @brief Decode a run document (form only, see above).
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM. */
int vl_run_parse(const uint8_t *buf, size_t len, vl_run_t **out, char *err);
void vl_run_destroy(vl_run_t **self_p);

/** @brief The run digest H("valise/run/1", document): what approvers sign. */
const uint8_t *vl_run_digest(const vl_run_t *self);
const uint8_t *vl_run_net(const vl_run_t *self);
uint64_t vl_run_policy(const vl_run_t *self);
uint64_t vl_run_seq(const vl_run_t *self);
uint64_t vl_run_time(const vl_run_t *self);
const uint8_t *vl_run_prev(const vl_run_t *self);
size_t vl_run_nrows(const vl_run_t *self);
/** @brief Row i < nrows. */
const vl_run_row_t *vl_run_row(const vl_run_t *self, size_t i);
/** @brief The index of the row settling proposal id, or -1. */
long vl_run_find(const vl_run_t *self, const uint8_t id[VL_HASH_LEN]);
const uint8_t *vl_run_bytes(const vl_run_t *self, size_t *len);

#endif
