/* SPDX-License-Identifier: MIT */
#include "idnum.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const int idnum_weights[17] = {
    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char idnum_check_map[11] = "10X98765432";

char idnum_check_char(const char *first17)
{
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (first17[i] - '0') * idnum_weights[i];
	return idnum_check_map[sum % 11];
}

static bool idnum_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool idnum_date_valid(idnum_date d)
{
	int y = d / 10000, m = (d / 100) % 100, day = d % 100;
	static const int mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1800 || y > 9999 || m < 1 || m > 12 || day < 1)
		return false;
	int max = mdays[m - 1] + (m == 2 && idnum_is_leap(y) ? 1 : 0);
	return day <= max;
}

bool idnum_date_parse(const char *t, idnum_date *out)
{
	if (t == NULL || strlen(t) != 10 || t[4] != '-' || t[7] != '-')
		return false;
	int v = 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (t[i] < '0' || t[i] > '9')
			return false;
		v = v * 10 + (t[i] - '0');
	}
	if (!idnum_date_valid(v))
		return false;
	*out = v;
	return true;
}

idnum_date idnum_date_today(void)
{
	time_t now = time(NULL) + 8 * 3600;
	struct tm tm;
	gmtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	       tm.tm_mday;
}

idnum_date idnum_birth_date(const char *id)
{
	int v = 0;
	for (int i = 6; i < 14; i++)
		v = v * 10 + (id[i] - '0');
	return v;
}

int idnum_age(const char *id, idnum_date as_of)
{
	idnum_date b = idnum_birth_date(id);
	int age = as_of / 10000 - b / 10000;
	if (as_of % 10000 < b % 10000)
		age--;
	return age;
}

idnum_defect idnum_check(const char *text, idnum_date as_of, char *out)
{
	if (text == NULL || text[0] == '\0')
		return IDNUM_EMPTY;
	size_t n = strlen(text);
	bool all_digits = true;
	for (size_t i = 0; i < n; i++)
		all_digits = all_digits && text[i] >= '0' && text[i] <= '9';
	if (n == 15 && all_digits)
		return IDNUM_LEGACY_15;
	if (n != IDNUM_LEN)
		return IDNUM_BAD_LENGTH;
	for (int i = 0; i < 17; i++)
		if (text[i] < '0' || text[i] > '9')
			return IDNUM_BAD_CHAR;
	char c = text[17];
	if (c == 'x')
		c = 'X';
	if (!((c >= '0' && c <= '9') || c == 'X'))
		return IDNUM_BAD_CHAR;
	idnum_date b = idnum_birth_date(text);
	if (!idnum_date_valid(b))
		return IDNUM_BAD_DATE;
	if (as_of != 0 && b > as_of)
		return IDNUM_FUTURE_DATE;
	if (idnum_check_char(text) != c)
		return IDNUM_BAD_CHECK;
	if (out != NULL) {
		memcpy(out, text, 17);
		out[17] = c;
		out[18] = '\0';
	}
	return IDNUM_OK;
}

const char *idnum_defect_str(idnum_defect d)
{
	switch (d) {
	case IDNUM_OK:
		return "valid";
	case IDNUM_EMPTY:
		return "is empty";
	case IDNUM_LEGACY_15:
		return "is a legacy 15-digit number; give the 18-digit form";
	case IDNUM_BAD_LENGTH:
		return "must be 18 characters";
	case IDNUM_BAD_CHAR:
		return "must be 17 ASCII digits followed by a digit or X";
	case IDNUM_BAD_DATE:
		return "has a birth date that is not a calendar date";
	case IDNUM_FUTURE_DATE:
		return "has a birth date after the assessment date";
	case IDNUM_BAD_CHECK:
		return "has a wrong check character (GB 11643-1999)";
	}
	return "is invalid";
}

void idnum_mask(const char *id, char *out)
{
	size_t n = id != NULL ? strlen(id) : 0;
	memset(out, '*', IDNUM_MASKED_LEN);
	out[IDNUM_MASKED_LEN] = '\0';
	if (n != IDNUM_LEN)
		return;
	memcpy(out, id, 6);
	memcpy(out + 14, id + 14, 4);
}
