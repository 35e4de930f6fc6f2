/* SPDX-License-Identifier: MIT */
/*
 * vl_html - safe HTML in the reader's language (contract in vl_html.h).
 */
#include "vl_html.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer -------------------------------------------------------------------- */

void
vl_buf_free(vl_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static bool
s_reserve(vl_buf_t *b, size_t n)
{
    if (b->oom)
        return false;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void
vl_buf_add(vl_buf_t *b, const void *s, size_t n)
{
    if (n == 0 || !s_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void
vl_buf_puts(vl_buf_t *b, const char *s)
{
    if (s)
        vl_buf_add(b, s, strlen(s));
}

void
vl_buf_printf(vl_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0 || !s_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- escaping ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid or a C1
 * control (U+0080..U+009F). */
static size_t
s_utf8(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        if ((p[1] & 0xc0) != 0x80 || (c == 0xc2 && p[1] < 0xa0))
            return 0;
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

void
vl_html_esc(vl_buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!s)
        return;
    while (*p) {
        unsigned c = *p;
        switch (c) {
        case '&': vl_buf_puts(b, "&amp;"); p++; continue;
        case '<': vl_buf_puts(b, "&lt;"); p++; continue;
        case '>': vl_buf_puts(b, "&gt;"); p++; continue;
        case '"': vl_buf_puts(b, "&quot;"); p++; continue;
        case '\'': vl_buf_puts(b, "&#39;"); p++; continue;
        default: break;
        }
        size_t n = s_utf8(p);
        if (n == 0 || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            vl_buf_puts(b, "\xef\xbf\xbd");
            p++;
            continue;
        }
        vl_buf_add(b, p, n);
        p += n;
    }
}

void
vl_html_url(vl_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        unsigned c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            char ch = (char)c;
            vl_buf_add(b, &ch, 1);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            vl_buf_add(b, e, 3);
        }
    }
}

/* ---- words --------------------------------------------------------------------- */

typedef struct {
    const char *key, *en, *fr;
} s_word_t;

/* Sorted by key (binary search). */
static const s_word_t s_words[] = {
    { "agreement", "Agreement", "Accord" },
    { "agreements", "Agreements", "Accords" },
    { "any", "any", "tous" },
    { "approved_by", "approved by", "approuv\xc3\xa9 par" },
    { "authorities", "Authorities", "Autorit\xc3\xa9s" },
    { "authority", "Authority", "Autorit\xc3\xa9" },
    { "channel.central_authority", "central authority", "autorit\xc3\xa9 centrale" },
    { "channel.diplomatic", "diplomatic", "voie diplomatique" },
    { "channel.direct", "direct", "direct" },
    { "channel.email", "e-mail", "courriel" },
    { "channel.fax", "fax", "t\xc3\xa9l\xc3\xa9" "copie" },
    { "channel.interpol", "INTERPOL", "INTERPOL" },
    { "choose_state", "several States match; choose one",
      "plusieurs \xc3\x89tats correspondent ; choisissez" },
    { "compendium", "Compendium", "Recueil" },
    { "compendiums", "Compendiums of agreements", "Recueils d'accords" },
    { "contents", "Contents", "Sommaire" },
    { "country", "State (name or code)", "\xc3\x89tat (nom ou code)" },
    { "did_you_mean", "Did you mean", "Vouliez-vous dire" },
    { "edition", "Directory of competent national authorities",
      "R\xc3\xa9pertoire des autorit\xc3\xa9s nationales comp\xc3\xa9tentes" },
    { "edition.agreements", "agreements", "accords" },
    { "edition.authorities", "authorities", "autorit\xc3\xa9s" },
    { "edition.contents", "This edition holds", "Cette \xc3\xa9" "dition contient" },
    { "edition.date", "Date of this edition", "Date de la pr\xc3\xa9sente \xc3\xa9" "dition" },
    { "edition.extract", "Extract for", "Extrait pour" },
    { "edition.match",
      "A printed copy is matched to the signed log by the head entry's number, hash and "
      "state root; on any replica of the network, this command shows that entry's hash and "
      "the state root after it:",
      "Une copie imprim\xc3\xa9" "e se rapporte au journal sign\xc3\xa9 par le "
      "num\xc3\xa9ro, l'empreinte et la racine d'\xc3\xa9tat de l'entr\xc3\xa9" "e de "
      "t\xc3\xaate ; sur toute r\xc3\xa9plique du r\xc3\xa9seau, cette commande montre "
      "l'empreinte de cette entr\xc3\xa9" "e et la racine d'\xc3\xa9tat qui la suit :" },
    { "edition.states", "States", "\xc3\x89tats" },
    { "entry", "log entry", "entr\xc3\xa9" "e du journal" },
    { "error", "Error", "Erreur" },
    { "field.address", "Address", "Adresse" },
    { "field.channels", "Channels", "Voies de communication" },
    { "field.comments", "Comments", "Observations" },
    { "field.contact", "Contact", "Coordonn\xc3\xa9" "es" },
    { "field.dates", "Dates", "Dates" },
    { "field.emails", "E-mail", "Courriel" },
    { "field.faxes", "Fax", "T\xc3\xa9l\xc3\xa9" "copie" },
    { "field.formats", "Formats of requests", "Formes des demandes" },
    { "field.functions", "Functions", "Fonctions" },
    { "field.id", "Record", "Fiche" },
    { "field.in_force", "In force", "En vigueur" },
    { "field.interpol", "Requests through INTERPOL", "Demandes par INTERPOL" },
    { "field.kind", "Kind", "Type de fiche" },
    { "field.languages", "Languages", "Langues" },
    { "field.legal_bases", "Legal bases", "Fondements juridiques" },
    { "field.name", "Name", "Nom" },
    { "field.notes", "Notes", "Notes" },
    { "field.office_hours", "Office hours", "Heures d'ouverture" },
    { "field.parties", "Parties", "Parties" },
    { "field.party", "Party", "Partie" },
    { "field.persons", "Contact persons", "Personnes \xc3\xa0 contacter" },
    { "field.phones", "Phone", "T\xc3\xa9l\xc3\xa9phone" },
    { "field.platform", "Platform", "Plateforme" },
    { "field.required_documents", "Required documents", "Documents requis" },
    { "field.requirements", "Requirements of each party", "Exigences de chaque partie" },
    { "field.signed", "Signed", "Sign\xc3\xa9" },
    { "field.state", "State", "\xc3\x89tat" },
    { "field.status", "Status", "Statut" },
    { "field.subjects", "Subjects", "Objets" },
    { "field.terminated", "Terminated", "D\xc3\xa9nonc\xc3\xa9" },
    { "field.text", "Text", "Texte" },
    { "field.time_zone", "Time zone", "Fuseau horaire" },
    { "field.title", "Title", "Titre" },
    { "field.treaties", "Treaties", "Trait\xc3\xa9s" },
    { "field.type", "Type", "Type" },
    { "field.untoc_16_5", "UNTOC art. 16(5) declaration",
      "D\xc3\xa9" "claration au titre de l'art. 16(5) de la CTO" },
    { "field.urgent_procedures", "Urgent procedures", "Proc\xc3\xa9" "dures d'urgence" },
    { "field.website", "Website", "Site web" },
    { "first_results", "Only the first 1000 results are shown: narrow the search.",
      "Seuls les 1000 premiers r\xc3\xa9sultats sont affich\xc3\xa9s : pr\xc3\xa9" "cisez la "
      "recherche." },
    { "freshness", "Freshness", "Fra\xc3\xae" "cheur" },
    { "function", "Function", "Fonction" },
    { "function.drug_trafficking_sea", "drug trafficking by sea", "trafic de drogue par mer" },
    { "function.extradition", "extradition", "extradition" },
    { "function.firearms_trafficking", "firearms trafficking", "trafic d'armes \xc3\xa0 feu" },
    { "function.migrant_smuggling_sea", "migrant smuggling by sea", "trafic de migrants par mer" },
    { "function.mla", "mutual legal assistance", "entraide judiciaire" },
    { "function.transfer_sentenced_persons", "transfer of sentenced persons",
      "transf\xc3\xa8rement des personnes condamn\xc3\xa9" "es" },
    { "head", "Log head", "T\xc3\xaate du journal" },
    { "head_hash", "Hash of the head entry", "Empreinte de l'entr\xc3\xa9" "e de t\xc3\xaate" },
    { "head_seq", "Log head (entry number)",
      "T\xc3\xaate du journal (num\xc3\xa9ro d'entr\xc3\xa9" "e)" },
    { "home", "Directory", "R\xc3\xa9pertoire" },
    { "language", "Language", "Langue" },
    { "last_updated", "Last updated", "Derni\xc3\xa8re mise \xc3\xa0 jour" },
    { "legal_basis", "Legal basis", "Fondement juridique" },
    { "members", "Members", "Membres" },
    { "network", "Network", "R\xc3\xa9seau" },
    { "network_id", "Network id", "Identifiant du r\xc3\xa9seau" },
    { "no", "no", "non" },
    { "no_authority", "No authority of this State is in this edition.",
      "Aucune autorit\xc3\xa9 de cet \xc3\xa9tat ne figure dans cette \xc3\xa9" "dition." },
    { "no_results", "No record matches.", "Aucune fiche ne correspond." },
    { "no_state", "No State is named", "Aucun \xc3\x89tat ne s'appelle" },
    { "not_found", "Not found", "Introuvable" },
    { "other_agreements", "Other agreements", "Autres accords" },
    { "party_to", "Agreements to which it is a party", "Accords auxquels il est partie" },
    { "pending", "Pending proposals", "Propositions en attente" },
    { "platform.IOC", "Indian Ocean Commission judicial platform",
      "Plateforme judiciaire de la Commission de l'oc\xc3\xa9" "an Indien" },
    { "platform.REFCO", "Central American network of organized crime prosecutors",
      "R\xc3\xa9seau des procureurs d'Am\xc3\xa9rique centrale contre le crime organis\xc3\xa9" },
    { "platform.SAHEL", "Judicial platform of the Sahel countries",
      "Plateforme judiciaire des pays du Sahel" },
    { "policy_version", "Policy version", "Version de la politique" },
    { "proposed_by", "proposed by", "propos\xc3\xa9 par" },
    { "records", "records", "fiches" },
    { "records_label", "Records", "Fiches" },
    { "results", "Results", "R\xc3\xa9sultats" },
    { "revision", "revision", "r\xc3\xa9vision" },
    { "root", "State root", "Racine d'\xc3\xa9tat" },
    { "search", "Search", "Rechercher" },
    { "stale", "The directory may be stale", "Le r\xc3\xa9pertoire n'est peut-\xc3\xaatre pas \xc3\xa0 jour" },
    { "state_records", "States", "\xc3\x89tats" },
    { "status", "Status", "\xc3\x89tat du n\xc5\x93ud" },
    { "status.in_force", "in force", "en vigueur" },
    { "status.negotiated", "negotiated", "n\xc3\xa9goci\xc3\xa9" },
    { "status.signed", "signed", "sign\xc3\xa9" },
    { "status.suspended", "suspended", "suspendu" },
    { "status.terminated", "terminated", "d\xc3\xa9nonc\xc3\xa9" },
    { "subject.confiscation", "confiscation", "confiscation" },
    { "subject.drug_trafficking", "drug trafficking", "trafic de drogue" },
    { "subject.extradition", "extradition", "extradition" },
    { "subject.mla", "mutual legal assistance", "entraide judiciaire" },
    { "subject.organized_crime", "organized crime", "criminalit\xc3\xa9 organis\xc3\xa9" "e" },
    { "subject.transfer_sentenced_persons", "transfer of sentenced persons",
      "transf\xc3\xa8rement des personnes condamn\xc3\xa9" "es" },
    { "text", "Free text", "Texte libre" },
    { "type.bilateral", "bilateral", "bilat\xc3\xa9ral" },
    { "type.multilateral", "multilateral", "multilat\xc3\xa9ral" },
    { "type.regional", "regional", "r\xc3\xa9gional" },
    { "unknown_value", "Unknown value", "Valeur inconnue" },
    { "yes", "yes", "oui" },
};

const char *
vl_i18n(const char *key, vl_lang_t lang)
{
    size_t lo = 0, hi = sizeof s_words / sizeof s_words[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, s_words[mid].key);
        if (c == 0)
            return lang == VL_LANG_FR && s_words[mid].fr ? s_words[mid].fr : s_words[mid].en;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return key;
}

const char *
vl_html_text(const json_t *v, vl_lang_t lang)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (!json_is_object(v))
        return NULL;
    const json_t *t = json_object_get(v, vl_lang_code(lang));
    if (!json_is_string(t))
        t = json_object_get(v, "en");
    if (json_is_string(t))
        return json_string_value(t);
    void *it = json_object_iter((json_t *)v);
    t = it ? json_object_iter_value(it) : NULL;
    return json_is_string(t) ? json_string_value(t) : NULL;
}

/* ---- records ------------------------------------------------------------------- */

/* Fields in the order a reader looks for them; the rest follow by name. */
static const char *const s_order[] = {
    "id", "kind", "state", "parties", "name", "title", "type", "status", "platform",
    "functions", "subjects", "legal_bases", "languages", "contact", "persons", "channels",
    "interpol", "untoc_16_5", "office_hours", "time_zone", "required_documents", "formats",
    "urgent_procedures", "dates", "requirements", "treaties", "comments", "notes", NULL
};

/* The vocabulary prefix of a field's values ("function."), or NULL. */
static const char *
s_vocab(const char *field)
{
    static const char *const map[][2] = {
        { "functions", "function." }, { "channels", "channel." }, { "subjects", "subject." },
        { "status", "status." },      { "type", "type." },        { "kind", "" },
        { NULL, NULL },
    };
    for (size_t i = 0; map[i][0]; i++)
        if (strcmp(field, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

static bool
s_is_state_field(const char *field)
{
    return strcmp(field, "state") == 0 || strcmp(field, "parties") == 0 ||
           strcmp(field, "party") == 0;
}

/* A label for field name `key` (ours, else the escaped key). */
static void
s_label(vl_buf_t *b, const char *key, vl_lang_t lang)
{
    char full[96];
    if (snprintf(full, sizeof full, "field.%s", key) < (int)sizeof full) {
        const char *w = vl_i18n(full, lang);
        if (w != full) {
            vl_buf_puts(b, w);
            return;
        }
    }
    vl_html_esc(b, key);
}

typedef struct {
    vl_lang_t lang;
    const vl_countries_t *names;
    const char *link;
    const char *link_suffix;
} s_ctx_t;

static void s_value(vl_buf_t *b, const char *field, const json_t *v, const s_ctx_t *c);

static void
s_scalar(vl_buf_t *b, const char *field, const json_t *v, const s_ctx_t *c)
{
    if (json_is_true(v) || json_is_false(v)) {
        vl_buf_puts(b, vl_i18n(json_is_true(v) ? "yes" : "no", c->lang));
        return;
    }
    if (json_is_integer(v)) {
        vl_buf_printf(b, "%lld", (long long)json_integer_value(v));
        return;
    }
    const char *s = json_string_value(v);
    if (!s)
        return;
    const char *voc = s_vocab(field);
    if (voc) {
        char key[96];
        if (snprintf(key, sizeof key, "%s%s", voc, s) < (int)sizeof key) {
            const char *w = vl_i18n(key, c->lang);
            if (w != key) {
                vl_buf_puts(b, w);
                return;
            }
        }
    }
    if (s_is_state_field(field) && c->names) {
        const char *n = vl_country_name(c->names, s, c->lang);
        if (n) {
            vl_html_esc(b, n);
            vl_buf_puts(b, " <span class=\"code\">(");
            vl_html_esc(b, s);
            vl_buf_puts(b, ")</span>");
            return;
        }
    }
    if (strcmp(field, "emails") == 0 || strcmp(field, "website") == 0) {
        vl_buf_puts(b, "<span class=\"contact\">");
        vl_html_esc(b, s);
        vl_buf_puts(b, "</span>");
        return;
    }
    if (strcmp(field, "treaties") == 0 && c->link) {
        vl_buf_puts(b, "<a href=\"");
        vl_html_esc(b, c->link);
        vl_html_url(b, s);
        vl_html_esc(b, c->link_suffix);
        vl_buf_puts(b, "\">");
        vl_html_esc(b, s);
        vl_buf_puts(b, "</a>");
        return;
    }
    vl_html_esc(b, s);
}

/* A multilingual text: the reader's language first, the others after. */
static bool
s_is_text(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) == 0)
        return false;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        size_t n = strlen(k);
        if (!json_is_string(x) || n < 2 || n > 3)
            return false;
        for (size_t i = 0; i < n; i++)
            if (k[i] < 'a' || k[i] > 'z')
                return false;
    }
    return true;
}

static void
s_text(vl_buf_t *b, const json_t *v, const s_ctx_t *c)
{
    const char *main = vl_html_text(v, c->lang);
    vl_buf_puts(b, "<span class=\"text\">");
    vl_html_esc(b, main);
    vl_buf_puts(b, "</span>");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        if (json_string_value(x) == main)
            continue;
        vl_buf_puts(b, "<br><span class=\"other-lang\" lang=\"");
        vl_html_esc(b, k);
        vl_buf_puts(b, "\">[");
        vl_html_esc(b, k);
        vl_buf_puts(b, "] ");
        vl_html_esc(b, json_string_value(x));
        vl_buf_puts(b, "</span>");
    }
}

static void
s_members(vl_buf_t *b, const json_t *o, const s_ctx_t *c)
{
    vl_buf_puts(b, "<dl>");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)o, k, x) {
        vl_buf_puts(b, "<dt>");
        s_label(b, k, c->lang);
        vl_buf_puts(b, "</dt><dd>");
        s_value(b, k, x, c);
        vl_buf_puts(b, "</dd>");
    }
    vl_buf_puts(b, "</dl>");
}

static void
s_value(vl_buf_t *b, const char *field, const json_t *v, const s_ctx_t *c)
{
    if (s_is_text(v)) {
        s_text(b, v, c);
    } else if (json_is_object(v)) {
        s_members(b, v, c);
    } else if (json_is_array(v)) {
        bool objects = false;
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) objects = objects || json_is_object(e);
        if (objects) {
            vl_buf_puts(b, "<ul class=\"items\">");
            json_array_foreach(v, i, e) {
                vl_buf_puts(b, "<li>");
                s_value(b, field, e, c);
                vl_buf_puts(b, "</li>");
            }
            vl_buf_puts(b, "</ul>");
        } else {
            json_array_foreach(v, i, e) {
                if (i)
                    vl_buf_puts(b, ", ");
                s_scalar(b, field, e, c);
            }
        }
    } else {
        s_scalar(b, field, v, c);
    }
}

static bool
s_ordered(const char *key)
{
    for (size_t i = 0; s_order[i]; i++)
        if (strcmp(s_order[i], key) == 0)
            return true;
    return false;
}

static void
s_field(vl_buf_t *b, const char *key, const json_t *v, const s_ctx_t *c)
{
    vl_buf_puts(b, "<dt>");
    s_label(b, key, c->lang);
    vl_buf_puts(b, "</dt><dd class=\"f-");
    vl_html_esc(b, key);
    vl_buf_puts(b, "\">");
    s_value(b, key, v, c);
    vl_buf_puts(b, "</dd>\n");
}

void
vl_html_record(vl_buf_t *b, const json_t *record, vl_lang_t lang, const vl_countries_t *names,
               const char *link_prefix)
{
    vl_html_record_links(b, record, lang, names, link_prefix, NULL);
}

void
vl_html_record_links(vl_buf_t *b, const json_t *record, vl_lang_t lang,
                     const vl_countries_t *names, const char *link_prefix,
                     const char *link_suffix)
{
    s_ctx_t c = { lang, names, link_prefix, link_suffix };
    vl_buf_puts(b, "<dl class=\"record\">\n");
    for (size_t i = 0; s_order[i]; i++) {
        const json_t *v = json_object_get(record, s_order[i]);
        if (v)
            s_field(b, s_order[i], v, &c);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)record, k, v)
        if (!s_ordered(k))
            s_field(b, k, v, &c);
    vl_buf_puts(b, "</dl>\n");
}
