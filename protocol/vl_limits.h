/* SPDX-License-Identifier: MIT */
/*
 * vl_limits - every size, depth and count limit of valise, in one place.
 *
 * Decoders check these *before* allocating. Each limit says why it has the
 * value it has; the #error guards catch edits that would make the others
 * inconsistent. The wire limits (frames, batches, peers) are here too, with
 * tighter values before a peer is authenticated.
 */
#ifndef VL_LIMITS_H
#define VL_LIMITS_H

/* ---- canonical msgpack documents ---------------------------------------- */

/** Largest encoded document accepted by the codec: a genesis with ~2000
 *  members and their sealed content keys is ~300 KiB; 1 MiB leaves room and
 *  matches the ZMQ_MAXMSGSIZE the node will set. */
#define VL_MAX_DOC            (1024u * 1024u)
/** Deepest nesting: a record is at most 4 levels (record > persons > person >
 *  languages); 8 leaves room without letting a hostile input recurse. */
#define VL_MAX_DEPTH          8
/** Most elements in one array or map. */
#define VL_MAX_CONTAINER      4096u
/** Longest str accepted anywhere (a free-text field in one language). */
#define VL_MAX_STR            (16u * 1024u)

/* ---- records --------------------------------------------------------------- */

/** Largest record body (canonical msgpack); a full authority record with
 *  several languages is ~2-4 KiB. */
#define VL_MAX_RECORD         (64u * 1024u)
/** Largest zstd frame of one record body at rest (store format 4): zstd's
 *  ZSTD_COMPRESSBOUND(VL_MAX_RECORD), VL_MAX_RECORD plus 1/256 of it plus
 *  32 (asserted in vl_compress.c). */
#define VL_MAX_RECORD_ZFRAME  (VL_MAX_RECORD + 288u)
/** Largest JSON file a user may hand to `valise propose`. */
#define VL_MAX_JSON_FILE      (256u * 1024u)
/** Largest JSON array of records `valise propose --file` loads in one run (a
 *  bulk load such as the sample directory, ~1.1 MiB for 762 records). Each
 *  record in it is still held to VL_MAX_RECORD, and the array is split into
 *  proposals of at most VL_MAX_OPS operations. */
#define VL_MAX_LOAD_FILE      (16u * 1024u * 1024u)
/** Record ids: [A-Za-z0-9._-], 1..64 bytes (also an LMDB key part). */
#define VL_MAX_ID             64u
/** State codes are ISO 3166-1 alpha-2 (plus EU): exactly 2 letters. */
#define VL_STATE_LEN          2u
/** Most State codes one op or one authority binding may name. */
#define VL_MAX_STATES         64u
/** Most persons, phones, e-mails, ... in one list field of a record. */
#define VL_MAX_LIST           64u

/* ---- change sets ----------------------------------------------------------- */

/** Most operations in one proposal. */
#define VL_MAX_OPS            64u
/** Largest plaintext payload of one proposal (its bodies): 256 KiB holds
 *  dozens of full records, and keeps every entry well inside one frame. */
#define VL_MAX_PAYLOAD        (256u * 1024u)
/** Largest zstd frame of a version 2 proposal's payload: zstd's
 *  ZSTD_COMPRESSBOUND(VL_MAX_PAYLOAD), VL_MAX_PAYLOAD plus 1/256 of it, what a
 *  payload that does not compress grows to (asserted in vl_compress.c). */
#define VL_MAX_ZFRAME         (VL_MAX_PAYLOAD + 1024u)
/** Largest log entry (proposal with its payload, headers, signatures). */
#define VL_MAX_ENTRY          (VL_MAX_PAYLOAD + 64u * 1024u)
/** Most proposals one run approves at once (docs/formats.md §6.1). */
#define VL_MAX_RUN            256u
/** Largest run document: 69 bytes per row ([bin32, bin32]) and 128 for the
 *  rest (docs/formats.md §6.1). */
#define VL_MAX_RUN_DOC        (VL_MAX_RUN * 69u + 128u)
/** Room an entry needs around its proposal: header, keys and up to
 *  VL_MAX_APPROVERS signatures (105 bytes each), with margin. */
#define VL_MAX_ENTRY_ENVELOPE (6u * 1024u)
/** Largest proposal document a store takes as pending: one that still fits
 *  in a version 2 entry beside the largest run document, so that every
 *  pending proposal can be a row of a run (docs/formats.md §6.1); above
 *  the largest proposal valise makes (checked below). */
#define VL_MAX_PROPOSAL       (VL_MAX_ENTRY - VL_MAX_RUN_DOC - VL_MAX_ENTRY_ENVELOPE)
/** Longest rejection reason. */
#define VL_MAX_REASON         1024u
/** Longest network name, member name. */
#define VL_MAX_NAME           128u

/* ---- policy ------------------------------------------------------------------ */

/** Most approvers in one policy (the Secretariat's k-of-n signers). */
#define VL_MAX_APPROVERS      32u
/** Most central-authority keys in one policy (about 500 authorities of 170
 *  States today, with room for rotations). */
#define VL_MAX_AUTHORITIES    1024u
/** Most node keys in one policy. */
#define VL_MAX_NODES          256u
/** Most readers (the optional "readers" list of a policy: keys that receive
 *  the content keys and may do nothing else, docs/trust.md §8). */
#define VL_MAX_READERS        1024u
/** Most Argon2id memory a key file may ask for, bytes (a crafted file must
 *  not demand many GiB): libsodium's SENSITIVE level, 1 GiB. */
#define VL_MAX_KDF_MEM        (1024ull * 1024ull * 1024ull)
/** Most Argon2id passes a key file may ask for (SENSITIVE uses 4). */
#define VL_MAX_KDF_OPS        8ull

/** Longest passphrase (first line of a passphrase file). */
#define VL_MAX_PASSPHRASE     1024u
/** Largest public key file ("valise-pk1 <hex> <label>\n"). */
#define VL_MAX_PUBFILE        512u
/** Most content-key epochs in one policy (every epoch is sealed to every
 *  member key: docs/trust.md §2). */
#define VL_MAX_EPOCHS         16u
/** Largest policy document: one must fit in one `policies` message. */
#define VL_MAX_POLICY         (768u * 1024u)
/** Most policy versions a store keeps (the chain from the genesis). */
#define VL_MAX_VERSIONS       4096u

/* ---- freshness (docs/trust.md §3) ----------------------------------------------- */

/** Clock skew tolerated between nodes, seconds: a statement may be issued up
 *  to this far in a reader's future, and is stale only this long after it
 *  expires. */
#define VL_CLOCK_SKEW         300u
/** Longest validity of one freshness statement (expires - issued), seconds. */
#define VL_FRESH_MAX_TTL      (30u * 24u * 3600u)
/** Largest freshness statement document (one is about 250 bytes). */
#define VL_FRESH_MAX          512u

/* ---- federation (docs/protocol.md) ---------------------------------------------- */

/** Largest ZeroMQ message (also ZMQ_MAXMSGSIZE: a bigger frame is dropped
 *  with its connection by libzmq before we see it). */
#define VL_MAX_FRAME          (1024u * 1024u)
/** Most entries in one `entries` message. */
#define VL_SYNC_BATCH         1024u
/** Most bytes of entries in one `entries` message (leaves room for framing). */
#define VL_SYNC_BYTES         (VL_MAX_FRAME - 16u * 1024u)
/** Most pending proposal ids in a `have` message (32 bytes each). */
#define VL_MAX_PENDING        4096u
/** Most policy versions in one `policies` message. */
#define VL_MAX_POLICY_PUSH    16u
/** Most configured peers of one node. */
#define VL_MAX_PEERS          64u

/* ---- bundles (docs/formats.md §11) ------------------------------------------- */

/** Largest item of a bundle file (the length prefix L): the largest object
 *  one item wraps is a policy document (VL_MAX_POLICY) or a pair of entries
 *  (evidence, 2 x VL_MAX_ENTRY), plus a few bytes of item map. */
#define VL_MAX_BUNDLE_ITEM    (VL_MAX_POLICY + 1024u)
/** Most items in one bundle (header, objects, trailer). */
#define VL_MAX_BUNDLE_ITEMS   (16u * 1024u * 1024u)
/** Largest bundle file `bundle import` and `bundle show` read (it is read
 *  whole into memory, so that what is checked is what is applied). */
#define VL_MAX_BUNDLE_FILE    (1024ull * 1024ull * 1024ull)
/** Largest want file (one small map, ~170 bytes). */
#define VL_MAX_WANT_FILE      512u

/* ---- store ------------------------------------------------------------------- */

/** Initial LMDB map size; the store doubles it on MDB_MAP_FULL. */
#define VL_STORE_MAP_INITIAL  (64ull * 1024ull * 1024ull)
/** The store never grows its map beyond this. */
#define VL_STORE_MAP_MAX      (256ull * 1024ull * 1024ull * 1024ull)

#if VL_MAX_DEPTH < 5 || VL_MAX_DEPTH > 32
#error "VL_MAX_DEPTH must hold a record (5) and stay under msgpack-c's 32"
#endif
#if VL_MAX_RECORD > VL_MAX_DOC
#error "a record must fit in a document"
#endif
#if VL_MAX_STR > VL_MAX_RECORD
#error "a string must fit in a record"
#endif
#if VL_SYNC_BYTES + 4096u > VL_MAX_FRAME || VL_MAX_PENDING * 34u > VL_MAX_FRAME
#error "a full sync message must fit in a frame"
#endif
#if VL_MAX_POLICY > VL_SYNC_BYTES || VL_FRESH_MAX > VL_MAX_ENTRY
#error "a policy and a statement must fit in one sync message"
#endif
#if VL_MAX_ENTRY > VL_SYNC_BYTES
#error "one entry must fit in one sync message"
#endif
#if VL_MAX_BUNDLE_ITEM > VL_MAX_DOC || 2u * VL_MAX_ENTRY + 1024u > VL_MAX_BUNDLE_ITEM
#error "a bundle item is decoded as one document and must hold a pair of entries"
#endif
/* A v2 entry: a maximal proposal (payload frame + MAC, 64 ops of at most 320
 * header bytes each, 1 KiB of fixed header, key and signature), the run
 * document, 32 signatures of 105 bytes and 512 bytes of entry header. */
#if VL_MAX_ZFRAME + 16u + VL_MAX_OPS * 320u + 1024u + VL_MAX_RUN_DOC + \
        VL_MAX_APPROVERS * 105u + 512u > VL_MAX_ENTRY
#error "a run entry with a maximal proposal must fit in VL_MAX_ENTRY"
#endif
#if VL_MAX_ZFRAME + 16u + VL_MAX_OPS * 320u + 1024u > VL_MAX_PROPOSAL
#error "a maximal proposal must be taken as pending"
#endif
#if VL_MAX_APPROVERS * 105u + 512u > VL_MAX_ENTRY_ENVELOPE
#error "an entry's envelope must hold every approver's signature"
#endif
#if VL_MAX_FRAME > VL_MAX_DOC
#error "a frame is decoded as one document"
#endif
#if VL_MAX_ID + 1 + 2 > 511
#error "index keys must fit LMDB's 511-byte key limit"
#endif

#endif
