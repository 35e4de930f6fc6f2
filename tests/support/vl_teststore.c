/* SPDX-License-Identifier: MIT */
/*
 * vl_teststore - store fixtures for the self-tests (contract in
 * vl_teststore.h).
 */
#include "vl_teststore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_proposal.h"
#include "vl_record.h"

int
vl_teststore_mkdir(char out[600], const char *prefix)
{
    const char *base = getenv("VL_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700); /* VL_TEST_TMP may not exist yet */
    snprintf(out, 600, "%s/%s-XXXXXX", base, prefix);
    return mkdtemp(out) ? VL_OK : VL_EIO;
}

void
vl_teststore_rmdir(const char *dir)
{
    char p[700];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

int
vl_teststore_settle(vl_store_t *st, const vl_testnet_t *tn, const char *id,
                    const char *phone, const vl_keypair_t *second, const vl_policy_t *pol,
                    const uint8_t ckey[VL_KEY_LEN], uint64_t now)
{
    uint8_t *body = NULL, *prop = NULL, pid[VL_HASH_LEN];
    size_t blen = 0, plen = 0;
    vl_record_t *rec = NULL;
    vl_op_t op;
    char err[VL_ERRMSG_MAX] = "";
    memset(&op, 0, sizeof op);
    int rc = vl_testnet_authority(id, "MU", phone, &body, &blen);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, err);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, 0);
    const uint8_t *bodies[1] = { body };
    if (rc == VL_OK)
        rc = vl_proposal_make(pol, tn->mu, ckey, now, &op, bodies, &blen, 1, &prop, &plen, err);
    if (rc == VL_OK)
        rc = vl_store_propose(st, prop, plen, pid, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, pid, tn->a1, now, NULL, NULL, err);
    if (rc == VL_OK)
        rc = vl_store_approve(st, pid, second, now, NULL, NULL, err);
    if (rc != VL_OK)
        fprintf(stderr, "settle %s: %s: %s\n", id, vl_strerror(rc), err);
    vl_record_destroy(&rec);
    free(body);
    free(prop);
    return rc;
}
