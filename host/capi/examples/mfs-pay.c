/*
 * mfs-pay: a payment app written in C against libmfs (mfs.h).
 *
 *   mfs-pay pay OUTDIR   PIN, a per-use key, a payment signed with proof
 *                        of consent, the event log exported and verified;
 *                        writes OUTDIR/{pay.pem,tx.bin,tx.sig} for a
 *                        relying party (OpenSSL) to check
 *   mfs-pay group GID    a group-login session: the TA sees the group
 *                        identity and grants it ping/info only
 *   mfs-pay group-admin GID UUID
 *                        against a TA built with MFS_ADMIN_LOGIN=group for
 *                        GID: the group login is the admin (wipe works),
 *                        the process's user login is not
 *
 * Run inside OP-TEE (the QEMU suite runs it as a payment app of its own,
 * i.e. its own Linux user, against a provisioned TA). Exits 0 when every
 * step did what it should, 1 otherwise, printing each step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mfs.h"

static mfs_error err;

#define STEP(what, call)                                                      \
    do {                                                                      \
        if ((call) != MFS_OK) {                                               \
            fprintf(stderr, "mfs-pay: %s: %s\n", what, err.message);          \
            return 1;                                                         \
        }                                                                     \
        printf("mfs-pay: %s: ok\n", what);                                    \
    } while (0)

#define EXPECT(what, cond)                                                    \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "mfs-pay: %s: unexpected (%s)\n", what, err.message); \
            return 1;                                                         \
        }                                                                     \
        printf("mfs-pay: %s: ok\n", what);                                    \
    } while (0)

/* The PIN as a user would type it, into a buffer libmfs wipes. */
static uint8_t pin_buf[16];
static uint8_t *pin(const char *digits) {
    memset(pin_buf, 0, sizeof pin_buf);
    memcpy(pin_buf, digits, strlen(digits));
    return pin_buf;
}

/* The bytes of hex string field `name` of one-line JSON `doc`. */
static size_t json_hex(const char *doc, const char *name, uint8_t *out, size_t cap) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(doc, key);
    if (!p)
        return 0;
    p += strlen(key);
    size_t n = 0;
    while (p[0] && p[1] && p[0] != '"' && n < cap) {
        unsigned v;
        if (sscanf(p, "%2x", &v) != 1)
            return 0;
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "mfs-pay: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

static int pay(mfs_client *c, const char *outdir) {
    mfs_ta_info info;
    STEP("info", mfs_info(c, &info, &err));
    printf("mfs-pay: TA %s, protocol %u..%u, provisioned %d\n", info.ta_version,
           info.proto_min, info.proto_max, info.provisioned);

    mfs_pin_state st;
    STEP("pin status", mfs_pin_status(c, &st, &err));
    if (!st.set)
        STEP("pin set", mfs_pin_set(c, pin("135790"), 6, NULL, &st, &err));
    EXPECT("wrong PIN refused with tries left",
           mfs_pin_verify(c, pin("000000"), 6, NULL, NULL, &st, &err) == MFS_ERR_STATUS &&
               err.ta_status == MFS_STATUS_PIN_INCORRECT && err.detail > 0);
    STEP("pin verify", mfs_pin_verify(c, pin("135790"), 6, NULL, NULL, &st, &err));

    mfs_key_policy policy = {MFS_PURPOSE_SIGN, MFS_PIN_PER_USE, 0, 0, 0, 0};
    mfs_key key;
    STEP("key generate", mfs_key_generate(c, "c-pay", &policy, &key, &err));
    char pem[256];
    size_t len = 0;
    STEP("key public (PEM)",
         mfs_key_public(c, key.id, MFS_KEY_FORMAT_PEM, (uint8_t *)pem, sizeof pem, &len, &err));
    if (write_file(outdir, "pay.pem", pem, len))
        return 1;

    static const uint8_t challenge[] = "c-challenge-0001";
    mfs_tx tx = {4200, "EUR", "C Shop", NULL, challenge, sizeof challenge - 1, 0};
    char doc[MFS_DOCUMENT_MAX];
    EXPECT("payment with a wrong PIN refused",
           mfs_tx_sign(c, key.id, pin("999999"), 6, NULL, &tx, doc, sizeof doc, &len, &err) ==
                   MFS_ERR_STATUS &&
               err.ta_status == MFS_STATUS_PIN_INCORRECT);
    STEP("tx sign", mfs_tx_sign(c, key.id, pin("135790"), 6, NULL, &tx, doc, sizeof doc, &len,
                                &err));
    mfs_tx_verified v;
    STEP("tx verify", mfs_tx_verify(doc, key.public_key, sizeof key.public_key, challenge,
                                    sizeof challenge - 1, &v, &err));
    printf("mfs-pay: signed \"%s\" (counter %llu)\n", v.display, (unsigned long long)v.counter);
    uint8_t signed_bytes[1024], sig[MFS_SIGNATURE_MAX];
    size_t n_signed = json_hex(doc, "signed", signed_bytes, sizeof signed_bytes);
    size_t n_sig = json_hex(doc, "signature", sig, sizeof sig);
    if (!n_signed || !n_sig || write_file(outdir, "tx.bin", signed_bytes, n_signed) ||
        write_file(outdir, "tx.sig", sig, n_sig))
        return 1;

    /* The TA attestation key, pinned from an attestation, checks the log. */
    static const uint8_t log_challenge[] = {0xc0, 0xff, 0xee};
    STEP("key attest", mfs_key_attest(c, key.id, log_challenge, 3, NULL, doc, sizeof doc, &len,
                                      &err));
    STEP("attestation verify", mfs_attestation_verify(doc, log_challenge, 3, key.public_key,
                                                      sizeof key.public_key, NULL, 0, &err));
    uint8_t ta_key[MFS_PUBLIC_KEY_LEN];
    if (json_hex(doc, "attestation_key", ta_key, sizeof ta_key) != sizeof ta_key)
        return 1;
    char small[16];
    EXPECT("log export says the size it needs",
           mfs_log_export(c, log_challenge, 3, small, sizeof small, &len, &err) ==
                   MFS_ERR_BUFFER_TOO_SMALL &&
               err.needed == len);
    size_t cap = len + 4096; /* room for entries appended meanwhile */
    char *log = malloc(cap);
    if (!log)
        return 1;
    int rc = mfs_log_export(c, log_challenge, 3, log, cap, &len, &err);
    mfs_log_verified lv;
    if (rc == MFS_OK)
        rc = mfs_log_verify(log, ta_key, sizeof ta_key, log_challenge, 3, &lv, &err);
    free(log);
    STEP("log export and verify", rc);
    printf("mfs-pay: log verified, entries %llu..%llu\n", (unsigned long long)lv.first_seq,
           (unsigned long long)lv.next_seq);
    STEP("key delete", mfs_key_delete(c, key.id, &err));
    return 0;
}

static int group(mfs_client *c, unsigned gid) {
    mfs_ta_info info;
    STEP("info (group login)", mfs_info(c, &info, &err));
    EXPECT("the TA sees a group login", info.client_login == MFS_LOGIN_GROUP && !info.admin);
    printf("mfs-pay: group %u has client identity %s\n", gid, info.client_id);
    uint32_t echo = 0;
    STEP("ping (group login)", mfs_ping(c, 42, &echo, &err));
    mfs_key_policy policy = {MFS_PURPOSE_SIGN, MFS_PIN_NONE, 0, 0, 0, 0};
    mfs_key key;
    EXPECT("a group login may not make keys",
           mfs_key_generate(c, "g", &policy, &key, &err) == MFS_ERR_STATUS &&
               err.ta_status == MFS_STATUS_ACCESS_DENIED);
    return 0;
}

/* Against the group-admin TA `uuid`: the group login administers it. */
static int group_admin(const char *uuid, unsigned gid) {
    mfs_client *g = NULL, *u = NULL;
    STEP("open (group login)", mfs_open(uuid, MFS_LOGIN_GROUP, gid, &g, &err));
    mfs_ta_info info;
    STEP("info (group login)", mfs_info(g, &info, &err));
    int rc = 0;
    if (!info.admin) {
        fprintf(stderr, "mfs-pay: the group login is not the admin of %s\n", uuid);
        rc = 1;
    } else {
        printf("mfs-pay: group %u is the admin of %s: ok\n", gid, uuid);
    }
    uint32_t destroyed = 0;
    if (rc == 0 && mfs_wipe(g, &destroyed, &err) != MFS_OK) {
        fprintf(stderr, "mfs-pay: wipe as the group admin: %s\n", err.message);
        rc = 1;
    }
    if (rc == 0 && mfs_open(uuid, MFS_LOGIN_USER, 0, &u, &err) == MFS_OK) {
        if (mfs_wipe(u, &destroyed, &err) == MFS_ERR_STATUS &&
            err.ta_status == MFS_STATUS_ACCESS_DENIED) {
            printf("mfs-pay: a user login may not wipe it: ok\n");
        } else {
            fprintf(stderr, "mfs-pay: a user login wiped the group-admin TA\n");
            rc = 1;
        }
    } else if (rc == 0) {
        fprintf(stderr, "mfs-pay: open (user login): %s\n", err.message);
        rc = 1;
    }
    mfs_close(u);
    mfs_close(g);
    return rc;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "group-admin") && argc == 4)
        return group_admin(argv[3], (unsigned)strtoul(argv[2], NULL, 10));
    if (argc != 3 || (strcmp(mode, "pay") && strcmp(mode, "group"))) {
        fprintf(stderr,
                "usage: mfs-pay pay OUTDIR | mfs-pay group GID | mfs-pay group-admin GID UUID\n");
        return 2;
    }
    int is_group = strcmp(mode, "group") == 0;
    unsigned gid = is_group ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    printf("mfs-pay: libmfs %s\n", mfs_version());
    mfs_client *c = NULL;
    STEP("open", mfs_open(NULL, is_group ? MFS_LOGIN_GROUP : MFS_LOGIN_USER, gid, &c, &err));
    int rc = is_group ? group(c, gid) : pay(c, argv[2]);
    mfs_close(c);
    return rc;
}
