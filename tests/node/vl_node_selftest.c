/* SPDX-License-Identifier: MIT */
/*
 * vl_node_selftest - runs the self-tests of the node's modules (node/),
 * which live here, out of the valise-node binary.
 *
 *   vl_node_selftest --test config [-v]   one test (what ctest runs)
 *   vl_node_selftest [-v]                 every test
 *
 * Each test is `int vl_<name>_test(bool verbose)` in tests/node/test_<name>.c,
 * returning 0 when every check passed; the table below is the only list.
 * Log lines of the node's modules go to stderr at error level (debug with -v).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vl_crypto.h"
#include "vl_log.h"

int vl_config_test(bool verbose);
int vl_peer_test(bool verbose);
int vl_transport_test(bool verbose);
int vl_twonode_test(bool verbose);

static const struct {
    const char *name;
    int (*fn)(bool verbose);
} s_tests[] = {
    { "config",    vl_config_test },
    { "peer",      vl_peer_test },
    { "transport", vl_transport_test },
    { "twonode",   vl_twonode_test },
};

int
main(int argc, char **argv)
{
    const char *only = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--test") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else {
            fprintf(stderr, "usage: vl_node_selftest [--test NAME] [-v]\n");
            return 2;
        }
    }
    if (vl_crypto_init() != VL_OK) {
        fprintf(stderr, "libsodium failed to initialise\n");
        return 1;
    }
    vl_log_open(verbose ? VL_LOG_DEBUG : VL_LOG_ERROR, NULL, NULL);
    int run = 0, failed = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) {
        if (only && strcmp(only, s_tests[i].name) != 0)
            continue;
        run++;
        int rc = s_tests[i].fn(verbose);
        printf("%-9s %s\n", s_tests[i].name, rc == 0 ? "ok" : "FAILED");
        if (rc != 0)
            failed++;
    }
    if (run == 0) {
        fprintf(stderr, "no such test: %s\n", only ? only : "(none)");
        return 2;
    }
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
