/* SPDX-License-Identifier: MIT */
/*
 * vl_crypto - libsodium wrappers: domain-separated BLAKE2b, Ed25519 over
 * digests, XChaCha20-Poly1305, sealed key distribution, secure memory, hex.
 */
#include "vl_crypto.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_check.h"

_Static_assert(sizeof(vl_hash_t) >= sizeof(crypto_generichash_state),
               "vl_hash_t too small");
_Static_assert(crypto_box_SEALBYTES + VL_KEY_LEN == VL_SEALED_LEN, "sealed size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == VL_NONCE_LEN, "nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == VL_MAC_LEN, "mac");

/* Structure of our class */
struct vl_keypair {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES]; /* Ed25519 public key */
    uint8_t *sk;                            /* 64-byte Ed25519 secret, sodium_malloc'd */
};

int
vl_crypto_init(void)
{
    return sodium_init() < 0 ? VL_ECRYPTO : VL_OK;
}

/* ---- hashing ----------------------------------------------------------------- */

void
vl_hash_init(vl_hash_t *h, const char *tag)
{
    crypto_generichash_state *st = (crypto_generichash_state *)h->opaque;
    crypto_generichash_init(st, NULL, 0, VL_HASH_LEN);
    crypto_generichash_update(st, (const uint8_t *)tag, strlen(tag) + 1);
}

void
vl_hash_update(vl_hash_t *h, const void *p, size_t len)
{
    if (len)
        crypto_generichash_update((crypto_generichash_state *)h->opaque, p, len);
}

void
vl_hash_u64(vl_hash_t *h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    vl_hash_update(h, b, sizeof b);
}

void
vl_hash_lp(vl_hash_t *h, const void *p, size_t len)
{
    uint8_t b[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                     (uint8_t)len };
    vl_hash_update(h, b, sizeof b);
    vl_hash_update(h, p, len);
}

void
vl_hash_final(vl_hash_t *h, uint8_t out[VL_HASH_LEN])
{
    crypto_generichash_final((crypto_generichash_state *)h->opaque, out, VL_HASH_LEN);
    sodium_memzero(h, sizeof *h);
}

void
vl_hash(uint8_t out[VL_HASH_LEN], const char *tag, const void *p, size_t len)
{
    vl_hash_t h;
    vl_hash_init(&h, tag);
    vl_hash_update(&h, p, len);
    vl_hash_final(&h, out);
}

void
vl_hash_keyed(uint8_t out[VL_HASH_LEN], const uint8_t key[VL_KEY_LEN], const char *tag,
              const void *p, size_t len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, VL_KEY_LEN, VL_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)tag, strlen(tag) + 1);
    if (len)
        crypto_generichash_update(&st, p, len);
    crypto_generichash_final(&st, out, VL_HASH_LEN);
    sodium_memzero(&st, sizeof st);
}

/* ---- identities ----------------------------------------------------------------- */

static int
s_keypair_alloc(vl_keypair_t **out)
{
    vl_keypair_t *self = calloc(1, sizeof *self);
    if (!self)
        return VL_ENOMEM;
    self->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!self->sk) {
        free(self);
        return VL_ENOMEM;
    }
    *out = self;
    return VL_OK;
}

int
vl_keypair_generate(vl_keypair_t **out)
{
    assert(out);
    *out = NULL;
    int rc = s_keypair_alloc(out);
    if (rc == VL_OK)
        crypto_sign_keypair((*out)->pk, (*out)->sk);
    return rc;
}

int
vl_keypair_from_seed(const uint8_t seed[VL_SEED_LEN], vl_keypair_t **out)
{
    assert(out);
    *out = NULL;
    int rc = s_keypair_alloc(out);
    if (rc == VL_OK)
        crypto_sign_seed_keypair((*out)->pk, (*out)->sk, seed);
    return rc;
}

void
vl_keypair_destroy(vl_keypair_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_keypair_t *self = *self_p;
        sodium_free(self->sk); /* sodium_free wipes before unmapping */
        sodium_memzero(self, sizeof *self);
        free(self);
        *self_p = NULL;
    }
}

const uint8_t *
vl_keypair_pk(const vl_keypair_t *self)
{
    assert(self);
    return self->pk;
}

void
vl_keypair_seed(const vl_keypair_t *self, uint8_t seed[VL_SEED_LEN])
{
    assert(self);
    crypto_sign_ed25519_sk_to_seed(seed, self->sk);
}

int
vl_keypair_x25519(const vl_keypair_t *kp, uint8_t pk[32], uint8_t sk[32])
{
    assert(kp && pk && sk);
    if (crypto_sign_ed25519_pk_to_curve25519(pk, kp->pk) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(sk, kp->sk) != 0) {
        sodium_memzero(pk, 32);
        sodium_memzero(sk, 32);
        return VL_ECRYPTO;
    }
    return VL_OK;
}

int
vl_pk_x25519(const uint8_t pk[VL_PK_LEN], uint8_t x[32])
{
    assert(pk && x);
    if (crypto_sign_ed25519_pk_to_curve25519(x, pk) != 0) {
        sodium_memzero(x, 32);
        return VL_ECRYPTO;
    }
    return VL_OK;
}

void
vl_kid(const uint8_t pk[VL_PK_LEN], char out[2 * VL_KID_LEN + 1])
{
    uint8_t h[VL_HASH_LEN];
    vl_hash(h, "valise/kid/1", pk, VL_PK_LEN);
    vl_hex(h, VL_KID_LEN, out);
}

void
vl_sign(const vl_keypair_t *self, const uint8_t digest[VL_HASH_LEN], uint8_t sig[VL_SIG_LEN])
{
    assert(self);
    crypto_sign_detached(sig, NULL, digest, VL_HASH_LEN, self->sk);
}

int
vl_verify(const uint8_t pk[VL_PK_LEN], const uint8_t digest[VL_HASH_LEN],
          const uint8_t sig[VL_SIG_LEN])
{
    return crypto_sign_verify_detached(sig, digest, VL_HASH_LEN, pk) == 0 ? VL_OK : VL_EAUTH;
}

/* ---- symmetric and sealed ------------------------------------------------------------ */

void
vl_random(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

void
vl_aead_encrypt(const uint8_t key[VL_KEY_LEN], const uint8_t nonce[VL_NONCE_LEN],
                const void *ad, size_t adlen, const void *pt, size_t ptlen, uint8_t *ct)
{
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, ptlen, ad, adlen, NULL, nonce,
                                               key);
}

int
vl_aead_decrypt(const uint8_t key[VL_KEY_LEN], const uint8_t nonce[VL_NONCE_LEN],
                const void *ad, size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
    if (ctlen < VL_MAC_LEN)
        return VL_EPROTO;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, ctlen, ad, adlen, nonce,
                                                   key) != 0) {
        sodium_memzero(pt, ctlen - VL_MAC_LEN);
        return VL_EAUTH;
    }
    return VL_OK;
}

int
vl_seal_key(const uint8_t pk[VL_PK_LEN], const uint8_t key[VL_KEY_LEN],
            uint8_t sealed[VL_SEALED_LEN])
{
    uint8_t xpk[crypto_box_PUBLICKEYBYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, pk) != 0)
        return VL_ECRYPTO;
    if (crypto_box_seal(sealed, key, VL_KEY_LEN, xpk) != 0)
        return VL_ECRYPTO;
    return VL_OK;
}

int
vl_unseal_key(const vl_keypair_t *self, const uint8_t sealed[VL_SEALED_LEN],
              uint8_t key[VL_KEY_LEN])
{
    int rc = VL_EAUTH;
    uint8_t xpk[crypto_box_PUBLICKEYBYTES];
    uint8_t *xsk = sodium_malloc(crypto_box_SECRETKEYBYTES);
    if (!xsk)
        return VL_ENOMEM;
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, self->pk) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(xsk, self->sk) != 0) {
        rc = VL_ECRYPTO;
        goto out;
    }
    if (crypto_box_seal_open(key, sealed, VL_SEALED_LEN, xpk, xsk) != 0) {
        sodium_memzero(key, VL_KEY_LEN);
        rc = VL_EAUTH;
        goto out;
    }
    rc = VL_OK;
out:
    sodium_free(xsk);
    return rc;
}

/* ---- secure memory ---------------------------------------------------------------------- */

void *
vl_secure_alloc(size_t len)
{
    void *p = sodium_malloc(len ? len : 1);
    if (p)
        sodium_memzero(p, len ? len : 1);
    return p;
}

void
vl_secure_free(void *pp)
{
    void **p = pp;
    assert(p);
    if (*p) {
        sodium_free(*p);
        *p = NULL;
    }
}

/* ---- hex ----------------------------------------------------------------------------------- */

void
vl_hex(const void *p, size_t len, char *out)
{
    sodium_bin2hex(out, 2 * len + 1, p, len);
}

int
vl_unhex(const char *hex, void *out, size_t len)
{
    size_t got = 0;
    const char *end = NULL;
    if (!hex || strlen(hex) != 2 * len)
        return VL_EINVAL;
    if (sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, &end) != 0 || got != len ||
        *end != '\0')
        return VL_EINVAL;
    return VL_OK;
}

/* ---- self-test -------------------------------------------------------------------------------- */

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
