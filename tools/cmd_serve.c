/* SPDX-License-Identifier: MIT */
/*
 * valise serve - the replica in a browser, on loopback only, read-only
 * (docs/web.md): options, the listen check, the lifecycle and the event
 * loop. HTTP plumbing is vl_web.c, the pages vl_web_pages.c.
 *
 * Concurrency: libmicrohttpd runs in external select mode. The one thread
 * of the program waits in pselect() on the sockets libmicrohttpd gives and
 * calls MHD_run_from_select(), which answers ready requests one after the
 * other on this thread. So exactly one request touches the store at a time,
 * the store handle and its LMDB read transactions never cross a thread, and
 * no lock is needed. SIGINT and SIGTERM are blocked except inside pselect(),
 * so a stop request ends the wait and the loop between two requests; then
 * the daemon stops, the store is closed and the key wiped (vl_cli_done).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "vl_cli.h"
#include "vl_country.h"
#include "vl_web.h"

static const char s_usage[] =
    "usage: valise serve [--listen ADDR:PORT] --key KEY\n"
    "\n"
    "Show the replica in a browser: search, records, compendiums, status, in\n"
    "English or French (docs/web.md). Read-only; the store is never written.\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080). Loopback\n"
    "                      only: 127.0.0.0/8, [::1] or localhost; PORT 0 picks\n"
    "                      a free port\n"
    "Once listening it prints one line \"valise serve: http://127.0.0.1:PORT/\n"
    "(Ctrl-C to stop)\" on stdout. Any member key or a reader key may read.\n"
    "Requests must name the listening address in Host (else 421); only GET and\n"
    "HEAD are answered. Every page has a JSON twin (?format=json).\n";

#define S_DEFAULT_LISTEN "127.0.0.1:8080"

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* The address to listen on, checked before anything is opened. */
typedef struct {
    struct sockaddr_storage sa;
    socklen_t salen;
    bool v6;
    char host[64]; /* as a Host header names it */
} s_listen_t;

static int
s_parse_listen(const vl_cli_t *cli, const char *arg, s_listen_t *l)
{
    char host[64];
    const char *colon;
    size_t hlen;
    memset(l, 0, sizeof *l);
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || close[1] != ':')
            goto usage;
        hlen = (size_t)(close - arg - 1);
        if (hlen >= sizeof host)
            goto refuse;
        memcpy(host, arg + 1, hlen);
        colon = close + 1;
    } else {
        colon = strrchr(arg, ':');
        if (!colon)
            goto usage;
        hlen = (size_t)(colon - arg);
        if (hlen >= sizeof host)
            goto refuse;
        memcpy(host, arg, hlen);
    }
    host[hlen] = '\0';
    uint64_t port = 0;
    if (vl_cli_u64(colon + 1, (size_t)-1, 0, 65535, &port) != VL_OK)
        goto usage;

    struct sockaddr_in *in4 = (struct sockaddr_in *)&l->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->sa;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (arg[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127)
            goto refuse;
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        l->salen = sizeof *in4;
        snprintf(l->host, sizeof l->host, "%s", host);
        return VL_OK;
    }
    if (arg[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            goto refuse;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        l->salen = sizeof *in6;
        l->v6 = true;
        snprintf(l->host, sizeof l->host, "[::1]");
        return VL_OK;
    }
refuse:
    vl_cli_failx(cli,
                 "refusing to listen on '%s': only loopback (127.0.0.0/8, [::1], localhost) "
                 "is allowed",
                 arg);
    return VL_EINVAL;
usage:
    vl_cli_usage(cli, "--listen wants ADDR:PORT (PORT 0 to 65535), e.g. 127.0.0.1:8080, not '%s'",
                 arg);
    return VL_EINVAL;
}

/* Bind and listen; the socket goes to libmicrohttpd. @return fd or -1. */
static int
s_socket(vl_cli_t *cli, s_listen_t *l, const char *arg, unsigned *port)
{
    int fd = socket(l->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        goto fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        goto fail;
    if (l->v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&l->sa, l->salen) != 0 || listen(fd, 64) != 0)
        goto fail;
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &gl) != 0)
        goto fail;
    *port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                            : ((struct sockaddr_in *)&got)->sin_port);
    return fd;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    vl_cli_failx(cli, "cannot listen on %s: %s", arg, strerror(e));
    return -1;
}

/* The event loop (see the file comment). @return VL_OK when stopped by a signal. */
static int
s_loop(vl_cli_t *cli, struct MHD_Daemon *d, const sigset_t *waitmask)
{
    while (!s_stop) {
        fd_set rs, ws, es;
        MHD_socket max = 0;
        FD_ZERO(&rs);
        FD_ZERO(&ws);
        FD_ZERO(&es);
        if (MHD_get_fdset(d, &rs, &ws, &es, &max) != MHD_YES)
            return vl_cli_failx(cli, "cannot wait for connections"), VL_EIO;
        MHD_UNSIGNED_LONG_LONG ms = 0;
        struct timespec ts, *tp = NULL;
        if (MHD_get_timeout(d, &ms) == MHD_YES) {
            ts.tv_sec = (time_t)(ms / 1000);
            ts.tv_nsec = (long)(ms % 1000) * 1000000L;
            tp = &ts;
        }
        int n = pselect(max + 1, &rs, &ws, &es, tp, waitmask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return vl_cli_failx(cli, "waiting for connections: %s", strerror(errno)), VL_EIO;
        }
        MHD_run_from_select(d, &rs, &ws, &es);
    }
    return VL_OK;
}

int
cmd_serve(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "serve", s_usage);
    const char *listen_arg = NULL;
    const vl_opt_t opts[] = {
        { "listen", VL_OPT_ARG, &listen_arg },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, false);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!listen_arg)
        listen_arg = S_DEFAULT_LISTEN;
    s_listen_t l;
    if (s_parse_listen(&cli, listen_arg, &l) != VL_OK)
        return VL_EXIT_USAGE;

    ret = VL_EXIT_ERR;
    vl_countries_t *names = NULL;
    struct MHD_Daemon *d = NULL;
    int fd = -1;
    sigset_t block, orig;
    bool blocked = false;
    char warn[VL_ERRMSG_MAX] = "";
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY) != VL_OK)
        goto out;
    int rc = vl_countries_load(NULL, NULL, &names, warn, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, NULL);
        goto out;
    }
    if (warn[0])
        fprintf(stderr, "valise serve: warning: %s\n", vl_cli_esc(warn));

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &orig) != 0) {
        vl_cli_failx(&cli, "cannot block signals: %s", strerror(errno));
        goto out;
    }
    blocked = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    vl_web_t web = { .cli = &cli, .names = names, .page = vl_web_page,
                      .error = vl_req_error };
    snprintf(web.host, sizeof web.host, "%s", l.host);
    fd = s_socket(&cli, &l, listen_arg, &web.port);
    if (fd < 0)
        goto out;
    d = MHD_start_daemon(l.v6 ? MHD_USE_IPv6 : 0, 0, NULL, NULL, vl_web_handler, &web,
                         MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                         MHD_OPTION_END);
    if (!d) {
        vl_cli_failx(&cli, "cannot start the HTTP server on %s", listen_arg);
        goto out;
    }
    fd = -1; /* libmicrohttpd owns and closes it */
    printf("valise serve: http://%s:%u/ (Ctrl-C to stop)\n", l.host, web.port);
    fflush(stdout);
    if (s_loop(&cli, d, &orig) != VL_OK)
        goto out;
    ret = VL_EXIT_OK;
out:
    if (d)
        MHD_stop_daemon(d);
    if (fd >= 0)
        close(fd);
    vl_countries_free(&names);
    vl_cli_done(&cli);
    if (blocked)
        sigprocmask(SIG_SETMASK, &orig, NULL);
    return ret;
}
