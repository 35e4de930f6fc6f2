/* SPDX-License-Identifier: MIT */
/*
 * vl_store_fresh - freshness statements (docs/trust.md §3): keeping the
 * newest one, and judging the replica's freshness from it.
 *
 * Invariants: meta "fresh" only moves forward (a later issue time, no lower
 * seq). A statement naming another entry than this log's at its seq is
 * refused when it arrives; one stored while the log was behind it counts
 * only once the log's entry at its seq is the one it names.
 *
 * Layer (map in vl_store_int.h): calls only vl_store_txn.c, vl_store_head.c
 * and vl_store_log.c, below it.
 */
#include "vl_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vl_fresh.h"

/* The stored statement, parsed against the current version: VL_ENOTFOUND if
 * there is none or it no longer verifies (its signer was replaced). */
static int
s_fresh_load(vl_store_t *self, MDB_txn *txn, vl_fresh_t *f, MDB_val *raw, char *err)
{
    int rc = vls_get(self, txn, S_META, "fresh", 5, raw, err);
    if (rc != VL_OK)
        return rc;
    if (vl_fresh_parse(self->pol, raw->mv_data, raw->mv_size, f, NULL) != VL_OK)
        return VL_ENOTFOUND;
    return VL_OK;
}

typedef struct {
    const uint8_t *stmt;
    size_t len;
    const vl_fresh_t *f;
} s_fresh_ctx_t;

static int
s_fresh_txn(vl_store_t *self, MDB_txn *txn, void *vctx, char *err)
{
    s_fresh_ctx_t *c = vctx;
    vl_fresh_t old;
    MDB_val raw;
    s_head_t h;
    uint8_t link[VL_HASH_LEN];
    int rc = s_fresh_load(self, txn, &old, &raw, err);
    if (rc == VL_OK) {
        if (raw.mv_size == c->len && memcmp(raw.mv_data, c->stmt, c->len) == 0)
            return vl_err(err, VL_EEXIST, "this freshness statement is already here");
        if (c->f->issued <= old.issued || c->f->seq < old.seq)
            return vl_err(err, VL_ESTALE,
                          "freshness statement (entry %llu, issued %llu) is older than the one "
                          "held (entry %llu, issued %llu): rollback refused",
                          (unsigned long long)c->f->seq, (unsigned long long)c->f->issued,
                          (unsigned long long)old.seq, (unsigned long long)old.issued);
    } else if (rc != VL_ENOTFOUND) {
        return rc;
    }
    if (err)
        err[0] = '\0';
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK)
        return rc;
    if (c->f->seq <= h.seq) {
        if ((rc = vls_link_at(self, txn, c->f->seq, link, err)) != VL_OK)
            return rc;
        if (memcmp(link, c->f->head, VL_HASH_LEN) != 0)
            return vl_err(err, VL_ECHAIN, "freshness statement names another entry %llu than "
                          "this log's (another history)", (unsigned long long)c->f->seq);
    }
    return vls_meta_put(self, txn, "fresh", c->stmt, c->len, err);
}

int
vl_store_fresh_put(vl_store_t *self, const uint8_t *stmt, size_t len, uint64_t now, char *err)
{
    assert(self && stmt);
    vl_fresh_t f;
    int rc = vl_fresh_parse(self->pol, stmt, len, &f, err);
    if (rc != VL_OK)
        return rc;
    if (f.issued > now && f.issued - now > VL_CLOCK_SKEW)
        return vl_err(err, VL_EINVAL, "freshness statement issued %llu s in the future (more "
                      "than the %u s clock skew allowed)",
                      (unsigned long long)(f.issued - now), VL_CLOCK_SKEW);
    s_fresh_ctx_t c = { stmt, len, &f };
    return vls_write(self, s_fresh_txn, &c, err);
}

int
vl_store_fresh_bytes(vl_store_t *self, uint8_t **out, size_t *len)
{
    assert(self && out && len);
    MDB_txn *txn = NULL;
    MDB_val v;
    *out = NULL;
    *len = 0;
    int rc = vls_txn_begin(self, true, &txn, NULL);
    if (rc != VL_OK)
        return rc;
    if ((rc = vls_get(self, txn, S_META, "fresh", 5, &v, NULL)) == VL_OK) {
        if (v.mv_size == 0 || v.mv_size > VL_FRESH_MAX) {
            rc = VL_ECORRUPT;
        } else if (!(*out = malloc(v.mv_size))) {
            rc = VL_ENOMEM;
        } else {
            memcpy(*out, v.mv_data, v.mv_size);
            *len = v.mv_size;
        }
    }
    vls_read_end(self, &txn);
    return rc;
}

int
vl_store_freshness(vl_store_t *self, uint64_t now, vl_freshness_t *out, char *err)
{
    assert(self && out);
    MDB_txn *txn = NULL;
    MDB_val raw;
    s_head_t h;
    vl_fresh_t f;
    memset(out, 0, sizeof *out);
    int rc = vls_txn_begin(self, true, &txn, err);
    if (rc != VL_OK)
        return rc;
    if ((rc = vls_head_load(self, txn, &h, false, err)) != VL_OK)
        goto out;
    out->head = h.seq;
    rc = s_fresh_load(self, txn, &f, &raw, err);
    if (rc == VL_ENOTFOUND) {
        if (err)
            err[0] = '\0';
        out->state = vl_policy_fresh(self->pol) ? VL_FRESH_UNKNOWN : VL_FRESH_UNCONFIGURED;
        rc = VL_OK;
        goto out;
    }
    if (rc != VL_OK)
        goto out;
    if (f.seq <= h.seq) {
        /* Stored while we were behind: it must name our entry at its seq. */
        uint8_t link[VL_HASH_LEN];
        if ((rc = vls_link_at(self, txn, f.seq, link, err)) != VL_OK)
            goto out;
        if (memcmp(link, f.head, VL_HASH_LEN) != 0) {
            out->state = VL_FRESH_UNKNOWN; /* it is no statement about this log */
            goto out;
        }
    }
    out->have = true;
    out->issued = f.issued;
    out->expires = f.expires;
    out->seq = f.seq;
    if (now > f.expires && now - f.expires > VL_CLOCK_SKEW)
        out->state = VL_FRESH_STALE;
    else if (f.seq > h.seq)
        out->state = VL_FRESH_BEHIND;
    else
        out->state = VL_FRESH_OK;
out:
    vls_read_end(self, &txn);
    return rc;
}

static void
s_utc(uint64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, size, "%llu", (unsigned long long)t);
}

void
vl_freshness_text(const vl_freshness_t *f, char *buf, size_t size)
{
    char t[64];
    assert(f && buf && size);
    buf[0] = '\0';
    switch (f->state) {
    case VL_FRESH_UNCONFIGURED:
    case VL_FRESH_OK:
        return;
    case VL_FRESH_UNKNOWN:
        snprintf(buf, size, "directory may be stale: no freshness statement from the "
                 "Secretariat's node has reached this replica");
        return;
    case VL_FRESH_BEHIND:
        s_utc(f->issued, t, sizeof t);
        snprintf(buf, size, "directory is behind: the Secretariat's node had entry %llu at %s, "
                 "this replica has entry %llu", (unsigned long long)f->seq, t,
                 (unsigned long long)f->head);
        return;
    case VL_FRESH_STALE:
        s_utc(f->expires, t, sizeof t);
        snprintf(buf, size, "directory may be stale since %s: the newest statement of the "
                 "Secretariat's node (entry %llu) expired then; this replica has entry %llu",
                 t, (unsigned long long)f->seq, (unsigned long long)f->head);
        return;
    }
}
