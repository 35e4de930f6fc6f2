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

#include "vl_log.h"
#include "vl_selftest_run.h"

int vl_config_test(bool verbose);
int vl_metrics_test(bool verbose);
int vl_peer_test(bool verbose);
int vl_transport_test(bool verbose);
int vl_twonode_test(bool verbose);

static const vl_selftest_t s_tests[] = {
    { "config",    vl_config_test },
    { "metrics",   vl_metrics_test },
    { "peer",      vl_peer_test },
    { "transport", vl_transport_test },
    { "twonode",   vl_twonode_test },
};

/* The node's modules log to stderr: errors only, everything with -v. */
static int
s_setup(bool verbose)
{
    return vl_log_open(verbose ? VL_LOG_DEBUG : VL_LOG_ERROR, NULL, NULL) == VL_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    return vl_selftest_main("vl_node_selftest", s_tests, sizeof s_tests / sizeof s_tests[0],
                            s_setup, argc, argv);
}
