/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config - libFuzzer harness for the node configuration reader
 * (vl_config_parse, node/vl_config.c, docs/node.md): the input is the file's
 * text; relative paths resolve against a fixed base directory.
 * Contract: VL_OK, VL_ELIMIT or VL_EINVAL (the codes of vl_config.h that do
 * not come from opening the file) with a message on failure, a config
 * exactly on success with its store and key paths set.
 */
#include "vl_config.c"

#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_config_t *c = NULL;
    int rc = vl_config_parse((const char *)data, size, "/var/lib/valise-fuzz", &c, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_ELIMIT, VL_EINVAL);
    FUZZ_CHECK((rc == VL_OK) == (c != NULL));
    if (c)
        FUZZ_CHECK(c->store && c->key);
    vl_config_destroy(&c);
    return 0;
}
