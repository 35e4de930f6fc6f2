/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - shared by the decoder harnesses (fuzz_<target>.c).
 *
 * FUZZ_CHECK aborts whatever NDEBUG says, so libFuzzer records the input.
 * FUZZ_RC_IN(rc, ...) holds when rc is one of the listed codes: each harness
 * lists exactly the codes its decoder's header documents.
 * fuzz_vector() reads one "name=hex" item of tests/vectors/vectors.txt
 * (path VL_FUZZ_VECTORS, set by run.sh): the harnesses verify against the
 * vector file's test policies, so the seeds taken from it are accepted.
 */
#ifndef VL_FUZZ_COMMON_H
#define VL_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_policy.h"

#ifndef VL_FUZZ_VECTORS
#error "build with -DVL_FUZZ_VECTORS=\"path/to/tests/vectors/vectors.txt\" (tests/fuzz/run.sh)"
#endif

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static inline int
fuzz_rc_in(int rc, const int *ok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rc == ok[i])
            return 1;
    return 0;
}
#define FUZZ_RC_IN(rc, ...)                                                   \
    fuzz_rc_in((rc), (const int[]){ __VA_ARGS__ },                            \
               sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

/* rc is a documented code; a failure has a message. VL_FUZZ_VERBOSE=1 in
 * the environment prints every result (to see what the seeds reach). */
#define FUZZ_CONTRACT(rc, err, ...)                                           \
    do {                                                                      \
        if (getenv("VL_FUZZ_VERBOSE"))                                        \
            fprintf(stderr, "%s:%d: rc %d %s\n", __FILE__, __LINE__, (rc),     \
                    (rc) ? (err) : "");                                       \
        if (!FUZZ_RC_IN((rc), __VA_ARGS__))                                   \
            fprintf(stderr, "undocumented code %d: %s\n", (rc), (err));       \
        FUZZ_CHECK(FUZZ_RC_IN((rc), __VA_ARGS__));                            \
        FUZZ_CHECK((rc) == VL_OK || (err)[0] != '\0');                        \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes of vector `name` (malloc'd, *len set); aborts if missing. */
static __attribute__((unused)) uint8_t *
fuzz_vector(const char *name, size_t *len)
{
    FILE *f = fopen(VL_FUZZ_VECTORS, "r");
    FUZZ_CHECK(f);
    static char line[16384];
    size_t nl = strlen(name);
    uint8_t *out = NULL;
    while (!out && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, nl) != 0 || line[nl] != '=')
            continue;
        char *hex = line + nl + 1;
        hex[strcspn(hex, "\r\n")] = '\0';
        *len = strlen(hex) / 2;
        out = malloc(*len ? *len : 1);
        FUZZ_CHECK(out && vl_unhex(hex, out, *len) == VL_OK);
    }
    fclose(f);
    FUZZ_CHECK(out);
    return out;
}

/* A policy of the vector file, parsed once. */
static __attribute__((unused)) vl_policy_t *
fuzz_policy(const char *name)
{
    size_t len;
    char err[VL_ERRMSG_MAX] = "";
    vl_policy_t *pol = NULL;
    FUZZ_CHECK(vl_crypto_init() == VL_OK);
    uint8_t *doc = fuzz_vector(name, &len);
    if (vl_policy_parse(doc, len, 0, &pol, err) != VL_OK)
        fprintf(stderr, "%s: %s\n", name, err);
    FUZZ_CHECK(pol);
    free(doc);
    return pol;
}

#endif
