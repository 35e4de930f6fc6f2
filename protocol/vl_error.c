/* SPDX-License-Identifier: MIT */
/* vl_error - error texts and detail formatting. */
#include "vl_error.h"

#include <stdarg.h>
#include <stdio.h>

const char *
vl_strerror(int rc)
{
    switch (rc) {
    case VL_OK:         return "ok";
    case VL_EINVAL:     return "invalid argument";
    case VL_ENOMEM:     return "out of memory";
    case VL_EPROTO:     return "malformed or non-canonical data";
    case VL_EAUTH:      return "authentication failed";
    case VL_ESTORE:     return "store error";
    case VL_ELIMIT:     return "limit exceeded";
    case VL_EAGAIN:     return "try again";
    case VL_ENOTFOUND:  return "not found";
    case VL_EPERM:      return "not permitted";
    case VL_ESTALE:     return "needs rebase";
    case VL_EEXIST:     return "already exists";
    case VL_ECORRUPT:   return "store is corrupt";
    case VL_EIO:        return "I/O error";
    case VL_ESCHEMA:    return "schema violation";
    case VL_ECHAIN:     return "broken hash chain";
    case VL_ETHRESHOLD: return "approval threshold not met";
    case VL_ECRYPTO:    return "crypto error";
    case VL_EFORK:      return "log fork (equivocation)";
    default:            return "unknown error";
    }
}

int
vl_err(char *err, int rc, const char *fmt, ...)
{
    if (err && err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, VL_ERRMSG_MAX, fmt, ap);
        va_end(ap);
    }
    return rc;
}
