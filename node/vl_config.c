/* SPDX-License-Identifier: MIT */
/*
 * vl_config - reading the valise-node configuration file (see vl_config.h
 * and docs/operator.md).
 *
 * The file is a user input: every key is checked for type and range and an
 * unknown key is an error naming it. jansson parses with duplicate keys
 * refused; the file is read whole, bounded by VL_CONFIG_FILE_MAX.
 */
#include "vl_config.h"

#include "vl_metrics.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* Ranges accepted for the timers (milliseconds). */
#define S_AE_MIN 50u
#define S_AE_MAX 3600000u
#define S_POLL_MIN 10u
#define S_POLL_MAX 60000u
#define S_RECON_MIN 100u
#define S_RECON_MAX 3600000u

void
vl_config_destroy(vl_config_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        vl_config_t *self = *self_p;
        free(self->path);
        free(self->store);
        free(self->key);
        free(self->pass_file);
        free(self->listen);
        free(self->metrics);
        free(self->log_file);
        free(self);
        *self_p = NULL;
    }
}

/* A path from the file, made relative to basedir unless absolute. */
static char *
s_path(const char *basedir, const char *p)
{
    if (p[0] == '/' || !basedir || !*basedir || strcmp(basedir, ".") == 0)
        return strdup(p);
    size_t n = strlen(basedir) + 1 + strlen(p) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", basedir, p);
    return out;
}

static bool
s_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* Endpoints we accept: tcp://host:port and ipc://path, printable, no spaces. */
static int
s_check_addr(const char *what, const char *a, char *err)
{
    size_t n = strlen(a);
    if (n > VL_CONFIG_ADDR_MAX)
        return vl_err(err, VL_EINVAL, "%s: endpoint longer than %u bytes", what,
                      VL_CONFIG_ADDR_MAX);
    if (!s_printable(a))
        return vl_err(err, VL_EINVAL, "%s: endpoint has spaces or non-ASCII bytes", what);
    if (strncmp(a, "tcp://", 6) == 0) {
        const char *colon = strrchr(a + 6, ':');
        if (!colon || colon == a + 6 || !colon[1])
            return vl_err(err, VL_EINVAL, "%s: \"%s\" needs host:port", what, a);
        for (const char *c = colon + 1; *c; c++)
            if ((*c < '0' || *c > '9') && !(c == colon + 1 && *c == '*' && !c[1]))
                return vl_err(err, VL_EINVAL, "%s: \"%s\" has a bad port", what, a);
        return VL_OK;
    }
    if (strncmp(a, "ipc://", 6) == 0 && n > 6)
        return VL_OK;
    return vl_err(err, VL_EINVAL, "%s: \"%s\" is not tcp://host:port or ipc://path", what, a);
}

static int
s_str(json_t *obj, const char *key, const char **out, char *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return VL_OK;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v))
        return vl_err(err, VL_EINVAL, "\"%s\" must be a non-empty string", key);
    *out = json_string_value(v);
    return VL_OK;
}

/* An optional integer obj.key in lo..hi into *out; the error names it as
 * `name` and appends `unit`. */
static int
s_uint(json_t *obj, const char *key, const char *name, const char *unit, uint32_t lo,
       uint32_t hi, uint32_t *out, char *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return VL_OK;
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
        json_integer_value(v) > (json_int_t)hi)
        return vl_err(err, VL_EINVAL, "%s must be an integer from %u to %u%s", name, lo, hi,
                      unit);
    *out = (uint32_t)json_integer_value(v);
    return VL_OK;
}

/* A timer in milliseconds: timers.key. */
static int
s_timer(json_t *timers, const char *key, uint32_t lo, uint32_t hi, uint32_t *out, char *err)
{
    char name[64];
    snprintf(name, sizeof name, "timers.%s", key);
    return s_uint(timers, key, name, "", lo, hi, out, err);
}

/* A top-level duration in seconds. */
static int
s_seconds(json_t *root, const char *key, uint32_t lo, uint32_t hi, uint32_t *out, char *err)
{
    char name[64];
    snprintf(name, sizeof name, "\"%s\"", key);
    return s_uint(root, key, name, " (seconds)", lo, hi, out, err);
}

static int
s_only_keys(json_t *obj, const char *const *allowed, const char *what, char *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(k, *a) == 0)
                ok = true;
        if (!ok) {
            char shown[64];
            size_t i = 0;
            for (; k[i] && i + 1 < sizeof shown; i++)
                shown[i] = ((unsigned char)k[i] >= 0x20 && (unsigned char)k[i] < 0x7f) ? k[i] : '?';
            shown[i] = '\0';
            return vl_err(err, VL_EINVAL, "%s: unknown key \"%s\"", what, shown);
        }
    }
    return VL_OK;
}

static int
s_peer(json_t *p, size_t i, vl_config_peer_t *out, char *err)
{
    static const char *const keys[] = { "addr", "key", "name", NULL };
    char what[32];
    snprintf(what, sizeof what, "peers[%zu]", i);
    if (!json_is_object(p))
        return vl_err(err, VL_EINVAL, "%s must be an object {\"addr\", \"key\" or \"name\"}",
                      what);
    int rc = s_only_keys(p, keys, what, err);
    if (rc != VL_OK)
        return rc;
    json_t *a = json_object_get(p, "addr"), *k = json_object_get(p, "key"),
           *n = json_object_get(p, "name");
    if (!json_is_string(a))
        return vl_err(err, VL_EINVAL, "%s.addr must be a string", what);
    if ((rc = s_check_addr(what, json_string_value(a), err)) != VL_OK)
        return rc;
    snprintf(out->addr, sizeof out->addr, "%s", json_string_value(a));
    if (!k && !n)
        return vl_err(err, VL_EINVAL, "%s needs \"key\" (64 hex digits) or \"name\" (a node "
                      "of the policy)", what);
    if (k) {
        if (!json_is_string(k) || vl_unhex(json_string_value(k), out->key, VL_PK_LEN) != VL_OK)
            return vl_err(err, VL_EINVAL, "%s.key must be 64 hex digits", what);
        out->has_key = true;
    }
    if (n) {
        if (!json_is_string(n) || json_string_length(n) == 0 ||
            json_string_length(n) > VL_MAX_NAME ||
            strlen(json_string_value(n)) != json_string_length(n))
            return vl_err(err, VL_EINVAL, "%s.name must be a string of 1..%u bytes", what,
                          VL_MAX_NAME);
        snprintf(out->name, sizeof out->name, "%s", json_string_value(n));
    }
    out->by_name = n && !k;
    return VL_OK;
}

/* Whether systemd credential NAME exists: $CREDENTIALS_DIRECTORY/NAME, set by
 * LoadCredential= in the unit (an absolute directory only). */
static bool
s_cred(const char *name)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    char path[PATH_MAX];
    if (!dir || dir[0] != '/')
        return false;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return false;
    return access(path, F_OK) == 0;
}

int
vl_config_parse(const char *text, size_t len, const char *basedir, vl_config_t **out,
                char *err)
{
    static const char *const keys[] = { "store", "key", "pass_file", "pass_fd", "listen",
                                        "peers", "timers", "log_level", "log_file",
                                        "fresh_interval", "fresh_ttl", "metrics", NULL };
    static const char *const tkeys[] = { "anti_entropy_ms", "poll_ms", "reconnect_max_ms",
                                         NULL };
    int rc = VL_EINVAL;
    vl_config_t *c = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    const char *s = NULL;

    assert(out);
    *out = NULL;
    if (len > VL_CONFIG_FILE_MAX) {
        rc = vl_err(err, VL_ELIMIT, "config larger than %u bytes", VL_CONFIG_FILE_MAX);
        goto out;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = vl_err(err, VL_EINVAL, "not valid JSON: line %d: %.120s", jerr.line, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = vl_err(err, VL_EINVAL, "the config must be a JSON object");
        goto out;
    }
    if ((rc = s_only_keys(root, keys, "config", err)) != VL_OK)
        goto out;
    c = calloc(1, sizeof *c);
    if (!c) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    c->pass_fd = -1;
    c->anti_entropy_ms = 2000;
    c->poll_ms = 50;
    c->reconnect_max_ms = 30000;
    c->log_level = VL_LOG_INFO;
    c->fresh_interval = VL_CONFIG_FRESH_INTERVAL;
    c->fresh_ttl = VL_CONFIG_FRESH_TTL;

    rc = VL_ENOMEM;
    if ((rc = s_str(root, "store", &s, err)) != VL_OK)
        goto out;
    if (!s) {
        rc = vl_err(err, VL_EINVAL, "\"store\" (the store directory) is required");
        goto out;
    }
    if (!(c->store = s_path(basedir, s)))
        goto oom;
    if ((rc = s_str(root, "key", &s, err)) != VL_OK)
        goto out;
    if (!s && s_cred("key")) {
        if (!(c->key = s_path(getenv("CREDENTIALS_DIRECTORY"), "key")))
            goto oom;
    } else if (!s) {
        rc = vl_err(err, VL_EINVAL, "\"key\" (the node's secret key file) is required "
                    "(or a systemd credential \"key\")");
        goto out;
    } else if (!(c->key = s_path(basedir, s)))
        goto oom;
    if ((rc = s_str(root, "pass_file", &s, err)) != VL_OK)
        goto out;
    if (s && !(c->pass_file = s_path(basedir, s)))
        goto oom;
    json_t *fd = json_object_get(root, "pass_fd");
    if (fd && !json_is_null(fd)) {
        if (!json_is_integer(fd) || json_integer_value(fd) < 0 ||
            json_integer_value(fd) > INT_MAX) {
            rc = vl_err(err, VL_EINVAL, "\"pass_fd\" must be a file descriptor number");
            goto out;
        }
        c->pass_fd = (int)json_integer_value(fd);
    }
    if (c->pass_file && c->pass_fd >= 0) {
        rc = vl_err(err, VL_EINVAL, "give \"pass_file\" or \"pass_fd\", not both");
        goto out;
    }
    if (!c->pass_file && c->pass_fd < 0 && s_cred("passphrase") &&
        !(c->pass_file = s_path(getenv("CREDENTIALS_DIRECTORY"), "passphrase")))
        goto oom;
    if ((rc = s_str(root, "listen", &s, err)) != VL_OK)
        goto out;
    if (s) {
        if ((rc = s_check_addr("listen", s, err)) != VL_OK)
            goto out;
        if (!(c->listen = strdup(s)))
            goto oom;
    }
    if ((rc = s_str(root, "metrics", &s, err)) != VL_OK)
        goto out;
    if (s) {
        if ((rc = vl_metrics_check_addr(s, err)) != VL_OK)
            goto out;
        if (!(c->metrics = strdup(s)))
            goto oom;
    }
    json_t *peers = json_object_get(root, "peers");
    if (peers && !json_is_null(peers)) {
        if (!json_is_array(peers)) {
            rc = vl_err(err, VL_EINVAL, "\"peers\" must be an array");
            goto out;
        }
        if (json_array_size(peers) > VL_MAX_PEERS) {
            rc = vl_err(err, VL_ELIMIT, "more than %u peers", VL_MAX_PEERS);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(peers); i++) {
            if ((rc = s_peer(json_array_get(peers, i), i, &c->peers[i], err)) != VL_OK)
                goto out;
            for (size_t j = 0; j < i; j++)
                if (strcmp(c->peers[j].addr, c->peers[i].addr) == 0) {
                    rc = vl_err(err, VL_EINVAL, "peers[%zu]: %s is listed twice", i,
                                c->peers[i].addr);
                    goto out;
                }
            c->npeers = i + 1;
        }
    }
    json_t *timers = json_object_get(root, "timers");
    if (timers && !json_is_null(timers)) {
        if (!json_is_object(timers)) {
            rc = vl_err(err, VL_EINVAL, "\"timers\" must be an object");
            goto out;
        }
        if ((rc = s_only_keys(timers, tkeys, "timers", err)) != VL_OK ||
            (rc = s_timer(timers, "anti_entropy_ms", S_AE_MIN, S_AE_MAX, &c->anti_entropy_ms,
                          err)) != VL_OK ||
            (rc = s_timer(timers, "poll_ms", S_POLL_MIN, S_POLL_MAX, &c->poll_ms, err)) !=
                VL_OK ||
            (rc = s_timer(timers, "reconnect_max_ms", S_RECON_MIN, S_RECON_MAX,
                          &c->reconnect_max_ms, err)) != VL_OK)
            goto out;
    }
    if ((rc = s_str(root, "log_level", &s, err)) != VL_OK)
        goto out;
    if (s && vl_log_level_parse(s, &c->log_level) != VL_OK) {
        rc = vl_err(err, VL_EINVAL, "\"log_level\" must be error, warn, info or debug");
        goto out;
    }
    if ((rc = s_str(root, "log_file", &s, err)) != VL_OK)
        goto out;
    if (s && strcmp(s, "-") != 0 && strcmp(s, "stderr") != 0 &&
        !(c->log_file = s_path(basedir, s)))
        goto oom;
    /* Freshness statements (docs/trust.md §3): a statement must outlive the
     * interval, or the directory looks stale between two of them. */
    if ((rc = s_seconds(root, "fresh_interval", VL_CONFIG_FRESH_INTERVAL_MIN,
                        VL_CONFIG_FRESH_INTERVAL_MAX, &c->fresh_interval, err)) != VL_OK ||
        (rc = s_seconds(root, "fresh_ttl", VL_CONFIG_FRESH_TTL_MIN, VL_FRESH_MAX_TTL,
                        &c->fresh_ttl, err)) != VL_OK)
        goto out;
    if (c->fresh_ttl <= c->fresh_interval) {
        rc = vl_err(err, VL_EINVAL, "\"fresh_ttl\" (%u s) must be longer than "
                    "\"fresh_interval\" (%u s)", c->fresh_ttl, c->fresh_interval);
        goto out;
    }

    *out = c;
    c = NULL;
    rc = VL_OK;
    goto out;
oom:
    rc = vl_err(err, VL_ENOMEM, "out of memory");
out:
    json_decref(root);
    vl_config_destroy(&c);
    return rc;
}

int
vl_config_load(const char *path, vl_config_t **out, char *err)
{
    int rc = VL_EIO;
    int fd = -1;
    char *buf = NULL, *dir = NULL;
    size_t n = 0;
    struct stat st;

    assert(path && out);
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = vl_err(err, errno == ENOENT ? VL_ENOTFOUND : VL_EIO, "%s: %s", path,
                    strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = vl_err(err, VL_EIO, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size > (off_t)VL_CONFIG_FILE_MAX) {
        rc = vl_err(err, VL_ELIMIT, "%s: larger than %u bytes", path, VL_CONFIG_FILE_MAX);
        goto out;
    }
    buf = malloc(VL_CONFIG_FILE_MAX + 1);
    if (!buf) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, VL_CONFIG_FILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > VL_CONFIG_FILE_MAX) {
            rc = vl_err(err, VL_ELIMIT, "%s: larger than %u bytes", path, VL_CONFIG_FILE_MAX);
            goto out;
        }
    }
    dir = strdup(path);
    if (!dir) {
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    char detail[VL_ERRMSG_MAX] = "";
    rc = vl_config_parse(buf, n, dir, out, detail);
    if (rc != VL_OK) {
        vl_err(err, rc, "%s: %s", path, detail);
        goto out;
    }
    (*out)->path = strdup(path);
    if (!(*out)->path) {
        vl_config_destroy(out);
        rc = vl_err(err, VL_ENOMEM, "out of memory");
        goto out;
    }
    rc = VL_OK;
out:
    free(buf);
    free(dir);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The node named `name`: how many, and the key of the last one. */
typedef struct {
    const vl_policy_t *pol;
    const char *name;
    size_t found;
    uint8_t key[VL_PK_LEN];
} s_name_ctx_t;

static void
s_name_cb(void *ctx, const uint8_t pk[VL_PK_LEN], unsigned roles)
{
    s_name_ctx_t *c = ctx;
    if (!(roles & VL_ROLE_NODE))
        return;
    const char *name = vl_policy_member_name(c->pol, pk);
    if (name && strcmp(name, c->name) == 0) {
        memcpy(c->key, pk, VL_PK_LEN);
        c->found++;
    }
}

int
vl_config_node_key(const vl_policy_t *pol, const char *name, uint8_t key[VL_PK_LEN])
{
    assert(pol && name && key);
    s_name_ctx_t c = { .pol = pol, .name = name };
    vl_policy_members_each(pol, s_name_cb, &c);
    if (c.found == 0)
        return VL_ENOTFOUND;
    if (c.found > 1)
        return VL_EINVAL;
    memcpy(key, c.key, VL_PK_LEN);
    return VL_OK;
}

int
vl_config_resolve_peers(vl_config_t *self, const vl_policy_t *pol,
                        const uint8_t self_pk[VL_PK_LEN], unsigned flags, char *err)
{
    char kid[2 * VL_KID_LEN + 1];
    bool keep = (flags & VL_CONFIG_KEEP_GONE) != 0;
    for (size_t i = 0; i < self->npeers; i++) {
        vl_config_peer_t *p = &self->peers[i];
        p->gone = false;
        if (p->name[0]) {
            uint8_t key[VL_PK_LEN];
            int rc = vl_config_node_key(pol, p->name, key);
            if (rc == VL_ENOTFOUND && keep) {
                p->gone = true;
                continue;
            }
            if (rc == VL_ENOTFOUND)
                return vl_err(err, VL_ENOTFOUND, "peer %s: no node named \"%s\" in the policy",
                              p->addr, p->name);
            if (rc == VL_EINVAL)
                return vl_err(err, VL_EINVAL,
                              "peer %s: several nodes are named \"%s\"; give its \"key\"",
                              p->addr, p->name);
            if (rc != VL_OK)
                return vl_err(err, rc, "peer %s: %s", p->addr, vl_strerror(rc));
            if (p->has_key && !p->by_name && memcmp(p->key, key, VL_PK_LEN) != 0)
                return vl_err(err, VL_EINVAL,
                              "peer %s: \"key\" is not the key of node \"%s\" in the policy",
                              p->addr, p->name);
            memcpy(p->key, key, VL_PK_LEN);
            p->has_key = true;
        }
        vl_kid(p->key, kid);
        if (memcmp(p->key, self_pk, VL_PK_LEN) == 0)
            return vl_err(err, VL_EPERM, "peer %s: key %s is this node's own key", p->addr, kid);
        if (!(vl_policy_roles(pol, p->key) & VL_ROLE_NODE)) {
            if (keep) {
                p->gone = true;
                continue;
            }
            return vl_err(err, VL_EPERM, "peer %s: key %s is not a node of the policy", p->addr,
                          kid);
        }
        if (!p->name[0]) {
            const char *name = vl_policy_member_name(pol, p->key);
            snprintf(p->name, sizeof p->name, "%s", name ? name : "");
        }
    }
    return VL_OK;
}
