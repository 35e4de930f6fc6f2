/* SPDX-License-Identifier: MIT */
/*
 * vl_check - the tiny check macros the module self-tests share.
 *
 * VL_CHECK(cond) counts a failure (with file and line on stderr) and goes on,
 * so one run reports every broken check. A self-test declares
 * `int vl_test_failures = 0;` style state through VL_TEST_BEGIN and returns
 * VL_TEST_END.
 */
#ifndef VL_CHECK_H
#define VL_CHECK_H

#include <stdio.h>

#include "vl_error.h"

#define VL_TEST_BEGIN int vl_test_fails__ = 0
#define VL_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
            vl_test_fails__++;                                                \
        }                                                                     \
    } while (0)
#define VL_CHECK_RC(expr, want)                                               \
    do {                                                                      \
        int vl_rc__ = (expr);                                                 \
        if (vl_rc__ != (want)) {                                              \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d\n", __FILE__, \
                    __LINE__, #expr, vl_rc__, vl_strerror(vl_rc__), (want));  \
            vl_test_fails__++;                                                \
        }                                                                     \
    } while (0)
#define VL_TEST_END (vl_test_fails__ == 0 ? 0 : 1)

#endif
