/* SPDX-License-Identifier: MIT */
/*
 * vl_benchlog - the synthetic log of the single-node benchmarks (vl_bench,
 * vl_bundlebench; docs/performance.md): N approved entries, each one new
 * authority record of about 1.2 KB of canonical msgpack, proposed by the
 * test network's approver a1 and approved by a1 and a2 (three signatures per
 * entry), chained from the genesis of a vl_testnet. Bench code only.
 */
#ifndef VL_BENCHLOG_H
#define VL_BENCHLOG_H

#include <stddef.h>
#include <stdint.h>

#include "vl_testnet.h"

/** The States and functions the records use (queries of vl_bench). */
extern const char *const vl_bench_states[];
extern const size_t vl_bench_nstates;
extern const char *const vl_bench_functions[]; /**< 6 of them */

/** @brief The body of record i (id "<STATE>-<i, 6 digits>"; caller frees). */
int vl_bench_record(size_t i, uint8_t **body, size_t *len);

/** @brief Make n approved entries on t (entry i has seq i + 1).
 *  @param[out] entries, lens  n entries (caller frees each and the arrays).
 *  @param[out] body_bytes, entry_bytes  sums of record bodies and of encoded
 *              entries (either may be NULL).
 *  @return VL_OK or an error (a message on stderr). */
int vl_bench_make_log(const vl_testnet_t *t, size_t n, uint8_t ***entries, size_t **lens,
                      size_t *body_bytes, size_t *entry_bytes);

#endif
