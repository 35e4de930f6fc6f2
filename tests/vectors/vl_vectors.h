/* SPDX-License-Identifier: MIT */
/*
 * vl_vectors - what the files of the vector tool share (test code only).
 */
#ifndef VL_VECTORS_H
#define VL_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Print "name=hex". */
void s_hexline(const char *name, const uint8_t *p, size_t len);
/** Read "name=hex" of FILE into a malloc'd buffer (NULL: absent). */
uint8_t *s_get(FILE *f, const char *name, size_t *len);

/** Print the run vectors (docs/formats.md §6.1) made on the network of the
 *  vector file at path (its genesis, keys and content key): 0 or 1. */
int vlv_generate_run(const char *path);
/** Check the run vectors of f: the number of failures. */
int vlv_check_run(FILE *f);

#endif
