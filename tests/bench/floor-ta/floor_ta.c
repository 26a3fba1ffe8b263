/*
 * The platform floor of scripts/bench: what OP-TEE itself costs for the
 * operations the mfs TA is made of, with the mfs TA's parameter shape
 * (value output, memref input, memref output). Commands:
 *   0 empty invoke;
 *   1 append 24 bytes to object "floor" (one TEE_WriteObjectData at the end);
 *   2 create "floor" (24 bytes, overwriting);
 *   3 read "floor" whole;
 *   4 create objects "fill-0" … until the TA owns memref-input[0] objects
 *     (so the other commands run at the mfs TA's object count).
 */
#include <string.h>
#include <tee_internal_api.h>

static const char floor_id[] = "floor";

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[4],
				    void **session)
{
	(void)types;
	(void)params;
	(void)session;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *session)
{
	(void)session;
}

static TEE_Result create(const char *id, uint32_t len)
{
	static const uint8_t data[24];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Result r = TEE_CreatePersistentObject(
		TEE_STORAGE_PRIVATE, id, len,
		TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE |
			TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_OVERWRITE,
		TEE_HANDLE_NULL, data, sizeof(data), &o);

	if (r == TEE_SUCCESS)
		TEE_CloseObject(o);
	return r;
}

static TEE_Result append(void)
{
	static const uint8_t data[24];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Result r = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, floor_id,
						sizeof(floor_id) - 1,
						TEE_DATA_FLAG_ACCESS_WRITE, &o);

	if (r != TEE_SUCCESS)
		return r;
	r = TEE_SeekObjectData(o, 0, TEE_DATA_SEEK_END);
	if (r == TEE_SUCCESS)
		r = TEE_WriteObjectData(o, data, sizeof(data));
	TEE_CloseObject(o);
	return r;
}

static TEE_Result read_floor(void)
{
	static uint8_t buf[8192];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	uint32_t n = 0;
	TEE_Result r = TEE_OpenPersistentObject(
		TEE_STORAGE_PRIVATE, floor_id, sizeof(floor_id) - 1,
		TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &o);

	if (r != TEE_SUCCESS)
		return r;
	r = TEE_ReadObjectData(o, buf, sizeof(buf), &n);
	TEE_CloseObject(o);
	return r;
}

static TEE_Result fill(uint32_t want)
{
	char id[16];
	uint32_t i;
	TEE_Result r;

	/* "floor" is one of the objects */
	for (i = 0; i + 1 < want && i < 100; i++) {
		id[0] = 'f';
		id[1] = 'i';
		id[2] = 'l';
		id[3] = 'l';
		id[4] = '-';
		id[5] = (char)('0' + i / 10);
		id[6] = (char)('0' + i % 10);
		r = create(id, 7);
		if (r != TEE_SUCCESS)
			return r;
	}
	return TEE_SUCCESS;
}

TEE_Result TA_InvokeCommandEntryPoint(void *session, uint32_t cmd,
				      uint32_t types, TEE_Param params[4])
{
	uint32_t want = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
					TEE_PARAM_TYPE_MEMREF_INPUT,
					TEE_PARAM_TYPE_MEMREF_OUTPUT,
					TEE_PARAM_TYPE_NONE);

	(void)session;
	if (types != want)
		return TEE_ERROR_BAD_PARAMETERS;
	params[0].value.a = 0;
	params[0].value.b = 0;
	switch (cmd) {
	case 0:
		return TEE_SUCCESS;
	case 1:
		return append();
	case 2:
		return create(floor_id, sizeof(floor_id) - 1);
	case 3:
		return read_floor();
	case 4:
		if (params[1].memref.size < 1)
			return TEE_ERROR_BAD_PARAMETERS;
		return fill(((uint8_t *)params[1].memref.buffer)[0]);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
