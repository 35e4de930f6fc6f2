/* SPDX-License-Identifier: MIT */
/*
 * valise backup - a consistent, compacted copy of a live store in one file
 * (docs/cli.md "backup", docs/store.md §9). The copy is taken in one LMDB
 * read transaction (vl_store_backup): a daemon may go on syncing meanwhile.
 * The file is written beside FILE under a temporary name, fsynced, then
 * linked (or with --force renamed) to FILE: a reader never sees half a copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl_cli.h"
#include "vl_store_backup.h"

static const char s_usage[] =
    "usage: valise backup --out FILE [--force] [--json] [--key MEMBER.key]\n"
    "\n"
    "Copy the store (--store DIR) into FILE: one file, an LMDB data file without\n"
    "free pages, as of one moment (a daemon may be syncing meanwhile). Record\n"
    "bodies stay encrypted at rest: a backup, like the store, reveals no contact\n"
    "details without a member's key. No key is needed; with --key the key must\n"
    "be a member. FILE is written atomically (mode 0600) and an existing FILE is\n"
    "refused unless --force. Prints the head of what was copied:\n"
    "  backup: FILE: head N (HASH), B bytes\n"
    "Restore it with 'valise restore FILE'. Back up the keys separately.\n"
    "  --out FILE   the backup file to write\n"
    "  --force      replace FILE if it exists\n"
    "  --json       {\"file\", \"seq\", \"hash\", \"bytes\"}\n";

/* fsync the directory holding path, so that a rename or link survives. */
static void
s_sync_dir(const char *path)
{
    char *d = strdup(path);
    if (!d)
        return;
    int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(d);
}

int
cmd_backup(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "backup", s_usage);
    const char *out = NULL;
    bool force = false;
    const vl_opt_t opts[] = {
        { "out", VL_OPT_ARG, &out },
        { "force", VL_OPT_FLAG, &force },
        { NULL, VL_OPT_FLAG, NULL },
    };
    int ret = vl_cli_parse(&cli, argc, argv, opts, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);
    if (!out || !*out)
        return vl_cli_usage(&cli, "--out FILE is required");

    ret = VL_EXIT_ERR;
    int fd = -1;
    char *tmp = NULL;
    struct stat st;
    if (!force && lstat(out, &st) == 0) {
        vl_cli_fail(&cli, VL_EEXIST, "%s exists (refusing to overwrite; --force replaces it)",
                    out);
        goto out;
    }
    if (force && lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        vl_cli_fail(&cli, VL_EINVAL, "%s exists and is not a regular file", out);
        goto out;
    }
    if (vl_cli_open_store(&cli, VL_STORE_RDONLY | VL_CLI_NOKEY_OK) != VL_OK)
        goto out;
    char *d = strdup(out);
    if (!d || !(tmp = malloc(strlen(out) + 32))) {
        free(d);
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    snprintf(tmp, strlen(out) + 32, "%s/.valise-backup.XXXXXX", dirname(d));
    free(d);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        vl_cli_fail(&cli, VL_EIO, "%s: %s", out, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    if (fchmod(fd, 0600) != 0) {
        vl_cli_fail(&cli, VL_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    cli.err[0] = '\0';
    int rc = vl_store_backup(cli.store, fd, cli.err);
    if (rc != VL_OK) {
        vl_cli_fail(&cli, rc, "backup of %s into %s", cli.store_dir, out);
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        vl_cli_fail(&cli, VL_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    /* The head of what was copied, read back from the copy itself: a writer
     * may have moved the live store's head since. */
    uint64_t seq = 0;
    uint8_t hash[VL_HASH_LEN];
    if ((rc = vl_store_file_head(tmp, &seq, hash, cli.err)) != VL_OK) {
        vl_cli_fail(&cli, rc, "reading back the copy");
        goto out;
    }
    if (force) {
        if (rename(tmp, out) != 0) {
            vl_cli_fail(&cli, VL_EIO, "%s: %s", out, strerror(errno));
            goto out;
        }
    } else {
        /* link() fails if FILE appeared meanwhile: no silent overwrite. */
        if (link(tmp, out) != 0) {
            vl_cli_fail(&cli, errno == EEXIST ? VL_EEXIST : VL_EIO, "%s: %s", out,
                        errno == EEXIST ? "exists (refusing to overwrite; --force replaces it)"
                                        : strerror(errno));
            goto out;
        }
        unlink(tmp);
    }
    tmp[0] = '\0';
    s_sync_dir(out);
    char hex[2 * VL_HASH_LEN + 1];
    vl_hex(hash, VL_HASH_LEN, hex);
    if (cli.json) {
        vl_cli_print_json(json_pack("{s:s, s:I, s:s, s:I}", "file", out, "seq",
                                    (json_int_t)seq, "hash", hex, "bytes",
                                    (json_int_t)st.st_size));
    } else {
        printf("backup: %s: head %llu (%.16s), %lld bytes\n", vl_cli_esc(out),
               (unsigned long long)seq, hex, (long long)st.st_size);
    }
    ret = VL_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp && tmp[0])
        unlink(tmp);
    free(tmp);
    vl_cli_done(&cli);
    return ret;
}
