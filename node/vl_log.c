/* SPDX-License-Identifier: MIT */
/*
 * vl_log - leveled, timestamped log lines (see vl_log.h).
 *
 * Each line is formatted into one buffer and written with one fputs + fflush
 * so that lines from the daemon never interleave with partial lines, and a
 * test harness tailing the file sees whole lines.
 */
#include "vl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

/* Process-wide state (the daemon has one thread). */
static vl_log_level_t s_level = VL_LOG_INFO; /* lines above this are skipped */
static FILE *s_file = NULL;                  /* NULL: stderr */
static char *s_path = NULL;                  /* the file's path, for reopen */

static const char *const s_names[] = { "error", "warn", "info", "debug" };
static const char *const s_tags[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };

int
vl_log_level_parse(const char *s, vl_log_level_t *out)
{
    for (int i = 0; i <= VL_LOG_DEBUG; i++)
        if (s && strcmp(s, s_names[i]) == 0) {
            *out = (vl_log_level_t)i;
            return VL_OK;
        }
    return VL_EINVAL;
}

const char *
vl_log_level_name(vl_log_level_t level)
{
    return level >= VL_LOG_ERROR && level <= VL_LOG_DEBUG ? s_names[level] : "?";
}

static bool
s_is_stderr(const char *path)
{
    return !path || !*path || strcmp(path, "-") == 0 || strcmp(path, "stderr") == 0;
}

int
vl_log_open(vl_log_level_t level, const char *path, char *err)
{
    vl_log_close();
    s_level = level;
    if (s_is_stderr(path))
        return VL_OK;
    s_path = strdup(path);
    if (!s_path)
        return vl_err(err, VL_ENOMEM, "out of memory");
    return vl_log_reopen(err);
}

int
vl_log_reopen(char *err)
{
    if (!s_path)
        return VL_OK;
    FILE *f = fopen(s_path, "ae");
    if (!f)
        return vl_err(err, VL_EIO, "cannot open log file %s: %s", s_path, strerror(errno));
    if (s_file)
        fclose(s_file);
    s_file = f;
    return VL_OK;
}

void
vl_log_close(void)
{
    if (s_file)
        fclose(s_file);
    s_file = NULL;
    free(s_path);
    s_path = NULL;
}

void
vl_log_set_level(vl_log_level_t level)
{
    s_level = level;
}

vl_log_level_t
vl_log_get_level(void)
{
    return s_level;
}

bool
vl_log_is_stderr(void)
{
    return s_file == NULL;
}

bool
vl_log_enabled(vl_log_level_t level)
{
    return level <= s_level;
}

void
vl_log(vl_log_level_t level, const char *fmt, ...)
{
    if (level > s_level || level < VL_LOG_ERROR)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s ", ts.tv_nsec / 1000000L,
                          s_tags[level]);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    n += (size_t)k < sizeof line - n - 1 ? (size_t)k : sizeof line - n - 2;
    line[n++] = '\n';
    line[n] = '\0';
    FILE *f = s_file ? s_file : stderr;
    fputs(line, f);
    fflush(f);
}

char *
vl_log_clean(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    if (n == 0)
        return dst;
    for (; src && src[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[i] = '\0';
    return dst;
}

uint64_t
vl_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
vl_wall_s(void)
{
    return (uint64_t)time(NULL);
}
