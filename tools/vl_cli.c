/* SPDX-License-Identifier: MIT */
/*
 * vl_cli - shared helpers of the `valise` subcommands (see vl_cli.h).
 *
 * The option parser is ours rather than getopt_long so that options and
 * positionals may come in any order without global state, and so that a
 * repeatable option can take several values in a row
 * (`--approver a.pub b.pub`).
 */
#include "vl_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vl_keyfile.h"
#include "vl_limits.h"
#include "vl_progress.h"

/* The global options given before the command name (vl_cli_globals): every
 * vl_cli_parse reads them first, with the same loop as its own argv. */
static int s_gargc;
static char **s_gargv;

void
vl_cli_init(vl_cli_t *cli, const char *cmd, const char *usage)
{
    memset(cli, 0, sizeof *cli);
    cli->cmd = cmd;
    cli->usage = usage;
    const char *env_store = getenv("VALISE_STORE");
    const char *env_key = getenv("VALISE_KEY");
    cli->store_dir = (env_store && *env_store) ? env_store : "./valise-store";
    cli->key_path = (env_key && *env_key) ? env_key : NULL;
    cli->pass_env = "VALISE_PASSPHRASE";
}

/* ---- untrusted text --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes) and its code
 * point, or 0 when p does not start one (bad lead, bad continuation, overlong
 * form, surrogate, beyond U+10FFFF). */
static size_t
s_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, c = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, c = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, c = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static bool
s_esc_cp(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* The escape of the character at p (n bytes left, n >= 1) into out[12] as a
 * NUL-terminated string; *used gets the bytes it consumed. */
static void
s_esc_one(const unsigned char *p, size_t n, char out[12], size_t *used)
{
    static const char hexd[] = "0123456789abcdef";
    uint32_t cp = 0;
    *used = 1;
    if (p[0] == '\\' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r') {
        out[0] = '\\';
        out[1] = p[0] == '\\' ? '\\' : p[0] == '\t' ? 't' : p[0] == '\n' ? 'n' : 'r';
        out[2] = '\0';
    } else if (p[0] < 0x20 || p[0] == 0x7F) {
        snprintf(out, 12, "\\x%c%c", hexd[p[0] >> 4], hexd[p[0] & 15]);
    } else if (p[0] < 0x80) {
        out[0] = (char)p[0];
        out[1] = '\0';
    } else if ((*used = s_utf8(p, n, &cp)) == 0) {
        *used = 1;
        snprintf(out, 12, "\\x%c%c", hexd[p[0] >> 4], hexd[p[0] & 15]);
    } else if (s_esc_cp(cp)) {
        snprintf(out, 12, "\\u%04x", (unsigned)(cp & 0xFFFFu));
    } else {
        memcpy(out, p, *used);
        out[*used] = '\0';
    }
}

void
vl_cli_fputs(const char *s, FILE *f)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n > 0) {
        char one[12];
        size_t used = 0;
        s_esc_one(p, n, one, &used);
        fputs(one, f);
        p += used;
        n -= used;
    }
}

const char *
vl_cli_esc(const char *s)
{
    static char s_slots[VL_CLI_ESC_SLOTS][VL_CLI_ESC_MAX + 1];
    static size_t s_next;
    char *out = s_slots[s_next];
    s_next = (s_next + 1) % VL_CLI_ESC_SLOTS;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n > 0) {
        char one[12];
        size_t used = 0;
        s_esc_one(p, n, one, &used);
        size_t k = strlen(one);
        if (o + k > VL_CLI_ESC_MAX - 3) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, one, k);
        o += k;
        p += used;
        n -= used;
    }
    out[o] = '\0';
    return out;
}

/* Print "valise <cmd>: " + the formatted text, escaped, to stderr. */
static void
s_vmsg(const char *cmd, const char *fmt, va_list ap)
{
    char msg[2 * VL_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    vl_progress_clear_active();
    fprintf(stderr, "valise %s: ", cmd);
    vl_cli_fputs(msg, stderr);
}

/* ---- numbers ------------------------------------------------------------------ */

int
vl_cli_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s)
        return VL_EINVAL;
    if (len == (size_t)-1)
        len = strlen(s);
    if (len == 0)
        return VL_EINVAL;
    uint64_t v = 0;
    bool over = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return VL_EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    if (over || v < min || v > max)
        return VL_ELIMIT;
    *out = v;
    return VL_OK;
}

int
vl_cli_number(const vl_cli_t *cli, const char *opt, const char *s, uint64_t min,
              uint64_t max, uint64_t *out)
{
    int rc = vl_cli_u64(s, (size_t)-1, min, max, out);
    if (rc != VL_OK)
        vl_cli_usage(cli, "--%s wants a whole number from %llu to %llu, not '%s'", opt,
                     (unsigned long long)min, (unsigned long long)max, s ? s : "");
    return rc == VL_OK ? VL_OK : VL_EINVAL;
}

int
vl_cli_usage(const vl_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vmsg(cli->cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'valise %s --help')\n", cli->cmd);
    return VL_EXIT_USAGE;
}

int
vl_cli_fail(vl_cli_t *cli, int rc, const char *fmt, ...)
{
    vl_progress_clear_active();
    fprintf(stderr, "valise %s: %s", cli->cmd, vl_strerror(rc));
    if (fmt) {
        va_list ap;
        char msg[2 * VL_ERRMSG_MAX];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fputs(": ", stderr);
        vl_cli_fputs(msg, stderr);
    }
    if (cli->err[0]) {
        fputs(": ", stderr);
        vl_cli_fputs(cli->err, stderr);
    }
    fputc('\n', stderr);
    cli->err[0] = '\0';
    return VL_EXIT_ERR;
}

int
vl_cli_failx(const vl_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vmsg(cli->cmd, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return VL_EXIT_ERR;
}

/* ---- option parsing ------------------------------------------------------ */

static const vl_opt_t *
s_find_opt(const vl_opt_t *opts, const char *name, size_t len)
{
    for (size_t i = 0; opts && opts[i].name; i++)
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

/* The options every command takes (vl_cli.h, the global usage in valise.c),
 * writing into cli; --json only for commands `with_json`. */
#define S_NCOMMON 6
static void
s_common(vl_cli_t *cli, bool with_json, vl_opt_t common[S_NCOMMON])
{
    const vl_opt_t c[S_NCOMMON] = {
        { "store", VL_OPT_ARG, &cli->store_dir },
        { "key", VL_OPT_ARG, &cli->key_path },
        { "pass-file", VL_OPT_ARG, &cli->pass_file },
        { "pass-env", VL_OPT_ARG, &cli->pass_env },
        { with_json ? "json" : "", VL_OPT_FLAG, &cli->json },
        { NULL, VL_OPT_FLAG, NULL },
    };
    memcpy(common, c, sizeof c);
}

int
vl_cli_globals(int argc, char **argv, int *cmd)
{
    vl_cli_t dummy;
    vl_opt_t common[S_NCOMMON];
    memset(&dummy, 0, sizeof dummy);
    s_common(&dummy, true, common);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "--version") == 0)
            break;
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const vl_opt_t *o = a[1] == '-' && nlen > 0 ? s_find_opt(common, name, nlen) : NULL;
        if (!o) {
            fprintf(stderr, "valise: unknown option %s (see 'valise --help')\n", vl_cli_esc(a));
            return VL_EXIT_USAGE;
        }
        if (o->kind == VL_OPT_ARG && !eq && ++i >= argc) {
            fprintf(stderr, "valise: option %s needs a value (see 'valise --help')\n",
                    vl_cli_esc(a));
            return VL_EXIT_USAGE;
        }
    }
    s_gargc = i - 1;
    s_gargv = argv + 1;
    *cmd = i;
    return VL_EXIT_OK;
}

/* Parse argv[0..argc) into cli: opts, then common; positionals to cli->args. */
static int
s_parse(vl_cli_t *cli, int argc, char **argv, const vl_opt_t *opts, const vl_opt_t *common)
{
    bool opts_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (cli->args.n == VL_CLI_MAX_MULTI)
                return vl_cli_usage(cli, "too many arguments");
            cli->args.v[cli->args.n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (a[1] != '-')
            return vl_cli_usage(cli, "unknown option %s", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const vl_opt_t *o = s_find_opt(opts, name, nlen);
        if (!o && nlen > 0)
            o = s_find_opt(common, name, nlen);
        if (!o)
            return vl_cli_usage(cli, "unknown option --%.*s", (int)nlen, name);
        if (o->kind == VL_OPT_FLAG) {
            if (eq)
                return vl_cli_usage(cli, "option --%s takes no value", o->name);
            *(bool *)o->dst = true;
            continue;
        }
        const char *val = NULL;
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return vl_cli_usage(cli, "option --%s needs a value", o->name);
        if (o->kind == VL_OPT_ARG) {
            *(const char **)o->dst = val;
            continue;
        }
        vl_strlist_t *l = o->dst;
        for (;;) {
            if (l->n == VL_CLI_MAX_MULTI)
                return vl_cli_usage(cli, "too many values for --%s", o->name);
            l->v[l->n++] = val;
            if (eq || i + 1 >= argc || argv[i + 1][0] == '-')
                break;
            val = argv[++i];
        }
    }
    return VL_EXIT_OK;
}

int
vl_cli_parse(vl_cli_t *cli, int argc, char **argv, const vl_opt_t *opts, bool with_json)
{
    vl_opt_t common[S_NCOMMON];
    s_common(cli, with_json, common);

    /* --help wins over anything else on the line. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli->help = true;
            fputs(cli->usage, stdout);
            return VL_EXIT_OK;
        }
    }
    /* The global options before the command first (only the common ones),
     * so that the same option after the command wins. */
    int rc = s_parse(cli, s_gargc, s_gargv, NULL, common);
    if (rc == VL_EXIT_OK)
        rc = s_parse(cli, argc - 1, argv + 1, opts, common);
    return rc;
}

/* ---- key and store -------------------------------------------------------- */

int
vl_cli_load_key(vl_cli_t *cli)
{
    if (cli->kp)
        return VL_OK;
    if (!cli->key_path || !*cli->key_path) {
        vl_cli_failx(cli, "no key: give --key FILE or set VALISE_KEY");
        return VL_EINVAL;
    }
    return vl_cli_load_keyfile(cli, cli->key_path, &cli->kp);
}

int
vl_cli_load_keyfile(vl_cli_t *cli, const char *path, vl_keypair_t **out)
{
    *out = NULL;
    if (!path || !*path) {
        vl_cli_failx(cli, "no key file given");
        return VL_EINVAL;
    }
    char prompt[512];
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
    char *pass = NULL;
    size_t passlen = 0;
    cli->err[0] = '\0';
    int rc = vl_passphrase_get(cli->pass_file, cli->pass_env, prompt, &pass, &passlen,
                               cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "passphrase for %s", path);
        return rc;
    }
    rc = vl_keyfile_read(path, pass, passlen, out, cli->err);
    vl_secure_free(&pass);
    if (rc != VL_OK) {
        *out = NULL;
        if (rc == VL_EAUTH && !cli->err[0])
            snprintf(cli->err, sizeof cli->err, "wrong passphrase or damaged key file");
        vl_cli_fail(cli, rc, "key %s", path);
        return rc;
    }
    return VL_OK;
}

int
vl_cli_read_pub(vl_cli_t *cli, const char *path, uint8_t pk[VL_PK_LEN], char *name)
{
    char label[VL_MAX_NAME + 1] = "";
    cli->err[0] = '\0';
    int rc = vl_pubfile_read(path, pk, label, cli->err);
    if (rc != VL_OK) {
        vl_cli_fail(cli, rc, "%s", path);
        return rc;
    }
    if (!name)
        return VL_OK;
    if (label[0]) {
        memcpy(name, label, sizeof label);
        return VL_OK;
    }
    /* No label: the file's base name without ".pub". */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(name, VL_MAX_NAME + 1, "%s", base);
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".pub") == 0)
        name[n - 4] = '\0';
    return VL_OK;
}

/* The judgement of the last store opened (vl_cli_mark): one store per run. */
static vl_mark_check_t s_mark;

/* Judge the open store against the mark; warn on stderr when it asks. */
static void
s_mark_judge(vl_cli_t *cli)
{
    char err[VL_ERRMSG_MAX] = "";
    /* Any command that opens the store has seen its head: the mark is raised
     * (or made, or a damaged one replaced) now, and judged as it was. */
    int rc = vl_mark_update(cli->store, cli->store_dir, vl_cli_now(), &s_mark, err);
    if (rc == VL_EIO || rc == VL_EAGAIN) { /* judged, not recorded */
        if (cli->store_rw) {
            fflush(stdout);
            fprintf(stderr, "valise: warning: cannot record this store's high-water mark: "
                    "%s\n", vl_cli_esc(err));
        }
    } else if (rc != VL_OK) {
        memset(&s_mark, 0, sizeof s_mark);
        return; /* the head itself is unreadable: the command reports that */
    }
    char text[2 * VL_ERRMSG_MAX + VL_MARK_PATH_MAX];
    vl_mark_text(&s_mark, text, sizeof text);
    if (rc == VL_OK && (s_mark.state == VL_MARK_NONE || s_mark.state == VL_MARK_DAMAGED ||
                        s_mark.state == VL_MARK_OK)) {
        vl_mark_check_t now;
        if (vl_mark_check(cli->store, cli->store_dir, &now, err) == VL_OK &&
            now.state == VL_MARK_OK)
            s_mark = now; /* what the outputs carry: the mark as it stands */
    }
    if (text[0]) {
        fflush(stdout);
        fputs("valise: warning: ", stderr);
        vl_cli_fputs(text, stderr);
        fputc('\n', stderr);
    }
}

int
vl_cli_open_store(vl_cli_t *cli, unsigned flags)
{
    if (cli->store)
        return VL_OK;
    bool keyless = (flags & VL_CLI_NOKEY_OK) && (flags & VL_STORE_RDONLY) &&
                   (!cli->key_path || !*cli->key_path);
    flags &= ~(unsigned)VL_CLI_NOKEY_OK;
    int rc = keyless ? VL_OK : vl_cli_load_key(cli);
    if (rc != VL_OK)
        return rc;
    cli->err[0] = '\0';
    rc = vl_store_open(cli->store_dir, cli->kp, flags, &cli->store, cli->err);
    if (rc != VL_OK) {
        if (rc == VL_ENOTFOUND && !cli->err[0])
            snprintf(cli->err, sizeof cli->err, "no store here (create one with 'valise init')");
        if (rc == VL_EPERM && !cli->err[0])
            snprintf(cli->err, sizeof cli->err, "key %s is not a member of this network",
                     cli->key_path);
        vl_cli_fail(cli, rc, "store %s", cli->store_dir);
        return rc;
    }
    cli->store_rw = !(flags & VL_STORE_RDONLY);
    s_mark_judge(cli);
    return VL_OK;
}

const vl_mark_check_t *
vl_cli_mark(void)
{
    return &s_mark;
}

json_t *
vl_cli_mark_json(const vl_mark_check_t *c)
{
    bool have = c->state == VL_MARK_OK || c->state == VL_MARK_BEHIND ||
                c->state == VL_MARK_DIFFERS;
    char when[32], hash[2 * VL_HASH_LEN + 1], text[2 * VL_ERRMSG_MAX + VL_MARK_PATH_MAX];
    if (have) {
        vl_cli_time(c->seen.time, when);
        vl_hex(c->seen.hash, VL_HASH_LEN, hash);
    }
    vl_mark_text(c, text, sizeof text);
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:s}", "state", vl_mark_state_name(c->state),
                     "seq", have ? json_integer((json_int_t)c->seen.seq) : json_null(),
                     "hash", have ? json_string(hash) : json_null(),
                     "time", have ? json_string(when) : json_null(),
                     "file", c->path[0] ? json_string(c->path) : json_null(),
                     "message", text);
}

void
vl_cli_done(vl_cli_t *cli)
{
    if (cli->store && cli->store_rw) {
        char err[VL_ERRMSG_MAX] = "";
        int rc = vl_mark_update(cli->store, cli->store_dir, vl_cli_now(), NULL, err);
        if (rc != VL_OK && s_mark.state != VL_MARK_OFF) {
            fflush(stdout);
            fprintf(stderr, "valise: warning: cannot record this store's high-water mark: "
                    "%s: %s\n", vl_strerror(rc), vl_cli_esc(err));
        }
    }
    cli->store_rw = false;
    vl_store_close(&cli->store);
    vl_keypair_destroy(&cli->kp);
}

/* ---- time, files, output -------------------------------------------------- */

uint64_t
vl_cli_now(void)
{
    const char *s = getenv("VALISE_NOW");
    if (s && *s) {
        uint64_t v = 0;
        if (vl_cli_u64(s, (size_t)-1, 0, UINT64_MAX, &v) == VL_OK)
            return v;
    }
    time_t t = time(NULL);
    return t < 0 ? 0 : (uint64_t)t;
}

void
vl_cli_time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%llu", (unsigned long long)t);
}

int
vl_cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err)
{
    *out = NULL;
    *len = 0;
    int rc = VL_EIO;
    uint8_t *buf = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return vl_err(err, errno == ENOENT ? VL_ENOTFOUND : VL_EIO, "%s: %s", path,
                      strerror(errno));
    size_t cap = 4096, n = 0;
    buf = malloc(cap + 1);
    if (!buf) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                rc = vl_err(err, VL_ELIMIT, "%s: larger than %zu bytes", path, max);
                goto out;
            }
            size_t ncap = cap * 2;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = VL_ENOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = vl_err(err, VL_EIO, "%s: read error", path);
                goto out;
            }
            break;
        }
    }
    if (n > max) {
        rc = vl_err(err, VL_ELIMIT, "%s: larger than %zu bytes", path, max);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = VL_OK;
out:
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

int
vl_cli_write_file(const char *path, const void *buf, size_t len, bool exclusive, int mode,
                  char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    char *dcopy = strdup(path);
    char *tmp = NULL;
    if (!dcopy)
        return VL_ENOMEM;
    const char *dir = dirname(dcopy);
    size_t tlen = strlen(dir) + 32;
    tmp = malloc(tlen);
    if (!tmp) {
        rc = VL_ENOMEM;
        goto out;
    }
    snprintf(tmp, tlen, "%s/.valise-tmp.XXXXXX", dir);
    if (exclusive && access(path, F_OK) == 0) {
        rc = vl_err(err, VL_EEXIST, "%s already exists (refusing to overwrite)", path);
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    const uint8_t *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
        rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (exclusive) {
        /* link() fails if path appeared meanwhile: no silent overwrite. */
        if (link(tmp, path) != 0) {
            rc = vl_err(err, errno == EEXIST ? VL_EEXIST : VL_EIO, "%s: %s", path,
                        errno == EEXIST ? "already exists (refusing to overwrite)"
                                        : strerror(errno));
            goto out;
        }
    } else if (rename(tmp, path) != 0) {
        rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
        goto out;
    } else {
        tmp[0] = '\0';
    }
    rc = VL_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp && tmp[0])
        unlink(tmp);
    free(tmp);
    free(dcopy);
    return rc;
}

int
vl_cli_print_json(json_t *j)
{
    if (!j)
        return VL_ENOMEM;
    int r = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    fputc('\n', stdout);
    json_decref(j);
    return r == 0 ? VL_OK : VL_EIO;
}

void
vl_cli_short(const uint8_t id[VL_HASH_LEN], char out[17])
{
    vl_hex(id, 8, out);
}

void
vl_cli_member(const vl_policy_t *pol, const uint8_t pk[VL_PK_LEN], char *out, size_t cap)
{
    char kid[2 * VL_KID_LEN + 1];
    vl_kid(pk, kid);
    const char *name = vl_policy_member_name(pol, pk);
    snprintf(out, cap, "%s (%s)", name ? name : "unknown", kid);
}

const char *
vl_cli_record_title(const json_t *j)
{
    const json_t *t = json_object_get(j, "name");
    if (!t)
        t = json_object_get(j, "title");
    if (json_is_string(t))
        return json_string_value(t);
    if (!json_is_object(t))
        return "";
    const json_t *en = json_object_get(t, "en");
    if (json_is_string(en))
        return json_string_value(en);
    void *it = json_object_iter((json_t *)t);
    const json_t *first = it ? json_object_iter_value(it) : NULL;
    return json_is_string(first) ? json_string_value(first) : "";
}

/* ---- freshness -------------------------------------------------------------- */

const char *
vl_cli_freshness_state(vl_fresh_state_t s)
{
    switch (s) {
    case VL_FRESH_UNCONFIGURED: return "unconfigured";
    case VL_FRESH_UNKNOWN:      return "unknown";
    case VL_FRESH_OK:           return "fresh";
    case VL_FRESH_BEHIND:       return "behind";
    case VL_FRESH_STALE:        return "stale";
    }
    return "unknown";
}

static bool
s_fresh_warns(const vl_freshness_t *f)
{
    return f->state == VL_FRESH_UNKNOWN || f->state == VL_FRESH_BEHIND ||
           f->state == VL_FRESH_STALE;
}

void
vl_cli_freshness_warn(const vl_freshness_t *f, const char *text)
{
    if (!s_fresh_warns(f))
        return;
    fflush(stdout);
    vl_progress_clear_active();
    fputs("valise: warning: ", stderr);
    vl_cli_fputs(text, stderr);
    fputc('\n', stderr);
}

bool
vl_cli_freshness(vl_cli_t *cli, vl_freshness_t *f, char *text, size_t cap)
{
    char err[VL_ERRMSG_MAX] = "";
    memset(f, 0, sizeof *f);
    if (cap)
        text[0] = '\0';
    int rc = vl_store_freshness(cli->store, vl_cli_now(), f, err);
    if (rc != VL_OK) {
        memset(f, 0, sizeof *f);
        f->state = VL_FRESH_UNKNOWN;
        snprintf(text, cap, "directory freshness cannot be told: %s%s%s", vl_strerror(rc),
                 err[0] ? ": " : "", err);
    } else {
        vl_freshness_text(f, text, cap);
        if (cap && !text[0] && f->state != VL_FRESH_OK && f->state != VL_FRESH_UNCONFIGURED)
            snprintf(text, cap, "directory may be stale (freshness: %s)",
                     vl_cli_freshness_state(f->state));
    }
    return s_fresh_warns(f);
}

json_t *
vl_cli_freshness_json(const vl_freshness_t *f, const char *text)
{
    char issued[32], expires[32];
    if (f->have) {
        vl_cli_time(f->issued, issued);
        vl_cli_time(f->expires, expires);
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:I, s:s, s:o}", "state",
                     vl_cli_freshness_state(f->state), "issued",
                     f->have ? json_string(issued) : json_null(), "expires",
                     f->have ? json_string(expires) : json_null(), "seq",
                     f->have ? json_integer((json_int_t)f->seq) : json_null(), "head",
                     (json_int_t)f->head, "message", text ? text : "", "seen",
                     vl_cli_mark_json(&s_mark));
}

int
vl_cli_pending_id(vl_cli_t *cli, const char *prefix, uint8_t id[VL_HASH_LEN])
{
    cli->err[0] = '\0';
    int rc = vl_store_pending_lookup(cli->store, prefix, id, cli->err);
    if (rc != VL_OK) {
        if (!cli->err[0])
            snprintf(cli->err, sizeof cli->err, "no pending proposal %s", prefix);
        vl_cli_fail(cli, rc, NULL);
    }
    return rc;
}

int
vl_cli_dispatch(const char *cmd, const vl_cli_action_t *actions, const char *usage, int argc,
                char **argv)
{
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; actions[i].name; i++) {
        int n = snprintf(names + used, sizeof names - used, "%s%s",
                         i == 0 ? "" : actions[i + 1].name ? ", " : " or ", actions[i].name);
        if (n < 0 || (size_t)n >= sizeof names - used)
            break;
        used += (size_t)n;
    }
    if (argc < 2) {
        fprintf(stderr, "valise %s: missing action: %s (see 'valise %s --help')\n", cmd, names,
                cmd);
        return VL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return VL_EXIT_OK;
    }
    for (size_t i = 0; actions[i].name; i++)
        if (strcmp(argv[1], actions[i].name) == 0)
            return actions[i].run(argc - 1, argv + 1);
    fprintf(stderr, "valise %s: unknown action '%s': %s (see 'valise %s --help')\n", cmd,
            vl_cli_esc(argv[1]), names, cmd);
    return VL_EXIT_USAGE;
}

int
vl_cli_import(const char *cmd, const char *usage, const char *what, size_t max,
              vl_cli_import_fn fn, int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, cmd, usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n != 1)
        return vl_cli_usage(&cli, "give exactly one %s FILE", what);
    const char *path = cli.args.v[0];

    ret = VL_EXIT_ERR;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = vl_cli_read_file(path, max, &buf, &len, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    if (vl_cli_open_store(&cli, 0) != VL_OK)
        goto out;
    cli.err[0] = '\0';
    ret = fn(&cli, path, buf, len);
out:
    free(buf);
    vl_cli_done(&cli);
    return ret;
}
