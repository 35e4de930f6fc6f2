/* SPDX-License-Identifier: MIT */
/*
 * vl_keyfile - passphrase-sealed secret key files and public key files
 * (docs/keyfiles.md). Where a passphrase comes from is vl_passphrase.c; the
 * file layout both share is in vl_keyfile_int.h.
 *
 * Everything read here comes from a file and is treated as hostile: sizes
 * are checked before anything is parsed, the Argon2id cost parameters of a
 * key file are bounded before any work is done, and every failure returns a
 * VL_E* code with one detail line. Key material (the derived key, the seed,
 * the passphrase) lives only in vl_secure_alloc memory and is wiped on every
 * exit path.
 *
 * Thread safety: no state (messages use strerror).
 */
#include "vl_keyfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "vl_keyfile_int.h"
#include "vl_limits.h"

static const uint8_t s_magic[8] = { 'V', 'L', 'K', 'E', 'Y', '0', '0', '1' };

_Static_assert(KF_OFF_CT + KF_PT_LEN + VL_MAC_LEN == VL_KEYFILE_LEN, "key file size");
_Static_assert(KF_OFF_NONCE - KF_OFF_SALT == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(KF_OFF_CT - KF_OFF_NONCE == VL_NONCE_LEN, "nonce size");
_Static_assert(crypto_pwhash_OPSLIMIT_SENSITIVE <= VL_MAX_KDF_OPS &&
                   crypto_pwhash_MEMLIMIT_SENSITIVE <= VL_MAX_KDF_MEM,
               "every file we write must be accepted on load");
_Static_assert(VL_MAX_KDF_OPS <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
                   VL_MAX_KDF_MEM <= crypto_pwhash_argon2id_MEMLIMIT_MAX,
               "the load limits must be values libsodium accepts");
_Static_assert(KF_PK_PREFIX_LEN + KF_PK_HEX_LEN + 1 + VL_MAX_NAME + 1 <= KF_PUBFILE_MAX,
               "the longest public key line must fit the read bound");

/* Argon2id cost of each vl_kdf_t (libsodium's three levels). */
const vl_keyfile_cost_t vl_keyfile_kdf[3] = {
    [VL_KDF_INTERACTIVE] = { crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE },
    [VL_KDF_MODERATE] = { crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
    [VL_KDF_SENSITIVE] = { crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
};

/* ---- small helpers ------------------------------------------------------------- */

void
vl_keyfile_put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t
vl_keyfile_get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Write all of buf; on failure returns -1 with errno set. */
int
vl_keyfile_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read until cap bytes or end of file; *n gets the count. On failure returns
 * -1 with errno set. */
int
vl_keyfile_read_upto(int fd, void *buf, size_t cap, size_t *n)
{
    uint8_t *p = buf;
    *n = 0;
    while (*n < cap) {
        ssize_t r = read(fd, p + *n, cap - *n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return 0;
}

/* Printable ASCII, which also excludes newlines, NUL and bytes >= 0x80. */
static bool
s_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* ---- secret key files ---------------------------------------------------------- */

/* Seal a 64-byte plaintext (seed || pk) with explicit cost parameters, salt
 * and nonce. vl_keyfile_seal draws salt and nonce at random; the self-test
 * calls this directly for the golden vector and for files with costs the
 * public API never writes. On failure buf is zeroed. */
int
vl_keyfile_seal_raw(const uint8_t pt[KF_PT_LEN], const char *pass, size_t passlen, uint64_t ops,
           uint64_t mem, const uint8_t salt[crypto_pwhash_SALTBYTES],
           const uint8_t nonce[VL_NONCE_LEN], uint8_t buf[VL_KEYFILE_LEN], char *err)
{
    int rc = VL_ENOMEM;
    uint8_t *key = vl_secure_alloc(VL_KEY_LEN);
    if (!key) {
        rc = vl_err(err, VL_ENOMEM, "out of secure memory");
        goto out;
    }
    if (mem > SIZE_MAX) {
        rc = vl_err(err, VL_ELIMIT, "Argon2id memory cost too large for this machine");
        goto out;
    }
    memcpy(buf + KF_OFF_MAGIC, s_magic, sizeof s_magic);
    vl_keyfile_put_u64le(buf + KF_OFF_OPS, ops);
    vl_keyfile_put_u64le(buf + KF_OFF_MEM, mem);
    memcpy(buf + KF_OFF_SALT, salt, crypto_pwhash_SALTBYTES);
    memcpy(buf + KF_OFF_NONCE, nonce, VL_NONCE_LEN);
    if (crypto_pwhash(key, VL_KEY_LEN, pass ? pass : "", passlen, salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        rc = vl_err(err, VL_ENOMEM, "Argon2id failed (out of memory?)");
        goto out;
    }
    vl_aead_encrypt(key, nonce, buf, KF_OFF_CT, pt, KF_PT_LEN, buf + KF_OFF_CT);
    rc = VL_OK;
out:
    vl_secure_free(&key);
    if (rc != VL_OK)
        sodium_memzero(buf, VL_KEYFILE_LEN);
    return rc;
}

int
vl_keyfile_seal(const vl_keypair_t *kp, const char *pass, size_t passlen, vl_kdf_t kdf,
                uint8_t buf[VL_KEYFILE_LEN], char *err)
{
    int rc = VL_EINVAL;
    uint8_t *pt = NULL;
    uint8_t salt[crypto_pwhash_SALTBYTES], nonce[VL_NONCE_LEN];
    assert(kp && buf);
    assert(pass || passlen == 0);

    if (passlen == 0) {
        rc = vl_err(err, VL_EINVAL, "empty passphrase");
        goto out;
    }
    if (passlen > crypto_pwhash_PASSWD_MAX) {
        rc = vl_err(err, VL_EINVAL, "passphrase too long");
        goto out;
    }
    if ((unsigned)kdf >= sizeof vl_keyfile_kdf / sizeof vl_keyfile_kdf[0]) {
        rc = vl_err(err, VL_EINVAL, "unknown key derivation level %d", (int)kdf);
        goto out;
    }
    pt = vl_secure_alloc(KF_PT_LEN);
    if (!pt) {
        rc = vl_err(err, VL_ENOMEM, "out of secure memory");
        goto out;
    }
    vl_keypair_seed(kp, pt);
    memcpy(pt + VL_SEED_LEN, vl_keypair_pk(kp), VL_PK_LEN);
    vl_random(salt, sizeof salt);
    vl_random(nonce, sizeof nonce);
    rc = vl_keyfile_seal_raw(pt, pass, passlen, vl_keyfile_kdf[kdf].ops, vl_keyfile_kdf[kdf].mem,
                             salt, nonce, buf, err);
out:
    vl_secure_free(&pt);
    if (rc != VL_OK)
        sodium_memzero(buf, VL_KEYFILE_LEN);
    return rc;
}

int
vl_keyfile_open(const uint8_t *buf, size_t len, const char *pass, size_t passlen,
                vl_keypair_t **out, char *err)
{
    int rc = VL_EPROTO;
    uint8_t *key = NULL, *pt = NULL;
    vl_keypair_t *kp = NULL;
    uint64_t ops, mem;
    assert(out);
    assert(buf || len == 0);
    assert(pass || passlen == 0);
    *out = NULL;

    if (len != VL_KEYFILE_LEN) {
        rc = vl_err(err, VL_EPROTO, "a key file is %u bytes, this one is %zu",
                    VL_KEYFILE_LEN, len);
        goto out;
    }
    if (memcmp(buf + KF_OFF_MAGIC, s_magic, sizeof s_magic) != 0) {
        rc = vl_err(err, VL_EPROTO, "not a valise key file (bad magic)");
        goto out;
    }
    /* The cost comes from the file: bound it before any work, so that a
     * crafted file cannot make us spend minutes or gigabytes. The AEAD check
     * that would catch an altered header only runs after Argon2. */
    ops = vl_keyfile_get_u64le(buf + KF_OFF_OPS);
    mem = vl_keyfile_get_u64le(buf + KF_OFF_MEM);
    if (ops > VL_MAX_KDF_OPS || mem > VL_MAX_KDF_MEM) {
        rc = vl_err(err, VL_ELIMIT,
                    "key file asks for Argon2id ops=%llu mem=%llu: over the limits "
                    "(ops <= %llu, mem <= %llu)",
                    (unsigned long long)ops, (unsigned long long)mem,
                    (unsigned long long)VL_MAX_KDF_OPS, (unsigned long long)VL_MAX_KDF_MEM);
        goto out;
    }
    if (ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || mem < crypto_pwhash_argon2id_MEMLIMIT_MIN) {
        rc = vl_err(err, VL_EPROTO,
                    "key file has Argon2id ops=%llu mem=%llu: below libsodium's minimum",
                    (unsigned long long)ops, (unsigned long long)mem);
        goto out;
    }
    if (passlen > crypto_pwhash_PASSWD_MAX) {
        /* vl_keyfile_seal refuses such passphrases: it cannot be the right one. */
        rc = vl_err(err, VL_EAUTH, "wrong passphrase (or the key file was altered)");
        goto out;
    }
    key = vl_secure_alloc(VL_KEY_LEN);
    pt = vl_secure_alloc(KF_PT_LEN);
    if (!key || !pt) {
        rc = vl_err(err, VL_ENOMEM, "out of secure memory");
        goto out;
    }
    if (crypto_pwhash(key, VL_KEY_LEN, pass ? pass : "", passlen, buf + KF_OFF_SALT, ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        rc = vl_err(err, VL_ENOMEM, "Argon2id failed (out of memory?)");
        goto out;
    }
    if (vl_aead_decrypt(key, buf + KF_OFF_NONCE, buf, KF_OFF_CT, buf + KF_OFF_CT,
                        len - KF_OFF_CT, pt) != VL_OK) {
        rc = vl_err(err, VL_EAUTH, "wrong passphrase (or the key file was altered)");
        goto out;
    }
    rc = vl_keypair_from_seed(pt, &kp);
    if (rc != VL_OK) {
        rc = vl_err(err, rc, "out of memory");
        goto out;
    }
    /* Authentic but inconsistent: written by a broken tool, or by someone who
     * knew the passphrase. Either way the key is not the one it claims. */
    if (sodium_memcmp(vl_keypair_pk(kp), pt + VL_SEED_LEN, VL_PK_LEN) != 0) {
        rc = vl_err(err, VL_EAUTH,
                    "key file corrupt: its public key does not match its secret key");
        goto out;
    }
    *out = kp;
    kp = NULL;
    rc = VL_OK;
out:
    vl_keypair_destroy(&kp);
    vl_secure_free(&pt);
    vl_secure_free(&key);
    return rc;
}

int
vl_keyfile_write(const char *path, const vl_keypair_t *kp, const char *pass, size_t passlen,
                 vl_kdf_t kdf, char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    const char *created = NULL; /* the file we made, removed if we fail */
    uint8_t buf[VL_KEYFILE_LEN];
    assert(path && kp);

    /* Seal before creating: Argon2 takes up to seconds, and an interrupted
     * run must not leave an empty file that blocks the next attempt. */
    rc = vl_keyfile_seal(kp, pass, passlen, kdf, buf, err);
    if (rc != VL_OK)
        goto out;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            rc = vl_err(err, VL_EEXIST, "%s exists: refusing to overwrite a key", path);
        else
            rc = vl_err(err, VL_EIO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    created = path;
    if (vl_keyfile_write_all(fd, buf, sizeof buf) != 0) {
        rc = vl_err(err, VL_EIO, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    if (fsync(fd) != 0) {
        rc = vl_err(err, VL_EIO, "cannot sync %s: %s", path, strerror(errno));
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = vl_err(err, VL_EIO, "cannot close %s: %s", path, strerror(errno));
        goto out;
    }
    created = NULL;
    rc = VL_OK;
out:
    if (fd >= 0)
        close(fd);
    if (created)
        unlink(created);
    return rc;
}

int
vl_keyfile_read(const char *path, const char *pass, size_t passlen, vl_keypair_t **out,
                char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    struct stat st;
    uint8_t buf[VL_KEYFILE_LEN + 1]; /* one more, to see a file that grew */
    size_t n = 0;
    assert(path && out);
    *out = NULL;

    /* O_NONBLOCK: opening a FIFO must not hang before fstat can refuse it.
     * It has no effect on reading a regular file. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            rc = vl_err(err, VL_ENOTFOUND, "no key file at %s", path);
        else
            rc = vl_err(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = vl_err(err, VL_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = vl_err(err, VL_EPROTO, "%s is not a regular file", path);
        goto out;
    }
    if ((rc = vl_keyfile_check_mode("", path, (unsigned)st.st_mode, err)) != VL_OK)
        goto out;
    if (st.st_size != (off_t)VL_KEYFILE_LEN) {
        rc = vl_err(err, VL_EPROTO, "%s is %lld bytes: a key file is exactly %u", path,
                    (long long)st.st_size, VL_KEYFILE_LEN);
        goto out;
    }
    if (vl_keyfile_read_upto(fd, buf, sizeof buf, &n) != 0) {
        rc = vl_err(err, VL_EIO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (n != VL_KEYFILE_LEN) {
        rc = vl_err(err, VL_EPROTO, "%s changed size while being read", path);
        goto out;
    }
    rc = vl_keyfile_open(buf, n, pass, passlen, out, err);
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int
vl_keyfile_check_mode(const char *what, const char *path, unsigned mode, char *err)
{
    if ((mode & 077) == 0)
        return VL_OK;
    return vl_err(err, VL_EPERM,
                  "%s%s is accessible by group or others (mode %03o): run chmod 600 %s", what,
                  path, mode & 0777, path);
}

/* ---- public key files ------------------------------------------------------------- */

int
vl_pubfile_check_label(const char *label, char *err)
{
    size_t ll = strnlen(label, VL_MAX_NAME + 1);
    if (ll > VL_MAX_NAME)
        return vl_err(err, VL_EINVAL, "label longer than %u bytes", VL_MAX_NAME);
    if (!s_printable(label, ll) || label[0] == ' ')
        return vl_err(err, VL_EINVAL,
                      "label must be printable ASCII on one line, not starting with a space");
    return VL_OK;
}

int
vl_pubfile_write(const char *path, const uint8_t pk[VL_PK_LEN], const char *label, char *err)
{
    int rc = VL_EINVAL;
    int fd = -1;
    char hex[KF_PK_HEX_LEN + 1];
    char line[KF_PUBFILE_MAX];
    size_t ll;
    int len;
    assert(path && pk);

    if (!label)
        label = "";
    if ((rc = vl_pubfile_check_label(label, err)) != VL_OK)
        goto out;
    rc = VL_EINVAL;
    ll = strlen(label);
    vl_hex(pk, VL_PK_LEN, hex);
    if (ll > 0)
        len = snprintf(line, sizeof line, KF_PK_PREFIX "%s %s\n", hex, label);
    else
        len = snprintf(line, sizeof line, KF_PK_PREFIX "%s\n", hex);
    assert(len > 0 && (size_t)len < sizeof line); /* the static assert above */

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = vl_err(err, VL_EIO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if (vl_keyfile_write_all(fd, line, (size_t)len) != 0) {
        rc = vl_err(err, VL_EIO, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = vl_err(err, VL_EIO, "cannot close %s: %s", path, strerror(errno));
        goto out;
    }
    rc = VL_OK;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Parse the whole content of a public key file (n bytes, not NUL-terminated).
 * Exactly one form is accepted for each key and label. */
static int
s_publine_parse(const char *path, const char *buf, size_t n, uint8_t pk[VL_PK_LEN],
                char *label, char *err)
{
    char hex[KF_PK_HEX_LEN + 1];
    const char *p;
    size_t rest, ll = 0;

    if (n < KF_PK_PREFIX_LEN + KF_PK_HEX_LEN + 1 ||
        memcmp(buf, KF_PK_PREFIX, KF_PK_PREFIX_LEN) != 0)
        return vl_err(err, VL_EPROTO,
                      "%s: not a valise public key file (want \"valise-pk1 <64 hex> [label]\")",
                      path);
    p = buf + KF_PK_PREFIX_LEN;
    for (size_t i = 0; i < KF_PK_HEX_LEN; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return vl_err(err, VL_EPROTO, "%s: the key must be 64 lower-case hex digits", path);
    memcpy(hex, p, KF_PK_HEX_LEN);
    hex[KF_PK_HEX_LEN] = '\0';
    if (buf[n - 1] != '\n')
        return vl_err(err, VL_EPROTO, "%s: the line must end with a newline", path);
    p += KF_PK_HEX_LEN;
    rest = n - KF_PK_PREFIX_LEN - KF_PK_HEX_LEN; /* >= 1, ends with the newline */
    if (rest > 1) {
        /* " <label>\n" with a non-empty label: the empty label is written
         * without its space, so "<hex> \n" is not a second form of it. */
        ll = rest - 2;
        if (p[0] != ' ' || ll == 0)
            return vl_err(err, VL_EPROTO, "%s: want one space, then the label", path);
        if (ll > VL_MAX_NAME)
            return vl_err(err, VL_EPROTO, "%s: label longer than %u bytes", path, VL_MAX_NAME);
        if (!s_printable(p + 1, ll))
            return vl_err(err, VL_EPROTO,
                          "%s: one line only, and the label must be printable ASCII", path);
        if (p[1] == ' ')
            return vl_err(err, VL_EPROTO, "%s: want one space, then the label", path);
    }
    if (vl_unhex(hex, pk, VL_PK_LEN) != VL_OK)
        return vl_err(err, VL_EPROTO, "%s: bad hex", path);
    if (label) {
        memcpy(label, p + 1, ll); /* p + 1 is in bounds: rest >= 1 */
        label[ll] = '\0';
    }
    return VL_OK;
}

int
vl_pubfile_read(const char *path, uint8_t pk[VL_PK_LEN], char *label, char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    char buf[KF_PUBFILE_MAX + 1]; /* one more, to see a file that is too large */
    size_t n = 0;
    assert(path && pk);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            rc = vl_err(err, VL_ENOTFOUND, "no public key file at %s", path);
        else
            rc = vl_err(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (vl_keyfile_read_upto(fd, buf, sizeof buf, &n) != 0) {
        rc = vl_err(err, VL_EIO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (n > KF_PUBFILE_MAX) {
        rc = vl_err(err, VL_EPROTO, "%s: larger than %u bytes, not a public key file", path,
                    KF_PUBFILE_MAX);
        goto out;
    }
    rc = s_publine_parse(path, buf, n, pk, label, err);
out:
    if (fd >= 0)
        close(fd);
    if (rc != VL_OK) {
        memset(pk, 0, VL_PK_LEN);
        if (label)
            label[0] = '\0';
    }
    return rc;
}
