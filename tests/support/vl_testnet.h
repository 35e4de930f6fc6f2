/* SPDX-License-Identifier: MIT */
/*
 * vl_testnet - a small deterministic test network shared by the self-tests,
 * the benchmark and the test-vector generator. Not used by the programs.
 *
 * Keys come from fixed seeds (seed byte = 0x11 * n), so key ids are stable;
 * the genesis (network id, content key) is made fresh by each init.
 */
#ifndef VL_TESTNET_H
#define VL_TESTNET_H

#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_policy.h"

typedef struct {
    vl_keypair_t *a1, *a2;       /**< approvers (threshold 2) */
    vl_keypair_t *mu, *mg;       /**< authorities of MU and of MG */
    vl_keypair_t *node;          /**< a member node */
    vl_keypair_t *outsider;      /**< a key not in the network */
    uint8_t *genesis;            /**< signed by a1 and a2 */
    size_t genesis_len;
    vl_policy_t *pol;
    uint8_t ckey[VL_KEY_LEN];    /**< content key of epoch 0 */
} vl_testnet_t;

/** @return VL_OK or an error; on error everything is released. */
int vl_testnet_init(vl_testnet_t *t);
void vl_testnet_fini(vl_testnet_t *t);

/** @brief Canonical body of a small valid authority record (caller frees). */
int vl_testnet_authority(const char *id, const char *state, const char *phone,
                         uint8_t **body, size_t *len);

#endif
