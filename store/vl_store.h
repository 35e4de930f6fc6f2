/* SPDX-License-Identifier: MIT */
/*
 * vl_store - the node's signed replica in LMDB (docs/design.md §7,
 * docs/store.md).
 *
 * One store = one directory holding one LMDB environment. It holds the
 * genesis, the hash-chained log of entries as received, pending proposals,
 * candidate entries (approver signatures gathered below the threshold),
 * settled proposal ids (replay refusal), rejections, the current records
 * (bodies encrypted at rest), the indexes and the state-root accumulator.
 *
 * Everything read back from LMDB goes through the same checked decoders as
 * peer input: a store file edited behind our back yields VL_ECORRUPT (or a
 * verify report), never a crash.
 *
 * Every mutating call is one write transaction: all or nothing. On
 * MDB_MAP_FULL the store aborts, doubles the map (up to VL_STORE_MAP_MAX)
 * and replays the transaction.
 *
 * Opening takes a member key pair: it unseals the content key (needed to
 * read bodies, check proposals against the schema and compute the root).
 * The key pair is borrowed for the life of the store.
 *
 * Thread safety: a vl_store_t is used by one thread at a time. Several
 * processes may open the same directory (LMDB serialises writers).
 * append_batch and append_chain of 8 or more entries decode them ahead on
 * a thread of their own, joined before they return (docs/store.md §3.1.2).
 */
#ifndef VL_STORE_H
#define VL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vl_bundle.h"
#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_policy.h"
#include "vl_record.h"

/** The store layout version (meta "format", docs/store.md) this code creates and opens. */
#define VL_STORE_FORMAT 4u

typedef struct vl_store vl_store_t;

/** @brief Create a new store in dir (created if missing, must hold no store)
 *  from a signed genesis, opening it with a member key to check that the
 *  content key opens for it.
 *  @return VL_OK, VL_EEXIST (a store is already there), VL_EIO, VL_EPERM (kp
 *          is not a member), the errors of vl_policy_parse, VL_ESTORE. */
int vl_store_create(const char *dir, const uint8_t *genesis, size_t len,
                    const vl_keypair_t *kp, char *err);

/** @brief Same from a policy chain: docs[0] is the genesis, docs[i] version
 *  i + 1, each verified against its predecessor; kp must be a member of the
 *  newest (a member added or rotated in after the genesis starts its store
 *  this way). The log starts empty; a version's `after` pin is checked when
 *  the log reaches it.
 *  @return as vl_store_create; VL_ELIMIT (more than VL_MAX_VERSIONS); the
 *          errors of vl_policy_parse_next. */
int vl_store_create_chain(const char *dir, const uint8_t *const *docs, const size_t *lens,
                          size_t n, const vl_keypair_t *kp, char *err);

enum {
    VL_STORE_RDONLY = 1, /**< read-only open (no write transactions) */
    /** LMDB's own assertion failures (a damaged file it trusts) abort
     *  without printing their message: for a reader in a child process
     *  whose parent reports the crash in one line (`valise verify`). */
    VL_STORE_QUIET = 2,
};

/** @brief Open an existing store with a member key pair (borrowed; must
 *  outlive the store). kp may be NULL with VL_STORE_RDONLY: the store then
 *  serves public facts only (network, head, policy chain, links, log bytes,
 *  statements; `bundle show`), and every call that needs the content key
 *  (records, find, verify, proposals' bodies) fails with VL_EPERM.
 *  @return VL_OK, VL_ENOTFOUND (no store in dir), VL_EPERM (not a member of
 *          this network), VL_ECORRUPT (meta unreadable), VL_ESTORE, VL_ENOMEM. */
int vl_store_open(const char *dir, const vl_keypair_t *kp, unsigned flags,
                  vl_store_t **out, char *err);
/** @brief Close, wiping keys; sets *self_p to NULL. NULL-safe. */
void vl_store_close(vl_store_t **self_p);

/** @brief The versions this build speaks, for `--version` of both programs:
 *  "protocol 1, store format 1, formats: entry 1, proposal 1, policy 1,
 *  rejection 1, fresh 1, bundle 1" into out[cap] (cut to fit, always NUL-terminated). */
void vl_store_versions(char *out, size_t cap);

/** @brief The current (newest adopted) policy version. Borrowed: every version
 *  a store has loaded stays valid until the store is closed (a newer one may
 *  become current meanwhile, adopted here or by another process). */
const vl_policy_t *vl_store_policy(const vl_store_t *self);

/* ---- policy chain (docs/trust.md §1, §2) ---------------------------------------- */

/** @brief Policy version v (1 = genesis), NULL if unknown (not loaded yet:
 *  the chain is re-read at the start of every transaction). Borrowed like
 *  vl_store_policy. */
const vl_policy_t *vl_store_policy_at(const vl_store_t *self, uint64_t version);
/** @brief The version in force at log seq s (docs/trust.md §1.2). */
const vl_policy_t *vl_store_policy_for_seq(const vl_store_t *self, uint64_t seq);
/** @brief Decode an entry under the policy version in force at its own seq
 *  (read from its header first): the one way code above the store reads an
 *  entry. flags as vl_entry_parse (0 = every signature, exact threshold).
 *  @return as vl_entry_parse; an entry naming a version that no longer
 *          governs its seq is VL_EPERM; seq 0 is VL_EPROTO. */
int vl_store_entry_parse(const vl_store_t *self, const uint8_t *buf, size_t len,
                         unsigned flags, vl_entry_t **out, char *err);

/** @brief Adopt a policy document as the next version (docs/trust.md §1.4):
 *  verified against the current version and the log, stored, made current,
 *  in one transaction. Pending proposals and candidates that no longer
 *  verify (author removed) are dropped with it.
 *  @return VL_OK; VL_EEXIST (this exact version is already here, nothing
 *          done); VL_ESTALE (an older version or another document of a
 *          version we have: rollback or fork, refused); VL_ENOTFOUND (a
 *          version beyond current + 1: the ones between are needed first);
 *          VL_ECHAIN (the log already reached `from`, or the link at from-1
 *          is not `after`); VL_EPERM (the opener's key is not a member of the
 *          new version); VL_EAUTH (an epoch key does not open or differs);
 *          the errors of vl_policy_parse_next (but a signature by a
 *          non-approver is VL_EAUTH here, so that VL_EPERM means only the
 *          opener's key); VL_EINVAL (read-only store);
 *          VL_ESTORE. */
int vl_store_policy_adopt(vl_store_t *self, const uint8_t *doc, size_t len, char *err);

/* ---- freshness (docs/trust.md §3) ------------------------------------------------ */

/** @brief Accept a freshness statement (from the signer itself or a peer):
 *  vl_fresh_parse against the current policy, then issued <= now +
 *  VL_CLOCK_SKEW, issued newer than the stored statement's and seq not below
 *  it, and head = our link at seq when seq <= our head. Kept in meta "fresh".
 *  @return VL_OK (stored: it is the newest now); VL_EEXIST (the same
 *          statement); VL_ESTALE (older than the stored one: rollback);
 *          VL_EINVAL (issued in the future beyond the skew; read-only store);
 *          VL_ECHAIN (head contradicts our log); the errors of vl_fresh_parse;
 *          VL_ESTORE. */
int vl_store_fresh_put(vl_store_t *self, const uint8_t *stmt, size_t len, uint64_t now,
                       char *err);
/** @brief Copy out the stored statement (caller frees).
 *  @return VL_OK, VL_ENOTFOUND (none), VL_ECORRUPT, VL_ENOMEM, VL_ESTORE. */
int vl_store_fresh_bytes(vl_store_t *self, uint8_t **out, size_t *len);

typedef enum {
    VL_FRESH_UNCONFIGURED = 0, /**< the policy names no fresh key: no claim is made */
    VL_FRESH_UNKNOWN,          /**< a fresh key is named but no statement arrived yet */
    VL_FRESH_OK,               /**< fresh: unexpired, and our head is at or past it */
    VL_FRESH_BEHIND,           /**< unexpired, but the signer had entries we lack */
    VL_FRESH_STALE,            /**< expired (now > expires + VL_CLOCK_SKEW) */
} vl_fresh_state_t;

/** What a reader says about freshness. Plain data carrier. */
typedef struct {
    vl_fresh_state_t state;
    bool have;             /**< a statement is stored (the fields below are valid) */
    uint64_t issued, expires, seq; /**< of the stored statement */
    uint64_t head;         /**< our head seq */
} vl_freshness_t;

/** @brief Freshness of this replica at time now (Unix seconds; the CLI
 *  passes VALISE_NOW or the clock). A read: works on a read-only store.
 *  @return VL_OK, VL_ECORRUPT, VL_ESTORE. */
int vl_store_freshness(vl_store_t *self, uint64_t now, vl_freshness_t *out, char *err);
/** @brief One line for readers: "" when fresh or unconfigured, else e.g.
 *  "directory may be stale: the newest statement of the Secretariat's node
 *  expired 2026-11-27 14:00 UTC (entry 14)". */
void vl_freshness_text(const vl_freshness_t *f, char *buf, size_t size);

/* ---- equivocation (docs/trust.md §5) ------------------------------------------- */

/** @brief Compare an entry received from a peer with ours at the same seq:
 *  it is fully verified under the version in force at its seq (every
 *  signature, exact threshold); a different link is a fork: the pair is
 *  stored as evidence in one transaction.
 *  @return VL_OK (same entry as ours); VL_EFORK (valid and different:
 *          evidence stored, or already stored); VL_ENOTFOUND (its seq is
 *          beyond our head, or names a policy version we lack); the errors of
 *          vl_entry_parse (the peer sent an invalid entry); VL_ESTORE. */
int vl_store_fork_check(vl_store_t *self, const uint8_t *entry, size_t len, char *err);
/** @brief Accept evidence from a peer: both entries at the same seq, fully
 *  valid under the version in force there, different links.
 *  @return VL_EFORK (new evidence stored), VL_EEXIST (already known),
 *          VL_ENOTFOUND (a policy version we lack), VL_EINVAL (not the same
 *          seq, same link), the errors of vl_entry_parse, VL_ESTORE. */
int vl_store_evidence_put(vl_store_t *self, const uint8_t *a, size_t alen,
                          const uint8_t *b, size_t blen, char *err);
/** @brief Call cb for every stored fork that still stops the log, by seq
 *  (forks at or below a known version's pin are settled and not listed;
 *  entries borrowed for the call; read in one read transaction first, cb
 *  runs after it).
 *  @return VL_OK, cb's value, VL_ECORRUPT, VL_ENOMEM, VL_ESTORE. */
int vl_store_evidence_each(vl_store_t *self,
                           int (*cb)(void *ctx, uint64_t seq, const uint8_t *a, size_t alen,
                                     const uint8_t *b, size_t blen),
                           void *ctx);
/** @brief Lowest seq with evidence (0: none). From it on, appends and
 *  approvals are refused with VL_EFORK. */
uint64_t vl_store_fork_seq(vl_store_t *self);

/** Head of the log. seq 0 means empty (hash = policy hash, root = empty root). */
typedef struct {
    uint64_t seq;
    uint8_t hash[VL_HASH_LEN];
    uint8_t root[VL_HASH_LEN];
    uint64_t records;  /**< number of current records */
    uint64_t pending;  /**< number of pending proposals */
} vl_head_t;

int vl_store_head(vl_store_t *self, vl_head_t *head);

/* ---- proposals ---------------------------------------------------------------- */

/** @brief Verify a proposal (signature, role, States, schema of the bodies,
 *  base revisions not newer than current) and add it to pending.
 *  @param[out] id  The proposal id (may be NULL).
 *  @return VL_OK, the errors of vl_proposal_parse / vl_proposal_open,
 *          VL_EEXIST (already pending, or already settled: replay),
 *          VL_ESTALE (a base revision does not match the current one),
 *          VL_ESTORE. */
int vl_store_propose(vl_store_t *self, const uint8_t *prop, size_t len,
                     uint8_t id[VL_HASH_LEN], char *err);

/** @brief Find a pending proposal by an id prefix of at least 4 hex digits.
 *  @return VL_OK, VL_ENOTFOUND, VL_EINVAL (ambiguous or bad prefix). */
int vl_store_pending_lookup(vl_store_t *self, const char *hex_prefix,
                            uint8_t id[VL_HASH_LEN], char *err);

/** @brief Make again a proposal that lapsed (a policy version made it
 *  unapprovable, docs/store.md §2.4): the same operations, bodies and base
 *  revisions, encrypted under the current epoch and signed by kp, which must
 *  be its author. Not submitted: the caller passes *out to vl_store_propose
 *  (which checks rights and base revisions as for any proposal) or writes it
 *  to a file. Caller frees *out.
 *  @return VL_OK, VL_ENOTFOUND / VL_EINVAL (no such lapsed id, ambiguous
 *          prefix, or a proposal that was applied or rejected), VL_EPERM (kp
 *          is not its author), the errors of vl_proposal_make (VL_EPERM: the
 *          author may no longer edit a State), VL_ECORRUPT, VL_ENOMEM, VL_ESTORE. */
int vl_store_lapsed_remake(vl_store_t *self, const char *hex_prefix, const vl_keypair_t *kp,
                           uint64_t now, uint8_t **out, size_t *out_len, char *err);

/** @brief Call cb for every pending proposal (opened: bodies readable), in id
 *  order. The proposal is borrowed for the call. Signatures gathered so far
 *  are passed as n_approvals. cb returns non-zero to stop.
 *  @return VL_OK, or cb's value, or VL_ESTORE / VL_ECORRUPT. */
int vl_store_pending_each(vl_store_t *self,
                          int (*cb)(void *ctx, const vl_proposal_t *p, size_t n_approvals),
                          void *ctx);

/** @brief Current record for a proposal's op (for review diffs): the record
 *  and its revision, or *rec = NULL and *rev = 0 if it does not exist. */
int vl_store_get(vl_store_t *self, const char *id, vl_record_t **rec, uint64_t *rev,
                 char *err);

/** Where the current revision of a record was written. */
typedef struct {
    uint64_t rev;  /**< revision, >= 1 */
    uint64_t seq;  /**< the log entry that wrote it (its "last updated") */
    uint32_t op;   /**< the op index in that entry's proposal */
} vl_rec_origin_t;

/** @brief vl_store_get, plus the entry that wrote the current revision.
 *  The seq and op are not authenticated at rest (docs/store.md §2.2):
 *  callers that show them read entry seq (vl_store_log_each) and check that
 *  op `op` of its proposal names this record; `verify` compares them all.
 *  @return as vl_store_get; *rec NULL and *o zeroed if there is no record. */
int vl_store_get_origin(vl_store_t *self, const char *id, vl_record_t **rec,
                        vl_rec_origin_t *o, char *err);

/** @brief One approver approves a pending proposal: builds (or extends) the
 *  candidate entry on the current head and adds the signature; when the
 *  threshold is met the entry is applied in the same transaction.
 *  @param[out] applied_seq  The new entry's seq when applied, else 0.
 *  @param[out] nsigs  Signatures on the candidate after this call.
 *  @return VL_OK, VL_ENOTFOUND (not pending), VL_EPERM (not an approver),
 *          VL_EEXIST (this approver already approved), VL_ESTALE (needs
 *          rebase: a base revision is no longer current; the proposal stays
 *          pending), VL_ESTORE. */
int vl_store_approve(vl_store_t *self, const uint8_t id[VL_HASH_LEN],
                     const vl_keypair_t *approver, uint64_t now,
                     uint64_t *applied_seq, size_t *nsigs, char *err);

/** What vl_store_approve_ex did. */
typedef struct {
    uint64_t applied_seq; /**< the new entry's seq when applied, else 0 */
    size_t nsigs;         /**< signatures on the proposal's own candidate after the call */
    uint32_t threshold;   /**< of the version the candidate is made under */
    bool restarted;       /**< a stored candidate (made on an older head or under
                               another version) was discarded: its approvals must
                               be given again */
    size_t run_rows;      /**< non-zero: the proposal is also a row of the pending
                               run (docs/store.md §3.2.1), of this many rows ... */
    size_t run_nsigs;     /**< ... which carries this many approvals (they count for
                               the run, not for the own candidate) */
} vl_approve_result_t;

/** @brief vl_store_approve, telling also whether an older candidate was
 *  discarded and whether the proposal is a row of the pending run. res is
 *  zeroed on every error. Same returns. */
int vl_store_approve_ex(vl_store_t *self, const uint8_t id[VL_HASH_LEN],
                        const vl_keypair_t *approver, uint64_t now,
                        vl_approve_result_t *res, char *err);

/** One proposal in the result of vl_store_approve_all. */
typedef struct {
    uint8_t id[VL_HASH_LEN];
    uint64_t seq;           /**< the entry that applied it, 0 while the run is pending */
    char why[VL_ERRMSG_MAX]; /**< left out of the run: why (e.g. "needs rebase: ..");
                                  empty for a row of the run */
} vl_run_item_t;

/** What vl_store_approve_all did. */
typedef struct {
    vl_run_item_t *items;   /**< the run's rows in order, then the proposals left out */
    size_t n;               /**< items */
    size_t nrows;           /**< rows of the run (the first nrows items) */
    size_t nsigs;           /**< approvals of the run after the call */
    uint32_t threshold;     /**< of the version the run is made under */
    uint64_t first_seq;     /**< seq of the run's first entry */
    bool built;             /**< this call built the run (it had no valid one) */
    bool applied;           /**< the threshold was met: every row is an entry now */
    char dropped[VL_ERRMSG_MAX]; /**< non-empty: a stored run was discarded, and why */
    size_t not_in_run;      /**< signing a stored run: pending proposals that are not
                                 rows of it (left out when it was built, or
                                 newer) */
} vl_run_report_t;

/** @brief One approver approves every pending proposal at once, as one run
 *  (docs/store.md §3.2.1, docs/formats.md §6.1): signs the stored run if it
 *  still holds on the head, else builds one of every pending proposal that
 *  applies (in order of proposal time, then id, up to VL_MAX_RUN) and signs
 *  it; at the threshold every entry of the run is applied, in order, in the
 *  same transaction. With no proposal that applies, nothing is signed and
 *  out->nrows is 0 (out->n names those left out). out is filled on VL_OK
 *  and VL_EEXIST; free it with vl_run_report_free.
 *  @return VL_OK, VL_EPERM (not an approver), VL_EEXIST (this approver
 *          already signed the pending run), VL_ECHAIN (a fork stopped the
 *          log), VL_ECORRUPT, VL_ESTORE, VL_ENOMEM. */
int vl_store_approve_all(vl_store_t *self, const vl_keypair_t *approver, uint64_t now,
                         vl_run_report_t *out, char *err);
void vl_run_report_free(vl_run_report_t *r);
/** @brief Whether a pending run is stored (meta "run"): its rows and
 *  approvals (both 0 when it does not decode under the current version).
 *  @return VL_OK (one is stored), VL_ENOTFOUND (none), VL_ESTORE. */
int vl_store_run_held(vl_store_t *self, size_t *nrows, size_t *nsigs);

/** @brief Reject a pending proposal with a reason (one approver suffices).
 *  @return VL_OK, VL_ENOTFOUND, VL_EPERM, VL_EINVAL, VL_ESTORE. */
int vl_store_reject(vl_store_t *self, const uint8_t id[VL_HASH_LEN],
                    const vl_keypair_t *approver, const char *reason, uint64_t now,
                    char *err);

/* ---- log ------------------------------------------------------------------------ */

/** @brief Verify a complete entry against the store (network, seq = head+1,
 *  prev = head hash, threshold of distinct approvers, embedded proposal,
 *  authority binding, base revisions, state root after applying) and apply
 *  it in one transaction. Used for replay, bulk load and peers.
 *  @return VL_OK, VL_ECHAIN (wrong seq or prev), VL_ESTALE, VL_EEXIST
 *          (proposal already settled), VL_ECORRUPT (root mismatch), the
 *          errors of vl_entry_parse, VL_ESTORE. */
int vl_store_append(vl_store_t *self, const uint8_t *entry, size_t len, char *err);

/** @brief Same for a batch of entries in ONE transaction (all or nothing). */
int vl_store_append_batch(vl_store_t *self, const uint8_t *const *entries,
                          const size_t *lens, size_t n, char *err);

/** @brief Call cb for entries with seq in [from, to] (to = 0: up to head),
 *  in order; the entry is borrowed for the call. */
int vl_store_log_each(vl_store_t *self, uint64_t from, uint64_t to,
                      int (*cb)(void *ctx, const vl_entry_t *e), void *ctx);

/* ---- queries -------------------------------------------------------------------- */

/** A find query: every set field must match (AND). NULL = any. */
typedef struct {
    const char *kind;      /**< "authority" / "agreement" */
    const char *state;     /**< "MU" */
    const char *function;  /**< "mla" (agreements: subject) */
    const char *legal_basis;
    const char *language;
    const char *text;      /**< case-insensitive substring (decrypts) */
    size_t limit;          /**< 0 = no limit */
} vl_query_t;

/** @brief Call cb for every current record matching q, in id order. The
 *  record is borrowed for the call. cb returns non-zero to stop.
 *  @return VL_OK, VL_EINVAL (bad query), cb's value, VL_ECORRUPT, VL_ESTORE. */
int vl_store_find(vl_store_t *self, const vl_query_t *q,
                  int (*cb)(void *ctx, const vl_record_t *rec, uint64_t rev), void *ctx);

/** @brief Rejections, most recent first; cb gets the parsed rejection. */
int vl_store_rejections_each(vl_store_t *self,
                             int (*cb)(void *ctx, const vl_rejection_t *r), void *ctx);

/* ---- outcomes of proposals (vl_store_outcome.c) ------------------------------- */

/** What became of a proposal. */
typedef enum {
    VL_OUTCOME_PENDING = 0, /**< pending, may be approved as it is */
    VL_OUTCOME_REBASE,      /**< pending, but a base revision (or the epoch) is no longer current */
    VL_OUTCOME_APPLIED,     /**< settled by a log entry */
    VL_OUTCOME_REJECTED,    /**< settled by a rejection */
    VL_OUTCOME_LAPSED,      /**< a policy version made it unapprovable (new content-key
                                 epoch, or its author lost the right): its author may make
                                 it again (vl_store_repropose) */
} vl_outcome_state_t;

/** One proposal's outcome, as vl_store_outcomes reports it. Everything is
 *  borrowed for the callback only. */
typedef struct {
    vl_outcome_state_t state;
    const uint8_t *id;            /**< the proposal id (32 bytes) */
    const uint8_t *author;        /**< its author (32 bytes); NULL: unknown (a rejection
                                       of a proposal this store never held) */
    uint64_t time;                /**< proposed (pending, rebase), entry time (applied),
                                       rejected (rejected): the order of the list */
    const vl_proposal_t *prop;    /**< the proposal (header only: not opened); NULL when
                                       rejected */
    uint64_t version;             /**< lapsed: the policy version that made it lapse */
    const vl_policy_t *pol;       /**< the version that names its members: in force at the
                                       entry (applied), the newest naming the rejecting
                                       approver (rejected), the current one (pending), the
                                       one it was made under (lapsed) */
    size_t nsigs;                 /**< approvals so far (pending, rebase: a candidate on
                                       the current head) or the entry's signers (applied) */
    const uint8_t (*signers)[VL_PK_LEN]; /**< nsigs approver keys */
    uint32_t threshold;           /**< approvals needed (pending, rebase) */
    uint64_t seq;                 /**< the entry (applied) */
    const vl_rejection_t *rej;    /**< the rejection (rejected) */
    const char *problem;          /**< why it cannot be approved as it is, e.g. "needs
                                       rebase: record mu-cca is at revision 3, proposal is
                                       based on 2", or why it lapsed; NULL when it can */
} vl_outcome_t;

/** Bit of a state in the `states` mask of vl_store_outcomes. */
#define VL_OUTCOME_BIT(s) (1u << (unsigned)(s))
/** Every state. */
#define VL_OUTCOME_ALL 0x1Fu

/** @brief The outcomes of the proposals of author (NULL: everyone's) whose
 *  state is in the mask states, newest first (by vl_outcome_t.time, then
 *  by seq and id), at most limit of them (0: all). Sources, all read in one
 *  read transaction (cb runs after it, one call per outcome, non-zero stops):
 *  pending (each checked against the current records as approve would:
 *  VL_OUTCOME_REBASE when a base revision or the epoch is stale), rejections
 *  (the author is known when this store held the proposal when the
 *  rejection arrived: docs/store.md §2.4), and the log read from the head
 *  down (only the clear headers of each entry and its proposal, for the
 *  time, proposal id and author: vl_entry_peek_author; with a limit, the
 *  scan stops once limit matching entries are found, so entries count as
 *  newest by seq). An applied entry reported is re-read and fully verified
 *  (signatures, and that it settles the id its header named).
 *  @return VL_OK, cb's value, VL_ECORRUPT (an unreadable stored value),
 *          VL_ENOMEM, VL_ESTORE. */
int vl_store_outcomes(vl_store_t *self, const uint8_t author[VL_PK_LEN], unsigned states,
                      size_t limit, int (*cb)(void *ctx, const vl_outcome_t *o), void *ctx);

/** @brief The outcome of the one proposal, pending or settled, whose id
 *  starts with hex_prefix (4..64 hex digits): cb is called once.
 *  @return VL_OK, cb's value, VL_ENOTFOUND (neither pending nor settled
 *          here), VL_EINVAL (bad or ambiguous prefix), VL_ECORRUPT,
 *          VL_ENOMEM, VL_ESTORE. */
int vl_store_outcome_get(vl_store_t *self, const char *hex_prefix,
                         int (*cb)(void *ctx, const vl_outcome_t *o), void *ctx, char *err);

/* ---- progress ------------------------------------------------------------------- */

/** @brief Progress of a long store walk: `done` of `total` items of the step
 *  named `what` (a fixed phrase the store wrote, e.g. "log entries"; it may
 *  change as the walk moves to its next step). Called once per item (so it
 *  must be cheap: the caller throttles any drawing), with done == total at
 *  the end of each step; total may be 0 (an empty step) and done never passes
 *  total. A NULL vl_progress_fn means no progress is wanted. The store never
 *  calls it after the function that took it returns. */
typedef void (*vl_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

/* ---- verification --------------------------------------------------------------- */

/** @brief Recompute everything from the log: every entry's hash, chain
 *  link, signatures, proposal, authority binding and revisions; the state
 *  root after every entry against the entry's; then the current records
 *  (decrypt, schema, revision, body equal to the log's) and the index (exactly
 *  the terms of the current records) and the incremental root accumulator.
 *  Each problem found is reported through report(ctx, line) (one line, e.g.
 *  "entry 17: bad signature by approver 9877ab013bb1430c").
 *  @param[out] problems  Number of problems found.
 *  @return VL_OK when no problem was found, VL_ECORRUPT otherwise, VL_ESTORE. */
int vl_store_verify(vl_store_t *self, void (*report)(void *ctx, const char *line),
                    void *ctx, size_t *problems);

/** @brief vl_store_verify(), and before walking each database, phase(ctx,
 *  name) with its name ("log", "meta", "records", "index", "pending",
 *  "candidates", "settled", "rejections", "peers"; phase may be NULL). LMDB
 *  has no checksums: a damaged page can crash the walk itself, so a caller
 *  that must survive that runs it in a child process and uses the last name
 *  to say where the reader died (tools/cmd_verify.c). Same results. */
int vl_store_verify_phases(vl_store_t *self, void (*report)(void *ctx, const char *line),
                           void (*phase)(void *ctx, const char *db), void *ctx,
                           size_t *problems);

/** The callbacks of vl_store_verify_ex (each may be NULL), all given ctx. */
typedef struct {
    void (*report)(void *ctx, const char *line);  /**< a problem line */
    void (*phase)(void *ctx, const char *db);     /**< as vl_store_verify_phases */
    vl_progress_fn progress;  /**< steps "log entries", "records", "index terms" */
    void *ctx;
} vl_verify_cb_t;

/** @brief vl_store_verify_phases() with progress: each log entry, record and
 *  index key walked is one item of its step (totals from LMDB's counts).
 *  Same results. */
int vl_store_verify_ex(vl_store_t *self, const vl_verify_cb_t *cb, size_t *problems);

/* ---- federation support (docs/protocol.md) ---------------------------------- */

/** @brief The link of entry seq (the genesis hash for 0), as the next entry's
 *  prev names it; decoded without verifying signatures (the entry was
 *  verified when it was appended).
 *  @return VL_OK, VL_ENOTFOUND (seq beyond the head), VL_ECORRUPT, VL_ESTORE. */
int vl_store_link(vl_store_t *self, uint64_t seq, uint8_t link[VL_HASH_LEN], char *err);

/** @brief Copy out the bytes of log entry seq (caller frees *out), as stored
 *  (the receiving peer verifies them; only the size is checked here).
 *  @param[out] out,len  NULL and 0 on failure.
 *  @return VL_OK, VL_ENOTFOUND (seq 0 or past the head), VL_ECORRUPT (an
 *          empty or oversized value), VL_ENOMEM, VL_ESTORE. */
int vl_store_entry_bytes(vl_store_t *self, uint64_t seq, uint8_t **out, size_t *len,
                         char *err);

/** @brief Append consecutive entries received from a peer, in ONE transaction,
 *  trusting the hash chain (docs/protocol.md §4): for every entry the chain
 *  link, proposal id, decryption and schema of the bodies, base revisions and
 *  state root are checked, and the form of its signature list (threshold of
 *  distinct approver keys) and the author's role and States; the full
 *  signatures (approver threshold and the proposal author) only for the LAST
 *  entry of the batch. The seqs of the entries whose signatures were not
 *  checked are recorded (meta "sigs_checked" stays behind the head) for
 *  vl_store_check_sigs. Note: signature bytes are not covered by the entry
 *  hashes, so a relaying peer can make this store keep (and serve) entries
 *  whose earlier signatures do not verify, until the audit finds them
 *  (docs/store.md §3.3).
 *  @return as vl_store_append_batch (n = 0: VL_OK, nothing done); a message
 *          from a batch of several starts with "batch item i (entry S): " (i from 0,
 *          S the seq the failing entry's own header names; "batch item i: "
 *          when that header does not decode). */
int vl_store_append_chain(vl_store_t *self, const uint8_t *const *entries,
                          const size_t *lens, size_t n, char *err);

/* ---- pins and the stage (docs/store.md §2.4.2, docs/trust.md §1.2) -------- */

/** @brief The lowest seq above `above` that a known policy version pins
 *  (from(v) - 1), and that version in *version (may be NULL).
 *  @return the seq, or 0 when no known version pins one above `above`. */
uint64_t vl_store_pin_above(vl_store_t *self, uint64_t above, uint64_t *version);

/** @brief Check link as the link of entry seq against every known version
 *  whose from is seq + 1.
 *  @return VL_OK; VL_ECHAIN ("entry S is not the entry policy version V was
 *          made after (another history)"). */
int vl_store_pin_check(vl_store_t *self, uint64_t seq, const uint8_t link[VL_HASH_LEN],
                       char *err);

/** @brief What a pull back from a pin needs next, in one read txn: *top = the
 *  seq of the highest entry to fetch next (the lowest pin above the head
 *  with an empty stage, else the entry below the lowest staged one), 0 when
 *  no pin lies above the head or the stage is ready; *ready = the stage
 *  reaches head + 1 (or is stale): call vl_store_stage_apply. *head = the
 *  head seq (may be NULL).
 *  @return VL_OK; VL_ECORRUPT; VL_ESTORE. */
int vl_store_stage_need(vl_store_t *self, uint64_t *top, bool *ready, uint64_t *head, char *err);

/** @brief Stage a run of entries (increasing seq, contiguous, each above the
 *  head) that ends at the entry vl_store_stage_need names: a pin (its link
 *  the `after` of a version whose from is seq + 1) with an empty stage, or
 *  the entry whose link the lowest staged entry names as prev. Entries are
 *  decoded (no signature checked: vl_store_stage_apply checks them); each
 *  must link to the next; every pin inside the run must hold. All or
 *  nothing.
 *  @return VL_OK; VL_EINVAL (n = 0, no pin above the head); VL_ECHAIN (does
 *          not link, not the entry the stage needs: the sender's fault);
 *          VL_EPROTO, VL_EPERM (an entry does not decode under its version);
 *          VL_ENOTFOUND (names a version we lack); VL_ENOMEM; VL_ESTORE. */
int vl_store_stage_put(vl_store_t *self, const uint8_t *const *entries, const size_t *lens,
                       size_t n, char *err) __attribute__((warn_unused_result));

/** @brief Apply the stage once its lowest entry is head + 1: upwards, every
 *  check of vl_store_append with every signature, in write transactions of
 *  up to 4,096 entries that each delete what they applied. A stage whose
 *  entries are at or below the head is cleared (stale). On a check failure
 *  the stage is cleared and the error returned. *applied = entries applied.
 *  @return VL_OK (also when not ready: *applied = 0); VL_EFORK (the lowest
 *          staged entry does not follow our head: our log below the pin is
 *          another history than the one the pin vouches for; stage kept), or
 *          the failing check's code as vl_store_append; VL_ECORRUPT (our own
 *          store damaged), VL_ENOMEM, VL_ESTORE (stage kept). */
int vl_store_stage_apply(vl_store_t *self, uint64_t *applied, char *err)
    __attribute__((warn_unused_result));

/** @brief Empty the stage. @return VL_OK; VL_ESTORE. */
int vl_store_stage_clear(vl_store_t *self, char *err);

/** @brief Background audit: verify the full signatures (and the hash link)
 *  of up to max entries after meta "sigs_checked", oldest first, advancing it
 *  in one small write transaction (verification runs in a read transaction).
 *  max = 0 only reports the watermark (a read; fine on a read-only store).
 *  @param[out] checked  The watermark after the call (may be NULL): every
 *              entry with seq <= it has had its signatures verified; equals
 *              the head when everything is checked.
 *  @return VL_OK, VL_ECORRUPT (a bad entry: "entry N: ..." in err; the
 *          watermark stays at N-1 and later calls stop there again; also a
 *          malformed watermark), VL_EINVAL (read-only store and max > 0),
 *          VL_ENOMEM, VL_ESTORE. */
int vl_store_check_sigs(vl_store_t *self, size_t max, uint64_t *checked, char *err);

/** @brief The pending proposal ids, sorted (caller frees *ids; NULL when
 *  *n is 0), and their digest H("valise/pending/1", id_1 || ... || id_n)
 *  (digest may be NULL; with no pending proposal it is H(tag, "")). All of
 *  them: the caller applies VL_MAX_PENDING to what it sends.
 *  @return VL_OK, VL_ECORRUPT (a key that is not a proposal id), VL_ENOMEM,
 *          VL_ESTORE. */
int vl_store_pending_ids(vl_store_t *self, uint8_t (**ids)[VL_HASH_LEN], size_t *n,
                         uint8_t digest[VL_HASH_LEN]);

/** @brief Copy out a pending proposal to relay it (caller frees *out). It is
 *  decoded and verified first (signature included).
 *  @return VL_OK, VL_ENOTFOUND (not pending), VL_ECORRUPT (the stored value
 *          does not verify or is another proposal), VL_ENOMEM, VL_ESTORE. */
int vl_store_pending_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                           size_t *len);

/** @brief Copy out the rejection of a proposal to relay it (caller frees
 *  *out), verified first like vl_store_pending_bytes, under the current
 *  policy version (peers accept no other).
 *  @return VL_OK, VL_ENOTFOUND (none, or made by an approver the current
 *          version no longer has: kept, not relayed), VL_ECORRUPT, VL_ENOMEM,
 *          VL_ESTORE. */
int vl_store_rejection_bytes(vl_store_t *self, const uint8_t id[VL_HASH_LEN], uint8_t **out,
                             size_t *len);

/** @brief Accept a rejection received from a peer: verify it, record it,
 *  settle the proposal (remove it from pending and candidates), in one
 *  transaction. Recorded even when the proposal is not pending here (it is
 *  then refused as settled if it arrives later). A rejection of a proposal
 *  already settled by an entry is ignored (VL_OK, nothing written).
 *  @return VL_OK, VL_EEXIST (already rejected), errors of vl_rejection_parse
 *          (VL_EPROTO, VL_EPERM, VL_EAUTH, ...), VL_EINVAL (read-only store),
 *          VL_ECORRUPT, VL_ESTORE. */
int vl_store_accept_rejection(vl_store_t *self, const uint8_t *rej, size_t len, char *err);

/** What a node knows of one peer; kept in the `peers` database by the daemon
 *  and read by `valise status`. Plain data carrier. */
typedef struct {
    uint8_t pk[VL_PK_LEN];       /**< the peer's node key (zero if unknown/refused) */
    char addr[128];              /**< endpoint, e.g. "tcp://127.0.0.1:7101" */
    char state[16];              /**< "connecting", "open", "pulling", "idle", "bad", "refused" */
    uint64_t last_contact;       /**< unix seconds of the last valid message, 0 = never */
    uint64_t their_seq;          /**< the peer's head seq as last reported */
    uint64_t received;           /**< entries received from this peer */
    uint64_t sent;               /**< entries sent to this peer */
    uint64_t dropped;            /**< times dropped for invalid input */
    uint64_t their_pending;      /**< pending proposals the peer reported */
    char last_error[128];        /**< last problem, empty if none */
    uint64_t last_sync;          /**< unix seconds when the peer and we were last found in
                                      sync (equal heads, or a pull from it caught up), 0 = never */
} vl_peer_info_t;

/** @brief Insert or replace the record of a peer, keyed by addr, in one small
 *  write transaction (docs/store.md §2.5 has the value format).
 *  @return VL_OK, VL_EINVAL (addr or state empty or not NUL-terminated in
 *          their arrays, last_error not NUL-terminated, a control character
 *          or invalid UTF-8 in any of them; or a read-only store), VL_ENOMEM,
 *          VL_ESTORE. */
int vl_store_peer_put(vl_store_t *self, const vl_peer_info_t *p, char *err);
/** @brief Call cb for every peer record, in addr order. The records are read
 *  and decoded strictly in one read transaction first; cb runs after it ended
 *  (it may write). cb returns non-zero to stop.
 *  @return VL_OK, cb's value, VL_ECORRUPT (a malformed value, or one stored
 *          under another addr), VL_ENOMEM, VL_ESTORE. */
int vl_store_peers_each(vl_store_t *self, int (*cb)(void *ctx, const vl_peer_info_t *p),
                        void *ctx);
/** @brief The record stored under addr.
 *  @return VL_OK, VL_ENOTFOUND, VL_ECORRUPT (malformed), VL_ENOMEM, VL_ESTORE. */
int vl_store_peer_get(vl_store_t *self, const char *addr, vl_peer_info_t *out);

/** The file in a store directory that the daemon locks (docs/operator.md §
 *  "One daemon per store"). */
#define VL_STORE_DAEMON_LOCK "daemon.lock"

/** @brief Take the daemon lock of the store in dir: a POSIX record lock
 *  (fcntl F_SETLK, F_WRLCK over the whole file) on dir/daemon.lock, created
 *  mode 0644 if missing, and write our pid into it (information only: the
 *  kernel releases the lock when the holder dies, so a file left by a killed
 *  daemon blocks nothing). The lock lasts until vl_store_daemon_unlock or the
 *  process ends; the caller must open no other descriptor of that file (closing
 *  any descriptor of it releases a POSIX lock).
 *  @param[out] fd      The descriptor that holds the lock (-1 on failure).
 *  @param[out] holder  On VL_EEXIST, the pid that holds it (0 if unknown).
 *  @return VL_OK, VL_EEXIST (another process holds it), VL_EIO (cannot
 *          create, lock or write the file: detail in err). */
int vl_store_daemon_lock(const char *dir, int *fd, long *holder, char *err);
/** @brief Release the lock and close *fd (sets it to -1; -1 is a no-op). The
 *  file stays (a later daemon reuses it). */
void vl_store_daemon_unlock(int *fd);
/** @brief Whether a process holds the daemon lock of dir, tested with F_GETLK
 *  (nothing is taken, so a daemon starting at the same moment is never
 *  refused because of this test). Called by the holder itself it answers 0.
 *  @return the holder's pid (> 0; the pid written in the file when the kernel
 *          cannot name it), 0 when no process holds it (or there is no lock
 *          file), -1 when the file exists but cannot be tested, or is held by
 *          a process neither the kernel nor the file names. */
long vl_store_daemon_pid(const char *dir);

/* ---- bundles (docs/formats.md §11, store/vl_store_bundle.c) ------------------- */

/** What a bundle carried or what an import did. Plain data carrier. */
typedef struct {
    uint64_t from, to;               /**< entries written / appended (0, 0: none) */
    uint64_t counts[VL_BK_N];        /**< objects written / taken, per kind */
    uint64_t known[VL_BK_N];         /**< import: objects already known or skipped */
    uint64_t size;                   /**< create: bytes written */
    uint64_t head;                   /**< import: the head after it */
} vl_bundle_sum_t;

/** @brief Write a bundle made by the opener's key to f (docs/formats.md
 *  §10): policy versions newer than want->policy (all without a want),
 *  entries with seq > since (want: > want->head), the stored freshness
 *  statement (with a want: only if newer than want->fresh), every fork
 *  (evidence), every pending proposal, every rejection this store relays.
 *  @return VL_OK; VL_EPERM (store opened without a key); VL_EINVAL (a want
 *          of another network); VL_ECHAIN (the want's head hash is not our
 *          link at its seq: "the receiver's log differs from ours at entry
 *          N"); VL_EIO; VL_ENOMEM; VL_ESTORE. */
int vl_store_bundle_create(vl_store_t *self, FILE *f, const vl_want_t *want, uint64_t since,
                           uint64_t now, vl_bundle_sum_t *sum, char *err);

/** @brief Import a parsed bundle (vl_bundle_parse checked its framing, hash
 *  and signature) with the live-peer rules: phase 1 checks everything and
 *  writes nothing (network, policy chain, maker a member of the newest
 *  version, entries: no gap, held ones equal to ours (a different one is a
 *  fork: checked with vl_store_fork_check, evidence stored only if valid),
 *  new ones chained to our head and to each other, the last one's full
 *  signatures; every other object decodes and verifies); phase 2 adopts the
 *  versions, appends the entries with vl_store_append_chain in batches of
 *  VL_SYNC_BATCH, then evidence, statement, rejections, proposals (known or
 *  older ones are counted in sum->known), and audits the signatures of the
 *  new entries (vl_store_check_sigs). check_only: phase 1 only (works on a
 *  store opened read-only or without a key; then the policy's content keys
 *  and a fork are not checked).
 *  @return VL_OK; VL_EPERM (another network; maker not a member; our key
 *          not a member of a carried version); VL_ENOTFOUND (a gap: entries
 *          or policy versions missing); VL_ESTALE (a carried version differs
 *          from ours); VL_EFORK (a carried entry differs from ours: evidence
 *          stored; or our log stops at a fork); VL_ECHAIN (entries do not
 *          chain; a pin); VL_ECORRUPT (the audit found a bad signature:
 *          "entry N: ..."); the errors of the object parsers; VL_ESTORE. */
int vl_store_bundle_import(vl_store_t *self, const vl_bundle_t *b, uint64_t now,
                           bool check_only, vl_bundle_sum_t *sum, char *err);

/** @brief vl_store_bundle_import() with progress (may be NULL): phase 1 walks
 *  the bundle's items as the step "items checked", phase 2 as "items
 *  applied" (each item one step, total vl_bundle_count()), then the signature
 *  audit of the new entries as "signatures audited" (one item per entry).
 *  Same results. */
int vl_store_bundle_import_ex(vl_store_t *self, const vl_bundle_t *b, uint64_t now,
                              bool check_only, vl_progress_fn progress, void *pctx,
                              vl_bundle_sum_t *sum, char *err);

#endif
