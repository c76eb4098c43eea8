/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "gs_reasons.h"

#define GS_REASON_NAME_(sym, name) [GS_R_##sym] = name,

static const char *const reason_names[GS_R_COUNT] = {
	GS_PARSE_REASONS(GS_REASON_NAME_)
	GS_DATAPLANE_REASONS(GS_REASON_NAME_)
};

const char *gs_reason_name(enum gs_reason r)
{
	if ((unsigned)r >= GS_R_COUNT)
		return "unknown";
	return reason_names[r];
}

enum gs_reason gs_reason_from_name(const char *name)
{
	for (unsigned r = 0; r < GS_R_COUNT; r++)
		if (strcmp(reason_names[r], name) == 0)
			return (enum gs_reason)r;
	return GS_R_COUNT;
}
