/* SPDX-License-Identifier: MIT */
/*
 * vl_keyfile_int - what vl_keyfile.c and vl_passphrase.c share, and what the
 * self-test (tests/protocol/test_keyfile.c) reaches below the public API:
 * the secret key file layout, the read bounds, the Argon2id cost table, the
 * full-read/full-write helpers and the sealing primitive with explicit salt,
 * nonce and costs. Not part of the protocol API.
 */
#ifndef VL_KEYFILE_INT_H
#define VL_KEYFILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "vl_keyfile.h"
#include "vl_limits.h"

/* Byte offsets in a secret key file. Bytes [0, KF_OFF_CT) are the header and
 * the AEAD's associated data. */
enum {
    KF_OFF_MAGIC = 0,
    KF_OFF_OPS = 8,
    KF_OFF_MEM = 16,
    KF_OFF_SALT = 24,
    KF_OFF_NONCE = 40,
    KF_OFF_CT = 64,
    KF_PT_LEN = VL_SEED_LEN + VL_PK_LEN, /* plaintext: seed || pk */
};

/* Longest passphrase taken from a file, a variable or a terminal. A limit
 * keeps the reads bounded; 1024 bytes is far beyond any real passphrase.
 */
#define KF_PASS_MAX VL_MAX_PASSPHRASE
/* The passphrase buffer: the line, its "\r\n" (so that a 1024-byte line with
 * a CRLF ending is still read whole) and a NUL. */
#define KF_PASS_BUF (KF_PASS_MAX + 3u)
/* Largest public key file read: the longest valid line is 11 + 64 + 1 +
 * VL_MAX_NAME + 1 = 205 bytes. */
#define KF_PUBFILE_MAX VL_MAX_PUBFILE

#define KF_PK_PREFIX "valise-pk1 "
#define KF_PK_PREFIX_LEN (sizeof KF_PK_PREFIX - 1)
#define KF_PK_HEX_LEN (2u * VL_PK_LEN)

/** Argon2id cost of each vl_kdf_t (libsodium's three levels), indexed by it. */
typedef struct {
    uint64_t ops; /**< passes */
    uint64_t mem; /**< bytes */
} vl_keyfile_cost_t;
extern const vl_keyfile_cost_t vl_keyfile_kdf[3];

/** Little-endian u64 at p. */
void vl_keyfile_put_u64le(uint8_t *p, uint64_t v);
uint64_t vl_keyfile_get_u64le(const uint8_t *p);

/** Write all of buf; on failure returns -1 with errno set. */
int vl_keyfile_write_all(int fd, const void *buf, size_t len);
/** Read until cap bytes or end of file; *n gets the count. On failure
 *  returns -1 with errno set. */
int vl_keyfile_read_upto(int fd, void *buf, size_t cap, size_t *n);

/** The rule for files that hold a secret (key files, passphrase files): no
 *  permission bit for group or others. `mode` is st_mode of the open file;
 *  `what` prefixes the path in the message ("" or "passphrase file ").
 *  @return VL_OK, or VL_EPERM with "<what><path> is accessible by group or
 *          others (mode 644): run chmod 600 <path>" in err. */
int vl_keyfile_check_mode(const char *what, const char *path, unsigned mode, char *err);

/** Seal a 64-byte plaintext (seed || pk) into a whole key file with explicit
 *  cost parameters, salt and nonce. On failure buf is zeroed.
 *  @return VL_OK, VL_EINVAL (costs libsodium refuses), VL_ENOMEM. */
int vl_keyfile_seal_raw(const uint8_t pt[KF_PT_LEN], const char *pass, size_t passlen,
                        uint64_t ops, uint64_t mem,
                        const uint8_t salt[crypto_pwhash_SALTBYTES],
                        const uint8_t nonce[VL_NONCE_LEN], uint8_t buf[VL_KEYFILE_LEN],
                        char *err);

#endif
