/* SPDX-License-Identifier: MIT */
/*
 * test_keyfile - vl_keyfile_test, the self-test of vl_keyfile and vl_passphrase;
 * run by tests/vl_selftest.c (ctest selftest_keyfile).
 */
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
#include "vl_keyfile_int.h"
#include "vl_limits.h"
#include "vl_selftests.h"

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
    int rc = vl_keyfile_write_all(fd, data, len);
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
            VL_CHECK(vl_keyfile_write_all(mfd, "hunter2\n", 8) == 0);
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
    return vl_keyfile_seal_raw(pt, pass, strlen(pass), ops, mem, salt, nonce, buf, NULL);
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
    vl_keyfile_put_u64le(buf + KF_OFF_OPS, ops);
    vl_keyfile_put_u64le(buf + KF_OFF_MEM, mem);
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
    VL_CHECK(vl_keyfile_get_u64le(buf + KF_OFF_OPS) == 2);
    VL_CHECK(vl_keyfile_get_u64le(buf + KF_OFF_MEM) == 64u * 1024 * 1024);
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
            VL_CHECK_RC(vl_keyfile_seal_raw(pt, KF_VEC_PASS, strlen(KF_VEC_PASS),
                                            vl_keyfile_kdf[VL_KDF_INTERACTIVE].ops,
                                            vl_keyfile_kdf[VL_KDF_INTERACTIVE].mem, salt, nonce,
                                            buf2, err),
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
        VL_CHECK(fd >= 0 && vl_keyfile_read_upto(fd, before, sizeof before, &nb) == 0);
        if (fd >= 0)
            close(fd);
        err[0] = '\0';
        VL_CHECK_RC(vl_keyfile_write(path, other, pass, passlen, VL_KDF_INTERACTIVE, err),
                    VL_EEXIST);
        VL_CHECK(strstr(err, "refusing to overwrite a key") != NULL);
        fd = open(path, O_RDONLY);
        VL_CHECK(fd >= 0 && vl_keyfile_read_upto(fd, after, sizeof after, &na) == 0);
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
        VL_CHECK(fd >= 0 && vl_keyfile_read_upto(fd, content, sizeof content, &n) == 0);
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
        VL_CHECK(fd >= 0 && vl_keyfile_read_upto(fd, content, sizeof content, &n) == 0);
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
        VL_CHECK_RC(vl_pubfile_write(path, vl_keypair_pk(kp), " lead", err), VL_EINVAL);

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
        char bad[24][300];
        int nbad = 0;
        snprintf(bad[nbad++], 300, "valise-pk1 %s", hex);              /* no newline */
        snprintf(bad[nbad++], 300, "valise-pk1 %s label", hex);        /* no newline */
        snprintf(bad[nbad++], 300, "valise-pk1 %s \n", hex);           /* space, no label */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\r\n", hex);          /* CRLF */
        snprintf(bad[nbad++], 300, "valise-pk1 %s lbl\r\n", hex);      /* CR in label */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\nmore\n", hex);      /* a second line */
        snprintf(bad[nbad++], 300, "valise-pk1 %s lbl\nmore\n", hex);  /* a second line */
        snprintf(bad[nbad++], 300, "valise-pk1 %s\tlbl\n", hex);       /* tab separator */
        snprintf(bad[nbad++], 300, "valise-pk1 %s  lbl\n", hex);       /* label starts with a space */
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
