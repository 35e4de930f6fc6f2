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
