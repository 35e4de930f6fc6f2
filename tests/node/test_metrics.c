/* SPDX-License-Identifier: MIT */
/*
 * test_metrics - self-test of node/vl_metrics.c: the exposition text (label
 * values escaped whatever bytes they hold), the loopback-only address check
 * (also through the "metrics" config key), and the endpoint itself, driven
 * the way the node drives it (its descriptor polled, vl_metrics_run called
 * on this thread) while a client thread sends raw HTTP requests.
 * Run by vl_node_selftest --test metrics.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vl_check.h"
#include "vl_config.h"
#include "vl_metrics.h"

int vl_metrics_test(bool verbose);

static void
s_render(void *ctx, vl_mtext_t *b)
{
    int *calls = ctx;
    const char *l[] = { "peer", "tcp://x\"y\\z\nw", NULL };
    (*calls)++;
    vl_mtext_family(b, "valise_test", "gauge", "A test.");
    vl_mtext_sample_u(b, "valise_test", l, 42);
}

typedef struct {
    unsigned port;
    const char *request;
    char reply[4096];
    size_t len;
} s_client_t;

static void *
s_client(void *arg)
{
    s_client_t *c = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, c->request, strlen(c->request)) == (ssize_t)strlen(c->request)) {
        ssize_t n;
        while (c->len + 1 < sizeof c->reply &&
               (n = read(fd, c->reply + c->len, sizeof c->reply - 1 - c->len)) > 0)
            c->len += (size_t)n;
    }
    c->reply[c->len] = '\0';
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* One request against m, served from this thread as the node serves it. */
static void
s_request(vl_metrics_t *m, s_client_t *c)
{
    pthread_t th;
    c->port = vl_metrics_port(m);
    c->len = 0;
    if (pthread_create(&th, NULL, s_client, c) != 0)
        return;
    for (int i = 0; i < 400; i++) {
        struct pollfd p = { vl_metrics_fd(m), POLLIN, 0 };
        (void)poll(&p, 1, 10);
        vl_metrics_run(m);
        if (c->len > 0 && strstr(c->reply, "\r\n\r\n"))
            break;
    }
    for (int i = 0; i < 20; i++) {
        vl_metrics_run(m);
        usleep(5000);
    }
    pthread_join(th, NULL);
}

int
vl_metrics_test(bool verbose)
{
    VL_TEST_BEGIN;
    char err[VL_ERRMSG_MAX] = "";

    /* The text: escaping of label values. */
    vl_mtext_t b = { NULL, 0, 0, false };
    const char *l[] = { "peer", "a\"b\\c\nd\x01" "e\xff" "f\xc3\xa9", "x", "1", NULL };
    vl_mtext_family(&b, "valise_x", "counter", "Help text.");
    vl_mtext_sample_u(&b, "valise_x", l, 18446744073709551615ull);
    vl_mtext_sample_i(&b, "valise_y", NULL, -3);
    VL_CHECK(!b.failed && b.data);
    if (b.data)
        VL_CHECK(strcmp(b.data, "# HELP valise_x Help text.\n# TYPE valise_x counter\n"
                                "valise_x{peer=\"a\\\"b\\\\c\\nd?e?f\xc3\xa9\",x=\"1\"} "
                                "18446744073709551615\nvalise_y -3\n") == 0);
    if (verbose && b.data)
        fputs(b.data, stdout);
    free(b.data);

    /* The address: loopback only. */
    VL_CHECK_RC(vl_metrics_check_addr("127.0.0.1:9464", err), VL_OK);
    VL_CHECK_RC(vl_metrics_check_addr("127.1.2.3:0", err), VL_OK);
    VL_CHECK_RC(vl_metrics_check_addr("[::1]:9464", err), VL_OK);
    static const char *const bad[] = { "0.0.0.0:9464", "10.0.0.1:9464", "[::]:9464",
                                       "localhost:9464", "127.0.0.1", "127.0.0.1:", ":9464",
                                       "127.0.0.1:65536", "127.0.0.1:9x", "[::1:9464",
                                       "128.0.0.1:1", "[::ffff:127.0.0.1]:1", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = vl_metrics_check_addr(bad[i], err);
        if (rc != VL_EINVAL || !strstr(err, "\"metrics\"")) {
            fprintf(stderr, "metrics address \"%s\": %d \"%s\"\n", bad[i], rc, err);
            VL_CHECK(false);
        }
    }
    err[0] = '\0';
    VL_CHECK_RC(vl_metrics_check_addr("0.0.0.0:9464", err), VL_EINVAL);
    VL_CHECK(strstr(err, "not a loopback address") != NULL);

    /* The config key. */
    vl_config_t *c = NULL;
    static const char on[] = "{\"store\": \"s\", \"key\": \"k\", \"metrics\": \"127.0.0.1:9464\"}";
    VL_CHECK_RC(vl_config_parse(on, strlen(on), ".", &c, err), VL_OK);
    VL_CHECK(c && c->metrics && strcmp(c->metrics, "127.0.0.1:9464") == 0);
    vl_config_destroy(&c);
    static const char off[] = "{\"store\": \"s\", \"key\": \"k\"}";
    VL_CHECK_RC(vl_config_parse(off, strlen(off), ".", &c, err), VL_OK);
    VL_CHECK(c && c->metrics == NULL);
    vl_config_destroy(&c);
    static const char wide[] = "{\"store\": \"s\", \"key\": \"k\", \"metrics\": \"0.0.0.0:9464\"}";
    err[0] = '\0';
    VL_CHECK_RC(vl_config_parse(wide, strlen(wide), ".", &c, err), VL_EINVAL);
    VL_CHECK(c == NULL && strstr(err, "not a loopback address") != NULL);

    /* The endpoint, on a free port. */
    int calls = 0;
    vl_metrics_t *m = NULL;
    VL_CHECK_RC(vl_metrics_new("127.0.0.1:0", s_render, &calls, &m, err), VL_OK);
    if (m) {
        VL_CHECK(vl_metrics_port(m) > 0 && vl_metrics_fd(m) >= 0);
        s_client_t cl;
        cl.request = "GET /metrics HTTP/1.0\r\n\r\n";
        s_request(m, &cl);
        VL_CHECK(strncmp(cl.reply, "HTTP/1.0 200", 12) == 0 || strncmp(cl.reply, "HTTP/1.1 200", 12) == 0);
        VL_CHECK(strstr(cl.reply, "text/plain; version=0.0.4") != NULL);
        VL_CHECK(strstr(cl.reply, "valise_test{peer=\"tcp://x\\\"y\\\\z\\nw\"} 42\n") != NULL);
        VL_CHECK(calls == 1 && vl_metrics_scrapes(m) == 1);
        cl.request = "GET /other HTTP/1.0\r\n\r\n";
        s_request(m, &cl);
        VL_CHECK(strstr(cl.reply, " 404 ") != NULL);
        cl.request = "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc";
        s_request(m, &cl);
        VL_CHECK(strstr(cl.reply, " 405 ") != NULL);
        VL_CHECK(calls == 1);
        if (verbose)
            printf("metrics: served on 127.0.0.1:%u\n", vl_metrics_port(m));
    }
    vl_metrics_destroy(&m);
    err[0] = '\0';
    VL_CHECK_RC(vl_metrics_new("10.1.2.3:9464", s_render, &calls, &m, err), VL_EINVAL);
    VL_CHECK(m == NULL);
    if (verbose)
        printf("metrics: ok\n");
    return VL_TEST_END;
}
