/* SPDX-License-Identifier: MIT */
/*
 * vl_cli - what every `valise` subcommand shares: option parsing, the
 * global options (store, key, passphrase), loading the acting key, opening
 * the store, printing JSON and reporting errors.
 *
 * Conventions (docs/cli.md): exit 0 on success, 1 on an error, 2 on a usage
 * error. Every error is ONE line on stderr that starts with "valise <cmd>: ".
 * Output meant for people and for scripts goes to stdout; --help goes to
 * stdout and exits 0. Text output escapes every string valise did not write
 * itself (vl_cli_fputs, vl_cli_esc); numeric options are read by
 * vl_cli_number only.
 *
 * A vl_cli_t lives on the stack of one subcommand; vl_cli_done() releases
 * what it holds (store first, then the key, whose memory is wiped).
 */
#ifndef VL_CLI_H
#define VL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vl_crypto.h"
#include "vl_error.h"
#include "vl_policy.h"
#include "vl_mark.h"
#include "vl_store.h"

/** Exit codes of every subcommand. */
enum { VL_EXIT_OK = 0, VL_EXIT_ERR = 1, VL_EXIT_USAGE = 2 };

/** Upper bound on values one repeatable option may collect. */
#define VL_CLI_MAX_MULTI 256

/** Values of a repeatable option (`--approver a.pub --approver b.pub` or
 *  `--approver a.pub b.pub`). Borrowed from argv. */
typedef struct {
    const char *v[VL_CLI_MAX_MULTI];
    size_t n;
} vl_strlist_t;

typedef enum {
    VL_OPT_FLAG,   /**< --x            dst: bool * */
    VL_OPT_ARG,    /**< --x VALUE      dst: const char ** */
    VL_OPT_MULTI,  /**< --x V [V...]   dst: vl_strlist_t * (greedy up to the next -option) */
} vl_opt_kind_t;

/** One option of a subcommand; tables end with { NULL }. */
typedef struct {
    const char *name;   /**< long name without the leading "--" */
    vl_opt_kind_t kind;
    void *dst;
} vl_opt_t;

/** The state of one subcommand run. */
typedef struct {
    const char *cmd;             /**< "propose", "genesis sign": the message prefix */
    const char *usage;           /**< full help text (printed by --help) */
    const char *store_dir;       /**< --store, $VALISE_STORE, ./valise-store */
    const char *key_path;        /**< --key, $VALISE_KEY */
    const char *pass_file;       /**< --pass-file */
    const char *pass_env;        /**< --pass-env, default VALISE_PASSPHRASE */
    bool json;                   /**< --json */
    bool help;                   /**< --help / -h seen */
    vl_strlist_t args;           /**< positional arguments */
    vl_keypair_t *kp;            /**< the acting key, once loaded */
    vl_store_t *store;           /**< the store, once opened */
    bool store_rw;               /**< opened read-write: vl_cli_done raises the mark */
    char err[VL_ERRMSG_MAX];     /**< detail buffer for the failing call */
} vl_cli_t;

/** @brief Take the global options given before the command name
 *  (`valise --json --store DIR status`): argv[1..] up to the first argument
 *  that is not an option, or "--help", "-h", "--version". Only the options
 *  every command takes (--store, --key, --pass-file, --pass-env, --json) are
 *  allowed there; each vl_cli_parse() then reads them, before its own argv
 *  and with the same rules, so an option means the same before the command
 *  as after it (and the one after it wins). argv must outlive the command.
 *  @param[out] cmd  index in argv of the command name (argc when none).
 *  @return VL_EXIT_OK, or VL_EXIT_USAGE after one line "valise: ..." on
 *          stderr (an unknown option, a missing value). */
int vl_cli_globals(int argc, char **argv, int *cmd);

/** @brief Initialise cli for subcommand `cmd` with its help text. */
void vl_cli_init(vl_cli_t *cli, const char *cmd, const char *usage);

/** @brief Parse the global options (vl_cli_globals) and then argv[1..argc-1]
 *  against `opts` plus the common options (--store, --key, --pass-file,
 *  --pass-env, --help; --json when `with_json`). Positionals go to cli->args.
 *  @return VL_EXIT_OK to go on, or an exit code to return now: VL_EXIT_OK
 *          after printing --help (cli->help is set), VL_EXIT_USAGE after a
 *          usage error line. So: `if ((rc = vl_cli_parse(...)) || cli.help) return rc;`. */
int vl_cli_parse(vl_cli_t *cli, int argc, char **argv, const vl_opt_t *opts, bool with_json);

/** One action of a command with actions ("valise policy show"). */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /**< gets argv[0] = the action name */
} vl_cli_action_t;

/** @brief Run the action named by argv[1] of command `cmd` ("policy"), from a
 *  NULL-terminated table; "--help"/"-h" prints usage to stdout. A missing or
 *  unknown action is one line on stderr naming the actions.
 *  @return the action's exit code, VL_EXIT_OK (help) or VL_EXIT_USAGE. */
int vl_cli_dispatch(const char *cmd, const vl_cli_action_t *actions, const char *usage,
                    int argc, char **argv);

/** What an import action does with its FILE: the bytes read whole, the store
 *  open read-write (cli->store). Prints the outcome. @return a VL_EXIT_* code. */
typedef int (*vl_cli_import_fn)(vl_cli_t *cli, const char *path, const uint8_t *buf,
                                size_t len);

/** @brief Run an action of the form "<cmd> FILE" that brings one document
 *  into the store ("fresh import", "policy publish"): the global options only,
 *  exactly one FILE (a usage error names it "<what> FILE"), at most max bytes,
 *  read before the store is opened read-write, then fn.
 *  @return fn's exit code, VL_EXIT_USAGE or VL_EXIT_ERR. */
int vl_cli_import(const char *cmd, const char *usage, const char *what, size_t max,
                  vl_cli_import_fn fn, int argc, char **argv);

/** @brief Print "valise <cmd>: <message> (see 'valise <cmd> --help')" and
 *  return VL_EXIT_USAGE. The formatted message is escaped (vl_cli_fputs), so
 *  an argument quoted in it is safe. */
int vl_cli_usage(const vl_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** @brief Print "valise <cmd>: <vl_strerror(rc)>: <detail>" where detail is
 *  cli->err when set, else the formatted text (fmt may be NULL); with both,
 *  "<what>: <detail>". Both are escaped (vl_cli_fputs): a record field or a
 *  file name in them is safe. Clears cli->err. @return VL_EXIT_ERR. */
int vl_cli_fail(vl_cli_t *cli, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Print "valise <cmd>: <formatted text>" (no error code), escaped
 *  (vl_cli_fputs). @return VL_EXIT_ERR. */
int vl_cli_failx(const vl_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** @brief Load the acting key (cli->key_path) with its passphrase.
 *  Prints the error line itself. @return VL_OK or a VL_E* code. */
int vl_cli_load_key(vl_cli_t *cli);

/** @brief Load another key file (not the acting key) with the same
 *  passphrase sources as --key: a second signer, or the key that opens the
 *  store while --key signs. Prints the error line itself.
 *  @param[out] out  A new key pair the caller destroys; NULL on failure.
 *  @return VL_OK or a VL_E* code. */
int vl_cli_load_keyfile(vl_cli_t *cli, const char *path, vl_keypair_t **out);

/** @brief Read a public key file ("valise-pk1 <hex> <label>"). name
 *  (VL_MAX_NAME + 1 bytes, may be NULL) gets the label, or the file's base
 *  name without ".pub" when it has none. Prints the error line itself.
 *  @return VL_OK or a VL_E* code. */
int vl_cli_read_pub(vl_cli_t *cli, const char *path, uint8_t pk[VL_PK_LEN], char *name);

/** @brief Load the key if needed, then open the store (VL_STORE_RDONLY for
 *  read commands). Prints the error line itself. Then judges the store
 *  against this machine's high-water mark and raises the mark to the head
 *  when it follows it (vl_mark_update, docs/store.md §8), and prints
 *  "valise: warning: this store is behind ..." on stderr when the head is
 *  behind, differs or the mark was damaged (vl_cli_mark() keeps the
 *  judgement). A mark that cannot be written is a warning for read-write
 *  opens only. @return VL_OK or VL_E*. */
int vl_cli_open_store(vl_cli_t *cli, unsigned flags);

/** vl_cli_open_store flag: with VL_STORE_RDONLY and no --key, open without a
 *  key (public facts only: head, links; a backup's bytes). */
#define VL_CLI_NOKEY_OK 0x100u

/** @brief The judgement of the last store opened by vl_cli_open_store (state
 *  OFF before any). */
const vl_mark_check_t *vl_cli_mark(void);

/** @brief The mark judgement as JSON: {"state", "seq", "hash", "time" (null
 *  without a valid mark), "file" (null when OFF), "message" ("" unless it
 *  warns)}. @return new object or NULL on out of memory. */
json_t *vl_cli_mark_json(const vl_mark_check_t *c);

/** @brief Release the store and the key (wiped). Idempotent. A store opened
 *  read-write first raises this machine's high-water mark to its head again
 *  (the command may have moved it); a failure to write it is a warning. */
void vl_cli_done(vl_cli_t *cli);

/** @brief The current time: $VALISE_NOW (unix seconds) or time(NULL). */
uint64_t vl_cli_now(void);

/** @brief "2024-05-01T10:00:00Z" into out[21]. */
void vl_cli_time(uint64_t t, char out[32]);

/** @brief Read a whole file of at most max bytes into a new malloc'd buffer
 *  (NUL-terminated one byte past *len). Writes the detail into err.
 *  @return VL_OK, VL_ENOTFOUND, VL_EIO, VL_ELIMIT, VL_ENOMEM. */
int vl_cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err);

/** @brief Write a file atomically: a temporary file in the same directory,
 *  fsync, rename over path. With `exclusive`, refuse if path exists.
 *  @return VL_OK, VL_EEXIST, VL_EIO. */
int vl_cli_write_file(const char *path, const void *buf, size_t len, bool exclusive,
                      int mode, char *err);

/** @brief Print j to stdout, indented, with a trailing newline; steals j.
 *  @return VL_OK or VL_ENOMEM (NULL j). */
int vl_cli_print_json(json_t *j);

/** @brief Short id: the first 16 hex digits of a 32-byte id. */
void vl_cli_short(const uint8_t id[VL_HASH_LEN], char out[17]);

/** @brief "name (kid)" of a member key, or "unknown (kid)". */
void vl_cli_member(const vl_policy_t *pol, const uint8_t pk[VL_PK_LEN], char *out,
                   size_t cap);

/** @brief A one-line title for a record's JSON view: its "name" (authority)
 *  or "title" (agreement), in English when present, else in the first
 *  language. Borrowed from j; "" when there is none. */
const char *vl_cli_record_title(const json_t *j);

/* ---- untrusted text and numbers (docs/cli.md "Text output", "Numbers") ---- */

/** Largest `find --limit`. */
#define VL_CLI_MAX_LIMIT 1000000u

/** Largest log sequence number an option takes (`log --from/--to`): what a
 *  JSON integer holds. */
#define VL_CLI_MAX_SEQ ((uint64_t)INT64_MAX)

/** Number of vl_cli_esc() results that stay valid at once. */
#define VL_CLI_ESC_SLOTS 8

/** Longest vl_cli_esc() result (bytes, without the NUL): the escape of a
 *  string of VL_MAX_STR bytes fits; longer results end in "...". */
#define VL_CLI_ESC_MAX (4u * 16u * 1024u + 16u)

/** @brief Write the text s that valise did not write itself (a record field,
 *  a member or network name from the policy, a peer's reason, a file name, an
 *  argument) to f so that it can neither move the cursor nor forge a line:
 *  backslash as "\\", TAB as "\t", LF as "\n", CR as "\r", any other byte
 *  below 0x20 and DEL as "\xHH" (lower-case hex), a byte that is not part of
 *  valid UTF-8 as "\xHH", and the C1 controls U+0080..U+009F, the line and
 *  paragraph separators U+2028/U+2029 and the bidirectional controls
 *  U+202A..U+202E, U+2066..U+2069 as "\uXXXX". Everything else (printable
 *  ASCII, other UTF-8) is written as it is. NULL writes nothing.
 *  The escape is reversible: "\\" is the only way a backslash is written. */
void vl_cli_fputs(const char *s, FILE *f);

/** @brief The vl_cli_fputs() escape of s (NULL: "") in one of
 *  VL_CLI_ESC_SLOTS static buffers, for a printf "%s" argument:
 *  `printf("%s\n", vl_cli_esc(name))`. The result stays valid until
 *  VL_CLI_ESC_SLOTS more calls (not thread-safe: the CLI has one thread);
 *  beyond VL_CLI_ESC_MAX bytes it is cut on an escape boundary and ends in
 *  "...". */
const char *vl_cli_esc(const char *s);

/** @brief Parse the decimal number s[0..len) (len (size_t)-1: up to the NUL):
 *  one or more ASCII digits and nothing else (no sign, no space, no "0x"),
 *  no overflow of uint64_t, within [min, max]. Prints nothing.
 *  @param[out] out  the value on VL_OK; untouched otherwise.
 *  @return VL_OK, VL_EINVAL (not a number) or VL_ELIMIT (out of range). */
int vl_cli_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/** @brief The value of numeric option --opt (`opt` without "--") given as s,
 *  parsed with vl_cli_u64() within [min, max]. On failure prints ONE usage
 *  line naming the option, its range and the value (escaped):
 *  "valise <cmd>: --limit wants a whole number from 1 to 1000000, not '-5'
 *  (see 'valise <cmd> --help')".
 *  @param[out] out  the value on VL_OK; untouched otherwise.
 *  @return VL_OK, or VL_EINVAL after the usage line: the caller returns
 *          VL_EXIT_USAGE and changes nothing. */
int vl_cli_number(const vl_cli_t *cli, const char *opt, const char *s, uint64_t min,
                  uint64_t max, uint64_t *out);

/* ---- freshness (docs/trust.md §3) ------------------------------------------ */

/** @brief Freshness of the open store at vl_cli_now(), and its reader line
 *  (vl_freshness_text) in text[cap]. A failure to tell (a damaged
 *  statement) is itself a warning (state UNKNOWN), never an error: reads are
 *  always served.
 *  @return true when the reader must be warned (UNKNOWN, BEHIND, STALE). */
bool vl_cli_freshness(vl_cli_t *cli, vl_freshness_t *f, char *text, size_t cap);

/** @brief Print "valise: warning: <text>" on stderr when f asks for a
 *  warning. Call it once the command has succeeded, so that an error stays
 *  the only line on stderr. */
void vl_cli_freshness_warn(const vl_freshness_t *f, const char *text);

/** @brief "unconfigured", "unknown", "fresh", "behind" or "stale". */
const char *vl_cli_freshness_state(vl_fresh_state_t s);

/** @brief {"state", "issued", "expires" (ISO 8601 or null), "seq" (the
 *  statement's, or null), "head" (ours), "message" (the reader line, "" when
 *  fresh or unconfigured), "seen" (vl_cli_mark_json of vl_cli_mark())}.
 *  @return new object or NULL on out of memory. */
json_t *vl_cli_freshness_json(const vl_freshness_t *f, const char *text);

/** @brief Resolve a pending proposal from an id prefix; prints the error
 *  line itself. @return VL_OK or VL_E*. */
int vl_cli_pending_id(vl_cli_t *cli, const char *prefix, uint8_t id[VL_HASH_LEN]);

#endif
