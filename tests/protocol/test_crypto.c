/* SPDX-License-Identifier: MIT */
/*
 * test_crypto - vl_crypto_test, the self-test of vl_crypto;
 * run by tests/vl_selftest.c (ctest selftest_crypto).
 */
#include "vl_crypto.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_selftests.h"

int
vl_crypto_test(bool verbose)
{
    VL_TEST_BEGIN;
    vl_keypair_t *a = NULL, *b = NULL, *c = NULL;
    uint8_t seed[VL_SEED_LEN], digest[VL_HASH_LEN], sig[VL_SIG_LEN];
    memset(seed, 7, sizeof seed);

    VL_CHECK_RC(vl_crypto_init(), VL_OK);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &a), VL_OK);
    VL_CHECK_RC(vl_keypair_from_seed(seed, &b), VL_OK);
    VL_CHECK_RC(vl_keypair_generate(&c), VL_OK);
    VL_CHECK(a && b && c);
    if (!a || !b || !c)
        goto out;
    VL_CHECK(memcmp(vl_keypair_pk(a), vl_keypair_pk(b), VL_PK_LEN) == 0);
    VL_CHECK(memcmp(vl_keypair_pk(a), vl_keypair_pk(c), VL_PK_LEN) != 0);
    uint8_t seed2[VL_SEED_LEN];
    vl_keypair_seed(a, seed2);
    VL_CHECK(memcmp(seed, seed2, sizeof seed) == 0);
    {
        /* Transport keys: the converted secret key's public key is the
         * converted public key; a small-order key does not convert. */
        uint8_t xpk[32], xsk[32], xpk2[32], xpk3[32], zero[VL_PK_LEN] = { 0 };
        VL_CHECK_RC(vl_keypair_x25519(a, xpk, xsk), VL_OK);
        VL_CHECK(crypto_scalarmult_base(xpk2, xsk) == 0);
        VL_CHECK(memcmp(xpk, xpk2, 32) == 0);
        VL_CHECK_RC(vl_pk_x25519(vl_keypair_pk(a), xpk3), VL_OK);
        VL_CHECK(memcmp(xpk, xpk3, 32) == 0);
        VL_CHECK_RC(vl_pk_x25519(zero, xpk3), VL_ECRYPTO);
        sodium_memzero(xsk, sizeof xsk);
    }

    /* Domain separation: the same bytes under two tags differ; the tag's NUL
     * keeps "ab"+"c" apart from "a"+"bc". */
    uint8_t h1[VL_HASH_LEN], h2[VL_HASH_LEN];
    vl_hash(h1, "valise/x/1", "abc", 3);
    vl_hash(h2, "valise/y/1", "abc", 3);
    VL_CHECK(memcmp(h1, h2, VL_HASH_LEN) != 0);
    vl_hash(h1, "ab", "c", 1);
    vl_hash(h2, "a", "bc", 2);
    VL_CHECK(memcmp(h1, h2, VL_HASH_LEN) != 0);
    /* Known answer: H("t") = BLAKE2b-256("t\0"). */
    uint8_t want[VL_HASH_LEN];
    crypto_generichash(want, sizeof want, (const uint8_t *)"t\0abc", 5, NULL, 0);
    vl_hash(h1, "t", "abc", 3);
    VL_CHECK(memcmp(h1, want, VL_HASH_LEN) == 0);

    /* Sign/verify; tampered digest, signature and key are refused. */
    vl_hash(digest, "valise/test/1", "msg", 3);
    vl_sign(a, digest, sig);
    VL_CHECK_RC(vl_verify(vl_keypair_pk(a), digest, sig), VL_OK);
    digest[0] ^= 1;
    VL_CHECK_RC(vl_verify(vl_keypair_pk(a), digest, sig), VL_EAUTH);
    digest[0] ^= 1;
    sig[10] ^= 0x40;
    VL_CHECK_RC(vl_verify(vl_keypair_pk(a), digest, sig), VL_EAUTH);
    sig[10] ^= 0x40;
    VL_CHECK_RC(vl_verify(vl_keypair_pk(c), digest, sig), VL_EAUTH);

    /* AEAD round trip and tamper of ct, ad and key. */
    uint8_t key[VL_KEY_LEN], nonce[VL_NONCE_LEN], ct[5 + VL_MAC_LEN], pt[5];
    vl_random(key, sizeof key);
    vl_random(nonce, sizeof nonce);
    vl_aead_encrypt(key, nonce, "ad", 2, "hello", 5, ct);
    VL_CHECK_RC(vl_aead_decrypt(key, nonce, "ad", 2, ct, sizeof ct, pt), VL_OK);
    VL_CHECK(memcmp(pt, "hello", 5) == 0);
    VL_CHECK_RC(vl_aead_decrypt(key, nonce, "ax", 2, ct, sizeof ct, pt), VL_EAUTH);
    ct[0] ^= 1;
    VL_CHECK_RC(vl_aead_decrypt(key, nonce, "ad", 2, ct, sizeof ct, pt), VL_EAUTH);
    VL_CHECK(pt[0] == 0); /* zeroed on failure */
    VL_CHECK_RC(vl_aead_decrypt(key, nonce, "ad", 2, ct, 3, pt), VL_EPROTO);

    /* Sealed keys open only for their recipient. */
    uint8_t sealed[VL_SEALED_LEN], opened[VL_KEY_LEN];
    VL_CHECK_RC(vl_seal_key(vl_keypair_pk(a), key, sealed), VL_OK);
    VL_CHECK_RC(vl_unseal_key(a, sealed, opened), VL_OK);
    VL_CHECK(memcmp(opened, key, VL_KEY_LEN) == 0);
    VL_CHECK_RC(vl_unseal_key(c, sealed, opened), VL_EAUTH);
    uint8_t zero_pk[VL_PK_LEN] = { 0 };
    VL_CHECK_RC(vl_seal_key(zero_pk, key, sealed), VL_ECRYPTO);

    /* Hex and key ids. */
    char hex[2 * VL_PK_LEN + 1], kid[2 * VL_KID_LEN + 1];
    uint8_t back[VL_PK_LEN];
    vl_hex(vl_keypair_pk(a), VL_PK_LEN, hex);
    VL_CHECK_RC(vl_unhex(hex, back, VL_PK_LEN), VL_OK);
    VL_CHECK(memcmp(back, vl_keypair_pk(a), VL_PK_LEN) == 0);
    VL_CHECK_RC(vl_unhex("zz", back, 1), VL_EINVAL);
    VL_CHECK_RC(vl_unhex("abc", back, 1), VL_EINVAL);
    vl_kid(vl_keypair_pk(a), kid);
    VL_CHECK(strlen(kid) == 16);
    if (verbose)
        printf("crypto: kid of seed 0x07.. is %s\n", kid);

    void *s = vl_secure_alloc(32);
    VL_CHECK(s != NULL);
    vl_secure_free(&s);
    VL_CHECK(s == NULL);
    vl_secure_free(&s);
out:
    vl_keypair_destroy(&a);
    vl_keypair_destroy(&b);
    vl_keypair_destroy(&c);
    VL_CHECK(a == NULL);
    vl_keypair_destroy(&a);
    return VL_TEST_END;
}
