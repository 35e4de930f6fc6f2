/* SPDX-License-Identifier: MIT */
/*
 * vl_bundle - the bundle file (docs/formats.md §11): "a peer that arrives on
 * a stick". Policy versions, log entries, the newest freshness statement,
 * fork evidence, pending proposals and rejections, each exactly as it
 * travels on the wire, in one signed, length-prefixed file; and the small
 * `want` file a receiver writes to say what it has.
 *
 * File: "VALISEBD", u32be format version (1), then items, each a u32be
 * length L (1 <= L <= VL_MAX_BUNDLE_ITEM) and L bytes of ONE canonical
 * msgpack map: item 0 the header, items 1..n the objects {"b","k"} (evidence
 * {"a","b","k"}), the last one the trailer {"hash","n","sig","type":"end"},
 * hash = H("valise/bundle/1", every byte before the trailer's length
 * prefix), sig = the maker's Ed25519 signature of that hash. Nothing follows.
 *
 * Writer: streams to a FILE*, hashing as it writes; the header's counts are
 * given up front and must match what is added. Reader: ONE checked path for
 * hostile bytes (vl_bundle_parse): magic, version, framing, the trailer, the
 * hash, the maker's signature (no secret key needed), then every item
 * through vl_codec with exact key sets, known kinds only, kinds in order,
 * counts equal to the header's, entries consecutive and equal to the
 * header's range. It does NOT judge the objects (signatures of entries,
 * membership of the maker, the network): that is the store's
 * (store/vl_store_bundle.c), with the live-peer rules.
 *
 * Thread safety: objects are not shared.
 */
#ifndef VL_BUNDLE_H
#define VL_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"

/** The bundle and want file format version this code writes and reads. */
#define VL_BUNDLE_FORMAT 1u
#define VL_BUNDLE_MAGIC  "VALISEBD"
#define VL_WANT_MAGIC    "VALISEWT"
/** Bytes of magic + version before the first item. */
#define VL_BUNDLE_PREFIX 12u
/** The hash tag of the trailer. */
#define VL_BUNDLE_TAG    "valise/bundle/1"

/** Object kinds, in the order a bundle carries them. */
typedef enum {
    VL_BK_POLICY = 0, VL_BK_ENTRY, VL_BK_FRESH, VL_BK_EVIDENCE, VL_BK_PROPOSAL,
    VL_BK_REJECTION, VL_BK_N
} vl_bkind_t;

/** @brief "policy", "entry", "fresh", "evidence", "proposal", "rejection". */
const char *vl_bundle_kind_name(vl_bkind_t k);

/** The header (item 0). Plain data. */
typedef struct {
    uint8_t net[VL_NETID_LEN];     /**< network id */
    char name[VL_MAX_NAME + 1];    /**< network name (display only) */
    uint8_t maker[VL_PK_LEN];      /**< the maker's Ed25519 key: it signs the trailer */
    uint64_t time;                 /**< when it was made, Unix seconds */
    uint64_t policy;               /**< newest policy version carried, or the maker's */
    uint64_t from, to;             /**< entry seqs carried (0, 0: none) */
    uint64_t counts[VL_BK_N];      /**< objects of each kind */
} vl_bundle_hdr_t;

/** One object. Borrowed from the buffer given to vl_bundle_parse. */
typedef struct {
    vl_bkind_t kind;
    const uint8_t *a;  /**< the object (evidence: the first entry) */
    size_t alen;
    const uint8_t *b;  /**< evidence: the second entry; else NULL */
    size_t blen;
} vl_bundle_item_t;

/* ---- writer ------------------------------------------------------------------- */

typedef struct vl_bundle_wr vl_bundle_wr_t;

/** @brief Start a bundle on f (borrowed, open for writing): magic, version
 *  and the header item. h->counts must be what will be added.
 *  @return VL_OK, VL_EINVAL (a bad header: counts over the limit, a range
 *          that does not match counts[VL_BK_ENTRY], a name too long),
 *          VL_EIO, VL_ENOMEM. */
int vl_bundle_wr_start(FILE *f, const vl_bundle_hdr_t *h, vl_bundle_wr_t **out, char *err);
/** @brief Add one object (b, blen: the second entry of evidence, else NULL, 0).
 *  Kinds must come in vl_bkind_t order and within the header's counts.
 *  @return VL_OK, VL_EINVAL, VL_ELIMIT (an object too large), VL_EIO, VL_ENOMEM. */
int vl_bundle_wr_add(vl_bundle_wr_t *w, vl_bkind_t k, const uint8_t *a, size_t alen,
                     const uint8_t *b, size_t blen, char *err);
/** @brief Write the trailer signed with kp (the header's maker) and flush.
 *  @param[out] size  Bytes written in all (may be NULL).
 *  @return VL_OK, VL_EINVAL (counts not met, kp is not the maker), VL_EIO. */
int vl_bundle_wr_finish(vl_bundle_wr_t *w, const vl_keypair_t *kp, uint64_t *size, char *err);
/** @brief Free the writer (not the FILE). NULL-safe. */
void vl_bundle_wr_destroy(vl_bundle_wr_t **w);

/* ---- reader ------------------------------------------------------------------- */

typedef struct vl_bundle vl_bundle_t;

/** @brief Check a whole bundle file held in buf[len] (borrowed: it must
 *  outlive the bundle). See the file comment for the checks, in that order.
 *  Messages: "not a bundle (bad magic)", "bundle format version N is not
 *  supported", "bundle truncated at byte N", "bundle damaged: ...",
 *  "bundle signature does not verify".
 *  @return VL_OK, VL_EPROTO (not a bundle, unsupported version, truncated,
 *          malformed framing or item), VL_EAUTH (hash mismatch: damaged;
 *          bad signature), VL_ELIMIT, VL_ENOMEM. */
int vl_bundle_parse(const uint8_t *buf, size_t len, vl_bundle_t **out, char *err);
void vl_bundle_destroy(vl_bundle_t **self_p);
const vl_bundle_hdr_t *vl_bundle_hdr(const vl_bundle_t *self);
/** @brief Number of objects (items between the header and the trailer). */
size_t vl_bundle_count(const vl_bundle_t *self);
/** @brief Object i < vl_bundle_count(). */
void vl_bundle_item(const vl_bundle_t *self, size_t i, vl_bundle_item_t *out);
/** @brief The hash the trailer carries (what the maker signed). */
const uint8_t *vl_bundle_hash(const vl_bundle_t *self);

/* ---- want files ------------------------------------------------------------------ */

/** What a receiver has (docs/formats.md §11.5). Plain data. */
typedef struct {
    uint8_t net[VL_NETID_LEN];
    uint64_t head;                 /**< head seq */
    uint8_t hash[VL_HASH_LEN];     /**< head hash (the link of entry head) */
    uint64_t policy;               /**< current policy version */
    uint64_t fresh;                /**< issued time of the newest statement, 0: none */
    uint64_t time;                 /**< when the want was written */
} vl_want_t;

/** @brief Encode a want file: "VALISEWT", u32be version, u32be length, map.
 *  @return VL_OK, VL_ENOMEM. */
int vl_want_write(const vl_want_t *w, uint8_t **out, size_t *len);
/** @brief Decode a want file (hostile bytes).
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM. */
int vl_want_parse(const uint8_t *buf, size_t len, vl_want_t *out, char *err);

#endif
