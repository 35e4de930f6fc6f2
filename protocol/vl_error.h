/* SPDX-License-Identifier: MIT */
/*
 * vl_error - the one error space of valise.
 *
 * Every function that can fail returns an int: VL_OK (0) on success or a
 * negative VL_E* code. Errors from libc, LMDB, libsodium and libzmq are
 * translated at the boundary and never leak into this space. When a caller
 * needs to know *which* field or key was wrong, functions take an optional
 * `char *err` buffer of VL_ERRMSG_MAX bytes (may be NULL) and write one
 * human-readable line there. Messages never contain secrets or raw bytes.
 */
#ifndef VL_ERROR_H
#define VL_ERROR_H

#include <stddef.h>

enum {
    VL_OK        = 0,   /**< success */
    VL_EINVAL    = -1,  /**< bad argument or user input */
    VL_ENOMEM    = -2,  /**< out of memory */
    VL_EPROTO    = -3,  /**< malformed, truncated or non-canonical bytes */
    VL_EAUTH     = -4,  /**< signature, MAC or passphrase check failed */
    VL_ESTORE    = -5,  /**< LMDB failure */
    VL_ELIMIT    = -6,  /**< a limit of vl_limits.h was exceeded */
    VL_EAGAIN    = -7,  /**< try again later */
    VL_ENOTFOUND = -8,  /**< no such record, proposal, key or file */
    VL_EPERM     = -9,  /**< not allowed: wrong role, State or unknown key */
    VL_ESTALE    = -10, /**< base revision is not current: needs rebase */
    VL_EEXIST    = -11, /**< already there: duplicate approval, settled proposal */
    VL_ECORRUPT  = -12, /**< the store contradicts its own log */
    VL_EIO       = -13, /**< file or terminal I/O failed */
    VL_ESCHEMA   = -14, /**< a record does not match its kind's schema */
    VL_ECHAIN    = -15, /**< broken hash chain or sequence */
    VL_ETHRESHOLD = -16, /**< fewer valid approver signatures than the threshold */
    VL_ECRYPTO   = -17, /**< libsodium failed to initialise or a key was invalid */
    VL_EFORK     = -18, /**< two valid log entries at one seq: the log stops at the fork (docs/trust.md §5) */
};

/** Length of the optional error-detail buffers taken by many functions. */
#define VL_ERRMSG_MAX 256

/** @brief Static text for an error code (never NULL). */
const char *vl_strerror(int rc);

/** @brief Write a formatted detail line into err (VL_ERRMSG_MAX bytes) if err
 *  is not NULL and holds no message yet; returns rc unchanged, so that
 *  `return vl_err(err, VL_EPROTO, "field %s", f);` reads naturally. */
int vl_err(char *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
