/* SPDX-License-Identifier: MIT */
/*
 * valise keygen - a new key pair: PREFIX.key (secret, sealed under a
 * passphrase with Argon2id, mode 0600, never overwritten) and PREFIX.pub
 * (public key and label, one text line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vl_cli.h"
#include "vl_keyfile.h"

static const char s_usage[] =
    "usage: valise keygen --out PREFIX [--label TEXT] [--kdf interactive|moderate|sensitive]\n"
    "\n"
    "Create a new key pair. Writes PREFIX.key (the secret key sealed under a\n"
    "passphrase, mode 0600; an existing file is never overwritten) and PREFIX.pub\n"
    "(the public key and a label, which names the member in a genesis), then prints\n"
    "the key id.\n"
    "\n"
    "  --out PREFIX   path prefix of the two files (required)\n"
    "  --label TEXT   member name shown by every command (default: basename of PREFIX)\n"
    "  --kdf COST     Argon2id cost: interactive (64 MiB, for tests), moderate\n"
    "                 (256 MiB, the default) or sensitive (1 GiB)\n"
    "  --json         print {kid, public_key, key_file, pub_file, label}\n"
    "\n"
    "The passphrase comes from --pass-file, else $VALISE_PASSPHRASE (see --pass-env),\n"
    "else it is asked twice on the terminal.\n";

/* Constant-time equality of two passphrases of equal length. */
static bool
s_same(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < alen; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int
cmd_keygen(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "keygen", s_usage);
    const char *prefix = NULL, *label = NULL, *kdf_name = "moderate";
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &prefix },
        { "label", VL_OPT_ARG, &label },
        { "kdf", VL_OPT_ARG, &kdf_name },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!prefix || !*prefix)
        return vl_cli_usage(&cli, "--out PREFIX is required");
    vl_kdf_t kdf;
    if (strcmp(kdf_name, "interactive") == 0)
        kdf = VL_KDF_INTERACTIVE;
    else if (strcmp(kdf_name, "moderate") == 0)
        kdf = VL_KDF_MODERATE;
    else if (strcmp(kdf_name, "sensitive") == 0)
        kdf = VL_KDF_SENSITIVE;
    else
        return vl_cli_usage(&cli, "--kdf must be interactive, moderate or sensitive");

    ret = VL_EXIT_ERR;
    char *keypath = NULL, *pubpath = NULL, *pcopy = NULL;
    char *pass = NULL, *pass2 = NULL;
    size_t passlen = 0, pass2len = 0;
    vl_keypair_t *kp = NULL;
    bool key_written = false;
    int rc;

    size_t plen = strlen(prefix) + 5;
    keypath = malloc(plen);
    pubpath = malloc(plen);
    pcopy = strdup(prefix);
    if (!keypath || !pubpath || !pcopy) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    snprintf(keypath, plen, "%s.key", prefix);
    snprintf(pubpath, plen, "%s.pub", prefix);
    if (!label) {
        char *slash = strrchr(pcopy, '/');
        label = slash ? slash + 1 : pcopy;
    }
    if (vl_pubfile_check_label(label, cli.err) != VL_OK) {
        ret = vl_cli_usage(&cli, "--label: %s", cli.err);
        goto out;
    }
    if (access(keypath, F_OK) == 0) {
        vl_cli_fail(&cli, VL_EEXIST, "%s (refusing to overwrite a key file)", keypath);
        goto out;
    }
    if (access(pubpath, F_OK) == 0) {
        vl_cli_fail(&cli, VL_EEXIST, "%s (refusing to overwrite)", pubpath);
        goto out;
    }

    /* Prompting happens only when neither a file nor the variable is set:
     * then ask twice, since a mistyped passphrase would lose the key. */
    const char *envval = cli.pass_env ? getenv(cli.pass_env) : NULL;
    bool prompting = !cli.pass_file && !envval;
    rc = vl_passphrase_get(cli.pass_file, cli.pass_env, "New passphrase: ", &pass, &passlen,
                           cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "passphrase");
        goto out;
    }
    if (prompting) {
        rc = vl_passphrase_get(NULL, NULL, "Repeat passphrase: ", &pass2, &pass2len, cli.err);
        if (rc != VL_OK) {
            vl_cli_fail(&cli, rc, "passphrase");
            goto out;
        }
        if (!s_same(pass, passlen, pass2, pass2len)) {
            vl_cli_failx(&cli, "the two passphrases differ");
            goto out;
        }
    }

    rc = vl_keypair_generate(&kp);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "key generation");
        goto out;
    }
    rc = vl_keyfile_write(keypath, kp, pass, passlen, kdf, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", keypath);
        goto out;
    }
    key_written = true;
    rc = vl_pubfile_write(pubpath, vl_keypair_pk(kp), label, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "%s", pubpath);
        goto out;
    }

    char kid[2 * VL_KID_LEN + 1], pkhex[2 * VL_PK_LEN + 1];
    vl_kid(vl_keypair_pk(kp), kid);
    vl_hex(vl_keypair_pk(kp), VL_PK_LEN, pkhex);
    if (cli.json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kid", kid, "public_key", pkhex,
                              "key_file", keypath, "pub_file", pubpath, "label", label);
        if (vl_cli_print_json(j) != VL_OK) {
            vl_cli_fail(&cli, VL_ENOMEM, NULL);
            goto out;
        }
    } else {
        printf("key id %s: wrote %s (secret, sealed) and %s (label \"%s\")\n", kid,
               vl_cli_esc(keypath), vl_cli_esc(pubpath), vl_cli_esc(label));
    }
    key_written = false;
    ret = VL_EXIT_OK;
out:
    if (key_written)
        unlink(keypath); /* no half-made key pair left behind */
    vl_keypair_destroy(&kp);
    vl_secure_free(&pass);
    vl_secure_free(&pass2);
    free(keypath);
    free(pubpath);
    free(pcopy);
    return ret;
}
