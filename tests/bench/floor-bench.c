/*
 * floor-bench: the platform floor of scripts/bench. Times the minimal C TA
 * of tests/bench/floor-ta (built with OP-TEE's TA dev kit) through
 * libteec, with the mfs TA's parameter shape: an empty invoke, then at
 * the object count given (the mfs TA's: 6) one append of 24 bytes, one
 * create (overwrite) and one read. Prints MFS-BENCH lines (median, min,
 * max, count, ms); exit status 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tee_client_api.h>

#include "timing.h"

static const TEEC_UUID floor_uuid = {
	0x5f3c0a1e, 0x8d2b, 0x4c7a,
	{ 0x9e, 0x61, 0x0b, 0x7d, 0x4a, 0x2c, 0x9f, 0x10 }
};


static TEEC_Result call(TEEC_Session *s, uint32_t cmd, uint8_t arg)
{
	TEEC_Operation op;
	uint8_t in[64] = { arg };
	uint8_t out[64];
	uint32_t origin = 0;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_INPUT,
					 TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE);
	op.params[1].tmpref.buffer = in;
	op.params[1].tmpref.size = sizeof(in);
	op.params[2].tmpref.buffer = out;
	op.params[2].tmpref.size = sizeof(out);
	return TEEC_InvokeCommand(s, cmd, &op, &origin);
}

static int timed(TEEC_Session *s, const char *name, uint32_t cmd, int n)
{
	double *v = calloc((size_t)n, sizeof(double));
	int i;

	if (!v)
		return 1;
	for (i = 0; i < n; i++) {
		double t = now_ms();
		TEEC_Result r = call(s, cmd, 0);

		v[i] = now_ms() - t;
		if (r != TEEC_SUCCESS) {
			printf("MFS-BENCH floor failed: %s = 0x%x\n", name, r);
			free(v);
			return 1;
		}
	}
	report("floor", name, v, n);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 25;
	int objects = argc > 2 ? atoi(argv[2]) : 6;
	TEEC_Context ctx;
	TEEC_Session s;
	uint32_t origin = 0;
	TEEC_Result r;

	if (n < 1 || n > 1000)
		n = 25;
	if (objects < 1 || objects > 100)
		objects = 6;
	r = TEEC_InitializeContext(NULL, &ctx);
	if (r == TEEC_SUCCESS)
		r = TEEC_OpenSession(&ctx, &s, &floor_uuid, TEEC_LOGIN_PUBLIC,
				     NULL, NULL, &origin);
	if (r != TEEC_SUCCESS) {
		printf("MFS-BENCH floor failed: open 0x%x\n", r);
		return 1;
	}
	if (timed(&s, "invoke_empty", 0, n))
		return 1;
	r = call(&s, 2, 0);
	if (r == TEEC_SUCCESS)
		r = call(&s, 4, (uint8_t)objects);
	if (r != TEEC_SUCCESS) {
		printf("MFS-BENCH floor failed: setup 0x%x\n", r);
		return 1;
	}
	printf("MFS-BENCH anchor=floor objects=%d\n", objects);
	if (timed(&s, "append_24", 1, n) || timed(&s, "create_24", 2, n) ||
	    timed(&s, "read", 3, n))
		return 1;
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	printf("MFS-BENCH anchor=floor done\n");
	return 0;
}
