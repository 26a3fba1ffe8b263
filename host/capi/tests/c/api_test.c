/*
 * Native tests of the C API (mfs.h) against the TA's real logic in
 * process (libmfs built with feature `in-process`: mfs_test_device).
 * Run under valgrind by scripts/test-capi: every good call and every
 * error path, no leak, no invalid access.
 *
 *   api_test ISSUER_KEY.pem
 *
 * The issuer's unblock signature is made with OpenSSL, as an issuer's
 * server would (low-S normalised: the TA accepts only low-S).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mfs.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

/* The call returned `want`, and err agrees. */
#define RC(call, want)                                                        \
    do {                                                                      \
        mfs_rc rc_ = (call);                                                  \
        CHECK(rc_ == (want) && err.rc == rc_, "got %d (%s), want %d", rc_,    \
              err.message, (int)(want));                                      \
    } while (0)

#define OK(call) RC(call, MFS_OK)

/* Refused by the TA with `status`. */
#define STATUS(call, status)                                                   \
    do {                                                                       \
        mfs_rc rc_ = (call);                                                   \
        CHECK(rc_ == MFS_ERR_STATUS && err.ta_status == (status),              \
              "got rc %d status %u (%s), want status %u", rc_, err.ta_status,  \
              err.message, (unsigned)(status));                                \
    } while (0)

static mfs_error err;

static EVP_PKEY *issuer;

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* A PIN in a fresh writable buffer (the library wipes it). */
static uint8_t pinbuf[32];
static uint8_t *pin(const char *digits) {
    memset(pinbuf, 0, sizeof pinbuf);
    memcpy(pinbuf, digits, strlen(digits));
    return pinbuf;
}

/* The issuer's signing callback: ECDSA P-256 / SHA-256, DER, low S. */
static int issuer_sign(void *ctx, const uint8_t *msg, size_t msg_len, uint8_t *sig,
                       size_t sig_cap, size_t *sig_len) {
    int *calls = ctx;
    (*calls)++;
    int ok = 0;
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *s = NULL;
    BIGNUM *order = NULL, *half = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, issuer) != 1 ||
        EVP_DigestSign(md, der, &der_len, msg, msg_len) != 1)
        goto out;
    const unsigned char *p = der;
    s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    order = BN_new();
    half = BN_new();
    if (!s || !order || !half ||
        !BN_hex2bn(&order, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") ||
        !BN_rshift1(half, order))
        goto out;
    const BIGNUM *r0, *s0;
    ECDSA_SIG_get0(s, &r0, &s0);
    if (BN_cmp(s0, half) > 0) {
        BIGNUM *r1 = BN_dup(r0), *s1 = BN_new();
        if (!r1 || !s1 || !BN_sub(s1, order, s0) || !ECDSA_SIG_set0(s, r1, s1)) {
            BN_free(r1);
            BN_free(s1);
            goto out;
        }
    }
    int n = i2d_ECDSA_SIG(s, NULL);
    if (n <= 0 || (size_t)n > sig_cap)
        goto out;
    unsigned char *q = sig;
    *sig_len = (size_t)i2d_ECDSA_SIG(s, &q);
    ok = 1;
out:
    ECDSA_SIG_free(s);
    BN_free(order);
    BN_free(half);
    EVP_MD_CTX_free(md);
    return ok ? 0 : 1;
}

static int failing_sign(void *ctx, const uint8_t *msg, size_t msg_len, uint8_t *sig,
                        size_t sig_cap, size_t *sig_len) {
    (void)ctx, (void)msg, (void)msg_len, (void)sig, (void)sig_cap, (void)sig_len;
    return -1;
}

/* OpenSSL checks a DER signature over msg under a SPKI DER public key. */
static int openssl_verifies(const uint8_t *spki, size_t spki_len, const uint8_t *msg,
                            size_t msg_len, const uint8_t *sig, size_t sig_len) {
    const unsigned char *p = spki;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)spki_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = k && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok;
}

static void test_library(void) {
    CHECK(strlen(mfs_version()) >= 5, "version %s", mfs_version());
    CHECK(strcmp(mfs_strerror(NULL), "") != 0, "NULL error has a text");
    /* Without libteec (this build) nothing opens, but arguments are
     * checked first. */
    mfs_client *c = (mfs_client *)1;
    RC(mfs_open("not-a-uuid", MFS_LOGIN_USER, 0, &c, &err), MFS_ERR_ARGUMENT);
    CHECK(c == NULL, "out reset on failure");
    CHECK(strstr(err.message, "uuid") != NULL, "%s", err.message);
    RC(mfs_open(NULL, 7, 0, &c, &err), MFS_ERR_ARGUMENT);
    RC(mfs_open(NULL, MFS_LOGIN_USER, 0, NULL, &err), MFS_ERR_ARGUMENT);
    RC(mfs_open(NULL, MFS_LOGIN_USER, 0, &c, &err), MFS_ERR_UNSUPPORTED);
    /* err may be NULL */
    CHECK(mfs_open("x", MFS_LOGIN_USER, 0, &c, NULL) == MFS_ERR_ARGUMENT, "NULL err");
    mfs_close(NULL);
}

static void test_session(mfs_test_device *dev) {
    mfs_client *root = NULL, *app = NULL, *other = NULL, *pub = NULL, *grp = NULL;
    OK(mfs_test_open(dev, MFS_LOGIN_USER, 0, &root, &err));
    OK(mfs_test_open(dev, MFS_LOGIN_USER, 1000, &app, &err));
    OK(mfs_test_open(dev, MFS_LOGIN_USER, 1001, &other, &err));
    OK(mfs_test_open(dev, MFS_LOGIN_PUBLIC, 0, &pub, &err));
    OK(mfs_test_open(dev, MFS_LOGIN_GROUP, 3000, &grp, &err));
    mfs_client *none = (mfs_client *)1;
    RC(mfs_test_open(dev, 9, 0, &none, &err), MFS_ERR_ARGUMENT);
    CHECK(none == NULL, "out reset on failure");

    /* ping / info */
    uint32_t echo = 0;
    OK(mfs_ping(pub, 0xfeed, &echo, &err));
    CHECK(echo == 0xfeed, "echo %x", echo);
    RC(mfs_ping(NULL, 1, &echo, &err), MFS_ERR_ARGUMENT);
    RC(mfs_ping(pub, 1, NULL, &err), MFS_ERR_ARGUMENT);
    mfs_ta_info info;
    OK(mfs_info(root, &info, &err));
    CHECK(info.admin && !info.provisioned && info.pin_max_tries == 0, "root info");
    CHECK(info.storage == MFS_STORAGE_REE_FS && !info.rollback_protected, "storage");
    OK(mfs_info(grp, &info, &err));
    CHECK(!info.admin && info.client_login == MFS_LOGIN_GROUP, "group login %u",
          info.client_login);

    /* provisioning: admin only, issuer key as SEC1 bytes */
    unsigned char *sec1 = NULL;
    size_t sec1_len = EVP_PKEY_get1_encoded_public_key(issuer, &sec1);
    CHECK(sec1_len == 65, "issuer key %zu", sec1_len);
    STATUS(mfs_provision(app, 5, 0, sec1, sec1_len, false, &err), MFS_STATUS_ACCESS_DENIED);
    RC(mfs_provision(root, 5, 0, sec1, 3, false, &err), MFS_ERR_KEY);
    RC(mfs_provision(root, 5, 0, NULL, 65, false, &err), MFS_ERR_ARGUMENT);
    STATUS(mfs_provision(root, 99, 0, sec1, sec1_len, false, &err),
           MFS_STATUS_INVALID_ARGUMENT);
    OK(mfs_provision(root, 5, 0, sec1, sec1_len, false, &err));
    STATUS(mfs_provision(root, 5, 0, sec1, sec1_len, false, &err),
           MFS_STATUS_ALREADY_PROVISIONED);
    OPENSSL_free(sec1);
    OK(mfs_info(app, &info, &err));
    CHECK(info.provisioned && info.pin_max_tries == 5, "provisioned");

    /* PIN: buffers wiped on every path */
    mfs_pin_state st;
    OK(mfs_pin_status(app, &st, &err));
    CHECK(!st.set, "no PIN yet");
    uint8_t *p = pin("12a4");
    RC(mfs_pin_set(app, p, 4, NULL, &st, &err), MFS_ERR_BAD_PIN);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "bad PIN wiped");
    p = pin("1234");
    RC(mfs_pin_set(NULL, p, 4, NULL, &st, &err), MFS_ERR_ARGUMENT);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped when the handle is NULL");
    RC(mfs_pin_set(app, NULL, 4, NULL, &st, &err), MFS_ERR_ARGUMENT);
    p = pin("1234");
    RC(mfs_pin_set(app, p, 4, "12x", &st, &err), MFS_ERR_BAD_PAN);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped on a bad PAN");
    STATUS(mfs_pin_set(pub, pin("1234"), 4, NULL, NULL, &err), MFS_STATUS_ACCESS_DENIED);
    OK(mfs_pin_set(app, pin("1234"), 4, NULL, &st, &err));
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped on success");
    CHECK(st.set && st.tries_left == 5, "set");
    STATUS(mfs_pin_set(app, pin("1234"), 4, NULL, &st, &err), MFS_STATUS_PIN_ALREADY_SET);
    STATUS(mfs_pin_verify(app, pin("9999"), 4, NULL, NULL, &st, &err),
           MFS_STATUS_PIN_INCORRECT);
    CHECK(err.detail == 4, "tries left in detail: %u", err.detail);
    CHECK(strstr(err.message, "pin-incorrect") != NULL, "%s", err.message);
    OK(mfs_pin_verify(app, pin("1234"), 4, NULL, NULL, &st, &err));
    CHECK(st.tries_left == 5, "reset");
    /* another client has its own PIN */
    STATUS(mfs_pin_verify(other, pin("1234"), 4, NULL, NULL, &st, &err),
           MFS_STATUS_PIN_NOT_SET);
    OK(mfs_pin_change(app, pin("1234"), 4, (uint8_t[]){'5', '6', '7', '8', '9'}, 5, NULL,
                      &st, &err));
    /* the same buffer as old and new PIN: taken once, wiped, never aliased */
    uint8_t same[4] = {'5', '6', '7', '8'};
    RC(mfs_pin_change(app, same, 4, same, 4, NULL, &st, &err), MFS_ERR_BAD_PIN);
    CHECK(all_zero(same, 4), "wiped");
    uint8_t old_pin[4] = {'1', '2', '3', '4'}, new_pin[6] = {'1', '1', '1', '1', '1', '1'};
    STATUS(mfs_pin_change(app, old_pin, 4, new_pin, 6, NULL, &st, &err),
           MFS_STATUS_PIN_INCORRECT);
    CHECK(all_zero(old_pin, 4) && all_zero(new_pin, 6), "both PINs wiped");

    /* block the PIN, then unblock with the issuer's signature */
    for (int i = 0; i < 5; i++)
        mfs_pin_verify(app, pin("0000"), 4, NULL, NULL, &st, &err);
    OK(mfs_pin_status(app, &st, &err));
    CHECK(st.blocked, "blocked");
    int calls = 0;
    RC(mfs_pin_unblock(app, pin("2468"), 4, NULL, failing_sign, &calls, &st, &err),
       MFS_ERR_CALLBACK);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped when the callback fails");
    RC(mfs_pin_unblock(app, pin("2468"), 4, NULL, NULL, &calls, &st, &err),
       MFS_ERR_ARGUMENT);
    OK(mfs_pin_unblock(app, pin("2468"), 4, NULL, issuer_sign, &calls, &st, &err));
    CHECK(calls == 1 && !st.blocked && st.tries_left == 5, "unblocked");
    OK(mfs_pin_verify(app, pin("2468"), 4, NULL, NULL, NULL, &err));

    /* keys */
    mfs_key_policy sign = {MFS_PURPOSE_SIGN, MFS_PIN_NONE, 0, 0, 0, 1};
    mfs_key k;
    OK(mfs_key_generate(app, "wallet", &sign, &k, &err));
    CHECK(strlen(k.id) == 16 && strcmp(k.label, "wallet") == 0 && k.public_key[0] == 4,
          "key %s", k.id);
    CHECK(k.policy.exportable == 1 && k.policy.purpose == MFS_PURPOSE_SIGN, "policy");
    mfs_key_policy any_byte = sign;
    any_byte.exportable = 2; /* any non-zero byte is "yes" */
    OK(mfs_key_generate(app, "byte", &any_byte, &k, &err));
    CHECK(k.policy.exportable == 1, "exportable read as a byte");
    OK(mfs_key_delete(app, k.id, &err));
    mfs_key_policy bad = sign;
    bad.pin = 9;
    RC(mfs_key_generate(app, "x", &bad, &k, &err), MFS_ERR_ARGUMENT);
    CHECK(strstr(err.message, "policy.pin") != NULL, "%s", err.message);
    RC(mfs_key_generate(app, "\xff", &sign, &k, &err), MFS_ERR_ARGUMENT);
    RC(mfs_key_generate(app, NULL, &sign, &k, &err), MFS_ERR_ARGUMENT);
    RC(mfs_key_generate(app, "a label that is longer than thirty-two bytes", &sign, &k, &err),
       MFS_ERR_INPUT);
    STATUS(mfs_key_generate(pub, "x", &sign, &k, &err), MFS_STATUS_ACCESS_DENIED);
    mfs_key wallet;
    OK(mfs_key_generate(app, "wallet", &sign, &wallet, &err));
    mfs_key_policy attest = {MFS_PURPOSE_ATTEST, MFS_PIN_NONE, 0, 0, 0, 0};
    mfs_key att;
    OK(mfs_key_generate(app, "attest", &attest, &att, &err));

    mfs_key_summary list[8];
    size_t count = 0;
    RC(mfs_key_list(app, list, 1, &count, &err), MFS_ERR_BUFFER_TOO_SMALL);
    CHECK(count == 3 && err.needed == 3, "count %zu needed %zu", count, err.needed);
    OK(mfs_key_list(app, list, 8, &count, &err));
    CHECK(count == 3, "three keys");
    OK(mfs_key_list(other, list, 8, &count, &err));
    CHECK(count == 0, "another client sees none of them");
    OK(mfs_key_list(other, NULL, 0, &count, &err));
    CHECK(count == 0, "empty list, no buffer");
    mfs_key again;
    OK(mfs_key_info(app, wallet.id, &again, &err));
    CHECK(memcmp(again.public_key, wallet.public_key, 65) == 0, "same key");
    STATUS(mfs_key_info(other, wallet.id, &again, &err), MFS_STATUS_KEY_NOT_FOUND);
    RC(mfs_key_info(app, "zz", &again, &err), MFS_ERR_INPUT);

    uint8_t buf[4096];
    size_t len = 0;
    OK(mfs_key_public(app, wallet.id, MFS_KEY_FORMAT_SEC1, buf, sizeof buf, &len, &err));
    CHECK(len == 65 && memcmp(buf, wallet.public_key, 65) == 0, "SEC1");
    RC(mfs_key_public(app, wallet.id, MFS_KEY_FORMAT_PEM, buf, 10, &len, &err),
       MFS_ERR_BUFFER_TOO_SMALL);
    CHECK(err.needed == len && len > 26, "PEM needs its NUL: %zu %zu", err.needed, len);
    OK(mfs_key_public(app, wallet.id, MFS_KEY_FORMAT_PEM, buf, sizeof buf, &len, &err));
    CHECK(strncmp((char *)buf, "-----BEGIN PUBLIC KEY-----", 26) == 0 && buf[len] == 0,
          "PEM");
    RC(mfs_key_public(app, wallet.id, 7, buf, sizeof buf, &len, &err), MFS_ERR_ARGUMENT);
    uint8_t spki[128];
    size_t spki_len = 0;
    OK(mfs_key_public(app, wallet.id, MFS_KEY_FORMAT_DER, spki, sizeof spki, &spki_len,
                      &err));

    const uint8_t msg[] = "pay 10 EUR to ACME";
    uint8_t sig[MFS_SIGNATURE_MAX];
    size_t sig_len = 0;
    uint32_t uses = 0;
    /* a usage-limited key: a refused buffer costs no use */
    mfs_key_policy limited = {MFS_PURPOSE_SIGN, MFS_PIN_NONE, 0, 3, 0, 0};
    mfs_key lim;
    OK(mfs_key_generate(app, "limited", &limited, &lim, &err));
    RC(mfs_key_sign(app, lim.id, msg, sizeof msg, sig, 8, &sig_len, &uses, &err),
       MFS_ERR_BUFFER_TOO_SMALL);
    CHECK(err.needed == MFS_SIGNATURE_MAX && sig_len == MFS_SIGNATURE_MAX, "needed %zu, len %zu",
          err.needed, sig_len);
    /* nor does a missing length (the signature could not be returned) */
    uses = 77;
    RC(mfs_key_sign(app, lim.id, msg, sizeof msg, sig, sizeof sig, NULL, &uses, &err),
       MFS_ERR_ARGUMENT);
    CHECK(uses == 77, "uses untouched on failure");
    /* nor an impossible length */
    RC(mfs_key_sign(app, lim.id, msg, sizeof msg, sig, SIZE_MAX, &sig_len, NULL, &err),
       MFS_ERR_ARGUMENT);
    OK(mfs_key_info(app, lim.id, &again, &err));
    CHECK(again.uses == 0, "refused buffers used nothing: %u", again.uses);
    OK(mfs_key_sign(app, lim.id, msg, sizeof msg, sig, sizeof sig, &sig_len, &uses, &err));
    CHECK(uses == 1, "uses %u", uses);
    OK(mfs_key_delete(app, lim.id, &err));
    OK(mfs_key_sign(app, wallet.id, msg, sizeof msg, sig, sizeof sig, &sig_len, NULL, &err));
    CHECK(openssl_verifies(spki, spki_len, msg, sizeof msg, sig, sig_len),
          "OpenSSL verifies the TA's signature");
    STATUS(mfs_key_sign(other, wallet.id, msg, sizeof msg, sig, sizeof sig, &sig_len, NULL,
                        &err),
           MFS_STATUS_KEY_NOT_FOUND);
    uint8_t big[600] = {0};
    RC(mfs_key_sign(app, wallet.id, big, sizeof big, sig, sizeof sig, &sig_len, NULL, &err),
       MFS_ERR_INPUT);

    /* attestation */
    char doc[MFS_DOCUMENT_MAX];
    const uint8_t challenge[] = {1, 2, 3, 4};
    RC(mfs_key_attest(app, wallet.id, challenge, 4, NULL, doc, 100, &len, &err),
       MFS_ERR_BUFFER_TOO_SMALL);
    OK(mfs_key_attest(app, wallet.id, challenge, 4, NULL, doc, sizeof doc, &len, &err));
    CHECK(strlen(doc) == len, "NUL-terminated");
    OK(mfs_attestation_verify(doc, challenge, 4, wallet.public_key, 65, NULL, 0, &err));
    RC(mfs_attestation_verify(doc, (const uint8_t *)"x", 1, NULL, 0, NULL, 0, &err),
       MFS_ERR_ATTESTATION);
    RC(mfs_attestation_verify(doc, challenge, 4, att.public_key, 65, NULL, 0, &err),
       MFS_ERR_ATTESTATION);
    RC(mfs_attestation_verify("{", challenge, 4, NULL, 0, NULL, 0, &err),
       MFS_ERR_ATTESTATION);
    OK(mfs_key_attest(app, wallet.id, challenge, 4, att.id, doc, sizeof doc, &len, &err));
    OK(mfs_attestation_verify(doc, challenge, 4, wallet.public_key, 65, att.public_key, 65,
                              &err));

    /* export / import */
    uint8_t blob[MFS_KEY_BLOB_MAX];
    size_t blob_len = 0;
    RC(mfs_key_export(app, wallet.id, blob, 16, &blob_len, &err), MFS_ERR_BUFFER_TOO_SMALL);
    OK(mfs_key_export(app, wallet.id, blob, sizeof blob, &blob_len, &err));
    STATUS(mfs_key_export(app, att.id, blob, sizeof blob, &blob_len, &err),
           MFS_STATUS_POLICY_VIOLATION);
    OK(mfs_key_export(app, wallet.id, blob, sizeof blob, &blob_len, &err));
    OK(mfs_key_delete(app, wallet.id, &err));
    STATUS(mfs_key_delete(app, wallet.id, &err), MFS_STATUS_KEY_NOT_FOUND);
    mfs_key restored;
    OK(mfs_key_import(app, blob, blob_len, &restored, &err));
    CHECK(memcmp(restored.public_key, wallet.public_key, 65) == 0, "restored");
    blob[blob_len / 2] ^= 1;
    STATUS(mfs_key_import(app, blob, blob_len, NULL, &err), MFS_STATUS_BLOB_REJECTED);

    /* transactions */
    mfs_key_policy per_use = {MFS_PURPOSE_SIGN, MFS_PIN_PER_USE, 0, 0, 0, 0};
    mfs_key pay;
    OK(mfs_key_generate(app, "pay", &per_use, &pay, &err));
    const uint8_t txc[] = "server-challenge";
    mfs_tx tx = {100, "EUR", "ACME", NULL, txc, sizeof txc - 1, 0};
    RC(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, &tx, doc, 64, &len, &err),
       MFS_ERR_BUFFER_TOO_SMALL);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped when the buffer is refused");
    CHECK(len == MFS_DOCUMENT_MAX, "len says the size needed: %zu", len);
    RC(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, &tx, doc, sizeof doc, NULL, &err),
       MFS_ERR_ARGUMENT);
    CHECK(all_zero(pinbuf, sizeof pinbuf), "PIN wiped when len is NULL");
    STATUS(mfs_tx_sign(app, pay.id, pin("1111"), 4, NULL, &tx, doc, sizeof doc, &len, &err),
           MFS_STATUS_PIN_INCORRECT);
    OK(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, &tx, doc, sizeof doc, &len, &err));
    mfs_tx_verified v;
    OK(mfs_tx_verify(doc, pay.public_key, 65, txc, sizeof txc - 1, &v, &err));
    CHECK(v.amount == 100 && strcmp(v.currency, "EUR") == 0 && strcmp(v.payee, "ACME") == 0,
          "verified tx");
    CHECK(strcmp(v.display, "Pay 1.00 EUR to ACME?") == 0, "display %s", v.display);
    CHECK(strcmp(v.key_id, pay.id) == 0, "key id");
    RC(mfs_tx_verify(doc, wallet.public_key, 65, NULL, 0, &v, &err), MFS_ERR_TX);
    RC(mfs_tx_verify(doc, pay.public_key, 65, (const uint8_t *)"other", 5, &v, &err),
       MFS_ERR_TX);
    char pem[256];
    OK(mfs_key_public(app, pay.id, MFS_KEY_FORMAT_PEM, (uint8_t *)pem, sizeof pem, &len,
                      &err));
    OK(mfs_tx_verify(doc, (const uint8_t *)pem, strlen(pem), NULL, 0, NULL, &err));
    mfs_tx lie = {100, "EUR", "ACME", "Pay 9.99 EUR to ACME?", NULL, 0, 0};
    RC(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, &lie, doc, sizeof doc, &len, &err),
       MFS_ERR_RECORD);
    CHECK(strlen(err.message) > 0, "rule named: %s", err.message);
    mfs_tx unknown = {100, "XXX", "ACME", NULL, NULL, 0, 0};
    RC(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, &unknown, doc, sizeof doc, &len, &err),
       MFS_ERR_RECORD);
    RC(mfs_tx_sign(app, pay.id, pin("2468"), 4, NULL, NULL, doc, sizeof doc, &len, &err),
       MFS_ERR_ARGUMENT);

    /* event log: export, needed size, verify against the pinned key */
    const uint8_t logc[] = {9, 9, 9};
    RC(mfs_log_export(root, logc, 3, (char *)buf, 32, &len, &err), MFS_ERR_BUFFER_TOO_SMALL);
    size_t need = err.needed;
    CHECK(need == len && need > 32, "needed %zu (len %zu)", need, len);
    char *log = malloc(need);
    OK(mfs_log_export(root, logc, 3, log, need, &len, &err));
    /* the TA attestation key signed the head: pin it from an attestation */
    OK(mfs_key_attest(app, pay.id, challenge, 4, NULL, doc, sizeof doc, &len, &err));
    const char *ak = strstr(doc, "\"attestation_key\":\"");
    uint8_t ta_key[65];
    CHECK(ak != NULL, "attestation key in %s", doc);
    if (ak) {
        ak += strlen("\"attestation_key\":\"");
        for (int i = 0; i < 65; i++) {
            unsigned x = 0;
            sscanf(ak + 2 * i, "%2x", &x);
            ta_key[i] = (uint8_t)x;
        }
        mfs_log_verified lv;
        OK(mfs_log_verify(log, ta_key, 65, logc, 3, &lv, &err));
        CHECK(lv.entries > 10 && lv.next_seq - lv.first_seq == lv.entries, "entries %zu",
              lv.entries);
        RC(mfs_log_verify(log, pay.public_key, 65, logc, 3, &lv, &err), MFS_ERR_LOG);
        RC(mfs_log_verify(log, ta_key, 65, (const uint8_t *)"no", 2, &lv, &err),
           MFS_ERR_LOG);
        char *edit = strstr(log, "\"kind\":\"");
        if (edit) {
            edit[8] = edit[8] == 'p' ? 'k' : 'p';
            RC(mfs_log_verify(log, ta_key, 65, logc, 3, &lv, &err), MFS_ERR_LOG);
        }
    }
    free(log);
    RC(mfs_log_verify(NULL, ta_key, 65, NULL, 0, NULL, &err), MFS_ERR_ARGUMENT);

    /* wipe: admin only */
    uint32_t destroyed = 0;
    STATUS(mfs_wipe(app, &destroyed, &err), MFS_STATUS_ACCESS_DENIED);
    OK(mfs_wipe(root, &destroyed, &err));
    CHECK(destroyed > 0, "destroyed %u", destroyed);
    OK(mfs_info(app, &info, &err));
    CHECK(!info.provisioned, "wiped");

    mfs_close(root);
    mfs_close(app);
    mfs_close(other);
    mfs_close(pub);
    mfs_close(grp);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s ISSUER_KEY.pem\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    issuer = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!issuer) {
        fprintf(stderr, "cannot read the issuer key %s\n", argv[1]);
        return 2;
    }
    memset(&err, 0xa5, sizeof err);
    test_library();
    mfs_test_device *dev = mfs_test_device_new();
    test_session(dev);
    mfs_test_device_free(dev);
    mfs_test_device_free(NULL);
    EVP_PKEY_free(issuer);
    printf("C API: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
