/* SPDX-License-Identifier: MIT */
/*
 * vl_selftest - runs the self-test of one module (or all of them).
 *
 *   vl_selftest --test codec [-v]     one module (what ctest runs)
 *   vl_selftest [-v]                  every module
 *
 * Each module has a self-test `int vl_<module>_test(bool verbose)` returning 0
 * when every check passed (tests/support/vl_selftests.h); the table below is
 * the only list of what runs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vl_selftests.h"

static const struct {
    const char *name;
    int (*fn)(bool verbose);
} s_tests[] = {
    { "codec",   vl_codec_test },
    { "crypto",  vl_crypto_test },
    { "keyfile", vl_keyfile_test },
    { "record",  vl_record_test },
    { "root",    vl_root_test },
    { "policy",  vl_policy_test },
    { "change",  vl_change_test },
    { "store",   vl_store_test },
    { "msg",     vl_msg_test },
    { "fresh",   vl_fresh_test },
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
            fprintf(stderr, "usage: vl_selftest [--test NAME] [-v]\n");
            return 2;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    int run = 0, failed = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) {
        if (only && strcmp(only, s_tests[i].name) != 0)
            continue;
        run++;
        int rc = s_tests[i].fn(verbose);
        printf("%-8s %s\n", s_tests[i].name, rc == 0 ? "ok" : "FAILED");
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
