/* SPDX-License-Identifier: MIT */
/*
 * vl_msg - the messages of the sync protocol (docs/protocol.md §2): the only
 * code that turns a ZeroMQ frame into a typed message and back.
 *
 * Every frame is one canonical msgpack map with at least "t" (the message
 * type, str) and "v" (the protocol version, uint). Decoding goes through
 * vl_codec (canonical form, depth, sizes) and then checks, per type, the
 * exact set of keys, the type and size of every field and every count
 * against vl_limits.h, before anything is allocated from a peer number.
 * A decoded message holds borrowed views (entries, proposals, rejections)
 * into its own copy of the frame: they live until the message is destroyed.
 *
 * Nothing here judges the *content* of what is carried (entries, proposals,
 * rejections are opaque bytes): the store verifies them.
 *
 * Thread safety: a vl_msg_t is used by one thread; distinct messages may be
 * used from distinct threads.
 */
#ifndef VL_MSG_H
#define VL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_limits.h"

/** The protocol version this code speaks ("v"). */
#define VL_PROTO_VERSION 1u

/** Largest frame accepted from a connection before its first valid `hello`
 *  (the pre-hello limit, P8): a hello is 172 to 212 bytes (every number
 *  at 2^64-1); 512 leaves room for a later version's extra fields while
 *  keeping unidentified input small. (Kept here with the message
 *  definitions; a candidate for vl_limits.h.) */
#define VL_MSG_PREHELLO_MAX 512u
/** Longest `error` text on the wire (the receiver logs it). */
#define VL_MSG_ERRTEXT_MAX 255u
/** Largest single proposal or rejection carried in `props` (a proposal is
 *  bounded by its payload plus headers, like an entry). */
#define VL_MSG_OBJECT_MAX VL_MAX_ENTRY

#if VL_MSG_PREHELLO_MAX > VL_MAX_FRAME
#error "the pre-hello limit must be below the frame limit"
#endif

typedef enum {
    VL_MSG_HELLO = 1,   /**< summary of the sender's replica */
    VL_MSG_GET,         /**< request entries from .. from+max-1 */
    VL_MSG_ENTRIES,     /**< consecutive entries answering a get */
    VL_MSG_HAVE,        /**< the sender's pending proposal ids */
    VL_MSG_PROPS,       /**< proposals and rejections the receiver lacks */
    VL_MSG_ERROR,       /**< why the sender is about to drop the connection */
    VL_MSG_POLICIES,    /**< consecutive policy versions the receiver lacks */
    VL_MSG_FRESH,       /**< the sender's newest freshness statement */
    VL_MSG_EVIDENCE,    /**< two valid entries at one seq (docs/trust.md §5) */
} vl_msg_type_t;

/** A node's summary, the body of `hello`. Plain data carrier: the node
 *  builds it, copies it and compares it field by field. */
typedef struct {
    uint8_t net[VL_NETID_LEN];     /**< network id */
    uint8_t policy[VL_HASH_LEN];   /**< hash of the policy the sender runs */
    uint64_t seq;                  /**< head seq (0: empty log) */
    uint8_t head[VL_HASH_LEN];     /**< head entry hash (policy hash when empty) */
    uint64_t pn;                   /**< number of pending proposals */
    uint8_t pd[VL_HASH_LEN];       /**< digest of the sorted pending ids */
    uint64_t pv;                   /**< current policy version (>= 1) */
    uint64_t fi;                   /**< `issued` of the newest freshness statement held, 0 none */
    uint64_t ev;                   /**< number of forks in the sender's evidence */
} vl_hello_t;

typedef struct vl_msg vl_msg_t;

/* ---- decoding ------------------------------------------------------------------ */

/** @brief Decode and validate one frame received from a peer.
 *  @param[in]  buf,len  The frame; copied, so it may be freed afterwards.
 *  @param[out] out  New message the caller destroys; NULL on failure.
 *  @param[out] err  Optional VL_ERRMSG_MAX detail ("entries: e[3] is not a
 *                   bin"); for an unsupported version the text is
 *                   "protocol version N not supported", meant to be sent
 *                   back in `error`.
 *  @return VL_OK; VL_EPROTO (not canonical msgpack, not a map, unknown "t",
 *          wrong "v", missing or extra key, wrong type or size of a field,
 *          inconsistent numbers); VL_ELIMIT (frame, count or byte total over
 *          vl_limits.h); VL_ENOMEM. */
int vl_msg_decode(const uint8_t *buf, size_t len, vl_msg_t **out, char *err)
    __attribute__((warn_unused_result));

/** @brief Destroy a message and set *self_p to NULL. NULL-safe, idempotent. */
void vl_msg_destroy(vl_msg_t **self_p);

vl_msg_type_t vl_msg_type(const vl_msg_t *self);
/** @brief "hello", "get", ... (static string; "?" for an unknown value). */
const char *vl_msg_type_name(vl_msg_type_t type);

/** @brief The summary of a `hello` (borrowed), NULL for another type. */
const vl_hello_t *vl_msg_hello(const vl_msg_t *self);

/** @brief `get`: first seq (>= 1) and count (1..VL_SYNC_BATCH). 0 for another type. */
uint64_t vl_msg_get_from(const vl_msg_t *self);
uint64_t vl_msg_get_max(const vl_msg_t *self);

/** @brief `entries`: seq of the first entry (>= 1), the sender's head seq,
 *  and the number of entries (<= VL_SYNC_BATCH; from + n - 1 <= seq). */
uint64_t vl_msg_entries_from(const vl_msg_t *self);
uint64_t vl_msg_entries_seq(const vl_msg_t *self);
size_t vl_msg_entries_count(const vl_msg_t *self);
/** @brief Entry i (0-based) of an `entries` message: borrowed bytes valid
 *  until the message is destroyed, 1..VL_MAX_ENTRY long. NULL if out of range. */
const uint8_t *vl_msg_entry(const vl_msg_t *self, size_t i, size_t *len);

/** @brief `have`: number of ids (<= VL_MAX_PENDING, strictly increasing) and
 *  id i (borrowed, VL_HASH_LEN bytes; NULL if out of range). */
size_t vl_msg_have_count(const vl_msg_t *self);
const uint8_t *vl_msg_have_id(const vl_msg_t *self, size_t i);

/** @brief `props`: proposals and rejections (each <= VL_MAX_PENDING, every
 *  item 1..VL_MSG_OBJECT_MAX bytes). Borrowed like vl_msg_entry. */
size_t vl_msg_props_count(const vl_msg_t *self);
const uint8_t *vl_msg_prop(const vl_msg_t *self, size_t i, size_t *len);
size_t vl_msg_rejections_count(const vl_msg_t *self);
const uint8_t *vl_msg_rejection(const vl_msg_t *self, size_t i, size_t *len);

/** @brief `error`: the sender's VL_E* code and its text (NUL-terminated,
 *  valid UTF-8 without NUL, <= VL_MSG_ERRTEXT_MAX bytes, may hold control
 *  characters: sanitise before printing). 0 / NULL for another type. */
int vl_msg_error_code(const vl_msg_t *self);
const char *vl_msg_error_text(const vl_msg_t *self);

/** @brief `policies`: number of documents (1..VL_MAX_POLICY_PUSH) and
 *  document i (1..VL_MAX_POLICY bytes, borrowed like vl_msg_entry). */
size_t vl_msg_policies_count(const vl_msg_t *self);
const uint8_t *vl_msg_policy(const vl_msg_t *self, size_t i, size_t *len);
/** @brief `fresh`: the statement (1..VL_FRESH_MAX bytes), NULL for another type. */
const uint8_t *vl_msg_fresh(const vl_msg_t *self, size_t *len);
/** @brief `evidence`: entry 0 ("a") or 1 ("b"), each 1..VL_MAX_ENTRY bytes;
 *  NULL for another type or which > 1. */
const uint8_t *vl_msg_evidence(const vl_msg_t *self, int which, size_t *len);

/* ---- encoding ------------------------------------------------------------------ */
/* Each encoder returns a new malloc'd canonical frame in *out (caller frees)
 * and its length, or an error with *out = NULL. Arguments outside the limits
 * the decoder enforces are refused with VL_EINVAL / VL_ELIMIT, so that what
 * we send always decodes on the other side. */

/** @return VL_OK, VL_ENOMEM. */
int vl_msg_encode_hello(const vl_hello_t *h, uint8_t **out, size_t *len);
/** @return VL_OK, VL_EINVAL (from 0, max 0 or above VL_SYNC_BATCH), VL_ENOMEM. */
int vl_msg_encode_get(uint64_t from, uint64_t max, uint8_t **out, size_t *len);
/** @brief n entries starting at seq from; seq is our head.
 *  @return VL_OK, VL_EINVAL (from 0, an empty or oversized entry, from+n-1 >
 *          seq), VL_ELIMIT (n > VL_SYNC_BATCH or total > VL_SYNC_BYTES), VL_ENOMEM. */
int vl_msg_encode_entries(uint64_t from, uint64_t seq, const uint8_t *const *e,
                          const size_t *lens, size_t n, uint8_t **out, size_t *len);
/** @brief ids must be strictly increasing.
 *  @return VL_OK, VL_EINVAL (not sorted), VL_ELIMIT (n > VL_MAX_PENDING), VL_ENOMEM. */
int vl_msg_encode_have(const uint8_t (*ids)[VL_HASH_LEN], size_t n, uint8_t **out,
                       size_t *len);
/** @return VL_OK, VL_EINVAL (empty or oversized item), VL_ELIMIT (a count
 *          over VL_MAX_PENDING, or more than VL_SYNC_BYTES in all), VL_ENOMEM. */
int vl_msg_encode_props(const uint8_t *const *p, const size_t *plens, size_t np,
                        const uint8_t *const *r, const size_t *rlens, size_t nr,
                        uint8_t **out, size_t *len);
/** @return VL_OK, VL_EINVAL (n 0, an empty or oversized document), VL_ELIMIT
 *          (n > VL_MAX_POLICY_PUSH, more than VL_SYNC_BYTES in all), VL_ENOMEM. */
int vl_msg_encode_policies(const uint8_t *const *docs, const size_t *lens, size_t n,
                           uint8_t **out, size_t *len);
/** @return VL_OK, VL_EINVAL (empty or over VL_FRESH_MAX), VL_ENOMEM. */
int vl_msg_encode_fresh(const uint8_t *stmt, size_t slen, uint8_t **out, size_t *len);
/** @return VL_OK, VL_EINVAL (an empty or oversized entry), VL_ENOMEM. */
int vl_msg_encode_evidence(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                           uint8_t **out, size_t *len);
/** @brief text is cut to VL_MSG_ERRTEXT_MAX bytes (at a UTF-8 boundary);
 *  bytes that are not printable ASCII are replaced by '?'.
 *  @return VL_OK, VL_ENOMEM. */
int vl_msg_encode_error(int code, const char *text, uint8_t **out, size_t *len);

#endif
