/* SPDX-License-Identifier: MIT */
/*
 * vl_country - State names in English, French and Spanish from Debian's
 * iso-codes (contract in vl_country.h).
 *
 * The gettext catalogue (.mo) reader: a header of five u32 (magic
 * 0x950412de in either byte order, revision with major 0 or 1, count N,
 * offset of the original strings table, offset of the translations table),
 * each table N pairs (length, offset) of NUL-terminated strings. Every
 * offset and length is checked against the file before it is used; the
 * originals are looked up by binary search (the format keeps them sorted).
 */
#include "vl_country.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vl_error.h"

#define S_MAX_FILE (8u * 1024 * 1024) /* iso_3166-1.json is 30 KB, a .mo 20 KB */
#define S_MAX_NAME 160                /* longest ISO name is ~60 bytes */
#define S_NAMES 3                     /* name, common_name, official_name */

typedef struct {
    char code[3];
    char *names[VL_NLANGS][S_NAMES];  /* [0] the name shown; NULL where absent */
    char *folded[VL_NLANGS][S_NAMES];
} s_country_t;

struct vl_countries {
    s_country_t *c;
    size_t n;
};

static const char *const s_lang_codes[VL_NLANGS] = { "en", "fr", "es" };

const char *
vl_lang_code(vl_lang_t lang)
{
    return (unsigned)lang < VL_NLANGS ? s_lang_codes[lang] : "en";
}

bool
vl_lang_parse(const char *s, vl_lang_t *out)
{
    if (!s)
        return false;
    for (int i = 0; i < VL_NLANGS; i++) {
        const char *c = s_lang_codes[i];
        if ((s[0] | 0x20) == c[0] && (s[1] | 0x20) == c[1] &&
            (s[2] == 0 || s[2] == '-' || s[2] == '_' || s[2] == '.')) {
            *out = (vl_lang_t)i;
            return true;
        }
    }
    return false;
}

/* ---- folding ------------------------------------------------------------------- */

/* Base letters of U+00C0..U+00FF and U+0100..U+017F; ' ' for the two signs. */
static const char s_latin1[] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"
                               "aaaaaaaceeeeiiiidnooooo ouuuuyty";
static const char s_latin_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
                                "llllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuu"
                                "wwyyyzzzzzzs";

void
vl_fold(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    bool space = true; /* suppresses leading and doubled spaces */
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (cap == 0)
        return;
    while (*p && o + 1 < cap) {
        unsigned c = *p;
        char base = 0;
        size_t len = 1;
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                base = (char)c;
            else if (c >= 'A' && c <= 'Z')
                base = (char)(c | 0x20);
            else
                base = ' ';
        } else if ((c & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
            unsigned cp = ((c & 0x1f) << 6) | (p[1] & 0x3f);
            len = 2;
            if (cp >= 0xc0 && cp <= 0xff)
                base = s_latin1[cp - 0xc0];
            else if (cp >= 0x100 && cp <= 0x17f && cp - 0x100 < sizeof s_latin_a - 1)
                base = s_latin_a[cp - 0x100];
        }
        if (base == ' ') {
            if (!space)
                out[o++] = ' ';
            space = true;
        } else if (base) {
            out[o++] = base;
            space = false;
        } else {
            /* another character: kept whole, or not at all */
            if (c >= 0x80 && (c & 0xe0) != 0xc0)
                len = (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
            for (size_t i = 1; i < len; i++)
                if (!p[i]) {
                    len = i;
                    break;
                }
            if (o + len >= cap)
                break;
            memcpy(out + o, p, len);
            o += len;
            space = false;
        }
        p += len;
    }
    if (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
}

/* ---- the .mo reader ------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    size_t len;
    bool swap;
    uint32_t n, orig, trans;
} s_mo_t;

static uint32_t
s_u32(const s_mo_t *m, size_t off)
{
    const uint8_t *p = m->buf + off;
    return m->swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* String i of the table at `table`: NULL if it does not lie in the file or
 * is not NUL-terminated where its length says. */
static const char *
s_mo_str(const s_mo_t *m, uint32_t table, uint32_t i, uint32_t *len)
{
    size_t at = (size_t)table + (size_t)i * 8;
    uint32_t l = s_u32(m, at), off = s_u32(m, at + 4);
    if ((size_t)off + l >= m->len || m->buf[(size_t)off + l] != 0)
        return NULL;
    *len = l;
    return (const char *)m->buf + off;
}

static int
s_mo_read(const char *path, s_mo_t *m, char *err)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f)
        return vl_err(err, VL_EIO, "%s: %s", path, strerror(errno));
    m->buf = malloc(S_MAX_FILE);
    int rc = VL_OK;
    if (!m->buf) {
        rc = vl_err(err, VL_ENOMEM, "%s", path);
        goto out;
    }
    m->len = fread(m->buf, 1, S_MAX_FILE, f);
    if (ferror(f) || m->len == S_MAX_FILE) {
        rc = vl_err(err, VL_EPROTO, "%s: unreadable or over %u bytes", path, S_MAX_FILE);
        goto out;
    }
    if (m->len < 20) {
        rc = vl_err(err, VL_EPROTO, "%s: not a gettext catalogue", path);
        goto out;
    }
    m->swap = false;
    if (s_u32(m, 0) != 0x950412deu) {
        m->swap = true;
        if (s_u32(m, 0) != 0x950412deu) {
            rc = vl_err(err, VL_EPROTO, "%s: not a gettext catalogue", path);
            goto out;
        }
    }
    uint32_t major = s_u32(m, 4) >> 16;
    m->n = s_u32(m, 8);
    m->orig = s_u32(m, 12);
    m->trans = s_u32(m, 16);
    if (major > 1 || m->n > m->len / 16 || (size_t)m->orig + (size_t)m->n * 8 > m->len ||
        (size_t)m->trans + (size_t)m->n * 8 > m->len) {
        rc = vl_err(err, VL_EPROTO, "%s: a gettext catalogue with impossible tables", path);
        goto out;
    }
out:
    fclose(f);
    if (rc != VL_OK) {
        free(m->buf);
        m->buf = NULL;
    }
    return rc;
}

/* The translation of msgid, or NULL. */
static const char *
s_mo_lookup(const s_mo_t *m, const char *msgid)
{
    uint32_t lo = 0, hi = m->n, len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *o = s_mo_str(m, m->orig, mid, &len);
        if (!o)
            return NULL;
        int c = strcmp(msgid, o);
        if (c == 0) {
            const char *t = s_mo_str(m, m->trans, mid, &len);
            return t && len > 0 && len <= S_MAX_NAME ? t : NULL;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- loading ------------------------------------------------------------------- */

static int
s_set(s_country_t *c, int lang, int k, const char *name)
{
    char folded[S_MAX_NAME * 2 + 1];
    c->names[lang][k] = strdup(name);
    vl_fold(name, folded, sizeof folded);
    c->folded[lang][k] = strdup(folded);
    return c->names[lang][k] && c->folded[lang][k] ? VL_OK : VL_ENOMEM;
}

static int
s_cmp_code(const void *a, const void *b)
{
    return strcmp(((const s_country_t *)a)->code, ((const s_country_t *)b)->code);
}

/* The ISO entry's names, shown name first: common_name, name, official_name. */
static int
s_take_entry(s_country_t *c, const json_t *e)
{
    static const char *const keys[S_NAMES] = { "common_name", "name", "official_name" };
    int k = 0;
    for (int i = 0; i < S_NAMES; i++) {
        const char *v = json_string_value(json_object_get(e, keys[i]));
        if (!v || !*v || strlen(v) > S_MAX_NAME)
            continue;
        if (s_set(c, VL_LANG_EN, k++, v) != VL_OK)
            return VL_ENOMEM;
    }
    return k > 0 ? VL_OK : VL_EPROTO;
}

int
vl_countries_load(const char *json_path, const char *locale_dir, vl_countries_t **out,
                  char *warn, char *err)
{
    static const char *const eu[VL_NLANGS] = { "European Union", "Union europ\xc3\xa9" "enne",
                                               "Uni\xc3\xb3n Europea" };
    const char *jp = json_path ? json_path : VL_ISO3166_JSON;
    const char *ld = locale_dir ? locale_dir : VL_ISO_LOCALE_DIR;
    int rc = VL_OK;
    json_error_t je;
    json_t *root = NULL;
    vl_countries_t *self = NULL;
    s_mo_t mo[VL_NLANGS] = { 0 };
    *out = NULL;
    if (warn)
        warn[0] = 0;

    root = json_load_file(jp, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        rc = vl_err(err, errno == ENOENT ? VL_EIO : VL_EPROTO,
                    "cannot read the ISO 3166-1 list %s: %s (install Debian's iso-codes)", jp,
                    je.text);
        goto out;
    }
    const json_t *list = json_object_get(root, "3166-1");
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 1000) {
        rc = vl_err(err, VL_EPROTO, "%s: not the iso-codes ISO 3166-1 list", jp);
        goto out;
    }
    self = calloc(1, sizeof *self);
    if (!self || !(self->c = calloc(json_array_size(list) + 1, sizeof *self->c))) {
        rc = vl_err(err, VL_ENOMEM, "%s", jp);
        goto out;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        const char *a2 = json_string_value(json_object_get(e, "alpha_2"));
        if (!a2 || strlen(a2) != 2 || a2[0] < 'A' || a2[0] > 'Z' || a2[1] < 'A' || a2[1] > 'Z' ||
            strcmp(a2, "EU") == 0)
            continue;
        s_country_t *c = &self->c[self->n];
        memcpy(c->code, a2, 3);
        if ((rc = s_take_entry(c, e)) == VL_ENOMEM) {
            rc = vl_err(err, VL_ENOMEM, "%s", jp);
            goto out;
        }
        if (rc != VL_OK) {
            rc = vl_err(err, VL_EPROTO, "%s: %s has no usable name", jp, a2);
            goto out;
        }
        self->n++;
    }
    s_country_t *euc = &self->c[self->n++];
    memcpy(euc->code, "EU", 3);
    for (int l = 0; l < VL_NLANGS; l++)
        if (s_set(euc, l, 0, eu[l]) != VL_OK) {
            rc = vl_err(err, VL_ENOMEM, "%s", jp);
            goto out;
        }
    qsort(self->c, self->n, sizeof *self->c, s_cmp_code);
    for (size_t k = 1; k < self->n; k++)
        if (strcmp(self->c[k - 1].code, self->c[k].code) == 0) {
            rc = vl_err(err, VL_EPROTO, "%s: %s listed twice", jp, self->c[k].code);
            goto out;
        }

    for (int l = VL_LANG_FR; l < VL_NLANGS; l++) {
        char path[4096], why[VL_ERRMSG_MAX];
        snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/iso_3166-1.mo", ld, s_lang_codes[l]);
        if (s_mo_read(path, &mo[l], why) != VL_OK) {
            if (warn && !warn[0])
                vl_err(warn, VL_EIO, "State names in English only: %s", why);
            continue;
        }
        for (size_t k = 0; k < self->n; k++) {
            s_country_t *c = &self->c[k];
            for (int n = 0; n < S_NAMES; n++) {
                if (c->names[l][n] || !c->names[VL_LANG_EN][n])
                    continue;
                const char *t = s_mo_lookup(&mo[l], c->names[VL_LANG_EN][n]);
                if (t && s_set(c, l, n, t) != VL_OK) {
                    rc = vl_err(err, VL_ENOMEM, "%s", path);
                    goto out;
                }
            }
        }
    }
    rc = VL_OK;
    *out = self;
    self = NULL;
out:
    for (int l = 0; l < VL_NLANGS; l++)
        free(mo[l].buf);
    json_decref(root);
    vl_countries_free(&self);
    return rc;
}

void
vl_countries_free(vl_countries_t **self_p)
{
    vl_countries_t *self = *self_p;
    if (!self)
        return;
    for (size_t k = 0; self->c && k < self->n; k++)
        for (int l = 0; l < VL_NLANGS; l++)
            for (int n = 0; n < S_NAMES; n++) {
                free(self->c[k].names[l][n]);
                free(self->c[k].folded[l][n]);
            }
    free(self->c);
    free(self);
    *self_p = NULL;
}

size_t
vl_countries_count(const vl_countries_t *self)
{
    return self->n;
}

const char *
vl_countries_code(const vl_countries_t *self, size_t i)
{
    return i < self->n ? self->c[i].code : NULL;
}

static const s_country_t *
s_find(const vl_countries_t *self, const char *code)
{
    if (!code || strlen(code) != 2)
        return NULL;
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(code, self->c[mid].code);
        if (c == 0)
            return &self->c[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *
vl_country_name(const vl_countries_t *self, const char *code, vl_lang_t lang)
{
    const s_country_t *c = s_find(self, code);
    if (!c)
        return NULL;
    if ((unsigned)lang < VL_NLANGS && c->names[lang][0])
        return c->names[lang][0];
    return c->names[VL_LANG_EN][0];
}

/* How country c matches the folded query q: 3 equal (a name or the code),
 * 2 a name begins with it, 1 a name contains it, 0 not at all. */
static int
s_grade(const s_country_t *c, const char *q, size_t qlen)
{
    int best = 0;
    if (qlen == 2 && (q[0] == (c->code[0] | 0x20)) && q[1] == (c->code[1] | 0x20))
        return 3;
    for (int l = 0; l < VL_NLANGS; l++)
        for (int n = 0; n < S_NAMES; n++) {
            const char *f = c->folded[l][n];
            if (!f)
                continue;
            if (strcmp(f, q) == 0)
                return 3;
            if (strncmp(f, q, qlen) == 0)
                best = best > 2 ? best : 2;
            else if (best < 1 && strstr(f, q))
                best = 1;
        }
    return best;
}

size_t
vl_country_match(const vl_countries_t *self, const char *query, const char **codes, size_t max)
{
    char q[S_MAX_NAME * 2 + 1];
    vl_fold(query, q, sizeof q);
    size_t qlen = strlen(q);
    if (qlen == 0)
        return 0;
    int best = 0;
    size_t n = 0;
    for (size_t k = 0; k < self->n; k++) {
        int g = s_grade(&self->c[k], q, qlen);
        if (g == 0 || g < best)
            continue;
        if (g > best) {
            best = g;
            n = 0;
        }
        if (n < max)
            codes[n] = self->c[k].code;
        n++;
    }
    return n;
}
