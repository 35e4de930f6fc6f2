/* SPDX-License-Identifier: MIT */
/*
 * vl_msg_int - what the decoder (vl_msg.c) and the encoders
 * (vl_msg_encode.c) of the sync messages share. Not part of the protocol API.
 */
#ifndef VL_MSG_INT_H
#define VL_MSG_INT_H

/* Smallest and largest VL_E* code an `error` may carry; anything else is
 * not one of ours. */
#define VL_MSG_CODE_MIN (-1000)
#define VL_MSG_CODE_MAX 0

#endif
