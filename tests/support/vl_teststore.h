/* SPDX-License-Identifier: MIT */
/*
 * vl_teststore - store fixtures shared by the store self-tests: a fresh
 * store directory under $VL_TEST_TMP, its removal, and one record proposed
 * and approved on a vl_testnet network. Not used by the programs.
 */
#ifndef VL_TESTSTORE_H
#define VL_TESTSTORE_H

#include <stdint.h>

#include "vl_store.h"
#include "vl_testnet.h"

/** @brief Make a new directory "$VL_TEST_TMP/PREFIX-XXXXXX" (/tmp when
 *  unset) into out. @return VL_OK, VL_EIO. */
int vl_teststore_mkdir(char out[600], const char *prefix);

/** @brief Remove a store directory made by vl_teststore_mkdir. */
void vl_teststore_rmdir(const char *dir);

/** @brief MU proposes authority record id (phone: its first number) under
 *  pol with content key ckey, at time now; approvers tn->a1 and second
 *  approve it, so it is applied. Prints the failure to stderr.
 *  @return VL_OK or the failing call's code. */
int vl_teststore_settle(vl_store_t *st, const vl_testnet_t *tn, const char *id,
                        const char *phone, const vl_keypair_t *second, const vl_policy_t *pol,
                        const uint8_t ckey[VL_KEY_LEN], uint64_t now);

#endif
