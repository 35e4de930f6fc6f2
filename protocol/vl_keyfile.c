/* SPDX-License-Identifier: MIT */
/*
 * vl_keyfile - passphrase-sealed secret key files, public key files and the
 * sources a passphrase may come from (docs/keyfiles.md).
 *
 * Everything read here comes from a file, the environment or a terminal and
 * is treated as hostile: sizes are checked before anything is parsed, the
 * Argon2id cost parameters of a key file are bounded before any work is done,
 * and every failure returns a VL_E* code with one detail line. Key material
 * (the derived key, the seed, the passphrase) lives only in vl_secure_alloc
 * memory and is wiped on every exit path.
 *
 * Thread safety: the key file and public key file functions keep no state
 * (messages use strerror). vl_passphrase_get, when it has to prompt, changes
 * the dispositions of SIGINT, SIGHUP, SIGQUIT and SIGTERM for the duration of
 * the prompt so that the terminal's echo is restored before such a signal
 * takes effect: call it from the main thread of a command-line tool, never
 * from a running multithreaded daemon.
 */
/* posix_openpt/grantpt/unlockpt/ptsname, used by the self-test's terminal. */
#define _XOPEN_SOURCE 700

#include "vl_keyfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "vl_check.h"
#include "vl_limits.h"

/* ---- layout and limits -------------------------------------------------------- */

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

static const uint8_t s_magic[8] = { 'V', 'L', 'K', 'E', 'Y', '0', '0', '1' };

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
static const struct {
    uint64_t ops; /* passes */
    uint64_t mem; /* bytes */
} s_kdf[] = {
    [VL_KDF_INTERACTIVE] = { crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE },
    [VL_KDF_MODERATE] = { crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
    [VL_KDF_SENSITIVE] = { crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
};

/* ---- small helpers ------------------------------------------------------------- */

static void
s_put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
s_get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Write all of buf; on failure returns -1 with errno set. */
static int
s_write_all(int fd, const void *buf, size_t len)
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
static int
s_read_upto(int fd, void *buf, size_t cap, size_t *n)
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
static int
s_seal_raw(const uint8_t pt[KF_PT_LEN], const char *pass, size_t passlen, uint64_t ops,
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
    s_put_u64le(buf + KF_OFF_OPS, ops);
    s_put_u64le(buf + KF_OFF_MEM, mem);
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
    if ((unsigned)kdf >= sizeof s_kdf / sizeof s_kdf[0]) {
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
    rc = s_seal_raw(pt, pass, passlen, s_kdf[kdf].ops, s_kdf[kdf].mem, salt, nonce, buf, err);
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
    ops = s_get_u64le(buf + KF_OFF_OPS);
    mem = s_get_u64le(buf + KF_OFF_MEM);
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
    if (s_write_all(fd, buf, sizeof buf) != 0) {
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
    if ((st.st_mode & 077) != 0) {
        rc = vl_err(err, VL_EPERM,
                    "%s is accessible by group or others (mode %03o): run chmod 600 %s",
                    path, (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    if (st.st_size != (off_t)VL_KEYFILE_LEN) {
        rc = vl_err(err, VL_EPROTO, "%s is %lld bytes: a key file is exactly %u", path,
                    (long long)st.st_size, VL_KEYFILE_LEN);
        goto out;
    }
    if (s_read_upto(fd, buf, sizeof buf, &n) != 0) {
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

/* ---- public key files ------------------------------------------------------------- */

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
    ll = strnlen(label, VL_MAX_NAME + 1);
    if (ll > VL_MAX_NAME) {
        rc = vl_err(err, VL_EINVAL, "label longer than %u bytes", VL_MAX_NAME);
        goto out;
    }
    if (!s_printable(label, ll)) {
        rc = vl_err(err, VL_EINVAL, "label must be printable ASCII on one line");
        goto out;
    }
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
    if (s_write_all(fd, line, (size_t)len) != 0) {
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
    if (s_read_upto(fd, buf, sizeof buf, &n) != 0) {
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

/* ---- passphrases --------------------------------------------------------------------- */

/* First line of a file, without "\n" or "\r\n". Reads no further than the
 * first newline or KF_PASS_MAX + 2 bytes; the rest of the buffer is wiped. */
static int
s_pass_from_file(const char *file, char *buf, size_t *outlen, char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    size_t n = 0, len = 0;
    const char *nl = NULL;

    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            rc = vl_err(err, VL_ENOTFOUND, "passphrase file %s does not exist", file);
        else
            rc = vl_err(err, VL_EIO, "cannot open passphrase file %s: %s", file,
                        strerror(errno));
        goto out;
    }
    /* Chunked, stopping at the first newline: the file may be a pipe. */
    while (n < KF_PASS_MAX + 2 && !nl) {
        ssize_t r = read(fd, buf + n, KF_PASS_MAX + 2 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = vl_err(err, VL_EIO, "cannot read passphrase file %s: %s", file,
                        strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        nl = memchr(buf + n, '\n', (size_t)r);
        n += (size_t)r;
    }
    len = nl ? (size_t)(nl - buf) : n;
    if (nl && len > 0 && buf[len - 1] == '\r')
        len--;
    if (len > KF_PASS_MAX) {
        rc = vl_err(err, VL_EINVAL, "the passphrase in %s is longer than %u bytes", file,
                    KF_PASS_MAX);
        goto out;
    }
    *outlen = len;
    rc = VL_OK;
out:
    /* Keep the line only: the rest of the file may hold other secrets. */
    if (rc != VL_OK)
        len = 0;
    sodium_memzero(buf + len, KF_PASS_BUF - len);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int
s_pass_from_env(const char *envvar, const char *value, char *buf, size_t *outlen, char *err)
{
    size_t len = strnlen(value, KF_PASS_MAX + 1);
    if (len > KF_PASS_MAX)
        return vl_err(err, VL_EINVAL, "the passphrase in %s is longer than %u bytes", envvar,
                      KF_PASS_MAX);
    memcpy(buf, value, len);
    *outlen = len;
    return VL_OK;
}

/* Signals that end a prompt; they are caught while echo is off (unless the
 * process ignores them) and delivered again once the terminal is restored. */
static const int s_prompt_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM };
#define KF_NSIGNALS (sizeof s_prompt_signals / sizeof s_prompt_signals[0])
static volatile sig_atomic_t s_caught;

static void
s_on_signal(int signo)
{
    s_caught = signo;
}

static int
s_pass_from_tty(const char *prompt, const char *envvar, char *buf, size_t *outlen, char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    bool tty_changed = false, signals_changed = false;
    bool caught[KF_NSIGNALS] = { false };
    struct sigaction oldsa[KF_NSIGNALS];
    struct termios saved, quiet;
    sigset_t block, oldmask;
    size_t n = 0;
    bool overlong = false;
    char c = 0;

    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        rc = vl_err(err, VL_ENOTFOUND,
                    "no passphrase: use --pass-file, set %s, or run on a terminal",
                    envvar ? envvar : "the passphrase variable");
        goto out;
    }
    if (fd >= FD_SETSIZE) {
        rc = vl_err(err, VL_EIO, "too many open files to wait on the terminal");
        goto out;
    }
    if (tcgetattr(fd, &saved) != 0) {
        rc = vl_err(err, VL_EIO, "cannot read the terminal settings: %s", strerror(errno));
        goto out;
    }

    /* The signals stay blocked except inside pselect, so one that arrives
     * between the check of s_caught and the wait still wakes the wait. */
    sigemptyset(&block);
    for (size_t i = 0; i < KF_NSIGNALS; i++)
        sigaddset(&block, s_prompt_signals[i]);
    sigprocmask(SIG_BLOCK, &block, &oldmask);
    s_caught = 0;
    for (size_t i = 0; i < KF_NSIGNALS; i++) {
        struct sigaction sa;
        if (sigaction(s_prompt_signals[i], NULL, &oldsa[i]) != 0 ||
            oldsa[i].sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = s_on_signal;
        sigemptyset(&sa.sa_mask);
        caught[i] = sigaction(s_prompt_signals[i], &sa, NULL) == 0;
    }
    signals_changed = true;

    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
        rc = vl_err(err, VL_EIO, "cannot turn off the terminal's echo: %s", strerror(errno));
        goto out;
    }
    tty_changed = true;
    if (s_write_all(fd, prompt, strlen(prompt)) != 0) {
        rc = vl_err(err, VL_EIO, "cannot write to the terminal: %s", strerror(errno));
        goto out;
    }

    for (;;) {
        fd_set rfds;
        ssize_t got;
        if (s_caught)
            break;
        FD_ZERO(&rfds);
        FD_SET(fd, &rfds);
        if (pselect(fd + 1, &rfds, NULL, NULL, NULL, &oldmask) < 0) {
            if (errno == EINTR)
                continue;
            rc = vl_err(err, VL_EIO, "cannot wait for the terminal: %s", strerror(errno));
            goto out;
        }
        got = read(fd, &c, 1);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            rc = vl_err(err, VL_EIO, "cannot read the terminal: %s", strerror(errno));
            goto out;
        }
        if (got == 0 || c == '\n')
            break;
        if (n < KF_PASS_MAX)
            buf[n++] = c;
        else
            overlong = true; /* keep reading: the rest of the line must not stay queued */
    }
    if (s_caught) {
        rc = vl_err(err, VL_EIO, "interrupted");
        goto out;
    }
    if (overlong) {
        rc = vl_err(err, VL_EINVAL, "passphrase longer than %u bytes", KF_PASS_MAX);
        goto out;
    }
    *outlen = n;
    rc = VL_OK;
out:
    sodium_memzero(&c, sizeof c);
    if (rc != VL_OK)
        sodium_memzero(buf, KF_PASS_BUF);
    if (tty_changed) {
        tcsetattr(fd, TCSAFLUSH, &saved);
        (void)s_write_all(fd, "\n", 1); /* the newline the user's Enter did not echo */
    }
    if (signals_changed) {
        for (size_t i = 0; i < KF_NSIGNALS; i++)
            if (caught[i])
                sigaction(s_prompt_signals[i], &oldsa[i], NULL);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        if (s_caught)
            raise(s_caught); /* now that echo is back, let it do what it would have done */
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int
vl_passphrase_get(const char *file, const char *envvar, const char *prompt, char **out,
                  size_t *outlen, char *err)
{
    int rc = VL_ENOMEM;
    char *buf = NULL;
    size_t len = 0;
    const char *value = NULL;
    assert(out && outlen);
    *out = NULL;
    *outlen = 0;

    buf = vl_secure_alloc(KF_PASS_BUF);
    if (!buf) {
        rc = vl_err(err, VL_ENOMEM, "out of secure memory");
        goto out;
    }
    if (file)
        rc = s_pass_from_file(file, buf, &len, err);
    else if (envvar && (value = getenv(envvar)) != NULL)
        rc = s_pass_from_env(envvar, value, buf, &len, err);
    else
        rc = s_pass_from_tty(prompt ? prompt : "Passphrase: ", envvar, buf, &len, err);
    if (rc != VL_OK)
        goto out;
    if (len == 0) {
        rc = vl_err(err, VL_EINVAL, "empty passphrase");
        goto out;
    }
    if (memchr(buf, '\0', len)) {
        rc = vl_err(err, VL_EINVAL, "the passphrase contains a NUL byte");
        goto out;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
    rc = VL_OK;
out:
    vl_secure_free(&buf);
    return rc;
}

/* ---- self-test ---------------------------------------------------------------------------- */

/* The golden vector of docs/keyfiles.md: seed 00..1f, passphrase
 * "correct horse battery staple", salt 80..8f, nonce a0..b7, INTERACTIVE cost.
 * Rebuilt independently by tests/vectors/keyfile_vector.py (PyNaCl). */
#define KF_VEC_PASS "correct horse battery staple"
static const char s_vec_hex[] =
    "564c4b4559303031" "0200000000000000" "0000000400000000"
    "808182838485868788898a8b8c8d8e8f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"
    "c5fd27e87aebc1de9980e919a09df0b9aab6de86ec1b6f0c8ca347848ef8f084"
    "42e911fc18ab69ddbe44645c7bc533f02c05542586e2796c19dcab074f48443f"
    "1500472a4b82dcba5227fcbb04f445cc";

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_put_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = s_write_all(fd, data, len);
    if (close(fd) != 0)
        rc = -1;
    return rc == 0 ? chmod(path, mode) : -1;
}

static bool
s_contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* Read from the pty master until `until` has been seen (or, with NULL, until
 * the other side is closed), or timeout_ms passes. */
static bool
s_pty_collect(int mfd, char *acc, size_t cap, size_t *n, const char *until, int timeout_ms)
{
    double deadline = s_now() + timeout_ms / 1000.0;
    for (;;) {
        if (until && s_contains(acc, *n, until))
            return true;
        double left = deadline - s_now();
        if (left <= 0)
            return false;
        fd_set rfds;
        struct timeval tv = { .tv_sec = (time_t)left,
                              .tv_usec = (suseconds_t)((left - (double)(time_t)left) * 1e6) };
        FD_ZERO(&rfds);
        FD_SET(mfd, &rfds);
        int r = select(mfd + 1, &rfds, NULL, NULL, &tv);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        ssize_t got = read(mfd, acc + *n, cap - 1 - *n);
        if (got <= 0) /* EIO on Linux once the slave side is closed */
            return until == NULL;
        *n += (size_t)got;
        if (*n >= cap - 1)
            return until == NULL;
    }
}

static bool
s_wait_child(pid_t pid, int *status, double timeout_s)
{
    double deadline = s_now() + timeout_s;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
        if (s_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return false;
        }
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* In the child: make the pty slave our controlling terminal, answer the
 * prompt through vl_passphrase_get, check echo is back. Returns the exit code. */
static int
s_pty_child(const char *slave)
{
    char err[VL_ERRMSG_MAX] = "";
    char *pass = NULL;
    size_t len = 0;
    struct termios t;
    signal(SIGINT, SIG_DFL); /* a background test runner may have it ignored */
    if (setsid() < 0)
        return 10;
    int sfd = open(slave, O_RDWR); /* the first tty a session leader opens is its terminal */
    if (sfd < 0)
        return 11;
#ifdef TIOCSCTTY
    (void)ioctl(sfd, TIOCSCTTY, 0); /* where opening is not enough */
#endif
    if (vl_passphrase_get(NULL, NULL, "PP> ", &pass, &len, err) != VL_OK)
        return 12;
    if (len != 7 || memcmp(pass, "hunter2", 8) != 0)
        return 13;
    vl_secure_free(&pass);
    if (tcgetattr(sfd, &t) != 0 || !(t.c_lflag & ECHO))
        return 14;
    return 0;
}

/* The terminal path on a pseudo-terminal we own: the typed passphrase is not
 * echoed, echo comes back afterwards, and an interrupt at the prompt still
 * restores it. Skipped where pseudo-terminals are unavailable. */
static int
s_pty_test(bool interrupt, bool verbose)
{
    VL_TEST_BEGIN;
    char slave[256], acc[1024];
    size_t n = 0;
    int status = 0;
    pid_t pid;
    int mfd = posix_openpt(O_RDWR | O_NOCTTY);
    if (mfd < 0 || grantpt(mfd) != 0 || unlockpt(mfd) != 0 || !ptsname(mfd)) {
        if (verbose)
            printf("keyfile: no pseudo-terminal here, terminal prompt not tested\n");
        if (mfd >= 0)
            close(mfd);
        return VL_TEST_END;
    }
    snprintf(slave, sizeof slave, "%s", ptsname(mfd));
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    VL_CHECK(pid >= 0);
    if (pid < 0)
        goto out;
    if (pid == 0) {
        close(mfd);
        _exit(s_pty_child(slave));
    }
    /* The prompt is written only once echo is off. */
    bool prompted = s_pty_collect(mfd, acc, sizeof acc, &n, "PP> ", 10000);
    VL_CHECK(prompted);
    if (prompted) {
        if (interrupt)
            kill(pid, SIGINT);
        else
            VL_CHECK(s_write_all(mfd, "hunter2\n", 8) == 0);
    }
    s_pty_collect(mfd, acc, sizeof acc, &n, NULL, 10000);
    VL_CHECK(s_wait_child(pid, &status, 10.0));
    if (interrupt) {
        /* The signal took effect, and only after echo was restored. */
        VL_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
        struct termios t;
        int sfd = open(slave, O_RDWR | O_NOCTTY);
        VL_CHECK(sfd >= 0);
        if (sfd >= 0) {
            VL_CHECK(tcgetattr(sfd, &t) == 0 && (t.c_lflag & ECHO));
            close(sfd);
        }
    } else {
        VL_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            fprintf(stderr, "keyfile: pty child exited with %d\n", WEXITSTATUS(status));
        VL_CHECK(!s_contains(acc, n, "hunter2")); /* not echoed */
    }
out:
    close(mfd);
    return VL_TEST_END;
}

/* Seal pt with explicit cost and fresh salt/nonce. */
static int
s_test_seal(const uint8_t pt[KF_PT_LEN], const char *pass, uint64_t ops, uint64_t mem,
            uint8_t buf[VL_KEYFILE_LEN])
{
    uint8_t salt[crypto_pwhash_SALTBYTES], nonce[VL_NONCE_LEN];
    vl_random(salt, sizeof salt);
    vl_random(nonce, sizeof nonce);
    return s_seal_raw(pt, pass, strlen(pass), ops, mem, salt, nonce, buf, NULL);
}

/* Open a copy of base with one change applied: byte `at` XORed with `x`
 * (x == 0: nothing), and the whole length `len`. */
static int
s_open_tampered(const uint8_t base[VL_KEYFILE_LEN], size_t at, uint8_t x, size_t len,
                const char *pass, char *err)
{
    uint8_t buf[VL_KEYFILE_LEN + 1] = { 0 };
    vl_keypair_t *kp = NULL;
    memcpy(buf, base, VL_KEYFILE_LEN);
    buf[at] ^= x;
    err[0] = '\0';
    int rc = vl_keyfile_open(buf, len, pass, strlen(pass), &kp, err);
    if (rc != VL_OK && kp != NULL)
        rc = VL_ECORRUPT; /* must never happen: out is NULL on failure */
    vl_keypair_destroy(&kp);
    return rc;
}

/* Open a copy of base whose ops and mem fields are replaced. */
static int
s_open_cost(const uint8_t base[VL_KEYFILE_LEN], uint64_t ops, uint64_t mem, const char *pass,
            char *err)
{
    uint8_t buf[VL_KEYFILE_LEN];
    vl_keypair_t *kp = NULL;
    memcpy(buf, base, sizeof buf);
    s_put_u64le(buf + KF_OFF_OPS, ops);
    s_put_u64le(buf + KF_OFF_MEM, mem);
    err[0] = '\0';
    int rc = vl_keyfile_open(buf, sizeof buf, pass, strlen(pass), &kp, err);
    vl_keypair_destroy(&kp);
    return rc;
}

static int
s_pass_file_test(const char *path, const void *content, size_t len, int want, const char *want_pass)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX] = "";
    char *pass = NULL;
    size_t plen = 99;
    VL_CHECK(s_put_file(path, content, len, 0600) == 0);
    VL_CHECK_RC(vl_passphrase_get(path, NULL, NULL, &pass, &plen, err), want);
    if (want == VL_OK) {
        VL_CHECK(pass && pass[plen] == '\0');
        if (want_pass)
            VL_CHECK(pass && plen == strlen(want_pass) && memcmp(pass, want_pass, plen) == 0);
    } else {
        VL_CHECK(pass == NULL && plen == 0);
        VL_CHECK(err[0] != '\0');
    }
    vl_secure_free(&pass);
    return VL_TEST_END;
}

int
vl_keyfile_test(bool verbose)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX] = "";
    const char *pass = "tr0ub4dor&3";
    const size_t passlen = strlen(pass);
    vl_keypair_t *kp = NULL, *back = NULL, *other = NULL;
    uint8_t buf[VL_KEYFILE_LEN], buf2[VL_KEYFILE_LEN], cheap[VL_KEYFILE_LEN];
    uint8_t pt[KF_PT_LEN];
    char dir[4096] = "", path[4200], path2[4200];
    double t0 = s_now(), t;

    VL_CHECK_RC(vl_keypair_generate(&kp), VL_OK);
    VL_CHECK_RC(vl_keypair_generate(&other), VL_OK);
    if (!kp || !other)
        goto out;

    /* ---- seal/open round trip through the public API ---- */
    VL_CHECK_RC(vl_keyfile_seal(kp, pass, passlen, VL_KDF_INTERACTIVE, buf, err), VL_OK);
    VL_CHECK(memcmp(buf, "VLKEY001", 8) == 0);
    VL_CHECK(s_get_u64le(buf + KF_OFF_OPS) == 2);
    VL_CHECK(s_get_u64le(buf + KF_OFF_MEM) == 64u * 1024 * 1024);
    VL_CHECK_RC(vl_keyfile_open(buf, sizeof buf, pass, passlen, &back, err), VL_OK);
    VL_CHECK(back && memcmp(vl_keypair_pk(back), vl_keypair_pk(kp), VL_PK_LEN) == 0);
    if (back) {
        uint8_t s1[VL_SEED_LEN], s2[VL_SEED_LEN];
        vl_keypair_seed(kp, s1);
        vl_keypair_seed(back, s2);
        VL_CHECK(memcmp(s1, s2, sizeof s1) == 0);
        sodium_memzero(s1, sizeof s1);
        sodium_memzero(s2, sizeof s2);
    }
    vl_keypair_destroy(&back);
    /* Fresh salt and nonce each time: the plaintext never shows. */
    VL_CHECK_RC(vl_keyfile_seal(kp, pass, passlen, VL_KDF_INTERACTIVE, buf2, err), VL_OK);
    VL_CHECK(memcmp(buf + KF_OFF_SALT, buf2 + KF_OFF_SALT, VL_KEYFILE_LEN - KF_OFF_SALT) != 0);
    /* A wrong passphrase. */
    err[0] = '\0';
    VL_CHECK_RC(vl_keyfile_open(buf, sizeof buf, "tr0ub4dor&4", passlen, &back, err), VL_EAUTH);
    VL_CHECK(back == NULL);
    VL_CHECK(strcmp(err, "wrong passphrase (or the key file was altered)") == 0);
    /* Bad arguments. */
    err[0] = '\0';
    VL_CHECK_RC(vl_keyfile_seal(kp, "", 0, VL_KDF_INTERACTIVE, buf2, err), VL_EINVAL);
    VL_CHECK_RC(vl_keyfile_seal(kp, pass, passlen, (vl_kdf_t)3, buf2, err), VL_EINVAL);
    VL_CHECK_RC(vl_keyfile_seal(kp, pass, passlen, (vl_kdf_t)-1, buf2, err), VL_EINVAL);

    /* ---- tampering, on a cheap file (ops 1, 8 KiB) so the suite stays fast ---- */
    vl_keypair_seed(kp, pt);
    memcpy(pt + VL_SEED_LEN, vl_keypair_pk(kp), VL_PK_LEN);
    VL_CHECK_RC(s_test_seal(pt, pass, 1, 8192, cheap), VL_OK);
    VL_CHECK_RC(s_open_tampered(cheap, 0, 0, VL_KEYFILE_LEN, pass, err), VL_OK);
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_CT, 0x01, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_CT + 40, 0x80, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    VL_CHECK_RC(s_open_tampered(cheap, VL_KEYFILE_LEN - 1, 0x01, VL_KEYFILE_LEN, pass, err),
                VL_EAUTH); /* the tag */
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_SALT + 5, 0x01, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_NONCE + 23, 0x01, VL_KEYFILE_LEN, pass, err),
                VL_EAUTH);
    /* ops 1 -> 3: a different key, and an altered AD. */
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_OPS, 0x02, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    /* mem 8192 -> 8193: Argon2 counts whole KiB, so the derived key is the
     * same; only the header being the AD catches this one. */
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_MEM, 0x01, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    /* The high bytes of the fields are covered the same way. */
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_MEM + 2, 0x01, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    VL_CHECK_RC(s_open_tampered(cheap, KF_OFF_MAGIC + 7, 0x01, VL_KEYFILE_LEN, pass, err),
                VL_EPROTO);
    VL_CHECK(strstr(err, "magic") != NULL);
    for (size_t len = 0; len < VL_KEYFILE_LEN; len++)
        VL_CHECK_RC(s_open_tampered(cheap, 0, 0, len, pass, err), VL_EPROTO);
    VL_CHECK_RC(s_open_tampered(cheap, 0, 0, VL_KEYFILE_LEN + 1, pass, err), VL_EPROTO);
    {
        vl_keypair_t *none = other; /* must come back NULL */
        VL_CHECK_RC(vl_keyfile_open(NULL, 0, pass, passlen, &none, NULL), VL_EPROTO);
        VL_CHECK(none == NULL);
    }

    /* ---- cost limits, checked before Argon2 runs ---- */
    VL_CHECK_RC(s_open_cost(cheap, VL_MAX_KDF_OPS + 1, 8192, pass, err), VL_ELIMIT);
    t = s_now();
    VL_CHECK_RC(s_open_cost(cheap, 1ull << 40, 64u * 1024 * 1024, pass, err), VL_ELIMIT);
    VL_CHECK_RC(s_open_cost(cheap, UINT64_MAX, UINT64_MAX, pass, err), VL_ELIMIT);
    VL_CHECK(s_now() - t < 0.05);
    VL_CHECK_RC(s_open_cost(cheap, 1, VL_MAX_KDF_MEM + 1024, pass, err), VL_ELIMIT);
    VL_CHECK_RC(s_open_cost(cheap, 1, 1ull << 40, pass, err), VL_ELIMIT);
    VL_CHECK(strstr(err, "over the limits") != NULL);
    VL_CHECK_RC(s_open_cost(cheap, 0, 8192, pass, err), VL_EPROTO);
    VL_CHECK_RC(s_open_cost(cheap, 1, 8191, pass, err), VL_EPROTO);
    VL_CHECK_RC(s_open_cost(cheap, 1, 0, pass, err), VL_EPROTO);
    /* The limits themselves are accepted (mem at the limit costs 1 GiB: not here). */
    VL_CHECK_RC(s_test_seal(pt, pass, VL_MAX_KDF_OPS, 8192, buf2), VL_OK);
    VL_CHECK_RC(s_open_tampered(buf2, 0, 0, VL_KEYFILE_LEN, pass, err), VL_OK);

    /* ---- authentic but inconsistent: the stored pk is not the seed's ---- */
    memcpy(pt + VL_SEED_LEN, vl_keypair_pk(other), VL_PK_LEN);
    VL_CHECK_RC(s_test_seal(pt, pass, 1, 8192, buf2), VL_OK);
    VL_CHECK_RC(s_open_tampered(buf2, 0, 0, VL_KEYFILE_LEN, pass, err), VL_EAUTH);
    VL_CHECK(strstr(err, "key file corrupt") != NULL);
    sodium_memzero(pt, sizeof pt);

    /* ---- golden vector (docs/keyfiles.md) ---- */
    {
        uint8_t salt[crypto_pwhash_SALTBYTES], nonce[VL_NONCE_LEN], want[VL_KEYFILE_LEN];
        char hex[2 * VL_KEYFILE_LEN + 1];
        vl_keypair_t *vk = NULL;
        for (size_t i = 0; i < VL_SEED_LEN; i++)
            pt[i] = (uint8_t)i;
        for (size_t i = 0; i < sizeof salt; i++)
            salt[i] = (uint8_t)(0x80 + i);
        for (size_t i = 0; i < sizeof nonce; i++)
            nonce[i] = (uint8_t)(0xa0 + i);
        VL_CHECK_RC(vl_keypair_from_seed(pt, &vk), VL_OK);
        if (vk) {
            memcpy(pt + VL_SEED_LEN, vl_keypair_pk(vk), VL_PK_LEN);
            VL_CHECK_RC(s_seal_raw(pt, KF_VEC_PASS, strlen(KF_VEC_PASS),
                                   s_kdf[VL_KDF_INTERACTIVE].ops, s_kdf[VL_KDF_INTERACTIVE].mem,
                                   salt, nonce, buf2, err),
                        VL_OK);
            vl_hex(buf2, sizeof buf2, hex);
            if (verbose) {
                char pkhex[2 * VL_PK_LEN + 1];
                vl_hex(vl_keypair_pk(vk), VL_PK_LEN, pkhex);
                printf("keyfile: vector pk %s\nkeyfile: vector file %s\n", pkhex, hex);
            }
            VL_CHECK(vl_unhex(s_vec_hex, want, sizeof want) == VL_OK &&
                     memcmp(want, buf2, sizeof want) == 0);
            VL_CHECK_RC(vl_keyfile_open(want, sizeof want, KF_VEC_PASS, strlen(KF_VEC_PASS),
                                        &back, err),
                        VL_OK);
            VL_CHECK(back && memcmp(vl_keypair_pk(back), vl_keypair_pk(vk), VL_PK_LEN) == 0);
            vl_keypair_destroy(&back);
        }
        vl_keypair_destroy(&vk);
        sodium_memzero(pt, sizeof pt);
    }

    /* ---- files ---- */
    {
        const char *base = getenv("VL_TEST_TMP");
        if (!base || !*base)
            base = "/tmp";
        (void)mkdir(base, 0700); /* ctest's VL_TEST_TMP may not exist yet */
        snprintf(dir, sizeof dir, "%s/vl_keyfile_XXXXXX", base);
        if (!mkdtemp(dir)) {
            fprintf(stderr, "keyfile: cannot make a directory under %s\n", base);
            VL_CHECK(!"mkdtemp");
            dir[0] = '\0';
            goto out;
        }
    }
    struct stat st;
    snprintf(path, sizeof path, "%s/id.key", dir);
    err[0] = '\0';
    VL_CHECK_RC(vl_keyfile_write(path, kp, pass, passlen, VL_KDF_INTERACTIVE, err), VL_OK);
    VL_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0 &&
             st.st_size == VL_KEYFILE_LEN);
    VL_CHECK_RC(vl_keyfile_read(path, pass, passlen, &back, err), VL_OK);
    VL_CHECK(back && memcmp(vl_keypair_pk(back), vl_keypair_pk(kp), VL_PK_LEN) == 0);
    vl_keypair_destroy(&back);
    /* O_EXCL: an existing key is never replaced. */
    {
        uint8_t before[VL_KEYFILE_LEN + 1], after[VL_KEYFILE_LEN + 1];
        size_t nb = 0, na = 0;
        int fd = open(path, O_RDONLY);
        VL_CHECK(fd >= 0 && s_read_upto(fd, before, sizeof before, &nb) == 0);
        if (fd >= 0)
            close(fd);
        err[0] = '\0';
        VL_CHECK_RC(vl_keyfile_write(path, other, pass, passlen, VL_KDF_INTERACTIVE, err),
                    VL_EEXIST);
        VL_CHECK(strstr(err, "refusing to overwrite a key") != NULL);
        fd = open(path, O_RDONLY);
        VL_CHECK(fd >= 0 && s_read_upto(fd, after, sizeof after, &na) == 0);
        if (fd >= 0)
            close(fd);
        VL_CHECK(nb == VL_KEYFILE_LEN && na == nb && memcmp(before, after, nb) == 0);
    }
    /* Nothing is created when sealing or creating fails. */
    snprintf(path2, sizeof path2, "%s/empty-pass.key", dir);
    VL_CHECK_RC(vl_keyfile_write(path2, kp, "", 0, VL_KDF_INTERACTIVE, err), VL_EINVAL);
    VL_CHECK(access(path2, F_OK) != 0);
    snprintf(path2, sizeof path2, "%s/no/such/dir.key", dir);
    VL_CHECK_RC(vl_keyfile_write(path2, kp, pass, passlen, VL_KDF_INTERACTIVE, err), VL_EIO);
    /* A write that fails half-way (a 100-byte file size limit) leaves no
     * partial key behind. */
    {
        struct rlimit saved_rl, rl;
        void (*saved_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
        snprintf(path2, sizeof path2, "%s/partial.key", dir);
        if (getrlimit(RLIMIT_FSIZE, &saved_rl) == 0) {
            rl = saved_rl;
            rl.rlim_cur = 100;
            if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
                rl.rlim_cur = rl.rlim_max;
            if (setrlimit(RLIMIT_FSIZE, &rl) == 0) {
                int rc = vl_keyfile_write(path2, kp, pass, passlen, VL_KDF_INTERACTIVE, err);
                VL_CHECK(setrlimit(RLIMIT_FSIZE, &saved_rl) == 0);
                VL_CHECK_RC(rc, VL_EIO);
                VL_CHECK(access(path2, F_OK) != 0);
            }
        }
        signal(SIGXFSZ, saved_xfsz);
    }
    /* Permissions: group or world access is refused before anything is read. */
    VL_CHECK(chmod(path, 0644) == 0);
    err[0] = '\0';
    VL_CHECK_RC(vl_keyfile_read(path, pass, passlen, &back, err), VL_EPERM);
    VL_CHECK(strstr(err, "chmod 600") != NULL);
    VL_CHECK(chmod(path, 0620) == 0);
    VL_CHECK_RC(vl_keyfile_read(path, pass, passlen, &back, err), VL_EPERM);
    VL_CHECK(chmod(path, 0601) == 0);
    VL_CHECK_RC(vl_keyfile_read(path, pass, passlen, &back, err), VL_EPERM);
    VL_CHECK(back == NULL);
    VL_CHECK(chmod(path, 0400) == 0);
    VL_CHECK_RC(vl_keyfile_read(path, "nope", 4, &back, err), VL_EAUTH);
    /* Missing, not a regular file, wrong size. */
    snprintf(path2, sizeof path2, "%s/missing.key", dir);
    VL_CHECK_RC(vl_keyfile_read(path2, pass, passlen, &back, err), VL_ENOTFOUND);
    err[0] = '\0';
    VL_CHECK_RC(vl_keyfile_read(dir, pass, passlen, &back, err), VL_EPROTO);
    VL_CHECK(strstr(err, "not a regular file") != NULL);
    snprintf(path2, sizeof path2, "%s/fifo.key", dir);
    if (mkfifo(path2, 0600) == 0) { /* and opening it does not block */
        err[0] = '\0';
        VL_CHECK_RC(vl_keyfile_read(path2, pass, passlen, &back, err), VL_EPROTO);
        VL_CHECK(strstr(err, "not a regular file") != NULL);
        unlink(path2);
    }
    snprintf(path2, sizeof path2, "%s/short.key", dir);
    VL_CHECK(s_put_file(path2, cheap, VL_KEYFILE_LEN - 1, 0600) == 0);
    VL_CHECK_RC(vl_keyfile_read(path2, pass, passlen, &back, err), VL_EPROTO);
    {
        uint8_t longer[VL_KEYFILE_LEN + 1];
        memcpy(longer, cheap, VL_KEYFILE_LEN);
        longer[VL_KEYFILE_LEN] = '\n';
        VL_CHECK(s_put_file(path2, longer, sizeof longer, 0600) == 0);
        VL_CHECK_RC(vl_keyfile_read(path2, pass, passlen, &back, err), VL_EPROTO);
    }
    /* A file holding the cheap key opens through the file path too. */
    VL_CHECK(s_put_file(path2, cheap, VL_KEYFILE_LEN, 0600) == 0);
    VL_CHECK_RC(vl_keyfile_read(path2, pass, passlen, &back, err), VL_OK);
    vl_keypair_destroy(&back);
    unlink(path2);
    unlink(path);

    /* ---- public key files ---- */
    {
        uint8_t pk[VL_PK_LEN];
        char label[VL_MAX_NAME + 1], hex[2 * VL_PK_LEN + 1], line[600], maxlabel[VL_MAX_NAME + 2];
        char content[KF_PUBFILE_MAX + 1];
        size_t n = 0;
        int fd;
        vl_hex(vl_keypair_pk(kp), VL_PK_LEN, hex);
        snprintf(path, sizeof path, "%s/id.pub", dir);

        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "Alice (CA of LU) <a@b.lu>", err),
                    VL_OK);
        snprintf(line, sizeof line, "valise-pk1 %s Alice (CA of LU) <a@b.lu>\n", hex);
        fd = open(path, O_RDONLY);
        VL_CHECK(fd >= 0 && s_read_upto(fd, content, sizeof content, &n) == 0);
        if (fd >= 0)
            close(fd);
        VL_CHECK(n == strlen(line) && memcmp(content, line, n) == 0);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_OK);
        VL_CHECK(memcmp(pk, vl_keypair_pk(kp), VL_PK_LEN) == 0);
        VL_CHECK(strcmp(label, "Alice (CA of LU) <a@b.lu>") == 0);
        VL_CHECK_RC(vl_pubfile_read(path, pk, NULL, err), VL_OK);

        /* Empty label (and NULL): no trailing space. Overwrites. */
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(other), NULL, err), VL_OK);
        char hex2[2 * VL_PK_LEN + 1];
        vl_hex(vl_keypair_pk(other), VL_PK_LEN, hex2);
        snprintf(line, sizeof line, "valise-pk1 %s\n", hex2);
        fd = open(path, O_RDONLY);
        VL_CHECK(fd >= 0 && s_read_upto(fd, content, sizeof content, &n) == 0);
        if (fd >= 0)
            close(fd);
        VL_CHECK(n == 76 && memcmp(content, line, n) == 0);
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "", err), VL_OK);
        memset(label, 'x', sizeof label);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_OK);
        VL_CHECK(label[0] == '\0' && memcmp(pk, vl_keypair_pk(kp), VL_PK_LEN) == 0);

        /* Labels: the longest, and refused ones. */
        memset(maxlabel, 'L', VL_MAX_NAME);
        maxlabel[VL_MAX_NAME] = '\0';
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), maxlabel, err), VL_OK);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_OK);
        VL_CHECK(strcmp(label, maxlabel) == 0);
        maxlabel[VL_MAX_NAME] = 'L';
        maxlabel[VL_MAX_NAME + 1] = '\0';
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), maxlabel, err), VL_EINVAL);
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "two\nlines", err), VL_EINVAL);
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "tab\there", err), VL_EINVAL);
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "del\x7f", err), VL_EINVAL);
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), "caf\xc3\xa9", err), VL_EINVAL);

        /* Malformed files. */
        char up[2 * VL_PK_LEN + 1];
        memcpy(up, hex, sizeof up);
        for (size_t i = 0; up[i]; i++)
            if (up[i] >= 'a' && up[i] <= 'f') {
                up[i] = (char)(up[i] - 'a' + 'A');
                break;
            }
        char toolong[KF_PUBFILE_MAX + 100];
        snprintf(toolong, sizeof toolong, "valise-pk1 %s ", hex);
        size_t tl = strlen(toolong);
        memset(toolong + tl, 'z', sizeof toolong - tl - 2);
        toolong[sizeof toolong - 2] = '\n';
        toolong[sizeof toolong - 1] = '\0';
        char bad[20][300];
        int nbad = 0;
        snprintf(bad[nbad++], 300, "valise-pk1 %s", hex);              /* no newline */
        snprintf(bad[nbad++], 300, "valise-pk1 %s label", hex);        /* no newline */
        snprintf(bad[nbad++], 300, "valise-pk1 %s \n", hex);           /* space, no label */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\r\n", hex);          /* CRLF */
        snprintf(bad[nbad++], 300, "valise-pk1 %s lbl\r\n", hex);      /* CR in label */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\nmore\n", hex);      /* a second line */
        snprintf(bad[nbad++], 300, "valise-pk1 %s lbl\nmore\n", hex);  /* a second line */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\tlbl\n", hex);       /* tab separator */
        snprintf(bad[nbad++], 300, "valise-pk1  %s\n", hex);           /* two spaces */
        snprintf(bad[nbad++], 300, "valise-pk2 %s\n", hex);            /* version */
        snprintf(bad[nbad++], 300, "VALISE-PK1 %s\n", hex);            /* case */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\n", up);             /* upper-case hex */
        snprintf(bad[nbad++], 300, "valise-pk1 %.63s\n", hex);         /* 63 digits */
        snprintf(bad[nbad++], 300, "valise-pk1 %.63sg\n", hex);        /* not hex */
        snprintf(bad[nbad++], 300, "valise-pk1 %s%c\n", hex, hex[0]);  /* 65 digits */
        snprintf(bad[nbad++], 300, " valise-pk1 %s\n", hex);           /* leading space */
        snprintf(bad[nbad++], 300, "%s", "");                          /* empty */
        for (int i = 0; i < nbad; i++) {
            VL_CHECK(s_put_file(path, bad[i], strlen(bad[i]), 0644) == 0);
            memset(pk, 0xee, sizeof pk);
            label[0] = 'x';
            err[0] = '\0';
            int rc = vl_pubfile_read(path, pk, label, err);
            if (rc != VL_EPROTO)
                fprintf(stderr, "keyfile: malformed public key file %d accepted (%d)\n", i, rc);
            VL_CHECK(rc == VL_EPROTO && err[0] != '\0');
            VL_CHECK(pk[0] == 0 && label[0] == '\0'); /* outputs cleared on failure */
        }
        /* A NUL in the label, a label one byte too long, a file over the bound. */
        snprintf(line, sizeof line, "valise-pk1 %s a", hex);
        n = strlen(line);
        memcpy(line + n, "\0b\n", 3);
        VL_CHECK(s_put_file(path, line, n + 3, 0644) == 0);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_EPROTO);
        snprintf(line, sizeof line, "valise-pk1 %s %s\n", hex, maxlabel);
        VL_CHECK(s_put_file(path, line, strlen(line), 0644) == 0);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_EPROTO);
        VL_CHECK(s_put_file(path, toolong, strlen(toolong), 0644) == 0);
        err[0] = '\0';
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_EPROTO);
        VL_CHECK(strstr(err, "larger than") != NULL);
        unlink(path);
        VL_CHECK_RC(vl_pubfile_read(path, pk, label, err), VL_ENOTFOUND);
    }

    /* ---- passphrase sources ---- */
    {
        char big[KF_PASS_MAX + 8];
        char *got = NULL;
        size_t glen = 0;
        const char *var = "VL_KEYFILE_TEST_PASSPHRASE";
        snprintf(path, sizeof path, "%s/pass", dir);
        vl_test_fails__ += s_pass_file_test(path, "hunter2\n", 8, VL_OK, "hunter2");
        vl_test_fails__ += s_pass_file_test(path, "hunter2\r\n", 9, VL_OK, "hunter2");
        vl_test_fails__ += s_pass_file_test(path, "hunter2", 7, VL_OK, "hunter2");
        vl_test_fails__ += s_pass_file_test(path, "hunter2\r", 8, VL_OK, "hunter2\r");
        vl_test_fails__ += s_pass_file_test(path, "two words\nsecond line\n", 22, VL_OK,
                                            "two words");
        vl_test_fails__ += s_pass_file_test(path, " spaced \n", 9, VL_OK, " spaced ");
        vl_test_fails__ += s_pass_file_test(path, "\n", 1, VL_EINVAL, NULL);
        vl_test_fails__ += s_pass_file_test(path, "\r\n", 2, VL_EINVAL, NULL);
        vl_test_fails__ += s_pass_file_test(path, "", 0, VL_EINVAL, NULL);
        vl_test_fails__ += s_pass_file_test(path, "a\0b\n", 4, VL_EINVAL, NULL);
        memset(big, 'p', sizeof big);
        big[KF_PASS_MAX] = '\0';
        memcpy(big + KF_PASS_MAX, "\r\n", 2);
        vl_test_fails__ += s_pass_file_test(path, big, KF_PASS_MAX + 2, VL_OK, NULL);
        VL_CHECK_RC(vl_passphrase_get(path, NULL, NULL, &got, &glen, err), VL_OK);
        VL_CHECK(glen == KF_PASS_MAX);
        vl_secure_free(&got);
        memset(big, 'p', sizeof big);
        vl_test_fails__ += s_pass_file_test(path, big, KF_PASS_MAX + 1, VL_EINVAL, NULL);
        big[KF_PASS_MAX + 1] = '\n';
        vl_test_fails__ += s_pass_file_test(path, big, KF_PASS_MAX + 2, VL_EINVAL, NULL);
        vl_test_fails__ += s_pass_file_test(path, big, sizeof big, VL_EINVAL, NULL);
        unlink(path);
        err[0] = '\0';
        VL_CHECK_RC(vl_passphrase_get(path, var, NULL, &got, &glen, err), VL_ENOTFOUND);
        VL_CHECK(got == NULL && glen == 0);

        /* The environment; a file, when given, wins. */
        VL_CHECK(setenv(var, "from the environment", 1) == 0);
        VL_CHECK_RC(vl_passphrase_get(NULL, var, NULL, &got, &glen, err), VL_OK);
        VL_CHECK(got && glen == 20 && strcmp(got, "from the environment") == 0);
        vl_secure_free(&got);
        VL_CHECK(s_put_file(path, "from the file\n", 14, 0600) == 0);
        VL_CHECK_RC(vl_passphrase_get(path, var, NULL, &got, &glen, err), VL_OK);
        VL_CHECK(got && strcmp(got, "from the file") == 0);
        vl_secure_free(&got);
        unlink(path);
        VL_CHECK(setenv(var, "", 1) == 0);
        VL_CHECK_RC(vl_passphrase_get(NULL, var, NULL, &got, &glen, err), VL_EINVAL);
        memset(big, 'e', sizeof big);
        big[KF_PASS_MAX + 1] = '\0';
        VL_CHECK(setenv(var, big, 1) == 0);
        VL_CHECK_RC(vl_passphrase_get(NULL, var, NULL, &got, &glen, err), VL_EINVAL);
        big[KF_PASS_MAX] = '\0';
        VL_CHECK(setenv(var, big, 1) == 0);
        VL_CHECK_RC(vl_passphrase_get(NULL, var, NULL, &got, &glen, err), VL_OK);
        VL_CHECK(glen == KF_PASS_MAX);
        vl_secure_free(&got);
        VL_CHECK(unsetenv(var) == 0);

        /* No source at all: only checkable where there is no terminal. */
        int tfd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (tfd < 0) {
            err[0] = '\0';
            VL_CHECK_RC(vl_passphrase_get(NULL, var, NULL, &got, &glen, err), VL_ENOTFOUND);
            VL_CHECK(got == NULL && strstr(err, var) != NULL);
            VL_CHECK_RC(vl_passphrase_get(NULL, NULL, NULL, &got, &glen, err), VL_ENOTFOUND);
        } else {
            close(tfd);
            if (verbose)
                printf("keyfile: a terminal is present, no-source case not tested\n");
        }
        /* The terminal itself, on a pseudo-terminal of our own. */
        vl_test_fails__ += s_pty_test(false, verbose);
        vl_test_fails__ += s_pty_test(true, verbose);
    }

out:
    if (dir[0])
        VL_CHECK(rmdir(dir) == 0);
    vl_keypair_destroy(&back);
    vl_keypair_destroy(&other);
    vl_keypair_destroy(&kp);
    if (verbose)
        printf("keyfile: self-test took %.2f s\n", s_now() - t0);
    return VL_TEST_END;
}
