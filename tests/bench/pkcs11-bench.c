/*
 * pkcs11-bench: the anchor of scripts/bench. Times OP-TEE's own PKCS#11
 * TA (Debian's optee-os-dev ships it) through libckteec, inside the same
 * QEMU guest as the mfs benchmark but in a boot of its own (fresh secure
 * storage: OP-TEE's REE FS directory file is shared by every TA).
 *
 * Operations, each `samples` times (median, min, max, count, in ms):
 * C_Login with the right PIN and with a wrong one (alternating with a right
 * one, which clears the failure count), C_SignInit + C_Sign (ECDSA P-256
 * over SHA-256, persistent token key), C_Login + C_FindObjects + C_SignInit
 * + C_Sign (the anchor of consent signing: a key handle does not survive a
 * logout) and C_GenerateKeyPair (P-256, token objects,
 * each destroyed again before the next).
 *
 * libckteec is opened at run time, so this builds from pkcs11.h alone.
 * Prints MFS-BENCH lines; exit status 1 on any failure.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11.h"
#include "timing.h"

static CK_FUNCTION_LIST_PTR f;

typedef CK_RV (*get_function_list)(CK_FUNCTION_LIST_PTR_PTR);


#define CHECK(call)                                                          \
	do {                                                                 \
		CK_RV rv_ = (call);                                          \
		if (rv_ != CKR_OK) {                                         \
			printf("MFS-BENCH pkcs11 failed: %s = 0x%lx\n",      \
			       #call, (unsigned long)rv_);                   \
			return 1;                                            \
		}                                                            \
	} while (0)

/* prime256v1 (1.2.840.10045.3.1.7), DER */
static CK_BYTE p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
			      0xce, 0x3d, 0x03, 0x01, 0x07 };

static CK_RV generate(CK_SESSION_HANDLE s, int n, CK_OBJECT_HANDLE *pub,
		      CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id[4] = { 'k', (CK_BYTE)(n >> 16), (CK_BYTE)(n >> 8), (CK_BYTE)n };
	CK_ATTRIBUTE pub_t[] = {
		{ CKA_EC_PARAMS, p256_oid, sizeof(p256_oid) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ATTRIBUTE priv_t[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, id, sizeof(id) },
	};
	return f->C_GenerateKeyPair(s, &mech, pub_t, 4, priv_t, 5, pub, priv);
}

/* The private key with CKA_ID `id` (handles of private objects do not
 * survive a logout). */
static CK_RV find_key(CK_SESSION_HANDLE s, int n, CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BYTE id[4] = { 'k', (CK_BYTE)(n >> 16), (CK_BYTE)(n >> 8), (CK_BYTE)n };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ULONG found = 0;
	CK_RV rv = f->C_FindObjectsInit(s, t, 2);

	if (rv != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, key, 1, &found);
	if (rv == CKR_OK && found != 1)
		rv = CKR_KEY_HANDLE_INVALID;
	f->C_FindObjectsFinal(s);
	return rv;
}

static CK_RV sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_BYTE msg[] = "benchmark payment record";
	CK_BYTE sig[128];
	CK_ULONG len = sizeof(sig);
	CK_RV rv = f->C_SignInit(s, &mech, key);

	if (rv != CKR_OK)
		return rv;
	return f->C_Sign(s, msg, sizeof(msg) - 1, sig, &len);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 25;
	CK_UTF8CHAR so[] = "87654321";
	CK_UTF8CHAR pin[] = "25802580";
	CK_UTF8CHAR bad[] = "00000000";
	CK_UTF8CHAR label[32];
	CK_SLOT_ID slots[8];
	CK_ULONG count = 8;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key, pub;
	get_function_list get;
	double *right, *wrong, *sig, *consent, *gen;
	void *lib;
	int i;

	if (n < 1 || n > 1000)
		n = 25;
	lib = dlopen("libckteec.so.0", RTLD_NOW);
	if (!lib) {
		printf("MFS-BENCH pkcs11 failed: %s\n", dlerror());
		return 1;
	}
	*(void **)&get = dlsym(lib, "C_GetFunctionList");
	if (!get) {
		printf("MFS-BENCH pkcs11 failed: no C_GetFunctionList\n");
		return 1;
	}
	right = calloc((size_t)n, sizeof(double));
	wrong = calloc((size_t)n, sizeof(double));
	sig = calloc((size_t)n, sizeof(double));
	consent = calloc((size_t)n, sizeof(double));
	gen = calloc((size_t)n, sizeof(double));
	if (!right || !wrong || !sig || !consent || !gen)
		return 1;

	CHECK(get(&f));
	CHECK(f->C_Initialize(NULL));
	CHECK(f->C_GetSlotList(CK_TRUE, slots, &count));
	if (count == 0) {
		printf("MFS-BENCH pkcs11 failed: no token\n");
		return 1;
	}
	memset(label, ' ', sizeof(label));
	memcpy(label, "mfs-bench", 9);
	CHECK(f->C_InitToken(slots[0], so, 8, label));
	CHECK(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION,
			       NULL, NULL, &s));
	CHECK(f->C_Login(s, CKU_SO, so, 8));
	CHECK(f->C_InitPIN(s, pin, 8));
	CHECK(f->C_Logout(s));

	for (i = 0; i < n; i++) {
		double t = now_ms();
		CK_RV rv = f->C_Login(s, CKU_USER, bad, 8);

		wrong[i] = now_ms() - t;
		if (rv != CKR_PIN_INCORRECT) {
			printf("MFS-BENCH pkcs11 failed: wrong PIN gave 0x%lx\n",
			       (unsigned long)rv);
			return 1;
		}
		t = now_ms();
		CHECK(f->C_Login(s, CKU_USER, pin, 8));
		right[i] = now_ms() - t;
		CHECK(f->C_Logout(s));
	}
	report("pkcs11", "login_right", right, n);
	report("pkcs11", "login_wrong", wrong, n);

	CHECK(f->C_Login(s, CKU_USER, pin, 8));
	/* The pkcs11 TA keeps its objects in TA memory: each pair but the
	 * last is destroyed again (untimed), so one key exists at a time. */
	for (i = 0; i < n; i++) {
		double t = now_ms();

		CHECK(generate(s, i, &pub, &key));
		gen[i] = now_ms() - t;
		if (i + 1 < n) {
			CHECK(f->C_DestroyObject(s, key));
			CHECK(f->C_DestroyObject(s, pub));
		}
	}
	report("pkcs11", "generate_p256", gen, n);
	for (i = 0; i < n; i++) {
		double t = now_ms();

		CHECK(sign(s, key));
		sig[i] = now_ms() - t;
	}
	report("pkcs11", "sign_init_sign", sig, n);
	CHECK(f->C_Logout(s));
	for (i = 0; i < n; i++) {
		double t = now_ms();

		CHECK(f->C_Login(s, CKU_USER, pin, 8));
		CHECK(find_key(s, n - 1, &key));
		CHECK(sign(s, key));
		consent[i] = now_ms() - t;
		CHECK(f->C_Logout(s));
	}
	report("pkcs11", "login_sign", consent, n);
	CHECK(f->C_CloseSession(s));
	CHECK(f->C_Finalize(NULL));
	printf("MFS-BENCH anchor=pkcs11 done\n");
	return 0;
}
