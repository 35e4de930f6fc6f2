/* SPDX-License-Identifier: MIT */
/*
 * vl_crypto - the few cryptographic operations valise uses, all libsodium.
 *
 * Hashes are BLAKE2b-256 with a domain tag: H(tag, parts...) hashes the ASCII
 * tag, one 0x00 byte, then the parts as given. Signatures are Ed25519 over a
 * 32-byte digest (the digest already binds the domain). Symmetric encryption
 * is XChaCha20-Poly1305-IETF with random 24-byte nonces. Key distribution is
 * crypto_box_seal to the X25519 form of a member's Ed25519 key.
 *
 * Secret keys live in vl_keypair_t objects whose storage is sodium_malloc'd
 * (guard pages, mlock) and wiped on destroy.
 *
 * Thread safety: vl_crypto_init() once before any thread starts; the rest is
 * reentrant.
 */
#ifndef VL_CRYPTO_H
#define VL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"

#define VL_PK_LEN      32u   /**< Ed25519 public key */
#define VL_SEED_LEN    32u   /**< Ed25519 seed */
#define VL_SIG_LEN     64u   /**< Ed25519 signature */
#define VL_HASH_LEN    32u   /**< BLAKE2b-256 */
#define VL_KID_LEN     8u    /**< key id bytes (16 hex digits) */
#define VL_KEY_LEN     32u   /**< symmetric key */
#define VL_NONCE_LEN   24u   /**< XChaCha20 nonce */
#define VL_MAC_LEN     16u   /**< Poly1305 tag */
#define VL_SEALED_LEN  80u   /**< crypto_box_seal of a 32-byte key: 32 + 48 */
#define VL_NETID_LEN   16u   /**< network id */

/** @brief Initialise libsodium. @return VL_OK or VL_ECRYPTO. Idempotent. */
int vl_crypto_init(void);

/* ---- hashing --------------------------------------------------------------- */

/** Streaming domain-separated BLAKE2b-256. Plain data: may live on the stack
 *  (libsodium declares the state 64-byte aligned). */
typedef struct { uint8_t opaque[384] __attribute__((aligned(64))); } vl_hash_t;

void vl_hash_init(vl_hash_t *h, const char *tag);
void vl_hash_update(vl_hash_t *h, const void *p, size_t len);
/** @brief Append a u64 big-endian. */
void vl_hash_u64(vl_hash_t *h, uint64_t v);
/** @brief Append a u32 big-endian length then the bytes (unambiguous strings). */
void vl_hash_lp(vl_hash_t *h, const void *p, size_t len);
void vl_hash_final(vl_hash_t *h, uint8_t out[VL_HASH_LEN]);
/** @brief One-shot H(tag || 0x00 || p). */
void vl_hash(uint8_t out[VL_HASH_LEN], const char *tag, const void *p, size_t len);

/** @brief Keyed BLAKE2b-256: out = BLAKE2b(key, tag || 0x00 || p), for
 *  deriving subkeys (the store's at-rest key from the content key). */
void vl_hash_keyed(uint8_t out[VL_HASH_LEN], const uint8_t key[VL_KEY_LEN],
                   const char *tag, const void *p, size_t len);

/* ---- identities -------------------------------------------------------------- */

typedef struct vl_keypair vl_keypair_t;

/** @brief New random key pair. @return VL_OK, VL_ENOMEM. */
int vl_keypair_generate(vl_keypair_t **out);
/** @brief Deterministic key pair from a 32-byte seed (test vectors, key files). */
int vl_keypair_from_seed(const uint8_t seed[VL_SEED_LEN], vl_keypair_t **out);
/** @brief Wipe and free; sets *self_p to NULL. NULL-safe. */
void vl_keypair_destroy(vl_keypair_t **self_p);
/** @brief Borrowed public key (32 bytes), valid while the pair lives. */
const uint8_t *vl_keypair_pk(const vl_keypair_t *self);
/** @brief Copy the seed out (for sealing into a key file). Caller wipes it. */
void vl_keypair_seed(const vl_keypair_t *self, uint8_t seed[VL_SEED_LEN]);

/** @brief The X25519 (CurveZMQ transport) form of our key pair: pk and sk
 *  (sk is secret: keep it in vl_secure_alloc memory and wipe it).
 *  @return VL_OK, VL_ECRYPTO (the key does not convert). */
int vl_keypair_x25519(const vl_keypair_t *kp, uint8_t pk[32], uint8_t sk[32])
    __attribute__((warn_unused_result));
/** @brief The X25519 form of an Ed25519 public key (a peer's transport key).
 *  @return VL_OK, VL_ECRYPTO (small-order or invalid key; x is zeroed). */
int vl_pk_x25519(const uint8_t pk[VL_PK_LEN], uint8_t x[32])
    __attribute__((warn_unused_result));

/** @brief Key id: first 8 bytes of H("valise/kid/1", pk) as 16 hex digits + NUL. */
void vl_kid(const uint8_t pk[VL_PK_LEN], char out[2 * VL_KID_LEN + 1]);

/** @brief Ed25519-sign a 32-byte digest. */
void vl_sign(const vl_keypair_t *self, const uint8_t digest[VL_HASH_LEN],
             uint8_t sig[VL_SIG_LEN]);
/** @brief Verify. @return VL_OK or VL_EAUTH. */
int vl_verify(const uint8_t pk[VL_PK_LEN], const uint8_t digest[VL_HASH_LEN],
              const uint8_t sig[VL_SIG_LEN]) __attribute__((warn_unused_result));

/* ---- symmetric and sealed -------------------------------------------------- */

void vl_random(void *buf, size_t len);

/** @brief ct (ptlen + VL_MAC_LEN bytes) = XChaCha20-Poly1305(key, nonce, pt, ad). */
void vl_aead_encrypt(const uint8_t key[VL_KEY_LEN], const uint8_t nonce[VL_NONCE_LEN],
                     const void *ad, size_t adlen, const void *pt, size_t ptlen,
                     uint8_t *ct);
/** @brief Decrypt into pt (ctlen - VL_MAC_LEN bytes). On failure pt is zeroed.
 *  @return VL_OK, VL_EAUTH (forged, tampered, wrong key or AD), VL_EPROTO (too short). */
int vl_aead_decrypt(const uint8_t key[VL_KEY_LEN], const uint8_t nonce[VL_NONCE_LEN],
                    const void *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
                    uint8_t *pt) __attribute__((warn_unused_result));

/** @brief Seal a 32-byte key to the X25519 form of an Ed25519 public key.
 *  @return VL_OK, VL_ECRYPTO (small-order or invalid public key). */
int vl_seal_key(const uint8_t pk[VL_PK_LEN], const uint8_t key[VL_KEY_LEN],
                uint8_t sealed[VL_SEALED_LEN]);
/** @brief Open a sealed key with our key pair. @return VL_OK, VL_EAUTH. */
int vl_unseal_key(const vl_keypair_t *self, const uint8_t sealed[VL_SEALED_LEN],
                  uint8_t key[VL_KEY_LEN]) __attribute__((warn_unused_result));

/* ---- secure memory ------------------------------------------------------------ */

/** @brief sodium_malloc'd zeroed buffer (NULL on failure); free with vl_secure_free. */
void *vl_secure_alloc(size_t len);
/** @brief Wipe and free a vl_secure_alloc buffer; sets *p to NULL. NULL-safe. */
void vl_secure_free(void *pp);

/* ---- hex ------------------------------------------------------------------------- */

/** @brief out gets 2*len hex digits + NUL. */
void vl_hex(const void *p, size_t len, char *out);
/** @brief Parse exactly 2*len hex digits. @return VL_OK or VL_EINVAL. */
int vl_unhex(const char *hex, void *out, size_t len);

#endif
