/* SPDX-License-Identifier: MIT */
/*
 * vl_selftests - the module self-tests that tests/vl_selftest.c runs.
 *
 * Each returns 0 when every check passed, 1 otherwise (failed checks are
 * reported on stderr); verbose adds progress lines. Each lives in
 * tests/<layer>/test_<module>.c.
 */
#ifndef VL_SELFTESTS_H
#define VL_SELFTESTS_H

#include <stdbool.h>

int vl_codec_test(bool verbose);
int vl_compress_test(bool verbose);
int vl_crypto_test(bool verbose);
int vl_keyfile_test(bool verbose);
int vl_record_test(bool verbose);
int vl_root_test(bool verbose);
int vl_policy_test(bool verbose);
int vl_change_test(bool verbose);
int vl_run_test(bool verbose);
int vl_store_test(bool verbose);
int vl_msg_test(bool verbose);
int vl_fresh_test(bool verbose);
int vl_bundle_test(bool verbose);
int vl_bundle_store_test(bool verbose);
int vl_stage_test(bool verbose);

#endif
