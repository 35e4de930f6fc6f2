/* SPDX-License-Identifier: MIT */
/*
 * vl_progress - the progress line of long commands; contract in vl_progress.h.
 */
#include "vl_progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Redraw at most this often (µs). */
#define S_EVERY_US 100000u
/* Show a rate once the step has run this long (µs): before, it means little. */
#define S_RATE_AFTER_US 1000u

/* The reporter started last and not yet ended (vl_progress_clear_active). */
static vl_progress_t *s_active;

static uint64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* n with a comma every three digits: "41,200". out holds 27 bytes. */
static void
s_group(char out[27], uint64_t n)
{
    char digits[21];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t j = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = '\0';
}

void
vl_progress_init(vl_progress_t *p, const char *label)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->on = isatty(STDERR_FILENO) == 1;
    if (p->on)
        s_active = p;
}

static void
s_draw(vl_progress_t *p, uint64_t now)
{
    char done[27], total[27], rate[27], line[256];
    s_group(done, p->done);
    s_group(total, p->total);
    int n = snprintf(line, sizeof line, "%s: %s of %s %s", p->label, done, total, p->what);
    uint64_t el = now - p->t0;
    if (n > 0 && (size_t)n < sizeof line && el >= S_RATE_AFTER_US && p->done > p->done0) {
        double per_s = (double)(p->done - p->done0) * 1e6 / (double)el;
        s_group(rate, (uint64_t)(per_s + 0.5));
        size_t m = (size_t)n;
        n += snprintf(line + m, sizeof line - m, ", %s/s", rate);
        if (p->done < p->total && n > 0 && (size_t)n < sizeof line) {
            double left = (double)(p->total - p->done) / per_s;
            m = (size_t)n;
            snprintf(line + m, sizeof line - m, ", %llu s left",
                     left < 1 ? 1ull : (unsigned long long)(left + 0.5));
        }
    }
    fflush(stdout); /* what the command printed goes first */
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->shown = true;
    p->drawn_at = now;
}

void
vl_progress_update(vl_progress_t *p, const char *what, uint64_t done, uint64_t total)
{
    if (!p->on || !what)
        return;
    uint64_t now = s_now_us();
    bool fresh = strncmp(p->what, what, sizeof p->what - 1) != 0;
    if (fresh) {
        snprintf(p->what, sizeof p->what, "%s", what);
        p->t0 = now;
        p->done0 = done;
    }
    p->done = done > total ? total : done;
    p->total = total;
    if (fresh || done >= total || now - p->drawn_at >= S_EVERY_US)
        s_draw(p, now);
}

void
vl_progress_cb(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    vl_progress_update(ctx, what, done, total);
}

void
vl_progress_clear(vl_progress_t *p)
{
    if (!p->on || !p->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
}

void
vl_progress_end(vl_progress_t *p)
{
    vl_progress_clear(p);
    p->on = false;
    if (s_active == p)
        s_active = NULL;
}

void
vl_progress_clear_active(void)
{
    if (s_active)
        vl_progress_clear(s_active);
}
