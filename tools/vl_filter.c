/* SPDX-License-Identifier: MIT */
/*
 * vl_filter - the filters of `find` and `export` (contract in vl_filter.h).
 */
#include "vl_filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vl_country.h"
#include "vl_record.h"
#include "vl_suggest.h"

/* At most this many bytes of what a person typed are quoted back. */
#define S_SHOWN 64
/* Buffer of one error line (what vl_cli's message printer holds). */
#define S_ERR (2 * VL_ERRMSG_MAX)
/* States listed when --country names several. */
#define S_LIST 8
/* iso_639-2.json is 70 KB. */
#define S_MAX_ISO639 (4u * 1024 * 1024)

size_t
vl_filter_opts(vl_filter_t *f, vl_opt_t *opts)
{
    memset(f, 0, sizeof *f);
    const vl_opt_t t[VL_FILTER_NOPTS] = {
        { "state", VL_OPT_ARG, &f->state },
        { "country", VL_OPT_ARG, &f->country },
        { "function", VL_OPT_ARG, &f->function },
        { "basis", VL_OPT_ARG, &f->basis },
        { "legal-basis", VL_OPT_ARG, &f->basis },
        { "language", VL_OPT_ARG, &f->language },
        { "kind", VL_OPT_ARG, &f->kind },
        { "text", VL_OPT_ARG, &f->text },
        { "limit", VL_OPT_ARG, &f->limit },
    };
    memcpy(opts, t, sizeof t);
    return VL_FILTER_NOPTS;
}

/* ---- one known value out of a table -------------------------------------------- */

/* The entry of `tables` (NULL-terminated lists, searched in order) equal to
 * s when both are folded, else NULL with the nearest in *near (or NULL). */
static const char *
s_lookup(const char *s, const char *const *const *tables, size_t ntables, const char **near)
{
    char fs[VL_SUGGEST_MAX + 1], fk[VL_SUGGEST_MAX + 1];
    vl_fold(s, fs, sizeof fs);
    vl_suggest_t sg;
    vl_suggest_init(&sg, s);
    for (size_t t = 0; t < ntables; t++)
        for (size_t i = 0; tables[t][i]; i++) {
            if (strcmp(tables[t][i], s) == 0)
                return tables[t][i];
            vl_fold(tables[t][i], fk, sizeof fk);
            if (*fs && strcmp(fk, fs) == 0 && strlen(s) < sizeof fs)
                return tables[t][i];
            vl_suggest_offer(&sg, tables[t][i], NULL);
        }
    *near = vl_suggest_best(&sg);
    return NULL;
}

static int
s_unknown(char *err, const char *what, const char *s, const char *near, const char *name)
{
    if (!near)
        snprintf(err, S_ERR, "no %s '%.*s'", what, S_SHOWN, s);
    else if (name)
        snprintf(err, S_ERR, "no %s '%.*s' (did you mean '%s' (%s)?)", what, S_SHOWN, s, near,
                 name);
    else
        snprintf(err, S_ERR, "no %s '%.*s' (did you mean '%s'?)", what, S_SHOWN, s, near);
    return VL_ENOTFOUND;
}

/* ---- languages ------------------------------------------------------------------ */

static bool
s_lower_code(const char *s, char out[4])
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c | 0x20);
        out[i] = c;
    }
    out[n] = 0;
    return vl_record_lang_valid(out, n);
}

/* The language codes of the ISO 639-2 list: alpha_2 codes first (what the
 * records mostly use), then alpha_3 and bibliographic ones, then the English
 * names (suggesting a code). */
static int
s_language(vl_filter_t *f, const char *path, char *err)
{
    static const char *const keys[] = { "alpha_2", "alpha_3", "bibliographic" };
    const char *s = f->language;
    bool formed = s_lower_code(s, f->lang_code);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    const json_t *list = json_object_get(root, "639-2");
    if (!json_is_array(list)) {
        json_decref(root);
        /* Without the list, any code the schema takes (vl_filter.h). */
        if (formed)
            return VL_OK;
        return s_unknown(err, "language code", s, NULL, NULL);
    }
    size_t i;
    const json_t *e;
    if (formed)
        for (size_t k = 0; k < 3; k++)
            json_array_foreach(list, i, e) {
                const char *c = json_string_value(json_object_get(e, keys[k]));
                if (c && strcmp(c, f->lang_code) == 0) {
                    json_decref(root);
                    return VL_OK;
                }
            }
    vl_suggest_t sg;
    vl_suggest_init(&sg, s);
    for (size_t k = 0; k < 3; k++)
        json_array_foreach(list, i, e) {
            const char *c = json_string_value(json_object_get(e, keys[k]));
            if (c && vl_record_lang_valid(c, strlen(c)))
                vl_suggest_offer(&sg, c, NULL);
        }
    json_array_foreach(list, i, e) {
        const char *c = json_string_value(json_object_get(e, "alpha_2"));
        if (!c)
            c = json_string_value(json_object_get(e, "alpha_3"));
        const char *name = json_string_value(json_object_get(e, "name"));
        if (c && name && vl_record_lang_valid(c, strlen(c)))
            vl_suggest_offer(&sg, name, c);
    }
    char near[8] = "";
    if (vl_suggest_best(&sg))
        snprintf(near, sizeof near, "%s", vl_suggest_best(&sg));
    json_decref(root);
    return s_unknown(err, "language", s, near[0] ? near : NULL, NULL);
}

/* ---- States ---------------------------------------------------------------------- */

static bool
s_upper_code(const char *s, char out[3])
{
    if (strlen(s) != 2)
        return false;
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c & ~0x20);
        out[i] = c;
    }
    out[2] = 0;
    return vl_state_valid(out, 2);
}

static int
s_state(vl_filter_t *f, const vl_countries_t *cs, char *err)
{
    const char *s = f->state;
    bool formed = s_upper_code(s, f->state_code);
    if (!cs)
        return formed ? VL_OK : s_unknown(err, "State code", s, NULL, NULL);
    if (formed && vl_country_name(cs, f->state_code, VL_LANG_EN))
        return VL_OK;
    /* Two letters: the nearest code. A name given as a code ("Niger",
     * "Mauritus"): the code of the State it names, or of the nearest name. */
    const char *named[2];
    const char *near = NULL;
    vl_suggest_t sg;
    vl_suggest_init(&sg, s);
    if (strlen(s) <= 2) {
        for (size_t i = 0; i < vl_countries_count(cs); i++)
            vl_suggest_offer(&sg, vl_countries_code(cs, i), NULL);
        near = vl_suggest_best(&sg);
    } else if (vl_country_match(cs, s, named, 2) == 1) {
        near = named[0];
    } else {
        for (int l = 0; l < VL_NLANGS; l++)
            for (size_t i = 0; i < vl_countries_count(cs); i++) {
                const char *code = vl_countries_code(cs, i);
                vl_suggest_offer(&sg, code, NULL);
                vl_suggest_offer(&sg, vl_country_name(cs, code, (vl_lang_t)l), code);
            }
        near = vl_suggest_best(&sg);
    }
    return s_unknown(err, "State", s, near,
                     near ? vl_country_name(cs, near, VL_LANG_EN) : NULL);
}

static int
s_country(vl_filter_t *f, const vl_countries_t *cs, const char *warn, char *err)
{
    const char *s = f->country, *codes[S_LIST];
    size_t n = vl_country_match(cs, s, codes, S_LIST);
    if (n == 1) {
        memcpy(f->state_code, codes[0], 3);
        return VL_OK;
    }
    if (n == 0) {
        vl_suggest_t sg;
        vl_suggest_init(&sg, s);
        for (int l = 0; l < VL_NLANGS; l++)
            for (size_t i = 0; i < vl_countries_count(cs); i++)
                vl_suggest_offer(&sg, vl_country_name(cs, vl_countries_code(cs, i),
                                                      (vl_lang_t)l), NULL);
        s_unknown(err, "State named", s, vl_suggest_best(&sg), NULL);
        if (warn && *warn) {
            size_t len = strlen(err);
            snprintf(err + len, S_ERR - len, "; %s", warn);
        }
        return VL_ENOTFOUND;
    }
    size_t len = (size_t)snprintf(err, S_ERR, "--country '%.*s' matches ", S_SHOWN, s);
    for (size_t i = 0; i < n && i < S_LIST && len < S_ERR; i++)
        len += (size_t)snprintf(err + len, S_ERR - len, "%s%s (%s)", i ? ", " : "", codes[i],
                                vl_country_name(cs, codes[i], VL_LANG_EN));
    if (n > S_LIST && len < S_ERR)
        len += (size_t)snprintf(err + len, S_ERR - len, " and %zu more", n - S_LIST);
    if (len < S_ERR)
        snprintf(err + len, S_ERR - len, ": give --state");
    return VL_ENOTFOUND;
}

/* ---- the whole filter ------------------------------------------------------------ */

int
vl_filter_resolve(vl_filter_t *f, vl_query_t *q, const char *iso3166, const char *locale_dir,
                  const char *iso639, char *err)
{
    int rc = VL_OK;
    vl_countries_t *cs = NULL;
    memset(q, 0, sizeof *q);
    err[0] = 0;

    if (f->state && f->country)
        return vl_err(err, VL_EINVAL, "give --state or --country, not both");
    if (f->kind && vl_kind_parse(f->kind) == VL_KIND_NONE)
        return vl_err(err, VL_EINVAL, "--kind must be authority or agreement");
    if (f->text && !*f->text)
        return vl_err(err, VL_EINVAL, "--text must not be empty");
    if (f->text) {
        json_t *t = json_string(f->text); /* NULL: not UTF-8 */
        if (!t)
            return vl_err(err, VL_EINVAL, "--text must be UTF-8 text");
        json_decref(t);
    }
    if (f->limit) {
        uint64_t v = 0;
        if (vl_cli_u64(f->limit, (size_t)-1, 1, VL_CLI_MAX_LIMIT, &v) != VL_OK) {
            snprintf(err, S_ERR, "--limit wants a whole number from 1 to %u, not '%s'",
                     VL_CLI_MAX_LIMIT, f->limit);
            return VL_EINVAL;
        }
        q->limit = (size_t)v;
    }
    q->kind = f->kind;
    q->text = f->text;

    if (f->function) {
        const char *const *t[] = { vl_record_functions(), vl_record_subjects() };
        const char *near = NULL;
        if (!(q->function = s_lookup(f->function, t, 2, &near))) {
            rc = s_unknown(err, "function", f->function, near, NULL);
            goto out;
        }
    }
    if (f->basis) {
        const char *const *t[] = { vl_record_legal_bases() };
        const char *near = NULL;
        if (!(q->legal_basis = s_lookup(f->basis, t, 1, &near))) {
            rc = s_unknown(err, "legal basis", f->basis, near, NULL);
            goto out;
        }
    }
    if (f->language) {
        if ((rc = s_language(f, iso639 ? iso639 : VL_ISO639_JSON, err)) != VL_OK)
            goto out;
        q->language = f->lang_code;
    }
    if (f->state || f->country) {
        char warn[VL_ERRMSG_MAX], why[VL_ERRMSG_MAX];
        int lrc = vl_countries_load(iso3166, locale_dir, &cs, warn, why);
        if (lrc != VL_OK && (f->country || lrc == VL_ENOMEM)) {
            rc = vl_err(err, lrc, "--country: %s", why);
            goto out;
        }
        rc = f->state ? s_state(f, cs, err) : s_country(f, cs, warn, err);
        if (rc != VL_OK)
            goto out;
        q->state = f->state_code;
    }
out:
    vl_countries_free(&cs);
    return rc;
}

int
vl_filter_query(const vl_cli_t *cli, vl_filter_t *f, vl_query_t *q)
{
    char err[S_ERR];
    int rc = vl_filter_resolve(f, q, NULL, NULL, NULL, err);
    if (rc == VL_OK)
        return VL_EXIT_OK;
    if (rc == VL_EINVAL)
        return vl_cli_usage(cli, "%s", err);
    if (rc == VL_ENOMEM)
        return vl_cli_failx(cli, "%s", vl_strerror(rc));
    return vl_cli_failx(cli, "%s", err);
}

json_t *
vl_filter_json(const vl_query_t *q)
{
    json_t *o = json_object();
    const char *const keys[] = { "state", "function", "legal_basis", "language", "kind",
                                 "text" };
    const char *const vals[] = { q->state, q->function, q->legal_basis, q->language, q->kind,
                                 q->text };
    int bad = !o;
    for (size_t i = 0; o && i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i])
            bad |= json_object_set_new(o, keys[i], json_string(vals[i]));
    if (o && q->limit)
        bad |= json_object_set_new(o, "limit", json_integer((json_int_t)q->limit));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
