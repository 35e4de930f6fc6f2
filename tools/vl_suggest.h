/* SPDX-License-Identifier: MIT */
/*
 * vl_suggest - the nearest known word to one a person mistyped, for the
 * "did you mean ...?" of an error line (`find --function extraditon`).
 *
 * Both sides are folded first (vl_fold: case, Latin accents and punctuation
 * do not count), then compared by Damerau-Levenshtein distance in its
 * optimal-string-alignment form: one insertion, deletion, substitution or
 * swap of two adjacent bytes costs 1. A candidate is near when its distance
 * is at most the limit for the folded word's length (vl_suggest_limit) and
 * smaller than that length. The nearest wins; of equally near ones, the one
 * that shares the longest beginning with the word (typing goes wrong at the
 * end more often: "ner" suggests NE, not ER), then the one offered first.
 * Nothing near: no suggestion.
 *
 * Use: vl_suggest_init(&s, word); vl_suggest_offer(&s, candidate, shown)
 * for each known value in a meaningful order; vl_suggest_best(&s).
 */
#ifndef VL_SUGGEST_H
#define VL_SUGGEST_H

#include <stddef.h>

/** Longest folded word or candidate compared (bytes); longer ones are cut. */
#define VL_SUGGEST_MAX 128

typedef struct {
    char word[VL_SUGGEST_MAX + 1]; /**< the folded word */
    size_t len;                    /**< strlen(word) */
    size_t limit;                  /**< largest distance that counts as near */
    size_t best;                   /**< distance of the best so far */
    size_t prefix;                 /**< its common beginning with word (bytes) */
    const char *shown;             /**< what to suggest (borrowed); NULL: none yet */
} vl_suggest_t;

/** @brief The largest distance that counts as near for a folded word of
 *  len bytes: 1 up to 4 bytes, 2 up to 8, else 3. */
size_t vl_suggest_limit(size_t len);

/** @brief Optimal-string-alignment distance between a and b (bytes, each cut
 *  to VL_SUGGEST_MAX). */
size_t vl_suggest_distance(const char *a, const char *b);

/** @brief Start a search for the nearest candidate to word (folded here). */
void vl_suggest_init(vl_suggest_t *s, const char *word);

/** @brief Consider candidate (folded here); shown is what to suggest if it
 *  wins (NULL: the candidate itself). Both are borrowed until
 *  vl_suggest_best(). */
void vl_suggest_offer(vl_suggest_t *s, const char *candidate, const char *shown);

/** @brief The shown value of the nearest candidate, or NULL if none is near. */
const char *vl_suggest_best(const vl_suggest_t *s);

#endif
