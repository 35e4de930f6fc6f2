/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keyfile - libFuzzer harness for the secret key file reader
 * (vl_keyfile_open, protocol/vl_keyfile.c, docs/keyfiles.md) with the
 * passphrase of the docs/keyfiles.md vector, "correct horse battery staple".
 *
 * Cost: a file names its own Argon2id cost, up to 8 passes over 1 GiB
 * (VL_MAX_KDF_OPS/MEM); run at that cost every input would take seconds. An
 * input of the key file size whose cost passes the reader's bounds and asks
 * for more than FUZZ_KDF_MEM bytes or FUZZ_KDF_OPS passes is therefore
 * skipped (not passed to the reader); inputs outside the bounds still are,
 * so the over-limit refusal is fuzzed. The seed corpus holds files sealed at
 * libsodium's minimum cost (VL_FUZZ_DUMP=FILE writes one: seed 00..1f,
 * ops 1, mem 8 KiB) so that the decrypt and key checks are reached.
 * Contract: the codes of vl_keyfile.h for the in-memory reader (VL_OK,
 * VL_EPROTO, VL_ELIMIT, VL_EAUTH, VL_ENOMEM), a message on failure, a key
 * exactly on success (the reader itself checks the key against the stored
 * public key).
 */
#include "vl_keyfile.c"

#include "fuzz_common.h"

#define FUZZ_KDF_MEM (1024u * 1024u)
#define FUZZ_KDF_OPS 2u

static const char s_pass[] = "correct horse battery staple";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        FUZZ_CHECK(vl_crypto_init() == VL_OK);
        const char *dump = getenv("VL_FUZZ_DUMP");
        if (dump) {
            uint8_t pt[KF_PT_LEN], salt[crypto_pwhash_SALTBYTES], nonce[VL_NONCE_LEN];
            uint8_t buf[VL_KEYFILE_LEN];
            vl_keypair_t *kp = NULL;
            char err[VL_ERRMSG_MAX] = "";
            for (size_t i = 0; i < VL_SEED_LEN; i++)
                pt[i] = (uint8_t)i;
            FUZZ_CHECK(vl_keypair_from_seed(pt, &kp) == VL_OK);
            memcpy(pt + VL_SEED_LEN, vl_keypair_pk(kp), VL_PK_LEN);
            memset(salt, 0x80, sizeof salt);
            memset(nonce, 0xa0, sizeof nonce);
            FUZZ_CHECK(vl_keyfile_seal_raw(pt, s_pass, strlen(s_pass),
                                           crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                           crypto_pwhash_argon2id_MEMLIMIT_MIN, salt, nonce, buf,
                                           err) == VL_OK);
            FILE *f = fopen(dump, "wb");
            FUZZ_CHECK(f && fwrite(buf, 1, sizeof buf, f) == sizeof buf && fclose(f) == 0);
            vl_keypair_destroy(&kp);
        }
        init = 1;
    }
    if (size == VL_KEYFILE_LEN) {
        uint64_t ops = vl_keyfile_get_u64le(data + KF_OFF_OPS);
        uint64_t mem = vl_keyfile_get_u64le(data + KF_OFF_MEM);
        if (ops <= VL_MAX_KDF_OPS && mem <= VL_MAX_KDF_MEM &&
            (ops > FUZZ_KDF_OPS || mem > FUZZ_KDF_MEM))
            return 0;
    }
    char err[VL_ERRMSG_MAX] = "";
    vl_keypair_t *kp = NULL;
    int rc = vl_keyfile_open(data, size, s_pass, strlen(s_pass), &kp, err);
    FUZZ_CONTRACT(rc, err, VL_OK, VL_EPROTO, VL_ELIMIT, VL_EAUTH);
    FUZZ_CHECK((rc == VL_OK) == (kp != NULL));
    vl_keypair_destroy(&kp);
    return 0;
}
