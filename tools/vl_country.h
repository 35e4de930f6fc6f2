/* SPDX-License-Identifier: MIT */
/*
 * vl_country - the names of States in English, French and Spanish, read
 * from Debian's iso-codes package: the ISO 3166-1 list (JSON) and its
 * gettext catalogues (iso_3166-1.mo per language), plus the European Union
 * (code EU), which ISO 3166-1 reserves but does not list.
 *
 * Used wherever a person names a State instead of typing its code
 * (`find --country`, the web view's search) and wherever a State is shown to
 * a person (pages, the printed edition). Everything read from those files is
 * checked: a malformed catalogue is refused, never trusted (names are then
 * English only, and the caller is told why).
 *
 * Matching (vl_country_match) folds both sides: case, Latin accents
 * (é -> e) and punctuation do not count. A query that equals a name in any
 * of the three languages, or a code, matches only the States it names that
 * way ("Niger" is Niger, not Nigeria); otherwise every State with a name
 * that begins with the query, and if there is none, that contains it.
 */
#ifndef VL_COUNTRY_H
#define VL_COUNTRY_H

#include <stdbool.h>
#include <stddef.h>

/** The languages valise shows names and its interface in. */
typedef enum { VL_LANG_EN = 0, VL_LANG_FR, VL_LANG_ES, VL_NLANGS } vl_lang_t;

/** "en", "fr", "es". */
const char *vl_lang_code(vl_lang_t lang);

/** @brief The language named by a code ("fr", "FR", "fr-CA", "fr_FR.UTF-8").
 *  @return true and *out set, or false (not one of the three). */
bool vl_lang_parse(const char *s, vl_lang_t *out);

typedef struct vl_countries vl_countries_t;

/** Default locations (Debian's iso-codes package). */
#define VL_ISO3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json"
#define VL_ISO_LOCALE_DIR "/usr/share/locale"

/** @brief Load the names. json_path NULL: VL_ISO3166_JSON; locale_dir NULL:
 *  VL_ISO_LOCALE_DIR (catalogues at DIR/fr/LC_MESSAGES/iso_3166-1.mo).
 *  A missing or malformed catalogue is not an error: that language falls
 *  back to English and warn (if not NULL, VL_ERRMSG_MAX bytes) says why.
 *  @return VL_OK, VL_EIO (the list cannot be read), VL_EPROTO (the list is
 *          not the iso-codes JSON), VL_ENOMEM; err says which file and why. */
int vl_countries_load(const char *json_path, const char *locale_dir, vl_countries_t **out,
                      char *warn, char *err);

void vl_countries_free(vl_countries_t **self_p);

/** Number of States known (the ISO list plus EU). */
size_t vl_countries_count(const vl_countries_t *self);

/** The i-th code in code order, i < vl_countries_count(). */
const char *vl_countries_code(const vl_countries_t *self, size_t i);

/** @brief The name of the State `code` (upper-case alpha-2) in `lang`:
 *  the common name where ISO gives one ("Bolivia"), else the short name,
 *  translated when the catalogue has it, else English.
 *  @return the name (borrowed), or NULL for an unknown code. */
const char *vl_country_name(const vl_countries_t *self, const char *code, vl_lang_t lang);

/** @brief The States a person's query names (see the file comment): at most
 *  max codes (borrowed) into codes, in code order.
 *  @return the number that matched (may exceed max); 0 when none. */
size_t vl_country_match(const vl_countries_t *self, const char *query, const char **codes,
                        size_t max);

/** @brief Fold s for comparison into out (cap >= 1): lower-case ASCII,
 *  Latin-1 and Latin Extended-A letters to their base letter, every other
 *  ASCII character that is not a letter or digit to one space, no leading,
 *  trailing or doubled space; other characters are kept as they are.
 *  Truncated to cap - 1 bytes. */
void vl_fold(const char *s, char *out, size_t cap);

#endif
