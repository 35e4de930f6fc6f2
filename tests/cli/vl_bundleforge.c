/* SPDX-License-Identifier: MIT */
/*
 * vl_bundleforge - makes hostile bundles for tests/cli/t_bundle_hostile.sh.
 * Test code only (never linked into a program).
 *
 *   vl_bundleforge --in IN --out OUT --key MAKER.key --genesis G.vlg
 *                  --what resign|flipsig|replace|rechain [--seq N]
 *                  [--prop P.vpr --signer A.key --signer B.key] [--name TEXT]
 *
 * Reads the bundle IN with the one reader (vl_bundle_parse: it must be a
 * valid bundle), changes what --what says, and writes OUT with the bundle
 * writer, its trailer hashed and signed by MAKER (a member key: the header's
 * maker becomes MAKER). So the result passes every check of the file itself
 * (framing, hash, the maker's signature): what is left to catch the forgery
 * is what a live peer's data meets, which is what the test is about.
 *
 *   resign   the same objects, re-signed by MAKER;
 *   flipsig  entry N with the last byte of its document flipped: inside the
 *            signature of its last approver (an entry document ends with its
 *            "sigs" list, a signature map with its "s");
 *   replace  entry N replaced by a fabricated entry: the same seq, prev,
 *            root, time and policy version, but embedding the proposal P (a
 *            real proposal of a member, made with `valise propose --out`,
 *            never approved), signed by the approvers A and B and then with
 *            its last byte flipped, i.e. the signature of whichever of A and B
 *            has the key that sorts last (the list is sorted by key) forged:
 *            what the holder of ONE approver key can make;
 *   rechain  as replace, and every later entry made again on the new chain
 *            (prev = the link of the new one before it; same proposal, root and
 *            time), each signed by A and B and forged the same way.
 *   runflip  entry N, an entry of a run (version 2): the last byte of its
 *            row's root flipped inside the run document it carries;
 *   runswap  entry N: the first two rows of the run it carries swapped;
 *   runsigs  entry N: made again from its run, signed by A and B (a signer
 *            set other than its run-mates', every signature valid);
 *   runprev  entry N (a run's entry after its first): the last byte of its
 *            header's prev flipped, which no signature covers: a forged copy
 *            that must not pass for equivocation (docs/trust.md §5).
 * --name TEXT replaces the network name of the header (display only; a
 * hostile one tests the escaping of `bundle show` and of error lines).
 * Entries are made under the genesis (policy version 1): the test forges
 * entries governed by version 1.
 * The passphrase of every key file is $VALISE_PASSPHRASE.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_bundle.h"
#include "vl_crypto.h"
#include "vl_entry.h"
#include "vl_keyfile.h"
#include "vl_policy.h"

static int
s_die(const char *what, int rc, const char *err)
{
    fprintf(stderr, "vl_bundleforge: %s: %s%s%s\n", what, vl_strerror(rc), err && *err ? ": " : "",
            err ? err : "");
    return 1;
}

static int
s_slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    *out = buf;
    *len = n;
    return 0;
}

static int
s_key(const char *path, vl_keypair_t **kp)
{
    char err[VL_ERRMSG_MAX] = "";
    const char *pass = getenv("VALISE_PASSPHRASE");
    if (!pass)
        return s_die("VALISE_PASSPHRASE", VL_EINVAL, "not set");
    int rc = vl_keyfile_read(path, pass, strlen(pass), kp, err);
    return rc == VL_OK ? 0 : s_die(path, rc, err);
}

/* A fabricated entry: seq/prev/root/time/policy as given, embedding prop,
 * signed by a and b, then its last byte flipped (the last signature forged). */
static int
s_fabricate(const vl_policy_t *pol, const vl_entry_head_t *h, const uint8_t prev[VL_HASH_LEN],
            const uint8_t *prop, size_t plen, const vl_keypair_t *a, const vl_keypair_t *b,
            uint8_t **out, size_t *len)
{
    char err[VL_ERRMSG_MAX] = "";
    uint8_t *c0 = NULL, *c1 = NULL;
    size_t l0, l1;
    int rc = vl_entry_make(pol, h->seq, prev, prop, plen, h->root, h->time, &c0, &l0, err);
    if (rc == VL_OK)
        rc = vl_entry_sign(pol, c0, l0, a, &c1, &l1, err);
    if (rc == VL_OK)
        rc = vl_entry_sign(pol, c1, l1, b, out, len, err);
    free(c0);
    free(c1);
    if (rc != VL_OK)
        return s_die("make the forged entry", rc, err);
    (*out)[*len - 1] ^= 0x01;
    return 0;
}

/* runflip, runswap, runsigs on one entry of a run (see the top). */
static int
s_run_forge(const char *what, const vl_policy_t *pol, const uint8_t *in, size_t ilen,
            const vl_keypair_t *a, const vl_keypair_t *b, uint8_t **out, size_t *len)
{
    char err[VL_ERRMSG_MAX] = "";
    vl_entry_t *e = NULL;
    int rc = vl_entry_parse(pol, in, ilen, VL_ENTRY_NO_SIGS, &e, err);
    if (rc != VL_OK || !vl_entry_run(e))
        return s_die("entry of a run", rc ? rc : VL_EINVAL, err);
    const vl_run_t *r = vl_entry_run(e);
    size_t rlen, idx = vl_entry_run_index(e), plen;
    const uint8_t *rb = vl_run_bytes(r, &rlen);
    int ret = 1;
    if (!strcmp(what, "runsigs")) {
        uint8_t *c0 = NULL, *c1 = NULL;
        size_t l0, l1;
        const uint8_t *pb = vl_proposal_bytes(vl_entry_proposal(e), &plen);
        rc = vl_entry_make_run(pol, rb, rlen, idx, vl_entry_prev(e), pb, plen, NULL, 0, &c0, &l0,
                               err);
        if (rc == VL_OK)
            rc = vl_entry_sign(pol, c0, l0, a, &c1, &l1, err);
        if (rc == VL_OK)
            rc = vl_entry_sign(pol, c1, l1, b, out, len, err);
        free(c0);
        free(c1);
        ret = rc == VL_OK ? 0 : s_die("runsigs", rc, err);
        goto out;
    }
    if (!(*out = malloc(ilen)))
        goto out;
    memcpy(*out, in, ilen);
    *len = ilen;
    if (!strcmp(what, "runprev")) {
        /* The header's "prev": fixstr "prev", bin8 of 32 bytes. */
        uint8_t *at = memmem(*out, ilen, "\xa4prev\xc4\x20", 7);
        if (!at || (size_t)(at - *out) + 39 > ilen) {
            ret = s_die("runprev", VL_EINVAL, "prev not found");
            goto out;
        }
        at[38] ^= 0x01;
        ret = 0;
        goto out;
    }
    uint8_t *run = memmem(*out, ilen, rb, rlen);
    if (!run) {
        ret = s_die("runflip/runswap", VL_EINVAL, "run not found in the entry");
        goto out;
    }
    /* A row is encoded as 92 c4 20 <prop> c4 20 <root>: 69 bytes. */
    uint8_t rows[138];
    for (size_t i = 0; i < 2 && i < vl_run_nrows(r); i++) {
        uint8_t *w = rows + 69 * i;
        w[0] = 0x92;
        w[1] = w[35] = 0xc4;
        w[2] = w[36] = 0x20;
        memcpy(w + 3, vl_run_row(r, i)->prop, 32);
        memcpy(w + 37, vl_run_row(r, i)->root, 32);
    }
    if (!strcmp(what, "runflip")) {
        uint8_t row[69];
        row[0] = 0x92;
        row[1] = row[35] = 0xc4;
        row[2] = row[36] = 0x20;
        memcpy(row + 3, vl_run_row(r, idx)->prop, 32);
        memcpy(row + 37, vl_run_row(r, idx)->root, 32);
        uint8_t *at = memmem(run, rlen, row, sizeof row);
        if (!at) {
            ret = s_die("runflip", VL_EINVAL, "row not found");
            goto out;
        }
        at[68] ^= 0x01;
    } else {
        uint8_t *at = vl_run_nrows(r) >= 2 ? memmem(run, rlen, rows, sizeof rows) : NULL;
        if (!at) {
            ret = s_die("runswap", VL_EINVAL, "rows 0 and 1 not found");
            goto out;
        }
        memcpy(at, rows + 69, 69);
        memcpy(at + 69, rows, 69);
    }
    ret = 0;
out:
    vl_entry_destroy(&e);
    return ret;
}

int
main(int argc, char **argv)
{
    const char *in = NULL, *outp = NULL, *keyp = NULL, *gen = NULL, *what = NULL, *propp = NULL;
    const char *name = NULL;
    const char *signer[2] = { NULL, NULL };
    unsigned long long seq = 0;
    int ns = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--in"))
            in = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            outp = argv[i + 1];
        else if (!strcmp(argv[i], "--key"))
            keyp = argv[i + 1];
        else if (!strcmp(argv[i], "--genesis"))
            gen = argv[i + 1];
        else if (!strcmp(argv[i], "--what"))
            what = argv[i + 1];
        else if (!strcmp(argv[i], "--seq"))
            seq = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--prop"))
            propp = argv[i + 1];
        else if (!strcmp(argv[i], "--name"))
            name = argv[i + 1];
        else if (!strcmp(argv[i], "--signer") && ns < 2)
            signer[ns++] = argv[i + 1];
        else
            return fprintf(stderr, "vl_bundleforge: unknown option %s\n", argv[i]), 2;
    }
    if (!in || !outp || !keyp || !gen || !what)
        return fprintf(stderr, "vl_bundleforge: --in --out --key --genesis --what needed\n"), 2;
    int fab = !strcmp(what, "replace") || !strcmp(what, "rechain");
    int runf = !strcmp(what, "runflip") || !strcmp(what, "runswap") || !strcmp(what, "runsigs") ||
               !strcmp(what, "runprev");
    if (strcmp(what, "resign") && strcmp(what, "flipsig") && !fab && !runf)
        return fprintf(stderr, "vl_bundleforge: unknown --what %s\n", what), 2;
    if ((fab && (!propp || ns != 2)) || (strcmp(what, "resign") && seq == 0))
        return fprintf(stderr, "vl_bundleforge: --seq (and for %s --prop, two --signer)\n", what), 2;
    if (vl_crypto_init() != VL_OK)
        return 1;

    char err[VL_ERRMSG_MAX] = "";
    uint8_t *buf = NULL, *gbuf = NULL, *pbuf = NULL;
    size_t len = 0, glen = 0, plen = 0;
    if (s_slurp(in, &buf, &len) || s_slurp(gen, &gbuf, &glen) ||
        (propp && s_slurp(propp, &pbuf, &plen)))
        return fprintf(stderr, "vl_bundleforge: cannot read an input file\n"), 1;
    vl_policy_t *pol = NULL;
    int rc = vl_policy_parse(gbuf, glen, 0, &pol, err);
    if (rc != VL_OK)
        return s_die(gen, rc, err);
    vl_keypair_t *maker = NULL, *sa = NULL, *sb = NULL;
    int signers = fab || !strcmp(what, "runsigs");
    if (signers && ns != 2)
        return fprintf(stderr, "vl_bundleforge: %s needs two --signer\n", what), 2;
    if (s_key(keyp, &maker) ||
        (signers && (s_key(signer[0], &sa) || s_key(signer[1], &sb))))
        return 1;
    vl_bundle_t *b = NULL;
    if ((rc = vl_bundle_parse(buf, len, &b, err)) != VL_OK)
        return s_die(in, rc, err);
    vl_bundle_hdr_t h = *vl_bundle_hdr(b);
    if (strcmp(what, "resign") && (seq < h.from || seq > h.to || h.from == 0))
        return fprintf(stderr, "vl_bundleforge: entry %llu is not in the bundle\n", seq), 1;
    memcpy(h.maker, vl_keypair_pk(maker), VL_PK_LEN);
    if (name) {
        if (strlen(name) >= sizeof h.name)
            return fprintf(stderr, "vl_bundleforge: --name too long\n"), 2;
        memcpy(h.name, name, strlen(name) + 1);
    }

    FILE *f = fopen(outp, "wb");
    if (!f)
        return fprintf(stderr, "vl_bundleforge: cannot write %s\n", outp), 1;
    vl_bundle_wr_t *w = NULL;
    if ((rc = vl_bundle_wr_start(f, &h, &w, err)) != VL_OK)
        return s_die("writer", rc, err);
    uint8_t link[VL_HASH_LEN]; /* the link of the (new) entry before the current one */
    int forged = 0;
    for (size_t i = 0; i < vl_bundle_count(b); i++) {
        vl_bundle_item_t it;
        vl_bundle_item(b, i, &it);
        uint8_t *mine = NULL;
        size_t mlen = 0;
        if (it.kind == VL_BK_ENTRY) {
            vl_entry_head_t eh;
            if ((rc = vl_entry_peek(it.a, it.alen, &eh, err)) != VL_OK)
                return s_die("entry", rc, err);
            if (!strcmp(what, "flipsig") && eh.seq == seq) {
                if (!(mine = malloc(it.alen)))
                    return 1;
                memcpy(mine, it.a, it.alen);
                mlen = it.alen;
                mine[mlen - 1] ^= 0x01;
            } else if (runf && eh.seq == seq) {
                if (s_run_forge(what, pol, it.a, it.alen, sa, sb, &mine, &mlen))
                    return 1;
            } else if (fab && eh.seq == seq) {
                if (s_fabricate(pol, &eh, eh.prev, pbuf, plen, sa, sb, &mine, &mlen))
                    return 1;
            } else if (!strcmp(what, "rechain") && eh.seq > seq) {
                vl_entry_t *e = NULL;
                if ((rc = vl_entry_parse(pol, it.a, it.alen, VL_ENTRY_NO_SIGS, &e, err)) != VL_OK)
                    return s_die("entry to re-chain", rc, err);
                size_t ol;
                const uint8_t *ob = vl_proposal_bytes(vl_entry_proposal(e), &ol);
                int frc = s_fabricate(pol, &eh, link, ob, ol, sa, sb, &mine, &mlen);
                vl_entry_destroy(&e);
                if (frc)
                    return 1;
            }
            /* The link of what is written, for the next entry to chain to. */
            vl_entry_t *e = NULL;
            rc = vl_entry_parse(pol, mine ? mine : it.a, mine ? mlen : it.alen, VL_ENTRY_NO_SIGS,
                                &e, err);
            if (rc != VL_OK && !(runf && mine)) /* a forged run entry need not decode */
                return s_die("link", rc, err);
            if (rc == VL_OK)
                memcpy(link, vl_entry_hash(e), VL_HASH_LEN);
            vl_entry_destroy(&e);
            forged += mine != NULL;
        }
        rc = vl_bundle_wr_add(w, it.kind, mine ? mine : it.a, mine ? mlen : it.alen, it.b,
                              it.blen, err);
        free(mine);
        if (rc != VL_OK)
            return s_die("add", rc, err);
    }
    uint64_t size = 0;
    if ((rc = vl_bundle_wr_finish(w, maker, &size, err)) != VL_OK)
        return s_die("finish", rc, err);
    vl_bundle_wr_destroy(&w);
    if (fclose(f) != 0)
        return fprintf(stderr, "vl_bundleforge: cannot write %s\n", outp), 1;
    printf("%s: %d entries changed, %llu bytes\n", outp, forged, (unsigned long long)size);
    vl_bundle_destroy(&b);
    vl_policy_destroy(&pol);
    vl_keypair_destroy(&maker);
    vl_keypair_destroy(&sa);
    vl_keypair_destroy(&sb);
    free(buf);
    free(gbuf);
    free(pbuf);
    return 0;
}
