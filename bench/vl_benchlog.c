/* SPDX-License-Identifier: MIT */
/*
 * vl_benchlog - the synthetic log of the single-node benchmarks
 * (vl_benchlog.h). Moved out of vl_bench.c so that vl_bundlebench replays
 * exactly the same entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_benchlog.h"
#include "vl_change.h"
#include "vl_crypto.h"
#include "vl_record.h"
#include "vl_root.h"

const char *const vl_bench_states[] = { "MU", "MG", "SC", "KM", "FR", "CR", "SV", "GT",
                                        "HN", "NI", "PA", "DO", "MX", "BZ", "CO", "BF",
                                        "ML", "MR", "NE", "TD", "AT", "DE", "IT", "ES" };
const size_t vl_bench_nstates = sizeof vl_bench_states / sizeof vl_bench_states[0];
const char *const vl_bench_functions[] = { "mla", "extradition", "transfer_sentenced_persons",
                                           "drug_trafficking_sea", "migrant_smuggling_sea",
                                           "firearms_trafficking" };

int
vl_bench_record(size_t i, uint8_t **body, size_t *len)
{
    char json[4096], err[VL_ERRMSG_MAX] = "";
    const char *st = vl_bench_states[i % vl_bench_nstates];
    snprintf(json, sizeof json,
             "{\"kind\":\"authority\",\"id\":\"%s-%06zu\",\"state\":\"%s\","
             "\"name\":{\"en\":\"Central Authority for Mutual Legal Assistance, office %zu\","
             "\"fr\":\"Autorite centrale pour l'entraide judiciaire, bureau %zu\"},"
             "\"functions\":[\"%s\",\"%s\"],\"legal_bases\":[\"UNTOC-16\",\"UNTOC-18\"],"
             "\"contact\":{\"address\":{\"en\":\"%zu Example Avenue, Government Building, "
             "Floor 4\"},\"phones\":[\"+230 5550 %04zu\",\"+230 5551 %04zu\"],"
             "\"emails\":[\"mla%zu@example.org\"],\"website\":\"https://example.org/ca/%zu\"},"
             "\"persons\":[{\"name\":\"Person %zu Example\",\"title\":\"Senior State Counsel\","
             "\"phones\":[\"+230 5552 %04zu\"],\"emails\":[\"p%zu@example.org\"],"
             "\"languages\":[\"en\",\"fr\"]}],"
             "\"office_hours\":\"Monday to Friday, 08:30-16:00\",\"time_zone\":\"UTC+04:00\","
             "\"languages\":[\"en\",\"fr\"],\"interpol\":true,\"untoc_16_5\":%s,"
             "\"required_documents\":{\"en\":\"A request in writing, signed by the competent "
             "authority, stating the facts, the offence, the legal provisions and the assistance "
             "sought; certified translations into English or French; for searches and "
             "seizures, a judicial order of the requesting State.\"},"
             "\"urgent_procedures\":{\"en\":\"Urgent requests may be sent in advance by e-mail "
             "or through INTERPOL, followed by the original within 30 days.\"},"
             "\"comments\":{\"en\":\"Synthetic benchmark record %zu; no real person.\"}}",
             st, i, st, i, i, vl_bench_functions[i % 6], vl_bench_functions[(i + 1) % 6],
             i, i % 10000, (i * 7) % 10000, i, i, i, (i * 3) % 10000, i,
             (i & 1) ? "true" : "false", i);
    int rc = vl_record_from_json_text(json, strlen(json), body, len, err);
    if (rc != VL_OK)
        fprintf(stderr, "record %zu: %s: %s\n", i, vl_strerror(rc), err);
    return rc;
}


int
vl_bench_make_log(const vl_testnet_t *t, size_t nentries, uint8_t ***entries_out,
                  size_t **lens_out, size_t *body_out, size_t *entry_out)
{
    uint8_t **entries = calloc(nentries, sizeof *entries);
    size_t *lens = calloc(nentries, sizeof *lens);
    char err[VL_ERRMSG_MAX] = "";
    if (!entries || !lens) {
        free(entries);
        free(lens);
        return VL_ENOMEM;
    }
    vl_root_t acc;
    vl_root_clear(&acc);
    uint8_t prev[VL_HASH_LEN];
    memcpy(prev, vl_policy_hash(t->pol), VL_HASH_LEN);
    size_t body_bytes = 0, entry_bytes = 0;
    int rc = VL_OK;
    for (size_t i = 0; i < nentries; i++) {
        uint8_t *body = NULL, *prop = NULL, *c0 = NULL, *c1 = NULL;
        size_t blen, plen, l0, l1;
        vl_record_t *rec = NULL;
        vl_op_t op;
        uint8_t leaf[VL_HASH_LEN], root[VL_HASH_LEN];
        if ((rc = vl_bench_record(i, &body, &blen)) != VL_OK ||
            (rc = vl_record_parse(body, blen, &rec, err)) != VL_OK ||
            (rc = vl_op_from_record(&op, rec, 0)) != VL_OK) {
            fprintf(stderr, "record %zu: %s: %s\n", i, vl_strerror(rc), err);
            free(body);
            vl_record_destroy(&rec);
            goto out;
        }
        const uint8_t *bodies[1] = { body };
        size_t bl[1] = { blen };
        vl_root_leaf(leaf, vl_record_id(rec), 1, body, blen);
        vl_root_insert(&acc, leaf);
        vl_root_digest(&acc, root);
        vl_entry_t *e = NULL;
        if ((rc = vl_proposal_make(t->pol, t->a1, t->ckey, 1700000000 + i, &op, bodies, bl, 1,
                                   &prop, &plen, err)) != VL_OK ||
            (rc = vl_entry_make(t->pol, i + 1, prev, prop, plen, root, 1700000000 + i, &c0, &l0,
                                err)) != VL_OK ||
            (rc = vl_entry_sign(t->pol, c0, l0, t->a1, &c1, &l1, err)) != VL_OK ||
            (rc = vl_entry_sign(t->pol, c1, l1, t->a2, &entries[i], &lens[i], err)) != VL_OK ||
            (rc = vl_entry_parse(t->pol, entries[i], lens[i], 0, &e, err)) != VL_OK)
            fprintf(stderr, "make entry %zu: %s: %s\n", i, vl_strerror(rc), err);
        else
            memcpy(prev, vl_entry_hash(e), VL_HASH_LEN);
        vl_entry_destroy(&e);
        body_bytes += blen;
        entry_bytes += lens[i];
        vl_record_destroy(&rec);
        free(body);
        free(prop);
        free(c0);
        free(c1);
        if (rc != VL_OK)
            goto out;
    }
out:
    if (rc != VL_OK) {
        for (size_t i = 0; i < nentries; i++)
            free(entries[i]);
        free(entries);
        free(lens);
        return rc;
    }
    *entries_out = entries;
    *lens_out = lens;
    if (body_out)
        *body_out = body_bytes;
    if (entry_out)
        *entry_out = entry_bytes;
    return VL_OK;
}
