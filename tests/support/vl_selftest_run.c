/* SPDX-License-Identifier: MIT */
/* vl_selftest_run - the runners' shared command line (see vl_selftest_run.h). */
#include "vl_selftest_run.h"

#include <stdio.h>
#include <string.h>

#include "vl_crypto.h"

int
vl_selftest_main(const char *prog, const vl_selftest_t *tests, size_t n,
                 int (*setup)(bool verbose), int argc, char **argv)
{
    const char *only = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--test") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else {
            fprintf(stderr, "usage: %s [--test NAME] [-v]\n", prog);
            return 2;
        }
    }
    if (vl_crypto_init() != VL_OK) {
        fprintf(stderr, "%s: libsodium failed to initialise\n", prog);
        return 1;
    }
    if (setup && setup(verbose) != 0) {
        fprintf(stderr, "%s: set-up failed\n", prog);
        return 1;
    }
    int run = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, tests[i].name) != 0)
            continue;
        run++;
        int rc = tests[i].fn(verbose);
        printf("%-9s %s\n", tests[i].name, rc == 0 ? "ok" : "FAILED");
        if (rc != 0)
            failed++;
    }
    if (run == 0) {
        fprintf(stderr, "%s: no such test: %s\n", prog, only ? only : "(none)");
        return 2;
    }
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
