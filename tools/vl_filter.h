/* SPDX-License-Identifier: MIT */
/*
 * vl_filter - the record filters `find` and `export` share: their options,
 * their help text, and the check that turns what a person typed into a store
 * query (vl_query_t), or says in one line what is wrong and what was
 * probably meant (docs/cli.md, "Filters").
 *
 * Known values:
 *   --state     the ISO 3166-1 alpha-2 codes of Debian's iso-codes plus EU
 *               (vl_country.h), in any case ("ne" is NE); without the list,
 *               any two letters
 *   --country   a State's name in English, French or Spanish, or its code
 *               (vl_country_match): exactly one State must match
 *   --function  the schema's functions, then agreement subjects (records.md)
 *   --basis     the schema's legal bases
 *   --language  ISO 639 codes of iso-codes' iso_639-2.json (alpha_2,
 *               alpha_3, bibliographic), in any case; without that file,
 *               any code the schema takes (2 or 3 letters)
 * Functions and legal bases are matched folded (vl_fold: "MLA", "untoc-16"
 * and "UNTOC 16" are accepted as mla and UNTOC-16). An unknown value is
 * refused with the nearest known one (vl_suggest.h), if one is near.
 */
#ifndef VL_FILTER_H
#define VL_FILTER_H

#include <stddef.h>

#include <jansson.h>

#include "vl_cli.h"
#include "vl_store.h"

/** The ISO 639-2 list (Debian's iso-codes). */
#define VL_ISO639_JSON "/usr/share/iso-codes/json/iso_639-2.json"

/** The filter options as typed (borrowed from argv) and as resolved. */
typedef struct {
    const char *state, *country, *function, *basis, *language, *kind, *text, *limit;
    char state_code[3]; /**< the resolved State (from --state or --country) */
    char lang_code[4];  /**< the resolved language, lower case */
} vl_filter_t;

/** Number of vl_opt_t entries vl_filter_opts() writes. */
#define VL_FILTER_NOPTS 9

/** The lines of --help that describe the filters (the same for find and
 *  export). */
#define VL_FILTER_HELP                                                                   \
    "  --state S      a State code in any case: MU, mu (agreements: any party)\n"      \
    "  --country C    a State's name in English, French or Spanish: Mauritius,\n"      \
    "                 Maurice, Mauricio (not with --state)\n"                           \
    "  --function F   extradition, mla, transfer_sentenced_persons,\n"                  \
    "                 drug_trafficking_sea, migrant_smuggling_sea, firearms_trafficking\n" \
    "                 (agreements: their subjects, e.g. confiscation)\n"                \
    "  --basis B      legal basis: DRUG1988-6, DRUG1988-7, DRUG1988-17, UNTOC-16,\n"   \
    "                 UNTOC-17, UNTOC-18, SOM-8, FIREARMS-13 (also --legal-basis)\n"    \
    "  --language L   working language, an ISO 639 code: en, fr, es, ...\n"             \
    "  --kind K       authority or agreement\n"                                         \
    "  --text T       case-insensitive substring of any text field\n"                   \
    "  --limit N      at most N records (1 to 1000000)\n"                               \
    "An unknown State, country, function, legal basis or language is an error\n"        \
    "(exit 1) that names the nearest known value when one is near:\n"                   \
    "  valise find: no function 'extraditon' (did you mean 'extradition'?)\n"        \
    "--state with --country, a bad --kind, --text or --limit: usage error (exit 2).\n"

/** @brief Write the filter options into opts[0..VL_FILTER_NOPTS), pointing
 *  into f (zeroed here). @return VL_FILTER_NOPTS. */
size_t vl_filter_opts(vl_filter_t *f, vl_opt_t *opts);

/** @brief Check the filters as typed and fill q (pointing into f and into
 *  static tables). Prints nothing. iso3166, locale_dir, iso639: the files to
 *  read (NULL: the defaults of vl_country.h and VL_ISO639_JSON).
 *  @param[out] err  2 * VL_ERRMSG_MAX bytes: the one-line reason.
 *  @return VL_OK; VL_EINVAL (a usage error: --state with --country, --kind,
 *          empty --text, --limit); VL_ENOTFOUND (an unknown value, or a
 *          --country that names several States: err says which and what
 *          was meant); VL_EIO, VL_EPROTO (--country without a readable
 *          ISO 3166-1 list); VL_ENOMEM. */
int vl_filter_resolve(vl_filter_t *f, vl_query_t *q, const char *iso3166,
                      const char *locale_dir, const char *iso639, char *err);

/** @brief vl_filter_resolve() with the default files, for a command: prints
 *  the error line itself. @return VL_EXIT_OK, VL_EXIT_USAGE or VL_EXIT_ERR. */
int vl_filter_query(const vl_cli_t *cli, vl_filter_t *f, vl_query_t *q);

/** @brief {"state", "function", "legal_basis", "language", "kind", "text",
 *  "limit"}: the criteria of q that are set, resolved. NULL on out of
 *  memory. */
json_t *vl_filter_json(const vl_query_t *q);

#endif
