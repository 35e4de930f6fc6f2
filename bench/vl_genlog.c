/* SPDX-License-Identifier: MIT */
/*
 * vl_genlog - builds a big network for the federation benchmark
 * (bench/fed_bench.sh, docs/performance.md), directly through the library:
 * making 100,000 entries with the `valise` command would take hours of
 * durable commits and key-file openings.
 *
 *   vl_genlog --dir D --nodes N --entries E [--updates U] [--sample FILE]
 *
 * Writes, in D (created; must not exist):
 *   sec1.key/.pub, sec2.key/.pub  the approvers (threshold 2)
 *   node01.key/.pub ... nodeNN    the member nodes
 *   genesis.vlg                   the signed genesis naming all of them
 *   base/                         a store holding E entries: one new record
 *                                 each, proposed by sec1 and approved by sec1
 *                                 and sec2
 *   updates.bin                   U more entries chained after them, each
 *                                 changing one existing record (rev 1 -> 2,
 *                                 spread evenly over the E records), as
 *                                 [u32be length][entry bytes] records
 *   stats.txt                     "entries E base_bytes B updates U
 *                                 update_bytes V json_bytes J
 *                                 update_json_bytes K": sums of the encoded
 *                                 entries, and of the records' canonical JSON
 *                                 (the record's JSON view, vl_record_json(),
 *                                 as compact JSON text: what `valise sample`
 *                                 writes per record) for the base records and
 *                                 for the U changed ones
 *
 * Records: with --sample FILE (a JSON array written by `valise sample`, e.g.
 * --count-scale 20: 14,860 records), record i is record i mod M of the file
 * (M its length), its id suffixed ".K" for the K-th copy (K = i / M > 0):
 * the generator's names, addresses, phone numbers, languages, time zones and
 * agreements. A change (updates.bin) sets an authority's office hours and
 * first phone number, or an agreement's notes. Without --sample, record i is
 * one authority of ~1.2 KB filled from a template (the figures of issue 3).
 * Key files are sealed with --kdf interactive under $VALISE_PASSPHRASE.
 *
 * The store is filled with vl_store_append_chain in batches of 1,000 and
 * then audited once (vl_store_check_sigs), so that no daemon opening it has
 * a background audit to run during a measurement.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_keyfile.h"
#include "vl_policy.h"
#include "vl_record.h"
#include "vl_root.h"
#include "vl_store.h"

#define S_BATCH 1000u
#define S_T0 1717200000u /* 2024-06-01T00:00:00Z: entry and proposal times */

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_fail(const char *what, int rc, const char *err)
{
    fprintf(stderr, "vl_genlog: %s: %s%s%s\n", what, vl_strerror(rc), err && *err ? ": " : "",
            err ? err : "");
    return 1;
}

static const char *const s_states[] = { "MU", "MG", "SC", "KM", "FR", "CR", "SV", "GT",
                                        "HN", "NI", "PA", "DO", "MX", "BZ", "CO", "BF",
                                        "ML", "MR", "NE", "TD", "AT", "DE", "IT", "ES" };
#define S_NSTATES (sizeof s_states / sizeof s_states[0])
static const char *const s_fns[] = { "mla", "extradition", "transfer_sentenced_persons",
                                     "drug_trafficking_sea", "migrant_smuggling_sea",
                                     "firearms_trafficking" };

/* The --sample records, or NULL. */
static json_t *s_sample;

/* Record i at version v from the sample (see the header). */
static int
s_sample_body(size_t i, unsigned v, uint8_t **body, size_t *len, char *id, size_t idcap)
{
    char err[VL_ERRMSG_MAX] = "", text[128];
    size_t m = json_array_size(s_sample), k = i / m;
    json_t *j = json_deep_copy(json_array_get(s_sample, i % m));
    int rc = VL_ENOMEM;
    if (!j)
        return s_fail("sample", rc, NULL);
    const char *orig = json_string_value(json_object_get(j, "id"));
    if (k > 0)
        snprintf(id, idcap, "%s.%zu", orig ? orig : "?", k);
    else
        snprintf(id, idcap, "%s", orig ? orig : "?");
    json_object_set_new(j, "id", json_string(id));
    if (v > 0) {
        const char *kind = json_string_value(json_object_get(j, "kind"));
        if (kind && strcmp(kind, "authority") == 0) {
            snprintf(text, sizeof text, "Monday-Friday %02u:00-16:30", 7u + v % 3);
            json_object_set_new(j, "office_hours", json_string(text));
            json_t *ph = json_object_get(json_object_get(j, "contact"), "phones");
            const char *p0 = json_string_value(json_array_get(ph, 0));
            if (p0 && strlen(p0) >= 4 && strlen(p0) < sizeof text) {
                snprintf(text, sizeof text, "%s", p0);
                size_t n = strlen(text);
                text[n - 1] = (char)('0' + (text[n - 1] - '0' + (int)v) % 10);
                json_array_set_new(ph, 0, json_string(text));
            }
        } else {
            snprintf(text, sizeof text, "Status confirmed by the depositary, revision %u.", v);
            json_object_set_new(j, "notes", json_pack("{s:s}", "en", text));
        }
    }
    rc = vl_record_from_json(j, body, len, err);
    json_decref(j);
    if (rc != VL_OK)
        s_fail(id, rc, err);
    return rc;
}

/* Record i at version v (v > 0 changes the phone numbers and the hours):
 * an authority of about 1.2 KB of canonical msgpack, in the spirit of the
 * directory's entries (fictitious). */
static int
s_body(size_t i, unsigned v, uint8_t **body, size_t *len, char *id, size_t idcap)
{
    char json[3072], err[VL_ERRMSG_MAX] = "";
    if (s_sample)
        return s_sample_body(i, v, body, len, id, idcap);
    const char *st = s_states[i % S_NSTATES];
    snprintf(id, idcap, "%s-G%06zu", st, i);
    snprintf(json, sizeof json,
             "{\"kind\":\"authority\",\"id\":\"%s\",\"state\":\"%s\","
             "\"name\":{\"en\":\"Central authority for international cooperation, unit %zu\","
             "\"fr\":\"Autorite centrale pour la cooperation internationale, unite %zu\"},"
             "\"functions\":[\"%s\",\"%s\"],\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
             "\"contact\":{\"address\":{\"en\":\"%zu Ministry Road, Justice Building, "
             "Floor %zu\"},\"phones\":[\"+1 555 %03u %04zu\",\"+1 555 %03u %04zu\"],"
             "\"emails\":[\"unit%zu@justice.example\"],"
             "\"website\":\"https://justice.example/unit/%zu\"},"
             "\"persons\":[{\"name\":\"Officer %zu (sample)\",\"title\":\"Head of unit\","
             "\"phones\":[\"+1 555 %03u %04zu\"],\"emails\":[\"o%zu@justice.example\"],"
             "\"languages\":[\"en\",\"fr\"]}],"
             "\"office_hours\":\"Monday to Friday, %02u:00-16:00\",\"time_zone\":\"UTC+01:00\","
             "\"languages\":[\"en\",\"fr\"],\"interpol\":true,\"untoc_16_5\":%s,"
             "\"required_documents\":{\"en\":\"A written request signed by the competent "
             "authority, with the facts, the offence and its legal qualification, the "
             "applicable provisions and the assistance sought, and a translation into one of "
             "the working languages.\"},"
             "\"urgent_procedures\":{\"en\":\"Urgent requests may be sent in advance by e-mail "
             "or through INTERPOL; the original follows within 30 days.\"},"
             "\"comments\":{\"en\":\"Generated benchmark record %zu; fictitious.\"}}",
             id, st, i, i, s_fns[i % 6], s_fns[(i + 1) % 6], i, i % 40, 100u + v, i % 10000,
             200u + v, (i * 7) % 10000, i, i, i, 300u + v, (i * 3) % 10000, i, 8u + v % 2,
             (i & 1) ? "true" : "false", i);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        s_fail(id, rc, err);
    return rc;
}

/* A key pair, sealed to D/name.key, with D/name.pub. */
static int
s_key(const char *dir, const char *name, const char *pass, vl_keypair_t **kp)
{
    char path[1024], err[VL_ERRMSG_MAX] = "";
    int rc = vl_keypair_generate(kp);
    if (rc != VL_OK)
        return s_fail("keygen", rc, NULL);
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    if ((rc = vl_keyfile_write(path, *kp, pass, strlen(pass), VL_KDF_INTERACTIVE, err)) != VL_OK)
        return s_fail(path, rc, err);
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    if ((rc = vl_pubfile_write(path, vl_keypair_pk(*kp), name, err)) != VL_OK)
        return s_fail(path, rc, err);
    return 0;
}

/* Make one signed entry changing record i to version v (base rev = v). */
typedef struct {
    const vl_policy_t *pol;
    const vl_keypair_t *a1, *a2;
    uint8_t ckey[VL_KEY_LEN];
    vl_root_t acc;
    uint8_t prev[VL_HASH_LEN];
    uint64_t seq;
    uint64_t json_bytes; /* canonical JSON of the records made, summed */
} s_gen_t;

/* Bytes of the record's canonical JSON text (compact). */
static size_t
s_json_len(const vl_record_t *rec)
{
    char *t = json_dumps(vl_record_json(rec), JSON_COMPACT);
    size_t n = t ? strlen(t) : 0;
    free(t);
    return n;
}

static int
s_entry(s_gen_t *g, size_t i, unsigned v, uint8_t **out, size_t *out_len)
{
    char id[VL_MAX_ID + 1], err[VL_ERRMSG_MAX] = "";
    uint8_t *body = NULL, *old = NULL, *prop = NULL, *c0 = NULL, *c1 = NULL;
    size_t blen = 0, olen = 0, plen = 0, l0 = 0, l1 = 0;
    vl_record_t *rec = NULL;
    vl_entry_t *e = NULL;
    vl_op_t op;
    uint8_t leaf[VL_HASH_LEN], root[VL_HASH_LEN];
    int rc = s_body(i, v, &body, &blen, id, sizeof id);
    if (rc == VL_OK && v > 0)
        rc = s_body(i, v - 1, &old, &olen, id, sizeof id);
    if (rc == VL_OK)
        rc = vl_record_parse(body, blen, &rec, err);
    if (rc == VL_OK)
        rc = vl_op_from_record(&op, rec, v);
    if (rc != VL_OK)
        goto out;
    g->json_bytes += s_json_len(rec);
    if (v > 0) {
        vl_root_leaf(leaf, id, v, old, olen);
        vl_root_remove(&g->acc, leaf);
    }
    vl_root_leaf(leaf, id, (uint64_t)v + 1, body, blen);
    vl_root_insert(&g->acc, leaf);
    vl_root_digest(&g->acc, root);
    const uint8_t *bodies[1] = { body };
    size_t lens[1] = { blen };
    uint64_t t = S_T0 + g->seq;
    g->seq++;
    if ((rc = vl_proposal_make(g->pol, g->a1, g->ckey, t, &op, bodies, lens, 1, &prop, &plen,
                               err)) != VL_OK ||
        (rc = vl_entry_make(g->pol, g->seq, g->prev, prop, plen, root, t, &c0, &l0, err)) !=
            VL_OK ||
        (rc = vl_entry_sign(g->pol, c0, l0, g->a1, &c1, &l1, err)) != VL_OK ||
        (rc = vl_entry_sign(g->pol, c1, l1, g->a2, out, out_len, err)) != VL_OK ||
        (rc = vl_entry_parse(g->pol, *out, *out_len, VL_ENTRY_NO_SIGS, &e, err)) != VL_OK)
        goto out;
    memcpy(g->prev, vl_entry_hash(e), VL_HASH_LEN);
out:
    if (rc != VL_OK)
        s_fail(id, rc, err);
    vl_entry_destroy(&e);
    vl_record_destroy(&rec);
    free(body);
    free(old);
    free(prop);
    free(c0);
    free(c1);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *dir = NULL, *sample = NULL;
    size_t nodes = 2, nentries = 1000, nupdates = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            nodes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
            nentries = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--updates") == 0 && i + 1 < argc)
            nupdates = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--sample") == 0 && i + 1 < argc)
            sample = argv[++i];
        else {
            fprintf(stderr, "usage: vl_genlog --dir D --nodes N --entries E [--updates U] "
                            "[--sample FILE]\n");
            return 2;
        }
    }
    if (!dir || nodes < 1 || nodes > 99 || nentries == 0 || nupdates > nentries) {
        fprintf(stderr, "usage: vl_genlog --dir D --nodes N (1..99) --entries E [--updates U <= E]\n");
        return 2;
    }
    const char *pass = getenv("VALISE_PASSPHRASE");
    if (!pass || !*pass) {
        fprintf(stderr, "vl_genlog: set VALISE_PASSPHRASE (it seals the key files)\n");
        return 2;
    }
    if (vl_crypto_init() != VL_OK)
        return 1;
    if (sample) {
        json_error_t jerr;
        s_sample = json_load_file(sample, 0, &jerr);
        if (!json_is_array(s_sample) || json_array_size(s_sample) == 0) {
            fprintf(stderr, "vl_genlog: %s: not a non-empty JSON array (%s, line %d)\n", sample,
                    jerr.text, jerr.line);
            json_decref(s_sample);
            return 1;
        }
    }
    if (mkdir(dir, 0700) != 0) {
        fprintf(stderr, "vl_genlog: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int ret = 1, rc;
    char err[VL_ERRMSG_MAX] = "", path[1024];
    vl_keypair_t *a1 = NULL, *a2 = NULL, *node[100] = { NULL };
    vl_policy_builder_t *b = NULL;
    vl_policy_t *pol = NULL;
    vl_store_t *st = NULL;
    uint8_t *g0 = NULL, *g1 = NULL, *gen = NULL;
    size_t g0len = 0, g1len = 0, glen = 0;
    uint8_t **batch = calloc(S_BATCH, sizeof *batch);
    size_t *blens = calloc(S_BATCH, sizeof *blens);
    FILE *f = NULL;
    s_gen_t g;
    memset(&g, 0, sizeof g);
    double t0 = s_now();

    if (!batch || !blens)
        goto out;
    if (s_key(dir, "sec1", pass, &a1) || s_key(dir, "sec2", pass, &a2))
        goto out;
    if (!(b = vl_policy_builder_new()))
        goto out;
    if ((rc = vl_policy_builder_set(b, "valise federation benchmark", 2, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(a1), "sec1", NULL, err)) ||
        (rc = vl_policy_builder_add(b, VL_ROLE_APPROVER, vl_keypair_pk(a2), "sec2", NULL, err))) {
        s_fail("genesis", rc, err);
        goto out;
    }
    for (size_t n = 1; n <= nodes; n++) {
        char name[16];
        snprintf(name, sizeof name, "node%02zu", n);
        if (s_key(dir, name, pass, &node[n]))
            goto out;
        if ((rc = vl_policy_builder_add(b, VL_ROLE_NODE, vl_keypair_pk(node[n]), name, NULL,
                                        err)) != VL_OK) {
            s_fail(name, rc, err);
            goto out;
        }
    }
    if ((rc = vl_policy_builder_finish(b, S_T0, &g0, &g0len, err)) ||
        (rc = vl_policy_sign(g0, g0len, a1, &g1, &g1len, err)) ||
        (rc = vl_policy_sign(g1, g1len, a2, &gen, &glen, err)) ||
        (rc = vl_policy_parse(gen, glen, 0, &pol, err)) ||
        (rc = vl_policy_content_key(pol, vl_policy_epoch(pol), node[1], g.ckey))) {
        s_fail("genesis", rc, err);
        goto out;
    }
    snprintf(path, sizeof path, "%s/genesis.vlg", dir);
    if (!(f = fopen(path, "wb")) || fwrite(gen, 1, glen, f) != glen || fclose(f) != 0) {
        f = NULL;
        s_fail(path, VL_EIO, strerror(errno));
        goto out;
    }
    f = NULL;
    snprintf(path, sizeof path, "%s/base", dir);
    if ((rc = vl_store_create(path, gen, glen, node[1], err)) ||
        (rc = vl_store_open(path, node[1], 0, &st, err))) {
        s_fail(path, rc, err);
        goto out;
    }
    printf("vl_genlog: %zu nodes, genesis and keys in %s (%.1f s)\n", nodes, dir, s_now() - t0);

    g.pol = pol;
    g.a1 = a1;
    g.a2 = a2;
    vl_root_clear(&g.acc);
    memcpy(g.prev, vl_policy_hash(pol), VL_HASH_LEN);
    uint64_t base_bytes = 0, update_bytes = 0, base_json = 0;
    double tm = 0, ta = 0;
    for (size_t i = 0; i < nentries;) {
        size_t n = 0;
        double a = s_now();
        for (; n < S_BATCH && i < nentries; n++, i++) {
            if (s_entry(&g, i, 0, &batch[n], &blens[n]) != VL_OK)
                goto out;
            base_bytes += blens[n];
        }
        double m = s_now();
        tm += m - a;
        rc = vl_store_append_chain(st, (const uint8_t *const *)batch, blens, n, err);
        ta += s_now() - m;
        for (size_t k = 0; k < n; k++) {
            free(batch[k]);
            batch[k] = NULL;
        }
        if (rc != VL_OK) {
            s_fail("append", rc, err);
            goto out;
        }
        if (i % 20000 == 0 || i == nentries)
            printf("  %zu entries (%.0f s making, %.0f s appending)\n", i, tm, ta);
        fflush(stdout);
    }
    base_json = g.json_bytes;
    /* Audit now, once, rather than in a daemon during a measurement. */
    double a = s_now();
    uint64_t checked = 0;
    while (checked < nentries) {
        uint64_t before = checked;
        if ((rc = vl_store_check_sigs(st, 10000, &checked, err)) != VL_OK) {
            s_fail("check_sigs", rc, err);
            goto out;
        }
        if (checked == before)
            break;
    }
    printf("  signatures audited up to %llu (%.0f s)\n", (unsigned long long)checked,
           s_now() - a);

    snprintf(path, sizeof path, "%s/updates.bin", dir);
    if (!(f = fopen(path, "wb"))) {
        s_fail(path, VL_EIO, strerror(errno));
        goto out;
    }
    for (size_t k = 0; k < nupdates; k++) {
        size_t i = k * (nentries / (nupdates ? nupdates : 1));
        uint8_t *e = NULL, hdr[4];
        size_t len = 0;
        if (s_entry(&g, i, 1, &e, &len) != VL_OK)
            goto out;
        hdr[0] = (uint8_t)(len >> 24);
        hdr[1] = (uint8_t)(len >> 16);
        hdr[2] = (uint8_t)(len >> 8);
        hdr[3] = (uint8_t)len;
        int bad = fwrite(hdr, 1, 4, f) != 4 || fwrite(e, 1, len, f) != len;
        update_bytes += len;
        free(e);
        if (bad) {
            s_fail(path, VL_EIO, strerror(errno));
            goto out;
        }
    }
    if (fclose(f) != 0) {
        f = NULL;
        s_fail(path, VL_EIO, strerror(errno));
        goto out;
    }
    f = NULL;
    snprintf(path, sizeof path, "%s/stats.txt", dir);
    if (!(f = fopen(path, "w")))
        goto out;
    fprintf(f,
            "entries %zu base_bytes %llu updates %zu update_bytes %llu json_bytes %llu "
            "update_json_bytes %llu\n",
            nentries, (unsigned long long)base_bytes, nupdates, (unsigned long long)update_bytes,
            (unsigned long long)base_json, (unsigned long long)(g.json_bytes - base_json));
    fclose(f);
    f = NULL;
    vl_head_t head;
    if (vl_store_head(st, &head) == VL_OK)
        printf("vl_genlog: base store at entry %llu, %llu records; %zu entries of %.0f B on "
               "average (records: %.0f B of canonical JSON); %zu updates in updates.bin; "
               "%.0f s in all\n",
               (unsigned long long)head.seq, (unsigned long long)head.records, nentries,
               (double)base_bytes / (double)nentries, (double)base_json / (double)nentries,
               nupdates, s_now() - t0);
    ret = 0;
out:
    if (f)
        fclose(f);
    vl_store_close(&st);
    vl_policy_destroy(&pol);
    vl_policy_builder_destroy(&b);
    free(g0);
    free(g1);
    free(gen);
    if (batch)
        for (size_t k = 0; k < S_BATCH; k++)
            free(batch[k]);
    free(batch);
    free(blens);
    vl_keypair_destroy(&a1);
    vl_keypair_destroy(&a2);
    for (size_t n = 0; n < 100; n++)
        vl_keypair_destroy(&node[n]);
    sodium_memzero(g.ckey, sizeof g.ckey);
    json_decref(s_sample);
    return ret;
}
