/* SPDX-License-Identifier: MIT */
/*
 * vl_suggest - the nearest known word (contract in vl_suggest.h).
 */
#include "vl_suggest.h"

#include <string.h>

#include "vl_country.h"

size_t
vl_suggest_limit(size_t len)
{
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

static size_t
s_min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t
vl_suggest_distance(const char *a, const char *b)
{
    /* Three rows of the dynamic-programming table: i-2, i-1 and i. */
    size_t rows[3][VL_SUGGEST_MAX + 1];
    size_t la = strnlen(a, VL_SUGGEST_MAX), lb = strnlen(b, VL_SUGGEST_MAX);
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = s_min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < cur[j])
                cur[j] = pp[j - 2] + 1;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

void
vl_suggest_init(vl_suggest_t *s, const char *word)
{
    vl_fold(word, s->word, sizeof s->word);
    s->len = strlen(s->word);
    s->limit = vl_suggest_limit(s->len);
    s->best = (size_t)-1;
    s->prefix = 0;
    s->shown = NULL;
}

void
vl_suggest_offer(vl_suggest_t *s, const char *candidate, const char *shown)
{
    char c[VL_SUGGEST_MAX + 1];
    if (!candidate || s->len == 0)
        return;
    vl_fold(candidate, c, sizeof c);
    size_t d = vl_suggest_distance(s->word, c);
    size_t p = 0;
    while (s->word[p] && s->word[p] == c[p])
        p++;
    if (d <= s->limit && d < s->len && (d < s->best || (d == s->best && p > s->prefix))) {
        s->best = d;
        s->prefix = p;
        s->shown = shown ? shown : candidate;
    }
}

const char *
vl_suggest_best(const vl_suggest_t *s)
{
    return s->shown;
}
