/* SPDX-License-Identifier: MIT */
/*
 * valise - the command-line tool: the subcommand table, global usage and
 * dispatch. Each subcommand lives in its own tools/cmd_<name>.c and
 * returns the process exit code (0 ok, 1 error, 2 usage).
 */
#include <stdio.h>
#include <string.h>

#include "vl_cli.h"
#include "vl_crypto.h"

int cmd_keygen(int argc, char **argv);
int cmd_genesis(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_propose(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_proposals(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_find(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_fresh(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_edition(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} s_commands[] = {
    { "keygen",  cmd_keygen,  "Create a key pair (sealed secret key file + public key file)" },
    { "genesis", cmd_genesis, "Create, sign and show the genesis (the network's first policy)" },
    { "init",    cmd_init,    "Create a store from a signed genesis" },
    { "propose", cmd_propose, "Propose record changes (JSON file, field updates or a delete)" },
    { "review",  cmd_review,  "Show pending proposals with a field-level diff" },
    { "approve", cmd_approve, "Add your approval to pending proposals" },
    { "reject",  cmd_reject,  "Reject a pending proposal with a reason" },
    { "proposals", cmd_proposals, "What became of your proposals: pending, applied, rejected" },
    { "get",     cmd_get,     "Show one current record" },
    { "find",    cmd_find,    "Find records by State, function, legal basis, language, text" },
    { "log",     cmd_log,     "Show the signed, hash-chained log" },
    { "verify",  cmd_verify,  "Check the whole store from its log and report every problem" },
    { "export",  cmd_export,  "Export current records as JSON or CSV" },
    { "status",  cmd_status,  "Show the network, the head of the log, freshness and pending work" },
    { "policy",  cmd_policy,  "Show the policy's versions; propose, sign and publish the next one" },
    { "fresh",   cmd_fresh,   "Issue, show, import and export signed freshness statements" },
    { "bundle",  cmd_bundle,  "Carry entries and proposals on a stick: want, create, import, show" },
    { "edition", cmd_edition, "Write the printed edition: one self-contained HTML file to print" },
    { "serve",   cmd_serve,   "Show the replica in a browser (loopback only, read-only)" },
    { "backup",  cmd_backup,  "Copy a live store, compacted, into one file (consistent, atomic)" },
    { "restore", cmd_restore, "Check a backup, then put it in place of the store" },
    { "sample",  cmd_sample,  "Generate a sample directory (fictitious data) as JSON" },
};
#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static void
s_usage(FILE *f)
{
    fputs("usage: valise [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "A signed, encrypted, hash-chained replica of the directory of competent\n"
          "national authorities and of regional compendiums of agreements.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", s_commands[i].name, s_commands[i].help);
    fputs("\n"
          "Options every command takes (also accepted before COMMAND):\n"
          "  --store DIR       store directory (default $VALISE_STORE, else ./valise-store)\n"
          "  --key FILE        acting secret key file (default $VALISE_KEY); it opens the\n"
          "                    store and signs what you propose, approve or reject\n"
          "  --pass-file FILE  read the key's passphrase from the first line of FILE\n"
          "  --pass-env VAR    else from environment variable VAR (default\n"
          "                    VALISE_PASSPHRASE), else a no-echo prompt on the terminal\n"
          "  --json            machine-readable output (read commands)\n"
          "  --help            help for a command: valise COMMAND --help\n"
          "\n"
          "valise --version prints the program's version and the protocol, store and\n"
          "document format versions it speaks.\n"
          "\n"
          "Environment: VALISE_STORE, VALISE_KEY, VALISE_PASSPHRASE, and VALISE_NOW (unix\n"
          "seconds) to fix the clock for reproducible runs.\n"
          "\n"
          "Exit status: 0 success, 1 error (one line on stderr, store unchanged),\n"
          "2 usage error.\n",
          f);
}

int
main(int argc, char **argv)
{
    if (vl_crypto_init() != VL_OK) {
        fputs("valise: crypto error: libsodium failed to initialise\n", stderr);
        return VL_EXIT_ERR;
    }
    int i = 0;
    int ret = vl_cli_globals(argc, argv, &i);
    if (ret != VL_EXIT_OK)
        return ret;
    if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
        s_usage(stdout);
        return VL_EXIT_OK;
    }
    if (i < argc && strcmp(argv[i], "--version") == 0) {
        char v[256];
        vl_store_versions(v, sizeof v);
        printf("valise %s (%s)\n", VL_VERSION, v);
        return VL_EXIT_OK;
    }
    if (i >= argc) {
        s_usage(stderr);
        return VL_EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 >= argc) {
            s_usage(stdout);
            return VL_EXIT_OK;
        }
        name = argv[i + 1];
        for (size_t c = 0; c < S_NCOMMANDS; c++) {
            if (strcmp(s_commands[c].name, name) == 0) {
                char *hargv[] = { argv[i + 1], "--help", NULL };
                return s_commands[c].fn(2, hargv);
            }
        }
        fprintf(stderr, "valise: unknown command '%s' (see 'valise --help')\n",
                vl_cli_esc(name));
        return VL_EXIT_USAGE;
    }
    for (size_t c = 0; c < S_NCOMMANDS; c++)
        if (strcmp(s_commands[c].name, name) == 0)
            return s_commands[c].fn(argc - i, argv + i);
    fprintf(stderr, "valise: unknown command '%s' (see 'valise --help')\n",
            vl_cli_esc(name));
    return VL_EXIT_USAGE;
}
