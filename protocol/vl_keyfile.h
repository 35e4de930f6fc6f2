/* SPDX-License-Identifier: MIT */
/*
 * vl_keyfile - secret key files sealed by a passphrase, public key files,
 * and where passphrases come from.
 *
 * A secret key file is 144 bytes (docs/keyfiles.md):
 *   "VLKEY001" | opslimit u64le | memlimit u64le | salt[16] | nonce[24] |
 *   XChaCha20-Poly1305(key = Argon2id(passphrase, salt, ops, mem), nonce,
 *                      plaintext = seed[32] || pk[32], ad = bytes 0..63)
 * The whole header is associated data, so the cost parameters cannot be
 * swapped; on load, values above VL_MAX_KDF_OPS / VL_MAX_KDF_MEM (or below
 * libsodium's minimums) are refused before any work. Files are created with O_EXCL and mode 0600; a key file readable by
 * group or others is refused. The secret never exists in clear on disk.
 *
 * A public key file is one text line: "valise-pk1 <64 hex> <label>\n".
 *
 * Passphrases come from (first that is set): a file (first line, without
 * the newline), an environment variable, or a no-echo prompt on /dev/tty.
 * They are held in vl_secure_alloc memory and wiped after use.
 */
#ifndef VL_KEYFILE_H
#define VL_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"

#define VL_KEYFILE_LEN 144u

typedef enum {
    VL_KDF_INTERACTIVE = 0, /**< 64 MiB, 2 passes (~0.06 s here): tests and demos */
    VL_KDF_MODERATE = 1,    /**< 256 MiB, 3 passes (~0.5 s): the default */
    VL_KDF_SENSITIVE = 2,   /**< 1 GiB, 4 passes (~3.3 s) */
} vl_kdf_t;

/** @brief Seal kp under pass and write it to path (must not exist).
 *  @return VL_OK, VL_EEXIST (path exists), VL_EIO, VL_ENOMEM, VL_EINVAL (empty passphrase). */
int vl_keyfile_write(const char *path, const vl_keypair_t *kp, const char *pass,
                     size_t passlen, vl_kdf_t kdf, char *err);

/** @brief Read and open a secret key file.
 *  @return VL_OK, VL_ENOTFOUND, VL_EIO, VL_EPERM (group/world readable),
 *          VL_EPROTO (not a key file, bad size, bad magic), VL_ELIMIT (cost
 *          parameters over the limits), VL_EAUTH (wrong passphrase or tampered),
 *          VL_ENOMEM. */
int vl_keyfile_read(const char *path, const char *pass, size_t passlen,
                    vl_keypair_t **out, char *err);

/** @brief Pure in-memory forms of the two calls above (also what the
 *  self-test and the fuzzers use). buf is exactly VL_KEYFILE_LEN bytes. */
int vl_keyfile_seal(const vl_keypair_t *kp, const char *pass, size_t passlen,
                    vl_kdf_t kdf, uint8_t buf[VL_KEYFILE_LEN], char *err);
int vl_keyfile_open(const uint8_t *buf, size_t len, const char *pass,
                    size_t passlen, vl_keypair_t **out, char *err);

/** @brief Whether label may name a key in a public key file: printable ASCII,
 *  at most VL_MAX_NAME bytes, not starting with a space (docs/keyfiles.md §2);
 *  may be empty. @return VL_OK or VL_EINVAL (err says why). */
int vl_pubfile_check_label(const char *label, char *err);

/** @brief Write "valise-pk1 <hex> <label>\n" (label: see
 *  vl_pubfile_check_label). Overwrites.
 *  @return VL_OK, VL_EINVAL, VL_EIO. */
int vl_pubfile_write(const char *path, const uint8_t pk[VL_PK_LEN],
                     const char *label, char *err);
/** @brief Read a public key file; label (VL_MAX_NAME+1 bytes) may be NULL.
 *  @return VL_OK, VL_ENOTFOUND, VL_EIO, VL_EPROTO. */
int vl_pubfile_read(const char *path, uint8_t pk[VL_PK_LEN], char *label, char *err);

/** @brief Get a passphrase: from `file` if not NULL, else from the
 *  environment variable `envvar` if set and not NULL, else by prompting on
 *  /dev/tty with `prompt` (no echo). *out is vl_secure_alloc'd and
 *  NUL-terminated; free it with vl_secure_free(out).
 *  A file (regular or a named pipe) with any permission bit for group or
 *  others is refused like a key file (VL_EPERM, naming it and "chmod 600").
 *  @return VL_OK, VL_ENOTFOUND (no source: no file, no variable, no tty),
 *          VL_EPERM (file readable or writable by others), VL_EIO,
 *          VL_EINVAL (empty), VL_ENOMEM. */
int vl_passphrase_get(const char *file, const char *envvar, const char *prompt,
                      char **out, size_t *outlen, char *err);

#endif
