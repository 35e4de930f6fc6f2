/* SPDX-License-Identifier: MIT */
/*
 * test_store_rest - the records-at-rest upgrade check that test_store.c
 * runs on its store full of records (docs/store.md §1, §2.2).
 */
#ifndef TEST_STORE_REST_H
#define TEST_STORE_REST_H

#include <stdbool.h>

#include "vl_crypto.h"
#include "vl_store.h"

/** @brief With *st open read-write on dir (holding records): rewrite every
 *  records value as format 3 wrote it (v2: the body sealed uncompressed)
 *  and set the format to 3; check that a read-only open reads every record
 *  and leaves the store as it is, that a read-write open upgrades it to
 *  format 4 with every value compressed (v3) and the same records, and that
 *  it verifies. *st is reopened read-write on return (NULL on failure).
 *  @return the number of failed checks. */
int vl_t_rest_upgrade(vl_store_t **st, const char *dir, const vl_keypair_t *kp, bool verbose);

#endif
