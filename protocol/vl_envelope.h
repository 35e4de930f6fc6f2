/* SPDX-License-Identifier: MIT */
/*
 * vl_envelope - the signed envelope {"hdr": bin, "sig": bin64} shared by the
 * single-signer documents (freshness statements, rejections).
 *
 * "hdr" is the canonical msgpack of the document's header map; "sig" is the
 * Ed25519 signature of the signer over H(tag, hdr), where tag is the domain
 * tag of the document type ("valise/fresh/1", "valise/rejection/1"). The
 * envelope knows nothing of the header's keys or of who may sign: the
 * document modules check those, then call vl_envelope_verify with the
 * signer's key.
 *
 * Decoding order for hostile bytes: the outer document through vl_codec
 * (canonical, exact key set {hdr, sig}, depth limit), "hdr" a bin of at most
 * hdr_max bytes, "sig" exactly VL_SIG_LEN bytes, then the header through
 * vl_codec (canonical, same depth limit) and it must be a map.
 *
 * vl_envelope_peek_uint reads one unsigned header field of any document
 * whose top level is a map with a "hdr" bin (an envelope, an entry, a
 * policy) without verifying anything: for routing, never for trust.
 *
 * Thread safety: pure functions; an opened envelope is not shared.
 */
#ifndef VL_ENVELOPE_H
#define VL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "vl_codec.h"
#include "vl_crypto.h"
#include "vl_error.h"

/** An opened (decoded, not yet verified) envelope. Fill with
 *  vl_envelope_open, release with vl_envelope_close. */
typedef struct {
    vl_doc_t *doc;              /**< the outer document */
    vl_doc_t *hdoc;             /**< the header document */
    vl_val_t hdr;               /**< the header map (borrowed from hdoc) */
    const uint8_t *hb;          /**< the header bytes (borrowed from doc) */
    size_t hlen;
    uint8_t sig[VL_SIG_LEN];
} vl_envelope_t;

/** @brief Sign a header and wrap it: {"hdr": hdr, "sig": sign(kp, H(tag, hdr))}.
 *  @param[in] hdr,hdr_len  The canonical header bytes.
 *  @param[out] out,out_len  New buffer the caller frees (NULL/0 on failure).
 *  @return VL_OK, VL_ELIMIT (over VL_MAX_DOC), VL_ENOMEM. */
int vl_envelope_seal(const char *tag, const uint8_t *hdr, size_t hdr_len,
                     const vl_keypair_t *kp, uint8_t **out, size_t *out_len);

/** @brief Decode an envelope (hostile bytes, see the file comment). Nothing
 *  is verified. On success env holds the header; close it after use. On
 *  failure env is closed already.
 *  @param[in] max_depth  Nesting limit of both documents (0 = VL_MAX_DEPTH).
 *  @param[in] hdr_max  Largest header accepted, in bytes.
 *  @param[in] what  The document's name in messages ("fresh", "rejection").
 *  @return VL_OK, VL_EPROTO, VL_ELIMIT, VL_ENOMEM. */
int vl_envelope_open(vl_envelope_t *env, const uint8_t *buf, size_t len, unsigned max_depth,
                     size_t hdr_max, const char *what, char *err);

/** @brief Verify the signature of an opened envelope by pk over H(tag, hdr).
 *  @return VL_OK or VL_EAUTH (no message: the caller names the document). */
int vl_envelope_verify(const vl_envelope_t *env, const char *tag,
                       const uint8_t pk[VL_PK_LEN]);

/** @brief Release what vl_envelope_open holds. Idempotent. */
void vl_envelope_close(vl_envelope_t *env);

/** @brief The unsigned header field `key` of a {"hdr": bin, ...} document,
 *  through the checked codec, verifying nothing.
 *  @return VL_OK, VL_EPROTO (malformed, no "hdr" bin, no such uint field),
 *          VL_ELIMIT, VL_ENOMEM. */
int vl_envelope_peek_uint(const uint8_t *buf, size_t len, const char *key, uint64_t *out,
                          char *err);

#endif
