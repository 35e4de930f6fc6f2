/* SPDX-License-Identifier: MIT */
/*
 * vl_passphrase - where a passphrase comes from (vl_passphrase_get, declared
 * in vl_keyfile.h): the first line of a file, an environment variable, or a
 * no-echo prompt on /dev/tty, first that is set.
 *
 * Reads are bounded (KF_PASS_MAX bytes plus a line ending); the passphrase
 * lives only in vl_secure_alloc memory and every other buffer that held it
 * is wiped. While it prompts, vl_passphrase_get catches SIGINT, SIGHUP,
 * SIGQUIT and SIGTERM so that the terminal's echo is restored before such a
 * signal takes effect: call it from the main thread of a command-line tool.
 */
#include "vl_keyfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "vl_keyfile_int.h"
#include "vl_limits.h"

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
    /* A file or a named pipe others may read or write is refused, as a key
     * file is (an anonymous pipe, /dev/fd/N of a process, is 0600). */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = vl_err(err, VL_EIO, "cannot stat passphrase file %s: %s", file, strerror(errno));
        goto out;
    }
    if ((S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) &&
        (rc = vl_keyfile_check_mode("passphrase file ", file, (unsigned)st.st_mode, err)) !=
            VL_OK)
        goto out;
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
    if (vl_keyfile_write_all(fd, prompt, strlen(prompt)) != 0) {
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
        (void)vl_keyfile_write_all(fd, "\n", 1); /* the newline the user's Enter did not echo */
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
