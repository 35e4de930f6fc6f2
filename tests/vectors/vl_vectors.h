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

/** The vector file's network: genesis, content key, the approvers' and
 *  authorities' keys (from their seeds) and the link of entry 1. */
typedef struct {
    struct vl_policy *pol;
    uint8_t *ck, *link;
    struct vl_keypair *a1, *a2, *mu, *mg;
} vlv_net_t;
/** Read the network of the vector file f: VL_OK or VL_ENOTFOUND. */
int vlv_net(FILE *f, vlv_net_t *n);
void vlv_net_fini(vlv_net_t *n);
/** Print doc's header, tag, ciphertext, digest and signatures (vl_vectors.c). */
int s_sigs(const char *what, const uint8_t *doc, size_t len, const char *tag);

/** Print the proposal format 2 vectors (docs/formats.md §5, §10) on the
 *  network of the vector file at path: 0 or 1. */
int vlv_generate_v2(const char *path);
/** Check the proposal format 2 vectors of f: the number of failures. */
int vlv_check_v2(FILE *f);

/** Print the run vectors (docs/formats.md §6.1) made on the network of the
 *  vector file at path (its genesis, keys and content key): 0 or 1. */
int vlv_generate_run(const char *path);
/** Check the run vectors of f: the number of failures. */
int vlv_check_run(FILE *f);

#endif
