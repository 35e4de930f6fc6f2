/* SPDX-License-Identifier: MIT */
/*
 * fuzz_record - libFuzzer harness for the record readers
 * (protocol/vl_record.c, docs/records.md): the input is JSON text for
 * vl_record_from_json_text (what `valise put` reads from a user's file) and,
 * separately, a body for vl_record_parse (what a proposal carries).
 * Contract: the codes of vl_record.h, a message on failure; an accepted
 * JSON's canonical body parses, and its JSON view encodes back to the same
 * body (round trip).
 */
#include "vl_record.c"

#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *body = NULL, *again = NULL;
    size_t bl = 0, al = 0;
    vl_record_t *r = NULL;
    int rc = vl_record_from_json_text((const char *)data, size, &body, &bl, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ESCHEMA, VL_ELIMIT);
    if (rc == VL_OK) {
        err[0] = '\0';
        rc = vl_record_parse(body, bl, &r, err);
        if (rc != VL_OK)
            fprintf(stderr, "accepted JSON, refused body: %s\n", err);
        FUZZ_CHECK(rc == VL_OK && r);
        json_t *j = vl_record_to_json(r);
        FUZZ_CHECK(j);
        rc = vl_record_from_json(j, &again, &al, err);
        if (rc != VL_OK)
            fprintf(stderr, "JSON view refused: %s\n", err);
        FUZZ_CHECK(rc == VL_OK && al == bl && memcmp(again, body, bl) == 0);
        json_decref(j);
        vl_record_destroy(&r);
    }
    free(body);
    free(again);

    err[0] = '\0';
    rc = vl_record_parse(data, size, &r, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ESCHEMA, VL_ELIMIT);
    FUZZ_CHECK((rc == VL_OK) == (r != NULL));
    vl_record_destroy(&r);
    return 0;
}
