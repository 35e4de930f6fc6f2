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
#include "vl_selftest_run.h"
#include "vl_selftests.h"

static const vl_selftest_t s_tests[] = {
    { "codec",   vl_codec_test },
    { "compress", vl_compress_test },
    { "crypto",  vl_crypto_test },
    { "keyfile", vl_keyfile_test },
    { "record",  vl_record_test },
    { "root",    vl_root_test },
    { "policy",  vl_policy_test },
    { "change",  vl_change_test },
    { "run",     vl_run_test },
    { "store",   vl_store_test },
    { "msg",     vl_msg_test },
    { "fresh",   vl_fresh_test },
    { "bundle",  vl_bundle_test },
    { "bundle_store", vl_bundle_store_test },
    { "stage", vl_stage_test },
};

int
main(int argc, char **argv)
{
    return vl_selftest_main("vl_selftest", s_tests, sizeof s_tests / sizeof s_tests[0], NULL,
                            argc, argv);
}
