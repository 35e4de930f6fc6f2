/* SPDX-License-Identifier: MIT */
/*
 * vl_change - change sets: proposals, log entries, rejections. An umbrella
 * over vl_proposal.h, vl_entry.h and vl_rejection.h for the code that uses
 * all three.
 */
#ifndef VL_CHANGE_H
#define VL_CHANGE_H

#include "vl_entry.h"
#include "vl_proposal.h"
#include "vl_rejection.h"

#endif
