/* SPDX-License-Identifier: MIT */
/*
 * vl_metrics - the Prometheus endpoint and its text writer (see vl_metrics.h:
 * libmicrohttpd in external mode, epoll back-end, driven by the node's loop).
 */
#include "vl_metrics.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "vl_log.h"

struct vl_metrics {
    struct MHD_Daemon *d;
    int fd;
    unsigned port;
    vl_metrics_render_fn render;
    void *ctx;
    uint64_t scrapes;
};

/* ---- the text format ------------------------------------------------------------ */

static void
s_put(vl_mtext_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
s_puts(vl_mtext_t *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t
s_utf8(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* A label value: \\ \" \n escaped as the format requires, other control
 * bytes and invalid UTF-8 replaced by '?'. */
static void
s_label_value(vl_mtext_t *b, const char *v)
{
    const unsigned char *s = (const unsigned char *)v;
    while (*s) {
        if (*s == '\\') {
            s_puts(b, "\\\\");
            s++;
        } else if (*s == '"') {
            s_puts(b, "\\\"");
            s++;
        } else if (*s == '\n') {
            s_puts(b, "\\n");
            s++;
        } else if (*s < 0x20 || *s == 0x7f) {
            s_puts(b, "?");
            s++;
        } else {
            size_t n = s_utf8(s);
            if (n == 0) {
                s_puts(b, "?");
                s++;
            } else {
                s_put(b, (const char *)s, n);
                s += n;
            }
        }
    }
}

void
vl_mtext_family(vl_mtext_t *b, const char *name, const char *type, const char *help)
{
    assert(b && name && type && help);
    s_puts(b, "# HELP ");
    s_puts(b, name);
    s_puts(b, " ");
    s_puts(b, help);
    s_puts(b, "\n# TYPE ");
    s_puts(b, name);
    s_puts(b, " ");
    s_puts(b, type);
    s_puts(b, "\n");
}

static void
s_series(vl_mtext_t *b, const char *name, const char *const *labels)
{
    s_puts(b, name);
    if (labels && labels[0]) {
        s_puts(b, "{");
        for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
            if (i)
                s_puts(b, ",");
            s_puts(b, labels[i]);
            s_puts(b, "=\"");
            s_label_value(b, labels[i + 1]);
            s_puts(b, "\"");
        }
        s_puts(b, "}");
    }
}

void
vl_mtext_sample_u(vl_mtext_t *b, const char *name, const char *const *labels, uint64_t value)
{
    char v[32];
    assert(b && name);
    s_series(b, name, labels);
    snprintf(v, sizeof v, " %" PRIu64 "\n", value);
    s_puts(b, v);
}

void
vl_mtext_sample_i(vl_mtext_t *b, const char *name, const char *const *labels, int64_t value)
{
    char v[32];
    assert(b && name);
    s_series(b, name, labels);
    snprintf(v, sizeof v, " %" PRId64 "\n", value);
    s_puts(b, v);
}

/* ---- the address ------------------------------------------------------------------ */

/* Parse "127.x.y.z:port" or "[::1]:port" into sa. */
static int
s_parse(const char *addr, struct sockaddr_storage *sa, socklen_t *salen, char *err)
{
    char host[VL_METRICS_ADDR_MAX + 1];
    size_t n = strlen(addr);
    if (n == 0 || n > VL_METRICS_ADDR_MAX)
        return vl_err(err, VL_EINVAL, "\"metrics\": give HOST:PORT (at most %u characters), "
                      "e.g. \"127.0.0.1:9464\"", VL_METRICS_ADDR_MAX);
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1])
        return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\" needs HOST:PORT, e.g. "
                      "\"127.0.0.1:9464\"", addr);
    unsigned long port = 0;
    for (const char *c = colon + 1; *c; c++) {
        if (*c < '0' || *c > '9' || port > 65535)
            return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\" has a bad port (0..65535)",
                          addr);
        port = port * 10 + (unsigned long)(*c - '0');
    }
    if (port > 65535)
        return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\" has a bad port (0..65535)", addr);
    size_t hl = (size_t)(colon - addr);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    memset(sa, 0, sizeof *sa);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
        host[hl - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\" is not an IPv6 address", addr);
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
            goto notlo;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *salen = sizeof *s6;
        return VL_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\": the host must be an IP address "
                      "(127.0.0.1 or [::1]), not a name", addr);
    if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
        goto notlo;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *salen = sizeof *s4;
    return VL_OK;
notlo:
    return vl_err(err, VL_EINVAL, "\"metrics\": \"%.63s\" is not a loopback address "
                  "(127.0.0.0/8 or [::1]): the metrics endpoint is never exposed beyond this "
                  "host (put a proxy in front of it to scrape from elsewhere)", addr);
}

int
vl_metrics_check_addr(const char *addr, char *err)
{
    struct sockaddr_storage sa;
    socklen_t len;
    assert(addr);
    return s_parse(addr, &sa, &len, err);
}

/* ---- the server ------------------------------------------------------------------- */

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    vl_debug("metrics: %s", line);
}

static enum MHD_Result
s_reply(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result
s_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    vl_metrics_t *self = cls;
    (void)version;
    (void)upload;
    (void)con_cls;
    /* Answered on the first call (the headers): a request with a body is
     * refused before the body is read, and a GET has none to wait for. */
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
    if (strcmp(url, "/metrics") != 0)
        return s_reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
    vl_mtext_t b = { NULL, 0, 0, false };
    self->render(self->ctx, &b);
    if (b.failed || !b.data) {
        free(b.data);
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b.data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    self->scrapes++;
    return rc;
}

int
vl_metrics_new(const char *addr, vl_metrics_render_fn render, void *ctx, vl_metrics_t **out,
               char *err)
{
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    assert(addr && render && out);
    *out = NULL;
    int rc = s_parse(addr, &sa, &salen, err);
    if (rc != VL_OK)
        return rc;
    vl_metrics_t *self = calloc(1, sizeof *self);
    if (!self)
        return vl_err(err, VL_ENOMEM, "out of memory");
    self->render = render;
    self->ctx = ctx;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* No MHD_USE_INTERNAL_POLLING_THREAD: external mode, run by the node. */
    self->d = MHD_start_daemon(flags, 0, NULL, NULL, s_handler, self,
                               MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)VL_METRICS_CONNS,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)VL_METRICS_TIMEOUT_S,
                               MHD_OPTION_END);
    if (!self->d) {
        free(self);
        return vl_err(err, VL_EIO, "metrics: cannot serve on %s (address in use, or not "
                      "bindable)", addr);
    }
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_EPOLL_FD);
    self->fd = i ? i->epoll_fd : -1;
    i = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_BIND_PORT);
    self->port = i ? i->port : 0;
    if (self->fd < 0) {
        MHD_stop_daemon(self->d);
        free(self);
        return vl_err(err, VL_EIO, "metrics: libmicrohttpd has no epoll descriptor");
    }
    *out = self;
    return VL_OK;
}

void
vl_metrics_destroy(vl_metrics_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        MHD_stop_daemon((*self_p)->d);
        free(*self_p);
        *self_p = NULL;
    }
}

int
vl_metrics_fd(const vl_metrics_t *self)
{
    assert(self);
    return self->fd;
}

unsigned
vl_metrics_port(const vl_metrics_t *self)
{
    assert(self);
    return self->port;
}

void
vl_metrics_run(vl_metrics_t *self)
{
    assert(self);
    MHD_run(self->d);
}

uint64_t
vl_metrics_scrapes(const vl_metrics_t *self)
{
    assert(self);
    return self->scrapes;
}
