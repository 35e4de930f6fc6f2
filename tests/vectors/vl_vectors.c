/* SPDX-License-Identifier: MIT */
/*
 * vl_vectors - make and check the test vectors of docs/formats.md.
 *
 *   vl_vectors --generate          print a fresh vector file (keys from fixed seeds)
 *   vl_vectors --check FILE        verify a vector file with valise's own decoders
 *   vl_vectors --messages          print the example sync messages of docs/protocol.md
 *   vl_vectors --bundle            print the example bundle and want file of
 *                                  docs/formats.md §11 (deterministic: Ed25519
 *                                  signatures are), after reading them back
 *   vl_vectors --generate-run FILE print the run vectors (docs/formats.md §6.1)
 *                                  on FILE's network, to append to it
 *                                  (vl_vectors_run.c)
 *   vl_vectors --generate-v2 FILE  print the proposal format 2 vectors
 *                                  (docs/formats.md §5) on FILE's network
 *                                  (vl_vectors_v2.c)
 *
 * The freshness-statement vectors (fresh_policy.*, fresh.*) come last: the
 * generator is not deterministic (every genesis draws a new network id and
 * content key), so they were appended to an existing vectors.txt rather than
 * regenerating the items before them. The reader vectors (key.reader.*,
 * reader_policy.*) were appended after them the same way.
 *
 * The vector file is line-oriented, "name=hex" or "name=text", so that an
 * independent checker (tests/vectors/check-openssl.sh: Python's hashlib for
 * BLAKE2b and OpenSSL for Ed25519) can verify every signature without any
 * valise code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vl_bundle.h"
#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_fresh.h"
#include "vl_msg.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_root.h"
#include "vl_testnet.h"
#include "vl_vectors.h"

void
s_hexline(const char *name, const uint8_t *p, size_t len)
{
    char *hex = malloc(2 * len + 1);
    if (!hex)
        exit(1);
    vl_hex(p, len, hex);
    printf("%s=%s\n", name, hex);
    free(hex);
}

static void
s_key(const char *name, const vl_keypair_t *kp, uint8_t seedbyte)
{
    uint8_t seed[VL_SEED_LEN];
    char line[64];
    memset(seed, seedbyte, sizeof seed);
    snprintf(line, sizeof line, "key.%s.seed", name);
    s_hexline(line, seed, sizeof seed);
    snprintf(line, sizeof line, "key.%s.pk", name);
    s_hexline(line, vl_keypair_pk(kp), VL_PK_LEN);
}

/* Print the signed header, the digest and every (pk, sig) of a document whose
 * layout is {"hdr": bin, ..., "sig"/"sigs": ...}. */
int
s_sigs(const char *what, const uint8_t *doc, size_t len, const char *tag)
{
    vl_doc_t *d = NULL;
    char name[64];
    if (vl_doc_parse(doc, len, 0, &d, NULL) != VL_OK)
        return 1;
    vl_val_t root = vl_doc_root(d);
    const uint8_t *hb, *ct = NULL;
    size_t hl, ctl = 0;
    if (vl_val_bin(vl_val_get(root, "hdr"), &hb, &hl) != VL_OK)
        return 1;
    snprintf(name, sizeof name, "%s.doc", what);
    s_hexline(name, doc, len);
    snprintf(name, sizeof name, "%s.hdr", what);
    s_hexline(name, hb, hl);
    printf("%s.tag=%s\n", what, tag);
    uint8_t digest[VL_HASH_LEN];
    if (vl_val_bin(vl_val_get(root, "ct"), &ct, &ctl) == VL_OK) {
        /* proposal: H(tag, u32be(len hdr) || hdr || ct) */
        snprintf(name, sizeof name, "%s.ct", what);
        s_hexline(name, ct, ctl);
        vl_hash_t h;
        vl_hash_init(&h, tag);
        vl_hash_lp(&h, hb, hl);
        vl_hash_update(&h, ct, ctl);
        vl_hash_final(&h, digest);
    } else {
        vl_hash(digest, tag, hb, hl);
    }
    snprintf(name, sizeof name, "%s.digest", what);
    s_hexline(name, digest, sizeof digest);
    vl_val_t sigs = vl_val_get(root, "sigs");
    if (vl_val_none(sigs)) {
        const uint8_t *s;
        size_t sl;
        vl_val_t hdoc_author;
        vl_doc_t *hd = NULL;
        if (vl_doc_parse(hb, hl, 0, &hd, NULL) != VL_OK)
            return 1;
        hdoc_author = vl_val_get(vl_doc_root(hd), "author");
        if (vl_val_none(hdoc_author))
            hdoc_author = vl_val_get(vl_doc_root(hd), "approver");
        if (vl_val_none(hdoc_author))
            hdoc_author = vl_val_get(vl_doc_root(hd), "node"); /* freshness statement */
        const uint8_t *pk;
        size_t pkl;
        if (vl_val_bin(hdoc_author, &pk, &pkl) != VL_OK ||
            vl_val_bin(vl_val_get(root, "sig"), &s, &sl) != VL_OK)
            return 1;
        snprintf(name, sizeof name, "%s.sig.0.pk", what);
        s_hexline(name, pk, pkl);
        snprintf(name, sizeof name, "%s.sig.0.sig", what);
        s_hexline(name, s, sl);
        vl_doc_destroy(&hd);
    } else {
        for (uint32_t i = 0; i < vl_val_len(sigs); i++) {
            const uint8_t *k, *s;
            size_t kl, sl;
            vl_val_t e = vl_val_at(sigs, i);
            if (vl_val_bin(vl_val_get(e, "k"), &k, &kl) != VL_OK ||
                vl_val_bin(vl_val_get(e, "s"), &s, &sl) != VL_OK)
                return 1;
            snprintf(name, sizeof name, "%s.sig.%u.pk", what, i);
            s_hexline(name, k, kl);
            snprintf(name, sizeof name, "%s.sig.%u.sig", what, i);
            s_hexline(name, s, sl);
        }
    }
    vl_doc_destroy(&d);
    return 0;
}

/* The freshness vectors: a genesis like the test network's but naming the
 * node as its fresh key (docs/trust.md §1.1), and a statement by the node
 * about that network at seq 0 (head = the genesis hash). */
static int
s_generate_fresh(vl_testnet_t *t, char *err)
{
    int rc;
    uint8_t *u = NULL, *one = NULL, *doc = NULL, *st = NULL;
    size_t ul = 0, onel = 0, docl = 0, stl = 0;
    vl_policy_t *pol = NULL;
    vl_policy_builder_t *b = vl_policy_builder_new();
    if (!b)
        return VL_ENOMEM;
    if ((rc = vl_policy_builder_set(b, "valise test network", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "Secretariat A",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a2), "Secretariat B",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(t->node), "Vienna node",
                                    NULL, err)) ||
        (rc = vl_policy_builder_set_fresh(b, vl_keypair_pk(t->node))) ||
        (rc = vl_policy_builder_finish(b, 1700000000, &u, &ul, err)) ||
        (rc = vl_policy_sign(u, ul, t->a1, &one, &onel, err)) ||
        (rc = vl_policy_sign(one, onel, t->a2, &doc, &docl, err)) ||
        (rc = vl_policy_parse(doc, docl, 0, &pol, err)))
        goto out;
    vl_fresh_t f;
    memset(&f, 0, sizeof f);
    memcpy(f.net, vl_policy_net(pol), VL_NETID_LEN);
    memcpy(f.node, vl_keypair_pk(t->node), VL_PK_LEN);
    f.policy = 1;
    f.seq = 0;
    memcpy(f.head, vl_policy_hash(pol), VL_HASH_LEN);
    f.issued = 1700000300;
    f.expires = f.issued + 86400;
    if ((rc = vl_fresh_make(&f, t->node, &st, &stl, err)))
        goto out;
    if (s_sigs("fresh_policy", doc, docl, "valise/policy/1") ||
        s_sigs("fresh", st, stl, "valise/fresh/1")) {
        rc = VL_EPROTO;
        goto out;
    }
    printf("fresh.seq=%llu\n", (unsigned long long)f.seq);
    printf("fresh.issued=%llu\n", (unsigned long long)f.issued);
    printf("fresh.expires=%llu\n", (unsigned long long)f.expires);
out:
    vl_policy_builder_destroy(&b);
    vl_policy_destroy(&pol);
    free(u);
    free(one);
    free(doc);
    free(st);
    return rc;
}

/* The reader vectors (docs/formats.md §3 "readers", docs/trust.md §8): a
 * genesis like the test network's naming one reader (seed 0x77), whose
 * content key opens with the reader's key. */
static int
s_generate_readers(vl_testnet_t *t, char *err)
{
    int rc;
    uint8_t *u = NULL, *one = NULL, *doc = NULL, seed[VL_SEED_LEN];
    size_t ul = 0, onel = 0, docl = 0;
    vl_keypair_t *rk = NULL;
    vl_policy_builder_t *b = vl_policy_builder_new();
    memset(seed, 0x77, sizeof seed);
    if (!b)
        return VL_ENOMEM;
    if ((rc = vl_keypair_from_seed(seed, &rk)) ||
        (rc = vl_policy_builder_set(b, "valise test network", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a1), "Secretariat A",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(t->a2), "Secretariat B",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(t->node), "Vienna node",
                                    NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_READER, vl_keypair_pk(rk), "Field office",
                                    NULL, err)) ||
        (rc = vl_policy_builder_finish(b, 1700000000, &u, &ul, err)) ||
        (rc = vl_policy_sign(u, ul, t->a1, &one, &onel, err)) ||
        (rc = vl_policy_sign(one, onel, t->a2, &doc, &docl, err)))
        goto out;
    printf("# readers (docs/formats.md §3), appended: reader_policy is a genesis like the one above\n"
           "# (its own network id) with one reader, key.reader; its content key opens with it\n");
    s_key("reader", rk, 0x77);
    if (s_sigs("reader_policy", doc, docl, "valise/policy/1"))
        rc = VL_EPROTO;
out:
    vl_keypair_destroy(&rk);
    vl_policy_builder_destroy(&b);
    free(u);
    free(one);
    free(doc);
    return rc;
}

static int
s_generate(void)
{
    vl_testnet_t t;
    uint8_t *body = NULL, *prop = NULL, *cand = NULL, *one = NULL, *entry = NULL;
    size_t blen, plen, clen, olen, elen;
    vl_record_t *rec = NULL;
    vl_op_t op;
    char err[VL_ERRMSG_MAX] = "";
    int rc;
    if (vl_testnet_init(&t) != VL_OK)
        return 1;
    if ((rc = vl_testnet_authority("MU-01", "MU", "+230 5550 1234", &body, &blen)) ||
        (rc = vl_record_parse(body, blen, &rec, err)) ||
        (rc = vl_op_from_record(&op, rec, 0)))
        goto out;
    const uint8_t *bodies[1] = { body };
    size_t lens[1] = { blen };
    uint8_t root[VL_HASH_LEN];
    vl_root_t acc;
    uint8_t leaf[VL_HASH_LEN];
    vl_root_clear(&acc);
    vl_root_leaf(leaf, "MU-01", 1, body, blen);
    vl_root_insert(&acc, leaf);
    vl_root_digest(&acc, root);
    if ((rc = vl_proposal_make(t.pol, t.mu, t.ckey, 1700000100, &op, bodies, lens, 1, &prop,
                               &plen, err)) ||
        (rc = vl_entry_make(t.pol, 1, vl_policy_hash(t.pol), prop, plen, root, 1700000200,
                            &cand, &clen, err)) ||
        (rc = vl_entry_sign(t.pol, cand, clen, t.a1, &one, &olen, err)) ||
        (rc = vl_entry_sign(t.pol, one, olen, t.a2, &entry, &elen, err)))
        goto out;
    printf("# valise test vectors, format 1 (docs/formats.md, \"Test vectors\")\n");
    printf("# keys: Ed25519 seeds of 32 equal bytes; pk = public key\n");
    s_key("approver1", t.a1, 0x11);
    s_key("approver2", t.a2, 0x22);
    s_key("authority_mu", t.mu, 0x33);
    s_key("authority_mg", t.mg, 0x44);
    s_key("node", t.node, 0x55);
    s_hexline("record.body", body, blen);
    s_hexline("record.leaf", leaf, sizeof leaf);
    s_hexline("state.root", root, sizeof root);
    if (s_sigs("genesis", t.genesis, t.genesis_len, "valise/policy/1") ||
        s_sigs("proposal", prop, plen, "valise/proposal/1") ||
        s_sigs("entry", entry, elen, "valise/entry/1")) {
        rc = VL_EPROTO;
        goto out;
    }
    /* The entry's link: what the next entry's prev names (formats.md §6). */
    uint8_t link[VL_HASH_LEN];
    vl_hash(link, "valise/link/1", entry, elen);
    s_hexline("entry.link", link, sizeof link);
    /* The content key, so that the proposal's ciphertext can be opened. */
    s_hexline("content_key", t.ckey, sizeof t.ckey);
    if ((rc = s_generate_fresh(&t, err)) || (rc = s_generate_readers(&t, err)))
        goto out;
out:
    if (rc)
        fprintf(stderr, "vl_vectors: %s: %s\n", vl_strerror(rc), err);
    vl_record_destroy(&rec);
    free(body);
    free(prop);
    free(cand);
    free(one);
    free(entry);
    vl_testnet_fini(&t);
    return rc ? 1 : 0;
}

/* Read "name=hex" into a malloc'd buffer. */
uint8_t *
s_get(FILE *f, const char *name, size_t *len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t nl = strlen(name);
    uint8_t *out = NULL;
    rewind(f);
    while ((n = getline(&line, &cap, f)) > 0) {
        if ((size_t)n > nl + 1 && strncmp(line, name, nl) == 0 && line[nl] == '=') {
            char *hex = line + nl + 1;
            hex[strcspn(hex, "\r\n")] = '\0';
            *len = strlen(hex) / 2;
            out = malloc(*len ? *len : 1);
            if (out && vl_unhex(hex, out, *len) != VL_OK) {
                free(out);
                out = NULL;
            }
            break;
        }
    }
    free(line);
    return out;
}

/* A "name=decimal" line, or UINT64_MAX. */
static uint64_t
s_getu(FILE *f, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t nl = strlen(name);
    uint64_t v = UINT64_MAX;
    rewind(f);
    while ((n = getline(&line, &cap, f)) > 0) {
        if ((size_t)n > nl + 1 && strncmp(line, name, nl) == 0 && line[nl] == '=') {
            char *end = NULL;
            unsigned long long x = strtoull(line + nl + 1, &end, 10);
            if (end && end != line + nl + 1 && (*end == '\n' || *end == '\0'))
                v = (uint64_t)x;
            break;
        }
    }
    free(line);
    return v;
}

/* The freshness vectors: the policy names the node as its fresh key, the
 * statement verifies against it with the listed content, and a flipped bit
 * anywhere in the statement is refused. @return the number of failures. */
static int
s_check_fresh(FILE *f)
{
    int fails = 0;
    char err[VL_ERRMSG_MAX] = "";
    size_t pl = 0, sl = 0, kl = 0;
    vl_policy_t *pol = NULL;
    uint8_t *pd = s_get(f, "fresh_policy.doc", &pl), *st = s_get(f, "fresh.doc", &sl),
            *node = s_get(f, "key.node.pk", &kl);
    vl_fresh_t fr;
    if (!pd || !st || !node || kl != VL_PK_LEN) {
        fprintf(stderr, "vl_vectors: the freshness vectors are missing\n");
        fails++;
        goto out;
    }
    if (vl_policy_parse(pd, pl, 0, &pol, err) != VL_OK) {
        fprintf(stderr, "fresh_policy: %s\n", err);
        fails++;
        goto out;
    }
    if (!vl_policy_fresh(pol) || memcmp(vl_policy_fresh(pol), node, VL_PK_LEN) != 0) {
        fprintf(stderr, "fresh_policy: the fresh key is not the node's\n");
        fails++;
    }
    if (vl_fresh_parse(pol, st, sl, &fr, err) != VL_OK) {
        fprintf(stderr, "fresh: %s\n", err);
        fails++;
        goto out;
    }
    if (fr.policy != 1 || fr.seq != s_getu(f, "fresh.seq") ||
        fr.issued != s_getu(f, "fresh.issued") || fr.expires != s_getu(f, "fresh.expires") ||
        memcmp(fr.node, node, VL_PK_LEN) != 0 ||
        (fr.seq == 0 && memcmp(fr.head, vl_policy_hash(pol), VL_HASH_LEN) != 0)) {
        fprintf(stderr, "fresh: content differs from the vectors\n");
        fails++;
    }
    for (size_t i = 0; i < sl; i++) {
        st[i] ^= 0x01;
        if (vl_fresh_parse(pol, st, sl, NULL, NULL) == VL_OK) {
            fprintf(stderr, "fresh: a flipped bit at byte %zu was accepted\n", i);
            fails++;
        }
        st[i] ^= 0x01;
    }
out:
    vl_policy_destroy(&pol);
    free(pd);
    free(st);
    free(node);
    return fails;
}

/* The reader vectors: the policy verifies, names key.reader as a reader (and
 * nothing else), and epoch 0's content key opens with the reader's key (from
 * its seed) to the same key as with approver 1's. @return failures. */
static int
s_check_readers(FILE *f)
{
    int fails = 0;
    char err[VL_ERRMSG_MAX] = "";
    size_t pl = 0, sl = 0, kl = 0, al = 0;
    vl_policy_t *pol = NULL;
    vl_keypair_t *rk = NULL, *ak = NULL;
    uint8_t k1[VL_KEY_LEN], k2[VL_KEY_LEN];
    uint8_t *pd = s_get(f, "reader_policy.doc", &pl), *seed = s_get(f, "key.reader.seed", &sl),
            *pk = s_get(f, "key.reader.pk", &kl), *aseed = s_get(f, "key.approver1.seed", &al);
    if (!pd || !seed || !pk || !aseed || sl != VL_SEED_LEN || kl != VL_PK_LEN ||
        al != VL_SEED_LEN || vl_keypair_from_seed(seed, &rk) != VL_OK ||
        vl_keypair_from_seed(aseed, &ak) != VL_OK) {
        fprintf(stderr, "vl_vectors: the reader vectors are missing\n");
        fails++;
        goto out;
    }
    if (vl_policy_parse(pd, pl, 0, &pol, err) != VL_OK) {
        fprintf(stderr, "reader_policy: %s\n", err);
        fails++;
        goto out;
    }
    if (memcmp(vl_keypair_pk(rk), pk, VL_PK_LEN) != 0 ||
        vl_policy_roles(pol, pk) != VL_ROLE_READER) {
        fprintf(stderr, "reader_policy: key.reader is not a reader (only)\n");
        fails++;
    }
    if (vl_policy_content_key(pol, 0, rk, k1) != VL_OK ||
        vl_policy_content_key(pol, 0, ak, k2) != VL_OK ||
        memcmp(k1, k2, VL_KEY_LEN) != 0) {
        fprintf(stderr, "reader_policy: the content key does not open with the reader's key\n");
        fails++;
    }
    sodium_memzero(k1, sizeof k1);
    sodium_memzero(k2, sizeof k2);
out:
    vl_keypair_destroy(&rk);
    vl_keypair_destroy(&ak);
    vl_policy_destroy(&pol);
    free(pd);
    free(seed);
    free(pk);
    free(aseed);
    return fails;
}

static int
s_check(const char *path)
{
    FILE *f = fopen(path, "r");
    int fails = 0;
    char err[VL_ERRMSG_MAX] = "";
    size_t gl = 0, pl = 0, el = 0, kl = 0, rl = 0, ll = 0;
    uint8_t *ln = NULL;
    vl_policy_t *pol = NULL;
    vl_proposal_t *p = NULL;
    vl_entry_t *e = NULL;
    if (!f) {
        fprintf(stderr, "vl_vectors: cannot open %s\n", path);
        return 1;
    }
    uint8_t *g = s_get(f, "genesis.doc", &gl), *pr = s_get(f, "proposal.doc", &pl),
            *en = s_get(f, "entry.doc", &el), *ck = s_get(f, "content_key", &kl),
            *root = s_get(f, "state.root", &rl);
    if (!g || !pr || !en || !ck || kl != VL_KEY_LEN || !root || rl != VL_HASH_LEN) {
        fprintf(stderr, "vl_vectors: %s lacks a vector\n", path);
        fails++;
        goto out;
    }
    if (vl_policy_parse(g, gl, 0, &pol, err) != VL_OK) {
        fprintf(stderr, "genesis: %s\n", err);
        fails++;
        goto out;
    }
    if (vl_proposal_parse(pol, pr, pl, &p, err) != VL_OK || vl_proposal_open(p, ck, err) != VL_OK) {
        fprintf(stderr, "proposal: %s\n", err);
        fails++;
    }
    if (vl_entry_parse(pol, en, el, 0, &e, err) != VL_OK) {
        fprintf(stderr, "entry: %s\n", err);
        fails++;
    } else if (vl_entry_seq(e) != 1 || !(ln = s_get(f, "entry.link", &ll)) ||
               ll != VL_HASH_LEN || memcmp(vl_entry_hash(e), ln, VL_HASH_LEN) != 0 ||
               memcmp(vl_entry_prev(e), vl_policy_hash(pol), VL_HASH_LEN) != 0 ||
               memcmp(vl_entry_root(e), root, VL_HASH_LEN) != 0) {
        fprintf(stderr, "entry: seq, link, prev or root differ from the vectors\n");
        fails++;
    }
    /* The entry's root is the root of the one record it writes. */
    if (p && vl_proposal_record(p, 0)) {
        size_t bl;
        const uint8_t *b = vl_record_body(vl_proposal_record(p, 0), &bl);
        uint8_t leaf[VL_HASH_LEN], r[VL_HASH_LEN];
        vl_root_t acc;
        vl_root_clear(&acc);
        vl_root_leaf(leaf, "MU-01", 1, b, bl);
        vl_root_insert(&acc, leaf);
        vl_root_digest(&acc, r);
        if (memcmp(r, root, VL_HASH_LEN) != 0) {
            fprintf(stderr, "state root differs\n");
            fails++;
        }
    }
    /* A flipped bit anywhere in the entry must be refused. */
    en[el / 2] ^= 0x01;
    vl_entry_destroy(&e);
    if (vl_entry_parse(pol, en, el, 0, &e, NULL) == VL_OK) {
        fprintf(stderr, "entry: a flipped bit was accepted\n");
        fails++;
    }
    fails += s_check_fresh(f);
    fails += s_check_readers(f);
    fails += vlv_check_run(f);
    fails += vlv_check_v2(f);
out:
    printf("%d passed, %d failed\n", fails ? 0 : 1, fails ? 1 : 0);
    vl_entry_destroy(&e);
    vl_proposal_destroy(&p);
    vl_policy_destroy(&pol);
    free(g);
    free(pr);
    free(en);
    free(ck);
    free(root);
    free(ln);
    fclose(f);
    return fails ? 1 : 0;
}

/* Example sync messages of docs/protocol.md §7, from fixed values, one
 * "name=hex" line each: the doc quotes them and ctest checks that it does. */
static int
s_messages(void)
{
    vl_hello_t h;
    uint8_t *m = NULL;
    size_t n = 0;
    int rc;
    memset(&h, 0, sizeof h);
    memset(h.net, 0x4e, sizeof h.net);       /* "NNNN..." */
    memset(h.policy, 0x50, sizeof h.policy); /* "PPPP..." */
    memset(h.head, 0x48, sizeof h.head);     /* "HHHH..." */
    h.seq = 17;
    h.pn = 1;
    memset(h.pd, 0x44, sizeof h.pd);         /* "DDDD..." */
    h.pv = 1;
    h.fi = 1700000000;                       /* issued of A's newest statement */
    h.ev = 0;
    if ((rc = vl_msg_encode_hello(&h, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.hello", m, n);
    free(m);
    if ((rc = vl_msg_encode_get(18, 1024, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.get", m, n);
    free(m);
    const uint8_t e1[] = { 0x01, 0x02, 0x03 }; /* stands for entry 18's bytes */
    const uint8_t *es[1] = { e1 };
    size_t el[1] = { sizeof e1 };
    if ((rc = vl_msg_encode_entries(18, 18, es, el, 1, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.entries", m, n);
    free(m);
    uint8_t ids[1][VL_HASH_LEN];
    memset(ids[0], 0x49, VL_HASH_LEN);
    if ((rc = vl_msg_encode_have((const uint8_t(*)[VL_HASH_LEN])ids, 1, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.have", m, n);
    free(m);
    if ((rc = vl_msg_encode_props(es, el, 1, NULL, NULL, 0, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.props", m, n);
    free(m);
    if ((rc = vl_msg_encode_error(VL_EPROTO, "protocol version 2 not supported", &m, &n)) !=
        VL_OK)
        return 1;
    s_hexline("msg.error", m, n);
    free(m);
    /* docs/trust.md §6: the placeholders 01 02 03 and 04 05 06 stand for a
     * policy document, a statement, and the two entries of a fork. */
    if ((rc = vl_msg_encode_policies(es, el, 1, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.policies", m, n);
    free(m);
    if ((rc = vl_msg_encode_fresh(e1, sizeof e1, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.fresh", m, n);
    free(m);
    const uint8_t e2[] = { 0x04, 0x05, 0x06 };
    if ((rc = vl_msg_encode_evidence(e1, sizeof e1, e2, sizeof e2, &m, &n)) != VL_OK)
        return 1;
    s_hexline("msg.evidence", m, n);
    free(m);
    return 0;
}

/* docs/formats.md §11.6: a bundle made by the node key (seed 0x55) of
 * network 4e4e.. "test", carrying one proposal and one rejection whose bytes
 * are the placeholders 01 02 03 and 04 05 06 (the reader does not judge
 * them; the store does), and a want file. Both are read back first. */
static int
s_bundle(void)
{
    uint8_t seed[VL_SEED_LEN];
    vl_keypair_t *kp = NULL;
    vl_bundle_wr_t *w = NULL;
    vl_bundle_t *b = NULL;
    uint8_t *buf = NULL, *want = NULL;
    size_t len = 0, wlen = 0;
    int rc = 1;
    char err[VL_ERRMSG_MAX] = "";
    FILE *f = tmpfile();
    memset(seed, 0x55, sizeof seed);
    if (!f || vl_keypair_from_seed(seed, &kp) != VL_OK)
        goto out;
    vl_bundle_hdr_t h;
    memset(&h, 0, sizeof h);
    memset(h.net, 0x4e, sizeof h.net);
    snprintf(h.name, sizeof h.name, "test");
    memcpy(h.maker, vl_keypair_pk(kp), VL_PK_LEN);
    h.time = 1717200000;
    h.policy = 1;
    h.counts[VL_BK_PROPOSAL] = 1;
    h.counts[VL_BK_REJECTION] = 1;
    const uint8_t p[] = { 0x01, 0x02, 0x03 }, r[] = { 0x04, 0x05, 0x06 };
    uint64_t size = 0;
    if (vl_bundle_wr_start(f, &h, &w, err) != VL_OK ||
        vl_bundle_wr_add(w, VL_BK_PROPOSAL, p, sizeof p, NULL, 0, err) != VL_OK ||
        vl_bundle_wr_add(w, VL_BK_REJECTION, r, sizeof r, NULL, 0, err) != VL_OK ||
        vl_bundle_wr_finish(w, kp, &size, err) != VL_OK)
        goto out;
    len = (size_t)size;
    if (!(buf = malloc(len)) || fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, len, f) != len)
        goto out;
    if (vl_bundle_parse(buf, len, &b, err) != VL_OK || vl_bundle_count(b) != 2)
        goto out;
    vl_want_t wt;
    memset(&wt, 0, sizeof wt);
    memset(wt.net, 0x4e, sizeof wt.net);
    wt.head = 17;
    memset(wt.hash, 0x48, sizeof wt.hash);
    wt.policy = 1;
    wt.fresh = 1717100000;
    wt.time = 1717200000;
    vl_want_t back;
    if (vl_want_write(&wt, &want, &wlen) != VL_OK ||
        vl_want_parse(want, wlen, &back, err) != VL_OK || memcmp(&back, &wt, sizeof wt) != 0)
        goto out;
    s_hexline("bundle.file", buf, len);
    s_hexline("bundle.hash", vl_bundle_hash(b), VL_HASH_LEN);
    s_hexline("bundle.want", want, wlen);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "vl_vectors --bundle: %s\n", err[0] ? err : "failed");
    vl_bundle_destroy(&b);
    vl_bundle_wr_destroy(&w);
    vl_keypair_destroy(&kp);
    free(buf);
    free(want);
    if (f)
        fclose(f);
    return rc;
}

int
main(int argc, char **argv)
{
    if (vl_crypto_init() != VL_OK)
        return 1;
    if (argc == 2 && strcmp(argv[1], "--generate") == 0)
        return s_generate();
    if (argc == 2 && strcmp(argv[1], "--messages") == 0)
        return s_messages();
    if (argc == 2 && strcmp(argv[1], "--bundle") == 0)
        return s_bundle();
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return s_check(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--generate-run") == 0)
        return vlv_generate_run(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--generate-v2") == 0)
        return vlv_generate_v2(argv[2]);
    fprintf(stderr, "usage: vl_vectors --generate | --check FILE | --messages | --bundle | "
                    "--generate-run FILE | --generate-v2 FILE\n");
    return 2;
}
