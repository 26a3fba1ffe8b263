/*
 * Timing helpers shared by the benchmark's C anchors: a monotonic clock in
 * milliseconds and the MFS-BENCH line (median, min, max, count).
 */
#ifndef MFS_BENCH_TIMING_H
#define MFS_BENCH_TIMING_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static inline int by_value(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts `v` and prints `MFS-BENCH anchor=<anchor> op=<op> median min max n`. */
static inline void report(const char *anchor, const char *op, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	printf("MFS-BENCH anchor=%s op=%s %.2f %.2f %.2f %d\n", anchor, op,
	       v[n / 2], v[0], v[n - 1], n);
}

#endif
