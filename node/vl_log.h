/* SPDX-License-Identifier: MIT */
/*
 * vl_log - leveled log lines with timestamps, for the valise-node daemon.
 *
 * One line per event: "2025-01-31T12:00:00.123Z INFO  peer tcp://... ready".
 * The log is process-wide (the daemon is single-threaded): vl_log_open()
 * once, vl_log() anywhere, vl_log_close() at exit. Lines go to stderr or to
 * a file opened in append mode; vl_log_reopen() reopens the file (SIGHUP,
 * after log rotation).
 *
 * Never log secrets or raw peer bytes. Text that came from a peer (an
 * `error` message) goes through vl_log_clean() first.
 */
#ifndef VL_LOG_H
#define VL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_error.h"

typedef enum {
    VL_LOG_ERROR = 0,
    VL_LOG_WARN = 1,
    VL_LOG_INFO = 2,
    VL_LOG_DEBUG = 3,
} vl_log_level_t;

/** @brief Parse "error", "warn", "info", "debug". @return VL_OK or VL_EINVAL. */
int vl_log_level_parse(const char *s, vl_log_level_t *out);
const char *vl_log_level_name(vl_log_level_t level);

/** @brief Start logging at `level` to `path` (NULL or "-" or "stderr": stderr).
 *  @return VL_OK, VL_EIO (cannot open the file; logging stays on stderr). */
int vl_log_open(vl_log_level_t level, const char *path, char *err);
/** @brief Change the level (SIGHUP reload). */
void vl_log_set_level(vl_log_level_t level);
vl_log_level_t vl_log_get_level(void);
/** @brief Reopen the log file (a no-op on stderr). @return VL_OK, VL_EIO. */
int vl_log_reopen(char *err);
/** @brief Close the file; later lines go to stderr. */
void vl_log_close(void);

/** @brief True when lines go to stderr (no log file). */
bool vl_log_is_stderr(void);
/** @brief True when lines at `level` are written (skip costly formatting). */
bool vl_log_enabled(vl_log_level_t level);
/** @brief Write one line (a trailing newline is added). */
void vl_log(vl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vl_error(...) vl_log(VL_LOG_ERROR, __VA_ARGS__)
#define vl_warn(...)  vl_log(VL_LOG_WARN, __VA_ARGS__)
#define vl_info(...)  vl_log(VL_LOG_INFO, __VA_ARGS__)
#define vl_debug(...) vl_log(VL_LOG_DEBUG, __VA_ARGS__)

/** @brief Monotonic milliseconds (timers) and wall-clock unix seconds. */
uint64_t vl_clock_ms(void);
uint64_t vl_wall_s(void);

/** @brief Copy peer-supplied text into dst (n bytes, NUL-terminated),
 *  replacing every byte that is not printable ASCII by '?'. @return dst. */
char *vl_log_clean(char *dst, size_t n, const char *src);

#endif
