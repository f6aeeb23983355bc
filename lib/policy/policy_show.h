/* SPDX-License-Identifier: MIT */
/*
 * policy_show: the answer to hedui.v1.Policy/Show (proto/hedui/v1/
 * policy.proto) from a policy_book: every parameter in force for a region
 * on a date with the set it comes from, and every set of the entries the
 * region falls under. heduid answers with it (policy_service.c); the CLI
 * builds the same from a file with `hedui policy show --file`.
 */
#ifndef HEDUI_POLICY_SHOW_H
#define HEDUI_POLICY_SHOW_H

#include "hedui/v1/policy.pb-c.h"
#include "policy.h"

/* Owns the message and every buffer it points into. */
typedef struct policy_show policy_show;

/*
 * HD_EINVAL when region_code is not 6 digits or as_of not a date; HD_ENOMEM.
 */
hd_err policy_show_build(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_show **out);
const Hedui__V1__ShowPolicyResponse *policy_show_message(const policy_show *s);
void policy_show_free(policy_show *s);

#endif
