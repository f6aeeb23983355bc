/* SPDX-License-Identifier: MIT */
/*
 * Every test program is linked with this: cmocka writes "[ RUN ]" lines to
 * stdout, and when tests/run-tests.sh must kill a hung program, a fully
 * buffered stdout would take the name of the test that hung with it.
 */
#include <stdio.h>

__attribute__((constructor)) static void tline_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}
