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
 * --name TEXT replaces the network name of the header (display only; a
 * hostile one tests the escaping of `bundle show` and of error lines).
 * Entries are made under the genesis (policy version 1): the test forges
 * entries governed by version 1.
 * The passphrase of every key file is $VALISE_PASSPHRASE.
 */
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
    if (strcmp(what, "resign") && strcmp(what, "flipsig") && !fab)
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
    if (s_key(keyp, &maker) || (fab && (s_key(signer[0], &sa) || s_key(signer[1], &sb))))
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
            if ((rc = vl_entry_parse(pol, mine ? mine : it.a, mine ? mlen : it.alen,
                                     VL_ENTRY_NO_SIGS, &e, err)) != VL_OK)
                return s_die("link", rc, err);
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
