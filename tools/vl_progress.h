/* SPDX-License-Identifier: MIT */
/*
 * vl_progress - the progress line of long commands (docs/cli.md, Text
 * output, "Progress"): one line on stderr, rewritten in place with "\r", at
 * most 10 times a second, e.g.
 *   verify: 41,200 of 100,000 log entries, 12,300/s, 5 s left
 * Only when stderr is a terminal; otherwise every call does nothing, so a
 * command's output is the same with or without a reporter.
 *
 * Contract: the line holds only numbers and the fixed words the caller and
 * the store wrote (never escaped, never data). vl_progress_clear() erases a
 * drawn line ("\r\033[K") and must be called before the command prints any
 * other line on stdout or stderr; the next update draws it again.
 * vl_progress_end() erases it for good and must be called before p goes
 * out of scope (the last reporter started is remembered for
 * vl_progress_clear_active). A vl_progress_t lives on the stack of one
 * command and holds no resources.
 */
#ifndef VL_PROGRESS_H
#define VL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *label;       /* "verify": the line's first word(s) */
    bool on;                 /* stderr is a terminal */
    bool shown;              /* a line is on the screen now */
    char what[48];           /* the step under way ("log entries"), "" none */
    uint64_t t0;             /* the step's start (monotonic µs) */
    uint64_t done0;          /* its first done count */
    uint64_t drawn_at;       /* last draw (monotonic µs), 0 never */
    uint64_t done, total;    /* the last update */
} vl_progress_t;

/** @brief Start a reporter labelled `label` (borrowed: a string literal);
 *  it is on only when stderr is a terminal. */
void vl_progress_init(vl_progress_t *p, const char *label);

/** @brief done of total items of step `what` (copied, cut to 47 bytes). Draws when the step is new, at its last item (done == total) and
 *  otherwise at most every 100 ms. Cheap when not drawing (one clock read). */
void vl_progress_update(vl_progress_t *p, const char *what, uint64_t done, uint64_t total);

/** @brief vl_progress_update() as a vl_progress_fn (store/vl_store.h): ctx
 *  is the vl_progress_t. */
void vl_progress_cb(void *ctx, const char *what, uint64_t done, uint64_t total);

/** @brief Erase the line if one is drawn (before printing anything else). */
void vl_progress_clear(vl_progress_t *p);

/** @brief Erase the line and stop drawing. */
void vl_progress_end(vl_progress_t *p);

/** @brief Erase the line of the reporter started last and not yet ended, if
 *  any: the error and warning printers of vl_cli.c call it, so an error line
 *  never lands behind a progress line. */
void vl_progress_clear_active(void);

#endif
