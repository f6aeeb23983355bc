/* SPDX-License-Identifier: MIT */
/*
 * verdict_table: the verdict as officers read it ("hedui verify FILE"
 * without --json): one item a line, Chinese and English labels, money in
 * yuan, codes with their Chinese names, ID numbers masked.
 */
#ifndef HEDUI_VERDICT_TABLE_H
#define HEDUI_VERDICT_TABLE_H

#include <stdio.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"

/* The line every printed verdict ends with (只核对、不认定). */
#define VERDICT_TABLE_NOTICE                                                                  \
	"本结果仅供审核参考，最终由工作人员认定 / This verdict supports, " \
	"and does not replace, an officer's decision."

/* HD_EINVAL when the response holds no verdict; HD_EIO on a write error. */
hd_err verdict_table_print(
    FILE *out, const Hedui__V1__VerifyHouseholdResponse *r);

#endif
