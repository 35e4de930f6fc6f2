/* SPDX-License-Identifier: MIT */
/* vl_testnet - deterministic test network for self-tests and benchmarks. */
#include "vl_testnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_record.h"

static int
s_key(uint8_t n, vl_keypair_t **kp)
{
    uint8_t seed[VL_SEED_LEN];
    memset(seed, 0x11 * n, sizeof seed);
    return vl_keypair_from_seed(seed, kp);
}

int
vl_testnet_init(vl_testnet_t *t)
{
    int rc;
    vl_policy_builder_t *b = NULL;
    uint8_t *unsigned_g = NULL, *one = NULL;
    size_t ulen = 0, onelen = 0;
    char err[VL_ERRMSG_MAX] = "";
    memset(t, 0, sizeof *t);
    if ((rc = s_key(1, &t->a1)) || (rc = s_key(2, &t->a2)) || (rc = s_key(3, &t->mu)) ||
        (rc = s_key(4, &t->mg)) || (rc = s_key(5, &t->node)) || (rc = s_key(6, &t->outsider)))
        goto out;
    if (!(b = vl_policy_builder_new())) {
        rc = VL_ENOMEM;
        goto out;
    }
    if ((rc = vl_policy_builder_set(b, "valise test network", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "Secretariat A",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a2), "Secretariat B",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t->mu),
                                    "Mauritius central authority", "MU", err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_AUTHORITY, vl_keypair_pk(t->mg),
                                    "Madagascar central authority", "MG", err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(t->node), "Vienna node",
                                    NULL, err)) ||
        (rc = vl_policy_builder_finish(b, 1700000000, &unsigned_g, &ulen, err)) ||
        (rc = vl_policy_sign(unsigned_g, ulen, t->a1, &one, &onelen, err)) ||
        (rc = vl_policy_sign(one, onelen, t->a2, &t->genesis, &t->genesis_len, err)) ||
        (rc = vl_policy_parse(t->genesis, t->genesis_len, 0, &t->pol, err)) ||
        (rc = vl_policy_content_key(t->pol, 0, t->node, t->ckey)))
        goto out;
out:
    if (rc != VL_OK) {
        fprintf(stderr, "vl_testnet_init: %s: %s\n", vl_strerror(rc), err);
        vl_testnet_fini(t);
    }
    vl_policy_builder_destroy(&b);
    free(unsigned_g);
    free(one);
    return rc;
}

void
vl_testnet_fini(vl_testnet_t *t)
{
    vl_keypair_destroy(&t->a1);
    vl_keypair_destroy(&t->a2);
    vl_keypair_destroy(&t->mu);
    vl_keypair_destroy(&t->mg);
    vl_keypair_destroy(&t->node);
    vl_keypair_destroy(&t->outsider);
    vl_policy_destroy(&t->pol);
    free(t->genesis);
    t->genesis = NULL;
    sodium_memzero(t->ckey, sizeof t->ckey);
}

int
vl_testnet_authority(const char *id, const char *state, const char *phone, uint8_t **body,
                     size_t *len)
{
    char json[1024];
    char err[VL_ERRMSG_MAX] = "";
    snprintf(json, sizeof json,
             "{\"kind\":\"authority\",\"id\":\"%s\",\"state\":\"%s\","
             "\"name\":{\"en\":\"Central authority of %s\"},"
             "\"functions\":[\"mla\",\"extradition\"],\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
             "\"contact\":{\"address\":{\"en\":\"1 Example Street\"},\"phones\":[\"%s\"],"
             "\"emails\":[\"ca@example.%c%c\"]},"
             "\"languages\":[\"en\",\"fr\"],\"interpol\":true,\"untoc_16_5\":false}",
             id, state, state, phone, state[0] | 0x20, state[1] | 0x20);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "vl_testnet_authority: %s: %s\n", vl_strerror(rc), err);
    return rc;
}
