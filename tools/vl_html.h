/* SPDX-License-Identifier: MIT */
/*
 * vl_html - writing HTML safely, in the reader's language: a growable
 * buffer, the one escape every text we did not write goes through, the
 * interface's words in English and French (Spanish falls back to English),
 * and a record's fields as an HTML definition list. Shared by the web view
 * (valise serve) and the printed edition (valise edition), so a record
 * looks, and is escaped, the same in both.
 *
 * Escaping (vl_html_esc): & < > " ' become entities; C0 controls other than
 * tab and newline, DEL and C1 controls, and bytes that are not valid UTF-8
 * become U+FFFD, so a record field cannot open a tag, leave an attribute,
 * or smuggle control characters into a page. The result is safe in element
 * content and in a double- or single-quoted attribute value; it is never
 * placed in a script, a style or an unquoted attribute.
 */
#ifndef VL_HTML_H
#define VL_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vl_country.h"

/** A growable byte buffer. An allocation failure sets `oom` and makes every
 *  later add a no-op, so a writer checks once at the end. */
typedef struct {
    char *p;     /**< NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    bool oom;
} vl_buf_t;

void vl_buf_free(vl_buf_t *b);
void vl_buf_add(vl_buf_t *b, const void *s, size_t n);
void vl_buf_puts(vl_buf_t *b, const char *s);
/** Formatted text WE write: never pass a record field as fmt or as a %s
 *  argument (use vl_html_esc for those). */
void vl_buf_printf(vl_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** @brief Append s (NULL: nothing), escaped for HTML (see the file comment). */
void vl_html_esc(vl_buf_t *b, const char *s);

/** @brief Append s percent-encoded for a URL query value or path segment
 *  (everything but A-Z a-z 0-9 - . _ ~). */
void vl_html_url(vl_buf_t *b, const char *s);

/** @brief The interface word `key` in `lang` ("search", "function.mla",
 *  "field.contact", ...): French where the table has it, else English, else
 *  the key itself (a field valise does not know yet is shown by its name).
 *  The result is ours or the key: escape it if the key came from a record. */
const char *vl_i18n(const char *key, vl_lang_t lang);

/** @brief A multilingual text object ({"en": "...", "fr": "..."}) in lang,
 *  else English, else its first language; a string is itself; else NULL. */
const char *vl_html_text(const json_t *v, vl_lang_t lang);

/** @brief The record's JSON view (vl_record_to_json) as <dl class="record">:
 *  every field, known ones with their label in lang and in a fixed order,
 *  others after them by name; multilingual texts in lang; State codes with
 *  their name from `names` (may be NULL); vocabulary values (functions,
 *  channels, legal bases, ...) translated. Record ids in `treaties` link to
 *  `link_prefix` + id when link_prefix is not NULL. */
void vl_html_record(vl_buf_t *b, const json_t *record, vl_lang_t lang,
                    const vl_countries_t *names, const char *link_prefix);

/** @brief vl_html_record with link_suffix (ours, e.g. "?lang=fr"; NULL:
 *  none) after the id in each link, so a page's links keep its language. */
void vl_html_record_links(vl_buf_t *b, const json_t *record, vl_lang_t lang,
                          const vl_countries_t *names, const char *link_prefix,
                          const char *link_suffix);

#endif
