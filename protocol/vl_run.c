/* SPDX-License-Identifier: MIT */
/*
 * vl_run - run documents: make, decode (contract in vl_run.h).
 *
 * Decoding order for hostile bytes: the size (<= VL_MAX_RUN_DOC); the
 * document through vl_codec, its exact key set, type and version, every
 * field; then each row's form and that the proposal ids are distinct.
 */
#include "vl_run.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vl_codec.h"
#include "vl_fields.h"

struct vl_run {
    uint8_t *bytes;
    size_t len;
    uint8_t digest[VL_HASH_LEN];
    uint8_t net[VL_NETID_LEN];
    uint8_t prev[VL_HASH_LEN];
    uint64_t policy, seq, time;
    size_t nrows;
    vl_run_row_t *rows;
};

static const char *const s_keys[] = { "net", "policy", "prev", "rows", "seq",
                                      "time", "type", "v", NULL };

/* Index of the first row repeating an earlier row's proposal id, or n. */
static size_t
s_repeat(const vl_run_row_t *rows, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (memcmp(rows[i].prop, rows[j].prop, VL_HASH_LEN) == 0)
                return i;
    return n;
}

int
vl_run_make(const uint8_t net[VL_NETID_LEN], uint64_t policy, uint64_t seq,
            const uint8_t prev[VL_HASH_LEN], uint64_t time, const vl_run_row_t *rows,
            size_t n, uint8_t **out, size_t *out_len, char *err)
{
    int rc;
    vl_wr_t *w = NULL;
    assert(net && prev && out && out_len && (rows || n == 0));
    *out = NULL;
    *out_len = 0;
    if (n == 0 || n > VL_MAX_RUN)
        return vl_err(err, VL_EINVAL, "a run has 1..%u rows, not %zu", VL_MAX_RUN, n);
    if (seq == 0 || policy == 0)
        return vl_err(err, VL_EINVAL, "a run starts at seq 1 or later, under policy 1 or later");
    if (s_repeat(rows, n) != n)
        return vl_err(err, VL_EINVAL, "a run names a proposal twice");
    if (!(w = vl_wr_new()))
        return VL_ENOMEM;
    vl_wr_map(w, 8);
    vl_wr_cstr(w, "net");
    vl_wr_bin(w, net, VL_NETID_LEN);
    vl_wr_cstr(w, "policy");
    vl_wr_uint(w, policy);
    vl_wr_cstr(w, "prev");
    vl_wr_bin(w, prev, VL_HASH_LEN);
    vl_wr_cstr(w, "rows");
    vl_wr_array(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        vl_wr_array(w, 2);
        vl_wr_bin(w, rows[i].prop, VL_HASH_LEN);
        vl_wr_bin(w, rows[i].root, VL_HASH_LEN);
    }
    vl_wr_cstr(w, "seq");
    vl_wr_uint(w, seq);
    vl_wr_cstr(w, "time");
    vl_wr_uint(w, time);
    vl_wr_cstr(w, "type");
    vl_wr_cstr(w, "run");
    vl_wr_cstr(w, "v");
    vl_wr_uint(w, VL_RUN_FORMAT);
    rc = vl_wr_dup(w, out, out_len);
    vl_wr_destroy(&w);
    return rc;
}

void
vl_run_destroy(vl_run_t **self_p)
{
    assert(self_p);
    vl_run_t *self = *self_p;
    if (self) {
        free(self->rows);
        free(self->bytes);
        free(self);
        *self_p = NULL;
    }
}

int
vl_run_parse(const uint8_t *buf, size_t len, vl_run_t **out, char *err)
{
    int rc;
    vl_doc_t *doc = NULL;
    vl_run_t *self = NULL;
    vl_val_t rows;
    uint64_t v;
    assert(out);
    assert(buf || len == 0);
    *out = NULL;
    if (len > VL_MAX_RUN_DOC)
        return vl_err(err, VL_ELIMIT, "run of %zu bytes exceeds %u", len, VL_MAX_RUN_DOC);
    if (!(self = calloc(1, sizeof *self)))
        return VL_ENOMEM;
    if ((rc = vl_doc_parse(buf, len, 0, &doc, err)) != VL_OK)
        goto out;
    vl_val_t root = vl_doc_root(doc);
    if ((rc = vl_val_map_keys(root, s_keys, NULL, "run", err)) != VL_OK ||
        (rc = vl_field_streq(root, "type", "run", "run", err)) != VL_OK ||
        (rc = vl_field_uint(root, "v", &v, "run", err)) != VL_OK)
        goto out;
    if (v != VL_RUN_FORMAT) {
        rc = vl_err(err, VL_EPROTO, "run: format version %llu not supported",
                    (unsigned long long)v);
        goto out;
    }
    if ((rc = vl_field_bin_exact(root, "net", self->net, VL_NETID_LEN, "run", err)) != VL_OK ||
        (rc = vl_field_uint(root, "policy", &self->policy, "run", err)) != VL_OK ||
        (rc = vl_field_bin_exact(root, "prev", self->prev, VL_HASH_LEN, "run", err)) != VL_OK ||
        (rc = vl_field_uint(root, "seq", &self->seq, "run", err)) != VL_OK ||
        (rc = vl_field_uint(root, "time", &self->time, "run", err)) != VL_OK ||
        (rc = vl_field_array(root, "rows", &rows, 1, VL_MAX_RUN, "run", err)) != VL_OK)
        goto out;
    if (self->seq == 0 || self->policy == 0) {
        rc = vl_err(err, VL_EPROTO, "run: seq 0 or policy version 0");
        goto out;
    }
    self->nrows = vl_val_len(rows);
    if (!(self->rows = calloc(self->nrows, sizeof *self->rows))) {
        rc = VL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < self->nrows; i++) {
        vl_val_t r = vl_val_at(rows, (uint32_t)i);
        if (vl_val_type(r) != VL_T_ARRAY || vl_val_len(r) != 2 ||
            vl_val_bin_exact(vl_val_at(r, 0), self->rows[i].prop, VL_HASH_LEN) != VL_OK ||
            vl_val_bin_exact(vl_val_at(r, 1), self->rows[i].root, VL_HASH_LEN) != VL_OK) {
            rc = vl_err(err, VL_EPROTO, "run.rows[%zu]: not [bin32, bin32]", i);
            goto out;
        }
    }
    size_t dup = s_repeat(self->rows, self->nrows);
    if (dup != self->nrows) {
        rc = vl_err(err, VL_EPROTO, "run.rows[%zu]: names a proposal an earlier row names", dup);
        goto out;
    }
    if (!(self->bytes = malloc(len ? len : 1))) {
        rc = VL_ENOMEM;
        goto out;
    }
    memcpy(self->bytes, buf, len);
    self->len = len;
    vl_hash(self->digest, "valise/run/1", buf, len);
    *out = self;
    self = NULL;
    rc = VL_OK;
out:
    vl_run_destroy(&self);
    vl_doc_destroy(&doc);
    return rc;
}

const uint8_t *vl_run_digest(const vl_run_t *self) { return self->digest; }
const uint8_t *vl_run_net(const vl_run_t *self) { return self->net; }
uint64_t vl_run_policy(const vl_run_t *self) { return self->policy; }
uint64_t vl_run_seq(const vl_run_t *self) { return self->seq; }
uint64_t vl_run_time(const vl_run_t *self) { return self->time; }
const uint8_t *vl_run_prev(const vl_run_t *self) { return self->prev; }
size_t vl_run_nrows(const vl_run_t *self) { return self->nrows; }

const vl_run_row_t *
vl_run_row(const vl_run_t *self, size_t i)
{
    return i < self->nrows ? &self->rows[i] : NULL;
}

long
vl_run_find(const vl_run_t *self, const uint8_t id[VL_HASH_LEN])
{
    for (size_t i = 0; i < self->nrows; i++)
        if (memcmp(self->rows[i].prop, id, VL_HASH_LEN) == 0)
            return (long)i;
    return -1;
}

const uint8_t *
vl_run_bytes(const vl_run_t *self, size_t *len)
{
    *len = self->len;
    return self->bytes;
}
