/* SPDX-License-Identifier: MIT */
#include "cli_json.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

json_t *cli_json_string(const char *s)
{
	if (s == NULL)
		s = "";
	if (!utf8_valid(s, strlen(s)))
		return json_string("(not valid UTF-8)");
	size_t len = strlen(s) + 1;
	char *clean = malloc(len);
	if (clean == NULL)
		return NULL;
	json_t *v = json_string(utf8_sanitize(s, clean, len, true));
	free(clean);
	return v;
}

void cli_json_set(bool *ok, json_t *obj, const char *key, json_t *v)
{
	/* jansson releases v when obj is not an object (NULL included). */
	if (obj == NULL || v == NULL || json_object_set_new(obj, key, v) != 0)
		*ok = false;
	if (obj == NULL)
		json_decref(v);
}

void cli_json_append(bool *ok, json_t *arr, json_t *v)
{
	if (arr == NULL || v == NULL || json_array_append_new(arr, v) != 0)
		*ok = false;
	if (arr == NULL)
		json_decref(v);
}
