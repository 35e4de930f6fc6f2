/* SPDX-License-Identifier: MIT */
/*
 * vl_selftest_run - the command line of a self-test runner (vl_selftest,
 * vl_node_selftest):
 *
 *   RUNNER --test NAME [-v]     one test (what ctest runs)
 *   RUNNER [-v]                 every test of the table
 *
 * It prints one line per test ("name ok" / "name FAILED") and a closing
 * "N passed, N failed". Exit status: 0 all passed, 1 a test failed or the
 * set-up failed, 2 a usage error or no such test.
 */
#ifndef VL_SELFTEST_RUN_H
#define VL_SELFTEST_RUN_H

#include <stdbool.h>
#include <stddef.h>

/** One self-test: returns 0 when every check passed. */
typedef struct {
    const char *name;
    int (*fn)(bool verbose);
} vl_selftest_t;

/** @brief Parse argv, initialise libsodium, call setup(verbose) if not NULL
 *  (0 = ok), then run the chosen tests of the table of n.
 *  @return the process exit status. */
int vl_selftest_main(const char *prog, const vl_selftest_t *tests, size_t n,
                     int (*setup)(bool verbose), int argc, char **argv);

#endif
